//! The statements of a customer write, one definition each, and the work that prepares their
//! values: shared by the sqlx path (`shared.rs`, both backends) and SQLite's group writer
//! (`sqlite_writer.rs`), so that the two cannot drift apart.
//!
//! Placeholders are `$n`: PostgreSQL's numbered parameters, and on SQLite named parameters called
//! `$1`, `$2`, … (the group writer binds them by name).

use custodian_domain::{DataDomain, TenantId};
use custodian_store::audit::{HashedFields, chain_key, entry_hash, values_digest};
use custodian_store::{Apply, NewAudit, StoreError, StoreResult};

/// Marks the idempotency receipt a request holds as committed, in the request's own write
/// transaction ($1 receipt, $2 tenant, $3 token); no row means another request took it over.
pub(crate) const MARK_RECEIPT_COMMITTED: &str =
    "UPDATE idempotency_receipts SET state = 'committed' WHERE id = $1 AND tenant_id = $2 AND token = $3";

/// A new customer ($1 tenant, $2 time), returning its id; a foreign-key violation for an unknown
/// tenant.
pub(crate) const INSERT_CUSTOMER: &str =
    "INSERT INTO customers (tenant_id, event_seq, created_ms, updated_ms) VALUES ($1, 0, $2, $2) RETURNING id";

/// Sets a customer's `updated_ms` ($1 time, $2 tenant, $3 customer).
pub(crate) const TOUCH_CUSTOMER: &str = "UPDATE customers SET updated_ms = $1 WHERE tenant_id = $2 AND id = $3";

/// Touches the customer row ($1 tenant, $2 customer, $3 new `updated_ms` or NULL to keep it): the
/// tenant check of every write, a row lock on PostgreSQL. No row: another tenant's, erased or absent.
pub(crate) const LOCK_CUSTOMER: &str =
    "UPDATE customers SET updated_ms = COALESCE($3, updated_ms) WHERE tenant_id = $1 AND id = $2 AND erased_ms IS NULL";

/// A domain's first data ($1 tenant, $2 customer, $3 domain, $4 data, $5 time); no row when the
/// domain has data already (a concurrent first write won).
pub(crate) const INSERT_DOMAIN: &str = "INSERT INTO customer_domains (tenant_id, customer_id, domain, data, version, updated_ms) \
     VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (customer_id, domain) DO NOTHING";

/// New data of a domain at the version it was decided on ($1 data, $2 time, $3 tenant, $4 customer,
/// $5 domain, $6 expected version); no row when the version moved on.
pub(crate) const UPDATE_DOMAIN: &str = "UPDATE customer_domains SET data = $1, version = version + 1, updated_ms = $2 \
     WHERE tenant_id = $3 AND customer_id = $4 AND domain = $5 AND version = $6";

/// Removes the search terms one source contributed ($1 customer, $2 source).
pub(crate) const DELETE_SEARCH_TERMS: &str = "DELETE FROM customer_search_terms WHERE customer_id = $1 AND source = $2";

/// The search terms one source contributed for a customer ($1 customer, $2 source).
pub(crate) const SELECT_SEARCH_TERMS: &str = "SELECT term FROM customer_search_terms WHERE customer_id = $1 AND source = $2";

/// Removes one search term a source contributed ($1 customer, $2 source, $3 term).
pub(crate) const DELETE_SEARCH_TERM: &str =
    "DELETE FROM customer_search_terms WHERE customer_id = $1 AND source = $2 AND term = $3";

/// `INSERT INTO customer_search_terms` of `terms` terms in one statement: $1 tenant, $2 customer,
/// $3 source, then one term each from $4.
pub(crate) fn insert_search_terms_sql(terms: usize) -> String {
    let rows: Vec<String> = (0..terms).map(|i| format!("($1, $2, $3, ${})", i + 4)).collect();
    format!("INSERT INTO customer_search_terms (tenant_id, customer_id, source, term) VALUES {}", rows.join(", "))
}

/// An amendment ($1 tenant … $11 decided time), returning its id. The unique partial index on
/// pending amendments refuses a second pending one for a customer's domain.
pub(crate) const INSERT_AMENDMENT: &str = "INSERT INTO amendments (tenant_id, customer_id, domain, state, proposed, signature_svg, \
     base_version, submitted_by, submitted_ms, decided_by, decided_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";

/// A pending amendment's decision ($1 state, $2 by, $3 time, $4 reason, $5 tenant, $6 customer,
/// $7 id); no row when it is no longer pending (exactly one decision wins).
pub(crate) const DECIDE_AMENDMENT: &str = "UPDATE amendments SET state = $1, decided_by = $2, decided_ms = $3, rejection_reason = $4 \
     WHERE tenant_id = $5 AND customer_id = $6 AND id = $7 AND state = 'pending'";

