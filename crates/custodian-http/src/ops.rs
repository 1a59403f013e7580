//! Operational endpoints: liveness, readiness (the database answers) and Prometheus metrics.

use crate::state::AppState;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use std::time::Instant;

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
    use std::sync::atomic::Ordering::Relaxed;
    let amendments = state.services.store.count_amendments_by_state().await.unwrap_or_default();
    let mut text = state.metrics.render(&amendments);
    let open = state.services.store.count_open_deliveries().await.unwrap_or_default();
    let w = &state.webhook_stats;
    let (delivered, latency) = (w.delivered.load(Relaxed), w.latency_ms_sum.load(Relaxed));
    text.push_str(&format!(
        "# HELP custodian_webhook_queue_depth Webhook deliveries waiting to be sent (all processes).\n\
         # TYPE custodian_webhook_queue_depth gauge\ncustodian_webhook_queue_depth {open}\n\
         # HELP custodian_webhook_deliveries_total Webhook deliveries this process completed successfully.\n\
         # TYPE custodian_webhook_deliveries_total counter\ncustodian_webhook_deliveries_total {delivered}\n\
         # HELP custodian_webhook_failed_attempts_total Webhook attempts this process saw fail.\n\
         # TYPE custodian_webhook_failed_attempts_total counter\ncustodian_webhook_failed_attempts_total {}\n\
         # HELP custodian_webhook_endpoints_disabled_total Endpoints this process disabled after failures or 410.\n\
         # TYPE custodian_webhook_endpoints_disabled_total counter\ncustodian_webhook_endpoints_disabled_total {}\n\
         # HELP custodian_webhook_delivery_latency_seconds_sum Time from event to successful delivery, summed.\n\
         # TYPE custodian_webhook_delivery_latency_seconds_sum counter\ncustodian_webhook_delivery_latency_seconds_sum {}\n\
         # TYPE custodian_webhook_delivery_latency_seconds_count counter\ncustodian_webhook_delivery_latency_seconds_count {delivered}\n",
        w.failed_attempts.load(Relaxed),
        w.endpoints_disabled.load(Relaxed),
        latency as f64 / 1000.0,
    ));
    let r = &state.relay_stats;
    text.push_str(&format!(
        "# HELP custodian_nats_published_total Events this process published to NATS JetStream (acknowledged).\n\
         # TYPE custodian_nats_published_total counter\ncustodian_nats_published_total {}\n\
         # HELP custodian_nats_failed_attempts_total Relay passes of this process that NATS or the database failed (retried).\n\
         # TYPE custodian_nats_failed_attempts_total counter\ncustodian_nats_failed_attempts_total {}\n",
        r.published.load(Relaxed),
        r.failed_attempts.load(Relaxed),
    ));
    text.push_str(&crate::metrics::process_metrics());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

/// Middleware recording every request under its matched route.
pub async fn record_metrics(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_owned();
    let method = req.method().to_string();
    let start = Instant::now();
    let response = next.run(req).await;
    state.metrics.observe(&method, &route, response.status().as_u16(), crate::elapsed_seconds(start));
    response
}
