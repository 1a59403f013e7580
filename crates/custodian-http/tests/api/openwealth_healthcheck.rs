//! The wealth-management healthcheck echoes the request headers it received, but never a
//! credential.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};

async fn the_healthcheck_echoes_headers_but_no_credential_whatever_its_case(app: TestApp) {
    let credentials = [
        ("X-API-KEY", "cus_abcdefgh_secret-api-key"),
        ("x-subscription-key", "cus_abcdefgh_secret-subscription-key"),
        ("Authorization", "Bearer secret-oauth-token"),
        ("PROXY-AUTHORIZATION", "Basic c2VjcmV0OnByb3h5"),
        ("Cookie", "session=secret-cookie"),
        ("X-Subscription-Key", "cus_abcdefgh_second-secret"),
    ];
    let mut req = Request::get("/openwealth/healthcheck")
        .header("X-Correlation-ID", "f058ebd6-02f7-4d3f-942e-904344e8cde5")
        .header("X-CorAPI-Target-ID", "IIDX99999");
    for (name, value) in credentials {
        req = req.header(name, value);
    }
    let r = app.raw(req.body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let h = &r.json()["receivedHeaders"];
    assert_eq!(h["x-corapi-target-id"], "IIDX99999", "other headers are echoed: {h}");
    assert_eq!(h["x-correlation-id"], "f058ebd6-02f7-4d3f-942e-904344e8cde5", "{h}");
    for (name, value) in credentials {
        assert!(h.get(name.to_ascii_lowercase()).is_none(), "{name} is echoed: {h}");
        assert!(!r.text().contains(value), "the value of {name} is in the answer: {}", r.text());
    }
}

both_backends!(the_healthcheck_echoes_headers_but_no_credential_whatever_its_case);
