//! Access management inside a tenant (scope ADMIN): API keys (create with the secret shown once,
//! list without secrets, revoke) and staff-console accounts (create, list, delete). Tenants
//! themselves stay a matter for the operator's CLI. Every change is in the tenant's audit trail.

use super::customers::{PageQuery, page_query};
use super::{NativeCaller, Result, timestamp};
use crate::body::JsonBody;
use crate::error::{ApiError, Native};
use crate::params::cut_page;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use custodian_app::auth::parse_label;
use custodian_app::{Context, IssuedKey, Services};
use custodian_domain::Scope;
use custodian_domain::hierarchy::CustomerUuid;
use custodian_store::ApiKeyRecord;
use custodian_store::staff::{StaffRole, StaffUser};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/keys", get(list_keys).post(create_key))
        .route("/keys/{prefix}", delete(revoke_key))
        .route("/staff", get(list_staff).post(create_staff))
        .route("/staff/{username}", delete(delete_staff))
}

/// An API key of the tenant. `secret` appears once, in the answer to its creation.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    /// The key's public part (`cus_<prefix>_…`); names it in logs and for revocation.
    #[schema(example = "AbCd1234")]
    pub prefix: String,
    #[schema(example = json!(["STAFF_REVIEW"]))]
    pub scopes: Vec<String>,
    /// Who holds it; admins and staff keys act as `admin:<label>` / `staff:<label>` in the audit trail.
    #[schema(example = "front-desk")]
    pub label: String,
    pub created_at: String,
    /// The whole key, shown only here: store it now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

fn key_view(k: &ApiKeyRecord) -> KeyView {
    KeyView {
        prefix: k.prefix.clone(),
        scopes: k.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        label: k.label.clone(),
        created_at: timestamp(k.created_ms),
        secret: None,
    }
}

/// A key to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyRequest {
    /// One or more of `CUSTOMER_SELF_SERVICE_READ`, `CUSTOMER_SELF_SERVICE_WRITE`, `STAFF_REVIEW`,
    /// `ADMIN`, `PARTNER`, `WEALTH_SERVICE_USER`.
    #[schema(example = json!(["STAFF_REVIEW"]))]
    pub scopes: Vec<String>,
    /// 1 to 100 printable characters naming the key's holder.
    #[schema(example = "front-desk")]
    pub label: String,
    /// With the `PARTNER` scope only (and then required): the UUID of the partner customer the
    /// key acts as.
    pub customer: Option<String>,
}

/// A page of keys, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyPage {
    pub items: Vec<KeyView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

fn parse_scopes(raw: &[String]) -> std::result::Result<Vec<Scope>, ApiError> {
    if raw.is_empty() {
        return Err(ApiError::bad_request("scopes", "scopes: a key needs at least one scope"));
    }
    let mut scopes = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        let scope =
            s.parse::<Scope>().map_err(|m| ApiError::bad_request(&format!("scopes[{i}]"), format!("scopes[{i}]: {m}")))?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    Ok(scopes)
}

async fn issue(services: &Services, ctx: &Context, body: KeyRequest) -> Result<IssuedKey> {
    let scopes = parse_scopes(&body.scopes)?;
    let label = parse_label(&body.label)?;
    let customer = body.customer.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let issued = match customer {
        Some(_) if !scopes.contains(&Scope::Partner) => {
            return Err(ApiError::bad_request("customer", "customer: only a PARTNER key is bound to a customer").into());
        }
        Some(c) => {
            let uuid = CustomerUuid::parse(c).map_err(|m| ApiError::bad_request("customer", format!("customer: {m}")))?;
            services.hierarchy.issue_key(ctx, uuid, scopes, &label).await?
        }
        None if scopes.contains(&Scope::Partner) => {
            return Err(ApiError::bad_request(
                "customer",
                "customer: a PARTNER key acts as a customer of a partner hierarchy: give its UUID",
            )
            .into());
        }
        None => services.keys.issue(ctx, scopes, &label).await?,
    };
    Ok(issued)
}

