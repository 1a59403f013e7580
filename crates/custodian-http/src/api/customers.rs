//! Customers in the native API: create with initial data, read (IBAN masked unless admin), list,
//! edit one domain directly, and read the audit trail.

use super::{FieldChangeView, NativeAdmin, NativeCaller, Result, timestamp};
use crate::body::JsonBody;
use crate::domains::{CustomerAddressData, CustomerContactData, CustomerMasterData, CustomerPaymentData};
use crate::error::{ApiError, Native};
use crate::idempotency::ConcernsCustomer;
use crate::params::parse_id;
use crate::params::{cut_page, page_limit, parse_cursor};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Extension, Json, Router};
use custodian_app::{AppError, Context};
use custodian_domain::{CustomerId, DataDomain, DomainData, FieldError, Scope};
use custodian_store::{AuditEntry, Customer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/customers", get(list_customers).post(create_customer))
        .route("/customers/{id}", get(get_customer))
        .route("/customers/{id}/audit", get(get_audit_trail))
        .route("/audit", get(get_tenant_audit_trail))
        .route("/customers/{id}/{domain}", put(update_customer_domain))
}

/// Data for any of the four domains.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CustomerData {
    pub contact: Option<CustomerContactData>,
    pub address: Option<CustomerAddressData>,
    pub master: Option<CustomerMasterData>,
    pub payment: Option<CustomerPaymentData>,
}

fn within<T>(domain: &str, r: std::result::Result<T, FieldError>) -> std::result::Result<T, AppError> {
    r.map_err(|e| AppError::from(e.within(domain)))
}

impl CustomerData {
    fn parse(self, today: time::Date) -> std::result::Result<Vec<DomainData>, AppError> {
        let mut out = Vec::new();
        if let Some(c) = self.contact {
            out.push(DomainData::Contact(within("contact", c.parse())?));
        }
        if let Some(a) = self.address {
            out.push(DomainData::Address(Box::new(within("address", a.parse())?)));
        }
        if let Some(m) = self.master {
            out.push(DomainData::Master(within("master", m.parse(today))?));
        }
        if let Some(p) = self.payment {
            out.push(DomainData::Payment(within("payment", p.parse())?));
        }
        Ok(out)
    }
}

/// A customer with the data of every domain that has any.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerView {
    pub id: i64,
    pub created_at: String,
    pub updated_at: String,
    /// Domain name → its data (camelCase fields as in the self-service API; IBAN masked unless the caller is admin).
    pub data: BTreeMap<String, serde_json::Value>,
    /// Domain name → data version (0 when the domain has no data).
    pub versions: BTreeMap<String, i64>,
}

pub(crate) fn view(c: &Customer, unmask: bool) -> CustomerView {
    let mut data = BTreeMap::new();
    let mut versions = BTreeMap::new();
    for domain in DataDomain::ALL {
        versions.insert(domain.as_str().to_owned(), c.version(domain));
        if let Some(d) = c.data(domain) {
            let mut json = d.to_json();
            if let (DomainData::Payment(p), false) = (d, unmask) {
                json["iban"] = p.iban.masked().into();
            }
            data.insert(domain.as_str().to_owned(), json);
        }
    }
    CustomerView { id: c.id.0, created_at: timestamp(c.created_ms), updated_at: timestamp(c.updated_ms), data, versions }
}

#[utoipa::path(post, path = "/api/v1/customers", tag = "Customers", summary = "Create a customer",
    description = "Creates a customer with data for any of the four domains. Scope ADMIN.",
    request_body = CustomerData, security(("ApiKeyAuth" = [])),
    responses((status = 201, body = CustomerView), (status = 400, description = "Invalid data; `reference` names the field")))]
pub async fn create_customer(
    State(state): State<AppState>,
    caller: NativeAdmin,
    JsonBody(body, ..): JsonBody<CustomerData, Native>,
) -> Result<(StatusCode, Extension<ConcernsCustomer>, Json<CustomerView>)> {
    let ctx = caller.ctx;
    let data = body.parse(state.services.clock.today())?;
    let c = state.services.customers.create(&ctx, data).await?;
    Ok((StatusCode::CREATED, Extension(ConcernsCustomer(c.id)), Json(view(&c, true))))
}

