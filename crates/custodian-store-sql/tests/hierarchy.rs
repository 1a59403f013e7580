//! Conformance stories of the `HierarchyStore` part of the store: every story runs against both
//! SQLite and PostgreSQL.

use custodian_domain::data::ContactInput;
use custodian_domain::hierarchy::{
    ContactEntryInput, CreateInput, CustomerUuid, NewPartner, OperationFailure, OperationKind, OperationStatus, Patch, RequestId,
};
use custodian_domain::{Actor, ActorKind, ContactData, CustomerId, DataDomain, DomainData, Scope, TenantId};
use custodian_store::hierarchy::{Completes, NewOperation, NewPartnerCustomer, PartnerRecord, PartnerUpdate};
use custodian_store::{Apply, NewApiKey, NewAudit, NewEvent, Records, Store, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use uuid::Uuid;

#[macro_use]
mod common;

conformance! {
    partner_customers_form_a_tree =>
        partner_customers_form_a_tree_listed_one_level_at_a_time_on_sqlite,
        partner_customers_form_a_tree_listed_one_level_at_a_time_on_postgres;
    hierarchies_are_isolated_per_tenant =>
        another_tenant_can_neither_see_nor_extend_nor_change_a_hierarchy_on_sqlite,
        another_tenant_can_neither_see_nor_extend_nor_change_a_hierarchy_on_postgres;
    an_update_writes_everything_or_nothing =>
        a_partner_update_writes_rows_shared_data_records_and_completion_together_or_nothing_on_sqlite,
        a_partner_update_writes_rows_shared_data_records_and_completion_together_or_nothing_on_postgres;
    operations_complete_once =>
        an_operation_is_completed_or_failed_exactly_once_on_sqlite,
        an_operation_is_completed_or_failed_exactly_once_on_postgres;
    concurrent_updates_admit_one =>
        of_twenty_concurrent_updates_of_one_version_exactly_one_wins_on_sqlite,
        of_twenty_concurrent_updates_of_one_version_exactly_one_wins_on_postgres;
    keys_are_bound_to_customers =>
        an_api_key_bound_to_a_partner_customer_is_found_by_its_prefix_on_sqlite,
        an_api_key_bound_to_a_partner_customer_is_found_by_its_prefix_on_postgres;
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const T0: i64 = 1_700_000_000_000;
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn uuid() -> Uuid {
    Uuid::from_u128(0x1111_0000_0000_4000_8000_0000_0000_0000 | u128::from(NEXT_ID.fetch_add(1, Ordering::SeqCst)))
}

fn actor() -> Actor {
    Actor::new(ActorKind::ApiKey, "partner")
}

fn s(v: &str) -> Patch<String> {
    Patch::Set(v.to_owned())
}

fn new_partner(name: &str) -> NewPartner {
    let input = CreateInput {
        status: Some("ACTIVE".into()),
        name: Some(name.into()),
        currency: Some("EUR".into()),
        contact: vec![
            ContactEntryInput {
                role: s("SELFCARE"),
                email_address: s("owner@example.com"),
                mobile_phone_number: s("+4917112345678"),
                ..Default::default()
            },
            ContactEntryInput { role: s("NONE"), landline_phone_number: s("+49 30 1234567"), ..Default::default() },
        ],
        ..Default::default()
    };
    NewPartner::parse(&input, &mut uuid, time::macros::date!(2026 - 11 - 26)).expect("valid partner")
}

fn new_customer(tenant: TenantId, name: &str, ancestors: Vec<CustomerId>) -> NewPartnerCustomer {
    let n = new_partner(name);
    NewPartnerCustomer {
        tenant_id: tenant,
        uuid: CustomerUuid::from_uuid(uuid()),
        ancestors,
        profile: n.profile,
        contacts: n.contacts,
        addresses: n.addresses,
        at_ms: T0,
    }
}

fn contact(email: &str) -> DomainData {
    DomainData::Contact(ContactData::parse(ContactInput { email: Some(email), ..Default::default() }).expect("valid contact"))
}

fn records(customer: CustomerId, action: &str) -> Records {
    Records {
        audit: vec![NewAudit {
            customer_id: Some(customer),
            actor: actor(),
            action: action.into(),
            domain: Some(DataDomain::Contact),
            amendment_id: None,
            changes: Vec::new(),
            at_ms: T0,
            request_id: None,
        }],
        events: vec![NewEvent { event_type: action.into(), payload: serde_json::json!({}), at_ms: T0, request_id: None }],
    }
}

async fn create(store: &dyn Store, tenant: TenantId, name: &str, parent: Option<&PartnerRecord>) -> PartnerRecord {
    let ancestors = parent.map(|p| p.customer.ancestry_of_children()).unwrap_or_default();
    let new = new_customer(tenant, name, ancestors);
    let data = vec![Apply { data: contact("owner@example.com"), expected_version: 0, at_ms: T0 }];
    let id = store
        .create_partner_customer(new, data, Box::new(|id| records(id, "customer.created")), None)
        .await
        .expect("create partner customer");
    store.get_partner_customer_by_id(tenant, id).await.expect("read back")
}

fn update_of(r: &PartnerRecord, name: &str) -> PartnerUpdate {
    let mut profile = r.customer.profile.clone();
    profile.name = Some(custodian_domain::values::Text::parse(name).unwrap());
    PartnerUpdate {
        profile,
        contacts: r.customer.contacts.clone(),
        addresses: r.customer.addresses.clone(),
        expected_version: r.version,
        at_ms: T0 + 10,
    }
}

async fn open_operation(store: &dyn Store, tenant: TenantId, requester: CustomerId, target: CustomerUuid, at: i64) -> RequestId {
    let request_id = RequestId::from_uuid(uuid());
    let op =
        NewOperation { tenant_id: tenant, request_id, requester, kind: OperationKind::ModifyCustomer, target, created_ms: at };
    store.insert_operation(op).await.expect("insert operation");
    request_id
}

fn name(r: &PartnerRecord) -> Option<&str> {
    r.customer.profile.name.as_ref().map(|n| n.as_str())
}

// ---------------------------------------------------------------------------------------------
// Stories

async fn partner_customers_form_a_tree(store: Arc<dyn Store>) {
    let store = &*store;
    let tenant = store.create_tenant("Operator", T0).await.unwrap().id;
    let root = create(store, tenant, "Root", None).await;
    let child = create(store, tenant, "Child", Some(&root)).await;
    let second = create(store, tenant, "Second", Some(&root)).await;
    let grandchild = create(store, tenant, "Grandchild", Some(&child)).await;

    assert!(root.customer.ancestors.is_empty());
    assert_eq!(child.customer.ancestors, vec![root.customer.id]);
    assert_eq!(grandchild.customer.ancestors, vec![root.customer.id, child.customer.id]);
    assert_eq!(grandchild.version, 1);
    let by_uuid = store.get_partner_customer(tenant, grandchild.customer.uuid).await.unwrap();
    assert_eq!(by_uuid, grandchild);
    assert_eq!(by_uuid.customer.contacts.len(), 2);
    assert!(by_uuid.customer.contacts[0].is_primary);
    assert_eq!(name(&by_uuid), Some("Grandchild"));

    let shared = store.get_customer(tenant, child.customer.id).await.unwrap();
    assert_eq!(shared.data(DataDomain::Contact), Some(&contact("owner@example.com")), "the shared domain was written too");
    assert_eq!(store.list_audit(tenant, child.customer.id, None, 10).await.unwrap().len(), 1);
    assert_eq!(store.list_events(tenant, child.customer.id).await.unwrap().len(), 1);

    let page = store.list_child_customers(tenant, root.customer.id, 0, 10).await.unwrap();
    assert_eq!(page.total, 2);
    let uuids: Vec<CustomerUuid> = page.children.iter().map(|c| c.uuid).collect();
    assert_eq!(uuids, vec![child.customer.uuid, second.customer.uuid], "direct children only, oldest first");
    assert_eq!(page.children[0].name.as_deref(), Some("Child"));
    let second_page = store.list_child_customers(tenant, root.customer.id, 1, 1).await.unwrap();
    assert_eq!((second_page.total, second_page.children.len()), (2, 1));
    assert_eq!(second_page.children[0].uuid, second.customer.uuid);
    assert_eq!(store.list_child_customers(tenant, grandchild.customer.id, 0, 10).await.unwrap().total, 0);

    let unknown = CustomerUuid::from_uuid(uuid());
    assert!(matches!(store.get_partner_customer(tenant, unknown).await, Err(StoreError::NotFound)));
    let plain = store.create_customer(tenant, Vec::new(), T0, Box::new(|_| Records::default())).await.unwrap();
    assert!(
        matches!(store.get_partner_customer_by_id(tenant, plain).await, Err(StoreError::NotFound)),
        "not every customer is a partner"
    );
    let mut orphan = new_customer(tenant, "Orphan", vec![plain]);
    orphan.uuid = CustomerUuid::from_uuid(uuid());
    let r = store.create_partner_customer(orphan, Vec::new(), Box::new(|_| Records::default()), None).await;
    assert!(matches!(r, Err(StoreError::NotFound)), "a parent must be a partner customer: {r:?}");
}

async fn hierarchies_are_isolated_per_tenant(store: Arc<dyn Store>) {
    let store = &*store;
    let a = store.create_tenant("A", T0).await.unwrap().id;
    let b = store.create_tenant("B", T0).await.unwrap().id;
    let root = create(store, a, "Root A", None).await;
    let child = create(store, a, "Child A", Some(&root)).await;

    assert!(matches!(store.get_partner_customer(b, child.customer.uuid).await, Err(StoreError::NotFound)));
    assert!(matches!(store.get_partner_customer_by_id(b, child.customer.id).await, Err(StoreError::NotFound)));
    assert_eq!(store.list_child_customers(b, root.customer.id, 0, 10).await.unwrap().total, 0);
    let r = store
        .create_partner_customer(
            new_customer(b, "Intruder", root.customer.ancestry_of_children()),
            Vec::new(),
            Box::new(|_| Records::default()),
            None,
        )
        .await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    let r = store
        .update_partner_customer(b, child.customer.id, update_of(&child, "Hacked"), Vec::new(), Records::default(), None)
        .await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    let op = open_operation(store, a, root.customer.id, child.customer.uuid, T0).await;
    assert!(matches!(store.get_operation(b, op).await, Err(StoreError::NotFound)));
    assert!(!store.fail_operation(b, op, true, OperationFailure::interrupted(), T0, None).await.unwrap());

    assert_eq!(store.get_partner_customer(a, child.customer.uuid).await.unwrap(), child);
    assert_eq!(store.list_child_customers(a, root.customer.id, 0, 10).await.unwrap().total, 1);
    assert_eq!(store.get_operation(a, op).await.unwrap().status, OperationStatus::Open);
}

async fn an_update_writes_everything_or_nothing(store: Arc<dyn Store>) {
    let store = &*store;
    let tenant = store.create_tenant("Operator", T0).await.unwrap().id;
    let root = create(store, tenant, "Root", None).await;
    let child = create(store, tenant, "Child", Some(&root)).await;
    let id = child.customer.id;
    let audit_before = store.list_audit(tenant, id, None, 100).await.unwrap().len();
    let op = open_operation(store, tenant, root.customer.id, child.customer.uuid, T0).await;
    let completes = Some(Completes { request_id: op, at_ms: T0 + 10 });
    let new_email = || vec![Apply { data: contact("new@example.com"), expected_version: 1, at_ms: T0 + 10 }];

    // A stale partner version: nothing is written, the operation stays open.
    let mut stale = update_of(&child, "Renamed");
    stale.expected_version = 7;
    let r = store.update_partner_customer(tenant, id, stale, new_email(), records(id, "customer.updated"), completes).await;
    assert!(matches!(r, Err(StoreError::VersionConflict)), "{r:?}");
    // A stale shared-domain version: the partner rows are not written either.
    let stale_domain = vec![Apply { data: contact("new@example.com"), expected_version: 5, at_ms: T0 + 10 }];
    let r = store
        .update_partner_customer(
            tenant,
            id,
            update_of(&child, "Renamed"),
            stale_domain,
            records(id, "customer.updated"),
            completes,
        )
        .await;
    assert!(matches!(r, Err(StoreError::VersionConflict)), "{r:?}");
    // Two primary contacts violate the unique index: nothing is written.
    let mut two_primaries = update_of(&child, "Renamed");
    two_primaries.contacts.iter_mut().for_each(|c| c.is_primary = true);
    let r =
        store.update_partner_customer(tenant, id, two_primaries, new_email(), records(id, "customer.updated"), completes).await;
    assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");

    assert_eq!(store.get_partner_customer_by_id(tenant, id).await.unwrap(), child);
    assert_eq!(store.get_customer(tenant, id).await.unwrap().data(DataDomain::Contact), Some(&contact("owner@example.com")));
    assert_eq!(store.list_audit(tenant, id, None, 100).await.unwrap().len(), audit_before);
    assert_eq!(store.get_operation(tenant, op).await.unwrap().status, OperationStatus::Open);

    let mut update = update_of(&child, "Renamed");
    update.contacts.swap(0, 1);
    store.update_partner_customer(tenant, id, update, new_email(), records(id, "customer.updated"), completes).await.unwrap();
    let after = store.get_partner_customer_by_id(tenant, id).await.unwrap();
    assert_eq!(after.version, 2);
    assert_eq!(after.updated_ms, T0 + 10);
    assert_eq!(name(&after), Some("Renamed"));
    assert_eq!(after.customer.contacts[0].id, child.customer.contacts[1].id, "contacts keep the order they were written in");
    let shared = store.get_customer(tenant, id).await.unwrap();
    assert_eq!((shared.data(DataDomain::Contact), shared.version(DataDomain::Contact)), (Some(&contact("new@example.com")), 2));
    assert_eq!(store.list_audit(tenant, id, None, 100).await.unwrap().len(), audit_before + 1);
    let op = store.get_operation(tenant, op).await.unwrap();
    assert_eq!((op.status, op.finished_ms), (OperationStatus::Success, Some(T0 + 10)));
}

async fn operations_complete_once(store: Arc<dyn Store>) {
    let store = &*store;
    let tenant = store.create_tenant("Operator", T0).await.unwrap().id;
    let root = create(store, tenant, "Root", None).await;
    let child = create(store, tenant, "Child", Some(&root)).await;
    let op = open_operation(store, tenant, root.customer.id, child.customer.uuid, T0).await;

    let read = store.get_operation(tenant, op).await.unwrap();
    assert_eq!((read.request_id, read.requester, read.target), (op, root.customer.id, child.customer.uuid));
    assert_eq!(
        (read.kind, read.status, read.failure.clone(), read.finished_ms),
        (OperationKind::ModifyCustomer, OperationStatus::Open, None, None)
    );

    // Only operations created before the cut-off are failed as interrupted.
    assert!(!store.fail_operation(tenant, op, true, OperationFailure::interrupted(), T0 + 1, Some(T0)).await.unwrap());
    assert!(store.fail_operation(tenant, op, true, OperationFailure::interrupted(), T0 + 1, Some(T0 + 1)).await.unwrap());
    assert!(
        !store.fail_operation(tenant, op, false, OperationFailure::new("x", "y"), T0 + 2, None).await.unwrap(),
        "failed once"
    );
    let failed = store.get_operation(tenant, op).await.unwrap();
    assert_eq!((failed.status, failed.finished_ms), (OperationStatus::InternalError, Some(T0 + 1)));
    assert_eq!(failed.failure.unwrap().code, OperationFailure::INTERRUPTED);

    // A write carrying a finished operation is rolled back.
    let completes = Some(Completes { request_id: op, at_ms: T0 + 3 });
    let r = store
        .update_partner_customer(tenant, child.customer.id, update_of(&child, "Late"), Vec::new(), Records::default(), completes)
        .await;
    assert!(matches!(r, Err(StoreError::NotPending)), "{r:?}");
    assert_eq!(store.get_partner_customer_by_id(tenant, child.customer.id).await.unwrap(), child);
    let new = new_customer(tenant, "Late child", root.customer.ancestry_of_children());
    let r = store.create_partner_customer(new, Vec::new(), Box::new(|_| Records::default()), completes).await;
    assert!(matches!(r, Err(StoreError::NotPending)), "{r:?}");
    assert_eq!(store.list_child_customers(tenant, root.customer.id, 0, 10).await.unwrap().total, 1);

    let unknown = RequestId::from_uuid(uuid());
    assert!(matches!(store.get_operation(tenant, unknown).await, Err(StoreError::NotFound)));
}

async fn concurrent_updates_admit_one(store: Arc<dyn Store>) {
    let tenant = store.create_tenant("Operator", T0).await.unwrap().id;
    let root = create(&*store, tenant, "Root", None).await;
    let child = create(&*store, tenant, "Child", Some(&root)).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (store, child) = (store.clone(), child.clone());
        tasks.push(tokio::spawn(async move {
            store
                .update_partner_customer(
                    tenant,
                    child.customer.id,
                    update_of(&child, &format!("Name {i}")),
                    Vec::new(),
                    Records::default(),
                    None,
                )
                .await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => won += 1,
            Err(StoreError::VersionConflict) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(store.get_partner_customer_by_id(tenant, child.customer.id).await.unwrap().version, 2);
}

async fn keys_are_bound_to_customers(store: Arc<dyn Store>) {
    let store = &*store;
    let tenant = store.create_tenant("Operator", T0).await.unwrap().id;
    let other = store.create_tenant("Other", T0).await.unwrap().id;
    let root = create(store, tenant, "Root", None).await;
    let key = |prefix: &str, tenant| NewApiKey {
        tenant_id: tenant,
        prefix: prefix.into(),
        key_hash: format!("hash-{prefix}"),
        scopes: vec![Scope::Partner],
        label: "acme".into(),
        created_ms: T0,
    };
    let record = store.insert_customer_key(key("bound001", tenant), root.customer.id, Records::default()).await.unwrap();
    assert_eq!(record.scopes, vec![Scope::Partner]);
    assert_eq!(store.find_api_key("hash-bound001").await.unwrap().unwrap().prefix, "bound001");
    assert_eq!(store.key_customer(tenant, "bound001").await.unwrap(), Some(root.customer.id));
    assert_eq!(store.key_customer(other, "bound001").await.unwrap(), None, "bindings are per tenant");

    store.insert_api_key(key("plain001", tenant), Records::default()).await.unwrap();
    assert_eq!(store.key_customer(tenant, "plain001").await.unwrap(), None);

    let plain = store.create_customer(tenant, Vec::new(), T0, Box::new(|_| Records::default())).await.unwrap();
    assert!(matches!(
        store.insert_customer_key(key("nopart01", tenant), plain, Records::default()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.insert_customer_key(key("foreign1", other), root.customer.id, Records::default()).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.find_api_key("hash-nopart01").await.unwrap().is_none(), "no key without its binding");
    assert!(matches!(
        store.insert_customer_key(key("bound001", tenant), root.customer.id, Records::default()).await,
        Err(StoreError::Conflict(_))
    ));
}
