//! Conformance suite of the `Store` trait: every story runs against both SQLite and PostgreSQL.

use custodian_domain::data::{AddressInput, ContactInput};
use custodian_domain::{
    Actor, ActorKind, AddressData, AmendmentId, AmendmentState, ConfigurationStatus, ContactData, CustomerId, DataDomain,
    DomainData, DomainPolicy, PolicySet, Scope, TenantId, Transition,
};
use custodian_store::{
    AmendmentQuery, ApiKeyRecord, Apply, FollowUp, NewAmendment, NewApiKey, NewAudit, NewEvent, Records, Store, StoreError,
};
use std::collections::BTreeMap;
use std::sync::Arc;

#[macro_use]
mod common;

conformance! {
    created_customer_reads_back_its_initial_data =>
        a_created_customer_reads_back_its_initial_data_at_version_one_on_sqlite,
        a_created_customer_reads_back_its_initial_data_at_version_one_on_postgres;
    tenants_are_isolated =>
        another_tenant_can_neither_see_nor_change_a_customer_or_amendment_on_sqlite,
        another_tenant_can_neither_see_nor_change_a_customer_or_amendment_on_postgres;
    one_pending_amendment_per_domain =>
        a_second_pending_amendment_for_the_same_domain_is_refused_on_sqlite,
        a_second_pending_amendment_for_the_same_domain_is_refused_on_postgres;
    approval_applies_and_decides_once =>
        approving_applies_the_data_and_a_second_decision_is_refused_on_sqlite,
        approving_applies_the_data_and_a_second_decision_is_refused_on_postgres;
    stale_apply_changes_nothing =>
        a_change_against_a_stale_version_conflicts_and_writes_nothing_on_sqlite,
        a_change_against_a_stale_version_conflicts_and_writes_nothing_on_postgres;
    events_are_numbered_per_customer =>
        events_are_numbered_one_two_three_per_customer_on_sqlite,
        events_are_numbered_one_two_three_per_customer_on_postgres;
    concurrent_submissions_admit_one =>
        fifty_concurrent_pending_submissions_admit_exactly_one_on_sqlite,
        fifty_concurrent_pending_submissions_admit_exactly_one_on_postgres;
    failures_in_a_shared_commit_roll_back_alone =>
        of_eighty_concurrent_writes_the_stale_and_foreign_ones_fail_alone_and_leave_no_trace_on_sqlite,
        of_eighty_concurrent_writes_the_stale_and_foreign_ones_fail_alone_and_leave_no_trace_on_postgres;
    a_panicking_write_changes_nothing_and_later_writes_go_on =>
        a_write_that_panics_midway_changes_nothing_and_the_next_write_succeeds_on_sqlite,
        a_write_that_panics_midway_changes_nothing_and_the_next_write_succeeds_on_postgres;
    concurrent_decisions_admit_one =>
        of_two_racing_decisions_exactly_one_wins_and_is_stored_on_sqlite,
        of_two_racing_decisions_exactly_one_wins_and_is_stored_on_postgres;
    policies_round_trip =>
        policies_start_empty_and_read_back_what_was_set_on_sqlite,
        policies_start_empty_and_read_back_what_was_set_on_postgres;
    api_keys_are_found_by_hash =>
        api_keys_are_found_by_hash_and_a_duplicate_prefix_conflicts_on_sqlite,
        api_keys_are_found_by_hash_and_a_duplicate_prefix_conflicts_on_postgres;
    amendment_queue_filters_and_pages =>
        the_amendment_queue_filters_by_domain_and_state_and_pages_by_cursor_on_sqlite,
        the_amendment_queue_filters_by_domain_and_state_and_pages_by_cursor_on_postgres;
    amendments_are_counted_by_state =>
        amendments_are_counted_by_state_on_sqlite,
        amendments_are_counted_by_state_on_postgres;
    import_batches_are_whole_and_skip_known_external_ids =>
        an_import_batch_writes_its_customers_in_order_and_skips_external_ids_the_tenant_has_on_sqlite,
        an_import_batch_writes_its_customers_in_order_and_skips_external_ids_the_tenant_has_on_postgres;
    a_large_import_batch_keeps_every_row =>
        an_import_batch_larger_than_one_statement_writes_every_customer_term_and_audit_entry_on_sqlite,
        an_import_batch_larger_than_one_statement_writes_every_customer_term_and_audit_entry_on_postgres;
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const T0: i64 = 1_700_000_000_000;

fn contact(email: &str) -> DomainData {
    DomainData::Contact(ContactData::parse(ContactInput { email: Some(email), ..Default::default() }).expect("valid contact"))
}

fn address(city: &str) -> DomainData {
    let input = AddressInput {
        street: Some("Am Bahnhof"),
        house_number: Some("90"),
        zip_code: Some("12133"),
        city: Some(city),
        country_code: Some("DE"),
        ..Default::default()
    };
    DomainData::Address(Box::new(AddressData::parse(input).expect("valid address")))
}

fn staff() -> Actor {
    Actor::new(ActorKind::Staff, "alice")
}

fn app() -> Actor {
    Actor::new(ActorKind::ApiKey, "ck_test")
}

fn audit(customer: Option<CustomerId>, action: &str, amendment: Option<AmendmentId>) -> NewAudit {
    NewAudit {
        customer_id: customer,
        actor: staff(),
        action: action.into(),
        domain: Some(DataDomain::Contact),
        amendment_id: amendment,
        changes: Vec::new(),
        at_ms: T0,
        request_id: Some("req-1".into()),
    }
}

fn event(event_type: &str) -> NewEvent {
    NewEvent { event_type: event_type.into(), payload: serde_json::json!({ "type": event_type }), at_ms: T0, request_id: None }
}

/// One audit entry and one event, as every change writes.
fn records(customer: CustomerId, action: &str) -> Records {
    Records { audit: vec![audit(Some(customer), action, None)], events: vec![event(action)] }
}

fn follow_up(customer: CustomerId, action: &'static str) -> FollowUp {
    Box::new(move |id| Records { audit: vec![audit(Some(customer), action, Some(id))], events: vec![event(action)] })
}

fn apply(data: &DomainData, expected_version: i64) -> Apply {
    Apply { data: data.clone(), expected_version, at_ms: T0 + 1 }
}

fn new_amendment(tenant: TenantId, customer: CustomerId, state: AmendmentState, proposed: DomainData) -> NewAmendment {
    NewAmendment {
        tenant_id: tenant,
        customer_id: customer,
        state,
        proposed,
        signature: None,
        base_version: 0,
        submitted_by: app(),
        submitted_at_ms: T0,
    }
}

fn transition(id: AmendmentId, to: AmendmentState) -> Transition {
    Transition { id, to, by: staff(), at_ms: T0 + 5, reason: None }
}

/// A new tenant with one customer that has no data, audit entries or events.
async fn tenant_with_customer(store: &dyn Store, name: &str) -> (TenantId, CustomerId) {
    let tenant = store.create_tenant(name, T0).await.expect("create tenant").id;
    let customer =
        store.create_customer(tenant, Vec::new(), T0, Box::new(|_| Records::default())).await.expect("create customer");
    (tenant, customer)
}

/// Submits a pending amendment (writing one audit entry and one event) and returns its id.
async fn submit_pending(store: &dyn Store, tenant: TenantId, customer: CustomerId, data: DomainData) -> AmendmentId {
    let new = new_amendment(tenant, customer, AmendmentState::Pending, data);
    store.submit_amendment(new, None, follow_up(customer, "amendment.submitted")).await.expect("submit pending amendment")
}

async fn audit_len(store: &dyn Store, tenant: TenantId, customer: CustomerId) -> usize {
    store.list_audit(tenant, customer, None, 1000).await.expect("list audit").len()
}

async fn events_len(store: &dyn Store, tenant: TenantId, customer: CustomerId) -> usize {
    store.list_events(tenant, customer).await.expect("list events").len()
}

fn ids(amendments: &[custodian_domain::Amendment]) -> Vec<AmendmentId> {
    amendments.iter().map(|a| a.id).collect()
}

fn query() -> AmendmentQuery {
    AmendmentQuery { limit: 100, ..Default::default() }
}

// ---------------------------------------------------------------------------------------------
// Stories

async fn created_customer_reads_back_its_initial_data(store: Arc<dyn Store>) {
    let tenant = store.create_tenant("Studio A", T0).await.unwrap().id;
    let (c, a) = (contact("anna@example.com"), address("Munich"));
    let customer = store
        .create_customer(tenant, vec![apply(&c, 0), apply(&a, 0)], T0, Box::new(|id| records(id, "customer.created")))
        .await
        .unwrap();

    let got = store.get_customer(tenant, customer).await.unwrap();
    assert_eq!(got.id, customer);
    assert_eq!(got.tenant_id, tenant);
    assert_eq!(got.created_ms, T0);
    assert_eq!(got.data(DataDomain::Contact), Some(&c));
    assert_eq!(got.data(DataDomain::Address), Some(&a));
    assert_eq!(got.version(DataDomain::Contact), 1);
    assert_eq!(got.version(DataDomain::Address), 1);
    assert_eq!(got.version(DataDomain::Master), 0);
    assert_eq!(got.data(DataDomain::Master), None);
    assert_eq!(got.domains.len(), 2);

    let audit = store.list_audit(tenant, customer, None, 100).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "customer.created");
    assert_eq!(audit[0].customer_id, Some(customer));
    assert_eq!(audit[0].actor, staff());
    assert_eq!(audit[0].request_id.as_deref(), Some("req-1"));
    assert_eq!(events_len(&*store, tenant, customer).await, 1);

    let listed = store.list_customers(tenant, None, 10).await.unwrap();
    assert_eq!(listed, vec![got]);

    let unknown = TenantId(tenant.0 + 1000);
    let r = store.create_customer(unknown, vec![apply(&c, 0)], T0, Box::new(|id| records(id, "customer.created"))).await;
    assert!(matches!(r, Err(StoreError::NotFound)), "a customer of an unknown tenant: {r:?}");
    assert_eq!(store.list_customers(tenant, None, 10).await.unwrap().len(), 1);
}

