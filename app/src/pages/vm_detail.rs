//! `/vms/:id`: one VM — everything `vm/info` says, its addresses and IPs, usage graphs, and
//! every action, each enabled only in the states where it makes sense. The status follows
//! the shared live stream; the details are re-read whenever it changes.

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::detail::{detail_page, DetailBack, DetailSource};
use crate::components::form::action_error;
use crate::components::list::Refresh;
use crate::components::live::{load_in_browser, use_live_vms, StatusBadge};
use crate::components::shell::{ErrorNotice, Loading};
use crate::error::AppError;
use crate::pages::format::{opt, ram, usd, usd_delta};
use crate::pages::vm_security_groups::VmSecurityGroups;
use crate::pages::vm_volumes::VmVolumes;
use crate::vm::{
    vm_create_options, vm_detail, vm_usage, PowerOp, UsageKey, UsagePoint, VmDeleteFn, VmDetail,
    VmFairshareFn, VmFloatingAddFn, VmFloatingDeleteFn, VmIpAddFn, VmIpDeleteFn, VmLoginFn,
    VmPhase, VmPowerFn, VmReimageFn, VmRenameFn, VmResizeFn, VmSnapshotFn, VmVncFn,
};

const POWER_OPS: &[PowerOp] = &[
    PowerOp::Start,
    PowerOp::Stop,
    PowerOp::Reboot,
    PowerOp::Shelve,
    PowerOp::Unshelve,
    PowerOp::Rescue,
    PowerOp::Diskswap,
];

/// What the live row says of this VM: status, task state, raw state.
type LiveStatus = (Option<String>, String, String);

#[component]
pub fn VmDetailPage() -> impl IntoView {
    let refresh = Refresh::new();
    let source = DetailSource {
        back: ("/vms", "Virtual machines"),
        read: vm_detail,
        loading: "Loading the VM…",
        missing: "This VM does not exist (any more). It may have been deleted.",
        what: "VMs",
    };
    view! {
        // Until the VM's own name replaces it (also when it does not exist).
        <PageTitle text="Virtual machine" />
        {detail_page(source, refresh, |d: &VmDetail, id| d.vm_id == id, move |d| view! { <VmView d refresh /> })}
    }
}

