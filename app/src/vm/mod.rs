//! The VM area: list (live), detail, create, every `vm/*` action, plus plans, regions and
//! SSH keys. Server functions only; the pages are in `crate::pages`. Each function starts
//! at the one authorization point and calls Luna Node only through its grant.

use leptos::prelude::*;

pub use crate::model::vm::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::lunanode::actions as api;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use std::time::Duration;

    use crate::error::{AppError, FieldErrors};
    use crate::server::authz::{authorize, Grant, Permission, QuotaLock, Target};
    use crate::server::lunanode::actions as api;
    use crate::server::lunanode::Action;

    use super::*;
    pub use crate::catalog::ssr::{plans, regions};
    pub(crate) use crate::server::made::{find_made, id_order, newest};

    pub const VM: &str = "The virtual machine";

    /// Authorizes `action` on VM `vm_id` (which must look like an id: no upstream call is
    /// made for junk).
    /// Checks that `vm_id` looks like an id (no upstream call is made for junk).
    pub fn vm_target(vm_id: &str) -> Result<Target, AppError> {
        let id = vm_id.trim();
        if id.is_empty()
            || id.len() > 64
            || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(AppError::NotFound(VM.into()));
        }
        Ok(Target::vm(id))
    }

    /// Whether the grant's caller may see VMs' initial login details: everyone but a
    /// customer whose reseller turned them off (the customer's policy).
    pub fn may_see_login<P: Permission>(g: &Grant<P>) -> bool {
        g.customer().is_none_or(|c| c.policy.show_login_details)
    }

    /// Authorizes `P` on VM `vm_id`.
    pub async fn on_vm<P: Permission>(vm_id: &str) -> Result<Grant<P>, AppError> {
        let target = vm_target(vm_id);
        authorize::<P>(target?).await
    }

    /// Authorizes `P` on VM `vm_id` that also uses `refs` (a plan, an image, …).
    pub async fn on_vm_refs<P: Permission>(
        vm_id: &str,
        refs: Vec<Target>,
    ) -> Result<Grant<P>, AppError> {
        let target = vm_target(vm_id);
        crate::server::authz::authorize_refs::<P>(target?, refs).await
    }

    pub async fn on_account<P: Permission>() -> Result<Grant<P>, AppError> {
        authorize::<P>(Target::Account).await
    }

    /// The whole of a simple VM change: authorizes `req` on VM `vm_id` (with `refs`),
    /// makes the call (audited) and has live status look at the VM at once.
    pub async fn act<A: Action + 'static>(
        vm_id: &str,
        refs: Vec<Target>,
        req: A,
        what: &str,
    ) -> Result<A::Response, AppError> {
        let g = on_vm_refs::<A>(vm_id, refs).await?;
        let answer = g.call(&req, what).await?;
        g.kick();
        Ok(answer)
    }

    /// After a change: have the live poller look at this VM at once.
    pub fn kick<P: Permission>(grant: &Grant<P>, vm_id: &str) {
        grant.state().live.kick(grant.account, &[vm_id]);
    }

    pub async fn snapshot<P: Permission>(grant: &Grant<P>) -> Result<VmListing, AppError> {
        let snap = grant
            .state()
            .live
            .snapshot(grant.account, Duration::from_secs(20))
            .await?;
        if snap.listed_at.is_none() {
            if let Some(problem) = &snap.problem {
                return Err(AppError::Upstream {
                    problem: crate::error::UpstreamProblem::Unavailable,
                    message: problem.clone(),
                });
            }
        }
        Ok((*snap).clone())
    }

    /// Refuses a customer's new VM of `plan_id` (or VM `replacing` moved to that plan) when
    /// it would pass their quota, before Luna Node is asked. Counted under their quota lock
    /// (held by the caller until the new VM is claimed) from the ledger as read under it:
    /// sizes from the live list, or for a VM it does not show yet (made a moment ago) from
    /// `vm/info`.
    pub async fn check_vm_quota<P: Permission>(
        g: &Grant<P>,
        lock: &QuotaLock,
        plan_id: &str,
        replacing: Option<&str>,
    ) -> Result<(), AppError> {
        let Some(customer) = g.customer() else {
            return Ok(());
        };
        let q = customer.policy.quotas.clone();
        let g = &g.under(lock);
        let plans = plans(g).await?;
        // A plan may be named by its id or its name (`m.2`: reference §5, CONFIRMED).
        let plan = plans
            .iter()
            .find(|p| p.plan_id == plan_id || p.name == plan_id)
            .ok_or_else(|| AppError::NotFound("The plan".into()))?
            .clone();
        let listed = g
            .state()
            .live
            .snapshot(g.account, Duration::from_secs(20))
            .await?;
        let size = |plan_id: &str| {
            plans
                .iter()
                .find(|p| p.plan_id == plan_id || p.name == plan_id)
                .map(|p| (u64::from(p.vcpu), u64::from(p.ram_mb), u64::from(p.disk_gb)))
        };
        // A resized VM counts with its new plan only.
        let (mut vms, mut vcpu, mut ram, mut disk) = (0u64, 0u64, 0u64, 0u64);
        for id in lock.held("vm").filter(|id| Some(*id) != replacing) {
            let sized = match listed.vms.iter().find(|v| v.vm_id == id) {
                Some(v) => Some((
                    v.vcpu.map_or(0, u64::from),
                    v.ram_mb.map_or(0, u64::from),
                    v.disk_gb.map_or(0, u64::from),
                )),
                None => {
                    let info = g.also::<api::VmInfo>(Target::vm(id.to_owned())).await?;
                    let vm = api::VmInfo {
                        vm_id: id.to_owned(),
                    };
                    match info.call(&vm, VM).await {
                        // Gone (deleted outside the panel): not theirs any more.
                        Err(AppError::NotFound(_)) => continue,
                        Ok(i) => i.extra.and_then(|e| size(&e.plan_id)),
                        Err(_) => None,
                    }
                }
            };
            let (c, r, d) = sized.unwrap_or_default();
            vms += 1;
            vcpu += c;
            ram += r;
            disk += d;
        }
        let over =
            |limit: Option<u64>, used: u64, adds: u64| limit.is_some_and(|l| used + adds > l);
        let adds_vm = u64::from(replacing.is_none());
        let message = if over(q.vms.map(u64::from), vms, adds_vm) {
            format!(
                "Your plan allows {} servers and you have {vms}.",
                q.vms.unwrap_or_default()
            )
        } else if over(q.vcpu.map(u64::from), vcpu, u64::from(plan.vcpu)) {
            format!(
                "This plan needs {} vCPUs; you use {vcpu} of your {}.",
                plan.vcpu,
                q.vcpu.unwrap_or_default()
            )
        } else if over(q.ram_mb, ram, u64::from(plan.ram_mb)) {
            format!(
                "This plan needs {} MB of memory; you use {ram} of your {} MB.",
                plan.ram_mb,
                q.ram_mb.unwrap_or_default()
            )
        } else if over(q.disk_gb, disk, u64::from(plan.disk_gb)) {
            format!(
                "This plan needs {} GB of disk; you use {disk} of your {} GB.",
                plan.disk_gb,
                q.disk_gb.unwrap_or_default()
            )
        } else {
            return Ok(());
        };
        Err(AppError::Quota(format!(
            "{message} Choose a smaller plan, delete a server, or ask your provider for more."
        )))
    }

    /// The VM `vm/create` made: the last one listed with this hostname that was not listed
    /// before the create (`known`; VM ids are UUIDs, so there is no "largest").
    pub async fn made_vm<P: Permission>(
        g: &Grant<P>,
        hostname: &str,
        known: &[String],
    ) -> Option<String> {
        find_made(g, &api::VmList {}, "vm", hostname, |l| {
            l.vms
                .iter()
                .filter(|v| {
                    (v.hostname == hostname || v.name == hostname) && !known.contains(&v.vm_id)
                })
                .map(|v| v.vm_id.clone())
                .next_back()
        })
        .await
    }

    /// The snapshot image `vm/snapshot` made: the newest of the account's own images with
    /// this name.
    pub async fn made_image<P: Permission>(g: &Grant<P>, name: &str) -> Option<String> {
        let req = api::ImageList { region: None };
        find_made(g, &req, "image", name, |l| {
            newest(
                l.images
                    .iter()
                    .filter(|i| i.name == name && !i.is_public())
                    .map(|i| i.image_id.as_str()),
            )
        })
        .await
    }

    /// The floating IP `vm/floatingip-add` just gave VM `vm_id` (its answer's payload is
    /// UNKNOWN): the newest one attached to the VM that this grant does not hold yet.
    pub async fn made_floating<P: Permission>(g: &Grant<P>, vm_id: &str) -> Option<String> {
        find_made(g, &api::FloatingList {}, "floating", vm_id, |l| {
            l.ips
                .iter()
                .filter(|f| f.attached_id == vm_id)
                .filter(|f| {
                    g.customer()
                        .is_none_or(|_| !g.sees(&crate::kinds::FLOATING, &f.ip))
                })
                .max_by(|a, b| id_order(&a.id, &b.id))
                .map(|f| f.ip.clone())
        })
        .await
    }

    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        FieldErrors::single(field, message)
    }

    /// Checks a confirmation against the VM's real hostname.
    pub async fn confirm_hostname<P: Permission>(
        base: &Grant<P>,
        vm_id: &str,
        typed: &str,
    ) -> Result<(), AppError> {
        let g = base.also::<api::VmInfo>(vm_target(vm_id)?).await?;
        let info = g
            .call(
                &api::VmInfo {
                    vm_id: vm_id.to_owned(),
                },
                VM,
            )
            .await?;
        if typed.trim() != info.info.hostname {
            return Err(field(
                "confirm",
                "Type the VM's hostname exactly to confirm.",
            ));
        }
        Ok(())
    }
}

