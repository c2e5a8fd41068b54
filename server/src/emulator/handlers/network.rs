//! `network/*` — virtual networks (reference §7). Every region starts with the default
//! network `Luna Node`, `172.20.0.0/16` (CONFIRMED, CS sample), seeded on first use; it
//! cannot be deleted. `network/create` takes a private /24 written as three octets.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{s, Ctx, Outcome, Params};
use crate::emulator::json::{done, obj, ok};
use crate::emulator::state::{region_known, Account, REGIONS};

const DEFAULT_NAME: &str = "Luna Node";
const DEFAULT_SUBNET: Ipv4Addr = Ipv4Addr::new(172, 20, 0, 0);
const DEFAULT_PREFIX: u8 = 16;

/// This category's part of an account.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// Whether each region's default network exists yet.
    seeded: bool,
    networks: BTreeMap<u64, Network>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Network {
    pub id: u64,
    pub region: String,
    pub name: String,
    /// Network address and prefix length.
    pub subnet: (Ipv4Addr, u8),
    /// The region's default network.
    pub default: bool,
}

impl Network {
    pub fn cidr(&self) -> String {
        format!("{}/{}", self.subnet.0, self.subnet.1)
    }

    /// The `n`th address of the subnet, if it is a usable host address.
    pub fn host(&self, n: u32) -> Option<Ipv4Addr> {
        let size = 1u32 << (32 - u32::from(self.subnet.1));
        (n > 0 && n < size - 1).then(|| Ipv4Addr::from(u32::from(self.subnet.0) + n))
    }
}

pub(crate) fn handle(ctx: &mut Ctx<'_>, action: &str) -> Option<Outcome> {
    let (account, p) = (&mut *ctx.account, ctx.p);
    seed(account);
    Some(match action {
        "list" => list(account, p),
        "create" => create(account, p),
        "delete" => delete(account, p),
        _ => return None,
    })
}

/// A required, known `region` (`region not set` is the service's text, CONFIRMED).
pub(crate) fn region(p: &Params) -> Result<&str, String> {
    let region = p.req("region")?;
    if region_known(region) {
        Ok(region)
    } else {
        Err("invalid region".into())
    }
}

/// Creates every region's default network the first time the account's networks are used.
fn seed(account: &mut Account) {
    if account.networks.seeded {
        return;
    }
    account.networks.seeded = true;
    for (region, _) in REGIONS {
        let id = account.next_id();
        account.networks.networks.insert(
            id,
            Network {
                id,
                region: (*region).to_owned(),
                name: DEFAULT_NAME.to_owned(),
                subnet: (DEFAULT_SUBNET, DEFAULT_PREFIX),
                default: true,
            },
        );
    }
}

/// The network `net_id` of `region`, if the account has it.
pub(crate) fn find<'a>(
    account: &'a mut Account,
    region: &str,
    net_id: &str,
) -> Option<&'a Network> {
    seed(account);
    let id = net_id.parse::<u64>().ok()?;
    account
        .networks
        .networks
        .get(&id)
        .filter(|n| n.region == region)
}

/// The addresses of network `net_id` held by VMs and load balancers.
pub(crate) fn taken(account: &Account, net_id: u64) -> Vec<Ipv4Addr> {
    account
        .vms
        .values()
        .filter(|vm| vm.net_id == Some(net_id))
        .flat_map(|vm| std::iter::once(&vm.private_ip).chain(&vm.extra_private_ips))
        .filter_map(|ip| ip.parse().ok())
        .chain(super::lb::vips(&account.lbs, net_id))
        .collect()
}

/// The lowest free host address of `network` for a VM (from .2: .1 is the gateway).
pub(crate) fn free_host(account: &Account, network: &Network) -> Option<String> {
    let taken = taken(account, network.id);
    (2..)
        .map_while(|n| network.host(n))
        .find(|ip| !taken.contains(ip))
        .map(|ip| ip.to_string())
}

