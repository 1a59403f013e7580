//! The tamper-evident audit trail on both backends: the chains verify after every kind of write,
//! also under concurrency; editing, deleting, inserting and reordering entries and deleting a
//! chain's tail are each named; an erasure keeps the trail verifiable; entries written before the
//! chain existed are chained once at start; a checkpoint survives appends.

use custodian_domain::data::ContactInput;
use custodian_domain::{
    Actor, ActorKind, AmendmentState, ContactData, CustomerId, DataDomain, DomainData, FieldChange, Scope, TenantId,
};
use custodian_store::audit::{ERASED_ACTION, TenantVerification};
use custodian_store::{Apply, NewAmendment, NewApiKey, NewAudit, Records, Store};
use custodian_store_sql::{PgSettings, SqliteSettings};
use serde_json::json;
use std::sync::Arc;

const T0: i64 = 1_700_000_000_000;

macro_rules! both_backends {
    ($($story:ident => $on_sqlite:ident, $on_postgres:ident;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $on_sqlite() {
            let (_dir, path) = custodian_testkit::fresh_sqlite_path();
            $story(&format!("sqlite://{}", path.display())).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $on_postgres() {
            if !custodian_testkit::pg_available() {
                eprintln!("skipping: PostgreSQL server binaries not found");
                return;
            }
            $story(&custodian_testkit::fresh_pg_database().await).await;
        }
    )*};
}

both_backends! {
    every_kind_of_tampering_is_named =>
        an_edited_deleted_inserted_or_swapped_entry_and_a_deleted_tail_are_each_named_on_sqlite,
        an_edited_deleted_inserted_or_swapped_entry_and_a_deleted_tail_are_each_named_on_postgres;
    erasure_keeps_the_trail_verifiable =>
        after_an_erasure_the_trail_verifies_without_the_values_and_an_edited_row_still_fails_on_sqlite,
        after_an_erasure_the_trail_verifies_without_the_values_and_an_edited_row_still_fails_on_postgres;
    concurrent_writers_do_not_fork_a_chain =>
        twenty_concurrent_changes_of_one_customer_and_twenty_concurrent_key_creations_keep_one_chain_each_on_sqlite,
        twenty_concurrent_changes_of_one_customer_and_twenty_concurrent_key_creations_keep_one_chain_each_on_postgres;
    legacy_entries_are_chained_at_start =>
        entries_written_before_the_chain_existed_are_chained_once_at_the_next_start_on_sqlite,
        entries_written_before_the_chain_existed_are_chained_once_at_the_next_start_on_postgres;
    long_chains_span_read_batches =>
        chains_longer_than_one_read_batch_verify_across_its_boundaries_and_an_edit_past_it_is_named_on_sqlite,
        chains_longer_than_one_read_batch_verify_across_its_boundaries_and_an_edit_past_it_is_named_on_postgres;
    checkpoints_survive_appends =>
        a_checkpoint_stays_valid_as_entries_are_appended_and_changes_when_a_tail_is_cut_with_its_head_on_sqlite,
        a_checkpoint_stays_valid_as_entries_are_appended_and_changes_when_a_tail_is_cut_with_its_head_on_postgres;
}

// ---------------------------------------------------------------------------------------------
// Fixtures

async fn open(url: &str) -> Arc<dyn Store> {
    custodian_store_sql::open(url, SqliteSettings::default(), PgSettings::default()).await.unwrap()
}

/// Runs SQL behind the store's back, as someone with access to the database would.
async fn tamper(url: &str, sql: &str) {
    use sqlx::Connection;
    if url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut c).await.unwrap();
    }
}

fn contact(email: &str) -> DomainData {
    DomainData::Contact(ContactData::parse(ContactInput { email: Some(email), ..Default::default() }).unwrap())
}

fn entry(customer: Option<CustomerId>, action: &str, changes: Vec<FieldChange>) -> NewAudit {
    NewAudit {
        customer_id: customer,
        actor: Actor::new(ActorKind::Staff, "alice"),
        action: action.into(),
        domain: customer.map(|_| DataDomain::Contact),
        amendment_id: None,
        changes,
        at_ms: T0,
        request_id: Some("req-1".into()),
    }
}

