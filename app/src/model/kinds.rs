//! The registry of resource kinds: every kind of thing in a Luna Node account that a page
//! shows and a customer can own is declared here once. Authorization targets, the tenancy
//! ledger's kinds, the reads a customer may always make, the capability groups a reseller
//! turns on, the ledger's drift check, the VM wizard's choices and the authorization
//! matrix's fixtures are all derived from [`KINDS`]: adding a kind is one entry here (plus,
//! on the server, the lister it names in `server::lists`), its server functions and its pages.

use serde::{Deserialize, Serialize};

/// A group of Luna Node actions a reseller turns on or off for a customer, as one checkbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capability {
    pub key: &'static str,
    pub label: &'static str,
    /// The Luna Node actions (paths) it allows.
    pub actions: &'static [&'static str],
}

/// One kind of resource.
#[derive(Debug)]
pub struct Kind {
    /// The ledger's key ("vm", "volume", …); also the audit target's prefix.
    pub key: &'static str,
    /// "volume", "volumes": for messages and labels.
    pub noun: &'static str,
    pub plural: &'static str,
    /// What "not found" names ("The volume").
    pub what: &'static str,
    /// The server-function argument that names one ("volume_id"): every server function
    /// taking an id of this kind calls it so (the authorization matrix relies on it).
    pub id_arg: &'static str,
    /// The first segment of the kind's server-function endpoints (`volumes` in
    /// `volumes/create`) and of its live stream (`/api/live/volumes`).
    pub api: &'static str,
    /// The action that lists the kind.
    pub list: &'static str,
    /// Reads a customer may always make on what is theirs (the list among them).
    pub reads: &'static [&'static str],
    /// The groups of changes a reseller can enable for customers.
    pub capabilities: &'static [Capability],
    /// Whether entries pass through states worth watching live (creating, saving, …).
    pub transitions: bool,
    /// Luna Node's words (any case) for an entry in transition: polled fast while one is.
    /// Unknown words count as settled (polled slowly; a page shows them as they are).
    pub busy: &'static [&'static str],
    /// The list page, when the kind has one.
    pub path: Option<&'static str>,
    /// The start of an entry's own page, the id appended (`/volumes/`), when entries have
    /// one (search opens it; else the list page).
    pub detail: Option<&'static str>,
    /// How the server lists the kind from Luna Node (`None`: not listed).
    #[cfg(feature = "ssr")]
    pub lister: Option<crate::server::lists::ListFn>,
}

impl Kind {
    /// Where an entry is shown: its own page, else the kind's list page.
    pub fn href(&self, id: &str) -> Option<String> {
        match (self.detail, self.path) {
            (Some(d), _) => Some(format!("{d}{id}")),
            (None, Some(p)) => Some(p.to_owned()),
            (None, None) => None,
        }
    }

    /// Whether `status` is a transition of this kind.
    pub fn is_busy(&self, status: &str) -> bool {
        self.busy
            .iter()
            .any(|w| w.eq_ignore_ascii_case(status.trim()))
    }
}

