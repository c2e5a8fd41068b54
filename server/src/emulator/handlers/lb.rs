//! `lb/*` — load balancers (reference §8). Member actions are spelled `member_add` /
//! `member_remove` (CONFIRMED). Only `lb/list`'s shape is known (CONFIRMED, CS); the others
//! are INFERRED: `lb/create` → `lb_id`, `lb/info` → an `info` object with the settings, the
//! virtual IP and a `members` array of `{id, ip, port, status}`, the rest → no payload.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::network::region;
use super::{floating, network, s, Ctx, Outcome, Params};
use crate::emulator::json::{done, obj, ok};
use crate::emulator::state::Account;

/// Virtual IPs are taken from this host number of the network upwards.
const FIRST_VIP_HOST: u32 = 10;

/// How a load balancer spreads connections (spelt as the API spells it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Method {
    RoundRobin,
    LeastConnections,
    SourceIp,
}

impl Method {
    const ALL: [Self; 3] = [Self::RoundRobin, Self::LeastConnections, Self::SourceIp];

    fn as_str(self) -> &'static str {
        match self {
            Self::RoundRobin => "ROUND_ROBIN",
            Self::LeastConnections => "LEAST_CONNECTIONS",
            Self::SourceIp => "SOURCE_IP",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum Protocol {
    Http,
    Https,
    Tcp,
}

impl Protocol {
    const ALL: [Self; 3] = [Self::Http, Self::Https, Self::Tcp];

    fn as_str(self) -> &'static str {
        match self {
            Self::Http => "HTTP",
            Self::Https => "HTTPS",
            Self::Tcp => "TCP",
        }
    }
}

/// This category's part of an account.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    lbs: BTreeMap<u64, Lb>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Lb {
    id: u64,
    region: String,
    net_id: u64,
    name: String,
    method: Method,
    protocol: Protocol,
    port: u16,
    /// `-1` = unlimited.
    connection_limit: i64,
    vip: Ipv4Addr,
    /// The associated floating IP.
    floating_ip: Option<String>,
    members: BTreeMap<u64, Member>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Member {
    id: u64,
    ip: Ipv4Addr,
    port: u16,
}

/// Whether a load balancer sits in network `net_id` (which then cannot be deleted).
pub(crate) fn uses_network(state: &State, net_id: u64) -> bool {
    state.lbs.values().any(|lb| lb.net_id == net_id)
}

/// Removes the members at any of `addresses` from every load balancer (their VM is gone).
pub(crate) fn forget_members(state: &mut State, addresses: &[String]) {
    for lb in state.lbs.values_mut() {
        lb.members
            .retain(|_, m| !addresses.iter().any(|a| *a == m.ip.to_string()));
    }
}

/// The virtual IPs taken in network `net_id`.
pub(crate) fn vips(state: &State, net_id: u64) -> impl Iterator<Item = Ipv4Addr> + '_ {
    state
        .lbs
        .values()
        .filter(move |lb| lb.net_id == net_id)
        .map(|lb| lb.vip)
}

/// The floating IPs attached to load balancers: `(ip, region, lb id, lb name)`.
pub(crate) fn floating_attachments(state: &State) -> impl Iterator<Item = (&str, &str, u64, &str)> {
    state.lbs.values().filter_map(|lb| {
        lb.floating_ip
            .as_deref()
            .map(|ip| (ip, lb.region.as_str(), lb.id, lb.name.as_str()))
    })
}

pub(crate) fn handle(ctx: &mut Ctx<'_>, action: &str) -> Option<Outcome> {
    let (account, p) = (&mut *ctx.account, ctx.p);
    Some(match action {
        "list" => list(account, p),
        "create" => create(account, p),
        "delete" => delete(account, p),
        "info" => info(account, p),
        "member_add" => member_add(account, p),
        "member_remove" => member_remove(account, p),
        "associate" => associate(account, p),
        _ => return None,
    })
}

/// The load balancer named by `lb_id` in the request's region.
fn find<'a>(state: &'a mut State, region: &str, p: &Params) -> Result<&'a mut Lb, String> {
    let id = p.req("lb_id")?;
    id.parse::<u64>()
        .ok()
        .and_then(|id| state.lbs.get_mut(&id))
        .filter(|lb| lb.region == region)
        .ok_or_else(|| "invalid load balancer".to_owned())
}

fn port(p: &Params) -> Result<u16, String> {
    p.req("port")?
        .trim()
        .parse::<u16>()
        .ok()
        .filter(|&port| port > 0)
        .ok_or_else(|| "invalid port".to_owned())
}

fn list(account: &Account, p: &Params) -> Outcome {
    let region = region(p)?;
    // An unknown net_id just matches nothing (a filter, not a lookup).
    let net_id = p.opt("net_id");
    let lbs: Vec<Value> = account
        .lbs
        .lbs
        .values()
        .filter(|lb| lb.region == region)
        .filter(|lb| net_id.is_none_or(|n| n.trim() == lb.net_id.to_string()))
        .map(|lb| json!({"region": lb.region, "id": s(lb.id), "name": lb.name}))
        .collect();
    // The key is singular (CONFIRMED).
    Ok(ok(obj([("lb", Value::Array(lbs))])))
}

