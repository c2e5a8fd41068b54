//! lunapanel's server: wiring only. Load config → open the database and run migrations →
//! build the router (sessions, gates, Leptos routes and server functions, operations
//! endpoints) → serve until SIGTERM, then drain.

// Rendering the app's deeply nested view types needs more than the default limit (128).
#![recursion_limit = "512"]

pub mod config;
pub mod csp;
pub mod demo;
pub mod emulator;
pub mod gates;
pub mod metrics;
pub mod ops;
pub mod render;
pub mod telemetry;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::server::budget::{Budget, PgBuckets};
use app::server::cluster::{Cluster, Local, PgCluster, PgHealth};
use app::server::live::{LiveHub, LiveTiming};
use app::server::lunanode::{ClientOptions, LunaNode};
use app::server::password::Hasher;
use app::server::session::{authenticate, SessionBackend};
use app::server::store::{self, NewUser, SignUpGate, SqlStore, Store};
use app::server::upstream::Upstream;
use app::server::vault::Keyring;
use app::server::{PanelSettings, ServerState};
use app::types::DemoSignIn;
use app::{shell, App};
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;

/// The demo account created in demo mode (public by design).
pub const DEMO_EMAIL: &str = "demo@lunapanel.test";
pub const DEMO_PASSWORD: &str = "lunapanel-demo";