impl PartialEq for Kind {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Kind {}

pub static VM: Kind = Kind {
    key: "vm",
    noun: "virtual machine",
    plural: "virtual machines",
    what: "The virtual machine",
    id_arg: "vm_id",
    api: "vms",
    list: "vm/list",
    reads: &["vm/list", "vm/info", "vm/iplist", "vm/usage", "dns/list"],
    capabilities: &[
        Capability {
            key: "power",
            label: "Start, stop, reboot, shelve and unshelve",
            actions: &[
                "vm/start",
                "vm/stop",
                "vm/reboot",
                "vm/shelve",
                "vm/unshelve",
            ],
        },
        Capability {
            key: "console",
            label: "Open the console",
            actions: &["vm/vnc"],
        },
        Capability {
            key: "create",
            label: "Create servers (within their quota)",
            actions: &["vm/create"],
        },
        Capability {
            key: "delete",
            label: "Delete their servers",
            actions: &["vm/delete"],
        },
        Capability {
            key: "rebuild",
            label: "Rename, reimage, resize and rescue",
            actions: &[
                "vm/rename",
                "vm/reimage",
                "vm/resize",
                "vm/rescue",
                "vm/diskswap",
            ],
        },
        Capability {
            key: "snapshot",
            label: "Snapshot their servers",
            actions: &["vm/snapshot"],
        },
        Capability {
            key: "network",
            label: "Floating IPs, extra addresses and security groups",
            actions: &[
                "vm/floatingip-add",
                "vm/floatingip-delete",
                "vm/ip-add",
                "vm/ip-delete",
                "vm/securitygroup-add",
                "vm/securitygroup-remove",
            ],
        },
    ],
    transitions: true,
    busy: &[],
    path: Some("/vms"),
    detail: Some("/vms/"),
    #[cfg(feature = "ssr")]
    lister: Some(crate::server::lists::vms),
};

pub static SSHKEY: Kind = Kind {
    key: "sshkey",
    noun: "SSH key",
    plural: "SSH keys",
    what: "The SSH key",
    id_arg: "key_id",
    api: "sshkeys",
    list: "sshkey/list",
    reads: &["sshkey/list"],
    capabilities: &[Capability {
        key: "sshkeys",
        label: "Add and remove SSH keys",
        actions: &["sshkey/add", "sshkey/remove"],
    }],
    transitions: false,
    busy: &[],
    path: Some("/ssh-keys"),
    detail: None,
    #[cfg(feature = "ssr")]
    lister: Some(crate::server::lists::sshkeys),
};

pub static IMAGE: Kind = Kind {
    key: "image",
    noun: "image",
    plural: "images",
    what: "The image",
    id_arg: "image_id",
    api: "images",
    list: "image/list",
    reads: &["image/list", "image/details"],
    capabilities: &[Capability {
        key: "images",
        label: "Fetch, rename, replicate, download and delete their images",
        actions: &[
            "image/fetch",
            "image/rename",
            "image/replicate",
            "image/retrieve",
            "image/delete",
        ],
    }],
    transitions: true,
    busy: &["queued", "saving", "uploading", "importing", "pending"],
    path: Some("/images"),
    detail: Some("/images/"),
    #[cfg(feature = "ssr")]
    lister: Some(crate::server::lists::images),
};

pub static VOLUME: Kind = Kind {
    key: "volume",
    noun: "volume",
    plural: "volumes",
    what: "The volume",
    id_arg: "volume_id",
    api: "volumes",
    list: "volume/list",
    reads: &["volume/list", "volume/info"],
    capabilities: &[Capability {
        key: "volumes",
        label: "Create, attach, detach, extend, rename and delete volumes (within their quota)",
        actions: &[
            "volume/create",
            "volume/attach",
            "volume/detach",
            "volume/extend",
            "volume/rename",
            "volume/delete",
        ],
    }],
    transitions: true,
    busy: &[
        "creating",
        "downloading",
        "attaching",
        "detaching",
        "extending",
        "deleting",
        "pending",
        "uploading",
        "restoring-backup",
        "backing-up",
    ],
    path: Some("/volumes"),
    detail: Some("/volumes/"),
    #[cfg(feature = "ssr")]
    lister: Some(crate::server::lists::volumes),
};

pub static SNAPSHOT: Kind = Kind {
    key: "snapshot",
    noun: "volume snapshot",
    plural: "volume snapshots",
    what: "The snapshot",
    id_arg: "snapshot_id",
    api: "snapshots",
    list: "volume/snapshot-list",
    reads: &["volume/snapshot-list"],
    capabilities: &[Capability {
        key: "snapshots",
        label: "Snapshot their volumes, replicate and delete snapshots",
        actions: &[
            "volume/snapshot-create",
            "volume/snapshot-replicate",
            "volume/snapshot-delete",
        ],
    }],
    transitions: true,
    busy: &["creating", "deleting", "pending"],
    path: None,
    detail: None,
    #[cfg(feature = "ssr")]
    lister: Some(crate::server::lists::snapshots),
};

pub static NETWORK: Kind = Kind {
    key: "network",
    noun: "network",
    plural: "networks",
    what: "The network",
    id_arg: "net_id",
    api: "networks",
    list: "network/list",
    reads: &["network/list"],
    capabilities: &[Capability {
        key: "networks",
        label: "Create and delete virtual networks",
        actions: &["network/create", "network/delete"],
    }],
    transitions: false,
    busy: &[],
    path: Some("/networks"),
    detail: None,
    #[cfg(feature = "ssr")]
    lister: Some(crate::server::lists::networks),
};

pub static SECURITYGROUP: Kind = Kind {
    key: "securitygroup",
    noun: "security group",
    plural: "security groups",
    what: "The security group",
    id_arg: "group_id",
    api: "securitygroups",
    list: "securitygroup/list",
    reads: &["securitygroup/list", "securitygroup/rule-list"],
    capabilities: &[Capability {
        key: "securitygroups",
        label:
            "Create, rename and delete security groups and edit their rules (within their quota)",
        actions: &[
            "securitygroup/create",
            "securitygroup/rename",
            "securitygroup/delete",
            "securitygroup/rule-insert",
            "securitygroup/rule-delete",
        ],
    }],
    transitions: false,
    busy: &[],
    path: Some("/security-groups"),
    detail: Some("/security-groups/"),
    #[cfg(feature = "ssr")]
    lister: Some(crate::server::lists::securitygroups),
};

pub static SCRIPT: Kind = Kind {
    key: "script",
    noun: "startup script",
    plural: "startup scripts",
    what: "The startup script",
    id_arg: "script_id",
    api: "scripts",
    list: "script/list",
    reads: &["script/list", "script/get"],
    capabilities: &[Capability {
        key: "scripts",
        label: "Write and delete startup scripts",
        actions: &["script/create", "script/update", "script/delete"],
    }],
    transitions: false,
    busy: &[],
    path: Some("/scripts"),
    detail: Some("/scripts/"),
    #[cfg(feature = "ssr")]
    lister: Some(crate::server::lists::scripts),
};

pub static FLOATING: Kind = Kind {
    key: "floating",
    noun: "floating IP",
    plural: "floating IPs",
    what: "The floating IP",
    id_arg: "ip",
    api: "floatingips",
    list: "floating/list",
    reads: &["floating/list"],
    capabilities: &[Capability {
        key: "floating",
        label: "Allocate and release floating IPs and set their reverse DNS (within their quota)",
        actions: &["floating/add", "floating/delete", "dns/set"],
    }],
    transitions: false,
    busy: &[],
    path: Some("/floating-ips"),
    detail: None,
    #[cfg(feature = "ssr")]
    lister: Some(crate::server::lists::floating),
};

pub static LB: Kind = Kind {
    key: "lb",
    noun: "load balancer",
    plural: "load balancers",
    what: "The load balancer",
    id_arg: "lb_id",
    api: "lbs",
    list: "lb/list",
    reads: &["lb/list", "lb/info"],
    capabilities: &[Capability {
        key: "lbs",
        label: "Create and delete load balancers, change their members and floating IP (within their quota)",
        actions: &[
            "lb/create",
            "lb/delete",
            "lb/member_add",
            "lb/member_remove",
            "lb/associate",
        ],
    }],
    transitions: false,
    busy: &[],
    path: Some("/load-balancers"),
    detail: Some("/load-balancers/"),
    #[cfg(feature = "ssr")]
    lister: Some(crate::server::lists::lbs),
};

pub static ZONE: Kind = Kind {
    key: "zone",
    noun: "DNS zone",
    plural: "DNS zones",
    what: "The DNS zone",
    id_arg: "zone_id",
    api: "zones",
    list: "dns2/zone-list",
    reads: &["dns2/zone-list", "dns2/record-list"],
    capabilities: &[Capability {
        key: "dns",
        label: "Add and remove DNS zones and their records (within their quota)",
        actions: &[
            "dns2/zone-add",
            "dns2/zone-remove",
            "dns2/record-add",
            "dns2/record-remove",
        ],
    }],
    transitions: false,
    busy: &[],
    path: Some("/dns"),
    detail: Some("/dns/zones/"),
    #[cfg(feature = "ssr")]
    lister: Some(crate::server::lists::zones),
};

/// Zones of the legacy `dns/*` actions (reference §14: listed in the wiki only, shapes
/// UNKNOWN), shown beside the current ones and counted with them against the zone quota.
pub static LEGACY_ZONE: Kind = Kind {
    key: "legacyzone",
    noun: "legacy DNS zone",
    plural: "legacy DNS zones",
    what: "The legacy DNS zone",
    id_arg: "legacy_zone_id",
    api: "legacyzones",
    list: "dns/zone-list",
    reads: &["dns/zone-list", "dns/record-list"],
    capabilities: &[Capability {
        key: "dnslegacy",
        label: "Add and remove legacy DNS zones and their records (within their zone quota)",
        actions: &[
            "dns/zone-add",
            "dns/zone-remove",
            "dns/record-add",
            "dns/record-remove",
        ],
    }],
    transitions: false,
    busy: &[],
    path: Some("/dns"),
    detail: Some("/dns/legacy/"),
    #[cfg(feature = "ssr")]
    lister: Some(crate::server::lists::legacy_zones),
};

pub static DYN: Kind = Kind {
    key: "dyn",
    noun: "dynamic DNS name",
    plural: "dynamic DNS names",
    what: "The dynamic DNS name",
    id_arg: "dyn_id",
    api: "dyndns",
    list: "dns/dyn-list",
    reads: &["dns/dyn-list"],
    capabilities: &[Capability {
        key: "dyndns",
        label: "Add, update and remove dynamic DNS names",
        actions: &["dns/dyn-add", "dns/dyn-update", "dns/dyn-remove"],
    }],
    transitions: false,
    busy: &[],
    path: Some("/dns/dynamic"),
    detail: None,
    #[cfg(feature = "ssr")]
    lister: Some(crate::server::lists::dyns),
};

/// Hosted e-mail domains; users and aliases live inside one (a customer acts on those of
/// their domains). The account-wide `email/usage` is the owner's only: a customer's usage
/// is counted from their domains.
pub static MAILDOMAIN: Kind = Kind {
    key: "maildomain",
    noun: "mail domain",
    plural: "mail domains",
    what: "The mail domain",
    id_arg: "domain_id",
    api: "mail",
    list: "email/domain-list",
    reads: &["email/domain-list", "email/user-list", "email/alias-list"],
    capabilities: &[Capability {
        key: "mail",
        label: "Add and remove mail domains, their users and aliases, and DKIM keys (within their quota)",
        actions: &[
            "email/domain-add",
            "email/domain-remove",
            "email/domain-dkim-set",
            "email/domain-dkim-unset",
            "email/user-add",
            "email/user-set-password",
            "email/user-remove",
            "email/alias-add",
            "email/alias-remove",
        ],
    }],
    transitions: false,
    busy: &[],
    path: Some("/mail"),
    detail: Some("/mail/"),
    #[cfg(feature = "ssr")]
    lister: Some(crate::server::lists::mail_domains),
};

/// Uptime checks (`monitor/*`). The capability covers checks and the alerts on them;
/// a customer's alerts name only their checks and their contacts.
pub static MONITORCHECK: Kind = Kind {
    key: "monitorcheck",
    noun: "monitor check",
    plural: "monitor checks",
    what: "The monitor check",
    id_arg: "check_id",
    api: "monitor",
    list: "monitor/check-list",
    reads: &[
        "monitor/check-list",
        "monitor/check-types",
        "monitor/alert-list",
    ],
    capabilities: &[Capability {
        key: "monitor",
        label: "Add and remove monitor checks, alert contacts and alerts (within their quota)",
        actions: &[
            "monitor/check-add",
            "monitor/check-remove",
            "monitor/alert-add",
            "monitor/alert-remove",
            "monitor/contact-add",
            "monitor/contact-remove",
        ],
    }],
    transitions: false,
    busy: &[],
    path: Some("/monitoring"),
    detail: Some("/monitoring/checks/"),
    #[cfg(feature = "ssr")]
    lister: Some(crate::server::lists::monitor_checks),
};

/// Who hears about checks: e-mail addresses, phone numbers (SMS) and webhooks. Changed
/// under the `monitor` capability of [`MONITORCHECK`].
pub static MONITORCONTACT: Kind = Kind {
    key: "monitorcontact",
    noun: "alert contact",
    plural: "alert contacts",
    what: "The contact",
    id_arg: "contact_id",
    api: "monitorcontacts",
    list: "monitor/contact-list",
    reads: &["monitor/contact-list"],
    capabilities: &[],
    transitions: false,
    busy: &[],
    path: Some("/monitoring"),
    detail: None,
    #[cfg(feature = "ssr")]
    lister: Some(crate::server::lists::monitor_contacts),
};

/// Every kind, in the order pages and the ledger list them.
pub static KINDS: &[&Kind] = &[
    &VM,
    &SSHKEY,
    &IMAGE,
    &VOLUME,
    &SNAPSHOT,
    &NETWORK,
    &SECURITYGROUP,
    &SCRIPT,
    &FLOATING,
    &LB,
    &ZONE,
    &LEGACY_ZONE,
    &DYN,
    &MAILDOMAIN,
    &MONITORCHECK,
    &MONITORCONTACT,
];

/// Reads of the account's catalogue every signed-in user may make (not about a kind).
pub const CATALOG_READS: &[&str] = &["plan/list", "region/list"];

/// The kind whose ledger key is `key`.
pub fn by_key(key: &str) -> Option<&'static Kind> {
    KINDS.iter().copied().find(|k| k.key == key)
}

