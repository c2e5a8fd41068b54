//! The typed Luna Node API client (server-side only; see `../../../../README.md`).
//!
//! One method per API action, all sharing one path: the typed request is flattened into the
//! string-to-string parameter map the API expects (unset options omitted, never `null` or
//! `""`), signed ([`sign`]), POSTed as a form, and the `success`/`error` envelope checked
//! before the typed response is decoded ([`decode`]). Read actions are retried with a fresh
//! nonce on connection errors and 5xx; mutations never are.

pub mod actions;
pub mod decode;
mod error;
pub mod sign;

use std::collections::BTreeMap;
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub use error::{unescape_html, UpstreamError, AUTH_FAILURE};
pub use sign::{Credential, CredentialError, NonceClock};

use super::metrics::{self, BreakerPhase, UpstreamOutcome};

/// A typed API action: its request parameters are the struct's fields.
pub trait Action: Serialize + Send + Sync {
    /// `"{category}/{action}"`, without the trailing slash.
    const PATH: &'static str;
    /// Safe to repeat (list/info/details/get/usage/credit…): retried on transient errors.
    const READ: bool;
    type Response: DeserializeOwned;
}

/// Timeouts and retries for the upstream.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Extra attempts for read actions after a transient failure.
    pub read_retries: u32,
    /// First back-off between attempts (doubles each time).
    pub backoff: Duration,
    /// Transient failures in a row that open the circuit breaker.
    pub breaker_threshold: u32,
    /// How long the open circuit refuses calls before one probe.
    pub breaker_cooldown: Duration,
    /// Other panel instances sign with the same API keys (several instances on one
    /// database): a call refused with the generic authentication failure is signed again
    /// once with a nonce above the refused one and sent again. Another instance may have
    /// sent a higher nonce first (reference §1.4: a decreasing nonce may be refused,
    /// INFERRED); a refused request was not carried out, so even a mutation may go again.
    pub shared_keys: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            read_retries: 2,
            backoff: Duration::from_millis(200),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(30),
            shared_keys: false,
        }
    }
}

/// A circuit breaker for the upstream host (REL-7.4): after `threshold` transient failures
/// in a row (no answer, 5xx, timeout) calls fail at once for `cooldown`; then one probe is
/// let through, and its outcome closes or re-opens the circuit. Any answer from the service
/// (even an error) counts as success: the host is up.
#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    state: std::sync::Mutex<BreakerState>,
}

#[derive(Debug, Default)]
struct BreakerState {
    failures: u32,
    open_until: Option<Instant>,
    probing: bool,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            cooldown,
            state: std::sync::Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BreakerState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// May a call go out at `now`? `Err` carries how long the circuit stays open. The call's
    /// outcome goes to [`Admitted::record`]; a call dropped before that (cancelled, e.g. by a
    /// caller's deadline) counts as nothing, and if it was the probe, the next call may
    /// probe instead: a cancelled probe must not keep the circuit open for good.
    pub fn admit(&self, now: Instant) -> Result<Admitted<'_>, Duration> {
        let mut s = self.lock();
        let probe = match s.open_until {
            None => false,
            Some(until) if now < until => return Err(until - now),
            Some(_) if s.probing => return Err(Duration::from_secs(1)),
            Some(_) => {
                s.probing = true;
                true
            }
        };
        Ok(Admitted {
            breaker: self,
            probe,
            recorded: false,
        })
    }

    /// Records a call's outcome: `transient` failures count towards opening the circuit.
    /// Returns what changed (for the circuit shared with other instances).
    fn record(&self, transient: bool, now: Instant) -> Turn {
        let mut s = self.lock();
        if transient {
            s.failures += 1;
            if s.probing || s.failures >= self.threshold {
                s.open_until = Some(now + self.cooldown);
                s.probing = false;
                return Turn::Opened(self.cooldown);
            }
            Turn::Same
        } else {
            let was_open = s.open_until.is_some();
            *s = BreakerState::default();
            if was_open {
                Turn::Closed
            } else {
                Turn::Same
            }
        }
    }

    /// Another instance found the upstream down: refuse calls for `wait` from `now` (the
    /// longer of this and an opening already here), then probe as usual.
    pub fn open_for(&self, wait: Duration, now: Instant) {
        let mut s = self.lock();
        let until = now + wait;
        if s.open_until.is_none_or(|u| u < until) {
            s.open_until = Some(until);
            s.probing = false;
        }
    }

    /// Whether calls are currently refused.
    pub fn is_open(&self) -> bool {
        self.lock().open_until.is_some()
    }

    /// Closed, open, or half-open (the cool-down is over at `now`: the next call, or the
    /// one already under way, is the probe).
    pub fn phase(&self, now: Instant) -> BreakerPhase {
        match self.lock().open_until {
            None => BreakerPhase::Closed,
            Some(until) if now < until => BreakerPhase::Open,
            Some(_) => BreakerPhase::HalfOpen,
        }
    }
}

