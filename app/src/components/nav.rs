//! The console's navigation, as one table: the sidebar is rendered from [`NAV`], in its
//! order, showing each entry to the roles it names (and, for a customer, only when their
//! reseller turned on the capability it needs).
//!
//! Add an entry only when its page exists: the table is the menu, not a plan.

use crate::types::{CustomerAccess, Role};

/// Who sees an entry.
const ALL: &[Role] = &[Role::Admin, Role::Owner, Role::Reseller, Role::Customer];
/// Everyone with a Luna Node account of their own (not a customer).
const ACCOUNT_HOLDERS: &[Role] = &[Role::Admin, Role::Owner, Role::Reseller];

/// One link of the sidebar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NavEntry {
    /// The route (`/vms`); also the link's `href`.
    pub path: &'static str,
    /// The link text (browser journeys click these: keep them stable).
    pub label: &'static str,
    /// The roles that see it.
    pub roles: &'static [Role],
    /// A capability key (`crate::kinds::capabilities`) a customer needs to see it; `None`
    /// when what is theirs is always visible to them.
    pub customer_needs: Option<&'static str>,
    /// Active only on exactly this path (the overview at `/`), not below it.
    pub exact: bool,
}

impl NavEntry {
    const fn new(path: &'static str, label: &'static str, roles: &'static [Role]) -> Self {
        Self {
            path,
            label,
            roles,
            customer_needs: None,
            exact: false,
        }
    }

    /// Whether a user with `role` sees this entry; `access` is a customer's (their enabled
    /// capabilities), `None` for everyone else.
    pub fn shown_to(&self, role: Role, access: Option<&CustomerAccess>) -> bool {
        if !self.roles.contains(&role) {
            return false;
        }
        match (role, self.customer_needs) {
            (Role::Customer, Some(cap)) => {
                access.is_some_and(|a| a.enabled.iter().any(|e| e == cap))
            }
            _ => true,
        }
    }
}

/// The sidebar, in order. (The reseller's support link, when they set one, follows it.)
pub const NAV: &[NavEntry] = &[
    NavEntry {
        exact: true,
        ..NavEntry::new("/", "Overview", ALL)
    },
    NavEntry::new("/vms", "Virtual machines", ALL),
    NavEntry::new("/images", "Images", ALL),
    NavEntry::new("/volumes", "Volumes", ALL),
    NavEntry::new("/floating-ips", "Floating IPs", ALL),
    NavEntry::new("/networks", "Networks", ALL),
    NavEntry::new("/load-balancers", "Load balancers", ALL),
    NavEntry::new("/security-groups", "Security groups", ALL),
    NavEntry::new("/dns", "DNS", ALL),
    NavEntry::new("/mail", "E-mail", ALL),
    NavEntry::new("/monitoring", "Monitoring", ALL),
    NavEntry::new("/ssh-keys", "SSH keys", ALL),
    NavEntry::new("/scripts", "Startup scripts", ALL),
    NavEntry::new("/plans", "Plans", ALL),
    NavEntry::new("/regions", "Regions", ALL),
    NavEntry::new("/api-key", "API key", ACCOUNT_HOLDERS),
    NavEntry::new("/customers", "Customers", &[Role::Reseller]),
    NavEntry::new("/branding", "Branding", &[Role::Reseller]),
    NavEntry::new("/audit", "Audit log", ALL),
    NavEntry::new("/account", "Account", ALL),
    NavEntry::new("/admin", "Administration", &[Role::Admin]),
];

/// The entries a user sees, in order.
pub fn nav_for(
    role: Role,
    access: Option<&CustomerAccess>,
) -> impl Iterator<Item = &'static NavEntry> + '_ {
    NAV.iter().filter(move |e| e.shown_to(role, access))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(role: Role, access: Option<&CustomerAccess>) -> Vec<&'static str> {
        nav_for(role, access).map(|e| e.label).collect()
    }

    #[test]
    fn each_role_sees_its_links_in_order() {
        assert_eq!(
            labels(Role::Owner, None),
            [
                "Overview",
                "Virtual machines",
                "Images",
                "Volumes",
                "Floating IPs",
                "Networks",
                "Load balancers",
                "Security groups",
                "DNS",
                "E-mail",
                "Monitoring",
                "SSH keys",
                "Startup scripts",
                "Plans",
                "Regions",
                "API key",
                "Audit log",
                "Account"
            ]
        );
        let reseller = labels(Role::Reseller, None);
        assert!(reseller.contains(&"Customers") && reseller.contains(&"Branding"));
        assert!(!reseller.contains(&"Administration"));
        let admin = labels(Role::Admin, None);
        assert_eq!(admin.last(), Some(&"Administration"));
        assert!(!admin.contains(&"Customers"));
        let customer = labels(Role::Customer, Some(&CustomerAccess::default()));
        assert!(!customer.contains(&"API key"), "the key is the reseller's");
        assert!(customer.contains(&"SSH keys") && customer.contains(&"Audit log"));
    }

    #[test]
    fn a_customer_needs_the_capability_an_entry_names() {
        let entry = NavEntry {
            customer_needs: Some("sshkeys"),
            ..NavEntry::new("/x", "X", ALL)
        };
        let off = CustomerAccess::default();
        let on = CustomerAccess {
            enabled: vec!["sshkeys".into()],
            suspended: false,
        };
        assert!(!entry.shown_to(Role::Customer, Some(&off)));
        assert!(
            !entry.shown_to(Role::Customer, None),
            "unknown access shows nothing gated"
        );
        assert!(entry.shown_to(Role::Customer, Some(&on)));
        assert!(
            entry.shown_to(Role::Owner, None),
            "only customers are gated"
        );
    }

    /// No dead links: every entry is a route of the app.
    #[test]
    fn every_entry_has_a_page() {
        let routes = include_str!("../lib.rs");
        for e in NAV {
            let route = format!("path!(\"{}\")", e.path.trim_start_matches('/'));
            assert!(routes.contains(&route), "{} has no route", e.path);
        }
    }

    /// Every kind's list page and entry page (search opens them) is a route of the app.
    #[test]
    fn every_kind_page_is_a_route() {
        let routes = include_str!("../lib.rs");
        for k in crate::kinds::KINDS {
            if let Some(p) = k.path {
                let route = format!("path!(\"{}\")", p.trim_start_matches('/'));
                assert!(routes.contains(&route), "{} has no route {p}", k.key);
            }
            if let Some(d) = k.detail {
                let route = format!("path!(\"{}:id\")", d.trim_start_matches('/'));
                assert!(routes.contains(&route), "{} has no route {d}:id", k.key);
                assert!(k.path.is_some(), "{} has entry pages but no list", k.key);
            }
        }
        assert_eq!(
            crate::kinds::VOLUME.href("7").as_deref(),
            Some("/volumes/7")
        );
        assert_eq!(
            crate::kinds::FLOATING.href("192.0.2.1").as_deref(),
            Some("/floating-ips")
        );
    }

    #[test]
    fn the_table_is_well_formed() {
        let mut paths = std::collections::HashSet::new();
        for e in NAV {
            assert!(paths.insert(e.path), "{} twice", e.path);
            assert!(e.path.starts_with('/'));
            assert!(!e.roles.is_empty(), "{} is shown to nobody", e.path);
            if let Some(cap) = e.customer_needs {
                assert!(
                    crate::kinds::capabilities().any(|c| c.key == cap),
                    "{} needs unknown capability {cap}",
                    e.path
                );
            }
        }
    }
}
