//! What the networking pages and server functions exchange (shared by browser and server):
//! floating IPs, virtual networks and load balancers, and the checks their forms make
//! before anything is sent.

use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};

use crate::model::vm::RegionView;

/// What a floating IP costs a month, in USD. INFERRED: no API answer states it (the
/// reference prices plans only); the pages label it an estimate, the bill decides. An
/// address costs the same attached or not, which is why the list points out idle ones.
pub const FLOATING_USD_PER_MONTH_INFERRED: f64 = 1.5;

/// What a load balancer costs a month, in USD. INFERRED, as above.
pub const LB_USD_PER_MONTH_INFERRED: f64 = 7.3;

/// What a floating IP or a member is on: a VM, a load balancer, or something the panel
/// does not know (Luna Node's `attached_type` beyond `vm`/`unattached` is UNKNOWN).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// `vm`, `lb`, or Luna Node's own word.
    pub kind: String,
    pub id: String,
    /// The name the caller may see ("a server not in your list" otherwise).
    pub name: String,
    /// Whether the caller may open it.
    pub visible: bool,
}

impl Holder {
    /// Its page, when the caller may open it and the panel has one.
    pub fn href(&self) -> Option<String> {
        if !self.visible || self.id.is_empty() {
            return None;
        }
        match self.kind.as_str() {
            "vm" => Some(format!("/vms/{}", self.id)),
            "lb" => Some(format!("/load-balancers/{}", self.id)),
            _ => None,
        }
    }
}

/// One floating IP as its list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FloatingRow {
    /// The address: what the panel knows a floating IP by.
    pub ip: String,
    /// Luna Node's id (`""` when the list did not say).
    pub id: String,
    pub region: String,
    /// `None` when unattached.
    pub attached: Option<Holder>,
    /// The reverse DNS name, `""` when not set.
    pub rdns: String,
    /// Whether the reverse name is Luna Node's default (`…rdns.lunanode.com.`).
    pub rdns_default: bool,
}

/// A VM that can take a floating IP (it has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmTarget {
    pub vm_id: String,
    pub name: String,
    pub region: String,
    /// Its public IP (`""`: none, so a floating IP can be attached).
    pub ip: String,
}

/// The floating IP page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FloatingView {
    pub ips: Vec<FloatingRow>,
    /// Regions the caller may allocate in.
    pub regions: Vec<RegionView>,
    /// The caller's VMs, for attaching.
    pub vms: Vec<VmTarget>,
    /// A customer's floating IP count and limit (`None` for account holders).
    pub quota: Option<(u32, Option<u32>)>,
}

/// Whether `name` is Luna Node's default reverse name (`5.113.0.203.rdns.lunanode.com.`,
/// CONFIRMED sample) or its "not set" text.
pub fn is_default_rdns(name: &str) -> bool {
    let n = name.trim().trim_end_matches('.').to_ascii_lowercase();
    n.is_empty() || n.ends_with(".rdns.lunanode.com") || n == "[not set]"
}

/// A reverse DNS name as typed: a fully qualified host name (`mail.example.com`), sent
/// without a trailing dot. Empty means "back to the default".
pub fn check_rdns(text: &str) -> Result<Option<String>, String> {
    let name = text.trim().trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() {
        return Ok(None);
    }
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if name.len() > 253 || labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(
            "Enter a full host name such as mail.example.com (letters, digits, hyphens and dots)."
                .into(),
        );
    }
    if labels
        .last()
        .is_some_and(|t| t.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("Enter a host name, not an address.".into());
    }
    Ok(Some(name))
}

/// One VM or load balancer on a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnNetwork {
    pub id: String,
    pub name: String,
    /// Its address in the network.
    pub address: String,
    pub visible: bool,
}

/// One virtual network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkRow {
    pub id: String,
    pub name: String,
    pub region: String,
    /// CIDR, e.g. `192.168.30.0/24`.
    pub subnet: String,
    /// The region's default network (`Luna Node`, CONFIRMED): it cannot be deleted.
    pub default: bool,
    /// Its DNS servers, when Luna Node's list shows them (UNKNOWN whether it does).
    #[serde(default)]
    pub dns: Vec<String>,
    pub vms: Vec<OnNetwork>,
    pub lbs: Vec<OnNetwork>,
}

