//! `image/*` (reference §4). List entries and details are CONFIRMED shapes, read
//! tolerantly (numbers as strings or numbers, an odd row left out rather than failing the
//! list); the answers of writes name the new image's id (CONFIRMED), but a write whose
//! envelope says `success` is done even without it. `image/retrieve` (raw bytes, not JSON)
//! is streamed by [`LunaNode::image_retrieve`](crate::server::lunanode::LunaNode::image_retrieve).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Done;
use crate::server::lunanode::decode;

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImageList {
    /// Without it, images of every region (CONFIRMED).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Images {
    /// Row by row: an entry without an id is left out (logged once), the rest kept.
    #[serde(default, deserialize_with = "decode::rows")]
    pub images: Vec<ImageSummary>,
}

/// One `image/list` entry (CONFIRMED fields). Public images are told apart only by their
/// name's ` (template)` / ` (ISO)` suffix (INFERRED: no explicit flag).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ImageSummary {
    #[serde(deserialize_with = "decode::id")]
    pub image_id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub region: String,
    /// `active`, `queued`, `saving`, `killed`, `error` (CONFIRMED); see [`image_state`].
    #[serde(default, deserialize_with = "decode::text")]
    pub status: String,
    /// Bytes; seen in some clients' list structs only (INFERRED, often absent; `None` also
    /// when not a number).
    #[serde(default, deserialize_with = "decode::lenient_num")]
    pub size: Option<u64>,
}

impl ImageSummary {
    /// A Luna Node template or ISO rather than one of the account's own images.
    pub fn is_public(&self) -> bool {
        self.name.ends_with(" (template)") || self.name.ends_with(" (ISO)")
    }

    /// Where the image is in its life (see [`image_state`]).
    pub fn state(&self) -> ImageState {
        image_state(&self.status)
    }
}

/// What an image `status` means for a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageState {
    /// `active`: usable (boot, replicate, download, volume from it).
    Active,
    /// `queued`, `saving` (CONFIRMED) or any word not known to be final (CLOUG treats every
    /// other status as pending): still changing, worth watching.
    Pending,
    /// `killed` or `error` (CONFIRMED; LOBSTER/CLOUG map both to failure): it will not
    /// become active; delete it and try again (as CS does).
    Failed,
}

