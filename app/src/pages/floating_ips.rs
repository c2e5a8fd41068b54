//! `/floating-ips`: the caller's floating IPs — address, region, what each is attached to
//! (linked), reverse DNS edited in place; allocate one in a region with the monthly cost
//! shown first; attach an idle one to a VM of its region; detach (keep or release); release
//! with the address typed. Idle addresses are pointed out: they are billed all the same.

use crate::components::title::PageTitle;
use leptos::prelude::*;

use crate::catalog::catalog_regions;
use crate::components::kit::*;
use crate::components::shell::Loading;
use crate::error::AppError;
use crate::kinds;
use crate::network::{
    floating_allocate, floating_attach, floating_detach, floating_list, floating_rdns,
    floating_release, FloatingRow, FloatingView, FLOATING_USD_PER_MONTH_INFERRED,
};
use crate::pages::format::usd;
use crate::vm::RegionView;

/// The capability a customer needs to allocate, release and name addresses.
pub const FLOATING: &str = "floating";
/// The capability a customer needs to attach and detach addresses (a VM change).
pub const VM_NETWORK: &str = "network";

/// An id-safe form of an address (`203.0.113.5` → `203-0-113-5`).
pub fn slug(ip: &str) -> String {
    ip.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The estimated monthly cost of one address, labelled as an estimate.
pub fn floating_monthly() -> String {
    format!(
        "about {}/month each (an estimate; your bill decides)",
        usd(FLOATING_USD_PER_MONTH_INFERRED)
    )
}

impl Listing for FloatingView {
    type Row = FloatingRow;

    fn rows(&self) -> &[FloatingRow] {
        &self.ips
    }
}

crate::pageable!(FloatingView => ips);

// `floatingips/page`: the list paged on the server (its rules only: no action is drawn there).
crate::paged_list!(
    FloatingPageFn,
    "floatingips/page",
    floating_page,
    floating_list,
    spec(Signal::stored(None), Callback::new(|_| ())),
    FloatingView
);

fn attached_cell(f: &FloatingRow) -> AnyView {
    match &f.attached {
        Some(h) => match h.href() {
            Some(href) => {
                let what = if h.kind == "lb" { "Load balancer " } else { "" };
                view! { <span>{what}<a href=href>{h.name.clone()}</a></span> }.into_any()
            }
            None => view! { <span class="muted">{h.name.clone()}</span> }.into_any(),
        },
        None => view! {
            <span class="status status-unknown" data-idle="yes" title="An address costs the same attached or not">
                "Idle (still billed)"
            </span>
        }
        .into_any(),
    }
}

const STATES: &[(&str, &str)] = &[
    ("vm", "On a VM"),
    ("lb", "On a load balancer"),
    ("idle", "Idle"),
];

fn state_key(f: &FloatingRow) -> String {
    match &f.attached {
        None => "idle".into(),
        Some(h) => h.kind.clone(),
    }
}

fn spec(view: Signal<Option<FloatingView>>, refresh: Callback<()>) -> ListSpec<FloatingRow> {
    ListSpec {
        columns: vec![
            Column::new("Address", |f: &FloatingRow| {
                view! { <code class="floating-ip">{f.ip.clone()}</code> }
            })
            .sort(|f| SortValue::text(&f.ip)),
            Column::new("Region", |f: &FloatingRow| or_dash(&f.region))
                .sort(|f| SortValue::text(&f.region)),
            Column::new("Attached to", attached_cell)
                .sort(|f| SortValue::opt_text(f.attached.as_ref().map(|h| h.name.as_str()))),
            Column::new("Reverse DNS", move |f: &FloatingRow| {
                view! { <RdnsCell row=f.clone() refresh /> }
            })
            .sort(|f| SortValue::text(&f.rdns)),
            Column::new("", move |f: &FloatingRow| {
                view! { <RowActions row=f.clone() view refresh /> }
            })
            .class("actions"),
        ],
        search: Some(Search::new("Address, VM or name", |f| {
            format!(
                "{} {} {}",
                f.ip,
                f.rdns,
                f.attached.as_ref().map(|h| h.name.as_str()).unwrap_or("")
            )
        })),
        filters: vec![
            Filter::from_rows("region", "Region", "All regions", |f| f.region.clone()),
            Filter::fixed("state", "Attached", "Any", state_key, STATES),
        ],
        row_id: |f| f.ip.clone(),
    }
}

/// The reverse DNS name, with an editor in place (empty restores Luna Node's default).
#[component]
fn RdnsCell(row: FloatingRow, refresh: Callback<()>) -> impl IntoView {
    let reason = Viewer::current().cannot(FLOATING);
    let ip = row.ip.clone();
    let current = if row.rdns_default {
        String::new()
    } else {
        row.rdns.clone()
    };
    let shown = or_not_set(&row.rdns);
    view! {
        <RdnsEditor
            ip=row.ip.clone()
            current
            shown
            default=row.rdns_default
            reason
            run=move |name: String| floating_rdns(ip.clone(), name)
            refresh
        />
    }
}

fn or_not_set(name: &str) -> String {
    if name.is_empty() {
        "Not set".to_owned()
    } else {
        name.to_owned()
    }
}

/// An address's reverse DNS name (`rdns-{slug}`) and its editor in place: the field
/// `rdns-input-{slug}`, the button `rdns-save-{slug}`, the refusal beside it. `run` saves
/// the name typed (empty: Luna Node's default). Shared by the floating IP, reverse DNS and
/// VM pages.
#[component]
pub fn RdnsEditor<F, Fut>(
    ip: String,
    /// What the field starts with (empty when the default applies).
    current: String,
    /// What the cell says.
    shown: String,
    /// Whether Luna Node's default applies (shown muted).
    default: bool,
    reason: Option<String>,
    run: F,
    refresh: Callback<()>,
) -> impl IntoView
where
    F: Fn(String) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), AppError>> + Send + 'static,
{
    let s = slug(&ip);
    let value = RwSignal::new(current);
    let error = RwSignal::new(None::<AppError>);
    view! {
        <span class=if default { "muted rdns" } else { "rdns" } id=format!("rdns-{s}")>{shown}</span>
        <details class="inline-details">
            <summary class="button subtle small">"Edit"</summary>
            <InputAction
                id=format!("rdns-save-{s}")
                input_id=format!("rdns-input-{s}")
                label="Host name (empty: the default)"
                value
                field="hostname"
                error
                button="Save"
                pending_label="Saving…"
                success="Reverse DNS saved."
                reason
                run=move |name: String| {
                    let run = run.clone();
                    async move { keep_error(error, run(name).await) }
                }
                on_done=refresh
            />
        </details>
    }
}