async fn tenants_are_isolated(store: Arc<dyn Store>) {
    let store = &*store;
    let (a, a_customer) = tenant_with_customer(store, "Studio A").await;
    let (b, b_customer) = tenant_with_customer(store, "Studio B").await;
    let a_amendment = submit_pending(store, a, a_customer, contact("a@example.com")).await;
    let a_audit = audit_len(store, a, a_customer).await;

    assert!(matches!(store.get_customer(b, a_customer).await, Err(StoreError::NotFound)));
    assert!(matches!(store.get_amendment(b, a_amendment).await, Err(StoreError::NotFound)));
    assert!(store.pending_amendment(b, a_customer, DataDomain::Contact).await.unwrap().is_none());

    let foreign = new_amendment(b, a_customer, AmendmentState::Pending, contact("b@example.com"));
    let r = store.submit_amendment(foreign, None, follow_up(a_customer, "amendment.submitted")).await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");

    let approve = transition(a_amendment, AmendmentState::Approved);
    let r = store
        .decide_amendment(b, a_customer, &approve, Some(apply(&contact("b@example.com"), 0)), records(a_customer, "x"))
        .await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    // Tenant B's own customer with tenant A's amendment id must not decide it either.
    let r = store.decide_amendment(b, b_customer, &approve, None, Records::default()).await;
    assert!(matches!(r, Err(StoreError::NotFound | StoreError::NotPending)), "{r:?}");

    let r = store.apply_change(b, a_customer, apply(&contact("b@example.com"), 0), records(a_customer, "x")).await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");

    assert!(store.list_audit(b, a_customer, None, 100).await.unwrap().is_empty());
    assert!(store.list_events(b, a_customer).await.unwrap().is_empty());
    assert!(store.list_amendments(b, &query()).await.unwrap().is_empty());
    assert!(store.list_customers(b, None, 100).await.unwrap().iter().all(|c| c.id != a_customer));

    // Tenant A's data is untouched.
    let amendment = store.get_amendment(a, a_amendment).await.unwrap();
    assert_eq!(amendment.state, AmendmentState::Pending);
    assert_eq!(store.get_customer(a, a_customer).await.unwrap().version(DataDomain::Contact), 0);
    assert_eq!(audit_len(store, a, a_customer).await, a_audit);
    assert_eq!(events_len(store, a, a_customer).await, 1);
    assert_eq!(ids(&store.list_amendments(a, &query()).await.unwrap()), vec![a_amendment]);
}

async fn one_pending_amendment_per_domain(store: Arc<dyn Store>) {
    let store = &*store;
    let (tenant, customer) = tenant_with_customer(store, "Studio A").await;
    let first = submit_pending(store, tenant, customer, contact("one@example.com")).await;
    assert_eq!(audit_len(store, tenant, customer).await, 1);

    let second = new_amendment(tenant, customer, AmendmentState::Pending, contact("two@example.com"));
    let r = store.submit_amendment(second, None, follow_up(customer, "amendment.submitted")).await;
    assert!(matches!(r, Err(StoreError::PendingExists)), "{r:?}");
    assert_eq!(audit_len(store, tenant, customer).await, 1, "the refused submission wrote audit entries");
    assert_eq!(events_len(store, tenant, customer).await, 1, "the refused submission wrote events");
    assert_eq!(ids(&store.list_amendments(tenant, &query()).await.unwrap()), vec![first]);
    let pending = store.pending_amendment(tenant, customer, DataDomain::Contact).await.unwrap().expect("still pending");
    assert_eq!(pending.id, first);
    assert_eq!(pending.proposed, contact("one@example.com"));

    // Another domain may have its own pending amendment.
    let other = submit_pending(store, tenant, customer, address("Berlin")).await;
    assert_ne!(other, first);

    // A change applied at once is never pending, so it does not collide.
    let direct = contact("direct@example.com");
    let applied = new_amendment(tenant, customer, AmendmentState::Applied, direct.clone());
    let id = store
        .submit_amendment(applied, Some(apply(&direct, 0)), follow_up(customer, "amendment.applied"))
        .await
        .expect("an applied amendment beside a pending one");
    assert_eq!(store.get_amendment(tenant, id).await.unwrap().state, AmendmentState::Applied);
    let got = store.get_customer(tenant, customer).await.unwrap();
    assert_eq!(got.data(DataDomain::Contact), Some(&direct));
    assert_eq!(got.version(DataDomain::Contact), 1);
    assert_eq!(audit_len(store, tenant, customer).await, 3);
    assert_eq!(events_len(store, tenant, customer).await, 3);

    // The one-statement read of a customer with a domain's pending amendment agrees with the two
    // reads, also for a domain without data (address) and one without a pending amendment; it
    // holds that one domain's data only.
    store.apply_change(tenant, customer, apply(&address("Berlin"), 0), records(customer, "customer.updated")).await.unwrap();
    let got = store.get_customer(tenant, customer).await.unwrap();
    assert_eq!(got.domains.len(), 2);
    for domain in [DataDomain::Contact, DataDomain::Address, DataDomain::Master] {
        let (c, pending) = store.customer_with_pending(tenant, customer, domain).await.unwrap();
        let mut only = got.clone();
        only.domains.retain(|d, _| *d == domain);
        assert_eq!(c, only, "{domain}");
        assert_eq!(c.data(domain), got.data(domain), "{domain}");
        assert_eq!(pending, store.pending_amendment(tenant, customer, domain).await.unwrap(), "{domain}");
    }
    let (_, pending) = store.customer_with_pending(tenant, customer, DataDomain::Address).await.unwrap();
    assert_eq!(pending.map(|a| a.id), Some(other));
    let (stranger, _) = tenant_with_customer(store, "Studio B").await;
    let r = store.customer_with_pending(stranger, customer, DataDomain::Contact).await;
    assert!(matches!(r, Err(StoreError::NotFound)), "another tenant's customer: {r:?}");
}

