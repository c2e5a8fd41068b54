//! Fair use of one Luna Node key (issue 13.8): a budget of upstream calls per account and
//! per customer, as token buckets, so that one user looping a page can neither exhaust the
//! key a reseller's other customers share nor push Luna Node into refusing it.
//!
//! Every upstream call a *user's request* makes spends one token: from the account's bucket
//! (the Luna Node credential's), and for a customer also from their own, smaller bucket
//! within it. A call is made only when every bucket it draws on has a token; otherwise
//! nothing is spent and the caller is told how long to wait ([`AppError::Throttled`], HTTP
//! 429 with `Retry-After`). The refusal comes before the call, before a mutation's audit row
//! and before the circuit breaker sees anything: a refused call is not a call.
//!
//! Not charged: the panel's own pollers (live status, the shared lists in
//! [`super::lists`]), which are a fixed load however many pages watch them, and must not be
//! starved by users; reads served from their caches ([`super::authz::Grant::cached_kind`],
//! the VM snapshot) therefore cost nothing.
//!
//! The buckets sit behind [`BucketStore`]: in this instance's memory on SQLite (one
//! instance, [`MemoryBuckets`]), and in PostgreSQL ([`PgBuckets`], one row per bucket,
//! taken atomically) when several instances share the database and so the key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::store::UserId;
use crate::error::AppError;

/// A bucket's size: refilled at `per_second` tokens a second up to `burst`. A
/// `per_second` of 0 is no limit at all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: u32,
}

impl Rate {
    /// No limit (a bucket of this rate is never consulted).
    pub const UNLIMITED: Rate = Rate {
        per_second: 0.0,
        burst: 0,
    };

    pub fn is_limited(&self) -> bool {
        self.per_second > 0.0
    }

    /// The bucket's capacity (at least one call, or nothing could ever pass).
    fn capacity(&self) -> f64 {
        f64::from(self.burst.max(1))
    }
}

/// The two budgets.
///
/// Luna Node's own limits are UNKNOWN (the API documentation states none, and none has
/// been observed), so the defaults are the panel's guess at fair use, not a known ceiling:
///
/// * **Account: 20 calls/s, burst 200.** What a whole reseller's panel may send with one
///   key, pollers aside. The heaviest page (the create-VM wizard) costs about 13 calls, a
///   VM's page about 9; 200 covers several people opening pages at once, and 20 a second
///   sustained is already far beyond what people clicking produce, so it only stops
///   loops and scripts.
/// * **Customer: 5 calls/s, burst 60.** One customer's share: 60 covers a quick round of
///   the heaviest pages (wizard, create, the new VM's page, the wizard again: about 36
///   calls in a few seconds — 30 was too few, the tenancy journey showed); 5 a second is
///   one page every two seconds, sustained. Four customers looping at once can use up the
///   account's rate, one cannot (and cannot take more than a third of its burst).
///
/// Settings: `upstream_account_rate`, `upstream_account_burst`, `upstream_customer_rate`,
/// `upstream_customer_burst` (rate 0 turns that budget off).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetLimits {
    pub account: Rate,
    pub customer: Rate,
}

impl Default for BudgetLimits {
    fn default() -> Self {
        Self {
            account: Rate {
                per_second: 20.0,
                burst: 200,
            },
            customer: Rate {
                per_second: 5.0,
                burst: 60,
            },
        }
    }
}

impl BudgetLimits {
    /// No limits at all (benchmarks).
    pub const UNLIMITED: BudgetLimits = BudgetLimits {
        account: Rate::UNLIMITED,
        customer: Rate::UNLIMITED,
    };
}

/// Whose budget an upstream call spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Payer {
    /// The panel's own pollers: not charged (see the module's doc).
    Panel,
    /// Someone acting on their own account (owner, reseller, the admin): the account's
    /// bucket.
    Account(UserId),
    /// A customer of reseller `account`: their own bucket and the account's.
    Customer { account: UserId, customer: UserId },
}

/// One bucket's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BucketKey {
    Account(UserId),
    Customer(UserId),
}

