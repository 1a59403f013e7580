//! One customer, four dialects: a customer changed through each dialect is read back through the
//! others and through the self-service API; every dialect's change lands in the one audit trail
//! and the one event outbox; invalid data is refused by every dialect, each in its own error
//! shape, and changes nothing.
//!
//! Which dialect can address which customer: the self-service API and the wealth-management API
//! (once the customer has a wealth profile and consented to the service user) reach every customer
//! by its numeric id. The partner API reaches only customers of a partner hierarchy (by UUID), and
//! the billing API only customers it knows by their merchant customer number: neither can attach
//! its identifier to a customer another dialect created, so a partner customer is never seen
//! through billing, nor a billing customer through the partner API. The scenarios below cover every
//! pair that can meet.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use custodian_app::Context;
use custodian_domain::hierarchy::{CreateInput, CustomerUuid};
use custodian_domain::{Actor, CustomerId, DataDomain, Scope};
use serde_json::{Value, json};

/// The domain's message for the invalid country code `XX`, whatever dialect carries it.
const NOT_A_COUNTRY: &str = r#"is not an ISO 3166-1 alpha-2 country code (such as DE): "XX""#;
/// The start of the domain's message for an invalid e-mail address (the address itself is redacted).
const NOT_AN_EMAIL: &str = "is not a valid e-mail address";

