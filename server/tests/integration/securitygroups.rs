//! The security-group area through the panel's server functions against the emulator:
//! groups made, renamed and deleted (refused while VMs use them, the VMs named, whether the
//! panel or Luna Node notices first); rules checked beside their fields, inserted by hand
//! and by preset, deleted; the lint warning on the group and on the VM for SSH open to the
//! whole internet, gone once the rule is narrowed; groups applied to and removed from VMs.
//! Customers see and change only their groups, name only their groups as a rule's remote,
//! own what they make in the same step and are held to their quota before Luna Node is
//! asked.

use app::error::AppError;
use app::securitygroup::{GroupDetail, GroupsView, PresetOutcome, VmGroupsView};
use app::server::lunanode::actions as api;
use app::server::lunanode::LunaNode;
use reqwest::Client;

use crate::both;
use crate::harness::{
    assert_pages_render, conflict, error_beside as field, eventually, not_found, Db, Panel,
};
use crate::tenancy::{assign, customer, policy, reseller};
use crate::upstream::{cred, key, ID_A};
use crate::vms::make_vm_elsewhere;

async fn list(panel: &Panel, c: &Client) -> GroupsView {
    panel
        .call(c, "securitygroups/list", &[])
        .await
        .expect("securitygroups/list")
}

async fn detail(panel: &Panel, c: &Client, id: &str) -> Result<GroupDetail, AppError> {
    panel
        .call(c, "securitygroups/detail", &[("group_id", id)])
        .await
}

async fn of_vm(panel: &Panel, c: &Client, vm: &str) -> VmGroupsView {
    panel
        .call(c, "securitygroups/of_vm", &[("vm_id", vm)])
        .await
        .expect("securitygroups/of_vm")
}

async fn create(panel: &Panel, c: &Client, region: &str, name: &str) -> Result<String, AppError> {
    panel
        .call(
            c,
            "securitygroups/create",
            &[("region", region), ("name", name)],
        )
        .await
}

async fn preset(
    panel: &Panel,
    c: &Client,
    group: &str,
    which: &str,
    cidr: &str,
) -> Result<PresetOutcome, AppError> {
    panel
        .call(
            c,
            "securitygroups/preset",
            &[("group_id", group), ("preset", which), ("cidr", cidr)],
        )
        .await
}

/// A rule form: `(field, value)` pairs over an inbound IPv4 TCP rule from a CIDR.
fn rule_form<'a>(group: &'a str, fields: &[(&'a str, &'a str)]) -> Vec<(String, &'a str)> {
    let mut form: Vec<(String, &str)> = vec![
        ("group_id".into(), group),
        ("rule[direction]".into(), "ingress"),
        ("rule[version]".into(), "4"),
        ("rule[protocol]".into(), "tcp"),
        ("rule[port_min]".into(), ""),
        ("rule[port_max]".into(), ""),
        ("rule[remote_type]".into(), "cidr"),
        ("rule[cidr]".into(), ""),
        ("rule[remote_group]".into(), ""),
        ("rule[label]".into(), ""),
    ];
    for (k, v) in fields {
        let k = format!("rule[{k}]");
        match form.iter_mut().find(|(f, _)| *f == k) {
            Some(slot) => slot.1 = v,
            None => form.push((k, v)),
        }
    }
    form
}

async fn insert(
    panel: &Panel,
    c: &Client,
    group: &str,
    fields: &[(&str, &str)],
) -> Result<(), AppError> {
    let form = rule_form(group, fields);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    panel.call(c, "securitygroups/rule_insert", &form).await
}

async fn apply(
    panel: &Panel,
    c: &Client,
    vm: &str,
    group: &str,
    attach: bool,
) -> Result<(), AppError> {
    let attach = attach.to_string();
    panel
        .call(
            c,
            "vms/security_group",
            &[
                ("vm_id", vm),
                ("group_id", group),
                ("attach", attach.as_str()),
            ],
        )
        .await
}

fn upstream(panel: &Panel) -> LunaNode {
    LunaNode::new(panel.state.upstream.client.base_url(), Default::default()).unwrap()
}

