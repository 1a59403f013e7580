//! `Idempotency-Key` on the write routes of the native API and the self-service dialect (the
//! partner and wealth dialects' own tests are in their files): a repeat answers the first response
//! and writes nothing, other content is a 409, concurrent repeats write once, keys are scoped to
//! the caller, and a receipt is marked committed in the same transaction as the change.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use custodian_domain::{CustomerId, DataDomain};
use custodian_store::idempotency::{Holding, NewReservation, ReceiptState, Reserved};
use serde_json::{Value, json};

impl TestApp {
    /// A JSON request with an API key and an `Idempotency-Key`.
    pub async fn idempotent(&self, method: Method, path: &str, key: &str, idem: &str, body: Option<Value>) -> Response {
        let mut req = Request::builder().method(method).uri(path).header("X-API-KEY", key).header("Idempotency-Key", idem);
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        self.raw(req.body(body).unwrap()).await
    }

    async fn audit_len(&self, t: &Tenant, customer: i64) -> usize {
        self.services.store.list_audit(t.id, CustomerId(customer), None, 1000).await.unwrap().len()
    }

    async fn events_len(&self, t: &Tenant, customer: i64) -> usize {
        self.services.store.list_events(t.id, CustomerId(customer)).await.unwrap().len()
    }

    async fn customer_count(&self, t: &Tenant) -> usize {
        self.services.store.list_customers(t.id, None, 1000).await.unwrap().len()
    }
}

fn replayed(r: &Response) -> bool {
    r.headers.get("idempotent-replayed").is_some_and(|v| v == "true")
}

async fn a_repeated_self_service_change_answers_the_first_response_and_writes_nothing_twice(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Contact, DIRECT, false)]).await;
    let c = app.customer(&t).await;
    let (audit, events) = (app.audit_len(&t, c).await, app.events_len(&t, c).await);
    let first = app.idempotent(Method::POST, &ss(c, "contact-data"), &t.partner, "retry-1", Some(contact_example())).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert!(!replayed(&first));
    let (audit_after, events_after) = (app.audit_len(&t, c).await, app.events_len(&t, c).await);
    assert!(audit_after > audit && events_after > events, "the first request wrote");

    let again = app.idempotent(Method::POST, &ss(c, "contact-data"), &t.partner, "retry-1", Some(contact_example())).await;
    assert_eq!(again.status, first.status);
    assert_eq!(again.body, first.body, "the first response, byte for byte");
    assert_eq!(again.headers["content-type"], first.headers["content-type"]);
    assert!(replayed(&again), "marked as replayed");
    assert_eq!(app.audit_len(&t, c).await, audit_after, "no second audit entry");
    assert_eq!(app.events_len(&t, c).await, events_after, "no second event");
}

async fn a_repeated_customer_creation_creates_one_customer(app: TestApp) {
    let t = app.tenant(&[]).await;
    let first = app.idempotent(Method::POST, "/api/v1/customers", &t.admin, "create-7", Some(customer_body())).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    let again = app.idempotent(Method::POST, "/api/v1/customers", &t.admin, "create-7", Some(customer_body())).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert!(replayed(&again));
    assert_eq!(app.customer_count(&t).await, 1);
    // The receipt names the customer it created, so that erasing the customer finds it.
    let id = CustomerId(first.json()["id"].as_i64().unwrap());
    assert_eq!(app.services.store.delete_idempotency_receipts_of(t.id, id).await.unwrap(), 1);
}

async fn the_same_key_with_another_body_is_a_409_in_the_dialects_error_shape(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Contact, DIRECT, false)]).await;
    let c = app.customer(&t).await;
    let first = app.idempotent(Method::POST, &ss(c, "contact-data"), &t.partner, "k-1", Some(contact_example())).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let audit = app.audit_len(&t, c).await;
    let other = app
        .idempotent(Method::POST, &ss(c, "contact-data"), &t.partner, "k-1", Some(json!({ "email": "other@example.com" })))
        .await;
    assert_eq!(other.status, StatusCode::CONFLICT, "{}", other.text());
    let body = other.json();
    assert_eq!(body["errorCode"], "idempotency.key_reused", "the vendor's ErrorResponse: {body}");
    assert_eq!(body["reference"], "Idempotency-Key");
    // Another path with the same key is another request too.
    let elsewhere = app.idempotent(Method::POST, &ss(c, "address-data"), &t.partner, "k-1", Some(address_example())).await;
    assert_eq!(elsewhere.status, StatusCode::CONFLICT, "{}", elsewhere.text());
    assert_eq!(app.audit_len(&t, c).await, audit, "nothing written");

    let native = app.idempotent(Method::POST, "/api/v1/customers", &t.admin, "n-1", Some(customer_body())).await;
    assert_eq!(native.status, StatusCode::CREATED);
    let mut other_customer = customer_body();
    other_customer["contact"]["email"] = json!("someone-else@example.com");
    let r = app.idempotent(Method::POST, "/api/v1/customers", &t.admin, "n-1", Some(other_customer)).await;
    assert_problem(&r, StatusCode::CONFLICT, "idempotency.key_reused");
    assert_eq!(app.customer_count(&t).await, 2, "the fixture customer and one created");
}

