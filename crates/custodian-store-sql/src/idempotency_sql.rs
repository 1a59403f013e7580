//! Idempotency receipts and event-relay progress, shared by both backends and expanded per driver
//! by `impl_idempotency_store!`. Reservations are settled by the unique index on (tenant,
//! principal, key) — INSERT first, never check-then-insert — and take-overs, completions and
//! releases by conditional updates on the holder's token. The relay lease is a conditional update
//! of one row per relay.

/// Reserves an idempotency key for a request ($1 tenant, $2 principal, $3 key, $4 fingerprint,
/// $5 token, $6 lease end, $7 customer or NULL, $8 time), returning the new receipt's id; no row
/// when the key is taken.
pub(crate) const RESERVE_IDEMPOTENCY_KEY: &str = "INSERT INTO idempotency_receipts (tenant_id, principal, idempotency_key, fingerprint, state, token, \
     lease_until_ms, customer_id, created_ms) VALUES ($1, $2, $3, $4, 'in_flight', $5, $6, $7, $8) \
     ON CONFLICT (tenant_id, principal, idempotency_key) DO NOTHING RETURNING id";

/// The receipt of an idempotency key ($1 tenant, $2 principal, $3 key).
pub(crate) const SELECT_RECEIPT_BY_KEY: &str = "SELECT id, tenant_id, principal, idempotency_key, fingerprint, state, lease_until_ms, \
     customer_id, status, headers, body, created_ms FROM idempotency_receipts \
     WHERE tenant_id = $1 AND principal = $2 AND idempotency_key = $3";

/// Gives an in-flight receipt whose lease ran out to a new holder ($1 token, $2 lease end,
/// $3 receipt, $4 tenant, $5 time); no row when it is not in flight or its lease holds.
pub(crate) const TAKE_OVER_RECEIPT: &str = "UPDATE idempotency_receipts SET token = $1, lease_until_ms = $2 \
     WHERE id = $3 AND tenant_id = $4 AND state = 'in_flight' AND lease_until_ms < $5";

/// Stores the response of the request holding a receipt ($1 status, $2 headers, $3 body,
/// $4 customer or NULL to keep it, $5 time, $6 receipt, $7 tenant, $8 holder's token); no row when
/// the holder lost it or it is completed.
pub(crate) const COMPLETE_RECEIPT: &str = "UPDATE idempotency_receipts SET state = 'completed', status = $1, headers = $2, body = $3, \
     customer_id = COALESCE($4, customer_id), completed_ms = $5 \
     WHERE id = $6 AND tenant_id = $7 AND token = $8 AND state <> 'completed'";

/// Deletes an in-flight receipt its holder gives up ($1 receipt, $2 tenant, $3 token); no row when
/// the holder lost it.
pub(crate) const RELEASE_RECEIPT: &str =
    "DELETE FROM idempotency_receipts WHERE id = $1 AND tenant_id = $2 AND token = $3 AND state = 'in_flight'";

/// Deletes every receipt created before $1 time.
pub(crate) const DELETE_RECEIPTS_BEFORE: &str = "DELETE FROM idempotency_receipts WHERE created_ms < $1";

/// Deletes a customer's receipts ($1 tenant, $2 customer).
pub(crate) const DELETE_RECEIPTS_OF_CUSTOMER: &str = "DELETE FROM idempotency_receipts WHERE tenant_id = $1 AND customer_id = $2";

/// Creates a relay's state row, unowned, if it has none ($1 relay).
pub(crate) const INSERT_RELAY_STATE: &str = "INSERT INTO event_relay_state (relay, owner, lease_until_ms, horizon_id) VALUES ($1, '', 0, 0) \
     ON CONFLICT (relay) DO NOTHING";

/// Gives a relay's lease to $1 owner until $2, if it holds it or the lease ended before $4 time
/// ($3 relay); no row when another owner's lease holds.
pub(crate) const ACQUIRE_RELAY_LEASE: &str = "UPDATE event_relay_state SET owner = $1, lease_until_ms = $2 \
     WHERE relay = $3 AND (owner = $1 OR lease_until_ms < $4)";

/// Ends a relay's lease ($1 relay) if $2 owner holds it.
pub(crate) const RELEASE_RELAY_LEASE: &str = "UPDATE event_relay_state SET lease_until_ms = 0 WHERE relay = $1 AND owner = $2";

