//! `/account/security`: two-step sign-in (an authenticator app, TOTP) — setting it up with a
//! QR code made on the server, recovery codes, turning it off. Users whose role the
//! administrator requires it of are sent here until they have set it up.

use crate::components::title::PageTitle;
use leptos::prelude::*;

use crate::auth::totp::{
    totp_status, BeginTotp, ConfirmTotp, DisableTotp, QrMatrix, RegenerateRecoveryCodes,
    SecondFactorStatus,
};
use crate::components::form::{action_error, field_error, Field, FormAlert};
use crate::components::shell::{ErrorNotice, Loading};
use crate::PanelContext;

/// A labelled input with a stable `id` (for pages with several inputs of the same name).
#[component]
pub fn IdField(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.with(Option::is_some) {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:field-invalid=move || error.with(Option::is_some)>
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="field-hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id
                name=name
                type=input_type
                autocomplete=autocomplete
                spellcheck="false"
                autocapitalize="off"
                required=true
                aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                aria-describedby=described
            />
            <p class="field-error" id=error_id aria-live="polite">
                {move || error.get()}
            </p>
        </div>
    }
}

/// A QR code drawn from its modules as SVG (one rectangle per run of dark modules, inside
/// the four-module quiet zone the standard asks for), on white so that phones read it in
/// dark mode too.
#[component]
pub fn QrSvg(qr: QrMatrix) -> impl IntoView {
    const QUIET: usize = 4;
    let size = qr.width + 2 * QUIET;
    let rects = qr
        .runs()
        .into_iter()
        .map(|(x, y, w)| {
            view! { <rect x=(x + QUIET).to_string() y=(y + QUIET).to_string() width=w.to_string() height="1" /> }
        })
        .collect_view();
    view! {
        <svg
            id="totp-qr"
            class="qr"
            xmlns="http://www.w3.org/2000/svg"
            viewBox=format!("0 0 {size} {size}")
            width="220"
            height="220"
            shape-rendering="crispEdges"
            role="img"
            aria-label="QR code to scan with your authenticator app"
        >
            <rect width=size.to_string() height=size.to_string() fill="#ffffff" />
            <g fill="#000000">{rects}</g>
        </svg>
    }
}

