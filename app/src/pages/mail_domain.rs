//! `/mail/:id`: one mail domain — its facts; DKIM on (a new key made on the server, the
//! TXT record to publish shown once with a copy button, published into the domain's zone
//! at once when asked) or off; the health of its MX, SPF and DKIM records in the zone that
//! holds it, with "publish the missing records"; its mailboxes (add with a generated
//! password shown once, new password, remove with the address typed) and aliases (add with
//! their targets, remove); removing the domain with its name typed, saying what goes with
//! it.

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::form::{action_error, field_error, Field, FormAlert, SubmitButton};
use crate::components::kit::*;
use crate::components::live::read_in_browser;
use crate::components::shell::{ErrorNotice, Loading};
use crate::error::AppError;
use crate::mail::{
    mail_alias_remove, mail_dkim_disable, mail_dkim_enable, mail_domain_detail, mail_domain_remove,
    mail_health, mail_publish, mail_user_password, mail_user_remove, DkimEnabled, Health,
    MailAliasAddFn, MailAliasRow, MailDomainDetail, MailHealth, MailUserAddFn, MailUserRow,
    PublishReport, EXPECTED_MX_HOST_INFERRED, EXPECTED_SPF_INCLUDE_INFERRED,
};
use crate::pages::mail::MAIL;

const BACK: (&str, &str) = ("/mail", "E-mail");
/// The capability a customer needs to publish records into their zone.
const DNS: &str = "dns";

/// A button that copies `text` to the clipboard (where the browser allows it; the text is
/// on the page to select by hand too).
#[component]
pub fn CopyButton(#[prop(into)] text: Signal<String>, #[prop(into)] id: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    view! {
        <button
            type="button"
            class="button subtle small"
            id=id
            on:click=move |_| {
                #[cfg(feature = "hydrate")]
                {
                    if let Some(w) = web_sys::window() {
                        let clipboard = w.navigator().clipboard();
                        // Undefined outside secure contexts.
                        if !clipboard.is_undefined() {
                            let _ = clipboard.write_text(&text.get_untracked());
                        }
                    }
                }
                #[cfg(not(feature = "hydrate"))]
                let _ = text;
                copied.set(true);
            }
        >
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}

/// A value to copy: the text in a `<code>` (`id`) and its copy button (`{id}-copy`).
#[component]
fn Copyable(#[prop(into)] text: String, id: String) -> impl IntoView {
    let copy_id = format!("{id}-copy");
    let value = text.clone();
    view! {
        <span class="copy-row">
            <code id=id class="copy-text">{text}</code>
            " "
            <CopyButton text=Signal::derive(move || value.clone()) id=copy_id />
        </span>
    }
}

#[component]
pub fn MailDomainPage() -> impl IntoView {
    let refresh = Refresh::new();
    let source = DetailSource {
        back: BACK,
        read: mail_domain_detail,
        loading: "Loading the mail domain…",
        missing: "This mail domain does not exist (any more). It may have been removed.",
        what: "mail domains",
    };
    view! {
        <PageTitle text="Mail domain" />
        {detail_page(source, refresh, |d: &MailDomainDetail, id| d.domain.id == id, move |d| view! { <DomainView d refresh /> })}
    }
}

