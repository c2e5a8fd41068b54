//! Deny by default, generated from the registry of kinds (SEC-6.1): every registered server
//! function, called by every kind of actor with customer B's, the reseller's unassigned and
//! another reseller's ids of every kind, is refused with no upstream call unless the rule
//! below allows it (the IDOR matrix).
//!
//! Nothing here lists which function takes which id. Which id arguments a function takes
//! is found by asking its argument decoder; the fixtures come from `app::kinds::KINDS`, one
//! maker per kind (a kind without a maker fails the test). A new server function that takes
//! an id without checking who owns it fails here without anyone writing a row for it.

use std::collections::{BTreeMap, BTreeSet};

use app::error::AppError;
use app::kinds::{Kind, KINDS};
use app::server::lunanode::actions as api;
use app::server::lunanode::{Credential, LunaNode};
use reqwest::{Client, StatusCode};

use crate::harness::{Db, Panel};

/// Server functions anyone may call (signed out). Their own tests cover them (accounts.rs).
const PUBLIC: &[&str] = &[
    "panel_info",
    "sign_up",
    "sign_in",
    "sign_out",
    // The second step of signing in (a partial session) and reset links (a token).
    "sign_in/code",
    "reset/check",
    "reset/password",
];
/// Server functions for administrators only.
const ADMIN: &[&str] = &[
    "admin/list_users",
    "admin/set_user_disabled",
    "admin/set_reseller",
    "admin/create_invite",
    "admin/list_invites",
    "admin/revoke_invite",
    "admin/second_factor_policy",
    "admin/set_second_factor_policy",
    "admin/reset_second_factor",
    "admin/reset_link",
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
    "customers/reset_second_factor",
    "customers/reset_link",
];
// Every other registered function is for any signed-in user: acting on their own account,
// or (a customer) on what is theirs in their reseller's account.
/// Of those, never a customer's: the key, and what no capability enables.
const NEVER_CUSTOMERS: &[&str] = &[
    "credential/get",
    "credential/save",
    "credential/test",
    "credential/delete",
    "vms/fairshare",
];
/// Whose "not found" is the panel's own, with good reason no upstream call (an assignment,
/// a stored key, an owner to make a reseller or an unused invite that is not there).
const PANEL_NOT_FOUND: &[&str] = &[
    "customers/unassign",
    "credential/delete",
    "admin/set_reseller",
    "admin/revoke_invite",
    "sessions/revoke",
    "admin/second_factor_policy",
    "admin/set_second_factor_policy",
    "admin/reset_second_factor",
    "admin/reset_link",
];
/// Of the reseller console, the ones that name a customer (reseller A's customer D).
const NAMES_A_CUSTOMER: &[&str] = &[
    "customers/detail",
    "customers/suspend",
    "customers/delete",
    "customers/assign",
    "customers/policy",
    "customers/view_as",
    "customers/reset_second_factor",
    "customers/reset_link",
];
/// Account-level changes: a suspended customer may not make them.
const ACCOUNT_CHANGES: &[&str] = &[
    "vms/create",
    "sshkeys/add",
    "images/fetch",
    "volumes/create",
    "floatingips/allocate",
    "networks/create",
    "lbs/create",
    "securitygroups/create",
    "zones/create",
    "dyndns/add",
    "mail/domain_add",
    "scripts/create",
    "monitor/check_add",
    "monitor/contact_add",
];
/// Called after every other function: it takes the owners' and resellers' keys away.
const LAST: &str = "credential/delete";

