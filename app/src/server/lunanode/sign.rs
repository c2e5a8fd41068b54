//! Request signing exactly as the Luna Node API checks it (reference §1.1, CONFIRMED):
//! the parameters plus `api_id` and `api_partialkey` (the key's first 64 characters) are
//! JSON-encoded into `req`; `signature` is the lowercase hex HMAC-SHA512, keyed with the full
//! 128-character key, of `"{category}/{action}/|{req}|{nonce}"`; `nonce` is Unix time in whole
//! seconds. `req` is ASCII-only (`\uXXXX` escapes): raw multi-byte UTF-8 breaks verification
//! (reference §1.3, CONFIRMED symptom).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha512;

/// Length of an API ID (CONFIRMED: every official client checks it).
pub const API_ID_LEN: usize = 16;
/// Length of an API key (CONFIRMED).
pub const API_KEY_LEN: usize = 128;
/// How much of the key travels in each request as `api_partialkey` (CONFIRMED).
pub const PARTIAL_KEY_LEN: usize = 64;

/// One Luna Node API credential. The key is secret: redacted in `Debug`, never serialised,
/// zeroed on drop.
pub struct Credential {
    api_id: String,
    api_key: SecretString,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("api_id", &self.api_id)
            .field("api_key", &"[REDACTED]")
            .finish()
    }
}

/// Why a credential was refused before any call was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("the API ID must be exactly 16 characters")]
    IdLength,
    #[error("the API key must be exactly 128 characters")]
    KeyLength,
    #[error("the API ID and key may only contain letters and digits")]
    Charset,
}

impl Credential {
    /// Checks the credential's shape (16-character ID, 128-character key, alphanumeric).
    pub fn new(api_id: &str, api_key: SecretString) -> Result<Self, CredentialError> {
        let key = api_key.expose_secret();
        if api_id.chars().count() != API_ID_LEN {
            return Err(CredentialError::IdLength);
        }
        if key.chars().count() != API_KEY_LEN {
            return Err(CredentialError::KeyLength);
        }
        if !api_id
            .chars()
            .chain(key.chars())
            .all(|c| c.is_ascii_alphanumeric())
        {
            return Err(CredentialError::Charset);
        }
        Ok(Self {
            api_id: api_id.to_owned(),
            api_key,
        })
    }

    pub fn api_id(&self) -> &str {
        &self.api_id
    }

    fn partial_key(&self) -> &str {
        &self.api_key.expose_secret()[..PARTIAL_KEY_LEN]
    }
}

