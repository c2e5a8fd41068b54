//! `/volumes/:id`: one volume — its details and estimated cost; attach it to a VM of its
//! region (picked from a list), detach it; rename; extend it with the cost difference shown;
//! take snapshots and replicate or delete them; delete it (its name typed; refused while
//! attached). The page re-reads itself when the shared live stream shows the volume or a
//! snapshot change; what the user is typing survives (the page is rendered once, its parts
//! follow the data).

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::kit::*;
use crate::error::AppError;
use crate::kinds;
use crate::pages::format::{usd, usd_delta};
use crate::pages::volumes::{gb, monthly, SnapshotActions, VolumeBadge, SNAPSHOTS, VOLUMES};
use crate::volume::{
    parse_size, snapshot_create, volume_attach, volume_delete, volume_detach, volume_detail,
    volume_extend, volume_monthly, volume_rename, VolumeDetail, VolumePhase,
};

const BACK: (&str, &str) = ("/volumes", "Volumes");

#[component]
pub fn VolumeDetailPage() -> impl IntoView {
    let refresh = Refresh::new();
    let source = DetailSource {
        back: BACK,
        read: volume_detail,
        loading: "Loading the volume…",
        missing: "This volume does not exist (any more). It may have been deleted.",
        what: "volumes",
    };
    view! {
        // Until the volume's own name replaces it (also when it does not exist).
        <PageTitle text="Volume" />
        {detail_page(source, refresh, |d: &VolumeDetail, id| d.volume.id == id, move |d| view! { <VolumeView d refresh /> })}
    }
}

#[component]
fn VolumeView(d: Signal<VolumeDetail>, refresh: Refresh) -> impl IntoView {
    refetch_on_live(&kinds::VOLUME, refresh);
    refetch_on_live(&kinds::SNAPSHOT, refresh);
    let viewer = Viewer::current();
    let cannot = viewer.cannot(VOLUMES);
    let cannot_snapshot = viewer.cannot(SNAPSHOTS);
    let id = d.with_untracked(|d| d.volume.id.clone());
    let name = Memo::new(move |_| d.with(|d| d.volume.display_name().to_owned()));
    let phase = Memo::new(move |_| d.with(|d| d.volume.phase));
    let done = refresh.callback();

    let detach_reason = {
        let cannot = cannot.clone();
        Signal::derive(move || {
            cannot.clone().or_else(|| {
                (phase.get() != VolumePhase::InUse)
                    .then(|| "The volume is not attached.".to_owned())
            })
        })
    };
    let detach = {
        let id = id.clone();
        move || {
            let id = id.clone();
            view! {
            <ActionButton
                id="volume-detach"
                label="Detach"
                pending_label="Detaching…"
                run=move || volume_detach(id.clone())
                success="Detaching the volume."
                reason=detach_reason
                on_done=done
            />
            }
        }
    };
    let navigate = use_navigate();
    let gone = Callback::new(move |_: ()| navigate("/volumes", Default::default()));
    let delete_reason = {
        let cannot = cannot.clone();
        Signal::derive(move || {
            cannot.clone().or_else(|| {
                d.with(|d| {
                    let v = &d.volume;
                    (v.phase == VolumePhase::InUse || v.attached.is_some()).then(|| {
                        let on = v
                            .attached
                            .as_ref()
                            .map_or("its VM".to_owned(), |a| a.name.clone());
                        format!("The volume is attached to {on}: detach it first.")
                    })
                })
            })
        })
    };
    let delete_id = id.clone();
    view! {
        <DetailFrame
            back=BACK
            title=Signal::derive(move || name.get())
            title_id="volume-name"
            badge=move || view! {
                {move || d.with(|d| view! { <VolumeBadge status=d.volume.status.clone() phase=d.volume.phase /> })}
            }
            actions=detach
        >
            <Facts d />
            <Attach d cannot=cannot.clone() done />
            <Rename d cannot=cannot.clone() done />
            <Extend d cannot=cannot.clone() done />
            <Snapshots d cannot=cannot_snapshot done />
        </DetailFrame>
        {move || {
            let name = name.get();
            let id = delete_id.clone();
            view! {
                <DangerConfirm
                    title="Delete this volume"
                    warning="Deleting erases the volume and everything on it. Its snapshots stay until you delete them. This cannot be undone."
                    name=name
                    button="Delete volume"
                    run=move |typed: String| volume_delete(id.clone(), typed)
                    on_success=gone
                    reason=delete_reason
                />
            }
        }}
    }
}

