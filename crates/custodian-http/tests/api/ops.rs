//! Operational endpoints: liveness, readiness, metrics, the docs page and OpenAPI document, the
//! body limit and unknown routes; plus the OpenAPI snapshot.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use custodian_domain::DataDomain;
use serde_json::{Value, json};
use std::collections::BTreeMap;

async fn health_answers_200_ok(app: TestApp) {
    let r = app.send(Method::GET, "/health", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({ "status": "ok" }));
}

/// `/ready` names the backend it pinged.
async fn assert_ready(app: TestApp, database: &str) {
    let r = app.send(Method::GET, "/ready", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json(), json!({ "status": "ready", "database": database }));
}

mod readiness_answers_200_naming_the_database {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn on_sqlite() {
        super::assert_ready(crate::helpers::TestApp::sqlite().await, "sqlite").await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn on_postgres() {
        if let Some(app) = crate::helpers::TestApp::postgres().await {
            super::assert_ready(app, "postgres").await;
        }
    }
}

async fn metrics_count_requests_by_route_template_and_amendments_by_state(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Contact, DIRECT, false)]).await;
    let c = app.customer(&t).await;
    for _ in 0..3 {
        assert_eq!(app.get(&ss(c, "contact-data"), &t.reader).await.status, StatusCode::OK);
    }
    assert_eq!(app.get(&ss(c, "contact-data"), "cus_wrong_key").await.status, StatusCode::UNAUTHORIZED);
    app.submit(&t, c, "contact-data", contact_example()).await;
    app.submit(&t, c, "address-data", address_example()).await;
    app.submit(&t, c, "master-data", master_example()).await;

    let r = app.send(Method::GET, "/metrics", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "text/plain; version=0.0.4");
    let text = r.text();
    let lines: Vec<&str> = text.lines().collect();
    for expected in [
        r#"custodian_http_requests_total{method="GET",route="/v1/customers/{customerId}/self-service/contact-data",status="200"} 3"#,
        r#"custodian_http_requests_total{method="GET",route="/v1/customers/{customerId}/self-service/contact-data",status="401"} 1"#,
        r#"custodian_http_requests_total{method="POST",route="/v1/customers/{customerId}/self-service/contact-data",status="200"} 1"#,
        r#"custodian_http_requests_total{method="POST",route="/api/v1/customers",status="201"} 1"#,
        r#"custodian_http_request_duration_seconds_count{method="GET",route="/v1/customers/{customerId}/self-service/contact-data"} 4"#,
        r#"custodian_amendments{state="applied"} 1"#,
        r#"custodian_amendments{state="pending"} 2"#,
        "# TYPE custodian_http_requests_total counter",
        "# TYPE custodian_amendments gauge",
    ] {
        assert!(lines.contains(&expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains(&format!("/v1/customers/{c}/")), "raw paths never become labels:\n{text}");
    assert!(!text.contains("route=\"/metrics\""), "the scrape itself is counted after it answers:\n{text}");

    let again = app.send(Method::GET, "/metrics", None, None).await.text();
    assert!(
        again.lines().any(|l| l == r#"custodian_http_requests_total{method="GET",route="/metrics",status="200"} 1"#),
        "{again}"
    );
}

async fn the_docs_page_is_served_offline(app: TestApp) {
    let r = app.send(Method::GET, "/docs/", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("text/html"), "{:?}", r.headers);
    let html = r.text();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(!html.contains("http://") && !html.contains("https://"), "no external assets:\n{html}");
    for asset in ["/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js", "/docs/swagger-initializer.js"] {
        let a = app.send(Method::GET, asset, None, None).await;
        assert_eq!(a.status, StatusCode::OK, "{asset} is bundled");
        assert!(!a.body.is_empty(), "{asset}");
    }
    let init = app.send(Method::GET, "/docs/swagger-initializer.js", None, None).await.text();
    assert!(init.contains("/openapi.json"), "{init}");
}

/// The routes of the self-service, review, customer, policy and ops routers, with their methods.
fn known_routes() -> BTreeMap<&'static str, Vec<&'static str>> {
    BTreeMap::from([
        ("/v1/customers/{customerId}/self-service/contact-data", vec!["get", "post"]),
        ("/v1/customers/{customerId}/self-service/address-data", vec!["get", "post"]),
        ("/v1/customers/{customerId}/self-service/master-data", vec!["get", "post"]),
        ("/v1/customers/{customerId}/self-service/payment-data", vec!["get", "post"]),
        ("/v1/customers/{customerId}/self-service/amendment/{amendmentId}", vec!["delete"]),
        ("/api/v2/customer/{id}", vec!["get", "patch", "post"]),
        ("/api/v2/customer/{id}/child-customers", vec!["get"]),
        ("/api/v2/global/call/{requestId}", vec!["get"]),
        ("/api/v1/amendments", vec!["get"]),
        ("/api/v1/amendments/{id}", vec!["get"]),
        ("/api/v1/amendments/{id}/approve", vec!["post"]),
        ("/api/v1/amendments/{id}/reject", vec!["post"]),
        ("/api/v1/amendments/{id}/signature", vec!["get"]),
        ("/api/v1/customers", vec!["get", "post"]),
        ("/api/v1/customers/{id}", vec!["delete", "get"]),
        ("/api/v1/customers/{id}/export", vec!["get"]),
        ("/api/v1/customers/{id}/audit", vec!["get"]),
        ("/api/v1/customers/{id}/{domain}", vec!["put"]),
        ("/api/v1/policies", vec!["get"]),
        ("/api/v1/policies/{domain}", vec!["put"]),
        ("/api/v1/keys", vec!["get", "post"]),
        ("/api/v1/keys/{prefix}", vec!["delete"]),
        ("/api/v1/staff", vec!["get", "post"]),
        ("/api/v1/staff/{username}", vec!["delete"]),
        ("/api/v1/consents", vec!["get", "post"]),
        ("/api/v1/consents/{id}", vec!["delete", "get"]),
        ("/api/v1/customers/{id}/wealth-profile", vec!["get", "put"]),
        ("/api/v1/customers/{id}/persons", vec!["post"]),
        ("/openwealth/customers", vec!["get"]),
        ("/openwealth/customers/{customerId}", vec!["get"]),
        ("/openwealth/customers/{customerId}/kyc", vec!["get"]),
        ("/openwealth/customers/{customerId}/addresses", vec!["get", "post", "put"]),
        ("/openwealth/customer/{customerId}/addresses", vec!["get", "post", "put"]),
        ("/openwealth/persons", vec!["get"]),
        ("/openwealth/persons/{personId}", vec!["get"]),
        ("/openwealth/persons/{personId}/contactdetails", vec!["get", "post"]),
        ("/openwealth/healthcheck", vec!["get"]),
        ("/health", vec!["get"]),
        ("/ready", vec!["get"]),
        ("/metrics", vec!["get"]),
    ])
}

/// A concrete path for a documented template: every `{param}` becomes a plausible value.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some("domain") => "contact",
            Some(_) => "1",
            None => seg,
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn the_openapi_document_is_3_1_and_lists_every_route(app: TestApp) {
    let r = app.send(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("application/json"));
    let doc = r.json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")), "{}", doc["openapi"]);
    assert_eq!(doc["info"]["title"], "Custodian");
    let documented: BTreeMap<&str, Vec<&str>> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(p, ops)| {
            let mut methods: Vec<&str> = ops.as_object().unwrap().keys().map(String::as_str).collect();
            methods.sort_unstable();
            (p.as_str(), methods)
        })
        .collect();
    for (path, methods) in known_routes() {
        assert_eq!(documented.get(path), Some(&methods), "{path} is documented with {methods:?}");
    }
    // The other direction: every documented operation is routed (an unauthenticated call reaches
    // the route and is refused there, or answers; it is never the 404 fallback or a 405).
    for (path, methods) in &documented {
        for method in methods {
            let m = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            let r = app.send(m, &concrete(path), None, None).await;
            let fallback = r.status == StatusCode::NOT_FOUND && r.text().contains("route.not_found");
            assert!(!fallback && r.status != StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is not routed: {}", r.status);
        }
    }
    assert_eq!(doc["components"]["securitySchemes"]["ApiKeyAuth"]["name"], "X-API-KEY");
    let served: Value = serde_json::from_str(&custodian_http::openapi::document_json()).unwrap();
    assert_eq!(doc, served, "the served document is the one `custodian openapi` prints");
}

async fn a_body_over_the_limit_is_413(app: TestApp) {
    let t = app.tenant(&[]).await;
    let c = app.customer(&t).await;
    let big = json!({ "contact": { "email": "a".repeat(600 * 1024) } });
    let r = app.post("/api/v1/customers", &t.admin, big).await;
    assert_problem(&r, StatusCode::PAYLOAD_TOO_LARGE, "request.too_large");

    let big = json!({ "email": "a".repeat(600 * 1024) });
    let r = app.post(&ss(c, "contact-data"), &t.partner, big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json()["errorCode"], "request.too_large", "the self-service dialect's shape");
    assert_eq!(app.get(&ss(c, "contact-data"), &t.partner).await.json()["email"], "old@example.com");
    assert_eq!(app.get("/api/v1/customers", &t.admin).await.json()["items"].as_array().unwrap().len(), 1);

    let fits = json!({ "reason": "x".repeat(1000), "padding": "p".repeat(400 * 1024) });
    let id = app.submit(&t, c, "address-data", address_example()).await;
    let r = app.post(&format!("/api/v1/amendments/{id}/reject"), &t.staff, fits).await;
    assert_eq!(r.status, StatusCode::OK, "a body under the limit is read: {}", r.text());
}

async fn an_unknown_route_is_404_json(app: TestApp) {
    let r = app.send(Method::GET, "/api/v1/nothing-here", None, None).await;
    let e = assert_problem(&r, StatusCode::NOT_FOUND, "route.not_found");
    assert!(e["detail"].as_str().unwrap().contains("/api/v1/nothing-here"), "{e}");
    assert_eq!(e["requestId"], r.headers["x-request-id"].to_str().unwrap());

    let r = app.send(Method::GET, "/nope", None, None).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "route.not_found");

    let r = app.send(Method::GET, "/v1/customers/1/self-service/hobby-data", None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("application/json"));
    let e = r.json();
    assert_eq!(e["errorCode"], "route.not_found", "the self-service dialect's shape: {e}");
    assert_eq!(e["traceId"], r.headers["x-request-id"].to_str().unwrap());

    let r = app.raw(Request::get("/metrics/extra").body(Body::empty()).unwrap()).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "route.not_found");
}

