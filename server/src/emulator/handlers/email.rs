//! `email/*`: hosted e-mail (reference §17). Parameters CONFIRMED (WIKI, RUBY 2020); no
//! response has ever been seen, so every answer here is UNKNOWN, shaped after the API's
//! habits (INFERRED): lists as arrays under `domains`/`users`/`aliases`, adds answering the
//! new `<thing>_id`, every number a string, unknown ids as `invalid <thing>`. The validation
//! rules (domain syntax, local parts, password length, PEM keys) are INFERRED too, and kept
//! no kinder than a real mail service would be: a DKIM key must parse as an RSA private key
//! of at least 1024 bits (RFC 8301), and a domain's mail is hosted by one account only.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{s, Ctx, Outcome, Params};
use crate::emulator::json::{done, obj, ok};

/// Mailbox password length bounds (INFERRED; the service's policy is UNKNOWN).
pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 256;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dkim {
    pub selector: String,
    /// The PEM as sent (never answered back).
    pub private_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub id: u64,
    /// The local part, as given.
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Alias {
    pub id: u64,
    /// The local part, as given.
    pub name: String,
    /// Destination addresses, comma-separated.
    pub target: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Domain {
    pub id: u64,
    /// Lower case, no trailing dot.
    pub name: String,
    pub dkim: Option<Dkim>,
    pub users: BTreeMap<u64, User>,
    pub aliases: BTreeMap<u64, Alias>,
}

impl Domain {
    /// Whether `local` is already a mailbox or an alias of this domain (case-insensitive,
    /// as mail servers treat local parts).
    fn address_taken(&self, local: &str) -> bool {
        self.users
            .values()
            .any(|u| u.username.eq_ignore_ascii_case(local))
            || self
                .aliases
                .values()
                .any(|a| a.name.eq_ignore_ascii_case(local))
    }
}

/// This category's part of an account: its hosted domains by id.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub domains: BTreeMap<u64, Domain>,
}

pub(crate) fn handle(ctx: &mut Ctx<'_>, action: &str) -> Option<Outcome> {
    let p = ctx.p;
    Some(match action {
        "usage" => Ok(usage(&ctx.account.email)),
        "domain-list" => Ok(ok(obj([(
            "domains",
            Value::Array(
                ctx.account
                    .email
                    .domains
                    .values()
                    .map(|d| {
                        json!({
                            "id": s(d.id),
                            "name": d.name,
                            "dkim_selector": d.dkim.as_ref().map_or("", |k| k.selector.as_str()),
                        })
                    })
                    .collect(),
            ),
        )]))),
        "domain-add" => domain_add(ctx),
        "domain-remove" => p.req("domain_id").and_then(|id| {
            parse_id(id)
                .and_then(|id| ctx.account.email.domains.remove(&id))
                .map(|_| done())
                .ok_or_else(|| "invalid domain".to_owned())
        }),
        "domain-dkim-set" => dkim_set(&mut ctx.account.email, p),
        "domain-dkim-unset" => domain(&mut ctx.account.email, p).map(|d| {
            d.dkim = None;
            done()
        }),
        "user-list" => domain(&mut ctx.account.email, p).map(|d| {
            let users = d
                .users
                .values()
                .map(|u| {
                    json!({
                        "id": s(u.id),
                        "username": u.username,
                        "email": format!("{}@{}", u.username, d.name),
                    })
                })
                .collect();
            ok(obj([("users", Value::Array(users))]))
        }),
        "user-add" => user_add(ctx),
        "user-set-password" => user_set_password(&mut ctx.account.email, p),
        "user-remove" => user_remove(&mut ctx.account.email, p),
        "alias-list" => domain(&mut ctx.account.email, p).map(|d| {
            let aliases = d
                .aliases
                .values()
                .map(|a| json!({"id": s(a.id), "name": a.name, "target": a.target}))
                .collect();
            ok(obj([("aliases", Value::Array(aliases))]))
        }),
        "alias-add" => alias_add(ctx),
        "alias-remove" => alias_remove(&mut ctx.account.email, p),
        _ => return None,
    })
}

fn parse_id(id: &str) -> Option<u64> {
    id.trim().parse().ok()
}

/// The domain named by `domain_id`, or `invalid domain`.
fn domain<'a>(state: &'a mut State, p: &Params) -> Result<&'a mut Domain, String> {
    let id = p.req("domain_id")?;
    parse_id(id)
        .and_then(|id| state.domains.get_mut(&id))
        .ok_or_else(|| "invalid domain".to_owned())
}

