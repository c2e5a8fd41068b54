//! The emulated Luna Node: accounts and what they own. This model is the emulator's own —
//! it shares no types with the client, so the contract tests can catch the two disagreeing.
//!
//! Time: lifecycles (a VM building, powering off, …) are stored as "since" instants and
//! resolved whenever the state is read, scaled by `time_scale` (0 = instant, 1 = realistic).
//!
//! Everything an account holds is `Serialize + Deserialize` so the emulator can keep it in a
//! state file; instants are written as wall-clock times ([`instant_serde`]).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::handlers;

/// A plan on offer (prices in USD per hour, as the API reports them).
#[derive(Debug, Clone)]
pub struct Plan {
    pub id: u32,
    pub name: &'static str,
    pub category: &'static str,
    pub vcpu: u32,
    pub ram_mb: u32,
    pub storage_gb: u32,
    pub bandwidth_gb: u32,
    pub price_hourly: f64,
}

/// Every plan, the same for every account.
pub const PLANS: &[Plan] = &[
    Plan {
        id: 79,
        name: "s.half",
        category: "Shared",
        vcpu: 1,
        ram_mb: 512,
        storage_gb: 10,
        bandwidth_gb: 500,
        price_hourly: 0.0048,
    },
    Plan {
        id: 80,
        name: "s.1",
        category: "Shared",
        vcpu: 1,
        ram_mb: 1024,
        storage_gb: 20,
        bandwidth_gb: 1000,
        price_hourly: 0.0096,
    },
    Plan {
        id: 81,
        name: "s.2",
        category: "Shared",
        vcpu: 1,
        ram_mb: 2048,
        storage_gb: 40,
        bandwidth_gb: 2000,
        price_hourly: 0.0192,
    },
    Plan {
        id: 82,
        name: "s.4",
        category: "Shared",
        vcpu: 2,
        ram_mb: 4096,
        storage_gb: 80,
        bandwidth_gb: 3000,
        price_hourly: 0.0384,
    },
    Plan {
        id: 98,
        name: "m.1s",
        category: "General Purpose SSD",
        vcpu: 1,
        ram_mb: 1024,
        storage_gb: 15,
        bandwidth_gb: 1000,
        price_hourly: 0.0068,
    },
    Plan {
        id: 87,
        name: "m.2",
        category: "General Purpose SSD",
        vcpu: 1,
        ram_mb: 2048,
        storage_gb: 40,
        bandwidth_gb: 2000,
        price_hourly: 0.0137,
    },
    Plan {
        id: 88,
        name: "m.4",
        category: "General Purpose SSD",
        vcpu: 2,
        ram_mb: 4096,
        storage_gb: 80,
        bandwidth_gb: 3000,
        price_hourly: 0.0274,
    },
    Plan {
        id: 89,
        name: "m.8",
        category: "General Purpose SSD",
        vcpu: 4,
        ram_mb: 8192,
        storage_gb: 160,
        bandwidth_gb: 4000,
        price_hourly: 0.0548,
    },
    Plan {
        id: 93,
        name: "c.1",
        category: "Compute Dedicated",
        vcpu: 2,
        ram_mb: 2048,
        storage_gb: 40,
        bandwidth_gb: 2000,
        price_hourly: 0.0288,
    },
    Plan {
        id: 94,
        name: "c.2",
        category: "Compute Dedicated",
        vcpu: 4,
        ram_mb: 4096,
        storage_gb: 80,
        bandwidth_gb: 3000,
        price_hourly: 0.0576,
    },
];

/// Region code and display name (reference §9, CONFIRMED codes).
pub const REGIONS: &[(&str, &str)] = &[
    ("toronto", "Toronto, Canada"),
    ("montreal", "Montreal, Canada"),
    ("roubaix", "Roubaix, France"),
];

/// The region `vm/create` uses when none is given (CONFIRMED).
pub const DEFAULT_REGION: &str = "toronto";

