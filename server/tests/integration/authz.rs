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
    "images/list",
    "images/details",
    "images/rename",
    "images/delete",
    "images/replicate",
    "images/fetch",
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
/// Of those, the ones that also name something no customer owns in either set of ids
/// below: an SSH key, a floating IP, a security group, or the reseller's unassigned image
/// (`vms/reimage`, `vms/create` booting from it, and the image area's functions).
const NAMES_ANOTHERS: &[&str] = &[
    "sshkeys/remove",
    "images/details",
    "images/rename",
    "images/delete",
    "images/replicate",
    "vms/floating_add",
    "vms/security_group",
    "vms/reimage",
    "vms/create",
];
/// Whose "not found" is the panel's own, with good reason no upstream call (an assignment,
/// a stored key, an owner to make a reseller or an unused invite that is not there).
const PANEL_NOT_FOUND: &[&str] = &[
    "customers/unassign",
    "credential/delete",
    "admin/set_reseller",
    "admin/revoke_invite",
];
/// Of the reseller console, the ones that name a customer (reseller A's customer D).
const NAMES_A_CUSTOMER: &[&str] = &[
    "customers/detail",
    "customers/suspend",
    "customers/delete",
    "customers/assign",
    "customers/policy",
    "customers/view_as",
];
/// Account-level changes: a suspended customer may not make them.
const ACCOUNT_CHANGES: &[&str] = &["vms/create", "sshkeys/add", "images/fetch"];

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
    ("region", "montreal"),
    ("location", "x"),
    ("format", "x"),
    ("virtio", "true"),
];

fn registered() -> BTreeSet<String> {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Anonymous,
    Admin,
    Owner,
    AnotherOwner,
    /// Reseller A (Luna Node account A), whose customers are A, B, Suspended and D.
    Reseller,
    CustomerA,
    CustomerB,
    Suspended,
    /// A second reseller on the same panel with their own Luna Node account (C).
    ResellerB,
    /// Reseller B's customer (every capability, nothing assigned).
    CustomerOfB,
}

const ACTORS: [Actor; 10] = [
    Actor::Anonymous,
    Actor::Admin,
    Actor::Owner,
    Actor::AnotherOwner,
    Actor::Reseller,
    Actor::CustomerA,
    Actor::CustomerB,
    Actor::Suspended,
    Actor::ResellerB,
    Actor::CustomerOfB,
];

/// The ids a round of the matrix calls every function with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ids {
    /// Customer B's VM; the reseller's unassigned snapshot as the image; other ids junk.
    CustomerBsVm,
    /// Reseller A's own resources of every kind, assigned to nobody.
    ResellersUnassigned,
}

/// The rule: may `actor` call `name` with the ids of `ids`?
fn allowed(name: &str, actor: Actor, ids: Ids) -> bool {
    use Actor::*;
    if PUBLIC.contains(&name) {
        return true;
    }
    if ADMIN.contains(&name) {
        return actor == Admin;
    }
    if RESELLER.contains(&name) {
        // Customer D is reseller A's: reseller B is told "not found".
        return actor == Reseller || actor == ResellerB && !NAMES_A_CUSTOMER.contains(&name);
    }
    match actor {
        Anonymous => false,
        Admin | Owner | AnotherOwner | Reseller | ResellerB => true,
        CustomerA | CustomerB | Suspended | CustomerOfB if NEVER_CUSTOMERS.contains(&name) => false,
        _ if name == "change_password" => true,
        _ if NAMES_ANOTHERS.contains(&name) => false,
        // The VM argument is customer B's in the first round, nobody's in the second.
        CustomerB if ON_A_VM.contains(&name) => ids == Ids::CustomerBsVm,
        _ if ON_A_VM.contains(&name) => false,
        Suspended => !ACCOUNT_CHANGES.contains(&name),
        CustomerA | CustomerB | CustomerOfB => true,
    }
}
/// The start of a response body, for a failure message.
fn short(body: &str) -> &str {
    match body.char_indices().nth(160) {
        Some((i, _)) => &body[..i],
        None => body,
    }
}

