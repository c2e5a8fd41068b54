//! `monitor/*` (reference §15). Parameters are the CURRENT ones (DOCS-monitor): check-add
//! takes `name, type, check_interval, delay` plus the type's parameters at the top level (the
//! 2018 wiki's `fail_count`/`success_count` are stale), contact-add takes `type, rel` and
//! contact-remove `contact_id` (the wiki swapped them).
//!
//! Shapes: `checks` keyed by id with `data` as a JSON string, `data_nice`, `data_summary` and
//! `type_details` (CONFIRMED); `types` keyed by code with descriptor objects (CONFIRMED).
//! UNKNOWN, chosen after the API's habits: check/contact/alert adds answer `<thing>_id`,
//! `contacts` and `alerts` are keyed by id like `checks`, `[]` when empty.
//!
//! Nothing is probed: every check reports `online`.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{s, Ctx, Outcome, Params};
use crate::emulator::json::{done, obj, ok, php_json};

/// Check interval bounds in seconds (INFERRED: the docs sample uses 60; limits UNKNOWN).
pub const MIN_INTERVAL: u32 = 60;
pub const MAX_INTERVAL: u32 = 86_400;
/// Largest `delay` accepted (INFERRED).
pub const MAX_DELAY: u32 = 100;

/// Contact types: the seed's spelling (reference §15; the backend also knows `sms`/`voice`,
/// whose API spelling is UNKNOWN, so they are refused).
pub const CONTACT_TYPES: &[&str] = &["email", "sms_twilio", "http"];

// ---- the check-type catalogue ------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Boolean,
    /// Allowed value → label.
    Choice(&'static [(&'static str, &'static str)]),
}

/// Extra syntax checks on a parameter's value.
#[derive(Debug, Clone, Copy)]
enum Rule {
    Any,
    /// A host name or IP address.
    Host,
    /// `host:port` (`[v6]:port`).
    HostPort,
    /// A host, optionally with `:port`.
    HostMaybePort,
    /// An `http(s)://` URL.
    Url,
    /// A whole number in the range.
    Range(u32, u32),
    /// `Name: value` lines.
    Headers,
}

#[derive(Debug, Clone, Copy)]
struct ParamSpec {
    key: &'static str,
    name: &'static str,
    kind: Kind,
    required: bool,
    default: Option<&'static str>,
    help: Option<&'static str>,
    placeholder: Option<&'static str>,
    rule: Rule,
    /// Shown masked in `data_nice`/`data_summary`.
    secret: bool,
}

const fn text(key: &'static str, name: &'static str) -> ParamSpec {
    ParamSpec {
        key,
        name,
        kind: Kind::Text,
        required: false,
        default: None,
        help: None,
        placeholder: None,
        rule: Rule::Any,
        secret: false,
    }
}

const fn boolean(key: &'static str, name: &'static str) -> ParamSpec {
    ParamSpec {
        kind: Kind::Boolean,
        default: Some(""),
        ..text(key, name)
    }
}

const fn choice(
    key: &'static str,
    name: &'static str,
    values: &'static [(&'static str, &'static str)],
    default: &'static str,
) -> ParamSpec {
    ParamSpec {
        kind: Kind::Choice(values),
        default: Some(default),
        ..text(key, name)
    }
}

impl ParamSpec {
    const fn required(self) -> Self {
        Self {
            required: true,
            ..self
        }
    }
    const fn help(self, help: &'static str) -> Self {
        Self {
            help: Some(help),
            ..self
        }
    }
    const fn placeholder(self, placeholder: &'static str) -> Self {
        Self {
            placeholder: Some(placeholder),
            ..self
        }
    }
    const fn default(self, default: &'static str) -> Self {
        Self {
            default: Some(default),
            ..self
        }
    }
    const fn rule(self, rule: Rule) -> Self {
        Self { rule, ..self }
    }
    const fn secret(self) -> Self {
        Self {
            secret: true,
            ..self
        }
    }
}

