//! The hierarchical partner API (the vendor's "API v2" Customer APIs): customer details, creation
//! of sub-customers, JSON Merge Patch of details, direct children and the status of asynchronous
//! requests, under `/api/v2/`, addressed by UUID, with the `{errorCode, errorMessage, content,
//! pageable}` envelope on every response.
//!
//! The requester is the customer its API key is bound to (`X-API-KEY`, scope PARTNER). This
//! module maps DTOs and errors only; every rule lives in the hierarchy service and the domain.

pub mod dto;
pub mod errors;

pub use errors::Partner;

use crate::auth::{Caller, head_checks_key_only};
use crate::body::JsonBody;
use crate::error::{ApiError, Failure};
use crate::idempotency::ConcernsCustomer;
use crate::state::AppState;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use custodian_app::Requester;
use custodian_domain::Scope;
use custodian_domain::hierarchy::{CustomerUuid, OperationFailure, RequestId};
use dto::*;
use errors::Code;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

type Result<T> = std::result::Result<T, Failure<Partner>>;
type PartnerCaller = Caller<Partner>;
type Body = std::result::Result<JsonBody<serde_json::Value, Partner>, Failure<Partner>>;

pub fn router(state: &AppState) -> Router<AppState> {
    let api = Router::new()
        .route(
            "/customer/{id}",
            get(get_customer).post(create_customer).patch(modify_customer).fallback(|| not_allowed("GET, POST, PATCH")),
        )
        .route("/customer/{id}/child-customers", get(list_child_customers).fallback(|| not_allowed("GET")))
        .route("/global/call/{requestId}", get(get_request_status).fallback(|| not_allowed("GET")))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), head_checks_key_only::<Partner>));
    Router::new().nest("/api/v2", api)
}

/// `GLOBAL_1006` for an unknown path under `/api/v2/`.
async fn not_found(method: Method, OriginalUri(uri): OriginalUri) -> Failure<Partner> {
    ApiError::no_route(format!("no route for {method} {}", uri.path())).into()
}

/// The numeric id of the customer a write concerned, for its idempotency receipt (erasure finds
/// receipts by it); `None` when it cannot be read, which only leaves the receipt unnamed.
async fn concerns(state: &AppState, caller: &PartnerCaller, customer: CustomerUuid) -> Option<Extension<ConcernsCustomer>> {
    let id = state.services.hierarchy.customer_id(caller.principal.tenant, customer).await.ok()?;
    Some(Extension(ConcernsCustomer(id)))
}

/// 405 in the envelope, with the methods the route has.
async fn not_allowed(allow: &'static str) -> Response {
    let mut r = Failure::<Partner>::from(errors::METHOD_NOT_ALLOWED.error(Some(&format!("use {allow}")))).into_response();
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

/// The requester: an authenticated key with scope PARTNER, bound to a customer.
async fn requester(state: &AppState, caller: &PartnerCaller) -> Result<Requester> {
    let ctx = caller.require(Scope::Partner)?;
    state
        .services
        .hierarchy
        .requester(ctx, &caller.principal)
        .await
        .map_err(|e| errors::failure(e, errors::INVALID_REQUEST).into())
}

fn customer_uuid(raw: &str) -> std::result::Result<CustomerUuid, ApiError> {
    CustomerUuid::parse(raw).map_err(|m| errors::CUSTOMER_NOT_FOUND.error(Some(&format!("id {m}"))).with_reference("id"))
}

/// The first steps of both writes, in this order: the requester, the customer `{id}` names and the
/// body read as `T` (a bad body is `code`, the write's own code).
async fn write_input<T: DeserializeOwned>(
    state: &AppState,
    caller: &PartnerCaller,
    id: &str,
    body: Body,
    code: Code,
) -> Result<(Requester, CustomerUuid, T)> {
    let r = requester(state, caller).await?;
    let uuid = customer_uuid(id)?;
    let request = parse_body(body, code)?;
    Ok((r, uuid, request))
}

/// Reads a JSON body into `T`; every problem is a 4xx with `code`, naming the field.
fn parse_body<T: DeserializeOwned>(body: Body, code: Code) -> std::result::Result<T, ApiError> {
    let JsonBody(value, ..) = body.map_err(|f| code.relabel(f.0))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // An unknown member is named by the message; the path then ends with it.
        let at = if inner.starts_with("unknown field") { path.rsplit_once('.').map_or(".", |(parent, _)| parent) } else { &path };
        let detail = if at == "." { inner.clone() } else { format!("{at}: {inner}") };
        let e = code.error(Some(&detail));
        if path == "." { e } else { e.with_reference(path) }
    })
}

