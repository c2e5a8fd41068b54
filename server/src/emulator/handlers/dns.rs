//! `dns/*`: legacy DNS — reverse DNS, dynamic DNS names, old-style zones (reference §14).
//!
//! Answers: `list` is an array under `dns` with `vm_name, vm_id, ip, hostname` (CONFIRMED),
//! one row per public address of the account's VMs, the hostname being the one set with
//! `dns/set`, else the default `d.c.b.a.rdns.lunanode.com.` for IPv4 or `[not set]`
//! (CONFIRMED sample). `dyns` is keyed by id with `id, name, ip` (CONFIRMED); `dyn-*`
//! mutations answer only `success` (INFERRED). The legacy zone/record answers are UNKNOWN:
//! `zones`/`records` keyed by id, `zone_id`/`record_id` from the adds (INFERRED, as `dns2`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::dns2::{
    check_cname, domain_ok, keyed, numeric_id, owner_name, parse_ttl, record_type, srv_target,
    valid_target, valid_text, zone_fqdn, RecordType,
};
use super::{s, Ctx, Outcome, Params};
use crate::emulator::json::{done, obj, ok};
use crate::emulator::state::{default_rdns, Account};

/// This category's part of an account.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// Reverse DNS set with `dns/set`, by canonical IP address.
    rdns: BTreeMap<String, String>,
    zones: BTreeMap<u64, Zone>,
    dyns: BTreeMap<u64, Dyn>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Zone {
    /// Lower case with a trailing dot.
    origin: String,
    ttl: u32,
    records: BTreeMap<u64, Record>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    name: String,
    kind: RecordType,
    data: String,
    ttl: u32,
}

#[derive(Debug, Serialize, Deserialize)]
struct Dyn {
    name: String,
    ip: String,
}

const TYPES: &[RecordType] = &[
    RecordType::A,
    RecordType::Aaaa,
    RecordType::Cname,
    RecordType::Hinfo,
    RecordType::Mx,
    RecordType::Naptr,
    RecordType::Ns,
    RecordType::Ptr,
    RecordType::Rp,
    RecordType::Srv,
    RecordType::Txt,
];

/// The legacy `zone-add` TTL when none is given (INFERRED).
const DEFAULT_ZONE_TTL: u32 = 3600;

/// The domain dynamic names live under (INFERRED from BTCPAY's `*.lndyn.com` hostnames).
const DYN_DOMAIN: &str = "lndyn.com";

pub(crate) fn handle(ctx: &mut Ctx<'_>, action: &str) -> Option<Outcome> {
    let (account, p) = (&mut *ctx.account, ctx.p);
    Some(match action {
        "list" => Ok(rdns_list(account)),
        "set" => rdns_set(account, p),
        "zone-list" => Ok(ok(obj([(
            "zones",
            keyed(account.dns.zones.iter().map(|(id, z)| {
                (
                    *id,
                    json!({"id": s(id), "origin": z.origin, "ttl": s(z.ttl)}),
                )
            })),
        )]))),
        "zone-add" => zone_add(account, p),
        "zone-remove" => numeric_id(p, "zone_id", "zone").and_then(|id| {
            account
                .dns
                .zones
                .remove(&id)
                .map(|_| done())
                .ok_or_else(|| "invalid zone".to_owned())
        }),
        "record-list" => record_list(&account.dns, p),
        "record-add" => record_add(account, p),
        "record-remove" => numeric_id(p, "record_id", "record").and_then(|id| {
            account
                .dns
                .zones
                .values_mut()
                .find_map(|z| z.records.remove(&id))
                .map(|_| done())
                .ok_or_else(|| "invalid record".to_owned())
        }),
        "dyn-list" => Ok(ok(obj([(
            "dyns",
            keyed(
                account
                    .dns
                    .dyns
                    .iter()
                    .map(|(id, d)| (*id, json!({"id": s(id), "name": d.name, "ip": d.ip}))),
            ),
        )]))),
        "dyn-add" => dyn_save(account, p, None),
        "dyn-update" => numeric_id(p, "dyn_id", "dyn").and_then(|id| {
            if account.dns.dyns.contains_key(&id) {
                dyn_save(account, p, Some(id))
            } else {
                Err("invalid dyn".into())
            }
        }),
        "dyn-remove" => numeric_id(p, "dyn_id", "dyn").and_then(|id| {
            account
                .dns
                .dyns
                .remove(&id)
                .map(|_| done())
                .ok_or_else(|| "invalid dyn".to_owned())
        }),
        _ => return None,
    })
}

