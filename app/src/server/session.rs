//! Sessions (SEC-3.x): tower-sessions with the sqlx store on the panel's own database.
//!
//! The session holds only [`SessionAuth`] (ids and times, never a secret). Each request the
//! [`authenticate`] middleware checks it against the user row: the account must exist and be
//! enabled, its `session_epoch` must equal the one the session was made under (a password
//! change or disabling bumps it, ending every other session on the server), and the idle and
//! absolute timeouts must not have passed. Otherwise the session is flushed.
//!
//! All of that, the session's listing, the second-factor policy and factor, and the acting
//! account's sealed credential (carried on to the upstream call) come from one query,
//! [`Store::session_check`](super::store::Store::session_check) (issue 14.4).

use std::time::Duration;

use async_trait::async_trait;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use super::context::{internal, ServerState};
use super::store::{now_unix, Pool, SessionCheck, SqlStore, User};
use super::upstream::CarriedCredential;

/// Key of [`SessionAuth`] in the session record.
pub const AUTH_KEY: &str = "auth";
/// `seen_at` is refreshed (and the record re-saved, sliding the idle expiry) at most this often.
pub const TOUCH_INTERVAL_SECS: i64 = 60;

/// What a signed-in session remembers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionAuth {
    /// This session's handle in `user_sessions` (the sessions page); a session whose row is
    /// gone has been signed out from elsewhere. Sessions made before the handle existed
    /// have none and end at their next request.
    #[serde(default)]
    pub sid: String,
    pub uid: i64,
    /// The user's `session_epoch` at sign-in.
    pub epoch: i64,
    /// When the password was checked (absolute timeout counts from here).
    pub auth_at: i64,
    /// Last request seen (idle timeout counts from here).
    pub seen_at: i64,
}

/// Request extension set by [`authenticate`]: the signed-in user, if any. While a reseller
/// views as one of their customers, this is the customer.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Option<User>);

/// Request extension set while a reseller views as a customer: the reseller (who really
/// signed in). Every page shows a banner and every action is audited with them.
#[derive(Debug, Clone)]
pub struct Impersonating(pub User);

/// Session key: the customer a reseller is viewing as.
pub const VIEW_AS_KEY: &str = "view_as";

/// The session cookie's name: `__Host-` prefixed when cookies are Secure (SEC-3.1).
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-lp_sid"
    } else {
        "lp_sid"
    }
}

/// The session store over whichever database the panel uses.
#[derive(Debug, Clone)]
pub enum SessionBackend {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl SessionBackend {
    /// A session store on the same pool as `store`, with its table created.
    pub async fn for_store(store: &SqlStore) -> Result<Self, sqlx::Error> {
        Ok(match store.pool() {
            Pool::Sqlite(p) => {
                let s = SqliteStore::new(p.clone());
                s.migrate().await?;
                SessionBackend::Sqlite(s)
            }
            Pool::Postgres(p) => {
                let s = PostgresStore::new(p.clone());
                s.migrate().await?;
                SessionBackend::Postgres(s)
            }
        })
    }

    /// The session layer: HttpOnly, SameSite=Strict, Secure + `__Host-` on https, expiring
    /// after `idle` without activity.
    pub fn layer(self, secure: bool, idle: Duration) -> SessionManagerLayer<Self> {
        let idle = time::Duration::try_from(idle).unwrap_or(time::Duration::minutes(30));
        SessionManagerLayer::new(self)
            .with_name(cookie_name(secure))
            .with_secure(secure)
            .with_http_only(true)
            .with_same_site(SameSite::Strict)
            .with_path("/")
            .with_expiry(Expiry::OnInactivity(idle))
    }

    /// Deletes expired sessions every `period`, forever (spawn it; abort it on shutdown).
    pub async fn delete_expired_every(self, period: Duration) {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            if let Err(e) = self.delete_expired().await {
                tracing::warn!(error = %e, "deleting expired sessions failed");
            }
        }
    }
}