/// Attach (idle), detach (on a VM), release (idle, the address typed).
#[component]
fn RowActions(
    row: FloatingRow,
    view: Signal<Option<FloatingView>>,
    refresh: Callback<()>,
) -> impl IntoView {
    let viewer = Viewer::current();
    let s = slug(&row.ip);
    let ip = row.ip.clone();
    match &row.attached {
        None => {
            let region = row.region.clone();
            let choices = Signal::derive(move || {
                view.get()
                    .map(|v| {
                        v.vms
                            .into_iter()
                            .filter(|m| m.region == region && m.ip.is_empty())
                            .map(|m| (m.vm_id, m.name))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            });
            let none_region = row.region.clone();
            let none = Signal::derive(move || {
                format!(
                    "No VM in {none_region} is without a floating IP: detach one from a VM first."
                )
            });
            let error = RwSignal::new(None::<AppError>);
            let confirm = RwSignal::new(String::new());
            let release_error = RwSignal::new(None::<AppError>);
            let (attach_ip, release_ip) = (ip.clone(), ip.clone());
            view! {
                <details class="inline-details">
                    <summary class="button subtle small">"Attach…"</summary>
                    <ChoiceAction
                        id=format!("attach-{s}")
                        label="VM"
                        choices
                        none
                        button="Attach"
                        pending_label="Attaching…"
                        success="Floating IP attached."
                        reason=viewer.cannot(VM_NETWORK)
                        run=move |vm: String| {
                            let ip = attach_ip.clone();
                            async move { keep_error(error, floating_attach(ip, vm).await) }
                        }
                        on_done=refresh
                        error=Signal::derive(move || error.get().and_then(|e| e.field("vm_id")))
                    />
                </details>
                <details class="inline-details">
                    <summary class="button subtle small danger">"Release…"</summary>
                    <p class="muted">"Gives the address back to Luna Node. You may not get it again."</p>
                    <InputAction
                        id=format!("release-{s}")
                        input_id=format!("release-confirm-{s}")
                        label="Type the address to confirm"
                        value=confirm
                        field="confirm"
                        error=release_error
                        button="Release"
                        pending_label="Releasing…"
                        success="Floating IP released."
                        reason=viewer.cannot(FLOATING)
                        run=move |typed: String| {
                            let ip = release_ip.clone();
                            async move { keep_error(release_error, floating_release(ip, typed).await) }
                        }
                        on_done=refresh
                    />
                </details>
            }
            .into_any()
        }
        Some(h) if h.kind == "vm" && h.visible => {
            let (keep_ip, drop_ip) = (ip.clone(), ip);
            let cannot_release = viewer
                .cannot(VM_NETWORK)
                .or_else(|| viewer.cannot(FLOATING));
            view! {
                <ActionButton
                    id=format!("detach-{s}")
                    label="Detach"
                    pending_label="Detaching…"
                    class="button subtle small"
                    run=move || floating_detach(keep_ip.clone(), true)
                    success="Detached; the address stays on your account."
                    reason=viewer.cannot(VM_NETWORK)
                    on_done=refresh
                />
                <ActionButton
                    id=format!("detach-release-{s}")
                    label="Detach and release"
                    pending_label="Releasing…"
                    class="button subtle small danger"
                    run=move || floating_detach(drop_ip.clone(), false)
                    success="Detached and released."
                    reason=cannot_release
                    on_done=refresh
                />
            }
            .into_any()
        }
        Some(h) if h.kind == "lb" => view! {
            <span class="muted small">"Replace it from the balancer's page"</span>
        }
        .into_any(),
        Some(_) => ().into_any(),
    }
}

#[component]
pub fn FloatingIpsPage() -> impl IntoView {
    let refresh = Refresh::new();
    let (state, list) = paged_source(
        refresh,
        spec(Signal::stored(None), Callback::new(|_| ())),
        "",
        0,
        floating_page,
    );
    refetch_on_live(&kinds::FLOATING, refresh);
    refetch_on_live(&kinds::VM, refresh);
    let view = Signal::derive(move || list.newest.get().map(|p| p.listing));
    // The form's regions are read once: the list refreshes with every live change, and the
    // form must not be drawn again under the user's hands.
    let regions = Resource::new(|| (), |_| catalog_regions());
    view! {
        <PageTitle text="Floating IPs" />
        <div class="page-head">
            <h1>"Floating IPs"</h1>
        </div>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                // Drawn from the first read, then following the newest.
                let first = list.first.await.ok().map(|p| p.listing);
                move || {
                    view.get().or_else(|| first.clone()).and_then(|v| v.quota).map(|(held, limit)| {
                        let text = match limit {
                            Some(l) => format!("You hold {held} of your {l} floating IPs."),
                            None => format!("You hold {held} floating IPs."),
                        };
                        view! { <p class="notice notice-info" id="floating-quota">{text}</p> }
                    })
                }
            })}
        </Transition>
        <Transition fallback=|| view! { <Loading label="Loading…" /> }>
            {move || Suspend::new(async move {
                match regions.await {
                    Ok(r) => view! { <Allocate regions=r refresh=refresh.callback() /> }.into_any(),
                    Err(e) => view! { <ProblemNotice error=e what="floating IPs" /> }.into_any(),
                }
            })}
        </Transition>
        <ResourceList
            id="floating"
            noun="floating IPs"
            source=list.first
            live=list.live
            state
            spec=spec(view, refresh.callback())
            row_attr="data-ip"
            sort=0
            loading="Loading floating IPs…"
            empty="No floating IPs yet. A floating IP is a public address you can move between VMs and load balancers of its region."
        />
    }
}

