//! The pages' Content-Security-Policy with a nonce per response (SEC-4.4).
//!
//! [`page_policy`] (a middleware inside the session layer, so it knows who is signed in)
//! mints a nonce for every request and hands it to the app in the request's extensions;
//! [`provide_nonce`] (run in the Leptos context of every render) puts it where
//! `HydrationScripts`, the streaming scripts and `use_nonce` read it. An HTML answer then
//! gets the page policy with that same nonce as an HTTP header (a `<meta>` policy would
//! ignore `frame-ancestors`). Every other answer keeps the minimal policy that
//! [`crate::gates::response_headers`] gives.

use std::sync::Arc;

use app::server::session::Authenticated;
use app::server::store::User;
use app::server::ServerState;
use app::types::Role;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::header::{self, HeaderValue};
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};

/// The nonce of the current request's page policy.
#[derive(Debug, Clone)]
pub struct CspNonce(pub Arc<str>);

/// The policy of everything that is not a page (server functions, files, errors): nothing
/// may be loaded by it, and nobody may frame it.
pub const MINIMAL_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// The page policy for `nonce`, with `logo_origin` (a reseller's external logo host) also
/// allowed for images and `reload` (the development live-reload socket) for connections.
///
/// `'strict-dynamic'` lets the nonce'd hydration script load the app's module and wasm;
/// `'wasm-unsafe-eval'` lets it compile the wasm, and nothing else. Styles come from the
/// panel's own stylesheets or a nonce'd element; no `'unsafe-inline'` for either.
pub fn page(nonce: &str, logo_origin: Option<&str>, reload: Option<&str>) -> String {
    let img = logo_origin.map(|o| format!(" {o}")).unwrap_or_default();
    let connect = reload.map(|r| format!(" {r}")).unwrap_or_default();
    format!(
        "default-src 'self'; \
         script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self' 'nonce-{nonce}'; \
         img-src 'self' data:{img}; \
         connect-src 'self'{connect}; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Mints the request's nonce and, on an HTML answer, sets the page policy with it.
pub async fn page_policy(
    State(state): State<ServerState>,
    mut req: Request,
    next: Next,
) -> Response {
    let nonce: Arc<str> = Nonce::new().as_inner().clone();
    let user = req
        .extensions()
        .get::<Authenticated>()
        .and_then(|a| a.0.clone());
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !html {
        return res;
    }
    let logo = match &user {
        Some(u) => logo_origin(&state, u).await,
        None => None,
    };
    let policy = page(&nonce, logo.as_deref(), dev_reload_source());
    match HeaderValue::from_str(&policy) {
        Ok(v) => {
            res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
        // Cannot happen (every part is checked ASCII); the minimal policy then applies.
        Err(e) => tracing::error!(error = %e, "page policy is not a header value"),
    }
    res
}

/// Puts the request's nonce (from [`page_policy`]) in the Leptos context, replacing the
/// one `leptos_axum` made, so the scripts Leptos writes carry the header's nonce. Call in
/// the context function of every Leptos route and server function.
pub fn provide_nonce() {
    let nonce = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(n)) = nonce {
        provide_context(Nonce::from_value(n));
    }
}

/// The origin of the external logo the signed-in user's pages may show: a customer's
/// reseller's, or a reseller's own (they view their panel as their customers do). `None`
/// for a logo on the panel itself, no logo, or anything that is not a plain `https`
/// origin.
async fn logo_origin(state: &ServerState, user: &User) -> Option<String> {
    let brander = match user.role {
        Role::Reseller => user.id,
        _ => user.reseller_id?,
    };
    let branding = match state.store.branding(brander).await {
        Ok(b) => b?,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the branding for the page policy");
            return None;
        }
    };
    https_origin(&branding.logo_url)
}

/// `scheme://host[:port]` of an `https` URL, if it has a plain host (only letters, digits,
/// dots, hyphens, and the brackets and colons of an IPv6 literal can reach the header).
fn https_origin(u: &str) -> Option<String> {
    if !app::validate::is_https_url(u) {
        return None;
    }
    let origin = url::Url::parse(u).ok()?.origin().ascii_serialization();
    let plain = origin.strip_prefix("https://").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    });
    plain.then_some(origin)
}

/// In development under `cargo leptos watch` (`LEPTOS_WATCH` set), the live-reload
/// websocket, which the page opens on its own host at the reload port.
fn dev_reload_source() -> Option<&'static str> {
    static SOURCE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    SOURCE
        .get_or_init(|| {
            std::env::var_os("LEPTOS_WATCH")?;
            let port = std::env::var("LEPTOS_RELOAD_PORT")
                .ok()
                .and_then(|p| p.parse::<u16>().ok())
                .unwrap_or(3001);
            Some(format!("ws://*:{port} wss://*:{port}"))
        })
        .as_deref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_policy_text() {
        let p = page("abc", None, None);
        assert_eq!(
            p,
            "default-src 'self'; script-src 'nonce-abc' 'strict-dynamic' 'wasm-unsafe-eval'; \
             style-src 'self' 'nonce-abc'; img-src 'self' data:; connect-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
        assert!(!p.contains("unsafe-inline"));
        let p = page("abc", Some("https://cdn.example.com"), Some("ws://*:3001"));
        assert!(p.contains("img-src 'self' data: https://cdn.example.com;"));
        assert!(p.contains("connect-src 'self' ws://*:3001;"));
    }

    #[test]
    fn logo_origins() {
        assert_eq!(
            https_origin("https://cdn.example.com/a/logo.png?x=1").as_deref(),
            Some("https://cdn.example.com")
        );
        assert_eq!(
            https_origin("https://CDN.example.com:8443/logo.png").as_deref(),
            Some("https://cdn.example.com:8443")
        );
        // The default port is dropped, as browsers compare it.
        assert_eq!(
            https_origin("https://cdn.example.com:443/logo.png").as_deref(),
            Some("https://cdn.example.com")
        );
        for none in [
            "",
            "/logo.svg",
            "http://cdn.example.com/logo.png",
            "https://cdn.example.com;script-src/x",
            "https://a@cdn.example.com/x",
            "//cdn.example.com/x",
            "data:image/png;base64,AAAA",
        ] {
            assert_eq!(https_origin(none), None, "{none}");
        }
    }
}
