//! Hosted e-mail as pages show it (`email/*`, reference §17): the usage against the plan,
//! mail domains with their mailboxes and aliases, DKIM, and the health of the records a
//! domain's mail needs in its DNS zone. Shared by the browser and the server, with the
//! checks the forms make (the server makes them again).
//!
//! Every response shape of `email/*` is UNKNOWN (never seen): what is shown here is what
//! the tolerant decoders in `server::lunanode::actions::email` could read.

use serde::{Deserialize, Serialize};

/// The mail host Luna Node's hosted e-mail receives on. INFERRED: no Luna Node document
/// read for this panel names it; the pages call it "expected", never "documented".
pub const EXPECTED_MX_HOST_INFERRED: &str = "mail.lunanode.com.";
/// The priority of that MX record (INFERRED, as above).
pub const EXPECTED_MX_PRIORITY_INFERRED: u32 = 10;
/// The SPF mechanism that allows Luna Node's mail servers to send for a domain (INFERRED,
/// as above).
pub const EXPECTED_SPF_INCLUDE_INFERRED: &str = "include:_spf.lunanode.com";
/// The SPF record the panel publishes when a domain has none: Luna Node's servers, and a
/// soft fail for anyone else (a domain that also sends from elsewhere adds those itself).
pub fn expected_spf() -> String {
    format!("v=spf1 {EXPECTED_SPF_INCLUDE_INFERRED} ~all")
}

/// Mailbox passwords the panel accepts: at least this many characters (Luna Node's own
/// policy is UNKNOWN; the emulator INFERS 8, the panel asks for more).
pub const MIN_MAILBOX_PASSWORD: usize = 12;
pub const MAX_MAILBOX_PASSWORD: usize = 256;
/// At most this many targets per alias (Luna Node's limit is UNKNOWN).
pub const MAX_ALIAS_TARGETS: usize = 20;

/// One figure of the usage: what is used and, when known, the limit (a bar is drawn then).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meter {
    /// `domains`, `users`, `aliases`, `storage` (element ids derive from it).
    pub key: String,
    pub label: String,
    pub used: u64,
    pub limit: Option<u64>,
    /// Bytes (shown as KB/MB/GB) rather than a count.
    pub bytes: bool,
}

impl Meter {
    /// How full, 0–100, when there is a limit.
    pub fn percent(&self) -> Option<u64> {
        self.limit.map(|l| {
            self.used
                .saturating_mul(100)
                .checked_div(l)
                .map_or(100, |p| p.min(100))
        })
    }

    pub fn text(&self) -> String {
        let show = |n: u64| {
            if self.bytes {
                bytes(n)
            } else {
                n.to_string()
            }
        };
        match self.limit {
            Some(l) => format!("{} of {}", show(self.used), show(l)),
            None => show(self.used),
        }
    }
}

/// `n` bytes for people (1024-based, one decimal above a kilobyte).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// The usage the page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailUsage {
    pub meters: Vec<Meter>,
    /// Where the figures come from (the account's `email/usage`, or a customer's domains).
    pub source: String,
}

/// One hosted domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailDomainRow {
    pub id: String,
    /// As Luna Node lists it (ASCII, `xn--` for an internationalized name), lower case.
    pub name: String,
    /// As people read it (Unicode for an internationalized name).
    pub display: String,
    /// The DKIM selector while DKIM signing is on, `""` when off.
    pub dkim_selector: String,
    /// Mailboxes and aliases (`None` when they could not be listed).
    pub users: Option<usize>,
    pub aliases: Option<usize>,
}

impl MailDomainRow {
    pub fn path(&self) -> String {
        format!("/mail/{}", self.id)
    }

    pub fn dkim_on(&self) -> bool {
        !self.dkim_selector.is_empty()
    }

    /// "3 mailboxes and 1 alias" (what a removal takes with it).
    pub fn contents(&self) -> String {
        match (self.users, self.aliases) {
            (Some(u), Some(a)) => format!(
                "{} and {}",
                plural(u, "mailbox", "mailboxes"),
                plural(a, "alias", "aliases")
            ),
            _ => "its mailboxes and aliases".into(),
        }
    }
}

pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The e-mail page: the caller's domains and the usage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailView {
    pub domains: Vec<MailDomainRow>,
    pub usage: MailUsage,
    /// A customer's (held, limit) of mail domains; `None` for everyone else.
    pub quota: Option<(u32, Option<u32>)>,
    /// Why the usage is missing, when Luna Node would not give it.
    pub problem: Option<String>,
}

/// One mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailUserRow {
    pub id: String,
    /// The local part.
    pub username: String,
    /// `username@domain`.
    pub address: String,
}

/// One alias.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailAliasRow {
    pub id: String,
    /// The local part.
    pub name: String,
    /// `name@domain`.
    pub address: String,
    pub targets: Vec<String>,
}

