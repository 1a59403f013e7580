//! The SQL shared by both backends, written once and expanded per driver by `impl_store!`.
//!
//! Every statement uses `$n` placeholders and only types both drivers map the same way (BIGINT /
//! INTEGER as i64, TEXT, BOOLEAN). Write methods run in one transaction that first touches the
//! customer row (a row lock on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already serialises writers).
//!
//! The statements are the module-level constants below, one definition each; the customer-write
//! statements are in `sql.rs`.

/// Claims the once-per-database search-term backfill (no parameters); one row changed for the
/// first process to run it, none for the others.
pub(crate) const CLAIM_SEARCH_BACKFILL: &str = "INSERT INTO customer_search_backfill (id) VALUES (1) ON CONFLICT (id) DO NOTHING";

/// The next page of searchable domain data (contact and master) for the backfill, in (customer,
/// domain) order after $1 customer and $2 domain.
pub(crate) const SELECT_SEARCHABLE_DOMAINS_PAGE: &str = "SELECT tenant_id, customer_id, domain, data FROM customer_domains \
     WHERE (customer_id > $1 OR (customer_id = $1 AND domain > $2)) AND domain IN ('contact', 'master') \
     ORDER BY customer_id, domain LIMIT 1000";

/// Every billing profile's customer number, of all tenants (no parameters), for the backfill.
pub(crate) const SELECT_ALL_CUSTOMER_NUMBERS: &str = "SELECT tenant_id, customer_id, customer_number FROM billing_profiles";

/// A customer and its domains ($1 tenant, $2 customer): one statement, so the customer row and
/// its domains come from one snapshot. Erased customers are not found.
pub(crate) const CUSTOMER_SQL: &str = "SELECT c.id, c.tenant_id, c.created_ms, c.updated_ms, d.domain, d.data, d.version FROM customers c \
     LEFT JOIN customer_domains d ON d.customer_id = c.id AND d.tenant_id = c.tenant_id \
     WHERE c.tenant_id = $1 AND c.id = $2 AND c.erased_ms IS NULL";

/// The customer with its data of domain $3 and, in the same statement, its pending amendment of
/// that domain: one customer row (`kind` 0, amendment columns NULL; domain columns NULL when the
/// domain has no data), then at most one row of `kind` 1 with the amendment's columns named
/// `a_…` (customer and domain columns NULL). One snapshot; the other domains are not read. The
/// parameters first appear in the order $1, $2, $3: SQLite numbers `$n` parameters by first
/// appearance, and rusqlite binds them by position.
pub(crate) const CUSTOMER_PENDING_SQL: &str = "SELECT CAST(0 AS BIGINT) AS kind, c.id, c.tenant_id, c.created_ms, c.updated_ms, d.domain, d.data, d.version, \
     NULL AS a_id, NULL AS a_tenant_id, NULL AS a_customer_id, NULL AS a_domain, NULL AS a_state, NULL AS a_proposed, \
     NULL AS a_signature_svg, NULL AS a_base_version, NULL AS a_submitted_by, NULL AS a_submitted_ms, NULL AS a_decided_by, \
     NULL AS a_decided_ms, NULL AS a_rejection_reason FROM customers c \
     LEFT JOIN customer_domains d ON d.tenant_id = $1 AND d.customer_id = $2 AND d.domain = $3 \
     WHERE c.tenant_id = $1 AND c.id = $2 AND c.erased_ms IS NULL \
     UNION ALL \
     SELECT CAST(1 AS BIGINT), NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
     a.id, a.tenant_id, a.customer_id, a.domain, a.state, a.proposed, a.signature_svg, a.base_version, a.submitted_by, \
     a.submitted_ms, a.decided_by, a.decided_ms, a.rejection_reason FROM amendments a \
     WHERE a.tenant_id = $1 AND a.customer_id = $2 AND a.domain = $3 AND a.state = 'pending'";

/// The audit entries of a customer ($1 tenant, $2 customer) that still have their values' salt,
/// in id order: what an erasure blanks.
pub(crate) const SELECT_SALTED_AUDIT_OF_CUSTOMER: &str =
    "SELECT id, changes FROM audit_entries WHERE tenant_id = $1 AND customer_id = $2 AND values_salt IS NOT NULL ORDER BY id";

/// Replaces an audit entry's changes with their blanked form and deletes its salt ($1 changes,
/// $2 entry id).
pub(crate) const BLANK_AUDIT_VALUES: &str = "UPDATE audit_entries SET changes = $1, values_salt = NULL WHERE id = $2";

/// The health check's round trip (no parameters).
pub(crate) const PING: &str = "SELECT 1";

/// A new tenant ($1 name, $2 time), returning its row.
pub(crate) const INSERT_TENANT: &str = "INSERT INTO tenants (name, created_ms) VALUES ($1, $2) RETURNING id, name, created_ms";

/// One tenant ($1 tenant).
pub(crate) const SELECT_TENANT: &str = "SELECT id, name, created_ms FROM tenants WHERE id = $1";

/// Every tenant, in id order (no parameters).
pub(crate) const SELECT_TENANTS: &str = "SELECT id, name, created_ms FROM tenants ORDER BY id";

/// A new API key ($1 tenant, $2 prefix, $3 key hash, $4 scopes, $5 label, $6 time), returning
/// its id; a unique violation for a prefix or hash that exists.
pub(crate) const INSERT_API_KEY: &str = "INSERT INTO api_keys (tenant_id, prefix, key_hash, scopes, label, created_ms) \
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";

/// The unrevoked API key with hash $1.
pub(crate) const FIND_LIVE_KEY_BY_HASH: &str =
    "SELECT id, tenant_id, prefix, scopes, label, created_ms FROM api_keys WHERE key_hash = $1 AND revoked_ms IS NULL";

/// A tenant's unrevoked API keys ($1 tenant), in id order.
pub(crate) const SELECT_LIVE_KEYS_OF_TENANT: &str = "SELECT id, tenant_id, prefix, scopes, label, created_ms FROM api_keys WHERE tenant_id = $1 AND revoked_ms IS NULL ORDER BY id";

