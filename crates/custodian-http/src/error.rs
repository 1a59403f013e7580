//! One error value for every handler, rendered per dialect: the vendor `ErrorResponse` for the
//! self-service API, `application/problem+json` for the native API. 5xx details go to the log,
//! never to the client.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use custodian_app::AppError;
use custodian_domain::DomainError;
use custodian_store::StoreError;
use serde::Serialize;
use std::any::Any;
use std::marker::PhantomData;
use utoipa::ToSchema;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Makes the request id available to error rendering (it is the `traceId` of vendor errors).
pub async fn with_request_id(req: Request, next: Next) -> Response {
    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    REQUEST_ID.scope(id, next.run(req)).await
}

/// The id of the request being handled, if any.
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok().filter(|s| !s.is_empty())
}

/// An error shape of one API dialect.
pub trait Dialect: Send + Sync + 'static {
    fn render(error: &ApiError) -> Response;
}

/// What went wrong, for a dialect to choose its own code and shape from (never the `code`
/// string, which is the native API's machine code and only passed through).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request carried no credentials at all.
    NoCredentials,
    /// Credentials that do not authenticate.
    Unauthenticated,
    /// Authenticated, but without the scope the route needs.
    MissingScope,
    /// Refused for another reason (a read-only domain).
    Forbidden,
    /// The resource does not exist, or not for this caller.
    NotFound,
    /// No route for the path.
    NoRoute,
    /// A method the route does not have.
    MethodNotAllowed,
    /// The body is not one JSON value.
    MalformedJson,
    /// The body is larger than allowed.
    TooLarge,
    /// The body could not be read.
    Unreadable,
    /// Any other bad input: a field, a query parameter, a header, a missing body.
    Invalid,
    /// The request conflicts with the current state.
    Conflict,
    /// An `Idempotency-Key` reused for another request, or for one still running or of unknown
    /// outcome.
    IdempotencyConflict,
    /// Over the request budget.
    RateLimited,
    /// A part the request needs is not available right now.
    Unavailable,
    /// The server or its database failed.
    Internal,
    /// An error a dialect raised itself, with its own code.
    Dialect(&'static str),
}

impl ErrorKind {
    /// The kind a status implies, for errors built without a more precise one.
    pub fn of_status(status: StatusCode) -> ErrorKind {
        match status {
            StatusCode::UNAUTHORIZED => ErrorKind::Unauthenticated,
            StatusCode::FORBIDDEN => ErrorKind::Forbidden,
            StatusCode::NOT_FOUND => ErrorKind::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ErrorKind::MethodNotAllowed,
            StatusCode::CONFLICT => ErrorKind::Conflict,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorKind::TooLarge,
            StatusCode::TOO_MANY_REQUESTS => ErrorKind::RateLimited,
            StatusCode::SERVICE_UNAVAILABLE => ErrorKind::Unavailable,
            s if s.is_server_error() => ErrorKind::Internal,
            _ => ErrorKind::Invalid,
        }
    }
}

/// A failed request: status, what went wrong, stable machine code, readable message and the
/// offending field.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: ErrorKind,
    pub code: String,
    pub message: String,
    pub reference: Option<String>,
}

