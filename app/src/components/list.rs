//! [`ResourceList`]: the list page of any kind of resource. It loads the rows (rendered on
//! the server, then hydrated), says what to do when they cannot be loaded, offers the next
//! step when there are none, and puts a search box, filters and a sort in one toolbar row
//! above a table whose column headers sort too. Rows refresh when the page's resource
//! refetches (after an action) or when a live signal brings newer data.
//!
//! ```ignore
//! let version = Refresh::new();
//! let keys = Resource::new(move || version.track(), |_| sshkey_list());
//! view! {
//!     <ResourceList
//!         id="ssh-key" noun="SSH keys" source=keys
//!         spec=ListSpec {
//!             columns: vec![
//!                 Column::new("Name", |k: &SshKeyView| k.name.clone()).sort(|k| SortValue::text(&k.name)),
//!                 Column::new("", move |k: &SshKeyView| view! { <RemoveButton key=k.clone() on_done=version.callback() /> }),
//!             ],
//!             search: Some(Search::new("Name or key", |k| format!("{} {}", k.name, k.value))),
//!             filters: vec![],
//!             row_id: |k| k.id.clone(),
//!         }
//!         empty="No SSH keys yet."
//!     />
//! }
//! ```
//!
//! Place it at the page's top level, not inside another `Suspense`/`Transition` of the page:
//! nested suspense made the server's and the browser's first render differ (see
//! [`crate::components::live::load_in_browser`]).

use std::cmp::Ordering;
use std::sync::Arc;

use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::custom_attribute;

use crate::components::notice::ProblemNotice;
use crate::components::shell::Loading;
use crate::error::AppError;

/// What a list page loads: its rows, and optionally a note about how fresh they are.
/// Implemented for `Vec<T>`; a kind whose list call returns more (like the VM snapshot with
/// its poller's problem) implements it itself.
pub trait Listing:
    Clone + PartialEq + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static
{
    /// Serializable: a row's content decides whether its part of the table is drawn again.
    type Row: Clone + PartialEq + serde::Serialize + Send + Sync + 'static;
    fn rows(&self) -> &[Self::Row];
    /// A warning shown above the list (e.g. live status paused, data may be stale).
    fn note(&self) -> Option<ListNote> {
        None
    }
}

impl<T> Listing for Vec<T>
where
    T: Clone + PartialEq + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    type Row = T;
    fn rows(&self) -> &[T] {
        self
    }
}

/// A warning above the list: a bold lead and the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListNote {
    pub title: String,
    pub text: String,
}

/// What a column sorts by. Text sorts naturally (`web-2` before `web-10`, case aside);
/// missing values sort last in both directions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortValue {
    Text(String),
    Number(i64),
    Missing,
}

impl SortValue {
    /// Text; empty (or blank) text is [`SortValue::Missing`].
    pub fn text(s: &str) -> Self {
        if s.trim().is_empty() {
            SortValue::Missing
        } else {
            SortValue::Text(s.to_owned())
        }
    }

    pub fn opt_text(s: Option<&str>) -> Self {
        s.map_or(SortValue::Missing, SortValue::text)
    }

    pub fn number(n: impl Into<i64>) -> Self {
        SortValue::Number(n.into())
    }

    pub fn opt_number<N: Into<i64>>(n: Option<N>) -> Self {
        n.map_or(SortValue::Missing, SortValue::number)
    }
}

/// Compares two sort values; `desc` reverses everything but where missing values go.
pub fn compare(a: &SortValue, b: &SortValue, desc: bool) -> Ordering {
    let flip = |o: Ordering| if desc { o.reverse() } else { o };
    match (a, b) {
        (SortValue::Missing, SortValue::Missing) => Ordering::Equal,
        (SortValue::Missing, _) => Ordering::Greater,
        (_, SortValue::Missing) => Ordering::Less,
        (SortValue::Number(x), SortValue::Number(y)) => flip(x.cmp(y)),
        (SortValue::Text(x), SortValue::Text(y)) => flip(natural(x, y)),
        (SortValue::Number(_), SortValue::Text(_)) => flip(Ordering::Less),
        (SortValue::Text(_), SortValue::Number(_)) => flip(Ordering::Greater),
    }
}

