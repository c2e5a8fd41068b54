//! A data table: column headers and rows, scrolling sideways on narrow screens.

use leptos::prelude::*;

/// `headers` name the columns; an empty header is an actions column (named for screen
/// readers only). `children` are the `<tr>` rows.
#[component]
pub fn DataTable(
    headers: &'static [&'static str],
    /// What the table holds ("Customers"); by default its column names.
    #[prop(optional, into)]
    label: Option<String>,
    children: Children,
) -> impl IntoView {
    let label = label.unwrap_or_else(|| {
        let named: Vec<&str> = headers.iter().copied().filter(|h| !h.is_empty()).collect();
        format!("Table: {}", named.join(", "))
    });
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
        <TableWrap label=label>
            <table class="data">
                <thead>
                    <tr>{heads}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </TableWrap>
    }
}

/// The box a table scrolls sideways in on narrow screens. Focusable and named, so a keyboard
/// user can scroll it and a screen reader says what it holds (WCAG 2.1.1; axe-core's
/// `scrollable-region-focusable`).
#[component]
pub fn TableWrap(#[prop(into)] label: String, children: Children) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label=label>
            {children()}
        </div>
    }
}
