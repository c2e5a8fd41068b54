//! `/account`: who you are, changing your password, and the way to two-step sign-in.

use crate::components::title::PageTitle;
use leptos::prelude::*;

use crate::auth::ChangePassword;
use crate::components::form::{action_error, field_error, Field, FormAlert, SubmitButton};
use crate::PanelContext;

const FIELDS: &[&str] = &["current", "new_password", "confirm"];

#[component]
pub fn AccountPage() -> impl IntoView {
    let ctx = expect_context::<PanelContext>();
    view! {
        <PageTitle text="Account" />
        <h1>"Account"</h1>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                ctx.info.await.ok().and_then(|i| i.user).map(|u| view! {
                    <section class="card">
                        <h2>"Profile"</h2>
                        <dl class="facts">
                            <dt>"Name"</dt>
                            <dd>{u.display_name}</dd>
                            <dt>"E-mail address"</dt>
                            <dd>{u.email}</dd>
                            <dt>"Role"</dt>
                            <dd>{u.role.label()}</dd>
                        </dl>
                    </section>
                })
            })}
        </Suspense>
        <section class="card">
            <h2>"Two-step sign-in"</h2>
            <p>
                "Ask for a code from an authenticator app at sign-in, on top of your password. "
                <a href={crate::auth::totp::SECURITY_PAGE} id="security-link">
                    "Sign-in security"
                </a>
            </p>
        </section>
        <ChangePasswordCard />
        <section class="card">
            <h2>"Sessions"</h2>
            <p>"See where you are signed in, and sign out sessions you do not recognise."</p>
            <a class="button" id="open-sessions" href="/account/sessions">"Your sessions"</a>
        </section>
    }
}

#[component]
fn ChangePasswordCard() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let error = action_error(action.value());
    // Bumped after each success so the form is drawn afresh (empty).
    let done = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            done.update(|d| *d += 1);
        }
    });
    let succeeded = move || matches!(action.value().get(), Some(Ok(())));

    view! {
        <section class="card">
            <h2>"Change password"</h2>
            <p>"Changing your password signs you out everywhere else."</p>
            <div class="notice notice-success" role="status" hidden=move || !succeeded()>
                "Your password was changed. Every other session has been signed out."
            </div>
            {move || {
                let _ = done.get();
                view! {
                    <ActionForm action=action attr:novalidate=true attr:id="change-password">
                        <FormAlert error fields=FIELDS />
                        <Field
                            name="current"
                            label="Current password"
                            error=field_error(error, "current")
                            autocomplete="current-password"
                            input_type="password"
                            revealable=true
                        />
                        <Field
                            name="new_password"
                            label="New password"
                            autocomplete="new-password"
                            hint="At least 10 characters."
                            error=field_error(error, "new_password")
                            input_type="password"
                            revealable=true
                        />
                        <Field
                            name="confirm"
                            label="Repeat the new password"
                            autocomplete="new-password"
                            error=field_error(error, "confirm")
                            input_type="password"
                            revealable=true
                        />
                        <SubmitButton
                            label="Change password"
                            busy_label="Changing…"
                            pending=action.pending()
                        />
                    </ActionForm>
                }
            }}
        </section>
    }
}
