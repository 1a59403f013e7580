//! Operational endpoints: liveness, readiness (the database answers) and Prometheus metrics.

use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health)).route("/ready", get(ready)).route("/metrics", get(metrics))
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "Operations", responses((status = 200, description = "The process is alive")))]
pub async fn health() -> impl IntoResponse {
    axum::Json(json!({ "status": "ok" }))
}

/// The process can serve requests: its database answers.
#[utoipa::path(get, path = "/ready", tag = "Operations", responses(
    (status = 200, description = "Ready"), (status = 503, description = "The database does not answer")))]
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let backend = state.services.store.backend();
    match state.services.store.ping().await {
        Ok(()) => (StatusCode::OK, axum::Json(json!({ "status": "ready", "database": backend }))),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({ "status": "unavailable", "database": backend })))
        }
    }
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "Operations", responses((status = 200, description = "Prometheus metrics", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let amendments = state.services.store.count_amendments_by_state().await.unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render(&amendments))
}
