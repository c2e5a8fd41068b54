//! `/`: the signed-in user's starting point.

use crate::components::title::PageTitle;
use leptos::prelude::*;

use crate::components::live::load_in_browser;
use crate::components::shell::Loading;
use crate::model::billing::{AreaCost, Billing};
use crate::overview::{overview_billing, overview_summary};
use crate::pages::format::{usd, usd_delta};
use crate::pages::vms::UpstreamProblemNotice;
use crate::types::SignUpPolicy;
use crate::PanelContext;

/// Credit, VMs by state and the monthly run rate of the Luna Node account.
#[component]
fn AccountCard(customer: bool) -> impl IntoView {
    let summary = load_in_browser(overview_summary);
    view! {
        <section class="card" id="account-summary">
            <h2>{if customer { "Your servers" } else { "Luna Node account" }}</h2>
                {move || {
                    match summary.get() {
                        None => view! { <Loading /> }.into_any(),
                        Some(Ok(s)) => view! {
                            <dl class="facts">
                                {s.credit.map(|c| view! {
                                    <dt>"Credit"</dt>
                                    <dd>{usd(c)}</dd>
                                })}
                                <dt>"Virtual machines"</dt>
                                <dd>
                                    {format!("{} ({} online, {} stopped or shelved, {} changing)", s.vms, s.online, s.offline, s.changing)}
                                </dd>
                            </dl>
                            <p>
                                <a href="/vms">"Go to your VMs"</a>
                                " · "
                                <a href="/vms/new">"Create a VM"</a>
                            </p>
                        }
                        .into_any(),
                        Some(Err(e)) => view! { <UpstreamProblemNotice error=e /> }.into_any(),
                    }
                }}
        </section>
    }
}

