//! `dns/*`: legacy DNS — reverse DNS for the account's IPs, dynamic DNS names, and the old
//! zone/record actions (reference §14).
//!
//! Status: `list` CONFIRMED (CS sample); `set` CONFIRMED in use (WHMCS), possibly deprecated;
//! `dyn-list` CONFIRMED as an object keyed by id (BTCPAY, GOGS); `dyn-add`/`-update`/
//! `-remove` answer nothing but `success` (INFERRED). The legacy zone/record actions are in
//! the 2018 wiki only and their answers are UNKNOWN: they are decoded leniently (ids may be
//! missing; lists read from `zones`/`records`, array or id-keyed, or numbered top-level keys)
//! and the panel should prefer `dns2`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::dns2::listed;
use super::Done;
use crate::server::lunanode::decode;

/// Hostname shown by `dns/list` for an address without reverse DNS (CONFIRMED).
pub const RDNS_NOT_SET: &str = "[not set]";

/// What `dns/set` takes as the hostname to reset an address's reverse DNS (CONFIRMED, WHMCS).
pub const RDNS_RESET: &str = ".";

#[derive(Debug, Clone, Default, Serialize)]
pub struct DnsList {}

/// The reverse-DNS table of the account's addresses (CONFIRMED, CS sample).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReverseDnsTable {
    /// Row by row: a row without an address is left out (logged once), the rest kept.
    #[serde(default, deserialize_with = "decode::rows")]
    pub dns: Vec<ReverseDns>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReverseDns {
    #[serde(default, deserialize_with = "decode::text")]
    pub vm_name: String,
    /// An integer in 2015 samples, a UUID today: opaque.
    #[serde(default, deserialize_with = "decode::text")]
    pub vm_id: String,
    pub ip: String,
    /// `5.113.0.203.rdns.lunanode.com.`-style default, a custom name, or [`RDNS_NOT_SET`].
    #[serde(default, deserialize_with = "decode::text")]
    pub hostname: String,
}

impl ReverseDns {
    /// The custom or default PTR name, `None` when the service shows [`RDNS_NOT_SET`].
    pub fn ptr(&self) -> Option<&str> {
        (!self.hostname.is_empty() && self.hostname != RDNS_NOT_SET)
            .then_some(self.hostname.as_str())
    }
}

/// `dns/set`: the PTR name of one of the account's addresses; [`RDNS_RESET`] (`"."`)
/// restores the default.
#[derive(Debug, Clone, Serialize)]
pub struct DnsSet {
    pub ip: String,
    pub hostname: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DnsZoneList {}

/// Legacy zones (UNKNOWN shape; see the module doc).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Value")]
pub struct DnsZones {
    pub zones: Vec<DnsZone>,
}

impl TryFrom<Value> for DnsZones {
    type Error = serde_json::Error;

    fn try_from(body: Value) -> Result<Self, Self::Error> {
        Ok(DnsZones {
            zones: listed(&body, "zones", &[("id", "zone_id"), ("origin", "name")])?,
        })
    }
}

/// A legacy zone: field names follow the parameters (INFERRED); `zone_id` and `name` are
/// read when `id` and `origin` are missing.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DnsZone {
    #[serde(deserialize_with = "decode::id")]
    pub id: String,
    /// `example.tld.`
    #[serde(default, deserialize_with = "decode::text")]
    pub origin: String,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub ttl: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DnsZoneAdd {
    /// `example.tld.` (WIKI).
    pub origin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
}

/// `dns/zone-add`'s answer (UNKNOWN): `zone_id` if the service sends one (INFERRED).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DnsZoneAdded {
    #[serde(default, deserialize_with = "decode::opt_id")]
    pub zone_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DnsZoneRemove {
    pub zone_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DnsRecordList {
    pub zone_id: String,
}

/// A legacy zone's records (UNKNOWN shape; see the module doc).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Value")]
pub struct DnsRecords {
    pub records: Vec<DnsRecord>,
}

impl TryFrom<Value> for DnsRecords {
    type Error = serde_json::Error;

    fn try_from(body: Value) -> Result<Self, Self::Error> {
        Ok(DnsRecords {
            records: listed(&body, "records", &[("id", "record_id")])?,
        })
    }
}

/// A legacy record: field names follow the parameters (INFERRED); `record_id` is read when
/// `id` is missing.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DnsRecord {
    #[serde(deserialize_with = "decode::id")]
    pub id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    /// Kept as sent; see [`DnsRecord::kind`].
    #[serde(rename = "type", default, deserialize_with = "decode::text")]
    pub record_type: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub data: String,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub ttl: Option<u32>,
}

impl DnsRecord {
    pub fn kind(&self) -> Option<DnsRecordType> {
        self.record_type.parse().ok()
    }
}

/// The legacy record types (CONFIRMED list, WIKI). Priorities live in `data`
/// (`10 mail.example.com.`): the legacy API has no `aux`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[allow(clippy::upper_case_acronyms)] // spelled as the API spells them
pub enum DnsRecordType {
    A,
    AAAA,
    CNAME,
    HINFO,
    MX,
    NAPTR,
    NS,
    PTR,
    RP,
    SRV,
    TXT,
}

impl DnsRecordType {
    pub const ALL: [DnsRecordType; 11] = [
        Self::A,
        Self::AAAA,
        Self::CNAME,
        Self::HINFO,
        Self::MX,
        Self::NAPTR,
        Self::NS,
        Self::PTR,
        Self::RP,
        Self::SRV,
        Self::TXT,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::AAAA => "AAAA",
            Self::CNAME => "CNAME",
            Self::HINFO => "HINFO",
            Self::MX => "MX",
            Self::NAPTR => "NAPTR",
            Self::NS => "NS",
            Self::PTR => "PTR",
            Self::RP => "RP",
            Self::SRV => "SRV",
            Self::TXT => "TXT",
        }
    }
}

