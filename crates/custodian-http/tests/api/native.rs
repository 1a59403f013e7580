//! The native staff and admin API under `/api/v1/`: the review queue, customers and their audit
//! trail, policies, and the problem+json error shape.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use custodian_domain::{DataDomain, DomainPolicy};
use serde_json::{Value, json};

/// The review queue with `query` (staff key); asserts 200.
async fn queue(app: &TestApp, t: &Tenant, query: &str) -> Value {
    let r = app.get(&format!("/api/v1/amendments?{query}"), &t.staff).await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text());
    r.json()
}

/// One amendment as staff see it (staff key); asserts 200.
async fn review(app: &TestApp, t: &Tenant, id: i64) -> Value {
    let r = app.get(&format!("/api/v1/amendments/{id}"), &t.staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

const NONE: [i64; 0] = [];

/// A review's `changes` sorted by field: the order follows the stored JSON, not the schema.
fn changes_by_field(review: &Value) -> Vec<Value> {
    let mut changes = review["changes"].as_array().unwrap_or_else(|| panic!("no changes: {review}")).clone();
    changes.sort_by_key(|c| c["field"].as_str().unwrap().to_owned());
    changes
}

async fn a_staff_key_sees_a_pending_amendment_in_the_queue(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Address, VERIFY, false)]).await;
    let c = app.customer(&t).await;
    let r = app.post(&ss(c, "address-data"), &t.partner, address_example()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let q = app.get("/api/v1/amendments", &t.staff).await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.text());
    let items = q.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["customerId"], c);
    assert_eq!(items[0]["state"], "pending");
}

// ---- review queue ----

async fn the_queue_lists_pending_amendments_oldest_first_and_filters_by_domain_state_and_customer(app: TestApp) {
    let t = app.tenant(&[]).await;
    let (c1, c2) = (app.customer(&t).await, app.customer(&t).await);
    let address = app.submit(&t, c1, "address-data", address_example()).await;
    let master = app.submit(&t, c2, "master-data", master_example()).await;
    let contact = app.submit(&t, c1, "contact-data", contact_example()).await;
    assert!(address < master && master < contact);
    assert_eq!(app.approve(&t, contact).await.status, StatusCode::OK);

    let pending = queue(&app, &t, "").await;
    assert_eq!(item_ids(&pending), [address, master], "pending only, oldest first: {pending}");
    let first = &pending["items"][0];
    assert_eq!(first["customerId"], c1);
    assert_eq!(first["domain"], "address");
    assert_eq!(first["state"], "pending");
    assert_eq!(first["proposed"], address_example());
    assert_eq!(first["hasSignature"], false);
    assert_eq!(first["baseVersion"], 1);
    assert_eq!(first["submittedBy"], format!("api_key:{}", key_prefix(&t.partner)));
    assert_eq!(first["decidedBy"], Value::Null);
    assert_eq!(pending["items"][1]["customerId"], c2);
    assert_eq!(pending["items"][1]["domain"], "master");
    assert!(pending["nextCursor"].is_null(), "{pending}");

    assert_eq!(item_ids(&queue(&app, &t, "domain=master").await), [master]);
    assert_eq!(item_ids(&queue(&app, &t, "domain=contact").await), NONE, "the contact amendment is no longer pending");
    assert_eq!(item_ids(&queue(&app, &t, "state=pending").await), [address, master]);
    assert_eq!(item_ids(&queue(&app, &t, "state=any").await), [address, master, contact]);
    assert_eq!(item_ids(&queue(&app, &t, "state=any&domain=contact").await), [contact]);
    assert_eq!(item_ids(&queue(&app, &t, &format!("state=any&customerId={c1}")).await), [address, contact]);
    assert_eq!(item_ids(&queue(&app, &t, &format!("customerId={c2}")).await), [master]);
    let approved = queue(&app, &t, "state=approved").await;
    assert_eq!(item_ids(&approved), [contact]);
    assert_eq!(approved["items"][0]["state"], "approved");
    assert_eq!(approved["items"][0]["decidedBy"], "staff:reviewer");
    assert_eq!(item_ids(&queue(&app, &t, "state=rejected").await), NONE);

    let bad = app.get("/api/v1/amendments?state=done", &t.staff).await;
    let body = assert_problem(&bad, StatusCode::BAD_REQUEST, "validation.invalid_field");
    assert_eq!(body["reference"], "state");
    assert!(body["detail"].as_str().unwrap().contains("\"done\""), "{body}");
    let bad = app.get("/api/v1/amendments?domain=hobbies", &t.staff).await;
    assert_eq!(assert_problem(&bad, StatusCode::BAD_REQUEST, "validation.invalid_field")["reference"], "domain");
    let forbidden = app.get("/api/v1/amendments", &t.partner).await;
    assert_problem(&forbidden, StatusCode::FORBIDDEN, "auth.missing_scope");
}

