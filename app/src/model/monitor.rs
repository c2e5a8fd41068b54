//! Monitoring (`monitor/*`, reference §15) as the pages and the server share it: checks with
//! their status, contacts, the alerts tying them together, which DNS records fail over on a
//! check, and the checks of the forms (unit-tested here, checked again on the server).
//!
//! The check form is built from what `monitor/check-types` answers ([`CheckTypeView`]): no
//! type or parameter is known to the panel in advance. Contact types have no list action:
//! the seed's spelling (`email`, `sms_twilio`, `http`; reference §15) is [`CONTACT_KINDS`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::FieldErrors;

/// Seconds between two runs of a check (INFERRED bounds: the docs' sample uses 60).
pub const MIN_INTERVAL: u32 = 60;
pub const MAX_INTERVAL: u32 = 86_400;
/// The default interval offered.
pub const DEFAULT_INTERVAL: u32 = 60;
/// Consecutive results before a check's status flips (the current API's `delay`, which
/// replaced the old `fail_count`/`success_count`; bounds INFERRED).
pub const MIN_DELAY: u32 = 1;
pub const MAX_DELAY: u32 = 100;
pub const DEFAULT_DELAY: u32 = 2;
/// Longest check name the panel sends.
pub const MAX_NAME: usize = 64;
/// Longest parameter value the panel sends (HTTP bodies and headers included).
pub const MAX_PARAM: usize = 2000;

/// How one parameter is typed in the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParamInput {
    Text,
    Boolean,
    /// `(value, label)` choices, in the order Luna Node sent them.
    Choice(Vec<(String, String)>),
}

/// One parameter of a check type, as `check-types` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamView {
    pub code: String,
    /// The label (the code when Luna Node gave none).
    pub label: String,
    pub input: ParamInput,
    pub required: bool,
    pub default: String,
    pub help: String,
    pub placeholder: String,
}

/// A check type and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckTypeView {
    pub code: String,
    /// `Ping (ICMP)`; the code when Luna Node gave no name.
    pub name: String,
    /// `Ping`; the name when there is no short one.
    pub short_name: String,
    pub params: Vec<ParamView>,
}

/// A check's status as last reported. Luna Node reports only the current status (no
/// history, no time of the last run): the last result is this status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckStatus {
    Up,
    Down,
    /// Disabled at Luna Node.
    Disabled,
    /// A word the panel does not know (shown as it came), or none.
    Other(String),
}

impl CheckStatus {
    pub fn read(status: &str, enabled: bool) -> Self {
        if !enabled {
            return CheckStatus::Disabled;
        }
        match status.trim().to_ascii_lowercase().as_str() {
            "online" | "up" | "ok" => CheckStatus::Up,
            "offline" | "down" | "fail" | "failed" => CheckStatus::Down,
            _ => CheckStatus::Other(status.trim().to_owned()),
        }
    }

    pub fn label(&self) -> String {
        match self {
            CheckStatus::Up => "Up".into(),
            CheckStatus::Down => "Down".into(),
            CheckStatus::Disabled => "Disabled".into(),
            CheckStatus::Other(w) if w.is_empty() => "Unknown".into(),
            CheckStatus::Other(w) => w.clone(),
        }
    }

    /// The badge class (`status-running` green, `status-error` red, `status-stopped` grey).
    pub fn class(&self) -> &'static str {
        match self {
            CheckStatus::Up => "status status-running",
            CheckStatus::Down => "status status-error",
            CheckStatus::Disabled | CheckStatus::Other(_) => "status status-stopped",
        }
    }

    /// Sorts down checks first.
    pub fn rank(&self) -> i64 {
        match self {
            CheckStatus::Down => 0,
            CheckStatus::Other(_) => 1,
            CheckStatus::Disabled => 2,
            CheckStatus::Up => 3,
        }
    }
}

/// An alert as a check shows it: which contact hears about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckAlert {
    pub alert_id: String,
    pub contact_id: String,
    /// `E-mail ops@example.com`; for a contact the caller cannot see, a neutral word.
    pub contact: String,
    /// Whether the caller may see (and remove) it.
    pub visible: bool,
}

/// A DNS record that drops out of answers while the check fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsUse {
    pub zone_id: String,
    /// The zone's name for display.
    pub zone: String,
    /// The record's name relative to the zone (`@` for the zone itself).
    pub name: String,
    pub rtype: String,
    pub data: String,
}