/// How a request authenticates, in each dialect's own way.
#[derive(Clone, Copy)]
pub(crate) enum Auth<'a> {
    /// `X-API-KEY`: the self-service, native and partner APIs.
    ApiKey(&'a str),
    /// `X-Subscription-Key`: the billing API.
    Subscription(&'a str),
    /// `Authorization: Bearer` with an `X-Correlation-ID`: the wealth-management API.
    Bearer(&'a str),
}

/// Sends a request authenticated as `auth`, with `request_id` as `X-Request-ID` when given.
pub(crate) async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    auth: Auth<'_>,
    request_id: Option<&str>,
    body: Option<Value>,
) -> Response {
    let mut req = Request::builder().method(method).uri(path);
    req = match auth {
        Auth::ApiKey(k) => req.header("X-API-KEY", k),
        Auth::Subscription(k) => req.header("X-Subscription-Key", k),
        Auth::Bearer(k) => req.header("Authorization", format!("Bearer {k}")).header("X-Correlation-ID", "cross-dialect"),
    };
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

/// GETs `path` and expects 200; the body.
pub(crate) async fn read(app: &TestApp, path: &str, auth: Auth<'_>) -> Value {
    let r = call(app, Method::GET, path, auth, None, None).await;
    assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.text());
    r.json()
}

/// Sends a change and expects `status`.
async fn change(app: &TestApp, method: Method, path: &str, auth: Auth<'_>, request_id: &str, body: Value, status: StatusCode) {
    let r = call(app, method.clone(), path, auth, Some(request_id), Some(body)).await;
    assert_eq!(r.status, status, "{method} {path}: {}", r.text());
    assert_eq!(r.headers["x-request-id"], request_id, "the request id is echoed");
}

pub(crate) fn partner_path(uuid: &str) -> String {
    format!("/api/v2/customer/{uuid}")
}

pub(crate) fn billing_path(number: &str) -> String {
    format!("/subscriptions/v1/customers/{number}")
}

fn audit_path(id: i64) -> String {
    format!("/api/v1/customers/{id}/audit?limit=200")
}

/// A customer that every dialect except billing reaches: a partner's sub-customer with a wealth
/// profile that consented to a service user.
pub(crate) struct PartnerCustomer {
    pub t: Tenant,
    /// The PARTNER key of the sub-customer's parent (the hierarchy's root).
    pub root_key: String,
    /// The root's numeric id.
    pub root_id: i64,
    pub uuid: String,
    /// Its numeric id in the self-service, native and wealth APIs.
    pub id: i64,
    /// The wealth-management service user's bearer token.
    pub token: String,
    /// The customer's primary person in the wealth API.
    pub person: String,
}

/// A customer that every dialect except the partner API reaches: created through billing, with a
/// wealth profile that consented to a service user.
pub(crate) struct BillingCustomer {
    pub t: Tenant,
    pub id: i64,
    pub token: String,
    pub person: String,
}

pub(crate) const BILLING_NUMBER: &str = "sub-4711";

/// Grace Hopper as the billing API creates her: no private phone, an address with billing-only
/// fields (`careOf`, `streetNumberAdditional`).
fn billing_request() -> Value {
    json!({
        "customer": {
            "customerNumber": BILLING_NUMBER, "salutation": "MRS", "firstName": "Grace", "lastName": "Hopper",
            "birthDate": "1956-12-09", "email": "grace@example.com", "mobilePhone": "+1 202 555 0143", "language": "en",
            "address": { "street": "Navy Yard", "streetNumber": "1", "streetNumberAdditional": "b", "careOf": "c/o US Navy",
                "postalCode": "20374", "postalPlace": "Washington", "countryCode": "US" }
        },
        "paymentRegistration": { "id": "PR-4711" }
    })
}

/// A tenant applying contact, address and master-data changes at once, and a service user.
async fn direct_tenant(app: &TestApp) -> (Tenant, String) {
    let t = app
        .tenant(&[
            (DataDomain::Contact, DIRECT, false),
            (DataDomain::Address, DIRECT, false),
            (DataDomain::Master, DIRECT, false),
        ])
        .await;
    let token = app.services.keys.create(t.id, vec![Scope::WealthServiceUser], "wealthtech").await.unwrap().secret;
    (t, token)
}

/// Gives the customer a wealth profile (with `person_details` for its primary person) and the
/// service user its consent; the primary person's id.
async fn make_wealth_customer(app: &TestApp, t: &Tenant, id: i64, token: &str, person_details: Value) -> String {
    let profile = json!({ "status": "active", "referenceCurrency": "EUR", "openingDate": "2024-01-15",
        "primaryPerson": { "language": "English", "personDetails": person_details } });
    let r = app.put(&format!("/api/v1/customers/{id}/wealth-profile"), &t.admin, profile).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let person = r.json()["primaryPerson"]["personIdentification"].as_str().unwrap().to_owned();
    let r = app.post("/api/v1/consents", &t.admin, json!({ "customerId": id, "serviceUser": key_prefix(token) })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    person
}

pub(crate) async fn partner_customer(app: &TestApp) -> PartnerCustomer {
    let (t, token) = direct_tenant(app).await;
    let ctx = Context { tenant: t.id, actor: Actor::system(), request_id: None };
    let input = CreateInput {
        status: Some("ACTIVE".into()),
        name: Some("Analytical Engines".into()),
        currency: Some("GBP".into()),
        ..Default::default()
    };
    let root = app.services.hierarchy.create_root(&ctx, &input).await.unwrap();
    let root_key = app.services.hierarchy.create_key(t.id, root.uuid, vec![Scope::Partner], "operator").await.unwrap().secret;
    let body = json!({
        "status": "ACTIVE", "type": "BUSINESS", "name": "Lovelace Computing", "currency": "GBP",
        "contact": { "role": "SELFCARE", "type": "OWNER", "firstName": "Ada", "lastName": "Lovelace",
            "emailAddress": "ada@example.com", "mobilePhoneNumber": "+4917112345678" },
        "address": [{ "type": "MAILING", "street": "Am Bahnhof", "buildingNumber": "90", "zipCode": "12133", "city": "Munich", "country": "DE" }]
    });
    let r = app.post(&partner_path(&root.uuid.to_string()), &root_key, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let uuid = r.json()["content"][0]["customerId"].as_str().unwrap().to_owned();
    let id = app.services.hierarchy.customer_id(t.id, CustomerUuid::parse(&uuid).unwrap()).await.unwrap().0;
    // The partner API has no master data; the wealth profile's primary person brings it.
    let person = make_wealth_customer(
        app,
        &t,
        id,
        &token,
        json!({ "personType": "naturalPerson", "givenName": "Ada", "lastName": "Lovelace", "gender": "female",
            "dates": [{ "date": "1975-12-10", "dateType": "birthDate" }] }),
    )
    .await;
    let root_id = app.services.hierarchy.customer_id(t.id, root.uuid).await.unwrap().0;
    PartnerCustomer { t, root_key, root_id, uuid, id, token, person }
}

pub(crate) async fn billing_customer(app: &TestApp) -> BillingCustomer {
    let (t, token) = direct_tenant(app).await;
    let r =
        call(app, Method::POST, "/subscriptions/v1/customers", Auth::Subscription(&t.admin), None, Some(billing_request())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let id: i64 = r.json()["customerNumber"].as_str().unwrap().parse().unwrap();
    // No names in the wealth profile: the primary person's names are the billing customer's.
    let person = make_wealth_customer(app, &t, id, &token, json!({ "personType": "naturalPerson" })).await;
    BillingCustomer { t, id, token, person }
}

impl PartnerCustomer {
    pub(crate) async fn details(&self, app: &TestApp) -> Value {
        read(app, &partner_path(&self.uuid), Auth::ApiKey(&self.root_key)).await["content"][0].clone()
    }

    /// The ids of the primary contact and the primary address.
    pub(crate) async fn entry_ids(&self, app: &TestApp) -> (String, String) {
        let d = self.details(app).await;
        (d["contact"][0]["id"].as_str().unwrap().to_owned(), d["address"][0]["id"].as_str().unwrap().to_owned())
    }
}

/// The self-service API's view of a domain.
async fn self_service(app: &TestApp, t: &Tenant, id: i64, domain: &str) -> Value {
    read(app, &ss(id, domain), Auth::ApiKey(&t.partner)).await
}

/// The wealth API's contact details of a person, as `(identification, content)`.
async fn wealth_contacts(app: &TestApp, token: &str, person: &str) -> Vec<(String, String)> {
    let list = read(app, &format!("/openwealth/persons/{person}/contactdetails"), Auth::Bearer(token)).await;
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| (c["contactIdentification"].as_str().unwrap().to_owned(), c["contactContent"].as_str().unwrap().to_owned()))
        .collect()
}

/// The wealth API's domicile address (address 1) of a customer: its physical address.
async fn wealth_domicile(app: &TestApp, token: &str, id: i64) -> Value {
    let a = read(app, &format!("/openwealth/customers/{id}/addresses"), Auth::Bearer(token)).await;
    assert_eq!((a["addressIdentification"].as_i64(), a["isDomicile"].as_bool()), (Some(1), Some(true)), "{a}");
    a["postalAddress"]["physicalAddress"].clone()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

/// `(street, houseNumber, zipCode, city, countryCode)` of a self-service address.
fn ss_address(a: &Value) -> [Value; 5] {
    [a["street"].clone(), a["houseNumber"].clone(), a["zipCode"].clone(), a["city"].clone(), a["countryCode"].clone()]
}

/// The same five fields of a partner address entry; the partner dialect names the country
/// (`United Kingdom of Great Britain and Northern Ireland`), shown here as its code (`GB`).
fn partner_address(a: &Value) -> [Value; 5] {
    let name = a["country"].as_str().unwrap_or_else(|| panic!("no country: {a}"));
    let code = custodian_domain::hierarchy::values::parse_country(name).unwrap_or_else(|e| panic!("{name} {e}"));
    [a["street"].clone(), a["buildingNumber"].clone(), a["zipCode"].clone(), a["city"].clone(), json!(code.as_str())]
}

/// The same five fields of a wealth physical address.
fn wealth_address(a: &Value) -> [Value; 5] {
    [a["streetName"].clone(), a["buildingNumber"].clone(), a["postCode"].clone(), a["townName"].clone(), a["country"].clone()]
}

/// The same five fields of a billing address.
fn billing_address(a: &Value) -> [Value; 5] {
    [a["street"].clone(), a["streetNumber"].clone(), a["postalCode"].clone(), a["postalPlace"].clone(), a["countryCode"].clone()]
}

fn five(street: &str, number: &str, zip: &str, city: &str, country: &str) -> [Value; 5] {
    [json!(street), json!(number), json!(zip), json!(city), json!(country)]
}

// ---- a partner customer ----

async fn a_partner_customer_changed_through_each_dialect_reads_the_same_through_all_the_others(app: TestApp) {
    let p = partner_customer(&app).await;
    let (contact, address) = p.entry_ids(&app).await;
    let (partner, bearer) = (Auth::ApiKey(&p.root_key), Auth::Bearer(&p.token));

    // 1. Through the partner API: the primary contact and the primary address.
    let patch = json!({
        "contact": { "id": contact, "emailAddress": "ada.king@example.com", "landlinePhoneNumber": "+44 20 7946 0001" },
        "address": { "id": address, "street": "St James's Square", "buildingNumber": "12", "zipCode": "SW1Y 4JH",
            "city": "London", "country": "GB", "apartmentNumber": "3" }
    });
    change(&app, Method::PATCH, &partner_path(&p.uuid), partner, "xd-partner-1", patch, StatusCode::OK).await;

    let c = self_service(&app, &p.t, p.id, "contact-data").await;
    assert_eq!(
        (&c["email"], &c["phonePrivate"], &c["phonePrivateMobile"], &c["phoneBusiness"]),
        (&json!("ada.king@example.com"), &json!("+44 20 7946 0001"), &json!("+4917112345678"), &Value::Null)
    );
    assert_eq!(c["amendmentConfigurationStatus"], "CHANGES_WITHOUT_VERIFICATION");
    let a = self_service(&app, &p.t, p.id, "address-data").await;
    assert_eq!(ss_address(&a), five("St James's Square", "12", "SW1Y 4JH", "London", "GB"));
    assert_eq!(a["door"], "3", "apartmentNumber is the door");
    assert_eq!(
        wealth_contacts(&app, &p.token, &p.person).await,
        pairs(&[
            ("email", "ada.king@example.com"),
            ("phonePrivate", "+44 20 7946 0001"),
            ("phonePrivateMobile", "+4917112345678")
        ])
    );
    assert_eq!(
        wealth_address(&wealth_domicile(&app, &p.token, p.id).await),
        five("St James's Square", "12", "SW1Y 4JH", "London", "GB")
    );

    // 2. Through the self-service API (applied at once): fields left out keep their value, `null`
    //    clears one.
    let contact_data = json!({ "email": "ada@analytical-engine.example", "phonePrivate": "+44 20 7946 0002", "phonePrivateMobile": "+44 7700 900123" });
    change(&app, Method::POST, &ss(p.id, "contact-data"), Auth::ApiKey(&p.t.partner), "xd-ss-1", contact_data, StatusCode::OK)
        .await;
    let address_data = json!({ "street": "Marylebone Road", "houseNumber": "221", "zipCode": "NW1 6XE", "city": "London", "countryCode": "GB", "floor": "1", "door": null });
    change(&app, Method::POST, &ss(p.id, "address-data"), Auth::ApiKey(&p.t.partner), "xd-ss-2", address_data, StatusCode::OK)
        .await;

    let d = p.details(&app).await;
    let primary = &d["contact"][0];
    assert_eq!(
        (
            &primary["emailAddress"],
            &primary["landlinePhoneNumber"],
            &primary["mobilePhoneNumber"],
            &primary["additionalPhoneNumber"]
        ),
        (&json!("ada@analytical-engine.example"), &json!("+44 20 7946 0002"), &json!("+44 7700 900123"), &Value::Null)
    );
    assert_eq!(
        (&primary["firstName"], &primary["lastName"]),
        (&json!("Ada"), &json!("Lovelace")),
        "the partner-only fields stay"
    );
    let primary = &d["address"][0];
    assert_eq!(partner_address(primary), five("Marylebone Road", "221", "NW1 6XE", "London", "GB"));
    assert_eq!(
        (&primary["buildingFloor"], &primary["apartmentNumber"]),
        (&json!("1"), &Value::Null),
        "floor is the building floor"
    );
    assert_eq!(primary["type"], "MAILING", "the partner-only fields stay");
    assert_eq!(
        wealth_contacts(&app, &p.token, &p.person).await,
        pairs(&[
            ("email", "ada@analytical-engine.example"),
            ("phonePrivate", "+44 20 7946 0002"),
            ("phonePrivateMobile", "+44 7700 900123")
        ])
    );
    assert_eq!(
        wealth_address(&wealth_domicile(&app, &p.token, p.id).await),
        five("Marylebone Road", "221", "NW1 6XE", "London", "GB")
    );

    // 3. Through the wealth API: the domicile address, and a business phone that fills the empty
    //    business-phone field of the contact data.
    let domicile = json!({ "addressIdentification": 1, "dispatchType": "postal", "postalAddress": { "physicalAddress": {
        "streetName": "Bahnhofstrasse", "buildingNumber": "1", "postCode": "8001", "townName": "Zürich", "country": "CH" } } });
    change(
        &app,
        Method::PUT,
        &format!("/openwealth/customers/{}/addresses", p.id),
        bearer,
        "xd-ow-1",
        domicile,
        StatusCode::NO_CONTENT,
    )
    .await;
    let phone = json!({ "medium": "phone", "contactMediumType": "business", "contactContent": "+41 44 123 45 67" });
    let path = format!("/openwealth/persons/{}/contactdetails", p.person);
    let r = call(&app, Method::POST, &path, bearer, Some("xd-ow-2"), Some(phone)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["contactIdentification"], "phoneBusiness", "held by the contact data, not as an additional detail");

    let d = p.details(&app).await;
    assert_eq!(partner_address(&d["address"][0]), five("Bahnhofstrasse", "1", "8001", "Zürich", "CH"));
    assert_eq!(d["address"][0]["buildingFloor"], Value::Null, "a new domicile address replaces the old one as a whole");
    let primary = &d["contact"][0];
    assert_eq!(primary["additionalPhoneNumber"], "+41 44 123 45 67", "the business phone is the additional phone");
    assert_eq!(primary["emailAddress"], "ada@analytical-engine.example");
    let a = self_service(&app, &p.t, p.id, "address-data").await;
    assert_eq!(ss_address(&a), five("Bahnhofstrasse", "1", "8001", "Zürich", "CH"));
    assert!(a.get("pendingAmendment").is_none(), "{a}");
    let c = self_service(&app, &p.t, p.id, "contact-data").await;
    assert_eq!((&c["phoneBusiness"], &c["email"]), (&json!("+41 44 123 45 67"), &json!("ada@analytical-engine.example")));

    // The master data the wealth profile brought shows through the self-service API.
    let m = self_service(&app, &p.t, p.id, "master-data").await;
    assert_eq!(
        (&m["firstName"], &m["lastName"], &m["gender"], &m["dateOfBirth"]),
        (&json!("Ada"), &json!("Lovelace"), &json!("FEMALE"), &json!("1975-12-10"))
    );

    // The billing API knows customers only by a merchant customer number it assigned itself; a
    // partner customer has none.
    let r = call(&app, Method::GET, &billing_path(&p.id.to_string()), Auth::Subscription(&p.t.admin), None, None).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "customer.not_found");
}

// ---- a billing customer ----

async fn a_billing_customer_changed_through_each_dialect_reads_the_same_through_all_the_others(app: TestApp) {
    let b = billing_customer(&app).await;
    let (admin, bearer) = (Auth::Subscription(&b.t.admin), Auth::Bearer(&b.token));

    // 1. Created through billing: read through the self-service and the wealth API.
    let c = self_service(&app, &b.t, b.id, "contact-data").await;
    assert_eq!(
        (&c["email"], &c["phonePrivate"], &c["phonePrivateMobile"]),
        (&json!("grace@example.com"), &Value::Null, &json!("+1 202 555 0143"))
    );
    let a = self_service(&app, &b.t, b.id, "address-data").await;
    assert_eq!(ss_address(&a), five("Navy Yard", "1", "20374", "Washington", "US"));
    let m = self_service(&app, &b.t, b.id, "master-data").await;
    assert_eq!(
        (&m["firstName"], &m["lastName"], &m["gender"], &m["dateOfBirth"], &m["customerTitle"]),
        (&json!("Grace"), &json!("Hopper"), &json!("FEMALE"), &json!("1956-12-09"), &json!("NONE"))
    );
    let person = read(&app, &format!("/openwealth/persons/{}", b.person), bearer).await;
    let details = &person["personDetails"];
    assert_eq!(
        (&details["givenName"], &details["lastName"], &details["gender"]),
        (&json!("Grace"), &json!("Hopper"), &json!("female"))
    );
    assert_eq!(details["dates"], json!([{ "date": "1956-12-09", "dateType": "birthDate" }]));
    assert_eq!(person["fullName"], "Grace Hopper");
    assert_eq!(
        wealth_contacts(&app, &b.token, &b.person).await,
        pairs(&[("email", "grace@example.com"), ("phonePrivateMobile", "+1 202 555 0143")])
    );
    assert_eq!(wealth_address(&wealth_domicile(&app, &b.token, b.id).await), five("Navy Yard", "1", "20374", "Washington", "US"));

    // 2. Through the self-service API: contact, address and master data.
    let contact_data = json!({ "email": "grace.hopper@example.com", "phonePrivateMobile": "+1 202 555 0143" });
    change(&app, Method::POST, &ss(b.id, "contact-data"), Auth::ApiKey(&b.t.partner), "xd-ss-1", contact_data, StatusCode::OK)
        .await;
    let address_data = json!({ "street": "Arlington Ridge Road", "houseNumber": "1", "zipCode": "22209", "city": "Arlington", "countryCode": "US" });
    change(&app, Method::POST, &ss(b.id, "address-data"), Auth::ApiKey(&b.t.partner), "xd-ss-2", address_data, StatusCode::OK)
        .await;
    let master_data = json!({ "firstName": "Grace", "lastName": "Brewster Hopper", "gender": "FEMALE", "dateOfBirth": "1956-12-09", "customerTitle": "DR" });
    change(&app, Method::POST, &ss(b.id, "master-data"), Auth::ApiKey(&b.t.partner), "xd-ss-3", master_data, StatusCode::OK)
        .await;

    let got = read(&app, &billing_path(BILLING_NUMBER), Auth::Subscription(&b.t.reader)).await;
    assert_eq!(
        (&got["email"], &got["mobilePhone"], &got["phone"]),
        (&json!("grace.hopper@example.com"), &json!("+1 202 555 0143"), &json!("")),
        "billing answers an unset phone as \"\""
    );
    assert_eq!(billing_address(&got["address"]), five("Arlington Ridge Road", "1", "22209", "Arlington", "US"));
    assert_eq!(
        (&got["address"]["careOf"], &got["address"]["streetNumberAdditional"]),
        (&json!("c/o US Navy"), &json!("b")),
        "the billing-only address fields stay"
    );
    assert_eq!(
        (&got["firstName"], &got["lastName"], &got["salutation"]),
        (&json!("Grace"), &json!("Brewster Hopper"), &json!("MRS"))
    );
    let person = read(&app, &format!("/openwealth/persons/{}", b.person), bearer).await;
    assert_eq!(person["personDetails"]["lastName"], "Brewster Hopper");
    assert_eq!(
        wealth_contacts(&app, &b.token, &b.person).await,
        pairs(&[("email", "grace.hopper@example.com"), ("phonePrivateMobile", "+1 202 555 0143")])
    );
    assert_eq!(
        wealth_address(&wealth_domicile(&app, &b.token, b.id).await),
        five("Arlington Ridge Road", "1", "22209", "Arlington", "US")
    );

    // 3. Through the wealth API: the domicile address, and a private phone that fills the empty one.
    let domicile = json!({ "addressIdentification": 1, "dispatchType": "postal", "postalAddress": { "physicalAddress": {
        "streetName": "Pentagon", "buildingNumber": "1400", "postCode": "20301", "townName": "Washington", "country": "US" } } });
    change(
        &app,
        Method::PUT,
        &format!("/openwealth/customers/{}/addresses", b.id),
        bearer,
        "xd-ow-1",
        domicile,
        StatusCode::NO_CONTENT,
    )
    .await;
    let phone = json!({ "medium": "phone", "contactMediumType": "private", "contactContent": "+1 703 555 0199" });
    let r = call(
        &app,
        Method::POST,
        &format!("/openwealth/persons/{}/contactdetails", b.person),
        bearer,
        Some("xd-ow-2"),
        Some(phone),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["contactIdentification"], "phonePrivate");

    let got = read(&app, &billing_path(BILLING_NUMBER), Auth::Subscription(&b.t.reader)).await;
    assert_eq!(billing_address(&got["address"]), five("Pentagon", "1400", "20301", "Washington", "US"));
    assert_eq!(got["address"]["careOf"], "c/o US Navy");
    assert_eq!(
        (&got["phone"], &got["mobilePhone"]),
        (&json!("+1 703 555 0199"), &json!("+1 202 555 0143")),
        "phone is the private phone"
    );
    let a = self_service(&app, &b.t, b.id, "address-data").await;
    assert_eq!(ss_address(&a), five("Pentagon", "1400", "20301", "Washington", "US"));
    assert_eq!(self_service(&app, &b.t, b.id, "contact-data").await["phonePrivate"], "+1 703 555 0199");

    // 4. Through billing again: a request states the whole customer.
    let mut update = billing_request();
    update["customer"]["email"] = json!("amazing.grace@example.com");
    update["customer"]["phone"] = json!("+1 703 555 0199");
    update["customer"]["lastName"] = json!("Brewster Hopper");
    update["customer"]["address"]["street"] = json!("Pentagon");
    update["customer"]["address"]["streetNumber"] = json!("1400");
    update["customer"]["address"]["postalCode"] = json!("20301");
    update["customer"]["address"]["countryCode"] = json!("US");
    update["customer"]["address"]["postalPlace"] = json!("Arlington");
    change(&app, Method::PUT, &billing_path(BILLING_NUMBER), admin, "xd-billing-1", update, StatusCode::OK).await;

    let c = self_service(&app, &b.t, b.id, "contact-data").await;
    assert_eq!(
        (&c["email"], &c["phonePrivate"], &c["phonePrivateMobile"]),
        (&json!("amazing.grace@example.com"), &json!("+1 703 555 0199"), &json!("+1 202 555 0143"))
    );
    assert_eq!(
        ss_address(&self_service(&app, &b.t, b.id, "address-data").await),
        five("Pentagon", "1400", "20301", "Arlington", "US")
    );
    assert_eq!(self_service(&app, &b.t, b.id, "master-data").await["customerTitle"], "DR", "fields billing has no name for stay");
    assert_eq!(
        wealth_contacts(&app, &b.token, &b.person).await,
        pairs(&[
            ("email", "amazing.grace@example.com"),
            ("phonePrivate", "+1 703 555 0199"),
            ("phonePrivateMobile", "+1 202 555 0143")
        ])
    );
    assert_eq!(
        wealth_address(&wealth_domicile(&app, &b.token, b.id).await),
        five("Pentagon", "1400", "20301", "Arlington", "US")
    );

    // The partner API addresses customers by the UUID of a partner hierarchy, which a billing
    // customer does not belong to: it is not among any partner's customers.
    let ctx = Context { tenant: b.t.id, actor: Actor::system(), request_id: None };
    let input = CreateInput { status: Some("ACTIVE".into()), currency: Some("USD".into()), ..Default::default() };
    let root = app.services.hierarchy.create_root(&ctx, &input).await.unwrap();
    let key = app.services.hierarchy.create_key(b.t.id, root.uuid, vec![Scope::Partner], "operator").await.unwrap().secret;
    let children = read(&app, &format!("/api/v2/customer/{}/child-customers", root.uuid), Auth::ApiKey(&key)).await;
    assert_eq!(children["content"], json!([]));
}

// ---- one audit trail, one event outbox ----

/// `(action, actor, domain, changes, requestId)` of the audit entries after the first `skip`.
async fn audit_after(app: &TestApp, t: &Tenant, id: i64, skip: usize) -> Vec<(String, String, Value, Value, Value)> {
    let trail = read(app, &audit_path(id), Auth::ApiKey(&t.admin)).await;
    trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .skip(skip)
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
                e["domain"].clone(),
                e["changes"].clone(),
                e["requestId"].clone(),
            )
        })
        .collect()
}