async fn the_queue_pages_by_limit_and_next_cursor_without_gaps_or_duplicates(app: TestApp) {
    let t = app.tenant(&[]).await;
    let mut submitted = Vec::new();
    for _ in 0..5 {
        let c = app.customer(&t).await;
        submitted.push(app.submit(&t, c, "address-data", address_example()).await);
    }
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit=2&cursor={c}"),
            None => "limit=2".to_owned(),
        };
        let page = queue(&app, &t, &query).await;
        let ids = item_ids(&page);
        sizes.push(ids.len());
        seen.extend(ids);
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => {
                assert!(page["nextCursor"].is_null(), "{page}");
                break;
            }
        }
        assert!(sizes.len() < 10, "the cursor does not advance: {seen:?}");
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(seen, submitted, "every amendment once, ascending");

    let exact = queue(&app, &t, "limit=5").await;
    assert_eq!(item_ids(&exact), submitted);
    assert!(exact["nextCursor"].is_null(), "a full last page has no next cursor: {exact}");
    assert_eq!(item_ids(&queue(&app, &t, "limit=200").await), submitted);
    assert_eq!(item_ids(&queue(&app, &t, &format!("cursor={}", submitted[4])).await), NONE);

    for query in ["limit=0", "limit=201", "limit=-1"] {
        let r = app.get(&format!("/api/v1/amendments?{query}"), &t.staff).await;
        assert_eq!(assert_problem(&r, StatusCode::BAD_REQUEST, "validation.invalid_field")["reference"], "limit", "{query}");
    }
    let r = app.get("/api/v1/amendments?cursor=abc", &t.staff).await;
    assert_eq!(assert_problem(&r, StatusCode::BAD_REQUEST, "validation.invalid_field")["reference"], "cursor");
    let r = app.get("/api/v1/amendments?limit=ten", &t.staff).await;
    assert_problem(&r, StatusCode::BAD_REQUEST, "validation.invalid_query");
}

// ---- one amendment, approve, reject ----

