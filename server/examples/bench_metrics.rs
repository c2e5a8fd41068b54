//! Benchmark (not a test): what recording metrics costs a proxied server function. Two
//! panels on one in-process emulator: the first with metrics off (no recorder installed,
//! no layers), measured first; then the second with metrics on (the recorder installed,
//! request tracking, `/metrics` on a separate listener), measured the same way. Each runs
//! `catalog/plans` (one `plan/list` call) at concurrency 1 and 16, best of three rounds.
//! Also times a scrape. `cargo run [--release] -p lunapanel --example bench_metrics`.

use std::time::{Duration, Instant};

mod common;

const API_ID: &str = "benchapiid000001";

struct Figures {
    p50: Duration,
    p99: Duration,
    per_sec: f64,
}

async fn measure(http: &reqwest::Client, url: &str, total: usize, concurrency: usize) -> Figures {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let (http, url) = (http.clone(), url.to_owned());
        let mine = total / concurrency + usize::from(w < total % concurrency);
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(mine);
            for _ in 0..mine {
                let t = Instant::now();
                let r = http.post(&url).send().await.unwrap();
                assert!(r.status().is_success());
                r.bytes().await.unwrap();
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
    let at = |p: f64| all[((all.len() as f64 - 1.0) * p).round() as usize];
    Figures {
        p50: at(0.5),
        p99: at(0.99),
        per_sec: all.len() as f64 / elapsed.as_secs_f64(),
    }
}

/// A panel on `upstream` with a signed-in owner whose key is saved (`extra` settings added);
/// its base URL, the client, and the running server.
async fn panel(
    upstream: &str,
    api_key: &str,
    extra: &[(&'static str, String)],
) -> (String, reqwest::Client, lunapanel::Running) {
    let dir = std::env::temp_dir().join(format!(
        "lunapanel_bench_metrics_{}_{}",
        std::process::id(),
        extra.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut settings = vec![
        ("site_root", "target/site".to_owned()),
        // The bench goes far beyond fair use: no call budgets.
        ("upstream_customer_rate", "0".to_owned()),
    ];
    settings.extend(extra.iter().cloned());
    let (running, http, base) =
        common::owner_panel(&dir, upstream, API_ID, api_key, &settings).await;
    (base, http, running)
}

async fn report(name: &str, http: &reqwest::Client, base: &str) {
    let url = format!("{base}/api/catalog/plans");
    // Warm up (connections, caches, the allocator).
    measure(http, &url, 300, 4).await;
    for (c, n) in [(1usize, 600usize), (16, 2000)] {
        let mut best: Option<Figures> = None;
        for _ in 0..3 {
            let f = measure(http, &url, n, c).await;
            if best.as_ref().is_none_or(|b| f.p50 < b.p50) {
                best = Some(f);
            }
        }
        let f = best.unwrap();
        println!(
            "  {name:<12} c={c:<3} p50 {:>9.3?}  p99 {:>9.3?}  {:>8.0}/s",
            f.p50, f.p99, f.per_sec
        );
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let api_key = "b".repeat(128);
    let (_emulator, upstream) = common::emulator(API_ID, &api_key).await;
    println!("Proxied catalog/plans (one plan/list call), best of 3 rounds:");
    let (base, http, off) = panel(&upstream, &api_key, &[]).await;
    report("metrics off", &http, &base).await;
    off.stop().await.unwrap();
    let (base, http, on) = panel(
        &upstream,
        &api_key,
        &[("metrics_listen", "127.0.0.1:0".to_owned())],
    )
    .await;
    report("metrics on", &http, &base).await;
    let scrape_url = format!("http://{}/metrics", on.metrics_addr.unwrap());
    let scraper = reqwest::Client::new();
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..50 {
        let t = Instant::now();
        let body = scraper
            .get(&scrape_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        times.push(t.elapsed());
        size = body.len();
    }
    times.sort();
    println!(
        "  a scrape: p50 {:.3?}, {size} bytes",
        times[times.len() / 2]
    );
    // The recording itself, per request: one HTTP request and one upstream call recorded
    // (two counters, two histograms) into the installed recorder.
    use app::server::metrics as series;
    let n = 200_000u32;
    let t = Instant::now();
    for _ in 0..n {
        series::http_request("/api/catalog/plans", 200, Duration::from_micros(900));
        series::upstream_call(
            "plan/list",
            series::UpstreamOutcome::Ok,
            Some(Duration::from_micros(300)),
        );
    }
    println!(
        "  recording one request and one upstream call: {:.2?} each",
        t.elapsed() / n
    );
    on.stop().await.unwrap();
}
