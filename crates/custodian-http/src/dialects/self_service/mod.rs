//! The vendor's "customers self-service" collection: GET and POST per data domain and DELETE of a
//! pending amendment, under `/v1/customers/{customerId}/self-service/`, with `X-API-KEY` auth and
//! the vendor's `ErrorResponse` on every error.

pub mod dto;
pub mod errors;

pub use errors::Vendor;

use crate::auth::{Authorized, Caller, head_checks_key_only, rate_limited, require};
use crate::body::JsonBody;
use crate::error::{ApiError, Failure};
use crate::params::parse_id;
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{Method, StatusCode};
use axum::middleware;
use axum::routing::{delete, get};
use custodian_app::{Context, Proposal, Submission};
use custodian_domain::{AmendmentId, CustomerId, DataDomain, DomainChange, DomainData, PolicySet, Scope};
use dto::*;
use serde::Serialize;
use utoipa::ToSchema;

type Result<T> = std::result::Result<T, Failure<Vendor>>;
type VendorCaller = Caller<Vendor>;
/// A caller with CUSTOMER_SELF_SERVICE_WRITE, checked before the body is read.
type VendorWriter = Authorized<Vendor, require::SelfServiceWrite>;

pub fn router(state: &AppState) -> Router<AppState> {
    let api = Router::new()
        .route("/customers/{customerId}/self-service/contact-data", get(get_contact_data).post(post_contact_data))
        .route("/customers/{customerId}/self-service/address-data", get(get_address_data).post(post_address_data))
        .route("/customers/{customerId}/self-service/master-data", get(get_master_data).post(post_master_data))
        .route("/customers/{customerId}/self-service/payment-data", get(get_payment_data).post(post_payment_data))
        .route("/customers/{customerId}/self-service/amendment/{amendmentId}", delete(withdraw_amendment))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        // One `layer` call for both (see the crate's `router`). Outermost first.
        .layer(
            tower::ServiceBuilder::new()
                .layer(middleware::from_fn_with_state(state.clone(), rate_limited::<Vendor>))
                .layer(middleware::from_fn_with_state(state.clone(), head_checks_key_only::<Vendor>)),
        );
    Router::new().nest("/v1", api)
}

/// 405 in the vendor's `ErrorResponse` (axum keeps the `Allow` header of the route).
async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> Failure<Vendor> {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "route.method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
    .into()
}

/// 404 for an unknown path under `/v1/`, in the vendor's `ErrorResponse`.
async fn not_found(method: Method, OriginalUri(uri): OriginalUri) -> Failure<Vendor> {
    ApiError::no_route(format!("no route for {method} {}", uri.path())).into()
}

/// What every GET needs: the customer, the tenant's policies and the domain's pending amendment.
struct DomainView {
    customer: custodian_store::Customer,
    policies: PolicySet,
    pending: Option<custodian_domain::Amendment>,
}

async fn load(state: &AppState, caller: &VendorCaller, raw_id: &str, domain: DataDomain) -> Result<(Context, DomainView)> {
    let ctx = caller.require(Scope::SelfServiceRead)?;
    let id = CustomerId(parse_id(raw_id, "customerId")?);
    let s = &state.services;
    let (customer, pending) = s.customers.with_pending(&ctx, id, domain).await?;
    let policies = s.policies.get(&ctx).await?;
    Ok((ctx, DomainView { customer, policies, pending }))
}

/// Submits the fields a POST sent; the amendment service applies them to the customer's data.
async fn submit(
    state: &AppState,
    caller: &VendorWriter,
    raw_id: &str,
    change: DomainChange,
    signature: Option<String>,
) -> Result<custodian_app::SubmissionOutcome> {
    let ctx = &caller.ctx;
    let customer = CustomerId(parse_id(raw_id, "customerId")?);
    let submission = Submission { customer, proposal: Proposal::Change(change), signature_base64: signature };
    Ok(state.services.amendments.submit(ctx, submission).await?)
}

/// The proposed data of a stored amendment, in the domain's shape (always the POSTed domain).
fn proposed<T>(shaped: Option<T>) -> Result<T> {
    shaped.ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "unexpected system error").into())
}

