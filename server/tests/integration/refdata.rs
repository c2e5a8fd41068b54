//! Reference data kept per account (issue 14.3): plans, regions, images, networks, groups,
//! scripts and keys are read from Luna Node once per time to live, whoever asks (a reseller
//! and their customers share the account's list, each filtered as before); a change made
//! through the panel is seen at once; one made elsewhere within the time to live; a read
//! answered from memory spends no budget.

use app::model::vm::PlanView;
use app::model::vm::SshKeyView;
use reqwest::Client;

use crate::both;
use crate::harness::{Db, Panel};
use crate::tenancy::{customer, policy, reseller};
use crate::upstream::{cred, key, ID_A};

const KEY_LINE: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheReferenceCacheTest0001 me@host";

async fn keys(panel: &Panel, c: &Client) -> Vec<SshKeyView> {
    panel
        .call(c, "sshkeys/list", &[])
        .await
        .expect("sshkeys/list")
}

async fn plans(panel: &Panel, c: &Client) -> Vec<PlanView> {
    panel
        .call(c, "catalog/plans", &[])
        .await
        .expect("catalog/plans")
}

/// A key added straight at Luna Node (not through the panel), with the panel's own client
/// (its nonces stay in order).
async fn add_key_elsewhere(panel: &Panel, label: &str) {
    panel
        .state
        .upstream
        .client
        .sshkey_add(
            &cred(ID_A, 'A'),
            &app::server::lunanode::actions::SshKeyAdd {
                label: label.into(),
                sshkey: KEY_LINE.replace("0001", "0002"),
            },
        )
        .await
        .expect("sshkey/add elsewhere");
}

async fn lists_are_read_once_per_ttl_and_a_panel_change_is_seen_at_once(db: Db) {
    let (panel, emu) = Panel::with_emulator_flags(db, &[("reference_ttl_seconds", "2")], |c| {
        c.time_scale = 0.0
    })
    .await;
    let c = panel.owner("owner@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let before = emu.calls("sshkey/list");
    let first = keys(&panel, &c).await;
    for _ in 0..5 {
        assert_eq!(keys(&panel, &c).await.len(), first.len());
    }
    assert_eq!(emu.calls("sshkey/list") - before, 1, "six reads, one call");

    // A change through the panel: the next read calls again and has it.
    let id: String = panel
        .call(
            &c,
            "sshkeys/add",
            &[("name", "laptop"), ("value", KEY_LINE)],
        )
        .await
        .unwrap();
    let after_add = emu.calls("sshkey/list");
    let listed = keys(&panel, &c).await;
    assert!(listed.iter().any(|k| k.id == id), "{listed:?}");
    assert_eq!(emu.calls("sshkey/list") - after_add, 1);

    // A change made elsewhere shows within the time to live, not before it has passed.
    add_key_elsewhere(&panel, "made-elsewhere").await;
    assert!(!keys(&panel, &c)
        .await
        .iter()
        .any(|k| k.name == "made-elsewhere"));
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert!(keys(&panel, &c)
        .await
        .iter()
        .any(|k| k.name == "made-elsewhere"));
    panel.stop().await;
}

async fn a_reseller_and_customers_share_one_read_and_hits_spend_no_budget(db: Db) {
    let (panel, emu) = Panel::with_emulator_flags(
        db,
        &[
            // A customer may make 3 calls in all (no refill to speak of).
            ("upstream_customer_rate", "0.001"),
            ("upstream_customer_burst", "3"),
        ],
        |c| c.time_scale = 0.0,
    )
    .await;
    let (_admin, reseller, _) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let (cb, b) = customer(&panel, &reseller, "b@customer.example").await;
    policy(&panel, &reseller, a, &[]).await;
    policy(&panel, &reseller, b, &[]).await;
    let before = emu.calls("plan/list");
    let all = plans(&panel, &reseller).await;
    assert!(!all.is_empty());
    // Twenty reads by two customers: from memory, within their 3-call budgets.
    for _ in 0..10 {
        for c in [&ca, &cb] {
            let theirs = plans(&panel, c).await;
            assert!(theirs
                .iter()
                .all(|p| all.iter().any(|q| q.plan_id == p.plan_id)));
        }
    }
    assert_eq!(emu.calls("plan/list") - before, 1, "one read for 21 asks");
    panel.stop().await;
}

async fn zero_ttl_reads_every_time(db: Db) {
    let (panel, emu) = Panel::with_emulator_flags(db, &[("reference_ttl_seconds", "0")], |c| {
        c.time_scale = 0.0
    })
    .await;
    let c = panel.owner("owner@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let before = emu.calls("plan/list");
    for _ in 0..3 {
        plans(&panel, &c).await;
    }
    assert_eq!(emu.calls("plan/list") - before, 3);
    panel.stop().await;
}

both!(
    lists_are_read_once_per_ttl_and_a_panel_change_is_seen_at_once,
    a_reseller_and_customers_share_one_read_and_hits_spend_no_budget,
    zero_ttl_reads_every_time,
);
