//! Signing in and out of the console. The sign-in form is protected against cross-site posting
//! by a token held in its own short-lived cookie (double submit) on top of the same-origin rule;
//! a successful sign-in sets the session cookie and returns to the page that asked for it.

use super::errors::ConsoleError;
use super::session::{LOGIN_COOKIE, SESSION_COOKIE, StaffForm, cookie, form_body, parse_form, set_cookie, tokens_match};
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use custodian_app::SignIn;
use custodian_domain::TenantId;
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "console/login.html")]
pub struct LoginPage {
    pub tenant: String,
    pub username: String,
    pub next: String,
    pub csrf: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct LoginQuery {
    tenant: Option<String>,
    next: Option<String>,
    signed_out: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

/// Where to go after signing in: a console page, never another site or the sign-in page itself.
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with("/console/")
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.starts_with("/console/login")
        && !next.starts_with("/console/logout")
        && next.bytes().all(|b| b.is_ascii_graphic());
    if ok { next.to_owned() } else { "/console/queue".to_owned() }
}

fn random_token() -> String {
    let b: [u8; 32] = rand::random();
    hex::encode(b)
}

const LOGIN_COOKIE_PATH: &str = "/console/login";

fn login_page(status: StatusCode, state: &AppState, csrf: String, page: LoginPage) -> Response {
    let mut res = (status, LoginPage { csrf: csrf.clone(), ..page }).into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(state, LOGIN_COOKIE, &csrf, LOGIN_COOKIE_PATH, 3600));
    res
}

async fn signed_in(state: &AppState, headers: &HeaderMap) -> bool {
    match cookie(headers, SESSION_COOKIE) {
        Some(token) => matches!(state.services.staff.session(token).await, Ok(Some(_))),
        None => false,
    }
}

/// `GET /console/login`: the sign-in form (`?tenant=` pre-fills the studio, `?next=` is where to
/// return afterwards).
pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ConsoleError> {
    let q: LoginQuery = parse_form(query.unwrap_or_default().as_bytes())?;
    let next = safe_next(q.next.as_deref().unwrap_or_default());
    if signed_in(&state, &headers).await {
        return Ok(Redirect::to(&next).into_response());
    }
    // Keep the token of an open sign-in form, so that two tabs can both sign in.
    let csrf = cookie(&headers, LOGIN_COOKIE).filter(|t| t.len() == 64).map(str::to_owned).unwrap_or_else(random_token);
    let page = LoginPage {
        tenant: q.tenant.unwrap_or_default().trim().chars().filter(char::is_ascii_digit).collect(),
        username: String::new(),
        next,
        csrf: String::new(),
        error: None,
        notice: q.signed_out.map(|_| "You are signed out.".to_owned()),
    };
    Ok(login_page(StatusCode::OK, &state, csrf, page))
}

/// `POST /console/login`: checks the credentials and opens a session.
pub async fn submit(State(state): State<AppState>, req: Request) -> Result<Response, ConsoleError> {
    let expected = cookie(req.headers(), LOGIN_COOKIE).unwrap_or_default().to_owned();
    // A budget of sign-in attempts per client address, before any work (each attempt costs an
    // argon2 hash).
    let limit = state.settings.console.sign_ins_per_minute;
    let over = crate::rate_limit::client_ip(req.extensions())
        .filter(|_| limit > 0)
        .and_then(|ip| state.rate_limiter.hit_recent(&format!("sign-in {ip}"), limit, 60_000, crate::rate_limit::now_ms()));
    if let Some(wait) = over {
        tracing::warn!("console sign-in refused: too many attempts from one address");
        let page = LoginPage {
            tenant: String::new(),
            username: String::new(),
            next: "/console/queue".into(),
            csrf: String::new(),
            error: Some(format!("Too many sign-in attempts from your address. Try again in {wait} seconds.")),
            notice: None,
        };
        let csrf = if expected.len() == 64 { expected } else { random_token() };
        let mut res = login_page(StatusCode::TOO_MANY_REQUESTS, &state, csrf, page);
        res.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(wait));
        return Ok(res);
    }
    let form: LoginForm = parse_form(&form_body(req).await?)?;
    if !tokens_match(&form.csrf, &expected) {
        tracing::warn!("console sign-in refused: CSRF token missing or wrong");
        return Err(ConsoleError::Csrf);
    }
    let retry = |error: &str| LoginPage {
        tenant: form.tenant.trim().to_owned(),
        username: form.username.trim().to_owned(),
        next: safe_next(&form.next),
        csrf: String::new(),
        error: Some(error.to_owned()),
        notice: None,
    };
    let Some(tenant) = form.tenant.trim().parse::<i64>().ok().filter(|t| *t > 0) else {
        return Ok(login_page(StatusCode::UNPROCESSABLE_ENTITY, &state, expected, retry("Enter your studio number, e.g. 1.")));
    };
    if form.username.trim().is_empty() || form.password.is_empty() {
        return Ok(login_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &state,
            expected,
            retry("Enter your username and your password."),
        ));
    }
    let ttl = state.settings.console.session_ttl_ms;
    match state.services.staff.sign_in(TenantId(tenant), &form.username, &form.password, ttl).await? {
        SignIn::SignedIn { token, .. } => {
            let mut res = Redirect::to(&safe_next(&form.next)).into_response();
            let h = res.headers_mut();
            h.append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, &token, "/console", (ttl + 999) / 1000));
            h.append(header::SET_COOKIE, set_cookie(&state, LOGIN_COOKIE, "", LOGIN_COOKIE_PATH, 0));
            Ok(res)
        }
        SignIn::Refused | SignIn::Locked { .. } => Ok(login_page(
            StatusCode::UNAUTHORIZED,
            &state,
            expected,
            retry(
                "The studio number, username or password is wrong. After 5 wrong passwords in a row an account is locked for 5 minutes.",
            ),
        )),
    }
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /console/logout`: ends the session and deletes the cookie.
pub async fn sign_out(State(state): State<AppState>, f: StaffForm<NoFields>) -> Result<Response, ConsoleError> {
    state.services.staff.sign_out(&f.staff.token).await?;
    let mut res = Redirect::to("/console/login?signed_out=1").into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "", "/console", 0));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_console_pages_are_returned_to_after_sign_in() {
        assert_eq!(safe_next("/console/amendments/3"), "/console/amendments/3");
        assert_eq!(safe_next("/console/queue?domain=payment"), "/console/queue?domain=payment");
        for bad in ["https://evil.example/", "//evil.example/console/", "/api/v1/customers", "/console/login", "", "/console/\\x"]
        {
            assert_eq!(safe_next(bad), "/console/queue", "{bad}");
        }
    }
}
