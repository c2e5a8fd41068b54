//! `/load-balancers`: the caller's load balancers (settings, address, floating IP, members);
//! `/load-balancers/new`: the create form (region, network, name, method, protocol, port,
//! connection limit) with the monthly cost before the button; `/load-balancers/:id`: its
//! details and members — add members picked from the VMs on its network, remove them, put
//! a floating IP in front (one of yours, or a new one in the same step), delete it.

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::form::{action_error, field_error, Field, FormAlert, SubmitButton};
use crate::components::kit::*;
use crate::components::shell::Loading;
use crate::error::AppError;
use crate::kinds;
use crate::network::lb::{
    lb_associate, lb_create_options, lb_delete, lb_detail, lb_list, lb_member_add,
    lb_member_remove, LbCreateFn,
};
use crate::network::{
    LbCreateOptions, LbDetail, LbRow, LbsView, LB_METHODS, LB_PROTOCOLS, LB_USD_PER_MONTH_INFERRED,
};
use crate::pages::format::usd;

/// The capability a customer needs to change load balancers.
pub const LBS: &str = "lbs";
const BACK: (&str, &str) = ("/load-balancers", "Load balancers");

/// The monthly cost of a balancer, labelled as an estimate.
pub fn lb_monthly() -> String {
    format!(
        "about {}/month (an estimate; your bill decides)",
        usd(LB_USD_PER_MONTH_INFERRED)
    )
}

/// `HTTP :80`, or what is known of it.
fn listener(l: &LbRow) -> String {
    match (l.protocol.is_empty(), l.port) {
        (false, Some(p)) => format!("{} :{p}", l.protocol),
        (false, None) => l.protocol.clone(),
        (true, Some(p)) => format!(":{p}"),
        (true, None) => "–".into(),
    }
}

fn method_label(m: &str) -> String {
    LB_METHODS.iter().find(|(k, _)| *k == m).map_or_else(
        || or_dash(m),
        |(_, label)| label.split(':').next().unwrap_or(m).to_owned(),
    )
}

/// A balancer's or member's status (OpenStack words, INFERRED: `ACTIVE`, `PENDING_*`,
/// `ERROR`; unknown words shown as they are).
fn badge(status: &str) -> AnyView {
    let s = status.trim().to_ascii_uppercase();
    let class = if s.is_empty() {
        "unknown"
    } else if s == "ACTIVE" || s == "ONLINE" {
        "ok"
    } else if s.starts_with("PENDING") {
        "busy"
    } else if s.contains("ERROR") || s == "OFFLINE" {
        "bad"
    } else {
        "unknown"
    };
    let text = if s.is_empty() {
        "Unknown".to_owned()
    } else {
        status.to_owned()
    };
    view! { <span class=format!("status status-{class}") data-status=status.to_owned()>{text}</span> }
        .into_any()
}

fn limit_label(l: Option<i64>) -> String {
    match l {
        Some(-1) => "Unlimited".into(),
        Some(n) => format!("{n} connections"),
        None => "–".into(),
    }
}

impl Listing for LbsView {
    type Row = LbRow;

    fn rows(&self) -> &[LbRow] {
        &self.lbs
    }
}

crate::pageable!(LbsView => lbs);

// `lbs/page`: the list paged on the server (a large account's page sends one page).
crate::paged_list!(LbPageFn, "lbs/page", lb_page, lb_list, spec(), LbsView);