/// Natural order: runs of digits compare as numbers, the rest case-insensitively; exact
/// spelling breaks ties.
pub fn natural(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in s.chars() {
            let digit = c.is_ascii_digit();
            match out.last_mut() {
                Some((d, chunk)) if *d == digit => chunk.push(c),
                _ => out.push((digit, c.to_string())),
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for ((da, x), (db, y)) in ca.iter().zip(cb.iter()) {
        let o = match (da, db) {
            (true, true) => {
                let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                x.len().cmp(&y.len()).then_with(|| x.cmp(y))
            }
            _ => x.to_lowercase().cmp(&y.to_lowercase()),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

/// Whether every whitespace-separated term of `query` occurs in `haystack`, ignoring case.
pub fn matches_search(haystack: &str, query: &str) -> bool {
    let haystack = haystack.to_lowercase();
    query
        .split_whitespace()
        .all(|term| haystack.contains(&term.to_lowercase()))
}

type Cell<T> = Arc<dyn Fn(&T) -> AnyView + Send + Sync>;

/// One column of the table: its header, how a row shows in it, and optionally how it sorts.
pub struct Column<T> {
    header: &'static str,
    sort_label: Option<&'static str>,
    sort: Option<fn(&T) -> SortValue>,
    class: Option<&'static str>,
    cell: Cell<T>,
}

impl<T> Clone for Column<T> {
    fn clone(&self) -> Self {
        Self {
            header: self.header,
            sort_label: self.sort_label,
            sort: self.sort,
            class: self.class,
            cell: self.cell.clone(),
        }
    }
}

impl<T: 'static> Column<T> {
    /// A column headed `header` (empty: an actions column, named for screen readers only)
    /// whose cell for a row is `cell(row)`. Keep `cell` total: show "–" for what is
    /// missing and never slice text by bytes ([`clip`]), so an odd row cannot break the page.
    pub fn new<V: IntoView + 'static>(
        header: &'static str,
        cell: impl Fn(&T) -> V + Send + Sync + 'static,
    ) -> Self {
        Self {
            header,
            sort_label: None,
            sort: None,
            class: None,
            cell: Arc::new(move |row| cell(row).into_any()),
        }
    }

    /// Makes the column sortable (its header becomes a button, and it is offered in the
    /// toolbar's sort menu).
    pub fn sort(mut self, key: fn(&T) -> SortValue) -> Self {
        self.sort = Some(key);
        self
    }

    /// The name in the sort menu, when it should differ from the header.
    pub fn sort_label(mut self, label: &'static str) -> Self {
        self.sort_label = Some(label);
        self
    }

    /// A class for the column's cells (`actions`, `ips`, …).
    pub fn class(mut self, class: &'static str) -> Self {
        self.class = Some(class);
        self
    }
}

/// Where a filter's choices come from.
#[derive(Debug, Clone, Copy)]
pub enum FilterOptions {
    /// Fixed `(value, label)` pairs (a status filter by what a status means).
    Fixed(&'static [(&'static str, &'static str)]),
    /// The distinct values the rows have (regions), labelled by themselves.
    FromRows,
}

/// A select in the toolbar that keeps the rows whose `value` equals the chosen one.
#[derive(Clone)]
pub struct Filter<T> {
    /// Its id is `{list id}-{key}` (`vm-region`).
    pub key: &'static str,
    pub label: &'static str,
    /// The first option, which keeps every row ("All regions").
    pub any: &'static str,
    pub value: fn(&T) -> String,
    pub options: FilterOptions,
}

impl<T> Filter<T> {
    /// A filter offering the values the rows have.
    pub fn from_rows(
        key: &'static str,
        label: &'static str,
        any: &'static str,
        value: fn(&T) -> String,
    ) -> Self {
        Self {
            key,
            label,
            any,
            value,
            options: FilterOptions::FromRows,
        }
    }

    /// A filter with fixed `(value, label)` choices.
    pub fn fixed(
        key: &'static str,
        label: &'static str,
        any: &'static str,
        value: fn(&T) -> String,
        options: &'static [(&'static str, &'static str)],
    ) -> Self {
        Self {
            key,
            label,
            any,
            value,
            options: FilterOptions::Fixed(options),
        }
    }

    /// The `(value, label)` choices for `rows`; `selected` stays offered even when no row
    /// has it any more (so the select never jumps under the user).
    pub fn choices(&self, rows: &[T], selected: &str) -> Vec<(String, String)> {
        match self.options {
            FilterOptions::Fixed(options) => options
                .iter()
                .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
                .collect(),
            FilterOptions::FromRows => {
                let mut values: Vec<String> = rows
                    .iter()
                    .map(self.value)
                    .filter(|v| !v.is_empty())
                    .collect();
                if !selected.is_empty() {
                    values.push(selected.to_owned());
                }
                values.sort_by(|a, b| natural(a, b));
                values.dedup();
                values.into_iter().map(|v| (v.clone(), v)).collect()
            }
        }
    }
}

/// The search box: a placeholder, and the text a row is found by.
#[derive(Clone)]
pub struct Search<T> {
    pub placeholder: &'static str,
    pub text: fn(&T) -> String,
}

impl<T> Search<T> {
    pub fn new(placeholder: &'static str, text: fn(&T) -> String) -> Self {
        Self { placeholder, text }
    }
}

/// What the user asked the list for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub search: String,
    /// One chosen value per filter, in order; `""` keeps every row.
    pub filters: Vec<String>,
    /// The sorting column's index, and whether descending.
    pub sort: Option<usize>,
    pub desc: bool,
}

impl ListQuery {
    /// Whether the search or a filter narrows the rows.
    pub fn narrows(&self) -> bool {
        !self.search.trim().is_empty() || self.filters.iter().any(|f| !f.is_empty())
    }
}

/// Everything about a list but its data: what the page passed to [`ResourceList`].
pub struct ListSpec<T> {
    pub columns: Vec<Column<T>>,
    pub search: Option<Search<T>>,
    pub filters: Vec<Filter<T>>,
    /// The row's identity: ties in sorting are broken by it, and it is the row's
    /// `row_attr` attribute.
    pub row_id: fn(&T) -> String,
}

impl<T: Clone> ListSpec<T> {
    /// The rows `query` keeps, in its order.
    pub fn visible(&self, rows: &[T], query: &ListQuery) -> Vec<T> {
        let mut out: Vec<T> = rows
            .iter()
            .filter(|r| match &self.search {
                Some(s) => matches_search(&(s.text)(r), &query.search),
                None => true,
            })
            .filter(|r| {
                self.filters
                    .iter()
                    .zip(&query.filters)
                    .all(|(f, chosen)| chosen.is_empty() || (f.value)(r) == *chosen)
            })
            .cloned()
            .collect();
        let key = query
            .sort
            .and_then(|i| self.columns.get(i))
            .and_then(|c| c.sort);
        if let Some(key) = key {
            let id = self.row_id;
            out.sort_by(|a, b| {
                compare(&key(a), &key(b), query.desc).then_with(|| natural(&id(a), &id(b)))
            });
        }
        out
    }

    /// The first sortable column.
    fn first_sortable(&self) -> Option<usize> {
        self.columns.iter().position(|c| c.sort.is_some())
    }
}

/// A version number to refetch a list by: the list's resource tracks it, an action's
/// completion bumps it.
#[derive(Debug, Clone, Copy)]
pub struct Refresh(RwSignal<u32>);

impl Refresh {
    pub fn new() -> Self {
        Self(RwSignal::new(0))
    }

    /// Use in a resource's source: `Resource::new(move || refresh.track(), …)`.
    pub fn track(&self) -> u32 {
        self.0.get()
    }

    pub fn bump(&self) {
        self.0.update(|v| *v = v.wrapping_add(1));
    }

    /// A callback that bumps it (for `on_done`).
    pub fn callback(self) -> Callback<()> {
        Callback::new(move |_| self.bump())
    }
}

impl Default for Refresh {
    fn default() -> Self {
        Self::new()
    }
}

/// `s` cut to `max` characters with an ellipsis (by characters, never inside one).
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// `s`, or "–" when it is empty.
pub fn or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "–".to_owned()
    } else {
        s.to_owned()
    }
}

/// A resource list: loading, error notice with the next step, empty state, toolbar (search,
/// filters, sort, count) and a sortable table. Generic over what the page loads ([`Listing`]).
///
/// Element ids derive from `id`: `{id}-table`, `{id}-search`, `{id}-count`, `{id}-sort` and
/// `{id}-{filter key}`; rows carry `row_attr="{row_id}"`. Two lists can share one `source`,
/// each showing a part of it (`only`).
#[component]
pub fn ResourceList<L>(
    /// The prefix of the list's element ids (`vm` → `vm-table`, `vm-search`, …).
    id: &'static str,
    /// What the rows are, plural, as shown in the count and messages ("VMs").
    noun: &'static str,
    /// Loads the rows; refetch it (track a [`Refresh`]) to refresh the list.
    source: Resource<Result<L, AppError>>,
    /// Newer data pushed to the page (the live stream); replaces the loaded data when set.
    #[prop(optional, into)]
    live: Option<Signal<Option<L>>>,
    /// Columns, search, filters and row identity (build it in a function of the page, so
    /// that its tests sort and filter exactly as the page does).
    spec: ListSpec<L::Row>,
    /// The attribute naming a row's identity on its `<tr>`.
    #[prop(default = "data-id")]
    row_attr: &'static str,
    /// The column sorted by at first (ascending); the first sortable one if not given.
    #[prop(optional)]
    sort: Option<usize>,
    /// What to say when there are no rows at all.
    #[prop(into)]
    empty: String,
    /// The next step when there are no rows (a link or button to create the first one).
    #[prop(optional, into)]
    empty_action: Option<ViewFn>,
    /// What the loading indicator says.
    #[prop(default = "Loading…")]
    loading: &'static str,
    /// Keeps only the loaded rows this says yes to: two lists of one load (an account's
    /// own images apart from the public ones) without loading twice. Every row when unset.
    #[prop(optional)]
    only: Option<fn(&L::Row) -> bool>,
) -> impl IntoView
where
    L: Listing,
{
    let spec = Arc::new(spec);
    // Held outside the loading boundary: a refetch re-renders the list, not what was asked.
    let query = RwSignal::new(ListQuery {
        filters: vec![String::new(); spec.filters.len()],
        sort: sort.or_else(|| spec.first_sortable()),
        ..ListQuery::default()
    });
    let parts = Parts {
        id,
        noun,
        row_attr,
        empty,
        empty_action,
        only,
    };
    view! {
        <Transition fallback=move || view! { <Loading label=loading /> }>
            {
                let (spec, parts) = (spec.clone(), parts.clone());
                move || {
                    let (spec, parts) = (spec.clone(), parts.clone());
                    Suspend::new(async move {
                        match source.await {
                            Ok(first) => list_body(first, live, spec, query, parts),
                            Err(error) => view! {
                                <ProblemNotice
                                    error
                                    what=parts.noun
                                    retry=Callback::new(move |_| source.refetch())
                                />
                            }
                            .into_any(),
                        }
                    })
                }
            }
        </Transition>
    }
}

/// The list's fixed texts and ids.
struct Parts<T> {
    id: &'static str,
    noun: &'static str,
    row_attr: &'static str,
    empty: String,
    empty_action: Option<ViewFn>,
    only: Option<fn(&T) -> bool>,
}

// By hand: a derive would ask `T: Clone` of the rows for a `fn` pointer.
impl<T> Clone for Parts<T> {
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            noun: self.noun,
            row_attr: self.row_attr,
            empty: self.empty.clone(),
            empty_action: self.empty_action.clone(),
            only: self.only,
        }
    }
}

