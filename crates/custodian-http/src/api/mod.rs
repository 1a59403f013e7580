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

use crate::auth::{Authorized, Caller, require};
use crate::error::{ApiError, Failure, Native};
use crate::state::AppState;
use axum::Router;
use custodian_app::clock::rfc3339;
use serde::Serialize;
use utoipa::ToSchema;

pub(crate) type NativeCaller = Caller<Native>;
/// A caller with ADMIN, checked before the body is read.
pub(crate) type NativeAdmin = Authorized<Native, require::Admin>;
/// A caller with STAFF_REVIEW, checked before the body is read.
pub(crate) type NativeReviewer = Authorized<Native, require::StaffReview>;
pub(crate) type Result<T> = std::result::Result<T, Failure<Native>>;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(amendments::router())
        .merge(customers::router())
        .merge(policies::router())
        .merge(webhooks::router())
        .merge(consents::router())
        .merge(wealth::router())
        .merge(access::router())
        .merge(privacy::router())
}

/// Page size: 1..=200, default 50.
pub(crate) fn page_limit(limit: Option<i64>) -> std::result::Result<i64, ApiError> {
    match limit {
        None => Ok(50),
        Some(l) if (1..=200).contains(&l) => Ok(l),
        Some(l) => Err(ApiError::bad_request("limit", format!("limit must be between 1 and 200, not {l}"))),
    }
}

/// Cuts a list read with `limit + 1` items to one page: the first `limit` items, and the cursor of
/// the next page (the last item's id) when there was more.
pub(crate) fn cut_page<T>(mut items: Vec<T>, limit: i64, id_of: impl Fn(&T) -> i64) -> (Vec<T>, Option<String>) {
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = if more { items.last().map(|i| id_of(i).to_string()) } else { None };
    (items, next_cursor)
}

/// Parses an opaque cursor (the last id of the previous page).
pub(crate) fn parse_cursor(cursor: Option<&str>) -> std::result::Result<Option<i64>, ApiError> {
    cursor
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<i64>()
                .ok()
                .filter(|v| *v >= 0)
                .ok_or_else(|| ApiError::bad_request("cursor", "cursor is not one this API returned"))
        })
        .transpose()
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
