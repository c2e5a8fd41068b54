//! `volume/*` against the emulator: every step a page watches (creating, downloading,
//! attaching, detaching, extending; snapshots creating), every refusal, both status
//! vocabularies, and the snapshot actions.

use std::collections::BTreeMap;

use app::server::lunanode::actions::*;
use app::server::lunanode::{params, UpstreamError};

use super::{upstream, upstream_with, watch, Upstream};

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

/// The `volume/info` statuses volume `id` goes through until it is settled.
async fn steps(u: &Upstream, id: &str) -> Vec<String> {
    watch(
        || async move { info(u, id).await.status },
        |s| volume_state(s) != VolumeState::Busy,
    )
    .await
}

async fn listed(u: &Upstream, id: &str) -> VolumeSummary {
    u.client
        .volume_list(&u.a, &VolumeList::default())
        .await
        .unwrap()
        .volumes
        .into_iter()
        .find(|v| v.id == id)
        .expect("listed")
}

fn new_volume(label: &str, size: u32) -> VolumeCreate {
    VolumeCreate {
        region: "toronto".into(),
        label: label.into(),
        size,
        image: None,
        snapshot_id: None,
    }
}

async fn create(u: &Upstream, req: &VolumeCreate) -> String {
    let id = u.client.volume_create(&u.a, req).await.unwrap().volume_id;
    assert!(!id.is_empty());
    id
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

async fn online(u: &Upstream, vm_id: &str) {
    let seen = watch(
        || async move {
            u.client
                .vm_info(
                    &u.a,
                    &VmInfo {
                        vm_id: vm_id.into(),
                    },
                )
                .await
                .unwrap()
                .info
                .status_nohtml
        },
        |s| s == "Online",
    )
    .await;
    assert_eq!(seen.last().unwrap(), "Online");
}

fn attach(volume_id: &str, vm_id: &str, target: &str) -> VolumeAttach {
    VolumeAttach {
        volume_id: volume_id.into(),
        vm_id: vm_id.into(),
        target: target.into(),
        region: None,
    }
}

fn rejected(err: &UpstreamError, part: &str) -> bool {
    matches!(err, UpstreamError::Rejected(m) if m.contains(part))
}

#[tokio::test]
async fn an_empty_volume_is_creating_then_available_and_the_list_words_it_otherwise() {
    // Creating takes 0.6 s.
    let u = upstream_with(|c| c.time_scale = 0.1).await;
    let id = create(&u, &new_volume("data", 50)).await;
    let first = listed(&u, &id).await;
    assert_eq!(
        (first.status.as_str(), first.state()),
        ("pending", VolumeState::Busy),
        "the list's word while it is made"
    );
    assert_eq!(steps(&u, &id).await, ["creating", "available"]);
    let v = info(&u, &id).await;
    assert_eq!(
        (v.size, v.region.as_str(), v.attached_vm(), v.name.as_str()),
        (Some(50), "toronto", None, "data")
    );
    assert!(!v.identification.is_empty() && v.created.starts_with("20"));
    let l = listed(&u, &id).await;
    assert_eq!(
        (l.status.as_str(), l.state(), l.is_usable()),
        ("active", VolumeState::Available, true),
        "list says active where info says available"
    );
    assert_eq!(
        (l.size, l.time_created.as_str()),
        (Some(50), v.created.as_str())
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
    // Another account sees nothing of it.
    let err = u
        .client
        .volume_info(
            &u.b,
            &VolumeInfo {
                volume_id: id.clone(),
                region: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid volume".into()));
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
    assert_eq!(info(&u, &id).await.name, "pgdata");
    let err = u
        .client
        .volume_rename(
            &u.a,
            &VolumeRename {
                volume_id: id.clone(),
                name: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::Rejected("name not set".into()));
}

#[tokio::test]
async fn a_volume_from_an_image_is_downloading_before_available() {
    let u = upstream_with(|c| c.time_scale = 0.1).await;
    let from_template = VolumeCreate {
        image: Some("1000".into()),
        ..new_volume("root", 10)
    };
    let id = create(&u, &from_template).await;
    assert_eq!(
        steps(&u, &id).await,
        ["creating", "downloading", "available"]
    );
    // Smaller than the image: Cinder's refusal.
    let err = u
        .client
        .volume_create(
            &u.a,
            &VolumeCreate {
                size: 2,
                ..from_template.clone()
            },
        )
        .await
        .unwrap_err();
    assert!(rejected(&err, "is larger than volume size 2GB"), "{err:?}");
    // An image of another region, or an unknown one.
    for image in ["1100", "77"] {
        let err = u
            .client
            .volume_create(
                &u.a,
                &VolumeCreate {
                    image: Some(image.into()),
                    ..from_template.clone()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(
            err,
            UpstreamError::NotFound("invalid image".into()),
            "{image}"
        );
    }
}

#[tokio::test]
async fn a_volume_from_a_snapshot() {
    let u = upstream_with(|c| c.time_scale = 0.1).await;
    let source = create(&u, &new_volume("src", 30)).await;
    steps(&u, &source).await;
    let snap = u
        .client
        .volume_snapshot_create(
            &u.a,
            &VolumeSnapshotCreate {
                volume_id: source.clone(),
                label: "base".into(),
                region: None,
            },
        )
        .await
        .unwrap()
        .snapshot_id
        .expect("the new snapshot's id");
    let from_snapshot = VolumeCreate {
        snapshot_id: Some(snap.clone()),
        ..new_volume("copy", 30)
    };
    let err = u
        .client
        .volume_create(&u.a, &from_snapshot)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::Rejected("the snapshot is not available yet".into())
    );
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let err = u
        .client
        .volume_create(
            &u.a,
            &VolumeCreate {
                size: 20,
                ..from_snapshot.clone()
            },
        )
        .await
        .unwrap_err();
    assert!(rejected(&err, "at least the snapshot's 30 GB"), "{err:?}");
    let err = u
        .client
        .volume_create(
            &u.a,
            &VolumeCreate {
                image: Some("1000".into()),
                ..from_snapshot.clone()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::Rejected("image and snapshot_id cannot both be set".into())
    );
    let err = u
        .client
        .volume_create(
            &u.a,
            &VolumeCreate {
                region: "montreal".into(),
                ..from_snapshot.clone()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::NotFound("invalid snapshot".into()),
        "a snapshot of another region"
    );
    let id = create(&u, &from_snapshot).await;
    assert_eq!(steps(&u, &id).await, ["creating", "available"]);
    assert_eq!(info(&u, &id).await.size, Some(30));
}

#[tokio::test]
async fn sizes_and_missing_fields_are_refused() {
    let u = upstream().await;
    let base = new_volume("v", 10);
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
                size: 10_001,
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
                region: String::new(),
                ..base.clone()
            },
            "region not set",
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
        assert_eq!(err, UpstreamError::Rejected(text.into()));
    }
    // Values the typed client cannot send, as another client might.
    for (size, text) in [
        ("1.5", "invalid size (1 to 10000 GB)"),
        ("-5", "invalid size (1 to 10000 GB)"),
        ("ten", "invalid size (1 to 10000 GB)"),
        ("", "size not set"),
    ] {
        let mut p: BTreeMap<String, String> = params(&base).unwrap();
        p.insert("size".into(), size.into());
        let err = u
            .client
            .call_value(&u.a, "volume/create", &p, false)
            .await
            .unwrap_err();
        assert_eq!(err, UpstreamError::Rejected(text.into()), "{size:?}");
    }
    assert!(u
        .client
        .volume_list(&u.a, &VolumeList::default())
        .await
        .unwrap()
        .volumes
        .is_empty());
}

#[tokio::test]
async fn attach_and_detach_go_through_their_steps() {
    // VMs build in 4.5 s; volumes are made in 0.6 s; attach/detach take 0.4 s.
    let u = upstream_with(|c| c.time_scale = 0.1).await;
    let vm_id = vm(&u, "toronto", "1000").await;
    let elsewhere = vm(&u, "montreal", "1100").await;
    let id = create(&u, &new_volume("data", 20)).await;
    let err = u
        .client
        .volume_attach(&u.a, &attach(&id, &vm_id, "auto"))
        .await
        .unwrap_err();
    assert!(rejected(&err, "still being built"), "{err:?}");
    let err = u
        .client
        .volume_attach(&u.a, &attach(&id, &elsewhere, "auto"))
        .await
        .unwrap_err();
    assert!(rejected(&err, "same region"), "{err:?}");
    online(&u, &vm_id).await;
    steps(&u, &id).await;
    for target in ["/dev/sda", "/dev/vda", "vdb", ""] {
        let err = u
            .client
            .volume_attach(&u.a, &attach(&id, &vm_id, target))
            .await
            .unwrap_err();
        assert!(
            rejected(&err, "invalid target") || rejected(&err, "target not set"),
            "{target}: {err:?}"
        );
    }
    let err = u
        .client
        .volume_attach(&u.a, &attach(&id, "no-such-vm", "auto"))
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid vm".into()));

    u.client
        .volume_attach(&u.a, &attach(&id, &vm_id, "auto"))
        .await
        .unwrap();
    let first = info(&u, &id).await;
    assert_eq!(
        (first.status.as_str(), first.attached_vm()),
        ("attaching", None),
        "named only once attached"
    );
    assert_eq!(steps(&u, &id).await, ["attaching", "in-use"]);
    let v = info(&u, &id).await;
    assert_eq!(
        (v.state(), v.attached_vm()),
        (VolumeState::InUse, Some(vm_id.as_str()))
    );
    assert_eq!(listed(&u, &id).await.status, "in-use");
    let on_vm = u
        .client
        .vm_info(
            &u.a,
            &VmInfo {
                vm_id: vm_id.clone(),
            },
        )
        .await
        .unwrap()
        .info
        .volumes;
    assert_eq!(on_vm.len(), 1, "vm/info lists attached volumes");
    assert_eq!(on_vm[0].id, id);

    // Attached: not again, not extended, not deleted; a second volume cannot take its device.
    let err = u
        .client
        .volume_attach(&u.a, &attach(&id, &vm_id, "auto"))
        .await
        .unwrap_err();
    assert!(rejected(&err, "in-use, not available"), "{err:?}");
    let second = create(&u, &new_volume("logs", 5)).await;
    steps(&u, &second).await;
    let err = u
        .client
        .volume_attach(&u.a, &attach(&second, &vm_id, "/dev/vdb"))
        .await
        .unwrap_err();
    assert!(rejected(&err, "/dev/vdb is already in use"), "{err:?}");
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
    assert_eq!(
        err,
        UpstreamError::Rejected("the volume is attached to a VM; detach it first".into())
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
    assert!(rejected(&err, "must be detached"), "{err:?}");
    let wrong_region = u
        .client
        .volume_detach(
            &u.a,
            &VolumeDetach {
                volume_id: id.clone(),
                region: Some("montreal".into()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        wrong_region,
        UpstreamError::NotFound("invalid volume".into())
    );

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
    let first = info(&u, &id).await;
    assert_eq!(
        (first.status.as_str(), first.attached_vm()),
        ("detaching", Some(vm_id.as_str()))
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
        rejected(&err, "detach it first"),
        "still detaching: {err:?}"
    );
    assert_eq!(steps(&u, &id).await, ["detaching", "available"]);
    assert_eq!(info(&u, &id).await.attached_vm(), None);
    let err = u
        .client
        .volume_detach(
            &u.a,
            &VolumeDetach {
                volume_id: id.clone(),
                region: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::Rejected("the volume is not attached".into())
    );
    // The device is free again.
    u.client
        .volume_attach(&u.a, &attach(&second, &vm_id, "/dev/vdb"))
        .await
        .unwrap();
    assert_eq!(steps(&u, &second).await.last().unwrap(), "in-use");
    // Deleting the VM detaches what it had.
    u.client.vm_delete(&u.a, &VmDelete { vm_id }).await.unwrap();
    let v = info(&u, &second).await;
    assert_eq!((v.status.as_str(), v.attached_vm()), ("available", None));
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
async fn extend_grows_a_detached_volume_after_extending() {
    let u = upstream_with(|c| c.time_scale = 0.1).await;
    let id = create(&u, &new_volume("data", 20)).await;
    let extend = |size: u32| VolumeExtend {
        volume_id: id.clone(),
        size,
        region: None,
    };
    let err = u.client.volume_extend(&u.a, &extend(40)).await.unwrap_err();
    assert!(rejected(&err, "creating, not available"), "{err:?}");
    steps(&u, &id).await;
    for size in [20, 10] {
        let err = u
            .client
            .volume_extend(&u.a, &extend(size))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            UpstreamError::Rejected("the new size must be larger than 20 GB".into())
        );
    }
    let err = u
        .client
        .volume_extend(&u.a, &extend(10_001))
        .await
        .unwrap_err();
    assert!(rejected(&err, "invalid size"), "{err:?}");
    u.client.volume_extend(&u.a, &extend(40)).await.unwrap();
    let during = info(&u, &id).await;
    assert_eq!(
        (during.status.as_str(), during.size),
        ("extending", Some(20)),
        "the new size shows once done"
    );
    assert_eq!(steps(&u, &id).await, ["extending", "available"]);
    assert_eq!(info(&u, &id).await.size, Some(40));
    assert_eq!(listed(&u, &id).await.size, Some(40));
}

#[tokio::test]
async fn snapshots_are_made_listed_replicated_and_deleted() {
    // Volumes and snapshots are made in 0.6 s; image steps take 1.5 s.
    let u = &upstream_with(|c| c.time_scale = 0.1).await;
    let list = move |region: &str| {
        let req = VolumeSnapshotList {
            region: region.into(),
        };
        async move { u.client.volume_snapshot_list(&u.a, &req).await }
    };
    let snapshot_of = |volume: &str| VolumeSnapshotCreate {
        volume_id: volume.into(),
        label: "nightly".into(),
        region: None,
    };
    let err = u
        .client
        .volume_snapshot_create(&u.a, &snapshot_of("987654"))
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid volume".into()));
    let volume = create(u, &new_volume("data", 25)).await;
    let err = u
        .client
        .volume_snapshot_create(&u.a, &snapshot_of(&volume))
        .await
        .unwrap_err();
    assert!(rejected(&err, "creating"), "not while it is made: {err:?}");
    steps(u, &volume).await;
    let err = u
        .client
        .volume_snapshot_create(
            &u.a,
            &VolumeSnapshotCreate {
                label: String::new(),
                ..snapshot_of(&volume)
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::Rejected("label not set".into()));
    let snap = u
        .client
        .volume_snapshot_create(&u.a, &snapshot_of(&volume))
        .await
        .unwrap()
        .snapshot_id
        .unwrap();

    assert_eq!(
        list("").await.unwrap_err(),
        UpstreamError::Rejected("region not set".into()),
        "the service's wording"
    );
    assert_eq!(
        list("mars").await.unwrap_err(),
        UpstreamError::Rejected("invalid region".into())
    );
    assert!(list("montreal").await.unwrap().snapshots.is_empty());
    let seen = watch(
        || async move { list("toronto").await.unwrap().snapshots[0].status.clone() },
        |s| volume_state(s) != VolumeState::Busy,
    )
    .await;
    assert_eq!(seen, ["creating", "available"]);
    let s = list("toronto").await.unwrap().snapshots.remove(0);
    assert_eq!(
        (
            s.id.as_str(),
            s.name.as_str(),
            s.volume_id.as_str(),
            s.size,
            s.region.as_str()
        ),
        (
            snap.as_str(),
            "nightly",
            volume.as_str(),
            Some(25),
            "toronto"
        )
    );
    assert!(s.time_created.starts_with("20"));

    // A volume with snapshots cannot be deleted before them (Cinder's rule).
    let err = u
        .client
        .volume_delete(
            &u.a,
            &VolumeDelete {
                volume_id: volume.clone(),
                region: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        rejected(&err, "1 snapshot(s); delete them first"),
        "{err:?}"
    );

    let replicate = |dst: &str| VolumeSnapshotReplicate {
        region: "toronto".into(),
        snapshot_id: snap.clone(),
        image_name: "from-snap".into(),
        dst_region: dst.into(),
    };
    let err = u
        .client
        .volume_snapshot_replicate(&u.a, &replicate("mars"))
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::Rejected("invalid region".into()));
    let err = u
        .client
        .volume_snapshot_replicate(
            &u.a,
            &VolumeSnapshotReplicate {
                region: "montreal".into(),
                ..replicate("roubaix")
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::NotFound("invalid snapshot".into()),
        "region names the snapshot's own region"
    );
    let image = &u
        .client
        .volume_snapshot_replicate(&u.a, &replicate("montreal"))
        .await
        .unwrap()
        .image_id;
    let image_status = move || async move {
        u.client
            .image_details(
                &u.a,
                &ImageDetails {
                    image_id: image.clone(),
                },
            )
            .await
            .unwrap()
            .details
    };
    let d = image_status().await;
    assert_eq!(
        (d.name.as_str(), d.region.as_str()),
        ("from-snap", "montreal")
    );
    let seen = watch(
        || async move { image_status().await.status },
        |s| image_state(s) != ImageState::Pending,
    )
    .await;
    assert_eq!(seen, ["queued", "saving", "active"]);

    let delete = |region: &str| VolumeSnapshotDelete {
        region: region.into(),
        snapshot_id: snap.clone(),
    };
    let err = u
        .client
        .volume_snapshot_delete(&u.a, &delete("montreal"))
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid snapshot".into()));
    let err = u
        .client
        .volume_snapshot_delete(&u.b, &delete("toronto"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::NotFound("invalid snapshot".into()),
        "another account's"
    );
    u.client
        .volume_snapshot_delete(&u.a, &delete("toronto"))
        .await
        .unwrap();
    assert!(list("toronto").await.unwrap().snapshots.is_empty());
    u.client
        .volume_delete(
            &u.a,
            &VolumeDelete {
                volume_id: volume,
                region: None,
            },
        )
        .await
        .unwrap();
    // The image made from the snapshot stays.
    assert_eq!(image_status().await.status, "active");
}

#[tokio::test]
async fn a_snapshot_still_being_made_cannot_be_replicated_or_deleted() {
    // Volumes and snapshots are made in 1.2 s.
    let u = upstream_with(|c| c.time_scale = 0.2).await;
    let volume = create(&u, &new_volume("data", 5)).await;
    steps(&u, &volume).await;
    let snap = u
        .client
        .volume_snapshot_create(
            &u.a,
            &VolumeSnapshotCreate {
                volume_id: volume,
                label: "s".into(),
                region: None,
            },
        )
        .await
        .unwrap()
        .snapshot_id
        .unwrap();
    let err = u
        .client
        .volume_snapshot_replicate(
            &u.a,
            &VolumeSnapshotReplicate {
                region: "toronto".into(),
                snapshot_id: snap.clone(),
                image_name: "x".into(),
                dst_region: "roubaix".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::Rejected("the snapshot is not available yet".into())
    );
    let err = u
        .client
        .volume_snapshot_delete(
            &u.a,
            &VolumeSnapshotDelete {
                region: "toronto".into(),
                snapshot_id: snap,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::Rejected("the snapshot is not available yet".into())
    );
}

#[tokio::test]
async fn volume_info_checks_the_region_when_given() {
    let u = upstream().await;
    let id = create(&u, &new_volume("v", 10)).await;
    let err = u
        .client
        .volume_info(
            &u.a,
            &VolumeInfo {
                volume_id: id.clone(),
                region: Some("montreal".into()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid volume".into()));
    let v = u
        .client
        .volume_info(
            &u.a,
            &VolumeInfo {
                volume_id: id,
                region: Some("toronto".into()),
            },
        )
        .await
        .unwrap()
        .volume;
    assert_eq!(v.status, "available", "time scale 0: at once");
}
