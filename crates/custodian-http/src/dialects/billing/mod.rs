//! The subscription-billing customers API of an accounting-as-a-service vendor: read, create-or-
//! update (upsert) and update a customer by the merchant's customer number under
//! `/subscriptions/{version}/customers`, authenticated with `X-Subscription-Key` (Custodian's API
//! keys), errors as problem details. Writes are operator writes: they apply directly.

pub mod dto;
pub mod errors;

pub use errors::Billing;

use crate::body::JsonBody;
use crate::error::{ApiError, Failure};
use crate::state::AppState;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use custodian_app::{AppError, Context, Principal};
use custodian_domain::Scope;
use custodian_domain::billing::CustomerNumber;
use dto::*;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};

type Result<T> = std::result::Result<T, Failure<Billing>>;

/// The header carrying the API key in this dialect.
pub const SUBSCRIPTION_KEY: &str = "x-subscription-key";

pub fn router() -> Router<AppState> {
    Router::new().route("/subscriptions/{version}/customers", post(create_or_update_customer).fallback(method_not_allowed)).route(
        "/subscriptions/{version}/customers/{customerNumber}",
        get(get_customer).put(update_customer).fallback(method_not_allowed),
    )
}

async fn method_not_allowed() -> Failure<Billing> {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "route.method_not_allowed", "this method is not allowed on this path").into()
}

/// Only `v1` exists.
fn check_version(version: &str) -> std::result::Result<(), ApiError> {
    if version == "v1" { Ok(()) } else { Err(ApiError::no_route(format!("unknown API version {version:?}: use v1"))) }
}

/// A caller authenticated by `X-Subscription-Key` against Custodian's API keys.
pub struct SubscriptionCaller {
    principal: Principal,
    request_id: Option<String>,
}

impl SubscriptionCaller {
    /// The caller must hold one of `scopes`; otherwise 403.
    fn require_any(&self, scopes: &[Scope]) -> Result<Context> {
        if scopes.iter().any(|s| self.principal.has(*s)) {
            return Ok(Context {
                tenant: self.principal.tenant,
                actor: self.principal.actor(),
                request_id: self.request_id.clone(),
            });
        }
        let names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        Err(ApiError::missing_scope(format!(
            "the subscription key lacks the privilege for this operation: requires scope {}",
            names.join(" or ")
        ))
        .into())
    }
}

impl FromRequestParts<AppState> for SubscriptionCaller {
    type Rejection = Failure<Billing>;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let unauthenticated = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "auth.unauthenticated",
                "Authentication failed. No subscription key, wrong subscription key or wrong header name (X-Subscription-Key).",
            )
        };
        let key = parts.headers.get(SUBSCRIPTION_KEY).and_then(|v| v.to_str().ok()).ok_or_else(unauthenticated)?;
        let principal = state.services.keys.authenticate(key).await?.ok_or_else(unauthenticated)?;
        crate::access_log::note_tenant(principal.tenant);
        let request_id = parts.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(SubscriptionCaller { principal, request_id })
    }
}

/// A caller authenticated by `X-Subscription-Key` that holds ADMIN, checked before the body is
/// read: without the scope any body gets 403.
pub struct SubscriptionAdmin {
    ctx: Context,
}

impl FromRequestParts<AppState> for SubscriptionAdmin {
    type Rejection = Failure<Billing>;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let caller = SubscriptionCaller::from_request_parts(parts, state).await?;
        Ok(SubscriptionAdmin { ctx: caller.require_any(&[Scope::Admin])? })
    }
}

/// Adds the `X-Subscription-Key` security scheme to the OpenAPI document.
pub struct SubscriptionKeyScheme;

impl utoipa::Modify for SubscriptionKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.components.get_or_insert_with(Default::default).add_security_scheme(
            "SubscriptionKeyAuth",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Subscription-Key",
                "A Custodian API key (the same keys as X-API-KEY). Reads need CUSTOMER_SELF_SERVICE_READ or ADMIN, writes ADMIN.",
            ))),
        );
    }
}

#[utoipa::path(get, path = "/subscriptions/{version}/customers/{customerNumber}", tag = "Subscription billing",
    operation_id = "getSubscriptionCustomer", summary = "Get customer information",
    description = "The customer with this customer number: names and birth date from its master data, e-mail and phones from its contact data, the address, and the billing-only fields. Required scope: CUSTOMER_SELF_SERVICE_READ or ADMIN.",
    params(("version" = String, Path, description = "API version: v1"), ("customerNumber" = String, Path, description = "The merchant's customer number")),
    security(("SubscriptionKeyAuth" = [])),
    responses((status = 200, body = SubscriptionCustomerResponse), (status = 401, body = errors::SubscriptionProblem),
        (status = 403, body = errors::SubscriptionProblem), (status = 404, body = errors::SubscriptionProblem)))]