/// Drops reverse names of addresses the account no longer holds, so a released address
/// does not carry its old name to its next owner.
pub(crate) fn prune_rdns(account: &mut Account) {
    let held: BTreeSet<String> = super::floating::held(account).collect();
    account.dns.rdns.retain(|ip, _| held.contains(ip));
}

/// The reverse name of the account's address `ip`: the one set with `dns/set`, else the
/// default.
pub(crate) fn reverse_of(account: &Account, ip: &str) -> String {
    account
        .dns
        .rdns
        .get(ip)
        .cloned()
        .unwrap_or_else(|| default_rdns(ip))
}

fn rdns_list(account: &mut Account) -> axum::response::Response {
    prune_rdns(account);
    let rows: Vec<Value> = account
        .vms
        .values()
        .filter(|vm| !vm.public_ip.is_empty())
        .map(|vm| {
            let hostname = account
                .dns
                .rdns
                .get(&vm.public_ip)
                .cloned()
                .unwrap_or_else(|| default_rdns(&vm.public_ip));
            json!({"vm_name": vm.hostname, "vm_id": vm.id, "ip": vm.public_ip, "hostname": hostname})
        })
        .collect();
    ok(obj([("dns", Value::Array(rows))]))
}

fn rdns_set(account: &mut Account, p: &Params) -> Outcome {
    let ip: IpAddr = p
        .req("ip")?
        .trim()
        .parse()
        .map_err(|_| "invalid IP address")?;
    let ip = ip.to_string();
    let hostname = p.req("hostname")?.trim().to_ascii_lowercase();
    // Any floating IP the account holds, attached or not (INFERRED: the reference shows
    // dns/set only on VMs' addresses).
    if !super::floating::held(account).any(|held| held == ip) {
        return Err("invalid ip".into());
    }
    prune_rdns(account);
    // "." restores the default (CONFIRMED: WHMCS resets with it).
    if hostname == "." {
        account.dns.rdns.remove(&ip);
        return Ok(done());
    }
    let name = hostname.trim_end_matches('.');
    if !name.contains('.') || !domain_ok(name, false) {
        return Err("invalid hostname".into());
    }
    account.dns.rdns.insert(ip, format!("{name}."));
    Ok(done())
}

fn zone_add(account: &mut Account, p: &Params) -> Outcome {
    let origin = zone_fqdn(p.req("origin")?).ok_or("invalid origin")?;
    let ttl = p
        .opt("ttl")
        .map(parse_ttl)
        .transpose()?
        .unwrap_or(DEFAULT_ZONE_TTL);
    if account.dns.zones.values().any(|z| z.origin == origin) {
        return Err("zone already exists".into());
    }
    let id = account.next_id();
    account.dns.zones.insert(
        id,
        Zone {
            origin,
            ttl,
            records: BTreeMap::new(),
        },
    );
    Ok(ok(obj([("zone_id", s(id))])))
}

fn record_list(state: &State, p: &Params) -> Outcome {
    let zone_id = numeric_id(p, "zone_id", "zone")?;
    let zone = state.zones.get(&zone_id).ok_or("invalid zone")?;
    Ok(ok(obj([(
        "records",
        keyed(zone.records.iter().map(|(id, r)| {
            (
                *id,
                json!({"id": s(id), "zone_id": s(zone_id), "name": r.name, "type": r.kind.as_str(),
                       "data": r.data, "ttl": s(r.ttl)}),
            )
        })),
    )])))
}

fn record_add(account: &mut Account, p: &Params) -> Outcome {
    let zone_id = numeric_id(p, "zone_id", "zone")?;
    let zone = account.dns.zones.get(&zone_id).ok_or("invalid zone")?;
    let kind = record_type(p.req("type")?, TYPES)?;
    let name = owner_name(p.req("name")?, &zone.origin)?;
    let data = p.req("data")?.trim().to_owned();
    let ttl = parse_ttl(p.req("ttl")?)?;
    check_data(kind.as_str(), &data)?;
    let others = zone
        .records
        .values()
        .map(|r| (r.name.as_str(), r.kind.as_str()));
    check_cname(&name, kind.as_str(), &zone.origin, others)?;
    if zone
        .records
        .values()
        .any(|r| r.name == name && r.kind == kind && r.data == data)
    {
        return Err("record already exists".into());
    }
    let id = account.next_id();
    account
        .dns
        .zones
        .get_mut(&zone_id)
        .ok_or("invalid zone")?
        .records
        .insert(
            id,
            Record {
                name,
                kind,
                data,
                ttl,
            },
        );
    Ok(ok(obj([("record_id", s(id))])))
}

