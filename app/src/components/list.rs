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
    /// Where the rows stand when they are one page of the list, as its server function
    /// paged them (the list then shows them as they come); `None`: every row (the list
    /// pages them itself).
    fn paging(&self) -> Option<&PageInfo> {
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

pub use super::list_rules::{
    clamp_size, compare, matches_search, natural, paginate, PageInfo, PageRequest, Rules,
    SortValue, DEFAULT_SIZE, SIZES,
};

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

impl<T> Column<T> {
    /// The column's name in a URL (`sort=ip-address`): its sort label (or header),
    /// lower case, words joined by `-`.
    pub fn key(&self) -> String {
        self.sort_label
            .unwrap_or(self.header)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join("-")
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

    /// The `(value, label)` choices among `values` (every value the rows have, as a
    /// server-paged list sends them), `selected` kept.
    pub fn choices_of(&self, mut values: Vec<String>, selected: &str) -> Vec<(String, String)> {
        match self.options {
            FilterOptions::Fixed(_) => self.choices(&[], selected),
            FilterOptions::FromRows => {
                if !selected.is_empty() {
                    values.push(selected.to_owned());
                }
                values.sort_by(|a, b| natural(a, b));
                values.dedup();
                values.into_iter().map(|v| (v.clone(), v)).collect()
            }
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
    /// The rules [`super::list_rules`] applies for `query`.
    fn rules<'a>(&self, query: &'a ListQuery) -> Rules<'a, T> {
        Rules {
            search: self.search.as_ref().map(|s| s.text),
            filters: self
                .filters
                .iter()
                .zip(&query.filters)
                .map(|(f, chosen)| (f.value, chosen.as_str()))
                .collect(),
            sort: query
                .sort
                .and_then(|i| self.columns.get(i))
                .and_then(|c| c.sort)
                .map(|key| (key, query.desc)),
            id: self.row_id,
        }
    }

    /// The rows `query` keeps, in its order.
    pub fn visible(&self, rows: &[T], query: &ListQuery) -> Vec<T> {
        self.rules(query).select(rows, &query.search)
    }

    /// The page `at` of the rows `query` keeps, with where it stands (and every value the
    /// filters offering the rows' values may choose): what a list's server function sends.
    pub fn page(&self, rows: &[T], query: &ListQuery, at: PageAt) -> (Vec<T>, PageInfo) {
        let (page, mut info) = paginate(self.visible(rows, query), rows.len(), at.page, at.size);
        info.choices = self
            .filters
            .iter()
            .map(|f| match f.options {
                FilterOptions::Fixed(_) => Vec::new(),
                FilterOptions::FromRows => {
                    f.choices(rows, "").into_iter().map(|(v, _)| v).collect()
                }
            })
            .collect();
        (page, info)
    }

    /// [`Self::page`] for a server function's request.
    pub fn page_for(&self, rows: &[T], req: &PageRequest) -> (Vec<T>, PageInfo) {
        let (query, at) = self.from_request(req);
        self.page(rows, &query, at)
    }
}

impl<T> ListSpec<T> {
    /// The first sortable column.
    fn first_sortable(&self) -> Option<usize> {
        self.columns.iter().position(|c| c.sort.is_some())
    }

    /// A request as this list reads it (filters missing are "any"; no sort, or an unknown
    /// or unsortable column, is the first sortable column).
    pub fn from_request(&self, req: &PageRequest) -> (ListQuery, PageAt) {
        let mut filters = req.filters.clone();
        filters.resize(self.filters.len(), String::new());
        let sort = req
            .sort
            .filter(|i| self.columns.get(*i).is_some_and(|c| c.sort.is_some()))
            .or_else(|| self.first_sortable());
        let query = ListQuery {
            search: req.search.clone(),
            filters,
            sort,
            desc: req.desc,
        };
        (query, PageAt::new(req.page, req.size))
    }

    /// The column sorted by a URL's `sort` value (its key, see [`Column::key`]).
    fn sort_by_key(&self, key: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.sort.is_some() && c.key() == key)
    }

    /// The list's state as a URL's query says it (`q`, each filter's key, `sort`, `desc`,
    /// `page`, `size`, each after `prefix`); `get` reads one parameter. What is missing or
    /// unreadable is the default: the list as it first shows.
    pub fn from_params(
        &self,
        prefix: &str,
        default_sort: Option<usize>,
        get: impl Fn(&str) -> Option<String>,
    ) -> (ListQuery, PageAt) {
        let get = |name: &str| get(&format!("{prefix}{name}")).filter(|v| !v.is_empty());
        let query = ListQuery {
            search: get("q").unwrap_or_default(),
            filters: self
                .filters
                .iter()
                .map(|f| get(f.key).unwrap_or_default())
                .collect(),
            sort: get("sort")
                .and_then(|k| self.sort_by_key(&k))
                .or(default_sort),
            desc: get("desc").is_some_and(|d| d == "1"),
        };
        let number = |name| get(name).and_then(|v| v.parse().ok()).unwrap_or(0);
        (query, PageAt::new(number("page"), number("size")))
    }

    /// The URL query parameters of a state, defaults left out (so the list as it first
    /// shows has a bare URL); the inverse of [`Self::from_params`].
    pub fn to_params(
        &self,
        prefix: &str,
        default_sort: Option<usize>,
        query: &ListQuery,
        at: PageAt,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut put = |name: &str, value: String| out.push((format!("{prefix}{name}"), value));
        if !query.search.is_empty() {
            put("q", query.search.clone());
        }
        for (f, chosen) in self.filters.iter().zip(&query.filters) {
            if !chosen.is_empty() {
                put(f.key, chosen.clone());
            }
        }
        if query.sort != default_sort {
            if let Some(c) = query.sort.and_then(|i| self.columns.get(i)) {
                put("sort", c.key());
            }
        }
        if query.desc {
            put("desc", "1".into());
        }
        if at.page > 1 {
            put("page", at.page.to_string());
        }
        if at.size != DEFAULT_SIZE {
            put("size", at.size.to_string());
        }
        out
    }
}

/// Which page of a list is shown, and how many rows a page has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageAt {
    pub page: usize,
    pub size: usize,
}

