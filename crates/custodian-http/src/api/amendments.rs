//! The staff review queue: list, show with a field-by-field comparison, approve, reject, and the
//! sanitised signature image.

use super::{FieldChangeView, NativeCaller, NativeReviewer, Result, timestamp};
use crate::body::JsonBody;
use crate::error::{ApiError, Native};
use crate::idempotency::ConcernsCustomer;
use crate::params::parse_id;
use crate::params::{cut_page, page_limit, parse_cursor};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use custodian_domain::{Amendment, AmendmentId, AmendmentState, CustomerId, DataDomain, Scope};
use custodian_store::AmendmentQuery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/amendments", get(list_amendments))
        .route("/amendments/{id}", get(get_amendment))
        .route("/amendments/{id}/approve", post(approve_amendment))
        .route("/amendments/{id}/reject", post(reject_amendment))
        .route("/amendments/{id}/signature", get(get_signature))
}

/// An amendment as staff see it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AmendmentView {
    pub id: i64,
    pub customer_id: i64,
    /// `contact`, `address`, `master` or `payment`.
    pub domain: String,
    /// `pending`, `approved`, `rejected`, `withdrawn` or `applied`.
    pub state: String,
    /// The proposed data of the domain (camelCase fields as in the self-service API).
    pub proposed: serde_json::Value,
    pub has_signature: bool,
    /// The domain data version the amendment was made against.
    pub base_version: i64,
    pub submitted_by: String,
    pub submitted_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub rejection_reason: Option<String>,
}

/// Whether a proposed IBAN shows in full: always to ADMIN; to reviewers only while the amendment
/// waits for their decision (they must check it against the account holder).
fn proposed_iban_in_full(a: &Amendment, admin: bool) -> bool {
    admin || a.state == AmendmentState::Pending
}

impl AmendmentView {
    /// The amendment as a caller sees it; `admin` callers see IBANs in full.
    pub fn new(a: &Amendment, admin: bool) -> Self {
        let mut proposed = a.proposed.to_json();
        if !proposed_iban_in_full(a, admin) {
            super::mask_iban_in(&mut proposed);
        }
        AmendmentView {
            id: a.id.0,
            customer_id: a.customer_id.0,
            domain: a.domain.as_str().to_owned(),
            state: a.state.as_str().to_owned(),
            proposed,
            has_signature: a.signature.is_some(),
            base_version: a.base_version,
            submitted_by: a.submitted_by.to_string(),
            submitted_at: timestamp(a.submitted_at_ms),
            decided_by: a.decided_by.as_ref().map(ToString::to_string),
            decided_at: a.decided_at_ms.map(timestamp),
            rejection_reason: a.rejection_reason.clone(),
        }
    }
}

/// A page of amendments, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AmendmentPage {
    pub items: Vec<AmendmentView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct QueueQuery {
    /// `pending` (default), `approved`, `rejected`, `withdrawn`, `applied` or `any`.
    pub state: Option<String>,
    /// `contact`, `address`, `master` or `payment`.
    pub domain: Option<String>,
    pub customer_id: Option<i64>,
    pub cursor: Option<String>,
    /// 1..=200, default 50.
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/amendments", tag = "Review", summary = "List the review queue",
    description = "Amendments of the tenant, oldest first; by default the pending ones. Scope STAFF_REVIEW.",
    params(QueueQuery), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = AmendmentPage), (status = 400, description = "Bad filter"), (status = 401, description = "No valid key"), (status = 403, description = "Missing scope")))]
pub async fn list_amendments(
    State(state): State<AppState>,
    caller: NativeCaller,
    query: std::result::Result<Query<QueueQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AmendmentPage>> {
    let ctx = caller.require(Scope::StaffReview)?;
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "validation.invalid_query", e.body_text()))?;
    let limit = page_limit(q.limit)?;
    let state_filter = match q.state.as_deref() {
        None => Some(AmendmentState::Pending),
        Some("any") => None,
        Some(s) => Some(s.parse::<AmendmentState>().map_err(|m| ApiError::bad_request("state", m))?),
    };
    let domain = q.domain.as_deref().map(str::parse::<DataDomain>).transpose().map_err(|m| ApiError::bad_request("domain", m))?;
    let query = AmendmentQuery {
        domain,
        state: state_filter,
        customer: q.customer_id.map(CustomerId),
        after: parse_cursor(q.cursor.as_deref())?.map(AmendmentId),
        limit: limit + 1,
    };
    let (items, next_cursor) = cut_page(state.services.amendments.list(&ctx, &query).await?, limit, |a| a.id.0);
    let admin = caller.principal.has(Scope::Admin);
    Ok(Json(AmendmentPage { items: items.iter().map(|a| AmendmentView::new(a, admin)).collect(), next_cursor }))
}

/// An amendment with the customer's current data of its domain and what would change.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewResponse {
    pub amendment: AmendmentView,
    /// The customer's current data of the domain (absent when there is none yet).
    pub current: Option<serde_json::Value>,
    pub current_version: i64,
    /// Current → proposed, for every field that differs.
    pub changes: Vec<FieldChangeView>,
    /// True when the customer's data of this domain changed after the amendment was submitted.
    pub data_changed_since_submission: bool,
}