async fn approval_applies_and_decides_once(store: Arc<dyn Store>) {
    let store = &*store;
    let (tenant, customer) = tenant_with_customer(store, "Studio A").await;
    let proposed = contact("new@example.com");
    let id = submit_pending(store, tenant, customer, proposed.clone()).await;

    let amendment = store.get_amendment(tenant, id).await.unwrap();
    assert_eq!(
        (amendment.state, amendment.customer_id, amendment.domain),
        (AmendmentState::Pending, customer, DataDomain::Contact)
    );
    assert_eq!(amendment.submitted_by, app());
    assert_eq!(amendment.decided_by, None);

    let approve = amendment.approve(&staff(), T0 + 5).unwrap();
    let mut recs = records(customer, "amendment.approved");
    recs.audit[0].amendment_id = Some(id);
    store.decide_amendment(tenant, customer, &approve, Some(apply(&amendment.proposed, 0)), recs).await.unwrap();

    let decided = store.get_amendment(tenant, id).await.unwrap();
    assert_eq!(decided.state, AmendmentState::Approved);
    assert_eq!(decided.decided_by, Some(staff()));
    assert_eq!(decided.decided_at_ms, Some(T0 + 5));
    assert_eq!(decided.rejection_reason, None);
    let got = store.get_customer(tenant, customer).await.unwrap();
    assert_eq!(got.data(DataDomain::Contact), Some(&proposed));
    assert_eq!(got.version(DataDomain::Contact), 1);
    assert_eq!(got.updated_ms, T0 + 1);
    let audit = store.list_audit(tenant, customer, None, 100).await.unwrap();
    assert_eq!(audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(), ["amendment.submitted", "amendment.approved"]);
    assert_eq!(audit[1].amendment_id, Some(id));
    let events = store.list_events(tenant, customer).await.unwrap();
    assert_eq!(events.iter().map(|e| e.event_type.as_str()).collect::<Vec<_>>(), ["amendment.submitted", "amendment.approved"]);
    assert!(store.pending_amendment(tenant, customer, DataDomain::Contact).await.unwrap().is_none());

    // A late rejection loses: nothing changes.
    let reject = Transition { reason: Some("too late".into()), ..transition(id, AmendmentState::Rejected) };
    let r = store.decide_amendment(tenant, customer, &reject, None, records(customer, "amendment.rejected")).await;
    assert!(matches!(r, Err(StoreError::NotPending)), "{r:?}");
    assert_eq!(store.get_amendment(tenant, id).await.unwrap(), decided);
    assert_eq!(store.get_customer(tenant, customer).await.unwrap(), got);
    assert_eq!(audit_len(store, tenant, customer).await, 2);
    assert_eq!(events_len(store, tenant, customer).await, 2);

    // A rejection of another pending amendment stores its reason and applies nothing.
    let other = submit_pending(store, tenant, customer, contact("other@example.com")).await;
    let reject = Transition { reason: Some("not yours".into()), ..transition(other, AmendmentState::Rejected) };
    store.decide_amendment(tenant, customer, &reject, None, records(customer, "amendment.rejected")).await.unwrap();
    let rejected = store.get_amendment(tenant, other).await.unwrap();
    assert_eq!(rejected.state, AmendmentState::Rejected);
    assert_eq!(rejected.rejection_reason.as_deref(), Some("not yours"));
    assert_eq!(store.get_customer(tenant, customer).await.unwrap().data(DataDomain::Contact), Some(&proposed));
}

async fn stale_apply_changes_nothing(store: Arc<dyn Store>) {
    let store = &*store;
    let (tenant, customer) = tenant_with_customer(store, "Studio A").await;
    store
        .apply_change(tenant, customer, apply(&contact("v1@example.com"), 0), records(customer, "customer.updated"))
        .await
        .unwrap();
    store
        .apply_change(tenant, customer, apply(&contact("v2@example.com"), 1), records(customer, "customer.updated"))
        .await
        .unwrap();
    let before = store.get_customer(tenant, customer).await.unwrap();
    assert_eq!(before.version(DataDomain::Contact), 2);
    assert_eq!(before.data(DataDomain::Contact), Some(&contact("v2@example.com")));
    let audit_before = store.list_audit(tenant, customer, None, 100).await.unwrap();
    let events_before = store.list_events(tenant, customer).await.unwrap();
    assert_eq!((audit_before.len(), events_before.len()), (2, 2));

    // Too old, the first-write form on existing data, and a version from the future.
    for (domain_data, expected) in
        [(contact("stale@example.com"), 1), (contact("stale@example.com"), 0), (contact("x@example.com"), 3)]
    {
        let r = store.apply_change(tenant, customer, apply(&domain_data, expected), records(customer, "customer.updated")).await;
        assert!(matches!(r, Err(StoreError::VersionConflict)), "expected_version {expected}: {r:?}");
    }
    // A domain without data is at version 0, not 1.
    let r = store.apply_change(tenant, customer, apply(&address("Berlin"), 1), records(customer, "customer.updated")).await;
    assert!(matches!(r, Err(StoreError::VersionConflict)), "{r:?}");

    assert_eq!(store.get_customer(tenant, customer).await.unwrap(), before);
    assert_eq!(store.list_audit(tenant, customer, None, 100).await.unwrap(), audit_before);
    assert_eq!(store.list_events(tenant, customer).await.unwrap(), events_before);
}

async fn events_are_numbered_per_customer(store: Arc<dyn Store>) {
    let store = &*store;
    let tenant = store.create_tenant("Studio A", T0).await.unwrap().id;
    let customer = store
        .create_customer(tenant, vec![apply(&contact("a@example.com"), 0)], T0, Box::new(|id| records(id, "customer.created")))
        .await
        .unwrap();
    let mut two = records(customer, "customer.updated");
    two.events.push(event("customer.contact_changed"));
    store.apply_change(tenant, customer, apply(&contact("b@example.com"), 1), two).await.unwrap();
    submit_pending(store, tenant, customer, contact("c@example.com")).await;
    let (other_tenant, other) = tenant_with_customer(store, "Studio B").await;
    store
        .apply_change(other_tenant, other, apply(&contact("o@example.com"), 0), records(other, "customer.updated"))
        .await
        .unwrap();

    let events = store.list_events(tenant, customer).await.unwrap();
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert_eq!(
        events.iter().map(|e| e.event_type.as_str()).collect::<Vec<_>>(),
        ["customer.created", "customer.updated", "customer.contact_changed", "amendment.submitted"]
    );
    for e in &events {
        assert_eq!(e.customer_id, customer);
        assert_eq!(e.payload["sequence"], serde_json::json!(e.seq), "{e:?}");
        assert_eq!(e.payload["type"], serde_json::json!(e.event_type), "{e:?}");
        assert_eq!(e.at_ms, T0);
    }
    let other_events = store.list_events(other_tenant, other).await.unwrap();
    assert_eq!(other_events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1]);
    assert_eq!(other_events[0].payload["sequence"], serde_json::json!(1));
}

async fn concurrent_submissions_admit_one(store: Arc<dyn Store>) {
    let (tenant, customer) = tenant_with_customer(&*store, "Studio A").await;
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let data = contact(&format!("racer{i}@example.com"));
                let new = new_amendment(tenant, customer, AmendmentState::Pending, data);
                store.submit_amendment(new, None, follow_up(customer, "amendment.submitted")).await
            })
        })
        .collect();
    let (mut ok, mut pending_exists, mut other) = (Vec::new(), 0, Vec::new());
    for task in tasks {
        match task.await.expect("task panicked") {
            Ok(id) => ok.push(id),
            Err(StoreError::PendingExists) => pending_exists += 1,
            Err(e) => other.push(e.to_string()),
        }
    }
    assert!(other.is_empty(), "unexpected errors: {other:?}");
    assert_eq!((ok.len(), pending_exists), (1, 49));
    let stored = store.list_amendments(tenant, &query()).await.unwrap();
    assert_eq!(ids(&stored), ok);
    assert_eq!(audit_len(&*store, tenant, customer).await, 1);
    assert_eq!(events_len(&*store, tenant, customer).await, 1);
}

