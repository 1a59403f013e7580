//! The partner API's error envelope and its codes. Every error answers
//! `{"errorCode": …, "errorMessage": …, "content": "", "pageable": ""}` (the vendor's NAK shape);
//! the HTTP status says the same in HTTP terms.

use crate::error::{ApiError, Dialect, ErrorKind};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use custodian_app::HierarchyError;
use serde::Serialize;
use utoipa::ToSchema;

/// The partner dialect.
pub struct Partner;

/// An error code of the partner API with its HTTP status and fixed message.
#[derive(Debug, Clone, Copy)]
pub struct Code {
    pub code: &'static str,
    pub status: StatusCode,
    pub message: &'static str,
    /// Whether the vendor documents the code (otherwise Custodian defines it).
    pub documented: bool,
}

macro_rules! codes {
    ($($name:ident = $code:literal, $status:ident, $message:literal, $documented:literal;)*) => {
        $(pub const $name: Code = Code { code: $code, status: StatusCode::$status, message: $message, documented: $documented };)*
        /// Every code, in the order of the README table.
        pub const ALL: &[Code] = &[$($name),*];
    };
}

codes! {
    SERVICE_UNAVAILABLE = "GLOBAL_1001", SERVICE_UNAVAILABLE, "Service unavailable. Please try again", true;
    INVALID_REQUEST = "GLOBAL_1002", BAD_REQUEST, "Invalid request", false;
    UNKNOWN_REQUEST_ID = "GLOBAL_1003", NOT_FOUND, "Provided request ID does not exist for your account.", true;
    UNAUTHENTICATED = "GLOBAL_1004", UNAUTHORIZED, "Authentication failed", false;
    FORBIDDEN = "GLOBAL_1005", FORBIDDEN, "Access denied", false;
    NO_ROUTE = "GLOBAL_1006", NOT_FOUND, "No such API", false;
    METHOD_NOT_ALLOWED = "GLOBAL_1007", METHOD_NOT_ALLOWED, "Method not allowed", false;
    IDEMPOTENCY_CONFLICT = "GLOBAL_1008", CONFLICT, "Idempotency-Key conflict", false;
    CREATE_FAILED = "CUSTOMER_1001", BAD_REQUEST, "Failed to create customer", false;
    CUSTOMER_NOT_FOUND = "CUSTOMER_1002", NOT_FOUND, "Customer does not exist", true;
    UPDATE_FAILED = "CUSTOMER_1003", BAD_REQUEST, "Failed to update customer details", true;
    NOT_ELIGIBLE = "CUSTOMER_1004", FORBIDDEN, "The requester is not eligible for this request", false;
    RETRIEVE_FAILED = "CUSTOMER_1006", BAD_REQUEST, "Failed to retrieve customer details", true;
}

impl Code {
    /// This code's error; `detail` follows the fixed message after a colon.
    pub fn error(&self, detail: Option<&str>) -> ApiError {
        let message = match detail {
            Some(d) => format!("{}: {d}", self.message),
            None => self.message.to_owned(),
        };
        ApiError::new(self.status, self.code, message).kind(ErrorKind::Dialect(self.code))
    }

    /// Re-labels a generic bad-input error (unreadable body, bad field) with this code; the
    /// status (400 or 413) and the field reference are kept.
    pub fn relabel(&self, e: ApiError) -> ApiError {
        let mut out = self.error(Some(&e.message));
        out.status = e.status;
        out.reference = e.reference;
        out
    }
}

/// Maps a refusal of the hierarchy service; `invalid` is the code of this request's bad input.
pub fn failure(e: HierarchyError, invalid: Code) -> ApiError {
    match e {
        HierarchyError::Invalid(f) => invalid.error(Some(&format!("{} {}", f.reference, f.message))).with_reference(f.reference),
        HierarchyError::CustomerNotFound => CUSTOMER_NOT_FOUND.error(None),
        HierarchyError::Ineligible(i) => NOT_ELIGIBLE.error(Some(&i.to_string())),
        HierarchyError::OperationNotFound => UNKNOWN_REQUEST_ID.error(None),
        e @ HierarchyError::Unbound => FORBIDDEN.error(Some(&e.to_string())),
        HierarchyError::Store(e) => {
            tracing::error!(error = %e, "storage failure");
            SERVICE_UNAVAILABLE.error(None)
        }
    }
}

/// The code of an error: its own, or, for one raised by shared infrastructure (authentication,
/// bodies, routing), the one its kind calls for.
fn code_of(e: &ApiError) -> Code {
    match e.kind {
        ErrorKind::Dialect(own) => ALL.iter().find(|k| k.code == own).copied().unwrap_or(INVALID_REQUEST),
        ErrorKind::Internal | ErrorKind::Unavailable => SERVICE_UNAVAILABLE,
        ErrorKind::NoCredentials | ErrorKind::Unauthenticated => UNAUTHENTICATED,
        ErrorKind::MissingScope => FORBIDDEN,
        ErrorKind::NoRoute => NO_ROUTE,
        ErrorKind::IdempotencyConflict => IDEMPOTENCY_CONFLICT,
        _ => INVALID_REQUEST,
    }
}

/// Body of every failed partner API request (NAK).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PartnerErrorEnvelope)]
pub struct ErrorEnvelope {
    /// Failure code, e.g. `CUSTOMER_1002`.
    #[schema(example = "GLOBAL_1001")]
    pub error_code: String,
    /// Failure message: the code's fixed message, then details after a colon.
    #[schema(example = "Service unavailable. Please try again")]
    pub error_message: String,
    /// Empty on failure.
    #[schema(example = "")]
    pub content: String,
    /// Empty on failure.
    #[schema(example = "")]
    pub pageable: String,
}

impl Dialect for Partner {
    fn render(e: &ApiError) -> Response {
        let code = code_of(e);
        let own = matches!(e.kind, ErrorKind::Dialect(_));
        let (status, message) = if code.code == SERVICE_UNAVAILABLE.code {
            // Server-side details go to the log, never to the client.
            (StatusCode::SERVICE_UNAVAILABLE, code.message.to_owned())
        } else if own || e.message.starts_with(code.message) {
            (e.status, e.message.clone())
        } else {
            (e.status, format!("{}: {}", code.message, e.message))
        };
        let body = ErrorEnvelope {
            error_code: code.code.to_owned(),
            error_message: message,
            content: String::new(),
            pageable: String::new(),
        };
        (status, Json(body)).into_response()
    }
}