/// The account's VMs with their live status (from the shared poller).
#[server(name = VmListFn, endpoint = "vms/list")]
pub async fn vm_list() -> Result<VmListing, AppError> {
    let g = ssr::on_account::<api::VmList>().await?;
    if g.state().store.credential(g.account).await?.is_none() {
        return Err(g.neutral(AppError::NoCredential));
    }
    let snapshot = ssr::snapshot(&g).await.map_err(|e| g.neutral(e))?;
    Ok(g.filter_snapshot(&snapshot))
}

/// One page of the account's VMs (search, filters, sort, page and size as `paging` asks),
/// paged from the shared poller's snapshot after the viewer's filter: authorized exactly as
/// `vms/list`, and a customer's counts never include a VM that is not theirs.
#[server(name = VmPageFn, endpoint = "vms/page")]
pub async fn vm_page(
    #[server(default)] paging: crate::components::list_rules::PageRequest,
) -> Result<VmListing, AppError> {
    let all = vm_list().await?;
    Ok(crate::pages::vms::page_of(all, &paging))
}

/// Everything about one VM, except its login details.
#[server(name = VmDetailFn, endpoint = "vms/detail")]
pub async fn vm_detail(vm_id: String) -> Result<VmDetail, AppError> {
    use crate::server::authz::Target;
    use crate::server::lunanode::actions as api;
    let g = ssr::on_vm::<api::VmInfo>(&vm_id).await?;
    let info = g
        .call(
            &api::VmInfo {
                vm_id: vm_id.clone(),
            },
            ssr::VM,
        )
        .await?;
    let ips_grant = g.also::<api::VmIplist>(ssr::vm_target(&vm_id)?).await?;
    let floating_grant = g.also::<api::FloatingList>(Target::Account).await?;
    let iplist = api::VmIplist {
        vm_id: vm_id.clone(),
    };
    let (ips, floating, plans) = futures::join!(
        ips_grant.call(&iplist, ssr::VM),
        floating_grant.call(&api::FloatingList {}, "The floating IP list"),
        ssr::plans(&g),
    );
    let plans = plans.unwrap_or_default();
    // A failing secondary list should not hide the VM.
    let ips = ips.map(|l| l.ips).unwrap_or_default();
    let floating = floating.map(|l| l.ips).unwrap_or_default();
    let may_see_login = ssr::may_see_login(&g);
    let d = info.info;
    let extra = info.extra;
    let region = extra.as_ref().map(|e| e.region.clone()).unwrap_or_default();
    let (network, load_balancers) =
        crate::network::ssr::vm_relations(&g, &region, &d.privateip).await;
    Ok(VmDetail {
        network,
        load_balancers,
        hostname: d.hostname,
        status: d.status_nohtml,
        status_raw: d.status_raw,
        task_state: d.task_state,
        plan_id: extra
            .as_ref()
            .map(|e| e.plan_id.clone())
            .unwrap_or_default(),
        plan_name: {
            let id = extra
                .as_ref()
                .map(|e| e.plan_id.as_str())
                .unwrap_or_default();
            plans
                .iter()
                .find(|p| p.plan_id == id)
                .map_or_else(|| id.to_owned(), |p| p.name.clone())
        },

        region: extra.as_ref().map(|e| e.region.clone()).unwrap_or_default(),
        vcpu: extra.as_ref().and_then(|e| e.vcpu),
        ram_mb: extra.as_ref().and_then(|e| e.ram),
        disk_gb: extra.as_ref().and_then(|e| e.storage),
        bandwidth_gb: extra.as_ref().and_then(|e| e.bandwidth),
        bandwidth_used_gb: d.bandwidth_used_gb,
        os: d.os,
        ip: d.ip,
        private_ip: d.privateip,
        addresses: d
            .addresses
            .into_iter()
            .map(|a| AddressView {
                addr: a.addr,
                version: a.version,
                external: a.external,
                reverse: a.reverse,
            })
            .collect(),
        additional_ips: d.additionalip,
        additional_private_ips: d.additionalprivateip,
        ipv6: d.ipv6,
        security_groups: d.security_groups,
        volumes: d
            .volumes
            .into_iter()
            .map(|v| NamedId {
                id: v.id,
                name: v.name,
            })
            .collect(),
        ips: ips
            .into_iter()
            .map(|i| IpView {
                ip: i.ip,
                kind: i.kind,
                version: i.version,
            })
            .collect(),
        floating_ips: floating
            .into_iter()
            .filter(|f| f.attached_id == vm_id)
            .map(|f| f.ip)
            .collect(),
        has_login_details: d.login_details.is_some() && may_see_login,
        login_details_hidden: !may_see_login,
        can_diskswap: d.diskswap.is_some(),
        vm_id,
    })
}

