//! What the security-group pages and server functions exchange (shared by browser and
//! server), and the pure logic behind them: Luna Node's rule words read into rules, the rule
//! form's validation, the presets, and the lint that warns in words when an inbound rule
//! opens SSH, RDP or a database port to the whole internet.
//!
//! Luna Node's rule fields are CONFIRMED (`securitygroup/rule-list`: `direction`,
//! `ethertype`, `protocol`, `port_range`, `remote`, `label`), but only the `*` forms of
//! `port_range` and `remote` are; `22` / `1000-2000` and a CIDR or a group's name are
//! INFERRED, so anything else is read as "not known" and never guessed at.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::error::FieldErrors;
use crate::model::vm::RegionView;

/// The group every region has (CONFIRMED). OpenStack refuses to rename or delete it
/// (INFERRED for Luna Node: its answer is UNKNOWN), so the panel never asks.
pub const DEFAULT_GROUP: &str = "default";

/// Longest group name and rule label the panel sends. INFERRED: Luna Node's limits are not
/// documented (OpenStack allows 255).
pub const NAME_MAX: usize = 64;

/// Which way a rule lets traffic through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    /// Into the VMs (`ingress`).
    Ingress,
    /// Out of the VMs (`egress`).
    Egress,
}

impl Direction {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "ingress" => Some(Self::Ingress),
            "egress" => Some(Self::Egress),
            _ => None,
        }
    }

    /// The API's word.
    pub fn param(self) -> &'static str {
        match self {
            Self::Ingress => "ingress",
            Self::Egress => "egress",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Ingress => "Inbound",
            Self::Egress => "Outbound",
        }
    }
}

/// A rule's IP version (the API's `type`, `4`/`6`; `rule-list` says `IPv4`/`IPv6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IpVersion {
    V4,
    V6,
}

impl IpVersion {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "4" | "ipv4" => Some(Self::V4),
            "6" | "ipv6" => Some(Self::V6),
            _ => None,
        }
    }

    /// The form's and the API's value.
    pub fn param(self) -> &'static str {
        match self {
            Self::V4 => "4",
            Self::V6 => "6",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::V4 => "IPv4",
            Self::V6 => "IPv6",
        }
    }

    /// The network that is every address of this version.
    pub fn anywhere(self) -> &'static str {
        match self {
            Self::V4 => "0.0.0.0/0",
            Self::V6 => "::/0",
        }
    }
}

/// A rule's protocol (`*` is every protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    Any,
    Tcp,
    Udp,
    Icmp,
}

impl Protocol {
    pub const ALL: [Protocol; 4] = [Protocol::Tcp, Protocol::Udp, Protocol::Icmp, Protocol::Any];

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "*" | "any" | "all" => Some(Self::Any),
            "tcp" => Some(Self::Tcp),
            "udp" => Some(Self::Udp),
            // OpenStack's IPv6 spellings (INFERRED that Luna Node may show them).
            "icmp" | "ipv6-icmp" | "icmpv6" => Some(Self::Icmp),
            _ => None,
        }
    }

    /// The form's and the API's value.
    pub fn param(self) -> &'static str {
        match self {
            Self::Any => "*",
            Self::Tcp => "tcp",
            Self::Udp => "udp",
            Self::Icmp => "icmp",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Any => "All protocols",
            Self::Tcp => "TCP",
            Self::Udp => "UDP",
            Self::Icmp => "ICMP",
        }
    }

    /// Whether rules of this protocol name ports (only TCP and UDP do).
    pub fn has_ports(self) -> bool {
        matches!(self, Self::Tcp | Self::Udp)
    }
}

/// A range of ports, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ports {
    pub min: u16,
    pub max: u16,
}

impl Ports {
    pub fn covers(self, port: u16) -> bool {
        (self.min..=self.max).contains(&port)
    }

    /// Whether this is every port there is.
    pub fn is_all(self) -> bool {
        self.min <= 1 && self.max == u16::MAX
    }

    pub fn text(self) -> String {
        if self.min == self.max {
            self.min.to_string()
        } else {
            format!("{}–{}", self.min, self.max)
        }
    }
}

/// Reads `rule-list`'s `port_range`: `Some(None)` for every port (`*`, CONFIRMED, or
/// empty), `Some(Some(range))` for `22` or `1000-2000` (INFERRED formats; `1000:2000` too),
/// `None` when it cannot be read.
pub fn parse_port_range(text: &str) -> Option<Option<Ports>> {
    let text = text.trim();
    if matches!(text, "" | "*" | "any" | "all") {
        return Some(None);
    }
    let port = |s: &str| s.trim().parse::<u16>().ok().filter(|p| *p > 0);
    let (min, max) = match text.split_once(['-', ':']) {
        Some((a, b)) => (port(a)?, port(b)?),
        None => {
            let p = port(text)?;
            (p, p)
        }
    };
    (min <= max).then_some(Some(Ports { min, max }))
}

/// A group to pick (a rule's remote group, a group to apply to a VM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupChoice {
    pub id: String,
    pub name: String,
}

/// Where a rule's traffic comes from (inbound) or goes to (outbound).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Remote {
    /// `*`: any address at all (CONFIRMED word).
    Anywhere,
    /// A network, as Luna Node words it.
    Cidr(String),
    /// The members of another group of the region. `rule-list` names it (INFERRED: by
    /// name); `id` is empty when no group of the region has that name.
    Group { id: String, name: String },
}

