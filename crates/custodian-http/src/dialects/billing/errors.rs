//! The billing dialect's error shape. The vendor documents none for this API, so errors are RFC
//! 9457 problem details (`application/problem+json`) with Custodian's stable `code`, the offending
//! request path as `reference`, and the `requestId`.

use crate::error::{ApiError, Dialect, Failure, Native};
use axum::http::StatusCode;
use axum::response::Response;
use custodian_app::billing::BillingError;
use serde::Serialize;
use utoipa::ToSchema;

/// The subscription-billing dialect.
pub struct Billing;

/// Error body of every 4xx/5xx response of the subscription-billing API.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionProblem {
    /// `https://custodian.dev/problems/{code}`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// The HTTP reason phrase.
    #[schema(example = "Bad Request")]
    pub title: String,
    #[schema(example = 400)]
    pub status: u16,
    /// What is wrong, in words.
    #[schema(example = "customer.address.postalCode must be at most 10 characters")]
    pub detail: String,
    /// Stable machine code, e.g. `validation.invalid_field`, `request.id_reused`.
    #[schema(example = "validation.invalid_field")]
    pub code: String,
    /// The path of the offending field or header, e.g. `customer.address.postalCode`.
    pub reference: Option<String>,
    /// The request id (also in the `X-Request-Id` response header).
    pub request_id: Option<String>,
}

impl Dialect for Billing {
    fn render(e: &ApiError) -> Response {
        // The native API's problem details are exactly this shape.
        Native::render(e)
    }
}

impl From<BillingError> for Failure<Billing> {
    fn from(e: BillingError) -> Self {
        match e {
            BillingError::App(app) => app.into(),
            reused @ BillingError::RequestIdReused(_) => {
                ApiError::new(StatusCode::CONFLICT, "request.id_reused", reused.to_string()).with_reference("X-Request-ID").into()
            }
        }
    }
}
