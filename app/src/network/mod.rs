//! The networking area: floating IPs (`floating/*`, reverse DNS with `dns/set`), virtual
//! networks (`network/*`) and load balancers (`lb/*`, in [`lb`]). Server functions and the
//! types they share with the pages (`crate::pages::floating_ips`, `crate::pages::networks`,
//! `crate::pages::load_balancers`). Every function starts at the one authorization point
//! and calls Luna Node only through its grant; whatever a customer names (a VM, a network,
//! an address) must be theirs too; what they make is theirs in the same step, within their
//! quota decided under their quota lock before Luna Node is asked.

use leptos::prelude::*;

pub use crate::model::network::*;

use crate::error::AppError;

pub mod lb;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use std::time::Duration;

    pub use crate::catalog::ssr::regions;
    use crate::error::{AppError, FieldErrors};
    use crate::kinds;
    use crate::server::authz::{Grant, Permission, Target};
    use crate::server::lunanode::actions as api;
    use crate::vm::VmRow;

    use super::*;
    pub use crate::error::refusal;
    pub use crate::server::authz::checked_target as target;

    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        FieldErrors::single(field, message)
    }

    /// The VMs the live poller knows (no upstream call of this request's own).
    pub async fn known_vms<P: Permission>(g: &Grant<P>) -> Vec<VmRow> {
        match g
            .state()
            .live
            .snapshot(g.account, Duration::from_secs(20))
            .await
        {
            Ok(s) => s.vms.clone(),
            Err(_) => Vec::new(),
        }
    }

    /// Every floating IP of the account (unfiltered).
    pub async fn all_floating<P: Permission>(
        base: &Grant<P>,
    ) -> Result<Vec<api::FloatingIp>, AppError> {
        let g = base.also::<api::FloatingList>(Target::Account).await?;
        Ok(g.call(&api::FloatingList {}, "The floating IP list")
            .await?
            .ips)
    }

    /// The floating IP `ip` as the account's list shows it, if the account holds it.
    pub async fn floating<P: Permission>(
        g: &Grant<P>,
        ip: &str,
    ) -> Result<api::FloatingIp, AppError> {
        all_floating(g)
            .await?
            .into_iter()
            .find(|f| f.ip == ip)
            .ok_or_else(|| AppError::NotFound(kinds::FLOATING.what.into()))
    }

    /// What `attached_type`/`attached_id` name, as the caller may see it.
    pub fn holder<P: Permission>(g: &Grant<P>, f: &api::FloatingIp) -> Option<Holder> {
        if f.is_unattached() || (f.attached_id.is_empty() && f.attached_name.is_empty()) {
            return None;
        }
        // `vm` is CONFIRMED; a load balancer's word is UNKNOWN (`lb` and anything with
        // "balancer" in it are read as one).
        let t = f.attached_type.to_ascii_lowercase();
        let kind = if t == "vm" {
            "vm"
        } else if t == "lb" || t.contains("balancer") {
            "lb"
        } else {
            f.attached_type.as_str()
        };
        let visible = match kind {
            "vm" => g.sees(&kinds::VM, &f.attached_id),
            "lb" => g.sees(&kinds::LB, &f.attached_id),
            _ => g.customer().is_none(),
        };
        Some(Holder {
            kind: kind.to_owned(),
            id: if visible {
                f.attached_id.clone()
            } else {
                String::new()
            },
            name: if visible {
                if f.attached_name.is_empty() {
                    f.attached_id.clone()
                } else {
                    f.attached_name.clone()
                }
            } else {
                "something not in your list".to_owned()
            },
            visible,
        })
    }

    /// The VM of `region` at private address `ip`, as the caller may see it.
    pub fn holder_of_address(
        vms: &[VmRow],
        region: &str,
        ip: &str,
        sees: impl Fn(&str) -> bool,
    ) -> Option<Holder> {
        let vm = vms
            .iter()
            .find(|v| (v.region == region || v.region.is_empty()) && v.private_ip == ip)?;
        let visible = sees(&vm.vm_id);
        Some(Holder {
            kind: "vm".into(),
            id: if visible {
                vm.vm_id.clone()
            } else {
                String::new()
            },
            name: if visible {
                vm.name.clone()
            } else {
                "a server not in your list".into()
            },
            visible,
        })
    }

    pub fn floating_row<P: Permission>(g: &Grant<P>, f: api::FloatingIp) -> FloatingRow {
        let attached = holder(g, &f);
        let rdns_default = is_default_rdns(&f.hostname);
        FloatingRow {
            attached,
            rdns: if f.hostname == api::RDNS_NOT_SET {
                String::new()
            } else {
                f.hostname.trim_end_matches('.').to_owned()
            },
            rdns_default,
            ip: f.ip,
            id: f.id,
            region: f.region,
        }
    }

    /// Every network of every region the caller may use (unfiltered by owner: callers
    /// filter), with the region each was listed in.
    pub async fn all_networks<P: Permission>(
        base: &Grant<P>,
        regions: &[String],
    ) -> Result<Vec<api::Network>, AppError> {
        let g = base.also::<api::NetworkList>(Target::Account).await?;
        // `network/list` entries carry no region (UNKNOWN): one list per region.
        let lists = futures::future::join_all(regions.iter().map(|r| {
            let g = &g;
            async move {
                let req = api::NetworkList {
                    region: Some(r.clone()),
                };
                g.call(&req, "The network list").await.map(|l| {
                    l.networks
                        .into_iter()
                        .map(|mut n| {
                            if n.region.is_empty() {
                                n.region.clone_from(r);
                            }
                            n
                        })
                        .collect::<Vec<_>>()
                })
            }
        }))
        .await;
        let mut all = Vec::new();
        for l in lists {
            all.extend(l?);
        }
        Ok(all)
    }

    /// Whether `n` is its region's default network: named `Luna Node` with the
    /// `172.20.0.0/16` subnet (CONFIRMED, CS sample: one per region).
    pub fn is_default(n: &api::Network) -> bool {
        n.name == "Luna Node" || n.subnet == "172.20.0.0/16"
    }

    /// A network as its list shows it, with the VMs and balancers on it the caller may see
    /// (others are counted by name "a server not in your list").
    pub fn network_rows<P: Permission>(
        g: &Grant<P>,
        networks: Vec<api::Network>,
        vms: &[VmRow],
        lbs: &[LbRow],
    ) -> Vec<NetworkRow> {
        let mut rows: Vec<NetworkRow> = networks
            .into_iter()
            .map(|n| NetworkRow {
                default: is_default(&n),
                dns: n.dns,
                id: n.net_id,
                name: n.name,
                region: n.region,
                subnet: n.subnet,
                vms: Vec::new(),
                lbs: Vec::new(),
            })
            .collect();
        let on: Vec<(usize, Vec<OnNetwork>, Vec<OnNetwork>)> = rows
            .iter()
            .enumerate()
            .map(|(i, net)| {
                let others: Vec<&NetworkRow> = rows.iter().collect();
                let vms = vms
                    .iter()
                    .filter(|v| on_network(net, &others, &v.private_ip, &v.region))
                    .map(|v| {
                        let visible = g.sees(&kinds::VM, &v.vm_id);
                        OnNetwork {
                            id: if visible {
                                v.vm_id.clone()
                            } else {
                                String::new()
                            },
                            name: if visible {
                                v.name.clone()
                            } else {
                                "a server not in your list".into()
                            },
                            address: if visible {
                                v.private_ip.clone()
                            } else {
                                String::new()
                            },
                            visible,
                        }
                    })
                    .collect();
                let lbs = lbs
                    .iter()
                    .filter(|l| l.net_id == net.id && l.region == net.region)
                    .map(|l| OnNetwork {
                        id: l.id.clone(),
                        name: l.display_name().to_owned(),
                        address: l.vip.clone(),
                        visible: true,
                    })
                    .collect();
                (i, vms, lbs)
            })
            .collect();
        for (i, vms, lbs) in on {
            rows[i].vms = vms;
            rows[i].lbs = lbs;
        }
        rows
    }

    /// The network VM `vm` (in `region`, at private address `private_ip`) is on, and the
    /// load balancers it is a member of, as the caller may see them. What cannot be read
    /// is left out (the VM's page must not fail for it).
    pub async fn vm_relations<P: Permission>(
        g: &Grant<P>,
        region: &str,
        private_ip: &str,
    ) -> (Option<crate::vm::NetworkOf>, Vec<crate::vm::NamedId>) {
        if region.is_empty() || private_ip.is_empty() {
            return (None, Vec::new());
        }
        let regions = [region.to_owned()];
        let (nets, lbs) = futures::join!(all_networks(g, &regions), super::lb::ssr::lb_rows(g));
        let rows = network_rows(g, nets.unwrap_or_default(), &[], &[]);
        let others: Vec<&NetworkRow> = rows.iter().collect();
        let network = rows
            .iter()
            .find(|n| on_network(n, &others, private_ip, region))
            .map(|n| crate::vm::NetworkOf {
                id: if g.sees(&kinds::NETWORK, &n.id) {
                    n.id.clone()
                } else {
                    String::new()
                },
                name: n.name.clone(),
                subnet: n.subnet.clone(),
                default: n.default,
            });
        let lbs = lbs
            .unwrap_or_default()
            .into_iter()
            .filter(|l| l.region == region && l.members.iter().any(|m| m.ip == private_ip))
            .map(|l| crate::vm::NamedId {
                name: l.display_name().to_owned(),
                id: l.id,
            })
            .collect();
        (network, lbs)
    }

    /// The codes of the regions the caller may use.
    pub fn codes(regions: &[crate::vm::RegionView]) -> Vec<String> {
        regions.iter().map(|r| r.code.clone()).collect()
    }
}