impl NetworkRow {
    /// Why it cannot be deleted now, if it cannot.
    pub fn in_use(&self) -> Option<String> {
        if self.default {
            return Some("The region's default network cannot be deleted.".into());
        }
        let names = |on: &[OnNetwork]| -> String {
            on.iter()
                .map(|o| o.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match (self.vms.is_empty(), self.lbs.is_empty()) {
            (true, true) => None,
            (false, true) => Some(format!(
                "In use by {}: delete or move them first.",
                names(&self.vms)
            )),
            (true, false) => Some(format!(
                "In use by load balancer {}: delete it first.",
                names(&self.lbs)
            )),
            (false, false) => Some(format!(
                "In use by {} and load balancer {}: delete them first.",
                names(&self.vms),
                names(&self.lbs)
            )),
        }
    }
}

/// The networks page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworksView {
    pub networks: Vec<NetworkRow>,
    /// Regions the caller may create networks in.
    pub regions: Vec<RegionView>,
    /// Why the load balancers could not be read, if they could not (the networks show
    /// without them).
    pub problem: Option<String>,
}

/// The network form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewNetwork {
    pub name: String,
    pub region: String,
    /// `192.168.30` or `192.168.30.0/24`.
    pub subnet: String,
    /// DNS servers, separated by commas or spaces; empty: Luna Node's resolvers.
    pub dns: String,
}

/// DNS servers used when the form leaves them empty (the WIKI's example pair). `network/
/// create` requires the parameter (WIKI).
pub const DEFAULT_DNS: &[&str] = &["8.8.8.8", "8.8.4.4"];

/// A network's name: 1–64 characters, no control characters (the service's limit is
/// UNKNOWN; 64 is the panel's).
pub fn check_network_name(name: &str) -> Result<(), String> {
    let n = name.trim();
    if n.is_empty() {
        return Err("Enter a name.".into());
    }
    if n.chars().count() > 64 || n.chars().any(char::is_control) {
        return Err("Use at most 64 characters, without line breaks.".into());
    }
    Ok(())
}

/// The subnet field: a private /24 as its first three numbers (`192.168.30`), which is how
/// `network/create` takes it (WIKI); `192.168.30.0/24` is accepted too. Returns the three
/// numbers and the CIDR.
pub fn parse_subnet(text: &str) -> Result<(String, String), String> {
    const SAY: &str = "Enter the first three numbers of a private /24, like 192.168.30.";
    let t = text.trim();
    if t.is_empty() {
        return Err(SAY.into());
    }
    let (addr, prefix) = match t.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (t, None),
    };
    if let Some(p) = prefix {
        if p.trim() != "24" {
            return Err("Luna Node networks are /24: enter it like 192.168.30.".into());
        }
    }
    let parts: Vec<&str> = addr.split('.').collect();
    let octets: Option<Vec<u8>> = parts
        .iter()
        .map(|o| {
            (!o.is_empty() && o.len() <= 3 && o.bytes().all(|b| b.is_ascii_digit()))
                .then(|| o.parse().ok())
                .flatten()
        })
        .collect();
    let octets = match (octets, parts.len()) {
        (Some(o), 3) => o,
        (Some(o), 4) if o[3] == 0 => o[..3].to_vec(),
        (Some(_), 4) => {
            return Err("A /24 starts at .0: enter just the first three numbers.".into());
        }
        _ => return Err(SAY.into()),
    };
    let base = Ipv4Addr::new(octets[0], octets[1], octets[2], 0);
    if !base.is_private() {
        return Err("Use a private range: 10.x.x, 172.16–31.x or 192.168.x (RFC 1918).".into());
    }
    let three = format!("{}.{}.{}", octets[0], octets[1], octets[2]);
    Ok((three.clone(), format!("{three}.0/24")))
}

