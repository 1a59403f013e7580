//! The binary's connection handling against clients that misbehave: half-sent headers and stalled
//! bodies are cut off after their (here shortened) timeouts, and the number of open connections is
//! capped.

mod common;

use common::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection; what it sent, and how long that took. Fails
/// after `within`.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, Duration) {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(within.saturating_sub(start.elapsed()), stream.read(&mut buf)).await {
            Err(_) => panic!("the server kept the connection open for {within:?}; it sent {:?}", String::from_utf8_lossy(&got)),
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&got).into_owned(), start.elapsed()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

fn port_of(server: &Server) -> u16 {
    server.base.rsplit(':').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clients_that_send_half_a_request_header_are_disconnected_after_the_header_read_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(&sqlite_url(&dir).0, None, &[("CUSTODIAN_SERVER__HEADER_READ_TIMEOUT_MS", "500")]).await;
    let port = port_of(&server);
    let mut sockets = Vec::new();
    for _ in 0..20 {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        s.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ").await.unwrap();
        sockets.push(s);
    }
    let mut longest = Duration::ZERO;
    for s in &mut sockets {
        longest = longest.max(read_until_closed(s, Duration::from_secs(10)).await.1);
    }
    eprintln!("20 half-sent requests: all disconnected, the last after {longest:?}");
    // A client that sends its request in time is served.
    let ok = reqwest::get(format!("{}/health", server.base)).await.unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_body_that_stalls_ends_the_request_after_the_body_read_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(&sqlite_url(&dir).0, None, &[("CUSTODIAN_SERVER__BODY_READ_TIMEOUT_MS", "500")]).await;
    let mut s = TcpStream::connect(("127.0.0.1", port_of(&server))).await.unwrap();
    s.write_all(
        b"POST /console/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ntenant=1&",
    )
    .await
    .unwrap();
    let (answer, took) = read_until_closed(&mut s, Duration::from_secs(10)).await;
    eprintln!("stalled body: {:?} after {took:?}", answer.lines().next());
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 4"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn at_most_max_connections_are_open_and_the_next_client_is_served_when_one_closes() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("CUSTODIAN_SERVER__MAX_CONNECTIONS", "2"), ("CUSTODIAN_SERVER__HEADER_READ_TIMEOUT_MS", "60000")];
    let server = start_with(&sqlite_url(&dir).0, None, &env).await;
    let port = port_of(&server);
    // Two clients hold both connections without sending anything.
    let first = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let _second = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let waiting = client.get(format!("{}/health", server.base)).timeout(Duration::from_millis(700)).send().await;
    assert!(waiting.is_err(), "a third connection is not served while two are open: {waiting:?}");
    drop(first);
    let served = client.get(format!("{}/health", server.base)).timeout(Duration::from_secs(10)).send().await.unwrap();
    assert_eq!(served.status(), 200);
}