impl Remote {
    /// Reads `rule-list`'s `remote`: `*` (or nothing) is anywhere; a network (or a single
    /// address) is a CIDR; anything else names a group of the region (`groups`), by name or
    /// id (INFERRED: Luna Node shows the name).
    pub fn read(text: &str, groups: &[GroupChoice]) -> Self {
        let text = text.trim();
        if text.is_empty() || text == "*" {
            return Remote::Anywhere;
        }
        if cidr_version(text).is_some() {
            return Remote::Cidr(text.to_owned());
        }
        let group = groups
            .iter()
            .find(|g| g.name == text)
            .or_else(|| groups.iter().find(|g| g.id == text));
        match group {
            Some(g) => Remote::Group {
                id: g.id.clone(),
                name: g.name.clone(),
            },
            None => Remote::Group {
                id: String::new(),
                name: text.to_owned(),
            },
        }
    }

    /// Whether this is the whole internet: `*`, `0.0.0.0/0` or `::/0`.
    pub fn is_internet(&self) -> bool {
        match self {
            Remote::Anywhere => true,
            Remote::Cidr(c) => c
                .trim()
                .split_once('/')
                .is_some_and(|(_, prefix)| prefix.trim().parse::<u8>() == Ok(0)),
            Remote::Group { .. } => false,
        }
    }

    /// How the rule table shows it: the network, or the group's name.
    pub fn text(&self) -> String {
        match self {
            Remote::Anywhere => "anywhere (*)".to_owned(),
            Remote::Cidr(c) => c.clone(),
            Remote::Group { name, .. } => format!("group {name}"),
        }
    }
}

/// One rule of a group as the panel reads it. Luna Node's words are kept (they are shown
/// as they are when the panel cannot read them); the methods say what they mean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRow {
    /// A UUID: what deleting it takes (INFERRED).
    pub id: String,
    pub direction: String,
    /// `IPv4` or `IPv6`.
    pub ethertype: String,
    pub protocol: String,
    pub port_range: String,
    pub remote: Remote,
    pub label: String,
}

impl RuleRow {
    pub fn dir(&self) -> Option<Direction> {
        Direction::parse(&self.direction)
    }

    pub fn version(&self) -> Option<IpVersion> {
        IpVersion::parse(&self.ethertype)
    }

    pub fn proto(&self) -> Option<Protocol> {
        Protocol::parse(&self.protocol)
    }

    /// `Some(None)`: every port; `None`: unreadable.
    pub fn ports(&self) -> Option<Option<Ports>> {
        parse_port_range(&self.port_range)
    }

    /// The ports column: "22", "1000–2000", "all", or Luna Node's words.
    pub fn ports_text(&self) -> String {
        match (self.proto(), self.ports()) {
            (Some(p), _) if !p.has_ports() => "–".to_owned(),
            (_, Some(None)) => "all".to_owned(),
            (_, Some(Some(p))) => p.text(),
            (_, None) => self.port_range.clone(),
        }
    }

    /// What the rule does, in words: "inbound TCP 22 from 0.0.0.0/0".
    pub fn describe(&self) -> String {
        let dir = self.dir();
        let way = match dir {
            Some(d) => d.label().to_ascii_lowercase(),
            None => self.direction.clone(),
        };
        let what = match self.proto() {
            Some(Protocol::Any) => "all traffic".to_owned(),
            Some(Protocol::Icmp) => "ICMP".to_owned(),
            Some(p) => match self.ports() {
                Some(None) => format!("{} (all ports)", p.label()),
                Some(Some(ports)) => format!("{} {}", p.label(), ports.text()),
                None => format!("{} {}", p.label(), self.port_range),
            },
            None => self.protocol.clone(),
        };
        let from = if dir == Some(Direction::Egress) {
            "to"
        } else {
            "from"
        };
        format!("{way} {what} {from} {}", self.remote.text())
    }

    /// How a warning names the rule: its label (if any) and what it does.
    pub fn name(&self) -> String {
        if self.label.trim().is_empty() {
            format!("“{}”", self.describe())
        } else {
            format!("“{}” ({})", self.label.trim(), self.describe())
        }
    }
}

/// A port the lint watches: a service that should not be open to the whole internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watched {
    pub port: u16,
    pub service: &'static str,
    /// Whether the service also listens on UDP (RDP, Memcached); the others are TCP only,
    /// so a UDP rule on their port does not expose them.
    pub udp: bool,
}

/// The lint's list: remote logins (SSH, RDP) and the databases and caches most often found
/// open by internet-wide scans, each on its default port. A service moved to another port
/// is not recognised (nothing can tell); a rule opening every port is warned about anyway.
pub const WATCHED: &[Watched] = &[
    Watched {
        port: 22,
        service: "SSH",
        udp: false,
    },
    Watched {
        port: 3389,
        service: "RDP",
        udp: true,
    },
    Watched {
        port: 3306,
        service: "MySQL",
        udp: false,
    },
    Watched {
        port: 5432,
        service: "PostgreSQL",
        udp: false,
    },
    Watched {
        port: 27017,
        service: "MongoDB",
        udp: false,
    },
    Watched {
        port: 6379,
        service: "Redis",
        udp: false,
    },
    Watched {
        port: 1433,
        service: "Microsoft SQL Server",
        udp: false,
    },
    Watched {
        port: 9200,
        service: "Elasticsearch",
        udp: false,
    },
    Watched {
        port: 11211,
        service: "Memcached",
        udp: true,
    },
];