impl DnsUse {
    /// `www.example.com (A 192.0.2.1)`.
    pub fn describe(&self) -> String {
        let fqdn = if self.name == "@" || self.name.is_empty() {
            self.zone.clone()
        } else {
            format!("{}.{}", self.name, self.zone)
        };
        format!("{fqdn} ({} {})", self.rtype, self.data)
    }
}

/// Words for a check's DNS records: "used by 2 DNS records: a, b" (`None` for none).
pub fn dns_use_text(uses: &[DnsUse]) -> Option<String> {
    if uses.is_empty() {
        return None;
    }
    let names: Vec<String> = uses.iter().map(DnsUse::describe).collect();
    Some(format!(
        "Used for failover by {}: {}",
        plural(uses.len(), "DNS record", "DNS records"),
        names.join(", ")
    ))
}

pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// One check as the list and its page show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRow {
    pub id: String,
    /// The name (the id when Luna Node gave none).
    pub name: String,
    pub type_code: String,
    /// The type's short name, or its code when `check-types` does not know it.
    pub type_name: String,
    /// What it checks, one line (`target: 192.0.2.1`).
    pub summary: String,
    /// Every parameter: (label, value as shown).
    pub params: Vec<(String, String)>,
    pub interval: Option<u32>,
    pub delay: Option<u32>,
    pub status: CheckStatus,
    /// `None` when the alerts could not be read.
    pub alerts: Option<Vec<CheckAlert>>,
    /// `None` when the DNS records could not be read.
    pub dns: Option<Vec<DnsUse>>,
}

impl CheckRow {
    pub fn path(&self) -> String {
        format!("/monitoring/checks/{}", self.id)
    }

    /// "every 60 s" or "every 5 min".
    pub fn every(&self) -> String {
        match self.interval {
            None => "–".into(),
            Some(s) if s >= 3600 && s % 3600 == 0 => format!("every {} h", s / 3600),
            Some(s) if s >= 60 && s % 60 == 0 => format!("every {} min", s / 60),
            Some(s) => format!("every {s} s"),
        }
    }

    /// What must be typed to remove it.
    pub fn confirm_word(&self) -> &str {
        &self.name
    }
}

/// A contact's type as the panel offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactKind {
    /// Luna Node's word (seed spelling, reference §15).
    pub code: &'static str,
    pub label: &'static str,
    /// What `rel` is for this type.
    pub value_label: &'static str,
    pub placeholder: &'static str,
}

/// The contact types: e-mail, SMS (Twilio) and HTTP (a webhook).
pub const CONTACT_KINDS: &[ContactKind] = &[
    ContactKind {
        code: "email",
        label: "E-mail",
        value_label: "E-mail address",
        placeholder: "ops@example.com",
    },
    ContactKind {
        code: "sms_twilio",
        label: "SMS",
        value_label: "Phone number",
        placeholder: "+1 416 555 0100",
    },
    ContactKind {
        code: "http",
        label: "HTTP",
        value_label: "URL",
        placeholder: "https://hooks.example.com/alert",
    },
];

pub fn contact_kind(code: &str) -> Option<&'static ContactKind> {
    CONTACT_KINDS.iter().find(|k| k.code == code)
}

/// `E-mail ops@example.com`; an unknown type is shown as Luna Node wrote it.
pub fn describe_contact(code: &str, value: &str) -> String {
    let label = contact_kind(code).map_or(code, |k| k.label);
    let label = if label.is_empty() { "Contact" } else { label };
    if value.is_empty() {
        label.to_owned()
    } else {
        format!("{label} {value}")
    }
}

/// An alert as a contact shows it: which check it hears about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactAlert {
    pub alert_id: String,
    pub check_id: String,
    pub check: String,
}

/// One contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRow {
    pub id: String,
    pub kind: String,
    /// `E-mail`, `SMS`, `HTTP`, or Luna Node's word.
    pub kind_label: String,
    pub value: String,
    /// The checks it hears about (of those whose alerts could be read).
    pub alerts: Vec<ContactAlert>,
}

impl ContactRow {
    pub fn describe(&self) -> String {
        describe_contact(&self.kind, &self.value)
    }
}

/// `(used, limit)` of a customer's quota.
pub type Quota = (u32, Option<u32>);

