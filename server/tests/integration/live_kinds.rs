//! Live status for the registry's kinds with transitions (`/api/live/<kind>`, shown here
//! with volumes): one poller per account and kind however many pages watch, a customer's
//! stream carries only their rows, and a change shows without any request from the page.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::kinds::KindSnapshot;
use app::server::lunanode::actions as api;
use reqwest::Client;

use crate::harness::{Db, Panel};
use crate::tenancy::{assign, customer, reseller};
use crate::upstream::{cred, ID_A};

/// Opens `/api/live/<kind>` on `c`; the snapshots it receives are collected.
pub(crate) async fn watch(
    panel: &Panel,
    c: &Client,
    kind: &str,
) -> (tokio::task::JoinHandle<()>, Arc<Mutex<Vec<KindSnapshot>>>) {
    watch_stream(panel, c, &format!("/api/live/{kind}")).await
}

/// Opens the live stream at `path` on `c` (an event stream, or the test fails); the
/// `snapshot` events it receives are decoded as `T` and collected.
pub(crate) async fn watch_stream<T: serde::de::DeserializeOwned + Send + 'static>(
    panel: &Panel,
    c: &Client,
    path: &str,
) -> (tokio::task::JoinHandle<()>, Arc<Mutex<Vec<T>>>) {
    let res = c.get(format!("{}{path}", panel.base)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}{path}", panel.base);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let into = seen.clone();
    let task = tokio::spawn(async move {
        use futures::StreamExt;
        let mut body = res.bytes_stream();
        let mut buffer = String::new();
        while let Some(Ok(chunk)) = body.next().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                if !event.contains("event: snapshot") {
                    continue;
                }
                let data: String = event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data: "))
                    .collect();
                into.lock()
                    .unwrap()
                    .push(serde_json::from_str(&data).unwrap());
            }
        }
    });
    (task, seen)
}

pub(crate) fn latest(seen: &Arc<Mutex<Vec<KindSnapshot>>>) -> KindSnapshot {
    seen.lock().unwrap().last().cloned().unwrap_or_default()
}

fn ids(s: &KindSnapshot) -> Vec<String> {
    let mut ids: Vec<String> = s.rows.iter().map(|r| r.id.clone()).collect();
    ids.sort();
    ids
}

async fn volume_elsewhere(panel: &Panel, label: &str) -> String {
    let upstream = app::server::lunanode::LunaNode::new(
        panel.state.upstream.client.base_url(),
        Default::default(),
    )
    .unwrap();
    let req = api::VolumeCreate {
        region: "toronto".into(),
        label: label.into(),
        size: 10,
        image: None,
        snapshot_id: None,
    };
    let a = cred(ID_A, 'A');
    upstream.call(&a, &req).await.unwrap().volume_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kinds_live_list_is_shared_scoped_and_follows_changes() {
    let (panel, emu) = Panel::with_emulator(Db::Sqlite, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, _) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let theirs = volume_elsewhere(&panel, "customers-volume").await;
    let resellers = volume_elsewhere(&panel, "resellers-volume").await;
    assign(&panel, &reseller, a, "volume", &theirs).await;
    panel.state.live.set_timing(app::server::live::LiveTiming {
        fast: Duration::from_millis(200),
        slow: Duration::from_millis(300),
        ..Default::default()
    });

    // Not signed in: refused; not a kind with live status: not found.
    let anonymous = panel.client();
    let res = anonymous
        .get(format!("{}/api/live/volumes", panel.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    for kind in ["bogus", "sshkeys"] {
        let res = reseller
            .get(format!("{}/api/live/{kind}", panel.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "/api/live/{kind}");
    }

    // One page of the reseller's: how often the poller lists volumes.
    let (one, seen) = watch(&panel, &reseller, "volumes").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let window = Duration::from_millis(1500);
    let before = emu.calls("volume/list");
    tokio::time::sleep(window).await;
    let calls_one = emu.calls("volume/list") - before;
    let mut want = vec![theirs.clone(), resellers.clone()];
    want.sort();
    assert_eq!(ids(&latest(&seen)), want, "the reseller sees every volume");

    // Three more pages of the reseller's and one of the customer's: still one poller.
    let mut pages = Vec::new();
    for _ in 0..3 {
        pages.push(watch(&panel, &reseller, "volumes").await);
    }
    let (customers_page, customer_seen) = watch(&panel, &ca, "volumes").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let before = emu.calls("volume/list");
    tokio::time::sleep(window).await;
    let calls_five = emu.calls("volume/list") - before;
    eprintln!("volume/list calls in {window:?}: 1 page {calls_one}, 5 pages {calls_five}");
    assert!(calls_one >= 2, "the poller polls ({calls_one})");
    assert!(
        calls_five <= calls_one + 2,
        "5 pages made {calls_five} calls, 1 page {calls_one}"
    );
    assert_eq!(
        ids(&latest(&customer_seen)),
        vec![theirs.clone()],
        "the customer's stream carries only their volume"
    );

    // A volume made elsewhere and then assigned to the customer appears on both streams
    // without any request from the pages.
    let made = volume_elsewhere(&panel, "made-elsewhere").await;
    assign(&panel, &reseller, a, "volume", &made).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(ids(&latest(&seen)).contains(&made));
    assert!(ids(&latest(&customer_seen)).contains(&made));
    assert!(!ids(&latest(&customer_seen)).contains(&resellers));
    for (task, _) in pages {
        task.abort();
    }
    one.abort();
    customers_page.abort();
    panel.stop().await;
}
