//! `/security-groups`: the caller's security groups in every region (search, filter by
//! region, sort): how many rules each has, the VMs using it, and a warning on every group
//! that opens SSH, RDP or a database port to the whole internet. A group is made here
//! (region and name, inline); its own page edits it.

use crate::components::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::form::{action_error, field_error, Field, FormAlert, SubmitButton};
use crate::components::kit::*;
use crate::components::shell::Loading;
use crate::securitygroup::{
    securitygroup_list, GroupRow, GroupsView, SecurityGroupCreateFn, VmRef,
};

/// The capability group a customer needs to change groups and their rules.
pub const SECURITYGROUPS: &str = "securitygroups";
/// The capability group a customer needs to apply a group to a VM or remove it.
pub const VM_NETWORK: &str = "network";

impl Listing for GroupsView {
    type Row = GroupRow;

    fn rows(&self) -> &[GroupRow] {
        &self.groups
    }

    fn note(&self) -> Option<ListNote> {
        self.problem.as_ref().map(|p| ListNote {
            title: "Some warnings are missing. ".into(),
            text: p.clone(),
        })
    }
}

/// VMs as links (or muted names for those the caller may not open), "–" for none.
pub fn vm_links(vms: &[VmRef]) -> AnyView {
    if vms.is_empty() {
        return "–".into_any();
    }
    let n = vms.len();
    vms.iter()
        .enumerate()
        .map(|(i, v)| {
            let sep = (i + 1 < n).then_some(", ");
            if v.visible {
                view! { <a href=format!("/vms/{}", v.vm_id)>{v.name.clone()}</a>{sep} }.into_any()
            } else {
                view! { <span class="muted">{v.name.clone()}</span>{sep} }.into_any()
            }
        })
        .collect_view()
        .into_any()
}

/// The lint column: what a group opens to the whole internet, or nothing.
fn warning_cell(g: &GroupRow) -> AnyView {
    if g.warnings.is_empty() {
        return match g.rules {
            Some(_) => "–".into_any(),
            None => view! { <span class="muted">"Unknown"</span> }.into_any(),
        };
    }
    let exposed: Vec<String> = g.warnings.iter().map(|w| w.exposure()).collect();
    view! {
        <span class="badge badge-off">"Open to the internet"</span>
        " "
        <span class="small">{exposed.join("; ")}</span>
    }
    .into_any()
}

/// The group table.
fn group_list_spec() -> ListSpec<GroupRow> {
    ListSpec {
        columns: vec![
            Column::new("Name", |g: &GroupRow| {
                view! { <a href=format!("/security-groups/{}", g.id) class="group-name">{g.name.clone()}</a> }
            })
            .sort(|g| SortValue::text(&g.name)),
            Column::new("Region", |g: &GroupRow| or_dash(&g.region)).sort(|g| SortValue::text(&g.region)),
            Column::new("Rules", |g: &GroupRow| g.rules.map_or_else(|| "–".to_owned(), |n| n.to_string()))
                .sort(|g| SortValue::opt_number(g.rules.map(|n| i64::try_from(n).unwrap_or(i64::MAX)))),
            Column::new("Used by", |g: &GroupRow| vm_links(&g.vms))
                .sort(|g| SortValue::number(i64::try_from(g.vms.len()).unwrap_or(i64::MAX))),
            Column::new("Warnings", warning_cell)
                .sort(|g| SortValue::number(i64::try_from(g.warnings.len()).unwrap_or(i64::MAX))),
        ],
        search: Some(Search::new("Name, ID or VM", |g| {
            let vms: Vec<&str> = g.vms.iter().map(|v| v.name.as_str()).collect();
            format!("{} {} {}", g.name, g.id, vms.join(" "))
        })),
        filters: vec![Filter::from_rows("region", "Region", "All regions", |g| g.region.clone())],
        row_id: |g| g.id.clone(),
    }
}

crate::pageable!(GroupsView => groups);

// `securitygroups/page`: the list paged on the server (the warnings' summary comes whole).
crate::paged_list!(
    GroupPageFn,
    "securitygroups/page",
    group_page,
    securitygroup_list,
    group_list_spec(),
    GroupsView
);

#[component]
pub fn SecurityGroupsPage() -> impl IntoView {
    let refresh = Refresh::new();
    let (state, list) = paged_source(refresh, group_list_spec(), "", 0, group_page);
    let groups = list.first;
    let cannot = Viewer::current().cannot(SECURITYGROUPS);
    view! {
        <PageTitle text="Security groups" />
        <div class="page-head">
            <h1>"Security groups"</h1>
        </div>
        <p class="muted">
            "A security group is a firewall for the VMs you apply it to: its rules say which traffic may reach them (inbound) and leave them (outbound). Each region has its own groups."
        </p>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                // Drawn from the first read, then following the newest.
                let first = groups.await.ok().map(|v| v.listing.open);
                move || {
                    list.newest
                        .get()
                        .map(|v| v.listing.open)
                        .or_else(|| first.clone())
                        .map(|warnings| view! { <LintSummary warnings /> })
                }
            })}
        </Transition>
        <ResourceList
            id="group"
            noun="security groups"
            source=groups
            live=list.live
            state
            spec=group_list_spec()
            row_attr="data-group-id"
            sort=0
            loading="Loading security groups…"
            empty="No security groups yet. Every region has a default group; make your own to open only the ports your VMs need."
        />
        <h2 id="create-group">"Create a security group"</h2>
        {match cannot {
            Some(why) => view! { <p class="disabled-reason" id="create-group-locked">{why}</p> }.into_any(),
            None => view! {
                <Transition fallback=|| view! { <Loading label="Loading the regions…" /> }>
                    {move || Suspend::new(async move {
                        groups.await.ok().map(|v| view! { <CreateForm options=v.listing /> })
                    })}
                </Transition>
            }
            .into_any(),
        }}
    }
}