fn user_remove(state: &mut State, p: &Params) -> Outcome {
    p.req("domain_id")?;
    let user_id = p.req("user_id")?;
    let d = domain(state, p)?;
    parse_id(user_id)
        .and_then(|id| d.users.remove(&id))
        .map(|_| done())
        .ok_or_else(|| "invalid user".to_owned())
}

fn alias_remove(state: &mut State, p: &Params) -> Outcome {
    p.req("domain_id")?;
    let alias_id = p.req("alias_id")?;
    let d = domain(state, p)?;
    parse_id(alias_id)
        .and_then(|id| d.aliases.remove(&id))
        .map(|_| done())
        .ok_or_else(|| "invalid alias".to_owned())
}

/// Counts and storage as numeric strings (UNKNOWN shape). Nothing is ever delivered to an
/// emulated mailbox, so storage stays 0.
fn usage(state: &State) -> axum::response::Response {
    let users: usize = state.domains.values().map(|d| d.users.len()).sum();
    let aliases: usize = state.domains.values().map(|d| d.aliases.len()).sum();
    ok(obj([
        ("domains", s(state.domains.len())),
        ("users", s(users)),
        ("aliases", s(aliases)),
        ("storage", s(0)),
    ]))
}

fn domain_add(ctx: &mut Ctx<'_>) -> Outcome {
    let name = ctx.p.req("name")?.trim().trim_end_matches('.');
    let name = name.to_ascii_lowercase();
    if !valid_domain(&name) {
        return Err("invalid domain name".into());
    }
    if ctx.account.email.domains.values().any(|d| d.name == name)
        || ctx.mail_elsewhere.contains(&name)
    {
        return Err("domain already exists".into());
    }
    let id = ctx.account.next_id();
    ctx.account.email.domains.insert(
        id,
        Domain {
            id,
            name,
            dkim: None,
            users: BTreeMap::new(),
            aliases: BTreeMap::new(),
        },
    );
    Ok(ok(obj([("domain_id", s(id))])))
}

fn dkim_set(state: &mut State, p: &Params) -> Outcome {
    p.req("domain_id")?;
    let selector = p.req("selector")?.trim().to_owned();
    let private_key = p.req("private_key")?.trim().to_owned();
    let d = domain(state, p)?;
    if !valid_selector(&selector) {
        return Err("invalid selector".into());
    }
    if !looks_like_pem_private_key(&private_key) {
        return Err("invalid private key".into());
    }
    d.dkim = Some(Dkim {
        selector,
        private_key,
    });
    Ok(done())
}

fn check_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(format!(
            "password must be at least {MIN_PASSWORD} characters"
        ));
    }
    if n > MAX_PASSWORD {
        return Err(format!(
            "password must be at most {MAX_PASSWORD} characters"
        ));
    }
    Ok(())
}

fn user_add(ctx: &mut Ctx<'_>) -> Outcome {
    let p = ctx.p;
    p.req("domain_id")?;
    let username = p.req("username")?.trim().to_owned();
    // Not trimmed: spaces may be part of a password.
    let password = p.req("password")?.to_owned();
    let d = domain(&mut ctx.account.email, p)?;
    if !valid_local_part(&username) {
        return Err("invalid username".into());
    }
    check_password(&password)?;
    if d.address_taken(&username) {
        return Err("address already in use".into());
    }
    let domain_id = d.id;
    let id = ctx.account.next_id();
    let user = User {
        id,
        username,
        password,
    };
    if let Some(d) = ctx.account.email.domains.get_mut(&domain_id) {
        d.users.insert(id, user);
    }
    Ok(ok(obj([("user_id", s(id))])))
}

fn user_set_password(state: &mut State, p: &Params) -> Outcome {
    p.req("domain_id")?;
    let user_id = p.req("user_id")?;
    let password = p.req("password")?.to_owned();
    let d = domain(state, p)?;
    let user = parse_id(user_id)
        .and_then(|id| d.users.get_mut(&id))
        .ok_or("invalid user")?;
    check_password(&password)?;
    user.password = password;
    Ok(done())
}

fn alias_add(ctx: &mut Ctx<'_>) -> Outcome {
    let p = ctx.p;
    p.req("domain_id")?;
    let name = p.req("name")?.trim().to_owned();
    let target = p.req("target")?;
    let d = domain(&mut ctx.account.email, p)?;
    if !valid_local_part(&name) {
        return Err("invalid alias name".into());
    }
    let targets: Vec<&str> = target.split(',').map(str::trim).collect();
    if targets.iter().any(|t| !valid_address(t)) {
        return Err("invalid target".into());
    }
    if d.address_taken(&name) {
        return Err("address already in use".into());
    }
    let domain_id = d.id;
    let id = ctx.account.next_id();
    let alias = Alias {
        id,
        name,
        target: targets.join(","),
    };
    if let Some(d) = ctx.account.email.domains.get_mut(&domain_id) {
        d.aliases.insert(id, alias);
    }
    Ok(ok(obj([("alias_id", s(id))])))
}

