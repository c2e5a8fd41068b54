//! The panel's metric series: their names, their help texts, and the few calls the rest of
//! the server makes to record them (through the `metrics` facade). Recording costs next to
//! nothing while no recorder is installed, which is the default: the server installs the
//! Prometheus recorder only when `/metrics` is configured (`server/src/metrics.rs` renders
//! and serves it).
//!
//! Labels are never user data: HTTP routes are matched route templates (`/vms/{id}`) or
//! server-function paths, upstream actions are API paths (`vm/list`), never an id, e-mail
//! address or key.

use std::time::Duration;

use metrics::{Gauge, Unit};

/// HTTP requests answered, by `route` and `status` class (`2xx`…).
pub const HTTP_REQUESTS: &str = "lunapanel_http_requests_total";
/// Time to the response's head, by `route` and `status` class.
pub const HTTP_DURATION: &str = "lunapanel_http_request_duration_seconds";
/// Luna Node calls (each attempt), by `action` and `outcome` ([`UpstreamOutcome`]).
pub const UPSTREAM_CALLS: &str = "lunapanel_upstream_calls_total";
/// Time of each Luna Node attempt that went out, by `action`.
pub const UPSTREAM_DURATION: &str = "lunapanel_upstream_call_duration_seconds";
/// The circuit breaker: 0 closed, 1 open, 2 half-open ([`BreakerPhase`]).
pub const BREAKER_STATE: &str = "lunapanel_upstream_breaker_state";
/// Live-status pollers running now, by `kind`.
pub const LIVE_POLLERS: &str = "lunapanel_live_pollers";
/// Live-status event streams (pages watching) open now.
pub const LIVE_STREAMS: &str = "lunapanel_live_streams";
/// Signed-in sessions listed (seen within the idle timeout).
pub const SESSIONS: &str = "lunapanel_sessions";
/// Password hashes waiting for a place.
pub const PASSWORD_WAITING: &str = "lunapanel_password_hash_waiting";
/// Password hashes running now.
pub const PASSWORD_RUNNING: &str = "lunapanel_password_hash_running";
/// Resident memory of the process.
pub const PROCESS_RSS: &str = "lunapanel_process_resident_memory_bytes";
/// Open file descriptors of the process.
pub const PROCESS_FDS: &str = "lunapanel_process_open_fds";

/// Every series: (name, what kind, help text). The server registers these once with the
/// recorder (the `# HELP` lines) and sets histogram buckets by them.
pub const SERIES: &[(&str, Kind, &str)] = &[
    (
        HTTP_REQUESTS,
        Kind::Counter,
        "HTTP requests answered, by matched route template or server-function path and status class",
    ),
    (
        HTTP_DURATION,
        Kind::Histogram,
        "Seconds from a request's arrival to its response head, by route and status class",
    ),
    (
        UPSTREAM_CALLS,
        Kind::Counter,
        "Luna Node API calls (each attempt), by action and outcome: ok, api_error, transient, breaker_refused, budget_refused",
    ),
    (
        UPSTREAM_DURATION,
        Kind::Histogram,
        "Seconds per Luna Node API attempt that went out, by action",
    ),
    (
        BREAKER_STATE,
        Kind::Gauge,
        "The Luna Node circuit breaker: 0 closed, 1 open, 2 half-open (a probe may go)",
    ),
    (
        LIVE_POLLERS,
        Kind::Gauge,
        "Live-status pollers running, by kind",
    ),
    (
        LIVE_STREAMS,
        Kind::Gauge,
        "Live-status event streams open (pages watching)",
    ),
    (
        SESSIONS,
        Kind::Gauge,
        "Signed-in sessions seen within the idle timeout",
    ),
    (
        PASSWORD_WAITING,
        Kind::Gauge,
        "Password hashes or checks waiting for a place in the hashing queue",
    ),
    (
        PASSWORD_RUNNING,
        Kind::Gauge,
        "Password hashes or checks running",
    ),
    (PROCESS_RSS, Kind::Gauge, "Resident memory of the process"),
    (PROCESS_FDS, Kind::Gauge, "Open file descriptors of the process"),
];

