//! `monitor/*`: uptime checks, contacts and the alerts tying them together (reference §15).
//!
//! Parameters follow the CURRENT docs (DOCS-monitor, RUBY 2020), not the 2018 wiki, which is
//! stale here: check-add takes `name, type, check_interval, delay` plus the type's own
//! parameters as extra top-level parameters (the wiki's `fail_count`/`success_count` are
//! gone), and contact-add takes `type, rel` while contact-remove takes `contact_id` (the wiki
//! swapped them).
//!
//! Shapes: `check-list` (object keyed by check id) and `check-types` are CONFIRMED;
//! check-add, contact-list, contact-add, alert-list and alert-add answers are UNKNOWN —
//! decoded leniently (array or id-keyed object, `id` or `<thing>_id`, an add without an id
//! still succeeds with `None`).

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::email::either_id;
use super::Done;
use crate::server::lunanode::decode;

#[derive(Debug, Clone, Default, Serialize)]
pub struct MonitorCheckList {}

/// `{"success":"yes","checks":{"1261":{…}}}` — an object keyed by check id (CONFIRMED),
/// `[]` when there are none (INFERRED PHP artefact); an array is accepted too.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MonitorChecks {
    /// Row by row: a row without an id is left out (logged once), the rest kept.
    #[serde(default, deserialize_with = "decode::rows")]
    pub checks: Vec<MonitorCheck>,
}

/// One check (CONFIRMED fields, DOCS-monitor).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MonitorCheck {
    #[serde(deserialize_with = "decode::id")]
    pub id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    /// The type code: `icmp`, `tcp`, `http`, `ssl_expire`, `dns`.
    #[serde(rename = "type", default, deserialize_with = "decode::text")]
    pub check_type: String,
    /// The type parameters as a JSON string, e.g. `{"target":"1.2.3.4"}`; see [`Self::params`].
    #[serde(default, deserialize_with = "decode::text")]
    pub data: String,
    /// The same parameters for display.
    #[serde(default, deserialize_with = "decode::lenient_map")]
    pub data_nice: BTreeMap<String, Value>,
    /// One line for display, e.g. `target: 1.2.3.4`.
    #[serde(default, deserialize_with = "decode::text")]
    pub data_summary: String,
    /// Seconds between two runs; `None` when empty or not a number (unknown).
    #[serde(default, deserialize_with = "decode::lenient_num")]
    pub check_interval: Option<u32>,
    /// Consecutive intervals with the new result before the status flips; `None` when
    /// empty or not a number (unknown).
    #[serde(default, deserialize_with = "decode::lenient_num")]
    pub delay: Option<u32>,
    #[serde(default, deserialize_with = "decode::flag")]
    pub enabled: bool,
    /// `online` or `offline` (GOBEARMON enum).
    #[serde(default, deserialize_with = "decode::text")]
    pub status: String,
    /// The type's entry of `check-types`, when sent as an object.
    #[serde(default, deserialize_with = "opt_check_type")]
    pub type_details: Option<MonitorCheckType>,
}

impl MonitorCheck {
    /// The type parameters, from `data` (falling back to `data_nice`), every value as text.
    pub fn params(&self) -> BTreeMap<String, String> {
        let from_data = match serde_json::from_str::<Value>(&self.data) {
            Ok(Value::Object(map)) => Some(map.into_iter().collect::<BTreeMap<_, _>>()),
            _ => None,
        };
        from_data
            .unwrap_or_else(|| self.data_nice.clone())
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s,
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect()
    }

    pub fn is_online(&self) -> bool {
        self.status.eq_ignore_ascii_case("online")
    }
}

/// `type_details`: an object decodes as a type; anything else (`""`, `[]`, missing) is `None`.
fn opt_check_type<'de, D: Deserializer<'de>>(d: D) -> Result<Option<MonitorCheckType>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        Some(v @ Value::Object(_)) => serde_json::from_value(v)
            .map(Some)
            .map_err(serde::de::Error::custom),
        _ => Ok(None),
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MonitorCheckTypes {}

/// `{"success":"yes","types":{"icmp":{…},…}}` keyed by type code (CONFIRMED).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MonitorCheckTypesResponse {
    #[serde(default, deserialize_with = "decode::keyed")]
    pub types: BTreeMap<String, MonitorCheckType>,
}

