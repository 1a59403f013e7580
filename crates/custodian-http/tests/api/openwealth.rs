//! The OpenWealth customer-management dialect as a bLink service user sees it: every documented
//! operation replayed, consent scoping, paging, the headers and the problem+json errors, the
//! native consents and wealth-profile API, and changes crossing to and from the self-service
//! dialect.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use custodian_domain::{DataDomain, Scope};
use serde_json::{Value, json};

/// The correlation id of OW121's example.
const CORRELATION: &str = "f058ebd6-02f7-4d3f-942e-904344e8cde5";
const OW: &str = "/openwealth";

/// A tenant whose customer is a wealth-management customer that granted the service user consent.
struct Wealth {
    t: Tenant,
    /// The service user's bearer token (scope WEALTH_SERVICE_USER).
    token: String,
    customer: i64,
    /// The customer's primary person.
    primary: String,
}

/// OW121's KYC example, every field set.
fn kyc_example() -> Value {
    json!({
        "nonFinancialSituation": { "profession": "Philantropist", "employingCompany": "Stark Industries", "educationLevel": "University",
            "function": "CEO", "typeOfEmployment": "employed", "riskDomicile": "CH", "reasonForDomiciliaryCompany": "Wealth management",
            "sector": "Energy supply", "numberOfEmployees": 250, "dateOfIncorporation": "2018-04-13", "companyPurpose": "Provide sustainable energy",
            "structureControllingPerson": "Anthony Stark (75%), Piper Potts (25%)", "structureBeneficialOwners": "Anthony Stark (100%)",
            "reasonForTrust": "Succession Planning", "revocability": true, "resettled": false, "merged": false, "beneficialOwner": "Max Muster",
            "beneficiary": "Peter Parker", "protector": "Stark Industries", "dateOfTrustContract": "2018-04-13" },
        "financialSituation": { "incomeCurrentPeriod": { "currency": "CHF", "amount": "100000" }, "sourceOfIncome": "income",
            "annualTurnover": { "currency": "CHF", "amount": "200000" }, "monetaryWealth": { "currency": "CHF", "amount": "1000000" },
            "sourceOfWealth": [{ "sourceOfWealth": "inheritance", "currency": "CHF", "amount": "25000000", "dateOfReceipt": "2018-04-13",
                "originator": { "name": "Howard Stark", "relationToCustomer": "Relatives", "occupation": "Technology Provider" } }],
            "priorBank": { "namePriorBank": "Zürcher Privatbank", "domicilePriorBank": "CH" } }
    })
}

/// The wealth profile of the fixture customer (whose master data is Sven Hannawald's).
fn profile_body() -> Value {
    json!({
        "status": "active", "externalReference": "123-456-787", "name": "Steve Rogers", "referenceCurrency": "CHF", "openingDate": "2018-04-13",
        "primaryPerson": { "externalReference": "987-654-321", "countryOfDomicile": "DE", "language": "German", "taxDomicile": ["DE"],
            "personType": "naturalPerson", "personDetails": { "personType": "naturalPerson", "middleName": "Edward", "title": "PhD",
                "nationality": ["DE"], "civilStatus": "married", "TIN": "123-12-1234" } },
        "kyc": kyc_example()
    })
}

/// OW121's address example (the Stark Mansion in Malibu), as a PUT of `number`.
fn mansion(number: i64) -> Value {
    json!({ "addressIdentification": number, "addressName": "Stark Mansion", "isMailingAddress": true, "mailingInstruction": "MainDispatch",
        "dispatchType": "postal", "language": "German", "postalAddress": {
        "salutation": { "receptionRestriction": "confidential", "salutation": "Mr.", "title": "PhD", "overrideSalutation": "Dear Ironman" },
        "name": { "organisationName": "Strak Industries", "givenName": "Anthony", "middleName": "Edward", "lastName": "Stark", "nameSuffix": "jr." },
        "physicalAddress": { "careOf": "Piper Potts", "toTheAttentionOf": "Jarvis", "streetName": "Malibu Point", "buildingNumber": "10880",
            "postBox": "12", "addressSuffix": "Appartment 1", "postCode": "90265", "townName": "Malibu", "countrySubDivision": "CA", "country": "US" } } })
}

