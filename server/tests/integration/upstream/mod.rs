//! The Luna Node client against the emulator over loopback HTTP: every action's success
//! path, each error category, the emulator's rejections, and the transport's retry rules.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::server::lunanode::actions::*;
use app::server::lunanode::sign::{sign_request, signature};
use app::server::lunanode::{ClientOptions, Credential, LunaNode, UpstreamError};
use lunapanel::emulator::{AccountSpec, Emulator, EmulatorConfig, AUTH_FAILURE};
use secrecy::SecretString;

mod dns;
mod dns2;
mod email;
mod floating;
mod image;
mod lb;
mod monitor;
mod network;
mod outcome;
mod persistence;
mod robustness;
mod script;
mod securitygroup;
pub(crate) mod strict;
mod vm;
mod volume;

pub const ID_A: &str = "aaaaaaaaaaaaaaaa";
pub const ID_B: &str = "bbbbbbbbbbbbbbbb";

pub fn key(c: char) -> String {
    c.to_string().repeat(128)
}

pub fn cred(id: &str, c: char) -> Credential {
    Credential::new(id, SecretString::from(key(c))).unwrap()
}

pub struct Upstream {
    pub client: LunaNode,
    pub base: String,
    pub a: Credential,
    pub b: Credential,
}

/// Accounts A (credit 50) and B (credit 10), instant lifecycles.
pub fn default_config() -> EmulatorConfig {
    EmulatorConfig {
        accounts: vec![
            AccountSpec {
                api_id: ID_A.into(),
                api_key: key('A'),
                credit: 50.0,
            },
            AccountSpec {
                api_id: ID_B.into(),
                api_key: key('B'),
                credit: 10.0,
            },
        ],
        time_scale: 0.0,
        ..Default::default()
    }
}

pub async fn upstream_with(config: impl FnOnce(&mut EmulatorConfig)) -> Upstream {
    let mut cfg = default_config();
    config(&mut cfg);
    serve(Emulator::new(cfg)).await
}

/// Serves `emulator` on a fresh loopback port, with a client and A's and B's credentials.
pub async fn serve(emulator: Emulator) -> Upstream {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = emulator.spawn(listener).unwrap();
    Upstream {
        client: LunaNode::new(&base, ClientOptions::default()).unwrap(),
        base,
        a: cred(ID_A, 'A'),
        b: cred(ID_B, 'B'),
    }
}

pub async fn upstream() -> Upstream {
    upstream_with(|_| {}).await
}

