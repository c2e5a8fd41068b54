//! The reseller console: `/customers` (list, create, invite, suspend, view as),
//! `/customers/:id` (what is theirs, their policy, sign-in help, delete) and `/branding`.

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::form::{action_error, field_error, Field, FormAlert, SubmitButton};
use crate::components::shell::{ErrorNotice, Loading};
use crate::components::table::DataTable;
use crate::tenancy::{
    get_branding, get_customer, ledger_drift, list_customers, AssignResource, CreateCustomer,
    CustomerPolicy, CustomerResetLink, DeleteCustomer, InviteCustomer, ResetCustomerSecondFactor,
    SaveBranding, SetCustomerPolicy, SuspendCustomer, UnassignResource, ViewAs,
};
use crate::types::{format_unix, Role};
use crate::PanelContext;

/// `/customers`: the reseller's console, or (for anyone else) what the page is for and who
/// may use it, instead of forms that would only fail.
#[component]
pub fn CustomersPage() -> impl IntoView {
    // The console frame renders pages only once `panel_info` has arrived, on the server and
    // in the browser alike, so the role is known here and both draw the same page.
    let role = expect_context::<PanelContext>()
        .info
        .get_untracked()
        .and_then(Result::ok)
        .and_then(|i| i.user)
        .map(|u| u.role);
    match role {
        Some(Role::Reseller) | None => view! { <ResellerCustomers /> }.into_any(),
        Some(role) => view! { <NotAReseller role /> }.into_any(),
    }
}

/// `/customers` for an admin, an owner or a customer.
#[component]
fn NotAReseller(role: Role) -> impl IntoView {
    let (who, next) = match role {
        Role::Admin => (
            "You are the administrator, not a reseller.",
            view! {
                <p>
                    "To let an account owner serve customers, open "
                    <a href="/admin">"Administration"</a>
                    " and choose “Make reseller” beside them; they then find this page in their menu."
                </p>
            }
            .into_any(),
        ),
        Role::Customer => (
            "Your account belongs to your provider's customer list, so there is nothing for you to manage here.",
            view! { <p>"Ask your provider if you need another account or more resources."</p> }
                .into_any(),
        ),
        Role::Owner | Role::Reseller => (
            "Your account is not a reseller's yet.",
            view! {
                <p>
                    "The panel's administrator can make your account a reseller (Administration → Make reseller). \
                     Everything you run now stays as it is."
                </p>
            }
            .into_any(),
        ),
    };
    view! {
        <PageTitle text="Customers" />
        <h1>"Customers"</h1>
        <section class="card" id="customers-not-reseller">
            <h2>"This page is for resellers"</h2>
            <p>
                "A reseller runs this panel as a branded portal for customers of their own: \
                 the customers sign in here, see only the servers and other resources the reseller \
                 assigned to them, under the reseller's name and colours, within limits the reseller sets. \
                 The reseller adds customers, assigns resources, suspends them and can view the panel as them."
            </p>
            <p><strong>{who}</strong></p>
            {next}
        </section>
    }
}

