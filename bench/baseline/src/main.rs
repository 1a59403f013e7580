//! `bench-baseline`: the servers that `bench/run.sh` measures next to Custodian, so that each of
//! Custodian's figures is stated as a fraction of a ceiling measured in the same run on the same
//! machine. Each does the least work its kind of request needs, with nothing else (no auth, no
//! validation, no logging):
//!
//! - `GET /hello`: a ~500-byte JSON document formatted in memory; `POST /echo`: the posted JSON
//!   parsed and re-serialised. The HTTP ceiling.
//! - with `--sqlite FILE`: `GET /sqlite/customers/{id}` reads a ~500-byte JSON row by primary key
//!   (WAL, 4 read connections on the blocking pool), and `POST /sqlite/customers/{id}/changes`
//!   inserts the posted body as one row in its own transaction on the single writer connection
//!   (`BEGIN IMMEDIATE`, `synchronous=FULL` unless `--sqlite-synchronous normal`): the SQLite read
//!   and durable-write ceilings.
//! - with `--postgres URL`: the same pair on PostgreSQL through sqlx (pool of 16): `GET
//!   /pg/customers/{id}` and `POST /pg/customers/{id}/changes` (`BEGIN; INSERT … RETURNING;
//!   COMMIT`, fully durable with PostgreSQL's defaults). Tables are prefixed `ceiling_`.
//!
//! Rows `1..=--rows` (default 10,000) exist in both customer tables. Usage:
//! `bench-baseline --listen 127.0.0.1:18081 [--sqlite /tmp/ceiling.db] [--postgres postgres://…]`.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

