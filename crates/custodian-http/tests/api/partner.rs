//! The hierarchical partner API (`/api/v2/`): the seed's and the vendor reference's examples
//! replayed, every eligibility rule and refusal, merge-patch semantics, asynchronous requests, and
//! the same data seen through the self-service dialect.

use crate::helpers::*;
use axum::http::{Method, StatusCode};
use custodian_app::Context;
use custodian_domain::hierarchy::{CreateInput, CustomerUuid, OperationKind, OperationStatus, RequestId};
use custodian_domain::{Actor, CustomerId, DataDomain, Scope};
use custodian_store::hierarchy::NewOperation;
use serde_json::{Value, json};

/// A tenant with a hierarchy: root → child → grandchild, and root → second; each with a key.
struct Tree {
    t: Tenant,
    root: String,
    root_key: String,
    child: String,
    child_key: String,
    second: String,
    grandchild: String,
}

fn customer_path(uuid: &str) -> String {
    format!("/api/v2/customer/{uuid}")
}

fn children_path(uuid: &str) -> String {
    format!("/api/v2/customer/{uuid}/child-customers")
}

fn call_path(request_id: &str) -> String {
    format!("/api/v2/global/call/{request_id}")
}

/// A sub-customer as the vendor's Create Customer documents it: two contacts, two addresses.
fn new_customer_body(name: &str) -> Value {
    json!({
        "status": "ACTIVE",
        "type": "BUSINESS",
        "name": name,
        "currency": "EUR",
        "vatRegistrationNumber": "DE123456789",
        "contact": [
            { "type": "OWNER", "role": "SELFCARE", "salutation": "MS", "firstName": "Ada", "lastName": "Lovelace",
              "emailAddress": "ada@example.com", "mobilePhoneNumber": "+4917112345678", "birthdate": "10121975" },
            { "type": "MEMBER", "role": "NONE", "firstName": "Charles", "lastName": "Babbage",
              "emailAddress": "charles@example.com", "landlinePhoneNumber": "+44 20 7946 0000" }
        ],
        "address": [
            { "type": "MAILING", "street": "Am Bahnhof", "buildingNumber": "90", "zipCode": "12133", "city": "Munich", "country": "DE" },
            { "type": "SHIPPING", "street": "Dock 5", "city": "Hamburg", "country": "DE" }
        ]
    })
}

impl TestApp {
    async fn patch(&self, path: &str, key: &str, body: Value) -> Response {
        self.send(Method::PATCH, path, Some(key), Some(body)).await
    }

    /// A root of a hierarchy (created by an operator) and a PARTNER key bound to it.
    async fn partner_root(&self, t: &Tenant, name: &str) -> (String, String) {
        let ctx = Context { tenant: t.id, actor: Actor::system(), request_id: None };
        let input = CreateInput {
            status: Some("ACTIVE".into()),
            name: Some(name.into()),
            currency: Some("EUR".into()),
            ..Default::default()
        };
        let root = self.services.hierarchy.create_root(&ctx, &input).await.unwrap();
        let key = self.partner_key(t, &root.uuid.to_string()).await;
        (root.uuid.to_string(), key)
    }

    async fn partner_key(&self, t: &Tenant, customer: &str) -> String {
        let uuid = CustomerUuid::parse(customer).unwrap();
        self.services.hierarchy.create_key(t.id, uuid, vec![Scope::Partner], "partner-app").await.unwrap().secret
    }