struct CheckType {
    code: &'static str,
    name: &'static str,
    short_name: &'static str,
    params: &'static [ParamSpec],
}

const FORCE_IP: ParamSpec = choice(
    "force_ip",
    "Force IP Version",
    &[("0", "Any"), ("4", "IPv4"), ("6", "IPv6")],
    "0",
)
.help("Force IP version when connecting (assuming a domain name is provided).");

/// GOBEARMON clamps timeouts to 3–30 s and uses 10 s when none is given.
const TIMEOUT: ParamSpec = text("timeout", "Timeout")
    .default("10")
    .help("Seconds to wait for a response (3 to 30).")
    .rule(Rule::Range(3, 30));

/// icmp and dns descriptors as DOCS-monitor prints them (CONFIRMED where shown); tcp, http
/// and ssl_expire params per GOBEARMON `check_params.go` (INFERRED labels and help).
const CHECK_TYPES: &[CheckType] = &[
    CheckType {
        code: "icmp",
        name: "Ping (ICMP)",
        short_name: "Ping",
        params: &[
            text("target", "Target")
                .required()
                .placeholder("e.g. example.com or 1.2.3.4 or 2602:ffb6::1")
                .rule(Rule::Host),
            boolean("packetloss", "Trigger on Packet Loss")
                .help("Trigger check failure even if only some of the ICMP packets are dropped."),
            FORCE_IP,
        ],
    },
    CheckType {
        code: "tcp",
        name: "TCP Connect",
        short_name: "TCP",
        params: &[
            text("address", "Address")
                .required()
                .placeholder("e.g. example.com:22 or 1.2.3.4:80")
                .help("Host name or IP address and port to connect to.")
                .rule(Rule::HostPort),
            TIMEOUT,
            text("payload", "Payload")
                .help("Line to send after connecting (used with Expected Response)."),
            FORCE_IP,
            text("expect", "Expected Response")
                .placeholder("e.g. SSH-2.0")
                .help("Substring to look for in the first line of the response."),
        ],
    },
    CheckType {
        code: "http",
        name: "HTTP(S)",
        short_name: "HTTP",
        params: &[
            text("url", "URL")
                .required()
                .placeholder("e.g. https://example.com/")
                .rule(Rule::Url),
            choice(
                "method",
                "Method",
                &[
                    ("GET", "GET"),
                    ("HEAD", "HEAD"),
                    ("POST", "POST"),
                    ("PUT", "PUT"),
                    ("DELETE", "DELETE"),
                    ("OPTIONS", "OPTIONS"),
                ],
                "GET",
            )
            .help("HTTP method of the request."),
            text("body", "Request Body").help("Body to send with the request."),
            text("headers", "Headers")
                .placeholder("e.g. Host: example.com")
                .help("Extra request headers, one per line, as Name: value.")
                .rule(Rule::Headers),
            TIMEOUT,
            boolean("insecure", "Skip TLS Verification")
                .help("Do not verify the server's TLS certificate."),
            text("username", "Username").help("User name for HTTP basic authentication."),
            text("password", "Password")
                .help("Password for HTTP basic authentication.")
                .secret(),
            text("expect_status", "Expected Status")
                .placeholder("e.g. 200")
                .help("Trigger check failure unless the response has this status code.")
                .rule(Rule::Range(100, 599)),
            text("expect_substring", "Expected Substring")
                .help("Trigger check failure unless the response body contains this text."),
        ],
    },
    CheckType {
        code: "ssl_expire",
        name: "SSL Certificate Expiration",
        short_name: "SSL Expiry",
        params: &[
            text("address", "Address")
                .required()
                .placeholder("e.g. example.com:443")
                .help("Host name and port of the TLS service.")
                .rule(Rule::HostPort),
            text("days", "Days")
                .default("7")
                .help("Trigger check failure when the certificate expires within this many days.")
                .rule(Rule::Range(0, 365)),
        ],
    },
    CheckType {
        code: "dns",
        name: "DNS",
        short_name: "DNS",
        params: &[
            text("server", "Server")
                .placeholder("e.g. 8.8.8.8 or ns1.example.com:53")
                .help(
                    "DNS server to query (address or address:port); the default resolver if empty.",
                )
                .rule(Rule::HostMaybePort),
            text("name", "Name")
                .required()
                .placeholder("e.g. example.com")
                .help("Name to perform query on.")
                .rule(Rule::Host),
            choice(
                "type",
                "Record Type",
                &[
                    ("A", "A"),
                    ("AAAA", "AAAA"),
                    ("MX", "MX"),
                    ("NS", "NS"),
                    ("PTR", "PTR"),
                    ("SOA", "SOA"),
                    ("SPF", "SPF"),
                    ("SRV", "SRV"),
                    ("TXT", "TXT"),
                ],
                "A",
            )
            .help("DNS record type to query."),
            text("expect", "Expected Response")
                .placeholder("e.g. 1.2.3.4")
                .help("Substring to look for in the query response."),
        ],
    },
];