/// Where the buckets live.
#[async_trait]
pub trait BucketStore: Send + Sync + 'static {
    /// Takes one token from every bucket of `draws` (each with its rate), or from none:
    /// `Err` is how long until all of them would have one.
    async fn take(&self, draws: &[(BucketKey, Rate)]) -> Result<(), Duration>;
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
    rate: Rate,
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Bucket {
        Bucket {
            tokens: rate.capacity(),
            at: now,
            rate,
        }
    }

    /// The bucket as it stands at `now` (refilled since it was last looked at), at `rate`.
    fn at(self, rate: Rate, now: Instant) -> Bucket {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        Bucket {
            tokens: (self.tokens + elapsed * rate.per_second).min(rate.capacity()),
            at: now.max(self.at),
            rate,
        }
    }

    /// How long until it holds a whole token (zero when it does).
    fn wait(&self) -> Duration {
        let missing = 1.0 - self.tokens;
        if missing <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(missing / self.rate.per_second)
        }
    }
}

/// Buckets in this instance's memory, refilled lazily when looked at (nothing runs in
/// the background). A bucket not in the map is full.
#[derive(Debug, Default)]
pub struct MemoryBuckets {
    buckets: Mutex<HashMap<BucketKey, Bucket>>,
}

/// Past this many buckets, full ones (the same as absent) are dropped.
const PRUNE_ABOVE: usize = 4096;

impl MemoryBuckets {
    /// [`BucketStore::take`] at instant `now` (tests pass their own clock).
    pub fn take_at(&self, draws: &[(BucketKey, Rate)], now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let current: Vec<Bucket> = draws
            .iter()
            .map(|(key, rate)| {
                buckets
                    .get(key)
                    .map_or_else(|| Bucket::full(*rate, now), |b| b.at(*rate, now))
            })
            .collect();
        let wait = current.iter().map(Bucket::wait).max().unwrap_or_default();
        if !wait.is_zero() {
            return Err(wait);
        }
        for (b, (key, _)) in current.into_iter().zip(draws) {
            let tokens = b.tokens - 1.0;
            buckets.insert(*key, Bucket { tokens, ..b });
        }
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| {
                let b = b.at(b.rate, now);
                b.tokens < b.rate.capacity()
            });
        }
        Ok(())
    }
}

#[async_trait]
impl BucketStore for MemoryBuckets {
    async fn take(&self, draws: &[(BucketKey, Rate)]) -> Result<(), Duration> {
        self.take_at(draws, Instant::now())
    }
}

/// Buckets shared by every instance on one PostgreSQL database (`upstream_buckets`): each
/// draw is one transaction that locks its buckets' rows (in key order, so two draws never
/// wait on each other crosswise), refills them by the database's clock, and takes a token
/// from each or from none.
#[derive(Debug, Clone)]
pub struct PgBuckets {
    pool: sqlx::PgPool,
}

impl PgBuckets {
    pub fn new(pool: sqlx::PgPool) -> Self {
        Self { pool }
    }

    fn name(key: BucketKey) -> String {
        match key {
            BucketKey::Account(id) => format!("account:{id}"),
            BucketKey::Customer(id) => format!("customer:{id}"),
        }
    }

