//! The one path from a server function to Luna Node: load the account's sealed credential,
//! open it just for this call, make the typed call, and turn what went wrong into an
//! [`AppError`] a user can act on. Authorization happens before this ([`super::authz`]);
//! auditing of mutations wraps it there.
//!
//! The plaintext key lives in a `SecretString` inside a [`Credential`] that is dropped (and
//! zeroed) when the call returns; it is never cached across calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use secrecy::SecretString;
use sha2::{Digest, Sha256};

use super::budget::{Budget, Payer};
use super::lunanode::actions::ImageRetrieve;
use super::lunanode::{Action, Credential, ImageBytes, LunaNode, UpstreamError};
use super::refcache::{self, RefCache};
use super::store::{now_unix, Store, StoredCredential, UserId};
use super::vault::{credential_owner, Keyring, Purpose};
use crate::error::{AppError, UpstreamProblem};
use crate::types::UpstreamHealth;

/// The acting account's credential as the request's session check read it (issue 14.4):
/// still sealed (it is opened only for a call, like one read then), carried on the request
/// (an extension set by the session middleware) so a call needs no query of its own.
///
/// Used only while [`Store::credential_generation`] is what it was when read (no credential
/// was written on this instance since); else, and when it does not open (another instance
/// resealed it under a key this one no longer has), the row is read again. A change made
/// on another instance is seen by the next request, as it was by the next call.
#[derive(Clone, PartialEq, Eq)]
pub struct CarriedCredential {
    /// Whose credential (the account the user acts on).
    pub account: UserId,
    /// `None`: the account has none.
    pub row: Option<StoredCredential>,
    /// For a customer signed in themselves: whether their reseller (the account) is still
    /// an enabled reseller (else `None`: not known here).
    pub reseller_active: Option<bool>,
    /// [`Store::credential_generation`] before the row was read.
    pub generation: u64,
}

impl std::fmt::Debug for CarriedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarriedCredential")
            .field("account", &self.account)
            .field("row", &self.row)
            .field("reseller_active", &self.reseller_active)
            .field("generation", &self.generation)
            .finish()
    }
}

/// Why a stored credential did not become a [`Credential`].
enum Unsealed {
    /// It does not open with the keys loaded.
    Vault(super::vault::VaultError),
    /// It opened but is no credential.
    Other(AppError),
}