/// The VM's page, rendered once: its parts follow the data, so a status change (the live
/// stream) re-reads the details without losing what is typed in any card or a card's result.
#[component]
fn VmView(d: Signal<VmDetail>, refresh: Refresh) -> impl IntoView {
    let vm_id = d.with_untracked(|d| d.vm_id.clone());
    let live = use_live_vms();
    // The live status of this VM; the details are re-read whenever it changes.
    let live_status = {
        let vm_id = vm_id.clone();
        Memo::new(move |_| {
            live.with(|s| {
                s.as_ref().and_then(|s| {
                    s.vms
                        .iter()
                        .find(|v| v.vm_id == vm_id)
                        .map(|v| (v.status.clone(), v.task_state.clone(), v.status_raw.clone()))
                })
            })
        })
    };
    Effect::new(move |prev: Option<Option<LiveStatus>>| {
        let now = live_status.get();
        if let Some(Some(_)) = &prev {
            if prev.as_ref() != Some(&now) {
                refresh.bump();
            }
        }
        now
    });
    // The live row's status when it has one, else the details'.
    let now = Memo::new(move |_| {
        live_status
            .get()
            .and_then(|(s, task, raw)| s.map(|s| (s, raw, task)))
            .unwrap_or_else(|| {
                d.with(|d| (d.status.clone(), d.status_raw.clone(), d.task_state.clone()))
            })
    });
    let status = Signal::derive(move || Some(now.get().0));
    let phase = Signal::derive(move || now.with(|(s, raw, task)| VmPhase::of(s, raw, task)));
    let hostname = Memo::new(move |_| d.with(|d| d.hostname.clone()));
    let can_diskswap = Memo::new(move |_| d.with(|d| d.can_diskswap));
    let region = d.with_untracked(|d| d.region.clone());
    let has_login = d.with_untracked(|d| d.has_login_details);
    let login_hidden = d.with_untracked(|d| d.login_details_hidden);
    let done = refresh.callback();
    let power = ServerAction::<VmPowerFn>::new();
    let power_error = action_error(power.value());
    let busy = move || power.pending().get();
    Effect::new(move |_| {
        if let Some(Ok(())) = power.value().get() {
            refresh.bump();
        }
    });
    let buttons = {
        let vm_id = vm_id.clone();
        POWER_OPS
            .iter()
            .copied()
            .map(|op| {
                let vm_id = vm_id.clone();
                view! {
                    <button
                        type="button"
                        class="button"
                        data-op=op.label()
                        hidden=move || op == PowerOp::Diskswap && !can_diskswap.get()
                        disabled=move || busy() || !op.allowed_in(Some(phase.get()))
                        on:click=move |_| {
                            power.dispatch(VmPowerFn { vm_id: vm_id.clone(), op });
                        }
                    >
                        {op.label()}
                    </button>
                }
            })
            .collect_view()
    };
    let delete_id = vm_id.clone();
    view! {
        <PageTitle text=move || hostname.get() />
        <DetailBack back=("/vms", "Virtual machines") />
        <div class="page-head">
            <h1 id="vm-hostname">{move || hostname.get()}</h1>
            <StatusBadge status />
        </div>
        <div class="toolbar" role="group" aria-label="Power and state">
            {buttons}
            <ConsoleButton vm_id=vm_id.clone() />
        </div>
        <p class="muted" aria-live="polite">
            {move || busy().then_some("Sending the request…")}
        </p>
        <ErrorOf error=power_error />
        // Details beside the addresses, the address table (four columns, long IPv6 addresses)
        // given the larger share of the width.
        <div class="cards vm-cards">
            {move || view! { <Facts d=d.get() /> }}
            <Addresses d refresh=done />
        </div>
        {(!login_hidden).then(|| view! { <LoginDetails vm_id=vm_id.clone() available=has_login /> })}
        <VmVolumes vm_id=vm_id.clone() region />
        <VmSecurityGroups vm_id=vm_id.clone() />
        <crate::pages::dns_more::PublishDnsCard vm_id=vm_id.clone() />
        <crate::pages::monitoring::MonitorVmCard vm_id=vm_id.clone() />
        <UsageGraphs vm_id=vm_id.clone() />
        <Manage d refresh=done />
        // Re-rendered only by a rename (the name to type follows it).
        {move || view! { <DeleteVmCard vm_id=delete_id.clone() hostname=hostname.get() /> }}
    }
    .into_any()
}

#[component]
fn ErrorOf(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error
            .get()
            .map(|e| view! { <ErrorNotice message=e.to_string() /> })
    }
}

#[component]
fn ConsoleButton(vm_id: String) -> impl IntoView {
    let vnc = ServerAction::<VmVncFn>::new();
    // Only a plain https address becomes a link (the server checks it too).
    let url = move || {
        vnc.value()
            .get()
            .and_then(Result::ok)
            .filter(|u| crate::validate::is_https_url(u))
    };
    view! {
        <button
            type="button"
            class="button"
            id="vm-console"
            disabled=move || vnc.pending().get()
            on:click=move |_| {
                vnc.dispatch(VmVncFn { vm_id: vm_id.clone() });
            }
        >
            "Console"
        </button>
        {move || {
            url()
                .map(|u| {
                    view! {
                        <a class="button primary" href=u target="_blank" rel="noopener noreferrer">
                            "Open the console ↗"
                        </a>
                    }
                })
        }}
        <ErrorOf error=action_error(vnc.value()) />
    }
    .into_any()
}

#[component]
fn Facts(d: VmDetail) -> impl IntoView {
    let bandwidth = match (d.bandwidth_used_gb, d.bandwidth_gb) {
        (Some(used), Some(total)) => format!("{used:.2} GB of {total} GB this month"),
        (Some(used), None) => format!("{used:.2} GB this month"),
        (None, Some(total)) => format!("{total} GB allowance"),
        (None, None) => "–".into(),
    };
    view! {
        <section class="card">
            <h2>"Details"</h2>
            <dl class="facts">
                <dt>"VM ID"</dt>
                <dd><code>{d.vm_id.clone()}</code></dd>
                <dt>"Plan"</dt>
                <dd>{d.plan_name.clone()}</dd>
                <dt>"vCPU / RAM / Disk"</dt>
                <dd>{format!("{} / {} / {}", opt(d.vcpu, ""), ram(d.ram_mb), opt(d.disk_gb, " GB"))}</dd>
                <dt>"Region"</dt>
                <dd>{d.region.clone()}</dd>
                <dt>"Operating system"</dt>
                <dd>{if d.os.is_empty() { "–".to_owned() } else { d.os.clone() }}</dd>
                <dt>"State"</dt>
                <dd>
                    {d.status_raw.clone()}
                    {(!d.task_state.is_empty()).then(|| format!(" ({})", d.task_state))}
                </dd>
                <dt>"Bandwidth"</dt>
                <dd>{bandwidth}</dd>
                <dt>"Volumes"</dt>
                <dd>
                    {if d.volumes.is_empty() {
                        "None".to_owned()
                    } else {
                        d.volumes.iter().map(|v| format!("{} ({})", v.name, v.id)).collect::<Vec<_>>().join(", ")
                    }}
                </dd>
            </dl>
        </section>
    }
    .into_any()
}

