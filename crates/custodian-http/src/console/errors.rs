//! How the console answers when a page cannot be shown: a redirect to sign-in, or an HTML error
//! page with the right status (never JSON, never a stack trace).

use askama::Template;
use askama_web::WebTemplate;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use custodian_app::AppError;
use custodian_domain::DomainError;
use custodian_store::StoreError;

#[derive(Debug)]
pub enum ConsoleError {
    /// No live session: sign in first, then come back to `next`.
    SignIn {
        next: String,
        htmx: bool,
    },
    /// The form's CSRF token is missing or wrong, or the POST came from another site.
    Csrf,
    Forbidden(String),
    NotFound(String),
    BadRequest(String),
    Conflict(String),
    Internal,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/error.html")]
pub struct ErrorPage {
    pub heading: String,
    pub message: String,
}

/// The sign-in page's address that returns to `next` afterwards.
pub fn login_href(next: &str) -> String {
    if next.is_empty() || next == "/console/queue" {
        "/console/login".into()
    } else {
        format!("/console/login?{}", serde_urlencoded::to_string([("next", next)]).unwrap_or_default())
    }
}

impl ConsoleError {
    fn status_and_text(&self) -> (StatusCode, &'static str, String) {
        match self {
            ConsoleError::SignIn { .. } => (StatusCode::UNAUTHORIZED, "Please sign in", "Your session has ended.".into()),
            ConsoleError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form could not be accepted",
                "It did not come from this console's own pages, or it belongs to a session that has ended. Go back, reload the page and try again."
                    .into(),
            ),
            ConsoleError::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed", m.clone()),
            ConsoleError::NotFound(m) => (StatusCode::NOT_FOUND, "Not found", m.clone()),
            ConsoleError::BadRequest(m) => (StatusCode::BAD_REQUEST, "That request could not be read", m.clone()),
            ConsoleError::Conflict(m) => (StatusCode::CONFLICT, "That did not work", m.clone()),
            ConsoleError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The server could not complete the request. Please try again in a moment.".into(),
            ),
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        if let ConsoleError::SignIn { next, htmx } = &self {
            let target = login_href(next);
            let mut res = if *htmx {
                // htmx follows HX-Redirect with a full page load instead of swapping the sign-in page in.
                let mut r = StatusCode::UNAUTHORIZED.into_response();
                r.headers_mut().insert("hx-redirect", HeaderValue::from_str(&target).unwrap_or(HeaderValue::from_static("/")));
                r
            } else {
                axum::response::Redirect::to(&target).into_response()
            };
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return res;
        }
        let (status, heading, message) = self.status_and_text();
        (status, ErrorPage { heading: heading.into(), message }).into_response()
    }
}

impl From<AppError> for ConsoleError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Domain(DomainError::Invalid(f)) => ConsoleError::BadRequest(format!("{}: {}", f.reference, f.message)),
            AppError::Domain(d @ DomainError::ReadOnly(_)) => ConsoleError::Forbidden(d.to_string()),
            AppError::Domain(d) => ConsoleError::Conflict(d.to_string()),
            AppError::NotFound(what) => ConsoleError::NotFound(format!("There is no such {what} in your studio.")),
            AppError::Conflict(f) => ConsoleError::Conflict(f.message),
            AppError::Store(StoreError::Conflict(m)) => ConsoleError::Conflict(m),
            AppError::Store(other) => {
                tracing::error!(error = %other, "console: storage failure");
                ConsoleError::Internal
            }
        }
    }
}

/// Any console address that does not exist.
pub async fn not_found() -> ConsoleError {
    ConsoleError::NotFound("There is no console page at this address.".into())
}
