//! `dns2/*`: hosted zones and records with geo routing, weights and failover (reference §13).
//!
//! Answers: `zones` keyed by zone id with names ending in a dot (CONFIRMED); `record_id` from
//! `record-add` (CONFIRMED); `zone_id` from `zone-add` (INFERRED, by analogy); `records`
//! keyed by record id, with fields named after `record-add`'s parameters (INFERRED; the key
//! and fields are UNKNOWN upstream). Empty collections are `[]`, as PHP sends them.
//!
//! Checks are the sensible ones for DNS data (the service's own texts are UNKNOWN): A needs
//! IPv4, AAAA IPv6, MX/SRV a priority in `aux`, SRV data `weight port target`, SPF data
//! `v=spf1 …`, no CNAME at the apex or beside other records of its name, no duplicates.
//! Several records may share a name and type (round-robin, weights, geo variants).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{s, Ctx, Outcome, Params};
use crate::emulator::json::{done, obj, ok};
use crate::emulator::state::Account;

/// This category's part of an account.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    zones: BTreeMap<u64, Zone>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Zone {
    /// Lower case with a trailing dot: `example.com.`.
    name: String,
    ttl: u32,
    records: BTreeMap<u64, Record>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    /// Fully qualified with a trailing dot.
    name: String,
    kind: RecordType,
    data: String,
    ttl: u32,
    aux: u16,
    policy: Policy,
    weight: u32,
    region: String,
    regiongroup: String,
    country: String,
    continent: String,
    global: bool,
    latlong: Option<(f64, f64)>,
    monitor_id: Option<u64>,
}

impl Record {
    /// Whether two records give the same answer to the same resolvers (TTL and weight aside).
    fn same_answer(&self, other: &Record) -> bool {
        (
            &self.name,
            self.kind,
            &self.data,
            self.aux,
            self.policy,
            &self.region,
            &self.regiongroup,
            &self.country,
            &self.continent,
            self.latlong,
        ) == (
            &other.name,
            other.kind,
            &other.data,
            other.aux,
            other.policy,
            &other.region,
            &other.regiongroup,
            &other.country,
            &other.continent,
            other.latlong,
        )
    }
}

const TYPES: &[RecordType] = &[
    RecordType::A,
    RecordType::Aaaa,
    RecordType::Cname,
    RecordType::Alias,
    RecordType::Mx,
    RecordType::Ns,
    RecordType::Txt,
    RecordType::Spf,
    RecordType::Srv,
];
const CONTINENTS: &[&str] = &["AF", "AN", "AS", "EU", "NA", "OC", "SA"];

pub(crate) fn handle(ctx: &mut Ctx<'_>, action: &str) -> Option<Outcome> {
    let (account, p) = (&mut *ctx.account, ctx.p);
    Some(match action {
        "zone-list" => {
            Ok(ok(obj([(
                "zones",
                keyed(
                    account.dns2.zones.iter().map(|(id, z)| {
                        (*id, json!({"id": s(id), "name": z.name, "ttl": s(z.ttl)}))
                    }),
                ),
            )])))
        }
        "zone-add" => zone_add(account, p),
        "zone-remove" => numeric_id(p, "zone_id", "zone").and_then(|id| {
            account
                .dns2
                .zones
                .remove(&id)
                .map(|_| done())
                .ok_or_else(|| "invalid zone".to_owned())
        }),
        "record-list" => find_zone(&mut account.dns2, p).map(|(id, zone)| {
            ok(obj([(
                "records",
                keyed(
                    zone.records
                        .iter()
                        .map(|(rid, r)| (*rid, record_json(*rid, id, r))),
                ),
            )]))
        }),
        "record-add" => record_add(account, p),
        "record-remove" => record_remove(&mut account.dns2, p),
        _ => return None,
    })
}

