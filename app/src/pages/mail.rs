//! `/mail`: hosted e-mail — the usage as bars against the plan (the account's figures for
//! its holder; a customer's counted from their domains against their quota), the mail
//! domains (DKIM on or off, mailboxes, aliases; each opens its page) and a form to add one
//! (the name checked beside the field; a customer's within their quota).

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::form::{action_error, field_error, Field, FormAlert, SubmitButton};
use crate::components::kit::*;
use crate::components::shell::Loading;
use crate::mail::{mail_list, MailDomainAddFn, MailDomainRow, MailView, Meter};

/// The capability a customer needs to change anything of their mail.
pub const MAIL: &str = "mail";

impl Listing for MailView {
    type Row = MailDomainRow;

    fn rows(&self) -> &[MailDomainRow] {
        &self.domains
    }

    fn note(&self) -> Option<ListNote> {
        self.problem.as_ref().map(|p| ListNote {
            title: "The account's e-mail usage is not shown. ".into(),
            text: p.clone(),
        })
    }
}

fn count(n: Option<usize>) -> String {
    n.map_or_else(|| "–".to_owned(), |n| n.to_string())
}

crate::pageable!(MailView => domains);

// `mail/page`: the list paged on the server (a large account's page sends one page).
crate::paged_list!(
    MailPageFn,
    "mail/page",
    mail_page,
    mail_list,
    spec(),
    MailView
);

fn spec() -> ListSpec<MailDomainRow> {
    ListSpec {
        columns: vec![
            Column::new("Domain", |d: &MailDomainRow| {
                let idn = (d.display != d.name).then(|| {
                    view! { " " <span class="muted">{format!("({})", d.name)}</span> }
                });
                view! { <a href=d.path() class="mail-domain-name">{d.display.clone()}</a>{idn} }
            })
            .sort(|d| SortValue::text(&d.display)),
            Column::new("DKIM", |d: &MailDomainRow| {
                if d.dkim_on() {
                    view! { <span class="badge badge-on" title=format!("Selector {}", d.dkim_selector)>"On"</span> }.into_any()
                } else {
                    view! { <span class="badge">"Off"</span> }.into_any()
                }
            })
            .sort(|d| SortValue::number(i64::from(d.dkim_on()))),
            Column::new("Mailboxes", |d: &MailDomainRow| count(d.users))
                .sort(|d| SortValue::opt_number(d.users.map(|n| n as i64))),
            Column::new("Aliases", |d: &MailDomainRow| count(d.aliases))
                .sort(|d| SortValue::opt_number(d.aliases.map(|n| n as i64))),
        ],
        search: Some(Search::new("Domain", |d| format!("{} {}", d.display, d.name))),
        filters: Vec::new(),
        row_id: |d| d.id.clone(),
    }
}

/// One figure as a bar (a `<meter>`, no inline style) when it has a limit, else the figure.
#[component]
pub fn UsageMeter(m: Meter) -> impl IntoView {
    let id = format!("mail-usage-{}", m.key);
    let text = m.text();
    let bar = m.limit.map(|limit| {
        let high = (limit as f64 * 0.8).max(1.0);
        view! {
            <meter
                min="0"
                max=limit.max(1).to_string()
                high=high.to_string()
                value=m.used.min(limit.max(1)).to_string()
                aria-labelledby=format!("{id}-label")
            ></meter>
        }
    });
    view! {
        <div class="usage-meter" id=id.clone() data-used=m.used.to_string() data-limit=m.limit.map(|l| l.to_string()).unwrap_or_default()>
            <span class="usage-label" id=format!("{id}-label")>{m.label.clone()}</span>
            {bar}
            <span class="usage-figure">{text}</span>
        </div>
    }
}

#[component]
pub fn MailPage() -> impl IntoView {
    let refresh = Refresh::new();
    let (state, list) = paged_source(refresh, spec(), "", 0, mail_page);
    let cannot = Viewer::current().cannot(MAIL);
    let usage = move || {
        list.newest.get().map(|PageOf { listing: v, .. }| {
            let quota_full = v
                .quota
                .and_then(|(held, limit)| limit.filter(|l| held >= *l))
                .map(|l| {
                    view! {
                        <p class="notice notice-warning" id="mail-quota-full">
                            {format!("Your plan allows {l} mail domains and you have them all: remove one, or ask your provider for more.")}
                        </p>
                    }
                });
            view! {
                <section class="card" id="mail-usage" aria-labelledby="mail-usage-title">
                    <h2 id="mail-usage-title">"Usage"</h2>
                    <div class="usage-meters">
                        {v.usage.meters.into_iter().map(|m| view! { <UsageMeter m /> }).collect_view()}
                    </div>
                    <p class="muted">{v.usage.source}</p>
                    {quota_full}
                </section>
            }
        })
    };
    view! {
        <PageTitle text="E-mail" />
        <div class="page-head">
            <h1>"E-mail"</h1>
        </div>
        <p class="muted">"Mail hosted for your domains: mailboxes, aliases that forward, and DKIM signing. Open a domain to manage it and to check the DNS records its mail needs."</p>
        // Inside its own loading boundary: read before the first read arrived, the server
        // (still waiting) and the browser (holding it) would render it differently.
        <Transition fallback=|| view! { <Loading label="Loading the usage…" /> }>
            {move || Suspend::new(async move {
                match list.first.await {
                    Ok(_) => usage.into_any(),
                    Err(_) => ().into_any(),
                }
            })}
        </Transition>
        <ResourceList
            id="mail"
            noun="mail domains"
            source=list.first
            live=list.live
            state
            spec=spec()
            row_attr="data-domain-id"
            sort=0
            loading="Loading mail domains…"
            empty="No mail domains yet."
        />
        <h2 id="add-mail-domain">"Add a mail domain"</h2>
        {match cannot {
            Some(why) => view! { <p class="disabled-reason" id="add-mail-domain-locked">{why}</p> }.into_any(),
            None => view! { <AddDomain refresh /> }.into_any(),
        }}
    }
}

#[component]
fn AddDomain(refresh: Refresh) -> impl IntoView {
    let add = ServerAction::<MailDomainAddFn>::new();
    let error = action_error(add.value());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(path)) = add.value().get() {
            refresh.bump();
            if !path.is_empty() {
                navigate(&path, Default::default());
            }
        }
    });
    view! {
        <ActionForm action=add attr:novalidate=true attr:id="add-mail-domain-form" attr:class="card">
            <FormAlert error fields=&["name"] />
            <Field
                name="name"
                label="Domain"
                hint="The domain whose mail is hosted here, e.g. example.com (an internationalized name in either form)."
                error=field_error(error, "name")
                autocomplete="off"
            />
            <SubmitButton label="Add domain" busy_label="Adding…" pending=add.pending() />
        </ActionForm>
    }
}
