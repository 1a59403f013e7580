//! Retention: deletes what has served its purpose after a configurable number of days, tenant by
//! tenant, each tenant's deletions and their audit entry (`retention.run`, with the counts) in one
//! transaction. Run by a background job in `custodian serve` and by `custodian retention run`.

use crate::events::{described, tenant_audit};
use crate::{AppError, AppResult, Clock, Context};
use custodian_domain::TenantId;
use custodian_store::retention::{RetentionCounts, RetentionCutoffs};
use custodian_store::{Records, Store};
use serde_json::json;
use std::sync::Arc;

/// The audit action of a retention run.
pub const RETENTION_ACTION: &str = "retention.run";

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How long each kind of data is kept, in days; 0 keeps it forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Signatures of decided (approved, rejected, withdrawn) amendments, from the decision.
    pub decided_signature_days: u32,
    /// Outbox events (the stored webhook bodies) whose deliveries all succeeded, with those deliveries.
    pub webhook_event_days: u32,
    /// Idempotency receipts (the billing dialect's `X-Request-ID` receipts, and the idempotency
    /// keys' receipts). At least one day whenever set: a repeated request is answered for 24 hours.
    pub receipt_days: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy { decided_signature_days: 90, webhook_event_days: 30, receipt_days: 30 }
    }
}

impl RetentionPolicy {
    fn cutoff(now_ms: i64, days: u32) -> Option<i64> {
        (days > 0).then(|| now_ms - i64::from(days) * DAY_MS)
    }

    /// The instants before which rows go, as of `now_ms`.
    pub fn cutoffs(&self, now_ms: i64) -> RetentionCutoffs {
        RetentionCutoffs {
            signatures_before_ms: Self::cutoff(now_ms, self.decided_signature_days),
            webhook_events_before_ms: Self::cutoff(now_ms, self.webhook_event_days),
            billing_receipts_before_ms: Self::cutoff(now_ms, self.receipt_days),
        }
    }
}

/// What one run deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Per tenant, in id order (every tenant looked at, also those where nothing was deleted).
    pub tenants: Vec<(TenantId, RetentionCounts)>,
    /// Idempotency receipts deleted (all tenants together).
    pub idempotency_receipts: u64,
}

#[derive(Clone)]
pub struct RetentionService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl RetentionService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> RetentionService {
        RetentionService { store, clock }
    }

    /// Runs retention in one tenant, or in all. A tenant where something was deleted gets one
    /// `retention.run` audit entry with the counts (as `system:custodian`); a run that deletes
    /// nothing writes nothing.
    pub async fn run(&self, policy: &RetentionPolicy, tenant: Option<TenantId>) -> AppResult<RetentionReport> {
        let now = self.clock.now_ms();
        let cutoffs = policy.cutoffs(now);
        let tenants = match tenant {
            Some(t) => vec![self.store.get_tenant(t).await.map_err(AppError::store("tenant"))?.id],
            None => self.store.list_tenants().await.map_err(AppError::Store)?.into_iter().map(|t| t.id).collect(),
        };
        let mut report = RetentionReport::default();
        for t in tenants {
            let policy = *policy;
            let counts = self
                .store
                .apply_retention(
                    t,
                    cutoffs,
                    Box::new(move |c: &RetentionCounts| {
                        if c.is_empty() {
                            return Records::default();
                        }
                        let changes = described(
                            vec![
                                ("signaturesDeleted", json!(c.signatures)),
                                ("webhookEventsDeleted", json!(c.webhook_events)),
                                ("webhookDeliveriesDeleted", json!(c.webhook_deliveries)),
                                ("billingReceiptsDeleted", json!(c.billing_receipts)),
                                ("idempotencyReceiptsDeleted", json!(c.idempotency_receipts)),
                                ("signatureDays", json!(policy.decided_signature_days)),
                                ("webhookEventDays", json!(policy.webhook_event_days)),
                                ("receiptDays", json!(policy.receipt_days)),
                            ],
                            true,
                        );
                        Records {
                            audit: vec![tenant_audit(&Context::operator(t), RETENTION_ACTION, changes, now)],
                            events: vec![],
                        }
                    }),
                )
                .await
                .map_err(AppError::Store)?;
            if !counts.is_empty() {
                tracing::info!(tenant = t.0, ?counts, "retention deleted old data");
            }
            report.tenants.push((t, counts));
        }
        report.idempotency_receipts = report.tenants.iter().map(|(_, c)| c.idempotency_receipts).sum();
        Ok(report)
    }
}