/// Concurrent writes share commits on SQLite (group commit): a write that fails inside a batch
/// must leave no trace, even after its first statements ran, and must not take the batch's other
/// writes down with it.
async fn failures_in_a_shared_commit_roll_back_alone(store: Arc<dyn Store>) {
    let (tenant, _) = tenant_with_customer(&*store, "Studio A").await;
    let (other_tenant, _) = tenant_with_customer(&*store, "Studio B").await;
    let mut customers = Vec::new();
    for _ in 0..20 {
        let customer = store.create_customer(tenant, Vec::new(), T0, Box::new(|_| Records::default())).await.unwrap();
        let pending = submit_pending(&*store, tenant, customer, address("Berlin")).await;
        customers.push((customer, pending));
    }
    let mut tasks = Vec::new();
    for (i, &(customer, pending)) in customers.iter().enumerate() {
        let (good, stale, foreign, late) = (Arc::clone(&store), Arc::clone(&store), Arc::clone(&store), Arc::clone(&store));
        tasks.push(tokio::spawn(async move {
            let data = contact(&format!("member{i}@example.com"));
            ("good", good.apply_change(tenant, customer, apply(&data, 0), records(customer, "customer.updated")).await)
        }));
        tasks.push(tokio::spawn(async move {
            let data = contact(&format!("stale{i}@example.com"));
            ("stale", stale.apply_change(tenant, customer, apply(&data, 7), records(customer, "customer.updated")).await)
        }));
        tasks.push(tokio::spawn(async move {
            let new = new_amendment(other_tenant, customer, AmendmentState::Pending, contact("intruder@example.com"));
            ("foreign", foreign.submit_amendment(new, None, follow_up(customer, "amendment.submitted")).await.map(|_| ()))
        }));
        // An approval decided on a stale version of the address: the customer row is touched and
        // the amendment marked approved before the domain write finds the version moved on.
        tasks.push(tokio::spawn(async move {
            let t = Transition { at_ms: T0 + 99, ..transition(pending, AmendmentState::Approved) };
            let stale = Apply { data: address("Hamburg"), expected_version: 3, at_ms: T0 + 99 };
            ("late", late.decide_amendment(tenant, customer, &t, Some(stale), records(customer, "amendment.approved")).await)
        }));
    }
    for task in tasks {
        match task.await.expect("task panicked") {
            ("good", result) => assert!(result.is_ok(), "{result:?}"),
            ("stale" | "late", result) => assert!(matches!(result, Err(StoreError::VersionConflict)), "{result:?}"),
            (_, result) => assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}"),
        }
    }
    for (i, &(customer, pending)) in customers.iter().enumerate() {
        let got = store.get_customer(tenant, customer).await.unwrap();
        let stored = &got.domains[&DataDomain::Contact];
        assert_eq!((&stored.data, stored.version), (&contact(&format!("member{i}@example.com")), 1));
        assert!(!got.domains.contains_key(&DataDomain::Address), "customer {i}");
        assert_eq!(got.updated_ms, T0 + 1, "customer {i}: only the good change touched the row");
        assert_eq!(store.get_amendment(tenant, pending).await.unwrap().state, AmendmentState::Pending, "customer {i}");
        // The submission and the good change; nothing of the failed ones.
        assert_eq!(audit_len(&*store, tenant, customer).await, 2, "customer {i}");
        assert_eq!(events_len(&*store, tenant, customer).await, 2, "customer {i}");
    }
    assert!(store.list_amendments(other_tenant, &query()).await.unwrap().is_empty());
    let verified = store.verify_audit(tenant, None).await.unwrap();
    assert_eq!((verified.entries, verified.mismatch), (40, None));
}

/// A bug that panics in the middle of a write (here: while building its audit records, after the
/// amendment row was inserted) must not leave that row behind, and must not stop the writer: on
/// SQLite all these writes share one writer connection.
async fn a_panicking_write_changes_nothing_and_later_writes_go_on(store: Arc<dyn Store>) {
    let (tenant, customer) = tenant_with_customer(&*store, "Studio A").await;
    let writer = Arc::clone(&store);
    let outcome = tokio::spawn(async move {
        let new = new_amendment(tenant, customer, AmendmentState::Pending, contact("first@example.com"));
        writer.submit_amendment(new, None, Box::new(|_| panic!("a bug while building the records"))).await
    })
    .await;
    // The task panicked (the sqlx path) or the write answered an error (SQLite's group writer).
    assert!(!matches!(outcome, Ok(Ok(_))), "{outcome:?}");
    assert!(store.list_amendments(tenant, &query()).await.unwrap().is_empty());
    assert_eq!(audit_len(&*store, tenant, customer).await, 0);
    let id = submit_pending(&*store, tenant, customer, contact("second@example.com")).await;
    assert_eq!(ids(&store.list_amendments(tenant, &query()).await.unwrap()), [id]);
}

async fn concurrent_decisions_admit_one(store: Arc<dyn Store>) {
    let (tenant, _) = tenant_with_customer(&*store, "Studio A").await;
    for round in 0..5 {
        let customer = store.create_customer(tenant, Vec::new(), T0, Box::new(|_| Records::default())).await.unwrap();
        let proposed = contact(&format!("round{round}@example.com"));
        let id = submit_pending(&*store, tenant, customer, proposed.clone()).await;

        let approve = {
            let store = Arc::clone(&store);
            let proposed = proposed.clone();
            tokio::spawn(async move {
                let t = transition(id, AmendmentState::Approved);
                store
                    .decide_amendment(tenant, customer, &t, Some(apply(&proposed, 0)), records(customer, "amendment.approved"))
                    .await
            })
        };
        let withdraw = {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let t = Transition { by: app(), ..transition(id, AmendmentState::Withdrawn) };
                store.decide_amendment(tenant, customer, &t, None, records(customer, "amendment.withdrawn")).await
            })
        };
        let (approved, withdrawn) = (approve.await.unwrap(), withdraw.await.unwrap());
        let winner = match (&approved, &withdrawn) {
            (Ok(()), Err(StoreError::NotPending)) => AmendmentState::Approved,
            (Err(StoreError::NotPending), Ok(())) => AmendmentState::Withdrawn,
            other => panic!("round {round}: expected exactly one winner and one NotPending, got {other:?}"),
        };
        let stored = store.get_amendment(tenant, id).await.unwrap();
        assert_eq!(stored.state, winner);
        let got = store.get_customer(tenant, customer).await.unwrap();
        if winner == AmendmentState::Approved {
            assert_eq!(stored.decided_by, Some(staff()));
            assert_eq!((got.version(DataDomain::Contact), got.data(DataDomain::Contact)), (1, Some(&proposed)));
        } else {
            assert_eq!(stored.decided_by, Some(app()));
            assert_eq!((got.version(DataDomain::Contact), got.data(DataDomain::Contact)), (0, None));
        }
        assert_eq!(audit_len(&*store, tenant, customer).await, 2, "round {round}: only the winner writes audit entries");
        assert_eq!(events_len(&*store, tenant, customer).await, 2, "round {round}: only the winner writes events");
    }
}