/// Locks a tenant's row without changing it ($1 tenant): serialises the tenant's guarded key
/// revocations.
pub(crate) const LOCK_TENANT: &str = "UPDATE tenants SET name = name WHERE id = $1";

/// The scopes of a tenant's unrevoked API key ($1 tenant, $2 prefix).
pub(crate) const SELECT_LIVE_KEY_SCOPES: &str =
    "SELECT scopes FROM api_keys WHERE tenant_id = $1 AND prefix = $2 AND revoked_ms IS NULL";

/// How many of a tenant's unrevoked API keys other than $2 prefix have the ADMIN scope ($1
/// tenant).
pub(crate) const COUNT_OTHER_LIVE_ADMIN_KEYS: &str = "SELECT COUNT(*) FROM api_keys WHERE tenant_id = $1 AND prefix <> $2 AND revoked_ms IS NULL \
     AND (' ' || scopes || ' ') LIKE '% ADMIN %'";

/// Revokes a tenant's unrevoked API key ($1 time, $2 tenant, $3 prefix); no row when there is none.
pub(crate) const REVOKE_API_KEY: &str =
    "UPDATE api_keys SET revoked_ms = $1 WHERE tenant_id = $2 AND prefix = $3 AND revoked_ms IS NULL";

/// A tenant's domain policies ($1 tenant).
pub(crate) const SELECT_POLICIES: &str = "SELECT domain, status, require_signature FROM domain_policies WHERE tenant_id = $1";

/// Sets a tenant's policy of one domain ($1 tenant, $2 domain, $3 status, $4 require signature,
/// $5 time); a foreign-key violation for an unknown tenant.
pub(crate) const UPSERT_POLICY: &str = "INSERT INTO domain_policies (tenant_id, domain, status, require_signature, updated_ms) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (tenant_id, domain) DO UPDATE SET status = excluded.status, \
     require_signature = excluded.require_signature, updated_ms = excluded.updated_ms";

/// The ids of a tenant's customers with a search term starting with one of `prefixes` prefixes:
/// $1 tenant, after $2 customer, at most $3, in id order; then per prefix the range's start and
/// end (term >= start AND term < end), from $4.
pub(crate) fn search_customer_ids_sql(prefixes: usize) -> String {
    let ranges: Vec<String> = (0..prefixes).map(|i| format!("(term >= ${} AND term < ${})", 4 + 2 * i, 5 + 2 * i)).collect();
    format!(
        "SELECT DISTINCT customer_id FROM customer_search_terms \
         WHERE tenant_id = $1 AND customer_id > $2 AND ({}) ORDER BY customer_id LIMIT $3",
        ranges.join(" OR ")
    )
}

/// The ids of a tenant's unerased customers ($1 tenant) after $2 customer, at most $3, in id order.
pub(crate) const SELECT_CUSTOMER_IDS_PAGE: &str =
    "SELECT id FROM customers WHERE tenant_id = $1 AND id > $2 AND erased_ms IS NULL ORDER BY id LIMIT $3";

/// One amendment ($1 tenant, $2 amendment), all its columns.
pub(crate) const SELECT_AMENDMENT: &str = "SELECT id, tenant_id, customer_id, domain, state, proposed, signature_svg, base_version, \
     submitted_by, submitted_ms, decided_by, decided_ms, rejection_reason FROM amendments WHERE tenant_id = $1 AND id = $2";

/// The pending amendment of a customer's domain ($1 tenant, $2 customer, $3 domain), all its
/// columns.
pub(crate) const SELECT_PENDING_AMENDMENT: &str = "SELECT id, tenant_id, customer_id, domain, state, proposed, signature_svg, base_version, \
     submitted_by, submitted_ms, decided_by, decided_ms, rejection_reason FROM amendments \
     WHERE tenant_id = $1 AND customer_id = $2 AND domain = $3 AND state = 'pending'";

/// A page of a tenant's amendments ($1 tenant) after $2 amendment, filtered by $3 domain, $4 state
/// and $5 customer (each '' or 0 for any), at most $6, in id order.
pub(crate) const SELECT_AMENDMENTS_PAGE: &str = "SELECT id, tenant_id, customer_id, domain, state, proposed, signature_svg, base_version, \
     submitted_by, submitted_ms, decided_by, decided_ms, rejection_reason FROM amendments WHERE tenant_id = $1 AND id > $2 \
     AND ($3 = '' OR domain = $3) AND ($4 = '' OR state = $4) AND ($5 = 0 OR customer_id = $5) \
     ORDER BY id LIMIT $6";

/// A page of a customer's audit entries ($1 tenant, $2 customer) after $3 entry, at most $4, in
/// id order.
pub(crate) const SELECT_CUSTOMER_AUDIT_PAGE: &str = "SELECT id, customer_id, at_ms, actor, action, domain, amendment_id, changes, request_id \
     FROM audit_entries WHERE tenant_id = $1 AND customer_id = $2 AND id > $3 ORDER BY id LIMIT $4";

/// A page of a tenant's audit entries ($1 tenant) after $2 entry, at most $3, in id order.
pub(crate) const SELECT_TENANT_AUDIT_PAGE: &str = "SELECT id, customer_id, at_ms, actor, action, domain, amendment_id, changes, request_id \
     FROM audit_entries WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3";

/// A customer's outbox events ($1 tenant, $2 customer), in sequence order.
pub(crate) const SELECT_CUSTOMER_EVENTS: &str = "SELECT id, customer_id, seq, event_type, payload, request_id, created_ms \
     FROM outbox_events WHERE tenant_id = $1 AND customer_id = $2 ORDER BY seq";

/// The number of amendments in each state, of all tenants, in state order (no parameters).
pub(crate) const COUNT_AMENDMENTS_BY_STATE: &str = "SELECT state, COUNT(*) AS n FROM amendments GROUP BY state ORDER BY state";

