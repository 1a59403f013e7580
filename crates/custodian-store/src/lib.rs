//! The storage port of Custodian: the [`Store`] trait that the SQLite and PostgreSQL adapters
//! implement, the records it reads and writes, and [`StoreError`].
//!
//! Methods are use-case shaped and atomic: each write method runs in one database transaction
//! that also writes the audit entries and outbox events it is given. Every method takes the
//! tenant, so no query can forget tenant isolation.

pub mod audit;
pub mod billing;
pub mod hierarchy;
pub mod idempotency;
pub mod privacy;
mod records;
pub mod relay;
pub mod retention;
pub mod staff;
pub mod transfer;
pub mod wealth;
pub mod webhooks;

pub use audit::AuditStore;
pub use billing::BillingStore;
pub use hierarchy::HierarchyStore;
pub use idempotency::IdempotencyStore;
pub use privacy::{CustomerDossier, ErasureReport, PrivacyStore};
pub use records::*;
pub use relay::EventRelayStore;
pub use retention::RetentionStore;
pub use staff::StaffStore;
pub use transfer::{ExportedCustomer, ImportCustomer, TransferStore};
pub use wealth::WealthStore;
pub use webhooks::WebhookStore;

use async_trait::async_trait;
use custodian_domain::{Amendment, AmendmentId, CustomerId, DataDomain, DomainPolicy, PolicySet, TenantId, Transition};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The tenant, customer or amendment does not exist for this tenant.
    #[error("not found")]
    NotFound,
    /// Another amendment of the same customer and domain is pending (unique index).
    #[error("another amendment is pending for this domain")]
    PendingExists,
    /// The domain data changed since it was read; reload and decide again.
    #[error("the customer's data changed concurrently")]
    VersionConflict,
    /// The amendment is no longer pending (another decision won the race).
    #[error("the amendment is no longer pending")]
    NotPending,
    /// A uniqueness rule other than the pending rule was violated.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database failed; the message is for logs, not for clients.
    #[error("storage failure: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Builds the audit entries and events of a submission once the new amendment's id is known.
pub type FollowUp = Box<dyn FnOnce(AmendmentId) -> Records + Send>;