/// The reseller's customer list, with the forms to add and invite customers.
#[component]
fn ResellerCustomers() -> impl IntoView {
    let create = ServerAction::<CreateCustomer>::new();
    let invite = ServerAction::<InviteCustomer>::new();
    let suspend = ServerAction::<SuspendCustomer>::new();
    let view_as = ServerAction::<ViewAs>::new();
    let customers = Resource::new(
        move || (create.version().get(), suspend.version().get()),
        |_| list_customers(),
    );
    Effect::new(move |_| {
        if let Some(Ok(())) = view_as.value().get() {
            // A full load: the whole console changes to the customer's view.
            #[cfg(feature = "hydrate")]
            let _ = window().location().set_href("/");
        }
    });
    let error = action_error(create.value());
    view! {
        <PageTitle text="Customers" />
        <h1>"Customers"</h1>
        <p class="lead">
            "Your customers sign in to this panel and see only what you assign to them, \
             under your branding, within the limits you set."
        </p>
        <section class="card">
            <h2>"Add a customer"</h2>
            <ActionForm action=create attr:novalidate=true attr:id="create-customer">
                <FormAlert error fields=&["name", "email", "password"] />
                <Field name="name" label="Name" error=field_error(error, "name") autocomplete="off" />
                <Field name="email" label="E-mail" input_type="email" error=field_error(error, "email") autocomplete="off" />
                <Field
                    name="password"
                    label="Initial password"
                    input_type="password"
                    hint="Give it to the customer; they can change it after signing in."
                    error=field_error(error, "password")
                    autocomplete="new-password"
                    revealable=true
                />
                <SubmitButton label="Add customer" busy_label="Adding…" pending=create.pending() />
            </ActionForm>
            <p>
                "Or let them choose their own password: "
                <button type="button" class="button subtle" id="invite-customer" on:click=move |_| { invite.dispatch(InviteCustomer {}); }>
                    "Make an invite link"
                </button>
            </p>
            {move || invite.value().get().map(|r| match r {
                Ok(i) => view! {
                    <p class="notice notice-success" id="customer-invite">
                        "Send this link (single use, until " {format_unix(i.expires_at)} "): "
                        <code>{i.link}</code>
                    </p>
                }.into_any(),
                Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
            })}
        </section>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match customers.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No customers yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <DataTable headers=&["Customer", "Status", "Assigned", "Since", ""]>
                            {list.into_iter().map(|c| {
                                let id = c.id;
                                let suspended = c.suspended;
                                let assigned = if c.assigned.is_empty() {
                                    "nothing".to_owned()
                                } else {
                                    c.assigned.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ")
                                };
                                view! {
                                    <tr data-customer=c.email.clone()>
                                        <td>
                                            <a href=format!("/customers/{id}")>{c.display_name.clone()}</a>
                                            <br />
                                            <small>{c.email.clone()}</small>
                                        </td>
                                        <td>{if suspended { "Suspended" } else if c.disabled { "Disabled" } else { "Active" }}</td>
                                        <td>{assigned}</td>
                                        <td>{format_unix(c.created_at)}</td>
                                        <td class="actions">
                                            <button type="button" class="button subtle small view-as"
                                                on:click=move |_| { view_as.dispatch(ViewAs { customer_id: id }); }>
                                                "View as"
                                            </button>
                                            <button type="button" class="button subtle small suspend" disabled=move || suspend.pending().get()
                                                on:click=move |_| { suspend.dispatch(SuspendCustomer { customer_id: id, suspended: !suspended }); }>
                                                {if suspended { "Resume" } else { "Suspend" }}
                                            </button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </DataTable>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Transition>
        <LedgerCheck />
        {move || suspend.value().get().map(|r| match r {
            Ok(0) => view! { <p class="notice notice-info" id="suspend-result">"Done."</p> }.into_any(),
            Ok(n) => view! { <p class="notice notice-info" id="suspend-result">{format!("Suspended; {n} of their servers are stopping.")}</p> }.into_any(),
            Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
        })}
        {move || action_error(view_as.value()).get().map(|e| view! { <ErrorNotice message=e.to_string() /> })}
    }
}

fn limit(v: Option<impl ToString>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

#[component]
fn PolicyForm(customer_id: i64, policy: CustomerPolicy) -> impl IntoView {
    let save = ServerAction::<SetCustomerPolicy>::new();
    let error = action_error(save.value());
    let q = policy.quotas.clone();
    let enabled = policy.enabled.clone();
    view! {
        <ActionForm action=save attr:novalidate=true attr:id="customer-policy">
            <input type="hidden" name="customer_id" value=customer_id.to_string() />
            <FormAlert error fields=&["vms", "vcpu", "ram_mb", "disk_gb", "volumes", "volume_gb", "floating_ips", "load_balancers", "security_groups", "zones", "mail_domains", "monitor_checks", "monitor_contacts", "scripts", "enabled"] />
            <fieldset>
                <legend>"Quotas (empty: no limit)"</legend>
                <Field name="form[vms]" label="Servers" required=false value=limit(q.vms) error=field_error(error, "vms") />
                <Field name="form[vcpu]" label="vCPUs in all" required=false value=limit(q.vcpu) error=field_error(error, "vcpu") />
                <Field name="form[ram_mb]" label="Memory in all (MB)" required=false value=limit(q.ram_mb) error=field_error(error, "ram_mb") />
                <Field name="form[disk_gb]" label="Disk in all (GB)" required=false value=limit(q.disk_gb) error=field_error(error, "disk_gb") />
                <Field name="form[volumes]" label="Volumes" required=false value=limit(q.volumes) error=field_error(error, "volumes") />
                <Field name="form[volume_gb]" label="Volume space (GB)" required=false value=limit(q.volume_gb) error=field_error(error, "volume_gb") />
                <Field name="form[floating_ips]" label="Floating IPs" required=false value=limit(q.floating_ips) error=field_error(error, "floating_ips") />
                <Field name="form[load_balancers]" label="Load balancers" required=false value=limit(q.load_balancers) error=field_error(error, "load_balancers") />
                <Field name="form[security_groups]" label="Security groups" required=false value=limit(q.security_groups) error=field_error(error, "security_groups") />
                <Field name="form[zones]" label="DNS zones" required=false value=limit(q.zones) error=field_error(error, "zones") />
                <Field name="form[mail_domains]" label="Mail domains" required=false value=limit(q.mail_domains) error=field_error(error, "mail_domains") />
                <Field name="form[monitor_checks]" label="Monitor checks" required=false value=limit(q.monitor_checks) error=field_error(error, "monitor_checks") />
                <Field name="form[monitor_contacts]" label="Alert contacts" required=false value=limit(q.monitor_contacts) error=field_error(error, "monitor_contacts") />
                <Field name="form[scripts]" label="Startup scripts" required=false value=limit(q.scripts) error=field_error(error, "scripts") />
            </fieldset>
            <fieldset>
                <legend>"What they may use (plans and regions empty: all)"</legend>
                <Field name="form[plans]" label="Plan ids" required=false value=policy.plans.join(", ") hint="Comma-separated, e.g. 1, 2, 3" error=field_error(error, "plans") />
                <Field name="form[regions]" label="Regions" required=false value=policy.regions.join(", ") hint="e.g. toronto, montreal" error=field_error(error, "regions") />
                <Field name="form[images]" label="Your image ids" required=false value=policy.images.join(", ") hint="Your own images they may boot from, besides public templates and their own images; empty: none" error=field_error(error, "images") />
            </fieldset>
            <fieldset>
                <legend>"What they may do (besides looking at what is theirs)"</legend>
                {crate::kinds::capabilities().enumerate().map(|(i, c)| {
                    let checked = enabled.iter().any(|e| e == c.key);
                    view! {
                        <label class="check">
                            <input type="checkbox" name=format!("form[enabled][{i}]") value=c.key checked=checked />
                            {c.label}
                        </label>
                    }
                }).collect_view()}
                <label class="check">
                    <input type="checkbox" name="form[show_login_details]" value="true" checked=policy.show_login_details />
                    "See their servers' initial login details (root password)"
                </label>
            </fieldset>
            <SubmitButton label="Save limits and permissions" busy_label="Saving…" pending=save.pending() />
            {move || matches!(save.value().get(), Some(Ok(()))).then(|| view! { <p class="notice notice-success">"Saved."</p> })}
        </ActionForm>
    }
}

#[component]
pub fn CustomerPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params.with(|p| {
            p.get("id")
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or_default()
        })
    });
    let assign = ServerAction::<AssignResource>::new();
    let unassign = ServerAction::<UnassignResource>::new();
    let delete = ServerAction::<DeleteCustomer>::new();
    let reset_factor = ServerAction::<ResetCustomerSecondFactor>::new();
    let reset_link = ServerAction::<CustomerResetLink>::new();
    let detail = Resource::new(
        move || {
            (
                id.get(),
                assign.version().get(),
                unassign.version().get(),
                reset_factor.version().get(),
            )
        },
        |(id, _, _, _)| get_customer(id),
    );
    // What no customer holds yet, of every kind (the ledger check's list), to assign here.
    let free = Resource::new(move || assign.version().get(), |_| ledger_drift());
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            let navigate = leptos_router::hooks::use_navigate();
            navigate("/customers", Default::default());
        }
    });
    let assign_error = action_error(assign.value());
    let delete_error = action_error(delete.value());
    view! {
        <PageTitle text="Customer" />
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let d = match detail.await {
                    Ok(d) => d,
                    Err(e) => return view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                };
                let free = free.await.map(|d| d.unassigned).unwrap_or_default();
                let customer_id = d.customer.id;
                let email = d.customer.email.clone();
                let names: std::collections::HashMap<(String, String), String> = d
                    .names
                    .iter()
                    .map(|r| ((r.kind.clone(), r.resource_id.clone()), r.name.clone()))
                    .collect();
                view! {
                    <h1>{d.customer.display_name.clone()}</h1>
                    <p class="lead">{d.customer.email.clone()} {d.customer.suspended.then_some(" — suspended")}</p>
                    <section class="card">
                        <h2>"Assigned to them"</h2>
                        {if d.assignments.is_empty() {
                            view! { <p class="empty">"Nothing yet."</p> }.into_any()
                        } else {
                            view! {
                                <DataTable headers=&["Kind", "Resource", "Since", ""]>
                                    {d.assignments.into_iter().map(|a| {
                                        let label = names.get(&(a.kind.clone(), a.resource_id.clone())).cloned().unwrap_or_else(|| a.resource_id.clone());
                                        let (kind, rid) = (a.kind.clone(), a.resource_id.clone());
                                        view! {
                                            <tr>
                                                <td>{a.kind.clone()}</td>
                                                <td>{label}</td>
                                                <td>{format_unix(a.assigned_at)}</td>
                                                <td>
                                                    <button type="button" class="button subtle small"
                                                        on:click=move |_| { unassign.dispatch(UnassignResource { kind: kind.clone(), resource_id: rid.clone() }); }>
                                                        "Release"
                                                    </button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </DataTable>
                            }.into_any()
                        }}
                        <AssignForm customer_id free assign error=assign_error />
                    </section>
                    <section class="card">
                        <h2>"Limits and permissions"</h2>
                        <PolicyForm customer_id policy=d.policy />
                    </section>
                    <SignInHelp customer_id second_factor=d.second_factor reset_factor reset_link />
                    <section class="card danger-zone">
                        <h2>"Delete this customer"</h2>
                        <p>
                            "They can no longer sign in. What was assigned to them comes back to you; \
                             nothing is deleted at the cloud, and the audit log keeps their history."
                        </p>
                        <ActionForm action=delete attr:novalidate=true attr:id="delete-customer">
                            <input type="hidden" name="customer_id" value=customer_id.to_string() />
                            <FormAlert error=delete_error fields=&["confirm"] />
                            <Field name="confirm" label="Type their e-mail address to confirm" error=field_error(delete_error, "confirm") autocomplete="off" />
                            <p class="field-hint">{email}</p>
                            <SubmitButton label="Delete customer" busy_label="Deleting…" pending=delete.pending() />
                        </ActionForm>
                    </section>
                }.into_any()
            })}
        </Transition>
        {move || action_error(unassign.value()).get().map(|e| view! { <ErrorNotice message=e.to_string() /> })}
    }
}

