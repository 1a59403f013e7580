//! Application services of Custodian: each use case loads what it needs from the store, lets the
//! pure domain decide, and persists the resulting state, audit entries and outbox events in one
//! store transaction. HTTP adapters call these services and only map DTOs and errors.

pub mod amendments;
pub mod auth;
pub mod billing;
pub mod clock;
pub mod customers;
pub mod error;
pub mod events;
pub mod hierarchy;
pub mod idempotency;
pub mod policies;
pub mod privacy;
pub mod retention;
pub mod signature;
pub mod staff;
pub mod transfer;
pub mod wealth;
pub mod webhooks;

pub use amendments::{AmendmentService, Proposal, ReviewView, Submission, SubmissionOutcome};
pub use auth::{ApiKeyService, IssuedKey, Principal};
pub use billing::BillingService;
pub use clock::{Clock, FixedClock, SystemClock};
pub use customers::CustomerService;
pub use error::{AppError, AppResult};
pub use hierarchy::{HierarchyError, HierarchyService, Requester};
pub use idempotency::IdempotencyService;
pub use policies::PolicyService;
pub use privacy::PrivacyService;
pub use retention::{RetentionPolicy, RetentionReport, RetentionService};
pub use staff::{SignIn, StaffService, StaffSession};
pub use transfer::TransferService;
pub use wealth::WealthService;
pub use webhooks::{SubscriptionInput, WebhookService};

use custodian_domain::{Actor, TenantId};
use custodian_store::Store;
use std::sync::Arc;

/// Who is acting, for which tenant, and the request that caused it (for audit and events).
#[derive(Debug, Clone)]
pub struct Context {
    pub tenant: TenantId,
    pub actor: Actor,
    pub request_id: Option<String>,
}

impl Context {
    /// The operator at the command line: changes are recorded as made by `system:custodian`.
    pub fn operator(tenant: TenantId) -> Context {
        Context { tenant, actor: Actor::system(), request_id: None }
    }
}

/// All services over one store and clock; cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub amendments: AmendmentService,
    pub customers: CustomerService,
    pub policies: PolicyService,
    pub keys: ApiKeyService,
    pub webhooks: WebhookService,
    pub billing: BillingService,
    pub hierarchy: HierarchyService,
    pub idempotency: IdempotencyService,
    pub wealth: WealthService,
    pub staff: StaffService,
    pub privacy: PrivacyService,
    pub retention: RetentionService,
    pub transfer: TransferService,
}

impl Services {
    /// Services with the strict webhook target policy (https to public addresses only).
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Services {
        Services::with_webhook_sender(
            store,
            clock,
            custodian_webhooks::Sender::new(Default::default(), std::time::Duration::from_secs(5)),
        )
    }

    pub fn with_webhook_sender(store: Arc<dyn Store>, clock: Arc<dyn Clock>, sender: custodian_webhooks::Sender) -> Services {
        Services {
            webhooks: WebhookService::new(store.clone(), clock.clone(), sender),
            amendments: AmendmentService::new(store.clone(), clock.clone()),
            customers: CustomerService::new(store.clone(), clock.clone()),
            policies: PolicyService::new(store.clone(), clock.clone()),
            keys: ApiKeyService::new(store.clone(), clock.clone()),
            billing: BillingService::new(store.clone(), clock.clone()),
            hierarchy: HierarchyService::new(store.clone(), clock.clone()),
            idempotency: IdempotencyService::new(store.clone(), clock.clone()),
            wealth: WealthService::new(store.clone(), clock.clone()),
            staff: StaffService::new(store.clone(), clock.clone()),
            privacy: PrivacyService::new(store.clone(), clock.clone()),
            retention: RetentionService::new(store.clone(), clock.clone()),
            transfer: TransferService::new(store.clone(), clock.clone()),
            store,
            clock,
        }
    }
}

/// How often a use case re-reads and decides again after a concurrent change of the same data.
pub(crate) const MAX_ATTEMPTS: usize = 8;