/// Every argument any server function takes, with a plausible value, so that a refusal is
/// the authorization's and not the argument decoder's; except the ids of kinds (each
/// kind's `id_arg`), which come from the fixtures of each round. A function needing an
/// argument missing here fails the test, naming it.
const ARGS: &[(&str, &str)] = &[
    ("user_id", "1"),
    ("id", "1"),
    ("invite_id", "1"),
    ("disabled", "true"),
    ("op", "Start"),
    ("key", "Cpu"),
    ("hostname", "x"),
    ("confirm", "x"),
    ("plan_id", "x"),
    ("name", "x"),
    ("address", "192.0.2.1"),
    ("keep", "true"),
    ("attach", "true"),
    ("charge_for_cpu", "true"),
    ("no_lend", "true"),
    ("value", "x"),
    ("api_id", "x"),
    ("api_key", "x"),
    ("current", "x"),
    ("new_password", "x"),
    // A VM from a public template: the references a new VM may name are the block before
    // the matrix (`vms/create` naming the reseller's resources).
    ("vm[hostname]", "x"),
    ("vm[boot]", "image:1000"),
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
    ("form[load_balancers]", ""),
    ("form[security_groups]", ""),
    ("form[zones]", ""),
    ("zone[name]", "x"),
    ("zone[ttl]", ""),
    ("record[rtype]", "A"),
    ("record_id", "1"),
    ("text", "x"),
    ("apply", "false"),
    ("ttl", ""),
    ("form[mail_domains]", ""),
    ("form[plans]", ""),
    ("form[regions]", ""),
    ("form[images]", ""),
    ("panel_name", ""),
    ("logo_url", ""),
    ("accent_light", ""),
    ("accent_dark", ""),
    ("support_url", ""),
    ("region", "montreal"),
    ("dst_region", "toronto"),
    ("image_name", "x"),
    ("size", "20"),
    ("volume[name]", "x"),
    ("volume[region]", "toronto"),
    ("volume[size]", "10"),
    ("volume[source]", "empty"),
    ("location", "x"),
    ("format", "x"),
    ("virtio", "true"),
    ("network[name]", "x"),
    ("network[region]", "toronto"),
    ("network[subnet]", "192.168.77"),
    ("network[dns]", ""),
    ("lb[name]", "x"),
    ("lb[region]", "toronto"),
    ("lb[method]", "ROUND_ROBIN"),
    ("lb[protocol]", "HTTP"),
    ("lb[port]", "80"),
    ("lb[connection_limit]", ""),
    ("port", "80"),
    ("member_id", "1"),
    ("rule_id", "x"),
    ("preset", "ssh"),
    ("cidr", "203.0.113.0/24"),
    ("rule[direction]", "ingress"),
    ("rule[version]", "4"),
    ("rule[protocol]", "tcp"),
    ("rule[port_min]", "22"),
    ("rule[port_max]", ""),
    ("rule[remote_type]", "cidr"),
    ("rule[cidr]", "203.0.113.0/24"),
    ("rule[remote_group]", ""),
    ("rule[label]", ""),
    ("username", "x"),
    ("targets", "someone@example.org"),
    ("alias_id", "1"),
    ("selector", ""),
    ("publish", "false"),
    ("content", "#!/bin/sh"),
    ("form[scripts]", ""),
    ("form[monitor_checks]", ""),
    ("form[monitor_contacts]", ""),
    ("check[name]", "x"),
    ("check[check_type]", "icmp"),
    ("check[interval]", "60"),
    ("check[delay]", "1"),
    ("check[params][target]", "192.0.2.1"),
    ("contact[kind]", "email"),
    ("contact[value]", "someone@example.org"),
    ("alert_id", "1"),
    ("http", "false"),
    // Second factor and reset links (a wrong code, the policy left off).
    ("code", "000000"),
    ("require", "false"),
    ("token", "x"),
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

/// The order in which each cell row is called: customers before those who may change or
/// delete customer B's resources (the reseller last), so that every customer meets the
/// fixtures as they were made.
const ACTORS: [Actor; 10] = [
    Actor::Anonymous,
    Actor::CustomerA,
    Actor::CustomerB,
    Actor::Suspended,
    Actor::CustomerOfB,
    Actor::Admin,
    Actor::Owner,
    Actor::AnotherOwner,
    Actor::ResellerB,
    Actor::Reseller,
];

/// Whose resources a round names as every id argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Round {
    /// Customer B's (assigned to them by reseller A).
    CustomerBs,
    /// Reseller A's own, assigned to nobody.
    Unassigned,
    /// Reseller B's, in Luna Node account C.
    AccountC,
    /// Customer B's, except this kind's, which is reseller A's unassigned one (for
    /// functions taking ids of two kinds or more).
    OneUnassigned(&'static Kind),
}

impl std::fmt::Display for Round {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Round::CustomerBs => f.write_str("customer B's ids"),
            Round::Unassigned => f.write_str("the reseller's unassigned ids"),
            Round::AccountC => f.write_str("account C's ids"),
            Round::OneUnassigned(k) => write!(
                f,
                "customer B's ids but the reseller's unassigned {}",
                k.noun
            ),
        }
    }
}

/// The rule: may `actor` call `name`, which takes ids of `takes`, in `round`? A customer
/// may name ids only when every id the function takes names what is theirs (only customer
/// B owns anything, and only in the first round); besides, capabilities (every one is
/// enabled for every customer) and suspension.
fn allowed(name: &str, takes: &[&'static Kind], actor: Actor, round: Round) -> bool {
    use Actor::*;
    // Only customer B owns anything, and only in the first round.
    let every_id_theirs = takes.is_empty() || actor == CustomerB && round == Round::CustomerBs;
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
        _ if !every_id_theirs => false,
        Suspended => !ACCOUNT_CHANGES.contains(&name),
        CustomerA | CustomerB | CustomerOfB => true,
    }
}

