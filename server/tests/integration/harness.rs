//! A real panel on a loopback port, over a throw-away SQLite or PostgreSQL database,
//! driven with reqwest like a browser would (cookies, Origin, fetch metadata).

use std::sync::Arc;

use app::error::AppError;
use app::server::session::SessionBackend;
use app::server::testdb::TestDb;
use app::server::{PanelSettings, ServerState};
use lunapanel::{config, prepare, start_on, Running};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Client, StatusCode};
use serde::de::DeserializeOwned;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct Panel {
    pub base: String,
    pub state: ServerState,
    pub sessions: SessionBackend,
    running: Option<Running>,
    pub db: TestDb,
    /// Holds this panel's master key file (`master.key`).
    pub keydir: std::path::PathBuf,
}

impl Drop for Panel {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.keydir);
    }
}

/// A fresh private folder for a panel's master key.
pub fn keydir() -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("lunapanel_keys_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub const PASSWORD: &str = "correct horse battery";

impl Panel {
    pub async fn start(db: Db) -> Panel {
        Self::start_with(db, &[], |_| {}).await
    }

    /// Starts a panel with extra config `flags` and `tweak` applied to its settings.
    pub async fn start_with(
        db: Db,
        flags: &[(&'static str, &str)],
        tweak: impl FnOnce(&mut PanelSettings),
    ) -> Panel {
        let test_db = match db {
            Db::Sqlite => TestDb::sqlite(),
            Db::Postgres => TestDb::postgres().await,
        };
        let keydir = keydir();
        let key_file = keydir.join("master.key");
        Self::start_on(test_db, keydir, &key_file, flags, tweak).await
    }

    /// Another instance of this panel (issue 14): the same database, master key file and
    /// Luna Node, its own port and memory. Its public URL is this panel's (as behind one
    /// proxy), so this panel's clients (their cookies and Origin) are good on it too.
    pub async fn another_instance(&self, flags: &[(&'static str, &str)]) -> Panel {
        let upstream = self.state.upstream.client.base_url().to_owned();
        let mut all = vec![
            ("upstream_url", upstream.as_str()),
            ("sign_up", "open"),
            ("public_url", self.base.as_str()),
        ];
        all.extend_from_slice(flags);
        let panel = Self::start_on(
            TestDb::borrowed(&self.db.url),
            keydir(),
            &self.keydir.join("master.key"),
            &all,
            |_| {},
        )
        .await;
        panel.state.live.set_timing(app::server::live::LiveTiming {
            fast: std::time::Duration::from_millis(150),
            slow: std::time::Duration::from_millis(400),
            ..Default::default()
        });
        panel
    }

    async fn start_on(
        test_db: TestDb,
        keydir: std::path::PathBuf,
        key_file: &std::path::Path,
        flags: &[(&'static str, &str)],
        tweak: impl FnOnce(&mut PanelSettings),
    ) -> Panel {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut all: Vec<(&str, String)> = vec![
            ("master_key_file", key_file.display().to_string()),
            ("listen", addr.to_string()),
            ("database_url", test_db.url.clone()),
            ("demo", "false".into()),
            // Tests call far faster than people click: call budgets as good as none, but
            // on the request path (budget.rs sets small ones to test them).
            ("upstream_account_rate", "10000".into()),
            ("upstream_account_burst", "100000".into()),
            ("upstream_customer_rate", "10000".into()),
            ("upstream_customer_burst", "100000".into()),
            (
                "site_root",
                std::env::temp_dir()
                    .join("lunapanel-test-site")
                    .display()
                    .to_string(),
            ),
        ];
        all.extend(flags.iter().map(|(k, v)| (*k, v.to_string())));
        let config = config::load(None, Vec::new(), &all).expect("test config");
        let mut prepared = prepare(config).await.expect("prepare");
        let settings = Arc::get_mut(&mut prepared.state.settings).expect("settings not shared yet");
        // Tests sign many accounts up from one address; the throttle tests lower it again.
        settings.throttle.sign_ups_per_hour = 100_000;
        tweak(settings);
        let state = prepared.state.clone();
        let sessions = prepared.sessions.clone();
        let running = start_on(prepared, listener).await.expect("start");
        Panel {
            base: format!("http://{addr}"),
            state,
            sessions,
            running: Some(running),
            db: test_db,
            keydir,
        }
    }

    /// A panel whose upstream is a fresh emulator (accounts A and B of
    /// `upstream::default_config`, adjusted by `config`).
    pub async fn with_emulator(
        db: Db,
        config: impl FnOnce(&mut lunapanel::emulator::EmulatorConfig),
    ) -> (Panel, lunapanel::emulator::Emulator) {
        Self::with_emulator_flags(db, &[], config).await
    }

    /// [`Panel::with_emulator`] with extra config `flags`.
    pub async fn with_emulator_flags(
        db: Db,
        flags: &[(&'static str, &str)],
        config: impl FnOnce(&mut lunapanel::emulator::EmulatorConfig),
    ) -> (Panel, lunapanel::emulator::Emulator) {
        let mut cfg = crate::upstream::default_config();
        config(&mut cfg);
        let emulator = lunapanel::emulator::Emulator::new(cfg);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = emulator.spawn(listener).unwrap();
        let mut all = vec![("upstream_url", base.as_str()), ("sign_up", "open")];
        all.extend_from_slice(flags);
        let panel = Self::start_with(db, &all, |_| {}).await;
        panel.state.live.set_timing(app::server::live::LiveTiming {
            fast: std::time::Duration::from_millis(150),
            slow: std::time::Duration::from_millis(400),
            ..Default::default()
        });
        (panel, emulator)
    }

    /// Saves (tests and stores) an API key for the signed-in user of `client`.
    pub async fn save_key(
        &self,
        client: &Client,
        api_id: &str,
        api_key: &str,
        password: Option<&str>,
    ) -> Result<app::credential::CredentialView, AppError> {
        let mut form = vec![("api_id", api_id), ("api_key", api_key)];
        if let Some(p) = password {
            form.push(("password", p));
        }
        self.call(client, "credential/save", &form).await
    }

    /// A signed-in owner (`email`) on a fresh client (sign-up is open in `start_open`).
    pub async fn owner(&self, email: &str) -> Client {
        let c = self.client();
        self.sign_up(&c, email, None).await.expect("sign-up");
        c
    }

    /// A browser-like client: keeps cookies, sends same-origin fetch metadata, and does
    /// not follow redirects.
    pub fn client(&self) -> Client {
        let mut headers = HeaderMap::new();
        headers.insert("origin", HeaderValue::from_str(&self.base).unwrap());
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            // A response that never ends fails its test instead of stalling the run.
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap()
    }

    /// [`Panel::client`] whose connections come from `ip` (a loopback address such as
    /// `127.0.0.7`: every one of 127.0.0.0/8 reaches the panel), as another computer's
    /// would.
    pub fn client_from(&self, ip: &str) -> Client {
        let mut headers = HeaderMap::new();
        headers.insert("origin", HeaderValue::from_str(&self.base).unwrap());
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .local_address(ip.parse::<std::net::IpAddr>().expect("an IP address"))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap()
    }

    /// A client with no cookie store and no default headers.
    pub fn bare_client(&self) -> Client {
        Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A response that never ends fails its test instead of stalling the run.
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap()
    }

    /// Calls server function `name` with form arguments; returns the status and body.
    pub async fn call_raw(
        &self,
        client: &Client,
        name: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let res = client
            .post(format!("{}/api/{name}", self.base))
            .form(form)
            .send()
            .await
            .expect("request");
        let status = res.status();
        (status, res.text().await.unwrap())
    }

    /// Calls server function `name` and decodes its result.
    pub async fn call<T: DeserializeOwned>(
        &self,
        client: &Client,
        name: &str,
        form: &[(&str, &str)],
    ) -> Result<T, AppError> {
        let (status, body) = self.call_raw(client, name, form).await;
        if status.is_success() {
            Ok(serde_json::from_str(&body).unwrap_or_else(|e| panic!("{name}: {e}: {body}")))
        } else {
            Err(serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("{name} ({status}): {e}: {body}")))
        }
    }

    pub async fn sign_up(
        &self,
        client: &Client,
        email: &str,
        invite: Option<&str>,
    ) -> Result<app::types::SessionUser, AppError> {
        self.call(client, "sign_up", &sign_up_form(email, invite))
            .await
    }

    /// The stored account with `email` (it must exist).
    pub async fn user(&self, email: &str) -> app::server::store::User {
        self.state
            .store
            .user_by_email(email)
            .await
            .unwrap()
            .expect("an account with this e-mail address")
    }

    /// The server-rendered page at `path` (a GET by `client` that must answer), as text.
    pub async fn page(&self, client: &Client, path: &str) -> String {
        client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Signs in an account without a second factor (one that asks for a code fails the test:
    /// use [`Panel::sign_in_outcome`]).
    pub async fn sign_in(
        &self,
        client: &Client,
        email: &str,
        password: &str,
    ) -> Result<app::types::SessionUser, AppError> {
        match self.sign_in_outcome(client, email, password).await? {
            app::types::SignInOutcome::SignedIn(user) => Ok(user),
            app::types::SignInOutcome::CodeNeeded => {
                panic!("{email} has a second factor: sign in with sign_in_outcome")
            }
        }
    }

    /// The first step of signing in: signed in, or a code is needed next (`sign_in/code`).
    pub async fn sign_in_outcome(
        &self,
        client: &Client,
        email: &str,
        password: &str,
    ) -> Result<app::types::SignInOutcome, AppError> {
        self.call(
            client,
            "sign_in",
            &[("email", email), ("password", password)],
        )
        .await
    }

    pub async fn info(&self, client: &Client) -> app::types::PanelInfo {
        self.call(client, "panel_info", &[])
            .await
            .expect("panel_info")
    }

    /// Signs up the first (admin) account on a fresh client.
    pub async fn admin(&self) -> Client {
        let c = self.client();
        self.sign_up(&c, "admin@example.com", None)
            .await
            .expect("admin sign-up");
        c
    }

    /// The separate `/metrics` listener's address (`metrics_listen`), if any.
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        self.running.as_ref().and_then(|r| r.metrics_addr)
    }

    pub async fn stop(mut self) {
        self.halt().await;
    }

    /// Stops serving (and closes its database pool) but keeps the database: another
    /// instance on it goes on (a dead instance, for the scale-out tests).
    pub async fn halt(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.expect("clean shutdown");
        }
    }
}

/// Runs an async test case against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! both {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::harness::Db::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    if app::server::testdb::pg_skipped() {
                        return;
                    }
                    super::$case($crate::harness::Db::Postgres).await;
                }
            )*
        }
    };
}

/// The value of the session cookie in a `Set-Cookie` header list, if any.
/// The fields of a sign-up form for `email` (with `invite`, when given).
pub fn sign_up_form<'a>(email: &'a str, invite: Option<&'a str>) -> Vec<(&'static str, &'a str)> {
    let mut form = vec![
        ("name", "Test User"),
        ("email", email),
        ("password", PASSWORD),
        ("confirm", PASSWORD),
    ];
    if let Some(token) = invite {
        form.push(("invite", token));
    }
    form
}

/// A list's paging as a server function's form fields: `search` → `paging[search]`,
/// `filters[0]` → `paging[filters][0]`; none at all is every default (page 1 of 50).
pub fn paging_fields<'a>(args: &[(&str, &'a str)]) -> Vec<(String, &'a str)> {
    args.iter()
        .map(|(k, v)| match k.split_once('[') {
            Some((head, rest)) => (format!("paging[{head}][{rest}"), *v),
            None => (format!("paging[{k}]"), *v),
        })
        .collect()
}