fn reader(caller: &NativeCaller) -> Result<(Context, bool)> {
    let ctx = caller.require_any(&[Scope::StaffReview, Scope::Admin])?;
    Ok((ctx, caller.principal.has(Scope::Admin)))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "Customers", summary = "Show a customer",
    description = "Scope STAFF_REVIEW or ADMIN; the IBAN is masked unless the caller has ADMIN.",
    params(("id" = i64, Path, description = "Customer id")), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = CustomerView), (status = 404, description = "No such customer for this tenant")))]
pub async fn get_customer(
    State(state): State<AppState>,
    caller: NativeCaller,
    Path(id): Path<String>,
) -> Result<Json<CustomerView>> {
    let (ctx, admin) = reader(&caller)?;
    let c = state.services.customers.get(&ctx, CustomerId(parse_id(&id, "id")?)).await?;
    Ok(Json(view(&c, admin)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub cursor: Option<String>,
    /// 1..=200, default 50.
    pub limit: Option<i64>,
}

/// A page of customers.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerPage {
    pub items: Vec<CustomerView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

pub(crate) fn page_query(
    q: std::result::Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<(Option<i64>, i64)> {
    let Query(q) = q.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "validation.invalid_query", e.body_text()))?;
    Ok((parse_cursor(q.cursor.as_deref())?, page_limit(q.limit)?))
}

/// Filters of the customer list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CustomerQuery {
    /// Finds customers whose first or last name ("sven", "hannawald", "sven hann"), e-mail address,
    /// phone digits ("030 1234" and "+49 30 1234" both work) or external customer number starts
    /// with this text, case-insensitively. 2 to 100 characters.
    pub search: Option<String>,
    pub cursor: Option<String>,
    /// 1..=200, default 50.
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/customers", tag = "Customers", summary = "List or find customers",
    description = "Ordered by id; with `search`, only the customers it finds. Unknown query parameters are refused. Scope STAFF_REVIEW or ADMIN.",
    params(CustomerQuery), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = CustomerPage)))]
pub async fn list_customers(
    State(state): State<AppState>,
    caller: NativeCaller,
    query: std::result::Result<Query<CustomerQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<CustomerPage>> {
    let (ctx, admin) = reader(&caller)?;
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "validation.invalid_query", e.body_text()))?;
    let (after, limit) = (parse_cursor(q.cursor.as_deref())?.map(CustomerId), page_limit(q.limit)?);
    let customers = &state.services.customers;
    let found = match q.search.as_deref() {
        Some(text) => customers.search(&ctx, text, after, limit + 1).await?,
        None => customers.list(&ctx, after, limit + 1).await?,
    };
    let (items, next_cursor) = cut_page(found, limit, |c| c.id.0);
    Ok(Json(CustomerPage { items: items.iter().map(|c| view(c, admin)).collect(), next_cursor }))
}

#[utoipa::path(put, path = "/api/v1/customers/{id}/{domain}", tag = "Customers", summary = "Edit one domain directly",
    description = "Replaces the domain's data at once, bypassing the amendment policy (audited, announced). A pending amendment of the domain is then flagged as made against changed data. Scope ADMIN.",
    params(("id" = i64, Path, description = "Customer id"), ("domain" = String, Path, description = "contact, address, master or payment")),
    request_body(content = serde_json::Value, description = "The domain's fields as in the self-service API"), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = CustomerView), (status = 400, description = "Invalid data"), (status = 404, description = "No such customer or domain")))]