/// The VM's initial login details (only when asked: they are not part of the page).
/// Refused, before Luna Node is asked, to a customer whose reseller turned them off.
#[server(name = VmLoginFn, endpoint = "vms/login")]
pub async fn vm_login(vm_id: String) -> Result<Option<String>, AppError> {
    use crate::server::events::{action::DENIED_PREFIX, record, Event};
    use crate::server::lunanode::actions as api;
    use crate::server::store::Outcome;
    let g = ssr::on_vm::<api::VmInfo>(&vm_id).await?;
    if !ssr::may_see_login(&g) {
        let event = Event::by(&g.actor, &format!("{DENIED_PREFIX}vm/login"))
            .target(format!("vm:{}", vm_id.trim()))
            .outcome(Outcome::Denied, Some("policy"));
        record(g.state(), event).await;
        return Err(AppError::Forbidden);
    }
    let info = g.call(&api::VmInfo { vm_id }, ssr::VM).await?;
    Ok(info.info.login_details)
}

/// One usage graph of the VM.
#[server(name = VmUsageFn, endpoint = "vms/usage")]
pub async fn vm_usage(vm_id: String, key: UsageKey) -> Result<Vec<UsagePoint>, AppError> {
    use crate::server::lunanode::actions as api;
    let g = ssr::on_vm::<api::VmUsage>(&vm_id).await?;
    let usage = g
        .call(
            &api::VmUsage {
                vm_id,
                key: key.as_str().into(),
            },
            ssr::VM,
        )
        .await?;
    Ok(usage
        .usage
        .into_iter()
        .map(|s| match key {
            UsageKey::Bandwidth => UsagePoint {
                t: s.unix_time,
                a: s.incoming_rate.unwrap_or(0.0),
                b: s.outgoing_rate,
            },
            UsageKey::Cpu => UsagePoint {
                t: s.unix_time,
                a: s.percent.unwrap_or(0.0),
                b: None,
            },
            UsageKey::Io => UsagePoint {
                t: s.unix_time,
                a: s.read.unwrap_or(0.0),
                b: s.write,
            },
        })
        .collect())
}

