//! Load test (a benchmark, not a test; issue 14.11): panel instances as separate processes
//! (the release binary) on one PostgreSQL database, against one emulator, with 200
//! signed-in users browsing and acting.
//!
//! - 20 resellers, each with their own Luna Node account (10 settled VMs) and 9 customers,
//!   who have one VM each assigned: 200 users. Every user keeps one live VM page open (an
//!   event stream) and, with a think time of 0.5–1.5 s, loads pages (server-rendered
//!   HTML), calls list server functions, and now and then allocates or releases a floating
//!   IP (a customer's is claimed in, and given back from, the ownership ledger).
//! - Requests go to the instances in turn, user by user and request by request, as a
//!   balancer without sticky sessions would send them; one cookie jar per user serves both.
//! - First one instance for `BENCH_SINGLE_SECS` (120), then two for `BENCH_LOAD_SECS` (300):
//!   requests per second, p50/p99, errors, and upstream calls per minute for each.
//! - Resident memory of each instance: idle after start, idle with the users signed in,
//!   the highest under load, and with 1,000 sessions (the users sign in again on new
//!   clients).
//! - Nothing lost: afterwards every allocation and release a client saw succeed has its
//!   audit row (outcome `ok`), and the ledger holds exactly the addresses each customer
//!   kept, which Luna Node (the emulator) holds too.
//!
//! Needs `target/release/lunapanel` (`BENCH_BIN`; `server/scripts/bench.sh` builds it) and
//! PostgreSQL (`LUNAPANEL_TEST_PG`, default `postgres://postgres@127.0.0.1:5432/postgres`).
//! `BENCH_RESELLERS` and `BENCH_CUSTOMERS` change the mix (20 × (1 + 9)), `BENCH_SESSIONS`
//! the sessions at the end (1,000).
//!
//! The users here click about once a second, twice what the fair-use budget lets a customer
//! sustain (`app::server::budget`: 5 calls/s each, 20 per account), so the instances run
//! with a budget ten times larger ([`LOAD_BUDGET`]): the test measures the panel, not the
//! budget refusing a synthetic user. `BENCH_BUDGET=default` keeps the defaults (its 429s
//! are then the budget at work, counted with the errors).

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use app::server::lunanode::actions::FloatingList;
use app::server::lunanode::{ClientOptions, Credential, LunaNode};
use app::server::testdb::TestDb;
use lunapanel::emulator::{AccountSpec, Emulator, EmulatorConfig};
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::SecretString;

const PASSWORD: &str = "load test password 1";

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The fair-use budget the instances run with (settings, values): ten times the defaults.
const LOAD_BUDGET: [(&str, &str); 4] = [
    ("LUNAPANEL_UPSTREAM_ACCOUNT_RATE", "200"),
    ("LUNAPANEL_UPSTREAM_ACCOUNT_BURST", "2000"),
    ("LUNAPANEL_UPSTREAM_CUSTOMER_RATE", "50"),
    ("LUNAPANEL_UPSTREAM_CUSTOMER_BURST", "600"),
];

/// One panel process.
struct Instance {
    child: Child,
    base: String,
}

impl Instance {
    fn spawn(bin: &str, db_url: &str, key_file: &str, upstream: &str, public: &str) -> Self {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let listen = format!("127.0.0.1:{port}");
        let mut command = Command::new(bin);
        if std::env::var("BENCH_BUDGET").as_deref() != Ok("default") {
            command.envs(LOAD_BUDGET);
        }
        let child = command
            .env("LUNAPANEL_LISTEN", &listen)
            .env(
                "LUNAPANEL_PUBLIC_URL",
                if public.is_empty() {
                    format!("http://{listen}")
                } else {
                    public.to_owned()
                },
            )
            .env("LUNAPANEL_DATABASE_URL", db_url)
            .env("LUNAPANEL_MASTER_KEY_FILE", key_file)
            .env("LUNAPANEL_UPSTREAM_URL", upstream)
            .env("LUNAPANEL_DEMO", "false")
            .env("LUNAPANEL_SIGN_UP", "open")
            .env("LUNAPANEL_SIGN_UPS_PER_HOUR", "100000")
            .env("LUNAPANEL_LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{bin}: {e} (build it: cargo build --release -p lunapanel)")
            });
        Self {
            child,
            base: format!("http://{listen}"),
        }
    }

    async fn ready(&self) {
        let http = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = http.get(format!("{}/healthz", self.base)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{} did not start", self.base);
    }

    /// Resident memory in MB (Linux `/proc`).
    fn rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser: its own cookie jar (good on every instance: cookies ignore the port), the
/// public origin on every request.
fn browser(public: &str) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert("origin", HeaderValue::from_str(public).unwrap());
    headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

async fn call<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    base: &str,
    name: &str,
    form: &[(&str, &str)],
) -> T {
    let r = http
        .post(format!("{base}/api/{name}"))
        .form(form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    assert!(status.is_success(), "{name}: {status}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{name}: {e}: {body}"))
}