/// One rule of one group opening watched ports to the whole internet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LintWarning {
    pub group_id: String,
    pub group_name: String,
    pub rule_id: String,
    /// The rule as [`RuleRow::name`] names it.
    pub rule: String,
    /// What it opens: "SSH (22)", …
    pub services: Vec<String>,
    /// Whether it opens every port (all protocols, or all TCP ports).
    pub every_port: bool,
}

impl LintWarning {
    /// What the rule exposes, in words.
    pub fn exposure(&self) -> String {
        if self.every_port {
            return "every port (SSH, RDP and database ports included)".to_owned();
        }
        match self.services.as_slice() {
            [] => "ports".to_owned(),
            [one] => one.clone(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        }
    }

    /// The warning on the group's page and list.
    pub fn on_group(&self) -> String {
        format!(
            "Rule {} opens {} to the whole internet. Narrow it to your address: add the same \
             rule from your address (for example 203.0.113.5/32) or your network, then delete \
             this one.",
            self.rule,
            self.exposure()
        )
    }

    /// The warning on the page of a VM that has the group.
    pub fn on_vm(&self) -> String {
        format!(
            "This VM has {} open to the whole internet through group “{}” (rule {}). Narrow \
             it to your address on the group's page.",
            self.exposure(),
            self.group_name,
            self.rule
        )
    }
}

/// The warnings for group `group_id` (`group_name`) with `rules`: every inbound rule whose
/// remote is the whole internet (`*`, `0.0.0.0/0`, `::/0`) and whose protocol and ports
/// cover a [`WATCHED`] port (a range covering it, all ports, or all protocols). Rules the
/// panel cannot read (unknown words) are not guessed at.
pub fn lint(group_id: &str, group_name: &str, rules: &[RuleRow]) -> Vec<LintWarning> {
    rules
        .iter()
        .filter(|r| r.dir() == Some(Direction::Ingress) && r.remote.is_internet())
        .filter_map(|r| {
            let protocol = r.proto()?;
            let ports = match protocol {
                Protocol::Icmp => return None,
                Protocol::Any => None,
                Protocol::Tcp | Protocol::Udp => r.ports()?,
            };
            let every_port = ports.is_none_or(Ports::is_all)
                && matches!(protocol, Protocol::Any | Protocol::Tcp);
            let services: Vec<String> = WATCHED
                .iter()
                .filter(|w| protocol != Protocol::Udp || w.udp)
                .filter(|w| ports.is_none_or(|p| p.covers(w.port)))
                .map(|w| format!("{} ({})", w.service, w.port))
                .collect();
            (!services.is_empty()).then(|| LintWarning {
                group_id: group_id.to_owned(),
                group_name: group_name.to_owned(),
                rule_id: r.id.clone(),
                rule: r.name(),
                services,
                every_port,
            })
        })
        .collect()
}

/// The IP version of a network (or single address) as typed, if it is one.
pub fn cidr_version(text: &str) -> Option<IpVersion> {
    parse_cidr(text).map(|(_, v)| v)
}

/// A network or single address as typed: normalised to its network (`10.1.2.3/8` →
/// `10.0.0.0/8`; a bare address is `/32` or `/128`) with its IP version.
fn parse_cidr(text: &str) -> Option<(String, IpVersion)> {
    let text = text.trim();
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => {
            let p = p.trim();
            if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (a.trim(), Some(p.parse::<u32>().ok()?))
        }
        None => (text, None),
    };
    match addr.parse::<IpAddr>().ok()? {
        IpAddr::V4(a) => {
            let prefix = prefix.unwrap_or(32);
            if prefix > 32 {
                return None;
            }
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            let net = std::net::Ipv4Addr::from(u32::from(a) & mask);
            Some((format!("{net}/{prefix}"), IpVersion::V4))
        }
        IpAddr::V6(a) => {
            let prefix = prefix.unwrap_or(128);
            if prefix > 128 {
                return None;
            }
            let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
            let net = std::net::Ipv6Addr::from(u128::from(a) & mask);
            Some((format!("{net}/{prefix}"), IpVersion::V6))
        }
    }
}

/// Checks a network typed for a rule of `version`; returns it normalised.
pub fn check_cidr(text: &str, version: IpVersion) -> Result<String, String> {
    let example = match version {
        IpVersion::V4 => "203.0.113.0/24, or 203.0.113.5 for one address",
        IpVersion::V6 => "2001:db8::/64, or 2001:db8::5 for one address",
    };
    if text.trim().is_empty() {
        return Err(format!(
            "Enter a network such as {example} ({} is anywhere).",
            version.anywhere()
        ));
    }
    match parse_cidr(text) {
        Some((net, v)) if v == version => Ok(net),
        Some((_, v)) => Err(format!(
            "That is an {} network: choose {} above, or enter an {} one.",
            v.label(),
            v.label(),
            version.label()
        )),
        None => Err(format!(
            "That is not a network. Enter one such as {example}."
        )),
    }
}

/// Checks a group name (1 to [`NAME_MAX`] characters, one line).
pub fn check_group_name(name: &str) -> Result<(), String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(format!("Give it a name of 1 to {NAME_MAX} characters."));
    }
    if name.chars().any(char::is_control) {
        return Err("The name must be one line of text.".into());
    }
    Ok(())
}