/// Largest request body accepted (SEC-2.3): server-function arguments are small but for a
/// startup script (64 KiB as stored, up to three times that URL-encoded). A password is
/// bounded on its own (1 KiB) before any hashing.
const BODY_LIMIT: usize = 256 * 1024;
/// In-flight requests are cut off after this long (also bounds the shutdown drain).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How often expired sessions are deleted.
const SESSION_SWEEP: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database {url}: {source}")]
    Database {
        url: String,
        source: store::StoreError,
    },
    #[error("cannot prepare the session table: {0}")]
    Sessions(sqlx::Error),
    #[error("cannot prepare password hashing: {0}")]
    Hasher(#[from] app::server::password::PasswordError),
    #[error("cannot create the demo account: {0}")]
    Demo(store::StoreError),
    #[error("cannot set up metrics: {0}")]
    Metrics(String),
    #[error("cannot start the demo's Luna Node emulator: {0}")]
    DemoEmulator(String),
    #[error("master key: {0}")]
    MasterKey(#[from] app::server::vault::VaultError),
    #[error("master key: {0}")]
    MasterKeyMismatch(String),
    #[error("cannot create the Luna Node client: {0}")]
    Client(String),
    #[error("cannot listen for the other panel instances' notices: {0}")]
    Cluster(#[from] app::server::cluster::ClusterError),
    /// An operator command could not do what it was asked.
    #[error("{0}")]
    Command(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

/// Everything the router needs, opened and checked.
pub struct Prepared {
    pub config: Config,
    pub keyring: Arc<Keyring>,
    /// The in-process emulator, in demo mode.
    pub demo: Option<demo::Demo>,
    pub store: Arc<SqlStore>,
    pub state: ServerState,
    pub sessions: SessionBackend,
    /// False once shutdown has begun (`/readyz` answers 503 from then on).
    pub ready: Arc<AtomicBool>,
    /// What start-up decided that the operator must hear (printed by [`serve`]).
    pub notes: Vec<String>,
    /// `/metrics`, when configured (`metrics_token`, `metrics_listen`).
    pub metrics: Option<metrics::Scrape>,
}

/// Opens the database (creating a SQLite file if absent), applies migrations, prepares the
/// session table and, in demo mode, the demo account. Any failure stops start-up.
pub async fn prepare(config: Config) -> Result<Prepared, StartupError> {
    let store = store::connect(config.database_url.expose())
        .await
        .map_err(|source| StartupError::Database {
            url: config.database_url.redacted(),
            source,
        })?;
    let store = Arc::new(store);
    let sessions = SessionBackend::for_store(&store)
        .await
        .map_err(StartupError::Sessions)?;
    let parallel = std::thread::available_parallelism().map_or(2, usize::from);
    let hasher = Hasher::new(parallel)?;
    let keyring = Arc::new(open_keyring(&config, store.as_ref()).await?);
    let mut notes = Vec::new();
    let (demo_sign_in, demo) = if config.demo {
        let user = ensure_demo_account(store.as_ref(), &hasher, &mut notes).await?;
        let demo = demo::start(&config, store.clone(), &hasher, &keyring, user).await?;
        let sign_in = DemoSignIn {
            email: DEMO_EMAIL.into(),
            password: DEMO_PASSWORD.into(),
        };
        notes.push(demo_listen_note(&config));
        if !store.has_admin().await.map_err(StartupError::Demo)? {
            notes.push(format!(
                "The demo account is a reseller, not the administrator: the first account \
                 signed up at {}/sign-up becomes the administrator.",
                config.public_origin()
            ));
        }
        (Some(sign_in), Some(demo))
    } else {
        disable_demo_account(store.as_ref(), &mut notes).await?;
        (None, None)
    };
    for note in &notes {
        tracing::warn!("{note}");
    }
    let upstream_url = demo
        .as_ref()
        .map_or_else(|| config.upstream_url.to_string(), |d| d.base_url.clone());
    // On PostgreSQL several instances may share the database (issue 14): one poller per
    // credential between them (a lease, the others follow its snapshots), call budgets and
    // the open circuit in the database, and nonces that another instance may have
    // overtaken are re-signed once. SQLite: this instance alone, all of it in memory.
    let shared_pool = match store.pool() {
        store::Pool::Postgres(pool) => Some(pool.clone()),
        store::Pool::Sqlite(_) => None,
    };
    let client = LunaNode::new(
        &upstream_url,
        ClientOptions {
            shared_keys: shared_pool.is_some(),
            ..ClientOptions::default()
        },
    )
    .map_err(|e| StartupError::Client(e.to_string()))?;
    let (client, budget, cluster): (_, _, Arc<dyn Cluster>) = match &shared_pool {
        Some(pool) => (
            client.with_health_board(Arc::new(PgHealth::new(pool.clone(), &upstream_url))),
            Budget::with_store(config.budget, Arc::new(PgBuckets::new(pool.clone()))),
            PgCluster::start(pool.clone()).await?,
        ),
        None => (client, Budget::new(config.budget), Arc::new(Local)),
    };
    let upstream = Arc::new(
        Upstream::new(Arc::new(client), keyring.clone(), store.clone(), budget)
            .with_reference_ttl(config.reference_ttl),
    );
    let live = LiveHub::start(upstream.clone(), LiveTiming::default(), cluster);
    let mut demo = demo;
    if let Some(d) = demo.as_mut() {
        // Once the sample VMs have been stopped or shelved, show it without waiting for the
        // poller's next look at settled VMs.
        if let Some(seeding) = d.seeding.take() {
            let (live, user) = (live.clone(), d.user);
            tokio::spawn(async move {
                if let Ok(changed) = seeding.await {
                    let ids: Vec<&str> = changed.iter().map(String::as_str).collect();
                    live.kick(user, &ids);
                }
            });
        }
    }
    let settings = PanelSettings {
        demo: config.demo,
        demo_sign_in,
        sign_up: config.sign_up,
        public_origin: config.public_origin(),
        idle_timeout: config.idle_timeout,
        absolute_timeout: config.absolute_timeout,
        invite_lifetime: config.invite_lifetime,
        throttle: config.throttle,
    };
    let metrics = if config.metrics_enabled() {
        let scrape = metrics::Scrape::new(
            config.metrics_token.as_ref().map(|t| t.expose()),
            store.clone(),
            hasher.clone(),
            upstream.client.clone(),
            config.idle_timeout,
        )
        .map_err(StartupError::Metrics)?;
        Some(scrape)
    } else {
        None
    };
    let state = ServerState {
        store: store.clone(),
        hasher,
        settings: Arc::new(settings),
        upstream,
        live,
        images: Default::default(),
    };
    Ok(Prepared {
        config,
        keyring,
        demo,
        store,
        state,
        sessions,
        ready: Arc::new(AtomicBool::new(true)),
        notes,
        metrics,
    })
}

/// What demo mode means for who can reach the panel (config refuses a default demo on a
/// non-loopback address, so a default demo here is on loopback).
fn demo_listen_note(config: &Config) -> String {
    let listen = config.listen;
    match (config.demo_explicit, listen.ip().is_loopback()) {
        (false, _) => format!(
            "Demo mode is on by default, so the panel listens on loopback only ({listen}). \
             For a real panel set demo = false (LUNAPANEL_DEMO=false); the demo account is \
             then disabled."
        ),
        (true, true) => format!("Demo mode (asked for); listening on {listen} (loopback only)."),
        (true, false) => format!(
            "Warning: demo mode was asked for and the panel listens on {listen}, beyond \
             loopback: anyone who can reach it can sign in to the demo account, whose \
             password is published."
        ),
    }
}

/// With demo mode off, the demo account (if a demo ever ran here) cannot sign in: it is
/// disabled, which also ends its sessions; and it holds no administrator's place.
async fn disable_demo_account(
    store: &dyn Store,
    notes: &mut Vec<String>,
) -> Result<(), StartupError> {
    let Some(user) = store
        .user_by_email(DEMO_EMAIL)
        .await
        .map_err(StartupError::Demo)?
    else {
        return Ok(());
    };
    if user.role == app::types::Role::Admin {
        store
            .demote_admin(user.id)
            .await
            .map_err(StartupError::Demo)?;
        notes.push(format!(
            "The demo account {DEMO_EMAIL} was the administrator; it no longer is. The next \
             account signed up becomes the administrator."
        ));
    }
    if !user.disabled {
        store
            .set_user_disabled(user.id, true)
            .await
            .map_err(StartupError::Demo)?;
        notes.push(format!(
            "Demo mode is off: the demo account {DEMO_EMAIL} is disabled and cannot sign in."
        ));
    }
    Ok(())
}

/// `lunapanel rotate-master-key`: re-seals every stored credential and TOTP seed (see
/// `vault::rotate`).
pub async fn rotate_master_key(
    config: &Config,
) -> Result<app::server::vault::RotationReport, StartupError> {
    let store = store::connect(config.database_url.expose())
        .await
        .map_err(|source| StartupError::Database {
            url: config.database_url.redacted(),
            source,
        })?;
    let keyring = open_keyring(config, &store).await?;
    let report = app::server::vault::rotate(&store, &keyring, Duration::from_secs(2))
        .await
        .map_err(|e| StartupError::MasterKeyMismatch(e.to_string()));
    store.close().await;
    report
}

/// `lunapanel reset-second-factor EMAIL`: removes the account's second factor (for an
/// administrator locked out with no one to reset it for them); their sessions end. Audited
/// with no actor (the operator at the console). `false` when they had none.
pub async fn reset_second_factor(config: &Config, email: &str) -> Result<bool, StartupError> {
    use app::server::store::{AuditEntry, Outcome};
    let store = store::connect(config.database_url.expose())
        .await
        .map_err(|source| StartupError::Database {
            url: config.database_url.redacted(),
            source,
        })?;
    let fail = |e: store::StoreError| StartupError::Command(format!("database: {e}"));
    let result = async {
        let email = app::validate::normalize_email(email);
        let Some(user) = store.user_by_email(&email).await.map_err(fail)? else {
            return Err(StartupError::Command(format!(
                "no account has the e-mail address {email}"
            )));
        };
        let removed = store.delete_second_factor(user.id).await.map_err(fail)?;
        if removed.is_some() {
            store
                .audit(AuditEntry {
                    request_id: None,
                    actor_user_id: None,
                    actor_role: Some("operator".into()),
                    account_user_id: Some(user.reseller_id.unwrap_or(user.id)),
                    action: app::server::events::action::TOTP_RESET.into(),
                    target: format!("user:{}", user.id),
                    outcome: Outcome::Ok,
                    error_class: None,
                    ip: None,
                    impersonator_user_id: None,
                })
                .await
                .map_err(fail)?;
        }
        Ok(removed.is_some())
    }
    .await;
    store.close().await;
    result
}

/// The master keys: from `master_key` (environment) or the key file, which is created only
/// while no credential is stored. They must open a stored credential, or start-up stops
/// before anything is changed (SEC-1.5).
pub async fn open_keyring(config: &Config, store: &dyn Store) -> Result<Keyring, StartupError> {
    use app::server::vault::{credential_owner, seed_owner, Purpose};
    // One sealed value to try the keys on: a credential, else a TOTP seed.
    let mut sample = store
        .credentials_not_sealed_with(0, 1)
        .await
        .map_err(StartupError::Demo)?
        .into_iter()
        .next()
        .map(|(user, s)| (Purpose::UpstreamCredential, credential_owner(user), s));
    if sample.is_none() {
        sample = store
            .second_factors_not_sealed_with(0, 1)
            .await
            .map_err(StartupError::Demo)?
            .into_iter()
            .next()
            .map(|(user, s)| (Purpose::TotpSeed, seed_owner(user), s));
    }
    let keyring = match &config.master_key {
        Some(text) => Keyring::from_text(text.expose())?,
        None => {
            let path = &config.master_key_file;
            if sample.is_some() && !path.exists() {
                return Err(StartupError::MasterKeyMismatch(format!(
                    "the master key file {} is missing, but the database holds encrypted API \
                     keys or second-factor seeds; restore the file (or set \
                     LUNAPANEL_MASTER_KEY) and start again",
                    path.display()
                )));
            }
            Keyring::from_file(path)?
        }
    };
    if let Some((purpose, owner, sealed)) = sample {
        if let Err(e) = keyring.open(purpose, &owner, &sealed) {
            return Err(StartupError::MasterKeyMismatch(format!(
                "the configured master keys do not open the stored API keys ({e}); \
                 this is the wrong key file or LUNAPANEL_MASTER_KEY"
            )));
        }
    }
    Ok(keyring)
}

/// The demo account: created when absent, enabled, never the administrator (its password is
/// published), and a reseller, so the demo shows customers and branding too.
async fn ensure_demo_account(
    store: &dyn Store,
    hasher: &Hasher,
    notes: &mut Vec<String>,
) -> Result<i64, StartupError> {
    use app::types::Role;
    let (user, created) = match store
        .user_by_email(DEMO_EMAIL)
        .await
        .map_err(StartupError::Demo)?
    {
        Some(user) => (user, false),
        None => {
            let password_hash = hasher.hash(DEMO_PASSWORD).await?;
            let new = NewUser {
                email: DEMO_EMAIL.into(),
                display_name: "Demo User".into(),
                password_hash,
            };
            let user = store
                .create_user(new, SignUpGate::Open)
                .await
                .map_err(StartupError::Demo)?;
            (user, true)
        }
    };
    let demo = StartupError::Demo;
    if user.role == Role::Admin {
        // The first account of a fresh panel becomes the administrator; the demo account
        // gives that place up, so the first real sign-up takes it. (A demo account made
        // administrator by an earlier version is demoted the same way.)
        store.demote_admin(user.id).await.map_err(demo)?;
        if !created {
            notes.push(format!(
                "The demo account {DEMO_EMAIL} was the administrator; it no longer is."
            ));
        }
    }
    if matches!(user.role, Role::Admin | Role::Owner) {
        store.set_reseller(user.id, true).await.map_err(demo)?;
    }
    if user.disabled {
        store
            .set_user_disabled(user.id, false)
            .await
            .map_err(demo)?;
    }
    Ok(user.id)
}

fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("lunapanel")
        .site_root(config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .hash_files(hashed_build())
        .build()
}

/// Whether the build output has fingerprinted names: `cargo leptos build` (with the
/// workspace's `hash-files = true`) writes `hash.txt` beside the binary, which Leptos reads
/// to name the script, the wasm and the stylesheet. A binary without one (tests, a plain
/// `cargo build`) links the plain names.
fn hashed_build() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt").is_file()))
        .unwrap_or(false)
}

/// The app's routes, listed once per process. Listing runs the app with resource loading
/// suppressed through a process-global flag (leptos_server's `SuppressResourceLoad`): a
/// resource first polled while another router is being built would wait forever
/// (leptos-rs/leptos#4773). Several panels in one process (the integration tests) would
/// hit that; one listing, finished before any panel serves, cannot.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole HTTP application.
pub fn router(prepared: &Prepared) -> Router {
    let options = leptos_options(&prepared.config);
    let state = prepared.state.clone();
    let context = move || {
        provide_context(state.clone());
        csp::provide_nonce();
    };
    let routes = route_list();
    let live = Router::new()
        .route("/api/live/vms", get(app::server::live::vm_events))
        .route("/api/live/{kind}", get(app::server::lists::kind_events))
        .route(
            "/api/images/{image_id}/download",
            get(app::image::ssr::download),
        )
        .route("/audit.csv", get(app::audit::ssr::csv))
        .route(
            app::tenancy::ACCENT_CSS_PATH,
            get(app::tenancy::accent_css_route),
        )
        .route(
            app::dns::dynamic::UPDATE_PATH,
            get(app::dns::dynamic::update::handler).post(app::dns::dynamic::update::handler),
        )
        .layer(axum::Extension(app::server::session::StreamSlots::new(
            app::server::session::STREAMS_PER_USER,
        )))
        .with_state(prepared.state.clone());
    let app = Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context, shell,
        ))
        .with_state(options)
        // Each page on one thread (leptos-rs/leptos#4673): see `render`.
        .layer(axum::middleware::from_fn(render::on_one_thread))
        .merge(live)
        .layer(axum::middleware::from_fn(gates::server_fn_error_status))
        .layer(axum::middleware::from_fn_with_state(
            prepared.state.clone(),
            csp::page_policy,
        ))
        .layer(axum::middleware::from_fn(gates::require_sign_in))
        .layer(axum::middleware::from_fn_with_state(
            prepared.state.clone(),
            authenticate,
        ))
        .layer(prepared.sessions.clone().layer(
            prepared.config.secure_cookies(),
            prepared.config.idle_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::<str>::from(prepared.config.public_origin()),
            gates::origin_gate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::<[std::net::IpAddr]>::from(prepared.config.trusted_proxies.clone()),
            gates::client_addr,
        ));
    let ops = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .with_state(ops::OpsState {
            store: prepared.store.clone(),
            ready: prepared.ready.clone(),
            upstream: prepared.state.upstream.client.clone(),
        });
    let mut all = ops.merge(app);
    if prepared.metrics.is_some() {
        // Routes note their template on the response, for `track` further out.
        all = all.route_layer(axum::middleware::from_fn(metrics::mark_route));
    }
    let all = all
        .layer(axum::middleware::from_fn_with_state(
            prepared.metrics.clone(),
            metrics::main_listener,
        ))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            http::StatusCode::GATEWAY_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    let all = if prepared.metrics.is_some() {
        all.layer(axum::middleware::from_fn(metrics::track))
    } else {
        all
    };
    all.layer(gates::compression())
        .layer(axum::middleware::from_fn(gates::compress_only_own_requests))
        .layer(axum::middleware::from_fn_with_state(
            gates::HeaderPolicy {
                hsts: prepared.config.is_https(),
            },
            gates::response_headers,
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(telemetry::request_span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// A running server (for tests and the binary).
pub struct Running {
    pub addr: SocketAddr,
    /// The separate `/metrics` listener's address (`metrics_listen`), if any.
    pub metrics_addr: Option<SocketAddr>,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), StartupError>>,
}

impl Running {
    /// Begins a graceful shutdown and waits for it to finish.
    pub async fn stop(self) -> Result<(), StartupError> {
        let _ = self.shutdown.send(true);
        self.task.await.unwrap_or(Ok(()))
    }
}

/// Binds `config.listen` and serves in the background.
pub async fn start(prepared: Prepared) -> Result<Running, StartupError> {
    let addr = prepared.config.listen;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Listen { addr, source })?;
    start_on(prepared, listener).await
}

/// Serves on an already bound `listener` in the background.
pub async fn start_on(prepared: Prepared, listener: TcpListener) -> Result<Running, StartupError> {
    let addr = listener.local_addr().map_err(StartupError::Serve)?;
    let (shutdown, mut signal) = tokio::sync::watch::channel(false);
    let metrics_listener = match (prepared.config.metrics_listen, &prepared.metrics) {
        (Some(at), Some(scrape)) => {
            let listener = TcpListener::bind(at)
                .await
                .map_err(|source| StartupError::Listen { addr: at, source })?;
            Some((listener, metrics::listener_router(scrape.clone())))
        }
        _ => None,
    };
    let mut metrics_addr = None;
    let metrics_task = match metrics_listener {
        Some((listener, router)) => {
            metrics_addr = Some(listener.local_addr().map_err(StartupError::Serve)?);
            let mut stop = signal.clone();
            Some(tokio::spawn(async move {
                let served = axum::serve(listener, router)
                    .with_graceful_shutdown(async move {
                        let _ = stop.wait_for(|stop| *stop).await;
                    })
                    .await;
                if let Err(e) = served {
                    tracing::error!(error = %e, "the metrics listener failed");
                }
            }))
        }
        None => None,
    };
    let sweeper = tokio::spawn({
        let (sessions, store) = (prepared.sessions.clone(), prepared.store.clone());
        let idle = i64::try_from(prepared.config.idle_timeout.as_secs()).unwrap_or(i64::MAX);
        async move {
            // The listings of sessions that timed out go with them.
            let listings = async move {
                let mut tick = tokio::time::interval(SESSION_SWEEP);
                loop {
                    tick.tick().await;
                    let before = app::server::store::now_unix().saturating_sub(idle);
                    if let Err(e) = store.prune_sessions(before).await {
                        tracing::warn!(error = %e, "pruning timed-out session listings failed");
                    }
                }
            };
            tokio::join!(sessions.delete_expired_every(SESSION_SWEEP), listings);
        }
    });
    let app = router(&prepared);
    let ready = prepared.ready.clone();
    let store = prepared.store.clone();
    let task = tokio::spawn(async move {
        let drain = async move {
            let _ = signal.wait_for(|stop| *stop).await;
            ready.store(false, Ordering::SeqCst);
            tracing::info!("shutting down: finishing requests in flight");
        };
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(drain)
        .await
        .map_err(StartupError::Serve);
        if let Some(task) = metrics_task {
            let _ = task.await;
        }
        sweeper.abort();
        store.close().await;
        served
    });
    Ok(Running {
        addr,
        metrics_addr,
        shutdown,
        task,
    })
}

/// Serves until SIGTERM or Ctrl-C, then drains and returns.
pub async fn serve(config: Config) -> Result<(), StartupError> {
    let demo = config.demo;
    let public = config.public_origin();
    let prepared = prepare(config).await?;
    let notes = prepared.notes.clone();
    let running = start(prepared).await?;
    tracing::info!(addr = %running.addr, "lunapanel is listening");
    if let Some(addr) = running.metrics_addr {
        tracing::info!(%addr, "metrics are served at /metrics on this address");
    }
    println!("lunapanel is running at {public}");
    if demo {
        println!("Demo mode: sign in as {DEMO_EMAIL} with password {DEMO_PASSWORD}");
    }
    for note in notes {
        println!("{note}");
    }
    telemetry::shutdown_signal().await;
    running.stop().await
}
