//! Two panel instances on one PostgreSQL database against one emulator (issue 14, items 5,
//! 6, 7 and 12): a session made on one is good on the other and a sign-out on either ends
//! it on both; one poller per credential between them (upstream calls do not grow with a
//! second instance), taken over when its holder dies, while the other's pages keep
//! updating; a change made through one instance reaches a live stream served by the other;
//! two instances signing with one API key never lose a call to a nonce race.
//!
//! PostgreSQL only: several instances need it (SQLite is one instance).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::model::vm::VmListing;
use app::server::live::LiveTiming;
use app::server::lunanode::actions::BillingCredit;
use reqwest::Client;

use crate::harness::{eventually, Db, Panel};
use crate::upstream::{cred, key, ID_A};

/// Opens `/api/live/vms` on `panel` as `c`; the snapshots it receives are collected.
async fn watch_vms(
    panel: &Panel,
    c: &Client,
) -> (tokio::task::JoinHandle<()>, Arc<Mutex<Vec<VmListing>>>) {
    crate::live_kinds::watch_stream(panel, c, "/api/live/vms").await
}

fn shows(seen: &Arc<Mutex<Vec<VmListing>>>, vm_id: &str) -> Result<(), usize> {
    let seen = seen.lock().unwrap();
    match seen.last() {
        Some(s) if s.vms.iter().any(|v| v.vm_id == vm_id) => Ok(()),
        _ => Err(seen.len()),
    }
}

/// The instance holding `key`'s poller lease, if any (read on a pool of its own: the
/// panel's may be closed, a halted instance).
async fn holder(panel: &Panel, key: &str) -> Option<String> {
    let pool = sqlx::PgPool::connect(&panel.db.url).await.unwrap();
    let holder = sqlx::query_scalar(
        "SELECT holder FROM live_leases WHERE key = $1 AND expires_at > clock_timestamp()",
    )
    .bind(key)
    .fetch_optional(&pool)
    .await
    .unwrap();
    pool.close().await;
    holder
}