fn email_change(before: Option<&str>, after: &str) -> Vec<FieldChange> {
    vec![FieldChange { field: "email".into(), before: before.map(|b| json!(b)), after: Some(json!(after)) }]
}

fn key(tenant: TenantId, prefix: &str) -> NewApiKey {
    NewApiKey {
        tenant_id: tenant,
        prefix: prefix.into(),
        key_hash: format!("hash-{prefix}"),
        scopes: vec![Scope::StaffReview],
        label: prefix.into(),
        created_ms: T0,
    }
}

/// A tenant whose customer has four entries (created, three e-mail changes), a second customer
/// with one, and two tenant-level entries (keys). Returns the tenant, the customer and the ids of
/// its four entries, and the ids of the tenant-level entries.
async fn trail(store: &dyn Store, name: &str) -> (TenantId, CustomerId, Vec<i64>, Vec<i64>) {
    let tenant = store.create_tenant(name, T0).await.unwrap().id;
    let first = "ada0@example.com";
    let customer = store
        .create_customer(
            tenant,
            vec![Apply { data: contact(first), expected_version: 0, at_ms: T0 }],
            T0,
            Box::new(move |c| Records {
                audit: vec![entry(Some(c), "customer.created", email_change(None, first))],
                events: vec![],
            }),
        )
        .await
        .unwrap();
    for v in 1..4 {
        let (before, after) = (format!("ada{}@example.com", v - 1), format!("ada{v}@example.com"));
        let records = Records {
            audit: vec![entry(Some(customer), "customer.updated", email_change(Some(&before), &after))],
            events: vec![],
        };
        store
            .apply_change(tenant, customer, Apply { data: contact(&after), expected_version: v, at_ms: T0 }, records)
            .await
            .unwrap();
    }
    store
        .create_customer(
            tenant,
            vec![],
            T0,
            Box::new(|c| Records { audit: vec![entry(Some(c), "customer.created", vec![])], events: vec![] }),
        )
        .await
        .unwrap();
    for prefix in ["keyone", "keytwo"] {
        let created = vec![FieldChange { field: "prefix".into(), before: None, after: Some(json!(prefix)) }];
        let p = format!("{prefix}{}", tenant.0);
        store
            .insert_api_key(key(tenant, &p), Records { audit: vec![entry(None, "key.created", created)], events: vec![] })
            .await
            .unwrap();
    }
    let ids = store.list_audit(tenant, customer, None, 100).await.unwrap().iter().map(|e| e.id).collect();
    let tenant_ids = store
        .list_tenant_audit(tenant, None, 100)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.customer_id.is_none())
        .map(|e| e.id)
        .collect();
    (tenant, customer, ids, tenant_ids)
}

/// A decided (withdrawn) amendment with its audit entry: never pending, so any number go through.
async fn withdrawn(store: &dyn Store, tenant: TenantId, customer: CustomerId, i: usize) {
    let amendment = NewAmendment {
        tenant_id: tenant,
        customer_id: customer,
        state: AmendmentState::Withdrawn,
        proposed: contact(&format!("c{i}@example.com")),
        signature: None,
        base_version: 0,
        submitted_by: Actor::system(),
        submitted_at_ms: T0,
    };
    let change = email_change(None, &format!("c{i}@example.com"));
    store
        .submit_amendment(
            amendment,
            None,
            Box::new(move |_| Records { audit: vec![entry(Some(customer), "amendment.withdrawn", change)], events: vec![] }),
        )
        .await
        .unwrap();
}

fn assert_verified(v: &TenantVerification, entries: i64) {
    assert_eq!(v.mismatch, None, "{v:?}");
    assert_eq!(v.entries, entries, "{v:?}");
    assert_eq!(v.checkpoint.len(), 64);
}

/// Given a customer's entry ids and the tenant-level ones: the SQL that tampers, and the entry
/// `verify` must name (`None`: the chain's head).
type Tampering = dyn Fn(&[i64], &[i64]) -> (String, Option<i64>);

// ---------------------------------------------------------------------------------------------
// Stories

