//! Records the store reads and writes that are not domain types themselves.

use custodian_domain::{Actor, AmendmentState, CustomerId, DataDomain, DomainData, FieldChange, SanitizedSvg, Scope, TenantId};
use std::collections::BTreeMap;

/// A tenant (studio or business).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub created_ms: i64,
}

/// An API key to create; only the hash of its secret is stored.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub tenant_id: TenantId,
    /// Public, non-secret identifier shown in logs and the audit trail.
    pub prefix: String,
    /// Lowercase hex SHA-256 of the whole key.
    pub key_hash: String,
    pub scopes: Vec<Scope>,
    pub label: String,
    pub created_ms: i64,
}

/// A stored API key (without any secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: i64,
    pub tenant_id: TenantId,
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub label: String,
    pub created_ms: i64,
}

impl ApiKeyRecord {
    /// The record of a key just stored under `id` (the hash stays behind).
    pub fn stored(id: i64, key: NewApiKey) -> ApiKeyRecord {
        ApiKeyRecord {
            id,
            tenant_id: key.tenant_id,
            prefix: key.prefix,
            scopes: key.scopes,
            label: key.label,
            created_ms: key.created_ms,
        }
    }
}

/// One domain's current data and its version (incremented by every applied change).
#[derive(Debug, Clone, PartialEq)]
pub struct VersionedData {
    pub data: DomainData,
    pub version: i64,
}

/// A customer with the data of every domain that has any.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: CustomerId,
    pub tenant_id: TenantId,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub domains: BTreeMap<DataDomain, VersionedData>,
}

impl Customer {
    /// The version of a domain's data; 0 when the domain has no data yet.
    pub fn version(&self, domain: DataDomain) -> i64 {
        self.domains.get(&domain).map_or(0, |d| d.version)
    }

    pub fn data(&self, domain: DataDomain) -> Option<&DomainData> {
        self.domains.get(&domain).map(|d| &d.data)
    }
}

/// Writes new data into a domain, provided its version is still `expected_version`.
#[derive(Debug, Clone)]
pub struct Apply {
    pub data: DomainData,
    pub expected_version: i64,
    pub at_ms: i64,
}

/// An amendment to insert.
#[derive(Debug, Clone)]
pub struct NewAmendment {
    pub tenant_id: TenantId,
    pub customer_id: CustomerId,
    pub state: AmendmentState,
    pub proposed: DomainData,
    pub signature: Option<SanitizedSvg>,
    pub base_version: i64,
    pub submitted_by: Actor,
    pub submitted_at_ms: i64,
}

/// An audit entry to write.
#[derive(Debug, Clone)]
pub struct NewAudit {
    pub customer_id: Option<CustomerId>,
    pub actor: Actor,
    /// What happened, e.g. `amendment.submitted`, `customer.updated`, `policy.changed`.
    pub action: String,
    pub domain: Option<DataDomain>,
    pub amendment_id: Option<custodian_domain::AmendmentId>,
    pub changes: Vec<FieldChange>,
    pub at_ms: i64,
    pub request_id: Option<String>,
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub customer_id: Option<CustomerId>,
    pub actor: Actor,
    pub action: String,
    pub domain: Option<DataDomain>,
    pub amendment_id: Option<custodian_domain::AmendmentId>,
    pub changes: Vec<FieldChange>,
    pub at_ms: i64,
    pub request_id: Option<String>,
}

/// An event to append to the outbox; the store assigns the customer's next sequence number.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub event_type: String,
    pub payload: serde_json::Value,
    pub at_ms: i64,
    pub request_id: Option<String>,
}

/// A stored outbox event.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    pub id: i64,
    pub customer_id: CustomerId,
    pub seq: i64,
    pub event_type: String,
    pub payload: serde_json::Value,
    pub at_ms: i64,
    pub request_id: Option<String>,
}

/// The audit entries and events that accompany a change.
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub audit: Vec<NewAudit>,
    pub events: Vec<NewEvent>,
}

/// Builds the records of a customer creation once its id is known.
pub type NewCustomerRecords = Box<dyn FnOnce(CustomerId) -> Records + Send>;

/// Filters and cursor of the review queue.
#[derive(Debug, Clone, Default)]
pub struct AmendmentQuery {
    pub domain: Option<DataDomain>,
    pub state: Option<AmendmentState>,
    pub customer: Option<CustomerId>,
    /// Only amendments with an id greater than this (ascending order, oldest first).
    pub after: Option<custodian_domain::AmendmentId>,
    pub limit: i64,
}
