//! [`SqlStore`]: the `Store` over SQLite or PostgreSQL, chosen once from the URL scheme.
//!
//! The SQL is written once and is portable (`$n` placeholders, `RETURNING`, no backend-only
//! functions); [`with_pool!`] runs the same body against whichever pool is open. Migrations
//! live in `app/migrations/{sqlite,postgres}` with the same version numbers.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::FromRow;

use super::{
    now_unix, AuditEntry, AuditFilter, AuditRecord, AuditScope, Invite, NewCredential, NewUser,
    Outcome, PasswordHash, PasswordReset, QuotaGuard, SecondFactor, SessionCheck, SessionRow,
    SignUpGate, Store, StoreError, StoreResult, StoredCredential, ThrottleRow, User, UserId,
    QUOTA_WAIT,
};
use crate::model::tenancy::{Assignment, Branding, CustomerPolicy};
use crate::server::vault::Sealed;
use crate::types::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// An open pool of either kind. Cloning is cheap (pools are reference counted).
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: Pool,
    /// This instance's quota locks, one per customer (see [`Store::quota_lock`]).
    quota_locks: Arc<Mutex<HashMap<UserId, Arc<tokio::sync::Mutex<()>>>>>,
    /// How many PostgreSQL connections quota locks may hold at once ([`QUOTA_SEATS`]).
    quota_seats: Arc<tokio::sync::Semaphore>,
    /// Bumped after every credential write of this instance ([`Store::credential_generation`]).
    credential_changes: Arc<AtomicU64>,
}

/// The PostgreSQL pool's size.
const PG_CONNECTIONS: u32 = 16;

/// How many of those connections quota locks may hold at once: half. A quota lock holds its
/// transaction's connection while the work it guards runs, and that work needs connections
/// of its own (the budget, the ledger, the audit row). Were every connection held by a lock,
/// that work would wait for a connection nobody gives back until the pool's acquire timeout:
/// 16 customers creating at once stalled the panel for 10 s (issue 14.11's load test).
const QUOTA_SEATS: usize = PG_CONNECTIONS as usize / 2;

/// A PostgreSQL connection idle this long is pinged before it is handed out (a fresher one
/// is not: the ping was a round trip on every query, issue 14.4).
const PG_PING_AFTER_IDLE: Duration = Duration::from_secs(10);

/// The first key of the PostgreSQL advisory locks that serialize quota decisions ("LP").
const QUOTA_LOCK_SPACE: i32 = 0x4c50;