/// Reads an image `status` in any case, with surrounding blanks ignored.
pub fn image_state(status: &str) -> ImageState {
    match status.trim().to_ascii_lowercase().as_str() {
        "active" => ImageState::Active,
        // `deleted`/`deactivated` are OpenStack's other final words (INFERRED upstream).
        "killed" | "error" | "deleted" | "deactivated" => ImageState::Failed,
        _ => ImageState::Pending,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageDetails {
    pub image_id: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ImageDetailsResponse {
    pub details: ImageInfo,
}

/// `image/details` (CONFIRMED sample, 2018 fields; the 2015 sample lacks `disk_format`,
/// `cache_mode`, `is_read_only`, the `hw_*` models and `time_created`). Every field may be
/// missing (`""`/`None`): a page shows "unknown" rather than failing.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ImageInfo {
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub region: String,
    /// See [`image_state`].
    #[serde(default, deserialize_with = "decode::text")]
    pub status: String,
    /// Bytes (a string upstream); `None` when missing or not a number.
    #[serde(default, deserialize_with = "decode::lenient_num")]
    pub size: Option<u64>,
    /// MD5 of the image's bytes, hex (CONFIRMED shape; OpenStack Glance's checksum).
    #[serde(default, deserialize_with = "decode::text")]
    pub checksum: String,
    /// `iso` or `qcow2` for fetched images (CONFIRMED field, DOCS 2018); kept as sent.
    #[serde(default, deserialize_with = "decode::text")]
    pub disk_format: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub cache_mode: String,
    /// `"yes"`/`"no"`; anything else reads as `false` (logged once).
    #[serde(default, deserialize_with = "decode::lenient_flag")]
    pub is_read_only: bool,
    /// `ide` or `virtio` (CONFIRMED values): the disk bus a VM booted from it gets.
    #[serde(default, deserialize_with = "decode::text")]
    pub hw_disk_bus: String,
    /// `e1000` or `virtio` (CONFIRMED values): the network card model.
    #[serde(default, deserialize_with = "decode::text")]
    pub hw_vif_model: String,
    /// `cirrus` in the samples; other values INFERRED (`vga`, `qxl`, …).
    #[serde(default, deserialize_with = "decode::text")]
    pub hw_video_model: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub libvirt_cpu_mode: String,
    /// `""` sometimes and `[]` other times (CONFIRMED); an object when set (INFERRED).
    #[serde(default, deserialize_with = "decode::lenient_map")]
    pub metadata: BTreeMap<String, Value>,
    /// `2018-12-17T00:23:09.000000` (CONFIRMED: no zone, UTC INFERRED); kept as sent.
    #[serde(default, deserialize_with = "decode::text")]
    pub time_created: String,
}

impl ImageInfo {
    /// Where the image is in its life (see [`image_state`]).
    pub fn state(&self) -> ImageState {
        image_state(&self.status)
    }

    /// Both the disk bus and the network card are virtio.
    pub fn is_virtio(&self) -> bool {
        self.hw_disk_bus.eq_ignore_ascii_case("virtio")
            && self.hw_vif_model.eq_ignore_ascii_case("virtio")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageDelete {
    pub image_id: String,
}

/// Copies an own, active image to another region (the copy gets a new id and goes
/// `queued` → `saving` → `active` there; CONFIRMED). An unknown region: `invalid region`.
#[derive(Debug, Clone, Serialize)]
pub struct ImageReplicate {
    pub image_id: String,
    pub region: String,
}

/// Downloads an image from a URL into a region (CONFIRMED parameters). The new image goes
/// `queued` → `saving` → `active`, or ends `killed` when the download fails.
#[derive(Debug, Clone, Serialize)]
pub struct ImageFetch {
    pub region: String,
    pub name: String,
    /// An HTTP, HTTPS or FTP URL (CONFIRMED).
    pub location: String,
    pub format: ImageFormat,
    /// virtio disk and network instead of ide/e1000 (CONFIRMED). Sent as `virtio=yes` only
    /// when true: whether the service reads `no` as "not set" is UNKNOWN (for `vm/create`'s
    /// `volume_virtio` the wiki says the value is ignored, only presence counts).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub virtio: bool,
}

/// The formats `image/fetch` takes (CONFIRMED: `iso` or `qcow2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Iso,
    Qcow2,
}

impl ImageFormat {
    pub const ALL: [ImageFormat; 2] = [Self::Iso, Self::Qcow2];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Iso => "iso",
            Self::Qcow2 => "qcow2",
        }
    }
}

super::text_enum!(ImageFormat);

/// The new image of `image/fetch` and `image/replicate` (`{"image_id":"3260"}`, CONFIRMED).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ImageCreated {
    /// CONFIRMED in the answer, yet a write whose envelope says `success` is done even when
    /// the id is missing: `""` then (the panel finds the new image by name).
    #[serde(default, deserialize_with = "decode::text")]
    pub image_id: String,
}

/// Renames an own image (INFERRED answer `{"success":"yes"}`; action exists since 2017).
#[derive(Debug, Clone, Serialize)]
pub struct ImageRename {
    pub image_id: String,
    pub name: String,
}

/// Downloads an own, active image's bytes; see
/// [`LunaNode::image_retrieve`](crate::server::lunanode::LunaNode::image_retrieve).
#[derive(Debug, Clone, Serialize)]
pub struct ImageRetrieve {
    pub image_id: String,
}

super::actions! {
    const IMAGE_ACTIONS;
    image_list: read "image/list", ImageList => Images;
    image_details: read "image/details", ImageDetails => ImageDetailsResponse;
    image_delete: write "image/delete", ImageDelete => Done;
    image_replicate: write "image/replicate", ImageReplicate => ImageCreated;
    image_fetch: write "image/fetch", ImageFetch => ImageCreated;
    image_rename: write "image/rename", ImageRename => Done;
}