    async fn try_take(
        &self,
        draws: &[(BucketKey, Rate)],
    ) -> Result<Result<(), Duration>, sqlx::Error> {
        let mut named: Vec<(String, Rate)> =
            draws.iter().map(|(k, r)| (Self::name(*k), *r)).collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        let names: Vec<String> = named.iter().map(|(n, _)| n.clone()).collect();
        let full: Vec<f64> = named.iter().map(|(_, r)| r.capacity()).collect();
        let mut tx = self.pool.begin().await?;
        // A bucket seen for the first time starts full.
        sqlx::query(
            "INSERT INTO upstream_buckets (key, tokens, at) \
             SELECT k, t, clock_timestamp() FROM unnest($1::text[], $2::float8[]) AS u(k, t) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(&names)
        .bind(&full)
        .execute(&mut *tx)
        .await?;
        let rows: Vec<(String, f64, f64)> = sqlx::query_as(
            "SELECT key, tokens, \
               GREATEST(EXTRACT(EPOCH FROM clock_timestamp() - at)::float8, 0) \
             FROM upstream_buckets WHERE key = ANY($1) ORDER BY key FOR UPDATE",
        )
        .bind(&names)
        .fetch_all(&mut *tx)
        .await?;
        let mut after = Vec::with_capacity(rows.len());
        let mut wait = Duration::ZERO;
        for (key, tokens, elapsed) in rows {
            let Some((_, rate)) = named.iter().find(|(n, _)| *n == key) else {
                continue;
            };
            let now = (tokens + elapsed * rate.per_second).min(rate.capacity());
            let missing = 1.0 - now;
            if missing > 0.0 {
                wait = wait.max(Duration::from_secs_f64(missing / rate.per_second));
            }
            after.push((key, now - 1.0));
        }
        if !wait.is_zero() {
            tx.rollback().await?;
            return Ok(Err(wait));
        }
        let (keys, tokens): (Vec<String>, Vec<f64>) = after.into_iter().unzip();
        sqlx::query(
            "UPDATE upstream_buckets AS b SET tokens = u.t, at = clock_timestamp() \
             FROM unnest($1::text[], $2::float8[]) AS u(k, t) WHERE b.key = u.k",
        )
        .bind(&keys)
        .bind(&tokens)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }
}

#[async_trait]
impl BucketStore for PgBuckets {
    async fn take(&self, draws: &[(BucketKey, Rate)]) -> Result<(), Duration> {
        match self.try_take(draws).await {
            Ok(taken) => taken,
            Err(e) => {
                // The call itself will need the database (the credential) anyway; a budget
                // that cannot be read does not refuse it.
                tracing::warn!(error = %e, "upstream budget: the database did not answer; call let through");
                Ok(())
            }
        }
    }
}

/// The budgets of every account and customer, as the request path uses them.
pub struct Budget {
    limits: BudgetLimits,
    buckets: Arc<dyn BucketStore>,
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Budget {
    /// Budgets of `limits`, kept in this instance's memory.
    pub fn new(limits: BudgetLimits) -> Self {
        Self::with_store(limits, Arc::new(MemoryBuckets::default()))
    }

    pub fn with_store(limits: BudgetLimits, buckets: Arc<dyn BucketStore>) -> Self {
        Self { limits, buckets }
    }

    pub fn limits(&self) -> BudgetLimits {
        self.limits
    }

    /// The buckets a call for `payer` draws on, with their rates.
    fn draws(&self, payer: Payer) -> Vec<(BucketKey, Rate)> {
        let (account, customer) = match payer {
            Payer::Panel => return Vec::new(),
            Payer::Account(account) => (account, None),
            Payer::Customer { account, customer } => (account, Some(customer)),
        };
        let mut draws = Vec::with_capacity(2);
        if let Some(c) = customer.filter(|_| self.limits.customer.is_limited()) {
            draws.push((BucketKey::Customer(c), self.limits.customer));
        }
        if self.limits.account.is_limited() {
            draws.push((BucketKey::Account(account), self.limits.account));
        }
        draws
    }

    /// Spends one call of `payer`'s budget, or refuses with how long to wait (whole
    /// seconds, rounded up: a client that waits that long is let through).
    pub async fn spend(&self, payer: Payer) -> Result<(), AppError> {
        let draws = self.draws(payer);
        if draws.is_empty() {
            return Ok(());
        }
        self.buckets.take(&draws).await.map_err(|wait| {
            let retry_after = retry_secs(wait);
            tracing::debug!(?payer, retry_after, "upstream budget spent: call refused");
            AppError::Throttled { retry_after }
        })
    }
}

/// A wait as whole seconds for `Retry-After`: rounded up, at least 1.
pub fn retry_secs(wait: Duration) -> u64 {
    let whole = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    whole.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: Rate = Rate {
        per_second: 2.0,
        burst: 6,
    };
    const CUSTOMER: Rate = Rate {
        per_second: 0.5,
        burst: 3,
    };

    fn customer(id: UserId) -> [(BucketKey, Rate); 2] {
        [
            (BucketKey::Customer(id), CUSTOMER),
            (BucketKey::Account(1), ACCOUNT),
        ]
    }

    fn account() -> [(BucketKey, Rate); 1] {
        [(BucketKey::Account(1), ACCOUNT)]
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Asserts a refusal whose wait is `want` (to the microsecond: float arithmetic).
    #[track_caller]
    fn refused(taken: Result<(), Duration>, want: Duration) {
        match taken {
            Err(wait) => assert!(
                wait.abs_diff(want) < Duration::from_micros(1),
                "waits {wait:?}, not {want:?}"
            ),
            Ok(()) => panic!("let through; expected a wait of {want:?}"),
        }
    }

    #[test]
    fn a_full_bucket_allows_its_burst_then_refills_at_its_rate() {
        let b = MemoryBuckets::default();
        let t0 = Instant::now();
        for _ in 0..6 {
            b.take_at(&account(), t0).unwrap();
        }
        // Empty: one token comes back every half second.
        refused(b.take_at(&account(), t0), ms(500));
        refused(b.take_at(&account(), t0 + ms(200)), ms(300));
        b.take_at(&account(), t0 + ms(500)).unwrap();
        refused(b.take_at(&account(), t0 + ms(500)), ms(500));
        // Refilled for a long time: never more than the burst.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..6 {
            b.take_at(&account(), later).unwrap();
        }
        assert!(b.take_at(&account(), later).is_err());
    }

    #[test]
    fn refusals_spend_nothing() {
        let b = MemoryBuckets::default();
        let t0 = Instant::now();
        for _ in 0..6 {
            b.take_at(&account(), t0).unwrap();
        }
        for i in 0..100 {
            assert!(b.take_at(&account(), t0 + ms(i)).is_err());
        }
        // Exactly one token after 500 ms, as if no refused call had been made.
        b.take_at(&account(), t0 + ms(500)).unwrap();
    }

    #[test]
    fn customers_have_their_own_buckets_within_the_account() {
        let b = MemoryBuckets::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            b.take_at(&customer(10), t0).unwrap();
        }
        // Customer 10 is out (a token in 2 s); the account still has 3.
        refused(b.take_at(&customer(10), t0), Duration::from_secs(2));
        b.take_at(&customer(11), t0).unwrap();
        b.take_at(&account(), t0).unwrap();
        b.take_at(&customer(12), t0).unwrap();
        // Now the account is out: a customer with tokens left waits for the account's.
        refused(b.take_at(&customer(11), t0), ms(500));
        // ... and that refusal took nothing from customer 11: two left after the account
        // refills.
        let t1 = t0 + Duration::from_secs(1);
        b.take_at(&customer(11), t1).unwrap();
        b.take_at(&customer(11), t1).unwrap();
        assert!(b.take_at(&customer(11), t1).is_err());
    }

