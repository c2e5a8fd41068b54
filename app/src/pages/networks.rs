//! `/networks`: the caller's virtual networks per region — name, subnet, the VMs and load
//! balancers on each (linked); create one (name, region, a private /24, DNS servers: each
//! checked beside its field); delete one with its name typed, refused in words while
//! something uses it.

use crate::components::title::PageTitle;
use leptos::prelude::*;

use crate::catalog::catalog_regions;
use crate::components::form::{action_error, field_error, Field, FormAlert, SubmitButton};
use crate::components::kit::*;
use crate::components::shell::Loading;
use crate::error::AppError;
use crate::kinds;
use crate::network::{
    network_delete, network_list, parse_subnet, NetworkCreateFn, NetworkRow, NetworksView,
    OnNetwork,
};
use crate::vm::RegionView;

/// The capability a customer needs to create and delete networks.
pub const NETWORKS: &str = "networks";

impl Listing for NetworksView {
    type Row = NetworkRow;

    fn rows(&self) -> &[NetworkRow] {
        &self.networks
    }

    fn note(&self) -> Option<ListNote> {
        self.problem.as_ref().map(|p| ListNote {
            title: "Load balancers are not shown. ".into(),
            text: p.clone(),
        })
    }
}

crate::pageable!(NetworksView => networks);

// `networks/page`: the list paged on the server (its rules only: no action is drawn there).
crate::paged_list!(
    NetworkPageFn,
    "networks/page",
    network_page,
    network_list,
    spec(Callback::new(|_| ())),
    NetworksView
);

