//! PostgreSQL's keys through the customer (migration 0016): amendments and events name their
//! customer together with its tenant, deliveries their subscription together with its tenant.
//! Rows written before the migration keep working, and a row whose tenant is not its parent's is
//! refused. (SQLite keeps its separate keys: it takes no row locks for them.)

use custodian_domain::data::ContactInput;
use custodian_domain::{ContactData, CustomerId, DomainData, TenantId};
use custodian_store::{Apply, NewEvent, Records, Store};
use custodian_store_sql::PgSettings;

mod common;
use common::migrations_before;

const T0: i64 = 1_700_000_000_000;

/// Two tenants; tenant 7's customer 70 with an amendment, an event and its delivery to a
/// subscription, written by the schema before 0016.
const BEFORE_0016: &str = "INSERT INTO tenants (id, name, created_ms) VALUES (7, 'Old Studio', 1700000000000), \
     (8, 'Other Studio', 1700000000000); \
     INSERT INTO customers (id, tenant_id, event_seq, created_ms, updated_ms) VALUES (70, 7, 1, 1700000000000, 1700000000000); \
     INSERT INTO amendments (id, tenant_id, customer_id, domain, state, proposed, base_version, submitted_by, submitted_ms) \
     VALUES (700, 7, 70, 'contact', 'applied', '{}', 0, 'customer', 1700000000000); \
     INSERT INTO outbox_events (id, tenant_id, customer_id, seq, event_type, payload, created_ms) \
     VALUES (7000, 7, 70, 1, 'customer.updated', '{\"sequence\":1}', 1700000000000); \
     INSERT INTO webhook_subscriptions (id, tenant_id, url, event_types, format, secret, enabled, created_ms, updated_ms) \
     VALUES (77, 7, 'https://hooks.example.com/studio', '', 'custodian', 'secret', TRUE, 1700000000000, 1700000000000); \
     INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_id, customer_id, seq, status, next_attempt_ms, created_ms) \
     VALUES (7, 77, 7000, 70, 1, 'pending', 1700000000000, 1700000000000);";

/// The SQLSTATE of what `sql` fails with.
async fn refusal(c: &mut sqlx::PgConnection, sql: &str) -> String {
    let e = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(c).await.expect_err(sql);
    e.as_database_error().and_then(|d| d.code()).map(|c| c.into_owned()).unwrap_or_default()
}

#[tokio::test]
async fn rows_from_before_migration_16_keep_working_and_a_row_of_another_tenants_customer_is_refused_on_postgres() {
    if !custodian_testkit::pg_available() {
        return;
    }
    let url = custodian_testkit::fresh_pg_database().await;
    let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&url).await.unwrap();
    let (_dir, migrator) = migrations_before("postgres", 16).await;
    migrator.run(&mut c).await.unwrap();
    sqlx::raw_sql(BEFORE_0016).execute(&mut c).await.unwrap();

    let store = custodian_store_sql::PgStore::connect(&url, PgSettings::default()).await.unwrap();
    let (tenant, customer) = (TenantId(7), CustomerId(70));
    assert_eq!(store.list_events(tenant, customer).await.unwrap().len(), 1);

    // A write through the store appends the next event after the old one and fans it out.
    let contact = ContactData::parse(ContactInput { email: Some("ada@example.com"), ..Default::default() }).unwrap();
    let event = NewEvent {
        event_type: "customer.updated".into(),
        payload: serde_json::json!({"customerId": 70}),
        at_ms: T0,
        request_id: Some("req-1".into()),
    };
    let records = Records { audit: vec![], events: vec![event] };
    let apply = Apply { data: DomainData::Contact(contact), expected_version: 0, at_ms: T0 };
    store.apply_change(tenant, customer, apply, records).await.unwrap();
    let events = store.list_events(tenant, customer).await.unwrap();
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(events[1].payload, serde_json::json!({"customerId": 70, "sequence": 2}));
    assert_eq!(events[1].request_id.as_deref(), Some("req-1"));
    let deliveries: Vec<(i64, i64)> =
        sqlx::query_as("SELECT subscription_id, seq FROM webhook_deliveries ORDER BY id").fetch_all(&mut c).await.unwrap();
    assert_eq!(deliveries, [(77, 1), (77, 2)]);

    // Tenant 8 naming tenant 7's customer, event or subscription: refused by the keys (23503).
    let foreign_key_violation = "23503";
    let amendment = "INSERT INTO amendments (tenant_id, customer_id, domain, state, proposed, base_version, submitted_by, \
         submitted_ms) VALUES (8, 70, 'contact', 'applied', '{}', 0, 'customer', 1700000000000)";
    assert_eq!(refusal(&mut c, amendment).await, foreign_key_violation);
    let event = "INSERT INTO outbox_events (tenant_id, customer_id, seq, event_type, payload, created_ms) \
         VALUES (8, 70, 9, 'customer.updated', '{}', 1700000000000)";
    assert_eq!(refusal(&mut c, event).await, foreign_key_violation);
    // The same rows with the right tenant are taken.
    for taken in [amendment, event] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(taken.replace("VALUES (8,", "VALUES (7,"))).execute(&mut c).await.unwrap();
    }
    let new_event: i64 = sqlx::query_scalar("SELECT id FROM outbox_events WHERE seq = 9").fetch_one(&mut c).await.unwrap();
    let delivery = format!(
        "INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_id, customer_id, seq, status, next_attempt_ms, \
         created_ms) VALUES (8, 77, {new_event}, 70, 9, 'pending', 1700000000000, 1700000000000)"
    );
    assert_eq!(refusal(&mut c, &delivery).await, foreign_key_violation);
    sqlx::raw_sql(sqlx::AssertSqlSafe(delivery.replace("VALUES (8,", "VALUES (7,"))).execute(&mut c).await.unwrap();
}
