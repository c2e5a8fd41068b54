//! `/dns`: the caller's DNS zones of both kinds (current and legacy, marked), an
//! internationalized name shown both ways; add a zone. `/dns/zones/:id` and
//! `/dns/legacy/:id`: a zone's records (type, name, data, TTL, policy) with a form per
//! record type whose policy fields appear only for the policy chosen; remove records;
//! export the zone as a BIND file; import one with a preview (records to add, lines
//! skipped with the reason) before anything is written; remove the zone, naming how many
//! records go with it.

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::form::{action_error, field_error, Field, FormAlert, SubmitButton};
use crate::components::kit::*;
use crate::dns::{
    legacy_record_add, legacy_record_remove, legacy_zone_detail, legacy_zone_export,
    legacy_zone_import, legacy_zone_remove, record_add, record_remove, zone_detail, zone_export,
    zone_import, zone_list, zone_remove, ZoneCreateFn,
};
use crate::error::AppError;
use crate::model::dns::*;

/// The capability a customer needs to change current zones (and legacy ones: `dnslegacy`).
pub const DNS: &str = "dns";
pub const DNS_LEGACY: &str = "dnslegacy";
const BACK: (&str, &str) = ("/dns", "DNS");

/// The DNS area's own links (zones, reverse DNS, dynamic DNS).
#[component]
pub fn DnsTabs(current: &'static str) -> impl IntoView {
    let tabs = [
        ("/dns", "Zones"),
        ("/dns/reverse", "Reverse DNS"),
        ("/dns/dynamic", "Dynamic DNS"),
    ];
    view! {
        <nav class="tabs" aria-label="DNS">
            {tabs.into_iter().map(|(href, label)| {
                let here = href == current;
                view! { <a href=href class:active=here aria-current=here.then_some("page")>{label}</a> }
            }).collect_view()}
        </nav>
    }
}

impl Listing for ZonesView {
    type Row = ZoneRow;

    fn rows(&self) -> &[ZoneRow] {
        &self.zones
    }

    fn note(&self) -> Option<ListNote> {
        self.problem.as_ref().map(|p| ListNote {
            title: "Legacy zones are not shown. ".into(),
            text: p.clone(),
        })
    }
}

/// The name, and its `xn--` form beside it when it is an internationalized name.
fn zone_name_view(z: &ZoneRow) -> AnyView {
    let idn = (z.display != z.name)
        .then(|| view! { " " <span class="muted">"(" {z.name.clone()} ")"</span> });
    view! { <a href=z.path() class="zone-name">{z.display.clone()}</a> {idn} }.into_any()
}

crate::pageable!(ZonesView => zones);

// `zones/page`: the list paged on the server (a large account's page sends one page).
crate::paged_list!(
    ZonesPageFn,
    "zones/page",
    zones_page,
    zone_list,
    zones_spec(),
    ZonesView
);

fn zones_spec() -> ListSpec<ZoneRow> {
    ListSpec {
        columns: vec![
            Column::new("Zone", zone_name_view).sort(|z| SortValue::text(&z.display)),
            Column::new("Kind", |z: &ZoneRow| {
                if z.legacy {
                    view! { <span class="tag" title="A zone of Luna Node's older DNS service">"legacy"</span> }.into_any()
                } else {
                    view! { <span class="tag tag-ok">"current"</span> }.into_any()
                }
            })
            .sort(|z| SortValue::text(if z.legacy { "b" } else { "a" })),
            Column::new("Default TTL", |z: &ZoneRow| {
                z.ttl.map(|t| format!("{t} s")).unwrap_or_else(|| "–".into())
            }),
        ],
        search: Some(Search::new("Domain", |z| format!("{} {}", z.display, z.name))),
        filters: vec![Filter::fixed(
            "kind",
            "Kind",
            "Both kinds",
            |z| if z.legacy { "legacy".into() } else { "current".into() },
            &[("current", "Current"), ("legacy", "Legacy")],
        )],
        row_id: |z| format!("{}-{}", if z.legacy { "legacy" } else { "zone" }, z.id),
    }
}