fn create(account: &mut Account, p: &Params) -> Outcome {
    let region = region(p)?;
    let net_id = p.req("net_id")?;
    let name = p.req("name")?.trim().to_owned();
    let method = p.req("method")?;
    let protocol = p.req("protocol")?;
    let limit = p.req("connection_limit")?;
    let port = port(p)?;
    let method = Method::ALL
        .into_iter()
        .find(|m| m.as_str() == method)
        .ok_or("invalid method")?;
    let protocol = Protocol::ALL
        .into_iter()
        .find(|p| p.as_str() == protocol)
        .ok_or("invalid protocol")?;
    let connection_limit = limit
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|&n| n == -1 || n > 0)
        .ok_or("invalid connection_limit")?;
    if name.chars().count() > 64 {
        return Err("invalid name".into());
    }
    let network = network::find(account, region, net_id)
        .cloned()
        .ok_or("invalid network")?;
    let net_id = network.id;
    // The lowest free address of the network from .10 up (VMs of the network hold some).
    let taken = network::taken(account, net_id);
    let vip = (FIRST_VIP_HOST..)
        .map_while(|n| network.host(n))
        .find(|ip| !taken.contains(ip))
        .ok_or("no free address in the network")?;
    let id = account.next_id();
    account.lbs.lbs.insert(
        id,
        Lb {
            id,
            region: region.to_owned(),
            net_id,
            name,
            method,
            protocol,
            port,
            connection_limit,
            vip,
            floating_ip: None,
            members: BTreeMap::new(),
        },
    );
    Ok(ok(obj([("lb_id", s(id))])))
}

fn delete(account: &mut Account, p: &Params) -> Outcome {
    let region = region(p)?;
    let id = find(&mut account.lbs, region, p)?.id;
    if let Some(lb) = account.lbs.lbs.remove(&id) {
        // Its floating IP stays on the account, unattached.
        if let Some(ip) = lb.floating_ip {
            floating::release(&mut account.floating, region, ip);
        }
    }
    Ok(done())
}

fn info(account: &mut Account, p: &Params) -> Outcome {
    let region = region(p)?;
    let lb = find(&mut account.lbs, region, p)?;
    let members: Vec<Value> = lb
        .members
        .values()
        .map(|m| json!({"id": s(m.id), "ip": s(m.ip), "port": s(m.port), "status": "ACTIVE"}))
        .collect();
    let info = json!({
        "id": s(lb.id), "name": lb.name, "region": lb.region, "net_id": s(lb.net_id),
        "method": lb.method.as_str(), "protocol": lb.protocol.as_str(), "port": s(lb.port),
        "connection_limit": s(lb.connection_limit), "vip": s(lb.vip),
        "floating_ip": lb.floating_ip.clone().unwrap_or_default(), "status": "ACTIVE",
        "members": members,
    });
    Ok(ok(obj([("info", info)])))
}

fn member_add(account: &mut Account, p: &Params) -> Outcome {
    let region = region(p)?;
    let ip = p.req("ip")?;
    let port = port(p)?;
    let lb = find(&mut account.lbs, region, p)?;
    let ip: Ipv4Addr = ip.trim().parse().map_err(|_| "invalid IP address")?;
    if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() || ip.is_loopback() {
        return Err("invalid IP address".into());
    }
    if lb.members.values().any(|m| m.ip == ip && m.port == port) {
        return Err("member already exists".into());
    }
    let lb_id = lb.id;
    let id = account.next_id();
    if let Some(lb) = account.lbs.lbs.get_mut(&lb_id) {
        lb.members.insert(id, Member { id, ip, port });
    }
    // No member id in the answer: the WIKI points to lb/info for it (INFERRED).
    Ok(done())
}

fn member_remove(account: &mut Account, p: &Params) -> Outcome {
    let region = region(p)?;
    let member = p.req("member_id")?;
    let lb = find(&mut account.lbs, region, p)?;
    member
        .parse::<u64>()
        .ok()
        .and_then(|id| lb.members.remove(&id))
        .map(|_| done())
        .ok_or_else(|| "invalid member".to_owned())
}

fn associate(account: &mut Account, p: &Params) -> Outcome {
    let region = region(p)?;
    let ip = p.req("ip")?.trim().to_owned();
    let lb = find(&mut account.lbs, region, p)?;
    if lb.floating_ip.as_deref() == Some(ip.as_str()) {
        return Ok(done());
    }
    let lb_id = lb.id;
    let attached_elsewhere = account.vms.values().any(|vm| vm.public_ip == ip)
        || floating_attachments(&account.lbs).any(|(other, ..)| other == ip);
    if attached_elsewhere {
        return Err("the floating IP is already attached".into());
    }
    if !floating::take_unattached(&mut account.floating, region, &ip) {
        return Err("invalid floating ip".into());
    }
    let Some(lb) = account.lbs.lbs.get_mut(&lb_id) else {
        return Err("invalid load balancer".into());
    };
    // There is no disassociate action: associating another IP replaces the old one, which
    // stays on the account unattached.
    if let Some(old) = lb.floating_ip.replace(ip) {
        floating::release(&mut account.floating, region, old);
    }
    Ok(done())
}
