//! The OpenWealth customer-management API as SIX bLink serves it to service users: customers,
//! KYC records, persons, contact details and addresses under a configurable prefix (default
//! `/openwealth`), with `Authorization: Bearer` tokens (API keys with scope
//! `WEALTH_SERVICE_USER`), a required and echoed `X-Correlation-ID`, `cursor`/`limit` paging with
//! the `nextCursor` header, and `application/problem+json` errors with `/problems/…` types.
//!
//! A service user sees only the customers that granted it consent (see the native consents API).

pub use crate::wealth_shapes as dto;
pub mod errors;

pub use errors::OpenWealth;

use crate::body::JsonBody;
use crate::error::{ApiError, ErrorKind, Failure};
use crate::idempotency::ConcernsCustomer;
use crate::state::AppState;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, OriginalUri, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json};
use custodian_app::wealth::{AddressUpdate, Audience, PersonView, WealthCustomer};
use custodian_app::{AppError, Context};
use custodian_domain::wealth::{ContactDetail, PersonId, ServiceUser, WealthAddress};
use custodian_domain::{CustomerId, Scope};
use dto::{address_dto, contact_dto, customer_dto, parse_wire, person_dto, wire};
use errors::{Exchange, code};
use serde::Deserialize;
use std::collections::BTreeMap;
use utoipa::IntoParams;

type Result<T> = std::result::Result<T, Failure<OpenWealth>>;

const CORRELATION_ID: &str = "x-correlation-id";
const NEXT_CURSOR: &str = "nextcursor";
/// Page size when the caller names none, and the most one page holds.
const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 100;

/// The routes under the configured prefix (e.g. `/openwealth`; not `/`), their writes guarded by
/// `Idempotency-Key` (the vendor defines no retry mechanism; `X-Correlation-ID` only traces).
pub fn router(state: &AppState) -> Router<AppState> {
    let prefix = state.settings.openwealth_prefix.as_str();
    let api = Router::new()
        .route("/customers", get(get_customers))
        .route("/customers/{customerId}", get(get_customer))
        .route("/customers/{customerId}/kyc", get(get_kyc))
        .route("/customers/{customerId}/addresses", get(get_address).post(post_address).put(put_address))
        .route(
            "/customer/{customerId}/addresses",
            get(get_address_singular).post(post_address_singular).put(put_address_singular),
        )
        .route("/persons", get(get_persons))
        .route("/persons/{personId}", get(get_person))
        .route("/persons/{personId}/contactdetails", get(get_contact_details).post(post_contact_details))
        .route("/healthcheck", get(healthcheck));
    let api = crate::idempotency::guard_routes::<OpenWealth>(api, state, bearer_token)
        .method_not_allowed_fallback(wrong_method)
        .fallback(url_not_found)
        .layer(middleware::from_fn(exchange));
    Router::new().nest(prefix, api)
}

/// Requires a valid `X-Correlation-ID` (1 to 64 visible characters) on every request, echoes it
/// on every response, and makes the request path available to error rendering.
async fn exchange(req: Request, next: Next) -> Response {
    let raw = req.headers().get(CORRELATION_ID).cloned();
    let valid = raw
        .clone()
        .filter(|v| v.to_str().is_ok_and(|s| !s.trim().is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_graphic())));
    let ex = Exchange { instance: original_path(&req), correlation_id: valid.clone() };
    ex.scope(async move {
        if valid.is_some() {
            let mut r = next.run(req).await;
            if let Some(id) = valid {
                r.headers_mut().insert(CORRELATION_ID, id);
            }
            return r;
        }
        let message = if raw.is_none() {
            "the X-Correlation-ID header is required: a caller-defined id of the request, echoed in the response"
        } else {
            "the X-Correlation-ID header must be 1 to 64 visible ASCII characters"
        };
        ApiError::new(StatusCode::BAD_REQUEST, code::CORRELATION_ID, message).render::<OpenWealth>()
    })
    .await
}

