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
    /// Shown as Luna Node words it; decisions use [`VmRow::phase`].
    pub status: Option<String>,
    /// `status_raw` from `vm/info` (INFERRED: OpenStack's vm_state, e.g. `active`).
    #[serde(default)]
    pub status_raw: String,
    pub task_state: String,
    /// Unix seconds when the status was read.
    pub checked_at: Option<i64>,
    /// The names of its security groups, from `vm/info` (CONFIRMED: names, not ids) when
    /// the status was read; empty until then.
    #[serde(default)]
    pub security_groups: Vec<String>,
}

impl VmRow {
    /// What the panel makes of the VM's status; `None` until it has been read.
    pub fn phase(&self) -> Option<VmPhase> {
        let status = self.status.as_deref()?;
        Some(VmPhase::of(status, &self.status_raw, &self.task_state))
    }

    /// Whether the VM is on its way somewhere known (polled fast until it arrives). A
    /// status the panel does not know is settled-but-unknown, not a transition.
    pub fn in_transition(&self) -> bool {
        self.phase() == Some(VmPhase::Changing)
    }

    /// The badge class for the status.
    pub fn status_class(&self) -> &'static str {
        VmPhase::class(self.phase())
    }
}

/// What the panel makes of a VM's status. Only four `status_nohtml` texts are CONFIRMED
/// (`Online`, `Offline`, `BUILD`, `Powering off`; reference §3); `status_raw` is INFERRED to
/// be OpenStack's vm_state and `task_state` OpenStack's task (values UNKNOWN). Every other
/// combination is [`VmPhase::Unknown`]: settled as far as polling goes, with only the
/// actions that are safe in any state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VmPhase {
    Running,
    Stopped,
    Shelved,
    Rescue,
    Error,
    /// On its way somewhere (building, powering off, a task under way).
    Changing,
    /// A state the panel has no word for.
    Unknown,
}

impl VmPhase {
    /// Classifies `status_nohtml`, `status_raw` and `task_state`, case-insensitively.
    pub fn of(status: &str, status_raw: &str, task_state: &str) -> Self {
        let norm = |s: &str| s.trim().to_ascii_lowercase();
        let (status, raw, task) = (norm(status), norm(status_raw), norm(task_state));
        // OpenStack's task_state is set while a task runs (INFERRED; "none" as text too).
        if !matches!(task.as_str(), "" | "none" | "null" | "-") {
            return VmPhase::Changing;
        }
        // The CONFIRMED texts (CLOUG tests, BTCPAY) decide when present.
        match status.as_str() {
            "online" => return VmPhase::Running,
            "offline" => return VmPhase::Stopped,
            "build" | "powering off" => return VmPhase::Changing,
            _ => {}
        }
        // Otherwise the vm_state, where it says something definite (INFERRED values).
        // `active` under a text that is not `Online` says nothing certain: unknown.
        match raw.as_str() {
            "building" => VmPhase::Changing,
            "stopped" => VmPhase::Stopped,
            "shelved" | "shelved_offloaded" => VmPhase::Shelved,
            "rescued" => VmPhase::Rescue,
            "error" => VmPhase::Error,
            _ => VmPhase::Unknown,
        }
    }

    /// The badge class (`unknown` also while the status has not been read).
    pub fn class(phase: Option<VmPhase>) -> &'static str {
        match phase {
            Some(VmPhase::Running) => "ok",
            Some(VmPhase::Stopped | VmPhase::Shelved) => "off",
            Some(VmPhase::Error) => "bad",
            Some(VmPhase::Changing | VmPhase::Rescue) => "busy",
            Some(VmPhase::Unknown) | None => "unknown",
        }
    }
}

/// The badge class for a status text alone (no `status_raw` at hand).
pub fn status_class(status: Option<&str>) -> &'static str {
    VmPhase::class(status.map(|s| VmPhase::of(s, "", "")))
}

/// The account's VMs as the shared poller last saw them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VmListing {
    pub vms: Vec<VmRow>,
    /// Unix seconds of the last successful `vm/list`.
    pub listed_at: Option<i64>,
    /// Why the last poll failed, while it keeps failing (the banner text).
    pub problem: Option<String>,
    /// When `vms` is one page of the list (`vms/page`, the paged live stream): where it
    /// stands. `None`: every VM.
    #[serde(default)]
    pub paging: Option<crate::components::list_rules::PageInfo>,
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
    /// The virtual network it is on (by its private address), `None` when unknown.
    #[serde(default)]
    pub network: Option<NetworkOf>,
    /// The load balancers it is a member of, as the caller may see them.
    #[serde(default)]
    pub load_balancers: Vec<NamedId>,
    pub has_login_details: bool,
    /// The caller's reseller does not let them see login details (nothing is offered).
    #[serde(default)]
    pub login_details_hidden: bool,
    pub can_diskswap: bool,
}

