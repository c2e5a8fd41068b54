//! Password hashing: argon2id m=19456 KiB, t=2, p=1 (OWASP's second setting, SEC-2.1), run on
//! the blocking pool behind a semaphore so logins cannot starve the async executor (SEC-2.3).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{
    PasswordHash as Phc, PasswordHasher as _, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::store::PasswordHash;

/// The parameters every stored hash should have; others are re-hashed at the next sign-in.
pub const M_COST_KIB: u32 = 19_456;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("password hashing queue closed")]
    Closed,
    /// The queue is full, or no permit came within [`QUEUE_WAIT`].
    #[error("password hashing queue is full")]
    Busy,
}

/// The outcome of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub ok: bool,
    /// The stored hash uses other parameters than today's and should be replaced.
    pub needs_rehash: bool,
}

#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// How many may run at once (the permits' number).
    parallel: usize,
    /// Requests waiting for a permit now; at [`Hasher::queue_cap`] the next is refused.
    waiting: Arc<AtomicUsize>,
    queue_cap: usize,
    /// How many hashes and verifications were started (tests check when work is done).
    runs: Arc<AtomicU64>,
    /// Verified against when the e-mail is unknown, so that case costs the same as a wrong
    /// password (SEC-2.4).
    dummy: Arc<str>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("available", &self.permits.available_permits())
            .field("waiting", &self.waiting.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// How long a request may wait for a hashing permit before it is answered "busy".
pub const QUEUE_WAIT: Duration = Duration::from_secs(10);
/// What a refused request is told to wait (seconds): about one round of the queue.
pub const BUSY_RETRY_AFTER: u64 = 2;

/// One place in the hashing queue; leaving it (got a permit, gave up, or the request was
/// dropped) frees it.
struct Waiting(Arc<AtomicUsize>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &[u8]) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password, &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `phc` was made with the current algorithm and parameters.
pub fn is_current(phc: &Phc<'_>) -> bool {
    let Ok(params) = Params::try_from(phc) else {
        return false;
    };
    phc.algorithm == Algorithm::Argon2id.ident()
        && phc.version == Some(Version::V0x13.into())
        && params.m_cost() == M_COST_KIB
        && params.t_cost() == T_COST
        && params.p_cost() == P_COST
}

fn verify_blocking(password: &[u8], stored: &str) -> Verified {
    let Ok(phc) = Phc::new(stored) else {
        return Verified {
            ok: false,
            needs_rehash: false,
        };
    };
    // Verification uses the parameters recorded in the hash itself.
    let ok = Argon2::default().verify_password(password, &phc).is_ok();
    Verified {
        ok,
        needs_rehash: ok && !is_current(&phc),
    }
}

impl Hasher {
    /// `parallel` is how many hashes may run at once (one per core is right); up to
    /// `queue_cap` more requests may wait for one.
    pub fn new(parallel: usize) -> Result<Self, PasswordError> {
        Self::with_queue(parallel, parallel.max(1) * 16)
    }

    pub fn with_queue(parallel: usize, queue_cap: usize) -> Result<Self, PasswordError> {
        let dummy = hash_blocking(b"lunapanel dummy password for unknown accounts")?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(parallel.max(1))),
            parallel: parallel.max(1),
            waiting: Arc::default(),
            queue_cap,
            runs: Arc::default(),
            dummy: dummy.into(),
        })
    }

    /// How many hashes and verifications this hasher has started.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }

    /// Requests waiting for a hashing permit now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Hashes and verifications running now (holding a permit).
    pub fn running(&self) -> usize {
        self.parallel
            .saturating_sub(self.permits.available_permits())
    }

    /// A permit, after a bounded wait in a bounded queue (SEC-2.3). The permit is moved into
    /// the blocking task, so a request that goes away mid-hash does not free its place
    /// before the hash is done: at most `parallel` hashes ever run.
    async fn permit(&self) -> Result<OwnedSemaphorePermit, PasswordError> {
        if let Ok(p) = self.permits.clone().try_acquire_owned() {
            return Ok(p);
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue_cap {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(PasswordError::Busy);
        }
        let _place = Waiting(self.waiting.clone());
        match tokio::time::timeout(QUEUE_WAIT, self.permits.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(p),
            Ok(Err(_)) => Err(PasswordError::Closed),
            Err(_) => Err(PasswordError::Busy),
        }
    }

    pub async fn hash(&self, password: &str) -> Result<PasswordHash, PasswordError> {
        self.runs.fetch_add(1, Ordering::Relaxed);
        let permit = self.permit().await?;
        let password = password.as_bytes().to_vec();
        let phc = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            hash_blocking(&password)
        })
        .await??;
        Ok(PasswordHash(phc))
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is no account,
    /// so both cases take the same time; the latter is never `ok`.
    pub async fn verify(
        &self,
        password: &str,
        stored: Option<&PasswordHash>,
    ) -> Result<Verified, PasswordError> {
        self.runs.fetch_add(1, Ordering::Relaxed);
        let permit = self.permit().await?;
        let password = password.as_bytes().to_vec();
        let known = stored.is_some();
        let hash: String = stored.map_or_else(|| self.dummy.to_string(), |h| h.0.clone());
        let verified = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            verify_blocking(&password, &hash)
        })
        .await?;
        Ok(if known {
            verified
        } else {
            Verified {
                ok: false,
                needs_rehash: false,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_the_required_parameters() {
        let hasher = Hasher::new(2).unwrap();
        let a = hasher.hash("correct horse battery").await.unwrap();
        let b = hasher.hash("correct horse battery").await.unwrap();
        assert!(
            a.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "unexpected PHC string prefix"
        );
        assert_ne!(a, b, "each hash has its own salt");
        let ok = hasher
            .verify("correct horse battery", Some(&a))
            .await
            .unwrap();
        assert_eq!(
            ok,
            Verified {
                ok: true,
                needs_rehash: false
            }
        );
        let bad = hasher
            .verify("wrong horse battery", Some(&a))
            .await
            .unwrap();
        assert!(!bad.ok);
    }

    #[tokio::test]
    async fn weak_hashes_are_flagged_for_rehash_only_with_the_right_password() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).unwrap(),
        )
        .hash_password(b"correct horse battery", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        let weak = PasswordHash(weak);
        let hasher = Hasher::new(1).unwrap();
        let right = hasher
            .verify("correct horse battery", Some(&weak))
            .await
            .unwrap();
        assert_eq!(
            right,
            Verified {
                ok: true,
                needs_rehash: true
            }
        );
        let wrong = hasher.verify("wrong", Some(&weak)).await.unwrap();
        assert_eq!(
            wrong,
            Verified {
                ok: false,
                needs_rehash: false
            }
        );
    }

    #[tokio::test]
    async fn unknown_accounts_never_verify() {
        let hasher = Hasher::new(1).unwrap();
        let v = hasher
            .verify("lunapanel dummy password for unknown accounts", None)
            .await
            .unwrap();
        assert!(!v.ok);
        let garbage = PasswordHash("not a phc string".into());
        assert!(!hasher.verify("x", Some(&garbage)).await.unwrap().ok);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_is_refused_at_once_and_frees_its_places() {
        // One hash at a time, two may wait: of 8 at once, 3 are hashed and 5 refused (more
        // are hashed only if a hash ends before all 8 have asked: a slow machine).
        let hasher = Hasher::with_queue(1, 2).unwrap();
        let stored = hasher.hash("correct horse battery").await.unwrap();
        let tries = (0..8).map(|_| {
            let (h, s) = (hasher.clone(), stored.clone());
            tokio::spawn(async move { h.verify("correct horse battery", Some(&s)).await })
        });
        let results = futures::future::join_all(tries).await;
        let busy = results
            .iter()
            .filter(|r| matches!(r.as_ref().unwrap(), Err(PasswordError::Busy)))
            .count();
        let ok = results
            .iter()
            .filter(|r| matches!(r.as_ref().unwrap(), Ok(v) if v.ok))
            .count();
        assert_eq!(ok + busy, 8);
        assert!(ok >= 3 && busy >= 1, "{ok} hashed, {busy} refused");
        assert_eq!(hasher.waiting(), 0, "every place was given back");
        assert!(
            hasher
                .verify("correct horse battery", Some(&stored))
                .await
                .unwrap()
                .ok
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn running_and_waiting_are_counted() {
        let hasher = Hasher::with_queue(1, 8).unwrap();
        let stored = hasher.hash("correct horse battery").await.unwrap();
        assert_eq!((hasher.running(), hasher.waiting()), (0, 0));
        let tries: Vec<_> = (0..3)
            .map(|_| {
                let (h, s) = (hasher.clone(), stored.clone());
                tokio::spawn(async move { h.verify("correct horse battery", Some(&s)).await })
            })
            .collect();
        // One runs while the other two wait (each check takes tens of milliseconds).
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while (hasher.running(), hasher.waiting()) != (1, 2) {
            assert!(
                std::time::Instant::now() < deadline,
                "never saw 1 running and 2 waiting"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        for t in tries {
            assert!(t.await.unwrap().unwrap().ok);
        }
        assert_eq!((hasher.running(), hasher.waiting()), (0, 0));
    }

    #[test]
    fn debug_never_prints_the_hash() {
        let h = PasswordHash("$argon2id$secret".into());
        assert!(!format!("{h:?}").contains("secret"));
    }
}
