//! The search index on both backends: terms follow every write, and data written before the index
//! existed is indexed once, at the first start of the new version.

use custodian_domain::data::ContactInput;
use custodian_domain::{ContactData, CustomerId, DomainData, search};
use custodian_store::{Apply, Records, Store};
use custodian_store_sql::{PgSettings, SqliteSettings};
use std::sync::Arc;

mod common;
use common::migrations_before;

const T0: i64 = 1_700_000_000_000;

fn contact(email: &str, phone: &str) -> DomainData {
    let input = ContactInput { email: Some(email), phone_private: Some(phone), ..Default::default() };
    DomainData::Contact(ContactData::parse(input).unwrap())
}

async fn open(url: &str) -> Arc<dyn Store> {
    custodian_store_sql::open(url, SqliteSettings::default(), PgSettings::default()).await.unwrap()
}

async fn find(store: &Arc<dyn Store>, tenant: custodian_domain::TenantId, text: &str) -> Vec<CustomerId> {
    let prefixes = search::needles(text).unwrap();
    store.search_customers(tenant, &prefixes, None, 100).await.unwrap().into_iter().map(|c| c.id).collect()
}

async fn terms_follow_writes_and_old_data_is_indexed_at_start(url: &str) {
    let store = open(url).await;
    let tenant = store.create_tenant("Search Studio", T0).await.unwrap().id;
    let apply = |d: DomainData, v: i64| Apply { data: d, expected_version: v, at_ms: T0 };
    let a = store
        .create_customer(
            tenant,
            vec![apply(contact("ada@example.com", "+49 30 1234567"), 0)],
            T0,
            Box::new(|_| Records::default()),
        )
        .await
        .unwrap();
    let b = store
        .create_customer(tenant, vec![apply(contact("bob@example.com", "040 555"), 0)], T0, Box::new(|_| Records::default()))
        .await
        .unwrap();
    assert_eq!(find(&store, tenant, "ada@").await, [a]);
    assert_eq!(find(&store, tenant, "30 1234").await, [a]);
    assert_eq!(find(&store, tenant, "040555").await, [b]);
    let other = store.create_tenant("Other", T0).await.unwrap().id;
    assert!(find(&store, other, "ada").await.is_empty());

    // A change of one field: the old value is no longer found; the new one and the unchanged ones are.
    store.apply_change(tenant, b, apply(contact("bobby@example.com", "040 555"), 1), Records::default()).await.unwrap();
    assert!(find(&store, tenant, "bob@").await.is_empty());
    assert_eq!(find(&store, tenant, "bobby@").await, [b]);
    assert_eq!(find(&store, tenant, "040555").await, [b]);
    // And back: the e-mail address changes again, the phone goes.
    let no_phone = ContactData::parse(ContactInput { email: Some("bob@example.com"), ..Default::default() }).unwrap();
    store.apply_change(tenant, b, apply(DomainData::Contact(no_phone), 2), Records::default()).await.unwrap();
    assert_eq!(find(&store, tenant, "bob@").await, [b]);
    assert!(find(&store, tenant, "bobby@").await.is_empty());
    assert!(find(&store, tenant, "040555").await.is_empty());

    // Forget the index as if the data had been written by a version without it, then start again.
    let wipe = "DELETE FROM customer_search_terms; DELETE FROM customer_search_backfill;";
    if url.starts_with("sqlite") {
        let path = custodian_store_sql::sqlite_file(url).unwrap();
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!("sqlite://{}", path.display())).await.unwrap();
        sqlx::raw_sql(wipe).execute(&mut c).await.unwrap();
    } else {
        let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(url).await.unwrap();
        sqlx::raw_sql(wipe).execute(&mut c).await.unwrap();
    }
    assert!(find(&store, tenant, "ada@").await.is_empty());
    drop(store);
    let store = open(url).await;
    assert_eq!(find(&store, tenant, "ada@").await, [a]);
    assert_eq!(find(&store, tenant, "bob").await, [b]);
    // A further start (the marker is set) still finds it.
    drop(store);
    let store = open(url).await;
    assert_eq!(find(&store, tenant, "30 1234").await, [a]);
}

#[tokio::test]
async fn terms_follow_writes_and_old_data_is_indexed_once_at_start_on_sqlite() {
    let (_dir, path) = custodian_testkit::fresh_sqlite_path();
    terms_follow_writes_and_old_data_is_indexed_at_start(&format!("sqlite://{}", path.display())).await;
}

#[tokio::test]
async fn terms_follow_writes_and_old_data_is_indexed_once_at_start_on_postgres() {
    if !custodian_testkit::pg_available() {
        return;
    }
    terms_follow_writes_and_old_data_is_indexed_at_start(&custodian_testkit::fresh_pg_database().await).await;
}

/// Rows of a database written before migration 0015 (which rebuilds the terms table on SQLite
/// to drop its foreign keys): a tenant, a customer with an e-mail address, its terms, and the
/// marker that says the terms are complete (so nothing recomputes them at the start).
const BEFORE_0015: &str = "INSERT INTO tenants (id, name, created_ms) VALUES (7, 'Old Studio', 1700000000000); \
     INSERT INTO customers (id, tenant_id, event_seq, created_ms, updated_ms) VALUES (70, 7, 0, 1700000000000, 1700000000000); \
     INSERT INTO customer_search_terms (tenant_id, customer_id, source, term) VALUES (7, 70, 'contact', 'old@example.com'); \
     INSERT INTO customer_search_backfill (id) VALUES (1);";