impl PageAt {
    /// Page `page` (from 1) of `size` rows, both clamped (0 is the first page, an unknown
    /// size the default).
    pub fn new(page: usize, size: usize) -> Self {
        Self {
            page: page.max(1),
            size: clamp_size(size),
        }
    }
}

impl Default for PageAt {
    fn default() -> Self {
        Self::new(1, DEFAULT_SIZE)
    }
}

/// A server function's request for `query`'s page `at`.
pub fn request(query: &ListQuery, at: PageAt) -> PageRequest {
    PageRequest {
        search: query.search.clone(),
        filters: query.filters.clone(),
        sort: query.sort,
        desc: query.desc,
        page: at.page,
        size: at.size,
    }
}

/// Declares a list's paged server function, `{api}/page` (the kind's `api`): the list's
/// own server function (`list`, which authorizes the caller and keeps a customer's rows
/// to theirs), paged on the server by the page's list definition (`spec`, an expression
/// making its [`ListSpec`]). So every paged list is authorized exactly as its unpaged
/// list, filters by tenancy before paging (no count includes another's rows), and pages
/// as the browser would. `$listing` is what `list` answers (a [`Pageable`]); with `keep`,
/// only the rows it says yes to are paged (one part of a list, like an account's own
/// images apart from the public ones). Read it with [`crate::components::live::paged_source`].
///
/// ```ignore
/// paged_list!(ScriptPageFn, "scripts/page", script_page, script_list, script_columns(), Vec<ScriptRow>);
/// ```
#[macro_export]
macro_rules! paged_list {
    ($name:ident, $endpoint:literal, $f:ident, $list:path, $spec:expr, $listing:ty $(, keep = $keep:path)?) => {
        #[doc = concat!("One page of `", $endpoint, "`'s list (see [`crate::paged_list`]).")]
        #[leptos::server(name = $name, endpoint = $endpoint)]
        pub async fn $f(
            #[server(default)] paging: $crate::components::list_rules::PageRequest,
        ) -> Result<$crate::components::list::PageOf<$listing>, $crate::error::AppError> {
            let all = $list().await?;
            $(
                let mut all = all;
                $crate::components::list::Pageable::rows_mut(&mut all).retain(|r| $keep(r));
            )?
            Ok($spec.page_of(all, &paging))
        }
        // Named outside the server's body too: the browser's build has no unused item.
        const _: () = {
            let _ = $list;
            $(let _ = $keep;)?
        };
    };
}

