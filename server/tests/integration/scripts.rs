//! Startup scripts and the overview's costs through the panel's server functions against
//! the emulator: scripts written (checked beside the field), read back with their line
//! endings as written, edited, used for a VM (which the script's page then names) and
//! deleted with the name typed; customers confined to their scripts. Costs by area follow
//! a VM created and split per customer for a reseller.

use app::error::AppError;
use app::model::billing::Billing;
use app::script::{Format, ScriptDetail, ScriptRow};
use reqwest::Client;

use crate::both;
use crate::harness::{error_beside as field, eventually, not_found, Db, Panel};
use crate::tenancy::{assign, customer, policy, policy_without, reseller};
use crate::upstream::{key, ID_A};

async fn owner(panel: &Panel) -> Client {
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    c
}

async fn create(panel: &Panel, c: &Client, name: &str, content: &str) -> Result<String, AppError> {
    panel
        .call(c, "scripts/create", &[("name", name), ("content", content)])
        .await
}

async fn detail(panel: &Panel, c: &Client, id: &str) -> Result<ScriptDetail, AppError> {
    panel.call(c, "scripts/detail", &[("script_id", id)]).await
}

async fn list(panel: &Panel, c: &Client) -> Vec<ScriptRow> {
    panel
        .call(c, "scripts/list", &[])
        .await
        .expect("scripts/list")
}

async fn delete(panel: &Panel, c: &Client, id: &str, confirm: &str) -> Result<(), AppError> {
    panel
        .call(
            c,
            "scripts/delete",
            &[("script_id", id), ("confirm", confirm)],
        )
        .await
}

async fn billing(panel: &Panel, c: &Client) -> Billing {
    panel
        .call(c, "overview/billing", &[])
        .await
        .expect("overview/billing")
}

/// The costs once `ok` holds (the live VM list catches up with a change within seconds).
async fn until(panel: &Panel, c: &Client, ok: impl Fn(&Billing) -> bool) -> Billing {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let b = billing(panel, c).await;
        if ok(&b) {
            return b;
        }
        assert!(std::time::Instant::now() < deadline, "never: {b:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

async fn make_vm(panel: &Panel, c: &Client, hostname: &str, script: Option<&str>) -> String {
    let mut form = vec![
        ("vm[hostname]", hostname),
        ("vm[region]", "toronto"),
        ("vm[plan_id]", "m.2"),
        ("vm[boot]", "image:1000"),
    ];
    if let Some(s) = script {
        form.push(("vm[scripts][0]", s));
    }
    let id: String = panel
        .call(c, "vms/create", &form)
        .await
        .expect("vms/create");
    assert!(!id.is_empty());
    id
}

async fn scripts_are_written_used_and_deleted(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let c = owner(&panel).await;
    assert!(list(&panel, &c).await.is_empty());

    // Bad input: beside the fields, nothing sent.
    let calls = emu.total_calls();
    let e = create(&panel, &c, " ", "  \n").await.unwrap_err();
    assert!(
        e.field("name").is_some() && e.field("content").is_some(),
        "{e:?}"
    );
    let big = "#!/bin/sh\n".to_owned() + &"x".repeat(65_535);
    assert!(field(create(&panel, &c, "big", &big).await, "content").contains("65,535"));
    assert_eq!(emu.total_calls(), calls, "refused before Luna Node");

    // Written with any line endings, read back as written; non-ASCII survives signing.
    let text = "#!/bin/bash\r\necho 'café — ok'\r\napt-get -y update\n";
    let id = create(&panel, &c, "setup", text).await.unwrap();
    let d = detail(&panel, &c, &id).await.unwrap();
    assert_eq!(d.name, "setup");
    assert_eq!(
        d.content,
        "#!/bin/bash\necho 'café — ok'\napt-get -y update\n"
    );
    assert!(d.used_by.is_empty());
    let rows = list(&panel, &c).await;
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(
        (r.id.as_str(), r.format, r.lines),
        (id.as_str(), Format::Shell, 4)
    );
    // Stored with CRLF: 3 line ends of 2 bytes, "café — ok" with 2 multi-byte characters.
    assert_eq!(r.bytes, app::script::stored_bytes(&d.content));

    // Edited: both name and content replaced.
    let _: () = panel
        .call(
            &c,
            "scripts/update",
            &[
                ("script_id", &id),
                ("name", "web setup"),
                ("content", "#cloud-config\npackages: [nginx]\n"),
            ],
        )
        .await
        .unwrap();
    let d = detail(&panel, &c, &id).await.unwrap();
    assert_eq!(
        (d.name.as_str(), d.content.as_str()),
        ("web setup", "#cloud-config\npackages: [nginx]\n")
    );
    assert_eq!(list(&panel, &c).await[0].format, Format::CloudConfig);
    let e = panel
        .call::<()>(
            &c,
            "scripts/update",
            &[("script_id", &id), ("name", ""), ("content", "x")],
        )
        .await
        .unwrap_err();
    assert!(e.field("name").is_some());

    // Used for a VM: the script's page names it; a VM made without it is not named.
    let vm = make_vm(&panel, &c, "web-1", Some(&id)).await;
    let _other = make_vm(&panel, &c, "db-1", None).await;
    // Once the live list has the new VMs (the poller reads them after the creates).
    eventually("the script names the VM made with it", 20, || async {
        let used: Vec<(String, String)> = detail(&panel, &c, &id)
            .await
            .unwrap()
            .used_by
            .into_iter()
            .map(|v| (v.id, v.name))
            .collect();
        if used == [(vm.clone(), "web-1".to_owned())] {
            Ok(())
        } else {
            Err(used)
        }
    })
    .await;

    // Deleting needs the name typed; then it is gone (and the VM keeps running).
    assert!(field(delete(&panel, &c, &id, "web").await, "confirm").contains("name"));
    delete(&panel, &c, &id, "web setup").await.unwrap();
    not_found(detail(&panel, &c, &id).await);
    assert!(list(&panel, &c).await.is_empty());
    not_found(delete(&panel, &c, &id, "web setup").await);
    panel.stop().await;
}

async fn customers_only_their_scripts(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, _) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let (cb, b) = customer(&panel, &reseller, "b@customer.example").await;
    policy(&panel, &reseller, a, &[("scripts", "1")]).await;
    policy(&panel, &reseller, b, &[]).await;
    let theirs = create(&panel, &ca, "a-setup", "#!/bin/sh\necho a\n")
        .await
        .unwrap();
    // Past their quota: refused before Luna Node.
    let calls = emu.calls("script/create");
    match create(&panel, &ca, "a-more", "#!/bin/sh").await {
        Err(AppError::Quota(m)) => assert!(m.contains("1 startup scripts"), "{m}"),
        other => panic!("expected the quota, got {other:?}"),
    }
    assert_eq!(emu.calls("script/create"), calls);
    let resellers = create(&panel, &reseller, "r-setup", "#!/bin/sh\necho r\n")
        .await
        .unwrap();
    let ids = |rows: Vec<ScriptRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(list(&panel, &ca).await), std::slice::from_ref(&theirs));
    assert!(list(&panel, &cb).await.is_empty());
    assert_eq!(list(&panel, &reseller).await.len(), 2);
    for (c, id) in [(&cb, &theirs), (&ca, &resellers)] {
        let calls = emu.total_calls();
        not_found(detail(&panel, c, id).await);
        not_found(delete(&panel, c, id, "a-setup").await);
        not_found(
            panel
                .call::<()>(
                    c,
                    "scripts/update",
                    &[("script_id", id), ("name", "x"), ("content", "#!/bin/sh")],
                )
                .await,
        );
        assert_eq!(emu.total_calls(), calls, "nothing reached Luna Node");
    }
    // A VM made by customer A with their script names it; B cannot use A's script.
    let vm = make_vm(&panel, &ca, "a-web", Some(&theirs)).await;
    // Once the live list has the new VM (the poller reads it after the create).
    eventually("the script names the VM made with it", 20, || async {
        let used = detail(&panel, &ca, &theirs).await.unwrap().used_by;
        match used.first() {
            Some(u) if u.id == vm => Ok(()),
            _ => Err(used),
        }
    })
    .await;
    let r = panel
        .call::<String>(
            &cb,
            "vms/create",
            &[
                ("vm[hostname]", "b-web"),
                ("vm[region]", "toronto"),
                ("vm[plan_id]", "m.2"),
                ("vm[boot]", "image:1000"),
                ("vm[scripts][0]", theirs.as_str()),
            ],
        )
        .await;
    assert!(r.is_err(), "another customer's script: {r:?}");
    // Without the capability, writing is refused; reading stays.
    policy_without(&panel, &reseller, a, &[], "scripts").await;
    assert_eq!(
        create(&panel, &ca, "more", "#!/bin/sh").await.unwrap_err(),
        AppError::Forbidden
    );
    assert!(detail(&panel, &ca, &theirs).await.is_ok());
    panel.stop().await;
}