#[async_trait]
impl SessionStore for SessionBackend {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            SessionBackend::Sqlite(s) => s.create(record).await,
            SessionBackend::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            SessionBackend::Sqlite(s) => s.save(record).await,
            SessionBackend::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            SessionBackend::Sqlite(s) => s.load(id).await,
            SessionBackend::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            SessionBackend::Sqlite(s) => s.delete(id).await,
            SessionBackend::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for SessionBackend {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            SessionBackend::Sqlite(s) => s.delete_expired().await,
            SessionBackend::Postgres(s) => s.delete_expired().await,
        }
    }
}

/// Starts a signed-in session for `user`: a new session id (no fixation, SEC-3.2) carrying
/// the user's current epoch, listed on their sessions page with where it came from and
/// which browser. Returns the session's handle.
pub async fn start(session: &Session, user: &User) -> Result<String, crate::error::AppError> {
    let state = super::context::state()?;
    let parts = leptos::prelude::use_context::<http::request::Parts>();
    let ip = parts
        .as_ref()
        .and_then(super::authz::client_addr)
        .map(|ip| ip.to_string());
    let user_agent = parts
        .as_ref()
        .and_then(|p| p.headers.get(http::header::USER_AGENT))
        .and_then(|v| v.to_str().ok())
        .map(crate::server::events::one_line);
    start_with(&state, session, user, ip, user_agent).await
}

/// [`start`] with explicit request details.
pub async fn start_with(
    state: &ServerState,
    session: &Session,
    user: &User,
    ip: Option<String>,
    user_agent: Option<String>,
) -> Result<String, crate::error::AppError> {
    // The old handle (a password change, a second sign-in over a live session) goes.
    if let Some(old) = session.get::<SessionAuth>(AUTH_KEY).await? {
        state.store.delete_session(old.uid, &old.sid).await?;
    }
    session.cycle_id().await?;
    session.remove_value(super::totp::PARTIAL_KEY).await?;
    let now = now_unix();
    let sid = new_sid();
    state
        .store
        .put_session(&super::store::SessionRow {
            sid: sid.clone(),
            user_id: user.id,
            created_at: now,
            seen_at: now,
            ip,
            user_agent,
        })
        .await?;
    session
        .insert(
            AUTH_KEY,
            SessionAuth {
                sid: sid.clone(),
                uid: user.id,
                epoch: user.session_epoch,
                auth_at: now,
                seen_at: now,
            },
        )
        .await?;
    Ok(sid)
}

/// Ends this session on the server (its record and its listing).
pub async fn end(state: &ServerState, session: &Session) -> Result<(), crate::error::AppError> {
    if let Some(auth) = session.get::<SessionAuth>(AUTH_KEY).await? {
        state.store.delete_session(auth.uid, &auth.sid).await?;
    }
    session.flush().await?;
    Ok(())
}

/// The handle of this session, when signed in.
pub async fn current_sid(session: &Session) -> Result<Option<String>, crate::error::AppError> {
    Ok(session.get::<SessionAuth>(AUTH_KEY).await?.map(|a| a.sid))
}

/// 128 random bits, base64url.
fn new_sid() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether a session made under `auth` is still good for `user` at `now`.
pub fn still_valid(
    auth: &SessionAuth,
    user: &User,
    now: i64,
    idle: Duration,
    absolute: Duration,
) -> bool {
    let idle = i64::try_from(idle.as_secs()).unwrap_or(i64::MAX);
    let absolute = i64::try_from(absolute.as_secs()).unwrap_or(i64::MAX);
    !user.disabled
        && !auth.sid.is_empty()
        && user.id == auth.uid
        && user.session_epoch == auth.epoch
        && now - auth.auth_at < absolute
        && now - auth.seen_at < idle
}

/// What [`resolve`] found for a signed-in request.
struct Resolved {
    /// The signed-in user (the customer while a reseller views as one).
    user: User,
    impersonating: Option<Impersonating>,
    /// Whether whoever really signed in must enrol a second factor first.
    must_enrol: bool,
    /// The acting account's sealed credential, for the upstream call path.
    carried: CarriedCredential,
}

