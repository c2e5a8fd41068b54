//! `volume/*` (reference §5). Parameters follow the current documentation: `region` is
//! required only by create and the snapshot actions; the 2018 wiki required it everywhere
//! (stale), so here it is optional elsewhere and sent only when given.
//!
//! Answers: `volume/create`'s and `volume/list`'s are CONFIRMED, `volume/info`'s partly, the
//! snapshot actions' not at all (UNKNOWN), so the latter are read tolerantly: several
//! plausible key names, any collection layout, odd rows left out. Status words differ
//! between list and info; [`volume_state`] reads both.

use serde::{Deserialize, Serialize};

use super::Done;
use crate::server::lunanode::decode;

/// A new volume: empty (`creating` → `available`), from an image (`creating` →
/// `downloading` → `available`) or from a snapshot (CONFIRMED parameters and steps).
#[derive(Debug, Clone, Serialize)]
pub struct VolumeCreate {
    pub region: String,
    pub label: String,
    /// GB (see [`VOLUME_SIZE_GB`]).
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
    #[serde(default, deserialize_with = "summaries")]
    pub volumes: Vec<VolumeSummary>,
}

/// Other spellings read for `volume/list` rows: `created` is info's word (CONFIRMED), the
/// attachment keys are guesses (INFERRED; the documented list shows none).
const SUMMARY_SYNONYMS: &[(&str, &str)] = &[
    ("time_created", "created"),
    ("time_created", "created_at"),
    ("attached", "attached_to"),
    ("attached", "vm_id"),
    ("attached", "attachments"),
];

fn summaries<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<VolumeSummary>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?.unwrap_or_default();
    Ok(decode::rows_of(value, SUMMARY_SYNONYMS))
}

/// One `volume/list` entry (CONFIRMED fields, but `attached`).
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
    /// shown `pending`/`active` (INFERRED: another vocabulary). See [`volume_state`].
    #[serde(default, deserialize_with = "decode::text")]
    pub status: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub time_created: String,
    /// The VM it is attached to, when the list says (INFERRED: the documented list does
    /// not, so usually `""`; `volume/info` and `vm/info`'s `volumes` do). See
    /// [`decode::reference`] for the shapes read.
    #[serde(default, deserialize_with = "decode::reference")]
    pub attached: String,
}

/// The words the reference names for a ready, unattached volume: `available` (`volume/info`,
/// CONFIRMED) and `active` (the documented `volume/list` example; the list uses other words
/// than info, INFERRED).
pub const VOLUME_USABLE: &[&str] = &["available", "active"];

/// Whether a volume `status` means ready and unattached, in either vocabulary, in any case.
pub fn volume_usable(status: &str) -> bool {
    volume_state(status) == VolumeState::Available
}

/// What a volume's (or a volume snapshot's) `status` means for a page, in either
/// vocabulary (list or info).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VolumeState {
    /// `available` (info) or `active` (list): ready and unattached — attach, extend,
    /// snapshot, delete, boot from it.
    Available,
    /// `in-use` (CONFIRMED): attached to a VM — detach before extend or delete.
    InUse,
    /// Changing: `creating`, `downloading` (CONFIRMED), `pending` (list, CONFIRMED sample),
    /// `attaching`, `detaching`, `extending`, `deleting`, … (OpenStack's words, INFERRED),
    /// and any word not known here: watch it.
    Busy,
    /// `error` and OpenStack's `error_*` words (INFERRED): it will not become ready.
    Failed,
}

/// Reads a volume or snapshot `status` in any case, with surrounding blanks ignored.
pub fn volume_state(status: &str) -> VolumeState {
    let word = status.trim().to_ascii_lowercase();
    if VOLUME_USABLE.contains(&word.as_str()) {
        VolumeState::Available
    } else if matches!(word.as_str(), "in-use" | "in_use" | "inuse" | "attached") {
        VolumeState::InUse
    } else if word == "error" || word.starts_with("error_") || word.starts_with("error-") {
        VolumeState::Failed
    } else {
        VolumeState::Busy
    }
}

/// Volume sizes in GB the emulator accepts (INFERRED: the service refuses less than 1 GB
/// and non-whole numbers; its largest size is UNKNOWN). For a form's first check only.
pub const VOLUME_SIZE_GB: std::ops::RangeInclusive<u32> = 1..=10_000;

