//! PostgreSQL, for several stateless Custodian nodes on one database. Writers lock the customer
//! row first, so concurrent changes of one customer are serialised by the database.

use crate::backend_error;
use crate::read_cache::ReadCache;
use custodian_store::StoreError;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Pool, Postgres, Transaction};
use std::sync::Arc;
use std::time::Duration;

/// PostgreSQL pool settings.
#[derive(Debug, Clone, Copy)]
pub struct PgSettings {
    pub max_connections: u32,
}

impl Default for PgSettings {
    fn default() -> Self {
        PgSettings { max_connections: 16 }
    }
}

/// The PostgreSQL store.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool<Postgres>,
    cache: Arc<ReadCache>,
    /// Taken by an import batch for its whole transaction (see `import_turn`).
    import_turn: Arc<tokio::sync::Mutex<()>>,
}

impl PgStore {
    /// Connects and runs the migrations (sqlx serialises concurrent migrators with an advisory lock).
    pub async fn connect(url: &str, settings: PgSettings) -> Result<PgStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .map_err(backend_error)?;
        sqlx::migrate!("migrations/postgres").run(&pool).await.map_err(|e| StoreError::Backend(e.to_string()))?;
        backfill_search_terms(pool.begin().await.map_err(backend_error)?).await?;
        backfill_audit_chain(pool.begin().await.map_err(backend_error)?).await?;
        let cache = Arc::new(ReadCache::default());
        let poller = pool.clone();
        ReadCache::start_polling(&cache, move || {
            let pool = poller.clone();
            async move {
                if pool.is_closed() {
                    return None;
                }
                Some(sqlx::query_scalar::<_, i64>(crate::read_cache::EPOCH_SQL).fetch_one(&pool).await)
            }
        });
        Ok(PgStore { pool, cache, import_turn: Arc::default() })
    }

    /// Import batches write one at a time, in the order they asked, so that their customers' ids
    /// follow the file even when an import hands over its next batch before the previous one is
    /// answered (the lock is fair).
    fn import_turn(&self) -> &tokio::sync::Mutex<()> {
        &self.import_turn
    }

    /// PostgreSQL commits concurrent transactions together itself; there is no group writer.
    fn group_writer(&self) -> Option<&crate::sqlite_writer::GroupWriter> {
        None
    }

    /// A write transaction; inside a request holding an idempotency reservation it first marks
    /// that receipt committed (see `custodian_store::idempotency`).
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        mark_idempotent_write!(self.begin_plain_write().await?)
    }

    /// A write transaction that never marks an idempotency receipt (receipts' own bookkeeping).
    async fn begin_plain_write(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        self.pool.begin().await.map_err(backend_error)
    }

    fn reader(&self) -> &Pool<Postgres> {
        &self.pool
    }

    /// What a reader has seen committed is durable: on PostgreSQL a commit is visible only once
    /// its WAL record is flushed.
    async fn seen_is_durable(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn read_customer_with_pending(
        &self,
        tenant: custodian_domain::TenantId,
        customer: custodian_domain::CustomerId,
        domain: custodian_domain::DataDomain,
    ) -> Result<(custodian_store::Customer, Option<custodian_domain::Amendment>), StoreError> {
        customer_with_pending_sqlx(&self.pool, tenant, customer, domain).await
    }

    async fn close_pools(&self) {
        self.pool.close().await;
    }

    /// After an erasure: nothing to do at once. The erased rows' old versions stay in the table
    /// files as dead tuples until VACUUM (autovacuum) reclaims their space and later writes reuse
    /// it; see the README's erasure section.
    async fn after_erasure(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

impl_store!(PgStore, Postgres, sqlx::postgres::PgRow, "postgres");

/// Makes a source's search terms for a customer ($1 tenant, $2 customer, $3 source) the terms in
/// $4, changing only those that differ, in one statement: the terms not among the new ones are
/// deleted, and the new ones not there yet are inserted. Both parts see the rows as they were when
/// the statement began, and they touch different terms. (The group writer's
/// `replace_search_terms` in one round trip instead of three.)
const REPLACE_SEARCH_TERMS: &str = "WITH gone AS (\
         DELETE FROM customer_search_terms WHERE customer_id = $2 AND source = $3 AND term <> ALL ($4::text[])\
     ) \
     INSERT INTO customer_search_terms (tenant_id, customer_id, source, term) \
     SELECT DISTINCT $1::bigint, $2::bigint, $3::text, t.term FROM unnest($4::text[]) AS t(term) \
     WHERE NOT EXISTS (SELECT 1 FROM customer_search_terms k WHERE k.customer_id = $2 AND k.source = $3 AND k.term = t.term)";

/// Appends events to a customer's outbox ($1 tenant, $2 customer, $3 how many) in one statement,
/// returning how many it appended: the customer's sequence advances by $3 (on the customer row
/// the caller locked), the events are inserted with the numbers after the old sequence, in order
/// ($4 types, $5 and $6 the payload text before and after its number — see
/// [`crate::sql::event_payload_around_seq`] — $7 request ids, $8 times), and they are fanned out
/// to the tenant's webhook subscriptions as [`crate::sql::FAN_OUT_EVENTS`] does (no event without
/// its deliveries, in sequence order).
const APPEND_EVENTS: &str = "WITH numbered AS (\
         UPDATE customers SET event_seq = event_seq + $3 WHERE tenant_id = $1 AND id = $2 RETURNING event_seq - $3 AS before\
     ), events AS (\
         INSERT INTO outbox_events (tenant_id, customer_id, seq, event_type, payload, request_id, created_ms) \
         SELECT $1, $2, numbered.before + e.n, e.event_type, COALESCE(e.head || (numbered.before + e.n) || e.tail, e.head), \
         e.request_id, e.created_ms \
         FROM numbered, unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[]) \
         WITH ORDINALITY AS e(event_type, head, tail, request_id, created_ms, n) \
         ORDER BY e.n \
         RETURNING id, tenant_id, customer_id, seq, event_type, created_ms\
     ), deliveries AS (\
         INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_id, customer_id, seq, status, attempts, \
         next_attempt_ms, created_ms) \
         SELECT e.tenant_id, s.id, e.id, e.customer_id, e.seq, 'pending', 0, e.created_ms, e.created_ms \
         FROM events e JOIN webhook_subscriptions s ON s.tenant_id = e.tenant_id \
         WHERE (s.event_types = '' OR s.event_types LIKE '% ' || e.event_type || ' %') \
         ORDER BY e.seq, s.id\
     ) \
     SELECT COUNT(*) FROM events";

/// Replaces the search terms `source` contributed for a customer (see `custodian_domain::search`)
/// with [`REPLACE_SEARCH_TERMS`].
async fn write_search_terms(
    tx: &mut Tx,
    tenant: TenantId,
    customer: CustomerId,
    source: &str,
    terms: &[String],
) -> StoreResult<()> {
    sqlx::query(REPLACE_SEARCH_TERMS)
        .bind(tenant.0)
        .bind(customer.0)
        .bind(source)
        .bind(terms)
        .execute(&mut **tx)
        .await
        .map_err(backend_error)?;
    Ok(())
}

/// Appends events to a customer's outbox and fans them out, with [`APPEND_EVENTS`].
async fn write_events(tx: &mut Tx, tenant: TenantId, customer: CustomerId, events: &[NewEvent]) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let (heads, tails): (Vec<String>, Vec<Option<String>>) =
        events.iter().map(|e| crate::sql::event_payload_around_seq(&e.payload)).unzip();
    let written: i64 = sqlx::query_scalar(APPEND_EVENTS)
        .bind(tenant.0)
        .bind(customer.0)
        .bind(events.len() as i64)
        .bind(events.iter().map(|e| e.event_type.clone()).collect::<Vec<_>>())
        .bind(heads)
        .bind(tails)
        .bind(events.iter().map(|e| e.request_id.clone()).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.at_ms).collect::<Vec<_>>())
        .fetch_one(&mut **tx)
        .await
        .map_err(backend_error)?;
    if written != events.len() as i64 {
        return Err(StoreError::Backend("events for a customer that is not there".into()));
    }
    Ok(())
}
impl_audit_store!(PgStore, Postgres, sqlx::postgres::PgRow, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
impl_webhook_store!(PgStore, sqlx::Postgres, sqlx::postgres::PgRow, "FOR UPDATE OF d SKIP LOCKED");
impl_billing_store!(PgStore, sqlx::Postgres, sqlx::postgres::PgRow);
impl_hierarchy_store!(PgStore, sqlx::Postgres, sqlx::postgres::PgRow, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
impl_wealth_store!(PgStore, sqlx::Postgres, sqlx::postgres::PgRow);
impl_idempotency_store!(PgStore, sqlx::Postgres, sqlx::postgres::PgRow);
impl_staff_store!(PgStore, sqlx::Postgres, sqlx::postgres::PgRow);
impl_privacy_store!(PgStore, Postgres, sqlx::postgres::PgRow);
// Ids from the identity column's sequence, so concurrent writers never take the same one.
impl_transfer_store!(
    PgStore,
    Postgres,
    sqlx::postgres::PgRow,
    crate::import_sql::POSTGRES_MAX_PARAMS,
    "SELECT nextval(pg_get_serial_sequence('customers', 'id')) FROM generate_series(1, $1::bigint)",
    "SELECT 1",
    "SELECT 1"
);