/// A listing whose rows a server function can cut to one page; the rest of it (a note, the
/// regions a form offers, a quota) travels whole.
pub trait Pageable: Listing {
    fn rows_mut(&mut self) -> &mut Vec<Self::Row>;
}

impl<T> Pageable for Vec<T>
where
    T: Clone + PartialEq + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    fn rows_mut(&mut self) -> &mut Vec<T> {
        self
    }
}

/// Implements [`Pageable`] for listings whose rows are one field.
#[macro_export]
macro_rules! pageable {
    ($($listing:ty => $field:tt),* $(,)?) => {$(
        impl $crate::components::list::Pageable for $listing {
            fn rows_mut(&mut self) -> &mut Vec<Self::Row> {
                &mut self.$field
            }
        }
    )*};
}

/// One page of a listing as its server function paged it ([`ListSpec::page_of`]): the
/// listing with only that page's rows, and where the page stands.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PageOf<L> {
    pub listing: L,
    pub paging: PageInfo,
}

impl<L: Pageable> Listing for PageOf<L> {
    type Row = L::Row;
    fn rows(&self) -> &[L::Row] {
        self.listing.rows()
    }
    fn note(&self) -> Option<ListNote> {
        self.listing.note()
    }
    fn paging(&self) -> Option<&PageInfo> {
        Some(&self.paging)
    }
}

