//! Times the write path of an applied self-service change at the store (what `POST …/contact-data`
//! writes when the policy applies it at once: the amendment, the data, one audit entry, one event),
//! without HTTP, so that versions of the store can be compared on a noisy machine by CPU time per
//! transaction as well as wall time:
//!
//! ```sh no-run
//! cargo run --release -p custodian-store-sql --example write_path_bench -- /tmp/bench.db 5000
//! ```

use custodian_domain::data::ContactInput;
use custodian_domain::{Actor, ActorKind, AmendmentState, ContactData, CustomerId, DataDomain, DomainData, FieldChange};
use custodian_store::{Apply, NewAmendment, NewAudit, NewEvent, Records};
use custodian_store_sql::{SqliteSettings, SqliteStore};
use serde_json::json;
use std::time::Instant;

fn contact(email: &str) -> DomainData {
    DomainData::Contact(ContactData::parse(ContactInput { email: Some(email), ..Default::default() }).unwrap())
}

/// User plus system CPU time of this process, in milliseconds.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|u| u.parse::<f64>().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    ticks * 10.0 // USER_HZ = 100
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: write_path_bench PATH TRANSACTIONS");
    let n: usize = args.next().and_then(|n| n.parse().ok()).expect("TRANSACTIONS: a whole number");
    let store = SqliteStore::open(&path, SqliteSettings::default()).await.expect("open");
    use custodian_store::Store;
    let tenant = store.create_tenant("Bench", 0).await.unwrap().id;
    let mut customers: Vec<(CustomerId, i64)> = Vec::new();
    for i in 0..200 {
        let data = contact(&format!("c{i}@example.com"));
        let c = store
            .create_customer(tenant, vec![Apply { data, expected_version: 0, at_ms: 0 }], 0, Box::new(|_| Records::default()))
            .await
            .unwrap();
        customers.push((c, 1));
    }
    let (wall, cpu) = (Instant::now(), cpu_ms());
    for i in 0..n {
        let k = i % customers.len();
        let (customer, version) = customers[k];
        let email = format!("c{k}-{i}@example.com");
        let data = contact(&email);
        let amendment = NewAmendment {
            tenant_id: tenant,
            customer_id: customer,
            state: AmendmentState::Applied,
            proposed: data.clone(),
            signature: None,
            base_version: version,
            submitted_by: Actor::new(ActorKind::ApiKey, "bench"),
            submitted_at_ms: i as i64,
        };
        let apply = Apply { data, expected_version: version, at_ms: i as i64 };
        let follow_up = Box::new(move |id| Records {
            audit: vec![NewAudit {
                customer_id: Some(customer),
                actor: Actor::new(ActorKind::ApiKey, "bench"),
                action: "amendment.applied".into(),
                domain: Some(DataDomain::Contact),
                amendment_id: Some(id),
                changes: vec![FieldChange {
                    field: "email".into(),
                    before: Some(json!("old@example.com")),
                    after: Some(json!(email)),
                }],
                at_ms: i as i64,
                request_id: Some(format!("req-{i}")),
            }],
            events: vec![NewEvent {
                event_type: "amendment.applied".into(),
                payload: json!({"type": "amendment.applied", "customerId": customer.0}),
                at_ms: i as i64,
                request_id: Some(format!("req-{i}")),
            }],
        });
        store.submit_amendment(amendment, Some(apply), follow_up).await.unwrap();
        customers[k].1 += 1;
    }
    let (secs, cpu) = (wall.elapsed().as_secs_f64(), cpu_ms() - cpu);
    println!("{n} transactions in {secs:.2} s: {:.0} tx/s, {:.3} ms CPU per transaction", n as f64 / secs, cpu / n as f64);
}
