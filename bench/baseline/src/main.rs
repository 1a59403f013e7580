//! `bench-baseline`: the trivial HTTP server that `bench/run.sh` measures next to Custodian, so
//! the benchmark can state Custodian's throughput as a fraction of "axum on this machine".
//!
//! `GET /hello` answers a ~500-byte JSON document formatted in memory for every request (no
//! I/O, no auth, no logging); `POST /echo` parses the posted JSON and answers it re-serialised. Usage:
//! `bench-baseline --listen 127.0.0.1:18081`.

use axum::Json;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};

fn listen_addr() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let mut listen = String::from("127.0.0.1:18081");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => listen = args.next().ok_or("--listen needs an address")?,
            s if s.starts_with("--listen=") => listen = s["--listen=".len()..].to_owned(),
            "-h" | "--help" => {
                println!("usage: bench-baseline [--listen ADDR]   (default 127.0.0.1:18081)");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(listen)
}

static HELLOS: AtomicU64 = AtomicU64::new(0);

/// A document shaped like a customer's contact data, about 500 bytes, formatted into a new
/// `String` on every request (the request counter makes each body different).
async fn hello() -> impl IntoResponse {
    let n = HELLOS.fetch_add(1, Ordering::Relaxed);
    let body = format!(
        concat!(
            r#"{{"amendmentConfigurationStatus":"CHANGES_WITHOUT_VERIFICATION","email":"anna.schmidt@example.com","#,
            r#""phonePrivate":"+49 30 1234567","phonePrivateMobile":"+49 171 1234567","phoneBusiness":null,"#,
            r#""phoneBusinessMobile":null,"message":"Hello from the Custodian benchmark baseline; this body is built in memory.","#,
            r#""customer":{{"id":4711,"firstName":"Anna","lastName":"Schmidt","street":"Hauptstrasse","houseNumber":"12","#,
            r#""zipCode":"10115","city":"Berlin","countryCode":"DE"}},"tags":["baseline","hello","axum"],"request":{}}}"#
        ),
        n
    );
    ([(header::CONTENT_TYPE, "application/json")], body)
}

async fn echo(Json(body): Json<Value>) -> Json<Value> {
    Json(body)
}

#[tokio::main]
async fn main() {
    let listen = match listen_addr() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bench-baseline: {e}");
            std::process::exit(2);
        }
    };
    let app = Router::new().route("/hello", get(hello)).route("/echo", post(echo));
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bench-baseline: binding {listen}: {e}");
            std::process::exit(1);
        }
    };
    eprintln!("bench-baseline listening on http://{listen}");
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("bench-baseline: {e}");
        std::process::exit(1);
    }
}