#[component]
fn Facts(d: Signal<VolumeDetail>) -> impl IntoView {
    move || {
        let d = d.get();
        let v = d.volume;
        let attached = match &v.attached {
            Some(a) if a.visible => view! { <a href=format!("/vms/{}", a.vm_id) id="volume-attached">{a.name.clone()}</a> }.into_any(),
            Some(a) => view! { <span id="volume-attached">{a.name.clone()}</span> }.into_any(),
            None => view! { <span id="volume-attached">"Not attached"</span> }.into_any(),
        };
        let (uuid, region, size, created) = (
            or_dash(&d.identification),
            or_dash(&v.region),
            gb(v.size_gb),
            or_dash(&v.created),
        );
        let cost = v.size_gb.map_or_else(|| "–".to_owned(), monthly);
        view! {
            <Card title="Details">
                <dl class="facts">
                    <dt>"Volume ID"</dt>
                    <dd><code>{v.id}</code></dd>
                    <dt>"UUID"</dt>
                    <dd><code>{uuid}</code></dd>
                    <dt>"Region"</dt>
                    <dd>{region}</dd>
                    <dt>"Size"</dt>
                    <dd id="volume-size">{size}</dd>
                    <dt>"Estimated cost"</dt>
                    <dd>{cost}</dd>
                    <dt>"Attached to"</dt>
                    <dd>{attached}</dd>
                    <dt>"Created"</dt>
                    <dd>{created}</dd>
                </dl>
            </Card>
        }
    }
}

/// Attach to one of the caller's VMs in the volume's region, picked from a list.
#[component]
fn Attach(d: Signal<VolumeDetail>, cannot: Option<String>, done: Callback<()>) -> impl IntoView {
    let error = RwSignal::new(None::<AppError>);
    let id = d.with_untracked(|d| d.volume.id.clone());
    let reason = Signal::derive(move || {
        cannot.clone().or_else(|| {
            d.with(|d| match d.volume.phase {
                VolumePhase::InUse => Some("It is attached already: detach it first.".to_owned()),
                VolumePhase::Available => None,
                _ => Some(format!(
                    "It is {}: wait until it is available.",
                    d.volume.status
                )),
            })
        })
    });
    let choices = Signal::derive(move || {
        d.with(|d| {
            d.vms
                .iter()
                .map(|v| (v.vm_id.clone(), format!("{} ({})", v.name, v.vm_id)))
                .collect::<Vec<_>>()
        })
    });
    let none = Signal::derive(move || {
        d.with(|d| {
            format!(
                "You have no VM in {}: a volume attaches only to a VM of its region.",
                d.volume.region
            )
        })
    });
    view! {
        <Card title="Attach to a VM" id="volume-attach-card">
            <ChoiceAction
                id="volume-attach"
                label="VM"
                choices
                none
                button="Attach"
                pending_label="Attaching…"
                success="Attaching the volume."
                reason
                run=move |vm: String| {
                    let id = id.clone();
                    async move { keep_error(error, volume_attach(id, vm).await) }
                }
                on_done=done
                error=Signal::derive(move || error.get().and_then(|e| e.field("vm_id")))
            />
        </Card>
    }
}

#[component]
fn Rename(d: Signal<VolumeDetail>, cannot: Option<String>, done: Callback<()>) -> impl IntoView {
    let id = d.with_untracked(|d| d.volume.id.clone());
    view! {
        <RenameCard
            kind="volume"
            noun="Volume"
            current=d.with_untracked(|d| d.volume.name.clone())
            reason=cannot
            run=move |name: String| volume_rename(id.clone(), name)
            on_done=done
        />
    }
}