/// Public templates offered in every region.
pub const TEMPLATES: &[&str] = &[
    "Ubuntu 24.04 64-bit (template)",
    "Ubuntu 22.04 64-bit (template)",
    "Debian 12 64-bit (template)",
    "Rocky Linux 9 64-bit (template)",
    "AlmaLinux 9 64-bit (template)",
    "Fedora 40 64-bit (template)",
];

pub fn plan_by_ref(r: &str) -> Option<&'static Plan> {
    PLANS
        .iter()
        .find(|p| p.name == r || r.parse::<u32>().is_ok_and(|id| id == p.id))
}

pub fn region_known(code: &str) -> bool {
    REGIONS.iter().any(|(c, _)| *c == code)
}

/// How long lifecycle steps take at time scale 1.
#[derive(Debug, Clone, Copy)]
pub struct Durations {
    pub build: Duration,
    pub power_off: Duration,
    pub reboot: Duration,
    /// An image waits `queued`, then is `saving` this long each.
    pub image_step: Duration,
    /// A volume is `creating` this long, then (filled from an image) `downloading` as long;
    /// a volume snapshot is `creating` this long.
    pub volume_create: Duration,
    /// A volume is `attaching`, `detaching` or `extending` this long.
    pub volume_step: Duration,
}

pub const REAL_DURATIONS: Durations = Durations {
    build: Duration::from_secs(45),
    power_off: Duration::from_secs(8),
    reboot: Duration::from_secs(10),
    image_step: Duration::from_secs(15),
    volume_create: Duration::from_secs(6),
    volume_step: Duration::from_secs(4),
};

/// Whether a step of length `step` (scaled) that began at `since` is over at `now`.
pub fn elapsed(since: Instant, now: Instant, step: Duration, scale: f64) -> bool {
    now.duration_since(since) >= step.mul_f64(scale)
}

