//! `dns2/*`: hosted DNS with geo routing, weights and monitor-linked failover (reference §13;
//! parameters CONFIRMED by DOCS-dns and WIKI).
//!
//! Shapes: `zone-list` is an object keyed by zone id (CONFIRMED, CERTBOT) and zone names
//! carry a trailing dot (CONFIRMED); `record-add` answers `record_id` (CONFIRMED). The
//! `zone-add` answer and the whole `record-list` answer are UNKNOWN, so they are decoded
//! leniently: `zone_id` may be missing, and records are read from `records` (array or
//! id-keyed object, INFERRED) or else from numbered top-level keys.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Done;
use crate::server::lunanode::decode;

/// The record types `dns2/record-add` takes (CONFIRMED, WIKI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[allow(clippy::upper_case_acronyms)] // spelled as the API spells them
pub enum Dns2RecordType {
    A,
    AAAA,
    CNAME,
    ALIAS,
    MX,
    NS,
    TXT,
    SPF,
    SRV,
}

impl Dns2RecordType {
    pub const ALL: [Dns2RecordType; 9] = [
        Self::A,
        Self::AAAA,
        Self::CNAME,
        Self::ALIAS,
        Self::MX,
        Self::NS,
        Self::TXT,
        Self::SPF,
        Self::SRV,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::AAAA => "AAAA",
            Self::CNAME => "CNAME",
            Self::ALIAS => "ALIAS",
            Self::MX => "MX",
            Self::NS => "NS",
            Self::TXT => "TXT",
            Self::SPF => "SPF",
            Self::SRV => "SRV",
        }
    }

    /// MX and SRV carry their priority in `aux` (WIKI).
    pub fn needs_aux(self) -> bool {
        matches!(self, Self::MX | Self::SRV)
    }
}

super::text_enum!(Dns2RecordType);

/// Geo-targeting policy of a record (CONFIRMED values, WIKI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dns2Policy {
    /// No geo-targeting.
    None,
    /// Answer with the record closest to the resolver's latitude/longitude.
    Latlong,
    /// Hierarchical region/country/continent routing.
    Region,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Dns2ZoneList {}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Dns2Zones {
    /// Keyed by zone id upstream (`[]` when empty).
    #[serde(default, deserialize_with = "decode::collection")]
    pub zones: Vec<Dns2Zone>,
}

/// One zone. `id` and `name` CONFIRMED (CERTBOT); `ttl` INFERRED.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Dns2Zone {
    #[serde(deserialize_with = "decode::id")]
    pub id: String,
    /// With a trailing dot: `example.com.` (CONFIRMED).
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub ttl: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dns2ZoneAdd {
    /// `example.com` (a trailing dot is accepted too).
    pub name: String,
    pub ttl: u32,
}

/// `dns2/zone-add`'s answer (UNKNOWN): `zone_id` by analogy with `record_id` (INFERRED);
/// `None` when the service does not say, in which case re-list the zones by name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Dns2ZoneAdded {
    #[serde(default, deserialize_with = "decode::opt_id")]
    pub zone_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dns2ZoneRemove {
    pub zone_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dns2RecordList {
    pub zone_id: String,
}

/// A zone's records (answer shape UNKNOWN, see the module doc).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Value")]
pub struct Dns2Records {
    pub records: Vec<Dns2Record>,
}

impl TryFrom<Value> for Dns2Records {
    type Error = serde_json::Error;

    fn try_from(body: Value) -> Result<Self, Self::Error> {
        Ok(Dns2Records {
            records: listed(&body, "records", &[("id", "record_id")])?,
        })
    }
}

/// Items under `key` (array, id-keyed object or `[]`), or, when there is no such key, the
/// numbered top-level keys: the two layouts the API uses for lists (reference §2.3).
/// `synonyms` are `(field, other spelling)` pairs for UNKNOWN shapes (see
/// [`decode::fill_synonyms`]).
pub(super) fn listed<T: DeserializeOwned>(
    body: &Value,
    key: &str,
    synonyms: &[(&str, &str)],
) -> Result<Vec<T>, serde_json::Error> {
    let items: Vec<Value> = match body.get(key) {
        Some(items) => decode::collection(items.clone())?,
        None => decode::numbered_top_level(body)?,
    };
    items
        .into_iter()
        .map(|item| decode::synonymous(item, synonyms))
        .collect()
}

/// One record. Field names follow `record-add`'s parameters (INFERRED; the list's fields
/// are UNKNOWN), so everything but `id` is optional.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Dns2Record {
    /// `id`, or `record_id` when only that is sent.
    #[serde(deserialize_with = "decode::id")]
    pub id: String,
    /// Fully qualified with a trailing dot in the emulator; may be relative upstream.
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    /// `A`, `MX`, … kept as sent so unknown types still list; see [`Dns2Record::kind`].
    #[serde(rename = "type", default, deserialize_with = "decode::text")]
    pub record_type: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub data: String,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub ttl: Option<u32>,
    /// MX/SRV priority.
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub aux: Option<u32>,
    /// `none`, `latlong` or `region` (`""` when not sent).
    #[serde(default, deserialize_with = "decode::text")]
    pub policy: String,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub weight: Option<u32>,
    #[serde(default, deserialize_with = "decode::text")]
    pub region: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub regiongroup: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub country: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub continent: String,
    /// Member of the global group (`None` when not sent).
    #[serde(default, deserialize_with = "decode::opt_flag")]
    pub global: Option<bool>,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub latitude: Option<f64>,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub longitude: Option<f64>,
    /// The monitor check that disables this record when it fails.
    #[serde(default, deserialize_with = "decode::opt_id")]
    pub monitor_id: Option<String>,
}

