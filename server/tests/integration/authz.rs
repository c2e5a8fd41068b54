//! Deny by default: every registered server function is listed here with who may call it,
//! and calling it as anybody else is refused with no upstream call (the IDOR matrix). A new
//! server function without a row fails this test (SEC-6.1).

use std::collections::BTreeSet;

use crate::harness::{Db, Panel};

/// Server functions anyone may call (signed out).
const PUBLIC: &[&str] = &["panel_info", "sign_up", "sign_in", "sign_out"];
/// Server functions for administrators only.
const ADMIN: &[&str] = &[
    "admin/list_users",
    "admin/set_user_disabled",
    "admin/set_reseller",
    "admin/create_invite",
    "admin/list_invites",
    "admin/revoke_invite",
];
/// The reseller console: resellers only, on their own customers.
const RESELLER: &[&str] = &[
    "customers/list",
    "customers/create",
    "customers/invite",
    "customers/detail",
    "customers/suspend",
    "customers/delete",
    "customers/assign",
    "customers/unassign",
    "customers/policy",
    "customers/view_as",
    "customers/drift",
    "branding/get",
    "branding/save",
];
/// Server functions for any signed-in user (acting on their own account; a customer on
/// what is theirs in their reseller's account). `credential/delete` is last on purpose.
const SIGNED_IN: &[&str] = &[
    "change_password",
    "credential/get",
    "credential/save",
    "credential/test",
    "vms/list",
    "vms/detail",
    "vms/login",
    "vms/usage",
    "vms/create_options",
    "vms/create",
    "vms/power",
    "vms/delete",
    "vms/rename",
    "vms/resize",
    "vms/reimage",
    "vms/snapshot",
    "vms/vnc",
    "vms/floating_add",
    "vms/floating_delete",
    "vms/ip_add",
    "vms/ip_delete",
    "vms/security_group",
    "vms/fairshare",
    "overview/summary",
    "catalog/plans",
    "catalog/regions",
    "sshkeys/list",
    "sshkeys/add",
    "sshkeys/remove",
    "audit/list",
    "credential/delete",
];
/// Of those, never a customer's: the key, and what no capability enables.
const NEVER_CUSTOMERS: &[&str] = &[
    "credential/get",
    "credential/save",
    "credential/test",
    "credential/delete",
    "vms/fairshare",
];
/// Of those, the ones that name a VM (called with another customer's VM).
const ON_A_VM: &[&str] = &[
    "vms/detail",
    "vms/login",
    "vms/usage",
    "vms/power",
    "vms/delete",
    "vms/rename",
    "vms/resize",
    "vms/reimage",
    "vms/snapshot",
    "vms/vnc",
    "vms/floating_add",
    "vms/floating_delete",
    "vms/ip_add",
    "vms/ip_delete",
    "vms/security_group",
    "vms/fairshare",
];
/// Of those, the ones that also name something the customer does not own (an SSH key,
/// a floating IP or a security group of the arguments below).
const NAMES_ANOTHERS: &[&str] = &["sshkeys/remove", "vms/floating_add", "vms/security_group"];
/// Whose "not found" is the panel's own, with good reason no upstream call (an assignment
/// or a stored key that is not there).
const PANEL_NOT_FOUND: &[&str] = &["customers/unassign", "credential/delete"];
/// Account-level changes: a suspended customer may not make them.
const ACCOUNT_CHANGES: &[&str] = &["vms/create", "sshkeys/add"];

/// Every argument any server function takes, with a plausible value, so that a refusal is
/// the authorization's and not the argument decoder's.
const ARGS: &[(&str, &str)] = &[
    ("vm_id", "1"),
    ("user_id", "1"),
    ("id", "1"),
    ("invite_id", "1"),
    ("disabled", "true"),
    ("op", "Start"),
    ("key", "Cpu"),
    ("hostname", "x"),
    ("confirm", "x"),
    ("plan_id", "x"),
    ("image_id", "x"),
    ("name", "x"),
    ("ip", "192.0.2.1"),
    ("keep", "true"),
    ("group_id", "x"),
    ("attach", "true"),
    ("charge_for_cpu", "true"),
    ("no_lend", "true"),
    ("value", "x"),
    ("key_id", "x"),
    ("api_id", "x"),
    ("api_key", "x"),
    ("current", "x"),
    ("new_password", "x"),
    ("vm[hostname]", "x"),
    ("query[action]", ""),
    ("customer_id", "0"),
    ("suspended", "false"),
    ("kind", "x"),
    ("resource_id", "x"),
    ("reseller", "true"),
    ("email", "x"),
    ("password", "x"),
    ("form[vms]", "x"),
    ("form[vcpu]", ""),
    ("form[ram_mb]", ""),
    ("form[disk_gb]", ""),
    ("form[volumes]", ""),
    ("form[volume_gb]", ""),
    ("form[floating_ips]", ""),
    ("form[plans]", ""),
    ("form[regions]", ""),
    ("form[images]", ""),
    ("panel_name", ""),
    ("logo_url", ""),
    ("accent_light", ""),
    ("accent_dark", ""),
    ("support_url", ""),
];

fn registered() -> BTreeSet<String> {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Anonymous,
    Owner,
    AnotherOwner,
    Reseller,
    CustomerA,
    CustomerB,
    Suspended,
}

const ACTORS: [Actor; 7] = [
    Actor::Anonymous,
    Actor::Owner,
    Actor::AnotherOwner,
    Actor::Reseller,
    Actor::CustomerA,
    Actor::CustomerB,
    Actor::Suspended,
];

