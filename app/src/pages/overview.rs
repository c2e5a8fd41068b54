//! `/`: the signed-in user's starting point.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::live::load_in_browser;
use crate::components::shell::Loading;
use crate::overview::overview_summary;
use crate::pages::format::usd;
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
                                <dt>"Run rate"</dt>
                                <dd>{format!("{}/month for the VMs' plans", usd(s.monthly))}</dd>
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

#[component]
pub fn OverviewPage() -> impl IntoView {
    let ctx = expect_context::<PanelContext>();
    view! {
        <Title text="Overview" />
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