fn timing(slow: Duration) -> LiveTiming {
    LiveTiming {
        fast: Duration::from_millis(150),
        slow,
        lease: Duration::from_millis(1500),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_sessions_pollers_and_changes() {
    if app::server::testdb::pg_skipped() {
        return;
    }
    let (mut a, emu) = Panel::with_emulator(Db::Postgres, |c| c.time_scale = 0.0).await;
    let b = a.another_instance(&[]).await;
    for p in [&a, &b] {
        p.state.live.set_timing(timing(Duration::from_millis(400)));
    }
    assert_ne!(a.state.live.instance(), b.state.live.instance());

    // Sessions (14.5): made on A, good on B; signed out on B, refused on A.
    let c = a.owner("o@example.com").await;
    let on_b: Vec<app::auth::sessions::SessionView> = b
        .call(&c, "sessions/list", &[])
        .await
        .expect("B knows A's session");
    assert_eq!(on_b.len(), 1);
    assert!(on_b[0].current);
    b.call::<()>(&c, "sign_out", &[]).await.unwrap();
    assert!(matches!(
        a.call::<Vec<app::auth::sessions::SessionView>>(&c, "sessions/list", &[])
            .await,
        Err(app::error::AppError::Unauthenticated)
    ));
    a.sign_in(&c, "o@example.com", crate::harness::PASSWORD)
        .await
        .unwrap();
    // The key saved through A (sealed there) is opened on B with the same key file.
    a.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let account = a.user("o@example.com").await.id;
    let vm_key = app::server::live::vm_key(account);

    // One instance watching: A holds the lease and polls.
    let (a_stream, a_seen) = watch_vms(&a, &c).await;
    let held = eventually("A holds the VM poller's lease", 10, || async {
        match holder(&a, &vm_key).await {
            Some(h) => Ok(h),
            None => Err("no holder"),
        }
    })
    .await;
    assert_eq!(held, a.state.live.instance());
    tokio::time::sleep(Duration::from_millis(600)).await;
    let window = Duration::from_secs(3);
    let before = emu.calls("vm/list");
    tokio::time::sleep(window).await;
    let one = emu.calls("vm/list") - before;

    // A second instance with a page open too (and page loads on it): the same calls.
    let (b_stream, b_seen) = watch_vms(&b, &c).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let before = emu.calls("vm/list");
    tokio::time::sleep(window).await;
    for _ in 0..10 {
        let s: VmListing = b.call(&c, "vms/list", &[]).await.unwrap();
        assert!(s.problem.is_none(), "{:?}", s.problem);
    }
    let two = emu.calls("vm/list") - before;
    eprintln!("vm/list calls in {window:?}: one instance {one}, two instances {two}");
    assert!(one >= 4, "the poller polls ({one})");
    assert!(two <= one + 2, "two instances made {two} calls, one {one}");
    assert_eq!(
        holder(&a, &vm_key).await.as_deref(),
        Some(a.state.live.instance())
    );
    assert!(
        !b_seen.lock().unwrap().is_empty(),
        "B's page gets A's snapshots"
    );

    // A change through B (which does not poll) reaches A's stream and B's at once: with
    // slow rounds 30 s apart, only B's kick passed on to A explains it.
    for p in [&a, &b] {
        p.state.live.set_timing(timing(Duration::from_secs(30)));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let made = crate::harness::panel_vm(&b, &c, "through-b", "toronto", "").await;
    eventually("A's stream shows the VM made through B", 5, || async {
        shows(&a_seen, &made)
    })
    .await;
    eventually("B's stream shows it too", 5, || async {
        shows(&b_seen, &made)
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(10));

    // Two instances signing with one key at once: no call is lost to a nonce race
    // (another instance's higher nonce arriving first is answered by re-signing).
    let clients = [
        a.state.upstream.client.clone(),
        b.state.upstream.client.clone(),
    ];
    let (ok, refused) = crate::upstream::strict::hammer(
        &clients,
        Arc::new(cred(ID_A, 'A')),
        16,
        Duration::from_millis(2500),
    )
    .await;
    eprintln!("two instances, one key: {ok} calls accepted, {refused} refused");
    assert!(ok > 50, "only {ok} calls went through");
    assert_eq!(refused, 0, "{refused} calls were lost to a nonce race");

    // The holder dies: B takes the lease over within seconds and its page keeps updating.
    for p in [&a, &b] {
        p.state.live.set_timing(timing(Duration::from_millis(400)));
    }
    a_stream.abort();
    a.halt().await;
    let died = Instant::now();
    let took = eventually("B takes the lease over", 10, || async {
        match holder(&b, &vm_key).await {
            Some(h) if h == b.state.live.instance() => Ok(died.elapsed()),
            other => Err(other),
        }
    })
    .await;
    eprintln!("lease taken over {took:?} after the holder died");
    let elsewhere = crate::vms::make_vm_as(&b, ID_A, 'A', "made-elsewhere", "s.1").await;
    eventually("B's stream shows a VM made elsewhere", 10, || async {
        shows(&b_seen, &elsewhere)
    })
    .await;
    let before = emu.calls("vm/list");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(emu.calls("vm/list") > before, "B polls now that A is gone");
    b_stream.abort();
    b.stop().await;
    a.stop().await;
}

/// The circuit breaker is shared (14.7): an instance that finds Luna Node down opens the
/// circuit for every instance; another refuses its next call without trying.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_circuit_is_honoured_by_every_instance() {
    use app::server::cluster::PgHealth;
    use app::server::lunanode::{ClientOptions, LunaNode};
    use std::sync::atomic::Ordering;
    if app::server::testdb::pg_skipped() {
        return;
    }
    let db = app::server::testdb::TestDb::postgres().await;
    let store = app::server::store::connect(&db.url).await.unwrap();
    let (base, hits) = crate::upstream::flaky(1000, 503, "").await;
    let options = ClientOptions {
        read_retries: 0,
        breaker_threshold: 2,
        breaker_cooldown: Duration::from_secs(5),
        backoff: Duration::from_millis(5),
        ..Default::default()
    };
    let instance = |pool: sqlx::PgPool| {
        LunaNode::new(&base, options.clone())
            .unwrap()
            .with_health_board(Arc::new(PgHealth::new(pool, &base)))
    };
    let app::server::store::Pool::Postgres(pool) = store.pool() else {
        unreachable!("PostgreSQL")
    };
    let a = instance(pool.clone());
    let other = sqlx::PgPool::connect(&db.url).await.unwrap();
    let b = instance(other.clone());
    let a_cred = cred(ID_A, 'A');
    // B has seen the upstream well (its look at the shared state is fresh).
    assert!(!b.degraded());
    for _ in 0..2 {
        assert!(a.billing_credit(&a_cred, &BillingCredit {}).await.is_err());
    }
    assert!(a.degraded(), "A opened its circuit");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    let err = b
        .billing_credit(&a_cred, &BillingCredit {})
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("not trying"),
        "B refuses at once: {err}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 2, "B did not call Luna Node");
    assert!(b.degraded());
    other.close().await;
    app::server::store::Store::close(&store).await;
}
