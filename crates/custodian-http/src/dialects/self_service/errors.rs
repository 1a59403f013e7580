//! The vendor's `ErrorResponse` shape: `errorMessage`, `errorCode`, `traceId`, `reference`.

use crate::error::{ApiError, Dialect, request_id};
use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The self-service dialect.
pub struct Vendor;

/// Error body of every 4xx/5xx response of the self-service API.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorResponse {
    /// Resolved message.
    pub error_message: String,
    /// Stable key, e.g. `amendment.pending_exists`.
    pub error_code: String,
    /// The request id (also in the `X-Request-Id` response header).
    pub trace_id: Option<String>,
    /// The path of the offending field, e.g. `signature.base64SvgSignature`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Dialect for Vendor {
    fn render(e: &ApiError) -> Response {
        let body = ErrorResponse {
            error_message: e.message.clone(),
            error_code: e.code.clone(),
            trace_id: request_id(),
            reference: e.reference.clone(),
        };
        (e.status, Json(body)).into_response()
    }
}