    /// Creates a sub-customer of the key's customer; its id and the request id.
    async fn create_sub_customer(&self, key: &str, parent: &str, body: Value) -> (String, String) {
        let r = self.post(&customer_path(parent), key, body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let content = &r.json()["content"][0];
        (content["customerId"].as_str().unwrap().to_owned(), content["requestId"].as_str().unwrap().to_owned())
    }

    async fn details(&self, key: &str, uuid: &str) -> Value {
        let r = self.get(&customer_path(uuid), key).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.json()["content"][0].clone()
    }

    async fn request_status(&self, key: &str, request_id: &str) -> Value {
        let r = self.get(&call_path(request_id), key).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.json()["content"][0].clone()
    }

    /// PATCHes and expects the ACK; the request id.
    async fn modify(&self, key: &str, uuid: &str, body: Value) -> String {
        let r = self.patch(&customer_path(uuid), key, body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.json()["content"][0]["requestId"].as_str().unwrap().to_owned()
    }

    /// The numeric id the other dialects use for a partner customer.
    async fn numeric_id(&self, t: &Tenant, uuid: &str) -> i64 {
        self.services.hierarchy.customer_id(t.id, CustomerUuid::parse(uuid).unwrap()).await.unwrap().0
    }

    async fn tree(&self, policies: &[(DataDomain, custodian_domain::ConfigurationStatus, bool)]) -> Tree {
        let t = self.tenant(policies).await;
        let (root, root_key) = self.partner_root(&t, "Operator Root").await;
        let (child, _) = self.create_sub_customer(&root_key, &root, new_customer_body("Volvo Fleet")).await;
        let (second, _) = self.create_sub_customer(&root_key, &root, new_customer_body("Scania Fleet")).await;
        let child_key = self.partner_key(&t, &child).await;
        let (grandchild, _) = self.create_sub_customer(&child_key, &child, new_customer_body("Volvo Trucks Gothenburg")).await;
        Tree { t, root, root_key, child, child_key, second, grandchild }
    }
}

/// Asserts the vendor's NAK: `status`, `errorCode`, and empty `content` and `pageable`; the message.
fn assert_nak(r: &Response, status: StatusCode, code: &str) -> String {
    assert_eq!(r.status, status, "{}", r.text());
    let body = r.json();
    assert_eq!(body["errorCode"], code, "{body}");
    assert_eq!(body["content"], "", "{body}");
    assert_eq!(body["pageable"], "", "{body}");
    assert_eq!(body.as_object().unwrap().len(), 4, "{body}");
    body["errorMessage"].as_str().unwrap().to_owned()
}

fn is_uuid(v: &Value) -> bool {
    v.as_str().is_some_and(|s| CustomerUuid::parse(s).is_ok() && s.len() == 36)
}

// ---- the documented examples ----

async fn the_seed_example_changes_only_the_name_and_answers_the_documented_ack(app: TestApp) {
    let tree = app.tree(&[]).await;
    let before = app.details(&tree.root_key, &tree.child).await;

    let r = app.patch(&customer_path(&tree.child), &tree.root_key, json!({ "name": "Volvo" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let ack = r.json();
    assert_eq!(ack["errorCode"], "");
    assert_eq!(ack["errorMessage"], "");
    assert_eq!(ack["pageable"], json!({ "page": 0, "size": 10, "totalPages": 1, "totalElements": 1 }));
    let content = ack["content"].as_array().unwrap();
    assert_eq!(content.len(), 1);
    assert_eq!(content[0].as_object().unwrap().keys().collect::<Vec<_>>(), vec!["requestId"], "{ack}");
    assert!(is_uuid(&content[0]["requestId"]), "{ack}");

    let after = app.details(&tree.root_key, &tree.child).await;
    assert_eq!(after["name"], "Volvo");
    let mut expected = before;
    expected["name"] = json!("Volvo");
    assert_eq!(after, expected, "only the name changed");

    let status = app.request_status(&tree.root_key, content[0]["requestId"].as_str().unwrap()).await;
    assert_eq!(status, json!({ "status": "SUCCESS" }));
}

async fn the_seed_failure_example_is_global_1001_when_the_database_fails(app: TestApp) {
    let tree = app.tree(&[]).await;
    sabotage(&app.database_url, &["DROP TABLE partner_operations"]).await;
    let r = app.patch(&customer_path(&tree.child), &tree.root_key, json!({ "name": "Volvo" })).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        r.json(),
        json!({ "errorCode": "GLOBAL_1001", "errorMessage": "Service unavailable. Please try again", "content": "", "pageable": "" })
    );
    assert_eq!(app.details(&tree.root_key, &tree.child).await["name"], "Volvo Fleet", "nothing changed");
}

/// Runs statements on the test database behind the application's back.
async fn sabotage(url: &str, statements: &[&'static str]) {
    use sqlx::Executor;
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        for statement in statements {
            pool.execute(*statement).await.unwrap();
        }
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        for statement in statements {
            pool.execute(*statement).await.unwrap();
        }
        pool.close().await;
    }
}

async fn an_unknown_request_id_is_the_documented_global_1003(app: TestApp) {
    let tree = app.tree(&[]).await;
    let r = app.get(&call_path("ff74dca6-8e7f-4b85-a42b-13860913b370"), &tree.root_key).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.json(),
        json!({ "errorCode": "GLOBAL_1003", "errorMessage": "Provided request ID does not exist for your account.", "content": "", "pageable": "" })
    );
}

async fn the_documented_child_list_names_the_direct_children_one_level_only(app: TestApp) {
    let tree = app.tree(&[]).await;
    let r = app.get(&children_path(&tree.root), &tree.root_key).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({
            "errorCode": "",
            "errorMessage": "",
            "content": [
                { "customerId": tree.child, "customerName": "Volvo Fleet" },
                { "customerId": tree.second, "customerName": "Scania Fleet" }
            ],
            "pageable": { "page": 0, "size": 10, "totalPages": 1, "totalElements": 2 }
        }),
        "the grandchild is not listed"
    );

    let page = app.get(&format!("{}?page=1&size=1", children_path(&tree.root)), &tree.root_key).await.json();
    assert_eq!(page["content"], json!([{ "customerId": tree.second, "customerName": "Scania Fleet" }]));
    assert_eq!(page["pageable"], json!({ "page": 1, "size": 1, "totalPages": 2, "totalElements": 2 }));
    let beyond = app.get(&format!("{}?page=5", children_path(&tree.root)), &tree.root_key).await.json();
    assert_eq!(beyond["content"], json!([]));

    let own = app.get(&children_path(&tree.child), &tree.child_key).await.json();
    assert_eq!(own["content"], json!([{ "customerId": tree.grandchild, "customerName": "Volvo Trucks Gothenburg" }]));
    let none = app.get(&children_path(&tree.grandchild), &app.partner_key(&tree.t, &tree.grandchild).await).await.json();
    assert_eq!(none["content"], json!([]));
    assert_eq!(none["pageable"], json!({ "page": 0, "size": 10, "totalPages": 0, "totalElements": 0 }));

    for bad in ["page=-1", "size=0", "size=101", "page=first"] {
        let r = app.get(&format!("{}?{bad}", children_path(&tree.root)), &tree.root_key).await;
        let message = assert_nak(&r, StatusCode::BAD_REQUEST, "CUSTOMER_1006");
        assert!(message.starts_with("Failed to retrieve customer details: "), "{message}");
    }
}

// ---- eligibility ----

async fn a_requester_reads_itself_and_its_sub_customers_at_any_depth(app: TestApp) {
    let tree = app.tree(&[]).await;
    assert_eq!(app.details(&tree.root_key, &tree.root).await["name"], "Operator Root");
    assert_eq!(app.details(&tree.root_key, &tree.child).await["customerId"], tree.child.as_str());
    assert_eq!(app.details(&tree.root_key, &tree.grandchild).await["name"], "Volvo Trucks Gothenburg");
    assert_eq!(app.details(&tree.child_key, &tree.child).await["name"], "Volvo Fleet");

    for hidden in [&tree.root, &tree.second] {
        let r = app.get(&customer_path(hidden), &tree.child_key).await;
        assert_eq!(assert_nak(&r, StatusCode::NOT_FOUND, "CUSTOMER_1002"), "Customer does not exist");
    }
    let unknown = app.get(&customer_path("00000000-0000-4000-8000-000000000000"), &tree.root_key).await;
    assert_nak(&unknown, StatusCode::NOT_FOUND, "CUSTOMER_1002");

    // Another root of the same tenant, and a root of another tenant, see none of it.
    let (_, other_key) = app.partner_root(&tree.t, "Other Root").await;
    assert_nak(&app.get(&customer_path(&tree.child), &other_key).await, StatusCode::NOT_FOUND, "CUSTOMER_1002");
    let other_tenant = app.tenant(&[]).await;
    let (_, foreign_key) = app.partner_root(&other_tenant, "Foreign Root").await;
    assert_nak(&app.get(&customer_path(&tree.root), &foreign_key).await, StatusCode::NOT_FOUND, "CUSTOMER_1002");
}

async fn a_requester_creates_sub_customers_only_directly_under_itself(app: TestApp) {
    let tree = app.tree(&[]).await;
    let r = app.post(&customer_path(&tree.child), &tree.root_key, new_customer_body("Deep")).await;
    let message = assert_nak(&r, StatusCode::FORBIDDEN, "CUSTOMER_1004");
    assert_eq!(
        message,
        "The requester is not eligible for this request: the requester may create sub-customers only directly under itself, not under one of its sub-customers"
    );
    assert_nak(
        &app.post(&customer_path(&tree.root), &tree.child_key, new_customer_body("Up")).await,
        StatusCode::NOT_FOUND,
        "CUSTOMER_1002",
    );
    assert_nak(
        &app.post(&customer_path(&tree.second), &tree.child_key, new_customer_body("Aside")).await,
        StatusCode::NOT_FOUND,
        "CUSTOMER_1002",
    );
    let listed = app.get(&children_path(&tree.child), &tree.child_key).await.json();
    assert_eq!(listed["pageable"]["totalElements"], 1, "nothing was created: {listed}");

    // Only status and currency are mandatory; the type defaults to PRIVATE.
    let (minimal, _) =
        app.create_sub_customer(&tree.child_key, &tree.child, json!({ "status": "SUSPEND", "currency": "usd" })).await;
    let d = app.details(&tree.child_key, &minimal).await;
    assert_eq!(
        (d["status"].as_str(), d["type"].as_str(), d["currency"].as_str()),
        (Some("SUSPEND"), Some("PRIVATE"), Some("USD"))
    );
    assert_eq!((d["name"].clone(), d["contact"].clone(), d["address"].clone()), (Value::Null, json!([]), json!([])));
}

async fn a_created_sub_customer_has_the_documented_defaults_and_fills_the_shared_domains(app: TestApp) {
    let tree = app.tree(&[]).await;
    let (uuid, request_id) = app.create_sub_customer(&tree.root_key, &tree.root, new_customer_body("Volvo Buses")).await;
    assert!(is_uuid(&json!(uuid)) && is_uuid(&json!(request_id)));
    assert_eq!(app.request_status(&tree.root_key, &request_id).await, json!({ "status": "SUCCESS" }));

    let d = app.details(&tree.root_key, &uuid).await;
    assert_eq!(d["customerId"], uuid.as_str());
    assert_eq!(
        (d["status"].as_str(), d["type"].as_str(), d["currency"].as_str()),
        (Some("ACTIVE"), Some("BUSINESS"), Some("EUR"))
    );
    assert_eq!((d["allowOfferDelegation"].as_bool(), d["isAllowedImeiLock"].as_bool()), (Some(false), Some(false)));
    assert_eq!(d["isImeiLockEnabled"], false);
    assert_eq!(d["mfaConfiguration"], "MANDATORY");
    assert_eq!(d["vatRegistrationNumber"], "DE123456789");
    assert_eq!(d["invoiceConfiguration"]["chargeByActive"], "SIM");
    assert_eq!(d["invoiceConfiguration"]["activityIndication"], "NETWORK_REGISTRATION");
    assert_eq!(d["invoiceConfiguration"]["vat"], Value::Null);
    let contacts = d["contact"].as_array().unwrap();
    assert_eq!(contacts.len(), 2);
    assert!(contacts.iter().all(|c| is_uuid(&c["id"])));
    assert_eq!((contacts[0]["isPrimary"].as_bool(), contacts[1]["isPrimary"].as_bool()), (Some(true), Some(false)));
    assert_eq!(contacts[0]["birthdate"], "10121975");
    assert_eq!(contacts[0]["salutation"], "MS");
    assert_eq!(contacts[1]["landlinePhoneNumber"], "+44 20 7946 0000");
    let addresses = d["address"].as_array().unwrap();
    assert_eq!(addresses[0]["buildingNumber"], "90");
    assert_eq!(addresses[1]["city"], "Hamburg");

    // The primary contact and address are the customer's contact and address data.
    let id = app.numeric_id(&tree.t, &uuid).await;
    let contact = app.get(&ss(id, "contact-data"), &tree.t.partner).await.json();
    assert_eq!(contact["email"], "ada@example.com");
    assert_eq!(contact["phonePrivateMobile"], "+4917112345678");
    let address = app.get(&ss(id, "address-data"), &tree.t.partner).await.json();
    assert_eq!((address["street"].as_str(), address["houseNumber"].as_str()), (Some("Am Bahnhof"), Some("90")));
    assert_eq!((address["city"].as_str(), address["countryCode"].as_str()), (Some("Munich"), Some("DE")));
    let audit = app.get(&format!("/api/v1/customers/{id}/audit"), &tree.t.staff).await.json();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["customer.created", "customer.created", "partner.created"], "{audit}");
    let created = &audit["items"][2]["changes"];
    assert!(created.as_array().unwrap().iter().any(|c| c["field"] == "name" && c["after"] == "Volvo Buses"), "{created}");
    assert!(created.as_array().unwrap().iter().all(|c| !c["after"].is_null()), "only what was set: {created}");
    let events = app.services.store.list_events(tree.t.id, CustomerId(id)).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_type, "customer.created");
    assert_eq!(events[0].payload["customerUuid"], uuid.as_str());
    assert_eq!(events[0].payload["parentCustomerUuid"], tree.root.as_str());
}

