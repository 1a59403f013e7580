//! The partner API as operators set it up: a hierarchy root and a key bound to it from the CLI,
//! and asynchronous requests whose outcome survives a killed server.

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn a_partner_key_from_the_cli_acts_as_its_customer_and_request_outcomes_survive_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = sqlite_url(&dir);
    run(&url, &["migrate"]);
    let tenant = run(&url, &["tenants", "create", "--name", "Connectivity Operator"]).trim().to_owned();
    let root =
        run(&url, &["partners", "create", "--tenant", &tenant, "--name", "Acme IoT", "--currency", "EUR"]).trim().to_owned();
    assert_eq!(root.len(), 36, "a UUID: {root}");

    let unbound = command(&url).args(["keys", "create", "--tenant", &tenant, "--scope", "PARTNER"]).output().unwrap();
    assert!(!unbound.status.success());
    assert!(String::from_utf8_lossy(&unbound.stderr).contains("add --customer <uuid>"));
    let unknown = command(&url)
        .args(["keys", "create", "--tenant", &tenant, "--scope", "PARTNER", "--customer", "00000000-0000-4000-8000-000000000000"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("customer not found"));
    let key = run(&url, &["keys", "create", "--tenant", &tenant, "--scope", "PARTNER", "--customer", &root, "--label", "acme"]);
    let key = key.trim().to_owned();

    let server = start(&url, None).await;
    let client = reqwest::Client::new();
    let call = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut req = client.request(method, format!("{}{path}", server.base)).header("X-API-KEY", &key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, me) = call(reqwest::Method::GET, format!("/api/v2/customer/{root}"), None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["content"][0]["name"], "Acme IoT");
    assert_eq!(me["content"][0]["type"], "BUSINESS");

    let child = json!({
        "status": "ACTIVE", "name": "Volvo Fleet", "currency": "SEK",
        "contact": { "role": "SELFCARE", "emailAddress": "fleet@example.com", "mobilePhoneNumber": "+46701234567" }
    });
    let (status, created) = call(reqwest::Method::POST, format!("/api/v2/customer/{root}"), Some(child)).await;
    assert_eq!(status, 200, "{created}");
    let child_id = created["content"][0]["customerId"].as_str().unwrap().to_owned();
    let (status, ack) =
        call(reqwest::Method::PATCH, format!("/api/v2/customer/{child_id}"), Some(json!({ "name": "Volvo" }))).await;
    assert_eq!(status, 200, "{ack}");
    let request_id = ack["content"][0]["requestId"].as_str().unwrap().to_owned();

    // SIGKILL, then a new process on the same database.
    drop(server);
    let server = start(&url, None).await;
    let get = |path: String| get_json(&client, format!("{}{path}", server.base), &key);
    assert_eq!(get(format!("/api/v2/global/call/{request_id}")).await["content"], json!([{ "status": "SUCCESS" }]));
    assert_eq!(get(format!("/api/v2/customer/{child_id}")).await["content"][0]["name"], "Volvo");
    let children = get(format!("/api/v2/customer/{root}/child-customers")).await;
    assert_eq!(children["content"], json!([{ "customerId": child_id, "customerName": "Volvo" }]));
}
