//! Webhooks end to end: the real binary delivers to a real HTTP receiver on loopback, which checks
//! signatures, order per customer and exactly-once processing by event id; a receiver that is down
//! for a while, a process killed mid-delivery, 410, refused targets, replay and secret rotation.

mod common;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use common::*;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the receiver does with a request.
#[derive(Clone, Copy)]
enum Mode {
    Ok,
    Status(u16),
    /// Hold the first `n` requests this long before answering 200.
    HangFirst(usize, Duration),
}

#[derive(Clone, Debug)]
struct Captured {
    headers: BTreeMap<String, String>,
    body: Value,
    raw: String,
}

#[derive(Clone)]
struct Receiver {
    port: u16,
    captured: Arc<Mutex<Vec<Captured>>>,
    mode: Arc<Mutex<Mode>>,
    hung: Arc<Mutex<usize>>,
}

impl Receiver {
    /// A receiver on a free port that is not listening yet.
    fn new(mode: Mode) -> Receiver {
        Receiver { port: free_port(), captured: Arc::default(), mode: Arc::new(Mutex::new(mode)), hung: Arc::default() }
    }

    async fn up(mode: Mode) -> Receiver {
        let r = Receiver::new(mode);
        r.listen().await;
        r
    }

    async fn listen(&self) {
        let me = self.clone();
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let me = me.clone();
            async move {
                let headers: BTreeMap<String, String> =
                    headers.iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned())).collect();
                let raw = String::from_utf8_lossy(&body).into_owned();
                let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                me.captured.lock().unwrap().push(Captured { headers, body, raw });
                let mode = *me.mode.lock().unwrap();
                match mode {
                    Mode::Ok => StatusCode::OK,
                    Mode::Status(s) => StatusCode::from_u16(s).unwrap(),
                    Mode::HangFirst(n, d) => {
                        let hang = {
                            let mut h = me.hung.lock().unwrap();
                            *h += 1;
                            *h <= n
                        };
                        if hang {
                            tokio::time::sleep(d).await;
                        }
                        StatusCode::OK
                    }
                }
            }
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn captured(&self) -> Vec<Captured> {
        self.captured.lock().unwrap().clone()
    }

    fn unique_ids(&self, header: &str) -> BTreeSet<String> {
        self.captured().iter().filter_map(|c| c.headers.get(header).cloned()).collect()
    }

    /// Waits until `n` distinct events (by `id_header`) arrived.
    async fn wait_for(&self, id_header: &str, n: usize, within: Duration) {
        let deadline = Instant::now() + within;
        while self.unique_ids(id_header).len() < n {
            assert!(Instant::now() < deadline, "only {} of {n} events arrived", self.unique_ids(id_header).len());
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

const FAST: [(&str, &str); 5] = [
    ("CUSTODIAN_WEBHOOKS__ALLOW_PRIVATE_ADDRESSES", "true"),
    ("CUSTODIAN_WEBHOOKS__ALLOW_HTTP_HOSTS", "[127.0.0.1]"),
    ("CUSTODIAN_WEBHOOKS__POLL_INTERVAL_MS", "25"),
    ("CUSTODIAN_WEBHOOKS__RETRY_DELAY_SCALE", "0.001"),
    ("CUSTODIAN_WEBHOOKS__LEASE_MS", "1000"),
];

struct Demo {
    server: Server,
    partner: String,
    staff: String,
    admin: String,
    customers: Vec<i64>,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn demo(db_url: &str, env: &[(&str, &str)]) -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let keys_path = dir.path().join("keys.json");
    let server = start_with(db_url, Some(&keys_path), env).await;
    let keys = demo_keys(&keys_path);
    let t = &keys["tenants"][0];
    Demo {
        server,
        partner: t["selfServiceKey"].as_str().unwrap().into(),
        staff: t["staffKey"].as_str().unwrap().into(),
        admin: t["adminKey"].as_str().unwrap().into(),
        customers: t["customers"].as_array().unwrap().iter().map(|c| c.as_i64().unwrap()).collect(),
        client: reqwest::Client::new(),
        _dir: dir,
    }
}

impl Demo {
    async fn call(&self, method: reqwest::Method, path: &str, key: &str, body: Option<Value>) -> (u16, Value) {
        let mut rb = self.client.request(method, format!("{}{path}", self.server.base)).header("X-API-KEY", key);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The Prometheus text of `/metrics`.
    async fn metrics(&self) -> String {
        self.client.get(format!("{}/metrics", self.server.base)).send().await.unwrap().text().await.unwrap()
    }

    async fn subscribe(&self, body: Value) -> Value {
        let (status, sub) = self.call(reqwest::Method::POST, "/api/v1/webhooks", &self.admin, Some(body)).await;
        assert_eq!(status, 201, "{sub}");
        sub
    }

    async fn change_email(&self, customer: i64, email: &str) {
        let (s, b) = self
            .call(
                reqwest::Method::POST,
                &format!("/v1/customers/{customer}/self-service/contact-data"),
                &self.partner,
                Some(json!({ "email": email })),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }

    async fn submit_address(&self, customer: i64) -> i64 {
        let body =
            json!({ "street": "Am Bahnhof", "houseNumber": "90", "zipCode": "12133", "city": "Munich", "countryCode": "DE" });
        let (s, b) = self
            .call(
                reqwest::Method::POST,
                &format!("/v1/customers/{customer}/self-service/address-data"),
                &self.partner,
                Some(body),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        b["id"].as_i64().unwrap()
    }
}

fn verify_standard(secret: &str, c: &Captured) -> bool {
    let key = base64::engine::general_purpose::STANDARD.decode(secret.trim_start_matches("whsec_")).unwrap();
    let msg = format!("{}.{}.{}", c.headers["webhook-id"], c.headers["webhook-timestamp"], c.raw);
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(msg.as_bytes());
    let expected = format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()));
    c.headers["webhook-signature"].split(' ').any(|s| s == expected)
}

/// Per customer, the sequence numbers in arrival order (first arrival of each event id).
fn sequences(captured: &[Captured]) -> BTreeMap<i64, Vec<i64>> {
    let mut seen = BTreeSet::new();
    let mut out: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for c in captured {
        if seen.insert(c.headers["webhook-id"].clone()) {
            let d = &c.body["data"];
            out.entry(d["customerId"].as_i64().unwrap()).or_default().push(d["sequence"].as_i64().unwrap());
        }
    }
    out
}

fn assert_contiguous(seqs: &BTreeMap<i64, Vec<i64>>) {
    for (customer, s) in seqs {
        let expected: Vec<i64> = (s[0]..s[0] + s.len() as i64).collect();
        assert_eq!(s, &expected, "customer {customer}: events out of order or missing");
    }
}

async fn signed_ordered_events_reach_both_formats(db_url: &str) {
    let receiver = Receiver::up(Mode::Ok).await;
    let vendor = Receiver::up(Mode::Ok).await;
    let d = demo(db_url, &FAST).await;
    let sub = d.subscribe(json!({ "url": receiver.url() })).await;
    let secret = sub["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let vsub = d.subscribe(json!({ "url": vendor.url(), "format": "vendor", "eventTypes": ["customer.updated"] })).await;
    let vendor_key = vsub["vendorKey"].as_str().unwrap().to_owned();

    let (c1, c2) = (d.customers[0], d.customers[1]);
    for i in 0..3 {
        d.change_email(c1, &format!("c1-{i}@example.com")).await; // amendment.applied + customer.updated
    }
    let a = d.submit_address(c2).await; // amendment.submitted
    let (s, _) = d.call(reqwest::Method::POST, &format!("/api/v1/amendments/{a}/approve"), &d.staff, Some(json!({}))).await;
    assert_eq!(s, 200); // amendment.approved + customer.updated
    let b = d.submit_address(c1).await;
    let (s, _) = d
        .call(reqwest::Method::POST, &format!("/api/v1/amendments/{b}/reject"), &d.staff, Some(json!({ "reason": "typo" })))
        .await;
    assert_eq!(s, 200); // amendment.submitted + amendment.rejected

    receiver.wait_for("webhook-id", 11, Duration::from_secs(30)).await;
    vendor.wait_for("x-api-key", 1, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let captured = receiver.captured();
    assert_eq!(receiver.unique_ids("webhook-id").len(), 11, "exactly the 11 events, no others");
    assert_eq!(captured.len(), 11, "each delivered once while the receiver answers 200");
    for c in &captured {
        assert!(verify_standard(&secret, c), "bad signature on {}", c.raw);
        assert!(!c.raw.contains("DE89370400440532013000"), "no full IBAN in events");
    }
    let seqs = sequences(&captured);
    assert_eq!(seqs[&c1].len(), 8);
    assert_eq!(seqs[&c2].len(), 3);
    assert_contiguous(&seqs);
    let types: Vec<&str> =
        captured.iter().filter(|c| c.body["data"]["customerId"] == c2).map(|c| c.body["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["amendment.submitted", "amendment.approved", "customer.updated"]);
    let rejected = captured.iter().find(|c| c.body["type"] == "amendment.rejected").unwrap();
    assert_eq!(rejected.body["data"]["reason"], "typo");
    let updated = captured.iter().find(|c| c.body["type"] == "customer.updated").unwrap();
    assert_eq!(updated.body["data"]["changes"][0]["field"], "email");

    // The vendor format: only customer.updated, as notifier, with the webhook key.
    let vcap = vendor.captured();
    assert_eq!(vcap.len(), 4, "3 direct e-mail changes and 1 approval");
    for c in &vcap {
        assert_eq!(c.headers["x-api-key"], vendor_key);
        assert_eq!(c.body["payload"][0]["type"], "CUSTOMER_UPDATED");
        assert!(c.body["entityId"].as_i64().is_some() && c.body["uuid"].as_str().is_some());
        assert!(c.body["payload"][0]["timestamp"].as_i64().is_some());
    }

    // Captured deliveries for the reference library check in .ci/run.
    if let Ok(path) = std::env::var("CUSTODIAN_WEBHOOK_CAPTURE") {
        let out: Vec<Value> = captured.iter().map(|c| json!({ "secret": secret, "headers": c.headers, "body": c.raw })).collect();
        std::fs::write(path, serde_json::to_string_pretty(&out).unwrap()).unwrap();
    }

    let metrics = d.metrics().await;
    assert!(metrics.contains("custodian_webhook_deliveries_total 15"), "{metrics}");
    assert!(metrics.contains("custodian_webhook_queue_depth 0"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signed_events_arrive_in_order_once_each_in_both_formats_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    signed_ordered_events_reach_both_formats(&sqlite_url(&dir).0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signed_events_arrive_in_order_once_each_in_both_formats_on_postgres() {
    if !custodian_testkit::pg_available() {
        return;
    }
    signed_ordered_events_reach_both_formats(&custodian_testkit::fresh_pg_database().await).await;
}

async fn a_receiver_down_for_a_while_gets_every_event(db_url: &str) {
    let receiver = Receiver::new(Mode::Ok);
    let d = demo(db_url, &FAST).await;
    let sub = d.subscribe(json!({ "url": receiver.url() })).await;
    let (c1, c2) = (d.customers[0], d.customers[1]);
    for i in 0..3 {
        d.change_email(c1, &format!("down-{i}@example.com")).await;
    }
    d.change_email(c2, "down@example.com").await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(receiver.captured().is_empty());
    receiver.listen().await;
    receiver.wait_for("webhook-id", 8, Duration::from_secs(40)).await;
    let seqs = sequences(&receiver.captured());
    assert_eq!(seqs[&c1].len(), 6);
    assert_contiguous(&seqs);
    let id = sub["id"].as_i64().unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, page) = d.call(reqwest::Method::GET, &format!("/api/v1/webhooks/{id}/deliveries?limit=50"), &d.admin, None).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 8);
    assert!(items.iter().all(|i| i["status"] == "succeeded" && i["lastResponseCode"] == 200), "{page}");
    assert!(items.iter().any(|i| i["attempts"].as_i64().unwrap() > 1), "some deliveries were retried: {page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_receiver_down_for_a_while_gets_every_event_once_up_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_receiver_down_for_a_while_gets_every_event(&sqlite_url(&dir).0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_receiver_down_for_a_while_gets_every_event_once_up_on_postgres() {
    if !custodian_testkit::pg_available() {
        return;
    }
    a_receiver_down_for_a_while_gets_every_event(&custodian_testkit::fresh_pg_database().await).await;
}

async fn a_killed_process_loses_no_event(db_url: &str) {
    let receiver = Receiver::up(Mode::HangFirst(1, Duration::from_secs(4))).await;
    let d = demo(db_url, &FAST).await;
    d.subscribe(json!({ "url": receiver.url() })).await;
    d.change_email(d.customers[0], "kill-1@example.com").await;
    d.change_email(d.customers[0], "kill-2@example.com").await;
    // The first delivery is in flight (the receiver holds it); kill the process now.
    let deadline = Instant::now() + Duration::from_secs(10);
    while receiver.captured().is_empty() {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let Demo { server, _dir, .. } = d;
    drop(server);
    let _restarted = start_with(db_url, None, &FAST).await;
    receiver.wait_for("webhook-id", 4, Duration::from_secs(30)).await;
    let seqs = sequences(&receiver.captured());
    assert_contiguous(&seqs);
    assert_eq!(seqs.values().map(Vec::len).sum::<usize>(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_process_killed_mid_delivery_loses_no_event_after_restart_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_killed_process_loses_no_event(&sqlite_url(&dir).0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_process_killed_mid_delivery_loses_no_event_after_restart_on_postgres() {
    if !custodian_testkit::pg_available() {
        return;
    }
    a_killed_process_loses_no_event(&custodian_testkit::fresh_pg_database().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn internal_targets_are_refused_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let d = demo(&sqlite_url(&dir).0, &[]).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest",
        "https://localhost/x",
        "https://[::1]/x",
        "http://example.com/x",
        "ftp://example.com/",
    ] {
        let (s, b) = d.call(reqwest::Method::POST, "/api/v1/webhooks", &d.admin, Some(json!({ "url": url }))).await;
        assert_eq!(s, 400, "{url}: {b}");
        assert_eq!(b["reference"], "url");
    }
    let (s, b) = d.call(reqwest::Method::POST, "/api/v1/webhooks", &d.staff, Some(json!({ "url": "https://example.com" }))).await;
    assert_eq!(s, 403, "{b}");
    let (s, b) = d
        .call(
            reqwest::Method::POST,
            "/api/v1/webhooks",
            &d.admin,
            Some(json!({ "url": "https://example.com/x", "eventTypes": ["customer.deleted"] })),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["reference"], "eventTypes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_410_disables_the_endpoint_and_replay_after_re_enabling_delivers() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::up(Mode::Status(410)).await;
    let d = demo(&sqlite_url(&dir).0, &FAST).await;
    let sub = d.subscribe(json!({ "url": receiver.url(), "eventTypes": ["customer.updated"] })).await;
    let id = sub["id"].as_i64().unwrap();
    d.change_email(d.customers[0], "gone@example.com").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, s) = d.call(reqwest::Method::GET, &format!("/api/v1/webhooks/{id}"), &d.admin, None).await;
        if s["enabled"] == false {
            assert!(s["disabledReason"].as_str().unwrap().contains("410"), "{s}");
            break;
        }
        assert!(Instant::now() < deadline, "not disabled: {s}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(receiver.captured().len(), 1, "no retry after 410");
    let metrics = d.metrics().await;
    assert!(metrics.contains("custodian_webhook_endpoints_disabled_total 1"), "{metrics}");
    // The delivery that got the 410 stays queued for when the endpoint is enabled again.
    let (_, page) =
        d.call(reqwest::Method::GET, &format!("/api/v1/webhooks/{id}/deliveries?status=pending"), &d.admin, None).await;
    assert_eq!(page["items"][0]["lastResponseCode"], 410);
    let (_, audit) = d.call(reqwest::Method::GET, "/api/v1/audit?limit=200", &d.admin, None).await;
    let disabled: Vec<&Value> =
        audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "webhook.endpoint_disabled").collect();
    assert_eq!(disabled.len(), 1, "{audit}");
    assert_eq!(disabled[0]["actor"], "system:custodian");

    // The endpoint is back: re-enable and rotate the secret; the queued delivery goes out again.
    *receiver.mode.lock().unwrap() = Mode::Ok;
    let (s, b) = d
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            &d.admin,
            Some(json!({ "enabled": true, "rotateSecret": true })),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let new_secret = b["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, sub["secret"].as_str().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    while receiver.captured().len() < 2 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let (s, b) = d.call(reqwest::Method::POST, &format!("/api/v1/webhooks/{id}/replay-failed"), &d.admin, None).await;
    assert_eq!((s, b["replayed"].as_i64()), (202, Some(0)), "nothing failed for good");
    let replayed = &receiver.captured()[1];
    assert_eq!(replayed.headers["webhook-id"], receiver.captured()[0].headers["webhook-id"], "same event, same id");
    assert!(verify_standard(&new_secret, replayed), "signed with the new secret");
    assert!(verify_standard(sub["secret"].as_str().unwrap(), replayed), "and with the old one during the overlap");

    let (s, b) = d.call(reqwest::Method::POST, &format!("/api/v1/webhooks/{id}/test"), &d.admin, None).await;
    assert_eq!((s, b["delivered"].as_bool(), b["responseCode"].as_i64()), (200, Some(true), Some(200)), "{b}");
    assert_eq!(receiver.captured().last().unwrap().body["type"], "webhook.test");
}

/// Per customer, the events arrived in the order they happened (a filtered subscription sees
/// every other sequence number, so they need not be contiguous).
fn assert_ascending(seqs: &BTreeMap<i64, Vec<i64>>) {
    for (customer, s) in seqs {
        assert!(s.windows(2).all(|w| w[0] < w[1]), "customer {customer}: events out of order: {s:?}");
    }
}

/// Creates customers through the native API until the demo tenant has `n`; their ids.
async fn customers(d: &Demo, n: usize) -> Vec<i64> {
    let mut ids = d.customers.clone();
    while ids.len() < n {
        let i = ids.len();
        let body = json!({
            "contact": { "email": format!("c{i}@example.com") },
            "address": { "street": "Hauptstraße", "houseNumber": "1", "zipCode": "10115", "city": "Berlin", "countryCode": "DE" },
            "master": { "firstName": "Sven", "lastName": "Hannawald", "gender": "MALE", "dateOfBirth": "1974-11-09", "customerTitle": "NONE" }
        });
        let (s, b) = d.call(reqwest::Method::POST, "/api/v1/customers", &d.admin, Some(body)).await;
        assert_eq!(s, 201, "{b}");
        ids.push(b["id"].as_i64().unwrap());
    }
    ids.truncate(n);
    ids
}

async fn an_outage_of_seconds_loses_nothing_and_disables_nothing(db_url: &str) {
    let receiver = Receiver::new(Mode::Ok); // down
    let d = demo(db_url, &FAST).await;
    let ids = customers(&d, 60).await;
    let sub = d.subscribe(json!({ "url": receiver.url(), "eventTypes": ["customer.updated"] })).await;
    let id = sub["id"].as_i64().unwrap();
    let down_since = Instant::now();
    // 60 customers × 5 e-mail changes while the receiver is down: 300 events, whose first
    // attempts (one per customer) fail at once.
    let d = Arc::new(d);
    let mut tasks = Vec::new();
    for &c in &ids {
        let d = d.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..5 {
                d.change_email(c, &format!("outage-{c}-{i}@example.com")).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // Down for at least 3 s, and until at least 50 attempts failed in a row (the count at which a
    // long outage would disable the endpoint); how long that takes depends on the machine's load,
    // so wait for it (bounded) instead of assuming it within a fixed time.
    let down_for = Duration::from_secs(3).saturating_sub(down_since.elapsed());
    tokio::time::sleep(down_for).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, s) = d.call(reqwest::Method::GET, &format!("/api/v1/webhooks/{id}"), &d.admin, None).await;
        if s["consecutiveFailures"].as_i64().unwrap() >= 50 {
            break;
        }
        assert!(Instant::now() < deadline, "the outage was not noticed within a minute: {s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    receiver.listen().await;
    receiver.wait_for("webhook-id", 300, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let captured = receiver.captured();
    assert_eq!(captured.len(), 300, "each of the 300 events arrived exactly once");
    let seqs = sequences(&captured);
    assert_eq!(seqs.len(), 60);
    assert!(seqs.values().all(|s| s.len() == 5), "{seqs:?}");
    assert_ascending(&seqs);
    let (_, s) = d.call(reqwest::Method::GET, &format!("/api/v1/webhooks/{id}"), &d.admin, None).await;
    assert_eq!(s["enabled"], true, "a burst of failed first attempts does not disable the endpoint: {s}");
    assert_eq!(s["consecutiveFailures"], 0, "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_three_second_outage_during_300_events_of_60_customers_loses_none_and_keeps_the_endpoint_enabled_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    an_outage_of_seconds_loses_nothing_and_disables_nothing(&sqlite_url(&dir).0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_three_second_outage_during_300_events_of_60_customers_loses_none_and_keeps_the_endpoint_enabled_on_postgres() {
    if !custodian_testkit::pg_available() {
        return;
    }
    an_outage_of_seconds_loses_nothing_and_disables_nothing(&custodian_testkit::fresh_pg_database().await).await;
}

async fn events_of_a_disabled_endpoint_arrive_after_re_enabling(db_url: &str) {
    let receiver = Receiver::up(Mode::Status(410)).await;
    let d = demo(db_url, &FAST).await;
    let sub = d.subscribe(json!({ "url": receiver.url(), "eventTypes": ["customer.updated"] })).await;
    let id = sub["id"].as_i64().unwrap();
    let (c1, c2, c3) = (d.customers[0], d.customers[1], d.customers[2]);
    d.change_email(c1, "gone-0@example.com").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, s) = d.call(reqwest::Method::GET, &format!("/api/v1/webhooks/{id}"), &d.admin, None).await;
        if s["enabled"] == false {
            break;
        }
        assert!(Instant::now() < deadline, "not disabled: {s}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // While disabled: 7 more events of three customers; nothing is sent.
    for (c, n) in [(c1, 2), (c2, 3), (c3, 2)] {
        for i in 0..n {
            d.change_email(c, &format!("disabled-{c}-{i}@example.com")).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.captured().len(), 1, "nothing goes to a disabled endpoint");

    *receiver.mode.lock().unwrap() = Mode::Ok;
    let (s, b) =
        d.call(reqwest::Method::PATCH, &format!("/api/v1/webhooks/{id}"), &d.admin, Some(json!({ "enabled": true }))).await;
    assert_eq!(s, 200, "{b}");
    receiver.wait_for("webhook-id", 8, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = receiver.captured()[1..].to_vec();
    assert_eq!(after.len(), 8, "the 410'd event and the 7 written while disabled, once each");
    let seqs = sequences(&after);
    assert_eq!(seqs[&c1].len(), 3);
    assert_eq!(seqs[&c2].len(), 3);
    assert_eq!(seqs[&c3].len(), 2);
    assert_ascending(&seqs);
    let first_of_c1 = after.iter().find(|c| c.body["data"]["customerId"] == c1).unwrap();
    assert_eq!(first_of_c1.headers["webhook-id"], receiver.captured()[0].headers["webhook-id"], "the 410'd event goes first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_written_while_an_endpoint_is_disabled_arrive_once_in_order_after_re_enabling_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    events_of_a_disabled_endpoint_arrive_after_re_enabling(&sqlite_url(&dir).0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_vendor_key_that_cannot_be_a_header_is_refused_when_created_or_changed() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::up(Mode::Ok).await;
    let d = demo(&sqlite_url(&dir).0, &FAST).await;
    for bad in ["key\r\nX-Injected: 1", "key\n", "key\u{0}", "key with spaces", "kéy", "\u{7f}", ""] {
        let body = json!({ "url": receiver.url(), "format": "vendor", "vendorKey": bad });
        let (s, b) = d.call(reqwest::Method::POST, "/api/v1/webhooks", &d.admin, Some(body)).await;
        assert_eq!(s, 400, "{bad:?}: {b}");
        assert_eq!(b["reference"], "vendorKey", "{b}");
    }
    let sub = d.subscribe(json!({ "url": receiver.url(), "format": "vendor", "vendorKey": "Abc-123_xyz.~!" })).await;
    let id = sub["id"].as_i64().unwrap();
    let (s, b) =
        d.call(reqwest::Method::PATCH, &format!("/api/v1/webhooks/{id}"), &d.admin, Some(json!({ "vendorKey": "a\rb" }))).await;
    assert_eq!((s, b["reference"].as_str()), (400, Some("vendorKey")), "{b}");
    assert_eq!(sub["vendorKey"], "Abc-123_xyz.~!", "{sub}");
}
