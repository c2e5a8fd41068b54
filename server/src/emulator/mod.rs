//! A faithful emulator of the Luna Node Dynamic API, for tests and demo mode. It verifies
//! requests the way the service does (reference §1) and answers in the service's shapes and
//! quirks (§2): HTTP 200 for errors, strings for numbers, `success: "yes"/"no"`.
//!
//! Run it alone with `lunapanel emulator --listen ADDR`, or in-process ([`Emulator::spawn`]).
//! Its state lives in memory, or also in a file ([`EmulatorConfig::state_file`],
//! [`Emulator::open`]) so that a demo survives a restart.

mod handlers;
pub mod json;
mod persist;
pub mod state;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use axum::{Form, Router};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha512;

pub use self::persist::EmulatorError;
use self::persist::Store;
use self::state::{Account, Durations, REAL_DURATIONS};

/// The exact text the service gives for any authentication problem (reference §2.2).
pub const AUTH_FAILURE: &str = "authentication failure; common reasons: bad nonce (computer time off), source IP mismatch, invalid API id/key";

/// One emulated account's credential and starting credit.
#[derive(Debug, Clone)]
pub struct AccountSpec {
    pub api_id: String,
    pub api_key: String,
    pub credit: f64,
}

#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub accounts: Vec<AccountSpec>,
    /// Multiplies every lifecycle duration: 0 = instant, 1 = realistic.
    pub time_scale: f64,
    /// Nonces further than this from the emulator's clock are refused.
    pub nonce_window: Duration,
    /// Refuse a nonce lower than the last one accepted for the account (equal ones pass).
    /// On by default, as the service is taken to behave (reference §1.4, INFERRED: its
    /// own launchers send equal nonces back to back, and a client fixed "strictly
    /// increasing nonces"); turn it off only for a tool that cannot keep its nonces in order.
    pub strict_nonces: bool,
    /// Keep the state in this JSON file too (read by [`Emulator::open`], rewritten after
    /// every request that changes it); `None` keeps it in memory only. The file holds the
    /// accounts' API keys, so it is created readable by its owner only (mode 0600 on Unix).
    pub state_file: Option<PathBuf>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            accounts: Vec::new(),
            time_scale: 1.0,
            nonce_window: Duration::from_secs(300),
            strict_nonces: true,
            state_file: None,
        }
    }
}

pub(crate) struct World {
    /// By API id (ordered, so the state file's bytes only change when the state does).
    pub accounts: BTreeMap<String, Account>,
    pub durations: Durations,
    pub scale: f64,
    store: Option<Store>,
}

impl World {
    /// Saves the accounts to the state file, if there is one. A failure is logged and the
    /// next request tries again: the API answers regardless.
    fn save(&mut self) {
        if let Some(store) = &mut self.store {
            if let Err(e) = store.save(&self.accounts) {
                tracing::warn!(error = %e, "emulator state not saved");
            }
        }
    }
}

#[derive(Clone)]
pub struct Emulator {
    world: Arc<Mutex<World>>,
    config: Arc<EmulatorConfig>,
    /// Requests received per `category/action` (signed or not), for tests and benchmarks.
    calls: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator").finish_non_exhaustive()
    }
}

/// The signed request's form fields (`handler` is optional and ignored, as upstream).
#[derive(Debug, Deserialize)]
pub struct SignedRequest {
    req: Option<String>,
    signature: Option<String>,
    nonce: Option<String>,
}