fn zone_add(account: &mut Account, p: &Params) -> Outcome {
    let name = zone_fqdn(p.req("name")?).ok_or("invalid zone name")?;
    let ttl = parse_ttl(p.req("ttl")?)?;
    if account.dns2.zones.values().any(|z| z.name == name) {
        return Err("zone already exists".into());
    }
    let id = account.next_id();
    account.dns2.zones.insert(
        id,
        Zone {
            name,
            ttl,
            records: BTreeMap::new(),
        },
    );
    Ok(ok(obj([("zone_id", s(id))])))
}

fn find_zone<'a>(state: &'a mut State, p: &Params) -> Result<(u64, &'a mut Zone), String> {
    let id = numeric_id(p, "zone_id", "zone")?;
    state
        .zones
        .get_mut(&id)
        .map(|z| (id, z))
        .ok_or_else(|| "invalid zone".to_owned())
}

/// How a record is chosen among others of its name and type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Policy {
    None,
    Latlong,
    Region,
}

impl Policy {
    const ALL: [Self; 3] = [Self::None, Self::Latlong, Self::Region];

    fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Latlong => "latlong",
            Self::Region => "region",
        }
    }
}

fn record_json(id: u64, zone_id: u64, r: &Record) -> Value {
    let (lat, long) = r.latlong.map_or((String::new(), String::new()), |(a, b)| {
        (a.to_string(), b.to_string())
    });
    json!({
        "id": s(id), "zone_id": s(zone_id), "name": r.name, "type": r.kind.as_str(),
        "data": r.data, "ttl": s(r.ttl), "aux": s(r.aux), "policy": r.policy.as_str(),
        "weight": s(r.weight),
        "region": r.region, "regiongroup": r.regiongroup, "country": r.country,
        "continent": r.continent, "global": if r.global { "yes" } else { "no" },
        "latitude": lat, "longitude": long,
        "monitor_id": r.monitor_id.map_or_else(String::new, |m| m.to_string()),
    })
}

fn record_add(account: &mut Account, p: &Params) -> Outcome {
    let (zone_id, zone) = find_zone(&mut account.dns2, p)?;
    let kind = record_type(p.req("type")?, TYPES)?;
    let name = owner_name(p.req("name")?, &zone.name)?;
    let data = p.req("data")?.trim().to_owned();
    let ttl = parse_ttl(p.req("ttl")?)?;
    let aux = match (kind, p.opt("aux")) {
        (RecordType::Mx | RecordType::Srv, None) => return Err("aux not set".into()),
        (_, Some(aux)) => aux.trim().parse::<u16>().map_err(|_| "invalid aux")?,
        (_, None) => 0,
    };
    check_data(kind.as_str(), &data)?;
    let policy = match p.opt("policy") {
        None => Policy::None,
        Some(v) => Policy::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(v.trim()))
            .ok_or("invalid policy")?,
    };
    let weight = p
        .opt("weight")
        .map(|w| w.trim().parse::<u32>().map_err(|_| "invalid weight"))
        .transpose()?
        .unwrap_or(0);
    // Coordinates come in pairs, and the latlong policy needs them.
    let latlong =
        if policy == Policy::Latlong || p.opt("latitude").is_some() || p.opt("longitude").is_some()
        {
            let lat = coordinate(p.req("latitude")?, 90.0).ok_or("invalid latitude")?;
            let long = coordinate(p.req("longitude")?, 180.0).ok_or("invalid longitude")?;
            Some((lat, long))
        } else {
            None
        };
    let country = match p.opt("country").map(str::trim) {
        None => String::new(),
        Some(c) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
            c.to_ascii_uppercase()
        }
        Some(_) => return Err("invalid country".into()),
    };
    let continent = match p.opt("continent").map(str::trim) {
        None => String::new(),
        Some(c) => CONTINENTS
            .iter()
            .find(|x| x.eq_ignore_ascii_case(c))
            .map(|x| (*x).to_owned())
            .ok_or("invalid continent")?,
    };
    let region = geo_label(p, "region")?;
    let regiongroup = geo_label(p, "regiongroup")?;
    let global = match p.opt("global").map(str::trim) {
        None | Some("yes") => true,
        Some("no") => false,
        Some(_) => return Err("invalid global".into()),
    };
    // The check must be one of the account's (INFERRED: the service ties failover to its
    // own monitor checks; its wording is UNKNOWN).
    let monitor_id = p
        .opt("monitor_id")
        .map(|m| {
            m.trim()
                .parse::<u64>()
                .ok()
                .filter(|&m| m > 0 && account.monitor.has_check(&m.to_string()))
                .ok_or("invalid check")
        })
        .transpose()?;
    let orig = p
        .opt("orig_record_id")
        .map(|r| {
            r.trim()
                .parse::<u64>()
                .ok()
                .filter(|r| zone.records.contains_key(r))
                .ok_or("invalid record")
        })
        .transpose()?;
    let record = Record {
        name,
        kind,
        data,
        ttl,
        aux,
        policy,
        weight,
        region,
        regiongroup,
        country,
        continent,
        global,
        latlong,
        monitor_id,
    };
    let others = zone
        .records
        .iter()
        .filter(|(id, _)| Some(**id) != orig)
        .map(|(_, r)| (r.name.as_str(), r.kind.as_str()));
    check_cname(&record.name, record.kind.as_str(), &zone.name, others)?;
    if zone
        .records
        .iter()
        .any(|(id, r)| Some(*id) != orig && r.same_answer(&record))
    {
        return Err("record already exists".into());
    }
    let id = orig.unwrap_or_else(|| account.next_id());
    // The zone borrow ended for `next_id`; it is still there (the world is locked).
    account
        .dns2
        .zones
        .get_mut(&zone_id)
        .ok_or("invalid zone")?
        .records
        .insert(id, record);
    Ok(ok(obj([("record_id", s(id))])))
}

