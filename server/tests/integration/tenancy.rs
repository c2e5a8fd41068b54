//! Resellers and their customers through the panel's server functions against the emulator:
//! customers see and act only on what is assigned to them (someone else's id is *not found*
//! with no upstream call), quotas refuse before Luna Node is asked, suspension stops their
//! VMs and their hands, viewing as a customer is bannered and audited.

use std::time::{Duration, Instant};

use app::error::AppError;
use app::server::store::{AuditFilter, AuditScope};
use app::tenancy::CustomerSummary;
use app::types::PanelInfo;
use app::vm::VmListing;
use reqwest::Client;

use crate::both;
use crate::harness::{Db, Panel, PASSWORD};
use crate::upstream::{key, ID_A};
use crate::vms::make_vm_elsewhere;

/// A reseller (admin made them one) with the Luna Node key `ID_A`, and the admin.
pub(crate) async fn reseller(panel: &Panel) -> (Client, Client, i64) {
    let admin = panel.owner("admin@example.com").await;
    let reseller = panel.client();
    let me = panel
        .sign_up(&reseller, "reseller@example.com", None)
        .await
        .unwrap();
    let id = me.id.to_string();
    let _: () = panel
        .call(
            &admin,
            "admin/set_reseller",
            &[("user_id", id.as_str()), ("reseller", "true")],
        )
        .await
        .unwrap();
    panel
        .save_key(&reseller, ID_A, &key('A'), None)
        .await
        .unwrap();
    (admin, reseller, me.id)
}

/// Creates a customer of the signed-in reseller and signs them in on a new client.
pub(crate) async fn customer(panel: &Panel, reseller: &Client, email: &str) -> (Client, i64) {
    let id: i64 = panel
        .call(
            reseller,
            "customers/create",
            &[
                ("name", "A Customer"),
                ("email", email),
                ("password", PASSWORD),
            ],
        )
        .await
        .unwrap();
    let c = panel.client();
    panel.sign_in(&c, email, PASSWORD).await.unwrap();
    (c, id)
}

pub(crate) async fn assign(panel: &Panel, reseller: &Client, customer: i64, kind: &str, id: &str) {
    let customer = customer.to_string();
    let _: () = panel
        .call(
            reseller,
            "customers/assign",
            &[
                ("customer_id", customer.as_str()),
                ("kind", kind),
                ("resource_id", id),
            ],
        )
        .await
        .unwrap();
}

/// Gives `customer` every capability and these limits (`vms`, `vcpu`, … as the form names
/// them; the rest unlimited).
pub(crate) async fn policy(
    panel: &Panel,
    reseller: &Client,
    customer: i64,
    limits: &[(&str, &str)],
) {
    policy_without(panel, reseller, customer, limits, "").await;
}

/// [`policy`] with every capability but `without` turned on.
pub(crate) async fn policy_without(
    panel: &Panel,
    reseller: &Client,
    customer: i64,
    limits: &[(&str, &str)],
    without: &str,
) {
    let customer = customer.to_string();
    let mut form: Vec<(String, String)> = vec![("customer_id".into(), customer.clone())];
    for (k, v) in limits {
        form.push((format!("form[{k}]"), (*v).to_owned()));
    }
    let enabled = app::kinds::capabilities().filter(|c| c.key != without);
    for (i, c) in enabled.enumerate() {
        form.push((format!("form[enabled][{i}]"), c.key.to_owned()));
    }
    form.push(("form[show_login_details]".into(), "true".into()));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let _: () = panel
        .call(reseller, "customers/policy", &form)
        .await
        .unwrap();
}

async fn list(panel: &Panel, c: &Client) -> VmListing {
    panel.call(c, "vms/list", &[]).await.expect("vms/list")
}

