//! Webhook subscriptions of a tenant (admin): create with a generated secret, change, rotate the
//! secret with an overlap, delete, list deliveries, replay, and send a test event.

use crate::Context;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use custodian_domain::CustomerId;
use custodian_store::webhooks::{Delivery, DeliveryStatus, NewSubscription, Subscription, SubscriptionChanges, WebhookFormat};
use custodian_store::{OutboxEvent, Store};
use custodian_webhooks::{EVENT_TYPES, SendResult, Sender, WebhookSecret};
use serde_json::json;
use std::sync::Arc;

/// How long the previous secret keeps signing after a rotation.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3600 * 1000;

#[derive(Clone)]
pub struct WebhookService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    sender: Sender,
}

/// What a subscription may be created or changed with.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionInput {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub format: Option<String>,
    pub vendor_key: Option<String>,
    pub enabled: Option<bool>,
    pub rotate_secret: bool,
}

fn check_types(types: &[String]) -> AppResult<()> {
    if let Some(bad) = types.iter().find(|t| !EVENT_TYPES.contains(&t.as_str())) {
        return Err(AppError::invalid("eventTypes", format!("unknown event type {bad:?}; known: {}", EVENT_TYPES.join(", "))));
    }
    Ok(())
}

/// Longest accepted `vendorKey`.
const MAX_VENDOR_KEY: usize = 256;

/// The vendor key is sent as the `x-api-key` header: only visible ASCII characters (no spaces,
/// CR/LF, NUL or other control or non-ASCII characters), so that every request can carry it.
fn check_vendor_key(key: Option<&str>) -> AppResult<()> {
    let Some(key) = key else { return Ok(()) };
    if key.is_empty() || key.len() > MAX_VENDOR_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::invalid(
            "vendorKey",
            format!(
                "vendorKey is sent as an HTTP header: 1 to {MAX_VENDOR_KEY} visible ASCII characters, no spaces, line breaks or control characters"
            ),
        ));
    }
    Ok(())
}

fn random_key() -> String {
    let b: [u8; 24] = rand::random();
    hex::encode(b)
}

impl WebhookService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, sender: Sender) -> Self {
        WebhookService { store, clock, sender }
    }

    async fn check_url(&self, url: &str) -> AppResult<()> {
        let parsed = self.sender.targets.check_url(url).map_err(|e| AppError::invalid("url", e.to_string()))?;
        let host = parsed.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned();
        self.sender
            .targets
            .resolve_host(&host, parsed.port_or_known_default().unwrap_or(443))
            .await
            .map_err(|e| AppError::invalid("url", e.to_string()))?;
        Ok(())
    }

    pub async fn create(&self, ctx: &Context, input: SubscriptionInput) -> AppResult<Subscription> {
        let url = input.url.ok_or_else(|| AppError::invalid("url", "url is required"))?;
        let event_types = input.event_types.unwrap_or_default();
        check_types(&event_types)?;
        check_vendor_key(input.vendor_key.as_deref())?;
        let format: WebhookFormat =
            input.format.as_deref().unwrap_or("standard").parse().map_err(|m: String| AppError::invalid("format", m))?;
        self.check_url(&url).await?;
        let vendor_key = match format {
            WebhookFormat::Vendor => Some(input.vendor_key.unwrap_or_else(random_key)),
            WebhookFormat::Standard => None,
        };
        self.store
            .create_subscription(NewSubscription {
                tenant_id: ctx.tenant,
                url,
                event_types,
                format,
                secret: WebhookSecret::generate().as_str().to_owned(),
                vendor_key,
                now_ms: self.clock.now_ms(),
            })
            .await
            .map_err(AppError::store("tenant"))
    }

    pub async fn list(&self, ctx: &Context) -> AppResult<Vec<Subscription>> {
        self.store.list_subscriptions(ctx.tenant).await.map_err(AppError::Store)
    }

    pub async fn get(&self, ctx: &Context, id: i64) -> AppResult<Subscription> {
        self.store.get_subscription(ctx.tenant, id).await.map_err(AppError::store("subscription"))
    }

    pub async fn update(&self, ctx: &Context, id: i64, input: SubscriptionInput) -> AppResult<Subscription> {
        self.get(ctx, id).await?;
        if let Some(types) = &input.event_types {
            check_types(types)?;
        }
        check_vendor_key(input.vendor_key.as_deref())?;
        if input.format.is_some() {
            return Err(AppError::invalid("format", "the format of a subscription cannot change; create a new one"));
        }
        if let Some(url) = &input.url {
            self.check_url(url).await?;
        }
        let now = self.clock.now_ms();
        let changes = SubscriptionChanges {
            url: input.url,
            event_types: input.event_types,
            enabled: input.enabled,
            rotate_secret: input
                .rotate_secret
                .then(|| (WebhookSecret::generate().as_str().to_owned(), now + ROTATION_OVERLAP_MS)),
            vendor_key: input.vendor_key,
            now_ms: now,
        };
        self.store.update_subscription(ctx.tenant, id, changes).await.map_err(AppError::store("subscription"))
    }

    pub async fn delete(&self, ctx: &Context, id: i64) -> AppResult<()> {
        self.store.delete_subscription(ctx.tenant, id).await.map_err(AppError::store("subscription"))
    }

    pub async fn deliveries(
        &self,
        ctx: &Context,
        id: i64,
        status: Option<DeliveryStatus>,
        before: Option<i64>,
        limit: i64,
    ) -> AppResult<Vec<Delivery>> {
        self.store.list_deliveries(ctx.tenant, id, status, before, limit).await.map_err(AppError::store("subscription"))
    }

    pub async fn replay(&self, ctx: &Context, delivery: i64) -> AppResult<()> {
        self.store.replay_delivery(ctx.tenant, delivery, self.clock.now_ms()).await.map_err(AppError::store("delivery"))
    }

    pub async fn replay_failed(&self, ctx: &Context, subscription: i64) -> AppResult<i64> {
        self.store.replay_failed(ctx.tenant, subscription, self.clock.now_ms()).await.map_err(AppError::store("subscription"))
    }

    /// Sends a `webhook.test` event to the endpoint now and reports what it answered.
    pub async fn send_test(&self, ctx: &Context, id: i64) -> AppResult<SendResult> {
        let sub = self.get(ctx, id).await?;
        let now = self.clock.now_ms();
        let event = OutboxEvent {
            id: 0,
            customer_id: CustomerId(0),
            seq: 0,
            event_type: "webhook.test".into(),
            payload: json!({
                "id": format!("test_{}", random_key()),
                "type": "webhook.test",
                "tenantId": ctx.tenant.0,
                "occurredAt": crate::clock::rfc3339(now),
                "requestId": ctx.request_id,
            }),
            at_ms: now,
            request_id: ctx.request_id.clone(),
        };
        Ok(self.sender.send(&sub, &event).await)
    }
}