async fn fifty_concurrent_requests_with_one_key_write_exactly_once(app: TestApp) {
    let t = app.tenant(&[]).await;
    let app = std::sync::Arc::new(app);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (app, admin) = (app.clone(), t.admin.clone());
        set.spawn(async move { app.idempotent(Method::POST, "/api/v1/customers", &admin, "burst", Some(customer_body())).await });
    }
    let (mut created, mut in_progress, mut ids) = (0, 0, std::collections::BTreeSet::new());
    while let Some(r) = set.join_next().await {
        let r = r.unwrap();
        match r.status {
            StatusCode::CREATED => {
                created += 1;
                ids.insert(r.json()["id"].as_i64().unwrap());
            }
            StatusCode::CONFLICT => {
                assert_problem(&r, StatusCode::CONFLICT, "idempotency.in_progress");
                in_progress += 1;
            }
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    assert_eq!(created + in_progress, 50);
    assert!(created >= 1);
    assert_eq!(ids.len(), 1, "every 201 names the same customer: {ids:?}");
    assert_eq!(app.customer_count(&t).await, 1, "exactly one customer was written");
}

async fn an_invalid_key_is_a_400_naming_the_header_and_writes_nothing(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Contact, DIRECT, false)]).await;
    let c = app.customer(&t).await;
    let audit = app.audit_len(&t, c).await;
    let long = "x".repeat(256);
    for bad in ["", " ", "two words", long.as_str()] {
        let r = app.idempotent(Method::POST, &ss(c, "contact-data"), &t.partner, bad, Some(contact_example())).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad:?}: {}", r.text());
        assert_eq!(r.json()["reference"], "Idempotency-Key");
        let r = app.idempotent(Method::POST, "/api/v1/customers", &t.admin, bad, Some(customer_body())).await;
        assert_eq!(assert_problem(&r, StatusCode::BAD_REQUEST, "idempotency.invalid_key")["reference"], "Idempotency-Key");
    }
    let umlaut = Request::builder()
        .method(Method::POST)
        .uri(ss(c, "contact-data"))
        .header("X-API-KEY", &t.partner)
        .header("Idempotency-Key", axum::http::HeaderValue::from_bytes("schlüssel".as_bytes()).unwrap())
        .header("content-type", "application/json")
        .body(Body::from(contact_example().to_string()))
        .unwrap();
    assert_eq!(app.raw(umlaut).await.status, StatusCode::BAD_REQUEST);
    let max = "k".repeat(255);
    let r = app.idempotent(Method::POST, &ss(c, "contact-data"), &t.partner, &max, Some(contact_example())).await;
    assert_eq!(r.status, StatusCode::OK, "255 characters are allowed: {}", r.text());
    assert_eq!(app.audit_len(&t, c).await, audit + 1, "only the valid request wrote");
    // Credentials are checked first: a wrong API key is a 401 whatever the Idempotency-Key.
    let r = app.idempotent(Method::POST, &ss(c, "contact-data"), "cus_nope_nope", "", Some(contact_example())).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn keys_are_scoped_to_the_caller_so_another_key_with_the_same_idempotency_key_is_independent(app: TestApp) {
    let t = app.tenant(&[]).await;
    let second_admin = app.services.keys.create(t.id, vec![custodian_domain::Scope::Admin], "second-admin").await.unwrap().secret;
    let a = app.idempotent(Method::POST, "/api/v1/customers", &t.admin, "shared", Some(customer_body())).await;
    let b = app.idempotent(Method::POST, "/api/v1/customers", &second_admin, "shared", Some(customer_body())).await;
    assert_eq!((a.status, b.status), (StatusCode::CREATED, StatusCode::CREATED), "{} {}", a.text(), b.text());
    assert!(!replayed(&b), "not the other caller's response");
    assert_ne!(a.json()["id"], b.json()["id"]);
    assert_eq!(app.customer_count(&t).await, 2);
    // Another tenant's key with the same Idempotency-Key is independent too.
    let other = app.tenant(&[]).await;
    let c = app.idempotent(Method::POST, "/api/v1/customers", &other.admin, "shared", Some(customer_body())).await;
    assert_eq!(c.status, StatusCode::CREATED);
    assert!(!replayed(&c));
}

