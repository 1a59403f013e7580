//! The data-protection part of the storage port: everything kept about one person, read in one
//! transaction (subject access export), and the erasure of that person from every table in one
//! transaction, keeping only the shape of the history (ids, timestamps, actors, actions, field
//! names).

use crate::webhooks::Delivery;
use crate::{AuditEntry, Customer, OutboxEvent, Records, StoreResult};
use async_trait::async_trait;
use custodian_domain::{Amendment, AmendmentId, CustomerId, TenantId};
use std::collections::BTreeMap;

/// Everything Custodian keeps about one customer.
#[derive(Debug, Clone)]
pub struct CustomerDossier {
    pub customer: Customer,
    /// Every amendment, oldest first, with its proposal and signature.
    pub amendments: Vec<Amendment>,
    /// The customer's audit entries, oldest first.
    pub audit: Vec<AuditEntry>,
    /// The customer's events in sequence order.
    pub events: Vec<OutboxEvent>,
    /// Webhook deliveries of those events.
    pub deliveries: Vec<Delivery>,
    /// The other rows kept about the customer, as stored (the dialects' profiles, persons, contact
    /// details, addresses, consents, receipts and operations, API keys bound to it, search terms):
    /// table name → rows as JSON objects (column → value; JSON documents inlined). Tables without
    /// rows are left out.
    pub rows: BTreeMap<String, Vec<serde_json::Value>>,
}

/// What an erasure removed or rewrote: table name → rows, and the amendments it withdrew.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErasureReport {
    pub rows: BTreeMap<String, u64>,
    pub withdrawn: Vec<AmendmentId>,
}

/// Builds the audit entries and events of an erasure once the withdrawn amendments are known.
pub type ErasureRecords = Box<dyn FnOnce(&[AmendmentId]) -> Records + Send>;

#[async_trait]
pub trait PrivacyStore: Send + Sync {
    /// Reads everything kept about a customer and writes `records` (the export's audit entry) in
    /// the same transaction. `NotFound` for an unknown or erased customer.
    async fn export_customer(&self, tenant: TenantId, customer: CustomerId, records: Records) -> StoreResult<CustomerDossier>;

    /// Erases a customer in one transaction: withdraws its pending amendments, deletes its current
    /// data, dialect rows, consents, search terms, receipts and proposals, strips the values from
    /// its audit entries and event payloads, revokes the keys bound to it, marks it erased, and
    /// then writes `records` (the erasure's audit entries and its `customer.erased` event).
    /// `Conflict` when it is a partner customer with sub-customers; `NotFound` when unknown or
    /// erased already. On SQLite the freed content is zeroed (`secure_delete`) and the WAL is
    /// checkpointed afterwards.
    async fn erase_customer(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        at_ms: i64,
        records: ErasureRecords,
    ) -> StoreResult<ErasureReport>;
}
