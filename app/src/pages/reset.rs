//! `/reset?token=…`: setting a new password with a reset link from the administrator or a
//! reseller. A wrong, expired or used link gets one neutral message.

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::auth::reset::{check_reset_link, ResetPassword, ResetTarget};
use crate::components::form::{action_error, field_error, FormAlert};
use crate::components::shell::Loading;
use crate::pages::security::IdField;
use crate::types::format_unix;

#[component]
pub fn ResetPage() -> impl IntoView {
    let query = use_query_map();
    let token = Memo::new(move |_| query.with(|q| q.get("token").unwrap_or_default()));
    let target = Resource::new(move || token.get(), check_reset_link);
    view! {
        <PageTitle text="Set a new password" />
        <main class="standalone" id="main">
            <section class="card narrow auth-card">
                <h1>"Set a new password"</h1>
                <Suspense fallback=|| view! { <Loading /> }>
                    {move || Suspend::new(async move {
                        match target.await {
                            Ok(t) => view! { <ResetForm t token=token.get_untracked() /> }.into_any(),
                            Err(e) => view! {
                                <div class="notice notice-error" role="alert" id="reset-invalid">
                                    {e.to_string()}
                                </div>
                                <p class="aside"><a href="/sign-in">"Sign in"</a></p>
                            }
                            .into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}

#[component]
fn ResetForm(t: ResetTarget, token: String) -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let error = action_error(action.value());
    let done = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <div class="notice notice-success" role="status" id="reset-done" hidden=move || !done()>
            "Your password was changed and every session of this account was signed out. "
            <a href="/sign-in">"Sign in"</a>
            " with the new password."
        </div>
        <div hidden=done>
            <p>
                "For " <strong id="reset-email">{t.email}</strong> ". This link works once, until "
                {format_unix(t.expires_at)} "."
            </p>
            <p class="aside" id="reset-keeps-second-factor">
                "Setting a new password signs this account out everywhere. Two-step sign-in, if \
                 it is on, stays on: signing in still needs the authenticator app or a recovery code."
            </p>
            <ActionForm action=action attr:novalidate=true attr:id="reset-form">
                <input type="hidden" name="token" value=token />
                <FormAlert error fields=&["new_password", "confirm"] />
                <IdField
                    id="reset-password"
                    name="new_password"
                    label="New password"
                    input_type="password"
                    autocomplete="new-password"
                    hint="At least 10 characters."
                    error=field_error(error, "new_password")
                />
                <IdField
                    id="reset-confirm"
                    name="confirm"
                    label="Repeat the new password"
                    input_type="password"
                    autocomplete="new-password"
                    error=field_error(error, "confirm")
                />
                <button
                    type="submit"
                    class="button primary"
                    id="reset-submit"
                    disabled=move || action.pending().get()
                >
                    "Set the new password"
                </button>
            </ActionForm>
        </div>
    }
}
