//! Operations endpoints: `/healthz` (the process is up) and `/readyz` (the database answers
//! and the server is not shutting down; Luna Node's state is reported but not gated on).
//! Neither reveals versions or configuration.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::server::store::Store;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;
use serde_json::json;

#[derive(Clone)]
pub struct OpsState {
    pub store: Arc<dyn Store>,
    pub ready: Arc<AtomicBool>,
    /// Reported, not gated on: Luna Node being down does not make the panel unready.
    pub upstream: Arc<app::server::lunanode::LunaNode>,
}

pub async fn healthz() -> Response {
    Json(json!({ "status": "up" })).into_response()
}

pub async fn readyz(State(ops): State<OpsState>) -> Response {
    if !ops.ready.load(Ordering::SeqCst) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "shutting-down" })),
        )
            .into_response();
    }
    match tokio::time::timeout(Duration::from_secs(1), ops.store.ping()).await {
        Ok(Ok(())) => {
            let upstream = if ops.upstream.degraded() {
                "degraded"
            } else {
                "ok"
            };
            Json(json!({ "status": "ready", "database": "ok", "upstream": upstream }))
                .into_response()
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database error");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "not-ready", "database": "error" })),
            )
                .into_response()
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not-ready", "database": "timeout" })),
        )
            .into_response(),
    }
}
