//! Hostile payment signatures: refused as a 400 naming `signature.base64SvgSignature`, nothing
//! stored, and the server keeps answering while they are checked.

use crate::helpers::*;
use axum::http::{Method, StatusCode};
use base64::Engine;
use custodian_domain::DataDomain;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const OPEN: &str =
    r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="80">"#;

/// ~22 KB: 700 nested `<svg>` elements (this overflowed the stack and aborted the process).
fn nested_svgs() -> String {
    format!(
        r#"{OPEN}{}<path d="M1 1 L9 9" stroke="black"/>{}</svg>"#,
        r#"<svg width="190" height="70">"#.repeat(700),
        "</svg>".repeat(700)
    )
}

/// ~54 KB: 1,000 chained clip paths (13–27 s of CPU each).
fn chained_clip_paths() -> String {
    let mut svg = format!(r#"{OPEN}<defs><clipPath id="c0"><rect width="190" height="70"/></clipPath>"#);
    for i in 1..1000 {
        svg += &format!(r#"<clipPath id="c{i}" clip-path="url(#c{})"><rect width="190" height="70"/></clipPath>"#, i - 1);
    }
    svg + r#"</defs><path d="M1 1 L9 9" stroke="black" clip-path="url(#c999)"/></svg>"#
}

/// ~1.2 KB: `<use>` five levels deep, ten per level (served back as a 33 MB SVG).
fn use_fan_out() -> String {
    let mut svg = format!(r#"{OPEN}<defs><path id="l0" d="M1 1 L9 9" stroke="black"/>"#);
    for level in 1..=5 {
        svg += &format!(r#"<g id="l{level}">"#);
        for _ in 0..10 {
            svg += &format!(r##"<use xlink:href="#l{}"/>"##, level - 1);
        }
        svg += "</g>";
    }
    svg + r##"</defs><use xlink:href="#l5"/></svg>"##
}

fn payment_with_signature(svg: &str) -> Value {
    let mut body = payment_example();
    body["signature"] = json!({ "base64SvgSignature": base64::engine::general_purpose::STANDARD.encode(svg) });
    body
}

async fn a_signature_of_seven_hundred_nested_svgs_is_400_naming_the_signature_and_nothing_is_stored(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Payment, VERIFY, true)]).await;
    let c = app.customer(&t).await;
    let r = app.post(&ss(c, "payment-data"), &t.partner, payment_with_signature(&nested_svgs())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let e = r.json();
    assert_eq!(e["reference"], "signature.base64SvgSignature", "{e}");
    assert!(e["errorMessage"].as_str().unwrap().contains("nested <svg>"), "{e}");

    let g = app.get(&ss(c, "payment-data"), &t.partner).await.json();
    assert!(g.get("pendingAmendment").is_none(), "{g}");
    assert_eq!(g["bankName"], "Sparkasse", "{g}");
    let all = app.get("/api/v1/amendments?state=any", &t.staff).await.json();
    assert_eq!(item_ids(&all), Vec::<i64>::new(), "nothing stored: {all}");

    // The same customer can still sign with a real signature.
    let ok = app.post(&ss(c, "payment-data"), &t.partner, payment_example()).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
}

async fn health_answers_while_hostile_signatures_are_checked(app: TestApp) {
    let t = app.tenant(&[(DataDomain::Payment, DIRECT, true)]).await;
    let app = Arc::new(app);
    let hostile = [nested_svgs(), chained_clip_paths(), use_fan_out()];
    let mut in_flight = Vec::new();
    // Three of each kind: more than the test runtime's four worker threads.
    for svg in hostile.iter().cycle().take(9) {
        let c = app.customer(&t).await;
        let (app, key, body) = (app.clone(), t.partner.clone(), payment_with_signature(svg));
        in_flight.push(tokio::spawn(async move { app.post(&ss(c, "payment-data"), &key, body).await }));
    }

    // A generous bound: the unguarded sanitiser kept /health waiting 12–34 s (or aborted).
    let started = Instant::now();
    let health = app.send(Method::GET, "/health", None, None).await;
    let took = started.elapsed();
    assert_eq!(health.status, StatusCode::OK);
    assert!(took < Duration::from_secs(5), "/health took {took:?} while hostile signatures were checked");

    for r in in_flight {
        let r = tokio::time::timeout(Duration::from_secs(30), r).await.expect("a hostile signature is refused in time").unwrap();
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        assert_eq!(r.json()["reference"], "signature.base64SvgSignature");
    }
    let all = app.get("/api/v1/amendments?state=any", &t.staff).await.json();
    assert_eq!(item_ids(&all), Vec::<i64>::new(), "nothing stored: {all}");
}

both_backends!(
    a_signature_of_seven_hundred_nested_svgs_is_400_naming_the_signature_and_nothing_is_stored,
    health_answers_while_hostile_signatures_are_checked,
);
