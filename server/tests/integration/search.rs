//! The command palette's index: every kind the viewer may see, with where it opens; a VM
//! found by its address; a customer's index holds only what is theirs.

use app::search::{best, SearchIndex};
use reqwest::Client;

use crate::both;
use crate::harness::{Db, Panel};
use crate::tenancy::{assign, customer, policy, reseller};

async fn index(panel: &Panel, c: &Client) -> SearchIndex {
    panel
        .call(c, "search/index", &[])
        .await
        .expect("search/index")
}

async fn make_vm(panel: &Panel, c: &Client, hostname: &str) -> String {
    let form = [
        ("vm[hostname]", hostname),
        ("vm[region]", "toronto"),
        ("vm[plan_id]", "m.2"),
        ("vm[boot]", "image:1000"),
    ];
    panel
        .call(c, "vms/create", &form)
        .await
        .expect("vms/create")
}

async fn finds_every_kind_by_name_id_and_address_within_scope(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, _) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    policy(&panel, &reseller, a, &[]).await;
    let web = make_vm(&panel, &reseller, "r-web").await;
    let theirs = make_vm(&panel, &reseller, "a-web").await;
    assign(&panel, &reseller, a, "vm", &theirs).await;
    let _: String = panel
        .call(
            &reseller,
            "zones/create",
            &[
                ("zone[name]", "example.com"),
                ("zone[ttl]", ""),
                ("zone[legacy]", "false"),
            ],
        )
        .await
        .expect("a zone");
    let script: String = panel
        .call(
            &reseller,
            "scripts/create",
            &[("name", "boot"), ("content", "#!/bin/sh")],
        )
        .await
        .unwrap();

    let r = index(&panel, &reseller).await;
    assert!(r.missing.is_empty(), "{:?}", r.missing);
    let vm = r
        .items
        .iter()
        .find(|i| i.id == web)
        .expect("the VM is indexed");
    assert_eq!(vm.href, format!("/vms/{web}"));
    let ip = vm.extra.split_whitespace().next().unwrap().to_owned();
    let hits = best(&r.items, &ip, 5);
    assert_eq!(hits[0].id, web, "found by its address");
    let zone = best(&r.items, "example.com", 1);
    assert!(zone[0].href.starts_with("/dns/zones/"), "{zone:?}");
    let s = r.items.iter().find(|i| i.id == script).expect("the script");
    assert_eq!(
        (s.kind.as_str(), s.href.clone()),
        ("Startup script", format!("/scripts/{script}"))
    );

    // The customer's index: their VM only; not the reseller's VM, zone or script.
    let c = index(&panel, &ca).await;
    let ids: Vec<&str> = c.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, [theirs.as_str()], "{c:?}");
    assert!(best(&c.items, &ip, 5).is_empty());
    panel.stop().await;
}

both!(finds_every_kind_by_name_id_and_address_within_scope);