/// The token of an `Authorization: Bearer …` header.
fn bearer_token(h: &HeaderMap) -> Option<&str> {
    let (scheme, token) = h.get(header::AUTHORIZATION)?.to_str().ok()?.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The path as the client sent it (a nested router sees it without the prefix).
fn original_path(req: &Request) -> String {
    req.extensions().get::<OriginalUri>().map_or_else(|| req.uri().path().to_owned(), |o| o.0.path().to_owned())
}

async fn url_not_found() -> Failure<OpenWealth> {
    ApiError::no_route("URL not found").into()
}

async fn wrong_method(req: Request) -> Failure<OpenWealth> {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        code::METHOD_NOT_ALLOWED,
        format!("{} is not supported on {}", req.method(), original_path(&req)),
    )
    .into()
}

/// An authenticated service user: the bearer token is an API key with scope `WEALTH_SERVICE_USER`.
pub struct ServiceUserCaller {
    pub ctx: Context,
    pub audience: Audience,
    pub service_user: ServiceUser,
}

impl FromRequestParts<AppState> for ServiceUserCaller {
    type Rejection = Failure<OpenWealth>;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> std::result::Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                code::TOKEN_MISSING,
                "an Authorization header with a bearer token is required",
            )
            .kind(ErrorKind::NoCredentials)
            .into());
        };
        let invalid =
            || ApiError::new(StatusCode::UNAUTHORIZED, "auth.unauthenticated", "the bearer token is invalid or revoked");
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or_else(invalid)?;
        let principal = state.services.keys.authenticate(token).await.map_err(ApiError::from)?.ok_or_else(invalid)?;
        crate::access_log::note_tenant(principal.tenant);
        if !principal.has(Scope::WealthServiceUser) {
            return Err(ApiError::missing_scope(
                "the token does not belong to a wealth-management service user (scope WEALTH_SERVICE_USER)",
            )
            .into());
        }
        let service_user = ServiceUser::parse(&principal.key_prefix).map_err(|_| invalid())?;
        let request_id = parts.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let ctx = Context { tenant: principal.tenant, actor: principal.actor(), request_id };
        Ok(ServiceUserCaller { ctx, audience: Audience::ServiceUser(service_user.clone()), service_user })
    }
}

/// Paging of the list endpoints.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// An opaque string value used for pagination: the `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// Maximum number of items to return (at least 1; a page holds at most 100).
    pub limit: Option<i64>,
}

fn paging(q: std::result::Result<Query<Paging>, QueryRejection>) -> std::result::Result<(Option<i64>, i64), ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request("query", format!("the query is invalid: {}", e.body_text())))?;
    let limit = match q.limit {
        None => DEFAULT_LIMIT,
        Some(l) if l >= 1 => l.min(MAX_LIMIT),
        Some(l) => return Err(ApiError::bad_request("limit", format!("limit must be at least 1, not {l}"))),
    };
    Ok((crate::params::parse_cursor(q.cursor.as_deref())?, limit))
}

/// One page of a list read with `limit + 1` items: the first `limit`, with the `nextCursor` header
/// (empty on the last page; the extra item only says there are more).
fn one_page<T>(items: Vec<T>, limit: i64, id_of: impl Fn(&T) -> i64) -> (HeaderMap, Vec<T>) {
    let (items, cursor) = crate::params::cut_page(items, limit, id_of);
    let mut h = HeaderMap::new();
    h.insert(NEXT_CURSOR, HeaderValue::from_str(&cursor.unwrap_or_default()).expect("digits are a valid header value"));
    (h, items)
}

/// Ids in paths are strings in this API; ours are positive integers, so anything else names
/// nothing the caller can see.
fn path_id(raw: &str, what: &str) -> std::result::Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(|| not_visible(what, raw))
}

fn not_visible(what: &str, id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        code::NOT_VISIBLE,
        format!("{what} {id} does not exist or the token does not grant access to it"),
    )
    .kind(ErrorKind::Dialect(code::NOT_VISIBLE))
}