/// Everything the create wizard offers, fetched at once.
#[server(name = VmCreateOptionsFn, endpoint = "vms/create_options")]
pub async fn vm_create_options() -> Result<CreateOptions, AppError> {
    use crate::kinds;
    use crate::server::lunanode::actions as api;
    let images = ssr::on_account::<api::ImageList>().await?;
    let (plans, regions) = futures::join!(ssr::plans(&images), ssr::regions(&images));
    let (plans, regions) = (plans?, regions?);
    // The other choices come from the registry's listers, as the caller may see them.
    let choices = |kind: &'static kinds::Kind| {
        let images = images.clone();
        async move {
            Ok::<_, AppError>(
                images
                    .list_kind(kind)
                    .await?
                    .into_iter()
                    .filter(|r| r.usable)
                    .collect::<Vec<_>>(),
            )
        }
    };
    let regional = |rows: Vec<kinds::Listed>| {
        rows.into_iter()
            .map(|r| RegionalChoice {
                id: r.id,
                name: r.name,
                region: r.region,
            })
            .collect::<Vec<_>>()
    };
    let named = |rows: Vec<kinds::Listed>| {
        rows.into_iter()
            .map(|r| NamedId {
                id: r.id,
                name: r.name,
            })
            .collect::<Vec<_>>()
    };
    let (listed, volumes, networks, groups, scripts, keys, floating) = futures::join!(
        images.call(&api::ImageList { region: None }, "The image list"),
        choices(&kinds::VOLUME),
        choices(&kinds::NETWORK),
        choices(&kinds::SECURITYGROUP),
        choices(&kinds::SCRIPT),
        choices(&kinds::SSHKEY),
        choices(&kinds::FLOATING),
    );
    // Networks only in the regions the caller may use.
    let networks: Vec<RegionalChoice> = regional(networks?)
        .into_iter()
        .filter(|n| regions.iter().any(|r| r.code == n.region))
        .collect();
    Ok(CreateOptions {
        images: images
            .usable_images(listed?.images)
            .into_iter()
            .filter(|i| i.status == "active" || i.status.is_empty())
            .map(|i| ImageChoice {
                public: i.is_public(),
                image_id: i.image_id,
                name: i.name,
                region: i.region,
            })
            .collect(),
        regions,
        plans,
        volumes: regional(volumes?),
        networks,
        security_groups: regional(groups?),
        scripts: named(scripts?),
        ssh_keys: named(keys?),
        floating_ips: regional(floating?),
    })
}