/// The rows of `rows` that `only` keeps (all without it).
pub fn kept<T: Clone>(rows: &[T], only: Option<fn(&T) -> bool>) -> Vec<T> {
    match only {
        Some(keep) => rows.iter().filter(|r| keep(r)).cloned().collect(),
        None => rows.to_vec(),
    }
}

fn list_body<L: Listing>(
    first: L,
    live: Option<Signal<Option<L>>>,
    spec: Arc<ListSpec<L::Row>>,
    query: RwSignal<ListQuery>,
    parts: Parts<L::Row>,
) -> AnyView {
    let current = Memo::new(move |_| live.and_then(|l| l.get()).unwrap_or_else(|| first.clone()));
    let only = parts.only;
    let all = Memo::new(move |_| current.with(|c| kept(c.rows(), only)));
    let rows = {
        let spec = spec.clone();
        Memo::new(move |_| all.with(|a| query.with(|q| spec.visible(a, q))))
    };
    let total = Memo::new(move |_| all.with(Vec::len));
    let note = move || {
        current.with(Listing::note).map(|n| {
            view! {
                <div class="notice notice-warning" role="alert">
                    <strong>{n.title}</strong>
                    {n.text}
                </div>
            }
        })
    };
    let Parts {
        id,
        noun,
        row_attr,
        empty,
        empty_action,
        only: _,
    } = parts;
    let toolbar = toolbar(id, noun, spec.clone(), all, rows, query);
    let table = table(id, noun, row_attr, spec, rows, query);
    let empty_view = move || {
        let action = empty_action.as_ref().map(ViewFn::run);
        view! {
            <div class="empty" id=format!("{id}-empty")>
                <p>{empty.clone()}</p>
                {action}
            </div>
        }
    };
    view! {
        {note}
        <Show when=move || { total.get() > 0 } fallback=empty_view>
            {toolbar.run()}
            {table.run()}
        </Show>
    }
    .into_any()
}