/// A rule's remote as the panel sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NewRemote {
    /// A normalised network.
    Cidr(String),
    /// Another group's id (of the same region).
    Group(String),
}

/// A checked rule, ready to insert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRule {
    pub direction: Direction,
    pub version: IpVersion,
    pub protocol: Protocol,
    /// `None`: every port (and always for ICMP and all protocols).
    pub ports: Option<Ports>,
    pub remote: NewRemote,
    pub label: String,
}

impl NewRule {
    /// Whether `existing` is this rule already (the same traffic; labels aside).
    pub fn matches(&self, existing: &RuleRow) -> bool {
        let ports = if self.protocol.has_ports() {
            existing.ports()
        } else {
            Some(None)
        };
        let remote = match (&self.remote, &existing.remote) {
            (NewRemote::Cidr(a), Remote::Cidr(b)) => parse_cidr(b).is_some_and(|(b, _)| *a == b),
            (NewRemote::Cidr(a), Remote::Anywhere) => *a == self.version.anywhere(),
            (NewRemote::Group(id), Remote::Group { id: other, .. }) => id == other,
            _ => false,
        };
        existing.dir() == Some(self.direction)
            && existing.version() == Some(self.version)
            && existing.proto() == Some(self.protocol)
            && ports.is_some_and(|p| p.unwrap_or(ALL_PORTS) == self.ports.unwrap_or(ALL_PORTS))
            && remote
    }

    /// The rule in words, for messages ("SSH: inbound TCP 22 from 0.0.0.0/0").
    pub fn describe(&self, groups: &[GroupChoice]) -> String {
        let remote = match &self.remote {
            NewRemote::Cidr(c) => Remote::Cidr(c.clone()),
            NewRemote::Group(id) => Remote::read(id, groups),
        };
        let row = RuleRow {
            id: String::new(),
            direction: self.direction.param().into(),
            ethertype: self.version.label().into(),
            protocol: self.protocol.param().into(),
            port_range: self
                .ports
                .map_or("*".into(), |p| format!("{}-{}", p.min, p.max)),
            remote,
            label: String::new(),
        };
        if self.label.is_empty() {
            row.describe()
        } else {
            format!("{}: {}", self.label, row.describe())
        }
    }
}

const ALL_PORTS: Ports = Ports {
    min: 1,
    max: u16::MAX,
};

/// The rule editor's answers, as typed (missing fields are empty: the check says what is
/// needed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleForm {
    /// `ingress` or `egress`.
    pub direction: String,
    /// `4` or `6`.
    pub version: String,
    /// `tcp`, `udp`, `icmp` or `*`.
    pub protocol: String,
    pub port_min: String,
    pub port_max: String,
    /// `cidr` or `group`.
    pub remote_type: String,
    pub cidr: String,
    /// The remote group's id, picked from the region's groups (never typed).
    pub remote_group: String,
    pub label: String,
}

impl RuleForm {
    /// Checks every field; `groups` are the groups of the region the caller may pick as a
    /// remote. Errors name the form's fields (`port_min`, `cidr`, …).
    pub fn check(&self, groups: &[GroupChoice]) -> Result<NewRule, FieldErrors> {
        let mut errors = FieldErrors::new();
        let direction = Direction::parse(&self.direction);
        if direction.is_none() {
            errors.add("direction", "Choose inbound or outbound.");
        }
        let version = IpVersion::parse(&self.version);
        if version.is_none() {
            errors.add("version", "Choose IPv4 or IPv6.");
        }
        let protocol = Protocol::parse(&self.protocol);
        let ports = match protocol {
            None => {
                errors.add("protocol", "Choose TCP, UDP, ICMP or all protocols.");
                None
            }
            Some(p) if p.has_ports() => check_ports(&self.port_min, &self.port_max, &mut errors),
            Some(p) => {
                if !(self.port_min.trim().is_empty() && self.port_max.trim().is_empty()) {
                    let why = match p {
                        Protocol::Icmp => "ICMP has no ports: leave the ports empty.",
                        _ => "All protocols means every port: leave the ports empty.",
                    };
                    errors.add("port_min", why);
                }
                None
            }
        };
        let remote = match self.remote_type.trim() {
            "cidr" => match version {
                Some(v) => match check_cidr(&self.cidr, v) {
                    Ok(net) => Some(NewRemote::Cidr(net)),
                    Err(e) => {
                        errors.add("cidr", e);
                        None
                    }
                },
                None => None,
            },
            "group" => {
                let id = self.remote_group.trim();
                if id.is_empty() {
                    errors.add("remote_group", "Choose a group.");
                    None
                } else if groups.iter().any(|g| g.id == id) {
                    Some(NewRemote::Group(id.to_owned()))
                } else {
                    errors.add("remote_group", "Choose one of this region's groups.");
                    None
                }
            }
            _ => {
                errors.add("remote_type", "Choose a network (CIDR) or a group.");
                None
            }
        };
        let label = self.label.trim();
        if label.chars().count() > NAME_MAX || label.chars().any(char::is_control) {
            errors.add(
                "label",
                format!("A label is one line of at most {NAME_MAX} characters."),
            );
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        match (direction, version, protocol, remote) {
            (Some(direction), Some(version), Some(protocol), Some(remote)) => Ok(NewRule {
                direction,
                version,
                protocol,
                ports,
                remote,
                label: label.to_owned(),
            }),
            // Every missing part added an error above.
            _ => Err(FieldErrors(Vec::new())),
        }
    }
}

/// The two port fields of a TCP or UDP rule: both empty is every port; one port alone is
/// that port; each 1 to 65535, the first not above the last.
fn check_ports(min: &str, max: &str, errors: &mut FieldErrors) -> Option<Ports> {
    let read = |text: &str| -> Result<Option<u16>, ()> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        match text.parse::<u32>() {
            Ok(n) if (1..=65535).contains(&n) => Ok(u16::try_from(n).ok()),
            _ => Err(()),
        }
    };
    const RANGE: &str = "Enter a port from 1 to 65535.";
    let (lo, hi) = (read(min), read(max));
    if lo.is_err() {
        errors.add("port_min", RANGE);
    }
    if hi.is_err() {
        errors.add("port_max", RANGE);
    }
    match (lo.ok()?, hi.ok()?) {
        (None, None) => None,
        (Some(p), None) => Some(Ports { min: p, max: p }),
        (None, Some(_)) => {
            errors.add(
                "port_min",
                "Enter the first port too (or leave both empty for every port).",
            );
            None
        }
        (Some(min), Some(max)) if min > max => {
            errors.add("port_max", "The last port must not be below the first.");
            None
        }
        (Some(min), Some(max)) => Some(Ports { min, max }),
    }
}

