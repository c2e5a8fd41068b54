//! Input rules shared by the browser (live hints) and the server (the check that counts).

use crate::error::FieldErrors;

/// Shortest password accepted (ASVS 6.2.1 asks for at least 8; we ask for more).
pub const PASSWORD_MIN_CHARS: usize = 10;
/// Longest password accepted. Long enough for any passphrase (ASVS 6.2.9 asks to allow 64),
/// short enough that hashing cannot be used to exhaust the server (SEC-2.3).
pub const PASSWORD_MAX_CHARS: usize = 256;
/// Longest e-mail address (RFC 5321 path limit).
pub const EMAIL_MAX_CHARS: usize = 254;
/// Longest display name.
pub const NAME_MAX_CHARS: usize = 80;

/// Passwords so common that length alone does not make them safe.
const COMMON_PASSWORDS: &[&str] = &[
    "password123",
    "password1234",
    "1234567890",
    "12345678910",
    "qwertyuiop",
    "1q2w3e4r5t",
    "iloveyou123",
    "passw0rd123",
    "administrator",
    "letmein1234",
    "0123456789",
    "qwerty12345",
    "welcome123",
    "changeme123",
];

/// Normalises an e-mail address for storage and lookup: trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Why an e-mail address is not acceptable, if it is not.
pub fn email_problem(email: &str) -> Option<&'static str> {
    let email = email.trim();
    if email.is_empty() {
        return Some("Enter your e-mail address.");
    }
    if email.chars().count() > EMAIL_MAX_CHARS {
        return Some("This e-mail address is too long.");
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Some("Enter an e-mail address like name@example.com.");
    };
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..");
    if local.is_empty() || !domain_ok || email.chars().any(char::is_whitespace) {
        return Some("Enter an e-mail address like name@example.com.");
    }
    None
}

/// Why a new password is not acceptable, if it is not. `email` is the account's address,
/// which the password must not be.
pub fn password_problem(password: &str, email: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars == 0 {
        return Some("Choose a password.".into());
    }
    if chars < PASSWORD_MIN_CHARS {
        return Some(format!(
            "Use at least {PASSWORD_MIN_CHARS} characters ({chars} so far)."
        ));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Some(format!("Use at most {PASSWORD_MAX_CHARS} characters."));
    }
    let lower = password.to_lowercase();
    if !email.trim().is_empty() && lower == normalize_email(email) {
        return Some("Your password must not be your e-mail address.".into());
    }
    let first = password.chars().next();
    if password.chars().all(|c| Some(c) == first) {
        return Some("Do not repeat one character; use a passphrase instead.".into());
    }
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Some("This password is too common; choose another.".into());
    }
    None
}

/// Why a display name is not acceptable, if it is not.
pub fn name_problem(name: &str) -> Option<String> {
    let name = name.trim();
    if name.is_empty() {
        return Some("Enter your name.".into());
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Some(format!("Use at most {NAME_MAX_CHARS} characters."));
    }
    if name.chars().any(char::is_control) {
        return Some("Remove the control characters.".into());
    }
    None
}

/// Checks a sign-up form; every problem is reported, each against its field.
pub fn check_sign_up(name: &str, email: &str, password: &str, confirm: &str) -> FieldErrors {
    let mut errors = FieldErrors::new();
    if let Some(p) = name_problem(name) {
        errors.add("name", p);
    }
    if let Some(p) = email_problem(email) {
        errors.add("email", p);
    }
    if let Some(p) = password_problem(password, email) {
        errors.add("password", p);
    }
    if password != confirm {
        errors.add("confirm", "The two passwords do not match.");
    }
    errors
}

/// Checks a change-password form.
pub fn check_password_change(current: &str, new: &str, confirm: &str, email: &str) -> FieldErrors {
    let mut errors = FieldErrors::new();
    if current.is_empty() {
        errors.add("current", "Enter your current password.");
    }
    if let Some(p) = password_problem(new, email) {
        errors.add("new_password", p);
    } else if new == current {
        errors.add(
            "new_password",
            "Choose a password different from the current one.",
        );
    }
    if new != confirm {
        errors.add("confirm", "The two passwords do not match.");
    }
    errors
}

/// Characters never accepted anywhere in a URL given for a link or an image: whitespace and
/// controls (browsers drop tabs and newlines, so `/<tab>/evil` becomes `//evil`), quotes
/// and angle brackets, and the backslash (browsers read it as `/` in http(s) URLs, so
/// `/\evil` and `https:\\evil` point somewhere other than they seem to).
fn unsafe_url_char(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '\\' | '`')
}

/// Whether `host` is a plain host: a name of ASCII letters, digits, dots and hyphens, or an
/// IPv6 literal in brackets.
fn plain_host(host: &str) -> bool {
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => {
            v6.contains(':')
                && v6
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        }
        None => {
            host.chars().any(|c| c.is_ascii_alphanumeric())
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                && !host.starts_with(['.', '-'])
        }
    }
}

