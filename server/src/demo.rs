//! Demo mode: the Luna Node emulator runs inside the panel, the demo user's API key is
//! stored through the vault like any other, and a fresh emulated account is filled with
//! sample content (VMs in several states and regions, an SSH key, a startup script, a
//! volume, a network, a security group, a DNS zone) so every page has something to show.
//!
//! The demo account (whose password is published) is never the administrator: it is a
//! reseller with a brand and two sample customers, each assigned some of the sample
//! resources, so "view as customer" can be tried at once. The customers have random
//! passwords nobody knows; the reseller views as them.
//!
//! The emulator keeps its state in `demo-emulator.json` beside the master key file, so a
//! restart resumes the same demo account.

use std::sync::Arc;
use std::time::Duration;

use app::server::lunanode::actions as api;
use app::server::lunanode::{Credential, LunaNode};
use app::server::password::Hasher;
use app::server::store::{NewUser, Store, UserId};
use app::server::upstream::sealed_credential;
use app::server::vault::{credential_owner, Keyring, Purpose};
use secrecy::SecretString;

use crate::config::Config;
use crate::emulator::{AccountSpec, Emulator, EmulatorConfig};
use crate::StartupError;

/// The running demo upstream.
pub struct Demo {
    pub emulator: Emulator,
    /// `http://127.0.0.1:PORT/api`.
    pub base_url: String,
    /// The demo user.
    pub user: UserId,
    /// Creates the sample content (a fresh account only); yields the VMs whose state it
    /// changed after they were built, so the live view can look at them at once.
    pub seeding: Option<tokio::task::JoinHandle<Vec<String>>>,
}

fn random_alnum(n: usize) -> String {
    let mut out = String::new();
    while out.len() < n {
        out.push_str(&crate::emulator::random_hex());
    }
    out.truncate(n);
    out
}

/// One sample customer of the demo reseller, and what of the sample content is theirs.
#[derive(Debug, Clone, Copy)]
pub struct SampleCustomer {
    pub email: &'static str,
    pub name: &'static str,
    /// VM hostnames.
    pub vms: &'static [&'static str],
    /// Volume names.
    pub volumes: &'static [&'static str],
    /// Security group names.
    pub security_groups: &'static [&'static str],
    /// Startup script names.
    pub scripts: &'static [&'static str],
}

/// The demo reseller's two customers. The rest of the sample content stays the reseller's.
pub const SAMPLE_CUSTOMERS: [SampleCustomer; 2] = [
    SampleCustomer {
        email: "bakery@customers.lunapanel.test",
        name: "Harbour Bakery",
        vms: &["web-1.example-demo.com", "web-2.example-demo.com"],
        volumes: &["data-volume"],
        security_groups: &["web"],
        scripts: &[],
    },
    SampleCustomer {
        email: "studio@customers.lunapanel.test",
        name: "Pixel Studio",
        vms: &["staging", "build-runner"],
        volumes: &[],
        security_groups: &[],
        scripts: &["install-nginx"],
    },
];

/// The demo reseller's brand, shown to their customers.
pub fn sample_branding() -> app::tenancy::Branding {
    app::tenancy::Branding {
        panel_name: "Northwind Cloud".into(),
        logo_url: String::new(),
        accent_light: "#0f766e".into(),
        accent_dark: "#2dd4bf".into(),
        support_url: "mailto:support@northwind.example".into(),
    }
}

/// The sample customers of the demo reseller `reseller` (created with random passwords
/// when absent) and its brand (when none is saved). Returns the customers' ids and whether
/// they were created now (then the sample resources are assigned to them).
async fn ensure_tenancy(
    store: &dyn Store,
    hasher: &Hasher,
    reseller: UserId,
) -> Result<(Vec<(UserId, SampleCustomer)>, bool), StartupError> {
    if store
        .branding(reseller)
        .await
        .map_err(StartupError::Demo)?
        .is_none()
    {
        store
            .put_branding(reseller, &sample_branding())
            .await
            .map_err(StartupError::Demo)?;
    }
    let mut customers = Vec::new();
    let mut created = false;
    for sample in SAMPLE_CUSTOMERS {
        match store
            .user_by_email(sample.email)
            .await
            .map_err(StartupError::Demo)?
        {
            Some(u) if u.reseller_id == Some(reseller) => customers.push((u.id, sample)),
            // Someone else's account with this address: the sample is left out.
            Some(_) => {}
            None => {
                // Nobody knows this password: the reseller views the panel as the customer.
                let password_hash = hasher.hash(&random_alnum(40)).await?;
                let user = store
                    .create_customer(
                        reseller,
                        NewUser {
                            email: sample.email.into(),
                            display_name: sample.name.into(),
                            password_hash,
                        },
                    )
                    .await
                    .map_err(StartupError::Demo)?;
                customers.push((user.id, sample));
                created = true;
            }
        }
    }
    Ok((customers, created))
}