/// A VM of account A in toronto made straight at Luna Node in `groups`.
async fn vm_in_groups(panel: &Panel, hostname: &str, groups: &[&str]) -> String {
    upstream(panel)
        .vm_create(
            &cred(ID_A, 'A'),
            &api::VmCreate {
                hostname: hostname.into(),
                plan_id: "m.2".into(),
                image_id: Some("1000".into()),
                securitygroups: groups.iter().map(|g| (*g).to_owned()).collect(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .vm_id
}

/// The region's `default` group of account A (seen by an owner or the reseller).
fn default_of(view: &GroupsView, region: &str) -> String {
    view.groups
        .iter()
        .find(|g| g.name == "default" && g.region == region)
        .map(|g| g.id.clone())
        .expect("every region has a default group")
}

async fn a_group_lives_and_dies_through_the_panel(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();

    // Every region starts with its default group (two outbound allow-all rules).
    let start = list(&panel, &c).await;
    assert_eq!(start.groups.len(), 3, "{start:?}");
    assert!(start
        .groups
        .iter()
        .all(|g| g.name == "default" && g.rules == Some(2) && g.warnings.is_empty()));
    assert_eq!(start.regions.len(), 3);
    assert_eq!(start.quota, None, "an owner has no quota");
    let montreal_default = default_of(&start, "montreal");

    // Bad input: beside the fields, nothing sent.
    let e = create(&panel, &c, "", " ").await.unwrap_err();
    assert!(
        e.field("name").is_some() && e.field("region").is_some(),
        "{e:?}"
    );
    assert_eq!(emu.calls("securitygroup/create"), 0);
    let web = create(&panel, &c, "toronto", "web").await.unwrap();
    let taken = field(create(&panel, &c, "toronto", "WEB").await, "name");
    assert!(taken.contains("already"), "{taken}");
    assert_eq!(emu.calls("securitygroup/create"), 1);
    // The same name in another region is another group.
    let other = create(&panel, &c, "montreal", "web").await.unwrap();

    let d = detail(&panel, &c, &web).await.unwrap();
    assert_eq!(
        (
            d.group.name.as_str(),
            d.group.region.as_str(),
            d.rules.len()
        ),
        ("web", "toronto", 2)
    );
    assert!(d.group.warnings.is_empty() && d.group.vms.is_empty());
    let others: Vec<&str> = d.others.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        others,
        ["default"],
        "the region's other groups, to pick as a remote"
    );
    assert!(
        !d.others.iter().any(|o| o.id == other),
        "not another region's"
    );

    // The rule editor's checks, beside each field, before Luna Node is asked.
    let m = field(
        insert(
            &panel,
            &c,
            &web,
            &[
                ("protocol", "icmp"),
                ("port_min", "8"),
                ("cidr", "0.0.0.0/0"),
            ],
        )
        .await,
        "port_min",
    );
    assert!(m.contains("ICMP has no ports"), "{m}");
    field(
        insert(
            &panel,
            &c,
            &web,
            &[("port_min", "70000"), ("cidr", "0.0.0.0/0")],
        )
        .await,
        "port_min",
    );
    field(
        insert(
            &panel,
            &c,
            &web,
            &[
                ("port_min", "90"),
                ("port_max", "80"),
                ("cidr", "0.0.0.0/0"),
            ],
        )
        .await,
        "port_max",
    );
    let m = field(
        insert(&panel, &c, &web, &[("port_min", "22"), ("cidr", "::/0")]).await,
        "cidr",
    );
    assert!(m.contains("IPv6"), "{m}");
    field(
        insert(
            &panel,
            &c,
            &web,
            &[("port_min", "22"), ("cidr", "somewhere")],
        )
        .await,
        "cidr",
    );
    field(
        insert(
            &panel,
            &c,
            &web,
            &[
                ("remote_type", "group"),
                ("remote_group", &montreal_default),
            ],
        )
        .await,
        "remote_group",
    );
    assert_eq!(emu.calls("securitygroup/rule-insert"), 0);

    // SSH from the whole internet: the preset adds it, the lint warns in words.
    let e = preset(&panel, &c, &web, "ssh", "").await.unwrap_err();
    assert!(e.field("cidr").is_some(), "{e:?}");
    let added = preset(&panel, &c, &web, "ssh", "0.0.0.0/0").await.unwrap();
    assert_eq!(
        (added.added.len(), added.existed.len()),
        (1, 0),
        "{added:?}"
    );
    let again = preset(&panel, &c, &web, "ssh", "0.0.0.0/0").await.unwrap();
    assert_eq!(
        (again.added.len(), again.existed.len()),
        (0, 1),
        "{again:?}"
    );
    conflict(
        insert(
            &panel,
            &c,
            &web,
            &[("port_min", "22"), ("cidr", "0.0.0.0/0")],
        )
        .await,
        "already",
    );
    let d = detail(&panel, &c, &web).await.unwrap();
    assert_eq!(d.rules.len(), 3);
    assert_eq!(d.group.warnings.len(), 1, "{:?}", d.group.warnings);
    let warning = d.group.warnings[0].on_group();
    assert!(
        warning.contains("SSH (22) to the whole internet") && warning.contains("Narrow it"),
        "{warning}"
    );
    let wide = d.group.warnings[0].rule_id.clone();
    let row = list(&panel, &c).await;
    let row = row.groups.iter().find(|g| g.id == web).unwrap();
    assert_eq!((row.rules, row.warnings.len()), (Some(3), 1));
    // A rule naming another group of the region is no warning.
    insert(
        &panel,
        &c,
        &web,
        &[
            ("port_min", "5432"),
            ("remote_type", "group"),
            ("remote_group", &web),
        ],
    )
    .await
    .unwrap();

    // A VM in the default group; the web group applied from the group's page.
    let vm = vm_in_groups(&panel, "web-1", &[]).await;
    let g = of_vm(&panel, &c, &vm).await;
    let names: Vec<&str> = g.groups.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["default"]);
    assert!(g.available.iter().any(|a| a.id == web));
    assert!(
        !g.available.iter().any(|a| a.id == other),
        "only its region's"
    );
    let toronto_default = default_of(&list(&panel, &c).await, "toronto");
    let d = eventually("the VM offered on the group's page", 20, || async {
        let d = detail(&panel, &c, &web).await.unwrap();
        if d.candidates.iter().any(|v| v.vm_id == vm) {
            Ok(d)
        } else {
            Err(d.candidates)
        }
    })
    .await;
    assert!(d
        .candidates
        .iter()
        .all(|v| !v.vm_id.is_empty() && v.visible));
    apply(&panel, &c, &vm, &web, true).await.unwrap();
    // Seen at once: the live list read the VM again before the apply returned.
    let d = detail(&panel, &c, &web).await.unwrap();
    let users: Vec<&str> = d.group.vms.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(users, ["web-1"]);
    assert!(!d.candidates.iter().any(|v| v.vm_id == vm));
    conflict(apply(&panel, &c, &vm, &web, true).await, "already");
    let m = field(apply(&panel, &c, &vm, &other, true).await, "group_id");
    assert!(m.contains("VM's region"), "{m}");
    // The VM's page warns through the group.
    let g = of_vm(&panel, &c, &vm).await;
    let warnings: Vec<String> = g
        .groups
        .iter()
        .flat_map(|x| x.warnings.iter().map(|w| w.on_vm()))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("SSH (22) open to the whole internet through group “web”"),
        "{}",
        warnings[0]
    );

    // Delete: the typed name, then refused while the VM uses it, the VM named.
    let e = panel
        .call::<()>(
            &c,
            "securitygroups/delete",
            &[("group_id", &web), ("confirm", "wbe")],
        )
        .await;
    field(e, "confirm");
    conflict(
        panel
            .call::<()>(
                &c,
                "securitygroups/delete",
                &[("group_id", &web), ("confirm", "web")],
            )
            .await,
        "in use by web-1",
    );
    conflict(
        panel
            .call::<()>(
                &c,
                "securitygroups/delete",
                &[("group_id", &toronto_default), ("confirm", "default")],
            )
            .await,
        "default group cannot be deleted",
    );
    assert_eq!(emu.calls("securitygroup/delete"), 0);

    // Narrowed to one address: the warning goes, on the group and on the VM.
    insert(
        &panel,
        &c,
        &web,
        &[
            ("port_min", "22"),
            ("cidr", "203.0.113.7"),
            ("label", "SSH from the office"),
        ],
    )
    .await
    .unwrap();
    not_found(
        panel
            .call::<()>(
                &c,
                "securitygroups/rule_delete",
                &[("group_id", &web), ("rule_id", "no-such-rule")],
            )
            .await,
    );
    panel
        .call::<()>(
            &c,
            "securitygroups/rule_delete",
            &[("group_id", &web), ("rule_id", &wide)],
        )
        .await
        .unwrap();
    let d = detail(&panel, &c, &web).await.unwrap();
    assert!(d.group.warnings.is_empty(), "{:?}", d.group.warnings);
    assert!(d.rules.iter().any(|r| r.remote
        == app::securitygroup::Remote::Cidr("203.0.113.7/32".into())
        && r.label == "SSH from the office"));
    assert!(of_vm(&panel, &c, &vm)
        .await
        .groups
        .iter()
        .all(|x| x.warnings.is_empty()));

    // Renamed: the VM follows (it knows the group by name), the default keeps its name.
    panel
        .call::<()>(
            &c,
            "securitygroups/rename",
            &[("group_id", &web), ("name", "frontend")],
        )
        .await
        .unwrap();
    let d = detail(&panel, &c, &web).await.unwrap();
    assert_eq!(d.group.name, "frontend");
    assert_eq!(d.group.vms.len(), 1, "still used by its VM");
    conflict(
        panel
            .call::<()>(
                &c,
                "securitygroups/rename",
                &[("group_id", &toronto_default), ("name", "mine")],
            )
            .await,
        "default group",
    );

    // Removed from the VM (once), then deleted.
    apply(&panel, &c, &vm, &web, false).await.unwrap();
    conflict(apply(&panel, &c, &vm, &web, false).await, "not in group");
    assert!(detail(&panel, &c, &web).await.unwrap().group.vms.is_empty());
    panel
        .call::<()>(
            &c,
            "securitygroups/delete",
            &[("group_id", &web), ("confirm", "frontend")],
        )
        .await
        .unwrap();
    assert!(!list(&panel, &c).await.groups.iter().any(|g| g.id == web));
    not_found(detail(&panel, &c, &web).await);
    // Junk ids never reach Luna Node.
    let before = emu.calls("securitygroup/list");
    not_found(detail(&panel, &c, "../../etc").await);
    assert_eq!(emu.calls("securitygroup/list"), before);

    // One settled audit row per change.
    let user = panel.user("a@example.com").await;
    let audit = panel
        .state
        .store
        .list_audit(Some(user.id), 200)
        .await
        .unwrap();
    let ok = |action: &str| {
        audit
            .iter()
            .filter(|r| r.entry.action == action && r.entry.outcome.as_str() == "ok")
            .count()
    };
    assert_eq!(
        (
            ok("securitygroup/create"),
            ok("securitygroup/rule-insert"),
            ok("securitygroup/rule-delete"),
            ok("securitygroup/rename"),
            ok("securitygroup/delete"),
            ok("vm/securitygroup-add"),
            ok("vm/securitygroup-remove"),
        ),
        (2, 3, 1, 1, 1, 1, 1)
    );
    assert!(audit
        .iter()
        .any(|r| r.entry.target == format!("securitygroup:{web}")));
    panel.stop().await;
}

