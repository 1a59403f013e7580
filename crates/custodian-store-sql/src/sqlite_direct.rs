//! Direct SQLite read connections for the hottest read (a self-service GET: a customer with one
//! domain's pending amendment). sqlx runs each SQLite connection on a worker thread of its own and
//! hands every statement and every row to it and back over channels; these connections are used
//! the way `bench/baseline`'s read ceiling uses them: a handful of read-only rusqlite connections,
//! each behind a mutex, taken in turn by one task on tokio's blocking pool per read, with the
//! statement prepared once per connection. They open the same file with the same SQLite library
//! (rusqlite and sqlx link one `libsqlite3-sys`).

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

    /// Runs `read` on the next connection, on tokio's blocking pool.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    {
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