fn record_remove(state: &mut State, p: &Params) -> Outcome {
    let (_, zone) = find_zone(state, p)?;
    let id = numeric_id(p, "record_id", "record")?;
    zone.records
        .remove(&id)
        .map(|_| done())
        .ok_or_else(|| "invalid record".to_owned())
}

fn check_data(kind: &str, data: &str) -> Result<(), String> {
    let valid = match kind {
        "A" => data.parse::<Ipv4Addr>().is_ok(),
        "AAAA" => data.parse::<Ipv6Addr>().is_ok(),
        "CNAME" | "ALIAS" | "MX" | "NS" => valid_target(data),
        "SRV" => srv_target(&data.split_whitespace().collect::<Vec<_>>()),
        "TXT" => valid_text(data),
        "SPF" => {
            valid_text(data) && {
                let unquoted = data.trim_start_matches('"').to_ascii_lowercase();
                unquoted == "v=spf1" || unquoted.starts_with("v=spf1 ")
            }
        }
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        Err(match kind {
            "A" => "invalid IPv4 address".to_owned(),
            "AAAA" => "invalid IPv6 address".to_owned(),
            "CNAME" | "ALIAS" | "MX" | "NS" => format!("invalid {kind} target"),
            _ => format!("invalid {kind} data"),
        })
    }
}

/// `weight port target` (the priority is `aux` in dns2, the first field in legacy DNS).
pub(super) fn srv_target(fields: &[&str]) -> bool {
    matches!(fields, [weight, port, target]
        if weight.parse::<u16>().is_ok() && port.parse::<u16>().is_ok()
            && (*target == "." || valid_target(target)))
}

fn geo_label(p: &Params, name: &str) -> Result<String, String> {
    match p.opt(name).map(str::trim) {
        None => Ok(String::new()),
        Some(v)
            if v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ' ')) =>
        {
            Ok(v.to_owned())
        }
        Some(_) => Err(format!("invalid {name}")),
    }
}

fn coordinate(v: &str, limit: f64) -> Option<f64> {
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && x.abs() <= limit)
}

// ---- Shared with the legacy `dns` handler ----

