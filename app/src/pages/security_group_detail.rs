//! `/security-groups/:id`: one security group — a warning above everything when a rule
//! opens SSH, RDP or a database port to the whole internet; its facts; its rules (delete
//! each); the rule editor (direction, IP version, protocol, ports only for TCP and UDP, the
//! remote as a network or a group picked from the region's), each field's error beside it
//! and nothing typed lost; presets (SSH; HTTP and HTTPS; ping; everything from a network)
//! from a source the user gives; rename; the VMs using it (remove) and applying it to
//! another VM of its region; delete (its name typed; refused while VMs use it). What the
//! user is typing survives re-reads (the page is rendered once, its parts follow the data).

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::kit::*;
use crate::error::AppError;
use crate::pages::security_groups::{vm_links, SECURITYGROUPS, VM_NETWORK};
use crate::securitygroup::{
    securitygroup_delete, securitygroup_detail, securitygroup_preset, securitygroup_rename,
    securitygroup_rule_delete, securitygroup_rule_insert, GroupDetail, Preset, Protocol, Remote,
    RuleForm, RuleRow,
};
use crate::vm::vm_security_group;

const BACK: (&str, &str) = ("/security-groups", "Security groups");

#[component]
pub fn SecurityGroupDetailPage() -> impl IntoView {
    let refresh = Refresh::new();
    let source = DetailSource {
        back: BACK,
        read: securitygroup_detail,
        loading: "Loading the security group…",
        missing: "This security group does not exist (any more). It may have been deleted.",
        what: "security groups",
    };
    view! {
        // Until the group's own name replaces it (also when it does not exist).
        <PageTitle text="Security group" />
        {detail_page(source, refresh, |d: &GroupDetail, id| d.group.id == id, move |d| view! { <GroupView d refresh /> })}
    }
}

#[component]
fn GroupView(d: Signal<GroupDetail>, refresh: Refresh) -> impl IntoView {
    let viewer = Viewer::current();
    let cannot = viewer.cannot(SECURITYGROUPS);
    let cannot_apply = viewer.cannot(VM_NETWORK);
    let id = d.with_untracked(|d| d.group.id.clone());
    let name = Memo::new(move |_| d.with(|d| d.group.name.clone()));
    let done = refresh.callback();
    let navigate = use_navigate();
    let gone = Callback::new(move |_: ()| navigate("/security-groups", Default::default()));
    let delete_reason = {
        let cannot = cannot.clone();
        Signal::derive(move || {
            cannot.clone().or_else(|| {
                d.with(|d| {
                    if d.group.is_default() {
                        Some("A region's default group cannot be deleted.".to_owned())
                    } else if !d.group.vms.is_empty() {
                        Some(format!(
                            "The group is in use by {}: remove it from {} first.",
                            d.group.users(),
                            if d.group.vms.len() == 1 {
                                "that VM"
                            } else {
                                "them"
                            }
                        ))
                    } else {
                        None
                    }
                })
            })
        })
    };
    let badge = move || {
        view! {
            {move || {
                d.with(|d| {
                    (!d.group.warnings.is_empty())
                        .then(|| view! { <span class="badge badge-off" id="group-open">"Open to the internet"</span> })
                })
            }}
        }
    };
    view! {
        <DetailFrame back=BACK title=Signal::derive(move || name.get()) title_id="group-name" badge>
            <Lint d />
            <Facts d />
            <Rules d cannot=cannot.clone() done />
            <RuleEditor d cannot=cannot.clone() done />
            <Presets d cannot=cannot.clone() done />
            <Rename d cannot=cannot.clone() done />
            <Members d cannot=cannot_apply done />
        </DetailFrame>
        {move || {
            let name = name.get();
            let id = id.clone();
            view! {
                <DangerConfirm
                    title="Delete this security group"
                    warning="Deleting removes the group and its rules. Rules of other groups that name it go with it. This cannot be undone."
                    name=name
                    button="Delete group"
                    run=move |typed: String| securitygroup_delete(id.clone(), typed)
                    on_success=gone
                    reason=delete_reason
                />
            }
        }}
    }
}

