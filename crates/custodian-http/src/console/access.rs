//! Access, for admins: the studio's API keys (create with the key shown once, revoke) and its
//! staff accounts (create, delete). The same application services as the native API do the work,
//! with the admin's own actor (`admin:<username>`), so every change is in the audit trail.

use super::errors::ConsoleError;
use super::login::NoFields;
use super::session::{Staff, StaffForm, parse_form};
use super::view::{self, Chrome};
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use custodian_app::AppError;
use custodian_app::auth::parse_label;
use custodian_domain::Scope;
use custodian_store::staff::StaffRole;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The scopes a key made in the console can have (a PARTNER key is bound to a partner customer:
/// the API or the CLI make those).
const CONSOLE_SCOPES: [(Scope, &str); 5] = [
    (Scope::SelfServiceRead, "Customer app: read"),
    (Scope::SelfServiceWrite, "Customer app: submit changes"),
    (Scope::StaffReview, "Review amendments"),
    (Scope::Admin, "Admin"),
    (Scope::WealthServiceUser, "Wealth-management service user"),
];

#[derive(Template, WebTemplate)]
#[template(path = "console/access.html")]
pub struct AccessPage {
    pub chrome: Chrome,
    pub keys: Vec<KeyRow>,
    pub accounts: Vec<AccountRow>,
    pub scopes: Vec<ScopeChoice>,
    pub flash: Option<String>,
    /// The key just created: shown on this page only, never again.
    pub new_key: Option<NewKey>,
}

pub struct KeyRow {
    pub prefix: String,
    pub scopes: String,
    pub label: String,
    pub created_at: String,
    pub created_iso: String,
}

pub struct AccountRow {
    pub username: String,
    pub role: &'static str,
    pub locked: bool,
    pub created_at: String,
    /// The signed-in admin's own account (not deleted from here).
    pub own: bool,
}

pub struct ScopeChoice {
    pub value: &'static str,
    pub label: &'static str,
}

pub struct NewKey {
    pub secret: String,
    pub label: String,
}

#[derive(Debug, Default, Deserialize)]
struct AccessQuery {
    done: Option<String>,
}

async fn render(
    state: &AppState,
    staff: &Staff,
    flash: Option<String>,
    new_key: Option<NewKey>,
) -> Result<AccessPage, ConsoleError> {
    let ctx = staff.context();
    let keys = state
        .services
        .keys
        .records(ctx.tenant)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            scopes: k.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            prefix: k.prefix,
            label: k.label,
            created_at: view::datetime(k.created_ms),
            created_iso: view::iso(k.created_ms),
        })
        .collect();
    let now = state.services.clock.now_ms();
    let accounts = state
        .services
        .staff
        .list(ctx.tenant)
        .await?
        .into_iter()
        .map(|u| AccountRow {
            own: u.id == staff.session.user_id,
            role: u.role.as_str(),
            locked: u.locked_until_ms.is_some_and(|t| t > now),
            created_at: view::datetime(u.created_ms),
            username: u.username,
        })
        .collect();
    Ok(AccessPage {
        chrome: Chrome::load(state, staff, "settings").await?,
        keys,
        accounts,
        scopes: CONSOLE_SCOPES.iter().map(|(s, label)| ScopeChoice { value: s.as_str(), label }).collect(),
        flash,
        new_key,
    })
}

/// Names a missing key or account in words.
fn not_found(e: AppError, what: &str) -> ConsoleError {
    match e {
        AppError::NotFound(_) => ConsoleError::NotFound(format!("There is no such {what} in your studio.")),
        other => other.into(),
    }
}

/// `GET /console/settings/access`.
pub async fn page(State(state): State<AppState>, staff: Staff, RawQuery(query): RawQuery) -> Result<AccessPage, ConsoleError> {
    staff.require_admin()?;
    let q: AccessQuery = parse_form(query.unwrap_or_default().as_bytes())?;
    let flash = q.done.as_deref().and_then(|d| match d {
        "key-revoked" => Some("The key is revoked: it no longer works.".to_owned()),
        "staff-created" => Some("The account is created: it can sign in now.".to_owned()),
        "staff-deleted" => Some("The account is deleted and signed out everywhere.".to_owned()),
        _ => None,
    });
    render(&state, &staff, flash, None).await
}

/// `POST /console/settings/access/keys`: a `label` and one `scope_<SCOPE>` checkbox per scope.
/// Answers with the page showing the new key once (never in an address or a redirect).
pub async fn create_key(State(state): State<AppState>, f: StaffForm<BTreeMap<String, String>>) -> Result<Response, ConsoleError> {
    f.staff.require_admin()?;
    let scopes: Vec<Scope> =
        CONSOLE_SCOPES.iter().map(|(s, _)| *s).filter(|s| f.form.contains_key(&format!("scope_{}", s.as_str()))).collect();
    if scopes.is_empty() {
        return Err(ConsoleError::BadRequest("Choose at least one scope for the key.".into()));
    }
    let label = parse_label(f.form.get("label").map_or("", String::as_str))?;
    let issued = state.services.keys.issue(&f.staff.context(), scopes, &label).await?;
    let new_key = NewKey { secret: issued.secret, label: issued.principal.label };
    Ok(render(&state, &f.staff, None, Some(new_key)).await?.into_response())
}

/// `POST /console/settings/access/keys/{prefix}/revoke`: the key stops working at once (not the
/// studio's last ADMIN key).
pub async fn revoke_key(
    State(state): State<AppState>,
    Path(prefix): Path<String>,
    f: StaffForm<NoFields>,
) -> Result<Response, ConsoleError> {
    f.staff.require_admin()?;
    state.services.keys.revoke_by(&f.staff.context(), &prefix).await.map_err(|e| not_found(e, "API key"))?;
    Ok(Redirect::to("/console/settings/access?done=key-revoked").into_response())
}

#[derive(Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// `POST /console/settings/access/staff`: a new account with username, role and password.
pub async fn create_account(State(state): State<AppState>, f: StaffForm<AccountForm>) -> Result<Response, ConsoleError> {
    f.staff.require_admin()?;
    let role: StaffRole = f.form.role.parse().map_err(ConsoleError::BadRequest)?;
    state.services.staff.create_by(&f.staff.context(), &f.form.username, role, &f.form.password).await?;
    Ok(Redirect::to("/console/settings/access?done=staff-created").into_response())
}

/// `POST /console/settings/access/staff/{username}/delete`: ends the account and its sessions.
/// Admins do not delete their own account here (they would lock themselves out mid-page).
pub async fn delete_account(
    State(state): State<AppState>,
    Path(username): Path<String>,
    f: StaffForm<NoFields>,
) -> Result<Response, ConsoleError> {
    f.staff.require_admin()?;
    if username.trim().eq_ignore_ascii_case(&f.staff.session.username) {
        return Err(ConsoleError::Conflict("You cannot delete your own account; another admin can.".into()));
    }
    state.services.staff.delete_by(&f.staff.context(), &username).await.map_err(|e| not_found(e, "staff account"))?;
    Ok(Redirect::to("/console/settings/access?done=staff-deleted").into_response())
}