/// Maps a use case's error: an unknown or unconsented customer or person is one answer, so
/// that a service user learns nothing about customers it has no consent for.
fn scoped(e: AppError, what: &str, id: &str) -> Failure<OpenWealth> {
    match e {
        AppError::NotFound("customer" | "wealth_profile") => not_visible("customer", id).into(),
        AppError::NotFound("person") => not_visible(what, id).into(),
        other => other.into(),
    }
}

fn address_missing(customer: &str, number: Option<i64>) -> Failure<OpenWealth> {
    let message = match number {
        Some(n) => format!("customer {customer} has no address {n}"),
        None => format!("customer {customer} has no address"),
    };
    ApiError::new(StatusCode::NOT_FOUND, "address.not_found", message).into()
}

/// The customer `{customerId}` names, if the service user may see it.
async fn visible_customer(state: &AppState, user: &ServiceUserCaller, id: &str) -> Result<WealthCustomer> {
    let customer = CustomerId(path_id(id, "customer")?);
    state.services.wealth.customer(&user.ctx, &user.audience, customer).await.map_err(|e| scoped(e, "customer", id))
}

/// The person `{personId}` names, if the service user may see it.
async fn visible_person(state: &AppState, user: &ServiceUserCaller, id: &str) -> Result<PersonView> {
    let person = PersonId(path_id(id, "person")?);
    state.services.wealth.person(&user.ctx, &user.audience, person).await.map_err(|e| scoped(e, "person", id))
}

// ---- customers ----

#[utoipa::path(get, path = "/openwealth/customers", tag = "Wealth management", operation_id = "getCustomers",
    summary = "Returns a list of customers",
    description = "The customers that granted the service user consent and hold a wealth-management contract. Paging is per customer.",
    params(Paging, ("X-Correlation-ID" = String, Header, description = "Caller-defined request id (1–64 characters), echoed back")),
    security(("BearerAuth" = [])),
    responses((status = 200, body = [dto::Customer], headers(("X-Correlation-ID" = String), ("nextCursor" = String, description = "Pass as cursor for the next page; empty when there are no more results"))),
        (status = 400, body = errors::Problem, content_type = "application/problem+json"), (status = 401, body = errors::Problem, content_type = "application/problem+json"),
        (status = 403, body = errors::Problem, content_type = "application/problem+json")))]
pub async fn get_customers(
    State(state): State<AppState>,
    user: ServiceUserCaller,
    query: std::result::Result<Query<Paging>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<dto::Customer>>)> {
    let (after, limit) = paging(query)?;
    let items = state.services.wealth.customers(&user.ctx, &user.service_user, after.map(CustomerId), limit + 1).await?;
    let (cursor, items) = one_page(items, limit, |c| c.customer.id.0);
    Ok((cursor, Json(items.iter().map(customer_dto).collect())))
}

#[utoipa::path(get, path = "/openwealth/customers/{customerId}", tag = "Wealth management", operation_id = "getCustomerByCustomerId",
    summary = "Returns a specific customer", description = "The full client record of a customer that granted the service user consent.",
    params(("customerId" = String, Path, description = "The customer's id"), ("X-Correlation-ID" = String, Header, description = "Caller-defined request id, echoed back")),
    security(("BearerAuth" = [])),
    responses((status = 200, body = dto::Customer, headers(("X-Correlation-ID" = String))),
        (status = 401, body = errors::Problem, content_type = "application/problem+json"),
        (status = 404, body = errors::Problem, content_type = "application/problem+json", description = "No such customer, or no consent for it (INSUFFICIENT_PRIVILEGES)")))]
pub async fn get_customer(
    State(state): State<AppState>,
    user: ServiceUserCaller,
    Path(id): Path<String>,
) -> Result<Json<dto::Customer>> {
    let wc = visible_customer(&state, &user, &id).await?;
    Ok(Json(customer_dto(&wc)))
}

