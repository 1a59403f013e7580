//! Bad input in every dialect gets a clear 4xx in that dialect's shape, never a 500, and nothing is
//! stored: NUL characters, bytes after the JSON value, keys given twice. Every write route with a
//! JSON body is listed once with a valid example body (`world`); the tests derive their hostile
//! variants from it.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use custodian_app::Context;
use custodian_domain::hierarchy::{CreateInput, CustomerUuid};
use custodian_domain::{Actor, DataDomain, Scope};
use custodian_store::webhooks::{NewSubscription, WebhookFormat};
use serde_json::{Value, json};

/// The error shape of a dialect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// The self-service `ErrorResponse`.
    Vendor,
    /// Problem details with `code` (native and billing).
    Native,
    /// The partner envelope.
    Partner,
    /// OpenWealth problem details with a `/problems/…` type.
    OpenWealth,
}

/// How a request carries its key.
#[derive(Debug, Clone)]
pub enum Key {
    None,
    Api(String),
    Subscription(String),
    Bearer(String),
}

/// A write route with a valid example body, and keys with and without the route's scope.
#[derive(Debug, Clone)]
pub struct Write {
    pub shape: Shape,
    pub method: Method,
    pub path: String,
    pub key: Key,
    /// An authenticated key that lacks the route's scope.
    pub unauthorised: Key,
    pub body: Value,
}

impl Write {
    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The same route with another key.
    fn with_key(&self, key: Key) -> Write {
        Write { key, ..self.clone() }
    }
}

/// Sends `body` (raw bytes, as given) to the route with its key.
pub async fn send_raw(app: &TestApp, w: &Write, body: impl Into<Body>) -> Response {
    let mut req = Request::builder().method(w.method.clone()).uri(&w.path).header("content-type", "application/json");
    if w.shape == Shape::OpenWealth {
        req = req.header("X-Correlation-ID", "hostile-input-test");
    }
    req = match &w.key {
        Key::None => req,
        Key::Api(k) => req.header("X-API-KEY", k),
        Key::Subscription(k) => req.header("X-Subscription-Key", k),
        Key::Bearer(k) => req.header("Authorization", format!("Bearer {k}")),
    };
    app.raw(req.body(body.into()).unwrap()).await
}

/// Asserts `status` and the dialect's error shape; the body.
pub fn assert_shaped(r: &Response, status: StatusCode, w: &Write) -> Value {
    let name = w.name();
    assert_eq!(r.status, status, "{name}: {}", r.text());
    let body = r.json();
    let content_type = r.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    match w.shape {
        Shape::Vendor => {
            assert!(body["errorCode"].is_string() && body["errorMessage"].is_string(), "{name}: {body}");
            assert!(body.get("traceId").is_some() && body.get("content").is_none(), "{name}: {body}");
        }
        Shape::Native => {
            assert_eq!(content_type, "application/problem+json", "{name}: {body}");
            assert_eq!(body["status"], status.as_u16(), "{name}: {body}");
            assert!(body["code"].is_string(), "{name}: {body}");
        }
        Shape::Partner => {
            assert!(body["errorCode"].is_string() && body["errorMessage"].is_string(), "{name}: {body}");
            assert_eq!((&body["content"], &body["pageable"]), (&json!(""), &json!("")), "{name}: {body}");
        }
        Shape::OpenWealth => {
            assert_eq!(content_type, "application/problem+json", "{name}: {body}");
            assert!(body["type"].as_str().is_some_and(|t| t.starts_with("/problems/")), "{name}: {body}");
        }
    }
    body
}

/// A tenant with data behind every write route, and the routes.
pub struct World {
    pub customer: i64,
    pub writes: Vec<Write>,
    /// GETs whose answers together show everything the writes could store.
    pub probes: Vec<Write>,
}

fn wealth_profile() -> Value {
    json!({
        "status": "active", "externalReference": "123-456-787", "name": "Steve Rogers", "referenceCurrency": "CHF", "openingDate": "2018-04-13",
        "primaryPerson": { "externalReference": "987-654-321", "countryOfDomicile": "DE", "language": "German", "taxDomicile": ["DE"],
            "personType": "naturalPerson", "personDetails": { "personType": "naturalPerson", "middleName": "Edward", "title": "PhD",
                "nationality": ["DE"], "civilStatus": "married", "TIN": "123-12-1234" } }
    })
}

