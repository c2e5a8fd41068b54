//! `/ssh-keys`: the account's SSH keys — add one; list them with search, a key-type filter
//! and sorting; remove one. Built on the page kit ([`ResourceList`], [`ActionButton`]).

use crate::components::title::PageTitle;
use leptos::prelude::*;

use crate::components::form::{action_error, field_error, Field, FormAlert, SubmitButton};
use crate::components::kit::*;
use crate::sshkey::{sshkey_list, sshkey_remove, SshKeyView, SshkeyAddFn};

/// The capability a customer needs to add and remove keys.
const CAPABILITY: &str = "sshkeys";

/// The key's type: the first word of the key line (`ssh-ed25519`).
fn key_type(k: &SshKeyView) -> String {
    k.value
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The key table. `cannot` says why keys cannot be removed (a customer without the
/// capability); `refresh` is run after a removal.
fn key_list(cannot: Option<String>, refresh: Callback<()>) -> ListSpec<SshKeyView> {
    ListSpec {
        columns: vec![
            Column::new("Name", |k: &SshKeyView| or_dash(&k.name))
                .sort(|k| SortValue::text(&k.name)),
            Column::new("Type", |k: &SshKeyView| or_dash(&key_type(k)))
                .sort(|k| SortValue::text(&key_type(k))),
            Column::new("Key", |k: &SshKeyView| {
                view! { <code title=k.value.clone()>{clip(&k.value, 48)}</code> }
            }),
            Column::new("", move |k: &SshKeyView| {
                let id = k.id.clone();
                let name = if k.name.is_empty() {
                    k.id.clone()
                } else {
                    k.name.clone()
                };
                view! {
                    <ActionButton
                        id=format!("remove-key-{}", k.id)
                        label="Remove"
                        pending_label="Removing…"
                        class="button subtle small"
                        run=move || sshkey_remove(id.clone())
                        success=format!("Key “{name}” removed.")
                        reason=cannot.clone()
                        quiet_reason=true
                        on_done=refresh
                    />
                }
            })
            .class("actions"),
        ],
        search: Some(Search::new("Name or key", |k| {
            format!("{} {}", k.name, k.value)
        })),
        filters: vec![Filter::from_rows("type", "Type", "All types", key_type)],
        row_id: |k| k.id.clone(),
    }
}

// `sshkeys/page`: the list paged on the server (its rules only: no button is drawn there).
crate::paged_list!(
    SshkeyPageFn,
    "sshkeys/page",
    sshkey_page,
    sshkey_list,
    key_list(None, Callback::new(|_| ())),
    Vec<SshKeyView>
);

#[component]
pub fn SshKeysPage() -> impl IntoView {
    let add = ServerAction::<SshkeyAddFn>::new();
    let refresh = Refresh::new();
    let cannot = Viewer::current().cannot(CAPABILITY);
    let (state, keys) = paged_source(
        refresh,
        key_list(None, Callback::new(|_| ())),
        "",
        0,
        sshkey_page,
    );
    // A key added: read the page again.
    Effect::new(move |before: Option<usize>| {
        let v = add.version().get();
        if before.is_some_and(|b| b != v) {
            refresh.bump();
        }
        v
    });
    let error = action_error(add.value());
    let done = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            done.update(|d| *d += 1);
        }
    });
    let locked = cannot.is_some();
    view! {
        <PageTitle text="SSH keys" />
        <h1>"SSH keys"</h1>
        <section class="card">
            <h2>"Add a key"</h2>
            {cannot.clone().map(|why| view! { <p class="notice notice-info" id="ssh-keys-locked">{why}</p> })}
            {move || {
                let _ = done.get();
                view! {
                    <ActionForm action=add attr:novalidate=true attr:id="add-ssh-key">
                        <fieldset class="plain" disabled=locked>
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
                        </fieldset>
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
        <ResourceList
            id="ssh-key"
            noun="SSH keys"
            source=keys.first
            live=keys.live
            state=state
            spec=key_list(cannot, refresh.callback())
            row_attr="data-key-id"
            empty="No SSH keys yet."
            empty_action=move || (!locked).then(|| view! { <a class="button" href="#field-name">"Add your first key"</a> })
        />
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::list::ListQuery;

    fn key(id: &str, name: &str, value: &str) -> SshKeyView {
        SshKeyView {
            id: id.into(),
            name: name.into(),
            value: value.into(),
        }
    }

    #[test]
    fn keys_search_filter_and_sort() {
        let owner = Owner::new();
        owner.set();
        let spec = key_list(None, Callback::new(|_| ()));
        let keys = vec![
            key("1", "laptop", "ssh-ed25519 AAAAC3Nza me@laptop"),
            key("2", "CI", "ssh-rsa AAAAB3Nza ci@build"),
            key("3", "", "garbage"),
            key("4", "desk", "ssh-ed25519 AAAAC3Nzb me@desk"),
        ];
        let ids = |search: &str, kind: &str, sort: usize, desc: bool| -> Vec<String> {
            let q = ListQuery {
                search: search.into(),
                filters: vec![kind.into()],
                sort: Some(sort),
                desc,
            };
            spec.visible(&keys, &q).into_iter().map(|k| k.id).collect()
        };
        assert_eq!(ids("", "", 0, false), ["2", "4", "1", "3"]);
        assert_eq!(ids("", "", 0, true), ["1", "4", "2", "3"]);
        assert_eq!(ids("me@", "", 0, false), ["4", "1"]);
        assert_eq!(ids("", "ssh-ed25519", 0, false), ["4", "1"]);
        // By type, then by id; a line without a type word still lists ("garbage" is its type).
        assert_eq!(ids("", "", 1, false), ["3", "1", "4", "2"]);
        let types: Vec<String> = spec.filters[0]
            .choices(&keys, "")
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(types, ["garbage", "ssh-ed25519", "ssh-rsa"]);
    }
}
