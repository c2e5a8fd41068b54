//! `/vms`: every VM of the account with its live status; search, filter by region and
//! status, sort by any column. Rendered on the server, then kept current by the shared
//! live-status stream (no reload, no per-tab polling). Built on the page kit's
//! [`ResourceList`].

use crate::components::title::PageTitle;
use leptos::prelude::*;

use crate::components::kit::*;
use std::sync::Arc;

use crate::components::list::{ListState, PageRequest};
use crate::components::live::use_live_vms_paged;
use crate::error::AppError;
use crate::pages::format::{opt, ram};
use crate::vm::{vm_page, VmListing, VmPhase, VmRow};

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

/// The status filter filters by what a status means ([`VmPhase`]): the words themselves
/// vary upstream.
const STATUSES: &[(&str, &str)] = &[
    ("running", "Online"),
    ("stopped", "Offline"),
    ("shelved", "Shelved"),
    ("rescue", "Rescue"),
    ("error", "Error"),
    ("busy", "Changing"),
    ("other", "Other"),
];

impl Listing for VmListing {
    type Row = VmRow;

    fn rows(&self) -> &[VmRow] {
        &self.vms
    }

    fn note(&self) -> Option<ListNote> {
        self.problem.as_ref().map(|p| ListNote {
            title: "Live status paused. ".into(),
            text: format!("{p} The list shows the last known state."),
        })
    }

    fn paging(&self) -> Option<&crate::components::list_rules::PageInfo> {
        self.paging.as_ref()
    }
}

/// The page of `listing` (every VM the viewer may see) that `req` asks for: what `vms/page`
/// and the paged live stream send.
pub fn page_of(mut listing: VmListing, req: &PageRequest) -> VmListing {
    // Sorted by name unless a column is asked for, as the page first shows.
    let mut req = req.clone();
    req.sort = req.sort.or(Some(BY_NAME));
    let (rows, info) = vm_list_spec().page_for(&listing.vms, &req);
    listing.vms = rows;
    listing.paging = Some(info);
    listing
}

/// The request a URL's query parameters make (the paged live stream's, which are the
/// page's own: `q`, `region`, `status`, `sort`, `desc`, `page`, `size`).
pub fn request_of(get: impl Fn(&str) -> Option<String>) -> PageRequest {
    let spec = vm_list_spec();
    let (query, at) = spec.from_params("", Some(BY_NAME), get);
    crate::components::list::request(&query, at)
}

/// The VM table: columns, search (name, id, addresses), region and status filters.
pub fn vm_list_spec() -> ListSpec<VmRow> {
    ListSpec {
        columns: vec![
            Column::new("Status", |v: &VmRow| {
                view! { <StatusBadge status=Signal::stored(v.status.clone()) /> }
            })
            .sort(|v| SortValue::opt_text(v.status.as_deref())),
            Column::new("Hostname", |v: &VmRow| {
                view! {
                    <a href=format!("/vms/{}", v.vm_id) class="vm-name">
                        {or_dash(&v.name)}
                    </a>
                }
            })
            .sort(|v| SortValue::text(&v.name))
            .sort_label("Name"),
            Column::new("Plan", |v: &VmRow| or_dash(&v.plan_name))
                .sort(|v| SortValue::text(&v.plan_name)),
            Column::new("vCPU / RAM / Disk", |v: &VmRow| {
                format!(
                    "{} / {} / {}",
                    opt(v.vcpu, ""),
                    ram(v.ram_mb),
                    opt(v.disk_gb, " GB")
                )
            })
            .sort(|v| SortValue::opt_number(v.ram_mb))
            .sort_label("Memory"),
            Column::new("IP addresses", |v: &VmRow| {
                view! {
                    <span>{or_dash(&v.ip)}</span>
                    {(!v.private_ip.is_empty())
                        .then(|| view! { <span class="muted">{v.private_ip.clone()}</span> })}
                }
            })
            .sort(|v| SortValue::text(&v.ip))
            .sort_label("IP address")
            .class("ips"),
            Column::new("Region", |v: &VmRow| or_dash(&v.region))
                .sort(|v| SortValue::text(&v.region)),
        ],
        search: Some(Search::new("Name, IP or ID", |v| {
            format!("{} {} {} {}", v.name, v.vm_id, v.ip, v.private_ip)
        })),
        filters: vec![
            Filter::from_rows("region", "Region", "All regions", |v| v.region.clone()),
            Filter::fixed(
                "status",
                "Status",
                "Any status",
                |v| v.phase().map(phase_key).unwrap_or_default().to_owned(),
                STATUSES,
            ),
        ],
        row_id: |v| v.vm_id.clone(),
    }
}

/// The hostname column: sorted by it at first.
const BY_NAME: usize = 1;

/// What to say when something about VMs cannot be shown (the kit's [`ProblemNotice`] for
/// VMs; kept for the pages that use it).
#[component]
pub fn UpstreamProblemNotice(error: AppError) -> impl IntoView {
    view! { <ProblemNotice error what="VMs" /> }
}

