//! The audit log as users read it: who did what to which resource, when, from where, and
//! how it ended. Owners and resellers see their account's entries (a reseller's customers act
//! on it too), customers their own, the admin everything. Filters by actor, action, resource
//! and time; the same query as CSV at `/audit.csv`. Nothing here can change an entry.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The filters, as the form and the CSV link send them (all optional text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    /// The actor's e-mail address.
    pub actor: String,
    /// An action (`vm/reboot`) or a prefix ending in `/` (`vm/`).
    pub action: String,
    /// Part of the resource (`vm:123`, or just the id).
    pub target: String,
    /// `YYYY-MM-DD`, from the start of that day (UTC).
    pub from: String,
    /// `YYYY-MM-DD`, to the end of that day (UTC).
    pub to: String,
    /// One of [`CATEGORIES`]' keys (an action prefix), or empty for every kind.
    pub category: String,
    /// `ok`, `failed`, `denied`, `unknown`, `pending`, or empty for any.
    pub outcome: String,
    /// Only entries older than this id (the next page).
    pub before: Option<i64>,
}

impl AuditQuery {
    /// The query string of the CSV link for these filters.
    pub fn csv_href(&self) -> String {
        let enc = |s: &str| {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        };
        format!(
            "/audit.csv?actor={}&action={}&target={}&from={}&to={}&category={}&outcome={}",
            enc(&self.actor),
            enc(&self.action),
            enc(&self.target),
            enc(&self.from),
            enc(&self.to),
            enc(&self.category),
            enc(&self.outcome)
        )
    }
}

/// The kinds of event the page filters by: an action prefix and its name.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("auth/", "Sign-in, sessions and passwords"),
    ("admin/", "Administration"),
    ("denied/", "Refused by the panel"),
    ("customer/", "Customers (reseller)"),
    ("credential/", "API key"),
    ("vm/", "VMs"),
];

/// The outcomes the page filters by.
pub const OUTCOMES: &[(&str, &str)] = &[
    ("ok", "Done"),
    ("failed", "Failed"),
    ("denied", "Refused"),
    ("unknown", "Unknown (no answer)"),
    ("pending", "Pending"),
];

/// One entry as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub id: i64,
    pub ts: i64,
    /// The actor's e-mail (or `#id` for a deleted user).
    pub actor: String,
    pub actor_role: String,
    /// The reseller who acted while viewing as the actor.
    pub on_behalf_of: Option<String>,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub error_class: String,
    pub ip: String,
    pub request_id: String,
}

/// A page of entries, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditView>,
    /// Pass as `before` for the next page; `None` on the last.
    pub next_before: Option<i64>,
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian), if it is one.
pub fn parse_day(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=days_in[(m - 1) as usize]).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Checks the filters; every problem against its field.
pub fn check_query(q: &AuditQuery) -> Result<(Option<i64>, Option<i64>), AppError> {
    let mut errors = crate::error::FieldErrors::new();
    let day = |field: &'static str, text: &str, errors: &mut crate::error::FieldErrors| {
        if text.trim().is_empty() {
            return None;
        }
        let d = parse_day(text);
        if d.is_none() {
            errors.add(field, "Use a date such as 2026-11-30.");
        }
        d
    };
    let from = day("from", &q.from, &mut errors).map(|d| d * 86_400);
    let to = day("to", &q.to, &mut errors).map(|d| d * 86_400 + 86_399);
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            errors.add("to", "The end is before the start.");
        }
    }
    for (field, text) in [
        ("action", &q.action),
        ("target", &q.target),
        ("actor", &q.actor),
    ] {
        if text.len() > 200 {
            errors.add(field, "At most 200 characters.");
        }
    }
    if !q.category.is_empty() && !CATEGORIES.iter().any(|(k, _)| *k == q.category) {
        errors.add("category", "Choose a kind of event from the list.");
    }
    if !q.outcome.is_empty() && !OUTCOMES.iter().any(|(k, _)| *k == q.outcome) {
        errors.add("outcome", "Choose an outcome from the list.");
    }
    errors.into_result()?;
    Ok((from, to))
}

