//! What each action does to the emulated account, and its answer in the service's shape.
//! Error texts are the service's where known (reference §2.2), clear ones otherwise.

use std::collections::BTreeMap;
use std::time::Instant;

use axum::response::Response;
use serde_json::{json, Map, Value};

use super::json::{done, fail, obj, ok};
use super::state::{
    plan_by_ref, region_known, Power, SshKey, Vm, DEFAULT_REGION, PLANS, REGIONS, TEMPLATES,
};
use super::World;

/// The request's parameters (all strings, `api_*` removed).
pub struct Params(pub BTreeMap<String, String>);

type Outcome = Result<Response, String>;

impl Params {
    /// A required parameter: missing or empty gives `"{name} not set"` (the service's
    /// wording for `region`, CONFIRMED).
    pub fn req(&self, name: &str) -> Result<&str, String> {
        self.opt(name).ok_or_else(|| format!("{name} not set"))
    }

    pub fn opt(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

fn s(v: impl ToString) -> Value {
    Value::String(v.to_string())
}

pub(crate) fn dispatch(
    world: &mut World,
    api_id: &str,
    category: &str,
    action: &str,
    p: &Params,
) -> Response {
    let now = Instant::now();
    let (durations, scale) = (world.durations, world.scale);
    let Some(account) = world.accounts.get_mut(api_id) else {
        return fail(super::AUTH_FAILURE);
    };
    for vm in account.vms.values_mut() {
        vm.advance(now, durations, scale);
    }
    let result: Outcome = match (category, action) {
        ("billing", "credit") => Ok(ok(obj([(
            "credit",
            s(format!("{:.8}", account.credit(now, scale))),
        )]))),
        ("region", "list") => {
            let regions: Map<String, Value> = REGIONS
                .iter()
                .map(|(c, n)| ((*c).to_owned(), s(n)))
                .collect();
            Ok(ok(obj([("regions", Value::Object(regions))])))
        }
        ("plan", "list") => Ok(ok(obj([("plans", plan_list())]))),
        ("vm", "list") => Ok(ok(obj([(
            "vms",
            Value::Array(account.vms.values().map(vm_summary).collect()),
        )]))),
        ("vm", "info") => vm_info(account, p),
        ("vm", "create") => vm_create(account, p, now),
        ("vm", "start") => vm_power(account, p, now, Power::Online),
        ("vm", "stop") => vm_power(account, p, now, Power::PoweringOff),
        ("vm", "reboot") => vm_power(account, p, now, Power::Rebooting),
        ("vm", "delete") => p.req("vm_id").and_then(|id| {
            account
                .vms
                .remove(id)
                .map(|_| done())
                .ok_or_else(|| "invalid vm".to_owned())
        }),
        ("vm", "rename") => vm_rename(account, p),
        ("sshkey", "list") => {
            // Numbered top-level keys beside "success" (reference §12, CONFIRMED).
            let mut fields = Map::new();
            for (i, key) in account.ssh_keys.values().enumerate() {
                fields.insert(
                    i.to_string(),
                    json!({"id": s(key.id), "name": key.name, "value": key.value, "val": key.value}),
                );
            }
            Ok(ok(fields))
        }
        ("sshkey", "add") => sshkey_add(account, p),
        ("sshkey", "remove") => p.req("key_id").and_then(|id| {
            id.parse::<u64>()
                .ok()
                .and_then(|id| account.ssh_keys.remove(&id))
                .map(|_| done())
                .ok_or_else(|| "invalid key".to_owned())
        }),
        _ => Err("invalid action".to_owned()),
    };
    result.unwrap_or_else(|text| fail(&text))
}

fn plan_list() -> Value {
    Value::Array(
        PLANS
            .iter()
            .map(|p| {
                json!({
                    "plan_id": s(p.id), "name": p.name, "category": p.category,
                    "vcpu": s(p.vcpu), "ram": s(p.ram_mb), "storage": s(p.storage_gb),
                    "bandwidth": s(p.bandwidth_gb), "price": s(p.price_hourly),
                    "price_nice": format!("${}", p.price_hourly),
                    "price_monthly_nice": format!("${:.2}/month", p.price_hourly * 730.0),
                    "regions_nice": REGIONS.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", "),
                    "metadata_json": "", "metadata": ""
                })
            })
            .collect(),
    )
}

fn vm_summary(vm: &Vm) -> Value {
    let plan = plan_by_ref(&vm.plan_id.to_string());
    json!({
        "vm_id": vm.id, "name": vm.hostname, "hostname": vm.hostname,
        "plan_id": s(vm.plan_id), "primaryip": vm.public_ip, "privateip": vm.private_ip,
        "ram": s(plan.map_or(0, |p| p.ram_mb)), "vcpu": s(plan.map_or(0, |p| p.vcpu)),
        "storage": s(plan.map_or(0, |p| p.storage_gb)), "bandwidth": s(plan.map_or(0, |p| p.bandwidth_gb)),
        "region": vm.region,
        "os_status": if vm.power == Power::Building { "build" } else { "active" },
    })
}

fn find_vm<'a>(account: &'a mut super::state::Account, p: &Params) -> Result<&'a mut Vm, String> {
    let id = p.req("vm_id")?;
    account
        .vms
        .get_mut(id)
        .ok_or_else(|| "invalid vm".to_owned())
}