async fn audit_len(app: &TestApp, t: &Tenant, id: i64) -> usize {
    audit_after(app, t, id, 0).await.len()
}

/// `(domain, changes, requestId)` of the customer's `customer.updated` events after the first `skip` events.
async fn updates_after(app: &TestApp, t: &Tenant, id: i64, skip: usize) -> Vec<(Value, Value, Value)> {
    let events = app.services.store.list_events(t.id, CustomerId(id)).await.unwrap();
    events
        .iter()
        .skip(skip)
        .filter(|e| e.event_type == "customer.updated")
        .map(|e| {
            assert_eq!(e.payload["customerId"], id, "{}", e.payload);
            assert_eq!(e.payload["tenantId"], t.id.0, "{}", e.payload);
            (e.payload["domain"].clone(), e.payload["changes"].clone(), e.payload["requestId"].clone())
        })
        .collect()
}

async fn event_count(app: &TestApp, t: &Tenant, id: i64) -> usize {
    app.services.store.list_events(t.id, CustomerId(id)).await.unwrap().len()
}

fn api_key(key: &str) -> String {
    format!("api_key:{}", key_prefix(key))
}

fn entry(action: &str, actor: &str, domain: &str, changes: Value, request_id: &str) -> (String, String, Value, Value, Value) {
    (action.to_owned(), actor.to_owned(), json!(domain), changes, json!(request_id))
}

