//! Examples from the vendors' documents, replayed literally: what a vendor documents is accepted.

use crate::helpers::*;
use axum::http::{Method, StatusCode};
use custodian_domain::DataDomain;
use serde_json::json;

async fn the_gym_vendors_master_data_example_born_1815_12_10_is_accepted_and_a_future_date_is_not(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Master, DIRECT, false)]).await;
    let c = app.customer(&t).await;
    let documented = json!({
        "firstName": "Ada",
        "lastName": "Lovelace",
        "gender": "FEMALE",
        "dateOfBirth": "1815-12-10",
        "customerTitle": "NONE"
    });
    let r = app.post(&ss(c, "master-data"), &t.partner, documented).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["dateOfBirth"], "1815-12-10");
    let g = app.get(&ss(c, "master-data"), &t.partner).await.json();
    assert_eq!(g["dateOfBirth"], "1815-12-10", "{g}");

    let next_year = time::OffsetDateTime::now_utc().year() + 1;
    let future = json!({
        "firstName": "Ada",
        "lastName": "Lovelace",
        "gender": "FEMALE",
        "dateOfBirth": format!("{next_year}-01-01"),
        "customerTitle": "NONE"
    });
    let r = app.post(&ss(c, "master-data"), &t.partner, future).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["reference"], "dateOfBirth", "{}", r.text());
    let g = app.get(&ss(c, "master-data"), &t.partner).await.json();
    assert_eq!(g["dateOfBirth"], "1815-12-10", "{g}");
}

/// A partner root (made by an operator) with a key, and one sub-customer with one address in
/// `country`; the key and the sub-customer's id.
async fn partner_sub_customer(app: &TestApp, t: &Tenant, country: &str) -> (String, String) {
    use custodian_domain::Scope;
    use custodian_domain::hierarchy::CreateInput;
    let ctx = custodian_app::Context { tenant: t.id, actor: custodian_domain::Actor::system(), request_id: None };
    let input = CreateInput {
        status: Some("ACTIVE".into()),
        name: Some("Root".into()),
        currency: Some("EUR".into()),
        ..Default::default()
    };
    let root = app.services.hierarchy.create_root(&ctx, &input).await.unwrap();
    let key = app.services.hierarchy.create_key(t.id, root.uuid, vec![Scope::Partner], "partner-app").await.unwrap().secret;
    let body = json!({
        "status": "ACTIVE", "name": "Volvo", "currency": "SEK",
        "contact": [{ "role": "SELFCARE", "firstName": "Ada", "mobilePhoneNumber": "+46701234567", "emailAddress": "ada@example.com" }],
        "address": [{ "type": "MAILING", "street": "Gustav Adolfs torg", "buildingNumber": "1", "zipCode": "41120", "city": "Göteborg", "country": country }]
    });
    let r = app.post(&format!("/api/v2/customer/{}", root.uuid), &key, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    (key, r.json()["content"][0]["customerId"].as_str().unwrap().to_owned())
}

async fn partner_details(app: &TestApp, key: &str, uuid: &str) -> serde_json::Value {
    let r = app.get(&format!("/api/v2/customer/{uuid}"), key).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()["content"][0].clone()
}

async fn the_iot_vendors_country_name_is_accepted_shown_by_name_and_stored_as_a_code(app: TestApp) {
    let t = app.tenant(&[]).await;
    let (key, uuid) = partner_sub_customer(&app, &t, "Sweden").await;
    let d = partner_details(&app, &key, &uuid).await;
    assert_eq!(d["address"][0]["country"], "Sweden", "the vendor documents a country name: {d}");
    let id = app
        .services
        .hierarchy
        .customer_id(t.id, custodian_domain::hierarchy::CustomerUuid::parse(&uuid).unwrap())
        .await
        .unwrap()
        .0;
    let shared = app.get(&ss(id, "address-data"), &t.partner).await.json();
    assert_eq!(shared["countryCode"], "SE", "the other dialects show the code: {shared}");

    // Any letter case, and codes as before.
    let address = d["address"][0]["id"].as_str().unwrap().to_owned();
    for (sent, shown, code) in [("NORWAY", "Norway", "NO"), ("de", "Germany", "DE"), ("SE", "Sweden", "SE")] {
        let r = app
            .send(
                Method::PATCH,
                &format!("/api/v2/customer/{uuid}"),
                Some(&key),
                Some(json!({ "address": { "id": address, "country": sent } })),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{sent}: {}", r.text());
        assert_eq!(partner_details(&app, &key, &uuid).await["address"][0]["country"], shown, "{sent}");
        assert_eq!(app.get(&ss(id, "address-data"), &t.partner).await.json()["countryCode"], code, "{sent}");
    }
}

async fn an_empty_or_null_contact_or_address_list_is_refused_with_customer_1003_naming_it_and_changes_nothing(app: TestApp) {
    let t = app.tenant(&[]).await;
    let (key, uuid) = partner_sub_customer(&app, &t, "SE").await;
    let before = partner_details(&app, &key, &uuid).await;
    for (body, element) in [
        (json!({ "address": [] }), "address"),
        (json!({ "address": null }), "address"),
        (json!({ "contact": [] }), "contact"),
        (json!({ "contact": null }), "contact"),
        (json!({ "name": "Renamed", "address": [] }), "address"),
    ] {
        let r = app.send(Method::PATCH, &format!("/api/v2/customer/{uuid}"), Some(&key), Some(body.clone())).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text());
        let e = r.json();
        assert_eq!(e["errorCode"], "CUSTOMER_1003", "{body}: {e}");
        let message = e["errorMessage"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("Failed to update customer details: {element} cannot be removed as a whole")),
            "{body}: {message}"
        );
        assert_eq!((&e["content"], &e["pageable"]), (&json!(""), &json!("")), "{e}");
    }
    assert_eq!(partner_details(&app, &key, &uuid).await, before, "nothing changed");
}

both_backends!(
    the_gym_vendors_master_data_example_born_1815_12_10_is_accepted_and_a_future_date_is_not,
    the_iot_vendors_country_name_is_accepted_shown_by_name_and_stored_as_a_code,
    an_empty_or_null_contact_or_address_list_is_refused_with_customer_1003_naming_it_and_changes_nothing,
);