/// JSON with every non-ASCII character written as `\uXXXX` (surrogate pairs beyond the BMP),
/// as PHP's `json_encode` and Python's `json.dumps` do.
pub fn ascii_json(value: &serde_json::Value) -> String {
    let json = value.to_string();
    if json.is_ascii() {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// The `req` string for `params` under `cred` (keys sorted, compact, ASCII-only).
pub fn encode_req(cred: &Credential, params: &BTreeMap<String, String>) -> String {
    let mut map = serde_json::Map::new();
    for (k, v) in params {
        map.insert(k.clone(), serde_json::Value::String(v.clone()));
    }
    map.insert("api_id".into(), cred.api_id.clone().into());
    map.insert(
        "api_partialkey".into(),
        cred.partial_key().to_owned().into(),
    );
    ascii_json(&serde_json::Value::Object(map))
}

/// Lowercase hex HMAC-SHA512 of `"{handler}|{req}|{nonce}"` keyed with `key`.
pub fn signature(key: &[u8], handler: &str, req: &str, nonce: u64) -> String {
    let mut mac = Hmac::<Sha512>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(handler.as_bytes());
    mac.update(b"|");
    mac.update(req.as_bytes());
    mac.update(b"|");
    mac.update(nonce.to_string().as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    s
}

/// The three form fields of one signed request. `Debug` hides them: `req` carries the
/// partial key and `signature` is as good as a password for this nonce.
pub struct SignedForm {
    pub req: String,
    pub signature: String,
    pub nonce: u64,
}

impl std::fmt::Debug for SignedForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedForm")
            .field("nonce", &self.nonce)
            .finish_non_exhaustive()
    }
}

/// Signs `params` for `handler` (`"vm/list/"`, trailing slash included) at `nonce`.
pub fn sign_request(
    cred: &Credential,
    handler: &str,
    params: &BTreeMap<String, String>,
    nonce: u64,
) -> SignedForm {
    let req = encode_req(cred, params);
    let signature = signature(
        cred.api_key.expose_secret().as_bytes(),
        handler,
        &req,
        nonce,
    );
    SignedForm {
        req,
        signature,
        nonce,
    }
}

/// Hands out nonces (Unix time in whole seconds, never milliseconds) so that the service never
/// sees one go down for an API ID. Reference §1.4: equal nonces are tolerated and a
/// decreasing one may be refused — both INFERRED (LunaNode's own launchers send equal
/// nonces back to back; the strict emulator refuses a decreasing one).
///
/// Handing out non-decreasing numbers is not enough: calls in flight can overtake one
/// another on the way, so a call signed at second N+1 could arrive before one signed at N.
/// Hence a gate per API ID: calls with the current nonce go out together, and a later call
/// joins them while they are in flight (up to [`NONCE_LAG_SECS`] behind the clock); the
/// nonce moves up only when no call with the old one is in flight, so a call that needs a
/// higher one waits until every call with the lower nonce has had its answer, failed or
/// been cancelled (its [`NonceTicket`] dropped). The wait is bounded by those calls' own
/// timeouts.
/// How far behind the clock a nonce may lag while calls with it are in flight. Later calls
/// join those calls (equal nonces: tolerated, INFERRED) instead of waiting for them; past
/// this lag they wait until the last one is answered. The service's tolerance for a nonce
/// behind its clock is UNKNOWN (reference §1.4: "bad nonce (computer time off)"); a few
/// seconds is far inside any clock-skew allowance a signing scheme by seconds can have.
pub const NONCE_LAG_SECS: u64 = 5;

#[derive(Debug, Default)]
pub struct NonceClock {
    slots: Mutex<HashMap<String, NonceSlot>>,
    /// Signalled whenever a nonce's last call in flight ends.
    released: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct NonceSlot {
    /// The highest nonce handed out for this API ID.
    nonce: u64,
    /// Calls holding a ticket for `nonce`.
    in_flight: usize,
}

/// Permission to send one request signed with [`NonceTicket::nonce`]. Keep it until the
/// answer has arrived (or the call failed); dropping it lets later nonces go out.
#[derive(Debug)]
pub struct NonceTicket<'a> {
    clock: &'a NonceClock,
    api_id: String,
    nonce: u64,
}

impl NonceTicket<'_> {
    pub fn nonce(&self) -> u64 {
        self.nonce
    }
}

impl Drop for NonceTicket<'_> {
    fn drop(&mut self) {
        let mut slots = self.clock.lock();
        if let Some(slot) = slots.get_mut(&self.api_id) {
            if slot.nonce == self.nonce {
                slot.in_flight = slot.in_flight.saturating_sub(1);
                if slot.in_flight == 0 {
                    self.clock.released.notify_waiters();
                }
            }
        }
    }
}