/// Quotes a CSV field; a leading `=`, `+`, `-` or `@` is defused so a spreadsheet never runs
/// it as a formula (the target and actor come from users).
pub fn csv_field(s: &str) -> String {
    let defused = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", defused.replace('"', "\"\""))
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::collections::HashMap;

    use super::*;
    use crate::server::context::ServerState;
    use crate::server::store::{AuditFilter, AuditScope, User};

    use crate::types::Role;

    /// Most entries in one page, and in one CSV file.
    pub const PAGE: i64 = 100;
    pub const CSV_LIMIT: i64 = 50_000;

    /// Runs `q` for `viewer` within what they may see.
    pub async fn search(
        state: &ServerState,
        viewer: &User,
        q: &AuditQuery,
        limit: i64,
    ) -> Result<AuditPage, AppError> {
        let (since, until) = check_query(q)?;
        let scope = match viewer.role {
            Role::Admin => None,
            Role::Owner | Role::Reseller => Some(AuditScope::Account(viewer.id)),
            Role::Customer => Some(AuditScope::Actor(viewer.id)),
        };
        let actor = q.actor.trim();
        let actor_user_id = if actor.is_empty() {
            None
        } else {
            let email = crate::validate::normalize_email(actor);
            match state.store.user_by_email(&email).await? {
                Some(u) => Some(u.id),
                None => {
                    return Ok(AuditPage {
                        entries: Vec::new(),
                        next_before: None,
                    })
                }
            }
        };
        let filter = AuditFilter {
            scope,
            actor_user_id,
            action: Some(q.action.trim().to_owned()).filter(|s| !s.is_empty()),
            target: Some(q.target.trim().to_owned()).filter(|s| !s.is_empty()),
            since,
            until,
            before_id: q.before,
            category: Some(q.category.clone()).filter(|s| !s.is_empty()),
            outcome: Some(q.outcome.clone()).filter(|s| !s.is_empty()),
        };
        let rows = state.store.search_audit(&filter, limit + 1).await?;
        let more = rows.len() as i64 > limit;
        let mut names: HashMap<i64, String> = HashMap::new();
        let mut entries = Vec::new();
        for r in rows.into_iter().take(limit as usize) {
            let actor = name_of(state, &mut names, r.entry.actor_user_id).await;
            let on_behalf_of = match r.entry.impersonator_user_id {
                None => None,
                id => Some(name_of(state, &mut names, id).await),
            };
            entries.push(AuditView {
                id: r.id,
                ts: r.ts,
                actor,
                actor_role: r.entry.actor_role.unwrap_or_default(),
                on_behalf_of,
                action: r.entry.action,
                target: r.entry.target,
                outcome: r.entry.outcome.as_str().to_owned(),
                error_class: r.entry.error_class.unwrap_or_default(),
                ip: r.entry.ip.unwrap_or_default(),
                request_id: r.entry.request_id.unwrap_or_default(),
            });
        }
        let next_before = if more {
            entries.last().map(|e| e.id)
        } else {
            None
        };
        Ok(AuditPage {
            entries,
            next_before,
        })
    }

    /// A user's e-mail for the log (`#id` once they are deleted), looked up once per page.
    async fn name_of(
        state: &ServerState,
        names: &mut HashMap<i64, String>,
        id: Option<i64>,
    ) -> String {
        let Some(id) = id else {
            return String::new();
        };
        if let Some(n) = names.get(&id) {
            return n.clone();
        }
        let n = match state.store.user_by_id(id).await {
            Ok(Some(u)) => u.email,
            _ => format!("#{id}"),
        };
        names.insert(id, n.clone());
        n
    }

    /// `GET /audit.csv?actor=&action=&target=&from=&to=`: the filtered entries as CSV.
    pub async fn csv(
        axum::extract::State(state): axum::extract::State<ServerState>,
        axum::extract::Query(q): axum::extract::Query<AuditQuery>,
        authenticated: Option<axum::Extension<crate::server::session::Authenticated>>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        let Some(viewer) = authenticated.and_then(|a| a.0 .0) else {
            return http::StatusCode::UNAUTHORIZED.into_response();
        };
        let page = match search(&state, &viewer, &q, CSV_LIMIT).await {
            Ok(p) => p,
            Err(e) => {
                let status = http::StatusCode::from_u16(e.status_code())
                    .unwrap_or(http::StatusCode::BAD_REQUEST);
                return (status, e.to_string()).into_response();
            }
        };
        let mut out = String::from(
            "id,time_utc,actor,actor_role,on_behalf_of,action,resource,outcome,error,ip,request_id\r\n",
        );
        for e in page.entries {
            let cells = [
                e.id.to_string(),
                crate::types::format_unix(e.ts),
                e.actor,
                e.actor_role,
                e.on_behalf_of.unwrap_or_default(),
                e.action,
                e.target,
                e.outcome,
                e.error_class,
                e.ip,
                e.request_id,
            ];
            let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        (
            [
                (http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"audit-log.csv\"",
                ),
                (http::header::CACHE_CONTROL, "no-store"),
            ],
            out,
        )
            .into_response()
    }
}

/// A page of the audit log the signed-in user may see, newest first.
#[server(endpoint = "audit/list")]
pub async fn list_audit(query: AuditQuery) -> Result<AuditPage, AppError> {
    use crate::server::context::{require_user, state};
    let (viewer, state) = (require_user()?, state()?);
    ssr::search(&state, &viewer, &query, ssr::PAGE).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_bad_dates() {
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(parse_day("2000-03-01"), Some(11_017));
        assert_eq!(parse_day("2026-11-30"), Some(20_787));
        assert_eq!(parse_day("2024-02-29"), Some(19_782));
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-00-10",
            "yesterday",
            "",
            "2026-11-31",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
        let q = AuditQuery {
            from: "2026-12-01".into(),
            to: "2026-11-01".into(),
            ..Default::default()
        };
        assert!(check_query(&q).unwrap_err().field("to").is_some());
        let q = AuditQuery {
            from: "soon".into(),
            ..Default::default()
        };
        assert!(check_query(&q).unwrap_err().field("from").is_some());
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("vm:1"), "\"vm:1\"");
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
        assert_eq!(csv_field("-1+2"), "\"'-1+2\"");
        let q = AuditQuery {
            action: "vm/".into(),
            target: "a b&c".into(),
            ..Default::default()
        };
        assert!(q.csv_href().contains("action=vm%2F&target=a%20b%26c"));
    }
}
