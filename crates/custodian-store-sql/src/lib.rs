//! SQLite and PostgreSQL implementations of [`custodian_store::Store`].
//!
//! The SQL is written once for both drivers (sqlx accepts `$1` placeholders on SQLite too): each
//! statement is a named constant (or a function, for SQL built at run time) at the top of its
//! module (`sql`, `shared`, `audit_sql`, …), and the `impl_*!` macros expand the Rust around them
//! once per driver. Only connection setup, the write-transaction start and the migrations differ
//! per backend; each backend embeds its own migrations. On SQLite, customer creations, submissions,
//! decisions and staff changes are group committed on a rusqlite connection (`sqlite_writer`),
//! with the same statements.

#[macro_use]
mod shared;
#[macro_use]
mod audit_sql;
#[macro_use]
mod webhooks_sql;
#[macro_use]
mod billing_sql;
#[macro_use]
mod hierarchy_sql;
#[macro_use]
mod wealth_sql;
#[macro_use]
mod staff_sql;
#[macro_use]
mod privacy_sql;
#[macro_use]
mod idempotency_sql;
#[macro_use]
mod import_sql;
pub mod postgres;
mod read_cache;
mod sql;
pub mod sqlite;
mod sqlite_direct;
mod sqlite_writer;

pub use postgres::{PgSettings, PgStore};
pub use sqlite::{SqliteSettings, SqliteStore, Synchronous};

use custodian_store::{Store, StoreError};
use std::sync::Arc;

/// Opens the store named by a database URL: `sqlite:` paths or `postgres://` URLs. Runs the
/// embedded migrations first.
pub async fn open(url: &str, sqlite: SqliteSettings, pg: PgSettings) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url, pg).await?))
    } else if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        Ok(Arc::new(SqliteStore::open(path, sqlite).await?))
    } else {
        Err(StoreError::Backend(format!(
            "unsupported database URL {:?}: use sqlite://<path> or postgres://…",
            url.split('@').next_back().unwrap_or_default()
        )))
    }
}

pub(crate) fn backend_error(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        other => StoreError::Backend(other.to_string()),
    }
}

/// A foreign-key violation (a row of an unknown tenant or parent) as `NotFound`, anything else as
/// [`backend_error`].
pub(crate) fn foreign_key_is_not_found(e: sqlx::Error) -> StoreError {
    if e.as_database_error().is_some_and(|d| d.is_foreign_key_violation()) { StoreError::NotFound } else { backend_error(e) }
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

/// The file of a `sqlite://` URL (`None` for PostgreSQL and in-memory databases).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

/// Writes a consistent copy of the SQLite database at `url` to `dest` with `VACUUM INTO`: one read
/// transaction, so writers carry on and the copy is the database as of its start. Returns the copy's
/// size in bytes. `dest` must not exist.
pub async fn backup_sqlite(url: &str, dest: &std::path::Path) -> Result<u64, StoreError> {
    use sqlx::ConnectOptions;
    let Some(source) = sqlite_file(url) else {
        return Err(StoreError::Backend(
            "backup copies a SQLite database file; for PostgreSQL use pg_dump and pg_restore (see the README)".into(),
        ));
    };
    if dest.exists() {
        return Err(StoreError::Backend(format!("{} exists already; choose a new file", dest.display())));
    }
    let target = dest.to_str().ok_or_else(|| StoreError::Backend("the backup path is not valid UTF-8".into()))?;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&source)
        .read_only(true)
        .busy_timeout(std::time::Duration::from_secs(30))
        .connect()
        .await
        .map_err(|e| StoreError::Backend(format!("opening {}: {e}", source.display())))?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut conn)
        .await
        .map_err(|e| StoreError::Backend(format!("writing {}: {e}", dest.display())))?;
    std::fs::metadata(dest).map(|m| m.len()).map_err(|e| StoreError::Backend(e.to_string()))
}
