//! Console sessions over HTTP: the session cookie (HttpOnly, SameSite=Strict, Secure unless turned
//! off), the [`Staff`] extractor that finds the signed-in staff member, [`StaffForm`] that also
//! checks a form's CSRF token, and the same-origin rule every console POST must pass.

use super::errors::ConsoleError;
use super::is_safe;
use crate::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use custodian_app::{Context, StaffSession};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

/// The cookie holding the session token.
pub const SESSION_COOKIE: &str = "custodian_console";
/// The cookie holding the sign-in form's CSRF token (there is no session yet to hold it).
pub const LOGIN_COOKIE: &str = "custodian_console_login";
/// Largest accepted form body.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The value of cookie `name` in the request, if sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// A `Set-Cookie` value for the console; `max_age_s` of 0 deletes the cookie.
pub fn set_cookie(state: &AppState, name: &str, value: &str, path: &str, max_age_s: i64) -> HeaderValue {
    let secure = if state.settings.console.cookie_secure { "; Secure" } else { "" };
    let v = format!("{name}={value}; Path={path}; Max-Age={max_age_s}; HttpOnly; SameSite=Strict{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Constant-time comparison of a presented token with the expected one.
pub fn tokens_match(presented: &str, expected: &str) -> bool {
    !expected.is_empty() && presented.as_bytes().ct_eq(expected.as_bytes()).into()
}

/// A signed-in staff member; requests without a live session are sent to the sign-in page.
#[derive(Debug, Clone)]
pub struct Staff {
    pub session: StaffSession,
    /// The session token from the cookie (to sign out).
    pub token: String,
    pub request_id: Option<String>,
}

impl Staff {
    /// The context the application services act with: actor `staff:<username>` or `admin:<username>`.
    pub fn context(&self) -> Context {
        self.session.context(self.request_id.clone())
    }

    /// Settings are for admins; reviewers get 403.
    pub fn require_admin(&self) -> Result<(), ConsoleError> {
        if self.session.is_admin() { Ok(()) } else { Err(ConsoleError::Forbidden("Only admins can open the settings.".into())) }
    }
}

/// Where to come back to after signing in: the requested console page (path and query).
fn return_path(parts: &Parts) -> String {
    if is_safe(&parts.method) {
        parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/console/queue".into())
    } else {
        "/console/queue".into()
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let sign_in = || ConsoleError::SignIn { next: return_path(parts), htmx: parts.headers.contains_key("hx-request") };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
            return Err(sign_in());
        };
        let session = state.services.staff.session(token).await.map_err(ConsoleError::from)?.ok_or_else(sign_in)?;
        crate::access_log::note_tenant(session.tenant);
        let request_id = parts.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(Staff { session, token: token.to_owned(), request_id })
    }
}

/// The `csrf` field every console form carries.
#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A POSTed console form of a signed-in staff member whose CSRF token matched the session's.
pub struct StaffForm<T> {
    pub staff: Staff,
    pub form: T,
}

/// Reads an `application/x-www-form-urlencoded` body (at most 64 KiB).
pub async fn form_body(req: Request) -> Result<Vec<u8>, ConsoleError> {
    let body = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
        .await
        .map_err(|_| ConsoleError::BadRequest("The form is too large.".into()))?;
    Ok(body.to_vec())
}

/// Parses a form body into `T`; a malformed form, or a NUL character (U+0000) in any name or
/// value, is a 400.
pub fn parse_form<T: DeserializeOwned>(body: &[u8]) -> Result<T, ConsoleError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|e| ConsoleError::BadRequest(format!("The form could not be read: {e}.")))?;
    if pairs.iter().any(|(k, v)| k.contains('\0') || v.contains('\0')) {
        return Err(ConsoleError::BadRequest("The form must not contain the NUL character (U+0000).".into()));
    }
    serde_urlencoded::from_bytes(body).map_err(|e| ConsoleError::BadRequest(format!("The form could not be read: {e}.")))
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for StaffForm<T> {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let staff = Staff::from_request_parts(&mut parts, state).await?;
        let body = form_body(Request::from_parts(parts, body)).await?;
        let CsrfField { csrf } = parse_form(&body)?;
        if !tokens_match(&csrf, &staff.session.csrf_token) {
            tracing::warn!(staff.id = staff.session.user_id, "console form refused: CSRF token missing or wrong");
            return Err(ConsoleError::Csrf);
        }
        let form = parse_form(&body)?;
        Ok(StaffForm { staff, form })
    }
}

/// The host part of an `Origin` header (`https://host:port` → `host:port`).
fn origin_host(origin: &str) -> Option<&str> {
    origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")).filter(|h| !h.is_empty() && !h.contains('/'))
}

/// Refuses a console POST that a browser says came from another site: `Sec-Fetch-Site` must be
/// `same-origin` and `Origin` must name this host when the browser sends them. Clients that send
/// neither (scripts, tests) still need the form's CSRF token.
pub async fn same_origin_writes(req: Request, next: Next) -> Response {
    if is_safe(req.method()) {
        return next.run(req).await;
    }
    let h = req.headers();
    if let Some(site) = h.get("sec-fetch-site")
        && site.as_bytes() != b"same-origin"
    {
        tracing::warn!(site = ?site, "console POST refused: not same-origin");
        return ConsoleError::Csrf.into_response();
    }
    if let Some(origin) = h.get(header::ORIGIN) {
        let hosts: Vec<&str> =
            [h.get(header::HOST), h.get("x-forwarded-host")].into_iter().flatten().filter_map(|v| v.to_str().ok()).collect();
        let same = origin.to_str().ok().and_then(origin_host).is_some_and(|o| hosts.iter().any(|h| h.eq_ignore_ascii_case(o)));
        if !same {
            tracing::warn!("console POST refused: Origin is another site");
            return ConsoleError::Csrf.into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_found_among_several() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; custodian_console=abc ; b=2"));
        h.append(header::COOKIE, HeaderValue::from_static("c=3"));
        assert_eq!(cookie(&h, "custodian_console"), Some("abc"));
        assert_eq!(cookie(&h, "c"), Some("3"));
        assert_eq!(cookie(&h, "custodian"), None);
    }

    #[test]
    fn only_a_plain_scheme_and_host_counts_as_an_origin() {
        assert_eq!(origin_host("http://127.0.0.1:8080"), Some("127.0.0.1:8080"));
        assert_eq!(origin_host("https://console.example"), Some("console.example"));
        assert_eq!(origin_host("null"), None);
        assert_eq!(origin_host("https://evil.example/x"), None);
    }

    #[test]
    fn tokens_compare_exactly_and_never_match_an_empty_expectation() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abd", "abc"));
        assert!(!tokens_match("", ""));
        assert!(!tokens_match("abc", ""));
    }
}