async fn policies_round_trip(store: Arc<dyn Store>) {
    let store = &*store;
    let (tenant, _) = tenant_with_customer(store, "Studio A").await;
    let (other, _) = tenant_with_customer(store, "Studio B").await;
    assert_eq!(store.policies(tenant).await.unwrap(), PolicySet::default());
    assert!(store.policies(tenant).await.unwrap().0.is_empty());

    let policy_records = || Records { audit: vec![audit(None, "policy.changed", None)], events: Vec::new() };
    let read_signed = DomainPolicy { status: ConfigurationStatus::Read, require_signature: true };
    store.set_policy(tenant, DataDomain::Payment, read_signed, policy_records()).await.unwrap();
    let direct = DomainPolicy { status: ConfigurationStatus::ChangesWithoutVerification, require_signature: false };
    store.set_policy(tenant, DataDomain::Contact, direct, policy_records()).await.unwrap();
    let expected = PolicySet(BTreeMap::from([(DataDomain::Payment, read_signed), (DataDomain::Contact, direct)]));
    assert_eq!(store.policies(tenant).await.unwrap(), expected);

    // Setting again replaces the domain's policy.
    let verified = DomainPolicy { status: ConfigurationStatus::ChangesRequireVerification, require_signature: true };
    store.set_policy(tenant, DataDomain::Payment, verified, policy_records()).await.unwrap();
    let got = store.policies(tenant).await.unwrap();
    assert_eq!(got.0.len(), 2);
    assert_eq!(got.get(DataDomain::Payment), verified);
    assert_eq!(got.get(DataDomain::Contact), direct);

    assert_eq!(store.policies(other).await.unwrap(), PolicySet::default());
    let r = store.set_policy(TenantId(tenant.0 + 1000), DataDomain::Contact, direct, policy_records()).await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
}

async fn api_keys_are_found_by_hash(store: Arc<dyn Store>) {
    let store = &*store;
    let (tenant, _) = tenant_with_customer(store, "Studio A").await;
    let key = |prefix: &str, hash: &str| NewApiKey {
        tenant_id: tenant,
        prefix: prefix.into(),
        key_hash: hash.into(),
        scopes: vec![Scope::SelfServiceRead, Scope::StaffReview],
        label: "booking app".into(),
        created_ms: T0,
    };
    let hash = "a".repeat(64);
    let inserted = store.insert_api_key(key("ck_one", &hash), Records::default()).await.unwrap();
    assert_eq!(inserted.prefix, "ck_one");

    let found = store.find_api_key(&hash).await.unwrap().expect("key is found by its hash");
    assert_eq!(found, inserted);
    assert_eq!(found.tenant_id, tenant);
    assert_eq!(found.scopes, [Scope::SelfServiceRead, Scope::StaffReview]);
    assert_eq!(found.label, "booking app");
    assert_eq!(store.find_api_key(&"b".repeat(64)).await.unwrap(), None);

    let r = store.insert_api_key(key("ck_one", &"c".repeat(64)), Records::default()).await;
    assert!(matches!(r, Err(StoreError::Conflict(_))), "duplicate prefix: {r:?}");
    let r = store.insert_api_key(key("ck_two", &hash), Records::default()).await;
    assert!(matches!(r, Err(StoreError::Conflict(_))), "duplicate hash: {r:?}");
    assert_eq!(store.find_api_key(&"c".repeat(64)).await.unwrap(), None);
}

async fn amendment_queue_filters_and_pages(store: Arc<dyn Store>) {
    let store = &*store;
    let (tenant, c1) = tenant_with_customer(store, "Studio A").await;
    let c2 = store.create_customer(tenant, Vec::new(), T0, Box::new(|_| Records::default())).await.unwrap();
    let submit = |customer, state, data: DomainData, apply_it: bool| async move {
        let new = new_amendment(tenant, customer, state, data.clone());
        let change = apply_it.then(|| apply(&data, 0));
        store.submit_amendment(new, change, follow_up(customer, "amendment.submitted")).await.unwrap()
    };
    let a1 = submit(c1, AmendmentState::Pending, contact("a1@example.com"), false).await;
    let a2 = submit(c1, AmendmentState::Pending, address("Berlin"), false).await;
    let a3 = submit(c2, AmendmentState::Pending, contact("a3@example.com"), false).await;
    let a4 = submit(c1, AmendmentState::Applied, contact("a4@example.com"), true).await;
    let a5 = submit(c2, AmendmentState::Applied, address("Hamburg"), true).await;
    let a6 = submit(c2, AmendmentState::Withdrawn, contact("a6@example.com"), false).await;
    let all = [a1, a2, a3, a4, a5, a6];
    assert!(all.windows(2).all(|w| w[0] < w[1]), "ids ascend: {all:?}");

    let list = |q: AmendmentQuery| async move { ids(&store.list_amendments(tenant, &q).await.unwrap()) };
    assert_eq!(list(query()).await, all);
    assert_eq!(list(AmendmentQuery { domain: Some(DataDomain::Contact), ..query() }).await, [a1, a3, a4, a6]);
    assert_eq!(list(AmendmentQuery { domain: Some(DataDomain::Master), ..query() }).await, []);
    assert_eq!(list(AmendmentQuery { state: Some(AmendmentState::Pending), ..query() }).await, [a1, a2, a3]);
    assert_eq!(list(AmendmentQuery { state: Some(AmendmentState::Applied), ..query() }).await, [a4, a5]);
    let pending_contact = AmendmentQuery { domain: Some(DataDomain::Contact), state: Some(AmendmentState::Pending), ..query() };
    assert_eq!(list(pending_contact).await, [a1, a3]);
    assert_eq!(list(AmendmentQuery { customer: Some(c2), ..query() }).await, [a3, a5, a6]);

    // Pages of two, following the cursor.
    let page = |after| AmendmentQuery { after, limit: 2, ..Default::default() };
    assert_eq!(list(page(None)).await, [a1, a2]);
    assert_eq!(list(page(Some(a2))).await, [a3, a4]);
    assert_eq!(list(page(Some(a4))).await, [a5, a6]);
    assert_eq!(list(page(Some(a6))).await, []);
    let contact_after_a1 = AmendmentQuery { domain: Some(DataDomain::Contact), after: Some(a1), limit: 1, ..Default::default() };
    assert_eq!(list(contact_after_a1).await, [a3]);
}

async fn amendments_are_counted_by_state(store: Arc<dyn Store>) {
    let store = &*store;
    assert!(store.count_amendments_by_state().await.unwrap().is_empty());
    let (tenant, c1) = tenant_with_customer(store, "Studio A").await;
    let (other, c2) = tenant_with_customer(store, "Studio B").await;
    let p1 = submit_pending(store, tenant, c1, contact("p1@example.com")).await;
    submit_pending(store, tenant, c1, address("Berlin")).await;
    submit_pending(store, other, c2, contact("p3@example.com")).await;
    for (state, customer, t) in
        [(AmendmentState::Applied, c1, tenant), (AmendmentState::Applied, c2, other), (AmendmentState::Rejected, c2, other)]
    {
        let new = new_amendment(t, customer, state, contact("x@example.com"));
        store.submit_amendment(new, None, follow_up(customer, "amendment.submitted")).await.unwrap();
    }
    store.decide_amendment(tenant, c1, &transition(p1, AmendmentState::Approved), None, Records::default()).await.unwrap();

    let counts: BTreeMap<String, i64> = store.count_amendments_by_state().await.unwrap().into_iter().collect();
    let expected: BTreeMap<String, i64> =
        [("applied", 2), ("approved", 1), ("pending", 2), ("rejected", 1)].into_iter().map(|(s, n)| (s.to_owned(), n)).collect();
    assert_eq!(counts, expected);
}

// ---------------------------------------------------------------------------------------------
// Webhook deliveries

conformance! {
    events_fan_out_to_matching_subscriptions =>
        an_event_creates_one_delivery_per_matching_subscription_and_a_disabled_one_keeps_it_queued_on_sqlite,
        an_event_creates_one_delivery_per_matching_subscription_and_a_disabled_one_keeps_it_queued_on_postgres;
    concurrent_claims_are_disjoint_and_ordered =>
        concurrent_claimers_get_disjoint_deliveries_and_never_a_customers_later_event_first_on_sqlite,
        concurrent_claimers_get_disjoint_deliveries_and_never_a_customers_later_event_first_on_postgres;
    only_days_of_failures_disable =>
        sixty_failed_attempts_in_an_hour_leave_an_endpoint_enabled_and_five_days_of_failures_disable_it_on_sqlite,
        sixty_failed_attempts_in_an_hour_leave_an_endpoint_enabled_and_five_days_of_failures_disable_it_on_postgres;
    a_disabled_endpoint_keeps_its_queue =>
        events_of_a_disabled_endpoint_are_queued_and_go_out_once_in_order_after_re_enabling_on_sqlite,
        events_of_a_disabled_endpoint_are_queued_and_go_out_once_in_order_after_re_enabling_on_postgres;
}