/// Customer data, amendments, policies, keys, audit trail and outbox, scoped by tenant.
#[async_trait]
pub trait Store:
    WebhookStore
    + IdempotencyStore
    + EventRelayStore
    + AuditStore
    + RetentionStore
    + BillingStore
    + HierarchyStore
    + WealthStore
    + StaffStore
    + PrivacyStore
    + TransferStore
    + Send
    + Sync
    + 'static
{
    /// Which backend this is (`sqlite` or `postgres`), for logs and readiness.
    fn backend(&self) -> &'static str;

    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// Closes every connection, waiting for those in use (SQLite checkpoints its WAL into the
    /// database file as the last connection closes). Calls after this fail.
    async fn close(&self);

    async fn create_tenant(&self, name: &str, now_ms: i64) -> StoreResult<Tenant>;
    async fn get_tenant(&self, tenant: TenantId) -> StoreResult<Tenant>;
    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>>;

    /// Stores a key with the audit entries of its creation, atomically.
    async fn insert_api_key(&self, key: NewApiKey, records: Records) -> StoreResult<ApiKeyRecord>;
    /// Finds a live (not revoked) key by the SHA-256 hash of its secret. The SQL stores cache
    /// found keys: a key revoked by another process is refused within a second, one revoked
    /// through this store at once.
    async fn find_api_key(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>>;
    /// The tenant's live (not revoked) keys, oldest first.
    async fn list_api_keys(&self, tenant: TenantId) -> StoreResult<Vec<ApiKeyRecord>>;
    /// Revokes the key with this public prefix and writes the audit entries of its revocation,
    /// atomically; `NotFound` (and nothing written) when the tenant has no such live key. With
    /// `keep_an_admin`, revoking the tenant's last live ADMIN key is a `Conflict` (also when two
    /// revocations race: revocations of one tenant are serialised).
    async fn revoke_api_key(
        &self,
        tenant: TenantId,
        prefix: &str,
        now_ms: i64,
        keep_an_admin: bool,
        records: Records,
    ) -> StoreResult<()>;

    /// The tenant's policies; cached like keys (another process's change is seen within a second).
    async fn policies(&self, tenant: TenantId) -> StoreResult<PolicySet>;
    /// Sets one domain's policy and writes its audit entry, atomically.
    async fn set_policy(&self, tenant: TenantId, domain: DataDomain, policy: DomainPolicy, records: Records) -> StoreResult<()>;

    /// Creates a customer with its initial domain data, audit entries and events.
    async fn create_customer(
        &self,
        tenant: TenantId,
        data: Vec<Apply>,
        now_ms: i64,
        records: NewCustomerRecords,
    ) -> StoreResult<CustomerId>;
    async fn get_customer(&self, tenant: TenantId, customer: CustomerId) -> StoreResult<Customer>;
    /// A customer with the data and the pending amendment of one of its domains, read in one
    /// statement (one snapshot): what a self-service GET shows. The customer's `domains` hold only
    /// `domain` (when it has data): the other domains are neither read nor parsed. `NotFound` like
    /// [`Store::get_customer`].
    async fn customer_with_pending(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        domain: DataDomain,
    ) -> StoreResult<(Customer, Option<Amendment>)>;
    async fn list_customers(&self, tenant: TenantId, after: Option<CustomerId>, limit: i64) -> StoreResult<Vec<Customer>>;
    /// Customers with a search term starting with one of `prefixes` (see `custodian_domain::search`),
    /// by id, after `after`.
    async fn search_customers(
        &self,
        tenant: TenantId,
        prefixes: &[String],
        after: Option<CustomerId>,
        limit: i64,
    ) -> StoreResult<Vec<Customer>>;

    async fn get_amendment(&self, tenant: TenantId, amendment: AmendmentId) -> StoreResult<Amendment>;
    async fn pending_amendment(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        domain: DataDomain,
    ) -> StoreResult<Option<Amendment>>;
    async fn list_amendments(&self, tenant: TenantId, query: &AmendmentQuery) -> StoreResult<Vec<Amendment>>;

    /// Inserts an amendment and, for a direct change, applies it, with the audit entries and
    /// events `follow_up` builds. Fails with `PendingExists` when the new amendment is pending and
    /// another one is, and with `VersionConflict` when `apply` was decided on stale data.
    async fn submit_amendment(
        &self,
        amendment: NewAmendment,
        apply: Option<Apply>,
        follow_up: FollowUp,
    ) -> StoreResult<AmendmentId>;

    /// Moves a pending amendment to its decided state and, on approval, applies it. Fails with
    /// `NotPending` when the amendment was decided meanwhile (exactly one decision wins).
    async fn decide_amendment(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        transition: &Transition,
        apply: Option<Apply>,
        records: Records,
    ) -> StoreResult<()>;

    /// Applies a change made directly by staff or an operator.
    async fn apply_change(&self, tenant: TenantId, customer: CustomerId, apply: Apply, records: Records) -> StoreResult<()>;

    async fn list_audit(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        after: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<AuditEntry>>;

    /// The whole tenant's audit trail (customers, policies, webhook endpoints), oldest first.
    async fn list_tenant_audit(&self, tenant: TenantId, after: Option<i64>, limit: i64) -> StoreResult<Vec<AuditEntry>>;

    /// Events of a customer in sequence order (the outbox; delivered by the events issue).
    async fn list_events(&self, tenant: TenantId, customer: CustomerId) -> StoreResult<Vec<OutboxEvent>>;

    /// Amendment counts by state over all tenants, for metrics.
    async fn count_amendments_by_state(&self) -> StoreResult<Vec<(String, i64)>>;
}