/// Grow the volume; the monthly cost difference follows the size typed.
#[component]
fn Extend(d: Signal<VolumeDetail>, cannot: Option<String>, done: Callback<()>) -> impl IntoView {
    let id = d.with_untracked(|d| d.volume.id.clone());
    let current = Memo::new(move |_| d.with(|d| d.volume.size_gb));
    let size = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let difference = move || {
        let typed = size.get();
        if typed.trim().is_empty() {
            return String::new();
        }
        match (parse_size(&typed), current.get()) {
            (Ok(new), Some(now)) if new > now => format!(
                "{}/month (estimated: {} a month in all).",
                usd_delta(volume_monthly(new) - volume_monthly(now)),
                usd(volume_monthly(new))
            ),
            (Ok(_), Some(now)) => format!("Enter more than {now} GB: volumes only grow."),
            (Ok(new), None) => format!("About {} a month in all.", usd(volume_monthly(new))),
            (Err(e), _) => e,
        }
    };
    let reason = Signal::derive(move || {
        cannot.clone().or_else(|| {
            d.with(|d| match d.volume.phase {
                VolumePhase::Available => None,
                VolumePhase::InUse => {
                    Some("Detach it first: an attached volume cannot be extended.".to_owned())
                }
                _ => Some(format!(
                    "It is {}: wait until it is available.",
                    d.volume.status
                )),
            })
        })
    });
    view! {
        <Card title="Extend">
            <p class="muted">{move || format!("Now {}.", gb(current.get()))}</p>
            <div class="inline-form">
                <label class="inline-field">
                    <span>"New size (GB)"</span>
                    <input
                        id="volume-extend-size"
                        name="size"
                        type="number"
                        min="1"
                        step="1"
                        inputmode="numeric"
                        aria-describedby="volume-extend-cost volume-extend-error"
                        prop:value=move || size.get()
                        on:input=move |ev| size.set(event_target_value(&ev))
                    />
                </label>
                <ActionButton
                    id="volume-extend"
                    label="Extend"
                    pending_label="Extending…"
                    run=move || {
                        let (id, size) = (id.clone(), size.get_untracked());
                        async move { keep_error(error, volume_extend(id, size).await) }
                    }
                    success="Volume extended."
                    reason=reason
                    on_done=done
                />
            </div>
            <p class="field-hint" id="volume-extend-cost" aria-live="polite">{difference}</p>
            <p class="field-error" id="volume-extend-error" aria-live="polite">
                {move || error.get().and_then(|e| e.field("size"))}
            </p>
        </Card>
    }
}

/// Take a snapshot; this volume's snapshots with replicate and delete.
#[component]
fn Snapshots(d: Signal<VolumeDetail>, cannot: Option<String>, done: Callback<()>) -> impl IntoView {
    let id = d.with_untracked(|d| d.volume.id.clone());
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let regions = Signal::derive(move || d.with(|d| d.regions.clone()));
    let take_reason = {
        let cannot = cannot.clone();
        Signal::derive(move || {
            cannot.clone().or_else(|| {
                d.with(|d| {
                    (!matches!(d.volume.phase, VolumePhase::Available | VolumePhase::InUse))
                        .then(|| format!("It is {}: wait until it is ready.", d.volume.status))
                })
            })
        })
    };
    view! {
        <Card title="Snapshots" id="volume-snapshots" wide=true>
            <InputAction
                id="snapshot-create"
                input_id="snapshot-name"
                label="Snapshot name"
                value=name
                field="name"
                error
                button="Take snapshot"
                pending_label="Taking…"
                success="Taking the snapshot."
                reason=take_reason
                run=move |n: String| {
                    let id = id.clone();
                    async move {
                        let r = keep_error(error, snapshot_create(id, n).await);
                        if r.is_ok() {
                            name.set(String::new());
                        }
                        r
                    }
                }
                on_done=done
            />
            {move || {
                let snapshots = d.with(|d| d.snapshots.clone());
                if snapshots.is_empty() {
                    return view! { <p class="empty">"No snapshots of this volume yet."</p> }.into_any();
                }
                view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label="Snapshots of this volume">
                        <table class="data" id="volume-snapshot-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Status"</th>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Size"</th>
                                    <th scope="col">"Created"</th>
                                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                {snapshots.into_iter().map(|s| view! {
                                    <tr data-snapshot-id=s.id.clone()>
                                        <td><VolumeBadge status=s.status.clone() phase=s.phase /></td>
                                        <td>{or_dash(&s.name)}</td>
                                        <td>{gb(s.size_gb)}</td>
                                        <td>{or_dash(&s.created)}</td>
                                        <td class="actions">
                                            <SnapshotActions snapshot=s.clone() regions cannot=cannot.clone() refresh=done />
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                .into_any()
            }}
        </Card>
    }
}