/// A DNS domain of at least two labels: letters, digits and inner hyphens, a non-numeric
/// top-level label.
fn valid_domain(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
}

/// A mailbox or alias local part as hosted mail accepts it: 1–64 of letters, digits and
/// `. _ + -`, no leading, trailing or doubled dot.
fn valid_local_part(local: &str) -> bool {
    (1..=64).contains(&local.len())
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
}

/// A destination address (possibly external, so the local part is checked loosely). Also
/// used for `monitor` e-mail contacts.
pub(super) fn valid_address(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    (1..=64).contains(&local.len())
        && !local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '@' | ',' | '<' | '>'))
        && valid_domain(&domain.to_ascii_lowercase())
}

/// A DKIM selector: dot-separated labels of letters, digits, `-` and `_`.
fn valid_selector(selector: &str) -> bool {
    selector.len() <= 63
        && selector.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// An unencrypted PEM RSA private key (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`,
/// the forms DKIM signers load) of at least 1024 bits (RFC 8301: shorter keys must not be
/// used). The key is parsed as a signer would: a well-shaped PEM of junk is refused.
/// INFERRED: whether Luna Node also takes Ed25519 keys (RFC 8463) is UNKNOWN; the panel
/// makes RSA keys only.
fn looks_like_pem_private_key(pem: &str) -> bool {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::traits::PublicKeyParts;
    let pem = pem.trim().replace("\r\n", "\n");
    let key = if pem.starts_with("-----BEGIN PRIVATE KEY-----") {
        rsa::RsaPrivateKey::from_pkcs8_pem(&pem).ok()
    } else if pem.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
        rsa::RsaPrivateKey::from_pkcs1_pem(&pem).ok()
    } else {
        None
    };
    key.is_some_and(|k| k.size() * 8 >= 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators() {
        assert!(valid_domain("example.com") && valid_domain("mail.xn--bcher-kva.de"));
        for bad in [
            "localhost",
            "a..b",
            "-a.com",
            "a-.com",
            "1.2.3.4",
            "ex ample.com",
            "é.com",
        ] {
            assert!(!valid_domain(bad), "{bad}");
        }
        assert!(valid_local_part("alice.smith+tag") && valid_local_part("a_b-c"));
        for bad in ["", ".a", "a.", "a..b", "a b", "a@b", "ü"] {
            assert!(!valid_local_part(bad), "{bad}");
        }
        assert!(valid_address("Some.One+x@Example.ORG"));
        assert!(!valid_address("nobody") && !valid_address("a@b") && !valid_address("@x.com"));
        assert!(valid_selector("mail2024") && valid_selector("s1._x"));
        assert!(!valid_selector("") && !valid_selector("a b") && !valid_selector("-a"));
    }

    #[test]
    fn pem_private_keys() {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::pkcs8::{EncodePrivateKey, LineEnding};
        let mut rng = rsa::rand_core::OsRng;
        let key = rsa::RsaPrivateKey::new(&mut rng, 1024).unwrap();
        let pkcs8 = key.to_pkcs8_pem(LineEnding::LF).unwrap();
        let pkcs1 = key.to_pkcs1_pem(LineEnding::CRLF).unwrap();
        assert!(looks_like_pem_private_key(&pkcs8));
        assert!(
            looks_like_pem_private_key(&pkcs1),
            "PKCS#1 with CRLF line ends"
        );
        let small = rsa::RsaPrivateKey::new(&mut rng, 512).unwrap();
        let body = |pem: &str| {
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        // The smallest Ed25519 PKCS#8 key: well-shaped, but not RSA.
        let ed25519 = "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF";
        for bad in [
            String::new(),
            "not a key".to_owned(),
            small.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
            format!("-----BEGIN PRIVATE KEY-----\n{ed25519}\n-----END PRIVATE KEY-----"),
            format!(
                "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----",
                body(&pkcs8)
            ),
            format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
                body(&pkcs8)
            ),
            format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----",
                "QUJD".repeat(40)
            ),
            format!(
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\n{}\n-----END ENCRYPTED PRIVATE KEY-----",
                body(&pkcs8)
            ),
        ] {
            assert!(!looks_like_pem_private_key(&bad), "{bad}");
        }
    }
}