/// Assigns the sample resources (found by name) to the sample customers in the ledger.
/// Resources already in the ledger are left as they are.
async fn assign_samples(
    client: &LunaNode,
    cred: &Credential,
    store: &dyn Store,
    account: UserId,
    customers: &[(UserId, SampleCustomer)],
) {
    let ledger = match store.assignments(account, None).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "demo: cannot read the ledger; samples not assigned");
            return;
        }
    };
    let mut wanted: Vec<(&str, String, UserId)> = Vec::new();
    let owner = |pick: fn(&SampleCustomer) -> &'static [&'static str], name: &str| {
        customers
            .iter()
            .find(|(_, c)| pick(c).contains(&name))
            .map(|(id, _)| *id)
    };
    if let Some(l) = step("vm list", client.vm_list(cred, &api::VmList {})).await {
        for vm in l.vms {
            let found = owner(|c| c.vms, &vm.hostname).or_else(|| owner(|c| c.vms, &vm.name));
            if let Some(id) = found {
                wanted.push(("vm", vm.vm_id, id));
            }
        }
    }
    if let Some(l) = step(
        "volume list",
        client.volume_list(cred, &api::VolumeList { region: None }),
    )
    .await
    {
        for v in l.volumes {
            if let Some(id) = owner(|c| c.volumes, &v.name) {
                wanted.push(("volume", v.id, id));
            }
        }
    }
    if let Some(l) = step(
        "security group list",
        client.securitygroup_list(cred, &api::SecurityGroupList {}),
    )
    .await
    {
        for g in l.securitygroups {
            if let Some(id) = owner(|c| c.security_groups, &g.name) {
                wanted.push(("securitygroup", g.securitygroup_id, id));
            }
        }
    }
    if let Some(l) = step("script list", client.script_list(cred, &api::ScriptList {})).await {
        for s in l.scripts {
            if let Some(id) = owner(|c| c.scripts, &s.name) {
                wanted.push(("script", s.id, id));
            }
        }
    }
    let mut assigned = 0;
    for (kind, resource_id, customer) in wanted {
        if ledger
            .iter()
            .any(|a| a.kind == kind && a.resource_id == resource_id)
        {
            continue;
        }
        match store.assign(account, kind, &resource_id, customer).await {
            Ok(()) => assigned += 1,
            Err(e) => tracing::warn!(kind, error = %e, "demo: a sample was not assigned"),
        }
    }
    tracing::info!(
        assigned,
        "demo: sample resources assigned to the sample customers"
    );
}

/// Starts the in-process emulator for `user` and makes sure their stored credential
/// matches the emulated account, their brand and sample customers exist, and (once the
/// sample content is there) the customers hold their part of it.
pub async fn start(
    config: &Config,
    store: Arc<dyn Store>,
    hasher: &Hasher,
    keyring: &Keyring,
    user: UserId,
) -> Result<Demo, StartupError> {
    let (customers, customers_created) = ensure_tenancy(store.as_ref(), hasher, user).await?;
    let state_file = config
        .master_key_file
        .parent()
        .map(|d| d.join("demo-emulator.json"))
        .unwrap_or_else(|| "demo-emulator.json".into());
    let stored = store.credential(user).await.map_err(StartupError::Demo)?;
    // Reuse the stored key (opened through the vault) so the emulated account and the
    // panel agree across restarts; otherwise make a new account.
    let existing = match &stored {
        Some(c) => keyring
            .open(
                Purpose::UpstreamCredential,
                &credential_owner(user),
                &c.sealed,
            )
            .ok()
            .and_then(|k| String::from_utf8(k.to_vec()).ok())
            .map(|key| (c.api_id.clone(), key)),
        None => None,
    };
    let (api_id, api_key) = existing
        .clone()
        .unwrap_or_else(|| (random_alnum(16), random_alnum(128)));
    let emulator = Emulator::open(EmulatorConfig {
        accounts: vec![AccountSpec {
            api_id: api_id.clone(),
            api_key: api_key.clone(),
            credit: 250.0,
        }],
        time_scale: config.demo_time_scale,
        state_file: Some(state_file),
        ..Default::default()
    })
    .map_err(|e| StartupError::DemoEmulator(e.to_string()))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| StartupError::DemoEmulator(e.to_string()))?;
    let base_url = emulator
        .spawn(listener)
        .map_err(|e| StartupError::DemoEmulator(e.to_string()))?;
    if existing.is_none() {
        store
            .put_credential(sealed_credential(
                keyring,
                user,
                &api_id,
                &api_key,
                "Demo key for the built-in emulator.".into(),
            ))
            .await
            .map_err(StartupError::Demo)?;
    }
    let client = Arc::new(
        LunaNode::new(&base_url, Default::default())
            .map_err(|e| StartupError::DemoEmulator(e.to_string()))?,
    );
    let cred = Credential::new(&api_id, SecretString::from(api_key))
        .map_err(|e| StartupError::DemoEmulator(e.to_string()))?;
    let empty = client
        .vm_list(&cred, &api::VmList {})
        .await
        .map(|l| l.vms.is_empty())
        .unwrap_or(false);
    let samples = customers_created.then(|| Samples {
        store: store.clone(),
        account: user,
        customers,
    });
    let seeding = if empty {
        Some(tokio::spawn(seed(client, cred, samples)))
    } else {
        // An account from before the sample customers existed: give them their part now.
        if let Some(samples) = samples {
            tokio::spawn(async move {
                assign_samples(
                    &client,
                    &cred,
                    samples.store.as_ref(),
                    samples.account,
                    &samples.customers,
                )
                .await;
            });
        }
        None
    };
    Ok(Demo {
        emulator,
        base_url,
        user,
        seeding,
    })
}

