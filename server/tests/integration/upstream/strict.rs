//! The emulator refuses, by default, what the service refuses (issue 8, defect 6): a URL
//! without the trailing slash, a nonce that goes down for an API ID — while accepting what
//! real clients send (spaced JSON, integers). It answers like the service (`text/html`, a
//! non-empty `ipv6` list, the service's address order), and the client never lets a lower
//! nonce reach it after a higher one, however many calls run at once.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::server::lunanode::actions::*;
use app::server::lunanode::sign::{sign_request, signature};
use app::server::lunanode::{ClientOptions, LunaNode, UpstreamError};
use lunapanel::emulator::{Emulator, EmulatorConfig, AUTH_FAILURE};
use serde_json::Value;

use super::{cred, default_config, key, upstream, ID_A};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// POSTs a raw `req` (signed with A's key for `handler` at `nonce`) to `url`.
async fn post_raw(url: &str, handler: &str, req: &str, nonce: u64) -> reqwest::Response {
    let sig = signature(key('A').as_bytes(), handler, req, nonce);
    reqwest::Client::new()
        .post(url)
        .form(&[
            ("req", req.to_owned()),
            ("signature", sig),
            ("nonce", nonce.to_string()),
        ])
        .send()
        .await
        .unwrap()
}

async fn body(res: reqwest::Response) -> Value {
    serde_json::from_slice(&res.bytes().await.unwrap()).unwrap()
}

#[test]
fn strict_is_the_default() {
    assert!(EmulatorConfig::default().strict_nonces);
    assert!(
        default_config().strict_nonces,
        "the tests' emulator is strict"
    );
}

