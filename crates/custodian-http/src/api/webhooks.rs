//! Webhook subscriptions of the caller's tenant (scope ADMIN): create, list, change (including
//! secret rotation and re-enabling), delete, deliveries, replay and test-send.

use super::{NativeAdmin, NativeCaller, Result, timestamp};
use crate::body::JsonBody;
use crate::error::{ApiError, Native};
use crate::params::parse_id;
use crate::params::{cut_page, page_limit, parse_cursor};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use custodian_app::SubscriptionInput;
use custodian_domain::Scope;
use custodian_store::webhooks::{Delivery, DeliveryStatus, Subscription};
use custodian_webhooks::SendResult;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(list_subscriptions).post(create_subscription))
        .route("/webhooks/{id}", get(get_subscription).patch(update_subscription).delete(delete_subscription))
        .route("/webhooks/{id}/deliveries", get(list_deliveries))
        .route("/webhooks/{id}/replay-failed", post(replay_failed))
        .route("/webhooks/{id}/test", post(test_subscription))
        .route("/webhook-deliveries/{id}/replay", post(replay_delivery))
}

/// A webhook subscription. `secret` (and `vendorKey`) appear only when created or rotated.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionView {
    pub id: i64,
    pub url: String,
    /// Delivered event types; empty means all.
    pub event_types: Vec<String>,
    /// `standard` (Standard Webhooks) or `vendor` (the gym vendor's format).
    pub format: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub consecutive_failures: i64,
    pub created_at: String,
    pub updated_at: String,
    /// The `whsec_` signing secret (Standard Webhooks format).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Until when the previous secret also signs (after a rotation).
    pub previous_secret_valid_until: Option<String>,
    /// The `x-api-key` sent with vendor-format deliveries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_key: Option<String>,
}

fn view(s: &Subscription, reveal: bool) -> SubscriptionView {
    SubscriptionView {
        id: s.id,
        url: s.url.clone(),
        event_types: s.event_types.clone(),
        format: s.format.as_str().to_owned(),
        enabled: s.enabled,
        disabled_reason: s.disabled_reason.clone(),
        consecutive_failures: s.consecutive_failures,
        created_at: timestamp(s.created_ms),
        updated_at: timestamp(s.updated_ms),
        secret: reveal.then(|| s.secret.clone()),
        previous_secret_valid_until: s.previous_secret_until_ms.map(timestamp),
        vendor_key: if reveal { s.vendor_key.clone() } else { None },
    }
}

/// Fields to create a subscription with, or to change (absent fields stay as they are).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionRequest {
    /// https URL (plain http only to hosts the operator allowed).
    #[schema(example = "https://partner.example.com/hooks/custodian")]
    pub url: Option<String>,
    /// Event types to deliver; empty or absent means all.
    #[schema(example = json!(["amendment.approved", "customer.updated"]))]
    pub event_types: Option<Vec<String>>,
    /// `standard` (default) or `vendor`; fixed after creation.
    pub format: Option<String>,
    /// Vendor format: the `x-api-key` to send (generated when absent).
    pub vendor_key: Option<String>,
    /// Disable, or re-enable (which clears the run of failures).
    pub enabled: Option<bool>,
    /// Issue a new secret; the old one keeps signing for 24 hours.
    #[serde(default)]
    pub rotate_secret: bool,
}

impl From<SubscriptionRequest> for SubscriptionInput {
    fn from(r: SubscriptionRequest) -> Self {
        SubscriptionInput {
            url: r.url,
            event_types: r.event_types,
            format: r.format,
            vendor_key: r.vendor_key,
            enabled: r.enabled,
            rotate_secret: r.rotate_secret,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/webhooks", tag = "Webhooks", summary = "Create a subscription",
    description = "The response carries the signing secret (and vendor key) once. Scope ADMIN.",
    request_body = SubscriptionRequest, security(("ApiKeyAuth" = [])),
    responses((status = 201, body = SubscriptionView), (status = 400, description = "Invalid or forbidden URL, unknown event type")))]
pub async fn create_subscription(
    State(state): State<AppState>,
    caller: NativeAdmin,
    JsonBody(body, ..): JsonBody<SubscriptionRequest, Native>,
) -> Result<(StatusCode, Json<SubscriptionView>)> {
    let ctx = caller.ctx;
    let s = state.services.webhooks.create(&ctx, body.into()).await?;
    Ok((StatusCode::CREATED, Json(view(&s, true))))
}

/// A page of webhook subscriptions, by id.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionPage {
    pub items: Vec<SubscriptionView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "Webhooks", summary = "List subscriptions",
    description = "By id, paged like every native list. Scope ADMIN.", params(super::customers::PageQuery),
    security(("ApiKeyAuth" = [])), responses((status = 200, body = SubscriptionPage)))]
