//! The VM area against the real Luna Node dialect (issue 8): networks listed per region
//! and the list's own words for a usable volume.

use app::server::lunanode::actions as api;
use app::server::lunanode::LunaNode;
use app::vm::CreateOptions;

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