/// An object keyed by id, or `[]` when empty (PHP's empty array; reference §2.3).
pub(super) fn keyed(items: impl Iterator<Item = (u64, Value)>) -> Value {
    let map: Map<String, Value> = items.map(|(id, v)| (id.to_string(), v)).collect();
    if map.is_empty() {
        Value::Array(Vec::new())
    } else {
        Value::Object(map)
    }
}

/// A required numeric id; a malformed one is as unknown as a missing object.
pub(super) fn numeric_id(p: &Params, name: &str, thing: &str) -> Result<u64, String> {
    p.req(name)?
        .trim()
        .parse()
        .map_err(|_| format!("invalid {thing}"))
}

/// A TTL in seconds: a positive 32-bit signed value, as DNS allows.
pub(super) fn parse_ttl(v: &str) -> Result<u32, String> {
    v.trim()
        .parse::<u32>()
        .ok()
        .filter(|t| (1..=i32::MAX as u32).contains(t))
        .ok_or_else(|| "invalid ttl".to_owned())
}

/// A DNS record type (each category accepts its own subset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub(super) enum RecordType {
    A,
    Aaaa,
    Cname,
    Alias,
    Mx,
    Ns,
    Txt,
    Spf,
    Srv,
    Hinfo,
    Naptr,
    Ptr,
    Rp,
}

impl RecordType {
    /// The canonical (upper-case) spelling.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::Aaaa => "AAAA",
            Self::Cname => "CNAME",
            Self::Alias => "ALIAS",
            Self::Mx => "MX",
            Self::Ns => "NS",
            Self::Txt => "TXT",
            Self::Spf => "SPF",
            Self::Srv => "SRV",
            Self::Hinfo => "HINFO",
            Self::Naptr => "NAPTR",
            Self::Ptr => "PTR",
            Self::Rp => "RP",
        }
    }
}

/// The record type of `types` named `v` (any case).
pub(super) fn record_type(v: &str, types: &[RecordType]) -> Result<RecordType, String> {
    types
        .iter()
        .copied()
        .find(|t| t.as_str().eq_ignore_ascii_case(v.trim()))
        .ok_or_else(|| "invalid record type".to_owned())
}

/// A zone name as stored: lower case with a trailing dot, at least two labels, no `_`
/// (which owner names like `_dmarc` may have, but registrable domains never do).
pub(super) fn zone_fqdn(v: &str) -> Option<String> {
    let name = v.trim().trim_end_matches('.').to_ascii_lowercase();
    (name.contains('.') && !name.contains('_') && domain_ok(&name, false))
        .then(|| format!("{name}."))
}

/// A record's owner name within `zone` (`example.com.`): `@` is the apex, a name with a
/// trailing dot is absolute and must lie in the zone, anything else is relative (WIKI).
pub(super) fn owner_name(v: &str, zone: &str) -> Result<String, String> {
    let v = v.trim().to_ascii_lowercase();
    let name = if v == "@" {
        zone.to_owned()
    } else if v.ends_with('.') {
        v
    } else {
        format!("{v}.{zone}")
    };
    let in_zone = name == zone || name.ends_with(&format!(".{zone}"));
    if in_zone && domain_ok(name.trim_end_matches('.'), true) {
        Ok(name)
    } else {
        Err("invalid name".into())
    }
}

/// A host name a record points at (absolute or relative; not an IP address).
pub(super) fn valid_target(v: &str) -> bool {
    let v = v.trim_end_matches('.');
    !v.is_empty() && domain_ok(v, false)
}

/// Text for TXT/SPF: printable, at most 4000 characters.
pub(super) fn valid_text(v: &str) -> bool {
    v.chars().count() <= 4000 && !v.chars().any(char::is_control)
}

