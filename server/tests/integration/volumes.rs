//! The storage area through the panel's server functions against the emulator: volumes made,
//! watched until ready, renamed, extended, attached and detached, deleted; snapshots made,
//! replicated to another region as images, deleted; validation beside the fields; refusals
//! (attached, not larger, wrong region) before or instead of Luna Node's; customers see and
//! touch only their storage, own what they make in the same step, and are held to their
//! volume quotas (count and GB) before Luna Node is asked.

use app::error::AppError;
use app::volume::{
    SnapshotRow, SnapshotsView, VolumeCreateOptions, VolumeDetail, VolumePhase, VolumeRow,
    VolumesView,
};
use reqwest::Client;

use crate::both;
use crate::harness::{assert_pages_render, eventually, not_found, panel_vm, Db, Panel};
use crate::tenancy::{assign, customer, policy, reseller};
use crate::upstream::{key, ID_A};
use crate::vms::make_vm_elsewhere;

async fn volumes(panel: &Panel, c: &Client) -> Vec<VolumeRow> {
    let v: VolumesView = panel
        .call(c, "volumes/list", &[])
        .await
        .expect("volumes/list");
    v.volumes
}

/// Waits until `c`'s volume list satisfies `ok`.
async fn wait_volumes(
    panel: &Panel,
    c: &Client,
    what: &str,
    ok: impl Fn(&[VolumeRow]) -> bool,
) -> Vec<VolumeRow> {
    eventually(what, 20, || async {
        let v = volumes(panel, c).await;
        if ok(&v) {
            Ok(v)
        } else {
            Err(v)
        }
    })
    .await
}

/// Waits until volume `id` is in `phase`; returns its row.
async fn wait_phase(panel: &Panel, c: &Client, id: &str, phase: VolumePhase) -> VolumeRow {
    let rows = wait_volumes(panel, c, &format!("{id} {phase:?}"), |v| {
        v.iter().any(|r| r.id == id && r.phase == phase)
    })
    .await;
    rows.into_iter().find(|r| r.id == id).unwrap()
}

async fn snapshots(panel: &Panel, c: &Client) -> SnapshotsView {
    panel
        .call(c, "snapshots/list", &[])
        .await
        .expect("snapshots/list")
}

async fn wait_snapshot_ready(panel: &Panel, c: &Client, id: &str) -> SnapshotRow {
    eventually(&format!("snapshot {id} ready"), 20, || async {
        let s = snapshots(panel, c).await;
        match s.snapshots.iter().find(|s| s.id == id && s.ready()) {
            Some(row) => Ok(row.clone()),
            None => Err(s),
        }
    })
    .await
}

fn create_form<'a>(
    name: &'a str,
    region: &'a str,
    size: &'a str,
    source: &'a str,
) -> Vec<(&'static str, &'a str)> {
    vec![
        ("volume[name]", name),
        ("volume[region]", region),
        ("volume[size]", size),
        ("volume[source]", source),
    ]
}

async fn create(panel: &Panel, c: &Client, name: &str, size: &str) -> Result<String, AppError> {
    panel
        .call(c, "volumes/create", &create_form(name, "toronto", size, ""))
        .await
}

fn field(e: &AppError, name: &str) -> bool {
    e.field(name).is_some()
}

fn conflict(e: AppError, words: &str) {
    match e {
        AppError::Conflict(m) => assert!(m.contains(words), "{m}"),
        other => panic!("expected a refusal saying {words:?}, got {other:?}"),
    }
}