/// A series' type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// Registers every series' help text (and unit) with the installed recorder.
pub fn describe() {
    for &(name, kind, help) in SERIES {
        let unit = if name.ends_with("_seconds") {
            Some(Unit::Seconds)
        } else if name.ends_with("_bytes") {
            Some(Unit::Bytes)
        } else {
            None
        };
        match (kind, unit) {
            (Kind::Counter, _) => metrics::describe_counter!(name, help),
            (Kind::Gauge, Some(unit)) => metrics::describe_gauge!(name, unit, help),
            (Kind::Gauge, None) => metrics::describe_gauge!(name, help),
            (Kind::Histogram, Some(unit)) => metrics::describe_histogram!(name, unit, help),
            (Kind::Histogram, None) => metrics::describe_histogram!(name, help),
        }
    }
}

/// `2xx`, `4xx`… for a status code.
pub fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Records one answered HTTP request.
pub fn http_request(route: &str, status: u16, elapsed: Duration) {
    let class = status_class(status);
    metrics::counter!(HTTP_REQUESTS, "route" => route.to_owned(), "status" => class).increment(1);
    metrics::histogram!(HTTP_DURATION, "route" => route.to_owned(), "status" => class)
        .record(elapsed.as_secs_f64());
}

/// How one Luna Node call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamOutcome {
    /// Luna Node answered with success.
    Ok,
    /// Luna Node answered with an error (refused key, not found, rejected), or with an
    /// answer the panel could not read.
    ApiError,
    /// No answer: could not connect, timed out, a server error, the connection broke.
    Transient,
    /// Not sent: the circuit breaker is open.
    BreakerRefused,
    /// Not sent: the caller's budget of calls is spent.
    BudgetRefused,
}

impl UpstreamOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            UpstreamOutcome::Ok => "ok",
            UpstreamOutcome::ApiError => "api_error",
            UpstreamOutcome::Transient => "transient",
            UpstreamOutcome::BreakerRefused => "breaker_refused",
            UpstreamOutcome::BudgetRefused => "budget_refused",
        }
    }
}

/// Records one Luna Node call of `action` (its API path); `elapsed` for a call that went
/// out (refusals take no time worth a histogram).
pub fn upstream_call(action: &str, outcome: UpstreamOutcome, elapsed: Option<Duration>) {
    metrics::counter!(
        UPSTREAM_CALLS,
        "action" => action.to_owned(),
        "outcome" => outcome.as_str()
    )
    .increment(1);
    if let Some(elapsed) = elapsed {
        metrics::histogram!(UPSTREAM_DURATION, "action" => action.to_owned())
            .record(elapsed.as_secs_f64());
    }
}

/// Records a budget refusal of `action` when `spent` is one ([`crate::error::AppError::Throttled`]).
pub fn note_budget(action: &str, spent: &Result<(), crate::error::AppError>) {
    if let Err(crate::error::AppError::Throttled { .. }) = spent {
        upstream_call(action, UpstreamOutcome::BudgetRefused, None);
    }
}

/// The circuit breaker's phase, as [`BREAKER_STATE`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerPhase {
    Closed = 0,
    Open = 1,
    /// The cool-down is over: the next call is a probe.
    HalfOpen = 2,
}

/// A gauge raised while this value lives (a poller's task, an open stream): dropped, by a
/// normal end, an error or cancellation alike, it lowers the gauge again.
#[derive(Debug)]
pub struct Raised(Gauge);

impl Raised {
    fn new(gauge: Gauge) -> Self {
        gauge.increment(1.0);
        Raised(gauge)
    }
}

impl Drop for Raised {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

/// Counts a running live-status poller of `kind` (`vms`, `images`…) while held.
pub fn poller_running(kind: &'static str) -> Raised {
    Raised::new(metrics::gauge!(LIVE_POLLERS, "kind" => kind))
}

/// Counts an open live-status stream while held.
pub fn stream_open() -> Raised {
    Raised::new(metrics::gauge!(LIVE_STREAMS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes() {
        assert_eq!(status_class(200), "2xx");
        assert_eq!(status_class(204), "2xx");
        assert_eq!(status_class(303), "3xx");
        assert_eq!(status_class(404), "4xx");
        assert_eq!(status_class(503), "5xx");
        assert_eq!(status_class(101), "1xx");
    }

    #[test]
    fn names_follow_the_conventions() {
        for &(name, kind, help) in SERIES {
            assert!(name.starts_with("lunapanel_"), "{name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name}"
            );
            assert_eq!(kind == Kind::Counter, name.ends_with("_total"), "{name}");
            if kind == Kind::Histogram {
                assert!(name.ends_with("_seconds"), "{name}");
            }
            assert!(!help.is_empty());
        }
    }
}