/// The warnings, above the cards, while there are any.
#[component]
fn Lint(d: Signal<GroupDetail>) -> impl IntoView {
    move || {
        let warnings = d.with(|d| d.group.warnings.clone());
        (!warnings.is_empty()).then(|| {
            view! {
                <section class="card card-wide notice notice-warning" id="group-lint" role="alert">
                    <h2>"Open to the whole internet"</h2>
                    <ul>
                        {warnings.into_iter().map(|w| view! { <li data-rule-id=w.rule_id.clone()>{w.on_group()}</li> }).collect_view()}
                    </ul>
                </section>
            }
        })
    }
}

#[component]
fn Facts(d: Signal<GroupDetail>) -> impl IntoView {
    move || {
        let g = d.with(|d| d.group.clone());
        view! {
            <Card title="Details">
                <dl class="facts">
                    <dt>"Group ID"</dt>
                    <dd><code>{g.id.clone()}</code></dd>
                    <dt>"Region"</dt>
                    <dd id="group-region">{or_dash(&g.region)}</dd>
                    <dt>"Rules"</dt>
                    <dd id="group-rule-count">{g.rules.map_or_else(|| "–".to_owned(), |n| n.to_string())}</dd>
                    <dt>"Used by"</dt>
                    <dd id="group-users">{vm_links(&g.vms)}</dd>
                </dl>
            </Card>
        }
    }
}

/// The remote column: a network, anywhere, or a group (linked when the caller may open it).
fn remote_cell(r: &RuleRow, d: &GroupDetail) -> AnyView {
    match &r.remote {
        Remote::Group { id, name } => {
            let openable = *id == d.group.id || d.others.iter().any(|o| o.id == *id);
            if openable && !id.is_empty() {
                view! { "group " <a href=format!("/security-groups/{id}")>{name.clone()}</a> }
                    .into_any()
            } else {
                format!("group {name}").into_any()
            }
        }
        other => view! { <code>{other.text()}</code> }.into_any(),
    }
}

/// The rules, each with its delete button; rules the lint warns of are marked.
#[component]
fn Rules(d: Signal<GroupDetail>, cannot: Option<String>, done: Callback<()>) -> impl IntoView {
    let group = d.with_untracked(|d| d.group.id.clone());
    let group = StoredValue::new(group);
    view! {
        <Card title="Rules" id="group-rules" wide=true>
            {move || {
                let d = d.get();
                if d.rules.is_empty() {
                    return view! {
                        <p class="empty" id="rules-none">"No rules: nothing may reach these VMs, and they may send nothing."</p>
                    }
                    .into_any();
                }
                let rows = d.rules.iter().map(|r| {
                    let open = d.group.warnings.iter().any(|w| w.rule_id == r.id);
                    let (rule_id, what) = (r.id.clone(), r.describe());
                    let way = r.dir().map_or_else(|| r.direction.clone(), |x| x.label().to_owned());
                    let version = r.version().map_or_else(|| r.ethertype.clone(), |v| v.label().to_owned());
                    let protocol = r.proto().map_or_else(|| r.protocol.clone(), |p| p.label().to_owned());
                    view! {
                        <tr data-rule-id=r.id.clone() class:rule-open=open>
                            <td>{way}</td>
                            <td>{version}</td>
                            <td>{protocol}</td>
                            <td>{r.ports_text()}</td>
                            <td>
                                {remote_cell(r, &d)}
                                {open.then(|| view! { " " <span class="badge badge-off">"Internet"</span> })}
                            </td>
                            <td>{or_dash(&r.label)}</td>
                            <td class="actions">
                                <ActionButton
                                    id=format!("delete-rule-{}", r.id)
                                    label="Delete"
                                    pending_label="Deleting…"
                                    class="button subtle small danger"
                                    run=move || securitygroup_rule_delete(group.get_value(), rule_id.clone())
                                    success=format!("Rule deleted ({what}).")
                                    reason=cannot.clone()
                                    quiet_reason=true
                                    on_done=done
                                />
                            </td>
                        </tr>
                    }
                }).collect_view();
                view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label="Rules of this group">
                        <table class="data" id="rule-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Direction"</th>
                                    <th scope="col">"IP"</th>
                                    <th scope="col">"Protocol"</th>
                                    <th scope="col">"Ports"</th>
                                    <th scope="col">"Remote"</th>
                                    <th scope="col">"Label"</th>
                                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }
                .into_any()
            }}
        </Card>
    }
}

