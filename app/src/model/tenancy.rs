//! What resellers set for their customers (shared by the browser and the server).

use serde::{Deserialize, Serialize};

pub use super::kinds::{capabilities, Capability};

/// Limits on what a customer may hold; `None` is no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Quotas {
    pub vms: Option<u32>,
    pub vcpu: Option<u32>,
    pub ram_mb: Option<u64>,
    pub disk_gb: Option<u64>,
    pub volumes: Option<u32>,
    pub volume_gb: Option<u64>,
    pub floating_ips: Option<u32>,
    pub load_balancers: Option<u32>,
    pub security_groups: Option<u32>,
    /// DNS zones, current and legacy together.
    pub zones: Option<u32>,
    pub mail_domains: Option<u32>,
    pub monitor_checks: Option<u32>,
    pub monitor_contacts: Option<u32>,
    pub scripts: Option<u32>,
}

/// Everything a reseller decides for one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerPolicy {
    pub quotas: Quotas,
    /// Plan ids the customer may use; empty means all.
    pub plans: Vec<String>,
    /// Region codes the customer may use; empty means all.
    pub regions: Vec<String>,
    /// Ids of the reseller's own images (snapshots, uploads) the customer may boot from,
    /// besides their own images and the public templates; empty means none. Unlike plans
    /// and regions, an empty list never means "all": the reseller's images are copies of
    /// the reseller's disks.
    pub images: Vec<String>,
    /// Keys of the [capability groups](super::kinds::capabilities) turned on.
    pub enabled: Vec<String>,
    /// Whether the customer may see their VMs' initial login details (Luna Node's
    /// `login_details`, which hold the root or default user's password). On by default (a
    /// policy stored before this setting existed reads as on); a reseller who hands
    /// servers over with credentials of their own turns it off.
    pub show_login_details: bool,
}

impl Default for CustomerPolicy {
    /// A new customer may run, power and reach the console of the servers they are given,
    /// manage their SSH keys, and create up to two small servers.
    fn default() -> Self {
        Self {
            quotas: Quotas {
                vms: Some(2),
                vcpu: Some(4),
                ram_mb: Some(8192),
                disk_gb: Some(160),
                volumes: Some(2),
                volume_gb: Some(100),
                floating_ips: Some(1),
                load_balancers: Some(1),
                security_groups: Some(5),
                zones: Some(3),
                mail_domains: Some(1),
                monitor_checks: Some(5),
                monitor_contacts: Some(3),
                scripts: Some(5),
            },
            plans: Vec::new(),
            regions: Vec::new(),
            images: Vec::new(),
            enabled: ["power", "console", "create", "sshkeys"]
                .map(str::to_owned)
                .to_vec(),
            show_login_details: true,
        }
    }
}

impl CustomerPolicy {
    /// Whether the customer may perform Luna Node action `path`.
    pub fn allows(&self, path: &str) -> bool {
        super::kinds::always_allowed(path)
            || capabilities()
                .any(|c| self.enabled.iter().any(|e| e == c.key) && c.actions.contains(&path))
    }

    fn listed(list: &[String], id: &str) -> bool {
        list.is_empty() || list.iter().any(|x| x == id)
    }

    pub fn allows_plan(&self, id: &str) -> bool {
        Self::listed(&self.plans, id)
    }

    pub fn allows_region(&self, code: &str) -> bool {
        Self::listed(&self.regions, code)
    }

    /// Whether the reseller allowed their image `id` by id (public templates and the
    /// customer's own images are allowed without being listed).
    pub fn allows_image(&self, id: &str) -> bool {
        self.images.iter().any(|x| x == id)
    }
}

/// How a reseller's customers see the panel. Customers never see "Luna Node".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Branding {
    pub panel_name: String,
    /// An https URL (or a path on this panel) of the logo; empty for none.
    pub logo_url: String,
    /// `#rrggbb` accent colours for the light and the dark theme.
    pub accent_light: String,
    pub accent_dark: String,
    /// Where customers ask for help (https or mailto); empty for none.
    pub support_url: String,
}

impl Default for Branding {
    fn default() -> Self {
        Self {
            panel_name: "Cloud panel".into(),
            logo_url: String::new(),
            accent_light: "#2563eb".into(),
            accent_dark: "#60a5fa".into(),
            support_url: String::new(),
        }
    }
}

/// One customer as their reseller sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSummary {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub suspended: bool,
    pub disabled: bool,
    pub created_at: i64,
    /// How many resources of each kind are assigned (kind, count).
    pub assigned: Vec<(String, i64)>,
}

/// One ledger entry: a resource of the reseller's account assigned to a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub kind: String,
    pub resource_id: String,
    pub customer_id: i64,
    pub assigned_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_deny_by_default() {
        let p = CustomerPolicy::default();
        assert!(p.allows("vm/list") && p.allows("vm/start") && p.allows("vm/create"));
        assert!(!p.allows("vm/delete") && !p.allows("vm/set-fairshare"));
        assert!(!p.allows("billing/credit") && !p.allows("credential/save"));
        let none = CustomerPolicy {
            enabled: vec![],
            ..Default::default()
        };
        assert!(!none.allows("vm/start") && none.allows("vm/info"));
        let listed = CustomerPolicy {
            plans: vec!["1".into()],
            ..Default::default()
        };
        assert!(listed.allows_plan("1") && !listed.allows_plan("2"));
        assert!(listed.allows_region("toronto"));
        // The reseller's images: only those listed, never "all" by default.
        assert!(!p.allows_image("555"));
        let images = CustomerPolicy {
            images: vec!["555".into()],
            ..Default::default()
        };
        assert!(images.allows_image("555") && !images.allows_image("556"));
    }

    #[test]
    fn login_details_are_shown_unless_turned_off() {
        assert!(CustomerPolicy::default().show_login_details);
        // A policy stored before the setting existed keeps today's behaviour.
        let stored: CustomerPolicy = serde_json::from_str(r#"{"enabled":["power"]}"#).unwrap();
        assert!(stored.show_login_details);
        let off: CustomerPolicy = serde_json::from_str(r#"{"show_login_details":false}"#).unwrap();
        assert!(!off.show_login_details);
    }
}
