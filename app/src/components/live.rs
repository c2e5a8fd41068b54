//! Live status in the browser: one `EventSource` on `/api/live/vms` (or `/api/live/<kind>`)
//! per page that needs it. The server multiplexes every such stream of an account onto one
//! poller per kind.

use leptos::prelude::*;

use crate::kinds::KindSnapshot;
use crate::vm::VmListing;

/// The latest snapshot pushed by the server, `None` until the first one arrives (and always
/// during server rendering). The stream closes when the component goes away.
pub fn use_live_vms() -> ReadSignal<Option<VmListing>> {
    use_live_stream("/api/live/vms".to_owned())
}

/// The live VM list as one page of it: the stream asks for the page `query` says (the
/// page URL's own parameters, see [`crate::components::list::ListState::live_query`]) and
/// is opened again when it changes, so a large account does not stream every VM; its first
/// snapshot is the page newly asked for. `None` until the first snapshot arrives.
pub fn use_live_vms_paged(query: Signal<String>) -> ReadSignal<Option<VmListing>> {
    use_live_stream_at(Signal::derive(move || {
        format!("/api/live/vms{}", query.get())
    }))
}

/// Live status of one kind with transitions (an image saving, a volume attaching): the
/// latest list the server's shared poller pushed for it, as the viewer may see it.
pub fn use_live_kind(kind: &'static crate::kinds::Kind) -> ReadSignal<Option<KindSnapshot>> {
    use_live_stream(format!("/api/live/{}", kind.api))
}

/// Refetches (through `refresh`) whenever the shared live stream of `kind` shows an id
/// appear or go, or a status change (a volume made, attached, detached; a snapshot taken):
/// the page follows Luna Node without a reload and without timers of its own.
pub fn refetch_on_live(
    kind: &'static crate::kinds::Kind,
    refresh: crate::components::list::Refresh,
) {
    let live = use_live_kind(kind);
    let seen = Memo::new(move |_| {
        live.with(|s| {
            s.as_ref().map(|s| {
                let mut rows: Vec<(String, String)> = s
                    .rows
                    .iter()
                    .map(|r| (r.id.clone(), r.status.clone()))
                    .collect();
                rows.sort();
                rows
            })
        })
    });
    Effect::new(move |before: Option<Option<Vec<(String, String)>>>| {
        let now = seen.get();
        // The first snapshot after the page loaded may already be newer than the page.
        if now.is_some() && before.is_some() {
            refresh.bump();
        }
        now
    });
}

/// One `EventSource` on `url` whose `snapshot` events are JSON `T`.
fn use_live_stream<T>(url: String) -> ReadSignal<Option<T>>
where
    T: serde::de::DeserializeOwned + Send + Sync + 'static,
{
    use_live_stream_at(Signal::stored(url))
}

/// One `EventSource` on `url`, opened again when `url` changes.
fn use_live_stream_at<T>(url: Signal<String>) -> ReadSignal<Option<T>>
where
    T: serde::de::DeserializeOwned + Send + Sync + 'static,
{
    let (snapshot, set_snapshot) = signal(None::<T>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;

        // The last snapshot stays until the new stream's first one replaces it.
        let url = url.get();
        let Ok(source) = web_sys::EventSource::new(&url) else {
            return;
        };
        let on_snapshot = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| {
                if let Some(text) = event.data().as_string() {
                    if let Ok(s) = serde_json::from_str::<T>(&text) {
                        set_snapshot.set(Some(s));
                    }
                }
            },
        );
        let _ = source
            .add_event_listener_with_callback("snapshot", on_snapshot.as_ref().unchecked_ref());
        let held = StoredValue::new_local(Some((source, on_snapshot)));
        on_cleanup(move || {
            held.update_value(|h| {
                if let Some((source, _closure)) = h.take() {
                    source.close();
                }
            });
        });
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_snapshot, url);
    snapshot
}

