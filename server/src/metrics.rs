//! `/metrics` in the Prometheus text format, off by default. With `metrics_token` it is
//! served on the panel's own address to requests bearing the token (any other request for
//! `/metrics` is answered as if the route did not exist); with `metrics_listen` on a second
//! address of its own, without a token. The series are declared in `app::server::metrics`;
//! the `metrics-exporter-prometheus` recorder keeps and renders them (its own HTTP listener
//! is not used: axum serves the text).
//!
//! The recorder is global to the process: it is installed once, by the first panel that
//! enables metrics, and every later one shares it.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use app::server::metrics::{self as series, Kind, SERIES};
use app::server::password::Hasher;
use app::server::store::{now_unix, Store};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sha2::{Digest, Sha256};

/// Histogram buckets (seconds) for panel requests: a cached page is milliseconds.
const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Histogram buckets (seconds) for Luna Node calls (the client gives up after 30 s).
const UPSTREAM_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// How often recorded histogram samples are folded into their buckets, scraped or not.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);
/// The longest a scrape waits for the session count (the rest is in memory).
const SESSIONS_WAIT: Duration = Duration::from_secs(1);
/// The route label of requests answered without a route (static files, unknown paths).
pub const UNROUTED: &str = "(unrouted)";

/// The process's recorder, installed once; `Err` if another recorder was there first.
fn handle() -> Result<PrometheusHandle, String> {
    static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let mut builder = PrometheusBuilder::new();
            for &(name, kind, _) in SERIES {
                if kind == Kind::Histogram {
                    let buckets = if name == series::HTTP_DURATION {
                        HTTP_BUCKETS
                    } else {
                        UPSTREAM_BUCKETS
                    };
                    builder = builder
                        .set_buckets_for_metric(Matcher::Full(name.to_owned()), buckets)
                        .map_err(|e| e.to_string())?;
                }
            }
            let handle = builder.install_recorder().map_err(|e| e.to_string())?;
            series::describe();
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                })
                .map_err(|e| e.to_string())?;
            Ok(handle)
        })
        .clone()
}

/// What a scrape reads: the recorder, and the places gauges are sampled from.
#[derive(Clone)]
pub struct Scrape {
    handle: PrometheusHandle,
    store: Arc<dyn Store>,
    hasher: Hasher,
    upstream: Arc<app::server::lunanode::LunaNode>,
    /// Sessions seen within this long count as signed in.
    idle: Duration,
    /// SHA-256 of the token `/metrics` on the main listener asks for, if any.
    token: Option<[u8; 32]>,
}

impl std::fmt::Debug for Scrape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scrape")
            .field("token", &self.token.map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

impl Scrape {
    /// Installs the recorder (once per process) and prepares the scrapes of one panel.
    pub fn new(
        token: Option<&str>,
        store: Arc<dyn Store>,
        hasher: Hasher,
        upstream: Arc<app::server::lunanode::LunaNode>,
        idle: Duration,
    ) -> Result<Self, String> {
        Ok(Self {
            handle: handle()?,
            store,
            hasher,
            upstream,
            idle,
            token: token.map(digest),
        })
    }

    /// Whether `request` bears the token (compared in constant time).
    fn authorized(&self, request: &Request) -> bool {
        let Some(expected) = &self.token else {
            return false;
        };
        let Some(presented) = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
        else {
            return false;
        };
        constant_time_eq(&digest(presented), expected)
    }

    /// Samples the gauges and renders every series.
    pub async fn render(&self) -> String {
        // Gauges are process-wide; several panels in one process (the tests) each set them
        // from their own state and render at once, one at a time.
        static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        let since = now_unix().saturating_sub(i64::try_from(self.idle.as_secs()).unwrap_or(0));
        let sessions =
            match tokio::time::timeout(SESSIONS_WAIT, self.store.count_sessions(since)).await {
                Ok(Ok(n)) => Some(n),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "metrics: cannot count sessions");
                    None
                }
                Err(_) => {
                    tracing::warn!("metrics: counting sessions timed out");
                    None
                }
            };
        let _one = ONE_AT_A_TIME.lock().await;
        if let Some(n) = sessions {
            metrics::gauge!(series::SESSIONS).set(n as f64);
        }
        metrics::gauge!(series::BREAKER_STATE).set(self.upstream.breaker_phase() as u8);
        metrics::gauge!(series::PASSWORD_WAITING).set(self.hasher.waiting() as f64);
        metrics::gauge!(series::PASSWORD_RUNNING).set(self.hasher.running() as f64);
        if let Some(process) = ProcessSample::read() {
            metrics::gauge!(series::PROCESS_RSS).set(process.rss_bytes as f64);
            metrics::gauge!(series::PROCESS_FDS).set(process.open_fds as f64);
        }
        self.handle.render()
    }
}

