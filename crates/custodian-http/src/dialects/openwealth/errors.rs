//! The bLink / OpenWealth error shape: `application/problem+json` with a URI-style `type`
//! (`/problems/INVALID_PAYLOAD`), `title`, `detail` and `instance` (the request path), sent with
//! `Content-Language: en`, the echoed `X-Correlation-ID` and, on 401, `WWW-Authenticate`.

use crate::error::{ApiError, Dialect, ErrorKind};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

tokio::task_local! {
    static EXCHANGE: Exchange;
}

/// What error rendering needs to know about the request being handled.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    /// The request path, the problem's `instance`.
    pub instance: String,
    /// The caller's valid `X-Correlation-ID`, echoed on every response.
    pub correlation_id: Option<HeaderValue>,
}

impl Exchange {
    /// Runs `f` with this exchange available to error rendering.
    pub async fn scope<F: Future>(self, f: F) -> F::Output {
        EXCHANGE.scope(self, f).await
    }

    fn current() -> Exchange {
        EXCHANGE.try_with(Clone::clone).unwrap_or_default()
    }
}

/// The OpenWealth dialect.
pub struct OpenWealth;

/// Error body of every 4xx/5xx response of the wealth-management API.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OpenWealthProblem)]
pub struct Problem {
    /// The kind of problem.
    #[serde(rename = "type")]
    #[schema(example = "/problems/INVALID_PAYLOAD")]
    pub problem_type: String,
    #[schema(example = "Payload does not comply with API specification")]
    pub title: String,
    #[schema(example = "Malformed JSON")]
    pub detail: String,
    /// The path of the request.
    #[schema(example = "/openwealth/customers/1/addresses")]
    pub instance: String,
}

/// The vendor's problem types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProblemType {
    InvalidPayload,
    MalformedPayload,
    ResourceTooLarge,
    InvalidToken,
    InsufficientPrivileges,
    ResourceDoesNotExist,
    OperationNotAllowed,
    WrongMethod,
    TechnicalError,
}

impl ProblemType {
    fn uri(self) -> &'static str {
        match self {
            ProblemType::InvalidPayload => "/problems/INVALID_PAYLOAD",
            ProblemType::MalformedPayload => "/problems/MALFORMED_PAYLOAD",
            ProblemType::ResourceTooLarge => "/problems/RESOURCE_TOO_LARGE",
            ProblemType::InvalidToken => "/problems/INVALID_TOKEN",
            ProblemType::InsufficientPrivileges => "/problems/INSUFFICIENT_PRIVILEGES",
            ProblemType::ResourceDoesNotExist => "/problems/RESOURCE_DOES_NOT_EXIST",
            ProblemType::OperationNotAllowed => "/problems/OPERATION_NOT_ALLOWED",
            ProblemType::WrongMethod => "/problems/WRONG_METHOD",
            ProblemType::TechnicalError => "/problems/TECHNICAL_ERROR",
        }
    }

    fn title(self) -> &'static str {
        match self {
            ProblemType::InvalidPayload => "Payload does not comply with API specification",
            ProblemType::MalformedPayload => "Payload is malformed",
            ProblemType::ResourceTooLarge => "Resource too large",
            ProblemType::InvalidToken => "Invalid token",
            ProblemType::InsufficientPrivileges => "Insufficient privileges",
            ProblemType::ResourceDoesNotExist => "Resource does not exist",
            ProblemType::OperationNotAllowed => "Operation not allowed",
            ProblemType::WrongMethod => "Wrong method",
            ProblemType::TechnicalError => "Technical error",
        }
    }
}

/// Codes of errors raised by this dialect itself.
pub(crate) mod code {
    pub const TOKEN_MISSING: &str = "auth.token_missing";
    pub const CORRELATION_ID: &str = "request.correlation_id";
    pub const METHOD_NOT_ALLOWED: &str = "route.method_not_allowed";
    pub const NOT_VISIBLE: &str = "wealth.not_visible";
    pub const UNAVAILABLE: &str = "module.unavailable";
}

/// The vendor's status, type and detail for one of our errors, chosen by its kind.
fn classify(e: &ApiError) -> (StatusCode, ProblemType, String) {
    use ErrorKind as K;
    use ProblemType as P;
    let detail = e.message.clone();
    match e.kind {
        K::NoCredentials | K::Unauthenticated => (StatusCode::UNAUTHORIZED, P::InvalidToken, detail),
        K::MissingScope => (StatusCode::FORBIDDEN, P::InsufficientPrivileges, detail),
        K::Dialect(code::NOT_VISIBLE) => (StatusCode::NOT_FOUND, P::InsufficientPrivileges, detail),
        K::NotFound => (StatusCode::NOT_FOUND, P::ResourceDoesNotExist, detail),
        K::MalformedJson => (StatusCode::BAD_REQUEST, P::InvalidPayload, "Malformed JSON".to_owned()),
        K::TooLarge => (StatusCode::BAD_REQUEST, P::ResourceTooLarge, detail),
        K::Unreadable => (StatusCode::BAD_REQUEST, P::MalformedPayload, detail),
        K::NoRoute => (StatusCode::NOT_FOUND, P::TechnicalError, "URL not found".to_owned()),
        K::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, P::WrongMethod, detail),
        K::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, P::TechnicalError, detail),
        K::Conflict | K::IdempotencyConflict => (StatusCode::CONFLICT, P::OperationNotAllowed, detail),
        K::Internal => {
            (StatusCode::INTERNAL_SERVER_ERROR, P::TechnicalError, "An unexpected technical error occurred.".to_owned())
        }
        // Validation, missing bodies, bad query parameters and headers.
        K::Forbidden | K::Invalid | K::RateLimited | K::Dialect(_) => (StatusCode::BAD_REQUEST, P::InvalidPayload, detail),
    }
}

impl Dialect for OpenWealth {
    fn render(e: &ApiError) -> Response {
        let (status, kind, detail) = classify(e);
        let exchange = Exchange::current();
        let body =
            Problem { problem_type: kind.uri().to_owned(), title: kind.title().to_owned(), detail, instance: exchange.instance };
        let mut r = (status, serde_json::to_string(&body).expect("a problem serialises")).into_response();
        let headers = r.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("en"));
        if let Some(id) = exchange.correlation_id {
            headers.insert("x-correlation-id", id);
        }
        if status == StatusCode::UNAUTHORIZED {
            // RFC 6750 §3: no error code when the request carried no credentials.
            let challenge = if e.kind == ErrorKind::NoCredentials { "Bearer" } else { r#"Bearer error="invalid_token""# };
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        r
    }
}