fn status(p: &PolicySet, d: DataDomain) -> AmendmentConfigurationStatus {
    p.get(d).status.into()
}

// ---- contact data ----

/// A pending contact-data amendment.
#[derive(Serialize, ToSchema)]
pub struct PendingContactAmendment {
    /// Amendment proposal id.
    pub id: i64,
    #[serde(flatten)]
    pub data: CustomerContactData,
}

/// Current contact data, the domain's configuration status and any pending amendment.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactDataResponse {
    pub amendment_configuration_status: AmendmentConfigurationStatus,
    #[serde(flatten)]
    pub data: CustomerContactData,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_amendment: Option<PendingContactAmendment>,
}

fn contact_of(d: &DomainData) -> CustomerContactData {
    match d {
        DomainData::Contact(c) => c.into(),
        _ => CustomerContactData::default(),
    }
}

#[utoipa::path(get, path = "/v1/customers/{customerId}/self-service/contact-data", tag = "Customers Self-service",
    operation_id = "getCustomerContactData", summary = "Get customer's contact data",
    description = "Current contact data plus any pending amendment. Required scope: CUSTOMER_SELF_SERVICE_READ.",
    params(("customerId" = i64, Path, description = "Customer id")),
    security(("ApiKeyAuth" = [])),
    responses((status = 200, body = ContactDataResponse), (status = 400, body = errors::ErrorResponse), (status = 401, body = errors::ErrorResponse),
        (status = 403, body = errors::ErrorResponse), (status = 404, body = errors::ErrorResponse), (status = 429, description = "Access denied - rate limit is exceeded.", body = errors::ErrorResponse)))]
pub async fn get_contact_data(
    State(state): State<AppState>,
    caller: VendorCaller,
    Path(id): Path<String>,
) -> Result<Json<ContactDataResponse>> {
    let (_, v) = load(&state, &caller, &id, DataDomain::Contact).await?;
    Ok(Json(ContactDataResponse {
        amendment_configuration_status: status(&v.policies, DataDomain::Contact),
        data: v.customer.data(DataDomain::Contact).map(contact_of).unwrap_or_default(),
        pending_amendment: v.pending.map(|a| PendingContactAmendment { id: a.id.0, data: contact_of(&a.proposed) }),
    }))
}

/// The created contact-data amendment.
#[derive(Serialize, ToSchema)]
pub struct ContactAmendmentResponse {
    pub id: i64,
    #[serde(flatten)]
    pub data: CustomerContactData,
}

#[utoipa::path(post, path = "/v1/customers/{customerId}/self-service/contact-data", tag = "Customers Self-service",
    operation_id = "createCustomerContactDataAmendment", summary = "Create contact data amendment",
    description = "Submits a contact-data amendment. Applied at once under CHANGES_WITHOUT_VERIFICATION, queued for staff under CHANGES_REQUIRE_VERIFICATION, refused (403) under READ; 409 while another amendment of the domain is pending. Required scope: CUSTOMER_SELF_SERVICE_WRITE.",
    params(("customerId" = i64, Path, description = "Customer id")), request_body = CustomerContactData,
    security(("ApiKeyAuth" = [])),
    responses((status = 200, body = ContactAmendmentResponse), (status = 400, body = errors::ErrorResponse), (status = 401, body = errors::ErrorResponse),
        (status = 403, body = errors::ErrorResponse), (status = 404, body = errors::ErrorResponse), (status = 429, description = "Access denied - rate limit is exceeded.", body = errors::ErrorResponse), (status = 409, body = errors::ErrorResponse)))]
pub async fn post_contact_data(
    State(state): State<AppState>,
    caller: VendorWriter,
    Path(id): Path<String>,
    JsonBody(body, ..): JsonBody<ContactChange, Vendor>,
) -> Result<Json<ContactAmendmentResponse>> {
    let out = submit(&state, &caller, &id, body.change(), None).await?;
    Ok(Json(ContactAmendmentResponse { id: out.amendment.id.0, data: contact_of(&out.amendment.proposed) }))
}

// ---- address data ----

/// A pending address-data amendment.
#[derive(Serialize, ToSchema)]
pub struct PendingAddressAmendment {
    pub id: i64,
    #[serde(flatten)]
    pub data: CustomerAddressData,
}