#[component]
fn DomainView(d: Signal<MailDomainDetail>, refresh: Refresh) -> impl IntoView {
    let cannot = Viewer::current().cannot(MAIL);
    let id = d.with_untracked(|d| d.domain.id.clone());
    let title = Signal::derive(move || d.with(|d| d.domain.display.clone()));
    let done = refresh.callback();
    let navigate = use_navigate();
    let gone = Callback::new(move |_: ()| navigate("/mail", Default::default()));
    let badge = move || {
        view! {
            {move || {
                d.with(|d| {
                    if d.domain.dkim_on() {
                        view! { <span class="badge badge-on" id="dkim-badge">"DKIM on"</span> }.into_any()
                    } else {
                        view! { <span class="badge" id="dkim-badge">"DKIM off"</span> }.into_any()
                    }
                })
            }}
        }
    };
    let remove_id = id.clone();
    let remove_reason = cannot.clone();
    view! {
        <DetailFrame back=BACK title title_id="mail-domain-title" badge>
            <Facts d />
            <Dkim d cannot=cannot.clone() done />
            <HealthCard id=id.clone() refresh />
            <Mailboxes d cannot=cannot.clone() done />
            <Aliases d cannot=cannot.clone() done />
        </DetailFrame>
        {move || {
            let (name, contents) = d.with(|d| (d.domain.name.clone(), d.domain.contents()));
            let id = remove_id.clone();
            view! {
                <DangerConfirm
                    title="Remove this mail domain"
                    warning=format!("Removing the domain removes {contents} with it, and the mail stored in them. Mail sent to the domain afterwards is refused. This cannot be undone.")
                    name=name
                    button="Remove domain"
                    pending_label="Removing…"
                    input_id="mail-remove-confirm"
                    button_id="mail-remove-submit"
                    run=move |typed: String| mail_domain_remove(id.clone(), typed)
                    on_success=gone
                    reason=remove_reason.clone()
                />
            }
        }}
    }
}

#[component]
fn Facts(d: Signal<MailDomainDetail>) -> impl IntoView {
    move || {
        let dom = d.with(|d| d.domain.clone());
        let ascii = (dom.display != dom.name).then(|| {
            view! {
                <dt>"In DNS"</dt>
                <dd><code>{dom.name.clone()}</code></dd>
            }
        });
        view! {
            <Card title="Details">
                <dl class="facts">
                    <dt>"Domain"</dt>
                    <dd id="mail-domain-name">{dom.display.clone()}</dd>
                    {ascii}
                    <dt>"Mailboxes"</dt>
                    <dd id="mail-domain-users">{dom.users.map_or_else(|| "–".to_owned(), |n| n.to_string())}</dd>
                    <dt>"Aliases"</dt>
                    <dd id="mail-domain-aliases">{dom.aliases.map_or_else(|| "–".to_owned(), |n| n.to_string())}</dd>
                    <dt>"DKIM selector"</dt>
                    <dd id="mail-domain-selector">{or_dash(&dom.dkim_selector)}</dd>
                </dl>
            </Card>
        }
    }
}

