//! Safe retries (`Idempotency-Key`, Stripe's semantics): the first request with a key runs and its
//! response is recorded; a repeat with the same content gets that response and writes nothing; the
//! same key with other content, or while the first request still runs, is a conflict.
//!
//! A key is scoped to the tenant and the principal (an API key's public prefix), so two callers
//! never see each other's keys. The key is reserved by an INSERT before the request runs (the
//! database's unique index picks exactly one of concurrent requests); the request then runs with
//! the reservation in scope, so every write transaction it begins marks the receipt `committed`
//! in that same transaction. That is what makes a crash safe: a reservation still `in_flight`
//! after its lease provably wrote nothing and may be taken over by a retry; one that is
//! `committed` without a recorded response is never run again.

use crate::clock::Clock;
use crate::error::AppResult;
use crate::{AppError, Principal};
use custodian_domain::CustomerId;
use custodian_store::Store;
use custodian_store::idempotency::{Holding, IdempotencyReceipt, NewReservation, ReceiptState, Reserved};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The header.
pub const HEADER: &str = "idempotency-key";
/// The header a replayed response carries.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// Longest key.
pub const MAX_KEY_LEN: usize = 255;
/// How long a reservation belongs to its request before a retry may take it over (only if the
/// request wrote nothing).
pub const LEASE_MS: i64 = 60_000;
/// Receipts are kept at least this long (retention must not delete younger ones).
pub const MIN_RETENTION_MS: i64 = 24 * 3600 * 1000;

/// Why a key is not valid.
pub fn check_key(key: &[u8]) -> Result<&str, String> {
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.iter().all(u8::is_ascii_graphic) {
        return Err(format!(
            "the Idempotency-Key header must be 1 to {MAX_KEY_LEN} visible ASCII characters (no spaces or control characters)"
        ));
    }
    Ok(std::str::from_utf8(key).expect("visible ASCII is UTF-8"))
}

/// SHA-256 of what makes two requests the same: method, path with query, and body.
pub fn fingerprint(method: &str, path_and_query: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b"\n");
    h.update(path_and_query.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

/// Who a key belongs to.
pub fn principal_of(p: &Principal) -> String {
    format!("key:{}", p.key_prefix)
}

/// What to do with a request that carries a key.
#[derive(Debug)]
pub enum Begin {
    /// Run it while holding the reservation, then [`IdempotencyService::finish`].
    Run(Holding),
    /// Answer the recorded response.
    Replay { status: u16, headers: Vec<(String, String)>, body: Vec<u8> },
    /// Refuse with 409: the reason, for the client.
    Conflict(Refusal),
}

/// Why a repeat cannot be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The key was used for a request with other content.
    KeyReused,
    /// The first request with the key is still running.
    InProgress,
    /// The first request changed data but its response was lost (its process stopped).
    OutcomeUnknown,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::KeyReused => "idempotency.key_reused",
            Refusal::InProgress => "idempotency.in_progress",
            Refusal::OutcomeUnknown => "idempotency.outcome_unknown",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Refusal::KeyReused => {
                "this Idempotency-Key was used for a different request (method, path or body); use a new key for a new request"
            }
            Refusal::InProgress => "a request with this Idempotency-Key is still being processed; retry later",
            Refusal::OutcomeUnknown => {
                "the request with this Idempotency-Key was carried out but its response was not recorded; read the resource to see the result"
            }
        }
    }
}

/// Whether a response is final and so recorded even though the request wrote nothing: 2xx and
/// 4xx other than 408, 409, 425 and 429 (those say "try again", so the key is released).
pub fn is_final(status: u16) -> bool {
    (200..300).contains(&status) || ((400..500).contains(&status) && !matches!(status, 408 | 409 | 425 | 429))
}

#[derive(Clone)]
pub struct IdempotencyService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

fn token() -> String {
    let b: [u8; 16] = rand::random();
    hex::encode(b)
}

fn replay(r: &IdempotencyReceipt) -> AppResult<Begin> {
    let headers: Vec<(String, String)> = match r.headers.as_deref() {
        Some(h) => serde_json::from_str(h).map_err(|e| AppError::Store(custodian_store::StoreError::Backend(e.to_string())))?,
        None => Vec::new(),
    };
    Ok(Begin::Replay { status: r.status.unwrap_or(200), headers, body: r.body.clone().unwrap_or_default() })
}