both_backends!(
    health_answers_200_ok,
    metrics_count_requests_by_route_template_and_amendments_by_state,
    the_docs_page_is_served_offline,
    the_openapi_document_is_3_1_and_lists_every_route,
    a_body_over_the_limit_is_413,
    an_unknown_route_is_404_json,
);

/// `UPDATE_OPENAPI=1 cargo test -p custodian-http --test api openapi_document_matches` rewrites it.
#[test]
fn the_openapi_document_matches_the_committed_snapshot() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let mut current = custodian_http::openapi::document_json();
    if !current.ends_with('\n') {
        current.push('\n');
    }
    if std::env::var("UPDATE_OPENAPI").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &current).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != current {
        let first = committed.lines().zip(current.lines()).position(|(a, b)| a != b);
        let line = first.unwrap_or_else(|| committed.lines().count().min(current.lines().count()));
        panic!(
            "the OpenAPI document differs from {} (first at line {}: committed {:?}, now {:?}).\n\
             If the API change is intended, update the snapshot with\n\
             \n    UPDATE_OPENAPI=1 cargo test -p custodian-http --test api the_openapi_document_matches_the_committed_snapshot\n\
             \nand commit docs/openapi.json.",
            path.display(),
            line + 1,
            committed.lines().nth(line).unwrap_or("<end of file>"),
            current.lines().nth(line).unwrap_or("<end of file>"),
        );
    }
}