async fn a_volume_lives_and_dies_through_the_panel(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.1).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    assert!(volumes(&panel, &c).await.is_empty());

    // Bad input: messages beside the fields, nothing sent upstream.
    let e = panel
        .call::<String>(&c, "volumes/create", &create_form(" ", "", "0", "disk:1"))
        .await
        .unwrap_err();
    for f in ["name", "region", "size", "source"] {
        assert!(field(&e, f), "{f}: {e:?}");
    }
    let e = create(&panel, &c, "data", "2.5").await.unwrap_err();
    assert!(field(&e, "size"), "{e:?}");
    assert_eq!(emu.calls("volume/create"), 0);

    let options: VolumeCreateOptions = panel.call(&c, "volumes/create_options", &[]).await.unwrap();
    assert_eq!(options.regions.len(), 3);
    assert!(options.images.iter().any(|i| i.region == "toronto"));
    assert_eq!(options.quota, None, "an owner has no quota");

    // Made, seen changing, then ready without anything but re-reading the list.
    let id = create(&panel, &c, "data", "20").await.unwrap();
    assert!(!id.is_empty());
    let first = volumes(&panel, &c).await;
    let row = first.iter().find(|r| r.id == id).unwrap();
    assert_eq!(
        (row.name.as_str(), row.region.as_str(), row.size_gb),
        ("data", "toronto", Some(20))
    );
    assert_eq!(row.phase, VolumePhase::Changing, "{row:?}");
    let row = wait_phase(&panel, &c, &id, VolumePhase::Available).await;
    assert_eq!(row.attached, None);

    let detail: VolumeDetail = panel
        .call(&c, "volumes/detail", &[("volume_id", &id)])
        .await
        .unwrap();
    assert_eq!(detail.volume.status, "available");
    assert!(!detail.identification.is_empty());

    // Rename: checked, then done.
    let e = panel
        .call::<()>(&c, "volumes/rename", &[("volume_id", &id), ("name", "")])
        .await
        .unwrap_err();
    assert!(field(&e, "name"), "{e:?}");
    panel
        .call::<()>(&c, "volumes/rename", &[("volume_id", &id), ("name", "db")])
        .await
        .unwrap();

    // Extend: only larger.
    for size in ["20", "10", "x"] {
        let e = panel
            .call::<()>(&c, "volumes/extend", &[("volume_id", &id), ("size", size)])
            .await
            .unwrap_err();
        assert!(field(&e, "size"), "{size}: {e:?}");
    }
    assert_eq!(emu.calls("volume/extend"), 0);
    panel
        .call::<()>(&c, "volumes/extend", &[("volume_id", &id), ("size", "30")])
        .await
        .unwrap();
    wait_volumes(&panel, &c, "extended", |v| {
        v.iter().any(|r| r.id == id && r.size_gb == Some(30))
    })
    .await;

    // Attach: only to a VM in the same region, picked by id.
    let here = panel_vm(&panel, &c, "here", "toronto", "").await;
    let there = panel_vm(&panel, &c, "there", "montreal", "").await;
    // The choices come from the live VM list (no upstream call of their own): it shows new
    // VMs within a poll.
    let detail = eventually("one VM to attach to", 20, || async {
        let detail: VolumeDetail = panel
            .call(&c, "volumes/detail", &[("volume_id", &id)])
            .await
            .unwrap();
        if detail.vms.len() == 1 {
            Ok(detail)
        } else {
            Err(detail.vms)
        }
    })
    .await;
    let choices: Vec<&str> = detail.vms.iter().map(|v| v.vm_id.as_str()).collect();
    assert_eq!(choices, [here.as_str()], "only VMs of the volume's region");
    let e = panel
        .call::<()>(&c, "volumes/attach", &[("volume_id", &id), ("vm_id", "")])
        .await
        .unwrap_err();
    assert!(field(&e, "vm_id"), "{e:?}");
    let e = panel
        .call::<()>(
            &c,
            "volumes/attach",
            &[("volume_id", &id), ("vm_id", &there)],
        )
        .await
        .unwrap_err();
    assert!(
        e.field("vm_id").is_some_and(|m| m.contains("same region")),
        "{e:?}"
    );
    assert_eq!(emu.calls("volume/attach"), 0);
    // While the VM is being built Luna Node refuses (INFERRED; the emulator does): said so.
    let e = panel
        .call::<()>(
            &c,
            "volumes/attach",
            &[("volume_id", &id), ("vm_id", &here)],
        )
        .await
        .unwrap_err();
    conflict(e, "still being built");
    eventually(&format!("{here} online"), 30, || async {
        let vms: app::vm::VmListing = panel.call(&c, "vms/list", &[]).await.unwrap();
        let online = vms
            .vms
            .iter()
            .any(|v| v.vm_id == here && v.status.as_deref() == Some("Online"));
        if online {
            Ok(())
        } else {
            Err(vms.vms)
        }
    })
    .await;
    panel
        .call::<()>(
            &c,
            "volumes/attach",
            &[("volume_id", &id), ("vm_id", &here)],
        )
        .await
        .unwrap();
    let row = wait_phase(&panel, &c, &id, VolumePhase::InUse).await;
    let to = row.attached.expect("the VM it is attached to");
    assert_eq!(
        (to.vm_id.as_str(), to.name.as_str()),
        (here.as_str(), "here")
    );
    let e = panel
        .call::<()>(
            &c,
            "volumes/attach",
            &[("volume_id", &id), ("vm_id", &here)],
        )
        .await
        .unwrap_err();
    conflict(e, "already attached");

    // Attached: delete is refused before Luna Node is asked; extend is refused by Luna
    // Node, in words that say what to do.
    let e = panel
        .call::<()>(
            &c,
            "volumes/delete",
            &[("volume_id", &id), ("confirm", "db")],
        )
        .await
        .unwrap_err();
    conflict(e, "detach it first");
    assert_eq!(emu.calls("volume/delete"), 0);
    let e = panel
        .call::<()>(&c, "volumes/extend", &[("volume_id", &id), ("size", "40")])
        .await
        .unwrap_err();
    conflict(e, "Detach it");

    panel
        .call::<()>(&c, "volumes/detach", &[("volume_id", &id)])
        .await
        .unwrap();
    let row = wait_phase(&panel, &c, &id, VolumePhase::Available).await;
    assert_eq!(row.attached, None);
    let e = panel
        .call::<()>(&c, "volumes/detach", &[("volume_id", &id)])
        .await
        .unwrap_err();
    conflict(e, "not attached");

    // Delete needs the name typed exactly.
    let e = panel
        .call::<()>(
            &c,
            "volumes/delete",
            &[("volume_id", &id), ("confirm", "data")],
        )
        .await
        .unwrap_err();
    assert!(field(&e, "confirm"), "{e:?}");
    panel
        .call::<()>(
            &c,
            "volumes/delete",
            &[("volume_id", &id), ("confirm", "db")],
        )
        .await
        .unwrap();
    assert!(volumes(&panel, &c).await.is_empty());
    not_found(
        panel
            .call::<VolumeDetail>(&c, "volumes/detail", &[("volume_id", &id)])
            .await,
    );
    // Junk ids never reach Luna Node.
    let before = emu.calls("volume/info");
    not_found(
        panel
            .call::<VolumeDetail>(&c, "volumes/detail", &[("volume_id", "../../etc")])
            .await,
    );
    assert_eq!(emu.calls("volume/info"), before);

    // One settled audit row per change, naming the volume.
    let user = panel.user("a@example.com").await;
    let audit = panel
        .state
        .store
        .list_audit(Some(user.id), 100)
        .await
        .unwrap();
    let rows: Vec<(&str, &str)> = audit
        .iter()
        .rev()
        .filter(|r| r.entry.action.starts_with("volume/"))
        .map(|r| (r.entry.action.as_str(), r.entry.outcome.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("volume/create", "ok"),
            ("volume/rename", "ok"),
            ("volume/extend", "ok"),
            ("volume/attach", "failed"),
            ("volume/attach", "ok"),
            ("volume/extend", "failed"),
            ("volume/detach", "ok"),
            ("volume/delete", "ok"),
        ]
    );
    assert!(audit
        .iter()
        .any(|r| r.entry.target == format!("volume:{id}")));
    panel.stop().await;
}