#[tokio::test]
async fn the_default_emulator_refuses_what_the_service_refuses() {
    let u = upstream().await;
    let params = BTreeMap::new();
    let handler = "billing/credit/";
    let t = now();
    let good = sign_request(&u.a, handler, &params, t);
    let url = format!("{}/{handler}", u.base);

    // Accepted once; the same nonce again is fine (equal nonces are tolerated, INFERRED).
    for _ in 0..2 {
        assert_eq!(
            body(post_raw(&url, handler, &good.req, t).await).await["success"],
            "yes"
        );
    }
    // A nonce that goes down for this API ID is refused, even inside the window.
    let res = post_raw(&url, handler, &good.req, t - 5).await;
    assert_eq!(
        body(res).await["error"],
        AUTH_FAILURE,
        "a decreasing nonce must be refused by default"
    );
    // ... for this API ID only: B's first call at an older nonce is its own business.
    let b = sign_request(&u.b, handler, &params, t - 5);
    let sig_b = signature(key('B').as_bytes(), handler, &b.req, t - 5);
    let res = reqwest::Client::new()
        .post(&url)
        .form(&[
            ("req", b.req),
            ("signature", sig_b),
            ("nonce", (t - 5).to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(body(res).await["success"], "yes", "nonces are per API ID");

    // Without the trailing slash the service has no such handler.
    let res = post_raw(
        &format!("{}/billing/credit", u.base),
        handler,
        &good.req,
        now(),
    )
    .await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(
        !text.contains("\"success\":\"yes\""),
        "a URL without the trailing slash was served: {status} {text}"
    );
}

#[tokio::test]
async fn real_clients_requests_are_accepted() {
    let u = upstream().await;
    // Python's json.dumps spacing, with integers for ids (PROMO sends plan_id and
    // image_id as numbers; reference §1.3).
    let req = format!(
        r#"{{"api_id": "{ID_A}", "api_partialkey": "{}", "hostname": "py", "plan_id": 87, "image_id": 1000}}"#,
        "A".repeat(64)
    );
    let res = post_raw(&format!("{}/vm/create/", u.base), "vm/create/", &req, now()).await;
    let created = body(res).await;
    assert_eq!(created["success"], "yes", "{created}");
    let vm_id = created["vm_id"].as_str().unwrap().to_owned();
    let list = u.client.vm_list(&u.a, &VmList {}).await.unwrap();
    assert_eq!(list.vms.len(), 1);
    assert_eq!(list.vms[0].vm_id, vm_id);
    assert_eq!(list.vms[0].plan_id, "87");

    // An integer ttl (CERTBOT sends `ttl: 300`).
    let zone_id = u
        .client
        .dns2_zone_add(
            &u.a,
            &Dns2ZoneAdd {
                name: "example.com".into(),
                ttl: 3600,
            },
        )
        .await
        .unwrap()
        .zone_id
        .expect("the emulator names the new zone");
    let req = format!(
        r#"{{"api_id": "{ID_A}", "api_partialkey": "{}", "zone_id": "{zone_id}", "name": "www", "type": "A", "data": "203.0.113.9", "ttl": 300}}"#,
        "A".repeat(64)
    );
    let res = post_raw(
        &format!("{}/dns2/record-add/", u.base),
        "dns2/record-add/",
        &req,
        now(),
    )
    .await;
    let added = body(res).await;
    assert_eq!(added["success"], "yes", "{added}");
}

#[tokio::test]
async fn answers_look_like_the_service() {
    let u = upstream().await;
    let params = BTreeMap::new();
    let t = now();
    for (handler, req) in [
        (
            "billing/credit/",
            sign_request(&u.a, "billing/credit/", &params, t).req,
        ),
        (
            "vm/teleport/",
            sign_request(&u.a, "vm/teleport/", &params, t).req,
        ),
    ] {
        let res = post_raw(&format!("{}/{handler}", u.base), handler, &req, t).await;
        let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(
            ct.starts_with("text/html"),
            "{handler}: content type {ct}, the service sends text/html"
        );
    }

    let vm_id = u
        .client
        .vm_create(
            &u.a,
            &VmCreate {
                hostname: "v6".into(),
                plan_id: "m.2".into(),
                image_id: Some("1000".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .vm_id;
    let info = u
        .client
        .vm_info(&u.a, &VmInfo { vm_id })
        .await
        .unwrap()
        .info;
    assert_eq!(info.ipv6.len(), 1, "a VM has an IPv6 address: {info:?}");
    let order: Vec<(Option<u8>, bool, &str)> = info
        .addresses
        .iter()
        .map(|a| (a.version, a.external, a.addr.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            (Some(6), true, info.ipv6[0].as_str()),
            (Some(4), false, info.privateip.as_str()),
            (Some(4), true, info.ip.as_str()),
        ],
        "the service's order: IPv6, private IPv4, public IPv4"
    );
    assert!(info.ipv6[0].parse::<std::net::Ipv6Addr>().is_ok());
}

/// A stand-in for the network between panel and service: forwards each request to `target`
/// after a varying delay (0–120 ms), so requests can overtake one another.
async fn jittery(target: String) -> String {
    let counter = Arc::new(AtomicU64::new(0));
    let http = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let (counter, http, target) = (counter.clone(), http.clone(), target.clone());
        async move {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            // A cheap spread of delays (multiplicative hashing of the request number).
            let delay = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 57;
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            tokio::time::sleep(Duration::from_millis(delay)).await;
            let res = http
                .post(format!("{target}{}", parts.uri.path()))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(bytes)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body = res.bytes().await.unwrap();
            let mut out = axum::response::IntoResponse::into_response(body);
            *out.status_mut() = http::StatusCode::from_u16(status).unwrap();
            out
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/api")
}

/// Many concurrent calls for one API ID across several second boundaries, over a network
/// that reorders requests: the strict emulator never sees a nonce go down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_never_send_a_lower_nonce_after_a_higher_one() {
    let emulator = Emulator::new(EmulatorConfig {
        strict_nonces: true,
        ..default_config()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let direct = emulator.spawn(listener).unwrap();
    let base = jittery(direct.trim_end_matches("/api").to_owned()).await;
    let client = Arc::new(
        LunaNode::new(
            &base,
            ClientOptions {
                read_retries: 0,
                ..Default::default()
            },
        )
        .unwrap(),
    );
    let (ok, refused) = hammer(
        &[client],
        Arc::new(cred(ID_A, 'A')),
        24,
        Duration::from_millis(3200),
    )
    .await;
    eprintln!("{ok} calls accepted, {refused} refused");
    assert!(ok > 100, "only {ok} calls went through");
    assert_eq!(refused, 0, "{refused} calls were refused for a lower nonce");
}

/// Issue 14.7: another panel instance signing with the same key sent a higher nonce (the
/// next second) that arrived first. Alone, a client's call is refused; a client that knows
/// other instances share its keys signs it again once, above the refused nonce, and the
/// call goes through (a refused request was not carried out).
#[tokio::test]
async fn a_call_overtaken_by_another_instances_nonce_is_signed_again() {
    // The steps must happen within one second; on a loaded machine a try may not, and is
    // made again (with a fresh emulator) rather than judged.
    for _ in 0..5 {
        if overtaken_call_within_one_second().await {
            return;
        }
        eprintln!("the second ended before the steps did (a loaded machine): again");
    }
    panic!("five tries never fitted the steps into one second");
}

/// One try of the test above; false if the second ended too early to judge.
async fn overtaken_call_within_one_second() -> bool {
    let emulator = Emulator::new(default_config());
    let u = super::serve(emulator.clone()).await;
    // Early in a second, so the steps below happen before the next one.
    while std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_millis()
        > 200
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let t = now();
    let handler = "billing/credit/";
    let req = sign_request(&u.a, handler, &BTreeMap::new(), t + 1).req;
    let url = format!("{}/{handler}", u.base);
    assert_eq!(
        body(post_raw(&url, handler, &req, t + 1).await).await["success"],
        "yes",
        "the other instance's call, signed in the next second"
    );
    let alone = LunaNode::new(&u.base, ClientOptions::default()).unwrap();
    let alone = alone.billing_credit(&u.a, &BillingCredit {}).await;
    if now() != t {
        return false;
    }
    assert_eq!(
        alone.unwrap_err(),
        UpstreamError::Auth,
        "alone, a lower nonce after a higher one is refused"
    );
    let shared = LunaNode::new(
        &u.base,
        ClientOptions {
            shared_keys: true,
            ..Default::default()
        },
    )
    .unwrap();
    let before = emulator.calls("billing/credit");
    if now() != t {
        return false;
    }
    shared
        .billing_credit(&u.a, &BillingCredit {})
        .await
        .expect("signed again and accepted");
    assert_eq!(
        emulator.calls("billing/credit") - before,
        2,
        "one refused attempt, one accepted"
    );
    // A credential that is really wrong is refused after the one extra attempt.
    let wrong = cred(super::ID_B, 'Z');
    assert_eq!(
        shared
            .billing_credit(&wrong, &BillingCredit {})
            .await
            .unwrap_err(),
        UpstreamError::Auth
    );
    true
}

/// `tasks` concurrent callers, spread over `clients` in turn, call `billing/credit` with
/// `cred` for `window`; returns how many calls were accepted and how many refused for their
/// nonce (any other error fails the test).
pub(crate) async fn hammer(
    clients: &[Arc<LunaNode>],
    cred: Arc<app::server::lunanode::Credential>,
    tasks: usize,
    window: Duration,
) -> (u32, u32) {
    let until = Instant::now() + window;
    let mut running = Vec::new();
    for i in 0..tasks {
        let (client, cred) = (clients[i % clients.len()].clone(), cred.clone());
        running.push(tokio::spawn(async move {
            let (mut ok, mut refused) = (0u32, 0u32);
            while Instant::now() < until {
                match client.billing_credit(&cred, &BillingCredit {}).await {
                    Ok(_) => ok += 1,
                    Err(UpstreamError::Auth) => refused += 1,
                    Err(e) => panic!("unexpected error: {e:?}"),
                }
            }
            (ok, refused)
        }));
    }
    let (mut ok, mut refused) = (0, 0);
    for t in running {
        let (o, r) = t.await.unwrap();
        ok += o;
        refused += r;
    }
    (ok, refused)
}
