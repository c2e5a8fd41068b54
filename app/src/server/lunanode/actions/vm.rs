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
    /// CONFIRMED in the answer, yet a write whose envelope says `success` is done even when
    /// the id is missing: `""` then (the panel finds the new resource by name).
    #[serde(default, deserialize_with = "decode::text")]
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
vm_id_only!(
    VmStart, VmStop, VmReboot, VmDelete, VmDiskswap, VmRescue, VmVnc, VmIplist, VmShelve,
    VmUnshelve
);

#[derive(Debug, Clone, Serialize)]
pub struct VmReimage {
    pub vm_id: String,
    pub image_id: String,
}

/// Changes the plan. Upstream may answer success and change nothing (local-storage
/// downsize, ISO-installed VMs; CONFIRMED third-party observation): re-read the VM.
#[derive(Debug, Clone, Serialize)]
pub struct VmResize {
    pub vm_id: String,
    pub plan_id: String,
}

/// `{"vnc_url": "https://toronto-ctrl.lunanode.com:6080/vnc_auto.html?token=…"}` (CONFIRMED).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VncUrl {
    pub vnc_url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VmFloatingipAdd {
    pub vm_id: String,
    /// An unattached floating IP on the account; without it a new one is taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The VM's internal IP to map it to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_ip: Option<String>,
}

/// The attached address (payload UNKNOWN upstream; INFERRED `ip`, possibly absent).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FloatingAttached {
    #[serde(default)]
    pub ip: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VmFloatingipDelete {
    pub vm_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Keep the address on the account (default: release it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep: Option<bool>,
}

/// `vm/iplist` (shape UNKNOWN upstream; INFERRED: a list of addresses under `ips`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VmIps {
    #[serde(default, deserialize_with = "decode::collection")]
    pub ips: Vec<VmIp>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VmIp {
    #[serde(default, deserialize_with = "decode::text")]
    pub ip: String,
    /// `private` or `floating` (INFERRED).
    #[serde(default, rename = "type", deserialize_with = "decode::text")]
    pub kind: String,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub version: Option<u8>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VmIpAdd {
    pub vm_id: String,
    /// An unallocated address in the VM's virtual network; otherwise one is chosen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

/// The added address (payload UNKNOWN upstream; INFERRED `ip`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IpAdded {
    #[serde(default)]
    pub ip: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VmIpDelete {
    pub vm_id: String,
    pub ip: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VmSecuritygroupAdd {
    pub vm_id: String,
    pub group_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VmSecuritygroupRemove {
    pub vm_id: String,
    pub group_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VmSnapshot {
    pub vm_id: String,
    pub name: String,
}

/// The snapshot's image (`{"image_id":"3236"}`, CONFIRMED); it starts `queued`/`saving`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SnapshotImage {
    /// CONFIRMED in the answer, yet a write whose envelope says `success` is done even when
    /// the id is missing: `""` then (the panel finds the new resource by name).
    #[serde(default, deserialize_with = "decode::text")]
    pub image_id: String,
}

/// Usage graphs (not in the wiki; CONFIRMED to exist by the WHMCS module).
#[derive(Debug, Clone, Serialize)]
pub struct VmUsage {
    pub vm_id: String,
    /// `bandwidth`, `cpu` or `io`.
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Usage {
    #[serde(default, deserialize_with = "decode::collection")]
    pub usage: Vec<UsageSample>,
}

/// One sample; which rates are present depends on the key (CONFIRMED names, values as
/// strings INFERRED). Bandwidth rates are bytes per second.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UsageSample {
    #[serde(deserialize_with = "decode::num")]
    pub unix_time: i64,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub incoming_rate: Option<f64>,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub outgoing_rate: Option<f64>,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub total_rate: Option<f64>,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub percent: Option<f64>,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub read: Option<f64>,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub write: Option<f64>,
}

/// CPU fair-share settings (not in the wiki; CONFIRMED to exist by BTCPAY's launcher).
#[derive(Debug, Clone, Serialize)]
pub struct VmSetFairshare {
    pub vm_id: String,
    pub charge_for_cpu: bool,
    pub fairshare_nolend: bool,
}

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
    vm_diskswap: write "vm/diskswap", VmDiskswap => Done;
    vm_reimage: write "vm/reimage", VmReimage => Done;
    vm_resize: write "vm/resize", VmResize => Done;
    vm_rescue: write "vm/rescue", VmRescue => Done;
    vm_vnc: write "vm/vnc", VmVnc => VncUrl;
    vm_floatingip_add: write "vm/floatingip-add", VmFloatingipAdd => FloatingAttached;
    vm_floatingip_delete: write "vm/floatingip-delete", VmFloatingipDelete => Done;
    vm_iplist: read "vm/iplist", VmIplist => VmIps;
    vm_ip_add: write "vm/ip-add", VmIpAdd => IpAdded;
    vm_ip_delete: write "vm/ip-delete", VmIpDelete => Done;
    vm_securitygroup_add: write "vm/securitygroup-add", VmSecuritygroupAdd => Done;
    vm_securitygroup_remove: write "vm/securitygroup-remove", VmSecuritygroupRemove => Done;
    vm_snapshot: write "vm/snapshot", VmSnapshot => SnapshotImage;
    vm_shelve: write "vm/shelve", VmShelve => Done;
    vm_unshelve: write "vm/unshelve", VmUnshelve => Done;
    vm_usage: read "vm/usage", VmUsage => Usage;
    vm_set_fairshare: write "vm/set-fairshare", VmSetFairshare => Done;
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
    fn decodes_vnc_snapshot_and_usage() {
        let vnc: VncUrl = serde_json::from_str(
            r#"{"vnc_url":"https:\/\/toronto-ctrl.lunanode.com:6080\/vnc_auto.html?token=abc","success":"yes"}"#,
        )
        .unwrap();
        assert!(vnc
            .vnc_url
            .starts_with("https://toronto-ctrl.lunanode.com:6080/"));
        let snap: SnapshotImage =
            serde_json::from_str(r#"{"success":"yes","image_id":"3236"}"#).unwrap();
        assert_eq!(snap.image_id, "3236");
        let usage: Usage = serde_json::from_str(
            r#"{"success":"yes","usage":[{"unix_time":"1700000000","incoming_rate":"10.5","outgoing_rate":"2","total_rate":"12.5"},
                {"unix_time":1700000300,"percent":"3.2"}]}"#,
        )
        .unwrap();
        assert_eq!(usage.usage[0].total_rate, Some(12.5));
        assert_eq!(usage.usage[1].percent, Some(3.2));
        let fair = params(&VmSetFairshare {
            vm_id: "v".into(),
            charge_for_cpu: true,
            fairshare_nolend: false,
        })
        .unwrap();
        assert_eq!(
            (
                fair["charge_for_cpu"].as_str(),
                fair["fairshare_nolend"].as_str()
            ),
            ("yes", "no")
        );
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
