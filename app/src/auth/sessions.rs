//! The user's signed-in sessions (issue 13.3): when and from where each began, which
//! browser, when it was last used; sign out any one of them, or all but this one. Always
//! the user who really signed in (a reseller viewing as a customer sees their own).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// One session as its user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// The session's handle (signs nobody in; used to sign it out).
    pub id: String,
    pub created_at: i64,
    pub seen_at: i64,
    pub ip: Option<String>,
    /// "Chrome 156 on Linux"; "Unknown browser" when the browser did not say.
    pub browser: String,
    /// The session this page was opened in.
    pub current: bool,
}

/// "Firefox 133 on Windows": the browser and system a `User-Agent` names, roughly.
pub fn browser_summary(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.filter(|u| !u.trim().is_empty()) else {
        return "Unknown browser".to_owned();
    };
    let version_after = |token: &str| {
        ua.split(token).nth(1).map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
    };
    // Order matters: Edge and Opera also say Chrome; Chrome also says Safari.
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Version/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find_map(|(token, name)| {
        version_after(token).map(|v| {
            if v.is_empty() {
                (*name).to_owned()
            } else {
                format!("{name} {v}")
            }
        })
    });
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(token, _)| ua.contains(token))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b,
        (None, Some(s)) => format!("A browser on {s}"),
        (None, None) => "Unknown browser".to_owned(),
    }
}

#[cfg(feature = "ssr")]
async fn me() -> Result<crate::server::store::User, AppError> {
    use crate::server::context::{impersonating, require_user};
    // The reseller behind a customer view is who really holds the session.
    match impersonating() {
        Some(reseller) => Ok(reseller),
        None => require_user(),
    }
}

/// The signed-in user's sessions, most recently used first.
#[server(endpoint = "sessions/list")]
pub async fn list_sessions() -> Result<Vec<SessionView>, AppError> {
    use crate::server::context::{session, state};
    let user = me().await?;
    let state = state()?;
    let current = crate::server::session::current_sid(&session()?).await?;
    let rows = state.store.user_sessions(user.id).await?;
    Ok(rows
        .into_iter()
        .map(|r| SessionView {
            current: current.as_deref() == Some(r.sid.as_str()),
            browser: browser_summary(r.user_agent.as_deref()),
            id: r.sid,
            created_at: r.created_at,
            seen_at: r.seen_at,
            ip: r.ip,
        })
        .collect())
}

/// Signs out one of the user's other sessions (at its next request it is signed out; an
/// open live page of it closes within seconds).
#[server(endpoint = "sessions/revoke")]
pub async fn revoke_session(id: String) -> Result<(), AppError> {
    use crate::server::context::{session, state};
    use crate::server::events::{action, record, Event};
    let user = me().await?;
    let state = state()?;
    if crate::server::session::current_sid(&session()?)
        .await?
        .as_deref()
        == Some(id.as_str())
    {
        return Err(AppError::Conflict(
            "This is the session you are using. Use Sign out to end it.".into(),
        ));
    }
    if !state.store.delete_session(user.id, &id).await? {
        return Err(AppError::NotFound("That session".into()));
    }
    record(
        &state,
        Event::by(&user, action::SESSION_REVOKE).target(format!("session:{}", short(&id))),
    )
    .await;
    Ok(())
}

/// Signs out every session of the user but this one; how many.
#[server(endpoint = "sessions/revoke_others")]
pub async fn revoke_other_sessions() -> Result<u64, AppError> {
    use crate::server::context::{session, state};
    use crate::server::events::{action, record, Event};
    let user = me().await?;
    let state = state()?;
    let current = crate::server::session::current_sid(&session()?).await?;
    let n = state
        .store
        .delete_sessions_except(user.id, current.as_deref())
        .await?;
    record(
        &state,
        Event::by(&user, action::SESSIONS_REVOKE_OTHERS).target(format!("sessions:{n}")),
    )
    .await;
    Ok(n)
}

/// The first characters of a session handle: enough to tell sessions apart in the audit
/// log, not the whole handle.
#[cfg(feature = "ssr")]
fn short(id: &str) -> String {
    id.chars().take(6).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_are_named_roughly() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/156.0.8078.73 Safari/537.36",
                "Chrome 156 on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox 133 on Windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
                "Safari 17 on iOS",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like \
                 Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge 131 on Windows",
            ),
            ("curl/8.5.0", "curl 8"),
            ("something odd", "Unknown browser"),
            ("Mozilla/5.0 (Linux; Android 14)", "A browser on Android"),
        ];
        for (ua, want) in cases {
            assert_eq!(browser_summary(Some(ua)), want, "{ua}");
        }
        assert_eq!(browser_summary(None), "Unknown browser");
        assert_eq!(browser_summary(Some("  ")), "Unknown browser");
    }
}
