//! DNS as pages show it: zones of both kinds (`dns2/*`, the current API, and the legacy
//! `dns/*` zones), their records with the dns2 routing policies, reverse DNS of the
//! account's addresses and dynamic DNS names (shared by the browser and the server; the
//! checks and the zone-file reader live on the server, in `crate::dns`).

use serde::{Deserialize, Serialize};

/// Record types `dns2/record-add` takes (reference §13, CONFIRMED).
pub const DNS2_TYPES: &[&str] = &[
    "A", "AAAA", "CNAME", "ALIAS", "MX", "NS", "TXT", "SPF", "SRV",
];

/// Record types of the legacy zones (WIKI: "Valid DNS record types are …").
pub const LEGACY_TYPES: &[&str] = &[
    "A", "AAAA", "CNAME", "HINFO", "MX", "NAPTR", "NS", "PTR", "RP", "SRV", "TXT",
];

/// The TTL a new record gets when the form leaves it empty (seconds).
pub const DEFAULT_TTL: u32 = 3600;

/// One zone of either kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneRow {
    pub id: String,
    /// As DNS writes it (IDN labels in `xn--` form), without the trailing dot.
    pub name: String,
    /// The name as people read it: Unicode for an internationalized name, else `name`.
    pub display: String,
    /// A zone of the legacy `dns/*` actions.
    pub legacy: bool,
    pub ttl: Option<u32>,
}

impl ZoneRow {
    /// The zone's page.
    pub fn path(&self) -> String {
        zone_path(self.legacy, &self.id)
    }
}

/// The page of zone `id` of either kind.
pub fn zone_path(legacy: bool, id: &str) -> String {
    if legacy {
        format!("/dns/legacy/{id}")
    } else {
        format!("/dns/zones/{id}")
    }
}

/// The caller's zones: both kinds, each marked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZonesView {
    pub zones: Vec<ZoneRow>,
    /// Why the legacy zones are missing, when Luna Node would not list them (the legacy
    /// actions may be retired: reference §14).
    pub problem: Option<String>,
}

/// A new zone as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewZone {
    /// `example.com`, or an internationalized name in either form.
    pub name: String,
    pub ttl: String,
    /// Make a legacy zone ("true") instead of a current one.
    pub legacy: bool,
}

/// How a dns2 record is chosen among the records of its name and type (reference §13:
/// `policy` none / latlong / region with `region`, `regiongroup`, `country`, `continent`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum Route {
    /// Every resolver gets it (round robin with its siblings).
    #[default]
    Plain,
    /// Answered to resolvers in this Luna Node region's area.
    Region(String),
    RegionGroup(String),
    /// Two-letter country code.
    Country(String),
    /// Two-letter continent code.
    Continent(String),
    /// Answered to the resolvers nearest to this point.
    LatLong(f64, f64),
}

impl Route {
    /// The form's word for it.
    pub fn key(&self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Region(_) => "region",
            Self::RegionGroup(_) => "regiongroup",
            Self::Country(_) => "country",
            Self::Continent(_) => "continent",
            Self::LatLong(..) => "latlong",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Plain => "Everyone".into(),
            Self::Region(r) => format!("Region {r}"),
            Self::RegionGroup(g) => format!("Region group {g}"),
            Self::Country(c) => format!("Country {c}"),
            Self::Continent(c) => format!("Continent {c}"),
            Self::LatLong(a, b) => format!("Nearest to {a}, {b}"),
        }
    }
}

/// The policies the record form offers, with the field each needs.
pub const ROUTES: &[(&str, &str)] = &[
    ("plain", "Everyone (plain or weighted)"),
    ("region", "Geo: a region"),
    ("regiongroup", "Geo: a region group"),
    ("country", "Geo: a country"),
    ("continent", "Geo: a continent"),
    ("latlong", "Geo: nearest to a point"),
];

/// Continent codes dns2 takes (INFERRED: the two-letter codes GeoIP databases use).
pub const CONTINENTS: &[(&str, &str)] = &[
    ("AF", "Africa"),
    ("AN", "Antarctica"),
    ("AS", "Asia"),
    ("EU", "Europe"),
    ("NA", "North America"),
    ("OC", "Oceania"),
    ("SA", "South America"),
];

/// One record of a zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordRow {
    pub id: String,
    /// Relative to the zone: `@` for the apex, `www`, `_dmarc`.
    pub name: String,
    pub rtype: String,
    pub data: String,
    pub ttl: Option<u32>,
    /// MX and SRV priority (dns2 `aux`); legacy records carry it in `data`.
    pub priority: Option<u32>,
    pub route: Route,
    /// 0: not weighted.
    pub weight: u32,
    /// Answered beyond the policy's area too (dns2 `global`, UNKNOWN in lists).
    pub global: Option<bool>,
    /// The monitor check that takes the record out of answers when it fails.
    pub monitor_id: String,
    /// Its name, when the caller can see the checks.
    pub monitor_name: String,
}

impl RecordRow {
    /// The policy column: route, weight and failover together.
    pub fn policy(&self) -> String {
        let mut parts = vec![self.route.describe()];
        if self.weight > 0 {
            parts.push(format!("weight {}", self.weight));
        }
        if !self.monitor_id.is_empty() {
            let check = if self.monitor_name.is_empty() {
                format!("check {}", self.monitor_id)
            } else {
                format!("check “{}”", self.monitor_name)
            };
            parts.push(format!("failover: off while {check} fails"));
        }
        parts.join(" · ")
    }
}

