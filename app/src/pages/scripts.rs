//! `/scripts`, `/scripts/new`, `/scripts/:id`: startup scripts. The list shows each
//! script's format, lines and size; the editor (monospace, line numbers, the size as
//! stored against the limit, a warning when cloud-init would not run the text) writes new
//! ones and edits existing ones; deleting one names the VMs the panel made with it.

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::kit::*;
use crate::error::AppError;
use crate::script::{
    check_content, check_name, confirm_word, line_count, script_create, script_delete,
    script_detail, script_list, script_update, stored_bytes, thousands, warning, Format,
    ScriptDetail, ScriptRow, MAX_BYTES, TEMPLATES,
};

/// The capability a customer needs to write and delete scripts.
pub const SCRIPTS: &str = "scripts";
const BACK: (&str, &str) = ("/scripts", "Startup scripts");

fn script_columns() -> ListSpec<ScriptRow> {
    ListSpec {
        columns: vec![
            Column::new("Name", |s: &ScriptRow| {
                let name = if s.name.trim().is_empty() {
                    format!("Script {}", s.id)
                } else {
                    s.name.clone()
                };
                view! { <a href=format!("/scripts/{}", s.id) class="script-name">{name}</a> }
            })
            .sort(|s| SortValue::text(&s.name)),
            Column::new("Format", |s: &ScriptRow| {
                let unknown = s.format == Format::Unknown;
                view! { <span class:warning-text=unknown>{s.format.label()}</span> }
            })
            .sort(|s| SortValue::text(s.format.label())),
            Column::new("Lines", |s: &ScriptRow| s.lines.to_string())
                .sort(|s| SortValue::number(i64::try_from(s.lines).unwrap_or(i64::MAX))),
            Column::new("Size", |s: &ScriptRow| {
                format!("{} bytes", thousands(s.bytes))
            })
            .sort(|s| SortValue::number(i64::try_from(s.bytes).unwrap_or(i64::MAX))),
        ],
        search: Some(Search::new("Name or id", |s| {
            format!("{} {}", s.name, s.id)
        })),
        filters: vec![Filter::from_rows(
            "format",
            "Format",
            "All formats",
            |s: &ScriptRow| s.format.label().to_owned(),
        )],
        row_id: |s| s.id.clone(),
    }
}

// `scripts/page`: the list paged on the server (a large account's page sends one page).
crate::paged_list!(
    ScriptPageFn,
    "scripts/page",
    script_page,
    script_list,
    script_columns(),
    Vec<ScriptRow>
);

#[component]
pub fn ScriptsPage() -> impl IntoView {
    let refresh = Refresh::new();
    let (state, scripts) = paged_source(refresh, script_columns(), "", 0, script_page);
    let cannot = Viewer::current().cannot(SCRIPTS);
    let locked = cannot.is_some();
    view! {
        <PageTitle text="Startup scripts" />
        <div class="page-head">
            <h1>"Startup scripts"</h1>
            {(!locked).then(|| view! { <a class="button primary" href="/scripts/new" id="script-new">"New script"</a> })}
        </div>
        <p class="muted">"A startup script runs once, on a new VM's first boot (cloud-init): a shell script, or #cloud-config. Pick scripts when you create a VM."</p>
        {cannot.map(|why| view! { <p class="notice notice-info" id="scripts-locked">{why}</p> })}
        <ResourceList
            id="script"
            noun="startup scripts"
            source=scripts.first
            live=scripts.live
            state=state
            spec=script_columns()
            row_attr="data-script-id"
            empty="No startup scripts yet."
            empty_action=move || (!locked).then(|| view! { <a class="button" href="/scripts/new">"Write your first script"</a> })
        />
    }
}

