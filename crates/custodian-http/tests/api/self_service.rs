//! The vendor self-service dialect: documented examples replayed, and every rule of the amendment
//! model as the vendor's clients see it.

use crate::helpers::*;
use axum::http::{Method, StatusCode};
use custodian_domain::DataDomain;
use serde_json::json;

async fn the_documented_email_change_applies_at_once_under_changes_without_verification(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Contact, DIRECT, false)]).await;
    let c = app.customer(&t).await;
    let before = app.get(&ss(c, "contact-data"), &t.partner).await;
    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(before.json()["amendmentConfigurationStatus"], "CHANGES_WITHOUT_VERIFICATION");
    assert_eq!(before.json()["email"], "old@example.com");

    let r = app.post(&ss(c, "contact-data"), &t.partner, contact_example()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let body = r.json();
    assert!(body["id"].as_i64().unwrap() > 0);
    for (field, value) in contact_example().as_object().unwrap() {
        assert_eq!(&body[field], value, "{field}");
    }

    let after = app.get(&ss(c, "contact-data"), &t.partner).await.json();
    assert_eq!(after["email"], "new-email@example.com");
    assert_eq!(after["phoneBusinessMobile"], "+49 00000000000");
    assert!(after.get("pendingAmendment").is_none(), "{after}");
}

async fn the_documented_address_change_is_queued_and_can_be_withdrawn(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Address, VERIFY, false)]).await;
    let c = app.customer(&t).await;
    let r = app.post(&ss(c, "address-data"), &t.partner, address_example()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.json()["city"], "Munich");

    let pending = app.get(&ss(c, "address-data"), &t.partner).await.json();
    assert_eq!(pending["amendmentConfigurationStatus"], "CHANGES_REQUIRE_VERIFICATION");
    assert_eq!(pending["city"], "Berlin", "the change is not applied before review");
    assert_eq!(pending["pendingAmendment"]["id"], id);
    assert_eq!(pending["pendingAmendment"]["street"], "Am Bahnhof");

    let d = app.delete(&format!("/v1/customers/{c}/self-service/amendment/{id}"), &t.partner).await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(d.body.is_empty(), "DELETE answers 200 with no body");
    let after = app.get(&ss(c, "address-data"), &t.partner).await.json();
    assert!(after.get("pendingAmendment").is_none(), "{after}");
    assert_eq!(after["city"], "Berlin");
}

async fn the_documented_payment_change_with_signature_is_accepted(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Payment, VERIFY, true)]).await;
    let c = app.customer(&t).await;
    let g = app.get(&ss(c, "payment-data"), &t.partner).await.json();
    assert_eq!(g["requireSignature"], true);
    let r = app.post(&ss(c, "payment-data"), &t.partner, payment_example()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let body = r.json();
    assert_eq!(body["iban"], "DE91 1000 0000 0123 4567 89");
    assert_eq!(body["bic"], "DEUTDEFFXXX");
    assert_eq!(body["accountHolder"], "Sven Hannawald");
    assert_eq!(body["bankName"], "Deutsche Bank");
    assert_eq!(body["requireSignature"], true);
    let g = app.get(&ss(c, "payment-data"), &t.partner).await.json();
    assert_eq!(g["pendingAmendment"]["id"], body["id"]);
    assert_eq!(g["pendingAmendment"]["requireSignature"], true);
}

async fn a_second_post_while_one_is_pending_is_409_naming_the_pending_amendment(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Address, VERIFY, false)]).await;
    let c = app.customer(&t).await;
    let first = app.post(&ss(c, "address-data"), &t.partner, address_example()).await.json()["id"].as_i64().unwrap();
    let r = app.post(&ss(c, "address-data"), &t.partner, address_example()).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let e = r.json();
    assert_eq!(e["errorCode"], "amendment.pending_exists");
    assert!(e["errorMessage"].as_str().unwrap().contains(&first.to_string()), "{e}");
    assert!(e["traceId"].as_str().is_some_and(|s| !s.is_empty()));
}