/// Creates a VM; returns its id. Every field is checked before Luna Node is asked.
#[server(name = VmCreateFn, endpoint = "vms/create")]
pub async fn vm_create(vm: NewVm) -> Result<String, AppError> {
    use crate::error::FieldErrors;
    use crate::server::authz::{authorize_refs, Target};
    use crate::server::lunanode::actions as api;
    // Everything the VM is made with is checked along with the action.
    let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let mut refs = vec![Target::Plan(vm.plan_id.trim().to_owned())];
    refs.extend(opt(&vm.region).map(Target::Region));
    match vm.boot.split_once(':') {
        Some(("image", id)) if !id.is_empty() => refs.push(Target::image(id.to_owned())),
        Some(("volume", id)) if !id.is_empty() => refs.push(Target::volume(id.to_owned())),
        _ => {}
    }
    refs.extend(opt(&vm.net_id).map(Target::network));
    refs.extend(opt(&vm.floating_ip).map(Target::floating));
    refs.extend(
        vm.security_groups
            .iter()
            .cloned()
            .map(Target::securitygroup),
    );
    refs.extend(vm.scripts.iter().cloned().map(Target::script));
    refs.extend(vm.ssh_keys.iter().cloned().map(Target::sshkey));
    let g = authorize_refs::<api::VmCreate>(Target::Account, refs).await?;
    let mut errors = FieldErrors::new();
    if let Err(e) = check_hostname(&vm.hostname) {
        errors.add("hostname", e);
    }
    if vm.region.trim().is_empty() {
        errors.add("region", "Choose a region.");
    }
    if vm.plan_id.trim().is_empty() {
        errors.add("plan_id", "Choose a plan.");
    }
    let (image_id, volume_id) = match vm.boot.split_once(':') {
        Some(("image", id)) if !id.is_empty() => (Some(id.to_owned()), None),
        Some(("volume", id)) if !id.is_empty() => (None, Some(id.to_owned())),
        _ => {
            errors.add("boot", "Choose an image or a bootable volume.");
            (None, None)
        }
    };
    if vm.affinity_group.len() > 64 {
        errors.add("affinity_group", "At most 64 characters.");
    }
    errors.into_result()?;
    // Held until the new VM is claimed: parallel creates are counted one after another.
    let quota = g.quota_lock().await?;
    if let Some(lock) = &quota {
        ssr::check_vm_quota(&g, lock, vm.plan_id.trim(), None).await?;
    }
    // The VMs known before (no upstream call): should the answer lack the new VM's id,
    // it is the one that was not there.
    let known: Vec<String> = g
        .state()
        .live
        .subscribe(g.account)
        .borrow()
        .vms
        .iter()
        .map(|v| v.vm_id.clone())
        .collect();
    let hostname = vm.hostname.trim().to_owned();
    let created = g
        .call(
            &api::VmCreate {
                hostname: hostname.clone(),
                plan_id: vm.plan_id.trim().to_owned(),
                image_id,
                volume_id,
                volume_virtio: None,
                region: opt(&vm.region),
                ip: opt(&vm.floating_ip),
                net_id: opt(&vm.net_id),
                securitygroups: vm.security_groups,
                scripts: vm.scripts.clone(),
                key_id: vm.ssh_keys,
                set_password: vm.set_password.then_some(true),
                affinity_group: opt(&vm.affinity_group),
            },
            "The chosen image, plan or region",
        )
        .await?;
    // `success` means made, even without the id (then found by hostname).
    let vm_id = match created.vm_id {
        id if !id.is_empty() => Some(id),
        _ => ssr::made_vm(&g, &hostname, &known).await,
    };
    let Some(vm_id) = vm_id else {
        // Made, but not found yet: the list shows it once Luna Node lists it ("" tells
        // the page to go to the list).
        g.state().live.kick(g.account, &[]);
        return Ok(String::new());
    };
    // Recorded in the same step: a customer's new VM is theirs from the first moment.
    g.claim(&crate::kinds::VM, &vm_id).await?;
    drop(quota);
    crate::script::ssr::record_uses(&g, &vm.scripts, &vm_id, &hostname).await;
    ssr::kick(&g, &vm_id);
    Ok(vm_id)
}