#[component]
pub fn DnsPage() -> impl IntoView {
    let refresh = Refresh::new();
    let (state, list) = paged_source(refresh, zones_spec(), "", 0, zones_page);
    let viewer = Viewer::current();
    let cannot = viewer
        .cannot(DNS)
        .filter(|_| viewer.cannot(DNS_LEGACY).is_some());
    view! {
        <PageTitle text="DNS" />
        <div class="page-head">
            <h1>"DNS"</h1>
        </div>
        <DnsTabs current="/dns" />
        <p class="muted">"Zones Luna Node serves for your domains. Point a domain's name servers at Luna Node at your registrar, then add its records here."</p>
        <ResourceList
            id="zone"
            noun="zones"
            source=list.first
            live=list.live
            state
            spec=zones_spec()
            row_attr="data-zone-id"
            sort=0
            loading="Loading zones…"
            empty="No zones yet."
        />
        <h2 id="add-zone">"Add a zone"</h2>
        {match cannot {
            Some(why) => view! { <p class="disabled-reason" id="add-zone-locked">{why}</p> }.into_any(),
            None => view! { <AddZone /> }.into_any(),
        }}
    }
}

#[component]
fn AddZone() -> impl IntoView {
    let create = ServerAction::<ZoneCreateFn>::new();
    let error = action_error(create.value());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(path)) = create.value().get() {
            let to = if path.is_empty() {
                "/dns".to_owned()
            } else {
                path
            };
            navigate(&to, Default::default());
        }
    });
    let viewer = Viewer::current();
    let legacy_ok = viewer.cannot(DNS_LEGACY).is_none();
    let current_ok = viewer.cannot(DNS).is_none();
    view! {
        <ActionForm action=create attr:novalidate=true attr:id="add-zone-form" attr:class="card">
            <FormAlert error fields=&["name", "ttl"] />
            <Field name="zone[name]" label="Domain" hint="example.com — an internationalized name (bücher.example) is fine: it is stored in its xn-- form" error=field_error(error, "name") autocomplete="off" />
            <Field name="zone[ttl]" label="Default TTL (seconds)" required=false hint="Empty: 3600" error=field_error(error, "ttl") autocomplete="off" />
            {(legacy_ok && current_ok).then(|| view! {
                <label class="check">
                    <input type="checkbox" name="zone[legacy]" value="true" id="zone-legacy" />
                    " Make it a legacy zone (Luna Node's older DNS: no geo or failover policies; prefer a current zone)"
                </label>
            })}
            {(legacy_ok && !current_ok).then(|| view! { <input type="hidden" name="zone[legacy]" value="true" /> })}
            <SubmitButton label="Add zone" busy_label="Adding…" pending=create.pending() />
        </ActionForm>
    }
}

impl Listing for ZoneDetail {
    type Row = RecordRow;

    fn rows(&self) -> &[RecordRow] {
        &self.records
    }

    fn note(&self) -> Option<ListNote> {
        None
    }
}

crate::pageable!(ZoneDetail => records);

#[component]
pub fn ZonePage() -> impl IntoView {
    zone_page(false)
}

#[component]
pub fn LegacyZonePage() -> impl IntoView {
    zone_page(true)
}

/// A zone's page: the zone, one page of its records as the URL asks (the server cuts it:
/// a zone of thousands of records sends one page), the record form and the zone file.
/// Searching, filtering, sorting or paging the records reads the zone again for the new
/// page, in place.
fn zone_page(legacy: bool) -> impl IntoView {
    let refresh = Refresh::new();
    let state = ListState::from_url(std::sync::Arc::new(records_rules(legacy)), "", Some(0));
    state.refresh_on_change(refresh);
    let body = move |d: Signal<PageOf<ZoneDetail>>| view! { <ZoneView d refresh state /> };
    let same = |d: &PageOf<ZoneDetail>, id: &str| d.listing.zone.id == id;
    let (loading, missing) = (
        "Loading the zone…",
        "This zone does not exist (any more). It may have been removed.",
    );
    view! {
        <PageTitle text="DNS zone" />
        {if legacy {
            let read = move |id| legacy_zone_detail(id, state.request_untracked());
            detail_page(DetailSource { back: BACK, read, loading, missing, what: "zones" }, refresh, same, body).into_any()
        } else {
            let read = move |id| zone_detail(id, state.request_untracked());
            detail_page(DetailSource { back: BACK, read, loading, missing, what: "zones" }, refresh, same, body).into_any()
        }}
    }
}