/// Shared by all requests and the live-status poller.
pub struct Upstream {
    pub client: Arc<LunaNode>,
    pub keyring: Arc<Keyring>,
    /// What users' requests may spend on calls (the pollers' are not charged).
    pub budget: Budget,
    store: Arc<dyn Store>,
    health: Mutex<HashMap<UserId, UpstreamHealth>>,
    /// When each account's `last_used_at` was last written (at most once a minute).
    touched: Mutex<HashMap<UserId, i64>>,
    /// Reference data (plans, regions, images, …) per account, for a short time.
    refs: RefCache,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("client", &self.client)
            .field("keyring", &self.keyring)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

/// Last four characters of a key, shown instead of the key.
pub fn last4(key: &str) -> String {
    key.chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

/// A short fingerprint of a key (first 8 bytes of its SHA-256, hex, in pairs), so two keys
/// can be told apart without showing either.
pub fn fingerprint(key: &str) -> String {
    Sha256::digest(key.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A credential ready to store: `api_key` sealed for `account`, with its last four
/// characters and fingerprint. The one place a key is turned into a stored row.
pub fn sealed_credential(
    keyring: &Keyring,
    account: UserId,
    api_id: &str,
    api_key: &str,
    test_message: String,
) -> super::store::NewCredential {
    super::store::NewCredential {
        user_id: account,
        api_id: api_id.to_owned(),
        sealed: keyring.seal(
            Purpose::UpstreamCredential,
            &credential_owner(account),
            api_key.as_bytes(),
        ),
        key_last4: last4(api_key),
        key_fingerprint: fingerprint(api_key),
        tested_ok: true,
        test_message,
    }
}

/// The user-facing error for an upstream failure. `what` names the thing the request was
/// about (`The virtual machine`), for "not found".
/// How long reference data is kept unless configured (`reference_ttl_seconds`).
pub const DEFAULT_REFERENCE_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// `A`'s answer from a kept (or just fetched) JSON body.
fn decode<A: Action>(value: &serde_json::Value, what: &str) -> Result<A::Response, AppError> {
    <A::Response as serde::Deserialize>::deserialize(value)
        .map_err(|e| upstream_error(UpstreamError::Malformed(format!("{}: {e}", A::PATH)), what))
}

pub fn upstream_error(e: UpstreamError, what: &str) -> AppError {
    let (problem, message) = match e {
        UpstreamError::NotFound(_) => return AppError::NotFound(what.to_owned()),
        UpstreamError::Credential(_) | UpstreamError::Auth => (
            UpstreamProblem::KeyRefused,
            "Luna Node refused this account's API key. Check the API ID and key on the API key \
             page: the key may have been deleted, or restricted to other IP addresses."
                .to_owned(),
        ),
        UpstreamError::Rejected(text) => (
            UpstreamProblem::Rejected,
            format!("Luna Node refused the request: {text}"),
        ),
        UpstreamError::Timeout => (
            UpstreamProblem::Timeout,
            "Luna Node did not answer in time. If you asked for a change, check whether it \
             happened before trying again."
                .to_owned(),
        ),
        UpstreamError::OutcomeUnknown => (
            UpstreamProblem::OutcomeUnknown,
            "The connection to Luna Node broke before it answered, so Luna Node may or may not \
             have done this. Check the list before trying again."
                .to_owned(),
        ),
        UpstreamError::Unavailable(_) => (
            UpstreamProblem::Unavailable,
            "Luna Node's API cannot be reached right now. Your panel data is safe; try again \
             in a minute."
                .to_owned(),
        ),
        UpstreamError::Malformed(detail) => {
            tracing::warn!(detail = %detail, "malformed upstream answer");
            (
                UpstreamProblem::Unavailable,
                "Luna Node sent an answer the panel could not read. Try again; if it keeps \
                 happening, Luna Node may have changed its API."
                    .to_owned(),
            )
        }
    };
    AppError::Upstream { problem, message }
}

impl Upstream {
    pub fn new(
        client: Arc<LunaNode>,
        keyring: Arc<Keyring>,
        store: Arc<dyn Store>,
        budget: Budget,
    ) -> Self {
        Self {
            client,
            keyring,
            budget,
            store,
            health: Mutex::default(),
            touched: Mutex::default(),
            refs: RefCache::new(DEFAULT_REFERENCE_TTL),
        }
    }

    /// Keeps reference data for `ttl` (zero: never).
    pub fn with_reference_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.refs = RefCache::new(ttl);
        self
    }

    /// How long reference data is kept now.
    pub fn reference_ttl(&self) -> std::time::Duration {
        self.refs.ttl()
    }

    /// Keeps reference data for `ttl` from now on (zero: never; what is kept is not
    /// answered from). For benchmarks that must measure real calls.
    pub fn set_reference_ttl(&self, ttl: std::time::Duration) {
        self.refs.set_ttl(ttl);
    }

    /// A kept answer of a reference list ([`super::refcache`]) for `req`, if one is fresh:
    /// answering from it calls nothing and spends no budget.
    pub fn cached<A: Action>(
        &self,
        account: UserId,
        req: &A,
        what: &str,
    ) -> Option<Result<A::Response, AppError>> {
        if !A::READ || !refcache::caches(A::PATH) {
            return None;
        }
        let params = super::lunanode::params(req).ok()?;
        let value = self.refs.fresh(account, A::PATH, &params)?;
        Some(decode::<A>(&value, what))
    }

    /// The account's credential, opened for one call.
    pub async fn credential(&self, account: UserId) -> Result<Credential, AppError> {
        self.credential_carried(account, None).await
    }

    /// [`Upstream::credential`] from the row the request carries ([`CarriedCredential`])
    /// when it is the account's and still current; else (and when it does not open) read
    /// from the store.
    pub async fn credential_carried(
        &self,
        account: UserId,
        carried: Option<&CarriedCredential>,
    ) -> Result<Credential, AppError> {
        let current = carried
            .filter(|c| c.account == account && c.generation == self.store.credential_generation());
        if let Some(c) = current {
            let stored = c.row.as_ref().ok_or(AppError::NoCredential)?;
            match self.open(account, stored) {
                Ok(cred) => return Ok(cred),
                Err(Unsealed::Other(e)) => return Err(e),
                // Sealed under a key this instance does not hold (any more): another
                // instance rotated; the row read again is sealed under the new one.
                Err(Unsealed::Vault(_)) => {
                    tracing::debug!(
                        account,
                        "carried credential does not open; reading it again"
                    );
                }
            }
        }
        let stored = self
            .store
            .credential(account)
            .await?
            .ok_or(AppError::NoCredential)?;
        self.open(account, &stored).map_err(|e| match e {
            Unsealed::Vault(e) => {
                tracing::error!(account, error = %e, "security: a stored credential does not open");
                super::context::internal("stored credential does not open")
            }
            Unsealed::Other(e) => e,
        })
    }

    /// Opens a sealed credential row (the plaintext lives only in the returned
    /// [`Credential`]).
    fn open(&self, account: UserId, stored: &StoredCredential) -> Result<Credential, Unsealed> {
        let plain = self
            .keyring
            .open(
                Purpose::UpstreamCredential,
                &credential_owner(account),
                &stored.sealed,
            )
            .map_err(Unsealed::Vault)?;
        let key = std::str::from_utf8(&plain).map_err(|_| {
            Unsealed::Other(super::context::internal("stored credential is not text"))
        })?;
        Credential::new(&stored.api_id, SecretString::from(key.to_owned())).map_err(|e| {
            Unsealed::Other(upstream_error(
                UpstreamError::Credential(e),
                "The credential",
            ))
        })
    }

    /// Spends one call of `payer`'s budget, or refuses ([`AppError::Throttled`]) with no
    /// call made. For a request that calls Luna Node other than through
    /// [`Upstream::call_as`] or a grant (which spend it themselves).
    pub async fn spend(&self, payer: Payer) -> Result<(), AppError> {
        self.budget.spend(payer).await
    }

    /// [`Upstream::call`] for `payer`, who spends one call of their budget first: refused
    /// with no call made when it is spent.
    pub async fn call_as<A: Action>(
        &self,
        payer: Payer,
        account: UserId,
        req: &A,
        what: &str,
    ) -> Result<A::Response, AppError> {
        if payer != Payer::Panel {
            if let Some(hit) = self.cached(account, req, what) {
                return hit;
            }
        }
        let spent = self.spend(payer).await;
        super::metrics::note_budget(A::PATH, &spent);
        spent?;
        self.call(account, req, what).await
    }

    /// Calls `A` with the account's credential. `what` names the target for "not found".
    /// Spends no budget: a user's request spends it first ([`Upstream::call_as`], the
    /// grants); the panel's pollers are not charged.
    pub async fn call<A: Action>(
        &self,
        account: UserId,
        req: &A,
        what: &str,
    ) -> Result<A::Response, AppError> {
        self.call_carried(account, None, req, what).await
    }

    /// [`Upstream::call`] with the credential row the request carries, if any
    /// ([`Upstream::credential_carried`]).
    pub async fn call_carried<A: Action>(
        &self,
        account: UserId,
        carried: Option<&CarriedCredential>,
        req: &A,
        what: &str,
    ) -> Result<A::Response, AppError> {
        let cred = self.credential_carried(account, carried).await?;
        if A::READ && refcache::caches(A::PATH) {
            let params = super::lunanode::params(req).map_err(|e| upstream_error(e, what))?;
            let value = self
                .refs
                .fetch(account, A::PATH, &params, || async {
                    let result = self.client.call_value(&cred, A::PATH, &params, true).await;
                    self.note(account, result.as_ref().err());
                    result
                })
                .await
                .map_err(|e| upstream_error(e, what))?;
            return decode::<A>(&value, what);
        }
        let result = self.client.call(&cred, req).await;
        drop(cred);
        if !A::READ {
            // Whatever the outcome (Luna Node may have made the change): no list from
            // before it is shown again.
            self.refs.forget(account);
        }
        self.note(account, result.as_ref().err());
        result.map_err(|e| upstream_error(e, what))
    }

    /// Downloads image `image_id` of `account` (`image/retrieve`) as a stream of byte chunks,
    /// for a route to pass on to the browser as they arrive (never whole in memory; see
    /// [`LunaNode::image_retrieve`]). Authorization and the budget are the caller's, as for
    /// [`Upstream::call`].
    ///
    /// An error before the first byte (no such image, not active yet, key refused, Luna Node
    /// unreachable) is the usual [`AppError`] (`invalid image` → "The image" not found). An
    /// error mid-way ends the stream with an `Err` item (an [`UpstreamError`]): the response
    /// has started by then, so a proxy can only cut the download short (the browser then
    /// reports it incomplete). With axum:
    /// `Body::from_stream(upstream.retrieve_image(account, &id).await?)`.
    pub async fn retrieve_image(
        &self,
        account: UserId,
        image_id: &str,
    ) -> Result<ImageBytes, AppError> {
        let cred = self.credential(account).await?;
        let req = ImageRetrieve {
            image_id: image_id.to_owned(),
        };
        let result = self.client.image_retrieve(&cred, &req).await;
        drop(cred);
        self.note(account, result.as_ref().err());
        result.map_err(|e| upstream_error(e, "The image"))
    }

    /// Calls `A` with a credential that is not stored (testing a key before saving it).
    pub async fn call_with<A: Action>(
        &self,
        cred: &Credential,
        req: &A,
    ) -> Result<A::Response, UpstreamError> {
        self.client.call(cred, req).await
    }

    /// Records the outcome for the banner and `last_used_at`.
    fn note(&self, account: UserId, error: Option<&UpstreamError>) {
        let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        match error.map(|e| upstream_error(e.clone(), "")) {
            // A refusal or an unknown outcome is about one request (its caller is told),
            // not a state of the service for the banner.
            Some(AppError::Upstream { problem, message })
                if !matches!(
                    problem,
                    UpstreamProblem::Rejected | UpstreamProblem::OutcomeUnknown
                ) =>
            {
                let since = health
                    .get(&account)
                    .filter(|h| h.problem == problem)
                    .map_or_else(now_unix, |h| h.since);
                health.insert(
                    account,
                    UpstreamHealth {
                        problem,
                        message,
                        since,
                    },
                );
            }
            Some(_) => {}
            None => {
                health.remove(&account);
                drop(health);
                self.touch(account);
            }
        }
    }

    fn touch(&self, account: UserId) {
        let now = now_unix();
        {
            let mut touched = self.touched.lock().unwrap_or_else(|p| p.into_inner());
            if touched.get(&account).is_some_and(|t| now - t < 60) {
                return;
            }
            touched.insert(account, now);
        }
        let store = self.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.touch_credential(account, now).await {
                tracing::warn!(error = %e, "could not record credential use");
            }
        });
    }

    /// The current trouble for `account`, if any (shown as a banner).
    pub fn health(&self, account: UserId) -> Option<UpstreamHealth> {
        self.health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&account)
            .cloned()
    }

