//! The overview: credit (owners and resellers), the account's VMs by state and what they
//! cost per month.

use leptos::prelude::*;

use crate::error::AppError;
pub use crate::model::vm::AccountSummary;
#[cfg(feature = "ssr")]
use crate::model::vm::{PlanView, VmPhase};

/// Credit, VM counts by state and the monthly run rate, for the overview.
#[server(name = OverviewSummaryFn, endpoint = "overview/summary")]
pub async fn overview_summary() -> Result<AccountSummary, AppError> {
    use crate::server::authz::Target;
    use crate::server::lunanode::actions as api;
    let list = crate::server::authz::authorize::<api::VmList>(Target::Account).await?;
    // The account's credit is the reseller's business, not their customers'.
    let credit_grant = match list.customer() {
        Some(_) => None,
        None => Some(list.also::<api::BillingCredit>(Target::Account).await?),
    };
    if list.state().store.credential(list.account).await?.is_none() {
        return Err(AppError::NoCredential);
    }
    let credit = async {
        match &credit_grant {
            Some(g) => g
                .call(&api::BillingCredit {}, "The account")
                .await
                .map(|c| Some(c.credit)),
            None => Ok(None),
        }
    };
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