/// Creates a key from a validated request; the console's form uses it too.
pub(crate) async fn create_key_for(services: &Services, ctx: &Context, body: KeyRequest) -> Result<KeyView> {
    let issued = issue(services, ctx, body).await?;
    let p = &issued.principal;
    Ok(KeyView {
        prefix: p.key_prefix.clone(),
        scopes: p.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        label: p.label.clone(),
        created_at: timestamp(issued.created_ms),
        secret: Some(issued.secret),
    })
}

#[utoipa::path(post, path = "/api/v1/keys", tag = "Access", summary = "Create an API key",
    description = "The answer carries the whole key (`secret`) once; only its SHA-256 is stored. A `PARTNER` key needs `customer` (a partner customer's UUID); no other key may have one. Audited as `key.created` (prefix, scopes, label; never the secret). Scope ADMIN.",
    request_body = KeyRequest, security(("ApiKeyAuth" = [])),
    responses((status = 201, body = KeyView), (status = 400, description = "Unknown scope, blank label, customer missing or not allowed"),
        (status = 404, description = "No such partner customer in this tenant")))]
pub async fn create_key(
    State(state): State<AppState>,
    caller: NativeCaller,
    JsonBody(body, ..): JsonBody<KeyRequest, Native>,
) -> Result<(StatusCode, Json<KeyView>)> {
    let ctx = caller.require(Scope::Admin)?;
    Ok((StatusCode::CREATED, Json(create_key_for(&state.services, &ctx, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/keys", tag = "Access", summary = "List the live API keys",
    description = "Prefixes, scopes, labels and creation times, oldest first; never secrets or hashes. Revoked keys are not listed. Scope ADMIN.",
    params(PageQuery), security(("ApiKeyAuth" = [])), responses((status = 200, body = KeyPage)))]
pub async fn list_keys(
    State(state): State<AppState>,
    caller: NativeCaller,
    query: std::result::Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<KeyPage>> {
    let ctx = caller.require(Scope::Admin)?;
    let (after, limit) = page_query(query)?;
    let keys: Vec<ApiKeyRecord> = state
        .services
        .keys
        .records(ctx.tenant)
        .await?
        .into_iter()
        .filter(|k| after.is_none_or(|a| k.id > a))
        .take(limit as usize + 1)
        .collect();
    let (items, next_cursor) = cut_page(keys, limit, |k| k.id);
    Ok(Json(KeyPage { items: items.iter().map(key_view).collect(), next_cursor }))
}

#[utoipa::path(delete, path = "/api/v1/keys/{prefix}", tag = "Access", summary = "Revoke an API key",
    description = "The key stops working at once. The tenant's last live ADMIN key cannot be revoked here (409): create another ADMIN key first (the operator's `custodian keys revoke` can). Audited as `key.revoked`. Scope ADMIN.",
    params(("prefix" = String, Path, description = "The key's public prefix")), security(("ApiKeyAuth" = [])),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such live key in this tenant"),
        (status = 409, description = "The tenant's last ADMIN key")))]
pub async fn revoke_key(State(state): State<AppState>, caller: NativeCaller, Path(prefix): Path<String>) -> Result<StatusCode> {
    let ctx = caller.require(Scope::Admin)?;
    state.services.keys.revoke_by(&ctx, prefix.trim()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A staff-console account (never its password or hash).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaffView {
    pub id: i64,
    #[schema(example = "alice")]
    pub username: String,
    /// `reviewer` or `admin`.
    #[schema(example = "reviewer")]
    pub role: String,
    /// Locked for a while after five wrong passwords in a row.
    pub locked: bool,
    pub created_at: String,
}

pub(crate) fn staff_view(u: &StaffUser, now_ms: i64) -> StaffView {
    StaffView {
        id: u.id,
        username: u.username.clone(),
        role: u.role.as_str().to_owned(),
        locked: u.locked_until_ms.is_some_and(|t| t > now_ms),
        created_at: timestamp(u.created_ms),
    }
}

/// A staff account to create.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaffRequest {
    /// 1 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit (case is folded).
    #[schema(example = "alice")]
    pub username: String,
    /// `reviewer` or `admin`.
    #[schema(example = "reviewer")]
    pub role: String,
    /// At least 12 characters; stored only as an argon2id hash.
    #[schema(example = "correct horse battery staple")]
    pub password: String,
}

impl std::fmt::Debug for StaffRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffRequest").field("username", &self.username).field("role", &self.role).finish_non_exhaustive()
    }
}

