//! The webhook SQL shared by both backends, expanded per driver by `impl_webhook_store!`. Only
//! the row-lock clause of the claim differs: PostgreSQL adds `FOR UPDATE SKIP LOCKED` so that
//! several dispatchers claim disjoint deliveries; SQLite has one writer and needs none.

/// Claims the due deliveries for a dispatcher ($1 lease end, $2 time, at most $3), returning their
/// ids: due, of an enabled subscription, pending or with a lapsed lease, and the earliest
/// unfinished delivery of their customer to that subscription. `lock` is the backend's row-lock
/// clause for the inner select (PostgreSQL's `FOR UPDATE OF d SKIP LOCKED`; empty on SQLite).
pub(crate) fn claim_deliveries_sql(lock: &str) -> String {
    format!(
        "UPDATE webhook_deliveries SET status = 'delivering', attempts = attempts + 1, locked_until_ms = $1 \
         WHERE id IN (SELECT d.id FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id \
         WHERE s.enabled = TRUE AND d.next_attempt_ms <= $2 \
         AND (d.status = 'pending' OR (d.status = 'delivering' AND d.locked_until_ms < $2)) \
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.subscription_id = d.subscription_id \
         AND p.customer_id = d.customer_id AND p.seq < d.seq AND p.status IN ('pending', 'delivering')) \
         ORDER BY d.id LIMIT $3 {lock}) RETURNING id"
    )
}

/// A new, enabled webhook subscription ($1 tenant, $2 URL, $3 event types, $4 format, $5 secret,
/// $6 vendor key, $7 time), returning its row.
pub(crate) const INSERT_SUBSCRIPTION: &str = "INSERT INTO webhook_subscriptions (tenant_id, url, event_types, format, secret, vendor_key, enabled, \
     consecutive_failures, created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, TRUE, 0, $7, $7) \
     RETURNING id, tenant_id, url, event_types, format, secret, previous_secret, previous_secret_until, vendor_key, enabled, disabled_reason, consecutive_failures, created_ms, updated_ms";

/// A tenant's webhook subscriptions ($1 tenant), in id order.
pub(crate) const SELECT_SUBSCRIPTIONS: &str = "SELECT id, tenant_id, url, event_types, format, secret, previous_secret, previous_secret_until, vendor_key, enabled, disabled_reason, consecutive_failures, created_ms, updated_ms FROM webhook_subscriptions WHERE tenant_id = $1 ORDER BY id";

/// One of a tenant's webhook subscriptions ($1 tenant, $2 subscription).
pub(crate) const SELECT_SUBSCRIPTION: &str = "SELECT id, tenant_id, url, event_types, format, secret, previous_secret, previous_secret_until, vendor_key, enabled, disabled_reason, consecutive_failures, created_ms, updated_ms FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2";

/// Whether one of a tenant's webhook subscriptions is enabled ($1 tenant, $2 subscription).
pub(crate) const SELECT_SUBSCRIPTION_ENABLED: &str = "SELECT enabled FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2";

/// Changes a subscription ($1 URL, $2 event types, $3 enabled, $4 new secret, $5 until when the
/// previous secret stays valid, $6 vendor key: each NULL to keep it; $7 time, $8 tenant,
/// $9 subscription), returning its row. Re-enabling clears the run of failures and the reason; a
/// new secret keeps the current one as the previous secret.
pub(crate) const UPDATE_SUBSCRIPTION: &str = "UPDATE webhook_subscriptions SET \
     url = COALESCE($1, url), \
     event_types = COALESCE($2, event_types), \
     enabled = COALESCE($3, enabled), \
     disabled_reason = CASE WHEN $3 = TRUE THEN NULL ELSE disabled_reason END, \
     consecutive_failures = CASE WHEN $3 = TRUE THEN 0 ELSE consecutive_failures END, \
     failing_since_ms = CASE WHEN $3 = TRUE THEN NULL ELSE failing_since_ms END, \
     previous_secret = CASE WHEN $4 IS NULL THEN previous_secret ELSE secret END, \
     previous_secret_until = CASE WHEN $4 IS NULL THEN previous_secret_until ELSE $5 END, \
     secret = COALESCE($4, secret), \
     vendor_key = COALESCE($6, vendor_key), \
     updated_ms = $7 \
     WHERE tenant_id = $8 AND id = $9 RETURNING id, tenant_id, url, event_types, format, secret, previous_secret, previous_secret_until, vendor_key, enabled, disabled_reason, consecutive_failures, created_ms, updated_ms";