pub async fn list_subscriptions(
    State(state): State<AppState>,
    caller: NativeCaller,
    query: std::result::Result<Query<super::customers::PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SubscriptionPage>> {
    let ctx = caller.require(Scope::Admin)?;
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "validation.invalid_query", e.body_text()))?;
    let (after, limit) = (parse_cursor(q.cursor.as_deref())?.unwrap_or(0), page_limit(q.limit)?);
    // A tenant has a handful of subscriptions: they are read whole and cut here.
    let mut all = state.services.webhooks.list(&ctx).await?;
    all.retain(|s| s.id > after);
    all.sort_by_key(|s| s.id);
    all.truncate(limit as usize + 1);
    let (items, next_cursor) = cut_page(all, limit, |s| s.id);
    Ok(Json(SubscriptionPage { items: items.iter().map(|s| view(s, false)).collect(), next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "Webhooks", summary = "Show a subscription",
    description = "Scope ADMIN.", params(("id" = i64, Path, description = "Subscription id")), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = SubscriptionView), (status = 404, description = "No such subscription")))]
pub async fn get_subscription(
    State(state): State<AppState>,
    caller: NativeCaller,
    Path(id): Path<String>,
) -> Result<Json<SubscriptionView>> {
    let ctx = caller.require(Scope::Admin)?;
    Ok(Json(view(&state.services.webhooks.get(&ctx, parse_id(&id, "id")?).await?, false)))
}

#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "Webhooks", summary = "Change a subscription",
    description = "Change the URL or event types, disable or re-enable, or rotate the secret (`rotateSecret: true`; the response then carries the new secret). Scope ADMIN.",
    params(("id" = i64, Path, description = "Subscription id")), request_body = SubscriptionRequest, security(("ApiKeyAuth" = [])),
    responses((status = 200, body = SubscriptionView), (status = 400, description = "Invalid change"), (status = 404, description = "No such subscription")))]
pub async fn update_subscription(
    State(state): State<AppState>,
    caller: NativeAdmin,
    Path(id): Path<String>,
    JsonBody(body, ..): JsonBody<SubscriptionRequest, Native>,
) -> Result<Json<SubscriptionView>> {
    let ctx = caller.ctx;
    let rotated = body.rotate_secret;
    let s = state.services.webhooks.update(&ctx, parse_id(&id, "id")?, body.into()).await?;
    Ok(Json(view(&s, rotated)))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "Webhooks", summary = "Delete a subscription",
    description = "Deletes the subscription and its deliveries. Scope ADMIN.", params(("id" = i64, Path, description = "Subscription id")),
    security(("ApiKeyAuth" = [])), responses((status = 204, description = "Deleted"), (status = 404, description = "No such subscription")))]
