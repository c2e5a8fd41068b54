//! The catalogue: plans with prices and regions, as the caller may use them (a customer:
//! what their reseller allows).

use leptos::prelude::*;

use crate::error::AppError;
pub use crate::model::vm::{PlanView, RegionView};
#[cfg(feature = "ssr")]
use crate::server::{
    authz::{authorize, Target},
    lunanode::actions as api,
};

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use crate::error::AppError;
    use crate::model::vm::{PlanView, RegionView};
    use crate::server::authz::{Grant, Permission, Target};
    use crate::server::lunanode::actions as api;

    pub fn plan_view(p: api::Plan) -> PlanView {
        PlanView {
            plan_id: p.plan_id,
            name: p.name,
            category: p.category,
            vcpu: p.vcpu,
            ram_mb: p.ram,
            disk_gb: p.storage,
            bandwidth_gb: p.bandwidth,
            hourly: p.price,
            regions: p.regions_nice,
        }
    }

    pub async fn plans<P: Permission>(base: &Grant<P>) -> Result<Vec<PlanView>, AppError> {
        let g = base.also::<api::PlanList>(Target::Account).await?;
        let plans = g.call(&api::PlanList {}, "The plan list").await?;
        Ok(plans
            .plans
            .into_iter()
            .filter(|p| g.may_use(&Target::Plan(p.plan_id.clone())))
            .map(plan_view)
            .collect())
    }

    pub async fn regions<P: Permission>(base: &Grant<P>) -> Result<Vec<RegionView>, AppError> {
        let g = base.also::<api::RegionList>(Target::Account).await?;
        let regions = g.call(&api::RegionList {}, "The region list").await?;
        Ok(regions
            .regions
            .into_iter()
            .filter(|(code, _)| g.may_use(&Target::Region(code.clone())))
            .map(|(code, name)| RegionView { code, name })
            .collect())
    }
}

/// Plans with prices.
#[server(name = CatalogPlansFn, endpoint = "catalog/plans")]
pub async fn catalog_plans() -> Result<Vec<PlanView>, AppError> {
    let g = authorize::<api::PlanList>(Target::Account).await?;
    ssr::plans(&g).await
}

/// Regions.
#[server(name = CatalogRegionsFn, endpoint = "catalog/regions")]
pub async fn catalog_regions() -> Result<Vec<RegionView>, AppError> {
    let g = authorize::<api::RegionList>(Target::Account).await?;
    ssr::regions(&g).await
}
