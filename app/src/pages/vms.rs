//! `/vms`: every VM of the account with its live status; search, filter by region and
//! status, sort by any column. Rendered on the server, then kept current by the shared
//! live-status stream (no reload, no per-tab polling).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::live::{use_live_vms, StatusBadge};
use crate::components::shell::{ErrorNotice, Loading};
use crate::error::AppError;
use crate::pages::format::{opt, ram};
use crate::vm::{vm_list, VmListing, VmPhase, VmRow};

/// The status filter's value for a phase.
fn phase_key(p: VmPhase) -> &'static str {
    match p {
        VmPhase::Running => "running",
        VmPhase::Stopped => "stopped",
        VmPhase::Shelved => "shelved",
        VmPhase::Rescue => "rescue",
        VmPhase::Error => "error",
        VmPhase::Changing => "busy",
        VmPhase::Unknown => "other",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    Name,
    Status,
    Region,
    Plan,
    Ram,
    Ip,
}

impl SortKey {
    fn parse(s: &str) -> Self {
        match s {
            "status" => SortKey::Status,
            "region" => SortKey::Region,
            "plan" => SortKey::Plan,
            "ram" => SortKey::Ram,
            "ip" => SortKey::Ip,
            _ => SortKey::Name,
        }
    }
}

/// The rows to show: `search` matches name, id and addresses; `status` is `""` (all) or a
/// [`VmPhase`] as `phase_key` names it (the status words themselves vary upstream).
fn visible(
    vms: &[VmRow],
    search: &str,
    region: &str,
    status: &str,
    key: SortKey,
    desc: bool,
) -> Vec<VmRow> {
    let needle = search.trim().to_lowercase();
    let mut rows: Vec<VmRow> = vms
        .iter()
        .filter(|v| {
            needle.is_empty()
                || v.name.to_lowercase().contains(&needle)
                || v.vm_id.to_lowercase().contains(&needle)
                || v.ip.contains(&needle)
                || v.private_ip.contains(&needle)
        })
        .filter(|v| region.is_empty() || v.region == region)
        .filter(|v| match status {
            "" => true,
            s => v.phase().map(phase_key) == Some(s),
        })
        .cloned()
        .collect();
    rows.sort_by(|a, b| {
        let o = match key {
            SortKey::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            SortKey::Status => a.status.cmp(&b.status),
            SortKey::Region => a.region.cmp(&b.region),
            SortKey::Plan => a.plan_name.cmp(&b.plan_name),
            SortKey::Ram => a.ram_mb.cmp(&b.ram_mb),
            SortKey::Ip => a.ip.cmp(&b.ip),
        }
        .then_with(|| a.name.cmp(&b.name));
        if desc {
            o.reverse()
        } else {
            o
        }
    });
    rows
}

/// What to say when the VM list cannot be shown.
#[component]
pub fn UpstreamProblemNotice(error: AppError) -> impl IntoView {
    match error {
        AppError::NoCredential => view! {
            <div class="notice notice-info" role="alert">
                "To manage VMs, first "
                <a href="/api-key">"add your Luna Node API key"</a>
                "."
            </div>
        }
        .into_any(),
        other => view! { <ErrorNotice message=other.to_string() /> }.into_any(),
    }
}