#[utoipa::path(get, path = "/openwealth/customers/{customerId}/kyc", tag = "Wealth management", operation_id = "getKycByCustomerId",
    summary = "Returns the KYC record of a customer", description = "The customer with its know-your-client record: financial and non-financial situation.",
    params(("customerId" = String, Path, description = "The customer's id"), ("X-Correlation-ID" = String, Header, description = "Caller-defined request id, echoed back")),
    security(("BearerAuth" = [])),
    responses((status = 200, body = dto::CustomerAndKycResponse, headers(("X-Correlation-ID" = String))),
        (status = 401, body = errors::Problem, content_type = "application/problem+json"),
        (status = 404, body = errors::Problem, content_type = "application/problem+json")))]
pub async fn get_kyc(
    State(state): State<AppState>,
    user: ServiceUserCaller,
    Path(id): Path<String>,
) -> Result<Json<dto::CustomerAndKycResponse>> {
    let wc = visible_customer(&state, &user, &id).await?;
    Ok(Json(dto::CustomerAndKycResponse { customer: customer_dto(&wc), kyc: wire(&wc.profile.kyc) }))
}

// ---- persons ----

#[utoipa::path(get, path = "/openwealth/persons", tag = "Wealth management", operation_id = "getPersons",
    summary = "Returns a list of full person records",
    description = "Persons related to the customers that granted the service user consent, with their customers and contact details. Paging is per person.",
    params(Paging, ("X-Correlation-ID" = String, Header, description = "Caller-defined request id, echoed back")),
    security(("BearerAuth" = [])),
    responses((status = 200, body = [dto::Person], headers(("X-Correlation-ID" = String), ("nextCursor" = String, description = "Pass as cursor for the next page; empty when there are no more results"))),
        (status = 400, body = errors::Problem, content_type = "application/problem+json"), (status = 401, body = errors::Problem, content_type = "application/problem+json")))]
pub async fn get_persons(
    State(state): State<AppState>,
    user: ServiceUserCaller,
    query: std::result::Result<Query<Paging>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<dto::Person>>)> {
    let (after, limit) = paging(query)?;
    let items = state.services.wealth.persons(&user.ctx, &user.audience, after.map(PersonId), limit + 1).await?;
    let (cursor, items) = one_page(items, limit, |p| p.id.0);
    Ok((cursor, Json(items.iter().map(person_dto).collect())))
}

#[utoipa::path(get, path = "/openwealth/persons/{personId}", tag = "Wealth management", operation_id = "getPersonByPersonId",
    summary = "Returns a specific person",
    description = "A customer's primary person shows the customer's master data (names, gender, birth date) and contact data (e-mail, phones).",
    params(("personId" = String, Path, description = "The person's id"), ("X-Correlation-ID" = String, Header, description = "Caller-defined request id, echoed back")),
    security(("BearerAuth" = [])),
    responses((status = 200, body = dto::Person, headers(("X-Correlation-ID" = String))),
        (status = 401, body = errors::Problem, content_type = "application/problem+json"),
        (status = 404, body = errors::Problem, content_type = "application/problem+json")))]
pub async fn get_person(
    State(state): State<AppState>,
    user: ServiceUserCaller,
    Path(id): Path<String>,
) -> Result<Json<dto::Person>> {
    let p = visible_person(&state, &user, &id).await?;
    Ok(Json(person_dto(&p)))
}

#[utoipa::path(get, path = "/openwealth/persons/{personId}/contactdetails", tag = "Wealth management", operation_id = "getContactDetailsByPersonId",
    summary = "Returns the contact details of a person",
    params(("personId" = String, Path, description = "The person's id"), ("X-Correlation-ID" = String, Header, description = "Caller-defined request id, echoed back")),
    security(("BearerAuth" = [])),
    responses((status = 200, body = [dto::ContactDetails], headers(("X-Correlation-ID" = String))),
        (status = 401, body = errors::Problem, content_type = "application/problem+json"),
        (status = 404, body = errors::Problem, content_type = "application/problem+json")))]
pub async fn get_contact_details(
    State(state): State<AppState>,
    user: ServiceUserCaller,
    Path(id): Path<String>,
) -> Result<Json<Vec<dto::ContactDetails>>> {
    let p = visible_person(&state, &user, &id).await?;
    Ok(Json(p.contacts.iter().map(contact_dto).collect()))
}

