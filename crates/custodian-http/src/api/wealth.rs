//! Wealth-management data in the native API: a customer's wealth profile (status, KYC record and
//! primary person) and the persons related to it, in the OpenWealth shapes. Scope ADMIN to
//! change, STAFF_REVIEW or ADMIN to read.

use super::{NativeAdmin, NativeCaller, Result};
use crate::body::JsonBody;
use crate::error::{ApiError, Native};
use crate::params::parse_id;
use crate::state::AppState;
use crate::wealth_shapes::{self as dto, parse_wire, person_dto};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{post, put};
use axum::{Json, Router};
use custodian_app::AppError;
use custodian_app::wealth::{Audience, ProfileInput, RelatedPerson, WealthCustomer};
use custodian_domain::wealth::{CustomerStatus, Kyc, PersonId, PersonInput, PersonRelation, WealthProfile};
use custodian_domain::{CustomerId, FieldError, Scope};
use custodian_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/customers/{id}/wealth-profile", put(save_wealth_profile).get(get_wealth_profile))
        .route("/customers/{id}/persons", post(relate_person))
}

/// A customer's wealth profile: the contract data, the KYC record and the primary person.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WealthProfileBody {
    #[schema(schema_with = dto::customer_status)]
    pub status: CustomerStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "123-456-787")]
    pub external_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70, example = "Steve Rogers")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "[A-Z]{3}", example = "CHF")]
    pub reference_currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Date, example = "2018-04-13")]
    pub opening_date: Option<String>,
    /// The primary person's relation to the customer; `accountOwner` when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = dto::person_relation)]
    pub person_relation: Option<PersonRelation>,
    /// A natural person's names, gender and birth date are the customer's master data: given
    /// here, they are written there (completing what master data lacks is required).
    pub primary_person: dto::Person,
    #[serde(default)]
    pub kyc: dto::Kyc,
}

/// A customer's wealth profile as the native API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WealthProfileView {
    pub customer: dto::Customer,
    pub kyc: dto::Kyc,
    pub primary_person: dto::Person,
}

async fn profile_view(state: &AppState, ctx: &custodian_app::Context, wc: WealthCustomer) -> Result<Json<WealthProfileView>> {
    let primary = state.services.wealth.person(ctx, &Audience::Staff, wc.profile.primary_person).await?;
    Ok(Json(WealthProfileView {
        customer: dto::customer_dto(&wc),
        kyc: dto::wire(&wc.profile.kyc),
        primary_person: person_dto(&primary),
    }))
}

fn no_profile(e: AppError, id: i64) -> crate::error::Failure<Native> {
    match e {
        AppError::NotFound("wealth_profile") => ApiError::new(
            StatusCode::NOT_FOUND,
            "wealth_profile.not_found",
            format!("customer {id} has no wealth profile; create it with PUT /api/v1/customers/{id}/wealth-profile"),
        )
        .into(),
        AppError::Store(StoreError::Conflict(m)) => ApiError::new(StatusCode::CONFLICT, "person.already_related", m).into(),
        other => other.into(),
    }
}

#[utoipa::path(put, path = "/api/v1/customers/{id}/wealth-profile", tag = "Wealth management (native)", summary = "Create or replace a wealth profile",
    description = "Makes the customer a wealth-management customer (or replaces its profile): contract data, KYC record and primary person. The primary person's names, gender and birth date are written to the customer's master data in the same transaction (audited as customer.updated). Scope ADMIN.",
    params(("id" = i64, Path, description = "Customer id")), request_body = WealthProfileBody, security(("ApiKeyAuth" = [])),
    responses((status = 200, body = WealthProfileView), (status = 400, description = "Invalid data; `reference` names the field"), (status = 404, description = "No such customer")))]
