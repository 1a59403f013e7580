//! The idempotency part of the storage port: receipts of write requests that carried an
//! `Idempotency-Key`, one per (tenant, principal, key), enforced by a unique index.
//!
//! A request first *reserves* its key (an INSERT that only one request can win), then runs with
//! the reservation in scope ([`within`]): every write transaction the store begins in that scope
//! marks the receipt `committed` in the same transaction (and fails when another request took the
//! reservation over), so a receipt says whether the request changed anything even when the
//! process dies before it records the response. Afterwards the response is stored
//! ([`IdempotencyStore::complete_idempotency_key`]) or, when nothing was written and the answer
//! is not final, the reservation is released.

use crate::StoreResult;
use async_trait::async_trait;
use custodian_domain::{CustomerId, TenantId};

/// Where a receipt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptState {
    /// Reserved; the request is running (or its process died before writing anything).
    InFlight,
    /// The request committed a write but its response is not recorded (yet).
    Committed,
    /// The response is recorded and is what a repeat answers.
    Completed,
}

impl ReceiptState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptState::InFlight => "in_flight",
            ReceiptState::Committed => "committed",
            ReceiptState::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Option<ReceiptState> {
        match s {
            "in_flight" => Some(ReceiptState::InFlight),
            "committed" => Some(ReceiptState::Committed),
            "completed" => Some(ReceiptState::Completed),
            _ => None,
        }
    }
}

/// A stored receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyReceipt {
    pub id: i64,
    pub tenant: TenantId,
    /// Who sent the request: `key:<prefix>` for an API key.
    pub principal: String,
    pub key: String,
    /// SHA-256 (hex) of the method, path with query, and body of the first request.
    pub fingerprint: String,
    pub state: ReceiptState,
    /// Until when an in-flight reservation belongs to its request.
    pub lease_until_ms: i64,
    /// The customer the request concerned, when it concerned one (GDPR erasure deletes these).
    pub customer_id: Option<CustomerId>,
    /// The recorded response (once completed): status, headers as a JSON array of
    /// `[name, value]` pairs, body.
    pub status: Option<u16>,
    pub headers: Option<String>,
    pub body: Option<Vec<u8>>,
    pub created_ms: i64,
}

/// A reservation to insert.
#[derive(Debug, Clone)]
pub struct NewReservation {
    pub tenant: TenantId,
    pub principal: String,
    pub key: String,
    pub fingerprint: String,
    pub customer_id: Option<CustomerId>,
    /// A random token naming this request's hold on the reservation.
    pub token: String,
    pub now_ms: i64,
    pub lease_until_ms: i64,
}

/// The outcome of a reservation attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reserved {
    /// This request holds the key now (receipt id).
    Mine(i64),
    /// The key was taken before; this is its receipt.
    Taken(IdempotencyReceipt),
}

/// The reservation of the request being handled, seen by the store's write transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub tenant: TenantId,
    pub receipt: i64,
    pub token: String,
}

tokio::task_local! {
    static HOLDING: Holding;
}

/// Runs `f` with `holding` in scope: write transactions begun inside mark its receipt committed.
pub async fn within<F: std::future::Future>(holding: Holding, f: F) -> F::Output {
    HOLDING.scope(holding, f).await
}

/// The reservation of the request being handled, if it carries one.
pub fn holding() -> Option<Holding> {
    HOLDING.try_with(Clone::clone).ok()
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Inserts the reservation, or returns the receipt that holds the key already (unique index
    /// on tenant, principal and key: of concurrent requests exactly one gets `Mine`).
    async fn reserve_idempotency_key(&self, reservation: NewReservation) -> StoreResult<Reserved>;

    /// Takes over an in-flight reservation whose lease ended before `now_ms` (its request died
    /// before writing anything); `false` when it is not in flight or its lease is still running.
    async fn take_over_idempotency_key(
        &self,
        tenant: TenantId,
        receipt: i64,
        token: &str,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> StoreResult<bool>;

    /// Records the response of the request holding `token`; `false` when it no longer holds it.
    async fn complete_idempotency_key(
        &self,
        holding: &Holding,
        status: u16,
        headers: &str,
        body: &[u8],
        customer_id: Option<CustomerId>,
        now_ms: i64,
    ) -> StoreResult<bool>;

    /// Deletes the reservation of the request holding `token` if it wrote nothing (still in
    /// flight); `false` when it committed a write (then its response must be completed instead).
    async fn release_idempotency_key(&self, holding: &Holding) -> StoreResult<bool>;

    /// Deletes the receipts created before `before_ms` (retention; keep at least 24 hours).
    async fn delete_idempotency_receipts_before(&self, before_ms: i64) -> StoreResult<u64>;

    /// Deletes the receipts of requests that concerned `customer` (erasure).
    async fn delete_idempotency_receipts_of(&self, tenant: TenantId, customer: CustomerId) -> StoreResult<u64>;
}