/// The outbox events a relay has not relayed ($1 relay): after its horizon and each customer's
/// relayed sequence number, at most $2, in id order.
pub(crate) const SELECT_UNRELAYED_EVENTS: &str = "SELECT e.id, e.tenant_id, e.customer_id, e.seq, e.event_type, e.payload, e.request_id, e.created_ms \
     FROM outbox_events e \
     LEFT JOIN event_relay_positions p ON p.relay = $1 AND p.customer_id = e.customer_id \
     WHERE e.id > COALESCE((SELECT horizon_id FROM event_relay_state WHERE relay = $1), 0) \
     AND e.seq > COALESCE(p.seq, 0) \
     ORDER BY e.id LIMIT $2";

/// Extends a relay's lease to $1 ($2 relay, $3 owner) if the owner still holds it at $4 time; no
/// row when it lost the lease.
pub(crate) const EXTEND_RELAY_LEASE: &str =
    "UPDATE event_relay_state SET lease_until_ms = $1 WHERE relay = $2 AND owner = $3 AND lease_until_ms >= $4";

/// Moves a relay's position for a customer forward ($1 relay, $2 customer, $3 tenant, $4 sequence
/// number, $5 time); never back.
pub(crate) const UPSERT_RELAY_POSITION: &str = "INSERT INTO event_relay_positions (relay, customer_id, tenant_id, seq, updated_ms) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (relay, customer_id) DO UPDATE \
     SET seq = excluded.seq, updated_ms = excluded.updated_ms \
     WHERE event_relay_positions.seq < excluded.seq";

/// The id of the newest outbox event after a relay's horizon ($1 relay) created before $2 time, or
/// NULL.
pub(crate) const SELECT_NEWEST_EVENT_BEFORE: &str = "SELECT MAX(id) FROM outbox_events WHERE id > COALESCE((SELECT horizon_id FROM event_relay_state \
     WHERE relay = $1), 0) AND created_ms < $2";

/// Moves a relay's horizon forward to $1 ($2 relay, $3 owner); never back.
pub(crate) const ADVANCE_RELAY_HORIZON: &str =
    "UPDATE event_relay_state SET horizon_id = $1 WHERE relay = $2 AND owner = $3 AND horizon_id < $1";

/// A relay's positions ($1 relay), in customer order.
pub(crate) const SELECT_RELAY_POSITIONS: &str =
    "SELECT tenant_id, customer_id, seq FROM event_relay_positions WHERE relay = $1 ORDER BY customer_id";

/// Marks the receipt of the request being handled (if it holds one) `committed` inside a write
/// transaction that was just begun, so that the mark commits exactly when the change does. Fails
/// with `Conflict` (and the change is not made) when another request took the reservation over.
macro_rules! mark_idempotent_write {
    ($tx:expr) => {{
        match custodian_store::idempotency::holding() {
            None => Ok($tx),
            Some(h) => {
                let mut tx = $tx;
                let done = sqlx::query(crate::sql::MARK_RECEIPT_COMMITTED)
                    .bind(h.receipt)
                    .bind(h.tenant.0)
                    .bind(&h.token)
                    .execute(&mut *tx)
                    .await
                    .map_err(crate::backend_error)?;
                if done.rows_affected() == 1 {
                    Ok(tx)
                } else {
                    let _ = tx.rollback().await;
                    Err(custodian_store::StoreError::Conflict(
                        "another request with the same Idempotency-Key took over; nothing was changed".into(),
                    ))
                }
            }
        }
    }};
}