/// Locks (creating it if needed) the head of one audit chain ($1 tenant, $2 chain) and returns
/// its hash.
pub(crate) const LOCK_AUDIT_CHAIN: &str = "INSERT INTO audit_chain_heads (tenant_id, chain, entries, head_hash) VALUES ($1, $2, 0, '') \
     ON CONFLICT (tenant_id, chain) DO UPDATE SET entries = audit_chain_heads.entries RETURNING head_hash";

/// One audit entry ([`AuditRow`], in its field order); the `audit_chain_advance` trigger moves
/// the chain's head to it.
pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_entries (tenant_id, customer_id, at_ms, actor, action, domain, amendment_id, \
     changes, request_id, values_salt, values_digest, prev_hash, entry_hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

/// Advances a customer's event sequence by $3 ($1 tenant, $2 customer), returning the last number.
pub(crate) const ADVANCE_EVENT_SEQ: &str =
    "UPDATE customers SET event_seq = event_seq + $3 WHERE tenant_id = $1 AND id = $2 RETURNING event_seq";

/// A customer's event sequence, the last number given ($1 tenant, $2 customer).
pub(crate) const EVENT_SEQ: &str = "SELECT event_seq FROM customers WHERE tenant_id = $1 AND id = $2";

/// The hash of an audit chain's head ($1 tenant, $2 chain).
pub(crate) const AUDIT_CHAIN_HEAD: &str = "SELECT head_hash FROM audit_chain_heads WHERE tenant_id = $1 AND chain = $2";

/// `sql` without its `RETURNING` clause. SQLite collects a `RETURNING` statement's rows in a
/// temporary b-tree, with a page cache of its own made and dropped at every execution; the group
/// writer, the only writer while it runs, reads the same values afterwards instead (the new row's
/// id from `last_insert_rowid`, the others with a plain `SELECT`).
pub(crate) fn without_returning(sql: &'static str) -> &'static str {
    sql.rsplit_once(" RETURNING ").map_or(sql, |(statement, _)| statement)
}

/// `INSERT INTO outbox_events … VALUES` with `rows` rows: $1 tenant, $2 customer, then seq,
/// event type, payload, request id and time per row. The same text for the same number of
/// rows, so the statement is prepared once per connection and count.
pub(crate) fn insert_events_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO outbox_events (tenant_id, customer_id, seq, event_type, payload, request_id, created_ms) VALUES ",
    );
    for i in 0..rows {
        let p = 3 + 5 * i;
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("($1, $2, ${}, ${}, ${}, ${}, ${})", p, p + 1, p + 2, p + 3, p + 4));
    }
    sql
}

/// Fans a customer's events $3..=$4 ($1 tenant, $2 customer) out to the tenant's webhook
/// subscriptions, in sequence order.
pub(crate) const FAN_OUT_EVENTS: &str = "INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_id, customer_id, seq, status, \
     attempts, next_attempt_ms, created_ms) \
     SELECT e.tenant_id, s.id, e.id, e.customer_id, e.seq, 'pending', 0, e.created_ms, e.created_ms \
     FROM outbox_events e JOIN webhook_subscriptions s ON s.tenant_id = e.tenant_id \
     WHERE e.tenant_id = $1 AND e.customer_id = $2 AND e.seq >= $3 AND e.seq <= $4 \
     AND (s.event_types = '' OR s.event_types LIKE '% ' || e.event_type || ' %') \
     ORDER BY e.seq, s.id";

/// An [`Apply`] with its JSON text and search terms computed, so that this work is done before
/// the write transaction begins instead of while it holds the writer.
pub(crate) struct PreparedApply {
    pub domain: &'static str,
    pub data: String,
    /// `Some` for the domains that feed the search index (their old terms are replaced, even by none).
    pub terms: Option<Vec<String>>,
    pub expected_version: i64,
    pub at_ms: i64,
}

impl PreparedApply {
    pub(crate) fn new(apply: &Apply) -> PreparedApply {
        PreparedApply {
            domain: apply.data.domain().as_str(),
            data: apply.data.to_json().to_string(),
            terms: matches!(apply.data.domain(), DataDomain::Contact | DataDomain::Master)
                .then(|| custodian_domain::search::terms(&apply.data)),
            expected_version: apply.expected_version,
            at_ms: apply.at_ms,
        }
    }
}

