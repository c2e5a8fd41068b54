//! `/sign-in`.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::auth::SignIn;
use crate::components::form::{action_error, field_error, Field, FormAlert, SubmitButton};
use crate::types::SignUpPolicy;
use crate::PanelContext;

#[component]
pub fn SignInPage() -> impl IntoView {
    let ctx = expect_context::<PanelContext>();
    let action = ServerAction::<SignIn>::new();
    let error = action_error(action.value());
    PanelContext::enter_after_success(action.value());

    view! {
        <Title text="Sign in" />
        <main class="standalone" id="main">
            <section class="card narrow auth-card">
                <h1>"Sign in to lunapanel"</h1>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let info = ctx.info.await.ok();
                        let signed_in = info.as_ref().is_some_and(|i| i.user.is_some());
                        let demo = info.as_ref().and_then(|i| i.demo_sign_in.clone());
                        view! {
                            {signed_in.then(|| view! { <Redirect path="/" /> })}
                            {demo.map(|d| view! {
                                <div class="notice notice-demo" role="note">
                                    <strong>"Demo mode. "</strong>
                                    "Sign in as " <code>{d.email}</code> " with password "
                                    <code>{d.password}</code> "."
                                </div>
                            })}
                        }
                    })}
                </Transition>
                <ActionForm action=action attr:novalidate=true>
                    <FormAlert error fields=&["email", "password"] />
                    <Field
                        name="email"
                        label="E-mail address"
                        input_type="email"
                        autocomplete="username"
                        error=field_error(error, "email")
                    />
                    <Field
                        name="password"
                        label="Password"
                        error=field_error(error, "password")
                        autocomplete="current-password"
                        input_type="password"
                        revealable=true
                    />
                    <SubmitButton label="Sign in" busy_label="Signing in…" pending=action.pending() />
                </ActionForm>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let can_sign_up = ctx
                            .info
                            .await
                            .is_ok_and(|i| i.first_user || i.sign_up == SignUpPolicy::Open);
                        can_sign_up.then(|| view! {
                            <p class="aside">
                                "New here? " <a href="/sign-up">"Create an account"</a>
                            </p>
                        })
                    })}
                </Transition>
            </section>
        </main>
    }
}