pub async fn save_wealth_profile(
    State(state): State<AppState>,
    caller: NativeAdmin,
    Path(id): Path<String>,
    JsonBody(body, ..): JsonBody<WealthProfileBody, Native>,
) -> Result<Json<WealthProfileView>> {
    let ctx = caller.ctx;
    let id = CustomerId(parse_id(&id, "id")?);
    let profile: WealthProfile = parse_wire(&body, "").map_err(AppError::from)?;
    let primary = parse_wire::<PersonInput>(&body.primary_person, "primaryPerson")
        .and_then(|p| p.parse().map_err(|e: FieldError| e.within("primaryPerson")))
        .map_err(AppError::from)?;
    let kyc: Kyc = parse_wire(&body.kyc, "kyc").map_err(AppError::from)?;
    let input = ProfileInput { profile, kyc, primary, relation: body.person_relation.unwrap_or(PersonRelation::AccountOwner) };
    let wc = state.services.wealth.save_profile(&ctx, id, input).await?;
    profile_view(&state, &ctx, wc).await
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/wealth-profile", tag = "Wealth management (native)", summary = "Show a wealth profile",
    description = "Scope STAFF_REVIEW or ADMIN.", params(("id" = i64, Path, description = "Customer id")), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = WealthProfileView), (status = 404, description = "No such customer, or it has no wealth profile")))]
pub async fn get_wealth_profile(
    State(state): State<AppState>,
    caller: NativeCaller,
    Path(id): Path<String>,
) -> Result<Json<WealthProfileView>> {
    let ctx = caller.require_any(&[Scope::StaffReview, Scope::Admin])?;
    let raw = parse_id(&id, "id")?;
    let wc = state.services.wealth.customer(&ctx, &Audience::Staff, CustomerId(raw)).await.map_err(|e| no_profile(e, raw))?;
    profile_view(&state, &ctx, wc).await
}

/// A person to relate to the customer: a new one (`person`) or an existing one (`personIdentification`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RelatePersonBody {
    #[schema(schema_with = dto::person_relation)]
    pub person_relation: PersonRelation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<dto::Person>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "7")]
    pub person_identification: Option<String>,
}

/// The related person's id.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonIdentificationResponse {
    #[schema(example = "7")]
    pub person_identification: String,
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/persons", tag = "Wealth management (native)", summary = "Relate a person to a customer",
    description = "Creates a person (any of the five person types) related to the customer, or relates an existing person of the tenant (e.g. one asset manager for several customers). The customer needs a wealth profile. Scope ADMIN.",
    params(("id" = i64, Path, description = "Customer id")), request_body = RelatePersonBody, security(("ApiKeyAuth" = [])),
    responses((status = 201, body = PersonIdentificationResponse), (status = 400, description = "Invalid person"),
        (status = 404, description = "No such customer or person, or no wealth profile"), (status = 409, description = "Related that way already")))]
pub async fn relate_person(
    State(state): State<AppState>,
    caller: NativeAdmin,
    Path(id): Path<String>,
    JsonBody(body, ..): JsonBody<RelatePersonBody, Native>,
) -> Result<(StatusCode, Json<PersonIdentificationResponse>)> {
    let ctx = caller.ctx;
    let customer = parse_id(&id, "id")?;
    let person = match (&body.person, &body.person_identification) {
        (Some(p), None) => RelatedPerson::New(Box::new(
            parse_wire::<PersonInput>(p, "person")
                .and_then(|p| p.parse().map_err(|e: FieldError| e.within("person")))
                .map_err(AppError::from)?,
        )),
        (None, Some(pid)) => RelatedPerson::Existing(PersonId(parse_id(pid, "personIdentification")?)),
        _ => {
            return Err(ApiError::bad_request(
                "person",
                "give either a new person or the personIdentification of an existing one",
            )
            .into());
        }
    };
    let pid = state
        .services
        .wealth
        .relate_person(&ctx, CustomerId(customer), body.person_relation, person)
        .await
        .map_err(|e| no_profile(e, customer))?;
    Ok((StatusCode::CREATED, Json(PersonIdentificationResponse { person_identification: pid.to_string() })))
}