/// The start of a response body, for a failure message.
/// Whether any text in `v` is exactly `id`.
fn mentions(v: &serde_json::Value, id: &str) -> bool {
    match v {
        serde_json::Value::String(s) => s == id,
        serde_json::Value::Array(a) => a.iter().any(|v| mentions(v, id)),
        serde_json::Value::Object(o) => o.values().any(|v| mentions(v, id)),
        _ => false,
    }
}

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

/// Makes resources of every kind straight at Luna Node (as another tool would: the panel
/// hears of them only from the ledger or by listing).
struct Maker {
    upstream: LunaNode,
    /// Tells names (and subnets) apart.
    n: usize,
}

impl Maker {
    fn new(panel: &Panel) -> Self {
        Self {
            upstream: LunaNode::new(panel.state.upstream.client.base_url(), Default::default())
                .unwrap(),
            n: 0,
        }
    }

    /// A resource of `kind` in the account of `cred`; `None` for a kind this test cannot
    /// make yet (which fails it: every kind of the registry needs a maker here).
    async fn make(&mut self, kind: &Kind, cred: &Credential) -> Option<String> {
        self.n += 1;
        let n = self.n;
        let region = || "toronto".to_owned();
        let up = &self.upstream;
        let made = match kind.key {
            "vm" => self.vm(cred, n).await,
            "sshkey" => {
                up.call(
                    cred,
                    &api::SshKeyAdd {
                        label: format!("fixture-key-{n}"),
                        sshkey: format!(
                            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnqFIXTURE fixture-{n}@example"
                        ),
                    },
                )
                .await
                .unwrap()
                .key_id
            }
            "image" => {
                let vm = self.vm(cred, n).await;
                self.upstream
                    .call(
                        cred,
                        &api::VmSnapshot {
                            vm_id: vm,
                            name: format!("fixture-image-{n}"),
                        },
                    )
                    .await
                    .unwrap()
                    .image_id
            }
            "volume" => self.volume(cred, n).await,
            "snapshot" => {
                let volume = self.volume(cred, n).await;
                self.upstream
                    .call(
                        cred,
                        &api::VolumeSnapshotCreate {
                            volume_id: volume,
                            label: format!("fixture-snapshot-{n}"),
                            region: Some(region()),
                        },
                    )
                    .await
                    .unwrap()
                    .snapshot_id
                    .expect("the emulator answers with the snapshot's id")
            }
            "network" => up
                .call(
                    cred,
                    &api::NetworkCreate {
                        region: region(),
                        name: format!("fixture-net-{n}"),
                        subnet: format!("10.{}.{}", 100 + n / 250, n % 250),
                        dns: vec!["8.8.8.8".into()],
                    },
                )
                .await
                .unwrap()
                .net_id
                .expect("the emulator answers with the network's id"),
            "securitygroup" => {
                up.call(
                    cred,
                    &api::SecurityGroupCreate {
                        region: region(),
                        name: format!("fixture-group-{n}"),
                    },
                )
                .await
                .unwrap()
                .group_id
            }
            "script" => {
                up.call(
                    cred,
                    &api::ScriptCreate {
                        name: format!("fixture-script-{n}"),
                        content: "#!/bin/sh\necho hi\n".into(),
                    },
                )
                .await
                .unwrap()
                .script_id
            }
            "floating" => {
                up.call(cred, &api::FloatingAdd { region: region() })
                    .await
                    .unwrap()
                    .ip
            }
            "lb" => {
                // On the region's default network (every region has one).
                let nets = up
                    .call(
                        cred,
                        &api::NetworkList {
                            region: Some(region()),
                        },
                    )
                    .await
                    .unwrap();
                up.call(
                    cred,
                    &api::LbCreate {
                        region: region(),
                        net_id: nets.networks[0].net_id.clone(),
                        name: format!("fixture-lb-{n}"),
                        method: api::LbMethod::RoundRobin,
                        protocol: api::LbProtocol::Http,
                        connection_limit: -1,
                        port: 80,
                    },
                )
                .await
                .unwrap()
                .lb_id
                .expect("the emulator answers with the load balancer's id")
            }
            "zone" => up
                .call(
                    cred,
                    &api::Dns2ZoneAdd {
                        name: format!("fixture-{n}.example.com"),
                        ttl: 3600,
                    },
                )
                .await
                .unwrap()
                .zone_id
                .expect("the emulator answers with the zone's id"),
            "legacyzone" => up
                .call(
                    cred,
                    &api::DnsZoneAdd {
                        origin: format!("legacy-{n}.example.org."),
                        ttl: Some(3600),
                    },
                )
                .await
                .unwrap()
                .zone_id
                .expect("the emulator answers with the zone's id"),
            "dyn" => {
                let name = format!("fixture-{n}");
                up.call(
                    cred,
                    &api::DnsDynAdd {
                        name: name.clone(),
                        ip: "203.0.113.9".into(),
                    },
                )
                .await
                .unwrap();
                let dyns = up.call(cred, &api::DnsDynList {}).await.unwrap().dyns;
                dyns.into_iter()
                    .find(|d| d.name.starts_with(&name))
                    .expect("the new dynamic DNS name is listed")
                    .id
            }
            "maildomain" => up
                .call(
                    cred,
                    &api::EmailDomainAdd {
                        name: format!("mail-{n}.example.net"),
                    },
                )
                .await
                .unwrap()
                .domain_id
                .expect("the emulator answers with the domain's id"),
            "monitorcheck" => up
                .call(
                    cred,
                    &api::MonitorCheckAdd::new(&format!("fixture-check-{n}"), "icmp", 60, 1)
                        .param("target", &format!("192.0.2.{}", n % 250 + 1)),
                )
                .await
                .unwrap()
                .check_id
                .expect("the emulator answers with the check's id"),
            "monitorcontact" => up
                .call(
                    cred,
                    &api::MonitorContactAdd {
                        contact_type: "email".into(),
                        rel: format!("fixture-{n}@example.com"),
                    },
                )
                .await
                .unwrap()
                .contact_id
                .expect("the emulator answers with the contact's id"),
            _ => return None,
        };
        Some(made)
    }