super::text_enum!(DnsRecordType);

/// `dns/record-add` (legacy; all parameters required, WIKI).
#[derive(Debug, Clone, Serialize)]
pub struct DnsRecordAdd {
    pub zone_id: String,
    /// `www` (WIKI); `@` or the full name also work in the emulator.
    pub name: String,
    /// `1.2.3.4`; for MX `10 mail.example.com.`, for SRV `priority weight port target`.
    pub data: String,
    pub ttl: u32,
    #[serde(rename = "type")]
    pub record_type: DnsRecordType,
}

/// `dns/record-add`'s answer (UNKNOWN): `record_id` as in `dns2` (INFERRED).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DnsRecordAdded {
    #[serde(default, deserialize_with = "decode::opt_id")]
    pub record_id: Option<String>,
}

/// Legacy records are removed by id alone (WIKI).
#[derive(Debug, Clone, Serialize)]
pub struct DnsRecordRemove {
    pub record_id: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DnsDynList {}

/// Dynamic DNS names (CONFIRMED: `dyns` keyed by id).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DnsDyns {
    #[serde(default, deserialize_with = "decode::collection")]
    pub dyns: Vec<DnsDyn>,
}

/// One dynamic name (CONFIRMED fields, BTCPAY/GOGS).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DnsDyn {
    #[serde(deserialize_with = "decode::id")]
    pub id: String,
    /// The label under the service's dynamic domain (`btcpay123456` for
    /// `btcpay123456.lndyn.com`, INFERRED).
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub ip: String,
}

/// `dns/dyn-add`. The answer carries no id (INFERRED: BTCPAY finds its entry again by name
/// in `dyn-list`).
#[derive(Debug, Clone, Serialize)]
pub struct DnsDynAdd {
    pub name: String,
    pub ip: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DnsDynUpdate {
    pub dyn_id: String,
    pub name: String,
    pub ip: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DnsDynRemove {
    pub dyn_id: String,
}

super::actions! {
    const DNS_ACTIONS;
    /// Reverse DNS of every public address of the account's VMs.
    dns_list: read "dns/list", DnsList => ReverseDnsTable;
    /// Sets (or with `"."` resets) an address's reverse DNS.
    dns_set: write "dns/set", DnsSet => Done;
    /// Legacy zones.
    dns_zone_list: read "dns/zone-list", DnsZoneList => DnsZones;
    dns_zone_add: write "dns/zone-add", DnsZoneAdd => DnsZoneAdded;
    dns_zone_remove: write "dns/zone-remove", DnsZoneRemove => Done;
    /// A legacy zone's records.
    dns_record_list: read "dns/record-list", DnsRecordList => DnsRecords;
    dns_record_add: write "dns/record-add", DnsRecordAdd => DnsRecordAdded;
    dns_record_remove: write "dns/record-remove", DnsRecordRemove => Done;
    /// Dynamic DNS names.
    dns_dyn_list: read "dns/dyn-list", DnsDynList => DnsDyns;
    dns_dyn_add: write "dns/dyn-add", DnsDynAdd => Done;
    dns_dyn_update: write "dns/dyn-update", DnsDynUpdate => Done;
    dns_dyn_remove: write "dns/dyn-remove", DnsDynRemove => Done;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::lunanode::params;
    #[test]
    fn an_odd_reverse_dns_row_does_not_blank_the_table() {
        let t: ReverseDnsTable = serde_json::from_str(
            r#"{"success":"yes","dns":[
                {"vm_name":"a","vm_id":"1","ip":"203.0.113.5","hostname":"a.example."},
                {"vm_name":"b","vm_id":"2","ip":null,"hostname":"b.example."},
                {"vm_name":null,"vm_id":null,"ip":"203.0.113.7","hostname":null}]}"#,
        )
        .expect("one odd rDNS row must not fail the whole dns/list");
        let ips: Vec<&str> = t.dns.iter().map(|r| r.ip.as_str()).collect();
        assert_eq!(ips, ["203.0.113.5", "203.0.113.7"]);
    }

