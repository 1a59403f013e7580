//! Retention: old data that has served its purpose is deleted after a configurable time.

use async_trait::async_trait;
use custodian_domain::TenantId;

use crate::{Records, StoreResult};

/// What to delete: each cutoff is an epoch-ms instant (rows older than it go), or `None` to keep
/// that kind of row forever.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionCutoffs {
    /// Signatures of decided (approved, rejected, withdrawn) amendments decided before this.
    pub signatures_before_ms: Option<i64>,
    /// Outbox events (the stored webhook bodies) created before this whose deliveries have all
    /// succeeded (or that have none), with those deliveries. Events with a delivery that is
    /// pending, being sent or failed (replayable) are kept.
    pub webhook_events_before_ms: Option<i64>,
    /// Billing-dialect receipts (`X-Request-ID` replays) and completed `Idempotency-Key` receipts
    /// created before this.
    pub billing_receipts_before_ms: Option<i64>,
}

/// How many rows one retention run removed in one tenant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionCounts {
    pub signatures: u64,
    pub webhook_events: u64,
    pub webhook_deliveries: u64,
    pub billing_receipts: u64,
    pub idempotency_receipts: u64,
}

impl RetentionCounts {
    pub fn is_empty(&self) -> bool {
        *self == RetentionCounts::default()
    }
}

/// Builds the audit record of a retention run from its counts (empty records write nothing).
pub type RetentionRecords = Box<dyn FnOnce(&RetentionCounts) -> Records + Send>;

#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Deletes what is older than the cutoffs in one tenant and writes the records built from the
    /// counts, in one transaction. Safe to run from several processes at once (conditional deletes).
    async fn apply_retention(
        &self,
        tenant: TenantId,
        cutoffs: RetentionCutoffs,
        records: RetentionRecords,
    ) -> StoreResult<RetentionCounts>;
}