async fn a_requester_modifies_its_sub_customers_but_never_its_own_profile(app: TestApp) {
    let tree = app.tree(&[]).await;
    app.modify(&tree.root_key, &tree.child, json!({ "name": "Volvo Group" })).await;
    app.modify(&tree.root_key, &tree.grandchild, json!({ "name": "Volvo Trucks" })).await;
    assert_eq!(app.details(&tree.root_key, &tree.grandchild).await["name"], "Volvo Trucks");

    let r = app.patch(&customer_path(&tree.child), &tree.child_key, json!({ "name": "Self-promoted" })).await;
    let message = assert_nak(&r, StatusCode::FORBIDDEN, "CUSTOMER_1004");
    assert_eq!(
        message,
        "The requester is not eligible for this request: the requester may not modify its own profile, only its sub-customers' profiles"
    );
    assert_nak(
        &app.patch(&customer_path(&tree.root), &tree.child_key, json!({ "name": "x" })).await,
        StatusCode::NOT_FOUND,
        "CUSTOMER_1002",
    );
    assert_nak(
        &app.patch(&customer_path(&tree.second), &tree.child_key, json!({ "name": "x" })).await,
        StatusCode::NOT_FOUND,
        "CUSTOMER_1002",
    );
    assert_eq!(app.details(&tree.root_key, &tree.child).await["name"], "Volvo Group");
    assert_eq!(app.details(&tree.root_key, &tree.root).await["name"], "Operator Root");
}

