//! `/api-key`: the account's Luna Node API credential. The key field is write-only: the
//! page shows the API ID, the key's last four characters and fingerprint, when it was added
//! and last used, and the last test. Saving tests the key first.

use crate::components::title::PageTitle;
use leptos::prelude::*;

use crate::components::form::{action_error, field_error, Field, FormAlert, SubmitButton};
use crate::components::shell::{ErrorNotice, Loading};
use crate::credential::{
    get_credential, CredentialView, DeleteCredential, SaveCredential, TestCredential,
};
use crate::types::format_unix;
use crate::PanelContext;

const FIELDS: &[&str] = &["api_id", "api_key", "password"];

#[component]
pub fn ApiKeyPage() -> impl IntoView {
    let ctx = expect_context::<PanelContext>();
    let save = ServerAction::<SaveCredential>::new();
    let test = ServerAction::<TestCredential>::new();
    let delete = ServerAction::<DeleteCredential>::new();
    let stored = Resource::new(
        move || {
            (
                save.version().get(),
                test.version().get(),
                delete.version().get(),
            )
        },
        |_| get_credential(),
    );
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) || matches!(delete.value().get(), Some(Ok(())))
        {
            ctx.refresh_banner();
        }
    });
    let error = action_error(save.value());
    view! {
        <PageTitle text="API key" />
        <h1>"Luna Node API key"</h1>
        <p>
            "lunapanel acts on your Luna Node account with an API key. Create one on Luna Node's "
            <em>"API"</em>
            " page; it is stored encrypted and never shown again, here or anywhere."
        </p>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match stored.await {
                    Ok(Some(c)) => view! { <StoredKey c test delete /> }.into_any(),
                    Ok(None) => view! {
                        <div class="notice notice-info" role="status" id="no-key">"No API key is stored yet."</div>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Transition>
        <section class="card">
            <h2>"Save a key"</h2>
            <div class="notice notice-success" role="status" id="key-saved" hidden=move || !matches!(save.value().get(), Some(Ok(_)))>
                {move || save.value().get().and_then(Result::ok).map(|c| format!(
                    "Saved. Luna Node accepted the key{}.",
                    c.credit.map(|v| format!("; the account has ${v:.2} credit")).unwrap_or_default()
                ))}
            </div>
            <ActionForm action=save attr:novalidate=true attr:id="save-key" attr:autocomplete="off">
                <FormAlert error fields=FIELDS />
                <Field name="api_id" label="API ID" hint="16 letters and digits." error=field_error(error, "api_id") autocomplete="off" />
                <Field name="api_key" label="API key" hint="128 letters and digits. Write-only: it is never displayed after saving."
                    input_type="password" autocomplete="new-password" error=field_error(error, "api_key") revealable=true />
                <Field name="password" label="Your panel password (only to replace a stored key)" required=false
                    input_type="password" autocomplete="current-password" error=field_error(error, "password") />
                <SubmitButton label="Test and save" busy_label="Testing the key with Luna Node…" pending=save.pending() />
            </ActionForm>
        </section>
    }
}

#[component]
fn StoredKey(
    c: CredentialView,
    test: ServerAction<TestCredential>,
    delete: ServerAction<DeleteCredential>,
) -> impl IntoView {
    let tested = match (c.last_test_ok, &c.last_test_message) {
        (Some(true), Some(m)) => format!("Passed: {m}"),
        (Some(false), Some(m)) => format!("Failed: {m}"),
        _ => "Not tested yet".into(),
    };
    let when = |t: Option<i64>| t.map_or_else(|| "Never".to_owned(), format_unix);
    let confirm_delete = RwSignal::new(false);
    view! {
        <section class="card" id="stored-key">
            <h2>"Stored key"</h2>
            <dl class="facts">
                <dt>"API ID"</dt>
                <dd><code id="key-api-id">{c.api_id.clone()}</code></dd>
                <dt>"Key"</dt>
                <dd><code id="key-masked">{format!("…{}", c.key_last4)}</code></dd>
                <dt>"Fingerprint"</dt>
                <dd><code>{c.key_fingerprint.clone()}</code></dd>
                <dt>"Added"</dt>
                <dd>{format_unix(c.added_at)}</dd>
                <dt>"Last used"</dt>
                <dd>{when(c.last_used_at)}</dd>
                <dt>"Last test"</dt>
                <dd id="key-test">{tested} {c.last_test_at.map(|t| format!(" ({})", format_unix(t)))}</dd>
            </dl>
            <div class="toolbar">
                <button type="button" class="button" id="test-key" disabled=move || test.pending().get()
                    on:click=move |_| { test.dispatch(TestCredential {}); }>
                    {move || if test.pending().get() { "Testing…" } else { "Test again" }}
                </button>
                <Show when=move || confirm_delete.get() fallback=move || view! {
                    <button type="button" class="button danger" on:click=move |_| confirm_delete.set(true)>"Delete key"</button>
                }>
                    <span>"The panel will no longer reach this Luna Node account. "</span>
                    <button type="button" class="button danger" id="delete-key" disabled=move || delete.pending().get()
                        on:click=move |_| { delete.dispatch(DeleteCredential {}); }>"Yes, delete the key"</button>
                    <button type="button" class="button subtle" on:click=move |_| confirm_delete.set(false)>"Cancel"</button>
                </Show>
            </div>
            {move || action_error(test.value()).get().map(|e| view! { <ErrorNotice message=e.to_string() /> })}
            {move || action_error(delete.value()).get().map(|e| view! { <ErrorNotice message=e.to_string() /> })}
        </section>
    }
    .into_any()
}
