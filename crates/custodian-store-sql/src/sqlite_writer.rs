//! SQLite's group commit for the customer writes that carry the load: creations, submissions,
//! decisions (approve, reject, withdraw) and staff changes.
//!
//! sqlx runs a SQLite connection on a worker thread and hands it every statement and every row
//! over channels; a submission is a dozen statements, so the writer spent more time waiting for
//! those hand-offs than in SQLite, and every request paid for its own commit and fsync. Here one
//! rusqlite connection (the same `libsqlite3-sys` as sqlx's) runs whole requests on a thread of its
//! own (`sqlite-writer`), and the requests that queued while the previous commit ran share the next transaction:
//!
//! - each request runs inside its own `SAVEPOINT`: one that fails (`PendingExists`,
//!   `VersionConflict`, `NotFound`, a lost idempotency receipt) is rolled back to it alone and
//!   answers its error; the others in the batch go on;
//! - one `COMMIT` (one WAL sync at `synchronous=full`) ends the batch, and only then is each
//!   request answered: an acknowledged write is durable, exactly as before;
//! - the same SQL as the sqlx path (`sql.rs`), and the same race rules: the unique partial index on
//!   pending amendments and the conditional updates decide, not a check before the insert. The
//!   statements with `RETURNING` run without it (`sql::without_returning`), and what they returned
//!   is read afterwards: SQLite made and dropped a temporary b-tree for every `RETURNING`.
//!
//! An import's batch goes through this writer too, but in a transaction of its own and without a
//! savepoint (`Job::alone`): one statement per row with cached statements. With the sqlx path's
//! multi-row statements 1,000,000 customers took 177 s; with this, 80 s.
//!
//! Mutual exclusion with the sqlx writer (keys, policies, webhooks, the dialects' writes): a batch
//! first takes the sqlx write pool's only connection and holds it, unused, until its commit, so the
//! two writers take turns in the pool's queue instead of meeting in SQLite's busy handler.

use crate::import_sql;
use crate::sql::{self, PreparedApply};
use custodian_domain::{AmendmentId, AmendmentState, CustomerId, TenantId, Transition};
use custodian_store::idempotency::Holding;
use custodian_store::transfer::ImportCustomer;
use custodian_store::{Apply, FollowUp, NewAmendment, NewAudit, NewCustomerRecords, NewEvent, Records, StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags, ToSql, named_params};
use sqlx::pool::PoolConnection;
use sqlx::{Pool, Sqlite};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The writer's page cache (16 MiB), so that a write finds its index and table pages in memory.
const WRITER_CACHE: &str = "PRAGMA cache_size = -16384";

/// The writer's page cache while it writes an import (512 MiB).
const IMPORT_CACHE: &str = "PRAGMA cache_size = -524288";

/// At most this many requests share one transaction (a bound on how long a batch holds the writer).
const MAX_BATCH: usize = 128;

/// How a request learns whether the transaction that holds its work committed.
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;

/// One request's work on the writer connection.
trait Job: Send {
    /// Runs the work (inside the request's savepoint); `true` when it succeeded and is to be kept.
    fn run(self: Box<Self>, conn: &Connection) -> (bool, Finish);
    /// Answers without running (the writer could not begin a transaction).
    fn refuse(self: Box<Self>, why: String);
    /// Whether the work runs in a transaction of its own, without a savepoint (an import batch:
    /// thousands of statements, and SQLite's cost of ending each one's statement savepoint grows
    /// with what the enclosing savepoint has journaled).
    fn alone(&self) -> bool;
}

struct Request<T, F> {
    work: F,
    reply: oneshot::Sender<StoreResult<T>>,
    alone: bool,
}

impl<T, F> Job for Request<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> StoreResult<T> + Send,
{
    fn run(self: Box<Self>, conn: &Connection) -> (bool, Finish) {
        let Request { work, reply, .. } = *self;
        match work(conn) {
            Ok(value) => (
                true,
                Box::new(move |commit: Result<(), String>| {
                    let _ = reply.send(commit.map(|()| value).map_err(StoreError::Backend));
                }),
            ),
            Err(e) => (
                false,
                Box::new(move |_| {
                    let _ = reply.send(Err(e));
                }),
            ),
        }
    }

    fn refuse(self: Box<Self>, why: String) {
        let _ = self.reply.send(Err(StoreError::Backend(why)));
    }

    fn alone(&self) -> bool {
        self.alone
    }
}

/// The group-commit writer of one SQLite file.
pub(crate) struct GroupWriter {
    jobs: Mutex<Option<mpsc::Sender<Box<dyn Job>>>>,
    /// Answered (or dropped) when the writer thread has finished the queue and closed its connection.
    stopped: tokio::sync::Mutex<Option<oneshot::Receiver<()>>>,
    /// The WAL's syncer at `synchronous=full`.
    syncer: Option<Arc<Syncer>>,
    checkpointer: Checkpointer,
}

/// How often the checkpointer copies the WAL into the database file: often, so that little is
/// left to copy while the writer pauses for a restart (at 100 ms the applied POST made 3,200–4,100
/// req/s with a p99 of 46–63 ms, at 20 ms 3,800–4,000 and 33–46 ms, alternating runs).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(20);

/// At this many WAL pages (256 MiB) the checkpointer starts the WAL over (see [`WalTurns`]). Each
/// start costs the writer a pause of 7–37 ms (measured: the last frames copied and both files
/// synced), so rarely: under a steady applied-POST load (about 30 KB of WAL each) once every two
/// seconds or so. Alternating 10 s runs: p99 18.5 / 18.7 / 35.4 ms against 34–44 ms when restarting
/// at 16,384 pages (64 MiB), with as many requests or more (3,892–4,020 against 3,347–4,059 req/s).
const RESTART_WAL_PAGES: i64 = 65536;

/// The WAL file is cut back to this size when it starts over larger (it keeps its size otherwise).
/// Above the restart size: cutting the file back at every restart and growing it again took the
/// p99 to 110–200 ms (a 64 MiB limit with restarts at 256 MiB).
const WAL_SIZE_LIMIT: i64 = 320 * 1024 * 1024;

/// The writer's own checkpoints only start at this many WAL pages (1 GiB): a bound on the WAL
/// should the checkpointer ever fall behind; normally it starts the WAL over long before.
const WRITER_CHECKPOINT_PAGES: u32 = 262144;