    async fn vm(&self, cred: &Credential, n: usize) -> String {
        self.upstream
            .vm_create(
                cred,
                &api::VmCreate {
                    hostname: format!("fixture-{n}"),
                    plan_id: "87".into(),
                    image_id: Some("1000".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .vm_id
    }

    async fn volume(&self, cred: &Credential, n: usize) -> String {
        self.upstream
            .call(
                cred,
                &api::VolumeCreate {
                    region: "toronto".into(),
                    label: format!("fixture-volume-{n}"),
                    size: 10,
                    image: None,
                    snapshot_id: None,
                },
            )
            .await
            .unwrap()
            .volume_id
    }
}

/// One resource of a kind for each round: customer B's, reseller A's unassigned one, and
/// one of account C's.
#[derive(Debug, Clone)]
struct Fixture {
    b: String,
    unassigned: String,
    c: String,
}

/// Everything the matrix needs to make and find its fixtures.
struct Fixtures {
    maker: Maker,
    a: Credential,
    c: Credential,
    /// Reseller A and B's user ids (whose accounts are A and C), for listing.
    reseller_a: i64,
    reseller_b: i64,
    customer_b: i64,
    by_kind: BTreeMap<&'static str, Fixture>,
    /// How many fixtures were made again after a call deleted them.
    remade: usize,
}

impl Fixtures {
    fn get(&self, kind: &Kind) -> &Fixture {
        &self.by_kind[kind.key]
    }

    /// The id a round names for `kind`.
    fn id(&self, kind: &Kind, round: Round) -> &str {
        let f = self.get(kind);
        match round {
            Round::CustomerBs => &f.b,
            Round::Unassigned => &f.unassigned,
            Round::AccountC => &f.c,
            Round::OneUnassigned(k) if k.key == kind.key => &f.unassigned,
            Round::OneUnassigned(_) => &f.b,
        }
    }

    /// A resource of `kind` in account A (`in_c`: C).
    async fn make(&mut self, kind: &Kind, in_c: bool) -> String {
        let cred = if in_c { &self.c } else { &self.a };
        self.maker.make(kind, cred).await.unwrap_or_else(|| {
            panic!(
                "kind `{}` is in app::kinds::KINDS but the authorization matrix cannot make \
                 one: add it to Maker::make in server/tests/integration/authz.rs",
                kind.key
            )
        })
    }

    /// Customer B's resource of `kind`, made in account A and assigned by the reseller.
    async fn make_bs(&mut self, panel: &Panel, reseller: &Client, kind: &Kind) -> String {
        let id = self.make(kind, false).await;
        crate::tenancy::assign(panel, reseller, self.customer_b, kind.key, &id).await;
        id
    }

    async fn make_all(&mut self, panel: &Panel, reseller: &Client) {
        for kind in KINDS {
            let b = self.make_bs(panel, reseller, kind).await;
            let unassigned = self.make(kind, false).await;
            let c = self.make(kind, true).await;
            self.by_kind.insert(kind.key, Fixture { b, unassigned, c });
        }
    }

    /// Makes again the fixtures of `kinds` that a call deleted (the reseller or reseller B
    /// may delete what they own; so may customer B): every row meets them as made.
    async fn restore(&mut self, panel: &Panel, reseller: &Client, kinds: &[&'static Kind]) {
        for kind in kinds {
            let lister = kind
                .lister
                .expect("every kind of the registry has a lister");
            let up = panel.state.upstream.clone();
            // The test's own look, as the panel's pollers look: charged to no one.
            let panel_own = app::server::budget::Payer::Panel;
            let in_a = lister(up.clone(), self.reseller_a, panel_own)
                .await
                .unwrap();
            let in_c = lister(up, self.reseller_b, panel_own).await.unwrap();
            let there = |rows: &[app::kinds::Listed], id: &str| rows.iter().any(|r| r.id == id);
            let f = self.get(kind).clone();
            self.remade += [
                !there(&in_a, &f.b),
                !there(&in_a, &f.unassigned),
                !there(&in_c, &f.c),
            ]
            .iter()
            .filter(|gone| **gone)
            .count();
            if !there(&in_a, &f.b) {
                let id = self.make_bs(panel, reseller, kind).await;
                self.by_kind.get_mut(kind.key).unwrap().b = id;
            }
            if !there(&in_a, &f.unassigned) {
                let id = self.make(kind, false).await;
                self.by_kind.get_mut(kind.key).unwrap().unassigned = id;
            }
            if !there(&in_c, &f.c) {
                let id = self.make(kind, true).await;
                self.by_kind.get_mut(kind.key).unwrap().c = id;
            }
        }
    }
}

/// The decoder's refusal of a request's arguments, if that is what the answer is (Leptos
/// 0.8 turns it into `ServerFnErrorErr::Args`, which the panel answers as a validation
/// error on no field: 422, "The request could not be read: missing field `vm_id`").
fn decoding_error(status: StatusCode, body: &str) -> Option<String> {
    if status != StatusCode::UNPROCESSABLE_ENTITY {
        return None;
    }
    match serde_json::from_str::<AppError>(body) {
        Ok(AppError::Validation(errors)) => errors
            .0
            .iter()
            .find(|e| e.field.is_empty() && e.message.starts_with("The request could not be read"))
            .map(|e| e.message.clone()),
        _ => None,
    }
}

/// The form of a call: the plausible arguments, and every kind's id argument as `ids` says.
fn form<'a>(ids: impl Fn(&'static Kind) -> &'a str) -> Vec<(String, String)> {
    ARGS.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .chain(
            KINDS
                .iter()
                .map(|k| (k.id_arg.to_owned(), ids(k).to_owned())),
        )
        .collect()
}

fn pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The kinds whose ids server function `name` takes, as its argument decoder tells: called
/// signed out (decoding comes before the function's body, so nothing is done) with a full
/// set of arguments less one kind's id argument, a function taking it fails to decode,
/// naming it; one taking it as an option fails to decode it given as a map instead.
async fn takes(
    panel: &Panel,
    anonymous: &Client,
    name: &str,
    full: &[(String, String)],
    failures: &mut Vec<String>,
) -> Vec<&'static Kind> {
    let (status, body) = panel.call_raw(anonymous, name, &pairs(full)).await;
    if let Some(e) = decoding_error(status, &body) {
        failures.push(format!(
            "{name} needs an argument the matrix does not give (add it to ARGS): {e}"
        ));
        return Vec::new();
    }
    let mut kinds = Vec::new();
    for kind in KINDS {
        let without: Vec<(String, String)> = full
            .iter()
            .filter(|(k, _)| k != kind.id_arg)
            .cloned()
            .collect();
        let (status, body) = panel.call_raw(anonymous, name, &pairs(&without)).await;
        if let Some(e) = decoding_error(status, &body) {
            assert!(
                e.contains(&format!("`{}`", kind.id_arg)),
                "{name} without {} fails to decode on something else: {e}",
                kind.id_arg
            );
            kinds.push(*kind);
            continue;
        }
        let as_map: Vec<(String, String)> = full
            .iter()
            .map(|(k, v)| {
                if k == kind.id_arg {
                    (format!("{k}[probe]"), v.clone())
                } else {
                    (k.clone(), v.clone())
                }
            })
            .collect();
        let (status, body) = panel.call_raw(anonymous, name, &pairs(&as_map)).await;
        if decoding_error(status, &body).is_some() {
            kinds.push(*kind);
        }
    }
    kinds
}

/// The IDOR matrix (SEC-6.x), generated: every server function × ten actors (the admin,
/// owners, two resellers on their own Luna Node accounts, their customers) × rounds of ids
/// (customer B's of every kind; reseller A's unassigned; account C's; and, for a function
/// taking ids of two kinds or more, customer B's with one kind's unassigned). Each cell is
/// asserted: allowed (the call got past authorization), or refused (401/403/404) with no
/// upstream call. Before that, `vms/create` by customers naming one unassigned resource of
/// the reseller's at a time. Failing cells are all reported together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idor_matrix_every_function_and_actor() {
    let started = std::time::Instant::now();
    for (arg, _) in ARGS {
        assert!(
            !KINDS.iter().any(|k| k.id_arg == *arg),
            "{arg} is a kind's id argument: its values come from the fixtures, not ARGS"
        );
    }
    let registered = registered();
    for name in PUBLIC
        .iter()
        .chain(ADMIN)
        .chain(RESELLER)
        .chain(NEVER_CUSTOMERS)
    {
        assert!(
            registered.contains(*name),
            "{name} is listed here but is not a registered server function"
        );
    }
    // Reference lists read fresh every time: a cell whose caller may act tells a panel-side
    // refusal from Luna Node's "not found" by whether a call went out, and a kept list
    // would answer "not found" without one (after the grant; refdata.rs tests the cache).
    let flags = [("reference_ttl_seconds", "0")];
    let (panel, emu) = Panel::with_emulator_flags(Db::Sqlite, &flags, |c| {
        c.time_scale = 0.0;
        c.accounts.push(lunapanel::emulator::AccountSpec {
            api_id: ID_C.into(),
            api_key: crate::upstream::key('C'),
            credit: 50.0,
        });
    })
    .await;
    let (admin, reseller, reseller_a_id) = crate::tenancy::reseller(&panel).await;
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
    let reseller_b_id = panel.info(&reseller_b).await.user.unwrap().id;
    let reseller_b_text = reseller_b_id.to_string();
    let _: () = panel
        .call(
            &admin,
            "admin/set_reseller",
            &[("user_id", reseller_b_text.as_str()), ("reseller", "true")],
        )
        .await
        .unwrap();
    panel
        .save_key(&reseller_b, ID_C, &crate::upstream::key('C'), None)
        .await
        .unwrap();
    let (ca, a) = crate::tenancy::customer(&panel, &reseller, "a@customer.example").await;
    let (cb, b) = crate::tenancy::customer(&panel, &reseller, "b@customer.example").await;
    let (cs, s) = crate::tenancy::customer(&panel, &reseller, "s@customer.example").await;
    let (_cd, d) = crate::tenancy::customer(&panel, &reseller, "d@customer.example").await;
    let (cob, ob) = crate::tenancy::customer(&panel, &reseller_b, "x@customer-of-b.example").await;
    for c in [a, b, s] {
        crate::tenancy::policy(&panel, &reseller, c, &[]).await;
    }
    crate::tenancy::policy(&panel, &reseller_b, ob, &[]).await;
    let mut fx = Fixtures {
        maker: Maker::new(&panel),
        a: crate::upstream::cred(crate::upstream::ID_A, 'A'),
        c: crate::upstream::cred(ID_C, 'C'),
        reseller_a: reseller_a_id,
        reseller_b: reseller_b_id,
        customer_b: b,
        by_kind: BTreeMap::new(),
        remade: 0,
    };
    fx.make_all(&panel, &reseller).await;
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
    let anonymous = panel.client();

