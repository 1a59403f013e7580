//! The data-protection SQL shared by both backends, expanded per driver by `impl_privacy_store!`
//! after `impl_store!` and `impl_webhook_store!` (it reuses their row readers, the customer lock
//! and the record writers). The tables below are every table that holds a customer's personal
//! data; the export reads each of them and the erasure reaches each of them.

/// A customer's outbox event payloads ($1 tenant, $2 customer), in id order.
pub(crate) const SELECT_CUSTOMER_EVENT_PAYLOADS: &str =
    "SELECT id, payload FROM outbox_events WHERE tenant_id = $1 AND customer_id = $2 ORDER BY id";

/// Replaces an outbox event's payload ($1 payload, $2 event id).
pub(crate) const SET_EVENT_PAYLOAD: &str = "UPDATE outbox_events SET payload = $1 WHERE id = $2";

/// How many sub-customers a customer has in the partner hierarchy ($1 tenant, $2 customer).
pub(crate) const COUNT_PARTNER_CHILDREN: &str = "SELECT COUNT(*) FROM partner_customers WHERE tenant_id = $1 AND parent_id = $2";

/// The ids of a customer's pending amendments ($1 tenant, $2 customer), in id order.
pub(crate) const SELECT_PENDING_AMENDMENT_IDS: &str =
    "SELECT id FROM amendments WHERE tenant_id = $1 AND customer_id = $2 AND state = 'pending' ORDER BY id";

/// Marks a customer erased at $3 time and drops its external id ($1 tenant, $2 customer).
pub(crate) const MARK_CUSTOMER_ERASED: &str =
    "UPDATE customers SET erased_ms = $3, updated_ms = $3, external_id = NULL WHERE tenant_id = $1 AND id = $2";

/// How a column is read into the export.
#[derive(Clone, Copy)]
pub(crate) enum Col {
    Int,
    Text,
    Bool,
    /// A TEXT column holding a JSON document, inlined.
    Json,
    /// A BLOB holding a response body: inlined as JSON when it is, else as text.
    Body,
}

use Col::{Body, Bool, Int, Json, Text};

/// The wealth persons of a customer ($1 tenant, $2 customer): related persons and its primary person.
pub(crate) const SELECT_PERSONS_OF_CUSTOMER: &str = "SELECT person_id FROM wealth_person_customers WHERE tenant_id = $1 AND customer_id = $2 \
     UNION SELECT primary_person_id FROM wealth_profiles WHERE tenant_id = $1 AND customer_id = $2";