    /// Forgets cached state for `account` (its credential changed).
    pub fn forget(&self, account: UserId) {
        self.refs.forget(account);
        self.health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&account);
        self.touched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_identification_reveals_little() {
        let key = format!("CANARYKEY{}", "Z".repeat(119));
        assert_eq!(last4(&key), "ZZZZ");
        let fp = fingerprint(&key);
        assert_eq!(fp.len(), 8 * 3 - 1);
        assert_ne!(fp, fingerprint(&format!("{key}x")));
        assert!(!fp.contains("CANARY"));
    }

    #[test]
    fn upstream_errors_become_actionable_text() {
        let auth = upstream_error(UpstreamError::Auth, "x");
        assert!(auth.to_string().contains("API key page"), "{auth}");
        assert_eq!(auth.status_code(), 502);
        let gone = upstream_error(UpstreamError::NotFound("invalid vm".into()), "The VM");
        assert_eq!(gone, AppError::NotFound("The VM".into()));
        let rejected = upstream_error(UpstreamError::Rejected("quota exceeded".into()), "x");
        assert_eq!(
            rejected.to_string(),
            "Luna Node refused the request: quota exceeded"
        );
        assert_eq!(
            upstream_error(UpstreamError::Timeout, "x").status_code(),
            504
        );
        assert_eq!(
            upstream_error(UpstreamError::Unavailable("refused".into()), "x").status_code(),
            503
        );
        let unknown = upstream_error(UpstreamError::OutcomeUnknown, "x");
        assert!(
            unknown.to_string().contains("may or may not")
                && unknown
                    .to_string()
                    .contains("Check the list before trying again"),
            "{unknown}"
        );
    }