impl ApiError {
    /// An error of the kind its status implies; refine it with [`ApiError::kind`].
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError { status, kind: ErrorKind::of_status(status), code: code.to_owned(), message: message.into(), reference: None }
    }

    /// The same error, of kind `kind`.
    pub fn kind(mut self, kind: ErrorKind) -> ApiError {
        self.kind = kind;
        self
    }

    /// 403 for a caller without the scope the route needs (`auth.missing_scope`).
    pub fn missing_scope(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "auth.missing_scope", message).kind(ErrorKind::MissingScope)
    }

    /// 404 for a path no route has (`route.not_found`).
    pub fn no_route(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "route.not_found", message).kind(ErrorKind::NoRoute)
    }

    pub fn with_reference(mut self, reference: impl Into<String>) -> ApiError {
        self.reference = Some(reference.into());
        self
    }

    pub fn bad_request(reference: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "validation.invalid_field", message).with_reference(reference)
    }

    pub fn render<D: Dialect>(&self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = %self.code, "request failed: {}", self.message);
        }
        D::render(self)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        match e {
            AppError::Domain(d) => {
                let status = match &d {
                    DomainError::Invalid(_) | DomainError::SignatureRequired => StatusCode::BAD_REQUEST,
                    DomainError::ReadOnly(_) => StatusCode::FORBIDDEN,
                    DomainError::PendingExists(_) | DomainError::NotPending { .. } => StatusCode::CONFLICT,
                };
                let reference = match &d {
                    DomainError::Invalid(f) => Some(f.reference.clone()),
                    DomainError::SignatureRequired => Some("signature.base64SvgSignature".to_owned()),
                    _ => None,
                };
                let message = match &d {
                    DomainError::Invalid(f) => format!("{} {}", f.reference, f.message),
                    other => other.to_string(),
                };
                ApiError { status, kind: ErrorKind::of_status(status), code: d.code().to_owned(), message, reference }
            }
            AppError::NotFound(what) => {
                ApiError::new(StatusCode::NOT_FOUND, &format!("{what}.not_found"), format!("{what} does not exist"))
            }
            AppError::Conflict(f) => {
                ApiError::new(StatusCode::CONFLICT, "validation.conflict", format!("{} {}", f.reference, f.message))
                    .with_reference(f.reference)
            }
            AppError::Store(StoreError::Conflict(m)) => ApiError::new(StatusCode::CONFLICT, "concurrent_modification", m),
            AppError::Store(other) => {
                tracing::error!(error = %other, "storage failure");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "unexpected system error")
            }
        }
    }
}

/// An [`ApiError`] that renders in dialect `D`; handlers return `Result<T, Failure<D>>`.
pub struct Failure<D: Dialect>(pub ApiError, PhantomData<D>);

impl<D: Dialect> From<ApiError> for Failure<D> {
    fn from(e: ApiError) -> Self {
        Failure(e, PhantomData)
    }
}

impl<D: Dialect> From<AppError> for Failure<D> {
    fn from(e: AppError) -> Self {
        Failure(e.into(), PhantomData)
    }
}

impl<D: Dialect> IntoResponse for Failure<D> {
    fn into_response(self) -> Response {
        self.0.render::<D>()
    }
}

/// The native API's error shape: RFC 9457 problem details with our code and field reference.
pub struct Native;

/// Error body of every 4xx/5xx response of the native API (`application/problem+json`, RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// `https://custodian.dev/problems/{code}`.
    #[serde(rename = "type")]
    #[schema(example = "https://custodian.dev/problems/validation.invalid_field")]
    pub problem_type: String,
    /// The HTTP reason phrase.
    #[schema(example = "Bad Request")]
    pub title: String,
    #[schema(example = 400)]
    pub status: u16,
    /// What is wrong, in words.
    pub detail: String,
    /// Stable machine code, e.g. `validation.invalid_field`, `amendment.not_pending`.
    #[schema(example = "validation.invalid_field")]
    pub code: String,
    /// The path of the offending field, header or parameter, if one is at fault.
    pub reference: Option<String>,
    /// The request id (also in the `X-Request-Id` response header).
    pub request_id: Option<String>,
}

impl Dialect for Native {
    fn render(e: &ApiError) -> Response {
        let body = Problem {
            problem_type: format!("https://custodian.dev/problems/{}", e.code),
            title: e.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: e.status.as_u16(),
            detail: e.message.clone(),
            code: e.code.clone(),
            reference: e.reference.clone(),
            request_id: request_id(),
        };
        let body = serde_json::to_string(&body).unwrap_or_default();
        let mut r = (e.status, body).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        r
    }
}

/// A panic in a handler becomes an opaque 500; the panic message is logged.
pub fn panic_response(err: Box<dyn Any + Send + 'static>) -> Response {
    let detail = err.downcast_ref::<String>().map(String::as_str).or_else(|| err.downcast_ref::<&str>().copied());
    tracing::error!(panic = detail.unwrap_or("unknown"), "handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "unexpected system error").render::<Native>()
}
