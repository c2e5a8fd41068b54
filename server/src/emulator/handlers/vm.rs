//! `vm/*` (reference §3): lifecycles on the emulated clock (`BUILD` → `Online`; stop →
//! `Powering off` → `Offline`; reboot, rescue, shelve/unshelve), plans, images and volumes
//! checked against the account, floating IPs taken from and returned to the account.

use std::time::Instant;

use serde_json::{json, Value};

use super::{s, Ctx, Outcome, Params};
use crate::emulator::json::{done, obj, ok};
use crate::emulator::state::{
    default_rdns, plan_by_ref, region_known, Account, Power, Vm, DEFAULT_REGION,
};

pub(crate) fn handle(ctx: &mut Ctx<'_>, action: &str) -> Option<Outcome> {
    let now = ctx.now;
    Some(match action {
        "list" => Ok(ok(obj([(
            "vms",
            Value::Array(ctx.account.vms.values().map(summary).collect()),
        )]))),
        "info" => info(ctx.account, ctx.p),
        "create" => create(ctx),
        "start" => power(ctx, Power::Online),
        "stop" => power(ctx, Power::PoweringOff),
        "reboot" => power(ctx, Power::Rebooting),
        "rescue" => power(ctx, Power::Rescue),
        "shelve" => power(ctx, Power::Shelved),
        "unshelve" => power(ctx, Power::Unshelving),
        "delete" => {
            let id = vm_id(ctx.account, ctx.p);
            id.map(|id| {
                if let Some(vm) = ctx.account.vms.remove(&id) {
                    // INFERRED: a deleted VM's addresses leave the load balancers it was a
                    // member of (the reference says nothing; OpenStack would keep a dead
                    // member, which no panel can act on).
                    let mut addresses = vm.extra_private_ips;
                    addresses.push(vm.private_ip);
                    super::lb::forget_members(&mut ctx.account.lbs, &addresses);
                }
                ctx.account.volumes.detach_all(&id, now);
                done()
            })
        }
        "rename" => rename(ctx),
        "diskswap" => with_vm(ctx, |vm, _| {
            // CONFIRMED text (reference §2.2).
            if vm.power != Power::Offline {
                return Err("the VM must be stopped before disk swap can proceed".into());
            }
            Ok(())
        }),
        "reimage" => reimage(ctx),
        "resize" => resize(ctx),
        "vnc" => vnc(ctx),
        "floatingip-add" => floatingip_add(ctx),
        "floatingip-delete" => floatingip_delete(ctx),
        "iplist" => iplist(ctx),
        "ip-add" => ip_add(ctx),
        "ip-delete" => ip_delete(ctx),
        "securitygroup-add" => securitygroup(ctx, true),
        "securitygroup-remove" => securitygroup(ctx, false),
        "snapshot" => snapshot(ctx),
        "usage" => usage(ctx),
        "set-fairshare" => {
            let flags = (
                yes_no(ctx.p, "charge_for_cpu"),
                yes_no(ctx.p, "fairshare_nolend"),
            );
            match flags {
                (Ok(charge), Ok(nolend)) => with_vm(ctx, |vm, _| {
                    vm.fairshare = (charge, nolend);
                    Ok(())
                }),
                (Err(e), _) | (_, Err(e)) => Err(e),
            }
        }
        _ => return None,
    })
}

fn yes_no(p: &Params, name: &str) -> Result<bool, String> {
    match p.req(name)? {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(format!("invalid {name} (yes or no)")),
    }
}

pub(crate) fn summary(vm: &Vm) -> Value {
    let plan = plan_by_ref(&vm.plan_id.to_string());
    json!({
        "vm_id": vm.id, "name": vm.hostname, "hostname": vm.hostname,
        "plan_id": s(vm.plan_id), "primaryip": vm.public_ip, "privateip": vm.private_ip,
        "ram": s(plan.map_or(0, |p| p.ram_mb)), "vcpu": s(plan.map_or(0, |p| p.vcpu)),
        "storage": s(plan.map_or(0, |p| p.storage_gb)), "bandwidth": s(plan.map_or(0, |p| p.bandwidth_gb)),
        "region": vm.region,
        "os_status": if matches!(vm.power, Power::Building) { "build" } else { "active" },
    })
}

fn vm_id(account: &Account, p: &Params) -> Result<String, String> {
    let id = p.req("vm_id")?;
    if account.vms.contains_key(id) {
        Ok(id.to_owned())
    } else {
        Err("invalid vm".into())
    }
}

