//! Request bodies and headers of the two delivery formats.

use crate::signing::{WebhookSecret, signature_header};
use custodian_store::OutboxEvent;
use custodian_store::webhooks::{Subscription, WebhookFormat};
use serde_json::{Value, json};

/// A request ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookRequest {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The unique id of an event, stable across retries (receivers deduplicate on it).
pub fn event_uuid(event: &OutboxEvent) -> String {
    event.payload.get("id").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| format!("evt_{}", event.id))
}

/// The vendor's event type: `customer.updated` → `CUSTOMER_UPDATED`.
pub fn vendor_type(event_type: &str) -> String {
    event_type.to_ascii_uppercase().replace('.', "_")
}

/// Builds the request for `event` in the subscription's format; `now_s` is the send time.
pub fn build(sub: &Subscription, event: &OutboxEvent, now_s: i64, now_ms: i64) -> WebhookRequest {
    let uuid = event_uuid(event);
    match sub.format {
        WebhookFormat::Standard => {
            let body = json!({
                "type": event.event_type,
                "timestamp": event.payload.get("occurredAt").cloned().unwrap_or(Value::Null),
                "data": event.payload,
            });
            let body = serde_json::to_vec(&body).expect("JSON serialises");
            let mut secrets = Vec::new();
            if let Ok(s) = WebhookSecret::parse(&sub.secret) {
                secrets.push(s);
            }
            if let (Some(prev), Some(until)) = (&sub.previous_secret, sub.previous_secret_until_ms)
                && until > now_ms
                && let Ok(s) = WebhookSecret::parse(prev)
            {
                secrets.push(s);
            }
            let refs: Vec<&WebhookSecret> = secrets.iter().collect();
            WebhookRequest {
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("webhook-id".into(), uuid.clone()),
                    ("webhook-timestamp".into(), now_s.to_string()),
                    ("webhook-signature".into(), signature_header(&refs, &uuid, now_s, &body)),
                ],
                body,
            }
        }
        WebhookFormat::Vendor => {
            // The vendor's webhooks are notifiers: the receiver fetches current data via the API.
            let mut content = serde_json::Map::new();
            for key in ["domain", "amendmentId", "sequence"] {
                if let Some(v) = event.payload.get(key) {
                    content.insert(key.into(), v.clone());
                }
            }
            let body = json!({
                "entityId": event.customer_id.0,
                "uuid": uuid,
                "payload": [{ "timestamp": event.at_ms, "type": vendor_type(&event.event_type), "content": content }],
            });
            WebhookRequest {
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("x-api-key".into(), sub.vendor_key.clone().unwrap_or_default()),
                ],
                body: serde_json::to_vec(&body).expect("JSON serialises"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custodian_domain::{CustomerId, TenantId};

    fn sub(format: WebhookFormat) -> Subscription {
        Subscription {
            id: 1,
            tenant_id: TenantId(1),
            url: "https://hooks.example.com/".into(),
            event_types: vec![],
            format,
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
            previous_secret: Some(WebhookSecret::generate().as_str().to_owned()),
            previous_secret_until_ms: Some(2_000),
            vendor_key: Some("vendor-key".into()),
            enabled: true,
            disabled_reason: None,
            consecutive_failures: 0,
            created_ms: 0,
            updated_ms: 0,
        }
    }

    fn event() -> OutboxEvent {
        OutboxEvent {
            id: 9,
            customer_id: CustomerId(42),
            seq: 3,
            event_type: "customer.updated".into(),
            payload: json!({ "id": "0b3c…", "type": "customer.updated", "customerId": 42, "domain": "contact", "sequence": 3,
                "changes": [{ "field": "email", "previous": "a@example.com" }], "occurredAt": "2026-11-26T10:00:00Z" }),
            at_ms: 1_764_151_200_000,
            request_id: None,
        }
    }

    #[test]
    fn the_standard_format_signs_id_timestamp_and_body_with_every_active_secret() {
        let s = sub(WebhookFormat::Standard);
        let r = build(&s, &event(), 1_700_000_000, 1_000);
        let header = |n: &str| r.headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(header("webhook-id"), "0b3c…");
        assert_eq!(header("webhook-timestamp"), "1700000000");
        let sigs: Vec<String> = header("webhook-signature").split(' ').map(str::to_owned).collect();
        assert_eq!(sigs.len(), 2, "current and previous secret during the overlap");
        let current = WebhookSecret::parse(&s.secret).unwrap();
        assert_eq!(sigs[0], current.sign("0b3c…", 1_700_000_000, &r.body));
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["type"], "customer.updated");
        assert_eq!(body["data"]["customerId"], 42);
        // After the overlap only the current secret signs.
        let later = build(&s, &event(), 1_700_000_000, 3_000);
        assert_eq!(later.headers.iter().find(|(k, _)| k == "webhook-signature").unwrap().1.split(' ').count(), 1);
    }

    #[test]
    fn the_vendor_format_is_a_notifier_with_the_webhook_key() {
        let r = build(&sub(WebhookFormat::Vendor), &event(), 1_700_000_000, 1_000);
        assert!(r.headers.contains(&("x-api-key".into(), "vendor-key".into())));
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["entityId"], 42);
        assert_eq!(body["uuid"], "0b3c…");
        assert_eq!(body["payload"][0]["type"], "CUSTOMER_UPDATED");
        assert_eq!(body["payload"][0]["timestamp"], 1_764_151_200_000i64);
        assert_eq!(body["payload"][0]["content"]["domain"], "contact");
        assert!(body["payload"][0]["content"].get("changes").is_none(), "no personal data in notifiers");
    }
}