/// The names of what is on a network, linked where the caller may open it.
fn on_list(on: &[OnNetwork], base: &'static str) -> AnyView {
    if on.is_empty() {
        return "–".into_any();
    }
    view! {
        <ul class="plain-list">
            {on.iter().map(|o| {
                let text = if o.address.is_empty() { o.name.clone() } else { format!("{} ({})", o.name, o.address) };
                if o.visible && !o.id.is_empty() {
                    view! { <li><a href=format!("{base}/{}", o.id)>{text}</a></li> }.into_any()
                } else {
                    view! { <li class="muted">{text}</li> }.into_any()
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

fn spec(refresh: Callback<()>) -> ListSpec<NetworkRow> {
    ListSpec {
        columns: vec![
            Column::new("Name", |n: &NetworkRow| {
                let tag = n
                    .default
                    .then(|| view! { <span class="tag">"default"</span> });
                view! { <span class="network-name">{n.name.clone()}</span>" "{tag} }
            })
            .sort(|n| SortValue::text(&n.name)),
            Column::new("Region", |n: &NetworkRow| or_dash(&n.region))
                .sort(|n| SortValue::text(&n.region)),
            Column::new(
                "Subnet",
                |n: &NetworkRow| view! { <code>{n.subnet.clone()}</code> },
            )
            .sort(|n| SortValue::text(&n.subnet)),
            Column::new("DNS servers", |n: &NetworkRow| {
                if n.dns.is_empty() {
                    view! { <span class="muted" title="Luna Node's network list does not show them">"Not shown"</span> }.into_any()
                } else {
                    n.dns.join(", ").into_any()
                }
            }),
            Column::new("VMs", |n: &NetworkRow| on_list(&n.vms, "/vms"))
                .sort(|n| SortValue::number(n.vms.len() as i64)),
            Column::new("Load balancers", |n: &NetworkRow| {
                on_list(&n.lbs, "/load-balancers")
            })
            .sort(|n| SortValue::number(n.lbs.len() as i64)),
            Column::new("", move |n: &NetworkRow| {
                view! { <DeleteNetwork row=n.clone() refresh /> }
            })
            .class("actions"),
        ],
        search: Some(Search::new("Name, subnet or VM", |n| {
            let vms: Vec<&str> = n.vms.iter().map(|v| v.name.as_str()).collect();
            format!("{} {} {}", n.name, n.subnet, vms.join(" "))
        })),
        filters: vec![Filter::from_rows("region", "Region", "All regions", |n| {
            n.region.clone()
        })],
        row_id: |n| n.id.clone(),
    }
}

/// Delete, with the name typed; disabled with the reason while something uses it.
#[component]
fn DeleteNetwork(row: NetworkRow, refresh: Callback<()>) -> impl IntoView {
    let viewer = Viewer::current();
    let reason = viewer.cannot(NETWORKS).or_else(|| row.in_use());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let (id, region) = (row.id.clone(), row.region.clone());
    if row.default {
        return ().into_any();
    }
    view! {
        <details class="inline-details">
            <summary class="button subtle small danger">"Delete…"</summary>
            <InputAction
                id=format!("network-delete-{}", row.id)
                input_id=format!("network-delete-confirm-{}", row.id)
                label="Type the network's name to confirm"
                value=confirm
                field="confirm"
                error
                button="Delete network"
                pending_label="Deleting…"
                success="Network deleted."
                reason
                run=move |typed: String| {
                    let (id, region) = (id.clone(), region.clone());
                    async move { keep_error(error, network_delete(id, region, typed).await) }
                }
                on_done=refresh
            />
        </details>
    }
    .into_any()
}

#[component]
pub fn NetworksPage() -> impl IntoView {
    let refresh = Refresh::new();
    let (state, list) = paged_source(refresh, spec(Callback::new(|_| ())), "", 0, network_page);
    refetch_on_live(&kinds::VM, refresh);
    let viewer = Viewer::current();
    let cannot = viewer.cannot(NETWORKS);
    // Read once: the form must not be drawn again when the list refreshes.
    let regions = Resource::new(|| (), |_| catalog_regions());
    view! {
        <PageTitle text="Networks" />
        <div class="page-head">
            <h1>"Virtual networks"</h1>
        </div>
        <p class="muted">"Private networks of a region: VMs and load balancers on the same network reach each other on their private addresses. Every region has a default network; choose another when you create a VM or a load balancer."</p>
        <ResourceList
            id="network"
            noun="networks"
            source=list.first
            live=list.live
            state
            spec=spec(refresh.callback())
            row_attr="data-network-id"
            sort=0
            loading="Loading networks…"
            empty="No networks yet."
        />
        <h2 id="create-network">"Create a network"</h2>
        {match cannot {
            Some(why) => view! { <p class="disabled-reason" id="create-network-locked">{why}</p> }.into_any(),
            None => view! {
                <Transition fallback=|| view! { <Loading label="Loading the regions…" /> }>
                    {move || Suspend::new(async move {
                        match regions.await {
                            Ok(r) => view! { <CreateForm regions=r refresh /> }.into_any(),
                            Err(e) => view! { <ProblemNotice error=e what="networks" /> }.into_any(),
                        }
                    })}
                </Transition>
            }.into_any(),
        }}
    }
}

#[component]
fn CreateForm(regions: Vec<RegionView>, refresh: Refresh) -> impl IntoView {
    let create = ServerAction::<NetworkCreateFn>::new();
    let error = action_error(create.value());
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            refresh.bump();
        }
    });
    let subnet = RwSignal::new(String::new());
    let hint = move || {
        let typed = subnet.get();
        if typed.trim().is_empty() {
            return "A private /24, written as its first three numbers: 192.168.30 is 192.168.30.0/24.".to_owned();
        }
        match parse_subnet(&typed) {
            Ok((_, cidr)) => format!("The network will be {cidr}."),
            Err(e) => e,
        }
    };
    let region_error = field_error(error, "region");
    let subnet_error = field_error(error, "subnet");
    view! {
        <ActionForm action=create attr:novalidate=true attr:id="create-network-form" attr:class="card">
            <FormAlert error fields=&["name", "region", "subnet", "dns"] />
            <Field name="network[name]" label="Name" error=field_error(error, "name") autocomplete="off" />
            <div class="field" class:field-invalid=move || region_error.get().is_some()>
                <label for="field-network-region">"Region"</label>
                <select id="field-network-region" name="network[region]"
                    aria-invalid=move || region_error.get().is_some().to_string()
                    aria-describedby="field-network-region-error">
                    {regions.into_iter().map(|r| view! { <option value=r.code.clone()>{format!("{} ({})", r.name, r.code)}</option> }).collect_view()}
                </select>
                <p class="field-error" id="field-network-region-error" aria-live="polite">{move || region_error.get()}</p>
            </div>
            <div class="field" class:field-invalid=move || subnet_error.get().is_some()>
                <label for="field-network-subnet">"Subnet"</label>
                <input id="field-network-subnet" name="network[subnet]" autocomplete="off" placeholder="192.168.30"
                    prop:value=move || subnet.get()
                    on:input=move |ev| subnet.set(event_target_value(&ev))
                    aria-describedby="field-network-subnet-hint field-network-subnet-error"
                    aria-invalid=move || subnet_error.get().is_some().to_string() />
                <p class="field-hint" id="field-network-subnet-hint" aria-live="polite">{hint}</p>
                <p class="field-error" id="field-network-subnet-error" aria-live="polite">{move || subnet_error.get()}</p>
            </div>
            <Field name="network[dns]" label="DNS servers" required=false hint="Addresses separated by commas; empty: 8.8.8.8, 8.8.4.4" error=field_error(error, "dns") autocomplete="off" />
            <SubmitButton label="Create network" busy_label="Creating…" pending=create.pending() />
            {move || matches!(create.value().get(), Some(Ok(_))).then(|| view! { <p class="notice notice-success" id="network-created">"Network created."</p> })}
        </ActionForm>
    }
}