impl VolumeSummary {
    /// Ready and unattached (see [`volume_usable`]).
    pub fn is_usable(&self) -> bool {
        volume_usable(&self.status)
    }

    /// See [`volume_state`].
    pub fn state(&self) -> VolumeState {
        volume_state(&self.status)
    }
}

macro_rules! volume_id_request {
    ($($(#[$doc:meta])* $name:ident),*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Serialize)]
            pub struct $name {
                pub volume_id: String,
                #[serde(skip_serializing_if = "Option::is_none")]
                pub region: Option<String>,
            }
        )*
    };
}
volume_id_request!(
    /// One volume's details.
    VolumeInfo,
    /// Detaches an `in-use` volume: `detaching` → `available` (INFERRED steps, OpenStack's).
    VolumeDetach,
    /// Deletes a volume; refused while attached (INFERRED, OpenStack's rule).
    VolumeDelete
);

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VolumeInfoResponse {
    #[serde(deserialize_with = "details")]
    pub volume: VolumeDetails,
}

/// Other spellings read for `volume/info` (the documented page was cut off, so only
/// `status` is CONFIRMED): `time_created` is the list's word; the rest are guesses.
const DETAILS_SYNONYMS: &[(&str, &str)] = &[
    ("id", "volume_id"),
    ("name", "label"),
    ("name", "display_name"),
    ("created", "time_created"),
    ("created", "created_at"),
    ("attached", "attached_to"),
    ("attached", "vm_id"),
    ("attached", "attachments"),
];

fn details<'de, D: serde::Deserializer<'de>>(d: D) -> Result<VolumeDetails, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    decode::synonymous(value, DETAILS_SYNONYMS).map_err(serde::de::Error::custom)
}

/// `volume/info` (CONFIRMED: `status`; the rest of the documented page was not captured, so
/// the other fields are INFERRED from client structs and read tolerantly).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VolumeDetails {
    #[serde(deserialize_with = "decode::id")]
    pub id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub identification: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    /// GB; `None` when missing or not a number.
    #[serde(default, deserialize_with = "decode::lenient_num")]
    pub size: Option<u32>,
    /// `""` when detached; otherwise the VM it is attached to (INFERRED: the emulator sends
    /// the VM id; the service may send another reference, so match it against a VM's id and
    /// hostname). See [`decode::reference`] for the shapes read.
    #[serde(default, deserialize_with = "decode::reference")]
    pub attached: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub created: String,
    /// `creating`, `downloading`, `available`, `in-use` (CONFIRMED); see [`volume_state`].
    #[serde(default, deserialize_with = "decode::text")]
    pub status: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub region: String,
}

impl VolumeDetails {
    /// See [`volume_state`].
    pub fn state(&self) -> VolumeState {
        volume_state(&self.status)
    }

    /// The VM it is attached to, if any (see [`VolumeDetails::attached`]).
    pub fn attached_vm(&self) -> Option<&str> {
        Some(self.attached.trim()).filter(|a| !a.is_empty())
    }
}

/// Attaches an `available` volume to a VM in the same region: `attaching` → `in-use`
/// (INFERRED steps, OpenStack's).
#[derive(Debug, Clone, Serialize)]
pub struct VolumeAttach {
    pub volume_id: String,
    pub vm_id: String,
    /// `auto` or a device such as `/dev/vdc` (CONFIRMED).
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// Grows a volume (INFERRED: only while not attached, OpenStack's rule; the new size must
/// be larger).
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

/// Snapshots a volume (CONFIRMED parameters; the answer is UNKNOWN, see [`SnapshotCreated`]).
#[derive(Debug, Clone, Serialize)]
pub struct VolumeSnapshotCreate {
    pub volume_id: String,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// The new snapshot's id (UNKNOWN upstream; INFERRED `snapshot_id`, or `id`): `None` when
/// not sent (re-list the region's snapshots by label then).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "serde_json::Value")]
pub struct SnapshotCreated {
    pub snapshot_id: Option<String>,
}

impl TryFrom<serde_json::Value> for SnapshotCreated {
    type Error = serde_json::Error;