async fn search_terms_survive_the_migration_without_foreign_keys(url: &str) {
    if url.starts_with("sqlite") {
        let path = custodian_store_sql::sqlite_file(url).unwrap();
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).create_if_missing(true);
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&options).await.unwrap();
        let (_dir, migrator) = migrations_before("sqlite", 15).await;
        migrator.run(&mut c).await.unwrap();
        sqlx::raw_sql(BEFORE_0015).execute(&mut c).await.unwrap();
    } else {
        let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(url).await.unwrap();
        let (_dir, migrator) = migrations_before("postgres", 15).await;
        migrator.run(&mut c).await.unwrap();
        sqlx::raw_sql(BEFORE_0015).execute(&mut c).await.unwrap();
    }
    let store = open(url).await;
    let tenant = custodian_domain::TenantId(7);
    assert_eq!(find(&store, tenant, "old@").await, [CustomerId(70)]);
    // And the rebuilt table takes new terms as before.
    let c = store
        .create_customer(
            tenant,
            vec![Apply { data: contact("new@example.com", "040 555"), expected_version: 0, at_ms: T0 }],
            T0,
            Box::new(|_| Records::default()),
        )
        .await
        .unwrap();
    assert_eq!(find(&store, tenant, "new@").await, [c]);
    assert_eq!(find(&store, tenant, "040555").await, [c]);
}

#[tokio::test]
async fn search_terms_written_before_migration_15_are_still_found_after_it_on_sqlite() {
    let (_dir, path) = custodian_testkit::fresh_sqlite_path();
    search_terms_survive_the_migration_without_foreign_keys(&format!("sqlite://{}", path.display())).await;
}

#[tokio::test]
async fn search_terms_written_before_migration_15_are_still_found_after_it_on_postgres() {
    if !custodian_testkit::pg_available() {
        return;
    }
    search_terms_survive_the_migration_without_foreign_keys(&custodian_testkit::fresh_pg_database().await).await;
}

/// Rows of a SQLite database written before migration 0017 (which keys the terms by customer,
/// source and term): customer 70's terms, one of them twice (older versions did not refuse a
/// repeat), and customer 71's.
const BEFORE_0017: &str = "INSERT INTO tenants (id, name, created_ms) VALUES (7, 'Old Studio', 1700000000000); \
     INSERT INTO customers (id, tenant_id, event_seq, created_ms, updated_ms) VALUES (70, 7, 0, 1700000000000, 1700000000000), \
     (71, 7, 0, 1700000000000, 1700000000000); \
     INSERT INTO customer_search_terms (tenant_id, customer_id, source, term) VALUES (7, 70, 'contact', 'old@example.com'), \
     (7, 70, 'contact', '301234567'), (7, 71, 'contact', 'other@example.com'), (7, 70, 'contact', 'old@example.com'), \
     (7, 70, 'master', 'ada lovelace'); \
     INSERT INTO customer_search_backfill (id) VALUES (1);";

#[tokio::test]
async fn search_terms_are_keyed_by_customer_source_and_term_after_migration_17_and_keep_what_was_found_on_sqlite() {
    let (_dir, path) = custodian_testkit::fresh_sqlite_path();
    let url = format!("sqlite://{}", path.display());
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).create_if_missing(true);
    let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&options).await.unwrap();
    let (_migrations, migrator) = migrations_before("sqlite", 17).await;
    migrator.run(&mut c).await.unwrap();
    sqlx::raw_sql(BEFORE_0017).execute(&mut c).await.unwrap();

    let store = open(&url).await;
    let tenant = custodian_domain::TenantId(7);
    assert_eq!(find(&store, tenant, "old@").await, [CustomerId(70)]);
    assert_eq!(find(&store, tenant, "30 1234").await, [CustomerId(70)]);
    assert_eq!(find(&store, tenant, "ada love").await, [CustomerId(70)]);
    assert_eq!(find(&store, tenant, "other@").await, [CustomerId(71)]);

    // Every term once; the table is its key (no rowid) with one index, by term.
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT customer_id, source, term FROM customer_search_terms ORDER BY customer_id, source, term")
            .fetch_all(&mut c)
            .await
            .unwrap();
    let expected = [
        (70, "contact", "301234567"),
        (70, "contact", "old@example.com"),
        (70, "master", "ada lovelace"),
        (71, "contact", "other@example.com"),
    ]
    .map(|(id, s, t)| (id, s.to_owned(), t.to_owned()));
    assert_eq!(rows, expected);
    let has_rowid = sqlx::raw_sql("SELECT rowid FROM customer_search_terms").execute(&mut c).await.is_ok();
    assert!(!has_rowid, "the terms table still has a rowid");
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'customer_search_terms' ORDER BY name",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    assert_eq!(indexes, ["customer_search_terms_by_term"]);
    let repeat =
        "INSERT INTO customer_search_terms (tenant_id, customer_id, source, term) VALUES (7, 70, 'contact', '301234567')";
    assert!(sqlx::raw_sql(repeat).execute(&mut c).await.is_err(), "a term was taken twice");

    // A change of customer 70's e-mail address replaces that term alone.
    let apply = Apply { data: contact("new@example.com", "+49 30 1234567"), expected_version: 0, at_ms: T0 };
    store.apply_change(tenant, CustomerId(70), apply, Records::default()).await.unwrap();
    assert!(find(&store, tenant, "old@").await.is_empty());
    assert_eq!(find(&store, tenant, "new@").await, [CustomerId(70)]);
    assert_eq!(find(&store, tenant, "30 1234").await, [CustomerId(70)]);
    assert_eq!(find(&store, tenant, "other@").await, [CustomerId(71)]);
}
