//! The embedded default: one SQLite file in WAL mode, a single writer connection that starts every
//! write transaction with `BEGIN IMMEDIATE`, and a pool of readers.

use crate::backend_error;
use crate::read_cache::ReadCache;
use crate::sqlite_direct::{DirectReaders, column, query_error};
use crate::sqlite_writer::GroupWriter;
use custodian_store::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Sqlite, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// SQLite's `synchronous` setting: `Full` syncs the WAL at every commit (an acknowledged write
/// survives power loss); `Normal` syncs at checkpoints (survives a process crash, not power loss).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    #[default]
    Full,
    Normal,
}

impl FromStr for Synchronous {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "full" => Ok(Synchronous::Full),
            "normal" => Ok(Synchronous::Normal),
            other => Err(format!("unknown sqlite synchronous setting {other:?}: expected full or normal")),
        }
    }
}

/// SQLite tuning.
#[derive(Debug, Clone, Copy)]
pub struct SqliteSettings {
    pub synchronous: Synchronous,
    pub readers: u32,
}

impl Default for SqliteSettings {
    fn default() -> Self {
        SqliteSettings { synchronous: Synchronous::Full, readers: 4 }
    }
}

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStore {
    read: Pool<Sqlite>,
    write: Pool<Sqlite>,
    cache: Arc<ReadCache>,
    /// Direct read connections for the hottest read (`None` for an in-memory database).
    direct: Option<Arc<DirectReaders>>,
    /// Group commit of creations, submissions, decisions and staff changes (`None` for an in-memory
    /// database, which only the sqlx writer's connection can see; those writes then go through it).
    group: Option<Arc<GroupWriter>>,
    /// Taken by an import batch written through the sqlx writer (see `import_turn`).
    import_turn: Arc<tokio::sync::Mutex<()>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and runs the migrations.
    pub async fn open(path: &str, settings: SqliteSettings) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match settings.synchronous {
                Synchronous::Full => SqliteSynchronous::Full,
                Synchronous::Normal => SqliteSynchronous::Normal,
            })
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // Deleted and overwritten content is zeroed, so that an erased person leaves no bytes
            // behind in the file's free space.
            .pragma("secure_delete", "on");
        // One writer: writers queue in the pool instead of spinning on SQLite's busy handler.
        // No ping before handing out a connection (`test_before_acquire`): a SQLite connection is
        // an open file, not a socket that can go away, and every ping is one more round trip to the
        // connection's worker thread, which on the writer is taken while other writers queue.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            // The writer's page cache: 16 MiB instead of SQLite's default 2 MiB, so that a write's
            // index and table pages are found in memory instead of being read again from the file.
            .connect_with(options.clone().pragma("cache_size", "-16384"))
            .await
            .map_err(backend_error)?;
        sqlx::migrate!("migrations/sqlite").run(&write).await.map_err(|e| StoreError::Backend(e.to_string()))?;
        let read = SqlitePoolOptions::new()
            .max_connections(settings.readers.max(1))
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.read_only(true))
            .await
            .map_err(backend_error)?;
        backfill_search_terms(write.begin_with("BEGIN IMMEDIATE").await.map_err(backend_error)?).await?;
        backfill_audit_chain(write.begin_with("BEGIN IMMEDIATE").await.map_err(backend_error)?).await?;
        let cache = Arc::new(ReadCache::default());
        let pool = read.clone();
        ReadCache::start_polling(&cache, move || {
            let pool = pool.clone();
            async move {
                if pool.is_closed() {
                    return None;
                }
                Some(sqlx::query_scalar::<_, i64>(crate::read_cache::EPOCH_SQL).fetch_one(&pool).await)
            }
        });
        let (direct, group) = if path.is_empty() || path.contains(":memory:") || path.starts_with("file:") || path.contains('?') {
            (None, None)
        } else {
            (
                Some(Arc::new(DirectReaders::open(path, settings.readers as usize)?)),
                Some(Arc::new(GroupWriter::open(path, settings.synchronous == Synchronous::Full, write.clone())?)),
            )
        };
        Ok(SqliteStore { read, write, cache, direct, group, import_turn: Arc::default() })
    }

    /// A write transaction; inside a request holding an idempotency reservation it first marks
    /// that receipt committed (see `custodian_store::idempotency`).
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        mark_idempotent_write!(self.begin_plain_write().await?)
    }

    /// A write transaction that never marks an idempotency receipt (receipts' own bookkeeping).
    async fn begin_plain_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.write.begin_with("BEGIN IMMEDIATE").await.map_err(backend_error)
    }

    /// Import batches that go through the sqlx writer (with events, or in memory) write one at a
    /// time, in the order they asked: see `PgStore::import_turn`. The group writer's queue orders
    /// the others.
    fn import_turn(&self) -> &tokio::sync::Mutex<()> {
        &self.import_turn
    }

    fn group_writer(&self) -> Option<&GroupWriter> {
        self.group.as_deref()
    }

    fn reader(&self) -> &Pool<Sqlite> {
        &self.read
    }

    /// Waits until what a reader has seen committed is durable: the group writer's batches are
    /// visible up to one WAL sync before they are (see `sqlite_writer::Syncer`).
    async fn seen_is_durable(&self) -> StoreResult<()> {
        match self.group_writer() {
            Some(group) => group.durable().await,
            None => Ok(()),
        }
    }

    /// A self-service GET's read on a direct connection (see `sqlite_direct`): the rows of
    /// `CUSTOMER_PENDING_SQL`, by column position.
    async fn read_customer_with_pending(
        &self,
        tenant: custodian_domain::TenantId,
        customer: custodian_domain::CustomerId,
        domain: custodian_domain::DataDomain,
    ) -> Result<(custodian_store::Customer, Option<custodian_domain::Amendment>), StoreError> {
        use custodian_domain::{Actor, Amendment, AmendmentId, CustomerId, DataDomain, SanitizedSvg, TenantId};
        use custodian_store::{Customer, VersionedData};
        let Some(direct) = &self.direct else {
            return customer_with_pending_sqlx(&self.read, tenant, customer, domain).await;
        };
        direct
            .run(move |conn| {
                let mut stmt = conn.prepare_cached(CUSTOMER_PENDING_SQL).map_err(query_error)?;
                let mut rows = stmt.query(rusqlite::params![tenant.0, customer.0, domain.as_str()]).map_err(query_error)?;
                let (mut found, mut domains, mut pending) = (None, std::collections::BTreeMap::new(), None);
                while let Some(r) = rows.next().map_err(query_error)? {
                    if column::<i64>(r, 0)? == 0 {
                        if found.is_none() {
                            found =
                                Some((column::<i64>(r, 1)?, column::<i64>(r, 2)?, column::<i64>(r, 3)?, column::<i64>(r, 4)?));
                        }
                        if let Some(d) = column::<Option<String>>(r, 5)? {
                            let d: DataDomain = parse_col(&d)?;
                            let data = domain_data(d, &column::<String>(r, 6)?)?;
                            domains.insert(d, VersionedData { data, version: column(r, 7)? });
                        }
                    } else {
                        let d: DataDomain = parse_col(&column::<String>(r, 11)?)?;
                        let decided_by: Option<String> = column(r, 18)?;
                        pending = Some(Amendment {
                            id: AmendmentId(column(r, 8)?),
                            tenant_id: TenantId(column(r, 9)?),
                            customer_id: CustomerId(column(r, 10)?),
                            domain: d,
                            state: parse_col(&column::<String>(r, 12)?)?,
                            proposed: domain_data(d, &column::<String>(r, 13)?)?,
                            signature: column::<Option<String>>(r, 14)?.map(SanitizedSvg::from_stored),
                            base_version: column(r, 15)?,
                            submitted_by: parse_col::<Actor>(&column::<String>(r, 16)?)?,
                            submitted_at_ms: column(r, 17)?,
                            decided_by: decided_by.as_deref().map(parse_col::<Actor>).transpose()?,
                            decided_at_ms: column(r, 19)?,
                            rejection_reason: column(r, 20)?,
                        });
                    }
                }
                let (id, tenant_id, created_ms, updated_ms) = found.ok_or(StoreError::NotFound)?;
                let customer = Customer { id: CustomerId(id), tenant_id: TenantId(tenant_id), created_ms, updated_ms, domains };
                Ok((customer, pending))
            })
            .await
    }

    async fn close_pools(&self) {
        if let Some(group) = &self.group {
            group.close().await;
        }
        if let Some(direct) = &self.direct {
            direct.close();
        }
        self.read.close().await;
        self.write.close().await;
    }

    /// After an erasure: copies the WAL into the database file and truncates it, so that the
    /// erased values' old page images do not outlive the erasure in the WAL. Waits (up to the busy
    /// timeout) for readers still using old snapshots; when they hold on longer the next automatic
    /// checkpoint completes it.
    async fn after_erasure(&self) -> Result<(), StoreError> {
        // The group writer's checkpointer may be running a checkpoint of its own at this moment
        // (a second one is refused at once, not queued): try again for up to a second.
        let mut busy = 1;
        for _ in 0..50 {
            (busy, _, _) = sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.write)
                .await
                .map_err(backend_error)?;
            if busy == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if busy != 0 {
            tracing::warn!("the WAL checkpoint after an erasure was blocked by readers; the next checkpoint completes it");
        }
        Ok(())
    }
}