/// A ready-made set of rules, inserted in one go from a source network the user gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Preset {
    /// TCP 22.
    Ssh,
    /// TCP 80 and 443.
    Web,
    /// ICMP.
    Ping,
    /// Every protocol and port from the user's own network (an office /24).
    MyNetwork,
}

impl Preset {
    pub const ALL: [Preset; 4] = [Preset::Ssh, Preset::Web, Preset::Ping, Preset::MyNetwork];

    /// The form's value.
    pub fn key(self) -> &'static str {
        match self {
            Preset::Ssh => "ssh",
            Preset::Web => "web",
            Preset::Ping => "ping",
            Preset::MyNetwork => "network",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key.trim())
    }

    /// The button's text.
    pub fn label(self) -> &'static str {
        match self {
            Preset::Ssh => "SSH",
            Preset::Web => "HTTP + HTTPS",
            Preset::Ping => "Ping (ICMP)",
            Preset::MyNetwork => "Everything from my network",
        }
    }

    /// The preset's inbound rules from `source` (a network or one address; the rules are of
    /// its IP version). `Err` is the message for the source field.
    pub fn rules(self, source: &str) -> Result<Vec<NewRule>, String> {
        let version = cidr_version(source).ok_or_else(|| {
            "Enter where from: your address (for example 203.0.113.5), your network (for \
             example 203.0.113.0/24), or 0.0.0.0/0 for anywhere."
                .to_owned()
        })?;
        let cidr = check_cidr(source, version)?;
        let rule = |protocol, port: Option<u16>, label: &str| NewRule {
            direction: Direction::Ingress,
            version,
            protocol,
            ports: port.map(|p| Ports { min: p, max: p }),
            remote: NewRemote::Cidr(cidr.clone()),
            label: label.to_owned(),
        };
        Ok(match self {
            Preset::Ssh => vec![rule(Protocol::Tcp, Some(22), "SSH")],
            Preset::Web => vec![
                rule(Protocol::Tcp, Some(80), "HTTP"),
                rule(Protocol::Tcp, Some(443), "HTTPS"),
            ],
            Preset::Ping => vec![rule(Protocol::Icmp, None, "Ping")],
            Preset::MyNetwork => vec![rule(Protocol::Any, None, "My network")],
        })
    }
}

/// What a preset did: the rules it added and those the group had already.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresetOutcome {
    pub added: Vec<String>,
    pub existed: Vec<String>,
}

impl PresetOutcome {
    pub fn message(&self) -> String {
        let mut parts = Vec::new();
        if !self.added.is_empty() {
            parts.push(format!("Added: {}.", self.added.join("; ")));
        }
        if !self.existed.is_empty() {
            parts.push(format!("Already there: {}.", self.existed.join("; ")));
        }
        parts.join(" ")
    }
}

/// A VM as a group's page names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmRef {
    /// Empty when the caller may not open it.
    pub vm_id: String,
    pub name: String,
    /// Whether the caller may open it (a customer's group may be on a server their
    /// provider has not given them).
    pub visible: bool,
}

/// One group as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRow {
    pub id: String,
    pub name: String,
    pub region: String,
    /// How many rules it has; `None` when they could not be read.
    pub rules: Option<usize>,
    /// The VMs using it (matched by name within its region: `vm/info` names a VM's groups,
    /// CONFIRMED; names are INFERRED to be unique per region).
    pub vms: Vec<VmRef>,
    pub warnings: Vec<LintWarning>,
}

impl GroupRow {
    /// The region's `default` group (never renamed or deleted).
    pub fn is_default(&self) -> bool {
        self.name == DEFAULT_GROUP
    }

    /// The VMs named in words ("web-1, db-2 and 1 server not in your list").
    pub fn users(&self) -> String {
        users(&self.vms)
    }
}