#[component]
fn ZoneView(d: Signal<PageOf<ZoneDetail>>, refresh: Refresh, state: ListState) -> impl IntoView {
    let z = d.with_untracked(|d| d.listing.zone.clone());
    let legacy = z.legacy;
    let viewer = Viewer::current();
    let cannot = viewer.cannot(if legacy { DNS_LEGACY } else { DNS });
    let navigate = use_navigate();
    let gone = Callback::new(move |_: ()| navigate("/dns", Default::default()));
    let first = d.get_untracked();
    let source = Resource::new(
        || (),
        move |_| {
            let first = first.clone();
            async move { Ok::<_, AppError>(first) }
        },
    );
    let live = Signal::derive(move || Some(d.get()));
    // Every record of the zone, not only the page's.
    let count = Memo::new(move |_| d.with(|d| d.paging.total));
    let detail = Signal::derive(move || d.with(|d| d.listing.clone()));
    let title = if z.display != z.name {
        format!("{} ({})", z.display, z.name)
    } else {
        z.display.clone()
    };
    let zone_id = z.id.clone();
    let remove_name = z.name.clone();
    let remove_reason = cannot.clone();
    let (cannot_list, cannot_form, cannot_file) = (cannot.clone(), cannot.clone(), cannot);
    view! {
        <DetailFrame
            back=BACK
            title=Signal::derive(move || title.clone())
            title_id="zone-name"
            badge=move || if legacy { view! { <span class="tag">"legacy zone"</span> }.into_any() } else { view! { <span class="tag tag-ok">"current zone"</span> }.into_any() }
        >
            <Card title="Records">
                <ResourceList
                    id="record"
                    noun="records"
                    source
                    live
                    state
                    spec=records_spec(legacy, zone_id.clone(), cannot_list, refresh.callback())
                    row_attr="data-record-id"
                    sort=0
                    empty="No records yet."
                />
            </Card>
            <Card title="Add a record">
                {match cannot_form {
                    Some(why) => view! { <p class="disabled-reason">{why}</p> }.into_any(),
                    None => view! { <RecordForm d=detail refresh /> }.into_any(),
                }}
            </Card>
            <ZoneFile d=detail refresh cannot=cannot_file />
        </DetailFrame>
        {move || {
            let n = count.get();
            let id = z.id.clone();
            let warning = match n {
                0 => "The zone has no records. Removing it stops Luna Node answering for the domain.".to_owned(),
                1 => "Its 1 record goes with it, and Luna Node stops answering for the domain at once. This cannot be undone.".to_owned(),
                n => format!("Its {n} records go with it, and Luna Node stops answering for the domain at once. This cannot be undone (export the zone first to keep a copy)."),
            };
            view! {
                <DangerConfirm
                    title="Remove this zone"
                    warning
                    name=remove_name.clone()
                    button="Remove zone"
                    pending_label="Removing…"
                    run=move |typed: String| {
                        let id = id.clone();
                        async move {
                            if legacy { legacy_zone_remove(id, typed).await } else { zone_remove(id, typed).await }
                        }
                    }
                    on_success=gone
                    reason=remove_reason.clone()
                />
            }
        }}
    }
}

/// The records list's rules (search, filters, sort), by which the server pages a zone's
/// records; no action is drawn from these.
pub(crate) fn records_rules(legacy: bool) -> ListSpec<RecordRow> {
    records_spec(legacy, String::new(), None, Callback::new(|_| ()))
}

