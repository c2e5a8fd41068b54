//! The VM area against the real Luna Node dialect (issue 8): networks listed per region,
//! the list's own words for a usable volume, status words the panel does not know, and
//! writes whose answer lacks the id.

use app::server::lunanode::actions as api;
use app::server::lunanode::LunaNode;
use app::vm::CreateOptions;

use crate::both;
use crate::harness::{Db, Panel};
use crate::upstream::{cred, key, ID_A};

/// The panel's upstream, used as another tool would (not through the panel).
fn direct(panel: &Panel) -> LunaNode {
    LunaNode::new(panel.state.upstream.client.base_url(), Default::default()).unwrap()
}

async fn options(panel: &Panel, c: &reqwest::Client) -> CreateOptions {
    panel
        .call(c, "vms/create_options", &[])
        .await
        .expect("vms/create_options")
}

/// A network made in one region is offered in that region and in no other (entries of
/// `network/list` carry no region; the panel must ask region by region).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_is_offered_in_its_own_region_only() {
    let (panel, _emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let made = direct(&panel)
        .network_create(
            &cred(ID_A, 'A'),
            &api::NetworkCreate {
                region: "montreal".into(),
                name: "backend".into(),
                subnet: "192.168.30".into(),
                dns: vec!["8.8.8.8".into()],
            },
        )
        .await
        .unwrap()
        .net_id
        .expect("the emulator answers with the id");
    let o = options(&panel, &c).await;
    let offered: Vec<&str> = o
        .networks
        .iter()
        .filter(|n| n.id == made)
        .map(|n| n.region.as_str())
        .collect();
    assert_eq!(
        offered,
        ["montreal"],
        "network {made} made in montreal must be offered there and nowhere else: {:?}",
        o.networks
    );
    // Every region still offers its own default network.
    for r in &o.regions {
        assert!(
            o.networks
                .iter()
                .any(|n| n.region == r.code && n.name.starts_with("Luna Node")),
            "no default network offered in {}: {:?}",
            r.code,
            o.networks
        );
    }
    panel.stop().await;
}

/// A ready volume is offered as a boot choice although `volume/list` calls it `active`
/// (and `volume/info` `available`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_usable_volume_is_offered_for_booting() {
    let (panel, _emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let up = direct(&panel);
    let made = up
        .volume_create(
            &cred(ID_A, 'A'),
            &api::VolumeCreate {
                region: "toronto".into(),
                label: "bootable".into(),
                size: 20,
                image: Some("1000".into()),
                snapshot_id: None,
            },
        )
        .await
        .unwrap()
        .volume_id;
    let listed = up
        .volume_list(&cred(ID_A, 'A'), &api::VolumeList::default())
        .await
        .unwrap()
        .volumes;
    let word = listed
        .iter()
        .find(|v| v.id == made)
        .map(|v| v.status.clone());
    assert_eq!(
        word.as_deref(),
        Some("active"),
        "the list's word for a usable volume"
    );
    let o = options(&panel, &c).await;
    assert!(
        o.volumes
            .iter()
            .any(|v| v.id == made && v.region == "toronto"),
        "ready volume {made} (listed as active) is not offered: {:?}",
        o.volumes
    );
    panel.stop().await;
}

type Answer = serde_json::Map<String, serde_json::Value>;