/// Makes a subscription's pending deliveries due at $1 with a full retry schedule
/// ($2 subscription).
pub(crate) const RESCHEDULE_PENDING_DELIVERIES: &str = "UPDATE webhook_deliveries SET next_attempt_ms = $1, attempts = 0 \
     WHERE subscription_id = $2 AND status = 'pending'";

/// Deletes a subscription's deliveries ($1 tenant, $2 subscription).
pub(crate) const DELETE_DELIVERIES_OF_SUBSCRIPTION: &str =
    "DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND subscription_id = $2";

/// Deletes a webhook subscription ($1 tenant, $2 subscription).
pub(crate) const DELETE_SUBSCRIPTION: &str = "DELETE FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2";

/// A page of a subscription's deliveries ($1 tenant, $2 subscription) with $3 status ('' for any)
/// before $4 delivery, at most $5, newest first.
pub(crate) const SELECT_DELIVERIES_PAGE: &str = "SELECT d.id, d.subscription_id, d.event_id, e.event_type, d.customer_id, d.seq, d.status, d.attempts, d.next_attempt_ms, d.last_status_code, d.last_error, d.created_ms, d.delivered_ms FROM webhook_deliveries d JOIN outbox_events e ON e.id = d.event_id \
     WHERE d.tenant_id = $1 AND d.subscription_id = $2 AND ($3 = '' OR d.status = $3) AND d.id < $4 \
     ORDER BY d.id DESC LIMIT $5";

/// Queues a delivery that is not being sent again, due at $1 with a full retry schedule
/// ($2 tenant, $3 delivery).
pub(crate) const REPLAY_DELIVERY: &str = "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_ms = $1, locked_until_ms = NULL \
     WHERE tenant_id = $2 AND id = $3 AND status <> 'delivering'";

/// A delivery's id if the tenant has it ($1 tenant, $2 delivery).
pub(crate) const SELECT_DELIVERY_ID: &str = "SELECT id FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2";

/// Queues a subscription's failed deliveries again, due at $1 with a full retry schedule
/// ($2 tenant, $3 subscription).
pub(crate) const REPLAY_FAILED_DELIVERIES: &str = "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_ms = $1, locked_until_ms = NULL \
     WHERE tenant_id = $2 AND subscription_id = $3 AND status = 'failed'";

/// A delivery with its event ($1 delivery): the delivery's columns, its event's type, payload,
/// request id and time.
pub(crate) const SELECT_CLAIMED_DELIVERY: &str = "SELECT d.id, d.subscription_id, d.event_id, e.event_type, d.customer_id, d.seq, d.status, d.attempts, d.next_attempt_ms, d.last_status_code, d.last_error, d.created_ms, d.delivered_ms, e.payload, e.request_id AS event_request_id, e.created_ms AS event_created_ms \
     FROM webhook_deliveries d JOIN outbox_events e ON e.id = d.event_id WHERE d.id = $1";

/// A webhook subscription of any tenant ($1 subscription).
pub(crate) const SELECT_SUBSCRIPTION_BY_ID: &str = "SELECT id, tenant_id, url, event_types, format, secret, previous_secret, previous_secret_until, vendor_key, enabled, disabled_reason, consecutive_failures, created_ms, updated_ms FROM webhook_subscriptions WHERE id = $1";

/// The outcome of a delivery being sent ($1 status, $2 HTTP status, $3 error, $4 next attempt,
/// $5 delivered time, $6 delivery), returning its subscription; no row when its lease ran out
/// and another dispatcher took it over.
pub(crate) const RECORD_DELIVERY_ATTEMPT: &str = "UPDATE webhook_deliveries SET status = $1, last_status_code = $2, last_error = $3, next_attempt_ms = $4, \
     delivered_ms = $5, locked_until_ms = NULL WHERE id = $6 AND status = 'delivering' RETURNING subscription_id";

/// Ends a subscription's run of failures ($1 subscription).
pub(crate) const RESET_SUBSCRIPTION_FAILURES: &str =
    "UPDATE webhook_subscriptions SET consecutive_failures = 0, failing_since_ms = NULL WHERE id = $1";