/// Copies the WAL into the database file on a thread of its own (a `PASSIVE` checkpoint every
/// [`CHECKPOINT_EVERY`]), so that the writer does not stop for it, and starts the WAL over when
/// it has grown to [`RESTART_WAL_PAGES`]. The WAL file therefore takes up to about 300 MB on disk.
///
/// SQLite starts the WAL over only at the beginning of a write transaction that finds every frame
/// copied into the database file. Under a steady load that never happens by itself: the writer
/// commits new frames while a checkpoint copies the old ones. With SQLite's automatic checkpoint
/// the writer did it itself after a commit (copying the frames and syncing the WAL and the
/// database file while every request waited): 12 % of the writer's time, and the applied POST's
/// p99 at 33–44 ms. Here the checkpointer asks the writer for a pause between two batches
/// ([`WalTurns`]), copies the few frames committed since its last round, and the writer's next
/// batch starts the WAL over.
struct Checkpointer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// `PRAGMA wal_checkpoint(PASSIVE)`: the WAL's length in pages, when the checkpoint ran.
fn passive_checkpoint(conn: &Connection) -> Option<i64> {
    // Busy (another checkpoint runs): the next round retries.
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1)).ok()
}

impl Checkpointer {
    fn start(path: &str, turns: Arc<WalTurns>, every: Duration, restart_pages: i64) -> StoreResult<Checkpointer> {
        let conn = open_read_write(path, Duration::from_secs(1))?;
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                let (lock, wake) = &*flag;
                let mut stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
                while !*stopped {
                    stopped = wake.wait_timeout(stopped, every).unwrap_or_else(|e| e.into_inner()).0;
                    if *stopped {
                        break;
                    }
                    if passive_checkpoint(&conn).is_some_and(|pages| pages >= restart_pages) {
                        // Once more at once, to copy what was committed during the first, so that
                        // little is left to copy while the writer waits.
                        let _ = passive_checkpoint(&conn);
                        if turns.pause_writer(PAUSE_WAIT_AT_MOST) {
                            // The writer is between batches: this copies what it committed since, and
                            // its next transaction starts the WAL over (unless a reader still reads an
                            // older snapshot: then the next round tries again).
                            let _ = passive_checkpoint(&conn);
                            turns.resume_writer();
                        }
                    }
                }
            })
            .map_err(|e| StoreError::Backend(format!("starting the checkpointer: {e}")))?;
        Ok(Checkpointer { stop, thread: Mutex::new(Some(thread)) })
    }

    fn stop(&self) {
        let (lock, wake) = &*self.stop;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

/// Turns on the write lock between the writer's batches and the checkpointer's WAL restarts: the
/// checkpointer asks for a pause, the writer finishes its batch and waits before the next one.
#[derive(Default)]
struct WalTurns {
    state: Mutex<Turn>,
    changed: Condvar,
}

#[derive(Default)]
struct Turn {
    pause_wanted: bool,
    batch_running: bool,
}

/// The longest the checkpointer waits for the writer's batch to end before it gives up a restart
/// for this round (an import's batch of thousands of rows can take that long).
const PAUSE_WAIT_AT_MOST: Duration = Duration::from_secs(2);

impl WalTurns {
    fn lock(&self) -> std::sync::MutexGuard<'_, Turn> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The writer, before a batch: waits while the checkpointer has the turn.
    fn begin_batch(&self) -> BatchTurn<'_> {
        let mut turn = self.lock();
        while turn.pause_wanted {
            turn = self.changed.wait(turn).unwrap_or_else(|e| e.into_inner());
        }
        turn.batch_running = true;
        BatchTurn(self)
    }

    /// The checkpointer: asks for the writer's pause; `true` once no batch runs (then
    /// [`WalTurns::resume_writer`] must follow), `false` if the batch did not end within `at_most`.
    fn pause_writer(&self, at_most: Duration) -> bool {
        let mut turn = self.lock();
        turn.pause_wanted = true;
        let deadline = Instant::now() + at_most;
        while turn.batch_running {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                turn.pause_wanted = false;
                self.changed.notify_all();
                return false;
            }
            turn = self.changed.wait_timeout(turn, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        true
    }

    fn resume_writer(&self) {
        self.lock().pause_wanted = false;
        self.changed.notify_all();
    }
}

/// A running batch's turn, given back when it ends (also when the batch panics).
struct BatchTurn<'a>(&'a WalTurns);

impl Drop for BatchTurn<'_> {
    fn drop(&mut self) {
        self.0.lock().batch_running = false;
        self.0.changed.notify_all();
    }
}

/// Makes committed batches durable off the writer's path, so that the writer runs the next batch
/// while the disk takes the previous one (at `synchronous=full`).
///
/// The writer's connection commits at `synchronous=NORMAL`, which in WAL mode differs from `FULL`
/// in one thing only: `COMMIT` does not sync the WAL. The syncer does, with `fdatasync` on the WAL
/// file, and only then are the batch's requests answered, so an acknowledged write is as durable
/// as at `FULL`: a sync covers every frame written before it started, and SQLite overwrites WAL
/// frames only after a checkpoint has synced them into the database file (the WAL header after a
/// restart is still synced by SQLite at `NORMAL`). Batches that commit while a sync runs share the
/// next one.
///
/// What this changes: a committed batch is visible to readers up to one sync (about a
/// millisecond) before it is durable, where at `FULL` the commit waited for it. A crash of the
/// machine (not of the process: its writes are in the kernel's page cache) in that window loses
/// the batch, which no request was told had succeeded. Webhook deliveries are claimed in a
/// transaction of the sqlx writer, whose `FULL` commit syncs the WAL before the claim is seen.
struct Syncer {
    state: Arc<(Mutex<SyncState>, Condvar)>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

#[derive(Default)]
struct SyncState {
    /// Requests whose batch committed and that wait for the next sync.
    waiting: Vec<Finish>,
    stop: bool,
    /// Set by a failed sync; every later request is answered with it.
    failed: Option<String>,
}

impl Syncer {
    fn start(wal_path: String) -> StoreResult<Syncer> {
        let state = Arc::new((Mutex::new(SyncState::default()), Condvar::new()));
        let shared = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name("sqlite-sync".into())
            .spawn(move || sync_loop(&shared, &wal_path))
            .map_err(|e| StoreError::Backend(format!("starting the WAL syncer: {e}")))?;
        Ok(Syncer { state, thread: Mutex::new(Some(thread)) })
    }