macro_rules! impl_idempotency_store {
    ($store:ident, $db:ty, $row:ty) => {
        mod idempotency_impl {
            use super::$store;
            use async_trait::async_trait;
            use custodian_domain::{CustomerId, TenantId};
            use custodian_store::idempotency::{
                Holding, IdempotencyReceipt, IdempotencyStore, NewReservation, ReceiptState, Reserved,
            };
            use custodian_store::relay::{EventRelayStore, RelayEvent, RelayPosition};
            use custodian_store::{OutboxEvent, StoreError, StoreResult};
            use sqlx::Row;

            fn get<'r, T>(r: &'r $row, col: &str) -> StoreResult<T>
            where
                T: sqlx::Decode<'r, $db> + sqlx::Type<$db>,
            {
                r.try_get(col).map_err(crate::backend_error)
            }

            fn receipt_row(r: &$row) -> StoreResult<IdempotencyReceipt> {
                let state: String = get(r, "state")?;
                Ok(IdempotencyReceipt {
                    id: get(r, "id")?,
                    tenant: TenantId(get(r, "tenant_id")?),
                    principal: get(r, "principal")?,
                    key: get(r, "idempotency_key")?,
                    fingerprint: get(r, "fingerprint")?,
                    state: ReceiptState::parse(&state)
                        .ok_or_else(|| StoreError::Backend(format!("unknown receipt state {state:?}")))?,
                    lease_until_ms: get(r, "lease_until_ms")?,
                    customer_id: get::<Option<i64>>(r, "customer_id")?.map(CustomerId),
                    status: get::<Option<i64>>(r, "status")?.and_then(|s| u16::try_from(s).ok()),
                    headers: get(r, "headers")?,
                    body: get(r, "body")?,
                    created_ms: get(r, "created_ms")?,
                })
            }

            #[async_trait]
            impl IdempotencyStore for $store {
                async fn reserve_idempotency_key(&self, n: NewReservation) -> StoreResult<Reserved> {
                    let mut tx = self.begin_plain_write().await?;
                    let id: Option<i64> = sqlx::query_scalar(crate::idempotency_sql::RESERVE_IDEMPOTENCY_KEY)
                        .bind(n.tenant.0)
                        .bind(&n.principal)
                        .bind(&n.key)
                        .bind(&n.fingerprint)
                        .bind(&n.token)
                        .bind(n.lease_until_ms)
                        .bind(n.customer_id.map(|c| c.0))
                        .bind(n.now_ms)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    if let Some(id) = id {
                        tx.commit().await.map_err(crate::backend_error)?;
                        return Ok(Reserved::Mine(id));
                    }
                    // The key is taken: read its receipt in the same transaction (on PostgreSQL the
                    // conflicting row is committed once ON CONFLICT has seen it).
                    let row = sqlx::query(crate::idempotency_sql::SELECT_RECEIPT_BY_KEY)
                        .bind(n.tenant.0)
                        .bind(&n.principal)
                        .bind(&n.key)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    tx.commit().await.map_err(crate::backend_error)?;
                    Ok(Reserved::Taken(receipt_row(&row)?))
                }

                async fn take_over_idempotency_key(
                    &self,
                    tenant: TenantId,
                    receipt: i64,
                    token: &str,
                    now_ms: i64,
                    lease_until_ms: i64,
                ) -> StoreResult<bool> {
                    let mut tx = self.begin_plain_write().await?;
                    let done = sqlx::query(crate::idempotency_sql::TAKE_OVER_RECEIPT)
                        .bind(token)
                        .bind(lease_until_ms)
                        .bind(receipt)
                        .bind(tenant.0)
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    tx.commit().await.map_err(crate::backend_error)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn complete_idempotency_key(
                    &self,
                    h: &Holding,
                    status: u16,
                    headers: &str,
                    body: &[u8],
                    customer_id: Option<CustomerId>,
                    now_ms: i64,
                ) -> StoreResult<bool> {
                    let mut tx = self.begin_plain_write().await?;
                    let done = sqlx::query(crate::idempotency_sql::COMPLETE_RECEIPT)
                        .bind(i64::from(status))
                        .bind(headers)
                        .bind(body)
                        .bind(customer_id.map(|c| c.0))
                        .bind(now_ms)
                        .bind(h.receipt)
                        .bind(h.tenant.0)
                        .bind(&h.token)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    tx.commit().await.map_err(crate::backend_error)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn release_idempotency_key(&self, h: &Holding) -> StoreResult<bool> {
                    let mut tx = self.begin_plain_write().await?;
                    let done = sqlx::query(crate::idempotency_sql::RELEASE_RECEIPT)
                        .bind(h.receipt)
                        .bind(h.tenant.0)
                        .bind(&h.token)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    tx.commit().await.map_err(crate::backend_error)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_idempotency_receipts_before(&self, before_ms: i64) -> StoreResult<u64> {
                    let mut tx = self.begin_plain_write().await?;
                    let done = sqlx::query(crate::idempotency_sql::DELETE_RECEIPTS_BEFORE)
                        .bind(before_ms)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    tx.commit().await.map_err(crate::backend_error)?;
                    Ok(done.rows_affected())
                }

                async fn delete_idempotency_receipts_of(&self, tenant: TenantId, customer: CustomerId) -> StoreResult<u64> {
                    let mut tx = self.begin_plain_write().await?;
                    let done = sqlx::query(crate::idempotency_sql::DELETE_RECEIPTS_OF_CUSTOMER)
                        .bind(tenant.0)
                        .bind(customer.0)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    tx.commit().await.map_err(crate::backend_error)?;
                    Ok(done.rows_affected())
                }
            }

            #[async_trait]
            impl EventRelayStore for $store {
                async fn acquire_relay_lease(&self, relay: &str, owner: &str, now_ms: i64, lease_ms: i64) -> StoreResult<bool> {
                    let mut tx = self.begin_plain_write().await?;
                    sqlx::query(crate::idempotency_sql::INSERT_RELAY_STATE)
                        .bind(relay)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    let done = sqlx::query(crate::idempotency_sql::ACQUIRE_RELAY_LEASE)
                        .bind(owner)
                        .bind(now_ms + lease_ms)
                        .bind(relay)
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    tx.commit().await.map_err(crate::backend_error)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn release_relay_lease(&self, relay: &str, owner: &str) -> StoreResult<()> {
                    let mut tx = self.begin_plain_write().await?;
                    sqlx::query(crate::idempotency_sql::RELEASE_RELAY_LEASE)
                        .bind(relay)
                        .bind(owner)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    tx.commit().await.map_err(crate::backend_error)
                }

                async fn unrelayed_events(&self, relay: &str, limit: i64) -> StoreResult<Vec<RelayEvent>> {
                    let rows = sqlx::query(crate::idempotency_sql::SELECT_UNRELAYED_EVENTS)
                        .bind(relay)
                        .bind(limit)
                        .fetch_all(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    // Published only once durable: an event is never sent for a change a crash can undo.
                    self.seen_is_durable().await?;
                    rows.iter()
                        .map(|r| {
                            let payload: String = get(r, "payload")?;
                            Ok(RelayEvent {
                                tenant: TenantId(get(r, "tenant_id")?),
                                event: OutboxEvent {
                                    id: get(r, "id")?,
                                    customer_id: CustomerId(get(r, "customer_id")?),
                                    seq: get(r, "seq")?,
                                    event_type: get(r, "event_type")?,
                                    payload: serde_json::from_str(&payload)
                                        .map_err(|e| StoreError::Backend(format!("stored JSON is invalid: {e}")))?,
                                    at_ms: get(r, "created_ms")?,
                                    request_id: get(r, "request_id")?,
                                },
                            })
                        })
                        .collect()
                }

                async fn record_relayed(
                    &self,
                    relay: &str,
                    owner: &str,
                    positions: &[RelayPosition],
                    now_ms: i64,
                    lease_ms: i64,
                ) -> StoreResult<bool> {
                    let mut tx = self.begin_plain_write().await?;
                    let still_mine = sqlx::query(crate::idempotency_sql::EXTEND_RELAY_LEASE)
                        .bind(now_ms + lease_ms)
                        .bind(relay)
                        .bind(owner)
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?
                        .rows_affected()
                        == 1;
                    if !still_mine {
                        let _ = tx.rollback().await;
                        return Ok(false);
                    }
                    for p in positions {
                        sqlx::query(crate::idempotency_sql::UPSERT_RELAY_POSITION)
                            .bind(relay)
                            .bind(p.customer.0)
                            .bind(p.tenant.0)
                            .bind(p.seq)
                            .bind(now_ms)
                            .execute(&mut *tx)
                            .await
                            .map_err(crate::backend_error)?;
                    }
                    tx.commit().await.map_err(crate::backend_error)?;
                    Ok(true)
                }

                async fn advance_relay_horizon(
                    &self,
                    relay: &str,
                    owner: &str,
                    first_unrelayed: Option<i64>,
                    created_before_ms: i64,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_plain_write().await?;
                    let newest_old: Option<i64> = sqlx::query_scalar(crate::idempotency_sql::SELECT_NEWEST_EVENT_BEFORE)
                        .bind(relay)
                        .bind(created_before_ms)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    let Some(mut horizon) = newest_old else {
                        return tx.commit().await.map_err(crate::backend_error);
                    };
                    if let Some(first) = first_unrelayed {
                        horizon = horizon.min(first - 1);
                    }
                    sqlx::query(crate::idempotency_sql::ADVANCE_RELAY_HORIZON)
                        .bind(horizon)
                        .bind(relay)
                        .bind(owner)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    tx.commit().await.map_err(crate::backend_error)
                }

                async fn relay_positions(&self, relay: &str) -> StoreResult<Vec<RelayPosition>> {
                    let rows = sqlx::query(crate::idempotency_sql::SELECT_RELAY_POSITIONS)
                        .bind(relay)
                        .fetch_all(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    rows.iter()
                        .map(|r| {
                            Ok(RelayPosition {
                                tenant: TenantId(get(r, "tenant_id")?),
                                customer: CustomerId(get(r, "customer_id")?),
                                seq: get(r, "seq")?,
                            })
                        })
                        .collect()
                }
            }
        }
    };
}
