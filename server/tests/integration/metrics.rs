//! `/metrics` (issue 14.9): off unless configured (404); with a token on the panel's address
//! (no token or a wrong one gets the same 404 as metrics off), or on a separate address
//! without one; the text is Prometheus exposition; counters move with real requests.
//!
//! The recorder is global to the test process and other tests run beside these, so counters
//! are compared before and after (they only grow) and gauges only where this test's own
//! state decides them.

use std::collections::BTreeMap;

use app::server::lunanode::Action;
use reqwest::{Client, StatusCode};

use crate::both;
use crate::harness::{Db, Panel};
use crate::upstream::{key, ID_A};

const TOKEN: &str = "scrape-Token-0123456789abcdef";

both!(
    off_by_default,
    the_token_is_required_and_checked,
    a_separate_listener_serves_only_metrics,
    counters_move_with_real_requests,
    budget_refusals_are_counted,
);

/// One sample: its series name, its labels, its value.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the text exposition format strictly enough to fail on anything malformed: every
/// line is `# HELP name text`, `# TYPE name type`, or `name{label="value",…} value`, and each
/// sample's family was typed before it.
fn parse(text: &str) -> Vec<Sample> {
    fn name_ok(name: &str) -> bool {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }
    let mut typed: BTreeMap<String, String> = BTreeMap::new();
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP name text");
            assert!(name_ok(name) && !help.is_empty(), "bad HELP line: {line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name type");
            assert!(name_ok(name), "bad TYPE line: {line}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "bad TYPE line: {line}"
            );
            typed.insert(name.to_owned(), kind.to_owned());
            continue;
        }
        assert!(!line.starts_with('#'), "unexpected comment: {line}");
        let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value in: {line}")),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series, BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').expect("labels end with }");
                (name, parse_labels(body, line))
            }
        };
        assert!(name_ok(name), "bad series name in: {line}");
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s).filter(|f| typed.contains_key(*f)))
            .unwrap_or(name);
        assert!(
            typed.contains_key(family),
            "{name} has no TYPE line before it"
        );
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    samples
}

/// `k="v",k2="v2"` (values may hold escaped quotes and commas).
fn parse_labels(body: &str, line: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = body;
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("bad labels: {line}"));
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c)) => value.push(c),
                    None => panic!("bad escape: {line}"),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => value.push(c),
                None => panic!("unterminated label value: {line}"),
            }
        };
        labels.insert(key.to_owned(), value);
        rest = after[end + 1..].trim_start_matches(',');
    }
    labels
}

/// The value of `name` with (at least) these labels, summed over the others; 0 if absent.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

async fn get(client: &Client, url: &str, token: Option<&str>) -> (StatusCode, String, String) {
    let mut req = client.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, res.text().await.unwrap())
}

