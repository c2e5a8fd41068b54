//! The cross-origin gate (SEC-4.1/4.2) and response headers (SEC-3.7/4.5).

use reqwest::StatusCode;

use crate::harness::{Db, Panel, PASSWORD};

async fn cross_origin_posts_are_refused(db: Db) {
    let panel = Panel::start(db).await;
    panel.admin().await;
    let c = panel.bare_client();
    let own = panel.base.clone();
    let lookalike = format!("{own}.evil.example");
    let https_own = own.replace("http://", "https://");
    type Headers<'a> = Vec<(&'a str, &'a str)>;
    let cases: Vec<(&str, Headers, StatusCode)> = vec![
        ("no headers at all", vec![], StatusCode::FORBIDDEN),
        (
            "another site",
            vec![("origin", "https://evil.example")],
            StatusCode::FORBIDDEN,
        ),
        (
            "null origin",
            vec![("origin", "null")],
            StatusCode::FORBIDDEN,
        ),
        (
            "look-alike host",
            vec![("origin", &lookalike)],
            StatusCode::FORBIDDEN,
        ),
        (
            "scheme mismatch",
            vec![("origin", &https_own)],
            StatusCode::FORBIDDEN,
        ),
        (
            "cross-site fetch",
            vec![("sec-fetch-site", "cross-site"), ("origin", &own)],
            StatusCode::FORBIDDEN,
        ),
        (
            "same-site fetch",
            vec![("sec-fetch-site", "same-site")],
            StatusCode::FORBIDDEN,
        ),
        (
            "user-typed (none)",
            vec![("sec-fetch-site", "none")],
            StatusCode::FORBIDDEN,
        ),
        (
            "own origin, no fetch metadata",
            vec![("origin", &own)],
            StatusCode::OK,
        ),
        (
            "same-origin fetch",
            vec![("sec-fetch-site", "same-origin")],
            StatusCode::OK,
        ),
    ];
    for (name, headers, expected) in cases {
        for (content_type, body) in [
            (
                "application/x-www-form-urlencoded",
                format!(
                    "email=admin%40example.com&password={}",
                    PASSWORD.replace(' ', "+")
                ),
            ),
            // A text/plain body is what a cross-site <form> can send without preflight.
            (
                "text/plain",
                format!(
                    "email=admin%40example.com&password={}",
                    PASSWORD.replace(' ', "+")
                ),
            ),
        ] {
            let mut req = c
                .post(format!("{}/api/sign_in", panel.base))
                .header("content-type", content_type)
                .body(body);
            for (k, v) in &headers {
                req = req.header(*k, *v);
            }
            let res = req.send().await.unwrap();
            if expected == StatusCode::FORBIDDEN {
                assert_eq!(res.status(), expected, "{name} ({content_type})");
                let set_cookie = res.headers().get("set-cookie").is_some();
                assert!(!set_cookie, "{name}: refused requests start no session");
            } else if content_type.starts_with("application/x-www-form-urlencoded") {
                assert_eq!(res.status(), expected, "{name}");
            }
        }
    }
    // Safe methods are not gated.
    let res = c
        .get(format!("{}/sign-in", panel.base))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    panel.stop().await;
}

async fn security_headers_everywhere(db: Db) {
    let panel = Panel::start(db).await;
    let c = panel.client();
    let targets = [
        ("GET", "/sign-in"),
        ("GET", "/healthz"),
        ("GET", "/no-such-page"),
        ("POST", "/api/panel_info"),
    ];
    for (method, path) in targets {
        let url = format!("{}{path}", panel.base);
        let res = if method == "GET" {
            c.get(url)
        } else {
            c.post(url)
        }
        .send()
        .await
        .unwrap();
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert!(
            h.get("x-request-id").is_some_and(|v| v.len() >= 32),
            "{path}: request id"
        );
        assert!(
            h.get("access-control-allow-origin").is_none(),
            "{path}: no CORS"
        );
    }
    // A refused cross-origin POST carries the headers too.
    let res = panel
        .bare_client()
        .post(format!("{}/api/panel_info", panel.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    panel.stop().await;
}

async fn health_and_readiness(db: Db) {
    let panel = Panel::start(db).await;
    let c = panel.bare_client();
    let health: serde_json::Value = c
        .get(format!("{}/healthz", panel.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "up");
    let ready = c
        .get(format!("{}/readyz", panel.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["database"], "ok");
    assert_eq!(ready["upstream"], "ok");
    // Closing the database makes the panel not ready, while it stays alive.
    panel.state.store.close().await;
    let ready = c
        .get(format!("{}/readyz", panel.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health = c
        .get(format!("{}/healthz", panel.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    panel.stop().await;
}

crate::both!(
    cross_origin_posts_are_refused,
    security_headers_everywhere,
    health_and_readiness
);