/// Luna Node refuses to delete a group a VM uses that the panel has not seen yet: the
/// refusal is said in the panel's words, the VM named once the region's VMs are read again.
async fn luna_nodes_in_use_refusal_names_the_vm(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let group = create(&panel, &c, "toronto", "hidden-use").await.unwrap();
    assert!(list(&panel, &c).await.groups.iter().any(|g| g.id == group));
    // From here on the live list is read only when a change asks for it.
    panel.state.live.set_timing(app::server::live::LiveTiming {
        fast: std::time::Duration::from_secs(3600),
        slow: std::time::Duration::from_secs(3600),
        fresh_for: std::time::Duration::from_secs(3600),
        ..Default::default()
    });
    // The round under way, if any, ends before the VM is made.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let vm = vm_in_groups(&panel, "made-elsewhere", &[group.as_str()]).await;
    let d = detail(&panel, &c, &group).await.unwrap();
    assert!(d.group.vms.is_empty(), "the panel has not seen {vm} yet");
    conflict(
        panel
            .call::<()>(
                &c,
                "securitygroups/delete",
                &[("group_id", &group), ("confirm", "hidden-use")],
            )
            .await,
        "in use by made-elsewhere",
    );
    assert_eq!(
        emu.calls("securitygroup/delete"),
        1,
        "Luna Node was asked and refused"
    );
    panel.stop().await;
}