/// Where the sample resources go once they exist.
struct Samples {
    store: Arc<dyn Store>,
    account: UserId,
    customers: Vec<(UserId, SampleCustomer)>,
}

/// Fills a fresh demo account. Each step that fails is logged and skipped: the panel works
/// without samples, and one missing sample must not cost the others.
async fn seed(client: Arc<LunaNode>, cred: Credential, samples: Option<Samples>) -> Vec<String> {
    let client = client.as_ref();
    let cred = &cred;
    let key = step(
        "ssh key",
        client.sshkey_add(
            cred,
            &api::SshKeyAdd {
                label: "demo-laptop".into(),
                sshkey:
                    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemoKeyForLunapanelSampleOnly demo@laptop"
                        .into(),
            },
        ),
    )
    .await
    .map(|k| k.key_id);
    step(
        "startup script",
        client.script_create(
            cred,
            &api::ScriptCreate {
                name: "install-nginx".into(),
                content: "#!/bin/sh\napt-get update && apt-get install -y nginx\n".into(),
            },
        ),
    )
    .await;
    let group = step(
        "security group",
        client.securitygroup_create(
            cred,
            &api::SecurityGroupCreate {
                region: "toronto".into(),
                name: "web".into(),
            },
        ),
    )
    .await
    .map(|g| g.group_id);
    step(
        "network",
        client.network_create(
            cred,
            &api::NetworkCreate {
                region: "toronto".into(),
                name: "backend".into(),
                subnet: "10.20.30".into(),
                dns: vec!["8.8.8.8".into(), "8.8.4.4".into()],
            },
        ),
    )
    .await;
    step(
        "volume",
        client.volume_create(
            cred,
            &api::VolumeCreate {
                region: "toronto".into(),
                label: "data-volume".into(),
                size: 20,
                image: None,
                snapshot_id: None,
            },
        ),
    )
    .await;
    let zone = step(
        "dns zone",
        client.dns2_zone_add(
            cred,
            &api::Dns2ZoneAdd {
                name: "example-demo.com".into(),
                ttl: 3600,
            },
        ),
    )
    .await
    .and_then(|z| z.zone_id);
    if let Some(zone_id) = zone {
        step(
            "dns record",
            client.dns2_record_add(
                cred,
                &api::Dns2RecordAdd::new(
                    zone_id,
                    "www",
                    api::Dns2RecordType::A,
                    "203.0.113.10",
                    3600,
                ),
            ),
        )
        .await;
    }
    // VMs: templates per region come from image/list.
    let Some(images) = step(
        "image list",
        client.image_list(cred, &api::ImageList { region: None }),
    )
    .await
    else {
        return Vec::new();
    };
    let template = |region: &str, prefix: &str| {
        images
            .images
            .iter()
            .find(|i| i.region == region && i.name.starts_with(prefix))
            .map(|i| i.image_id.clone())
    };
    let specs = [
        (
            "web-1.example-demo.com",
            "toronto",
            "m.2",
            "Ubuntu 24.04",
            true,
        ),
        (
            "web-2.example-demo.com",
            "montreal",
            "m.2",
            "Ubuntu 24.04",
            true,
        ),
        (
            "db-1.example-demo.com",
            "toronto",
            "m.4",
            "Debian 12",
            false,
        ),
        ("build-runner", "roubaix", "s.2", "Rocky Linux 9", false),
        ("staging", "montreal", "s.1", "Ubuntu 22.04", false),
        ("archive-box", "roubaix", "s.half", "Debian 12", false),
    ];
    let mut ids = Vec::new();
    for (hostname, region, plan, os, web) in specs {
        let Some(image_id) = template(region, os) else {
            tracing::warn!(region, os, "demo: no such template");
            continue;
        };
        let request = api::VmCreate {
            hostname: hostname.into(),
            plan_id: plan.into(),
            image_id: Some(image_id),
            region: Some(region.into()),
            securitygroups: match (&group, web && region == "toronto") {
                (Some(g), true) => vec![g.clone()],
                _ => vec![],
            },
            // Web servers log in with a password (shown on request), the rest with the SSH
            // key only.
            key_id: match (&key, web) {
                (Some(k), false) => vec![k.clone()],
                _ => vec![],
            },
            ..Default::default()
        };
        if let Some(created) = step("vm", client.vm_create(cred, &request)).await {
            ids.push((hostname, created.vm_id));
        }
    }
    seed_balancer(client, cred, &ids).await;
    if let Some(samples) = &samples {
        assign_samples(
            client,
            cred,
            samples.store.as_ref(),
            samples.account,
            &samples.customers,
        )
        .await;
    }
    // Once built, put some VMs into other states: db-1 and staging stopped, archive-box
    // shelved.
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut online = 0;
        for (_, id) in &ids {
            if let Ok(info) = client
                .vm_info(cred, &api::VmInfo { vm_id: id.clone() })
                .await
            {
                online += usize::from(info.info.status_nohtml == "Online");
            }
        }
        if online == ids.len() {
            break;
        }
    }
    let mut changed = Vec::new();
    for (hostname, id) in &ids {
        let vm_id = id.clone();
        let done = match *hostname {
            "db-1.example-demo.com" | "staging" => {
                step("stop", client.vm_stop(cred, &api::VmStop { vm_id })).await
            }
            "archive-box" => step("shelve", client.vm_shelve(cred, &api::VmShelve { vm_id })).await,
            _ => None,
        };
        if done.is_some() {
            changed.push(id.clone());
        }
    }
    tracing::info!(vms = ids.len(), "demo content created");
    changed
}