/// A page of staff accounts, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaffPage {
    pub items: Vec<StaffView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Parses a staff role as forms and bodies give it.
pub(crate) fn parse_role(raw: &str) -> std::result::Result<StaffRole, ApiError> {
    raw.trim().parse::<StaffRole>().map_err(|m| ApiError::bad_request("role", format!("role: {m}")))
}

#[utoipa::path(post, path = "/api/v1/staff", tag = "Access", summary = "Create a staff-console account",
    description = "The account can sign in to the console at once. The password is checked like the CLI's (at least 12 characters), hashed with argon2id and never shown again or logged. Audited as `staff.created` (username and role). Scope ADMIN.",
    request_body = StaffRequest, security(("ApiKeyAuth" = [])),
    responses((status = 201, body = StaffView), (status = 400, description = "Bad username, role or password"),
        (status = 409, description = "The username is taken in this tenant")))]
pub async fn create_staff(
    State(state): State<AppState>,
    caller: NativeCaller,
    JsonBody(body, ..): JsonBody<StaffRequest, Native>,
) -> Result<(StatusCode, Json<StaffView>)> {
    let ctx = caller.require(Scope::Admin)?;
    let role = parse_role(&body.role)?;
    let user = state.services.staff.create_by(&ctx, &body.username, role, &body.password).await?;
    Ok((StatusCode::CREATED, Json(staff_view(&user, state.services.clock.now_ms()))))
}

#[utoipa::path(get, path = "/api/v1/staff", tag = "Access", summary = "List the staff-console accounts",
    description = "Oldest first; never passwords or their hashes. Scope ADMIN.",
    params(PageQuery), security(("ApiKeyAuth" = [])), responses((status = 200, body = StaffPage)))]
pub async fn list_staff(
    State(state): State<AppState>,
    caller: NativeCaller,
    query: std::result::Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<StaffPage>> {
    let ctx = caller.require(Scope::Admin)?;
    let (after, limit) = page_query(query)?;
    let mut users = state.services.staff.list(ctx.tenant).await?;
    users.sort_by_key(|u| u.id);
    let users: Vec<StaffUser> = users.into_iter().filter(|u| after.is_none_or(|a| u.id > a)).take(limit as usize + 1).collect();
    let (items, next_cursor) = cut_page(users, limit, |u| u.id);
    let now = state.services.clock.now_ms();
    Ok(Json(StaffPage { items: items.iter().map(|u| staff_view(u, now)).collect(), next_cursor }))
}

#[utoipa::path(delete, path = "/api/v1/staff/{username}", tag = "Access", summary = "Delete a staff-console account",
    description = "Every session of the account ends at once and it can no longer sign in; its past decisions stay in the audit trail under its name. Audited as `staff.deleted`. Scope ADMIN.",
    params(("username" = String, Path, description = "The account's username")), security(("ApiKeyAuth" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such account in this tenant")))]
pub async fn delete_staff(
    State(state): State<AppState>,
    caller: NativeCaller,
    Path(username): Path<String>,
) -> Result<StatusCode> {
    let ctx = caller.require(Scope::Admin)?;
    state.services.staff.delete_by(&ctx, &username).await?;
    Ok(StatusCode::NO_CONTENT)
}