async fn a_requester_lists_only_its_own_children(app: TestApp) {
    let tree = app.tree(&[]).await;
    let r = app.get(&children_path(&tree.child), &tree.root_key).await;
    let message = assert_nak(&r, StatusCode::FORBIDDEN, "CUSTOMER_1004");
    assert!(
        message.ends_with("the requester may list only its own sub-customers, not the children of a sub-customer"),
        "{message}"
    );
    assert_nak(&app.get(&children_path(&tree.root), &tree.child_key).await, StatusCode::NOT_FOUND, "CUSTOMER_1002");
}

async fn only_the_requester_that_made_a_request_sees_its_status(app: TestApp) {
    let tree = app.tree(&[]).await;
    let request_id = app.modify(&tree.root_key, &tree.grandchild, json!({ "name": "Renamed" })).await;
    assert_eq!(app.request_status(&tree.root_key, &request_id).await["status"], "SUCCESS");
    let r = app.get(&call_path(&request_id), &tree.child_key).await;
    assert_eq!(assert_nak(&r, StatusCode::NOT_FOUND, "GLOBAL_1003"), "Provided request ID does not exist for your account.");
    let other = app.tenant(&[]).await;
    let (_, foreign_key) = app.partner_root(&other, "Foreign").await;
    assert_nak(&app.get(&call_path(&request_id), &foreign_key).await, StatusCode::NOT_FOUND, "GLOBAL_1003");
    assert_nak(&app.get(&call_path("not-a-uuid"), &tree.root_key).await, StatusCode::NOT_FOUND, "GLOBAL_1003");
}

async fn keys_without_the_partner_scope_or_a_customer_are_refused(app: TestApp) {
    let tree = app.tree(&[]).await;
    let path = customer_path(&tree.root);
    let r = app.send(Method::GET, &path, None, None).await;
    let message = assert_nak(&r, StatusCode::UNAUTHORIZED, "GLOBAL_1004");
    assert!(message.starts_with("Authentication failed"), "{message}");
    assert_nak(&app.get(&path, "cus_nope_nope").await, StatusCode::UNAUTHORIZED, "GLOBAL_1004");

    let message = assert_nak(&app.get(&path, &tree.t.partner).await, StatusCode::FORBIDDEN, "GLOBAL_1005");
    assert!(message.contains("requires scope PARTNER"), "{message}");
    let unbound = app.services.keys.create(tree.t.id, vec![Scope::Partner], "unbound").await.unwrap().secret;
    let message = assert_nak(&app.get(&path, &unbound).await, StatusCode::FORBIDDEN, "GLOBAL_1005");
    assert!(message.contains("not bound to a customer"), "{message}");

    // A partner key is no key for the other dialects.
    let id = app.numeric_id(&tree.t, &tree.child).await;
    assert_eq!(app.get(&ss(id, "contact-data"), &tree.root_key).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&format!("/api/v1/customers/{id}"), &tree.root_key).await.status, StatusCode::FORBIDDEN);
}

// ---- merge patch ----

async fn null_or_empty_elements_override_with_null_and_unsent_ones_stay(app: TestApp) {
    let tree = app.tree(&[]).await;
    let before = app.details(&tree.root_key, &tree.child).await;
    app.modify(
        &tree.root_key,
        &tree.child,
        json!({
            "name": null,
            "vatRegistrationNumber": "",
            "type": "Private",
            "allowOfferDelegation": true,
            "isAllowedImeiLock": true,
            "mfaConfiguration": "ENABLED",
            "invoiceConfiguration": { "vat": 19, "deviceCost": 12.5, "paymentDueAfterInvoiceIssued": 30, "paymentDueUnits": "DAYS", "deliveryMethod": "EMAIL", "invoiceText": "Thank you" },
            "campaign": [7, 8],
            "customFields": [{ "keyName": "costCentre", "keyValue": "4711" }]
        }),
    )
    .await;
    let d = app.details(&tree.root_key, &tree.child).await;
    assert_eq!((d["name"].clone(), d["vatRegistrationNumber"].clone()), (Value::Null, Value::Null));
    assert_eq!(d["type"], "PRIVATE");
    assert_eq!((d["allowOfferDelegation"].as_bool(), d["isAllowedImeiLock"].as_bool()), (Some(true), Some(true)));
    assert_eq!(d["mfaConfiguration"], "ENABLED");
    assert_eq!(
        d["invoiceConfiguration"],
        json!({ "chargeByActive": "SIM", "activityIndication": "NETWORK_REGISTRATION", "deviceCost": 12.5, "deliveryMethod": "EMAIL",
                "paymentDueAfterInvoiceIssued": 30, "paymentDueUnits": "DAYS", "vat": 19, "invoiceText": "Thank you" }),
        "merged into the defaults"
    );
    assert_eq!(d["campaign"], json!([7, 8]));
    assert_eq!(d["customFields"], json!([{ "keyName": "costCentre", "keyValue": "4711" }]));
    assert_eq!((&d["contact"], &d["address"], &d["currency"]), (&before["contact"], &before["address"], &before["currency"]));

    app.modify(
        &tree.root_key,
        &tree.child,
        json!({ "invoiceConfiguration": { "vat": null, "chargeByActive": "IMSI" }, "campaign": [] }),
    )
    .await;
    let d = app.details(&tree.root_key, &tree.child).await;
    assert_eq!(d["invoiceConfiguration"]["vat"], Value::Null);
    assert_eq!(d["invoiceConfiguration"]["chargeByActive"], "IMSI");
    assert_eq!(d["invoiceConfiguration"]["deviceCost"], 12.5, "not sent, kept");
    assert_eq!(d["campaign"], Value::Null);
    app.modify(&tree.root_key, &tree.child, json!({ "invoiceConfiguration": null, "customFields": null })).await;
    let d = app.details(&tree.root_key, &tree.child).await;
    assert_eq!((d["invoiceConfiguration"].clone(), d["customFields"].clone()), (Value::Null, Value::Null));
}

async fn elements_that_always_have_a_value_cannot_be_emptied(app: TestApp) {
    let tree = app.tree(&[]).await;
    let cases = [
        (
            json!({ "allowOfferDelegation": null }),
            "allowOfferDelegation",
            "Failed to update customer details: allowOfferDelegation cannot be empty: send true or false",
        ),
        (
            json!({ "mfaConfiguration": "" }),
            "mfaConfiguration",
            "Failed to update customer details: mfaConfiguration cannot be empty: it always has a value",
        ),
        (
            json!({ "contact": null }),
            "contact",
            "Failed to update customer details: contact cannot be removed as a whole: change contacts one by one by their id",
        ),
    ];
    for (body, reference, expected) in cases {
        let r = app.patch(&customer_path(&tree.child), &tree.root_key, body).await;
        assert_eq!(assert_nak(&r, StatusCode::BAD_REQUEST, "CUSTOMER_1003"), expected, "{reference}");
    }
}

