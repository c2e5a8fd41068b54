//! `vm/*` (reference §3).

use std::time::Instant;

use serde_json::{json, Value};

use super::{s, Ctx, Outcome, Params};
use crate::emulator::json::{done, obj, ok};
use crate::emulator::state::{
    plan_by_ref, region_known, Account, Power, Vm, DEFAULT_REGION, TEMPLATES,
};

pub(crate) fn handle(ctx: &mut Ctx<'_>, action: &str) -> Option<Outcome> {
    let (account, p, now) = (&mut *ctx.account, ctx.p, ctx.now);
    Some(match action {
        "list" => Ok(ok(obj([(
            "vms",
            Value::Array(account.vms.values().map(vm_summary).collect()),
        )]))),
        "info" => vm_info(account, p),
        "create" => vm_create(account, p, now),
        "start" => vm_power(account, p, now, Power::Online),
        "stop" => vm_power(account, p, now, Power::PoweringOff),
        "reboot" => vm_power(account, p, now, Power::Rebooting),
        "delete" => p.req("vm_id").and_then(|id| {
            account
                .vms
                .remove(id)
                .map(|_| done())
                .ok_or_else(|| "invalid vm".to_owned())
        }),
        "rename" => vm_rename(account, p),
        _ => return None,
    })
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

fn find_vm<'a>(account: &'a mut Account, p: &Params) -> Result<&'a mut Vm, String> {
    let id = p.req("vm_id")?;
    account
        .vms
        .get_mut(id)
        .ok_or_else(|| "invalid vm".to_owned())
}

fn vm_info(account: &mut Account, p: &Params) -> Outcome {
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

fn vm_create(account: &mut Account, p: &Params, now: Instant) -> Outcome {
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

fn vm_power(account: &mut Account, p: &Params, now: Instant, target: Power) -> Outcome {
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

fn vm_rename(account: &mut Account, p: &Params) -> Outcome {
    let hostname = p.req("hostname")?.to_owned();
    let vm = find_vm(account, p)?;
    vm.hostname = hostname;
    Ok(done())
}
