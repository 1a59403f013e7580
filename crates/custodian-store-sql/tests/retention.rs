//! Retention on both backends: exactly what is older than its cutoff goes — decided amendments'
//! signatures, webhook events whose deliveries all succeeded (with those deliveries), billing
//! receipts — while pending amendments, undelivered events and other tenants keep theirs; a run
//! that deletes something writes its audit entry in the same transaction, and the trail verifies.

use custodian_domain::data::ContactInput;
use custodian_domain::{Actor, AmendmentState, ContactData, CustomerId, DomainData, FieldChange, SanitizedSvg, TenantId};
use custodian_store::retention::{RetentionCounts, RetentionCutoffs};
use custodian_store::webhooks::{AttemptOutcome, DisablePolicy, NewSubscription, WebhookFormat};
use custodian_store::{NewAmendment, NewAudit, NewEvent, Records, Store};
use custodian_store_sql::{PgSettings, SqliteSettings};
use serde_json::json;
use std::sync::Arc;

const DAY: i64 = 24 * 60 * 60 * 1000;
const NOW: i64 = 1_700_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retention_deletes_exactly_what_is_old_and_audits_the_counts_on_sqlite() {
    let (_dir, path) = custodian_testkit::fresh_sqlite_path();
    retention_deletes_exactly_what_is_old(&format!("sqlite://{}", path.display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retention_deletes_exactly_what_is_old_and_audits_the_counts_on_postgres() {
    if !custodian_testkit::pg_available() {
        eprintln!("skipping: PostgreSQL server binaries not found");
        return;
    }
    retention_deletes_exactly_what_is_old(&custodian_testkit::fresh_pg_database().await).await;
}

async fn sql(url: &str, statement: &str) {
    use sqlx::Connection;
    if url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned())).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned())).execute(&mut c).await.unwrap();
    }
}

fn contact(email: &str) -> DomainData {
    DomainData::Contact(ContactData::parse(ContactInput { email: Some(email), ..Default::default() }).unwrap())
}

async fn customer(store: &dyn Store, tenant: TenantId) -> CustomerId {
    store.create_customer(tenant, vec![], NOW, Box::new(|_| Records::default())).await.unwrap()
}

/// A signed amendment of `state`, submitted (and, unless pending, decided) at `at`.
async fn signed(
    store: &dyn Store,
    tenant: TenantId,
    customer: CustomerId,
    state: AmendmentState,
    at: i64,
) -> custodian_domain::AmendmentId {
    let a = NewAmendment {
        tenant_id: tenant,
        customer_id: customer,
        state,
        proposed: contact("x@example.com"),
        signature: Some(SanitizedSvg::from_stored("<svg/>".into())),
        base_version: 0,
        submitted_by: Actor::system(),
        submitted_at_ms: at,
    };
    store.submit_amendment(a, None, Box::new(|_| Records::default())).await.unwrap()
}

/// One event of `customer` written at `at` (through a withdrawn amendment, which any number may be).
async fn event(store: &dyn Store, tenant: TenantId, customer: CustomerId, at: i64) {
    let a = NewAmendment {
        tenant_id: tenant,
        customer_id: customer,
        state: AmendmentState::Withdrawn,
        proposed: contact("x@example.com"),
        signature: None,
        base_version: 0,
        submitted_by: Actor::system(),
        submitted_at_ms: at,
    };
    let e = NewEvent {
        event_type: "amendment.withdrawn".into(),
        payload: json!({"type": "amendment.withdrawn"}),
        at_ms: at,
        request_id: None,
    };
    store.submit_amendment(a, None, Box::new(move |_| Records { audit: vec![], events: vec![e] })).await.unwrap();
}

fn audited(tenant_counts: &RetentionCounts) -> Records {
    if tenant_counts.is_empty() {
        return Records::default();
    }
    let c = tenant_counts;
    let changes = [
        ("signaturesDeleted", c.signatures),
        ("webhookEventsDeleted", c.webhook_events),
        ("billingReceiptsDeleted", c.billing_receipts),
    ]
    .into_iter()
    .map(|(f, n)| FieldChange { field: f.into(), before: None, after: Some(json!(n)) })
    .collect();
    Records {
        audit: vec![NewAudit {
            customer_id: None,
            actor: Actor::system(),
            action: "retention.run".into(),
            domain: None,
            amendment_id: None,
            changes,
            at_ms: NOW,
            request_id: None,
        }],
        events: vec![],
    }
}