/// Current address, the domain's configuration status and any pending amendment.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddressDataResponse {
    pub amendment_configuration_status: AmendmentConfigurationStatus,
    #[serde(flatten)]
    pub data: Option<CustomerAddressData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_amendment: Option<PendingAddressAmendment>,
}

fn address_of(d: &DomainData) -> Option<CustomerAddressData> {
    match d {
        DomainData::Address(a) => Some(a.as_ref().into()),
        _ => None,
    }
}

#[utoipa::path(get, path = "/v1/customers/{customerId}/self-service/address-data", tag = "Customers Self-service",
    operation_id = "getCustomerAddressData", summary = "Get customer's address data",
    description = "Required scope: CUSTOMER_SELF_SERVICE_READ.",
    params(("customerId" = i64, Path, description = "Customer id")), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = AddressDataResponse), (status = 400, body = errors::ErrorResponse), (status = 401, body = errors::ErrorResponse),
        (status = 403, body = errors::ErrorResponse), (status = 404, body = errors::ErrorResponse), (status = 429, description = "Access denied - rate limit is exceeded.", body = errors::ErrorResponse)))]
pub async fn get_address_data(
    State(state): State<AppState>,
    caller: VendorCaller,
    Path(id): Path<String>,
) -> Result<Json<AddressDataResponse>> {
    let (_, v) = load(&state, &caller, &id, DataDomain::Address).await?;
    Ok(Json(AddressDataResponse {
        amendment_configuration_status: status(&v.policies, DataDomain::Address),
        data: v.customer.data(DataDomain::Address).and_then(address_of),
        pending_amendment: v
            .pending
            .and_then(|a| address_of(&a.proposed).map(|data| PendingAddressAmendment { id: a.id.0, data })),
    }))
}

/// The created address-data amendment.
#[derive(Serialize, ToSchema)]
pub struct AddressAmendmentResponse {
    pub id: i64,
    #[serde(flatten)]
    pub data: CustomerAddressData,
}

#[utoipa::path(post, path = "/v1/customers/{customerId}/self-service/address-data", tag = "Customers Self-service",
    operation_id = "createCustomerAddressDataAmendment", summary = "Create address data amendment",
    description = "Required scope: CUSTOMER_SELF_SERVICE_WRITE.",
    params(("customerId" = i64, Path, description = "Customer id")), request_body = CustomerAddressData, security(("ApiKeyAuth" = [])),
    responses((status = 200, body = AddressAmendmentResponse), (status = 400, body = errors::ErrorResponse), (status = 401, body = errors::ErrorResponse),
        (status = 403, body = errors::ErrorResponse), (status = 404, body = errors::ErrorResponse), (status = 429, description = "Access denied - rate limit is exceeded.", body = errors::ErrorResponse), (status = 409, body = errors::ErrorResponse)))]
pub async fn post_address_data(
    State(state): State<AppState>,
    caller: VendorWriter,
    Path(id): Path<String>,
    JsonBody(body, ..): JsonBody<AddressChange, Vendor>,
) -> Result<Json<AddressAmendmentResponse>> {
    let out = submit(&state, &caller, &id, body.change(), None).await?;
    let data = proposed(address_of(&out.amendment.proposed))?;
    Ok(Json(AddressAmendmentResponse { id: out.amendment.id.0, data }))
}

// ---- master data ----

/// A pending master-data amendment.
#[derive(Serialize, ToSchema)]
pub struct PendingMasterAmendment {
    pub id: i64,
    #[serde(flatten)]
    pub data: CustomerMasterData,
}

/// Current master data, the domain's configuration status and any pending amendment.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MasterDataResponse {
    pub amendment_configuration_status: AmendmentConfigurationStatus,
    #[serde(flatten)]
    pub data: Option<CustomerMasterData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_amendment: Option<PendingMasterAmendment>,
}

fn master_of(d: &DomainData) -> Option<CustomerMasterData> {
    match d {
        DomainData::Master(m) => Some(m.into()),
        _ => None,
    }
}