/// DKIM: on with a new key (the record shown once), or off.
#[component]
fn Dkim(d: Signal<MailDomainDetail>, cannot: Option<String>, done: Callback<()>) -> impl IntoView {
    let id = StoredValue::new(d.with_untracked(|d| d.domain.id.clone()));
    let selector = RwSignal::new(String::new());
    let publish = RwSignal::new(true);
    let enable = Action::new(move |(sel, publish): &(String, bool)| {
        mail_dkim_enable(id.get_value(), sel.clone(), *publish)
    });
    Effect::new(move |seen: Option<usize>| {
        let v = enable.version().get();
        if seen.is_some_and(|s| s != v) {
            done.run(());
        }
        v
    });
    let result = move || enable.value().get();
    let selector_error = move || {
        enable.value().with(|v| {
            v.as_ref()
                .and_then(|r| r.as_ref().err().and_then(|e| e.field("selector")))
        })
    };
    let other_error = move || {
        enable.value().with(|v| {
            v.as_ref()
                .and_then(|r| r.as_ref().err())
                .filter(|e| e.field("selector").is_none())
                .map(|e| e.to_string())
        })
    };
    let on = Memo::new(move |_| d.with(|d| d.domain.dkim_on()));
    let locked = cannot.is_some();
    let title = cannot.clone();
    let blocked = cannot.clone();
    let disable_reason = cannot.clone();
    view! {
        <Card title="DKIM signing" id="mail-dkim">
            <p id="dkim-state">
                {move || {
                    let sel = d.with(|d| d.domain.dkim_selector.clone());
                    if sel.is_empty() {
                        "Off: outgoing mail is not signed.".to_owned()
                    } else {
                        format!("On, with selector {sel}.")
                    }
                }}
            </p>
            <p class="muted">"A new key pair is made on the server; Luna Node gets the private key, and you publish the public one as a TXT record. The panel keeps neither, so the record is shown only once, right after the key is made."</p>
            <form
                class="stack"
                on:submit=move |ev| {
                    ev.prevent_default();
                    if blocked.is_none() && !enable.pending().get_untracked() {
                        enable.dispatch((selector.get_untracked(), publish.get_untracked()));
                    }
                }
            >
                <label class="inline-field">
                    <span>"Selector (empty: a new one is made)"</span>
                    <input
                        id="dkim-selector"
                        name="selector"
                        autocomplete="off"
                        aria-describedby="dkim-selector-error"
                        aria-invalid=move || selector_error().is_some().to_string()
                        prop:value=move || selector.get()
                        on:input=move |ev| selector.set(event_target_value(&ev))
                    />
                </label>
                <p class="field-error" id="dkim-selector-error" aria-live="polite">{selector_error}</p>
                <label class="checkbox">
                    <input
                        type="checkbox"
                        id="dkim-publish"
                        prop:checked=move || publish.get()
                        on:change=move |ev| publish.set(event_target_checked(&ev))
                    />
                    " Publish the record in the domain's DNS zone (when it is on this account)"
                </label>
                <button
                    type="submit"
                    class="button primary"
                    id="dkim-enable"
                    disabled=move || enable.pending().get() || locked
                    aria-busy=move || enable.pending().get().to_string()
                    title=title
                >
                    {move || {
                        if enable.pending().get() {
                            "Making the key…"
                        } else if on.get() {
                            "Make a new key"
                        } else {
                            "Turn DKIM on"
                        }
                    }}
                </button>
            </form>
            {move || other_error().map(|m| view! { <ErrorNotice message=m /> })}
            {move || result().and_then(Result::ok).map(|r| view! { <DkimRecord r /> })}
            {move || {
                on.get().then(|| {
                    let reason = disable_reason.clone();
                    view! {
                        <ActionButton
                            id="dkim-disable"
                            label="Turn DKIM off"
                            pending_label="Turning off…"
                            class="button subtle danger"
                            run=move || mail_dkim_disable(id.get_value())
                            success="DKIM signing is off."
                            reason=reason
                            on_done=done
                        />
                    }
                })
            }}
        </Card>
    }
}

/// The record of a key just made.
#[component]
fn DkimRecord(r: DkimEnabled) -> impl IntoView {
    view! {
        <div class="notice notice-success" id="dkim-record" role="status">
            <p>"DKIM is on. Publish this TXT record (it is shown only now):"</p>
            <dl class="facts">
                <dt>"Name"</dt>
                <dd><Copyable text=r.record_name.clone() id="dkim-record-name".to_owned() /></dd>
                <dt>"Type"</dt>
                <dd>"TXT"</dd>
                <dt>"Value"</dt>
                <dd><Copyable text=r.record_value.clone() id="dkim-record-value".to_owned() /></dd>
            </dl>
            {r.published.map(|p| view! { <p id="dkim-published">{p}</p> })}
        </div>
    }
}

fn status_class(h: Health) -> &'static str {
    match h {
        Health::Good => "status status-ok",
        Health::Missing => "status status-bad",
        Health::Warn | Health::Unknown => "status status-unknown",
        Health::Off => "status status-off",
    }
}