/// The values of one [`INSERT_AUDIT`] row, chained to `prev_hash`.
pub(crate) struct AuditRow {
    pub tenant: i64,
    pub customer: Option<i64>,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub domain: Option<&'static str>,
    pub amendment_id: Option<i64>,
    pub changes: String,
    pub request_id: Option<String>,
    pub salt: String,
    pub digest: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The chains `entries` append to, in key order (the order their heads are locked in).
pub(crate) fn audit_chains(entries: &[NewAudit]) -> Vec<i64> {
    let mut chains: Vec<i64> = entries.iter().map(|a| chain_key(a.customer_id.map(|c| c.0))).collect();
    chains.sort_unstable();
    chains.dedup();
    chains
}

/// The chain an entry belongs to.
pub(crate) fn audit_chain(entry: &NewAudit) -> i64 {
    chain_key(entry.customer_id.map(|c| c.0))
}

/// Builds an entry's row: a fresh salt, the salted digest of its values and its hash over the
/// previous entry's hash (see `custodian_store::audit`).
pub(crate) fn audit_row(tenant: TenantId, a: &NewAudit, prev_hash: &str) -> StoreResult<AuditRow> {
    let salt = hex::encode(rand::random::<[u8; 16]>());
    let digest = values_digest(&salt, &a.changes);
    let names: Vec<&str> = a.changes.iter().map(|c| c.field.as_str()).collect();
    let actor = a.actor.to_string();
    let fields = HashedFields {
        tenant: tenant.0,
        customer: a.customer_id.map(|c| c.0),
        at_ms: a.at_ms,
        actor: &actor,
        action: &a.action,
        domain: a.domain.map(|d| d.as_str()),
        amendment_id: a.amendment_id.map(|i| i.0),
        values_digest: &digest,
        request_id: a.request_id.as_deref(),
    };
    let hash = entry_hash(prev_hash, &fields, &names);
    Ok(AuditRow {
        tenant: tenant.0,
        customer: a.customer_id.map(|c| c.0),
        at_ms: a.at_ms,
        domain: a.domain.map(|d| d.as_str()),
        amendment_id: a.amendment_id.map(|i| i.0),
        actor,
        action: a.action.clone(),
        changes: serde_json::to_string(&a.changes).map_err(|e| StoreError::Backend(e.to_string()))?,
        request_id: a.request_id.clone(),
        salt,
        digest,
        prev_hash: prev_hash.to_owned(),
        hash,
    })
}

/// An event's payload with its sequence number (its last member), as stored.
pub(crate) fn event_payload(payload: &serde_json::Value, seq: i64) -> String {
    match event_payload_around_seq(payload) {
        (head, Some(tail)) => format!("{head}{seq}{tail}"),
        (text, None) => text,
    }
}

/// [`event_payload`] around the sequence number, for a statement that numbers the events itself:
/// `head`, the number, then `tail`. No tail for a payload that is not an object (it gets no
/// number: the text is `head` alone).
pub(crate) fn event_payload_around_seq(payload: &serde_json::Value) -> (String, Option<String>) {
    let Some(members) = payload.as_object() else { return (payload.to_string(), None) };
    let others: serde_json::Map<String, serde_json::Value> =
        members.iter().filter(|(k, _)| k.as_str() != "sequence").map(|(k, v)| (k.clone(), v.clone())).collect();
    let head = if others.is_empty() {
        String::from("{\"sequence\":")
    } else {
        let text = serde_json::Value::Object(others).to_string();
        format!("{},\"sequence\":", &text[..text.len() - 1])
    };
    (head, Some("}".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_event_payload_gets_its_sequence_number_as_its_last_member() {
        let text = event_payload(&json!({"type": "customer.updated", "customerId": 7, "data": {"sequence": "x"}}), 12);
        assert_eq!(text, r#"{"type":"customer.updated","customerId":7,"data":{"sequence":"x"},"sequence":12}"#);
        assert_eq!(event_payload(&json!({}), 1), r#"{"sequence":1}"#);
    }

    #[test]
    fn an_event_payload_that_has_a_sequence_number_gets_the_new_one_in_its_place() {
        let text = event_payload(&json!({"sequence": 3, "type": "customer.updated"}), 4);
        assert_eq!(text, r#"{"type":"customer.updated","sequence":4}"#);
    }

    #[test]
    fn a_statement_without_returning_is_the_statement_before_its_returning_clause() {
        assert_eq!(
            without_returning(ADVANCE_EVENT_SEQ),
            "UPDATE customers SET event_seq = event_seq + $3 WHERE tenant_id = $1 AND id = $2"
        );
        assert!(without_returning(INSERT_AMENDMENT).ends_with("$9, $10, $11)"));
        assert_eq!(without_returning(INSERT_DOMAIN), INSERT_DOMAIN);
    }

    #[test]
    fn a_payload_that_is_not_an_object_is_stored_as_it_is() {
        assert_eq!(event_payload_around_seq(&json!([1, 2])), ("[1,2]".to_owned(), None));
        assert_eq!(event_payload(&json!("text"), 5), r#""text""#);
    }
}
