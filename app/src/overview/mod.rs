//! The overview: credit (owners and resellers), the account's VMs by state and what they
//! cost per month.

use leptos::prelude::*;

use crate::error::AppError;
pub use crate::model::vm::AccountSummary;
#[cfg(feature = "ssr")]
use crate::model::vm::{PlanView, VmPhase};

/// The account's credit, for the overview's cards.
#[cfg(feature = "ssr")]
mod credit {
    use crate::error::AppError;
    use crate::server::authz::{Grant, Permission, Target};
    use crate::server::lunanode::actions as api;

    /// The grant to read the credit; `None` for a customer (the credit is their
    /// reseller's business, not theirs).
    pub async fn grant<P: Permission>(
        list: &Grant<P>,
    ) -> Result<Option<Grant<api::BillingCredit>>, AppError> {
        match list.customer() {
            Some(_) => Ok(None),
            None => Ok(Some(
                list.also::<api::BillingCredit>(Target::Account).await?,
            )),
        }
    }

    /// The credit in USD, read through `grant` (`None` without one).
    pub async fn read(grant: &Option<Grant<api::BillingCredit>>) -> Result<Option<f64>, AppError> {
        match grant {
            Some(g) => g
                .call(&api::BillingCredit {}, "The account")
                .await
                .map(|c| Some(c.credit)),
            None => Ok(None),
        }
    }
}

/// Credit, VM counts by state and the monthly run rate, for the overview.
#[server(name = OverviewSummaryFn, endpoint = "overview/summary")]
pub async fn overview_summary() -> Result<AccountSummary, AppError> {
    use crate::server::authz::Target;
    use crate::server::lunanode::actions as api;
    let list = crate::server::authz::authorize::<api::VmList>(Target::Account).await?;
    let credit_grant = credit::grant(&list).await?;
    if list.state().store.credential(list.account).await?.is_none() {
        return Err(AppError::NoCredential);
    }
    let credit = credit::read(&credit_grant);
    let (credit, snapshot, plans) = futures::join!(
        credit,
        crate::vm::ssr::snapshot(&list),
        crate::catalog::ssr::plans(&list)
    );
    let (credit, plans) = (credit?, plans.unwrap_or_default());
    let snapshot = list.filter_snapshot(&snapshot?);
    let price = |plan: &str| {
        plans
            .iter()
            .find(|p| p.plan_id == plan || p.name == plan)
            .map_or(0.0, PlanView::monthly)
    };
    let count = |phases: &[VmPhase]| {
        snapshot
            .vms
            .iter()
            .filter(|v| v.phase().is_some_and(|p| phases.contains(&p)))
            .count()
    };
    Ok(AccountSummary {
        credit,
        vms: snapshot.vms.len(),
        online: count(&[VmPhase::Running]),
        offline: count(&[VmPhase::Stopped, VmPhase::Shelved]),
        changing: snapshot.vms.iter().filter(|v| v.in_transition()).count(),
        monthly: snapshot.vms.iter().map(|v| price(&v.plan_id)).sum(),
    })
}

#[cfg(feature = "ssr")]
mod costs {
    use std::collections::HashMap;

    use crate::model::billing::*;
    use crate::model::kinds::Listed;
    use crate::model::vm::{PlanView, VmListing, VmPhase};

    /// What the areas are made of, before pricing (the account's or a customer's part).
    #[derive(Default)]
    pub struct Holdings<'a> {
        pub vms: Vec<&'a crate::model::vm::VmRow>,
        pub volumes: Vec<Option<u32>>,
        pub floating: usize,
        pub lbs: usize,
    }

    pub fn priced(h: &Holdings<'_>, plans: &[PlanView]) -> Vec<AreaCost> {
        let vms: Vec<PricedVm> = h
            .vms
            .iter()
            .map(|v| {
                let plan = plans
                    .iter()
                    .find(|p| p.plan_id == v.plan_id || p.name == v.plan_id);
                PricedVm {
                    plan: plan.map_or_else(|| v.plan_name.clone(), |p| p.name.clone()),
                    hourly: plan.map(|p| p.hourly),
                    shelved: v.phase() == Some(VmPhase::Shelved),
                }
            })
            .collect();
        vec![
            vm_area(&vms),
            volume_area(&h.volumes),
            floating_area(h.floating),
            lb_area(h.lbs),
        ]
    }

    /// The resources `owned` accepts (by kind key and id) out of everything listed.
    pub fn holdings<'a>(
        owned: &dyn Fn(&str, &str) -> bool,
        vms: &'a VmListing,
        volumes: &[(String, Option<u32>)],
        floating: &[Listed],
        lbs: &[Listed],
    ) -> Holdings<'a> {
        Holdings {
            vms: vms.vms.iter().filter(|v| owned("vm", &v.vm_id)).collect(),
            volumes: volumes
                .iter()
                .filter(|(id, _)| owned("volume", id))
                .map(|(_, gb)| *gb)
                .collect(),
            // A VM's own (primary) address comes with its plan (INFERRED: Luna Node lists
            // it as a floating IP attached to the VM); the others are billed.
            floating: floating
                .iter()
                .filter(|f| owned("floating", &f.id))
                .filter(|f| !vms.vms.iter().any(|v| v.ip == f.id))
                .count(),
            lbs: lbs.iter().filter(|l| owned("lb", &l.id)).count(),
        }
    }

    /// Owner of each assigned resource: (kind, id) → customer.
    pub fn owners(ledger: &[crate::model::tenancy::Assignment]) -> HashMap<(String, String), i64> {
        ledger
            .iter()
            .map(|a| ((a.kind.clone(), a.resource_id.clone()), a.customer_id))
            .collect()
    }
}

