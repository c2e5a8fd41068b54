//! `/dns/reverse`: reverse DNS of every address of the caller's VMs, edited in place.
//! `/dns/dynamic`: dynamic DNS names — add, point elsewhere, remove — each with an update
//! link and the command a router or a cron job runs with it. The VM page's "Publish DNS"
//! card: A/AAAA records in a chosen zone and the matching reverse DNS in one step.

use crate::components::title::PageTitle;
use leptos::prelude::*;

use crate::components::kit::*;
use crate::components::shell::Loading;
use crate::dns::dynamic::{dyn_add, dyn_link, dyn_list, dyn_remove, dyn_update};
use crate::dns::reverse::{publish_dns, publish_options, reverse_list, reverse_set};
use crate::error::AppError;
use crate::model::dns::*;
use crate::pages::dns::{DnsTabs, DNS};
use crate::pages::floating_ips::RdnsEditor;

/// The capabilities a customer needs: reverse DNS is set with the floating-IP group's
/// `dns/set`; dynamic names have their own.
pub const RDNS: &str = "floating";
pub const DYNDNS: &str = "dyndns";

/// Reverse rows keyed by address.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReverseView(pub Vec<ReverseRow>);

impl Listing for ReverseView {
    type Row = ReverseRow;

    fn rows(&self) -> &[ReverseRow] {
        &self.0
    }

    fn note(&self) -> Option<ListNote> {
        None
    }
}

async fn reverse_view() -> Result<ReverseView, AppError> {
    reverse_list().await.map(ReverseView)
}

crate::pageable!(ReverseView => 0, DynView => dyns);

// `reverse/page`: the list paged on the server (its rules only: no action is drawn there).
crate::paged_list!(
    ReversePageFn,
    "reverse/page",
    reverse_page,
    reverse_view,
    reverse_spec(Callback::new(|_| ())),
    ReverseView
);

fn reverse_spec(refresh: Callback<()>) -> ListSpec<ReverseRow> {
    ListSpec {
        columns: vec![
            Column::new(
                "Address",
                |r: &ReverseRow| view! { <code>{r.ip.clone()}</code> },
            )
            .sort(|r| SortValue::text(&r.ip)),
            Column::new("VM", |r: &ReverseRow| {
                if r.vm_id.is_empty() {
                    or_dash(&r.vm_name).into_any()
                } else {
                    view! { <a href=format!("/vms/{}", r.vm_id)>{or_dash(&r.vm_name)}</a> }
                        .into_any()
                }
            })
            .sort(|r| SortValue::text(&r.vm_name)),
            Column::new(
                "Reverse name",
                move |r: &ReverseRow| view! { <ReverseCell row=r.clone() refresh /> },
            ),
        ],
        search: Some(Search::new("Address, VM or name", |r| {
            format!("{} {} {}", r.ip, r.vm_name, r.hostname)
        })),
        filters: Vec::new(),
        row_id: |r| r.ip.clone(),
    }
}

#[component]
fn ReverseCell(row: ReverseRow, refresh: Callback<()>) -> impl IntoView {
    let (vm, ip) = (row.vm_id.clone(), row.ip.clone());
    let shown = if row.default {
        "Luna Node's default".to_owned()
    } else {
        row.hostname.clone()
    };
    view! {
        <RdnsEditor
            ip=row.ip.clone()
            current=row.hostname.clone()
            shown
            default=row.default
            reason=Viewer::current().cannot(RDNS)
            run=move |name: String| reverse_set(vm.clone(), ip.clone(), name)
            refresh
        />
    }
}

#[component]
pub fn ReverseDnsPage() -> impl IntoView {
    let refresh = Refresh::new();
    let (state, list) = paged_source(
        refresh,
        reverse_spec(Callback::new(|_| ())),
        "",
        1,
        reverse_page,
    );
    view! {
        <PageTitle text="Reverse DNS" />
        <div class="page-head"><h1>"DNS"</h1></div>
        <DnsTabs current="/dns/reverse" />
        <p class="muted">"The name an address answers to when looked up backwards (mail servers check it). Set the name's A or AAAA record to the address first: Luna Node may refuse a name that does not point back. Floating IPs on no VM are set from the floating IP page."</p>
        <ResourceList
            id="rdns"
            noun="addresses"
            source=list.first
            live=list.live
            state
            spec=reverse_spec(refresh.callback())
            row_attr="data-ip"
            sort=1
            loading="Loading addresses…"
            empty="No VM has a public address yet."
        />
    }
}