fn check_type(code: &str) -> Option<&'static CheckType> {
    CHECK_TYPES.iter().find(|t| t.code == code)
}

/// A type as `check-types` (and `type_details`) shows it.
fn type_json(t: &CheckType) -> Value {
    let params: Map<String, Value> = t
        .params
        .iter()
        .map(|p| {
            let kind = match p.kind {
                Kind::Text => s("string"),
                Kind::Boolean => s("boolean"),
                Kind::Choice(values) => Value::Object(
                    values
                        .iter()
                        .map(|(v, label)| ((*v).to_owned(), s(label)))
                        .collect(),
                ),
            };
            let mut d = obj([
                ("name", s(p.name)),
                ("type", kind),
                ("required", s(if p.required { "1" } else { "" })),
            ]);
            for (key, value) in [
                ("default", p.default),
                ("help", p.help),
                ("placeholder", p.placeholder),
            ] {
                if let Some(v) = value {
                    d.insert(key.into(), s(v));
                }
            }
            (p.key.to_owned(), Value::Object(d))
        })
        .collect();
    json!({"name": t.name, "short_name": t.short_name, "params": params})
}

// ---- state ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    pub id: u64,
    pub name: String,
    pub check_type: String,
    /// Type parameters as given (booleans as `"1"`), in the type's parameter order.
    pub data: Vec<(String, String)>,
    pub check_interval: u32,
    pub delay: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Contact {
    pub id: u64,
    pub contact_type: String,
    pub rel: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Alert {
    pub id: u64,
    pub check_id: u64,
    pub contact_id: u64,
}

/// This category's part of an account.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub checks: BTreeMap<u64, Check>,
    pub contacts: BTreeMap<u64, Contact>,
    pub alerts: BTreeMap<u64, Alert>,
}

impl State {
    /// Whether `id` (as sent, e.g. dns2 `monitor_id`) names one of the checks.
    pub fn has_check(&self, id: &str) -> bool {
        parse_id(id).is_some_and(|id| self.checks.contains_key(&id))
    }
}

fn parse_id(id: &str) -> Option<u64> {
    id.trim().parse().ok()
}

/// An id-keyed object, or `[]` when empty (PHP's empty array; INFERRED).
fn keyed(entries: impl Iterator<Item = (u64, Value)>) -> Value {
    let map: Map<String, Value> = entries.map(|(id, v)| (id.to_string(), v)).collect();
    if map.is_empty() {
        Value::Array(Vec::new())
    } else {
        Value::Object(map)
    }
}