/// VMs named in words: the visible ones by name, the others counted.
pub fn users(vms: &[VmRef]) -> String {
    let mut names: Vec<String> = vms
        .iter()
        .filter(|v| v.visible)
        .map(|v| v.name.clone())
        .collect();
    match vms.iter().filter(|v| !v.visible).count() {
        0 => {}
        1 => names.push("1 server not in your list".to_owned()),
        n => names.push(format!("{n} servers not in your list")),
    }
    match names.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// How many security groups a customer holds and may hold (`None`: no limit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupQuotaView {
    pub used: u32,
    pub limit: Option<u32>,
}

/// The caller's groups in every region, with what the create form offers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupsView {
    pub groups: Vec<GroupRow>,
    /// The regions a group can be made in.
    pub regions: Vec<RegionView>,
    /// Groups whose rules could not be read (they are listed without them).
    pub problem: Option<String>,
    /// Customers only.
    pub quota: Option<GroupQuotaView>,
    /// Every warning of every group (group id, group name, the warning), for the summary
    /// above the list: whole even when `groups` is one page of them.
    #[serde(default)]
    pub open: Vec<(String, String, String)>,
}

/// One group with what its page offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDetail {
    pub group: GroupRow,
    pub rules: Vec<RuleRow>,
    /// The region's other groups the caller may pick as a rule's remote.
    pub others: Vec<GroupChoice>,
    /// VMs of the region the caller may apply it to (those not using it).
    pub candidates: Vec<VmRef>,
}

/// One group of a VM, as the VM's page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmGroup {
    /// Empty when the caller may not open it (a customer's VM in their provider's group).
    pub id: String,
    pub name: String,
    pub visible: bool,
    pub warnings: Vec<LintWarning>,
}

