//! `/volumes`: the caller's volumes (search, filter by region and status, sort), their
//! snapshots (replicate to another region as an image, delete), and `/volumes/new`, the
//! create form with the monthly cost before the button. Lists follow volumes that are being
//! made, attached or detached without a reload ([`refetch_on_live`]).

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::form::{action_error, field_error, Field, FormAlert, SubmitButton};
use crate::components::kit::*;
use crate::components::shell::Loading;
use crate::error::AppError;
use crate::kinds;
use crate::pages::format::usd;
use crate::vm::RegionView;
use crate::volume::{
    parse_size, snapshot_delete, snapshot_list, snapshot_replicate, volume_create_options,
    volume_list, volume_monthly, SnapshotRow, SnapshotsView, VolumeCreateFn, VolumeCreateOptions,
    VolumePhase, VolumeRow, VolumesView, VOLUME_USD_PER_GB_MONTH_INFERRED,
};

/// The capability groups a customer needs to change volumes and snapshots.
pub const VOLUMES: &str = "volumes";
pub const SNAPSHOTS: &str = "snapshots";

/// The status filter's value for a phase (it filters by what a status means: the words
/// vary upstream).
fn phase_key(p: VolumePhase) -> &'static str {
    match p {
        VolumePhase::Available => "available",
        VolumePhase::InUse => "in-use",
        VolumePhase::Changing => "busy",
        VolumePhase::Error => "error",
        VolumePhase::Unknown => "other",
    }
}

const STATUSES: &[(&str, &str)] = &[
    ("available", "Available"),
    ("in-use", "Attached"),
    ("busy", "Changing"),
    ("error", "Error"),
    ("other", "Other"),
];

