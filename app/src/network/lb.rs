//! Load balancers (`lb/*`): list, create, details with members, add members picked from the
//! VMs on the balancer's network, remove members, put a floating IP in front (one of the
//! caller's, or a new one in the same step), delete. `lb/info`'s shape is INFERRED (see
//! `api::LbDetails`): every detail is optional and a balancer whose details cannot be read
//! still shows what the list said.

use leptos::prelude::*;

use super::*;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use crate::error::AppError;
    use crate::kinds;
    use crate::server::authz::{Grant, Permission, Target};
    use crate::server::lunanode::actions as api;
    use crate::vm::VmRow;

    use super::super::ssr::{holder_of_address, target};
    use super::*;

    /// `lb/info` of balancer `id` in `region` (which the caller must be allowed to read).
    pub async fn info<P: Permission>(
        base: &Grant<P>,
        id: &str,
        region: &str,
    ) -> Result<api::LbDetails, AppError> {
        let g = base.also::<api::LbInfo>(target(&kinds::LB, id)?).await?;
        let req = api::LbInfo {
            region: region.to_owned(),
            lb_id: id.to_owned(),
        };
        Ok(g.call(&req, kinds::LB.what).await?.info)
    }

    /// A balancer's row from its list entry and (when it could be read) its details.
    pub fn row(
        listed: &crate::kinds::Listed,
        details: Result<api::LbDetails, AppError>,
        vms: &[VmRow],
        sees_vm: impl Fn(&str) -> bool,
    ) -> LbRow {
        let mut row = LbRow {
            id: listed.id.clone(),
            name: listed.name.clone(),
            region: listed.region.clone(),
            net_id: String::new(),
            network: String::new(),
            method: String::new(),
            protocol: String::new(),
            port: None,
            connection_limit: None,
            vip: String::new(),
            floating_ip: String::new(),
            status: String::new(),
            members: Vec::new(),
            problem: None,
        };
        match details {
            Ok(d) => {
                if !d.name.is_empty() {
                    row.name = d.name;
                }
                row.net_id = d.net_id;
                row.method = d.method;
                row.protocol = d.protocol;
                row.port = d.port;
                row.connection_limit = d.connection_limit;
                row.vip = d.vip;
                row.floating_ip = d.floating_ip;
                row.status = d.status;
                row.members = d
                    .members
                    .into_iter()
                    .map(|m| LbMemberRow {
                        vm: holder_of_address(vms, &row.region, &m.ip, &sees_vm),
                        id: m.id,
                        ip: m.ip,
                        port: m.port,
                        status: m.status,
                    })
                    .collect();
            }
            Err(e) => row.problem = Some(e.to_string()),
        }
        row
    }

    /// The caller's load balancers in every region, each with its details.
    pub async fn lb_rows<P: Permission>(g: &Grant<P>) -> Result<Vec<LbRow>, AppError> {
        let listed = g.list_kind(&kinds::LB).await?;
        let vms = super::super::ssr::known_vms(g).await;
        let details = futures::future::join_all(
            listed
                .iter()
                .map(|l| async move { info(g, &l.id, &l.region).await }),
        )
        .await;
        Ok(listed
            .iter()
            .zip(details)
            .map(|(l, d)| row(l, d, &vms, |id| g.sees(&kinds::VM, id)))
            .collect())
    }

    /// The caller's balancer `id` as listed (its region is needed for every other call).
    pub async fn find<P: Permission>(
        g: &Grant<P>,
        id: &str,
    ) -> Result<crate::kinds::Listed, AppError> {
        let probe = g.also::<api::LbList>(Target::Account).await?;
        probe
            .list_kind(&kinds::LB)
            .await?
            .into_iter()
            .find(|l| l.id == id)
            .ok_or_else(|| AppError::NotFound(kinds::LB.what.into()))
    }
}

/// The caller's load balancers with their settings, addresses and members.
#[server(name = LbListFn, endpoint = "lbs/list")]
pub async fn lb_list() -> Result<LbsView, AppError> {
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::LbList>(Target::Account).await?;
    let mut lbs = ssr::lb_rows(&g).await?;
    name_networks(&g, &mut lbs).await;
    Ok(LbsView { lbs })
}

