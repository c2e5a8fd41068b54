//! The 404 page (answered with status 404 when rendered on the server).

use crate::components::title::PageTitle;
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <PageTitle text="Page not found" />
        <main class="standalone" id="main">
            <section class="card narrow">
                <h1>"Page not found"</h1>
                <p>"There is nothing at this address. It may have moved, or the link may be mistyped."</p>
                <p>
                    <a class="button primary" href="/">
                        "Go to the overview"
                    </a>
                </p>
            </section>
        </main>
    }
}