fn records_spec(
    legacy: bool,
    zone_id: String,
    cannot: Option<String>,
    refresh: Callback<()>,
) -> ListSpec<RecordRow> {
    let mut columns = vec![
        Column::new(
            "Name",
            |r: &RecordRow| view! { <code class="record-name">{r.name.clone()}</code> },
        )
        .sort(|r| SortValue::text(&r.name)),
        Column::new("Type", |r: &RecordRow| r.rtype.clone()).sort(|r| SortValue::text(&r.rtype)),
        Column::new("Data", |r: &RecordRow| {
            let shown = match r.priority {
                Some(p) => format!("{p} {}", r.data),
                None => r.data.clone(),
            };
            view! { <code class="record-data" title=shown.clone()>{clip(&shown, 80)}</code> }
        }),
        Column::new("TTL", |r: &RecordRow| {
            r.ttl.map(|t| t.to_string()).unwrap_or_else(|| "–".into())
        })
        .sort(|r| SortValue::opt_number(r.ttl)),
    ];
    if !legacy {
        columns.push(Column::new("Policy", |r: &RecordRow| {
            view! { <span class="record-policy">{r.policy()}</span> }
        }));
    }
    columns.push(
        Column::new("", move |r: &RecordRow| {
            let (zone_id, record_id) = (zone_id.clone(), r.id.clone());
            view! {
                <ActionButton
                    id=format!("record-remove-{}", r.id)
                    label="Remove"
                    pending_label="Removing…"
                    class="button subtle small danger"
                    reason=cannot.clone()
                    quiet_reason=true
                    success="Record removed."
                    run=move || {
                        let (zone_id, record_id) = (zone_id.clone(), record_id.clone());
                        async move {
                            if legacy { legacy_record_remove(zone_id, record_id).await } else { record_remove(zone_id, record_id).await }
                        }
                    }
                    on_done=refresh
                />
            }
        })
        .class("actions"),
    );
    ListSpec {
        columns,
        search: Some(Search::new("Name, type or data", |r| {
            format!("{} {} {}", r.name, r.rtype, r.data)
        })),
        filters: vec![Filter::from_rows("rtype", "Type", "All types", |r| {
            r.rtype.clone()
        })],
        row_id: |r| r.id.clone(),
    }
}

/// A labelled text input bound to `value`, with the server's error for `field` beside it.
#[component]
fn TextInput(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    error: RwSignal<Option<AppError>>,
    field: &'static str,
    #[prop(optional, into)] hint: MaybeProp<String>,
    #[prop(optional)] placeholder: &'static str,
) -> impl IntoView {
    let message = move || error.with(|e| e.as_ref().and_then(|e| e.field(field)));
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field" class:field-invalid=move || message().is_some()>
            <label for=id>{label}</label>
            <input id=id autocomplete="off" placeholder=placeholder
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || message().is_some().to_string()
                aria-describedby=format!("{hint_id} {error_id}") />
            <p class="field-hint" id=hint_id>{move || hint.get()}</p>
            <p class="field-error" id=error_id aria-live="polite">{message}</p>
        </div>
    }
}