#[component]
fn Addresses(d: Signal<VmDetail>, refresh: Callback<()>) -> impl IntoView {
    let vm_ip_add = ServerAction::<VmIpAddFn>::new();
    let vm_ip_delete = ServerAction::<VmIpDeleteFn>::new();
    let vm_floating_add = ServerAction::<VmFloatingAddFn>::new();
    let vm_floating_delete = ServerAction::<VmFloatingDeleteFn>::new();
    let keep = RwSignal::new(true);
    Effect::new(move |_| {
        let done = matches!(vm_ip_add.value().get(), Some(Ok(_)))
            || matches!(vm_ip_delete.value().get(), Some(Ok(())))
            || matches!(vm_floating_add.value().get(), Some(Ok(_)))
            || matches!(vm_floating_delete.value().get(), Some(Ok(())));
        if done {
            refresh.run(());
        }
    });
    // The table and lists follow the data; the actions (and their errors) stay.
    let body = move || {
        let d = d.get();
        let vm_id = d.vm_id.clone();
        let addresses = d
            .addresses
            .iter()
            .map(|a| {
                view! {
                    <tr>
                        <td><code>{a.addr.clone()}</code></td>
                        <td>{a.version.map_or("–".to_owned(), |v| format!("IPv{v}"))}</td>
                        <td>{if a.external { "Public" } else { "Private" }}</td>
                        <td>{a.reverse.clone().unwrap_or_else(|| "–".into())}</td>
                    </tr>
                }
            })
            .collect_view();
        let private_ips = {
            let vm_id = vm_id.clone();
            d.ips
                .iter()
                .filter(|i| i.kind != "floating")
                .map(|i| {
                    let (vm_id, ip) = (vm_id.clone(), i.ip.clone());
                    view! {
                        <li>
                            <code>{i.ip.clone()}</code>
                            " "
                            <span class="muted">{i.kind.clone()}</span>
                            " "
                            <button
                                type="button"
                                class="button subtle small"
                                disabled=move || vm_ip_delete.pending().get()
                                on:click=move |_| {
                                    vm_ip_delete.dispatch(VmIpDeleteFn {
                                        vm_id: vm_id.clone(),
                                        address: ip.clone(),
                                    });
                                }
                            >
                                "Remove"
                            </button>
                        </li>
                    }
                })
                .collect_view()
        };
        let has_floating = !d.floating_ips.is_empty();
        let network = match &d.network {
            None => "–".into_any(),
            Some(n) => {
                let text = format!("{} ({})", n.name, n.subnet);
                if n.id.is_empty() {
                    text.into_any()
                } else {
                    view! { <a href="/networks">{text}</a> }.into_any()
                }
            }
        };
        let balancers = if d.load_balancers.is_empty() {
            "None".into_any()
        } else {
            d.load_balancers
            .iter()
            .map(|l| view! { <a href=format!("/load-balancers/{}", l.id)>{l.name.clone()}</a>" " })
            .collect_view()
            .into_any()
        };
        let (vm_a, vm_b, vm_c) = (vm_id.clone(), vm_id.clone(), vm_id.clone());
        view! {
                <div class="table-wrap" tabindex="0" role="region" aria-label="Addresses">
                    <table class="data">
                        <thead>
                            <tr>
                                <th scope="col">"Address"</th>
                                <th scope="col">"Version"</th>
                                <th scope="col">"Kind"</th>
                                <th scope="col">"Reverse DNS"</th>
                            </tr>
                        </thead>
                        <tbody>{addresses}</tbody>
                    </table>
                </div>
                <dl class="facts">
                    <dt>"Primary IP"</dt>
                    <dd>{if d.ip.is_empty() { "–".to_owned() } else { d.ip.clone() }}</dd>
                    <dt>"Private IP"</dt>
                    <dd>{if d.private_ip.is_empty() { "–".to_owned() } else { d.private_ip.clone() }}</dd>
                    <dt>"Extra public IPs"</dt>
                    <dd>{if d.additional_ips.is_empty() { "None".to_owned() } else { d.additional_ips.join(", ") }}</dd>
                    <dt>"Extra private IPs"</dt>
                    <dd>{if d.additional_private_ips.is_empty() { "None".to_owned() } else { d.additional_private_ips.join(", ") }}</dd>
                    <dt>"IPv6"</dt>
                    <dd>{if d.ipv6.is_empty() { "None".to_owned() } else { d.ipv6.join(", ") }}</dd>
                    <dt>"Floating IPs"</dt>
                    <dd id="vm-floating">{if has_floating { d.floating_ips.join(", ") } else { "None".to_owned() }}</dd>
                    <dt>"Network"</dt>
                    <dd id="vm-network">{network}</dd>
                    <dt>"Load balancers"</dt>
                    <dd id="vm-lbs">{balancers}</dd>
                </dl>
                <h3>"Private IPs"</h3>
                <ul class="plain">{private_ips}</ul>
                <div class="toolbar">
                    <button
                        type="button"
                        class="button"
                        disabled=move || vm_ip_add.pending().get()
                        on:click=move |_| {
                            vm_ip_add.dispatch(VmIpAddFn { vm_id: vm_a.clone() });
                        }
                    >
                        "Add private IP"
                    </button>
                    {if has_floating {
                        view! {
                            <label class="check">
                                <input
                                    type="checkbox"
                                    prop:checked=move || keep.get()
                                    on:change=move |ev| keep.set(event_target_checked(&ev))
                                />
                                "Keep the address on the account"
                            </label>
                            <button
                                type="button"
                                class="button"
                                id="floating-detach"
                                disabled=move || vm_floating_delete.pending().get()
                                on:click=move |_| {
                                    vm_floating_delete.dispatch(VmFloatingDeleteFn { vm_id: vm_b.clone(), keep: keep.get_untracked() });
                                }
                            >
                                "Detach floating IP"
                            </button>
                        }
                        .into_any()
                    } else {
                        view! {
                            <button
                                type="button"
                                class="button"
                                id="floating-attach"
                                disabled=move || vm_floating_add.pending().get()
                                on:click=move |_| {
                                    vm_floating_add.dispatch(VmFloatingAddFn { vm_id: vm_c.clone(), ip: String::new() });
                                }
                            >
                                "Attach a new floating IP"
                            </button>
                        }
                        .into_any()
                    }}
                </div>
        }
    };
    view! {
        <section class="card">
            <h2>"Addresses"</h2>
            {body}
            <ErrorOf error=action_error(vm_ip_add.value()) />
            <ErrorOf error=action_error(vm_ip_delete.value()) />
            <ErrorOf error=action_error(vm_floating_add.value()) />
            <ErrorOf error=action_error(vm_floating_delete.value()) />
        </section>
    }
    .into_any()
}