async fn snapshots_are_made_replicated_and_deleted(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.1).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let id = create(&panel, &c, "source", "10").await.unwrap();
    // Luna Node's own refusal while the volume is being made, as it words it.
    let early: Result<String, AppError> = panel
        .call(
            &c,
            "snapshots/create",
            &[("volume_id", &id), ("name", "s1")],
        )
        .await;
    if let Err(e) = &early {
        assert!(matches!(e, AppError::Upstream { .. }), "{e:?}");
    }
    wait_phase(&panel, &c, &id, VolumePhase::Available).await;

    let e = panel
        .call::<String>(&c, "snapshots/create", &[("volume_id", &id), ("name", "")])
        .await
        .unwrap_err();
    assert!(field(&e, "name"), "{e:?}");
    let snap: String = match early {
        Ok(s) => s,
        Err(_) => panel
            .call(
                &c,
                "snapshots/create",
                &[("volume_id", &id), ("name", "s1")],
            )
            .await
            .unwrap(),
    };
    assert!(!snap.is_empty());
    let row = wait_snapshot_ready(&panel, &c, &snap).await;
    assert_eq!(
        (
            row.volume_id.as_str(),
            row.volume_name.as_str(),
            row.region.as_str()
        ),
        (id.as_str(), "source", "toronto")
    );
    let detail: VolumeDetail = panel
        .call(&c, "volumes/detail", &[("volume_id", &id)])
        .await
        .unwrap();
    assert_eq!(
        detail.snapshots.len(),
        1,
        "the volume page lists its snapshots"
    );

    // A new volume from it: never smaller than the snapshot.
    let from = format!("snapshot:{snap}");
    let e = panel
        .call::<String>(
            &c,
            "volumes/create",
            &create_form("copy", "toronto", "5", &from),
        )
        .await
        .unwrap_err();
    conflict(e, "at least as large");
    let copy: String = panel
        .call(
            &c,
            "volumes/create",
            &create_form("copy", "toronto", "10", &from),
        )
        .await
        .unwrap();
    wait_phase(&panel, &c, &copy, VolumePhase::Available).await;

    // Replicated to another region as an image of the account.
    let e = panel
        .call::<String>(
            &c,
            "snapshots/replicate",
            &[
                ("snapshot_id", &snap),
                ("region", "toronto"),
                ("dst_region", ""),
                ("image_name", ""),
            ],
        )
        .await
        .unwrap_err();
    assert!(field(&e, "dst_region") && field(&e, "image_name"), "{e:?}");
    assert_eq!(emu.calls("volume/snapshot-replicate"), 0);
    let image: String = panel
        .call(
            &c,
            "snapshots/replicate",
            &[
                ("snapshot_id", &snap),
                ("region", "toronto"),
                ("dst_region", "montreal"),
                ("image_name", "source-copy"),
            ],
        )
        .await
        .unwrap();
    assert!(!image.is_empty());
    let upstream = app::server::lunanode::LunaNode::new(
        panel.state.upstream.client.base_url(),
        Default::default(),
    )
    .unwrap();
    let images = upstream
        .image_list(
            &crate::upstream::cred(ID_A, 'A'),
            &app::server::lunanode::actions::ImageList {
                region: Some("montreal".into()),
            },
        )
        .await
        .unwrap();
    assert!(images
        .images
        .iter()
        .any(|i| i.image_id == image && i.name == "source-copy"));

    // Deleted.
    panel
        .call::<()>(
            &c,
            "snapshots/delete",
            &[("snapshot_id", &snap), ("region", "toronto")],
        )
        .await
        .unwrap();
    assert!(snapshots(&panel, &c).await.snapshots.is_empty());
    panel.stop().await;
}