    /// The row the request carries is opened when it is the account's and no credential was
    /// written since; otherwise (and when it does not open) the stored row is read.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_carried_row_is_used_only_while_current() {
        use crate::server::store::{NewUser, PasswordHash, SignUpGate};
        use crate::server::vault::MasterKeys;
        let db = crate::server::testdb::TestDb::sqlite();
        let sql = crate::server::store::connect(&db.url).await.unwrap();
        let store: Arc<dyn Store> = Arc::new(sql.clone());
        let keyring = Arc::new(Keyring::fixed(MasterKeys::generate()));
        let client = Arc::new(
            LunaNode::new(
                "http://127.0.0.1:9",
                super::super::lunanode::ClientOptions::default(),
            )
            .unwrap(),
        );
        let upstream = Upstream::new(
            client,
            keyring.clone(),
            store.clone(),
            Budget::new(super::super::budget::BudgetLimits::UNLIMITED),
        );
        let user = store
            .create_user(
                NewUser {
                    email: "a@example.com".into(),
                    display_name: "A".into(),
                    password_hash: PasswordHash("x".into()),
                },
                SignUpGate::Open,
            )
            .await
            .unwrap()
            .id;
        let save = |id: &str, key: char| {
            sealed_credential(
                &keyring,
                user,
                id,
                &key.to_string().repeat(128),
                "ok".into(),
            )
        };
        store
            .put_credential(save("aaaaaaaaaaaaaaaa", 'A'))
            .await
            .unwrap();
        let carried = |row: Option<StoredCredential>| CarriedCredential {
            account: user,
            row,
            reseller_active: None,
            generation: store.credential_generation(),
        };
        let stored = store.credential(user).await.unwrap().unwrap();
        // Current: the carried row is what is opened (no query: its api id is its own).
        let mut marked = stored.clone();
        marked.api_id = "cccccccccccccccc".into();
        let current = carried(Some(marked.clone()));
        let got = upstream
            .credential_carried(user, Some(&current))
            .await
            .unwrap();
        assert_eq!(got.api_id(), "cccccccccccccccc");
        // Another account's row is not used.
        let got = upstream
            .credential_carried(user + 1, Some(&current))
            .await
            .unwrap_err();
        assert_eq!(got, AppError::NoCredential);
        // Written since: the stored row is read.
        store
            .put_credential(save("bbbbbbbbbbbbbbbb", 'B'))
            .await
            .unwrap();
        let got = upstream
            .credential_carried(user, Some(&current))
            .await
            .unwrap();
        assert_eq!(got.api_id(), "bbbbbbbbbbbbbbbb");
        // Current but sealed under a key this instance does not hold (another instance
        // rotated): the stored row is read.
        let foreign = Keyring::fixed(MasterKeys::generate());
        let mut resealed = marked;
        resealed.sealed = foreign.seal(
            Purpose::UpstreamCredential,
            &credential_owner(user),
            "C".repeat(128).as_bytes(),
        );
        let got = upstream
            .credential_carried(user, Some(&carried(Some(resealed))))
            .await
            .unwrap();
        assert_eq!(got.api_id(), "bbbbbbbbbbbbbbbb");
        // Current and none: no credential, without a query.
        let got = upstream
            .credential_carried(user, Some(&carried(None)))
            .await
            .unwrap_err();
        assert_eq!(got, AppError::NoCredential);
        sql.close().await;
    }
}