#[utoipa::path(get, path = "/api/v2/customer/{id}", tag = "Partner hierarchy", operation_id = "getCustomerDetails",
    summary = "Get customer details",
    description = "The requester itself or one of its sub-customers (any depth). The primary contact's e-mail address and phones and the primary address are the customer's shared contact and address data. Scope PARTNER; the key must be bound to a customer.",
    params(("id" = String, Path, description = "Customer id")), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = Envelope<CustomerDetails>),
        (status = 401, body = errors::ErrorEnvelope, description = "GLOBAL_1004"),
        (status = 403, body = errors::ErrorEnvelope, description = "GLOBAL_1005"),
        (status = 404, body = errors::ErrorEnvelope, description = "CUSTOMER_1002: unknown, or outside the requester's branch"),
        (status = 503, body = errors::ErrorEnvelope, description = "GLOBAL_1001")))]
pub async fn get_customer(
    State(state): State<AppState>,
    caller: PartnerCaller,
    Path(id): Path<String>,
) -> Result<Json<Envelope<CustomerDetails>>> {
    let r = requester(&state, &caller).await?;
    let uuid = customer_uuid(&id)?;
    let customer = state.services.hierarchy.get(&r, uuid).await.map_err(|e| errors::failure(e, errors::INVALID_REQUEST))?;
    Ok(Json(Envelope::single(CustomerDetails::from(&customer))))
}

#[utoipa::path(post, path = "/api/v2/customer/{id}", tag = "Partner hierarchy", operation_id = "createCustomer",
    summary = "Create a sub-customer",
    description = "Creates a direct sub-customer of `{id}`, which must be the requester itself. Asynchronous: answers with the `requestId` (and the new `customerId`); query the outcome with `GET /api/v2/global/call/{requestId}`. Scope PARTNER.",
    params(("id" = String, Path, description = "The requester's own customer id (the parent)")),
    request_body = CreateCustomerRequest, security(("ApiKeyAuth" = [])),
    responses((status = 200, body = Envelope<RequestAccepted>),
        (status = 400, body = errors::ErrorEnvelope, description = "CUSTOMER_1001: invalid request; the message names the field"),
        (status = 401, body = errors::ErrorEnvelope, description = "GLOBAL_1004"),
        (status = 403, body = errors::ErrorEnvelope, description = "CUSTOMER_1004: not the requester's own level; GLOBAL_1005"),
        (status = 404, body = errors::ErrorEnvelope, description = "CUSTOMER_1002"),
        (status = 503, body = errors::ErrorEnvelope, description = "GLOBAL_1001")))]
pub async fn create_customer(
    State(state): State<AppState>,
    caller: PartnerCaller,
    Path(id): Path<String>,
    body: Body,
) -> Result<(Option<Extension<ConcernsCustomer>>, Json<Envelope<RequestAccepted>>)> {
    let (r, parent, request) = write_input::<CreateCustomerRequest>(&state, &caller, &id, body, errors::CREATE_FAILED).await?;
    let accepted = state
        .services
        .hierarchy
        .create_sub_customer(&r, parent, &request.into())
        .await
        .map_err(|e| errors::failure(e, errors::CREATE_FAILED))?;
    let concerns = concerns(&state, &caller, accepted.customer).await;
    Ok((
        concerns,
        Json(Envelope::single(RequestAccepted {
            request_id: accepted.request_id.to_string(),
            customer_id: Some(accepted.customer.to_string()),
        })),
    ))
}

#[utoipa::path(patch, path = "/api/v2/customer/{id}", tag = "Partner hierarchy", operation_id = "modifyCustomerDetails",
    summary = "Modify customer details",
    description = "Changes a sub-customer of the requester (never the requester itself). Only the elements sent change; an element sent as `null` or empty overrides the stored value with NULL (JSON Merge Patch); contacts and addresses are changed by their `id`. Changes of the primary contact and address are changes of the customer's contact and address data, audited and announced like every other change. Asynchronous: answers with the `requestId`. Scope PARTNER.",
    params(("id" = String, Path, description = "Customer id")),
    request_body = ModifyCustomerRequest, security(("ApiKeyAuth" = [])),
    responses((status = 200, body = Envelope<RequestAccepted>),
        (status = 400, body = errors::ErrorEnvelope, description = "CUSTOMER_1003: invalid change; the message names the field"),
        (status = 401, body = errors::ErrorEnvelope, description = "GLOBAL_1004"),
        (status = 403, body = errors::ErrorEnvelope, description = "CUSTOMER_1004: the requester's own profile; GLOBAL_1005"),
        (status = 404, body = errors::ErrorEnvelope, description = "CUSTOMER_1002"),
        (status = 503, body = errors::ErrorEnvelope, description = "GLOBAL_1001")))]
pub async fn modify_customer(
    State(state): State<AppState>,
    caller: PartnerCaller,
    Path(id): Path<String>,
    body: Body,
) -> Result<(Option<Extension<ConcernsCustomer>>, Json<Envelope<RequestAccepted>>)> {
    let (r, target, request) = write_input::<ModifyCustomerRequest>(&state, &caller, &id, body, errors::UPDATE_FAILED).await?;
    let accepted = state
        .services
        .hierarchy
        .modify(&r, target, &request.into())
        .await
        .map_err(|e| errors::failure(e, errors::UPDATE_FAILED))?;
    let concerns = concerns(&state, &caller, target).await;
    Ok((concerns, Json(Envelope::single(RequestAccepted { request_id: accepted.request_id.to_string(), customer_id: None }))))
}