    // The decoder's answer to a missing id, as discovery reads it: the same signed out as
    // signed in (decoding comes first), and naming the argument.
    let vm_b = fx.get(&app::kinds::VM).b.clone();
    let (signed_out, body_out) = panel.call_raw(&anonymous, "vms/detail", &[]).await;
    let (signed_in, body_in) = panel.call_raw(&owner, "vms/detail", &[]).await;
    assert_eq!((signed_out, &body_out), (signed_in, &body_in));
    let missing = decoding_error(signed_out, &body_out);
    assert!(
        missing.as_deref().is_some_and(|m| m.contains("`vm_id`")),
        "vms/detail without vm_id: {signed_out} {body_out}"
    );
    let (status, body) = panel
        .call_raw(&anonymous, "vms/detail", &[("vm_id", vm_b.as_str())])
        .await;
    assert_eq!(status, 401, "vms/detail with its vm_id, signed out: {body}");
    // An optional argument (credential/save's password) is not missed when absent: given
    // as a map instead of a string, it fails to decode.
    let (status, body) = panel
        .call_raw(
            &anonymous,
            "credential/save",
            &[("api_id", "x"), ("api_key", "x"), ("password[probe]", "x")],
        )
        .await;
    assert!(
        decoding_error(status, &body).is_some(),
        "an optional argument given as a map: {status} {body}"
    );

