//! The event-relay part of the storage port: what an external event sink (NATS JetStream) needs
//! to publish the outbox at least once and in order per customer, with its progress kept in the
//! database so that a restart resumes and several processes on one database take turns (a lease:
//! only its owner publishes).

use crate::{OutboxEvent, StoreResult};
use async_trait::async_trait;
use custodian_domain::{CustomerId, TenantId};

/// Counters of a relay running in this process (for `/metrics`).
#[derive(Debug, Default)]
pub struct RelayStats {
    /// Events the sink acknowledged.
    pub published: std::sync::atomic::AtomicU64,
    /// Passes that stopped on a sink or database failure (each retried with backoff).
    pub failed_attempts: std::sync::atomic::AtomicU64,
}

/// An outbox event with its tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct RelayEvent {
    pub tenant: TenantId,
    pub event: OutboxEvent,
}

/// One customer's progress: the last sequence number the sink acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayPosition {
    pub tenant: TenantId,
    pub customer: CustomerId,
    pub seq: i64,
}

#[async_trait]
pub trait EventRelayStore: Send + Sync {
    /// Takes or renews the relay's lease for `owner` until `now_ms + lease_ms`; `false` while
    /// another owner's lease runs.
    async fn acquire_relay_lease(&self, relay: &str, owner: &str, now_ms: i64, lease_ms: i64) -> StoreResult<bool>;

    /// Gives the lease up (on shutdown) so another process can take over at once.
    async fn release_relay_lease(&self, relay: &str, owner: &str) -> StoreResult<()>;

    /// Events not yet acknowledged for their customer, in outbox order (oldest first), at most
    /// `limit`. Events older than the relay's horizon are not looked at.
    async fn unrelayed_events(&self, relay: &str, limit: i64) -> StoreResult<Vec<RelayEvent>>;

    /// Records acknowledged events (a position never moves back), renewing the lease, in one
    /// transaction; `false` (nothing recorded) when `owner` lost the lease.
    async fn record_relayed(
        &self,
        relay: &str,
        owner: &str,
        positions: &[RelayPosition],
        now_ms: i64,
        lease_ms: i64,
    ) -> StoreResult<bool>;

    /// Moves the horizon up to the newest event created before `created_before_ms` and older than
    /// `first_unrelayed` (the oldest event still waiting, if any), so that later scans skip what
    /// is done. Events whose transactions might still commit are never passed: the caller gives a
    /// `created_before_ms` well before now.
    async fn advance_relay_horizon(
        &self,
        relay: &str,
        owner: &str,
        first_unrelayed: Option<i64>,
        created_before_ms: i64,
    ) -> StoreResult<()>;

    /// The acknowledged position of every customer (for tests and diagnostics), by customer.
    async fn relay_positions(&self, relay: &str) -> StoreResult<Vec<RelayPosition>>;
}