/// Calls to the emulator other than the live pollers' and lists' reads: what requests sent.
fn direct_calls(emu: &lunapanel::emulator::Emulator) -> u64 {
    emu.calls_except(&[
        "vm/list",
        "vm/info",
        "plan/list",
        "region/list",
        "image/list",
        "volume/list",
        "volume/snapshot-list",
        "sshkey/list",
        "network/list",
        "securitygroup/list",
        "script/list",
        "floating/list",
    ])
}

async fn customers_see_and_touch_only_their_groups(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, reseller_id) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let (cb, b) = customer(&panel, &reseller, "b@customer.example").await;
    policy(&panel, &reseller, a, &[("security_groups", "2")]).await;
    policy(&panel, &reseller, b, &[]).await;
    // The reseller's own group (unassigned), and the regions' defaults (the reseller's too).
    let resellers = create(&panel, &reseller, "toronto", "reseller-group")
        .await
        .unwrap();
    let toronto_default = default_of(&list(&panel, &reseller).await, "toronto");

    // A customer sees none of the reseller's groups, the defaults included.
    let first = list(&panel, &ca).await;
    assert!(first.groups.is_empty(), "{:?}", first.groups);
    let q = first.quota.expect("a customer's quota");
    assert_eq!((q.used, q.limit), (0, Some(2)));

    // A's group is A's from the first moment, and nobody else's.
    let web = create(&panel, &ca, "toronto", "a-web").await.unwrap();
    let ledger = panel
        .state
        .store
        .assignments(reseller_id, Some(a))
        .await
        .unwrap();
    assert!(ledger
        .iter()
        .any(|x| x.kind == "securitygroup" && x.resource_id == web));
    let seen: Vec<String> = list(&panel, &ca)
        .await
        .groups
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(seen, std::slice::from_ref(&web));
    let b_db = create(&panel, &cb, "toronto", "b-db").await.unwrap();
    let seen: Vec<String> = list(&panel, &cb)
        .await
        .groups
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(seen, std::slice::from_ref(&b_db), "B sees only theirs");
    assert_eq!(
        list(&panel, &reseller).await.groups.len(),
        6,
        "the reseller sees all"
    );

    // Someone else's group, and the reseller's unassigned ones, are not found: nothing
    // reaches Luna Node.
    let before = direct_calls(&emu);
    for (c, id) in [
        (&cb, &web),
        (&ca, &resellers),
        (&ca, &toronto_default),
        (&ca, &b_db),
    ] {
        not_found(detail(&panel, c, id).await);
        not_found(
            panel
                .call::<()>(
                    c,
                    "securitygroups/rename",
                    &[("group_id", id), ("name", "x")],
                )
                .await,
        );
        not_found(
            panel
                .call::<()>(
                    c,
                    "securitygroups/delete",
                    &[("group_id", id), ("confirm", "x")],
                )
                .await,
        );
        not_found(
            insert(
                &panel,
                c,
                id,
                &[("port_min", "22"), ("cidr", "203.0.113.0/24")],
            )
            .await,
        );
        not_found(
            panel
                .call::<()>(
                    c,
                    "securitygroups/rule_delete",
                    &[("group_id", id), ("rule_id", "x")],
                )
                .await,
        );
        not_found(preset(&panel, c, id, "ssh", "203.0.113.0/24").await);
    }
    // A rule of A's group may name only A's groups as its remote.
    for remote in [&b_db, &resellers, &toronto_default] {
        not_found(
            insert(
                &panel,
                &ca,
                &web,
                &[
                    ("port_min", "5432"),
                    ("remote_type", "group"),
                    ("remote_group", remote),
                ],
            )
            .await,
        );
    }
    assert_eq!(
        direct_calls(&emu),
        before,
        "no upstream call for others' ids"
    );
    let a_db = create(&panel, &ca, "toronto", "a-db").await.unwrap();
    insert(
        &panel,
        &ca,
        &a_db,
        &[
            ("port_min", "5432"),
            ("remote_type", "group"),
            ("remote_group", &web),
        ],
    )
    .await
    .unwrap();
    let d = detail(&panel, &ca, &a_db).await.unwrap();
    let others: Vec<&str> = d.others.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(others, [web.as_str()], "A may pick only A's groups");

    // The quota: decided before Luna Node is asked.
    let made = emu.calls("securitygroup/create");
    match create(&panel, &ca, "toronto", "a-third").await {
        Err(AppError::Quota(m)) => {
            assert!(m.contains("allows 2 security groups and you have 2"), "{m}")
        }
        other => panic!("expected the quota, got {other:?}"),
    }
    assert_eq!(emu.calls("securitygroup/create"), made);

    // A's VM: the reseller's default group is named but not A's; A's group applied.
    let vm = make_vm_elsewhere(&panel, "a-vm", "m.2").await;
    assign(&panel, &reseller, a, "vm", &vm).await;
    let g = of_vm(&panel, &ca, &vm).await;
    assert_eq!(g.groups.len(), 1);
    assert!(!g.groups[0].visible && g.groups[0].id.is_empty() && g.groups[0].name == "default");
    let offered: Vec<&str> = g.available.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(offered, [web.as_str(), a_db.as_str()]);
    not_found(apply(&panel, &ca, &vm, &resellers, true).await);
    not_found(apply(&panel, &ca, &vm, &toronto_default, false).await);
    not_found(apply(&panel, &cb, &vm, &b_db, true).await);
    apply(&panel, &ca, &vm, &web, true).await.unwrap();
    preset(&panel, &ca, &web, "ssh", "0.0.0.0/0").await.unwrap();
    let g = of_vm(&panel, &ca, &vm).await;
    let warned: Vec<String> = g
        .groups
        .iter()
        .flat_map(|x| x.warnings.iter().map(|w| w.on_vm()))
        .collect();
    assert_eq!(warned.len(), 1);
    assert!(warned[0].contains("through group “a-web”"), "{}", warned[0]);

    // Refused while the VM uses it, the VM named.
    conflict(
        panel
            .call::<()>(
                &ca,
                "securitygroups/delete",
                &[("group_id", &web), ("confirm", "a-web")],
            )
            .await,
        "in use by a-vm",
    );
    apply(&panel, &ca, &vm, &web, false).await.unwrap();
    // a-db names a-web as a remote: deleting a-web takes that rule with it (OpenStack).
    panel
        .call::<()>(
            &ca,
            "securitygroups/delete",
            &[("group_id", &web), ("confirm", "a-web")],
        )
        .await
        .unwrap();
    let ledger = panel
        .state
        .store
        .assignments(reseller_id, Some(a))
        .await
        .unwrap();
    assert!(!ledger.iter().any(|x| x.resource_id == web), "released");
    assert_eq!(list(&panel, &ca).await.quota.unwrap().used, 1, "room again");
    panel.stop().await;
}

