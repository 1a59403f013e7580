//! The subscription-billing dialect (`/subscriptions/{version}/customers`, `X-Subscription-Key`):
//! every documented example replayed, upsert and update, idempotent repeats by `X-Request-ID`,
//! validation, scopes, tenant isolation, and the same customer seen through the self-service API.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use custodian_domain::{CustomerId, DataDomain};
use serde_json::{Value, json};

const SEED_NUMBER: &str = "c1631704458";

/// The seed's create (and update) request body, verbatim: the README's example file, so that the
/// file the README posts is the one this suite replays.
fn seed_request() -> Value {
    serde_json::from_str(include_str!("../../../../examples/billing-customer.json")).expect("examples/billing-customer.json")
}

/// The seed's sample GET response, verbatim.
fn seed_response() -> Value {
    serde_json::from_str(
        r#"{
  "customerNumber": "c1631704458",
  "salutation": "MR",
  "firstName": "Ray",
  "lastName": "Ankunding",
  "address": {
    "street": "Bergnaum Mountains",
    "postalCode": "97687-7791",
    "postalPlace": "Schadenville",
    "countryCode": "DE",
    "streetNumber": "1"
  },
  "taxIdentificationNumber": "12345678L",
  "identificationNumber": "700XXX651",
  "email": "Ray_Ankunding43@gmail.com",
  "companyName": "",
  "birthDate": "1984-11-11",
  "language": "DE",
  "customerCategory": "PERSON",
  "phone": "871.790.7578 x4882",
  "mobilePhone": "+37258774XXX"
}"#,
    )
    .unwrap()
}

/// The accounting core's documented create example (vendor reference, section 2.3), verbatim.
fn core_example() -> Value {
    json!({"currency":"EUR",
     "customer":{"email":"test@test.com","phone":"+37258XXX585",
       "address":{"careOf":"c/o Mr. Bloom","street":"exampleStreet","postalCode":"12345","addressType":"main address",
                  "countryCode":"DE","postalPlace":"exampleCity","streetNumber":"1234","streetNumberAdditional":"d"},
       "language":"de","lastName":"Doe","birthDate":"1980-09-01T00:00:00Z","firstName":"John","salutation":"MR",
       "companyName":"myCompany","mobilePhone":"+37258774XXX","customerNumber":"cust1234","customerCategory":"categoryABC",
       "identificationNumber":"700XXX651","taxIdentificationNumber":"12345678L"},
     "paymentRegistration":{"id":"ACVB123455675669","pspCustomerId":"string","pspPaymentMethodId":"string"}})
}

fn customers() -> &'static str {
    "/subscriptions/v1/customers"
}

fn customer(number: &str) -> String {
    format!("/subscriptions/v1/customers/{number}")
}

/// A request with `X-Subscription-Key` (when given) and `X-Request-ID` (when given).
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    key: Option<&str>,
    request_id: Option<&str>,
    body: Option<Value>,
) -> Response {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(k) = key {
        req = req.header("X-Subscription-Key", k);
    }
    if let Some(r) = request_id {
        req = req.header("X-Request-ID", r);
    }
    let body = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    app.raw(req.body(body).unwrap()).await
}

async fn get_customer(app: &TestApp, key: &str, number: &str) -> Response {
    call(app, Method::GET, &customer(number), Some(key), None, None).await
}