async fn showing_an_amendment_lists_exactly_the_changed_fields_and_flags_data_changed_since(app: TestApp) {
    let t = app.tenant(&[]).await;
    let c = app.customer(&t).await;
    let id = app.submit(&t, c, "address-data", address_example()).await;

    let v = review(&app, &t, id).await;
    assert_eq!(v["amendment"]["id"], id);
    assert_eq!(v["amendment"]["state"], "pending");
    assert_eq!(v["amendment"]["proposed"], address_example());
    assert_eq!(v["current"], customer_body()["address"]);
    assert_eq!(v["currentVersion"], 1);
    assert_eq!(v["amendment"]["baseVersion"], 1);
    assert_eq!(
        changes_by_field(&v),
        [
            json!({ "field": "city", "before": "Berlin", "after": "Munich" }),
            json!({ "field": "houseNumber", "before": "1", "after": "90" }),
            json!({ "field": "street", "before": "Hauptstraße", "after": "Am Bahnhof" }),
            json!({ "field": "zipCode", "before": "10115", "after": "12133" }),
        ],
        "countryCode is DE on both sides and not listed"
    );
    assert_eq!(v["dataChangedSinceSubmission"], false);

    let edit = json!({ "street": "Lindenallee", "houseNumber": "5", "zipCode": "10115", "city": "Berlin", "countryCode": "DE" });
    let r = app.put(&format!("/api/v1/customers/{c}/address"), &t.admin, edit.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let v = review(&app, &t, id).await;
    assert_eq!(v["dataChangedSinceSubmission"], true);
    assert_eq!(v["amendment"]["state"], "pending");
    assert_eq!(v["current"], edit);
    assert_eq!(v["currentVersion"], 2);
    assert_eq!(v["amendment"]["baseVersion"], 1);
    assert_eq!(
        changes_by_field(&v),
        [
            json!({ "field": "city", "before": "Berlin", "after": "Munich" }),
            json!({ "field": "houseNumber", "before": "5", "after": "90" }),
            json!({ "field": "street", "before": "Lindenallee", "after": "Am Bahnhof" }),
            json!({ "field": "zipCode", "before": "10115", "after": "12133" }),
        ],
        "compared with the data as it is now"
    );

    assert_problem(&app.get("/api/v1/amendments/999999", &t.staff).await, StatusCode::NOT_FOUND, "amendment.not_found");
    let r = app.get("/api/v1/amendments/abc", &t.staff).await;
    assert_eq!(assert_problem(&r, StatusCode::BAD_REQUEST, "validation.invalid_field")["reference"], "id");
}

async fn approving_applies_the_change_at_once_and_a_second_decision_is_409(app: TestApp) {
    let t = app.tenant(&[]).await;
    let c = app.customer(&t).await;
    let id = app.submit(&t, c, "address-data", address_example()).await;

    assert_problem(
        &app.post(&format!("/api/v1/amendments/{id}/approve"), &t.partner, json!({})).await,
        StatusCode::FORBIDDEN,
        "auth.missing_scope",
    );
    let r = app.approve(&t, id).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let a = r.json();
    assert_eq!(a["id"], id);
    assert_eq!(a["state"], "approved");
    assert_eq!(a["decidedBy"], "staff:reviewer");
    assert!(a["decidedAt"].as_str().is_some_and(|s| s.len() >= 20), "{a}");
    assert_eq!(a["rejectionReason"], Value::Null);

    let g = app.get(&ss(c, "address-data"), &t.partner).await.json();
    for (field, value) in address_example().as_object().unwrap() {
        assert_eq!(&g[field], value, "{field}");
    }
    assert!(g.get("pendingAmendment").is_none(), "{g}");

    let v = review(&app, &t, id).await;
    assert_eq!(v["amendment"]["state"], "approved");
    assert_eq!(v["amendment"]["decidedBy"], "staff:reviewer");
    assert_eq!(v["current"], address_example());
    assert_eq!(v["currentVersion"], 2);
    assert_eq!(v["changes"], json!([]));
    assert_eq!(v["dataChangedSinceSubmission"], false);
    assert_eq!(item_ids(&queue(&app, &t, "").await), NONE);

    let again = assert_problem(&app.approve(&t, id).await, StatusCode::CONFLICT, "amendment.not_pending");
    assert!(again["detail"].as_str().unwrap().contains("approved"), "{again}");
    assert_problem(&app.reject(&t, id, "too late").await, StatusCode::CONFLICT, "amendment.not_pending");
    assert_eq!(review(&app, &t, id).await["amendment"]["state"], "approved");
    assert_problem(&app.approve(&t, 999_999).await, StatusCode::NOT_FOUND, "amendment.not_found");
}

async fn rejecting_needs_a_reason_which_is_stored_and_the_data_stays(app: TestApp) {
    let t = app.tenant(&[]).await;
    let c = app.customer(&t).await;
    let id = app.submit(&t, c, "address-data", address_example()).await;
    let path = format!("/api/v1/amendments/{id}/reject");

    for body in [json!({ "reason": "" }), json!({ "reason": "   " }), json!({})] {
        let r = app.post(&path, &t.staff, body.clone()).await;
        let e = assert_problem(&r, StatusCode::BAD_REQUEST, "validation.invalid_field");
        assert_eq!(e["reference"], "reason", "{body}");
    }
    assert_eq!(review(&app, &t, id).await["amendment"]["state"], "pending");
    assert_eq!(item_ids(&queue(&app, &t, "").await), [id]);

    let r = app.reject(&t, id, "  The street does not exist in Munich.  ").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let a = r.json();
    assert_eq!(a["state"], "rejected");
    assert_eq!(a["rejectionReason"], "The street does not exist in Munich.");
    assert_eq!(a["decidedBy"], "staff:reviewer");

    let v = review(&app, &t, id).await;
    assert_eq!(v["amendment"]["state"], "rejected");
    assert_eq!(v["amendment"]["rejectionReason"], "The street does not exist in Munich.");
    assert_eq!(v["current"], customer_body()["address"]);
    assert_eq!(v["currentVersion"], 1);

    let g = app.get(&ss(c, "address-data"), &t.partner).await.json();
    assert_eq!(g["city"], "Berlin");
    assert_eq!(g["street"], "Hauptstraße");
    assert!(g.get("pendingAmendment").is_none(), "{g}");
    assert_eq!(item_ids(&queue(&app, &t, "").await), NONE);
    assert_problem(&app.reject(&t, id, "again").await, StatusCode::CONFLICT, "amendment.not_pending");
}

// ---- audit trail ----

async fn the_audit_trail_records_every_change_and_decision_in_order_with_actor_and_values(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Contact, DIRECT, false)]).await;
    let c = app.customer(&t).await;
    let partner = format!("api_key:{}", key_prefix(&t.partner));

    let contact = app.submit(&t, c, "contact-data", contact_example()).await;
    let address = app.submit(&t, c, "address-data", address_example()).await;
    let approval = app.approve(&t, address).await;
    assert_eq!(approval.status, StatusCode::OK, "{}", approval.text());
    let master = app.submit(&t, c, "master-data", master_example()).await;
    assert_eq!(app.reject(&t, master, "Please send a copy of your ID.").await.status, StatusCode::OK);
    let payment = app.submit(&t, c, "payment-data", payment_example()).await;
    let w = app.delete(&format!("/v1/customers/{c}/self-service/amendment/{payment}"), &t.partner).await;
    assert_eq!(w.status, StatusCode::OK, "{}", w.text());

    let r = app.get(&format!("/api/v1/customers/{c}/audit"), &t.staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let trail = r.json();
    assert!(trail["nextCursor"].is_null(), "{trail}");
    let items = trail["items"].as_array().unwrap();
    let summary: Vec<(String, String, Option<String>, Option<i64>)> = items
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
                e["domain"].as_str().map(str::to_owned),
                e["amendmentId"].as_i64(),
            )
        })
        .collect();
    let entry = |action: &str, actor: &str, domain: &str, amendment: Option<i64>| {
        (action.to_owned(), actor.to_owned(), Some(domain.to_owned()), amendment)
    };
    assert_eq!(
        summary,
        [
            entry("customer.created", "admin:admin", "contact", None),
            entry("customer.created", "admin:admin", "address", None),
            entry("customer.created", "admin:admin", "master", None),
            entry("customer.created", "admin:admin", "payment", None),
            entry("amendment.applied", &partner, "contact", Some(contact)),
            entry("amendment.submitted", &partner, "address", Some(address)),
            entry("amendment.approved", "staff:reviewer", "address", Some(address)),
            entry("amendment.submitted", &partner, "master", Some(master)),
            entry("amendment.rejected", "staff:reviewer", "master", Some(master)),
            entry("amendment.submitted", &partner, "payment", Some(payment)),
            entry("amendment.withdrawn", &partner, "payment", Some(payment)),
        ]
    );
    let ids: Vec<i64> = items.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ascending ids: {ids:?}");

    let change = |entry: &Value, field: &str| -> (Value, Value) {
        let c = entry["changes"].as_array().unwrap().iter().find(|c| c["field"] == field);
        let c = c.unwrap_or_else(|| panic!("no change of {field} in {entry}"));
        (c["before"].clone(), c["after"].clone())
    };
    assert_eq!(change(&items[0], "email"), (Value::Null, json!("old@example.com")));
    assert_eq!(change(&items[1], "city"), (Value::Null, json!("Berlin")));
    assert_eq!(change(&items[4], "email"), (json!("old@example.com"), json!("new-email@example.com")));
    assert_eq!(change(&items[4], "phonePrivate"), (json!("+49 30 1234567"), json!("+49 00000000")));
    assert_eq!(change(&items[5], "city"), (json!("Berlin"), json!("Munich")));
    assert_eq!(change(&items[6], "city"), (json!("Berlin"), json!("Munich")));
    assert_eq!(change(&items[6], "street"), (json!("Hauptstraße"), json!("Am Bahnhof")));
    assert_eq!(change(&items[7], "firstName"), (json!("Sven"), json!("Svenja")));
    assert_eq!(items[8]["changes"], json!([{ "field": "reason", "before": null, "after": "Please send a copy of your ID." }]));
    assert_eq!(change(&items[9], "bankName"), (json!("Sparkasse"), json!("Deutsche Bank")));
    assert_eq!(items[10]["changes"], json!([]));
    assert_eq!(items[6]["requestId"], approval.headers["x-request-id"].to_str().unwrap(), "the approval's request id");

    let mut paged = Vec::new();
    let mut sizes = Vec::new();
    let mut query = "limit=4".to_owned();
    loop {
        let page = app.get(&format!("/api/v1/customers/{c}/audit?{query}"), &t.admin).await.json();
        sizes.push(item_ids(&page).len());
        paged.extend(item_ids(&page));
        match page["nextCursor"].as_str() {
            Some(next) => query = format!("limit=4&cursor={next}"),
            None => break,
        }
        assert!(sizes.len() < 10, "the cursor does not advance");
    }
    assert_eq!(sizes, [4, 4, 3]);
    assert_eq!(paged, ids);

    assert_problem(
        &app.get(&format!("/api/v1/customers/{c}/audit"), &t.partner).await,
        StatusCode::FORBIDDEN,
        "auth.missing_scope",
    );
    assert_problem(&app.get("/api/v1/customers/999999/audit", &t.staff).await, StatusCode::NOT_FOUND, "customer.not_found");
    let r = app.get(&format!("/api/v1/customers/{c}/audit?limit=0"), &t.staff).await;
    assert_eq!(assert_problem(&r, StatusCode::BAD_REQUEST, "validation.invalid_field")["reference"], "limit");
}