async fn retention_deletes_exactly_what_is_old(url: &str) {
    let store: Arc<dyn Store> = custodian_store_sql::open(url, SqliteSettings::default(), PgSettings::default()).await.unwrap();
    let store = &*store;
    let tenant = store.create_tenant("Retention", NOW).await.unwrap().id;
    let other = store.create_tenant("Other", NOW).await.unwrap().id;
    let old = NOW - 100 * DAY;
    let recent = NOW - DAY;

    // Signatures: decided long ago (goes), decided recently (stays), pending since long ago (stays).
    let c = customer(store, tenant).await;
    let old_decided = signed(store, tenant, c, AmendmentState::Rejected, old).await;
    let recent_decided = signed(store, tenant, c, AmendmentState::Approved, recent).await;
    let pending = signed(store, tenant, c, AmendmentState::Pending, old).await;
    let oc = customer(store, other).await;
    let other_decided = signed(store, other, oc, AmendmentState::Rejected, old).await;

    // Events: one per customer. Before the subscription exists: no deliveries.
    let no_deliveries = customer(store, tenant).await;
    event(store, tenant, no_deliveries, old).await;
    let sub = store
        .create_subscription(NewSubscription {
            tenant_id: tenant,
            url: "https://example.com/hooks".into(),
            event_types: vec![],
            format: WebhookFormat::Standard,
            secret: "whsec_x".into(),
            vendor_key: None,
            now_ms: old,
        })
        .await
        .unwrap();
    let (delivered, failed, waiting, fresh) = (
        customer(store, tenant).await,
        customer(store, tenant).await,
        customer(store, tenant).await,
        customer(store, tenant).await,
    );
    for who in [delivered, failed, waiting] {
        event(store, tenant, who, old).await;
    }
    event(store, tenant, fresh, recent).await;
    let claimed = store.claim_deliveries(recent, 60_000, 10).await.unwrap();
    assert_eq!(claimed.len(), 4);
    for d in claimed {
        let outcome = match d.event.customer_id {
            x if x == failed => AttemptOutcome::Failed { status_code: Some(500), error: "boom".into(), at_ms: recent },
            x if x == waiting => {
                AttemptOutcome::Retry { status_code: Some(503), error: "later".into(), next_attempt_ms: NOW + DAY }
            }
            _ => AttemptOutcome::Succeeded { status_code: 200, at_ms: recent },
        };
        store.record_attempt(d.delivery.id, outcome, recent, DisablePolicy::default(), None).await.unwrap();
    }

    // Billing receipts, old and recent, and one of the other tenant.
    sql(
        url,
        &format!(
            "INSERT INTO billing_receipts (tenant_id, request_id, fingerprint, customer_id, customer_number, created_ms) VALUES \
             ({t}, 'old', 'f', {c}, 'n1', {old}), ({t}, 'recent', 'f', {c}, 'n1', {recent}), ({o}, 'old', 'f', {oc}, 'n2', {old})",
            t = tenant.0,
            o = other.0,
            c = c.0,
            oc = oc.0
        ),
    )
    .await;
    // Idempotency receipts: an old completed one goes; an old one still in flight and a recent one stay.
    sql(
        url,
        &format!(
            "INSERT INTO idempotency_receipts (tenant_id, principal, idempotency_key, fingerprint, state, token, lease_until_ms, \
             customer_id, status, created_ms) VALUES \
             ({t}, 'api_key:a', 'k1', 'f', 'completed', 't1', 0, {c}, 200, {old}), \
             ({t}, 'api_key:a', 'k2', 'f', 'in_flight', 't2', 0, {c}, NULL, {old}), \
             ({t}, 'api_key:a', 'k3', 'f', 'completed', 't3', 0, {c}, 200, {recent})",
            t = tenant.0,
            c = c.0
        ),
    )
    .await;

    let cutoffs = RetentionCutoffs {
        signatures_before_ms: Some(NOW - 90 * DAY),
        webhook_events_before_ms: Some(NOW - 30 * DAY),
        billing_receipts_before_ms: Some(NOW - 30 * DAY),
    };
    let counts = store.apply_retention(tenant, cutoffs, Box::new(audited)).await.unwrap();
    assert_eq!(
        counts,
        RetentionCounts { signatures: 1, webhook_events: 2, webhook_deliveries: 1, billing_receipts: 1, idempotency_receipts: 1 }
    );

    let signature = |id| async move { store.get_amendment(tenant, id).await.unwrap().signature.is_some() };
    assert!(!signature(old_decided).await, "an old decision's signature goes");
    assert!(signature(recent_decided).await, "a recent decision's signature stays");
    assert!(signature(pending).await, "a pending amendment's signature stays");
    assert!(store.get_amendment(other, other_decided).await.unwrap().signature.is_some(), "other tenants are not touched");

    let events = |who| async move { store.list_events(tenant, who).await.unwrap().len() };
    assert_eq!(events(no_deliveries).await, 0, "an old event without deliveries goes");
    assert_eq!(events(delivered).await, 0, "an old event delivered everywhere goes");
    assert_eq!(events(failed).await, 1, "a failed delivery stays replayable");
    assert_eq!(events(waiting).await, 1, "a delivery still being retried keeps its event");
    assert_eq!(events(fresh).await, 1, "a recent event stays");
    let deliveries = store.list_deliveries(tenant, sub.id, None, None, 100).await.unwrap();
    assert_eq!(deliveries.len(), 3, "{deliveries:?}");
    assert!(deliveries.iter().all(|d| d.customer_id != delivered.0));
    // The failed delivery can still be sent again.
    let failed_delivery = deliveries.iter().find(|d| d.customer_id == failed.0).unwrap();
    store.replay_delivery(tenant, failed_delivery.id, NOW).await.unwrap();

    let audit: Vec<_> =
        store.list_tenant_audit(tenant, None, 100).await.unwrap().into_iter().filter(|e| e.action == "retention.run").collect();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].changes[0].after, Some(json!(1)));
    assert_eq!(audit[0].changes[1].after, Some(json!(2)));
    assert_eq!(store.verify_audit(tenant, None).await.unwrap().mismatch, None);

    // A second run finds nothing and writes nothing; the other tenant still has its receipt.
    let again = store.apply_retention(tenant, cutoffs, Box::new(audited)).await.unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(
        store.list_tenant_audit(tenant, None, 100).await.unwrap().iter().filter(|e| e.action == "retention.run").count(),
        1
    );
    let in_other = store.apply_retention(other, cutoffs, Box::new(audited)).await.unwrap();
    assert_eq!(in_other, RetentionCounts { signatures: 1, billing_receipts: 1, ..Default::default() });

    // Keeping forever (no cutoffs) deletes nothing.
    event(store, tenant, delivered, old).await;
    let kept = store.apply_retention(tenant, RetentionCutoffs::default(), Box::new(audited)).await.unwrap();
    assert!(kept.is_empty());
}