/// The toolbar row: search, filters, sort and the count.
fn toolbar<T: Clone + PartialEq + Send + Sync + 'static>(
    id: &'static str,
    noun: &'static str,
    spec: Arc<ListSpec<T>>,
    all: Memo<Vec<T>>,
    rows: Memo<Vec<T>>,
    query: RwSignal<ListQuery>,
) -> ViewFn {
    ViewFn::from(move || {
        let search = spec.search.as_ref().map(|s| {
            let placeholder = s.placeholder;
            view! {
                <label class="inline-field">
                    <span>"Search"</span>
                    <input
                        type="search"
                        id=format!("{id}-search")
                        placeholder=placeholder
                        prop:value=move || query.with(|q| q.search.clone())
                        on:input=move |ev| query.update(|q| q.search = event_target_value(&ev))
                    />
                </label>
            }
        });
        let filters = spec
            .filters
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let f = f.clone();
                let (label, any, key) = (f.label, f.any, f.key);
                let chosen = move || query.with(|q| q.filters.get(i).cloned().unwrap_or_default());
                let options = move || {
                    let selected = chosen();
                    all
                        .with(|a| f.choices(a, &selected))
                        .into_iter()
                        .map(|(value, label)| {
                            let is = value == selected;
                            view! { <option value=value selected=is prop:selected=is>{label}</option> }
                        })
                        .collect_view()
                };
                view! {
                    <label class="inline-field">
                        <span>{label}</span>
                        <select
                            id=format!("{id}-{key}")
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                query.update(|q| {
                                    if let Some(slot) = q.filters.get_mut(i) {
                                        *slot = v;
                                    }
                                });
                            }
                        >
                            <option value="" selected=move || chosen().is_empty() prop:selected=move || chosen().is_empty()>{any}</option>
                            {options}
                        </select>
                    </label>
                }
            })
            .collect_view();
        let sortable: Vec<(usize, &'static str)> = spec
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.sort.is_some())
            .map(|(i, c)| (i, c.sort_label.unwrap_or(c.header)))
            .collect();
        let sort = (sortable.len() > 1).then(|| {
            let options = sortable
                .into_iter()
                .map(|(i, label)| {
                    view! {
                        <option
                            value=i.to_string()
                            selected=move || query.with(|q| q.sort == Some(i))
                            prop:selected=move || query.with(|q| q.sort == Some(i))
                        >
                            {label}
                        </option>
                    }
                })
                .collect_view();
            view! {
                <label class="inline-field">
                    <span>"Sort by"</span>
                    <select
                        id=format!("{id}-sort")
                        on:change=move |ev| {
                            let i = event_target_value(&ev).parse().ok();
                            query.update(|q| {
                                q.sort = i;
                                q.desc = false;
                            });
                        }
                    >
                        {options}
                    </select>
                </label>
            }
        });
        view! {
            <div class="toolbar" role="search" aria-label=format!("Search and filter {noun}")>
                {search}
                {filters}
                {sort}
                <p class="count" aria-live="polite" id=format!("{id}-count")>
                    {move || {
                        format!(
                            "{} of {} {noun}",
                            rows.with(Vec::len),
                            all.with(Vec::len),
                        )
                    }}
                </p>
            </div>
        }
    })
}