    /// Answers `finishes` after the next sync of the WAL.
    fn after_sync(&self, finishes: Vec<Finish>) {
        let (lock, wake) = &*self.state;
        let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
        if state.stop {
            // Only a durability wait comes after the writer stopped: nothing is left to sync.
            drop(state);
            for finish in finishes {
                finish(Err("the store is closed".into()));
            }
            return;
        }
        state.waiting.extend(finishes);
        wake.notify_one();
    }

    /// Why writes are refused since a sync failed.
    fn broken(&self) -> Option<String> {
        self.state.0.lock().unwrap_or_else(|e| e.into_inner()).failed.clone()
    }

    /// Syncs what is waiting, then stops the thread.
    fn stop(&self) {
        let (lock, wake) = &*self.state;
        lock.lock().unwrap_or_else(|e| e.into_inner()).stop = true;
        wake.notify_one();
        if let Some(thread) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

fn sync_loop(state: &(Mutex<SyncState>, Condvar), wal_path: &str) {
    let (lock, wake) = state;
    let mut wal: Option<std::fs::File> = None;
    loop {
        let (finishes, failed) = {
            let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
            while state.waiting.is_empty() && !state.stop {
                state = wake.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            if state.waiting.is_empty() {
                return;
            }
            (std::mem::take(&mut state.waiting), state.failed.clone())
        };
        let outcome = match failed {
            Some(why) => Err(why),
            None => sync_wal(&mut wal, wal_path).map_err(|e| {
                let why = format!("the write could not be made durable (syncing {wal_path}: {e}); restart the server");
                lock.lock().unwrap_or_else(|e| e.into_inner()).failed = Some(why.clone());
                why
            }),
        };
        for finish in finishes {
            finish(outcome.clone());
        }
    }
}

/// `fdatasync` of the WAL file, opened on first use: it exists once a batch has committed, and
/// stays the same file while the writer's connection is open (SQLite deletes it only when the last
/// connection closes, and restarts it in place).
fn sync_wal(wal: &mut Option<std::fs::File>, path: &str) -> std::io::Result<()> {
    if wal.is_none() {
        *wal = Some(std::fs::OpenOptions::new().read(true).write(true).open(path)?);
    }
    match wal {
        Some(file) => file.sync_data(),
        None => Ok(()),
    }
}

impl Drop for GroupWriter {
    fn drop(&mut self) {
        self.checkpointer.stop();
    }
}

fn failed(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// A read-write connection to the (existing) database file at `path`, waiting up to `busy` for locks.
fn open_read_write(path: &str, busy: Duration) -> StoreResult<Connection> {
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(failed)?;
    conn.busy_timeout(busy).map_err(failed)?;
    Ok(conn)
}

impl GroupWriter {
    /// Opens the writer connection to the database file at `path` (created and migrated by the
    /// sqlx writer, whose pool `gate` is) with the store's settings.
    pub(crate) fn open(path: &str, full_sync: bool, gate: Pool<Sqlite>) -> StoreResult<GroupWriter> {
        GroupWriter::open_checkpointing(path, full_sync, gate, CHECKPOINT_EVERY, RESTART_WAL_PAGES)
    }

    /// [`GroupWriter::open`] with a checkpoint `every` so often and the WAL started over at
    /// `restart_pages` pages.
    fn open_checkpointing(
        path: &str,
        full_sync: bool,
        gate: Pool<Sqlite>,
        every: Duration,
        restart_pages: i64,
    ) -> StoreResult<GroupWriter> {
        let conn = open_read_write(path, Duration::from_secs(10))?;
        // The sqlx connections' settings (see `SqliteStore::open`), and a 16 MiB page cache so that
        // a write finds its index and table pages in memory.
        // `synchronous = NORMAL` on this connection in both cases: at `full` the commit's WAL sync
        // is the syncer's (see `Syncer`), so that the next batch runs while it waits for the disk.
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; \
             {WRITER_CACHE}; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = {WRITER_CHECKPOINT_PAGES}; \
             PRAGMA journal_size_limit = {WAL_SIZE_LIMIT};"
        ))
        .map_err(failed)?;
        conn.set_prepared_statement_cache_capacity(64);
        let (send, receive) = mpsc::channel();
        let turns = Arc::new(WalTurns::default());
        let checkpointer = Checkpointer::start(path, Arc::clone(&turns), every, restart_pages)?;
        let (done, stopped) = oneshot::channel();
        let runtime = tokio::runtime::Handle::current();
        // SQLite's own name of the file (through symbolic links, as SQLite keeps the WAL next to the
        // file a link points to), not the configured one.
        let database = conn.path().filter(|p| !p.is_empty()).unwrap_or(path).to_owned();
        let syncer = if full_sync { Some(Arc::new(Syncer::start(format!("{database}-wal"))?)) } else { None };
        let writer_syncer = syncer.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                write_loop(&receive, &gate, &conn, &runtime, writer_syncer.as_deref(), &turns);
                drop(conn);
                if let Some(syncer) = writer_syncer {
                    syncer.stop();
                }
                let _ = done.send(());
            })
            .map_err(|e| StoreError::Backend(format!("starting the writer: {e}")))?;
        Ok(GroupWriter { jobs: Mutex::new(Some(send)), stopped: tokio::sync::Mutex::new(Some(stopped)), syncer, checkpointer })
    }

    /// Runs `work` in the next batch and answers once the batch's commit is durable. Inside a
    /// request holding an idempotency reservation, the work first marks that receipt committed,
    /// as `begin_write` does on the sqlx path.
    async fn run<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.submit(work, false).await
    }