/// The rule: may `actor` call `name` (with customer B's VM as the VM argument)?
fn allowed(name: &str, actor: Actor) -> bool {
    use Actor::*;
    if PUBLIC.contains(&name) {
        return true;
    }
    if ADMIN.contains(&name) {
        return false; // no actor of the matrix is the admin
    }
    if RESELLER.contains(&name) {
        return actor == Reseller;
    }
    match actor {
        Anonymous => false,
        Owner | AnotherOwner | Reseller => true,
        CustomerA | CustomerB | Suspended if NEVER_CUSTOMERS.contains(&name) => false,
        _ if name == "change_password" => true,
        _ if NAMES_ANOTHERS.contains(&name) => false,
        CustomerB => true,
        CustomerA | Suspended if ON_A_VM.contains(&name) => false,
        Suspended => !ACCOUNT_CHANGES.contains(&name),
        CustomerA => true,
    }
}

/// Waits until the emulator has had no call for a while (the live pollers settled).
async fn quiet(emu: &lunapanel::emulator::Emulator) -> u64 {
    let mut last = emu.total_calls();
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let now = emu.total_calls();
        if now == last {
            return now;
        }
        last = now;
    }
}

/// The IDOR matrix (SEC-6.x): every server function × seven actors, each cell asserted:
/// allowed (the call got past authorization), or refused (401/403/404) with no upstream
/// call. A server function without a row here fails the first assertion.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idor_matrix_every_function_and_actor() {
    let listed: BTreeSet<String> = PUBLIC
        .iter()
        .chain(ADMIN)
        .chain(RESELLER)
        .chain(SIGNED_IN)
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(
        registered(),
        listed,
        "every server function needs a row here (and every row a function)"
    );
    let (panel, emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, _) = crate::tenancy::reseller(&panel).await;
    let owner = panel.owner("owner@example.com").await;
    panel
        .save_key(
            &owner,
            crate::upstream::ID_B,
            &crate::upstream::key('B'),
            None,
        )
        .await
        .unwrap();
    let another = panel.owner("another@example.com").await;
    let vm_b = crate::vms::make_vm_elsewhere(&panel, "vm-of-b", "87").await;
    let (ca, a) = crate::tenancy::customer(&panel, &reseller, "a@customer.example").await;
    let (cb, b) = crate::tenancy::customer(&panel, &reseller, "b@customer.example").await;
    let (cs, s) = crate::tenancy::customer(&panel, &reseller, "s@customer.example").await;
    let (_cd, d) = crate::tenancy::customer(&panel, &reseller, "d@customer.example").await;
    for c in [a, b, s] {
        crate::tenancy::policy(&panel, &reseller, c, &[]).await;
    }
    crate::tenancy::assign(&panel, &reseller, b, "vm", &vm_b).await;
    let s_text = s.to_string();
    let _: usize = panel
        .call(
            &reseller,
            "customers/suspend",
            &[("customer_id", s_text.as_str()), ("suspended", "true")],
        )
        .await
        .unwrap();
    // From here on, pollers only run when a change asks them to.
    panel.state.live.set_timing(app::server::live::LiveTiming {
        fast: std::time::Duration::from_secs(3600),
        slow: std::time::Duration::from_secs(3600),
        fresh_for: std::time::Duration::from_secs(3600),
        ..Default::default()
    });
    let d_text = d.to_string();
    let args: Vec<(&str, &str)> = ARGS
        .iter()
        .map(|(k, v)| match *k {
            "vm_id" => (*k, vm_b.as_str()),
            "customer_id" => (*k, d_text.as_str()),
            _ => (*k, *v),
        })
        .collect();
    let anonymous = panel.client();
    let mut cells = 0;
    for name in PUBLIC.iter().chain(ADMIN).chain(RESELLER).chain(SIGNED_IN) {
        if PUBLIC.contains(name) {
            continue; // sign-in, sign-up, sign-out: their own tests (accounts.rs)
        }
        for actor in ACTORS {
            let client = match actor {
                Actor::Anonymous => &anonymous,
                Actor::Owner => &owner,
                Actor::AnotherOwner => &another,
                Actor::Reseller => &reseller,
                Actor::CustomerA => &ca,
                Actor::CustomerB => &cb,
                Actor::Suspended => &cs,
            };
            let before = if allowed(name, actor) {
                emu.total_calls()
            } else {
                quiet(&emu).await
            };
            let (status, body) = panel.call_raw(client, name, &args).await;
            let calls = emu.total_calls() - before;
            let refused = matches!(status.as_u16(), 401 | 403 | 404);
            if allowed(name, actor) {
                assert!(
                    !(matches!(status.as_u16(), 401 | 403) || status == 404 && calls == 0)
                        || PANEL_NOT_FOUND.contains(name),
                    "{name} as {actor:?} should pass authorization: {status} {body}"
                );
            } else {
                assert!(
                    refused,
                    "{name} as {actor:?} should be refused: {status} {body}"
                );
                assert_eq!(
                    calls, 0,
                    "{name} as {actor:?} was refused after reaching Luna Node"
                );
            }
            if actor == Actor::Reseller && *name == "customers/view_as" {
                let _: () = panel
                    .call(&reseller, "customers/view_as", &[("customer_id", "0")])
                    .await
                    .unwrap();
            }
            cells += 1;
        }
    }
    assert_eq!(cells, (ADMIN.len() + RESELLER.len() + SIGNED_IN.len()) * 7);
    panel.stop().await;
}