/// The signed-in user, and the customer they view as (a reseller only, and only their own
/// customer: anything else ends the view).
async fn resolve(
    state: &ServerState,
    session: &Session,
    client_ip: Option<String>,
) -> Result<Option<Resolved>, crate::error::AppError> {
    let Some((check, generation)) = resolve_user(state, session, client_ip).await? else {
        return Ok(None);
    };
    let must_enrol = super::totp::must_enrol_given(
        state,
        &check.user,
        check.setting.as_deref(),
        check.second_factor,
    );
    let carried = CarriedCredential {
        account: check.account,
        row: check.credential,
        reseller_active: check.reseller_active,
        generation,
    };
    let user = check.user;
    let Some(customer_id) = session.get::<i64>(VIEW_AS_KEY).await? else {
        return Ok(Some(Resolved {
            user,
            impersonating: None,
            must_enrol,
            carried,
        }));
    };
    match state.store.user_by_id(customer_id).await? {
        Some(customer)
            if user.role == crate::types::Role::Reseller
                && customer.role == crate::types::Role::Customer
                && customer.reseller_id == Some(user.id) =>
        {
            Ok(Some(Resolved {
                user: customer,
                impersonating: Some(Impersonating(user)),
                must_enrol,
                carried,
            }))
        }
        _ => {
            session.remove::<i64>(VIEW_AS_KEY).await?;
            Ok(Some(Resolved {
                user,
                impersonating: None,
                must_enrol,
                carried,
            }))
        }
    }
}

/// Reads everything the request checks in one round trip ([`Store::session_check`]) and
/// checks the session with it: the check and the credential generation read before it, or
/// `None` (and the session ended) when it is not good.
///
/// [`Store::session_check`]: super::store::Store::session_check
async fn resolve_user(
    state: &ServerState,
    session: &Session,
    client_ip: Option<String>,
) -> Result<Option<(SessionCheck, u64)>, crate::error::AppError> {
    let Some(auth) = session.get::<SessionAuth>(AUTH_KEY).await? else {
        return Ok(None);
    };
    let now = now_unix();
    // Read before the row: a credential written meanwhile makes the row count as stale.
    let generation = state.store.credential_generation();
    let check = state
        .store
        .session_check(auth.uid, &auth.sid, super::totp::REQUIRED_SETTING)
        .await?;
    let settings = &state.settings;
    let valid = match check {
        Some(check)
            if check.listed
                && still_valid(
                    &auth,
                    &check.user,
                    now,
                    settings.idle_timeout,
                    settings.absolute_timeout,
                ) =>
        {
            check
        }
        _ => {
            end(state, session).await?;
            return Ok(None);
        }
    };
    if now - auth.seen_at >= TOUCH_INTERVAL_SECS {
        state
            .store
            .touch_session(&auth.sid, now, client_ip.as_deref())
            .await?;
        session
            .insert(
                AUTH_KEY,
                SessionAuth {
                    seen_at: now,
                    ..auth
                },
            )
            .await?;
    }
    Ok(Some((valid, generation)))
}

/// Middleware: establishes [`Authenticated`] for the request (after the session layer), and
/// for a signed-in one the acting account's sealed credential
/// (`Arc<`[`CarriedCredential`]`>`, read in the same round trip as the session).
pub async fn authenticate(
    State(state): State<ServerState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let client_ip = req
        .extensions()
        .get::<super::authz::ClientAddr>()
        .map(|c| c.0.to_string());
    match resolve(&state, &session, client_ip).await {
        Ok(None) => {
            req.extensions_mut().insert(Authenticated(None));
            next.run(req).await
        }
        Ok(Some(resolved)) => {
            // A role the administrator requires a second factor of, without one, may only
            // enrol (issue 13): checked here so every route is covered.
            if resolved.must_enrol && !super::totp::is_static_file(req.uri().path()) {
                let path = req.uri().path();
                if !super::totp::enrolment_allows(path) {
                    return super::totp::enrolment_refusal(req.method(), path);
                }
                req.extensions_mut().insert(super::totp::MustEnrol);
            }
            req.extensions_mut()
                .insert(Authenticated(Some(resolved.user)));
            req.extensions_mut()
                .insert(std::sync::Arc::new(resolved.carried));
            if let Some(i) = resolved.impersonating {
                req.extensions_mut().insert(i);
            }
            next.run(req).await
        }
        Err(e) => unavailable(e),
    }
}

