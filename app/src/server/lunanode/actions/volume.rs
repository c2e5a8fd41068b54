//! `volume/*` (reference §5). Parameters follow the current documentation: `region` is
//! required only by create and the snapshot actions; the 2018 wiki required it everywhere
//! (stale), so here it is optional elsewhere and sent only when given.

use serde::{Deserialize, Serialize};

use super::Done;
use crate::server::lunanode::decode;

#[derive(Debug, Clone, Serialize)]
pub struct VolumeCreate {
    pub region: String,
    pub label: String,
    /// GB.
    pub size: u32,
    /// Fill from this image id. Setting both `image` and `snapshot_id` is an error (CONFIRMED).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VolumeCreated {
    /// CONFIRMED in the answer, yet a write whose envelope says `success` is done even when
    /// the id is missing: `""` then (the panel finds the volume by label, as LOBSTER had to in 2015).
    #[serde(default, deserialize_with = "decode::text")]
    pub volume_id: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VolumeList {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Volumes {
    /// Row by row: a row without an id is left out (logged once), the rest kept.
    #[serde(deserialize_with = "decode::rows")]
    pub volumes: Vec<VolumeSummary>,
}

/// One `volume/list` entry (CONFIRMED fields).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VolumeSummary {
    #[serde(deserialize_with = "decode::id")]
    pub id: String,
    /// The OpenStack UUID.
    #[serde(default, deserialize_with = "decode::text")]
    pub identification: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub region: String,
    /// GB; `None` when the answer's size is empty or not a number (shown as unknown).
    #[serde(default, deserialize_with = "decode::lenient_num")]
    pub size: Option<u32>,
    /// `creating`, `downloading`, `available`, `in-use` (CONFIRMED); list answers have also
    /// shown `pending`/`active` (INFERRED: another vocabulary).
    #[serde(default, deserialize_with = "decode::text")]
    pub status: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub time_created: String,
}

/// The words the reference names for a ready, unattached volume: `available` (`volume/info`,
/// CONFIRMED) and `active` (the documented `volume/list` example; the list uses other words
/// than info, INFERRED).
pub const VOLUME_USABLE: &[&str] = &["available", "active"];

/// Whether a volume `status` means ready and unattached, in either vocabulary, in any case.
pub fn volume_usable(status: &str) -> bool {
    VOLUME_USABLE
        .iter()
        .any(|w| w.eq_ignore_ascii_case(status.trim()))
}

impl VolumeSummary {
    /// Ready and unattached (see [`volume_usable`]).
    pub fn is_usable(&self) -> bool {
        volume_usable(&self.status)
    }
}

macro_rules! volume_id_request {
    ($($name:ident),*) => {
        $(
            #[derive(Debug, Clone, Serialize)]
            pub struct $name {
                pub volume_id: String,
                #[serde(skip_serializing_if = "Option::is_none")]
                pub region: Option<String>,
            }
        )*
    };
}
volume_id_request!(VolumeInfo, VolumeDetach, VolumeDelete);

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VolumeInfoResponse {
    pub volume: VolumeDetails,
}

/// `volume/info` (CONFIRMED: `status`; the rest of the documented page was not captured, so
/// the other fields are INFERRED from client structs).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VolumeDetails {
    #[serde(deserialize_with = "decode::id")]
    pub id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub identification: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub size: Option<u32>,
    /// `""` when detached; otherwise the VM it is attached to (INFERRED).
    #[serde(default, deserialize_with = "decode::text")]
    pub attached: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub created: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub status: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub region: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolumeAttach {
    pub volume_id: String,
    pub vm_id: String,
    /// `auto` or a device such as `/dev/vdc`.
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolumeExtend {
    pub volume_id: String,
    /// The new size in GB (larger than the current one).
    pub size: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolumeRename {
    pub volume_id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolumeSnapshotCreate {
    pub volume_id: String,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// The new snapshot's id (UNKNOWN upstream; INFERRED `snapshot_id`): `None` when not sent.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SnapshotCreated {
    #[serde(default, deserialize_with = "decode::opt_id")]
    pub snapshot_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolumeSnapshotList {
    pub region: String,
}

/// Snapshots (UNKNOWN upstream: key `snapshots`, array or id-keyed object, INFERRED).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Snapshots {
    #[serde(default, deserialize_with = "decode::collection")]
    pub snapshots: Vec<Snapshot>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Snapshot {
    #[serde(deserialize_with = "decode::id")]
    pub id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub volume_id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub region: String,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub size: Option<u32>,
    #[serde(default, deserialize_with = "decode::text")]
    pub status: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub time_created: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolumeSnapshotDelete {
    pub region: String,
    pub snapshot_id: String,
}

/// Turns a snapshot into an image in `dst_region` (answer UNKNOWN; INFERRED `image_id`).
#[derive(Debug, Clone, Serialize)]
pub struct VolumeSnapshotReplicate {
    pub region: String,
    pub snapshot_id: String,
    pub image_name: String,
    pub dst_region: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SnapshotReplicated {
    #[serde(default, deserialize_with = "decode::text")]
    pub image_id: String,
}

super::actions! {
    const VOLUME_ACTIONS;
    volume_create: write "volume/create", VolumeCreate => VolumeCreated;
    volume_list: read "volume/list", VolumeList => Volumes;
    volume_info: read "volume/info", VolumeInfo => VolumeInfoResponse;
    volume_attach: write "volume/attach", VolumeAttach => Done;
    volume_detach: write "volume/detach", VolumeDetach => Done;
    volume_extend: write "volume/extend", VolumeExtend => Done;
    volume_rename: write "volume/rename", VolumeRename => Done;
    volume_delete: write "volume/delete", VolumeDelete => Done;
    volume_snapshot_create: write "volume/snapshot-create", VolumeSnapshotCreate => SnapshotCreated;
    volume_snapshot_list: read "volume/snapshot-list", VolumeSnapshotList => Snapshots;
    volume_snapshot_replicate: write "volume/snapshot-replicate", VolumeSnapshotReplicate => SnapshotReplicated;
    volume_snapshot_delete: write "volume/snapshot-delete", VolumeSnapshotDelete => Done;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::lunanode::params;
    #[test]
    fn an_odd_volume_row_does_not_blank_the_list() {
        let list: Volumes = serde_json::from_str(
            r#"{"success":"yes","volumes":[
                {"id":"1","name":"a","region":"toronto","size":"10","status":"active"},
                {"id":"2","name":"b","region":"toronto","size":"","status":"active"},
                {"id":"3","name":"c","region":"toronto","size":null,"status":"active"},
                {"id":null,"name":"no id"}]}"#,
        )
        .expect("one odd volume must not fail the whole volume/list");
        let ids: Vec<&str> = list.volumes.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "3"], "volumes of unknown size are kept");
        let sizes: Vec<Option<u32>> = list.volumes.iter().map(|v| v.size).collect();
        assert_eq!(sizes, [Some(10), None, None]);
    }

    #[test]
    fn decodes_reference_samples() {
        let list: Volumes = serde_json::from_str(
            r#"{"success":"yes","volumes":[{"id":"4682","identification":"8b48723c-f53a-4717-9f04-fa194869db18","name":"myvolume",
                "region":"toronto","size":"100","status":"active","time_created":"2018-12-17T01:00:15Z","user_id":"36"}]}"#,
        )
        .unwrap();
        assert_eq!(
            (list.volumes[0].id.as_str(), list.volumes[0].size),
            ("4682", Some(100))
        );
        let info: VolumeInfoResponse = serde_json::from_str(
            r#"{"success":"yes","volume":{"id":"4682","identification":"8b48723c","name":"myvolume","size":"100","attached":"",
                "created":"2018-12-17T01:00:15Z","status":"available","region":"toronto"}}"#,
        )
        .unwrap();
        assert_eq!(info.volume.status, "available");
        assert_eq!(info.volume.attached, "");
        let created: VolumeCreated =
            serde_json::from_str(r#"{"success":"yes","volume_id":"4682"}"#).unwrap();
        assert_eq!(created.volume_id, "4682");
        let created: VolumeCreated = serde_json::from_str(r#"{"success":"yes"}"#).unwrap();
        assert_eq!(
            created.volume_id, "",
            "done, though the answer lacks the id"
        );
        let snap: SnapshotCreated = serde_json::from_str(r#"{"success":"yes"}"#).unwrap();
        assert_eq!(snap.snapshot_id, None);
        let snaps: Snapshots =
            serde_json::from_str(r#"{"success":"yes","snapshots":{"7":{"id":"7","name":"s"}}}"#)
                .unwrap();
        assert_eq!(snaps.snapshots[0].id, "7");
    }

    #[test]
    fn both_vocabularies_name_a_usable_volume() {
        for yes in ["available", "active", "ACTIVE", "Available", " active "] {
            assert!(volume_usable(yes), "{yes:?}");
        }
        for no in ["in-use", "pending", "creating", "downloading", "error", ""] {
            assert!(!volume_usable(no), "{no:?}");
        }
    }

    #[test]
    fn region_is_sent_only_when_given() {
        let p = params(&VolumeInfo {
            volume_id: "1".into(),
            region: None,
        })
        .unwrap();
        assert!(!p.contains_key("region"));
        let p = params(&VolumeCreate {
            region: "toronto".into(),
            label: "data".into(),
            size: 20,
            image: None,
            snapshot_id: None,
        })
        .unwrap();
        assert_eq!(p["size"], "20");
        assert_eq!(p.len(), 3);
    }
}
