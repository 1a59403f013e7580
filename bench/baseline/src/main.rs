//! `bench-baseline`: the trivial HTTP server that `bench/run.sh` measures next to Custodian, so
//! the benchmark can state Custodian's throughput as a fraction of "axum on this machine".
//!
//! `GET /hello` answers a ~500-byte JSON document built in memory for every request (no I/O,
//! no auth, no logging); `POST /echo` answers the posted JSON. Usage:
//! `bench-baseline --listen 127.0.0.1:18081`.

use axum::Json;
use axum::Router;
use axum::routing::{get, post};
use serde_json::{Value, json};

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

/// A document shaped like a customer's contact data, about 500 bytes once serialised.
async fn hello() -> Json<Value> {
    Json(json!({
        "amendmentConfigurationStatus": "CHANGES_WITHOUT_VERIFICATION",
        "email": "anna.schmidt@example.com",
        "phonePrivate": "+49 30 1234567",
        "phonePrivateMobile": "+49 171 1234567",
        "phoneBusiness": null,
        "phoneBusinessMobile": null,
        "message": "Hello from the Custodian benchmark baseline. This body is built in memory on every request.",
        "customer": {
            "id": 4711,
            "firstName": "Anna",
            "lastName": "Schmidt",
            "street": "Hauptstrasse",
            "houseNumber": "12",
            "zipCode": "10115",
            "city": "Berlin",
            "countryCode": "DE"
        },
        "tags": ["baseline", "hello", "axum", "loopback"],
        "version": 1
    }))
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