#[component]
pub fn SecurityPage() -> impl IntoView {
    let ctx = expect_context::<PanelContext>();
    let begin = ServerAction::<BeginTotp>::new();
    let confirm = ServerAction::<ConfirmTotp>::new();
    let disable = ServerAction::<DisableTotp>::new();
    let regenerate = ServerAction::<RegenerateRecoveryCodes>::new();
    // Not read again after a set-up starts: nothing shown changes until it is confirmed, and
    // reading it again drew the card anew, wiping a code typed in the meantime.
    let status = Resource::new(
        move || {
            (
                confirm.version().get(),
                disable.version().get(),
                regenerate.version().get(),
            )
        },
        |_| totp_status(),
    );
    // Recovery codes are shown once, right after they are made.
    let codes = RwSignal::new(None::<Vec<String>>);
    Effect::new(move |_| {
        if let Some(Ok(made)) = confirm.value().get() {
            codes.set(Some(made));
            // The console's "set one up first" redirect follows the banner's panel_info.
            ctx.refresh_banner();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(made)) = regenerate.value().get() {
            codes.set(Some(made));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = disable.value().get() {
            codes.set(None);
            ctx.refresh_banner();
        }
    });

    view! {
        <PageTitle text="Sign-in security" />
        <h1>"Sign-in security"</h1>
        <p class="lead">
            <a href="/account">"Account"</a>
            " › Sign-in security"
        </p>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(s) => view! { <TwoStepCard s begin confirm disable regenerate /> }.into_any(),
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Transition>
        {move || codes.get().map(|list| view! { <RecoveryCodes list /> })}
    }
}

#[component]
fn TwoStepCard(
    s: SecondFactorStatus,
    begin: ServerAction<BeginTotp>,
    confirm: ServerAction<ConfirmTotp>,
    disable: ServerAction<DisableTotp>,
    regenerate: ServerAction<RegenerateRecoveryCodes>,
) -> impl IntoView {
    let required = (s.required && !s.enabled).then(|| {
        view! {
            <div class="notice notice-warning" role="alert" id="second-factor-required">
                <strong>"Set up two-step sign-in to continue. "</strong>
                "This panel requires it for your role: until it is on, the rest of the panel \
                 stays closed to you."
            </div>
        }
    });
    let body = if s.enabled {
        view! { <EnabledPanel s disable regenerate /> }.into_any()
    } else {
        view! { <EnrolPanel begin confirm /> }.into_any()
    };
    view! {
        {required}
        <section class="card" aria-labelledby="totp-heading" id="totp-card">
            <h2 id="totp-heading">"Two-step sign-in"</h2>
            {body}
        </section>
    }
}

#[component]
fn EnrolPanel(begin: ServerAction<BeginTotp>, confirm: ServerAction<ConfirmTotp>) -> impl IntoView {
    let begin_error = action_error(begin.value());
    let confirm_error = action_error(confirm.value());
    view! {
        <p id="totp-status">
            "Off. With two-step sign-in, signing in asks for your password and then a code \
             from an authenticator app on your phone (any app for time-based codes, such as \
             Aegis, FreeOTP or Google Authenticator)."
        </p>
        <ActionForm action=begin attr:novalidate=true attr:id="totp-begin-form">
            <FormAlert error=begin_error fields=&["password"] />
            <Field
                name="password"
                label="Your password, to start"
                input_type="password"
                autocomplete="current-password"
                error=field_error(begin_error, "password")
                revealable=true
            />
            <button
                type="submit"
                class="button primary"
                id="totp-begin"
                disabled=move || begin.pending().get()
            >
                "Set up an authenticator app"
            </button>
        </ActionForm>
        {move || {
            begin
                .value()
                .get()
                .and_then(Result::ok)
                .map(|e| {
                    view! {
                        <div class="totp-setup" id="totp-setup">
                            <h3>"1. Add this panel to the app"</h3>
                            <p>"Scan the QR code with the app, or type the secret into it."</p>
                            <QrSvg qr=e.qr />
                            <p>
                                "Secret: " <code id="totp-secret" class="copyable">{e.secret}</code>
                            </p>
                            <details>
                                <summary>"Show the set-up link instead"</summary>
                                <code id="totp-uri" class="copyable">{e.uri}</code>
                            </details>
                            <h3>"2. Confirm with a code"</h3>
                            <ActionForm action=confirm attr:novalidate=true attr:id="totp-confirm-form">
                                <FormAlert error=confirm_error fields=&["code"] />
                                <IdField
                                    id="totp-code"
                                    name="code"
                                    label="The code the app shows now"
                                    autocomplete="one-time-code"
                                    error=field_error(confirm_error, "code")
                                />
                                <button
                                    type="submit"
                                    class="button primary"
                                    id="totp-confirm"
                                    disabled=move || confirm.pending().get()
                                >
                                    "Turn on two-step sign-in"
                                </button>
                            </ActionForm>
                        </div>
                    }
                })
        }}
    }
}

#[component]
fn EnabledPanel(
    s: SecondFactorStatus,
    disable: ServerAction<DisableTotp>,
    regenerate: ServerAction<RegenerateRecoveryCodes>,
) -> impl IntoView {
    let disable_error = action_error(disable.value());
    let regenerate_error = action_error(regenerate.value());
    let left = match s.recovery_codes_left {
        0 => "No unused recovery codes are left: make new ones below.".to_owned(),
        1 => "1 unused recovery code is left.".to_owned(),
        n => format!("{n} unused recovery codes are left."),
    };
    view! {
        <p id="totp-status">
            <span class="badge badge-on">"On"</span>
            " Signing in asks for a code from your authenticator app. "
            <span id="recovery-codes-left">{left}</span>
        </p>
        <h3>"New recovery codes"</h3>
        <p>"Ten new codes; the old ones stop working."</p>
        <ActionForm action=regenerate attr:novalidate=true attr:id="recovery-regenerate-form">
            <FormAlert error=regenerate_error fields=&["code"] />
            <IdField
                id="recovery-regenerate-code"
                name="code"
                label="A current code from your app"
                autocomplete="one-time-code"
                error=field_error(regenerate_error, "code")
            />
            <button
                type="submit"
                class="button"
                id="recovery-regenerate"
                disabled=move || regenerate.pending().get()
            >
                "Make new recovery codes"
            </button>
        </ActionForm>
        <h3>"Turn off"</h3>
        {s.required.then(|| view! {
            <p class="warning-text">
                "This panel requires two-step sign-in for your role: after turning it off you \
                 will be asked to set it up again (with another device, say) before anything else."
            </p>
        })}
        <ActionForm action=disable attr:novalidate=true attr:id="totp-disable-form">
            <FormAlert error=disable_error fields=&["code"] />
            <IdField
                id="totp-disable-code"
                name="code"
                label="A current code from your app, or a recovery code"
                autocomplete="one-time-code"
                error=field_error(disable_error, "code")
            />
            <button
                type="submit"
                class="button danger"
                id="totp-disable"
                disabled=move || disable.pending().get()
            >
                "Turn off two-step sign-in"
            </button>
        </ActionForm>
    }
}

#[component]
fn RecoveryCodes(list: Vec<String>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="recovery-heading">
            <h2 id="recovery-heading">"Your recovery codes"</h2>
            <div class="notice notice-warning" role="alert">
                "Save these codes somewhere safe now: they are shown only this once. Each signs \
                 you in once, in place of a code from the app, if you lose your phone."
            </div>
            <ol id="recovery-codes" class="recovery-codes">
                {list.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ol>
            <p>
                <a href="/" class="button primary" id="security-done">
                    "Continue to the panel"
                </a>
            </p>
        </section>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_drawn_with_svg_elements() {
        let qr = QrMatrix {
            width: 2,
            dark: vec![true, true, false, true],
        };
        let html = view! { <QrSvg qr /> }.to_html();
        assert!(html.contains(r#"id="totp-qr""#), "{html}");
        assert!(html.contains(r#"viewBox="0 0 10 10""#), "{html}");
        // The white background and one rectangle per run of dark modules.
        assert_eq!(html.matches("<rect").count(), 3, "{html}");
        assert!(
            html.contains(r#"<rect x="4" y="4" width="2" height="1""#),
            "{html}"
        );
        assert!(
            html.contains(r#"<rect x="5" y="5" width="1" height="1""#),
            "{html}"
        );
    }
}
