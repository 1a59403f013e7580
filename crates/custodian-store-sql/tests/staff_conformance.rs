//! Conformance suite of the `StaffStore` part of the store (staff accounts, console sessions, the
//! queue count): every story runs against both SQLite and PostgreSQL.

use custodian_domain::data::{AddressInput, ContactInput};
use custodian_domain::{
    Actor, ActorKind, AddressData, AmendmentState, ContactData, CustomerId, DataDomain, DomainData, TenantId,
};
use custodian_store::staff::{LoginReservation, NewStaffSession, NewStaffUser, StaffRole};
use custodian_store::{Apply, NewAmendment, NewAudit, Records, Store, StoreError};
use std::sync::Arc;

#[macro_use]
mod common;

conformance! {
    staff_accounts_are_unique_per_tenant =>
        a_staff_username_is_unique_within_a_tenant_but_free_in_another_on_sqlite,
        a_staff_username_is_unique_within_a_tenant_but_free_in_another_on_postgres;
    sessions_live_until_they_expire =>
        a_session_is_found_by_its_token_hash_until_it_expires_or_is_deleted_on_sqlite,
        a_session_is_found_by_its_token_hash_until_it_expires_or_is_deleted_on_postgres;
    deleting_an_account_ends_it =>
        deleting_an_account_ends_its_sessions_frees_its_name_and_writes_its_audit_entry_on_sqlite,
        deleting_an_account_ends_its_sessions_frees_its_name_and_writes_its_audit_entry_on_postgres;
    a_new_password_ends_every_session =>
        a_new_password_ends_every_session_of_the_account_and_lifts_its_lock_on_sqlite,
        a_new_password_ends_every_session_of_the_account_and_lifts_its_lock_on_postgres;
    failed_sign_ins_lock_the_account =>
        the_third_failed_sign_in_in_a_row_locks_the_account_and_a_success_clears_the_count_on_sqlite,
        the_third_failed_sign_in_in_a_row_locks_the_account_and_a_success_clears_the_count_on_postgres;
    amendments_are_counted_per_tenant =>
        amendments_are_counted_by_state_and_domain_within_one_tenant_on_sqlite,
        amendments_are_counted_by_state_and_domain_within_one_tenant_on_postgres;
}

const T0: i64 = 1_700_000_000_000;

fn user(tenant: TenantId, username: &str, role: StaffRole) -> NewStaffUser {
    NewStaffUser {
        tenant_id: tenant,
        username: username.into(),
        role,
        password_hash: format!("$argon2id$v=19$hash-of-{username}"),
        now_ms: T0,
    }
}

fn session(tenant: TenantId, user_id: i64, token_hash: &str, expires_ms: i64) -> NewStaffSession {
    NewStaffSession {
        token_hash: token_hash.into(),
        tenant_id: tenant,
        staff_user_id: user_id,
        csrf_token: format!("csrf-{token_hash}"),
        created_ms: T0,
        expires_ms,
    }
}

async fn staff_accounts_are_unique_per_tenant(store: Arc<dyn Store>) {
    let a = store.create_tenant("Studio A", T0).await.unwrap().id;
    let b = store.create_tenant("Studio B", T0).await.unwrap().id;

    let alice = store.create_staff_user(user(a, "alice", StaffRole::Reviewer), Records::default()).await.unwrap();
    assert_eq!(alice.username, "alice");
    assert_eq!(alice.role, StaffRole::Reviewer);
    assert_eq!(alice.tenant_id, a);
    assert_eq!(alice.failed_logins, 0);
    assert_eq!(alice.locked_until_ms, None);

    let again = store.create_staff_user(user(a, "alice", StaffRole::Admin), Records::default()).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let in_b = store.create_staff_user(user(b, "alice", StaffRole::Admin), Records::default()).await.unwrap();
    assert_ne!(in_b.id, alice.id);
    let nowhere = store.create_staff_user(user(TenantId(999_999), "zoe", StaffRole::Admin), Records::default()).await;
    assert!(matches!(nowhere, Err(StoreError::NotFound)), "{nowhere:?}");
    store.create_staff_user(user(a, "aaron", StaffRole::Admin), Records::default()).await.unwrap();

    assert_eq!(store.find_staff_user(a, "alice").await.unwrap(), Some(alice.clone()));
    assert_eq!(store.find_staff_user(b, "alice").await.unwrap().map(|u| u.role), Some(StaffRole::Admin));
    assert_eq!(store.find_staff_user(a, "Alice").await.unwrap(), None);
    assert_eq!(store.find_staff_user(b, "aaron").await.unwrap(), None);
    let names: Vec<String> = store.list_staff_users(a).await.unwrap().into_iter().map(|u| u.username).collect();
    assert_eq!(names, ["aaron", "alice"]);
}

