//! Conformance suite of the idempotency receipts and the event-relay progress, on SQLite and
//! PostgreSQL: of concurrent reservations of one key exactly one wins; a relay's lease admits one
//! owner at a time; acknowledged positions never move back and a restart resumes after them.

use custodian_domain::{CustomerId, TenantId};
use custodian_store::idempotency::{NewReservation, Reserved};
use custodian_store::relay::RelayPosition;
use custodian_store::{NewEvent, Records, Store};
use serde_json::json;
use std::sync::Arc;

#[macro_use]
mod common;

conformance! {
    concurrent_reservations_admit_one =>
        fifty_concurrent_reservations_of_one_key_admit_exactly_one_on_sqlite,
        fifty_concurrent_reservations_of_one_key_admit_exactly_one_on_postgres;
    reservations_are_per_tenant_and_principal =>
        one_key_of_two_principals_or_two_tenants_is_two_reservations_on_sqlite,
        one_key_of_two_principals_or_two_tenants_is_two_reservations_on_postgres;
    the_lease_admits_one_owner =>
        a_relay_lease_admits_one_owner_until_it_ends_or_is_released_on_sqlite,
        a_relay_lease_admits_one_owner_until_it_ends_or_is_released_on_postgres;
    positions_resume_and_never_move_back =>
        relayed_positions_resume_after_the_last_acknowledged_event_and_never_move_back_on_sqlite,
        relayed_positions_resume_after_the_last_acknowledged_event_and_never_move_back_on_postgres;
}

const T0: i64 = 1_700_000_000_000;

fn reservation(tenant: TenantId, principal: &str, key: &str, token: &str) -> NewReservation {
    NewReservation {
        tenant,
        principal: principal.into(),
        key: key.into(),
        fingerprint: "f".into(),
        customer_id: None,
        token: token.into(),
        now_ms: T0,
        lease_until_ms: T0 + 60_000,
    }
}

async fn concurrent_reservations_admit_one(store: Arc<dyn Store>) {
    let tenant = store.create_tenant("Retries", T0).await.unwrap().id;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..50 {
        let store = store.clone();
        set.spawn(
            async move { store.reserve_idempotency_key(reservation(tenant, "key:a", "k", &format!("t{i}"))).await.unwrap() },
        );
    }
    let (mut mine, mut taken) = (0, 0);
    while let Some(r) = set.join_next().await {
        match r.unwrap() {
            Reserved::Mine(_) => mine += 1,
            Reserved::Taken(r) => {
                assert_eq!(r.key, "k");
                taken += 1;
            }
        }
    }
    assert_eq!((mine, taken), (1, 49));
}

async fn reservations_are_per_tenant_and_principal(store: Arc<dyn Store>) {
    let a = store.create_tenant("A", T0).await.unwrap().id;
    let b = store.create_tenant("B", T0).await.unwrap().id;
    for (tenant, principal) in [(a, "key:one"), (a, "key:two"), (b, "key:one")] {
        let r = store.reserve_idempotency_key(reservation(tenant, principal, "same", "t")).await.unwrap();
        assert!(matches!(r, Reserved::Mine(_)), "{tenant:?} {principal}: {r:?}");
    }
}

async fn the_lease_admits_one_owner(store: Arc<dyn Store>) {
    assert!(store.acquire_relay_lease("nats", "p1", T0, 1_000).await.unwrap());
    assert!(!store.acquire_relay_lease("nats", "p2", T0 + 500, 1_000).await.unwrap(), "p1's turn");
    assert!(store.acquire_relay_lease("nats", "p1", T0 + 900, 1_000).await.unwrap(), "renewed");
    assert!(!store.acquire_relay_lease("nats", "p2", T0 + 1_800, 1_000).await.unwrap(), "still p1's after renewal");
    assert!(store.acquire_relay_lease("nats", "p2", T0 + 2_000, 1_000).await.unwrap(), "p1's lease ended");
    assert!(!store.record_relayed("nats", "p1", &[], T0 + 2_100, 1_000).await.unwrap(), "p1 lost its turn");
    store.release_relay_lease("nats", "p2").await.unwrap();
    assert!(store.acquire_relay_lease("nats", "p1", T0 + 2_200, 1_000).await.unwrap(), "released: p1 at once");
}

async fn positions_resume_and_never_move_back(store: Arc<dyn Store>) {
    let tenant = store.create_tenant("Relay", T0).await.unwrap().id;
    let event = |n: i64| NewEvent {
        event_type: "customer.updated".into(),
        payload: json!({ "id": format!("e{n}") }),
        at_ms: T0 + n,
        request_id: None,
    };
    let mut customers = Vec::new();
    for _ in 0..2 {
        let c = store
            .create_customer(
                tenant,
                Vec::new(),
                T0,
                Box::new(move |_| Records { audit: vec![], events: vec![event(1), event(2)] }),
            )
            .await
            .unwrap();
        customers.push(c);
    }
    let waiting = store.unrelayed_events("nats", 100).await.unwrap();
    assert_eq!(waiting.len(), 4);
    assert!(waiting.windows(2).all(|w| w[0].event.id < w[1].event.id), "outbox order");
    assert!(store.acquire_relay_lease("nats", "p1", T0, 60_000).await.unwrap());
    let first = RelayPosition { tenant, customer: customers[0], seq: 2 };
    assert!(store.record_relayed("nats", "p1", &[first], T0, 60_000).await.unwrap());
    let waiting = store.unrelayed_events("nats", 100).await.unwrap();
    assert_eq!(waiting.iter().map(|e| e.event.customer_id).collect::<Vec<CustomerId>>(), [customers[1], customers[1]]);
    // A late record of an older position does not move it back.
    let older = RelayPosition { tenant, customer: customers[0], seq: 1 };
    assert!(store.record_relayed("nats", "p1", &[older], T0, 60_000).await.unwrap());
    assert_eq!(store.relay_positions("nats").await.unwrap(), [first]);
    // The horizon passes only events old enough and older than the first waiting one.
    store.advance_relay_horizon("nats", "p1", Some(waiting[0].event.id), T0 + 1_000_000).await.unwrap();
    assert_eq!(store.unrelayed_events("nats", 100).await.unwrap().len(), 2, "the waiting events are still found");
}