/// A volume made on the panel is seen changing, then ready, on the live stream the pages
/// watch (`/api/live/volumes`), with no request from the page.
async fn a_new_volume_settles_on_the_live_stream(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |c| c.time_scale = 0.1).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let (task, seen) = crate::live_kinds::watch(&panel, &c, "volumes").await;
    let id = create(&panel, &c, "watched", "5").await.unwrap();
    eventually("ready on the stream", 20, || async {
        let now = crate::live_kinds::latest(&seen);
        let row = now.rows.iter().find(|r| r.id == id);
        if row.is_some_and(|r| VolumePhase::of(&r.status) == VolumePhase::Available) {
            Ok(())
        } else {
            Err(now)
        }
    })
    .await;
    let statuses: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|s| s.rows.iter().find(|r| r.id == id).map(|r| r.status.clone()))
        .collect();
    assert!(
        statuses
            .iter()
            .any(|s| VolumePhase::of(s) == VolumePhase::Changing),
        "the stream showed it being made first: {statuses:?}"
    );
    task.abort();
    panel.stop().await;
}

both!(
    a_new_volume_settles_on_the_live_stream,
    a_volume_lives_and_dies_through_the_panel,
    snapshots_are_made_replicated_and_deleted,
    customers_see_only_their_storage_within_their_quota,
);