/// Start, stop, reboot, shelve, unshelve, rescue or disk swap.
#[server(name = VmPowerFn, endpoint = "vms/power")]
pub async fn vm_power(vm_id: String, op: PowerOp) -> Result<(), AppError> {
    use crate::server::lunanode::actions as api;
    let id = vm_id.clone();
    let vm = ssr::VM;
    match op {
        PowerOp::Start => ssr::act(&vm_id, vec![], api::VmStart { vm_id: id }, vm).await?,
        PowerOp::Stop => ssr::act(&vm_id, vec![], api::VmStop { vm_id: id }, vm).await?,
        PowerOp::Reboot => ssr::act(&vm_id, vec![], api::VmReboot { vm_id: id }, vm).await?,
        PowerOp::Shelve => ssr::act(&vm_id, vec![], api::VmShelve { vm_id: id }, vm).await?,
        PowerOp::Unshelve => ssr::act(&vm_id, vec![], api::VmUnshelve { vm_id: id }, vm).await?,
        PowerOp::Rescue => ssr::act(&vm_id, vec![], api::VmRescue { vm_id: id }, vm).await?,
        PowerOp::Diskswap => ssr::act(&vm_id, vec![], api::VmDiskswap { vm_id: id }, vm).await?,
    };
    Ok(())
}

/// Deletes a VM; `confirm` must be its hostname.
#[server(name = VmDeleteFn, endpoint = "vms/delete")]
pub async fn vm_delete(vm_id: String, confirm: String) -> Result<(), AppError> {
    use crate::server::lunanode::actions as api;
    let g = ssr::on_vm::<api::VmDelete>(&vm_id).await?;
    ssr::confirm_hostname(&g, &vm_id, &confirm).await?;
    g.call(
        &api::VmDelete {
            vm_id: vm_id.clone(),
        },
        ssr::VM,
    )
    .await?;
    g.release(&crate::kinds::VM, &vm_id).await;
    ssr::kick(&g, &vm_id);
    Ok(())
}

/// Renames a VM.
#[server(name = VmRenameFn, endpoint = "vms/rename")]
pub async fn vm_rename(vm_id: String, hostname: String) -> Result<(), AppError> {
    use crate::server::lunanode::actions as api;
    let g = ssr::on_vm::<api::VmRename>(&vm_id).await?;
    check_hostname(&hostname).map_err(|e| ssr::field("hostname", e))?;
    g.call(
        &api::VmRename {
            vm_id: vm_id.clone(),
            hostname: hostname.trim().to_owned(),
        },
        ssr::VM,
    )
    .await?;
    ssr::kick(&g, &vm_id);
    Ok(())
}

/// Moves a VM to another plan.
#[server(name = VmResizeFn, endpoint = "vms/resize")]
pub async fn vm_resize(vm_id: String, plan_id: String) -> Result<(), AppError> {
    use crate::server::authz::Target;
    use crate::server::lunanode::actions as api;
    let plan = Target::Plan(plan_id.trim().to_owned());
    let g = ssr::on_vm_refs::<api::VmResize>(&vm_id, vec![plan]).await?;
    if plan_id.trim().is_empty() {
        return Err(ssr::field("plan_id", "Choose a plan."));
    }
    let quota = g.quota_lock().await?;
    if let Some(lock) = &quota {
        ssr::check_vm_quota(&g, lock, plan_id.trim(), Some(vm_id.trim())).await?;
    }
    g.call(
        &api::VmResize {
            vm_id: vm_id.clone(),
            plan_id: plan_id.trim().to_owned(),
        },
        ssr::VM,
    )
    .await?;
    ssr::kick(&g, &vm_id);
    Ok(())
}

