//! Custodian's native API under `/api/v1/`: the staff review queue, customers and their audit
//! trail, and per-domain policies. Errors are `application/problem+json`.

pub mod access;
pub mod amendments;
pub mod consents;
pub mod customers;
pub mod policies;
pub mod privacy;
pub mod wealth;
pub mod webhooks;

use crate::auth::{Authorized, Caller, head_checks_key_only, require};
use crate::error::{ApiError, Failure, Native};
use crate::state::AppState;
use axum::Router;
use axum::extract::OriginalUri;
use axum::http::Method;
use axum::middleware;
use custodian_app::clock::rfc3339;
use serde::Serialize;
use utoipa::ToSchema;

pub(crate) type NativeCaller = Caller<Native>;
/// A caller with ADMIN, checked before the body is read.
pub(crate) type NativeAdmin = Authorized<Native, require::Admin>;
/// A caller with STAFF_REVIEW, checked before the body is read.
pub(crate) type NativeReviewer = Authorized<Native, require::StaffReview>;
pub(crate) type Result<T> = std::result::Result<T, Failure<Native>>;

/// The native API under `/api/v1`, with its own rules on all of its routes: HEAD checks only the
/// key, and unknown paths are problem+json 404s.
pub fn router(state: &AppState) -> Router<AppState> {
    let api = Router::new()
        .merge(amendments::router())
        .merge(customers::router())
        .merge(policies::router())
        .merge(webhooks::router())
        .merge(consents::router())
        .merge(wealth::router())
        .merge(access::router())
        .merge(privacy::router())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), head_checks_key_only::<Native>));
    Router::new().nest("/api/v1", api)
}

/// 404 for an unknown path under `/api/v1/`.
async fn not_found(method: Method, OriginalUri(uri): OriginalUri) -> Failure<Native> {
    ApiError::no_route(format!("no route for {method} {}", uri.path())).into()
}

/// One field's value before and after a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldChangeView {
    pub field: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl From<&custodian_domain::FieldChange> for FieldChangeView {
    fn from(c: &custodian_domain::FieldChange) -> Self {
        FieldChangeView { field: c.field.clone(), before: c.before.clone(), after: c.after.clone() }
    }
}

/// An IBAN value as a caller without ADMIN sees it: country and last four characters.
pub(crate) fn masked_iban(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::String(s) => {
            custodian_domain::values::Iban::parse(s).map(|i| i.masked()).unwrap_or_else(|_| "****".into()).into()
        }
        other => other.clone(),
    }
}

/// Masks the `iban` member of a domain's JSON (payment data) in place.
pub(crate) fn mask_iban_in(data: &mut serde_json::Value) {
    if let Some(iban) = data.get_mut("iban") {
        *iban = masked_iban(iban);
    }
}

pub(crate) fn timestamp(ms: i64) -> String {
    rfc3339(ms)
}