fn list(account: &Account, p: &Params) -> Outcome {
    let only = p.opt("region");
    if only.is_some_and(|r| !region_known(r)) {
        return Err("invalid region".into());
    }
    // No region per entry: the CS sample has none (UNKNOWN whether the service sends it).
    let networks: Vec<Value> = account
        .networks
        .networks
        .values()
        .filter(|n| only.is_none_or(|r| n.region == r))
        .map(|n| json!({"net_id": s(n.id), "name": n.name, "subnet": n.cidr()}))
        .collect();
    Ok(ok(obj([("networks", Value::Array(networks))])))
}

fn create(account: &mut Account, p: &Params) -> Outcome {
    let region = region(p)?;
    let name = p.req("name")?.trim();
    let subnet = p.req("subnet")?;
    let dns = p.req("dns")?;
    if name.chars().count() > 64 {
        return Err("invalid name".into());
    }
    let subnet = parse_subnet(subnet).ok_or("invalid subnet")?;
    // The DNS servers are handed to the network's DHCP; no known answer shows them, so
    // they are validated and not kept.
    let servers: Vec<&str> = dns.split(',').map(str::trim).collect();
    if servers.len() > 5 || servers.iter().any(|d| d.parse::<IpAddr>().is_err()) {
        return Err("invalid dns".into());
    }
    if account
        .networks
        .networks
        .values()
        .any(|n| n.region == region && overlaps(n.subnet, subnet))
    {
        return Err("subnet overlaps an existing network".into());
    }
    let id = account.next_id();
    account.networks.networks.insert(
        id,
        Network {
            id,
            region: region.to_owned(),
            name: name.to_owned(),
            subnet,
            default: false,
        },
    );
    // INFERRED answer (reference §7).
    Ok(ok(obj([("net_id", s(id))])))
}

fn delete(account: &mut Account, p: &Params) -> Outcome {
    let region = region(p)?;
    let net_id = p.req("net_id")?;
    let network = find(account, region, net_id).ok_or("invalid network")?;
    let id = network.id;
    if network.default {
        return Err("the default network cannot be deleted".into());
    }
    if super::lb::uses_network(&account.lbs, id) {
        return Err("the network is in use by a load balancer".into());
    }
    // INFERRED wording; OpenStack refuses to delete a network with ports on it.
    if account.vms.values().any(|vm| vm.net_id == Some(id)) {
        return Err("the network is in use by a virtual machine".into());
    }
    account.networks.networks.remove(&id);
    Ok(done())
}

/// `192.168.30` → `192.168.30.0/24`; only private (RFC 1918) ranges.
fn parse_subnet(text: &str) -> Option<(Ipv4Addr, u8)> {
    let octets: Vec<u8> = text
        .trim()
        .split('.')
        .map(|o| {
            (!o.is_empty() && o.len() <= 3 && o.bytes().all(|b| b.is_ascii_digit()))
                .then(|| o.parse().ok())
                .flatten()
        })
        .collect::<Option<_>>()?;
    let [a, b, c] = octets[..] else {
        return None;
    };
    let addr = Ipv4Addr::new(a, b, c, 0);
    addr.is_private().then_some((addr, 24))
}

fn overlaps(a: (Ipv4Addr, u8), b: (Ipv4Addr, u8)) -> bool {
    let prefix = a.1.min(b.1);
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    u32::from(a.0) & mask == u32::from(b.0) & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_are_three_octets_of_a_private_range() {
        assert_eq!(
            parse_subnet("192.168.30"),
            Some((Ipv4Addr::new(192, 168, 30, 0), 24))
        );
        assert_eq!(
            parse_subnet("10.0.5"),
            Some((Ipv4Addr::new(10, 0, 5, 0), 24))
        );
        for bad in [
            "192.168.30.0",
            "192.168",
            "192.168.300",
            "8.8.8",
            "192.168.+3",
            "192.168.30/24",
            "",
        ] {
            assert_eq!(parse_subnet(bad), None, "{bad}");
        }
        let default = (DEFAULT_SUBNET, DEFAULT_PREFIX);
        assert!(overlaps(default, (Ipv4Addr::new(172, 20, 9, 0), 24)));
        assert!(!overlaps(default, (Ipv4Addr::new(172, 21, 9, 0), 24)));
    }
}