    /// [`GroupWriter::run`]; `alone`: in a transaction of its own (see [`Job::alone`]).
    async fn submit<T, F>(&self, work: F, alone: bool) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let closed = || StoreError::Backend("the store is closed".into());
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner()).clone().ok_or_else(closed)?;
        let holding = custodian_store::idempotency::holding();
        let work = move |conn: &Connection| {
            mark_receipt(conn, holding.as_ref())?;
            work(conn)
        };
        let (reply, answer) = oneshot::channel();
        jobs.send(Box::new(Request { work, reply, alone })).map_err(|_| closed())?;
        answer.await.map_err(|_| StoreError::Backend("the writer stopped before answering".into()))?
    }

    /// Waits until every batch committed before the call is durable (at once without a syncer).
    pub(crate) async fn durable(&self) -> StoreResult<()> {
        let Some(syncer) = &self.syncer else { return Ok(()) };
        let (reply, answer) = oneshot::channel();
        syncer.after_sync(vec![Box::new(move |synced: Result<(), String>| {
            let _ = reply.send(synced);
        })]);
        match answer.await {
            Ok(synced) => synced.map_err(StoreError::Backend),
            Err(_) => Err(StoreError::Backend("the WAL syncer stopped".into())),
        }
    }

    /// Stops taking requests, finishes the queued ones and closes the connection.
    pub(crate) async fn close(&self) {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(stopped) = self.stopped.lock().await.take() {
            let _ = stopped.await;
        }
        self.checkpointer.stop();
    }

    pub(crate) async fn create_customer(
        &self,
        tenant: TenantId,
        data: Vec<Apply>,
        now_ms: i64,
        records: NewCustomerRecords,
    ) -> StoreResult<CustomerId> {
        let data: Vec<PreparedApply> = data.iter().map(PreparedApply::new).collect();
        self.run(move |conn| {
            conn.prepare_cached(sql::without_returning(sql::INSERT_CUSTOMER))
                .and_then(|mut s| s.execute(named_params! { "$1": tenant.0, "$2": now_ms }))
                .map_err(foreign_key_is_not_found)?;
            let customer = CustomerId(conn.last_insert_rowid());
            for apply in &data {
                write_domain(conn, tenant, customer, apply)?;
                execute_numbered(conn, sql::TOUCH_CUSTOMER, &[&apply.at_ms, &tenant.0, &customer.0])?;
            }
            write_records(conn, tenant, customer, &records(customer))?;
            Ok(customer)
        })
        .await
    }

    /// An import's batch (see `TransferStore::import_customers`) in a transaction of its own: all
    /// of it is kept or none.
    pub(crate) async fn import_customers(
        &self,
        tenant: TenantId,
        batch: Vec<ImportCustomer>,
        now_ms: i64,
        actor: String,
        action: String,
    ) -> StoreResult<Vec<Option<CustomerId>>> {
        self.submit(
            move |conn| {
                // A 512 MiB page cache while an import's batches are written: at a million
                // customers the search terms and external-id indexes outgrow 128 MiB (92 s for 1M
                // with 128 MiB, 80 s with 512 MiB). It is kept from one import batch to the next
                // (cutting it back after each batch dropped the pages the next one needs) and cut
                // back before the writer's next group of requests (`commit_group`).
                conn.execute_batch(IMPORT_CACHE).map_err(failed)?;
                import_batch(conn, tenant, batch, now_ms, &actor, &action)
            },
            true,
        )
        .await
    }

    pub(crate) async fn submit_amendment(
        &self,
        a: NewAmendment,
        apply: Option<Apply>,
        follow_up: FollowUp,
    ) -> StoreResult<AmendmentId> {
        let apply = apply.as_ref().map(PreparedApply::new);
        let proposed = a.proposed.to_json().to_string();
        self.run(move |conn| {
            lock_customer(conn, a.tenant_id, a.customer_id, apply.as_ref().map(|p| p.at_ms))?;
            if let Some(apply) = &apply {
                write_domain(conn, a.tenant_id, a.customer_id, apply)?;
            }
            let (decided_by, decided_ms) = match a.state {
                AmendmentState::Pending => (None, None),
                _ => (Some(a.submitted_by.to_string()), Some(a.submitted_at_ms)),
            };
            conn.prepare_cached(sql::without_returning(sql::INSERT_AMENDMENT))
                .and_then(|mut s| {
                    s.execute(named_params! {
                        "$1": a.tenant_id.0, "$2": a.customer_id.0, "$3": a.proposed.domain().as_str(),
                        "$4": a.state.as_str(), "$5": proposed, "$6": a.signature.as_ref().map(|s| s.as_str()),
                        "$7": a.base_version, "$8": a.submitted_by.to_string(), "$9": a.submitted_at_ms,
                        "$10": decided_by, "$11": decided_ms,
                    })
                })
                .map_err(|e| if is_unique_violation(&e) { StoreError::PendingExists } else { failed(e) })?;
            let id = AmendmentId(conn.last_insert_rowid());
            write_records(conn, a.tenant_id, a.customer_id, &follow_up(id))?;
            Ok(id)
        })
        .await
    }

    pub(crate) async fn decide_amendment(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        t: &Transition,
        apply: Option<Apply>,
        records: Records,
    ) -> StoreResult<()> {
        let apply = apply.as_ref().map(PreparedApply::new);
        let (to, by, at_ms, reason, id) = (t.to.as_str(), t.by.to_string(), t.at_ms, t.reason.clone(), t.id.0);
        self.run(move |conn| {
            lock_customer(conn, tenant, customer, apply.as_ref().map(|p| p.at_ms))?;
            let done = conn
                .prepare_cached(sql::DECIDE_AMENDMENT)
                .and_then(|mut s| {
                    s.execute(named_params! {
                        "$1": to, "$2": by, "$3": at_ms, "$4": reason, "$5": tenant.0, "$6": customer.0, "$7": id,
                    })
                })
                .map_err(failed)?;
            if done != 1 {
                return Err(StoreError::NotPending);
            }
            if let Some(apply) = &apply {
                write_domain(conn, tenant, customer, apply)?;
            }
            write_records(conn, tenant, customer, &records)
        })
        .await
    }

    pub(crate) async fn apply_change(
        &self,
        tenant: TenantId,
        customer: CustomerId,
        apply: Apply,
        records: Records,
    ) -> StoreResult<()> {
        let apply = PreparedApply::new(&apply);
        self.run(move |conn| {
            lock_customer(conn, tenant, customer, Some(apply.at_ms))?;
            write_domain(conn, tenant, customer, &apply)?;
            write_records(conn, tenant, customer, &records)
        })
        .await
    }
}

/// How long the writer keeps the sqlx writer's connection (the gate) after a batch while no
/// request is queued, so that a load's next batch does not wait for the connection's return.
const GATE_LINGER: Duration = Duration::from_millis(2);

/// The longest the writer keeps the gate over consecutive batches before handing it back, so that
/// the sqlx writer's requests (keys, policies, webhooks, the dialects' writes) queued behind it
/// get their turn under a steady load.
const GATE_HOLD_AT_MOST: Duration = Duration::from_millis(50);

