//! A write whose connection broke after it was sent (issue 8, defect 11): Luna Node may or
//! may not have done it, so the user is told to check the list before retrying (not "failed,
//! try again", which invites a duplicate `vm/create`), the audit row says `unknown`, and the
//! live VM list is read again at once. Reads in the same situation are retried as before.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::error::AppError;
use app::server::lunanode::actions::*;
use app::server::lunanode::{ClientOptions, LunaNode, UpstreamError};
use lunapanel::emulator::Emulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{cred, default_config, key, ID_A};
use crate::both;
use crate::harness::{Db, Panel};

/// Reads one HTTP/1.1 request (headers and a `Content-Length` body); `None` if the peer
/// went away first.
async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
    let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
    Some((path, buf[head_end..head_end + length].to_vec()))
}

/// A stand-in for Luna Node on a raw socket. A request whose path ends with one of `broken`
/// (or any request, without a `target`) is read in full, then its connection is dropped
/// with no answer; any other is forwarded to `target` (`http://host:port`) and answered
/// with `Connection: close`. Returns the API base URL and how many requests were dropped.
pub async fn breaking_upstream(
    target: Option<String>,
    broken: &'static [&'static str],
) -> (String, Arc<AtomicUsize>) {
    let dropped = Arc::new(AtomicUsize::new(0));
    let count = dropped.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let http = reqwest::Client::new();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let (count, http, target) = (count.clone(), http.clone(), target.clone());
            tokio::spawn(async move {
                let Some((path, body)) = read_request(&mut stream).await else {
                    return;
                };
                let target = match target {
                    Some(t) if !broken.iter().any(|b| path.ends_with(b)) => t,
                    _ => {
                        count.fetch_add(1, Ordering::SeqCst);
                        drop(stream);
                        return;
                    }
                };
                let res = http
                    .post(format!("{target}{path}"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                let bytes = res.bytes().await.unwrap();
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    bytes.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&bytes).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (format!("http://{addr}/api"), dropped)
}

/// The client: a mutation whose connection broke after sending is `OutcomeUnknown`, sent
/// once; a read in the same situation is retried and then `Unavailable`.
#[tokio::test]
async fn a_broken_connection_makes_a_write_unknown_and_a_read_unavailable() {
    let (base, dropped) = breaking_upstream(None, &[]).await;
    let client = LunaNode::new(
        &base,
        ClientOptions {
            backoff: Duration::from_millis(5),
            ..Default::default()
        },
    )
    .unwrap();
    let a = cred(ID_A, 'A');
    let err = client
        .vm_create(
            &a,
            &VmCreate {
                hostname: "web".into(),
                plan_id: "m.2".into(),
                image_id: Some("1000".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::OutcomeUnknown, "{err:?}");
    assert_eq!(dropped.load(Ordering::SeqCst), 1, "a mutation is sent once");
    assert!(err.is_transient(), "the breaker counts it as a failure");

    let err = client.vm_list(&a, &VmList {}).await.unwrap_err();
    assert!(matches!(err, UpstreamError::Unavailable(_)), "{err:?}");
    assert_eq!(dropped.load(Ordering::SeqCst), 4, "a read is retried twice");

    // Nothing sent at all (no connection): a plain "unavailable", for writes too.
    let closed = LunaNode::new("http://127.0.0.1:9/api", ClientOptions::default()).unwrap();
    let err = closed
        .vm_start(&a, &VmStart { vm_id: "x".into() })
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Unavailable(_)), "{err:?}");
}

/// Through the panel: `vms/create` whose connection breaks after sending tells the user to
/// check the list before retrying, audits `unknown`, and has the live list read again.
async fn a_create_with_unknown_outcome_says_check_the_list(db: Db) {
    let emulator = Emulator::new(default_config());
    let direct = emulator
        .spawn(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap())
        .unwrap();
    let (base, dropped) = breaking_upstream(
        Some(direct.trim_end_matches("/api").to_owned()),
        &["/vm/create/"],
    )
    .await;
    let panel =
        Panel::start_with(db, &[("upstream_url", &base), ("sign_up", "open")], |_| {}).await;
    // The poller only polls when asked to (a kick), so a re-list is visible.
    panel.state.live.set_timing(app::server::live::LiveTiming {
        fast: Duration::from_secs(600),
        slow: Duration::from_secs(600),
        ..Default::default()
    });
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let lists_before = emulator.calls("vm/list");

    let form = [
        ("vm[hostname]", "web-1.example.com"),
        ("vm[region]", "toronto"),
        ("vm[plan_id]", "m.2"),
        ("vm[boot]", "image:1000"),
        ("vm[set_password]", "true"),
    ];
    let e = panel
        .call::<String>(&c, "vms/create", &form)
        .await
        .unwrap_err();
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        1,
        "sent once, never retried"
    );
    let text = e.to_string().to_lowercase();
    assert!(
        text.contains("may or may not") && text.contains("check the list"),
        "the user must be told the outcome is unknown: {e:?}"
    );
    assert!(matches!(e, AppError::Upstream { .. }), "{e:?}");

    let user = panel.user("a@example.com").await;
    let audit = panel
        .state
        .store
        .list_audit(Some(user.id), 10)
        .await
        .unwrap();
    let create = audit
        .iter()
        .find(|r| r.entry.action == "vm/create")
        .expect("an audit row for vm/create");
    assert_eq!(
        create.entry.outcome.as_str(),
        "unknown",
        "{:?}",
        create.entry
    );

    // The VM list is read again without anyone asking.
    let deadline = Instant::now() + Duration::from_secs(5);
    while emulator.calls("vm/list") == lists_before {
        assert!(
            Instant::now() < deadline,
            "the live list was not refreshed after an unknown outcome"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panel.stop().await;
}

both!(a_create_with_unknown_outcome_says_check_the_list);