/// The network a VM is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkOf {
    /// Empty when the caller may not open the networks page's entry for it.
    pub id: String,
    pub name: String,
    pub subnet: String,
    pub default: bool,
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

    /// Whether the operation makes sense in `phase` (buttons are disabled otherwise). In
    /// an unknown state (or an error) only start, stop and reboot stay: none of them loses
    /// anything, each can be undone, and Luna Node refuses the ones that do not fit its
    /// state with its own reason. The state-specific ones (shelve, unshelve, rescue, disk
    /// swap) wait for a state the panel knows. Nothing while the VM is changing or unread.
    pub fn allowed_in(self, phase: Option<VmPhase>) -> bool {
        use VmPhase::*;
        let Some(phase) = phase else {
            return false;
        };
        match self {
            PowerOp::Start => matches!(phase, Stopped | Unknown | Error),
            PowerOp::Stop => matches!(phase, Running | Rescue | Unknown | Error),
            PowerOp::Reboot => matches!(phase, Running | Rescue | Unknown | Error),
            PowerOp::Shelve => matches!(phase, Running | Stopped),
            PowerOp::Unshelve => phase == Shelved,
            PowerOp::Rescue => matches!(phase, Running | Stopped),
            PowerOp::Diskswap => matches!(phase, Running | Stopped),
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

    fn row(status: &str, raw: &str, task: &str) -> VmRow {
        VmRow {
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
            status: Some(status.into()),
            status_raw: raw.into(),
            task_state: task.into(),
            checked_at: None,
            security_groups: Vec::new(),
        }
    }

    #[test]
    fn power_ops_follow_the_state() {
        let p = |s: &str, raw: &str| Some(VmPhase::of(s, raw, ""));
        assert!(PowerOp::Start.allowed_in(p("Offline", "stopped")));
        assert!(!PowerOp::Start.allowed_in(p("Online", "active")));
        assert!(PowerOp::Stop.allowed_in(p("Online", "active")));
        assert!(!PowerOp::Stop.allowed_in(p("BUILD", "building")));
        assert!(PowerOp::Unshelve.allowed_in(p("Shelved", "shelved_offloaded")));
        assert!(!PowerOp::Reboot.allowed_in(p("Shelved", "shelved_offloaded")));
        assert!(
            !PowerOp::Start.allowed_in(None),
            "nothing before the status is read"
        );
        // Case does not matter.
        for online in ["online", "ONLINE", " Online "] {
            assert!(PowerOp::Stop.allowed_in(p(online, "")), "{online:?}");
            assert!(!PowerOp::Start.allowed_in(p(online, "")), "{online:?}");
        }
        assert!(PowerOp::Start.allowed_in(p("OFFLINE", "")));
    }

    #[test]
    fn an_unknown_state_is_settled_and_keeps_the_safe_actions() {
        let r = row("Frobnicating", "", "");
        assert_eq!(r.phase(), Some(VmPhase::Unknown));
        assert!(
            !r.in_transition(),
            "an unknown state must not be polled fast"
        );
        assert_eq!(r.status_class(), "unknown");
        for op in [PowerOp::Start, PowerOp::Stop, PowerOp::Reboot] {
            assert!(op.allowed_in(r.phase()), "{op:?} stays enabled");
        }
        for op in [
            PowerOp::Shelve,
            PowerOp::Unshelve,
            PowerOp::Rescue,
            PowerOp::Diskswap,
        ] {
            assert!(!op.allowed_in(r.phase()), "{op:?} waits for a known state");
        }
        // An unconfirmed label over an `active` vm_state is not taken for Online.
        assert_eq!(
            row("Rebooting", "active", "").phase(),
            Some(VmPhase::Unknown)
        );
    }

    #[test]
    fn status_raw_and_task_state_decide_where_the_text_is_unknown() {
        assert_eq!(
            row("Shelved", "shelved_offloaded", "").phase(),
            Some(VmPhase::Shelved)
        );
        assert_eq!(
            row("whatever", "SHELVED", "").phase(),
            Some(VmPhase::Shelved)
        );
        assert_eq!(row("Rescue", "rescued", "").phase(), Some(VmPhase::Rescue));
        assert_eq!(row("", "error", "").phase(), Some(VmPhase::Error));
        assert_eq!(row("x", "building", "").phase(), Some(VmPhase::Changing));
        assert_eq!(row("x", "stopped", "").phase(), Some(VmPhase::Stopped));
        // A task under way is a transition whatever the text says.
        assert!(row("Online", "active", "rebooting").in_transition());
        assert!(!row("Online", "active", "None").in_transition());
        // The CONFIRMED texts win over a raw state that disagrees.
        assert_eq!(row("Online", "stopped", "").phase(), Some(VmPhase::Running));
    }

    #[test]
    fn transitions_and_badges() {
        let mut row = row("BUILD", "", "");
        assert!(row.in_transition());
        assert_eq!(row.status_class(), "busy");
        row.status = Some("Online".into());
        assert!(!row.in_transition());
        row.status = Some("powering OFF".into());
        assert!(row.in_transition(), "case-insensitive");
        row.status = Some("Online".into());
        row.task_state = "rebooting".into();
        assert!(row.in_transition());
        row.status = None;
        assert_eq!(row.phase(), None);
        assert!(!row.in_transition());
        assert_eq!(status_class(Some("Offline")), "off");
        assert_eq!(status_class(Some("online")), "ok");
        assert_eq!(status_class(Some("Frobnicating")), "unknown");
        assert_eq!(status_class(None), "unknown");
    }
}
