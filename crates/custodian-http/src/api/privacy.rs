//! Data-protection routes of the native API (scope ADMIN): the subject access export of one
//! customer (GDPR Art. 15 and 20) and its erasure (Art. 17).

use super::amendments::AmendmentView;
use super::customers::{AuditEntryView, CustomerView, audit_view, view};
use super::webhooks::DeliveryView;
use super::{NativeAdmin, Result, timestamp};
use crate::params::parse_id;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use custodian_app::{AppError, Context};
use custodian_domain::CustomerId;
use custodian_store::{CustomerDossier, ErasureReport, OutboxEvent};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/customers/{id}/export", get(export_customer))
        .route("/customers/{id}", axum::routing::delete(erase_customer))
}

/// An amendment with everything stored about it, its signature included.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportedAmendment {
    #[serde(flatten)]
    pub amendment: AmendmentView,
    /// The handwritten signature as the sanitised SVG document that was stored, if any.
    pub signature_svg: Option<String>,
}

/// One event of the customer as it was written to the outbox (and delivered to webhooks).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportedEvent {
    pub id: i64,
    /// The event's per-customer sequence number.
    pub sequence: i64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub occurred_at: String,
    pub request_id: Option<String>,
    /// The event as delivered: its `id` (the webhook id), `type`, `customerId`, `sequence` and
    /// what changed.
    pub payload: serde_json::Value,
}

impl From<&OutboxEvent> for ExportedEvent {
    fn from(e: &OutboxEvent) -> Self {
        ExportedEvent {
            id: e.id,
            sequence: e.seq,
            event_type: e.event_type.clone(),
            occurred_at: timestamp(e.at_ms),
            request_id: e.request_id.clone(),
            payload: e.payload.clone(),
        }
    }
}

/// Everything Custodian keeps about one person (GDPR Art. 15 and 20), as one JSON document.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerExport {
    /// When the export was made.
    pub exported_at: String,
    /// The current data of the four domains, IBAN in full.
    pub customer: CustomerView,
    /// Every amendment, oldest first, with its proposal and signature.
    pub amendments: Vec<ExportedAmendment>,
    /// Every audit entry about the customer, oldest first, with before and after values (this
    /// export's own `customer.exported` entry included).
    pub audit: Vec<AuditEntryView>,
    /// Every event about the customer, in sequence order.
    pub events: Vec<ExportedEvent>,
    /// The webhook deliveries of those events.
    pub webhook_deliveries: Vec<DeliveryView>,
    /// What the vendor dialects and the rest of Custodian keep about the customer, as stored:
    /// table → rows (column → value, JSON documents inlined). Tables that may appear:
    /// `billing_profiles`, `billing_receipts` (subscription billing), `wealth_profiles` (profile and
    /// KYC), `wealth_persons`, `wealth_person_customers`, `wealth_contact_details`,
    /// `wealth_addresses`, `wealth_consents` (OpenWealth), `partner_customers`, `partner_contacts`,
    /// `partner_addresses`, `partner_operations` (partner hierarchy), `idempotency_receipts` (answers
    /// kept for retried requests), `api_keys` (keys bound to the customer; never a secret), `customer_search_terms` (what staff search finds it by). Tables
    /// without rows are left out.
    #[schema(value_type = BTreeMap<String, Vec<Object>>)]
    pub records: BTreeMap<String, Vec<serde_json::Value>>,
}

impl CustomerExport {
    fn new(d: CustomerDossier, now_ms: i64) -> Self {
        CustomerExport {
            exported_at: timestamp(now_ms),
            customer: view(&d.customer, true),
            amendments: d
                .amendments
                .iter()
                .map(|a| ExportedAmendment {
                    amendment: AmendmentView::new(a, true),
                    signature_svg: a.signature.as_ref().map(|s| s.as_str().to_owned()),
                })
                .collect(),
            audit: d.audit.iter().map(|e| audit_view(e, true)).collect(),
            events: d.events.iter().map(ExportedEvent::from).collect(),
            webhook_deliveries: d.deliveries.iter().map(DeliveryView::from).collect(),
            records: d.rows,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/export", tag = "Data protection", summary = "Export everything kept about a customer",
    description = "The subject access export (GDPR Art. 15 and 20): one JSON document with the customer's current data, every amendment with its proposal and signature, the audit entries, the events and their webhook deliveries, and the rows every vendor dialect keeps about the customer. IBANs in full. The export itself is audited (`customer.exported`). Sent as an attachment (`customer-{id}.json`). Scope ADMIN.",
    params(("id" = i64, Path, description = "Customer id")), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = CustomerExport), (status = 404, description = "No such customer for this tenant (or it was erased)")))]
pub async fn export_customer(State(state): State<AppState>, caller: NativeAdmin, Path(id): Path<String>) -> Result<Response> {
    let id = CustomerId(parse_id(&id, "id")?);
    Ok(export_attachment(&state, &caller.ctx, id).await?)
}

/// The export of a customer as a JSON attachment (`customer-{id}.json`); also the console's
/// download. The caller must have checked that `ctx` is an admin's.
pub(crate) async fn export_attachment(
    state: &AppState,
    ctx: &Context,
    id: CustomerId,
) -> std::result::Result<Response, AppError> {
    let dossier = state.services.privacy.export(ctx, id).await?;
    let export = CustomerExport::new(dossier, state.services.clock.now_ms());
    let disposition = format!("attachment; filename=\"customer-{}.json\"", id.0);
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(export)).into_response())
}

/// What an erasure did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErasureResult {
    pub customer_id: i64,
    pub erased_at: String,
    /// The pending amendments that were withdrawn.
    pub withdrawn_amendments: Vec<i64>,
    /// Table → rows deleted or rewritten (audit entries and events keep their ids, times, actors,
    /// actions and field names; their values are removed).
    pub rows: BTreeMap<String, u64>,
}

impl ErasureResult {
    fn new(id: CustomerId, r: ErasureReport, now_ms: i64) -> Self {
        ErasureResult {
            customer_id: id.0,
            erased_at: timestamp(now_ms),
            withdrawn_amendments: r.withdrawn.iter().map(|a| a.0).collect(),
            rows: r.rows.into_iter().filter(|(_, n)| *n > 0).collect(),
        }
    }
}

#[utoipa::path(delete, path = "/api/v1/customers/{id}", tag = "Data protection", summary = "Erase a customer",
    description = "Erasure (GDPR Art. 17), in one transaction: pending amendments are withdrawn; the person's data is removed from every table that holds it (current data, amendment proposals and signatures, audit before/after values, event payloads, the dialects' rows, consents, receipts, search terms); keys bound to the customer are revoked. What stays is the shape of the history: ids, times, actors, actions and the names of the fields that changed. Afterwards every dialect answers the customer as not found; a `customer.erased` event (ids only) goes to webhooks and the erasure is audited (`customer.erased`). A partner customer with sub-customers is refused (409) until they are erased. Scope ADMIN.",
    params(("id" = i64, Path, description = "Customer id")), security(("ApiKeyAuth" = [])),
    responses((status = 200, body = ErasureResult),
        (status = 404, description = "No such customer for this tenant (or it was erased already)"),
        (status = 409, description = "The customer has sub-customers in the partner hierarchy; erase them first")))]
pub async fn erase_customer(
    State(state): State<AppState>,
    caller: NativeAdmin,
    Path(id): Path<String>,
) -> Result<Json<ErasureResult>> {
    let id = CustomerId(parse_id(&id, "id")?);
    let report = state.services.privacy.erase(&caller.ctx, id).await?;
    Ok(Json(ErasureResult::new(id, report, state.services.clock.now_ms())))
}