async fn partner_self_service_and_wealth_changes_land_in_one_audit_trail_and_one_event_outbox(app: TestApp) {
    let p = partner_customer(&app).await;
    let (contact, _) = p.entry_ids(&app).await;
    let (audit_before, events_before) = (audit_len(&app, &p.t, p.id).await, event_count(&app, &p.t, p.id).await);

    let patch = json!({ "contact": { "id": contact, "emailAddress": "ada.king@example.com" } });
    change(&app, Method::PATCH, &partner_path(&p.uuid), Auth::ApiKey(&p.root_key), "xd-partner", patch, StatusCode::OK).await;
    let contact_data = json!({ "email": "ada.lovelace@example.com", "phonePrivateMobile": "+4917112345678" });
    change(
        &app,
        Method::POST,
        &ss(p.id, "contact-data"),
        Auth::ApiKey(&p.t.partner),
        "xd-self-service",
        contact_data,
        StatusCode::OK,
    )
    .await;
    let phone = json!({ "medium": "phone", "contactMediumType": "business", "contactContent": "+41 44 123 45 67" });
    let path = format!("/openwealth/persons/{}/contactdetails", p.person);
    change(&app, Method::POST, &path, Auth::Bearer(&p.token), "xd-wealth", phone, StatusCode::CREATED).await;

    let audit = audit_after(&app, &p.t, p.id, audit_before).await;
    assert_eq!(
        audit,
        [
            entry(
                "customer.updated",
                &api_key(&p.root_key),
                "contact",
                json!([{ "field": "email", "before": "ada@example.com", "after": "ada.king@example.com" }]),
                "xd-partner"
            ),
            entry(
                "amendment.applied",
                &api_key(&p.t.partner),
                "contact",
                json!([{ "field": "email", "before": "ada.king@example.com", "after": "ada.lovelace@example.com" }]),
                "xd-self-service"
            ),
            entry(
                "customer.updated",
                &api_key(&p.token),
                "contact",
                json!([{ "field": "phoneBusiness", "before": null, "after": "+41 44 123 45 67" }]),
                "xd-wealth"
            ),
        ]
    );

    let updates = updates_after(&app, &p.t, p.id, events_before).await;
    assert_eq!(
        updates,
        [
            (json!("contact"), json!([{ "field": "email", "previous": "ada@example.com" }]), json!("xd-partner")),
            (json!("contact"), json!([{ "field": "email", "previous": "ada.king@example.com" }]), json!("xd-self-service")),
            (json!("contact"), json!([{ "field": "phoneBusiness", "previous": null }]), json!("xd-wealth")),
        ]
    );
    let versions = read(&app, &format!("/api/v1/customers/{}", p.id), Auth::ApiKey(&p.t.admin)).await["versions"].clone();
    assert_eq!(versions["contact"], 4, "created, then one version per dialect's change: {versions}");
}