/// A mail domain's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailDomainDetail {
    pub domain: MailDomainRow,
    pub users: Vec<MailUserRow>,
    pub aliases: Vec<MailAliasRow>,
}

/// DKIM just turned on: the record to publish (shown once: Luna Node never shows the key
/// again, and the panel keeps nothing of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimEnabled {
    pub selector: String,
    /// `<selector>._domainkey.<domain>`.
    pub record_name: String,
    /// `v=DKIM1; k=rsa; p=<base64 public key>`.
    pub record_value: String,
    /// What publishing into the domain's zone did, when it was asked for.
    pub published: Option<String>,
}

/// A mailbox just made: its address, and the password when the panel generated it (shown
/// once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMailbox {
    pub address: String,
    pub password: Option<String>,
}

/// How one record the domain's mail needs stands in its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Health {
    /// As expected.
    Good,
    /// Not in the zone.
    Missing,
    /// Something is there, but not what is expected (or not only).
    Warn,
    /// Not needed now (DKIM off).
    Off,
    /// The zone could not be read, or there is none on the account.
    Unknown,
}

impl Health {
    pub fn key(self) -> &'static str {
        match self {
            Self::Good => "good",
            Self::Missing => "missing",
            Self::Warn => "warn",
            Self::Off => "off",
            Self::Unknown => "unknown",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Good => "OK",
            Self::Missing => "Missing",
            Self::Warn => "Check",
            Self::Off => "Off",
            Self::Unknown => "Unknown",
        }
    }
}

/// One check of the health view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// `mx`, `spf`, `dkim`.
    pub key: String,
    pub label: String,
    pub status: Health,
    /// The name the record lives at, relative to the zone (`@`, `lp1._domainkey`).
    pub name: String,
    /// What the zone holds there now, as zone-file data.
    pub found: Vec<String>,
    /// What is expected.
    pub expected: String,
    /// What to do, in words.
    pub advice: String,
    /// Whether "publish" would fix it.
    pub publishable: bool,
}

/// The zone a mail domain's records live in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneLink {
    pub id: String,
    pub name: String,
}

/// A mail domain's health view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailHealth {
    pub domain: MailDomainRow,
    /// The caller's dns2 zone holding the domain (the domain's own, or a parent's).
    pub zone: Option<ZoneLink>,
    /// Why there is no zone to check against, or why it could not be read.
    pub note: Option<String>,
    pub checks: Vec<HealthCheck>,
}

impl MailHealth {
    /// Every check good (or off).
    pub fn healthy(&self) -> bool {
        !self.checks.is_empty()
            && self
                .checks
                .iter()
                .all(|c| matches!(c.status, Health::Good | Health::Off))
    }

    pub fn publishable(&self) -> bool {
        self.zone.is_some() && self.checks.iter().any(|c| c.publishable)
    }
}

/// What "publish the missing records" did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishReport {
    /// One line per record added (or replaced).
    pub done: Vec<String>,
    /// One line per record that could not be published, with the reason.
    pub failed: Vec<String>,
}

/// The problem with a mailbox or alias local part (the part before the `@`), if any:
/// 1–64 of letters, digits and `. _ + -`, no dot first, last or twice in a row (what
/// hosted mail commonly takes; Luna Node's own rule is UNKNOWN, the emulator INFERS the
/// same).
pub fn local_part_problem(local: &str) -> Option<&'static str> {
    if local.is_empty() {
        return Some("Enter the part before the @, e.g. alice.");
    }
    if local.contains('@') {
        return Some("Enter only the part before the @: the domain is added for you.");
    }
    if local.len() > 64 {
        return Some("At most 64 characters before the @.");
    }
    if !local
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'))
    {
        return Some("Use letters, digits, dots, hyphens, underscores and + only.");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Some("A dot cannot come first, last, or twice in a row.");
    }
    None
}

/// A local part as stored: trimmed and lower case (mail systems do not tell case apart in
/// practice, and two mailboxes differing only in case would confuse everyone).
pub fn normalize_local(local: &str) -> String {
    local.trim().to_ascii_lowercase()
}

/// The problem with a mailbox password, if any.
pub fn mailbox_password_problem(password: &str) -> Option<String> {
    let n = password.chars().count();
    if n < MIN_MAILBOX_PASSWORD {
        return Some(format!(
            "Use at least {MIN_MAILBOX_PASSWORD} characters (or leave it empty to have one made for you)."
        ));
    }
    if n > MAX_MAILBOX_PASSWORD {
        return Some(format!("Use at most {MAX_MAILBOX_PASSWORD} characters."));
    }
    if password.chars().any(char::is_control) {
        return Some("The password cannot hold control characters (tabs, line breaks).".into());
    }
    if password.trim() != password {
        return Some("The password cannot begin or end with a space.".into());
    }
    None
}