async fn costs_follow_the_account_and_split_per_customer(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, _) = reseller(&panel).await;
    let before = billing(&panel, &reseller).await;
    assert!(
        before.credit.is_some() && before.missing.is_empty(),
        "{before:?}"
    );
    let vms = |b: &Billing| b.areas.iter().find(|a| a.key == "vms").unwrap().clone();
    assert_eq!(vms(&before).count, 0);
    assert!(before.customers.is_empty(), "no customer has anything yet");

    let vm = make_vm(&panel, &reseller, "r-web", None).await;
    // The VM list is the live poller's: the new VM is in it once it has looked again.
    let after = until(&panel, &reseller, |b| vms(b).count == 1).await;
    let line = vms(&after);
    assert_eq!((line.count, line.detail.as_str()), (1, "1 × m.2"));
    assert!(line.hourly > 0.0 && !line.estimate);
    assert!(
        (after.monthly() - before.monthly() - line.monthly()).abs() < 1e-9,
        "{before:?} then {after:?}"
    );
    let days = after.days_left().unwrap();
    let expect = after.credit.unwrap() / (after.hourly() * 24.0);
    assert!((days - expect).abs() < 1e-6, "{days} vs {expect}");

    // Assigned to a customer: the reseller sees it on the customer's line; the customer
    // sees only theirs and no credit.
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    policy(&panel, &reseller, a, &[]).await;
    assign(&panel, &reseller, a, "vm", &vm).await;
    let _mine = make_vm(&panel, &reseller, "r-db", None).await;
    let r = until(&panel, &reseller, |b| vms(b).count == 2).await;
    assert_eq!(r.customers.len(), 2, "{:?}", r.customers);
    let theirs = r.customers.iter().find(|c| c.customer_id == a).unwrap();
    assert!((theirs.hourly() - line.hourly).abs() < 1e-9);
    let own = r.customers.iter().find(|c| c.customer_id == 0).unwrap();
    assert_eq!(own.areas.iter().find(|x| x.key == "vms").unwrap().count, 1);
    let c = billing(&panel, &ca).await;
    assert_eq!(c.credit, None);
    assert_eq!(vms(&c).count, 1);
    assert!(c.customers.is_empty() && c.since.is_none());
    panel.stop().await;
}

both!(
    scripts_are_written_used_and_deleted,
    customers_only_their_scripts,
    costs_follow_the_account_and_split_per_customer,
);
