//! `custodian import` and `custodian export` as operators run them, on SQLite and PostgreSQL:
//! good records in, bad ones listed with line, field and reason, nothing imported twice, and an
//! export that imports back into an empty database exactly.

mod common;

use common::*;
use serde_json::{Value, json};
use std::path::Path;

/// A fresh database of each backend (PostgreSQL when its binaries are on the machine), migrated,
/// with one tenant.
async fn databases(dir: &tempfile::TempDir, name: &str) -> Vec<String> {
    let mut urls = vec![format!("sqlite://{}", dir.path().join(format!("{name}.db")).display())];
    if custodian_testkit::pg_available() {
        urls.push(custodian_testkit::fresh_pg_database().await);
    }
    for url in &urls {
        run(url, &["migrate"]);
        assert_eq!(run(url, &["tenants", "create", "--name", "Imports"]).trim(), "1");
    }
    urls
}

const ADA: &str = r#"{"externalId":"M-1","contact":{"email":"ada@example.com","phonePrivate":"+49 30 1234567"},"master":{"firstName":"Ada","lastName":"Lovelace","gender":"FEMALE","dateOfBirth":"1815-12-10","customerTitle":"NONE"},"address":{"street":"Main St","houseNumber":"1","zipCode":"10115","city":"Berlin","countryCode":"DE"},"payment":{"accountHolder":"Ada Lovelace","bankName":"Bank","iban":"DE89370400440532013000","bic":"COBADEFFXXX"}}"#;