async fn billing_self_service_and_wealth_changes_land_in_one_audit_trail_and_one_event_outbox(app: TestApp) {
    let b = billing_customer(&app).await;
    let (audit_before, events_before) = (audit_len(&app, &b.t, b.id).await, event_count(&app, &b.t, b.id).await);

    let mut moved = billing_request();
    moved["customer"]["address"]["postalPlace"] = json!("Arlington");
    change(&app, Method::PUT, &billing_path(BILLING_NUMBER), Auth::Subscription(&b.t.admin), "xd-billing", moved, StatusCode::OK)
        .await;
    let address_data =
        json!({ "street": "Navy Yard", "houseNumber": "1", "zipCode": "22209", "city": "Arlington", "countryCode": "US" });
    change(
        &app,
        Method::POST,
        &ss(b.id, "address-data"),
        Auth::ApiKey(&b.t.partner),
        "xd-self-service",
        address_data,
        StatusCode::OK,
    )
    .await;
    let domicile = json!({ "addressIdentification": 1, "dispatchType": "postal", "postalAddress": { "physicalAddress": {
        "streetName": "Navy Yard", "buildingNumber": "1", "postCode": "22209", "townName": "Arlington", "country": "US", "countrySubDivision": "VA" } } });
    let path = format!("/openwealth/customers/{}/addresses", b.id);
    change(&app, Method::PUT, &path, Auth::Bearer(&b.token), "xd-wealth", domicile, StatusCode::NO_CONTENT).await;

    let audit = audit_after(&app, &b.t, b.id, audit_before).await;
    let wealth_row = audit.iter().find(|e| e.0 == "wealth.address.updated").cloned().expect("the wealth row's own entry");
    assert_eq!((wealth_row.1.as_str(), &wealth_row.4), (api_key(&b.token).as_str(), &json!("xd-wealth")));
    let shared: Vec<_> = audit.into_iter().filter(|e| e.0 != "wealth.address.updated").collect();
    assert_eq!(
        shared,
        [
            entry(
                "customer.updated",
                "admin:admin",
                "address",
                json!([{ "field": "city", "before": "Washington", "after": "Arlington" }]),
                "xd-billing"
            ),
            entry(
                "amendment.applied",
                &api_key(&b.t.partner),
                "address",
                json!([{ "field": "zipCode", "before": "20374", "after": "22209" }]),
                "xd-self-service"
            ),
            entry(
                "customer.updated",
                &api_key(&b.token),
                "address",
                json!([{ "field": "province", "before": null, "after": "VA" }]),
                "xd-wealth"
            ),
        ]
    );

    let updates = updates_after(&app, &b.t, b.id, events_before).await;
    assert_eq!(
        updates,
        [
            (json!("address"), json!([{ "field": "city", "previous": "Washington" }]), json!("xd-billing")),
            (json!("address"), json!([{ "field": "zipCode", "previous": "20374" }]), json!("xd-self-service")),
            (json!("address"), json!([{ "field": "province", "previous": null }]), json!("xd-wealth")),
        ]
    );
    let got = read(&app, &billing_path(BILLING_NUMBER), Auth::Subscription(&b.t.reader)).await;
    assert_eq!(billing_address(&got["address"]), five("Navy Yard", "1", "22209", "Arlington", "US"));
}