/// Counts a failed attempt of a subscription ($2), the run starting at $1 time if none is running,
/// returning the run's length and start.
pub(crate) const COUNT_SUBSCRIPTION_FAILURE: &str = "UPDATE webhook_subscriptions SET consecutive_failures = consecutive_failures + 1, \
     failing_since_ms = COALESCE(failing_since_ms, $1) WHERE id = $2 \
     RETURNING consecutive_failures, failing_since_ms";

/// Disables an enabled subscription for $1 reason ($2 subscription), returning its tenant; no row
/// when it was disabled already.
pub(crate) const DISABLE_SUBSCRIPTION: &str = "UPDATE webhook_subscriptions SET enabled = FALSE, disabled_reason = $1 WHERE id = $2 AND enabled = TRUE \
     RETURNING tenant_id";

/// Queues a delivery again, due at $1 ($2 delivery).
pub(crate) const REQUEUE_DELIVERY: &str = "UPDATE webhook_deliveries SET status = 'pending', next_attempt_ms = $1 WHERE id = $2";

/// The number of deliveries pending or being sent, of all tenants (no parameters).
pub(crate) const COUNT_OPEN_DELIVERIES: &str =
    "SELECT COUNT(*) FROM webhook_deliveries WHERE status IN ('pending', 'delivering')";