async fn contacts_and_addresses_are_changed_by_their_id(app: TestApp) {
    let tree = app.tree(&[]).await;
    let before = app.details(&tree.root_key, &tree.child).await;
    let (ada, charles) = (before["contact"][0]["id"].as_str().unwrap(), before["contact"][1]["id"].as_str().unwrap());
    let shipping = before["address"][1]["id"].as_str().unwrap();

    // One contact object, as the seed documents it.
    app.modify(
        &tree.root_key,
        &tree.child,
        json!({ "contact": { "id": charles, "middleName": "B.", "remarks": "Night shift" } }),
    )
    .await;
    let d = app.details(&tree.root_key, &tree.child).await;
    assert_eq!((d["contact"][1]["middleName"].as_str(), d["contact"][1]["remarks"].as_str()), (Some("B."), Some("Night shift")));
    assert_eq!(d["contact"][1]["firstName"], "Charles", "not sent, kept");
    assert_eq!(d["contact"][0], before["contact"][0], "the other contact is untouched");

    // An array of entries; the address by id.
    app.modify(
        &tree.root_key,
        &tree.child,
        json!({ "contact": [{ "id": ada, "lastName": "King" }, { "id": charles, "remarks": null }], "address": [{ "id": shipping, "pobox": "PO 12", "street": "" }] }),
    )
    .await;
    let d = app.details(&tree.root_key, &tree.child).await;
    assert_eq!(d["contact"][0]["lastName"], "King");
    assert_eq!(d["contact"][1]["remarks"], Value::Null);
    assert_eq!((d["address"][1]["pobox"].as_str(), d["address"][1]["street"].clone()), (Some("PO 12"), Value::Null));

    let refusals = [
        (
            json!({ "contact": { "firstName": "Nobody" } }),
            "contact.id",
            "contact[0].id is required: existing contact entries are changed by their id",
        ),
        (
            json!({ "contact": [{ "id": "00000000-0000-4000-8000-000000000000" }] }),
            "unknown",
            "contact[0].id is not a contact of this customer: 00000000-0000-4000-8000-000000000000",
        ),
        (
            json!({ "contact": [{ "id": charles, "landlinePhoneNumber": null }] }),
            "unreachable",
            "contact[0].mobilePhoneNumber is required when there is no landlinePhoneNumber",
        ),
        (
            json!({ "contact": [{ "id": ada, "isPrimary": false }] }),
            "no primary",
            "contact[0].isPrimary cannot be false: one contact must stay primary; make another one primary instead",
        ),
        (json!({ "address": [{ "id": ada }] }), "a contact id", "address[0].id is not a address of this customer: "),
    ];
    for (body, case, expected) in refusals {
        let r = app.patch(&customer_path(&tree.child), &tree.root_key, body).await;
        let message = assert_nak(&r, StatusCode::BAD_REQUEST, "CUSTOMER_1003");
        assert!(message.starts_with(&format!("Failed to update customer details: {expected}")), "{case}: {message}");
    }
}

async fn making_another_contact_primary_makes_it_the_customers_contact_data(app: TestApp) {
    let tree = app.tree(&[]).await;
    let before = app.details(&tree.root_key, &tree.child).await;
    let charles = before["contact"][1]["id"].as_str().unwrap();
    app.modify(&tree.root_key, &tree.child, json!({ "contact": { "id": charles, "isPrimary": true } })).await;
    let d = app.details(&tree.root_key, &tree.child).await;
    assert_eq!((d["contact"][0]["isPrimary"].as_bool(), d["contact"][1]["isPrimary"].as_bool()), (Some(false), Some(true)));
    assert_eq!(d["contact"][0]["emailAddress"], "ada@example.com", "the former primary contact keeps its e-mail address");
    let id = app.numeric_id(&tree.t, &tree.child).await;
    let shared = app.get(&ss(id, "contact-data"), &tree.t.partner).await.json();
    assert_eq!(shared["email"], "charles@example.com");
    assert_eq!(shared["phonePrivate"], "+44 20 7946 0000");
    assert!(shared.get("phonePrivateMobile").is_none(), "{shared}");
}

// ---- bad input ----