// ---- invalid data ----

/// Everything a change could touch: the native view of the customer (data and versions), its
/// audit trail length and its event count.
async fn snapshot(app: &TestApp, t: &Tenant, id: i64) -> (Value, usize, usize) {
    let customer = read(app, &format!("/api/v1/customers/{id}"), Auth::ApiKey(&t.admin)).await;
    (customer, audit_len(app, t, id).await, event_count(app, t, id).await)
}

/// Asserts the partner API's NAK for an invalid PATCH; the message.
fn partner_refusal(r: &Response) -> String {
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let body = r.json();
    assert_eq!(
        (&body["errorCode"], &body["content"], &body["pageable"]),
        (&json!("CUSTOMER_1003"), &json!(""), &json!("")),
        "{body}"
    );
    body["errorMessage"].as_str().unwrap().to_owned()
}

/// Asserts the self-service `ErrorResponse` for an invalid field; the message.
fn self_service_refusal(r: &Response, reference: &str) -> String {
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let body = r.json();
    assert_eq!((&body["errorCode"], &body["reference"]), (&json!("validation.invalid_field"), &json!(reference)), "{body}");
    assert_eq!(body["traceId"], r.headers["x-request-id"].to_str().unwrap());
    body["errorMessage"].as_str().unwrap().to_owned()
}