/// The table, or what to do when the search and filters leave nothing.
fn table<T: Clone + PartialEq + serde::Serialize + Send + Sync + 'static>(
    id: &'static str,
    noun: &'static str,
    row_attr: &'static str,
    spec: Arc<ListSpec<T>>,
    rows: Memo<Vec<T>>,
    query: RwSignal<ListQuery>,
) -> ViewFn {
    ViewFn::from(move || {
        let heads = {
            let spec = spec.clone();
            move || {
                spec.columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| header(i, c.header, c.sort.is_some(), query))
                    .collect_view()
            }
        };
        // Keyed by each row's id and content: a refresh redraws only the rows that changed,
        // so what is open or typed in the others (an editor, a confirmation) survives the
        // live updates that refresh the list.
        let body = {
            let spec = spec.clone();
            move || {
                let spec = spec.clone();
                let keyed = spec.clone();
                view! {
                    <For
                        each=move || {
                            rows.with(|rows| {
                                rows.iter()
                                    .map(|r| {
                                        let content = serde_json::to_string(r).unwrap_or_default();
                                        ((keyed.row_id)(r), content, r.clone())
                                    })
                                    .collect::<Vec<_>>()
                            })
                        }
                        key=|(id, content, _)| (id.clone(), content.clone())
                        children=move |(_, _, row)| {
                            let cells = spec
                                .columns
                                .iter()
                                .map(|c| view! { <td class=c.class>{(c.cell)(&row)}</td> })
                                .collect_view();
                            view! { <tr>{cells}</tr> }
                                .add_any_attr(custom_attribute(row_attr, (spec.row_id)(&row)))
                        }
                    />
                }
            }
        };
        let nothing_matches = move || rows.with(Vec::is_empty);
        view! {
            <Show
                when=move || !nothing_matches()
                fallback=move || {
                    view! {
                        <div class="empty" id=format!("{id}-no-match")>
                            <p>{format!("No {noun} match the search and filters.")}</p>
                            <button
                                type="button"
                                class="button"
                                on:click=move |_| {
                                    query.update(|q| {
                                        q.search.clear();
                                        q.filters.iter_mut().for_each(String::clear);
                                    })
                                }
                            >
                                "Show all"
                            </button>
                        </div>
                    }
                }
            >
                <div class="table-wrap" tabindex="0" role="region" aria-label=format!("List of {noun}")>
                    <table class="data" id=format!("{id}-table")>
                        <thead>
                            <tr>{heads()}</tr>
                        </thead>
                        <tbody>{body.clone()}</tbody>
                    </table>
                </div>
            </Show>
        }
    })
}