async fn bad_input_gets_the_envelope_with_a_clear_message(app: TestApp) {
    let tree = app.tree(&[]).await;
    let path = customer_path(&tree.child);
    let raw = |body: &'static str| {
        axum::http::Request::builder()
            .method(Method::PATCH)
            .uri(path.as_str())
            .header("X-API-KEY", tree.root_key.as_str())
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    let m = assert_nak(&app.raw(raw("{\"name\": ")).await, StatusCode::BAD_REQUEST, "CUSTOMER_1003");
    assert!(m.starts_with("Failed to update customer details: the request body is not valid JSON"), "{m}");
    let m = assert_nak(&app.raw(raw("")).await, StatusCode::BAD_REQUEST, "CUSTOMER_1003");
    assert_eq!(m, "Failed to update customer details: a JSON request body is required");

    let cases = [
        (json!({ "nmae": "Volvo" }), "Failed to update customer details: unknown field `nmae`"),
        (json!({ "name": 5 }), "Failed to update customer details: name: invalid type: integer `5`, expected a string"),
        (
            json!({ "allowOfferDelegation": "yes" }),
            "Failed to update customer details: allowOfferDelegation: invalid type: string \"yes\", expected a boolean",
        ),
        (
            json!({ "type": "GOVERNMENT" }),
            "Failed to update customer details: type must be one of PRIVATE, BUSINESS, not \"GOVERNMENT\"",
        ),
        (
            json!({ "mfaConfiguration": "SOMETIMES" }),
            "Failed to update customer details: mfaConfiguration must be one of MANDATORY, ENABLED, DISABLED",
        ),
        (
            json!({ "invoiceConfiguration": { "paymentDueAfterInvoiceIssued": 30 } }),
            "Failed to update customer details: invoiceConfiguration.paymentDueUnits is required when paymentDueAfterInvoiceIssued is set",
        ),
        (
            json!({ "invoiceConfiguration": { "invoiceText": "x".repeat(61) } }),
            "Failed to update customer details: invoiceConfiguration.invoiceText must be at most 60 bytes",
        ),
        (
            json!({ "invoiceConfiguration": { "vat": -1 } }),
            "Failed to update customer details: invoiceConfiguration.vat must be a number of at least 0",
        ),
        (json!({ "campaign": [0] }), "Failed to update customer details: campaign[0] must be a positive campaign id"),
        (
            json!({ "contact": [{ "id": "x", "emailAdress": "a@b.de" }] }),
            "Failed to update customer details: contact[0]: unknown field `emailAdress`",
        ),
    ];
    for (body, expected) in cases {
        let r = app.patch(&path, &tree.root_key, body.clone()).await;
        let m = assert_nak(&r, StatusCode::BAD_REQUEST, "CUSTOMER_1003");
        assert!(m.starts_with(expected), "{body}: {m}");
    }
    let m = assert_nak(&app.patch(&customer_path("42"), &tree.root_key, json!({})).await, StatusCode::NOT_FOUND, "CUSTOMER_1002");
    assert!(m.starts_with("Customer does not exist: id is not a UUID"), "{m}");

    let create = |body: Value| async { app.post(&customer_path(&tree.root), &tree.root_key, body).await };
    let mut no_currency = new_customer_body("X");
    no_currency.as_object_mut().unwrap().remove("currency");
    let m = assert_nak(&create(no_currency).await, StatusCode::BAD_REQUEST, "CUSTOMER_1001");
    assert_eq!(m, "Failed to create customer: currency is required");
    let mut with_id = new_customer_body("X");
    with_id["contact"][0]["id"] = json!("00000000-0000-4000-8000-000000000001");
    let m = assert_nak(&create(with_id).await, StatusCode::BAD_REQUEST, "CUSTOMER_1001");
    assert_eq!(m, "Failed to create customer: contact[0].id is assigned by the server: leave it out when creating a customer");
    let mut bad_status = new_customer_body("X");
    bad_status["status"] = json!("DELETED");
    let m = assert_nak(&create(bad_status).await, StatusCode::BAD_REQUEST, "CUSTOMER_1001");
    assert_eq!(m, "Failed to create customer: status must be one of ACTIVE, SUSPEND, not \"DELETED\"");

    let listed = app.get(&children_path(&tree.root), &tree.root_key).await.json();
    assert_eq!(listed["pageable"]["totalElements"], 2, "no refused creation left a customer behind");
    assert_eq!(app.details(&tree.root_key, &tree.child).await["name"], "Volvo Fleet", "no refused change left a trace");
}

async fn an_unknown_route_under_api_v2_answers_the_envelope(app: TestApp) {
    let r = app.send(Method::GET, "/api/v2/customers", None, None).await;
    let m = assert_nak(&r, StatusCode::NOT_FOUND, "GLOBAL_1006");
    assert_eq!(m, "No such API: no route for GET /api/v2/customers");
}

// ---- the shared domains, across dialects ----

async fn a_contact_changed_here_is_read_through_the_self_service_api(app: TestApp) {
    let tree = app.tree(&[]).await;
    let ada = app.details(&tree.root_key, &tree.child).await["contact"][0]["id"].as_str().unwrap().to_owned();
    app.modify(
        &tree.root_key,
        &tree.child,
        json!({ "contact": { "id": ada, "emailAddress": "ada.king@example.com", "landlinePhoneNumber": "+49 30 1234567", "additionalPhoneNumber": null } }),
    )
    .await;

    let id = app.numeric_id(&tree.t, &tree.child).await;
    let r = app.get(&ss(id, "contact-data"), &tree.t.partner).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let shared = r.json();
    assert_eq!(shared["email"], "ada.king@example.com");
    assert_eq!(shared["phonePrivate"], "+49 30 1234567");
    assert_eq!(shared["phonePrivateMobile"], "+4917112345678");

    // The same audit trail and the same events as every other change of contact data.
    let audit = app.get(&format!("/api/v1/customers/{id}/audit"), &tree.t.staff).await.json();
    let entry = audit["items"].as_array().unwrap().iter().rev().find(|e| e["action"] == "customer.updated").cloned().unwrap();
    assert_eq!(entry["domain"], "contact");
    assert_eq!(entry["actor"], format!("api_key:{}", key_prefix(&tree.root_key)));
    let change = entry["changes"].as_array().unwrap().iter().find(|c| c["field"] == "email").cloned().unwrap();
    assert_eq!((change["before"].as_str(), change["after"].as_str()), (Some("ada@example.com"), Some("ada.king@example.com")));
    let events = app.services.store.list_events(tree.t.id, CustomerId(id)).await.unwrap();
    let updated = events.iter().find(|e| e.event_type == "customer.updated").expect("a customer.updated event");
    assert_eq!(updated.payload["domain"], "contact");
}

