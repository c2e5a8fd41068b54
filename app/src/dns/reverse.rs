//! Reverse DNS of every address of the account (`dns/list`, `dns/set`) and "publish DNS
//! for this VM": A/AAAA records in a chosen zone and the matching reverse DNS, in one step.
//! A customer sees and sets only their VMs' addresses and floating IPs.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::dns::*;

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;
    use crate::kinds;
    use crate::model::dns::ReverseRow;
    use crate::server::authz::{Grant, Permission, Target};
    use crate::server::lunanode::actions as api;

    /// The account's reverse DNS table (unfiltered).
    pub async fn table<P: Permission>(g: &Grant<P>) -> Result<Vec<ReverseRow>, AppError> {
        let list = g
            .also::<api::DnsList>(Target::Account)
            .await?
            .call(&api::DnsList {}, "The reverse DNS list")
            .await?;
        Ok(list
            .dns
            .into_iter()
            .map(|r| {
                let shown = r.ptr().unwrap_or_default().trim_end_matches('.').to_owned();
                let default = crate::model::network::is_default_rdns(&shown);
                ReverseRow {
                    ip: r.ip,
                    vm_id: r.vm_id,
                    vm_name: r.vm_name,
                    hostname: if default { String::new() } else { shown },
                    default,
                }
            })
            .collect())
    }

    /// Whether the caller may see (and set) the reverse DNS of `row`: their VM's address,
    /// or their floating IP.
    pub fn sees<P: Permission>(g: &Grant<P>, row: &ReverseRow) -> bool {
        (!row.vm_id.is_empty() && g.sees(&kinds::VM, &row.vm_id))
            || g.sees(&kinds::FLOATING, &row.ip)
    }

    /// The target `dns/set` on `row` acts on (the VM when the address is a VM's).
    pub fn target_of(row: &ReverseRow) -> Target {
        if row.vm_id.is_empty() {
            Target::res(&kinds::FLOATING, row.ip.clone())
        } else {
            Target::vm(row.vm_id.clone())
        }
    }

    /// Sets (or with `None` resets) the reverse DNS of `ip`, decided on the address's
    /// holder.
    pub async fn set<P: Permission>(
        g: &Grant<P>,
        row: &ReverseRow,
        name: Option<String>,
    ) -> Result<(), AppError> {
        g.also::<api::DnsSet>(target_of(row))
            .await?
            .call(
                &api::DnsSet {
                    ip: row.ip.clone(),
                    hostname: name.unwrap_or_else(|| api::RDNS_RESET.to_owned()),
                },
                "The address",
            )
            .await
            .map_err(|e| {
                crate::error::refusal(
                    e,
                    &["hostname", "forward", "resolve"],
                    "Luna Node refused that name. Point the name's A or AAAA record at this \
                     address first (reverse DNS must match forward DNS), then try again.",
                )
            })?;
        Ok(())
    }
}

/// Reverse DNS of the caller's addresses (a customer: their VMs' and floating IPs).
#[server(name = ReverseListFn, endpoint = "reverse/list")]
pub async fn reverse_list() -> Result<Vec<ReverseRow>, AppError> {
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::DnsList>(Target::Account).await?;
    let mut rows: Vec<ReverseRow> = ssr::table(&g)
        .await?
        .into_iter()
        .filter(|r| ssr::sees(&g, r))
        .collect();
    rows.sort_by(|a, b| a.vm_name.cmp(&b.vm_name).then(a.ip.cmp(&b.ip)));
    Ok(rows)
}

/// Sets the reverse DNS of `address`, one of VM `vm_id`'s (every row of Luna Node's
/// reverse DNS table is a VM's address); an empty `hostname` restores Luna Node's default.
/// A floating IP on no VM has its reverse DNS set from the floating IP page.
#[server(name = ReverseSetFn, endpoint = "reverse/set")]
pub async fn reverse_set(vm_id: String, address: String, hostname: String) -> Result<(), AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::DnsSet>(crate::server::authz::checked_target(
        &crate::kinds::VM,
        &vm_id,
    )?)
    .await?;
    let name = crate::model::network::check_rdns(&hostname)
        .map_err(|e| crate::error::FieldErrors::single("hostname", e))?;
    let (vm_id, address) = (vm_id.trim().to_owned(), address.trim().to_owned());
    let Some(row) = ssr::table(&g)
        .await?
        .into_iter()
        .find(|r| r.vm_id == vm_id && r.ip == address)
    else {
        return Err(AppError::NotFound("The address".into()));
    };
    ssr::set(&g, &row, name).await
}