/// The caller's floating IPs (a customer: theirs), what each is attached to, the regions to
/// allocate in and the VMs to attach to.
#[server(name = FloatingListFn, endpoint = "floatingips/list")]
pub async fn floating_list() -> Result<FloatingView, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::FloatingList>(Target::Account).await?;
    let (ips, regions, vms) =
        futures::join!(ssr::all_floating(&g), ssr::regions(&g), ssr::known_vms(&g));
    let ips: Vec<FloatingRow> = ips?
        .into_iter()
        .filter(|f| g.sees(&kinds::FLOATING, &f.ip))
        .map(|f| ssr::floating_row(&g, f))
        .collect();
    let quota = g.customer().map(|c| {
        let held = c.owned(kinds::FLOATING.key).count();
        (
            u32::try_from(held).unwrap_or(u32::MAX),
            c.policy.quotas.floating_ips,
        )
    });
    Ok(FloatingView {
        ips,
        regions: regions.unwrap_or_default(),
        vms: vms
            .into_iter()
            .filter(|v| g.sees(&kinds::VM, &v.vm_id))
            .map(|v| VmTarget {
                vm_id: v.vm_id,
                name: v.name,
                region: v.region,
                ip: v.ip,
            })
            .collect(),
        quota,
    })
}

/// Allocates a new floating IP in `region` (a customer's counts against their floating IP
/// quota and is theirs at once); returns the address.
#[server(name = FloatingAllocateFn, endpoint = "floatingips/allocate")]
pub async fn floating_allocate(region: String) -> Result<String, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize_refs, Target};
    use crate::server::lunanode::actions as api;
    let region = region.trim().to_owned();
    let refs = if region.is_empty() {
        Vec::new()
    } else {
        vec![Target::Region(region.clone())]
    };
    let g = authorize_refs::<api::FloatingAdd>(Target::Account, refs).await?;
    if region.is_empty() {
        return Err(ssr::field("region", "Choose a region."));
    }
    let quota = g.quota_lock().await?;
    if let (Some(c), Some(lock)) = (g.customer(), &quota) {
        lock.check_count(&kinds::FLOATING, c.policy.quotas.floating_ips)?;
    }
    let added = g
        .call(&api::FloatingAdd { region }, "The region")
        .await
        .map_err(|e| {
            ssr::refusal(
                e,
                &["available", "limit", "quota"],
                "Luna Node has no floating IP to give in that region now (or the account's \
                 limit is reached). Try another region, or release an unused address.",
            )
        })?;
    g.claim(&kinds::FLOATING, &added.ip).await?;
    drop(quota);
    Ok(added.ip)
}