struct Args {
    listen: String,
    sqlite: Option<String>,
    sqlite_full: bool,
    postgres: Option<String>,
    rows: i64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut a = Args { listen: "127.0.0.1:18081".into(), sqlite: None, sqlite_full: true, postgres: None, rows: 10_000 };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--listen" => a.listen = value("--listen")?,
            "--sqlite" => a.sqlite = Some(value("--sqlite")?),
            "--sqlite-synchronous" => {
                a.sqlite_full = match value("--sqlite-synchronous")?.as_str() {
                    "full" => true,
                    "normal" => false,
                    other => return Err(format!("--sqlite-synchronous is full or normal, not {other:?}")),
                }
            }
            "--postgres" => a.postgres = Some(value("--postgres")?),
            "--rows" => a.rows = value("--rows")?.parse().map_err(|_| "--rows needs a number")?,
            "-h" | "--help" => {
                println!(
                    "usage: bench-baseline [--listen ADDR] [--sqlite FILE [--sqlite-synchronous full|normal]] [--postgres URL] [--rows N]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(a)
}

static HELLOS: AtomicU64 = AtomicU64::new(0);

/// A document shaped like a customer's contact data, about 500 bytes.
fn document(n: u64) -> String {
    format!(
        concat!(
            r#"{{"amendmentConfigurationStatus":"CHANGES_WITHOUT_VERIFICATION","email":"anna.schmidt@example.com","#,
            r#""phonePrivate":"+49 30 1234567","phonePrivateMobile":"+49 171 1234567","phoneBusiness":null,"#,
            r#""phoneBusinessMobile":null,"message":"Hello from the Custodian benchmark baseline; this body is built in memory.","#,
            r#""customer":{{"id":4711,"firstName":"Anna","lastName":"Schmidt","street":"Hauptstrasse","houseNumber":"12","#,
            r#""zipCode":"10115","city":"Berlin","countryCode":"DE"}},"tags":["baseline","hello","axum"],"request":{}}}"#
        ),
        n
    )
}

/// A new `String` on every request (the request counter makes each body different).
async fn hello() -> impl IntoResponse {
    json(document(HELLOS.fetch_add(1, Ordering::Relaxed)))
}

async fn echo(Json(body): Json<Value>) -> Json<Value> {
    Json(body)
}

fn json(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn failed(e: impl std::fmt::Display) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// SQLite through rusqlite: a few read connections and one writer, used on the blocking pool.
struct Sqlite {
    readers: Vec<Mutex<rusqlite::Connection>>,
    next: AtomicUsize,
    writer: Mutex<rusqlite::Connection>,
}

impl Sqlite {
    fn open(path: &str, full: bool, rows: i64) -> rusqlite::Result<Sqlite> {
        let _ = std::fs::remove_file(path);
        let conn = |read_only: bool| -> rusqlite::Result<rusqlite::Connection> {
            let c = rusqlite::Connection::open(path)?;
            c.pragma_update(None, "journal_mode", "WAL")?;
            c.pragma_update(None, "synchronous", if full { "FULL" } else { "NORMAL" })?;
            c.busy_timeout(std::time::Duration::from_secs(10))?;
            if read_only {
                c.pragma_update(None, "query_only", true)?;
            }
            Ok(c)
        };
        let mut writer = conn(false)?;
        writer.execute_batch(
            "CREATE TABLE ceiling_customers (id INTEGER PRIMARY KEY, doc TEXT NOT NULL);
             CREATE TABLE ceiling_changes (id INTEGER PRIMARY KEY AUTOINCREMENT, customer_id INTEGER NOT NULL,
                 body TEXT NOT NULL, created_ms INTEGER NOT NULL);",
        )?;
        let tx = writer.transaction()?;
        {
            let mut insert = tx.prepare("INSERT INTO ceiling_customers (id, doc) VALUES (?1, ?2)")?;
            for id in 1..=rows {
                insert.execute(rusqlite::params![id, document(id as u64)])?;
            }
        }
        tx.commit()?;
        let readers = (0..4).map(|_| conn(true).map(Mutex::new)).collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Sqlite { readers, next: AtomicUsize::new(0), writer: Mutex::new(writer) })
    }

    fn read(&self, id: i64) -> rusqlite::Result<Option<String>> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        let c = self.readers[i].lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = c.prepare_cached("SELECT doc FROM ceiling_customers WHERE id = ?1")?;
        let mut rows = stmt.query([id])?;
        rows.next()?.map(|r| r.get(0)).transpose()
    }

    fn write(&self, id: i64, body: &str) -> rusqlite::Result<i64> {
        let mut c = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let n = tx
            .prepare_cached("INSERT INTO ceiling_changes (customer_id, body, created_ms) VALUES (?1, ?2, ?3) RETURNING id")?
            .query_row(rusqlite::params![id, body, now_ms()], |r| r.get(0))?;
        tx.commit()?;
        Ok(n)
    }
}

async fn sqlite_read(State(db): State<Arc<Sqlite>>, Path(id): Path<i64>) -> Response {
    match tokio::task::spawn_blocking(move || db.read(id)).await {
        Ok(Ok(Some(doc))) => json(doc),
        Ok(Ok(None)) => StatusCode::NOT_FOUND.into_response(),
        Ok(Err(e)) => failed(e),
        Err(e) => failed(e),
    }
}

async fn sqlite_write(State(db): State<Arc<Sqlite>>, Path(id): Path<i64>, body: Bytes) -> Response {
    let Ok(body) = String::from_utf8(body.to_vec()) else { return StatusCode::BAD_REQUEST.into_response() };
    match tokio::task::spawn_blocking(move || db.write(id, &body)).await {
        Ok(Ok(n)) => json(format!(r#"{{"id":{n}}}"#)),
        Ok(Err(e)) => failed(e),
        Err(e) => failed(e),
    }
}

async fn open_postgres(url: &str, rows: i64) -> Result<sqlx::PgPool, sqlx::Error> {
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(16).connect(url).await?;
    for sql in [
        "DROP TABLE IF EXISTS ceiling_customers",
        "DROP TABLE IF EXISTS ceiling_changes",
        "CREATE TABLE ceiling_customers (id BIGINT PRIMARY KEY, doc TEXT NOT NULL)",
        "CREATE TABLE ceiling_changes (id BIGSERIAL PRIMARY KEY, customer_id BIGINT NOT NULL, body TEXT NOT NULL, created_ms BIGINT NOT NULL)",
    ] {
        sqlx::query(sql).execute(&pool).await?;
    }
    sqlx::query("INSERT INTO ceiling_customers (id, doc) SELECT i, $1 || i FROM generate_series(1, $2::bigint) AS i")
        .bind(document(0))
        .bind(rows)
        .execute(&pool)
        .await?;
    Ok(pool)
}

async fn pg_read(State(pool): State<sqlx::PgPool>, Path(id): Path<i64>) -> Response {
    match sqlx::query_scalar::<_, String>("SELECT doc FROM ceiling_customers WHERE id = $1").bind(id).fetch_optional(&pool).await
    {
        Ok(Some(doc)) => json(doc),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => failed(e),
    }
}

async fn pg_write(State(pool): State<sqlx::PgPool>, Path(id): Path<i64>, body: Bytes) -> Response {
    let Ok(body) = String::from_utf8(body.to_vec()) else { return StatusCode::BAD_REQUEST.into_response() };
    let result = async {
        let mut tx = pool.begin().await?;
        let n: i64 =
            sqlx::query_scalar("INSERT INTO ceiling_changes (customer_id, body, created_ms) VALUES ($1, $2, $3) RETURNING id")
                .bind(id)
                .bind(body)
                .bind(now_ms())
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok::<i64, sqlx::Error>(n)
    }
    .await;
    match result {
        Ok(n) => json(format!(r#"{{"id":{n}}}"#)),
        Err(e) => failed(e),
    }
}

async fn run(args: Args) -> Result<(), String> {
    let mut app = Router::new().route("/hello", get(hello)).route("/echo", post(echo));
    if let Some(path) = &args.sqlite {
        let (path, full, rows) = (path.clone(), args.sqlite_full, args.rows);
        let db = tokio::task::spawn_blocking(move || Sqlite::open(&path, full, rows))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("opening the SQLite ceiling database: {e}"))?;
        app = app.merge(
            Router::new()
                .route("/sqlite/customers/{id}", get(sqlite_read))
                .route("/sqlite/customers/{id}/changes", post(sqlite_write))
                .with_state(Arc::new(db)),
        );
    }
    if let Some(url) = &args.postgres {
        let pool = open_postgres(url, args.rows).await.map_err(|e| format!("preparing the PostgreSQL ceiling tables: {e}"))?;
        app = app.merge(
            Router::new()
                .route("/pg/customers/{id}", get(pg_read))
                .route("/pg/customers/{id}/changes", post(pg_write))
                .with_state(pool),
        );
    }
    let listener = tokio::net::TcpListener::bind(&args.listen).await.map_err(|e| format!("binding {}: {e}", args.listen))?;
    eprintln!("bench-baseline listening on http://{}", args.listen);
    axum::serve(listener, app).await.map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench-baseline: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(args).await {
        eprintln!("bench-baseline: {e}");
        std::process::exit(1);
    }
}