fn billing_customer() -> Value {
    json!({
      "customer": {
        "address": { "careOf": "", "countryCode": "DE", "postalCode": "97687-7791", "postalPlace": "Schadenville",
          "street": "Bergnaum Mountains", "streetNumber": "1", "streetNumberAdditional": "a" },
        "birthDate": "1984-11-11", "companyName": "", "customerCategory": "PERSON", "customerNumber": "c1631704458",
        "email": "Ray_Ankunding43@gmail.com", "firstName": "Ray", "identificationNumber": "700XXX651", "language": "de",
        "lastName": "Ankunding", "mobilePhone": "+37258774XXX", "phone": "871.790.7578 x4882", "salutation": "MR",
        "taxIdentificationNumber": "12345678L"
      },
      "paymentRegistration": { "id": "275122" }
    })
}

fn partner_customer(name: &str) -> Value {
    json!({
        "status": "ACTIVE", "type": "BUSINESS", "name": name, "currency": "EUR", "vatRegistrationNumber": "DE123456789",
        "contact": [{ "type": "OWNER", "role": "SELFCARE", "salutation": "MS", "firstName": "Ada", "lastName": "Lovelace",
              "emailAddress": "ada@example.com", "mobilePhoneNumber": "+4917112345678", "birthdate": "10121975" }],
        "address": [{ "type": "MAILING", "street": "Am Bahnhof", "buildingNumber": "90", "zipCode": "12133", "city": "Munich", "country": "DE" }]
    })
}

