//! Per-domain amendment policies of the caller's tenant.

use super::{NativeAdmin, NativeCaller, Result};
use crate::body::JsonBody;
use crate::domains::AmendmentConfigurationStatus;
use crate::error::{ApiError, Native};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use custodian_domain::{DataDomain, DomainPolicy, PolicySet, Scope};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new().route("/policies", get(get_policies)).route("/policies/{domain}", put(put_policy))
}

/// The policy of one domain.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyView {
    pub status: AmendmentConfigurationStatus,
    /// Payment only: submissions must carry the customer's signature.
    #[serde(default)]
    pub require_signature: bool,
}

fn views(set: &PolicySet) -> BTreeMap<String, PolicyView> {
    DataDomain::ALL
        .into_iter()
        .map(|d| {
            let p = set.get(d);
            (d.as_str().to_owned(), PolicyView { status: p.status.into(), require_signature: p.require_signature })
        })
        .collect()
}

#[utoipa::path(get, path = "/api/v1/policies", tag = "Policies", summary = "The tenant's policies",
    description = "Domain name → policy. Unconfigured domains require verification. Scope STAFF_REVIEW or ADMIN.",
    security(("ApiKeyAuth" = [])), responses((status = 200, body = BTreeMap<String, PolicyView>)))]
pub async fn get_policies(State(state): State<AppState>, caller: NativeCaller) -> Result<Json<BTreeMap<String, PolicyView>>> {
    let ctx = caller.require_any(&[Scope::StaffReview, Scope::Admin])?;
    Ok(Json(views(&state.services.policies.get(&ctx).await?)))
}

#[utoipa::path(put, path = "/api/v1/policies/{domain}", tag = "Policies", summary = "Set a domain's policy",
    description = "Takes effect for the next request; audited. Scope ADMIN.",
    params(("domain" = String, Path, description = "contact, address, master or payment")), request_body = PolicyView,
    security(("ApiKeyAuth" = [])),
    responses((status = 200, body = BTreeMap<String, PolicyView>), (status = 400, description = "Invalid policy"), (status = 404, description = "No such domain")))]
pub async fn put_policy(
    State(state): State<AppState>,
    caller: NativeAdmin,
    Path(domain): Path<String>,
    JsonBody(body, ..): JsonBody<PolicyView, Native>,
) -> Result<Json<BTreeMap<String, PolicyView>>> {
    let ctx = caller.ctx;
    let domain: DataDomain = domain.parse().map_err(|m: String| ApiError::new(StatusCode::NOT_FOUND, "domain.not_found", m))?;
    let policy = DomainPolicy { status: body.status.into(), require_signature: body.require_signature };
    Ok(Json(views(&state.services.policies.set(&ctx, domain, policy).await?)))
}