/// The monitoring page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorView {
    pub checks: Vec<CheckRow>,
    /// Every check's id and name, for the contacts' alerts: whole even when `checks` is
    /// one page of them.
    #[serde(default)]
    pub check_names: Vec<(String, String)>,
    pub contacts: Vec<ContactRow>,
    /// The check types for the add form (empty when they could not be read).
    pub types: Vec<CheckTypeView>,
    /// What could not be read (alerts, DNS records, the check types), for a note.
    pub problem: Option<String>,
    /// A customer's checks and contacts against their quota.
    pub check_quota: Option<Quota>,
    pub contact_quota: Option<Quota>,
}

/// A check's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckDetail {
    pub check: CheckRow,
    /// The caller's contacts (to alert one more).
    pub contacts: Vec<ContactRow>,
    pub problem: Option<String>,
}

/// The add-check form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewCheck {
    pub name: String,
    pub check_type: String,
    pub interval: String,
    pub delay: String,
    /// Parameter code → value (booleans `yes` or empty).
    pub params: BTreeMap<String, String>,
}

/// A check ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCheck {
    pub name: String,
    pub check_type: String,
    pub interval: u32,
    pub delay: u32,
    pub params: BTreeMap<String, String>,
}

/// The field of a parameter's error (`param-url`).
pub fn param_field(code: &str) -> String {
    format!("param-{code}")
}

fn number(text: &str, min: u32, max: u32) -> Option<u32> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
}

fn has_control(s: &str, allow_newlines: bool) -> bool {
    s.chars()
        .any(|c| c.is_control() && !(allow_newlines && (c == '\n' || c == '\r' || c == '\t')))
}

impl NewCheck {
    /// The check, or every problem beside its field (`name`, `check_type`, `interval`,
    /// `delay`, `param-<code>`), against the types `check-types` answered.
    pub fn check(&self, types: &[CheckTypeView]) -> Result<CheckedCheck, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.add("name", "Give the check a name.");
        } else if name.chars().count() > MAX_NAME {
            errors.add("name", format!("At most {MAX_NAME} characters."));
        } else if has_control(name, false) {
            errors.add("name", "The name cannot hold control characters.");
        }
        let interval = number(&self.interval, MIN_INTERVAL, MAX_INTERVAL);
        if interval.is_none() {
            errors.add(
                "interval",
                format!("Enter the seconds between two runs, {MIN_INTERVAL} to {MAX_INTERVAL}."),
            );
        }
        let delay = number(&self.delay, MIN_DELAY, MAX_DELAY);
        if delay.is_none() {
            errors.add(
                "delay",
                format!(
                    "Enter how many results in a row change the status, {MIN_DELAY} to {MAX_DELAY}."
                ),
            );
        }
        let mut params = BTreeMap::new();
        match types.iter().find(|t| t.code == self.check_type.trim()) {
            None => errors.add("check_type", "Choose a type of check."),
            Some(t) => {
                for p in &t.params {
                    let given = self.params.get(&p.code).map_or("", |v| v.trim());
                    let field = param_field(&p.code);
                    match &p.input {
                        ParamInput::Boolean => {
                            let on = matches!(
                                given.to_ascii_lowercase().as_str(),
                                "yes" | "1" | "true" | "on"
                            );
                            if on {
                                params.insert(p.code.clone(), "yes".to_owned());
                            } else if p.required {
                                params.insert(p.code.clone(), "no".to_owned());
                            }
                        }
                        ParamInput::Choice(values) => {
                            let value = if given.is_empty() {
                                p.default.trim()
                            } else {
                                given
                            };
                            if value.is_empty() {
                                if p.required {
                                    errors.add(&field, format!("Choose the {}.", p.label));
                                }
                            } else if values.iter().any(|(v, _)| v == value) {
                                params.insert(p.code.clone(), value.to_owned());
                            } else {
                                errors
                                    .add(&field, format!("Choose one of the {} offered.", p.label));
                            }
                        }
                        ParamInput::Text => {
                            if given.is_empty() {
                                if p.required {
                                    errors.add(&field, format!("Enter the {}.", p.label));
                                }
                            } else if given.chars().count() > MAX_PARAM {
                                errors.add(&field, format!("At most {MAX_PARAM} characters."));
                            } else if has_control(given, true) {
                                errors.add(&field, "This cannot hold control characters.");
                            } else {
                                params.insert(p.code.clone(), given.to_owned());
                            }
                        }
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CheckedCheck {
            name: name.to_owned(),
            check_type: self.check_type.trim().to_owned(),
            interval: interval.unwrap_or(DEFAULT_INTERVAL),
            delay: delay.unwrap_or(DEFAULT_DELAY),
            params,
        })
    }
}

/// The add-contact form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewContact {
    /// A code of [`CONTACT_KINDS`].
    pub kind: String,
    /// The address, number or URL.
    pub value: String,
}