async fn a_post_to_a_read_domain_is_403_and_stores_nothing(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Master, READ, false)]).await;
    let c = app.customer(&t).await;
    let body = json!({ "firstName": "Svenja", "lastName": "Hannawald", "gender": "FEMALE", "dateOfBirth": "1974-11-09", "customerTitle": "DR" });
    let r = app.post(&ss(c, "master-data"), &t.partner, body).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(r.json()["errorCode"], "amendment.domain_read_only");
    let g = app.get(&ss(c, "master-data"), &t.partner).await.json();
    assert_eq!(g["amendmentConfigurationStatus"], "READ");
    assert_eq!(g["firstName"], "Sven");
    assert!(g.get("pendingAmendment").is_none());
    let all = app.get("/api/v1/amendments?state=any", &t.staff).await.json();
    assert_eq!(all["items"].as_array().unwrap().len(), 0, "nothing stored: {all}");
}

async fn a_payment_post_without_a_required_signature_is_400_referencing_the_signature(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Payment, VERIFY, true)]).await;
    let c = app.customer(&t).await;
    let mut body = payment_example();
    body.as_object_mut().unwrap().remove("signature");
    let r = app.post(&ss(c, "payment-data"), &t.partner, body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["reference"], "signature.base64SvgSignature");
}

async fn a_signature_that_is_not_an_svg_is_400_and_a_malicious_one_is_sanitised(app: TestApp) {
    use base64::Engine;
    let t = app.tenant(&[(DataDomain::Payment, VERIFY, true)]).await;
    let c = app.customer(&t).await;
    let mut body = payment_example();
    body["signature"]["base64SvgSignature"] = json!(base64::engine::general_purpose::STANDARD.encode("GIF89a not an svg"));
    let r = app.post(&ss(c, "payment-data"), &t.partner, body.clone()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["reference"], "signature.base64SvgSignature");

    let evil = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40" onload="alert(1)"><script>alert(2)</script><path d="M1 1 L 90 30" stroke="black"/></svg>"#;
    body["signature"]["base64SvgSignature"] = json!(base64::engine::general_purpose::STANDARD.encode(evil));
    let r = app.post(&ss(c, "payment-data"), &t.partner, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let svg = app.get(&format!("/api/v1/amendments/{id}/signature"), &t.staff).await;
    assert_eq!(svg.status, StatusCode::OK);
    assert_eq!(svg.headers["content-type"], "image/svg+xml");
    let text = svg.text();
    assert!(text.contains("<path"), "{text}");
    assert!(!text.contains("script") && !text.contains("onload"), "{text}");
}

async fn keys_without_the_needed_scope_get_403_and_bad_keys_401(app: TestApp) {
    let t = app.tenant(&[]).await;
    let c = app.customer(&t).await;
    let r = app.post(&ss(c, "contact-data"), &t.reader, contact_example()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["errorCode"], "auth.missing_scope");
    assert_eq!(app.get(&ss(c, "contact-data"), &t.staff).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&ss(c, "contact-data"), &t.reader).await.status, StatusCode::OK);
    let r = app.get(&ss(c, "contact-data"), "cus_wrong_key").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.json()["errorMessage"].as_str().unwrap().starts_with("Authentication failed"));
    assert_eq!(app.send(Method::GET, &ss(c, "contact-data"), None, None).await.status, StatusCode::UNAUTHORIZED);
}

async fn head_only_checks_the_key(app: TestApp) {
    let t = app.tenant(&[]).await;
    let ok = app.send(Method::HEAD, "/v1/customers/999999/self-service/contact-data", Some(&t.reader), None).await;
    assert_eq!(ok.status, StatusCode::OK, "resource existence is not checked");
    let bad = app.send(Method::HEAD, "/v1/customers/1/self-service/contact-data", Some("nope"), None).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.body.is_empty());
}

async fn withdrawing_a_decided_amendment_is_409(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Address, VERIFY, false), (DataDomain::Contact, DIRECT, false)]).await;
    let c = app.customer(&t).await;
    let id = app.post(&ss(c, "address-data"), &t.partner, address_example()).await.json()["id"].as_i64().unwrap();
    let a = app.post(&format!("/api/v1/amendments/{id}/approve"), &t.staff, json!({})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let r = app.delete(&format!("/v1/customers/{c}/self-service/amendment/{id}"), &t.partner).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json()["errorCode"], "amendment.not_pending");
    let applied = app.post(&ss(c, "contact-data"), &t.partner, contact_example()).await.json()["id"].as_i64().unwrap();
    let r = app.delete(&format!("/v1/customers/{c}/self-service/amendment/{applied}"), &t.partner).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a directly applied change cannot be withdrawn");
}

