//! The HTTP surface of Custodian (axum): the vendor self-service dialect, the native staff and
//! admin API, the OpenAPI document and docs page, health, readiness and metrics.
//!
//! Handlers extract, call one application service, and map the result. Each dialect renders
//! errors in its own shape through the [`error::Dialect`] trait.

pub mod access_log;
pub mod api;
pub mod auth;
pub mod body;
pub mod console;
pub mod dialects;
pub mod domains;
pub mod error;
pub mod idempotency;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod params;
pub mod rate_limit;
pub mod state;
pub mod wealth_shapes;

pub use state::{AppState, HttpSettings};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::HeaderName;
use axum::middleware;
use axum::response::Response;
use std::time::Instant;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: every route and every cross-cutting layer.
pub fn router(state: AppState) -> Router {
    let body_limit = state.settings.body_limit_bytes;
    Router::new()
        // Idempotency-Key on the write routes of every API whose vendor has no retry mechanism of
        // its own (the billing dialect keeps its vendor's X-Request-ID; the wealth dialect guards
        // its own routes, behind its bearer token).
        .merge(idempotency::guard_routes::<dialects::self_service::Vendor>(
            dialects::self_service::router(&state),
            &state,
            idempotency::api_key_header,
        ))
        .merge(dialects::billing::router())
        .merge(idempotency::guard_routes::<dialects::partner::Partner>(
            dialects::partner::router(&state),
            &state,
            idempotency::api_key_header,
        ))
        .merge(dialects::openwealth::router(&state))
        .merge(idempotency::guard_routes::<error::Native>(api::router(&state), &state, idempotency::api_key_header))
        .merge(ops::router())
        .merge(console::router())
        .merge(openapi::router())
        .fallback(not_found)
        // One `layer` call for the whole stack: axum wraps every route in a boxed service per
        // `layer` call and clones that box on every request, so nine calls cost nine boxes and
        // their clones per request; one tower stack costs one. Outermost first.
        .layer(
            ServiceBuilder::new()
                .layer(SetSensitiveRequestHeadersLayer::new([
                    axum::http::header::AUTHORIZATION,
                    HeaderName::from_static("x-api-key"),
                    HeaderName::from_static(dialects::billing::SUBSCRIPTION_KEY),
                    axum::http::header::COOKIE,
                ]))
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
                    // Paths hold only numeric ids; no query strings or bodies are logged.
                    let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request.id = %id)
                }))
                .layer(CatchPanicLayer::custom(error::panic_response))
                .layer(DefaultBodyLimit::max(body_limit))
                .layer(middleware::from_fn(error::with_request_id))
                .layer(middleware::from_fn(access_log::log))
                .layer(middleware::from_fn_with_state(state.clone(), ops::record_metrics)),
        )
        .with_state(state)
}

/// 404 for a path no router has: each dialect answers unknown paths under its own prefix itself.
async fn not_found(req: Request) -> Response {
    let path = req.uri().path().to_owned();
    error::ApiError::no_route(format!("no route for {} {path}", req.method())).render::<error::Native>()
}

/// Milliseconds since `start`, for latency metrics.
pub(crate) fn elapsed_seconds(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}