#[component]
fn LoginDetails(vm_id: String, available: bool) -> impl IntoView {
    let login = ServerAction::<VmLoginFn>::new();
    let shown = move || login.value().get().and_then(Result::ok);
    view! {
        <section class="card">
            <h2>"Login details"</h2>
            {if available {
                view! {
                    <p>"The initial login is fetched only when you ask, and is not stored by the panel."</p>
                    <button
                        type="button"
                        class="button"
                        id="reveal-login"
                        disabled=move || login.pending().get()
                        on:click=move |_| {
                            login.dispatch(VmLoginFn { vm_id: vm_id.clone() });
                        }
                    >
                        "Show login details"
                    </button>
                    {move || shown().map(|l| view! { <pre class="secret" id="login-details">{l.unwrap_or_else(|| "None".into())}</pre> })}
                    <ErrorOf error=action_error(login.value()) />
                }
                .into_any()
            } else {
                view! { <p class="muted">"This VM has no password login (SSH keys only, or an ISO install)."</p> }.into_any()
            }}
        </section>
    }
}

/// A small line chart of one or two series.
#[component]
fn Chart(
    points: Vec<UsagePoint>,
    label_a: &'static str,
    label_b: Option<&'static str>,
    unit: &'static str,
) -> impl IntoView {
    const W: f64 = 320.0;
    const H: f64 = 80.0;
    if points.is_empty() {
        return view! { <p class="muted">"No data yet."</p> }.into_any();
    }
    let max = points
        .iter()
        .flat_map(|p| [p.a, p.b.unwrap_or(0.0)])
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let (t0, t1) = (points[0].t, points[points.len() - 1].t.max(points[0].t + 1));
    let x = |t: i64| (t - t0) as f64 / (t1 - t0) as f64 * W;
    let y = |v: f64| H - v / max * (H - 4.0) - 2.0;
    let line_a: String = points
        .iter()
        .map(|p| format!("{:.1},{:.1} ", x(p.t), y(p.a)))
        .collect();
    let line_b: Option<String> = label_b.map(|_| {
        points
            .iter()
            .map(|p| format!("{:.1},{:.1} ", x(p.t), y(p.b.unwrap_or(0.0))))
            .collect()
    });
    let last = &points[points.len() - 1];
    let summary = match (label_b, last.b) {
        (Some(lb), Some(b)) => format!(
            "Latest: {label_a} {:.2}{unit}, {lb} {b:.2}{unit}; peak {max:.2}{unit}",
            last.a
        ),
        _ => format!("Latest: {label_a} {:.2}{unit}; peak {max:.2}{unit}", last.a),
    };
    view! {
        <svg class="chart" viewBox=format!("0 0 {W} {H}") role="img" aria-label=summary.clone()>
            <polyline class="series-a" fill="none" points=line_a />
            {line_b.map(|l| view! { <polyline class="series-b" fill="none" points=l /> })}
        </svg>
        <p class="muted small">{summary}</p>
    }
    .into_any()
}

