//! The test application: the real router over a fresh SQLite file or PostgreSQL database, fixtures
//! for tenants, keys and customers, and a small request helper.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use custodian_app::{Context, Services, SystemClock};
use custodian_domain::{Actor, ConfigurationStatus, DataDomain, DomainPolicy, Scope, TenantId};
use custodian_store_sql::{PgSettings, PgStore, SqliteSettings, SqliteStore};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

/// Generates `<name>::on_sqlite` and `<name>::on_postgres` tests running the same scenario.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn on_sqlite() {
                    super::$name(crate::helpers::TestApp::sqlite().await).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn on_postgres() {
                    if let Some(app) = crate::helpers::TestApp::postgres().await {
                        super::$name(app).await;
                    }
                }
            }
        )*
    };
}

pub struct TestApp {
    pub router: Router,
    pub services: Services,
    /// The database the store runs on (`sqlite://…` or `postgres://…`).
    pub database_url: String,
    _dir: Option<tempfile::TempDir>,
}

/// A tenant with one key per role.
#[derive(Clone)]
pub struct Tenant {
    pub id: TenantId,
    /// CUSTOMER_SELF_SERVICE_READ + CUSTOMER_SELF_SERVICE_WRITE.
    pub partner: String,
    /// CUSTOMER_SELF_SERVICE_READ only.
    pub reader: String,
    /// STAFF_REVIEW.
    pub staff: String,
    /// ADMIN (+ STAFF_REVIEW).
    pub admin: String,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub const DIRECT: ConfigurationStatus = ConfigurationStatus::ChangesWithoutVerification;
pub const VERIFY: ConfigurationStatus = ConfigurationStatus::ChangesRequireVerification;
pub const READ: ConfigurationStatus = ConfigurationStatus::Read;

impl TestApp {
    fn build(store: Arc<dyn custodian_store::Store>, database_url: String, dir: Option<tempfile::TempDir>) -> TestApp {
        let services = Services::new(store, Arc::new(SystemClock));
        let state = custodian_http::AppState::new(services.clone(), custodian_http::HttpSettings::default());
        TestApp { router: custodian_http::router(state), services, database_url, _dir: dir }
    }

    pub async fn sqlite() -> TestApp {
        let (dir, path) = custodian_testkit::fresh_sqlite_path();
        let store = SqliteStore::open(path.to_str().unwrap(), SqliteSettings::default()).await.unwrap();
        TestApp::build(Arc::new(store), format!("sqlite://{}", path.display()), Some(dir))
    }

    /// `None` (with a note) when PostgreSQL is not installed and not required.
    pub async fn postgres() -> Option<TestApp> {
        if !custodian_testkit::pg_available() {
            eprintln!("PostgreSQL binaries not found: skipping (set CUSTODIAN_REQUIRE_PG=1 to fail instead)");
            return None;
        }
        let url = custodian_testkit::fresh_pg_database().await;
        let store = PgStore::connect(&url, PgSettings::default()).await.unwrap();
        Some(TestApp::build(Arc::new(store), url, None))
    }

    /// Stops the application as a server's shutdown does: closes the store's connections (SQLite
    /// checkpoints its WAL) and hands back the directory of the SQLite file, if any.
    pub async fn stop(self) -> Option<tempfile::TempDir> {
        let TestApp { router, services, _dir, .. } = self;
        drop(router);
        services.store.close().await;
        _dir
    }

    /// Waits until the store's cache of keys and policies is in use (its first poll of the cache
    /// epoch, every 200 ms, is done), so that a test sees what a long-running server does.
    pub async fn cache_in_use(&self) {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }

    /// A tenant with the given policies (unlisted domains keep the default) and a key per role.
    pub async fn tenant(&self, policies: &[(DataDomain, ConfigurationStatus, bool)]) -> Tenant {
        let s = &self.services;
        let t = s.store.create_tenant("Test Studio", s.clock.now_ms()).await.unwrap();
        let ctx = Context { tenant: t.id, actor: Actor::system(), request_id: None };
        for (domain, status, require_signature) in policies {
            s.policies.set(&ctx, *domain, DomainPolicy { status: *status, require_signature: *require_signature }).await.unwrap();
        }
        let key =
            |scopes: Vec<Scope>, label: &'static str| async move { s.keys.create(t.id, scopes, label).await.unwrap().secret };
        Tenant {
            id: t.id,
            partner: key(vec![Scope::SelfServiceRead, Scope::SelfServiceWrite], "partner").await,
            reader: key(vec![Scope::SelfServiceRead], "reader").await,
            staff: key(vec![Scope::StaffReview], "reviewer").await,
            admin: key(vec![Scope::Admin, Scope::StaffReview], "admin").await,
        }
    }

