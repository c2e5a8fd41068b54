//! The browser tab's title.

use leptos::prelude::*;
use leptos_meta::Title;

/// Sets the document's title to "`text` · lunapanel".
///
/// Each page names itself; no title formatter sits above the pages. With the pages in lazy
/// chunks (issue 14), a formatter in the app's frame would hydrate before the page's chunk
/// has loaded and, having no text yet, blank the title the server rendered until the page
/// hydrates.
#[component]
pub fn PageTitle(#[prop(into)] text: TextProp) -> impl IntoView {
    view! { <Title text=move || format!("{} · lunapanel", text.get()) /> }
}