fn vm_info(account: &mut super::state::Account, p: &Params) -> Outcome {
    let vm = find_vm(account, p)?;
    let (nohtml, raw, color) = vm.status();
    let html = format!("<font color=\"{color}\"><b>{nohtml}</b></font>");
    let mut addresses = vec![json!({"addr": vm.private_ip, "version": "4", "external": ""})];
    if !vm.public_ip.is_empty() {
        addresses.push(json!({"addr": vm.public_ip, "version": "4", "external": "1",
            "reverse": format!("{}.rdns.lunanode.com.", vm.public_ip.split('.').rev().collect::<Vec<_>>().join("."))}));
    }
    let mut info = json!({
        "hostname": vm.hostname, "ip": vm.public_ip, "privateip": vm.private_ip,
        "addresses": addresses, "additionalip": [], "additionalprivateip": [], "ipv6": [],
        // HTML-escaped, as the service sends it (reference §3).
        "status": html.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;"),
        "status_nohtml": nohtml, "status_raw": raw, "status_color": color, "task_state": "",
        "os": vm.image, "image": vm.image,
        "security_groups": vm.security_groups, "securitygroups": vm.security_groups,
        "volumes": [], "bandwidthUsedGB": format!("{:.2}", vm.bandwidth_used_gb),
    });
    if let Some(pw) = &vm.login_password {
        info["login_details"] = s(format!("username: ubuntu; password: {pw}"));
    }
    Ok(ok(obj([("info", info), ("extra", vm_summary(vm))])))
}

fn vm_create(account: &mut super::state::Account, p: &Params, now: Instant) -> Outcome {
    let hostname = p.req("hostname")?;
    let plan = plan_by_ref(p.req("plan_id")?).ok_or("invalid plan selection")?;
    let region = p.opt("region").unwrap_or(DEFAULT_REGION);
    if !region_known(region) {
        return Err("invalid region".into());
    }
    let image = match (p.opt("image_id"), p.opt("volume_id")) {
        (Some(image), _) => image
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1000))
            .and_then(|i| TEMPLATES.get(i))
            .map(|name| (*name).to_owned())
            .ok_or("invalid image selection")?,
        (None, Some(_)) => return Err("invalid volume".into()),
        (None, None) => return Err("hostname, plan_id, and/or image_id not set".into()),
    };
    if hostname.len() > 64
        || !hostname
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Err("invalid hostname".into());
    }
    let (public_ip, private_ip) = account.next_ips();
    let id = uuid::Uuid::new_v4().to_string();
    let wants_password = p.opt("key_id").is_none();
    account.vms.insert(
        id.clone(),
        Vm {
            id: id.clone(),
            hostname: hostname.to_owned(),
            plan_id: plan.id,
            image,
            region: region.to_owned(),
            power: Power::Building,
            since: now,
            public_ip,
            private_ip,
            login_password: wants_password
                .then(|| uuid::Uuid::new_v4().simple().to_string()[..16].to_owned()),
            security_groups: vec!["default".into()],
            bandwidth_used_gb: 0.0,
            created: now,
        },
    );
    Ok(ok(obj([("vm_id", s(id))])))
}

fn vm_power(
    account: &mut super::state::Account,
    p: &Params,
    now: Instant,
    target: Power,
) -> Outcome {
    let vm = find_vm(account, p)?;
    match (vm.power, target) {
        (Power::Building, _) => return Err("the VM is still being built".into()),
        (Power::Offline, Power::PoweringOff) | (Power::Online, Power::Online) => {}
        (Power::Offline, Power::Rebooting) => {
            vm.power = Power::Building;
            vm.since = now;
        }
        (Power::Offline, Power::Online) => {
            vm.power = Power::Rebooting;
            vm.since = now;
        }
        (_, target) => {
            vm.power = target;
            vm.since = now;
        }
    }
    Ok(done())
}

fn vm_rename(account: &mut super::state::Account, p: &Params) -> Outcome {
    let hostname = p.req("hostname")?.to_owned();
    let vm = find_vm(account, p)?;
    vm.hostname = hostname;
    Ok(done())
}

fn sshkey_add(account: &mut super::state::Account, p: &Params) -> Outcome {
    let label = p.req("label")?.to_owned();
    let key = p.req("sshkey")?.trim().to_owned();
    let kind = key.split_whitespace().next().unwrap_or("");
    if !matches!(
        kind,
        "ssh-rsa"
            | "ssh-ed25519"
            | "ecdsa-sha2-nistp256"
            | "ecdsa-sha2-nistp384"
            | "ecdsa-sha2-nistp521"
    ) || key.split_whitespace().count() < 2
    {
        return Err("invalid SSH public key".into());
    }
    if account.ssh_keys.values().any(|k| k.name == label) {
        // Duplicate labels fail upstream (reference §12, CONFIRMED symptom).
        return Err("a key with this label already exists".into());
    }
    let id = account.next_id();
    account.ssh_keys.insert(
        id,
        SshKey {
            id,
            name: label,
            value: key,
        },
    );
    Ok(ok(obj([("key_id", s(id))])))
}
