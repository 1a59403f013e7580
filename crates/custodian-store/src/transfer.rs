//! The bulk part of the storage port: customers imported in batches (one transaction per batch,
//! keyed by their external id so that a batch run twice writes nothing twice) and a tenant's
//! customers read out page by page for an export.
//!
//! An [`ImportCustomer`] carries its rows in their stored form, computed when it is built (by the
//! importer's reading thread), so the writer only binds them: the stored JSON of each domain, its
//! search terms and its audit entry's salted values digest. Only the hash chain link, which names
//! the customer's id, is computed inside the transaction.

use crate::audit::{HashedFields, entry_hash, values_digest};
use crate::{NewEvent, StoreResult};
use async_trait::async_trait;
use custodian_domain::values::ExternalId;
use custodian_domain::{Actor, CustomerId, DataDomain, DomainData, FieldChange, TenantId};

/// One customer to import, validated already, with its rows prepared.
#[derive(Debug, Clone)]
pub struct ImportCustomer {
    pub external_id: Option<ExternalId>,
    pub data: Vec<DomainData>,
    /// (domain, stored JSON) of each domain.
    pub stored: Vec<(DataDomain, String)>,
    /// (source, term) search terms.
    pub terms: Vec<(&'static str, String)>,
    /// Its audit entry: field names, changes as stored JSON, salt and salted values digest.
    pub audit: PreparedAudit,
}

/// An audit entry's parts that do not depend on the customer's id.
#[derive(Debug, Clone)]
pub struct PreparedAudit {
    pub field_names: Vec<String>,
    pub changes_json: String,
    pub salt: String,
    pub digest: String,
}

impl PreparedAudit {
    /// The entry hash of the imported customer's audit entry: the first of its own chain, so it
    /// follows the empty head.
    pub fn first_entry_hash(&self, tenant: TenantId, customer: i64, at_ms: i64, actor: &str, action: &str) -> String {
        let names: Vec<&str> = self.field_names.iter().map(String::as_str).collect();
        let fields = HashedFields {
            tenant: tenant.0,
            customer: Some(customer),
            at_ms,
            actor,
            action,
            domain: None,
            amendment_id: None,
            values_digest: &self.digest,
            request_id: None,
        };
        entry_hash("", &fields, &names)
    }
}

impl ImportCustomer {
    /// Prepares a customer: `changes` are what its audit entry records.
    pub fn new(external_id: Option<ExternalId>, data: Vec<DomainData>, changes: &[FieldChange]) -> ImportCustomer {
        let mut stored = Vec::with_capacity(data.len());
        let mut terms = Vec::new();
        for d in &data {
            let domain = d.domain();
            stored.push((domain, d.to_json().to_string()));
            terms.extend(custodian_domain::search::terms(d).into_iter().map(|t| (domain.as_str(), t)));
        }
        if let Some(e) = &external_id {
            terms.push(("external", custodian_domain::search::external_number_term(e.as_str())));
        }
        let salt = hex::encode(rand::random::<[u8; 16]>());
        let audit = PreparedAudit {
            field_names: changes.iter().map(|c| c.field.clone()).collect(),
            changes_json: serde_json::to_string(changes).expect("changes serialise"),
            digest: values_digest(&salt, changes),
            salt,
        };
        ImportCustomer { external_id, data, stored, terms, audit }
    }
}

/// Who imports and what each imported customer's audit entry says; `events` gives each new
/// customer's events (webhooks, NATS), if any.
pub struct ImportAudit<'a> {
    pub actor: Actor,
    pub action: &'a str,
    pub events: Option<&'a (dyn Fn(CustomerId) -> Vec<NewEvent> + Sync)>,
}

/// A customer as an export writes it: its external id and current data, by domain.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedCustomer {
    pub id: CustomerId,
    pub external_id: Option<ExternalId>,
    pub data: Vec<DomainData>,
}

#[async_trait]
pub trait TransferStore: Send + Sync {
    /// Creates the customers of `batch` in one transaction, each with its data (version 1), search
    /// terms, one audit entry (`audit`) and its events. A customer whose external id the tenant
    /// has already is skipped (the unique index decides). Answers, in batch order, the new id of
    /// each customer or `None` for a skipped one; ids follow the batch order. All or nothing: on
    /// error nothing of the batch is written. `NotFound` for an unknown tenant.
    async fn import_customers(
        &self,
        tenant: TenantId,
        batch: Vec<ImportCustomer>,
        now_ms: i64,
        audit: &ImportAudit<'_>,
    ) -> StoreResult<Vec<Option<CustomerId>>>;

    /// Up to `limit` of the tenant's customers (not erased) with ids above `after`, by id, with
    /// their current data.
    async fn export_customers(
        &self,
        tenant: TenantId,
        after: Option<CustomerId>,
        limit: i64,
    ) -> StoreResult<Vec<ExportedCustomer>>;
}
