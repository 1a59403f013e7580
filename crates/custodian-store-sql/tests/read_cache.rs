//! The cache of API keys and policies across two stores on one database, as two processes have
//! them: a key revoked or a policy changed through one is seen by the other within a second, and
//! at once by the one that made the change.

use custodian_domain::{ConfigurationStatus, DataDomain, DomainPolicy, Scope, TenantId};
use custodian_store::{NewApiKey, Records, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};

const T0: i64 = 1_700_000_000_000;

/// The stated bound (one second) plus slack for a loaded test machine.
const DEADLINE: Duration = Duration::from_millis(2_500);

async fn two_sqlite_stores(path: &std::path::Path) -> (Arc<dyn Store>, Arc<dyn Store>) {
    let path = path.to_str().unwrap();
    let settings = custodian_store_sql::SqliteSettings::default();
    let a = custodian_store_sql::SqliteStore::open(path, settings).await.unwrap();
    let b = custodian_store_sql::SqliteStore::open(path, settings).await.unwrap();
    (Arc::new(a), Arc::new(b))
}

async fn two_pg_stores() -> Option<(Arc<dyn Store>, Arc<dyn Store>)> {
    if !custodian_testkit::pg_available() {
        eprintln!("skipping: PostgreSQL server binaries not found");
        return None;
    }
    let url = custodian_testkit::fresh_pg_database().await;
    let settings = custodian_store_sql::PgSettings::default();
    let a = custodian_store_sql::PgStore::connect(&url, settings).await.unwrap();
    let b = custodian_store_sql::PgStore::connect(&url, settings).await.unwrap();
    Some((Arc::new(a), Arc::new(b)))
}

async fn key(store: &dyn Store, tenant: TenantId, prefix: &str) -> String {
    let hash = format!("hash-{prefix}");
    let key = NewApiKey {
        tenant_id: tenant,
        prefix: prefix.into(),
        key_hash: hash.clone(),
        scopes: vec![Scope::SelfServiceRead],
        label: "app".into(),
        created_ms: T0,
    };
    store.insert_api_key(key, Records::default()).await.unwrap();
    hash
}

/// Polls `seen` until it holds, at most [`DEADLINE`]; how long it took.
async fn within_deadline<F, Fut>(what: &str, mut seen: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if seen().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < DEADLINE, "{what}: not seen within {DEADLINE:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn changes_reach_the_other_store(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    let tenant = a.create_tenant("Studio Cache", T0).await.unwrap().id;
    let (first, second) = (key(&*a, tenant, "keyaaaaa").await, key(&*a, tenant, "keybbbbb").await);
    let verify = DomainPolicy { status: ConfigurationStatus::ChangesRequireVerification, require_signature: false };
    let direct = DomainPolicy { status: ConfigurationStatus::ChangesWithoutVerification, require_signature: false };
    a.set_policy(tenant, DataDomain::Contact, verify, Records::default()).await.unwrap();
    // Both stores have polled the epoch (every 200 ms) and cache what they read now.
    tokio::time::sleep(Duration::from_millis(400)).await;
    for store in [&a, &b] {
        for _ in 0..3 {
            assert!(store.find_api_key(&first).await.unwrap().is_some());
            assert!(store.find_api_key(&second).await.unwrap().is_some());
            assert_eq!(store.policies(tenant).await.unwrap().get(DataDomain::Contact), verify);
        }
    }

    // Revoked through A: refused by A at once, by B within the bound; the other key still works.
    a.revoke_api_key(tenant, "keyaaaaa", T0 + 1, false, Records::default()).await.unwrap();
    assert!(a.find_api_key(&first).await.unwrap().is_none(), "at once where it was revoked");
    let took =
        within_deadline("B refuses the key revoked through A", || async { b.find_api_key(&first).await.unwrap().is_none() })
            .await;
    eprintln!("B refused the revoked key after {took:?}");
    assert!(b.find_api_key(&second).await.unwrap().is_some());

    // A policy set through B: seen by B at once, by A within the bound.
    b.set_policy(tenant, DataDomain::Contact, direct, Records::default()).await.unwrap();
    assert_eq!(b.policies(tenant).await.unwrap().get(DataDomain::Contact), direct, "at once where it was set");
    let took = within_deadline("A sees the policy set through B", || async {
        a.policies(tenant).await.unwrap().get(DataDomain::Contact) == direct
    })
    .await;
    eprintln!("A saw the new policy after {took:?}");

    // Unknown keys are never cached: a key created through B after A looked for it works on A.
    assert!(a.find_api_key("hash-keycccccc").await.unwrap().is_none());
    let third = key(&*b, tenant, "keycccccc").await;
    assert!(a.find_api_key(&third).await.unwrap().is_some(), "a miss is not remembered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_revoked_or_a_policy_set_through_one_store_reaches_the_other_within_a_second_on_sqlite() {
    let (_dir, path) = custodian_testkit::fresh_sqlite_path();
    let (a, b) = two_sqlite_stores(&path).await;
    changes_reach_the_other_store(a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_revoked_or_a_policy_set_through_one_store_reaches_the_other_within_a_second_on_postgres() {
    let Some((a, b)) = two_pg_stores().await else { return };
    changes_reach_the_other_store(a, b).await;
}
