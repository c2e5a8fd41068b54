//! The pages' Content-Security-Policy with a nonce per response (SEC-4.4), the other
//! security headers (SEC-4.5), and the policy switch for VMs' login details.

use app::error::AppError;
use app::vm::VmDetail;
use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode};

use crate::both;
use crate::harness::{Db, Panel};
use crate::tenancy::{assign, customer, reseller};
use crate::vms::make_vm_elsewhere;

const MINIMAL: &str = "default-src 'none'; frame-ancestors 'none'";

/// The nonce of a page policy (which must be the strict one), or a failure naming `what`.
fn page_nonce(h: &HeaderMap, what: &str) -> String {
    let csp = h
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no CSP"))
        .to_str()
        .unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("{what}: no nonce in {csp}"))
        .to_owned();
    assert!(nonce.len() >= 22, "{what}: a 128-bit nonce, got {nonce}");
    for part in [
        "default-src 'self'",
        &format!("script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'"),
        &format!("style-src 'self' 'nonce-{nonce}'"),
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{what}: {part:?} missing from {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    nonce
}

/// Every `<script` and `<style` tag of `html` carries `nonce`, and no element has a style
/// attribute (which no nonce can allow).
fn nonced_throughout(html: &str, nonce: &str, what: &str) {
    let mut scripts = 0;
    for tag in ["<script", "<style"] {
        for (at, _) in html.match_indices(tag) {
            let end = html[at..].find('>').map_or(html.len(), |e| at + e);
            let open = &html[at..end];
            assert!(
                open.contains(&format!("nonce=\"{nonce}\"")),
                "{what}: {open} lacks the header's nonce"
            );
            scripts += usize::from(tag == "<script");
        }
    }
    assert!(scripts > 0, "{what}: no script at all? {html}");
    assert!(
        !html.contains(" style="),
        "{what}: an inline style attribute"
    );
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).map(|v| v.to_str().unwrap())
}

/// Fetches `path` as `c`; returns the status, headers and body.
async fn get(panel: &Panel, c: &Client, path: &str) -> (StatusCode, HeaderMap, String) {
    let res = c.get(format!("{}{path}", panel.base)).send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.text().await.unwrap())
}

/// A client that sends exactly the headers given and does not decode, so what the panel
/// sent can be seen.
fn raw_client() -> Client {
    Client::builder().no_brotli().no_gzip().build().unwrap()
}

/// A site root with a favicon, as the build puts there.
fn site_root() -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("lunapanel_site_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(
        dir.join("favicon.svg"),
        r#"<svg xmlns="http://www.w3.org/2000/svg"/>"#,
    )
    .unwrap();
    dir
}

