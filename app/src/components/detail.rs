//! [`DetailFrame`]: the frame of a resource's own page — a breadcrumb back to its list, the
//! title with a status badge, an action bar, and a responsive grid of cards for the rest.

use crate::components::title::PageTitle;
use leptos::prelude::*;

/// The frame of a detail page. `children` are its cards ([`Card`]s), laid out in a grid
/// (`.detail-grid`) that uses the page's width: several columns on wide screens, one on
/// phones; a `wide` card spans the whole row (tables).
///
/// Render it inside the page's loading boundary once the resource has loaded; while
/// loading or on error, render the [`DetailBack`] breadcrumb and the notice instead.
#[component]
pub fn DetailFrame(
    /// The list this page belongs to: `("/vms", "Virtual machines")`.
    back: (&'static str, &'static str),
    /// The page's heading (and the window title); a signal, so a rename shows at once.
    #[prop(into)]
    title: Signal<String>,
    /// The heading's id (journeys read it: `vm-hostname`).
    #[prop(optional)]
    title_id: Option<&'static str>,
    /// Beside the title: usually a `StatusBadge`.
    #[prop(optional, into)]
    badge: Option<ViewFn>,
    /// The action bar below the title (buttons; `ActionButton`s).
    #[prop(optional, into)]
    actions: Option<ViewFn>,
    /// What the action bar is called for screen readers.
    #[prop(default = "Actions")]
    actions_label: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <PageTitle text=move || title.get() />
        <DetailBack back />
        <div class="page-head">
            <h1 id=title_id>{move || title.get()}</h1>
            {badge.map(|b| b.run())}
        </div>
        {actions
            .map(|a| {
                view! {
                    <div class="toolbar detail-actions" role="group" aria-label=actions_label>
                        {a.run()}
                    </div>
                }
            })}
        <div class="detail-grid">{children()}</div>
    }
}

/// The breadcrumb back to a list (also shown while a detail page loads or cannot).
#[component]
pub fn DetailBack(back: (&'static str, &'static str)) -> impl IntoView {
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <a href=back.0>{back.1}</a>
        </nav>
    }
}

/// A card of a detail page (or any page): a titled section. `wide` spans the grid's row.
#[component]
pub fn Card(
    #[prop(into)] title: String,
    #[prop(optional)] id: Option<&'static str>,
    #[prop(optional)] wide: bool,
    /// Extra classes (`danger-zone`).
    #[prop(optional)]
    class: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <section class=format!("card {class}") class:card-wide=wide id=id>
            <h2>{title}</h2>
            {children()}
        </section>
    }
}

/// A server call's error, kept in `slot` for the field it names (shown beside the input),
/// and the result passed on (for an [`crate::components::action::ActionButton`]'s toast).
pub fn keep_error<T>(
    slot: RwSignal<Option<crate::error::AppError>>,
    r: Result<T, crate::error::AppError>,
) -> Result<T, crate::error::AppError> {
    slot.set(r.as_ref().err().cloned());
    r
}

/// What a detail page loads: its route's id, how to read the resource, and how to say so.
pub struct DetailSource<F> {
    /// The list the page belongs to (the breadcrumb while loading or on a problem).
    pub back: (&'static str, &'static str),
    /// Reads the resource by id (a server function).
    pub read: F,
    /// What the loading indicator says ("Loading the volume…").
    pub loading: &'static str,
    /// Said when there is no such resource (or no longer).
    pub missing: &'static str,
    /// For the problem notice ("volumes").
    pub what: &'static str,
}

/// The skeleton every detail page shares: the resource of the route's `:id` read on the
/// server for the first render, then again in the browser each time `refresh` is bumped (an
/// action, a live change): the newest good answer replaces the data in place, a failed
/// re-read keeps the last good one, and a resource deleted meanwhile is said above the page.
/// "Not found" and other problems get the breadcrumb and a notice. `body` renders the page
/// from the data (usually a [`DetailFrame`]); `same` tells whether data is the id's.
pub fn detail_page<T, F, Fut, B, V>(
    source: DetailSource<F>,
    refresh: crate::components::list::Refresh,
    same: fn(&T, &str) -> bool,
    body: B,
) -> impl IntoView
where
    T: Clone + PartialEq + serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    F: Fn(String) -> Fut + Copy + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, crate::error::AppError>> + Send + 'static,
    B: Fn(Signal<T>) -> V + Copy + Send + Sync + 'static,
    V: IntoView + 'static,
{
    use crate::components::live::reread_in_browser;
    use crate::components::notice::ProblemNotice;
    use crate::components::shell::{ErrorNotice, Loading};
    use crate::error::AppError;

    let DetailSource {
        back,
        read,
        loading,
        missing,
        what,
    } = source;
    let params = leptos_router::hooks::use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let initial = Resource::new(move || id.get(), read);
    let reread = reread_in_browser(id, refresh, read);
    let latest = Memo::new(move |before: Option<&Option<T>>| {
        let current = id.get();
        reread.with(|r| match r {
            Some((key, Ok(d))) if *key == current => Some(d.clone()),
            _ => before.cloned().flatten().filter(|d| same(d, &current)),
        })
    });
    let gone = move || {
        reread.with(|r| matches!(r, Some((key, Err(AppError::NotFound(_)))) if *key == id.get()))
    };
    view! {
        <Transition fallback=move || view! { <DetailBack back /> <Loading label=loading /> }>
            {move || Suspend::new(async move {
                match initial.await {
                    Ok(first) => {
                        let d = Signal::derive(move || latest.get().unwrap_or_else(|| first.clone()));
                        view! {
                            {move || gone().then(|| view! { <ErrorNotice message=missing.to_owned() /> })}
                            {body(d)}
                        }
                        .into_any()
                    }
                    Err(AppError::NotFound(_)) => view! {
                        <DetailBack back />
                        <ErrorNotice message=missing.to_owned() />
                    }
                    .into_any(),
                    Err(e) => view! { <DetailBack back /> <ProblemNotice error=e what=what /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The rename card of a detail page: the current name in `{kind}-rename-name`, the button
/// `{kind}-rename`, a refusal beside the field (`{kind}-rename-error`); "`Noun` renamed."
/// when done. `run` renames (a server function taking the name typed).
#[component]
pub fn RenameCard<F, Fut>(
    /// The kind's key, the prefix of the ids (`volume`).
    kind: &'static str,
    /// What the toast calls it (`Volume`).
    noun: &'static str,
    current: String,
    #[prop(optional, into)] reason: MaybeProp<String>,
    run: F,
    on_done: Callback<()>,
) -> impl IntoView
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), crate::error::AppError>> + Send + 'static,
{
    use crate::components::action::InputAction;
    let name = RwSignal::new(current);
    let error = RwSignal::new(None::<crate::error::AppError>);
    let run = std::sync::Arc::new(run);
    view! {
        <Card title="Rename">
            <InputAction
                id=format!("{kind}-rename")
                input_id=format!("{kind}-rename-name")
                label="Name"
                value=name
                field="name"
                error
                button="Rename"
                pending_label="Renaming…"
                success=format!("{noun} renamed.")
                reason
                run=move |typed: String| {
                    let call = run(typed);
                    async move { keep_error(error, call.await) }
                }
                on_done
            />
        </Card>
    }
}