/// A call let through by [`Breaker::admit`]: record its outcome, or drop it (the call was
/// cancelled) to give back the probe slot it may hold.
#[derive(Debug)]
pub struct Admitted<'a> {
    breaker: &'a Breaker,
    probe: bool,
    recorded: bool,
}

impl Admitted<'_> {
    /// Records the call's outcome (see [`Breaker`]); returns what changed.
    pub fn record(mut self, transient: bool, now: Instant) -> Turn {
        self.recorded = true;
        self.breaker.record(transient, now)
    }
}

/// How a call's outcome changed the circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    Same,
    /// Opened (or re-opened after a failed probe) for this long.
    Opened(Duration),
    /// A call got an answer while the circuit was open (the probe): closed.
    Closed,
}

/// The circuit as every panel instance sees it (several instances on one database, issue
/// 14.7): an instance that opens its circuit writes it here, and the others honour it.
#[async_trait::async_trait]
pub trait HealthBoard: Send + Sync + std::fmt::Debug + 'static {
    /// How long the shared circuit stays open, if it is open.
    async fn open_for(&self) -> Option<Duration>;
    /// Opens the shared circuit for `wait` (never shortening an opening already there).
    async fn set_open(&self, wait: Duration);
    /// Closes it (an instance's probe got an answer).
    async fn set_closed(&self);
}

/// How often an instance looks at the shared circuit (between looks it trusts its own:
/// the fast path costs nothing).
pub const SHARED_HEALTH_EVERY: Duration = Duration::from_secs(1);

/// A [`HealthBoard`] and when it was last read.
#[derive(Debug)]
struct SharedHealth {
    board: std::sync::Arc<dyn HealthBoard>,
    checked: std::sync::Mutex<Option<Instant>>,
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        if self.probe && !self.recorded {
            // The circuit stays open (its time is up): the next call is the new probe.
            self.breaker.lock().probing = false;
        }
    }
}

/// Largest response accepted (image lists of big accounts are well below this).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// The client. Cheap to share (`Arc`); one per upstream base URL.
#[derive(Debug)]
pub struct LunaNode {
    http: reqwest::Client,
    /// For `image/retrieve`: no deadline on the whole body (an image may take long to
    /// pass), only on the answer's head and on each wait for more data.
    downloads: reqwest::Client,
    base: String,
    options: ClientOptions,
    nonces: NonceClock,
    breaker: Breaker,
    /// The circuit shared with other instances, when there are any.
    shared: Option<SharedHealth>,
}

