//! The native staff and admin API under `/api/v1/`.

use crate::helpers::*;
use axum::http::StatusCode;
use custodian_domain::DataDomain;

async fn a_staff_key_sees_a_pending_amendment_in_the_queue(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Address, VERIFY, false)]).await;
    let c = app.customer(&t).await;
    let r = app.post(&ss(c, "address-data"), &t.partner, address_example()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let q = app.get("/api/v1/amendments", &t.staff).await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.text());
    let items = q.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["customerId"], c);
    assert_eq!(items[0]["state"], "pending");
}

both_backends!(a_staff_key_sees_a_pending_amendment_in_the_queue);
