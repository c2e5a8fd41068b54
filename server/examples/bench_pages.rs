//! Upstream calls per page view (issue 14.3): a signed-in owner opens ten console pages in
//! a row (server rendered, as a first visit gets them: every resource a page reads is
//! read on the server), twice over, first with reference data read every time
//! (`reference_ttl_seconds = 0`, as before the cache) and then with the default time to
//! live; the emulator counts the calls by action. The live pollers' own calls are counted
//! too (they run on their own clock, the same in both runs).
//!
//! Then (issue 14.10) the server rendering of `/vms` for an account of many VMs: the
//! median time of 30 renders and the HTML's size (`BENCH_VMS`, 500 by default; set it to
//! run that part alone).
//!
//! `cargo run --release -p lunapanel --example bench_pages`

mod common;

use app::server::lunanode::{ClientOptions, Credential, LunaNode};
use lunapanel::emulator::Emulator;
use secrecy::SecretString;

const API_ID: &str = "benchapiid000002";
const PAGES: &[&str] = &[
    "/",
    "/vms",
    "/vms/new",
    "/images",
    "/volumes/new",
    "/networks",
    "/load-balancers/new",
    "/security-groups",
    "/scripts/new",
    "/plans",
];
/// Besides the reference lists the cache keeps (`refcache::CACHED`): the live pollers' lists.
const LIVE_LISTS: &[&str] = &["vm/list", "floating/list", "volume/list", "lb/list"];

/// The actions counted: what the cache keeps, then the pollers' lists.
fn actions() -> impl Iterator<Item = &'static str> {
    app::server::refcache::CACHED
        .iter()
        .chain(LIVE_LISTS)
        .copied()
}
async fn tour(ttl: &str) -> (u64, Vec<(&'static str, u64)>) {
    let api_key = "c".repeat(128);
    let (emulator, base) = common::emulator(API_ID, &api_key).await;
    let client = LunaNode::new(&base, ClientOptions::default()).unwrap();
    let cred = Credential::new(API_ID, SecretString::from(api_key.clone())).unwrap();
    for i in 0..5 {
        common::make_vm(&client, &cred, format!("vm-{i}.bench.example")).await;
    }
    let dir = std::env::temp_dir().join(format!(
        "lunapanel_bench_pages_{}_{ttl}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (running, http, panel) = common::owner_panel(
        &dir,
        &base,
        API_ID,
        &api_key,
        &[("reference_ttl_seconds", ttl.into())],
    )
    .await;
    let before: Vec<u64> = actions().map(|a| emulator.calls(a)).collect();
    let total_before = emulator.total_calls();
    let views = 2 * PAGES.len() as u64;
    for _ in 0..2 {
        for page in PAGES {
            let res = http.get(format!("{panel}{page}")).send().await.unwrap();
            assert!(res.status().is_success(), "{page}: {}", res.status());
            res.text().await.unwrap();
        }
    }
    let by_action = actions()
        .zip(before)
        .map(|(a, b)| (a, emulator.calls(a) - b))
        .collect();
    let total = emulator.total_calls() - total_before;
    running.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
    assert!(views > 0);
    (total, by_action)
}

/// The panel, signed in as an owner with the key of an emulator account of `vms` VMs.
async fn large_account(
    vms: usize,
) -> (
    Emulator,
    lunapanel::Running,
    reqwest::Client,
    String,
    std::path::PathBuf,
) {
    let api_key = "c".repeat(128);
    let (emulator, base) = common::emulator(API_ID, &api_key).await;
    let client = LunaNode::new(&base, ClientOptions::default()).unwrap();
    let cred = Credential::new(API_ID, SecretString::from(api_key.clone())).unwrap();
    for i in 0..vms {
        common::make_vm(&client, &cred, format!("vm-{i}.bench.example")).await;
    }
    let dir = std::env::temp_dir().join(format!(
        "lunapanel_bench_render_{}_{vms}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (running, http, panel) = common::owner_panel(&dir, &base, API_ID, &api_key, &[]).await;
    (emulator, running, http, panel, dir)
}

/// Renders `/vms` of an account of `vms` VMs 30 times (after the live list has them all
/// and a few renders to warm up): the median time and the HTML's size.
async fn render(vms: usize) -> (f64, usize) {
    let (_emulator, running, http, panel, dir) = large_account(vms).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let l: app::vm::VmListing = http
            .post(format!("{panel}/api/vms/list"))
            .form(&Vec::<(String, String)>::new())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if l.vms.len() >= vms {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the live list never had every VM"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let mut times = Vec::new();
    let mut bytes = 0;
    for i in 0..35 {
        let started = std::time::Instant::now();
        let res = http.get(format!("{panel}/vms")).send().await.unwrap();
        assert!(res.status().is_success(), "/vms: {}", res.status());
        let html = res.text().await.unwrap();
        let took = started.elapsed().as_secs_f64() * 1000.0;
        assert!(html.contains("vm-table"), "/vms rendered its table");
        bytes = html.len();
        if i >= 5 {
            times.push(took);
        }
    }
    times.sort_by(f64::total_cmp);
    running.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
    (times[times.len() / 2], bytes)
}

#[tokio::main]
async fn main() {
    let only_render = std::env::var("BENCH_VMS").ok();
    let vms: usize = only_render
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    if only_render.is_none() {
        tour_all().await;
    }
    let (p50, bytes) = render(vms).await;
    println!(
        "/vms with {vms} VMs: p50 {p50:.1} ms over 30 renders, {:.0} KB of HTML",
        bytes as f64 / 1000.0
    );
}

async fn tour_all() {
    let views = 2 * PAGES.len();
    println!(
        "Upstream calls for {views} page views ({} pages, twice):",
        PAGES.len()
    );
    let (before, before_by) = tour("0").await;
    let (after, after_by) = tour("60").await;
    println!("{:<22} {:>8} {:>8}", "action", "ttl 0", "ttl 60");
    for ((action, b), (_, a)) in before_by.iter().zip(&after_by) {
        println!("{action:<22} {b:>8} {a:>8}");
    }
    println!("{:<22} {before:>8} {after:>8}", "all actions");
    println!(
        "per page view: {:.1} before, {:.1} after",
        before as f64 / views as f64,
        after as f64 / views as f64
    );
}
