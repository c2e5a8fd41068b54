//! Reference data per account (issue 14.3): plans, regions, images, networks, security
//! groups, startup scripts and SSH keys change rarely and are read by nearly every page
//! (pickers, names beside ids), so their list answers are kept for a short time and shared
//! by all pages, tabs and users of the account (a customer's view is filtered from the
//! account's list afterwards, as it always was).
//!
//! - A read of a cached kind within the time to live is answered from memory: no upstream
//!   call and none of the caller's budget.
//! - Any change the panel makes on the account (a write action, whatever its outcome)
//!   forgets the account's entries, so a page after a change never shows the list from
//!   before it; so does a new credential.
//! - Concurrent misses for the same list make one call: the others wait for it.
//! - A list fetched while a change was made is not kept (the change may not be in it).
//! - The pollers (live status) always call Luna Node and refresh the entry as they go.
//!
//! Changes made outside the panel (Luna Node's own panel, another tool) show after the time
//! to live at most. Per instance: several instances each keep their own (each instance's
//! writes forget its own; another's are seen within the time to live).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::store::UserId;

/// The list actions whose answers are reference data, cached.
pub const CACHED: &[&str] = &[
    "plan/list",
    "region/list",
    "image/list",
    "network/list",
    "securitygroup/list",
    "script/list",
    "sshkey/list",
];

/// Whether `path`'s answers are cached.
pub fn caches(path: &str) -> bool {
    CACHED.contains(&path)
}