async fn a_contact_changed_through_the_self_service_api_is_read_here(app: TestApp) {
    let tree = app.tree(&[(DataDomain::Contact, DIRECT, false)]).await;
    let id = app.numeric_id(&tree.t, &tree.child).await;
    let r = app.post(&ss(id, "contact-data"), &tree.t.partner, contact_example()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let d = app.details(&tree.root_key, &tree.child).await;
    let primary = &d["contact"][0];
    assert_eq!(primary["emailAddress"], "new-email@example.com");
    assert_eq!(primary["landlinePhoneNumber"], "+49 00000000");
    assert_eq!(primary["mobilePhoneNumber"], "+49 00000000000");
    assert_eq!(primary["additionalPhoneNumber"], "+49 00000000");
    assert_eq!(primary["firstName"], "Ada", "the partner-only fields stay");
    assert_eq!(d["contact"][1]["emailAddress"], "charles@example.com", "only the primary contact is the contact data");

    // A partner change after that keeps what the partner API has no name for.
    app.modify(&tree.root_key, &tree.child, json!({ "contact": { "id": primary["id"], "firstName": "Augusta" } })).await;
    let shared = app.get(&ss(id, "contact-data"), &tree.t.partner).await.json();
    assert_eq!(shared["phoneBusinessMobile"], "+49 00000000000");
    assert_eq!(shared["email"], "new-email@example.com");
}

async fn the_primary_address_is_the_address_of_every_dialect(app: TestApp) {
    let tree = app.tree(&[(DataDomain::Address, VERIFY, false)]).await;
    let id = app.numeric_id(&tree.t, &tree.child).await;
    let office = app.details(&tree.root_key, &tree.child).await["address"][0]["id"].as_str().unwrap().to_owned();

    app.modify(&tree.root_key, &tree.child, json!({ "address": { "id": office, "street": "Ringstraße", "buildingNumber": "7", "apartmentNumber": "3", "entrance": "B" } }))
        .await;
    let shared = app.get(&ss(id, "address-data"), &tree.t.partner).await.json();
    assert_eq!((shared["street"].as_str(), shared["houseNumber"].as_str()), (Some("Ringstraße"), Some("7")));
    assert_eq!(
        (shared["door"].as_str(), shared["portal"].as_str(), shared["city"].as_str()),
        (Some("3"), Some("B"), Some("Munich"))
    );

    // A self-service amendment, approved by staff, is the new primary address here (`null` clears
    // the door; what it leaves out stays).
    let mut moved = address_example();
    moved["door"] = Value::Null;
    let amendment = app.submit(&tree.t, id, "address-data", moved).await;
    assert_eq!(app.details(&tree.root_key, &tree.child).await["address"][0]["street"], "Ringstraße", "not before the review");
    assert_eq!(app.approve(&tree.t, amendment).await.status, StatusCode::OK);
    let d = app.details(&tree.root_key, &tree.child).await;
    let primary = &d["address"][0];
    assert_eq!((primary["street"].as_str(), primary["buildingNumber"].as_str()), (Some("Am Bahnhof"), Some("90")));
    assert_eq!(
        (primary["zipCode"].as_str(), primary["city"].as_str(), primary["country"].as_str()),
        (Some("12133"), Some("Munich"), Some("Germany"))
    );
    assert_eq!(primary["apartmentNumber"], Value::Null);
    assert_eq!(primary["entrance"], "B", "the portal was left out and stays");
    assert_eq!(primary["type"], "MAILING", "the partner-only fields stay");
}

async fn an_invalid_primary_address_change_changes_nothing_at_all(app: TestApp) {
    let tree = app.tree(&[]).await;
    let before = app.details(&tree.root_key, &tree.child).await;
    let id = app.numeric_id(&tree.t, &tree.child).await;
    let audit_before =
        app.get(&format!("/api/v1/customers/{id}/audit"), &tree.t.staff).await.json()["items"].as_array().unwrap().len();
    let office = before["address"][0]["id"].as_str().unwrap();
    let r = app
        .patch(
            &customer_path(&tree.child),
            &tree.root_key,
            json!({ "name": "Renamed", "address": { "id": office, "city": null } }),
        )
        .await;
    let m = assert_nak(&r, StatusCode::BAD_REQUEST, "CUSTOMER_1003");
    assert_eq!(m, "Failed to update customer details: address[0].city is required for the primary address");
    let r = app
        .patch(&customer_path(&tree.child), &tree.root_key, json!({ "address": { "id": office, "country": "Atlantis" } }))
        .await;
    let m = assert_nak(&r, StatusCode::BAD_REQUEST, "CUSTOMER_1003");
    assert!(m.starts_with("Failed to update customer details: address[0].country is neither an English country name"), "{m}");
    let r = app
        .patch(
            &customer_path(&tree.child),
            &tree.root_key,
            json!({ "contact": { "id": before["contact"][0]["id"], "emailAddress": "nope" } }),
        )
        .await;
    let m = assert_nak(&r, StatusCode::BAD_REQUEST, "CUSTOMER_1003");
    assert!(m.starts_with("Failed to update customer details: contact[0].emailAddress is not a valid e-mail address"), "{m}");

    assert_eq!(app.details(&tree.root_key, &tree.child).await, before);
    let audit_after =
        app.get(&format!("/api/v1/customers/{id}/audit"), &tree.t.staff).await.json()["items"].as_array().unwrap().len();
    assert_eq!(audit_after, audit_before);
}

async fn profile_changes_land_in_the_audit_trail_and_the_outbox(app: TestApp) {
    let tree = app.tree(&[]).await;
    let request_id = app.modify(&tree.root_key, &tree.child, json!({ "name": "Volvo", "allowOfferDelegation": true })).await;
    let id = app.numeric_id(&tree.t, &tree.child).await;
    let audit = app.get(&format!("/api/v1/customers/{id}/audit"), &tree.t.staff).await.json();
    let entry = audit["items"].as_array().unwrap().last().cloned().unwrap();
    assert_eq!(entry["action"], "partner.updated");
    assert_eq!(
        entry["changes"],
        json!([
            { "field": "name", "before": "Volvo Fleet", "after": "Volvo" },
            { "field": "allowOfferDelegation", "before": false, "after": true }
        ])
    );
    let events = app.services.store.list_events(tree.t.id, CustomerId(id)).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.event_type, "partner.updated");
    assert_eq!(last.payload["fields"], json!(["name", "allowOfferDelegation"]));

    // The operation was recorded before the answer, with who asked for what.
    let op = app.services.store.get_operation(tree.t.id, RequestId::parse(&request_id).unwrap()).await.unwrap();
    assert_eq!((op.status, op.kind), (OperationStatus::Success, OperationKind::ModifyCustomer));
    assert_eq!(op.target.to_string(), tree.child);
    assert_eq!(op.requester.0, app.numeric_id(&tree.t, &tree.root).await);
}

// ---- asynchronous operations ----

async fn an_operation_left_open_by_a_stopped_server_is_reported_as_internal_error(app: TestApp) {
    let tree = app.tree(&[]).await;
    let request_id = RequestId::parse("5d0e4a53-84e6-4a4f-9a33-2f4f7e0a0c11").unwrap();
    let now = app.services.clock.now_ms();
    let requester = CustomerId(app.numeric_id(&tree.t, &tree.root).await);
    let open = |created_ms| NewOperation {
        tenant_id: tree.t.id,
        request_id,
        requester,
        kind: OperationKind::ModifyCustomer,
        target: CustomerUuid::parse(&tree.child).unwrap(),
        created_ms,
    };
    // As a crashed process leaves it: recorded, never finished.
    app.services.store.insert_operation(open(now - 10 * 60 * 1000)).await.unwrap();
    let status = app.request_status(&tree.root_key, &request_id.to_string()).await;
    assert_eq!(
        status,
        json!({ "status": "INTERNAL_ERROR", "errorCode": "GLOBAL_1001",
                "errorMessage": "the server stopped while processing this request; nothing was changed, please send it again" })
    );
    let stored = app.services.store.get_operation(tree.t.id, request_id).await.unwrap();
    assert_eq!(stored.status, OperationStatus::InternalError, "the outcome is stored, not only reported");

    // One that is still being worked on is OPEN.
    let fresh = RequestId::parse("5d0e4a53-84e6-4a4f-9a33-2f4f7e0a0c12").unwrap();
    app.services.store.insert_operation(NewOperation { request_id: fresh, ..open(now) }).await.unwrap();
    assert_eq!(app.request_status(&tree.root_key, &fresh.to_string()).await, json!({ "status": "OPEN" }));
}