pub fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("lp_sid="))
        .map(str::to_owned)
}

/// Polls `probe` every 100 ms until it answers `Ok`, and returns that; fails the test after
/// `secs` seconds, naming `what` and the last thing `probe` saw (its `Err`).
pub async fn eventually<T, S, F, Fut>(what: &str, secs: u64, mut probe: F) -> T
where
    S: std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, S>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        match probe().await {
            Ok(done) => return done,
            Err(seen) => assert!(
                std::time::Instant::now() < deadline,
                "never {what} within {secs} s; last seen: {seen:?}"
            ),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Renders each `(page, expected)` `times` times as `client` and checks that the server's
/// HTML holds `expected` and no error page: a first visit without JavaScript shows the
/// content, however the work lands on the runtime's threads.
pub async fn assert_pages_render(
    panel: &Panel,
    client: &Client,
    pages: &[(&str, &str)],
    times: usize,
) {
    for (page, expected) in pages {
        for _ in 0..times {
            let html = panel.page(client, page).await;
            let main: String = html[html.find("<main").unwrap_or(0)..]
                .chars()
                .take(1500)
                .collect();
            assert!(html.contains(expected), "{page} lacks {expected:?}: {main}");
            assert!(
                !html.contains("Something went wrong"),
                "{page} rendered an error"
            );
        }
    }
}

/// Asserts a refusal (409) whose text holds `words`.
pub fn conflict(r: Result<impl std::fmt::Debug, app::error::AppError>, words: &str) {
    match r {
        Err(app::error::AppError::Conflict(m)) => assert!(m.contains(words), "{m}"),
        other => panic!("expected a refusal saying {words:?}, got {other:?}"),
    }
}

/// Asserts a validation error beside field `name`; returns its message.
pub fn error_beside(r: Result<impl std::fmt::Debug, app::error::AppError>, name: &str) -> String {
    match r {
        Err(e) => e
            .field(name)
            .unwrap_or_else(|| panic!("expected an error beside {name}, got {e:?}")),
        Ok(v) => panic!("expected an error beside {name}, got {v:?}"),
    }
}

/// Asserts "not found".
pub fn not_found(r: Result<impl std::fmt::Debug, app::error::AppError>) {
    match r {
        Err(app::error::AppError::NotFound(_)) => {}
        other => panic!("expected not found, got {other:?}"),
    }
}

/// A VM made through the panel by `c` in `region` from a public template, on network `net`
/// (`""`: the default one); returns its id.
pub async fn panel_vm(
    panel: &Panel,
    c: &reqwest::Client,
    hostname: &str,
    region: &str,
    net: &str,
) -> String {
    let options: app::vm::CreateOptions = panel.call(c, "vms/create_options", &[]).await.unwrap();
    let image = options
        .images
        .iter()
        .find(|i| i.region == region && i.public)
        .unwrap();
    let boot = format!("image:{}", image.image_id);
    panel
        .call(
            c,
            "vms/create",
            &[
                ("vm[hostname]", hostname),
                ("vm[region]", region),
                ("vm[plan_id]", "m.2"),
                ("vm[boot]", boot.as_str()),
                ("vm[net_id]", net),
            ],
        )
        .await
        .unwrap()
}
