//! `securitygroup/*` (reference §10). Every region starts with a group named `default`
//! (seeded on first use) holding the two egress allow-all rules of the DOCS sample; new
//! groups get the same two rules, as OpenStack does. Rules are UUIDs, listed as numbered
//! top-level keys (CONFIRMED). INFERRED: `port_range` `22` / `1000-2000`, `remote` a CIDR or
//! the remote group's name, `rule-insert` answering no payload. Group names are unique per
//! region here (VMs know their groups by name; upstream uniqueness is UNKNOWN).

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map};

use super::network::region;
use super::{s, Ctx, Outcome, Params};
use crate::emulator::json::{done, obj, ok};
use crate::emulator::state::{Account, REGIONS};

const DEFAULT_GROUP: &str = "default";

/// This category's part of an account.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// Whether each region's `default` group exists yet.
    seeded: bool,
    groups: BTreeMap<u64, Group>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Group {
    id: u64,
    region: String,
    name: String,
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Rule {
    id: String,
    direction: Direction,
    ethertype: EtherType,
    protocol: Protocol,
    ports: Option<(u16, u16)>,
    remote: Remote,
    label: String,
}

impl Rule {
    /// What makes two rules the same (OpenStack refuses duplicates; INFERRED for Luna Node).
    fn same_as(&self, other: &Rule) -> bool {
        (
            self.direction,
            self.ethertype,
            self.protocol,
            self.ports,
            &self.remote,
        ) == (
            other.direction,
            other.ethertype,
            other.protocol,
            other.ports,
            &other.remote,
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ingress => "ingress",
            Self::Egress => "egress",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum EtherType {
    #[serde(rename = "IPv4")]
    Ipv4,
    #[serde(rename = "IPv6")]
    Ipv6,
}

impl EtherType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ipv4 => "IPv4",
            Self::Ipv6 => "IPv6",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Protocol {
    /// `*`: every protocol.
    #[serde(rename = "*")]
    Any,
    Tcp,
    Udp,
    Icmp,
}

impl Protocol {
    fn as_str(self) -> &'static str {
        match self {
            Self::Any => "*",
            Self::Tcp => "tcp",
            Self::Udp => "udp",
            Self::Icmp => "icmp",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Remote {
    Any,
    /// Normalised, e.g. `10.0.0.0/8`.
    Cidr(String),
    Group(u64),
}

/// The two egress allow-all rules (IPv6 first, as in the DOCS sample).
fn allow_all_egress() -> Vec<Rule> {
    [EtherType::Ipv6, EtherType::Ipv4]
        .into_iter()
        .map(|ethertype| Rule {
            id: uuid::Uuid::new_v4().to_string(),
            direction: Direction::Egress,
            ethertype,
            protocol: Protocol::Any,
            ports: None,
            remote: Remote::Any,
            label: String::new(),
        })
        .collect()
}

pub(crate) fn handle(ctx: &mut Ctx<'_>, action: &str) -> Option<Outcome> {
    let (account, p) = (&mut *ctx.account, ctx.p);
    seed(account);
    Some(match action {
        "list" => Ok(list(&account.security_groups)),
        "create" => create(account, p),
        "delete" => delete(account, p),
        "rename" => rename(account, p),
        "rule-list" => rule_list(account, p),
        "rule-insert" => rule_insert(&mut account.security_groups, p),
        "rule-delete" => rule_delete(&mut account.security_groups, p),
        _ => return None,
    })
}

fn seed(account: &mut Account) {
    if account.security_groups.seeded {
        return;
    }
    account.security_groups.seeded = true;
    for (region, _) in REGIONS {
        let id = account.next_id();
        account.security_groups.groups.insert(
            id,
            Group {
                id,
                region: (*region).to_owned(),
                name: DEFAULT_GROUP.to_owned(),
                rules: allow_all_egress(),
            },
        );
    }
}

/// The name of the account's group `group_id` in `region`, for the `vm` category (VMs
/// name their groups in `vm/info`'s `security_groups`, CONFIRMED).
pub(crate) fn group_name(account: &mut Account, region: &str, group_id: &str) -> Option<String> {
    seed(account);
    let id = group_id.trim().parse::<u64>().ok()?;
    account
        .security_groups
        .groups
        .get(&id)
        .filter(|g| g.region == region)
        .map(|g| g.name.clone())
}

/// The group `group_id` of the request's region.
fn find<'a>(state: &'a mut State, region: &str, p: &Params) -> Result<&'a mut Group, String> {
    let id = p.req("group_id")?;
    id.parse::<u64>()
        .ok()
        .and_then(|id| state.groups.get_mut(&id))
        .filter(|g| g.region == region)
        .ok_or_else(|| "invalid security group".to_owned())
}

/// A valid name for a group of `region` not used by another group (`renaming`). Names are
/// unique per region, so that a VM's group names (all `vm/info` shows) are unambiguous.
fn new_name(
    state: &State,
    region: &str,
    renaming: Option<u64>,
    p: &Params,
) -> Result<String, String> {
    let name = p.req("name")?.trim();
    if name.chars().count() > 64 {
        return Err("invalid name".into());
    }
    if state
        .groups
        .values()
        .any(|g| g.region == region && Some(g.id) != renaming && g.name.eq_ignore_ascii_case(name))
    {
        return Err(format!("a security group named {name} already exists"));
    }
    Ok(name.to_owned())
}

fn list(state: &State) -> axum::response::Response {
    let groups = state
        .groups
        .values()
        .map(|g| json!({"securitygroup_id": s(g.id), "name": g.name, "region": g.region}))
        .collect();
    ok(obj([("securitygroups", serde_json::Value::Array(groups))]))
}

fn create(account: &mut Account, p: &Params) -> Outcome {
    let region = region(p)?;
    let name = new_name(&account.security_groups, region, None, p)?;
    let id = account.next_id();
    account.security_groups.groups.insert(
        id,
        Group {
            id,
            region: region.to_owned(),
            name,
            rules: allow_all_egress(),
        },
    );
    Ok(ok(obj([("group_id", s(id))])))
}

fn delete(account: &mut Account, p: &Params) -> Outcome {
    let region = region(p)?;
    let group = find(&mut account.security_groups, region, p)?;
    // INFERRED (OpenStack refuses it; Luna Node's answer is UNKNOWN, its words too).
    if group.name == DEFAULT_GROUP {
        return Err("the default security group cannot be deleted".into());
    }
    let (id, name) = (group.id, group.name.clone());
    let id_text = id.to_string();
    // VMs name their groups (vm/info's `security_groups`); match by name or id. Refused
    // while in use: INFERRED (OpenStack's rule; Luna Node's words are UNKNOWN).
    if account.vms.values().any(|vm| {
        vm.region == region
            && vm
                .security_groups
                .iter()
                .any(|g| *g == name || *g == id_text)
    }) {
        return Err("the security group is in use by a VM".into());
    }
    account.security_groups.groups.remove(&id);
    // Rules of other groups that named it as their remote go with it (OpenStack cascades).
    for other in account.security_groups.groups.values_mut() {
        other.rules.retain(|r| r.remote != Remote::Group(id));
    }
    Ok(done())
}

fn rename(account: &mut Account, p: &Params) -> Outcome {
    let region = region(p)?;
    let group = find(&mut account.security_groups, region, p)?;
    // INFERRED (OpenStack refuses any change to the default group).
    if group.name == DEFAULT_GROUP {
        return Err("the default security group cannot be renamed".into());
    }
    let (id, old) = (group.id, group.name.clone());
    let name = new_name(&account.security_groups, region, Some(id), p)?;
    if let Some(group) = account.security_groups.groups.get_mut(&id) {
        group.name = name.clone();
    }
    // VMs know their groups by name: they follow the rename.
    for vm in account.vms.values_mut().filter(|vm| vm.region == region) {
        for g in vm.security_groups.iter_mut().filter(|g| **g == old) {
            g.clone_from(&name);
        }
    }
    Ok(done())
}

fn rule_list(account: &mut Account, p: &Params) -> Outcome {
    let region = region(p)?;
    let rules = find(&mut account.security_groups, region, p)?.rules.clone();
    // Numbered top-level keys beside "success" (CONFIRMED).
    let mut fields = Map::new();
    for (i, rule) in rules.iter().enumerate() {
        let port_range = match rule.ports {
            None => "*".to_owned(),
            Some((min, max)) if min == max => min.to_string(),
            Some((min, max)) => format!("{min}-{max}"),
        };
        let remote = match &rule.remote {
            Remote::Any => "*".to_owned(),
            Remote::Cidr(cidr) => cidr.clone(),
            Remote::Group(id) => {
                group_name(account, region, &id.to_string()).unwrap_or_else(|| id.to_string())
            }
        };
        fields.insert(
            i.to_string(),
            json!({"id": rule.id, "direction": rule.direction.as_str(),
                   "ethertype": rule.ethertype.as_str(), "protocol": rule.protocol.as_str(),
                   "port_range": port_range, "remote": remote,
                   "label": rule.label}),
        );
    }
    Ok(ok(fields))
}

fn rule_insert(state: &mut State, p: &Params) -> Outcome {
    let region = region(p)?;
    let direction = p.req("direction")?;
    let version = p.req("type")?;
    let protocol = p.req("protocol")?;
    let remote_type = p.req("remote_type")?;
    let remote_value = p.req("remote_value")?.trim();
    let group_id = find(state, region, p)?.id;
    let direction = match direction {
        "ingress" => Direction::Ingress,
        "egress" => Direction::Egress,
        _ => return Err("invalid direction".into()),
    };
    let (ethertype, v6) = match version {
        "4" => (EtherType::Ipv4, false),
        "6" => (EtherType::Ipv6, true),
        _ => return Err("invalid type".into()),
    };
    let protocol = match protocol {
        "*" => Protocol::Any,
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        "icmp" => Protocol::Icmp,
        _ => return Err("invalid protocol".into()),
    };
    let remote = match remote_type {
        "cidr" => Remote::Cidr(parse_cidr(remote_value, v6).ok_or("invalid CIDR")?),
        "group" => remote_value
            .parse::<u64>()
            .ok()
            .filter(|id| state.groups.get(id).is_some_and(|g| g.region == region))
            .map(Remote::Group)
            .ok_or("invalid remote group")?,
        _ => return Err("invalid remote type".into()),
    };
    let ports = ports(p, protocol)?;
    let rule = Rule {
        id: uuid::Uuid::new_v4().to_string(),
        direction,
        ethertype,
        protocol,
        ports,
        remote,
        label: p.opt("label").unwrap_or("").trim().to_owned(),
    };
    let Some(group) = state.groups.get_mut(&group_id) else {
        return Err("invalid security group".into());
    };
    if group.rules.iter().any(|r| r.same_as(&rule)) {
        return Err("security group rule already exists".into());
    }
    group.rules.push(rule);
    Ok(done())
}

fn rule_delete(state: &mut State, p: &Params) -> Outcome {
    let region = region(p)?;
    let rule_id = p.req("rule_id")?.trim();
    let group = find(state, region, p)?;
    let before = group.rules.len();
    group.rules.retain(|r| !r.id.eq_ignore_ascii_case(rule_id));
    if group.rules.len() == before {
        return Err("invalid rule".into());
    }
    Ok(done())
}

/// `port_min`/`port_max`, for tcp and udp only; one of them alone means a single port.
fn ports(p: &Params, protocol: Protocol) -> Result<Option<(u16, u16)>, String> {
    let parse = |name: &str| -> Result<Option<u16>, String> {
        p.opt(name)
            .map(|v| {
                v.trim()
                    .parse::<u16>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("invalid {name}"))
            })
            .transpose()
    };
    let (min, max) = (parse("port_min")?, parse("port_max")?);
    if min.is_none() && max.is_none() {
        return Ok(None);
    }
    if !matches!(protocol, Protocol::Tcp | Protocol::Udp) {
        return Err("ports can only be set for tcp and udp rules".into());
    }
    let (min, max) = (min.or(max).unwrap_or(1), max.or(min).unwrap_or(65535));
    if min > max {
        return Err("invalid port range".into());
    }
    Ok(Some((min, max)))
}

/// A CIDR of the rule's IP version, normalised to its network address (`10.1.2.3/8` →
/// `10.0.0.0/8`).
fn parse_cidr(text: &str, v6: bool) -> Option<String> {
    let (addr, prefix) = text.split_once('/')?;
    if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let prefix: u32 = prefix.parse().ok()?;
    match addr.parse::<IpAddr>().ok()? {
        IpAddr::V4(a) if !v6 && prefix <= 32 => {
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            Some(format!(
                "{}/{prefix}",
                std::net::Ipv4Addr::from(u32::from(a) & mask)
            ))
        }
        IpAddr::V6(a) if v6 && prefix <= 128 => {
            let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
            Some(format!(
                "{}/{prefix}",
                std::net::Ipv6Addr::from(u128::from(a) & mask)
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_match_the_ip_version_and_are_normalised() {
        assert_eq!(parse_cidr("0.0.0.0/0", false).as_deref(), Some("0.0.0.0/0"));
        assert_eq!(
            parse_cidr("10.1.2.3/8", false).as_deref(),
            Some("10.0.0.0/8")
        );
        assert_eq!(
            parse_cidr("203.0.113.5/32", false).as_deref(),
            Some("203.0.113.5/32")
        );
        assert_eq!(
            parse_cidr("2602:ffb6::1/64", true).as_deref(),
            Some("2602:ffb6::/64")
        );
        assert_eq!(parse_cidr("::/0", true).as_deref(), Some("::/0"));
        for (bad, v6) in [
            ("10.0.0.0/8", true),
            ("::/0", false),
            ("10.0.0.0", false),
            ("10.0.0.0/33", false),
            ("10.0.0.0/+8", false),
            ("10.0.0/8", false),
            ("/8", false),
        ] {
            assert_eq!(parse_cidr(bad, v6), None, "{bad}");
        }
    }
}