/// The name field and the editor, with the live size, line numbers and format advice.
/// Refusals from the server (`name`, `content`) show beside their field.
#[component]
fn ScriptEditor(
    name: RwSignal<String>,
    content: RwSignal<String>,
    error: RwSignal<Option<AppError>>,
    locked: bool,
) -> impl IntoView {
    let field = move |f: &'static str| error.with(|e| e.as_ref().and_then(|e| e.field(f)));
    let lines = Memo::new(move |_| content.with(|c| line_count(c)));
    let bytes = Memo::new(move |_| content.with(|c| stored_bytes(c)));
    let numbers = move || {
        (1..=lines.get())
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let over = move || bytes.get() > MAX_BYTES;
    // The server's refusal until the user types again (typing clears it), then the editor's
    // own check as they type.
    let content_error = move || {
        field("content").or_else(|| {
            content.with(|c| {
                (stored_bytes(c) > MAX_BYTES)
                    .then(|| check_content(c))
                    .flatten()
            })
        })
    };
    let name_error = move || {
        field("name").or_else(|| {
            name.with(|n| {
                (n.chars().count() > crate::script::MAX_NAME)
                    .then(|| check_name(n))
                    .flatten()
            })
        })
    };
    view! {
        <fieldset class="plain" disabled=locked>
            <div class="field" class:field-invalid=move || name_error().is_some()>
                <label for="script-name">"Name"</label>
                <input id="script-name" autocomplete="off" maxlength="200" aria-describedby="script-name-error"
                    aria-invalid=move || name_error().is_some().to_string()
                    prop:value=move || name.get() on:input=move |ev| { name.set(event_target_value(&ev)); error.set(None); } />
                <p class="field-error" id="script-name-error" aria-live="polite">{name_error}</p>
            </div>
            <div class="field" class:field-invalid=move || content_error().is_some()>
                <label for="script-content">"Script"</label>
                <div class="code-editor">
                    <pre class="code-gutter" aria-hidden="true">{numbers}</pre>
                    <textarea id="script-content" class="code-text" spellcheck="false" autocomplete="off"
                        autocapitalize="off" wrap="off" rows=move || lines.get().max(14).to_string()
                        aria-describedby="script-content-meta script-content-warning script-content-error"
                        aria-invalid=move || content_error().is_some().to_string()
                        prop:value=move || content.get() on:input=move |ev| { content.set(event_target_value(&ev)); error.set(None); }></textarea>
                </div>
                <p class="field-hint" id="script-content-meta" class:warning-text=over aria-live="polite">
                    {move || format!("{} lines · {} of {} bytes · {}", lines.get(), thousands(bytes.get()), thousands(MAX_BYTES), content.with(|c| Format::of(c).label()))}
                </p>
                <p class="notice notice-warning" id="script-content-warning" hidden=move || content.with(|c| warning(c).is_none())>
                    {move || content.with(|c| warning(c))}
                </p>
                <p class="field-error" id="script-content-error" aria-live="polite">{content_error}</p>
            </div>
        </fieldset>
    }
}

/// An error that names no field of the editor.
fn other_error(error: RwSignal<Option<AppError>>) -> impl IntoView {
    move || {
        error.with(|e| {
            e.as_ref()
                .filter(|e| e.field("name").is_none() && e.field("content").is_none())
                .map(|e| view! { <ProblemNotice error=e.clone() what="startup scripts" /> })
        })
    }
}

#[component]
pub fn ScriptNewPage() -> impl IntoView {
    let cannot = Viewer::current().cannot(SCRIPTS);
    let locked = cannot.is_some();
    let name = RwSignal::new(String::new());
    let content = RwSignal::new(TEMPLATES[0].1.to_owned());
    let error = RwSignal::new(None::<AppError>);
    let save = Action::new(move |_: &()| {
        let (n, c) = (name.get_untracked(), content.get_untracked());
        async move { script_create(n, c).await }
    });
    let navigate = use_navigate();
    Effect::new(move |_| match save.value().get() {
        Some(Ok(id)) => navigate(&format!("/scripts/{id}"), Default::default()),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let templates = TEMPLATES
        .iter()
        .map(|(label, text)| {
            view! {
                <button type="button" class="button subtle small" data-template=*label
                    on:click=move |_| content.set((*text).to_owned())>{*label}</button>
            }
        })
        .collect_view();
    view! {
        <PageTitle text="New startup script" />
        <DetailBack back=BACK />
        <h1>"New startup script"</h1>
        {cannot.map(|why| view! { <p class="notice notice-info">{why}</p> })}
        <section class="card card-wide">
            <div class="toolbar" role="group" aria-label="Start from">
                <span class="muted">"Start from:"</span>
                {templates}
            </div>
            <form novalidate on:submit=move |ev| {
                ev.prevent_default();
                if !locked && !save.pending().get_untracked() {
                    save.dispatch(());
                }
            }>
                <ScriptEditor name content error locked />
                {other_error(error)}
                <button type="submit" class="button primary" id="script-save" disabled=move || locked || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save script" }}
                </button>
            </form>
        </section>
    }
}

#[component]
pub fn ScriptPage() -> impl IntoView {
    let refresh = Refresh::new();
    let source = DetailSource {
        back: BACK,
        read: script_detail,
        loading: "Loading the script…",
        missing: "This startup script does not exist (any more). It may have been deleted.",
        what: "startup scripts",
    };
    view! {
        <PageTitle text="Startup script" />
        {detail_page(source, refresh, |d: &ScriptDetail, id| d.id == id, move |d| view! { <ScriptView d refresh /> })}
    }
}

#[component]
fn ScriptView(d: Signal<ScriptDetail>, refresh: Refresh) -> impl IntoView {
    let cannot = Viewer::current().cannot(SCRIPTS);
    let locked = cannot.is_some();
    let first = d.get_untracked();
    let id = first.id.clone();
    // What is typed survives re-reads; the saved text is what "unsaved" compares with.
    let name = RwSignal::new(first.name.clone());
    let content = RwSignal::new(first.content.clone());
    let error = RwSignal::new(None::<AppError>);
    let title = Memo::new(move |_| {
        d.with(|d| {
            if d.name.trim().is_empty() {
                format!("Script {}", d.id)
            } else {
                d.name.clone()
            }
        })
    });
    let unsaved = move || {
        d.with(|d| {
            name.with(|n| n.trim() != d.name.trim())
                || content.with(|c| c.replace("\r\n", "\n") != d.content)
        })
    };
    let save = {
        let id = id.clone();
        Action::new(move |_: &()| {
            let (id, n, c) = (id.clone(), name.get_untracked(), content.get_untracked());
            async move { script_update(id, n, c).await }
        })
    };
    let toasts = Toasts::get();
    Effect::new(move |_| match save.value().get() {
        Some(Ok(())) => {
            error.set(None);
            if let Some(t) = toasts {
                t.success("Script saved.");
            }
            refresh.bump();
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let navigate = use_navigate();
    let gone = Callback::new(move |_: ()| navigate("/scripts", Default::default()));
    let used = move || {
        d.with(|d| {
            if d.used_by.is_empty() {
                view! { <p class="muted" id="script-used-none">"No VM made through this panel with this script is running. (VMs made elsewhere are not known.)"</p> }.into_any()
            } else {
                let n = d.used_by.len();
                view! {
                    <ul class="plain-list" id="script-used">
                        {d.used_by.iter().map(|v| view! { <li><a href=format!("/vms/{}", v.id)>{v.name.clone()}</a></li> }).collect_view()}
                    </ul>
                    <p class="muted">{format!("{n} VM{} made through this panel with this script. Editing or deleting it does not change them: a script runs only on first boot.", if n == 1 { "" } else { "s" })}</p>
                }
                .into_any()
            }
        })
    };
    let delete_warning = Memo::new(move |_| {
        d.with(|d| {
            let base = "Deleting removes the script from the account; new VMs can no longer use it. This cannot be undone.";
            if d.used_by.is_empty() {
                base.to_owned()
            } else {
                let names: Vec<&str> = d.used_by.iter().map(|v| v.name.as_str()).collect();
                format!("{base} VMs made with it keep running: {}.", names.join(", "))
            }
        })
    });
    let confirm = Memo::new(move |_| d.with(|d| confirm_word(&d.name, &d.id)));
    let delete_reason = cannot.clone();
    view! {
        <DetailFrame back=BACK title=title title_id="script-title">
            <Card title="Edit" wide=true id="script-edit">
                {cannot.map(|why| view! { <p class="notice notice-info">{why}</p> })}
                <form novalidate on:submit=move |ev| {
                    ev.prevent_default();
                    if !locked && !save.pending().get_untracked() {
                        save.dispatch(());
                    }
                }>
                    <ScriptEditor name content error locked />
                    {other_error(error)}
                    <div class="toolbar">
                        <button type="submit" class="button primary" id="script-save" disabled=move || locked || save.pending().get() || !unsaved()>
                            {move || if save.pending().get() { "Saving…" } else { "Save changes" }}
                        </button>
                        <span class="muted" id="script-unsaved" aria-live="polite">{move || unsaved().then_some("Unsaved changes")}</span>
                    </div>
                </form>
            </Card>
            <Card title="VMs made with it" id="script-vms">{used}</Card>
            {move || {
                let id = id.clone();
                view! {
                    <DangerConfirm
                        title="Delete this script"
                        warning=delete_warning.get()
                        name=confirm.get()
                        button="Delete script"
                        input_id="script-delete-confirm"
                        button_id="script-delete"
                        run=move |typed: String| script_delete(id.clone(), typed)
                        on_success=gone
                        reason=delete_reason.clone()
                    />
                }
            }}
        </DetailFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::list::ListQuery;

    fn row(id: &str, name: &str, format: Format, bytes: usize) -> ScriptRow {
        ScriptRow {
            id: id.into(),
            name: name.into(),
            bytes,
            lines: bytes / 10,
            format,
        }
    }

    #[test]
    fn scripts_search_filter_and_sort() {
        let owner = Owner::new();
        owner.set();
        let spec = script_columns();
        let rows = vec![
            row("1", "web-10", Format::Shell, 300),
            row("2", "web-2", Format::CloudConfig, 100),
            row("3", "", Format::Unknown, 50),
        ];
        let ids = |search: &str, format: &str, sort: usize, desc: bool| -> Vec<String> {
            let q = ListQuery {
                search: search.into(),
                filters: vec![format.into()],
                sort: Some(sort),
                desc,
            };
            spec.visible(&rows, &q).into_iter().map(|s| s.id).collect()
        };
        // Natural name order, the nameless last.
        assert_eq!(ids("", "", 0, false), ["2", "1", "3"]);
        assert_eq!(ids("", "", 3, true), ["1", "2", "3"]);
        assert_eq!(ids("web", "", 0, false), ["2", "1"]);
        assert_eq!(ids("", "cloud-config", 0, false), ["2"]);
    }
}