// ---- customers ----

async fn creating_a_customer_with_invalid_data_is_400_naming_the_field_and_stores_nothing(app: TestApp) {
    let t = app.tenant(&[]).await;
    let mut bad_iban = customer_body();
    bad_iban["payment"]["iban"] = json!("DE00370400440532013000");
    let mut bad_email = customer_body();
    bad_email["contact"]["email"] = json!("not-an-email");
    let mut no_city = customer_body();
    no_city["address"].as_object_mut().unwrap().remove("city");
    let mut bad_gender = customer_body();
    bad_gender["master"]["gender"] = json!("OTHER");
    for (body, reference) in
        [(bad_iban, "payment.iban"), (bad_email, "contact.email"), (no_city, "address.city"), (bad_gender, "master.gender")]
    {
        let r = app.post("/api/v1/customers", &t.admin, body).await;
        let e = assert_problem(&r, StatusCode::BAD_REQUEST, "validation.invalid_field");
        assert_eq!(e["reference"], reference, "{e}");
    }
    let list = app.get("/api/v1/customers", &t.admin).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    assert_eq!(item_ids(&list.json()), NONE, "nothing stored");
}

async fn staff_see_a_masked_iban_and_admins_the_full_one(app: TestApp) {
    let t = app.tenant(&[]).await;
    let c = app.customer(&t).await;

    let staff = app.get(&format!("/api/v1/customers/{c}"), &t.staff).await;
    assert_eq!(staff.status, StatusCode::OK, "{}", staff.text());
    let staff = staff.json();
    assert_eq!(staff["id"], c);
    assert_eq!(staff["data"]["payment"]["iban"], "DE****************3000");
    assert!(!staff.to_string().contains("DE89370400440532013000"), "{staff}");
    assert_eq!(staff["data"]["payment"]["accountHolder"], "Sven Hannawald");
    assert_eq!(staff["data"]["address"], customer_body()["address"]);
    assert_eq!(staff["data"]["contact"], customer_body()["contact"]);
    assert_eq!(staff["versions"], json!({ "contact": 1, "address": 1, "master": 1, "payment": 1 }));

    let admin = app.get(&format!("/api/v1/customers/{c}"), &t.admin).await.json();
    assert_eq!(admin["data"]["payment"]["iban"], "DE89370400440532013000");
    assert_eq!(admin["data"]["payment"]["bic"], "COBADEFFXXX");

    let listed = app.get("/api/v1/customers", &t.staff).await.json();
    assert_eq!(item_ids(&listed), [c]);
    assert_eq!(listed["items"][0]["data"]["payment"]["iban"], "DE****************3000");
    assert_problem(&app.get(&format!("/api/v1/customers/{c}"), &t.partner).await, StatusCode::FORBIDDEN, "auth.missing_scope");
    assert_problem(&app.get("/api/v1/customers/999999", &t.staff).await, StatusCode::NOT_FOUND, "customer.not_found");
}

