//! Several panel instances on one PostgreSQL database (issue 14.6): one poller per
//! credential (and kind) across all of them.
//!
//! A poller key (`vms:<account>`, `kind:<kind>:<account>`) has a lease row in PostgreSQL
//! (`live_leases`): its holder renews it every third of [`LiveTiming::lease`] and is the only
//! instance that polls Luna Node for it; when the holder stops renewing (it died, or nobody
//! watches there any more and it let go), another instance whose pages watch the key takes
//! it within seconds. The holder stores each round's snapshot (`live_snapshots`, JSON:
//! NOTIFY payloads are limited to 8000 bytes, snapshots are not) and announces its version
//! with `NOTIFY lunapanel_live`; the other instances' pollers load it and feed their own
//! pages and streams. A panel's own change on an instance that does not hold the key
//! (kick, refresh, re-read) is passed to the holder the same way, so the poll still happens
//! at once.
//!
//! On SQLite (one instance) the [`Local`] cluster holds every lease, publishes nothing and
//! hears nothing: the pollers behave exactly as they do alone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch, Notify};

use super::live::LiveTiming;

/// The NOTIFY channel every instance listens on.
pub const CHANNEL: &str = "lunapanel_live";

/// What one instance tells the others about a poller key (JSON in a NOTIFY payload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Notice {
    /// The holder of `k` stored snapshot version `v`.
    Published { k: String, v: i64 },
    /// Poll `k` now (a panel's own change): re-read `ids` (VMs), follow closely when
    /// `follow`; `ask` is named among the covered asks of a later snapshot.
    Kick {
        k: String,
        #[serde(default)]
        ids: Vec<String>,
        #[serde(default)]
        follow: bool,
        #[serde(default)]
        ask: Option<String>,
    },
    /// The holder of `k` let it go (nobody watches it there any more).
    Freed { k: String },
}

impl Notice {
    pub fn key(&self) -> &str {
        match self {
            Notice::Published { k, .. } | Notice::Kick { k, .. } | Notice::Freed { k } => k,
        }
    }
}

/// Largest NOTIFY payload PostgreSQL accepts is 8000 bytes; a kick naming more VMs than fit
/// asks for a plain round instead (a round reads a bounded number of VMs anyway).
const NOTICE_MAX: usize = 7900;

/// What [`Cluster::hold`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// This instance holds the key (took or renewed it).
    pub mine: bool,
    /// The newest snapshot version stored for the key, if any.
    pub version: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// How pollers on several instances share the work. See the module documentation.
#[async_trait]
pub trait Cluster: Send + Sync + 'static {
    /// This instance's id (a lease's holder).
    fn instance(&self) -> &str;
    /// Whether other instances may share the work (false: [`Local`]).
    fn shared(&self) -> bool;
    /// Takes or renews the lease on `key` for `ttl` (only when free, expired or already
    /// this instance's).
    async fn hold(&self, key: &str, ttl: Duration) -> Result<Lease, ClusterError>;
    /// Lets `key` go (and tells the others, who may take it at once).
    async fn release(&self, key: &str);
    /// Stores `body` as the newest snapshot of `key` and announces it.
    async fn publish(&self, key: &str, body: &str) -> Result<(), ClusterError>;
    /// The newest stored snapshot of `key`: its version and body.
    async fn latest(&self, key: &str) -> Result<Option<(i64, String)>, ClusterError>;
    /// Tells every instance (this one too).
    async fn notify(&self, notice: &Notice);
    /// What the instances announce (`None`: nothing ever is, [`Local`]).
    fn notices(&self) -> Option<broadcast::Receiver<Notice>>;
    /// The database is closed (the instance is shutting down): pollers stop.
    fn closed(&self) -> bool;
}

/// One instance alone: every lease is its own, nothing is published or heard.
#[derive(Debug, Default)]
pub struct Local;

#[async_trait]
impl Cluster for Local {
    fn instance(&self) -> &str {
        "local"
    }

    fn shared(&self) -> bool {
        false
    }

    async fn hold(&self, _key: &str, _ttl: Duration) -> Result<Lease, ClusterError> {
        Ok(Lease {
            mine: true,
            version: None,
        })
    }

    async fn release(&self, _key: &str) {}

    async fn publish(&self, _key: &str, _body: &str) -> Result<(), ClusterError> {
        Ok(())
    }

    async fn latest(&self, _key: &str) -> Result<Option<(i64, String)>, ClusterError> {
        Ok(None)
    }

    async fn notify(&self, _notice: &Notice) {}