/// A check type and the parameters check-add accepts for it (CONFIRMED structure).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MonitorCheckType {
    /// E.g. `Ping (ICMP)`.
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    /// E.g. `Ping`.
    #[serde(default, deserialize_with = "decode::text")]
    pub short_name: String,
    /// Parameter code → descriptor.
    #[serde(default, deserialize_with = "decode::keyed")]
    pub params: BTreeMap<String, MonitorCheckParam>,
}

/// A parameter descriptor: keys `name`, `type`, `required` (`"1"`/`""`), optional `default`,
/// `help`, `placeholder` (CONFIRMED).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MonitorCheckParam {
    /// Display label.
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: ParamKind,
    #[serde(default, deserialize_with = "decode::flag")]
    pub required: bool,
    /// `""` when there is none.
    #[serde(default, deserialize_with = "decode::text")]
    pub default: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub help: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub placeholder: String,
}

/// A parameter's `type`: `"string"`, `"boolean"`, or an object of allowed value → label
/// (CONFIRMED, e.g. `force_ip`'s `{"0":"Any","4":"IPv4","6":"IPv6"}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ParamKind {
    #[default]
    Text,
    Boolean,
    /// Allowed value → label.
    Choice(BTreeMap<String, String>),
    /// A type word this client does not know; treat as text.
    Other(String),
}

impl<'de> Deserialize<'de> for ParamKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = |v: Value| match v {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        };
        Ok(match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => ParamKind::Text,
            Some(Value::String(s)) => match s.as_str() {
                "string" | "text" | "" => ParamKind::Text,
                "boolean" | "bool" | "checkbox" => ParamKind::Boolean,
                _ => ParamKind::Other(s),
            },
            Some(Value::Object(map)) => {
                ParamKind::Choice(map.into_iter().map(|(k, v)| (k, text(v))).collect())
            }
            // A PHP list of values (labels = values); `[]` is an empty choice.
            Some(Value::Array(items)) => ParamKind::Choice(
                items
                    .into_iter()
                    .map(|v| {
                        let v = text(v);
                        (v.clone(), v)
                    })
                    .collect(),
            ),
            Some(other) => ParamKind::Other(other.to_string()),
        })
    }
}

/// `monitor/check-add` (CURRENT params; the wiki's `fail_count`/`success_count` are stale,
/// reference §15). The type's parameters travel as extra top-level parameters.
///
/// dns's `name` and `type` parameters share their names with the check's own; how the
/// service tells them apart is UNKNOWN. The check's own values are always the ones sent
/// (entries named `name`, `type`, `check_interval` or `delay` in `params` are dropped), so a
/// dns check queries its own name and the record type stays at its default — name dns
/// checks after the host name they query.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MonitorCheckAdd {
    pub name: String,
    /// A code from `check-types`.
    #[serde(rename = "type")]
    pub check_type: String,
    /// Seconds between two runs.
    pub check_interval: u32,
    /// Consecutive intervals before the status flips.
    pub delay: u32,
    /// The type's parameters (code → value; booleans as `yes`/`no`, choices as their value).
    /// Empty values are not sent.
    #[serde(flatten)]
    pub params: CheckParams,
}

impl MonitorCheckAdd {
    pub fn new(name: &str, check_type: &str, check_interval: u32, delay: u32) -> Self {
        Self {
            name: name.to_owned(),
            check_type: check_type.to_owned(),
            check_interval,
            delay,
            params: CheckParams::default(),
        }
    }

    /// Adds one type parameter.
    pub fn param(mut self, code: &str, value: &str) -> Self {
        self.params.0.insert(code.to_owned(), value.to_owned());
        self
    }
}

/// check-add's own parameter names, which a type parameter cannot override.
const CHECK_ADD_PARAMS: &[&str] = &["name", "type", "check_interval", "delay"];

/// A check type's parameters, sent flattened into check-add's parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckParams(pub BTreeMap<String, String>);