#[utoipa::path(get, path = "/api/v1/amendments/{id}", tag = "Review", summary = "Show one amendment",
    description = "Field-by-field before/after against the customer's current data, and a flag when that data changed since submission. Scope STAFF_REVIEW.",
    params(("id" = i64, Path, description = "Amendment id")), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = ReviewResponse), (status = 404, description = "No such amendment for this tenant")))]
pub async fn get_amendment(
    State(state): State<AppState>,
    caller: NativeCaller,
    Path(id): Path<String>,
) -> Result<Json<ReviewResponse>> {
    let ctx = caller.require(Scope::StaffReview)?;
    let id = AmendmentId(parse_id(&id, "id")?);
    let v = state.services.amendments.review(&ctx, id).await?;
    let admin = caller.principal.has(Scope::Admin);
    // The customer's current IBAN is never shown in full to reviewers; the proposed one while
    // pending (see `proposed_iban_in_full`).
    let mut current = v.current.as_ref().map(|d| d.to_json());
    if let (Some(current), false) = (current.as_mut(), admin) {
        super::mask_iban_in(current);
    }
    let proposed_in_full = proposed_iban_in_full(&v.amendment, admin);
    let changes = v
        .changes
        .iter()
        .map(|c| {
            let mut view = FieldChangeView::from(c);
            if c.field == "iban" {
                if !admin {
                    view.before = view.before.as_ref().map(super::masked_iban);
                }
                if !proposed_in_full {
                    view.after = view.after.as_ref().map(super::masked_iban);
                }
            }
            view
        })
        .collect();
    Ok(Json(ReviewResponse {
        amendment: AmendmentView::new(&v.amendment, admin),
        current,
        current_version: v.current_version,
        changes,
        data_changed_since_submission: v.data_changed_since_submission,
    }))
}

#[utoipa::path(post, path = "/api/v1/amendments/{id}/approve", tag = "Review", summary = "Approve an amendment",
    description = "Applies the proposed data in the same transaction. 409 when the amendment is no longer pending. Scope STAFF_REVIEW.",
    params(("id" = i64, Path, description = "Amendment id")), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = AmendmentView), (status = 404, description = "No such amendment"), (status = 409, description = "Not pending")))]
pub async fn approve_amendment(
    State(state): State<AppState>,
    caller: NativeCaller,
    Path(id): Path<String>,
) -> Result<(Extension<ConcernsCustomer>, Json<AmendmentView>)> {
    let ctx = caller.require(Scope::StaffReview)?;
    let id = AmendmentId(parse_id(&id, "id")?);
    let a = state.services.amendments.approve(&ctx, id).await?;
    Ok((Extension(ConcernsCustomer(a.customer_id)), Json(AmendmentView::new(&a, caller.principal.has(Scope::Admin)))))
}

/// Why the amendment is rejected; shown to the customer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RejectRequest {
    #[schema(example = "The IBAN does not belong to the account holder.")]
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/amendments/{id}/reject", tag = "Review", summary = "Reject an amendment",
    description = "A reason is required. 409 when the amendment is no longer pending. Scope STAFF_REVIEW.",
    params(("id" = i64, Path, description = "Amendment id")), request_body = RejectRequest, security(("ApiKeyAuth" = [])),
    responses((status = 200, body = AmendmentView), (status = 400, description = "No reason"), (status = 404, description = "No such amendment"), (status = 409, description = "Not pending")))]
pub async fn reject_amendment(
    State(state): State<AppState>,
    caller: NativeReviewer,
    Path(id): Path<String>,
    JsonBody(body, ..): JsonBody<RejectRequest, Native>,
) -> Result<(Extension<ConcernsCustomer>, Json<AmendmentView>)> {
    let ctx = caller.ctx;
    let id = AmendmentId(parse_id(&id, "id")?);
    let a = state.services.amendments.reject(&ctx, id, &body.reason).await?;
    Ok((Extension(ConcernsCustomer(a.customer_id)), Json(AmendmentView::new(&a, caller.principal.has(Scope::Admin)))))
}

#[utoipa::path(get, path = "/api/v1/amendments/{id}/signature", tag = "Review", summary = "The customer's signature",
    description = "The sanitised SVG as `image/svg+xml`, served with a sandboxing Content-Security-Policy. Scope STAFF_REVIEW.",
    params(("id" = i64, Path, description = "Amendment id")), security(("ApiKeyAuth" = [])),
    responses((status = 200, description = "SVG image", content_type = "image/svg+xml"), (status = 404, description = "No such amendment or no signature")))]
pub async fn get_signature(State(state): State<AppState>, caller: NativeCaller, Path(id): Path<String>) -> Result<Response> {
    let ctx = caller.require(Scope::StaffReview)?;
    let id = AmendmentId(parse_id(&id, "id")?);
    let a = state.services.amendments.get(&ctx, id, None).await?;
    let svg = a
        .signature
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "signature.not_found", "this amendment has no signature"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; sandbox"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        svg.as_str().to_owned(),
    )
        .into_response())
}