pub(crate) fn handle(ctx: &mut Ctx<'_>, action: &str) -> Option<Outcome> {
    let p = ctx.p;
    Some(match action {
        "check-list" => Ok(ok(obj([(
            "checks",
            keyed(
                ctx.account
                    .monitor
                    .checks
                    .values()
                    .map(|c| (c.id, check_json(c))),
            ),
        )]))),
        "check-types" => Ok(ok(obj([(
            "types",
            Value::Object(
                CHECK_TYPES
                    .iter()
                    .map(|t| (t.code.to_owned(), type_json(t)))
                    .collect(),
            ),
        )]))),
        "check-add" => check_add(ctx),
        "check-remove" => p.req("check_id").and_then(|id| {
            let state = &mut ctx.account.monitor;
            let id = parse_id(id)
                .filter(|id| state.checks.remove(id).is_some())
                .ok_or("invalid check")?;
            state.alerts.retain(|_, a| a.check_id != id);
            Ok(done())
        }),
        "contact-list" => Ok(ok(obj([(
            "contacts",
            keyed(ctx.account.monitor.contacts.values().map(|c| {
                (
                    c.id,
                    json!({"id": s(c.id), "type": c.contact_type, "rel": c.rel}),
                )
            })),
        )]))),
        "contact-add" => contact_add(ctx),
        "contact-remove" => p.req("contact_id").and_then(|id| {
            let state = &mut ctx.account.monitor;
            let id = parse_id(id)
                .filter(|id| state.contacts.remove(id).is_some())
                .ok_or("invalid contact")?;
            state.alerts.retain(|_, a| a.contact_id != id);
            Ok(done())
        }),
        "alert-list" => p.req("check_id").and_then(|id| {
            let state = &ctx.account.monitor;
            let id = parse_id(id)
                .filter(|id| state.checks.contains_key(id))
                .ok_or("invalid check")?;
            Ok(ok(obj([(
                "alerts",
                keyed(state.alerts.values().filter(|a| a.check_id == id).map(|a| {
                    (
                        a.id,
                        json!({"id": s(a.id), "check_id": s(a.check_id), "contact_id": s(a.contact_id)}),
                    )
                })),
            )])))
        }),
        "alert-add" => alert_add(ctx),
        "alert-remove" => p.req("alert_id").and_then(|id| {
            parse_id(id)
                .and_then(|id| ctx.account.monitor.alerts.remove(&id))
                .map(|_| done())
                .ok_or_else(|| "invalid alert".to_owned())
        }),
        _ => return None,
    })
}

fn check_json(c: &Check) -> Value {
    let t = check_type(&c.check_type);
    let spec = |key: &str| t.and_then(|t| t.params.iter().find(|p| p.key == key));
    let data: Map<String, Value> = c.data.iter().map(|(k, v)| (k.clone(), s(v))).collect();
    let nice: Vec<(String, String)> = c
        .data
        .iter()
        .map(|(k, v)| {
            let shown = match spec(k) {
                Some(p) if p.secret => "********".to_owned(),
                Some(ParamSpec {
                    kind: Kind::Boolean,
                    ..
                }) => "yes".to_owned(),
                Some(ParamSpec {
                    kind: Kind::Choice(values),
                    ..
                }) => values
                    .iter()
                    .find(|(value, _)| value == v)
                    .map_or(v.clone(), |(_, label)| (*label).to_owned()),
                _ => v.clone(),
            };
            (k.clone(), shown)
        })
        .collect();
    let summary = nice
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let data_nice: Map<String, Value> = nice.into_iter().map(|(k, v)| (k, s(v))).collect();
    json!({
        "id": s(c.id),
        "name": c.name,
        "type": c.check_type,
        // A JSON string, encoded the PHP way (slashes escaped) like the rest of the answer.
        "data": php_json(&Value::Object(data)),
        "data_nice": if data_nice.is_empty() { json!([]) } else { Value::Object(data_nice) },
        "data_summary": summary,
        "check_interval": s(c.check_interval),
        "delay": s(c.delay),
        "enabled": "1",
        "status": "online",
        "type_details": t.map_or(json!([]), type_json),
    })
}

fn number_in(p: &Params, key: &str, min: u32, max: u32, what: &str) -> Result<u32, String> {
    p.req(key)?
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| format!("invalid {what}"))
}