pub async fn update_customer_domain(
    State(state): State<AppState>,
    caller: NativeAdmin,
    Path((id, domain)): Path<(String, String)>,
    JsonBody(body, ..): JsonBody<serde_json::Value, Native>,
) -> Result<Json<CustomerView>> {
    let ctx = caller.ctx;
    let id = CustomerId(parse_id(&id, "id")?);
    let domain: DataDomain = domain.parse().map_err(|m: String| ApiError::new(StatusCode::NOT_FOUND, "domain.not_found", m))?;
    let mut wrapped = serde_json::Map::new();
    wrapped.insert(domain.as_str().to_owned(), body);
    let data: CustomerData = serde_path_to_error::deserialize(serde_json::Value::Object(wrapped)).map_err(|e| {
        let path = e.path().to_string();
        ApiError::bad_request(&path, format!("{path}: {}", e.into_inner()))
    })?;
    let data =
        data.parse(state.services.clock.today())?.pop().ok_or_else(|| ApiError::bad_request(domain.as_str(), "no data"))?;
    let c = state.services.customers.update_domain(&ctx, id, data).await?;
    Ok(Json(view(&c, true)))
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntryView {
    pub id: i64,
    pub at: String,
    /// `kind:id`, e.g. `staff:alice` or `api_key:AbCd1234`.
    pub actor: String,
    /// e.g. `amendment.submitted`, `amendment.approved`, `amendment.applied`, `customer.updated`.
    pub action: String,
    pub domain: Option<String>,
    pub amendment_id: Option<i64>,
    pub changes: Vec<FieldChangeView>,
    pub request_id: Option<String>,
}

pub(crate) fn audit_view(e: &AuditEntry, unmask: bool) -> AuditEntryView {
    AuditEntryView {
        id: e.id,
        at: timestamp(e.at_ms),
        actor: e.actor.to_string(),
        action: e.action.clone(),
        domain: e.domain.map(|d| d.as_str().to_owned()),
        amendment_id: e.amendment_id.map(|a| a.0),
        changes: e
            .changes
            .iter()
            .map(|c| {
                let mut v = FieldChangeView::from(c);
                if c.field == "iban" && !unmask {
                    v.before = v.before.as_ref().map(super::masked_iban);
                    v.after = v.after.as_ref().map(super::masked_iban);
                }
                v
            })
            .collect(),
        request_id: e.request_id.clone(),
    }
}

/// A page of audit entries, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    pub items: Vec<AuditEntryView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/audit", tag = "Customers", summary = "The customer's audit trail",
    description = "Every applied change and amendment state change, with actor, time and before/after values (IBANs masked unless the caller has ADMIN). Scope STAFF_REVIEW or ADMIN.",
    params(("id" = i64, Path, description = "Customer id"), PageQuery), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = AuditPage), (status = 404, description = "No such customer for this tenant")))]
pub async fn get_audit_trail(
    State(state): State<AppState>,
    caller: NativeCaller,
    Path(id): Path<String>,
    query: std::result::Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AuditPage>> {
    let (ctx, admin) = reader(&caller)?;
    let id = CustomerId(parse_id(&id, "id")?);
    let (after, limit) = page_query(query)?;
    let (items, next_cursor) = cut_page(state.services.customers.audit_trail(&ctx, id, after, limit + 1).await?, limit, |e| e.id);
    Ok(Json(AuditPage { items: items.iter().map(|e| audit_view(e, admin)).collect(), next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "Customers", summary = "The tenant's audit trail",
    description = "Every audited change of the tenant: customers, policies, webhook endpoints switched off, API keys and staff accounts created, revoked or deleted. Scope ADMIN.",
    params(PageQuery), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = AuditPage)))]
pub async fn get_tenant_audit_trail(
    State(state): State<AppState>,
    caller: NativeCaller,
    query: std::result::Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AuditPage>> {
    let ctx = caller.require(Scope::Admin)?;
    let (after, limit) = page_query(query)?;
    let (items, next_cursor) =
        cut_page(state.services.customers.tenant_audit_trail(&ctx, after, limit + 1).await?, limit, |e| e.id);
    Ok(Json(AuditPage { items: items.iter().map(|e| audit_view(e, true)).collect(), next_cursor }))
}
