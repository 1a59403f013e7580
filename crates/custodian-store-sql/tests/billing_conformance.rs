//! Conformance suite of the `BillingStore` port: every story runs against both SQLite and
//! PostgreSQL. A billing write is all or nothing, customer numbers are unique per tenant, and a
//! request id is answered with its first receipt — also under races.

use custodian_domain::billing::{BillingProfile, CustomerNumber};
use custodian_domain::data::ContactInput;
use custodian_domain::{Actor, ContactData, CustomerId, DataDomain, DomainData, TenantId};
use custodian_store::billing::{BillingTarget, BillingWrite, BillingWriteOutcome};
use custodian_store::{Apply, NewAudit, NewEvent, Records, Store, StoreError};
use serde_json::json;
use std::sync::Arc;

#[macro_use]
mod common;

conformance! {
    a_new_customer_is_written_whole =>
        a_new_billing_customer_is_written_with_profile_domains_receipt_and_records_on_sqlite,
        a_new_billing_customer_is_written_with_profile_domains_receipt_and_records_on_postgres;
    a_taken_number_writes_nothing =>
        a_second_creation_with_a_taken_customer_number_writes_nothing_on_sqlite,
        a_second_creation_with_a_taken_customer_number_writes_nothing_on_postgres;
    a_used_request_id_writes_nothing =>
        a_write_with_a_used_request_id_returns_the_first_receipt_and_writes_nothing_on_sqlite,
        a_write_with_a_used_request_id_returns_the_first_receipt_and_writes_nothing_on_postgres;
    a_stale_write_writes_nothing =>
        a_write_against_a_stale_domain_or_profile_version_conflicts_and_writes_nothing_on_sqlite,
        a_write_against_a_stale_domain_or_profile_version_conflicts_and_writes_nothing_on_postgres;
    tenants_are_isolated =>
        customer_numbers_and_request_ids_are_per_tenant_and_another_tenant_cannot_write_on_sqlite,
        customer_numbers_and_request_ids_are_per_tenant_and_another_tenant_cannot_write_on_postgres;
    concurrent_creations_admit_one =>
        twenty_concurrent_creations_of_one_customer_number_admit_exactly_one_on_sqlite,
        twenty_concurrent_creations_of_one_customer_number_admit_exactly_one_on_postgres;
    concurrent_request_ids_admit_one =>
        twenty_concurrent_writes_with_one_request_id_admit_exactly_one_on_sqlite,
        twenty_concurrent_writes_with_one_request_id_admit_exactly_one_on_postgres;
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const T0: i64 = 1_700_000_000_000;

fn number(n: &str) -> CustomerNumber {
    CustomerNumber::parse(n).expect("valid customer number")
}

fn profile(n: &str, registration: &str) -> BillingProfile {
    BillingProfile::from_json(json!({
        "customerNumber": n,
        "salutation": "MR",
        "language": "DE",
        "careOf": "c/o Mr. Bloom",
        "paymentRegistration": { "id": registration }
    }))
    .expect("valid profile")
}

fn contact(email: &str) -> DomainData {
    DomainData::Contact(ContactData::parse(ContactInput { email: Some(email), ..Default::default() }).expect("valid contact"))
}

fn records(action: &'static str) -> custodian_store::NewCustomerRecords {
    Box::new(move |id: CustomerId| Records {
        audit: vec![NewAudit {
            customer_id: Some(id),
            actor: Actor::system(),
            action: action.into(),
            domain: Some(DataDomain::Contact),
            amendment_id: None,
            changes: Vec::new(),
            at_ms: T0,
            request_id: None,
        }],
        events: vec![NewEvent { event_type: action.into(), payload: json!({ "type": action }), at_ms: T0, request_id: None }],
    })
}

fn creation(tenant: TenantId, n: &str, request_id: &str, email: &str) -> BillingWrite {
    BillingWrite {
        tenant,
        target: BillingTarget::New,
        customer_number: number(n),
        profile: Some(profile(n, "275122")),
        applies: vec![Apply { data: contact(email), expected_version: 0, at_ms: T0 }],
        request_id: Some(request_id.into()),
        fingerprint: format!("fp-{request_id}"),
        at_ms: T0,
        records: records("customer.created"),
    }
}

fn update(
    tenant: TenantId,
    customer: CustomerId,
    n: &str,
    profile_version: i64,
    new_profile: Option<BillingProfile>,
    applies: Vec<Apply>,
    request_id: &str,
) -> BillingWrite {
    BillingWrite {
        tenant,
        target: BillingTarget::Existing { customer, profile_version },
        customer_number: number(n),
        profile: new_profile,
        applies,
        request_id: Some(request_id.into()),
        fingerprint: format!("fp-{request_id}"),
        at_ms: T0 + 10,
        records: records("customer.updated"),
    }
}

async fn written(store: &dyn Store, w: BillingWrite) -> custodian_store::billing::BillingReceipt {
    match store.write_billing_customer(w).await.expect("billing write") {
        BillingWriteOutcome::Written(r) => r,
        other => panic!("expected a written receipt, got {other:?}"),
    }
}

async fn customer_count(store: &dyn Store, tenant: TenantId) -> usize {
    store.list_customers(tenant, None, 1000).await.expect("list customers").len()
}

fn email_of(c: &custodian_store::Customer) -> String {
    match c.data(DataDomain::Contact) {
        Some(DomainData::Contact(d)) => d.email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default(),
        other => panic!("no contact data: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Stories

async fn a_new_customer_is_written_whole(store: Arc<dyn Store>) {
    let tenant = store.create_tenant("Billing", T0).await.unwrap().id;
    let receipt = written(&*store, creation(tenant, "c1631704458", "req-1", "ray@example.com")).await;
    assert!(receipt.id > 0);
    assert_eq!(receipt.customer_number.as_str(), "c1631704458");
    assert_eq!(receipt.request_id.as_deref(), Some("req-1"));

    let record = store.billing_profile(tenant, &number("c1631704458")).await.unwrap().expect("profile by number");
    assert_eq!(record.customer_id, receipt.customer_id);
    assert_eq!(record.version, 1);
    assert_eq!(record.profile, profile("c1631704458", "275122"));
    assert_eq!(store.billing_profile_of(tenant, receipt.customer_id).await.unwrap().unwrap(), record);

    let customer = store.get_customer(tenant, receipt.customer_id).await.unwrap();
    assert_eq!(customer.version(DataDomain::Contact), 1);
    assert_eq!(email_of(&customer), "ray@example.com");
    assert_eq!(store.list_audit(tenant, receipt.customer_id, None, 100).await.unwrap()[0].action, "customer.created");
    let events = store.list_events(tenant, receipt.customer_id).await.unwrap();
    assert_eq!((events.len(), events[0].seq), (1, 1));
    assert_eq!(store.billing_receipt(tenant, "req-1").await.unwrap(), Some(receipt));
    assert_eq!(store.billing_receipt(tenant, "req-2").await.unwrap(), None);
    assert_eq!(store.billing_profile(tenant, &number("c0")).await.unwrap(), None);
}

async fn a_taken_number_writes_nothing(store: Arc<dyn Store>) {
    let tenant = store.create_tenant("Billing", T0).await.unwrap().id;
    let first = written(&*store, creation(tenant, "c1", "req-1", "first@example.com")).await;
    let second = store.write_billing_customer(creation(tenant, "c1", "req-2", "second@example.com")).await.unwrap();
    assert_eq!(second, BillingWriteOutcome::CustomerNumberTaken);
    assert_eq!(customer_count(&*store, tenant).await, 1, "no customer row is left behind");
    assert_eq!(store.billing_receipt(tenant, "req-2").await.unwrap(), None);
    let record = store.billing_profile(tenant, &number("c1")).await.unwrap().unwrap();
    assert_eq!((record.customer_id, record.version), (first.customer_id, 1));
    assert_eq!(email_of(&store.get_customer(tenant, first.customer_id).await.unwrap()), "first@example.com");
}

async fn a_used_request_id_writes_nothing(store: Arc<dyn Store>) {
    let tenant = store.create_tenant("Billing", T0).await.unwrap().id;
    let first = written(&*store, creation(tenant, "c1", "req-1", "first@example.com")).await;
    let again = update(
        tenant,
        first.customer_id,
        "c1",
        1,
        Some(profile("c1", "999")),
        vec![Apply { data: contact("changed@example.com"), expected_version: 1, at_ms: T0 + 10 }],
        "req-1",
    );
    let outcome = store.write_billing_customer(again).await.unwrap();
    assert_eq!(outcome, BillingWriteOutcome::RequestIdUsed(first.clone()));
    let record = store.billing_profile(tenant, &number("c1")).await.unwrap().unwrap();
    assert_eq!((record.version, record.profile.payment_registration.id.as_str()), (1, "275122"));
    let customer = store.get_customer(tenant, first.customer_id).await.unwrap();
    assert_eq!((customer.version(DataDomain::Contact), email_of(&customer)), (1, "first@example.com".to_owned()));
    assert_eq!(store.list_events(tenant, first.customer_id).await.unwrap().len(), 1);

    // A new customer under a used request id is not created either.
    let outcome = store.write_billing_customer(creation(tenant, "c2", "req-1", "c2@example.com")).await.unwrap();
    assert_eq!(outcome, BillingWriteOutcome::RequestIdUsed(first));
    assert_eq!(customer_count(&*store, tenant).await, 1);
    assert_eq!(store.billing_profile(tenant, &number("c2")).await.unwrap(), None);
}

async fn a_stale_write_writes_nothing(store: Arc<dyn Store>) {
    let tenant = store.create_tenant("Billing", T0).await.unwrap().id;
    let first = written(&*store, creation(tenant, "c1", "req-1", "first@example.com")).await;
    let c = first.customer_id;
    // The profile update comes first in the transaction; the stale contact version undoes it.
    let stale_domain = update(
        tenant,
        c,
        "c1",
        1,
        Some(profile("c1", "999")),
        vec![Apply { data: contact("stale@example.com"), expected_version: 0, at_ms: T0 + 10 }],
        "req-2",
    );
    assert!(matches!(store.write_billing_customer(stale_domain).await, Err(StoreError::VersionConflict)));
    let stale_profile = update(
        tenant,
        c,
        "c1",
        7,
        Some(profile("c1", "999")),
        vec![Apply { data: contact("stale@example.com"), expected_version: 1, at_ms: T0 + 10 }],
        "req-3",
    );
    assert!(matches!(store.write_billing_customer(stale_profile).await, Err(StoreError::VersionConflict)));
    let unchanged_but_stale = update(tenant, c, "c1", 7, None, Vec::new(), "req-4");
    assert!(matches!(store.write_billing_customer(unchanged_but_stale).await, Err(StoreError::VersionConflict)));

    let record = store.billing_profile(tenant, &number("c1")).await.unwrap().unwrap();
    assert_eq!((record.version, record.profile.payment_registration.id.as_str()), (1, "275122"));
    let customer = store.get_customer(tenant, c).await.unwrap();
    assert_eq!((customer.version(DataDomain::Contact), email_of(&customer)), (1, "first@example.com".to_owned()));
    assert_eq!(store.list_audit(tenant, c, None, 100).await.unwrap().len(), 1);
    assert_eq!(store.list_events(tenant, c).await.unwrap().len(), 1);
    for rid in ["req-2", "req-3", "req-4"] {
        assert_eq!(store.billing_receipt(tenant, rid).await.unwrap(), None, "{rid} left no receipt");
    }

    // The same change at the current versions is written, with the profile at version 2.
    let current = update(
        tenant,
        c,
        "c1",
        1,
        Some(profile("c1", "999")),
        vec![Apply { data: contact("new@example.com"), expected_version: 1, at_ms: T0 + 10 }],
        "req-5",
    );
    let receipt = written(&*store, current).await;
    assert_eq!(receipt.customer_id, c);
    let record = store.billing_profile(tenant, &number("c1")).await.unwrap().unwrap();
    assert_eq!((record.version, record.profile.payment_registration.id.as_str()), (2, "999"));
    assert_eq!(record.updated_ms, T0 + 10);
    assert_eq!(email_of(&store.get_customer(tenant, c).await.unwrap()), "new@example.com");
    assert_eq!(store.list_events(tenant, c).await.unwrap().len(), 2);
}

async fn tenants_are_isolated(store: Arc<dyn Store>) {
    let a = store.create_tenant("A", T0).await.unwrap().id;
    let b = store.create_tenant("B", T0).await.unwrap().id;
    let in_a = written(&*store, creation(a, "c1", "req-1", "a@example.com")).await;
    let in_b = written(&*store, creation(b, "c1", "req-1", "b@example.com")).await;
    assert_ne!(in_a.customer_id, in_b.customer_id, "the same number and request id in another tenant is another customer");
    assert_eq!(store.billing_profile(a, &number("c1")).await.unwrap().unwrap().customer_id, in_a.customer_id);
    assert_eq!(store.billing_profile(b, &number("c1")).await.unwrap().unwrap().customer_id, in_b.customer_id);
    assert_eq!(store.billing_receipt(b, "req-1").await.unwrap().unwrap().customer_id, in_b.customer_id);
    assert_eq!(store.billing_profile_of(b, in_a.customer_id).await.unwrap(), None);

    let across = update(b, in_a.customer_id, "c1", 1, Some(profile("c1", "999")), Vec::new(), "req-9");
    assert!(matches!(store.write_billing_customer(across).await, Err(StoreError::NotFound)));
    let record = store.billing_profile(a, &number("c1")).await.unwrap().unwrap();
    assert_eq!((record.version, record.profile.payment_registration.id.as_str()), (1, "275122"));
}

async fn concurrent_creations_admit_one(store: Arc<dyn Store>) {
    let tenant = store.create_tenant("Billing", T0).await.unwrap().id;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.write_billing_customer(creation(tenant, "c-race", &format!("req-{i}"), "race@example.com")).await.unwrap()
        }));
    }
    let mut written = 0;
    for t in tasks {
        match t.await.unwrap() {
            BillingWriteOutcome::Written(_) => written += 1,
            BillingWriteOutcome::CustomerNumberTaken => {}
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(written, 1);
    assert_eq!(customer_count(&*store, tenant).await, 1);
}

async fn concurrent_request_ids_admit_one(store: Arc<dyn Store>) {
    let tenant = store.create_tenant("Billing", T0).await.unwrap().id;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.write_billing_customer(creation(tenant, &format!("c-{i}"), "req-same", "race@example.com")).await.unwrap()
        }));
    }
    let mut receipts = Vec::new();
    let mut repeats = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            BillingWriteOutcome::Written(r) => receipts.push(r),
            BillingWriteOutcome::RequestIdUsed(r) => repeats.push(r),
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(receipts.len(), 1, "exactly one write is accepted");
    assert!(repeats.iter().all(|r| *r == receipts[0]), "every other write is answered with the first receipt");
    assert_eq!(customer_count(&*store, tenant).await, 1, "the refused writes left no customers behind");
}