impl NonceClock {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, NonceSlot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A ticket for a call made at `now_secs`, if it may go out at once: the current nonce
    /// when `now_secs` is not past it (joining the calls in flight with it; a clock that
    /// stepped back never lowers it), or `now_secs` when no call is in flight. `None`:
    /// calls with a lower nonce are still in flight ([`NonceClock::acquire`] waits).
    pub fn try_take(&self, api_id: &str, now_secs: u64) -> Option<NonceTicket<'_>> {
        self.try_take_min(api_id, now_secs, 0)
    }

    /// [`NonceClock::try_take`] for a nonce of at least `min` (a call re-signed after the
    /// service refused a lower one; `now_secs` must have reached `min`): the calls in flight
    /// with a lower nonce are not joined but waited for.
    pub fn try_take_min(&self, api_id: &str, now_secs: u64, min: u64) -> Option<NonceTicket<'_>> {
        let mut slots = self.lock();
        let slot = slots.entry(api_id.to_owned()).or_default();
        if now_secs > slot.nonce {
            if slot.in_flight == 0 {
                slot.nonce = now_secs;
            } else if now_secs - slot.nonce > NONCE_LAG_SECS || slot.nonce < min {
                return None;
            }
            // Else: join the calls in flight with their (slightly old) nonce rather than
            // wait for a slow one (a `vm/create` can take seconds) to be answered.
        }
        slot.in_flight += 1;
        Some(NonceTicket {
            clock: self,
            api_id: api_id.to_owned(),
            nonce: slot.nonce,
        })
    }

    /// A ticket for a call now (`now` reads the clock in seconds), waiting while calls with
    /// a lower nonce are in flight for this API ID.
    pub async fn acquire(&self, api_id: &str, now: impl Fn() -> u64) -> NonceTicket<'_> {
        self.acquire_min(api_id, now, 0).await
    }

    /// [`NonceClock::acquire`] of a nonce of at least `min`: first waits (at most a second
    /// or so) for the clock to reach `min`, so the nonce is never ahead of the clock.
    pub async fn acquire_min(
        &self,
        api_id: &str,
        now: impl Fn() -> u64,
        min: u64,
    ) -> NonceTicket<'_> {
        while now() < min {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            // Registered before looking, so a release in between is not missed.
            released.as_mut().enable();
            if let Some(ticket) = self.try_take_min(api_id, now(), min) {
                return ticket;
            }
            released.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector_credential() -> Credential {
        let key: String = "abcdefghijklmnopqrstuvwxyz".repeat(5)[..128].to_owned();
        Credential::new("abcdefghijklmnop", SecretString::from(key)).unwrap()
    }

    /// The published test vector (reference §1.2, CONFIRMED), byte for byte.
    #[test]
    fn reproduces_the_reference_test_vector() {
        let cred = vector_credential();
        let req = encode_req(&cred, &BTreeMap::new());
        assert_eq!(
            req,
            r#"{"api_id":"abcdefghijklmnop","api_partialkey":"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"}"#
        );
        let list = sign_request(&cred, "vm/list/", &BTreeMap::new(), 775_886_400);
        assert_eq!(list.signature, "af5b7ba795e6a65fd12ea80343652ce3de1008972cff6e28185043915ac6c6152e50a931c8ec054f416226b162d21ad7c4461dc2953448f5e743bcf41cdd46c9");
        let create = sign_request(&cred, "vm/create/", &BTreeMap::new(), 775_886_400);
        assert_eq!(create.signature, "183236c9a4635699e454236733a86045857818fa96f1631d1a68550a2277510ccd782fcfb15ea67d035fdfd2b3f7205258d15f72051a1e4d6f6d1d54a6b69997");
        // The signature covers the exact bytes: Python's spaced JSON signs differently.
        let spaced = r#"{"api_id": "abcdefghijklmnop", "api_partialkey": "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"}"#;
        let key = "abcdefghijklmnopqrstuvwxyz".repeat(5)[..128].to_owned();
        assert_eq!(
            signature(key.as_bytes(), "vm/list/", spaced, 775_886_400),
            "d3b351956e85c31dd8f991ba2e7db9165cc0b58e1353dd359b4382de55a1859d0c9cc9437da43e536cfa9318a01add00c129699ed994de851c9a289b2afc3d59"
        );
    }

    #[test]
    fn non_ascii_is_escaped_and_round_trips() {
        let cred = vector_credential();
        let mut params = BTreeMap::new();
        params.insert(
            "content".to_owned(),
            "echo — ünïcödé 🚀 \"q\" | pipe".to_owned(),
        );
        let req = encode_req(&cred, &params);
        assert!(req.is_ascii(), "{req}");
        assert!(
            req.contains("\\u2014") && req.contains("\\ud83d\\ude80"),
            "{req}"
        );
        let back: serde_json::Value = serde_json::from_str(&req).unwrap();
        assert_eq!(back["content"], "echo — ünïcödé 🚀 \"q\" | pipe");
    }

    #[test]
    fn credentials_are_checked_and_never_printed() {
        let key = || SecretString::from("K".repeat(128));
        assert_eq!(
            Credential::new("short", key()).unwrap_err(),
            CredentialError::IdLength
        );
        assert_eq!(
            Credential::new("abcdefghijklmnop", SecretString::from("K".repeat(127))).unwrap_err(),
            CredentialError::KeyLength
        );
        assert_eq!(
            Credential::new("abcdefghijklmno!", key()).unwrap_err(),
            CredentialError::Charset
        );
        let cred = Credential::new(
            "abcdefghijklmnop",
            SecretString::from(format!("CANARY{}", "Z".repeat(122))),
        )
        .unwrap();
        let debug = format!("{cred:?}");
        assert!(
            !debug.contains("CANARY") && !debug.contains("ZZZZ"),
            "{debug}"
        );
        let form = sign_request(&cred, "vm/list/", &BTreeMap::new(), 1);
        let debug = format!("{form:?}");
        assert!(
            !debug.contains("CANARY") && !debug.contains(&form.signature),
            "{debug}"
        );
    }

    #[test]
    fn nonces_never_decrease_and_a_new_second_waits_for_the_calls_in_flight() {
        let clock = NonceClock::default();
        let first = clock.try_take("a", 100).unwrap();
        assert_eq!(first.nonce(), 100);
        let same = clock.try_take("a", 100).unwrap();
        assert_eq!(same.nonce(), 100, "calls of one second go out together");
        let lagging = clock.try_take("a", 101).unwrap();
        assert_eq!(
            lagging.nonce(),
            100,
            "a new second joins the calls in flight"
        );
        assert!(
            clock.try_take("a", 100 + NONCE_LAG_SECS + 1).is_none(),
            "past the lag, a higher nonce waits while a lower one is in flight"
        );
        drop(lagging);
        let behind = clock.try_take("a", 99).unwrap();
        assert_eq!(behind.nonce(), 100, "clock stepped back: never lower");
        assert_eq!(clock.try_take("b", 50).unwrap().nonce(), 50, "per API ID");
        drop(first);
        drop(same);
        assert!(
            clock.try_take("a", 100 + NONCE_LAG_SECS + 1).is_none(),
            "one call still in flight"
        );
        drop(behind);
        let next = clock.try_take("a", 101).unwrap();
        assert_eq!(next.nonce(), 101);
        assert_eq!(clock.try_take("a", 100).unwrap().nonce(), 101, "never down");
    }

    #[test]
    fn a_minimum_nonce_does_not_join_lower_calls_in_flight() {
        let clock = NonceClock::default();
        let old = clock.try_take("a", 100).unwrap();
        assert!(
            clock.try_take_min("a", 101, 101).is_none(),
            "a re-signed call waits for the calls with 100"
        );
        assert_eq!(clock.try_take_min("a", 101, 100).unwrap().nonce(), 100);
        drop(old);
        assert_eq!(clock.try_take_min("a", 101, 101).unwrap().nonce(), 101);
    }

    #[tokio::test]
    async fn acquire_waits_until_the_lower_nonce_is_answered_or_dropped() {
        let clock = std::sync::Arc::new(NonceClock::default());
        let old = clock.try_take("a", 100).unwrap();
        let waiting = {
            let clock = clock.clone();
            tokio::spawn(async move {
                clock
                    .acquire("a", || 100 + NONCE_LAG_SECS + 1)
                    .await
                    .nonce()
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "went out while 100 was in flight");
        // Same second: no wait.
        let joined = tokio::time::timeout(
            std::time::Duration::from_secs(1),
            clock.acquire("a", || 100),
        )
        .await
        .unwrap();
        assert_eq!(joined.nonce(), 100);
        drop(old);
        drop(joined);
        let nonce = tokio::time::timeout(std::time::Duration::from_secs(1), waiting)
            .await
            .expect("released when the last call of 100 ended")
            .unwrap();
        assert_eq!(nonce, 100 + NONCE_LAG_SECS + 1);
    }
}
