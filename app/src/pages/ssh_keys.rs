//! `/ssh-keys`: the account's SSH keys — list, add, remove.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::form::{action_error, field_error, Field, FormAlert, SubmitButton};
use crate::components::shell::{ErrorNotice, Loading};
use crate::components::table::DataTable;
use crate::pages::vms::UpstreamProblemNotice;
use crate::sshkey::{sshkey_list, SshkeyAddFn, SshkeyRemoveFn};

#[component]
pub fn SshKeysPage() -> impl IntoView {
    let add = ServerAction::<SshkeyAddFn>::new();
    let remove = ServerAction::<SshkeyRemoveFn>::new();
    let keys = Resource::new(
        move || (add.version().get(), remove.version().get()),
        |_| sshkey_list(),
    );
    let error = action_error(add.value());
    let done = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            done.update(|d| *d += 1);
        }
    });
    view! {
        <Title text="SSH keys" />
        <h1>"SSH keys"</h1>
        <section class="card">
            <h2>"Add a key"</h2>
            {move || {
                let _ = done.get();
                view! {
                    <ActionForm action=add attr:novalidate=true attr:id="add-ssh-key">
                        <FormAlert error fields=&["name", "value"] />
                        <Field name="name" label="Name" error=field_error(error, "name") autocomplete="off" />
                        <div class="field" class:field-invalid=move || field_error(error, "value").get().is_some()>
                            <label for="field-value">"Public key"</label>
                            <p class="field-hint" id="field-value-hint">"The contents of your .pub file, e.g. ssh-ed25519 AAAA… you@laptop"</p>
                            <textarea id="field-value" name="value" rows="3" aria-describedby="field-value-hint field-value-error"
                                aria-invalid=move || field_error(error, "value").get().is_some().to_string()></textarea>
                            <p class="field-error" id="field-value-error" aria-live="polite">{move || field_error(error, "value").get()}</p>
                        </div>
                        <SubmitButton label="Add key" busy_label="Adding…" pending=add.pending() />
                    </ActionForm>
                }
            }}
        </section>
        <p class="notice notice-success" role="status" id="ssh-key-added"
            hidden=move || !matches!(add.value().get(), Some(Ok(_)))>
            {move || match add.value().get() {
                Some(Ok(id)) if id.is_empty() => "Key added, but it is not in the list yet. If it does not appear after a reload, ask for help.",
                _ => "Key added.",
            }}
        </p>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match keys.await {
                    Ok(keys) if keys.is_empty() => view! { <p class="empty">"No SSH keys yet."</p> }.into_any(),
                    Ok(keys) => view! {
                        <DataTable headers=&["Name", "Key", ""]>
                            {keys.into_iter().map(|k| {
                                let id = k.id.clone();
                                let short = if k.value.len() > 48 { format!("{}…", &k.value[..48]) } else { k.value.clone() };
                                view! {
                                    <tr>
                                        <td>{k.name.clone()}</td>
                                        <td><code title=k.value.clone()>{short}</code></td>
                                        <td>
                                            <button type="button" class="button subtle small" disabled=move || remove.pending().get()
                                                on:click=move |_| { remove.dispatch(SshkeyRemoveFn { key_id: id.clone() }); }>
                                                "Remove"
                                            </button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </DataTable>
                    }.into_any(),
                    Err(e) => view! { <UpstreamProblemNotice error=e /> }.into_any(),
                }
            })}
        </Transition>
        {move || action_error(remove.value()).get().map(|e| view! { <ErrorNotice message=e.to_string() /> })}
    }
}