/// The record form: the type decides which fields show (a priority for MX and SRV), the
/// policy which routing fields show. What was typed stays after a refusal.
#[component]
fn RecordForm(d: Signal<ZoneDetail>, refresh: Refresh) -> impl IntoView {
    let (zone_id, legacy, zone) =
        d.with_untracked(|d| (d.zone.id.clone(), d.zone.legacy, d.zone.name.clone()));
    let checks = d.with_untracked(|d| d.checks.clone());
    let regions = d.with_untracked(|d| d.regions.clone());
    let types = if legacy { LEGACY_TYPES } else { DNS2_TYPES };
    let f = RecordSignals::new();
    let error = RwSignal::new(None::<AppError>);
    let added = RwSignal::new(false);
    let save = Action::new(move |rec: &NewRecord| {
        let (zone_id, rec) = (zone_id.clone(), rec.clone());
        async move {
            if legacy {
                legacy_record_add(zone_id, rec).await
            } else {
                record_add(zone_id, rec).await
            }
        }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(_)) => {
            error.set(None);
            added.set(true);
            f.data.set(String::new());
            f.name.set(String::new());
            refresh.bump();
        }
        Some(Err(e)) => {
            added.set(false);
            error.set(Some(e));
        }
        None => {}
    });
    let rtype = f.rtype;
    let route = f.route;
    let hint = move || data_hint(&rtype.get(), legacy).to_owned();
    let name_hint =
        format!("Relative to {zone}: www, _dmarc, *.dev — or @ (empty) for {zone} itself");
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        added.set(false);
        save.dispatch(f.form());
    };
    let general = move || {
        error.with(|e| match e {
            Some(AppError::Validation(_)) | None => None,
            Some(e) => Some(e.to_string()),
        })
    };
    view! {
        <form id="record-form" novalidate=true on:submit=submit>
            <p class="form-alert" role="alert" id="record-form-alert" hidden=move || general().is_none()>{general}</p>
            <div class="field">
                <label for="record-type">"Type"</label>
                <select id="record-type" on:change=move |ev| rtype.set(event_target_value(&ev))>
                    {types.iter().map(|t| view! { <option value=*t selected=*t == "A">{*t}</option> }).collect_view()}
                </select>
            </div>
            <TextInput id="record-name" label="Name" value=f.name error field="name" hint=name_hint placeholder="@" />
            {move || has_priority(&rtype.get(), legacy).then(|| view! {
                <TextInput id="record-priority" label="Priority" value=f.priority error field="priority" hint="0–65535; lower is tried first" placeholder="10" />
            })}
            <TextInput id="record-data" label="Data" value=f.data error field="data" hint=Signal::derive(hint) />
            <TextInput id="record-ttl" label="TTL (seconds)" value=f.ttl error field="ttl" hint="Empty: 3600" placeholder="3600" />
            {(!legacy).then(|| {
                let regions = regions.clone();
                let checks = checks.clone();
                view! {
                    <fieldset class="policy">
                        <legend>"Who gets this answer"</legend>
                        <div class="field">
                            <label for="record-route">"Policy"</label>
                            <select id="record-route" on:change=move |ev| route.set(event_target_value(&ev))>
                                {ROUTES.iter().map(|(k, l)| view! { <option value=*k selected=*k == "plain">{*l}</option> }).collect_view()}
                            </select>
                        </div>
                        <TextInput id="record-weight" label="Weight" value=f.weight error field="weight" hint="0 or empty: not weighted. When every record of this name and type has a weight, answers are shared in proportion." placeholder="0" />
                        {move || {
                            let regions = regions.clone();
                            match route.get().as_str() {
                                "region" => view! {
                                    <div class="field" class:field-invalid=move || error.with(|e| e.as_ref().and_then(|e| e.field("region")).is_some())>
                                        <label for="record-region">"Region"</label>
                                        <select id="record-region" on:change=move |ev| f.region.set(event_target_value(&ev))>
                                            <option value="">"Choose a region"</option>
                                            {regions.into_iter().map(|r| view! { <option value=r.clone()>{r.clone()}</option> }).collect_view()}
                                        </select>
                                        <p class="field-error" id="record-region-error">{move || error.with(|e| e.as_ref().and_then(|e| e.field("region")))}</p>
                                    </div>
                                }.into_any(),
                                "regiongroup" => view! { <TextInput id="record-regiongroup" label="Region group" value=f.regiongroup error field="regiongroup" hint="A group of Luna Node regions, as Luna Node names it" /> }.into_any(),
                                "country" => view! { <TextInput id="record-country" label="Country code" value=f.country error field="country" hint="Two letters: CA, DE, JP" placeholder="CA" /> }.into_any(),
                                "continent" => view! {
                                    <div class="field">
                                        <label for="record-continent">"Continent"</label>
                                        <select id="record-continent" on:change=move |ev| f.continent.set(event_target_value(&ev))>
                                            <option value="">"Choose a continent"</option>
                                            {CONTINENTS.iter().map(|(c, n)| view! { <option value=*c>{*n}</option> }).collect_view()}
                                        </select>
                                        <p class="field-error" id="record-continent-error">{move || error.with(|e| e.as_ref().and_then(|e| e.field("continent")))}</p>
                                    </div>
                                }.into_any(),
                                "latlong" => view! {
                                    <TextInput id="record-latitude" label="Latitude" value=f.latitude error field="latitude" placeholder="43.65" />
                                    <TextInput id="record-longitude" label="Longitude" value=f.longitude error field="longitude" placeholder="-79.38" />
                                }.into_any(),
                                _ => ().into_any(),
                            }
                        }}
                        <div class="field">
                            <label for="record-monitor">"Failover"</label>
                            {if checks.is_empty() {
                                view! { <p class="muted" id="record-monitor">"No monitor checks to tie this record to: add one under monitoring, and the record can drop out of answers while its check fails."</p> }.into_any()
                            } else {
                                view! {
                                    <select id="record-monitor" on:change=move |ev| f.monitor_id.set(event_target_value(&ev))>
                                        <option value="">"Always answer"</option>
                                        {checks.into_iter().map(|c| view! { <option value=c.id.clone()>{format!("Drop out while “{}” fails", c.name)}</option> }).collect_view()}
                                    </select>
                                }.into_any()
                            }}
                            <p class="field-error" id="record-monitor-error">{move || error.with(|e| e.as_ref().and_then(|e| e.field("monitor_id")))}</p>
                        </div>
                    </fieldset>
                }
            })}
            <button type="submit" class="button" id="record-add" disabled=move || save.pending().get()>
                {move || if save.pending().get() { "Adding…" } else { "Add record" }}
            </button>
            {move || added.get().then(|| view! { <p class="notice notice-success" id="record-added">"Record added."</p> })}
        </form>
    }
}

