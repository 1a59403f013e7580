//! The operator's commands against the real binary: commands that must not create a database,
//! clear refusals with a non-zero exit, and backup and restore on both backends.

mod common;

use common::*;
use serde_json::json;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn commands_other_than_serve_and_migrate_refuse_to_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let (url, path) = sqlite_url(&dir);
    for args in [
        &["staff", "list", "--tenant", "1"][..],
        &["tenants", "list"],
        &["keys", "list", "--tenant", "1"],
        &["tenants", "create", "--name", "Studio"],
    ] {
        let out = command(&url).args(args).output().unwrap();
        assert!(!out.status.success(), "custodian {args:?} succeeded");
        let err = stderr(&out);
        assert!(err.contains("no database at") && err.contains(&path.display().to_string()), "{args:?}: {err}");
        assert!(!path.exists(), "custodian {args:?} created {}", path.display());
    }
    let backup = dir.path().join("copy.db");
    let out = command(&url).arg("backup").arg(&backup).output().unwrap();
    assert!(!out.status.success() && !path.exists() && !backup.exists(), "{}", stderr(&out));
    // migrate creates it; then the same commands work.
    run(&url, &["migrate"]);
    assert!(path.exists());
    assert_eq!(run(&url, &["tenants", "list"]), "");
}

#[test]
fn unknown_tenants_and_blank_names_are_refused_with_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = sqlite_url(&dir);
    run(&url, &["migrate"]);
    let tenant = run(&url, &["tenants", "create", "--name", "Studio Mitte"]).trim().to_owned();
    assert_eq!(run(&url, &["staff", "list", "--tenant", &tenant]), "");
    for args in [
        &["staff", "list", "--tenant", "99"][..],
        &["keys", "list", "--tenant", "99"],
        &["keys", "create", "--tenant", "99", "--scope", "ADMIN"],
        &["keys", "revoke", "--tenant", "99", "--prefix", "AbCd1234"],
        &["partners", "create", "--tenant", "99", "--name", "Acme", "--currency", "EUR"],
    ] {
        let out = command(&url).args(args).output().unwrap();
        assert!(!out.status.success(), "custodian {args:?} succeeded");
        assert!(stderr(&out).contains("tenant 99 does not exist"), "{args:?}: {}", stderr(&out));
    }
    for blank in ["", "   "] {
        let out = command(&url).args(["tenants", "create", "--name", blank]).output().unwrap();
        assert!(!out.status.success() && stderr(&out).contains("must not be blank"), "{}", stderr(&out));
    }
    assert_eq!(run(&url, &["tenants", "list"]).lines().count(), 1);
    let help = String::from_utf8(command(&url).args(["keys", "create", "--help"]).output().unwrap().stdout).unwrap();
    for scope in
        ["CUSTOMER_SELF_SERVICE_READ", "CUSTOMER_SELF_SERVICE_WRITE", "STAFF_REVIEW", "ADMIN", "WEALTH_SERVICE_USER", "PARTNER"]
    {
        assert!(help.contains(scope), "--scope help does not list {scope}: {help}");
    }
}

