//! Benchmark (not a test) of the panel's VM area against the in-process emulator, all over
//! loopback HTTP: a proxied server function vs the same call made directly with the client
//! (latency p50/p99 and throughput at concurrency 1 and 32), server rendering of `/vms` with
//! 500 VMs, a customer's scoped list vs the reseller's, and upstream calls per minute with 1
//! vs 8 open VM pages (the most one user may hold open). Run with
//! `server/scripts/bench.sh` (release build). `BENCH_PANEL_ONLY=proxy` runs only the first
//! comparison (the panel's own cost per uncached call, issue 14.4).

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::server::live::LiveTiming;
mod common;

use app::server::lunanode::actions::{PlanList, VmList};
use app::server::lunanode::{ClientOptions, Credential, LunaNode};
use secrecy::SecretString;

const API_ID: &str = "benchapiid000001";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

struct Figures {
    p50: Duration,
    p99: Duration,
    per_sec: f64,
}

/// Runs `total` calls of `f` with `concurrency` in flight.
async fn measure<F, Fut>(total: usize, concurrency: usize, f: F) -> Figures
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let f = Arc::new(f);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let f = f.clone();
        let mine = total / concurrency + usize::from(w < total % concurrency);
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(mine);
            for _ in 0..mine {
                let t = Instant::now();
                f().await;
                times.push(t.elapsed());
            }
            times
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    all.sort();
    Figures {
        p50: percentile(&all, 0.5),
        p99: percentile(&all, 0.99),
        per_sec: all.len() as f64 / elapsed.as_secs_f64(),
    }
}