/// Every route a staff key can read that carries an IBAN: the customer's current IBAN never
/// appears in full; the proposed one only while its amendment is pending; admins see both.
async fn a_staff_key_never_sees_a_current_iban_in_full_on_any_route(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Payment, VERIFY, true)]).await;
    let c = app.customer(&t).await;
    let current = "DE89370400440532013000";
    let proposed = "DE91100000000123456789";
    let staff_routes = |a: i64| {
        vec![
            format!("/api/v1/customers/{c}"),
            "/api/v1/customers".to_owned(),
            "/api/v1/amendments?state=any".to_owned(),
            format!("/api/v1/amendments/{a}"),
            format!("/api/v1/customers/{c}/audit"),
        ]
    };
    let first = app.submit(&t, c, "payment-data", payment_example()).await;
    for route in staff_routes(first) {
        let r = app.get(&route, &t.staff).await;
        assert_eq!(r.status, StatusCode::OK, "{route}: {}", r.text());
        assert!(!r.text().contains(current), "{route} shows the current IBAN to staff: {}", r.text());
    }
    // While pending, the reviewer sees what they must check.
    let review = app.get(&format!("/api/v1/amendments/{first}"), &t.staff).await.json();
    assert_eq!(review["amendment"]["proposed"]["iban"], proposed);
    assert_eq!(review["current"]["iban"], "DE****************3000");
    let change = review["changes"].as_array().unwrap().iter().find(|c| c["field"] == "iban").unwrap().clone();
    assert_eq!(change["before"], "DE****************3000");
    assert_eq!(change["after"], proposed);

    // Once decided, the proposed IBAN is masked too, in the decision's answer and everywhere after.
    let approved = app.approve(&t, first).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    assert_eq!(approved.json()["proposed"]["iban"], "DE****************6789");
    let second = app
        .submit(
            &t,
            c,
            "payment-data",
            json!({ "accountHolder": "Sven Hannawald", "bankName": "Sparkasse", "iban": current,
            "bic": "COBADEFFXXX", "signature": { "base64SvgSignature": signature_base64() } }),
        )
        .await;
    let rejected = app.reject(&t, second, "Wrong account").await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.text());
    for route in staff_routes(first).into_iter().chain(staff_routes(second)) {
        let r = app.get(&route, &t.staff).await;
        assert_eq!(r.status, StatusCode::OK, "{route}: {}", r.text());
        for iban in [current, proposed] {
            assert!(!r.text().contains(iban), "{route} shows {iban} to staff after the decision: {}", r.text());
        }
    }
    // Admins see IBANs in full.
    let admin = app.get(&format!("/api/v1/amendments/{first}"), &t.admin).await.json();
    assert_eq!(admin["amendment"]["proposed"]["iban"], proposed);
    assert!(app.get(&format!("/api/v1/customers/{c}/audit"), &t.admin).await.text().contains(current));
}