/// The writer thread: takes batches off the queue until every sender is gone.
///
/// It runs on a thread of its own rather than as a task that hands each batch to tokio's blocking
/// pool: at a few thousand writes a second the hand-offs (the loop's task waiting for a busy
/// worker, the gate's connection going back to the pool through a spawned task and coming out
/// again) left the writer idle for 0.8 ms between batches of 3 ms. The gate is kept from one
/// batch to the next while requests keep coming.
fn write_loop(
    jobs: &mpsc::Receiver<Box<dyn Job>>,
    gate: &Pool<Sqlite>,
    conn: &Connection,
    runtime: &tokio::runtime::Handle,
    syncer: Option<&Syncer>,
    turns: &WalTurns,
) {
    // The gate's connection goes back to its pool through a task spawned on the runtime.
    let _context = runtime.enter();
    let mut held: Option<(PoolConnection<Sqlite>, Instant)> = None;
    let mut import_cache = false;
    loop {
        let first = match held.as_ref().map(|_| jobs.recv_timeout(GATE_LINGER)) {
            Some(Ok(job)) => job,
            Some(Err(RecvTimeoutError::Disconnected)) => return,
            Some(Err(RecvTimeoutError::Timeout)) | None => {
                held = None;
                match jobs.recv() {
                    Ok(job) => job,
                    Err(_) => return,
                }
            }
        };
        if let Some(why) = syncer.and_then(Syncer::broken) {
            // A failed sync leaves it unknown what reached the disk: no write is acknowledged any
            // more (as PostgreSQL stops at a failed fsync); an operator restarts the server.
            refuse_queue(first, jobs, &why);
            continue;
        }
        if held.as_ref().is_some_and(|(_, since)| since.elapsed() >= GATE_HOLD_AT_MOST) {
            held = None;
        }
        if held.is_none() {
            match runtime.block_on(gate.acquire()) {
                Ok(connection) => held = Some((connection, Instant::now())),
                Err(e) => {
                    refuse_queue(first, jobs, &format!("waiting for the writer: {e}"));
                    continue;
                }
            }
        }
        // Waits here while the checkpointer starts the WAL over; what queues meanwhile joins the batch.
        let _turn = turns.begin_batch();
        // Everything that queued meanwhile goes into this batch.
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(conn, batch, syncer, &mut import_cache);
    }
}

/// Answers `first` and every request queued behind it with `why`, without running them.
fn refuse_queue(first: Box<dyn Job>, jobs: &mpsc::Receiver<Box<dyn Job>>, why: &str) {
    first.refuse(why.to_owned());
    while let Ok(job) = jobs.try_recv() {
        job.refuse(why.to_owned());
    }
}

/// Runs a batch: the requests in one transaction, each in its own savepoint, except those that run
/// alone (in queue order, each in a transaction of its own between the others'). `import_cache`:
/// whether the page cache is still an import's (see `IMPORT_CACHE`); it is cut back before other work.
fn commit_batch(conn: &Connection, batch: Vec<Box<dyn Job>>, syncer: Option<&Syncer>, import_cache: &mut bool) {
    let mut group = Vec::new();
    for job in batch {
        if job.alone() {
            commit_group(conn, std::mem::take(&mut group), syncer, import_cache);
            commit_alone(conn, job, syncer);
            *import_cache = true;
        } else {
            group.push(job);
        }
    }
    commit_group(conn, group, syncer, import_cache);
}

/// Answers the requests of a transaction: at once when it failed or nothing is to be synced, after
/// the syncer's next WAL sync when it committed.
fn answer(finishes: Vec<Finish>, outcome: Result<(), String>, syncer: Option<&Syncer>) {
    match (outcome, syncer) {
        (Ok(()), Some(syncer)) => syncer.after_sync(finishes),
        (outcome, _) => {
            for finish in finishes {
                finish(outcome.clone());
            }
        }
    }
}

/// Runs a request's work. A panic in it (a bug) fails that request alone: it is rolled back like
/// any failure, its caller sees the answer channel close, and the writer goes on.
fn run_caught(conn: &Connection, job: Box<dyn Job>) -> (bool, Finish) {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(conn)))
        .unwrap_or_else(|_| (false, Box::new(|_| ()) as Finish))
}

/// Runs one request in a transaction of its own, without a savepoint: committed when it succeeds,
/// rolled back when it fails.
fn commit_alone(conn: &Connection, job: Box<dyn Job>, syncer: Option<&Syncer>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        job.refuse(format!("beginning a write: {e}"));
        return;
    }
    let (ok, finish) = run_caught(conn, job);
    let outcome = if conn.is_autocommit() {
        Err("the transaction was rolled back by SQLite".to_owned())
    } else if ok {
        conn.execute_batch("COMMIT").map_err(|e| e.to_string())
    } else {
        Err("the request failed".to_owned())
    };
    if outcome.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    answer(vec![finish], outcome, syncer);
}

/// Runs requests in one transaction, each in its own savepoint, commits, and answers.
fn commit_group(conn: &Connection, batch: Vec<Box<dyn Job>>, syncer: Option<&Syncer>, import_cache: &mut bool) {
    if batch.is_empty() {
        return;
    }
    if std::mem::take(import_cache) {
        // Outside a transaction; should it fail, the larger cache only costs memory.
        let _ = conn.execute_batch(WRITER_CACHE);
    }
    let mut jobs = batch.into_iter().peekable();
    while jobs.peek().is_some() {
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            for job in jobs.by_ref() {
                job.refuse(format!("beginning a write: {e}"));
            }
            return;
        }
        let mut kept: Vec<Finish> = Vec::new();
        let mut lost = None;
        for job in jobs.by_ref() {
            if let Err(e) = execute_cached(conn, "SAVEPOINT request") {
                job.refuse(e.to_string());
                lost = Some(e.to_string());
                break;
            }
            let (ok, finish) = run_caught(conn, job);
            // SQLite ends the whole transaction itself on some errors (I/O, a full disk): the
            // requests before this one are undone as well, and the rest start a new one.
            let ended = if conn.is_autocommit() {
                Err("the transaction was rolled back by SQLite".to_owned())
            } else if ok {
                execute_cached(conn, "RELEASE request").map_err(|e| e.to_string())
            } else {
                conn.execute_batch("ROLLBACK TO request; RELEASE request").map_err(|e| e.to_string())
            };
            if let Err(e) = ended {
                finish(Err(e.clone()));
                lost = Some(e);
                break;
            }
            kept.push(finish);
        }
        let outcome = match lost {
            Some(e) => Err(e),
            None => conn.execute_batch("COMMIT").map_err(|e| e.to_string()),
        };
        if outcome.is_err() && !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        answer(kept, outcome, syncer);
    }
}