#[component]
fn UsageGraphs(vm_id: String) -> impl IntoView {
    // Graphs load in the browser after hydration: the server renders "Loading…", and so
    // does the first client render, so the two always match.
    let load = |key: UsageKey| {
        let id = vm_id.clone();
        load_in_browser(move || vm_usage(id.clone(), key))
    };
    let (bw, cpu, io) = (
        load(UsageKey::Bandwidth),
        load(UsageKey::Cpu),
        load(UsageKey::Io),
    );
    let graph = move |r: Signal<Option<Result<Vec<UsagePoint>, AppError>>>,
                      a: &'static str,
                      b: Option<&'static str>,
                      unit: &'static str| {
        move || match r.get() {
            None => view! { <Loading label="Loading…" /> }.into_any(),
            Some(Ok(points)) => view! { <Chart points label_a=a label_b=b unit /> }.into_any(),
            Some(Err(e)) => view! { <p class="muted">{e.to_string()}</p> }.into_any(),
        }
    };
    view! {
        <section class="card">
            <h2>"Usage"</h2>
            <div class="charts">
                <figure>
                    <figcaption>"Network (bytes/s in, out)"</figcaption>
                    {graph(bw, "in", Some("out"), " B/s")}
                </figure>
                <figure>
                    <figcaption>"CPU (%)"</figcaption>
                    {graph(cpu, "CPU", None, "%")}
                </figure>
                <figure>
                    <figcaption>"Disk IO (read, write)"</figcaption>
                    {graph(io, "read", Some("write"), "")}
                </figure>
            </div>
        </section>
    }
    .into_any()
}