/// A table of the export: its name, the statement that reads a customer's rows ($1 tenant,
/// $2 customer) and the columns read.
pub(crate) type ExportedTable = (&'static str, String, &'static [(&'static str, Col)]);

/// Every other table's rows about a customer, for the export: table, query ($1 tenant,
/// $2 customer) and its columns.
pub(crate) fn exported_tables() -> Vec<ExportedTable> {
    vec![
        (
            "customers",
            "SELECT external_id FROM customers WHERE tenant_id = $1 AND id = $2 AND external_id IS NOT NULL".into(),
            &[("external_id", Text)],
        ),
        (
            "customer_search_terms",
            "SELECT source, term FROM customer_search_terms WHERE tenant_id = $1 AND customer_id = $2 ORDER BY source, term"
                .into(),
            &[("source", Text), ("term", Text)],
        ),
        (
            "billing_profiles",
            "SELECT customer_number, data, version, created_ms, updated_ms FROM billing_profiles \
             WHERE tenant_id = $1 AND customer_id = $2"
                .into(),
            &[("customer_number", Text), ("data", Json), ("version", Int), ("created_ms", Int), ("updated_ms", Int)],
        ),
        (
            "billing_receipts",
            "SELECT id, request_id, fingerprint, customer_number, created_ms FROM billing_receipts \
             WHERE tenant_id = $1 AND customer_id = $2 ORDER BY id"
                .into(),
            &[("id", Int), ("request_id", Text), ("fingerprint", Text), ("customer_number", Text), ("created_ms", Int)],
        ),
        (
            "wealth_profiles",
            "SELECT profile, kyc, primary_person_id, created_ms, updated_ms FROM wealth_profiles \
             WHERE tenant_id = $1 AND customer_id = $2"
                .into(),
            &[("profile", Json), ("kyc", Json), ("primary_person_id", Int), ("created_ms", Int), ("updated_ms", Int)],
        ),
        (
            "wealth_person_customers",
            "SELECT person_id, relation FROM wealth_person_customers WHERE tenant_id = $1 AND customer_id = $2 \
             ORDER BY person_id, relation"
                .into(),
            &[("person_id", Int), ("relation", Text)],
        ),
        (
            "wealth_persons",
            format!(
                "SELECT id, data, created_ms, updated_ms FROM wealth_persons WHERE tenant_id = $1 AND id IN ({SELECT_PERSONS_OF_CUSTOMER}) ORDER BY id"
            ),
            &[("id", Int), ("data", Json), ("created_ms", Int), ("updated_ms", Int)],
        ),
        (
            "wealth_contact_details",
            format!(
                "SELECT id, person_id, data, created_ms FROM wealth_contact_details \
                 WHERE tenant_id = $1 AND person_id IN ({SELECT_PERSONS_OF_CUSTOMER}) ORDER BY id"
            ),
            &[("id", Int), ("person_id", Int), ("data", Json), ("created_ms", Int)],
        ),
        (
            "wealth_addresses",
            "SELECT number, data, created_ms, updated_ms FROM wealth_addresses WHERE tenant_id = $1 AND customer_id = $2 \
             ORDER BY number"
                .into(),
            &[("number", Int), ("data", Json), ("created_ms", Int), ("updated_ms", Int)],
        ),
        (
            "wealth_consents",
            "SELECT id, service_user, granted_by, granted_ms, revoked_by, revoked_ms FROM wealth_consents \
             WHERE tenant_id = $1 AND customer_id = $2 ORDER BY id"
                .into(),
            &[
                ("id", Int),
                ("service_user", Text),
                ("granted_by", Text),
                ("granted_ms", Int),
                ("revoked_by", Text),
                ("revoked_ms", Int),
            ],
        ),
        (
            "partner_customers",
            "SELECT uuid, parent_id, ancestry, profile, version, created_ms, updated_ms FROM partner_customers \
             WHERE tenant_id = $1 AND customer_id = $2"
                .into(),
            &[
                ("uuid", Text),
                ("parent_id", Int),
                ("ancestry", Text),
                ("profile", Json),
                ("version", Int),
                ("created_ms", Int),
                ("updated_ms", Int),
            ],
        ),
        (
            "partner_contacts",
            "SELECT id, position, is_primary, data FROM partner_contacts WHERE tenant_id = $1 AND customer_id = $2 \
             ORDER BY position"
                .into(),
            &[("id", Text), ("position", Int), ("is_primary", Bool), ("data", Json)],
        ),
        (
            "partner_addresses",
            "SELECT id, position, is_primary, data FROM partner_addresses WHERE tenant_id = $1 AND customer_id = $2 \
             ORDER BY position"
                .into(),
            &[("id", Text), ("position", Int), ("is_primary", Bool), ("data", Json)],
        ),
        (
            "partner_operations",
            "SELECT request_id, kind, target_uuid, status, failure_code, failure_message, created_ms, finished_ms \
             FROM partner_operations WHERE tenant_id = $1 AND (requester_id = $2 OR target_uuid IN \
             (SELECT uuid FROM partner_customers WHERE tenant_id = $1 AND customer_id = $2)) ORDER BY created_ms, request_id"
                .into(),
            &[
                ("request_id", Text),
                ("kind", Text),
                ("target_uuid", Text),
                ("status", Text),
                ("failure_code", Text),
                ("failure_message", Text),
                ("created_ms", Int),
                ("finished_ms", Int),
            ],
        ),
        (
            "idempotency_receipts",
            "SELECT principal, idempotency_key, state, status, body, created_ms, completed_ms FROM idempotency_receipts \
             WHERE tenant_id = $1 AND customer_id = $2 ORDER BY id"
                .into(),
            &[
                ("principal", Text),
                ("idempotency_key", Text),
                ("state", Text),
                ("status", Int),
                ("body", Body),
                ("created_ms", Int),
                ("completed_ms", Int),
            ],
        ),
        (
            "api_keys",
            "SELECT k.prefix, k.scopes, k.label, k.created_ms, k.revoked_ms FROM api_keys k \
             JOIN api_key_customers b ON b.api_key_id = k.id WHERE b.tenant_id = $1 AND b.customer_id = $2 ORDER BY k.id"
                .into(),
            &[("prefix", Text), ("scopes", Text), ("label", Text), ("created_ms", Int), ("revoked_ms", Int)],
        ),
    ]
}

/// The statements of an erasure, in order: the key under which the report counts its
/// rows, the statement ($1 tenant, $2 customer), and whether it also takes the time ($3).
/// Children before parents, so that foreign keys hold throughout.
pub(crate) fn erasure_statements() -> Vec<(&'static str, String, bool)> {
    let by_customer =
        |table: &'static str| (table, format!("DELETE FROM {table} WHERE tenant_id = $1 AND customer_id = $2"), false);
    vec![
        by_customer("amendments"),
        by_customer("customer_domains"),
        by_customer("customer_search_terms"),
        // Completed receipts hold response bodies; the erasure's own receipt (marked in this
        // transaction, completed after it) keeps only ids.
        (
            "idempotency_receipts",
            "DELETE FROM idempotency_receipts WHERE tenant_id = $1 AND customer_id = $2 AND state = 'completed'".into(),
            false,
        ),
        by_customer("billing_receipts"),
        by_customer("billing_profiles"),
        by_customer("wealth_person_customers"),
        by_customer("wealth_profiles"),
        by_customer("wealth_addresses"),
        by_customer("wealth_consents"),
        (
            "api_keys",
            "UPDATE api_keys SET revoked_ms = $3 WHERE tenant_id = $1 AND revoked_ms IS NULL AND id IN \
             (SELECT api_key_id FROM api_key_customers WHERE tenant_id = $1 AND customer_id = $2)"
                .into(),
            true,
        ),
        by_customer("api_key_customers"),
        (
            "partner_operations",
            "DELETE FROM partner_operations WHERE tenant_id = $1 AND (requester_id = $2 OR target_uuid IN \
             (SELECT uuid FROM partner_customers WHERE tenant_id = $1 AND customer_id = $2))"
                .into(),
            false,
        ),
        by_customer("partner_contacts"),
        by_customer("partner_addresses"),
        by_customer("partner_customers"),
        (
            "webhook_deliveries",
            "UPDATE webhook_deliveries SET last_error = NULL \
             WHERE tenant_id = $1 AND customer_id = $2 AND last_error IS NOT NULL"
                .into(),
            false,
        ),
    ]
}

/// A customer's amendments ($1 tenant, $2 customer), in id order, for the export.
pub(crate) const SELECT_CUSTOMER_AMENDMENTS: &str = "SELECT id, tenant_id, customer_id, domain, state, proposed, signature_svg, base_version, \
     submitted_by, submitted_ms, decided_by, decided_ms, rejection_reason FROM amendments \
     WHERE tenant_id = $1 AND customer_id = $2 ORDER BY id";

/// A customer's audit entries ($1 tenant, $2 customer), in id order, for the export.
pub(crate) const SELECT_CUSTOMER_AUDIT: &str = "SELECT id, customer_id, at_ms, actor, action, domain, amendment_id, changes, request_id \
     FROM audit_entries WHERE tenant_id = $1 AND customer_id = $2 ORDER BY id";

/// A customer's webhook deliveries with their events' types ($1 tenant, $2 customer), in
/// (sequence, subscription) order, for the export.
pub(crate) const SELECT_CUSTOMER_DELIVERIES: &str = "SELECT d.id, d.subscription_id, d.event_id, e.event_type, d.customer_id, d.seq, d.status, \
     d.attempts, d.next_attempt_ms, d.last_status_code, d.last_error, d.created_ms, d.delivered_ms \
     FROM webhook_deliveries d JOIN outbox_events e ON e.id = d.event_id \
     WHERE d.tenant_id = $1 AND d.customer_id = $2 ORDER BY d.seq, d.subscription_id";

/// Deletes a wealth person's contact details ($1 tenant, $2 person) if the person belongs to no
/// customer any more (related to none and primary person of none).
pub(crate) const DELETE_ORPHANED_CONTACT_DETAILS: &str = "DELETE FROM wealth_contact_details WHERE tenant_id = $1 AND person_id = $2 \
     AND NOT EXISTS (SELECT 1 FROM wealth_person_customers WHERE person_id = $2) \
     AND NOT EXISTS (SELECT 1 FROM wealth_profiles WHERE primary_person_id = $2)";

/// Deletes a wealth person ($1 tenant, $2 person) if it belongs to no customer any more (related
/// to none and primary person of none).
pub(crate) const DELETE_ORPHANED_PERSON: &str = "DELETE FROM wealth_persons WHERE tenant_id = $1 AND id = $2 \
     AND NOT EXISTS (SELECT 1 FROM wealth_person_customers WHERE person_id = $2) \
     AND NOT EXISTS (SELECT 1 FROM wealth_profiles WHERE primary_person_id = $2)";

macro_rules! impl_privacy_store {
    ($store:ident, $db:ty, $row:ty) => {
        mod privacy_impl {
            use super::webhook_impl::delivery_row;
            use super::{
                Tx, amendment_row, audit_row, commit, customer_from_rows, erase_audit_values, event_row, execute_counted, get,
                lock_customer, write_records, $store,
            };
            use crate::privacy_sql::Col::{Body, Bool, Int, Json, Text};
            use crate::privacy_sql::{Col, erasure_statements, exported_tables};
            use async_trait::async_trait;
            use custodian_domain::{AmendmentId, CustomerId, TenantId};
            use custodian_store::privacy::{CustomerDossier, ErasureRecords, ErasureReport, PrivacyStore};
            use custodian_store::{Records, StoreError, StoreResult};
            use serde_json::{Map, Value};
            use std::collections::BTreeMap;

            fn row_json(r: &$row, cols: &[(&str, Col)]) -> StoreResult<Value> {
                let mut out = Map::new();
                for (name, col) in cols {
                    let v = match col {
                        Int => get::<Option<i64>>(r, name)?.map_or(Value::Null, Value::from),
                        Text => get::<Option<String>>(r, name)?.map_or(Value::Null, Value::from),
                        Bool => Value::from(get::<bool>(r, name)?),
                        Body => match get::<Option<Vec<u8>>>(r, name)? {
                            Some(b) => serde_json::from_slice(&b)
                                .unwrap_or_else(|_| Value::from(String::from_utf8_lossy(&b).into_owned())),
                            None => Value::Null,
                        },
                        Json => match get::<Option<String>>(r, name)? {
                            Some(s) => serde_json::from_str(&s)
                                .map_err(|e| StoreError::Backend(format!("stored JSON in {name} is invalid: {e}")))?,
                            None => Value::Null,
                        },
                    };
                    out.insert((*name).to_owned(), v);
                }
                Ok(Value::Object(out))
            }

            /// The keys an event payload keeps after erasure: its envelope, which names no person.
            const EVENT_ENVELOPE: [&str; 9] =
                ["id", "type", "tenantId", "customerId", "occurredAt", "requestId", "sequence", "domain", "amendmentId"];

            /// Deletes the wealth persons (and their contact details) that belonged only to the
            /// erased customer; persons still related to another customer stay.
            async fn erase_orphaned_persons(
                tx: &mut Tx,
                tenant: TenantId,
                persons: &[i64],
                report: &mut ErasureReport,
            ) -> StoreResult<()> {
                for person in persons {
                    for (table, sql) in [
                        ("wealth_contact_details", crate::privacy_sql::DELETE_ORPHANED_CONTACT_DETAILS),
                        ("wealth_persons", crate::privacy_sql::DELETE_ORPHANED_PERSON),
                    ] {
                        *report.rows.entry(table.to_owned()).or_default() +=
                            execute_counted(tx, sql, &[tenant.0, *person]).await?;
                    }
                }
                Ok(())
            }

            /// Reduces each event payload of the customer to its envelope.
            async fn strip_event_payloads(tx: &mut Tx, tenant: TenantId, customer: CustomerId) -> StoreResult<u64> {
                let rows = sqlx::query(crate::privacy_sql::SELECT_CUSTOMER_EVENT_PAYLOADS)
                    .bind(tenant.0)
                    .bind(customer.0)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(crate::backend_error)?;
                let mut n = 0;
                for r in &rows {
                    let id: i64 = get(r, "id")?;
                    let payload: Value = serde_json::from_str(&get::<String>(r, "payload")?)
                        .map_err(|e| StoreError::Backend(format!("stored event payload is invalid: {e}")))?;
                    let mut kept = Map::new();
                    if let Value::Object(fields) = payload {
                        for (k, v) in fields {
                            if EVENT_ENVELOPE.contains(&k.as_str()) {
                                kept.insert(k, v);
                            }
                        }
                    }
                    kept.insert("erased".into(), Value::Bool(true));
                    sqlx::query(crate::privacy_sql::SET_EVENT_PAYLOAD)
                        .bind(Value::Object(kept).to_string())
                        .bind(id)
                        .execute(&mut **tx)
                        .await
                        .map_err(crate::backend_error)?;
                    n += 1;
                }
                Ok(n)
            }

            /// The rows a query about one customer ($1 tenant, $2 customer) finds, in the transaction.
            async fn customer_rows(tx: &mut Tx, sql: &str, tenant: TenantId, customer: CustomerId) -> StoreResult<Vec<$row>> {
                sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                    .bind(tenant.0)
                    .bind(customer.0)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(crate::backend_error)
            }

            #[async_trait]
            impl PrivacyStore for $store {
                async fn export_customer(
                    &self,
                    tenant: TenantId,
                    customer: CustomerId,
                    records: Records,
                ) -> StoreResult<CustomerDossier> {
                    let mut tx = self.begin_write().await?;
                    lock_customer(&mut tx, tenant, customer).await?;
                    write_records(&mut tx, tenant, Some(customer), &records).await?;
                    let customer_row =
                        customer_from_rows(&customer_rows(&mut tx, crate::shared::CUSTOMER_SQL, tenant, customer).await?)?;
                    let sql = crate::privacy_sql::SELECT_CUSTOMER_AMENDMENTS;
                    let amendments = customer_rows(&mut tx, sql, tenant, customer)
                        .await?
                        .iter()
                        .map(amendment_row)
                        .collect::<StoreResult<_>>()?;
                    let sql = crate::privacy_sql::SELECT_CUSTOMER_AUDIT;
                    let audit =
                        customer_rows(&mut tx, sql, tenant, customer).await?.iter().map(audit_row).collect::<StoreResult<_>>()?;
                    let sql = crate::shared::SELECT_CUSTOMER_EVENTS;
                    let events =
                        customer_rows(&mut tx, sql, tenant, customer).await?.iter().map(event_row).collect::<StoreResult<_>>()?;
                    let sql = crate::privacy_sql::SELECT_CUSTOMER_DELIVERIES;
                    let deliveries = customer_rows(&mut tx, sql, tenant, customer)
                        .await?
                        .iter()
                        .map(delivery_row)
                        .collect::<StoreResult<_>>()?;
                    let mut rows = BTreeMap::new();
                    for (table, sql, cols) in exported_tables() {
                        let found = customer_rows(&mut tx, &sql, tenant, customer).await?;
                        if !found.is_empty() {
                            rows.insert(
                                table.to_owned(),
                                found.iter().map(|r| row_json(r, cols)).collect::<StoreResult<Vec<_>>>()?,
                            );
                        }
                    }
                    commit(tx).await?;
                    Ok(CustomerDossier { customer: customer_row, amendments, audit, events, deliveries, rows })
                }

                async fn erase_customer(
                    &self,
                    tenant: TenantId,
                    customer: CustomerId,
                    at_ms: i64,
                    records: ErasureRecords,
                ) -> StoreResult<ErasureReport> {
                    let mut tx = self.begin_write().await?;
                    lock_customer(&mut tx, tenant, customer).await?;
                    let children: i64 = sqlx::query_scalar(crate::privacy_sql::COUNT_PARTNER_CHILDREN)
                        .bind(tenant.0)
                        .bind(customer.0)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    if children > 0 {
                        return Err(StoreError::Conflict(format!(
                            "has {children} sub-customer(s) in the partner hierarchy; erase them first"
                        )));
                    }
                    let withdrawn: Vec<AmendmentId> =
                        sqlx::query_scalar::<_, i64>(crate::privacy_sql::SELECT_PENDING_AMENDMENT_IDS)
                            .bind(tenant.0)
                            .bind(customer.0)
                            .fetch_all(&mut *tx)
                            .await
                            .map_err(crate::backend_error)?
                            .into_iter()
                            .map(AmendmentId)
                            .collect();
                    let persons: Vec<i64> = sqlx::query_scalar(crate::privacy_sql::SELECT_PERSONS_OF_CUSTOMER)
                        .bind(tenant.0)
                        .bind(customer.0)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    let mut report = ErasureReport { rows: BTreeMap::new(), withdrawn: withdrawn.clone() };
                    for (table, sql, timed) in erasure_statements() {
                        let n = if timed {
                            execute_counted(&mut tx, &sql, &[tenant.0, customer.0, at_ms]).await?
                        } else {
                            execute_counted(&mut tx, &sql, &[tenant.0, customer.0]).await?
                        };
                        *report.rows.entry(table.to_owned()).or_default() += n;
                    }
                    erase_orphaned_persons(&mut tx, tenant, &persons, &mut report).await?;
                    report.rows.insert("audit_entries".into(), erase_audit_values(&mut tx, tenant, customer).await?);
                    report.rows.insert("outbox_events".into(), strip_event_payloads(&mut tx, tenant, customer).await?);
                    report.rows.insert(
                        "customers".into(),
                        execute_counted(&mut tx, crate::privacy_sql::MARK_CUSTOMER_ERASED, &[tenant.0, customer.0, at_ms])
                            .await?,
                    );
                    write_records(&mut tx, tenant, Some(customer), &records(&withdrawn)).await?;
                    commit(tx).await?;
                    // The keys bound to the customer were revoked (the epoch trigger tells the
                    // other processes).
                    self.cache.invalidate();
                    self.after_erasure().await?;
                    Ok(report)
                }
            }
        }
    };
}