/// What the account (a customer: their part) costs by area, days of credit left, the
/// change since an earlier day and, for a reseller, the same per customer.
#[server(name = OverviewBillingFn, endpoint = "overview/billing")]
pub async fn overview_billing() -> Result<crate::model::billing::Billing, AppError> {
    use crate::kinds;
    use crate::model::billing::*;
    use crate::server::authz::Target;
    use crate::server::lunanode::actions as api;
    let list = crate::server::authz::authorize::<api::VmList>(Target::Account).await?;
    if list.state().store.credential(list.account).await?.is_none() {
        return Err(AppError::NoCredential);
    }
    let credit_grant = credit::grant(&list).await?;
    let credit = credit::read(&credit_grant);
    let volumes = async {
        let g = list.also::<api::VolumeList>(Target::Account).await?;
        let l = g
            .call(&api::VolumeList::default(), "The volume list")
            .await?;
        Ok::<_, AppError>(
            l.volumes
                .into_iter()
                .filter(|v| g.sees(&kinds::VOLUME, &v.id))
                .map(|v| (v.id, v.size))
                .collect::<Vec<_>>(),
        )
    };
    // Floating IPs and load balancers from the instance's shared pollers (as the command
    // palette reads them): opening the overview spends no upstream call on them. A list
    // the poller has not read, or failed to read last time, is missing.
    let cached = |kind: &'static kinds::Kind| {
        let list = list.clone();
        async move {
            let wait = std::time::Duration::from_secs(10);
            match list.cached_kind(kind, wait).await? {
                (rows, None) => Ok(rows),
                (_, Some(message)) => Err(AppError::Upstream {
                    problem: crate::error::UpstreamProblem::Unavailable,
                    message,
                }),
            }
        }
    };
    let (credit, snapshot, plans, volumes, floating, lbs) = futures::join!(
        credit,
        crate::vm::ssr::snapshot(&list),
        crate::catalog::ssr::plans(&list),
        volumes,
        cached(&kinds::FLOATING),
        cached(&kinds::LB),
    );
    let credit = credit?;
    let snapshot = list.filter_snapshot(&snapshot?);
    let plans = plans.unwrap_or_default();
    let mut missing = Vec::new();
    let volumes = or_missing(volumes, "volumes", &mut missing);
    let floating = or_missing(floating, "floating IPs", &mut missing);
    let lbs = or_missing(lbs, "load balancers", &mut missing);
    let all = |_: &str, _: &str| true;
    let areas = costs::priced(
        &costs::holdings(&all, &snapshot, &volumes, &floating, &lbs),
        &plans,
    );
    // A reseller: each customer's part, then what is nobody's (the reseller's own).
    let mut customers = Vec::new();
    if list.customer().is_none() {
        let store = &list.state().store;
        let ledger = store.assignments(list.account, None).await?;
        if !ledger.is_empty() {
            let owners = costs::owners(&ledger);
            let owned_by = |c: Option<i64>| {
                let owners = &owners;
                move |kind: &str, id: &str| {
                    owners.get(&(kind.to_owned(), id.to_owned())).copied() == c
                }
            };
            for c in store.list_customers(list.account).await? {
                let f = owned_by(Some(c.id));
                let h = costs::holdings(&f, &snapshot, &volumes, &floating, &lbs);
                if h.vms.is_empty() && h.volumes.is_empty() && h.floating == 0 && h.lbs == 0 {
                    continue;
                }
                customers.push(CustomerCost {
                    customer_id: c.id,
                    name: if c.display_name.trim().is_empty() {
                        c.email.clone()
                    } else {
                        c.display_name.clone()
                    },
                    areas: costs::priced(&h, &plans),
                });
            }
            let f = owned_by(None);
            let own = costs::holdings(&f, &snapshot, &volumes, &floating, &lbs);
            customers.push(CustomerCost {
                customer_id: 0,
                name: "Not assigned (yours)".into(),
                areas: costs::priced(&own, &plans),
            });
        }
    }
    let mut billing = Billing {
        credit,
        areas,
        customers,
        missing,
        since: None,
    };
    // The account's own record (a customer's part is not recorded: it is the account's).
    if list.customer().is_none() && billing.missing.is_empty() {
        let store = &list.state().store;
        let today = today_utc();
        let before = store.billing_before(list.account, &today).await?;
        store
            .put_billing_day(list.account, &today, billing.credit, billing.monthly())
            .await?;
        billing.since = before.map(|(day, credit, monthly)| SinceBefore {
            day,
            credit: credit.zip(billing.credit).map(|(then, now)| now - then),
            monthly: billing.monthly() - monthly,
        });
    }
    Ok(billing)
}

/// The list, or nothing with `what` noted as missing (the page says which area it lacks).
#[cfg(feature = "ssr")]
fn or_missing<T>(r: Result<Vec<T>, AppError>, what: &str, missing: &mut Vec<String>) -> Vec<T> {
    r.unwrap_or_else(|_| {
        missing.push(what.to_owned());
        Vec::new()
    })
}

/// Today's date in UTC, `YYYY-MM-DD`.
#[cfg(feature = "ssr")]
fn today_utc() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}