type Key = (UserId, &'static str, String);

#[derive(Default)]
struct Slot {
    /// The answer and when it was fetched; the async lock is held while fetching, so
    /// concurrent misses wait for the one call.
    entry: tokio::sync::Mutex<Option<(Instant, Arc<Value>)>>,
}

/// The cache (one per instance).
pub struct RefCache {
    /// The time to live in nanoseconds (changeable at run time: [`RefCache::set_ttl`]).
    ttl: AtomicU64,
    slots: Mutex<HashMap<Key, Arc<Slot>>>,
    /// Per account, bumped by every change: a fetch begun under an older generation is not
    /// kept.
    generations: Mutex<HashMap<UserId, u64>>,
}

impl std::fmt::Debug for RefCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefCache")
            .field("ttl", &self.ttl())
            .finish_non_exhaustive()
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Stands for a request's parameters in the key (`image/list` by region, …).
fn param_key(params: &BTreeMap<String, String>) -> String {
    let mut key = String::new();
    for (k, v) in params {
        key.push_str(k);
        key.push('=');
        key.push_str(v);
        key.push('\n');
    }
    key
}

impl RefCache {
    /// A cache keeping answers for `ttl` (zero: nothing is kept).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl: AtomicU64::new(nanos(ttl)),
            slots: Mutex::default(),
            generations: Mutex::default(),
        }
    }

    pub fn ttl(&self) -> Duration {
        Duration::from_nanos(self.ttl.load(Ordering::Relaxed))
    }

    /// Keeps answers for `ttl` from now on (zero: nothing more is kept, nothing kept is
    /// answered from).
    pub fn set_ttl(&self, ttl: Duration) {
        self.ttl.store(nanos(ttl), Ordering::Relaxed);
    }

    fn generation(&self, account: UserId) -> u64 {
        let generations = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        generations.get(&account).copied().unwrap_or(0)
    }

    fn slot(&self, key: Key) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(key).or_default().clone()
    }

    /// A kept answer for `path` with `params`, if one is younger than the time to live and
    /// no fetch of it is under way (then the caller fetches, and waits for that one).
    pub fn fresh(
        &self,
        account: UserId,
        path: &'static str,
        params: &BTreeMap<String, String>,
    ) -> Option<Arc<Value>> {
        let ttl = self.ttl();
        if ttl.is_zero() || !caches(path) {
            return None;
        }
        let slot = {
            let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots.get(&(account, path, param_key(params))).cloned()?
        };
        let entry = slot.entry.try_lock().ok()?;
        let (at, value) = entry.as_ref()?;
        (at.elapsed() < ttl).then(|| value.clone())
    }

    /// Fetches `path` with `fetch`, one call at a time per list: a caller who waited for
    /// another's fetch (finished after it asked) takes that answer; a kept answer from before
    /// the ask is never taken here (the pollers call this to see the list as it is now). The
    /// answer is kept unless the account changed meanwhile.
    pub async fn fetch<F, Fut, E>(
        &self,
        account: UserId,
        path: &'static str,
        params: &BTreeMap<String, String>,
        fetch: F,
    ) -> Result<Arc<Value>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Value, E>>,
    {
        if self.ttl().is_zero() || !caches(path) {
            return fetch().await.map(Arc::new);
        }
        let asked = Instant::now();
        let slot = self.slot((account, path, param_key(params)));
        let mut entry = slot.entry.lock().await;
        if let Some((at, value)) = entry.as_ref() {
            if *at >= asked {
                return Ok(value.clone());
            }
        }
        let generation = self.generation(account);
        let value = Arc::new(fetch().await?);
        if self.generation(account) == generation {
            *entry = Some((Instant::now(), value.clone()));
        }
        Ok(value)
    }

    /// Forgets everything kept for `account` (it changed, or its credential did). A fetch
    /// under way will not be kept.
    pub fn forget(&self, account: UserId) {
        {
            let mut generations = self.generations.lock().unwrap_or_else(|p| p.into_inner());
            *generations.entry(account).or_insert(0) += 1;
        }
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.retain(|(a, _, _), _| *a != account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn no_params() -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    async fn counted(calls: &AtomicU32, n: i64) -> Result<Value, String> {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok(Value::from(n))
    }

    #[tokio::test]
    async fn kept_for_the_ttl_per_account_and_parameters() {
        let cache = RefCache::new(Duration::from_millis(200));
        let calls = AtomicU32::new(0);
        assert!(cache.fresh(1, "plan/list", &no_params()).is_none());
        let v = cache
            .fetch(1, "plan/list", &no_params(), || counted(&calls, 7))
            .await
            .unwrap();
        assert_eq!(*v, Value::from(7));
        assert_eq!(
            cache.fresh(1, "plan/list", &no_params()).as_deref(),
            Some(&Value::from(7))
        );
        // Another account, other parameters, an action that is not reference data: not kept.
        assert!(cache.fresh(2, "plan/list", &no_params()).is_none());
        let mut by_region = no_params();
        by_region.insert("region".into(), "toronto".into());
        assert!(cache.fresh(1, "plan/list", &by_region).is_none());
        cache
            .fetch(1, "vm/list", &no_params(), || counted(&calls, 1))
            .await
            .unwrap();
        assert!(cache.fresh(1, "vm/list", &no_params()).is_none());
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(
            cache.fresh(1, "plan/list", &no_params()).is_none(),
            "expired"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_change_forgets_and_a_fetch_across_it_is_not_kept() {
        let cache = Arc::new(RefCache::new(Duration::from_secs(60)));
        let calls = AtomicU32::new(0);
        cache
            .fetch(1, "network/list", &no_params(), || counted(&calls, 1))
            .await
            .unwrap();
        cache
            .fetch(2, "network/list", &no_params(), || counted(&calls, 1))
            .await
            .unwrap();
        cache.forget(1);
        assert!(cache.fresh(1, "network/list", &no_params()).is_none());
        assert!(cache.fresh(2, "network/list", &no_params()).is_some());
        // A change while a list is being fetched: that list is used but not kept.
        let c = cache.clone();
        let v = cache
            .fetch(1, "network/list", &no_params(), || async move {
                c.forget(1);
                Ok::<_, String>(Value::from(2))
            })
            .await
            .unwrap();
        assert_eq!(*v, Value::from(2));
        assert!(cache.fresh(1, "network/list", &no_params()).is_none());
    }

    #[tokio::test]
    async fn concurrent_misses_make_one_call() {
        let cache = Arc::new(RefCache::new(Duration::from_secs(60)));
        let calls = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (cache, calls) = (cache.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .fetch(1, "image/list", &BTreeMap::new(), || async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok::<_, String>(Value::from(3))
                    })
                    .await
                    .unwrap()
            }));
        }
        for t in tasks {
            assert_eq!(*t.await.unwrap(), Value::from(3));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn zero_ttl_keeps_nothing() {
        let cache = RefCache::new(Duration::ZERO);
        let calls = AtomicU32::new(0);
        for _ in 0..2 {
            cache
                .fetch(1, "plan/list", &no_params(), || counted(&calls, 1))
                .await
                .unwrap();
        }
        assert!(cache.fresh(1, "plan/list", &no_params()).is_none());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn ttl_set_to_zero_at_run_time_answers_nothing_kept() {
        let cache = RefCache::new(Duration::from_secs(60));
        let calls = AtomicU32::new(0);
        cache
            .fetch(1, "plan/list", &no_params(), || counted(&calls, 1))
            .await
            .unwrap();
        assert!(cache.fresh(1, "plan/list", &no_params()).is_some());
        cache.set_ttl(Duration::ZERO);
        assert_eq!(cache.ttl(), Duration::ZERO);
        assert!(cache.fresh(1, "plan/list", &no_params()).is_none());
        cache
            .fetch(1, "plan/list", &no_params(), || counted(&calls, 1))
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2, "every fetch goes upstream");
    }
}