/// Every warning of the caller's groups (`GroupsView::open`), above the list.
#[component]
fn LintSummary(warnings: Vec<(String, String, String)>) -> impl IntoView {
    (!warnings.is_empty()).then(|| {
        view! {
            <div class="notice notice-warning" role="alert" id="groups-lint">
                <p><strong>"Open to the whole internet"</strong></p>
                <ul>
                    {warnings
                        .into_iter()
                        .map(|(id, name, text)| view! {
                            <li><a href=format!("/security-groups/{id}")>{name}</a>": "{text}</li>
                        })
                        .collect_view()}
                </ul>
            </div>
        }
    })
}

/// Region and name; a customer's quota; the new group's page after.
#[component]
fn CreateForm(options: GroupsView) -> impl IntoView {
    let create = ServerAction::<SecurityGroupCreateFn>::new();
    let error = action_error(create.value());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/security-groups/{id}"), Default::default());
        }
    });
    let quota = options.quota.map(|q| {
        let text = match q.limit {
            Some(l) => format!("You have {} of your {l} security groups.", q.used),
            None => format!("You have {} security groups.", q.used),
        };
        view! { <p class="notice notice-info" id="group-quota">{text}</p> }
    });
    let region_error = field_error(error, "region");
    view! {
        {quota}
        <ActionForm action=create attr:novalidate=true attr:id="create-group-form" attr:class="card">
            <FormAlert error fields=&["name", "region"] />
            <div class="field" class:field-invalid=move || region_error.get().is_some()>
                <label for="field-region">"Region"</label>
                <select id="field-region" name="region"
                    aria-invalid=move || region_error.get().is_some().to_string()
                    aria-describedby="field-region-error">
                    {options.regions.into_iter().map(|r| view! { <option value=r.code.clone()>{format!("{} ({})", r.name, r.code)}</option> }).collect_view()}
                </select>
                <p class="field-error" id="field-region-error" aria-live="polite">{move || region_error.get()}</p>
            </div>
            <Field name="name" label="Name" error=field_error(error, "name") autocomplete="off"
                hint="Unique in its region: VMs know their groups by name." />
            <SubmitButton label="Create group" busy_label="Creating…" pending=create.pending() />
        </ActionForm>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::list::ListQuery;
    use crate::securitygroup::LintWarning;

    fn row(id: &str, name: &str, region: &str, vms: &[&str], warned: bool) -> GroupRow {
        GroupRow {
            id: id.into(),
            name: name.into(),
            region: region.into(),
            rules: Some(2),
            vms: vms
                .iter()
                .map(|v| VmRef {
                    vm_id: format!("vm-{v}"),
                    name: (*v).into(),
                    visible: true,
                })
                .collect(),
            warnings: if warned {
                vec![LintWarning {
                    group_id: id.into(),
                    group_name: name.into(),
                    rule_id: "r".into(),
                    rule: "“SSH”".into(),
                    services: vec!["SSH (22)".into()],
                    every_port: false,
                }]
            } else {
                Vec::new()
            },
        }
    }

    fn ids(rows: &[GroupRow], search: &str, region: &str, sort: usize, desc: bool) -> Vec<String> {
        let q = ListQuery {
            search: search.into(),
            filters: vec![region.into()],
            sort: Some(sort),
            desc,
        };
        group_list_spec()
            .visible(rows, &q)
            .into_iter()
            .map(|r| r.id)
            .collect()
    }

    #[test]
    fn groups_search_filter_and_sort() {
        let owner = Owner::new();
        owner.set();
        let rows = vec![
            row("1", "web", "toronto", &["web-1", "web-2"], true),
            row("2", "default", "montreal", &[], false),
            row("3", "db", "toronto", &["db-1"], false),
        ];
        assert_eq!(ids(&rows, "", "", 0, false), ["3", "2", "1"], "by name");
        assert_eq!(ids(&rows, "", "toronto", 0, false), ["3", "1"]);
        assert_eq!(ids(&rows, "web-2", "", 0, false), ["1"], "by a VM's name");
        assert_eq!(ids(&rows, "", "", 3, true), ["1", "3", "2"], "by users");
        assert_eq!(ids(&rows, "", "", 4, true)[0], "1", "warned first");
    }
}