/// Flattens a typed request into the API's string-to-string map: strings as they are,
/// numbers in decimal, booleans as `yes`/`no`, lists comma-separated, `None` omitted.
pub fn params<T: Serialize>(req: &T) -> Result<BTreeMap<String, String>, UpstreamError> {
    let value = serde_json::to_value(req).map_err(|e| UpstreamError::Malformed(e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(UpstreamError::Malformed(
            "a request must be a struct".into(),
        ));
    };
    let mut out = BTreeMap::new();
    for (key, value) in map {
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => if b { "yes" } else { "no" }.to_owned(),
            Value::Array(items) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
            Value::Object(_) => {
                return Err(UpstreamError::Malformed(format!(
                    "parameter {key} is nested"
                )))
            }
        };
        out.insert(key, text);
    }
    Ok(out)
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What a transport failure means. Only a failure to connect proves nothing was sent. Past
/// that (the connection broke, or no answer in time) a mutation (`read` false) may or may
/// not have been carried out upstream: [`UpstreamError::OutcomeUnknown`], never "failed"
/// (which would invite a duplicate `vm/create`). A read is safe to repeat either way.
fn transport_error(e: &reqwest::Error, read: bool) -> UpstreamError {
    if e.is_connect() {
        if e.is_timeout() {
            UpstreamError::Timeout
        } else {
            UpstreamError::Unavailable("could not connect".into())
        }
    } else if !read {
        UpstreamError::OutcomeUnknown
    } else if e.is_timeout() {
        UpstreamError::Timeout
    } else {
        UpstreamError::Unavailable("the connection failed".into())
    }
}

impl LunaNode {
    /// A client for the API at `base_url` (e.g. `https://dynamic.lunanode.com/api`).
    pub fn new(base_url: &str, options: ClientOptions) -> Result<Self, UpstreamError> {
        let builder = || {
            reqwest::Client::builder()
                .connect_timeout(options.connect_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("lunapanel/", env!("CARGO_PKG_VERSION")))
        };
        let built = |b: reqwest::ClientBuilder| {
            b.build()
                .map_err(|e| UpstreamError::Unavailable(format!("HTTP client: {e}")))
        };
        let http = built(builder().timeout(options.timeout))?;
        let downloads = built(builder().read_timeout(options.timeout))?;
        Ok(Self {
            http,
            downloads,
            base: base_url.trim_end_matches('/').to_owned(),
            breaker: Breaker::new(options.breaker_threshold, options.breaker_cooldown),
            options,
            nonces: NonceClock::default(),
            shared: None,
        })
    }

    /// Shares the circuit breaker with other instances through `board`.
    pub fn with_health_board(mut self, board: std::sync::Arc<dyn HealthBoard>) -> Self {
        self.shared = Some(SharedHealth {
            board,
            checked: std::sync::Mutex::new(None),
        });
        self
    }

    /// Takes in the shared circuit's state, at most every [`SHARED_HEALTH_EVERY`].
    async fn look_at_shared_health(&self) {
        let Some(shared) = &self.shared else { return };
        {
            let mut checked = shared.checked.lock().unwrap_or_else(|e| e.into_inner());
            if checked.is_some_and(|at| at.elapsed() < SHARED_HEALTH_EVERY) {
                return;
            }
            *checked = Some(Instant::now());
        }
        if let Some(wait) = shared.board.open_for().await {
            self.breaker.open_for(wait, Instant::now());
        }
    }

    /// Records a call's outcome, and tells the other instances when the circuit turned.
    async fn record(&self, admitted: Admitted<'_>, transient: bool) {
        let turn = admitted.record(transient, Instant::now());
        let Some(shared) = &self.shared else { return };
        match turn {
            Turn::Opened(wait) => shared.board.set_open(wait).await,
            Turn::Closed => shared.board.set_closed().await,
            Turn::Same => {}
        }
    }

    /// Whether the circuit breaker currently refuses calls (Luna Node seems down).
    pub fn degraded(&self) -> bool {
        self.breaker.is_open()
    }

    /// The circuit breaker's phase now (for `/metrics`).
    pub fn breaker_phase(&self) -> BreakerPhase {
        self.breaker.phase(Instant::now())
    }

    /// The API base URL this client talks to.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Calls action `A` and decodes its typed response.
    pub async fn call<A: Action>(
        &self,
        cred: &Credential,
        req: &A,
    ) -> Result<A::Response, UpstreamError> {
        let params = params(req)?;
        let body = self.call_value(cred, A::PATH, &params, A::READ).await?;
        serde_json::from_value(body)
            .map_err(|e| UpstreamError::Malformed(format!("{}: {e}", A::PATH)))
    }

    /// Calls `path` with `params` and returns the checked JSON body (`success` was `"yes"`).
    /// `read` allows retries after transient failures, each freshly signed.
    pub async fn call_value(
        &self,
        cred: &Credential,
        path: &str,
        params: &BTreeMap<String, String>,
        read: bool,
    ) -> Result<Value, UpstreamError> {
        let mut attempt = 0;
        loop {
            self.look_at_shared_health().await;
            let started = Instant::now();
            let (result, outcome) = match self.breaker.admit(started) {
                Err(wait) => (Err(refused(wait)), UpstreamOutcome::BreakerRefused),
                Ok(admitted) => {
                    let result = self.attempt(cred, path, params, read).await;
                    let transient = matches!(&result, Err(e) if e.is_transient());
                    self.record(admitted, transient).await;
                    let outcome = match &result {
                        Ok(_) => UpstreamOutcome::Ok,
                        Err(_) if transient => UpstreamOutcome::Transient,
                        Err(_) => UpstreamOutcome::ApiError,
                    };
                    (result, outcome)
                }
            };
            let elapsed = started.elapsed();
            let went_out = outcome != UpstreamOutcome::BreakerRefused;
            metrics::upstream_call(path, outcome, went_out.then_some(elapsed));
            tracing::debug!(
                action = path,
                attempt,
                outcome = outcome.as_str(),
                ms = elapsed.as_millis() as u64,
                "upstream call"
            );
            match result {
                Err(e) if read && e.is_transient() && attempt < self.options.read_retries => {
                    tokio::time::sleep(self.options.backoff * 2u32.pow(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn attempt(
        &self,
        cred: &Credential,
        path: &str,
        params: &BTreeMap<String, String>,
        read: bool,
    ) -> Result<Value, UpstreamError> {
        let (status, nonce, bytes) = self.post_signed_once(cred, path, params, read, 0).await?;
        let answer = |status: reqwest::StatusCode, bytes: &[u8]| {
            let body: Value = serde_json::from_slice(bytes).map_err(|_| {
                UpstreamError::Malformed(format!("not JSON (HTTP {})", status.as_u16()))
            })?;
            check_envelope(body)
        };
        match answer(status, &bytes) {
            Err(UpstreamError::Auth) if self.options.shared_keys => {
                // Another instance may have sent a higher nonce for this key first; the
                // refused request was not carried out. Once more, above the refused nonce.
                tracing::debug!(
                    action = path,
                    nonce,
                    "authentication refused: re-signing once"
                );
                let (status, _, bytes) = self
                    .post_signed_once(cred, path, params, read, nonce + 1)
                    .await?;
                answer(status, &bytes)
            }
            other => other,
        }
    }

    /// Signs (with a nonce of at least `min_nonce`) and POSTs one request; returns the
    /// status, the nonce used and the body of any non-redirect, non-5xx answer. `read`: the
    /// action is safe to repeat (this decides what a broken connection means, see
    /// [`transport_error`]). The circuit breaker is the caller's
    /// ([`LunaNode::call_value`]).
    async fn post_signed_once(
        &self,
        cred: &Credential,
        path: &str,
        params: &BTreeMap<String, String>,
        read: bool,
        min_nonce: u64,
    ) -> Result<(reqwest::StatusCode, u64, bytes::Bytes), UpstreamError> {
        let (res, nonce) = self
            .send_signed(&self.http, None, cred, path, params, read, min_nonce)
            .await?;
        let status = res.status();
        if res.content_length().is_some_and(|n| n > MAX_BODY as u64) {
            return Err(UpstreamError::Malformed("response too large".into()));
        }
        let bytes = res.bytes().await.map_err(|e| transport_error(&e, read))?;
        if bytes.len() > MAX_BODY {
            return Err(UpstreamError::Malformed("response too large".into()));
        }
        Ok((status, nonce, bytes))
    }

    /// Signs and POSTs one request with `http`; returns the answer once its head is in,
    /// unless it is a redirect or a server error, and the nonce it was signed with.
    /// `head_timeout`: a deadline for the head, for a client that has no overall one (a read
    /// only: it maps to [`UpstreamError::Timeout`]).
    #[allow(clippy::too_many_arguments)] // Reason: one private path; a struct of these would only be unpacked again.
    async fn send_signed(
        &self,
        http: &reqwest::Client,
        head_timeout: Option<Duration>,
        cred: &Credential,
        path: &str,
        params: &BTreeMap<String, String>,
        read: bool,
        min_nonce: u64,
    ) -> Result<(reqwest::Response, u64), UpstreamError> {
        let handler = format!("{path}/");
        // Held until the answer's head arrives (the service has then seen the request), so
        // no call of a later second overtakes this one on the way (see [`NonceClock`]).
        let ticket = self
            .nonces
            .acquire_min(cred.api_id(), now_secs, min_nonce)
            .await;
        let form = sign::sign_request(cred, &handler, params, ticket.nonce());
        let nonce = ticket.nonce().to_string();
        let sent = http
            .post(format!("{}/{handler}", self.base))
            .form(&[
                ("req", form.req.as_str()),
                ("signature", form.signature.as_str()),
                ("nonce", nonce.as_str()),
            ])
            .send();
        let res = match head_timeout {
            Some(limit) => tokio::time::timeout(limit, sent)
                .await
                .map_err(|_| UpstreamError::Timeout)?,
            None => sent.await,
        }
        .map_err(|e| transport_error(&e, read))?;
        let nonce = ticket.nonce();
        drop(ticket);
        let status = res.status();
        if status.is_redirection() {
            return Err(UpstreamError::Unavailable(format!(
                "unexpected redirect (HTTP {})",
                status.as_u16()
            )));
        }
        if status.is_server_error() {
            return Err(UpstreamError::Unavailable(format!(
                "HTTP {}",
                status.as_u16()
            )));
        }
        Ok((res, nonce))
    }

    /// `image/retrieve`: the image's bytes as they arrive, never the whole image in memory.
    ///
    /// The service answers with the raw bytes, or with a small JSON error body (CONFIRMED
    /// over the legacy API, reference §4; CS treats any body under 1 KiB that parses as JSON
    /// as the answer). So the first KiB is read before returning: a body that ends within
    /// it and parses as JSON is an error envelope and comes back as the usual
    /// [`UpstreamError`] (`invalid image` → [`UpstreamError::NotFound`]); anything else is
    /// the image, streamed from its first byte. The content type is not relied on (the
    /// service labels JSON `text/html`).
    ///
    /// Like other reads, opening the download is retried after a transient failure. Once
    /// streaming, a broken connection or no data for [`ClientOptions::timeout`] ends the
    /// stream with an `Err` item (the download is then incomplete).
    pub async fn image_retrieve(
        &self,
        cred: &Credential,
        req: &actions::ImageRetrieve,
    ) -> Result<ImageBytes, UpstreamError> {
        let params = params(req)?;
        let mut attempt = 0;
        loop {
            let result = self.open_download(cred, &params).await;
            match result {
                Err(e) if e.is_transient() && attempt < self.options.read_retries => {
                    tokio::time::sleep(self.options.backoff * 2u32.pow(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// One attempt at opening a download, counted like [`LunaNode::call_value`]'s attempts.
    async fn open_download(
        &self,
        cred: &Credential,
        params: &BTreeMap<String, String>,
    ) -> Result<ImageBytes, UpstreamError> {
        const PATH: &str = actions::IMAGE_RETRIEVE.path;
        self.look_at_shared_health().await;
        let started = Instant::now();
        let admitted = match self.breaker.admit(started) {
            Ok(admitted) => admitted,
            Err(wait) => {
                metrics::upstream_call(PATH, UpstreamOutcome::BreakerRefused, None);
                return Err(refused(wait));
            }
        };
        let result = self.open_admitted(cred, params, admitted).await;
        let outcome = match &result {
            Ok(_) => UpstreamOutcome::Ok,
            Err(e) if e.is_transient() => UpstreamOutcome::Transient,
            Err(_) => UpstreamOutcome::ApiError,
        };
        metrics::upstream_call(PATH, outcome, Some(started.elapsed()));
        result
    }

    async fn open_admitted(
        &self,
        cred: &Credential,
        params: &BTreeMap<String, String>,
        admitted: Admitted<'_>,
    ) -> Result<ImageBytes, UpstreamError> {
        const PATH: &str = actions::IMAGE_RETRIEVE.path;
        let result = self
            .send_signed(
                &self.downloads,
                Some(self.options.timeout),
                cred,
                PATH,
                params,
                true,
                0,
            )
            .await;
        self.record(admitted, matches!(&result, Err(e) if e.is_transient()))
            .await;
        let (res, _) = result?;
        let status = res.status();
        let content_type = content_type(&res);
        let content_length = res.content_length();
        let mut body = Box::pin(res.bytes_stream());
        // The first KiB, or the whole body if it is shorter.
        let mut head: Vec<bytes::Bytes> = Vec::new();
        let mut head_len = 0;
        let mut ended = false;
        while head_len < ERROR_BODY_MAX {
            match body.next().await {
                Some(chunk) => {
                    let chunk = chunk.map_err(|e| transport_error(&e, true))?;
                    head_len += chunk.len();
                    head.push(chunk);
                }
                None => {
                    ended = true;
                    break;
                }
            }
        }
        if ended && head_len < ERROR_BODY_MAX {
            let small: Vec<u8> = head.concat();
            if let Ok(answer) = serde_json::from_slice::<Value>(&small) {
                check_envelope(answer)?;
                return Err(UpstreamError::Malformed(format!(
                    "{PATH} answered JSON (HTTP {})",
                    status.as_u16()
                )));
            }
        }
        if !status.is_success() {
            return Err(UpstreamError::Malformed(format!(
                "{PATH}: HTTP {}",
                status.as_u16()
            )));
        }
        let rest = body.map(|chunk| chunk.map_err(|e| transport_error(&e, true)));
        Ok(ImageBytes {
            content_type,
            content_length,
            chunks: Box::pin(futures::stream::iter(head.into_iter().map(Ok)).chain(rest)),
        })
    }
}

/// Bodies shorter than this that parse as JSON are `image/retrieve` errors, not images
/// (CS's rule, reference §4).
const ERROR_BODY_MAX: usize = 1024;

/// The error for a call the circuit breaker refuses.
fn refused(wait: Duration) -> UpstreamError {
    UpstreamError::Unavailable(format!(
        "not trying for another {}s after repeated failures",
        wait.as_secs().max(1)
    ))
}

fn content_type(res: &reqwest::Response) -> String {
    res.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// An image being downloaded ([`LunaNode::image_retrieve`]): a [`Stream`] of byte chunks in
/// order, ending early with one `Err` if the download breaks off. Ready to be handed to
/// `axum::body::Body::from_stream` (`Send`, `'static`, errors are `std::error::Error`).
pub struct ImageBytes {
    /// As the service labelled it (`application/octet-stream` from the emulator; the
    /// service's label is UNKNOWN, so a proxy should send its own).
    pub content_type: String,
    /// The length the service announced, if it did.
    pub content_length: Option<u64>,
    chunks: Pin<Box<dyn Stream<Item = Result<bytes::Bytes, UpstreamError>> + Send>>,
}

impl std::fmt::Debug for ImageBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageBytes")
            .field("content_type", &self.content_type)
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}

impl Stream for ImageBytes {
    type Item = Result<bytes::Bytes, UpstreamError>;

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.chunks.as_mut().poll_next(cx)
    }
}

/// Checks `success`: `"yes"` gives the body back, anything else the classified `error`.
fn check_envelope(body: Value) -> Result<Value, UpstreamError> {
    match body.get("success").and_then(Value::as_str) {
        Some("yes") => Ok(body),
        Some(_) => Err(UpstreamError::from_api_text(
            body.get("error").and_then(Value::as_str).unwrap_or(""),
        )),
        None => Err(UpstreamError::Malformed("missing success key".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_opens_after_repeated_failures_and_probes_once() {
        let b = Breaker::new(3, Duration::from_secs(30));
        let t0 = Instant::now();
        for _ in 0..2 {
            b.admit(t0).unwrap().record(true, t0);
        }
        assert!(!b.is_open());
        b.admit(t0).unwrap().record(false, t0); // an answer resets the count
        for _ in 0..3 {
            b.admit(t0).unwrap().record(true, t0);
        }
        assert!(b.is_open());
        let wait = b.admit(t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(20));
        // After the cooldown, exactly one probe goes out.
        let later = t0 + Duration::from_secs(31);
        let probe = b.admit(later).unwrap();
        assert!(b.admit(later).is_err(), "one probe at a time");
        // A failed probe re-opens at once; a good one closes.
        probe.record(true, later);
        assert!(b.admit(later + Duration::from_secs(1)).is_err());
        let again = later + Duration::from_secs(31);
        b.admit(again).unwrap().record(false, again);
        assert!(!b.is_open());
        assert!(b.admit(again).is_ok());
    }

    #[test]
    fn breaker_phases_for_metrics() {
        let b = Breaker::new(1, Duration::from_secs(30));
        let t0 = Instant::now();
        assert_eq!(b.phase(t0), BreakerPhase::Closed);
        b.admit(t0).unwrap().record(true, t0);
        assert_eq!(b.phase(t0 + Duration::from_secs(29)), BreakerPhase::Open);
        let later = t0 + Duration::from_secs(30);
        assert_eq!(b.phase(later), BreakerPhase::HalfOpen);
        let probe = b.admit(later).unwrap();
        assert_eq!(
            b.phase(later),
            BreakerPhase::HalfOpen,
            "while the probe runs"
        );
        probe.record(false, later);
        assert_eq!(b.phase(later), BreakerPhase::Closed);
    }

    /// Issue 8, defect 10: a probe whose call is cancelled (dropped without an outcome)
    /// gives its slot back, so the circuit does not stay open until restart.
    #[test]
    fn a_dropped_probe_lets_the_next_call_probe() {
        let b = Breaker::new(1, Duration::from_secs(30));
        let t0 = Instant::now();
        b.admit(t0).unwrap().record(true, t0);
        assert!(b.is_open());
        let later = t0 + Duration::from_secs(31);
        let probe = b.admit(later).unwrap();
        assert!(b.admit(later).is_err(), "one probe at a time");
        drop(probe); // cancelled mid-call: no outcome recorded
        assert!(b.is_open(), "nothing was learnt about the host");
        let next = b
            .admit(later + Duration::from_secs(1))
            .expect("the cancelled probe's slot was given back");
        assert!(b.admit(later).is_err(), "still one probe at a time");
        next.record(false, later);
        assert!(!b.is_open());
        // An ordinary (non-probe) call dropped changes nothing.
        drop(b.admit(later).unwrap());
        assert!(!b.is_open());
    }

    #[derive(Serialize)]
    struct Sample {
        vm_id: String,
        plan_id: Option<String>,
        ttl: u32,
        keep: bool,
        securitygroups: Vec<String>,
        region: Option<String>,
    }

    #[test]
    fn params_are_strings_and_unset_options_are_omitted() {
        let p = params(&Sample {
            vm_id: "abc".into(),
            plan_id: Some("m.2".into()),
            ttl: 300,
            keep: true,
            securitygroups: vec!["4".into(), "91".into()],
            region: None,
        })
        .unwrap();
        let expected: BTreeMap<String, String> = [
            ("vm_id", "abc"),
            ("plan_id", "m.2"),
            ("ttl", "300"),
            ("keep", "yes"),
            ("securitygroups", "4,91"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(p, expected);
        assert!(
            !p.contains_key("region"),
            "None is omitted, never null or empty"
        );
    }
}