pub async fn get_customer(
    State(state): State<AppState>,
    caller: SubscriptionCaller,
    Path((version, number)): Path<(String, String)>,
) -> Result<Json<SubscriptionCustomerResponse>> {
    check_version(&version)?;
    let ctx = caller.require_any(&[Scope::SelfServiceRead, Scope::Admin])?;
    let view = state.services.billing.get(&ctx, &number).await?;
    Ok(Json((&view).into()))
}

#[utoipa::path(post, path = "/subscriptions/{version}/customers", tag = "Subscription billing",
    operation_id = "createSubscriptionCustomer", summary = "Create a customer (or update it when its number exists)",
    description = "Creates the customer with `customer.customerNumber`, or updates it when that number exists (upsert). `paymentRegistration.id` is required when the customer is created. Applies directly, audited, announced as `customer.created` / `customer.updated` events. A request repeated with the same `X-Request-ID` answers the first result; the same id with other content is 409. Required scope: ADMIN.",
    params(("version" = String, Path, description = "API version: v1"),
        ("X-Request-ID" = Option<String>, Header, description = "Makes the request idempotent per tenant (at most 200 characters).")),
    request_body = SubscriptionCustomerRequest, security(("SubscriptionKeyAuth" = [])),
    responses((status = 200, body = SubscriptionSignUpResponse), (status = 400, body = errors::SubscriptionProblem),
        (status = 401, body = errors::SubscriptionProblem), (status = 403, body = errors::SubscriptionProblem),
        (status = 404, body = errors::SubscriptionProblem), (status = 409, body = errors::SubscriptionProblem)))]
pub async fn create_or_update_customer(
    State(state): State<AppState>,
    caller: SubscriptionAdmin,
    Path(version): Path<String>,
    JsonBody(body, ..): JsonBody<SubscriptionCustomerRequest, Billing>,
) -> Result<Json<SubscriptionSignUpResponse>> {
    check_version(&version)?;
    let ctx = caller.ctx;
    let customer = body.parse(state.services.clock.today()).map_err(AppError::from)?;
    let outcome = state.services.billing.upsert(&ctx, customer).await?;
    Ok(Json((&outcome.receipt).into()))
}

#[utoipa::path(put, path = "/subscriptions/{version}/customers/{customerNumber}", tag = "Subscription billing",
    operation_id = "updateSubscriptionCustomer", summary = "Update customer information",
    description = "Updates the customer with this number (404 when there is none) with the same body as a create; `customer.customerNumber`, when given, must match the path. Without `paymentRegistration` the current one is kept. Only data that changes is written; a self-service amendment pending on a changed domain is then flagged to its reviewer as made against older data. Required scope: ADMIN.",
    params(("version" = String, Path, description = "API version: v1"), ("customerNumber" = String, Path, description = "The merchant's customer number"),
        ("X-Request-ID" = Option<String>, Header, description = "Makes the request idempotent per tenant (at most 200 characters).")),
    request_body = SubscriptionCustomerRequest, security(("SubscriptionKeyAuth" = [])),
    responses((status = 200, body = SubscriptionSignUpResponse), (status = 400, body = errors::SubscriptionProblem),
        (status = 401, body = errors::SubscriptionProblem), (status = 403, body = errors::SubscriptionProblem),
        (status = 404, body = errors::SubscriptionProblem), (status = 409, body = errors::SubscriptionProblem)))]
pub async fn update_customer(
    State(state): State<AppState>,
    caller: SubscriptionAdmin,
    Path((version, number)): Path<(String, String)>,
    JsonBody(mut body, ..): JsonBody<SubscriptionCustomerRequest, Billing>,
) -> Result<Json<SubscriptionSignUpResponse>> {
    check_version(&version)?;
    let ctx = caller.ctx;
    if CustomerNumber::parse(&number).is_err() {
        return Err(AppError::NotFound("customer").into());
    }
    if body.customer.customer_number.as_deref().is_none_or(|n| n.trim().is_empty()) {
        body.customer.customer_number = Some(number.clone());
    }
    let customer = body.parse(state.services.clock.today()).map_err(AppError::from)?;
    let outcome = state.services.billing.update(&ctx, &number, customer).await?;
    Ok(Json((&outcome.receipt).into()))
}