/// Whether a customer may always make Luna Node action `path` (on what is theirs).
pub fn always_allowed(path: &str) -> bool {
    CATALOG_READS.contains(&path) || KINDS.iter().any(|k| k.reads.contains(&path))
}

/// Every capability group of every kind.
pub fn capabilities() -> impl Iterator<Item = &'static Capability> {
    KINDS.iter().flat_map(|k| k.capabilities.iter())
}

/// A resource of some kind as lists and the ledger check show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub id: String,
    pub name: String,
    /// Empty when the list does not say.
    pub region: String,
    /// Luna Node's own word, empty when the list does not say.
    pub status: String,
    /// Whether it can be picked for something new now (a ready volume, an unattached
    /// floating IP, an active image).
    pub usable: bool,
}

/// The latest list of one kind, as live status pushes it (`/api/live/{kind}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindSnapshot {
    pub kind: String,
    pub rows: Vec<Listed>,
    /// When Luna Node last answered (unix seconds); `None` before the first answer.
    pub listed_at: Option<i64>,
    /// Why the last look failed, if it did (the rows are then the last known).
    pub problem: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_distinct_and_capabilities_name_real_distinct_actions() {
        let mut keys = std::collections::HashSet::new();
        let mut args = std::collections::HashSet::new();
        let mut apis = std::collections::HashSet::new();
        for k in KINDS {
            assert!(keys.insert(k.key), "kind {} twice", k.key);
            assert!(args.insert(k.id_arg), "id argument {} twice", k.id_arg);
            assert!(apis.insert(k.api), "endpoint prefix {} twice", k.api);
            assert!(k.reads.contains(&k.list), "{}: its list is a read", k.key);
            assert_eq!(by_key(k.key).map(|x| x.key), Some(k.key));
        }
        let mut seen = std::collections::HashSet::new();
        let mut groups = std::collections::HashSet::new();
        for c in capabilities() {
            assert!(groups.insert(c.key), "capability {} twice", c.key);
            for a in c.actions {
                assert!(seen.insert(*a), "{a} is in two capabilities");
                assert!(!always_allowed(a), "{a} is both a read and a capability");
            }
        }
        #[cfg(feature = "ssr")]
        {
            let known: Vec<&str> = crate::server::lunanode::actions::all()
                .iter()
                .map(|a| a.path)
                .collect();
            let reads = KINDS
                .iter()
                .flat_map(|k| k.reads.iter())
                .chain(CATALOG_READS);
            for a in seen.iter().chain(reads) {
                assert!(known.contains(a), "{a} is not a Luna Node action");
            }
        }
    }
}
