//! The emulated Luna Node: accounts and what they own. This model is the emulator's own —
//! it shares no types with the client, so the contract tests can catch the two disagreeing.
//!
//! Time: lifecycles (a VM building, powering off, …) are stored as "since" instants and
//! resolved whenever the state is read, scaled by `time_scale` (0 = instant, 1 = realistic).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

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
    /// A volume is `creating` (or `downloading`) this long.
    pub volume_create: Duration,
}

pub const REAL_DURATIONS: Durations = Durations {
    build: Duration::from_secs(45),
    power_off: Duration::from_secs(8),
    reboot: Duration::from_secs(10),
    image_step: Duration::from_secs(15),
    volume_create: Duration::from_secs(6),
};

/// Whether a step of length `step` (scaled) that began at `since` is over at `now`.
pub fn elapsed(since: Instant, now: Instant, step: Duration, scale: f64) -> bool {
    now.duration_since(since) >= step.mul_f64(scale)
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

#[derive(Debug, Clone)]
pub struct Vm {
    pub id: String,
    pub hostname: String,
    pub plan_id: u32,
    pub image: String,
    pub region: String,
    pub power: Power,
    /// When `power` last changed.
    pub since: Instant,
    pub public_ip: String,
    pub private_ip: String,
    pub login_password: Option<String>,
    pub security_groups: Vec<String>,
    /// Extra addresses in the VM's virtual network (`vm/ip-add`).
    pub extra_private_ips: Vec<String>,
    /// `(charge_for_cpu, fairshare_nolend)`.
    pub fairshare: (bool, bool),
    pub bandwidth_used_gb: f64,
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

#[derive(Debug, Clone)]
pub struct SshKey {
    pub id: u64,
    pub name: String,
    pub value: String,
}

/// One Luna Node account (one API credential).
#[derive(Debug)]
pub struct Account {
    pub api_id: String,
    pub api_key: String,
    pub last_nonce: u64,
    pub credit_at_start: f64,
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