async fn another_customers_or_tenants_amendment_is_404(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Address, VERIFY, false)]).await;
    let other = app.tenant(&[(DataDomain::Address, VERIFY, false)]).await;
    let c1 = app.customer(&t).await;
    let c2 = app.customer(&t).await;
    let id = app.post(&ss(c1, "address-data"), &t.partner, address_example()).await.json()["id"].as_i64().unwrap();
    let r = app.delete(&format!("/v1/customers/{c2}/self-service/amendment/{id}"), &t.partner).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = app.delete(&format!("/v1/customers/{c1}/self-service/amendment/{id}"), &other.partner).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let g = app.get(&ss(c1, "address-data"), &t.partner).await.json();
    assert_eq!(g["pendingAmendment"]["id"], id, "still pending");
}

async fn a_key_of_tenant_a_gets_404_for_every_customer_and_amendment_of_tenant_b(app: TestApp) {
    let a = app.tenant(&[(DataDomain::Address, VERIFY, false)]).await;
    let b = app.tenant(&[(DataDomain::Address, VERIFY, false)]).await;
    let cb = app.customer(&b).await;
    let amendment = app.post(&ss(cb, "address-data"), &b.partner, address_example()).await.json()["id"].as_i64().unwrap();
    for domain in ["contact-data", "address-data", "master-data", "payment-data"] {
        assert_eq!(app.get(&ss(cb, domain), &a.partner).await.status, StatusCode::NOT_FOUND, "GET {domain}");
    }
    let bodies = [
        ("contact-data", contact_example()),
        ("address-data", address_example()),
        (
            "master-data",
            json!({ "firstName": "X", "lastName": "Y", "gender": "MALE", "dateOfBirth": "1990-01-01", "customerTitle": "NONE" }),
        ),
        ("payment-data", payment_example()),
    ];
    for (domain, body) in bodies {
        assert_eq!(app.post(&ss(cb, domain), &a.partner, body).await.status, StatusCode::NOT_FOUND, "POST {domain}");
    }
    let del = format!("/v1/customers/{cb}/self-service/amendment/{amendment}");
    assert_eq!(app.delete(&del, &a.partner).await.status, StatusCode::NOT_FOUND);
    for path in [
        format!("/api/v1/amendments/{amendment}"),
        format!("/api/v1/amendments/{amendment}/signature"),
        format!("/api/v1/customers/{cb}"),
        format!("/api/v1/customers/{cb}/audit"),
    ] {
        assert_eq!(app.get(&path, &a.admin).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    for action in ["approve", "reject"] {
        let r = app.post(&format!("/api/v1/amendments/{amendment}/{action}"), &a.staff, json!({ "reason": "no" })).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{action}");
    }
    let put = app.send(Method::PUT, &format!("/api/v1/customers/{cb}/contact"), Some(&a.admin), Some(contact_example())).await;
    assert_eq!(put.status, StatusCode::NOT_FOUND);
    let queue = app.get("/api/v1/amendments?state=any", &a.staff).await.json();
    assert_eq!(queue["items"].as_array().unwrap().len(), 0);
    let g = app.get(&ss(cb, "address-data"), &b.partner).await.json();
    assert_eq!(g["pendingAmendment"]["id"], amendment, "tenant B's amendment is untouched");
}

async fn invalid_values_are_400_with_the_field_as_reference(app: TestApp) {
    let t = app
        .tenant(&[
            (DataDomain::Contact, DIRECT, false),
            (DataDomain::Payment, VERIFY, false),
            (DataDomain::Master, VERIFY, false),
        ])
        .await;
    let c = app.customer(&t).await;
    let cases = [
        ("contact-data", json!({ "email": "not-an-email" }), "email"),
        ("contact-data", json!({ "phonePrivate": "call me maybe" }), "phonePrivate"),
        ("contact-data", json!({ "email": 42 }), "email"),
        ("address-data", json!({ "street": "A", "zipCode": "1", "city": "B", "countryCode": "XX" }), "countryCode"),
        ("address-data", json!({ "street": "A", "zipCode": null, "city": "B", "countryCode": "DE" }), "zipCode"),
        (
            "payment-data",
            json!({ "accountHolder": "A", "bankName": "B", "iban": "DE92 1000 0000 0123 4567 89", "bic": "DEUTDEFFXXX" }),
            "iban",
        ),
        (
            "payment-data",
            json!({ "accountHolder": "A", "bankName": "B", "iban": "DE91 1000 0000 0123 4567 89", "bic": "DEUT" }),
            "bic",
        ),
        (
            "master-data",
            json!({ "firstName": "A", "lastName": "B", "gender": "OTHER", "dateOfBirth": "1990-01-01", "customerTitle": "NONE" }),
            "gender",
        ),
        (
            "master-data",
            json!({ "firstName": "A", "lastName": "B", "gender": "MALE", "dateOfBirth": "1990-02-30", "customerTitle": "NONE" }),
            "dateOfBirth",
        ),
    ];
    for (domain, body, reference) in cases {
        let r = app.post(&ss(c, domain), &t.partner, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{domain} {body}: {}", r.text());
        assert_eq!(r.json()["reference"], reference, "{domain} {body}");
    }
    let r = app
        .raw(
            axum::http::Request::post(ss(c, "contact-data"))
                .header("X-API-KEY", &t.partner)
                .body(axum::body::Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["errorCode"], "request.malformed_json");
    assert_eq!(app.get("/v1/customers/abc/self-service/contact-data", &t.partner).await.json()["reference"], "customerId");
    let all = app.get("/api/v1/amendments?state=any", &t.staff).await.json();
    assert_eq!(all["items"].as_array().unwrap().len(), 0, "nothing stored: {all}");
}

async fn fifty_concurrent_posts_for_one_domain_give_one_200_and_forty_nine_409s(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Address, VERIFY, false)]).await;
    let c = app.customer(&t).await;
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (app, key) = (app.clone(), t.partner.clone());
        tasks.push(tokio::spawn(async move { app.post(&ss(c, "address-data"), &key, address_example()).await.status }));
    }
    let mut ok = 0;
    let mut conflict = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::CONFLICT => conflict += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((ok, conflict), (1, 49));
}

