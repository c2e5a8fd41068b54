//! Benchmark (not a test) of sign-in under attack, all over loopback HTTP against a panel in
//! process on a throw-away SQLite database (release build; `server/scripts/bench.sh`):
//!
//! - a brute force on one account from one address and from many: answers by status, how
//!   many passwords were really hashed, and how long until the owner's right password works;
//! - credential stuffing from one address over many accounts;
//! - 200 sign-ins at once from 200 addresses (the hashing queue): how many were answered
//!   503 "busy", and `/healthz` latency meanwhile;
//! - the cost of one right sign-in, and of one throttled refusal.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn client(base: &str, from: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", base.parse().unwrap());
    headers.insert("sec-fetch-site", "same-origin".parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .local_address(from.parse::<std::net::IpAddr>().unwrap())
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn sign_in(c: &reqwest::Client, base: &str, email: &str, password: &str) -> u16 {
    c.post(format!("{base}/api/sign_in"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

fn tally(statuses: &[u16]) -> String {
    let mut t = BTreeMap::new();
    for s in statuses {
        *t.entry(*s).or_insert(0) += 1;
    }
    t.iter()
        .map(|(s, n)| format!("{n}×{s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let dir = std::env::temp_dir().join(format!("lunapanel_bench_auth_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = lunapanel::config::load(
        None,
        Vec::new(),
        &[
            ("listen", addr.to_string()),
            (
                "database_url",
                format!("sqlite://{}/panel.db", dir.display()),
            ),
            (
                "master_key_file",
                dir.join("master.key").display().to_string(),
            ),
            ("demo", "false".into()),
            ("sign_up", "open".into()),
            ("sign_ups_per_hour", "1000".into()),
            ("throttle_cap_seconds", "3".into()),
            ("log_level", "error".into()),
            ("site_root", "target/site".into()),
        ],
    )
    .unwrap();
    let prepared = lunapanel::prepare(config).await.unwrap();
    let hasher = prepared.state.hasher.clone();
    let running = lunapanel::start_on(prepared, listener).await.unwrap();
    let base = format!("http://{addr}");
    let owner = client(&base, "127.0.0.1");
    let res = owner
        .post(format!("{base}/api/sign_up"))
        .form(&[
            ("name", "Ada"),
            ("email", "ada@example.com"),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    println!("sign-in under attack (block cap 3 s for the run; 15 min by default)");

    // One right sign-in, for scale.
    let mut times = Vec::new();
    for _ in 0..10 {
        let c = client(&base, "127.0.0.2");
        let t = Instant::now();
        assert_eq!(sign_in(&c, &base, "ada@example.com", PASSWORD).await, 200);
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "  right password, one at a time:            p50 {:?}",
        percentile(&times, 0.5)
    );

    // Brute force, one address.
    let attacker = client(&base, "127.0.1.1");
    let runs = hasher.runs();
    let t = Instant::now();
    let mut statuses = Vec::new();
    let mut refusal = Vec::new();
    for i in 0..300 {
        let r = Instant::now();
        let s = sign_in(&attacker, &base, "ada@example.com", &format!("guess {i}")).await;
        if s == 429 {
            refusal.push(r.elapsed());
        }
        statuses.push(s);
    }
    refusal.sort();
    println!(
        "  300 guesses, one account, one address:    {} in {:?}; {} passwords hashed; a refusal p50 {:?}",
        tally(&statuses),
        t.elapsed(),
        hasher.runs() - runs,
        percentile(&refusal, 0.5)
    );
    let t = Instant::now();
    loop {
        if sign_in(&owner, &base, "ada@example.com", PASSWORD).await == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "  the owner's right password works again after {:?}",
        t.elapsed()
    );

    // Brute force from 300 addresses.
    let runs = hasher.runs();
    let t = Instant::now();
    let mut statuses = Vec::new();
    for i in 0..300 {
        let c = client(&base, &format!("127.0.{}.{}", 2 + i / 250, 1 + i % 250));
        statuses.push(sign_in(&c, &base, "ada@example.com", &format!("guess {i}")).await);
    }
    println!(
        "  300 guesses, one account, 300 addresses:  {} in {:?}; {} passwords hashed",
        tally(&statuses),
        t.elapsed(),
        hasher.runs() - runs
    );
    tokio::time::sleep(Duration::from_secs(4)).await;

    // Credential stuffing from one address.
    let stuffer = client(&base, "127.0.9.9");
    let runs = hasher.runs();
    let mut statuses = Vec::new();
    for i in 0..300 {
        statuses.push(sign_in(&stuffer, &base, &format!("user{i}@example.com"), PASSWORD).await);
    }
    println!(
        "  300 accounts tried from one address:      {}; {} passwords hashed",
        tally(&statuses),
        hasher.runs() - runs
    );

    // 200 at once from 200 addresses: the bounded hashing queue.
    let probe = reqwest::Client::new();
    let health = {
        let (probe, base) = (probe.clone(), base.clone());
        tokio::spawn(async move {
            let mut times = Vec::new();
            let end = Instant::now() + Duration::from_secs(3);
            while Instant::now() < end {
                let t = Instant::now();
                let _ = probe.get(format!("{base}/healthz")).send().await;
                times.push(t.elapsed());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            times.sort();
            times
        })
    };
    let t = Instant::now();
    let tries = (0..200).map(|i| {
        let base = base.clone();
        tokio::spawn(async move {
            let c = client(&base, &format!("127.1.{}.{}", i / 200, 1 + i % 200));
            sign_in(&c, &base, &format!("crowd{i}@example.com"), PASSWORD).await
        })
    });
    let statuses: Vec<u16> = futures::future::join_all(tries)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let elapsed = t.elapsed();
    let health = health.await.unwrap();
    println!(
        "  200 sign-ins at once, 200 addresses:      {} in {:?}; /healthz meanwhile p50 {:?} p99 {:?}",
        tally(&statuses),
        elapsed,
        percentile(&health, 0.5),
        percentile(&health, 0.99)
    );
    running.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