/// What "publish DNS" on VM `vm_id`'s page offers: the caller's current zones and the
/// VM's public addresses.
#[server(name = PublishOptionsFn, endpoint = "vms/publish_options")]
pub async fn publish_options(vm_id: String) -> Result<PublishOptions, AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::DnsList>(crate::server::authz::checked_target(&kinds::VM, &vm_id)?)
        .await?;
    let vm_id = vm_id.trim().to_owned();
    let (table, zones) = futures::join!(
        ssr::table(&g),
        super::ssr::all_zones(&g, super::ssr::Zk::Current)
    );
    let reverse: Vec<ReverseRow> = table?.into_iter().filter(|r| r.vm_id == vm_id).collect();
    let addresses = reverse.iter().map(|r| r.ip.clone()).collect();
    let zones = zones
        .unwrap_or_default()
        .into_iter()
        .filter(|z| g.sees(&kinds::ZONE, &z.id))
        .collect();
    let vms = crate::network::ssr::known_vms(&g).await;
    let suggested = vms
        .iter()
        .find(|v| v.vm_id == vm_id)
        .map(|v| {
            v.name
                .split('.')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect::<String>()
                .trim_matches('-')
                .to_owned()
        })
        .unwrap_or_default();
    Ok(PublishOptions {
        zones,
        addresses,
        reverse,
        suggested,
    })
}

/// Publishes DNS for VM `vm_id`: an A (or AAAA) record `name` in zone `zone_id` for each
/// public address of the VM, then each address's reverse DNS to that name. Steps already
/// in place are said so; a failed step is reported and the others still done.
#[server(name = PublishFn, endpoint = "vms/publish_dns")]
pub async fn publish_dns(
    vm_id: String,
    zone_id: String,
    name: String,
    ttl: String,
) -> Result<Published, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize_refs, Target};
    use crate::server::lunanode::actions as api;
    let vm_id = vm_id.trim().to_owned();
    let zone_ref = crate::server::authz::checked_target(&kinds::ZONE, &zone_id)?;
    let g = authorize_refs::<api::DnsSet>(Target::vm(vm_id.clone()), vec![zone_ref]).await?;
    let zone = super::ssr::zone(&g, super::ssr::Zk::Current, &zone_id).await?;
    let relative = super::check::owner(&name, &zone.name)
        .map_err(|e| crate::error::FieldErrors::single("name", e))?;
    let fqdn = if relative == "@" {
        zone.name.clone()
    } else {
        format!("{relative}.{}", zone.name)
    };
    let table = ssr::table(&g).await?;
    let rows: Vec<ReverseRow> = table.into_iter().filter(|r| r.vm_id == vm_id).collect();
    if rows.is_empty() {
        return Err(AppError::Conflict(
            "The VM has no public address yet: wait until it has one, or attach a floating IP."
                .into(),
        ));
    }
    let records = super::ssr::records(&g, super::ssr::Zk::Current, &zone).await?;
    let mut out = Published {
        fqdn: fqdn.clone(),
        ..Default::default()
    };
    for row in &rows {
        let rtype = if row.ip.contains(':') { "AAAA" } else { "A" };
        let form = NewRecord {
            rtype: rtype.into(),
            name: relative.clone(),
            data: row.ip.clone(),
            ttl: ttl.clone(),
            route: "plain".into(),
            ..Default::default()
        };
        let c = match super::check::record(&form, &zone.name, false, &[], &[]) {
            Ok(c) => c,
            Err(e) => {
                let msg =
                    e.0.iter()
                        .map(|f| f.message.clone())
                        .collect::<Vec<_>>()
                        .join(" ");
                return Err(crate::error::FieldErrors::single("ttl", msg));
            }
        };
        if records.iter().any(|r| c.same_as(r)) {
            out.done
                .push(format!("{rtype} {fqdn} → {} was there already.", row.ip));
        } else if let Some(r) = records
            .iter()
            .find(|r| r.name == relative && r.rtype == "CNAME")
        {
            out.problems.push(format!(
                "{fqdn} is a CNAME (to {}): no {rtype} record was added. Remove the CNAME first.",
                r.data
            ));
            continue;
        } else {
            match super::ssr::add(&g, super::ssr::Zk::Current, &zone.id, &c).await {
                Ok(_) => out.done.push(format!("Added {rtype} {fqdn} → {}.", row.ip)),
                Err(e) => {
                    out.problems
                        .push(format!("{rtype} {fqdn} → {}: {e}", row.ip));
                    continue;
                }
            }
        }
        if row.hostname == fqdn {
            out.done
                .push(format!("Reverse DNS of {} was {fqdn} already.", row.ip));
        } else {
            match ssr::set(&g, row, Some(fqdn.clone())).await {
                Ok(()) => out
                    .done
                    .push(format!("Reverse DNS of {} set to {fqdn}.", row.ip)),
                Err(e) => out.problems.push(format!("Reverse DNS of {}: {e}", row.ip)),
            }
        }
    }
    Ok(out)
}
