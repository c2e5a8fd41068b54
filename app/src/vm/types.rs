//! What the VM pages and server functions exchange (shared by browser and server).

use serde::{Deserialize, Serialize};

/// One VM as the list shows it: `vm/list` merged with the status from `vm/info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VmRow {
    pub vm_id: String,
    pub name: String,
    pub plan_id: String,
    /// The plan's name (`m.2`) when known, else the id.
    pub plan_name: String,
    pub region: String,
    /// Primary public IP (`""` until one is assigned).
    pub ip: String,
    pub private_ip: String,
    pub vcpu: Option<u32>,
    /// MB.
    pub ram_mb: Option<u32>,
    /// GB.
    pub disk_gb: Option<u32>,
    /// `status_nohtml` from `vm/info` (`Online`, `Offline`, `BUILD`, …); `None` until known.
    pub status: Option<String>,
    pub task_state: String,
    /// Unix seconds when the status was read.
    pub checked_at: Option<i64>,
}

/// Statuses a VM rests in; anything else (BUILD, Powering off, Rebooting…) is a transition.
pub const SETTLED_STATUSES: &[&str] = &["Online", "Offline", "Rescue", "Shelved", "Error"];

impl VmRow {
    /// Whether the VM is on its way somewhere (polled fast until it arrives).
    pub fn in_transition(&self) -> bool {
        match &self.status {
            None => false,
            Some(s) => !self.task_state.is_empty() || !SETTLED_STATUSES.contains(&s.as_str()),
        }
    }

    /// The badge class for the status.
    pub fn status_class(&self) -> &'static str {
        status_class(self.status.as_deref())
    }
}

/// The badge class for a status text.
pub fn status_class(status: Option<&str>) -> &'static str {
    match status {
        Some("Online") => "ok",
        Some("Offline") | Some("Shelved") => "off",
        Some("Error") => "bad",
        None => "unknown",
        Some(_) => "busy",
    }
}

/// The account's VMs as the shared poller last saw them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VmSnapshot {
    pub vms: Vec<VmRow>,
    /// Unix seconds of the last successful `vm/list`.
    pub listed_at: Option<i64>,
    /// Why the last poll failed, while it keeps failing (the banner text).
    pub problem: Option<String>,
}

/// Checks a hostname as Luna Node and DNS expect it: labels of 1–63 letters, digits and
/// hyphens (not at either end), dot-separated, at most 253 characters.
pub fn check_hostname(name: &str) -> Result<(), String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("Enter a hostname.".into());
    }
    if name.len() > 253 {
        return Err("A hostname can be at most 253 characters long.".into());
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(
                "A hostname cannot have empty parts (two dots in a row, or a dot at either end)."
                    .into(),
            );
        }
        if label.len() > 63 {
            return Err(
                "Each part of a hostname between dots can be at most 63 characters.".into(),
            );
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err("Use only letters, digits, hyphens and dots.".into());
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("A part of a hostname cannot start or end with a hyphen.".into());
        }
    }
    Ok(())
}

/// Everything the detail page shows (login details come separately, on request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VmDetail {
    pub vm_id: String,
    pub hostname: String,
    pub status: String,
    pub status_raw: String,
    pub task_state: String,
    pub plan_id: String,
    /// The plan's name when known, else the id.
    pub plan_name: String,
    pub region: String,
    pub vcpu: Option<u32>,
    pub ram_mb: Option<u32>,
    pub disk_gb: Option<u32>,
    pub bandwidth_gb: Option<u64>,
    pub bandwidth_used_gb: Option<f64>,
    pub os: String,
    pub ip: String,
    pub private_ip: String,
    pub addresses: Vec<AddressView>,
    pub additional_ips: Vec<String>,
    pub additional_private_ips: Vec<String>,
    pub ipv6: Vec<String>,
    pub security_groups: Vec<String>,
    pub volumes: Vec<NamedId>,
    /// `vm/iplist`.
    pub ips: Vec<IpView>,
    /// Floating IPs attached to this VM (from `floating/list`).
    pub floating_ips: Vec<String>,
    pub has_login_details: bool,
    pub can_diskswap: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddressView {
    pub addr: String,
    pub version: Option<u8>,
    pub external: bool,
    pub reverse: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IpView {
    pub ip: String,
    pub kind: String,
    pub version: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedId {
    pub id: String,
    pub name: String,
}

/// Which usage graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UsageKey {
    Bandwidth,
    Cpu,
    Io,
}

impl UsageKey {
    pub fn as_str(self) -> &'static str {
        match self {
            UsageKey::Bandwidth => "bandwidth",
            UsageKey::Cpu => "cpu",
            UsageKey::Io => "io",
        }
    }
}

/// One point of a usage graph: time and up to two series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsagePoint {
    pub t: i64,
    pub a: f64,
    pub b: Option<f64>,
}

/// A plan with its price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanView {
    pub plan_id: String,
    pub name: String,
    pub category: String,
    pub vcpu: u32,
    pub ram_mb: u32,
    pub disk_gb: u32,
    pub bandwidth_gb: Option<u64>,
    /// USD per hour.
    pub hourly: f64,
    pub regions: String,
}