/// Waits until `c`'s list satisfies `ok`.
async fn wait_list(panel: &Panel, c: &Client, ok: impl Fn(&VmListing) -> bool) -> VmListing {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = list(panel, c).await;
        if ok(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "never: {s:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn ids(s: &VmListing) -> Vec<&str> {
    let mut v: Vec<&str> = s.vms.iter().map(|v| v.vm_id.as_str()).collect();
    v.sort_unstable();
    v
}

async fn customers_see_and_touch_only_what_is_theirs(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.02).await;
    let (_admin, reseller, reseller_id) = reseller(&panel).await;
    let vm_a = make_vm_elsewhere(&panel, "vm-of-a", "87").await;
    let vm_b = make_vm_elsewhere(&panel, "vm-of-b", "87").await;
    let vm_r = make_vm_elsewhere(&panel, "vm-of-reseller", "87").await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let (cb, b) = customer(&panel, &reseller, "b@customer.example").await;
    assign(&panel, &reseller, a, "vm", &vm_a).await;
    assign(&panel, &reseller, b, "vm", &vm_b).await;
    policy(&panel, &reseller, a, &[("vms", "2")]).await;

    // Lists hold only what is theirs; the reseller sees everything.
    let all = wait_list(&panel, &reseller, |s| s.vms.len() == 3).await;
    assert!(ids(&all).contains(&vm_r.as_str()));
    assert_eq!(ids(&list(&panel, &ca).await), [vm_a.as_str()]);
    assert_eq!(ids(&list(&panel, &cb).await), [vm_b.as_str()]);

    // Someone else's VM is not found, and nothing reaches Luna Node.
    for (name, form) in [
        ("vms/detail", vec![("vm_id", vm_b.as_str())]),
        ("vms/power", vec![("vm_id", vm_b.as_str()), ("op", "Stop")]),
        ("vms/vnc", vec![("vm_id", vm_r.as_str())]),
        (
            "vms/delete",
            vec![("vm_id", vm_r.as_str()), ("confirm", "vm-of-reseller")],
        ),
    ] {
        let before = direct_calls(&emu);
        let r: Result<serde_json::Value, AppError> = panel.call(&ca, name, &form).await;
        assert_eq!(
            r.unwrap_err(),
            AppError::NotFound("The virtual machine".into()),
            "{name}"
        );
        assert_eq!(direct_calls(&emu), before, "{name} reached Luna Node");
    }
    // So is another customer's image, used on their own VM.
    assign(&panel, &reseller, b, "image", "555").await;
    let before = direct_calls(&emu);
    let r: Result<(), AppError> = panel
        .call(
            &ca,
            "vms/reimage",
            &[
                ("vm_id", vm_a.as_str()),
                ("image_id", "555"),
                ("confirm", "vm-of-a"),
            ],
        )
        .await;
    assert_eq!(r.unwrap_err(), AppError::NotFound("The image".into()));
    assert_eq!(direct_calls(&emu), before);
    // The credential and the reseller console are not a customer's.
    let r: Result<serde_json::Value, AppError> = panel
        .call(
            &ca,
            "credential/save",
            &[("api_id", ID_A), ("api_key", &key('A'))],
        )
        .await;
    assert_eq!(r.unwrap_err(), AppError::Forbidden);
    let r: Result<Vec<CustomerSummary>, AppError> = panel.call(&ca, "customers/list", &[]).await;
    assert_eq!(r.unwrap_err(), AppError::Forbidden);
    // Their own VM works, and the account's credit is not shown to them.
    let detail: app::vm::VmDetail = panel
        .call(&ca, "vms/detail", &[("vm_id", vm_a.as_str())])
        .await
        .unwrap();
    assert_eq!(detail.hostname, "vm-of-a");
    let summary: app::vm::AccountSummary = panel.call(&ca, "overview/summary", &[]).await.unwrap();
    assert_eq!((summary.credit, summary.vms), (None, 1));
    let info: PanelInfo = panel.info(&ca).await;
    assert!(info.branding.is_some() && info.has_credential);

    // A VM they create is theirs from the first moment; past the quota, Luna Node is not
    // even asked.
    let made: String = panel
        .call(
            &ca,
            "vms/create",
            &[
                ("vm[hostname]", "made-by-a"),
                ("vm[region]", "toronto"),
                ("vm[plan_id]", "87"),
                ("vm[boot]", "image:1000"),
            ],
        )
        .await
        .unwrap();
    let mine = wait_list(&panel, &ca, |s| s.vms.len() == 2).await;
    assert_eq!(ids(&mine), {
        let mut v = vec![vm_a.as_str(), made.as_str()];
        v.sort_unstable();
        v
    });
    assert_eq!(ids(&list(&panel, &cb).await), [vm_b.as_str()]);
    let creates = emu.calls("vm/create");
    let r: Result<String, AppError> = panel
        .call(
            &ca,
            "vms/create",
            &[
                ("vm[hostname]", "one-too-many"),
                ("vm[region]", "toronto"),
                ("vm[plan_id]", "87"),
                ("vm[boot]", "image:1000"),
            ],
        )
        .await;
    match r.unwrap_err() {
        AppError::Quota(m) => assert!(m.contains("allows 2 servers"), "{m}"),
        other => panic!("expected a quota refusal, got {other:?}"),
    }
    assert_eq!(
        emu.calls("vm/create"),
        creates,
        "past the quota: no vm/create"
    );

    // Luna Node's refusals reach them without the provider's name.
    let r: Result<(), AppError> = panel
        .call(
            &ca,
            "vms/power",
            &[("vm_id", vm_a.as_str()), ("op", "Unshelve")],
        )
        .await;
    let text = r.unwrap_err().to_string();
    assert!(
        !text.contains("Luna Node") && text.contains("refused"),
        "{text}"
    );

    // Viewing as a customer: their view, bannered, and audited as the reseller.
    let a_text = a.to_string();
    let _: () = panel
        .call(
            &reseller,
            "customers/view_as",
            &[("customer_id", a_text.as_str())],
        )
        .await
        .unwrap();
    let info: PanelInfo = panel.info(&reseller).await;
    assert_eq!(info.user.as_ref().map(|u| u.id), Some(a));
    assert_eq!(info.viewing_as_by.as_ref().map(|u| u.id), Some(reseller_id));
    wait_list(&panel, &reseller, |s| {
        s.vms.len() == 2 && s.vms.iter().all(|v| v.status.as_deref() == Some("Online"))
    })
    .await;
    let _: () = panel
        .call(
            &reseller,
            "vms/power",
            &[("vm_id", vm_a.as_str()), ("op", "Reboot")],
        )
        .await
        .unwrap();
    let _: () = panel
        .call(&reseller, "customers/view_as", &[("customer_id", "0")])
        .await
        .unwrap();
    assert_eq!(
        panel.info(&reseller).await.user.map(|u| u.id),
        Some(reseller_id)
    );
    let rows = panel
        .state
        .store
        .search_audit(
            &AuditFilter {
                action: Some("vm/reboot".into()),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let e = &rows[0].entry;
    assert_eq!(
        (e.actor_user_id, e.impersonator_user_id, e.account_user_id),
        (Some(a), Some(reseller_id), Some(reseller_id))
    );
    assert_eq!(e.target, format!("vm:{vm_a}"));

    // Suspension stops their VMs; they can still look but not act.
    wait_list(&panel, &ca, |s| {
        s.vms.len() == 2 && s.vms.iter().all(|v| v.status.as_deref() == Some("Online"))
    })
    .await;
    let stopped: usize = panel
        .call(
            &reseller,
            "customers/suspend",
            &[("customer_id", a_text.as_str()), ("suspended", "true")],
        )
        .await
        .unwrap();
    assert_eq!(stopped, 2);
    wait_list(&panel, &ca, |s| {
        s.vms.len() == 2 && s.vms.iter().all(|v| v.status.as_deref() == Some("Offline"))
    })
    .await;
    let before = direct_calls(&emu);
    let r: Result<(), AppError> = panel
        .call(
            &ca,
            "vms/power",
            &[("vm_id", vm_a.as_str()), ("op", "Start")],
        )
        .await;
    assert_eq!(r.unwrap_err(), AppError::Suspended);
    assert_eq!(direct_calls(&emu), before);

    // The reseller's audit scope holds the customers' actions and the suspension.
    let rows = panel
        .state
        .store
        .search_audit(
            &AuditFilter {
                scope: Some(AuditScope::Account(reseller_id)),
                ..Default::default()
            },
            100,
        )
        .await
        .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.entry.action.as_str()).collect();
    for want in [
        "customer/suspend",
        "vm/create",
        "customer/view_as",
        "customer/view_as_end",
        "customer/assign",
    ] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }

    // Deleting a customer gives their VMs back to the reseller.
    let b_text = b.to_string();
    let r: Result<(), AppError> = panel
        .call(
            &reseller,
            "customers/delete",
            &[
                ("customer_id", b_text.as_str()),
                ("confirm", "nobody@example.com"),
            ],
        )
        .await;
    assert!(r.unwrap_err().field("confirm").is_some());
    let _: () = panel
        .call(
            &reseller,
            "customers/delete",
            &[
                ("customer_id", b_text.as_str()),
                ("confirm", "b@customer.example"),
            ],
        )
        .await
        .unwrap();
    let r: Result<VmListing, AppError> = panel.call(&cb, "vms/list", &[]).await;
    assert_eq!(r.unwrap_err(), AppError::Unauthenticated);
    assert!(panel
        .state
        .store
        .assignments(reseller_id, Some(b))
        .await
        .unwrap()
        .is_empty());
    panel.stop().await;
}