#[utoipa::path(get, path = "/v1/customers/{customerId}/self-service/master-data", tag = "Customers Self-service",
    operation_id = "getCustomerMasterData", summary = "Get customer's master data",
    description = "Required scope: CUSTOMER_SELF_SERVICE_READ.",
    params(("customerId" = i64, Path, description = "Customer id")), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = MasterDataResponse), (status = 400, body = errors::ErrorResponse), (status = 401, body = errors::ErrorResponse),
        (status = 403, body = errors::ErrorResponse), (status = 404, body = errors::ErrorResponse), (status = 429, description = "Access denied - rate limit is exceeded.", body = errors::ErrorResponse)))]
pub async fn get_master_data(
    State(state): State<AppState>,
    caller: VendorCaller,
    Path(id): Path<String>,
) -> Result<Json<MasterDataResponse>> {
    let (_, v) = load(&state, &caller, &id, DataDomain::Master).await?;
    Ok(Json(MasterDataResponse {
        amendment_configuration_status: status(&v.policies, DataDomain::Master),
        data: v.customer.data(DataDomain::Master).and_then(master_of),
        pending_amendment: v.pending.and_then(|a| master_of(&a.proposed).map(|data| PendingMasterAmendment { id: a.id.0, data })),
    }))
}

/// The created master-data amendment.
#[derive(Serialize, ToSchema)]
pub struct MasterAmendmentResponse {
    pub id: i64,
    #[serde(flatten)]
    pub data: CustomerMasterData,
}

#[utoipa::path(post, path = "/v1/customers/{customerId}/self-service/master-data", tag = "Customers Self-service",
    operation_id = "createCustomerMasterDataAmendment", summary = "Create master data amendment",
    description = "Required scope: CUSTOMER_SELF_SERVICE_WRITE.",
    params(("customerId" = i64, Path, description = "Customer id")), request_body = CustomerMasterData, security(("ApiKeyAuth" = [])),
    responses((status = 200, body = MasterAmendmentResponse), (status = 400, body = errors::ErrorResponse), (status = 401, body = errors::ErrorResponse),
        (status = 403, body = errors::ErrorResponse), (status = 404, body = errors::ErrorResponse), (status = 429, description = "Access denied - rate limit is exceeded.", body = errors::ErrorResponse), (status = 409, body = errors::ErrorResponse)))]
pub async fn post_master_data(
    State(state): State<AppState>,
    caller: VendorWriter,
    Path(id): Path<String>,
    JsonBody(body, ..): JsonBody<MasterChange, Vendor>,
) -> Result<Json<MasterAmendmentResponse>> {
    let out = submit(&state, &caller, &id, body.change(), None).await?;
    let data = proposed(master_of(&out.amendment.proposed))?;
    Ok(Json(MasterAmendmentResponse { id: out.amendment.id.0, data }))
}

// ---- payment data ----

/// A pending payment-data amendment.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PendingPaymentAmendment {
    pub id: i64,
    #[serde(flatten)]
    pub data: CustomerPaymentData,
    pub require_signature: bool,
}

/// Current bank details, the domain's configuration status, whether a signature is required,
/// and any pending amendment.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentDataResponse {
    pub amendment_configuration_status: AmendmentConfigurationStatus,
    #[serde(flatten)]
    pub data: Option<CustomerPaymentData>,
    /// Is customer signature required to make amendment.
    pub require_signature: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_amendment: Option<PendingPaymentAmendment>,
}

fn payment_of(d: &DomainData) -> Option<CustomerPaymentData> {
    match d {
        DomainData::Payment(p) => Some(p.into()),
        _ => None,
    }
}

#[utoipa::path(get, path = "/v1/customers/{customerId}/self-service/payment-data", tag = "Customers Self-service",
    operation_id = "getCustomerPaymentData", summary = "Get customer's payment data",
    description = "Required scope: CUSTOMER_SELF_SERVICE_READ.",
    params(("customerId" = i64, Path, description = "Customer id")), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = PaymentDataResponse), (status = 400, body = errors::ErrorResponse), (status = 401, body = errors::ErrorResponse),
        (status = 403, body = errors::ErrorResponse), (status = 404, body = errors::ErrorResponse), (status = 429, description = "Access denied - rate limit is exceeded.", body = errors::ErrorResponse)))]