/// A request to the wealth-management API with the correlation id and, when given, the token.
async fn ow(app: &TestApp, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Response {
    let mut req = Request::builder().method(method).uri(format!("{OW}{path}")).header("X-Correlation-ID", CORRELATION);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
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

async fn ow_get(app: &TestApp, path: &str, token: &str) -> Response {
    let r = ow(app, Method::GET, path, Some(token), None).await;
    assert_eq!(r.headers.get("x-correlation-id").and_then(|v| v.to_str().ok()), Some(CORRELATION), "echoed: {path}");
    r
}

/// Asserts a vendor problem: status, `/problems/…` type, the request path as instance, the
/// echoed correlation id and `Content-Language: en`; returns the body.
fn assert_ow_problem(r: &Response, status: StatusCode, problem: &str, instance: &str) -> Value {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.headers["content-type"], "application/problem+json", "{}", r.text());
    assert_eq!(r.headers["content-language"], "en");
    let body = r.json();
    assert_eq!(body["type"], format!("/problems/{problem}"), "{body}");
    assert_eq!(body["instance"], instance, "{body}");
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
    assert!(body["detail"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
    body
}

async fn service_user(app: &TestApp, t: &Tenant) -> String {
    app.services.keys.create(t.id, vec![Scope::WealthServiceUser], "wealthtech").await.unwrap().secret
}

async fn save_profile(app: &TestApp, t: &Tenant, customer: i64, body: Value) -> Value {
    let r = app.put(&format!("/api/v1/customers/{customer}/wealth-profile"), &t.admin, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

async fn grant(app: &TestApp, t: &Tenant, customer: i64, token: &str) -> i64 {
    let r = app.post("/api/v1/consents", &t.admin, json!({ "customerId": customer, "serviceUser": key_prefix(token) })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_i64().unwrap()
}

/// A wealth-management customer (the fixture customer with `profile_body`) with consent for a new
/// service user; contact changes apply at once.
async fn wealth(app: &TestApp) -> Wealth {
    let t = app.tenant(&[(DataDomain::Contact, DIRECT, false), (DataDomain::Address, VERIFY, false)]).await;
    let token = service_user(app, &t).await;
    let customer = app.customer(&t).await;
    let profile = save_profile(app, &t, customer, profile_body()).await;
    grant(app, &t, customer, &token).await;
    let primary = profile["primaryPerson"]["personIdentification"].as_str().unwrap().to_owned();
    Wealth { t, token, customer, primary }
}

async fn another_wealth_customer(app: &TestApp, w: &Wealth) -> i64 {
    let c = app.customer(&w.t).await;
    save_profile(app, &w.t, c, profile_body()).await;
    c
}

// ---- customers ----

async fn a_service_user_lists_exactly_the_customers_that_granted_it_consent(app: TestApp) {
    let w = wealth(&app).await;
    let without_consent = another_wealth_customer(&app, &w).await;
    let without_profile = app.customer(&w.t).await;
    grant(&app, &w.t, without_profile, &w.token).await;

    let r = ow_get(&app, "/customers", &w.token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers["nextcursor"], "", "an empty nextCursor: no more results");
    let c = w.customer.to_string();
    assert_eq!(
        r.json(),
        json!([{ "customerIdentification": c, "externalReference": "123-456-787", "name": "Steve Rogers", "status": "active",
            "referenceCurrency": "CHF", "openingDate": "2018-04-13",
            "personList": [{ "personRelation": "accountOwner", "personIdentification": w.primary }],
            "addressList": [{ "addressIdentification": 1 }] }])
    );

    let one = ow_get(&app, &format!("/customers/{c}"), &w.token).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json(), r.json()[0]);
    for other in [without_consent, without_profile, 9999] {
        let path = format!("/customers/{other}");
        let r = ow_get(&app, &path, &w.token).await;
        let e = assert_ow_problem(&r, StatusCode::NOT_FOUND, "INSUFFICIENT_PRIVILEGES", &format!("{OW}{path}"));
        assert_eq!(e["detail"], format!("customer {other} does not exist or the token does not grant access to it"));
    }
    let r = ow_get(&app, "/customers/not-a-number", &w.token).await;
    assert_ow_problem(&r, StatusCode::NOT_FOUND, "INSUFFICIENT_PRIVILEGES", "/openwealth/customers/not-a-number");
}

async fn a_revoked_consent_hides_the_customer_and_its_persons_again(app: TestApp) {
    let t = app.tenant(&[]).await;
    let token = service_user(&app, &t).await;
    let c = app.customer(&t).await;
    let primary =
        save_profile(&app, &t, c, profile_body()).await["primaryPerson"]["personIdentification"].as_str().unwrap().to_owned();
    let consent = grant(&app, &t, c, &token).await;
    assert_eq!(ow_get(&app, &format!("/persons/{primary}"), &token).await.status, StatusCode::OK);

    let r = app.delete(&format!("/api/v1/consents/{consent}"), &t.admin).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(ow_get(&app, "/customers", &token).await.json(), json!([]));
    assert_eq!(ow_get(&app, "/persons", &token).await.json(), json!([]));
    assert_eq!(ow_get(&app, &format!("/customers/{c}"), &token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(ow_get(&app, &format!("/persons/{primary}"), &token).await.status, StatusCode::NOT_FOUND);
    let put = ow(&app, Method::PUT, &format!("/customers/{c}/addresses"), Some(&token), Some(mansion(1))).await;
    assert_eq!(put.status, StatusCode::NOT_FOUND, "no consent, no change: {}", put.text());
    assert_eq!(app.get(&ss(c, "address-data"), &t.partner).await.json()["city"], "Berlin");
}

async fn customers_are_paged_by_cursor_and_limit_with_the_next_cursor_header(app: TestApp) {
    let w = wealth(&app).await;
    let mut ids = vec![w.customer];
    for _ in 0..2 {
        let c = another_wealth_customer(&app, &w).await;
        grant(&app, &w.t, c, &w.token).await;
        ids.push(c);
    }
    let ident = |page: &Value| -> Vec<i64> {
        page.as_array().unwrap().iter().map(|c| c["customerIdentification"].as_str().unwrap().parse().unwrap()).collect()
    };
    let first = ow_get(&app, "/customers?limit=2", &w.token).await;
    assert_eq!(ident(&first.json()), ids[..2]);
    let cursor = first.headers["nextcursor"].to_str().unwrap().to_owned();
    assert!(!cursor.is_empty());
    let second = ow_get(&app, &format!("/customers?limit=2&cursor={cursor}"), &w.token).await;
    assert_eq!(ident(&second.json()), ids[2..]);
    assert_eq!(second.headers["nextcursor"], "");

    let r = ow_get(&app, "/customers?limit=0", &w.token).await;
    let e = assert_ow_problem(&r, StatusCode::BAD_REQUEST, "INVALID_PAYLOAD", "/openwealth/customers");
    assert_eq!(e["detail"], "limit must be at least 1, not 0");
    let r = ow_get(&app, "/customers?cursor=nonsense", &w.token).await;
    assert_ow_problem(&r, StatusCode::BAD_REQUEST, "INVALID_PAYLOAD", "/openwealth/customers");
    let r = ow_get(&app, "/customers?limit=many", &w.token).await;
    assert_ow_problem(&r, StatusCode::BAD_REQUEST, "INVALID_PAYLOAD", "/openwealth/customers");
}

async fn the_kyc_record_comes_with_its_customer(app: TestApp) {
    let w = wealth(&app).await;
    let r = ow_get(&app, &format!("/customers/{}/kyc", w.customer), &w.token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let body = r.json();
    assert_eq!(body["kyc"], kyc_example());
    assert_eq!(body["customer"]["customerIdentification"], w.customer.to_string());
    assert_eq!(body["customer"]["status"], "active");
}

// ---- persons ----

async fn the_primary_person_shows_the_customers_master_and_contact_data(app: TestApp) {
    let w = wealth(&app).await;
    let r = ow_get(&app, &format!("/persons/{}", w.primary), &w.token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({
            "personIdentification": w.primary, "externalReference": "987-654-321",
            "customerList": [{ "customerIdentification": w.customer.to_string() }],
            "fullName": "Sven Edward Hannawald", "countryOfDomicile": "DE", "language": "German",
            "contactInformation": [
                { "contactIdentification": "email", "medium": "email", "contactMediumType": "private", "contactContent": "old@example.com" },
                { "contactIdentification": "phonePrivate", "medium": "phone", "contactMediumType": "private", "contactContent": "+49 30 1234567" }
            ],
            "personType": "naturalPerson",
            "personDetails": { "personType": "naturalPerson", "givenName": "Sven", "middleName": "Edward", "lastName": "Hannawald",
                "title": "PhD", "dates": [{ "date": "1974-11-09", "dateType": "birthDate" }], "gender": "male", "nationality": ["DE"],
                "civilStatus": "married", "TIN": "123-12-1234" },
            "taxDomicile": ["DE"]
        })
    );
    let contacts = ow_get(&app, &format!("/persons/{}/contactdetails", w.primary), &w.token).await;
    assert_eq!(contacts.status, StatusCode::OK);
    assert_eq!(contacts.json(), r.json()["contactInformation"]);
}

async fn persons_of_all_five_types_are_listed_and_paged(app: TestApp) {
    let w = wealth(&app).await;
    let others = [
        (
            "beneficialOwner",
            json!({ "personType": "legalPerson", "organisationName": "Stark Industries", "legalForm": "AG",
            "LEI": "529900UVM8LC55IFAA52", "domicilaryCompany": false }),
        ),
        (
            "authorisedSignatory",
            json!({ "personType": "personAssociation", "personAssociationName": "Anthony Stark a/o Piper Potts",
            "personAssociationType": "compteJoint" }),
        ),
        ("other", json!({ "personType": "trust", "trustName": "Spiderman Trust", "trustType": "simpleTrust" })),
        ("assetManager", json!({ "personType": "soleProprietorship", "soleProprietorshipName": "Anthony Stark" })),
    ];
    let mut ids = vec![w.primary.clone()];
    for (relation, details) in &others {
        let body = json!({ "personRelation": relation, "person": { "language": "English", "personDetails": details } });
        let r = app.post(&format!("/api/v1/customers/{}/persons", w.customer), &w.t.admin, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        ids.push(r.json()["personIdentification"].as_str().unwrap().to_owned());
    }

    let customer = ow_get(&app, &format!("/customers/{}", w.customer), &w.token).await.json();
    let relations: Vec<(String, String)> = customer["personList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["personIdentification"].as_str().unwrap().to_owned(), p["personRelation"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(relations.len(), 5);
    assert_eq!(relations[0], (ids[0].clone(), "accountOwner".to_owned()));
    assert_eq!(relations[3], (ids[3].clone(), "other".to_owned()));

    let page = ow_get(&app, "/persons?limit=3", &w.token).await;
    let first: Vec<Value> = page.json().as_array().unwrap().clone();
    let cursor = page.headers["nextcursor"].to_str().unwrap().to_owned();
    let rest = ow_get(&app, &format!("/persons?limit=3&cursor={cursor}"), &w.token).await;
    assert_eq!(rest.headers["nextcursor"], "");
    let all: Vec<Value> = first.into_iter().chain(rest.json().as_array().unwrap().clone()).collect();
    let listed: Vec<&str> = all.iter().map(|p| p["personIdentification"].as_str().unwrap()).collect();
    assert_eq!(listed, ids.iter().map(String::as_str).collect::<Vec<_>>());
    let types: Vec<&str> = all.iter().map(|p| p["personType"].as_str().unwrap()).collect();
    assert_eq!(types, ["naturalPerson", "legalPerson", "personAssociation", "trust", "soleProprietorship"]);
    for (p, (_, details)) in all[1..].iter().zip(&others) {
        assert_eq!(&p["personDetails"], details, "the details of each type come back as given");
        assert_eq!(p["customerList"], json!([{ "customerIdentification": w.customer.to_string() }]));
        assert_eq!(p["language"], "English");
    }
    assert_eq!(all[1]["fullName"], "Stark Industries");
    assert_eq!(all[3]["fullName"], "Spiderman Trust");

    let trust = ow_get(&app, &format!("/persons/{}", ids[3]), &w.token).await;
    assert_eq!(trust.json(), all[3]);
    let r = ow_get(&app, "/persons/424242", &w.token).await;
    assert_ow_problem(&r, StatusCode::NOT_FOUND, "INSUFFICIENT_PRIVILEGES", "/openwealth/persons/424242");
}

async fn a_person_related_to_two_customers_lists_only_those_the_service_user_sees(app: TestApp) {
    let w = wealth(&app).await;
    let other = another_wealth_customer(&app, &w).await;
    let body = json!({ "personRelation": "assetManager", "person": { "personDetails": { "personType": "naturalPerson", "givenName": "Pepper", "lastName": "Potts" } } });
    let r = app.post(&format!("/api/v1/customers/{}/persons", w.customer), &w.t.admin, body).await;
    let manager = r.json()["personIdentification"].as_str().unwrap().to_owned();
    let link = json!({ "personRelation": "assetManager", "personIdentification": manager });
    let r = app.post(&format!("/api/v1/customers/{other}/persons"), &w.t.admin, link.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let again = app.post(&format!("/api/v1/customers/{other}/persons"), &w.t.admin, link).await;
    assert_problem(&again, StatusCode::CONFLICT, "person.already_related");

    let p = ow_get(&app, &format!("/persons/{manager}"), &w.token).await.json();
    assert_eq!(p["customerList"], json!([{ "customerIdentification": w.customer.to_string() }]), "not the unconsented customer");
    assert_eq!(p["fullName"], "Pepper Potts");
    grant(&app, &w.t, other, &w.token).await;
    let p = ow_get(&app, &format!("/persons/{manager}"), &w.token).await.json();
    assert_eq!(
        p["customerList"],
        json!([{ "customerIdentification": w.customer.to_string() }, { "customerIdentification": other.to_string() }])
    );
}

// ---- contact details ----

async fn a_new_contact_detail_of_the_primary_person_fills_empty_contact_data_or_is_kept_as_additional(app: TestApp) {
    let w = wealth(&app).await;
    let path = format!("/persons/{}/contactdetails", w.primary);
    // OW121's example: a business phone with additional information → an additional contact detail.
    let prio = json!({ "medium": "phone", "contactMediumType": "business", "contactContent": "0041998887766",
        "additionalContactInformation": "Prio 1 Phone Number" });
    let r = ow(&app, Method::POST, &path, Some(&w.token), Some(prio.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.headers["x-correlation-id"], CORRELATION);
    let created = r.json();
    let id = created["contactIdentification"].as_str().unwrap().to_owned();
    assert!(id.parse::<i64>().is_ok(), "a stored contact detail has a numeric id: {id}");
    let mut expected = prio.clone();
    expected["contactIdentification"] = json!(id);
    assert_eq!(created, expected);

    // A second e-mail address is additional; a business mobile fills the empty contact field.
    let email = json!({ "medium": "email", "contactMediumType": "private", "contactContent": "tony@example.com" });
    let r = ow(&app, Method::POST, &path, Some(&w.token), Some(email)).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_ne!(r.json()["contactIdentification"], "email");
    let mobile = json!({ "medium": "phone", "contactMediumType": "business", "contactContent": "+41 79 888 77 66",
        "additionalContactInformation": "mobile" });
    let r = ow(&app, Method::POST, &path, Some(&w.token), Some(mobile)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["contactIdentification"], "phoneBusinessMobile");

    let ss_contact = app.get(&ss(w.customer, "contact-data"), &w.t.partner).await.json();
    assert_eq!(ss_contact["phoneBusinessMobile"], "+41 79 888 77 66", "the self-service dialect sees it");
    assert_eq!(ss_contact["email"], "old@example.com");
    let listed = ow_get(&app, &path, &w.token).await.json();
    let ids: Vec<&str> = listed.as_array().unwrap().iter().map(|c| c["contactIdentification"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 5);
    assert_eq!(ids[..3], ["email", "phonePrivate", "phoneBusinessMobile"]);

    let audit = app.get(&format!("/api/v1/customers/{}/audit", w.customer), &w.t.admin).await.json();
    let entries = audit["items"].as_array().unwrap();
    let updated =
        entries.iter().find(|e| e["action"] == "customer.updated" && e["domain"] == "contact").expect("a contact change");
    assert_eq!(updated["actor"], format!("api_key:{}", key_prefix(&w.token)));
    assert_eq!(updated["changes"], json!([{ "field": "phoneBusinessMobile", "before": null, "after": "+41 79 888 77 66" }]));
    assert_eq!(entries.iter().filter(|e| e["action"] == "wealth.contact_detail.added").count(), 2);
    let events = app.services.store.list_events(w.t.id, custodian_domain::CustomerId(w.customer)).await.unwrap();
    assert!(events.iter().any(|e| e.event_type == "customer.updated" && e.payload["domain"] == "contact"), "announced");
}

async fn a_contact_detail_that_does_not_fit_its_medium_is_refused_naming_the_field(app: TestApp) {
    let w = wealth(&app).await;
    let path = format!("/persons/{}/contactdetails", w.primary);
    let cases = [
        (json!({ "medium": "email", "contactContent": "not-an-address" }), "contactContent"),
        (json!({ "medium": "pigeon", "contactContent": "x" }), "medium"),
        (json!({ "medium": "phone" }), "contactContent"),
        (json!({ "medium": "website", "contactContent": "x".repeat(71) }), "contactContent"),
    ];
    for (body, field) in cases {
        let r = ow(&app, Method::POST, &path, Some(&w.token), Some(body.clone())).await;
        let e = assert_ow_problem(&r, StatusCode::BAD_REQUEST, "INVALID_PAYLOAD", &format!("{OW}{path}"));
        assert!(e["detail"].as_str().unwrap().starts_with(field), "{body} → {e}");
    }
    assert_eq!(ow_get(&app, &path, &w.token).await.json().as_array().unwrap().len(), 2, "nothing was added");
    let r = ow(
        &app,
        Method::POST,
        "/persons/9999/contactdetails",
        Some(&w.token),
        Some(json!({ "medium": "fax", "contactContent": "0041998887766" })),
    )
    .await;
    assert_ow_problem(&r, StatusCode::NOT_FOUND, "INSUFFICIENT_PRIVILEGES", "/openwealth/persons/9999/contactdetails");
}

async fn contact_data_changed_through_self_service_is_read_back_here(app: TestApp) {
    let w = wealth(&app).await;
    let r = app.post(&ss(w.customer, "contact-data"), &w.t.partner, contact_example()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let contacts = ow_get(&app, &format!("/persons/{}/contactdetails", w.primary), &w.token).await.json();
    assert_eq!(
        contacts,
        json!([
            { "contactIdentification": "email", "medium": "email", "contactMediumType": "private", "contactContent": "new-email@example.com" },
            { "contactIdentification": "phonePrivate", "medium": "phone", "contactMediumType": "private", "contactContent": "+49 00000000" },
            { "contactIdentification": "phonePrivateMobile", "medium": "phone", "contactMediumType": "private", "contactContent": "+49 00000000000",
              "additionalContactInformation": "mobile" },
            { "contactIdentification": "phoneBusiness", "medium": "phone", "contactMediumType": "business", "contactContent": "+49 00000000" },
            { "contactIdentification": "phoneBusinessMobile", "medium": "phone", "contactMediumType": "business", "contactContent": "+49 00000000000",
              "additionalContactInformation": "mobile" }
        ])
    );
}

// ---- addresses ----

async fn the_domicile_address_is_the_customers_address_data(app: TestApp) {
    let w = wealth(&app).await;
    let r = ow_get(&app, &format!("/customers/{}/addresses", w.customer), &w.token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({ "addressIdentification": 1, "isDomicile": true, "isMailingAddress": true, "dispatchType": "postal",
            "postalAddress": { "physicalAddress": { "streetName": "Hauptstraße", "buildingNumber": "1", "postCode": "10115",
                "townName": "Berlin", "country": "DE" } } })
    );
    let singular = ow_get(&app, &format!("/customer/{}/addresses", w.customer), &w.token).await;
    assert_eq!(singular.json(), r.json(), "the singular path of the bLink overview is the same resource");
}

async fn an_address_changed_here_is_read_through_the_self_service_api(app: TestApp) {
    let w = wealth(&app).await;
    let path = format!("/customers/{}/addresses", w.customer);
    let r = ow(&app, Method::PUT, &path, Some(&w.token), Some(mansion(1))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert!(r.body.is_empty());
    assert_eq!(r.headers["x-correlation-id"], CORRELATION);

    let ss_address = app.get(&ss(w.customer, "address-data"), &w.t.partner).await.json();
    assert_eq!(ss_address["street"], "Malibu Point");
    assert_eq!(ss_address["houseNumber"], "10880");
    assert_eq!(ss_address["zipCode"], "90265");
    assert_eq!(ss_address["city"], "Malibu");
    assert_eq!(ss_address["countryCode"], "US");
    assert_eq!(ss_address["province"], "CA");
    assert_eq!(ss_address["additionalAddressInformation"], "Appartment 1");
    assert!(ss_address.get("pendingAmendment").is_none(), "a service user's change is not an amendment: {ss_address}");

    let mut expected = mansion(1);
    expected["isDomicile"] = json!(true);
    assert_eq!(ow_get(&app, &path, &w.token).await.json(), expected, "every field comes back");

    let audit = app.get(&format!("/api/v1/customers/{}/audit", w.customer), &w.t.admin).await.json();
    let entries = audit["items"].as_array().unwrap();
    let updated =
        entries.iter().find(|e| e["action"] == "customer.updated" && e["domain"] == "address").expect("an address change");
    assert!(
        updated["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "city" && c["before"] == "Berlin" && c["after"] == "Malibu")
    );
    assert!(entries.iter().any(|e| e["action"] == "wealth.address.updated"));
    let events = app.services.store.list_events(w.t.id, custodian_domain::CustomerId(w.customer)).await.unwrap();
    assert!(events.iter().any(|e| e.event_type == "customer.updated" && e.payload["domain"] == "address"));

    // Through self-service (reviewed, then approved; `null` clears the region), and back here.
    let mut moved = address_example();
    moved["province"] = Value::Null;
    moved["provinceCode"] = Value::Null;
    let id = app.submit(&w.t, w.customer, "address-data", moved).await;
    assert_eq!(app.approve(&w.t, id).await.status, StatusCode::OK);
    let back = ow_get(&app, &path, &w.token).await.json();
    let phys = &back["postalAddress"]["physicalAddress"];
    assert_eq!(
        (phys["streetName"].as_str(), phys["townName"].as_str(), phys["postCode"].as_str()),
        (Some("Am Bahnhof"), Some("Munich"), Some("12133"))
    );
    assert_eq!(phys["careOf"], "Piper Potts", "what only this model holds stays");
    assert!(phys.get("countrySubDivision").is_none());
}

async fn a_new_address_gets_the_next_number_and_can_be_replaced_on_the_singular_path(app: TestApp) {
    let w = wealth(&app).await;
    let c = w.customer;
    let new = json!({ "addressName": "Stark Tower", "mailingInstruction": "MainDispatch",
        "postalAddress": { "physicalAddress": { "streetName": "Park Avenue", "buildingNumber": "200", "postCode": "10166", "townName": "New York", "country": "US" } } });
    let r = ow(&app, Method::POST, &format!("/customers/{c}/addresses"), Some(&w.token), Some(new.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json(), json!({ "addressIdentification": "2" }), "the id is a string, as the vendor returns it");
    let r = ow(&app, Method::POST, &format!("/customer/{c}/addresses"), Some(&w.token), Some(new)).await;
    assert_eq!(r.json(), json!({ "addressIdentification": "3" }));
    assert_eq!(app.get(&ss(c, "address-data"), &w.t.partner).await.json()["city"], "Berlin", "the domicile is unchanged");

    let customer = ow_get(&app, &format!("/customers/{c}"), &w.token).await.json();
    assert_eq!(
        customer["addressList"],
        json!([{ "addressIdentification": 1 }, { "addressIdentification": 2 }, { "addressIdentification": 3 }])
    );
    let two = ow_get(&app, &format!("/customers/{c}/addresses?addressIdentification=2"), &w.token).await.json();
    assert_eq!(two["isDomicile"], false);
    assert_eq!(two["dispatchType"], "postal");
    assert_eq!(two["addressName"], "Stark Tower");
    assert_eq!(two["postalAddress"]["physicalAddress"]["townName"], "New York");

    // The id may come back as the string POST returned.
    let mut put = mansion(2);
    put["addressIdentification"] = json!("2");
    put["dispatchType"] = json!("electronical");
    let r = ow(&app, Method::PUT, &format!("/customer/{c}/addresses"), Some(&w.token), Some(put)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let two = ow_get(&app, &format!("/customer/{c}/addresses?addressIdentification=2"), &w.token).await.json();
    assert_eq!(two["dispatchType"], "electronical");
    assert_eq!(two["postalAddress"]["physicalAddress"]["townName"], "Malibu");
    assert_eq!(app.get(&ss(c, "address-data"), &w.t.partner).await.json()["city"], "Berlin");

    let r = ow(&app, Method::PUT, &format!("/customers/{c}/addresses"), Some(&w.token), Some(mansion(9))).await;
    let e = assert_ow_problem(&r, StatusCode::NOT_FOUND, "RESOURCE_DOES_NOT_EXIST", &format!("{OW}/customers/{c}/addresses"));
    assert_eq!(e["detail"], format!("customer {c} has no address 9"));
    let r = ow_get(&app, &format!("/customers/{c}/addresses?addressIdentification=7"), &w.token).await;
    assert_ow_problem(&r, StatusCode::NOT_FOUND, "RESOURCE_DOES_NOT_EXIST", &format!("{OW}/customers/{c}/addresses"));
}

async fn an_invalid_address_change_is_refused_and_writes_nothing(app: TestApp) {
    let w = wealth(&app).await;
    let path = format!("/customers/{}/addresses", w.customer);
    let mut no_post_code = mansion(1);
    no_post_code["postalAddress"]["physicalAddress"].as_object_mut().unwrap().remove("postCode");
    let mut not_domicile = mansion(1);
    not_domicile["isDomicile"] = json!(false);
    let mut bad_country = mansion(1);
    bad_country["postalAddress"]["physicalAddress"]["country"] = json!("Switzerland");
    let mut no_dispatch = mansion(1);
    no_dispatch.as_object_mut().unwrap().remove("dispatchType");
    let mut long_name = mansion(1);
    long_name["addressName"] = json!("x".repeat(71));
    let cases = [
        (no_post_code, "postalAddress.physicalAddress.postCode is required for the domicile address"),
        (not_domicile, "isDomicile address 1 is the customer's domicile address"),
        (bad_country, "postalAddress.physicalAddress.country is not an ISO 3166-1 alpha-2 country code"),
        (no_dispatch, "dispatchType is required"),
        (long_name, "addressName"),
    ];
    for (body, detail) in cases {
        let r = ow(&app, Method::PUT, &path, Some(&w.token), Some(body)).await;
        let e = assert_ow_problem(&r, StatusCode::BAD_REQUEST, "INVALID_PAYLOAD", &format!("{OW}{path}"));
        assert!(e["detail"].as_str().unwrap().starts_with(detail), "{detail} → {e}");
    }
    let r = ow(&app, Method::POST, &path, Some(&w.token), None).await;
    assert_ow_problem(&r, StatusCode::BAD_REQUEST, "INVALID_PAYLOAD", &format!("{OW}{path}"));
    let mut two = mansion(2);
    two["isDomicile"] = json!(true);
    let r = ow(&app, Method::POST, &path, Some(&w.token), Some(json!({ "addressName": "Second" }))).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = ow(&app, Method::PUT, &path, Some(&w.token), Some(two)).await;
    assert_ow_problem(&r, StatusCode::BAD_REQUEST, "INVALID_PAYLOAD", &format!("{OW}{path}"));

    assert_eq!(app.get(&ss(w.customer, "address-data"), &w.t.partner).await.json()["city"], "Berlin");
    let audit = app.get(&format!("/api/v1/customers/{}/audit", w.customer), &w.t.admin).await.json();
    let changed =
        |e: &&Value| e["action"] == "wealth.address.updated" || (e["action"] == "customer.updated" && e["domain"] == "address");
    assert!(!audit["items"].as_array().unwrap().iter().any(|e| changed(&e)), "{audit}");
}

async fn the_first_address_of_a_customer_without_one_becomes_its_domicile(app: TestApp) {
    let t = app.tenant(&[]).await;
    let token = service_user(&app, &t).await;
    let master = json!({ "master": { "firstName": "Anthony", "lastName": "Stark", "gender": "MALE", "dateOfBirth": "1970-05-29", "customerTitle": "NONE" } });
    let c = app.post("/api/v1/customers", &t.admin, master).await.json()["id"].as_i64().unwrap();
    save_profile(&app, &t, c, profile_body()).await;
    grant(&app, &t, c, &token).await;
    let path = format!("/customers/{c}/addresses");
    let r = ow_get(&app, &path, &token).await;
    let e = assert_ow_problem(&r, StatusCode::NOT_FOUND, "RESOURCE_DOES_NOT_EXIST", &format!("{OW}{path}"));
    assert_eq!(e["detail"], format!("customer {c} has no address"));
    assert_eq!(ow_get(&app, &format!("/customers/{c}"), &token).await.json()["addressList"], json!([]));
    assert_eq!(ow_get(&app, &format!("/customers/{c}"), &token).await.json()["name"], "Steve Rogers");

    let incomplete =
        json!({ "addressName": "Stark Mansion", "postalAddress": { "physicalAddress": { "streetName": "Malibu Point" } } });
    let r = ow(&app, Method::POST, &path, Some(&token), Some(incomplete)).await;
    let e = assert_ow_problem(&r, StatusCode::BAD_REQUEST, "INVALID_PAYLOAD", &format!("{OW}{path}"));
    assert_eq!(
        e["detail"],
        "postalAddress.physicalAddress.postCode is required for the domicile address (address 1), which is the customer's address data"
    );

    let mut body = mansion(1);
    body.as_object_mut().unwrap().retain(|k, _| ["addressName", "mailingInstruction", "postalAddress"].contains(&k.as_str()));
    let r = ow(&app, Method::POST, &path, Some(&token), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json(), json!({ "addressIdentification": "1" }));
    let ss_address = app.get(&ss(c, "address-data"), &t.partner).await.json();
    assert_eq!((ss_address["street"].as_str(), ss_address["city"].as_str()), (Some("Malibu Point"), Some("Malibu")));
    let one = ow_get(&app, &path, &token).await.json();
    assert_eq!(one["addressName"], "Stark Mansion");
    assert_eq!(one["isDomicile"], true);
}

// ---- headers and errors ----

async fn requests_without_a_valid_correlation_id_or_token_are_refused_in_the_vendor_shape(app: TestApp) {
    let w = wealth(&app).await;
    let bare = |headers: Vec<(&str, String)>| {
        let mut req = Request::get(format!("{OW}/customers"));
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.body(Body::empty()).unwrap()
    };
    let bearer = format!("Bearer {}", w.token);

    let r = app.raw(bare(vec![("Authorization", bearer.clone())])).await;
    let e = assert_ow_problem(&r, StatusCode::BAD_REQUEST, "INVALID_PAYLOAD", "/openwealth/customers");
    assert!(e["detail"].as_str().unwrap().contains("X-Correlation-ID"), "{e}");
    let r = app.raw(bare(vec![("Authorization", bearer.clone()), ("X-Correlation-ID", "x".repeat(65))])).await;
    assert_ow_problem(&r, StatusCode::BAD_REQUEST, "INVALID_PAYLOAD", "/openwealth/customers");
    assert!(r.headers.get("x-correlation-id").is_none(), "an invalid id is not echoed");

    let r = app.raw(bare(vec![("X-Correlation-ID", CORRELATION.into())])).await;
    let e = assert_ow_problem(&r, StatusCode::UNAUTHORIZED, "INVALID_TOKEN", "/openwealth/customers");
    assert_eq!(r.headers["www-authenticate"], "Bearer");
    assert_eq!(r.headers["x-correlation-id"], CORRELATION, "errors echo the correlation id too");
    assert_eq!(e["detail"], "an Authorization header with a bearer token is required");
    for wrong in ["Bearer cus_nope_nope".to_owned(), format!("Basic {}", w.token), w.token.clone()] {
        let r = app.raw(bare(vec![("X-Correlation-ID", CORRELATION.into()), ("Authorization", wrong)])).await;
        assert_ow_problem(&r, StatusCode::UNAUTHORIZED, "INVALID_TOKEN", "/openwealth/customers");
        assert_eq!(r.headers["www-authenticate"], r#"Bearer error="invalid_token""#);
    }
    let r = app.raw(bare(vec![("X-Correlation-ID", CORRELATION.into()), ("Authorization", format!("bearer {}", w.token))])).await;
    assert_eq!(r.status, StatusCode::OK, "the scheme is case-insensitive");
    // A self-service partner key is a valid key, but not a service user's.
    let r =
        app.raw(bare(vec![("X-Correlation-ID", CORRELATION.into()), ("Authorization", format!("Bearer {}", w.t.partner))])).await;
    assert_ow_problem(&r, StatusCode::FORBIDDEN, "INSUFFICIENT_PRIVILEGES", "/openwealth/customers");
}

async fn the_documented_malformed_json_example_is_answered_exactly(app: TestApp) {
    let w = wealth(&app).await;
    let path = format!("{OW}/customers/{}/addresses", w.customer);
    let req = Request::put(&path)
        .header("X-Correlation-ID", CORRELATION)
        .header("Authorization", format!("Bearer {}", w.token))
        .header("content-type", "application/json")
        .body(Body::from("{\"addressIdentification\": 1, \"dispatchType\": "))
        .unwrap();
    let r = app.raw(req).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    assert_eq!(
        r.json(),
        json!({ "type": "/problems/INVALID_PAYLOAD", "title": "Payload does not comply with API specification", "detail": "Malformed JSON", "instance": path })
    );
}

async fn unknown_urls_wrong_methods_and_oversized_bodies_get_their_problem_types(app: TestApp) {
    let w = wealth(&app).await;
    let r = ow_get(&app, "/portfolios", &w.token).await;
    let e = assert_ow_problem(&r, StatusCode::NOT_FOUND, "TECHNICAL_ERROR", "/openwealth/portfolios");
    assert_eq!(e["detail"], "URL not found");
    let r = ow(&app, Method::DELETE, "/customers", Some(&w.token), None).await;
    let e = assert_ow_problem(&r, StatusCode::METHOD_NOT_ALLOWED, "WRONG_METHOD", "/openwealth/customers");
    assert_eq!(e["detail"], "DELETE is not supported on /openwealth/customers");
    let big = json!({ "medium": "email", "contactContent": "a".repeat(600 * 1024) });
    let path = format!("/persons/{}/contactdetails", w.primary);
    let r = ow(&app, Method::POST, &path, Some(&w.token), Some(big)).await;
    assert_ow_problem(&r, StatusCode::BAD_REQUEST, "RESOURCE_TOO_LARGE", &format!("{OW}{path}"));
}

async fn the_healthcheck_answers_with_a_timestamp_and_the_headers_it_received(app: TestApp) {
    // The bLink headers of a service user's request, with the documented example values.
    let req = Request::get(format!("{OW}/healthcheck"))
        .header("X-Correlation-ID", CORRELATION)
        .header("Authorization", "Bearer some-oauth-token")
        .header("User-Agent", "wealthtech/1.0")
        .header("X-CorAPI-Target-ID", "IIDX99999")
        .header("X-PSU-IP-Address", "AUTO")
        .header("X-PSU-User-Agent", "AUTO")
        .body(Body::empty())
        .unwrap();
    let r = app.raw(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers["x-correlation-id"], CORRELATION);
    let body = r.json();
    assert_eq!(body["status"], "UP");
    assert!(body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z') && t.len() >= 20), "{body}");
    let h = &body["receivedHeaders"];
    assert_eq!(h["x-corapi-target-id"], "IIDX99999");
    assert_eq!(h["x-psu-ip-address"], "AUTO");
    assert_eq!(h["x-psu-user-agent"], "AUTO");
    assert_eq!(h["user-agent"], "wealthtech/1.0");
    assert_eq!(h["x-correlation-id"], CORRELATION);
    assert!(h.get("authorization").is_none(), "credentials are never echoed: {h}");

    let r = app.raw(Request::get(format!("{OW}/healthcheck")).body(Body::empty()).unwrap()).await;
    assert_ow_problem(&r, StatusCode::BAD_REQUEST, "INVALID_PAYLOAD", "/openwealth/healthcheck");
}

async fn the_blink_request_headers_are_accepted_on_every_operation(app: TestApp) {
    let w = wealth(&app).await;
    let req = Request::get(format!("{OW}/customers/{}", w.customer))
        .header("X-Correlation-ID", CORRELATION)
        .header("Authorization", format!("Bearer {}", w.token))
        .header("User-Agent", "wealthtech/1.0")
        .header("X-CorAPI-Target-ID", "IIDX99999")
        .header("X-PSU-IP-Address", "AUTO")
        .header("X-PSU-User-Agent", "AUTO")
        .body(Body::empty())
        .unwrap();
    let r = app.raw(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["customerIdentification"], w.customer.to_string());
}

async fn a_service_user_of_another_tenant_sees_nothing_even_with_a_consent_naming_it(app: TestApp) {
    let w = wealth(&app).await;
    let other = app.tenant(&[]).await;
    let stranger = service_user(&app, &other).await;
    // Granting consent to another tenant's service user is refused …
    let r =
        app.post("/api/v1/consents", &w.t.admin, json!({ "customerId": w.customer, "serviceUser": key_prefix(&stranger) })).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "service_user.not_found");
    // … and even a consent row naming it (as stored before that check existed) does not cross tenants.
    let legacy = custodian_store::wealth::NewConsent {
        tenant: w.t.id,
        customer: custodian_domain::CustomerId(w.customer),
        service_user: custodian_domain::wealth::ServiceUser::parse(key_prefix(&stranger)).unwrap(),
        granted_by: custodian_domain::Actor::system(),
        granted_ms: app.services.clock.now_ms(),
    };
    app.services.store.grant_consent(legacy, custodian_store::Records::default()).await.unwrap();
    assert_eq!(ow_get(&app, "/customers", &stranger).await.json(), json!([]));
    assert_eq!(ow_get(&app, "/persons", &stranger).await.json(), json!([]));
    assert_eq!(ow_get(&app, &format!("/customers/{}", w.customer), &stranger).await.status, StatusCode::NOT_FOUND);
    assert_eq!(ow_get(&app, &format!("/persons/{}", w.primary), &stranger).await.status, StatusCode::NOT_FOUND);
}

// ---- native consents and wealth profiles ----

async fn consents_are_granted_listed_and_revoked_by_administrators_with_an_audit_trail(app: TestApp) {
    let t = app.tenant(&[]).await;
    let token = service_user(&app, &t).await;
    let c = app.customer(&t).await;
    let prefix = key_prefix(&token).to_owned();
    let r = app.post("/api/v1/consents", &t.admin, json!({ "customerId": c, "serviceUser": prefix })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let consent = r.json();
    assert_eq!(consent["customerId"], c);
    assert_eq!(consent["serviceUser"], prefix);
    assert_eq!(consent["active"], true);
    assert_eq!(consent["grantedBy"], "admin:admin");
    let id = consent["id"].as_i64().unwrap();

    let twice = app.post("/api/v1/consents", &t.admin, json!({ "customerId": c, "serviceUser": prefix })).await;
    assert_problem(&twice, StatusCode::CONFLICT, "consent.exists");
    let full_key = app.post("/api/v1/consents", &t.admin, json!({ "customerId": c, "serviceUser": token })).await;
    let e = assert_problem(&full_key, StatusCode::BAD_REQUEST, "validation.invalid_field");
    assert_eq!(e["reference"], "serviceUser");
    let unknown = app.post("/api/v1/consents", &t.admin, json!({ "customerId": 9999, "serviceUser": prefix })).await;
    assert_problem(&unknown, StatusCode::NOT_FOUND, "customer.not_found");
    // Only a live service-user key of the tenant can be given consent: not a made-up prefix, not
    // another kind of key, not another tenant's service user.
    let other = app.tenant(&[]).await;
    let foreign = service_user(&app, &other).await;
    for who in ["zz", "AbCd1234", key_prefix(&t.staff), key_prefix(&foreign)] {
        let r = app.post("/api/v1/consents", &t.admin, json!({ "customerId": c, "serviceUser": who })).await;
        assert_problem(&r, StatusCode::NOT_FOUND, "service_user.not_found");
    }
    let staff = app.post("/api/v1/consents", &t.staff, json!({ "customerId": c, "serviceUser": prefix })).await;
    assert_problem(&staff, StatusCode::FORBIDDEN, "auth.missing_scope");

    let listed = app.get(&format!("/api/v1/consents?customerId={c}"), &t.staff).await.json();
    assert_eq!(item_ids(&listed), [id]);
    assert_eq!(app.get(&format!("/api/v1/consents/{id}"), &t.staff).await.json()["active"], true);
    assert_eq!(app.delete(&format!("/api/v1/consents/{id}"), &t.staff).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&format!("/api/v1/consents/{id}"), &t.admin).await.status, StatusCode::NO_CONTENT);
    assert_problem(&app.delete(&format!("/api/v1/consents/{id}"), &t.admin).await, StatusCode::CONFLICT, "consent.revoked");
    assert_problem(&app.delete("/api/v1/consents/9999", &t.admin).await, StatusCode::NOT_FOUND, "consent.not_found");
    let revoked = app.get(&format!("/api/v1/consents/{id}"), &t.admin).await.json();
    assert_eq!(revoked["active"], false);
    assert_eq!(revoked["revokedBy"], "admin:admin");
    assert!(revoked["revokedAt"].as_str().is_some());

    let audit = app.get(&format!("/api/v1/customers/{c}/audit"), &t.admin).await.json();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| a.starts_with("consent."))
        .collect();
    assert_eq!(actions, ["consent.granted", "consent.revoked"]);
    let again = app.post("/api/v1/consents", &t.admin, json!({ "customerId": c, "serviceUser": prefix })).await;
    assert_eq!(again.status, StatusCode::CREATED, "a revoked consent can be granted anew");
}

async fn a_wealth_profile_writes_the_primary_persons_names_to_master_data(app: TestApp) {
    let t = app.tenant(&[]).await;
    let c = app.customer(&t).await;
    let r = app.get(&format!("/api/v1/customers/{c}/wealth-profile"), &t.staff).await;
    let e = assert_problem(&r, StatusCode::NOT_FOUND, "wealth_profile.not_found");
    assert!(e["detail"].as_str().unwrap().contains("has no wealth profile"), "{e}");

    let mut body = profile_body();
    body["primaryPerson"]["personDetails"]["givenName"] = json!("Svenja");
    body["primaryPerson"]["personDetails"]["gender"] = json!("female");
    body["personRelation"] = json!("beneficialOwner");
    let saved = save_profile(&app, &t, c, body).await;
    assert_eq!(saved["customer"]["personList"][0]["personRelation"], "beneficialOwner");
    assert_eq!(saved["primaryPerson"]["personDetails"]["givenName"], "Svenja");
    assert_eq!(saved["kyc"], kyc_example());
    let master = app.get(&ss(c, "master-data"), &t.partner).await.json();
    assert_eq!((master["firstName"].as_str(), master["gender"].as_str()), (Some("Svenja"), Some("FEMALE")));
    assert_eq!(master["lastName"], "Hannawald");
    assert_eq!(master["dateOfBirth"], "1974-11-09");
    let audit = app.get(&format!("/api/v1/customers/{c}/audit"), &t.admin).await.json();
    let entries = audit["items"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["action"] == "customer.updated" && e["domain"] == "master"));
    assert!(entries.iter().any(|e| e["action"] == "wealth.profile.saved"));
    let shown = app.get(&format!("/api/v1/customers/{c}/wealth-profile"), &t.staff).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.json()["primaryPerson"], saved["primaryPerson"]);

    // Master-data changes through self-service show on the primary person.
    app.services
        .policies
        .set(
            &custodian_app::Context { tenant: t.id, actor: custodian_domain::Actor::system(), request_id: None },
            DataDomain::Master,
            custodian_domain::DomainPolicy { status: DIRECT, require_signature: false },
        )
        .await
        .unwrap();
    app.submit(&t, c, "master-data", master_example()).await;
    let shown = app.get(&format!("/api/v1/customers/{c}/wealth-profile"), &t.staff).await.json();
    assert_eq!(shown["primaryPerson"]["personDetails"]["title"], "PhD");
    assert_eq!(shown["primaryPerson"]["personDetails"]["givenName"], "Svenja");
    assert_eq!(shown["primaryPerson"]["fullName"], "Svenja Edward Hannawald");
}

async fn an_invalid_wealth_profile_is_refused_naming_the_field_and_stores_nothing(app: TestApp) {
    let t = app.tenant(&[]).await;
    let c = app.customer(&t).await;
    let bare = app.post("/api/v1/customers", &t.admin, json!({})).await.json()["id"].as_i64().unwrap();
    let legal = json!({ "personDetails": { "personType": "legalPerson", "organisationName": "Stark Industries", "domicilaryCompany": false } });
    let cases = [
        (c, json!({ "status": "open", "primaryPerson": profile_body()["primaryPerson"] }), "status"),
        (
            c,
            json!({ "status": "active", "referenceCurrency": "chf", "primaryPerson": profile_body()["primaryPerson"] }),
            "referenceCurrency",
        ),
        (c, json!({ "status": "active", "primaryPerson": legal }), "primaryPerson.personDetails.legalForm"),
        (
            c,
            json!({ "status": "active", "primaryPerson": profile_body()["primaryPerson"], "kyc": { "financialSituation": { "monetaryWealth": { "amount": "1,000" } } } }),
            "kyc.financialSituation.monetaryWealth.amount",
        ),
        (
            bare,
            json!({ "status": "active", "primaryPerson": { "personDetails": { "personType": "naturalPerson", "givenName": "Tony" } } }),
            "primaryPerson.personDetails.lastName",
        ),
    ];
    for (customer, body, reference) in cases {
        let r = app.put(&format!("/api/v1/customers/{customer}/wealth-profile"), &t.admin, body.clone()).await;
        let e = assert_problem(&r, StatusCode::BAD_REQUEST, "validation.invalid_field");
        assert_eq!(e["reference"], reference, "{body} → {e}");
        let shown = app.get(&format!("/api/v1/customers/{customer}/wealth-profile"), &t.staff).await;
        assert_eq!(shown.status, StatusCode::NOT_FOUND, "nothing stored");
    }
    assert_eq!(app.get(&ss(bare, "master-data"), &t.partner).await.json().get("firstName"), None);
    let r = app.put("/api/v1/customers/9999/wealth-profile", &t.admin, profile_body()).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "customer.not_found");
    let r = app.put(&format!("/api/v1/customers/{c}/wealth-profile"), &t.staff, profile_body()).await;
    assert_problem(&r, StatusCode::FORBIDDEN, "auth.missing_scope");
    let r = app
        .post(
            &format!("/api/v1/customers/{c}/persons"),
            &t.admin,
            json!({ "personRelation": "other", "personIdentification": "1" }),
        )
        .await;
    assert_problem(&r, StatusCode::NOT_FOUND, "wealth_profile.not_found");
}

async fn the_prefix_is_configurable(app: TestApp) {
    let w = wealth(&app).await;
    let settings = custodian_http::HttpSettings { openwealth_prefix: "/wealth/ow-1.2.1".into(), ..Default::default() };
    let router = custodian_http::router(custodian_http::AppState::new(app.services.clone(), settings));
    let get = |path: &str| {
        Request::get(path)
            .header("X-Correlation-ID", CORRELATION)
            .header("Authorization", format!("Bearer {}", w.token))
            .body(Body::empty())
            .unwrap()
    };
    use tower::ServiceExt;
    let r = router.clone().oneshot(get("/wealth/ow-1.2.1/customers")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = router.oneshot(get("/openwealth/customers")).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "the default prefix is not mounted then");
}

async fn a_repeated_contact_detail_with_an_idempotency_key_is_stored_once(app: TestApp) {
    let w = wealth(&app).await;
    let path = format!("{OW}/persons/{}/contactdetails", w.primary);
    let send = |body: Value, correlation: &'static str| {
        let req = Request::builder()
            .method(Method::POST)
            .uri(&path)
            .header("X-Correlation-ID", correlation)
            .header("Authorization", format!("Bearer {}", w.token))
            .header("Idempotency-Key", "phone-1")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        app.raw(req)
    };
    let phone = json!({ "medium": "phone", "contactMediumType": "business", "contactContent": "0041998887766",
        "additionalContactInformation": "Prio 1 Phone Number" });
    let first = send(phone.clone(), "first").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    let again = send(phone, "second").await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.headers["x-correlation-id"], "second", "the retry's own correlation id");
    let listed = ow_get(&app, &format!("/persons/{}/contactdetails", w.primary), &w.token).await.json();
    let copies = listed.as_array().unwrap().iter().filter(|d| d["contactContent"] == "0041998887766").count();
    assert_eq!(copies, 1, "stored once: {listed}");

    let other = json!({ "medium": "email", "contactMediumType": "private", "contactContent": "tony@example.com" });
    let r = send(other, "third").await;
    assert_ow_problem(&r, StatusCode::CONFLICT, "OPERATION_NOT_ALLOWED", &path);
    // The receipt names the customer whose person it was, so that erasing the customer finds it.
    let receipts = app.services.store.delete_idempotency_receipts_of(w.t.id, custodian_domain::CustomerId(w.customer)).await;
    assert_eq!(receipts.unwrap(), 1);
}

both_backends!(
    a_repeated_contact_detail_with_an_idempotency_key_is_stored_once,
    a_service_user_lists_exactly_the_customers_that_granted_it_consent,
    a_revoked_consent_hides_the_customer_and_its_persons_again,
    customers_are_paged_by_cursor_and_limit_with_the_next_cursor_header,
    the_kyc_record_comes_with_its_customer,
    the_primary_person_shows_the_customers_master_and_contact_data,
    persons_of_all_five_types_are_listed_and_paged,
    a_person_related_to_two_customers_lists_only_those_the_service_user_sees,
    a_new_contact_detail_of_the_primary_person_fills_empty_contact_data_or_is_kept_as_additional,
    a_contact_detail_that_does_not_fit_its_medium_is_refused_naming_the_field,
    contact_data_changed_through_self_service_is_read_back_here,
    the_domicile_address_is_the_customers_address_data,
    an_address_changed_here_is_read_through_the_self_service_api,
    a_new_address_gets_the_next_number_and_can_be_replaced_on_the_singular_path,
    an_invalid_address_change_is_refused_and_writes_nothing,
    the_first_address_of_a_customer_without_one_becomes_its_domicile,
    requests_without_a_valid_correlation_id_or_token_are_refused_in_the_vendor_shape,
    the_documented_malformed_json_example_is_answered_exactly,
    unknown_urls_wrong_methods_and_oversized_bodies_get_their_problem_types,
    the_healthcheck_answers_with_a_timestamp_and_the_headers_it_received,
    the_blink_request_headers_are_accepted_on_every_operation,
    a_service_user_of_another_tenant_sees_nothing_even_with_a_consent_naming_it,
    consents_are_granted_listed_and_revoked_by_administrators_with_an_audit_trail,
    a_wealth_profile_writes_the_primary_persons_names_to_master_data,
    an_invalid_wealth_profile_is_refused_naming_the_field_and_stores_nothing,
    the_prefix_is_configurable,
);