impl_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow, "sqlite");

/// Replaces the search terms `source` contributed for a customer (see `custodian_domain::search`):
/// all of them deleted, then the new ones inserted. (The group writer changes only those that
/// differ, `sqlite_writer::replace_search_terms`; PostgreSQL does that in one statement.)
async fn write_search_terms(
    tx: &mut Tx,
    tenant: TenantId,
    customer: CustomerId,
    source: &str,
    terms: &[String],
) -> StoreResult<()> {
    sqlx::query(crate::sql::DELETE_SEARCH_TERMS)
        .bind(customer.0)
        .bind(source)
        .execute(&mut **tx)
        .await
        .map_err(crate::backend_error)?;
    if terms.is_empty() {
        return Ok(());
    }
    let sql = crate::sql::insert_search_terms_sql(terms.len());
    let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant.0).bind(customer.0).bind(source);
    for term in terms {
        insert = insert.bind(term);
    }
    insert.execute(&mut **tx).await.map_err(crate::backend_error)?;
    Ok(())
}

/// Appends events to a customer's outbox in three statements whatever their number: the
/// customer's sequence advances by the number of events (on the customer row the caller
/// locked), the events are inserted in one statement with consecutive sequence numbers, and
/// they are fanned out to the tenant's subscriptions in the same transaction (no event
/// without its deliveries; a disabled subscription's deliveries wait until it is enabled
/// again), in sequence order.
async fn write_events(tx: &mut Tx, tenant: TenantId, customer: CustomerId, events: &[NewEvent]) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let count = events.len() as i64;
    let last: i64 = sqlx::query_scalar(crate::sql::ADVANCE_EVENT_SEQ)
        .bind(tenant.0)
        .bind(customer.0)
        .bind(count)
        .fetch_one(&mut **tx)
        .await
        .map_err(crate::backend_error)?;
    let first = last - count + 1;
    let mut insert =
        sqlx::query(sqlx::AssertSqlSafe(crate::sql::insert_events_sql(events.len()))).bind(tenant.0).bind(customer.0);
    for (seq, e) in (first..).zip(events) {
        let payload = crate::sql::event_payload(&e.payload, seq);
        insert = insert.bind(seq).bind(&e.event_type).bind(payload).bind(e.request_id.as_deref()).bind(e.at_ms);
    }
    insert.execute(&mut **tx).await.map_err(crate::backend_error)?;
    sqlx::query(crate::sql::FAN_OUT_EVENTS)
        .bind(tenant.0)
        .bind(customer.0)
        .bind(first)
        .bind(last)
        .execute(&mut **tx)
        .await
        .map_err(crate::backend_error)?;
    Ok(())
}

