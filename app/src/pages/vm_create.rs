//! `/vms/new`: the create wizard — region, then plan (with its monthly price), then an image
//! or bootable volume, then the hostname and options; the monthly cost is shown before the
//! create button. Every choice is kept when the server refuses one of them.

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::shell::{ErrorNotice, Loading};
use crate::pages::format::{ram, usd};
use crate::pages::vms::UpstreamProblemNotice;
use crate::vm::{check_hostname, vm_create_options, CreateOptions, NewVm, VmCreateFn};

#[component]
pub fn VmCreatePage() -> impl IntoView {
    let options = Resource::new(|| (), |_| vm_create_options());
    view! {
        <PageTitle text="Create a VM" />
        <p class="breadcrumb">
            <a href="/vms">"Virtual machines"</a>
        </p>
        <h1>"Create a VM"</h1>
        <Suspense fallback=|| view! { <Loading label="Loading regions, plans and images…" /> }>
            {move || Suspend::new(async move {
                match options.await {
                    Ok(o) => view! { <Wizard o /> }.into_any(),
                    Err(e) => view! { <UpstreamProblemNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Toggles `id` in a list signal (checkbox groups).
fn toggle(list: RwSignal<Vec<String>>, id: String, on: bool) {
    list.update(|l| {
        l.retain(|x| *x != id);
        if on {
            l.push(id);
        }
    });
}

#[component]
fn Wizard(o: CreateOptions) -> impl IntoView {
    // `/vms/new?image=ID` ("create a VM from this image") starts in the image's region
    // with it chosen, when it is one the caller may boot from.
    let preset = leptos_router::hooks::use_query_map()
        .with_untracked(|q| q.get("image"))
        .and_then(|id| o.images.iter().find(|i| i.image_id == id).cloned());
    let o = StoredValue::new(o);
    let region = RwSignal::new(
        preset
            .as_ref()
            .map(|i| i.region.clone())
            .unwrap_or_default(),
    );
    let plan = RwSignal::new(String::new());
    let boot = RwSignal::new(
        preset
            .map(|i| format!("image:{}", i.image_id))
            .unwrap_or_default(),
    );
    let hostname = RwSignal::new(String::new());
    let net = RwSignal::new(String::new());
    let groups = RwSignal::new(Vec::<String>::new());
    let scripts = RwSignal::new(Vec::<String>::new());
    let keys = RwSignal::new(Vec::<String>::new());
    let set_password = RwSignal::new(true);
    let affinity = RwSignal::new(String::new());
    let floating = RwSignal::new(String::new());
    let create = ServerAction::<VmCreateFn>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        match create.value().get() {
            // Made, but Luna Node did not say which VM it is yet: the list shows it soon.
            Some(Ok(id)) if id.is_empty() => navigate("/vms", Default::default()),
            Some(Ok(id)) => navigate(&format!("/vms/{id}"), Default::default()),
            _ => {}
        }
    });
    let server_error = move |field: &'static str| {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.field(field))
    };
    let hostname_error = move || {
        let h = hostname.get();
        server_error("hostname")
            .or_else(|| (!h.is_empty()).then(|| check_hostname(&h).err()).flatten())
    };
    let other_error = move || {
        create.value().get().and_then(|r| r.err()).filter(|e| {
            ["hostname", "region", "plan_id", "boot", "affinity_group"]
                .iter()
                .all(|f| e.field(f).is_none())
        })
    };
    let chosen_plan =
        move || o.with_value(|o| o.plans.iter().find(|p| p.plan_id == plan.get()).cloned());
    let regional = move |list: fn(&CreateOptions) -> &Vec<crate::vm::RegionalChoice>| {
        let r = region.get();
        o.with_value(|o| {
            list(o)
                .iter()
                .filter(|c| c.region == r)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let region_cards = o.with_value(|o| o.regions.clone()).into_iter().map(|r| {
        let code = r.code.clone();
        let code2 = r.code.clone();
        view! {
            <label class="choice">
                <input type="radio" name="region" value=r.code.clone()
                    prop:checked=move || region.get() == code
                    on:change=move |_| { region.set(code2.clone()); boot.set(String::new()); net.set(String::new()); groups.set(vec![]); floating.set(String::new()); } />
                <span><strong>{r.name.clone()}</strong><span class="muted">{r.code.clone()}</span></span>
            </label>
        }
    }).collect_view();
    let plan_rows = o.with_value(|o| o.plans.clone()).into_iter().map(|p| {
        let id = p.plan_id.clone();
        let id2 = p.plan_id.clone();
        view! {
            <label class="choice plan">
                <input type="radio" name="plan_id" value=p.plan_id.clone()
                    prop:checked=move || plan.get() == id
                    on:change=move |_| plan.set(id2.clone()) />
                <span>
                    <strong>{p.name.clone()}</strong>
                    <span>{format!("{} vCPU · {} · {} GB disk", p.vcpu, ram(Some(p.ram_mb)), p.disk_gb)}</span>
                    <span class="price">{format!("{}/month", usd(p.monthly()))}</span>
                    <span class="muted">{p.category.clone()}</span>
                </span>
            </label>
        }
    }).collect_view();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(VmCreateFn {
            vm: NewVm {
                hostname: hostname.get_untracked(),
                region: region.get_untracked(),
                plan_id: plan.get_untracked(),
                boot: boot.get_untracked(),
                net_id: net.get_untracked(),
                security_groups: groups.get_untracked(),
                scripts: scripts.get_untracked(),
                ssh_keys: keys.get_untracked(),
                set_password: set_password.get_untracked(),
                affinity_group: affinity.get_untracked(),
                floating_ip: floating.get_untracked(),
            },
        });
    };
    // Each part is type-erased: one nested type for the whole form is too deep to compile.
    let choose = view! {
            <fieldset class="card">
                <legend>"1. Region"</legend>
                <div class="choices">{region_cards}</div>
                <p class="field-error" aria-live="polite">{move || server_error("region")}</p>
            </fieldset>
            <fieldset class="card" disabled=move || region.get().is_empty()>
                <legend>"2. Plan"</legend>
                <div class="choices plans">{plan_rows}</div>
                <p class="field-error" aria-live="polite">{move || server_error("plan_id")}</p>
            </fieldset>
            <fieldset class="card" disabled=move || plan.get().is_empty()>
                <legend>"3. Image or bootable volume"</legend>
                <label class="inline-field">
                    <span>"Boot from"</span>
                    <select id="create-boot" on:change=move |ev| boot.set(event_target_value(&ev)) prop:value=move || boot.get()>
                        <option value="">"Choose an image"</option>
                        {move || {
                            let r = region.get();
                            let (public, own): (Vec<_>, Vec<_>) = o.with_value(|o| o.images.iter().filter(|i| i.region == r).cloned().partition(|i| i.public));
                            let vols = regional(|o| &o.volumes);
                            view! {
                                <optgroup label="Templates">
                                    {public.into_iter().map(|i| { let v = format!("image:{}", i.image_id); view! { <option selected=boot.get_untracked() == v value=v>{i.name}</option> } }).collect_view()}
                                </optgroup>
                                <optgroup label="Your images and snapshots">
                                    {own.into_iter().map(|i| { let v = format!("image:{}", i.image_id); view! { <option selected=boot.get_untracked() == v value=v>{i.name}</option> } }).collect_view()}
                                </optgroup>
                                <optgroup label="Bootable volumes">
                                    {vols.into_iter().map(|v| view! { <option value=format!("volume:{}", v.id)>{v.name}</option> }).collect_view()}
                                </optgroup>
                            }
                        }}
                    </select>
                </label>
                <p class="field-error" aria-live="polite">{move || server_error("boot")}</p>
            </fieldset>
    }
    .into_any();
    let details = view! {
            <fieldset class="card" disabled=move || boot.get().is_empty()>
                <legend>"4. Name and options"</legend>
                <div class="field" class:field-invalid=move || hostname_error().is_some()>
                    <label for="create-hostname">"Hostname"</label>
                    <p class="field-hint">"Letters, digits and hyphens; dots separate parts (web-1.example.com)."</p>
                    <input id="create-hostname" name="hostname" autocomplete="off"
                        aria-invalid=move || hostname_error().is_some().to_string()
                        prop:value=move || hostname.get()
                        on:input=move |ev| hostname.set(event_target_value(&ev)) />
                    <p class="field-error" aria-live="polite">{hostname_error}</p>
                </div>
                <label class="inline-field">
                    <span>"Virtual network"</span>
                    <select id="create-network" on:change=move |ev| net.set(event_target_value(&ev))>
                        <option value="">"Default network"</option>
                        {move || regional(|o| &o.networks).into_iter().map(|n| view! { <option value=n.id>{n.name}</option> }).collect_view()}
                    </select>
                </label>
                <label class="inline-field">
                    <span>"Floating IP"</span>
                    <select on:change=move |ev| floating.set(event_target_value(&ev))>
                        <option value="">"A new address"</option>
                        {move || regional(|o| &o.floating_ips).into_iter().map(|f| view! { <option value=f.id>{f.name}</option> }).collect_view()}
                    </select>
                </label>
                <fieldset class="checks">
                    <legend>"Security groups"</legend>
                    {move || {
                        let list = regional(|o| &o.security_groups);
                        if list.is_empty() { return view! { <p class="muted">"None in this region."</p> }.into_any(); }
                        list.into_iter().map(|g| {
                            let id = g.id.clone();
                            view! { <label class="check"><input type="checkbox" on:change=move |ev| toggle(groups, id.clone(), event_target_checked(&ev)) />{g.name}</label> }
                        }).collect_view().into_any()
                    }}
                </fieldset>
                <fieldset class="checks">
                    <legend>"Startup scripts"</legend>
                    {o.with_value(|o| o.scripts.clone()).into_iter().map(|s| {
                        let id = s.id.clone();
                        view! { <label class="check"><input type="checkbox" on:change=move |ev| toggle(scripts, id.clone(), event_target_checked(&ev)) />{s.name}</label> }
                    }).collect_view()}
                </fieldset>
                <fieldset class="checks">
                    <legend>"SSH keys"</legend>
                    {o.with_value(|o| o.ssh_keys.clone()).into_iter().map(|k| {
                        let id = k.id.clone();
                        view! { <label class="check"><input type="checkbox" on:change=move |ev| toggle(keys, id.clone(), event_target_checked(&ev)) />{k.name}</label> }
                    }).collect_view()}
                    <p class="muted"><a href="/ssh-keys">"Manage SSH keys"</a></p>
                </fieldset>
                <label class="check">
                    <input type="checkbox" prop:checked=move || set_password.get() on:change=move |ev| set_password.set(event_target_checked(&ev)) />
                    "Set a root password (shown on the VM's page)"
                </label>
                <label class="inline-field">
                    <span>"Affinity group (optional)"</span>
                    <input prop:value=move || affinity.get() on:input=move |ev| affinity.set(event_target_value(&ev)) />
                </label>
                <p class="field-error" aria-live="polite">{move || server_error("affinity_group")}</p>
            </fieldset>
    }
    .into_any();
    let summary = view! {
            <section class="card summary" aria-live="polite">
                <h2>"Summary"</h2>
                {move || match chosen_plan() {
                    Some(p) => view! {
                        <p id="create-cost">
                            {format!("{} in {} — ", p.name, region.get())}
                            <strong>{format!("{}/month", usd(p.monthly()))}</strong>
                            {format!(" (billed hourly at {})", usd(p.hourly))}
                        </p>
                    }.into_any(),
                    None => view! { <p class="muted">"Choose a region and a plan to see the price."</p> }.into_any(),
                }}
                {move || other_error().map(|e| view! { <ErrorNotice message=e.to_string() /> })}
                <button type="submit" class="button primary" id="create-submit"
                    disabled=move || create.pending().get() || region.get().is_empty() || plan.get().is_empty() || boot.get().is_empty()>
                    {move || if create.pending().get() { "Creating…" } else { "Create VM" }}
                </button>
            </section>
    }
    .into_any();
    view! {
        <form class="wizard" id="create-vm-form" novalidate on:submit=submit>
            {choose}
            {details}
            {summary}
        </form>
    }
    .into_any()
}