async fn a_conflict_that_wrote_nothing_releases_the_key_so_a_retry_runs_again(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Address, VERIFY, false)]).await;
    let c = app.customer(&t).await;
    let pending = app.submit(&t, c, "address-data", address_example()).await;
    let mut moved = address_example();
    moved["houseNumber"] = json!("91");
    let r = app.idempotent(Method::POST, &ss(c, "address-data"), &t.partner, "move-1", Some(moved.clone())).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.json()["errorCode"], "amendment.pending_exists");
    assert_eq!(
        app.delete(&format!("/v1/customers/{c}/self-service/amendment/{pending}"), &t.partner).await.status,
        StatusCode::OK
    );
    let retry = app.idempotent(Method::POST, &ss(c, "address-data"), &t.partner, "move-1", Some(moved)).await;
    assert_eq!(retry.status, StatusCode::OK, "the retry ran: {}", retry.text());
    assert!(!replayed(&retry));
}

async fn a_repeated_withdrawal_answers_its_first_200_instead_of_a_409(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Address, VERIFY, false)]).await;
    let c = app.customer(&t).await;
    let pending = app.submit(&t, c, "address-data", address_example()).await;
    let path = format!("/v1/customers/{c}/self-service/amendment/{pending}");
    let first = app.idempotent(Method::DELETE, &path, &t.partner, "withdraw-1", None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let again = app.idempotent(Method::DELETE, &path, &t.partner, "withdraw-1", None).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    assert!(replayed(&again));
    assert_eq!(app.delete(&path, &t.partner).await.status, StatusCode::CONFLICT, "without the key it is a new request");
}

async fn a_write_marks_its_receipt_committed_in_the_same_transaction_and_receipts_are_kept_by_age(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Contact, DIRECT, false)]).await;
    let c = app.customer(&t).await;
    let store = &app.services.store;
    let now = app.services.clock.now_ms();
    let reservation = |key: &str, token: &str| NewReservation {
        tenant: t.id,
        principal: "key:test".into(),
        key: key.into(),
        fingerprint: "f".into(),
        customer_id: Some(CustomerId(c)),
        token: token.into(),
        now_ms: now,
        lease_until_ms: now - 1,
    };
    let Reserved::Mine(id) = store.reserve_idempotency_key(reservation("a", "t1")).await.unwrap() else { panic!("first") };
    // A reservation whose request wrote nothing may be taken over once its lease ended …
    assert!(store.take_over_idempotency_key(t.id, id, "t2", now, now + 60_000).await.unwrap());
    // … and the request that lost it can no longer write: its change is refused, not applied.
    let ctx = custodian_app::Context::operator(t.id);
    let stale = Holding { tenant: t.id, receipt: id, token: "t1".into() };
    let policy = custodian_domain::DomainPolicy { status: READ, require_signature: false };
    let refused = custodian_store::idempotency::within(stale, app.services.policies.set(&ctx, DataDomain::Master, policy)).await;
    assert!(refused.is_err(), "{refused:?}");
    assert_ne!(app.services.store.policies(t.id).await.unwrap().get(DataDomain::Master).status, READ, "not applied");
    let holder = Holding { tenant: t.id, receipt: id, token: "t2".into() };
    custodian_store::idempotency::within(holder.clone(), app.services.policies.set(&ctx, DataDomain::Master, policy))
        .await
        .unwrap();
    let Reserved::Taken(r) = store.reserve_idempotency_key(reservation("a", "t3")).await.unwrap() else { panic!("taken") };
    assert_eq!(r.state, ReceiptState::Committed, "marked in the change's transaction");
    assert!(!store.take_over_idempotency_key(t.id, id, "t4", now + 120_000, now + 180_000).await.unwrap(), "never re-run");
    assert!(!store.release_idempotency_key(&holder).await.unwrap(), "a committed receipt is not released");

    assert_eq!(store.delete_idempotency_receipts_before(now - 1).await.unwrap(), 0, "younger receipts stay");
    assert_eq!(store.delete_idempotency_receipts_of(t.id, CustomerId(c)).await.unwrap(), 1);
    let Reserved::Mine(_) = store.reserve_idempotency_key(reservation("b", "t5")).await.unwrap() else { panic!("b") };
    assert_eq!(store.delete_idempotency_receipts_before(now + 1).await.unwrap(), 1);
}

both_backends!(
    a_repeated_self_service_change_answers_the_first_response_and_writes_nothing_twice,
    a_repeated_customer_creation_creates_one_customer,
    the_same_key_with_another_body_is_a_409_in_the_dialects_error_shape,
    fifty_concurrent_requests_with_one_key_write_exactly_once,
    an_invalid_key_is_a_400_naming_the_header_and_writes_nothing,
    keys_are_scoped_to_the_caller_so_another_key_with_the_same_idempotency_key_is_independent,
    a_conflict_that_wrote_nothing_releases_the_key_so_a_retry_runs_again,
    a_repeated_withdrawal_answers_its_first_200_instead_of_a_409,
    a_write_marks_its_receipt_committed_in_the_same_transaction_and_receipts_are_kept_by_age,
);