/// One field of the rule editor: its label, the control, and its error below it.
#[component]
fn RuleField(
    /// The form's field name (`port_min`): the control's id is `rule-{field}`.
    field: &'static str,
    label: &'static str,
    error: RwSignal<Option<AppError>>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional, into)] hidden: MaybeProp<bool>,
    children: Children,
) -> impl IntoView {
    let message = move || error.get().and_then(|e| e.field(field));
    view! {
        <div class="field" class:field-invalid=move || message().is_some() hidden=move || hidden.get().unwrap_or(false)>
            <label for=format!("rule-{field}")>{label}</label>
            {hint.map(|h| view! { <p class="field-hint" id=format!("rule-{field}-hint")>{h}</p> })}
            {children()}
            <p class="field-error" id=format!("rule-{field}-error") aria-live="polite">{message}</p>
        </div>
    }
}

/// The rule editor. Its values live here, so a refusal (shown beside each field) or a
/// re-read of the page loses nothing typed.
#[component]
fn RuleEditor(d: Signal<GroupDetail>, cannot: Option<String>, done: Callback<()>) -> impl IntoView {
    let group = StoredValue::new(d.with_untracked(|d| d.group.id.clone()));
    let form = RwSignal::new(RuleForm {
        direction: "ingress".into(),
        version: "4".into(),
        protocol: "tcp".into(),
        remote_type: "cidr".into(),
        ..Default::default()
    });
    let error = RwSignal::new(None::<AppError>);
    let no_ports = Memo::new(move |_| {
        form.with(|f| !Protocol::parse(&f.protocol).is_some_and(Protocol::has_ports))
    });
    let by_group = Memo::new(move |_| form.with(|f| f.remote_type == "group"));
    let invalid = move |field: &'static str| {
        move || {
            error
                .with(|e| e.as_ref().and_then(|e| e.field(field)).is_some())
                .to_string()
        }
    };
    // The region's groups to pick from: this one first, then the others.
    let groups = Signal::derive(move || {
        d.with(|d| {
            let mut out = vec![(d.group.id.clone(), format!("This group ({})", d.group.name))];
            out.extend(d.others.iter().map(|o| (o.id.clone(), o.name.clone())));
            out
        })
    });
    // A group picked that went away falls back to the first.
    let picked = Signal::derive(move || {
        let want = form.with(|f| f.remote_group.clone());
        groups.with(|g| {
            if g.iter().any(|(id, _)| *id == want) {
                want
            } else {
                g.first().map(|(id, _)| id.clone()).unwrap_or_default()
            }
        })
    });
    let set = move |f: fn(&mut RuleForm, String)| {
        move |ev: leptos::ev::Event| form.update(|r| f(r, event_target_value(&ev)))
    };
    view! {
        <Card title="Add a rule" id="rule-editor" wide=true>
            <div class="rule-fields">
                <RuleField field="direction" label="Direction" error>
                    <select id="rule-direction" aria-invalid=invalid("direction") aria-describedby="rule-direction-error"
                        prop:value=move || form.with(|f| f.direction.clone())
                        on:change=set(|r, v| r.direction = v)>
                        <option value="ingress">"Inbound"</option>
                        <option value="egress">"Outbound"</option>
                    </select>
                </RuleField>
                <RuleField field="version" label="IP version" error>
                    <select id="rule-version" aria-invalid=invalid("version") aria-describedby="rule-version-error"
                        prop:value=move || form.with(|f| f.version.clone())
                        on:change=set(|r, v| r.version = v)>
                        <option value="4">"IPv4"</option>
                        <option value="6">"IPv6"</option>
                    </select>
                </RuleField>
                <RuleField field="protocol" label="Protocol" error>
                    <select id="rule-protocol" aria-invalid=invalid("protocol") aria-describedby="rule-protocol-error"
                        prop:value=move || form.with(|f| f.protocol.clone())
                        on:change=set(|r, v| r.protocol = v)>
                        {Protocol::ALL.into_iter().map(|p| view! { <option value=p.param()>{p.label()}</option> }).collect_view()}
                    </select>
                </RuleField>
                <RuleField field="port_min" label="First port" error hint="Empty: every port.">
                    <input id="rule-port_min" inputmode="numeric" autocomplete="off"
                        aria-invalid=invalid("port_min") aria-describedby="rule-port_min-hint rule-port_min-error"
                        prop:disabled=move || no_ports.get()
                        prop:value=move || form.with(|f| f.port_min.clone())
                        on:input=set(|r, v| r.port_min = v) />
                </RuleField>
                <RuleField field="port_max" label="Last port" error hint="Empty: just the first.">
                    <input id="rule-port_max" inputmode="numeric" autocomplete="off"
                        aria-invalid=invalid("port_max") aria-describedby="rule-port_max-hint rule-port_max-error"
                        prop:disabled=move || no_ports.get()
                        prop:value=move || form.with(|f| f.port_max.clone())
                        on:input=set(|r, v| r.port_max = v) />
                </RuleField>
                <RuleField field="remote_type" label="From (or to)" error>
                    <select id="rule-remote_type" aria-invalid=invalid("remote_type") aria-describedby="rule-remote_type-error"
                        prop:value=move || form.with(|f| f.remote_type.clone())
                        on:change=set(|r, v| r.remote_type = v)>
                        <option value="cidr">"A network (CIDR)"</option>
                        <option value="group">"The VMs of a group"</option>
                    </select>
                </RuleField>
                <RuleField field="cidr" label="Network" error hidden=Signal::derive(move || by_group.get())
                    hint="Your address (203.0.113.5), your network (203.0.113.0/24), or 0.0.0.0/0 (::/0) for anywhere.">
                    <input id="rule-cidr" autocomplete="off" spellcheck="false"
                        aria-invalid=invalid("cidr") aria-describedby="rule-cidr-hint rule-cidr-error"
                        prop:value=move || form.with(|f| f.cidr.clone())
                        on:input=set(|r, v| r.cidr = v) />
                </RuleField>
                <RuleField field="remote_group" label="Group" error hidden=Signal::derive(move || !by_group.get())>
                    <select id="rule-remote_group" aria-invalid=invalid("remote_group") aria-describedby="rule-remote_group-error"
                        prop:value=move || picked.get()
                        on:change=set(|r, v| r.remote_group = v)>
                        {move || groups.get().into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                    </select>
                </RuleField>
                <RuleField field="label" label="Label (optional)" error>
                    <input id="rule-label" autocomplete="off" aria-invalid=invalid("label") aria-describedby="rule-label-error"
                        prop:value=move || form.with(|f| f.label.clone())
                        on:input=set(|r, v| r.label = v) />
                </RuleField>
            </div>
            <ActionButton
                id="rule-add"
                label="Add rule"
                pending_label="Adding…"
                class="button primary"
                run=move || {
                    let mut rule = form.get_untracked();
                    // Ports are not sent where they mean nothing; a group is the one shown.
                    if no_ports.get_untracked() {
                        rule.port_min.clear();
                        rule.port_max.clear();
                    }
                    rule.remote_group = picked.get_untracked();
                    let id = group.get_value();
                    async move {
                        let r = keep_error(error, securitygroup_rule_insert(id, rule).await);
                        if r.is_ok() {
                            form.update(|f| {
                                f.port_min.clear();
                                f.port_max.clear();
                                f.cidr.clear();
                                f.label.clear();
                            });
                        }
                        r
                    }
                }
                success="Rule added."
                reason=cannot
                on_done=done
            />
        </Card>
    }
}