/// A phone number as sent: `+` and digits, the spaces, dots, dashes and parentheses typed
/// taken out; 7 to 15 digits (E.164 allows at most 15).
pub fn phone_number(typed: &str) -> Result<String, &'static str> {
    let t = typed.trim();
    let (plus, body) = match t.strip_prefix('+') {
        Some(b) => ("+", b),
        None => ("", t),
    };
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')'))
    {
        return Err("Enter a phone number of digits, e.g. +1 416 555 0100.");
    }
    let digits: String = body.chars().filter(char::is_ascii_digit).collect();
    if !(7..=15).contains(&digits.len()) {
        return Err("A phone number has 7 to 15 digits; start with + and the country code.");
    }
    Ok(format!("{plus}{digits}"))
}

/// Why `url` is not a URL a webhook can be sent to, if it is not.
pub fn webhook_problem(url: &str) -> Option<&'static str> {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return Some("Enter a URL starting with https:// (or http://).");
    };
    if url.len() > MAX_PARAM || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("A URL cannot hold spaces or control characters.");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split_once(']')
            .map_or("", |(h, _)| h.trim_start_matches('['))
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    if host.is_empty() || (!host.contains('.') && !host.contains(':') && host != "localhost") {
        return Some("The URL needs a host name, e.g. https://hooks.example.com/alert.");
    }
    None
}

impl NewContact {
    /// `(type, value as sent)`, or the problem beside `kind` or `value`.
    pub fn check(&self) -> Result<(String, String), FieldErrors> {
        let mut errors = FieldErrors::new();
        let Some(kind) = contact_kind(self.kind.trim()) else {
            errors.add("kind", "Choose e-mail, SMS or HTTP.");
            return Err(errors);
        };
        let value = self.value.trim();
        let checked = if value.is_empty() {
            Err(match kind.code {
                "email" => "Enter the e-mail address.".to_owned(),
                "sms_twilio" => "Enter the phone number.".to_owned(),
                _ => "Enter the URL.".to_owned(),
            })
        } else {
            match kind.code {
                "email" => match crate::validate::email_problem(value) {
                    Some(p) => Err(p.to_owned()),
                    None => Ok(value.to_owned()),
                },
                "sms_twilio" => phone_number(value).map_err(str::to_owned),
                _ => match webhook_problem(value) {
                    Some(p) => Err(p.to_owned()),
                    None => Ok(value.to_owned()),
                },
            }
        };
        match checked {
            Ok(v) => Ok((kind.code.to_owned(), v)),
            Err(p) => {
                errors.add("value", p);
                Err(errors)
            }
        }
    }
}

/// What "monitor this VM" offers: the VM's public address and the caller's checks on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmMonitoring {
    /// Empty when the VM has no public address (yet).
    pub ip: String,
    /// `(id, name, type)` of the caller's checks that watch the address.
    pub checks: Vec<(String, String, String)>,
    /// Whether `check-types` offers ping and HTTP.
    pub ping: bool,
    pub http: bool,
}