/// Rename, resize (with the price difference), re-image, snapshot.
#[component]
fn Manage(d: Signal<VmDetail>, refresh: Callback<()>) -> impl IntoView {
    // The plan follows a resize (the price differences with it); the rest is fixed.
    let current_plan = Memo::new(move |_| d.with(|d| d.plan_id.clone()));
    let d = d.get_untracked();
    let open = RwSignal::new(false);
    // Fetched in the browser when the section is first opened (never while rendering on the
    // server, so hydration always meets the same closed section).
    let (options, set_options) = signal(None::<Result<crate::vm::CreateOptions, AppError>>);
    Effect::new(move |fetched: Option<bool>| {
        let fetched = fetched.unwrap_or(false);
        if open.get() && !fetched {
            leptos::task::spawn_local(async move {
                set_options.set(Some(vm_create_options().await));
            });
            return true;
        }
        fetched
    });
    let rename = ServerAction::<VmRenameFn>::new();
    let resize = ServerAction::<VmResizeFn>::new();
    let reimage = ServerAction::<VmReimageFn>::new();
    let snapshot = ServerAction::<VmSnapshotFn>::new();
    let fairshare = ServerAction::<VmFairshareFn>::new();
    let charge = RwSignal::new(false);
    let no_lend = RwSignal::new(false);
    let id6 = d.vm_id.clone();
    Effect::new(move |_| {
        let done = matches!(rename.value().get(), Some(Ok(())))
            || matches!(resize.value().get(), Some(Ok(())))
            || matches!(reimage.value().get(), Some(Ok(())));
        if done {
            refresh.run(());
        }
    });
    let new_name = RwSignal::new(d.hostname.clone());
    let plan_choice = RwSignal::new(String::new());
    let image_choice = RwSignal::new(String::new());
    let reimage_confirm = RwSignal::new(String::new());
    let snap_name = RwSignal::new(format!("{}-snapshot", d.hostname));
    let vm_id = d.vm_id.clone();
    let region = d.region.clone();
    let (id1, id2, id3, id4) = (vm_id.clone(), vm_id.clone(), vm_id.clone(), vm_id.clone());
    view! {
        <section class="card">
            <h2>"Change this VM"</h2>
            <form class="inline-form" on:submit=move |ev| {
                ev.prevent_default();
                rename.dispatch(VmRenameFn { vm_id: id1.clone(), hostname: new_name.get_untracked() });
            }>
                <label class="inline-field">
                    <span>"Hostname"</span>
                    <input id="rename-hostname" name="hostname" prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="button" id="rename-submit" disabled=move || rename.pending().get()>"Rename"</button>
                <ErrorOf error=action_error(rename.value()) />
                <p class="notice notice-success" role="status" hidden=move || !matches!(rename.value().get(), Some(Ok(())))>"Renamed."</p>
            </form>
            <form class="inline-form" on:submit=move |ev| {
                ev.prevent_default();
                fairshare.dispatch(VmFairshareFn { vm_id: id6.clone(), charge_for_cpu: charge.get_untracked(), no_lend: no_lend.get_untracked() });
            }>
                <label class="check">
                    <input type="checkbox" prop:checked=move || charge.get() on:change=move |ev| charge.set(event_target_checked(&ev)) />
                    "Charge for CPU above the plan's share"
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=move || no_lend.get() on:change=move |ev| no_lend.set(event_target_checked(&ev)) />
                    "Do not lend idle CPU to others"
                </label>
                <button type="submit" class="button" disabled=move || fairshare.pending().get()>"Set CPU fair-share"</button>
                <p class="notice notice-success" role="status" hidden=move || !matches!(fairshare.value().get(), Some(Ok(())))>"Fair-share settings saved."</p>
                <ErrorOf error=action_error(fairshare.value()) />
            </form>
            <details on:toggle=move |_| open.set(true)>
                <summary>"Resize, re-image and snapshot"</summary>
                    {
                        let region = region.clone();
                        let (id2, id3, id4) = (id2.clone(), id3.clone(), id4.clone());
                        move || {
                            let region = region.clone();
                            let current_plan = current_plan.get();
                            let (id2, id3, id4) = (id2.clone(), id3.clone(), id4.clone());
                            {
                                let Some(result) = options.get() else {
                                    return view! { <Loading label="Loading plans and images…" /> }.into_any();
                                };
                                let o = match result {
                                    Ok(o) => o,
                                    Err(e) => return view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                                };
                                let current = o.plans.iter().find(|p| p.plan_id == current_plan || p.name == current_plan).map(|p| p.monthly()).unwrap_or(0.0);
                                let plans = o.plans.clone();
                                let plan_opts = o.plans.iter().map(|p| {
                                    let delta = usd_delta(p.monthly() - current);
                                    view! { <option value=p.plan_id.clone()>{format!("{} — {} vCPU, {}, {} GB — {}/month ({delta})", p.name, p.vcpu, ram(Some(p.ram_mb)), p.disk_gb, usd(p.monthly()))}</option> }
                                }).collect_view();
                                let image_opts = o.images.iter().filter(|i| i.region == region).map(|i| view! { <option value=i.image_id.clone()>{i.name.clone()}</option> }).collect_view();
                                let price_note = move || {
                                    let choice = plan_choice.get();
                                    plans.iter().find(|p| p.plan_id == choice).map(|p| format!("New price {}/month ({} per month)", usd(p.monthly()), usd_delta(p.monthly() - current)))
                                };
                                view! {
                                    <form class="inline-form" on:submit=move |ev| {
                                        ev.prevent_default();
                                        resize.dispatch(VmResizeFn { vm_id: id2.clone(), plan_id: plan_choice.get_untracked() });
                                    }>
                                        <label class="inline-field">
                                            <span>"New plan"</span>
                                            <select id="resize-plan" on:change=move |ev| plan_choice.set(event_target_value(&ev))>
                                                <option value="">"Choose a plan"</option>
                                                {plan_opts}
                                            </select>
                                        </label>
                                        <button type="submit" class="button" disabled=move || resize.pending().get() || plan_choice.get().is_empty()>"Resize"</button>
                                        <p class="muted" aria-live="polite">{price_note}</p>
                                        <ErrorOf error=action_error(resize.value()) />
                                    </form>
                                    <form class="inline-form" on:submit=move |ev| {
                                        ev.prevent_default();
                                        reimage.dispatch(VmReimageFn { vm_id: id3.clone(), image_id: image_choice.get_untracked(), confirm: reimage_confirm.get_untracked() });
                                    }>
                                        <label class="inline-field">
                                            <span>"Re-install from"</span>
                                            <select on:change=move |ev| image_choice.set(event_target_value(&ev))>
                                                <option value="">"Choose an image"</option>
                                                {image_opts}
                                            </select>
                                        </label>
                                        <label class="inline-field">
                                            <span>"Type the hostname to confirm (the disk is erased)"</span>
                                            <input prop:value=move || reimage_confirm.get() on:input=move |ev| reimage_confirm.set(event_target_value(&ev)) />
                                        </label>
                                        <button type="submit" class="button danger" disabled=move || reimage.pending().get()>"Re-image"</button>
                                        <ErrorOf error=action_error(reimage.value()) />
                                    </form>
                                    <form class="inline-form" on:submit=move |ev| {
                                        ev.prevent_default();
                                        snapshot.dispatch(VmSnapshotFn { vm_id: id4.clone(), name: snap_name.get_untracked() });
                                    }>
                                        <label class="inline-field">
                                            <span>"Snapshot name"</span>
                                            <input prop:value=move || snap_name.get() on:input=move |ev| snap_name.set(event_target_value(&ev)) />
                                        </label>
                                        <button type="submit" class="button" disabled=move || snapshot.pending().get()>"Take snapshot"</button>
                                        {move || snapshot.value().get().and_then(Result::ok).map(|id| view! { <p class="notice notice-success" role="status">{if id.is_empty() { "The snapshot image is being saved.".to_owned() } else { format!("Snapshot image {id} is being saved.") }}</p> })}
                                        <ErrorOf error=action_error(snapshot.value()) />
                                    </form>
                                }
                                .into_any()
                            }
                        }
                    }
            </details>
        </section>
    }
    .into_any()
}

