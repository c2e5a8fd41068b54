//! `/audit`: the audit log the signed-in user may see, with filters and a CSV export.

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::audit::{list_audit, AuditQuery};
use crate::components::form::field_error;
use crate::components::shell::{ErrorNotice, Loading};
use crate::components::table::DataTable;
use crate::types::format_unix;

#[component]
pub fn AuditPage() -> impl IntoView {
    // The filters live in the URL, so a filtered view can be bookmarked and shared, and a
    // plain GET form works before hydration.
    let params = use_query_map();
    let query = Memo::new(move |_| {
        params.with(|p| AuditQuery {
            actor: p.get("actor").unwrap_or_default(),
            action: p.get("action").unwrap_or_default(),
            target: p.get("target").unwrap_or_default(),
            from: p.get("from").unwrap_or_default(),
            to: p.get("to").unwrap_or_default(),
            category: p.get("category").unwrap_or_default(),
            outcome: p.get("outcome").unwrap_or_default(),
            before: p.get("before").and_then(|b| b.parse().ok()),
        })
    });
    let page = Resource::new(move || query.get(), list_audit);
    let error = Signal::derive(move || page.get().and_then(|r| r.err()));
    let field = move |name: &'static str, label: &'static str, hint: &'static str| {
        let value = move || {
            query.with(|q| match name {
                "actor" => q.actor.clone(),
                "action" => q.action.clone(),
                "target" => q.target.clone(),
                "from" => q.from.clone(),
                _ => q.to.clone(),
            })
        };
        let id = format!("audit-{name}");
        view! {
            <div class="field" class:field-invalid=move || field_error(error, name).get().is_some()>
                <label for=id.clone()>{label}</label>
                <input id=id name=name prop:value=value placeholder=hint />
                <p class="field-error" aria-live="polite">{move || field_error(error, name).get()}</p>
            </div>
        }
    };
    let choice = move |name: &'static str,
                       label: &'static str,
                       any: &'static str,
                       options: &'static [(&'static str, &'static str)]| {
        let current = move || {
            query.with(|q| match name {
                "category" => q.category.clone(),
                _ => q.outcome.clone(),
            })
        };
        let id = format!("audit-{name}");
        view! {
            <div class="field" class:field-invalid=move || field_error(error, name).get().is_some()>
                <label for=id.clone()>{label}</label>
                <select id=id name=name prop:value=current>
                    <option value="">{any}</option>
                    {options
                        .iter()
                        .map(|(value, text)| view! { <option value=*value>{*text}</option> })
                        .collect_view()}
                </select>
                <p class="field-error" aria-live="polite">{move || field_error(error, name).get()}</p>
            </div>
        }
    };
    view! {
        <PageTitle text="Audit log" />
        <h1>"Audit log"</h1>
        <p class="lead">"Every change made through this panel — and every sign-in, sign-out, password and session change, administrator action and refused request: who, what, on which resource, when, from where and how it ended. Entries cannot be changed or deleted."</p>
        <section class="card">
            <form method="get" action="/audit" id="audit-filters" class="filters">
                {choice("category", "Kind of event", "Every kind", crate::audit::CATEGORIES)}
                {choice("outcome", "Outcome", "Any outcome", crate::audit::OUTCOMES)}
                {field("actor", "Who (e-mail)", "someone@example.com")}
                {field("action", "Action", "vm/ or vm/reboot")}
                {field("target", "Resource", "vm:1234")}
                {field("from", "From (UTC)", "2026-11-01")}
                {field("to", "To (UTC)", "2026-11-30")}
                <button type="submit" class="button primary">"Filter"</button>
                " "
                <a class="button subtle" href="/audit">"Clear"</a>
                " "
                <a class="button subtle" id="audit-csv" href=move || query.with(|q| q.csv_href()) download="audit-log.csv">
                    "Download CSV"
                </a>
            </form>
        </section>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) if p.entries.is_empty() => view! { <p class="empty">"No entries match."</p> }.into_any(),
                    Ok(p) => {
                        let next = p.next_before.map(|b| {
                            let q = query.get_untracked();
                            let href = format!("{}&before={b}", q.csv_href().replacen("/audit.csv", "/audit", 1));
                            view! { <p><a href=href id="audit-older">"Older entries"</a></p> }
                        });
                        view! {
                            <DataTable headers=&["When (UTC)", "Who", "Action", "Resource", "Outcome", "From"]>
                                {p.entries.into_iter().map(|e| {
                                    let who = match &e.on_behalf_of {
                                        Some(r) => format!("{r} as {} ", e.actor),
                                        None => e.actor.clone(),
                                    };
                                    let outcome = if e.error_class.is_empty() {
                                        e.outcome.clone()
                                    } else {
                                        format!("{} ({})", e.outcome, e.error_class)
                                    };
                                    view! {
                                        <tr class=format!("audit-{}", e.outcome)>
                                            <td>{format_unix(e.ts)}</td>
                                            <td>{who}<br /><small>{e.actor_role.clone()}</small></td>
                                            <td><code>{e.action.clone()}</code></td>
                                            <td><code>{e.target.clone()}</code></td>
                                            <td>{outcome}</td>
                                            <td><small title=e.request_id.clone()>{e.ip.clone()}</small></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </DataTable>
                            {next}
                        }.into_any()
                    }
                    Err(e) if e.field("from").is_some() || e.field("to").is_some() || e.field("action").is_some()
                        || e.field("target").is_some() || e.field("actor").is_some() => ().into_any(),
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Transition>
    }
}
