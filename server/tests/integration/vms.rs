//! The VM area through the panel's server functions against the emulator: a whole
//! lifecycle with the live status, validation beside the fields, audit rows, one shared
//! poller however many pages watch, the banner when Luna Node is down, and hostile
//! hostnames rendered as text.

use std::time::{Duration, Instant};

use app::error::{AppError, UpstreamProblem};
use app::server::lunanode::actions as api;
use app::vm::{VmDetail, VmListing};
use reqwest::Client;

use crate::both;
use crate::harness::{assert_pages_render, Db, Panel};
use crate::upstream::{cred, key, ID_A};

async fn snapshot(panel: &Panel, c: &Client) -> VmListing {
    panel.call(c, "vms/list", &[]).await.expect("vms/list")
}

/// Waits until the live list shows `vm_id` with `status` (or gone, for `None`).
async fn wait_for(panel: &Panel, c: &Client, vm_id: &str, status: Option<&str>) -> VmListing {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = snapshot(panel, c).await;
        let now = s
            .vms
            .iter()
            .find(|v| v.vm_id == vm_id)
            .map(|v| v.status.clone());
        match (status, &now) {
            (None, None) => return s,
            (Some(want), Some(Some(got))) if want == got => return s,
            _ => {}
        }
        assert!(
            Instant::now() < deadline,
            "{vm_id} never reached {status:?}: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn create_form<'a>(hostname: &'a str, boot: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("vm[hostname]", hostname),
        ("vm[region]", "toronto"),
        ("vm[plan_id]", "m.2"),
        ("vm[boot]", boot),
        ("vm[set_password]", "true"),
    ]
}

async fn a_vm_lives_and_dies_through_the_panel(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |c| c.time_scale = 0.02).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    assert!(snapshot(&panel, &c).await.vms.is_empty());

    // Bad input: messages beside the fields, nothing sent upstream.
    let e = panel
        .call::<String>(&c, "vms/create", &create_form("-bad-", ""))
        .await
        .unwrap_err();
    assert!(
        e.field("hostname").is_some() && e.field("boot").is_some(),
        "{e:?}"
    );

    let options: app::vm::CreateOptions = panel.call(&c, "vms/create_options", &[]).await.unwrap();
    assert_eq!(options.regions.len(), 3);
    let image = options
        .images
        .iter()
        .find(|i| i.region == "toronto" && i.public)
        .unwrap();
    let boot = format!("image:{}", image.image_id);
    let vm_id: String = panel
        .call(&c, "vms/create", &create_form("web-1.example.com", &boot))
        .await
        .unwrap();
    let s = wait_for(&panel, &c, &vm_id, Some("Online")).await;
    let row = s.vms.iter().find(|v| v.vm_id == vm_id).unwrap();
    assert_eq!(row.name, "web-1.example.com");
    assert_eq!(row.region, "toronto");
    assert_eq!(
        row.plan_name, "m.2",
        "the plan by name, not its id {}",
        row.plan_id
    );
    assert!(!row.ip.is_empty(), "an address once online");

    let detail: VmDetail = panel
        .call(&c, "vms/detail", &[("vm_id", &vm_id)])
        .await
        .unwrap();
    assert_eq!(detail.hostname, "web-1.example.com");
    assert_eq!(detail.status, "Online");
    assert_eq!(detail.plan_name, "m.2");
    assert!(detail.has_login_details);
    assert!(!detail.addresses.is_empty());
    let login: Option<String> = panel
        .call(&c, "vms/login", &[("vm_id", &vm_id)])
        .await
        .unwrap();
    assert!(login.unwrap().contains("password"));
    let usage: Vec<app::vm::UsagePoint> = panel
        .call(&c, "vms/usage", &[("vm_id", &vm_id), ("key", "Cpu")])
        .await
        .unwrap();
    assert!(!usage.is_empty());

    for (op, status) in [
        ("Stop", "Offline"),
        ("Start", "Online"),
        ("Reboot", "Online"),
    ] {
        panel
            .call::<()>(&c, "vms/power", &[("vm_id", &vm_id), ("op", op)])
            .await
            .unwrap();
        wait_for(&panel, &c, &vm_id, Some(status)).await;
    }
    let e = panel
        .call::<()>(
            &c,
            "vms/rename",
            &[("vm_id", &vm_id), ("hostname", "no spaces allowed")],
        )
        .await
        .unwrap_err();
    assert!(e.field("hostname").is_some());
    panel
        .call::<()>(
            &c,
            "vms/rename",
            &[("vm_id", &vm_id), ("hostname", "web-2.example.com")],
        )
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while snapshot(&panel, &c).await.vms[0].name != "web-2.example.com" {
        assert!(Instant::now() < deadline, "rename never showed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Delete needs the hostname typed exactly.
    let e = panel
        .call::<()>(
            &c,
            "vms/delete",
            &[("vm_id", &vm_id), ("confirm", "web-1.example.com")],
        )
        .await
        .unwrap_err();
    assert!(e.field("confirm").is_some(), "{e:?}");
    panel
        .call::<()>(
            &c,
            "vms/delete",
            &[("vm_id", &vm_id), ("confirm", "web-2.example.com")],
        )
        .await
        .unwrap();
    wait_for(&panel, &c, &vm_id, None).await;
    let e = panel
        .call::<VmDetail>(&c, "vms/detail", &[("vm_id", &vm_id)])
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound(_)), "{e:?}");
    // Junk ids never reach Luna Node.
    let e = panel
        .call::<VmDetail>(&c, "vms/detail", &[("vm_id", "../../etc")])
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound(_)), "{e:?}");

    // One settled audit row per mutation, in order, with actor, account and client IP.
    let user = panel.user("a@example.com").await;
    let audit = panel
        .state
        .store
        .list_audit(Some(user.id), 100)
        .await
        .unwrap();
    let rows: Vec<(&str, &str)> = audit
        .iter()
        .rev()
        // Sign-in events are another test's (hardening.rs).
        .filter(|r| !r.entry.action.starts_with("auth/"))
        .map(|r| (r.entry.action.as_str(), r.entry.outcome.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("credential/save", "ok"),
            ("vm/create", "ok"),
            ("vm/stop", "ok"),
            ("vm/start", "ok"),
            ("vm/reboot", "ok"),
            ("vm/rename", "ok"),
            ("vm/delete", "ok"),
        ]
    );
    for r in &audit {
        assert_eq!(r.entry.actor_user_id, Some(user.id));
        assert_eq!(r.entry.account_user_id, Some(user.id));
        assert_eq!(r.entry.ip.as_deref(), Some("127.0.0.1"));
        assert!(r.entry.request_id.is_some());
    }
    assert!(audit
        .iter()
        .any(|r| r.entry.target == format!("vm:{vm_id}")));
    panel.stop().await;
}

