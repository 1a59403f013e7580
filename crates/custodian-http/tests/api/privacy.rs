//! Data protection: the subject access export holds everything kept about a person, and erasure
//! leaves no byte of it in the database — checked by scanning the SQLite files, or every table on
//! PostgreSQL, after the store is closed.

use crate::cross_dialect::{Auth, BILLING_NUMBER, billing_customer, billing_path, call, partner_customer, partner_path, read};
use crate::helpers::*;
use axum::http::{Method, StatusCode};
use custodian_app::Context;
use custodian_domain::{Actor, CustomerId, DataDomain, DomainPolicy, Scope};
use serde_json::{Value, json};

const IBAN: &str = "NL91ABNA0417164300";

/// A payment change with a signature whose drawing is unlike any other.
fn signed_payment() -> Value {
    use base64::Engine;
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="80"><path d="M17 43 C 47 13, 67 77, 173 29" stroke="black" fill="none"/></svg>"#;
    json!({
        "accountHolder": "Augusta Ada King", "bankName": "Analytical Bank", "iban": "NL91 ABNA 0417 1643 00", "bic": "ABNANL2A",
        "signature": { "base64SvgSignature": base64::engine::general_purpose::STANDARD.encode(svg) }
    })
}

/// The path data of a stored signature, as the sanitiser wrote it (a string to look for later).
fn path_data(svg: &str) -> String {
    let start = svg.find(" d=\"").expect("a path") + 4;
    svg[start..start + svg[start..].find('"').unwrap()].to_owned()
}

/// Every string of `needles` found in the database: in the SQLite files (database, WAL, shared
/// memory) as bytes, or in the text of every row of every table on PostgreSQL.
async fn leftovers(database_url: &str, dir: Option<&tempfile::TempDir>, needles: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(dir) = dir {
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            for n in needles {
                if bytes.windows(n.len()).any(|w| w == n.as_bytes()) {
                    found.push(format!("{n:?} in {}", path.file_name().unwrap().to_string_lossy()));
                }
            }
        }
    } else {
        let pool = sqlx::PgPool::connect(database_url).await.unwrap();
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert!(tables.len() > 20, "every table is scanned: {tables:?}");
        for table in tables {
            let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT t::text FROM \"{table}\" t")))
                .fetch_all(&pool)
                .await
                .unwrap();
            for n in needles {
                if rows.iter().any(|r| r.contains(n.as_str())) {
                    found.push(format!("{n:?} in {table}"));
                }
            }
        }
        pool.close().await;
    }
    found
}