/// Runs a statement without parameters from the connection's statement cache: a request's
/// `SAVEPOINT` and `RELEASE`, which `execute_batch` parsed anew every time (alternating runs: +4–5 %).
fn execute_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Writes an import batch row by row: each customer (skipped when the tenant has its external
/// id), its domains, search terms, audit entry and chain head, as the sqlx path's multi-row
/// statements do. Ids follow the last one given, in batch order.
fn import_batch(
    conn: &Connection,
    tenant: TenantId,
    batch: Vec<ImportCustomer>,
    now_ms: i64,
    actor: &str,
    action: &str,
) -> StoreResult<Vec<Option<CustomerId>>> {
    let last: i64 = conn.query_row(import_sql::SQLITE_LAST_CUSTOMER_ID, [], |r| r.get(0)).map_err(failed)?;
    // Each statement is taken from the cache and its parameters looked up once per batch, not once
    // per row (that was 8 % of the writer's time at a million customers).
    let mut insert_customer = Numbered::prepare(conn, import_sql::INSERT_IMPORTED_CUSTOMER)?;
    let mut insert_domain = Numbered::prepare(conn, sql::INSERT_DOMAIN)?;
    let mut insert_term = Numbered::prepare(conn, &sql::insert_search_terms_sql(1))?;
    let mut insert_audit = Numbered::prepare(conn, sql::INSERT_AUDIT)?;
    let mut insert_head = Numbered::prepare(conn, import_sql::INSERT_IMPORTED_CHAIN_HEAD)?;
    let mut out = Vec::with_capacity(batch.len());
    for (id, c) in (last + 1..).zip(batch) {
        let external = c.external_id.as_ref().map(|e| e.as_str());
        let inserted = insert_customer.execute_with(&[&id, &tenant.0, &external, &now_ms], foreign_key_is_not_found)?;
        if inserted == 0 {
            out.push(None);
            continue;
        }
        for (domain, json) in &c.stored {
            insert_domain.execute(&[&tenant.0, &id, &domain.as_str(), json, &now_ms])?;
        }
        for (source, term) in &c.terms {
            insert_term.execute(&[&tenant.0, &id, source, term])?;
        }
        let hash = c.audit.first_entry_hash(tenant, id, now_ms, actor, action);
        let (none_text, none_int) = (None::<&str>, None::<i64>);
        insert_audit.execute(&[
            &tenant.0,
            &id,
            &now_ms,
            &actor,
            &action,
            &none_text,
            &none_int,
            &c.audit.changes_json,
            &none_text,
            &c.audit.salt,
            &c.audit.digest,
            &"",
            &hash,
        ])?;
        insert_head.execute(&[&tenant.0, &id, &hash])?;
        out.push(Some(CustomerId(id)));
    }
    Ok(out)
}

/// A foreign-key violation (an unknown tenant) as `NotFound`, as `crate::foreign_key_is_not_found`
/// does for sqlx.
fn foreign_key_is_not_found(e: rusqlite::Error) -> StoreError {
    if e.sqlite_error().map(|e| e.extended_code) == Some(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY) {
        StoreError::NotFound
    } else {
        failed(e)
    }
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error().map(|e| e.extended_code),
        Some(rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
    )
}

/// Runs a cached statement with `params` bound to `$1`, `$2`, … and returns the changed rows.
fn execute_numbered(conn: &Connection, sql: &str, params: &[&dyn ToSql]) -> StoreResult<usize> {
    let mut stmt = conn.prepare_cached(sql).map_err(failed)?;
    bind_numbered(&mut stmt, params)?;
    stmt.raw_execute().map_err(failed)
}

/// A cached statement held for many executions, with the positions of its parameters `$1`, `$2`, …
/// looked up once.
struct Numbered<'c> {
    stmt: rusqlite::CachedStatement<'c>,
    positions: Vec<usize>,
}

impl<'c> Numbered<'c> {
    fn prepare(conn: &'c Connection, sql: &str) -> StoreResult<Self> {
        let stmt = conn.prepare_cached(sql).map_err(failed)?;
        let positions = (0..stmt.parameter_count()).map(|i| parameter_position(&stmt, i)).collect::<StoreResult<_>>()?;
        Ok(Self { stmt, positions })
    }

    /// Binds `params` to `$1`, `$2`, … (all of them) and runs the statement; the changed rows.
    fn execute(&mut self, params: &[&dyn ToSql]) -> StoreResult<usize> {
        self.execute_with(params, failed)
    }

    fn execute_with(&mut self, params: &[&dyn ToSql], error: fn(rusqlite::Error) -> StoreError) -> StoreResult<usize> {
        if params.len() != self.positions.len() {
            return Err(StoreError::Backend(format!(
                "the statement has {} parameters, {} were given",
                self.positions.len(),
                params.len()
            )));
        }
        for (position, value) in self.positions.iter().zip(params) {
            self.stmt.raw_bind_parameter(*position, value).map_err(failed)?;
        }
        self.stmt.raw_execute().map_err(error)
    }
}

/// The names of the first parameters, so that binding them allocates nothing.
const PARAMETER_NAMES: [&str; 16] =
    ["$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15", "$16"];

/// Where the statement binds its parameter `$i+1` (SQLite numbers named parameters in the order
/// they first appear, which need not be theirs).
fn parameter_position(stmt: &rusqlite::Statement<'_>, i: usize) -> StoreResult<usize> {
    let longer;
    let name = match PARAMETER_NAMES.get(i) {
        Some(name) => *name,
        None => {
            longer = format!("${}", i + 1);
            &longer
        }
    };
    stmt.parameter_index(name)
        .map_err(failed)?
        .ok_or_else(|| StoreError::Backend(format!("the statement has no parameter {name}")))
}

fn bind_numbered(stmt: &mut rusqlite::CachedStatement<'_>, params: &[&dyn ToSql]) -> StoreResult<()> {
    for (i, value) in params.iter().enumerate() {
        let index = parameter_position(stmt, i)?;
        stmt.raw_bind_parameter(index, value).map_err(failed)?;
    }
    Ok(())
}