async fn sessions_live_until_they_expire(store: Arc<dyn Store>) {
    let a = store.create_tenant("Studio A", T0).await.unwrap().id;
    let b = store.create_tenant("Studio B", T0).await.unwrap().id;
    let alice = store.create_staff_user(user(a, "alice", StaffRole::Admin), Records::default()).await.unwrap();
    let bob = store.create_staff_user(user(b, "bob", StaffRole::Reviewer), Records::default()).await.unwrap();

    store.create_staff_session(session(a, alice.id, "hash-1", T0 + 1000)).await.unwrap();
    store.create_staff_session(session(a, alice.id, "hash-2", T0 + 10)).await.unwrap();
    let duplicate = store.create_staff_session(session(a, alice.id, "hash-1", T0 + 1000)).await;
    assert!(matches!(duplicate, Err(StoreError::Conflict(_))), "{duplicate:?}");
    // A session can only be opened for an account of the same tenant.
    let foreign = store.create_staff_session(session(a, bob.id, "hash-3", T0 + 1000)).await;
    assert!(matches!(foreign, Err(StoreError::NotFound)), "{foreign:?}");

    let found = store.find_staff_session("hash-1", T0 + 999).await.unwrap().expect("live session");
    assert_eq!(found.user, alice);
    assert_eq!(found.csrf_token, "csrf-hash-1");
    assert_eq!(found.created_ms, T0);
    assert_eq!(found.expires_ms, T0 + 1000);
    assert_eq!(store.find_staff_session("hash-1", T0 + 1000).await.unwrap(), None, "expired at its expiry time");
    assert_eq!(store.find_staff_session("unknown", T0).await.unwrap(), None);

    assert_eq!(store.delete_expired_staff_sessions(T0 + 10).await.unwrap(), 1);
    assert_eq!(store.find_staff_session("hash-2", T0).await.unwrap(), None, "swept");
    assert!(store.find_staff_session("hash-1", T0).await.unwrap().is_some());

    store.delete_staff_session("hash-1").await.unwrap();
    assert_eq!(store.find_staff_session("hash-1", T0).await.unwrap(), None);
    store.delete_staff_session("hash-1").await.expect("deleting twice is fine");
}

fn tenant_audit(action: &str) -> Records {
    Records {
        audit: vec![NewAudit {
            customer_id: None,
            actor: Actor::new(ActorKind::Admin, "ops"),
            action: action.into(),
            domain: None,
            amendment_id: None,
            changes: Vec::new(),
            at_ms: T0,
            request_id: None,
        }],
        events: vec![],
    }
}