/// Runs `$body` with `$p` bound to the open pool, whichever backend it is.
macro_rules! with_pool {
    ($store:expr, |$p:ident| $body:expr) => {
        match $store.pool() {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}
#[cfg(test)]
pub(super) use with_pool;

/// Opens the database named by `url` (`sqlite:…` or `postgres://…`) and applies migrations.
/// A SQLite file (and its folder) is created when absent.
pub async fn connect(url: &str) -> StoreResult<SqlStore> {
    let store = if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        if let Some(dir) = options.get_filename().parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Corrupt(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
        // A SQLite connection is a file handle in this process: nothing to ping.
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        SqlStore::new(Pool::Sqlite(pool))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let options = PgConnectOptions::from_str(url)?;
        // Health is kept (a connection the server dropped is found before a query fails on
        // it) but only a connection idle for a while is pinged.
        let pool = PgPoolOptions::new()
            .max_connections(PG_CONNECTIONS)
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PG_PING_AFTER_IDLE {
                        use sqlx::Connection;
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        SqlStore::new(Pool::Postgres(pool))
    } else {
        return Err(StoreError::Corrupt(
            "the database URL must start with sqlite: or postgres://".into(),
        ));
    };
    store.migrate().await?;
    Ok(store)
}

impl SqlStore {
    fn new(pool: Pool) -> Self {
        Self {
            pool,
            quota_locks: Arc::default(),
            quota_seats: Arc::new(tokio::sync::Semaphore::new(QUOTA_SEATS)),
            credential_changes: Arc::default(),
        }
    }

    /// The same database seen by another panel instance (its own in-process locks), for
    /// tests of what instances share.
    #[cfg(test)]
    pub(super) fn as_another_instance(&self) -> SqlStore {
        SqlStore::new(self.pool.clone())
    }

    /// Applies pending migrations (checksummed by sqlx; a changed applied migration fails).
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.pool {
            Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    fn credential_changed(&self) {
        self.credential_changes.fetch_add(1, Ordering::SeqCst);
    }

    /// The pool, for the session store that shares the database.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

const USER_COLUMNS: &str = "id, email, display_name, role, disabled, session_epoch, \
                            password_hash, created_at, updated_at, reseller_id, suspended";
const INVITE_COLUMNS: &str =
    "id, created_by, created_at, expires_at, used_by, used_at, revoked, customer_of";

#[derive(FromRow)]
struct UserRow {
    id: i64,
    email: String,
    display_name: String,
    role: String,
    disabled: bool,
    session_epoch: i64,
    password_hash: String,
    created_at: i64,
    updated_at: i64,
    reseller_id: Option<i64>,
    suspended: bool,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> StoreResult<User> {
        let role = Role::from_str(&row.role)
            .map_err(|_| StoreError::Corrupt(format!("user {} has role {:?}", row.id, row.role)))?;
        Ok(User {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            role,
            disabled: row.disabled,
            session_epoch: row.session_epoch,
            password_hash: PasswordHash(row.password_hash),
            created_at: row.created_at,
            updated_at: row.updated_at,
            reseller_id: row.reseller_id,
            suspended: row.suspended,
        })
    }
}

#[derive(FromRow)]
struct InviteRow {
    id: i64,
    created_by: i64,
    created_at: i64,
    expires_at: i64,
    used_by: Option<i64>,
    used_at: Option<i64>,
    revoked: bool,
    customer_of: Option<i64>,
}

impl From<InviteRow> for Invite {
    fn from(r: InviteRow) -> Invite {
        Invite {
            id: r.id,
            created_by: r.created_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            used_by: r.used_by,
            used_at: r.used_at,
            revoked: r.revoked,
            customer_of: r.customer_of,
        }
    }
}

/// Maps a unique-constraint violation to `Duplicate(what)`, anything else to `Database`.
fn unique_as(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate(what),
        _ => StoreError::Database(e),
    }
}

/// `Ok` when exactly one row was changed, `NotFound` when none was.
fn one_row(rows_affected: u64) -> StoreResult<()> {
    if rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

const CREDENTIAL_COLUMNS: &str = "user_id, api_id, key_version, key_nonce, key_ciphertext, \
     key_last4, key_fingerprint, created_at, last_used_at, last_test_at, last_test_ok, \
     last_test_message";

#[derive(FromRow)]
struct CredentialRow {
    user_id: i64,
    api_id: String,
    key_version: i64,
    key_nonce: Vec<u8>,
    key_ciphertext: Vec<u8>,
    key_last4: String,
    key_fingerprint: String,
    created_at: i64,
    last_used_at: Option<i64>,
    last_test_at: Option<i64>,
    last_test_ok: Option<bool>,
    last_test_message: Option<String>,
}

fn version_of(v: i64) -> StoreResult<u32> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("key version {v}")))
}

impl TryFrom<CredentialRow> for StoredCredential {
    type Error = StoreError;

    fn try_from(r: CredentialRow) -> StoreResult<Self> {
        Ok(StoredCredential {
            user_id: r.user_id,
            api_id: r.api_id,
            sealed: Sealed {
                version: version_of(r.key_version)?,
                nonce: r.key_nonce,
                ciphertext: r.key_ciphertext,
            },
            key_last4: r.key_last4,
            key_fingerprint: r.key_fingerprint,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            last_test_at: r.last_test_at,
            last_test_ok: r.last_test_ok,
            last_test_message: r.last_test_message,
        })
    }
}

/// [`Store::session_check`]'s one row: the user's columns, then the rest (the credential's
/// prefixed `c_`, all absent when there is none).
#[derive(FromRow)]
struct SessionCheckRow {
    #[sqlx(flatten)]
    user: UserRow,
    listed: bool,
    setting: Option<String>,
    second_factor: bool,
    reseller_role: Option<String>,
    reseller_disabled: Option<bool>,
    c_user_id: Option<i64>,
    c_api_id: Option<String>,
    c_key_version: Option<i64>,
    c_key_nonce: Option<Vec<u8>>,
    c_key_ciphertext: Option<Vec<u8>>,
    c_key_last4: Option<String>,
    c_key_fingerprint: Option<String>,
    c_created_at: Option<i64>,
    c_last_used_at: Option<i64>,
    c_last_test_at: Option<i64>,
    c_last_test_ok: Option<bool>,
    c_last_test_message: Option<String>,
}

impl TryFrom<SessionCheckRow> for SessionCheck {
    type Error = StoreError;

    fn try_from(r: SessionCheckRow) -> StoreResult<Self> {
        let user = User::try_from(r.user)?;
        let account = user.reseller_id.unwrap_or(user.id);
        let reseller_active = user.reseller_id.map(|_| {
            r.reseller_role.as_deref() == Some(Role::Reseller.as_str())
                && r.reseller_disabled == Some(false)
        });
        let credential = match (
            r.c_user_id,
            r.c_api_id,
            r.c_key_version,
            r.c_key_nonce,
            r.c_key_ciphertext,
            r.c_key_last4,
            r.c_key_fingerprint,
            r.c_created_at,
        ) {
            (
                Some(user_id),
                Some(api_id),
                Some(version),
                Some(nonce),
                Some(ciphertext),
                Some(key_last4),
                Some(key_fingerprint),
                Some(created_at),
            ) => Some(StoredCredential::try_from(CredentialRow {
                user_id,
                api_id,
                key_version: version,
                key_nonce: nonce,
                key_ciphertext: ciphertext,
                key_last4,
                key_fingerprint,
                created_at,
                last_used_at: r.c_last_used_at,
                last_test_at: r.c_last_test_at,
                last_test_ok: r.c_last_test_ok,
                last_test_message: r.c_last_test_message,
            })?),
            (None, ..) => None,
            _ => {
                return Err(StoreError::Corrupt(format!(
                    "the credential of account {account} has empty columns"
                )))
            }
        };
        Ok(SessionCheck {
            user,
            listed: r.listed,
            setting: r.setting,
            second_factor: r.second_factor,
            reseller_active,
            account,
            credential,
        })
    }
}

const SECOND_FACTOR_COLUMNS: &str =
    "user_id, key_version, seed_nonce, seed_ciphertext, enabled, last_step, created_at, enabled_at";

#[derive(FromRow)]
struct SecondFactorRow {
    user_id: i64,
    key_version: i64,
    seed_nonce: Vec<u8>,
    seed_ciphertext: Vec<u8>,
    enabled: bool,
    last_step: Option<i64>,
    created_at: i64,
    enabled_at: Option<i64>,
}

impl TryFrom<SecondFactorRow> for SecondFactor {
    type Error = StoreError;

    fn try_from(r: SecondFactorRow) -> StoreResult<Self> {
        Ok(SecondFactor {
            user_id: r.user_id,
            sealed: Sealed {
                version: version_of(r.key_version)?,
                nonce: r.seed_nonce,
                ciphertext: r.seed_ciphertext,
            },
            enabled: r.enabled,
            last_step: r.last_step,
            created_at: r.created_at,
            enabled_at: r.enabled_at,
        })
    }
}

const PASSWORD_RESET_COLUMNS: &str = "id, user_id, created_by, created_at, expires_at, used_at";

#[derive(FromRow)]
struct PasswordResetRow {
    id: i64,
    user_id: i64,
    created_by: Option<i64>,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
}

impl From<PasswordResetRow> for PasswordReset {
    fn from(r: PasswordResetRow) -> Self {
        PasswordReset {
            id: r.id,
            user_id: r.user_id,
            created_by: r.created_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            used_at: r.used_at,
        }
    }
}

const AUDIT_COLUMNS: &str = "id, ts, request_id, actor_user_id, actor_role, account_user_id, \
     action, target, outcome, error_class, ip, impersonator_user_id";

#[derive(FromRow)]
struct AuditRow {
    id: i64,
    ts: i64,
    request_id: Option<String>,
    actor_user_id: Option<i64>,
    actor_role: Option<String>,
    account_user_id: Option<i64>,
    action: String,
    target: String,
    outcome: String,
    error_class: Option<String>,
    ip: Option<String>,
    impersonator_user_id: Option<i64>,
}

impl TryFrom<AuditRow> for AuditRecord {
    type Error = StoreError;

    fn try_from(r: AuditRow) -> StoreResult<Self> {
        let outcome = [
            Outcome::Pending,
            Outcome::Ok,
            Outcome::Failed,
            Outcome::Unknown,
            Outcome::Denied,
        ]
        .into_iter()
        .find(|o| o.as_str() == r.outcome)
        .ok_or_else(|| StoreError::Corrupt(format!("audit {} outcome {:?}", r.id, r.outcome)))?;
        Ok(AuditRecord {
            id: r.id,
            ts: r.ts,
            entry: AuditEntry {
                request_id: r.request_id,
                actor_user_id: r.actor_user_id,
                actor_role: r.actor_role,
                account_user_id: r.account_user_id,
                action: r.action,
                target: r.target,
                outcome,
                error_class: r.error_class,
                ip: r.ip,
                impersonator_user_id: r.impersonator_user_id,
            },
        })
    }
}

fn users(rows: Vec<UserRow>) -> StoreResult<Vec<User>> {
    rows.into_iter().map(User::try_from).collect()
}

impl SqlStore {
    /// One attempt at `create_user`; `Duplicate("bootstrap")` means another first user won a
    /// race and the caller should try again (now as a non-first user).
    async fn try_create_user(&self, new: &NewUser, gate: &SignUpGate) -> StoreResult<User> {
        let now = now_unix();
        // The INSERT comes first so SQLite takes its write lock at once. `bootstrap` is TRUE
        // only for the admin (the first user while there is none: other accounts, such as the
        // demo's, may exist before) and is UNIQUE, so two concurrent "first" sign-ups on
        // PostgreSQL cannot both become admin.
        let insert = format!(
            "INSERT INTO users (email, display_name, role, disabled, session_epoch, password_hash, \
             created_at, updated_at, bootstrap) \
             SELECT $1, $2, \
               CASE WHEN EXISTS (SELECT 1 FROM users WHERE bootstrap) THEN 'owner' ELSE 'admin' END, \
               FALSE, 0, $3, $4, $4, \
               CASE WHEN EXISTS (SELECT 1 FROM users WHERE bootstrap) THEN NULL ELSE TRUE END \
             RETURNING {USER_COLUMNS}"
        );
        with_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let row: UserRow = sqlx::query_as(&insert)
                .bind(&new.email)
                .bind(&new.display_name)
                .bind(&new.password_hash.0)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| match &e {
                    sqlx::Error::Database(db)
                        if db.is_unique_violation()
                            && db.message().to_lowercase().contains("bootstrap") =>
                    {
                        StoreError::Duplicate("bootstrap")
                    }
                    _ => unique_as("email")(e),
                })?;
            let user = User::try_from(row)?;
            if user.role != Role::Admin {
                match gate {
                    SignUpGate::Open => {}
                    SignUpGate::FirstUserOnly => return Err(StoreError::SignUpClosed),
                    SignUpGate::Invite { token_hash } => {
                        let redeemed: Option<Option<i64>> = sqlx::query_scalar(
                            "UPDATE invites SET used_by = $1, used_at = $2 \
                             WHERE token_hash = $3 AND used_by IS NULL AND revoked = FALSE \
                             AND expires_at > $2 RETURNING customer_of",
                        )
                        .bind(user.id)
                        .bind(now)
                        .bind(token_hash)
                        .fetch_optional(&mut *tx)
                        .await?;
                        let Some(customer_of) = redeemed else {
                            return Err(StoreError::InviteInvalid);
                        };
                        if let Some(reseller) = customer_of {
                            let sql = format!(
                                "UPDATE users SET role = 'customer', reseller_id = $1 \
                                 WHERE id = $2 RETURNING {USER_COLUMNS}"
                            );
                            let row: UserRow = sqlx::query_as(&sql)
                                .bind(reseller)
                                .bind(user.id)
                                .fetch_one(&mut *tx)
                                .await?;
                            tx.commit().await?;
                            return User::try_from(row);
                        }
                    }
                }
            }
            tx.commit().await?;
            Ok(user)
        })
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    async fn ping(&self) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query("SELECT 1")
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    async fn close(&self) {
        with_pool!(self, |p| p.close().await)
    }

    async fn quota_lock(&self, customer: UserId) -> StoreResult<QuotaGuard> {
        let mutex = self
            .quota_locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(customer)
            .or_default()
            .clone();
        let local = tokio::time::timeout(QUOTA_WAIT, mutex.lock_owned())
            .await
            .map_err(|_| StoreError::Busy)?;
        let (shared, seat) = match &self.pool {
            // SQLite serves one instance: the in-process lock is all there is.
            Pool::Sqlite(_) => (None, None),
            // Instances sharing PostgreSQL: a transaction-scoped advisory lock, released
            // when the guard's transaction ends (dropped: rolled back).
            Pool::Postgres(p) => {
                let seat =
                    tokio::time::timeout(QUOTA_WAIT, self.quota_seats.clone().acquire_owned())
                        .await
                        .map_err(|_| StoreError::Busy)?
                        .map_err(|_| StoreError::Busy)?;
                let mut tx = p.begin().await?;
                let wait = format!("SET LOCAL lock_timeout = '{}s'", QUOTA_WAIT.as_secs());
                sqlx::query(&wait).execute(&mut *tx).await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
                    .bind(QUOTA_LOCK_SPACE)
                    // Ids past 2^31 share a lock with another customer: only slower.
                    .bind(customer as i32)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| match &e {
                        sqlx::Error::Database(db) if db.code().as_deref() == Some("55P03") => {
                            StoreError::Busy
                        }
                        _ => StoreError::Database(e),
                    })?;
                (Some(tx), Some(seat))
            }
        };
        Ok(QuotaGuard {
            _shared: shared,
            _seat: seat,
            _local: local,
        })
    }

    async fn create_user(&self, new: NewUser, gate: SignUpGate) -> StoreResult<User> {
        match self.try_create_user(&new, &gate).await {
            Err(StoreError::Duplicate("bootstrap")) => self.try_create_user(&new, &gate).await,
            other => other,
        }
    }

    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> = with_pool!(self, |p| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(p)
            .await)?;
        row.map(User::try_from).transpose()
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row: Option<UserRow> = with_pool!(self, |p| sqlx::query_as(&sql)
            .bind(email)
            .fetch_optional(p)
            .await)?;
        row.map(User::try_from).transpose()
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id");
        let rows: Vec<UserRow> = with_pool!(self, |p| sqlx::query_as(&sql).fetch_all(p).await)?;
        users(rows)
    }

    async fn count_users(&self) -> StoreResult<i64> {
        let count: i64 = with_pool!(self, |p| {
            sqlx::query_scalar("SELECT COUNT(*) FROM users")
                .fetch_one(p)
                .await
        })?;
        Ok(count)
    }

    async fn has_admin(&self) -> StoreResult<bool> {
        let admins: i64 = with_pool!(self, |p| {
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE bootstrap")
                .fetch_one(p)
                .await
        })?;
        Ok(admins > 0)
    }

    async fn demote_admin(&self, id: UserId) -> StoreResult<()> {
        let done = with_pool!(self, |p| sqlx::query(
            "UPDATE users SET role = 'owner', bootstrap = NULL, \
             session_epoch = session_epoch + 1, updated_at = $1 WHERE id = $2 AND role = 'admin'"
        )
        .bind(now_unix())
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        one_row(done)
    }

    async fn set_password_hash(
        &self,
        id: UserId,
        hash: PasswordHash,
        end_sessions: bool,
    ) -> StoreResult<i64> {
        let epoch: Option<i64> = with_pool!(self, |p| {
            sqlx::query_scalar(
                "UPDATE users SET password_hash = $1, updated_at = $2, \
                 session_epoch = session_epoch + $3 WHERE id = $4 RETURNING session_epoch",
            )
            .bind(&hash.0)
            .bind(now_unix())
            .bind(i64::from(end_sessions))
            .bind(id)
            .fetch_optional(p)
            .await
        })?;
        epoch.ok_or(StoreError::NotFound)
    }

    async fn set_user_disabled(&self, id: UserId, disabled: bool) -> StoreResult<()> {
        let done = with_pool!(self, |p| {
            sqlx::query(
                "UPDATE users SET disabled = $1, updated_at = $2, \
                 session_epoch = session_epoch + $3 WHERE id = $4",
            )
            .bind(disabled)
            .bind(now_unix())
            .bind(i64::from(disabled))
            .bind(id)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        one_row(done)
    }

    async fn create_invite(
        &self,
        created_by: UserId,
        token_hash: &str,
        expires_at: i64,
    ) -> StoreResult<Invite> {
        let sql = format!(
            "INSERT INTO invites (token_hash, created_by, created_at, expires_at, revoked) \
             VALUES ($1, $2, $3, $4, FALSE) RETURNING {INVITE_COLUMNS}"
        );
        let row: InviteRow = with_pool!(self, |p| {
            sqlx::query_as(&sql)
                .bind(token_hash)
                .bind(created_by)
                .bind(now_unix())
                .bind(expires_at)
                .fetch_one(p)
                .await
                .map_err(unique_as("invite"))
        })?;
        Ok(row.into())
    }

    async fn invite_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<Invite>> {
        let sql = format!("SELECT {INVITE_COLUMNS} FROM invites WHERE token_hash = $1");
        let row: Option<InviteRow> = with_pool!(self, |p| {
            sqlx::query_as(&sql)
                .bind(token_hash)
                .fetch_optional(p)
                .await
        })?;
        Ok(row.map(Invite::from))
    }

    async fn list_invites(&self) -> StoreResult<Vec<Invite>> {
        let sql = format!("SELECT {INVITE_COLUMNS} FROM invites ORDER BY id DESC");
        let rows: Vec<InviteRow> = with_pool!(self, |p| sqlx::query_as(&sql).fetch_all(p).await)?;
        Ok(rows.into_iter().map(Invite::from).collect())
    }

    async fn revoke_invite(&self, id: i64) -> StoreResult<()> {
        let done = with_pool!(self, |p| {
            sqlx::query("UPDATE invites SET revoked = TRUE WHERE id = $1 AND used_by IS NULL")
                .bind(id)
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        })?;
        one_row(done)
    }

    async fn put_credential(&self, c: NewCredential) -> StoreResult<()> {
        let now = now_unix();
        let done = with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO credentials (user_id, api_id, key_version, key_nonce, key_ciphertext, \
                 key_last4, key_fingerprint, created_at, last_used_at, last_test_at, \
                 last_test_ok, last_test_message) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $8, $9, $10) \
                 ON CONFLICT (user_id) DO UPDATE SET api_id = excluded.api_id, \
                 key_version = excluded.key_version, key_nonce = excluded.key_nonce, \
                 key_ciphertext = excluded.key_ciphertext, key_last4 = excluded.key_last4, \
                 key_fingerprint = excluded.key_fingerprint, created_at = excluded.created_at, \
                 last_used_at = NULL, last_test_at = excluded.last_test_at, \
                 last_test_ok = excluded.last_test_ok, \
                 last_test_message = excluded.last_test_message",
            )
            .bind(c.user_id)
            .bind(&c.api_id)
            .bind(i64::from(c.sealed.version))
            .bind(&c.sealed.nonce)
            .bind(&c.sealed.ciphertext)
            .bind(&c.key_last4)
            .bind(&c.key_fingerprint)
            .bind(now)
            .bind(c.tested_ok)
            .bind(&c.test_message)
            .execute(p)
            .await
            .map(|_| ())
        });
        self.credential_changed();
        done?;
        Ok(())
    }

    async fn credential(&self, user_id: UserId) -> StoreResult<Option<StoredCredential>> {
        let sql = format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE user_id = $1");
        let row: Option<CredentialRow> = with_pool!(self, |p| sqlx::query_as(&sql)
            .bind(user_id)
            .fetch_optional(p)
            .await)?;
        row.map(StoredCredential::try_from).transpose()
    }

    async fn delete_credential(&self, user_id: UserId) -> StoreResult<bool> {
        let done = with_pool!(self, |p| sqlx::query(
            "DELETE FROM credentials WHERE user_id = $1"
        )
        .bind(user_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()));
        self.credential_changed();
        Ok(done? == 1)
    }

    async fn touch_credential(&self, user_id: UserId, now: i64) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE credentials SET last_used_at = $1 WHERE user_id = $2"
        )
        .bind(now)
        .bind(user_id)
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    async fn record_credential_test(
        &self,
        user_id: UserId,
        ok: bool,
        message: &str,
        now: i64,
    ) -> StoreResult<()> {
        let done = with_pool!(self, |p| sqlx::query(
            "UPDATE credentials SET last_test_at = $1, last_test_ok = $2, \
             last_test_message = $3 WHERE user_id = $4"
        )
        .bind(now)
        .bind(ok)
        .bind(message)
        .bind(user_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        one_row(done)
    }

    async fn credentials_not_sealed_with(
        &self,
        version: u32,
        limit: i64,
    ) -> StoreResult<Vec<(UserId, Sealed)>> {
        self.not_sealed_with(&CREDENTIAL_SEALS, version, limit)
            .await
    }

    async fn reseal_credential(
        &self,
        user_id: UserId,
        old: &Sealed,
        new: &Sealed,
    ) -> StoreResult<bool> {
        let done = self.reseal(&CREDENTIAL_SEALS, user_id, old, new).await;
        self.credential_changed();
        done
    }

    async fn credential_versions(&self) -> StoreResult<Vec<(u32, i64)>> {
        self.sealed_versions(&CREDENTIAL_SEALS).await
    }

    async fn audit(&self, e: AuditEntry) -> StoreResult<i64> {
        let id: i64 = with_pool!(self, |p| sqlx::query_scalar(
            "INSERT INTO audit_log (ts, request_id, actor_user_id, actor_role, \
             account_user_id, action, target, outcome, error_class, ip, impersonator_user_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"
        )
        .bind(now_unix())
        .bind(&e.request_id)
        .bind(e.actor_user_id)
        .bind(&e.actor_role)
        .bind(e.account_user_id)
        .bind(&e.action)
        .bind(&e.target)
        .bind(e.outcome.as_str())
        .bind(&e.error_class)
        .bind(&e.ip)
        .bind(e.impersonator_user_id)
        .fetch_one(p)
        .await)?;
        Ok(id)
    }

    async fn audit_settle(
        &self,
        id: i64,
        outcome: Outcome,
        error_class: Option<&str>,
    ) -> StoreResult<()> {
        let done = with_pool!(self, |p| sqlx::query(
            "UPDATE audit_log SET outcome = $1, error_class = $2 \
             WHERE id = $3 AND outcome = 'pending'"
        )
        .bind(outcome.as_str())
        .bind(error_class)
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        one_row(done)
    }

    async fn search_audit(&self, f: &AuditFilter, limit: i64) -> StoreResult<Vec<AuditRecord>> {
        let (account, actor_scope) = match f.scope {
            None => (None, None),
            Some(AuditScope::Account(a)) => (Some(a), None),
            Some(AuditScope::Actor(a)) => (None, Some(a)),
        };
        let action_prefix = f.action.as_deref().filter(|a| a.ends_with('/'));
        let action_exact = f.action.as_deref().filter(|a| !a.ends_with('/'));
        // Every condition is "parameter absent, or it holds": one statement for every filter.
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE \
             ($1 IS NULL OR account_user_id = $1) \
             AND ($2 IS NULL OR actor_user_id = $2 OR impersonator_user_id = $2) \
             AND ($3 IS NULL OR actor_user_id = $3) \
             AND ($4 IS NULL OR action = $4) \
             AND ($5 IS NULL OR substr(action, 1, length($5)) = $5) \
             AND ($6 IS NULL OR strpos_target) \
             AND ($7 IS NULL OR ts >= $7) AND ($8 IS NULL OR ts <= $8) \
             AND ($9 IS NULL OR id < $9) \
             AND ($10 IS NULL OR outcome = $10) \
             AND ($11 IS NULL OR substr(action, 1, length($11)) = $11) \
             ORDER BY id DESC LIMIT $12"
        );
        let contains = match self.pool() {
            Pool::Sqlite(_) => "instr(target, $6) > 0",
            Pool::Postgres(_) => "strpos(target, $6) > 0",
        };
        let sql = sql.replace("strpos_target", contains);
        let rows: Vec<AuditRow> = with_pool!(self, |p| sqlx::query_as(&sql)
            .bind(account)
            .bind(actor_scope)
            .bind(f.actor_user_id)
            .bind(action_exact)
            .bind(action_prefix)
            .bind(f.target.as_deref())
            .bind(f.since)
            .bind(f.until)
            .bind(f.before_id)
            .bind(f.outcome.as_deref())
            .bind(f.category.as_deref())
            .bind(limit)
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(AuditRecord::try_from).collect()
    }

    async fn create_customer_invite(
        &self,
        reseller: UserId,
        token_hash: &str,
        expires_at: i64,
    ) -> StoreResult<Invite> {
        let sql = format!(
            "INSERT INTO invites (token_hash, created_by, created_at, expires_at, revoked, \
             customer_of) VALUES ($1, $2, $3, $4, FALSE, $2) RETURNING {INVITE_COLUMNS}"
        );
        let row: InviteRow = with_pool!(self, |p| {
            sqlx::query_as(&sql)
                .bind(token_hash)
                .bind(reseller)
                .bind(now_unix())
                .bind(expires_at)
                .fetch_one(p)
                .await
                .map_err(unique_as("invite"))
        })?;
        Ok(row.into())
    }

    async fn list_customer_invites(&self, reseller: UserId) -> StoreResult<Vec<Invite>> {
        let sql =
            format!("SELECT {INVITE_COLUMNS} FROM invites WHERE customer_of = $1 ORDER BY id DESC");
        let rows: Vec<InviteRow> = with_pool!(self, |p| sqlx::query_as(&sql)
            .bind(reseller)
            .fetch_all(p)
            .await)?;
        Ok(rows.into_iter().map(Invite::from).collect())
    }

    async fn create_customer(&self, reseller: UserId, new: NewUser) -> StoreResult<User> {
        let now = now_unix();
        // Only a reseller can have customers: the SELECT finds nothing otherwise.
        let sql = format!(
            "INSERT INTO users (email, display_name, role, disabled, session_epoch, \
             password_hash, created_at, updated_at, reseller_id) \
             SELECT $1, $2, 'customer', FALSE, 0, $3, $4, $4, id FROM users \
             WHERE id = $5 AND role = 'reseller' RETURNING {USER_COLUMNS}"
        );
        let row: Option<UserRow> = with_pool!(self, |p| sqlx::query_as(&sql)
            .bind(&new.email)
            .bind(&new.display_name)
            .bind(&new.password_hash.0)
            .bind(now)
            .bind(reseller)
            .fetch_optional(p)
            .await
            .map_err(unique_as("email")))?;
        row.map(User::try_from)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    async fn list_customers(&self, reseller: UserId) -> StoreResult<Vec<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE reseller_id = $1 AND role = 'customer' \
             ORDER BY id"
        );
        let rows: Vec<UserRow> = with_pool!(self, |p| sqlx::query_as(&sql)
            .bind(reseller)
            .fetch_all(p)
            .await)?;
        users(rows)
    }

    async fn set_suspended(&self, id: UserId, suspended: bool) -> StoreResult<()> {
        let done = with_pool!(self, |p| {
            sqlx::query(
            "UPDATE users SET suspended = $1, updated_at = $2 WHERE id = $3 AND role = 'customer'"
        )
        .bind(suspended)
        .bind(now_unix())
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        one_row(done)
    }

    async fn set_reseller(&self, id: UserId, reseller: bool) -> StoreResult<()> {
        let (from, to) = if reseller {
            ("owner", "reseller")
        } else {
            ("reseller", "owner")
        };
        let done = with_pool!(self, |p| sqlx::query(
            "UPDATE users SET role = $1, updated_at = $2 WHERE id = $3 AND role IN ($1, $4)"
        )
        .bind(to)
        .bind(now_unix())
        .bind(id)
        .bind(from)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        one_row(done)
    }

    async fn delete_customer(&self, reseller: UserId, id: UserId) -> StoreResult<()> {
        with_pool!(self, |p| {
            let mut tx = p.begin().await?;
            // Invites and audit rows keep their history: the invite's user reference is
            // cleared; audit rows hold plain numbers.
            sqlx::query("UPDATE invites SET used_by = NULL WHERE used_by = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM credentials WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let done = sqlx::query(
                "DELETE FROM users WHERE id = $1 AND reseller_id = $2 AND role = 'customer'",
            )
            .bind(id)
            .bind(reseller)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done != 1 {
                return Err(StoreError::NotFound);
            }
            tx.commit().await?;
            Ok(())
        })
    }

    async fn assign(
        &self,
        account: UserId,
        kind: &str,
        resource_id: &str,
        customer: UserId,
    ) -> StoreResult<()> {
        // The customer must be this account's: the SELECT finds nothing otherwise.
        let done = with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO ownership (account_user_id, kind, resource_id, customer_id, assigned_at) \
             SELECT $1, $2, $3, id, $5 FROM users \
             WHERE id = $4 AND reseller_id = $1 AND role = 'customer' \
             ON CONFLICT (account_user_id, kind, resource_id) DO UPDATE \
             SET customer_id = excluded.customer_id, assigned_at = excluded.assigned_at"
        )
        .bind(account)
        .bind(kind)
        .bind(resource_id)
        .bind(customer)
        .bind(now_unix())
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        one_row(done)
    }

    async fn unassign(&self, account: UserId, kind: &str, resource_id: &str) -> StoreResult<bool> {
        let done = with_pool!(self, |p| {
            sqlx::query(
            "DELETE FROM ownership WHERE account_user_id = $1 AND kind = $2 AND resource_id = $3"
        )
        .bind(account)
        .bind(kind)
        .bind(resource_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    async fn assignments(
        &self,
        account: UserId,
        customer: Option<UserId>,
    ) -> StoreResult<Vec<Assignment>> {
        let rows: Vec<(String, String, i64, i64)> = with_pool!(self, |p| sqlx::query_as(
            "SELECT kind, resource_id, customer_id, assigned_at FROM ownership \
             WHERE account_user_id = $1 AND ($2 IS NULL OR customer_id = $2) \
             ORDER BY kind, resource_id"
        )
        .bind(account)
        .bind(customer)
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(kind, resource_id, customer_id, assigned_at)| Assignment {
                kind,
                resource_id,
                customer_id,
                assigned_at,
            })
            .collect())
    }

    async fn customer_policy(&self, customer: UserId) -> StoreResult<Option<CustomerPolicy>> {
        self.json_row(&POLICY_ROWS, customer).await
    }

    async fn put_customer_policy(
        &self,
        customer: UserId,
        policy: &CustomerPolicy,
    ) -> StoreResult<()> {
        self.put_json_row(&POLICY_ROWS, customer, policy).await
    }

    async fn put_dyn_link(
        &self,
        account: UserId,
        dyn_id: &str,
        token_hash: &str,
        created_by: UserId,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM dyn_links WHERE account_user_id = $1 AND dyn_id = $2")
                .bind(account)
                .bind(dyn_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO dyn_links (token_hash, account_user_id, dyn_id, created_by, \
                 created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash)
            .bind(account)
            .bind(dyn_id)
            .bind(created_by)
            .bind(now_unix())
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        })?;
        Ok(())
    }

    async fn dyn_link(&self, token_hash: &str) -> StoreResult<Option<(UserId, String, UserId)>> {
        let row: Option<(i64, String, i64)> = with_pool!(self, |p| sqlx::query_as(
            "SELECT account_user_id, dyn_id, created_by FROM dyn_links WHERE token_hash = $1"
        )
        .bind(token_hash)
        .fetch_optional(p)
        .await)?;
        Ok(row)
    }

    async fn dyn_links(&self, account: UserId) -> StoreResult<Vec<String>> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT dyn_id FROM dyn_links WHERE account_user_id = $1 ORDER BY dyn_id"
        )
        .bind(account)
        .fetch_all(p)
        .await)?)
    }

    async fn delete_dyn_link(&self, account: UserId, dyn_id: &str) -> StoreResult<bool> {
        let done = with_pool!(self, |p| sqlx::query(
            "DELETE FROM dyn_links WHERE account_user_id = $1 AND dyn_id = $2"
        )
        .bind(account)
        .bind(dyn_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done > 0)
    }

    async fn put_script_use(
        &self,
        account: UserId,
        script_id: &str,
        vm_id: &str,
        hostname: &str,
    ) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "INSERT INTO script_uses (account_user_id, script_id, vm_id, hostname, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
        )
        .bind(account)
        .bind(script_id)
        .bind(vm_id)
        .bind(hostname)
        .bind(now_unix())
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    async fn script_uses(
        &self,
        account: UserId,
        script_id: &str,
    ) -> StoreResult<Vec<(String, String)>> {
        Ok(with_pool!(self, |p| sqlx::query_as(
            "SELECT vm_id, hostname FROM script_uses WHERE account_user_id = $1 \
             AND script_id = $2 ORDER BY created_at, vm_id"
        )
        .bind(account)
        .bind(script_id)
        .fetch_all(p)
        .await)?)
    }

    async fn put_billing_day(
        &self,
        account: UserId,
        day: &str,
        credit: Option<f64>,
        monthly: f64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO billing_days (account_user_id, day, credit, monthly, recorded_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_user_id, day) DO UPDATE SET \
             credit = excluded.credit, monthly = excluded.monthly, recorded_at = excluded.recorded_at"
        )
        .bind(account)
        .bind(day)
        .bind(credit)
        .bind(monthly)
        .bind(now_unix())
        .execute(p)
        .await
        .map(|_| ())
        })?;
        Ok(())
    }

    async fn billing_before(
        &self,
        account: UserId,
        day: &str,
    ) -> StoreResult<Option<(String, Option<f64>, f64)>> {
        Ok(with_pool!(self, |p| sqlx::query_as(
            "SELECT day, credit, monthly FROM billing_days WHERE account_user_id = $1 \
             AND day < $2 ORDER BY day DESC LIMIT 1"
        )
        .bind(account)
        .bind(day)
        .fetch_optional(p)
        .await)?)
    }

    async fn put_session(&self, row: &SessionRow) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "INSERT INTO user_sessions (sid, user_id, created_at, seen_at, ip, user_agent) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(&row.sid)
        .bind(row.user_id)
        .bind(row.created_at)
        .bind(row.seen_at)
        .bind(&row.ip)
        .bind(&row.user_agent)
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    async fn session_check(
        &self,
        user: UserId,
        sid: &str,
        setting: &str,
    ) -> StoreResult<Option<SessionCheck>> {
        // One statement, one round trip: the user, their session's listing, the setting,
        // their second factor, their reseller and the acting account's sealed credential.
        let sql = "SELECT u.id, u.email, u.display_name, u.role, u.disabled, u.session_epoch, \
             u.password_hash, u.created_at, u.updated_at, u.reseller_id, u.suspended, \
             EXISTS (SELECT 1 FROM user_sessions s WHERE s.sid = $2 AND s.user_id = u.id) \
               AS listed, \
             (SELECT v.value FROM panel_settings v WHERE v.key = $3) AS setting, \
             EXISTS (SELECT 1 FROM second_factors f WHERE f.user_id = u.id AND f.enabled = TRUE) \
               AS second_factor, \
             r.role AS reseller_role, r.disabled AS reseller_disabled, \
             c.user_id AS c_user_id, c.api_id AS c_api_id, c.key_version AS c_key_version, \
             c.key_nonce AS c_key_nonce, c.key_ciphertext AS c_key_ciphertext, \
             c.key_last4 AS c_key_last4, c.key_fingerprint AS c_key_fingerprint, \
             c.created_at AS c_created_at, c.last_used_at AS c_last_used_at, \
             c.last_test_at AS c_last_test_at, c.last_test_ok AS c_last_test_ok, \
             c.last_test_message AS c_last_test_message \
             FROM users u \
             LEFT JOIN users r ON r.id = u.reseller_id \
             LEFT JOIN credentials c ON c.user_id = COALESCE(u.reseller_id, u.id) \
             WHERE u.id = $1";
        let row: Option<SessionCheckRow> = with_pool!(self, |p| sqlx::query_as(sql)
            .bind(user)
            .bind(sid)
            .bind(setting)
            .fetch_optional(p)
            .await)?;
        row.map(SessionCheck::try_from).transpose()
    }

    fn credential_generation(&self) -> u64 {
        self.credential_changes.load(Ordering::SeqCst)
    }

    async fn session_listed(&self, user: UserId, sid: &str) -> StoreResult<bool> {
        let n: i64 = with_pool!(self, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM user_sessions WHERE sid = $1 AND user_id = $2"
        )
        .bind(sid)
        .bind(user)
        .fetch_one(p)
        .await)?;
        Ok(n > 0)
    }

    async fn touch_session(&self, sid: &str, seen_at: i64, ip: Option<&str>) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE user_sessions SET seen_at = $1, ip = COALESCE($2, ip) WHERE sid = $3"
        )
        .bind(seen_at)
        .bind(ip)
        .bind(sid)
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    async fn user_sessions(&self, user: UserId) -> StoreResult<Vec<SessionRow>> {
        Ok(with_pool!(self, |p| sqlx::query_as(
            "SELECT sid, user_id, created_at, seen_at, ip, user_agent FROM user_sessions \
             WHERE user_id = $1 ORDER BY seen_at DESC, created_at DESC"
        )
        .bind(user)
        .fetch_all(p)
        .await)?)
    }

    async fn delete_session(&self, user: UserId, sid: &str) -> StoreResult<bool> {
        let done = with_pool!(self, |p| sqlx::query(
            "DELETE FROM user_sessions WHERE sid = $1 AND user_id = $2"
        )
        .bind(sid)
        .bind(user)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done > 0)
    }

    async fn delete_sessions_except(&self, user: UserId, keep: Option<&str>) -> StoreResult<u64> {
        Ok(with_pool!(self, |p| sqlx::query(
            "DELETE FROM user_sessions WHERE user_id = $1 AND sid <> COALESCE($2, '')"
        )
        .bind(user)
        .bind(keep)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }

    async fn prune_sessions(&self, before: i64) -> StoreResult<u64> {
        Ok(with_pool!(self, |p| sqlx::query(
            "DELETE FROM user_sessions WHERE seen_at < $1"
        )
        .bind(before)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }

    async fn count_sessions(&self, since: i64) -> StoreResult<u64> {
        let n: i64 = with_pool!(self, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM user_sessions WHERE seen_at >= $1"
        )
        .bind(since)
        .fetch_one(p)
        .await)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn throttle_state(&self, scope: &str, key: &str) -> StoreResult<Option<ThrottleRow>> {
        Ok(with_pool!(self, |p| sqlx::query_as(
            "SELECT failures, last_failure_at, blocked_until FROM auth_throttle \
             WHERE scope = $1 AND key = $2"
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(p)
        .await)?)
    }

    async fn throttle_fail(
        &self,
        scope: &str,
        key: &str,
        now: i64,
        window: i64,
    ) -> StoreResult<ThrottleRow> {
        // Every SET expression sees the row as it was: a counter whose last failure is a
        // window old (and that is not blocked) starts again at 1.
        Ok(with_pool!(self, |p| sqlx::query_as(
            "INSERT INTO auth_throttle (scope, key, failures, last_failure_at, blocked_until) \
             VALUES ($1, $2, 1, $3, 0) ON CONFLICT (scope, key) DO UPDATE SET \
             failures = CASE WHEN auth_throttle.last_failure_at <= $4 \
                             AND auth_throttle.blocked_until <= $3 \
                        THEN 1 ELSE auth_throttle.failures + 1 END, \
             last_failure_at = $3 \
             RETURNING failures, last_failure_at, blocked_until"
        )
        .bind(scope)
        .bind(key)
        .bind(now)
        .bind(now - window)
        .fetch_one(p)
        .await)?)
    }

    async fn throttle_block(&self, scope: &str, key: &str, until: i64) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE auth_throttle SET blocked_until = $1 WHERE scope = $2 AND key = $3"
        )
        .bind(until)
        .bind(scope)
        .bind(key)
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    async fn throttle_clear(&self, scope: &str, key: &str) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "DELETE FROM auth_throttle WHERE scope = $1 AND key = $2"
        )
        .bind(scope)
        .bind(key)
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    async fn branding(&self, reseller: UserId) -> StoreResult<Option<Branding>> {
        self.json_row(&BRANDING_ROWS, reseller).await
    }

    async fn put_branding(&self, reseller: UserId, branding: &Branding) -> StoreResult<()> {
        self.put_json_row(&BRANDING_ROWS, reseller, branding).await
    }

    async fn second_factor(&self, user: UserId) -> StoreResult<Option<SecondFactor>> {
        let sql = format!("SELECT {SECOND_FACTOR_COLUMNS} FROM second_factors WHERE user_id = $1");
        let row: Option<SecondFactorRow> = with_pool!(self, |p| sqlx::query_as(&sql)
            .bind(user)
            .fetch_optional(p)
            .await)?;
        row.map(SecondFactor::try_from).transpose()
    }

    async fn second_factor_users(&self) -> StoreResult<Vec<UserId>> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT user_id FROM second_factors WHERE enabled = TRUE ORDER BY user_id"
        )
        .fetch_all(p)
        .await)?)
    }

    async fn put_pending_second_factor(&self, user: UserId, sealed: &Sealed) -> StoreResult<bool> {
        // An enabled seed is never overwritten here: it must be turned off first.
        let done = with_pool!(self, |p| sqlx::query(
            "INSERT INTO second_factors (user_id, key_version, seed_nonce, seed_ciphertext, \
             enabled, last_step, created_at, enabled_at) \
             VALUES ($1, $2, $3, $4, FALSE, NULL, $5, NULL) \
             ON CONFLICT (user_id) DO UPDATE SET key_version = excluded.key_version, \
             seed_nonce = excluded.seed_nonce, seed_ciphertext = excluded.seed_ciphertext, \
             created_at = excluded.created_at \
             WHERE second_factors.enabled = FALSE"
        )
        .bind(user)
        .bind(i64::from(sealed.version))
        .bind(&sealed.nonce)
        .bind(&sealed.ciphertext)
        .bind(now_unix())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    async fn enable_second_factor(
        &self,
        user: UserId,
        pending_nonce: &[u8],
        step: i64,
        recovery_hashes: &[String],
    ) -> StoreResult<bool> {
        let now = now_unix();
        with_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let done = sqlx::query(
                "UPDATE second_factors SET enabled = TRUE, last_step = $1, enabled_at = $2 \
                 WHERE user_id = $3 AND enabled = FALSE AND seed_nonce = $4",
            )
            .bind(step)
            .bind(now)
            .bind(user)
            .bind(pending_nonce)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done != 1 {
                return Ok(false);
            }
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await?;
            for hash in recovery_hashes {
                sqlx::query(
                    "INSERT INTO recovery_codes (user_id, code_hash, created_at, used_at) \
                     VALUES ($1, $2, $3, NULL)",
                )
                .bind(user)
                .bind(hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "UPDATE users SET session_epoch = session_epoch + 1, updated_at = $1 \
                 WHERE id = $2",
            )
            .bind(now)
            .bind(user)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    async fn accept_second_factor_step(&self, user: UserId, step: i64) -> StoreResult<bool> {
        let done = with_pool!(self, |p| sqlx::query(
            "UPDATE second_factors SET last_step = $1 WHERE user_id = $2 AND enabled = TRUE \
             AND (last_step IS NULL OR last_step < $1)"
        )
        .bind(step)
        .bind(user)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    async fn delete_second_factor(&self, user: UserId) -> StoreResult<Option<bool>> {
        let now = now_unix();
        with_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let enabled: Option<bool> = sqlx::query_scalar(
                "DELETE FROM second_factors WHERE user_id = $1 RETURNING enabled",
            )
            .bind(user)
            .fetch_optional(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await?;
            if enabled == Some(true) {
                sqlx::query(
                    "UPDATE users SET session_epoch = session_epoch + 1, updated_at = $1 \
                     WHERE id = $2",
                )
                .bind(now)
                .bind(user)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(enabled)
        })
    }

    async fn replace_recovery_codes(&self, user: UserId, hashes: &[String]) -> StoreResult<()> {
        let now = now_unix();
        with_pool!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await?;
            for hash in hashes {
                sqlx::query(
                    "INSERT INTO recovery_codes (user_id, code_hash, created_at, used_at) \
                     VALUES ($1, $2, $3, NULL)",
                )
                .bind(user)
                .bind(hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    async fn use_recovery_code(&self, user: UserId, hash: &str) -> StoreResult<bool> {
        let done = with_pool!(self, |p| sqlx::query(
            "UPDATE recovery_codes SET used_at = $1 \
             WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL"
        )
        .bind(now_unix())
        .bind(user)
        .bind(hash)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    async fn recovery_codes_left(&self, user: UserId) -> StoreResult<i64> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL"
        )
        .bind(user)
        .fetch_one(p)
        .await)?)
    }

    async fn second_factors_not_sealed_with(
        &self,
        version: u32,
        limit: i64,
    ) -> StoreResult<Vec<(UserId, Sealed)>> {
        self.not_sealed_with(&SEED_SEALS, version, limit).await
    }

    async fn reseal_second_factor(
        &self,
        user: UserId,
        old: &Sealed,
        new: &Sealed,
    ) -> StoreResult<bool> {
        self.reseal(&SEED_SEALS, user, old, new).await
    }

    async fn second_factor_versions(&self) -> StoreResult<Vec<(u32, i64)>> {
        self.sealed_versions(&SEED_SEALS).await
    }

    async fn create_password_reset(
        &self,
        user: UserId,
        created_by: UserId,
        token_hash: &str,
        expires_at: i64,
    ) -> StoreResult<PasswordReset> {
        let sql = format!(
            "INSERT INTO password_resets (token_hash, user_id, created_by, created_at, \
             expires_at, used_at) VALUES ($1, $2, $3, $4, $5, NULL) \
             RETURNING {PASSWORD_RESET_COLUMNS}"
        );
        let row: PasswordResetRow = with_pool!(self, |p| {
            let mut tx = p.begin().await?;
            // One open link per user: a new one replaces the ones not yet used.
            sqlx::query("DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL")
                .bind(user)
                .execute(&mut *tx)
                .await?;
            let row = sqlx::query_as(&sql)
                .bind(token_hash)
                .bind(user)
                .bind(created_by)
                .bind(now_unix())
                .bind(expires_at)
                .fetch_one(&mut *tx)
                .await
                .map_err(unique_as("reset link"))?;
            tx.commit().await?;
            Ok::<_, StoreError>(row)
        })?;
        Ok(row.into())
    }

    async fn password_reset(&self, token_hash: &str) -> StoreResult<Option<PasswordReset>> {
        let sql =
            format!("SELECT {PASSWORD_RESET_COLUMNS} FROM password_resets WHERE token_hash = $1");
        let row: Option<PasswordResetRow> = with_pool!(self, |p| sqlx::query_as(&sql)
            .bind(token_hash)
            .fetch_optional(p)
            .await)?;
        Ok(row.map(PasswordReset::from))
    }

    async fn use_password_reset(
        &self,
        token_hash: &str,
        hash: PasswordHash,
        now: i64,
    ) -> StoreResult<Option<UserId>> {
        with_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let user: Option<i64> = sqlx::query_scalar(
                "UPDATE password_resets SET used_at = $1 \
                 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
                 RETURNING user_id",
            )
            .bind(now)
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(user) = user else {
                return Ok(None);
            };
            sqlx::query(
                "UPDATE users SET password_hash = $1, updated_at = $2, \
                 session_epoch = session_epoch + 1 WHERE id = $3",
            )
            .bind(&hash.0)
            .bind(now)
            .bind(user)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Some(user))
        })
    }

    async fn panel_setting(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT value FROM panel_settings WHERE key = $1"
        )
        .bind(key)
        .fetch_optional(p)
        .await)?)
    }

    async fn put_panel_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "INSERT INTO panel_settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
             updated_at = excluded.updated_at"
        )
        .bind(key)
        .bind(value)
        .bind(now_unix())
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }
}