#[component]
pub fn VmsPage() -> impl IntoView {
    let initial = Resource::new(|| (), |_| vm_list());
    let live = use_live_vms();
    view! {
        <Title text="Virtual machines" />
        <div class="page-head">
            <h1>"Virtual machines"</h1>
            <a class="button primary" href="/vms/new" id="create-vm">
                "Create VM"
            </a>
        </div>
        <Suspense fallback=|| view! { <Loading label="Loading VMs…" /> }>
            {move || Suspend::new(async move {
                match initial.await {
                    Ok(first) => view! { <VmTable first live /> }.into_any(),
                    Err(e) => view! { <UpstreamProblemNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn VmTable(first: VmListing, live: ReadSignal<Option<VmListing>>) -> impl IntoView {
    let current = Memo::new(move |_| live.get().unwrap_or_else(|| first.clone()));
    let search = RwSignal::new(String::new());
    let region = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let sort = RwSignal::new(SortKey::Name);
    let desc = RwSignal::new(false);
    let regions = Memo::new(move |_| {
        let mut r: Vec<String> = current.with(|s| s.vms.iter().map(|v| v.region.clone()).collect());
        r.sort();
        r.dedup();
        r
    });
    let rows = Memo::new(move |_| {
        current.with(|s| {
            visible(
                &s.vms,
                &search.get(),
                &region.get(),
                &status.get(),
                sort.get(),
                desc.get(),
            )
        })
    });
    let total = move || current.with(|s| s.vms.len());
    let has_vms = move || total() > 0;
    let header = move |label: &'static str, key: SortKey| {
        let aria = move || {
            if sort.get() == key {
                if desc.get() {
                    "descending"
                } else {
                    "ascending"
                }
            } else {
                "none"
            }
        };
        view! {
            <th scope="col" aria-sort=aria>
                <button
                    type="button"
                    class="sort"
                    on:click=move |_| {
                        if sort.get_untracked() == key {
                            desc.update(|d| *d = !*d);
                        } else {
                            sort.set(key);
                            desc.set(false);
                        }
                    }
                >
                    {label}
                </button>
            </th>
        }
    };
    let problem = move || {
        current.with(|s| s.problem.clone()).map(|p| {
            view! {
                <div class="notice notice-warning" role="alert">
                    <strong>"Live status paused. "</strong>
                    {p}
                    " The list shows the last known state."
                </div>
            }
        })
    };
    // Each part is type-erased: one nested type for the whole page is too deep to compile.
    let toolbar = view! {
        <div class="toolbar" role="search">
            <label class="inline-field">
                <span>"Search"</span>
                <input
                    type="search"
                    id="vm-search"
                    placeholder="Name, IP or ID"
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))
                />
            </label>
            <label class="inline-field">
                <span>"Region"</span>
                <select id="vm-region" on:change=move |ev| region.set(event_target_value(&ev))>
                    <option value="">"All regions"</option>
                    {move || {
                        regions
                            .get()
                            .into_iter()
                            .map(|r| view! { <option value=r.clone()>{r.clone()}</option> })
                            .collect_view()
                    }}
                </select>
            </label>
            <label class="inline-field">
                <span>"Status"</span>
                <select id="vm-status" on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="">"Any status"</option>
                    <option value="running">"Online"</option>
                    <option value="stopped">"Offline"</option>
                    <option value="shelved">"Shelved"</option>
                    <option value="rescue">"Rescue"</option>
                    <option value="error">"Error"</option>
                    <option value="busy">"Changing"</option>
                    <option value="other">"Other"</option>
                </select>
            </label>
            <label class="inline-field">
                <span>"Sort by"</span>
                <select
                    id="vm-sort"
                    on:change=move |ev| sort.set(SortKey::parse(&event_target_value(&ev)))
                >
                    <option value="name">"Name"</option>
                    <option value="status">"Status"</option>
                    <option value="region">"Region"</option>
                    <option value="plan">"Plan"</option>
                    <option value="ram">"Memory"</option>
                    <option value="ip">"IP address"</option>
                </select>
            </label>
            <p class="count" aria-live="polite" id="vm-count">
                {move || format!("{} of {} VMs", rows.with(Vec::len), total())}
            </p>
        </div>
    }
    .into_any();
    let table = view! {
        <Show
            when=has_vms
            fallback=|| {
                view! {
                    <div class="empty">
                        <p>"This account has no VMs yet."</p>
                        <a class="button primary" href="/vms/new">"Create your first VM"</a>
                    </div>
                }
            }
        >
            <div class="table-wrap">
                <table class="data" id="vm-table">
                    <thead>
                        <tr>
                            {header("Status", SortKey::Status)}
                            {header("Hostname", SortKey::Name)}
                            {header("Plan", SortKey::Plan)}
                            {header("vCPU / RAM / Disk", SortKey::Ram)}
                            {header("IP addresses", SortKey::Ip)}
                            {header("Region", SortKey::Region)}
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || rows.get()
                            key=|v| (v.vm_id.clone(), v.status.clone(), v.name.clone(), v.ip.clone(), v.plan_name.clone())
                            children=move |v| {
                                let status = Signal::stored(v.status.clone());
                                let href = format!("/vms/{}", v.vm_id);
                                view! {
                                    <tr data-vm-id=v.vm_id.clone()>
                                        <td>
                                            <StatusBadge status />
                                        </td>
                                        <td>
                                            <a href=href class="vm-name">{v.name.clone()}</a>
                                        </td>
                                        <td>{v.plan_name.clone()}</td>
                                        <td>
                                            {format!(
                                                "{} / {} / {}",
                                                opt(v.vcpu, ""),
                                                ram(v.ram_mb),
                                                opt(v.disk_gb, " GB"),
                                            )}
                                        </td>
                                        <td class="ips">
                                            <span>{if v.ip.is_empty() { "–".to_owned() } else { v.ip.clone() }}</span>
                                            {(!v.private_ip.is_empty()).then(|| view! { <span class="muted">{v.private_ip.clone()}</span> })}
                                        </td>
                                        <td>{v.region.clone()}</td>
                                    </tr>
                                }
                            }
                        />
                    </tbody>
                </table>
            </div>
        </Show>
    }
    .into_any();
    view! {
        {problem}
        {toolbar}
        {table}
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, name: &str, region: &str, status: &str, ram: u32) -> VmRow {
        VmRow {
            vm_id: id.into(),
            name: name.into(),
            plan_id: "m.2".into(),
            plan_name: "m.2".into(),
            region: region.into(),
            ip: format!("203.0.113.{id}"),
            private_ip: String::new(),
            vcpu: Some(1),
            ram_mb: Some(ram),
            disk_gb: Some(10),
            status: Some(status.into()),
            status_raw: String::new(),
            task_state: String::new(),
            checked_at: None,
        }
    }

    #[test]
    fn search_filter_and_sort() {
        let vms = vec![
            row("1", "web-b", "toronto", "Online", 2048),
            row("2", "Web-a", "montreal", "Offline", 1024),
            row("3", "db", "toronto", "BUILD", 4096),
        ];
        let names = |rows: Vec<VmRow>| rows.into_iter().map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(
            names(visible(&vms, "", "", "", SortKey::Name, false)),
            ["db", "Web-a", "web-b"]
        );
        assert_eq!(
            names(visible(&vms, "WEB", "", "", SortKey::Name, true)),
            ["web-b", "Web-a"]
        );
        assert_eq!(
            names(visible(&vms, "", "toronto", "", SortKey::Ram, true)),
            ["db", "web-b"]
        );
        assert_eq!(
            names(visible(&vms, "", "", "busy", SortKey::Name, false)),
            ["db"]
        );
        assert_eq!(
            names(visible(&vms, "203.0.113.2", "", "", SortKey::Name, false)),
            ["Web-a"]
        );
        assert_eq!(
            names(visible(&vms, "", "", "stopped", SortKey::Name, false)),
            ["Web-a"]
        );
        // By what the status means, not by its exact spelling.
        let odd = vec![
            row("4", "lower", "toronto", "online", 1),
            row("5", "odd", "toronto", "Frobnicating", 1),
        ];
        assert_eq!(
            names(visible(&odd, "", "", "running", SortKey::Name, false)),
            ["lower"]
        );
        assert_eq!(
            names(visible(&odd, "", "", "other", SortKey::Name, false)),
            ["odd"]
        );
    }
}