    fn notices(&self) -> Option<broadcast::Receiver<Notice>> {
        None
    }

    fn closed(&self) -> bool {
        false
    }
}

/// Instances sharing one PostgreSQL database: leases and snapshots in tables, notices by
/// `LISTEN`/`NOTIFY` on [`CHANNEL`].
pub struct PgCluster {
    pool: sqlx::PgPool,
    instance: String,
    tx: broadcast::Sender<Notice>,
}

impl std::fmt::Debug for PgCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgCluster")
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

impl PgCluster {
    /// Listens on [`CHANNEL`] (one connection of `pool`, kept until the pool closes) and
    /// returns the cluster. A lost connection is re-established by sqlx; notices sent
    /// meanwhile are missed, which the pollers' lease renewals make up for (each renewal
    /// also reads the newest snapshot version).
    pub async fn start(pool: sqlx::PgPool) -> Result<Arc<Self>, ClusterError> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
        listener.listen(CHANNEL).await?;
        let (tx, _) = broadcast::channel(1024);
        let cluster = Arc::new(Self {
            pool,
            instance: uuid_like(),
            tx: tx.clone(),
        });
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => match serde_json::from_str::<Notice>(n.payload()) {
                        Ok(notice) => {
                            let _ = tx.send(notice);
                        }
                        Err(e) => tracing::warn!(error = %e, "unreadable cluster notice"),
                    },
                    Ok(None) => tracing::warn!("cluster notices: connection lost; reconnected"),
                    Err(sqlx::Error::PoolClosed) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "cluster notices: listening failed");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(cluster)
    }
}

/// 128 random bits in hex: an instance's id.
fn uuid_like() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    super::lunanode::sign::hex(&bytes)
}

#[async_trait]
impl Cluster for PgCluster {
    fn instance(&self) -> &str {
        &self.instance
    }

    fn shared(&self) -> bool {
        true
    }

    async fn hold(&self, key: &str, ttl: Duration) -> Result<Lease, ClusterError> {
        // The database's clock decides expiry, so instances' clocks need not agree.
        let (mine, version): (bool, Option<i64>) = sqlx::query_as(
            "WITH took AS ( \
               INSERT INTO live_leases (key, holder, expires_at) \
               VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3)) \
               ON CONFLICT (key) DO UPDATE SET holder = EXCLUDED.holder, \
                 expires_at = EXCLUDED.expires_at \
               WHERE live_leases.holder = EXCLUDED.holder \
                  OR live_leases.expires_at < clock_timestamp() \
               RETURNING holder) \
             SELECT EXISTS (SELECT 1 FROM took), \
                    (SELECT version FROM live_snapshots WHERE key = $1)",
        )
        .bind(key)
        .bind(&self.instance)
        .bind(ttl.as_secs_f64())
        .fetch_one(&self.pool)
        .await?;
        Ok(Lease { mine, version })
    }

    async fn release(&self, key: &str) {
        let freed = sqlx::query("DELETE FROM live_leases WHERE key = $1 AND holder = $2")
            .bind(key)
            .bind(&self.instance)
            .execute(&self.pool)
            .await;
        match freed {
            Ok(r) if r.rows_affected() > 0 => {
                self.notify(&Notice::Freed { k: key.to_owned() }).await;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, key, "releasing a poller lease failed"),
        }
    }