/// The DNS servers field: addresses separated by commas or spaces (at most five); empty
/// gives [`DEFAULT_DNS`].
pub fn parse_dns_servers(text: &str) -> Result<Vec<String>, String> {
    let items: Vec<&str> = text
        .split([',', ' ', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return Ok(DEFAULT_DNS.iter().map(|s| (*s).to_owned()).collect());
    }
    if items.len() > 5 {
        return Err("Enter at most five DNS servers.".into());
    }
    let mut out = Vec::new();
    for item in items {
        match item.parse::<IpAddr>() {
            Ok(ip) => out.push(ip.to_string()),
            Err(_) => {
                return Err(format!(
                "“{item}” is not an IP address: enter addresses like 8.8.8.8, separated by commas."
            ))
            }
        }
    }
    Ok(out)
}

/// Whether `ip` is inside `cidr` (IPv4 only; anything unreadable is outside).
pub fn cidr_contains(cidr: &str, ip: &str) -> bool {
    let Some((net, prefix)) = cidr.trim().split_once('/') else {
        return false;
    };
    let (Ok(net), Ok(prefix), Ok(ip)) = (
        net.parse::<Ipv4Addr>(),
        prefix.parse::<u32>(),
        ip.trim().parse::<Ipv4Addr>(),
    ) else {
        return false;
    };
    if prefix > 32 {
        return false;
    }
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(net) & mask == u32::from(ip) & mask
}

/// How a load balancer spreads connections (the API's words, WIKI).
pub const LB_METHODS: &[(&str, &str)] = &[
    ("ROUND_ROBIN", "Round robin: each member in turn"),
    (
        "LEAST_CONNECTIONS",
        "Least connections: the least busy member",
    ),
    (
        "SOURCE_IP",
        "Source IP: a client always reaches the same member",
    ),
];

/// What a load balancer forwards (the API's words, WIKI).
pub const LB_PROTOCOLS: &[(&str, &str)] = &[
    ("HTTP", "HTTP"),
    ("HTTPS", "HTTPS (passed through, not terminated)"),
    ("TCP", "TCP"),
];

/// One load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LbRow {
    pub id: String,
    pub name: String,
    pub region: String,
    pub net_id: String,
    /// The network's name when known.
    pub network: String,
    pub method: String,
    pub protocol: String,
    pub port: Option<u16>,
    /// `-1`: unlimited.
    pub connection_limit: Option<i64>,
    /// Its address in the network.
    pub vip: String,
    /// `""` when none.
    pub floating_ip: String,
    pub status: String,
    pub members: Vec<LbMemberRow>,
    /// Why its details could not be read (the row shows what the list said).
    pub problem: Option<String>,
}

impl LbRow {
    pub fn display_name(&self) -> &str {
        if self.name.trim().is_empty() {
            &self.id
        } else {
            &self.name
        }
    }
}

/// One member of a load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LbMemberRow {
    pub id: String,
    pub ip: String,
    pub port: Option<u16>,
    pub status: String,
    /// The VM at that address, when the panel knows it.
    pub vm: Option<Holder>,
}

/// The load balancer list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LbsView {
    pub lbs: Vec<LbRow>,
}

/// A VM that can become a member: on the balancer's network, the caller's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberChoice {
    pub vm_id: String,
    pub name: String,
    /// Its address in the network (what `lb/member_add` takes).
    pub address: String,
}

/// One load balancer with what its page offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LbDetail {
    pub lb: LbRow,
    /// The caller's VMs on its network that are not members yet.
    pub candidates: Vec<MemberChoice>,
    /// The caller's unattached floating IPs of its region.
    pub floating: Vec<String>,
}

/// The load balancer form's choices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LbCreateOptions {
    pub regions: Vec<RegionView>,
    /// The networks the caller may put a balancer on (with their region).
    pub networks: Vec<NetworkRow>,
    /// A customer's load balancer count and limit.
    pub quota: Option<(u32, Option<u32>)>,
}

/// The load balancer form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewLb {
    pub name: String,
    pub region: String,
    pub net_id: String,
    pub method: String,
    pub protocol: String,
    pub port: String,
    /// Empty: unlimited.
    pub connection_limit: String,
}

/// A TCP port as typed (1–65535).
pub fn parse_port(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err("Enter a port from 1 to 65535.".into()),
    }
}

/// The connection limit as typed: empty (or "unlimited") is `-1`, else 1–1,000,000.
pub fn parse_connection_limit(text: &str) -> Result<i32, String> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("unlimited") || t == "-1" {
        return Ok(-1);
    }
    match t.parse::<i32>() {
        Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
        _ => Err("Enter a number of connections, or leave it empty for no limit.".into()),
    }
}