/// Waits until the emulator has had no call for a while (the live pollers settled).
pub(crate) async fn quiet(emu: &lunapanel::emulator::Emulator) -> u64 {
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

/// Luna Node account C (reseller B's).
const ID_C: &str = "cccccccccccccccc";

/// Reseller A's resources of every kind, made straight at Luna Node and assigned to nobody.
struct Unassigned {
    vm: String,
    sshkey: String,
    image: String,
    volume: String,
    network: String,
    securitygroup: String,
    script: String,
    floating: String,
}

async fn resellers_own_resources(panel: &Panel) -> Unassigned {
    use app::server::lunanode::actions as api;
    let upstream = app::server::lunanode::LunaNode::new(
        panel.state.upstream.client.base_url(),
        Default::default(),
    )
    .unwrap();
    let a = crate::upstream::cred(crate::upstream::ID_A, 'A');
    let vm = crate::vms::make_vm_elsewhere(panel, "resellers-own", "87").await;
    let image = upstream
        .call(
            &a,
            &api::VmSnapshot {
                vm_id: vm.clone(),
                name: "resellers-disk".into(),
            },
        )
        .await
        .unwrap()
        .image_id;
    let sshkey = upstream
        .call(
            &a,
            &api::SshKeyAdd {
                label: "resellers-key".into(),
                sshkey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnqRESELLER r@example".into(),
            },
        )
        .await
        .unwrap()
        .key_id;
    let volume = upstream
        .call(
            &a,
            &api::VolumeCreate {
                region: "toronto".into(),
                label: "resellers-volume".into(),
                size: 10,
                image: None,
                snapshot_id: None,
            },
        )
        .await
        .unwrap()
        .volume_id;
    let network = upstream
        .call(
            &a,
            &api::NetworkCreate {
                region: "toronto".into(),
                name: "resellers-net".into(),
                subnet: "192.168.77".into(),
                dns: vec!["8.8.8.8".into()],
            },
        )
        .await
        .unwrap()
        .net_id
        .expect("the emulator answers with the network's id");
    let securitygroup = upstream
        .call(
            &a,
            &api::SecurityGroupCreate {
                region: "toronto".into(),
                name: "resellers-group".into(),
            },
        )
        .await
        .unwrap()
        .group_id;
    let script = upstream
        .call(
            &a,
            &api::ScriptCreate {
                name: "resellers-script".into(),
                content: "#!/bin/sh\necho hi\n".into(),
            },
        )
        .await
        .unwrap()
        .script_id;
    let floating = upstream
        .call(
            &a,
            &api::FloatingAdd {
                region: "toronto".into(),
            },
        )
        .await
        .unwrap()
        .ip;
    Unassigned {
        vm,
        sshkey,
        image,
        volume,
        network,
        securitygroup,
        script,
        floating,
    }
}

/// The IDOR matrix (SEC-6.x): every server function × ten actors (the admin, owners,
/// two resellers on their own Luna Node accounts, their customers) × two sets of ids
/// (another customer's VM; the reseller's own unassigned resources of every kind), each
/// cell asserted: allowed (the call got past authorization), or refused (401/403/404)
/// with no upstream call; before that, `vms/create` by customers naming one unassigned
/// resource of the reseller's at a time. Failing cells are all reported together. A
/// server function without a row here fails the first assertion.
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
    let (panel, emu) = Panel::with_emulator(Db::Sqlite, |c| {
        c.time_scale = 0.0;
        c.accounts.push(lunapanel::emulator::AccountSpec {
            api_id: ID_C.into(),
            api_key: crate::upstream::key('C'),
            credit: 50.0,
        });
    })
    .await;
    let (admin, reseller, _) = crate::tenancy::reseller(&panel).await;
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
    let reseller_b = panel.owner("reseller-b@example.com").await;
    let reseller_b_id = panel.info(&reseller_b).await.user.unwrap().id.to_string();
    let _: () = panel
        .call(
            &admin,
            "admin/set_reseller",
            &[("user_id", reseller_b_id.as_str()), ("reseller", "true")],
        )
        .await
        .unwrap();
    panel
        .save_key(&reseller_b, ID_C, &crate::upstream::key('C'), None)
        .await
        .unwrap();
    let vm_b = crate::vms::make_vm_elsewhere(&panel, "vm-of-b", "87").await;
    let own = resellers_own_resources(&panel).await;
    let (ca, a) = crate::tenancy::customer(&panel, &reseller, "a@customer.example").await;
    let (cb, b) = crate::tenancy::customer(&panel, &reseller, "b@customer.example").await;
    let (cs, s) = crate::tenancy::customer(&panel, &reseller, "s@customer.example").await;
    let (_cd, d) = crate::tenancy::customer(&panel, &reseller, "d@customer.example").await;
    let (cob, ob) = crate::tenancy::customer(&panel, &reseller_b, "x@customer-of-b.example").await;
    for c in [a, b, s] {
        crate::tenancy::policy(&panel, &reseller, c, &[]).await;
    }
    crate::tenancy::policy(&panel, &reseller_b, ob, &[]).await;
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
    // The customers have opened the create wizard (their accounts' image lists are known,
    // so telling a public template from a private image costs no upstream call).
    for c in [&ca, &cob] {
        let _: app::vm::CreateOptions = panel.call(c, "vms/create_options", &[]).await.unwrap();
    }

    // vms/create naming one of the reseller's unassigned resources at a time: not found,
    // and nothing reaches Luna Node. The same form with a public template passes.
    let boot_image = format!("image:{}", own.image);
    let boot_volume = format!("volume:{}", own.volume);
    let one_ref: Vec<(&'static str, &str)> = vec![
        ("vm[boot]", boot_image.as_str()),
        ("vm[boot]", boot_volume.as_str()),
        ("vm[net_id]", own.network.as_str()),
        ("vm[security_groups][0]", own.securitygroup.as_str()),
        ("vm[scripts][0]", own.script.as_str()),
        ("vm[ssh_keys][0]", own.sshkey.as_str()),
        ("vm[floating_ip]", own.floating.as_str()),
    ];
    let create_form = |extra: (&'static str, &str)| {
        let mut form = vec![
            ("vm[hostname]", "made-by-a-customer".to_owned()),
            ("vm[region]", "toronto".to_owned()),
            ("vm[plan_id]", "87".to_owned()),
        ];
        if extra.0 != "vm[boot]" {
            form.push(("vm[boot]", "image:1000".to_owned()));
        }
        form.push((extra.0, extra.1.to_owned()));
        form
    };
    let form = create_form(("vm[boot]", "image:1000"));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _: String = panel
        .call(&ca, "vms/create", &form)
        .await
        .expect("a customer creates a VM from a public template");
    // Every failing cell is collected, then reported together.
    let mut failures: Vec<String> = Vec::new();
    for (customer, client) in [("A", &ca), ("B", &cb), ("of reseller B", &cob)] {
        for (field, id) in &one_ref {
            let form = create_form((*field, *id));
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let before = quiet(&emu).await;
            let (status, body) = panel.call_raw(client, "vms/create", &form).await;
            let calls = emu.total_calls() - before;
            if status.as_u16() != 404 || calls != 0 {
                failures.push(format!(
                    "vms/create as customer {customer} with the reseller's {field}={id}: \
                     {status} after {calls} upstream calls: {}",
                    short(&body)
                ));
            }
        }
    }

    let d_text = d.to_string();
    let anonymous = panel.client();
    let mut cells = 0;
    for ids in [Ids::CustomerBsVm, Ids::ResellersUnassigned] {
        let mut args: Vec<(&str, &str)> = ARGS
            .iter()
            .map(|(k, v)| match (*k, ids) {
                ("customer_id", _) => (*k, d_text.as_str()),
                ("image_id", _) => (*k, own.image.as_str()),
                ("vm_id", Ids::CustomerBsVm) => (*k, vm_b.as_str()),
                ("vm_id", Ids::ResellersUnassigned) => (*k, own.vm.as_str()),
                ("key_id", Ids::ResellersUnassigned) => (*k, own.sshkey.as_str()),
                ("ip", Ids::ResellersUnassigned) => (*k, own.floating.as_str()),
                ("group_id", Ids::ResellersUnassigned) => (*k, own.securitygroup.as_str()),
                _ => (*k, *v),
            })
            .collect();
        args.push(("vm[boot]", boot_image.as_str()));
        if ids == Ids::ResellersUnassigned {
            args.extend([
                ("vm[net_id]", own.network.as_str()),
                ("vm[security_groups][0]", own.securitygroup.as_str()),
                ("vm[scripts][0]", own.script.as_str()),
                ("vm[ssh_keys][0]", own.sshkey.as_str()),
                ("vm[floating_ip]", own.floating.as_str()),
            ]);
        }
        for name in PUBLIC.iter().chain(ADMIN).chain(RESELLER).chain(SIGNED_IN) {
            if PUBLIC.contains(name) {
                continue; // sign-in, sign-up, sign-out: their own tests (accounts.rs)
            }
            // The panel console once; the credential's deletion last of all.
            let first = ids == Ids::CustomerBsVm;
            if (!first && (ADMIN.contains(name) || RESELLER.contains(name)))
                || (first && *name == "credential/delete")
            {
                continue;
            }
            for actor in ACTORS {
                let client = match actor {
                    Actor::Anonymous => &anonymous,
                    Actor::Admin => &admin,
                    Actor::Owner => &owner,
                    Actor::AnotherOwner => &another,
                    Actor::Reseller => &reseller,
                    Actor::CustomerA => &ca,
                    Actor::CustomerB => &cb,
                    Actor::Suspended => &cs,
                    Actor::ResellerB => &reseller_b,
                    Actor::CustomerOfB => &cob,
                };
                let may = allowed(name, actor, ids);
                let before = if may {
                    emu.total_calls()
                } else {
                    quiet(&emu).await
                };
                let (status, body) = panel.call_raw(client, name, &args).await;
                let calls = emu.total_calls() - before;
                let refused = matches!(status.as_u16(), 401 | 403 | 404);
                if may {
                    if (matches!(status.as_u16(), 401 | 403) || status == 404 && calls == 0)
                        && !PANEL_NOT_FOUND.contains(name)
                    {
                        failures.push(format!(
                            "{name} as {actor:?} with {ids:?} should pass authorization: \
                             {status} {}",
                            short(&body)
                        ));
                    }
                } else if !refused {
                    failures.push(format!(
                        "{name} as {actor:?} with {ids:?} should be refused: {status} {}",
                        short(&body)
                    ));
                } else if calls != 0 {
                    failures.push(format!(
                        "{name} as {actor:?} with {ids:?} was refused after reaching Luna Node"
                    ));
                }
                if matches!(actor, Actor::Reseller) && *name == "customers/view_as" {
                    let _: () = panel
                        .call(&reseller, "customers/view_as", &[("customer_id", "0")])
                        .await
                        .unwrap();
                }
                cells += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        cells,
        (ADMIN.len() + RESELLER.len() + SIGNED_IN.len() - 1 + SIGNED_IN.len()) * ACTORS.len()
    );
    panel.stop().await;
}