/// Builds the world: a customer with a pending address amendment, a billing customer, a webhook,
/// a partner hierarchy and a wealth customer with a consenting service user.
pub async fn world(app: &TestApp) -> World {
    let t = app.tenant(&[(DataDomain::Contact, DIRECT, false), (DataDomain::Address, VERIFY, false)]).await;
    let c = app.customer(&t).await;
    let pending = app.submit(&t, c, "address-data", address_example()).await;
    let api = |k: &str| Key::Api(k.to_owned());

    // billing: the seed customer
    let r = send_raw(
        app,
        &Write {
            shape: Shape::Native,
            method: Method::POST,
            path: "/subscriptions/v1/customers".into(),
            key: Key::Subscription(t.admin.clone()),
            unauthorised: Key::None,
            body: Value::Null,
        },
        billing_customer().to_string(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // a vendor-format webhook
    let hook = app
        .services
        .store
        .create_subscription(NewSubscription {
            tenant_id: t.id,
            url: "https://93.184.216.34/hooks".into(),
            event_types: vec![],
            format: WebhookFormat::Vendor,
            secret: "whsec_test".into(),
            vendor_key: Some("vendor-key-1".into()),
            now_ms: app.services.clock.now_ms(),
        })
        .await
        .unwrap();

    // partner: a root with a key, and one sub-customer
    let ctx = Context { tenant: t.id, actor: Actor::system(), request_id: None };
    let input = CreateInput {
        status: Some("ACTIVE".into()),
        name: Some("Root".into()),
        currency: Some("EUR".into()),
        ..Default::default()
    };
    let root = app.services.hierarchy.create_root(&ctx, &input).await.unwrap().uuid.to_string();
    let root_key = app
        .services
        .hierarchy
        .create_key(t.id, CustomerUuid::parse(&root).unwrap(), vec![Scope::Partner], "partner-app")
        .await
        .unwrap()
        .secret;
    let r = app.post(&format!("/api/v2/customer/{root}"), &root_key, partner_customer("Volvo Fleet")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let child = r.json()["content"][0]["customerId"].as_str().unwrap().to_owned();

    // wealth: a profile and a consenting service user
    let token = app.services.keys.create(t.id, vec![Scope::WealthServiceUser], "wealthtech").await.unwrap().secret;
    let r = app.put(&format!("/api/v1/customers/{c}/wealth-profile"), &t.admin, wealth_profile()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let person = r.json()["primaryPerson"]["personIdentification"].as_str().unwrap().to_owned();
    let r = app.post("/api/v1/consents", &t.admin, json!({ "customerId": c, "serviceUser": key_prefix(&token) })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let other = app.customer(&t).await;

    let w = |shape, method: Method, path: String, key: Key, unauthorised: Key, body: Value| Write {
        shape,
        method,
        path,
        key,
        unauthorised,
        body,
    };
    let mut writes = vec![
        w(Shape::Vendor, Method::POST, ss(c, "contact-data"), api(&t.partner), api(&t.reader), contact_example()),
        w(Shape::Vendor, Method::POST, ss(c, "address-data"), api(&t.partner), api(&t.reader), address_example()),
        w(Shape::Vendor, Method::POST, ss(c, "master-data"), api(&t.partner), api(&t.reader), master_example()),
        w(Shape::Vendor, Method::POST, ss(c, "payment-data"), api(&t.partner), api(&t.reader), payment_example()),
        w(Shape::Native, Method::POST, "/api/v1/customers".into(), api(&t.admin), api(&t.staff), customer_body()),
        w(
            Shape::Native,
            Method::POST,
            format!("/api/v1/amendments/{pending}/reject"),
            api(&t.staff),
            api(&t.partner),
            json!({ "reason": "The street does not exist." }),
        ),
        w(
            Shape::Native,
            Method::PUT,
            "/api/v1/policies/contact".into(),
            api(&t.admin),
            api(&t.staff),
            json!({ "status": "CHANGES_WITHOUT_VERIFICATION", "requireSignature": false }),
        ),
        w(
            Shape::Native,
            Method::POST,
            "/api/v1/webhooks".into(),
            api(&t.admin),
            api(&t.staff),
            json!({ "url": "https://93.184.216.34/other", "eventTypes": ["customer.updated"], "format": "vendor", "vendorKey": "vendor-key-2" }),
        ),
        w(
            Shape::Native,
            Method::PATCH,
            format!("/api/v1/webhooks/{}", hook.id),
            api(&t.admin),
            api(&t.staff),
            json!({ "url": "https://93.184.216.34/moved", "eventTypes": ["customer.updated"], "vendorKey": "vendor-key-3" }),
        ),
        w(
            Shape::Native,
            Method::PUT,
            format!("/api/v1/customers/{c}/wealth-profile"),
            api(&t.admin),
            api(&t.staff),
            wealth_profile(),
        ),
        w(
            Shape::Native,
            Method::POST,
            format!("/api/v1/customers/{c}/persons"),
            api(&t.admin),
            api(&t.staff),
            json!({ "personRelation": "other", "person": { "language": "English",
                "personDetails": { "personType": "trust", "trustName": "Spiderman Trust", "trustType": "simpleTrust" } } }),
        ),
        w(
            Shape::Native,
            Method::POST,
            "/api/v1/consents".into(),
            api(&t.admin),
            api(&t.staff),
            json!({ "customerId": other, "serviceUser": key_prefix(&token) }),
        ),
        w(
            Shape::Native,
            Method::POST,
            "/subscriptions/v1/customers".into(),
            Key::Subscription(t.admin.clone()),
            Key::Subscription(t.reader.clone()),
            billing_customer(),
        ),
        w(
            Shape::Native,
            Method::PUT,
            "/subscriptions/v1/customers/c1631704458".into(),
            Key::Subscription(t.admin.clone()),
            Key::Subscription(t.reader.clone()),
            billing_customer(),
        ),
        w(
            Shape::Partner,
            Method::POST,
            format!("/api/v2/customer/{root}"),
            api(&root_key),
            api(&t.admin),
            partner_customer("Scania Fleet"),
        ),
        w(
            Shape::Partner,
            Method::PATCH,
            format!("/api/v2/customer/{child}"),
            api(&root_key),
            api(&t.admin),
            json!({ "name": "Volvo Fleet Nord", "invoiceConfiguration": { "invoiceText": "Fleet" } }),
        ),
        w(
            Shape::OpenWealth,
            Method::POST,
            format!("/openwealth/persons/{person}/contactdetails"),
            Key::Bearer(token.clone()),
            Key::Bearer(t.admin.clone()),
            json!({ "medium": "phone", "contactMediumType": "business", "contactContent": "0041998887766",
                "additionalContactInformation": "Prio 1 Phone Number" }),
        ),
    ];
    let new_address = json!({ "addressName": "Stark Tower", "mailingInstruction": "MainDispatch",
        "postalAddress": { "physicalAddress": { "streetName": "Park Avenue", "buildingNumber": "200", "postCode": "10166",
            "townName": "New York", "country": "US" } } });
    let mut put_address = new_address.clone();
    put_address["addressIdentification"] = json!(1);
    for plural in ["customers", "customer"] {
        let path = format!("/openwealth/{plural}/{c}/addresses");
        let (key, unauthorised) = (Key::Bearer(token.clone()), Key::Bearer(t.admin.clone()));
        writes.push(w(Shape::OpenWealth, Method::POST, path.clone(), key.clone(), unauthorised.clone(), new_address.clone()));
        writes.push(w(Shape::OpenWealth, Method::PUT, path, key, unauthorised, put_address.clone()));
    }
    for (domain, body) in customer_body().as_object().unwrap() {
        writes.push(w(
            Shape::Native,
            Method::PUT,
            format!("/api/v1/customers/{c}/{domain}"),
            api(&t.admin),
            api(&t.staff),
            body.clone(),
        ));
    }

    let get = |shape, path: String, key: Key| w(shape, Method::GET, path, key, Key::None, Value::Null);
    let probes = vec![
        get(Shape::Native, "/api/v1/audit?limit=100".into(), api(&t.admin)),
        get(Shape::Native, "/api/v1/customers?limit=100".into(), api(&t.admin)),
        get(Shape::Native, "/api/v1/amendments?limit=100".into(), api(&t.admin)),
        get(Shape::Native, "/api/v1/webhooks".into(), api(&t.admin)),
        get(Shape::Native, "/api/v1/consents?limit=100".into(), api(&t.admin)),
        get(Shape::Native, "/api/v1/policies".into(), api(&t.admin)),
        get(Shape::Native, format!("/api/v1/customers/{c}/wealth-profile"), api(&t.admin)),
        get(Shape::Partner, format!("/api/v2/customer/{child}"), api(&root_key)),
        get(Shape::Partner, format!("/api/v2/customer/{root}/child-customers?size=100"), api(&root_key)),
        get(Shape::OpenWealth, format!("/openwealth/persons/{person}/contactdetails"), Key::Bearer(token.clone())),
        get(Shape::OpenWealth, format!("/openwealth/customers/{c}"), Key::Bearer(token.clone())),
    ];
    World { customer: c, writes, probes }
}

/// Everything the probes answer, to compare before and after a refused write.
pub async fn footprint(app: &TestApp, world: &World) -> Vec<Value> {
    let mut out = Vec::new();
    for p in &world.probes {
        let r = send_raw(app, p, Body::empty()).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", p.name(), r.text());
        out.push(r.json());
    }
    out
}

/// The JSON pointers of every string in `v`.
fn string_pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::String(_) => out.push(at),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, item)| string_pointers(item, format!("{at}/{i}"), out)),
        Value::Object(map) => map.iter().for_each(|(k, item)| string_pointers(item, format!("{at}/{k}"), out)),
        _ => {}
    }
}

/// A nul character in any string of any write body is a 400 in the dialect's shape and stores nothing.
async fn a_nul_character_in_any_string_of_any_write_body_is_refused_and_stores_nothing(app: TestApp) {
    let world = world(&app).await;
    let before = footprint(&app, &world).await;
    let mut tried = 0;
    for w in &world.writes {
        let mut pointers = Vec::new();
        string_pointers(&w.body, String::new(), &mut pointers);
        assert!(!pointers.is_empty(), "{}", w.name());
        for pointer in pointers {
            let mut body = w.body.clone();
            let slot = body.pointer_mut(&pointer).unwrap();
            *slot = Value::String(format!("{}\u{0}x", slot.as_str().unwrap()));
            let r = send_raw(&app, w, body.to_string()).await;
            assert_shaped(&r, StatusCode::BAD_REQUEST, w);
            tried += 1;
        }
    }
    assert!(tried > 100, "only {tried} fields tried");
    assert_eq!(footprint(&app, &world).await, before, "a refused write stored something");
}

/// Bytes after the JSON value make any body a 400, in every dialect.
async fn bytes_after_the_json_value_are_refused_in_every_dialect(app: TestApp) {
    let world = world(&app).await;
    let before = footprint(&app, &world).await;
    for w in &world.writes {
        for tail in [" xyz", "{}", " \"more\"", ","] {
            let r = send_raw(&app, w, format!("{}{tail}", w.body)).await;
            assert_shaped(&r, StatusCode::BAD_REQUEST, w);
        }
    }
    assert_eq!(footprint(&app, &world).await, before);
}

/// Serialises `v` with the first member of the object at `path` written twice.
fn with_duplicate(v: &Value, path: &[String]) -> String {
    match v {
        Value::Object(map) => {
            let mut members: Vec<String> = Vec::new();
            for (i, (k, item)) in map.iter().enumerate() {
                let key = serde_json::to_string(k).unwrap();
                let inner = match path.split_first() {
                    Some((head, rest)) if head == k => with_duplicate(item, rest),
                    _ => item.to_string(),
                };
                if i == 0 && path.is_empty() {
                    members.push(format!("{key}:{inner}"));
                }
                members.push(format!("{key}:{inner}"));
            }
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => {
            let members: Vec<String> = items
                .iter()
                .enumerate()
                .map(|(i, item)| match path.split_first() {
                    Some((head, rest)) if *head == i.to_string() => with_duplicate(item, rest),
                    _ => item.to_string(),
                })
                .collect();
            format!("[{}]", members.join(","))
        }
        other => other.to_string(),
    }
}

/// The paths of every non-empty object in `v`.
fn object_paths(v: &Value, at: Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            out.push(at.clone());
            for (k, item) in map {
                let mut next = at.clone();
                next.push(k.clone());
                object_paths(item, next, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let mut next = at.clone();
                next.push(i.to_string());
                object_paths(item, next, out);
            }
        }
        _ => {}
    }
}

/// A key given twice in any object of any body — also in bodies read as free-form JSON (the native
/// domain PUT, the partner PATCH) — is a 400 naming the key, in every dialect.
async fn a_key_given_twice_at_any_depth_is_refused_in_every_dialect(app: TestApp) {
    let world = world(&app).await;
    let before = footprint(&app, &world).await;
    for w in &world.writes {
        let mut paths = Vec::new();
        object_paths(&w.body, Vec::new(), &mut paths);
        for path in paths {
            let raw = with_duplicate(&w.body, &path);
            let r = send_raw(&app, w, raw.clone()).await;
            assert_shaped(&r, StatusCode::BAD_REQUEST, w);
            let text = r.text();
            assert!(text.contains("more than once"), "{}: {raw} → {text}", w.name());
        }
    }
    assert_eq!(footprint(&app, &world).await, before);
}

/// The issue's examples, literally: the native domain PUT and the partner PATCH took duplicates.
async fn duplicate_keys_in_the_native_domain_put_and_the_partner_patch_are_refused(app: TestApp) {
    let world = world(&app).await;
    let put = world.writes.iter().find(|w| w.path.ends_with(&format!("/customers/{}/contact", world.customer))).unwrap();
    let r = send_raw(&app, put, r#"{"email":"a@example.com","email":"b@example.com"}"#).await;
    let body = assert_shaped(&r, StatusCode::BAD_REQUEST, put);
    assert_eq!(body["reference"], "email", "{body}");
    let patch = world.writes.iter().find(|w| w.method == Method::PATCH && w.shape == Shape::Partner).unwrap();
    let r = send_raw(&app, patch, r#"{"invoiceConfiguration":{"invoiceText":"a","invoiceText":"b"}}"#).await;
    let body = assert_shaped(&r, StatusCode::BAD_REQUEST, patch);
    assert_eq!(body["errorCode"], "CUSTOMER_1003", "{body}");
    assert!(body["errorMessage"].as_str().unwrap().contains("invoiceConfiguration.invoiceText"), "{body}");
}

/// Authenticate, authorise, then validate: without a key any body is 401, with a key that lacks the
/// route's scope any body — valid, malformed or hostile — is 403, in every dialect.
async fn the_scope_is_checked_before_the_body_in_every_dialect(app: TestApp) {
    let world = world(&app).await;
    let before = footprint(&app, &world).await;
    for w in &world.writes {
        let bodies =
            [w.body.to_string(), "{\"broken\": ".into(), "[]".into(), format!("{} xyz", w.body), "{\"x\":\"\\u0000\"}".into()];
        for body in bodies {
            let r = send_raw(&app, &w.with_key(w.unauthorised.clone()), body.clone()).await;
            assert_shaped(&r, StatusCode::FORBIDDEN, w);
            let r = send_raw(&app, &w.with_key(Key::None), body).await;
            assert_shaped(&r, StatusCode::UNAUTHORIZED, w);
        }
    }
    assert_eq!(footprint(&app, &world).await, before);
}

both_backends!(
    the_scope_is_checked_before_the_body_in_every_dialect,
    a_nul_character_in_any_string_of_any_write_body_is_refused_and_stores_nothing,
    bytes_after_the_json_value_are_refused_in_every_dialect,
    a_key_given_twice_at_any_depth_is_refused_in_every_dialect,
    duplicate_keys_in_the_native_domain_put_and_the_partner_patch_are_refused,
);

/// A method a self-service route does not have is a 405 in the vendor's `ErrorResponse`, with `Allow`.
async fn a_wrong_method_under_v1_answers_the_vendor_error_response(app: TestApp) {
    let t = app.tenant(&[]).await;
    let c = app.customer(&t).await;
    for (method, path, allowed) in [
        (Method::PUT, ss(c, "contact-data"), "GET,POST"),
        (Method::DELETE, ss(c, "address-data"), "GET,POST"),
        (Method::PATCH, ss(c, "payment-data"), "GET,POST"),
        (Method::GET, format!("/v1/customers/{c}/self-service/amendment/1"), "DELETE"),
    ] {
        let r = app.send(method.clone(), &path, Some(&t.partner), Some(json!({}))).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        let body = r.json();
        assert_eq!(body["errorCode"], "route.method_not_allowed", "{body}");
        assert_eq!(body["errorMessage"], format!("{method} is not allowed on {path}"), "{body}");
        assert!(body.get("traceId").is_some(), "{body}");
        let allow = r.headers.get("allow").and_then(|v| v.to_str().ok()).unwrap_or_default().replace(' ', "");
        let mut allow: Vec<&str> = allow.split(',').filter(|m| *m != "HEAD").collect();
        allow.sort();
        assert_eq!(allow.join(","), allowed, "{method} {path}");
    }
}

both_backends!(a_wrong_method_under_v1_answers_the_vendor_error_response);

/// Bidirectional overrides and isolates, line separators and control characters in a name or an
/// address are a 400 in every dialect whose message names the field and the character.
async fn names_and_addresses_with_bidirectional_controls_are_refused_in_every_dialect(app: TestApp) {
    let world = world(&app).await;
    let before = footprint(&app, &world).await;
    let c = world.customer;
    let route = |method: Method, path: &str| {
        world
            .writes
            .iter()
            .find(|w| w.method == method && (w.path.ends_with(path) || path.ends_with('/') && w.path.starts_with(path)))
            .unwrap_or_else(|| panic!("{method} {path}"))
    };
    let cases = [
        (route(Method::POST, "/address-data"), "/street", "street", "U+202E"),
        (route(Method::POST, "/master-data"), "/firstName", "firstName", "U+2066"),
        (route(Method::POST, "/payment-data"), "/accountHolder", "accountHolder", "U+2028"),
        (route(Method::PUT, &format!("/api/v1/customers/{c}/master")), "/lastName", "lastName", "U+202D"),
        (route(Method::PUT, &format!("/api/v1/customers/{c}/address")), "/city", "city", "U+2069"),
        (route(Method::POST, "/api/v1/customers"), "/address/street", "address.street", "U+202A"),
        (route(Method::POST, "/subscriptions/v1/customers"), "/customer/firstName", "firstName", "U+202E"),
        (route(Method::PUT, "/customers/c1631704458"), "/customer/address/street", "street", "U+2067"),
        (route(Method::PATCH, "/api/v2/customer/"), "/name", "name", "U+202E"),
        (
            route(Method::POST, &format!("/openwealth/customers/{c}/addresses")),
            "/postalAddress/physicalAddress/townName",
            "townName",
            "U+202E",
        ),
        (route(Method::POST, "/contactdetails"), "/additionalContactInformation", "additionalContactInformation", "U+001B"),
    ];
    for (w, pointer, field, character) in cases {
        let mut body = w.body.clone();
        let slot = body.pointer_mut(pointer).unwrap_or_else(|| panic!("{} {pointer}", w.name()));
        let hostile = char::from_u32(u32::from_str_radix(&character[2..], 16).unwrap()).unwrap();
        *slot = json!(format!("Ma{hostile}in"));
        let r = send_raw(&app, w, body.to_string()).await;
        let answer = assert_shaped(&r, StatusCode::BAD_REQUEST, w);
        let text = answer.to_string();
        assert!(text.contains(field) && text.contains(character), "{}: {pointer} → {text}", w.name());
    }
    assert_eq!(footprint(&app, &world).await, before);
}

both_backends!(names_and_addresses_with_bidirectional_controls_are_refused_in_every_dialect);