/// Allocate a new address in a region, the cost shown before the button.
#[component]
fn Allocate(regions: Vec<RegionView>, refresh: Callback<()>) -> impl IntoView {
    let viewer = Viewer::current();
    let first = regions.first().map(|r| r.code.clone()).unwrap_or_default();
    let region = RwSignal::new(first);
    let error = RwSignal::new(None::<AppError>);
    view! {
        <Card title="Allocate an address" id="floating-allocate-card">
            <div class="inline-form">
                <label class="inline-field">
                    <span>"Region"</span>
                    <select id="floating-allocate-region" on:change=move |ev| region.set(event_target_value(&ev)) prop:value=move || region.get()>
                        {regions.into_iter().map(|r| view! { <option value=r.code.clone()>{format!("{} ({})", r.name, r.code)}</option> }).collect_view()}
                    </select>
                </label>
                <ActionButton
                    id="floating-allocate"
                    label="Allocate"
                    pending_label="Allocating…"
                    class="button primary"
                    run=move || {
                        let r = region.get_untracked();
                        async move { keep_error(error, floating_allocate(r).await) }
                    }
                    success="Floating IP allocated."
                    reason=viewer.cannot(FLOATING)
                    on_done=refresh
                />
            </div>
            <p class="field-hint" id="floating-cost">{format!("Cost: {}.", floating_monthly())}</p>
            <p class="field-error" aria-live="polite">{move || error.get().and_then(|e| e.field("region"))}</p>
        </Card>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::list::ListQuery;
    use crate::network::Holder;

    fn row(ip: &str, region: &str, on: Option<(&str, &str)>) -> FloatingRow {
        FloatingRow {
            ip: ip.into(),
            id: String::new(),
            region: region.into(),
            attached: on.map(|(kind, name)| Holder {
                kind: kind.into(),
                id: name.into(),
                name: name.into(),
                visible: true,
            }),
            rdns: String::new(),
            rdns_default: true,
        }
    }

    #[test]
    fn filter_by_what_an_address_is_on() {
        let owner = Owner::new();
        owner.set();
        let rows = vec![
            row("203.0.113.9", "toronto", Some(("vm", "web"))),
            row("203.0.113.10", "toronto", None),
            row("203.0.113.11", "montreal", Some(("lb", "front"))),
        ];
        let ids = |state: &str, search: &str| -> Vec<String> {
            let q = ListQuery {
                search: search.into(),
                filters: vec![String::new(), state.into()],
                sort: Some(0),
                desc: false,
            };
            spec(Signal::derive(|| None), Callback::new(|_| ()))
                .visible(&rows, &q)
                .into_iter()
                .map(|r| r.ip)
                .collect()
        };
        assert_eq!(ids("idle", ""), ["203.0.113.10"]);
        assert_eq!(ids("lb", ""), ["203.0.113.11"]);
        assert_eq!(ids("", "web"), ["203.0.113.9"]);
        assert_eq!(slug("2001:db8::1"), "2001-db8--1");
        assert_eq!(
            Holder {
                kind: "lb".into(),
                id: "7".into(),
                name: "x".into(),
                visible: true
            }
            .href()
            .as_deref(),
            Some("/load-balancers/7")
        );
    }
}