#[utoipa::path(post, path = "/openwealth/persons/{personId}/contactdetails", tag = "Wealth management", operation_id = "postContactDetailsByPersonId",
    summary = "Creates new contact details for a person",
    description = "For a customer's primary person, an e-mail address or phone number whose field of the customer's contact data is empty fills that field (and shows in every API); anything else is kept as an additional contact detail.",
    params(("personId" = String, Path, description = "The person's id"), ("X-Correlation-ID" = String, Header, description = "Caller-defined request id, echoed back")),
    request_body = dto::ContactDetails, security(("BearerAuth" = [])),
    responses((status = 201, body = dto::ContactDetails, description = "Contact details created", headers(("X-Correlation-ID" = String))),
        (status = 400, body = errors::Problem, content_type = "application/problem+json"), (status = 401, body = errors::Problem, content_type = "application/problem+json"),
        (status = 404, body = errors::Problem, content_type = "application/problem+json")))]
pub async fn post_contact_details(
    State(state): State<AppState>,
    user: ServiceUserCaller,
    Path(id): Path<String>,
    JsonBody(body, ..): JsonBody<dto::ContactDetails, OpenWealth>,
) -> Result<(StatusCode, Extension<ConcernsCustomer>, Json<dto::ContactDetails>)> {
    let person = PersonId(path_id(&id, "person")?);
    let detail: ContactDetail = parse_wire(&body, "").map_err(AppError::from)?;
    let (customer, view) = state
        .services
        .wealth
        .add_contact_detail(&user.ctx, &user.audience, person, detail)
        .await
        .map_err(|e| scoped(e, "person", &id))?;
    Ok((StatusCode::CREATED, Extension(ConcernsCustomer(customer)), Json(contact_dto(&view))))
}

// ---- addresses ----

/// Which address a GET returns.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct AddressQuery {
    /// The address to return (an extension: by default the domicile address, else the first one).
    pub address_identification: Option<i64>,
}

fn address_query(q: std::result::Result<Query<AddressQuery>, QueryRejection>) -> std::result::Result<Option<i64>, ApiError> {
    let Query(q) =
        q.map_err(|e| ApiError::bad_request("addressIdentification", format!("the query is invalid: {}", e.body_text())))?;
    Ok(q.address_identification)
}

async fn address(state: &AppState, user: &ServiceUserCaller, id: &str, number: Option<i64>) -> Result<Json<dto::Address>> {
    let customer = CustomerId(path_id(id, "customer")?);
    match state.services.wealth.address(&user.ctx, &user.audience, customer, number).await {
        Ok(a) => Ok(Json(address_dto(&a))),
        Err(AppError::NotFound("address")) => Err(address_missing(id, number)),
        Err(e) => Err(scoped(e, "customer", id)),
    }
}

async fn add_address(state: &AppState, user: &ServiceUserCaller, id: &str, body: dto::AddressNew) -> Result<Response> {
    let customer = CustomerId(path_id(id, "customer")?);
    let address: WealthAddress = body.to_domain().map_err(AppError::from)?;
    let n = state
        .services
        .wealth
        .add_address(&user.ctx, &user.audience, customer, address)
        .await
        .map_err(|e| scoped(e, "customer", id))?;
    Ok((StatusCode::CREATED, Json(dto::AddressIdentificationResponse { address_identification: n.to_string() })).into_response())
}

async fn replace_address(state: &AppState, user: &ServiceUserCaller, id: &str, body: dto::Address) -> Result<StatusCode> {
    let customer = CustomerId(path_id(id, "customer")?);
    let address: WealthAddress = parse_wire(&body, "").map_err(AppError::from)?;
    let update = AddressUpdate { number: body.address_identification, is_domicile: body.is_domicile, address };
    match state.services.wealth.put_address(&user.ctx, &user.audience, customer, update).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(AppError::NotFound("address")) => Err(address_missing(id, Some(body.address_identification))),
        Err(e) => Err(scoped(e, "customer", id)),
    }
}