fn unavailable(e: crate::error::AppError) -> Response {
    let _ = internal(format!("session check failed: {e}"));
    (
        http::StatusCode::SERVICE_UNAVAILABLE,
        "The panel's database is not answering. Try again in a moment.",
    )
        .into_response()
}

/// At most this many live event streams (`/api/live/*`) per signed-in user at a time: each
/// holds a connection and a database check every [`STREAM_RECHECK`]; the next one is
/// answered 429. (A browser over HTTP/1.1 opens at most six connections per site anyway.)
pub const STREAMS_PER_USER: usize = 8;

/// How often an open live stream re-checks its session when no event comes (a stream with
/// nothing to say must still end when its session does).
pub const STREAM_RECHECK: Duration = Duration::from_secs(3);

/// The live streams open per user on this panel instance (a request extension on the
/// `/api/live/*` routes).
#[derive(Debug)]
pub struct StreamSlots {
    cap: usize,
    open: std::sync::Mutex<std::collections::HashMap<i64, usize>>,
}

/// One open stream of a user; the count goes down when it is dropped (the stream ended or
/// the browser went away).
#[derive(Debug)]
pub struct StreamSlot {
    slots: std::sync::Arc<StreamSlots>,
    user: i64,
}

impl StreamSlots {
    pub fn new(cap: usize) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            cap,
            open: std::sync::Mutex::default(),
        })
    }

    /// A slot for `user`, or `None` when they already have `cap` streams open.
    pub fn take(self: &std::sync::Arc<Self>, user: i64) -> Option<StreamSlot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(user).or_insert(0);
        if *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(StreamSlot {
            slots: self.clone(),
            user,
        })
    }

    /// Streams `user` has open now.
    pub fn open(&self, user: i64) -> usize {
        self.open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&user)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.user);
            }
        }
    }
}

/// The session behind an open live stream: re-read from the store on every event and
/// every [`STREAM_RECHECK`], so signing out, a password change, disabling, the timeouts or
/// the end of "view as" end the stream (the request's own check ran only once, at its
/// start).
#[derive(Debug)]
pub struct LiveSession {
    session: Session,
    /// Whom the stream shows (the customer while a reseller views as them).
    actor: i64,
    _slot: StreamSlot,
}

