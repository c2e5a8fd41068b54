//! What the benchmark examples share (`mod common;` in each; not an example itself).

use app::server::lunanode::actions::VmCreate;
use app::server::lunanode::{Credential, LunaNode};
use lunapanel::emulator::{AccountSpec, Emulator, EmulatorConfig};

/// Makes a VM called `hostname` (plan `s.1`, image 1000) on the emulator behind `client`;
/// returns its id.
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
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", panel.parse().unwrap());
    headers.insert("sec-fetch-site", "same-origin".parse().unwrap());
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .unwrap();
    let res = http
        .post(format!("{panel}/api/sign_up"))
        .form(&[
            ("name", "Owner"),
            ("email", "owner@example.com"),
            ("password", "owner password 1"),
            ("confirm", "owner password 1"),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "sign_up");
    let res = http
        .post(format!("{panel}/api/credential/save"))
        .form(&[("api_id", api_id), ("api_key", api_key)])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "credential/save");
    (running, http, panel)
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