/// Hours in Luna Node's billing month (their monthly prices are hourly × 730).
pub const HOURS_PER_MONTH: f64 = 730.0;

impl PlanView {
    pub fn monthly(&self) -> f64 {
        self.hourly * HOURS_PER_MONTH
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionView {
    pub code: String,
    pub name: String,
}

/// An image a VM can boot from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageChoice {
    pub image_id: String,
    pub name: String,
    pub region: String,
    /// A Luna Node template/ISO rather than one of the account's own images.
    pub public: bool,
}

/// What the create wizard offers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateOptions {
    pub regions: Vec<RegionView>,
    pub plans: Vec<PlanView>,
    pub images: Vec<ImageChoice>,
    /// Bootable candidates: unattached volumes (id, name, region).
    pub volumes: Vec<RegionalChoice>,
    pub networks: Vec<RegionalChoice>,
    pub security_groups: Vec<RegionalChoice>,
    pub scripts: Vec<NamedId>,
    pub ssh_keys: Vec<NamedId>,
    /// Unattached floating IPs.
    pub floating_ips: Vec<RegionalChoice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionalChoice {
    pub id: String,
    pub name: String,
    pub region: String,
}

/// The create wizard's answers (missing fields are empty: the server says what is needed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewVm {
    pub hostname: String,
    pub region: String,
    pub plan_id: String,
    /// `image:<id>` or `volume:<id>`.
    pub boot: String,
    pub net_id: String,
    pub security_groups: Vec<String>,
    pub scripts: Vec<String>,
    pub ssh_keys: Vec<String>,
    pub set_password: bool,
    pub affinity_group: String,
    pub floating_ip: String,
}

/// Simple state changes on one VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PowerOp {
    Start,
    Stop,
    Reboot,
    Shelve,
    Unshelve,
    Rescue,
    Diskswap,
}

impl PowerOp {
    pub fn label(self) -> &'static str {
        match self {
            PowerOp::Start => "Start",
            PowerOp::Stop => "Stop",
            PowerOp::Reboot => "Reboot",
            PowerOp::Shelve => "Shelve",
            PowerOp::Unshelve => "Unshelve",
            PowerOp::Rescue => "Rescue",
            PowerOp::Diskswap => "Swap disk",
        }
    }

    /// Whether the operation makes sense in `status` (buttons are disabled otherwise).
    pub fn allowed_in(self, status: &str) -> bool {
        match self {
            PowerOp::Start => status == "Offline",
            PowerOp::Stop => matches!(status, "Online" | "Rescue"),
            PowerOp::Reboot => matches!(status, "Online" | "Rescue"),
            PowerOp::Shelve => matches!(status, "Online" | "Offline"),
            PowerOp::Unshelve => status == "Shelved",
            PowerOp::Rescue => matches!(status, "Online" | "Offline"),
            PowerOp::Diskswap => matches!(status, "Online" | "Offline"),
        }
    }
}

/// The overview's summary of the Luna Node account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSummary {
    /// USD; `None` for a customer (the credit is their reseller's).
    pub credit: Option<f64>,
    pub vms: usize,
    pub online: usize,
    pub offline: usize,
    pub changing: usize,
    /// Sum of the monthly prices of the VMs' plans, USD.
    pub monthly: f64,
}

/// A stored SSH key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshKeyView {
    pub id: String,
    pub name: String,
    pub value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames_are_checked() {
        assert!(check_hostname("web-1.example.com").is_ok());
        assert!(check_hostname("a").is_ok());
        for bad in [
            "",
            "-web",
            "web-",
            "a..b",
            "we b",
            "<img src=x>",
            &"a".repeat(64),
        ] {
            assert!(check_hostname(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn power_ops_follow_the_state() {
        assert!(PowerOp::Start.allowed_in("Offline"));
        assert!(!PowerOp::Start.allowed_in("Online"));
        assert!(PowerOp::Stop.allowed_in("Online"));
        assert!(!PowerOp::Stop.allowed_in("BUILD"));
        assert!(PowerOp::Unshelve.allowed_in("Shelved"));
        assert!(!PowerOp::Reboot.allowed_in("Shelved"));
    }

    #[test]
    fn transitions_and_badges() {
        let mut row = VmRow {
            vm_id: "1".into(),
            name: "a".into(),
            plan_id: "m.1".into(),
            plan_name: "m.1".into(),
            region: "toronto".into(),
            ip: String::new(),
            private_ip: String::new(),
            vcpu: None,
            ram_mb: None,
            disk_gb: None,
            status: Some("BUILD".into()),
            task_state: String::new(),
            checked_at: None,
        };
        assert!(row.in_transition());
        assert_eq!(row.status_class(), "busy");
        row.status = Some("Online".into());
        assert!(!row.in_transition());
        row.task_state = "rebooting".into();
        assert!(row.in_transition());
        assert_eq!(status_class(Some("Offline")), "off");
    }
}