/// The targets of an alias as typed: addresses separated by commas, spaces or lines.
pub fn split_targets(typed: &str) -> Vec<String> {
    typed
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The problem with one target address's shape, if any (its domain is checked further on
/// the server, where internationalized names are understood).
pub fn target_problem(address: &str) -> Option<String> {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Some(format!(
            "{address}: not an e-mail address (name@example.com)."
        ));
    };
    if local.is_empty() || local.len() > 64 {
        return Some(format!(
            "{address}: the part before the @ must be 1 to 64 characters."
        ));
    }
    if local
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '@' | ',' | '<' | '>' | '"'))
    {
        return Some(format!(
            "{address}: the part before the @ has a character mail cannot carry."
        ));
    }
    if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return Some(format!(
            "{address}: the domain after the @ is not complete."
        ));
    }
    None
}

/// The DKIM TXT record's name for `selector` in `domain`.
pub fn dkim_name(selector: &str, domain: &str) -> String {
    format!("{selector}._domainkey.{domain}")
}

/// The problem with a DKIM selector, if any: one or more DNS labels of letters, digits and
/// hyphens (RFC 6376 §3.1), 63 characters at most in all.
pub fn selector_problem(selector: &str) -> Option<&'static str> {
    let ok = !selector.is_empty()
        && selector.len() <= 63
        && selector.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    (!ok).then_some("Use letters, digits and hyphens (a DNS label), at most 63 characters.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_parts() {
        for good in ["alice", "a.b", "x_y-z+tag", "0"] {
            assert_eq!(local_part_problem(good), None, "{good}");
        }
        for bad in ["", ".a", "a.", "a..b", "a b", "a@b", "ü", &"a".repeat(65)] {
            assert!(local_part_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(normalize_local("  Alice.Smith "), "alice.smith");
    }

    #[test]
    fn passwords() {
        assert!(mailbox_password_problem("short").is_some());
        assert!(mailbox_password_problem("twelve chars").is_none());
        assert!(mailbox_password_problem(" leading space").is_some());
        assert!(mailbox_password_problem("tab\tinside here").is_some());
        assert!(mailbox_password_problem(&"x".repeat(257)).is_some());
        assert!(
            mailbox_password_problem(&"é".repeat(12)).is_none(),
            "counted in characters"
        );
    }

    #[test]
    fn targets() {
        assert_eq!(
            split_targets(" a@x.com, b@y.org;\nc@z.net  "),
            ["a@x.com", "b@y.org", "c@z.net"]
        );
        assert!(split_targets(" , ;").is_empty());
        assert_eq!(target_problem("Some.One+x@example.org"), None);
        for bad in [
            "nobody",
            "@x.com",
            "a@b",
            "a@.x.com",
            "a@x.com.",
            "a<b@x.com",
        ] {
            assert!(target_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn selectors_and_names() {
        assert_eq!(selector_problem("lp20260101"), None);
        assert_eq!(selector_problem("a.b-c"), None);
        for bad in ["", "-a", "a b", "a_b", "a..b", &"a".repeat(64)] {
            assert!(selector_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(dkim_name("s1", "example.com"), "s1._domainkey.example.com");
    }

    #[test]
    fn meters_and_bytes() {
        let m = Meter {
            key: "domains".into(),
            label: "Domains".into(),
            used: 3,
            limit: Some(4),
            bytes: false,
        };
        assert_eq!((m.percent(), m.text()), (Some(75), "3 of 4".to_owned()));
        let over = Meter {
            used: 9,
            limit: Some(0),
            ..m.clone()
        };
        assert_eq!(over.percent(), Some(100));
        let storage = Meter {
            key: "storage".into(),
            label: "Storage".into(),
            used: 1_572_864,
            limit: None,
            bytes: true,
        };
        assert_eq!(
            (storage.percent(), storage.text()),
            (None, "1.5 MB".to_owned())
        );
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(2048), "2.0 KB");
    }

    #[test]
    fn health_summary() {
        let d = MailDomainRow {
            id: "1".into(),
            name: "example.com".into(),
            display: "example.com".into(),
            dkim_selector: String::new(),
            users: Some(1),
            aliases: Some(2),
        };
        assert_eq!(d.contents(), "1 mailbox and 2 aliases");
        let check = |status| HealthCheck {
            key: "mx".into(),
            label: "MX".into(),
            status,
            name: "@".into(),
            found: vec![],
            expected: String::new(),
            advice: String::new(),
            publishable: status == Health::Missing,
        };
        let mut h = MailHealth {
            domain: d,
            zone: Some(ZoneLink {
                id: "9".into(),
                name: "example.com".into(),
            }),
            note: None,
            checks: vec![check(Health::Good), check(Health::Off)],
        };
        assert!(h.healthy() && !h.publishable());
        h.checks.push(check(Health::Missing));
        assert!(!h.healthy() && h.publishable());
        h.zone = None;
        assert!(!h.publishable(), "nowhere to publish");
    }
}