    // vms/create naming one of the reseller's unassigned resources at a time: not found,
    // and nothing reaches Luna Node. The same form with a public template passes.
    let own = |kind: &Kind| fx.get(kind).unassigned.clone();
    let boot_image = format!("image:{}", own(&app::kinds::IMAGE));
    let boot_volume = format!("volume:{}", own(&app::kinds::VOLUME));
    let (network, group, script, sshkey, floating) = (
        own(&app::kinds::NETWORK),
        own(&app::kinds::SECURITYGROUP),
        own(&app::kinds::SCRIPT),
        own(&app::kinds::SSHKEY),
        own(&app::kinds::FLOATING),
    );
    let one_ref: Vec<(&'static str, &str)> = vec![
        ("vm[boot]", boot_image.as_str()),
        ("vm[boot]", boot_volume.as_str()),
        ("vm[net_id]", network.as_str()),
        ("vm[security_groups][0]", group.as_str()),
        ("vm[scripts][0]", script.as_str()),
        ("vm[ssh_keys][0]", sshkey.as_str()),
        ("vm[floating_ip]", floating.as_str()),
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
    let form1 = create_form(("vm[boot]", "image:1000"));
    let form1: Vec<(&str, &str)> = form1.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _: String = panel
        .call(&ca, "vms/create", &form1)
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

    // lbs/create naming the reseller's unassigned network (a nested form field, which
    // discovery below does not see): not found, nothing upstream.
    for (customer, client) in [("A", &ca), ("B", &cb), ("of reseller B", &cob)] {
        let form = [
            ("lb[name]", "x"),
            ("lb[region]", "toronto"),
            ("lb[net_id]", network.as_str()),
            ("lb[method]", "ROUND_ROBIN"),
            ("lb[protocol]", "HTTP"),
            ("lb[port]", "80"),
        ];
        let before = quiet(&emu).await;
        let (status, body) = panel.call_raw(client, "lbs/create", &form).await;
        let calls = emu.total_calls() - before;
        if status.as_u16() != 404 || calls != 0 {
            failures.push(format!(
                "lbs/create as customer {customer} on the reseller's network {network}: \
                 {status} after {calls} upstream calls: {}",
                short(&body)
            ));
        }
    }

    // Which kinds of ids each function takes, found out afresh.
    let mut functions: Vec<String> = registered
        .iter()
        .filter(|n| !PUBLIC.contains(&n.as_str()) && n.as_str() != LAST)
        .cloned()
        .collect();
    if registered.contains(LAST) {
        functions.push(LAST.to_owned());
    }
    let probe = form(|k| fx.get(k).unassigned.as_str());
    let set_up_in = started.elapsed();
    let mut takes_of: BTreeMap<String, Vec<&'static Kind>> = BTreeMap::new();
    for name in &functions {
        let kinds = takes(&panel, &anonymous, name, &probe, &mut failures).await;
        takes_of.insert(name.clone(), kinds);
    }
    assert!(
        takes_of["vms/detail"] == [&app::kinds::VM],
        "vms/detail takes a VM's id and nothing else: {:?}",
        takes_of["vms/detail"]
            .iter()
            .map(|k| k.key)
            .collect::<Vec<_>>()
    );
    let discovered_in = started.elapsed() - set_up_in;

    // The paged lists (`{kind.api}/page`, issue 14.10) filter by tenancy before paging: a
    // customer searching for the reseller's unassigned id, or account C's, of the kind
    // finds nothing, and no count includes it (the answer names it nowhere). Each is also
    // a cell of the matrix below (no ids taken: every actor but the anonymous may list).
    let mut paged = 0;
    for name in registered.iter().filter(|n| n.ends_with("/page")) {
        // A paged list of no kind (none yet) has no other's ids to try.
        let Some(kind) = KINDS.iter().find(|k| format!("{}/page", k.api) == *name) else {
            continue;
        };
        paged += 1;
        for (who, client) in [("customer B", &cb), ("customer of reseller B", &cob)] {
            let (_, plain) = panel.call_raw(client, name, &[]).await;
            let plain: serde_json::Value = serde_json::from_str(&plain).unwrap_or_default();
            // Its own row is on the first page (a fixture account holds a few of each).
            if who == "customer B" && !mentions(&plain, &fx.get(kind).b) {
                failures.push(format!(
                    "{name} as {who} does not list its own {} {}: {}",
                    kind.noun,
                    fx.get(kind).b,
                    short(&plain.to_string())
                ));
            }
            for id in [fx.get(kind).unassigned.clone(), fx.get(kind).c.clone()] {
                let (status, body) = panel
                    .call_raw(client, name, &[("paging[search]", id.as_str())])
                    .await;
                let answer: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                let filtered = answer["paging"]["filtered"].as_u64();
                if status != 200
                    || filtered != Some(0)
                    || mentions(&answer, &id)
                    || answer["paging"]["total"] != plain["paging"]["total"]
                {
                    failures.push(format!(
                        "{name} as {who} searching for another's {} {id}: {status} {}",
                        kind.noun,
                        short(&body)
                    ));
                }
            }
        }
    }
    // Every kind with a list page is paged on the server (issue 14.10); only the
    // monitoring contacts and legacy zones are shown inside another kind's page.
    assert!(paged >= 14, "{paged} kinds have a paged list");

    let d_text = d.to_string();
    let mut cells = 0;
    let mut rounds_run = 0;
    // Whether a call since the last quiet moment may have set a poller going.
    let mut dirty = true;
    for name in &functions {
        let takes = takes_of[name].clone();
        let mut rounds = vec![Round::CustomerBs];
        if !takes.is_empty() {
            rounds.extend([Round::Unassigned, Round::AccountC]);
        }
        if takes.len() >= 2 {
            rounds.extend(takes.iter().copied().map(Round::OneUnassigned));
        }
        for round in rounds {
            let mut args = form(|k| fx.id(k, round));
            for (k, v) in &mut args {
                if k == "customer_id" {
                    v.clone_from(&d_text);
                }
            }
            let args = pairs(&args);
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
                let may = allowed(name, &takes, actor, round);
                let before = if !may && dirty {
                    quiet(&emu).await
                } else {
                    emu.total_calls()
                };
                let (status, body) = panel.call_raw(client, name, &args).await;
                let calls = emu.total_calls() - before;
                let refused = matches!(status.as_u16(), 401 | 403 | 404);
                dirty = may || calls != 0 || !refused;
                if may {
                    if (matches!(status.as_u16(), 401 | 403) || status == 404 && calls == 0)
                        && !PANEL_NOT_FOUND.contains(&name.as_str())
                    {
                        failures.push(format!(
                            "{name} as {actor:?} with {round} should pass authorization: \
                             {status} {}",
                            short(&body)
                        ));
                    }
                } else if !refused {
                    failures.push(format!(
                        "{name} as {actor:?} with {round} should be refused: {status} {}",
                        short(&body)
                    ));
                } else if calls != 0 {
                    failures.push(format!(
                        "{name} as {actor:?} with {round} was refused after reaching Luna Node"
                    ));
                }
                if matches!(actor, Actor::Reseller) && name == "customers/view_as" {
                    let _: () = panel
                        .call(&reseller, "customers/view_as", &[("customer_id", "0")])
                        .await
                        .unwrap();
                }
                cells += 1;
            }
            rounds_run += 1;
            if !takes.is_empty() && name != LAST {
                fx.restore(&panel, &reseller, &takes).await;
            }
        }
    }
    let with_ids = takes_of.values().filter(|t| !t.is_empty()).count();
    println!(
        "authorization matrix: {} functions ({with_ids} taking ids of a kind), {rounds_run} \
         rounds, {cells} cells, {} fixtures made again after deletion; set up in {:.1?}, \
         ids discovered in {:.1?}, {:.1?} in all",
        functions.len(),
        fx.remade,
        set_up_in,
        discovered_in,
        started.elapsed()
    );
    for (name, kinds) in takes_of.iter().filter(|(_, t)| !t.is_empty()) {
        let kinds: Vec<&str> = kinds.iter().map(|k| k.id_arg).collect();
        println!("  {name}: {}", kinds.join(", "));
    }
    assert!(
        failures.is_empty(),
        "{} cells failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    panel.stop().await;
}