#[utoipa::path(get, path = "/openwealth/customers/{customerId}/addresses", tag = "Wealth management", operation_id = "getAddressByCustomerId",
    summary = "Returns the address of a customer",
    description = "One address object: the domicile address (address 1, the customer's address data), or the one named by `addressIdentification`.",
    params(("customerId" = String, Path, description = "The customer's id"), AddressQuery, ("X-Correlation-ID" = String, Header, description = "Caller-defined request id, echoed back")),
    security(("BearerAuth" = [])),
    responses((status = 200, body = dto::Address, headers(("X-Correlation-ID" = String))),
        (status = 401, body = errors::Problem, content_type = "application/problem+json"),
        (status = 404, body = errors::Problem, content_type = "application/problem+json")))]
pub async fn get_address(
    State(state): State<AppState>,
    user: ServiceUserCaller,
    Path(id): Path<String>,
    query: std::result::Result<Query<AddressQuery>, QueryRejection>,
) -> Result<Json<dto::Address>> {
    address(&state, &user, &id, address_query(query)?).await
}

#[utoipa::path(post, path = "/openwealth/customers/{customerId}/addresses", tag = "Wealth management", operation_id = "postAddressByCustomerId",
    summary = "Creates a new address for a customer",
    description = "The customer's first address becomes its domicile address (address 1): its street, post code, town and country are then the customer's address data and required.",
    params(("customerId" = String, Path, description = "The customer's id"), ("X-Correlation-ID" = String, Header, description = "Caller-defined request id, echoed back")),
    request_body = dto::AddressNew, security(("BearerAuth" = [])),
    responses((status = 201, body = dto::AddressIdentificationResponse, description = "Created", headers(("X-Correlation-ID" = String))),
        (status = 400, body = errors::Problem, content_type = "application/problem+json"), (status = 401, body = errors::Problem, content_type = "application/problem+json"),
        (status = 404, body = errors::Problem, content_type = "application/problem+json")))]
pub async fn post_address(
    State(state): State<AppState>,
    user: ServiceUserCaller,
    Path(id): Path<String>,
    JsonBody(body, ..): JsonBody<dto::AddressNew, OpenWealth>,
) -> Result<Response> {
    add_address(&state, &user, &id, body).await
}

#[utoipa::path(put, path = "/openwealth/customers/{customerId}/addresses", tag = "Wealth management", operation_id = "putAddressByCustomerId",
    summary = "Updates an address of a customer",
    description = "Replaces the address named by `addressIdentification`. For the domicile address (1) the location is written to the customer's address data in the same transaction, so every API sees it.",
    params(("customerId" = String, Path, description = "The customer's id"), ("X-Correlation-ID" = String, Header, description = "Caller-defined request id, echoed back")),
    request_body = dto::Address, security(("BearerAuth" = [])),
    responses((status = 204, description = "No content", headers(("X-Correlation-ID" = String))),
        (status = 400, body = errors::Problem, content_type = "application/problem+json"), (status = 401, body = errors::Problem, content_type = "application/problem+json"),
        (status = 404, body = errors::Problem, content_type = "application/problem+json")))]
pub async fn put_address(
    State(state): State<AppState>,
    user: ServiceUserCaller,
    Path(id): Path<String>,
    JsonBody(body, ..): JsonBody<dto::Address, OpenWealth>,
) -> Result<StatusCode> {
    replace_address(&state, &user, &id, body).await
}

#[utoipa::path(get, path = "/openwealth/customer/{customerId}/addresses", tag = "Wealth management", operation_id = "getAddressByCustomerIdSingular",
    summary = "Returns the address of a customer (singular path)", description = "The same as `GET /customers/{customerId}/addresses`, under the path the bLink overview names.",
    params(("customerId" = String, Path, description = "The customer's id"), AddressQuery, ("X-Correlation-ID" = String, Header, description = "Caller-defined request id, echoed back")),
    security(("BearerAuth" = [])),
    responses((status = 200, body = dto::Address, headers(("X-Correlation-ID" = String))), (status = 404, body = errors::Problem, content_type = "application/problem+json")))]
