//! Audited events outside a [`Grant`](super::authz::Grant): sign-in and sign-out, password and
//! second-factor changes, session revocation, reset links, the administrator's actions and
//! authorization refusals (issue 13, SEC-5.3). Everything that changes state writes its row
//! here or through a grant — there is no third way.
//!
//! Rows carry who (actor, role, the reseller viewing as them), whose account, what and to
//! which target, how it ended, and from where (the request id and peer address of the
//! current request) — never a password, code, token or key.

use super::authz::RequestMeta;
use super::context::ServerState;
use super::store::{AuditEntry, Outcome, User, UserId};

/// Sign-in and session events (their `action` in the audit log).
pub mod action {
    pub const SIGN_IN: &str = "auth/sign_in";
    pub const SIGN_IN_FAILED: &str = "auth/sign_in_failed";
    pub const SIGN_OUT: &str = "auth/sign_out";
    pub const SIGN_UP: &str = "auth/sign_up";
    pub const PASSWORD_CHANGE: &str = "auth/password_change";
    pub const PASSWORD_RESET: &str = "auth/password_reset";
    pub const RESET_LINK: &str = "auth/reset_link";
    pub const TOTP_ENABLE: &str = "auth/totp_enable";
    pub const TOTP_DISABLE: &str = "auth/totp_disable";
    pub const TOTP_RESET: &str = "auth/totp_reset";
    pub const TOTP_FAILED: &str = "auth/totp_failed";
    pub const RECOVERY_USED: &str = "auth/recovery_code_used";
    pub const RECOVERY_REGENERATE: &str = "auth/recovery_codes_regenerate";
    pub const SESSION_REVOKE: &str = "auth/session_revoke";
    pub const SESSIONS_REVOKE_OTHERS: &str = "auth/sessions_revoke_others";
    pub const THROTTLED: &str = "auth/throttled";
    pub const ADMIN_DISABLE: &str = "admin/disable";
    pub const ADMIN_ENABLE: &str = "admin/enable";
    pub const ADMIN_ROLE: &str = "admin/role";
    pub const ADMIN_INVITE: &str = "admin/invite";
    pub const ADMIN_INVITE_REVOKE: &str = "admin/invite_revoke";
    pub const ADMIN_SETTINGS: &str = "admin/settings";
    /// Prefix of an authorization refusal: `denied/<the refused action>`.
    pub const DENIED_PREFIX: &str = "denied/";
}

/// One event to audit.
#[derive(Debug, Clone)]
pub struct Event {
    pub action: String,
    /// Who did it (`None`: nobody signed in, e.g. a failed sign-in for an unknown address).
    pub actor: Option<(UserId, String)>,
    /// Whose account it concerns (rows are shown to that account's owner or reseller).
    pub account: Option<UserId>,
    pub target: String,
    pub outcome: Outcome,
    pub error_class: Option<String>,
}

impl Event {
    /// `action` done by `actor` on their own account (a customer's account is their
    /// reseller's), ending `Ok`.
    pub fn by(actor: &User, action: &str) -> Self {
        Self {
            action: action.to_owned(),
            actor: Some((actor.id, actor.role.as_str().to_owned())),
            account: Some(actor.reseller_id.unwrap_or(actor.id)),
            target: format!("user:{}", actor.id),
            outcome: Outcome::Ok,
            error_class: None,
        }
    }

    /// `action` with no signed-in actor.
    pub fn anonymous(action: &str) -> Self {
        Self {
            action: action.to_owned(),
            actor: None,
            account: None,
            target: String::new(),
            outcome: Outcome::Ok,
            error_class: None,
        }
    }

    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = one_line(&target.into());
        self
    }

    pub fn account(mut self, account: Option<UserId>) -> Self {
        self.account = account;
        self
    }

    pub fn outcome(mut self, outcome: Outcome, error_class: Option<&str>) -> Self {
        self.outcome = outcome;
        self.error_class = error_class.map(str::to_owned);
        self
    }
}