fn row(name: &str, c: usize, f: &Figures) {
    println!(
        "  {name:<44} c={c:<3} p50 {:>9.3?}  p99 {:>9.3?}  {:>8.0}/s",
        f.p50, f.p99, f.per_sec
    );
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let api_key = "b".repeat(128);
    let (emulator, base) = common::emulator(API_ID, &api_key).await;
    let client = Arc::new(LunaNode::new(&base, ClientOptions::default()).unwrap());
    let cred = Arc::new(Credential::new(API_ID, SecretString::from(api_key.clone())).unwrap());
    for i in 0..500 {
        common::make_vm(&client, &cred, format!("vm-{i:03}.bench.example")).await;
    }

    // The panel, in process, on a throw-away SQLite database.
    let dir = std::env::temp_dir().join(format!("lunapanel_bench_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut settings = common::panel_settings(addr, &dir, &base);
    settings.extend([
        ("site_root", "target/site".into()),
        // The bench measures the proxy, far beyond fair use: no call budgets.
        ("upstream_customer_rate", "0".into()),
    ]);
    let config = lunapanel::config::load(None, Vec::new(), &settings).unwrap();
    let prepared = lunapanel::prepare(config).await.unwrap();
    let live = prepared.state.live.clone();
    let store = prepared.state.store.clone();
    let upstream = prepared.state.upstream.clone();
    let running = lunapanel::start_on(prepared, listener).await.unwrap();
    let panel = format!("http://{addr}");
    let http = common::client(&panel);
    let post = |name: &str, form: &[(&str, &str)]| {
        http.post(format!("{panel}/api/{name}")).form(form).send()
    };
    // The first account is the admin; the bench user is the second, made a reseller.
    common::sign_up(
        &common::client(&panel),
        &panel,
        "Admin",
        "admin@example.com",
    )
    .await;
    common::sign_up(&http, &panel, "Bench", "bench@example.com").await;
    let reseller = store
        .user_by_email("bench@example.com")
        .await
        .unwrap()
        .unwrap();
    store.set_reseller(reseller.id, true).await.unwrap();
    common::save_credential(&http, &panel, API_ID, &api_key).await;

    // Warm the poller until every VM has a status.
    let started = Instant::now();
    loop {
        let body = post("vms/list", &[]).await.unwrap().text().await.unwrap();
        let snapshot: app::vm::VmListing = serde_json::from_str(&body).unwrap();
        if snapshot.vms.len() == 500 && snapshot.vms.iter().all(|v| v.status.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "poller: all 500 VM statuses known after {:.1?} (25 vm/info per round)",
        started.elapsed()
    );

    println!("\nProxied server function vs direct client call, same emulator, loopback:");
    // Reference lists are kept per account for a minute: nothing kept here, so every
    // proxied plan list really goes upstream (the panel's own cost per call, issue 14.4).
    let ttl = upstream.reference_ttl();
    upstream.set_reference_ttl(Duration::ZERO);
    for c in [1usize, 32] {
        let n = if c == 1 { 300 } else { 1500 };
        let (cl, cr) = (client.clone(), cred.clone());
        let direct_list = measure(n, c, move || {
            let (cl, cr) = (cl.clone(), cr.clone());
            async move {
                cl.vm_list(&cr, &VmList {}).await.unwrap();
            }
        })
        .await;
        let h = http.clone();
        let p = panel.clone();
        let proxied_list = measure(n, c, move || {
            let (h, p) = (h.clone(), p.clone());
            async move {
                let r = h.post(format!("{p}/api/vms/list")).send().await.unwrap();
                assert!(r.status().is_success());
                r.bytes().await.unwrap();
            }
        })
        .await;
        let (cl, cr) = (client.clone(), cred.clone());
        let direct_plans = measure(n, c, move || {
            let (cl, cr) = (cl.clone(), cr.clone());
            async move {
                cl.plan_list(&cr, &PlanList {}).await.unwrap();
            }
        })
        .await;
        let h = http.clone();
        let p = panel.clone();
        let proxied_plans = measure(n, c, move || {
            let (h, p) = (h.clone(), p.clone());
            async move {
                let r = h
                    .post(format!("{p}/api/catalog/plans"))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
                r.bytes().await.unwrap();
            }
        })
        .await;
        row("direct  vm/list (500 VMs)", c, &direct_list);
        row(
            "proxied vms/list (shared poller's snapshot)",
            c,
            &proxied_list,
        );
        println!(
            "    ratio proxied/direct p50 {:.2}, throughput {:.2}x",
            proxied_list.p50.as_secs_f64() / direct_list.p50.as_secs_f64(),
            proxied_list.per_sec / direct_list.per_sec
        );
        row("direct  plan/list", c, &direct_plans);
        row(
            "proxied catalog/plans uncached (authz+decrypt+call)",
            c,
            &proxied_plans,
        );
        println!(
            "    ratio proxied/direct p50 {:.2}, throughput {:.2}x; added p50 {:.3?}, p99 {:.3?}",
            proxied_plans.p50.as_secs_f64() / direct_plans.p50.as_secs_f64(),
            proxied_plans.per_sec / direct_plans.per_sec,
            proxied_plans.p50.saturating_sub(direct_plans.p50),
            proxied_plans.p99.saturating_sub(direct_plans.p99),
        );
    }
    upstream.set_reference_ttl(ttl);
    if std::env::var("BENCH_PANEL_ONLY").is_ok_and(|v| v == "proxy") {
        running.stop().await.unwrap();
        let _ = std::fs::remove_dir_all(dir);
        return;
    }

    println!(
        "\nCustomer scoping: vms/list as the reseller (500 VMs) vs as a customer (50 of them):"
    );
    let res = post(
        "customers/create",
        &[
            ("name", "Customer"),
            ("email", "customer@example.com"),
            ("password", "customer password 1"),
        ],
    )
    .await
    .unwrap();
    let customer_id: i64 = res.json().await.unwrap();
    let body = post("vms/list", &[]).await.unwrap().text().await.unwrap();
    let snapshot: app::vm::VmListing = serde_json::from_str(&body).unwrap();
    for v in snapshot.vms.iter().take(50) {
        store
            .assign(reseller.id, "vm", &v.vm_id, customer_id)
            .await
            .unwrap();
    }
    let customer = common::client(&panel);
    let res = customer
        .post(format!("{panel}/api/sign_in"))
        .form(&[
            ("email", "customer@example.com"),
            ("password", "customer password 1"),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    for c in [1usize, 32] {
        let n = if c == 1 { 300 } else { 1500 };
        let mut figures = Vec::new();
        for who in [&http, &customer] {
            let h = who.clone();
            let p = panel.clone();
            figures.push(
                measure(n, c, move || {
                    let (h, p) = (h.clone(), p.clone());
                    async move {
                        let r = h.post(format!("{p}/api/vms/list")).send().await.unwrap();
                        assert!(r.status().is_success());
                        r.bytes().await.unwrap();
                    }
                })
                .await,
            );
        }
        row("vms/list as the reseller (all 500)", c, &figures[0]);
        row("vms/list as a customer (ledger + policy)", c, &figures[1]);
    }

    println!("\nThe command palette's index and the overview's costs, as the reseller (500 VMs):");
    for (name, path) in [
        ("search/index (every kind, shared pollers)", "search/index"),
        (
            "overview/billing (areas, customers, record)",
            "overview/billing",
        ),
    ] {
        for c in [1usize, 8] {
            let h = http.clone();
            let p = panel.clone();
            let f = measure(if c == 1 { 100 } else { 400 }, c, move || {
                let (h, p) = (h.clone(), p.clone());
                async move {
                    let r = h.post(format!("{p}/api/{path}")).send().await.unwrap();
                    assert!(r.status().is_success());
                    r.bytes().await.unwrap();
                }
            })
            .await;
            row(name, c, &f);
        }
    }
    // Every keystroke in the palette ranks the whole index in the browser.
    let body = post("search/index", &[])
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let index: app::search::SearchIndex = serde_json::from_str(&body).unwrap();
    let queries = [
        "vm-4",
        "203.0.113",
        "bench",
        "vm-499.bench.example",
        "zz-nothing",
    ];
    let rounds = 200;
    let t = Instant::now();
    let mut hits = 0;
    for _ in 0..rounds {
        for q in queries {
            hits += app::search::best(&index.items, q, 30).len();
        }
    }
    let per = t.elapsed() / (rounds * queries.len() as u32);
    println!(
        "  palette matching over {} entries: {per:.3?} per keystroke (native; {hits} hits)",
        index.items.len()
    );

    println!("\nServer rendering of /vms with 500 VMs:");
    let body = http
        .get(format!("{panel}/vms"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("vm-499.bench.example"), "all rows rendered");
    for c in [1usize, 8] {
        let h = http.clone();
        let p = panel.clone();
        let ssr = measure(if c == 1 { 60 } else { 200 }, c, move || {
            let (h, p) = (h.clone(), p.clone());
            async move {
                let r = h.get(format!("{p}/vms")).send().await.unwrap();
                assert!(r.status().is_success());
                r.bytes().await.unwrap();
            }
        })
        .await;
        row("GET /vms (500 rows)", c, &ssr);
    }
    println!("  HTML size {} bytes", body.len());

    println!(
        "\nUpstream calls per minute, settled VMs, default poller timing (fast 2 s, slow 30 s):"
    );
    live.set_timing(LiveTiming::default());
    let window = Duration::from_secs(60);
    for pages in [1usize, app::server::session::STREAMS_PER_USER] {
        let mut streams = Vec::new();
        for _ in 0..pages {
            let r = http
                .get(format!("{panel}/api/live/vms"))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "stream refused: {}", r.status());
            streams.push(tokio::spawn(async move {
                use futures::StreamExt;
                let mut s = r.bytes_stream();
                while s.next().await.is_some() {}
            }));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (l0, i0) = (emulator.calls("vm/list"), emulator.calls("vm/info"));
        tokio::time::sleep(window).await;
        let (l1, i1) = (emulator.calls("vm/list"), emulator.calls("vm/info"));
        println!(
            "  {pages:>2} open page(s): vm/list {} + vm/info {} = {} upstream calls/min",
            l1 - l0,
            i1 - i0,
            (l1 - l0) + (i1 - i0)
        );
        for s in streams {
            s.abort();
        }
    }
    println!(
        "\nPanel process RSS (panel + emulator + 500 VMs): {} MiB",
        rss_kib() / 1024
    );
    running.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}