async fn subscribe(store: &dyn Store, tenant: TenantId, types: &[&str]) -> i64 {
    use custodian_store::webhooks::{NewSubscription, WebhookFormat};
    store
        .create_subscription(NewSubscription {
            tenant_id: tenant,
            url: "https://hooks.example.com/x".into(),
            event_types: types.iter().map(|t| t.to_string()).collect(),
            format: WebhookFormat::Standard,
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
            vendor_key: None,
            now_ms: T0,
        })
        .await
        .unwrap()
        .id
}

async fn events_fan_out_to_matching_subscriptions(store: Arc<dyn Store>) {
    let (tenant, customer) = tenant_with_customer(&*store, "Studio Hooks").await;
    let (other_tenant, _) = tenant_with_customer(&*store, "Other").await;
    let all = subscribe(&*store, tenant, &[]).await;
    let only_updates = subscribe(&*store, tenant, &["customer.updated"]).await;
    let elsewhere = subscribe(&*store, other_tenant, &[]).await;
    let disabled = subscribe(&*store, tenant, &[]).await;
    store
        .update_subscription(
            tenant,
            disabled,
            custodian_store::webhooks::SubscriptionChanges { enabled: Some(false), now_ms: T0, ..Default::default() },
        )
        .await
        .unwrap();
    store
        .apply_change(tenant, customer, apply(&contact("a@example.com"), 0), records(customer, "customer.updated"))
        .await
        .unwrap();
    store
        .apply_change(tenant, customer, apply(&contact("b@example.com"), 1), records(customer, "amendment.applied"))
        .await
        .unwrap();
    let count = |sub| {
        let store = store.clone();
        async move {
            store.list_deliveries(if sub == elsewhere { other_tenant } else { tenant }, sub, None, None, 100).await.unwrap().len()
        }
    };
    assert_eq!(count(all).await, 2);
    assert_eq!(count(only_updates).await, 1);
    assert_eq!(count(elsewhere).await, 0, "another tenant's subscription gets nothing");
    assert_eq!(count(disabled).await, 2, "a disabled subscription's deliveries are queued for when it is enabled again");
    assert_eq!(store.count_open_deliveries().await.unwrap(), 5);
    let claimed = store.claim_deliveries(T0 + 10, 60_000, 10).await.unwrap();
    assert_eq!(claimed.len(), 2, "one per enabled subscription (the customer's first event)");
    assert!(claimed.iter().all(|c| c.subscription.id != disabled), "nothing is sent to a disabled subscription");
    assert!(matches!(store.list_deliveries(other_tenant, all, None, None, 10).await, Err(StoreError::NotFound)));
}

async fn concurrent_claims_are_disjoint_and_ordered(store: Arc<dyn Store>) {
    let tenant = store.create_tenant("Studio Claims", T0).await.unwrap().id;
    subscribe(&*store, tenant, &[]).await;
    let mut customers = Vec::new();
    for _ in 0..6 {
        let c = store.create_customer(tenant, Vec::new(), T0, Box::new(|_| Records::default())).await.unwrap();
        for v in 0..3 {
            let email = format!("v{v}@example.com");
            store.apply_change(tenant, c, apply(&contact(&email), v), records(c, "customer.updated")).await.unwrap();
        }
        customers.push(c);
    }
    // Four dispatchers claim at once: every claimed delivery is someone's only one, and each
    // customer has at most one delivery in flight — its earliest.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move { store.claim_deliveries(T0 + 10, 60_000, 10).await.unwrap() }));
    }
    let mut claimed = Vec::new();
    for t in tasks {
        claimed.extend(t.await.unwrap());
    }
    let mut ids: Vec<i64> = claimed.iter().map(|c| c.delivery.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), claimed.len(), "no delivery claimed twice");
    assert_eq!(claimed.len(), 6, "one per customer: later events wait for earlier ones");
    for c in &claimed {
        assert_eq!(c.delivery.seq, 1, "the earliest event of each customer goes first");
        assert_eq!(c.delivery.attempts, 1);
    }
    // Nothing more is claimable while those are in flight.
    assert!(store.claim_deliveries(T0 + 20, 60_000, 10).await.unwrap().is_empty());
    // After success, the next event of each customer becomes claimable.
    for c in &claimed {
        let outcome = custodian_store::webhooks::AttemptOutcome::Succeeded { status_code: 200, at_ms: T0 + 30 };
        assert!(!store.record_attempt(c.delivery.id, outcome, T0 + 30, Default::default(), None).await.unwrap());
    }
    let next = store.claim_deliveries(T0 + 40, 60_000, 10).await.unwrap();
    assert_eq!(next.len(), 6);
    assert!(next.iter().all(|c| c.delivery.seq == 2));
    // A lease that ran out makes a delivery claimable again (a crashed dispatcher).
    let again = store.claim_deliveries(T0 + 40 + 60_001, 60_000, 10).await.unwrap();
    assert_eq!(again.len(), 6);
    assert!(again.iter().all(|c| c.delivery.seq == 2 && c.delivery.attempts == 2));
}

const HOUR: i64 = 3_600_000;

/// Claims the one due delivery at `at` and records a failed attempt that asks to try again at once.
async fn fail_once(store: &dyn Store, at: i64, disable: Option<String>) -> (i64, bool) {
    use custodian_store::webhooks::{AttemptOutcome, DisablePolicy};
    let claimed = store.claim_deliveries(at, 60_000, 10).await.unwrap();
    assert_eq!(claimed.len(), 1, "one delivery due at {at}");
    let id = claimed[0].delivery.id;
    let outcome = AttemptOutcome::Retry { status_code: Some(503), error: "HTTP 503".into(), next_attempt_ms: at };
    let policy = DisablePolicy { after_ms: 120 * HOUR, after_failures: 50 };
    (id, store.record_attempt(id, outcome, at, policy, disable).await.unwrap())
}

async fn only_days_of_failures_disable(store: Arc<dyn Store>) {
    use custodian_store::webhooks::{AttemptOutcome, DeliveryStatus, DisablePolicy};
    let (tenant, customer) = tenant_with_customer(&*store, "Studio Outage").await;
    let sub = subscribe(&*store, tenant, &[]).await;
    store
        .apply_change(tenant, customer, apply(&contact("a@example.com"), 0), records(customer, "customer.updated"))
        .await
        .unwrap();
    // An outage: 60 failed attempts within an hour.
    for i in 0..60 {
        let (_, disabled) = fail_once(&*store, T0 + 10 + i * 60_000, None).await;
        assert!(!disabled, "attempt {i} disabled the endpoint");
    }
    let s = store.get_subscription(tenant, sub).await.unwrap();
    assert!(s.enabled && s.consecutive_failures == 60, "{s:?}");
    // A success ends the run of failures: the clock starts again at the next failure.
    let claimed = store.claim_deliveries(T0 + 2 * HOUR, 60_000, 10).await.unwrap();
    let outcome = AttemptOutcome::Succeeded { status_code: 200, at_ms: T0 + 2 * HOUR };
    assert!(!store.record_attempt(claimed[0].delivery.id, outcome, T0 + 2 * HOUR, DisablePolicy::default(), None).await.unwrap());
    store
        .apply_change(tenant, customer, apply(&contact("b@example.com"), 1), records(customer, "customer.updated"))
        .await
        .unwrap();
    let start = T0 + 3 * HOUR;
    for i in 0..50 {
        assert!(!fail_once(&*store, start + i * HOUR / 50, None).await.1);
    }
    assert!(!fail_once(&*store, start + 120 * HOUR - 1, None).await.1, "not yet five days");
    assert!(store.get_subscription(tenant, sub).await.unwrap().enabled);
    let (delivery, disabled) = fail_once(&*store, start + 120 * HOUR, None).await;
    assert!(disabled, "five days of failures disable the endpoint");
    let s = store.get_subscription(tenant, sub).await.unwrap();
    assert!(!s.enabled && s.disabled_reason.as_deref().unwrap_or_default().contains("120 hours"), "{s:?}");
    let queued = store.list_deliveries(tenant, sub, Some(DeliveryStatus::Pending), None, 10).await.unwrap();
    assert_eq!(queued.iter().map(|d| d.id).collect::<Vec<_>>(), [delivery], "its delivery stays queued");
}