impl LiveSession {
    /// For a request the [`authenticate`] middleware let through as `actor`: takes one of the
    /// user's stream slots, or gives the answer instead: 429 (too many open) or 500 (a
    /// routing mistake: no session layer or no slots on this route).
    pub fn open(
        parts: &http::request::Parts,
        actor: &User,
    ) -> Result<Self, (http::StatusCode, String)> {
        let (Some(session), Some(slots)) = (
            parts.extensions.get::<Session>().cloned(),
            parts.extensions.get::<std::sync::Arc<StreamSlots>>(),
        ) else {
            let e = internal("live stream route without the session layer or stream slots");
            return Err((http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()));
        };
        // Counted against whoever really signed in (the reseller while viewing as).
        let user = parts
            .extensions
            .get::<Impersonating>()
            .map_or(actor.id, |i| i.0.id);
        let Some(slot) = slots.take(user) else {
            return Err((
                http::StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many live pages are open for this account (at most \
                     {STREAMS_PER_USER}). Close some of the panel's tabs, then reload this page."
                ),
            ));
        };
        Ok(Self {
            session,
            actor: actor.id,
            _slot: slot,
        })
    }

    /// Whether the session still exists and is still good for the same user (and the same
    /// customer view). A database that does not answer counts as no: the browser reconnects.
    pub async fn is_current(&self, state: &ServerState) -> bool {
        match self.current_user(state).await {
            Ok(user) => user == Some(self.actor),
            Err(e) => {
                tracing::warn!(error = %e, "live stream: session re-check failed; ending it");
                false
            }
        }
    }

    /// Mirrors [`resolve`] without writing anything (the response has long been sent).
    async fn current_user(
        &self,
        state: &ServerState,
    ) -> Result<Option<i64>, crate::error::AppError> {
        self.session.load().await?;
        let Some(auth) = self.session.get::<SessionAuth>(AUTH_KEY).await? else {
            return Ok(None);
        };
        // One round trip, as for a request ([`resolve_user`]).
        let Some(check) = state
            .store
            .session_check(auth.uid, &auth.sid, super::totp::REQUIRED_SETTING)
            .await?
        else {
            return Ok(None);
        };
        let settings = &state.settings;
        if !check.listed
            || !still_valid(
                &auth,
                &check.user,
                now_unix(),
                settings.idle_timeout,
                settings.absolute_timeout,
            )
        {
            return Ok(None);
        }
        let user = check.user;
        let Some(customer_id) = self.session.get::<i64>(VIEW_AS_KEY).await? else {
            return Ok(Some(user.id));
        };
        Ok(match state.store.user_by_id(customer_id).await? {
            Some(customer)
                if user.role == crate::types::Role::Reseller
                    && customer.role == crate::types::Role::Customer
                    && customer.reseller_id == Some(user.id) =>
            {
                Some(customer.id)
            }
            _ => Some(user.id),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::PasswordHash;
    use crate::types::Role;

    fn user(epoch: i64, disabled: bool) -> User {
        User {
            id: 7,
            email: "ada@example.com".into(),
            display_name: "Ada".into(),
            role: Role::Owner,
            disabled,
            session_epoch: epoch,
            password_hash: PasswordHash(String::new()),
            created_at: 0,
            updated_at: 0,
            reseller_id: None,
            suspended: false,
        }
    }

    #[test]
    fn validity_rules() {
        let idle = Duration::from_secs(1800);
        let abs = Duration::from_secs(12 * 3600);
        let auth = SessionAuth {
            sid: "handle".into(),
            uid: 7,
            epoch: 3,
            auth_at: 1000,
            seen_at: 1000,
        };
        assert!(still_valid(&auth, &user(3, false), 1001, idle, abs));
        assert!(
            !still_valid(&auth, &user(4, false), 1001, idle, abs),
            "epoch bumped"
        );
        assert!(
            !still_valid(&auth, &user(3, true), 1001, idle, abs),
            "disabled"
        );
        assert!(
            !still_valid(&auth, &user(3, false), 1000 + 1800, idle, abs),
            "idle"
        );
        let busy = SessionAuth {
            seen_at: 1000 + 12 * 3600 - 5,
            ..auth.clone()
        };
        assert!(
            !still_valid(&busy, &user(3, false), 1000 + 12 * 3600, idle, abs),
            "absolute"
        );
        let other = SessionAuth {
            uid: 8,
            ..auth.clone()
        };
        assert!(
            !still_valid(&other, &user(3, false), 1001, idle, abs),
            "other user"
        );
        let before_handles = SessionAuth {
            sid: String::new(),
            ..auth
        };
        assert!(
            !still_valid(&before_handles, &user(3, false), 1001, idle, abs),
            "a session from before handles"
        );
    }

    #[test]
    fn stream_slots_cap_each_user_and_free_on_drop() {
        let slots = StreamSlots::new(2);
        let a1 = slots.take(1).unwrap();
        let _a2 = slots.take(1).unwrap();
        assert!(slots.take(1).is_none(), "third stream of user 1 refused");
        let _b1 = slots.take(2).expect("another user is counted apart");
        drop(a1);
        assert_eq!(slots.open(1), 1);
        assert!(slots.take(1).is_some(), "a closed stream frees its slot");
    }

    #[test]
    fn cookie_names() {
        assert_eq!(cookie_name(true), "__Host-lp_sid");
        assert_eq!(cookie_name(false), "lp_sid");
    }
}
