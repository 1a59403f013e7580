//! Generates a large chained audit trail for measuring `custodian audit verify`:
//!
//! ```sh no-run
//! cargo run --release -p custodian-store-sql --example audit_trail_generate -- sqlite:///tmp/audit-1m.db 1000000
//! CUSTODIAN_DATABASE__URL=sqlite:///tmp/audit-1m.db custodian audit verify
//! ```
//!
//! Writes through the store (so every entry is chained exactly as in production): one tenant,
//! customers with ten entries each (an e-mail change per entry), one transaction per customer.
//! SQLite is opened with `synchronous = normal` to generate faster.

use custodian_domain::{Actor, ActorKind, DataDomain, FieldChange};
use custodian_store::{NewAudit, Records};
use custodian_store_sql::{PgSettings, SqliteSettings, Synchronous};
use serde_json::json;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: audit_trail_generate DATABASE_URL ENTRIES");
    let entries: i64 = args.next().and_then(|n| n.parse().ok()).expect("ENTRIES: a whole number");
    let sqlite = SqliteSettings { synchronous: Synchronous::Normal, ..Default::default() };
    let store = custodian_store_sql::open(&url, sqlite, PgSettings::default()).await.expect("open the database");
    let tenant = store.create_tenant("Audit volume", 0).await.expect("create a tenant").id;
    let per_customer = 10;
    let started = Instant::now();
    let customers = entries / per_customer;
    for c in 0..customers {
        let records = move |customer| Records {
            audit: (0..per_customer)
                .map(|i| NewAudit {
                    customer_id: Some(customer),
                    actor: Actor::new(ActorKind::ApiKey, "bench"),
                    action: "customer.updated".into(),
                    domain: Some(DataDomain::Contact),
                    amendment_id: None,
                    changes: vec![FieldChange {
                        field: "email".into(),
                        before: Some(json!(format!("c{c}-{i}@example.com"))),
                        after: Some(json!(format!("c{c}-{}@example.com", i + 1))),
                    }],
                    at_ms: 1_700_000_000_000 + c * per_customer + i,
                    request_id: Some(format!("req-{c}-{i}")),
                })
                .collect(),
            events: vec![],
        };
        store.create_customer(tenant, vec![], 0, Box::new(records)).await.expect("write");
        if (c + 1) % 10_000 == 0 {
            eprintln!("{} entries written ({:.0} s)", (c + 1) * per_customer, started.elapsed().as_secs_f64());
        }
    }
    eprintln!("{} entries in {customers} chains written in {:.1} s", customers * per_customer, started.elapsed().as_secs_f64());
    let started = Instant::now();
    let v = store.verify_audit(tenant, None).await.expect("verify");
    println!(
        "verified {} entries in {} chains in {:.2} s (mismatch: {:?})",
        v.entries,
        v.chains,
        started.elapsed().as_secs_f64(),
        v.mismatch
    );
}