macro_rules! impl_webhook_store {
    ($store:ident, $db:ty, $row:ty, $lock:literal) => {
        pub(crate) mod webhook_impl {
            use super::$store;
            use async_trait::async_trait;
            use custodian_domain::TenantId;
            use custodian_store::webhooks::{
                AttemptOutcome, ClaimedDelivery, Delivery, DeliveryStatus, DisablePolicy, NewSubscription, Subscription, SubscriptionChanges,
                WebhookFormat, WebhookStore,
            };
            use custodian_store::{OutboxEvent, StoreError, StoreResult};
            use custodian_domain::{Actor, CustomerId, FieldChange};
            use custodian_store::NewAudit;
            use sqlx::Row;

            fn get<'r, T>(r: &'r $row, col: &str) -> StoreResult<T>
            where
                T: sqlx::Decode<'r, $db> + sqlx::Type<$db>,
            {
                r.try_get(col).map_err(crate::backend_error)
            }

            fn pad(types: &[String]) -> String {
                if types.is_empty() { String::new() } else { format!(" {} ", types.join(" ")) }
            }

            fn subscription_row(r: &$row) -> StoreResult<Subscription> {
                let types: String = get(r, "event_types")?;
                Ok(Subscription {
                    id: get(r, "id")?,
                    tenant_id: TenantId(get(r, "tenant_id")?),
                    url: get(r, "url")?,
                    event_types: types.split_whitespace().map(str::to_owned).collect(),
                    format: get::<String>(r, "format")?.parse::<WebhookFormat>().map_err(StoreError::Backend)?,
                    secret: get(r, "secret")?,
                    previous_secret: get(r, "previous_secret")?,
                    previous_secret_until_ms: get(r, "previous_secret_until")?,
                    vendor_key: get(r, "vendor_key")?,
                    enabled: get(r, "enabled")?,
                    disabled_reason: get(r, "disabled_reason")?,
                    consecutive_failures: get(r, "consecutive_failures")?,
                    created_ms: get(r, "created_ms")?,
                    updated_ms: get(r, "updated_ms")?,
                })
            }


            pub(super) fn delivery_row(r: &$row) -> StoreResult<Delivery> {
                Ok(Delivery {
                    id: get(r, "id")?,
                    subscription_id: get(r, "subscription_id")?,
                    event_id: get(r, "event_id")?,
                    event_type: get(r, "event_type")?,
                    customer_id: get(r, "customer_id")?,
                    seq: get(r, "seq")?,
                    status: get::<String>(r, "status")?.parse::<DeliveryStatus>().map_err(StoreError::Backend)?,
                    attempts: get(r, "attempts")?,
                    next_attempt_ms: get(r, "next_attempt_ms")?,
                    last_status_code: get(r, "last_status_code")?,
                    last_error: get(r, "last_error")?,
                    created_ms: get(r, "created_ms")?,
                    delivered_ms: get(r, "delivered_ms")?,
                })
            }

            #[async_trait]
            impl WebhookStore for $store {
                async fn create_subscription(&self, s: NewSubscription) -> StoreResult<Subscription> {
                    let mut tx = self.begin_write().await?;
                    let row = sqlx::query(crate::webhooks_sql::INSERT_SUBSCRIPTION)
                    .bind(s.tenant_id.0)
                    .bind(&s.url)
                    .bind(pad(&s.event_types))
                    .bind(s.format.as_str())
                    .bind(&s.secret)
                    .bind(s.vendor_key.as_deref())
                    .bind(s.now_ms)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(crate::backend_error)?;
                    let sub = subscription_row(&row)?;
                    tx.commit().await.map_err(crate::backend_error)?;
                    Ok(sub)
                }

                async fn list_subscriptions(&self, tenant: TenantId) -> StoreResult<Vec<Subscription>> {
                    let rows = sqlx::query(crate::webhooks_sql::SELECT_SUBSCRIPTIONS)
                    .bind(tenant.0)
                    .fetch_all(self.reader())
                    .await
                    .map_err(crate::backend_error)?;
                    rows.iter().map(subscription_row).collect()
                }

                async fn get_subscription(&self, tenant: TenantId, id: i64) -> StoreResult<Subscription> {
                    let row = sqlx::query(crate::webhooks_sql::SELECT_SUBSCRIPTION)
                    .bind(tenant.0)
                    .bind(id)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(crate::backend_error)?
                    .ok_or(StoreError::NotFound)?;
                    subscription_row(&row)
                }

                async fn update_subscription(&self, tenant: TenantId, id: i64, c: SubscriptionChanges) -> StoreResult<Subscription> {
                    let mut tx = self.begin_write().await?;
                    let (new_secret, until) = match &c.rotate_secret {
                        Some((secret, until)) => (Some(secret.clone()), Some(*until)),
                        None => (None, None),
                    };
                    let was_enabled: Option<bool> =
                        sqlx::query_scalar(crate::webhooks_sql::SELECT_SUBSCRIPTION_ENABLED)
                            .bind(tenant.0)
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(crate::backend_error)?;
                    // Re-enabling clears the run of failures and the reason.
                    let row = sqlx::query(crate::webhooks_sql::UPDATE_SUBSCRIPTION)
                    .bind(c.url.as_deref())
                    .bind(c.event_types.as_deref().map(pad))
                    .bind(c.enabled)
                    .bind(new_secret)
                    .bind(until)
                    .bind(c.vendor_key.as_deref())
                    .bind(c.now_ms)
                    .bind(tenant.0)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(crate::backend_error)?
                    .ok_or(StoreError::NotFound)?;
                    let sub = subscription_row(&row)?;
                    if was_enabled == Some(false) && c.enabled == Some(true) {
                        // Everything queued while the endpoint was disabled goes out now, in order
                        // per customer, each with a full retry schedule.
                        sqlx::query(crate::webhooks_sql::RESCHEDULE_PENDING_DELIVERIES)
                        .bind(c.now_ms)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    }
                    tx.commit().await.map_err(crate::backend_error)?;
                    Ok(sub)
                }

                async fn delete_subscription(&self, tenant: TenantId, id: i64) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query(crate::webhooks_sql::DELETE_DELIVERIES_OF_SUBSCRIPTION)
                        .bind(tenant.0)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    let done = sqlx::query(crate::webhooks_sql::DELETE_SUBSCRIPTION)
                        .bind(tenant.0)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    if done.rows_affected() != 1 {
                        return Err(StoreError::NotFound);
                    }
                    tx.commit().await.map_err(crate::backend_error)
                }

                async fn list_deliveries(
                    &self,
                    tenant: TenantId,
                    subscription: i64,
                    status: Option<DeliveryStatus>,
                    before: Option<i64>,
                    limit: i64,
                ) -> StoreResult<Vec<Delivery>> {
                    self.get_subscription(tenant, subscription).await?;
                    let rows = sqlx::query(crate::webhooks_sql::SELECT_DELIVERIES_PAGE)
                    .bind(tenant.0)
                    .bind(subscription)
                    .bind(status.map_or("", |s| s.as_str()))
                    .bind(before.unwrap_or(i64::MAX))
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await
                    .map_err(crate::backend_error)?;
                    rows.iter().map(delivery_row).collect()
                }

                async fn replay_delivery(&self, tenant: TenantId, delivery: i64, now_ms: i64) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    let done = sqlx::query(crate::webhooks_sql::REPLAY_DELIVERY)
                    .bind(now_ms)
                    .bind(tenant.0)
                    .bind(delivery)
                    .execute(&mut *tx)
                    .await
                    .map_err(crate::backend_error)?;
                    if done.rows_affected() != 1 {
                        let exists: Option<i64> =
                            sqlx::query_scalar(crate::webhooks_sql::SELECT_DELIVERY_ID)
                                .bind(tenant.0)
                                .bind(delivery)
                                .fetch_optional(&mut *tx)
                                .await
                                .map_err(crate::backend_error)?;
                        return Err(if exists.is_some() {
                            StoreError::Conflict("the delivery is being sent right now".into())
                        } else {
                            StoreError::NotFound
                        });
                    }
                    tx.commit().await.map_err(crate::backend_error)
                }

                async fn replay_failed(&self, tenant: TenantId, subscription: i64, now_ms: i64) -> StoreResult<i64> {
                    self.get_subscription(tenant, subscription).await?;
                    let mut tx = self.begin_write().await?;
                    let done = sqlx::query(crate::webhooks_sql::REPLAY_FAILED_DELIVERIES)
                    .bind(now_ms)
                    .bind(tenant.0)
                    .bind(subscription)
                    .execute(&mut *tx)
                    .await
                    .map_err(crate::backend_error)?;
                    tx.commit().await.map_err(crate::backend_error)?;
                    Ok(done.rows_affected() as i64)
                }

                async fn claim_deliveries(&self, now_ms: i64, lease_ms: i64, limit: i64) -> StoreResult<Vec<ClaimedDelivery>> {
                    let mut tx = self.begin_write().await?;
                    // Candidates: due, of an enabled subscription, and the earliest unfinished delivery
                    // of their customer to that subscription (so order per customer holds even
                    // while an earlier one is being retried or sent by another process).
                    let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(crate::webhooks_sql::claim_deliveries_sql($lock)))
                    .bind(now_ms + lease_ms)
                    .bind(now_ms)
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(crate::backend_error)?;
                    let mut claimed = Vec::with_capacity(ids.len());
                    for id in ids {
                        let row = sqlx::query(crate::webhooks_sql::SELECT_CLAIMED_DELIVERY)
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                        let delivery = delivery_row(&row)?;
                        let payload: String = get(&row, "payload")?;
                        let event = OutboxEvent {
                            id: delivery.event_id,
                            customer_id: CustomerId(delivery.customer_id),
                            seq: delivery.seq,
                            event_type: delivery.event_type.clone(),
                            payload: serde_json::from_str(&payload).map_err(|e| StoreError::Backend(e.to_string()))?,
                            at_ms: get(&row, "event_created_ms")?,
                            request_id: get(&row, "event_request_id")?,
                        };
                        let sub = sqlx::query(crate::webhooks_sql::SELECT_SUBSCRIPTION_BY_ID)
                        .bind(delivery.subscription_id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                        claimed.push(ClaimedDelivery { delivery, event, subscription: subscription_row(&sub)? });
                    }
                    tx.commit().await.map_err(crate::backend_error)?;
                    Ok(claimed)
                }

                async fn record_attempt(
                    &self,
                    delivery: i64,
                    outcome: AttemptOutcome,
                    now_ms: i64,
                    policy: DisablePolicy,
                    disable: Option<String>,
                ) -> StoreResult<bool> {
                    let mut tx = self.begin_write().await?;
                    let (status, code, error, next, delivered) = match &outcome {
                        AttemptOutcome::Succeeded { status_code, at_ms } => ("succeeded", Some(*status_code), None, *at_ms, Some(*at_ms)),
                        AttemptOutcome::Retry { status_code, error, next_attempt_ms } => {
                            ("pending", *status_code, Some(error.clone()), *next_attempt_ms, None)
                        }
                        AttemptOutcome::Failed { status_code, error, at_ms } => ("failed", *status_code, Some(error.clone()), *at_ms, None),
                    };
                    let sub: Option<i64> = sqlx::query_scalar(crate::webhooks_sql::RECORD_DELIVERY_ATTEMPT)
                    .bind(status)
                    .bind(code)
                    .bind(error)
                    .bind(next)
                    .bind(delivered)
                    .bind(delivery)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(crate::backend_error)?;
                    let Some(sub) = sub else {
                        // The lease ran out and another dispatcher took the delivery over.
                        return Ok(false);
                    };
                    let mut disabled_now = false;
                    if let AttemptOutcome::Succeeded { .. } = outcome {
                        sqlx::query(crate::webhooks_sql::RESET_SUBSCRIPTION_FAILURES)
                            .bind(sub)
                            .execute(&mut *tx)
                            .await
                            .map_err(crate::backend_error)?;
                    } else {
                        let row = sqlx::query(crate::webhooks_sql::COUNT_SUBSCRIPTION_FAILURE)
                        .bind(now_ms)
                        .bind(sub)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                        let failures: i64 = get(&row, "consecutive_failures")?;
                        let since: Option<i64> = get(&row, "failing_since_ms")?;
                        let failing_ms = now_ms - since.unwrap_or(now_ms);
                        // Only a long run of failures disables: never a burst of first attempts.
                        let reason = disable.or_else(|| {
                            (failures >= policy.after_failures && failing_ms >= policy.after_ms).then(|| {
                                format!(
                                    "disabled after failing for {} hours without a successful delivery ({failures} failed attempts in a row)",
                                    failing_ms / 3_600_000
                                )
                            })
                        });
                        if let Some(reason) = reason {
                            let tenant: Option<i64> = sqlx::query_scalar(crate::webhooks_sql::DISABLE_SUBSCRIPTION)
                            .bind(&reason)
                            .bind(sub)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(crate::backend_error)?;
                            // The delivery that disabled its endpoint stays queued: it goes out first
                            // (in its customer's order) when the endpoint is enabled again.
                            sqlx::query(crate::webhooks_sql::REQUEUE_DELIVERY)
                                .bind(now_ms)
                                .bind(delivery)
                                .execute(&mut *tx)
                                .await
                                .map_err(crate::backend_error)?;
                            if let Some(tenant) = tenant {
                                // The tenant's audit trail records that its endpoint was switched off, and why.
                                let changes = vec![
                                    FieldChange { field: "enabled".into(), before: Some(true.into()), after: Some(false.into()) },
                                    FieldChange { field: "disabledReason".into(), before: None, after: Some(reason.clone().into()) },
                                    FieldChange { field: "subscriptionId".into(), before: None, after: Some(sub.into()) },
                                ];
                                let entry = NewAudit {
                                    customer_id: None,
                                    actor: Actor::system(),
                                    action: "webhook.endpoint_disabled".into(),
                                    domain: None,
                                    amendment_id: None,
                                    changes,
                                    at_ms: now_ms,
                                    request_id: None,
                                };
                                super::write_audit(&mut tx, TenantId(tenant), &[entry]).await?;
                                disabled_now = true;
                            }
                        }
                    }
                    tx.commit().await.map_err(crate::backend_error)?;
                    Ok(disabled_now)
                }

                async fn count_open_deliveries(&self) -> StoreResult<i64> {
                    sqlx::query_scalar(crate::webhooks_sql::COUNT_OPEN_DELIVERIES)
                        .fetch_one(self.reader())
                        .await
                        .map_err(crate::backend_error)
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy_sql::SELECT_CUSTOMER_DELIVERIES;

    /// The columns of a webhook delivery `d` joined with its event `e` that a `Delivery` is read from.
    const DELIVERY_COLUMNS: &str = "d.id, d.subscription_id, d.event_id, e.event_type, d.customer_id, d.seq, d.status, \
     d.attempts, d.next_attempt_ms, d.last_status_code, d.last_error, d.created_ms, d.delivered_ms";

    /// The statements that read deliveries, here and in the privacy export, select the same columns.
    #[test]
    fn delivery_statements_select_the_delivery_columns() {
        assert_eq!(
            SELECT_DELIVERIES_PAGE,
            format!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN outbox_events e ON e.id = d.event_id \
                 WHERE d.tenant_id = $1 AND d.subscription_id = $2 AND ($3 = '' OR d.status = $3) AND d.id < $4 \
                 ORDER BY d.id DESC LIMIT $5"
            )
        );
        assert_eq!(
            SELECT_CLAIMED_DELIVERY,
            format!(
                "SELECT {DELIVERY_COLUMNS}, e.payload, e.request_id AS event_request_id, e.created_ms AS event_created_ms \
                 FROM webhook_deliveries d JOIN outbox_events e ON e.id = d.event_id WHERE d.id = $1"
            )
        );
        assert_eq!(
            SELECT_CUSTOMER_DELIVERIES,
            format!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN outbox_events e ON e.id = d.event_id \
                 WHERE d.tenant_id = $1 AND d.customer_id = $2 ORDER BY d.seq, d.subscription_id"
            )
        );
    }
}