impl Dns2Record {
    /// The record type, if it is one `record-add` takes.
    pub fn kind(&self) -> Option<Dns2RecordType> {
        self.record_type.parse().ok()
    }
}

/// `dns2/record-add`: a new record, or with `orig_record_id` an in-place update of that
/// record (WIKI). Build with [`Dns2RecordAdd::new`] and set the options needed.
#[derive(Debug, Clone, Serialize)]
pub struct Dns2RecordAdd {
    pub zone_id: String,
    /// `www` or `www.example.com.` (WIKI).
    pub name: String,
    /// `1.2.3.4` for A, `other.example.org.` for CNAME/MX, `weight port target` for SRV.
    pub data: String,
    pub ttl: u32,
    #[serde(rename = "type")]
    pub record_type: Dns2RecordType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<Dns2Policy>,
    /// Non-zero on every record of a name/type: weighted answers (DOCS-dns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regiongroup: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continent: Option<String>,
    /// `Some(false)` takes the record out of the global group (sent as `no`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// Priority; required for MX and SRV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aux: Option<u32>,
    /// A `monitor/check-list` id: the record is disabled while that check fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitor_id: Option<String>,
    /// Update this record instead of creating one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orig_record_id: Option<String>,
}

impl Dns2RecordAdd {
    /// A plain record with no options set.
    pub fn new(
        zone_id: impl Into<String>,
        name: impl Into<String>,
        record_type: Dns2RecordType,
        data: impl Into<String>,
        ttl: u32,
    ) -> Self {
        Self {
            zone_id: zone_id.into(),
            name: name.into(),
            data: data.into(),
            ttl,
            record_type,
            policy: None,
            weight: None,
            region: None,
            regiongroup: None,
            country: None,
            continent: None,
            global: None,
            latitude: None,
            longitude: None,
            aux: None,
            monitor_id: None,
            orig_record_id: None,
        }
    }
}

/// `{"success":"yes","record_id":"456"}` (CONFIRMED, CERTBOT).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Dns2RecordAdded {
    #[serde(deserialize_with = "decode::id")]
    pub record_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dns2RecordRemove {
    pub zone_id: String,
    pub record_id: String,
}

