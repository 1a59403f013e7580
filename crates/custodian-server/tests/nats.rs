//! The NATS JetStream sink end to end: Debian's `nats-server` with JetStream on loopback, the real
//! binary relaying its outbox, and async-nats reading what the stream stored: every event, in
//! order per customer, under the event ids the webhooks carry; a NATS restart in the middle loses
//! nothing. Without `nats-server` the tests skip, unless `CUSTODIAN_REQUIRE_NATS=1` (CI) makes
//! that a failure.

mod common;

use common::*;
use custodian_domain::{CustomerId, TenantId};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A `nats-server -js` on a loopback port with its store in a temporary directory; killed on drop.
struct Nats {
    port: u16,
    store: tempfile::TempDir,
    child: Option<Child>,
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.stop();
    }
}

fn nats_installed() -> bool {
    let found = Command::new("sh").args(["-c", "command -v nats-server"]).output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CUSTODIAN_REQUIRE_NATS").as_deref() != Ok("1"),
            "CUSTODIAN_REQUIRE_NATS=1 is set but nats-server is not installed (apt-get install nats-server)"
        );
        eprintln!("nats-server not found: skipping (set CUSTODIAN_REQUIRE_NATS=1 to fail instead)");
    }
    found
}

impl Nats {
    async fn start() -> Nats {
        let mut n = Nats { port: free_port(), store: tempfile::tempdir().unwrap(), child: None };
        n.up().await;
        n
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) on the same port and store; returns once it accepts connections.
    async fn up(&mut self) {
        let child = Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", &self.port.to_string(), "-sd"])
            .arg(self.store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

struct Demo {
    server: Server,
    db_url: String,
    tenant: TenantId,
    partner: String,
    admin: String,
    customers: Vec<i64>,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn demo(db_url: &str, nats: &Nats) -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let keys_path = dir.path().join("keys.json");
    let url = nats.url();
    let env = [("CUSTODIAN_EVENTS__NATS_URL", url.as_str()), ("CUSTODIAN_EVENTS__NATS_POLL_INTERVAL_MS", "50")];
    let server = start_with(db_url, Some(&keys_path), &env).await;
    let keys = demo_keys(&keys_path);
    let t = &keys["tenants"][0];
    Demo {
        server,
        db_url: db_url.to_owned(),
        tenant: TenantId(t["tenantId"].as_i64().unwrap()),
        partner: t["selfServiceKey"].as_str().unwrap().into(),
        admin: t["adminKey"].as_str().unwrap().into(),
        customers: t["customers"].as_array().unwrap().iter().map(|c| c.as_i64().unwrap()).collect(),
        client: reqwest::Client::new(),
        _dir: dir,
    }
}

impl Demo {
    async fn change_email(&self, customer: i64, email: &str) {
        let r = self
            .client
            .post(format!("{}/v1/customers/{customer}/self-service/contact-data", self.server.base))
            .header("X-API-KEY", &self.partner)
            .json(&json!({ "email": email }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }

    async fn new_customer(&self, i: usize) -> i64 {
        let body = json!({
            "contact": { "email": format!("nats{i}@example.com") },
            "address": { "street": "Hauptstraße", "houseNumber": "1", "zipCode": "10115", "city": "Berlin", "countryCode": "DE" }
        });
        let r = self
            .client
            .post(format!("{}/api/v1/customers", self.server.base))
            .header("X-API-KEY", &self.admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
    }

    /// Every outbox event of every customer in `ids`, by customer: (id, sequence) in sequence order.
    async fn outbox(&self, ids: &[i64]) -> BTreeMap<i64, Vec<(String, i64)>> {
        let store = custodian_store_sql::open(&self.db_url, Default::default(), Default::default()).await.unwrap();
        let mut out = BTreeMap::new();
        for &c in ids {
            let events = store.list_events(self.tenant, CustomerId(c)).await.unwrap();
            let list = events.iter().map(|e| (e.payload["id"].as_str().unwrap().to_owned(), e.seq)).collect();
            out.insert(c, list);
        }
        out
    }
}

/// What the stream stored of `tenant`'s events (the demo's other tenant has events too), in stream
/// order: (subject, Nats-Msg-Id, payload).
async fn stored(nats: &Nats, tenant: TenantId) -> Vec<(String, String, Value)> {
    let client = async_nats::connect(nats.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let Ok(mut stream) = js.get_stream("CUSTODIAN").await else { return Vec::new() };
    let last = stream.info().await.unwrap().state.last_sequence;
    let mut out = Vec::new();
    for seq in 1..=last {
        let m = stream.get_raw_message(seq).await.unwrap();
        let id = m.headers.get("Nats-Msg-Id").map(|v| v.as_str().to_owned()).unwrap_or_default();
        let payload: Value = serde_json::from_slice(&m.payload).unwrap();
        if payload["tenantId"] == tenant.0 {
            out.push((m.subject.to_string(), id, payload));
        }
    }
    out
}

/// Waits (bounded) until the stream holds at least `n` messages; returns them.
async fn wait_for(nats: &Nats, tenant: TenantId, n: usize, within: Duration) -> Vec<(String, String, Value)> {
    let deadline = Instant::now() + within;
    loop {
        let got = stored(nats, tenant).await;
        if got.len() >= n {
            return got;
        }
        assert!(Instant::now() < deadline, "the stream holds {} of {n} events", got.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checks the stream against the outbox: each event once, under its id, on its customer's
/// subject, in sequence order per customer.
fn assert_all_in_order(messages: &[(String, String, Value)], outbox: &BTreeMap<i64, Vec<(String, i64)>>, tenant: TenantId) {
    let mut per_customer: BTreeMap<i64, Vec<(String, i64)>> = BTreeMap::new();
    for (subject, id, payload) in messages {
        assert_eq!(payload["id"].as_str(), Some(id.as_str()), "Nats-Msg-Id is the event id");
        let customer = payload["customerId"].as_i64().unwrap();
        assert_eq!(subject, &format!("custodian.events.{}.{customer}", tenant.0));
        per_customer.entry(customer).or_default().push((id.clone(), payload["sequence"].as_i64().unwrap()));
    }
    for (customer, expected) in outbox {
        let got = per_customer.get(customer).cloned().unwrap_or_default();
        assert_eq!(&got, expected, "customer {customer}: every event once, in order, with the same ids");
    }
}

async fn every_event_arrives_once_in_order_per_customer(db_url: &str) {
    let nats = Nats::start().await;
    let d = demo(db_url, &nats).await;
    // The demo data's own events are relayed first; a live subscriber then sees every new event.
    let initial: usize = d.outbox(&d.customers).await.values().map(Vec::len).sum();
    wait_for(&nats, d.tenant, initial, Duration::from_secs(60)).await;
    let subscriber = async_nats::connect(nats.url()).await.unwrap();
    let mut live = subscriber.subscribe("custodian.events.>").await.unwrap();
    let mut ids = d.customers.clone();
    for i in 0..6 {
        ids.push(d.new_customer(i).await);
    }
    let d = Arc::new(d);
    let mut tasks = Vec::new();
    for &c in &ids {
        let d = d.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..5 {
                d.change_email(c, &format!("nats-{c}-{i}@example.com")).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let outbox = d.outbox(&ids).await;
    let total: usize = outbox.values().map(Vec::len).sum();
    let messages = wait_for(&nats, d.tenant, total, Duration::from_secs(60)).await;
    assert_eq!(messages.len(), total, "nothing twice");
    assert_all_in_order(&messages, &outbox, d.tenant);
    let mut seen = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    let prefix = format!("custodian.events.{}.", d.tenant.0);
    while seen < total - initial && Instant::now() < deadline {
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(500), live.next()).await
            && m.subject.starts_with(prefix.as_str())
        {
            assert!(m.headers.as_ref().is_some_and(|h| h.get("Nats-Msg-Id").is_some()));
            seen += 1;
        }
    }
    assert_eq!(seen, total - initial, "the live subscriber saw every new event");
    let metrics = d.client.get(format!("{}/metrics", d.server.base)).send().await.unwrap().text().await.unwrap();
    let published: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("custodian_nats_published_total "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no NATS counter in {metrics}"));
    assert!(published >= total as u64, "{published} of {total}");
}

async fn a_nats_restart_in_the_middle_loses_nothing(db_url: &str) {
    let mut nats = Nats::start().await;
    let d = Arc::new(demo(db_url, &nats).await);
    let mut ids = d.customers.clone();
    for i in 0..4 {
        ids.push(d.new_customer(i).await);
    }
    let burst = |round: usize| {
        let (d, ids) = (d.clone(), ids.clone());
        async move {
            let mut tasks = Vec::new();
            for c in ids {
                let d = d.clone();
                tasks.push(tokio::spawn(async move {
                    for i in 0..4 {
                        d.change_email(c, &format!("restart-{round}-{c}-{i}@example.com")).await;
                    }
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
        }
    };
    burst(0).await;
    let before = d.outbox(&ids).await.values().map(Vec::len).sum::<usize>();
    wait_for(&nats, d.tenant, before, Duration::from_secs(60)).await;
    // NATS goes away while events keep coming, and comes back with its store.
    nats.stop();
    burst(1).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    burst(2).await;
    nats.up().await;
    let outbox = d.outbox(&ids).await;
    let total: usize = outbox.values().map(Vec::len).sum();
    assert!(total > before);
    let messages = wait_for(&nats, d.tenant, total, Duration::from_secs(90)).await;
    assert_eq!(messages.len(), total, "nothing twice");
    assert_all_in_order(&messages, &outbox, d.tenant);
}

/// Two processes on one PostgreSQL database relay by turns: still every event once, in order.
async fn two_processes_relay_by_turns(db_url: &str) {
    let nats = Nats::start().await;
    let d = Arc::new(demo(db_url, &nats).await);
    let url = nats.url();
    let env = [("CUSTODIAN_EVENTS__NATS_URL", url.as_str()), ("CUSTODIAN_EVENTS__NATS_POLL_INTERVAL_MS", "50")];
    let second = start_with(db_url, None, &env).await;
    let mut ids = d.customers.clone();
    for i in 0..4 {
        ids.push(d.new_customer(i).await);
    }
    let mut tasks = Vec::new();
    for (n, &c) in ids.iter().enumerate() {
        let (d, base) = (d.clone(), if n % 2 == 0 { d.server.base.clone() } else { second.base.clone() });
        tasks.push(tokio::spawn(async move {
            for i in 0..5 {
                let r = d
                    .client
                    .post(format!("{base}/v1/customers/{c}/self-service/contact-data"))
                    .header("X-API-KEY", &d.partner)
                    .json(&json!({ "email": format!("turns-{c}-{i}@example.com") }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let outbox = d.outbox(&ids).await;
    let total: usize = outbox.values().map(Vec::len).sum();
    let messages = wait_for(&nats, d.tenant, total, Duration::from_secs(60)).await;
    assert_eq!(messages.len(), total, "nothing twice");
    assert_all_in_order(&messages, &outbox, d.tenant);
}

async fn run_with(test: impl AsyncFnOnce(&str), sqlite: bool) {
    if !nats_installed() {
        return;
    }
    if sqlite {
        let dir = tempfile::tempdir().unwrap();
        let (url, _) = sqlite_url(&dir);
        test(&url).await;
    } else if custodian_testkit::pg_available() {
        test(&custodian_testkit::fresh_pg_database().await).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_reaches_jetstream_once_in_order_per_customer_with_its_id_on_sqlite() {
    run_with(every_event_arrives_once_in_order_per_customer, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_reaches_jetstream_once_in_order_per_customer_with_its_id_on_postgres() {
    run_with(every_event_arrives_once_in_order_per_customer, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_nats_restart_in_the_middle_loses_no_event_on_sqlite() {
    run_with(a_nats_restart_in_the_middle_loses_nothing, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_nats_restart_in_the_middle_loses_no_event_on_postgres() {
    run_with(a_nats_restart_in_the_middle_loses_nothing, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_on_one_postgres_relay_by_turns_each_event_once_in_order() {
    run_with(two_processes_relay_by_turns, false).await;
}