async fn every_kind_of_tampering_is_named(url: &str) {
    let store = open(url).await;
    let store = &*store;

    let (clean, ..) = trail(store, "Untouched").await;
    let v = store.verify_audit(clean, None).await.unwrap();
    assert_verified(&v, 7);
    assert_eq!(v.chains, 3, "two customers and the tenant's own chain");

    // (what is done, the entry named, the customer chain named?)
    let cases: Vec<(&str, Box<Tampering>)> = vec![
        (
            "an edited value",
            Box::new(|e: &[i64], _: &[i64]| {
                (format!("UPDATE audit_entries SET changes = REPLACE(changes, 'ada2@', 'eve2@') WHERE id = {}", e[2]), Some(e[2]))
            }),
        ),
        (
            "an edited actor",
            Box::new(|e: &[i64], _: &[i64]| {
                (format!("UPDATE audit_entries SET actor = 'staff:mallory' WHERE id = {}", e[1]), Some(e[1]))
            }),
        ),
        (
            "an edited field name",
            Box::new(|e: &[i64], _: &[i64]| {
                (
                    format!("UPDATE audit_entries SET changes = REPLACE(changes, '\"email\"', '\"phone\"') WHERE id = {}", e[3]),
                    Some(e[3]),
                )
            }),
        ),
        (
            "a deleted entry",
            Box::new(|e: &[i64], _: &[i64]| (format!("DELETE FROM audit_entries WHERE id = {}", e[1]), Some(e[2]))),
        ),
        (
            "an inserted entry",
            Box::new(|e: &[i64], _: &[i64]| {
                (
                    format!(
                        "INSERT INTO audit_entries (id, tenant_id, customer_id, at_ms, actor, action, domain, amendment_id, changes, \
                         request_id, values_salt, values_digest, prev_hash, entry_hash) \
                         SELECT 1000000 + id, tenant_id, customer_id, at_ms, actor, action, domain, amendment_id, changes, request_id, \
                         values_salt, values_digest, prev_hash, entry_hash FROM audit_entries WHERE id = {}",
                        e[1]
                    ),
                    Some(1_000_000 + e[1]),
                )
            }),
        ),
        (
            "two swapped entries",
            Box::new(|e: &[i64], _: &[i64]| {
                (
                    format!(
                        "UPDATE audit_entries SET id = -1 WHERE id = {a}; UPDATE audit_entries SET id = {a} WHERE id = {b}; \
                         UPDATE audit_entries SET id = {b} WHERE id = -1",
                        a = e[1],
                        b = e[2]
                    ),
                    Some(e[1]),
                )
            }),
        ),
        ("a deleted tail", Box::new(|e: &[i64], _: &[i64]| (format!("DELETE FROM audit_entries WHERE id = {}", e[3]), None))),
        (
            "an edited tenant-level entry",
            Box::new(|_: &[i64], t: &[i64]| {
                (
                    format!("UPDATE audit_entries SET changes = REPLACE(changes, 'keyone', 'keyzzz') WHERE id = {}", t[0]),
                    Some(t[0]),
                )
            }),
        ),
        (
            "a deleted tenant-level entry",
            Box::new(|_: &[i64], t: &[i64]| (format!("DELETE FROM audit_entries WHERE id = {}", t[0]), Some(t[1]))),
        ),
    ];
    for (what, case) in cases {
        let (tenant, customer, ids, tenant_ids) = trail(store, what).await;
        assert_verified(&store.verify_audit(tenant, None).await.unwrap(), 7);
        let (sql, named) = case(&ids, &tenant_ids);
        tamper(url, &sql).await;
        let v = store.verify_audit(tenant, None).await.unwrap();
        let m = v.mismatch.unwrap_or_else(|| panic!("{what} was not noticed"));
        assert_eq!(m.entry_id, named, "{what}: {m}");
        let chain = if what.contains("tenant-level") { 0 } else { customer.0 };
        assert_eq!(m.chain, chain, "{what}: {m}");
        assert!(!m.reason.is_empty());
    }
    // Tampering in other tenants leaves this one's verification alone.
    assert_verified(&store.verify_audit(clean, None).await.unwrap(), 7);
}