/// POSTs `body` with the admin key; asserts 200 and returns the answer.
async fn upsert(app: &TestApp, t: &Tenant, body: Value) -> Value {
    let r = call(app, Method::POST, customers(), Some(&t.admin), None, Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

/// Custodian's customer id from a write's answer (its `customerNumber`).
fn internal_id(answer: &Value) -> i64 {
    answer["customerNumber"].as_str().unwrap().parse().unwrap_or_else(|_| panic!("not an id: {answer}"))
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

async fn customer_count(app: &TestApp, t: &Tenant) -> usize {
    app.get("/api/v1/customers", &t.admin).await.json()["items"].as_array().unwrap().len()
}

async fn event_types(app: &TestApp, t: &Tenant, id: i64) -> Vec<(String, Value)> {
    let events = app.services.store.list_events(t.id, CustomerId(id)).await.unwrap();
    events.into_iter().map(|e| (e.event_type, e.payload.get("domain").cloned().unwrap_or(Value::Null))).collect()
}

// ---- documented examples ----

async fn the_seed_create_request_succeeds_with_the_documented_answer_shape(app: TestApp) {
    let t = app.tenant(&[]).await;
    let r = call(&app, Method::POST, customers(), Some(&t.admin), Some("seed-create"), Some(seed_request())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let a = r.json();
    assert_eq!(keys(&a), ["signUpId", "customerNumber", "externalCustomerReference", "contracts"]);
    assert!(a["signUpId"].as_i64().unwrap() > 0, "{a}");
    assert_eq!(a["externalCustomerReference"], SEED_NUMBER);
    assert_eq!(a["contracts"], json!([]));
    let id = internal_id(&a);
    assert_eq!(app.get(&ss(id, "contact-data"), &t.partner).await.status, StatusCode::OK, "customerNumber is Custodian's id");
}

async fn the_seed_get_request_answers_the_documented_response_field_for_field(app: TestApp) {
    let t = app.tenant(&[]).await;
    let mut body = seed_request();
    body["customer"]["address"]["streetNumberAdditional"] = json!("");
    upsert(&app, &t, body).await;
    let r = get_customer(&app, &t.reader, SEED_NUMBER).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("application/json"));
    let got = r.json();
    assert_eq!(got, seed_response());
    assert_eq!(keys(&got), keys(&seed_response()), "fields in the documented order");
    assert_eq!(keys(&got["address"]), keys(&seed_response()["address"]));
}

async fn after_the_seed_create_the_get_adds_only_the_street_number_addition(app: TestApp) {
    let t = app.tenant(&[]).await;
    upsert(&app, &t, seed_request()).await;
    let got = get_customer(&app, &t.reader, SEED_NUMBER).await.json();
    let mut expected = seed_response();
    expected["address"]["streetNumberAdditional"] = json!("a");
    assert_eq!(got, expected, "careOf \"\" means not set; language is read back upper case");
}

async fn the_seed_update_request_replaces_what_it_sends(app: TestApp) {
    let t = app.tenant(&[]).await;
    let mut before = core_example();
    before["customer"]["customerNumber"] = json!(SEED_NUMBER);
    let created = upsert(&app, &t, before).await;

    let r = call(&app, Method::PUT, &customer(SEED_NUMBER), Some(&t.admin), Some("seed-update"), Some(seed_request())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let a = r.json();
    assert_eq!(keys(&a), ["signUpId", "customerNumber", "externalCustomerReference", "contracts"]);
    assert_eq!(a["customerNumber"], created["customerNumber"], "the same customer");
    assert_ne!(a["signUpId"], created["signUpId"], "every write has its own sign-up id");
    assert_eq!(a["externalCustomerReference"], SEED_NUMBER);

    // A PUT states the whole customer: careOf and companyName ("") and the currency and
    // addressType it leaves out are cleared.
    let mut expected = seed_response();
    expected["address"]["streetNumberAdditional"] = json!("a");
    assert_eq!(get_customer(&app, &t.reader, SEED_NUMBER).await.json(), expected);
    let profile = app.services.billing.profile_of(&admin_ctx(&t), CustomerId(internal_id(&a))).await.unwrap().unwrap();
    assert_eq!(profile.payment_registration.id.as_str(), "275122", "the update changed the payment method");
    assert_eq!(profile.payment_registration.psp_customer_id, None);
}

async fn the_accounting_core_create_example_is_accepted_and_reads_back(app: TestApp) {
    let t = app.tenant(&[]).await;
    let a = upsert(&app, &t, core_example()).await;
    assert_eq!(a["externalCustomerReference"], "cust1234");
    let got = get_customer(&app, &t.reader, "cust1234").await.json();
    assert_eq!(
        got,
        json!({
            "customerNumber": "cust1234", "salutation": "MR", "firstName": "John", "lastName": "Doe",
            "address": { "street": "exampleStreet", "postalCode": "12345", "postalPlace": "exampleCity", "countryCode": "DE",
                "streetNumber": "1234", "careOf": "c/o Mr. Bloom", "streetNumberAdditional": "d", "addressType": "main address" },
            "taxIdentificationNumber": "12345678L", "identificationNumber": "700XXX651", "email": "test@test.com",
            "companyName": "myCompany", "birthDate": "1980-09-01", "language": "DE", "customerCategory": "categoryABC",
            "phone": "+37258XXX585", "mobilePhone": "+37258774XXX", "currency": "EUR"
        })
    );
    let profile = app.services.billing.profile_of(&admin_ctx(&t), CustomerId(internal_id(&a))).await.unwrap().unwrap();
    assert_eq!(profile.payment_registration.id.as_str(), "ACVB123455675669");
    assert_eq!(profile.payment_registration.psp_customer_id.unwrap().as_str(), "string");
    assert_eq!(profile.payment_registration.psp_payment_method_id.unwrap().as_str(), "string");
}

fn admin_ctx(t: &Tenant) -> custodian_app::Context {
    custodian_app::Context { tenant: t.id, actor: custodian_domain::Actor::system(), request_id: None }
}

// ---- upsert and update ----

async fn a_post_for_an_existing_customer_number_updates_that_customer(app: TestApp) {
    let t = app.tenant(&[]).await;
    let first = upsert(&app, &t, seed_request()).await;
    let mut change = seed_request();
    change["customer"]["email"] = json!("ray@example.com");
    change.as_object_mut().unwrap().remove("paymentRegistration");
    let second = upsert(&app, &t, change).await;
    assert_eq!(second["customerNumber"], first["customerNumber"]);
    assert!(second["signUpId"].as_i64().unwrap() > first["signUpId"].as_i64().unwrap());
    assert_eq!(customer_count(&app, &t).await, 1);
    assert_eq!(get_customer(&app, &t.reader, SEED_NUMBER).await.json()["email"], "ray@example.com");
    let id = CustomerId(internal_id(&first));
    let profile = app.services.billing.profile_of(&admin_ctx(&t), id).await.unwrap().unwrap();
    assert_eq!(profile.payment_registration.id.as_str(), "275122", "no paymentRegistration keeps the current one");

    let mut new_method = seed_request();
    new_method["paymentRegistration"] = json!({ "id": "PR-2", "pspCustomerId": "cus_9", "pspPaymentMethodId": "pm_7" });
    upsert(&app, &t, new_method).await;
    let profile = app.services.billing.profile_of(&admin_ctx(&t), id).await.unwrap().unwrap();
    assert_eq!(profile.payment_registration.id.as_str(), "PR-2");
    assert_eq!(profile.payment_registration.psp_payment_method_id.unwrap().as_str(), "pm_7");
    let audit = app.get(&format!("/api/v1/customers/{}/audit", id.0), &t.admin).await.json();
    let last = audit["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "billing_profile.updated");
    assert_eq!(last["changes"][0]["field"], "paymentRegistration");
    assert_eq!(last["changes"][0]["before"], json!({ "id": "275122" }));
    assert_eq!(last["changes"][0]["after"], json!({ "id": "PR-2", "pspCustomerId": "cus_9", "pspPaymentMethodId": "pm_7" }));
}

async fn a_creation_without_a_payment_registration_is_400_and_stores_nothing(app: TestApp) {
    let t = app.tenant(&[]).await;
    let mut body = seed_request();
    body.as_object_mut().unwrap().remove("paymentRegistration");
    let r = call(&app, Method::POST, customers(), Some(&t.admin), None, Some(body)).await;
    let e = assert_problem(&r, StatusCode::BAD_REQUEST, "validation.invalid_field");
    assert_eq!(e["reference"], "paymentRegistration.id");
    assert_eq!(e["requestId"], r.headers["x-request-id"].to_str().unwrap());
    assert_eq!(customer_count(&app, &t).await, 0);
    assert_eq!(get_customer(&app, &t.reader, SEED_NUMBER).await.status, StatusCode::NOT_FOUND);
}

async fn put_updates_only_an_existing_customer_whose_number_matches_the_path(app: TestApp) {
    let t = app.tenant(&[]).await;
    let r = call(&app, Method::PUT, &customer(SEED_NUMBER), Some(&t.admin), None, Some(seed_request())).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "customer.not_found");
    assert_eq!(customer_count(&app, &t).await, 0, "PUT never creates");

    let created = upsert(&app, &t, seed_request()).await;
    let mut unnumbered = seed_request();
    unnumbered["customer"].as_object_mut().unwrap().remove("customerNumber");
    let r = call(&app, Method::PUT, &customer("c-other"), Some(&t.admin), None, Some(unnumbered)).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "customer.not_found");
    upsert(
        &app,
        &t,
        json!({ "customer": { "customerNumber": "c-other", "firstName": "O", "lastName": "Ther",
        "birthDate": "1990-01-01", "address": { "street": "S", "postalCode": "1", "postalPlace": "P", "countryCode": "DE" } },
        "paymentRegistration": { "id": "1" } }),
    )
    .await;
    let r = call(&app, Method::PUT, &customer("c-other"), Some(&t.admin), None, Some(seed_request())).await;
    let e = assert_problem(&r, StatusCode::BAD_REQUEST, "validation.invalid_field");
    assert_eq!(e["reference"], "customer.customerNumber", "the body names another customer: {e}");

    let mut without_number = seed_request();
    without_number["customer"].as_object_mut().unwrap().remove("customerNumber");
    without_number["customer"]["firstName"] = json!("Raymond");
    let r = call(&app, Method::PUT, &customer(SEED_NUMBER), Some(&t.admin), None, Some(without_number)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["customerNumber"], created["customerNumber"]);
    assert_eq!(get_customer(&app, &t.reader, SEED_NUMBER).await.json()["firstName"], "Raymond");
}

async fn invalid_fields_are_400_problems_naming_the_request_path_and_store_nothing(app: TestApp) {
    let t = app.tenant(&[]).await;
    type Change = fn(&mut Value);
    let cases: Vec<(Change, &str)> = vec![
        (|b| b["customer"]["address"]["careOf"] = json!("c/o ".repeat(11)), "customer.address.careOf"),
        (|b| b["customer"]["address"]["postalCode"] = json!("97687-77910"), "customer.address.postalCode"),
        (|b| b["customer"]["address"]["street"] = json!(""), "customer.address.street"),
        (|b| b["customer"]["address"]["countryCode"] = json!("XX"), "customer.address.countryCode"),
        (|b| b["customer"]["email"] = json!("ray-at-gmail"), "customer.email"),
        (|b| b["customer"]["phone"] = json!("call me"), "customer.phone"),
        (|b| b["customer"]["language"] = json!("german"), "customer.language"),
        (|b| b["customer"]["salutation"] = json!("SIR"), "customer.salutation"),
        (|b| b["customer"]["birthDate"] = json!("1984-13-01"), "customer.birthDate"),
        (|b| b["customer"]["companyName"] = json!("x".repeat(141)), "customer.companyName"),
        (|b| b["customer"]["customerNumber"] = json!("c 1631704458"), "customer.customerNumber"),
        (|b| drop(b["customer"].as_object_mut().unwrap().remove("firstName")), "customer.firstName"),
        (|b| drop(b["customer"].as_object_mut().unwrap().remove("address")), "customer.address"),
        (|b| b["customer"]["identificationNumber"] = json!(700651), "customer.identificationNumber"),
        (|b| b["currency"] = json!("EURO"), "currency"),
        (|b| drop(b.as_object_mut().unwrap().remove("customer")), "customer"),
    ];
    for (change, reference) in cases {
        let mut body = seed_request();
        change(&mut body);
        let r = call(&app, Method::POST, customers(), Some(&t.admin), None, Some(body)).await;
        let e = assert_problem(&r, StatusCode::BAD_REQUEST, "validation.invalid_field");
        assert_eq!(e["reference"], reference, "{e}");
        assert!(e["detail"].as_str().unwrap().contains(reference), "{e}");
    }
    let r = app
        .raw(
            Request::post(customers())
                .header("X-Subscription-Key", &t.admin)
                .header("content-type", "application/json")
                .body(Body::from("{\"customer\": {"))
                .unwrap(),
        )
        .await;
    assert_problem(&r, StatusCode::BAD_REQUEST, "request.malformed_json");
    assert_eq!(customer_count(&app, &t).await, 0, "no invalid request stored anything");
}

async fn unknown_customers_versions_and_methods_are_problems(app: TestApp) {
    let t = app.tenant(&[]).await;
    assert_problem(&get_customer(&app, &t.reader, "c-missing").await, StatusCode::NOT_FOUND, "customer.not_found");
    assert_problem(&get_customer(&app, &t.reader, "not%20a%20number").await, StatusCode::NOT_FOUND, "customer.not_found");
    upsert(&app, &t, seed_request()).await;
    let r = call(&app, Method::GET, &format!("/subscriptions/v2/customers/{SEED_NUMBER}"), Some(&t.reader), None, None).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "route.not_found");
    let r = call(&app, Method::POST, "/subscriptions/v2/customers", Some(&t.admin), None, Some(seed_request())).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "route.not_found");
    let r = call(&app, Method::DELETE, &customer(SEED_NUMBER), Some(&t.admin), None, None).await;
    assert_problem(&r, StatusCode::METHOD_NOT_ALLOWED, "route.method_not_allowed");
    let r = call(&app, Method::GET, customers(), Some(&t.admin), None, None).await;
    assert_problem(&r, StatusCode::METHOD_NOT_ALLOWED, "route.method_not_allowed");
    let r = call(&app, Method::GET, "/subscriptions/v1/contracts", Some(&t.admin), None, None).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "route.not_found");
    assert_eq!(get_customer(&app, &t.reader, SEED_NUMBER).await.status, StatusCode::OK, "DELETE removed nothing");
}

