//! `volume/*` against the emulator.

use std::time::Duration;

use app::server::lunanode::actions::*;
use app::server::lunanode::UpstreamError;

use super::{upstream, upstream_with, Upstream};

async fn info(u: &Upstream, id: &str) -> VolumeDetails {
    u.client
        .volume_info(
            &u.a,
            &VolumeInfo {
                volume_id: id.into(),
                region: None,
            },
        )
        .await
        .unwrap()
        .volume
}

async fn vm(u: &Upstream, region: &str, image: &str) -> String {
    u.client
        .vm_create(
            &u.a,
            &VmCreate {
                hostname: "db1".into(),
                plan_id: "m.4".into(),
                image_id: Some(image.into()),
                region: Some(region.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .vm_id
}

#[tokio::test]
async fn volume_lifecycle_attach_extend_snapshot() {
    let u = upstream_with(|c| c.time_scale = 0.05).await;
    let created = u
        .client
        .volume_create(
            &u.a,
            &VolumeCreate {
                region: "toronto".into(),
                label: "data".into(),
                size: 50,
                image: None,
                snapshot_id: None,
            },
        )
        .await
        .unwrap();
    let id = created.volume_id.clone();
    assert_eq!(info(&u, &id).await.status, "creating");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let v = info(&u, &id).await;
    assert_eq!(
        (
            v.status.as_str(),
            v.size,
            v.region.as_str(),
            v.attached.as_str()
        ),
        ("available", Some(50), "toronto", "")
    );
    assert!(!v.identification.is_empty());

    let vm_id = vm(&u, "toronto", "1000").await;
    u.client
        .volume_attach(
            &u.a,
            &VolumeAttach {
                volume_id: id.clone(),
                vm_id: vm_id.clone(),
                target: "auto".into(),
                region: None,
            },
        )
        .await
        .unwrap();
    let v = info(&u, &id).await;
    assert_eq!(
        (v.status.as_str(), v.attached.as_str()),
        ("in-use", vm_id.as_str())
    );
    let vm_info = u
        .client
        .vm_info(
            &u.a,
            &VmInfo {
                vm_id: vm_id.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        vm_info.info.volumes[0].id, id,
        "vm/info lists attached volumes"
    );
    let err = u
        .client
        .volume_delete(
            &u.a,
            &VolumeDelete {
                volume_id: id.clone(),
                region: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, UpstreamError::Rejected(ref m) if m.contains("detach")),
        "{err:?}"
    );
    let err = u
        .client
        .volume_extend(
            &u.a,
            &VolumeExtend {
                volume_id: id.clone(),
                size: 80,
                region: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Rejected(_)));

    u.client
        .volume_detach(
            &u.a,
            &VolumeDetach {
                volume_id: id.clone(),
                region: Some("toronto".into()),
            },
        )
        .await
        .unwrap();
    u.client
        .volume_extend(
            &u.a,
            &VolumeExtend {
                volume_id: id.clone(),
                size: 80,
                region: None,
            },
        )
        .await
        .unwrap();
    let err = u
        .client
        .volume_extend(
            &u.a,
            &VolumeExtend {
                volume_id: id.clone(),
                size: 60,
                region: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Rejected(ref m) if m.contains("larger")));
    u.client
        .volume_rename(
            &u.a,
            &VolumeRename {
                volume_id: id.clone(),
                name: "pgdata".into(),
            },
        )
        .await
        .unwrap();
    let listed = u
        .client
        .volume_list(&u.a, &VolumeList::default())
        .await
        .unwrap()
        .volumes;
    assert_eq!(
        (listed[0].name.as_str(), listed[0].size),
        ("pgdata", Some(80))
    );
    assert!(u
        .client
        .volume_list(
            &u.a,
            &VolumeList {
                region: Some("montreal".into())
            }
        )
        .await
        .unwrap()
        .volumes
        .is_empty());

    // Snapshot → new volume from it, and → image in another region.
    let snap = u
        .client
        .volume_snapshot_create(
            &u.a,
            &VolumeSnapshotCreate {
                volume_id: id.clone(),
                label: "nightly".into(),
                region: None,
            },
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let snaps = u
        .client
        .volume_snapshot_list(
            &u.a,
            &VolumeSnapshotList {
                region: "toronto".into(),
            },
        )
        .await
        .unwrap()
        .snapshots;
    assert_eq!(
        (
            snaps[0].id.as_str(),
            snaps[0].status.as_str(),
            snaps[0].size
        ),
        (snap.snapshot_id.as_deref().unwrap(), "available", Some(80))
    );
    let err = u
        .client
        .volume_create(
            &u.a,
            &VolumeCreate {
                region: "toronto".into(),
                label: "small".into(),
                size: 10,
                image: None,
                snapshot_id: snap.snapshot_id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Rejected(ref m) if m.contains("at least")));
    u.client
        .volume_create(
            &u.a,
            &VolumeCreate {
                region: "toronto".into(),
                label: "restored".into(),
                size: 80,
                image: None,
                snapshot_id: snap.snapshot_id.clone(),
            },
        )
        .await
        .unwrap();
    let replicated = u
        .client
        .volume_snapshot_replicate(
            &u.a,
            &VolumeSnapshotReplicate {
                region: "toronto".into(),
                snapshot_id: snap.snapshot_id.clone().unwrap(),
                image_name: "from-snap".into(),
                dst_region: "montreal".into(),
            },
        )
        .await
        .unwrap();
    let image = u
        .client
        .image_details(
            &u.a,
            &ImageDetails {
                image_id: replicated.image_id,
            },
        )
        .await
        .unwrap()
        .details;
    assert_eq!(
        (image.name.as_str(), image.region.as_str()),
        ("from-snap", "montreal")
    );
    u.client
        .volume_snapshot_delete(
            &u.a,
            &VolumeSnapshotDelete {
                region: "toronto".into(),
                snapshot_id: snap.snapshot_id.clone().unwrap(),
            },
        )
        .await
        .unwrap();
    assert!(u
        .client
        .volume_snapshot_list(
            &u.a,
            &VolumeSnapshotList {
                region: "toronto".into()
            }
        )
        .await
        .unwrap()
        .snapshots
        .is_empty());

    u.client
        .volume_delete(
            &u.a,
            &VolumeDelete {
                volume_id: id.clone(),
                region: None,
            },
        )
        .await
        .unwrap();
    let err = u
        .client
        .volume_info(
            &u.a,
            &VolumeInfo {
                volume_id: id,
                region: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid volume".into()));
}

#[tokio::test]
async fn volume_validation_and_isolation() {
    let u = upstream().await;
    let base = VolumeCreate {
        region: "toronto".into(),
        label: "v".into(),
        size: 10,
        image: None,
        snapshot_id: None,
    };
    for (req, text) in [
        (
            VolumeCreate {
                size: 0,
                ..base.clone()
            },
            "invalid size (1 to 10000 GB)",
        ),
        (
            VolumeCreate {
                region: "mars".into(),
                ..base.clone()
            },
            "invalid region",
        ),
        (
            VolumeCreate {
                image: Some("1000".into()),
                snapshot_id: Some("1".into()),
                ..base.clone()
            },
            "image and snapshot_id cannot both be set",
        ),
        (
            VolumeCreate {
                image: Some("1100".into()),
                ..base.clone()
            },
            "invalid image",
        ),
        (
            VolumeCreate {
                label: String::new(),
                ..base.clone()
            },
            "label not set",
        ),
    ] {
        let err = u.client.volume_create(&u.a, &req).await.unwrap_err();
        assert!(
            matches!(&err, UpstreamError::Rejected(m) | UpstreamError::NotFound(m) if m == text),
            "{text}: {err:?}"
        );
    }
    // From a template in the same region: downloading first.
    let from_image = u
        .client
        .volume_create(
            &u.a,
            &VolumeCreate {
                image: Some("1000".into()),
                ..base.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        info(&u, &from_image.volume_id).await.status,
        "available",
        "time scale 0: immediate"
    );
    let vm_montreal = vm(&u, "montreal", "1100").await;
    let err = u
        .client
        .volume_attach(
            &u.a,
            &VolumeAttach {
                volume_id: from_image.volume_id.clone(),
                vm_id: vm_montreal,
                target: "auto".into(),
                region: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, UpstreamError::Rejected(ref m) if m.contains("same region")),
        "{err:?}"
    );
    let vm_toronto = vm(&u, "toronto", "1000").await;
    let err = u
        .client
        .volume_attach(
            &u.a,
            &VolumeAttach {
                volume_id: from_image.volume_id.clone(),
                vm_id: vm_toronto,
                target: "/dev/sda".into(),
                region: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Rejected(ref m) if m.starts_with("invalid target")));
    let err = u
        .client
        .volume_info(
            &u.b,
            &VolumeInfo {
                volume_id: from_image.volume_id.clone(),
                region: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::NotFound("invalid volume".into()),
        "account b cannot see it"
    );
    let err = u
        .client
        .volume_info(
            &u.a,
            &VolumeInfo {
                volume_id: from_image.volume_id,
                region: Some("montreal".into()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::NotFound("invalid volume".into()),
        "region must match when given"
    );
    let err = u
        .client
        .volume_snapshot_list(
            &u.a,
            &VolumeSnapshotList {
                region: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::Rejected("region not set".into()),
        "the service's wording"
    );
}