async fn deleting_an_account_ends_it(store: Arc<dyn Store>) {
    let a = store.create_tenant("Studio A", T0).await.unwrap().id;
    let b = store.create_tenant("Studio B", T0).await.unwrap().id;
    let alice = store.create_staff_user(user(a, "alice", StaffRole::Reviewer), tenant_audit("staff.created")).await.unwrap();
    let carol = store.create_staff_user(user(a, "carol", StaffRole::Admin), Records::default()).await.unwrap();
    store.create_staff_session(session(a, alice.id, "alice-1", T0 + 1000)).await.unwrap();
    store.create_staff_session(session(a, alice.id, "alice-2", T0 + 1000)).await.unwrap();
    store.create_staff_session(session(a, carol.id, "carol-1", T0 + 1000)).await.unwrap();

    let refused = store.delete_staff_user(b, "alice", tenant_audit("staff.deleted")).await;
    assert!(matches!(refused, Err(StoreError::NotFound)), "another tenant's account: {refused:?}");
    assert!(store.find_staff_session("alice-1", T0).await.unwrap().is_some());
    assert!(store.list_tenant_audit(b, None, 100).await.unwrap().is_empty(), "a refused deletion writes nothing");

    let deleted = store.delete_staff_user(a, "alice", tenant_audit("staff.deleted")).await.unwrap();
    assert_eq!(deleted, alice);
    assert_eq!(store.find_staff_session("alice-1", T0).await.unwrap(), None);
    assert_eq!(store.find_staff_session("alice-2", T0).await.unwrap(), None);
    assert!(store.find_staff_session("carol-1", T0).await.unwrap().is_some(), "other accounts stay signed in");
    assert_eq!(store.find_staff_user(a, "alice").await.unwrap(), None);
    let names: Vec<String> = store.list_staff_users(a).await.unwrap().into_iter().map(|u| u.username).collect();
    assert_eq!(names, ["carol"]);
    let actions: Vec<String> = store.list_tenant_audit(a, None, 100).await.unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["staff.created", "staff.deleted"]);
    let twice = store.delete_staff_user(a, "alice", tenant_audit("staff.deleted")).await;
    assert!(matches!(twice, Err(StoreError::NotFound)), "{twice:?}");
    // The name is free again, for a new account that has none of the old one's sessions.
    let again = store.create_staff_user(user(a, "alice", StaffRole::Admin), Records::default()).await.unwrap();
    assert_ne!(again.id, alice.id);
}