/// A column header; a sortable one is a button that sorts by it (again: the other way).
fn header(i: usize, label: &'static str, sortable: bool, query: RwSignal<ListQuery>) -> AnyView {
    if label.is_empty() {
        return view! {
            <th scope="col">
                <span class="visually-hidden">"Actions"</span>
            </th>
        }
        .into_any();
    }
    if !sortable {
        return view! { <th scope="col">{label}</th> }.into_any();
    }
    let aria = move || {
        query.with(|q| match (q.sort == Some(i), q.desc) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        })
    };
    view! {
        <th scope="col" aria-sort=aria>
            <button
                type="button"
                class="sort"
                on:click=move |_| {
                    query.update(|q| {
                        if q.sort == Some(i) {
                            q.desc = !q.desc;
                        } else {
                            q.sort = Some(i);
                            q.desc = false;
                        }
                    })
                }
            >
                {label}
            </button>
        </th>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Row {
        id: &'static str,
        name: &'static str,
        region: &'static str,
        size: Option<u32>,
    }

    fn spec() -> ListSpec<Row> {
        ListSpec {
            columns: vec![
                Column::new("Name", |r: &Row| r.name).sort(|r| SortValue::text(r.name)),
                Column::new("Size", |r: &Row| r.size).sort(|r| SortValue::opt_number(r.size)),
                Column::new("", |_: &Row| ()),
            ],
            search: Some(Search::new("Name", |r| format!("{} {}", r.name, r.id))),
            filters: vec![Filter::from_rows("region", "Region", "All regions", |r| {
                r.region.to_owned()
            })],
            row_id: |r| r.id.to_owned(),
        }
    }

    fn rows() -> Vec<Row> {
        let row = |id, name, region, size| Row {
            id,
            name,
            region,
            size,
        };
        vec![
            row("1", "web-10", "toronto", Some(20)),
            row("2", "Web-2", "montreal", None),
            row("3", "db", "toronto", Some(80)),
            row("4", "", "", Some(20)),
        ]
    }

    fn ids(rows: Vec<Row>) -> Vec<&'static str> {
        rows.into_iter().map(|r| r.id).collect()
    }

    fn query(search: &str, region: &str, sort: usize, desc: bool) -> ListQuery {
        ListQuery {
            search: search.into(),
            filters: vec![region.into()],
            sort: Some(sort),
            desc,
        }
    }

    #[test]
    fn sorts_naturally_with_missing_values_last() {
        let s = spec();
        assert_eq!(
            ids(s.visible(&rows(), &query("", "", 0, false))),
            ["3", "2", "1", "4"]
        );
        assert_eq!(
            ids(s.visible(&rows(), &query("", "", 0, true))),
            ["1", "2", "3", "4"]
        );
        // Equal sizes fall back to the id; the missing size stays last either way.
        assert_eq!(
            ids(s.visible(&rows(), &query("", "", 1, false))),
            ["1", "4", "3", "2"]
        );
        assert_eq!(
            ids(s.visible(&rows(), &query("", "", 1, true))),
            ["3", "1", "4", "2"]
        );
        // A column without a sort key (or none chosen) keeps the loaded order.
        assert_eq!(
            ids(s.visible(&rows(), &query("", "", 2, false))),
            ["1", "2", "3", "4"]
        );
    }

    #[test]
    fn searches_every_term_and_filters() {
        let s = spec();
        assert_eq!(
            ids(s.visible(&rows(), &query("WEB", "", 0, false))),
            ["2", "1"]
        );
        assert_eq!(
            ids(s.visible(&rows(), &query("web 10", "", 0, false))),
            ["1"]
        );
        assert_eq!(
            ids(s.visible(&rows(), &query("  ", "toronto", 0, false))),
            ["3", "1"]
        );
        assert!(s
            .visible(&rows(), &query("web", "nowhere", 0, false))
            .is_empty());
        assert!(query("", "toronto", 0, false).narrows());
        assert!(!query(" ", "", 0, false).narrows());
    }

    #[test]
    fn filter_choices_come_from_the_rows_and_keep_the_selection() {
        let f = &spec().filters[0];
        let values = |sel: &str| -> Vec<String> {
            f.choices(&rows(), sel)
                .into_iter()
                .map(|(v, _)| v)
                .collect()
        };
        assert_eq!(values(""), ["montreal", "toronto"]);
        assert_eq!(values("roubaix"), ["montreal", "roubaix", "toronto"]);
        let fixed: Filter<Row> = Filter::fixed(
            "s",
            "S",
            "Any",
            |_| String::new(),
            &[("a", "A"), ("b", "B")],
        );
        assert_eq!(
            fixed.choices(&[], ""),
            [("a".into(), "A".into()), ("b".into(), "B".into())]
        );
    }

    #[test]
    fn only_keeps_a_part_of_what_was_loaded() {
        let toronto: fn(&Row) -> bool = |r| r.region == "toronto";
        assert_eq!(ids(kept(&rows(), Some(toronto))), ["1", "3"]);
        assert_eq!(ids(kept(&rows(), None)), ["1", "2", "3", "4"]);
    }

    #[test]
    fn natural_order_and_helpers() {
        assert_eq!(natural("web-2", "web-10"), Ordering::Less);
        assert_eq!(natural("203.0.113.9", "203.0.113.10"), Ordering::Less);
        assert_eq!(natural("a", "B"), Ordering::Less);
        assert_eq!(
            natural("x01", "x1"),
            Ordering::Less,
            "ties broken by spelling"
        );
        assert_eq!(
            compare(&SortValue::Missing, &SortValue::number(1), true),
            Ordering::Greater
        );
        assert_eq!(SortValue::text("  "), SortValue::Missing);
        // By characters: a multi-byte character at the cut is never split.
        assert_eq!(clip("ééééé", 3), "ééé…");
        assert_eq!(clip("short", 10), "short");
        assert_eq!(or_dash(" "), "–");
    }
}