both!(
    a_group_lives_and_dies_through_the_panel,
    luna_nodes_in_use_refusal_names_the_vm,
    customers_see_and_touch_only_their_groups,
);

/// Without the security-group capability a customer can look but not change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_changes_need_the_capability() {
    let (panel, emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, _) = reseller(&panel).await;
    // The default policy: power, console, create (servers) and SSH keys.
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let given = create(&panel, &reseller, "toronto", "given").await.unwrap();
    assign(&panel, &reseller, a, "securitygroup", &given).await;
    let seen: Vec<String> = list(&panel, &ca)
        .await
        .groups
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(
        seen,
        std::slice::from_ref(&given),
        "looking is always allowed"
    );
    assert!(detail(&panel, &ca, &given).await.is_ok());
    let r = create(&panel, &ca, "toronto", "mine").await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
    let r = preset(&panel, &ca, &given, "ssh", "0.0.0.0/0").await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
    assert_eq!(
        emu.calls("securitygroup/create") + emu.calls("securitygroup/rule-insert"),
        1,
        "only the reseller's"
    );
    panel.stop().await;
}

/// Four creates at once with room for two groups make exactly two at Luna Node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_creates_cannot_pass_the_group_quota() {
    let (panel, emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, _) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    policy(&panel, &reseller, a, &[("security_groups", "2")]).await;
    let creates = (0..4).map(|i| {
        let (panel, ca) = (&panel, ca.clone());
        async move { create(panel, &ca, "toronto", &format!("p-{i}")).await }
    });
    let results = futures::future::join_all(creates).await;
    for r in &results {
        if let Err(e) = r {
            assert!(matches!(e, AppError::Quota(_)), "{e:?}");
        }
    }
    let made = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(
        (made, emu.calls("securitygroup/create")),
        (2, 2),
        "{results:?}"
    );
    panel.stop().await;
}

/// Every security-group page renders its content on the server (not "Loading…", not an
/// error), again and again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn security_group_pages_render_on_the_server() {
    let (panel, _emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let id = create(&panel, &c, "toronto", "rendered-group")
        .await
        .unwrap();
    preset(&panel, &c, &id, "ssh", "0.0.0.0/0").await.unwrap();
    let detail = format!("/security-groups/{id}");
    let pages: &[(&str, &str)] = &[
        ("/security-groups", "rendered-group"),
        ("/security-groups", "Open to the whole internet"),
        ("/security-groups", "Create a security group"),
        (detail.as_str(), "rendered-group"),
        (detail.as_str(), "Open to the whole internet"),
        (detail.as_str(), "SSH (22)"),
        (detail.as_str(), "Add a rule"),
        (detail.as_str(), "Everything from my network"),
        (detail.as_str(), "Delete this security group"),
    ];
    assert_pages_render(&panel, &c, pages, 8).await;
    panel.stop().await;
}