async fn a_new_password_ends_every_session(store: Arc<dyn Store>) {
    let a = store.create_tenant("Studio A", T0).await.unwrap().id;
    let alice = store.create_staff_user(user(a, "alice", StaffRole::Reviewer), Records::default()).await.unwrap();
    let carol = store.create_staff_user(user(a, "carol", StaffRole::Reviewer), Records::default()).await.unwrap();
    store.create_staff_session(session(a, alice.id, "alice-1", T0 + 1000)).await.unwrap();
    store.create_staff_session(session(a, alice.id, "alice-2", T0 + 1000)).await.unwrap();
    store.create_staff_session(session(a, carol.id, "carol-1", T0 + 1000)).await.unwrap();
    store.reserve_staff_login_attempt(a, alice.id, T0, 1, 60_000).await.unwrap();

    store.set_staff_password(a, "alice", "$argon2id$new", T0 + 5).await.unwrap();

    assert_eq!(store.find_staff_session("alice-1", T0).await.unwrap(), None);
    assert_eq!(store.find_staff_session("alice-2", T0).await.unwrap(), None);
    assert!(store.find_staff_session("carol-1", T0).await.unwrap().is_some(), "other accounts stay signed in");
    let alice = store.find_staff_user(a, "alice").await.unwrap().unwrap();
    assert_eq!(alice.password_hash, "$argon2id$new");
    assert_eq!(alice.locked_until_ms, None);
    let missing = store.set_staff_password(a, "nobody", "x", T0).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

async fn failed_sign_ins_lock_the_account(store: Arc<dyn Store>) {
    let a = store.create_tenant("Studio A", T0).await.unwrap().id;
    let alice = store.create_staff_user(user(a, "alice", StaffRole::Reviewer), Records::default()).await.unwrap();
    let fail = |at| {
        let store = store.clone();
        async move {
            match store.reserve_staff_login_attempt(a, alice.id, at, 3, 60_000).await.unwrap() {
                LoginReservation::Granted { locks_until } => locks_until,
                locked => panic!("attempt at {at} refused: {locked:?}"),
            }
        }
    };

    assert_eq!(fail(T0).await, None);
    assert_eq!(fail(T0 + 1).await, None);
    assert_eq!(store.find_staff_user(a, "alice").await.unwrap().unwrap().failed_logins, 2);
    assert_eq!(fail(T0 + 2).await, Some(T0 + 2 + 60_000), "the third failure locks");
    let locked = store.find_staff_user(a, "alice").await.unwrap().unwrap();
    assert_eq!((locked.failed_logins, locked.locked_until_ms), (0, Some(T0 + 60_002)));

    store.record_staff_login_success(a, alice.id).await.unwrap();
    let cleared = store.find_staff_user(a, "alice").await.unwrap().unwrap();
    assert_eq!((cleared.failed_logins, cleared.locked_until_ms), (0, None));

    assert_eq!(fail(T0 + 3).await, None);
    store.record_staff_login_success(a, alice.id).await.unwrap();
    assert_eq!(fail(T0 + 4).await, None);
    assert_eq!(fail(T0 + 5).await, None, "a success started the count again");
}

fn contact(email: &str) -> DomainData {
    DomainData::Contact(ContactData::parse(ContactInput { email: Some(email), ..Default::default() }).unwrap())
}

fn address(city: &str) -> DomainData {
    let input = AddressInput {
        street: Some("Am Bahnhof"),
        zip_code: Some("12133"),
        city: Some(city),
        country_code: Some("DE"),
        ..Default::default()
    };
    DomainData::Address(Box::new(AddressData::parse(input).unwrap()))
}

async fn submit(store: &dyn Store, tenant: TenantId, customer: CustomerId, state: AmendmentState, data: DomainData) {
    let apply = (state == AmendmentState::Applied).then(|| Apply { data: data.clone(), expected_version: 0, at_ms: T0 });
    let new = NewAmendment {
        tenant_id: tenant,
        customer_id: customer,
        state,
        proposed: data,
        signature: None,
        base_version: 0,
        submitted_by: Actor::new(ActorKind::ApiKey, "ck_test"),
        submitted_at_ms: T0,
    };
    store.submit_amendment(new, apply, Box::new(|_| Records::default())).await.unwrap();
}

async fn amendments_are_counted_per_tenant(store: Arc<dyn Store>) {
    let store = &*store;
    let a = store.create_tenant("Studio A", T0).await.unwrap().id;
    let b = store.create_tenant("Studio B", T0).await.unwrap().id;
    let new_customer = |t| store.create_customer(t, Vec::new(), T0, Box::new(|_| Records::default()));
    let (c1, c2, other) = (new_customer(a).await.unwrap(), new_customer(a).await.unwrap(), new_customer(b).await.unwrap());
    submit(store, a, c1, AmendmentState::Pending, contact("one@example.com")).await;
    submit(store, a, c1, AmendmentState::Pending, address("Berlin")).await;
    submit(store, a, c2, AmendmentState::Pending, contact("two@example.com")).await;
    submit(store, a, c2, AmendmentState::Applied, address("Hamburg")).await;
    submit(store, b, other, AmendmentState::Pending, contact("three@example.com")).await;

    let count = |t, s, d| async move { store.count_amendments(t, s, d).await.unwrap() };
    assert_eq!(count(a, AmendmentState::Pending, None).await, 3);
    assert_eq!(count(a, AmendmentState::Pending, Some(DataDomain::Contact)).await, 2);
    assert_eq!(count(a, AmendmentState::Pending, Some(DataDomain::Address)).await, 1);
    assert_eq!(count(a, AmendmentState::Pending, Some(DataDomain::Payment)).await, 0);
    assert_eq!(count(a, AmendmentState::Applied, None).await, 1);
    assert_eq!(count(b, AmendmentState::Pending, None).await, 1);
    assert_eq!(count(TenantId(999_999), AmendmentState::Pending, None).await, 0);
}