/// Asserts the wealth API's `/problems/INVALID_PAYLOAD`; the detail.
fn wealth_refusal(r: &Response, instance: &str) -> String {
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.headers["content-type"], "application/problem+json");
    let body = r.json();
    assert_eq!((&body["type"], &body["instance"]), (&json!("/problems/INVALID_PAYLOAD"), &json!(instance)), "{body}");
    body["detail"].as_str().unwrap().to_owned()
}

/// Asserts the billing API's problem for an invalid field; the detail.
fn billing_refusal(r: &Response, reference: &str) -> String {
    let body = assert_problem(r, StatusCode::BAD_REQUEST, "validation.invalid_field");
    assert_eq!(body["reference"], reference, "{body}");
    body["detail"].as_str().unwrap().to_owned()
}

async fn an_invalid_country_code_or_e_mail_address_is_refused_by_every_dialect_in_its_own_shape_and_changes_nothing(
    app: TestApp,
) {
    let p = partner_customer(&app).await;
    let b = billing_customer(&app).await;
    let (contact, address) = p.entry_ids(&app).await;
    let partner_before =
        (snapshot(&app, &p.t, p.id).await, p.details(&app).await, wealth_contacts(&app, &p.token, &p.person).await);
    let billing_before =
        (snapshot(&app, &b.t, b.id).await, read(&app, &billing_path(BILLING_NUMBER), Auth::Subscription(&b.t.reader)).await);

    // The partner API: CUSTOMER_1003 in its envelope, naming the entry's field.
    let bad_country = json!({ "address": { "id": address, "country": "XX" } });
    let r = call(&app, Method::PATCH, &partner_path(&p.uuid), Auth::ApiKey(&p.root_key), None, Some(bad_country)).await;
    assert_eq!(
        partner_refusal(&r),
        "Failed to update customer details: address[0].country is neither an English country name (such as Sweden) \
         nor an ISO 3166-1 alpha-2 country code (such as SE): \"XX\""
    );
    let bad_email = json!({ "contact": { "id": contact, "emailAddress": "ada(at)example.com" } });
    let r = call(&app, Method::PATCH, &partner_path(&p.uuid), Auth::ApiKey(&p.root_key), None, Some(bad_email)).await;
    let m = partner_refusal(&r);
    assert!(m.starts_with(&format!("Failed to update customer details: contact[0].emailAddress {NOT_AN_EMAIL}")), "{m}");

    // The self-service API: its ErrorResponse, the field as reference.
    let key = Auth::ApiKey(&p.t.partner);
    let body =
        json!({ "street": "Marylebone Road", "houseNumber": "221", "zipCode": "NW1 6XE", "city": "London", "countryCode": "XX" });
    let r = call(&app, Method::POST, &ss(p.id, "address-data"), key, None, Some(body)).await;
    assert!(self_service_refusal(&r, "countryCode").contains(NOT_A_COUNTRY), "{}", r.text());
    let r = call(&app, Method::POST, &ss(p.id, "contact-data"), key, None, Some(json!({ "email": "ada(at)example.com" }))).await;
    assert!(self_service_refusal(&r, "email").contains(NOT_AN_EMAIL), "{}", r.text());

    // The wealth API: bLink's INVALID_PAYLOAD problem, the payload path in the detail.
    let path = format!("/openwealth/customers/{}/addresses", p.id);
    let domicile = json!({ "addressIdentification": 1, "dispatchType": "postal", "postalAddress": { "physicalAddress": {
        "streetName": "Bahnhofstrasse", "buildingNumber": "1", "postCode": "8001", "townName": "Zürich", "country": "XX" } } });
    let r = call(&app, Method::PUT, &path, Auth::Bearer(&p.token), None, Some(domicile)).await;
    assert_eq!(wealth_refusal(&r, &path), format!("postalAddress.physicalAddress.country {NOT_A_COUNTRY}"));
    let path = format!("/openwealth/persons/{}/contactdetails", p.person);
    let email = json!({ "medium": "email", "contactMediumType": "private", "contactContent": "ada(at)example.com" });
    let r = call(&app, Method::POST, &path, Auth::Bearer(&p.token), None, Some(email)).await;
    let detail = wealth_refusal(&r, &path);
    assert!(detail.starts_with(&format!("contactContent {NOT_AN_EMAIL}")), "{detail}");

    // The billing API: a problem+json naming the request path.
    let mut body = billing_request();
    body["customer"]["address"]["countryCode"] = json!("XX");
    let r = call(&app, Method::PUT, &billing_path(BILLING_NUMBER), Auth::Subscription(&b.t.admin), None, Some(body)).await;
    assert!(billing_refusal(&r, "customer.address.countryCode").contains(NOT_A_COUNTRY), "{}", r.text());
    let mut body = billing_request();
    body["customer"]["email"] = json!("grace(at)example.com");
    let r = call(&app, Method::POST, "/subscriptions/v1/customers", Auth::Subscription(&b.t.admin), None, Some(body)).await;
    assert!(billing_refusal(&r, "customer.email").contains(NOT_AN_EMAIL), "{}", r.text());

    // Nothing changed: not the data, not a version, no audit entry, no event, nowhere.
    let partner_after =
        (snapshot(&app, &p.t, p.id).await, p.details(&app).await, wealth_contacts(&app, &p.token, &p.person).await);
    assert_eq!(partner_after, partner_before);
    let billing_after =
        (snapshot(&app, &b.t, b.id).await, read(&app, &billing_path(BILLING_NUMBER), Auth::Subscription(&b.t.reader)).await);
    assert_eq!(billing_after, billing_before);
    let amendments = read(&app, "/api/v1/amendments?state=any", Auth::ApiKey(&p.t.staff)).await;
    assert_eq!(amendments["items"], json!([]), "no amendment was stored either");
}

both_backends!(
    a_partner_customer_changed_through_each_dialect_reads_the_same_through_all_the_others,
    a_billing_customer_changed_through_each_dialect_reads_the_same_through_all_the_others,
    partner_self_service_and_wealth_changes_land_in_one_audit_trail_and_one_event_outbox,
    billing_self_service_and_wealth_changes_land_in_one_audit_trail_and_one_event_outbox,
    an_invalid_country_code_or_e_mail_address_is_refused_by_every_dialect_in_its_own_shape_and_changes_nothing,
);