async fn approve_racing_withdraw_has_exactly_one_winner(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Address, VERIFY, false)]).await;
    let c = app.customer(&t).await;
    let app = std::sync::Arc::new(app);
    for _ in 0..5 {
        let id = app.post(&ss(c, "address-data"), &t.partner, address_example()).await.json()["id"].as_i64().unwrap();
        let (a1, a2) = (app.clone(), app.clone());
        let (staff, partner) = (t.staff.clone(), t.partner.clone());
        let approve =
            tokio::spawn(async move { a1.post(&format!("/api/v1/amendments/{id}/approve"), &staff, json!({})).await.status });
        let withdraw =
            tokio::spawn(
                async move { a2.delete(&format!("/v1/customers/{c}/self-service/amendment/{id}"), &partner).await.status },
            );
        let (s1, s2) = (approve.await.unwrap(), withdraw.await.unwrap());
        let statuses = [s1, s2];
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 1, "{statuses:?}");
        let state = app.get(&format!("/api/v1/amendments/{id}"), &t.staff).await.json()["amendment"]["state"].clone();
        assert_eq!(state, if s1 == StatusCode::OK { "approved" } else { "withdrawn" });
    }
}

async fn a_key_over_the_per_minute_limit_of_an_endpoint_gets_429_in_the_vendor_shape(mut app: TestApp) {
    let t = app.tenant(&[(DataDomain::Contact, DIRECT, false)]).await;
    let c = app.customer(&t).await;
    let minute = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() / 60;
    // A fresh limiter per attempt; an attempt that straddles a minute boundary is repeated.
    for _ in 0..3 {
        let settings = custodian_http::HttpSettings { rate_limit_per_minute: 3, ..Default::default() };
        app.router = custodian_http::router(custodian_http::AppState::new(app.services.clone(), settings));
        let start = minute();
        let mut statuses = Vec::new();
        for _ in 0..4 {
            statuses.push(app.get(&ss(c, "contact-data"), &t.partner).await);
        }
        let other_endpoint = app.get(&ss(c, "address-data"), &t.partner).await.status;
        let other_key = app.get(&ss(c, "contact-data"), &t.reader).await.status;
        if minute() != start {
            continue;
        }
        assert!(statuses[..3].iter().all(|r| r.status == StatusCode::OK));
        let limited = &statuses[3];
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.json()["errorMessage"], "Access denied - rate limit is exceeded.");
        assert_eq!(limited.json()["errorCode"], "rate_limit.exceeded");
        let wait: u64 = limited.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(other_endpoint, StatusCode::OK, "each endpoint has its own budget");
        assert_eq!(other_key, StatusCode::OK, "each key has its own budget");
        return;
    }
    panic!("three attempts straddled minute boundaries");
}

