//! Request gates in front of the app: the cross-origin gate (SEC-4.1), the sign-in redirect
//! for console pages, and response headers (SEC-3.7, SEC-4.5).

use std::sync::Arc;

use app::server::authz::ClientAddr;
use app::server::session::Authenticated;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::header::{self, HeaderValue};
use http::StatusCode;

/// Refuses every unsafe request (POST, PUT, …) that a browser did not send from the panel's
/// own pages: allowed only with `Sec-Fetch-Site: same-origin`, or, from browsers that send no
/// fetch metadata, with an `Origin` equal to the panel's public origin. Everything else —
/// another site, `null`, a look-alike host, a scheme mismatch, no headers at all — gets 403.
pub async fn origin_gate(
    State(public_origin): State<Arc<str>>,
    req: Request,
    next: Next,
) -> Response {
    if req.method().is_safe() {
        return next.run(req).await;
    }
    let headers = req.headers();
    let fetch_site = headers.get("sec-fetch-site").map(HeaderValue::as_bytes);
    let origin = headers.get(header::ORIGIN).map(HeaderValue::as_bytes);
    let allowed = match fetch_site {
        Some(site) => site == b"same-origin",
        None => origin == Some(public_origin.as_bytes()),
    };
    if allowed {
        next.run(req).await
    } else {
        tracing::warn!(
            path = %req.uri().path(),
            fetch_site = ?fetch_site.map(String::from_utf8_lossy),
            origin = ?origin.map(String::from_utf8_lossy),
            "cross-origin request refused"
        );
        (
            StatusCode::FORBIDDEN,
            "Cross-origin request refused: this action can only be taken from the panel's own pages.",
        )
            .into_response()
    }
}

/// Compressing a page that holds a secret next to text an attacker chose lets the attacker
/// read the secret from the response sizes, if the attacker's page can make the victim's
/// browser send the requests (BREACH). So pages and server-function answers are compressed
/// only for requests the browser says come from the panel itself (`Sec-Fetch-Site:
/// same-origin`) or from the user (`none`: typed, bookmarked); for any other request, or one
/// without fetch metadata, `Accept-Encoding` is dropped before [`compression`] sees it. The
/// build output is precompressed and secret-free, so it is served compressed to every
/// request.
pub async fn compress_only_own_requests(mut req: Request, next: Next) -> Response {
    let own = matches!(
        req.headers()
            .get("sec-fetch-site")
            .map(HeaderValue::as_bytes),
        Some(b"same-origin" | b"none")
    );
    if !own && !is_build_output(req.uri().path()) {
        req.headers_mut().remove(header::ACCEPT_ENCODING);
    }
    next.run(req).await
}

/// Brotli or gzip for the dynamic answers worth compressing: documents, JSON (server
/// functions) and CSV. Not event streams (each event must go out as it happens), not image
/// downloads (large and already compressed), not what already has an encoding (the
/// precompressed build output).
pub fn compression(
) -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::{CompressionLayer, CompressionLevel, Predicate};
    let worth = |_: StatusCode, _: http::Version, h: &http::HeaderMap, _: &http::Extensions| {
        h.get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| {
                ["text/html", "application/json", "text/csv"]
                    .iter()
                    .any(|kind| t.starts_with(kind))
            })
    };
    CompressionLayer::new()
        // Fast: a page is compressed on every request, unlike the build output.
        .quality(CompressionLevel::Precise(4))
        .compress_when(worth.and(tower_http::compression::predicate::SizeAbove::new(256)))
}

/// Establishes the client's address ([`ClientAddr`]) for throttling and the audit log: the
/// connection's peer, unless that peer is one of `trusted` reverse proxies, in which case
/// the last address in `X-Forwarded-For` that is not itself a trusted proxy (the proxies
/// append; anything further left was written by the client and is not believed).
pub async fn client_addr(
    State(trusted): State<Arc<[std::net::IpAddr]>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let addr = if trusted.contains(&peer) {
            forwarded_client(req.headers(), &trusted).unwrap_or(peer)
        } else {
            peer
        };
        req.extensions_mut().insert(ClientAddr(addr));
    }
    next.run(req).await
}