// ---- authentication and scopes ----

async fn the_subscription_key_authenticates_and_scopes_decide(app: TestApp) {
    let t = app.tenant(&[]).await;
    upsert(&app, &t, seed_request()).await;
    let r = call(&app, Method::GET, &customer(SEED_NUMBER), None, None, None).await;
    let e = assert_problem(&r, StatusCode::UNAUTHORIZED, "auth.unauthenticated");
    assert!(e["detail"].as_str().unwrap().contains("X-Subscription-Key"), "{e}");
    let r = app.get(&customer(SEED_NUMBER), &t.admin).await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "auth.unauthenticated");
    let r = get_customer(&app, "cus_nope_nope", SEED_NUMBER).await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "auth.unauthenticated");

    assert_eq!(get_customer(&app, &t.reader, SEED_NUMBER).await.status, StatusCode::OK, "CUSTOMER_SELF_SERVICE_READ reads");
    assert_eq!(get_customer(&app, &t.admin, SEED_NUMBER).await.status, StatusCode::OK, "ADMIN reads");
    assert_problem(&get_customer(&app, &t.staff, SEED_NUMBER).await, StatusCode::FORBIDDEN, "auth.missing_scope");
    for key in [&t.reader, &t.partner, &t.staff] {
        let r = call(&app, Method::POST, customers(), Some(key), None, Some(seed_request())).await;
        let e = assert_problem(&r, StatusCode::FORBIDDEN, "auth.missing_scope");
        assert!(e["detail"].as_str().unwrap().contains("ADMIN"), "{e}");
        let r = call(&app, Method::PUT, &customer(SEED_NUMBER), Some(key), None, Some(seed_request())).await;
        assert_problem(&r, StatusCode::FORBIDDEN, "auth.missing_scope");
    }
}