impl Serialize for CheckParams {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (k, v) in &self.0 {
            if !v.is_empty() && !CHECK_ADD_PARAMS.contains(&k.as_str()) {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

/// UNKNOWN shape; INFERRED `{"check_id":"…"}`. `id` or no id at all is accepted too.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "RawCheckAdded")]
pub struct MonitorCheckAdded {
    pub check_id: Option<String>,
}

#[derive(Deserialize)]
struct RawCheckAdded {
    #[serde(default, deserialize_with = "decode::opt_id")]
    check_id: Option<String>,
    #[serde(default, deserialize_with = "decode::opt_id")]
    id: Option<String>,
}

impl From<RawCheckAdded> for MonitorCheckAdded {
    fn from(raw: RawCheckAdded) -> Self {
        MonitorCheckAdded {
            check_id: raw.check_id.or(raw.id),
        }
    }
}

/// Removes the check and its alerts.
#[derive(Debug, Clone, Serialize)]
pub struct MonitorCheckRemove {
    pub check_id: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MonitorContactList {}

/// UNKNOWN layout; INFERRED `contacts` keyed by id like `checks`. Array accepted too.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MonitorContacts {
    #[serde(default, deserialize_with = "decode::collection")]
    pub contacts: Vec<MonitorContact>,
}

/// One contact. UNKNOWN fields; INFERRED `id`, `type`, `rel` (GOBEARMON also suggests
/// `data` for `rel`, accepted too).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawContact")]
pub struct MonitorContact {
    pub id: String,
    /// `email`, `sms_twilio` or `http` (seed spelling; reference §15).
    pub contact_type: String,
    /// The e-mail address, phone number or URL.
    pub rel: String,
}

#[derive(Deserialize)]
struct RawContact {
    #[serde(default, deserialize_with = "decode::opt_id")]
    id: Option<String>,
    #[serde(default, deserialize_with = "decode::opt_id")]
    contact_id: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "decode::text")]
    contact_type: String,
    #[serde(default, deserialize_with = "decode::text")]
    rel: String,
    #[serde(default, deserialize_with = "decode::text")]
    data: String,
}

impl TryFrom<RawContact> for MonitorContact {
    type Error = String;

    fn try_from(raw: RawContact) -> Result<Self, String> {
        Ok(MonitorContact {
            id: either_id(raw.id, raw.contact_id, "contact")?,
            contact_type: raw.contact_type,
            rel: if raw.rel.is_empty() {
                raw.data
            } else {
                raw.rel
            },
        })
    }
}

/// `monitor/contact-add` takes `type` and `rel` (DOCS-monitor, RUBY 2020; the wiki put them
/// on contact-remove by mistake).
#[derive(Debug, Clone, Serialize)]
pub struct MonitorContactAdd {
    /// `email`, `sms_twilio` or `http`.
    #[serde(rename = "type")]
    pub contact_type: String,
    /// E-mail address, phone number or URL.
    pub rel: String,
}

/// UNKNOWN shape; INFERRED `{"contact_id":"…"}`. `id` or no id at all is accepted too.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "RawContactAdded")]
pub struct MonitorContactAdded {
    pub contact_id: Option<String>,
}

#[derive(Deserialize)]
struct RawContactAdded {
    #[serde(default, deserialize_with = "decode::opt_id")]
    contact_id: Option<String>,
    #[serde(default, deserialize_with = "decode::opt_id")]
    id: Option<String>,
}

impl From<RawContactAdded> for MonitorContactAdded {
    fn from(raw: RawContactAdded) -> Self {
        MonitorContactAdded {
            contact_id: raw.contact_id.or(raw.id),
        }
    }
}

/// `monitor/contact-remove` takes `contact_id` (the wiki's `type, rel` here are wrong).
#[derive(Debug, Clone, Serialize)]
pub struct MonitorContactRemove {
    pub contact_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MonitorAlertList {
    pub check_id: String,
}

/// UNKNOWN layout; INFERRED `alerts` keyed by id. Array accepted too.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MonitorAlerts {
    #[serde(default, deserialize_with = "decode::collection")]
    pub alerts: Vec<MonitorAlert>,
}

/// One alert: this contact is notified when this check changes status. UNKNOWN fields;
/// INFERRED from GOBEARMON columns.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawAlert")]
pub struct MonitorAlert {
    pub id: String,
    /// `""` when not sent.
    pub check_id: String,
    /// `""` when not sent.
    pub contact_id: String,
}

#[derive(Deserialize)]
struct RawAlert {
    #[serde(default, deserialize_with = "decode::opt_id")]
    id: Option<String>,
    #[serde(default, deserialize_with = "decode::opt_id")]
    alert_id: Option<String>,
    #[serde(default, deserialize_with = "decode::text")]
    check_id: String,
    #[serde(default, deserialize_with = "decode::text")]
    contact_id: String,
}

impl TryFrom<RawAlert> for MonitorAlert {
    type Error = String;

