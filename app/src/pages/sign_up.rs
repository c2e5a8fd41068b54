//! `/sign-up` (optionally `?invite=TOKEN`).

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use crate::auth::SignUp;
use crate::components::form::{action_error, field_error, Field, FormAlert, SubmitButton};
use crate::components::shell::{ErrorNotice, Loading};
use crate::types::{PanelInfo, SignUpPolicy};
use crate::validate::password_problem;
use crate::PanelContext;

const FIELDS: &[&str] = &["name", "email", "password", "confirm"];

#[component]
pub fn SignUpPage() -> impl IntoView {
    let ctx = expect_context::<PanelContext>();
    let query = use_query_map();
    let invite = move || query.with(|q| q.get("invite")).filter(|t| !t.is_empty());

    view! {
        <PageTitle text="Create an account" />
        <main class="standalone" id="main">
            <section class="card narrow auth-card">
                <h1>"Create your lunapanel account"</h1>
                <Suspense fallback=|| view! { <Loading /> }>
                    {move || Suspend::new(async move {
                        match ctx.info.await {
                            Ok(info) => view! { <SignUpBody info invite=invite() /> }.into_any(),
                            Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                        }
                    })}
                </Suspense>
                <p class="aside">"Already have an account? " <a href="/sign-in">"Sign in"</a></p>
            </section>
        </main>
    }
}

#[component]
fn SignUpBody(info: PanelInfo, invite: Option<String>) -> impl IntoView {
    if info.user.is_some() {
        return view! { <Redirect path="/" /> }.into_any();
    }
    let allowed = info.first_user || invite.is_some() || info.sign_up == SignUpPolicy::Open;
    if !allowed {
        return view! {
            <div class="notice" role="note">
                <p>
                    "This panel is invite-only. Ask its administrator for an invite link, then open it to create your account."
                </p>
            </div>
        }
        .into_any();
    }
    let intro = if info.first_user {
        "You are creating the first account, which becomes the panel's administrator."
    } else if invite.is_some() {
        "You were invited to this panel. Choose your sign-in details."
    } else {
        "Choose your sign-in details."
    };
    view! {
        <p>{intro}</p>
        <SignUpForm invite />
    }
    .into_any()
}

#[component]
fn SignUpForm(invite: Option<String>) -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = action_error(action.value());
    PanelContext::enter_after_success(action.value());

    // Live hints while typing; the server checks the same rules again.
    let typed_email = RwSignal::new(String::new());
    let typed_password = RwSignal::new(String::new());
    let password_error = {
        let server = field_error(error, "password");
        Signal::derive(move || {
            server.get().or_else(|| {
                let pw = typed_password.get();
                if pw.is_empty() {
                    None
                } else {
                    password_problem(&pw, &typed_email.get())
                }
            })
        })
    };

    view! {
        <ActionForm action=action attr:novalidate=true>
            <FormAlert error fields=FIELDS />
            {invite.map(|token| view! { <input type="hidden" name="invite" value=token /> })}
            <Field name="name" label="Your name" autocomplete="name" error=field_error(error, "name") />
            <Field
                name="email"
                label="E-mail address"
                input_type="email"
                autocomplete="username"
                error=field_error(error, "email")
                on_input=Callback::new(move |v| typed_email.set(v))
            />
            <Field
                name="password"
                label="Password"
                autocomplete="new-password"
                hint="At least 10 characters. A passphrase of a few words is easiest to remember."
                error=password_error
                on_input=Callback::new(move |v| typed_password.set(v))
                input_type="password"
                revealable=true
            />
            <Field
                name="confirm"
                label="Repeat the password"
                autocomplete="new-password"
                error=field_error(error, "confirm")
                input_type="password"
                revealable=true
            />
            <SubmitButton label="Create account" busy_label="Creating account…" pending=action.pending() />
        </ActionForm>
    }
}
