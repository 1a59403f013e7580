//! Consents of customers to wealth-management service users: grant, list, show and revoke
//! (scope ADMIN; STAFF_REVIEW may read). A service user sees a customer through the OpenWealth
//! dialect only while it holds a live consent for it.

use super::{NativeAdmin, NativeCaller, Result, timestamp};
use crate::body::JsonBody;
use crate::error::{ApiError, Failure, Native};
use crate::params::parse_id;
use crate::params::{cut_page, page_limit, parse_cursor};
use crate::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use custodian_app::AppError;
use custodian_domain::wealth::ServiceUser;
use custodian_domain::{CustomerId, FieldError, Scope};
use custodian_store::StoreError;
use custodian_store::wealth::Consent;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/consents", get(list_consents).post(grant_consent))
        .route("/consents/{id}", get(get_consent).delete(revoke_consent))
}

/// A consent as administrators see it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsentView {
    pub id: i64,
    pub customer_id: i64,
    /// The public prefix of the service user's API key.
    pub service_user: String,
    /// Whether it is live (not revoked).
    pub active: bool,
    pub granted_by: String,
    pub granted_at: String,
    pub revoked_by: Option<String>,
    pub revoked_at: Option<String>,
}

fn view(c: &Consent) -> ConsentView {
    ConsentView {
        id: c.id,
        customer_id: c.customer.0,
        service_user: c.service_user.to_string(),
        active: c.revoked_ms.is_none(),
        granted_by: c.granted_by.to_string(),
        granted_at: timestamp(c.granted_ms),
        revoked_by: c.revoked_by.as_ref().map(ToString::to_string),
        revoked_at: c.revoked_ms.map(timestamp),
    }
}

/// A consent to grant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewConsentBody {
    #[schema(example = 1)]
    pub customer_id: i64,
    /// The public prefix of the service user's API key: the part between `cus_` and the second `_`.
    #[schema(example = "AbCd2345")]
    pub service_user: String,
}

fn conflict(code: &'static str) -> impl Fn(AppError) -> Failure<Native> {
    move |e| match e {
        AppError::Store(StoreError::Conflict(m)) => ApiError::new(StatusCode::CONFLICT, code, m).into(),
        other => other.into(),
    }
}

#[utoipa::path(post, path = "/api/v1/consents", tag = "Consents", summary = "Grant a service user consent",
    description = "Records that the customer consents to the wealth-management service user seeing its data (audited as consent.granted). The customer becomes visible to the service user once it also has a wealth profile. Scope ADMIN.",
    request_body = NewConsentBody, security(("ApiKeyAuth" = [])),
    responses((status = 201, body = ConsentView), (status = 400, description = "Invalid service user"), (status = 404, description = "No such customer"),
        (status = 409, description = "The service user holds a live consent for the customer already")))]
pub async fn grant_consent(
    State(state): State<AppState>,
    caller: NativeAdmin,
    JsonBody(body, ..): JsonBody<NewConsentBody, Native>,
) -> Result<(StatusCode, Json<ConsentView>)> {
    let ctx = caller.ctx;
    let service_user = ServiceUser::parse(&body.service_user).map_err(|m| AppError::from(FieldError::new("serviceUser", m)))?;
    let customer = CustomerId(parse_id(&body.customer_id.to_string(), "customerId")?);
    let c = state.services.wealth.grant_consent(&ctx, customer, service_user).await.map_err(conflict("consent.exists"))?;
    Ok((StatusCode::CREATED, Json(view(&c))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ConsentQuery {
    /// Only consents of this customer.
    pub customer_id: Option<i64>,
    pub cursor: Option<String>,
    /// 1..=200, default 50.
    pub limit: Option<i64>,
}

/// A page of consents, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsentPage {
    pub items: Vec<ConsentView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/consents", tag = "Consents", summary = "List consents",
    description = "Live and revoked consents by id. Scope ADMIN or STAFF_REVIEW.", params(ConsentQuery), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = ConsentPage)))]
pub async fn list_consents(
    State(state): State<AppState>,
    caller: NativeCaller,
    query: std::result::Result<Query<ConsentQuery>, QueryRejection>,
) -> Result<Json<ConsentPage>> {
    let ctx = caller.require_any(&[Scope::Admin, Scope::StaffReview])?;
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "validation.invalid_query", e.body_text()))?;
    let limit = page_limit(q.limit)?;
    let after = parse_cursor(q.cursor.as_deref())?;
    let (items, next_cursor) =
        cut_page(state.services.wealth.consents(&ctx, q.customer_id.map(CustomerId), after, limit + 1).await?, limit, |c| c.id);
    Ok(Json(ConsentPage { items: items.iter().map(view).collect(), next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/consents/{id}", tag = "Consents", summary = "Show a consent",
    description = "Scope ADMIN or STAFF_REVIEW.", params(("id" = i64, Path, description = "Consent id")), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = ConsentView), (status = 404, description = "No such consent")))]
pub async fn get_consent(
    State(state): State<AppState>,
    caller: NativeCaller,
    Path(id): Path<String>,
) -> Result<Json<ConsentView>> {
    let ctx = caller.require_any(&[Scope::Admin, Scope::StaffReview])?;
    Ok(Json(view(&state.services.wealth.consent(&ctx, parse_id(&id, "id")?).await?)))
}

#[utoipa::path(delete, path = "/api/v1/consents/{id}", tag = "Consents", summary = "Revoke a consent",
    description = "The service user no longer sees the customer (audited as consent.revoked; the consent stays listed as revoked). Scope ADMIN.",
    params(("id" = i64, Path, description = "Consent id")), security(("ApiKeyAuth" = [])),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such consent"), (status = 409, description = "Revoked already")))]
pub async fn revoke_consent(State(state): State<AppState>, caller: NativeCaller, Path(id): Path<String>) -> Result<StatusCode> {
    let ctx = caller.require(Scope::Admin)?;
    state.services.wealth.revoke_consent(&ctx, parse_id(&id, "id")?).await.map_err(conflict("consent.revoked"))?;
    Ok(StatusCode::NO_CONTENT)
}