/// Runs `fetch` once in the browser after hydration and holds its result (`None` until it
/// arrives). Used for parts of a page that sit inside another suspended part: rendering
/// them on the server as well made the server's and the browser's first render differ
/// (a hydration error), so they render "loading" in both and fill in afterwards.
pub fn load_in_browser<T, F, Fut>(fetch: F) -> Signal<Option<T>>
where
    T: Clone + Send + Sync + 'static,
    F: Fn() -> Fut + 'static,
    Fut: std::future::Future<Output = T> + 'static,
{
    read_in_browser(crate::components::list::Refresh::new(), fetch)
}

/// A detail page's data as read again in the browser each time `refresh` is bumped (after
/// an action, or when the live stream shows a change): the newest answer with the key it
/// was read for, `None` until one arrives. The reads are made by an effect, so the server
/// renders the page from its first read alone: a `LocalResource` read inside the page's
/// loading boundary held the server's render open now and then (the page came without its
/// content) and disposed views still being streamed. Only the latest question's answer
/// counts; a change of `key` alone asks nothing (the page's own resource reads it).
pub fn reread_in_browser<K, T, F, Fut>(
    key: Memo<K>,
    refresh: crate::components::list::Refresh,
    read: F,
) -> ReadSignal<Option<(K, Result<T, crate::error::AppError>)>>
where
    K: Clone + PartialEq + Send + Sync + 'static,
    T: Send + Sync + 'static,
    F: Fn(K) -> Fut + 'static,
    Fut: std::future::Future<Output = Result<T, crate::error::AppError>> + 'static,
{
    reads_in_browser(key, refresh, false, read)
}

/// A list page's data (see [`list_source`]).
pub struct ListSource<L: Send + Sync + 'static> {
    /// The first read, on the server: the list's `source`.
    pub first: Resource<Result<L, crate::error::AppError>>,
    /// The reads made again in the browser: the list's `live`.
    pub live: Signal<Option<L>>,
    /// The newest of the two, for the rest of the page.
    pub newest: Signal<Option<L>>,
}

impl<L: Send + Sync + 'static> Clone for ListSource<L> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L: Send + Sync + 'static> Copy for ListSource<L> {}

/// A list page's data: read first on the server, then again in the browser at every bump
/// of `refresh`, so that a refresh updates the rows in place instead of drawing the list
/// again (what is open or typed in a row survives). A failed re-read keeps the rows last
/// read.
pub fn list_source<L, F, Fut>(refresh: crate::components::list::Refresh, read: F) -> ListSource<L>
where
    L: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<L, crate::error::AppError>> + Send + 'static,
{
    let first = {
        let read = read.clone();
        Resource::new(|| (), move |_| read())
    };
    let again = reread_in_browser(Memo::new(|_| ()), refresh, move |()| read());
    let live = Signal::derive(move || again.with(|a| a.as_ref().and_then(|(_, r)| r.clone().ok())));
    let newest = Signal::derive(move || live.get().or_else(|| first.get().and_then(Result::ok)));
    ListSource {
        first,
        live,
        newest,
    }
}