/// `image/retrieve` answers with the image's bytes, not JSON (CONFIRMED over the legacy API;
/// whether the signed form streams too is UNKNOWN — the client accepts either), so it has its
/// own streaming method instead of an `actions!` entry.
pub const IMAGE_RETRIEVE: super::ActionInfo = super::ActionInfo {
    path: "image/retrieve",
    read: true,
    ty: "image_retrieve",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::lunanode::params;

    #[test]
    fn decodes_reference_samples() {
        let list: Images = serde_json::from_str(
            r#"{"success":"yes","images":[{"image_id":"84473","name":"Arch Linux 2017-02-23 64-bit (ISO)","region":"toronto","status":"active"},
                {"image_id":"630902","name":"Ubuntu 22.04 64-bit (template)","region":"montreal","status":"active"},
                {"image_id":"3236","name":"mysnap","region":"toronto","status":"saving"}]}"#,
        )
        .unwrap();
        assert_eq!(list.images.len(), 3);
        assert!(
            list.images[0].is_public() && list.images[1].is_public() && !list.images[2].is_public()
        );
        let details: ImageDetailsResponse = serde_json::from_str(
            r#"{"success":"yes","details":{"name":"myimage","region":"toronto","status":"active","size":"305135616",
                "checksum":"0a5352e3568bc893a9f7b65192caf1e1","disk_format":"iso","cache_mode":"writeback","is_read_only":"no",
                "hw_disk_bus":"ide","hw_vif_model":"e1000","hw_video_model":"cirrus","libvirt_cpu_mode":"host-model",
                "metadata":[],"time_created":"2018-12-17T00:23:09.000000"}}"#,
        )
        .unwrap();
        assert_eq!(details.details.size, Some(305_135_616));
        assert!(!details.details.is_read_only && details.details.metadata.is_empty());
        // The 2015 sample: metadata "" and no disk_format.
        let old: ImageDetailsResponse = serde_json::from_str(
            r#"{"success":"yes","details":{"name":"x","region":"toronto","status":"active","size":"1","checksum":"c","metadata":""}}"#,
        )
        .unwrap();
        assert_eq!(old.details.disk_format, "");
        let fetched: ImageCreated =
            serde_json::from_str(r#"{"image_id":"141119","success":"yes"}"#).unwrap();
        assert_eq!(fetched.image_id, "141119");
        let fetched: ImageCreated =
            serde_json::from_str(r#"{"image_id":3260,"success":"yes"}"#).unwrap();
        assert_eq!(fetched.image_id, "3260");
        let silent: ImageCreated = serde_json::from_str(r#"{"success":"yes"}"#).unwrap();
        assert_eq!(silent.image_id, "", "done, though the answer lacks the id");
    }

    #[test]
    fn odd_values_do_not_fail_a_list_or_details() {
        let list: Images = serde_json::from_str(
            r#"{"success":"yes","images":{"5":{"image_id":5,"name":"a","status":"active","size":"lots"},
                "6":{"name":"no id"},"7":{"image_id":"7","name":"b","status":"saving","size":1024}}}"#,
        )
        .expect("one odd image must not fail the whole image/list");
        let got: Vec<(&str, Option<u64>)> = list
            .images
            .iter()
            .map(|i| (i.image_id.as_str(), i.size))
            .collect();
        assert_eq!(got, [("5", None), ("7", Some(1024))]);
        let odd: ImageDetailsResponse = serde_json::from_str(
            r#"{"success":"yes","details":{"name":"x","status":"ACTIVE","size":"","is_read_only":"maybe",
                "hw_disk_bus":"virtio","hw_vif_model":"virtio","metadata":{"os":"linux"}}}"#,
        )
        .unwrap();
        let d = odd.details;
        assert_eq!(
            (d.size, d.is_read_only, d.state()),
            (None, false, ImageState::Active)
        );
        assert!(d.is_virtio());
        assert_eq!(d.metadata["os"], "linux");
    }

    #[test]
    fn image_states() {
        for (status, state) in [
            ("active", ImageState::Active),
            (" Active ", ImageState::Active),
            ("queued", ImageState::Pending),
            ("saving", ImageState::Pending),
            ("importing", ImageState::Pending),
            ("", ImageState::Pending),
            ("killed", ImageState::Failed),
            ("ERROR", ImageState::Failed),
        ] {
            assert_eq!(image_state(status), state, "{status:?}");
        }
    }

    #[test]
    fn fetch_parameters() {
        let mut fetch = ImageFetch {
            region: "toronto".into(),
            name: "my iso".into(),
            location: "https://example.com/a.iso".into(),
            format: ImageFormat::Iso,
            virtio: false,
        };
        let p = params(&fetch).unwrap();
        assert_eq!(p.len(), 4, "virtio is left out, never sent as no");
        assert_eq!(p["format"], "iso");
        fetch.virtio = true;
        fetch.format = "QCOW2".parse().unwrap();
        let p = params(&fetch).unwrap();
        assert_eq!(
            (p["virtio"].as_str(), p["format"].as_str()),
            ("yes", "qcow2")
        );
        assert!("vmdk".parse::<ImageFormat>().is_err());
        assert!(params(&ImageList::default()).unwrap().is_empty());
    }
}