async fn another_tenant_neither_sees_nor_changes_the_customer(app: TestApp) {
    let a = app.tenant(&[]).await;
    let b = app.tenant(&[]).await;
    let in_a = upsert(&app, &a, seed_request()).await;
    assert_problem(&get_customer(&app, &b.reader, SEED_NUMBER).await, StatusCode::NOT_FOUND, "customer.not_found");
    let r = call(&app, Method::PUT, &customer(SEED_NUMBER), Some(&b.admin), None, Some(seed_request())).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "customer.not_found");

    let mut other = seed_request();
    other["customer"]["firstName"] = json!("Bea");
    let in_b = upsert(&app, &b, other).await;
    assert_ne!(in_b["customerNumber"], in_a["customerNumber"], "the same number in another tenant is another customer");
    assert_eq!(get_customer(&app, &a.reader, SEED_NUMBER).await.json()["firstName"], "Ray");
    assert_eq!(get_customer(&app, &b.reader, SEED_NUMBER).await.json()["firstName"], "Bea");
}

// ---- idempotency ----

async fn a_repeated_request_id_answers_the_first_result_and_writes_once(app: TestApp) {
    let t = app.tenant(&[]).await;
    let send = |rid: &'static str, body: Value| {
        let (app, key) = (&app, t.admin.clone());
        async move { call(app, Method::POST, customers(), Some(&key), Some(rid), Some(body)).await }
    };
    let first = send("rid-1", seed_request()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let id = internal_id(&first.json());
    let audit_before = app.get(&format!("/api/v1/customers/{id}/audit"), &t.admin).await.json()["items"].clone();

    let mut same_content = seed_request();
    same_content["customer"]["firstName"] = json!("  Ray ");
    let again = send("rid-1", same_content).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    assert_eq!(again.json(), first.json(), "the first result, sign-up id included");
    assert_eq!(customer_count(&app, &t).await, 1);
    assert_eq!(app.get(&format!("/api/v1/customers/{id}/audit"), &t.admin).await.json()["items"], audit_before);
    assert_eq!(event_types(&app, &t, id).await, [("customer.created".to_owned(), Value::Null)]);

    let mut other_content = seed_request();
    other_content["customer"]["email"] = json!("other@example.com");
    let reused = send("rid-1", other_content).await;
    let e = assert_problem(&reused, StatusCode::CONFLICT, "request.id_reused");
    assert_eq!(e["reference"], "X-Request-ID");
    assert_eq!(get_customer(&app, &t.reader, SEED_NUMBER).await.json()["email"], "Ray_Ankunding43@gmail.com");
    let r = call(&app, Method::PUT, &customer(SEED_NUMBER), Some(&t.admin), Some("rid-1"), Some(seed_request())).await;
    assert_problem(&r, StatusCode::CONFLICT, "request.id_reused");

    // The same request id in another tenant is another request.
    let other = app.tenant(&[]).await;
    let r = call(&app, Method::POST, customers(), Some(&other.admin), Some("rid-1"), Some(seed_request())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_ne!(r.json()["customerNumber"], first.json()["customerNumber"]);

    let long = "r".repeat(201);
    let r = call(&app, Method::POST, customers(), Some(&t.admin), Some(&long), Some(seed_request())).await;
    assert_eq!(assert_problem(&r, StatusCode::BAD_REQUEST, "validation.invalid_field")["reference"], "X-Request-ID");
}

async fn concurrent_repeats_of_one_request_create_one_customer(app: TestApp) {
    let t = app.tenant(&[]).await;
    let answers = futures_join(10, |_| {
        let (app, key) = (&app, t.admin.clone());
        async move { call(app, Method::POST, customers(), Some(&key), Some("rid-race"), Some(seed_request())).await }
    })
    .await;
    let first = answers[0].json();
    for r in &answers {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json(), first, "every repeat answers the one result");
    }
    assert_eq!(customer_count(&app, &t).await, 1);
}

