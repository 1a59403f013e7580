//! A self-service POST changes what it sends: a field left out keeps its value, `null` or an empty
//! string clears an optional field, and the review diff lists only what really changes.

use crate::helpers::*;
use axum::http::StatusCode;
use custodian_domain::DataDomain;
use serde_json::{Value, json};

/// A customer whose contact data has an e-mail address and two phone numbers.
async fn with_two_phones(app: &TestApp, t: &Tenant) -> i64 {
    let c = app.customer(t).await;
    let contact =
        json!({ "email": "old@example.com", "phonePrivate": "+49 30 1234567", "phonePrivateMobile": "+49 171 7654321" });
    let r = app.put(&format!("/api/v1/customers/{c}/contact"), &t.admin, contact).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    c
}

async fn sending_only_a_new_email_keeps_both_phone_numbers(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Contact, DIRECT, false)]).await;
    let c = with_two_phones(&app, &t).await;
    let r = app.post(&ss(c, "contact-data"), &t.partner, json!({ "email": "new@example.com" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let expected =
        json!({ "email": "new@example.com", "phonePrivate": "+49 30 1234567", "phonePrivateMobile": "+49 171 7654321" });
    let answer = r.json();
    assert_eq!(answer["phonePrivate"], expected["phonePrivate"], "the answer shows the whole new data: {answer}");
    let now = app.get(&ss(c, "contact-data"), &t.partner).await.json();
    for field in ["email", "phonePrivate", "phonePrivateMobile"] {
        assert_eq!(now[field], expected[field], "{field}: {now}");
    }
    let audit = app.get(&format!("/api/v1/customers/{c}/audit"), &t.staff).await.json();
    let applied = audit["items"].as_array().unwrap().iter().find(|e| e["action"] == "amendment.applied").unwrap().clone();
    let fields: Vec<&str> = applied["changes"].as_array().unwrap().iter().map(|ch| ch["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["email"], "only the e-mail address changed: {applied}");
}

async fn an_explicit_null_or_empty_string_clears_an_optional_field(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Contact, DIRECT, false)]).await;
    let c = with_two_phones(&app, &t).await;
    let r = app.post(&ss(c, "contact-data"), &t.partner, json!({ "phonePrivate": null })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let now = app.get(&ss(c, "contact-data"), &t.partner).await.json();
    assert_eq!(now.get("phonePrivate"), None, "{now}");
    assert_eq!((&now["email"], &now["phonePrivateMobile"]), (&json!("old@example.com"), &json!("+49 171 7654321")));

    let r = app.post(&ss(c, "contact-data"), &t.partner, json!({ "phonePrivateMobile": "" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let now = app.get(&ss(c, "contact-data"), &t.partner).await.json();
    assert_eq!(now.get("phonePrivateMobile"), None, "{now}");
    assert_eq!(now["email"], "old@example.com");
}

async fn the_review_diff_of_a_queued_partial_address_change_lists_only_the_changed_fields(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Address, VERIFY, false)]).await;
    let c = app.customer(&t).await;
    let id = app.submit(&t, c, "address-data", json!({ "city": "Potsdam", "zipCode": "14467", "door": "3" })).await;
    let v = app.get(&format!("/api/v1/amendments/{id}"), &t.staff).await.json();
    let mut changes: Vec<Value> = v["changes"].as_array().unwrap().clone();
    changes.sort_by_key(|ch| ch["field"].as_str().unwrap().to_owned());
    assert_eq!(
        changes,
        [
            json!({ "field": "city", "before": "Berlin", "after": "Potsdam" }),
            json!({ "field": "door", "before": null, "after": "3" }),
            json!({ "field": "zipCode", "before": "10115", "after": "14467" }),
        ],
        "{v}"
    );
    let mut expected = customer_body()["address"].clone();
    expected["city"] = json!("Potsdam");
    expected["zipCode"] = json!("14467");
    expected["door"] = json!("3");
    assert_eq!(v["amendment"]["proposed"], expected, "the proposal is the whole address with the change applied");
    assert_eq!(app.approve(&t, id).await.status, StatusCode::OK);
    let now = app.get(&ss(c, "address-data"), &t.partner).await.json();
    assert_eq!((&now["street"], &now["houseNumber"], &now["city"]), (&json!("Hauptstraße"), &json!("1"), &json!("Potsdam")));
}

async fn required_fields_may_be_left_out_only_when_the_customer_has_a_value(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Master, DIRECT, false), (DataDomain::Payment, DIRECT, false)]).await;
    let c = app.customer(&t).await;
    let r = app.post(&ss(c, "master-data"), &t.partner, json!({ "firstName": "Svenja" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["lastName"], "Hannawald", "{}", r.text());
    let r = app.post(&ss(c, "payment-data"), &t.partner, json!({ "bankName": "Deutsche Bank" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (r.json()["bankName"].as_str(), r.json()["accountHolder"].as_str()),
        (Some("Deutsche Bank"), Some("Sven Hannawald"))
    );
    let r = app.post(&ss(c, "master-data"), &t.partner, json!({ "lastName": null })).await;
    assert_eq!((r.status, r.json()["reference"].as_str()), (StatusCode::BAD_REQUEST, Some("lastName")), "{}", r.text());

    // A customer without master data must send every required field.
    let body = json!({ "contact": { "email": "a@example.com" },
        "address": { "street": "Hauptstraße", "zipCode": "10115", "city": "Berlin", "countryCode": "DE" } });
    let r = app.post("/api/v1/customers", &t.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let bare = r.json()["id"].as_i64().unwrap();
    let r = app.post(&ss(bare, "master-data"), &t.partner, json!({ "firstName": "Ada" })).await;
    assert_eq!((r.status, r.json()["reference"].as_str()), (StatusCode::BAD_REQUEST, Some("lastName")), "{}", r.text());
    let r = app.post(&ss(bare, "payment-data"), &t.partner, json!({ "bankName": "Deutsche Bank" })).await;
    assert_eq!((r.status, r.json()["reference"].as_str()), (StatusCode::BAD_REQUEST, Some("accountHolder")), "{}", r.text());
}

both_backends!(
    sending_only_a_new_email_keeps_both_phone_numbers,
    an_explicit_null_or_empty_string_clears_an_optional_field,
    the_review_diff_of_a_queued_partial_address_change_lists_only_the_changed_fields,
    required_fields_may_be_left_out_only_when_the_customer_has_a_value,
);