/// Attaches the unattached floating IP `ip` to VM `vm_id` of its region (a VM without a
/// floating IP).
#[server(name = FloatingAttachFn, endpoint = "floatingips/attach")]
pub async fn floating_attach(ip: String, vm_id: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize_refs;
    use crate::server::lunanode::actions as api;
    let vm = vm_id.trim().to_owned();
    let refs = if vm.is_empty() {
        Vec::new()
    } else {
        vec![ssr::target(&kinds::VM, &vm)?]
    };
    let g =
        authorize_refs::<api::VmFloatingipAdd>(ssr::target(&kinds::FLOATING, &ip)?, refs).await?;
    if vm.is_empty() {
        return Err(ssr::field("vm_id", "Choose a VM."));
    }
    let ip = ip.trim().to_owned();
    let f = ssr::floating(&g, &ip).await?;
    if !f.is_unattached() {
        return Err(AppError::Conflict(
            "The address is attached already: detach it first.".into(),
        ));
    }
    let info = g.also::<api::VmInfo>(ssr::target(&kinds::VM, &vm)?).await?;
    let info = info
        .call(&api::VmInfo { vm_id: vm.clone() }, kinds::VM.what)
        .await?;
    let vm_region = info.extra.map(|e| e.region).unwrap_or_default();
    if !vm_region.is_empty() && !f.region.is_empty() && vm_region != f.region {
        return Err(ssr::field(
            "vm_id",
            format!(
                "That VM is in {vm_region} and the address in {}: choose a VM in the same region.",
                f.region
            ),
        ));
    }
    if !info.info.ip.trim().is_empty() {
        return Err(ssr::field(
            "vm_id",
            format!(
                "That VM has the floating IP {} already: detach it from the VM first.",
                info.info.ip
            ),
        ));
    }
    g.call(
        &api::VmFloatingipAdd {
            vm_id: vm.clone(),
            ip: Some(ip),
            private_ip: None,
        },
        "The VM or floating IP",
    )
    .await
    .map_err(|e| {
        ssr::refusal(
            e,
            &["already has"],
            "That VM has a floating IP already: detach it first.",
        )
    })?;
    // The page's choices and the VM list show a VM's floating IP from the live list: it
    // has read the VM before the answer (detach, then attach at once, finds it free).
    g.state()
        .live
        .reread(g.account, &[vm.as_str()], crate::server::live::REREAD)
        .await;
    Ok(())
}

