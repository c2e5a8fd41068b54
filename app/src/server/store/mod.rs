//! The panel's own data (users, invites; later credentials, tenancy and audit) behind one
//! `Store` trait, implemented once over SQLite and PostgreSQL by [`SqlStore`].
//!
//! Pages and server functions never write SQL: they call these methods. The upstream (Luna
//! Node) owns everything else; nothing of it is copied here.

#[cfg(test)]
mod contract;
mod sql;

use async_trait::async_trait;
pub use sql::{connect, Backend, Pool, SqlStore};

use super::vault::Sealed;
use crate::types::Role;

/// A user's primary key.
pub type UserId = i64;

/// An argon2 PHC string. Deliberately neither `Serialize` nor printable: it never leaves the
/// server and never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash([redacted])")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    /// Bumped whenever every existing session of this user must end (password change,
    /// disabling). A session remembers the epoch it was created under (SEC-3.5).
    pub session_epoch: i64,
    pub password_hash: PasswordHash,
    pub created_at: i64,
    pub updated_at: i64,
    /// A customer's reseller (whose account and credential they act through).
    pub reseller_id: Option<UserId>,
    /// A suspended customer can sign in and look, but not act.
    pub suspended: bool,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    /// Already normalised (trimmed, lower-case).
    pub email: String,
    pub display_name: String,
    pub password_hash: PasswordHash,
}

/// What lets a new account in, decided by the caller from the sign-up policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignUpGate {
    /// Anyone may sign up.
    Open,
    /// Only with this (hashed) invite token, which is consumed in the same transaction.
    Invite { token_hash: String },
    /// Only while there are no users yet (invite-only policy, no invite given).
    FirstUserOnly,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub id: i64,
    pub created_by: UserId,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_by: Option<UserId>,
    pub used_at: Option<i64>,
    pub revoked: bool,
    /// Set when a reseller made it: its user becomes that reseller's customer.
    pub customer_of: Option<UserId>,
}

impl Invite {
    /// Whether the invite can still be redeemed at `now` (unix seconds).
    pub fn is_usable(&self, now: i64) -> bool {
        self.used_by.is_none() && !self.revoked && self.expires_at > now
    }
}

/// A stored Luna Node credential. The key is only ever here sealed; `Debug` shows no bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredCredential {
    pub user_id: UserId,
    pub api_id: String,
    pub sealed: Sealed,
    pub key_last4: String,
    pub key_fingerprint: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub last_test_at: Option<i64>,
    pub last_test_ok: Option<bool>,
    pub last_test_message: Option<String>,
}

impl std::fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCredential")
            .field("user_id", &self.user_id)
            .field("api_id", &self.api_id)
            .field("key_version", &self.sealed.version)
            .field("key_last4", &self.key_last4)
            .finish_non_exhaustive()
    }
}

/// What a signed-in request needs from the database, read in one round trip by
/// [`Store::session_check`] (issue 14.4): the session middleware, the live streams'
/// re-checks and the upstream call path all use it instead of a query each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCheck {
    pub user: User,
    /// Whether the session's handle is still listed (not signed out from elsewhere).
    pub listed: bool,
    /// The panel setting asked for (the second-factor policy), if set.
    pub setting: Option<String>,
    /// Whether the user has an enabled second factor.
    pub second_factor: bool,
    /// For a customer: whether their reseller exists, is still a reseller and is enabled.
    pub reseller_active: Option<bool>,
    /// The account whose credential [`SessionCheck::credential`] is: the user's own, a
    /// customer's reseller's.
    pub account: UserId,
    /// That account's credential, sealed (opened only for a call).
    pub credential: Option<StoredCredential>,
}

/// What a saved (already tested) credential writes.
#[derive(Clone)]
pub struct NewCredential {
    pub user_id: UserId,
    pub api_id: String,
    pub sealed: Sealed,
    pub key_last4: String,
    pub key_fingerprint: String,
    pub tested_ok: bool,
    pub test_message: String,
}

