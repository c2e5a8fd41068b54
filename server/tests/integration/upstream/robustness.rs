//! Coverage and robustness: every client action is emulated; hostile input never panics the
//! emulator or the decoders; no credential material reaches a log.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use app::server::lunanode::actions::{self, *};
use app::server::lunanode::sign::sign_request;
use app::server::lunanode::{params, UpstreamError};
use proptest::prelude::*;
use serde_json::Value;

use super::{cred, upstream, ID_A};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Every action the client declares reaches a handler: a correctly signed call with no
/// parameters never gets "invalid action" (it succeeds or names what is missing).
#[tokio::test]
async fn every_client_action_is_emulated() {
    let u = upstream().await;
    let http = reqwest::Client::new();
    let all = actions::all();
    assert!(
        all.len() >= 116,
        "111 wiki actions + sshkey/* + vm/usage + vm/set-fairshare, got {}",
        all.len()
    );
    for action in all {
        let handler = format!("{}/", action.path);
        let form = sign_request(&u.a, &handler, &BTreeMap::new(), now());
        let res = http
            .post(format!("{}/{handler}", u.base))
            .form(&[
                ("req", form.req),
                ("signature", form.signature),
                ("nonce", form.nonce.to_string()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", action.path);
        let body = res.bytes().await.unwrap();
        if action.path == "image/retrieve" {
            continue;
        }
        let body: Value =
            serde_json::from_slice(&body).unwrap_or_else(|_| panic!("{}: not JSON", action.path));
        assert_ne!(
            body["error"], "invalid action",
            "{} is not emulated",
            action.path
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Arbitrary JSON into every response decoder: an error or a value, never a panic.
    #[test]
    fn decoders_never_panic(json in arb_json()) {
        let _ = serde_json::from_value::<VmInfoResponse>(json.clone());
        let _ = serde_json::from_value::<VmListResponse>(json.clone());
        let _ = serde_json::from_value::<Plans>(json.clone());
        let _ = serde_json::from_value::<Regions>(json.clone());
        let _ = serde_json::from_value::<SshKeys>(json.clone());
        let _ = serde_json::from_value::<Images>(json.clone());
        let _ = serde_json::from_value::<ImageDetailsResponse>(json.clone());
        let _ = serde_json::from_value::<Volumes>(json.clone());
        let _ = serde_json::from_value::<Snapshots>(json.clone());
        let _ = serde_json::from_value::<Usage>(json);
    }

    /// Odd unicode in every parameter still signs, sends and round-trips.
    #[test]
    fn params_with_odd_unicode_sign_to_ascii(label in "\\PC{0,40}") {
        let p = params(&SshKeyAdd { label: label.clone(), sshkey: "ssh-ed25519 AAAA x".into() }).unwrap();
        let form = sign_request(&cred(ID_A, 'A'), "sshkey/add/", &p, 1);
        prop_assert!(form.req.is_ascii());
        let back: Value = serde_json::from_str(&form.req).unwrap();
        prop_assert_eq!(back["label"].as_str().unwrap(), label.as_str());
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("yes"),
            Just("no"),
            Just("1"),
            Just(""),
            Just("12.5"),
            Just("abc")
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("success".to_owned()),
                    Just("vms".to_owned()),
                    Just("info".to_owned()),
                    Just("plans".to_owned()),
                    Just("images".to_owned()),
                    Just("0".to_owned()),
                    Just("vm_id".to_owned()),
                    Just("usage".to_owned()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Hostile request bodies against the emulator: always HTTP 200 with a JSON error, never a
/// panic or a hang (deep nesting, huge fields, odd unicode, broken encodings).
#[tokio::test]
async fn emulator_survives_hostile_requests() {
    let u = upstream().await;
    let http = reqwest::Client::new();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let huge = "x".repeat(3 * 1024 * 1024);
    let bodies: Vec<Vec<u8>> = vec![
        format!("req={}&signature=ab&nonce=1", urlencode(&deep)).into_bytes(),
        format!("req={}&signature=ab&nonce=1", urlencode(&huge)).into_bytes(),
        "req=%7B%22api_id%22%3A%5B1%5D%7D&signature=zz&nonce=-1".into(),
        "req=%F0%9F%98%80%00%FF&signature=%E2%80%94&nonce=99999999999999999999999".into(),
        vec![0xff; 64],
        b"req&signature&nonce".to_vec(),
    ];
    for body in bodies {
        let res = http
            .post(format!("{}/vm/list/", u.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(
            res.status() == 200 || res.status() == 413,
            "{}",
            res.status()
        );
        if res.status() == 200 {
            let v: Value = res.json().await.unwrap();
            assert_eq!(v["success"], "no");
        }
    }
    // Still serving afterwards.
    u.client
        .billing_credit(&u.a, &BillingCredit {})
        .await
        .unwrap();
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// A `MakeWriter` into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// With every log level on, calls that succeed, fail upstream, fail auth and time out leave
/// no key, partial key, signature or request body in the logs.
#[tokio::test]
async fn no_secret_reaches_a_log() {
    // With one dispatcher registered, tracing-core judges a callsite by the dispatcher of
    // the thread that reaches it first: another test's thread (no subscriber) would disable
    // it for this one too. A second dispatcher makes it consult all of them.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let canary_key = format!("CANARY{}", "Q".repeat(122));
    let u = super::upstream_with(|c| {
        c.accounts.push(lunapanel::emulator::AccountSpec {
            api_id: "canarycanary0000".into(),
            api_key: canary_key.clone(),
            credit: 5.0,
        })
    })
    .await;
    let canary = app::server::lunanode::Credential::new(
        "canarycanary0000",
        secrecy::SecretString::from(canary_key.clone()),
    )
    .unwrap();
    u.client
        .billing_credit(&canary, &BillingCredit {})
        .await
        .unwrap();
    let _ = u
        .client
        .vm_info(
            &canary,
            &VmInfo {
                vm_id: "nope".into(),
            },
        )
        .await;
    let wrong = app::server::lunanode::Credential::new(
        "canarycanary0000",
        secrecy::SecretString::from(format!("CANARX{}", "Q".repeat(122))),
    )
    .unwrap();
    assert_eq!(
        u.client
            .billing_credit(&wrong, &BillingCredit {})
            .await
            .unwrap_err(),
        UpstreamError::Auth
    );
    let signed = sign_request(&canary, "billing/credit/", &BTreeMap::new(), now());

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("upstream call"), "calls are logged: {logs}");
    for secret in [
        canary_key.as_str(),
        &canary_key[..64],
        &canary_key[..16],
        &signed.signature[..32],
        "api_partialkey",
    ] {
        assert!(!logs.contains(secret), "{secret:?} reached the log");
    }
}
