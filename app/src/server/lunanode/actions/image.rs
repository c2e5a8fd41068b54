//! `image/*` (reference §4).

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
    #[serde(deserialize_with = "decode::collection")]
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
    /// `active`, `queued`, `saving`, `killed`, `error` (CONFIRMED).
    #[serde(default, deserialize_with = "decode::text")]
    pub status: String,
    /// Bytes; seen in some clients' list structs only (INFERRED, often absent).
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub size: Option<u64>,
}

impl ImageSummary {
    /// A Luna Node template or ISO rather than one of the account's own images.
    pub fn is_public(&self) -> bool {
        self.name.ends_with(" (template)") || self.name.ends_with(" (ISO)")
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

/// `image/details` (CONFIRMED sample, 2018 fields).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ImageInfo {
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub region: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub status: String,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub size: Option<u64>,
    #[serde(default, deserialize_with = "decode::text")]
    pub checksum: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub disk_format: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub cache_mode: String,
    #[serde(default, deserialize_with = "decode::flag")]
    pub is_read_only: bool,
    #[serde(default, deserialize_with = "decode::text")]
    pub hw_disk_bus: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub hw_vif_model: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub hw_video_model: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub libvirt_cpu_mode: String,
    /// `""` sometimes and `[]` other times (CONFIRMED); an object when set (INFERRED).
    #[serde(default, deserialize_with = "decode::lenient_map")]
    pub metadata: BTreeMap<String, Value>,
    #[serde(default, deserialize_with = "decode::text")]
    pub time_created: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageDelete {
    pub image_id: String,
}

/// Copies an image to another region (the copy gets a new id; CONFIRMED).
#[derive(Debug, Clone, Serialize)]
pub struct ImageReplicate {
    pub image_id: String,
    pub region: String,
}

/// Downloads an image from a URL into a region.
#[derive(Debug, Clone, Serialize)]
pub struct ImageFetch {
    pub region: String,
    pub name: String,
    /// HTTP, HTTPS or FTP URL.
    pub location: String,
    /// `iso` or `qcow2`.
    pub format: String,
    /// virtio disk and network instead of ide/e1000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtio: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ImageCreated {
    #[serde(deserialize_with = "decode::id")]
    pub image_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageRename {
    pub image_id: String,
    pub name: String,
}

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
/// own method instead of an `actions!` entry.
pub const IMAGE_RETRIEVE: super::ActionInfo = super::ActionInfo {
    path: "image/retrieve",
    read: true,
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
    }

    #[test]
    fn fetch_parameters() {
        let p = params(&ImageFetch {
            region: "toronto".into(),
            name: "my iso".into(),
            location: "https://example.com/a.iso".into(),
            format: "iso".into(),
            virtio: None,
        })
        .unwrap();
        assert_eq!(p.len(), 4);
        assert!(params(&ImageList::default()).unwrap().is_empty());
    }
}