/// A user's TOTP seed (only ever sealed here) and its state. `Debug` shows no bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SecondFactor {
    pub user_id: UserId,
    pub sealed: Sealed,
    /// False while enrolment waits for its first code (the seed is pending).
    pub enabled: bool,
    /// The last accepted time step: only later steps are accepted (no code works twice).
    pub last_step: Option<i64>,
    pub created_at: i64,
    pub enabled_at: Option<i64>,
}

impl std::fmt::Debug for SecondFactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecondFactor")
            .field("user_id", &self.user_id)
            .field("key_version", &self.sealed.version)
            .field("enabled", &self.enabled)
            .field("last_step", &self.last_step)
            .finish_non_exhaustive()
    }
}

/// A password-reset link as stored (the token itself is only ever in the link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    pub id: i64,
    pub user_id: UserId,
    /// The administrator or reseller who made it (`None` once they are deleted).
    pub created_by: Option<UserId>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl PasswordReset {
    /// Whether the link can still be used at `now` (unix seconds).
    pub fn is_usable(&self, now: i64) -> bool {
        self.used_at.is_none() && self.expires_at > now
    }
}

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Written before an upstream call; settled to one of the others after it.
    Pending,
    Ok,
    Failed,
    /// The call may or may not have happened upstream (the connection dropped after sending).
    Unknown,
    /// Refused by the panel's authorization before anything was done.
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
            Outcome::Denied => "denied",
        }
    }
}

/// One audit row to write. Never holds request bodies or secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub request_id: Option<String>,
    pub actor_user_id: Option<UserId>,
    pub actor_role: Option<String>,
    /// Whose Luna Node account the action was on.
    pub account_user_id: Option<UserId>,
    /// `vm/reboot`, `credential/save`, …
    pub action: String,
    /// Target ids, e.g. `vm:1234`.
    pub target: String,
    pub outcome: Outcome,
    pub error_class: Option<String>,
    pub ip: Option<String>,
    /// The reseller who was viewing as the acting customer, if any.
    pub impersonator_user_id: Option<UserId>,
}

/// Which audit rows to read (all conditions hold together).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Whose rows; `None` for all (the admin).
    pub scope: Option<AuditScope>,
    pub actor_user_id: Option<UserId>,
    /// Exact action, or a prefix ending in `/` (`vm/`).
    pub action: Option<String>,
    /// Substring of the target (`vm:123`).
    pub target: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Only rows older than this id (paging).
    pub before_id: Option<i64>,
    /// An action prefix (`auth/`), besides `action`.
    pub category: Option<String>,
    /// `ok`, `failed`, …
    pub outcome: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditScope {
    /// An owner or reseller: rows on their account (their customers act on it too).
    Account(UserId),
    /// A customer: rows they acted (or were impersonated in).
    Actor(UserId),
}

/// One audit row as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub ts: i64,
    pub entry: AuditEntry,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique value is already taken; names the value (e.g. `email`).
    #[error("{0} already exists")]
    Duplicate(&'static str),
    #[error("sign-up needs an invite")]
    SignUpClosed,
    #[error("the invite is unknown, used, revoked or expired")]
    InviteInvalid,
    /// A lock (a customer's quota lock) was not free in time.
    #[error("busy: waited too long for a lock")]
    Busy,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// How long a quota decision waits for another one of the same customer.
pub const QUOTA_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Held while one customer's quota is checked, the resource made upstream and claimed in
/// the ledger, so that no other decision for that customer (on this instance or, on
/// PostgreSQL, any other) counts in between. Released when dropped.
pub struct QuotaGuard {
    /// PostgreSQL: the transaction holding the advisory lock (dropped first: its rollback
    /// releases the lock).
    _shared: Option<sqlx::Transaction<'static, sqlx::Postgres>>,
    /// PostgreSQL: one of the pool's connections that quota locks may hold (returned after
    /// the transaction's connection).
    _seat: Option<tokio::sync::OwnedSemaphorePermit>,
    _local: tokio::sync::OwnedMutexGuard<()>,
}

impl std::fmt::Debug for QuotaGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuotaGuard")
            .field("shared", &self._shared.is_some())
            .finish_non_exhaustive()
    }
}

