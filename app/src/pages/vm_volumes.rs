//! The volumes card of a VM's page: the volumes attached to it (detach), and "attach a
//! volume" from the available volumes of its region. Loaded in the browser (it sits inside
//! the VM page's loading boundary) and re-read when the live stream shows a volume change.

use leptos::prelude::*;

use crate::components::kit::*;
use crate::components::shell::Loading;
use crate::kinds;
use crate::pages::volumes::{gb, VolumeBadge, VOLUMES};
use crate::volume::{volume_attach, volume_detach, volume_list, VolumePhase, VolumeRow};

/// Whether `v` is (or is becoming, or was a moment ago) attached to `vm_id`.
fn on_vm(v: &VolumeRow, vm_id: &str) -> bool {
    v.attached.as_ref().is_some_and(|a| a.vm_id == vm_id)
}

/// Volumes that can be attached to a VM of `region` now.
fn attachable<'a>(rows: &'a [VolumeRow], region: &'a str) -> impl Iterator<Item = &'a VolumeRow> {
    rows.iter().filter(move |v| {
        v.phase == VolumePhase::Available && v.attached.is_none() && v.region == region
    })
}

#[component]
pub fn VmVolumes(#[prop(into)] vm_id: String, #[prop(into)] region: String) -> impl IntoView {
    let refresh = Refresh::new();
    // Read in the browser only: the card sits inside the VM page's loading boundary.
    let volumes = read_in_browser(refresh, volume_list);
    let rows = Signal::derive(move || {
        volumes
            .get()
            .and_then(Result::ok)
            .map(|v| v.volumes)
            .unwrap_or_default()
    });
    refetch_on_live(&kinds::VOLUME, refresh);
    let cannot = Viewer::current().cannot(VOLUMES);
    let done = refresh.callback();
    let (vm, reg) = (StoredValue::new(vm_id), StoredValue::new(region));
    let choices = Signal::derive(move || {
        rows.with(|r| {
            attachable(r, &reg.get_value())
                .map(|v| {
                    (
                        v.id.clone(),
                        format!("{} ({})", v.display_name(), gb(v.size_gb)),
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    let none = Signal::derive(move || format!("No available volume in {}.", reg.get_value()));
    let attach_reason = cannot.clone();
    let table = move || {
        let mine: Vec<VolumeRow> = rows.with(|r| {
            r.iter()
                .filter(|v| on_vm(v, &vm.get_value()))
                .cloned()
                .collect()
        });
        if mine.is_empty() {
            return view! { <p class="empty" id="vm-volumes-none">"No volumes attached."</p> }
                .into_any();
        }
        view! {
            <div class="table-wrap" tabindex="0" role="region" aria-label="Volumes of this VM">
                <table class="data" id="vm-volume-table">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Size"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {mine.into_iter().map(|v| {
                            let id = v.id.clone();
                            let reason = cannot.clone().or_else(|| {
                                (v.phase != VolumePhase::InUse).then(|| format!("It is {}.", v.status))
                            });
                            view! {
                                <tr data-volume-id=v.id.clone()>
                                    <td><a href=format!("/volumes/{}", v.id)>{v.display_name().to_owned()}</a></td>
                                    <td>{gb(v.size_gb)}</td>
                                    <td><VolumeBadge status=v.status.clone() phase=v.phase /></td>
                                    <td class="actions">
                                        <ActionButton
                                            id=format!("detach-volume-{}", v.id)
                                            label="Detach"
                                            pending_label="Detaching…"
                                            class="button subtle small"
                                            run=move || volume_detach(id.clone())
                                            success="Detaching the volume."
                                            reason=reason
                                            quiet_reason=true
                                            on_done=done
                                        />
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <Card title="Volumes" id="vm-volumes" wide=true>
            {move || match volumes.get() {
                None => view! { <Loading label="Loading volumes…" /> }.into_any(),
                Some(Err(e)) => view! { <ProblemNotice error=e what="volumes" /> }.into_any(),
                Some(Ok(_)) => table().into_any(),
            }}
            <ChoiceAction
                id="vm-volume-attach"
                label="Attach a volume"
                choices
                none
                button="Attach"
                pending_label="Attaching…"
                success="Attaching the volume."
                reason=attach_reason
                run=move |volume: String| volume_attach(volume, vm.get_value())
                on_done=done
            >
                <a href="/volumes/new" class="button subtle">"Create a volume"</a>
            </ChoiceAction>
        </Card>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::volume::AttachedTo;

    fn row(id: &str, region: &str, status: &str, vm: Option<&str>) -> VolumeRow {
        VolumeRow {
            id: id.into(),
            name: id.into(),
            region: region.into(),
            size_gb: Some(1),
            status: status.into(),
            phase: VolumePhase::of(status),
            attached: vm.map(|v| AttachedTo {
                vm_id: v.into(),
                name: v.into(),
                visible: true,
            }),
            created: String::new(),
        }
    }

    #[test]
    fn the_card_lists_this_vms_volumes_and_offers_free_ones_of_its_region() {
        let rows = vec![
            row("1", "toronto", "in-use", Some("vm-a")),
            row("2", "toronto", "in-use", Some("vm-b")),
            row("3", "toronto", "available", None),
            row("4", "montreal", "available", None),
            row("5", "toronto", "creating", None),
        ];
        let mine: Vec<&str> = rows
            .iter()
            .filter(|v| on_vm(v, "vm-a"))
            .map(|v| v.id.as_str())
            .collect();
        assert_eq!(mine, ["1"]);
        let free: Vec<&str> = attachable(&rows, "toronto")
            .map(|v| v.id.as_str())
            .collect();
        assert_eq!(free, ["3"]);
    }
}