/// The client named by `X-Forwarded-For` behind `trusted` proxies.
fn forwarded_client(
    headers: &http::HeaderMap,
    trusted: &[std::net::IpAddr],
) -> Option<std::net::IpAddr> {
    let hops: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|a| a.trim().parse().ok())
        .collect::<Option<Vec<_>>>()?;
    hops.into_iter().rev().find(|a| !trusted.contains(a))
}

/// Pages anyone may open; every other page needs a signed-in user.
const PUBLIC_PAGES: &[&str] = &["/sign-in", "/sign-up", "/reset"];

/// Whether `path` is a console page (not an API call, asset, file or public page).
fn is_console_page(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or("");
    !(PUBLIC_PAGES.contains(&path)
        || path.starts_with("/api/")
        || is_build_output(path)
        || path == "/healthz"
        || path == "/readyz"
        || last.contains('.'))
}

/// Sends signed-out visitors of a console page to the sign-in page (server side, so even a
/// first request never renders a console page for nobody).
pub async fn require_sign_in(req: Request, next: Next) -> Response {
    let signed_in = req
        .extensions()
        .get::<Authenticated>()
        .is_some_and(|a| a.0.is_some());
    let page_view = matches!(*req.method(), http::Method::GET | http::Method::HEAD);
    if !signed_in && page_view && is_console_page(req.uri().path()) {
        return Redirect::to("/sign-in").into_response();
    }
    next.run(req).await
}

/// Largest server-function error body inspected (errors are small JSON documents).
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Server functions answer every error with 500; this gives each `AppError` its own status
/// (401, 403, 404, 409, 422, 429, …) so that clients, proxies and monitoring see what
/// happened, and a refusal to call Luna Node now (429) its `Retry-After` (server functions
/// cannot set headers on an error themselves). The body is left as it is.
pub async fn server_fn_error_status(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !is_api || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_LIMIT).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    if let Ok(err) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        parts.status = StatusCode::from_u16(err.status_code()).unwrap_or(parts.status);
        if let Some(secs) = err.retry_after() {
            parts
                .headers
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// What [`response_headers`] adds beyond the fixed headers.
#[derive(Debug, Clone, Copy)]
pub struct HeaderPolicy {
    /// `Strict-Transport-Security`: only when the panel's public URL is https (a browser
    /// ignores it over plain http anyway, and a loopback demo must stay reachable).
    pub hsts: bool,
}

/// `Strict-Transport-Security` value: two years, subdomains included (ASVS 3.4.1).
pub const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Security headers on every response (SEC-4.5); `Cache-Control: no-store` on everything
/// but the build output under `/pkg/` (immutable when fingerprinted, else revalidated) and
/// answers that set their own. Pages get
/// their nonce'd Content-Security-Policy from [`crate::csp::page_policy`]; everything else
/// the minimal one.
pub async fn response_headers(
    State(policy): State<HeaderPolicy>,
    req: Request,
    next: Next,
) -> Response {
    let build_output = is_build_output(req.uri().path());
    let fingerprinted = build_output && is_fingerprinted(req.uri().path());
    let mut res = next.run(req).await;
    let succeeded = res.status().is_success();
    let h = res.headers_mut();
    let set = |h: &mut http::HeaderMap, name: &'static str, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, "x-content-type-options", "nosniff");
    // Stricter than `strict-origin-when-cross-origin`: other sites get no referrer at all.
    // (Not `no-referrer`: browsers then send `Origin: null` on the panel's own form posts,
    // which the cross-origin gate relies on where fetch metadata is missing.)
    set(h, "referrer-policy", "same-origin");
    set(h, "x-frame-options", "DENY");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    );
    if policy.hsts {
        set(h, "strict-transport-security", HSTS);
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        set(h, "content-security-policy", crate::csp::MINIMAL_POLICY);
    }
    if !h.contains_key(header::CACHE_CONTROL) && succeeded {
        if fingerprinted {
            // A new build has new names: what a browser holds never goes stale.
            set(h, "cache-control", "public, max-age=31536000, immutable");
        } else if build_output {
            // Plain names (a development build): keep, but ask before each use.
            set(h, "cache-control", "no-cache");
        }
    }
    if build_output {
        // Served as brotli, gzip or plain by `Accept-Encoding` (precompressed files).
        set(h, "vary", "accept-encoding");
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, "cache-control", "no-store");
    }
    res
}