    /// Creates a customer through the native API (admin key) with the standard fixture data.
    pub async fn customer(&self, tenant: &Tenant) -> i64 {
        let r = self.send(Method::POST, "/api/v1/customers", Some(&tenant.admin), Some(customer_body())).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        r.json()["id"].as_i64().unwrap()
    }

    pub async fn send(&self, method: Method, path: &str, key: Option<&str>, body: Option<Value>) -> Response {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(k) = key {
            req = req.header("X-API-KEY", k);
        }
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        self.raw(req.body(body).unwrap()).await
    }

    pub async fn raw(&self, req: Request<Body>) -> Response {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        Response { status, headers, body }
    }

    pub async fn get(&self, path: &str, key: &str) -> Response {
        self.send(Method::GET, path, Some(key), None).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> Response {
        self.send(Method::POST, path, Some(key), Some(body)).await
    }

    pub async fn delete(&self, path: &str, key: &str) -> Response {
        self.send(Method::DELETE, path, Some(key), None).await
    }

    pub async fn put(&self, path: &str, key: &str, body: Value) -> Response {
        self.send(Method::PUT, path, Some(key), Some(body)).await
    }

    /// Submits `body` to the customer's self-service `domain` with the partner key; the amendment id.
    pub async fn submit(&self, tenant: &Tenant, customer: i64, domain: &str, body: Value) -> i64 {
        let r = self.post(&ss(customer, domain), &tenant.partner, body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.json()["id"].as_i64().unwrap()
    }

    /// Approves an amendment with the staff key; the response.
    pub async fn approve(&self, tenant: &Tenant, amendment: i64) -> Response {
        self.post(&format!("/api/v1/amendments/{amendment}/approve"), &tenant.staff, json!({})).await
    }

    /// Rejects an amendment with the staff key; the response.
    pub async fn reject(&self, tenant: &Tenant, amendment: i64, reason: &str) -> Response {
        self.post(&format!("/api/v1/amendments/{amendment}/reject"), &tenant.staff, json!({ "reason": reason })).await
    }
}

/// The public prefix of a key `cus_<prefix>_<secret>`, as audit actors name partner keys.
pub fn key_prefix(key: &str) -> &str {
    key.split('_').nth(1).expect("a key has the form cus_<prefix>_<secret>")
}

/// The ids of a page's `items`.
pub fn item_ids(page: &Value) -> Vec<i64> {
    page["items"].as_array().unwrap_or_else(|| panic!("no items: {page}")).iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

/// A valid master-data change of the fixture customer.
pub fn master_example() -> Value {
    json!({ "firstName": "Svenja", "lastName": "Hannawald", "gender": "FEMALE", "dateOfBirth": "1974-11-09", "customerTitle": "DR" })
}

/// Asserts a native `application/problem+json` error with `status` and `code`; the body.
pub fn assert_problem(r: &Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.headers["content-type"], "application/problem+json", "{}", r.text());
    let body = r.json();
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert_eq!(body["code"], code, "{body}");
    body
}

/// The fixture customer: data in all four domains.
pub fn customer_body() -> Value {
    json!({
        "contact": { "email": "old@example.com", "phonePrivate": "+49 30 1234567" },
        "address": { "street": "Hauptstraße", "houseNumber": "1", "zipCode": "10115", "city": "Berlin", "countryCode": "DE" },
        "master": { "firstName": "Sven", "lastName": "Hannawald", "gender": "MALE", "dateOfBirth": "1974-11-09", "customerTitle": "NONE" },
        "payment": { "accountHolder": "Sven Hannawald", "bankName": "Sparkasse", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX" }
    })
}

/// The seed's documented contact example.
pub fn contact_example() -> Value {
    json!({
        "email": "new-email@example.com",
        "phonePrivate": "+49 00000000",
        "phonePrivateMobile": "+49 00000000000",
        "phoneBusiness": "+49 00000000",
        "phoneBusinessMobile": "+49 00000000000"
    })
}

/// The seed's documented address example.
pub fn address_example() -> Value {
    json!({ "street": "Am Bahnhof", "houseNumber": "90", "zipCode": "12133", "city": "Munich", "countryCode": "DE" })
}

/// A small drawn signature, base64-encoded.
pub fn signature_base64() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="80"><path d="M10 40 C 40 10, 60 70, 190 40" stroke="black" fill="none"/></svg>"#,
    )
}

/// The seed's documented payment example with a real signature.
pub fn payment_example() -> Value {
    json!({
        "accountHolder": "Sven Hannawald",
        "bankName": "Deutsche Bank",
        "iban": "DE91 1000 0000 0123 4567 89",
        "bic": "DEUTDEFFXXX",
        "signature": { "base64SvgSignature": signature_base64() }
    })
}

pub fn ss(customer: i64, domain: &str) -> String {
    format!("/v1/customers/{customer}/self-service/{domain}")
}