async fn staff_find_customers_by_name_email_phone_digits_and_number_and_unknown_parameters_are_refused(app: TestApp) {
    let t = app.tenant(&[]).await;
    let sven = app.customer(&t).await;
    let mut other = customer_body();
    other["master"]["firstName"] = json!("Anna");
    other["master"]["lastName"] = json!("Svensson");
    other["contact"] = json!({ "email": "Anna.S@Example.org", "phoneBusiness": "+46 8 555 0100" });
    let r = app.send(Method::POST, "/api/v1/customers", Some(&t.admin), Some(other)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let anna = r.json()["id"].as_i64().unwrap();
    let found = |q: &'static str| {
        let app = &app;
        let key = t.staff.clone();
        async move {
            let r = app.get(&format!("/api/v1/customers?search={q}"), &key).await;
            assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text());
            item_ids(&r.json())
        }
    };
    assert_eq!(found("sven").await, [sven, anna]);
    assert_eq!(found("svenss").await, [anna]);
    assert_eq!(found("SVEN%20hann").await, [sven]);
    assert_eq!(found("hannawald").await, [sven]);
    assert_eq!(found("sv").await, [sven, anna]);
    assert_eq!(found("anna.s%40example").await, [anna]);
    assert_eq!(found("old%40example.com").await, [sven]);
    assert_eq!(found("%2B49%2030%201234").await, [sven]);
    assert_eq!(found("030%201234").await, [sven]);
    assert_eq!(found("8%20555").await, [anna]);
    assert_eq!(found("nobody").await, Vec::<i64>::new());
    // A change is found at once, and the old value no longer is.
    let changed = app.put(&format!("/api/v1/customers/{anna}/contact"), &t.admin, json!({ "email": "anna@new.example" })).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    assert_eq!(found("anna%40new").await, [anna]);
    assert_eq!(found("anna.s%40").await, Vec::<i64>::new());
    // Paged like the list.
    let first = app.get("/api/v1/customers?search=sv&limit=1", &t.staff).await.json();
    assert_eq!(item_ids(&first), [sven]);
    let cursor = first["nextCursor"].as_str().unwrap();
    let second = app.get(&format!("/api/v1/customers?search=sv&limit=1&cursor={cursor}"), &t.staff).await.json();
    assert_eq!(item_ids(&second), [anna]);
    // Another tenant finds nothing of these.
    let other_tenant = app.tenant(&[]).await;
    let r = app.get("/api/v1/customers?search=sven", &other_tenant.staff).await;
    assert_eq!(item_ids(&r.json()), Vec::<i64>::new());
    // Refusals.
    assert_problem(&app.get("/api/v1/customers?search=s", &t.staff).await, StatusCode::BAD_REQUEST, "validation.invalid_field");
    assert_problem(
        &app.get("/api/v1/customers?serach=sven", &t.staff).await,
        StatusCode::BAD_REQUEST,
        "validation.invalid_query",
    );
    assert_problem(&app.get("/api/v1/customers?search=sven", &t.partner).await, StatusCode::FORBIDDEN, "auth.missing_scope");
}

async fn webhook_subscriptions_are_listed_in_pages_like_every_native_list(app: TestApp) {
    use custodian_store::webhooks::{NewSubscription, WebhookFormat};
    let t = app.tenant(&[]).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let sub = app
            .services
            .store
            .create_subscription(NewSubscription {
                tenant_id: t.id,
                url: format!("https://hooks.example/{n}"),
                event_types: vec!["customer.updated".into()],
                format: WebhookFormat::Standard,
                secret: "whsec_test".into(),
                vendor_key: None,
                now_ms: app.services.clock.now_ms(),
            })
            .await
            .unwrap();
        ids.push(sub.id);
    }
    let first = app.get("/api/v1/webhooks?limit=2", &t.admin).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let first = first.json();
    assert_eq!(item_ids(&first), ids[..2]);
    assert!(first["items"][0].get("secret").is_none(), "secrets are shown at creation only");
    let cursor = first["nextCursor"].as_str().unwrap();
    let second = app.get(&format!("/api/v1/webhooks?limit=2&cursor={cursor}"), &t.admin).await.json();
    assert_eq!(item_ids(&second), ids[2..]);
    assert_eq!(second["nextCursor"], Value::Null);
    assert_eq!(item_ids(&app.get("/api/v1/webhooks", &t.admin).await.json()), ids);
    assert_problem(&app.get("/api/v1/webhooks?limit=0", &t.admin).await, StatusCode::BAD_REQUEST, "validation.invalid_field");
    let other = app.tenant(&[]).await;
    assert_eq!(item_ids(&app.get("/api/v1/webhooks", &other.admin).await.json()), Vec::<i64>::new());
}

