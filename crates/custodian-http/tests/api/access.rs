//! Access management over the native API (scope ADMIN): API keys created with their secret shown
//! once, listed without secrets, revoked at once; staff-console accounts created and deleted;
//! every change in the tenant's audit trail; other scopes and other tenants kept out.

use crate::helpers::{Tenant, TestApp, assert_problem, key_prefix};
use axum::http::{Method, StatusCode};
use custodian_app::Context;
use custodian_domain::hierarchy::CreateInput;
use custodian_domain::{Actor, ActorKind, Scope};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

/// The tenant's audit entries with `action`.
async fn audit_entries(app: &TestApp, t: &Tenant, action: &str) -> Vec<Value> {
    let r = app.get("/api/v1/audit?limit=200", &t.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["items"].as_array().unwrap().iter().filter(|e| e["action"] == action).cloned().collect()
}

async fn create_key(app: &TestApp, t: &Tenant, body: Value) -> Value {
    let r = app.post("/api/v1/keys", &t.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

// ---------------------------------------------------------------------------------------------

async fn a_created_key_works_at_once_with_its_scopes_and_its_secret_is_shown_only_once(app: TestApp) {
    let t = app.tenant(&[]).await;
    let customer = app.customer(&t).await;
    let created = create_key(&app, &t, json!({ "scopes": ["STAFF_REVIEW"], "label": "front-desk" })).await;
    let secret = created["secret"].as_str().expect("the secret is in the answer").to_owned();
    let prefix = created["prefix"].as_str().unwrap().to_owned();
    assert_eq!(key_prefix(&secret), prefix);
    assert_eq!(created["scopes"], json!(["STAFF_REVIEW"]));
    assert_eq!(created["label"], "front-desk");
    assert!(created["createdAt"].as_str().unwrap().ends_with('Z'), "{created}");

    // It works at once, with exactly its scopes.
    assert_eq!(app.get(&format!("/api/v1/customers/{customer}"), &secret).await.status, StatusCode::OK);
    assert_problem(&app.get("/api/v1/webhooks", &secret).await, StatusCode::FORBIDDEN, "auth.missing_scope");
    assert_problem(&app.get("/api/v1/keys", &secret).await, StatusCode::FORBIDDEN, "auth.missing_scope");

    // The list shows it with everything but the secret (and no hash).
    let list = app.get("/api/v1/keys", &t.admin).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let page = list.json();
    assert_eq!(page["nextCursor"], Value::Null);
    let listed = page["items"].as_array().unwrap().iter().find(|k| k["prefix"] == prefix.as_str()).expect("listed").clone();
    assert_eq!(
        listed,
        json!({ "prefix": prefix, "scopes": ["STAFF_REVIEW"], "label": "front-desk", "createdAt": created["createdAt"] })
    );
    assert!(!list.text().contains(&secret[12..]), "no secret in the list");
    let labels: Vec<&str> = page["items"].as_array().unwrap().iter().map(|k| k["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["partner", "reader", "reviewer", "admin", "front-desk"], "oldest first");
}

async fn the_key_list_pages_with_a_cursor(app: TestApp) {
    let t = app.tenant(&[]).await;
    let first = app.get("/api/v1/keys?limit=3", &t.admin).await.json();
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let cursor = first["nextCursor"].as_str().expect("a second page").to_owned();
    let second = app.get(&format!("/api/v1/keys?limit=3&cursor={cursor}"), &t.admin).await.json();
    let labels: Vec<&str> = second["items"].as_array().unwrap().iter().map(|k| k["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["admin"]);
    assert_eq!(second["nextCursor"], Value::Null);
    assert_problem(&app.get("/api/v1/keys?limit=0", &t.admin).await, StatusCode::BAD_REQUEST, "validation.invalid_field");
}

async fn a_revoked_key_is_refused_at_once_and_revoking_is_audited(app: TestApp) {
    let t = app.tenant(&[]).await;
    let created = create_key(&app, &t, json!({ "scopes": ["ADMIN"], "label": "ops-laptop" })).await;
    let (secret, prefix) = (created["secret"].as_str().unwrap(), created["prefix"].as_str().unwrap());
    app.cache_in_use().await;
    for _ in 0..2 {
        assert_eq!(app.get("/api/v1/policies", secret).await.status, StatusCode::OK, "the key is cached now");
    }

    let r = app.delete(&format!("/api/v1/keys/{prefix}"), &t.admin).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert!(r.body.is_empty());
    assert_problem(&app.get("/api/v1/policies", secret).await, StatusCode::UNAUTHORIZED, "auth.unauthenticated");
    let listed = app.get("/api/v1/keys", &t.admin).await.json();
    assert!(listed["items"].as_array().unwrap().iter().all(|k| k["prefix"] != prefix), "{listed}");
    assert_problem(&app.delete(&format!("/api/v1/keys/{prefix}"), &t.admin).await, StatusCode::NOT_FOUND, "api_key.not_found");
    assert_problem(&app.delete("/api/v1/keys/nosuchkey", &t.admin).await, StatusCode::NOT_FOUND, "api_key.not_found");

    let admin = "admin:admin";
    let created_entries = audit_entries(&app, &t, "key.created").await;
    let entry = created_entries.iter().find(|e| e["changes"][0]["after"] == prefix).expect("key.created audited");
    assert_eq!(entry["actor"], admin);
    assert_eq!(
        entry["changes"],
        json!([
            { "field": "prefix", "before": null, "after": prefix },
            { "field": "scopes", "before": null, "after": ["ADMIN"] },
            { "field": "label", "before": null, "after": "ops-laptop" },
        ])
    );
    let revoked = audit_entries(&app, &t, "key.revoked").await;
    assert_eq!(revoked.len(), 1, "{revoked:?}");
    assert_eq!(revoked[0]["actor"], admin);
    assert_eq!(revoked[0]["changes"][0], json!({ "field": "prefix", "before": prefix, "after": null }));
    let trail = app.get("/api/v1/audit?limit=200", &t.admin).await.text();
    assert!(!trail.contains(&secret[12..]), "no secret in the audit trail");
}

async fn the_tenants_last_admin_key_cannot_be_revoked_over_http(app: TestApp) {
    let t = app.tenant(&[]).await;
    let own = key_prefix(&t.admin).to_owned();
    let r = app.delete(&format!("/api/v1/keys/{own}"), &t.admin).await;
    let body = assert_problem(&r, StatusCode::CONFLICT, "validation.conflict");
    assert_eq!(body["reference"], "prefix");
    assert_eq!(app.get("/api/v1/policies", &t.admin).await.status, StatusCode::OK, "still works");

    // With a second admin key, the first can go (even by itself), and the second is then the last.
    let second = create_key(&app, &t, json!({ "scopes": ["ADMIN"], "label": "successor" })).await;
    let second_key = second["secret"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/api/v1/keys/{own}"), &t.admin).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/policies", &t.admin).await.status, StatusCode::UNAUTHORIZED);
    let prefix = second["prefix"].as_str().unwrap();
    assert_problem(&app.delete(&format!("/api/v1/keys/{prefix}"), second_key).await, StatusCode::CONFLICT, "validation.conflict");
}

async fn bad_key_requests_are_refused_naming_the_field(app: TestApp) {
    let t = app.tenant(&[]).await;
    let cases = [
        (json!({ "scopes": ["STAFF_REVIEW", "ROOT"], "label": "x" }), "scopes[1]"),
        (json!({ "scopes": [], "label": "x" }), "scopes"),
        (json!({ "label": "x" }), "scopes"),
        (json!({ "scopes": ["ADMIN"], "label": "   " }), "label"),
        (json!({ "scopes": ["ADMIN"], "label": "a".repeat(101) }), "label"),
        (json!({ "scopes": ["ADMIN"] }), "label"),
        (json!({ "scopes": ["PARTNER"], "label": "app" }), "customer"),
        (json!({ "scopes": ["ADMIN"], "label": "app", "customer": "6f1e0c1e-8d3a-4a57-9b7e-4d2f1c0b9a8e" }), "customer"),
        (json!({ "scopes": ["PARTNER"], "label": "app", "customer": "not-a-uuid" }), "customer"),
        (json!({ "scope": "ADMIN", "label": "app" }), "scopes"),
    ];
    for (body, field) in cases {
        let r = app.post("/api/v1/keys", &t.admin, body.clone()).await;
        let problem = assert_problem(&r, StatusCode::BAD_REQUEST, "validation.invalid_field");
        assert_eq!(problem["reference"], field, "{body}: {problem}");
    }
    let r = app
        .post(
            "/api/v1/keys",
            &t.admin,
            json!({ "scopes": ["PARTNER"], "label": "app", "customer": "6f1e0c1e-8d3a-4a57-9b7e-4d2f1c0b9a8e" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let keys = app.get("/api/v1/keys", &t.admin).await.json();
    assert_eq!(keys["items"].as_array().unwrap().len(), 4, "nothing created: {keys}");
}

async fn a_partner_key_is_bound_to_the_customer_it_names(app: TestApp) {
    let t = app.tenant(&[]).await;
    let ctx = Context { tenant: t.id, actor: Actor::system(), request_id: None };
    let input = CreateInput {
        status: Some("ACTIVE".into()),
        name: Some("Volvo".into()),
        currency: Some("EUR".into()),
        ..Default::default()
    };
    let root = app.services.hierarchy.create_root(&ctx, &input).await.unwrap();
    let uuid = root.uuid.to_string();
    let created = create_key(&app, &t, json!({ "scopes": ["PARTNER"], "label": "fleet-app", "customer": uuid })).await;
    let secret = created["secret"].as_str().unwrap();
    let r = app.get(&format!("/api/v2/customer/{uuid}"), secret).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let entry =
        audit_entries(&app, &t, "key.created").await.into_iter().find(|e| e["changes"][0]["after"] == created["prefix"]).unwrap();
    assert_eq!(entry["changes"][3], json!({ "field": "customer", "before": null, "after": uuid }));
}

async fn staff_accounts_are_created_listed_and_deleted_without_passwords_and_audited(app: TestApp) {
    let t = app.tenant(&[]).await;
    let r = app.post("/api/v1/staff", &t.admin, json!({ "username": "Alice", "role": "reviewer", "password": PASSWORD })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let alice = r.json();
    assert_eq!(alice["username"], "alice");
    assert_eq!(alice["role"], "reviewer");
    assert_eq!(alice["locked"], false);
    assert!(!r.text().contains(PASSWORD) && !r.text().contains("argon2"), "{}", r.text());
    let stored = app.services.staff.find(t.id, "alice").await.unwrap().unwrap();
    assert!(stored.password_hash.starts_with("$argon2id$"), "hashed where the app service hashes");

    let r = app.post("/api/v1/staff", &t.admin, json!({ "username": "bob", "role": "admin", "password": PASSWORD })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let list = app.get("/api/v1/staff", &t.admin).await;
    assert_eq!(list.status, StatusCode::OK);
    let page = list.json();
    let names: Vec<(&str, &str)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["username"].as_str().unwrap(), u["role"].as_str().unwrap()))
        .collect();
    assert_eq!(names, [("alice", "reviewer"), ("bob", "admin")]);
    assert_eq!(page["items"][0]["id"], alice["id"]);
    assert_eq!(page["nextCursor"], Value::Null);
    assert!(!list.text().contains("argon2") && !list.text().contains("password"), "{}", list.text());
    let first = app.get("/api/v1/staff?limit=1", &t.admin).await.json();
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let cursor = first["nextCursor"].as_str().unwrap();
    let second = app.get(&format!("/api/v1/staff?limit=1&cursor={cursor}"), &t.admin).await.json();
    assert_eq!(second["items"][0]["username"], "bob");

    let r = app.delete("/api/v1/staff/alice", &t.admin).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert!(app.services.staff.find(t.id, "alice").await.unwrap().is_none());
    assert_problem(&app.delete("/api/v1/staff/alice", &t.admin).await, StatusCode::NOT_FOUND, "staff_account.not_found");
    assert_problem(&app.delete("/api/v1/staff/no%20one", &t.admin).await, StatusCode::NOT_FOUND, "staff_account.not_found");

    let created = audit_entries(&app, &t, "staff.created").await;
    assert_eq!(created.len(), 2);
    assert_eq!(created[0]["actor"], "admin:admin");
    assert_eq!(
        created[0]["changes"],
        json!([{ "field": "username", "before": null, "after": "alice" }, { "field": "role", "before": null, "after": "reviewer" }])
    );
    let deleted = audit_entries(&app, &t, "staff.deleted").await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["actor"], "admin:admin");
    assert_eq!(deleted[0]["changes"][0], json!({ "field": "username", "before": "alice", "after": null }));
    let trail = app.get("/api/v1/audit?limit=200", &t.admin).await.text();
    assert!(!trail.contains(PASSWORD) && !trail.contains("argon2"), "no password in the audit trail");
}

async fn bad_staff_requests_are_refused_naming_the_field_and_a_taken_name_conflicts(app: TestApp) {
    let t = app.tenant(&[]).await;
    let cases = [
        (json!({ "username": "alice", "role": "owner", "password": PASSWORD }), StatusCode::BAD_REQUEST, "role"),
        (json!({ "username": "alice", "role": "reviewer", "password": "short" }), StatusCode::BAD_REQUEST, "password"),
        (json!({ "username": "staff:alice", "role": "reviewer", "password": PASSWORD }), StatusCode::BAD_REQUEST, "username"),
        (json!({ "username": "", "role": "reviewer", "password": PASSWORD }), StatusCode::BAD_REQUEST, "username"),
        (json!({ "username": "alice", "role": "reviewer" }), StatusCode::BAD_REQUEST, "password"),
    ];
    for (body, status, field) in cases {
        let r = app.post("/api/v1/staff", &t.admin, body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.text());
        assert_eq!(r.json()["reference"], field, "{body}: {}", r.text());
        assert!(!r.text().contains(PASSWORD), "the password is not echoed: {}", r.text());
    }
    let ok = json!({ "username": "alice", "role": "reviewer", "password": PASSWORD });
    assert_eq!(app.post("/api/v1/staff", &t.admin, ok.clone()).await.status, StatusCode::CREATED);
    let again = json!({ "username": "ALICE", "role": "admin", "password": "another long password" });
    let body = assert_problem(&app.post("/api/v1/staff", &t.admin, again).await, StatusCode::CONFLICT, "validation.conflict");
    assert_eq!(body["reference"], "username");
    assert_eq!(app.get("/api/v1/staff", &t.admin).await.json()["items"].as_array().unwrap().len(), 1);
}

async fn only_admin_keys_manage_access(app: TestApp) {
    let t = app.tenant(&[]).await;
    let key_body = json!({ "scopes": ["ADMIN"], "label": "x" });
    let staff_body = json!({ "username": "mallory", "role": "admin", "password": PASSWORD });
    let admin_prefix = format!("/api/v1/keys/{}", key_prefix(&t.admin));
    let routes: [(Method, &str, Option<Value>); 6] = [
        (Method::POST, "/api/v1/keys", Some(key_body)),
        (Method::GET, "/api/v1/keys", None),
        (Method::DELETE, &admin_prefix, None),
        (Method::POST, "/api/v1/staff", Some(staff_body)),
        (Method::GET, "/api/v1/staff", None),
        (Method::DELETE, "/api/v1/staff/alice", None),
    ];
    app.services.staff.create(t.id, "alice", custodian_store::staff::StaffRole::Admin, PASSWORD).await.unwrap();
    let wealth = app.services.keys.create(t.id, vec![Scope::WealthServiceUser], "wealth").await.unwrap().secret;
    for (method, path, body) in routes {
        for key in [&t.staff, &t.partner, &t.reader, &wealth] {
            let r = app.send(method.clone(), path, Some(key), body.clone()).await;
            assert_problem(&r, StatusCode::FORBIDDEN, "auth.missing_scope");
        }
        let r = app.send(method.clone(), path, None, body.clone()).await;
        assert_problem(&r, StatusCode::UNAUTHORIZED, "auth.unauthenticated");
    }
    assert_eq!(
        app.get("/api/v1/keys", &t.admin).await.json()["items"].as_array().unwrap().len(),
        5,
        "nothing created or revoked"
    );
    let staff = app.get("/api/v1/staff", &t.admin).await.json();
    assert_eq!(staff["items"].as_array().unwrap().len(), 1, "{staff}");
    assert!(audit_entries(&app, &t, "key.created").await.iter().all(|e| e["actor"] != "staff:reviewer"));
}

async fn another_tenants_admin_can_neither_see_nor_revoke_nor_delete(app: TestApp) {
    let a = app.tenant(&[]).await;
    let b = app.tenant(&[]).await;
    app.services.staff.create(a.id, "alice", custodian_store::staff::StaffRole::Reviewer, PASSWORD).await.unwrap();
    let a_key = create_key(&app, &a, json!({ "scopes": ["STAFF_REVIEW"], "label": "a-only" })).await;
    let a_prefix = a_key["prefix"].as_str().unwrap();

    let keys = app.get("/api/v1/keys", &b.admin).await.text();
    assert!(!keys.contains(a_prefix) && !keys.contains(key_prefix(&a.admin)), "{keys}");
    assert!(app.get("/api/v1/staff", &b.admin).await.json()["items"].as_array().unwrap().is_empty());
    assert_problem(&app.delete(&format!("/api/v1/keys/{a_prefix}"), &b.admin).await, StatusCode::NOT_FOUND, "api_key.not_found");
    assert_problem(&app.delete("/api/v1/staff/alice", &b.admin).await, StatusCode::NOT_FOUND, "staff_account.not_found");
    assert_eq!(app.get("/api/v1/amendments", a_key["secret"].as_str().unwrap()).await.status, StatusCode::OK, "still works");
    assert!(app.services.staff.find(a.id, "alice").await.unwrap().is_some());

    // B's own account of the same name is B's alone.
    let r = app.post("/api/v1/staff", &b.admin, json!({ "username": "alice", "role": "admin", "password": PASSWORD })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let in_a: Vec<Value> = audit_entries(&app, &a, "staff.created").await.iter().map(|e| e["actor"].clone()).collect();
    assert_eq!(in_a, [json!("system:custodian")], "only A's own (operator-made) account is in A's trail");
    assert_eq!(audit_entries(&app, &b, "staff.created").await.len(), 1);
}

async fn a_key_created_over_http_acts_under_its_label_in_the_audit_trail(app: TestApp) {
    let t = app.tenant(&[]).await;
    let created = create_key(&app, &t, json!({ "scopes": ["ADMIN"], "label": "ops-bot" })).await;
    let ops = created["secret"].as_str().unwrap();
    let r = app.post("/api/v1/keys", ops, json!({ "scopes": ["STAFF_REVIEW"], "label": "temp" })).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let entry = audit_entries(&app, &t, "key.created").await.into_iter().find(|e| e["changes"][2]["after"] == "temp").unwrap();
    assert_eq!(entry["actor"], Actor::new(ActorKind::Admin, "ops-bot").to_string());
}

both_backends!(
    a_created_key_works_at_once_with_its_scopes_and_its_secret_is_shown_only_once,
    the_key_list_pages_with_a_cursor,
    a_revoked_key_is_refused_at_once_and_revoking_is_audited,
    the_tenants_last_admin_key_cannot_be_revoked_over_http,
    bad_key_requests_are_refused_naming_the_field,
    a_partner_key_is_bound_to_the_customer_it_names,
    staff_accounts_are_created_listed_and_deleted_without_passwords_and_audited,
    bad_staff_requests_are_refused_naming_the_field_and_a_taken_name_conflicts,
    only_admin_keys_manage_access,
    another_tenants_admin_can_neither_see_nor_revoke_nor_delete,
    a_key_created_over_http_acts_under_its_label_in_the_audit_trail,
);