/// The MX, SPF and DKIM records against the zone, and "publish the missing records".
#[component]
fn HealthCard(id: String, refresh: Refresh) -> impl IntoView {
    let id = StoredValue::new(id);
    let health = read_in_browser(refresh, move || mail_health(id.get_value()));
    let report = RwSignal::new(None::<PublishReport>);
    let cannot_dns = Viewer::current().cannot(DNS);
    let body = move || match health.get() {
        None => view! { <Loading label="Checking the DNS records…" /> }.into_any(),
        Some(Err(e)) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
        Some(Ok(h)) => {
            let reason = cannot_dns.clone().or_else(|| {
                (!h.publishable()).then(|| {
                    if h.zone.is_none() {
                        "There is no zone of yours on this account to publish into.".to_owned()
                    } else {
                        "Nothing the panel can publish is missing.".to_owned()
                    }
                })
            });
            view! { <HealthBody h reason report refresh /> }.into_any()
        }
    };
    view! {
        <Card title="DNS health" id="mail-health" wide=true>
            <p class="muted">
                {format!("Checked against the DNS zone holding the domain, when it is on this account. The expected MX host ({EXPECTED_MX_HOST_INFERRED}) and SPF include ({EXPECTED_SPF_INCLUDE_INFERRED}) are what the panel expects of Luna Node's mail service; Luna Node's own documentation of them was not available.")}
            </p>
            {body}
            {move || report.get().map(|r| {
                let clean = r.failed.is_empty();
                view! {
                <div class="notice" class:notice-success=clean class:notice-warning=!clean id="mail-publish-report" role="status">
                    <ul>
                        {r.done.into_iter().map(|l| view! { <li class="published">{format!("Published: {l}")}</li> }).collect_view()}
                        {r.failed.into_iter().map(|l| view! { <li class="not-published">{format!("Not published: {l}")}</li> }).collect_view()}
                    </ul>
                </div>
            }})}
        </Card>
    }
}