fn with_vm(ctx: &mut Ctx<'_>, f: impl FnOnce(&mut Vm, Instant) -> Result<(), String>) -> Outcome {
    let id = vm_id(ctx.account, ctx.p)?;
    let now = ctx.now;
    let vm = ctx.account.vms.get_mut(&id).ok_or("invalid vm")?;
    f(vm, now).map(|()| done())
}

fn info(account: &mut Account, p: &Params) -> Outcome {
    let id = vm_id(account, p)?;
    let vm = &account.vms[&id];
    let (nohtml, raw, color) = vm.status();
    let html = format!("<font color=\"{color}\"><b>{nohtml}</b></font>");
    // The service's order (reference §3 sample, CONFIRMED): IPv6, private IPv4, public IPv4.
    let ipv6 = vm.ipv6();
    let mut addresses = vec![
        json!({"addr": ipv6, "version": "6", "external": "1"}),
        json!({"addr": vm.private_ip, "version": "4", "external": ""}),
    ];
    for extra in &vm.extra_private_ips {
        addresses.push(json!({"addr": extra, "version": "4", "external": ""}));
    }
    if !vm.public_ip.is_empty() {
        addresses.push(json!({"addr": vm.public_ip, "version": "4", "external": "1", "reverse": default_rdns(&vm.public_ip)}));
    }
    let volumes: Vec<Value> = account
        .volumes
        .attached_to(&vm.id)
        .map(|v| json!({"id": s(v.id), "name": v.name}))
        .collect();
    let mut info = json!({
        "hostname": vm.hostname, "ip": vm.public_ip, "privateip": vm.private_ip,
        "addresses": addresses, "additionalip": [], "additionalprivateip": vm.extra_private_ips, "ipv6": [ipv6],
        // HTML-escaped, as the service sends it (reference §3); clients must use status_nohtml.
        "status": html.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;"),
        "status_nohtml": nohtml, "status_raw": raw, "status_color": color, "task_state": "",
        "os": vm.image, "image": vm.image,
        "security_groups": vm.security_groups, "securitygroups": vm.security_groups,
        "volumes": volumes, "bandwidthUsedGB": format!("{:.2}", vm.bandwidth_used_gb),
    });
    if let Some(pw) = &vm.login_password {
        info["login_details"] = s(format!("username: ubuntu; password: {pw}"));
    }
    if vm.power == Power::Offline {
        // Present only when a disk swap is possible (WHMCS shows the button iff set).
        info["diskswap"] = s("yes");
    }
    Ok(ok(obj([("info", info), ("extra", summary(vm))])))
}