/// Fills in the network names of `lbs` (left empty when the lists cannot be read).
#[cfg(feature = "ssr")]
async fn name_networks<P: crate::server::authz::Permission>(
    g: &crate::server::authz::Grant<P>,
    lbs: &mut [LbRow],
) {
    let mut regions: Vec<String> = lbs.iter().map(|l| l.region.clone()).collect();
    regions.sort();
    regions.dedup();
    if regions.is_empty() {
        return;
    }
    if let Ok(nets) = super::ssr::all_networks(g, &regions).await {
        for lb in lbs.iter_mut() {
            if let Some(n) = nets
                .iter()
                .find(|n| n.net_id == lb.net_id && n.region == lb.region)
            {
                lb.network = format!("{} ({})", n.name, n.subnet);
            }
        }
    }
}

/// One load balancer: settings, members, the caller's VMs on its network that can become
/// members and their unattached floating IPs of its region.
#[server(name = LbDetailFn, endpoint = "lbs/detail")]
pub async fn lb_detail(lb_id: String) -> Result<LbDetail, AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::LbInfo>(super::ssr::target(&kinds::LB, &lb_id)?).await?;
    let id = lb_id.trim().to_owned();
    let listed = ssr::find(&g, &id).await?;
    let (details, vms, floating, regions) = futures::join!(
        ssr::info(&g, &id, &listed.region),
        super::ssr::known_vms(&g),
        super::ssr::all_floating(&g),
        super::ssr::regions(&g),
    );
    let details = details?;
    let mut lb = ssr::row(&listed, Ok(details), &vms, |v| g.sees(&kinds::VM, v));
    let codes = super::ssr::codes(&regions.unwrap_or_default());
    let nets = if codes.contains(&lb.region) {
        super::ssr::all_networks(&g, std::slice::from_ref(&lb.region))
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let rows = super::ssr::network_rows(&g, nets.clone(), &vms, &[]);
    let net = rows.iter().find(|n| n.id == lb.net_id);
    if let Some(n) = net {
        lb.network = format!("{} ({})", n.name, n.subnet);
    }
    let others: Vec<&NetworkRow> = rows.iter().collect();
    let candidates = match net {
        Some(net) => vms
            .iter()
            .filter(|v| g.sees(&kinds::VM, &v.vm_id))
            .filter(|v| on_network(net, &others, &v.private_ip, &v.region))
            .filter(|v| !lb.members.iter().any(|m| m.ip == v.private_ip))
            .map(|v| MemberChoice {
                vm_id: v.vm_id.clone(),
                name: v.name.clone(),
                address: v.private_ip.clone(),
            })
            .collect(),
        None => Vec::new(),
    };
    let floating = floating
        .unwrap_or_default()
        .into_iter()
        .filter(|f| f.is_unattached() && f.region == lb.region)
        .filter(|f| g.sees(&kinds::FLOATING, &f.ip))
        .map(|f| f.ip)
        .collect();
    Ok(LbDetail {
        lb,
        candidates,
        floating,
    })
}

/// What the create form offers: regions, the caller's networks, a customer's quota.
#[server(name = LbCreateOptionsFn, endpoint = "lbs/create_options")]
pub async fn lb_create_options() -> Result<LbCreateOptions, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::LbList>(Target::Account).await?;
    let regions = super::ssr::regions(&g).await?;
    let codes = super::ssr::codes(&regions);
    let nets = super::ssr::all_networks(&g, &codes).await?;
    let networks = super::ssr::network_rows(&g, nets, &[], &[])
        .into_iter()
        .filter(|n| g.sees(&kinds::NETWORK, &n.id))
        .collect();
    let quota = g.customer().map(|c| {
        let held = c.owned(kinds::LB.key).count();
        (
            u32::try_from(held).unwrap_or(u32::MAX),
            c.policy.quotas.load_balancers,
        )
    });
    Ok(LbCreateOptions {
        regions,
        networks,
        quota,
    })
}

