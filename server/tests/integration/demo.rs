//! Demo mode: the emulator runs in process, the demo user's key is stored through the vault,
//! and the sample content appears (VMs in several states and regions, and the rest).

use std::time::{Duration, Instant};

use app::vm::VmListing;

use crate::harness::{Db, Panel};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_mode_starts_with_sample_content_behind_the_vault() {
    let panel = Panel::start_with(
        Db::Sqlite,
        &[("demo", "true"), ("demo_time_scale", "0")],
        |_| {},
    )
    .await;
    let c = panel.client();
    panel
        .sign_in(&c, lunapanel::DEMO_EMAIL, lunapanel::DEMO_PASSWORD)
        .await
        .unwrap();
    let info = panel.info(&c).await;
    assert!(info.demo && info.has_credential);
    // The key is stored sealed like any other, and it works.
    let view: app::credential::CredentialView =
        panel.call(&c, "credential/test", &[]).await.unwrap();
    assert_eq!(view.last_test_ok, Some(true));
    let deadline = Instant::now() + Duration::from_secs(20);
    let snapshot = loop {
        let s: VmListing = panel.call(&c, "vms/list", &[]).await.unwrap();
        let has = |status: &str| s.vms.iter().any(|v| v.status.as_deref() == Some(status));
        if s.vms.len() == 6 && has("Online") && has("Offline") && has("Shelved") {
            break s;
        }
        assert!(Instant::now() < deadline, "demo VMs never settled: {s:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut regions: Vec<&str> = snapshot.vms.iter().map(|v| v.region.as_str()).collect();
    regions.sort();
    regions.dedup();
    assert_eq!(regions, ["montreal", "roubaix", "toronto"]);
    let keys: Vec<app::vm::SshKeyView> = panel.call(&c, "sshkeys/list", &[]).await.unwrap();
    assert_eq!(keys.len(), 1);
    let options: app::vm::CreateOptions = panel.call(&c, "vms/create_options", &[]).await.unwrap();
    assert_eq!(options.scripts.len(), 1, "startup script");
    assert!(
        options
            .networks
            .iter()
            .any(|n| n.name.starts_with("backend")),
        "network"
    );
    assert!(
        options.security_groups.iter().any(|g| g.name == "web"),
        "security group"
    );
    assert_eq!(options.volumes.len(), 1, "volume");
    // A load balancer in front of web-1 with a floating IP, and an idle address.
    let lb = loop {
        let lbs: app::network::LbsView = panel.call(&c, "lbs/list", &[]).await.unwrap();
        match lbs.lbs.into_iter().find(|l| l.name == "web-lb") {
            Some(l) if !l.floating_ip.is_empty() => break l,
            other => assert!(Instant::now() < deadline, "no seeded balancer: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(lb.members.len(), 1, "{lb:?}");
    let ips: app::network::FloatingView = panel.call(&c, "floatingips/list", &[]).await.unwrap();
    assert!(
        ips.ips.iter().any(|f| f.attached.is_none()),
        "an idle address"
    );
    // The emulator's state file sits beside the master key, so a restart resumes it.
    assert!(panel.keydir.join("demo-emulator.json").exists());
    panel.stop().await;
}

/// Issue 8, defect 8: the demo account (published password) is never the administrator; it
/// is a reseller with a brand and two sample customers who hold some of the sample
/// resources, and "view as customer" works at once. The first real sign-up becomes the
/// administrator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_account_is_a_branded_reseller_and_never_the_admin() {
    use app::error::AppError;
    use app::tenancy::{Branding, CustomerSummary};
    use app::types::Role;
    let panel = Panel::start_with(
        Db::Sqlite,
        &[("demo", "true"), ("demo_time_scale", "0")],
        |_| {},
    )
    .await;
    let anonymous = panel.info(&panel.client()).await;
    assert!(
        anonymous.first_user,
        "no administrator yet: the next sign-up becomes it"
    );
    let c = panel.client();
    let me = panel
        .sign_in(&c, lunapanel::DEMO_EMAIL, lunapanel::DEMO_PASSWORD)
        .await
        .unwrap();
    assert_eq!(me.role, Role::Reseller, "the demo account is a reseller");
    let e = panel
        .call::<serde_json::Value>(&c, "admin/list_users", &[])
        .await
        .unwrap_err();
    assert_eq!(e, AppError::Forbidden, "the demo account is not the admin");
    // The operator's first sign-up (no invite needed) becomes the administrator.
    let operator = panel.client();
    let admin = panel
        .sign_up(&operator, "operator@example.com", None)
        .await
        .unwrap();
    assert_eq!(admin.role, Role::Admin);
    assert!(!panel.info(&panel.client()).await.first_user);
    // /customers for someone who is not a reseller explains itself; no form that would fail.
    let page = operator
        .get(format!("{}/customers", panel.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap().replace("<!>", "");
    assert!(
        html.contains("customers-not-reseller") && html.contains("This page is for resellers"),
        "{html}"
    );
    assert!(!html.contains("create-customer"), "{html}");
    // The reseller gets the console.
    let html = panel.page(&c, "/customers").await;
    assert!(
        html.contains("create-customer") && !html.contains("customers-not-reseller"),
        "{html}"
    );

    let branding: Branding = panel.call(&c, "branding/get", &[]).await.unwrap();
    assert_ne!(
        branding,
        Branding::default(),
        "the demo reseller has a brand"
    );
    // Two customers, each holding some of the sample VMs (assigned once they exist).
    let deadline = Instant::now() + Duration::from_secs(30);
    let customers = loop {
        let list: Vec<CustomerSummary> = panel.call(&c, "customers/list", &[]).await.unwrap();
        let vms = |c: &CustomerSummary| {
            c.assigned
                .iter()
                .find(|(k, _)| k == "vm")
                .map_or(0, |(_, n)| *n)
        };
        if list.len() == 2 && list.iter().all(|c| vms(c) >= 2) {
            break list;
        }
        assert!(
            Instant::now() < deadline,
            "sample customers never got their VMs: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    // The reseller keeps some VMs of their own.
    let all: VmListing = panel.call(&c, "vms/list", &[]).await.unwrap();
    assert!(all.vms.len() > 4, "{all:?}");
    // View as the first customer: only their VMs, under the reseller's brand.
    let first = &customers[0];
    panel
        .call::<()>(
            &c,
            "customers/view_as",
            &[("customer_id", &first.id.to_string())],
        )
        .await
        .unwrap();
    let info = panel.info(&c).await;
    assert_eq!(info.user.as_ref().unwrap().id, first.id);
    assert_eq!(
        info.viewing_as_by.as_ref().map(|u| u.email.as_str()),
        Some(lunapanel::DEMO_EMAIL)
    );
    assert_eq!(info.branding.as_ref(), Some(&branding));
    let theirs: VmListing = panel.call(&c, "vms/list", &[]).await.unwrap();
    assert!(
        !theirs.vms.is_empty() && theirs.vms.len() < all.vms.len(),
        "the customer sees their part only: {theirs:?}"
    );
    panel.stop().await;
}

/// Issue 8, defect 8: with demo mode turned off, start-up disables the demo account (its
/// sessions end, it cannot sign in) and says so; a demo account that an earlier version
/// made the administrator gives that place up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_off_disables_the_demo_account_at_start_up() {
    use app::error::AppError;
    use app::server::store::{NewUser, SignUpGate, Store as _};
    // An earlier version's demo: the demo account was the first account, so the admin.
    let panel = Panel::start_with(Db::Sqlite, &[("demo", "false")], |_| {}).await;
    let store = panel.state.store.clone();
    let hash = panel
        .state
        .hasher
        .hash(lunapanel::DEMO_PASSWORD)
        .await
        .unwrap();
    let old = store
        .create_user(
            NewUser {
                email: lunapanel::DEMO_EMAIL.into(),
                display_name: "Demo User".into(),
                password_hash: hash,
            },
            SignUpGate::Open,
        )
        .await
        .unwrap();
    assert_eq!(old.role, app::types::Role::Admin);
    let c = panel.client();
    panel
        .sign_in(&c, lunapanel::DEMO_EMAIL, lunapanel::DEMO_PASSWORD)
        .await
        .unwrap();
    // The panel starts again with demo off (a second instance on the same database).
    let config = lunapanel::config::load(
        None,
        Vec::new(),
        &[
            ("database_url", panel.db.url.clone()),
            ("demo", "false".into()),
            (
                "master_key_file",
                panel.keydir.join("master.key").display().to_string(),
            ),
        ],
    )
    .unwrap();
    let prepared = lunapanel::prepare(config).await.unwrap();
    let notes = prepared.notes.join("\n");
    assert!(
        notes.contains("demo account") && notes.contains("disabled"),
        "start-up says so: {notes}"
    );
    let demo = store
        .user_by_email(lunapanel::DEMO_EMAIL)
        .await
        .unwrap()
        .unwrap();
    assert!(demo.disabled);
    assert_ne!(demo.role, app::types::Role::Admin, "no longer the admin");
    assert!(panel.info(&c).await.user.is_none(), "its session has ended");
    let e = panel
        .sign_in(
            &panel.client(),
            lunapanel::DEMO_EMAIL,
            lunapanel::DEMO_PASSWORD,
        )
        .await
        .unwrap_err();
    assert_eq!(e, AppError::InvalidCredentials);
    // The administrator's place is free again: the next sign-up takes it.
    let admin = panel.admin().await;
    assert!(panel.info(&admin).await.user.unwrap().is_admin());
    prepared.store.close().await;
    panel.stop().await;
}