    fn try_from(body: serde_json::Value) -> Result<Self, Self::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default, deserialize_with = "decode::opt_id")]
            snapshot_id: Option<String>,
        }
        let raw: Raw = decode::synonymous(body, &[("snapshot_id", "id")])?;
        Ok(Self {
            snapshot_id: raw.snapshot_id,
        })
    }
}

/// `region` is required (CONFIRMED, DOCS table).
#[derive(Debug, Clone, Serialize)]
pub struct VolumeSnapshotList {
    pub region: String,
}

/// A region's volume snapshots. The whole answer is UNKNOWN upstream, so it is read in
/// every layout the API uses: under `snapshots` (INFERRED) or `volume_snapshots`, as an
/// array or an id-keyed object, or else as numbered top-level keys; row by row (an odd row
/// is left out, logged once).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "serde_json::Value")]
pub struct Snapshots {
    pub snapshots: Vec<Snapshot>,
}

/// Spellings read for a snapshot's fields (all UNKNOWN): the first present wins.
const SNAPSHOT_SYNONYMS: &[(&str, &str)] = &[
    ("id", "snapshot_id"),
    ("name", "label"),
    ("name", "display_name"),
    ("name", "snapshot_name"),
    ("volume_id", "volume"),
    ("volume_id", "source_volume_id"),
    ("volume_id", "source_volume"),
    ("size", "size_gb"),
    ("time_created", "created"),
    ("time_created", "created_at"),
];

impl TryFrom<serde_json::Value> for Snapshots {
    type Error = serde_json::Error;

    fn try_from(body: serde_json::Value) -> Result<Self, Self::Error> {
        let items = ["snapshots", "volume_snapshots"]
            .iter()
            .find_map(|k| body.get(*k).cloned());
        let items = match items {
            Some(items) => items,
            None => serde_json::Value::Array(decode::numbered_top_level(&body)?),
        };
        Ok(Self {
            snapshots: decode::rows_of(items, SNAPSHOT_SYNONYMS),
        })
    }
}

/// One volume snapshot (every field UNKNOWN upstream; INFERRED to follow `volume/list`'s
/// habits; see `SNAPSHOT_SYNONYMS` for the other spellings read).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Snapshot {
    /// `id`, or `snapshot_id` when only that is sent.
    #[serde(deserialize_with = "decode::id")]
    pub id: String,
    /// `name`, or `label` (the create parameter's word), `display_name`, `snapshot_name`.
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    /// The volume it was taken of (`""` when not said). See [`decode::reference`].
    #[serde(default, deserialize_with = "decode::reference")]
    pub volume_id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub region: String,
    /// GB; `None` when missing or not a number.
    #[serde(default, deserialize_with = "decode::lenient_num")]
    pub size: Option<u32>,
    /// `creating` → `available` (INFERRED, OpenStack's words); see [`volume_state`].
    #[serde(default, deserialize_with = "decode::text")]
    pub status: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub time_created: String,
}

impl Snapshot {
    /// See [`volume_state`] (snapshots use the same words).
    pub fn state(&self) -> VolumeState {
        volume_state(&self.status)
    }
}

/// `region` is the snapshot's own region (CONFIRMED parameters).
#[derive(Debug, Clone, Serialize)]
pub struct VolumeSnapshotDelete {
    pub region: String,
    pub snapshot_id: String,
}

/// Turns a snapshot into an image in `dst_region` (CONFIRMED parameters; answer UNKNOWN,
/// see [`SnapshotReplicated`]). The image goes `queued` → `saving` → `active`.
#[derive(Debug, Clone, Serialize)]
pub struct VolumeSnapshotReplicate {
    pub region: String,
    pub snapshot_id: String,
    pub image_name: String,
    pub dst_region: String,
}