/// Eight at once: every write then succeeds within the services' eight attempts (each conflict
/// means another of them succeeded); more concurrent writes of one customer may get a 409 asking
/// to try again.
async fn concurrent_creations_of_one_number_end_in_one_customer(app: TestApp) {
    let t = app.tenant(&[]).await;
    let answers = futures_join(8, |i| {
        let (app, key) = (&app, t.admin.clone());
        async move {
            let mut body = seed_request();
            body["customer"]["email"] = json!(format!("ray{i}@example.com"));
            call(app, Method::POST, customers(), Some(&key), Some(&format!("rid-{i}")), Some(body)).await
        }
    })
    .await;
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            r.json()["customerNumber"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one customer: the others updated it");
    let sign_ups: std::collections::BTreeSet<i64> = answers.iter().map(|r| r.json()["signUpId"].as_i64().unwrap()).collect();
    assert_eq!(sign_ups.len(), 8, "every write has its own sign-up id");
    assert_eq!(customer_count(&app, &t).await, 1);
}

/// Runs `n` requests at once and collects their responses in order.
async fn futures_join<F, Fut>(n: usize, make: F) -> Vec<Response>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    join_all((0..n).map(make).collect()).await
}

async fn join_all<Fut: std::future::Future<Output = Response>>(futures: Vec<Fut>) -> Vec<Response> {
    // Poll all futures on this task; the router is shared, so the requests really overlap.
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<Response>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if results[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(r) => results[i] = Some(r),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    results.into_iter().map(Option::unwrap).collect()
}

// ---- audit and events ----

async fn writes_are_audited_and_announced_like_every_direct_edit(app: TestApp) {
    let t = app.tenant(&[]).await;
    let r = call(&app, Method::POST, customers(), Some(&t.admin), Some("rid-audit-1"), Some(seed_request())).await;
    let id = internal_id(&r.json());
    let audit = app.get(&format!("/api/v1/customers/{id}/audit"), &t.admin).await.json()["items"].clone();
    let actions: Vec<(&str, &Value)> =
        audit.as_array().unwrap().iter().map(|e| (e["action"].as_str().unwrap(), &e["domain"])).collect();
    assert_eq!(
        actions,
        [
            ("customer.created", &json!("contact")),
            ("customer.created", &json!("address")),
            ("customer.created", &json!("master")),
            ("billing_profile.created", &Value::Null)
        ]
    );
    assert!(audit.as_array().unwrap().iter().all(|e| e["actor"] == "admin:admin" && e["requestId"] == "rid-audit-1"), "{audit}");
    assert_eq!(event_types(&app, &t, id).await, [("customer.created".to_owned(), Value::Null)]);

    let mut change = seed_request();
    change["customer"]["email"] = json!("ray@example.com");
    change["customer"]["language"] = json!("en");
    let r = call(&app, Method::PUT, &customer(SEED_NUMBER), Some(&t.admin), Some("rid-audit-2"), Some(change)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let audit = app.get(&format!("/api/v1/customers/{id}/audit"), &t.admin).await.json()["items"].clone();
    let new: Vec<&Value> = audit.as_array().unwrap().iter().skip(4).collect();
    assert_eq!(new.len(), 2, "{audit}");
    assert_eq!((new[0]["action"].as_str(), new[0]["domain"].as_str()), (Some("customer.updated"), Some("contact")));
    assert_eq!(
        new[0]["changes"],
        json!([{ "field": "email", "before": "Ray_Ankunding43@gmail.com", "after": "ray@example.com" }])
    );
    assert_eq!(new[1]["action"], "billing_profile.updated");
    assert_eq!(new[1]["changes"], json!([{ "field": "language", "before": "DE", "after": "EN" }]));

    let events = app.services.store.list_events(t.id, CustomerId(id)).await.unwrap();
    let updated: Vec<&Value> = events.iter().filter(|e| e.event_type == "customer.updated").map(|e| &e.payload).collect();
    assert_eq!(updated.len(), 2);
    assert_eq!(updated[0]["domain"], "contact");
    assert_eq!(updated[0]["changes"], json!([{ "field": "email", "previous": "Ray_Ankunding43@gmail.com" }]));
    assert_eq!(updated[0]["requestId"], "rid-audit-2");
    assert_eq!(updated[1]["domain"], "billing");
    assert_eq!(updated[1]["changes"], json!([{ "field": "language", "previous": "DE" }]));

    let versions = app.get(&format!("/api/v1/customers/{id}"), &t.admin).await.json()["versions"].clone();
    assert_eq!(versions, json!({ "contact": 2, "address": 1, "master": 1, "payment": 0 }), "unchanged domains are not rewritten");

    // A write that changes nothing is accepted and leaves no audit entries or events.
    let mut same = seed_request();
    same["customer"]["email"] = json!("ray@example.com");
    same["customer"]["language"] = json!("EN");
    let r = call(&app, Method::PUT, &customer(SEED_NUMBER), Some(&t.admin), None, Some(same)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(app.get(&format!("/api/v1/customers/{id}/audit"), &t.admin).await.json()["items"].as_array().unwrap().len(), 6);
    assert_eq!(app.services.store.list_events(t.id, CustomerId(id)).await.unwrap().len(), 3);
}

// ---- across dialects ----

async fn a_billing_customer_reads_back_through_the_self_service_api(app: TestApp) {
    let t = app.tenant(&[]).await;
    let id = internal_id(&upsert(&app, &t, seed_request()).await);
    let contact = app.get(&ss(id, "contact-data"), &t.partner).await.json();
    assert_eq!(contact["email"], "Ray_Ankunding43@gmail.com");
    assert_eq!(contact["phonePrivate"], "871.790.7578 x4882");
    assert_eq!(contact["phonePrivateMobile"], "+37258774XXX");
    let address = app.get(&ss(id, "address-data"), &t.partner).await.json();
    assert_eq!(
        (&address["street"], &address["houseNumber"], &address["zipCode"], &address["city"], &address["countryCode"]),
        (&json!("Bergnaum Mountains"), &json!("1"), &json!("97687-7791"), &json!("Schadenville"), &json!("DE"))
    );
    let master = app.get(&ss(id, "master-data"), &t.partner).await.json();
    assert_eq!(
        (&master["firstName"], &master["lastName"], &master["dateOfBirth"], &master["gender"], &master["customerTitle"]),
        (&json!("Ray"), &json!("Ankunding"), &json!("1984-11-11"), &json!("MALE"), &json!("NONE"))
    );

    let mut moved = seed_request();
    moved["customer"]["address"]["postalPlace"] = json!("Neustadt");
    moved["customer"]["salutation"] = json!("MS");
    let r = call(&app, Method::PUT, &customer(SEED_NUMBER), Some(&t.admin), None, Some(moved)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(app.get(&ss(id, "address-data"), &t.partner).await.json()["city"], "Neustadt");
    assert_eq!(app.get(&ss(id, "master-data"), &t.partner).await.json()["gender"], "FEMALE");
}

async fn a_self_service_change_reads_back_through_the_billing_api(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Contact, DIRECT, false), (DataDomain::Address, DIRECT, false)]).await;
    let id = internal_id(&upsert(&app, &t, core_example()).await);
    app.submit(&t, id, "contact-data", contact_example()).await;
    app.submit(&t, id, "address-data", address_example()).await;

    let got = get_customer(&app, &t.reader, "cust1234").await.json();
    assert_eq!(got["email"], "new-email@example.com");
    assert_eq!(got["phone"], "+49 00000000", "phone is the private phone");
    assert_eq!(got["mobilePhone"], "+49 00000000000", "mobilePhone is the private mobile");
    assert_eq!(
        got["address"],
        json!({ "street": "Am Bahnhof", "postalCode": "12133", "postalPlace": "Munich", "countryCode": "DE", "streetNumber": "90",
            "careOf": "c/o Mr. Bloom", "streetNumberAdditional": "d", "addressType": "main address" }),
        "billing-only address fields stay"
    );
    assert_eq!((&got["firstName"], &got["salutation"]), (&json!("John"), &json!("MR")));

    // Fields this API has no name for survive a billing update.
    let r = call(&app, Method::PUT, "/subscriptions/v1/customers/cust1234", Some(&t.admin), None, Some(core_example())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let contact = app.get(&ss(id, "contact-data"), &t.partner).await.json();
    assert_eq!(contact["email"], "test@test.com");
    assert_eq!(contact["phoneBusiness"], "+49 00000000");
    assert_eq!(contact["phoneBusinessMobile"], "+49 00000000000");
}

async fn a_billing_change_marks_a_pending_amendment_of_that_domain_as_made_against_older_data(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Contact, VERIFY, false), (DataDomain::Address, VERIFY, false)]).await;
    let id = internal_id(&upsert(&app, &t, seed_request()).await);
    let address_amendment = app.submit(&t, id, "address-data", address_example()).await;
    let contact_amendment = app.submit(&t, id, "contact-data", contact_example()).await;
    let stale = |amendment: i64| {
        let app = &app;
        let staff = t.staff.clone();
        async move {
            let r = app.get(&format!("/api/v1/amendments/{amendment}"), &staff).await.json();
            r["dataChangedSinceSubmission"].as_bool().unwrap_or_else(|| panic!("no flag: {r}"))
        }
    };
    assert!(!stale(address_amendment).await);
    assert!(!stale(contact_amendment).await);

    let mut moved = seed_request();
    moved["customer"]["address"]["street"] = json!("Neue Straße");
    let r = call(&app, Method::PUT, &customer(SEED_NUMBER), Some(&t.admin), None, Some(moved)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(stale(address_amendment).await, "the reviewer sees the address changed after submission");
    assert!(!stale(contact_amendment).await, "contact data did not change, so its amendment is current");
    let pending = app.get(&ss(id, "address-data"), &t.partner).await.json();
    assert_eq!(pending["street"], "Neue Straße");
    assert_eq!(pending["pendingAmendment"]["id"], address_amendment, "the amendment stays pending for its reviewer");
}