/// Detaches the floating IP `ip` from its VM; `keep` leaves it on the account (else it is
/// released). A load balancer's address is replaced from the balancer's page instead
/// (there is no action to detach it).
#[server(name = FloatingDetachFn, endpoint = "floatingips/detach")]
pub async fn floating_detach(ip: String, keep: bool) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::VmFloatingipDelete>(ssr::target(&kinds::FLOATING, &ip)?).await?;
    let ip = ip.trim().to_owned();
    let f = ssr::floating(&g, &ip).await?;
    let holder = ssr::holder(&g, &f);
    let vm_id = match holder {
        None => {
            return Err(AppError::Conflict(
                "The address is not attached to anything.".into(),
            ))
        }
        Some(h) if h.kind == "vm" => f.attached_id.clone(),
        Some(_) => {
            return Err(AppError::Conflict(
                "The address is on a load balancer: Luna Node cannot detach it there. \
                 Associate another address with the balancer, or delete the balancer."
                    .into(),
            ))
        }
    };
    // Detaching acts on the VM as well: it must be the caller's too.
    let on_vm = g
        .also::<api::VmFloatingipDelete>(ssr::target(&kinds::VM, &vm_id)?)
        .await?;
    on_vm
        .call(
            &api::VmFloatingipDelete {
                vm_id: vm_id.clone(),
                ip: Some(ip.clone()),
                keep: Some(keep),
            },
            kinds::VM.what,
        )
        .await?;
    if !keep {
        g.release(&kinds::FLOATING, &ip).await;
    }
    g.state()
        .live
        .reread(g.account, &[vm_id.as_str()], crate::server::live::REREAD)
        .await;
    Ok(())
}