impl IdempotencyService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        IdempotencyService { store, clock }
    }

    /// Reserves `key` for this request, or says how to answer a repeat.
    pub async fn begin(
        &self,
        principal: &Principal,
        key: &str,
        fingerprint: String,
        customer: Option<CustomerId>,
    ) -> AppResult<Begin> {
        let now = self.clock.now_ms();
        let reservation = NewReservation {
            tenant: principal.tenant,
            principal: principal_of(principal),
            key: key.to_owned(),
            fingerprint: fingerprint.clone(),
            customer_id: customer,
            token: token(),
            now_ms: now,
            lease_until_ms: now + LEASE_MS,
        };
        let token = reservation.token.clone();
        let first = match self.store.reserve_idempotency_key(reservation).await.map_err(AppError::Store)? {
            Reserved::Mine(id) => return Ok(Begin::Run(Holding { tenant: principal.tenant, receipt: id, token })),
            Reserved::Taken(first) => first,
        };
        if first.fingerprint != fingerprint {
            return Ok(Begin::Conflict(Refusal::KeyReused));
        }
        match first.state {
            ReceiptState::Completed => replay(&first),
            // Written, and its request is about to record the response (or died doing so).
            ReceiptState::Committed if first.lease_until_ms >= now => Ok(Begin::Conflict(Refusal::InProgress)),
            ReceiptState::Committed => Ok(Begin::Conflict(Refusal::OutcomeUnknown)),
            ReceiptState::InFlight if first.lease_until_ms < now => {
                // Its request stopped before writing anything: run this one instead (if no other
                // retry took it over first).
                let won = self
                    .store
                    .take_over_idempotency_key(principal.tenant, first.id, &token, now, now + LEASE_MS)
                    .await
                    .map_err(AppError::Store)?;
                if won {
                    Ok(Begin::Run(Holding { tenant: principal.tenant, receipt: first.id, token }))
                } else {
                    Ok(Begin::Conflict(Refusal::InProgress))
                }
            }
            ReceiptState::InFlight => Ok(Begin::Conflict(Refusal::InProgress)),
        }
    }

    /// Records the response of a request that ran holding `holding`: a final answer, or any
    /// answer of a request that wrote something, is recorded; otherwise the key is released so
    /// that a retry runs again.
    pub async fn finish(
        &self,
        holding: &Holding,
        status: u16,
        headers: &[(String, String)],
        body: &[u8],
        customer: Option<CustomerId>,
    ) -> AppResult<()> {
        if !is_final(status) && self.store.release_idempotency_key(holding).await.map_err(AppError::Store)? {
            return Ok(());
        }
        let headers = serde_json::to_string(headers).expect("headers serialise");
        let now = self.clock.now_ms();
        self.store.complete_idempotency_key(holding, status, &headers, body, customer, now).await.map_err(AppError::Store)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        assert!(check_key(b"a").is_ok());
        assert!(check_key(&[b'x'; 255]).is_ok());
        assert!(check_key(b"3f1c-uuid_v4:ok/+=").is_ok());
        assert!(check_key(b"").is_err());
        assert!(check_key(&[b'x'; 256]).is_err());
        assert!(check_key(b"with space").is_err());
        assert!(check_key("umlaut-ä".as_bytes()).is_err());
        assert!(check_key(b"tab\t").is_err());
    }

    #[test]
    fn only_final_answers_are_recorded_when_nothing_was_written() {
        for s in [200, 201, 204, 400, 403, 404, 422] {
            assert!(is_final(s), "{s}");
        }
        for s in [408, 409, 425, 429, 500, 503] {
            assert!(!is_final(s), "{s}");
        }
    }

    #[test]
    fn the_fingerprint_covers_method_path_and_body() {
        let a = fingerprint("POST", "/v1/x", b"{}");
        assert_eq!(a, fingerprint("POST", "/v1/x", b"{}"));
        assert_ne!(a, fingerprint("PATCH", "/v1/x", b"{}"));
        assert_ne!(a, fingerprint("POST", "/v1/y", b"{}"));
        assert_ne!(a, fingerprint("POST", "/v1/x", b"{ }"));
    }
}