/// Legacy record data: the priority is part of MX/SRV data here (no `aux`).
fn check_data(kind: &str, data: &str) -> Result<(), String> {
    let fields = tokens(data).unwrap_or_default();
    let f: Vec<&str> = fields.iter().map(String::as_str).collect();
    let name_or_root = |v: &str| v == "." || valid_target(v);
    let valid = match kind {
        "A" => data.parse::<Ipv4Addr>().is_ok(),
        "AAAA" => data.parse::<Ipv6Addr>().is_ok(),
        "CNAME" | "NS" | "PTR" => valid_target(data),
        "MX" => matches!(f[..], [pref, host] if pref.parse::<u16>().is_ok() && valid_target(host)),
        "SRV" => {
            matches!(f[..], [prio, ref rest @ ..] if prio.parse::<u16>().is_ok() && srv_target(rest))
        }
        "TXT" => valid_text(data),
        // CPU and OS, each a word or a quoted string.
        "HINFO" => matches!(f[..], [cpu, os] if !cpu.is_empty() && !os.is_empty()),
        // order preference "flags" "service" "regexp" replacement (RFC 3403).
        "NAPTR" => matches!(f[..], [order, pref, flags, _, _, repl]
            if order.parse::<u16>().is_ok() && pref.parse::<u16>().is_ok()
                && flags.chars().all(|c| c.is_ascii_alphanumeric()) && name_or_root(repl)),
        // Mailbox and TXT-record names (RFC 1183).
        "RP" => matches!(f[..], [mbox, txt] if name_or_root(mbox) && name_or_root(txt)),
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        Err(match kind {
            "A" => "invalid IPv4 address".to_owned(),
            "AAAA" => "invalid IPv6 address".to_owned(),
            "CNAME" | "NS" | "PTR" => format!("invalid {kind} target"),
            _ => format!("invalid {kind} data"),
        })
    }
}

/// Splits on spaces, keeping `"quoted strings"` whole (unquoted); `None` if a quote is open.
fn tokens(data: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = data.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut word = String::new();
            loop {
                match chars.next()? {
                    '"' => break,
                    c => word.push(c),
                }
            }
            out.push(word);
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            out.push(word);
        }
    }
    Some(out)
}

/// `dyn-add` and `dyn-update`: one label under [`DYN_DOMAIN`] (the full name is accepted
/// too) pointing at any IPv4 or IPv6 address.
fn dyn_save(account: &mut Account, p: &Params, id: Option<u64>) -> Outcome {
    let raw = p.req("name")?.trim().to_ascii_lowercase();
    let ip: IpAddr = p
        .req("ip")?
        .trim()
        .parse()
        .map_err(|_| "invalid IP address")?;
    let label = raw
        .trim_end_matches('.')
        .strip_suffix(&format!(".{DYN_DOMAIN}"))
        .unwrap_or(raw.trim_end_matches('.'));
    if label.contains('.') || label.contains('_') || !domain_ok(label, false) {
        return Err("invalid name".into());
    }
    if account
        .dns
        .dyns
        .iter()
        .any(|(other, d)| Some(*other) != id && d.name == label)
    {
        return Err("name already in use".into());
    }
    let entry = Dyn {
        name: label.to_owned(),
        ip: ip.to_string(),
    };
    let id = id.unwrap_or_else(|| account.next_id());
    account.dns.dyns.insert(id, entry);
    Ok(done())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_reverse_names() {
        assert_eq!(
            default_rdns("203.0.113.5"),
            "5.113.0.203.rdns.lunanode.com."
        );
        assert_eq!(default_rdns("2602:ffb6::5"), "[not set]");
    }

    #[test]
    fn legacy_data_checks() {
        for (kind, good) in [
            ("MX", "10 mail.example.com."),
            ("SRV", "10 5 5060 sip.example.com."),
            ("HINFO", "\"Intel Xeon\" Linux"),
            (
                "NAPTR",
                "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com.",
            ),
            ("RP", "admin.example.com. ."),
            ("PTR", "web1.example.com."),
            ("TXT", "hello world"),
        ] {
            assert!(check_data(kind, good).is_ok(), "{kind} {good}");
        }
        for (kind, bad) in [
            ("MX", "mail.example.com."),
            ("SRV", "5 5060 sip.example.com."),
            ("HINFO", "\"open"),
            ("NAPTR", "100 \"S\""),
            ("RP", "admin.example.com."),
            ("PTR", "203.0.113.5"),
            ("A", "example.com"),
        ] {
            assert!(check_data(kind, bad).is_err(), "{kind} {bad}");
        }
        assert_eq!(
            tokens(" a \"b c\"  d").unwrap(),
            ["a", "b c", "d"].map(String::from)
        );
    }
}
