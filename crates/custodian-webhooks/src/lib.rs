//! Webhook delivery: every outbox event is delivered to the tenant's matching subscriptions,
//! signed, retried with backoff over about three days, in order per customer and endpoint.
//!
//! Pure parts (signing, payload formats, retry schedule, target classification) are unit tested
//! here; the dispatcher claims due deliveries from the store and POSTs them.

pub mod dispatcher;
pub mod format;
pub mod schedule;
pub mod signing;
pub mod target;

pub use dispatcher::{DispatchStats, Dispatcher, DispatcherSettings, SendResult, Sender};
pub use signing::WebhookSecret;
pub use target::{TargetError, TargetPolicy};

/// Every event type Custodian emits.
pub const EVENT_TYPES: [&str; 8] = [
    "customer.created",
    "customer.updated",
    "amendment.submitted",
    "amendment.approved",
    "amendment.rejected",
    "amendment.withdrawn",
    "amendment.applied",
    "customer.erased",
];