/// Creates a load balancer; returns its id (`""` when Luna Node made it but it could not be
/// found yet). Every field is checked, and a customer's quota decided, before Luna Node is
/// asked; a customer's network must be theirs and their balancer is theirs at once.
#[server(name = LbCreateFn, endpoint = "lbs/create")]
pub async fn lb_create(lb: NewLb) -> Result<String, AppError> {
    use crate::error::FieldErrors;
    use crate::kinds;
    use crate::server::authz::{authorize_refs, Target};
    use crate::server::lunanode::actions as api;
    let region = lb.region.trim().to_owned();
    let net = lb.net_id.trim().to_owned();
    let mut refs = Vec::new();
    if !region.is_empty() {
        refs.push(Target::Region(region.clone()));
    }
    if !net.is_empty() {
        refs.push(super::ssr::target(&kinds::NETWORK, &net)?);
    }
    let g = authorize_refs::<api::LbCreate>(Target::Account, refs).await?;
    let mut errors = FieldErrors::new();
    if let Err(e) = check_network_name(&lb.name) {
        errors.add("name", e);
    }
    if region.is_empty() {
        errors.add("region", "Choose a region.");
    }
    if net.is_empty() {
        errors.add("net_id", "Choose the network the members are on.");
    }
    let method = match lb.method.as_str() {
        "ROUND_ROBIN" => Some(api::LbMethod::RoundRobin),
        "LEAST_CONNECTIONS" => Some(api::LbMethod::LeastConnections),
        "SOURCE_IP" => Some(api::LbMethod::SourceIp),
        _ => {
            errors.add("method", "Choose how connections are spread.");
            None
        }
    };
    let protocol = match lb.protocol.as_str() {
        "HTTP" => Some(api::LbProtocol::Http),
        "HTTPS" => Some(api::LbProtocol::Https),
        "TCP" => Some(api::LbProtocol::Tcp),
        _ => {
            errors.add("protocol", "Choose HTTP, HTTPS or TCP.");
            None
        }
    };
    let port = parse_port(&lb.port).map_err(|e| errors.add("port", e)).ok();
    let limit = parse_connection_limit(&lb.connection_limit)
        .map_err(|e| errors.add("connection_limit", e))
        .ok();
    errors.into_result()?;
    let (Some(method), Some(protocol), Some(port), Some(limit)) = (method, protocol, port, limit)
    else {
        return Err(super::ssr::field("name", "Check the form."));
    };
    let quota = g.quota_lock().await?;
    if let (Some(c), Some(lock)) = (g.customer(), &quota) {
        lock.check_count(&kinds::LB, c.policy.quotas.load_balancers)?;
    }
    let name = lb.name.trim().to_owned();
    let made = g
        .call(
            &api::LbCreate {
                region: region.clone(),
                net_id: net,
                name: name.clone(),
                method,
                protocol,
                connection_limit: limit,
                port,
            },
            "The network",
        )
        .await?;
    let id = match made.lb_id {
        Some(id) if !id.is_empty() => Some(id),
        _ => {
            let req = api::LbList {
                region: region.clone(),
                net_id: None,
            };
            crate::server::made::find_made(&g, &req, kinds::LB.key, &name, |l| {
                crate::server::made::newest(
                    l.lbs
                        .iter()
                        .filter(|b| b.name == name)
                        .map(|b| b.id.as_str()),
                )
            })
            .await
        }
    };
    let Some(id) = id else {
        return Ok(String::new());
    };
    g.claim(&kinds::LB, &id).await?;
    drop(quota);
    Ok(id)
}

/// Deletes a load balancer; `confirm` must be its name. Its floating IP stays on the
/// account (INFERRED, as OpenStack does).
#[server(name = LbDeleteFn, endpoint = "lbs/delete")]
pub async fn lb_delete(lb_id: String, confirm: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::LbDelete>(super::ssr::target(&kinds::LB, &lb_id)?).await?;
    let id = lb_id.trim().to_owned();
    let listed = ssr::find(&g, &id).await?;
    let name = if listed.name.trim().is_empty() {
        listed.id.clone()
    } else {
        listed.name.clone()
    };
    if confirm.trim() != name.trim() {
        return Err(super::ssr::field(
            "confirm",
            "Type the load balancer's name exactly to confirm.",
        ));
    }
    g.call(
        &api::LbDelete {
            region: listed.region,
            lb_id: id.clone(),
        },
        kinds::LB.what,
    )
    .await?;
    g.release(&kinds::LB, &id).await;
    Ok(())
}