// ---- OpenAPI ----

async fn the_billing_routes_are_documented_and_routed(app: TestApp) {
    let doc = app.send(Method::GET, "/openapi.json", None, None).await.json();
    let methods = |path: &str| -> Vec<String> {
        let mut m: Vec<String> = doc["paths"][path].as_object().unwrap().keys().cloned().collect();
        m.sort();
        m
    };
    assert_eq!(methods("/subscriptions/{version}/customers"), ["post"]);
    assert_eq!(methods("/subscriptions/{version}/customers/{customerNumber}"), ["get", "put"]);
    assert_eq!(doc["components"]["securitySchemes"]["SubscriptionKeyAuth"]["name"], "X-Subscription-Key");
    for (method, path) in [(Method::POST, customers().to_owned()), (Method::GET, customer("c1")), (Method::PUT, customer("c1"))] {
        let r = call(&app, method.clone(), &path, None, None, None).await;
        assert_problem(&r, StatusCode::UNAUTHORIZED, "auth.unauthenticated");
    }
}

both_backends!(
    the_seed_create_request_succeeds_with_the_documented_answer_shape,
    the_seed_get_request_answers_the_documented_response_field_for_field,
    after_the_seed_create_the_get_adds_only_the_street_number_addition,
    the_seed_update_request_replaces_what_it_sends,
    the_accounting_core_create_example_is_accepted_and_reads_back,
    a_post_for_an_existing_customer_number_updates_that_customer,
    a_creation_without_a_payment_registration_is_400_and_stores_nothing,
    put_updates_only_an_existing_customer_whose_number_matches_the_path,
    invalid_fields_are_400_problems_naming_the_request_path_and_store_nothing,
    unknown_customers_versions_and_methods_are_problems,
    the_subscription_key_authenticates_and_scopes_decide,
    another_tenant_neither_sees_nor_changes_the_customer,
    a_repeated_request_id_answers_the_first_result_and_writes_once,
    concurrent_repeats_of_one_request_create_one_customer,
    concurrent_creations_of_one_number_end_in_one_customer,
    writes_are_audited_and_announced_like_every_direct_edit,
    a_billing_customer_reads_back_through_the_self_service_api,
    a_self_service_change_reads_back_through_the_billing_api,
    a_billing_change_marks_a_pending_amendment_of_that_domain_as_made_against_older_data,
    the_billing_routes_are_documented_and_routed,
);