/// Paging of the child list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 0 (default 0).
    #[param(value_type = Option<i64>)]
    pub page: Option<String>,
    /// Elements per page, 1 to 100 (default 10).
    #[param(value_type = Option<i64>)]
    pub size: Option<String>,
}

fn page_params(
    q: std::result::Result<Query<PageParams>, axum::extract::rejection::QueryRejection>,
) -> std::result::Result<(i64, i64), ApiError> {
    let Query(q) = q.map_err(|e| errors::RETRIEVE_FAILED.error(Some(&e.body_text())))?;
    let number = |raw: Option<&str>, name: &str, default: i64, range: std::ops::RangeInclusive<i64>| match raw.map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) => v.parse::<i64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
            errors::RETRIEVE_FAILED
                .error(Some(&format!("{name} must be a whole number from {} to {}, not {v:?}", range.start(), range.end())))
                .with_reference(name)
        }),
    };
    Ok((number(q.page.as_deref(), "page", 0, 0..=1_000_000)?, number(q.size.as_deref(), "size", DEFAULT_PAGE_SIZE, 1..=100)?))
}

#[utoipa::path(get, path = "/api/v2/customer/{id}/child-customers", tag = "Partner hierarchy", operation_id = "getCustomerChildren",
    summary = "Get customer children",
    description = "The requester's direct sub-customers, one level only, oldest first. `{id}` must be the requester itself. Scope PARTNER.",
    params(("id" = String, Path, description = "The requester's own customer id"), PageParams),
    security(("ApiKeyAuth" = [])),
    responses((status = 200, body = Envelope<ChildCustomerView>),
        (status = 400, body = errors::ErrorEnvelope, description = "CUSTOMER_1006: invalid paging"),
        (status = 401, body = errors::ErrorEnvelope, description = "GLOBAL_1004"),
        (status = 403, body = errors::ErrorEnvelope, description = "CUSTOMER_1004: a sub-customer's children; GLOBAL_1005"),
        (status = 404, body = errors::ErrorEnvelope, description = "CUSTOMER_1002"),
        (status = 503, body = errors::ErrorEnvelope, description = "GLOBAL_1001")))]
pub async fn list_child_customers(
    State(state): State<AppState>,
    caller: PartnerCaller,
    Path(id): Path<String>,
    query: std::result::Result<Query<PageParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Envelope<ChildCustomerView>>> {
    let r = requester(&state, &caller).await?;
    let uuid = customer_uuid(&id)?;
    let (page, size) = page_params(query)?;
    let children =
        state.services.hierarchy.children(&r, uuid, page, size).await.map_err(|e| errors::failure(e, errors::RETRIEVE_FAILED))?;
    let items = children
        .children
        .into_iter()
        .map(|c| ChildCustomerView { customer_id: c.uuid.to_string(), customer_name: c.name })
        .collect();
    Ok(Json(Envelope::page(items, Pageable::of(page, size, children.total))))
}

/// This dialect's code for an operation's stored failure code.
fn failure_code(code: &str) -> &'static str {
    match code {
        OperationFailure::INVALID | OperationFailure::CONFLICT => errors::UPDATE_FAILED.code,
        _ => errors::SERVICE_UNAVAILABLE.code,
    }
}

#[utoipa::path(get, path = "/api/v2/global/call/{requestId}", tag = "Partner hierarchy", operation_id = "getRequestStatusV2",
    summary = "Get request status",
    description = "The status of one of the requester's own asynchronous requests: OPEN, SUCCESS, FAILURE or INTERNAL_ERROR. A request still OPEN two minutes after it was made was interrupted by a stopped server: it is then INTERNAL_ERROR, and nothing was changed. Scope PARTNER.",
    params(("requestId" = String, Path, description = "The requestId of a write")), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = Envelope<RequestStatus>),
        (status = 401, body = errors::ErrorEnvelope, description = "GLOBAL_1004"),
        (status = 403, body = errors::ErrorEnvelope, description = "GLOBAL_1005"),
        (status = 404, body = errors::ErrorEnvelope, description = "GLOBAL_1003: unknown, or another requester's request"),
        (status = 503, body = errors::ErrorEnvelope, description = "GLOBAL_1001")))]
pub async fn get_request_status(
    State(state): State<AppState>,
    caller: PartnerCaller,
    Path(request_id): Path<String>,
) -> Result<Json<Envelope<RequestStatus>>> {
    let r = requester(&state, &caller).await?;
    let request_id = RequestId::parse(&request_id)
        .map_err(|m| errors::UNKNOWN_REQUEST_ID.error(Some(&format!("requestId {m}"))).with_reference("requestId"))?;
    let op = state.services.hierarchy.operation(&r, request_id).await.map_err(|e| errors::failure(e, errors::INVALID_REQUEST))?;
    Ok(Json(Envelope::single(RequestStatus::of(&op, failure_code))))
}