/// Contact changes, applied at once in the demo's first tenant, sent until `stop` is set (at most
/// `limit`); returns how many were acknowledged.
async fn write_until(base: String, key: String, customers: Vec<i64>, stop: Arc<AtomicBool>, acked: Arc<AtomicUsize>) {
    let client = reqwest::Client::new();
    for round in 0..2_000usize {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let c = customers[round % customers.len()];
        let r = client
            .post(format!("{base}/v1/customers/{c}/self-service/contact-data"))
            .header("X-API-KEY", &key)
            .json(&json!({ "email": format!("backup{round}@example.com") }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        acked.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_the_server_writes_opens_checks_clean_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = sqlite_url(&dir);
    let keys_path = dir.path().join("keys.json");
    let server = start(&url, Some(&keys_path)).await;
    let keys = demo_keys(&keys_path);
    let tenant = &keys["tenants"][0];
    let key = tenant["selfServiceKey"].as_str().unwrap().to_owned();
    let customers: Vec<i64> = tenant["customers"].as_array().unwrap().iter().map(|c| c.as_i64().unwrap()).collect();
    let (stop, acked) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
    let writer = tokio::spawn(write_until(server.base.clone(), key.clone(), customers.clone(), stop.clone(), acked.clone()));
    while acked.load(Ordering::SeqCst) < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let copy = dir.path().join("backup.db");
    let copy_url = format!("sqlite://{}", copy.display());
    let out = command(&url).arg("backup").arg(&copy).output().unwrap();
    let during = acked.load(Ordering::SeqCst);
    assert!(out.status.success(), "{}", stderr(&out));
    // The server kept writing after the copy was taken.
    while acked.load(Ordering::SeqCst) < during + 20 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    let again = command(&url).arg("backup").arg(&copy).output().unwrap();
    assert!(!again.status.success() && stderr(&again).contains("exists already"), "{}", stderr(&again));

    use sqlx::{ConnectOptions, Row};
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new().filename(&copy).read_only(true).connect().await.unwrap();
    let check: String = sqlx::query("PRAGMA integrity_check").fetch_one(&mut conn).await.unwrap().get(0);
    assert_eq!(check, "ok");
    let applied: i64 =
        sqlx::query("SELECT COUNT(*) FROM amendments WHERE state = 'applied'").fetch_one(&mut conn).await.unwrap().get(0);
    assert!(applied >= 20 && (applied as usize) <= during + 1, "{applied} applied in the copy, {during} acknowledged then");
    drop(conn);

    // Serving the copy is the restore: the same keys work and the data is there.
    drop(server);
    let restored = start(&copy_url, None).await;
    let client = reqwest::Client::new();
    let g = get_json(&client, format!("{}/v1/customers/{}/self-service/contact-data", restored.base, customers[0]), &key).await;
    assert!(g["email"].as_str().is_some_and(|e| e.starts_with("backup")), "{g}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_dump_restored_into_a_new_database_serves() {
    if !custodian_testkit::pg_available() {
        return;
    }
    let (Some(pg_dump), Some(pg_restore)) = (custodian_testkit::pg_tool("pg_dump"), custodian_testkit::pg_tool("pg_restore"))
    else {
        assert!(
            std::env::var("CUSTODIAN_REQUIRE_PG").as_deref() != Ok("1"),
            "pg_dump and pg_restore are needed with CUSTODIAN_REQUIRE_PG=1"
        );
        return;
    };
    let source = custodian_testkit::fresh_pg_database().await;
    let dir = tempfile::tempdir().unwrap();
    let keys_path = dir.path().join("keys.json");
    let server = start(&source, Some(&keys_path)).await;
    let keys = demo_keys(&keys_path);
    let key = keys["tenants"][0]["selfServiceKey"].as_str().unwrap().to_owned();
    let customer = keys["tenants"][0]["customers"][0].as_i64().unwrap();
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{}/v1/customers/{customer}/self-service/contact-data", server.base))
        .header("X-API-KEY", &key)
        .json(&json!({ "email": "dumped@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // The documented commands: pg_dump -Fc, then pg_restore into a new, empty database.
    let dump = dir.path().join("custodian.dump");
    let out = std::process::Command::new(&pg_dump).args(["-Fc", "-f"]).arg(&dump).arg(&source).output().unwrap();
    assert!(out.status.success(), "pg_dump: {}", stderr(&out));
    let target = custodian_testkit::fresh_pg_database().await;
    let out = std::process::Command::new(&pg_restore).args(["--no-owner", "-d"]).arg(&target).arg(&dump).output().unwrap();
    assert!(out.status.success(), "pg_restore: {}", stderr(&out));

    drop(server);
    let restored = start(&target, None).await;
    let g = get_json(&client, format!("{}/v1/customers/{customer}/self-service/contact-data", restored.base), &key).await;
    assert_eq!(g["email"], "dumped@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_gets_one_access_log_line_with_route_status_and_tenant_and_no_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = sqlite_url(&dir);
    let keys_path = dir.path().join("keys.json");
    let log_path = dir.path().join("server.log");
    let port = free_port();
    let mut child = command(&url)
        .env("CUSTODIAN_LOG__LEVEL", "info")
        .env("CUSTODIAN_LOG__FORMAT", "json")
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--demo", "--demo-keys-file"])
        .arg(&keys_path)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if client.get(format!("{base}/ready")).send().await.is_ok_and(|r| r.status() == 200) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let keys = demo_keys(&keys_path);
    let key = keys["tenants"][1]["selfServiceKey"].as_str().unwrap().to_owned();
    let customer = keys["tenants"][1]["customers"][0].as_i64().unwrap();
    let email = "access-log-secret@example.com";
    let r = client
        .post(format!("{base}/v1/customers/{customer}/self-service/contact-data"))
        .header("X-API-KEY", &key)
        .header("X-Request-ID", "req-access-1")
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client.get(format!("{base}/v1/customers/{customer}/self-service/contact-data")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let metrics = client.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    for name in ["process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds", "custodian_build_info{"] {
        assert!(metrics.lines().any(|l| l.starts_with(name)), "/metrics lacks {name}");
    }
    let _ = child.kill();
    let _ = child.wait();

    let log = std::fs::read_to_string(&log_path).unwrap();
    let access: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["target"] == "custodian::access")
        .collect();
    let post = access.iter().find(|v| v["request.id"] == "req-access-1").expect("an access line for the POST");
    assert_eq!(post["method"], "POST");
    assert_eq!(post["route"], "/v1/customers/{customerId}/self-service/contact-data");
    assert_eq!(post["status"], 200);
    assert_eq!(post["tenant.id"], keys["tenants"][1]["tenantId"].to_string());
    assert!(post["latency_ms"].as_str().unwrap().parse::<f64>().unwrap() > 0.0);
    assert!(access.iter().any(|v| v["status"] == 401 && v["tenant.id"] == "-"), "no line for the refused GET");
    assert!(access.iter().any(|v| v["route"] == "/metrics"));
    assert!(!log.contains(email), "the log holds the e-mail address");
    assert!(!log.contains(&key) && !log.contains(&key[13..]), "the log holds the API key");
}