async fn upstream_refusals_become_actionable_text(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    // Luna Node says no (unknown plan): its reason, as a 422.
    let options: app::vm::CreateOptions = panel.call(&c, "vms/create_options", &[]).await.unwrap();
    let boot = format!("image:{}", options.images[0].image_id);
    let mut form = create_form("ok-host", &boot);
    form[2] = ("vm[plan_id]", "no-such-plan");
    let (status, body) = panel.call_raw(&c, "vms/create", &form).await;
    assert_eq!(status, 422, "{body}");
    let e: AppError = serde_json::from_str(&body).unwrap();
    assert!(
        matches!(
            e,
            AppError::Upstream {
                problem: UpstreamProblem::Rejected,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().starts_with("Luna Node refused the request:"),
        "{e}"
    );
    // An unknown VM: a plain 404.
    let (status, _) = panel
        .call_raw(&c, "vms/power", &[("vm_id", "0000dead"), ("op", "Start")])
        .await;
    assert_eq!(status, 404);
    drop(emu);
    panel.stop().await;
}

both!(
    a_vm_lives_and_dies_through_the_panel,
    upstream_refusals_become_actionable_text,
);

/// Opens `n` event streams on `/api/live/vms` and keeps reading them.
async fn watch(panel: &Panel, c: &Client, n: usize) -> Vec<tokio::task::JoinHandle<usize>> {
    let mut out = Vec::new();
    for _ in 0..n {
        let res = c
            .get(format!("{}/api/live/vms", panel.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        out.push(tokio::spawn(async move {
            use futures::StreamExt;
            let mut events = 0;
            let mut body = res.bytes_stream();
            while let Some(Ok(chunk)) = body.next().await {
                events += String::from_utf8_lossy(&chunk)
                    .matches("event: snapshot")
                    .count();
            }
            events
        }));
    }
    out
}

/// Upstream calls must not grow with the number of open pages (one poller per account).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_open_pages_share_one_poller() {
    let (panel, emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let window = Duration::from_secs(2);

    let one = watch(&panel, &c, 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = emu.calls("vm/list");
    tokio::time::sleep(window).await;
    let calls_one = emu.calls("vm/list") - before;
    for h in one {
        h.abort();
    }

    // Six pages: with the one above (its stream may not be closed on the server yet) this
    // stays under the per-user cap on open streams (`STREAMS_PER_USER`, 8).
    let twenty = watch(&panel, &c, 6).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = emu.calls("vm/list");
    tokio::time::sleep(window).await;
    let calls_twenty = emu.calls("vm/list") - before;
    // Page loads read the poller's snapshot too, not Luna Node.
    for _ in 0..20 {
        snapshot(&panel, &c).await;
    }
    let after_reads = emu.calls("vm/list") - before;
    for h in twenty {
        h.abort();
    }
    eprintln!("vm/list calls in {window:?}: 1 page {calls_one}, 6 pages {calls_twenty}");
    assert!(calls_one >= 2, "the poller polls ({calls_one})");
    assert!(
        calls_twenty <= calls_one + 2,
        "6 pages made {calls_twenty} calls, 1 page {calls_one}"
    );
    assert!(
        after_reads <= calls_twenty + 2,
        "list reads hit upstream: {after_reads}"
    );

    // A VM created elsewhere shows up on the stream without any request from the page.
    let streams = watch(&panel, &c, 1).await;
    let created = make_vm_elsewhere(&panel, "outside", "s.1").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let s = snapshot(&panel, &c).await;
    assert!(s.vms.iter().any(|v| v.vm_id == created));
    for h in streams {
        h.abort();
    }
    panel.stop().await;
}

/// Creates a VM for account A straight through the panel's upstream, as another tool
/// would (so the panel hears of it only by polling); returns its id.
pub(crate) async fn make_vm_elsewhere(panel: &Panel, hostname: &str, plan: &str) -> String {
    make_vm_as(panel, ID_A, 'A', hostname, plan).await
}

/// A VM made straight at Luna Node (not through the panel) on account `id`.
pub(crate) async fn make_vm_as(
    panel: &Panel,
    id: &str,
    key: char,
    hostname: &str,
    plan: &str,
) -> String {
    // The panel's own client: its nonces never go down for the API ID, whereas a second
    // client's could, racing the panel's pollers within a second (Luna Node refuses a
    // nonce lower than one it has seen: reference §1.4).
    let upstream = panel.state.upstream.client.clone();
    upstream
        .vm_create(
            &cred(id, key),
            &api::VmCreate {
                hostname: hostname.into(),
                plan_id: plan.into(),
                image_id: Some("1000".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .vm_id
}

/// REL-7.x: Luna Node down → a clear 503 and the banner; nothing lost in the panel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_down_shows_a_banner_and_loses_nothing() {
    // A port that refuses connections.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = l.local_addr().unwrap();
        drop(l);
        a
    };
    let base = format!("http://{closed}/api");
    let panel = Panel::start_with(
        Db::Sqlite,
        &[("upstream_url", &base), ("sign_up", "open")],
        |_| {},
    )
    .await;
    let c = panel.owner("a@example.com").await;
    // Saving cannot test the key: refused with the reason, nothing stored.
    let e = panel.save_key(&c, ID_A, &key('A'), None).await.unwrap_err();
    assert!(
        matches!(
            e,
            AppError::Upstream {
                problem: UpstreamProblem::Unavailable,
                ..
            }
        ),
        "{e:?}"
    );
    let user = panel.user("a@example.com").await;
    assert!(panel
        .state
        .store
        .credential(user.id)
        .await
        .unwrap()
        .is_none());
    // With a stored key, pages get a 503 with what to do, and the banner appears.
    panel
        .state
        .store
        .put_credential(app::server::upstream::sealed_credential(
            &panel.state.upstream.keyring,
            user.id,
            ID_A,
            &key('A'),
            String::new(),
        ))
        .await
        .unwrap();
    let started = Instant::now();
    let (status, body) = panel.call_raw(&c, "catalog/plans", &[]).await;
    assert_eq!(status, 503, "{body}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let e: AppError = serde_json::from_str(&body).unwrap();
    assert!(e.to_string().contains("cannot be reached"), "{e}");
    let info = panel.info(&c).await;
    let banner = info.upstream.expect("banner");
    assert_eq!(banner.problem, UpstreamProblem::Unavailable);
    // The SSR page renders the banner and no panic text.
    let html = panel.page(&c, "/plans").await;
    assert!(html.contains("upstream-banner"), "banner on the page");
    assert!(!html.to_lowercase().contains("panicked"));
    // Repeated failures open the circuit: the panel stays ready and says Luna Node is degraded.
    let ready: serde_json::Value = c
        .get(format!("{}/readyz", panel.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["upstream"], "degraded");
    // The account and its key are intact.
    assert!(panel
        .state
        .store
        .credential(user.id)
        .await
        .unwrap()
        .is_some());
    panel.stop().await;
}

/// A hostname made of markup is shown as text in the server-rendered list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_hostnames_render_as_text() {
    let (panel, _emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let evil = "<img src=x onerror=alert(1)>";
    make_vm_elsewhere(&panel, evil, "s.1").await;
    let html = panel.page(&c, "/vms").await;
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "escaped in the table"
    );
    assert!(!html.contains(evil), "never as markup");
    panel.stop().await;
}

/// Every VM page renders its content on the server (not an error notice), for a first
/// visit without JavaScript and for the hydration that follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_vm_page_renders_on_the_server() {
    let (panel, _emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let vm = make_vm_elsewhere(&panel, "rendered-vm", "m.2").await;
    let detail = format!("/vms/{vm}");
    let pages: &[(&str, &str)] = &[
        ("/", "Luna Node account"),
        ("/vms", "rendered-vm"),
        ("/vms/new", "Toronto, Canada"),
        (detail.as_str(), "Addresses"),
        ("/plans", "m.2"),
        ("/regions", "Roubaix, France"),
        ("/ssh-keys", "Add a key"),
        ("/api-key", "…AAAA"),
    ];
    // Several times each: a server function that lost its request context after an
    // `.await` failed only when the task resumed on another worker thread.
    assert_pages_render(&panel, &c, pages, 12).await;
    panel.stop().await;
}

/// Another panel starting in the same process never stalls a page being rendered: listing
/// the routes suppresses resource loading process-wide (leptos-rs/leptos#4773), so it
/// happens once, before any panel serves. Before that, this stalled a page for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_panel_starting_never_stalls_another_panels_pages() {
    let (panel, _emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    make_vm_elsewhere(&panel, "steady-vm", "m.2").await;
    let starting = tokio::spawn(async {
        for _ in 0..24 {
            Panel::start(Db::Sqlite).await.stop().await;
        }
    });
    let mut readers = Vec::new();
    for _ in 0..3 {
        let (c, url) = (c.clone(), format!("{}/vms", panel.base));
        let starting = starting.abort_handle();
        readers.push(tokio::spawn(async move {
            let mut pages = 0;
            while !starting.is_finished() || pages < 10 {
                let html = c
                    .get(&url)
                    .timeout(Duration::from_secs(20))
                    .send()
                    .await
                    .expect("the page answers")
                    .text()
                    .await
                    .expect("the page finishes");
                assert!(html.contains("steady-vm"), "page {pages} lacks the VM");
                pages += 1;
            }
        }));
    }
    for r in readers {
        r.await.unwrap();
    }
    starting.await.unwrap();
    panel.stop().await;
}

/// Opening the list after a quiet spell asks Luna Node again, so a VM made elsewhere shows
/// without waiting for the slow poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_list_is_refreshed_on_opening() {
    let (panel, emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    panel.state.live.set_timing(app::server::live::LiveTiming {
        fast: Duration::from_millis(100),
        slow: Duration::from_secs(120),
        fresh_for: Duration::from_secs(1),
        ..Default::default()
    });
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    assert!(snapshot(&panel, &c).await.vms.is_empty());
    let made = make_vm_elsewhere(&panel, "made-elsewhere", "s.1").await;
    // Fresh: the cached list is served as it is.
    assert!(snapshot(&panel, &c).await.vms.is_empty());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let before = emu.calls("vm/list");
    let s = snapshot(&panel, &c).await;
    assert!(s.vms.iter().any(|v| v.vm_id == made), "{s:?}");
    assert_eq!(
        emu.calls("vm/list"),
        before + 1,
        "one round for the stale list"
    );
    panel.stop().await;
}
