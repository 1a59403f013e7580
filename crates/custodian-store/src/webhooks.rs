//! The webhook part of the storage port: subscriptions, deliveries, and the claim of due
//! deliveries by dispatchers (several processes may claim at once without sharing a delivery).

use crate::{OutboxEvent, StoreResult};
use async_trait::async_trait;
use custodian_domain::TenantId;

/// How a subscription's requests look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature` headers.
    Standard,
    /// The gym vendor's `{entityId, uuid, payload:[…]}` with an `x-api-key` header.
    Vendor,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Standard => "standard",
            WebhookFormat::Vendor => "vendor",
        }
    }
}

impl std::str::FromStr for WebhookFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "standard" => Ok(WebhookFormat::Standard),
            "vendor" => Ok(WebhookFormat::Vendor),
            other => Err(format!("unknown webhook format {other:?}: expected standard or vendor")),
        }
    }
}

/// A tenant's webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: i64,
    pub tenant_id: TenantId,
    pub url: String,
    /// Event types delivered; empty means all.
    pub event_types: Vec<String>,
    pub format: WebhookFormat,
    /// The current `whsec_` signing secret.
    pub secret: String,
    /// The secret before the last rotation, still signing until `previous_secret_until_ms`.
    pub previous_secret: Option<String>,
    pub previous_secret_until_ms: Option<i64>,
    /// The key sent as `x-api-key` in the vendor format.
    pub vendor_key: Option<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub consecutive_failures: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// The state of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// Claimed by a dispatcher (until its lease runs out).
    Delivering,
    Succeeded,
    /// Given up after the last retry, or the endpoint answered 410.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivering => "delivering",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Failed => "failed",
        }
    }
}

impl std::str::FromStr for DeliveryStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [DeliveryStatus::Pending, DeliveryStatus::Delivering, DeliveryStatus::Succeeded, DeliveryStatus::Failed]
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| format!("unknown delivery status {s:?}: expected pending, delivering, succeeded or failed"))
    }
}

/// One event to one subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub subscription_id: i64,
    pub event_id: i64,
    pub event_type: String,
    pub customer_id: i64,
    pub seq: i64,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_ms: i64,
    pub delivered_ms: Option<i64>,
}

/// A claimed delivery with what is needed to send it.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub delivery: Delivery,
    pub event: OutboxEvent,
    pub subscription: Subscription,
}

/// What an attempt came to.
#[derive(Debug, Clone)]
pub enum AttemptOutcome {
    Succeeded {
        status_code: i64,
        at_ms: i64,
    },
    /// Try again at `next_attempt_ms`.
    Retry {
        status_code: Option<i64>,
        error: String,
        next_attempt_ms: i64,
    },
    /// Give up on this delivery.
    Failed {
        status_code: Option<i64>,
        error: String,
        at_ms: i64,
    },
}

/// When repeated failures disable an endpoint: only after it has failed continuously — no
/// successful attempt — for `after_ms`, with at least `after_failures` failed attempts in a row.
/// A burst of failures (an outage of seconds or hours) never disables it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisablePolicy {
    pub after_ms: i64,
    pub after_failures: i64,
}

impl Default for DisablePolicy {
    /// Five days of failures, and at least 50 failed attempts in a row.
    fn default() -> Self {
        DisablePolicy { after_ms: 5 * 24 * 3600 * 1000, after_failures: 50 }
    }
}

/// A subscription to create.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub tenant_id: TenantId,
    pub url: String,
    pub event_types: Vec<String>,
    pub format: WebhookFormat,
    pub secret: String,
    pub vendor_key: Option<String>,
    pub now_ms: i64,
}

/// Changes to a subscription; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionChanges {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
    /// A new secret; the current one keeps signing until `previous_secret_until_ms`.
    pub rotate_secret: Option<(String, i64)>,
    pub vendor_key: Option<String>,
    pub now_ms: i64,
}

#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn create_subscription(&self, s: NewSubscription) -> StoreResult<Subscription>;
    async fn list_subscriptions(&self, tenant: TenantId) -> StoreResult<Vec<Subscription>>;
    async fn get_subscription(&self, tenant: TenantId, id: i64) -> StoreResult<Subscription>;
    async fn update_subscription(&self, tenant: TenantId, id: i64, c: SubscriptionChanges) -> StoreResult<Subscription>;
    /// Deletes a subscription and its deliveries.
    async fn delete_subscription(&self, tenant: TenantId, id: i64) -> StoreResult<()>;

    /// Deliveries of a subscription, newest first, optionally of one status.
    async fn list_deliveries(
        &self,
        tenant: TenantId,
        subscription: i64,
        status: Option<DeliveryStatus>,
        before: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<Delivery>>;
    /// Makes a delivery due again now (attempts start over).
    async fn replay_delivery(&self, tenant: TenantId, delivery: i64, now_ms: i64) -> StoreResult<()>;
    /// Makes every failed delivery of a subscription due again; returns how many.
    async fn replay_failed(&self, tenant: TenantId, subscription: i64, now_ms: i64) -> StoreResult<i64>;

    /// Claims up to `limit` due deliveries of enabled subscriptions for `lease_ms`, never one whose
    /// customer has an earlier unfinished delivery to the same subscription. Concurrent claimers
    /// get disjoint sets. Deliveries of a disabled subscription stay queued (pending) until it is
    /// enabled again.
    async fn claim_deliveries(&self, now_ms: i64, lease_ms: i64, limit: i64) -> StoreResult<Vec<ClaimedDelivery>>;
    /// Records an attempt made at `now_ms`. A failure starts (or continues) the subscription's run
    /// of failures, a success ends it; the subscription is disabled when the run has lasted as
    /// long as `policy` says, or at once with `disable` set (e.g. on 410, with the reason). The
    /// delivery of an attempt that disables its endpoint stays pending, so that it goes out first
    /// when the endpoint is enabled again. Returns true when this call disabled the subscription.
    async fn record_attempt(
        &self,
        delivery: i64,
        outcome: AttemptOutcome,
        now_ms: i64,
        policy: DisablePolicy,
        disable: Option<String>,
    ) -> StoreResult<bool>;
    /// Deliveries waiting to be sent (pending or being delivered), for metrics.
    async fn count_open_deliveries(&self) -> StoreResult<i64>;
}