/// Calls to the emulator other than the live pollers' list reads: what requests sent.
fn direct_calls(emu: &lunapanel::emulator::Emulator) -> u64 {
    emu.calls_except(&[
        "vm/list",
        "vm/info",
        "plan/list",
        "region/list",
        "image/list",
        "volume/list",
        "volume/snapshot-list",
        "sshkey/list",
        "network/list",
        "securitygroup/list",
        "script/list",
        "floating/list",
    ])
}

/// Volumes and snapshots made at Luna Node directly (the reseller's, unassigned).
async fn reseller_volume(panel: &Panel, name: &str) -> String {
    let upstream = app::server::lunanode::LunaNode::new(
        panel.state.upstream.client.base_url(),
        Default::default(),
    )
    .unwrap();
    upstream
        .volume_create(
            &crate::upstream::cred(ID_A, 'A'),
            &app::server::lunanode::actions::VolumeCreate {
                region: "toronto".into(),
                label: name.into(),
                size: 5,
                image: None,
                snapshot_id: None,
            },
        )
        .await
        .unwrap()
        .volume_id
}

async fn customers_see_only_their_storage_within_their_quota(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, reseller_id) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let (cb, b) = customer(&panel, &reseller, "b@customer.example").await;
    policy(
        &panel,
        &reseller,
        a,
        &[("volumes", "2"), ("volume_gb", "30")],
    )
    .await;
    policy(&panel, &reseller, b, &[]).await;
    let theirs = reseller_volume(&panel, "reseller's").await;

    // The create form tells A what is left.
    let options: VolumeCreateOptions = panel
        .call(&ca, "volumes/create_options", &[])
        .await
        .unwrap();
    let q = options.quota.expect("a customer's quota");
    assert_eq!(
        (q.volumes, q.volumes_limit, q.gb, q.gb_limit),
        (0, Some(2), 0, Some(30))
    );

    // A's volume is A's from the first moment, and nobody else's.
    let mine = create(&panel, &ca, "a-data", "20").await.unwrap();
    let ledger = panel
        .state
        .store
        .assignments(reseller_id, Some(a))
        .await
        .unwrap();
    assert!(ledger
        .iter()
        .any(|x| x.kind == "volume" && x.resource_id == mine));
    let seen: Vec<String> = volumes(&panel, &ca)
        .await
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        seen,
        std::slice::from_ref(&mine),
        "A sees only their volume"
    );
    assert!(volumes(&panel, &cb).await.is_empty(), "B sees none of it");
    assert_eq!(
        volumes(&panel, &reseller).await.len(),
        2,
        "the reseller sees all"
    );

    // Someone else's id, and the reseller's unassigned one, are not found: nothing upstream.
    let before = direct_calls(&emu);
    for (c, id) in [(&cb, &mine), (&ca, &theirs)] {
        not_found(
            panel
                .call::<VolumeDetail>(c, "volumes/detail", &[("volume_id", id)])
                .await,
        );
        not_found(
            panel
                .call::<()>(c, "volumes/rename", &[("volume_id", id), ("name", "x")])
                .await,
        );
        not_found(
            panel
                .call::<()>(c, "volumes/extend", &[("volume_id", id), ("size", "6")])
                .await,
        );
        not_found(
            panel
                .call::<()>(c, "volumes/detach", &[("volume_id", id)])
                .await,
        );
        not_found(
            panel
                .call::<()>(c, "volumes/delete", &[("volume_id", id), ("confirm", "x")])
                .await,
        );
        not_found(
            panel
                .call::<String>(c, "snapshots/create", &[("volume_id", id), ("name", "x")])
                .await,
        );
    }
    assert_eq!(
        direct_calls(&emu),
        before,
        "no upstream call for others' ids"
    );

    // Quotas: GB first (20 + 20 > 30, the limit named), then the count.
    let e = create(&panel, &ca, "too-big", "20").await.unwrap_err();
    match e {
        AppError::Quota(m) => assert!(m.contains("you use 20 of your 30 GB"), "{m}"),
        other => panic!("{other:?}"),
    }
    let second = create(&panel, &ca, "a-more", "10").await.unwrap();
    let e = create(&panel, &ca, "third", "1").await.unwrap_err();
    match e {
        AppError::Quota(m) => assert!(m.contains("allows 2 volumes and you have 2"), "{m}"),
        other => panic!("{other:?}"),
    }
    // Extending counts the volume with its new size.
    let e = panel
        .call::<()>(
            &ca,
            "volumes/extend",
            &[("volume_id", &mine), ("size", "21")],
        )
        .await
        .unwrap_err();
    match e {
        AppError::Quota(m) => assert!(
            m.contains("Extending to 21 GB") && m.contains("30 GB"),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        (emu.calls("volume/create"), emu.calls("volume/extend")),
        (3, 0),
        "the reseller's and A's two: refusals never reached Luna Node"
    );
    // Room again after a delete (the ledger forgets it).
    panel
        .call::<()>(
            &ca,
            "volumes/delete",
            &[("volume_id", &second), ("confirm", "a-more")],
        )
        .await
        .unwrap();
    panel
        .call::<()>(
            &ca,
            "volumes/extend",
            &[("volume_id", &mine), ("size", "30")],
        )
        .await
        .unwrap();

    // Attaching names a VM that must be theirs too.
    let vm_b = make_vm_elsewhere(&panel, "b-vm", "m.2").await;
    assign(&panel, &reseller, b, "vm", &vm_b).await;
    let unassigned = make_vm_elsewhere(&panel, "reseller-vm", "m.2").await;
    for vm in [&vm_b, &unassigned] {
        not_found(
            panel
                .call::<()>(
                    &ca,
                    "volumes/attach",
                    &[("volume_id", &mine), ("vm_id", vm)],
                )
                .await,
        );
    }
    assert_eq!(emu.calls("volume/attach"), 0);
    let vm_a = make_vm_elsewhere(&panel, "a-vm", "m.2").await;
    assign(&panel, &reseller, a, "vm", &vm_a).await;
    panel
        .call::<()>(
            &ca,
            "volumes/attach",
            &[("volume_id", &mine), ("vm_id", &vm_a)],
        )
        .await
        .unwrap();
    let row = wait_phase(&panel, &ca, &mine, VolumePhase::InUse).await;
    assert_eq!(row.attached.map(|t| t.vm_id), Some(vm_a.clone()));
    panel
        .call::<()>(&ca, "volumes/detach", &[("volume_id", &mine)])
        .await
        .unwrap();
    wait_phase(&panel, &ca, &mine, VolumePhase::Available).await;

    // A's snapshot and the image replicated from it are A's; B sees neither.
    let snap: String = panel
        .call(
            &ca,
            "snapshots/create",
            &[("volume_id", &mine), ("name", "a-snap")],
        )
        .await
        .unwrap();
    let listed: Vec<String> = snapshots(&panel, &ca)
        .await
        .snapshots
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed, std::slice::from_ref(&snap));
    assert!(snapshots(&panel, &cb).await.snapshots.is_empty());
    let before = direct_calls(&emu);
    not_found(
        panel
            .call::<()>(
                &cb,
                "snapshots/delete",
                &[("snapshot_id", &snap), ("region", "toronto")],
            )
            .await,
    );
    not_found(
        panel
            .call::<String>(
                &cb,
                "volumes/create",
                &create_form("steal", "toronto", "30", &format!("snapshot:{snap}")),
            )
            .await,
    );
    assert_eq!(direct_calls(&emu), before);
    let image: String = panel
        .call(
            &ca,
            "snapshots/replicate",
            &[
                ("snapshot_id", &snap),
                ("region", "toronto"),
                ("dst_region", "roubaix"),
                ("image_name", "a-image"),
            ],
        )
        .await
        .unwrap();
    let ledger = panel
        .state
        .store
        .assignments(reseller_id, Some(a))
        .await
        .unwrap();
    for (kind, id) in [("snapshot", &snap), ("image", &image)] {
        assert!(
            ledger
                .iter()
                .any(|x| x.kind == kind && &x.resource_id == id),
            "{kind} {id} is A's: {ledger:?}"
        );
    }
    panel
        .call::<()>(
            &ca,
            "snapshots/delete",
            &[("snapshot_id", &snap), ("region", "toronto")],
        )
        .await
        .unwrap();
    let ledger = panel
        .state
        .store
        .assignments(reseller_id, Some(a))
        .await
        .unwrap();
    assert!(!ledger.iter().any(|x| x.kind == "snapshot"), "released");
    panel.stop().await;
}