/// Re-installs a VM from an image (its disk is erased); `confirm` must be its hostname.
#[server(name = VmReimageFn, endpoint = "vms/reimage")]
pub async fn vm_reimage(vm_id: String, image_id: String, confirm: String) -> Result<(), AppError> {
    use crate::server::authz::Target;
    use crate::server::lunanode::actions as api;
    let image = Target::image(image_id.trim().to_owned());
    let g = ssr::on_vm_refs::<api::VmReimage>(&vm_id, vec![image]).await?;
    if image_id.trim().is_empty() {
        return Err(ssr::field("image_id", "Choose an image."));
    }
    ssr::confirm_hostname(&g, &vm_id, &confirm).await?;
    g.call(
        &api::VmReimage {
            vm_id: vm_id.clone(),
            image_id: image_id.trim().to_owned(),
        },
        "The VM or image",
    )
    .await?;
    ssr::kick(&g, &vm_id);
    Ok(())
}

/// Takes a snapshot image of the VM; returns the image id (`""` when Luna Node made it but
/// it could not be found yet).
#[server(name = VmSnapshotFn, endpoint = "vms/snapshot")]
pub async fn vm_snapshot(vm_id: String, name: String) -> Result<String, AppError> {
    use crate::server::lunanode::actions as api;
    let g = ssr::on_vm::<api::VmSnapshot>(&vm_id).await?;
    let name = name.trim().to_owned();
    if name.is_empty() || name.len() > 64 {
        return Err(ssr::field(
            "name",
            "Give the snapshot a name of 1 to 64 characters.",
        ));
    }
    let image = g
        .call(
            &api::VmSnapshot {
                vm_id,
                name: name.clone(),
            },
            ssr::VM,
        )
        .await?;
    let image_id = match image.image_id {
        id if !id.is_empty() => Some(id),
        _ => ssr::made_image(&g, &name).await,
    };
    match image_id {
        Some(id) => {
            g.claim(&crate::kinds::IMAGE, &id).await?;
            Ok(id)
        }
        None => Ok(String::new()),
    }
}

/// A console URL for the VM (opened in a new tab).
#[server(name = VmVncFn, endpoint = "vms/vnc")]
pub async fn vm_vnc(vm_id: String) -> Result<String, AppError> {
    use crate::server::lunanode::actions as api;
    let g = ssr::on_vm::<api::VmVnc>(&vm_id).await?;
    let url = g.call(&api::VmVnc { vm_id }, ssr::VM).await?.vnc_url;
    // Luna Node's console addresses are https (CONFIRMED in the reference:
    // `https://{region}-ctrl.lunanode.com:6080/vnc_auto.html?token=…`). Anything else —
    // plain http, `javascript:`, a look-alike host — never becomes a link (SEC-4.3).
    if !crate::validate::is_https_url(&url) {
        return Err(crate::server::context::internal(
            "the console address from Luna Node is not a plain https URL",
        ));
    }
    Ok(url)
}

/// Attaches a floating IP (a given unattached one, or a new one).
#[server(name = VmFloatingAddFn, endpoint = "vms/floating_add")]
pub async fn vm_floating_add(vm_id: String, ip: String) -> Result<Option<String>, AppError> {
    use crate::server::authz::Target;
    use crate::server::lunanode::actions as api;
    let ip = Some(ip.trim().to_owned()).filter(|s| !s.is_empty());
    let refs = ip.iter().cloned().map(Target::floating).collect();
    let g = ssr::on_vm_refs::<api::VmFloatingipAdd>(&vm_id, refs).await?;
    // A new address counts against the customer's floating IP quota, decided under their
    // quota lock (held until the address is claimed).
    let quota = if ip.is_none() {
        g.quota_lock().await?
    } else {
        None
    };
    if let (Some(c), Some(lock)) = (g.customer(), &quota) {
        lock.check_count(&crate::kinds::FLOATING, c.policy.quotas.floating_ips)?;
    }
    let given = ip.is_some();
    let attached = g
        .call(
            &api::VmFloatingipAdd {
                vm_id: vm_id.clone(),
                ip,
                private_ip: None,
            },
            "The VM or floating IP",
        )
        .await?;
    ssr::kick(&g, &vm_id);
    // The answer's payload is UNKNOWN: without the address, a new one is found attached
    // to the VM (a given one is already the caller's).
    let ip = match attached.ip {
        Some(ip) => Some(ip),
        None if given => None,
        None => ssr::made_floating(&g, &vm_id).await,
    };
    if let Some(ip) = &ip {
        g.claim(&crate::kinds::FLOATING, ip).await?;
    }
    drop(quota);
    Ok(ip)
}