/// Whether `path` is the build's output (wasm, script, stylesheet and split chunks: the site's
/// `pkg` directory).
pub(crate) fn is_build_output(path: &str) -> bool {
    path.starts_with("/pkg/")
}

/// Whether a build-output path has a fingerprint, so its content never changes: in its name
/// (`lunapanel.<hash>.wasm`: the hash cargo-leptos gives, 22 characters of URL-safe base64) or
/// as the directory it is in (`<build>/chunk_14.wasm`: the split chunks, which
/// `server/scripts/finish-site.mjs` keeps under one directory named by the build).
fn is_fingerprinted(path: &str) -> bool {
    let is_hash = |p: &str| {
        p.len() == 22
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let Some(within) = path.strip_prefix("/pkg/") else {
        return false;
    };
    let (dir, name) = within.rsplit_once('/').unwrap_or(("", within));
    let parts: Vec<&str> = name.split('.').collect();
    let named = parts.len() >= 3 && parts[1..parts.len() - 1].iter().any(|p| is_hash(p));
    let in_build = is_hash(dir) && parts.len() == 2 && !parts[0].is_empty();
    named || in_build
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_clients_are_believed_only_behind_trusted_proxies() {
        let proxy: std::net::IpAddr = "10.0.0.2".parse().unwrap();
        let mut h = http::HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 203.0.113.7, 10.0.0.2"),
        );
        // The client wrote 6.6.6.6; the proxy appended what it saw (203.0.113.7).
        assert_eq!(
            forwarded_client(&h, &[proxy]),
            Some("203.0.113.7".parse().unwrap())
        );
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("not an address"),
        );
        assert_eq!(forwarded_client(&h, &[proxy]), None);
    }

    #[test]
    fn fingerprinted_build_output() {
        for p in [
            "/pkg/lunapanel.kS2e9tA7bQ1xYvZ0pLmN3w.wasm",
            "/pkg/lunapanel.kS2e9tA7bQ1xYvZ0pLmN3w.js",
            "/pkg/lunapanel.A-_e9tA7bQ1xYvZ0pLmN3w.css",
            "/pkg/kS2e9tA7bQ1xYvZ0pLmN3w/chunk_14.wasm",
            "/pkg/kS2e9tA7bQ1xYvZ0pLmN3w/split_vm_area_9548436904080174443.wasm",
        ] {
            assert!(is_fingerprinted(p), "{p}");
        }
        for p in [
            "/pkg/lunapanel.wasm",
            "/pkg/lunapanel.js",
            "/pkg/lunapanel.short.js",
            "/pkg/lunapanel.kS2e9tA7bQ1xYvZ0pLmN3w",
            "/pkg/lunapanel.kS2e9tA7bQ1x+vZ0pLmN3w.js",
            "/pkg/chunk_14.wasm",
            "/pkg/short/chunk_14.wasm",
            "/pkg/kS2e9tA7bQ1xYvZ0pLmN3w/.wasm",
            "/pkg/kS2e9tA7bQ1xYvZ0pLmN3w/a/chunk_14.wasm",
            "/elsewhere/kS2e9tA7bQ1xYvZ0pLmN3w/chunk_14.wasm",
        ] {
            assert!(!is_fingerprinted(p), "{p}");
        }
    }

    #[test]
    fn console_pages() {
        for p in ["/", "/account", "/admin", "/vms/123", "/no-such-page"] {
            assert!(is_console_page(p), "{p}");
        }
        for p in [
            "/sign-in",
            "/sign-up",
            "/reset",
            "/api/sign_in",
            "/pkg/lunapanel.js",
            "/favicon.svg",
            "/healthz",
            "/readyz",
        ] {
            assert!(!is_console_page(p), "{p}");
        }
    }
}
