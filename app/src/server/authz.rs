//! The one authorization point (SEC-6.1): every server function that touches an account's
//! Luna Node resources starts with [`authorize`], which is deny-by-default and returns the
//! [`Grant`] through which alone an upstream call can be made. Mutations made through a grant
//! are audited (one row: `pending` before the call, settled after).
//!
//! Today a signed-in user acts on their own account. Tenancy (resellers and their customers)
//! adds customer scoping here, in [`authorize`], and nowhere else.

use std::net::SocketAddr;

use super::context::{internal, require_user, state, ServerState};
use super::lunanode::actions::all as upstream_actions;
use super::lunanode::Action;
use super::store::{AuditEntry, Outcome, User, UserId};
use crate::error::{AppError, UpstreamProblem};
use crate::types::Role;

/// Panel actions that are not Luna Node API actions but are authorized and audited the same
/// way.
pub const PANEL_ACTIONS: &[&str] = &["credential/save", "credential/delete", "credential/test"];

/// What an action is about; becomes the audit row's target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The account as a whole (lists, plans, credit, the credential).
    Account,
    Vm(String),
    SshKey(String),
}

impl Target {
    fn audit_text(&self) -> String {
        // Ids come from users: keep the audit text one line (log injection, SEC-5.3).
        let clean = |s: &str| s.escape_debug().to_string();
        match self {
            Target::Account => String::new(),
            Target::Vm(id) => format!("vm:{}", clean(id)),
            Target::SshKey(id) => format!("sshkey:{}", clean(id)),
        }
    }
}

/// Who asked, from where.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    request_id: Option<String>,
    ip: Option<String>,
}

fn request_meta() -> RequestMeta {
    match leptos::prelude::use_context::<http::request::Parts>() {
        Some(parts) => RequestMeta::from_parts(&parts),
        None => RequestMeta::default(),
    }
}

impl RequestMeta {
    pub fn from_parts(parts: &http::request::Parts) -> Self {
        Self {
            request_id: parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            ip: parts
                .extensions
                .get::<axum::extract::ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        }
    }
}

/// Permission to perform one action on one target of one account.
#[derive(Debug, Clone)]
pub struct Grant {
    pub actor: User,
    /// Whose Luna Node account (and credential) the action uses.
    pub account: UserId,
    action: &'static str,
    target: Target,
    meta: RequestMeta,
    state: ServerState,
}

/// Decides whether the signed-in user may perform `action` on `target`. Deny by default:
/// an action not declared anywhere, an unknown role or no session is refused. Call it before
/// any `.await` of the server function (it reads the request context); further decisions in
/// the same function go through [`Grant::also`].
pub async fn authorize(action: &'static str, target: Target) -> Result<Grant, AppError> {
    authorize_as(require_user()?, state()?, request_meta(), action, target)
}

/// [`authorize`] for callers outside a server function (the live-status stream): the same
/// decision from an explicit actor, state and request.
pub fn authorize_as(
    actor: User,
    state: ServerState,
    meta: RequestMeta,
    action: &'static str,
    target: Target,
) -> Result<Grant, AppError> {
    let known =
        upstream_actions().iter().any(|a| a.path == action) || PANEL_ACTIONS.contains(&action);
    if !known {
        return Err(internal(format!("authorize: undeclared action {action}")));
    }
    let account = match actor.role {
        Role::Admin | Role::Owner => actor.id,
    };
    Ok(Grant {
        account,
        action,
        target,
        meta,
        state,
        actor,
    })
}

fn error_class(e: &AppError) -> &'static str {
    match e {
        AppError::NotFound(_) => "not_found",
        AppError::NoCredential => "no_credential",
        AppError::Validation(_) => "validation",
        AppError::Upstream { problem, .. } => match problem {
            UpstreamProblem::Rejected => "rejected",
            UpstreamProblem::KeyRefused => "key_refused",
            UpstreamProblem::Unavailable => "unavailable",
            UpstreamProblem::Timeout => "timeout",
        },
        _ => "internal",
    }
}

impl Grant {
    pub fn state(&self) -> &ServerState {
        &self.state
    }

    pub fn action(&self) -> &'static str {
        self.action
    }

    /// Another decision for the same caller and request: for server functions that touch
    /// several things. Needs no request context, so it works after an `.await` (where, in
    /// server rendering, the context is no longer reachable).
    pub fn also(&self, action: &'static str, target: Target) -> Result<Grant, AppError> {
        authorize_as(
            self.actor.clone(),
            self.state.clone(),
            self.meta.clone(),
            action,
            target,
        )
    }

    /// Makes the upstream call this grant is for. `what` names the target in "not found".
    /// A mutation writes its audit row before the call and settles it after.
    pub async fn call<A: Action>(&self, req: &A, what: &str) -> Result<A::Response, AppError> {
        if A::PATH != self.action {
            return Err(internal(format!(
                "grant for {} used for {}",
                self.action,
                A::PATH
            )));
        }
        if A::READ {
            return self.state.upstream.call(self.account, req, what).await;
        }
        let row = self.begin().await?;
        let result = self.state.upstream.call(self.account, req, what).await;
        self.settle(row, &result).await;
        result
    }

    /// Audits a panel-local mutation (no upstream call of its own) around `work`.
    pub async fn audited<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, AppError>>,
    ) -> Result<T, AppError> {
        let row = self.begin().await?;
        let result = work.await;
        self.settle(row, &result).await;
        result
    }

    async fn begin(&self) -> Result<i64, AppError> {
        Ok(self
            .state
            .store
            .audit(AuditEntry {
                request_id: self.meta.request_id.clone(),
                actor_user_id: Some(self.actor.id),
                actor_role: Some(self.actor.role.as_str().to_owned()),
                account_user_id: Some(self.account),
                action: self.action.to_owned(),
                target: self.target.audit_text(),
                outcome: Outcome::Pending,
                error_class: None,
                ip: self.meta.ip.clone(),
            })
            .await?)
    }

    async fn settle<T>(&self, row: i64, result: &Result<T, AppError>) {
        let (outcome, class) = match result {
            Ok(_) => (Outcome::Ok, None),
            Err(
                e @ AppError::Upstream {
                    problem: UpstreamProblem::Timeout,
                    ..
                },
            ) => (Outcome::Unknown, Some(error_class(e))),
            Err(e) => (Outcome::Failed, Some(error_class(e))),
        };
        if let Err(e) = self.state.store.audit_settle(row, outcome, class).await {
            tracing::error!(row, error = %e, "could not settle an audit row");
        }
    }
}