/// Reads a status with `read` every 20 ms until `last` says it is final (or 10 s pass), and
/// returns the distinct statuses seen, in order: the steps a page would see.
pub async fn watch<F, Fut>(mut read: F, last: impl Fn(&str) -> bool) -> Vec<String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let started = std::time::Instant::now();
    let mut seen: Vec<String> = Vec::new();
    loop {
        let status = read().await;
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if last(&status) || started.elapsed() > Duration::from_secs(10) {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn account_catalogue_actions() {
    let u = upstream().await;
    let credit = u
        .client
        .billing_credit(&u.a, &BillingCredit {})
        .await
        .unwrap();
    assert!((credit.credit - 50.0).abs() < 1e-6);
    let regions = u.client.region_list(&u.a, &RegionList {}).await.unwrap();
    assert_eq!(regions.regions["toronto"], "Toronto, Canada");
    let plans = u.client.plan_list(&u.a, &PlanList {}).await.unwrap();
    let m2 = plans.plans.iter().find(|p| p.name == "m.2").unwrap();
    assert_eq!((m2.vcpu, m2.ram), (1, 2048));
    assert!(m2.price > 0.0);
}

#[tokio::test]
async fn vm_lifecycle_and_accounts_are_separate() {
    let u = upstream_with(|c| c.time_scale = 0.05).await;
    let created = u
        .client
        .vm_create(
            &u.a,
            &VmCreate {
                hostname: "web1".into(),
                plan_id: "m.2".into(),
                image_id: Some("1100".into()),
                region: Some("montreal".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let info = u
        .client
        .vm_info(
            &u.a,
            &VmInfo {
                vm_id: created.vm_id.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(info.info.status_nohtml, "BUILD");
    assert_eq!(info.extra.as_ref().unwrap().region, "montreal");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let info = u
        .client
        .vm_info(
            &u.a,
            &VmInfo {
                vm_id: created.vm_id.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(info.info.status_nohtml, "Online");
    assert!(info
        .info
        .login_details
        .as_deref()
        .unwrap()
        .starts_with("username: ubuntu; password: "));

    // Another account sees nothing of it.
    assert!(u
        .client
        .vm_list(&u.b, &VmList {})
        .await
        .unwrap()
        .vms
        .is_empty());
    let err = u
        .client
        .vm_info(
            &u.b,
            &VmInfo {
                vm_id: created.vm_id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid vm".into()));

    let id = created.vm_id.clone();
    u.client
        .vm_stop(&u.a, &VmStop { vm_id: id.clone() })
        .await
        .unwrap();
    let status = u
        .client
        .vm_info(&u.a, &VmInfo { vm_id: id.clone() })
        .await
        .unwrap()
        .info
        .status_nohtml;
    assert_eq!(status, "Powering off");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let status = u
        .client
        .vm_info(&u.a, &VmInfo { vm_id: id.clone() })
        .await
        .unwrap()
        .info
        .status_nohtml;
    assert_eq!(status, "Offline");
    u.client
        .vm_start(&u.a, &VmStart { vm_id: id.clone() })
        .await
        .unwrap();
    u.client
        .vm_reboot(&u.a, &VmReboot { vm_id: id.clone() })
        .await
        .unwrap();
    u.client
        .vm_rename(
            &u.a,
            &VmRename {
                vm_id: id.clone(),
                hostname: "web2".into(),
            },
        )
        .await
        .unwrap();
    let list = u.client.vm_list(&u.a, &VmList {}).await.unwrap();
    assert_eq!(list.vms.len(), 1);
    assert_eq!(list.vms[0].hostname, "web2");
    assert_eq!(list.vms[0].ram, Some(2048));
    u.client
        .vm_delete(&u.a, &VmDelete { vm_id: id.clone() })
        .await
        .unwrap();
    let err = u
        .client
        .vm_delete(&u.a, &VmDelete { vm_id: id })
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn vm_create_validation() {
    let u = upstream().await;
    let base = VmCreate {
        hostname: "web1".into(),
        plan_id: "m.2".into(),
        image_id: Some("1000".into()),
        ..Default::default()
    };
    let cases = [
        (
            VmCreate {
                plan_id: "m.999".into(),
                ..base.clone()
            },
            "invalid plan selection",
        ),
        (
            VmCreate {
                image_id: Some("42".into()),
                ..base.clone()
            },
            "invalid image selection",
        ),
        (
            VmCreate {
                region: Some("atlantis".into()),
                ..base.clone()
            },
            "invalid region",
        ),
        (
            VmCreate {
                image_id: None,
                ..base.clone()
            },
            "hostname, plan_id, and/or image_id not set",
        ),
        (
            VmCreate {
                hostname: String::new(),
                ..base.clone()
            },
            "hostname, plan_id, and/or image_id not set",
        ),
    ];
    for (req, text) in cases {
        let err = u.client.vm_create(&u.a, &req).await.unwrap_err();
        assert_eq!(err, UpstreamError::Rejected(text.into()));
    }
    let err = u
        .client
        .vm_start(
            &u.a,
            &VmStart {
                vm_id: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::Rejected("vm_id not set".into()),
        "missing parameter"
    );
}

#[tokio::test]
async fn ssh_keys_as_numbered_top_level_keys() {
    let u = upstream().await;
    assert!(u
        .client
        .sshkey_list(&u.a, &SshKeyList {})
        .await
        .unwrap()
        .keys
        .is_empty());
    let one = u
        .client
        .sshkey_add(
            &u.a,
            &SshKeyAdd {
                label: "laptop".into(),
                sshkey: "ssh-ed25519 AAAAC3Nza ada@laptop".into(),
            },
        )
        .await
        .unwrap();
    u.client
        .sshkey_add(
            &u.a,
            &SshKeyAdd {
                label: "ci — ünïcode".into(),
                sshkey: "ssh-rsa AAAAB3Nza ci".into(),
            },
        )
        .await
        .unwrap();
    let keys = u
        .client
        .sshkey_list(&u.a, &SshKeyList {})
        .await
        .unwrap()
        .keys;
    assert_eq!(keys.len(), 2);
    assert_eq!(
        keys[1].name, "ci — ünïcode",
        "non-ASCII survives signing and PHP-style escaping"
    );
    let dup = u
        .client
        .sshkey_add(
            &u.a,
            &SshKeyAdd {
                label: "laptop".into(),
                sshkey: "ssh-ed25519 AAAAC3Nza x".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(dup, UpstreamError::Rejected(_)));
    let bad = u
        .client
        .sshkey_add(
            &u.a,
            &SshKeyAdd {
                label: "x".into(),
                sshkey: "not a key".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(bad, UpstreamError::Rejected(_)));
    u.client
        .sshkey_remove(
            &u.a,
            &SshKeyRemove {
                key_id: one.key_id.clone(),
            },
        )
        .await
        .unwrap();
    let err = u
        .client
        .sshkey_remove(&u.a, &SshKeyRemove { key_id: one.key_id })
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::NotFound(_)));
}

/// Posts a hand-made form to the emulator and returns the `error` text.
async fn raw_error(base: &str, path: &str, form: &[(&str, String)]) -> String {
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/{path}"))
        .form(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["success"], "no", "{body}");
    body["error"].as_str().unwrap().to_owned()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn emulator_rejects_like_the_service() {
    // Strict nonces are the default (see `strict.rs`).
    let u = upstream().await;
    // Wrong key (signature), unknown id, wrong partial key: the one auth text.
    let wrong_key = cred(ID_A, 'Z');
    assert_eq!(
        u.client
            .billing_credit(&wrong_key, &BillingCredit {})
            .await
            .unwrap_err(),
        UpstreamError::Auth
    );
    let unknown = cred("cccccccccccccccc", 'A');
    assert_eq!(
        u.client
            .billing_credit(&unknown, &BillingCredit {})
            .await
            .unwrap_err(),
        UpstreamError::Auth
    );

    let params = BTreeMap::new();
    let form = |req: String, sig: String, nonce: u64| {
        vec![
            ("req", req),
            ("signature", sig),
            ("nonce", nonce.to_string()),
        ]
    };
    let good = sign_request(&u.a, "billing/credit/", &params, now());
    // Partial key that does not match, correctly signed with the real key.
    let bad_partial = good.req.replace(&"A".repeat(64), &"B".repeat(64));
    let sig = signature(key('A').as_bytes(), "billing/credit/", &bad_partial, now());
    assert_eq!(
        raw_error(&u.base, "billing/credit/", &form(bad_partial, sig, now())).await,
        AUTH_FAILURE
    );
    // Signature for another handler.
    let other = sign_request(&u.a, "vm/list/", &params, now());
    assert_eq!(
        raw_error(
            &u.base,
            "billing/credit/",
            &form(other.req, other.signature, now())
        )
        .await,
        AUTH_FAILURE
    );
    // Nonce outside the window (an hour old), and a millisecond nonce.
    for nonce in [now() - 3600, now() * 1000] {
        let s = sign_request(&u.a, "billing/credit/", &params, nonce);
        assert_eq!(
            raw_error(&u.base, "billing/credit/", &form(s.req, s.signature, nonce)).await,
            AUTH_FAILURE,
            "nonce {nonce}"
        );
    }
    // A nonce below the last accepted one.
    u.client
        .billing_credit(&u.a, &BillingCredit {})
        .await
        .unwrap();
    let s = sign_request(&u.a, "billing/credit/", &params, now() - 60);
    assert_eq!(
        raw_error(
            &u.base,
            "billing/credit/",
            &form(s.req, s.signature, now() - 60)
        )
        .await,
        AUTH_FAILURE
    );
    // Malformed input: missing fields, non-JSON req, uppercase hex, garbage bytes.
    assert_eq!(
        raw_error(&u.base, "billing/credit/", &[("req", "{".into())]).await,
        AUTH_FAILURE
    );
    assert_eq!(
        raw_error(
            &u.base,
            "billing/credit/",
            &form("not json".into(), "00".into(), now())
        )
        .await,
        AUTH_FAILURE
    );
    let s = sign_request(&u.a, "billing/credit/", &params, now());
    assert_eq!(
        raw_error(
            &u.base,
            "billing/credit/",
            &form(s.req, s.signature.to_uppercase(), now())
        )
        .await,
        AUTH_FAILURE
    );
    let res = reqwest::Client::new()
        .post(format!("{}/billing/credit/", u.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'=', 0x00])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "errors come with HTTP 200");
    // A null parameter (what broke real clients).
    let mut nulled: serde_json::Value =
        serde_json::from_str(&sign_request(&u.a, "vm/list/", &params, now()).req).unwrap();
    nulled["region"] = serde_json::Value::Null;
    let req = nulled.to_string();
    let sig = signature(key('A').as_bytes(), "vm/list/", &req, now());
    assert_eq!(
        raw_error(&u.base, "vm/list/", &form(req, sig, now())).await,
        "invalid value for region"
    );
    // An unknown action.
    let s = sign_request(&u.a, "vm/teleport/", &params, now());
    assert_eq!(
        raw_error(&u.base, "vm/teleport/", &form(s.req, s.signature, now())).await,
        "invalid action"
    );
}

/// A fake upstream that fails `failures` times with `status`, then answers `body`.
pub(crate) async fn flaky(
    failures: usize,
    status: u16,
    body: &'static str,
) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            if n < failures {
                let mut res = axum::response::IntoResponse::into_response("upstream trouble");
                *res.status_mut() = http::StatusCode::from_u16(status).unwrap();
                if status == 302 {
                    res.headers_mut().insert(
                        "location",
                        http::HeaderValue::from_static("http://127.0.0.1:9/elsewhere"),
                    );
                }
                res
            } else {
                axum::response::IntoResponse::into_response(body)
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/api"), hits)
}

fn fast() -> ClientOptions {
    ClientOptions {
        backoff: Duration::from_millis(5),
        ..Default::default()
    }
}

#[tokio::test]
async fn reads_retry_on_5xx_mutations_never() {
    let (base, hits) = flaky(2, 503, r#"{"success":"yes","credit":"1.5"}"#).await;
    let client = LunaNode::new(&base, fast()).unwrap();
    let a = cred(ID_A, 'A');
    let credit = client.billing_credit(&a, &BillingCredit {}).await.unwrap();
    assert!((credit.credit - 1.5).abs() < 1e-9);
    assert_eq!(hits.load(Ordering::SeqCst), 3, "two retries then success");

    let (base, hits) = flaky(2, 503, r#"{"success":"yes"}"#).await;
    let client = LunaNode::new(&base, fast()).unwrap();
    let err = client
        .vm_start(&a, &VmStart { vm_id: "x".into() })
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Unavailable(_)), "{err:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "a mutation is sent once");

    let (base, hits) = flaky(5, 502, "").await;
    let client = LunaNode::new(&base, fast()).unwrap();
    assert!(client.vm_list(&a, &VmList {}).await.is_err());
    assert_eq!(hits.load(Ordering::SeqCst), 3, "retries are bounded");
}

#[tokio::test]
async fn redirects_are_not_followed_and_bad_bodies_are_malformed() {
    let a = cred(ID_A, 'A');
    let (base, hits) = flaky(1, 302, "").await;
    let client = LunaNode::new(&base, fast()).unwrap();
    let err = client
        .vm_start(&a, &VmStart { vm_id: "x".into() })
        .await
        .unwrap_err();
    assert!(
        matches!(err, UpstreamError::Unavailable(ref m) if m.contains("redirect")),
        "{err:?}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    for (body, what) in [
        ("<html>oops</html>", "not JSON"),
        (r#"{"credit":"1"}"#, "missing success"),
        (r#"{"success":"yes","credit":"lots"}"#, "billing/credit"),
    ] {
        let (base, _) = flaky(0, 200, body).await;
        let client = LunaNode::new(&base, fast()).unwrap();
        let err = client
            .billing_credit(&a, &BillingCredit {})
            .await
            .unwrap_err();
        assert!(
            matches!(err, UpstreamError::Malformed(ref m) if m.contains(what)),
            "{body}: {err:?}"
        );
    }
    let (base, _) = flaky(0, 200, r#"{"success":"no","error":"invalid image"}"#).await;
    let client = LunaNode::new(&base, fast()).unwrap();
    assert_eq!(
        client
            .billing_credit(&a, &BillingCredit {})
            .await
            .unwrap_err(),
        UpstreamError::NotFound("invalid image".into())
    );
}

#[tokio::test]
async fn slow_upstream_times_out() {
    let app = axum::Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        "late"
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = LunaNode::new(
        &format!("http://{addr}/api"),
        ClientOptions {
            timeout: Duration::from_millis(300),
            read_retries: 0,
            ..fast()
        },
    )
    .unwrap();
    let started = std::time::Instant::now();
    let err = client
        .billing_credit(&cred(ID_A, 'A'), &BillingCredit {})
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2));
    let closed = LunaNode::new("http://127.0.0.1:9/api", fast()).unwrap();
    let err = closed
        .billing_credit(&cred(ID_A, 'A'), &BillingCredit {})
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn the_circuit_opens_after_repeated_failures_and_fails_fast() {
    let (base, hits) = flaky(1000, 503, "").await;
    let client = LunaNode::new(
        &base,
        ClientOptions {
            read_retries: 0,
            breaker_threshold: 3,
            breaker_cooldown: Duration::from_millis(300),
            ..fast()
        },
    )
    .unwrap();
    let a = cred(ID_A, 'A');
    for _ in 0..3 {
        assert!(client.vm_list(&a, &VmList {}).await.is_err());
    }
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    assert!(client.degraded());
    let started = std::time::Instant::now();
    let err = client.vm_list(&a, &VmList {}).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(50), "fails fast");
    assert!(
        matches!(err, UpstreamError::Unavailable(ref m) if m.contains("not trying")),
        "{err:?}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 3, "the host is left alone");
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(client.vm_list(&a, &VmList {}).await.is_err());
    assert_eq!(
        hits.load(Ordering::SeqCst),
        4,
        "one probe after the cooldown"
    );
    assert!(client.vm_list(&a, &VmList {}).await.is_err());
    assert_eq!(
        hits.load(Ordering::SeqCst),
        4,
        "the failed probe re-opened it"
    );
}

/// Issue 8, defect 10: a probe that is cancelled (its request timed out further up, mid-call)
/// must give the probe slot back; otherwise the circuit stays open until restart.
#[tokio::test]
async fn a_cancelled_probe_does_not_keep_the_circuit_open() {
    // Two failures, then one request that hangs (the probe), then answers.
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            if n < 2 {
                let mut res = axum::response::IntoResponse::into_response("upstream trouble");
                *res.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
                return res;
            }
            if n == 2 {
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
            axum::response::IntoResponse::into_response(r#"{"success":"yes","credit":"2.5"}"#)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = LunaNode::new(
        &format!("http://{addr}/api"),
        ClientOptions {
            read_retries: 0,
            breaker_threshold: 2,
            breaker_cooldown: Duration::from_millis(200),
            backoff: Duration::from_millis(5),
            ..Default::default()
        },
    )
    .unwrap();
    let a = cred(ID_A, 'A');
    for _ in 0..2 {
        assert!(client.billing_credit(&a, &BillingCredit {}).await.is_err());
    }
    assert!(client.degraded());
    tokio::time::sleep(Duration::from_millis(250)).await;
    // The probe goes out and is cancelled by a deadline of the caller's.
    let cancelled = tokio::time::timeout(
        Duration::from_millis(200),
        client.billing_credit(&a, &BillingCredit {}),
    )
    .await;
    assert!(cancelled.is_err(), "the probe was cancelled");
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    // A later call is let through as the next probe, and closes the circuit.
    let credit = client
        .billing_credit(&a, &BillingCredit {})
        .await
        .expect("a cancelled probe left the circuit open for good");
    assert!((credit.credit - 2.5).abs() < 1e-9);
    assert!(!client.degraded());
}