impl<T: Clone> ListSpec<T> {
    /// [`Self::page_for`] of a listing's rows: the listing keeps only the page's.
    pub fn page_of<L: Pageable<Row = T>>(&self, mut listing: L, req: &PageRequest) -> PageOf<L> {
        let (rows, paging) = self.page_for(listing.rows(), req);
        *listing.rows_mut() = rows;
        PageOf { listing, paging }
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

/// A list's state: what was asked (search, filters, sort) and which page. Kept in the
/// page's URL (`?q=&region=&sort=&desc=1&page=&size=`, each name after the list's prefix),
/// so a page of a list is a link and back/forward go through what was asked; the server
/// renders the page the URL asks for and hydration reads the same.
#[derive(Debug, Clone, Copy)]
pub struct ListState {
    pub query: RwSignal<ListQuery>,
    pub at: RwSignal<PageAt>,
    prefix: &'static str,
    default_sort: Option<usize>,
    params: Memo<leptos_router::params::ParamsMap>,
    path: Memo<String>,
}

impl ListState {
    /// The state the URL gives, kept in step with it both ways in the browser: a change
    /// made here becomes the URL (a new history entry, but typing in the search box
    /// replaces it), a URL followed (a pager link, back, forward) becomes the state.
    pub fn from_url<T: Send + Sync + 'static>(
        spec: Arc<ListSpec<T>>,
        prefix: &'static str,
        default_sort: Option<usize>,
    ) -> Self {
        let params = leptos_router::hooks::use_query_map();
        let path = leptos_router::hooks::use_location().pathname;
        let read = {
            let spec = spec.clone();
            move |p: &leptos_router::params::ParamsMap| {
                spec.from_params(prefix, default_sort, |k| p.get(k))
            }
        };
        let (query, at) = params.with_untracked(&read);
        let state = Self {
            query: RwSignal::new(query),
            at: RwSignal::new(at),
            prefix,
            default_sort,
            params,
            path,
        };
        // The states this list put in the URL and the router has not shown yet: their
        // echoes are not news (typing fast, an older one would undo a newer one).
        let sent = StoredValue::new(Vec::<(ListQuery, PageAt)>::new());
        let from_url = read.clone();
        Effect::new(move |_| {
            let (query, at) = params.with(&from_url);
            let echo = sent.with_value(|s| s.iter().position(|(q, a)| *q == query && *a == at));
            if let Some(i) = echo {
                sent.update_value(|s| {
                    s.drain(..=i);
                });
                return;
            }
            if state.query.with_untracked(|q| *q != query) {
                state.query.set(query);
            }
            if state.at.get_untracked() != at {
                state.at.set(at);
            }
        });
        let navigate = leptos_router::hooks::use_navigate();
        Effect::new(move |_| {
            let (query, at) = (state.query.get(), state.at.get());
            let (in_url, at_url) = params.with_untracked(&read);
            if in_url == query && at_url == at {
                return;
            }
            let only_typed = ListQuery {
                search: query.search.clone(),
                ..in_url
            } == query
                && at_url == at;
            let url = state.url(&spec, &query, at);
            sent.update_value(|s| s.push((query, at)));
            navigate(
                &url,
                leptos_router::NavigateOptions {
                    replace: only_typed,
                    scroll: false,
                    ..Default::default()
                },
            );
        });
        state
    }

    /// A state of its own, not in the URL (for tests and lists shown in a dialog).
    pub fn local(default_sort: Option<usize>, filters: usize) -> Self {
        Self {
            query: RwSignal::new(ListQuery {
                filters: vec![String::new(); filters],
                sort: default_sort,
                ..ListQuery::default()
            }),
            at: RwSignal::new(PageAt::default()),
            prefix: "",
            default_sort,
            params: Memo::new(|_| leptos_router::params::ParamsMap::new()),
            path: Memo::new(|_| String::new()),
        }
    }

    /// What to ask a list's server function for.
    pub fn request(&self) -> PageRequest {
        request(&self.query.get(), self.at.get())
    }

    /// [`Self::request`], untracked: a page's first read (later pages come by the live
    /// stream, so the list is not drawn again and the search box keeps its focus).
    pub fn request_untracked(&self) -> PageRequest {
        request(&self.query.get_untracked(), self.at.get_untracked())
    }

    /// Bumps `refresh` each time what is asked or the page changes (not at the first
    /// render): for a list that comes as a part of its page's one read (a zone's records
    /// with the zone, [`crate::components::detail::detail_page`]), read again at each bump.
    pub fn refresh_on_change(self, refresh: Refresh) {
        let asked = Memo::new(move |_| self.request());
        Effect::new(move |before: Option<()>| {
            // Read, not only tracked: a memo nobody reads is never computed, so it would
            // never hear of a change.
            let _ = asked.get();
            if before.is_some() {
                refresh.bump();
            }
        });
    }

    /// Changes what is asked; back to the first page.
    pub fn change(&self, f: impl FnOnce(&mut ListQuery)) {
        self.query.update(f);
        self.at.update(|a| a.page = 1);
    }

    /// The URL of this page with the list in state `query`/`at` (the other parameters kept).
    pub fn url<T>(&self, spec: &ListSpec<T>, query: &ListQuery, at: PageAt) -> String {
        let ours = spec.to_params(self.prefix, self.default_sort, query, at);
        let prefix = self.prefix;
        let mine = |k: &str| {
            k.strip_prefix(prefix).is_some_and(|k| {
                ["q", "sort", "desc", "page", "size"].contains(&k)
                    || spec.filters.iter().any(|f| f.key == k)
            })
        };
        let params: Vec<(String, String)> = self.params.with_untracked(|p| {
            p.latest_values()
                .filter(|(k, _)| !mine(k))
                .map(|(k, v)| (k.to_string(), v.to_owned()))
                .collect()
        });
        let map: leptos_router::params::ParamsMap = params.into_iter().chain(ours).collect();
        format!("{}{}", self.path.get_untracked(), map.to_query_string())
    }

    /// The live stream's query for this state (`paged=1&…`, the page URL's parameters).
    pub fn live_query<T>(&self, spec: &ListSpec<T>) -> String {
        let ours = spec.to_params("", self.default_sort, &self.query.get(), self.at.get());
        let map: leptos_router::params::ParamsMap =
            std::iter::once(("paged".to_owned(), "1".to_owned()))
                .chain(ours)
                .collect();
        map.to_query_string()
    }
}

/// A resource list: loading, error notice with the next step, empty state, toolbar (search,
/// filters, sort, count), a sortable table and a pager. Generic over what the page loads
/// ([`Listing`]): every row (the list pages them itself), or one page of them as the
/// list's server function paged them ([`Listing::paging`]).
///
/// Element ids derive from `id`: `{id}-table`, `{id}-search`, `{id}-count`, `{id}-sort`,
/// `{id}-{filter key}`, and the pager's `{id}-pager`, `{id}-range`, `{id}-prev`,
/// `{id}-next`, `{id}-size`; rows carry `row_attr="{row_id}"`. Two lists can share one
/// `source`, each showing a part of it (`only`). The search, filters, sort and page are in
/// the URL (see [`ListState`]); without WebAssembly the search box submits them as a form
/// and the pager's links work.
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
    /// The list's state when the page made it (its `source` asks the server for the page
    /// it shows: [`ListState::request`]); made from the URL here otherwise.
    #[prop(optional)]
    state: Option<ListState>,
    /// Before the list's URL parameter names: a second list of a page needs its own.
    #[prop(optional)]
    url_prefix: &'static str,
) -> impl IntoView
where
    L: Listing,
{
    let spec = Arc::new(spec);
    let default_sort = sort.or_else(|| spec.first_sortable());
    // Held outside the loading boundary: a refetch re-renders the list, not what was asked.
    let state =
        state.unwrap_or_else(|| ListState::from_url(spec.clone(), url_prefix, default_sort));
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
                            Ok(first) => list_body(first, live, spec, state, parts),
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
    state: ListState,
    parts: Parts<L::Row>,
) -> AnyView {
    let current = Memo::new(move |_| live.and_then(|l| l.get()).unwrap_or_else(|| first.clone()));
    let only = parts.only;
    let all = Memo::new(move |_| current.with(|c| kept(c.rows(), only)));
    // The page shown and where it stands: as the server paged it, or paged here.
    let shown = {
        let spec = spec.clone();
        Memo::new(move |_| match current.with(|c| c.paging().cloned()) {
            Some(info) => (all.get(), info),
            None => all.with(|a| {
                let visible = state.query.with(|q| spec.visible(a, q));
                let at = state.at.get();
                paginate(visible, a.len(), at.page, at.size)
            }),
        })
    };
    let rows = Memo::new(move |_| shown.with(|s| s.0.clone()));
    let info = Memo::new(move |_| shown.with(|s| s.1.clone()));
    let total = Memo::new(move |_| info.with(|i| i.total));
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
    let toolbar = toolbar(id, noun, spec.clone(), all, info, state);
    let table = table(id, noun, row_attr, spec.clone(), rows, info, state);
    let pager = pager(id, noun, spec, info, state);
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
            {pager.run()}
        </Show>
    }
    .into_any()
}