/// A scrape with the token, parsed.
async fn scrape(panel: &Panel) -> Vec<Sample> {
    let (status, content_type, body) = get(
        &panel.bare_client(),
        &format!("{}/metrics", panel.base),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    parse(&body)
}

async fn off_by_default(db: Db) {
    let panel = Panel::start(db).await;
    assert!(panel.metrics_addr().is_none());
    let c = panel.bare_client();
    let url = format!("{}/metrics", panel.base);
    for token in [None, Some(TOKEN)] {
        let (status, _, body) = get(&c, &url, token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{token:?}: {body}");
        assert_eq!(body, "", "{token:?}");
    }
    // Signed in, too.
    let signed_in = panel.admin().await;
    let (status, _, body) = get(&signed_in, &url, None).await;
    assert_eq!((status, body.as_str()), (StatusCode::NOT_FOUND, ""));
    panel.stop().await;
}

async fn the_token_is_required_and_checked(db: Db) {
    let panel = Panel::start_with(db, &[("metrics_token", TOKEN)], |_| {}).await;
    assert!(panel.metrics_addr().is_none(), "no separate listener");
    let c = panel.bare_client();
    let url = format!("{}/metrics", panel.base);
    // Without the token, or with another, the answer is what it is with metrics off: nothing
    // tells that they are on.
    let wrong = [
        None,
        Some("scrape-Token-0123456789abcdeX"),
        Some("scrape-Token-0123456789abcde"),
        Some(""),
    ];
    for token in wrong {
        let (status, _, body) = get(&c, &url, token).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::NOT_FOUND, ""),
            "{token:?}"
        );
    }
    // Basic authentication with the token as password is not the bearer scheme.
    let res = c
        .get(&url)
        .basic_auth("prometheus", Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Another method with the right token is not a scrape either.
    let res = c.post(&url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // With it: the exposition, no session needed, and no cookie set.
    let res = c.get(&url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("set-cookie").is_none());
    assert_eq!(res.headers()["cache-control"], "no-store");
    let samples = parse(&res.text().await.unwrap());
    // Sampled at scrape time from this panel: the breaker is closed, nothing is hashing.
    assert_eq!(
        value(&samples, "lunapanel_upstream_breaker_state", &[]),
        0.0
    );
    assert!(samples
        .iter()
        .any(|s| s.name == "lunapanel_password_hash_waiting"));
    assert!(samples
        .iter()
        .any(|s| s.name == "lunapanel_password_hash_running"));
    assert!(value(&samples, "lunapanel_process_resident_memory_bytes", &[]) > 1e6);
    assert!(value(&samples, "lunapanel_process_open_fds", &[]) >= 3.0);
    assert_eq!(
        value(&samples, "lunapanel_sessions", &[]),
        0.0,
        "nobody signed in"
    );
    // The earlier refusals were requests like any other, counted under no route.
    assert!(
        value(
            &samples,
            "lunapanel_http_requests_total",
            &[("route", "(unrouted)"), ("status", "4xx")]
        ) >= 6.0
    );
    // A session is counted once someone signs in.
    let _admin = panel.admin().await;
    let samples = scrape(&panel).await;
    assert_eq!(value(&samples, "lunapanel_sessions", &[]), 1.0);
    // The scrape itself is counted under its route.
    assert!(
        value(
            &samples,
            "lunapanel_http_requests_total",
            &[("route", "/metrics"), ("status", "2xx")]
        ) >= 1.0
    );
    panel.stop().await;
}

async fn a_separate_listener_serves_only_metrics(db: Db) {
    let panel = Panel::start_with(db, &[("metrics_listen", "127.0.0.1:0")], |_| {}).await;
    let addr = panel.metrics_addr().expect("a metrics listener");
    let c = panel.bare_client();
    let (status, content_type, body) = get(&c, &format!("http://{addr}/metrics"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let samples = parse(&body);
    assert!(samples
        .iter()
        .any(|s| s.name == "lunapanel_upstream_breaker_state"));
    // Nothing else is served there: not the panel's pages, server functions or health.
    for path in ["/", "/sign-in", "/healthz", "/api/panel_info"] {
        let (status, _, body) = get(&c, &format!("http://{addr}{path}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!body.contains("lunapanel"), "{path}: {body}");
    }
    // And the panel's own address has no /metrics (no token is configured), even with one.
    let (status, _, _) = get(&c, &format!("{}/metrics", panel.base), Some(TOKEN)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    panel.stop().await;
}

async fn counters_move_with_real_requests(db: Db) {
    let (panel, _emulator) =
        Panel::with_emulator_flags(db, &[("metrics_token", TOKEN)], |_| {}).await;
    let c = panel.owner("metrics-owner@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let action = app::server::lunanode::actions::SshKeyList::PATH;
    let requests = "lunapanel_http_requests_total";
    let calls = "lunapanel_upstream_calls_total";
    let before = scrape(&panel).await;

    // A signed-in page view.
    let res = c.get(format!("{}/vms", panel.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // A server function that calls Luna Node.
    let keys: Vec<app::sshkey::SshKeyView> = panel.call(&c, "sshkeys/list", &[]).await.unwrap();
    let _ = keys;

    let after = scrape(&panel).await;
    let delta = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    assert!(
        delta(requests, &[("route", "/vms"), ("status", "2xx")]) >= 1.0,
        "the page view"
    );
    assert!(
        delta(
            requests,
            &[("route", "/api/sshkeys/list"), ("status", "2xx")]
        ) >= 1.0,
        "the server function, by its path"
    );
    assert!(
        delta(calls, &[("action", action), ("outcome", "ok")]) >= 1.0,
        "the upstream call, by action"
    );
    // Each counted request is timed too.
    assert!(
        delta(
            "lunapanel_http_request_duration_seconds_count",
            &[("route", "/api/sshkeys/list")]
        ) >= 1.0
    );
    assert!(
        delta(
            "lunapanel_upstream_call_duration_seconds_count",
            &[("action", action)]
        ) >= 1.0
    );
    // Histograms are histograms (buckets), not summaries.
    assert!(after.iter().any(
        |s| s.name == "lunapanel_upstream_call_duration_seconds_bucket"
            && s.labels.get("action").map(String::as_str) == Some(action)
            && s.labels.get("le").map(String::as_str) == Some("+Inf")
    ));
    // An error the service answers is counted as such.
    let before = after;
    let missing = panel
        .call::<serde_json::Value>(&c, "vms/detail", &[("vm_id", "no-such-vm")])
        .await;
    assert!(missing.is_err(), "{missing:?}");
    let after = scrape(&panel).await;
    let errors: f64 = after
        .iter()
        .filter(|s| s.name == calls && s.labels["outcome"] == "api_error")
        .map(|s| s.value)
        .sum::<f64>()
        - before
            .iter()
            .filter(|s| s.name == calls && s.labels["outcome"] == "api_error")
            .map(|s| s.value)
            .sum::<f64>();
    assert!(errors >= 1.0, "an unknown VM is an API error");

    // A page watching live status: its stream is open and its account's poller runs (other
    // tests' streams and pollers may add to these, never take this one's away).
    let watching = c
        .get(format!("{}/api/live/vms", panel.base))
        .send()
        .await
        .unwrap();
    assert_eq!(watching.status(), StatusCode::OK);
    let samples = scrape(&panel).await;
    assert!(value(&samples, "lunapanel_live_streams", &[]) >= 1.0);
    assert!(value(&samples, "lunapanel_live_pollers", &[("kind", "vm")]) >= 1.0);
    drop(watching);

    // No label holds an address, an e-mail address, an API id or a key.
    let text = c
        .get(format!("{}/metrics", panel.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for secret in [
        "metrics-owner",
        "example.com",
        ID_A,
        &key('A')[..16],
        "no-such-vm",
    ] {
        assert!(!text.contains(secret), "{secret} appears in the metrics");
    }
    panel.stop().await;
}

async fn budget_refusals_are_counted(db: Db) {
    // Room for the key test and one more call, and (practically) no refill.
    let (panel, _emulator) = Panel::with_emulator_flags(
        db,
        &[
            ("metrics_token", TOKEN),
            ("upstream_account_rate", "0.001"),
            ("upstream_account_burst", "2"),
            // Every read goes to Luna Node (a kept SSH key list would answer the second read
            // without spending anything: refdata.rs).
            ("reference_ttl_seconds", "0"),
        ],
        |_| {},
    )
    .await;
    let c = panel.owner("metrics-budget@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    let action = app::server::lunanode::actions::SshKeyList::PATH;
    let labels = [("action", action), ("outcome", "budget_refused")];
    let before = value(
        &scrape(&panel).await,
        "lunapanel_upstream_calls_total",
        &labels,
    );
    let first = panel
        .call::<Vec<app::sshkey::SshKeyView>>(&c, "sshkeys/list", &[])
        .await;
    assert!(first.is_ok(), "{first:?}");
    let second = panel
        .call::<Vec<app::sshkey::SshKeyView>>(&c, "sshkeys/list", &[])
        .await;
    assert!(
        matches!(second, Err(app::error::AppError::Throttled { .. })),
        "{second:?}"
    );
    let after = value(
        &scrape(&panel).await,
        "lunapanel_upstream_calls_total",
        &labels,
    );
    assert!(after - before >= 1.0, "{before} → {after}");
    panel.stop().await;
}

#[test]
fn the_parser_refuses_malformed_text() {
    let good =
        "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\",y=\"a \\\"b\\\", c\"} 3\n";
    let samples = parse(good);
    assert_eq!(samples.len(), 1);
    assert_eq!(samples[0].labels["y"], "a \"b\", c");
    assert_eq!(samples[0].value, 3.0);
    for bad in [
        "a_total 3\n",                                 // no TYPE
        "# TYPE a_total counter\na_total{x=\"1\" 3\n", // unterminated labels
        "# TYPE a_total counter\na_total three\n",     // not a number
        "# TYPE a_total kind\na_total 3\n",            // unknown type
        "# TYPE 1a counter\n1a 3\n",                   // bad name
    ] {
        assert!(
            std::panic::catch_unwind(|| parse(bad)).is_err(),
            "accepted: {bad:?}"
        );
    }
}