/// The presets, from a source the user types.
#[component]
fn Presets(d: Signal<GroupDetail>, cannot: Option<String>, done: Callback<()>) -> impl IntoView {
    let group = StoredValue::new(d.with_untracked(|d| d.group.id.clone()));
    let source = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let outcome = RwSignal::new(None::<String>);
    let message = move || error.get().and_then(|e| e.field("cidr"));
    view! {
        <Card title="Presets" id="group-presets">
            <p class="muted">"Inbound rules in one go, from the source you give. 0.0.0.0/0 is the whole internet: fine for a website, risky for SSH."</p>
            <div class="field" class:field-invalid=move || message().is_some()>
                <label for="preset-cidr">"From"</label>
                <p class="field-hint" id="preset-cidr-hint">"Your address (203.0.113.5), your network (203.0.113.0/24), or 0.0.0.0/0 (::/0) for anywhere."</p>
                <input id="preset-cidr" name="cidr" autocomplete="off" spellcheck="false"
                    aria-describedby="preset-cidr-hint preset-cidr-error"
                    aria-invalid=move || message().is_some().to_string()
                    prop:value=move || source.get()
                    on:input=move |ev| source.set(event_target_value(&ev)) />
                <p class="field-error" id="preset-cidr-error" aria-live="polite">{message}</p>
            </div>
            <div class="toolbar">
                {Preset::ALL.into_iter().map(|p| {
                    view! {
                        <ActionButton
                            id=format!("preset-{}", p.key())
                            label=p.label()
                            pending_label="Adding…"
                            run=move || {
                                let (id, cidr) = (group.get_value(), source.get_untracked());
                                async move {
                                    let r = keep_error(error, securitygroup_preset(id, p.key().to_owned(), cidr).await);
                                    outcome.set(r.as_ref().ok().map(|o| o.message()));
                                    r
                                }
                            }
                            success=format!("Preset “{}” applied.", p.label())
                            reason=cannot.clone()
                            on_done=done
                        />
                    }
                }).collect_view()}
            </div>
            <p class="muted" id="preset-outcome" role="status">{move || outcome.get()}</p>
        </Card>
    }
}