/// The service's automatic reverse name: `d.c.b.a.rdns.lunanode.com.` for IPv4 (CONFIRMED
/// format, CS sample); `[not set]` for anything else (CONFIRMED for IPv6, `dns/list`).
pub fn default_rdns(ip: &str) -> String {
    match ip.parse::<std::net::Ipv4Addr>() {
        Ok(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.rdns.lunanode.com.")
        }
        Err(_) => "[not set]".to_owned(),
    }
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `2018-12-17T01:00:15Z`-style timestamp for `unix` seconds.
pub fn timestamp(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Power {
    Building,
    Online,
    PoweringOff,
    Offline,
    Rebooting,
    Rescue,
    Shelved,
    Unshelving,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vm {
    pub id: String,
    pub hostname: String,
    pub plan_id: u32,
    pub image: String,
    pub region: String,
    pub power: Power,
    /// When `power` last changed.
    #[serde(with = "instant_serde")]
    pub since: Instant,
    pub public_ip: String,
    pub private_ip: String,
    /// The virtual network the VM was created on (`vm/create`'s `net_id`); `None`: the
    /// region's default network.
    #[serde(default)]
    pub net_id: Option<u64>,
    pub login_password: Option<String>,
    pub security_groups: Vec<String>,
    /// Extra addresses in the VM's virtual network (`vm/ip-add`).
    pub extra_private_ips: Vec<String>,
    /// `(charge_for_cpu, fairshare_nolend)`.
    pub fairshare: (bool, bool),
    pub bandwidth_used_gb: f64,
    #[serde(with = "instant_serde")]
    pub created: Instant,
}

impl Vm {
    /// Applies transitions that are due at `now`.
    pub fn advance(&mut self, now: Instant, d: Durations, scale: f64) {
        let due = |step: Duration| elapsed(self.since, now, step, scale);
        let next = match self.power {
            Power::Building if due(d.build) => Some(Power::Online),
            Power::PoweringOff if due(d.power_off) => Some(Power::Offline),
            Power::Rebooting if due(d.reboot) => Some(Power::Online),
            Power::Unshelving if due(d.build) => Some(Power::Online),
            _ => None,
        };
        if let Some(p) = next {
            self.power = p;
            self.since = now;
        }
    }

    /// The VM's IPv6 address (every VM has one upstream: `ipv6` in `vm/info`, reference
    /// §3). Derived from its private address, so it needs no state of its own, in the
    /// documentation prefix `2001:db8::/32` (as the IPv4 ones are from documentation ranges).
    pub fn ipv6(&self) -> String {
        let v4 = self
            .private_ip
            .parse::<std::net::Ipv4Addr>()
            .map_or(0, u32::from);
        std::net::Ipv6Addr::new(0x2001, 0xdb8, 0x4c, 0, 0, 0, (v4 >> 16) as u16, v4 as u16)
            .to_string()
    }

    /// `(status_nohtml, status_raw, status_color)`; CONFIRMED labels: Online, Offline, BUILD,
    /// Powering off; the others are INFERRED (raw values are OpenStack vm states).
    pub fn status(&self) -> (&'static str, &'static str, &'static str) {
        match self.power {
            Power::Building => ("BUILD", "building", "blue"),
            Power::Online => ("Online", "active", "green"),
            Power::PoweringOff => ("Powering off", "active", "orange"),
            Power::Offline => ("Offline", "stopped", "red"),
            Power::Rebooting => ("Rebooting", "active", "orange"),
            Power::Rescue => ("Rescue", "rescued", "orange"),
            Power::Shelved => ("Shelved", "shelved_offloaded", "gray"),
            Power::Unshelving => ("Unshelving", "shelved_offloaded", "blue"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SshKey {
    pub id: u64,
    pub name: String,
    pub value: String,
}

/// One Luna Node account (one API credential).
#[derive(Debug, Serialize, Deserialize)]
pub struct Account {
    pub api_id: String,
    pub api_key: String,
    pub last_nonce: u64,
    pub credit_at_start: f64,
    #[serde(with = "instant_serde")]
    pub started: Instant,
    pub vms: BTreeMap<String, Vm>,
    pub ssh_keys: BTreeMap<u64, SshKey>,
    pub images: handlers::image::State,
    pub volumes: handlers::volume::State,
    pub floating: handlers::floating::State,
    pub networks: handlers::network::State,
    pub lbs: handlers::lb::State,
    pub security_groups: handlers::securitygroup::State,
    pub scripts: handlers::script::State,
    pub dns2: handlers::dns2::State,
    pub dns: handlers::dns::State,
    pub monitor: handlers::monitor::State,
    pub email: handlers::email::State,
    next_id: u64,
    next_ip: u32,
}

impl Account {
    pub fn new(api_id: &str, api_key: &str, credit: f64) -> Self {
        Self {
            api_id: api_id.to_owned(),
            api_key: api_key.to_owned(),
            last_nonce: 0,
            credit_at_start: credit,
            started: Instant::now(),
            vms: BTreeMap::new(),
            ssh_keys: BTreeMap::new(),
            images: Default::default(),
            volumes: Default::default(),
            floating: Default::default(),
            networks: Default::default(),
            lbs: Default::default(),
            security_groups: Default::default(),
            scripts: Default::default(),
            dns2: Default::default(),
            dns: Default::default(),
            monitor: Default::default(),
            email: Default::default(),
            next_id: 4000,
            next_ip: 10,
        }
    }

    /// Applies every lifecycle transition due at `now`.
    pub fn advance(&mut self, now: Instant, d: Durations, scale: f64) {
        for vm in self.vms.values_mut() {
            vm.advance(now, d, scale);
        }
        self.images.advance(now, d, scale);
        self.volumes.advance(now, d, scale);
    }

    /// This account as the `nth` of an emulator: its ids and addresses are drawn from
    /// their own range, so that no two accounts ever hand out the same id or address (Luna
    /// Node's ids and addresses are unique across accounts; a per-account counter made two
    /// accounts' volume 4005 look like one resource to anything keyed by id).
    pub fn nth(mut self, nth: usize) -> Self {
        let nth = nth as u64;
        self.next_id += nth * 1_000_000;
        self.next_ip += u32::try_from(nth * 2_500).unwrap_or(0);
        self
    }

    /// A fresh numeric id (numeric-string ids, as the API uses for most objects).
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A fresh (public, private) address pair from documentation ranges.
    pub fn next_ips(&mut self) -> (String, String) {
        self.next_ip += 1;
        let n = self.next_ip;
        (
            format!("203.0.{}.{}", 113 + n / 250, n % 250 + 2),
            format!("10.{}.{}.{}", 20 + n / 65_000, (n / 250) % 250, n % 250 + 2),
        )
    }

    /// Credit left: the starting credit less what the VMs have cost so far (emulated hours
    /// pass `1 / scale` times faster, so a demo shows the balance moving).
    pub fn credit(&self, now: Instant, scale: f64) -> f64 {
        let speed = if scale > 0.0 { 1.0 / scale } else { 3600.0 };
        let spent: f64 = self
            .vms
            .values()
            .map(|vm| {
                let hours = now.duration_since(vm.created).as_secs_f64() * speed / 3600.0;
                plan_by_ref(&vm.plan_id.to_string()).map_or(0.0, |p| p.price_hourly * hours)
            })
            .sum();
        (self.credit_at_start - spent).max(0.0)
    }
}

/// Serde for [`Instant`] as Unix milliseconds (a JSON number), so lifecycles carry on
/// across a restart: an instant is written as the wall-clock time it stands for, and read
/// back as the instant that lies as far in the past (future times become now; times older
/// than the monotonic clock can express become its earliest instant).
///
/// Conversions go through one (wall clock, monotonic clock) reading, re-taken only when the
/// two clocks drift apart by more than [`MAX_DRIFT`](instant_serde::MAX_DRIFT) (the wall
/// clock was set), so an unchanged instant always writes the same number and unchanged
/// state the same bytes.
pub mod instant_serde {
    use std::sync::Mutex;
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// How far the clocks may drift apart before the reference reading is re-taken.
    pub const MAX_DRIFT: Duration = Duration::from_secs(1);

    static ANCHOR: Mutex<Option<(SystemTime, Instant)>> = Mutex::new(None);

    /// The reference reading, and the monotonic time now.
    fn anchor() -> ((SystemTime, Instant), Instant) {
        let (wall, now) = (SystemTime::now(), Instant::now());
        let mut anchor = ANCHOR.lock().unwrap_or_else(|e| e.into_inner());
        let still_good = anchor.is_some_and(|(wall0, mono0)| {
            wall0
                .checked_add(now.saturating_duration_since(mono0))
                .is_some_and(|expected| distance(expected, wall) <= MAX_DRIFT)
        });
        if !still_good {
            *anchor = Some((wall, now));
        }
        (anchor.unwrap_or((wall, now)), now)
    }

    fn distance(a: SystemTime, b: SystemTime) -> Duration {
        a.duration_since(b)
            .or_else(|_| b.duration_since(a))
            .unwrap_or_default()
    }

    /// `at` moved `back` into the past, or the earliest instant the platform can express.
    pub fn saturating_sub(at: Instant, back: Duration) -> Instant {
        if let Some(earlier) = at.checked_sub(back) {
            return earlier;
        }
        // Find the largest representable step back (to the millisecond).
        let (mut ok, mut too_far) = (Duration::ZERO, back);
        while too_far - ok > Duration::from_millis(1) {
            let mid = ok + (too_far - ok) / 2;
            if at.checked_sub(mid).is_some() {
                ok = mid;
            } else {
                too_far = mid;
            }
        }
        at - ok
    }

    /// The wall-clock time `instant` stands for, in Unix milliseconds.
    pub fn to_unix_millis(instant: Instant) -> u64 {
        let ((wall0, mono0), _) = anchor();
        let wall = if instant >= mono0 {
            wall0.checked_add(instant - mono0)
        } else {
            wall0.checked_sub(mono0 - instant)
        };
        wall.and_then(|w| w.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    /// The instant for a wall-clock time in Unix milliseconds, at most now.
    pub fn from_unix_millis(millis: u64) -> Instant {
        let ((wall0, mono0), now) = anchor();
        let Some(wall) = UNIX_EPOCH.checked_add(Duration::from_millis(millis)) else {
            return now;
        };
        match wall.duration_since(wall0) {
            Ok(ahead) => mono0.checked_add(ahead).map_or(now, |t| t.min(now)),
            Err(e) => saturating_sub(mono0, e.duration()).min(now),
        }
    }

    pub fn serialize<S: Serializer>(instant: &Instant, serializer: S) -> Result<S::Ok, S::Error> {
        to_unix_millis(*instant).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Instant, D::Error> {
        u64::deserialize(deserializer).map(from_unix_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::instant_serde::{from_unix_millis, saturating_sub, to_unix_millis};
    use super::*;

    fn unix_millis_now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    }

    #[derive(Serialize, Deserialize)]
    struct Stamped {
        #[serde(with = "instant_serde")]
        at: Instant,
    }

    #[test]
    fn an_instant_is_written_as_unix_milliseconds() {
        let written = to_unix_millis(Instant::now() - Duration::from_secs(5));
        let expected = unix_millis_now() - 5_000;
        assert!(
            written.abs_diff(expected) < 1_000,
            "{written} vs {expected}"
        );
        let json = serde_json::to_value(Stamped { at: Instant::now() }).unwrap();
        assert!(json["at"].as_u64().unwrap() >= expected, "{json}");
    }

    #[test]
    fn a_round_trip_keeps_the_age_and_the_bytes() {
        let at = Instant::now() - Duration::from_millis(2_500);
        let json = serde_json::to_string(&Stamped { at }).unwrap();
        assert_eq!(
            json,
            serde_json::to_string(&Stamped { at }).unwrap(),
            "unchanged state writes the same bytes"
        );
        let back: Stamped = serde_json::from_str(&json).unwrap();
        let diff = if back.at > at {
            back.at - at
        } else {
            at - back.at
        };
        assert!(diff <= Duration::from_millis(2), "{diff:?}");
        let age = back.at.elapsed();
        assert!(age >= Duration::from_millis(2_400), "{age:?}");
    }

    #[test]
    fn future_times_become_now_and_ancient_ones_saturate() {
        let before = Instant::now();
        let future = from_unix_millis(unix_millis_now() + 3_600_000);
        assert!(future >= before && future <= Instant::now());
        assert!(from_unix_millis(u64::MAX) <= Instant::now());
        // 1970: as far back as the platform allows, never a panic.
        let ancient = from_unix_millis(0);
        assert!(ancient <= from_unix_millis(unix_millis_now() - 1_000));
        let far = saturating_sub(before, Duration::MAX);
        assert!(far <= before);
        assert_eq!(
            saturating_sub(before, Duration::from_millis(10)),
            before - Duration::from_millis(10)
        );
    }

    #[test]
    fn an_account_round_trips() {
        let mut account = Account::new("aaaaaaaaaaaaaaaa", &"k".repeat(128), 12.5);
        let id = account.next_id();
        let ips = account.next_ips();
        let json = serde_json::to_string(&account).unwrap();
        let mut back: Account = serde_json::from_str(&json).unwrap();
        assert_eq!(back.api_key, account.api_key);
        assert_eq!(back.credit_at_start, 12.5);
        assert_eq!(back.next_id(), id + 1, "the id counter carries on");
        assert_ne!(back.next_ips(), ips);
        assert_eq!(serde_json::to_string(&account).unwrap(), json);
    }

    #[test]
    fn accounts_never_share_an_id_or_an_address() {
        let mut a = Account::new("aaaaaaaaaaaaaaaa", &"k".repeat(128), 1.0).nth(0);
        let mut b = Account::new("bbbbbbbbbbbbbbbb", &"k".repeat(128), 1.0).nth(1);
        let ids_a: Vec<u64> = (0..3000).map(|_| a.next_id()).collect();
        let ips_a: Vec<(String, String)> = (0..2000).map(|_| a.next_ips()).collect();
        let first = b.next_id();
        assert!(ids_a.iter().all(|id| *id < first), "{first}");
        let ips_b = b.next_ips();
        assert!(ips_a
            .iter()
            .all(|(public, private)| *public != ips_b.0 && *private != ips_b.1));
    }
}