impl_audit_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow, "BEGIN");
impl_webhook_store!(SqliteStore, sqlx::Sqlite, sqlx::sqlite::SqliteRow, "");
impl_billing_store!(SqliteStore, sqlx::Sqlite, sqlx::sqlite::SqliteRow);
impl_hierarchy_store!(SqliteStore, sqlx::Sqlite, sqlx::sqlite::SqliteRow, "BEGIN");
impl_wealth_store!(SqliteStore, sqlx::Sqlite, sqlx::sqlite::SqliteRow);
impl_idempotency_store!(SqliteStore, sqlx::Sqlite, sqlx::sqlite::SqliteRow);
impl_staff_store!(SqliteStore, sqlx::Sqlite, sqlx::sqlite::SqliteRow);
impl_privacy_store!(SqliteStore, Sqlite, sqlx::sqlite::SqliteRow);
// The writer holds the database (BEGIN IMMEDIATE), so the ids after the highest one ever used are
// free. An import batch gets a 128 MB page cache (the writer's is 16 MB): a batch's index inserts
// land all over a large database, and re-reading those pages from the file is the next cost.
impl_transfer_store!(
    SqliteStore,
    Sqlite,
    sqlx::sqlite::SqliteRow,
    crate::import_sql::SQLITE_MAX_PARAMS,
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
     SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'customers'), 0), COALESCE((SELECT MAX(id) FROM customers), 0)) + i \
     FROM n",
    "PRAGMA cache_size = -131072",
    "PRAGMA cache_size = -16384"
);