#[component]
fn Rename(d: Signal<GroupDetail>, cannot: Option<String>, done: Callback<()>) -> impl IntoView {
    let id = d.with_untracked(|d| d.group.id.clone());
    let reason = d.with_untracked(|d| {
        cannot.or_else(|| {
            d.group
                .is_default()
                .then(|| "A region's default group keeps its name.".to_owned())
        })
    });
    view! {
        <RenameCard
            kind="group"
            noun="Group"
            current=d.with_untracked(|d| d.group.name.clone())
            reason=reason
            run=move |name: String| securitygroup_rename(id.clone(), name)
            on_done=done
        />
    }
}

/// The VMs using the group (remove it from one), and applying it to another VM of its
/// region.
#[component]
fn Members(d: Signal<GroupDetail>, cannot: Option<String>, done: Callback<()>) -> impl IntoView {
    let group = StoredValue::new(d.with_untracked(|d| d.group.id.clone()));
    let error = RwSignal::new(None::<AppError>);
    let choices = Signal::derive(move || {
        d.with(|d| {
            d.candidates
                .iter()
                .map(|v| (v.vm_id.clone(), format!("{} ({})", v.name, v.vm_id)))
                .collect::<Vec<_>>()
        })
    });
    let none = Signal::derive(move || {
        d.with(|d| {
            format!(
                "Every VM of yours in {} has this group already (or you have none there).",
                d.group.region
            )
        })
    });
    let apply_reason = cannot.clone();
    view! {
        <Card title="VMs using it" id="group-vms" wide=true>
            {move || {
                let vms = d.with(|d| d.group.vms.clone());
                if vms.is_empty() {
                    return view! { <p class="empty" id="group-vms-none">"No VM uses this group."</p> }.into_any();
                }
                view! {
                    <ul class="plain" id="group-vm-list">
                        {vms.into_iter().map(|v| {
                            if !v.visible {
                                return view! { <li class="muted">{v.name}</li> }.into_any();
                            }
                            let vm_id = v.vm_id.clone();
                            view! {
                                <li data-vm-id=v.vm_id.clone()>
                                    <a href=format!("/vms/{}", v.vm_id)>{v.name.clone()}</a>
                                    " "
                                    <ActionButton
                                        id=format!("remove-vm-{}", v.vm_id)
                                        label="Remove"
                                        pending_label="Removing…"
                                        class="button subtle small"
                                        run=move || vm_security_group(vm_id.clone(), group.get_value(), false)
                                        success=format!("Group removed from {}.", v.name)
                                        reason=cannot.clone()
                                        quiet_reason=true
                                        on_done=done
                                    />
                                </li>
                            }
                            .into_any()
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
            <ChoiceAction
                id="group-apply"
                label="Apply to a VM"
                choices
                none
                button="Apply"
                pending_label="Applying…"
                success="Group applied."
                reason=apply_reason
                run=move |vm: String| async move { keep_error(error, vm_security_group(vm, group.get_value(), true).await) }
                on_done=done
                error=Signal::derive(move || error.get().and_then(|e| e.field("group_id")))
            />
        </Card>
    }
}