/// The record form's fields.
#[derive(Clone, Copy)]
struct RecordSignals {
    rtype: RwSignal<String>,
    name: RwSignal<String>,
    data: RwSignal<String>,
    ttl: RwSignal<String>,
    priority: RwSignal<String>,
    route: RwSignal<String>,
    weight: RwSignal<String>,
    region: RwSignal<String>,
    regiongroup: RwSignal<String>,
    country: RwSignal<String>,
    continent: RwSignal<String>,
    latitude: RwSignal<String>,
    longitude: RwSignal<String>,
    monitor_id: RwSignal<String>,
}

impl RecordSignals {
    fn new() -> Self {
        let s = || RwSignal::new(String::new());
        Self {
            rtype: RwSignal::new("A".into()),
            name: s(),
            data: s(),
            ttl: s(),
            priority: s(),
            route: RwSignal::new("plain".into()),
            weight: s(),
            region: s(),
            regiongroup: s(),
            country: s(),
            continent: s(),
            latitude: s(),
            longitude: s(),
            monitor_id: s(),
        }
    }

    /// The form as sent: only the fields the type and policy show.
    fn form(&self) -> NewRecord {
        let g = |s: RwSignal<String>| s.get_untracked();
        let rtype = g(self.rtype);
        let route = g(self.route);
        let only = |key: &str, s: RwSignal<String>| if route == key { g(s) } else { String::new() };
        NewRecord {
            priority: if matches!(rtype.as_str(), "MX" | "SRV") {
                g(self.priority)
            } else {
                String::new()
            },
            name: g(self.name),
            data: g(self.data),
            ttl: g(self.ttl),
            weight: g(self.weight),
            region: only("region", self.region),
            regiongroup: only("regiongroup", self.regiongroup),
            country: only("country", self.country),
            continent: only("continent", self.continent),
            latitude: only("latlong", self.latitude),
            longitude: only("latlong", self.longitude),
            monitor_id: g(self.monitor_id),
            rtype,
            route,
        }
    }
}

