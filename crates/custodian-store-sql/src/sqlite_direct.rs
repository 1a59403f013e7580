//! Direct SQLite read connections for the hottest read (a self-service GET: a customer with one
//! domain's pending amendment). sqlx runs each SQLite connection on a worker thread of its own and
//! hands every statement and every row to it and back over channels; these are a handful of
//! read-only rusqlite connections, each behind a mutex, with the statement prepared once per
//! connection. They open the same file with the same SQLite library (rusqlite and sqlx link one
//! `libsqlite3-sys`).
//!
//! A read runs right on the async worker that asks for it, on the first connection whose mutex is
//! free (`try_lock`: the worker never waits for a mutex); only when every connection is busy does
//! it go to tokio's blocking pool and wait there. A read by primary key takes tens of
//! microseconds, about what the hand-off to the blocking pool and back costs in thread wake-ups:
//! reading inline served 30–45 % more GETs in alternating runs of both (25,000 → 31,000–37,000
//! req/s). A WAL reader never waits for the writer; what it can wait for is a page that is in no
//! cache (a disk read, like any file read the process does).
use custodian_store::StoreError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) struct DirectReaders {
    conns: Vec<Mutex<Option<rusqlite::Connection>>>,
    next: AtomicUsize,
}

fn failed(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl DirectReaders {
    /// `n` read-only connections to the database file at `path` (which exists: the sqlx writer
    /// created it and ran the migrations).
    pub(crate) fn open(path: &str, n: usize) -> Result<DirectReaders, StoreError> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conns = (0..n.max(1))
            .map(|_| {
                let c = rusqlite::Connection::open_with_flags(path, flags).map_err(failed)?;
                c.busy_timeout(Duration::from_secs(10)).map_err(failed)?;
                Ok(Mutex::new(Some(c)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(DirectReaders { conns, next: AtomicUsize::new(0) })
    }

    /// Runs `read` on a free connection here and now, or, when every connection is busy, on
    /// tokio's blocking pool once the next one is free.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for k in 0..self.conns.len() {
            if let Ok(guard) = self.conns[(start + k) % self.conns.len()].try_lock() {
                let conn = guard.as_ref().ok_or_else(|| StoreError::Backend("the store is closed".into()))?;
                return read(conn);
            }
        }
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let i = this.next.fetch_add(1, Ordering::Relaxed) % this.conns.len();
            let guard = this.conns[i].lock().unwrap_or_else(|e| e.into_inner());
            let conn = guard.as_ref().ok_or_else(|| StoreError::Backend("the store is closed".into()))?;
            read(conn)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("a read task failed: {e}")))?
    }

    /// Closes every connection (waiting for reads in progress); reads after this fail.
    pub(crate) fn close(&self) {
        for c in &self.conns {
            c.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
    }
}

/// A text or integer column that may be NULL.
pub(crate) fn column<T: rusqlite::types::FromSql>(row: &rusqlite::Row<'_>, i: usize) -> Result<T, StoreError> {
    row.get(i).map_err(failed)
}

pub(crate) fn query_error(e: rusqlite::Error) -> StoreError {
    failed(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readers(n: usize) -> (tempfile::TempDir, Arc<DirectReaders>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (7);").unwrap();
        drop(c);
        let readers = Arc::new(DirectReaders::open(path.to_str().unwrap(), n).unwrap());
        (dir, readers)
    }

    fn seven(conn: &rusqlite::Connection) -> Result<i64, StoreError> {
        conn.query_row("SELECT v FROM t", [], |r| r.get(0)).map_err(query_error)
    }

    // The test holds the only connection's mutex across awaits on purpose: that is the busy pool.
    #[allow(clippy::await_holding_lock)]
    #[tokio::test]
    async fn a_read_with_every_connection_busy_waits_for_one_on_the_blocking_pool() {
        let (_dir, readers) = readers(1);
        assert_eq!(readers.run(seven).await.unwrap(), 7, "a free connection: read at once");
        let held = readers.conns[0].lock().unwrap();
        let waiting = tokio::spawn({
            let readers = readers.clone();
            async move { readers.run(seven).await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished(), "the read waits while the only connection is taken");
        drop(held);
        assert_eq!(waiting.await.unwrap().unwrap(), 7, "and reads once it is free");
    }

    #[tokio::test]
    async fn reads_after_close_fail_instead_of_waiting() {
        let (_dir, readers) = readers(2);
        readers.close();
        let r = readers.run(seven).await;
        assert!(matches!(r, Err(StoreError::Backend(ref m)) if m.contains("closed")), "{r:?}");
    }
}