fn mixed_file(dir: &Path) -> std::path::PathBuf {
    let lines = [
        ADA,
        "",
        r#"{"externalId":"M-2","contact":{"email":"not-an-email"}}"#,
        r#"{"externalId":"M-3","contact":{"email":"x@example.com","email":"y@example.com"}}"#,
        r#"{"externalId":"M-4","contact":{"emial":"x@example.com"}}"#,
        r#"{"externalId":"M-5"}"#,
        "not json",
        r#"{"externalId":"M-6","master":{"firstName":"Bob","lastName":"Jones","gender":"MALE","dateOfBirth":"1990-01-01","customerTitle":"DR"}}"#,
        r#"{"externalId":"M-7","address":{"street":"Elm","zipCode":"10115","city":"Berlin"}}"#,
        r#"{"contact":{"email":"no-number@example.com"}}"#,
        r#"{"externalId":"M-8","master":{"firstName":"Old","lastName":"Timer","gender":"MALE","dateOfBirth":"1700-01-01","customerTitle":"NONE"}}"#,
        r#"["an array"]"#,
    ];
    let path = dir.join("members.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn import(url: &str, file: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["import", "--tenant", "1", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    command(url).args(&args).output().unwrap()
}

fn export(url: &str, file: &Path) -> String {
    run(url, &["export", "--tenant", "1", file.to_str().unwrap()]);
    std::fs::read_to_string(file).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_takes_the_valid_records_lists_the_rest_with_line_field_and_reason_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let file = mixed_file(dir.path());
    for url in databases(&dir, "mixed").await {
        let out = import(&url, &file, &["--ids", dir.path().join("ids.csv").to_str().unwrap()]);
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!out.status.success(), "rejected records make the command fail");
        assert!(stdout.contains("4 imported, 0 skipped (externalId already present), 7 rejected"), "{stdout}");
        assert!(stderr.contains("7 records rejected") && stderr.contains("members.jsonl.rejects.csv"), "{stderr}");
        let rejects = std::fs::read_to_string(dir.path().join("members.jsonl.rejects.csv")).unwrap();
        let rows: Vec<&str> = rejects.lines().collect();
        assert_eq!(rows[0], "line,field,reason");
        assert!(rows[1].starts_with("3,contact.email,is not a valid e-mail address"), "{rejects}");
        assert_eq!(rows[2], "4,contact.email,is given more than once");
        assert!(rows[3].starts_with("5,contact.emial,\"is not a field of contact"), "{rejects}");
        assert!(rows[4].starts_with("7,,is not valid JSON"), "{rejects}");
        assert_eq!(rows[5], "9,address.countryCode,is required");
        assert!(rows[6].starts_with("11,master.dateOfBirth,\"must lie between 1800-01-01 and today"), "{rejects}");
        assert_eq!(rows[7], "12,,a record is a JSON object");
        assert_eq!(rows.len(), 8);

        // What was imported reads back through the API, with its audit entry and nothing else.
        let ids = std::fs::read_to_string(dir.path().join("ids.csv")).unwrap();
        let ids: Vec<(String, i64)> = ids
            .lines()
            .skip(1)
            .map(|l| {
                let (e, id) = l.split_once(',').unwrap();
                (e.to_owned(), id.parse().unwrap())
            })
            .collect();
        let externals: Vec<&str> = ids.iter().map(|(e, _)| e.as_str()).collect();
        assert_eq!(externals, ["M-1", "M-5", "M-6", ""]);
        let admin = run(&url, &["keys", "create", "--tenant", "1", "--scope", "ADMIN", "--label", "ops"]).trim().to_owned();
        let server = start(&url, None).await;
        let client = reqwest::Client::new();
        let ada = get_json(&client, format!("{}/api/v1/customers/{}", server.base, ids[0].1), &admin).await;
        assert_eq!(ada["data"]["contact"]["email"], "ada@example.com");
        assert_eq!(ada["data"]["payment"]["iban"], "DE89370400440532013000");
        assert_eq!(ada["versions"], json!({"contact": 1, "address": 1, "master": 1, "payment": 1}));
        let trail = get_json(&client, format!("{}/api/v1/customers/{}/audit", server.base, ids[0].1), &admin).await;
        let entries = trail["items"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{trail}");
        assert_eq!(entries[0]["action"], "customer.imported");
        assert_eq!(entries[0]["actor"], "import:members.jsonl");
        let fields: Vec<&str> = entries[0]["changes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&"contact.email") && fields.contains(&"payment.iban"), "{fields:?}");
        // Found by its external number, like a billing customer number.
        let found = get_json(&client, format!("{}/api/v1/customers?search=M-6", server.base), &admin).await;
        assert_eq!(found["items"][0]["id"], ids[2].1, "{found}");
        // No events unless asked for.
        let dossier = get_json(&client, format!("{}/api/v1/customers/{}/export", server.base, ids[0].1), &admin).await;
        assert_eq!(dossier["events"], json!([]));
        assert_eq!(dossier["records"]["customers"][0]["external_id"], "M-1");
        drop(server);

        let verify = run(&url, &["audit", "verify"]);
        assert!(verify.contains("4 audit entries checked") || verify.contains("entries checked"), "{verify}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_the_same_file_again_imports_nothing_twice_and_resumes_an_interrupted_import() {
    let dir = tempfile::tempdir().unwrap();
    let all: Vec<String> = (0..25)
        .map(|i| json!({"externalId": format!("G-{i}"), "contact": {"email": format!("member{i}@example.com")}}).to_string())
        .collect();
    let first_part = dir.path().join("part.jsonl");
    std::fs::write(&first_part, all[..10].join("\n")).unwrap();
    let whole = dir.path().join("whole.jsonl");
    std::fs::write(&whole, all.join("\n")).unwrap();
    for url in databases(&dir, "again").await {
        // The first ten, as if an import had stopped there; then the whole file, twice.
        let out = import(&url, &first_part, &["--batch", "3"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let out = import(&url, &whole, &["--batch", "4"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("15 imported, 10 skipped"), "{stdout}");
        let out = import(&url, &whole, &[]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && stdout.contains("0 imported, 25 skipped"), "{stdout}");
        assert!(!dir.path().join("whole.jsonl.rejects.csv").exists(), "no reject file without rejections");

        let exported = export(&url, &dir.path().join("out.jsonl"));
        let lines: Vec<Value> = exported.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 25, "each customer once");
        let expected: Vec<Value> = all.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines, expected, "in file order");
    }
}

/// The import hands the store its next batch before the previous one is answered: the customers'
/// ids still follow the file, also with `--events` (which writes through the sqlx path on both
/// backends) and with a bad record in between.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_imported_in_many_small_batches_get_ids_in_file_order_with_and_without_events() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = (0..30)
        .map(|i| json!({"externalId": format!("O-{i}"), "contact": {"email": format!("order{i}@example.com")}}).to_string())
        .collect();
    lines.insert(17, r#"{"externalId":"O-bad","contact":{"email":"not-an-email"}}"#.to_owned());
    let file = dir.path().join("order.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let ids_path = dir.path().join("order-ids.csv");
    for events in [false, true] {
        for url in databases(&dir, if events { "order-events" } else { "order" }).await {
            let mut extra = vec!["--batch", "2", "--ids", ids_path.to_str().unwrap()];
            if events {
                extra.push("--events");
            }
            let out = import(&url, &file, &extra);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(stdout.contains("30 imported, 0 skipped") && !out.status.success(), "{stdout}");
            let ids = std::fs::read_to_string(&ids_path).unwrap();
            let listed: Vec<(String, i64)> = ids
                .lines()
                .skip(1)
                .map(|l| {
                    let (external, id) = l.split_once(',').unwrap();
                    (external.to_owned(), id.parse().unwrap())
                })
                .collect();
            let externals: Vec<String> = listed.iter().map(|(e, _)| e.clone()).collect();
            let expected: Vec<String> = (0..30).map(|i| format!("O-{i}")).collect();
            assert_eq!(externals, expected, "every imported customer listed once, in file order");
            assert!(listed.windows(2).all(|w| w[0].1 < w[1].1), "ids rise with the file: {listed:?}");
            let exported = export(&url, &dir.path().join("order-out.jsonl"));
            let emails: Vec<String> =
                exported.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["contact"]["email"].to_string()).collect();
            let expected: Vec<String> = (0..30).map(|i| format!("\"order{i}@example.com\"")).collect();
            assert_eq!(emails, expected, "exported by id, in file order");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_imported_into_an_empty_database_exports_the_same_file_in_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    let source = mixed_file(dir.path());
    let sources = databases(&dir, "source").await;
    let targets = databases(&dir, "target").await;
    let csv_targets = databases(&dir, "csv-target").await;
    for ((from, to), to_csv) in sources.iter().zip(&targets).zip(&csv_targets) {
        let _ = import(from, &source, &[]);
        let first = export(from, &dir.path().join("first.jsonl"));
        assert_eq!(first.lines().count(), 4);
        assert_eq!(first.lines().next().unwrap().parse::<Value>().unwrap(), ADA.parse::<Value>().unwrap());

        let out = import(to, &dir.path().join("first.jsonl"), &[]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(export(to, &dir.path().join("second.jsonl")), first, "JSON Lines round trip");

        let csv = export(from, &dir.path().join("first.csv"));
        assert!(csv.starts_with("externalId,contact.email,contact.phonePrivate,"), "{csv}");
        let out = import(to_csv, &dir.path().join("first.csv"), &[]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(export(to_csv, &dir.path().join("second.csv")), csv, "CSV round trip");
        assert_eq!(export(to_csv, &dir.path().join("third.jsonl")), first, "CSV keeps what JSON Lines keeps");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_header_with_an_unknown_column_stops_the_import_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("members.csv");
    std::fs::write(&file, "externalId,contact.email,contact.fax\nM-1,ada@example.com,123\n").unwrap();
    let short = dir.path().join("short.csv");
    std::fs::write(&short, "externalId,contact.email\nM-1,ada@example.com\nM-2\nM-3,bob@example.com\n").unwrap();
    for url in databases(&dir, "csv").await {
        let out = import(&url, &file, &[]);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("unknown column \"contact.fax\""), "{stderr}");
        assert_eq!(export(&url, &dir.path().join("none.jsonl")), "");

        let out = import(&url, &short, &["--events"]);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("1 record rejected: see "), "{stderr}");
        let rejects = std::fs::read_to_string(dir.path().join("short.csv.rejects.csv")).unwrap();
        assert_eq!(rejects, "line,field,reason\n3,,the row has 1 cells; the header row has 2\n");
        let exported = export(&url, &dir.path().join("two.csv"));
        assert_eq!(exported.lines().count(), 3, "{exported}");

        // --events: each imported customer announces itself like an API creation.
        let admin = run(&url, &["keys", "create", "--tenant", "1", "--scope", "ADMIN", "--label", "ops"]).trim().to_owned();
        let server = start(&url, None).await;
        let client = reqwest::Client::new();
        let page = get_json(&client, format!("{}/api/v1/customers", server.base), &admin).await;
        let id = page["items"][0]["id"].as_i64().unwrap();
        let dossier = get_json(&client, format!("{}/api/v1/customers/{id}/export", server.base), &admin).await;
        let types: Vec<&str> = dossier["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["customer.created"], "{dossier}");
        drop(server);
    }
}