/// A small, seeded generator (xorshift64*): the same run makes the same choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[derive(Clone)]
struct User {
    email: String,
    http: reqwest::Client,
    customer: bool,
    /// The user's own panel id (customers: the ledger's `customer_id`).
    id: i64,
}

/// What the users did, shared by their tasks.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    by_kind: BTreeMap<&'static str, Vec<Duration>>,
    errors: BTreeMap<String, u64>,
    allocated: u64,
    released: u64,
    /// Customer id → the addresses they hold, as their client saw it.
    held: BTreeMap<i64, BTreeSet<String>>,
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

const PAGES: &[&str] = &["/", "/vms", "/floating-ips", "/volumes", "/networks"];
const LISTS: &[&str] = &["vms/list", "floatingips/list", "catalog/plans"];

/// One user's browsing until `until`, on `bases` in turn.
async fn browse(
    user: User,
    bases: Arc<Vec<String>>,
    until: Instant,
    seed: u64,
    tally: Arc<Mutex<Tally>>,
) {
    let mut rng = Rng(seed | 1);
    let mut turn = seed as usize;
    let mut held: Vec<String> = tally
        .lock()
        .unwrap()
        .held
        .get(&user.id)
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default();
    while Instant::now() < until {
        turn += 1;
        let base = &bases[turn % bases.len()];
        let roll = rng.below(100);
        let started = Instant::now();
        let (kind, outcome): (&'static str, Result<(), String>) = if roll < 45 {
            let path = PAGES[rng.below(PAGES.len() as u64) as usize];
            let r = user.http.get(format!("{base}{path}")).send().await;
            let ok = match r {
                Ok(r) if r.status().is_success() => {
                    r.bytes().await.map(|_| ()).map_err(|e| e.to_string())
                }
                Ok(r) => Err(format!("GET {path}: {}", r.status())),
                Err(e) => Err(format!("GET {path}: {e}")),
            };
            ("page", ok)
        } else if roll < 92 {
            let name = LISTS[rng.below(LISTS.len() as u64) as usize];
            let r = user.http.post(format!("{base}/api/{name}")).send().await;
            let ok = match r {
                Ok(r) if r.status().is_success() => {
                    r.bytes().await.map(|_| ()).map_err(|e| e.to_string())
                }
                Ok(r) => Err(format!("{name}: {}", r.status())),
                Err(e) => Err(format!("{name}: {e}")),
            };
            ("list", ok)
        } else if held.len() < 2 && rng.below(2) == 0 || held.is_empty() {
            let r = user
                .http
                .post(format!("{base}/api/floatingips/allocate"))
                .form(&[("region", "toronto")])
                .send()
                .await;
            let ok = match r {
                Ok(r) if r.status().is_success() => match r.json::<String>().await {
                    Ok(ip) => {
                        held.push(ip.clone());
                        let mut t = tally.lock().unwrap();
                        t.allocated += 1;
                        if user.customer {
                            t.held.entry(user.id).or_default().insert(ip);
                        }
                        Ok(())
                    }
                    Err(e) => Err(format!("allocate: {e}")),
                },
                Ok(r) => Err(format!("allocate: {}", r.status())),
                Err(e) => Err(format!("allocate: {e}")),
            };
            ("write", ok)
        } else {
            let ip = held.remove(rng.below(held.len() as u64) as usize);
            let r = user
                .http
                .post(format!("{base}/api/floatingips/release"))
                .form(&[("ip", ip.as_str()), ("confirm", ip.as_str())])
                .send()
                .await;
            let ok = match r {
                Ok(r) if r.status().is_success() => {
                    let mut t = tally.lock().unwrap();
                    t.released += 1;
                    if let Some(h) = t.held.get_mut(&user.id) {
                        h.remove(&ip);
                    }
                    Ok(())
                }
                Ok(r) => {
                    held.push(ip);
                    Err(format!("release: {}", r.status()))
                }
                Err(e) => {
                    held.push(ip);
                    Err(format!("release: {e}"))
                }
            };
            ("write", ok)
        };
        let took = started.elapsed();
        {
            let mut t = tally.lock().unwrap();
            t.latencies.push(took);
            t.by_kind.entry(kind).or_default().push(took);
            if let Err(e) = outcome {
                *t.errors.entry(format!("{} ({kind})", e)).or_default() += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(500 + rng.below(1000))).await;
    }
}

/// Opens `user`'s live VM stream on `base` and reads it until aborted.
async fn open_stream(user: &User, base: &str) -> tokio::task::JoinHandle<()> {
    let r = user
        .http
        .get(format!("{base}/api/live/vms"))
        .timeout(Duration::from_secs(3600))
        .send()
        .await
        .expect("live stream");
    assert!(
        r.status().is_success(),
        "{}: live stream {}",
        user.email,
        r.status()
    );
    tokio::spawn(async move {
        use futures::StreamExt;
        let mut s = r.bytes_stream();
        while s.next().await.is_some() {}
    })
}

/// Runs the users against `bases` for `secs`; prints and returns upstream calls per minute.
async fn phase(
    label: &str,
    users: &[User],
    bases: Vec<String>,
    secs: u64,
    emulator: &Emulator,
    instances: &[Instance],
    tally: &Arc<Mutex<Tally>>,
) -> f64 {
    let bases = Arc::new(bases);
    let mut streams = Vec::new();
    for (i, u) in users.iter().enumerate() {
        streams.push(open_stream(u, &bases[i % bases.len()]).await);
    }
    {
        let mut t = tally.lock().unwrap();
        t.latencies.clear();
        t.by_kind.clear();
        t.errors.clear();
    }
    // The streams' first rounds settle before counting.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let calls0 = emulator.total_calls();
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    let tasks: Vec<_> = users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            tokio::spawn(browse(
                u.clone(),
                bases.clone(),
                until,
                0x9e37_79b9 ^ (i as u64 * 7919 + secs),
                tally.clone(),
            ))
        })
        .collect();
    let mut peak = vec![0f64; instances.len()];
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(5)).await;
        for (p, inst) in peak.iter_mut().zip(instances) {
            *p = p.max(inst.rss_mb());
        }
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let calls = emulator.total_calls() - calls0;
    for s in streams {
        s.abort();
    }
    let t = tally.lock().unwrap();
    let mut all = t.latencies.clone();
    all.sort();
    let errors: u64 = t.errors.values().sum();
    println!(
        "\n{label}: {} users for {elapsed:.0} s on {} instance(s)",
        users.len(),
        instances.len()
    );
    println!(
        "  requests {} ({:.1}/s), p50 {:.1} ms, p99 {:.1} ms, errors {errors}",
        all.len(),
        all.len() as f64 / elapsed,
        pct(&all, 0.5).as_secs_f64() * 1e3,
        pct(&all, 0.99).as_secs_f64() * 1e3,
    );
    for (kind, lat) in &t.by_kind {
        let mut lat = lat.clone();
        lat.sort();
        println!(
            "    {kind:<6} {:>6} requests, p50 {:>6.1} ms, p99 {:>7.1} ms",
            lat.len(),
            pct(&lat, 0.5).as_secs_f64() * 1e3,
            pct(&lat, 0.99).as_secs_f64() * 1e3
        );
    }
    for (e, n) in &t.errors {
        println!("    error ×{n}: {e}");
    }
    let per_min = calls as f64 * 60.0 / elapsed;
    println!("  upstream calls {calls} ({per_min:.0}/min)");
    for (i, p) in peak.iter().enumerate() {
        println!(
            "  instance {}: highest resident memory under load {p:.1} MB",
            i + 1
        );
    }
    per_min
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let bin = std::env::var("BENCH_BIN").unwrap_or_else(|_| "target/release/lunapanel".into());
    let resellers = env_num("BENCH_RESELLERS", 20) as usize;
    let customers = env_num("BENCH_CUSTOMERS", 9) as usize;
    let single_secs = env_num("BENCH_SINGLE_SECS", 120);
    let load_secs = env_num("BENCH_LOAD_SECS", 300);

    let api_key = |r: usize| format!("{r:0>128}");
    let api_id = |r: usize| format!("loadapiid{r:07}");
    let emulator = Emulator::new(EmulatorConfig {
        accounts: (0..resellers)
            .map(|r| AccountSpec {
                api_id: api_id(r),
                api_key: api_key(r),
                credit: 1e6,
            })
            .collect(),
        time_scale: 0.0,
        ..Default::default()
    });
    let upstream = emulator
        .spawn(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap())
        .unwrap();
    let client = LunaNode::new(&upstream, ClientOptions::default()).unwrap();
    let mut vms: Vec<Vec<String>> = Vec::new();
    for r in 0..resellers {
        let cred = Credential::new(&api_id(r), SecretString::from(api_key(r))).unwrap();
        let mut ids = Vec::new();
        for i in 0..=customers {
            ids.push(common::make_vm(&client, &cred, format!("r{r}-vm{i}.load.example")).await);
        }
        vms.push(ids);
    }

    let db = TestDb::postgres().await;
    let keys = std::env::temp_dir().join(format!("lunapanel_load_keys_{}", std::process::id()));
    std::fs::create_dir_all(&keys).unwrap();
    let key_file = keys.join("master.key").display().to_string();

    let first = Instance::spawn(&bin, &db.url, &key_file, &upstream, "");
    first.ready().await;
    let public = first.base.clone();
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "Load test: {resellers} resellers × (1 + {customers} customers), release binary {bin}"
    );
    match std::env::var("BENCH_BUDGET").as_deref() {
        Ok("default") => println!("  fair-use budget: the defaults (BENCH_BUDGET=default)"),
        _ => println!("  fair-use budget: ten times the defaults, {LOAD_BUDGET:?}"),
    }
    println!("  instance 1 idle after start: {:.1} MB", first.rss_mb());

    // Accounts: the administrator, the resellers with their keys, their customers.
    let setup_started = Instant::now();
    let admin = browser(&public);
    let _: serde_json::Value = call(
        &admin,
        &public,
        "sign_up",
        &[
            ("name", "Admin"),
            ("email", "admin@load.example"),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ],
    )
    .await;
    let mut users: Vec<User> = Vec::new();
    for (r, own_vms) in vms.iter().enumerate() {
        let http = browser(&public);
        let email = format!("reseller{r}@load.example");
        let me: serde_json::Value = call(
            &http,
            &public,
            "sign_up",
            &[
                ("name", "Reseller"),
                ("email", &email),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
        let id = me["id"].as_i64().expect("user id");
        let id_text = id.to_string();
        let _: () = call(
            &admin,
            &public,
            "admin/set_reseller",
            &[("user_id", id_text.as_str()), ("reseller", "true")],
        )
        .await;
        let key = api_key(r);
        let _: serde_json::Value = call(
            &http,
            &public,
            "credential/save",
            &[("api_id", api_id(r).as_str()), ("api_key", key.as_str())],
        )
        .await;
        for c in 0..customers {
            let c_email = format!("customer{r}-{c}@load.example");
            let cid: i64 = call(
                &http,
                &public,
                "customers/create",
                &[
                    ("name", "A Customer"),
                    ("email", &c_email),
                    ("password", PASSWORD),
                ],
            )
            .await;
            let cid_text = cid.to_string();
            let mut form: Vec<(String, String)> = vec![("customer_id".into(), cid_text.clone())];
            for (i, cap) in app::kinds::capabilities().enumerate() {
                form.push((format!("form[enabled][{i}]"), cap.key.to_owned()));
            }
            let form: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let _: () = call(&http, &public, "customers/policy", &form).await;
            let _: () = call(
                &http,
                &public,
                "customers/assign",
                &[
                    ("customer_id", cid_text.as_str()),
                    ("kind", "vm"),
                    ("resource_id", own_vms[c + 1].as_str()),
                ],
            )
            .await;
            let c_http = browser(&public);
            let _: serde_json::Value = call(
                &c_http,
                &public,
                "sign_in",
                &[("email", &c_email), ("password", PASSWORD)],
            )
            .await;
            users.push(User {
                email: c_email,
                http: c_http,
                customer: true,
                id: cid,
            });
        }
        users.push(User {
            email,
            http,
            customer: false,
            id,
        });
    }
    println!(
        "  set-up: {} users signed in in {:.1} s",
        users.len(),
        setup_started.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "  instance 1 idle with {} sessions: {:.1} MB",
        users.len() + 1,
        first.rss_mb()
    );

    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut instances = vec![first];
    let one = phase(
        "One instance",
        &users,
        vec![public.clone()],
        single_secs,
        &emulator,
        &instances,
        &tally,
    )
    .await;

    let second = Instance::spawn(&bin, &db.url, &key_file, &upstream, &public);
    second.ready().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("\n  instance 2 idle after start: {:.1} MB", second.rss_mb());
    let bases = vec![public.clone(), second.base.clone()];
    instances.push(second);
    let two = phase(
        "Two instances",
        &users,
        bases.clone(),
        load_secs,
        &emulator,
        &instances,
        &tally,
    )
    .await;
    println!(
        "  upstream calls per minute, two instances vs one: {:.2}",
        two / one.max(1.0)
    );

    // 1,000 sessions (`BENCH_SESSIONS`): the users sign in again on new clients, on the instances in turn.
    let mut extra = Vec::new();
    let target = (env_num("BENCH_SESSIONS", 1000) as usize).saturating_sub(users.len() + 1);
    let sign_ins = Instant::now();
    for i in 0..target {
        let u = &users[i % users.len()];
        let http = browser(&public);
        let _: serde_json::Value = call(
            &http,
            &bases[i % bases.len()],
            "sign_in",
            &[("email", u.email.as_str()), ("password", PASSWORD)],
        )
        .await;
        extra.push(http);
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    println!(
        "\nWith {} sessions ({} more sign-ins in {:.1} s):",
        users.len() + 1 + extra.len(),
        extra.len(),
        sign_ins.elapsed().as_secs_f64()
    );
    for (i, inst) in instances.iter().enumerate() {
        println!("  instance {}: {:.1} MB", i + 1, inst.rss_mb());
    }

    // Nothing lost: audit rows and the ledger against what the clients saw.
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let audited = |action: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM audit_log WHERE action = $1 AND outcome = 'ok'",
            )
            .bind(action)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let (added, deleted) = (
        audited("floating/add").await,
        audited("floating/delete").await,
    );
    // What the clients saw, copied out (no lock held across the awaits below).
    let (allocated, released, held) = {
        let t = tally.lock().unwrap();
        (t.allocated, t.released, t.held.clone())
    };
    println!("\nNothing lost:");
    println!(
        "  allocations seen by the clients {}, audited `floating/add` ok {added}",
        allocated
    );
    println!(
        "  releases seen by the clients {}, audited `floating/delete` ok {deleted}",
        released
    );
    let ledger: Vec<(i64, String)> = sqlx::query_as(
        "SELECT customer_id, resource_id FROM ownership WHERE kind = 'floating' ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut in_ledger: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for (c, ip) in ledger {
        in_ledger.entry(c).or_default().insert(ip);
    }
    let expected: BTreeMap<i64, BTreeSet<String>> = held
        .iter()
        .filter(|(_, s)| !s.is_empty())
        .map(|(c, s)| (*c, s.clone()))
        .collect();
    let held_total: usize = expected.values().map(BTreeSet::len).sum();
    let mut at_luna = BTreeSet::new();
    for r in 0..resellers {
        let cred = Credential::new(&api_id(r), SecretString::from(api_key(r))).unwrap();
        for f in client
            .floating_list(&cred, &FloatingList {})
            .await
            .unwrap()
            .ips
        {
            at_luna.insert(f.ip);
        }
    }
    let missing_upstream = expected
        .values()
        .flatten()
        .filter(|ip| !at_luna.contains(*ip))
        .count();
    println!(
        "  customers' addresses held {held_total} in {} customers; ledger matches: {}; \
         missing at Luna Node: {missing_upstream}",
        expected.len(),
        if in_ledger == expected { "yes" } else { "NO" }
    );
    let lost = added != allocated as i64
        || deleted != released as i64
        || in_ledger != expected
        || missing_upstream > 0;
    pool.close().await;
    drop(instances);
    let _ = std::fs::remove_dir_all(&keys);
    drop(db);
    if lost {
        eprintln!("something was lost: see above");
        std::process::exit(1);
    }
}
