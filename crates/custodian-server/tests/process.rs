//! The `custodian` binary as operators run it: CLI key management, several server processes on one
//! PostgreSQL, and durability of acknowledged writes when the process is killed.

mod common;

use common::*;
use futures_util::FutureExt;
use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn a_failed_command_prints_its_error_and_causes_without_a_backtrace_and_exits_with_1() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = sqlite_url(&dir);
    let out = command(&url).env("RUST_BACKTRACE", "1").args(["tenants", "list"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("Error: no database at "), "{stderr}");
    assert!(!stderr.contains("backtrace") && !stderr.contains("anyhow"), "{stderr}");
    // The same for an import of a file that is not there.
    run(&url, &["migrate"]);
    run(&url, &["tenants", "create", "--name", "Studio"]);
    let file = dir.path().join("missing.jsonl");
    let out = command(&url).env("RUST_BACKTRACE", "1").args(["import", "--tenant", "1"]).arg(&file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("Error: ") && stderr.contains("missing.jsonl"), "{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
}

#[tokio::test]
async fn a_key_created_by_the_cli_works_once_and_only_its_hash_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (url, path) = sqlite_url(&dir);
    assert!(run(&url, &["migrate"]).contains("up to date"));
    let tenant = run(&url, &["tenants", "create", "--name", "CLI Studio"]).trim().to_owned();
    assert_eq!(tenant, "1");
    let key = run(&url, &["keys", "create", "--tenant", &tenant, "--scope", "CUSTOMER_SELF_SERVICE_READ", "--label", "app"]);
    let key = key.trim();
    assert!(key.starts_with("cus_"), "{key}");
    let bad = command(&url).args(["keys", "create", "--tenant", "1", "--scope", "EVERYTHING"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown scope"));

    let raw = std::fs::read(&path).unwrap();
    let wal = std::fs::read(path.with_extension("db-wal")).unwrap_or_default();
    let needle = key.as_bytes();
    for bytes in [&raw, &wal] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle), "the key itself must not be stored");
    }
    use sha2::Digest;
    let hash = hex::encode(sha2::Sha256::digest(key.as_bytes()));
    let found = raw.windows(hash.len()).any(|w| w == hash.as_bytes()) || wal.windows(hash.len()).any(|w| w == hash.as_bytes());
    assert!(found, "the SHA-256 of the key is stored");

    let server = start(&url, None).await;
    let client = reqwest::Client::new();
    let head_contact_data = |key: &str| {
        client.head(format!("{}/v1/customers/1/self-service/contact-data", server.base)).header("X-API-KEY", key).send()
    };
    let ok = head_contact_data(key).await.unwrap();
    assert_eq!(ok.status(), 200);

    // Listed by prefix (never the secret), then revoked: the running server refuses the key within
    // a second (it caches keys and polls the cache epoch the revocation advanced).
    let prefix = key.split('_').nth(1).unwrap().to_owned();
    let listed = run(&url, &["keys", "list", "--tenant", "1"]);
    assert!(listed.starts_with(&format!("{prefix}\tCUSTOMER_SELF_SERVICE_READ\tapp")), "{listed}");
    assert!(!listed.contains(key));
    run(&url, &["keys", "revoke", "--tenant", "1", "--prefix", &prefix]);
    let took = within_deadline("the server refuses the key revoked by the CLI", || async {
        head_contact_data(key).await.unwrap().status() == 401
    })
    .await;
    eprintln!("refused {took:?} after the CLI revoked it");
    assert_eq!(run(&url, &["keys", "list", "--tenant", "1"]), "");
    let again = command(&url).args(["keys", "revoke", "--tenant", "1", "--prefix", &prefix]).output().unwrap();
    assert!(!again.status.success(), "revoking twice is an error");
    let no = head_contact_data("cus_x_y").await.unwrap();
    assert_eq!(no.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_one_pending_rule_holds_across_two_server_processes_on_one_postgres() {
    if !custodian_testkit::pg_available() {
        eprintln!("PostgreSQL not found: skipping");
        return;
    }
    let url = custodian_testkit::fresh_pg_database().await;
    let dir = tempfile::tempdir().unwrap();
    let keys_path = dir.path().join("keys.json");
    let a = start(&url, Some(&keys_path)).await;
    let b = start(&url, None).await;
    let keys = demo_keys(&keys_path);
    let tenant = &keys["tenants"][0];
    let key = tenant["selfServiceKey"].as_str().unwrap().to_owned();
    let customer = tenant["customers"][0].as_i64().unwrap();
    let client = reqwest::Client::new();
    let body = json!({ "street": "Am Bahnhof", "houseNumber": "90", "zipCode": "12133", "city": "Munich", "countryCode": "DE" });
    let mut tasks = Vec::new();
    for i in 0..50 {
        let base = if i % 2 == 0 { a.base.clone() } else { b.base.clone() };
        let (client, key, body) = (client.clone(), key.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            client
                .post(format!("{base}/v1/customers/{customer}/self-service/address-data"))
                .header("X-API-KEY", key)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let conflict = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((ok, conflict), (1, 49), "{statuses:?}");
    // Both processes see the same single pending amendment.
    for base in [&a.base, &b.base] {
        let g = get_json(&client, format!("{base}/v1/customers/{customer}/self-service/address-data"), &key).await;
        assert!(g["pendingAmendment"]["id"].as_i64().is_some(), "{g}");
    }
}

/// The stated bound for a change made elsewhere to reach a process (one second), plus slack for a
/// loaded test machine.
const PROPAGATION_DEADLINE: Duration = Duration::from_millis(2_500);

/// Polls `seen` until it holds, at most [`PROPAGATION_DEADLINE`]; how long it took.
async fn within_deadline<F, Fut>(what: &str, mut seen: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if seen().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < PROPAGATION_DEADLINE, "{what}: not within {PROPAGATION_DEADLINE:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn revocations_and_policy_changes_reach_a_second_process_within_a_second_on_postgres() {
    if !custodian_testkit::pg_available() {
        eprintln!("PostgreSQL not found: skipping");
        return;
    }
    let url = custodian_testkit::fresh_pg_database().await;
    let dir = tempfile::tempdir().unwrap();
    let keys_path = dir.path().join("keys.json");
    let a = start(&url, Some(&keys_path)).await;
    let b = start(&url, None).await;
    let keys = demo_keys(&keys_path);
    let tenant = &keys["tenants"][0];
    let admin = tenant["adminKey"].as_str().unwrap().to_owned();
    let customer = tenant["customers"][0].as_i64().unwrap();
    let client = reqwest::Client::new();
    let contact = |base: &str| format!("{base}/v1/customers/{customer}/self-service/contact-data");
    let status = |base: String, key: String| {
        let client = client.clone();
        async move { client.get(contact(&base)).header("X-API-KEY", key).send().await.unwrap().status().as_u16() }
    };
    let mut issued = Vec::new();
    for label in ["via-http", "via-cli"] {
        let r = client
            .post(format!("{}/api/v1/keys", a.base))
            .header("X-API-KEY", &admin)
            .json(&json!({ "scopes": ["CUSTOMER_SELF_SERVICE_READ"], "label": label }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        issued.push((body["secret"].as_str().unwrap().to_owned(), body["prefix"].as_str().unwrap().to_owned()));
    }
    // Both processes have read, and cached, both keys and the tenant's policies.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for base in [&a.base, &b.base] {
        for (secret, _) in &issued {
            for _ in 0..2 {
                assert_eq!(status(base.clone(), secret.clone()).await, 200);
            }
        }
        let g = get_json(&client, contact(base), &issued[0].0).await;
        assert_eq!(g["amendmentConfigurationStatus"], "CHANGES_WITHOUT_VERIFICATION", "{g}");
    }

    // Revoked through A's API: A refuses it at once, B within the bound.
    let (secret, prefix) = &issued[0];
    let r = client.delete(format!("{}/api/v1/keys/{prefix}", a.base)).header("X-API-KEY", &admin).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(status(a.base.clone(), secret.clone()).await, 401, "at once on the process that revoked it");
    let took =
        within_deadline("B refuses the key revoked through A", || status(b.base.clone(), secret.clone()).map(|s| s == 401)).await;
    eprintln!("B refused the key revoked through A after {took:?}");

    // Revoked by the CLI (a third process): both refuse it within the bound.
    let (secret, prefix) = &issued[1];
    run(&url, &["keys", "revoke", "--tenant", "1", "--prefix", prefix]);
    for (name, base) in [("A", &a.base), ("B", &b.base)] {
        let took = within_deadline(&format!("{name} refuses the key revoked by the CLI"), || {
            status(base.clone(), secret.clone()).map(|s| s == 401)
        })
        .await;
        eprintln!("{name} refused the key revoked by the CLI after {took:?}");
    }

    // A policy set through A: A applies it at once, B within the bound.
    let r = client
        .put(format!("{}/api/v1/policies/contact", a.base))
        .header("X-API-KEY", &admin)
        .json(&json!({ "status": "READ" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let reader = tenant["selfServiceKey"].as_str().unwrap().to_owned();
    assert_eq!(get_json(&client, contact(&a.base), &reader).await["amendmentConfigurationStatus"], "READ", "at once on A");
    let took = within_deadline("B applies the policy set through A", || async {
        get_json(&client, contact(&b.base), &reader).await["amendmentConfigurationStatus"] == "READ"
    })
    .await;
    eprintln!("B applied the policy set through A after {took:?}");
}

/// Writes acknowledged with 200, then SIGKILL, then restart: every acknowledged write is there.
async fn acknowledged_writes_survive_a_kill(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let keys_path = dir.path().join("keys.json");
    let server = start(url, Some(&keys_path)).await;
    let keys = demo_keys(&keys_path);
    let tenant = &keys["tenants"][0];
    let key = tenant["selfServiceKey"].as_str().unwrap().to_owned();
    let staff = tenant["staffKey"].as_str().unwrap().to_owned();
    let customers: Vec<i64> = tenant["customers"].as_array().unwrap().iter().map(|c| c.as_i64().unwrap()).collect();
    let client = reqwest::Client::new();
    let mut acknowledged = Vec::new();
    for round in 0..40 {
        let c = customers[round % customers.len()];
        let email = format!("round{round}@example.com");
        let r = client
            .post(format!("{}/v1/customers/{c}/self-service/contact-data", server.base))
            .header("X-API-KEY", &key)
            .json(&json!({ "email": email }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        acknowledged.push((c, email));
    }
    drop(server); // SIGKILL: no graceful shutdown, no checkpoint
    let server = start(url, None).await;
    for c in &customers {
        let expected = acknowledged.iter().rev().find(|(cust, _)| cust == c).map(|(_, e)| e.clone()).unwrap();
        let g = get_json(&client, format!("{}/v1/customers/{c}/self-service/contact-data", server.base), &key).await;
        assert_eq!(g["email"], expected.as_str());
        let audit = get_json(&client, format!("{}/api/v1/customers/{c}/audit?limit=200", server.base), &staff).await;
        let applied = audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "amendment.applied").count();
        assert_eq!(applied, acknowledged.iter().filter(|(cust, _)| cust == c).count());
    }
}

/// Concurrent writes share commits (group commit on SQLite): the server is killed while 16 clients
/// keep writing, and every write that was acknowledged with 200 is there after a restart (a write
/// whose answer was lost may be there too; one that lost a race for the same customer is a 409).
async fn acknowledged_concurrent_writes_survive_a_kill_mid_load(url: &str) {
    use std::sync::{Arc, Mutex};
    let dir = tempfile::tempdir().unwrap();
    let keys_path = dir.path().join("keys.json");
    let server = start(url, Some(&keys_path)).await;
    let keys = demo_keys(&keys_path);
    let tenant = &keys["tenants"][0];
    let key = tenant["selfServiceKey"].as_str().unwrap().to_owned();
    let staff = tenant["staffKey"].as_str().unwrap().to_owned();
    let customers: Vec<i64> = tenant["customers"].as_array().unwrap().iter().map(|c| c.as_i64().unwrap()).collect();
    let client = reqwest::Client::new();
    let acknowledged = Arc::new(Mutex::new(Vec::<(i64, String)>::new()));
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let (client, key, base, acknowledged) = (client.clone(), key.clone(), server.base.clone(), Arc::clone(&acknowledged));
            let customers = customers.clone();
            tokio::spawn(async move {
                // Bounded: at most 25 writes per client, and each client stops at its first failure.
                for i in 0..25 {
                    let c = customers[(w + i) % customers.len()];
                    let email = format!("w{w}-{i}@example.com");
                    let sent = client
                        .post(format!("{base}/v1/customers/{c}/self-service/contact-data"))
                        .header("X-API-KEY", &key)
                        .timeout(Duration::from_secs(10))
                        .json(&json!({ "email": email }))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == 200 => acknowledged.lock().unwrap().push((c, email)),
                        // Another client changed this customer's contact data since it was read.
                        Ok(r) if r.status() == 409 => {}
                        Ok(r) => panic!("a write was answered {} before the kill", r.status()),
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    // Kill once a good number of writes are acknowledged, while the clients are still writing.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < 60 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(server); // SIGKILL: no graceful shutdown, no checkpoint
    for w in writers {
        w.await.expect("a client panicked");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 60, "only {} writes were acknowledged", acknowledged.len());
    let server = start(url, None).await;
    for c in &customers {
        let audit = get_json(&client, format!("{}/api/v1/customers/{c}/audit?limit=200", server.base), &staff).await;
        assert!(audit["items"].as_array().unwrap().len() < 200, "customer {c}: one page holds the whole trail");
        let trail = audit.to_string();
        for (_, email) in acknowledged.iter().filter(|(cust, _)| cust == c) {
            assert!(trail.contains(email.as_str()), "customer {c}: the acknowledged write of {email} is missing");
        }
    }
}

#[tokio::test]
async fn acknowledged_concurrent_writes_survive_a_kill_mid_load_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = sqlite_url(&dir);
    acknowledged_concurrent_writes_survive_a_kill_mid_load(&url).await;
}

#[tokio::test]
async fn acknowledged_concurrent_writes_survive_a_kill_mid_load_on_postgres() {
    if !custodian_testkit::pg_available() {
        eprintln!("PostgreSQL not found: skipping");
        return;
    }
    acknowledged_concurrent_writes_survive_a_kill_mid_load(&custodian_testkit::fresh_pg_database().await).await;
}

#[tokio::test]
async fn acknowledged_writes_survive_a_kill_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = sqlite_url(&dir);
    acknowledged_writes_survive_a_kill(&url).await;
}

#[tokio::test]
async fn acknowledged_writes_survive_a_kill_on_postgres() {
    if !custodian_testkit::pg_available() {
        eprintln!("PostgreSQL not found: skipping");
        return;
    }
    acknowledged_writes_survive_a_kill(&custodian_testkit::fresh_pg_database().await).await;
}

#[test]
fn a_bad_configuration_is_refused_with_a_clear_message() {
    let out = Command::new(BIN).env("CUSTODIAN_DATABASE__SQLITE_SYNCHRONOUS", "sometimes").arg("migrate").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected full or normal"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(BIN).env("CUSTODIAN_DATABSE__URL", "sqlite://x.db").arg("migrate").output().unwrap();
    assert!(!out.status.success(), "a misspelt section is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("databse"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(BIN).args(["--config", "/nonexistent/custodian.toml", "migrate"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn the_openapi_command_prints_an_openapi_3_1_document() {
    let out = Command::new(BIN).arg("openapi").output().unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/v1/customers/{customerId}/self-service/payment-data"]["post"].is_object());
}