super::actions! {
    const DNS2_ACTIONS;
    /// The account's zones.
    dns2_zone_list: read "dns2/zone-list", Dns2ZoneList => Dns2Zones;
    /// Creates a zone.
    dns2_zone_add: write "dns2/zone-add", Dns2ZoneAdd => Dns2ZoneAdded;
    /// Deletes a zone and its records.
    dns2_zone_remove: write "dns2/zone-remove", Dns2ZoneRemove => Done;
    /// A zone's records.
    dns2_record_list: read "dns2/record-list", Dns2RecordList => Dns2Records;
    /// Creates a record, or updates one in place with `orig_record_id`.
    dns2_record_add: write "dns2/record-add", Dns2RecordAdd => Dns2RecordAdded;
    /// Deletes a record.
    dns2_record_remove: write "dns2/record-remove", Dns2RecordRemove => Done;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::lunanode::params;

    #[test]
    fn decodes_reference_samples() {
        let zones: Dns2Zones = serde_json::from_str(
            r#"{"success": "yes", "zones": {
                  "123": {"id": "123", "name": "example.com.", "ttl": "3600"}
               }}"#,
        )
        .unwrap();
        assert_eq!(
            zones.zones,
            [Dns2Zone {
                id: "123".into(),
                name: "example.com.".into(),
                ttl: Some(3600)
            }]
        );
        let empty: Dns2Zones = serde_json::from_str(r#"{"success":"yes","zones":[]}"#).unwrap();
        assert!(empty.zones.is_empty(), "PHP's empty map is []");
        let added: Dns2RecordAdded =
            serde_json::from_str(r#"{"success": "yes", "record_id": "456"}"#).unwrap();
        assert_eq!(added.record_id, "456");
        let _: Done = serde_json::from_str(r#"{"success": "yes"}"#).unwrap();
    }

    #[test]
    fn zone_add_answer_is_lenient() {
        let with: Dns2ZoneAdded =
            serde_json::from_str(r#"{"success":"yes","zone_id":"77"}"#).unwrap();
        assert_eq!(with.zone_id.as_deref(), Some("77"));
        let number: Dns2ZoneAdded =
            serde_json::from_str(r#"{"success":"yes","zone_id":77}"#).unwrap();
        assert_eq!(number.zone_id.as_deref(), Some("77"));
        let without: Dns2ZoneAdded = serde_json::from_str(r#"{"success":"yes"}"#).unwrap();
        assert_eq!(without.zone_id, None);
    }

    #[test]
    fn records_in_every_layout() {
        let keyed: Dns2Records = serde_json::from_str(
            r#"{"success":"yes","records":{"9":{"id":"9","name":"www.example.com.","type":"A","data":"203.0.113.5",
                "ttl":"300","aux":"0","policy":"none","weight":"0","region":"","regiongroup":"","country":"",
                "continent":"","global":"yes","latitude":"","longitude":"","monitor_id":""},
                "10":{"id":"10","name":"example.com.","type":"MX","data":"mail.example.com.","ttl":"3600","aux":"10",
                "policy":"latlong","latitude":"43.65","longitude":"-79.38","global":"no","monitor_id":"4012"}}}"#,
        )
        .unwrap();
        let r = &keyed.records;
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].id.as_str(), r[0].kind(), r[0].ttl),
            ("9", Some(Dns2RecordType::A), Some(300))
        );
        assert_eq!(
            (r[0].global, r[0].monitor_id.as_deref()),
            (Some(true), None)
        );
        assert_eq!((r[1].aux, r[1].global), (Some(10), Some(false)));
        assert_eq!((r[1].latitude, r[1].longitude), (Some(43.65), Some(-79.38)));
        assert_eq!(r[1].monitor_id.as_deref(), Some("4012"));

        let array: Dns2Records = serde_json::from_str(
            r#"{"success":"yes","records":[{"record_id":5,"name":"www","type":"CAA","data":"x","ttl":60}]}"#,
        )
        .unwrap();
        assert_eq!(array.records[0].id, "5", "record_id fills a missing id");
        let both: Dns2Records = serde_json::from_str(
            r#"{"success":"yes","records":[{"id":"6","record_id":"6","type":"A"}]}"#,
        )
        .unwrap();
        assert_eq!(
            both.records[0].id, "6",
            "both spellings are not a duplicate field"
        );
        assert_eq!(array.records[0].kind(), None, "unknown types still list");
        let top: Dns2Records = serde_json::from_str(
            r#"{"0":{"id":"1","name":"a","type":"TXT","data":"hi"},"success":"yes"}"#,
        )
        .unwrap();
        assert_eq!(top.records[0].record_type, "TXT");
        for empty in [
            r#"{"success":"yes","records":[]}"#,
            r#"{"success":"yes","records":{}}"#,
            r#"{"success":"yes"}"#,
        ] {
            let none: Dns2Records = serde_json::from_str(empty).unwrap();
            assert!(none.records.is_empty(), "{empty}");
        }
    }

    #[test]
    fn record_add_sends_only_what_is_set() {
        let plain = params(&Dns2RecordAdd::new(
            "4001",
            "www",
            Dns2RecordType::AAAA,
            "2602:ffb6::5",
            300,
        ))
        .unwrap();
        assert_eq!(
            plain.keys().map(String::as_str).collect::<Vec<_>>(),
            ["data", "name", "ttl", "type", "zone_id"]
        );
        assert_eq!(
            (plain["type"].as_str(), plain["ttl"].as_str()),
            ("AAAA", "300")
        );

        let full = params(&Dns2RecordAdd {
            policy: Some(Dns2Policy::Latlong),
            weight: Some(5),
            region: Some("na-east".into()),
            regiongroup: Some("north-america".into()),
            country: Some("CA".into()),
            continent: Some("NA".into()),
            global: Some(false),
            latitude: Some(43.65),
            longitude: Some(-79.38),
            aux: Some(10),
            monitor_id: Some("4012".into()),
            orig_record_id: Some("4020".into()),
            ..Dns2RecordAdd::new("4001", "@", Dns2RecordType::MX, "mail.example.com.", 3600)
        })
        .unwrap();
        assert_eq!(full.len(), 17, "{full:?}");
        assert_eq!(full["policy"], "latlong");
        assert_eq!(full["global"], "no");
        assert_eq!(
            (full["latitude"].as_str(), full["longitude"].as_str()),
            ("43.65", "-79.38")
        );
        assert_eq!(
            (full["aux"].as_str(), full["orig_record_id"].as_str()),
            ("10", "4020")
        );
    }

    #[test]
    fn record_types_round_trip() {
        for t in Dns2RecordType::ALL {
            assert_eq!(t.as_str().parse::<Dns2RecordType>(), Ok(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert_eq!("mx".parse::<Dns2RecordType>(), Ok(Dns2RecordType::MX));
        assert!(
            "PTR".parse::<Dns2RecordType>().is_err(),
            "PTR is legacy-only"
        );
        assert!(Dns2RecordType::SRV.needs_aux() && !Dns2RecordType::TXT.needs_aux());
    }
}