#[component]
fn HealthBody(
    h: MailHealth,
    reason: Option<String>,
    report: RwSignal<Option<PublishReport>>,
    refresh: Refresh,
) -> impl IntoView {
    let id = h.domain.id.clone();
    let summary = if h.zone.is_none() {
        ("unknown", "Not checked".to_owned())
    } else if h.healthy() {
        ("good", "All good".to_owned())
    } else {
        ("attention", "Needs attention".to_owned())
    };
    let zone = h.zone.clone().map(|z| {
        view! {
            <p id="mail-health-zone">
                "Zone: " <a href=format!("/dns/zones/{}", z.id)>{z.name.clone()}</a>
            </p>
        }
    });
    let rows = h
        .checks
        .iter()
        .map(|c| {
            view! {
                <tr data-check=c.key.clone() data-status=c.status.key()>
                    <th scope="row">{c.label.clone()}</th>
                    <td><span class=status_class(c.status) id=format!("health-{}", c.key)>{c.status.label()}</span></td>
                    <td><code>{c.name.clone()}</code></td>
                    <td>
                        {if c.found.is_empty() {
                            view! { <span class="muted">"Nothing"</span> }.into_any()
                        } else {
                            view! { <ul class="plain-list">{c.found.iter().map(|f| view! { <li><code class="clip">{f.clone()}</code></li> }).collect_view()}</ul> }.into_any()
                        }}
                    </td>
                    <td><code>{c.expected.clone()}</code></td>
                    <td>{c.advice.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let table = (!h.checks.is_empty()).then(|| {
        view! {
            <div class="table-wrap" tabindex="0" role="region" aria-label="DNS records of the domain's mail">
                <table class="data" id="mail-health-table">
                    <thead>
                        <tr>
                            <th scope="col">"Record"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Name"</th>
                            <th scope="col">"In the zone"</th>
                            <th scope="col">"Expected"</th>
                            <th scope="col">"What to do"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
    });
    view! {
        <p id="mail-health-summary" data-health=summary.0>{summary.1}</p>
        {h.note.clone().map(|n| view! { <p class="notice notice-info" id="mail-health-note">{n}</p> })}
        {zone}
        {table}
        <ActionButton
            id="mail-publish"
            label="Publish the missing records"
            pending_label="Publishing…"
            class="button primary"
            run=move || mail_publish(id.clone())
            success="Records published."
            reason=reason
            on_success=Callback::new(move |r: PublishReport| report.set(Some(r)))
            on_done=refresh.callback()
        />
    }
}

/// A password shown once, with its copy button.
#[component]
fn ShownOnce(address: String, password: String, id: &'static str) -> impl IntoView {
    view! {
        <div class="notice notice-success" id=id role="status">
            <p>{format!("The password of {address} (shown only now: copy it to a safe place):")}</p>
            <Copyable text=password id=format!("{id}-password") />
        </div>
    }
}

#[component]
fn Mailboxes(
    d: Signal<MailDomainDetail>,
    cannot: Option<String>,
    done: Callback<()>,
) -> impl IntoView {
    let add = ServerAction::<MailUserAddFn>::new();
    let error = action_error(add.value());
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            done.run(());
        }
    });
    let id = d.with_untracked(|d| d.domain.id.clone());
    let row_cannot = cannot.clone();
    let rows = move || {
        let users = d.with(|d| d.users.clone());
        if users.is_empty() {
            return view! { <p class="empty" id="mailboxes-none">"No mailboxes yet."</p> }
                .into_any();
        }
        let domain_id = d.with_untracked(|d| d.domain.id.clone());
        view! {
            <div class="table-wrap" tabindex="0" role="region" aria-label="Mailboxes">
                <table class="data" id="mailbox-table">
                    <thead>
                        <tr>
                            <th scope="col">"Address"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {users.into_iter().map(|u| view! { <MailboxRow u domain_id=domain_id.clone() cannot=row_cannot.clone() done /> }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    let added = move || {
        add.value().get().and_then(Result::ok).map(|m| match m.password {
            Some(p) => view! { <ShownOnce address=m.address password=p id="new-mailbox" /> }.into_any(),
            None => view! { <p class="notice notice-success" id="new-mailbox" role="status">{format!("{} added.", m.address)}</p> }.into_any(),
        })
    };
    view! {
        <Card title="Mailboxes" id="mail-mailboxes" wide=true>
            {rows}
            <h3>"Add a mailbox"</h3>
            {match cannot {
                Some(why) => view! { <p class="disabled-reason" id="add-mailbox-locked">{why}</p> }.into_any(),
                None => view! {
                    <ActionForm action=add attr:novalidate=true attr:id="add-mailbox-form">
                        <input type="hidden" name="domain_id" value=id />
                        <FormAlert error fields=&["username", "password"] />
                        <Field name="username" label="Name (before the @)" hint="Letters, digits, dots, hyphens, underscores and +; the domain is added for you." error=field_error(error, "username") autocomplete="off" />
                        <Field name="password" label="Password" input_type="password" required=false revealable=true autocomplete="new-password" hint="Leave empty to have a strong one made for you: it is shown once." error=field_error(error, "password") />
                        <SubmitButton label="Add mailbox" busy_label="Adding…" pending=add.pending() />
                    </ActionForm>
                }.into_any(),
            }}
            {added}
        </Card>
    }
}

#[component]
fn MailboxRow(
    u: MailUserRow,
    domain_id: String,
    cannot: Option<String>,
    done: Callback<()>,
) -> impl IntoView {
    let (password, password_error) = (
        RwSignal::new(String::new()),
        RwSignal::new(None::<AppError>),
    );
    let (confirm, remove_error) = (
        RwSignal::new(String::new()),
        RwSignal::new(None::<AppError>),
    );
    let shown = RwSignal::new(None::<String>);
    let ids = StoredValue::new((domain_id, u.id.clone()));
    let address = u.address.clone();
    let shown_address = u.address.clone();
    view! {
        <tr data-user-id=u.id.clone() data-address=u.address.clone()>
            <td><span class="mailbox-address">{u.address.clone()}</span></td>
            <td class="actions">
                <details class="inline-details">
                    <summary class="button subtle small">"New password…"</summary>
                    <InputAction
                        id=format!("user-password-{}", u.id)
                        input_id=format!("user-password-input-{}", u.id)
                        label="New password (empty: one is made for you)"
                        value=password
                        field="password"
                        error=password_error
                        button="Set password"
                        pending_label="Saving…"
                        success="Password changed."
                        reason=cannot.clone()
                        run=move |typed: String| {
                            let (domain, user) = ids.get_value();
                            async move {
                                let r = keep_error(password_error, mail_user_password(domain, user, typed).await);
                                if let Ok(generated) = &r {
                                    shown.set(generated.clone());
                                    password.set(String::new());
                                }
                                r
                            }
                        }
                    />
                    {move || shown.get().map(|p| view! { <ShownOnce address=shown_address.clone() password=p id="changed-password" /> })}
                </details>
                <details class="inline-details">
                    <summary class="button subtle small danger">"Remove…"</summary>
                    <InputAction
                        id=format!("user-remove-{}", u.id)
                        input_id=format!("user-remove-confirm-{}", u.id)
                        label=format!("Type {address} to confirm (its mail goes with it)")
                        value=confirm
                        field="confirm"
                        error=remove_error
                        button="Remove mailbox"
                        pending_label="Removing…"
                        success="Mailbox removed."
                        reason=cannot
                        run=move |typed: String| {
                            let (domain, user) = ids.get_value();
                            async move { keep_error(remove_error, mail_user_remove(domain, user, typed).await) }
                        }
                        on_done=done
                    />
                </details>
            </td>
        </tr>
    }
}

#[component]
fn Aliases(
    d: Signal<MailDomainDetail>,
    cannot: Option<String>,
    done: Callback<()>,
) -> impl IntoView {
    let add = ServerAction::<MailAliasAddFn>::new();
    let error = action_error(add.value());
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            done.run(());
        }
    });
    let id = d.with_untracked(|d| d.domain.id.clone());
    let row_cannot = cannot.clone();
    let rows = move || {
        let aliases = d.with(|d| d.aliases.clone());
        if aliases.is_empty() {
            return view! { <p class="empty" id="aliases-none">"No aliases yet."</p> }.into_any();
        }
        let domain_id = d.with_untracked(|d| d.domain.id.clone());
        view! {
            <div class="table-wrap" tabindex="0" role="region" aria-label="Aliases">
                <table class="data" id="alias-table">
                    <thead>
                        <tr>
                            <th scope="col">"Address"</th>
                            <th scope="col">"Forwards to"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {aliases.into_iter().map(|a| view! { <AliasRow a domain_id=domain_id.clone() cannot=row_cannot.clone() done /> }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <Card title="Aliases" id="mail-aliases" wide=true>
            {rows}
            <h3>"Add an alias"</h3>
            {match cannot {
                Some(why) => view! { <p class="disabled-reason" id="add-alias-locked">{why}</p> }.into_any(),
                None => view! {
                    <ActionForm action=add attr:novalidate=true attr:id="add-alias-form">
                        <input type="hidden" name="domain_id" value=id />
                        <FormAlert error fields=&["name", "targets"] />
                        <Field name="name" label="Alias (before the @)" error=field_error(error, "name") autocomplete="off" />
                        <Field name="targets" label="Forwards to" hint="One or more addresses, separated by commas." error=field_error(error, "targets") autocomplete="off" />
                        <SubmitButton label="Add alias" busy_label="Adding…" pending=add.pending() />
                        {move || matches!(add.value().get(), Some(Ok(_))).then(|| view! { <p class="notice notice-success" id="alias-added">"Alias added."</p> })}
                    </ActionForm>
                }.into_any(),
            }}
        </Card>
    }
}

#[component]
fn AliasRow(
    a: MailAliasRow,
    domain_id: String,
    cannot: Option<String>,
    done: Callback<()>,
) -> impl IntoView {
    let ids = StoredValue::new((domain_id, a.id.clone()));
    view! {
        <tr data-alias-id=a.id.clone() data-address=a.address.clone()>
            <td><span class="alias-address">{a.address.clone()}</span></td>
            <td>
                <ul class="plain-list alias-targets">
                    {a.targets.iter().map(|t| view! { <li>{t.clone()}</li> }).collect_view()}
                </ul>
            </td>
            <td class="actions">
                <ActionButton
                    id=format!("alias-remove-{}", a.id)
                    label="Remove"
                    pending_label="Removing…"
                    class="button subtle small danger"
                    run=move || {
                        let (domain, alias) = ids.get_value();
                        mail_alias_remove(domain, alias)
                    }
                    success=format!("Alias {} removed.", a.address)
                    reason=cannot
                    quiet_reason=true
                    on_done=done
                />
            </td>
        </tr>
    }
}