async fn pages_carry_a_fresh_nonce_and_the_rest_a_minimal_policy(db: Db) {
    let site = site_root();
    let panel = Panel::start_with(db, &[("site_root", &site.display().to_string())], |_| {}).await;
    let anon = panel.client();

    // Two loads of the same page: two nonces, each on every script and style of its page.
    let (status, h1, html1) = get(&panel, &anon, "/sign-in").await;
    assert_eq!(status, StatusCode::OK);
    assert!(header(&h1, "content-type")
        .unwrap()
        .starts_with("text/html"));
    let n1 = page_nonce(&h1, "/sign-in");
    nonced_throughout(&html1, &n1, "/sign-in");
    let (_, h2, html2) = get(&panel, &anon, "/sign-in").await;
    let n2 = page_nonce(&h2, "/sign-in again");
    nonced_throughout(&html2, &n2, "/sign-in again");
    assert_ne!(n1, n2, "a nonce is never reused");

    // Signed in: the overview, a page that does not exist, a missing file.
    let owner = panel.admin().await;
    for (path, expected) in [
        ("/", StatusCode::OK),
        ("/no-such-page", StatusCode::NOT_FOUND),
        ("/no-such-file.txt", StatusCode::NOT_FOUND),
    ] {
        let (status, h, html) = get(&panel, &owner, path).await;
        assert_eq!(status, expected, "{path}");
        let nonce = page_nonce(&h, path);
        nonced_throughout(&html, &nonce, path);
        assert_ne!(nonce, n1, "{path}");
    }

    // Everything else: the minimal policy (and the other headers, on every answer).
    let (status, h, _) = get(&panel, &owner, "/favicon.svg").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "content-security-policy"), Some(MINIMAL));
    let res = owner
        .post(format!("{}/api/panel_info", panel.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let fn_headers = res.headers().clone();
    assert_eq!(
        header(&fn_headers, "content-security-policy"),
        Some(MINIMAL)
    );
    let (status, h, css) = get(&panel, &owner, "/brand.css?light=0f766e&dark=2dd4bf").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(header(&h, "content-security-policy"), Some(MINIMAL));
    assert!(header(&h, "cache-control").unwrap().contains("immutable"));
    assert!(css.contains("--brand-light: #0f766e") && css.contains("--brand-dark: #2dd4bf"));
    let (status, _, _) = get(&panel, &owner, "/brand.css?light=red;}*{x:y&dark=2dd4bf").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, h, _) = get(&panel, &anon, "/").await;
    assert!(status.is_redirection(), "signed out: sent to sign in");
    assert_eq!(header(&h, "content-security-policy"), Some(MINIMAL));
    let (_, h, _) = get(&panel, &anon, "/healthz").await;
    assert_eq!(header(&h, "content-security-policy"), Some(MINIMAL));

    for (what, h) in [("page", &h1), ("server function", &fn_headers)] {
        assert_eq!(
            header(h, "x-content-type-options"),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(header(h, "referrer-policy"), Some("same-origin"), "{what}");
        assert_eq!(
            header(h, "permissions-policy"),
            Some("camera=(), microphone=(), geolocation=()"),
            "{what}"
        );
        assert_eq!(
            header(h, "cross-origin-opener-policy"),
            Some("same-origin"),
            "{what}"
        );
        // The panel's public URL is plain http here.
        assert_eq!(header(h, "strict-transport-security"), None, "{what}");
    }
    panel.stop().await;
    let _ = std::fs::remove_dir_all(site);
}

/// What the release build puts under `pkg/`: fingerprinted files, each with its brotli and
/// gzip forms (`cargo leptos build --release --precompress`), and one plain name as a
/// development build has.
const WASM: &str = "lunapanel.kS2e9tA7bQ1xYvZ0pLmN3w.wasm";
/// The directory of a build's split chunks.
const BUILD: &str = "qOmwxclY0xI9S6jEnQ6lGQ";

async fn build_output_is_served_compressed_and_cacheable(db: Db) {
    let site = site_root();
    let pkg = site.join("pkg");
    let body = vec![b'a'; 4096];
    std::fs::write(pkg.join(WASM), &body).unwrap();
    std::fs::write(pkg.join(format!("{WASM}.br")), b"brotli form").unwrap();
    std::fs::write(pkg.join(format!("{WASM}.gz")), b"gzip form").unwrap();
    std::fs::write(pkg.join("lunapanel.js"), b"export {};").unwrap();
    // A split chunk, in the directory named by its build (server/scripts/finish-site.mjs).
    std::fs::create_dir_all(pkg.join(BUILD)).unwrap();
    std::fs::write(pkg.join(BUILD).join("chunk_3.wasm"), &body).unwrap();
    std::fs::write(pkg.join(BUILD).join("chunk_3.wasm.br"), b"brotli chunk").unwrap();
    let panel = Panel::start_with(db, &[("site_root", &site.display().to_string())], |_| {}).await;
    let raw = raw_client();
    let fetch = |encoding: &'static str, path: String| {
        let raw = raw.clone();
        let url = format!("{}/pkg/{path}", panel.base);
        async move {
            let res = raw
                .get(url)
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap();
            let (status, h) = (res.status(), res.headers().clone());
            (status, h, res.bytes().await.unwrap().to_vec())
        }
    };
    for (encoding, sent, body_is) in [
        ("br, gzip", Some("br"), b"brotli form".to_vec()),
        ("gzip", Some("gzip"), b"gzip form".to_vec()),
        ("identity", None, body.clone()),
    ] {
        let (status, h, got) = fetch(encoding, WASM.into()).await;
        assert_eq!(status, StatusCode::OK, "{encoding}");
        assert_eq!(header(&h, "content-encoding"), sent, "{encoding}");
        assert_eq!(got, body_is, "{encoding}");
        assert_eq!(header(&h, "content-type"), Some("application/wasm"));
        assert_eq!(
            header(&h, "cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{encoding}"
        );
        assert_eq!(header(&h, "vary"), Some("accept-encoding"), "{encoding}");
        assert_eq!(header(&h, "content-security-policy"), Some(MINIMAL));
    }
    let (status, h, got) = fetch("br", format!("{BUILD}/chunk_3.wasm")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "content-encoding"), Some("br"));
    assert_eq!(got, b"brotli chunk");
    assert_eq!(
        header(&h, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    // A plain name may change with the next build: kept, but revalidated.
    let (status, h, _) = fetch("br", "lunapanel.js".into()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "cache-control"), Some("no-cache"));
    // A missing file is not cached; pages never are.
    let (status, h, _) = fetch("br", "lunapanel.AAAAAAAAAAAAAAAAAAAAAA.wasm".into()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_ne!(
        header(&h, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let (_, h, _) = get(&panel, &panel.client(), "/sign-in").await;
    assert_eq!(header(&h, "cache-control"), Some("no-store"));
    panel.stop().await;
    let _ = std::fs::remove_dir_all(site);
}

/// Pages are compressed for the panel's own requests and for what the user typed, never
/// for a request another site's page could have made (BREACH), nor for one without fetch
/// metadata; the precompressed build output goes compressed to anyone.
async fn pages_are_compressed_only_for_the_panels_own_requests(db: Db) {
    let site = site_root();
    std::fs::write(site.join("pkg").join(WASM), vec![b'a'; 4096]).unwrap();
    std::fs::write(site.join("pkg").join(format!("{WASM}.br")), b"brotli form").unwrap();
    let panel = Panel::start_with(db, &[("site_root", &site.display().to_string())], |_| {}).await;
    let raw = raw_client();
    let fetch = |path: &str, encoding: &'static str, site: Option<&'static str>| {
        let mut req = raw
            .get(format!("{}{path}", panel.base))
            .header("accept-encoding", encoding);
        if let Some(site) = site {
            req = req.header("sec-fetch-site", site);
        }
        async move {
            let res = req.send().await.unwrap();
            let (status, h) = (res.status(), res.headers().clone());
            (status, h, res.bytes().await.unwrap().to_vec())
        }
    };
    let (status, _, plain) = fetch("/sign-in", "identity", Some("same-origin")).await;
    assert_eq!(status, StatusCode::OK);
    let plain = String::from_utf8(plain).unwrap();
    assert!(plain.contains("<title>"), "{plain}");
    for (site, encoding, sent) in [
        (Some("same-origin"), "br, gzip", Some("br")),
        (Some("same-origin"), "gzip", Some("gzip")),
        (Some("none"), "gzip, deflate, br", Some("br")),
        (Some("cross-site"), "br, gzip", None),
        (Some("same-site"), "br, gzip", None),
        (None, "br, gzip", None),
    ] {
        let (status, h, body) = fetch("/sign-in", encoding, site).await;
        assert_eq!(status, StatusCode::OK, "{site:?} {encoding}");
        assert_eq!(header(&h, "content-encoding"), sent, "{site:?} {encoding}");
        assert_eq!(header(&h, "cache-control"), Some("no-store"));
        if sent.is_some() {
            assert!(
                body.len() * 4 < plain.len() * 3,
                "{site:?} {encoding}: {} bytes compressed of {}",
                body.len(),
                plain.len()
            );
        } else {
            let body = String::from_utf8(body).unwrap();
            assert!(body.contains("<title>"), "{site:?}: {body}");
        }
    }
    // What a decoding client makes of the compressed page: the page.
    let (_, h, html) = get(&panel, &panel.client(), "/sign-in").await;
    assert!(html.contains("<title>"), "{html}");
    assert_eq!(
        header(&h, "content-encoding"),
        None,
        "decoded by the client"
    );
    // The build output is secret-free and precompressed: compressed whoever asks.
    let (status, h, body) = fetch(&format!("/pkg/{WASM}"), "br", Some("cross-site")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&h, "content-encoding"), Some("br"));
    assert_eq!(body, b"brotli form");
    panel.stop().await;
    let _ = std::fs::remove_dir_all(site);
}

async fn hsts_only_with_an_https_public_url(db: Db) {
    let panel = Panel::start_with(db, &[("public_url", "https://panel.example.com")], |_| {}).await;
    let c = panel.bare_client();
    for path in ["/sign-in", "/healthz", "/no-such-file.txt"] {
        let (_, h, _) = get(&panel, &c, path).await;
        assert_eq!(
            header(&h, "strict-transport-security"),
            Some("max-age=63072000; includeSubDomains"),
            "{path}"
        );
    }
    panel.stop().await;
}

async fn branding_is_csp_clean_and_login_details_follow_the_policy(db: Db) {
    let (panel, _emu) = Panel::with_emulator(db, |c| c.time_scale = 0.02).await;
    let (_admin, reseller, _) = reseller(&panel).await;
    let _: () = panel
        .call(
            &reseller,
            "branding/save",
            &[
                ("panel_name", "Acme Cloud"),
                ("logo_url", "https://cdn.acme.example:8443/logo.png"),
                ("accent_light", "#B91C1C"),
                ("accent_dark", "#f87171"),
                ("support_url", ""),
            ],
        )
        .await
        .unwrap();
    let vm = make_vm_elsewhere(&panel, "vm-of-a", "87").await;
    let (c, cid) = customer(&panel, &reseller, "a@customer.example").await;
    assign(&panel, &reseller, cid, "vm", &vm).await;

    // The customer's pages: the reseller's logo host may serve images, the accent colours
    // come from a stylesheet of the panel's own, and nothing is styled inline.
    for path in ["/", "/vms", &format!("/vms/{vm}")] {
        let (status, h, html) = get(&panel, &c, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let nonce = page_nonce(&h, path);
        let csp = header(&h, "content-security-policy").unwrap();
        assert!(
            csp.contains("img-src 'self' data: https://cdn.acme.example:8443;"),
            "{path}: {csp}"
        );
        nonced_throughout(&html, &nonce, path);
        assert!(
            html.contains(r#"href="/brand.css?light=b91c1c&amp;dark=f87171""#),
            "{path}: the accent stylesheet"
        );
    }
    // So do the reseller's (they view the panel as their customers do); other users' do not.
    let (_, h, _) = get(&panel, &reseller, "/").await;
    assert!(header(&h, "content-security-policy")
        .unwrap()
        .contains("https://cdn.acme.example:8443"));
    let other = panel.owner("other@example.com").await;
    let (_, h, _) = get(&panel, &other, "/").await;
    assert!(header(&h, "content-security-policy")
        .unwrap()
        .contains("img-src 'self' data:;"));

    // Login details: shown by default, to the customer as to the reseller.
    let login = |who: &Client| {
        let (who, vm) = (who.clone(), vm.clone());
        let panel = &panel;
        async move {
            panel
                .call::<Option<String>>(&who, "vms/login", &[("vm_id", vm.as_str())])
                .await
        }
    };
    let shown = login(&c).await.unwrap();
    assert!(shown.is_some_and(|l| l.contains("password")));
    // Turned off: the customer gets none (nor the offer), the reseller still does.
    let cid_text = cid.to_string();
    let _: () = panel
        .call(
            &reseller,
            "customers/policy",
            &[
                ("customer_id", cid_text.as_str()),
                ("form[enabled][0]", "power"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(login(&c).await.unwrap_err(), AppError::Forbidden);
    let detail: VmDetail = panel
        .call(&c, "vms/detail", &[("vm_id", vm.as_str())])
        .await
        .unwrap();
    assert!(!detail.has_login_details && detail.login_details_hidden);
    let html = panel.page(&c, &format!("/vms/{vm}")).await;
    assert!(!html.contains("reveal-login"), "no offer to show them");
    assert!(login(&reseller)
        .await
        .unwrap()
        .is_some_and(|l| l.contains("password")));
    let detail: VmDetail = panel
        .call(&reseller, "vms/detail", &[("vm_id", vm.as_str())])
        .await
        .unwrap();
    assert!(detail.has_login_details && !detail.login_details_hidden);
    // The refusal is audited.
    let refused = panel
        .state
        .store
        .search_audit(
            &app::server::store::AuditFilter {
                action: Some("denied/vm/login".into()),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(refused.len(), 1, "{refused:?}");
    let e = &refused[0].entry;
    assert_eq!(e.target, format!("vm:{vm}"));
    assert_eq!(e.actor_user_id, Some(cid));
    assert_eq!(e.outcome, app::server::store::Outcome::Denied);
    // Ticked again, shown again.
    let _: () = panel
        .call(
            &reseller,
            "customers/policy",
            &[
                ("customer_id", cid_text.as_str()),
                ("form[show_login_details]", "true"),
            ],
        )
        .await
        .unwrap();
    assert!(login(&c).await.unwrap().is_some());
    panel.stop().await;
}

both!(
    pages_carry_a_fresh_nonce_and_the_rest_a_minimal_policy,
    build_output_is_served_compressed_and_cacheable,
    pages_are_compressed_only_for_the_panels_own_requests,
    hsts_only_with_an_https_public_url,
    branding_is_csp_clean_and_login_details_follow_the_policy,
);