/// A VM's security groups: its own (with their warnings) and those it can be given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmGroupsView {
    pub region: String,
    pub groups: Vec<VmGroup>,
    /// Groups of the VM's region the caller may apply that it does not have.
    pub available: Vec<GroupChoice>,
    /// Groups whose rules could not be read (no warnings known for them).
    pub problem: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(direction: &str, protocol: &str, ports: &str, remote: &str) -> RuleRow {
        RuleRow {
            id: format!("{direction}-{protocol}-{ports}-{remote}"),
            direction: direction.into(),
            ethertype: if remote.contains(':') { "IPv6" } else { "IPv4" }.into(),
            protocol: protocol.into(),
            port_range: ports.into(),
            remote: Remote::read(remote, &[]),
            label: String::new(),
        }
    }

    fn form(protocol: &str, min: &str, max: &str, cidr: &str) -> RuleForm {
        RuleForm {
            direction: "ingress".into(),
            version: "4".into(),
            protocol: protocol.into(),
            port_min: min.into(),
            port_max: max.into(),
            remote_type: "cidr".into(),
            cidr: cidr.into(),
            ..Default::default()
        }
    }

    fn fields(r: Result<NewRule, FieldErrors>) -> Vec<String> {
        r.unwrap_err().0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn luna_nodes_words_are_read_and_nothing_is_guessed() {
        assert_eq!(parse_port_range("*"), Some(None));
        assert_eq!(parse_port_range(""), Some(None));
        assert_eq!(
            parse_port_range("22"),
            Some(Some(Ports { min: 22, max: 22 }))
        );
        assert_eq!(
            parse_port_range("1000-2000"),
            Some(Some(Ports {
                min: 1000,
                max: 2000
            }))
        );
        assert_eq!(
            parse_port_range("1000:2000"),
            Some(Some(Ports {
                min: 1000,
                max: 2000
            }))
        );
        for junk in ["0", "70000", "2000-1000", "ssh", "1-"] {
            assert_eq!(parse_port_range(junk), None, "{junk}");
        }
        let groups = [GroupChoice {
            id: "7".into(),
            name: "web".into(),
        }];
        assert_eq!(Remote::read("*", &groups), Remote::Anywhere);
        assert_eq!(
            Remote::read("10.0.0.0/8", &groups),
            Remote::Cidr("10.0.0.0/8".into())
        );
        assert_eq!(
            Remote::read("web", &groups),
            Remote::Group {
                id: "7".into(),
                name: "web".into()
            }
        );
        assert_eq!(
            Remote::read("7", &groups),
            Remote::Group {
                id: "7".into(),
                name: "web".into()
            },
            "an id is found too"
        );
        assert_eq!(
            Remote::read("gone", &groups),
            Remote::Group {
                id: String::new(),
                name: "gone".into()
            }
        );
        assert!(Remote::read("::/0", &[]).is_internet());
        assert!(Remote::read("0.0.0.0/0", &[]).is_internet());
        assert!(!Remote::read("0.0.0.0/1", &[]).is_internet());
        let r = rule("ingress", "tcp", "22", "0.0.0.0/0");
        assert_eq!(r.describe(), "inbound TCP 22 from 0.0.0.0/0");
        assert_eq!(r.ports_text(), "22");
        let r = rule("egress", "*", "*", "*");
        assert_eq!(r.describe(), "outbound all traffic to anywhere (*)");
        assert_eq!(r.ports_text(), "–");
        assert_eq!(rule("ingress", "udp", "*", "*").ports_text(), "all");
    }

    #[test]
    fn the_rule_form_says_what_is_wrong_beside_each_field() {
        let ok = form("tcp", "22", "", "203.0.113.5").check(&[]).unwrap();
        assert_eq!(ok.ports, Some(Ports { min: 22, max: 22 }));
        assert_eq!(ok.remote, NewRemote::Cidr("203.0.113.5/32".into()));
        let range = form("udp", "1000", "2000", "10.1.2.3/8")
            .check(&[])
            .unwrap();
        assert_eq!(
            range.ports,
            Some(Ports {
                min: 1000,
                max: 2000
            })
        );
        assert_eq!(range.remote, NewRemote::Cidr("10.0.0.0/8".into()));
        assert_eq!(
            form("tcp", "", "", "0.0.0.0/0").check(&[]).unwrap().ports,
            None
        );
        // Ports 1 to 65535, the first not above the last.
        assert_eq!(
            fields(form("tcp", "0", "", "0.0.0.0/0").check(&[])),
            ["port_min"]
        );
        assert_eq!(
            fields(form("tcp", "22", "65536", "0.0.0.0/0").check(&[])),
            ["port_max"]
        );
        assert_eq!(
            fields(form("tcp", "x", "y", "0.0.0.0/0").check(&[])),
            ["port_min", "port_max"]
        );
        assert_eq!(
            fields(form("tcp", "100", "99", "0.0.0.0/0").check(&[])),
            ["port_max"]
        );
        assert_eq!(
            fields(form("tcp", "", "80", "0.0.0.0/0").check(&[])),
            ["port_min"]
        );
        // No ports for ICMP or all protocols.
        assert_eq!(
            fields(form("icmp", "8", "", "0.0.0.0/0").check(&[])),
            ["port_min"]
        );
        assert_eq!(
            fields(form("*", "", "22", "0.0.0.0/0").check(&[])),
            ["port_min"]
        );
        assert!(form("icmp", "", "", "0.0.0.0/0").check(&[]).is_ok());
        // The network must be one of the rule's IP version.
        assert_eq!(fields(form("tcp", "22", "", "::/0").check(&[])), ["cidr"]);
        assert_eq!(
            fields(form("tcp", "22", "", "10.0.0.0/33").check(&[])),
            ["cidr"]
        );
        assert_eq!(fields(form("tcp", "22", "", "").check(&[])), ["cidr"]);
        let v6 = RuleForm {
            version: "6".into(),
            ..form("tcp", "22", "", "2001:db8::1/64")
        };
        assert_eq!(
            v6.check(&[]).unwrap().remote,
            NewRemote::Cidr("2001:db8::/64".into())
        );
        let e = form("tcp", "22", "", "::/0").check(&[]).unwrap_err();
        assert!(e.get("cidr").unwrap().contains("IPv6 network"), "{e:?}");
        // Everything missing: every field says so.
        assert_eq!(
            fields(RuleForm::default().check(&[])),
            ["direction", "version", "protocol", "remote_type"]
        );
        let long = RuleForm {
            label: "x".repeat(65),
            ..form("tcp", "22", "", "0.0.0.0/0")
        };
        assert_eq!(fields(long.check(&[])), ["label"]);
    }

    #[test]
    fn a_remote_group_is_picked_from_the_regions_groups() {
        let groups = [GroupChoice {
            id: "7".into(),
            name: "web".into(),
        }];
        let by_group = |id: &str| RuleForm {
            remote_type: "group".into(),
            remote_group: id.into(),
            cidr: "not looked at".into(),
            ..form("tcp", "5432", "", "")
        };
        assert_eq!(
            by_group("7").check(&groups).unwrap().remote,
            NewRemote::Group("7".into())
        );
        assert_eq!(fields(by_group("8").check(&groups)), ["remote_group"]);
        assert_eq!(fields(by_group("").check(&groups)), ["remote_group"]);
        assert_eq!(
            fields(by_group("web").check(&groups)),
            ["remote_group"],
            "never a typed name"
        );
    }

    #[test]
    fn presets_are_lists_of_rules_from_the_source_given() {
        let ssh = Preset::Ssh.rules("0.0.0.0/0").unwrap();
        assert_eq!(ssh.len(), 1);
        assert_eq!(
            (ssh[0].direction, ssh[0].protocol, ssh[0].ports),
            (
                Direction::Ingress,
                Protocol::Tcp,
                Some(Ports { min: 22, max: 22 })
            )
        );
        let web = Preset::Web.rules("2001:db8::/48").unwrap();
        let ports: Vec<u16> = web.iter().map(|r| r.ports.unwrap().min).collect();
        assert_eq!(ports, [80, 443]);
        assert!(web.iter().all(|r| r.version == IpVersion::V6));
        let ping = Preset::Ping.rules("203.0.113.5").unwrap();
        assert_eq!((ping[0].protocol, ping[0].ports), (Protocol::Icmp, None));
        assert_eq!(ping[0].remote, NewRemote::Cidr("203.0.113.5/32".into()));
        let office = Preset::MyNetwork.rules("198.51.100.7/24").unwrap();
        assert_eq!(
            (office[0].protocol, &office[0].remote),
            (Protocol::Any, &NewRemote::Cidr("198.51.100.0/24".into()))
        );
        assert!(Preset::MyNetwork.rules("").is_err());
        assert!(Preset::Ssh.rules("office").is_err());
        for p in Preset::ALL {
            assert_eq!(Preset::parse(p.key()), Some(p));
        }
        assert_eq!(Preset::parse("all"), None);
    }

    #[test]
    fn a_new_rule_matches_the_rule_luna_node_lists_for_it() {
        let ssh = &Preset::Ssh.rules("0.0.0.0/0").unwrap()[0];
        assert!(ssh.matches(&rule("ingress", "tcp", "22", "0.0.0.0/0")));
        assert!(
            ssh.matches(&rule("ingress", "tcp", "22", "*")),
            "* is 0.0.0.0/0"
        );
        assert!(!ssh.matches(&rule("ingress", "tcp", "22", "203.0.113.5/32")));
        assert!(!ssh.matches(&rule("egress", "tcp", "22", "0.0.0.0/0")));
        assert!(!ssh.matches(&rule("ingress", "udp", "22", "0.0.0.0/0")));
        assert!(!ssh.matches(&rule("ingress", "tcp", "22-23", "0.0.0.0/0")));
        let ping = &Preset::Ping.rules("10.0.0.0/8").unwrap()[0];
        assert!(ping.matches(&rule("ingress", "icmp", "*", "10.0.0.0/8")));
        assert!(
            ssh.describe(&[])
                .starts_with("SSH: inbound TCP 22 from 0.0.0.0/0"),
            "{}",
            ssh.describe(&[])
        );
    }

    #[test]
    fn the_lint_warns_of_logins_and_databases_open_to_the_internet() {
        let warned = |r: RuleRow| lint("1", "web", &[r]);
        // SSH from anywhere, in every spelling of anywhere.
        for remote in ["0.0.0.0/0", "::/0", "*"] {
            let w = warned(rule("ingress", "tcp", "22", remote));
            assert_eq!(w.len(), 1, "{remote}");
            assert_eq!(w[0].services, ["SSH (22)"]);
            let text = w[0].on_group();
            assert!(
                text.contains("opens SSH (22) to the whole internet")
                    && text.contains("Narrow it to your address"),
                "{text}"
            );
            assert!(w[0].on_vm().starts_with(
                "This VM has SSH (22) open to the whole internet through group “web”"
            ));
        }
        // A range covering database ports names each.
        let w = warned(rule("ingress", "tcp", "3000-6000", "0.0.0.0/0"));
        assert_eq!(
            w[0].services,
            ["RDP (3389)", "MySQL (3306)", "PostgreSQL (5432)"]
        );
        assert!(w[0]
            .exposure()
            .contains("RDP (3389), MySQL (3306) and PostgreSQL (5432)"));
        // Every protocol, or every TCP port: every port.
        for (p, ports) in [("*", "*"), ("tcp", "*"), ("tcp", "1-65535")] {
            let w = warned(rule("ingress", p, ports, "0.0.0.0/0"));
            assert!(w[0].every_port, "{p} {ports}");
            assert_eq!(w[0].services.len(), WATCHED.len());
            assert!(w[0].exposure().starts_with("every port"));
        }
        // UDP exposes only the services that listen on UDP.
        let w = warned(rule("ingress", "udp", "*", "0.0.0.0/0"));
        assert_eq!(w[0].services, ["RDP (3389)", "Memcached (11211)"]);
        assert!(!w[0].every_port);
        // Nothing to say: narrowed, outbound, other ports, ICMP, another group, unreadable.
        for r in [
            rule("ingress", "tcp", "22", "203.0.113.5/32"),
            rule("ingress", "tcp", "22", "0.0.0.0/1"),
            rule("egress", "tcp", "22", "0.0.0.0/0"),
            rule("ingress", "tcp", "80", "0.0.0.0/0"),
            rule("ingress", "tcp", "443", "::/0"),
            rule("ingress", "udp", "22", "0.0.0.0/0"),
            rule("ingress", "icmp", "*", "0.0.0.0/0"),
            rule("ingress", "tcp", "22", "web"),
            rule("ingress", "tcp", "ssh", "0.0.0.0/0"),
            rule("sideways", "tcp", "22", "0.0.0.0/0"),
        ] {
            assert!(warned(r.clone()).is_empty(), "{r:?}");
        }
        // The warning names the rule by its label when it has one.
        let labelled = RuleRow {
            label: "admin".into(),
            ..rule("ingress", "tcp", "3389", "*")
        };
        let w = warned(labelled);
        assert_eq!(w[0].rule, "“admin” (inbound TCP 3389 from anywhere (*))");
        assert_eq!(w[0].group_name, "web");
    }

    #[test]
    fn names_and_users_read_well() {
        assert!(check_group_name("web").is_ok());
        assert!(check_group_name(" ").is_err());
        assert!(check_group_name(&"x".repeat(65)).is_err());
        assert!(check_group_name("a\nb").is_err());
        let vm = |name: &str, visible| VmRef {
            vm_id: if visible { name.into() } else { String::new() },
            name: name.into(),
            visible,
        };
        assert_eq!(users(&[]), "");
        assert_eq!(users(&[vm("web-1", true)]), "web-1");
        assert_eq!(
            users(&[vm("web-1", true), vm("db", true), vm("x", false)]),
            "web-1, db and 1 server not in your list"
        );
        assert_eq!(
            users(&[vm("x", false), vm("y", false)]),
            "2 servers not in your list"
        );
        let outcome = PresetOutcome {
            added: vec!["HTTP".into()],
            existed: vec!["HTTPS".into()],
        };
        assert_eq!(outcome.message(), "Added: HTTP. Already there: HTTPS.");
    }
}