    fn try_from(raw: RawAlert) -> Result<Self, String> {
        Ok(MonitorAlert {
            id: either_id(raw.id, raw.alert_id, "alert")?,
            check_id: raw.check_id,
            contact_id: raw.contact_id,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MonitorAlertAdd {
    pub check_id: String,
    pub contact_id: String,
}

/// UNKNOWN shape; INFERRED `{"alert_id":"…"}`. `id` or no id at all is accepted too.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "RawAlertAdded")]
pub struct MonitorAlertAdded {
    pub alert_id: Option<String>,
}

#[derive(Deserialize)]
struct RawAlertAdded {
    #[serde(default, deserialize_with = "decode::opt_id")]
    alert_id: Option<String>,
    #[serde(default, deserialize_with = "decode::opt_id")]
    id: Option<String>,
}

impl From<RawAlertAdded> for MonitorAlertAdded {
    fn from(raw: RawAlertAdded) -> Self {
        MonitorAlertAdded {
            alert_id: raw.alert_id.or(raw.id),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MonitorAlertRemove {
    pub alert_id: String,
}

super::actions! {
    const MONITOR_ACTIONS;
    /// Every check with its parameters and status.
    monitor_check_list: read "monitor/check-list", MonitorCheckList => MonitorChecks;
    /// The check types and their parameter descriptors.
    monitor_check_types: read "monitor/check-types", MonitorCheckTypes => MonitorCheckTypesResponse;
    /// Adds a check; answers its id when the service sends one.
    monitor_check_add: write "monitor/check-add", MonitorCheckAdd => MonitorCheckAdded;
    /// Removes a check.
    monitor_check_remove: write "monitor/check-remove", MonitorCheckRemove => Done;
    /// The alert contacts.
    monitor_contact_list: read "monitor/contact-list", MonitorContactList => MonitorContacts;
    /// Adds a contact; answers its id when the service sends one.
    monitor_contact_add: write "monitor/contact-add", MonitorContactAdd => MonitorContactAdded;
    /// Removes a contact.
    monitor_contact_remove: write "monitor/contact-remove", MonitorContactRemove => Done;
    /// The alerts of one check.
    monitor_alert_list: read "monitor/alert-list", MonitorAlertList => MonitorAlerts;
    /// Alerts a contact about a check; answers the alert id when the service sends one.
    monitor_alert_add: write "monitor/alert-add", MonitorAlertAdd => MonitorAlertAdded;
    /// Removes an alert.
    monitor_alert_remove: write "monitor/alert-remove", MonitorAlertRemove => Done;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::lunanode::params;
    #[test]
    fn an_odd_check_row_does_not_blank_the_list() {
        let c: MonitorChecks = serde_json::from_str(
            r#"{"success":"yes","checks":{
                "1":{"id":"1","name":"ok","type":"icmp","check_interval":"60","delay":"1","status":"online"},
                "2":{"id":"2","name":"odd interval","type":"icmp","check_interval":"","delay":"1"},
                "3":{"id":"3","name":"odd delay","type":"icmp","check_interval":"60","delay":null},
                "4":{"name":"no id","type":"icmp","check_interval":"60","delay":"1"}}}"#,
        )
        .expect("one odd check must not fail the whole check-list");
        let ids: Vec<&str> = c.checks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            ["1", "2", "3"],
            "checks with an unknown number are kept"
        );
        let numbers: Vec<(Option<u32>, Option<u32>)> = c
            .checks
            .iter()
            .map(|c| (c.check_interval, c.delay))
            .collect();
        assert_eq!(
            numbers,
            [(Some(60), Some(1)), (None, Some(1)), (Some(60), None)]
        );
    }

    #[test]
    fn decodes_the_reference_check_list() {
        // DOCS-monitor sample (CONFIRMED), with an abridged type_details.
        let body = r#"{
  "success": "yes",
  "checks": {
    "1261": {
      "id": "1261",
      "name": "ping-1.2.3.4",
      "type": "icmp",
      "data": "{\"target\":\"1.2.3.4\"}",
      "data_nice": {"target": "1.2.3.4"},
      "data_summary": "target: 1.2.3.4",
      "check_interval": "60",
      "delay": "1",
      "enabled": "1",
      "status": "online",
      "type_details": {"name": "Ping (ICMP)", "short_name": "Ping", "params": {
        "target": {"name": "Target", "type": "string", "required": "1", "placeholder": "e.g. example.com or 1.2.3.4 or 2602:ffb6::1"}}}
    }
  }
}"#;
        let list: MonitorChecks = serde_json::from_str(body).unwrap();
        let c = &list.checks[0];
        assert_eq!(
            (c.id.as_str(), c.name.as_str(), c.check_type.as_str()),
            ("1261", "ping-1.2.3.4", "icmp")
        );
        assert_eq!((c.check_interval, c.delay), (Some(60), Some(1)));
        assert!(c.enabled && c.is_online());
        assert_eq!(c.params()["target"], "1.2.3.4");
        assert_eq!(c.data_nice["target"], "1.2.3.4");
        assert_eq!(c.data_summary, "target: 1.2.3.4");
        let details = c.type_details.as_ref().unwrap();
        assert_eq!(details.short_name, "Ping");
        assert!(details.params["target"].required);

        for empty in [r#"{"success":"yes","checks":[]}"#, r#"{"success":"yes"}"#] {
            assert!(serde_json::from_str::<MonitorChecks>(empty)
                .unwrap()
                .checks
                .is_empty());
        }
        // PHP-escaped slashes inside `data`, data_nice as `[]`, no type_details.
        let c: MonitorChecks = serde_json::from_str(
            r#"{"success":"yes","checks":[{"id":7,"name":"web","type":"http","data":"{\"url\":\"https:\\/\\/example.com\\/\"}",
                "data_nice":[],"check_interval":300,"delay":"2","enabled":"","status":"offline","type_details":""}]}"#,
        )
        .unwrap();
        let c = &c.checks[0];
        assert_eq!(c.params()["url"], "https://example.com/");
        assert!(!c.enabled && !c.is_online() && c.type_details.is_none());
    }