    async fn publish(&self, key: &str, body: &str) -> Result<(), ClusterError> {
        // Stored and announced in one statement (one transaction): a listener that hears
        // the version finds it stored.
        sqlx::query(
            "WITH up AS ( \
               INSERT INTO live_snapshots (key, version, body, updated_at) \
               VALUES ($1, 1, $2, clock_timestamp()) \
               ON CONFLICT (key) DO UPDATE SET version = live_snapshots.version + 1, \
                 body = EXCLUDED.body, updated_at = EXCLUDED.updated_at \
               RETURNING version) \
             SELECT pg_notify($3, json_build_object('t', 'published', 'k', $1::text, \
               'v', version)::text) FROM up",
        )
        .bind(key)
        .bind(body)
        .bind(CHANNEL)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn latest(&self, key: &str) -> Result<Option<(i64, String)>, ClusterError> {
        Ok(
            sqlx::query_as("SELECT version, body FROM live_snapshots WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn notify(&self, notice: &Notice) {
        let mut notice = notice.clone();
        let mut payload = serde_json::to_string(&notice).unwrap_or_default();
        if payload.len() > NOTICE_MAX {
            if let Notice::Kick { ids, .. } = &mut notice {
                ids.clear();
            }
            payload = serde_json::to_string(&notice).unwrap_or_default();
        }
        if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(&payload)
            .execute(&self.pool)
            .await
        {
            tracing::warn!(error = %e, "cluster notice not sent");
        }
    }

    fn notices(&self) -> Option<broadcast::Receiver<Notice>> {
        Some(self.tx.subscribe())
    }

    fn closed(&self) -> bool {
        self.pool.is_closed()
    }
}

/// The circuit breaker's open circuit in PostgreSQL (`upstream_health`), so that every
/// instance honours an opening any of them saw (issue 14.7). Times by the database's clock.
#[derive(Debug, Clone)]
pub struct PgHealth {
    pool: sqlx::PgPool,
    /// Which upstream (its base URL).
    upstream: String,
}

impl PgHealth {
    pub fn new(pool: sqlx::PgPool, upstream: &str) -> Self {
        Self {
            pool,
            upstream: upstream.to_owned(),
        }
    }
}

#[async_trait]
impl super::lunanode::HealthBoard for PgHealth {
    async fn open_for(&self) -> Option<Duration> {
        let left: Result<Option<f64>, _> = sqlx::query_scalar(
            "SELECT EXTRACT(EPOCH FROM open_until - clock_timestamp())::float8 \
             FROM upstream_health WHERE upstream = $1 AND open_until > clock_timestamp()",
        )
        .bind(&self.upstream)
        .fetch_optional(&self.pool)
        .await;
        match left {
            Ok(left) => left.filter(|s| *s > 0.0).map(Duration::from_secs_f64),
            Err(e) => {
                tracing::warn!(error = %e, "shared circuit state not read");
                None
            }
        }
    }

    async fn set_open(&self, wait: Duration) {
        if let Err(e) = sqlx::query(
            "INSERT INTO upstream_health (upstream, open_until) \
             VALUES ($1, clock_timestamp() + make_interval(secs => $2)) \
             ON CONFLICT (upstream) DO UPDATE SET \
               open_until = GREATEST(upstream_health.open_until, EXCLUDED.open_until)",
        )
        .bind(&self.upstream)
        .bind(wait.as_secs_f64())
        .execute(&self.pool)
        .await
        {
            tracing::warn!(error = %e, "shared circuit state not written");
        }
    }

    async fn set_closed(&self) {
        if let Err(e) = sqlx::query("DELETE FROM upstream_health WHERE upstream = $1")
            .bind(&self.upstream)
            .execute(&self.pool)
            .await
        {
            tracing::warn!(error = %e, "shared circuit state not written");
        }
    }
}

/// What wakes a poller besides its timer, and which role it has now.
#[derive(Debug, Default)]
pub struct Wakes {
    /// A change this instance's user made (or, on the holder, another instance's user).
    pub kick: Notify,
    /// Another instance published, or let the key go (a follower looks again).
    pub news: Notify,
    /// This instance holds the key now.
    pub leading: AtomicBool,
}

impl Wakes {
    pub fn leading(&self) -> bool {
        self.leading.load(Ordering::SeqCst)
    }
}

/// One poller as [`drive`] runs it.
#[async_trait]
pub(super) trait Polled: Send + Sync + 'static {
    fn wakes(&self) -> &Wakes;
    /// Whether the poller is done (stopped, or idle past its linger: then it also leaves
    /// its hub). Checked before every step.
    fn finished(&self, timing: &LiveTiming) -> bool;
    /// One round against Luna Node (the holder only); whether anything is in transition.
    async fn round(&self) -> bool;
    /// The snapshot to publish after a round.
    fn published(&self) -> String;
    /// A snapshot another instance published.
    fn adopt(&self, body: &str);
    /// This instance's own asks not yet passed to the holder (a follower only).
    fn pending(&self, instance: &str) -> Option<Notice>;
}

/// Between lease renewals: a third of the lease, so two renewals may fail before it lapses.
fn renew_every(timing: &LiveTiming) -> Duration {
    (timing.lease / 3).max(Duration::from_millis(100))
}

/// Runs one poller for `key` until it is finished: while this instance holds the lease it
/// polls (fast while busy, slow when settled, at once when kicked) and publishes each round;
/// otherwise it follows the holder's snapshots, passes its own kicks on, and takes the
/// lease when it lapses. With [`Local`] this is just the polling loop.
pub(super) async fn drive<P: Polled>(
    cluster: Arc<dyn Cluster>,
    key: String,
    seat: P,
    mut retimed: watch::Receiver<LiveTiming>,
) {
    use tokio::time::Instant;
    let shared = cluster.shared();
    let mut leading = false;
    // When the last round ended, and whether it found something in transition.
    let mut last: Option<(Instant, bool)> = None;
    let mut kicked = false;
    let mut loaded = 0i64;
    loop {
        let timing = retimed.borrow_and_update().clone();
        if seat.finished(&timing) {
            if leading && shared {
                cluster.release(&key).await;
            }
            return;
        }
        let lease = match cluster.hold(&key, timing.lease).await {
            Ok(lease) => lease,
            Err(_) if cluster.closed() => return,
            Err(e) => {
                tracing::warn!(error = %e, key, "poller lease: the database did not answer");
                Lease {
                    mine: false,
                    version: None,
                }
            }
        };
        seat.wakes().leading.store(lease.mine, Ordering::SeqCst);
        let wakes = seat.wakes();
        if lease.mine {
            if !leading {
                // Just took the key over (or started): poll at once.
                leading = true;
                kicked = true;
            }
            let due = match last {
                Some((at, busy)) if !kicked => at + if busy { timing.fast } else { timing.slow },
                _ => Instant::now(),
            };
            if Instant::now() >= due {
                kicked = false;
                let busy = seat.round().await;
                last = Some((Instant::now(), busy));
                if shared {
                    if let Err(e) = cluster.publish(&key, &seat.published()).await {
                        tracing::warn!(error = %e, key, "publishing a live snapshot failed");
                    }
                }
                continue;
            }
            let wake = if shared {
                due.min(Instant::now() + renew_every(&timing))
            } else {
                due
            };
            tokio::select! {
                () = tokio::time::sleep_until(wake) => {}
                () = wakes.kick.notified() => kicked = true,
                changed = retimed.changed() => if changed.is_err() {
                    tokio::time::sleep_until(wake).await;
                }
            }
        } else {
            leading = false;
            if lease.version.is_some_and(|v| v > loaded) {
                match cluster.latest(&key).await {
                    Ok(Some((version, body))) => {
                        loaded = version;
                        seat.adopt(&body);
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, key, "reading a live snapshot failed"),
                }
            }
            if let Some(notice) = seat.pending(cluster.instance()) {
                cluster.notify(&notice).await;
            }
            let renew = renew_every(&timing);
            tokio::select! {
                () = tokio::time::sleep(renew) => {}
                () = wakes.kick.notified() => {}
                () = wakes.news.notified() => {}
                changed = retimed.changed() => if changed.is_err() {
                    tokio::time::sleep(renew).await;
                }
            }
        }
    }
}

/// Covered asks a holder keeps naming in its snapshots (a follower that loads a later
/// snapshot than the one that answered its ask still finds it).
pub(super) const RECENT_ASKS: usize = 32;

/// A published snapshot: the poller's own snapshot plus the asks of other instances its
/// rounds have answered lately.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Published<T> {
    pub snapshot: T,
    #[serde(default)]
    pub covered: Vec<String>,
}

/// The highest ask number of `instance` among `covered` (`<instance>:<n>` entries).
pub(super) fn covered_for(instance: &str, covered: &[String]) -> Option<u64> {
    covered
        .iter()
        .filter_map(|c| c.strip_prefix(instance)?.strip_prefix(':')?.parse().ok())
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_round_trip_as_small_json() {
        let n = Notice::Kick {
            k: "vms:7".into(),
            ids: vec!["a".into()],
            follow: true,
            ask: Some("i:3".into()),
        };
        let text = serde_json::to_string(&n).unwrap();
        assert!(text.contains(r#""t":"kick""#), "{text}");
        assert_eq!(serde_json::from_str::<Notice>(&text).unwrap(), n);
        // What the database builds for a publish (json_build_object) reads back.
        let published: Notice =
            serde_json::from_str(r#"{"t" : "published", "k" : "vms:7", "v" : 12}"#).unwrap();
        assert_eq!(
            published,
            Notice::Published {
                k: "vms:7".into(),
                v: 12
            }
        );
    }

    #[test]
    fn covered_asks_are_picked_per_instance() {
        let covered = vec!["a:3".to_owned(), "b:9".to_owned(), "a:5".to_owned()];
        assert_eq!(covered_for("a", &covered), Some(5));
        assert_eq!(covered_for("b", &covered), Some(9));
        assert_eq!(covered_for("c", &covered), None);
        assert_eq!(covered_for("", &covered), None, "no prefix, no match");
    }
}