async fn only_admins_create_or_edit_customers_and_an_unknown_domain_is_404(app: TestApp) {
    let t = app.tenant(&[]).await;
    let c = app.customer(&t).await;
    assert_problem(&app.post("/api/v1/customers", &t.staff, customer_body()).await, StatusCode::FORBIDDEN, "auth.missing_scope");
    let contact = format!("/api/v1/customers/{c}/contact");
    assert_problem(&app.put(&contact, &t.staff, contact_example()).await, StatusCode::FORBIDDEN, "auth.missing_scope");
    assert_problem(&app.put(&contact, &t.partner, contact_example()).await, StatusCode::FORBIDDEN, "auth.missing_scope");
    assert_eq!(app.get(&ss(c, "contact-data"), &t.partner).await.json()["email"], "old@example.com", "unchanged");

    let r = app.put(&format!("/api/v1/customers/{c}/hobbies"), &t.admin, json!({ "chess": true })).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "domain.not_found");
    let r = app.put("/api/v1/customers/999999/contact", &t.admin, contact_example()).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "customer.not_found");
    let r = app.put(&contact, &t.admin, json!({ "email": "nope" })).await;
    assert_eq!(assert_problem(&r, StatusCode::BAD_REQUEST, "validation.invalid_field")["reference"], "contact.email");

    let r = app.put(&contact, &t.admin, contact_example()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["data"]["contact"], contact_example());
    assert_eq!(v["versions"]["contact"], 2);
    assert_eq!(v["versions"]["address"], 1);
    assert_eq!(app.get(&ss(c, "contact-data"), &t.partner).await.json()["email"], "new-email@example.com");
    let trail = app.get(&format!("/api/v1/customers/{c}/audit"), &t.admin).await.json();
    let last = trail["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "customer.updated");
    assert_eq!(last["actor"], "admin:admin");
    assert_eq!(last["domain"], "contact");
}

// ---- policies ----