async fn erasing_a_person_leaves_none_of_their_data_in_the_database(app: TestApp) {
    // A partner's sub-customer with a wealth profile (Ada Lovelace), changed through four dialects.
    let p = partner_customer(&app).await;
    let ctx = Context { tenant: p.t.id, actor: Actor::system(), request_id: None };
    let signed = DomainPolicy { status: VERIFY, require_signature: true };
    app.services.policies.set(&ctx, DataDomain::Payment, signed).await.unwrap();
    // self-service: a new e-mail address (applied at once), sent with an Idempotency-Key, so that
    // its answer is kept as a receipt
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri(ss(p.id, "contact-data"))
        .header("X-API-KEY", &p.t.partner)
        .header("Idempotency-Key", "erasure-test-1")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(json!({ "email": "ada.byron@erasure-test.example" }).to_string()))
        .unwrap();
    let r = app.raw(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("ada.byron@erasure-test.example"), "{}", r.text());
    // native: staff correct the master data directly
    let r = app.get(&format!("/api/v1/customers/{}", p.id), &p.t.admin).await;
    let mut master = r.json()["data"]["master"].clone();
    master["firstName"] = "Augusta".into();
    let r = app.put(&format!("/api/v1/customers/{}/master", p.id), &p.t.admin, master).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // wealth: an additional phone number of the person
    let phone = json!({ "medium": "phone", "contactMediumType": "private", "contactContent": "+41 44 987 65 43" });
    let r = call(
        &app,
        Method::POST,
        &format!("/openwealth/persons/{}/contactdetails", p.person),
        Auth::Bearer(&p.token),
        None,
        Some(phone),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // partner: a new street
    let (_, address) = p.entry_ids(&app).await;
    let r = call(
        &app,
        Method::PATCH,
        &partner_path(&p.uuid),
        Auth::ApiKey(&p.root_key),
        None,
        Some(json!({ "address": [{ "id": address, "type": "MAILING", "street": "Quellenweg Zwölf", "buildingNumber": "12", "zipCode": "80331",
            "city": "Munich", "country": "DE" }] })),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.text());
    // self-service: a signed payment change, left pending
    let r = app.post(&ss(p.id, "payment-data"), &p.t.partner, signed_payment()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let amendment = r.json()["id"].as_i64().unwrap();
    let r = app.get(&format!("/api/v1/amendments/{amendment}/signature"), &p.t.admin).await;
    assert_eq!(r.status, StatusCode::OK);
    let drawing = path_data(&r.text());

    // A billing customer of another tenant (Grace Hopper), erased too.
    let b = billing_customer(&app).await;

    let needles: Vec<String> = [
        "Lovelace",
        "ada@example.com",
        "ada.byron@erasure-test.example",
        "4917112345678",
        "Augusta",
        "987 65 43",
        "Quellenweg",
        "Am Bahnhof",
        IBAN,
        "Analytical Bank",
        &drawing,
        "Hopper",
        "grace@example.com",
        "202 555 0143",
        "Navy Yard",
        "US Navy",
        BILLING_NUMBER,
        "PR-4711",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();

    // The export holds all of it, IBAN and signature in full; only ADMIN may make it.
    let r = app.get(&format!("/api/v1/customers/{}/export", p.id), &p.t.staff).await;
    assert_problem(&r, StatusCode::FORBIDDEN, "auth.missing_scope");
    let r = app.get(&format!("/api/v1/customers/{}/export", p.id), &p.t.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers["content-disposition"], format!("attachment; filename=\"customer-{}.json\"", p.id));
    let export = r.text();
    for n in &needles[..11] {
        assert!(export.contains(n.as_str()), "the export holds {n:?}");
    }
    let e = r.json();
    assert_eq!(e["customer"]["id"], p.id);
    assert_eq!(e["amendments"].as_array().unwrap().last().unwrap()["state"], "pending");
    assert!(e["amendments"].as_array().unwrap().last().unwrap()["signatureSvg"].as_str().unwrap().contains(&drawing));
    for table in [
        "wealth_profiles",
        "wealth_persons",
        "wealth_consents",
        "partner_customers",
        "partner_contacts",
        "partner_addresses",
        "idempotency_receipts",
    ] {
        assert!(e["records"][table].as_array().is_some_and(|rows| !rows.is_empty()), "{table}: {}", e["records"]);
    }
    assert_eq!(e["audit"].as_array().unwrap().last().unwrap()["action"], "customer.exported", "the export is audited");
    assert!(!e["events"].as_array().unwrap().is_empty());
    let r = app.get(&format!("/api/v1/customers/{}/export", b.id), &b.t.admin).await;
    let billing = r.json();
    assert_eq!(billing["records"]["billing_profiles"][0]["customer_number"], BILLING_NUMBER, "{billing}");

    // A partner customer with a sub-customer is refused, and nothing is erased.
    let r = app.delete(&format!("/api/v1/customers/{}", p.root_id), &p.t.admin).await;
    assert_problem(&r, StatusCode::CONFLICT, "validation.conflict");
    assert!(r.text().contains("sub-customer"), "{}", r.text());
    assert_eq!(app.get(&format!("/api/v1/customers/{}", p.root_id), &p.t.admin).await.status, StatusCode::OK);

    // Erasure: ADMIN only; the pending payment change is withdrawn.
    let r = app.delete(&format!("/api/v1/customers/{}", p.id), &p.t.staff).await;
    assert_problem(&r, StatusCode::FORBIDDEN, "auth.missing_scope");
    let r = app.delete(&format!("/api/v1/customers/{}", p.id), &p.t.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let report = r.json();
    assert_eq!(report["withdrawnAmendments"], json!([amendment]), "{report}");
    for table in [
        "customer_domains",
        "amendments",
        "audit_entries",
        "outbox_events",
        "wealth_profiles",
        "wealth_persons",
        "partner_customers",
    ] {
        assert!(report["rows"][table].as_u64().is_some_and(|n| n > 0), "{table}: {report}");
    }
    let r = app.delete(&format!("/api/v1/customers/{}", b.id), &b.t.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // Every dialect answers the person as not found.
    assert_eq!(app.get(&ss(p.id, "contact-data"), &p.t.partner).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/api/v1/customers/{}", p.id), &p.t.admin).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/api/v1/customers/{}/export", p.id), &p.t.admin).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&format!("/api/v1/customers/{}", p.id), &p.t.admin).await.status, StatusCode::NOT_FOUND);
    let r = app.post(&ss(p.id, "contact-data"), &p.t.partner, json!({ "email": "again@example.com" })).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = call(&app, Method::GET, &partner_path(&p.uuid), Auth::ApiKey(&p.root_key), None, None).await;
    assert!(r.status.is_client_error() && r.text().contains("CUSTOMER_"), "{} {}", r.status, r.text());
    let r = call(&app, Method::GET, &format!("/openwealth/customers/{}", p.id), Auth::Bearer(&p.token), None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = call(&app, Method::GET, &format!("/openwealth/persons/{}", p.person), Auth::Bearer(&p.token), None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = call(&app, Method::GET, &billing_path(BILLING_NUMBER), Auth::Subscription(&b.t.admin), None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let list = read(&app, "/api/v1/customers?limit=200", Auth::ApiKey(&p.t.admin)).await;
    assert_eq!(item_ids(&list), vec![p.root_id], "the erased customer is not listed");
    let found = read(&app, "/api/v1/customers?search=lovelace", Auth::ApiKey(&p.t.admin)).await;
    assert_eq!(item_ids(&found), Vec::<i64>::new());

    // The history keeps its shape: actions, actors, field names; and the erasure is the last word.
    let audit = app.services.store.list_audit(p.t.id, CustomerId(p.id), None, 500).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(&actions[actions.len() - 2..], ["amendment.withdrawn", "customer.erased"], "{actions:?}");
    assert!(audit.iter().any(|a| a.changes.iter().any(|c| c.field == "email")), "field names stay");
    assert!(audit.iter().all(|a| a.changes.iter().all(|c| c.before.is_none() && c.after.is_none())), "values go");
    let events = app.services.store.list_events(p.t.id, CustomerId(p.id)).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.event_type, "customer.erased");
    assert_eq!(last.payload["customerId"], p.id);
    assert!(events.iter().all(|e| e.payload["erased"] == true || e.event_type == "customer.erased"), "{events:?}");

    // The tamper-evident trail still verifies: the erased values went with their salts.
    for tenant in [p.t.id, b.t.id] {
        let v = app.services.store.verify_audit(tenant, None).await.unwrap();
        assert_eq!(v.mismatch, None, "the audit chain verifies after the erasure");
    }

    // The root can go now that its sub-customer is gone.
    let r = app.delete(&format!("/api/v1/customers/{}", p.root_id), &p.t.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // Stop, then look at the bytes.
    let url = app.database_url.clone();
    let dir = app.stop().await;
    let found = leftovers(&url, dir.as_ref(), &needles).await;
    assert!(found.is_empty(), "erased data found after the erasure: {found:?}");
}

both_backends!(erasing_a_person_leaves_none_of_their_data_in_the_database);

async fn the_keys_bound_to_an_erased_customer_stop_working_at_once(app: TestApp) {
    let p = partner_customer(&app).await;
    let uuid = custodian_domain::hierarchy::CustomerUuid::parse(&p.uuid).unwrap();
    let own = app.services.hierarchy.create_key(p.t.id, uuid, vec![Scope::Partner], "own").await.unwrap().secret;
    app.cache_in_use().await;
    for _ in 0..2 {
        let r = call(&app, Method::GET, &partner_path(&p.uuid), Auth::ApiKey(&own), None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let r = app.delete(&format!("/api/v1/customers/{}", p.id), &p.t.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = call(&app, Method::GET, &partner_path(&p.uuid), Auth::ApiKey(&own), None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the revoked key is refused at once: {}", r.text());
    let r = call(&app, Method::GET, &partner_path(&p.uuid), Auth::ApiKey(&p.root_key), None, None).await;
    assert!(r.status.is_client_error() && r.status != StatusCode::UNAUTHORIZED, "the root's key still works: {}", r.status);
}

both_backends!(the_keys_bound_to_an_erased_customer_stop_working_at_once);

async fn export_and_erasure_answer_unknown_customers_and_other_tenants_with_404(app: TestApp) {
    let t = app.tenant(&[]).await;
    let other = app.tenant(&[]).await;
    let id = app.customer(&t).await;
    for path in [format!("/api/v1/customers/{id}/export"), "/api/v1/customers/999999/export".into()] {
        let r = app.get(&path, &other.admin).await;
        assert_problem(&r, StatusCode::NOT_FOUND, "customer.not_found");
    }
    let r = app.delete(&format!("/api/v1/customers/{id}"), &other.admin).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "customer.not_found");
    let r = app.delete("/api/v1/customers/abc", &t.admin).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(app.get(&format!("/api/v1/customers/{id}"), &t.admin).await.status, StatusCode::OK, "untouched");
}

both_backends!(export_and_erasure_answer_unknown_customers_and_other_tenants_with_404);
