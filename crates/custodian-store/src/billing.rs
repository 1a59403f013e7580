//! The subscription-billing part of the storage port: billing profiles found by customer number
//! (unique per tenant, enforced by the database), write receipts keyed by request id (a repeated
//! request returns the first receipt), and one atomic write of a billing customer: the profile, any
//! number of domain changes, the receipt, audit entries and events in one transaction.

use crate::{Apply, NewCustomerRecords, StoreResult};
use async_trait::async_trait;
use custodian_domain::billing::{BillingProfile, CustomerNumber};
use custodian_domain::{CustomerId, TenantId};

/// A customer's billing profile and its version (incremented by every change).
#[derive(Debug, Clone, PartialEq)]
pub struct BillingProfileRecord {
    pub customer_id: CustomerId,
    pub profile: BillingProfile,
    pub version: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// The record of one accepted billing write: what a repeat of the same request answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingReceipt {
    /// The sign-up id the API returns.
    pub id: i64,
    pub customer_id: CustomerId,
    pub customer_number: CustomerNumber,
    /// The request's `X-Request-ID`, unique per tenant.
    pub request_id: Option<String>,
    /// A hash of the operation and its validated content, to tell a repeat from a reuse of the id.
    pub fingerprint: String,
    pub at_ms: i64,
}

/// Which customer a billing write is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillingTarget {
    /// A new customer; fails with `CustomerNumberTaken` when the number exists meanwhile.
    New,
    /// An existing customer whose profile was read at `profile_version`.
    Existing { customer: CustomerId, profile_version: i64 },
}

/// Everything one billing write changes, applied in one transaction or not at all.
pub struct BillingWrite {
    pub tenant: TenantId,
    pub target: BillingTarget,
    pub customer_number: CustomerNumber,
    /// The new profile; `None` leaves an existing profile as it is (it must still be at the
    /// version read). Required for a new customer.
    pub profile: Option<BillingProfile>,
    /// Domain changes, each checked against its expected version.
    pub applies: Vec<Apply>,
    pub request_id: Option<String>,
    pub fingerprint: String,
    pub at_ms: i64,
    /// Builds the audit entries and events once the customer id is known.
    pub records: NewCustomerRecords,
}

/// How a billing write ended when nothing failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BillingWriteOutcome {
    Written(BillingReceipt),
    /// Another customer of the tenant got this customer number first; nothing was written.
    CustomerNumberTaken,
    /// The request id was used before (this receipt); nothing was written.
    RequestIdUsed(BillingReceipt),
}

#[async_trait]
pub trait BillingStore: Send + Sync {
    /// The profile of the customer with this number, if any.
    async fn billing_profile(&self, tenant: TenantId, number: &CustomerNumber) -> StoreResult<Option<BillingProfileRecord>>;

    /// The profile of a customer, if it has one.
    async fn billing_profile_of(&self, tenant: TenantId, customer: CustomerId) -> StoreResult<Option<BillingProfileRecord>>;

    /// The receipt of an earlier write with this request id, if any.
    async fn billing_receipt(&self, tenant: TenantId, request_id: &str) -> StoreResult<Option<BillingReceipt>>;

    /// Writes the profile, the domain changes, the receipt and the records atomically. Fails with
    /// `VersionConflict` when a domain or the profile changed since it was read, and `NotFound`
    /// when an existing customer is not the tenant's.
    async fn write_billing_customer(&self, write: BillingWrite) -> StoreResult<BillingWriteOutcome>;
}