impl Listing for DynView {
    type Row = DynRow;

    fn rows(&self) -> &[DynRow] {
        &self.dyns
    }

    fn note(&self) -> Option<ListNote> {
        None
    }
}

// `dyndns/page`: the list paged on the server (its rules only: no action is drawn there).
crate::paged_list!(
    DynPageFn,
    "dyndns/page",
    dyn_page,
    dyn_list,
    dyn_spec(Callback::new(|_| ())),
    DynView
);

fn dyn_spec(refresh: Callback<()>) -> ListSpec<DynRow> {
    ListSpec {
        columns: vec![
            Column::new(
                "Name",
                |d: &DynRow| view! { <code class="dyn-name">{d.fqdn.clone()}</code> },
            )
            .sort(|d| SortValue::text(&d.fqdn)),
            Column::new(
                "Points at",
                |d: &DynRow| view! { <code class="dyn-ip">{d.ip.clone()}</code> },
            )
            .sort(|d| SortValue::text(&d.ip)),
            Column::new(
                "",
                move |d: &DynRow| view! { <DynActions row=d.clone() refresh /> },
            )
            .class("actions"),
        ],
        search: Some(Search::new("Name or address", |d| {
            format!("{} {}", d.fqdn, d.ip)
        })),
        filters: Vec::new(),
        row_id: |d| d.id.clone(),
    }
}

/// Point elsewhere, the update link, remove.
#[component]
fn DynActions(row: DynRow, refresh: Callback<()>) -> impl IntoView {
    let reason = Viewer::current().cannot(DYNDNS);
    let address = RwSignal::new(row.ip.clone());
    let error = RwSignal::new(None::<AppError>);
    let link = RwSignal::new(None::<String>);
    let (id1, id2, id3, name) = (
        row.id.clone(),
        row.id.clone(),
        row.id.clone(),
        row.name.clone(),
    );
    let has_link = row.has_link;
    let fqdn = row.fqdn.clone();
    view! {
        <details class="inline-details">
            <summary class="button subtle small">"Point elsewhere"</summary>
            <InputAction
                id=format!("dyn-update-{}", row.id)
                input_id=format!("dyn-address-{}", row.id)
                label="Address"
                value=address
                field="address"
                error
                button="Save"
                pending_label="Saving…"
                success="Dynamic name updated."
                reason=reason.clone()
                run=move |ip: String| {
                    let (id, name) = (id1.clone(), name.clone());
                    async move { keep_error(error, dyn_update(id, name, ip).await) }
                }
                on_done=refresh
            />
        </details>
        <ActionButton
            id=format!("dyn-link-{}", row.id)
            label=if has_link { "New update link" } else { "Update link" }
            pending_label="Making…"
            class="button subtle small"
            reason=reason.clone()
            quiet_reason=true
            success="Update link made: copy it now, it is shown once."
            run=move || dyn_link(id2.clone())
            on_success=Callback::new(move |l: String| link.set(Some(l)))
        />
        <ActionButton
            id=format!("dyn-remove-{}", row.id)
            label="Remove"
            pending_label="Removing…"
            class="button subtle small danger"
            reason
            quiet_reason=true
            success="Dynamic name removed."
            run=move || dyn_remove(id3.clone())
            on_done=refresh
        />
        {move || link.get().map(|l| view! { <UpdateLink link=l fqdn=fqdn.clone() /> })}
    }
}

/// The update link and what to paste where.
#[component]
fn UpdateLink(link: String, fqdn: String) -> impl IntoView {
    let cron = format!("*/5 * * * * curl -fsS '{link}' >/dev/null");
    let once = format!("curl -fsS '{link}'");
    let with_ip = format!("curl -fsS '{link}&ip=203.0.113.7'");
    view! {
        <div class="update-link card" role="region" aria-label=format!("Update link for {fqdn}")>
            <p><strong>"Shown once."</strong>" Whoever has this link can point "{fqdn.clone()}" anywhere; make a new one to stop an old one."</p>
            <label for="dyn-link-url">"Link"</label>
            <input id="dyn-link-url" class="mono" readonly=true value=link.clone() />
            <p>"Point it at the address the request comes from (a router's \"custom dynamic DNS\" URL, or once from a shell):"</p>
            <pre class="mono" id="dyn-link-curl">{once}</pre>
            <p>"Every five minutes from cron:"</p>
            <pre class="mono" id="dyn-link-cron">{cron}</pre>
            <p>"At a given address:"</p>
            <pre class="mono">{with_ip}</pre>
            <p class="muted">"It answers as dyndns2 services do: good <address>, nochg <address>, or badauth."</p>
        </div>
    }
}