pub async fn get_address_singular(
    State(state): State<AppState>,
    user: ServiceUserCaller,
    Path(id): Path<String>,
    query: std::result::Result<Query<AddressQuery>, QueryRejection>,
) -> Result<Json<dto::Address>> {
    address(&state, &user, &id, address_query(query)?).await
}

#[utoipa::path(post, path = "/openwealth/customer/{customerId}/addresses", tag = "Wealth management", operation_id = "postAddressByCustomerIdSingular",
    summary = "Creates a new address for a customer (singular path)", description = "The same as `POST /customers/{customerId}/addresses`.",
    params(("customerId" = String, Path, description = "The customer's id"), ("X-Correlation-ID" = String, Header, description = "Caller-defined request id, echoed back")),
    request_body = dto::AddressNew, security(("BearerAuth" = [])),
    responses((status = 201, body = dto::AddressIdentificationResponse, description = "Created"), (status = 400, body = errors::Problem, content_type = "application/problem+json")))]
pub async fn post_address_singular(
    State(state): State<AppState>,
    user: ServiceUserCaller,
    Path(id): Path<String>,
    JsonBody(body, ..): JsonBody<dto::AddressNew, OpenWealth>,
) -> Result<Response> {
    add_address(&state, &user, &id, body).await
}

#[utoipa::path(put, path = "/openwealth/customer/{customerId}/addresses", tag = "Wealth management", operation_id = "putAddressByCustomerIdSingular",
    summary = "Updates an address of a customer (singular path)", description = "The same as `PUT /customers/{customerId}/addresses`.",
    params(("customerId" = String, Path, description = "The customer's id"), ("X-Correlation-ID" = String, Header, description = "Caller-defined request id, echoed back")),
    request_body = dto::Address, security(("BearerAuth" = [])),
    responses((status = 204, description = "No content"), (status = 400, body = errors::Problem, content_type = "application/problem+json")))]
pub async fn put_address_singular(
    State(state): State<AppState>,
    user: ServiceUserCaller,
    Path(id): Path<String>,
    JsonBody(body, ..): JsonBody<dto::Address, OpenWealth>,
) -> Result<StatusCode> {
    replace_address(&state, &user, &id, body).await
}

// ---- health ----

/// Headers never echoed: credentials.
/// Request headers that carry credentials: never echoed by the healthcheck. Header names are
/// lower-case here, whatever the client sent.
const SECRET_HEADERS: [&str; 5] = ["authorization", "proxy-authorization", "cookie", "x-api-key", "x-subscription-key"];

#[utoipa::path(get, path = "/openwealth/healthcheck", tag = "Wealth management", operation_id = "getHealthcheck",
    summary = "Health check of the customer-management module",
    description = "Answers with a timestamp and the request headers as received (credentials left out) when the module and its database are available; no token needed.",
    params(("X-Correlation-ID" = String, Header, description = "Caller-defined request id, echoed back")),
    responses((status = 200, body = dto::Healthcheck, headers(("X-Correlation-ID" = String))),
        (status = 400, body = errors::Problem, content_type = "application/problem+json"),
        (status = 503, body = errors::Problem, content_type = "application/problem+json")))]
pub async fn healthcheck(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<dto::Healthcheck>> {
    if let Err(e) = state.services.store.ping().await {
        tracing::warn!(error = %e, "wealth-management health check: the database does not answer");
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code::UNAVAILABLE,
            "the customer-management module is not available",
        )
        .into());
    }
    let mut received: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers.iter().filter(|(n, _)| !SECRET_HEADERS.contains(&n.as_str())) {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        received.entry(name.as_str().to_owned()).and_modify(|v| *v = format!("{v}, {value}")).or_insert(value);
    }
    Ok(Json(dto::Healthcheck {
        status: "UP".into(),
        timestamp: custodian_app::clock::rfc3339(state.services.clock.now_ms()),
        received_headers: received,
    }))
}