async fn policies_default_to_verification_and_an_admin_change_takes_effect_at_once(app: TestApp) {
    let t = app.tenant(&[]).await;
    let c = app.customer(&t).await;
    app.cache_in_use().await;
    // Read (and cached) before the change.
    assert_eq!(
        app.get(&ss(c, "contact-data"), &t.partner).await.json()["amendmentConfigurationStatus"],
        "CHANGES_REQUIRE_VERIFICATION"
    );
    let defaults = app.get("/api/v1/policies", &t.staff).await;
    assert_eq!(defaults.status, StatusCode::OK, "{}", defaults.text());
    let verify = json!({ "status": "CHANGES_REQUIRE_VERIFICATION", "requireSignature": false });
    assert_eq!(defaults.json(), json!({ "contact": verify, "address": verify, "master": verify, "payment": verify }));

    let r = app.put("/api/v1/policies/contact", &t.admin, json!({ "status": "CHANGES_WITHOUT_VERIFICATION" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let set = r.json();
    assert_eq!(set["contact"], json!({ "status": "CHANGES_WITHOUT_VERIFICATION", "requireSignature": false }));
    assert_eq!(set["address"], verify);
    assert_eq!(
        app.get(&ss(c, "contact-data"), &t.partner).await.json()["amendmentConfigurationStatus"],
        "CHANGES_WITHOUT_VERIFICATION"
    );
    let applied = app.post(&ss(c, "contact-data"), &t.partner, contact_example()).await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.text());
    assert_eq!(app.get(&ss(c, "contact-data"), &t.partner).await.json()["email"], "new-email@example.com", "applied at once");

    let r = app.put("/api/v1/policies/payment", &t.admin, json!({ "status": "READ", "requireSignature": true })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let g = app.get(&ss(c, "payment-data"), &t.partner).await.json();
    assert_eq!(g["amendmentConfigurationStatus"], "READ");
    assert_eq!(g["requireSignature"], true);
    assert_eq!(
        app.get("/api/v1/policies", &t.admin).await.json()["payment"],
        json!({ "status": "READ", "requireSignature": true })
    );
    let stored = app.services.store.policies(t.id).await.unwrap();
    assert_eq!(stored.get(DataDomain::Payment), DomainPolicy { status: READ, require_signature: true }, "persisted");
    assert_eq!(stored.get(DataDomain::Contact), DomainPolicy { status: DIRECT, require_signature: false });

    let r = app.put("/api/v1/policies/address", &t.staff, json!({ "status": "READ" })).await;
    assert_problem(&r, StatusCode::FORBIDDEN, "auth.missing_scope");
    let r = app.put("/api/v1/policies/address", &t.admin, json!({ "status": "READ", "requireSignature": true })).await;
    assert_eq!(assert_problem(&r, StatusCode::BAD_REQUEST, "validation.invalid_field")["reference"], "requireSignature");
    let r = app.put("/api/v1/policies/hobbies", &t.admin, json!({ "status": "READ" })).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "domain.not_found");
    let r = app.put("/api/v1/policies/address", &t.admin, json!({ "status": "SOMETIMES" })).await;
    assert_eq!(assert_problem(&r, StatusCode::BAD_REQUEST, "validation.invalid_field")["reference"], "status");
    assert_eq!(app.get("/api/v1/policies", &t.staff).await.json()["address"], verify, "refused changes change nothing");
    assert_problem(&app.get("/api/v1/policies", &t.partner).await, StatusCode::FORBIDDEN, "auth.missing_scope");
}

// ---- error shape ----

async fn native_errors_are_problem_details_carrying_the_request_id(app: TestApp) {
    let t = app.tenant(&[]).await;
    let cases = [
        (app.get("/api/v1/amendments/424242", &t.staff).await, StatusCode::NOT_FOUND, "amendment.not_found"),
        (app.get("/api/v1/amendments?state=done", &t.staff).await, StatusCode::BAD_REQUEST, "validation.invalid_field"),
        (app.send(Method::GET, "/api/v1/customers", None, None).await, StatusCode::UNAUTHORIZED, "auth.unauthenticated"),
        (app.get("/api/v1/customers", "cus_wrong_key").await, StatusCode::UNAUTHORIZED, "auth.unauthenticated"),
        (app.post("/api/v1/customers", &t.staff, customer_body()).await, StatusCode::FORBIDDEN, "auth.missing_scope"),
    ];
    for (r, status, code) in &cases {
        let e = assert_problem(r, *status, code);
        assert_eq!(e["type"], format!("https://custodian.dev/problems/{code}"));
        assert_eq!(e["title"], status.canonical_reason().unwrap());
        assert!(e["detail"].as_str().is_some_and(|d| !d.is_empty()), "{e}");
        let header = r.headers["x-request-id"].to_str().unwrap();
        assert_eq!(header.len(), 36, "a generated UUID: {header}");
        assert_eq!(e["requestId"], header, "{e}");
    }
    let first = cases[0].0.headers["x-request-id"].clone();
    assert_ne!(first, cases[1].0.headers["x-request-id"], "one id per request");

    let r = app
        .raw(
            Request::post("/api/v1/customers")
                .header("X-API-KEY", &t.admin)
                .header("X-Request-Id", "client-chosen-id-42")
                .header("content-type", "application/json")
                .body(Body::from("{not json"))
                .unwrap(),
        )
        .await;
    let e = assert_problem(&r, StatusCode::BAD_REQUEST, "request.malformed_json");
    assert_eq!(r.headers["x-request-id"], "client-chosen-id-42");
    assert_eq!(e["requestId"], "client-chosen-id-42");
}

both_backends!(
    a_staff_key_sees_a_pending_amendment_in_the_queue,
    the_queue_lists_pending_amendments_oldest_first_and_filters_by_domain_state_and_customer,
    the_queue_pages_by_limit_and_next_cursor_without_gaps_or_duplicates,
    showing_an_amendment_lists_exactly_the_changed_fields_and_flags_data_changed_since,
    approving_applies_the_change_at_once_and_a_second_decision_is_409,
    rejecting_needs_a_reason_which_is_stored_and_the_data_stays,
    the_audit_trail_records_every_change_and_decision_in_order_with_actor_and_values,
    creating_a_customer_with_invalid_data_is_400_naming_the_field_and_stores_nothing,
    staff_see_a_masked_iban_and_admins_the_full_one,
    a_staff_key_never_sees_a_current_iban_in_full_on_any_route,
    staff_find_customers_by_name_email_phone_digits_and_number_and_unknown_parameters_are_refused,
    webhook_subscriptions_are_listed_in_pages_like_every_native_list,
    only_admins_create_or_edit_customers_and_an_unknown_domain_is_404,
    policies_default_to_verification_and_an_admin_change_takes_effect_at_once,
    native_errors_are_problem_details_carrying_the_request_id,
);