/// Gives the unattached floating IP `ip` back to Luna Node; `confirm` must be the address.
#[server(name = FloatingReleaseFn, endpoint = "floatingips/release")]
pub async fn floating_release(ip: String, confirm: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::FloatingDelete>(ssr::target(&kinds::FLOATING, &ip)?).await?;
    let ip = ip.trim().to_owned();
    if confirm.trim() != ip {
        return Err(ssr::field(
            "confirm",
            "Type the address exactly to confirm.",
        ));
    }
    let f = ssr::floating(&g, &ip).await?;
    const ATTACHED: &str = "The address is attached: detach it first (choose “release” there \
                            to detach and release in one step).";
    if !f.is_unattached() {
        return Err(AppError::Conflict(ATTACHED.into()));
    }
    g.call(
        &api::FloatingDelete {
            region: f.region,
            ip: ip.clone(),
        },
        kinds::FLOATING.what,
    )
    .await
    .map_err(|e| ssr::refusal(e, &["attached", "detach"], ATTACHED))?;
    g.release(&kinds::FLOATING, &ip).await;
    Ok(())
}

/// Sets the reverse DNS name of floating IP `ip`; an empty `hostname` restores Luna Node's
/// default.
#[server(name = FloatingRdnsFn, endpoint = "floatingips/rdns")]
pub async fn floating_rdns(ip: String, hostname: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::DnsSet>(ssr::target(&kinds::FLOATING, &ip)?).await?;
    let name = check_rdns(&hostname).map_err(|e| ssr::field("hostname", e))?;
    g.call(
        &api::DnsSet {
            ip: ip.trim().to_owned(),
            hostname: name.unwrap_or_else(|| api::RDNS_RESET.to_owned()),
        },
        kinds::FLOATING.what,
    )
    .await
    .map_err(|e| {
        ssr::refusal(
            e,
            &["hostname", "forward", "resolve"],
            "Luna Node refused that name. Point the name's A record at this address first \
             (reverse DNS must match forward DNS), then try again.",
        )
    })?;
    Ok(())
}

/// The caller's networks per region (a customer: theirs), with the VMs and load balancers
/// on each.
#[server(name = NetworkListFn, endpoint = "networks/list")]
pub async fn network_list() -> Result<NetworksView, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::NetworkList>(Target::Account).await?;
    let regions = ssr::regions(&g).await?;
    let codes = ssr::codes(&regions);
    let (networks, vms, lbs) = futures::join!(
        ssr::all_networks(&g, &codes),
        ssr::known_vms(&g),
        lb::ssr::lb_rows(&g)
    );
    let (lbs, problem) = match lbs {
        Ok(l) => (l, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let networks = ssr::network_rows(&g, networks?, &vms, &lbs)
        .into_iter()
        .filter(|n| g.sees(&kinds::NETWORK, &n.id))
        .collect();
    Ok(NetworksView {
        networks,
        regions,
        problem,
    })
}

/// Creates a /24 network; returns its id (`""` when Luna Node made it but it could not be
/// found yet). A customer's is theirs at once.
#[server(name = NetworkCreateFn, endpoint = "networks/create")]
pub async fn network_create(network: NewNetwork) -> Result<String, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize_refs, Target};
    use crate::server::lunanode::actions as api;
    let region = network.region.trim().to_owned();
    let refs = if region.is_empty() {
        Vec::new()
    } else {
        vec![Target::Region(region.clone())]
    };
    let g = authorize_refs::<api::NetworkCreate>(Target::Account, refs).await?;
    let mut errors = crate::error::FieldErrors::new();
    if let Err(e) = check_network_name(&network.name) {
        errors.add("name", e);
    }
    if region.is_empty() {
        errors.add("region", "Choose a region.");
    }
    let subnet = parse_subnet(&network.subnet)
        .map_err(|e| errors.add("subnet", e))
        .ok();
    let dns = parse_dns_servers(&network.dns)
        .map_err(|e| errors.add("dns", e))
        .ok();
    errors.into_result()?;
    let (Some((three, cidr)), Some(dns)) = (subnet, dns) else {
        return Err(ssr::field("subnet", "Enter a subnet."));
    };
    // Overlaps are refused here in words (Luna Node's wording is UNKNOWN).
    let existing = ssr::all_networks(&g, std::slice::from_ref(&region)).await?;
    if let Some(n) = existing.iter().find(|n| {
        let (a, b) = (cidr_first(&n.subnet), cidr_first(&cidr));
        cidr_contains(&n.subnet, &b) || cidr_contains(&cidr, &a)
    }) {
        let name = if g.sees(&kinds::NETWORK, &n.net_id) {
            format!("“{}” ({})", n.name, n.subnet)
        } else {
            format!("another network ({})", n.subnet)
        };
        return Err(ssr::field(
            "subnet",
            format!("{cidr} overlaps {name} in {region}: choose another range."),
        ));
    }
    let name = network.name.trim().to_owned();
    let made = g
        .call(
            &api::NetworkCreate {
                region: region.clone(),
                name: name.clone(),
                subnet: three,
                dns,
            },
            "The region",
        )
        .await
        .map_err(|e| {
            ssr::refusal(
                e,
                &["overlap"],
                "That range overlaps a network of the region: choose another.",
            )
        })?;
    let net_id = match made.net_id {
        Some(id) if !id.is_empty() => Some(id),
        _ => {
            let req = api::NetworkList {
                region: Some(region.clone()),
            };
            crate::server::made::find_made(&g, &req, kinds::NETWORK.key, &name, |l| {
                crate::server::made::newest(
                    l.networks
                        .iter()
                        .filter(|n| n.name == name && n.subnet == cidr)
                        .map(|n| n.net_id.as_str()),
                )
            })
            .await
        }
    };
    let Some(net_id) = net_id else {
        return Ok(String::new());
    };
    g.claim(&kinds::NETWORK, &net_id).await?;
    Ok(net_id)
}

