//! `custodian audit verify` and retention against the real binary, on both backends: a served
//! trail verifies and prints its checkpoint, the background job and `custodian retention run`
//! delete old receipts and audit the counts, and a single edited row makes `verify` fail naming it.

mod common;

use common::*;
use std::time::{Duration, Instant};

async fn sql(url: &str, statement: &str) {
    use sqlx::Connection;
    if url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned())).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned())).execute(&mut c).await.unwrap();
    }
}

/// A billing receipt of the demo's first customer, created 40 days ago.
async fn old_receipt(url: &str, tenant: i64, customer: i64, request_id: &str) {
    let old = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64 - 40 * 86_400_000;
    sql(
        url,
        &format!(
            "INSERT INTO billing_receipts (tenant_id, request_id, fingerprint, customer_id, customer_number, created_ms) \
             VALUES ({tenant}, '{request_id}', 'f', {customer}, 'n-{request_id}', {old})"
        ),
    )
    .await;
}

async fn verify_and_retention_work_on_a_served_database(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let keys_path = dir.path().join("keys.json");
    let server = start_with(url, Some(&keys_path), &[("CUSTODIAN_RETENTION__INTERVAL_SECONDS", "1")]).await;
    let keys = demo_keys(&keys_path);
    let tenant = keys["tenants"][0]["tenantId"].as_i64().unwrap();
    let customer = keys["tenants"][0]["customers"][0].as_i64().unwrap();
    let admin = keys["tenants"][0]["adminKey"].as_str().unwrap().to_owned();

    // The background job deletes an old receipt and audits the run.
    old_receipt(url, tenant, customer, "old-1").await;
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let entry = loop {
        let audit = get_json(&client, format!("{}/api/v1/audit?limit=200", server.base), &admin).await;
        if let Some(e) = audit["items"].as_array().unwrap().iter().find(|e| e["action"] == "retention.run") {
            break e.clone();
        }
        assert!(Instant::now() < deadline, "no retention run was audited: {audit}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(entry["actor"], "system:custodian");
    let changes = entry["changes"].as_array().unwrap();
    let count = |field: &str| changes.iter().find(|c| c["field"] == field).map(|c| c["after"].clone());
    assert_eq!(count("billingReceiptsDeleted"), Some(serde_json::json!(1)), "{entry}");
    assert_eq!(count("signaturesDeleted"), Some(serde_json::json!(0)), "{entry}");
    drop(server);

    // On demand.
    old_receipt(url, tenant, customer, "old-2").await;
    let out = run(url, &["retention", "run", "--tenant", &tenant.to_string()]);
    assert!(
        out.contains(&format!("tenant {tenant}: 0 signatures, 0 webhook events (0 deliveries), 1 billing receipts deleted")),
        "{out}"
    );
    let out = run(url, &["retention", "run"]);
    assert!(
        out.contains(&format!("tenant {tenant}: 0 signatures, 0 webhook events (0 deliveries), 0 billing receipts deleted")),
        "{out}"
    );

    // The whole trail verifies, with a checkpoint per tenant.
    let out = run(url, &["audit", "verify"]);
    assert!(out.contains("audit entries checked in"), "{out}");
    let line = out.lines().find(|l| l.starts_with(&format!("tenant {tenant}:"))).unwrap();
    assert!(line.contains("entries in") && line.contains("verified"), "{line}");
    let checkpoint = line.rsplit(' ').next().unwrap().to_owned();
    assert!(checkpoint.starts_with(&format!("{tenant}:")), "{line}");
    let out = run(url, &["audit", "verify", "--tenant", &tenant.to_string(), "--checkpoint", &checkpoint]);
    assert!(out.contains(&format!("checkpoint {checkpoint}: matches")), "{out}");

    // One edited row: verify fails and names it; so does the checkpoint.
    let (victim,): (i64,) = {
        use sqlx::Connection;
        let q = format!("SELECT MIN(id) FROM audit_entries WHERE tenant_id = {tenant} AND customer_id = {customer}");
        if url.starts_with("sqlite") {
            let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::query_as(sqlx::AssertSqlSafe(q)).fetch_one(&mut c).await.unwrap()
        } else {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_as(sqlx::AssertSqlSafe(q)).fetch_one(&mut c).await.unwrap()
        }
    };
    sql(url, &format!("UPDATE audit_entries SET at_ms = at_ms + 1 WHERE id = {victim}")).await;
    for args in [&["audit", "verify"][..], &["audit", "verify", "--tenant", &tenant.to_string(), "--checkpoint", &checkpoint]] {
        let out = command(url).args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?} passed after an edit");
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains(&format!("MISMATCH at audit entry {victim}")), "{stdout}");
        assert!(stderr.contains("first mismatch at audit entry"), "{stderr}");
    }
    // Other tenants still verify on their own.
    let other = keys["tenants"][1]["tenantId"].as_i64().unwrap().to_string();
    run(url, &["audit", "verify", "--tenant", &other]);
    let bad = command(url).args(["audit", "verify", "--checkpoint", "1:2:nothex"]).output().unwrap();
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("TENANT:UP_TO_ID:DIGEST"));
}

#[tokio::test]
async fn audit_verify_and_retention_run_work_and_an_edited_row_is_named_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = sqlite_url(&dir);
    verify_and_retention_work_on_a_served_database(&url).await;
}

#[tokio::test]
async fn audit_verify_and_retention_run_work_and_an_edited_row_is_named_on_postgres() {
    if !custodian_testkit::pg_available() {
        eprintln!("skipping: PostgreSQL server binaries not found");
        return;
    }
    verify_and_retention_work_on_a_served_database(&custodian_testkit::fresh_pg_database().await).await;
}