/// The new image (INFERRED `image_id`, like `image/replicate`): `""` when not sent (re-list
/// the images by `image_name` then).
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
    fn snapshots_in_every_layout_and_spelling() {
        let spelled: Snapshots = serde_json::from_str(
            r#"{"success":"yes","snapshots":[
                {"snapshot_id":"7","label":"nightly","volume":{"id":"4682"},"size_gb":80,"status":"available","created":"2024-01-01"},
                {"id":"8","snapshot_id":"8","name":"weekly","label":"ignored","volume_id":4682,"size":"lots"},
                {"name":"no id"}]}"#,
        )
        .expect("one odd snapshot must not fail the list");
        let s = &spelled.snapshots;
        assert_eq!(s.len(), 2);
        assert_eq!(
            (
                s[0].id.as_str(),
                s[0].name.as_str(),
                s[0].volume_id.as_str(),
                s[0].size
            ),
            ("7", "nightly", "4682", Some(80))
        );
        assert_eq!(s[0].time_created, "2024-01-01");
        assert_eq!(s[0].state(), VolumeState::Available);
        assert_eq!(
            (s[1].name.as_str(), s[1].volume_id.as_str(), s[1].size),
            ("weekly", "4682", None),
            "the first spelling wins; an odd size is unknown"
        );
        let other_key: Snapshots =
            serde_json::from_str(r#"{"success":"yes","volume_snapshots":{"3":{"id":3}}}"#).unwrap();
        assert_eq!(other_key.snapshots[0].id, "3");
        let top: Snapshots = serde_json::from_str(
            r#"{"success":"yes","0":{"id":"1","name":"a"},"1":{"id":"2","name":"b"}}"#,
        )
        .unwrap();
        assert_eq!(top.snapshots.len(), 2);
        for none in [
            r#"{"success":"yes"}"#,
            r#"{"success":"yes","snapshots":[]}"#,
        ] {
            let none: Snapshots = serde_json::from_str(none).unwrap();
            assert!(none.snapshots.is_empty());
        }
        let created: SnapshotCreated =
            serde_json::from_str(r#"{"success":"yes","id":12}"#).unwrap();
        assert_eq!(created.snapshot_id.as_deref(), Some("12"));
        let replicated: SnapshotReplicated = serde_json::from_str(r#"{"success":"yes"}"#).unwrap();
        assert_eq!(replicated.image_id, "");
    }

    #[test]
    fn volume_info_in_other_spellings() {
        let info: VolumeInfoResponse = serde_json::from_str(
            r#"{"success":"yes","volume":{"volume_id":9,"label":"db","size":"x","time_created":"t",
                "attachments":[{"server_id":"vm-1","device":"/dev/vdb"}],"status":"in-use"}}"#,
        )
        .unwrap();
        let v = info.volume;
        assert_eq!((v.id.as_str(), v.name.as_str(), v.size), ("9", "db", None));
        assert_eq!((v.created.as_str(), v.attached_vm()), ("t", Some("vm-1")));
        assert_eq!(v.state(), VolumeState::InUse);
        let detached: VolumeInfoResponse = serde_json::from_str(
            r#"{"success":"yes","volume":{"id":"9","attached":"","attachments":[],"status":"available"}}"#,
        )
        .unwrap();
        assert_eq!(detached.volume.attached_vm(), None);
        let odd: VolumeInfoResponse = serde_json::from_str(
            r#"{"success":"yes","volume":{"id":"9","attached":{"device":"/dev/vdb"}}}"#,
        )
        .expect("an odd attachment must not hide the volume");
        assert_eq!(odd.volume.attached, "");
        let list: Volumes = serde_json::from_str(
            r#"{"success":"yes","volumes":[{"id":"1","created":"c","attached_to":"vm-2","status":"in-use"}]}"#,
        )
        .unwrap();
        assert_eq!(
            (
                list.volumes[0].time_created.as_str(),
                list.volumes[0].attached.as_str()
            ),
            ("c", "vm-2")
        );
    }

    #[test]
    fn volume_states_in_both_vocabularies() {
        for (status, state) in [
            ("available", VolumeState::Available),
            ("active", VolumeState::Available),
            ("in-use", VolumeState::InUse),
            ("creating", VolumeState::Busy),
            ("downloading", VolumeState::Busy),
            ("pending", VolumeState::Busy),
            ("attaching", VolumeState::Busy),
            ("detaching", VolumeState::Busy),
            ("extending", VolumeState::Busy),
            ("", VolumeState::Busy),
            ("error", VolumeState::Failed),
            ("error_extending", VolumeState::Failed),
        ] {
            assert_eq!(volume_state(status), state, "{status:?}");
        }
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