fn check_add(ctx: &mut Ctx<'_>) -> Outcome {
    let p = ctx.p;
    let name = p.req("name")?.trim().to_owned();
    let code = p.req("type")?;
    p.req("check_interval")?;
    p.req("delay")?;
    let t = check_type(code).ok_or("invalid check type")?;
    let check_interval = number_in(
        p,
        "check_interval",
        MIN_INTERVAL,
        MAX_INTERVAL,
        "check interval",
    )?;
    let delay = number_in(p, "delay", 0, MAX_DELAY, "delay")?;
    let mut data = Vec::new();
    for spec in t.params {
        // dns's `name` and `type` share check-add's own parameter names (how the service
        // separates them is UNKNOWN): the check's name is the queried name, as a plain
        // merge of the parameters would make it, and `type` (= "dns") cannot be a record
        // type, so the record type stays at its default.
        let given = match spec.key {
            "name" => Some(name.as_str()),
            "type" | "check_interval" | "delay" => None,
            key => p.opt(key).map(str::trim),
        };
        let Some(value) = given else {
            if spec.required {
                return Err(format!("{} not set", spec.key));
            }
            continue;
        };
        if let Some(value) = check_value(spec, value)? {
            data.push((spec.key.to_owned(), value));
        }
    }
    let id = ctx.account.next_id();
    ctx.account.monitor.checks.insert(
        id,
        Check {
            id,
            name,
            check_type: t.code.to_owned(),
            data,
            check_interval,
            delay,
        },
    );
    Ok(ok(obj([("check_id", s(id))])))
}

/// The value to store for a given parameter (`None`: a false boolean, stored as absent), or
/// `invalid {key}`.
fn check_value(spec: &ParamSpec, value: &str) -> Result<Option<String>, String> {
    let invalid = || format!("invalid {}", spec.key);
    match spec.kind {
        Kind::Boolean => {
            return match value.to_ascii_lowercase().as_str() {
                "1" | "yes" | "true" | "on" => Ok(Some("1".into())),
                "0" | "no" | "false" | "off" => Ok(None),
                _ => Err(invalid()),
            }
        }
        Kind::Choice(values) => {
            return if values.iter().any(|(v, _)| *v == value) {
                Ok(Some(value.to_owned()))
            } else {
                Err(invalid())
            }
        }
        Kind::Text => {}
    }
    let valid = match spec.rule {
        Rule::Any => true,
        Rule::Host => valid_host(value),
        Rule::HostPort => valid_host_port(value),
        Rule::HostMaybePort => valid_host(value) || valid_host_port(value),
        Rule::Url => valid_url(value),
        Rule::Range(min, max) => value.parse::<u32>().is_ok_and(|n| (min..=max).contains(&n)),
        Rule::Headers => value
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .all(|l| l.split_once(':').is_some_and(|(k, _)| !k.trim().is_empty())),
    };
    if valid {
        Ok(Some(value.to_owned()))
    } else {
        Err(invalid())
    }
}

/// An IP address or a host name (letters, digits, inner hyphens; optional final dot).
fn valid_host(host: &str) -> bool {
    if host.parse::<IpAddr>().is_ok() {
        return true;
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        // All-numeric dotted names are malformed IPv4 addresses, not host names.
        && !name.split('.').all(|l| l.bytes().all(|b| b.is_ascii_digit()))
}

fn valid_host_port(value: &str) -> bool {
    if value.parse::<SocketAddr>().is_ok() {
        return true;
    }
    value.rsplit_once(':').is_some_and(|(host, port)| {
        !host.contains(':') && valid_host(host) && port.parse::<u16>().is_ok_and(|p| p > 0)
    })
}

fn valid_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split_once(']').is_some_and(|(ip, port)| {
            ip.parse::<std::net::Ipv6Addr>().is_ok()
                && (port.is_empty()
                    || port
                        .strip_prefix(':')
                        .is_some_and(|p| p.parse::<u16>().is_ok_and(|p| p > 0)))
        });
    }
    valid_host(host_port) || valid_host_port(host_port)
}