/// Whether `u` is an absolute `https://` URL with a plain host (see [`plain_host`]) and an
/// optional port: no user name (`https://panel.example@evil.example`), no backslash,
/// nothing a browser would read as another host or scheme than the text shows.
/// Internationalised host names must be given in their `xn--` form.
pub fn is_https_url(u: &str) -> bool {
    let Some(rest) = u.strip_prefix("https://") else {
        return false;
    };
    if u.chars().any(unsafe_url_char) {
        return false;
    }
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    // The port follows the last ':' after an IPv6 literal's closing bracket.
    let port_at = authority
        .rfind(':')
        .filter(|&i| i > authority.rfind(']').unwrap_or(0) || !authority.starts_with('['));
    let (host, port) = match port_at {
        Some(i) => (&authority[..i], Some(&authority[i + 1..])),
        None => (authority, None),
    };
    let port_ok =
        port.is_none_or(|p| (1..=5).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()));
    port_ok && plain_host(host)
}

/// Whether `u` is a path on this panel: a single `/` followed by something other than
/// `/` or `\` (`//evil.example/x` and `/\evil.example/x` are protocol-relative: another
/// site), with no character a browser would drop or reinterpret.
pub fn is_local_path(u: &str) -> bool {
    let mut chars = u.chars();
    chars.next() == Some('/')
        && chars.next().is_some_and(|c| c != '/' && c != '\\')
        && !u.chars().any(unsafe_url_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_urls() {
        for ok in [
            "https://cdn.example.com/logo.png",
            "https://cdn.example.com",
            "https://cdn.example.com:8443/a?b=c#d",
            "https://xn--bcher-kva.example/logo.svg",
            "https://192.0.2.7/x",
            "https://[2001:db8::1]:6080/vnc_auto.html?token=abc",
            "https://toronto-ctrl.lunanode.com:6080/vnc_auto.html?token=x-Y_z",
        ] {
            assert!(is_https_url(ok), "{ok}");
        }
        for bad in [
            "",
            "http://cdn.example.com/logo.png",
            "HTTPS://cdn.example.com/",
            "javascript:alert(1)",
            "//evil.example/x",
            "/\\evil.example/x",
            "https:\\\\evil.example/x",
            "https:/evil.example",
            "https://",
            "https:///x",
            "https://good.example@evil.example/",
            "https://good.example\\@evil.example/",
            "https://good.example\\.evil.example/",
            "https://evil .example/",
            "https://evil.example/a b",
            "https://evil.example/\t",
            "https://ev\nil.example/",
            "https://bücher.example/",
            "https://evil.example:/x",
            "https://evil.example:123456/x",
            "https://evil.example:80a/x",
            "https://[::1/x",
            "https://[zz::1]/x",
            "https://.evil.example/",
            "https://a;script-src.example/",
            "https://evil.example/\"onerror=\"x",
            "https://evil.example/<x>",
        ] {
            assert!(!is_https_url(bad), "{bad:?}");
        }
    }

    #[test]
    fn local_paths() {
        for ok in ["/logo.svg", "/a/b.png", "/x?y=1", "/é.png"] {
            assert!(is_local_path(ok), "{ok}");
        }
        for bad in [
            "",
            "/",
            "//evil.example/x",
            "/\\evil.example/x",
            "\\\\evil",
            "\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            " /logo.svg",
            "logo.svg",
            "https://cdn.example.com/logo.png",
            "javascript:alert(1)",
            "/a\\b",
            "/a\"b",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(normalize_email("  Ada@Example.COM "), "ada@example.com");
        assert!(email_problem("ada@example.com").is_none());
        assert!(email_problem("").is_some());
        assert!(email_problem("ada").is_some());
        assert!(email_problem("ada@localhost").is_some());
        assert!(email_problem("@example.com").is_some());
        assert!(email_problem("a da@example.com").is_some());
        assert!(email_problem("ada@example..com").is_some());
        assert!(email_problem(&format!("{}@example.com", "a".repeat(250))).is_some());
    }

    #[test]
    fn passwords() {
        assert!(password_problem("correct horse battery", "ada@example.com").is_none());
        assert!(password_problem("short", "a@b.c")
            .unwrap()
            .contains("at least 10"));
        assert!(password_problem(&"x".repeat(257), "a@b.c")
            .unwrap()
            .contains("at most"));
        assert!(password_problem("aaaaaaaaaaaa", "a@b.c").is_some());
        assert!(password_problem("Password123", "a@b.c").is_some());
        assert!(password_problem("ada@example.com", "Ada@Example.com").is_some());
        // Unicode is counted in characters, not bytes.
        assert!(password_problem("ééééééééé", "a@b.c")
            .unwrap()
            .contains("9 so far"));
    }

    #[test]
    fn sign_up_reports_every_field() {
        let errors = check_sign_up("", "nope", "short", "other");
        for field in ["name", "email", "password", "confirm"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        assert!(
            check_sign_up("Ada", "ada@example.com", "correct horse", "correct horse").is_empty()
        );
    }

    #[test]
    fn password_change_rules() {
        let e = check_password_change("", "correct horse", "correct horse", "a@b.c");
        assert!(e.get("current").is_some());
        let e = check_password_change("correct horse", "correct horse", "correct horse", "a@b.c");
        assert!(e.get("new_password").unwrap().contains("different"));
        let e = check_password_change("old password!", "new password!", "new passw0rd!", "a@b.c");
        assert!(e.get("confirm").is_some());
        assert!(
            check_password_change("old password!", "new password!", "new password!", "a@b.c")
                .is_empty()
        );
    }
}
