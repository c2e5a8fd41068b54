//! The security-group card of a VM's page: the VM's groups (linked; a customer's VM may also
//! be in their provider's groups, named only), a warning for each of them that opens SSH,
//! RDP or a database port to the whole internet ("this VM has SSH open to the whole
//! internet through group web"), removing a group, and applying another group of its
//! region. Loaded in the browser (it sits inside the VM page's loading boundary) and read
//! again after each change.

use leptos::prelude::*;

use crate::components::kit::*;
use crate::components::shell::Loading;
use crate::error::AppError;
use crate::pages::security_groups::VM_NETWORK;
use crate::securitygroup::{securitygroup_of_vm, VmGroup};
use crate::vm::vm_security_group;

#[component]
pub fn VmSecurityGroups(#[prop(into)] vm_id: String) -> impl IntoView {
    let refresh = Refresh::new();
    let vm = StoredValue::new(vm_id);
    // Read in the browser only: the card sits inside the VM page's loading boundary.
    let groups = read_in_browser(refresh, move || securitygroup_of_vm(vm.get_value()));
    let cannot = Viewer::current().cannot(VM_NETWORK);
    let done = refresh.callback();
    let error = RwSignal::new(None::<AppError>);
    let view_of = Signal::derive(move || groups.get().and_then(Result::ok));
    let choices = Signal::derive(move || {
        view_of.with(|v| {
            v.as_ref()
                .map(|v| {
                    v.available
                        .iter()
                        .map(|g| (g.id.clone(), g.name.clone()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    let none = Signal::derive(move || {
        view_of.with(|v| match v {
            Some(v) => format!("No other security group of yours in {}.", v.region),
            None => "Loading the groups…".to_owned(),
        })
    });
    let apply_reason = cannot.clone();
    let body = move || match groups.get() {
        None => view! { <Loading label="Loading security groups…" /> }.into_any(),
        Some(Err(e)) => view! { <ProblemNotice error=e what="security groups" /> }.into_any(),
        Some(Ok(v)) => {
            let warnings: Vec<String> = v
                .groups
                .iter()
                .flat_map(|g| g.warnings.iter().map(|w| w.on_vm()))
                .collect();
            let lint = (!warnings.is_empty()).then(|| {
                view! {
                    <div class="notice notice-warning" id="vm-group-lint" role="alert">
                        <ul class="plain">
                            {warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
                        </ul>
                    </div>
                }
            });
            let problem = v
                .problem
                .clone()
                .map(|p| view! { <p class="notice notice-info">{p}</p> });
            let table = if v.groups.is_empty() {
                view! { <p class="empty" id="vm-groups-none">"In no security group: nothing may reach this VM."</p> }
                    .into_any()
            } else {
                view! {
                    <ul class="plain" id="vm-group-list">
                        {v.groups.into_iter().map(|g| group_item(g, vm, cannot.clone(), done)).collect_view()}
                    </ul>
                }
                .into_any()
            };
            view! { {lint} {problem} {table} }.into_any()
        }
    };
    view! {
        <Card title="Security groups" id="vm-security-groups" wide=true>
            {body}
            <ChoiceAction
                id="vm-group-apply"
                label="Apply a group"
                choices
                none
                button="Apply"
                pending_label="Applying…"
                success="Group applied."
                reason=apply_reason
                run=move |group: String| async move {
                    keep_error(error, vm_security_group(vm.get_value(), group, true).await)
                }
                on_done=done
                error=Signal::derive(move || error.get().and_then(|e| e.field("group_id")))
            >
                <a href="/security-groups" class="button subtle">"Security groups"</a>
            </ChoiceAction>
        </Card>
    }
}

/// One of the VM's groups: linked and removable when it is the caller's.
fn group_item(
    g: VmGroup,
    vm: StoredValue<String>,
    cannot: Option<String>,
    done: Callback<()>,
) -> AnyView {
    if !g.visible {
        return view! {
            <li class="muted">{g.name}" (managed by your provider)"</li>
        }
        .into_any();
    }
    let id = g.id.clone();
    let warned = !g.warnings.is_empty();
    view! {
        <li data-group-id=g.id.clone()>
            <a href=format!("/security-groups/{}", g.id)>{g.name.clone()}</a>
            {warned.then(|| view! { " " <span class="badge badge-off">"Open to the internet"</span> })}
            " "
            <ActionButton
                id=format!("remove-group-{}", g.id)
                label="Remove"
                pending_label="Removing…"
                class="button subtle small"
                run=move || vm_security_group(vm.get_value(), id.clone(), false)
                success=format!("Removed from group {}.", g.name)
                reason=cannot
                quiet_reason=true
                on_done=done
            />
        </li>
    }
    .into_any()
}