/// For a customer who cannot sign in: a password-reset link, and removing a second factor
/// whose device and recovery codes they lost.
#[component]
fn SignInHelp(
    customer_id: i64,
    second_factor: bool,
    reset_factor: ServerAction<ResetCustomerSecondFactor>,
    reset_link: ServerAction<CustomerResetLink>,
) -> impl IntoView {
    view! {
        <section class="card" id="customer-sign-in-help" aria-labelledby="sign-in-help-heading">
            <h2 id="sign-in-help-heading">"Sign-in help"</h2>
            <p id="customer-second-factor">
                {if second_factor {
                    "Two-step sign-in is on for this customer."
                } else {
                    "Two-step sign-in is off for this customer."
                }}
            </p>
            <p>
                "A password-reset link works once, for an hour; give it to them yourself. It                  keeps their two-step sign-in."
            </p>
            <button
                type="button"
                class="button"
                id="customer-reset-link"
                disabled=move || reset_link.pending().get()
                on:click=move |_| {
                    reset_link.dispatch(CustomerResetLink { customer_id });
                }
            >
                "Make a password-reset link"
            </button>
            {move || {
                reset_link.value().get().map(|r| match r {
                    Ok(link) => view! {
                        <div class="notice notice-success" role="status">
                            <label for="reset-link">
                                "Their reset link (shown only now; expires "
                                {format_unix(link.expires_at)} "):"
                            </label>
                            <input id="reset-link" class="copyable" readonly value=link.link />
                        </div>
                    }
                    .into_any(),
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                })
            }}
            {second_factor.then(|| view! {
                <p>
                    "If they lost their phone and their recovery codes, remove their second                      factor: they sign in with the password alone and can set up a new one."
                </p>
                <button
                    type="button"
                    class="button danger"
                    id="customer-reset-second-factor"
                    disabled=move || reset_factor.pending().get()
                    on:click=move |_| {
                        reset_factor.dispatch(ResetCustomerSecondFactor { customer_id });
                    }
                >
                    "Remove their second factor"
                </button>
            })}
            {move || action_error(reset_factor.value()).get().map(|e| view! { <ErrorNotice message=e.to_string() /> })}
        </section>
    }
}