    #[test]
    fn decodes_the_reference_check_types() {
        // DOCS-monitor excerpt (CONFIRMED structure; the dns entry abridged as in the source).
        let body = r#"{
  "success": "yes",
  "types": {
    "icmp": {
      "name": "Ping (ICMP)",
      "short_name": "Ping",
      "params": {
        "target":     {"name": "Target", "type": "string", "required": "1",
                       "placeholder": "e.g. example.com or 1.2.3.4 or 2602:ffb6::1"},
        "packetloss": {"name": "Trigger on Packet Loss", "type": "boolean", "required": "",
                       "default": "", "help": "Trigger check failure even if only some of the ICMP packets are dropped."},
        "force_ip":   {"name": "Force IP Version", "required": "", "default": "0",
                       "type": {"0": "Any", "4": "IPv4", "6": "IPv6"},
                       "help": "Force IP version when connecting (assuming a domain name is provided)."}
      }
    },
    "dns": {"name": "DNS", "params": {"expect": {"name": "Expected Response", "type": "string", "required": "", "placeholder": "e.g. 1.2.3.4", "help": "Substring to look for in the query response."},
                                        "name": {"name": "Name", "help": "Name to perform query on."}}}
  }
}"#;
        let t: MonitorCheckTypesResponse = serde_json::from_str(body).unwrap();
        let icmp = &t.types["icmp"];
        assert_eq!(
            (icmp.name.as_str(), icmp.short_name.as_str()),
            ("Ping (ICMP)", "Ping")
        );
        let target = &icmp.params["target"];
        assert!(target.required && target.kind == ParamKind::Text);
        assert_eq!(target.default, "");
        assert_eq!(icmp.params["packetloss"].kind, ParamKind::Boolean);
        assert!(!icmp.params["packetloss"].required);
        let ParamKind::Choice(values) = &icmp.params["force_ip"].kind else {
            panic!("force_ip is an enum");
        };
        assert_eq!(values["6"], "IPv6");
        assert_eq!(icmp.params["force_ip"].default, "0");
        let dns = &t.types["dns"];
        assert_eq!(dns.short_name, "");
        assert_eq!(dns.params["name"].kind, ParamKind::Text, "type missing");
        assert_eq!(dns.params["expect"].placeholder, "e.g. 1.2.3.4");
        let empty: MonitorCheckTypesResponse =
            serde_json::from_str(r#"{"success":"yes","types":{"x":{"name":"X","params":[]}}}"#)
                .unwrap();
        assert!(empty.types["x"].params.is_empty());
    }