pub async fn get_payment_data(
    State(state): State<AppState>,
    caller: VendorCaller,
    Path(id): Path<String>,
) -> Result<Json<PaymentDataResponse>> {
    let (_, v) = load(&state, &caller, &id, DataDomain::Payment).await?;
    let require_signature = v.policies.requires_signature(DataDomain::Payment);
    Ok(Json(PaymentDataResponse {
        amendment_configuration_status: status(&v.policies, DataDomain::Payment),
        data: v.customer.data(DataDomain::Payment).and_then(payment_of),
        require_signature,
        pending_amendment: v
            .pending
            .and_then(|a| payment_of(&a.proposed).map(|data| PendingPaymentAmendment { id: a.id.0, data, require_signature })),
    }))
}

/// The created payment-data amendment.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentAmendmentResponse {
    pub id: i64,
    #[serde(flatten)]
    pub data: CustomerPaymentData,
    pub require_signature: bool,
}

#[utoipa::path(post, path = "/v1/customers/{customerId}/self-service/payment-data", tag = "Customers Self-service",
    operation_id = "createCustomerPaymentDataAmendment", summary = "Create payment data amendment",
    description = "When requireSignature is true, `signature.base64SvgSignature` (a base64 SVG) is required; it is sanitised before it is stored. Required scope: CUSTOMER_SELF_SERVICE_WRITE.",
    params(("customerId" = i64, Path, description = "Customer id")), request_body = OpenApiV1CustomerPaymentAmendment, security(("ApiKeyAuth" = [])),
    responses((status = 200, body = PaymentAmendmentResponse), (status = 400, body = errors::ErrorResponse), (status = 401, body = errors::ErrorResponse),
        (status = 403, body = errors::ErrorResponse), (status = 404, body = errors::ErrorResponse), (status = 429, description = "Access denied - rate limit is exceeded.", body = errors::ErrorResponse), (status = 409, body = errors::ErrorResponse)))]
pub async fn post_payment_data(
    State(state): State<AppState>,
    caller: VendorWriter,
    Path(id): Path<String>,
    JsonBody(body, ..): JsonBody<PaymentAmendmentRequest, Vendor>,
) -> Result<Json<PaymentAmendmentResponse>> {
    let signature = body.signature.map(|s| s.base64_svg_signature);
    let out = submit(&state, &caller, &id, body.payment.change(), signature).await?;
    let data = proposed(payment_of(&out.amendment.proposed))?;
    Ok(Json(PaymentAmendmentResponse { id: out.amendment.id.0, data, require_signature: out.require_signature }))
}

// ---- withdraw ----

#[utoipa::path(delete, path = "/v1/customers/{customerId}/self-service/amendment/{amendmentId}", tag = "Customers Self-service",
    operation_id = "withdrawAmendment", summary = "Withdraw customer's amendment",
    description = "Withdraws a pending amendment; 409 when it was already decided. Required scope: CUSTOMER_SELF_SERVICE_WRITE.",
    params(("customerId" = i64, Path, description = "Customer id"), ("amendmentId" = i64, Path, description = "Amendment id")),
    security(("ApiKeyAuth" = [])),
    responses((status = 200, description = "Amendment was withdrawn."), (status = 400, body = errors::ErrorResponse), (status = 401, body = errors::ErrorResponse),
        (status = 403, body = errors::ErrorResponse), (status = 404, body = errors::ErrorResponse), (status = 429, description = "Access denied - rate limit is exceeded.", body = errors::ErrorResponse), (status = 409, body = errors::ErrorResponse)))]
pub async fn withdraw_amendment(
    State(state): State<AppState>,
    caller: VendorCaller,
    Path((customer, amendment)): Path<(String, String)>,
) -> Result<StatusCode> {
    let ctx = caller.require(Scope::SelfServiceWrite)?;
    let customer = CustomerId(parse_id(&customer, "customerId")?);
    let amendment = AmendmentId(parse_id(&amendment, "amendmentId")?);
    state.services.amendments.withdraw(&ctx, customer, amendment).await?;
    Ok(StatusCode::OK)
}
