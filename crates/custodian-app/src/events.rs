//! Builds audit entries and outbox events for changes, masking what must never leave in events
//! (full IBANs, signatures).

use crate::Context;
use crate::clock::rfc3339;
use custodian_domain::values::Iban;
use custodian_domain::{AmendmentId, CustomerId, DataDomain, FieldChange};
use custodian_store::{NewAudit, NewEvent};
use serde_json::{Value, json};

/// Masks a field's value for an event payload: IBANs keep only country and last four characters.
fn mask(field: &str, value: &Option<Value>) -> Value {
    match (field, value) {
        ("iban", Some(Value::String(s))) => Iban::parse(s).map(|i| Value::String(i.masked())).unwrap_or(Value::Null),
        (_, Some(v)) => v.clone(),
        (_, None) => Value::Null,
    }
}

/// The changed fields with their previous values (masked), as `customer.updated` carries them.
pub fn previous_values(changes: &[FieldChange]) -> Value {
    Value::Array(changes.iter().map(|c| json!({ "field": c.field, "previous": mask(&c.field, &c.before) })).collect())
}

/// An audit entry about one customer.
pub fn audit(
    ctx: &Context,
    customer: CustomerId,
    action: &str,
    domain: Option<DataDomain>,
    amendment: Option<AmendmentId>,
    changes: Vec<FieldChange>,
    at_ms: i64,
) -> NewAudit {
    NewAudit {
        customer_id: Some(customer),
        actor: ctx.actor.clone(),
        action: action.to_owned(),
        domain,
        amendment_id: amendment,
        changes,
        at_ms,
        request_id: ctx.request_id.clone(),
    }
}

/// A tenant-level audit entry (access management, settings): no customer, the fields it names
/// set (`after`) or ended (`before`). Never give it a secret.
pub fn tenant_audit(ctx: &Context, action: &str, changes: Vec<FieldChange>, at_ms: i64) -> NewAudit {
    NewAudit {
        customer_id: None,
        actor: ctx.actor.clone(),
        action: action.to_owned(),
        domain: None,
        amendment_id: None,
        changes,
        at_ms,
        request_id: ctx.request_id.clone(),
    }
}

/// The `changes` of a tenant-level audit entry: fields that came into being (`created`) or ended.
pub fn described(fields: Vec<(&str, Value)>, created: bool) -> Vec<FieldChange> {
    fields
        .into_iter()
        .map(|(field, v)| FieldChange {
            field: field.to_owned(),
            before: (!created).then(|| v.clone()),
            after: created.then_some(v),
        })
        .collect()
}

/// A native event; `extra` fields are merged into the common envelope.
pub fn event(ctx: &Context, event_type: &str, customer: CustomerId, at_ms: i64, extra: Value) -> NewEvent {
    let mut payload = json!({
        "id": new_event_id(),
        "type": event_type,
        "tenantId": ctx.tenant.0,
        "customerId": customer.0,
        "occurredAt": rfc3339(at_ms),
        "requestId": ctx.request_id,
    });
    if let (Some(p), Value::Object(extra)) = (payload.as_object_mut(), extra) {
        p.extend(extra);
    }
    NewEvent { event_type: event_type.to_owned(), payload, at_ms, request_id: ctx.request_id.clone() }
}

/// A unique event id: random 128 bits in UUID text form.
fn new_event_id() -> String {
    let b: [u8; 16] = rand::random();
    let h = hex::encode(b);
    format!("{}-{}-4{}-a{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}