/// What "monitor this VM" did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchReport {
    pub added: Vec<String>,
    pub existed: Vec<String>,
    pub failed: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types() -> Vec<CheckTypeView> {
        vec![CheckTypeView {
            code: "icmp".into(),
            name: "Ping (ICMP)".into(),
            short_name: "Ping".into(),
            params: vec![
                ParamView {
                    code: "target".into(),
                    label: "Target".into(),
                    input: ParamInput::Text,
                    required: true,
                    default: String::new(),
                    help: String::new(),
                    placeholder: String::new(),
                },
                ParamView {
                    code: "packetloss".into(),
                    label: "Trigger on Packet Loss".into(),
                    input: ParamInput::Boolean,
                    required: false,
                    default: String::new(),
                    help: String::new(),
                    placeholder: String::new(),
                },
                ParamView {
                    code: "force_ip".into(),
                    label: "Force IP Version".into(),
                    input: ParamInput::Choice(vec![
                        ("0".into(), "Any".into()),
                        ("4".into(), "IPv4".into()),
                    ]),
                    required: false,
                    default: "0".into(),
                    help: String::new(),
                    placeholder: String::new(),
                },
            ],
        }]
    }

    fn form(name: &str, interval: &str, delay: &str, target: &str) -> NewCheck {
        NewCheck {
            name: name.into(),
            check_type: "icmp".into(),
            interval: interval.into(),
            delay: delay.into(),
            params: [("target".to_owned(), target.to_owned())].into(),
        }
    }

    #[test]
    fn a_check_is_checked_against_its_type() {
        let c = form(" web ", "300", "2", " 192.0.2.1 ")
            .check(&types())
            .unwrap();
        assert_eq!((c.name.as_str(), c.interval, c.delay), ("web", 300, 2));
        assert_eq!(
            c.params.into_iter().collect::<Vec<_>>(),
            [
                ("force_ip".to_owned(), "0".to_owned()),
                ("target".to_owned(), "192.0.2.1".to_owned())
            ],
            "the choice's default is sent, the unticked boolean is not"
        );
        let e = form("", "59", "0", "").check(&types()).unwrap_err();
        for f in ["name", "interval", "delay", "param-target"] {
            assert!(e.get(f).is_some(), "{f}: {e:?}");
        }
        let e = form("x", "86401", "101", "h").check(&types()).unwrap_err();
        assert!(e.get("interval").is_some() && e.get("delay").is_some());
        assert!(e.get("name").is_none() && e.get("param-target").is_none());
        let mut f = form("x", "60", "1", "h");
        f.check_type = "smtp".into();
        assert!(f.check(&types()).unwrap_err().get("check_type").is_some());
        let mut f = form("x", "60", "1", "h");
        f.params.insert("force_ip".into(), "9".into());
        f.params.insert("packetloss".into(), "yes".into());
        let e = f.check(&types()).unwrap_err();
        assert!(e.get("param-force_ip").is_some(), "{e:?}");
        f.params.insert("force_ip".into(), "4".into());
        assert_eq!(f.check(&types()).unwrap().params["packetloss"], "yes");
        let f = form("bad\u{7}", "60", "1", "a\u{0}b");
        let e = f.check(&types()).unwrap_err();
        assert!(e.get("name").is_some() && e.get("param-target").is_some());
    }

    #[test]
    fn contacts_are_checked_per_type() {
        let c = |kind: &str, value: &str| {
            NewContact {
                kind: kind.into(),
                value: value.into(),
            }
            .check()
        };
        assert_eq!(
            c("email", " ops@example.com ").unwrap(),
            ("email".into(), "ops@example.com".into())
        );
        assert_eq!(
            c("sms_twilio", "+1 (416) 555-0100").unwrap().1,
            "+14165550100"
        );
        assert_eq!(
            c("http", "https://hooks.example.com/x?y=1").unwrap().1,
            "https://hooks.example.com/x?y=1"
        );
        for (kind, bad) in [
            ("email", "ops"),
            ("email", ""),
            ("sms_twilio", "12345"),
            ("sms_twilio", "+1 555 CALL NOW"),
            ("http", "ftp://example.com"),
            ("http", "https://exa mple.com"),
            ("http", "https://"),
        ] {
            let e = c(kind, bad).unwrap_err();
            assert!(e.get("value").is_some(), "{kind} {bad:?}: {e:?}");
        }
        assert!(c("pager", "x").unwrap_err().get("kind").is_some());
    }

    #[test]
    fn statuses_and_words() {
        assert_eq!(CheckStatus::read("online", true), CheckStatus::Up);
        assert_eq!(CheckStatus::read("OFFLINE", true), CheckStatus::Down);
        assert_eq!(CheckStatus::read("online", false), CheckStatus::Disabled);
        assert_eq!(
            CheckStatus::read("", true).label(),
            "Unknown",
            "no status is not a blank"
        );
        assert_eq!(CheckStatus::read("paused", true).label(), "paused");
        let uses = vec![
            DnsUse {
                zone_id: "1".into(),
                zone: "example.com".into(),
                name: "www".into(),
                rtype: "A".into(),
                data: "192.0.2.1".into(),
            },
            DnsUse {
                zone_id: "1".into(),
                zone: "example.com".into(),
                name: "@".into(),
                rtype: "A".into(),
                data: "192.0.2.1".into(),
            },
        ];
        assert_eq!(
            dns_use_text(&uses).unwrap(),
            "Used for failover by 2 DNS records: www.example.com (A 192.0.2.1), example.com (A 192.0.2.1)"
        );
        assert_eq!(dns_use_text(&[]), None);
        assert_eq!(describe_contact("sms_twilio", "+1555"), "SMS +1555");
        assert_eq!(describe_contact("voice", "+1555"), "voice +1555");
    }
}