/// A load balancer in front of the Toronto web server, with a floating IP, and an idle
/// address in Montreal (the floating IP page points out what is billed but unused).
async fn seed_balancer(client: &LunaNode, cred: &Credential, vms: &[(&str, String)]) {
    step(
        "idle floating ip",
        client.floating_add(
            cred,
            &api::FloatingAdd {
                region: "montreal".into(),
            },
        ),
    )
    .await;
    let Some(nets) = step(
        "network list",
        client.network_list(
            cred,
            &api::NetworkList {
                region: Some("toronto".into()),
            },
        ),
    )
    .await
    else {
        return;
    };
    let Some(net) = nets.networks.iter().find(|n| n.name == "Luna Node") else {
        return;
    };
    let request = api::LbCreate {
        region: "toronto".into(),
        net_id: net.net_id.clone(),
        name: "web-lb".into(),
        method: api::LbMethod::RoundRobin,
        protocol: api::LbProtocol::Http,
        connection_limit: -1,
        port: 80,
    };
    let Some(lb_id) = step("load balancer", client.lb_create(cred, &request))
        .await
        .and_then(|c| c.lb_id)
    else {
        return;
    };
    if let Some((_, web)) = vms.iter().find(|(h, _)| *h == "web-1.example-demo.com") {
        let info = step(
            "web info",
            client.vm_info(cred, &api::VmInfo { vm_id: web.clone() }),
        )
        .await;
        if let Some(info) = info {
            let member = api::LbMemberAdd {
                region: "toronto".into(),
                lb_id: lb_id.clone(),
                ip: info.info.privateip,
                port: 80,
            };
            step("member", client.lb_member_add(cred, &member)).await;
        }
    }
    let add = api::FloatingAdd {
        region: "toronto".into(),
    };
    if let Some(ip) = step("lb floating ip", client.floating_add(cred, &add)).await {
        let associate = api::LbAssociate {
            region: "toronto".into(),
            lb_id,
            ip: ip.ip,
        };
        step("associate", client.lb_associate(cred, &associate)).await;
    }
}

/// Runs one seeding step; a failure is logged and yields `None`.
async fn step<T>(
    what: &str,
    call: impl std::future::Future<Output = Result<T, app::server::lunanode::UpstreamError>>,
) -> Option<T> {
    match call.await {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(step = what, error = %e, "demo content: a step failed");
            None
        }
    }
}