async fn a_forged_key_prefix_cannot_use_up_the_real_keys_budget_and_failures_have_their_own(app: TestApp) {
    use axum::extract::connect_info::MockConnectInfo;
    let t = app.tenant(&[(DataDomain::Contact, DIRECT, false)]).await;
    let c = app.customer(&t).await;
    let settings = custodian_http::HttpSettings { rate_limit_per_minute: 5, ..Default::default() };
    let addr = std::net::SocketAddr::from(([203, 0, 113, 7], 40_000));
    let router =
        custodian_http::router(custodian_http::AppState::new(app.services.clone(), settings)).layer(MockConnectInfo(addr));
    let forged = format!("cus_{}_{}", crate::helpers::key_prefix(&t.partner), "x".repeat(32));
    let send = |key: String| {
        let router = router.clone();
        async move {
            let req =
                axum::http::Request::get(ss(c, "contact-data")).header("X-API-KEY", key).body(axum::body::Body::empty()).unwrap();
            tower::ServiceExt::oneshot(router, req).await.unwrap()
        }
    };
    let mut statuses = std::collections::BTreeMap::new();
    let mut retry_after = None;
    for _ in 0..1001 {
        let r = send(forged.clone()).await;
        *statuses.entry(r.status().as_u16()).or_insert(0) += 1;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            retry_after = r.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
        }
    }
    assert_eq!(statuses, [(401, 5), (429, 996)].into(), "five failures per address and minute, then 429");
    assert!(retry_after.is_some_and(|w| (1..=60).contains(&w)), "{retry_after:?}");
    // The real key, from the same address, still has its whole budget.
    for i in 0..5 {
        assert_eq!(send(t.partner.clone()).await.status(), StatusCode::OK, "request {i} of the real key");
    }
}

both_backends!(
    a_forged_key_prefix_cannot_use_up_the_real_keys_budget_and_failures_have_their_own,
    the_documented_email_change_applies_at_once_under_changes_without_verification,
    the_documented_address_change_is_queued_and_can_be_withdrawn,
    the_documented_payment_change_with_signature_is_accepted,
    a_second_post_while_one_is_pending_is_409_naming_the_pending_amendment,
    a_post_to_a_read_domain_is_403_and_stores_nothing,
    a_payment_post_without_a_required_signature_is_400_referencing_the_signature,
    a_signature_that_is_not_an_svg_is_400_and_a_malicious_one_is_sanitised,
    keys_without_the_needed_scope_get_403_and_bad_keys_401,
    head_only_checks_the_key,
    withdrawing_a_decided_amendment_is_409,
    another_customers_or_tenants_amendment_is_404,
    a_key_of_tenant_a_gets_404_for_every_customer_and_amendment_of_tenant_b,
    invalid_values_are_400_with_the_field_as_reference,
    fifty_concurrent_posts_for_one_domain_give_one_200_and_forty_nine_409s,
    approve_racing_withdraw_has_exactly_one_winner,
    a_key_over_the_per_minute_limit_of_an_endpoint_gets_429_in_the_vendor_shape,
);
