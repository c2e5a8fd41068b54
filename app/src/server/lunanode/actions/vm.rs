//! `vm/*` (reference §3).

use serde::{Deserialize, Serialize};

use super::Done;
use crate::server::lunanode::decode;

#[derive(Debug, Clone, Default, Serialize)]
pub struct VmList {}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VmListResponse {
    #[serde(deserialize_with = "decode::collection")]
    pub vms: Vec<VmSummary>,
}

/// One `vm/list` entry; also `vm/info`'s `extra` (reference §3, CONFIRMED).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VmSummary {
    /// A UUID since 2016, an integer string before (opaque either way).
    #[serde(deserialize_with = "decode::id")]
    pub vm_id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub hostname: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub plan_id: String,
    /// `""` while there is no floating IP.
    #[serde(default, deserialize_with = "decode::text")]
    pub primaryip: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub privateip: String,
    /// MB.
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub ram: Option<u32>,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub vcpu: Option<u32>,
    /// GB.
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub storage: Option<u32>,
    /// GB per month.
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub bandwidth: Option<u64>,
    #[serde(default, deserialize_with = "decode::text")]
    pub region: String,
    /// `active` (CONFIRMED); absent in older answers.
    #[serde(default, deserialize_with = "decode::text")]
    pub os_status: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VmInfo {
    pub vm_id: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VmInfoResponse {
    pub info: VmDetails,
    pub extra: Option<VmSummary>,
}

/// `vm/info`'s `info` object. The HTML-escaped `status` is deliberately not decoded: only
/// `status_nohtml` is ever shown (reference §3).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VmDetails {
    #[serde(default, deserialize_with = "decode::text")]
    pub hostname: String,
    /// Primary public IP (`""` until assigned).
    #[serde(default, deserialize_with = "decode::text")]
    pub ip: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub privateip: String,
    #[serde(default, deserialize_with = "decode::collection")]
    pub addresses: Vec<Address>,
    #[serde(default, deserialize_with = "decode::strings")]
    pub additionalip: Vec<String>,
    #[serde(default, deserialize_with = "decode::strings")]
    pub additionalprivateip: Vec<String>,
    #[serde(default, deserialize_with = "decode::strings")]
    pub ipv6: Vec<String>,
    /// `Online`, `Offline`, `BUILD`, `Powering off` (CONFIRMED); others pass through.
    #[serde(default, deserialize_with = "decode::text")]
    pub status_nohtml: String,
    /// OpenStack state, e.g. `active` (CONFIRMED).
    #[serde(default, deserialize_with = "decode::text")]
    pub status_raw: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub status_color: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub task_state: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub os: String,
    #[serde(default, deserialize_with = "decode::strings")]
    pub security_groups: Vec<String>,
    #[serde(default, deserialize_with = "decode::collection")]
    pub volumes: Vec<AttachedVolume>,
    /// `"username: X; password: Y"` or `"password: Y"`; absent for key-only and ISO VMs.
    #[serde(default)]
    pub login_details: Option<String>,
    /// GB used this billing period.
    #[serde(
        rename = "bandwidthUsedGB",
        default,
        deserialize_with = "decode::opt_num"
    )]
    pub bandwidth_used_gb: Option<f64>,
    /// Present only when a disk swap is possible.
    #[serde(default)]
    pub diskswap: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Address {
    pub addr: String,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub version: Option<u8>,
    #[serde(default, deserialize_with = "decode::flag")]
    pub external: bool,
    /// Reverse DNS, when set.
    #[serde(default)]
    pub reverse: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AttachedVolume {
    #[serde(deserialize_with = "decode::id")]
    pub id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
}

/// `vm/create`. `image_id` is required unless booting from `volume_id` (DOCS-vm).
#[derive(Debug, Clone, Default, Serialize)]
pub struct VmCreate {
    pub hostname: String,
    /// A plan id or name such as `m.2` (CONFIRMED).
    pub plan_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_virtio: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// An unattached floating IP on the account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub securitygroups: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scripts: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub key_id: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_password: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity_group: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VmCreated {
    #[serde(deserialize_with = "decode::id")]
    pub vm_id: String,
}

macro_rules! vm_id_only {
    ($($name:ident),*) => {
        $(
            #[derive(Debug, Clone, Serialize)]
            pub struct $name {
                pub vm_id: String,
            }
        )*
    };
}
vm_id_only!(VmStart, VmStop, VmReboot, VmDelete);

#[derive(Debug, Clone, Serialize)]
pub struct VmRename {
    pub vm_id: String,
    pub hostname: String,
}

super::actions! {
    const VM_ACTIONS;
    vm_list: read "vm/list", VmList => VmListResponse;
    vm_info: read "vm/info", VmInfo => VmInfoResponse;
    vm_create: write "vm/create", VmCreate => VmCreated;
    vm_start: write "vm/start", VmStart => Done;
    vm_stop: write "vm/stop", VmStop => Done;
    vm_reboot: write "vm/reboot", VmReboot => Done;
    vm_delete: write "vm/delete", VmDelete => Done;
    vm_rename: write "vm/rename", VmRename => Done;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::lunanode::params;

    #[test]
    fn decodes_the_reference_vm_info_sample() {
        let body = r#"{"success":"yes","info":{"hostname":"lnbackup test 1","ip":"203.0.113.5","privateip":"10.0.0.5",
          "addresses":[{"addr":"2602:ffb6::1","version":"6","external":"1"},{"addr":"10.0.0.5","version":"4","external":""},
                       {"addr":"203.0.113.5","version":"4","external":"1","reverse":"vm.example.com."}],
          "additionalip":["203.0.113.6"],"additionalprivateip":["10.0.0.6"],"ipv6":["2602:ffb6::1"],
          "status":"&lt;font color=&quot;green&quot;&gt;&lt;b&gt;Online&lt;/b&gt;&lt;/font&gt;","status_nohtml":"Online",
          "status_raw":"active","status_color":"green","task_state":"","os":"Ubuntu 14.04 64-bit (template)",
          "security_groups":["default"],"securitygroups":["default"],"volumes":[{"id":"4682","name":"myvolume"}],
          "login_details":"username: ubuntu; password: XYZ","bandwidthUsedGB":"1.52"},
          "extra":{"vm_id":"81ebdd9e-178f-49a4-816b-a1fc46fc5869","name":"foobar","plan_id":"123","hostname":"foobar",
                   "primaryip":"203.0.113.5","privateip":"10.0.0.5","ram":"1024","vcpu":"1","storage":"15","bandwidth":"1000",
                   "region":"montreal","os_status":"active"}}"#;
        let info: VmInfoResponse = serde_json::from_str(body).unwrap();
        let i = &info.info;
        assert_eq!(i.status_nohtml, "Online");
        assert_eq!(i.addresses.len(), 3);
        assert!(i.addresses[0].external && !i.addresses[1].external);
        assert_eq!(i.addresses[2].reverse.as_deref(), Some("vm.example.com."));
        assert_eq!(i.bandwidth_used_gb, Some(1.52));
        assert_eq!(i.volumes[0].id, "4682");
        assert!(i.diskswap.is_none());
        let extra = info.extra.unwrap();
        assert_eq!((extra.ram, extra.region.as_str()), (Some(1024), "montreal"));
    }

    #[test]
    fn decodes_vm_list_and_create() {
        let list: VmListResponse = serde_json::from_str(
            r#"{"success":"yes","vms":[{"vm_id":"81ebdd9e-178f-49a4-816b-a1fc46fc5869","name":"foobar","hostname":"foobar",
                "plan_id":"123","primaryip":"","privateip":"10.1.1.1","ram":"1024","vcpu":"1","storage":"15","bandwidth":"0",
                "region":"montreal","os_status":"active"}]}"#,
        )
        .unwrap();
        assert_eq!(list.vms[0].primaryip, "");
        let empty: VmListResponse = serde_json::from_str(r#"{"success":"yes","vms":[]}"#).unwrap();
        assert!(empty.vms.is_empty());
        let created: VmCreated =
            serde_json::from_str(r#"{"success":"yes","vm_id":"81ebdd9e"}"#).unwrap();
        assert_eq!(created.vm_id, "81ebdd9e");
    }

    #[test]
    fn create_sends_only_what_is_set() {
        let p = params(&VmCreate {
            hostname: "web1".into(),
            plan_id: "m.2".into(),
            image_id: Some("630902".into()),
            securitygroups: vec!["4".into(), "91".into()],
            set_password: Some(true),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(p["securitygroups"], "4,91");
        assert_eq!(p["set_password"], "yes");
        assert_eq!(p.len(), 5, "{p:?}");
    }
}
