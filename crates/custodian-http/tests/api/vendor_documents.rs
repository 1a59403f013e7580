//! Examples from the vendors' documents, replayed literally: what a vendor documents is accepted.

use crate::helpers::*;
use axum::http::StatusCode;
use custodian_domain::DataDomain;
use serde_json::json;

async fn the_gym_vendors_master_data_example_born_1815_12_10_is_accepted_and_a_future_date_is_not(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Master, DIRECT, false)]).await;
    let c = app.customer(&t).await;
    let documented = json!({
        "firstName": "Ada",
        "lastName": "Lovelace",
        "gender": "FEMALE",
        "dateOfBirth": "1815-12-10",
        "customerTitle": "NONE"
    });
    let r = app.post(&ss(c, "master-data"), &t.partner, documented).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["dateOfBirth"], "1815-12-10");
    let g = app.get(&ss(c, "master-data"), &t.partner).await.json();
    assert_eq!(g["dateOfBirth"], "1815-12-10", "{g}");

    let next_year = time::OffsetDateTime::now_utc().year() + 1;
    let future = json!({
        "firstName": "Ada",
        "lastName": "Lovelace",
        "gender": "FEMALE",
        "dateOfBirth": format!("{next_year}-01-01"),
        "customerTitle": "NONE"
    });
    let r = app.post(&ss(c, "master-data"), &t.partner, future).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["reference"], "dateOfBirth", "{}", r.text());
    let g = app.get(&ss(c, "master-data"), &t.partner).await.json();
    assert_eq!(g["dateOfBirth"], "1815-12-10", "{g}");
}

both_backends!(the_gym_vendors_master_data_example_born_1815_12_10_is_accepted_and_a_future_date_is_not);