/// A server-paged list's data (its `{api}/page` server function, see [`crate::paged_list`]):
/// the page the URL asks for, read first on the server; then, in the browser, the page
/// newly asked for whenever the list's state changes, and the same page again at every bump
/// of `refresh`. The later reads come as the list's `live`, so its rows update in place (the
/// first read is not made again, which would draw the list anew and take the search box's
/// focus). Only the latest question's answer counts; a failed read keeps the rows shown.
///
/// The list's state comes from the URL: `rules` is the list's definition (only its search,
/// filters and sort are used: build it with placeholder actions), `prefix` its URL
/// parameters' prefix and `sort` the column it sorts by at first. Give the state to the
/// list's [`crate::components::list::ResourceList`].
pub fn paged_source<L, F, Fut>(
    refresh: crate::components::list::Refresh,
    rules: crate::components::list::ListSpec<L::Row>,
    prefix: &'static str,
    sort: usize,
    read: F,
) -> (
    crate::components::list::ListState,
    ListSource<crate::components::list::PageOf<L>>,
)
where
    L: crate::components::list::Pageable,
    F: Fn(crate::components::list_rules::PageRequest) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<
            Output = Result<crate::components::list::PageOf<L>, crate::error::AppError>,
        > + Send
        + 'static,
{
    let state = crate::components::list::ListState::from_url(
        std::sync::Arc::new(rules),
        prefix,
        Some(sort),
    );
    let first = {
        let read = read.clone();
        Resource::new(|| (), move |_| read(state.request_untracked()))
    };
    let key = Memo::new(move |_| state.request());
    let (again, set_again) = signal(None::<crate::components::list::PageOf<L>>);
    let asked = StoredValue::new(0u64);
    Effect::new(move |before: Option<()>| {
        let (req, bumped) = (key.get(), refresh.track());
        // The first run, after hydration: the server's read of this page stands.
        if before.is_none() && bumped == 0 {
            return;
        }
        let n = asked.get_value().wrapping_add(1);
        asked.set_value(n);
        let reading = read(req);
        leptos::task::spawn_local(async move {
            if let Ok(page) = reading.await {
                if asked.try_get_value() == Some(n) {
                    set_again.try_set(Some(page));
                }
            }
        });
    });
    let live = Signal::derive(move || again.get());
    let newest = Signal::derive(move || live.get().or_else(|| first.get().and_then(Result::ok)));
    (
        state,
        ListSource {
            first,
            live,
            newest,
        },
    )
}

/// For a part with no server read of its own (a card inside another page's loading
/// boundary, like a VM's volumes): read once after hydration and again at every bump of
/// `refresh`, in the browser only; the server and the browser first render "loading" alike.
pub fn read_in_browser<T, F, Fut>(
    refresh: crate::components::list::Refresh,
    read: F,
) -> Signal<Option<T>>
where
    T: Clone + Send + Sync + 'static,
    F: Fn() -> Fut + 'static,
    Fut: std::future::Future<Output = T> + 'static,
{
    let answer = reads_in_browser(Memo::new(|_| ()), refresh, true, move |()| read());
    Signal::derive(move || answer.get().map(|(_, r)| r))
}

/// The one way the browser reads on its own ([`load_in_browser`], [`read_in_browser`],
/// [`reread_in_browser`]): `read(key)` by an effect (effects never run on the server) at
/// every bump of `refresh`, and at once too with `first`; only the latest answer counts.
fn reads_in_browser<K, O, F, Fut>(
    key: Memo<K>,
    refresh: crate::components::list::Refresh,
    first: bool,
    read: F,
) -> ReadSignal<Option<(K, O)>>
where
    K: Clone + PartialEq + Send + Sync + 'static,
    O: Send + Sync + 'static,
    F: Fn(K) -> Fut + 'static,
    Fut: std::future::Future<Output = O> + 'static,
{
    let (answer, set_answer) = signal(None);
    let asked = StoredValue::new(0u64);
    Effect::new(move |_| {
        if refresh.track() == 0 && !first {
            return;
        }
        let key = key.get_untracked();
        let n = asked.get_value().wrapping_add(1);
        asked.set_value(n);
        let reading = read(key.clone());
        leptos::task::spawn_local(async move {
            let r = reading.await;
            if asked.try_get_value() == Some(n) {
                set_answer.try_set(Some((key, r)));
            }
        });
    });
    answer
}

/// A status badge (`Online` green, `Offline` grey, transitions blue with a spinner).
#[component]
pub fn StatusBadge(#[prop(into)] status: Signal<Option<String>>) -> impl IntoView {
    let class = move || {
        format!(
            "status status-{}",
            crate::vm::status_class(status.get().as_deref())
        )
    };
    view! {
        <span class=class data-status=move || status.get().unwrap_or_default()>
            {move || status.get().unwrap_or_else(|| "Checking…".into())}
        </span>
    }
}
