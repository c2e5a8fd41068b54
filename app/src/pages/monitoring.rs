//! `/monitoring`: uptime checks (status, what each watches, who hears about it, the DNS
//! records failing over on it), a form to add one built from what `monitor/check-types`
//! answers, and the alert contacts (e-mail, SMS, HTTP) with the checks each hears about,
//! edited from the contact's side too. `/monitoring/checks/:id`: one check, its alerts,
//! its DNS records, and removing it (the records depending on it named first). The VM
//! page's "Monitor this VM" card is [`MonitorVmCard`].

use std::collections::BTreeMap;

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::kit::*;
use crate::components::shell::{ErrorNotice, Loading};
use crate::error::AppError;
use crate::monitor::{
    dns_use_text, monitor_alert_add, monitor_alert_remove, monitor_check_add, monitor_check_detail,
    monitor_check_remove, monitor_contact_add, monitor_contact_remove, monitor_list, monitor_of_vm,
    monitor_watch_vm, param_field, plural, CheckAlert, CheckDetail, CheckRow, CheckTypeView,
    ContactRow, MonitorView, NewCheck, NewContact, ParamInput, Quota, CONTACT_KINDS, DEFAULT_DELAY,
    DEFAULT_INTERVAL, MAX_DELAY, MAX_INTERVAL, MIN_DELAY, MIN_INTERVAL,
};

/// The capability a customer needs to change anything of their monitoring.
pub const MONITOR: &str = "monitor";
const BACK: (&str, &str) = ("/monitoring", "Monitoring");

impl Listing for MonitorView {
    type Row = CheckRow;

    fn rows(&self) -> &[CheckRow] {
        &self.checks
    }

    fn note(&self) -> Option<ListNote> {
        self.problem.as_ref().map(|p| ListNote {
            title: "Some of it is not shown. ".into(),
            text: p.clone(),
        })
    }
}

/// The status badge of a check.
fn status_badge(c: &CheckRow) -> impl IntoView {
    view! { <span class=c.status.class() data-status=c.status.label()>{c.status.label()}</span> }
}