/// A zone's page: the zone and its records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneDetail {
    pub zone: ZoneRow,
    pub records: Vec<RecordRow>,
    /// The monitor checks a record's failover may name (empty when the caller cannot
    /// list them).
    pub checks: Vec<CheckChoice>,
    /// The account's region codes (for the region policy).
    pub regions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckChoice {
    pub id: String,
    pub name: String,
}

/// A record as typed in the form (every field text; checked on the server).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewRecord {
    pub rtype: String,
    pub name: String,
    pub data: String,
    pub ttl: String,
    pub priority: String,
    /// One of [`ROUTES`]' keys.
    pub route: String,
    pub weight: String,
    pub region: String,
    pub regiongroup: String,
    pub country: String,
    pub continent: String,
    pub latitude: String,
    pub longitude: String,
    pub monitor_id: String,
}

/// What one record type wants in its data field (the form's hint).
pub fn data_hint(rtype: &str, legacy: bool) -> &'static str {
    match (rtype, legacy) {
        ("A", _) => "An IPv4 address: 203.0.113.5",
        ("AAAA", _) => "An IPv6 address: 2001:db8::5",
        ("CNAME", _) | ("ALIAS", _) => {
            "A host name: www.example.net. (a trailing dot for a name outside the zone)"
        }
        ("MX", false) => {
            "The mail server's name: mail.example.com. (the priority goes in its own field)"
        }
        ("MX", true) => "Priority and mail server: 10 mail.example.com.",
        ("NS", _) => "A name server: ns1.example.net.",
        ("TXT", _) => {
            "Any text; quotes are added for you (paste a quoted value and they are taken off)"
        }
        ("SPF", _) => "v=spf1 … (most mail servers read SPF from a TXT record now)",
        ("SRV", false) => {
            "Weight, port and target: 5 5060 sip.example.com. (the priority goes in its own field)"
        }
        ("SRV", true) => "Priority, weight, port and target: 10 5 5060 sip.example.com.",
        ("PTR", _) => "A host name: host.example.com.",
        ("HINFO", _) => "CPU and OS, each quoted: \"Intel\" \"Linux\"",
        ("NAPTR", _) => "order preference \"flags\" \"service\" \"regexp\" replacement",
        ("RP", _) => "Mailbox and TXT name: admin.example.com. info.example.com.",
        _ => "The record's data",
    }
}

/// Whether records of `rtype` carry a priority of their own (dns2 `aux`).
pub fn has_priority(rtype: &str, legacy: bool) -> bool {
    !legacy && matches!(rtype, "MX" | "SRV")
}

/// The result of reading a BIND zone file against a zone: what would be added, and what
/// would not, each with its line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportPreview {
    pub add: Vec<ImportLine>,
    pub skipped: Vec<ImportLine>,
    /// After an import: how many were added (`None` for a preview).
    pub added: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportLine {
    /// 1-based line of the file (the first line of a record spread over several).
    pub line: usize,
    /// The record as it will be written (`www 3600 A 203.0.113.5`), or the line as read.
    pub text: String,
    /// Why it is skipped (empty for one to add).
    pub reason: String,
}

/// Reverse DNS of one address of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReverseRow {
    pub ip: String,
    pub vm_id: String,
    pub vm_name: String,
    /// The name set, without the trailing dot; empty when Luna Node's default applies.
    pub hostname: String,
    /// Luna Node's own default (`5.113.0.203.rdns.lunanode.com`) or "[not set]".
    pub default: bool,
}

/// A dynamic DNS name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DynRow {
    pub id: String,
    /// As Luna Node lists it (a label under lndyn.com: INFERRED).
    pub name: String,
    pub ip: String,
    /// The full name resolvers see.
    pub fqdn: String,
    /// Whether the panel holds an update link for it.
    pub has_link: bool,
}

/// The dynamic DNS page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DynView {
    pub dyns: Vec<DynRow>,
    /// The address this browser's request came from (offered for a new name).
    pub your_ip: String,
}

/// The domain Luna Node's dynamic names live under (INFERRED from BTCPAY's
/// `btcpayXXXXXX.lndyn.com`).
pub const DYN_DOMAIN: &str = "lndyn.com";

/// What "publish DNS for this VM" did, one line per record or setting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub fqdn: String,
    pub done: Vec<String>,
    /// Steps that failed or were skipped, in words.
    pub problems: Vec<String>,
}

/// The VM page's publish form: the zones the caller may write to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishOptions {
    pub zones: Vec<ZoneRow>,
    /// The VM's public addresses.
    pub addresses: Vec<String>,
    /// Their reverse DNS.
    pub reverse: Vec<ReverseRow>,
    /// A suggested name (the VM's host name's first label).
    pub suggested: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_column_reads_as_words() {
        let mut r = RecordRow {
            id: "1".into(),
            name: "www".into(),
            rtype: "A".into(),
            data: "203.0.113.5".into(),
            ttl: Some(60),
            priority: None,
            route: Route::Plain,
            weight: 0,
            global: None,
            monitor_id: String::new(),
            monitor_name: String::new(),
        };
        assert_eq!(r.policy(), "Everyone");
        r.weight = 5;
        r.route = Route::Country("CA".into());
        r.monitor_id = "7".into();
        r.monitor_name = "web".into();
        assert_eq!(
            r.policy(),
            "Country CA · weight 5 · failover: off while check “web” fails"
        );
        assert_eq!(zone_path(true, "3"), "/dns/legacy/3");
        assert!(has_priority("MX", false) && !has_priority("MX", true));
    }
}