/// The bearer token of an `Authorization` value (the scheme in any case).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Equal, in time that does not depend on where they differ (both are digests, so their
/// length says nothing about the token's).
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `/metrics`' answer.
async fn respond(scrape: &Scrape) -> Response {
    let mut res = (
        [
            (CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
        ],
        scrape.render().await,
    )
        .into_response();
    res.extensions_mut().insert(RouteLabel("/metrics".into()));
    res
}

/// The handler of the separate listener's `/metrics` (no token: the address is private).
pub async fn scrape(State(scrape): State<Scrape>) -> Response {
    respond(&scrape).await
}

/// `/metrics` on the main listener, whether metrics are on or not: `GET` with the token
/// (when one is configured) is the scrape; anything else (metrics off, no token, a wrong
/// one, another method) is the same bare 404, so an outsider cannot tell whether metrics
/// are on. Answered before any session is loaded.
pub async fn main_listener(
    State(scrape): State<Option<Scrape>>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path() != "/metrics" {
        return next.run(request).await;
    }
    match scrape.filter(|s| request.method() == http::Method::GET && s.authorized(&request)) {
        Some(scrape) => respond(&scrape).await,
        None => http::StatusCode::NOT_FOUND.into_response(),
    }
}

/// The route a response was produced by (a route template, never a raw URL).
#[derive(Debug, Clone)]
pub struct RouteLabel(pub Arc<str>);

/// A route layer: notes the matched route template on the response, for [`track`].
pub async fn mark_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| Arc::<str>::from(m.as_str()));
    let mut res = next.run(request).await;
    if let Some(route) = route {
        res.extensions_mut().insert(RouteLabel(route));
    }
    res
}

/// Counts every request and times it to its response's head, by route and status class.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let res = next.run(request).await;
    let route = res.extensions().get::<RouteLabel>().map(|r| r.0.clone());
    series::http_request(
        route.as_deref().unwrap_or(UNROUTED),
        res.status().as_u16(),
        started.elapsed(),
    );
    res
}

/// The separate listener's router: `/metrics` only.
pub fn listener_router(scrape: Scrape) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(self::scrape))
        .with_state(scrape)
}

/// Resident memory and open descriptors, read from `/proc` (Linux; elsewhere nothing).
#[derive(Debug, Clone, Copy)]
struct ProcessSample {
    rss_bytes: u64,
    open_fds: u64,
}

impl ProcessSample {
    #[cfg(target_os = "linux")]
    fn read() -> Option<Self> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let rss_kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()?;
        // Listing the folder opens one descriptor itself.
        let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as u64;
        Some(Self {
            rss_bytes: rss_kib * 1024,
            open_fds: open_fds.saturating_sub(1),
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn read() -> Option<Self> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_in_any_case() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("Bearer "), None);
    }

    #[test]
    fn tokens_compare_by_digest() {
        let a = digest("scrape-Token-0123456789");
        assert!(constant_time_eq(&a, &digest("scrape-Token-0123456789")));
        assert!(!constant_time_eq(&a, &digest("scrape-Token-012345678")));
        assert!(!constant_time_eq(&a, &digest("scrape-Token-0123456788")));
    }

    #[test]
    fn the_process_is_sampled_on_linux() {
        if cfg!(target_os = "linux") {
            let p = ProcessSample::read().expect("a sample");
            assert!(p.rss_bytes > 1024 * 1024, "{p:?}");
            assert!(p.open_fds >= 3, "{p:?}");
        }
    }

    /// Gauges raised by guards go back down when the guards are dropped (a private
    /// recorder, so other tests' pollers and streams do not count).
    #[test]
    fn guards_raise_and_lower_their_gauges() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let sample = |name: &str| -> f64 {
            handle
                .render()
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.rsplit(' ').next())
                .map_or(f64::NAN, |v| v.parse().unwrap())
        };
        let (poller, stream) = metrics::with_local_recorder(&recorder, || {
            (series::poller_running("image"), series::stream_open())
        });
        let second = metrics::with_local_recorder(&recorder, series::stream_open);
        assert_eq!(sample("lunapanel_live_pollers{kind=\"image\"}"), 1.0);
        assert_eq!(sample("lunapanel_live_streams "), 2.0);
        drop(second);
        drop(poller);
        assert_eq!(sample("lunapanel_live_pollers{kind=\"image\"}"), 0.0);
        assert_eq!(sample("lunapanel_live_streams "), 1.0);
        drop(stream);
        assert_eq!(sample("lunapanel_live_streams "), 0.0);
    }

    #[test]
    fn upstream_outcomes_and_requests_are_labelled() {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(series::UPSTREAM_DURATION.into()),
                UPSTREAM_BUCKETS,
            )
            .unwrap()
            .build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            use series::UpstreamOutcome::*;
            series::upstream_call("vm/list", Ok, Some(Duration::from_millis(30)));
            series::upstream_call("vm/list", Ok, Some(Duration::from_millis(300)));
            series::upstream_call("vm/list", BreakerRefused, None);
            series::note_budget(
                "vm/start",
                &Err(app::error::AppError::Throttled { retry_after: 1 }),
            );
            series::note_budget("vm/start", &Result::Ok(()));
            series::http_request("/vms/{id}", 303, Duration::from_millis(2));
        });
        handle.run_upkeep();
        let text = handle.render();
        for line in [
            "lunapanel_upstream_calls_total{action=\"vm/list\",outcome=\"ok\"} 2",
            "lunapanel_upstream_calls_total{action=\"vm/list\",outcome=\"breaker_refused\"} 1",
            "lunapanel_upstream_calls_total{action=\"vm/start\",outcome=\"budget_refused\"} 1",
            "lunapanel_upstream_call_duration_seconds_bucket{action=\"vm/list\",le=\"0.05\"} 1",
            "lunapanel_upstream_call_duration_seconds_bucket{action=\"vm/list\",le=\"0.5\"} 2",
            "lunapanel_upstream_call_duration_seconds_count{action=\"vm/list\"} 2",
            "lunapanel_http_requests_total{route=\"/vms/{id}\",status=\"3xx\"} 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from:\n{text}"
            );
        }
        assert!(
            !text.contains("outcome=\"budget_refused\"} 2"),
            "a budget that was not spent is not a refusal"
        );
    }
}