/// A table holding one sealed secret per user (`user_id`, `key_version` and the two
/// columns named here): the credentials and the second-factor seeds, rotated alike.
struct SealedColumns {
    table: &'static str,
    nonce: &'static str,
    ciphertext: &'static str,
}

const CREDENTIAL_SEALS: SealedColumns = SealedColumns {
    table: "credentials",
    nonce: "key_nonce",
    ciphertext: "key_ciphertext",
};

const SEED_SEALS: SealedColumns = SealedColumns {
    table: "second_factors",
    nonce: "seed_nonce",
    ciphertext: "seed_ciphertext",
};

impl SqlStore {
    /// Up to `limit` secrets of `c` sealed with a version other than `version`.
    async fn not_sealed_with(
        &self,
        c: &SealedColumns,
        version: u32,
        limit: i64,
    ) -> StoreResult<Vec<(UserId, Sealed)>> {
        let sql = format!(
            "SELECT user_id, key_version, {}, {} FROM {} WHERE key_version <> $1 \
             ORDER BY user_id LIMIT $2",
            c.nonce, c.ciphertext, c.table
        );
        let rows: Vec<(i64, i64, Vec<u8>, Vec<u8>)> = with_pool!(self, |p| sqlx::query_as(&sql)
            .bind(i64::from(version))
            .bind(limit)
            .fetch_all(p)
            .await)?;
        rows.into_iter()
            .map(|(user_id, v, nonce, ciphertext)| {
                Ok((
                    user_id,
                    Sealed {
                        version: version_of(v)?,
                        nonce,
                        ciphertext,
                    },
                ))
            })
            .collect()
    }