/// Serves a proxy in front of the Luna Node at `upstream` that passes every call on and
/// lets `edit` change the answers to `action` (a JSON object). Returns the proxy's base.
async fn rewriting_proxy(
    upstream: String,
    action: &'static str,
    edit: impl Fn(&mut Answer) + Clone + Send + Sync + 'static,
) -> String {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, StatusCode, Uri};
    let client = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
        let (client, upstream, edit) = (client.clone(), upstream.clone(), edit.clone());
        async move {
            // `upstream` ends in `/api`, as the path the panel asks for starts with it.
            let origin = upstream.trim_end_matches("/api");
            let mut req = client.post(format!("{origin}{}", uri.path())).body(body);
            if let Some(ct) = headers.get("content-type").and_then(|v| v.to_str().ok()) {
                req = req.header("content-type", ct);
            }
            let res = req.send().await.expect("the emulator answers");
            let status = StatusCode::from_u16(res.status().as_u16()).unwrap();
            let mut text = res.text().await.unwrap();
            if uri.path().trim_end_matches('/').ends_with(action) {
                if let Ok(serde_json::Value::Object(mut answer)) = serde_json::from_str(&text) {
                    edit(&mut answer);
                    text = serde_json::Value::Object(answer).to_string();
                }
            }
            (status, [("content-type", "application/json")], text)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/api")
}

/// A panel whose Luna Node answers `action` without `field`.
async fn panel_without_id(
    db: Db,
    action: &'static str,
    field: &'static str,
) -> (Panel, lunapanel::emulator::Emulator) {
    let emulator = lunapanel::emulator::Emulator::new(crate::upstream::default_config());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = emulator.spawn(listener).unwrap();
    // A service that says `success: yes` without the id the client expects.
    let proxy = rewriting_proxy(base, action, move |a| {
        a.remove(field);
    })
    .await;
    let panel =
        Panel::start_with(db, &[("upstream_url", &proxy), ("sign_up", "open")], |_| {}).await;
    panel.state.live.set_timing(app::server::live::LiveTiming {
        fast: std::time::Duration::from_millis(150),
        slow: std::time::Duration::from_millis(400),
        ..Default::default()
    });
    (panel, emulator)
}

/// `sshkey/add` says `success: yes` without `key_id`: the key is made upstream, so the
/// panel reports success, finds the key by name and records it as the customer's.
async fn a_key_added_without_its_id_is_done_and_owned(db: Db) {
    use app::vm::SshKeyView;
    let (panel, _emu) = panel_without_id(db, "sshkey/add", "key_id").await;
    let (_admin, reseller, _) = crate::tenancy::reseller(&panel).await;
    let (customer, cid) = crate::tenancy::customer(&panel, &reseller, "c@example.com").await;
    crate::tenancy::policy(&panel, &reseller, cid, &[]).await;

    let line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnqCustomerKey c@host";
    let id: String = panel
        .call(
            &customer,
            "sshkeys/add",
            &[("name", "laptop"), ("value", line)],
        )
        .await
        .expect("sshkey/add succeeded upstream: the panel must say so");
    let mine: Vec<SshKeyView> = panel.call(&customer, "sshkeys/list", &[]).await.unwrap();
    assert!(
        mine.iter().any(|k| k.id == id && k.name == "laptop"),
        "the customer's new key {id:?} is theirs and in their list: {mine:?}"
    );

    // The reseller (the account's owner) adds one the same way.
    let line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnqResellerKey r@host";
    let rid: String = panel
        .call(
            &reseller,
            "sshkeys/add",
            &[("name", "ops"), ("value", line)],
        )
        .await
        .expect("the reseller's key is made too");
    let all: Vec<SshKeyView> = panel.call(&reseller, "sshkeys/list", &[]).await.unwrap();
    assert!(
        all.iter().any(|k| k.id == rid && k.name == "ops"),
        "{rid:?} in {all:?}"
    );
    assert!(
        all.iter().any(|k| k.id == id),
        "the reseller sees every key"
    );
    let mine: Vec<SshKeyView> = panel.call(&customer, "sshkeys/list", &[]).await.unwrap();
    assert_eq!(
        mine.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(),
        ["laptop"],
        "the reseller's key is not the customer's"
    );
    panel.stop().await;
}

both!(a_key_added_without_its_id_is_done_and_owned);