fn spec() -> ListSpec<LbRow> {
    ListSpec {
        columns: vec![
            Column::new("Name", |l: &LbRow| {
                view! { <a href=format!("/load-balancers/{}", l.id) class="lb-name">{l.display_name().to_owned()}</a> }
            })
            .sort(|l| SortValue::text(&l.name)),
            Column::new("Region", |l: &LbRow| or_dash(&l.region))
                .sort(|l| SortValue::text(&l.region)),
            Column::new("Listens on", listener).sort(|l| SortValue::opt_number(l.port)),
            Column::new("Network", |l: &LbRow| or_dash(&l.network)),
            Column::new("Address", |l: &LbRow| or_dash(&l.vip)),
            Column::new("Floating IP", |l: &LbRow| or_dash(&l.floating_ip))
                .sort(|l| SortValue::text(&l.floating_ip)),
            Column::new("Members", |l: &LbRow| match &l.problem {
                Some(_) => view! { <span class="muted" title="Its details could not be read">"?"</span> }.into_any(),
                None => l.members.len().to_string().into_any(),
            })
            .sort(|l| SortValue::number(l.members.len() as i64)),
        ],
        search: Some(Search::new("Name, address or IP", |l| {
            format!("{} {} {} {}", l.name, l.id, l.vip, l.floating_ip)
        })),
        filters: vec![Filter::from_rows("region", "Region", "All regions", |l| {
            l.region.clone()
        })],
        row_id: |l| l.id.clone(),
    }
}

#[component]
pub fn LoadBalancersPage() -> impl IntoView {
    let refresh = Refresh::new();
    let (state, list) = paged_source(refresh, spec(), "", 0, lb_page);
    refetch_on_live(&kinds::LB, refresh);
    let viewer = Viewer::current();
    let create = match viewer.cannot(LBS) {
        None => view! { <a class="button primary" href="/load-balancers/new" id="create-lb">"Create load balancer"</a> }.into_any(),
        Some(why) => view! { <span class="disabled-reason" id="create-lb-locked">{why}</span> }.into_any(),
    };
    view! {
        <PageTitle text="Load balancers" />
        <div class="page-head">
            <h1>"Load balancers"</h1>
            {create}
        </div>
        <ResourceList
            id="lb"
            noun="load balancers"
            source=list.first
            live=list.live
            state
            spec=spec()
            row_attr="data-lb-id"
            sort=0
            loading="Loading load balancers…"
            empty="No load balancers yet. A load balancer spreads connections over VMs on one network, behind one address."
            empty_action=|| view! { <a class="button primary" href="/load-balancers/new">"Create a load balancer"</a> }
        />
    }
}