/// One table of areas with their hourly and monthly cost, and the total.
fn cost_table(id: String, caption: String, areas: Vec<AreaCost>) -> impl IntoView {
    let hourly: f64 = areas.iter().map(|a| a.hourly).sum();
    let monthly: f64 = areas.iter().map(AreaCost::monthly).sum();
    let label = caption.clone();
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label=label>
            <table class="data" id=id>
                <caption class="visually-hidden">{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Area"</th>
                        <th scope="col">"What"</th>
                        <th scope="col" class="num">"Per hour"</th>
                        <th scope="col" class="num">"Per month"</th>
                    </tr>
                </thead>
                <tbody>
                    {areas.into_iter().map(|a| {
                        let monthly = a.monthly();
                        view! {
                            <tr data-area=a.key.clone()>
                                <th scope="row">{a.label.clone()}</th>
                                <td>{a.detail.clone()}</td>
                                <td class="num">{usd(a.hourly)}</td>
                                <td class="num">{usd(monthly)}{a.estimate.then_some(" *")}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
                <tfoot>
                    <tr class="total">
                        <th scope="row" colspan="2">"Total"</th>
                        <td class="num">{usd(hourly)}</td>
                        <td class="num" data-total="monthly">{usd(monthly)}</td>
                    </tr>
                </tfoot>
            </table>
        </div>
    }
}

/// The run rate by area, days of credit left, the change since an earlier day and, for a
/// reseller, each customer's part.
#[component]
fn CostCard(customer: bool) -> impl IntoView {
    let billing = load_in_browser(overview_billing);
    let body = move |b: Billing| {
        let days = b.days_left();
        let monthly = b.monthly();
        let since = b.since.clone();
        let customers = b.customers.clone();
        let missing = b.missing.clone();
        let any_estimate = b.areas.iter().any(|a| a.estimate && a.count > 0);
        view! {
            <dl class="facts" id="cost-facts">
                <dt>"Run rate"</dt>
                <dd id="cost-monthly">{format!("{}/month ({}/hour)", usd(monthly), usd(b.hourly()))}</dd>
                {b.credit.map(|c| view! {
                    <dt>"Credit"</dt>
                    <dd id="cost-credit">{usd(c)}</dd>
                    <dt>"Credit lasts"</dt>
                    <dd id="cost-days" class:warning-text=days.is_some_and(|d| d < 7.0)>
                        {match days {
                            Some(d) if d >= 365.0 => "more than a year at this rate".to_owned(),
                            Some(d) => format!("{d:.1} days at this rate"),
                            None => "– (nothing is billed)".to_owned(),
                        }}
                    </dd>
                })}
                {since.map(|s| view! {
                    <dt>{format!("Since {}", s.day)}</dt>
                    <dd id="cost-since">
                        {format!("run rate {}/month", usd_delta(s.monthly))}
                        {s.credit.map(|c| format!("; credit {}", usd_delta(c)))}
                    </dd>
                })}
            </dl>
            {(!missing.is_empty()).then(|| view! {
                <p class="notice notice-warning">{format!("Left out (could not be read just now): {}.", missing.join(", "))}</p>
            })}
            {cost_table("cost-areas".into(), if customer { "What your servers cost".into() } else { "What the account costs".into() }, b.areas.clone())}
            {any_estimate.then(|| view! {
                <p class="muted small">"* An estimate: Luna Node does not publish these prices through its API. Plans are priced from Luna Node's plan list."</p>
            })}
            {(!customers.is_empty()).then(|| view! {
                <h3>"By customer, at Luna Node's prices"</h3>
                <div class="table-wrap" tabindex="0" role="region" aria-label="Cost by customer">
                    <table class="data" id="cost-customers">
                        <thead>
                            <tr>
                                <th scope="col">"Customer"</th>
                                <th scope="col">"VMs"</th>
                                <th scope="col" class="num">"Per hour"</th>
                                <th scope="col" class="num">"Per month"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {customers.into_iter().map(|c| {
                                let hourly = c.hourly();
                                let vms = c.areas.iter().find(|a| a.key == "vms").map(|a| a.detail.clone()).unwrap_or_default();
                                let name = if c.customer_id == 0 {
                                    view! { <span>{c.name.clone()}</span> }.into_any()
                                } else {
                                    view! { <a href=format!("/customers/{}", c.customer_id)>{c.name.clone()}</a> }.into_any()
                                };
                                view! {
                                    <tr data-customer=c.customer_id.to_string()>
                                        <th scope="row">{name}</th>
                                        <td>{vms}</td>
                                        <td class="num">{usd(hourly)}</td>
                                        <td class="num">{usd(hourly * crate::model::vm::HOURS_PER_MONTH)}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
        }
    };
    view! {
        <section class="card card-wide" id="costs">
            <h2>"Costs"</h2>
            {move || match billing.get() {
                None => view! { <Loading label="Adding up the costs…" /> }.into_any(),
                Some(Ok(b)) => body(b).into_any(),
                Some(Err(e)) => view! { <UpstreamProblemNotice error=e /> }.into_any(),
            }}
        </section>
    }
}

#[component]
pub fn OverviewPage() -> impl IntoView {
    let ctx = expect_context::<PanelContext>();
    view! {
        <PageTitle text="Overview" />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = ctx.info.await.ok()?;
                let user = info.user?;
                let policy = match info.sign_up {
                    SignUpPolicy::Open => "Anyone who can reach this panel may create an account.",
                    SignUpPolicy::InviteOnly => "New accounts need an invite link from an administrator.",
                };
                Some(view! {
                    <h1>"Welcome, " {user.display_name.clone()}</h1>
                    <div class="cards">
                        <AccountCard customer=user.is_customer() />
                        <CostCard customer=user.is_customer() />
                        <section class="card">
                            <h2>"Your account"</h2>
                            <dl class="facts">
                                <dt>"Signed in as"</dt>
                                <dd>{user.email.clone()}</dd>
                                <dt>"Role"</dt>
                                <dd>{user.role.label()}</dd>
                            </dl>
                            <p>
                                <a href="/account">"Change your password"</a>
                            </p>
                        </section>
                        <section class="card">
                            <h2>"This panel"</h2>
                            <dl class="facts">
                                <dt>"Mode"</dt>
                                <dd>
                                    {if info.demo {
                                        "Demo: a shared demo account; nothing is real or billed"
                                    } else {
                                        "Production"
                                    }}
                                </dd>
                                <dt>"Sign-up"</dt>
                                <dd>{policy}</dd>
                            </dl>
                            {user.is_admin().then(|| view! {
                                <p>
                                    <a href="/admin">"Manage users and invites"</a>
                                </p>
                            })}
                        </section>
                    </div>
                })
            })}
        </Suspense>
    }
}