/// Keeps text from users on one line (log injection, SEC-5.3) and bounded.
pub fn one_line(text: &str) -> String {
    text.chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The current request's id, peer address and impersonator (none outside a request).
pub fn current_meta() -> RequestMeta {
    match leptos::prelude::use_context::<http::request::Parts>() {
        Some(parts) => RequestMeta::from_parts(&parts),
        None => RequestMeta::default(),
    }
}

/// Writes `event`'s row for the current request. A failure is logged, not returned: the
/// event already happened (an audit row that cannot be written must not, say, undo a
/// sign-out).
pub async fn record(state: &ServerState, event: Event) {
    record_with(state, &current_meta(), event).await;
}

/// [`record`] with explicit request metadata (middleware and routes outside server
/// functions).
pub async fn record_with(state: &ServerState, meta: &RequestMeta, event: Event) {
    let entry = AuditEntry {
        request_id: meta.request_id().map(str::to_owned),
        actor_user_id: event.actor.as_ref().map(|a| a.0),
        actor_role: event.actor.map(|a| a.1),
        account_user_id: event.account,
        action: event.action,
        target: event.target,
        outcome: event.outcome,
        error_class: event.error_class,
        ip: meta.ip().map(str::to_owned),
        impersonator_user_id: meta.impersonator(),
    };
    if let Err(e) = state.store.audit(entry).await {
        tracing::error!(error = %e, "could not write an audit row");
    }
}

/// Runs `work` and records `event` with how it ended (`ok`, or `failed` and why): for
/// changes the panel makes itself, with no upstream call (an administrator's).
pub async fn around<T>(
    state: &ServerState,
    event: Event,
    work: impl std::future::Future<Output = Result<T, crate::error::AppError>>,
) -> Result<T, crate::error::AppError> {
    let result = work.await;
    let event = match &result {
        Ok(_) => event,
        Err(e) => event.outcome(Outcome::Failed, Some(class_of(e))),
    };
    record(state, event).await;
    result
}

/// Records that the panel refused `actor` the action `path` on `target` (an authorization
/// refusal: not allowed, or not theirs — the latter answered "not found").
pub async fn denied(
    state: &ServerState,
    meta: &RequestMeta,
    actor: &User,
    path: &str,
    target: &str,
    error: &crate::error::AppError,
) {
    let event = Event {
        target: one_line(target),
        ..Event::by(actor, &format!("{}{path}", action::DENIED_PREFIX))
    }
    .outcome(Outcome::Denied, Some(class_of(error)));
    record_with(state, meta, event).await;
}

/// A short name for an error's kind, for the audit row.
pub fn class_of(e: &crate::error::AppError) -> &'static str {
    use crate::error::{AppError, UpstreamProblem};
    match e {
        AppError::NotFound(_) => "not_found",
        AppError::Forbidden => "forbidden",
        AppError::SecondFactorRequired => "second_factor_required",
        AppError::Unauthenticated => "unauthenticated",
        AppError::Suspended => "suspended",
        AppError::Quota(_) => "quota",
        AppError::Conflict(_) => "conflict",
        AppError::NoCredential => "no_credential",
        AppError::Validation(_) => "validation",
        AppError::TooMany { .. } => "too_many",
        AppError::Throttled { .. } => "throttled",
        AppError::Busy { .. } => "busy",
        AppError::InvalidCredentials => "invalid_credentials",
        AppError::Upstream { problem, .. } => match problem {
            UpstreamProblem::Rejected => "rejected",
            UpstreamProblem::KeyRefused => "key_refused",
            UpstreamProblem::Unavailable => "unavailable",
            UpstreamProblem::Timeout => "timeout",
            UpstreamProblem::OutcomeUnknown => "outcome_unknown",
        },
        AppError::Internal { .. } | AppError::Transport(_) => "internal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_strips_controls_and_bounds() {
        assert_eq!(one_line("a\nb\r\tc"), "a b  c");
        assert_eq!(one_line(&"x".repeat(500)).len(), 200);
    }

    #[test]
    fn client_request_ids_are_checked() {
        use crate::server::authz::is_request_id;
        assert!(is_request_id("0b7c9a52-3f0e-4a57-9d36-5f1c1e0f4a11"));
        assert!(!is_request_id(""));
        assert!(!is_request_id("a\nforged audit line"));
        assert!(!is_request_id("<script>"));
        assert!(!is_request_id(&"a".repeat(65)));
    }
}
