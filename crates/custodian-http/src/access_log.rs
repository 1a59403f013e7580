//! The access log: one `info` line per request, target `custodian::access`, with method, matched
//! route (never the raw path or query), status, latency, request id and the authenticated tenant.
//! Never a key, a header value or anything from a body.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use custodian_domain::TenantId;
use std::cell::Cell;
use std::time::Instant;

tokio::task_local! {
    static TENANT: Cell<Option<i64>>;
}

/// Records the tenant of the request being handled, once its credentials are accepted.
pub fn note_tenant(tenant: TenantId) {
    let _ = TENANT.try_with(|t| t.set(Some(tenant.0)));
}

/// Middleware writing the access log line after the response is ready.
pub async fn log(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_owned();
    let method = req.method().clone();
    let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let start = Instant::now();
    let (response, tenant) = TENANT
        .scope(Cell::new(None), async move {
            let response = next.run(req).await;
            (response, TENANT.with(Cell::get))
        })
        .await;
    let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
    let tenant = tenant.map(|t| t.to_string()).unwrap_or_else(|| "-".to_owned());
    tracing::info!(
        target: "custodian::access",
        %method,
        route = %route,
        status = response.status().as_u16(),
        latency_ms = format!("{latency_ms:.2}"),
        request.id = %request_id,
        tenant.id = %tenant,
        "{method} {route} {}",
        response.status().as_u16()
    );
    response
}
