//! Benchmark (not a test): upstream calls per minute with 1, 2 and 3 panel instances on one
//! PostgreSQL database against one emulator (issue 14.6). One account with 20 settled VMs;
//! each instance serves three open VM pages and one volumes page of the same user (event
//! streams), and the user loads the VM list page every 5 s (on the instances in turn). Only
//! the instance holding an account's lease polls, so the calls per minute should not grow with the instances or the
//! tabs. Default poller timing (fast 2 s, slow 30 s); `BENCH_WINDOW_SECS` (default 60) sets
//! each measurement's length. Needs PostgreSQL (`LUNAPANEL_TEST_PG`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`). Run with `server/scripts/bench.sh`.

use std::time::Duration;

mod common;

use app::server::lunanode::{ClientOptions, Credential, LunaNode};
use app::server::testdb::TestDb;
use secrecy::SecretString;

const API_ID: &str = "benchapiid000001";
const PASSWORD: &str = "bench password 1";

/// Starts one instance on `db_url` with the shared `key_file`; its public URL is `public`
/// (the first instance's address, as behind one proxy), so one browser's cookies and Origin
/// are good on all.
async fn instance(
    db_url: &str,
    key_file: &std::path::Path,
    upstream: &str,
    public: Option<&str>,
) -> (String, lunapanel::Running) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let own = format!("http://{addr}");
    let config = lunapanel::config::load(
        None,
        Vec::new(),
        &[
            ("listen", addr.to_string()),
            ("public_url", public.unwrap_or(&own).to_owned()),
            ("database_url", db_url.to_owned()),
            ("master_key_file", key_file.display().to_string()),
            ("upstream_url", upstream.to_owned()),
            ("demo", "false".into()),
            ("sign_up", "open".into()),
            ("log_level", "warn".into()),
            ("site_root", "target/site".into()),
        ],
    )
    .expect("bench config");
    let prepared = lunapanel::prepare(config).await.expect("prepare");
    let running = lunapanel::start_on(prepared, listener)
        .await
        .expect("start");
    (own, running)
}

/// Opens the event stream at `url` and reads it until the benchmark ends.
async fn stream(http: &reqwest::Client, url: String) -> tokio::task::JoinHandle<()> {
    let r = http.get(url).send().await.unwrap();
    assert!(r.status().is_success(), "stream refused: {}", r.status());
    tokio::spawn(async move {
        use futures::StreamExt;
        let mut s = r.bytes_stream();
        while s.next().await.is_some() {}
    })
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let window = Duration::from_secs(
        std::env::var("BENCH_WINDOW_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60),
    );
    let api_key = "b".repeat(128);
    let (emulator, upstream) = common::emulator(API_ID, &api_key).await;
    let client = LunaNode::new(&upstream, ClientOptions::default()).unwrap();
    let cred = Credential::new(API_ID, SecretString::from(api_key.clone())).unwrap();
    for i in 0..20 {
        common::make_vm(&client, &cred, format!("vm-{i:02}.bench.example")).await;
    }

    let db = TestDb::postgres().await;
    let keys = std::env::temp_dir().join(format!("lunapanel_bench_keys_{}", std::process::id()));
    std::fs::create_dir_all(&keys).unwrap();
    let key_file = keys.join("master.key");

    let (first, running) = instance(&db.url, &key_file, &upstream, None).await;
    let mut instances = vec![(first.clone(), running)];
    let http = {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("origin", first.parse().unwrap());
        headers.insert("sec-fetch-site", "same-origin".parse().unwrap());
        reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .build()
            .unwrap()
    };
    for (name, email) in [
        ("Admin", "admin@example.com"),
        ("Bench", "bench@example.com"),
    ] {
        let r = http
            .post(format!("{first}/api/sign_up"))
            .form(&[
                ("name", name),
                ("email", email),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "sign-up: {}", r.status());
    }
    let r = http
        .post(format!("{first}/api/credential/save"))
        .form(&[("api_id", API_ID), ("api_key", api_key.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "credential: {}", r.status());

    println!(
        "Upstream calls per minute against one emulator, one account with 20 settled VMs,\n\
         default poller timing (fast 2 s, slow 30 s), {window:?} per measurement;\n\
         each instance: 3 open VM pages, 1 volumes page; a VM list page load every 5 s in all:"
    );
    let mut tasks = Vec::new();
    let mut figures = Vec::new();
    for n in 1..=3usize {
        if n > 1 {
            instances.push(instance(&db.url, &key_file, &upstream, Some(&first)).await);
        }
        let base = instances[n - 1].0.clone();
        for _ in 0..3 {
            tasks.push(stream(&http, format!("{base}/api/live/vms")).await);
        }
        tasks.push(stream(&http, format!("{base}/api/live/volumes")).await);
        let loads = {
            let (http, bases): (_, Vec<String>) = (
                http.clone(),
                instances.iter().map(|i| i.0.clone()).collect(),
            );
            tokio::spawn(async move {
                // The same user's page loads, spread over the instances in turn (as a
                // balancer would): as many with one instance as with three.
                for turn in 0usize.. {
                    let b = &bases[turn % bases.len()];
                    let r = http.post(format!("{b}/api/vms/list")).send().await.unwrap();
                    assert!(r.status().is_success(), "vms/list: {}", r.status());
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            })
        };
        tokio::time::sleep(Duration::from_secs(3)).await;
        let count = |path: &str| emulator.calls(path);
        let (l0, i0, v0, t0) = (
            count("vm/list"),
            count("vm/info"),
            count("volume/list"),
            emulator.total_calls(),
        );
        tokio::time::sleep(window).await;
        let (l1, i1, v1, t1) = (
            count("vm/list"),
            count("vm/info"),
            count("volume/list"),
            emulator.total_calls(),
        );
        loads.abort();
        let per_min = |d: u64| d as f64 * 60.0 / window.as_secs_f64();
        println!(
            "  {n} instance(s), {} open pages: vm/list {:.0} + vm/info {:.0} + volume/list {:.0}; \
             all calls {:.0}/min",
            4 * n,
            per_min(l1 - l0),
            per_min(i1 - i0),
            per_min(v1 - v0),
            per_min(t1 - t0),
        );
        figures.push(per_min(t1 - t0));
    }
    println!(
        "  ratio 2 vs 1 instance: {:.2}, 3 vs 1: {:.2}",
        figures[1] / figures[0].max(1.0),
        figures[2] / figures[0].max(1.0)
    );
    for t in tasks {
        t.abort();
    }
    for (_, running) in instances {
        let _ = running.stop().await;
    }
    let _ = std::fs::remove_dir_all(&keys);
    drop(db);
}