    #[test]
    fn check_add_sends_type_params_at_the_top_level() {
        let req = MonitorCheckAdd::new("web", "http", 60, 2)
            .param("url", "https://example.com/")
            .param("method", "GET")
            .param("body", "")
            .param("name", "overridden?")
            .param("type", "A");
        let p = params(&req).unwrap();
        let expected: BTreeMap<String, String> = [
            ("name", "web"),
            ("type", "http"),
            ("check_interval", "60"),
            ("delay", "2"),
            ("url", "https://example.com/"),
            ("method", "GET"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            p, expected,
            "no fail_count/success_count, no empty or clashing params"
        );
    }

    #[test]
    fn contact_params_follow_the_current_docs() {
        let p = params(&MonitorContactAdd {
            contact_type: "email".into(),
            rel: "ops@example.com".into(),
        })
        .unwrap();
        assert_eq!(
            p.iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
            [("rel", "ops@example.com"), ("type", "email")]
        );
        let p = params(&MonitorContactRemove {
            contact_id: "5".into(),
        })
        .unwrap();
        assert_eq!(p.keys().collect::<Vec<_>>(), ["contact_id"]);
    }

    #[test]
    fn decodes_unknown_shapes_leniently() {
        let c: MonitorContacts = serde_json::from_str(
            r#"{"success":"yes","contacts":{"4002":{"id":"4002","type":"email","rel":"ops@example.com"}}}"#,
        )
        .unwrap();
        assert_eq!(
            c.contacts,
            [MonitorContact {
                id: "4002".into(),
                contact_type: "email".into(),
                rel: "ops@example.com".into()
            }]
        );
        let c: MonitorContacts = serde_json::from_str(
            r#"{"success":"yes","contacts":[{"contact_id":9,"type":"http","data":"https://hook.example/x"}]}"#,
        )
        .unwrap();
        assert_eq!(
            (c.contacts[0].id.as_str(), c.contacts[0].rel.as_str()),
            ("9", "https://hook.example/x")
        );
        let a: MonitorAlerts = serde_json::from_str(
            r#"{"success":"yes","alerts":{"4005":{"id":"4005","check_id":"4001","contact_id":"4002","type":"both","enabled":"1"}}}"#,
        )
        .unwrap();
        assert_eq!(
            (
                a.alerts[0].check_id.as_str(),
                a.alerts[0].contact_id.as_str()
            ),
            ("4001", "4002")
        );
        assert!(
            serde_json::from_str::<MonitorAlerts>(r#"{"success":"yes","alerts":[]}"#)
                .unwrap()
                .alerts
                .is_empty()
        );
        let added: MonitorCheckAdded =
            serde_json::from_str(r#"{"success":"yes","check_id":"4001"}"#).unwrap();
        assert_eq!(added.check_id.as_deref(), Some("4001"));
        let added: MonitorContactAdded =
            serde_json::from_str(r#"{"success":"yes","id":12}"#).unwrap();
        assert_eq!(added.contact_id.as_deref(), Some("12"));
        let added: MonitorAlertAdded = serde_json::from_str(r#"{"success":"yes"}"#).unwrap();
        assert_eq!(added.alert_id, None);
    }
}
