//! `/sign-in`.

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::auth::totp::SignInCode;
use crate::auth::SignIn;
use crate::components::form::{
    action_error, field_error, Field, FieldsForm, FormAlert, SubmitButton,
};
use crate::error::AppError;
use crate::pages::security::IdField;
use crate::types::{SignInOutcome, SignUpPolicy};
use crate::PanelContext;

#[component]
pub fn SignInPage() -> impl IntoView {
    let ctx = expect_context::<PanelContext>();
    let action = ServerAction::<SignIn>::new();
    let code = ServerAction::<SignInCode>::new();
    // The second step (a code) once the password was right and the account has a second
    // factor; back to the first when the partial sign-in ends (timeout, wrong codes).
    let second_step = RwSignal::new(false);
    let ended = RwSignal::new(None::<AppError>);
    Effect::new(move |_| {
        if let Some(Ok(SignInOutcome::CodeNeeded)) = action.value().get() {
            ended.set(None);
            code.value().set(None);
            second_step.set(true);
        }
    });
    Effect::new(move |_| {
        if let Some(Err(e)) = code.value().get() {
            if e == AppError::Unauthenticated {
                ended.set(Some(AppError::Conflict(
                    "The sign-in was not completed (too many wrong codes, or it took too long). \
                     Sign in again."
                        .into(),
                )));
                second_step.set(false);
            }
        }
    });
    let password_error = action_error(action.value());
    let error = Signal::derive(move || ended.get().or_else(|| password_error.get()));
    let code_error = action_error(code.value());
    let signed_in = Signal::derive(move || {
        action
            .value()
            .get()
            .filter(|r| !matches!(r, Ok(SignInOutcome::CodeNeeded)))
    });
    // Into the console as a new document (its policy is made for who signed in).
    PanelContext::enter_after_success(signed_in);
    PanelContext::enter_after_success(code.value());

    view! {
        <PageTitle text="Sign in" />
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
                <div hidden=move || second_step.get()>
                    <FieldsForm
                        action=action
                        id="sign-in-form"
                        read=|field| SignIn { email: field("email"), password: field("password") }
                    >
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
                    </FieldsForm>
                </div>
                {move || second_step.get().then(|| view! {
                    <FieldsForm action=code id="sign-in-code-form" read=|field| SignInCode { code: field("code") }>
                        <p>"Two-step sign-in is on for this account."</p>
                        <FormAlert error=code_error fields=&["code"] />
                        <IdField
                            id="sign-in-code"
                            name="code"
                            label="Code from your authenticator app"
                            hint="Or one of your recovery codes."
                            autocomplete="one-time-code"
                            error=field_error(code_error, "code")
                        />
                        <SubmitButton label="Continue" busy_label="Checking…" pending=code.pending() />
                        <button
                            type="button"
                            class="button subtle"
                            id="sign-in-restart"
                            on:click=move |_| second_step.set(false)
                        >
                            "Start again"
                        </button>
                    </FieldsForm>
                })}
                <p class="aside">
                    "Forgot your password? Ask the panel's administrator (or your provider) for \
                     a reset link."
                </p>
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
