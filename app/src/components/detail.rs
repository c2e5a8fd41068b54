//! [`DetailFrame`]: the frame of a resource's own page — a breadcrumb back to its list, the
//! title with a status badge, an action bar, and a responsive grid of cards for the rest.

use leptos::prelude::*;
use leptos_meta::Title;

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
        <Title text=move || title.get() />
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
