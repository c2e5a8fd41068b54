//! What the benchmark examples share (`mod common;` in each; not an example itself).

use app::server::lunanode::actions::VmCreate;
use app::server::lunanode::{Credential, LunaNode};
use lunapanel::emulator::{AccountSpec, Emulator, EmulatorConfig};

/// Makes a VM called `hostname` (plan `s.1`, image 1000) on the emulator behind `client`;
/// returns its id.
#[allow(
    dead_code,
    reason = "each example compiles this module on its own; not every one makes VMs"
)]
pub async fn make_vm(client: &LunaNode, cred: &Credential, hostname: String) -> String {
    client
        .vm_create(
            cred,
            &VmCreate {
                hostname,
                plan_id: "s.1".into(),
                image_id: Some("1000".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .vm_id
}

/// Starts a panel on a SQLite file in `dir` against the upstream `base` (no demo, open sign-up,
/// no per-account rate limit, plus `extra` settings), signs up its owner and saves the API
/// credential `api_id`/`api_key`; returns the running panel, the owner's client (with the
/// headers a same-origin page sends) and the panel's base URL.
#[allow(
    dead_code,
    reason = "each example compiles this module on its own; not every one starts a panel this way"
)]
pub async fn owner_panel(
    dir: &std::path::Path,
    base: &str,
    api_id: &str,
    api_key: &str,
    extra: &[(&str, String)],
) -> (lunapanel::Running, reqwest::Client, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut settings = panel_settings(addr, dir, base);
    settings.extend(extra.iter().cloned());
    let config = lunapanel::config::load(None, Vec::new(), &settings).unwrap();
    let prepared = lunapanel::prepare(config).await.unwrap();
    let running = lunapanel::start_on(prepared, listener).await.unwrap();
    let panel = format!("http://{addr}");
    let http = client(&panel);
    sign_up(&http, &panel, "Owner", "owner@example.com").await;
    save_credential(&http, &panel, api_id, api_key).await;
    (running, http, panel)
}

/// A browser-like client of the panel at `panel`: it keeps cookies and sends the headers a
/// same-origin page sends, with connections kept for concurrent benchmark rounds.
#[allow(
    dead_code,
    reason = "each example compiles this module on its own; not every one talks to a panel"
)]
pub fn client(panel: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(same_origin(panel))
        .pool_max_idle_per_host(64)
        .build()
        .unwrap()
}

/// The headers a page of the panel at `panel` sends with its requests.
#[allow(
    dead_code,
    reason = "each example compiles this module on its own; not every one talks to a panel"
)]
pub fn same_origin(panel: &str) -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", panel.parse().unwrap());
    headers.insert("sec-fetch-site", "same-origin".parse().unwrap());
    headers
}

/// Signs up `name` with `email` (password "<first word of email> password 1") through
/// `http`, which keeps the session if it keeps cookies.
#[allow(
    dead_code,
    reason = "each example compiles this module on its own; not every one talks to a panel"
)]
pub async fn sign_up(http: &reqwest::Client, panel: &str, name: &str, email: &str) {
    let password = format!("{} password 1", email.split('@').next().unwrap_or(email));
    let res = http
        .post(format!("{panel}/api/sign_up"))
        .form(&[
            ("name", name),
            ("email", email),
            ("password", &password),
            ("confirm", &password),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "sign_up {email}");
}

/// Saves the API credential `api_id`/`api_key` for the user signed in on `http`.
#[allow(
    dead_code,
    reason = "each example compiles this module on its own; not every one talks to a panel"
)]
pub async fn save_credential(http: &reqwest::Client, panel: &str, api_id: &str, api_key: &str) {
    let res = http
        .post(format!("{panel}/api/credential/save"))
        .form(&[("api_id", api_id), ("api_key", api_key)])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success(),
        "credential/save: {}",
        res.text().await.unwrap()
    );
}

/// An emulator with one account (`api_id`/`api_key`, ample credit, VMs online at once),
/// serving on a free local port; returns it and its API base URL.
#[allow(
    dead_code,
    reason = "each example compiles this module on its own; not every one starts an emulator this way"
)]
pub async fn emulator(api_id: &str, api_key: &str) -> (Emulator, String) {
    let emulator = Emulator::new(EmulatorConfig {
        accounts: vec![AccountSpec {
            api_id: api_id.into(),
            api_key: api_key.into(),
            credit: 1e9,
        }],
        time_scale: 0.0,
        ..Default::default()
    });
    let base = emulator
        .spawn(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap())
        .unwrap();
    (emulator, base)
}

/// The settings of a benchmark's panel listening on `addr`: a SQLite file and key file in
/// `dir`, the upstream `base`, no demo, open sign-up, quiet logs and no per-account rate limit
/// (the benches go far beyond fair use).
pub fn panel_settings(
    addr: std::net::SocketAddr,
    dir: &std::path::Path,
    base: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("listen", addr.to_string()),
        (
            "database_url",
            format!("sqlite://{}/panel.db", dir.display()),
        ),
        (
            "master_key_file",
            dir.join("master.key").display().to_string(),
        ),
        ("upstream_url", base.to_owned()),
        ("demo", "false".into()),
        ("sign_up", "open".into()),
        ("log_level", "warn".into()),
        ("upstream_account_rate", "0".into()),
    ]
}