#[component]
pub fn DynamicDnsPage() -> impl IntoView {
    let refresh = Refresh::new();
    let (state, list) = paged_source(refresh, dyn_spec(Callback::new(|_| ())), "", 0, dyn_page);
    let cannot = Viewer::current().cannot(DYNDNS);
    let name = RwSignal::new(String::new());
    let address = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(PageOf { listing: v, .. }) = list.newest.get() {
            if address.get_untracked().is_empty() {
                address.set(v.your_ip);
            }
        }
    });
    let error = RwSignal::new(None::<AppError>);
    let add = Action::new(move |_: &()| {
        let (n, a) = (name.get_untracked(), address.get_untracked());
        async move { dyn_add(n, a).await }
    });
    Effect::new(move |_| match add.value().get() {
        Some(Ok(_)) => {
            error.set(None);
            name.set(String::new());
            refresh.bump();
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let field = move |f: &'static str| move || error.with(|e| e.as_ref().and_then(|e| e.field(f)));
    let general = move || {
        error.with(|e| match e {
            Some(AppError::Validation(_)) | None => None,
            Some(e) => Some(e.to_string()),
        })
    };
    view! {
        <PageTitle text="Dynamic DNS" />
        <div class="page-head"><h1>"DNS"</h1></div>
        <DnsTabs current="/dns/dynamic" />
        <p class="muted">{format!("Names under {DYN_DOMAIN} that follow a changing address (a home router, a laptop): give each an update link, and the device keeps it current.")}</p>
        <ResourceList
            id="dyn"
            noun="dynamic names"
            source=list.first
            live=list.live
            state
            spec=dyn_spec(refresh.callback())
            row_attr="data-dyn-id"
            sort=0
            loading="Loading dynamic names…"
            empty="No dynamic names yet."
        />
        <h2 id="add-dyn">"Add a dynamic name"</h2>
        {match cannot {
            Some(why) => view! { <p class="disabled-reason">{why}</p> }.into_any(),
            None => view! {
                <form class="card" id="dyn-form" novalidate=true on:submit=move |ev| { ev.prevent_default(); add.dispatch(()); }>
                    <p class="form-alert" role="alert" hidden=move || general().is_none()>{general}</p>
                    <div class="field" class:field-invalid=move || field("name")().is_some()>
                        <label for="dyn-name">"Name"</label>
                        <input id="dyn-name" autocomplete="off" placeholder="myhome" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                        <p class="field-hint">{move || format!("It becomes {}.{DYN_DOMAIN}", if name.get().trim().is_empty() { "name".to_owned() } else { name.get().trim().to_lowercase() })}</p>
                        <p class="field-error" id="dyn-name-error" aria-live="polite">{field("name")}</p>
                    </div>
                    <div class="field" class:field-invalid=move || field("address")().is_some()>
                        <label for="dyn-address">"Address"</label>
                        <input id="dyn-address" autocomplete="off" prop:value=move || address.get() on:input=move |ev| address.set(event_target_value(&ev)) />
                        <p class="field-hint">"Filled in with the address you are browsing from."</p>
                        <p class="field-error" id="dyn-address-error" aria-live="polite">{field("address")}</p>
                    </div>
                    <button type="submit" class="button" id="dyn-add" disabled=move || add.pending().get()>{move || if add.pending().get() { "Adding…" } else { "Add name" }}</button>
                </form>
            }.into_any(),
        }}
    }
}

/// "Publish DNS for this VM": records in a zone and reverse DNS, in one step; shows what
/// it did. Read in the browser (it sits inside the VM page's loading boundary).
#[component]
pub fn PublishDnsCard(#[prop(into)] vm_id: String) -> impl IntoView {
    let refresh = Refresh::new();
    let vm = StoredValue::new(vm_id);
    let options = read_in_browser(refresh, move || publish_options(vm.get_value()));
    let cannot = Viewer::current().cannot(DNS);
    let zone = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let result = RwSignal::new(None::<Published>);
    let publish = Action::new(move |_: &()| {
        let (z, n) = (zone.get_untracked(), name.get_untracked());
        async move { publish_dns(vm.get_value(), z, n, String::new()).await }
    });
    Effect::new(move |_| match publish.value().get() {
        Some(Ok(p)) => {
            error.set(None);
            result.set(Some(p));
            refresh.bump();
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    Effect::new(move |_| {
        if let Some(Ok(o)) = options.get() {
            if name.get_untracked().is_empty() {
                name.set(o.suggested.clone());
            }
            if zone.get_untracked().is_empty() {
                if let Some(z) = o.zones.first() {
                    zone.set(z.id.clone());
                }
            }
        }
    });
    view! {
        <section class="card" id="publish-dns">
            <h2>"Publish DNS"</h2>
            {move || match options.get() {
                None => view! { <Loading label="Loading your zones…" /> }.into_any(),
                Some(Err(e)) => view! { <ProblemNotice error=e what="zones" /> }.into_any(),
                Some(Ok(o)) if o.zones.is_empty() => view! {
                    <VmReverse rows=o.reverse.clone() refresh=refresh.callback() />
                    <p class="muted" id="publish-no-zone">"Add a DNS zone first ("<a href="/dns">"DNS"</a>"), then publish this VM's name in it."</p>
                }.into_any(),
                Some(Ok(o)) => {
                    let (blocked, why) = (cannot.is_some(), cannot.clone());
                    let addresses = if o.addresses.is_empty() { "no public address yet".to_owned() } else { o.addresses.join(", ") };
                    view! {
                        <VmReverse rows=o.reverse.clone() refresh=refresh.callback() />
                        <p class="muted">{format!("Makes an A (or AAAA) record for each public address ({addresses}) and sets each address's reverse DNS to that name.")}</p>
                        <div class="field">
                            <label for="publish-zone">"Zone"</label>
                            <select id="publish-zone" on:change=move |ev| zone.set(event_target_value(&ev))>
                                {o.zones.iter().map(|z| { let id = z.id.clone(); view! { <option value=z.id.clone() selected=move || zone.get() == id>{z.display.clone()}</option> } }).collect_view()}
                            </select>
                        </div>
                        <div class="field" class:field-invalid=move || error.with(|e| e.as_ref().and_then(|e| e.field("name")).is_some())>
                            <label for="publish-name">"Name in the zone"</label>
                            <input id="publish-name" autocomplete="off" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                            <p class="field-error" id="publish-name-error" aria-live="polite">{move || error.with(|e| e.as_ref().and_then(|e| e.field("name")))}</p>
                        </div>
                        <ActionErrorText error />
                        <button type="button" class="button" id="publish-dns-go" disabled=move || publish.pending().get() || blocked
                            title=why on:click=move |_| { publish.dispatch(()); }>
                            {move || if publish.pending().get() { "Publishing…" } else { "Publish" }}
                        </button>
                    }.into_any()
                }
            }}
            {move || result.get().map(|p| view! {
                <div id="publish-result" class="notice" class:notice-success=p.problems.is_empty()>
                    <p><strong>{p.fqdn.clone()}</strong></p>
                    <ul class="plain-list">
                        {p.done.iter().map(|l| view! { <li class="publish-done">{l.clone()}</li> }).collect_view()}
                        {p.problems.iter().map(|l| view! { <li class="publish-problem field-error">{l.clone()}</li> }).collect_view()}
                    </ul>
                </div>
            })}
        </section>
    }
}

/// The VM's addresses with their reverse DNS, each edited in place.
#[component]
fn VmReverse(rows: Vec<ReverseRow>, refresh: Callback<()>) -> impl IntoView {
    if rows.is_empty() {
        return ().into_any();
    }
    view! {
        <table class="data" id="vm-rdns">
            <caption class="visually-hidden">"Reverse DNS of this VM's addresses"</caption>
            <thead><tr><th scope="col">"Address"</th><th scope="col">"Reverse DNS"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|r| {
                    let (attr, shown) = (r.ip.clone(), r.ip.clone());
                    view! {
                        <tr data-ip=attr><td><code>{shown}</code></td><td><ReverseCell row=r refresh /></td></tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// An error that names no field of the card.
#[component]
fn ActionErrorText(error: RwSignal<Option<AppError>>) -> impl IntoView {
    move || {
        error.with(|e| match e {
            Some(AppError::Validation(v)) if v.get("name").is_some() => None,
            Some(e) => Some(view! { <p class="field-error" role="alert" id="publish-error">{e.to_string()}</p> }),
            None => None,
        })
    }
}
