//! `/plans` and `/regions`: what Luna Node offers, with prices.

use crate::components::title::PageTitle;
use leptos::prelude::*;

use crate::catalog::{catalog_plans, catalog_regions};
use crate::components::shell::Loading;
use crate::components::table::DataTable;
use crate::pages::format::{opt, ram, usd};
use crate::pages::vms::UpstreamProblemNotice;

#[component]
pub fn PlansPage() -> impl IntoView {
    let plans = Resource::new(|| (), |_| catalog_plans());
    view! {
        <PageTitle text="Plans" />
        <h1>"Plans"</h1>
        <p>"Prices are billed hourly; the monthly figure is 730 hours."</p>
        <Suspense fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match plans.await {
                    Ok(plans) => view! {
                        <DataTable headers=&["Plan", "Category", "vCPU", "RAM", "Disk", "Bandwidth", "Hourly", "Monthly", "Regions"]>
                            {plans.into_iter().map(|p| view! {
                                <tr>
                                    <td><strong>{p.name.clone()}</strong></td>
                                    <td>{p.category.clone()}</td>
                                    <td>{p.vcpu}</td>
                                    <td>{ram(Some(p.ram_mb))}</td>
                                    <td>{format!("{} GB", p.disk_gb)}</td>
                                    <td>{opt(p.bandwidth_gb, " GB")}</td>
                                    <td>{usd(p.hourly)}</td>
                                    <td>{usd(p.monthly())}</td>
                                    <td>{p.regions.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </DataTable>
                    }.into_any(),
                    Err(e) => view! { <UpstreamProblemNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn RegionsPage() -> impl IntoView {
    let regions = Resource::new(|| (), |_| catalog_regions());
    view! {
        <PageTitle text="Regions" />
        <h1>"Regions"</h1>
        <Suspense fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match regions.await {
                    Ok(regions) => view! {
                        <DataTable headers=&["Region", "Code"]>
                            {regions.into_iter().map(|r| view! {
                                <tr><td>{r.name.clone()}</td><td><code>{r.code.clone()}</code></td></tr>
                            }).collect_view()}
                        </DataTable>
                    }.into_any(),
                    Err(e) => view! { <UpstreamProblemNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