/// Who hears about a check, in words.
fn alerts_text(c: &CheckRow) -> String {
    match &c.alerts {
        None => "Unknown".into(),
        Some(a) if a.is_empty() => "Nobody".into(),
        Some(a) => a
            .iter()
            .map(|a| a.contact.clone())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn dns_cell(c: &CheckRow) -> AnyView {
    match &c.dns {
        None => view! { <span class="muted">"Unknown"</span> }.into_any(),
        Some(uses) => match dns_use_text(uses) {
            None => "–".into_any(),
            Some(text) => view! { <span class="check-dns">{text}</span> }.into_any(),
        },
    }
}

crate::pageable!(MonitorView => checks);

// `monitor/page`: the checks paged on the server (the contacts and every check's name come
// whole).
crate::paged_list!(
    MonitorPageFn,
    "monitor/page",
    monitor_page,
    monitor_list,
    check_list_spec(),
    MonitorView
);

fn check_list_spec() -> ListSpec<CheckRow> {
    ListSpec {
        columns: vec![
            Column::new("Name", |c: &CheckRow| {
                view! { <a href=c.path() class="check-name">{clip(&c.name, 60)}</a> }
            })
            .sort(|c| SortValue::text(&c.name)),
            Column::new("Status", status_badge).sort(|c| SortValue::number(c.status.rank())),
            Column::new("Type", |c: &CheckRow| or_dash(&c.type_name))
                .sort(|c| SortValue::text(&c.type_name)),
            Column::new("Watches", |c: &CheckRow| or_dash(&clip(&c.summary, 80))),
            Column::new("Interval", |c: &CheckRow| c.every())
                .sort(|c| SortValue::opt_number(c.interval)),
            Column::new(
                "Alerts",
                |c: &CheckRow| view! { <span class="check-alerts">{alerts_text(c)}</span> },
            ),
            Column::new("DNS failover", dns_cell)
                .sort(|c| SortValue::number(c.dns.as_ref().map_or(0, |d| d.len() as i64))),
        ],
        search: Some(Search::new("Name, target or contact", |c| {
            format!(
                "{} {} {} {}",
                c.name,
                c.summary,
                c.type_name,
                alerts_text(c)
            )
        })),
        filters: vec![Filter::from_rows("kind", "Type", "All types", |c| {
            c.type_name.clone()
        })],
        row_id: |c| c.id.clone(),
    }
}

fn quota_note(id: &'static str, what: &str, q: Option<Quota>) -> Option<impl IntoView> {
    let (used, limit) = q?;
    let text = match limit {
        Some(l) if used >= l => format!(
            "Your plan allows {l} {what} and you have them all: remove one, or ask your provider for more."
        ),
        Some(l) => format!("You have {used} of your {l} {what}."),
        None => format!("You have {used} {what}."),
    };
    Some(view! { <p class="notice notice-info" id=id>{text}</p> })
}

#[component]
pub fn MonitoringPage() -> impl IntoView {
    let refresh = Refresh::new();
    let (state, list) = paged_source(refresh, check_list_spec(), "", 0, monitor_page);
    let cannot = Viewer::current().cannot(MONITOR);
    let cannot_add = cannot.clone();
    let cannot_contacts = cannot.clone();
    view! {
        <PageTitle text="Monitoring" />
        <div class="page-head">
            <h1>"Monitoring"</h1>
        </div>
        <p class="muted">"Checks watch your servers and sites from outside (ping, TCP, HTTP, certificates, DNS) and tell your contacts when one goes down or comes back. A DNS record can fail over on a check: it drops out of answers while the check is down."</p>
        <ResourceList
            id="check"
            noun="monitor checks"
            source=list.first
            live=list.live
            state
            spec=check_list_spec()
            row_attr="data-check-id"
            sort=0
            loading="Loading monitor checks…"
            empty="No monitor checks yet. Add one below, or open a VM and use “Monitor this VM”."
        />
        <h2 id="add-check">"Add a check"</h2>
        <Transition fallback=|| view! { <Loading label="Loading the check types…" /> }>
            {move || {
                let cannot = cannot_add.clone();
                Suspend::new(async move {
                    match list.first.await {
                        Ok(PageOf { listing: v, .. }) => match cannot {
                            Some(why) => view! { <p class="disabled-reason" id="add-check-locked">{why}</p> }.into_any(),
                            None => view! {
                                {quota_note("check-quota", "monitor checks", v.check_quota)}
                                <AddCheck types=v.types refresh />
                            }
                            .into_any(),
                        },
                        Err(_) => ().into_any(),
                    }
                })
            }}
        </Transition>
        <h2 id="contacts">"Alert contacts"</h2>
        <p class="muted">"Who hears when a check goes down or comes back: an e-mail address, a phone number (SMS) or a URL (an HTTP request). Choose the checks each hears about here, or on a check's page."</p>
        <Transition fallback=|| view! { <Loading label="Loading the contacts…" /> }>
            {move || {
                let cannot = cannot_contacts.clone();
                Suspend::new(async move {
                    match list.first.await {
                        Ok(PageOf { listing: first, .. }) => view! {
                            <Contacts view=Signal::derive(move || list.newest.get().map_or_else(|| first.clone(), |p| p.listing)) cannot=cannot.clone() refresh />
                            {match cannot {
                                Some(_) => ().into_any(),
                                None => view! { <AddContact refresh /> }.into_any(),
                            }}
                        }
                        .into_any(),
                        Err(_) => ().into_any(),
                    }
                })
            }}
        </Transition>
    }
}

/// The type select's initial choice: ping when offered, else the first.
fn first_type(types: &[CheckTypeView]) -> String {
    types
        .iter()
        .find(|t| t.code == "icmp")
        .or_else(|| types.first())
        .map(|t| t.code.clone())
        .unwrap_or_default()
}

/// The defaults of `t`'s parameters.
fn defaults(t: Option<&CheckTypeView>) -> BTreeMap<String, String> {
    t.map(|t| {
        t.params
            .iter()
            .filter(|p| !p.default.is_empty())
            .map(|p| {
                let v = match p.input {
                    ParamInput::Boolean => {
                        if matches!(p.default.as_str(), "1" | "yes" | "true") {
                            "yes".to_owned()
                        } else {
                            String::new()
                        }
                    }
                    _ => p.default.clone(),
                };
                (p.code.clone(), v)
            })
            .collect()
    })
    .unwrap_or_default()
}

/// The add-check form, built from the check types.
#[component]
fn AddCheck(types: Vec<CheckTypeView>, refresh: Refresh) -> impl IntoView {
    if types.is_empty() {
        return view! { <p class="notice notice-warning" id="add-check-no-types">"The check types could not be read, so no check can be added now. Try again later."</p> }.into_any();
    }
    let types = StoredValue::new(types);
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(types.with_value(|t| first_type(t)));
    let interval = RwSignal::new(DEFAULT_INTERVAL.to_string());
    let delay = RwSignal::new(DEFAULT_DELAY.to_string());
    let params = RwSignal::new(types.with_value(|t| {
        let k = first_type(t);
        defaults(t.iter().find(|x| x.code == k))
    }));
    let error = RwSignal::new(None::<AppError>);
    let navigate = use_navigate();
    let add = Action::new(move |form: &NewCheck| monitor_check_add(form.clone()));
    Effect::new(move |_| match add.value().get() {
        Some(Ok(path)) => {
            error.set(None);
            refresh.bump();
            if !path.is_empty() {
                navigate(&path, Default::default());
            }
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let field_error = move |f: String| error.with(|e| e.as_ref().and_then(|e| e.field(&f)));
    let other_error = move || {
        error.with(|e| match e {
            Some(AppError::Validation(v)) => {
                let known = ["name", "check_type", "interval", "delay"];
                let rest: Vec<String> =
                    v.0.iter()
                        .filter(|f| {
                            !known.contains(&f.field.as_str()) && !f.field.starts_with("param-")
                        })
                        .map(|f| f.message.clone())
                        .collect();
                (!rest.is_empty()).then(|| rest.join(" "))
            }
            Some(other) => Some(other.to_string()),
            None => None,
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if add.pending().get_untracked() {
            return;
        }
        add.dispatch(NewCheck {
            name: name.get_untracked(),
            check_type: kind.get_untracked(),
            interval: interval.get_untracked(),
            delay: delay.get_untracked(),
            params: params.get_untracked(),
        });
    };
    let type_help = move || {
        let k = kind.get();
        types.with_value(|t| {
            t.iter()
                .find(|x| x.code == k)
                .map(|x| x.name.clone())
                .unwrap_or_default()
        })
    };
    let param_fields = move || {
        let k = kind.get();
        let t = types.with_value(|t| t.iter().find(|x| x.code == k).cloned());
        t.map(|t| {
            t.params
                .into_iter()
                .map(|p| {
                    let id = format!("check-param-{}", p.code);
                    let error_id = format!("{id}-error");
                    let help_id = format!("{id}-help");
                    let code = p.code.clone();
                    let f = param_field(&p.code);
                    let f2 = f.clone();
                    let invalid = move || field_error(f.clone()).is_some();
                    let value = {
                        let code = code.clone();
                        move || params.with(|m| m.get(&code).cloned().unwrap_or_default())
                    };
                    let set = {
                        let code = code.clone();
                        move |v: String| params.update(|m| {
                            m.insert(code.clone(), v);
                        })
                    };
                    let label = if p.required {
                        p.label.clone()
                    } else {
                        format!("{} (optional)", p.label)
                    };
                    let control = match p.input.clone() {
                        ParamInput::Boolean => {
                            let set = set.clone();
                            view! {
                                <label class="check">
                                    <input type="checkbox" id=id.clone() aria-describedby=format!("{help_id} {error_id}")
                                        prop:checked=move || value() == "yes"
                                        on:change=move |ev| set(if event_target_checked(&ev) { "yes".into() } else { String::new() }) />
                                    {p.label.clone()}
                                </label>
                            }
                            .into_any()
                        }
                        ParamInput::Choice(values) => {
                            let set = set.clone();
                            view! {
                                <label for=id.clone()>{label.clone()}</label>
                                <select id=id.clone() aria-describedby=format!("{help_id} {error_id}") aria-invalid=move || invalid().to_string()
                                    prop:value=value.clone()
                                    on:change=move |ev| set(event_target_value(&ev))>
                                    {(!p.required).then(|| view! { <option value="">"(default)"</option> })}
                                    {values.into_iter().map(|(v, l)| view! { <option value=v.clone()>{l}</option> }).collect_view()}
                                </select>
                            }
                            .into_any()
                        }
                        ParamInput::Text => {
                            let set = set.clone();
                            view! {
                                <label for=id.clone()>{label.clone()}</label>
                                <input id=id.clone() autocomplete="off" placeholder=p.placeholder.clone()
                                    aria-describedby=format!("{help_id} {error_id}") aria-invalid=move || invalid().to_string()
                                    prop:value=value.clone()
                                    on:input=move |ev| set(event_target_value(&ev)) />
                            }
                            .into_any()
                        }
                    };
                    let invalid2 = move || field_error(f2.clone()).is_some();
                    let f3 = param_field(&p.code);
                    view! {
                        <div class="field" class:field-invalid=invalid2 data-param=p.code.clone()>
                            {control}
                            <p class="field-hint" id=help_id>{p.help.clone()}</p>
                            <p class="field-error" id=error_id aria-live="polite">{move || field_error(f3.clone())}</p>
                        </div>
                    }
                })
                .collect_view()
        })
    };
    let text_field = move |id: &'static str,
                           field: &'static str,
                           label: String,
                           hint: String,
                           value: RwSignal<String>,
                           input_type: &'static str| {
        let error_id = format!("{id}-error");
        let hint_id = format!("{id}-hint");
        view! {
            <div class="field" class:field-invalid=move || field_error(field.into()).is_some()>
                <label for=id>{label}</label>
                <p class="field-hint" id=hint_id.clone()>{hint}</p>
                <input id=id type=input_type autocomplete="off" aria-describedby=format!("{hint_id} {error_id}")
                    aria-invalid=move || field_error(field.into()).is_some().to_string()
                    prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
                <p class="field-error" id=error_id aria-live="polite">{move || field_error(field.into())}</p>
            </div>
        }
    };
    view! {
        <form class="card" id="add-check-form" novalidate=true on:submit=submit>
            <div class="form-alert" role="alert" hidden=move || other_error().is_none()>{other_error}</div>
            {text_field("check-name", "name", "Name".into(), "What the check is called in alerts and lists.".into(), name, "text")}
            <div class="field" class:field-invalid=move || field_error("check_type".into()).is_some()>
                <label for="check-type">"Type"</label>
                <select id="check-type" aria-describedby="check-type-hint check-type-error"
                    prop:value=move || kind.get()
                    on:change=move |ev| {
                        let k = event_target_value(&ev);
                        params.set(types.with_value(|t| defaults(t.iter().find(|x| x.code == k))));
                        kind.set(k);
                    }>
                    {types.with_value(|t| t.iter().map(|t| view! { <option value=t.code.clone()>{t.name.clone()}</option> }).collect_view())}
                </select>
                <p class="field-hint" id="check-type-hint">{type_help}</p>
                <p class="field-error" id="check-type-error" aria-live="polite">{move || field_error("check_type".into())}</p>
            </div>
            <fieldset class="check-params">
                <legend>"What to check"</legend>
                {param_fields}
            </fieldset>
            {text_field("check-interval", "interval", "Interval (seconds)".into(), format!("How often it runs: {MIN_INTERVAL} to {MAX_INTERVAL} seconds."), interval, "number")}
            {text_field("check-delay", "delay", "Results in a row before the status changes".into(), format!("How many failed (or, once down, successful) runs in a row change the status and alert: {MIN_DELAY} to {MAX_DELAY}. 1 alerts at the first failure; more rides out short blips."), delay, "number")}
            <button type="submit" class="button primary" id="add-check-submit" disabled=move || add.pending().get() aria-busy=move || add.pending().get().to_string()>
                {move || if add.pending().get() { "Adding…" } else { "Add check" }}
            </button>
        </form>
    }
    .into_any()
}

/// The contacts with the checks each hears about: alert it about one more, stop an
/// alert, remove the contact.
#[component]
fn Contacts(view: Signal<MonitorView>, cannot: Option<String>, refresh: Refresh) -> impl IntoView {
    let done = refresh.callback();
    let cannot = StoredValue::new(cannot);
    move || {
        let v = view.get();
        let quota = quota_note("contact-quota", "alert contacts", v.contact_quota);
        if v.contacts.is_empty() {
            return view! {
                {quota}
                <p class="muted" id="contacts-empty">"No contacts yet: nobody hears when a check goes down. Add one below."</p>
            }
            .into_any();
        }
        let checks = v.check_names;
        let rows = v
            .contacts
            .into_iter()
            .map(|c| view! { <ContactLine c checks=checks.clone() cannot=cannot.get_value() done /> })
            .collect_view();
        view! {
            {quota}
            <crate::components::table::DataTable headers=&["Type", "Address", "Hears about", ""] label="Alert contacts">
                {rows}
            </crate::components::table::DataTable>
        }
        .into_any()
    }
}

#[component]
fn ContactLine(
    c: ContactRow,
    checks: Vec<(String, String)>,
    cannot: Option<String>,
    done: Callback<()>,
) -> impl IntoView {
    let id = c.id.clone();
    let choices: Vec<(String, String)> = checks
        .into_iter()
        .filter(|(cid, _)| !c.alerts.iter().any(|a| a.check_id == *cid))
        .collect();
    let none = if c.alerts.is_empty() {
        "Add a check first."
    } else {
        "It hears about every check already."
    };
    let alerts = if c.alerts.is_empty() {
        view! { <span class="muted">"No checks"</span> }.into_any()
    } else {
        c.alerts
            .iter()
            .map(|a| {
                let (check_id, alert_id) = (a.check_id.clone(), a.alert_id.clone());
                view! {
                    <span class="chip" data-alert-id=a.alert_id.clone()>
                        <a href=format!("/monitoring/checks/{}", a.check_id)>{a.check.clone()}</a>
                        <ActionButton
                            id=format!("alert-remove-{}", a.alert_id)
                            label="×"
                            pending_label="…"
                            class="button subtle small"
                            run=move || monitor_alert_remove(check_id.clone(), alert_id.clone())
                            success="Alert removed."
                            reason=cannot.clone()
                            quiet_reason=true
                            on_done=done
                        />
                    </span>
                }
            })
            .collect_view()
            .into_any()
    };
    let add_id = id.clone();
    let remove_id = id.clone();
    let remove_title = if c.alerts.is_empty() {
        "Remove".to_owned()
    } else {
        format!(
            "Remove (and its {})",
            plural(c.alerts.len(), "alert", "alerts")
        )
    };
    view! {
        <tr data-contact-id=id.clone() data-contact=c.value.clone()>
            <td>{or_dash(&c.kind_label)}</td>
            <td class="contact-value">{or_dash(&clip(&c.value, 80))}</td>
            <td>
                <div class="chips">{alerts}</div>
                <ChoiceAction
                    id=format!("contact-alert-{id}")
                    label="Check"
                    choices=choices
                    none=none.to_owned()
                    button="Alert about it"
                    pending_label="Adding…"
                    success="Alert added."
                    reason=cannot.clone()
                    run=move |check_id: String| monitor_alert_add(check_id, add_id.clone())
                    on_done=done
                />
            </td>
            <td class="actions">
                <ActionButton
                    id=format!("contact-remove-{id}")
                    label=remove_title
                    pending_label="Removing…"
                    class="button danger small"
                    run=move || monitor_contact_remove(remove_id.clone())
                    success="Contact removed."
                    reason=cannot
                    quiet_reason=true
                    on_done=done
                />
            </td>
        </tr>
    }
}

/// Type and address, number or URL (checked per type, beside the field).
#[component]
fn AddContact(refresh: Refresh) -> impl IntoView {
    let kind = RwSignal::new(CONTACT_KINDS[0].code.to_owned());
    let value = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let add = Action::new(move |c: &NewContact| monitor_contact_add(c.clone()));
    Effect::new(move |_| match add.value().get() {
        Some(Ok(_)) => {
            error.set(None);
            value.set(String::new());
            refresh.bump();
            if let Some(t) = Toasts::get() {
                t.success("Contact added.");
            }
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let field_error = move |f: &'static str| error.with(|e| e.as_ref().and_then(|e| e.field(f)));
    let other_error = move || {
        error.with(|e| match e {
            Some(AppError::Validation(_)) | None => None,
            Some(other) => Some(other.to_string()),
        })
    };
    let current = move || {
        let k = kind.get();
        CONTACT_KINDS
            .iter()
            .find(|c| c.code == k)
            .copied()
            .unwrap_or(CONTACT_KINDS[0])
    };
    view! {
        <form class="card" id="add-contact-form" novalidate=true on:submit=move |ev| {
            ev.prevent_default();
            if !add.pending().get_untracked() {
                add.dispatch(NewContact { kind: kind.get_untracked(), value: value.get_untracked() });
            }
        }>
            <div class="form-alert" role="alert" hidden=move || other_error().is_none()>{other_error}</div>
            <div class="field" class:field-invalid=move || field_error("kind").is_some()>
                <label for="contact-kind">"Type"</label>
                <select id="contact-kind" aria-describedby="contact-kind-error" prop:value=move || kind.get()
                    on:change=move |ev| { kind.set(event_target_value(&ev)); error.set(None); }>
                    {CONTACT_KINDS.iter().map(|k| view! { <option value=k.code>{k.label}</option> }).collect_view()}
                </select>
                <p class="field-error" id="contact-kind-error" aria-live="polite">{move || field_error("kind")}</p>
            </div>
            <div class="field" class:field-invalid=move || field_error("value").is_some()>
                <label for="contact-value">{move || current().value_label}</label>
                <input id="contact-value" autocomplete="off" placeholder=move || current().placeholder
                    aria-describedby="contact-value-error"
                    aria-invalid=move || field_error("value").is_some().to_string()
                    prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
                <p class="field-error" id="contact-value-error" aria-live="polite">{move || field_error("value")}</p>
            </div>
            <button type="submit" class="button primary" id="add-contact-submit" disabled=move || add.pending().get() aria-busy=move || add.pending().get().to_string()>
                {move || if add.pending().get() { "Adding…" } else { "Add contact" }}
            </button>
        </form>
    }
}

#[component]
pub fn MonitorCheckPage() -> impl IntoView {
    let refresh = Refresh::new();
    let source = DetailSource {
        back: BACK,
        read: monitor_check_detail,
        loading: "Loading the check…",
        missing: "This check does not exist (any more). It may have been removed.",
        what: "monitor checks",
    };
    view! {
        <PageTitle text="Monitor check" />
        {detail_page(source, refresh, |d: &CheckDetail, id| d.check.id == id, move |d| view! { <CheckView d refresh /> })}
    }
}

#[component]
fn CheckView(d: Signal<CheckDetail>, refresh: Refresh) -> impl IntoView {
    let cannot = Viewer::current().cannot(MONITOR);
    let id = d.with_untracked(|d| d.check.id.clone());
    let title = Signal::derive(move || d.with(|d| d.check.name.clone()));
    let done = refresh.callback();
    let navigate = use_navigate();
    let gone = Callback::new(move |_: ()| navigate("/monitoring", Default::default()));
    let badge = move || {
        view! { {move || d.with(|d| view! { <span id="check-status">{status_badge(&d.check)}</span> })} }
    };
    let remove_reason = cannot.clone();
    let remove_id = id.clone();
    view! {
        <DetailFrame back=BACK title title_id="check-title" badge>
            {move || d.with(|d| d.problem.clone()).map(|p| view! { <p class="notice notice-warning">{p}</p> })}
            <Card title="Check" id="check-facts">
                {move || d.with(|d| {
                    let c = &d.check;
                    view! {
                        <dl class="facts">
                            <dt>"Type"</dt><dd id="check-type-name">{or_dash(&c.type_name)}</dd>
                            <dt>"Status"</dt><dd>{status_badge(c)}" "<span class="muted small">"as last reported"</span></dd>
                            <dt>"Interval"</dt><dd>{c.every()}</dd>
                            <dt>"Results in a row to change"</dt><dd>{c.delay.map_or_else(|| "–".to_owned(), |n| n.to_string())}</dd>
                            {c.params.iter().map(|(k, v)| view! { <dt>{k.clone()}</dt><dd class="check-param">{or_dash(v)}</dd> }).collect_view()}
                        </dl>
                    }
                })}
            </Card>
            <CheckAlerts d cannot=cannot.clone() done />
            <Card title="DNS failover" id="check-dns">
                {move || d.with(|d| match &d.check.dns {
                    None => view! { <p class="muted">"Which DNS records fail over on this check could not be read."</p> }.into_any(),
                    Some(u) if u.is_empty() => view! { <p class="muted">"No DNS record fails over on this check. A record of a DNS zone can name it (“Failover”), and then drops out of answers while the check is down."</p> }.into_any(),
                    Some(u) => view! {
                        <p>{plural(u.len(), "DNS record drops", "DNS records drop")}" out of answers while this check is down:"</p>
                        <ul>{u.iter().map(|r| view! { <li><a href=format!("/dns/zones/{}", r.zone_id)>{r.zone.clone()}</a>": "{r.describe()}</li> }).collect_view()}</ul>
                    }.into_any(),
                })}
            </Card>
        </DetailFrame>
        {move || {
            let (name, dns) = d.with(|d| (d.check.name.clone(), d.check.dns.clone()));
            let id = remove_id.clone();
            let warning = match dns.as_deref() {
                Some([]) => "Removing the check stops it and its alerts. This cannot be undone.".to_owned(),
                Some(uses) => format!(
                    "{} {} on this check: after it is removed they no longer drop out of answers when the server is down ({}). Removing the check stops it and its alerts. This cannot be undone.",
                    plural(uses.len(), "DNS record fails", "DNS records fail"),
                    "over",
                    uses.iter().map(|u| format!("{}: {}", u.zone, u.name)).collect::<Vec<_>>().join("; ")
                ),
                None => "Which DNS records fail over on this check could not be read: check your zones before removing it. Removing the check stops it and its alerts. This cannot be undone.".to_owned(),
            };
            view! {
                <DangerConfirm
                    title="Remove this check"
                    warning=warning
                    name=name
                    button="Remove check"
                    pending_label="Removing…"
                    input_id="check-remove-confirm"
                    button_id="check-remove-submit"
                    run=move |typed: String| monitor_check_remove(id.clone(), typed)
                    on_success=gone
                    reason=remove_reason.clone()
                />
            }
        }}
    }
}

/// Who hears about this check: each contact with a remove button, and one more to add.
#[component]
fn CheckAlerts(
    d: Signal<CheckDetail>,
    cannot: Option<String>,
    done: Callback<()>,
) -> impl IntoView {
    let cannot = StoredValue::new(cannot);
    view! {
        <Card title="Alerts" id="check-alerts-card">
            {move || {
                let (check_id, alerts, contacts) = d.with(|d| (d.check.id.clone(), d.check.alerts.clone(), d.contacts.clone()));
                let Some(alerts) = alerts else {
                    return view! { <p class="muted">"The alerts could not be read."</p> }.into_any();
                };
                let list = if alerts.is_empty() {
                    view! { <p class="muted" id="check-alerts-empty">"Nobody hears about this check."</p> }.into_any()
                } else {
                    view! {
                        <ul id="check-alerts">
                            {alerts.into_iter().map(|a: CheckAlert| {
                                let (c, alert) = (check_id.clone(), a.alert_id.clone());
                                let reason = if a.visible { cannot.get_value() } else { Some("Your provider's contact: they can remove it.".to_owned()) };
                                view! {
                                    <li data-alert-id=a.alert_id.clone()>
                                        {a.contact.clone()}" "
                                        <ActionButton
                                            id=format!("check-alert-remove-{}", a.alert_id)
                                            label="Stop"
                                            pending_label="Removing…"
                                            class="button subtle small"
                                            run=move || monitor_alert_remove(c.clone(), alert.clone())
                                            success="Alert removed."
                                            reason=reason
                                            on_done=done
                                        />
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                };
                let choices: Vec<(String, String)> = contacts
                    .iter()
                    .filter(|k| !k.alerts.iter().any(|a| a.check_id == check_id))
                    .map(|k| (k.id.clone(), k.describe()))
                    .collect();
                let none = if contacts.is_empty() { "Add a contact first (on the monitoring page)." } else { "Every contact hears about it already." };
                let c = check_id.clone();
                view! {
                    {list}
                    <ChoiceAction
                        id="check-alert-add"
                        label="Contact"
                        choices=choices
                        none=none.to_owned()
                        button="Alert this contact"
                        pending_label="Adding…"
                        success="Alert added."
                        reason=cannot.get_value()
                        run=move |contact: String| monitor_alert_add(c.clone(), contact)
                        on_done=done
                    />
                }.into_any()
            }}
        </Card>
    }
}

/// "Monitor this VM" on a VM's page: one click adds a ping check on its public address
/// and, if ticked, an HTTP check of `http://<address>/`; the checks already watching it
/// are named.
#[component]
pub fn MonitorVmCard(#[prop(into)] vm_id: String) -> impl IntoView {
    let refresh = Refresh::new();
    let vm = StoredValue::new(vm_id);
    let options = read_in_browser(refresh, move || monitor_of_vm(vm.get_value()));
    let cannot = Viewer::current().cannot(MONITOR);
    let http = RwSignal::new(false);
    let report = RwSignal::new(None::<crate::monitor::WatchReport>);
    view! {
        <section class="card" id="monitor-vm">
            <h2>"Monitoring"</h2>
            {move || match options.get() {
                None => view! { <Loading label="Loading its checks…" /> }.into_any(),
                Some(Err(e)) => view! { <ProblemNotice error=e what="monitor checks" /> }.into_any(),
                Some(Ok(o)) if o.ip.is_empty() => view! { <p class="muted" id="monitor-vm-no-ip">"The VM has no public address yet: nothing to monitor from outside."</p> }.into_any(),
                Some(Ok(o)) => {
                    let watched = if o.checks.is_empty() {
                        view! { <p class="muted" id="monitor-vm-none">{format!("No check watches {} yet.", o.ip)}</p> }.into_any()
                    } else {
                        view! {
                            <p>{format!("Checks watching {}:", o.ip)}</p>
                            <ul id="monitor-vm-checks">
                                {o.checks.iter().map(|(id, name, kind)| view! { <li><a href=format!("/monitoring/checks/{id}")>{name.clone()}</a>" "<span class="muted">{format!("({kind})")}</span></li> }).collect_view()}
                            </ul>
                        }.into_any()
                    };
                    let reason = cannot.clone().or_else(|| (!o.ping).then(|| "Luna Node offers no ping check.".to_owned()));
                    view! {
                        {watched}
                        {o.http.then(|| view! {
                            <label class="check">
                                <input type="checkbox" id="monitor-vm-http" prop:checked=move || http.get() on:change=move |ev| http.set(event_target_checked(&ev)) />
                                {format!("Also check http://{}/ (the VM serves a web site)", o.ip)}
                            </label>
                        })}
                        <ActionButton
                            id="monitor-vm-add"
                            label="Monitor this VM"
                            pending_label="Adding checks…"
                            run=move || monitor_watch_vm(vm.get_value(), http.get_untracked())
                            success="Monitoring set up."
                            reason=reason
                            on_success=Callback::new(move |r| { report.set(Some(r)); refresh.bump(); })
                        />
                        <p class="muted small">"Add contacts on the "<a href="/monitoring">"monitoring page"</a>" to hear when it goes down."</p>
                    }.into_any()
                }
            }}
            {move || report.get().map(|r| view! {
                <div id="monitor-vm-report" aria-live="polite">
                    {(!r.added.is_empty()).then(|| view! { <p>"Added: "{r.added.join(", ")}</p> })}
                    {(!r.existed.is_empty()).then(|| view! { <p class="muted">"Already there: "{r.existed.join(", ")}</p> })}
                    {(!r.failed.is_empty()).then(|| view! { <ErrorNotice message=format!("Not added: {}", r.failed.join("; ")) /> })}
                </div>
            })}
        </section>
    }
}