async fn a_disabled_endpoint_keeps_its_queue(store: Arc<dyn Store>) {
    use custodian_store::webhooks::{AttemptOutcome, DisablePolicy, SubscriptionChanges};
    let (tenant, first) = tenant_with_customer(&*store, "Studio Gone").await;
    let second = store.create_customer(tenant, Vec::new(), T0, Box::new(|_| Records::default())).await.unwrap();
    let sub = subscribe(&*store, tenant, &[]).await;
    let change = |c: CustomerId, v: i64| {
        let store = store.clone();
        async move {
            let email = format!("v{v}@example.com");
            store.apply_change(tenant, c, apply(&contact(&email), v), records(c, "customer.updated")).await.unwrap();
        }
    };
    change(first, 0).await;
    // The endpoint answers 410: disabled at once, its delivery stays queued.
    let (gone, disabled) = fail_once(&*store, T0 + 10, Some("the endpoint answered 410 Gone".into())).await;
    assert!(disabled);
    // Events while it is disabled are queued and not sent.
    change(first, 1).await;
    change(second, 0).await;
    change(second, 1).await;
    assert!(store.claim_deliveries(T0 + HOUR, 60_000, 10).await.unwrap().is_empty(), "nothing goes to a disabled endpoint");
    assert_eq!(store.count_open_deliveries().await.unwrap(), 4);
    store
        .update_subscription(
            tenant,
            sub,
            SubscriptionChanges { enabled: Some(true), now_ms: T0 + 2 * HOUR, ..Default::default() },
        )
        .await
        .unwrap();
    // Re-enabled: everything goes out once, in order per customer.
    let mut sent: Vec<(CustomerId, i64, i64)> = Vec::new();
    for round in 0..10 {
        let at = T0 + 2 * HOUR + round;
        let claimed = store.claim_deliveries(at, 60_000, 10).await.unwrap();
        if claimed.is_empty() {
            break;
        }
        for c in claimed {
            assert_eq!(c.delivery.attempts, 1, "re-enabling starts a full retry schedule");
            sent.push((c.event.customer_id, c.event.seq, c.delivery.id));
            let outcome = AttemptOutcome::Succeeded { status_code: 200, at_ms: at };
            store.record_attempt(c.delivery.id, outcome, at, DisablePolicy::default(), None).await.unwrap();
        }
    }
    assert_eq!(sent.len(), 4, "{sent:?}");
    let of = |c: CustomerId| sent.iter().filter(|s| s.0 == c).map(|s| s.1).collect::<Vec<_>>();
    assert_eq!(of(first), [1, 2]);
    assert_eq!(of(second), [1, 2]);
    assert_eq!(sent.iter().find(|s| s.0 == first).unwrap().2, gone, "the 410'd delivery goes first");
    assert_eq!(store.count_open_deliveries().await.unwrap(), 0);
}

conformance! {
    revoked_keys_stop_working =>
        a_revoked_key_is_no_longer_found_or_listed_and_other_tenants_cannot_revoke_it_on_sqlite,
        a_revoked_key_is_no_longer_found_or_listed_and_other_tenants_cannot_revoke_it_on_postgres;
    key_changes_are_audited =>
        creating_and_revoking_a_key_writes_its_audit_entries_with_it_and_a_refused_revocation_writes_none_on_sqlite,
        creating_and_revoking_a_key_writes_its_audit_entries_with_it_and_a_refused_revocation_writes_none_on_postgres;
    the_last_admin_key_is_kept =>
        a_guarded_revocation_keeps_the_last_admin_key_even_when_two_race_on_sqlite,
        a_guarded_revocation_keeps_the_last_admin_key_even_when_two_race_on_postgres;
}

async fn the_last_admin_key_is_kept(store: Arc<dyn Store>) {
    let tenant = store.create_tenant("Studio Admins", T0).await.unwrap().id;
    let other = store.create_tenant("Other", T0).await.unwrap().id;
    let key = |tenant: TenantId, prefix: &str, scopes: Vec<Scope>| NewApiKey {
        tenant_id: tenant,
        prefix: prefix.into(),
        key_hash: format!("hash-{prefix}"),
        scopes,
        label: prefix.into(),
        created_ms: T0,
    };
    store.insert_api_key(key(other, "otheradm", vec![Scope::Admin]), Records::default()).await.unwrap();
    store.insert_api_key(key(tenant, "adminone", vec![Scope::Admin, Scope::StaffReview]), Records::default()).await.unwrap();
    store.insert_api_key(key(tenant, "reviewer", vec![Scope::StaffReview]), Records::default()).await.unwrap();
    let audited = || Records { audit: vec![audit(None, "key.revoked", None)], events: vec![] };

    // Another tenant's admin key does not count; a refused revocation writes nothing.
    let refused = store.revoke_api_key(tenant, "adminone", T0 + 1, true, audited()).await;
    assert!(matches!(refused, Err(StoreError::Conflict(_))), "{refused:?}");
    assert!(store.find_api_key("hash-adminone").await.unwrap().is_some());
    assert!(store.list_tenant_audit(tenant, None, 100).await.unwrap().is_empty());
    // Keys without ADMIN go as usual.
    store.revoke_api_key(tenant, "reviewer", T0 + 1, true, audited()).await.unwrap();

    // Two admin keys revoked at the same time: exactly one goes (a few rounds, to give a race room).
    let mut survivor = "adminone".to_owned();
    for round in 0..10 {
        let new = format!("admin{round:03}");
        store.insert_api_key(key(tenant, &new, vec![Scope::Admin]), Records::default()).await.unwrap();
        let (a, b) = tokio::join!(
            store.revoke_api_key(tenant, &survivor, T0 + 2, true, audited()),
            store.revoke_api_key(tenant, &new, T0 + 2, true, audited()),
        );
        assert!(a.is_ok() != b.is_ok(), "round {round}: exactly one of {a:?} and {b:?}");
        if a.is_ok() {
            survivor = new;
        }
    }
    let admins: Vec<ApiKeyRecord> =
        store.list_api_keys(tenant).await.unwrap().into_iter().filter(|k| k.scopes.contains(&Scope::Admin)).collect();
    assert_eq!(admins.len(), 1, "{admins:?}");
    assert_eq!(admins[0].prefix, survivor);
    assert_eq!(store.list_tenant_audit(tenant, None, 100).await.unwrap().len(), 11, "one entry per revocation that happened");

    // Unguarded (the operator), the last one can go too.
    store.revoke_api_key(tenant, &admins[0].prefix, T0 + 3, false, Records::default()).await.unwrap();
    assert!(store.list_api_keys(tenant).await.unwrap().is_empty());
}