/// A phone number: an optional `+`, then 7–15 digits with optional spaces, dots, dashes and
/// parentheses.
fn valid_phone(number: &str) -> bool {
    let body = number.strip_prefix('+').unwrap_or(number);
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    (7..=15).contains(&digits)
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'.' | b'-' | b'(' | b')'))
}

fn contact_add(ctx: &mut Ctx<'_>) -> Outcome {
    let p = ctx.p;
    let kind = p.req("type")?;
    let rel = p.req("rel")?.trim().to_owned();
    if !CONTACT_TYPES.contains(&kind) {
        return Err("invalid contact type".into());
    }
    match kind {
        "email" if !super::email::valid_address(&rel) => {
            return Err("invalid e-mail address".into())
        }
        "sms_twilio" if !valid_phone(&rel) => return Err("invalid phone number".into()),
        "http" if !valid_url(&rel) => return Err("invalid URL".into()),
        _ => {}
    }
    let state = &ctx.account.monitor;
    if state
        .contacts
        .values()
        .any(|c| c.contact_type == kind && c.rel == rel)
    {
        return Err("contact already exists".into());
    }
    let id = ctx.account.next_id();
    ctx.account.monitor.contacts.insert(
        id,
        Contact {
            id,
            contact_type: kind.to_owned(),
            rel,
        },
    );
    Ok(ok(obj([("contact_id", s(id))])))
}

fn alert_add(ctx: &mut Ctx<'_>) -> Outcome {
    let p = ctx.p;
    let check_id = p.req("check_id")?;
    let contact_id = p.req("contact_id")?;
    let state = &ctx.account.monitor;
    let check_id = parse_id(check_id)
        .filter(|id| state.checks.contains_key(id))
        .ok_or("invalid check")?;
    let contact_id = parse_id(contact_id)
        .filter(|id| state.contacts.contains_key(id))
        .ok_or("invalid contact")?;
    if state
        .alerts
        .values()
        .any(|a| a.check_id == check_id && a.contact_id == contact_id)
    {
        return Err("alert already exists".into());
    }
    let id = ctx.account.next_id();
    ctx.account.monitor.alerts.insert(
        id,
        Alert {
            id,
            check_id,
            contact_id,
        },
    );
    Ok(ok(obj([("alert_id", s(id))])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_syntax() {
        assert!(valid_host("example.com") && valid_host("2602:ffb6::1") && valid_host("1.2.3.4"));
        assert!(!valid_host("1.2.3.999") && !valid_host("a b") && !valid_host("x;rm"));
        assert!(valid_host_port("example.com:443") && valid_host_port("[2602:ffb6::1]:22"));
        assert!(!valid_host_port("example.com") && !valid_host_port("example.com:0"));
        assert!(valid_url("https://example.com/") && valid_url("http://u:p@[::1]:8080/x?y"));
        assert!(
            !valid_url("ftp://example.com") && !valid_url("https:// x") && !valid_url("https://")
        );
        assert!(
            valid_phone("+1 (416) 555-0100")
                && !valid_phone("12345")
                && !valid_phone("+1 555 CALL")
        );
    }

    #[test]
    fn catalogue_is_consistent() {
        for t in CHECK_TYPES {
            for p in t.params {
                if let (Kind::Choice(values), Some(default)) = (p.kind, p.default) {
                    assert!(
                        values.iter().any(|(v, _)| *v == default),
                        "{}.{}",
                        t.code,
                        p.key
                    );
                }
                if let (Rule::Range(min, max), Some(default)) = (p.rule, p.default) {
                    let n: u32 = default.parse().unwrap();
                    assert!((min..=max).contains(&n), "{}.{}", t.code, p.key);
                }
            }
        }
    }
}
