//! `/account/sessions`: where the user is signed in — when each session began, from which
//! address and browser, when it was last used — with "Sign out" for each other session and
//! for all of them at once.

use crate::components::title::PageTitle;
use leptos::prelude::*;

use crate::auth::sessions::{list_sessions, revoke_other_sessions, revoke_session, SessionView};
use crate::components::kit::*;
use crate::types::format_unix;

fn session_list(refresh: Callback<()>) -> ListSpec<SessionView> {
    ListSpec {
        columns: vec![
            Column::new("Browser", |s: &SessionView| {
                let current = s.current;
                view! {
                    <span>{s.browser.clone()}</span>
                    {current.then(|| view! { " " <span class="badge badge-on">"This session"</span> })}
                }
            })
            .sort(|s| SortValue::text(&s.browser)),
            Column::new("From", |s: &SessionView| {
                or_dash(s.ip.as_deref().unwrap_or_default())
            })
            .sort(|s| SortValue::text(s.ip.as_deref().unwrap_or_default())),
            Column::new("Signed in", |s: &SessionView| format_unix(s.created_at))
                .sort(|s| SortValue::number(s.created_at)),
            Column::new("Last active", |s: &SessionView| format_unix(s.seen_at))
                .sort(|s| SortValue::number(-s.seen_at)),
            Column::new("", move |s: &SessionView| {
                let id = s.id.clone();
                let current = s.current;
                view! {
                    <ActionButton
                        id=format!("sign-out-session-{}", s.id)
                        label="Sign out"
                        pending_label="Signing out…"
                        class="button subtle small"
                        run=move || revoke_session(id.clone())
                        success="That session was signed out."
                        reason=current.then(|| "This is the session you are using: use Sign out at the top.".to_owned())
                        quiet_reason=true
                        on_done=refresh
                    />
                }
            })
            .class("actions"),
        ],
        search: None,
        filters: vec![],
        row_id: |s| s.id.clone(),
    }
}

// `sessions/page`: the sessions paged on the server (its rules only: no button is drawn there).
crate::paged_list!(
    SessionPageFn,
    "sessions/page",
    session_page,
    list_sessions,
    session_list(Callback::new(|_| ())),
    Vec<SessionView>
);

#[component]
pub fn SessionsPage() -> impl IntoView {
    let refresh = Refresh::new();
    let (state, sessions) = paged_source(
        refresh,
        session_list(Callback::new(|_| ())),
        "",
        3,
        session_page,
    );
    view! {
        <PageTitle text="Sessions" />
        <p class="breadcrumb"><a href="/account">"Account"</a></p>
        <h1>"Sessions"</h1>
        <p>
            "Everywhere you are signed in. A session you do not recognise? Sign it out, then "
            <a href="/account">"change your password"</a>
            ", which signs out every other session too."
        </p>
        <ResourceList
            id="session"
            noun="sessions"
            source=sessions.first
            live=sessions.live
            state
            spec=session_list(refresh.callback())
            row_attr="data-session-id"
            sort=3
            empty="No sessions."
        />
        <section class="card">
            <h2>"Everywhere else"</h2>
            <ActionButton
                id="sign-out-others"
                label="Sign out all other sessions"
                pending_label="Signing out…"
                run=revoke_other_sessions
                success="Every other session was signed out."
                on_done=refresh.callback()
            />
        </section>
    }
}