/// A VM in a state the panel has no word for is settled-but-unknown: polled slowly, not
/// fast for ever; after a user's change it is followed fast for a bounded time only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_state_is_polled_slowly() {
    use std::time::Duration;
    let emulator = lunapanel::emulator::Emulator::new(crate::upstream::default_config());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = emulator.spawn(listener).unwrap();
    // Every VM answers in words the panel does not know.
    let proxy = rewriting_proxy(base, "vm/info", |a| {
        if let Some(serde_json::Value::Object(info)) = a.get_mut("info") {
            info.insert("status_nohtml".into(), "Frobnicating".into());
            info.insert("status_raw".into(), "".into());
            info.insert("task_state".into(), "".into());
        }
    })
    .await;
    let panel = Panel::start_with(
        Db::Sqlite,
        &[("upstream_url", &proxy), ("sign_up", "open")],
        |_| {},
    )
    .await;
    panel.state.live.set_timing(app::server::live::LiveTiming {
        fast: Duration::from_millis(100),
        slow: Duration::from_secs(5),
        follow_for: Duration::from_millis(1500),
        ..Default::default()
    });
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let vm = crate::vms::make_vm_elsewhere(&panel, "odd-1", "s.1").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let s: app::vm::VmListing = panel.call(&c, "vms/list", &[]).await.unwrap();
        if let Some(row) = s.vms.iter().find(|v| v.vm_id == vm && v.status.is_some()) {
            assert_eq!(row.status.as_deref(), Some("Frobnicating"), "shown as said");
            assert!(!row.in_transition());
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never read: {s:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Settled: a 5 s rhythm, so at most a round or two in 2 s (fast would be ~20).
    let before = emulator.calls("vm/list");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let slow = emulator.calls("vm/list") - before;
    assert!(slow <= 2, "an unknown state was polled {slow} times in 2 s");
    // A user's change: followed fast for a while (1.5 s), then slow again.
    let _: () = panel
        .call(&c, "vms/power", &[("vm_id", &vm), ("op", "Reboot")])
        .await
        .unwrap();
    let before = emulator.calls("vm/list");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let followed = emulator.calls("vm/list") - before;
    assert!(
        followed >= 4,
        "after a change, only {followed} rounds in 1.2 s"
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    let before = emulator.calls("vm/list");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = emulator.calls("vm/list") - before;
    assert!(
        after <= 2,
        "still fast after the follow window: {after} in 2 s"
    );
    panel.stop().await;
}

/// `vm/create` says `success: yes` without `vm_id`: a customer's new VM is still reported,
/// found by its hostname, and theirs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vm_created_without_its_id_is_done_and_owned() {
    let (panel, _emu) = panel_without_id(Db::Sqlite, "vm/create", "vm_id").await;
    let (_admin, reseller, _) = crate::tenancy::reseller(&panel).await;
    let (customer, cid) = crate::tenancy::customer(&panel, &reseller, "c@example.com").await;
    crate::tenancy::policy(&panel, &reseller, cid, &[]).await;
    let o = options(&panel, &customer).await;
    let image = o
        .images
        .iter()
        .find(|i| i.region == "toronto" && i.public)
        .expect("a public image in toronto");
    let plan = o.plans.first().expect("a plan");
    let boot = format!("image:{}", image.image_id);
    let id: String = panel
        .call(
            &customer,
            "vms/create",
            &[
                ("vm[hostname]", "made-1"),
                ("vm[region]", "toronto"),
                ("vm[plan_id]", plan.plan_id.as_str()),
                ("vm[boot]", boot.as_str()),
            ],
        )
        .await
        .expect("vm/create succeeded upstream: the panel must say so");
    assert!(!id.is_empty(), "the new VM was found by its hostname");
    // The live list shows it at its next round (kicked by the create).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let mine: app::vm::VmListing = panel.call(&customer, "vms/list", &[]).await.unwrap();
        if mine.vms.iter().any(|v| v.vm_id == id) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the customer's new VM {id} is not theirs: {mine:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panel.stop().await;
}