pub async fn delete_subscription(
    State(state): State<AppState>,
    caller: NativeCaller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let ctx = caller.require(Scope::Admin)?;
    state.services.webhooks.delete(&ctx, parse_id(&id, "id")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One delivery of one event to one subscription.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    pub id: i64,
    pub event_id: i64,
    pub event_type: String,
    pub customer_id: i64,
    /// The event's per-customer sequence number.
    pub sequence: i64,
    /// `pending`, `delivering`, `succeeded` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
    pub last_response_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

impl From<&Delivery> for DeliveryView {
    fn from(d: &Delivery) -> Self {
        DeliveryView {
            id: d.id,
            event_id: d.event_id,
            event_type: d.event_type.clone(),
            customer_id: d.customer_id,
            sequence: d.seq,
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            next_attempt_at: (d.status == DeliveryStatus::Pending).then(|| timestamp(d.next_attempt_ms)),
            last_response_code: d.last_status_code,
            last_error: d.last_error.clone(),
            created_at: timestamp(d.created_ms),
            delivered_at: d.delivered_ms.map(timestamp),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// `pending`, `delivering`, `succeeded` or `failed`.
    pub status: Option<String>,
    pub cursor: Option<String>,
    /// 1..=200, default 50.
    pub limit: Option<i64>,
}

/// A page of deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "Webhooks", summary = "List deliveries",
    description = "Newest first, with status, attempts and the last response code. Scope ADMIN.",
    params(("id" = i64, Path, description = "Subscription id"), DeliveryQuery), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = DeliveryPage), (status = 404, description = "No such subscription")))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    caller: NativeCaller,
    Path(id): Path<String>,
    query: std::result::Result<Query<DeliveryQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<DeliveryPage>> {
    let ctx = caller.require(Scope::Admin)?;
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "validation.invalid_query", e.body_text()))?;
    let status =
        q.status.as_deref().map(str::parse::<DeliveryStatus>).transpose().map_err(|m| ApiError::bad_request("status", m))?;
    let limit = page_limit(q.limit)?;
    let before = parse_cursor(q.cursor.as_deref())?;
    let (items, next_cursor) =
        cut_page(state.services.webhooks.deliveries(&ctx, parse_id(&id, "id")?, status, before, limit + 1).await?, limit, |d| {
            d.id
        });
    Ok(Json(DeliveryPage { items: items.iter().map(DeliveryView::from).collect(), next_cursor }))
}

#[utoipa::path(post, path = "/api/v1/webhook-deliveries/{id}/replay", tag = "Webhooks", summary = "Replay one delivery",
    description = "Makes the delivery due again now; its attempts start over. Scope ADMIN.",
    params(("id" = i64, Path, description = "Delivery id")), security(("ApiKeyAuth" = [])),
    responses((status = 202, description = "Queued"), (status = 404, description = "No such delivery"), (status = 409, description = "Being sent right now")))]
pub async fn replay_delivery(State(state): State<AppState>, caller: NativeCaller, Path(id): Path<String>) -> Result<StatusCode> {
    let ctx = caller.require(Scope::Admin)?;
    state.services.webhooks.replay(&ctx, parse_id(&id, "id")?).await?;
    Ok(StatusCode::ACCEPTED)
}

/// How many failed deliveries were queued again.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayResult {
    pub replayed: i64,
}

#[utoipa::path(post, path = "/api/v1/webhooks/{id}/replay-failed", tag = "Webhooks", summary = "Replay all failed deliveries",
    description = "Scope ADMIN.", params(("id" = i64, Path, description = "Subscription id")), security(("ApiKeyAuth" = [])),
    responses((status = 202, body = ReplayResult), (status = 404, description = "No such subscription")))]
pub async fn replay_failed(
    State(state): State<AppState>,
    caller: NativeCaller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<ReplayResult>)> {
    let ctx = caller.require(Scope::Admin)?;
    let replayed = state.services.webhooks.replay_failed(&ctx, parse_id(&id, "id")?).await?;
    Ok((StatusCode::ACCEPTED, Json(ReplayResult { replayed })))
}

/// What the endpoint answered to a test event.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestResult {
    pub delivered: bool,
    pub response_code: Option<u16>,
    pub error: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "Webhooks", summary = "Send a test event",
    description = "Sends a `webhook.test` event now, signed like every delivery, and reports the answer. Scope ADMIN.",
    params(("id" = i64, Path, description = "Subscription id")), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = TestResult), (status = 404, description = "No such subscription")))]
pub async fn test_subscription(
    State(state): State<AppState>,
    caller: NativeCaller,
    Path(id): Path<String>,
) -> Result<Json<TestResult>> {
    let ctx = caller.require(Scope::Admin)?;
    let r = state.services.webhooks.send_test(&ctx, parse_id(&id, "id")?).await?;
    Ok(Json(match r {
        SendResult::Answered { status, .. } => {
            TestResult { delivered: (200..300).contains(&status), response_code: Some(status), error: None }
        }
        SendResult::NoAnswer { error, .. } => TestResult { delivered: false, response_code: None, error: Some(error) },
    }))
}