/// Without the storage capabilities a customer can look but not change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_changes_need_the_capability() {
    let (panel, emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, _) = reseller(&panel).await;
    // The default policy: power, console, create (servers) and SSH keys.
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let given = reseller_volume(&panel, "given").await;
    assign(&panel, &reseller, a, "volume", &given).await;
    // The reseller's page of the customer names what they hold, volumes too.
    let detail: app::tenancy::CustomerDetail = panel
        .call(
            &reseller,
            "customers/detail",
            &[("customer_id", &a.to_string())],
        )
        .await
        .unwrap();
    assert!(
        detail
            .names
            .iter()
            .any(|r| r.kind == "volume" && r.resource_id == given && r.name == "given"),
        "{:?}",
        detail.names
    );
    let seen: Vec<String> = volumes(&panel, &ca)
        .await
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        seen,
        std::slice::from_ref(&given),
        "looking is always allowed"
    );
    let r = create(&panel, &ca, "x", "1").await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
    let r: Result<String, AppError> = panel
        .call(
            &ca,
            "snapshots/create",
            &[("volume_id", &given), ("name", "s")],
        )
        .await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
    assert_eq!(
        emu.calls("volume/create") + emu.calls("volume/snapshot-create"),
        1
    );
    panel.stop().await;
}

/// Four creates at once with room for two volumes make exactly two at Luna Node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_creates_cannot_pass_the_volume_quota() {
    let (panel, emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, _) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    policy(&panel, &reseller, a, &[("volumes", "2")]).await;
    let creates = (0..4).map(|i| {
        let (panel, ca) = (&panel, ca.clone());
        async move { create(panel, &ca, &format!("p-{i}"), "1").await }
    });
    let results = futures::future::join_all(creates).await;
    for r in &results {
        if let Err(e) = r {
            assert!(matches!(e, AppError::Quota(_)), "{e:?}");
        }
    }
    let made = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!((made, emu.calls("volume/create")), (2, 2), "{results:?}");
    panel.stop().await;
}

/// Every volume page renders its content on the server (not "Loading…", not an error),
/// again and again: a detail page's later reads once cut its server render short.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn volume_pages_render_on_the_server() {
    let (panel, _emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let id = create(&panel, &c, "rendered-volume", "7").await.unwrap();
    wait_phase(&panel, &c, &id, VolumePhase::Available).await;
    let detail = format!("/volumes/{id}");
    let pages: &[(&str, &str)] = &[
        ("/volumes", "rendered-volume"),
        ("/volumes", "Snapshots"),
        ("/volumes/new", "Toronto, Canada"),
        (detail.as_str(), "7 GB"),
        (detail.as_str(), "Take snapshot"),
        (detail.as_str(), "Delete this volume"),
    ];
    assert_pages_render(&panel, &c, pages, 8).await;
    panel.stop().await;
}
