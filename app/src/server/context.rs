//! What server functions reach through Leptos context: the shared [`ServerState`], the
//! request's session and its signed-in user. Provided once per request by the server crate.

use std::sync::Arc;
use std::time::Duration;

use http::request::Parts;
use leptos::prelude::use_context;
use tower_sessions::Session;

use super::live::LiveHub;
use super::password::{Hasher, PasswordError};
use super::session::Authenticated;
use super::store::{Store, StoreError, User};
use super::upstream::Upstream;
use crate::error::{AppError, FieldErrors};
use crate::types::{DemoSignIn, Role, SignUpPolicy};

/// Settings the pages and server functions need (a subset of the server's `Config`).
#[derive(Debug, Clone)]
pub struct PanelSettings {
    pub demo: bool,
    /// The demo account, in demo mode.
    pub demo_sign_in: Option<DemoSignIn>,
    pub sign_up: SignUpPolicy,
    /// The panel's own origin, e.g. `https://panel.example.com` (no trailing slash).
    pub public_origin: String,
    pub idle_timeout: Duration,
    pub absolute_timeout: Duration,
    pub invite_lifetime: Duration,
    /// Sign-in, code and sign-up throttling.
    pub throttle: super::throttle::ThrottleSettings,
}

/// Shared by every request; cheap to clone.
#[derive(Clone)]
pub struct ServerState {
    pub store: Arc<dyn Store>,
    pub hasher: Hasher,
    pub settings: Arc<PanelSettings>,
    /// The one path to Luna Node (credentials opened per call).
    pub upstream: Arc<Upstream>,
    /// Live VM status, one poller per account.
    pub live: Arc<LiveHub>,
    /// Which images of each account are public templates (customers' image checks).
    pub images: Arc<super::authz::ImageCatalog>,
}

impl std::fmt::Debug for ServerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerState")
            .field("backend", &self.store.backend())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Logs `cause` under a fresh reference and returns the generic error the user sees.
pub fn internal(cause: impl std::fmt::Display) -> AppError {
    use rand::Rng;
    let reference = format!("{:08x}", rand::thread_rng().gen::<u32>());
    tracing::error!(reference = %reference, error = %cause, "internal error");
    AppError::Internal { reference }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound("The record".into()),
            StoreError::Duplicate("email") => {
                FieldErrors::single("email", crate::error::EMAIL_TAKEN)
            }
            StoreError::SignUpClosed => FieldErrors::single(
                "invite",
                "Sign-up on this panel needs an invite link. Ask the administrator for one.",
            ),
            StoreError::InviteInvalid => FieldErrors::single(
                "invite",
                "This invite link has expired, was revoked or was already used. \
                 Ask the administrator for a new one.",
            ),
            StoreError::Busy => AppError::Conflict(
                "Another change of yours is still being made. Try again in a moment.".into(),
            ),
            other @ (StoreError::Duplicate(_)
            | StoreError::Database(_)
            | StoreError::Migrate(_)
            | StoreError::Corrupt(_)) => internal(other),
        }
    }
}

impl From<PasswordError> for AppError {
    fn from(e: PasswordError) -> Self {
        match e {
            PasswordError::Busy => {
                tracing::warn!("password hashing queue full: request answered busy");
                AppError::Busy {
                    retry_after: super::password::BUSY_RETRY_AFTER,
                }
            }
            other => internal(other),
        }
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(e: tower_sessions::session::Error) -> Self {
        internal(format!("session: {e}"))
    }
}

pub fn state() -> Result<ServerState, AppError> {
    use_context::<ServerState>().ok_or_else(|| internal("ServerState missing from context"))
}

fn parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or_else(|| internal("request parts missing from context"))
}

/// The request's session (tower-sessions puts it in the request extensions).
pub fn session() -> Result<Session, AppError> {
    parts()?
        .extensions
        .get::<Session>()
        .cloned()
        .ok_or_else(|| internal("session layer missing"))
}

/// The signed-in user, as established by the session middleware for this request.
pub fn signed_in() -> Result<Option<User>, AppError> {
    Ok(parts()?
        .extensions
        .get::<Authenticated>()
        .and_then(|a| a.0.clone()))
}

/// The acting account's sealed credential row as the request's session check read it
/// ([`super::upstream::CarriedCredential`]), when signed in.
pub fn carried_credential() -> Option<std::sync::Arc<super::upstream::CarriedCredential>> {
    leptos::prelude::with_context::<Parts, _>(|p| {
        p.extensions
            .get::<std::sync::Arc<super::upstream::CarriedCredential>>()
            .cloned()
    })
    .flatten()
}

/// The reseller (really signed in) while they view as a customer.
pub fn impersonating() -> Option<User> {
    parts()
        .ok()?
        .extensions
        .get::<super::session::Impersonating>()
        .map(|i| i.0.clone())
}

/// The signed-in user, or `Unauthenticated`; `SecondFactorRequired` while they must enrol a
/// second factor first (the middleware already refuses their requests to anything else;
/// this also covers server functions called in-process while a page renders).
pub fn require_user() -> Result<User, AppError> {
    let user = require_user_enrolling()?;
    if must_enrol() {
        return Err(AppError::SecondFactorRequired);
    }
    Ok(user)
}

/// The signed-in user, even one who must enrol a second factor first: for enrolment only.
pub fn require_user_enrolling() -> Result<User, AppError> {
    signed_in()?.ok_or(AppError::Unauthenticated)
}

/// Whether the signed-in user must enrol a second factor before anything else.
pub fn must_enrol() -> bool {
    parts().is_ok_and(|p| p.extensions.get::<super::totp::MustEnrol>().is_some())
}

/// The signed-in admin, or `Unauthenticated` / `Forbidden`.
pub fn require_admin() -> Result<User, AppError> {
    let user = require_user()?;
    if user.role == Role::Admin {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}