/// The network address of a CIDR (`192.168.30.0/24` → `192.168.30.0`).
#[cfg(feature = "ssr")]
fn cidr_first(cidr: &str) -> String {
    cidr.split('/').next().unwrap_or_default().to_owned()
}

/// Deletes network `net_id` of `region`; `confirm` must be its name. Refused, naming them,
/// while VMs or load balancers use it.
#[server(name = NetworkDeleteFn, endpoint = "networks/delete")]
pub async fn network_delete(
    net_id: String,
    region: String,
    confirm: String,
) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize_refs, Target};
    use crate::server::lunanode::actions as api;
    let region = region.trim().to_owned();
    let refs = if region.is_empty() {
        Vec::new()
    } else {
        vec![Target::Region(region.clone())]
    };
    let g =
        authorize_refs::<api::NetworkDelete>(ssr::target(&kinds::NETWORK, &net_id)?, refs).await?;
    if region.is_empty() {
        return Err(ssr::field("region", "Say which region the network is in."));
    }
    let id = net_id.trim().to_owned();
    let networks = ssr::all_networks(&g, std::slice::from_ref(&region)).await?;
    let Some(n) = networks.iter().find(|n| n.net_id == id).cloned() else {
        return Err(AppError::NotFound(kinds::NETWORK.what.into()));
    };
    if confirm.trim() != n.name.trim() {
        return Err(ssr::field(
            "confirm",
            "Type the network's name exactly to confirm.",
        ));
    }
    let (vms, lbs) = futures::join!(ssr::known_vms(&g), lb::ssr::lb_rows(&g));
    let row = ssr::network_rows(&g, networks, &vms, &lbs.unwrap_or_default())
        .into_iter()
        .find(|r| r.id == id);
    if let Some(why) = row.and_then(|r| r.in_use()) {
        return Err(AppError::Conflict(why));
    }
    g.call(
        &api::NetworkDelete {
            region,
            net_id: id.clone(),
        },
        kinds::NETWORK.what,
    )
    .await
    .map_err(|e| {
        ssr::refusal(
            e,
            &["in use", "in-use", "default"],
            "Luna Node says the network is still in use (or is the region's default): \
             delete the VMs and load balancers on it first.",
        )
    })?;
    g.release(&kinds::NETWORK, &id).await;
    Ok(())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::ssr::target;
    use crate::error::AppError;
    use crate::kinds;

    #[test]
    fn junk_ids_are_not_found_but_addresses_pass() {
        for junk in ["", " ", "../etc", "a b", &"9".repeat(65), "1;2"] {
            assert_eq!(
                target(&kinds::FLOATING, junk),
                Err(AppError::NotFound("The floating IP".into())),
                "{junk:?}"
            );
        }
        assert!(target(&kinds::FLOATING, "203.0.113.5").is_ok());
        assert!(target(&kinds::FLOATING, "2001:db8::1").is_ok());
        assert!(target(&kinds::NETWORK, " 42 ").is_ok());
    }
}