async fn key_changes_are_audited(store: Arc<dyn Store>) {
    let tenant = store.create_tenant("Studio Keys", T0).await.unwrap().id;
    let other = store.create_tenant("Other", T0).await.unwrap().id;
    let key = NewApiKey {
        tenant_id: tenant,
        prefix: "keyccccc".into(),
        key_hash: "hash-c".into(),
        scopes: vec![Scope::Admin],
        label: "ops".into(),
        created_ms: T0 + 7,
    };
    let created = Records { audit: vec![audit(None, "key.created", None)], events: vec![] };
    let stored = store.insert_api_key(key, created).await.unwrap();
    assert_eq!(stored.created_ms, T0 + 7);
    assert_eq!(store.list_api_keys(tenant).await.unwrap()[0].created_ms, T0 + 7, "listed with its creation time");
    let revoked = || Records { audit: vec![audit(None, "key.revoked", None)], events: vec![] };
    assert!(matches!(store.revoke_api_key(other, "keyccccc", T0 + 8, false, revoked()).await, Err(StoreError::NotFound)));
    assert!(store.list_tenant_audit(other, None, 100).await.unwrap().is_empty(), "a refused revocation writes nothing");
    store.revoke_api_key(tenant, "keyccccc", T0 + 9, false, revoked()).await.unwrap();
    assert!(matches!(store.revoke_api_key(tenant, "keyccccc", T0 + 9, false, revoked()).await, Err(StoreError::NotFound)));
    let actions: Vec<String> = store.list_tenant_audit(tenant, None, 100).await.unwrap().into_iter().map(|a| a.action).collect();
    assert_eq!(actions, ["key.created", "key.revoked"]);
}

async fn revoked_keys_stop_working(store: Arc<dyn Store>) {
    let tenant = store.create_tenant("Studio Keys", T0).await.unwrap().id;
    let other = store.create_tenant("Other", T0).await.unwrap().id;
    for (prefix, hash) in [("keyaaaaa", "hash-a"), ("keybbbbb", "hash-b")] {
        let key = NewApiKey {
            tenant_id: tenant,
            prefix: prefix.into(),
            key_hash: hash.into(),
            scopes: vec![Scope::SelfServiceRead],
            label: "app".into(),
            created_ms: T0,
        };
        store.insert_api_key(key, Records::default()).await.unwrap();
    }
    assert!(matches!(
        store.revoke_api_key(other, "keyaaaaa", T0 + 1, false, Records::default()).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.find_api_key("hash-a").await.unwrap().is_some(), "another tenant cannot revoke it");
    store.revoke_api_key(tenant, "keyaaaaa", T0 + 1, false, Records::default()).await.unwrap();
    assert!(store.find_api_key("hash-a").await.unwrap().is_none());
    assert!(store.find_api_key("hash-b").await.unwrap().is_some());
    let listed: Vec<String> = store.list_api_keys(tenant).await.unwrap().into_iter().map(|k| k.prefix).collect();
    assert_eq!(listed, ["keybbbbb"]);
    assert!(store.list_api_keys(other).await.unwrap().is_empty());
    assert!(
        matches!(store.revoke_api_key(tenant, "keyaaaaa", T0 + 2, false, Records::default()).await, Err(StoreError::NotFound)),
        "twice"
    );
}

// ---------------------------------------------------------------------------------------------
// Bulk import

fn to_import(external_id: &str, email: &str) -> custodian_store::transfer::ImportCustomer {
    let data = vec![contact(email)];
    let changes = custodian_domain::diff(None, &data[0]);
    let external = custodian_domain::values::ExternalId::parse(external_id).expect("external id");
    custodian_store::transfer::ImportCustomer::new(Some(external), data, &changes)
}

/// The audit of an import of `customers.jsonl`, without events.
fn import_audit() -> custodian_store::transfer::ImportAudit<'static> {
    custodian_store::transfer::ImportAudit {
        actor: Actor::new(ActorKind::Import, "customers.jsonl"),
        action: "customer.imported",
        events: None,
    }
}

async fn import_batches_are_whole_and_skip_known_external_ids(store: Arc<dyn Store>) {
    let store = &*store;
    let (tenant, existing) = tenant_with_customer(store, "Studio A").await;
    let audit = import_audit();
    let r = store.import_customers(TenantId(tenant.0 + 1000), vec![to_import("X-1", "x@example.com")], T0, &audit).await;
    assert!(matches!(r, Err(StoreError::NotFound)), "an unknown tenant: {r:?}");

    let first = store
        .import_customers(tenant, vec![to_import("A-1", "a1@example.com"), to_import("A-2", "a2@example.com")], T0, &audit)
        .await
        .expect("first batch");
    let (a1, a2) = (first[0].expect("A-1 imported"), first[1].expect("A-2 imported"));
    assert!(existing.0 < a1.0 && a1.0 < a2.0, "ids follow the batch order: {existing:?} {a1:?} {a2:?}");

    // Run again with a known and a new external id: the known one is skipped, nothing changes it.
    let second = store
        .import_customers(tenant, vec![to_import("A-2", "other@example.com"), to_import("A-3", "a3@example.com")], T0, &audit)
        .await
        .expect("second batch");
    assert_eq!(second[0], None, "A-2 is known already");
    let a3 = second[1].expect("A-3 imported");
    assert!(a3.0 > a2.0);
    let got = store.get_customer(tenant, a2).await.unwrap();
    assert_eq!(got.data(DataDomain::Contact), Some(&contact("a2@example.com")));
    assert_eq!(got.version(DataDomain::Contact), 1);

    // Each imported customer: one audit entry by the import, findable by e-mail and external id,
    // exported with its external id; the tenant's audit trail verifies.
    for id in [a1, a2, a3] {
        let entries = store.list_audit(tenant, id, None, 10).await.unwrap();
        assert_eq!(entries.len(), 1, "{id:?}");
        assert_eq!(entries[0].action, "customer.imported");
    }
    let found = store.search_customers(tenant, &["a3@example.com".to_owned()], None, 10).await.unwrap();
    assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), vec![a3]);
    let exported = store.export_customers(tenant, Some(existing), 10).await.unwrap();
    let externals: Vec<_> = exported.iter().map(|c| c.external_id.as_ref().map(|e| e.as_str().to_owned())).collect();
    assert_eq!(externals, vec![Some("A-1".to_owned()), Some("A-2".to_owned()), Some("A-3".to_owned())]);
    let verified = store.verify_audit(tenant, None).await.unwrap();
    assert!(verified.mismatch.is_none(), "{:?}", verified.mismatch);
    assert_eq!(verified.entries, 3);
}

/// 1,500 customers: more rows than one statement of PostgreSQL's import takes for the search
/// terms and the audit entries (`import_sql::POSTGRES_MAX_PARAMS`), so the batch is written in
/// several statements per table, the last one shorter.
async fn a_large_import_batch_keeps_every_row(store: Arc<dyn Store>) {
    const COUNT: usize = 1500;
    let store = &*store;
    let (tenant, existing) = tenant_with_customer(store, "Studio A").await;
    let audit = import_audit();
    let batch = (0..COUNT).map(|i| to_import(&format!("L-{i}"), &format!("large-{i}@example.com"))).collect();
    let ids: Vec<CustomerId> = store
        .import_customers(tenant, batch, T0, &audit)
        .await
        .expect("the batch")
        .into_iter()
        .map(|id| id.expect("every customer is new"))
        .collect();
    assert_eq!(ids.len(), COUNT);
    assert!(ids.windows(2).all(|w| w[0].0 < w[1].0), "ids follow the batch order");
    for i in [0, 681, 682, 683, 1364, 1365, COUNT - 1] {
        let found = store.search_customers(tenant, &[format!("large-{i}@example.com")], None, 10).await.unwrap();
        assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ids[i]], "customer {i} by e-mail");
        let entries = store.list_audit(tenant, ids[i], None, 10).await.unwrap();
        assert_eq!(entries.len(), 1, "customer {i}'s audit entry");
    }
    let exported = store.export_customers(tenant, Some(existing), COUNT as i64 + 10).await.unwrap();
    assert_eq!(exported.len(), COUNT);
    assert!(exported.iter().enumerate().all(|(i, c)| c.external_id.as_ref().map(|e| e.as_str()) == Some(&*format!("L-{i}"))));
    let verified = store.verify_audit(tenant, None).await.unwrap();
    assert!(verified.mismatch.is_none(), "{:?}", verified.mismatch);
    assert_eq!(verified.entries, COUNT as i64);
}