async fn erasure_keeps_the_trail_verifiable(url: &str) {
    let store = open(url).await;
    let store = &*store;
    let (tenant, customer, ids, _) = trail(store, "Erasure").await;

    let erased = store
        .erase_audit_values(
            tenant,
            customer,
            Records { audit: vec![entry(Some(customer), ERASED_ACTION, vec![])], events: vec![] },
        )
        .await
        .unwrap();
    assert_eq!(erased, 4);
    let entries = store.list_audit(tenant, customer, None, 100).await.unwrap();
    assert_eq!(entries.len(), 5);
    for e in &entries[..4] {
        assert_eq!(e.changes.len(), 1, "the field names stay");
        assert_eq!(e.changes[0].field, "email");
        assert_eq!((&e.changes[0].before, &e.changes[0].after), (&None, &None), "the values are gone");
    }
    assert_verified(&store.verify_audit(tenant, None).await.unwrap(), 8);
    // Erasing again changes nothing and still verifies.
    let again = store
        .erase_audit_values(
            tenant,
            customer,
            Records { audit: vec![entry(Some(customer), ERASED_ACTION, vec![])], events: vec![] },
        )
        .await
        .unwrap();
    assert_eq!(again, 1, "only the entry written since, the first erasure's own");
    assert_verified(&store.verify_audit(tenant, None).await.unwrap(), 9);

    // A single edited row after the erasure: a field name of an erased entry.
    tamper(url, &format!("UPDATE audit_entries SET changes = REPLACE(changes, 'email', 'emial') WHERE id = {}", ids[1])).await;
    let m = store.verify_audit(tenant, None).await.unwrap().mismatch.expect("the edit is noticed");
    assert_eq!(m.entry_id, Some(ids[1]), "{m}");

    // Removing values without an erasure entry (someone deleting evidence) is named.
    let (tenant, _, ids, _) = trail(store, "Fake erasure").await;
    tamper(
        url,
        &format!("UPDATE audit_entries SET values_salt = NULL, changes = '[{{\"field\":\"email\",\"before\":null,\"after\":null}}]' WHERE id = {}", ids[2]),
    )
    .await;
    let m = store.verify_audit(tenant, None).await.unwrap().mismatch.expect("values removed without erasure");
    assert_eq!(m.entry_id, Some(ids[2]), "{m}");
    // And removing a salt but keeping the values is named too.
    let (tenant, _, ids, _) = trail(store, "Salt removed").await;
    tamper(url, &format!("UPDATE audit_entries SET values_salt = NULL WHERE id = {}", ids[0])).await;
    assert_eq!(store.verify_audit(tenant, None).await.unwrap().mismatch.unwrap().entry_id, Some(ids[0]));
}

async fn concurrent_writers_do_not_fork_a_chain(url: &str) {
    let store = open(url).await;
    let tenant = store.create_tenant("Busy", T0).await.unwrap().id;
    let customer = store
        .create_customer(
            tenant,
            vec![],
            T0,
            Box::new(|c| Records { audit: vec![entry(Some(c), "customer.created", vec![])], events: vec![] }),
        )
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            withdrawn(&*s, tenant, customer, i).await;
        }));
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            let store = s;
            let audit = entry(None, "key.created", vec![]);
            store
                .insert_api_key(key(tenant, &format!("busykey{i:02}")), Records { audit: vec![audit], events: vec![] })
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let v = store.verify_audit(tenant, None).await.unwrap();
    assert_verified(&v, 41);
    assert_eq!(v.chains, 2);
}

