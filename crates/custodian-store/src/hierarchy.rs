//! The partner-hierarchy part of the storage port: partner customers (profile, contacts,
//! addresses, place in the tree), their asynchronous operations, and API keys bound to a customer.
//!
//! Writes that touch the shared data domains too (the primary contact and address) apply the
//! shared [`Apply`]s, the partner rows, the audit entries, the outbox events and the operation's
//! completion in one transaction: all of it is written or none of it.

use crate::{ApiKeyRecord, Apply, NewApiKey, NewCustomerRecords, Records, StoreResult};
use async_trait::async_trait;
use custodian_domain::hierarchy::{
    CustomerUuid, Operation, OperationFailure, OperationKind, PartnerAddress, PartnerContact, PartnerCustomer, PartnerProfile,
    RequestId,
};
use custodian_domain::{CustomerId, TenantId};

/// A stored partner customer (contacts and addresses as stored, without the shared domains'
/// data shown on the primary entries) and the version of its partner rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerRecord {
    pub customer: PartnerCustomer,
    pub version: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// A partner customer to create, as a root (`ancestors` empty) or under the last of `ancestors`.
#[derive(Debug, Clone)]
pub struct NewPartnerCustomer {
    pub tenant_id: TenantId,
    pub uuid: CustomerUuid,
    /// From the root down to the parent.
    pub ancestors: Vec<CustomerId>,
    pub profile: PartnerProfile,
    pub contacts: Vec<PartnerContact>,
    pub addresses: Vec<PartnerAddress>,
    pub at_ms: i64,
}

/// New partner rows of a customer, provided they are still at `expected_version`.
#[derive(Debug, Clone)]
pub struct PartnerUpdate {
    pub profile: PartnerProfile,
    pub contacts: Vec<PartnerContact>,
    pub addresses: Vec<PartnerAddress>,
    pub expected_version: i64,
    pub at_ms: i64,
}

/// One child in a parent's list of sub-customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildCustomer {
    pub uuid: CustomerUuid,
    pub name: Option<String>,
}

/// One page of a parent's children, oldest first, and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildPage {
    pub children: Vec<ChildCustomer>,
    pub total: i64,
}

/// An operation to record as `OPEN`.
#[derive(Debug, Clone)]
pub struct NewOperation {
    pub tenant_id: TenantId,
    pub request_id: RequestId,
    pub requester: CustomerId,
    pub kind: OperationKind,
    pub target: CustomerUuid,
    pub created_ms: i64,
}

/// Completes an open operation as `SUCCESS` inside the write that carries it out.
#[derive(Debug, Clone, Copy)]
pub struct Completes {
    pub request_id: RequestId,
    pub at_ms: i64,
}

#[async_trait]
pub trait HierarchyStore: Send + Sync {
    /// Creates a customer with its partner rows, its initial shared-domain data, the records
    /// `records` builds and, with `completes`, its operation's `SUCCESS`, atomically. Fails with
    /// `NotFound` for an unknown tenant or parent, and with `NotPending` (writing nothing) when the
    /// operation is no longer open.
    async fn create_partner_customer(
        &self,
        new: NewPartnerCustomer,
        data: Vec<Apply>,
        records: NewCustomerRecords,
        completes: Option<Completes>,
    ) -> StoreResult<CustomerId>;

    async fn get_partner_customer(&self, tenant: TenantId, uuid: CustomerUuid) -> StoreResult<PartnerRecord>;
    async fn get_partner_customer_by_id(&self, tenant: TenantId, id: CustomerId) -> StoreResult<PartnerRecord>;

    /// The direct children of `parent`, oldest first.
    async fn list_child_customers(&self, tenant: TenantId, parent: CustomerId, offset: i64, limit: i64)
    -> StoreResult<ChildPage>;

    /// Writes a customer's partner rows, the shared-domain changes, the records and, with
    /// `completes`, its operation's `SUCCESS`, atomically. Fails with `VersionConflict` when the
    /// partner rows or a domain moved on, and with `NotPending` when the operation is no longer
    /// open; either way nothing is written.
    async fn update_partner_customer(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        update: PartnerUpdate,
        data: Vec<Apply>,
        records: Records,
        completes: Option<Completes>,
    ) -> StoreResult<()>;

    /// Records an operation as `OPEN`.
    async fn insert_operation(&self, op: NewOperation) -> StoreResult<()>;
    async fn get_operation(&self, tenant: TenantId, request_id: RequestId) -> StoreResult<Operation>;
    /// Finishes an open operation as `FAILURE` or `INTERNAL_ERROR`; with `created_before_ms`, only
    /// one created before then. Returns whether this call finished it.
    async fn fail_operation(
        &self,
        tenant: TenantId,
        request_id: RequestId,
        internal: bool,
        failure: OperationFailure,
        at_ms: i64,
        created_before_ms: Option<i64>,
    ) -> StoreResult<bool>;

    /// Inserts an API key bound to a partner customer, atomically with its binding.
    async fn insert_customer_key(&self, key: NewApiKey, customer: CustomerId, records: Records) -> StoreResult<ApiKeyRecord>;
    /// The customer a live key (by its public prefix) is bound to, if any.
    async fn key_customer(&self, tenant: TenantId, key_prefix: &str) -> StoreResult<Option<CustomerId>>;
}