#[component]
pub fn LbCreatePage() -> impl IntoView {
    let options = Resource::new(|| (), |_| lb_create_options());
    view! {
        <PageTitle text="Create a load balancer" />
        <DetailBack back=BACK />
        <h1>"Create a load balancer"</h1>
        <Transition fallback=|| view! { <Loading label="Loading the choices…" /> }>
            {move || Suspend::new(async move {
                match options.await {
                    Ok(o) => view! { <CreateForm options=o /> }.into_any(),
                    Err(e) => view! { <ProblemNotice error=e what="load balancers" /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A labelled select of `choices` named `name`, its error below.
#[component]
fn Select(
    name: &'static str,
    id: &'static str,
    label: &'static str,
    #[prop(into)] choices: Signal<Vec<(String, String)>>,
    error: Signal<Option<String>>,
    #[prop(optional)] on_change: Option<Callback<String>>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = if hint.is_some() {
        format!("{hint_id} {error_id}")
    } else {
        error_id.clone()
    };
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id>{label}</label>
            <select id=id name=name
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=described
                on:change=move |ev| {
                    if let Some(cb) = on_change {
                        cb.run(event_target_value(&ev));
                    }
                }>
                {move || choices.get().into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
            </select>
            {hint.map(|h| view! { <p class="field-hint" id=hint_id.clone()>{h}</p> })}
            <p class="field-error" id=error_id aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

#[component]
fn CreateForm(options: LbCreateOptions) -> impl IntoView {
    let create = ServerAction::<LbCreateFn>::new();
    let error = action_error(create.value());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            let to = if id.is_empty() {
                "/load-balancers".to_owned()
            } else {
                format!("/load-balancers/{id}")
            };
            navigate(&to, Default::default());
        }
    });
    let first = options
        .regions
        .first()
        .map(|r| r.code.clone())
        .unwrap_or_default();
    let region = RwSignal::new(first);
    let regions: Vec<(String, String)> = options
        .regions
        .iter()
        .map(|r| (r.code.clone(), format!("{} ({})", r.name, r.code)))
        .collect();
    let nets = StoredValue::new(options.networks.clone());
    let networks = Signal::derive(move || {
        let r = region.get();
        nets.with_value(|n| {
            n.iter()
                .filter(|n| n.region == r)
                .map(|n| (n.id.clone(), format!("{} ({})", n.name, n.subnet)))
                .collect::<Vec<_>>()
        })
    });
    let quota = options.quota.map(|(held, limit)| {
        let text = match limit {
            Some(l) => format!("You have {held} of your {l} load balancers."),
            None => format!("You have {held} load balancers."),
        };
        view! { <p class="notice notice-info" id="lb-quota">{text}</p> }
    });
    let no_network = move || {
        networks.with(Vec::is_empty).then(|| {
            view! {
                <p class="notice notice-warning" id="lb-no-network">
                    "You have no network in this region to put a balancer on. "
                    <a href="/networks">"Create a network"</a>
                    " first."
                </p>
            }
        })
    };
    let fixed = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(k, l)| ((*k).to_owned(), (*l).to_owned()))
            .collect()
    };
    view! {
        {quota}
        <ActionForm action=create attr:novalidate=true attr:id="create-lb-form" attr:class="card">
            <FormAlert error fields=&["name", "region", "net_id", "method", "protocol", "port", "connection_limit"] />
            <Field name="lb[name]" label="Name" error=field_error(error, "name") autocomplete="off" />
            <Select name="lb[region]" id="field-lb-region" label="Region" choices=regions
                error=field_error(error, "region")
                on_change=Callback::new(move |r| region.set(r)) />
            <Select name="lb[net_id]" id="field-lb-network" label="Network" choices=networks
                error=field_error(error, "net_id")
                hint="Members are picked from the VMs on this network." />
            {no_network}
            <Select name="lb[method]" id="field-lb-method" label="Method" choices=fixed(LB_METHODS)
                error=field_error(error, "method") />
            <Select name="lb[protocol]" id="field-lb-protocol" label="Protocol" choices=fixed(LB_PROTOCOLS)
                error=field_error(error, "protocol") />
            <Field name="lb[port]" label="Port" value="80".to_owned() error=field_error(error, "port") autocomplete="off" hint="The port it listens on, and members' default port" />
            <Field name="lb[connection_limit]" label="Connection limit" required=false error=field_error(error, "connection_limit") autocomplete="off" hint="Empty: unlimited" />
            <p class="field-hint" id="lb-cost">{format!("Cost: {}.", lb_monthly())}</p>
            <SubmitButton label="Create load balancer" busy_label="Creating…" pending=create.pending() />
        </ActionForm>
    }
}

#[component]
pub fn LbDetailPage() -> impl IntoView {
    let refresh = Refresh::new();
    let source = DetailSource {
        back: BACK,
        read: lb_detail,
        loading: "Loading the load balancer…",
        missing: "This load balancer does not exist (any more). It may have been deleted.",
        what: "load balancers",
    };
    view! {
        <PageTitle text="Load balancer" />
        {detail_page(source, refresh, |d: &LbDetail, id| d.lb.id == id, move |d| view! { <LbView d refresh /> })}
    }
}

#[component]
fn LbView(d: Signal<LbDetail>, refresh: Refresh) -> impl IntoView {
    refetch_on_live(&kinds::LB, refresh);
    refetch_on_live(&kinds::VM, refresh);
    let viewer = Viewer::current();
    let cannot = viewer.cannot(LBS);
    let name = Memo::new(move |_| d.with(|d| d.lb.display_name().to_owned()));
    let id = d.with_untracked(|d| d.lb.id.clone());
    let done = refresh.callback();
    let navigate = use_navigate();
    let gone = Callback::new(move |_: ()| navigate("/load-balancers", Default::default()));
    let delete_reason = cannot.clone();
    view! {
        <DetailFrame
            back=BACK
            title=Signal::derive(move || name.get())
            title_id="lb-name"
            badge=move || view! { {move || d.with(|d| badge(&d.lb.status))} }
        >
            <Facts d />
            <Floating d cannot=cannot.clone() done />
            <Members d cannot=cannot.clone() done />
        </DetailFrame>
        {move || {
            let name = name.get();
            let id = id.clone();
            view! {
                <DangerConfirm
                    title="Delete this load balancer"
                    warning="Deleting stops the balancer at once. Its members keep running, and its floating IP stays on your account."
                    name=name
                    button="Delete load balancer"
                    run=move |typed: String| lb_delete(id.clone(), typed)
                    on_success=gone
                    reason=delete_reason.clone()
                />
            }
        }}
    }
}

#[component]
fn Facts(d: Signal<LbDetail>) -> impl IntoView {
    move || {
        let l = d.get().lb;
        view! {
            <Card title="Details">
                <dl class="facts">
                    <dt>"ID"</dt>
                    <dd><code>{l.id.clone()}</code></dd>
                    <dt>"Region"</dt>
                    <dd>{or_dash(&l.region)}</dd>
                    <dt>"Network"</dt>
                    <dd id="lb-network">{if l.network.is_empty() { or_dash(&l.net_id) } else { l.network.clone() }}</dd>
                    <dt>"Listens on"</dt>
                    <dd id="lb-listener">{listener(&l)}</dd>
                    <dt>"Method"</dt>
                    <dd>{method_label(&l.method)}</dd>
                    <dt>"Connection limit"</dt>
                    <dd>{limit_label(l.connection_limit)}</dd>
                    <dt>"Address in the network"</dt>
                    <dd id="lb-vip">{or_dash(&l.vip)}</dd>
                    <dt>"Floating IP"</dt>
                    <dd id="lb-floating">{if l.floating_ip.is_empty() { "None".to_owned() } else { l.floating_ip.clone() }}</dd>
                    <dt>"Estimated cost"</dt>
                    <dd>{lb_monthly()}</dd>
                </dl>
            </Card>
        }
    }
}

/// Put a floating IP in front: one of the caller's idle ones of the region, or a new one.
#[component]
fn Floating(d: Signal<LbDetail>, cannot: Option<String>, done: Callback<()>) -> impl IntoView {
    let id = d.with_untracked(|d| d.lb.id.clone());
    let error = RwSignal::new(None::<AppError>);
    let choices = Signal::derive(move || {
        let mut c = vec![(String::new(), "A new address (allocated now)".to_owned())];
        d.with(|d| c.extend(d.floating.iter().map(|ip| (ip.clone(), ip.clone()))));
        c
    });
    let title = Signal::derive(move || {
        d.with(|d| {
            if d.lb.floating_ip.is_empty() {
                "Floating IP".to_owned()
            } else {
                format!("Floating IP: {}", d.lb.floating_ip)
            }
        })
    });
    view! {
        <Card title="Floating IP" id="lb-floating-card">
            <p class="muted">{move || {
                if title.get() == "Floating IP" {
                    "Put a public address in front of the balancer.".to_owned()
                } else {
                    "Associating another address replaces this one; the old one stays on your account.".to_owned()
                }
            }}</p>
            <ChoiceAction
                id="lb-associate"
                label="Address"
                choices
                none=Signal::derive(String::new)
                button="Associate"
                pending_label="Associating…"
                success="Floating IP associated."
                reason=cannot
                run=move |ip: String| {
                    let id = id.clone();
                    async move { keep_error(error, lb_associate(id, ip).await) }
                }
                on_done=done
                error=Signal::derive(move || error.get().and_then(|e| e.field("ip")))
            />
        </Card>
    }
}

#[component]
fn Members(d: Signal<LbDetail>, cannot: Option<String>, done: Callback<()>) -> impl IntoView {
    let id = d.with_untracked(|d| d.lb.id.clone());
    let error = RwSignal::new(None::<AppError>);
    let default_port = d.with_untracked(|d| d.lb.port.map(|p| p.to_string()).unwrap_or_default());
    let port = RwSignal::new(default_port);
    let choices = Signal::derive(move || {
        d.with(|d| {
            d.candidates
                .iter()
                .map(|c| (c.vm_id.clone(), format!("{} ({})", c.name, c.address)))
                .collect::<Vec<_>>()
        })
    });
    let none = Signal::derive(move || {
        d.with(|d| {
            format!(
                "None of your VMs on {} is outside the balancer: create a VM on that network first.",
                if d.lb.network.is_empty() { "its network" } else { d.lb.network.as_str() }
            )
        })
    });
    let remove_reason = cannot.clone();
    let add_id = id.clone();
    view! {
        <Card title="Members" id="lb-members" wide=true>
            {move || {
                let members = d.with(|d| d.lb.members.clone());
                if members.is_empty() {
                    return view! { <p class="empty">"No members yet: add VMs on the balancer's network below."</p> }.into_any();
                }
                let (id, reason) = (id.clone(), remove_reason.clone());
                view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label="Members of this load balancer">
                        <table class="data" id="lb-member-table">
                            <thead>
                                <tr>
                                    <th scope="col">"VM"</th>
                                    <th scope="col">"Address"</th>
                                    <th scope="col">"Port"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                {members.into_iter().map(|m| {
                                    let vm = match m.vm.as_ref().and_then(|h| h.href().map(|href| (href, h.name.clone()))) {
                                        Some((href, name)) => view! { <a href=href>{name}</a> }.into_any(),
                                        None => view! { <span class="muted">{m.vm.as_ref().map_or("Unknown".to_owned(), |h| h.name.clone())}</span> }.into_any(),
                                    };
                                    let (lb, member) = (id.clone(), m.id.clone());
                                    view! {
                                        <tr data-member-id=m.id.clone()>
                                            <td>{vm}</td>
                                            <td><code>{m.ip.clone()}</code></td>
                                            <td>{m.port.map_or_else(|| "–".to_owned(), |p| p.to_string())}</td>
                                            <td>{badge(&m.status)}</td>
                                            <td class="actions">
                                                <ActionButton
                                                    id=format!("member-remove-{}", m.id)
                                                    label="Remove"
                                                    pending_label="Removing…"
                                                    class="button subtle small danger"
                                                    run=move || lb_member_remove(lb.clone(), member.clone())
                                                    success="Member removed."
                                                    reason=reason.clone()
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
            }}
            <h3>"Add a member"</h3>
            <ChoiceAction
                id="lb-member-add"
                label="VM"
                choices
                none
                button="Add member"
                pending_label="Adding…"
                success="Member added."
                reason=cannot
                run=move |vm: String| {
                    let (id, port) = (add_id.clone(), port.get_untracked());
                    async move { keep_error(error, lb_member_add(id, vm, port).await) }
                }
                on_done=done
                error=Signal::derive(move || error.get().and_then(|e| e.field("vm_id")))
            >
                <label class="inline-field">
                    <span>"Port"</span>
                    <input id="lb-member-port" name="port" inputmode="numeric" size="6"
                        prop:value=move || port.get()
                        on:input=move |ev| port.set(event_target_value(&ev)) />
                </label>
            </ChoiceAction>
            <p class="field-error" id="lb-member-port-error" aria-live="polite">{move || error.get().and_then(|e| e.field("port"))}</p>
        </Card>
    }
}