/// The items of a comma-separated parameter.
fn csv(value: Option<&str>) -> impl Iterator<Item = &str> {
    value
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The service accepts display names well beyond DNS hostnames (a CONFIRMED `vm/info`
/// fixture shows "lnbackup test 1"); its exact rules are UNKNOWN. The emulator refuses
/// only what is clearly unusable: empty, over 64 characters, or control characters.
fn valid_hostname(h: &str) -> bool {
    !h.trim().is_empty() && h.chars().count() <= 64 && !h.chars().any(char::is_control)
}

fn create(ctx: &mut Ctx<'_>) -> Outcome {
    let p = ctx.p;
    let (Some(hostname), Some(plan)) = (p.opt("hostname"), p.opt("plan_id")) else {
        // The service's wording (CONFIRMED, 2015).
        return Err("hostname, plan_id, and/or image_id not set".into());
    };
    let plan = plan_by_ref(plan).ok_or("invalid plan selection")?;
    let region = p.opt("region").unwrap_or(DEFAULT_REGION).to_owned();
    if !region_known(&region) {
        return Err("invalid region".into());
    }
    if !valid_hostname(hostname) {
        return Err("invalid hostname".into());
    }
    let account = &mut *ctx.account;
    let (image, boot_volume) = match (p.opt("image_id"), p.opt("volume_id")) {
        (Some(image), _) => (
            account
                .images
                .bootable(image, &region)
                .ok_or("invalid image selection")?,
            None,
        ),
        (None, Some(volume)) => {
            let v = volume
                .parse::<u64>()
                .ok()
                .and_then(|id| account.volumes.volumes.get(&id))
                .filter(|v| v.region == region)
                .ok_or("invalid volume")?;
            if v.phase != super::volume::Phase::Available {
                return Err("the volume is not available".into());
            }
            (format!("volume {}", v.name), Some(v.id))
        }
        (None, None) => return Err("hostname, plan_id, and/or image_id not set".into()),
    };
    let keys: Vec<&str> = csv(p.opt("key_id")).collect();
    let network = match p.opt("net_id") {
        Some(net) => Some(
            super::network::find(account, &region, net)
                .cloned()
                .ok_or("invalid network")?,
        ),
        None => None,
    };
    let mut groups = Vec::new();
    for group in csv(p.opt("securitygroups")) {
        groups.push(
            super::securitygroup::group_name(account, &region, group)
                .ok_or("invalid security group")?,
        );
    }
    if groups.is_empty() {
        groups.push("default".to_owned());
    }
    for script in csv(p.opt("scripts")) {
        if !account.scripts.contains(script) {
            return Err("invalid script".into());
        }
    }
    for key in &keys {
        if !key
            .parse::<u64>()
            .is_ok_and(|id| account.ssh_keys.contains_key(&id))
        {
            return Err("invalid key".into());
        }
    }
    let public_ip = match p.opt("ip") {
        Some(ip) => {
            if !super::floating::take_unattached(&mut account.floating, &region, ip) {
                return Err("invalid ip (not an unattached floating IP in this region)".into());
            }
            ip.to_owned()
        }
        None => account.next_ips().0,
    };
    // On a network of the account's own, an address of its subnet; on the default network,
    // the account's private range.
    let (private_ip, net_id) = match network.filter(|n| !n.default) {
        Some(n) => (
            super::network::free_host(account, &n).ok_or("no free address in the network")?,
            Some(n.id),
        ),
        None => (account.next_ips().1, None),
    };
    let id = uuid::Uuid::new_v4().to_string();
    // A password is set unless SSH keys are given (set_password is for non-templates; the
    // service sets one for official templates by default).
    let password = keys
        .is_empty()
        .then(|| uuid::Uuid::new_v4().simple().to_string()[..16].to_owned());
    account.vms.insert(
        id.clone(),
        Vm {
            id: id.clone(),
            hostname: hostname.to_owned(),
            plan_id: plan.id,
            image,
            region,
            power: Power::Building,
            since: ctx.now,
            public_ip,
            private_ip,
            net_id,
            login_password: password,
            security_groups: groups,
            extra_private_ips: Vec::new(),
            fairshare: (false, false),
            bandwidth_used_gb: 0.0,
            created: ctx.now,
        },
    );
    if let Some(volume) = boot_volume.and_then(|v| account.volumes.volumes.get_mut(&v)) {
        volume.phase = super::volume::Phase::InUse;
        volume.attached = Some(id.clone());
    }
    Ok(ok(obj([("vm_id", s(id))])))
}

/// Power actions; which ones a state allows follows OpenStack (a VM being built takes none).
fn power(ctx: &mut Ctx<'_>, target: Power) -> Outcome {
    with_vm(ctx, |vm, now| {
        use Power::*;
        let next = match (vm.power, target) {
            (Building, _) => return Err("the VM is still being built".into()),
            (Shelved | Unshelving, Unshelving) if vm.power == Shelved => Unshelving,
            (Shelved | Unshelving, _) => return Err("the VM is shelved; unshelve it first".into()),
            (_, Unshelving) => return Err("the VM is not shelved".into()),
            (Offline, PoweringOff) => Offline,
            (Online, Online) => Online,
            (Offline | Rescue, Online) | (_, Rebooting) => Rebooting,
            (Offline, Rescue) => return Err("start the VM before entering rescue mode".into()),
            (_, target) => target,
        };
        if next != vm.power {
            vm.power = next;
            vm.since = now;
        }
        Ok(())
    })
}

fn rename(ctx: &mut Ctx<'_>) -> Outcome {
    let hostname = ctx.p.req("hostname")?.to_owned();
    if !valid_hostname(&hostname) {
        return Err("invalid hostname".into());
    }
    with_vm(ctx, |vm, _| {
        vm.hostname = hostname;
        Ok(())
    })
}

fn reimage(ctx: &mut Ctx<'_>) -> Outcome {
    let id = vm_id(ctx.account, ctx.p)?;
    let image_id = ctx.p.req("image_id")?;
    let region = ctx.account.vms[&id].region.clone();
    let image = ctx
        .account
        .images
        .bootable(image_id, &region)
        .ok_or("invalid image")?;
    let vm = ctx.account.vms.get_mut(&id).ok_or("invalid vm")?;
    if matches!(
        vm.power,
        Power::Building | Power::Shelved | Power::Unshelving
    ) {
        return Err("the VM cannot be reimaged in its current state".into());
    }
    vm.image = image;
    vm.power = Power::Building;
    vm.since = ctx.now;
    Ok(done())
}

fn resize(ctx: &mut Ctx<'_>) -> Outcome {
    let plan = plan_by_ref(ctx.p.req("plan_id")?).ok_or("invalid plan selection")?;
    with_vm(ctx, |vm, now| {
        let current = plan_by_ref(&vm.plan_id.to_string());
        // Upstream reports success but does nothing for a storage downsize (CONFIRMED
        // third-party observation, reference §2.2): the emulator does the same.
        if current.is_some_and(|c| plan.storage_gb < c.storage_gb) {
            return Ok(());
        }
        if vm.plan_id != plan.id {
            vm.plan_id = plan.id;
            if vm.power == Power::Online {
                vm.power = Power::Rebooting;
                vm.since = now;
            }
        }
        Ok(())
    })
}

fn vnc(ctx: &mut Ctx<'_>) -> Outcome {
    let id = vm_id(ctx.account, ctx.p)?;
    let region = &ctx.account.vms[&id].region;
    let token = uuid::Uuid::new_v4();
    Ok(ok(obj([(
        "vnc_url",
        s(format!(
            "https://{region}-ctrl.lunanode.com:6080/vnc_auto.html?token={token}"
        )),
    )])))
}

fn floatingip_add(ctx: &mut Ctx<'_>) -> Outcome {
    let id = vm_id(ctx.account, ctx.p)?;
    let (region, has_ip, private) = {
        let vm = &ctx.account.vms[&id];
        (
            vm.region.clone(),
            !vm.public_ip.is_empty(),
            vm.private_ip.clone(),
        )
    };
    if has_ip {
        return Err("the VM already has a floating IP".into());
    }
    if ctx.p.opt("private_ip").is_some_and(|ip| ip != private) {
        return Err("invalid private_ip".into());
    }
    let ip = match ctx.p.opt("ip") {
        Some(ip) => {
            if !super::floating::take_unattached(&mut ctx.account.floating, &region, ip) {
                return Err("invalid ip (not an unattached floating IP in this region)".into());
            }
            ip.to_owned()
        }
        None => ctx.account.next_ips().0,
    };
    if let Some(vm) = ctx.account.vms.get_mut(&id) {
        vm.public_ip = ip.clone();
    }
    Ok(ok(obj([("ip", s(ip))])))
}

fn floatingip_delete(ctx: &mut Ctx<'_>) -> Outcome {
    let id = vm_id(ctx.account, ctx.p)?;
    let keep = match ctx.p.opt("keep") {
        None | Some("no") => false,
        Some("yes") => true,
        Some(_) => return Err("invalid keep (yes or no)".into()),
    };
    let vm = ctx.account.vms.get_mut(&id).ok_or("invalid vm")?;
    if vm.public_ip.is_empty() || ctx.p.opt("ip").is_some_and(|ip| ip != vm.public_ip) {
        return Err("invalid ip".into());
    }
    let ip = std::mem::take(&mut vm.public_ip);
    let region = vm.region.clone();
    if keep {
        super::floating::release(&mut ctx.account.floating, &region, ip);
    }
    Ok(done())
}

fn iplist(ctx: &mut Ctx<'_>) -> Outcome {
    let id = vm_id(ctx.account, ctx.p)?;
    let vm = &ctx.account.vms[&id];
    let mut ips = vec![json!({"ip": vm.private_ip, "type": "private", "version": "4"})];
    ips.extend(
        vm.extra_private_ips
            .iter()
            .map(|ip| json!({"ip": ip, "type": "private", "version": "4"})),
    );
    if !vm.public_ip.is_empty() {
        ips.push(json!({"ip": vm.public_ip, "type": "floating", "version": "4"}));
    }
    Ok(ok(obj([("ips", Value::Array(ips))])))
}

fn ip_add(ctx: &mut Ctx<'_>) -> Outcome {
    let id = vm_id(ctx.account, ctx.p)?;
    let ip = match ctx.p.opt("ip") {
        Some(ip) => {
            let ok_shape = ip
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|a| a.is_private());
            let taken = ctx
                .account
                .vms
                .values()
                .any(|vm| vm.private_ip == ip || vm.extra_private_ips.iter().any(|e| e == ip));
            if !ok_shape || taken {
                return Err("invalid ip (an unallocated address in the VM's network)".into());
            }
            ip.to_owned()
        }
        None => {
            // In the VM's own network when it has one.
            let net = ctx.account.vms.get(&id).and_then(|vm| vm.net_id);
            let network = net.and_then(|n| {
                let region = ctx.account.vms.get(&id)?.region.clone();
                super::network::find(ctx.account, &region, &n.to_string()).cloned()
            });
            match network {
                Some(n) => super::network::free_host(ctx.account, &n)
                    .ok_or("no free address in the network")?,
                None => ctx.account.next_ips().1,
            }
        }
    };
    if let Some(vm) = ctx.account.vms.get_mut(&id) {
        vm.extra_private_ips.push(ip.clone());
    }
    Ok(ok(obj([("ip", s(ip))])))
}

fn ip_delete(ctx: &mut Ctx<'_>) -> Outcome {
    let ip = ctx.p.req("ip")?.to_owned();
    with_vm(ctx, |vm, _| {
        let before = vm.extra_private_ips.len();
        vm.extra_private_ips.retain(|e| *e != ip);
        if vm.extra_private_ips.len() == before {
            return Err("invalid ip".into());
        }
        Ok(())
    })
}

fn securitygroup(ctx: &mut Ctx<'_>, add: bool) -> Outcome {
    let id = vm_id(ctx.account, ctx.p)?;
    let group = ctx.p.req("group_id")?;
    let region = ctx.account.vms[&id].region.clone();
    let name = super::securitygroup::group_name(ctx.account, &region, group)
        .ok_or("invalid security group")?;
    let vm = ctx.account.vms.get_mut(&id).ok_or("invalid vm")?;
    let present = vm.security_groups.contains(&name);
    match (add, present) {
        (true, true) => Err("the VM is already in this security group".into()),
        (false, false) => Err("the VM is not in this security group".into()),
        (true, false) => {
            vm.security_groups.push(name);
            Ok(done())
        }
        (false, true) => {
            vm.security_groups.retain(|g| *g != name);
            Ok(done())
        }
    }
}

fn snapshot(ctx: &mut Ctx<'_>) -> Outcome {
    let id = vm_id(ctx.account, ctx.p)?;
    let name = ctx.p.req("name")?.to_owned();
    let vm = &ctx.account.vms[&id];
    if vm.power == Power::Building {
        return Err("the VM is still being built".into());
    }
    let region = vm.region.clone();
    // The image stands for the plan's disk (a small stand-in, see `stand_in_size`); it goes
    // `queued` → `saving` → `active` (CONFIRMED, reference §3).
    let disk_gb = plan_by_ref(&vm.plan_id.to_string()).map_or(10, |p| p.storage_gb);
    let image_id = ctx.account.next_id();
    let spec = super::image::ImageSpec {
        name: &name,
        region: &region,
        size: super::image::stand_in_size(u64::from(disk_gb)),
        disk_format: super::image::DiskFormat::Qcow2,
        virtio: true,
        fails: false,
    };
    ctx.account.images.add(image_id, spec, ctx.now);
    Ok(ok(obj([("image_id", s(image_id))])))
}

/// 24 hourly samples ending now, shaped by the VM id so each VM's graph differs but stays
/// stable between calls.
fn usage(ctx: &mut Ctx<'_>) -> Outcome {
    let id = vm_id(ctx.account, ctx.p)?;
    let key = ctx.p.req("key")?;
    if !matches!(key, "bandwidth" | "cpu" | "io") {
        return Err("invalid key (bandwidth, cpu or io)".into());
    }
    let seed = id
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let now = crate::emulator::state::unix_now() / 3600 * 3600;
    let samples: Vec<Value> = (0..24)
        .map(|i| {
            let t = now - (23 - i) * 3600;
            let wave = ((i as f64 + (seed % 24) as f64) / 24.0 * std::f64::consts::TAU).sin() * 0.5 + 0.5;
            let base = (seed % 97) as f64 / 97.0;
            match key {
                "bandwidth" => {
                    let incoming = 2_000.0 + 90_000.0 * wave * (0.5 + base);
                    let outgoing = 1_000.0 + 40_000.0 * wave;
                    json!({"unix_time": s(t), "incoming_rate": format!("{incoming:.2}"),
                           "outgoing_rate": format!("{outgoing:.2}"), "total_rate": format!("{:.2}", incoming + outgoing)})
                }
                "cpu" => json!({"unix_time": s(t), "percent": format!("{:.2}", 2.0 + 60.0 * wave * (0.3 + base))}),
                _ => json!({"unix_time": s(t), "read": format!("{:.2}", 10_000.0 * wave), "write": format!("{:.2}", 25_000.0 * wave * base)}),
            }
        })
        .collect();
    Ok(ok(obj([("usage", Value::Array(samples))])))
}