async fn legacy_entries_are_chained_at_start(url: &str) {
    let store = open(url).await;
    let (tenant, _, _, _) = trail(&*store, "Legacy").await;
    let (other, _, _, _) = trail(&*store, "Legacy too").await;
    drop(store);
    // Forget the chain as if the entries had been written by a version without it.
    tamper(
        url,
        "UPDATE audit_entries SET values_salt = NULL, values_digest = NULL, prev_hash = NULL, entry_hash = NULL; \
         DELETE FROM audit_chain_heads; DELETE FROM audit_chain_backfill;",
    )
    .await;
    let store = custodian_store_sql::open(url, SqliteSettings::default(), PgSettings::default()).await.unwrap();
    assert_verified(&store.verify_audit(tenant, None).await.unwrap(), 7);
    assert_verified(&store.verify_audit(other, None).await.unwrap(), 7);
    // New entries continue the backfilled chains.
    let (_, customer, _, _) = trail(&*store, "Later").await;
    let _ = customer;
    store
        .insert_api_key(key(tenant, "afterwards"), Records { audit: vec![entry(None, "key.created", vec![])], events: vec![] })
        .await
        .unwrap();
    assert_verified(&store.verify_audit(tenant, None).await.unwrap(), 8);

    // Without the backfill (the marker set), unchained entries are named.
    drop(store);
    tamper(url, "UPDATE audit_entries SET entry_hash = NULL WHERE action = 'key.created'").await;
    let store = open(url).await;
    let m = store.verify_audit(tenant, None).await.unwrap().mismatch.expect("unchained entries");
    assert!(m.reason.contains("not chained"), "{m}");
}

async fn checkpoints_survive_appends(url: &str) {
    let store = open(url).await;
    let store = &*store;
    let (tenant, customer, ids, _) = trail(store, "Checkpoints").await;
    let at = store.verify_audit(tenant, None).await.unwrap();
    assert_verified(&at, 7);

    // Appends do not change the checkpoint as of its entry.
    for i in 0..3 {
        withdrawn(store, tenant, customer, i).await;
    }
    let later = store.verify_audit(tenant, Some(at.up_to_id)).await.unwrap();
    assert_verified(&later, 10);
    assert_eq!(later.checkpoint, at.checkpoint);
    assert_ne!(store.verify_audit(tenant, None).await.unwrap().checkpoint, at.checkpoint);

    // Someone cuts the last entries of a chain and sets its head back to match: the chain alone
    // verifies again, but not the checkpoint recorded before.
    tamper(url, &format!("DELETE FROM audit_entries WHERE customer_id = {} AND id >= {}", customer.0, ids[3])).await;
    let prev: String = {
        use sqlx::Connection;
        let q = format!("SELECT entry_hash FROM audit_entries WHERE id = {}", ids[2]);
        if url.starts_with("sqlite") {
            let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::query_scalar(sqlx::AssertSqlSafe(q)).fetch_one(&mut c).await.unwrap()
        } else {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_scalar(sqlx::AssertSqlSafe(q)).fetch_one(&mut c).await.unwrap()
        }
    };
    tamper(url, &format!("UPDATE audit_chain_heads SET entries = 3, head_hash = '{prev}' WHERE chain = {}", customer.0)).await;
    let cut = store.verify_audit(tenant, Some(at.up_to_id)).await.unwrap();
    assert_eq!(cut.mismatch, None, "the rewritten chain is consistent in itself");
    assert_ne!(cut.checkpoint, at.checkpoint, "but the recorded checkpoint no longer matches");
}

async fn long_chains_span_read_batches(url: &str) {
    let store = open(url).await;
    let tenant = store.create_tenant("Long", T0).await.unwrap().id;
    let mut ids = Vec::new();
    // verify reads 2,000 rows at a time: chains of 2,500 and 1,700 entries, and short ones between.
    for n in [3usize, 2500, 1, 1700, 2] {
        let c = store
            .create_customer(
                tenant,
                vec![],
                T0,
                Box::new(move |c| Records {
                    audit: (0..n)
                        .map(|i| entry(Some(c), "customer.updated", email_change(None, &format!("e{i}@example.com"))))
                        .collect(),
                    events: vec![],
                }),
            )
            .await
            .unwrap();
        ids.push(store.list_audit(tenant, c, None, 10_000).await.unwrap().iter().map(|e| e.id).collect::<Vec<_>>());
    }
    let v = store.verify_audit(tenant, None).await.unwrap();
    assert_verified(&v, 4206);
    assert_eq!(v.chains, 5);
    tamper(url, &format!("UPDATE audit_entries SET changes = REPLACE(changes, 'e2100@', 'x2100@') WHERE id = {}", ids[1][2100]))
        .await;
    assert_eq!(store.verify_audit(tenant, None).await.unwrap().mismatch.unwrap().entry_id, Some(ids[1][2100]));
}