macro_rules! impl_store {
    ($store:ident, $db:ty, $row:ty, $name:literal) => {
        use crate::shared::{CUSTOMER_PENDING_SQL, CUSTOMER_SQL};
        use async_trait::async_trait;
        use custodian_domain::{
            Actor, Amendment, AmendmentId, AmendmentState, CustomerId, DataDomain, DomainData, DomainPolicy, PolicySet,
            SanitizedSvg, Scope, TenantId, Transition,
        };
        use custodian_store::{
            AmendmentQuery, ApiKeyRecord, Apply, AuditEntry, Customer, FollowUp, NewAmendment, NewApiKey, NewAudit,
            NewCustomerRecords, NewEvent, OutboxEvent, Records, Store, StoreResult, Tenant, VersionedData,
        };
        use sqlx::Row;
        use std::collections::BTreeMap;

        type Tx = sqlx::Transaction<'static, $db>;

        fn parse_col<T: std::str::FromStr<Err = String>>(s: &str) -> StoreResult<T> {
            s.parse().map_err(StoreError::Backend)
        }

        fn json_col(s: &str) -> StoreResult<serde_json::Value> {
            serde_json::from_str(s).map_err(|e| StoreError::Backend(format!("stored JSON is invalid: {e}")))
        }

        fn domain_data(domain: DataDomain, s: &str) -> StoreResult<DomainData> {
            DomainData::from_json_str(domain, s).map_err(|e| StoreError::Backend(format!("stored {domain} data is invalid: {e}")))
        }

        fn get<'r, T>(r: &'r $row, col: &str) -> StoreResult<T>
        where
            T: sqlx::Decode<'r, $db> + sqlx::Type<$db>,
        {
            r.try_get(col).map_err(crate::backend_error)
        }

        fn tenant_row(r: &$row) -> StoreResult<Tenant> {
            Ok(Tenant { id: TenantId(get(r, "id")?), name: get(r, "name")?, created_ms: get(r, "created_ms")? })
        }

        fn scopes_col(s: &str) -> StoreResult<Vec<Scope>> {
            s.split_whitespace().map(parse_col::<Scope>).collect()
        }

        fn amendment_row(r: &$row) -> StoreResult<Amendment> {
            amendment_columns(r, "")
        }

        /// An amendment from the columns of an `amendments` row, each named with `prefix` before it.
        fn amendment_columns(r: &$row, prefix: &str) -> StoreResult<Amendment> {
            let col = |name: &str| format!("{prefix}{name}");
            let domain: DataDomain = parse_col(&get::<String>(r, &col("domain"))?)?;
            let decided_by: Option<String> = get(r, &col("decided_by"))?;
            Ok(Amendment {
                id: AmendmentId(get(r, &col("id"))?),
                tenant_id: TenantId(get(r, &col("tenant_id"))?),
                customer_id: CustomerId(get(r, &col("customer_id"))?),
                domain,
                state: parse_col(&get::<String>(r, &col("state"))?)?,
                proposed: domain_data(domain, &get::<String>(r, &col("proposed"))?)?,
                signature: get::<Option<String>>(r, &col("signature_svg"))?.map(SanitizedSvg::from_stored),
                base_version: get(r, &col("base_version"))?,
                submitted_by: parse_col::<Actor>(&get::<String>(r, &col("submitted_by"))?)?,
                submitted_at_ms: get(r, &col("submitted_ms"))?,
                decided_by: decided_by.as_deref().map(parse_col::<Actor>).transpose()?,
                decided_at_ms: get(r, &col("decided_ms"))?,
                rejection_reason: get(r, &col("rejection_reason"))?,
            })
        }

        fn audit_row(r: &$row) -> StoreResult<AuditEntry> {
            let domain: Option<String> = get(r, "domain")?;
            Ok(AuditEntry {
                id: get(r, "id")?,
                customer_id: get::<Option<i64>>(r, "customer_id")?.map(CustomerId),
                actor: parse_col(&get::<String>(r, "actor")?)?,
                action: get(r, "action")?,
                domain: domain.as_deref().map(parse_col::<DataDomain>).transpose()?,
                amendment_id: get::<Option<i64>>(r, "amendment_id")?.map(AmendmentId),
                changes: serde_json::from_value(json_col(&get::<String>(r, "changes")?)?)
                    .map_err(|e| StoreError::Backend(e.to_string()))?,
                at_ms: get(r, "at_ms")?,
                request_id: get(r, "request_id")?,
            })
        }

        /// Touches the customer row inside the transaction: a row lock on PostgreSQL, and the
        /// tenant check for every write. Fails with `NotFound` for another tenant's customer and for an
        /// erased one.
        async fn lock_customer(tx: &mut Tx, tenant: TenantId, customer: CustomerId) -> StoreResult<()> {
            lock_customer_touching(tx, tenant, customer, None).await
        }

        /// [`lock_customer`] that, with `touch`, also sets the customer's `updated_ms` in the same
        /// statement (what [`write_apply`] does after its domain write; one statement less for the
        /// paths that lock first and then apply with [`write_domain`]).
        async fn lock_customer_touching(
            tx: &mut Tx,
            tenant: TenantId,
            customer: CustomerId,
            touch: Option<i64>,
        ) -> StoreResult<()> {
            let done = sqlx::query(crate::sql::LOCK_CUSTOMER)
                .bind(tenant.0)
                .bind(customer.0)
                .bind(touch)
                .execute(&mut **tx)
                .await
                .map_err(crate::backend_error)?;
            if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::NotFound) }
        }

        // `write_search_terms` (a source's search terms for a customer, replaced) and
        // `write_events` (events appended to a customer's outbox and fanned out to the tenant's
        // webhook subscriptions) are each backend's own, next to its `impl_store!`: PostgreSQL
        // does each in one statement, which SQLite's SQL cannot.

        /// Computes the search terms of data written before the search index existed, once per
        /// database: the first process to insert the marker row does it, in that transaction, and
        /// concurrent starters wait for it and then skip.
        async fn backfill_search_terms(mut tx: Tx) -> StoreResult<()> {
            let first = sqlx::query(crate::shared::CLAIM_SEARCH_BACKFILL)
                .execute(&mut *tx)
                .await
                .map_err(crate::backend_error)?
                .rows_affected()
                == 1;
            if !first {
                return Ok(());
            }
            let (mut after, mut after_domain) = (0i64, String::new());
            loop {
                let rows = sqlx::query(crate::shared::SELECT_SEARCHABLE_DOMAINS_PAGE)
                    .bind(after)
                    .bind(&after_domain)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(crate::backend_error)?;
                if rows.is_empty() {
                    break;
                }
                for r in &rows {
                    let domain: DataDomain = parse_col(&get::<String>(r, "domain")?)?;
                    let data = domain_data(domain, &get::<String>(r, "data")?)?;
                    let (tenant, customer) = (TenantId(get(r, "tenant_id")?), CustomerId(get(r, "customer_id")?));
                    write_search_terms(&mut tx, tenant, customer, domain.as_str(), &custodian_domain::search::terms(&data))
                        .await?;
                    (after, after_domain) = (customer.0, domain.as_str().to_owned());
                }
            }
            let numbers = sqlx::query(crate::shared::SELECT_ALL_CUSTOMER_NUMBERS)
                .fetch_all(&mut *tx)
                .await
                .map_err(crate::backend_error)?;
            for r in &numbers {
                let term = custodian_domain::search::external_number_term(&get::<String>(r, "customer_number")?);
                let (tenant, customer) = (TenantId(get(r, "tenant_id")?), CustomerId(get(r, "customer_id")?));
                write_search_terms(&mut tx, tenant, customer, "billing", &[term]).await?;
            }
            tx.commit().await.map_err(crate::backend_error)
        }

        use crate::sql::PreparedApply;

        async fn write_apply(tx: &mut Tx, tenant: TenantId, customer: CustomerId, apply: &Apply) -> StoreResult<()> {
            let apply = PreparedApply::new(apply);
            write_domain(tx, tenant, customer, &apply).await?;
            sqlx::query(crate::sql::TOUCH_CUSTOMER)
                .bind(apply.at_ms)
                .bind(tenant.0)
                .bind(customer.0)
                .execute(&mut **tx)
                .await
                .map_err(crate::backend_error)?;
            Ok(())
        }

        /// The domain write of [`write_apply`] (a conditional insert or update, and the search
        /// terms) without touching the customer row: for callers that set `updated_ms` with
        /// [`lock_customer_touching`].
        async fn write_domain(tx: &mut Tx, tenant: TenantId, customer: CustomerId, apply: &PreparedApply) -> StoreResult<()> {
            let done = if apply.expected_version == 0 {
                sqlx::query(crate::sql::INSERT_DOMAIN)
                    .bind(tenant.0)
                    .bind(customer.0)
                    .bind(apply.domain)
                    .bind(&apply.data)
                    .bind(apply.at_ms)
                    .execute(&mut **tx)
                    .await
            } else {
                sqlx::query(crate::sql::UPDATE_DOMAIN)
                    .bind(&apply.data)
                    .bind(apply.at_ms)
                    .bind(tenant.0)
                    .bind(customer.0)
                    .bind(apply.domain)
                    .bind(apply.expected_version)
                    .execute(&mut **tx)
                    .await
            }
            .map_err(crate::backend_error)?;
            if done.rows_affected() != 1 {
                return Err(StoreError::VersionConflict);
            }
            if let Some(terms) = &apply.terms {
                write_search_terms(tx, tenant, customer, apply.domain, terms).await?;
            }
            Ok(())
        }

        /// [`CUSTOMER_PENDING_SQL`] through sqlx (the backend may read it another way, see
        /// `read_customer_with_pending`).
        async fn customer_with_pending_sqlx(
            pool: &sqlx::Pool<$db>,
            tenant: TenantId,
            customer: CustomerId,
            domain: DataDomain,
        ) -> StoreResult<(Customer, Option<Amendment>)> {
            let rows = sqlx::query(CUSTOMER_PENDING_SQL)
                .bind(tenant.0)
                .bind(customer.0)
                .bind(domain.as_str())
                .fetch_all(pool)
                .await
                .map_err(crate::backend_error)?;
            let (mut of_customer, mut pending) = (Vec::with_capacity(rows.len()), None);
            for r in rows {
                if get::<i64>(&r, "kind")? == 0 {
                    of_customer.push(r);
                } else {
                    pending = Some(amendment_columns(&r, "a_")?);
                }
            }
            Ok((customer_from_rows(&of_customer)?, pending))
        }

        /// The customer in the rows of [`CUSTOMER_SQL`]; `NotFound` when there are none.
        fn customer_from_rows(rows: &[$row]) -> StoreResult<Customer> {
            let first = rows.first().ok_or(StoreError::NotFound)?;
            let mut domains = BTreeMap::new();
            for r in rows {
                let Some(domain) = get::<Option<String>>(r, "domain")? else { continue };
                let domain: DataDomain = parse_col(&domain)?;
                let data = domain_data(domain, &get::<String>(r, "data")?)?;
                domains.insert(domain, VersionedData { data, version: get(r, "version")? });
            }
            Ok(Customer {
                id: CustomerId(get(first, "id")?),
                tenant_id: TenantId(get(first, "tenant_id")?),
                created_ms: get(first, "created_ms")?,
                updated_ms: get(first, "updated_ms")?,
                domains,
            })
        }

        /// Runs a statement whose parameters are all integers, bound as `$1`, `$2`, … in order; the
        /// number of rows it changed.
        async fn execute_counted(tx: &mut Tx, sql: &str, params: &[i64]) -> StoreResult<u64> {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
            for p in params {
                q = q.bind(*p);
            }
            Ok(q.execute(&mut **tx).await.map_err(crate::backend_error)?.rows_affected())
        }

        /// An `outbox_events` row (id, customer_id, seq, event_type, payload, request_id, created_ms).
        fn event_row(r: &$row) -> StoreResult<OutboxEvent> {
            Ok(OutboxEvent {
                id: get(r, "id")?,
                customer_id: CustomerId(get(r, "customer_id")?),
                seq: get(r, "seq")?,
                event_type: get(r, "event_type")?,
                payload: json_col(&get::<String>(r, "payload")?)?,
                at_ms: get(r, "created_ms")?,
                request_id: get(r, "request_id")?,
            })
        }

        /// An `api_keys` row (id, tenant_id, prefix, scopes, label, created_ms).
        fn api_key_row(r: &$row) -> StoreResult<ApiKeyRecord> {
            Ok(ApiKeyRecord {
                id: get(r, "id")?,
                tenant_id: TenantId(get(r, "tenant_id")?),
                prefix: get(r, "prefix")?,
                scopes: scopes_col(&get::<String>(r, "scopes")?)?,
                label: get(r, "label")?,
                created_ms: get(r, "created_ms")?,
            })
        }

        /// Writes audit entries, each chained to its chain's previous entry (see
        /// `custodian_store::audit`). The heads of the chains involved are locked first, in key
        /// order (a row lock on PostgreSQL, so concurrent writers of one chain queue instead of
        /// forking it); each inserted entry advances its head through the `audit_chain_advance`
        /// trigger, in the caller's transaction. This is the only place that inserts audit entries.
        async fn write_audit(tx: &mut Tx, tenant: TenantId, entries: &[NewAudit]) -> StoreResult<()> {
            if entries.is_empty() {
                return Ok(());
            }
            // (chain, head hash)
            let mut heads: Vec<(i64, String)> = Vec::new();
            for chain in crate::sql::audit_chains(entries) {
                let row = sqlx::query(crate::sql::LOCK_AUDIT_CHAIN)
                    .bind(tenant.0)
                    .bind(chain)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(crate::backend_error)?;
                heads.push((chain, get(&row, "head_hash")?));
            }
            for a in entries {
                let chain = crate::sql::audit_chain(a);
                let head = heads
                    .iter_mut()
                    .find(|h| h.0 == chain)
                    .ok_or_else(|| StoreError::Backend("audit chain not locked".into()))?;
                let row = crate::sql::audit_row(tenant, a, &head.1)?;
                sqlx::query(crate::sql::INSERT_AUDIT)
                    .bind(row.tenant)
                    .bind(row.customer)
                    .bind(row.at_ms)
                    .bind(&row.actor)
                    .bind(&row.action)
                    .bind(row.domain)
                    .bind(row.amendment_id)
                    .bind(&row.changes)
                    .bind(row.request_id.as_deref())
                    .bind(&row.salt)
                    .bind(&row.digest)
                    .bind(&row.prev_hash)
                    .bind(&row.hash)
                    .execute(&mut **tx)
                    .await
                    .map_err(crate::backend_error)?;
                head.1 = row.hash;
            }
            Ok(())
        }

        /// Removes the personal values of a customer's audit entries inside the caller's
        /// transaction (the erasure's): each entry keeps its field names, its before and after
        /// become null, and its salt is deleted (its digest stays, so the chain still verifies).
        /// The caller then writes a `customer.erased` audit entry for the customer in the same
        /// transaction (`custodian_store::audit::ERASED_ACTION`): `verify` accepts entries without
        /// a salt only when such an entry follows them. Returns the number of entries changed.
        pub(crate) async fn erase_audit_values(tx: &mut Tx, tenant: TenantId, customer: CustomerId) -> StoreResult<u64> {
            let rows = sqlx::query(crate::shared::SELECT_SALTED_AUDIT_OF_CUSTOMER)
                .bind(tenant.0)
                .bind(customer.0)
                .fetch_all(&mut **tx)
                .await
                .map_err(crate::backend_error)?;
            for r in &rows {
                let mut changes: Vec<custodian_domain::FieldChange> =
                    serde_json::from_value(json_col(&get::<String>(r, "changes")?)?)
                        .map_err(|e| StoreError::Backend(e.to_string()))?;
                for c in &mut changes {
                    (c.before, c.after) = (None, None);
                }
                let changes = serde_json::to_string(&changes).map_err(|e| StoreError::Backend(e.to_string()))?;
                sqlx::query(crate::shared::BLANK_AUDIT_VALUES)
                    .bind(changes)
                    .bind(get::<i64>(r, "id")?)
                    .execute(&mut **tx)
                    .await
                    .map_err(crate::backend_error)?;
            }
            Ok(rows.len() as u64)
        }

        async fn write_records(
            tx: &mut Tx,
            tenant: TenantId,
            customer: Option<CustomerId>,
            records: &Records,
        ) -> StoreResult<()> {
            write_audit(tx, tenant, &records.audit).await?;
            if !records.events.is_empty() {
                let customer = customer.ok_or_else(|| StoreError::Backend("events need a customer".into()))?;
                write_events(tx, tenant, customer, &records.events).await?;
            }
            Ok(())
        }

        async fn commit(tx: Tx) -> StoreResult<()> {
            tx.commit().await.map_err(crate::backend_error)
        }

        /// [`crate::shared::INSERT_API_KEY`]: the new key's id; `Conflict` when its prefix or
        /// hash exists.
        async fn insert_api_key_row(tx: &mut Tx, key: &NewApiKey) -> StoreResult<i64> {
            let scopes = key.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
            sqlx::query_scalar(crate::shared::INSERT_API_KEY)
                .bind(key.tenant_id.0)
                .bind(&key.prefix)
                .bind(&key.key_hash)
                .bind(&scopes)
                .bind(&key.label)
                .bind(key.created_ms)
                .fetch_one(&mut **tx)
                .await
                .map_err(|e| {
                    if crate::is_unique_violation(&e) {
                        StoreError::Conflict("an API key with this prefix or hash exists".into())
                    } else {
                        crate::backend_error(e)
                    }
                })
        }

        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                $name
            }

            async fn close(&self) {
                self.close_pools().await;
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query(crate::shared::PING).execute(self.reader()).await.map_err(crate::backend_error)?;
                Ok(())
            }

            async fn create_tenant(&self, name: &str, now_ms: i64) -> StoreResult<Tenant> {
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(crate::shared::INSERT_TENANT)
                    .bind(name)
                    .bind(now_ms)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(crate::backend_error)?;
                let tenant = tenant_row(&row)?;
                commit(tx).await?;
                Ok(tenant)
            }

            async fn get_tenant(&self, tenant: TenantId) -> StoreResult<Tenant> {
                let row = sqlx::query(crate::shared::SELECT_TENANT)
                    .bind(tenant.0)
                    .fetch_one(self.reader())
                    .await
                    .map_err(crate::backend_error)?;
                tenant_row(&row)
            }

            async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
                let rows =
                    sqlx::query(crate::shared::SELECT_TENANTS).fetch_all(self.reader()).await.map_err(crate::backend_error)?;
                rows.iter().map(tenant_row).collect()
            }

            async fn insert_api_key(&self, key: NewApiKey, records: Records) -> StoreResult<ApiKeyRecord> {
                let mut tx = self.begin_write().await?;
                let id = insert_api_key_row(&mut tx, &key).await?;
                write_records(&mut tx, key.tenant_id, None, &records).await?;
                commit(tx).await?;
                Ok(ApiKeyRecord::stored(id, key))
            }

            async fn find_api_key(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
                let ticket = match self.cache.key(key_hash) {
                    Ok(key) => return Ok(Some(key)),
                    Err(ticket) => ticket,
                };
                let row = sqlx::query(crate::shared::FIND_LIVE_KEY_BY_HASH)
                    .bind(key_hash)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(crate::backend_error)?;
                let key = row.as_ref().map(api_key_row).transpose()?;
                if let Some(key) = &key {
                    self.cache.store_key(ticket, key_hash, key);
                }
                Ok(key)
            }

            async fn list_api_keys(&self, tenant: TenantId) -> StoreResult<Vec<ApiKeyRecord>> {
                let rows = sqlx::query(crate::shared::SELECT_LIVE_KEYS_OF_TENANT)
                    .bind(tenant.0)
                    .fetch_all(self.reader())
                    .await
                    .map_err(crate::backend_error)?;
                rows.iter().map(api_key_row).collect()
            }

            async fn revoke_api_key(
                &self,
                tenant: TenantId,
                prefix: &str,
                now_ms: i64,
                keep_an_admin: bool,
                records: Records,
            ) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                if keep_an_admin {
                    // Serialises the tenant's guarded revocations (a row lock on PostgreSQL; SQLite
                    // has one writer anyway), so that two of them cannot each leave the other's key
                    // as the last ADMIN key and both go.
                    sqlx::query(crate::shared::LOCK_TENANT)
                        .bind(tenant.0)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                }
                let scopes: String = sqlx::query_scalar(crate::shared::SELECT_LIVE_KEY_SCOPES)
                    .bind(tenant.0)
                    .bind(prefix)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(crate::backend_error)?
                    .ok_or(StoreError::NotFound)?;
                if keep_an_admin && scopes_col(&scopes)?.contains(&Scope::Admin) {
                    let others: i64 = sqlx::query_scalar(crate::shared::COUNT_OTHER_LIVE_ADMIN_KEYS)
                        .bind(tenant.0)
                        .bind(prefix)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    if others == 0 {
                        return Err(StoreError::Conflict("the tenant's last ADMIN key".into()));
                    }
                }
                let done = sqlx::query(crate::shared::REVOKE_API_KEY)
                    .bind(now_ms)
                    .bind(tenant.0)
                    .bind(prefix)
                    .execute(&mut *tx)
                    .await
                    .map_err(crate::backend_error)?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::NotFound);
                }
                write_records(&mut tx, tenant, None, &records).await?;
                commit(tx).await?;
                self.cache.invalidate();
                Ok(())
            }

            async fn policies(&self, tenant: TenantId) -> StoreResult<PolicySet> {
                let ticket = match self.cache.policies(tenant) {
                    Ok(set) => return Ok(set),
                    Err(ticket) => ticket,
                };
                let rows = sqlx::query(crate::shared::SELECT_POLICIES)
                    .bind(tenant.0)
                    .fetch_all(self.reader())
                    .await
                    .map_err(crate::backend_error)?;
                let mut set = PolicySet::default();
                for r in &rows {
                    let domain: DataDomain = parse_col(&get::<String>(r, "domain")?)?;
                    let policy = DomainPolicy {
                        status: parse_col(&get::<String>(r, "status")?)?,
                        require_signature: get(r, "require_signature")?,
                    };
                    set.0.insert(domain, policy);
                }
                self.cache.store_policies(ticket, tenant, &set);
                Ok(set)
            }

            async fn set_policy(
                &self,
                tenant: TenantId,
                domain: DataDomain,
                policy: DomainPolicy,
                records: Records,
            ) -> StoreResult<()> {
                let at = records.audit.first().map_or(0, |a| a.at_ms);
                let mut tx = self.begin_write().await?;
                sqlx::query(crate::shared::UPSERT_POLICY)
                    .bind(tenant.0)
                    .bind(domain.as_str())
                    .bind(policy.status.as_str())
                    .bind(policy.require_signature)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    // A policy of an unknown tenant violates the foreign key.
                    .map_err(crate::foreign_key_is_not_found)?;
                write_records(&mut tx, tenant, None, &records).await?;
                commit(tx).await?;
                self.cache.invalidate();
                Ok(())
            }

            async fn create_customer(
                &self,
                tenant: TenantId,
                data: Vec<Apply>,
                now_ms: i64,
                records: NewCustomerRecords,
            ) -> StoreResult<CustomerId> {
                if let Some(group) = self.group_writer() {
                    return group.create_customer(tenant, data, now_ms, records).await;
                }
                let mut tx = self.begin_write().await?;
                let id: i64 = sqlx::query_scalar(crate::sql::INSERT_CUSTOMER)
                    .bind(tenant.0)
                    .bind(now_ms)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(crate::foreign_key_is_not_found)?;
                let customer = CustomerId(id);
                for apply in &data {
                    write_apply(&mut tx, tenant, customer, apply).await?;
                }
                write_records(&mut tx, tenant, Some(customer), &records(customer)).await?;
                commit(tx).await?;
                Ok(customer)
            }

            async fn get_customer(&self, tenant: TenantId, customer: CustomerId) -> StoreResult<Customer> {
                let rows = sqlx::query(CUSTOMER_SQL)
                    .bind(tenant.0)
                    .bind(customer.0)
                    .fetch_all(self.reader())
                    .await
                    .map_err(crate::backend_error)?;
                customer_from_rows(&rows)
            }

            async fn customer_with_pending(
                &self,
                tenant: TenantId,
                customer: CustomerId,
                domain: DataDomain,
            ) -> StoreResult<(Customer, Option<Amendment>)> {
                self.read_customer_with_pending(tenant, customer, domain).await
            }

            async fn search_customers(
                &self,
                tenant: TenantId,
                prefixes: &[String],
                after: Option<CustomerId>,
                limit: i64,
            ) -> StoreResult<Vec<Customer>> {
                if prefixes.is_empty() {
                    return Ok(Vec::new());
                }
                // One index range per prefix: term >= prefix AND term < prefix + U+10FFFF.
                let sql = crate::shared::search_customer_ids_sql(prefixes.len());
                let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                    .bind(tenant.0)
                    .bind(after.map_or(0, |c| c.0))
                    .bind(limit);
                for p in prefixes {
                    q = q.bind(p.clone()).bind(custodian_domain::search::prefix_end(p));
                }
                let ids = q.fetch_all(self.reader()).await.map_err(crate::backend_error)?;
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    out.push(self.get_customer(tenant, CustomerId(id)).await?);
                }
                Ok(out)
            }

            async fn list_customers(
                &self,
                tenant: TenantId,
                after: Option<CustomerId>,
                limit: i64,
            ) -> StoreResult<Vec<Customer>> {
                let ids: Vec<i64> = sqlx::query_scalar(crate::shared::SELECT_CUSTOMER_IDS_PAGE)
                    .bind(tenant.0)
                    .bind(after.map_or(0, |c| c.0))
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await
                    .map_err(crate::backend_error)?;
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    out.push(self.get_customer(tenant, CustomerId(id)).await?);
                }
                Ok(out)
            }

            async fn get_amendment(&self, tenant: TenantId, amendment: AmendmentId) -> StoreResult<Amendment> {
                let row = sqlx::query(crate::shared::SELECT_AMENDMENT)
                    .bind(tenant.0)
                    .bind(amendment.0)
                    .fetch_optional(self.reader())
                    .await
                    .map_err(crate::backend_error)?
                    .ok_or(StoreError::NotFound)?;
                amendment_row(&row)
            }

            async fn pending_amendment(
                &self,
                tenant: TenantId,
                customer: CustomerId,
                domain: DataDomain,
            ) -> StoreResult<Option<Amendment>> {
                let row = sqlx::query(crate::shared::SELECT_PENDING_AMENDMENT)
                    .bind(tenant.0)
                    .bind(customer.0)
                    .bind(domain.as_str())
                    .fetch_optional(self.reader())
                    .await
                    .map_err(crate::backend_error)?;
                row.as_ref().map(amendment_row).transpose()
            }

            async fn list_amendments(&self, tenant: TenantId, q: &AmendmentQuery) -> StoreResult<Vec<Amendment>> {
                let rows = sqlx::query(crate::shared::SELECT_AMENDMENTS_PAGE)
                    .bind(tenant.0)
                    .bind(q.after.map_or(0, |a| a.0))
                    .bind(q.domain.map_or("", |d| d.as_str()))
                    .bind(q.state.map_or("", |s| s.as_str()))
                    .bind(q.customer.map_or(0, |c| c.0))
                    .bind(q.limit)
                    .fetch_all(self.reader())
                    .await
                    .map_err(crate::backend_error)?;
                rows.iter().map(amendment_row).collect()
            }

            async fn submit_amendment(
                &self,
                a: NewAmendment,
                apply: Option<Apply>,
                follow_up: FollowUp,
            ) -> StoreResult<AmendmentId> {
                if let Some(group) = self.group_writer() {
                    return group.submit_amendment(a, apply, follow_up).await;
                }
                // Everything that needs no database is done before the writer is taken.
                let apply = apply.as_ref().map(PreparedApply::new);
                let (decided_by, decided_ms) = match a.state {
                    AmendmentState::Pending => (None, None),
                    _ => (Some(a.submitted_by.to_string()), Some(a.submitted_at_ms)),
                };
                let proposed = a.proposed.to_json().to_string();
                let mut tx = self.begin_write().await?;
                lock_customer_touching(&mut tx, a.tenant_id, a.customer_id, apply.as_ref().map(|p| p.at_ms)).await?;
                if let Some(apply) = &apply {
                    write_domain(&mut tx, a.tenant_id, a.customer_id, apply).await?;
                }
                let id: i64 = sqlx::query_scalar(crate::sql::INSERT_AMENDMENT)
                    .bind(a.tenant_id.0)
                    .bind(a.customer_id.0)
                    .bind(a.proposed.domain().as_str())
                    .bind(a.state.as_str())
                    .bind(proposed)
                    .bind(a.signature.as_ref().map(|s| s.as_str().to_owned()))
                    .bind(a.base_version)
                    .bind(a.submitted_by.to_string())
                    .bind(a.submitted_at_ms)
                    .bind(decided_by)
                    .bind(decided_ms)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(
                        |e| if crate::is_unique_violation(&e) { StoreError::PendingExists } else { crate::backend_error(e) },
                    )?;
                let id = AmendmentId(id);
                write_records(&mut tx, a.tenant_id, Some(a.customer_id), &follow_up(id)).await?;
                commit(tx).await?;
                Ok(id)
            }

            async fn decide_amendment(
                &self,
                tenant: TenantId,
                customer: CustomerId,
                t: &Transition,
                apply: Option<Apply>,
                records: Records,
            ) -> StoreResult<()> {
                if let Some(group) = self.group_writer() {
                    return group.decide_amendment(tenant, customer, t, apply, records).await;
                }
                let apply = apply.as_ref().map(PreparedApply::new);
                let mut tx = self.begin_write().await?;
                lock_customer_touching(&mut tx, tenant, customer, apply.as_ref().map(|p| p.at_ms)).await?;
                let done = sqlx::query(crate::sql::DECIDE_AMENDMENT)
                    .bind(t.to.as_str())
                    .bind(t.by.to_string())
                    .bind(t.at_ms)
                    .bind(t.reason.as_deref())
                    .bind(tenant.0)
                    .bind(customer.0)
                    .bind(t.id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(crate::backend_error)?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::NotPending);
                }
                if let Some(apply) = &apply {
                    write_domain(&mut tx, tenant, customer, apply).await?;
                }
                write_records(&mut tx, tenant, Some(customer), &records).await?;
                commit(tx).await
            }

            async fn apply_change(
                &self,
                tenant: TenantId,
                customer: CustomerId,
                apply: Apply,
                records: Records,
            ) -> StoreResult<()> {
                if let Some(group) = self.group_writer() {
                    return group.apply_change(tenant, customer, apply, records).await;
                }
                let apply = PreparedApply::new(&apply);
                let mut tx = self.begin_write().await?;
                lock_customer_touching(&mut tx, tenant, customer, Some(apply.at_ms)).await?;
                write_domain(&mut tx, tenant, customer, &apply).await?;
                write_records(&mut tx, tenant, Some(customer), &records).await?;
                commit(tx).await
            }

            async fn list_audit(
                &self,
                tenant: TenantId,
                customer: CustomerId,
                after: Option<i64>,
                limit: i64,
            ) -> StoreResult<Vec<AuditEntry>> {
                let rows = sqlx::query(crate::shared::SELECT_CUSTOMER_AUDIT_PAGE)
                    .bind(tenant.0)
                    .bind(customer.0)
                    .bind(after.unwrap_or(0))
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await
                    .map_err(crate::backend_error)?;
                rows.iter().map(audit_row).collect()
            }

            async fn list_tenant_audit(&self, tenant: TenantId, after: Option<i64>, limit: i64) -> StoreResult<Vec<AuditEntry>> {
                let rows = sqlx::query(crate::shared::SELECT_TENANT_AUDIT_PAGE)
                    .bind(tenant.0)
                    .bind(after.unwrap_or(0))
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await
                    .map_err(crate::backend_error)?;
                rows.iter().map(audit_row).collect()
            }

            async fn list_events(&self, tenant: TenantId, customer: CustomerId) -> StoreResult<Vec<OutboxEvent>> {
                let rows = sqlx::query(crate::shared::SELECT_CUSTOMER_EVENTS)
                    .bind(tenant.0)
                    .bind(customer.0)
                    .fetch_all(self.reader())
                    .await
                    .map_err(crate::backend_error)?;
                rows.iter().map(event_row).collect()
            }

            async fn count_amendments_by_state(&self) -> StoreResult<Vec<(String, i64)>> {
                let rows = sqlx::query(crate::shared::COUNT_AMENDMENTS_BY_STATE)
                    .fetch_all(self.reader())
                    .await
                    .map_err(crate::backend_error)?;
                rows.iter().map(|r| Ok((get::<String>(r, "state")?, get::<i64>(r, "n")?))).collect()
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy_sql::{SELECT_CUSTOMER_AMENDMENTS, SELECT_CUSTOMER_AUDIT};

    /// The columns of an `amendments` row.
    const AMENDMENT_COLUMNS: &str = "id, tenant_id, customer_id, domain, state, proposed, signature_svg, base_version, \
     submitted_by, submitted_ms, decided_by, decided_ms, rejection_reason";

    /// The columns of an `audit_entries` row that an [`custodian_store::AuditEntry`] is read from.
    const AUDIT_COLUMNS: &str = "id, customer_id, at_ms, actor, action, domain, amendment_id, changes, request_id";

    /// The columns of an `outbox_events` row that an [`custodian_store::OutboxEvent`] is read from.
    const EVENT_COLUMNS: &str = "id, customer_id, seq, event_type, payload, request_id, created_ms";

    /// The statements that select whole rows, here and in the privacy export, spell out the same
    /// column lists.
    #[test]
    fn statements_select_the_column_lists() {
        assert_eq!(
            SELECT_CUSTOMER_AMENDMENTS,
            format!("SELECT {AMENDMENT_COLUMNS} FROM amendments WHERE tenant_id = $1 AND customer_id = $2 ORDER BY id")
        );
        assert_eq!(
            SELECT_CUSTOMER_AUDIT,
            format!("SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE tenant_id = $1 AND customer_id = $2 ORDER BY id")
        );
        assert_eq!(SELECT_AMENDMENT, format!("SELECT {AMENDMENT_COLUMNS} FROM amendments WHERE tenant_id = $1 AND id = $2"));
        assert_eq!(
            SELECT_PENDING_AMENDMENT,
            format!(
                "SELECT {AMENDMENT_COLUMNS} FROM amendments WHERE tenant_id = $1 AND customer_id = $2 AND domain = $3 AND state = 'pending'"
            )
        );
        assert_eq!(
            SELECT_AMENDMENTS_PAGE,
            format!(
                "SELECT {AMENDMENT_COLUMNS} FROM amendments WHERE tenant_id = $1 AND id > $2 \
                 AND ($3 = '' OR domain = $3) AND ($4 = '' OR state = $4) AND ($5 = 0 OR customer_id = $5) \
                 ORDER BY id LIMIT $6"
            )
        );
        assert_eq!(
            SELECT_CUSTOMER_AUDIT_PAGE,
            format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE tenant_id = $1 AND customer_id = $2 AND id > $3 ORDER BY id LIMIT $4"
            )
        );
        assert_eq!(
            SELECT_TENANT_AUDIT_PAGE,
            format!("SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3")
        );
        assert_eq!(
            SELECT_CUSTOMER_EVENTS,
            format!("SELECT {EVENT_COLUMNS} FROM outbox_events WHERE tenant_id = $1 AND customer_id = $2 ORDER BY seq")
        );
    }
}