#[component]
pub fn BrandingPage() -> impl IntoView {
    let save = ServerAction::<SaveBranding>::new();
    let branding = Resource::new(|| (), |_| get_branding());
    let error = action_error(save.value());
    view! {
        <PageTitle text="Branding" />
        <h1>"Branding"</h1>
        <p class="lead">"How the panel looks to your customers. They never see the name of the cloud behind it."</p>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match branding.await {
                    Ok(b) => view! {
                        <section class="card">
                            <ActionForm action=save attr:novalidate=true attr:id="branding">
                                <FormAlert error fields=&["panel_name", "logo_url", "accent_light", "accent_dark", "support_url"] />
                                <Field name="panel_name" label="Panel name" value=b.panel_name error=field_error(error, "panel_name") />
                                <Field name="logo_url" label="Logo address" required=false value=b.logo_url hint="https://… or a path on this panel; empty for none" error=field_error(error, "logo_url") />
                                <Field name="accent_light" label="Accent colour (light theme)" value=b.accent_light error=field_error(error, "accent_light") />
                                <Field name="accent_dark" label="Accent colour (dark theme)" value=b.accent_dark error=field_error(error, "accent_dark") />
                                <Field name="support_url" label="Support link" required=false value=b.support_url hint="https://… or mailto:…" error=field_error(error, "support_url") />
                                <SubmitButton label="Save branding" busy_label="Saving…" pending=save.pending() />
                                {move || matches!(save.value().get(), Some(Ok(()))).then(|| view! { <p class="notice notice-success">"Saved."</p> })}
                            </ActionForm>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Where the ledger and the account disagree: resources nobody is assigned (adopt them for a
/// customer) and entries whose resource is gone (release them).
#[component]
fn LedgerCheck() -> impl IntoView {
    let assign = ServerAction::<AssignResource>::new();
    let release = ServerAction::<UnassignResource>::new();
    let checked = RwSignal::new(false);
    let drift = Resource::new(
        move || {
            (
                checked.get(),
                assign.version().get(),
                release.version().get(),
            )
        },
        |(checked, _, _)| async move {
            if checked {
                Some((ledger_drift().await, list_customers().await))
            } else {
                None
            }
        },
    );
    view! {
        <section class="card" id="ledger-check">
            <h2>"Ledger check"</h2>
            <p>
                "Compares what is assigned to customers with what the account really holds. "
                <button type="button" class="button subtle" id="check-ledger" on:click=move |_| checked.set(true)>
                    "Check now"
                </button>
            </p>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match drift.await {
                        None => ().into_any(),
                        Some((Err(e), _)) | Some((_, Err(e))) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                        Some((Ok(d), Ok(customers))) => {
                            let email_of = |id: i64| customers.iter().find(|c| c.id == id).map(|c| c.email.clone()).unwrap_or_default();
                            let gone_rows: Vec<_> = d.gone.into_iter().map(|a| (email_of(a.customer_id), a)).collect();
                            let choices: Vec<(String, String)> = customers.iter().map(|c| (c.id.to_string(), c.email.clone())).collect();
                            let gone = (!gone_rows.is_empty()).then_some(view! {
                                <h3>"Assigned, but gone from the account"</h3>
                                <DataTable headers=&["Kind", "Resource", "Customer", ""]>
                                    {gone_rows.into_iter().map(|(who, a)| {
                                        let (kind, rid) = (a.kind.clone(), a.resource_id.clone());
                                        view! {
                                            <tr>
                                                <td>{a.kind.clone()}</td>
                                                <td><code>{a.resource_id.clone()}</code></td>
                                                <td>{who}</td>
                                                <td><button type="button" class="button subtle small"
                                                    on:click=move |_| { release.dispatch(UnassignResource { kind: kind.clone(), resource_id: rid.clone() }); }>
                                                    "Release"
                                                </button></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </DataTable>
                            });
                            let unassigned = if d.unassigned.is_empty() {
                                view! { <p>"Every resource of the account is assigned."</p> }.into_any()
                            } else {
                                view! {
                                    <h3>"Not assigned to any customer (yours)"</h3>
                                    <DataTable headers=&["Kind", "Name", "Assign to"]>
                                        {d.unassigned.into_iter().map(|r| {
                                            let options = choices.iter().map(|(id, email)| view! { <option value=id.clone()>{email.clone()}</option> }).collect_view();
                                            view! {
                                                <tr>
                                                    <td>{r.kind.clone()}</td>
                                                    <td>{r.name.clone()} " " <small><code>{r.resource_id.clone()}</code></small></td>
                                                    <td>
                                                        <ActionForm action=assign attr:class="inline-form">
                                                            <input type="hidden" name="kind" value=r.kind.clone() />
                                                            <input type="hidden" name="resource_id" value=r.resource_id.clone() />
                                                            <select name="customer_id" aria-label=format!("Customer for {}", r.name)>{options}</select>
                                                            <button type="submit" class="button subtle small">"Assign"</button>
                                                        </ActionForm>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </DataTable>
                                }.into_any()
                            };
                            let unchecked = (!d.unchecked.is_empty()).then(|| view! {
                                <p class="notice notice-warning">{format!("Could not list: {}. Try again later.", d.unchecked.join(", "))}</p>
                            });
                            view! { {unchecked} {gone} {unassigned} }.into_any()
                        }
                    }
                })}
            </Transition>
            {move || action_error(assign.value()).get().map(|e| view! { <ErrorNotice message=e.to_string() /> })}
            {move || action_error(release.value()).get().map(|e| view! { <ErrorNotice message=e.to_string() /> })}
        </section>
    }
}

/// Assigns one of the reseller's resources that no customer holds, of any kind: one list,
/// grouped by kind; the kind travels with the choice.
#[component]
fn AssignForm(
    customer_id: i64,
    free: Vec<crate::tenancy::LedgerResource>,
    assign: ServerAction<AssignResource>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let kind = RwSignal::new(String::new());
    let by_kind: Vec<(
        &'static crate::kinds::Kind,
        Vec<crate::tenancy::LedgerResource>,
    )> = crate::kinds::KINDS
        .iter()
        .copied()
        .map(|k| {
            (
                k,
                free.iter()
                    .filter(|r| r.kind == k.key)
                    .cloned()
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, rows)| !rows.is_empty())
        .collect();
    // The kind of each option, by its index (ids of different kinds may be equal).
    let kinds_in_order: Vec<String> = std::iter::once(String::new())
        .chain(
            by_kind
                .iter()
                .flat_map(|(k, rows)| rows.iter().map(|_| k.key.to_owned())),
        )
        .collect();
    let groups = by_kind
        .into_iter()
        .map(|(k, rows)| {
            let label = format!("{}{}", k.plural[..1].to_uppercase(), &k.plural[1..]);
            view! {
                <optgroup label=label>
                    {rows
                        .into_iter()
                        .map(|r| {
                            let text = if r.name.trim().is_empty() {
                                r.resource_id.clone()
                            } else {
                                format!("{} ({})", r.name, r.resource_id)
                            };
                            view! { <option value=r.resource_id.clone() data-kind=r.kind.clone()>{text}</option> }
                        })
                        .collect_view()}
                </optgroup>
            }
        })
        .collect_view();
    view! {
        <ActionForm action=assign attr:novalidate=true attr:id="assign-vm">
            <input type="hidden" name="customer_id" value=customer_id.to_string() />
            <input type="hidden" name="kind" prop:value=move || kind.get() />
            <FormAlert error fields=&["resource_id", "kind"] />
            <div class="field" class:field-invalid=move || field_error(error, "resource_id").get().is_some()>
                <label for="field-resource_id">"Assign a resource"</label>
                <select
                    id="field-resource_id"
                    name="resource_id"
                    on:change=move |ev| kind.set(chosen_kind(&ev, &kinds_in_order))
                >
                    <option value="">"Choose a server, volume, image…"</option>
                    {groups}
                </select>
                <p class="field-error" aria-live="polite">{move || field_error(error, "resource_id").get()}</p>
            </div>
            <SubmitButton label="Assign" busy_label="Assigning…" pending=assign.pending() />
        </ActionForm>
    }
}

/// The kind of the option chosen in a select (by its index in `kinds`).
fn chosen_kind(ev: &leptos::ev::Event, kinds: &[String]) -> String {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let index = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
            .map(|s| s.selected_index());
        if let Some(i) = index.and_then(|i| usize::try_from(i).ok()) {
            return kinds.get(i).cloned().unwrap_or_default();
        }
        String::new()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (ev, kinds);
        String::new()
    }
}