/// [`sql::MARK_RECEIPT_COMMITTED`] for a request that holds an idempotency reservation.
fn mark_receipt(conn: &Connection, holding: Option<&Holding>) -> StoreResult<()> {
    let Some(h) = holding else { return Ok(()) };
    let done = execute_numbered(conn, sql::MARK_RECEIPT_COMMITTED, &[&h.receipt, &h.tenant.0, &h.token])?;
    if done == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("another request with the same Idempotency-Key took over; nothing was changed".into()))
    }
}

/// [`sql::LOCK_CUSTOMER`]: `NotFound` for another tenant's customer and for an erased one.
fn lock_customer(conn: &Connection, tenant: TenantId, customer: CustomerId, touch: Option<i64>) -> StoreResult<()> {
    if execute_numbered(conn, sql::LOCK_CUSTOMER, &[&tenant.0, &customer.0, &touch])? == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

/// A domain's new data at the version it was decided on (`VersionConflict` otherwise), and its
/// search terms.
fn write_domain(conn: &Connection, tenant: TenantId, customer: CustomerId, apply: &PreparedApply) -> StoreResult<()> {
    let done = if apply.expected_version == 0 {
        execute_numbered(conn, sql::INSERT_DOMAIN, &[&tenant.0, &customer.0, &apply.domain, &apply.data, &apply.at_ms])?
    } else {
        execute_numbered(
            conn,
            sql::UPDATE_DOMAIN,
            &[&apply.data, &apply.at_ms, &tenant.0, &customer.0, &apply.domain, &apply.expected_version],
        )?
    };
    if done != 1 {
        return Err(StoreError::VersionConflict);
    }
    if let Some(terms) = &apply.terms {
        replace_search_terms(conn, tenant, customer, apply.domain, terms)?;
    }
    Ok(())
}

/// Makes a source's search terms for a customer `terms`, changing only those that differ: a change
/// usually touches one field (a new e-mail address, the phone numbers unchanged), and every term
/// left alone is two index entries neither deleted nor written again. The end state is the same as
/// the sqlx path's delete-all-then-insert.
fn replace_search_terms(
    conn: &Connection,
    tenant: TenantId,
    customer: CustomerId,
    source: &str,
    terms: &[String],
) -> StoreResult<()> {
    let old: Vec<String> = {
        let mut stmt = conn.prepare_cached(sql::SELECT_SEARCH_TERMS).map_err(failed)?;
        let rows = stmt.query_map(named_params! { "$1": customer.0, "$2": source }, |r| r.get(0)).map_err(failed)?;
        rows.collect::<Result<_, _>>().map_err(failed)?
    };
    for gone in old.iter().filter(|t| !terms.contains(t)) {
        execute_numbered(conn, sql::DELETE_SEARCH_TERM, &[&customer.0, &source, gone])?;
    }
    let added: Vec<&String> = terms.iter().filter(|t| !old.contains(t)).collect();
    if !added.is_empty() {
        let mut params: Vec<&dyn ToSql> = vec![&tenant.0, &customer.0, &source];
        params.extend(added.iter().map(|t| *t as &dyn ToSql));
        execute_numbered(conn, &sql::insert_search_terms_sql(added.len()), &params)?;
    }
    Ok(())
}

fn write_records(conn: &Connection, tenant: TenantId, customer: CustomerId, records: &Records) -> StoreResult<()> {
    write_audit(conn, tenant, &records.audit)?;
    write_events(conn, tenant, customer, &records.events)
}

/// Audit entries chained to their chains' heads, as `write_audit` of the sqlx path does.
fn write_audit(conn: &Connection, tenant: TenantId, entries: &[NewAudit]) -> StoreResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut heads: Vec<(i64, String)> = Vec::new();
    for chain in sql::audit_chains(entries) {
        execute_numbered(conn, sql::without_returning(sql::LOCK_AUDIT_CHAIN), &[&tenant.0, &chain])?;
        let mut stmt = conn.prepare_cached(sql::AUDIT_CHAIN_HEAD).map_err(failed)?;
        let head: String = stmt.query_row(named_params! { "$1": tenant.0, "$2": chain }, |r| r.get(0)).map_err(failed)?;
        heads.push((chain, head));
    }
    for a in entries {
        let chain = sql::audit_chain(a);
        let head = heads.iter_mut().find(|h| h.0 == chain).ok_or_else(|| StoreError::Backend("audit chain not locked".into()))?;
        let row = sql::audit_row(tenant, a, &head.1)?;
        execute_numbered(
            conn,
            sql::INSERT_AUDIT,
            &[
                &row.tenant,
                &row.customer,
                &row.at_ms,
                &row.actor,
                &row.action,
                &row.domain,
                &row.amendment_id,
                &row.changes,
                &row.request_id,
                &row.salt,
                &row.digest,
                &row.prev_hash,
                &row.hash,
            ],
        )?;
        head.1 = row.hash;
    }
    Ok(())
}

