//! The `Idempotency-Key` middleware for the write routes (POST, PATCH, DELETE) of the native API
//! and of the dialects whose vendors define no retry mechanism of their own (self-service,
//! partner, wealth). The rules are in [`custodian_app::idempotency`]; this layer reads the key,
//! buffers the body to fingerprint the request, runs the handler with the reservation in scope,
//! and records or replays the response. Errors render in the dialect `D`.
//!
//! Without the header, or with credentials that do not authenticate, the request passes through
//! untouched (the handler answers it, 401 included). Other methods ignore the header.

use crate::error::{ApiError, Dialect};
use crate::state::AppState;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use custodian_app::idempotency::{self as rules, Begin};
use custodian_domain::CustomerId;
use std::marker::PhantomData;

/// Names the customer a request concerned when its path does not (set by a handler as a response
/// extension, e.g. on creation), so that erasure finds the receipt.
#[derive(Debug, Clone, Copy)]
pub struct ConcernsCustomer(pub CustomerId);

/// How a dialect's caller presents its API key.
pub type Credential = fn(&HeaderMap) -> Option<&str>;

/// `X-API-KEY`.
pub fn api_key_header(h: &HeaderMap) -> Option<&str> {
    h.get("x-api-key").and_then(|v| v.to_str().ok())
}

/// The middleware's state: the app, how to find the key, and the dialect to render errors in.
pub struct Guard<D> {
    state: AppState,
    credential: Credential,
    _dialect: PhantomData<fn() -> D>,
}

impl<D> Clone for Guard<D> {
    fn clone(&self) -> Self {
        Guard { state: self.state.clone(), credential: self.credential, _dialect: PhantomData }
    }
}

impl<D: Dialect> Guard<D> {
    pub fn new(state: &AppState, credential: Credential) -> Self {
        Guard { state: state.clone(), credential, _dialect: PhantomData }
    }
}

/// Guards the routes of `router` (not its fallback): keys found with `credential`, errors in `D`.
pub fn guard_routes<D: Dialect>(router: Router<AppState>, state: &AppState, credential: Credential) -> Router<AppState> {
    router.route_layer(axum::middleware::from_fn_with_state(Guard::<D>::new(state, credential), guard::<D>))
}

fn covered(m: &Method) -> bool {
    *m == Method::POST || *m == Method::PATCH || *m == Method::DELETE
}

/// The numeric customer id in `…/customers/{id}…` or `…/customer/{id}…`, if any.
fn customer_in_path(path: &str) -> Option<CustomerId> {
    let mut parts = path.split('/');
    while let Some(p) = parts.next() {
        if p == "customers" || p == "customer" {
            return parts.next().and_then(|id| id.parse::<i64>().ok()).filter(|id| *id > 0).map(CustomerId);
        }
    }
    None
}

fn invalid_key(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "idempotency.invalid_key", message).with_reference("Idempotency-Key")
}

async fn guard<D: Dialect>(State(g): State<Guard<D>>, req: Request, next: Next) -> Response {
    if !covered(req.method()) {
        return next.run(req).await;
    }
    let mut keys = req.headers().get_all(rules::HEADER).iter();
    let Some(raw) = keys.next() else { return next.run(req).await };
    let more_than_one = keys.next().is_some();
    // Authenticate first: an unknown key is the handler's 401, whatever the Idempotency-Key says.
    let Some(secret) = (g.credential)(req.headers()) else { return next.run(req).await };
    let principal = match g.state.services.keys.authenticate(secret).await {
        Ok(Some(p)) => p,
        _ => return next.run(req).await,
    };
    if more_than_one {
        return invalid_key("send one Idempotency-Key header, not several".into()).render::<D>();
    }
    let key = match rules::check_key(raw.as_bytes()) {
        Ok(k) => k.to_owned(),
        Err(m) => return invalid_key(m).render::<D>(),
    };
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, g.state.settings.body_limit_bytes).await {
        Ok(b) => b,
        Err(e) => {
            let too_large = std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
                || e.to_string().contains("length limit");
            let err = if too_large {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "request.too_large", "the request body is too large")
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "request.unreadable", format!("the request body could not be read: {e}"))
            };
            return err.render::<D>();
        }
    };
    let path = parts.extensions.get::<axum::extract::OriginalUri>().map_or_else(|| parts.uri.clone(), |o| o.0.clone());
    let path_and_query = path.path_and_query().map_or_else(|| path.path().to_owned(), |p| p.as_str().to_owned());
    let fingerprint = rules::fingerprint(parts.method.as_str(), &path_and_query, &bytes);
    let path_customer = customer_in_path(path.path());
    let service = g.state.services.idempotency.clone();
    let holding = match service.begin(&principal, &key, fingerprint, path_customer).await {
        Ok(Begin::Run(h)) => h,
        Ok(Begin::Replay { status, headers, body }) => return replayed(status, headers, body),
        Ok(Begin::Conflict(why)) => {
            return ApiError::new(StatusCode::CONFLICT, why.code(), why.message())
                .kind(crate::error::ErrorKind::IdempotencyConflict)
                .with_reference("Idempotency-Key")
                .render::<D>();
        }
        Err(e) => return ApiError::from(e).render::<D>(),
    };
    let req = Request::from_parts(parts, Body::from(bytes));
    let response = custodian_store::idempotency::within(holding.clone(), next.run(req)).await;
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "reading a response to record it failed");
            Bytes::new()
        }
    };
    let headers: Vec<(String, String)> =
        parts.headers.iter().filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_owned(), v.to_owned()))).collect();
    let customer = path_customer.or_else(|| parts.extensions.get::<ConcernsCustomer>().map(|c| c.0));
    if let Err(e) = service.finish(&holding, parts.status.as_u16(), &headers, &bytes, customer).await {
        tracing::error!(error = %e, receipt = holding.receipt, "recording an idempotent response failed");
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replayed(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> Response {
    let mut r = (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
    let h = r.headers_mut();
    h.remove(axum::http::header::CONTENT_TYPE);
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            h.append(k, v);
        }
    }
    h.insert(rules::REPLAYED_HEADER, HeaderValue::from_static("true"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_customer_is_found_in_the_path() {
        assert_eq!(customer_in_path("/v1/customers/12/self-service/contact-data"), Some(CustomerId(12)));
        assert_eq!(customer_in_path("/api/v1/customers/7/persons"), Some(CustomerId(7)));
        assert_eq!(customer_in_path("/openwealth/customer/3/addresses"), Some(CustomerId(3)));
        assert_eq!(customer_in_path("/api/v1/customers"), None);
        assert_eq!(customer_in_path("/api/v2/customer/0b3c5a7e-0000-4000-a000-000000000000"), None);
    }
}