/// Detaches the VM's floating IP; `keep` leaves it on the account.
#[server(name = VmFloatingDeleteFn, endpoint = "vms/floating_delete")]
pub async fn vm_floating_delete(vm_id: String, keep: bool) -> Result<(), AppError> {
    use crate::server::lunanode::actions as api;
    let g = ssr::on_vm::<api::VmFloatingipDelete>(&vm_id).await?;
    g.call(
        &api::VmFloatingipDelete {
            vm_id: vm_id.clone(),
            ip: None,
            keep: Some(keep),
        },
        ssr::VM,
    )
    .await?;
    ssr::kick(&g, &vm_id);
    Ok(())
}

/// Adds a private IP to the VM.
#[server(name = VmIpAddFn, endpoint = "vms/ip_add")]
pub async fn vm_ip_add(vm_id: String) -> Result<Option<String>, AppError> {
    use crate::server::lunanode::actions as api;
    let g = ssr::on_vm::<api::VmIpAdd>(&vm_id).await?;
    let added = g
        .call(
            &api::VmIpAdd {
                vm_id: vm_id.clone(),
                ip: None,
            },
            ssr::VM,
        )
        .await?;
    ssr::kick(&g, &vm_id);
    Ok(added.ip)
}

/// Removes one of the VM's private IPs. The argument is `address`, not `ip`: `ip` names a
/// floating IP (`kinds::FLOATING.id_arg`), which the authorization matrix would then expect
/// this function to check ownership of.
#[server(name = VmIpDeleteFn, endpoint = "vms/ip_delete")]
pub async fn vm_ip_delete(vm_id: String, address: String) -> Result<(), AppError> {
    use crate::server::lunanode::actions as api;
    let g = ssr::on_vm::<api::VmIpDelete>(&vm_id).await?;
    if address.parse::<std::net::IpAddr>().is_err() {
        return Err(ssr::field("address", "That is not an IP address."));
    }
    g.call(
        &api::VmIpDelete {
            vm_id: vm_id.clone(),
            ip: address,
        },
        "The VM or address",
    )
    .await?;
    ssr::kick(&g, &vm_id);
    Ok(())
}

/// Adds the VM to, or removes it from, a security group (of the VM's region; checked first,
/// in words). Used by the VM's page and the group's page alike; the live VM list has the
/// change when this returns.
#[server(name = VmSecurityGroupFn, endpoint = "vms/security_group")]
pub async fn vm_security_group(
    vm_id: String,
    group_id: String,
    attach: bool,
) -> Result<(), AppError> {
    use crate::securitygroup::ssr::change_membership;
    use crate::server::lunanode::actions as api;
    let group = group_id.trim().to_owned();
    let refs = vec![crate::server::authz::Target::securitygroup(&group)];
    if group.is_empty() {
        // Authorized first all the same (an empty id is nobody's): the refusal wins.
        ssr::on_vm::<api::VmSecuritygroupAdd>(&vm_id).await?;
        return Err(ssr::field("group_id", "Choose a security group."));
    }
    let vm = vm_id.trim().to_owned();
    if attach {
        let g = ssr::on_vm_refs::<api::VmSecuritygroupAdd>(&vm, refs).await?;
        let req = api::VmSecuritygroupAdd {
            vm_id: vm.clone(),
            group_id: group.clone(),
        };
        change_membership(&g, &vm, &group, true, req).await
    } else {
        let g = ssr::on_vm_refs::<api::VmSecuritygroupRemove>(&vm, refs).await?;
        let req = api::VmSecuritygroupRemove {
            vm_id: vm.clone(),
            group_id: group.clone(),
        };
        change_membership(&g, &vm, &group, false, req).await
    }
}

/// CPU fair-share settings: whether CPU use above the plan's share is charged, and whether
/// the VM lends its idle share to others.
#[server(name = VmFairshareFn, endpoint = "vms/fairshare")]
pub async fn vm_fairshare(
    vm_id: String,
    charge_for_cpu: bool,
    no_lend: bool,
) -> Result<(), AppError> {
    use crate::server::lunanode::actions as api;
    let g = ssr::on_vm::<api::VmSetFairshare>(&vm_id).await?;
    g.call(
        &api::VmSetFairshare {
            vm_id,
            charge_for_cpu,
            fairshare_nolend: no_lend,
        },
        ssr::VM,
    )
    .await?;
    Ok(())
}
