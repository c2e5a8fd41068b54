//! `/`: the signed-in user's starting point.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::types::SignUpPolicy;
use crate::PanelContext;

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