#[component]
pub fn VmsPage() -> impl IntoView {
    // One page at a time, from the server: a large account's page renders and hydrates
    // the rows it shows, not all of them. The live stream sends that page only, and the
    // page newly asked for when the search, filters, sort or page change (the list's rows
    // update in place; the first read is not made again, which would draw the list anew).
    let spec = Arc::new(vm_list_spec());
    let state = ListState::from_url(spec.clone(), "", Some(BY_NAME));
    let initial = Resource::new(|| (), move |_| vm_page(state.request_untracked()));
    let live = use_live_vms_paged(Signal::derive(move || state.live_query(&spec)));
    view! {
        <PageTitle text="Virtual machines" />
        <div class="page-head">
            <h1>"Virtual machines"</h1>
            <a class="button primary" href="/vms/new" id="create-vm">
                "Create VM"
            </a>
        </div>
        <ResourceList
            id="vm"
            noun="VMs"
            source=initial
            live=live
            spec=vm_list_spec()
            state=state
            row_attr="data-vm-id"
            sort=BY_NAME
            loading="Loading VMs…"
            empty="This account has no VMs yet."
            empty_action=|| view! { <a class="button primary" href="/vms/new">"Create your first VM"</a> }
        />
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::list::ListQuery;

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
            security_groups: Vec::new(),
        }
    }

    /// The column indices of `vm_list_spec`.
    const STATUS: usize = 0;
    const RAM: usize = 3;
    const IP: usize = 4;

    fn names(
        vms: &[VmRow],
        search: &str,
        region: &str,
        status: &str,
        sort: usize,
        desc: bool,
    ) -> Vec<String> {
        let query = ListQuery {
            search: search.into(),
            filters: vec![region.into(), status.into()],
            sort: Some(sort),
            desc,
        };
        vm_list_spec()
            .visible(vms, &query)
            .into_iter()
            .map(|r| r.name)
            .collect()
    }

    #[test]
    fn search_filter_and_sort() {
        let vms = vec![
            row("1", "web-b", "toronto", "Online", 2048),
            row("2", "Web-a", "montreal", "Offline", 1024),
            row("3", "db", "toronto", "BUILD", 4096),
        ];
        assert_eq!(
            names(&vms, "", "", "", BY_NAME, false),
            ["db", "Web-a", "web-b"]
        );
        assert_eq!(
            names(&vms, "WEB", "", "", BY_NAME, true),
            ["web-b", "Web-a"]
        );
        assert_eq!(names(&vms, "", "toronto", "", RAM, true), ["db", "web-b"]);
        assert_eq!(names(&vms, "", "", "busy", BY_NAME, false), ["db"]);
        assert_eq!(
            names(&vms, "203.0.113.2", "", "", BY_NAME, false),
            ["Web-a"]
        );
        assert_eq!(names(&vms, "", "", "stopped", BY_NAME, false), ["Web-a"]);
        assert_eq!(
            names(&vms, "", "", "", STATUS, true),
            ["web-b", "Web-a", "db"]
        );
        // By what the status means, not by its exact spelling.
        let odd = vec![
            row("4", "lower", "toronto", "online", 1),
            row("5", "odd", "toronto", "Frobnicating", 1),
        ];
        assert_eq!(names(&odd, "", "", "running", BY_NAME, false), ["lower"]);
        assert_eq!(names(&odd, "", "", "other", BY_NAME, false), ["odd"]);
    }

    #[test]
    fn odd_rows_sort_last_and_addresses_sort_as_numbers() {
        let mut unnamed = row("9", "", "", "Online", 1);
        unnamed.ip.clear();
        unnamed.status = None;
        let vms = vec![
            unnamed,
            row("10", "ten", "toronto", "Online", 1),
            row("2", "two", "toronto", "Online", 1),
        ];
        // A VM without a name, address or status yet is listed, last either way.
        assert_eq!(names(&vms, "", "", "", BY_NAME, false), ["ten", "two", ""]);
        assert_eq!(names(&vms, "", "", "", BY_NAME, true), ["two", "ten", ""]);
        assert_eq!(names(&vms, "", "", "", IP, false), ["two", "ten", ""]);
        // A status not read yet matches no status filter.
        assert_eq!(
            names(&vms, "", "", "other", BY_NAME, false),
            Vec::<String>::new()
        );
    }

    #[test]
    fn the_region_filter_offers_the_regions_listed() {
        let vms = vec![
            row("1", "a", "toronto", "Online", 1),
            row("2", "b", "roubaix", "Online", 1),
            row("3", "c", "toronto", "Online", 1),
        ];
        let regions: Vec<String> = vm_list_spec().filters[0]
            .choices(&vms, "")
            .into_iter()
            .map(|(v, _)| v)
            .collect();
        assert_eq!(regions, ["roubaix", "toronto"]);
    }
}