async fn a_write_that_keeps_conflicting_ends_as_failure_and_changes_nothing(app: TestApp) {
    let tree = app.tree(&[]).await;
    let before = app.details(&tree.root_key, &tree.child).await;
    // Every write of a partner row now silently affects no row, as if another request always won.
    if app.database_url.starts_with("sqlite:") {
        sabotage(
            &app.database_url,
            &["CREATE TRIGGER always_stale BEFORE UPDATE ON partner_customers BEGIN SELECT RAISE(IGNORE); END"],
        )
        .await;
    } else {
        sabotage(
            &app.database_url,
            &[
                "CREATE FUNCTION skip_row() RETURNS trigger AS $$ BEGIN RETURN NULL; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER always_stale BEFORE UPDATE ON partner_customers FOR EACH ROW EXECUTE FUNCTION skip_row()",
            ],
        )
        .await;
    }
    let ada = before["contact"][0]["id"].as_str().unwrap();
    let request_id = app
        .modify(
            &tree.root_key,
            &tree.child,
            json!({ "name": "Volvo", "contact": { "id": ada, "emailAddress": "late@example.com" } }),
        )
        .await;
    assert_eq!(
        app.request_status(&tree.root_key, &request_id).await,
        json!({ "status": "FAILURE", "errorCode": "CUSTOMER_1003",
                "errorMessage": "the customer was changed by another request at the same time; send the request again" })
    );
    assert_eq!(app.details(&tree.root_key, &tree.child).await, before, "nothing of it was written");
    let id = app.numeric_id(&tree.t, &tree.child).await;
    assert_eq!(app.get(&ss(id, "contact-data"), &tree.t.partner).await.json()["email"], "ada@example.com");
}

async fn methods_a_route_does_not_have_answer_405_in_the_envelope(app: TestApp) {
    let tree = app.tree(&[]).await;
    let r = app.send(Method::DELETE, &customer_path(&tree.child), Some(&tree.root_key), None).await;
    assert_eq!(assert_nak(&r, StatusCode::METHOD_NOT_ALLOWED, "GLOBAL_1007"), "Method not allowed: use GET, POST, PATCH");
    assert_eq!(r.headers["allow"], "GET, POST, PATCH");
    let r =
        app.send(Method::POST, &call_path("ff74dca6-8e7f-4b85-a42b-13860913b370"), Some(&tree.root_key), Some(json!({}))).await;
    assert_nak(&r, StatusCode::METHOD_NOT_ALLOWED, "GLOBAL_1007");
}

async fn a_repeated_creation_with_an_idempotency_key_creates_one_sub_customer_and_answers_the_same_ack(app: TestApp) {
    let t = app.tenant(&[]).await;
    let (root, key) = app.partner_root(&t, "Operator Root").await;
    let path = customer_path(&root);
    let send = |body: Value| app.idempotent(Method::POST, &path, &key, "create-volvo", Some(body));
    let first = send(new_customer_body("Volvo Fleet")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let again = send(new_customer_body("Volvo Fleet")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, first.body, "the same requestId and customerId");
    assert_eq!(again.headers["idempotent-replayed"], "true");
    let children = app.get(&children_path(&root), &key).await.json();
    assert_eq!(children["content"].as_array().unwrap().len(), 1, "one sub-customer: {children}");

    let other = send(new_customer_body("Scania Fleet")).await;
    assert!(assert_nak(&other, StatusCode::CONFLICT, "GLOBAL_1008").starts_with("Idempotency-Key conflict: "));
    let bad = app.idempotent(Method::POST, &customer_path(&root), &key, "", Some(new_customer_body("Scania"))).await;
    assert_nak(&bad, StatusCode::BAD_REQUEST, "GLOBAL_1002");
    let child = first.json()["content"][0]["customerId"].as_str().unwrap().to_owned();
    let numeric = CustomerId(app.numeric_id(&t, &child).await);
    assert_eq!(app.services.store.delete_idempotency_receipts_of(t.id, numeric).await.unwrap(), 1, "the receipt names it");
}

both_backends!(
    a_repeated_creation_with_an_idempotency_key_creates_one_sub_customer_and_answers_the_same_ack,
    a_write_that_keeps_conflicting_ends_as_failure_and_changes_nothing,
    methods_a_route_does_not_have_answer_405_in_the_envelope,
    the_seed_example_changes_only_the_name_and_answers_the_documented_ack,
    the_seed_failure_example_is_global_1001_when_the_database_fails,
    an_unknown_request_id_is_the_documented_global_1003,
    the_documented_child_list_names_the_direct_children_one_level_only,
    a_requester_reads_itself_and_its_sub_customers_at_any_depth,
    a_requester_creates_sub_customers_only_directly_under_itself,
    a_created_sub_customer_has_the_documented_defaults_and_fills_the_shared_domains,
    a_requester_modifies_its_sub_customers_but_never_its_own_profile,
    a_requester_lists_only_its_own_children,
    only_the_requester_that_made_a_request_sees_its_status,
    keys_without_the_partner_scope_or_a_customer_are_refused,
    null_or_empty_elements_override_with_null_and_unsent_ones_stay,
    elements_that_always_have_a_value_cannot_be_emptied,
    contacts_and_addresses_are_changed_by_their_id,
    making_another_contact_primary_makes_it_the_customers_contact_data,
    bad_input_gets_the_envelope_with_a_clear_message,
    an_unknown_route_under_api_v2_answers_the_envelope,
    a_contact_changed_here_is_read_through_the_self_service_api,
    a_contact_changed_through_the_self_service_api_is_read_here,
    the_primary_address_is_the_address_of_every_dialect,
    an_invalid_primary_address_change_changes_nothing_at_all,
    profile_changes_land_in_the_audit_trail_and_the_outbox,
    an_operation_left_open_by_a_stopped_server_is_reported_as_internal_error,
);

/// The README's table of error codes is the one the dialect answers with.
#[test]
fn the_readme_documents_every_error_code_with_its_status_and_message() {
    let readme = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap();
    for code in custodian_http::dialects::partner::errors::ALL {
        let star = if code.documented { "" } else { "\\*" };
        let row = format!("| `{}`{star} | {} | {} |", code.code, code.status.as_u16(), code.message);
        assert!(readme.contains(&row), "README lacks the row {row}");
    }
}