/// 32 random hex digits (for generated credentials and tokens).
pub fn random_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Emulator {
    /// An emulator whose state lives in memory only (`config.state_file` is not used).
    pub fn new(config: EmulatorConfig) -> Self {
        Self::with_state(config, Vec::new(), None)
    }

    /// An emulator that keeps its state in `config.state_file` (in memory only if `None`).
    ///
    /// An existing file is loaded: its accounts keep everything they hold, id counters
    /// included, and for an account also in `config` the config's API key wins. Accounts of
    /// `config` the file lacks start fresh. The merged state is saved at once, which creates
    /// the file if need be, so an unusable path is reported here rather than on a request.
    pub fn open(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let Some(path) = config.state_file.clone() else {
            return Ok(Self::new(config));
        };
        let (store, saved) = Store::open(path)?;
        let emulator = Self::with_state(config, saved, Some(store));
        {
            let mut world = emulator.world.lock().unwrap_or_else(|e| e.into_inner());
            let World {
                accounts, store, ..
            } = &mut *world;
            if let Some(store) = store {
                store.save(accounts)?;
            }
        }
        Ok(emulator)
    }

    /// The config's accounts (a later duplicate wins), replaced by their saved selves from
    /// `saved` with the config's key, plus the saved accounts the config does not name.
    fn with_state(config: EmulatorConfig, saved: Vec<Account>, store: Option<Store>) -> Self {
        let mut accounts: BTreeMap<String, Account> = config
            .accounts
            .iter()
            .enumerate()
            .map(|(nth, a)| {
                (
                    a.api_id.clone(),
                    Account::new(&a.api_id, &a.api_key, a.credit).nth(nth),
                )
            })
            .collect();
        for mut account in saved {
            if let Some(fresh) = accounts.get(&account.api_id) {
                // The config is authoritative for credentials.
                account.api_key.clone_from(&fresh.api_key);
            }
            accounts.insert(account.api_id.clone(), account);
        }
        let world = World {
            accounts,
            durations: REAL_DURATIONS,
            scale: config.time_scale.max(0.0),
            store,
        };
        Self {
            world: Arc::new(Mutex::new(world)),
            config: Arc::new(config),
            calls: Arc::default(),
        }
    }

    /// The API ids of the emulated accounts, in order.
    pub fn api_ids(&self) -> Vec<String> {
        let world = self.world.lock().unwrap_or_else(|e| e.into_inner());
        world.accounts.keys().cloned().collect()
    }

    /// An emulated account's API key (demo mode stores it through the panel's vault).
    pub fn api_key(&self, api_id: &str) -> Option<String> {
        let world = self.world.lock().unwrap_or_else(|e| e.into_inner());
        world.accounts.get(api_id).map(|a| a.api_key.clone())
    }

    /// The DKIM selector and private key (PEM) an account's mail domain `name` holds, as the
    /// service keeps them (tests check the key the panel sent against the record it showed).
    pub fn mail_dkim(&self, api_id: &str, name: &str) -> Option<(String, String)> {
        let world = self.world.lock().unwrap_or_else(|e| e.into_inner());
        let domain = world
            .accounts
            .get(api_id)?
            .email
            .domains
            .values()
            .find(|d| d.name == name)?;
        domain
            .dkim
            .as_ref()
            .map(|k| (k.selector.clone(), k.private_key.clone()))
    }

    /// How many requests `path` (`vm/list`) has received so far.
    pub fn calls(&self, path: &str) -> u64 {
        let calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        calls.get(path).copied().unwrap_or(0)
    }

    /// How many API calls were made in all (any action, any account).
    pub fn total_calls(&self) -> u64 {
        let calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        calls.values().sum()
    }

    /// How many API calls were made of any action but `except` (tests leave out the live
    /// poller's reads, which run on their own clock).
    pub fn calls_except(&self, except: &[&str]) -> u64 {
        let calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        calls
            .iter()
            .filter(|(path, _)| !except.contains(&path.as_str()))
            .map(|(_, n)| n)
            .sum()
    }

    /// The HTTP API: `POST /api/{category}/{action}/`, with the trailing slash (the
    /// handler path that is signed has it, CONFIRMED reference §1.1; a URL without it is not
    /// served: INFERRED, the service's answer to one is UNKNOWN, here a 404 page).
    pub fn router(&self) -> Router {
        Router::new()
            .route("/api/{category}/{action}/", post(handle))
            .fallback(not_found)
            .with_state(self.clone())
    }

    /// Serves on `listener` in the background; returns the base URL of the API.
    pub fn spawn(&self, listener: tokio::net::TcpListener) -> std::io::Result<String> {
        let addr: SocketAddr = listener.local_addr()?;
        let app = self.router();
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "emulator stopped");
            }
        });
        Ok(format!("http://{addr}/api"))
    }

    /// Checks a request like the service: a JSON object `req` naming a known `api_id` with
    /// the matching `api_partialkey`, a valid signature over `handler|req|nonce`, and a nonce
    /// within the window and (strict by default) not below the last one. Returns the account
    /// id and the parameters.
    fn verify(
        &self,
        handler: &str,
        form: &SignedRequest,
    ) -> Result<(String, BTreeMap<String, String>), String> {
        let auth = || AUTH_FAILURE.to_owned();
        let (Some(req), Some(signature), Some(nonce)) = (&form.req, &form.signature, &form.nonce)
        else {
            return Err(auth());
        };
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(req) else {
            return Err(auth());
        };
        let mut params = BTreeMap::new();
        for (k, v) in map {
            let text = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => if b { "yes" } else { "no" }.to_owned(),
                // A null (or nested) value is what broke real clients (reference §1.3).
                _ => return Err(format!("invalid value for {k}")),
            };
            params.insert(k, text);
        }
        let api_id = params.remove("api_id").ok_or_else(auth)?;
        let partial = params.remove("api_partialkey").ok_or_else(auth)?;
        let nonce: u64 = nonce.trim().parse().map_err(|_| auth())?;
        let mut world = self.world.lock().unwrap_or_else(|e| e.into_inner());
        let account = world.accounts.get_mut(&api_id).ok_or_else(auth)?;
        if account.api_key.get(..64) != Some(partial.as_str()) {
            return Err(auth());
        }
        let Some(sig) = decode_hex(signature) else {
            return Err(auth());
        };
        let mut mac =
            Hmac::<Sha512>::new_from_slice(account.api_key.as_bytes()).map_err(|_| auth())?;
        mac.update(format!("{handler}|{req}|{nonce}").as_bytes());
        mac.verify_slice(&sig).map_err(|_| auth())?;
        let now = now_secs();
        if now.abs_diff(nonce) > self.config.nonce_window.as_secs() {
            return Err(auth());
        }
        if self.config.strict_nonces && nonce < account.last_nonce {
            return Err(auth());
        }
        account.last_nonce = account.last_nonce.max(nonce);
        Ok((api_id, params))
    }
}

/// Lowercase hex only (the service's clients all send lowercase; uppercase is UNKNOWN).
fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2)
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// Anything but an API handler: a plain HTML 404 (what a PHP site answers; INFERRED).
async fn not_found() -> Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::NOT_FOUND,
        [(axum::http::header::CONTENT_TYPE, json::CONTENT_TYPE_HTML)],
        "<html><body><h1>404 Not Found</h1></body></html>",
    )
        .into_response()
}

async fn handle(
    State(emulator): State<Emulator>,
    Path((category, action)): Path<(String, String)>,
    form: Result<Form<SignedRequest>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return json::fail(AUTH_FAILURE);
    };
    *emulator
        .calls
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(format!("{category}/{action}"))
        .or_default() += 1;
    let handler = format!("{category}/{action}/");
    let (api_id, params) = match emulator.verify(&handler, &form) {
        Ok(ok) => ok,
        Err(text) => return json::fail(&text),
    };
    let mut world = emulator.world.lock().unwrap_or_else(|e| e.into_inner());
    let response = handlers::dispatch(
        &mut world,
        &api_id,
        &category,
        &action,
        &handlers::Params(params),
    );
    // Still under the lock, so saves happen in the order the changes did.
    world.save();
    response
}