    #[test]
    fn decodes_reference_samples() {
        let table: ReverseDnsTable = serde_json::from_str(
            r#"{"success": "yes", "dns": [
  {"vm_name": "www-lunanode-toronto", "vm_id": "11804", "ip": "203.0.113.5", "hostname": "5.113.0.203.rdns.lunanode.com."},
  {"vm_name": "www-lunanode-toronto", "vm_id": "11804", "ip": "2602:ffb6::5", "hostname": "[not set]"}
]}"#,
        )
        .unwrap();
        assert_eq!(table.dns.len(), 2);
        assert_eq!(table.dns[0].ptr(), Some("5.113.0.203.rdns.lunanode.com."));
        assert_eq!(
            (table.dns[1].ip.as_str(), table.dns[1].ptr()),
            ("2602:ffb6::5", None)
        );
        let numeric: ReverseDnsTable = serde_json::from_str(
            r#"{"success":"yes","dns":[{"vm_name":"x","vm_id":11804,"ip":"203.0.113.5","hostname":"a.example."}]}"#,
        )
        .unwrap();
        assert_eq!(numeric.dns[0].vm_id, "11804");

        let dyns: DnsDyns = serde_json::from_str(
            r#"{"success": "yes", "dyns": {"77": {"id": "77", "name": "btcpay123456", "ip": "203.0.113.5"}}}"#,
        )
        .unwrap();
        assert_eq!(
            dyns.dyns,
            [DnsDyn {
                id: "77".into(),
                name: "btcpay123456".into(),
                ip: "203.0.113.5".into()
            }]
        );
        let none: DnsDyns = serde_json::from_str(r#"{"success":"yes","dyns":[]}"#).unwrap();
        assert!(none.dyns.is_empty());
    }

    #[test]
    fn legacy_zone_and_record_answers_are_lenient() {
        let zones: DnsZones = serde_json::from_str(
            r#"{"success":"yes","zones":{"3":{"id":"3","origin":"example.tld.","ttl":"3600"}}}"#,
        )
        .unwrap();
        assert_eq!(
            (zones.zones[0].origin.as_str(), zones.zones[0].ttl),
            ("example.tld.", Some(3600))
        );
        let named: DnsZones =
            serde_json::from_str(r#"{"success":"yes","0":{"zone_id":4,"name":"example.org."}}"#)
                .unwrap();
        assert_eq!(
            (named.zones[0].id.as_str(), named.zones[0].origin.as_str()),
            ("4", "example.org.")
        );
        let empty: DnsZones = serde_json::from_str(r#"{"success":"yes","zones":[]}"#).unwrap();
        assert!(empty.zones.is_empty());

        let records: DnsRecords = serde_json::from_str(
            r#"{"success":"yes","records":[{"id":"8","name":"www.example.tld.","type":"MX","data":"10 mx.example.tld.","ttl":"300"}]}"#,
        )
        .unwrap();
        assert_eq!(records.records[0].kind(), Some(DnsRecordType::MX));
        let added: DnsRecordAdded =
            serde_json::from_str(r#"{"success":"yes","record_id":"8"}"#).unwrap();
        assert_eq!(added.record_id.as_deref(), Some("8"));
        let bare: DnsZoneAdded = serde_json::from_str(r#"{"success":"yes"}"#).unwrap();
        assert_eq!(bare.zone_id, None);
    }

    #[test]
    fn requests_send_only_what_is_set() {
        let p = params(&DnsZoneAdd {
            origin: "example.tld.".into(),
            ttl: None,
        })
        .unwrap();
        assert_eq!(p.len(), 1, "{p:?}");
        let p = params(&DnsZoneAdd {
            origin: "example.tld.".into(),
            ttl: Some(600),
        })
        .unwrap();
        assert_eq!(p["ttl"], "600");
        let p = params(&DnsRecordAdd {
            zone_id: "3".into(),
            name: "www".into(),
            data: "203.0.113.5".into(),
            ttl: 300,
            record_type: DnsRecordType::A,
        })
        .unwrap();
        assert_eq!(p["type"], "A");
        assert_eq!(p.len(), 5);
        let p = params(&DnsSet {
            ip: "203.0.113.5".into(),
            hostname: RDNS_RESET.into(),
        })
        .unwrap();
        assert_eq!(p["hostname"], ".");
    }

    #[test]
    fn record_types_round_trip() {
        for t in DnsRecordType::ALL {
            assert_eq!(t.as_str().parse::<DnsRecordType>(), Ok(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert!(
            "ALIAS".parse::<DnsRecordType>().is_err(),
            "ALIAS is dns2-only"
        );
    }
}