/// Pick VMs that are on network `net`'s subnet; on the region's default network, VMs in no
/// other network of the region (INFERRED: a VM's network is known only by its private
/// address; the default network's subnet and the private addresses Luna Node hands out
/// need not match).
pub fn on_network(
    net: &NetworkRow,
    others: &[&NetworkRow],
    private_ip: &str,
    region: &str,
) -> bool {
    if region != net.region {
        return false;
    }
    if cidr_contains(&net.subnet, private_ip) {
        return true;
    }
    net.default
        && !others
            .iter()
            .any(|o| !o.default && o.region == region && cidr_contains(&o.subnet, private_ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_are_private_slash_24s_written_either_way() {
        assert_eq!(
            parse_subnet("192.168.30"),
            Ok(("192.168.30".into(), "192.168.30.0/24".into()))
        );
        assert_eq!(
            parse_subnet(" 10.0.5.0/24 "),
            Ok(("10.0.5".into(), "10.0.5.0/24".into()))
        );
        assert!(parse_subnet("192.168.30.0/16").unwrap_err().contains("/24"));
        assert!(parse_subnet("192.168.30.7").unwrap_err().contains(".0"));
        assert!(parse_subnet("8.8.8").unwrap_err().contains("private"));
        for bad in [
            "",
            "192.168",
            "192.168.300",
            "a.b.c",
            "192.168.+3",
            "1.2.3.4.5",
        ] {
            assert!(parse_subnet(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dns_servers_are_addresses() {
        assert_eq!(
            parse_dns_servers(""),
            Ok(vec!["8.8.8.8".into(), "8.8.4.4".into()])
        );
        assert_eq!(
            parse_dns_servers("1.1.1.1, 2606:4700:4700::1111"),
            Ok(vec!["1.1.1.1".into(), "2606:4700:4700::1111".into()])
        );
        assert!(parse_dns_servers("1.1.1.1, dns.google")
            .unwrap_err()
            .contains("dns.google"));
        assert!(parse_dns_servers("1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6").is_err());
    }

    #[test]
    fn reverse_names_are_host_names() {
        assert_eq!(
            check_rdns("Mail.Example.com."),
            Ok(Some("mail.example.com".into()))
        );
        assert_eq!(check_rdns("  "), Ok(None));
        for bad in ["mail", "-a.example.com", "a..b", "203.0.113.5", "a b.com"] {
            assert!(check_rdns(bad).is_err(), "{bad}");
        }
        assert!(is_default_rdns("5.113.0.203.rdns.lunanode.com."));
        assert!(is_default_rdns("[not set]"));
        assert!(!is_default_rdns("mail.example.com."));
    }

    #[test]
    fn ports_and_limits() {
        assert_eq!(parse_port("443"), Ok(443));
        assert!(
            parse_port("0").is_err() && parse_port("70000").is_err() && parse_port("x").is_err()
        );
        assert_eq!(parse_connection_limit(""), Ok(-1));
        assert_eq!(parse_connection_limit("Unlimited"), Ok(-1));
        assert_eq!(parse_connection_limit("500"), Ok(500));
        assert!(parse_connection_limit("0").is_err() && parse_connection_limit("-5").is_err());
    }

    #[test]
    fn a_vm_is_on_the_network_its_address_is_in() {
        let net = |id: &str, subnet: &str, default: bool| NetworkRow {
            id: id.into(),
            name: id.into(),
            region: "toronto".into(),
            subnet: subnet.into(),
            default,
            dns: vec![],
            vms: vec![],
            lbs: vec![],
        };
        let default = net("1", "172.20.0.0/16", true);
        let lan = net("2", "192.168.30.0/24", false);
        let all = [&default, &lan];
        assert!(on_network(&lan, &all, "192.168.30.5", "toronto"));
        assert!(!on_network(&default, &all, "192.168.30.5", "toronto"));
        // Luna Node's private addresses need not be inside the default subnet.
        assert!(on_network(&default, &all, "10.20.0.7", "toronto"));
        assert!(!on_network(&lan, &all, "10.20.0.7", "toronto"));
        assert!(!on_network(&default, &all, "10.20.0.7", "montreal"));
        assert!(cidr_contains("10.0.0.0/8", "10.20.0.7") && !cidr_contains("10.0.0.0/8", "x"));
    }

    #[test]
    fn a_network_in_use_says_by_what() {
        let mut n = NetworkRow {
            id: "2".into(),
            name: "lan".into(),
            region: "toronto".into(),
            subnet: "192.168.30.0/24".into(),
            default: false,
            dns: vec![],
            vms: vec![],
            lbs: vec![],
        };
        assert_eq!(n.in_use(), None);
        n.vms.push(OnNetwork {
            id: "v".into(),
            name: "web-1".into(),
            address: "192.168.30.2".into(),
            visible: true,
        });
        assert!(n.in_use().unwrap().contains("web-1"));
        n.default = true;
        assert!(n.in_use().unwrap().contains("default"));
    }
}