/// The shape rules a validator checks, kept here too so that a change breaks `cargo test` even
/// where the Python tools of `tests/contract.rs` are not installed.
#[test]
fn every_documented_response_has_a_description_and_every_error_its_dialects_body() {
    let doc: serde_json::Value = serde_json::from_str(&custodian_http::openapi::document_json()).unwrap();
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let templated: Vec<&str> =
            path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        for (method, op) in ops.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap();
                if p["in"] == "path" {
                    assert!(templated.contains(&name), "{method} {path}: path parameter {name} is not in the path");
                    if p["schema"]["type"] == "integer" {
                        assert_eq!(p["schema"]["minimum"], 1, "{method} {path}: ids are positive");
                    }
                }
                if p["in"] == "query" && name == "limit" && path.starts_with("/api/v1/") {
                    assert_eq!((&p["schema"]["minimum"], &p["schema"]["maximum"]), (&json!(1), &json!(200)), "{method} {path}");
                }
            }
            for (status, response) in op["responses"].as_object().unwrap() {
                checked += 1;
                assert!(
                    response["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{method} {path} {status} has no description"
                );
                if (status.starts_with('4') || status.starts_with('5')) && !path.starts_with("/ready") {
                    assert!(
                        response["content"].as_object().is_some_and(|c| c.len() == 1),
                        "{method} {path} {status} has no body"
                    );
                }
            }
            if !(path.starts_with("/health") || path.starts_with("/ready") || path.starts_with("/metrics")) {
                for status in ["401", "403"] {
                    assert!(op["responses"].get(status).is_some(), "{method} {path} does not document {status}");
                }
            }
        }
    }
    assert!(checked > 250, "only {checked} responses");
}
