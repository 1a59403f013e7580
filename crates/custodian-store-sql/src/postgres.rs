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
        Ok(PgStore { pool, cache })
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