/// Adds VM `vm_id` (its address on the balancer's network) as a member on `port`.
#[server(name = LbMemberAddFn, endpoint = "lbs/member_add")]
pub async fn lb_member_add(lb_id: String, vm_id: String, port: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize_refs;
    use crate::server::lunanode::actions as api;
    let vm = vm_id.trim().to_owned();
    let refs = if vm.is_empty() {
        Vec::new()
    } else {
        vec![super::ssr::target(&kinds::VM, &vm)?]
    };
    let g =
        authorize_refs::<api::LbMemberAdd>(super::ssr::target(&kinds::LB, &lb_id)?, refs).await?;
    let mut errors = crate::error::FieldErrors::new();
    if vm.is_empty() {
        errors.add("vm_id", "Choose a VM.");
    }
    let port = parse_port(&port).map_err(|e| errors.add("port", e)).ok();
    errors.into_result()?;
    let Some(port) = port else {
        return Err(super::ssr::field("port", "Enter a port."));
    };
    // The member must be on the balancer's network: its address there is what Luna Node
    // takes, read from the details this request shows.
    let d = lb_detail(lb_id.clone()).await?;
    let Some(choice) = d.candidates.iter().find(|c| c.vm_id == vm) else {
        let member =
            d.lb.members
                .iter()
                .any(|m| m.vm.as_ref().is_some_and(|h| h.id == vm));
        return Err(super::ssr::field(
            "vm_id",
            if member {
                "That VM is a member already.".to_owned()
            } else {
                format!(
                    "That VM is not on the balancer's network {}: only VMs on it can be members.",
                    if d.lb.network.is_empty() {
                        d.lb.net_id.clone()
                    } else {
                        d.lb.network.clone()
                    }
                )
            },
        ));
    };
    g.call(
        &api::LbMemberAdd {
            region: d.lb.region.clone(),
            lb_id: d.lb.id.clone(),
            ip: choice.address.clone(),
            port,
        },
        kinds::LB.what,
    )
    .await
    .map_err(|e| {
        super::ssr::refusal(
            e,
            &["already"],
            "That address and port is a member already.",
        )
    })?;
    Ok(())
}

/// Removes member `member_id` from a balancer.
#[server(name = LbMemberRemoveFn, endpoint = "lbs/member_remove")]
pub async fn lb_member_remove(lb_id: String, member_id: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::LbMemberRemove>(super::ssr::target(&kinds::LB, &lb_id)?).await?;
    let id = lb_id.trim().to_owned();
    let listed = ssr::find(&g, &id).await?;
    let member = member_id.trim().to_owned();
    if member.is_empty() {
        return Err(super::ssr::field("member_id", "Choose a member."));
    }
    g.call(
        &api::LbMemberRemove {
            region: listed.region,
            lb_id: id,
            member_id: member,
        },
        "The member",
    )
    .await?;
    Ok(())
}

/// Puts floating IP `ip` in front of a balancer; an empty `ip` allocates a new one in the
/// balancer's region first (a customer's counts against their floating IP quota). Returns
/// the address.
#[server(name = LbAssociateFn, endpoint = "lbs/associate")]
pub async fn lb_associate(lb_id: String, ip: String) -> Result<String, AppError> {
    use crate::kinds;
    use crate::server::authz::authorize_refs;
    use crate::server::lunanode::actions as api;
    let given = ip.trim().to_owned();
    let refs = if given.is_empty() {
        Vec::new()
    } else {
        vec![super::ssr::target(&kinds::FLOATING, &given)?]
    };
    let g =
        authorize_refs::<api::LbAssociate>(super::ssr::target(&kinds::LB, &lb_id)?, refs).await?;
    let id = lb_id.trim().to_owned();
    let listed = ssr::find(&g, &id).await?;
    let region = listed.region.clone();
    let (ip, quota) = if given.is_empty() {
        // Allocating is a floating IP change of its own: allowed and counted as such.
        let add = g
            .also::<api::FloatingAdd>(crate::server::authz::Target::Account)
            .await?;
        let quota = add.quota_lock().await?;
        if let (Some(c), Some(lock)) = (add.customer(), &quota) {
            lock.check_count(&kinds::FLOATING, c.policy.quotas.floating_ips)?;
        }
        let added = add
            .call(
                &api::FloatingAdd {
                    region: region.clone(),
                },
                "The region",
            )
            .await?;
        add.claim(&kinds::FLOATING, &added.ip).await?;
        (added.ip, quota)
    } else {
        let f = super::ssr::floating(&g, &given).await?;
        if !f.is_unattached() {
            return Err(super::ssr::field(
                "ip",
                "That address is attached to something else: detach it first.",
            ));
        }
        if f.region != region {
            return Err(super::ssr::field(
                "ip",
                format!(
                    "That address is in {} and the balancer in {region}: choose one of its region.",
                    f.region
                ),
            ));
        }
        (given, None)
    };
    g.call(
        &api::LbAssociate {
            region,
            lb_id: id,
            ip: ip.clone(),
        },
        kinds::LB.what,
    )
    .await?;
    drop(quota);
    Ok(ip)
}