/// Export (shown to copy, or downloaded) and import with a preview.
#[component]
fn ZoneFile(d: Signal<ZoneDetail>, refresh: Refresh, cannot: Option<String>) -> impl IntoView {
    let (zone_id, legacy, zone) =
        d.with_untracked(|d| (d.zone.id.clone(), d.zone.legacy, d.zone.name.clone()));
    let exported = RwSignal::new(None::<Result<String, AppError>>);
    let export = {
        let zone_id = zone_id.clone();
        Action::new(move |_: &()| {
            let zone_id = zone_id.clone();
            async move {
                if legacy {
                    legacy_zone_export(zone_id).await
                } else {
                    zone_export(zone_id).await
                }
            }
        })
    };
    Effect::new(move |_| {
        if let Some(r) = export.value().get() {
            exported.set(Some(r));
        }
    });
    let text = RwSignal::new(String::new());
    let preview = RwSignal::new(None::<ImportPreview>);
    let error = RwSignal::new(None::<AppError>);
    let read = Action::new(move |apply: &bool| {
        let (zone_id, text, apply) = (zone_id.clone(), text.get_untracked(), *apply);
        async move {
            if legacy {
                legacy_zone_import(zone_id, text, apply).await
            } else {
                zone_import(zone_id, text, apply).await
            }
        }
    });
    Effect::new(move |_| match read.value().get() {
        Some(Ok(p)) => {
            error.set(None);
            if p.added.is_some() {
                refresh.bump();
            }
            preview.set(Some(p));
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let file_name = format!("{zone}.zone");
    let download = move || {
        exported.with(|e| match e {
            Some(Ok(t)) => Some(format!("data:text/plain;charset=utf-8,{}", encode(t))),
            _ => None,
        })
    };
    let import_reason = cannot.clone();
    view! {
        <Card title="Zone file">
            <p class="muted">"A BIND zone file: keep a copy, or move the zone to another provider. Policies a zone file cannot say are written as comments."</p>
            <button type="button" class="button subtle" id="zone-export" on:click=move |_| { export.dispatch(()); }>
                {move || if export.pending().get() { "Exporting…" } else { "Export" }}
            </button>
            {move || exported.get().map(|r| match r {
                Ok(t) => view! {
                    <textarea id="zone-export-text" class="mono" readonly=true rows="12">{t}</textarea>
                    <a class="button subtle small" id="zone-export-download" download=file_name.clone() href=download>"Download " {file_name.clone()}</a>
                }.into_any(),
                Err(e) => view! { <p class="field-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
            <h3>"Import"</h3>
            {match import_reason {
                Some(why) => view! { <p class="disabled-reason">{why}</p> }.into_any(),
                None => view! {
                    <div class="field" class:field-invalid=move || error.with(|e| e.as_ref().and_then(|e| e.field("text")).is_some())>
                        <label for="zone-import-text">"Paste a zone file"</label>
                        <textarea id="zone-import-text" class="mono" rows="10" placeholder="www 3600 IN A 203.0.113.5"
                            prop:value=move || text.get()
                            on:input=move |ev| { text.set(event_target_value(&ev)); preview.set(None); }></textarea>
                        <p class="field-error" id="zone-import-text-error" aria-live="polite">{move || error.with(|e| e.as_ref().map(|e| e.field("text").unwrap_or_else(|| e.to_string())))}</p>
                    </div>
                    <button type="button" class="button subtle" id="zone-import-preview" disabled=move || read.pending().get()
                        on:click=move |_| { read.dispatch(false); }>"Preview"</button>
                    {move || preview.get().map(|p| {
                        let n = p.add.len();
                        view! {
                            <div class="import-preview" id="zone-import-result">
                                {p.added.map(|a| view! { <p class="notice notice-success" id="zone-import-done">{format!("Imported {a} record{}.", if a == 1 { "" } else { "s" })}</p> })}
                                <h4>{if p.added.is_some() { format!("Added ({n})") } else { format!("To add ({n})") }}</h4>
                                <ul class="plain-list" id="zone-import-add">
                                    {p.add.iter().map(|l| view! { <li><span class="muted">{format!("line {}: ", l.line)}</span><code>{l.text.clone()}</code></li> }).collect_view()}
                                </ul>
                                <h4>{format!("Skipped ({})", p.skipped.len())}</h4>
                                <ul class="plain-list" id="zone-import-skipped">
                                    {p.skipped.iter().map(|l| view! { <li data-line=l.line.to_string()><span class="muted">{format!("line {}: ", l.line)}</span><code>{clip(&l.text, 100)}</code>" — "{l.reason.clone()}</li> }).collect_view()}
                                </ul>
                                {(p.added.is_none() && n > 0).then(|| view! {
                                    <button type="button" class="button" id="zone-import-apply" disabled=move || read.pending().get()
                                        on:click=move |_| { read.dispatch(true); }>{format!("Import {n} record{}", if n == 1 { "" } else { "s" })}</button>
                                })}
                            </div>
                        }
                    })}
                }.into_any(),
            }}
        </Card>
    }
}

/// Percent-encodes text for a `data:` URL.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~ ".contains(&b) {
            out.push(if b == b' ' { ' ' } else { b as char });
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.replace(' ', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_list_searches_both_forms_and_filters_kinds() {
        let spec = zones_spec();
        let z = |id: &str, name: &str, display: &str, legacy| ZoneRow {
            id: id.into(),
            name: name.into(),
            display: display.into(),
            legacy,
            ttl: Some(3600),
        };
        let rows = vec![
            z("1", "xn--bcher-kva.example", "bücher.example", false),
            z("2", "example.org", "example.org", true),
        ];
        let mut q = crate::components::list::ListQuery {
            filters: vec![String::new()],
            ..Default::default()
        };
        q.search = "xn--bcher".into();
        assert_eq!(spec.visible(&rows, &q).len(), 1);
        q.search = "bücher".into();
        assert_eq!(spec.visible(&rows, &q)[0].id, "1");
        q.search = String::new();
        q.filters = vec!["legacy".into()];
        assert_eq!(spec.visible(&rows, &q)[0].id, "2");
        assert_eq!(encode("a b\n;"), "a%20b%0A%3B");
    }
}