/// A signed-in session as its user sees it on the sessions page.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    /// A random handle kept in the session record; not the cookie's id (knowing it signs
    /// nobody in).
    pub sid: String,
    pub user_id: UserId,
    pub created_at: i64,
    pub seen_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// One throttle counter (sign-in, codes, sign-up, invites; per account or address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct ThrottleRow {
    /// Failures since the counter last started again.
    pub failures: i64,
    /// Unix milliseconds (the store compares it with what it is given; the throttle gives
    /// milliseconds).
    pub last_failure_at: i64,
    /// Refused until then (unix milliseconds; 0 when not blocked).
    pub blocked_until: i64,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which database this is.
    fn backend(&self) -> Backend;
    /// Answers when the database does (for `/readyz`).
    async fn ping(&self) -> StoreResult<()>;
    /// Closes the pool (at shutdown); later calls fail.
    async fn close(&self);
    /// Waits (up to [`QUOTA_WAIT`], then `Busy`) until no other quota decision for
    /// `customer` is under way, here or on another instance sharing the database.
    async fn quota_lock(&self, customer: UserId) -> StoreResult<QuotaGuard>;

    /// Creates a user under `gate`. The first user while there is no admin becomes the admin
    /// (see [`Store::demote_admin`]); everyone else an owner. Gate check, invite redemption
    /// and insert happen in one transaction.
    async fn create_user(&self, new: NewUser, gate: SignUpGate) -> StoreResult<User>;
    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>>;
    /// `email` must already be normalised.
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    async fn count_users(&self) -> StoreResult<i64>;
    /// Whether an administrator exists (while none does, the next sign-up becomes one).
    async fn has_admin(&self) -> StoreResult<bool>;
    /// Makes the admin `id` an owner and frees the admin's place, so the next account
    /// signed up becomes the administrator; their sessions end. Used for the demo account,
    /// which must never be the administrator. `NotFound` if `id` is not the admin.
    async fn demote_admin(&self, id: UserId) -> StoreResult<()>;
    /// Replaces the password hash. With `end_sessions`, also bumps the session epoch so every
    /// existing session of the user ends; returns the (possibly new) epoch.
    async fn set_password_hash(
        &self,
        id: UserId,
        hash: PasswordHash,
        end_sessions: bool,
    ) -> StoreResult<i64>;
    /// Disables or re-enables a user; disabling ends all their sessions.
    async fn set_user_disabled(&self, id: UserId, disabled: bool) -> StoreResult<()>;

    async fn create_invite(
        &self,
        created_by: UserId,
        token_hash: &str,
        expires_at: i64,
    ) -> StoreResult<Invite>;
    async fn invite_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<Invite>>;
    async fn list_invites(&self) -> StoreResult<Vec<Invite>>;
    async fn revoke_invite(&self, id: i64) -> StoreResult<()>;
    /// An invite that signs its user up as `reseller`'s customer.
    async fn create_customer_invite(
        &self,
        reseller: UserId,
        token_hash: &str,
        expires_at: i64,
    ) -> StoreResult<Invite>;
    /// `reseller`'s invites (the admin's list shows the rest).
    async fn list_customer_invites(&self, reseller: UserId) -> StoreResult<Vec<Invite>>;

    /// Creates a customer of `reseller` directly (the reseller chose the password).
    async fn create_customer(&self, reseller: UserId, new: NewUser) -> StoreResult<User>;
    async fn list_customers(&self, reseller: UserId) -> StoreResult<Vec<User>>;
    /// Suspends or resumes a customer.
    async fn set_suspended(&self, id: UserId, suspended: bool) -> StoreResult<()>;
    /// Makes an owner a reseller or back (never touches admins or customers).
    async fn set_reseller(&self, id: UserId, reseller: bool) -> StoreResult<()>;
    /// Deletes `reseller`'s customer `id`: their sessions end, their ledger entries are
    /// released to the reseller. `NotFound` for anyone else.
    async fn delete_customer(&self, reseller: UserId, id: UserId) -> StoreResult<()>;

    /// Records that `account`'s resource belongs to `customer` (replacing any owner).
    async fn assign(
        &self,
        account: UserId,
        kind: &str,
        resource_id: &str,
        customer: UserId,
    ) -> StoreResult<()>;
    /// Releases the resource back to the account; `false` when it was not assigned.
    async fn unassign(&self, account: UserId, kind: &str, resource_id: &str) -> StoreResult<bool>;
    /// The ledger of `account`, or only `customer`'s part of it.
    async fn assignments(
        &self,
        account: UserId,
        customer: Option<UserId>,
    ) -> StoreResult<Vec<crate::model::tenancy::Assignment>>;
    async fn customer_policy(
        &self,
        customer: UserId,
    ) -> StoreResult<Option<crate::model::tenancy::CustomerPolicy>>;
    async fn put_customer_policy(
        &self,
        customer: UserId,
        policy: &crate::model::tenancy::CustomerPolicy,
    ) -> StoreResult<()>;
    async fn branding(
        &self,
        reseller: UserId,
    ) -> StoreResult<Option<crate::model::tenancy::Branding>>;
    async fn put_branding(
        &self,
        reseller: UserId,
        branding: &crate::model::tenancy::Branding,
    ) -> StoreResult<()>;

    /// Saves the update link of dynamic DNS name `dyn_id` of `account`'s Luna Node account
    /// (only the token's hash), replacing an older one.
    async fn put_dyn_link(
        &self,
        account: UserId,
        dyn_id: &str,
        token_hash: &str,
        created_by: UserId,
    ) -> StoreResult<()>;
    /// The link whose token hashes to `token_hash`: `(account, dyn_id, created_by)`.
    async fn dyn_link(&self, token_hash: &str) -> StoreResult<Option<(UserId, String, UserId)>>;
    /// The dynamic DNS names of `account` that have a link.
    async fn dyn_links(&self, account: UserId) -> StoreResult<Vec<String>>;
    /// Forgets the link of `dyn_id`; whether there was one.
    async fn delete_dyn_link(&self, account: UserId, dyn_id: &str) -> StoreResult<bool>;

    /// Records that VM `vm_id` (named `hostname`) of `account` was created with startup
    /// script `script_id` (again: no change).
    async fn put_script_use(
        &self,
        account: UserId,
        script_id: &str,
        vm_id: &str,
        hostname: &str,
    ) -> StoreResult<()>;
    /// The VMs recorded as created with `script_id`: `(vm_id, hostname)`, oldest first.
    async fn script_uses(
        &self,
        account: UserId,
        script_id: &str,
    ) -> StoreResult<Vec<(String, String)>>;

    /// Records `account`'s credit and monthly run rate for UTC `day` (`YYYY-MM-DD`),
    /// replacing that day's earlier reading.
    async fn put_billing_day(
        &self,
        account: UserId,
        day: &str,
        credit: Option<f64>,
        monthly: f64,
    ) -> StoreResult<()>;
    /// The newest reading of a day before `day`: `(day, credit, monthly)`.
    async fn billing_before(
        &self,
        account: UserId,
        day: &str,
    ) -> StoreResult<Option<(String, Option<f64>, f64)>>;

    /// Saves (inserts or replaces) a user's credential.
    async fn put_credential(&self, new: NewCredential) -> StoreResult<()>;
    async fn credential(&self, user_id: UserId) -> StoreResult<Option<StoredCredential>>;
    /// Erases the credential row (ciphertext included); `false` when there was none.
    async fn delete_credential(&self, user_id: UserId) -> StoreResult<bool>;
    async fn touch_credential(&self, user_id: UserId, now: i64) -> StoreResult<()>;
    async fn record_credential_test(
        &self,
        user_id: UserId,
        ok: bool,
        message: &str,
        now: i64,
    ) -> StoreResult<()>;
    /// Up to `limit` credentials sealed with a version other than `version` (for rotation).
    async fn credentials_not_sealed_with(
        &self,
        version: u32,
        limit: i64,
    ) -> StoreResult<Vec<(UserId, Sealed)>>;
    /// Replaces `old` with `new` only if the row still holds `old` (compare on the nonce);
    /// `false` when the row changed meanwhile.
    async fn reseal_credential(
        &self,
        user_id: UserId,
        old: &Sealed,
        new: &Sealed,
    ) -> StoreResult<bool>;
    /// How many credentials each master-key version seals.
    async fn credential_versions(&self) -> StoreResult<Vec<(u32, i64)>>;

    /// Everything a signed-in request of `user`'s session `sid` checks, in one round trip
    /// ([`SessionCheck`]; `setting` names the panel setting to read along). `None` when the
    /// user does not exist.
    async fn session_check(
        &self,
        user: UserId,
        sid: &str,
        setting: &str,
    ) -> StoreResult<Option<SessionCheck>>;
    /// A counter this store bumps after every credential it writes, replaces, reseals or
    /// deletes: a sealed credential read while it had one value may be used only while it
    /// still has it (a change on another instance is not counted; see [`SessionCheck`]).
    fn credential_generation(&self) -> u64;

    /// Lists a new signed-in session.
    async fn put_session(&self, row: &SessionRow) -> StoreResult<()>;
    /// Whether `user`'s session `sid` is still listed (not signed out from elsewhere).
    async fn session_listed(&self, user: UserId, sid: &str) -> StoreResult<bool>;
    /// Records a request of session `sid` at `seen_at` from `ip`.
    async fn touch_session(&self, sid: &str, seen_at: i64, ip: Option<&str>) -> StoreResult<()>;
    /// `user`'s listed sessions, most recently seen first.
    async fn user_sessions(&self, user: UserId) -> StoreResult<Vec<SessionRow>>;
    /// Removes `user`'s session `sid`; `false` when there was none.
    async fn delete_session(&self, user: UserId, sid: &str) -> StoreResult<bool>;
    /// Removes all of `user`'s sessions but `keep`; how many.
    async fn delete_sessions_except(&self, user: UserId, keep: Option<&str>) -> StoreResult<u64>;
    /// Removes sessions not seen since `before` (they have timed out); how many.
    async fn prune_sessions(&self, before: i64) -> StoreResult<u64>;
    /// How many sessions are listed that were seen at or after `since` (for `/metrics`).
    async fn count_sessions(&self, since: i64) -> StoreResult<u64>;

    /// The counter of `key` under `scope`, if any.
    async fn throttle_state(&self, scope: &str, key: &str) -> StoreResult<Option<ThrottleRow>>;
    /// Counts one failure at `now` (starting again when the last one is `window` old and
    /// no block is on; any unit, the same for all three: the throttle uses milliseconds)
    /// and returns the counter after it. Atomic: failures from
    /// several requests or instances at once are all counted.
    async fn throttle_fail(
        &self,
        scope: &str,
        key: &str,
        now: i64,
        window: i64,
    ) -> StoreResult<ThrottleRow>;
    /// Refuses `key` under `scope` until `until`.
    async fn throttle_block(&self, scope: &str, key: &str, until: i64) -> StoreResult<()>;
    /// Forgets the counter (a success, or an administrator's unlock).
    async fn throttle_clear(&self, scope: &str, key: &str) -> StoreResult<()>;

    /// Writes an audit row and returns its id.
    async fn audit(&self, entry: AuditEntry) -> StoreResult<i64>;
    /// Settles a `pending` row to its final outcome.
    async fn audit_settle(
        &self,
        id: i64,
        outcome: Outcome,
        error_class: Option<&str>,
    ) -> StoreResult<()>;
    /// The newest `limit` rows about `account_user_id` (all accounts when `None`).
    async fn list_audit(
        &self,
        account_user_id: Option<UserId>,
        limit: i64,
    ) -> StoreResult<Vec<AuditRecord>> {
        self.search_audit(
            &AuditFilter {
                scope: account_user_id.map(AuditScope::Account),
                ..Default::default()
            },
            limit,
        )
        .await
    }
    /// The newest `limit` rows matching `filter`.
    async fn search_audit(&self, filter: &AuditFilter, limit: i64)
        -> StoreResult<Vec<AuditRecord>>;
    // Second factor (TOTP) and password-reset links (issue 13).

    /// `user`'s TOTP seed, pending or enabled.
    async fn second_factor(&self, user: UserId) -> StoreResult<Option<SecondFactor>>;
    /// The users whose second factor is enabled.
    async fn second_factor_users(&self) -> StoreResult<Vec<UserId>>;
    /// Stores a pending seed, replacing an earlier pending one; `false` (nothing written)
    /// when `user` already has an enabled one.
    async fn put_pending_second_factor(&self, user: UserId, sealed: &Sealed) -> StoreResult<bool>;
    /// Turns on the pending seed whose nonce is `pending_nonce`, with `step` as its last
    /// accepted step; replaces the recovery codes with `recovery_hashes` and bumps the
    /// session epoch, all in one transaction. `false` when that pending seed is gone.
    async fn enable_second_factor(
        &self,
        user: UserId,
        pending_nonce: &[u8],
        step: i64,
        recovery_hashes: &[String],
    ) -> StoreResult<bool>;
    /// Records time step `step` as used: `true` only when the factor is enabled and `step` is
    /// later than the last accepted one (compare-and-set: no code works twice, even on two
    /// instances at once).
    async fn accept_second_factor_step(&self, user: UserId, step: i64) -> StoreResult<bool>;
    /// Removes `user`'s seed (pending or enabled) and recovery codes; removing an enabled one
    /// bumps the session epoch. `None` when there was none, else whether it was enabled.
    async fn delete_second_factor(&self, user: UserId) -> StoreResult<Option<bool>>;
    /// Replaces `user`'s recovery codes (their hashes).
    async fn replace_recovery_codes(&self, user: UserId, hashes: &[String]) -> StoreResult<()>;
    /// Uses the unused recovery code hashing to `hash`; `false` when there is none.
    async fn use_recovery_code(&self, user: UserId, hash: &str) -> StoreResult<bool>;
    /// How many unused recovery codes `user` has.
    async fn recovery_codes_left(&self, user: UserId) -> StoreResult<i64>;
    /// Up to `limit` seeds sealed with a version other than `version` (for rotation).
    async fn second_factors_not_sealed_with(
        &self,
        version: u32,
        limit: i64,
    ) -> StoreResult<Vec<(UserId, Sealed)>>;
    /// Replaces `old` with `new` only if the row still holds `old` (compare on the nonce).
    async fn reseal_second_factor(
        &self,
        user: UserId,
        old: &Sealed,
        new: &Sealed,
    ) -> StoreResult<bool>;
    /// How many seeds each master-key version seals.
    async fn second_factor_versions(&self) -> StoreResult<Vec<(u32, i64)>>;

    /// Makes a password-reset link for `user` (only the token's hash is kept); `user`'s
    /// earlier unused links stop working.
    async fn create_password_reset(
        &self,
        user: UserId,
        created_by: UserId,
        token_hash: &str,
        expires_at: i64,
    ) -> StoreResult<PasswordReset>;
    async fn password_reset(&self, token_hash: &str) -> StoreResult<Option<PasswordReset>>;
    /// Uses the link: when it is usable at `now`, marks it used, sets the password hash and
    /// bumps the session epoch (every session ends), in one transaction. The user's id, or
    /// `None` for an unknown, used or expired link.
    async fn use_password_reset(
        &self,
        token_hash: &str,
        hash: PasswordHash,
        now: i64,
    ) -> StoreResult<Option<UserId>>;

    /// A panel-wide setting the administrator changes at run time.
    async fn panel_setting(&self, key: &str) -> StoreResult<Option<String>>;
    async fn put_panel_setting(&self, key: &str, value: &str) -> StoreResult<()>;
}

/// Current time in unix seconds.
pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