    /// Replaces `user`'s secret in `c` with `new` only if it still is `old` (compared on
    /// version and nonce); `false` when it changed meanwhile.
    async fn reseal(
        &self,
        c: &SealedColumns,
        user: UserId,
        old: &Sealed,
        new: &Sealed,
    ) -> StoreResult<bool> {
        let sql = format!(
            "UPDATE {t} SET key_version = $1, {n} = $2, {ct} = $3 \
             WHERE user_id = $4 AND key_version = $5 AND {n} = $6",
            t = c.table,
            n = c.nonce,
            ct = c.ciphertext
        );
        let done = with_pool!(self, |p| sqlx::query(&sql)
            .bind(i64::from(new.version))
            .bind(&new.nonce)
            .bind(&new.ciphertext)
            .bind(user)
            .bind(i64::from(old.version))
            .bind(&old.nonce)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// How many secrets of `c` each master-key version seals.
    async fn sealed_versions(&self, c: &SealedColumns) -> StoreResult<Vec<(u32, i64)>> {
        let sql = format!(
            "SELECT key_version, COUNT(*) FROM {} GROUP BY key_version ORDER BY key_version",
            c.table
        );
        let rows: Vec<(i64, i64)> = with_pool!(self, |p| sqlx::query_as(&sql).fetch_all(p).await)?;
        rows.into_iter()
            .map(|(v, n)| Ok((version_of(v)?, n)))
            .collect()
    }
}

/// A table holding one JSON document per user (a customer's policy, a reseller's branding).
struct JsonRows {
    table: &'static str,
    key: &'static str,
    column: &'static str,
}

const POLICY_ROWS: JsonRows = JsonRows {
    table: "customer_policies",
    key: "customer_id",
    column: "policy",
};

const BRANDING_ROWS: JsonRows = JsonRows {
    table: "brandings",
    key: "reseller_id",
    column: "branding",
};

impl SqlStore {
    async fn json_row<T: serde::de::DeserializeOwned>(
        &self,
        rows: &JsonRows,
        id: UserId,
    ) -> StoreResult<Option<T>> {
        let JsonRows { table, key, column } = rows;
        let sql = format!("SELECT {column} FROM {table} WHERE {key} = $1");
        let text: Option<String> = with_pool!(self, |p| sqlx::query_scalar(&sql)
            .bind(id)
            .fetch_optional(p)
            .await)?;
        text.map(|t| {
            serde_json::from_str(&t)
                .map_err(|e| StoreError::Corrupt(format!("{column} of user {id}: {e}")))
        })
        .transpose()
    }

    async fn put_json_row<T: serde::Serialize>(
        &self,
        rows: &JsonRows,
        id: UserId,
        value: &T,
    ) -> StoreResult<()> {
        let JsonRows { table, key, column } = rows;
        let text = serde_json::to_string(value)
            .map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))?;
        let sql = format!(
            "INSERT INTO {table} ({key}, {column}, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT ({key}) DO UPDATE SET {column} = excluded.{column}, \
             updated_at = excluded.updated_at"
        );
        with_pool!(self, |p| sqlx::query(&sql)
            .bind(id)
            .bind(&text)
            .bind(now_unix())
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }
}