/// Labels of 1–63 letters, digits, `-` (not at either end) or `_`, 253 characters in all;
/// `*` as the first label only when `wildcard`; the last label not all digits (which
/// rejects IP addresses written where a name belongs).
pub(super) fn domain_ok(name: &str, wildcard: bool) -> bool {
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |(i, l): (usize, &&str)| {
        (wildcard && i == 0 && *l == "*")
            || (!l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    };
    labels.iter().enumerate().all(label_ok)
        && !labels
            .last()
            .is_some_and(|l| l.chars().all(|c| c.is_ascii_digit()))
}

/// A CNAME owns its name alone, and never the apex (that is what ALIAS is for).
pub(super) fn check_cname<'a>(
    name: &str,
    kind: &str,
    zone: &str,
    mut others: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(), String> {
    if kind == "CNAME" && name == zone {
        return Err("a CNAME record cannot be at the zone apex (use ALIAS)".into());
    }
    let clash = others.any(|(n, k)| n == name && ((kind == "CNAME") != (k == "CNAME")));
    if clash {
        return Err("a CNAME record cannot share its name with other records".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_targets() {
        assert_eq!(zone_fqdn("Example.COM").as_deref(), Some("example.com."));
        assert_eq!(zone_fqdn("example.com.").as_deref(), Some("example.com."));
        for bad in [
            "com",
            "exa mple.com",
            "-x.com",
            "1.2.3.4",
            "a..com",
            "my_site.com",
            "",
        ] {
            assert_eq!(zone_fqdn(bad), None, "{bad}");
        }
        let z = "example.com.";
        assert_eq!(owner_name("www", z).unwrap(), "www.example.com.");
        assert_eq!(
            owner_name("WWW.example.com.", z).unwrap(),
            "www.example.com."
        );
        assert_eq!(owner_name("@", z).unwrap(), z);
        assert_eq!(owner_name("example.com.", z).unwrap(), z);
        assert_eq!(owner_name("*.dev", z).unwrap(), "*.dev.example.com.");
        assert_eq!(
            owner_name("_sip._tcp", z).unwrap(),
            "_sip._tcp.example.com."
        );
        for bad in ["www.other.com.", "notexample.com.", "a b", "x.*"] {
            assert!(owner_name(bad, z).is_err(), "{bad}");
        }
        assert!(valid_target("mail.example.org.") && valid_target("mail"));
        assert!(!valid_target("203.0.113.5") && !valid_target(".") && !valid_target("*.x.org"));
    }

    #[test]
    fn data_checks() {
        assert!(check_data("A", "203.0.113.5").is_ok());
        assert_eq!(
            check_data("A", "2602:ffb6::5").unwrap_err(),
            "invalid IPv4 address"
        );
        assert!(check_data("AAAA", "2602:ffb6::5").is_ok());
        assert_eq!(
            check_data("AAAA", "203.0.113.5").unwrap_err(),
            "invalid IPv6 address"
        );
        assert!(check_data("SRV", "5 5060 sip.example.com.").is_ok());
        assert_eq!(
            check_data("SRV", "5 sip.example.com.").unwrap_err(),
            "invalid SRV data"
        );
        assert!(check_data("SPF", "v=spf1 mx -all").is_ok());
        assert!(check_data("SPF", "\"v=spf1 -all\"").is_ok());
        assert!(check_data("SPF", "hello").is_err());
        assert!(check_data("TXT", "bell\u{7}").is_err());
        assert_eq!(
            check_data("CNAME", "1.2.3.4").unwrap_err(),
            "invalid CNAME target"
        );
        assert_eq!(parse_ttl("0"), Err("invalid ttl".into()));
        assert_eq!(parse_ttl(" 300 "), Ok(300));
    }

    #[test]
    fn cname_rules() {
        let z = "example.com.";
        let none = std::iter::empty();
        assert!(check_cname(z, "CNAME", z, none).is_err());
        let existing = [("www.example.com.", "A")];
        assert!(check_cname("www.example.com.", "CNAME", z, existing.into_iter()).is_err());
        assert!(check_cname("www.example.com.", "A", z, existing.into_iter()).is_ok());
        let cname = [("www.example.com.", "CNAME")];
        assert!(check_cname("www.example.com.", "TXT", z, cname.into_iter()).is_err());
        assert!(
            check_cname("www.example.com.", "CNAME", z, cname.into_iter()).is_ok(),
            "geo variants of one CNAME"
        );
    }
}
