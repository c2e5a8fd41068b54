//! A data table: column headers and rows, scrolling sideways on narrow screens.

use leptos::prelude::*;

/// `headers` name the columns; an empty header is an actions column (named for screen
/// readers only). `children` are the `<tr>` rows.
#[component]
pub fn DataTable(headers: &'static [&'static str], children: Children) -> impl IntoView {
    let heads = headers
        .iter()
        .map(|h| {
            if h.is_empty() {
                view! {
                    <th scope="col">
                        <span class="visually-hidden">"Actions"</span>
                    </th>
                }
                .into_any()
            } else {
                view! { <th scope="col">{*h}</th> }.into_any()
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data">
                <thead>
                    <tr>{heads}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