both!(
    customers_see_and_touch_only_what_is_theirs,
    parallel_requests_cannot_pass_the_quota
);

/// A plain owner is not a reseller; one reseller cannot reach another's customers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reseller_console_is_for_resellers_and_their_own_customers() {
    let (panel, _emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let (admin, reseller, _) = reseller(&panel).await;
    let (_ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let owner = panel.owner("owner@example.com").await;
    let r: Result<Vec<CustomerSummary>, AppError> = panel.call(&owner, "customers/list", &[]).await;
    assert_eq!(r.unwrap_err(), AppError::Forbidden);
    // Another reseller: A is simply not found for them.
    let other = panel.owner("other@example.com").await;
    let other_id = panel.info(&other).await.user.unwrap().id.to_string();
    let _: () = panel
        .call(
            &admin,
            "admin/set_reseller",
            &[("user_id", other_id.as_str()), ("reseller", "true")],
        )
        .await
        .unwrap();
    let a_text = a.to_string();
    for name in ["customers/detail", "customers/view_as"] {
        let r: Result<serde_json::Value, AppError> = panel
            .call(&other, name, &[("customer_id", a_text.as_str())])
            .await;
        assert_eq!(
            r.unwrap_err(),
            AppError::NotFound("The customer".into()),
            "{name}"
        );
    }
    let mine: Vec<CustomerSummary> = panel.call(&reseller, "customers/list", &[]).await.unwrap();
    assert_eq!(mine.iter().map(|c| c.id).collect::<Vec<_>>(), [a]);
    // An address in use (an owner's, another reseller's) is refused without saying that an
    // account exists, and the same way whoever holds it.
    let mut answers = Vec::new();
    for email in ["owner@example.com", "other@example.com"] {
        let (status, body) = panel
            .call_raw(
                &reseller,
                "customers/create",
                &[
                    ("name", "Someone"),
                    ("email", email),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert!(!body.contains("exist"), "{body}");
        answers.push(body);
    }
    assert_eq!(answers[0], answers[1]);
    // Bad policy and branding input is reported beside the fields.
    let r: Result<(), AppError> = panel
        .call(
            &reseller,
            "branding/save",
            &[
                ("panel_name", "Luna Node Cloud"),
                ("logo_url", "javascript:alert(1)"),
                ("accent_light", "blue"),
                ("accent_dark", "#000000"),
                ("support_url", ""),
            ],
        )
        .await;
    let e = r.unwrap_err();
    for f in ["panel_name", "logo_url", "accent_light"] {
        assert!(e.field(f).is_some(), "{f}: {e:?}");
    }
    assert!(e.field("accent_dark").is_none());
    panel.stop().await;
}

/// The audit log: each role sees its part, filters narrow it, the CSV holds the same rows
/// (quoting and formula defusing: `audit::tests`), and only for someone signed in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_log_is_scoped_filtered_and_exported() {
    use app::audit::AuditPage;
    let (panel, _emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let (admin, reseller, _) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let (cb, _b) = customer(&panel, &reseller, "b@customer.example").await;
    policy(&panel, &reseller, a, &[]).await;
    // A customer's own change, one by the reseller, and an owner's elsewhere.
    let _: String = panel
        .call(
            &ca,
            "sshkeys/add",
            &[
                ("name", "laptop"),
                ("value", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnq a@b"),
            ],
        )
        .await
        .unwrap();
    let owner = panel.owner("owner@example.com").await;
    panel
        .save_key(&owner, crate::upstream::ID_B, &key('B'), None)
        .await
        .unwrap();
    let page = |c: Client, form: Vec<(&'static str, &'static str)>| {
        let panel = &panel;
        async move {
            let r: AuditPage = panel.call(&c, "audit/list", &form).await.unwrap();
            r.entries
                .into_iter()
                // Sign-in and session events are hardening.rs's.
                .filter(|e| !e.action.starts_with("auth/"))
                .map(|e| (e.actor, e.action))
                .collect::<Vec<_>>()
        }
    };
    let mine = page(ca.clone(), vec![("query[action]", "")]).await;
    assert_eq!(
        mine,
        [("a@customer.example".to_owned(), "sshkey/add".to_owned())]
    );
    assert!(page(cb.clone(), vec![("query[action]", "")])
        .await
        .is_empty());
    let resellers = page(reseller.clone(), vec![("query[action]", "")]).await;
    assert!(resellers.iter().any(|(_, a)| a == "sshkey/add"));
    assert!(resellers.iter().any(|(_, a)| a == "customer/create"));
    assert!(!resellers.iter().any(|(who, _)| who == "owner@example.com"));
    let owners = page(owner.clone(), vec![("query[action]", "")]).await;
    assert_eq!(
        owners,
        [("owner@example.com".to_owned(), "credential/save".to_owned())]
    );
    let everything = page(admin.clone(), vec![("query[action]", "")]).await;
    assert!(everything.len() > resellers.len());
    // Filters: by actor, by action prefix; a bad date is reported beside its field.
    let by_actor = page(admin.clone(), vec![("query[actor]", "A@Customer.example")]).await;
    assert_eq!(by_actor.len(), 1);
    let customers_made = page(reseller.clone(), vec![("query[action]", "customer/")]).await;
    assert!(customers_made
        .iter()
        .all(|(_, a)| a.starts_with("customer/")));
    assert!(customers_made.len() >= 3);
    let r: Result<AuditPage, AppError> = panel
        .call(&admin, "audit/list", &[("query[from]", "last week")])
        .await;
    assert!(r.unwrap_err().field("from").is_some());
    // The CSV: the same rows as the page.
    let csv = reseller
        .get(format!("{}/audit.csv?action=sshkey/", panel.base))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = csv.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 2, "{body}");
    assert!(lines[1].contains("\"a@customer.example\"") && lines[1].contains("\"sshkey/add\""));
    let anonymous = panel
        .client()
        .get(format!("{}/audit.csv", panel.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    panel.stop().await;
}

/// The ledger check: a VM deleted outside the panel shows as gone (and can be released); a
/// VM made outside the panel shows as nobody's (and can be adopted).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_check_finds_gone_and_unassigned_resources() {
    use app::server::lunanode::actions as api;
    use app::tenancy::Drift;
    let (panel, _emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, reseller_id) = reseller(&panel).await;
    let (_ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let kept = make_vm_elsewhere(&panel, "kept", "87").await;
    let doomed = make_vm_elsewhere(&panel, "doomed", "87").await;
    assign(&panel, &reseller, a, "vm", &kept).await;
    assign(&panel, &reseller, a, "vm", &doomed).await;
    assign(&panel, &reseller, a, "sshkey", "no-such-key").await;
    let upstream = app::server::lunanode::LunaNode::new(
        panel.state.upstream.client.base_url(),
        Default::default(),
    )
    .unwrap();
    upstream
        .vm_delete(
            &crate::upstream::cred(ID_A, 'A'),
            &api::VmDelete {
                vm_id: doomed.clone(),
            },
        )
        .await
        .unwrap();
    let stray = make_vm_elsewhere(&panel, "stray", "87").await;
    wait_list(&panel, &reseller, |s| {
        let ids = ids(s);
        ids.contains(&stray.as_str()) && !ids.contains(&doomed.as_str())
    })
    .await;
    let d: Drift = panel.call(&reseller, "customers/drift", &[]).await.unwrap();
    assert!(d.unchecked.is_empty(), "{d:?}");
    let gone: Vec<(&str, &str)> = d
        .gone
        .iter()
        .map(|a| (a.kind.as_str(), a.resource_id.as_str()))
        .collect();
    assert_eq!(gone, [("vm", doomed.as_str()), ("sshkey", "no-such-key")]);
    let unassigned_vms: Vec<&str> = d
        .unassigned
        .iter()
        .filter(|r| r.kind == "vm")
        .map(|r| r.resource_id.as_str())
        .collect();
    assert_eq!(unassigned_vms, [stray.as_str()]);
    // Release the gone ones, adopt the stray one: the check is clean for VMs.
    for (kind, id) in [("vm", doomed.as_str()), ("sshkey", "no-such-key")] {
        let _: () = panel
            .call(
                &reseller,
                "customers/unassign",
                &[("kind", kind), ("resource_id", id)],
            )
            .await
            .unwrap();
    }
    assign(&panel, &reseller, a, "vm", &stray).await;
    let d: Drift = panel.call(&reseller, "customers/drift", &[]).await.unwrap();
    assert!(d.gone.is_empty());
    assert!(!d.unassigned.iter().any(|r| r.kind == "vm"));
    let theirs = panel
        .state
        .store
        .assignments(reseller_id, Some(a))
        .await
        .unwrap();
    assert_eq!(theirs.len(), 2);
    panel.stop().await;
}

/// Resizing counts against the vCPU quota with the new plan; a new floating IP against the
/// floating IP quota. Both are refused before Luna Node is asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resize_and_floating_ips_respect_the_quota() {
    let (panel, emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, _) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    policy(
        &panel,
        &reseller,
        a,
        &[("vcpu", "1"), ("floating_ips", "0")],
    )
    .await;
    let vm = make_vm_elsewhere(&panel, "small", "87").await;
    assign(&panel, &reseller, a, "vm", &vm).await;
    wait_list(&panel, &ca, |s| s.vms.len() == 1).await;
    let before = direct_calls(&emu);
    // m.4 (88) has 2 vCPUs.
    let r: Result<(), AppError> = panel
        .call(
            &ca,
            "vms/resize",
            &[("vm_id", vm.as_str()), ("plan_id", "88")],
        )
        .await;
    match r.unwrap_err() {
        AppError::Quota(m) => assert!(m.contains("2 vCPUs; you use 0 of your 1"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.calls("vm/resize"), 0);
    let r: Result<Option<String>, AppError> = panel
        .call(
            &ca,
            "vms/floating_add",
            &[("vm_id", vm.as_str()), ("ip", "")],
        )
        .await;
    assert!(matches!(r.unwrap_err(), AppError::Quota(_)));
    assert_eq!(emu.calls("vm/floatingip-add"), 0);
    assert_eq!(
        direct_calls(&emu),
        before,
        "nothing but reads of the VM and plan lists"
    );
    // The same size is fine (the VM counts once, with its new plan).
    let _: () = panel
        .call(
            &ca,
            "vms/resize",
            &[("vm_id", vm.as_str()), ("plan_id", "87")],
        )
        .await
        .unwrap_or_else(|e| assert!(!matches!(e, AppError::Quota(_)), "{e:?}"));
    panel.stop().await;
}

/// Quotas hold against parallel requests: six creates at once with room for two make
/// exactly two VMs at Luna Node; four new floating IPs at once with room for one make one.
async fn parallel_requests_cannot_pass_the_quota(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, _) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    policy(&panel, &reseller, a, &[("vms", "2"), ("floating_ips", "1")]).await;
    wait_list(&panel, &ca, |s| s.vms.is_empty()).await;
    let creates = (0..6).map(|i| {
        let (panel, ca) = (&panel, ca.clone());
        async move {
            let hostname = format!("parallel-{i}");
            let r: Result<String, AppError> = panel
                .call(
                    &ca,
                    "vms/create",
                    &[
                        ("vm[hostname]", hostname.as_str()),
                        ("vm[region]", "toronto"),
                        ("vm[plan_id]", "87"),
                        ("vm[boot]", "image:1000"),
                    ],
                )
                .await;
            r
        }
    });
    let results = futures::future::join_all(creates).await;
    let made: Vec<&String> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    for r in &results {
        if let Err(e) = r {
            match e {
                AppError::Quota(m) => assert!(m.contains("allows 2 servers"), "{m}"),
                other => panic!("expected a quota refusal, got {other:?}"),
            }
        }
    }
    assert_eq!(
        (made.len(), emu.calls("vm/create")),
        (2, 2),
        "6 parallel creates with a quota of 2: {results:?}"
    );
    let mine = wait_list(&panel, &ca, |s| s.vms.len() == 2).await;
    assert_eq!(mine.vms.len(), 2);

    // Floating IPs: one each for four of their VMs at once, with room for one.
    let mut vms: Vec<String> = made.iter().map(|s| (*s).clone()).collect();
    for i in 0..2 {
        let vm = make_vm_elsewhere(&panel, &format!("given-{i}"), "87").await;
        assign(&panel, &reseller, a, "vm", &vm).await;
        vms.push(vm);
    }
    // Their VMs come with an address; give those back so that each VM can take one.
    for vm in &vms {
        let _: () = panel
            .call(
                &reseller,
                "vms/floating_delete",
                &[("vm_id", vm.as_str()), ("keep", "false")],
            )
            .await
            .unwrap();
    }
    let adds = vms.iter().map(|vm| {
        let (panel, ca) = (&panel, ca.clone());
        async move {
            let r: Result<Option<String>, AppError> = panel
                .call(
                    &ca,
                    "vms/floating_add",
                    &[("vm_id", vm.as_str()), ("ip", "")],
                )
                .await;
            r
        }
    });
    let results = futures::future::join_all(adds).await;
    let attached = results.iter().filter(|r| r.is_ok()).count();
    for r in &results {
        if let Err(e) = r {
            assert!(matches!(e, AppError::Quota(_)), "{e:?}");
        }
    }
    assert_eq!(
        (attached, emu.calls("vm/floatingip-add")),
        (1, 1),
        "4 parallel floating IPs with a quota of 1: {results:?}"
    );
    panel.stop().await;
}

/// Calls to the emulator other than the live poller's reads (it polls on its own clock,
/// faster for a while after a change): what a request itself sent.
fn direct_calls(emu: &lunapanel::emulator::Emulator) -> u64 {
    emu.calls_except(&["vm/list", "vm/info", "plan/list"])
}