/// The toolbar row: search, filters, sort and the count. A GET form (`{id}-query`), so
/// that without WebAssembly the search box's Enter asks the server for what is chosen.
fn toolbar<T: Clone + PartialEq + Send + Sync + 'static>(
    id: &'static str,
    noun: &'static str,
    spec: Arc<ListSpec<T>>,
    all: Memo<Vec<T>>,
    info: Memo<PageInfo>,
    state: ListState,
) -> ViewFn {
    let query = state.query;
    let prefix = state.prefix;
    ViewFn::from(move || {
        let search = spec.search.as_ref().map(|s| {
            let placeholder = s.placeholder;
            view! {
                <label class="inline-field">
                    <span>"Search"</span>
                    <input
                        type="search"
                        id=format!("{id}-search")
                        name=format!("{prefix}q")
                        placeholder=placeholder
                        value=query.with_untracked(|q| q.search.clone())
                        prop:value=move || query.with(|q| q.search.clone())
                        on:input=move |ev| state.change(|q| q.search = event_target_value(&ev))
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
                    // A server-paged list sends every value the rows have; the rows here
                    // are only its page.
                    let sent = info.with(|p| p.choices.get(i).filter(|c| !c.is_empty()).cloned());
                    match sent {
                        Some(values) => f.choices_of(values, &selected),
                        None => all.with(|a| f.choices(a, &selected)),
                    }
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
                            name=format!("{prefix}{key}")
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                state.change(|q| {
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
        let sortable: Vec<(usize, String, &'static str)> = spec
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.sort.is_some())
            .map(|(i, c)| (i, c.key(), c.sort_label.unwrap_or(c.header)))
            .collect();
        let sort = (sortable.len() > 1).then(|| {
            let options = sortable
                .into_iter()
                .map(|(i, key, label)| {
                    view! {
                        <option
                            value=key
                            selected=move || query.with(|q| q.sort == Some(i))
                            prop:selected=move || query.with(|q| q.sort == Some(i))
                        >
                            {label}
                        </option>
                    }
                })
                .collect_view();
            let keys = spec.clone();
            view! {
                <label class="inline-field">
                    <span>"Sort by"</span>
                    <select
                        id=format!("{id}-sort")
                        name=format!("{prefix}sort")
                        on:change=move |ev| {
                            let i = keys.sort_by_key(&event_target_value(&ev));
                            state.change(|q| {
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
        // Kept when the form is sent without WebAssembly (the page goes back to 1).
        let desc = move || {
            query
                .with(|q| q.desc)
                .then(|| view! { <input type="hidden" name=format!("{prefix}desc") value="1" /> })
        };
        view! {
            <form
                class="toolbar"
                id=format!("{id}-query")
                method="get"
                role="search"
                aria-label=format!("Search and filter {noun}")
                on:submit=|ev| ev.prevent_default()
            >
                {search}
                {filters}
                {sort}
                {desc}
                <p class="count" aria-live="polite" id=format!("{id}-count")>
                    {move || info.with(|i| format!("{} of {} {noun}", i.filtered, i.total))}
                </p>
            </form>
        }
    })
}

/// The pager under the table: the rows shown (`51–100 of 520`), links to the previous and
/// next page (plain links: they work without WebAssembly, and the router follows them in
/// the browser), and the page size. Shown once a list has more rows than the smallest
/// page holds.
fn pager<T: Send + Sync + 'static>(
    id: &'static str,
    noun: &'static str,
    spec: Arc<ListSpec<T>>,
    info: Memo<PageInfo>,
    state: ListState,
) -> ViewFn {
    ViewFn::from(move || {
        let spec = spec.clone();
        move || {
            if info.with(|i| i.total <= SIZES[0]) {
                return None;
            }
            let link = {
                let spec = spec.clone();
                move |delta: isize| {
                    let (page, pages) = info.with(|i| (i.page, i.pages()));
                    let to = page
                        .checked_add_signed(delta)
                        .filter(|p| (1..=pages).contains(p))?;
                    let at = PageAt {
                        page: to,
                        ..state.at.get()
                    };
                    Some(state.query.with(|q| state.url(&spec, q, at)))
                }
            };
            let prev = {
                let link = link.clone();
                move || link(-1)
            };
            let next = move || link(1);
            let (prev_off, next_off) = (prev.clone(), next.clone());
            let sizes = SIZES
                .iter()
                .map(|n| {
                    let is = move || state.at.with(|a| a.size == *n);
                    view! { <option value=n.to_string() selected=is prop:selected=is>{n.to_string()}</option> }
                })
                .collect_view();
            let prefix = state.prefix;
            Some(view! {
                <nav class="pager toolbar" id=format!("{id}-pager") aria-label=format!("Pages of {noun}")>
                    <a
                        class="button subtle small"
                        id=format!("{id}-prev")
                        rel="prev"
                        href=prev
                        aria-disabled=move || prev_off().is_none().then_some("true")
                    >
                        "Previous"
                    </a>
                    <span id=format!("{id}-range") aria-live="polite">
                        {move || info.with(PageInfo::range_text)}
                    </span>
                    <a
                        class="button subtle small"
                        id=format!("{id}-next")
                        rel="next"
                        href=next
                        aria-disabled=move || next_off().is_none().then_some("true")
                    >
                        "Next"
                    </a>
                    <label class="inline-field">
                        <span>"Per page"</span>
                        <select
                            id=format!("{id}-size")
                            name=format!("{prefix}size")
                            form=format!("{id}-query")
                            on:change=move |ev| {
                                let size = event_target_value(&ev).parse().unwrap_or(DEFAULT_SIZE);
                                state.at.set(PageAt::new(1, size));
                            }
                        >
                            {sizes}
                        </select>
                    </label>
                </nav>
            })
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
    info: Memo<PageInfo>,
    state: ListState,
) -> ViewFn {
    ViewFn::from(move || {
        let heads = {
            let spec = spec.clone();
            move || {
                spec.columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| header(i, c.header, c.sort.is_some(), state))
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
        let nothing_matches = move || info.with(|i| i.filtered == 0);
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
                                    state.change(|q| {
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
fn header(i: usize, label: &'static str, sortable: bool, state: ListState) -> AnyView {
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
    let query = state.query;
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
                    state.change(|q| {
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
    use std::cmp::Ordering;

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
    fn url_parameters_round_trip_and_leave_defaults_out() {
        let s = spec();
        let get = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        // A bare URL: the list as it first shows.
        let (q, at) = s.from_params("", Some(0), get(&[]));
        assert_eq!(q, query("", "", 0, false));
        assert_eq!(at, PageAt::default());
        assert!(s.to_params("", Some(0), &q, at).is_empty());
        let (q, at) = s.from_params(
            "",
            Some(0),
            get(&[
                ("q", "web"),
                ("region", "toronto"),
                ("sort", "size"),
                ("desc", "1"),
                ("page", "3"),
                ("size", "25"),
            ]),
        );
        assert_eq!(q, query("web", "toronto", 1, true));
        assert_eq!(at, PageAt::new(3, 25));
        let back = s.to_params("", Some(0), &q, at);
        assert_eq!(
            back,
            [
                ("q", "web"),
                ("region", "toronto"),
                ("sort", "size"),
                ("desc", "1"),
                ("page", "3"),
                ("size", "25")
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        // Junk is the default; a prefix keeps a second list's parameters apart.
        let (q, at) = s.from_params(
            "",
            Some(0),
            get(&[("sort", "nope"), ("page", "x"), ("size", "7")]),
        );
        assert_eq!((q.sort, at), (Some(0), PageAt::default()));
        let (q, _) = s.from_params("snap-", Some(0), get(&[("snap-q", "db"), ("q", "web")]));
        assert_eq!(q.search, "db");
    }

    #[test]
    fn a_page_of_the_rows_with_every_filter_choice() {
        let s = spec();
        let req = PageRequest {
            sort: Some(0),
            page: 9,
            size: 25,
            ..PageRequest::default()
        };
        let (page, info) = s.page_for(&rows(), &req);
        assert_eq!(ids(page), ["3", "2", "1", "4"]);
        assert_eq!((info.page, info.total, info.filtered), (1, 4, 4));
        assert_eq!(
            info.choices,
            [vec!["montreal".to_owned(), "toronto".to_owned()]]
        );
        let narrowed = PageRequest {
            search: "web".into(),
            filters: vec!["toronto".into()],
            ..req
        };
        let (page, info) = s.page_for(&rows(), &narrowed);
        assert_eq!((info.total, info.filtered), (4, 1));
        assert_eq!(ids(page), ["1"]);
        assert_eq!(spec().columns[1].key(), "size");
    }

    /// A listing with more than its rows (like a page's view with its regions and note).
    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Shelf {
        items: Vec<String>,
        problem: Option<String>,
        regions: Vec<String>,
    }

    impl Listing for Shelf {
        type Row = String;
        fn rows(&self) -> &[String] {
            &self.items
        }
        fn note(&self) -> Option<ListNote> {
            self.problem.as_ref().map(|p| ListNote {
                title: p.clone(),
                text: String::new(),
            })
        }
    }

    crate::pageable!(Shelf => items);

    #[test]
    fn a_page_of_a_listing_keeps_the_rest_of_it() {
        let spec = ListSpec::<String> {
            columns: vec![Column::new("Name", |s: &String| s.clone()).sort(|s| SortValue::text(s))],
            search: Some(Search::new("Name", |s| s.clone())),
            filters: vec![],
            row_id: |s| s.clone(),
        };
        let shelf = Shelf {
            items: (1..=60).rev().map(|i| format!("item-{i}")).collect(),
            problem: Some("late".into()),
            regions: vec!["toronto".into()],
        };
        let second = PageRequest {
            sort: Some(0),
            page: 2,
            size: 25,
            ..PageRequest::default()
        };
        let page = spec.page_of(shelf.clone(), &second);
        assert_eq!(page.rows().len(), 25);
        assert_eq!(
            (page.rows()[0].as_str(), page.rows()[24].as_str()),
            ("item-26", "item-50")
        );
        let info = page.paging().expect("a page says where it stands");
        assert_eq!(
            (info.total, info.filtered, info.page, info.pages()),
            (60, 60, 2, 3)
        );
        assert_eq!(page.note().map(|n| n.title), Some("late".into()));
        assert_eq!(page.listing.regions, shelf.regions);
        // Round trip: what the browser reads is what the server sent.
        let json = serde_json::to_string(&page).unwrap();
        assert_eq!(serde_json::from_str::<PageOf<Shelf>>(&json).unwrap(), page);

        let found = spec.page_of(
            shelf,
            &PageRequest {
                search: "item-6".into(),
                ..second
            },
        );
        // Asked past the end: the last page (here the only one).
        assert_eq!(found.rows(), ["item-6", "item-60"]);
        assert_eq!(found.paging().map(|p| (p.filtered, p.page)), Some((2, 1)));
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