#[component]
fn DeleteVmCard(vm_id: String, hostname: String) -> impl IntoView {
    let delete = ServerAction::<VmDeleteFn>::new();
    let confirm = RwSignal::new(String::new());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            navigate("/vms", Default::default());
        }
    });
    let matches = {
        let hostname = hostname.clone();
        move || confirm.get().trim() == hostname
    };
    let field_error = move || {
        delete
            .value()
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.field("confirm"))
    };
    let other_error = Signal::derive(move || {
        delete
            .value()
            .get()
            .and_then(|r| r.err())
            .filter(|e| e.field("confirm").is_none())
    });
    view! {
        <section class="card danger-zone">
            <h2>"Delete this VM"</h2>
            <p>"Deleting erases the VM and its disk. This cannot be undone."</p>
            <form class="inline-form" on:submit=move |ev| {
                ev.prevent_default();
                delete.dispatch(VmDeleteFn { vm_id: vm_id.clone(), confirm: confirm.get_untracked() });
            }>
                <label class="inline-field">
                    <span>{format!("Type {hostname} to confirm")}</span>
                    <input id="delete-confirm" autocomplete="off" aria-invalid=move || field_error().is_some().to_string() prop:value=move || confirm.get() on:input=move |ev| confirm.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="button danger" id="delete-vm" disabled=move || delete.pending().get() || !matches()>
                    {move || if delete.pending().get() { "Deleting…" } else { "Delete VM" }}
                </button>
                <p class="field-error" aria-live="polite">{field_error}</p>
                <ErrorOf error=other_error />
            </form>
        </section>
    }
    .into_any()
}
