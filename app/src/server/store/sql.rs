//! [`SqlStore`]: the `Store` over SQLite or PostgreSQL, chosen once from the URL scheme.
//!
//! The SQL is written once and is portable (`$n` placeholders, `RETURNING`, no backend-only
//! functions); [`with_pool!`] runs the same body against whichever pool is open. Migrations
//! live in `app/migrations/{sqlite,postgres}` with the same version numbers.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::FromRow;

use super::{
    now_unix, Invite, NewUser, PasswordHash, SignUpGate, Store, StoreError, StoreResult, User,
    UserId,
};
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
}

/// Runs `$body` with `$p` bound to the open pool, whichever backend it is.
macro_rules! with_pool {
    ($store:expr, |$p:ident| $body:expr) => {
        match &$store.pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

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
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        SqlStore {
            pool: Pool::Sqlite(pool),
        }
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        SqlStore {
            pool: Pool::Postgres(pool),
        }
    } else {
        return Err(StoreError::Corrupt(
            "the database URL must start with sqlite: or postgres://".into(),
        ));
    };
    store.migrate().await?;
    Ok(store)
}

impl SqlStore {
    /// Applies pending migrations (checksummed by sqlx; a changed applied migration fails).
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.pool {
            Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// The pool, for the session store that shares the database.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

const USER_COLUMNS: &str = "id, email, display_name, role, disabled, session_epoch, \
                            password_hash, created_at, updated_at";
const INVITE_COLUMNS: &str = "id, created_by, created_at, expires_at, used_by, used_at, revoked";

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

fn users(rows: Vec<UserRow>) -> StoreResult<Vec<User>> {
    rows.into_iter().map(User::try_from).collect()
}

impl SqlStore {
    /// One attempt at `create_user`; `Duplicate("bootstrap")` means another first user won a
    /// race and the caller should try again (now as a non-first user).
    async fn try_create_user(&self, new: &NewUser, gate: &SignUpGate) -> StoreResult<User> {
        let now = now_unix();
        // The INSERT comes first so SQLite takes its write lock at once. `bootstrap` is TRUE
        // only for the very first user and is UNIQUE, so two concurrent "first" sign-ups on
        // PostgreSQL cannot both become admin.
        let insert = format!(
            "INSERT INTO users (email, display_name, role, disabled, session_epoch, password_hash, \
             created_at, updated_at, bootstrap) \
             SELECT $1, $2, \
               CASE WHEN EXISTS (SELECT 1 FROM users) THEN 'owner' ELSE 'admin' END, \
               FALSE, 0, $3, $4, $4, \
               CASE WHEN EXISTS (SELECT 1 FROM users) THEN NULL ELSE TRUE END \
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
                        let redeemed = sqlx::query(
                            "UPDATE invites SET used_by = $1, used_at = $2 \
                             WHERE token_hash = $3 AND used_by IS NULL AND revoked = FALSE \
                             AND expires_at > $2",
                        )
                        .bind(user.id)
                        .bind(now)
                        .bind(token_hash)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if redeemed != 1 {
                            return Err(StoreError::InviteInvalid);
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
}
