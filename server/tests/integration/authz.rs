//! Deny by default: every registered server function is listed here with who may call it,
//! and calling it as anybody else is refused. A new server function without a row fails
//! this test (SEC-6.1).

use std::collections::BTreeSet;

use crate::harness::{Db, Panel};

/// Server functions anyone may call (signed out).
const PUBLIC: &[&str] = &["panel_info", "sign_up", "sign_in", "sign_out"];
/// Server functions for administrators only.
const ADMIN: &[&str] = &[
    "admin/list_users",
    "admin/set_user_disabled",
    "admin/create_invite",
    "admin/list_invites",
    "admin/revoke_invite",
];
/// Server functions for any signed-in user (acting on their own account).
const SIGNED_IN: &[&str] = &[
    "change_password",
    "credential/get",
    "credential/save",
    "credential/test",
    "credential/delete",
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
];

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
];

fn registered() -> BTreeSet<String> {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_function_is_classified_and_refuses_the_unentitled() {
    let listed: BTreeSet<String> = PUBLIC
        .iter()
        .chain(ADMIN)
        .chain(SIGNED_IN)
        .map(|s| (*s).to_owned())
        .collect();
    let registered = registered();
    assert_eq!(
        registered, listed,
        "every server function needs a row here (and every row a function)"
    );
    let (panel, emu) = Panel::with_emulator(Db::Sqlite, |_| {}).await;
    let _admin = panel.owner("admin@example.com").await;
    let owner = panel.owner("owner@example.com").await;
    let anonymous = panel.client();
    let before: u64 = [
        "vm/list",
        "vm/info",
        "vm/create",
        "vm/delete",
        "plan/list",
        "billing/credit",
    ]
    .iter()
    .map(|p| emu.calls(p))
    .sum();
    for name in ADMIN.iter().chain(SIGNED_IN) {
        let (status, body) = panel.call_raw(&anonymous, name, ARGS).await;
        assert_eq!(status, 401, "{name} signed out: {body}");
    }
    for name in ADMIN {
        let (status, body) = panel.call_raw(&owner, name, ARGS).await;
        assert_eq!(status, 403, "{name} as an owner: {body}");
    }
    let after: u64 = [
        "vm/list",
        "vm/info",
        "vm/create",
        "vm/delete",
        "plan/list",
        "billing/credit",
    ]
    .iter()
    .map(|p| emu.calls(p))
    .sum();
    assert_eq!(before, after, "refused calls never reach Luna Node");
    panel.stop().await;
}