/// A volume's or snapshot's status as Luna Node words it, coloured by what it means.
#[component]
pub fn VolumeBadge(#[prop(into)] status: String, phase: VolumePhase) -> impl IntoView {
    let text = if status.trim().is_empty() {
        "Unknown".to_owned()
    } else {
        status.clone()
    };
    view! {
        <span class=format!("status status-{}", phase.class()) data-status=status>
            {(phase == VolumePhase::Changing).then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
            {text}
        </span>
    }
}

/// `20 GB`, or "–" when unknown.
pub fn gb(size: Option<u32>) -> String {
    size.map_or_else(|| "–".into(), |s| format!("{s} GB"))
}

/// The estimated monthly cost of a volume of `size` GB, labelled as an estimate.
pub fn monthly(size: u32) -> String {
    format!("about {}/month", usd(volume_monthly(size)))
}

impl Listing for VolumesView {
    type Row = VolumeRow;

    fn rows(&self) -> &[VolumeRow] {
        &self.volumes
    }
}

crate::pageable!(VolumesView => volumes, SnapshotsView => snapshots);

impl Listing for SnapshotsView {
    type Row = SnapshotRow;

    fn rows(&self) -> &[SnapshotRow] {
        &self.snapshots
    }

    fn note(&self) -> Option<ListNote> {
        self.problem.as_ref().map(|p| ListNote {
            title: "Some snapshots are missing. ".into(),
            text: p.clone(),
        })
    }
}

fn attached_cell(v: &VolumeRow) -> AnyView {
    match &v.attached {
        Some(a) if a.visible => {
            view! { <a href=format!("/vms/{}", a.vm_id)>{a.name.clone()}</a> }.into_any()
        }
        Some(a) => view! { <span class="muted">{a.name.clone()}</span> }.into_any(),
        None if v.phase == VolumePhase::InUse => {
            view! { <span class="muted">"A VM"</span> }.into_any()
        }
        None => "–".into_any(),
    }
}

/// The volume table.
fn volume_list_spec() -> ListSpec<VolumeRow> {
    ListSpec {
        columns: vec![
            Column::new("Status", |v: &VolumeRow| {
                view! { <VolumeBadge status=v.status.clone() phase=v.phase /> }
            })
            .sort(|v| SortValue::text(phase_key(v.phase))),
            Column::new("Name", |v: &VolumeRow| {
                view! {
                    <a href=format!("/volumes/{}", v.id) class="volume-name">
                        {v.display_name().to_owned()}
                    </a>
                }
            })
            .sort(|v| SortValue::text(&v.name)),
            Column::new("Size", |v: &VolumeRow| gb(v.size_gb))
                .sort(|v| SortValue::opt_number(v.size_gb)),
            Column::new("Region", |v: &VolumeRow| or_dash(&v.region))
                .sort(|v| SortValue::text(&v.region)),
            Column::new("Attached to", attached_cell)
                .sort(|v| SortValue::opt_text(v.attached.as_ref().map(|a| a.name.as_str()))),
        ],
        search: Some(Search::new("Name, ID or VM", |v| {
            format!(
                "{} {} {}",
                v.name,
                v.id,
                v.attached.as_ref().map(|a| a.name.as_str()).unwrap_or("")
            )
        })),
        filters: vec![
            Filter::from_rows("region", "Region", "All regions", |v| v.region.clone()),
            Filter::fixed(
                "status",
                "Status",
                "Any status",
                |v| phase_key(v.phase).to_owned(),
                STATUSES,
            ),
        ],
        row_id: |v| v.id.clone(),
    }
}

/// The name column: sorted by it at first.
const BY_NAME: usize = 1;

/// The snapshot table: delete, and replicate to another region as an image.
fn snapshot_list_spec(
    regions: Signal<Vec<RegionView>>,
    cannot: Option<String>,
    refresh: Callback<()>,
) -> ListSpec<SnapshotRow> {
    ListSpec {
        columns: vec![
            Column::new("Status", |s: &SnapshotRow| {
                view! { <VolumeBadge status=s.status.clone() phase=s.phase /> }
            })
            .sort(|s| SortValue::text(phase_key(s.phase))),
            Column::new("Name", |s: &SnapshotRow| or_dash(&s.name)).sort(|s| SortValue::text(&s.name)),
            Column::new("Volume", |s: &SnapshotRow| {
                if s.volume_name.is_empty() {
                    view! { <span class="muted">{or_dash(&s.volume_id)}</span> }.into_any()
                } else {
                    view! { <a href=format!("/volumes/{}", s.volume_id)>{s.volume_name.clone()}</a> }
                        .into_any()
                }
            })
            .sort(|s| SortValue::text(&s.volume_name)),
            Column::new("Size", |s: &SnapshotRow| gb(s.size_gb)).sort(|s| SortValue::opt_number(s.size_gb)),
            Column::new("Region", |s: &SnapshotRow| or_dash(&s.region)).sort(|s| SortValue::text(&s.region)),
            Column::new("", move |s: &SnapshotRow| {
                view! { <SnapshotActions snapshot=s.clone() regions cannot=cannot.clone() refresh /> }
            })
            .class("actions"),
        ],
        search: Some(Search::new("Name, ID or volume", |s| {
            format!("{} {} {}", s.name, s.id, s.volume_name)
        })),
        filters: vec![Filter::from_rows("region", "Region", "All regions", |s| s.region.clone())],
        row_id: |s| s.id.clone(),
    }
}

// `volumes/page` and `snapshots/page`: the lists paged on the server (their rules only:
// no action is drawn there).
crate::paged_list!(
    VolumePageFn,
    "volumes/page",
    volume_page,
    volume_list,
    volume_list_spec(),
    VolumesView
);
crate::paged_list!(
    SnapshotPageFn,
    "snapshots/page",
    snapshot_page,
    snapshot_list,
    snapshot_rules(),
    SnapshotsView
);

/// The snapshot table's rules (search, filter, sort) with no actions behind its buttons.
fn snapshot_rules() -> ListSpec<SnapshotRow> {
    snapshot_list_spec(Signal::stored(Vec::new()), None, Callback::new(|_| ()))
}

/// A snapshot's actions: replicate it to a region as an image (a small form), delete it.
#[component]
pub fn SnapshotActions(
    snapshot: SnapshotRow,
    #[prop(into)] regions: Signal<Vec<RegionView>>,
    cannot: Option<String>,
    refresh: Callback<()>,
) -> impl IntoView {
    let (id, region) = (snapshot.id.clone(), snapshot.region.clone());
    let not_ready = (!snapshot.ready()).then(|| "The snapshot is not ready yet.".to_owned());
    let delete_reason = cannot.clone();
    let replicate_reason = cannot.or(not_ready);
    let dst = RwSignal::new(String::new());
    let name = RwSignal::new(format!("{}-image", snapshot.name));
    let error = RwSignal::new(None::<AppError>);
    let (rid, rregion) = (id.clone(), region.clone());
    let label = if snapshot.name.is_empty() {
        snapshot.id.clone()
    } else {
        snapshot.name.clone()
    };
    let form_id = format!("replicate-{}", snapshot.id);
    view! {
        <details class="inline-details">
            <summary class="button subtle small">"Replicate…"</summary>
            <div class="inline-form" id=form_id.clone()>
                <label class="inline-field">
                    <span>"To region"</span>
                    <select
                        name="dst_region"
                        on:change=move |ev| dst.set(event_target_value(&ev))
                        prop:value=move || dst.get()
                    >
                        <option value="">"Choose…"</option>
                        {move || {
                            regions
                                .get()
                                .into_iter()
                                .map(|r| view! { <option value=r.code.clone()>{format!("{} ({})", r.name, r.code)}</option> })
                                .collect_view()
                        }}
                    </select>
                </label>
                <label class="inline-field">
                    <span>"Image name"</span>
                    <input
                        name="image_name"
                        autocomplete="off"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </label>
                <ActionButton
                    id=format!("replicate-submit-{}", snapshot.id)
                    label="Replicate"
                    pending_label="Replicating…"
                    class="button small"
                    run=move || {
                        let (id, region, dst, name) = (rid.clone(), rregion.clone(), dst.get_untracked(), name.get_untracked());
                        async move {
                            let r = snapshot_replicate(id, region, dst, name).await;
                            error.set(r.as_ref().err().cloned());
                            r
                        }
                    }
                    success=format!("Snapshot “{label}” is being copied as an image.")
                    reason=replicate_reason
                    on_done=refresh
                />
                <p class="field-error" aria-live="polite">
                    {move || error.get().and_then(|e| e.field("dst_region").or_else(|| e.field("image_name")))}
                </p>
            </div>
        </details>
        <ActionButton
            id=format!("delete-snapshot-{}", snapshot.id)
            label="Delete"
            pending_label="Deleting…"
            class="button subtle small danger"
            run=move || snapshot_delete(id.clone(), region.clone())
            success="Snapshot deleted."
            reason=delete_reason
            quiet_reason=true
            on_done=refresh
        />
    }
}

#[component]
pub fn VolumesPage() -> impl IntoView {
    let refresh = Refresh::new();
    let (state, volumes) = paged_source(refresh, volume_list_spec(), "", BY_NAME, volume_page);
    refetch_on_live(&kinds::VOLUME, refresh);
    let snap_refresh = Refresh::new();
    let (snap_state, snapshots) = paged_source(
        snap_refresh,
        snapshot_rules(),
        "snapshot-",
        1,
        snapshot_page,
    );
    refetch_on_live(&kinds::SNAPSHOT, snap_refresh);
    let regions = Signal::derive(move || {
        snapshots
            .newest
            .get()
            .map(|s| s.listing.regions)
            .unwrap_or_default()
    });
    let viewer = Viewer::current();
    let cannot_create = viewer.cannot(VOLUMES);
    let cannot_snapshot = viewer.cannot(SNAPSHOTS);
    let create = match cannot_create {
        None => view! { <a class="button primary" href="/volumes/new" id="create-volume">"Create volume"</a> }.into_any(),
        Some(why) => view! { <span class="disabled-reason" id="create-volume-locked">{why}</span> }.into_any(),
    };
    view! {
        <PageTitle text="Volumes" />
        <div class="page-head">
            <h1>"Volumes"</h1>
            {create}
        </div>
        <ResourceList
            id="volume"
            noun="volumes"
            source=volumes.first
            live=volumes.live
            state
            spec=volume_list_spec()
            row_attr="data-volume-id"
            sort=BY_NAME
            loading="Loading volumes…"
            empty="No volumes yet. A volume is extra disk space you attach to a VM in the same region."
            empty_action=|| view! { <a class="button primary" href="/volumes/new">"Create your first volume"</a> }
        />
        <h2 id="snapshots">"Snapshots"</h2>
        <p class="muted">"Point-in-time copies of a volume. Take one from a volume's page; copy one to any region as an image to boot VMs from."</p>
        <ResourceList
            id="snapshot"
            url_prefix="snapshot-"
            noun="snapshots"
            source=snapshots.first
            live=snapshots.live
            state=snap_state
            spec=snapshot_list_spec(regions, cannot_snapshot, snap_refresh.callback())
            row_attr="data-snapshot-id"
            sort=1
            loading="Loading snapshots…"
            empty="No snapshots yet."
        />
    }
}

/// `/volumes/new`: name, region, size and source; the monthly cost before the button; a
/// customer's remaining quota.
#[component]
pub fn VolumeCreatePage() -> impl IntoView {
    let options = Resource::new(|| (), |_| volume_create_options());
    view! {
        <PageTitle text="Create a volume" />
        <DetailBack back=("/volumes", "Volumes") />
        <h1>"Create a volume"</h1>
        <Transition fallback=|| view! { <Loading label="Loading the choices…" /> }>
            {move || Suspend::new(async move {
                match options.await {
                    Ok(o) => view! { <CreateForm options=o /> }.into_any(),
                    Err(e) => view! { <ProblemNotice error=e what="volumes" /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The create form's source choices in `region`: empty, images, ready snapshots.
fn sources(o: &VolumeCreateOptions, region: &str) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), "Empty volume".to_owned())];
    out.extend(o.images.iter().filter(|i| i.region == region).map(|i| {
        (
            format!("image:{}", i.image_id),
            format!("Image: {}", i.name),
        )
    }));
    out.extend(o.snapshots.iter().filter(|s| s.region == region).map(|s| {
        let size = s.size_gb.map(|g| format!(", {g} GB")).unwrap_or_default();
        (
            format!("snapshot:{}", s.id),
            format!("Snapshot: {}{size}", s.name),
        )
    }));
    out
}

#[component]
fn CreateForm(options: VolumeCreateOptions) -> impl IntoView {
    let create = ServerAction::<VolumeCreateFn>::new();
    let error = action_error(create.value());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            let to = if id.is_empty() {
                "/volumes".to_owned()
            } else {
                format!("/volumes/{id}")
            };
            navigate(&to, Default::default());
        }
    });
    let first_region = options
        .regions
        .first()
        .map(|r| r.code.clone())
        .unwrap_or_default();
    let region = RwSignal::new(first_region);
    let size = RwSignal::new("20".to_owned());
    let cost = move || match parse_size(&size.get()) {
        Ok(gb) => format!(
            "Estimated cost: {} (at {} per GB a month; your bill decides).",
            monthly(gb),
            usd(VOLUME_USD_PER_GB_MONTH_INFERRED)
        ),
        Err(e) => e,
    };
    let quota = options.quota.map(|q| {
        let count = match q.volumes_limit {
            Some(l) => format!("{} of {l} volumes", q.volumes),
            None => format!("{} volumes", q.volumes),
        };
        let space = match q.gb_limit {
            Some(l) => format!("{} of {l} GB", q.gb),
            None => format!("{} GB", q.gb),
        };
        view! { <p class="notice notice-info" id="volume-quota">{format!("You use {count} and {space} of volume storage.")}</p> }
    });
    let regions = options.regions.clone();
    let o = StoredValue::new(options);
    let source_error = field_error(error, "source");
    let region_error = field_error(error, "region");
    view! {
        {quota}
        <ActionForm action=create attr:novalidate=true attr:id="create-volume-form" attr:class="card">
            <FormAlert error fields=&["name", "region", "size", "source"] />
            <Field name="volume[name]" label="Name" error=field_error(error, "name") autocomplete="off" />
            <div class="field" class:field-invalid=move || region_error.get().is_some()>
                <label for="field-region">"Region"</label>
                <select id="field-region" name="volume[region]"
                    aria-invalid=move || region_error.get().is_some().to_string()
                    aria-describedby="field-region-error"
                    on:change=move |ev| region.set(event_target_value(&ev))>
                    {regions.into_iter().map(|r| view! { <option value=r.code.clone()>{format!("{} ({})", r.name, r.code)}</option> }).collect_view()}
                </select>
                <p class="field-error" id="field-region-error" aria-live="polite">{move || region_error.get()}</p>
            </div>
            <div class="field" class:field-invalid=move || field_error(error, "size").get().is_some()>
                <label for="field-size">"Size (GB)"</label>
                <input id="field-size" name="volume[size]" type="number" min="1" step="1" inputmode="numeric"
                    prop:value=move || size.get()
                    on:input=move |ev| size.set(event_target_value(&ev))
                    aria-describedby="field-size-cost field-size-error"
                    aria-invalid=move || field_error(error, "size").get().is_some().to_string() />
                <p class="field-hint" id="field-size-cost" aria-live="polite">{cost}</p>
                <p class="field-error" id="field-size-error" aria-live="polite">{move || field_error(error, "size").get()}</p>
            </div>
            <div class="field" class:field-invalid=move || source_error.get().is_some()>
                <label for="field-source">"Start from"</label>
                <select id="field-source" name="volume[source]"
                    aria-invalid=move || source_error.get().is_some().to_string()
                    aria-describedby="field-source-hint field-source-error">
                    {move || o.with_value(|o| sources(o, &region.get())).into_iter()
                        .map(|(value, label)| view! { <option value=value>{label}</option> })
                        .collect_view()}
                </select>
                <p class="field-hint" id="field-source-hint">"A volume from a snapshot must be at least the snapshot's size."</p>
                <p class="field-error" id="field-source-error" aria-live="polite">{move || source_error.get()}</p>
            </div>
            <SubmitButton label="Create volume" busy_label="Creating…" pending=create.pending() />
        </ActionForm>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::list::ListQuery;
    use crate::volume::AttachedTo;

    fn row(
        id: &str,
        name: &str,
        region: &str,
        status: &str,
        size: u32,
        vm: Option<&str>,
    ) -> VolumeRow {
        VolumeRow {
            id: id.into(),
            name: name.into(),
            region: region.into(),
            size_gb: Some(size),
            status: status.into(),
            phase: VolumePhase::of(status),
            attached: vm.map(|n| AttachedTo {
                vm_id: format!("vm-{n}"),
                name: n.into(),
                visible: true,
            }),
            created: String::new(),
        }
    }

    fn ids(
        rows: &[VolumeRow],
        search: &str,
        region: &str,
        status: &str,
        sort: usize,
        desc: bool,
    ) -> Vec<String> {
        let q = ListQuery {
            search: search.into(),
            filters: vec![region.into(), status.into()],
            sort: Some(sort),
            desc,
        };
        volume_list_spec()
            .visible(rows, &q)
            .into_iter()
            .map(|r| r.id)
            .collect()
    }

    #[test]
    fn volumes_search_filter_and_sort() {
        let owner = Owner::new();
        owner.set();
        let rows = vec![
            row("1", "data-10", "toronto", "available", 10, None),
            row("2", "data-9", "montreal", "in-use", 50, Some("web")),
            row("3", "logs", "toronto", "creating", 5, None),
        ];
        assert_eq!(ids(&rows, "", "", "", BY_NAME, false), ["2", "1", "3"]);
        assert_eq!(ids(&rows, "", "", "", 2, true), ["2", "1", "3"], "by size");
        assert_eq!(
            ids(&rows, "web", "", "", BY_NAME, false),
            ["2"],
            "by the VM's name"
        );
        assert_eq!(ids(&rows, "", "toronto", "", BY_NAME, false), ["1", "3"]);
        assert_eq!(ids(&rows, "", "", "busy", BY_NAME, false), ["3"]);
        assert_eq!(ids(&rows, "", "", "in-use", BY_NAME, false), ["2"]);
    }

    #[test]
    fn sources_follow_the_region() {
        let o = VolumeCreateOptions {
            images: vec![crate::vm::ImageChoice {
                image_id: "9".into(),
                name: "Debian".into(),
                region: "toronto".into(),
                public: true,
            }],
            snapshots: vec![SnapshotRow {
                id: "7".into(),
                name: "s".into(),
                volume_id: "1".into(),
                volume_name: String::new(),
                region: "montreal".into(),
                size_gb: Some(10),
                status: "available".into(),
                phase: VolumePhase::Available,
                created: String::new(),
            }],
            ..Default::default()
        };
        let values = |r: &str| -> Vec<String> { sources(&o, r).into_iter().map(|s| s.0).collect() };
        assert_eq!(values("toronto"), ["", "image:9"]);
        assert_eq!(values("montreal"), ["", "snapshot:7"]);
        assert_eq!(monthly(20), "about $1.00/month");
    }
}