/// Events with consecutive sequence numbers and their webhook deliveries, as `write_events` of
/// the sqlx path does.
fn write_events(conn: &Connection, tenant: TenantId, customer: CustomerId, events: &[NewEvent]) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let count = events.len() as i64;
    execute_numbered(conn, sql::without_returning(sql::ADVANCE_EVENT_SEQ), &[&tenant.0, &customer.0, &count])?;
    let last: i64 = conn
        .prepare_cached(sql::EVENT_SEQ)
        .and_then(|mut s| s.query_row(named_params! { "$1": tenant.0, "$2": customer.0 }, |r| r.get(0)))
        .map_err(failed)?;
    let first = last - count + 1;
    let seqs: Vec<i64> = (first..=last).collect();
    let payloads: Vec<String> = events.iter().zip(&seqs).map(|(e, seq)| sql::event_payload(&e.payload, *seq)).collect();
    let mut params: Vec<&dyn ToSql> = vec![&tenant.0, &customer.0];
    for ((e, seq), payload) in events.iter().zip(&seqs).zip(&payloads) {
        params.extend([seq as &dyn ToSql, &e.event_type, payload, &e.request_id, &e.at_ms]);
    }
    execute_numbered(conn, &sql::insert_events_sql(events.len()), &params)?;
    execute_numbered(conn, sql::FAN_OUT_EVENTS, &[&tenant.0, &customer.0, &first, &last])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    /// The sqlx writer's one-connection pool (the gate) on a new WAL database at `path`, with a
    /// table made by `create`.
    async fn gate_with_table(path: &str, create: &'static str) -> Pool<Sqlite> {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
        let options = SqliteConnectOptions::new().filename(path).create_if_missing(true).journal_mode(SqliteJournalMode::Wal);
        let gate = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
        sqlx::query(create).execute(&gate).await.unwrap();
        gate
    }

    /// One statement as a request of the group writer, answered once its batch is durable.
    async fn execute(writer: &GroupWriter, sql: &'static str) -> StoreResult<()> {
        writer
            .run(move |conn| {
                conn.execute(sql, []).map_err(failed)?;
                Ok(())
            })
            .await
    }

    /// A request's answer, as the writer hands it to the syncer.
    fn request() -> (Finish, mpsc::Receiver<Result<(), String>>) {
        let (send, receive) = channel();
        (
            Box::new(move |outcome| {
                let _ = send.send(outcome);
            }),
            receive,
        )
    }

    #[test]
    fn the_checkpointer_waits_for_a_running_batch_and_the_next_batch_waits_for_it() {
        let turns = Arc::new(WalTurns::default());
        let resumed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let batch = turns.begin_batch();
        let (paused, paused_answer) = channel();
        let checkpointer = {
            let (turns, resumed) = (Arc::clone(&turns), Arc::clone(&resumed));
            std::thread::spawn(move || {
                let got = turns.pause_writer(Duration::from_secs(30));
                paused.send(got).unwrap();
                // Holds the turn a while, so that the next batch asks for it meanwhile.
                std::thread::sleep(Duration::from_millis(200));
                resumed.store(true, std::sync::atomic::Ordering::SeqCst);
                turns.resume_writer();
            })
        };
        assert!(paused_answer.recv_timeout(Duration::from_millis(300)).is_err(), "paused while a batch ran");
        drop(batch);
        assert_eq!(paused_answer.recv_timeout(Duration::from_secs(10)), Ok(true));
        drop(turns.begin_batch());
        assert!(resumed.load(std::sync::atomic::Ordering::SeqCst), "the next batch began during the pause");
        checkpointer.join().unwrap();
    }

    #[test]
    fn the_checkpointer_gives_up_a_pause_when_the_batch_does_not_end_in_time() {
        let turns = WalTurns::default();
        let _batch = turns.begin_batch();
        assert!(!turns.pause_writer(Duration::from_millis(50)));
        // The writer is not left waiting for a pause that was given up.
        assert!(!turns.lock().pause_wanted);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_is_started_over_while_writes_keep_coming() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db").to_string_lossy().into_owned();
        let gate = gate_with_table(&path, "CREATE TABLE pages (id INTEGER PRIMARY KEY, body BLOB NOT NULL)").await;
        // Checkpoints every 10 ms instead of 20, the WAL restarted at 256 pages (1 MiB) instead of 65,536.
        let writer = Arc::new(GroupWriter::open_checkpointing(&path, true, gate, Duration::from_millis(10), 256).unwrap());
        // Eight writers that never let the group writer rest, 12,800 rows of 8 KiB: 100 MiB of WAL
        // if it were never started over.
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let writer = Arc::clone(&writer);
            tasks.push(tokio::spawn(async move {
                for _ in 0..1600 {
                    execute(&writer, "INSERT INTO pages (body) VALUES (zeroblob(8192))").await.unwrap();
                }
            }));
        }
        let wal = format!("{path}-wal");
        let mut largest = 0;
        while tasks.iter().any(|t| !t.is_finished()) {
            largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        for task in tasks {
            task.await.unwrap();
        }
        writer.close().await;
        assert!(largest < 40 * 1024 * 1024, "the WAL grew to {largest} bytes");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_database_opened_through_a_symbolic_link_has_its_writes_synced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("volume")).unwrap();
        let real = dir.path().join("volume").join("custodian.db");
        let link = dir.path().join("custodian.db");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let path = link.to_string_lossy().into_owned();
        let gate = gate_with_table(&path, "CREATE TABLE notes (body TEXT NOT NULL)").await;
        let writer = GroupWriter::open(&path, true, gate).unwrap();
        // SQLite keeps the WAL next to the file the link points to, and so must the syncer look.
        execute(&writer, "INSERT INTO notes (body) VALUES ('kept')").await.unwrap();
        writer.close().await;
    }

    #[test]
    fn a_committed_batch_is_answered_after_the_wal_is_synced() {
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join("db-wal");
        std::fs::write(&wal, b"frames").unwrap();
        let syncer = Syncer::start(wal.to_string_lossy().into_owned()).unwrap();
        let (first, first_answer) = request();
        let (second, second_answer) = request();
        syncer.after_sync(vec![first, second]);
        assert_eq!(first_answer.recv_timeout(Duration::from_secs(10)), Ok(Ok(())));
        assert_eq!(second_answer.recv_timeout(Duration::from_secs(10)), Ok(Ok(())));
        assert_eq!(syncer.broken(), None);
        syncer.stop();
    }

    #[test]
    fn a_failed_sync_fails_its_batch_and_every_write_after_it() {
        let dir = tempfile::tempdir().unwrap();
        // No WAL file where the syncer looks: opening it fails like a failing fsync would.
        let syncer = Syncer::start(dir.path().join("missing").join("db-wal").to_string_lossy().into_owned()).unwrap();
        let (first, first_answer) = request();
        syncer.after_sync(vec![first]);
        let why = first_answer.recv_timeout(Duration::from_secs(10)).unwrap().unwrap_err();
        assert!(why.contains("could not be made durable"), "{why}");
        assert_eq!(syncer.broken(), Some(why.clone()));
        let (later, later_answer) = request();
        syncer.after_sync(vec![later]);
        assert_eq!(later_answer.recv_timeout(Duration::from_secs(10)), Ok(Err(why)));
        syncer.stop();
    }

    #[test]
    fn a_durability_wait_after_the_writer_stopped_is_answered_not_left_hanging() {
        let dir = tempfile::tempdir().unwrap();
        let syncer = Syncer::start(dir.path().join("db-wal").to_string_lossy().into_owned()).unwrap();
        syncer.stop();
        let (wait, answer) = request();
        syncer.after_sync(vec![wait]);
        assert_eq!(answer.recv_timeout(Duration::from_secs(10)), Ok(Err("the store is closed".into())));
    }
}
