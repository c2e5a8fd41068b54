//! `image/*` against the emulator.

use std::time::Duration;

use app::server::lunanode::actions::*;
use app::server::lunanode::UpstreamError;

use super::{upstream, upstream_with};

#[tokio::test]
async fn public_images_by_region() {
    let u = upstream().await;
    let all = u
        .client
        .image_list(&u.a, &ImageList::default())
        .await
        .unwrap()
        .images;
    let regions: std::collections::BTreeSet<&str> = all.iter().map(|i| i.region.as_str()).collect();
    assert_eq!(regions.len(), 3);
    assert!(all.iter().all(|i| i.is_public() && i.status == "active"));
    let montreal = u
        .client
        .image_list(
            &u.a,
            &ImageList {
                region: Some("montreal".into()),
            },
        )
        .await
        .unwrap()
        .images;
    assert!(!montreal.is_empty() && montreal.iter().all(|i| i.region == "montreal"));
    let ubuntu = &montreal[0];
    let details = u
        .client
        .image_details(
            &u.a,
            &ImageDetails {
                image_id: ubuntu.image_id.clone(),
            },
        )
        .await
        .unwrap()
        .details;
    assert_eq!(details.name, ubuntu.name);
    assert_eq!(
        (details.status.as_str(), details.disk_format.as_str()),
        ("active", "qcow2")
    );
    assert!(details.size.unwrap() > 0 && details.metadata.is_empty());
    let err = u
        .client
        .image_list(
            &u.a,
            &ImageList {
                region: Some("mars".into()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::Rejected("invalid region".into()));
    // Public images cannot be deleted, renamed or downloaded by an account.
    let id = ubuntu.image_id.clone();
    let err = u
        .client
        .image_delete(
            &u.a,
            &ImageDelete {
                image_id: id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid image".into()));
    let err = u
        .client
        .image_details(
            &u.a,
            &ImageDetails {
                image_id: "99999999".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid image".into()));
}

async fn status(u: &super::Upstream, id: String) -> ImageInfo {
    u.client
        .image_details(&u.a, &ImageDetails { image_id: id })
        .await
        .unwrap()
        .details
}

#[tokio::test]
async fn fetch_rename_replicate_retrieve_delete() {
    let u = upstream_with(|c| c.time_scale = 0.05).await;
    let fetched = u
        .client
        .image_fetch(
            &u.a,
            &ImageFetch {
                region: "toronto".into(),
                name: "my appliance".into(),
                location: "https://example.com/appliance.qcow2".into(),
                format: "qcow2".into(),
                virtio: Some(true),
            },
        )
        .await
        .unwrap();
    let id = fetched.image_id.clone();
    let first = status(&u, id.clone()).await;
    assert_eq!(first.status, "queued");
    assert_eq!(first.hw_disk_bus, "virtio");
    // Not ready yet: no copies, no downloads.
    let err = u
        .client
        .image_retrieve(
            &u.a,
            &ImageRetrieve {
                image_id: id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Rejected(_)), "{err:?}");
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(status(&u, id.clone()).await.status, "active");

    u.client
        .image_rename(
            &u.a,
            &ImageRename {
                image_id: id.clone(),
                name: "appliance v2".into(),
            },
        )
        .await
        .unwrap();
    let own: Vec<ImageSummary> = u
        .client
        .image_list(&u.a, &ImageList::default())
        .await
        .unwrap()
        .images
        .into_iter()
        .filter(|i| !i.is_public())
        .collect();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].name, "appliance v2");

    let copy = u
        .client
        .image_replicate(
            &u.a,
            &ImageReplicate {
                image_id: id.clone(),
                region: "roubaix".into(),
            },
        )
        .await
        .unwrap();
    assert_ne!(copy.image_id, id);
    assert_eq!(status(&u, copy.image_id.clone()).await.region, "roubaix");

    let download = u
        .client
        .image_retrieve(
            &u.a,
            &ImageRetrieve {
                image_id: id.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(download.content_type, "application/octet-stream");
    assert!(download.bytes.starts_with(b"QFI"));

    // Another account sees none of it.
    assert!(u
        .client
        .image_list(&u.b, &ImageList::default())
        .await
        .unwrap()
        .images
        .iter()
        .all(|i| i.is_public()));
    let err = u
        .client
        .image_delete(
            &u.b,
            &ImageDelete {
                image_id: id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::NotFound(_)));

    u.client
        .image_delete(
            &u.a,
            &ImageDelete {
                image_id: id.clone(),
            },
        )
        .await
        .unwrap();
    let err = u
        .client
        .image_details(&u.a, &ImageDetails { image_id: id })
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::NotFound(_)));
}

#[tokio::test]
async fn fetch_validation() {
    let u = upstream().await;
    let base = ImageFetch {
        region: "toronto".into(),
        name: "x".into(),
        location: "https://example.com/x.iso".into(),
        format: "iso".into(),
        virtio: None,
    };
    for (req, text) in [
        (
            ImageFetch {
                format: "vmdk".into(),
                ..base.clone()
            },
            "invalid format (use iso or qcow2)",
        ),
        (
            ImageFetch {
                location: "file:///etc/passwd".into(),
                ..base.clone()
            },
            "invalid location (an HTTP, HTTPS or FTP URL)",
        ),
        (
            ImageFetch {
                region: "mars".into(),
                ..base.clone()
            },
            "invalid region",
        ),
        (
            ImageFetch {
                name: String::new(),
                ..base.clone()
            },
            "name not set",
        ),
    ] {
        assert_eq!(
            u.client.image_fetch(&u.a, &req).await.unwrap_err(),
            UpstreamError::Rejected(text.into())
        );
    }
}