    #[test]
    fn the_wait_is_the_longest_bucket_s() {
        let b = MemoryBuckets::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            b.take_at(&customer(10), t0).unwrap();
        }
        for _ in 0..3 {
            b.take_at(&account(), t0).unwrap();
        }
        // Both empty now: the account refills in 0.5 s, the customer in 2 s.
        refused(b.take_at(&customer(10), t0), Duration::from_secs(2));
        refused(b.take_at(&customer(10), t0 + ms(1500)), ms(500));
        b.take_at(&customer(10), t0 + Duration::from_secs(2))
            .unwrap();
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_secs(Duration::ZERO), 1);
        assert_eq!(retry_secs(ms(1)), 1);
        assert_eq!(retry_secs(ms(1000)), 1);
        assert_eq!(retry_secs(ms(1001)), 2);
        assert_eq!(retry_secs(Duration::from_secs(10)), 10);
    }

    #[test]
    fn a_clock_going_backwards_refills_nothing() {
        let b = MemoryBuckets::default();
        let t0 = Instant::now() + Duration::from_secs(10);
        for _ in 0..6 {
            b.take_at(&account(), t0).unwrap();
        }
        assert!(b.take_at(&account(), t0 - Duration::from_secs(5)).is_err());
        refused(b.take_at(&account(), t0), ms(500));
    }

    #[tokio::test]
    async fn budgets_charge_who_acted() {
        let limits = BudgetLimits {
            account: Rate {
                per_second: 0.001,
                burst: 4,
            },
            customer: Rate {
                per_second: 0.001,
                burst: 2,
            },
        };
        let budget = Budget::new(limits);
        let c = Payer::Customer {
            account: 1,
            customer: 7,
        };
        budget.spend(c).await.unwrap();
        budget.spend(c).await.unwrap();
        match budget.spend(c).await {
            Err(AppError::Throttled { retry_after }) => {
                assert!((1000..=1001).contains(&retry_after), "{retry_after}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        // The reseller has the account's other two; pollers are never charged.
        budget.spend(Payer::Account(1)).await.unwrap();
        budget.spend(Payer::Account(1)).await.unwrap();
        assert!(budget.spend(Payer::Account(1)).await.is_err());
        for _ in 0..100 {
            budget.spend(Payer::Panel).await.unwrap();
        }
        // Another account is untouched.
        budget.spend(Payer::Account(2)).await.unwrap();
        // Rate 0: no limit.
        let off = Budget::new(BudgetLimits::UNLIMITED);
        for _ in 0..1000 {
            off.spend(c).await.unwrap();
        }
        let text = AppError::Throttled { retry_after: 3 }.to_string();
        assert!(
            text.contains("slow down") && text.contains("try again in 3 s"),
            "{text}"
        );
    }

    /// Issue 14.7: two instances (two pools on one PostgreSQL database) draw on the same
    /// buckets: a customer's and the account's budgets hold across both, atomically under
    /// concurrent draws.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_buckets_are_shared_by_instances() {
        if crate::server::testdb::pg_skipped() {
            return;
        }
        let db = crate::server::testdb::TestDb::postgres().await;
        let store = crate::server::store::connect(&db.url).await.unwrap();
        let crate::server::store::Pool::Postgres(pool) = store.pool() else {
            unreachable!("a PostgreSQL URL")
        };
        let other = sqlx::PgPool::connect(&db.url).await.unwrap();
        let limits = BudgetLimits {
            account: Rate {
                per_second: 0.001,
                burst: 10,
            },
            customer: Rate {
                per_second: 0.001,
                burst: 3,
            },
        };
        let a = Budget::with_store(limits, Arc::new(PgBuckets::new(pool.clone())));
        let b = Budget::with_store(limits, Arc::new(PgBuckets::new(other.clone())));
        let c = Payer::Customer {
            account: 1,
            customer: 7,
        };
        // The customer's three: two on A, one on B; the fourth is refused on either.
        a.spend(c).await.unwrap();
        b.spend(c).await.unwrap();
        a.spend(c).await.unwrap();
        assert!(matches!(
            b.spend(c).await,
            Err(AppError::Throttled { retry_after }) if retry_after > 900
        ));
        assert!(a.spend(c).await.is_err());
        // The account had 10 and the customer took 3: of 20 concurrent draws over both
        // instances exactly 7 pass.
        let a = Arc::new(a);
        let b = Arc::new(b);
        let draws = (0..20).map(|i| {
            let budget = if i % 2 == 0 { a.clone() } else { b.clone() };
            async move { budget.spend(Payer::Account(1)).await.is_ok() }
        });
        let passed = futures::future::join_all(draws)
            .await
            .into_iter()
            .filter(|ok| *ok)
            .count();
        assert_eq!(passed, 7);
        // Another account is untouched.
        b.spend(Payer::Account(2)).await.unwrap();
        other.close().await;
        crate::server::store::Store::close(&store).await;
    }
}
