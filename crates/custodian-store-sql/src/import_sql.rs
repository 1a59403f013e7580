//! Bulk import and export of customers, shared by both backends. The statements are built here as
//! plain functions (multi-row `INSERT`s of a batch: one statement per table and chunk, not one per
//! row); `impl_transfer_store!` binds and runs them per driver.

/// Bound parameters per statement on SQLite (sqlx's path: with `--events`, or an in-memory
/// database). Far below SQLite's limit (32,766): sqlx binds each SQLite parameter by looking up its
/// name, which SQLite finds by a linear scan, so a statement's binding costs grow with the square
/// of its parameters (at 30,000 that lookup took 85 % of an import's time, at 400 still 21 %, at
/// 120 6 %).
pub(crate) const SQLITE_MAX_PARAMS: usize = 64;

/// Bound parameters per statement on PostgreSQL, which binds by position: each statement is a
/// round trip, so fewer and larger ones (PostgreSQL allows 65,535 parameters). With SQLite's 64,
/// a 2,000-customer batch took about 1,800 statements and 100,000 customers 45 s.
pub(crate) const POSTGRES_MAX_PARAMS: usize = 8192;

/// How many rows of `per_row` parameters (besides the shared `$1`, `$2`) fit in one statement of
/// at most `max_params` parameters.
pub(crate) fn rows_per_statement(max_params: usize, per_row: usize) -> usize {
    (max_params - 2) / per_row
}

/// `VALUES` rows of a multi-row insert: `template` with `{}` for each of a row's own parameters,
/// numbered from `$first` (the parameters before it are shared by all rows: `$1` the tenant and,
/// where used, `$2` the time).
fn values(rows: usize, per_row: usize, first: usize, template: &str) -> String {
    let mut out = String::with_capacity(rows * (template.len() + 8));
    let mut n = first;
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        let mut row = String::new();
        let mut parts = template.split("{}");
        row.push_str(parts.next().unwrap_or_default());
        for part in parts {
            row.push_str(&format!("${n}"));
            row.push_str(part);
            n += 1;
        }
        debug_assert_eq!(n - first, (r + 1) * per_row);
        out.push_str(&row);
    }
    out
}

/// New customers with ids chosen by the importer: ($1 tenant, $2 time; id, external id per row).
/// A row whose external id the tenant has already is left out; `RETURNING` names those written.
pub(crate) fn insert_customers(rows: usize) -> String {
    format!(
        "INSERT INTO customers (id, tenant_id, external_id, event_seq, created_ms, updated_ms) VALUES {} \
         ON CONFLICT DO NOTHING RETURNING id",
        values(rows, 2, 3, "({}, $1, {}, 0, $2, $2)")
    )
}

/// Domain data, version 1: ($1 tenant, $2 time; customer, domain, data per row).
pub(crate) fn insert_domains(rows: usize) -> String {
    format!(
        "INSERT INTO customer_domains (tenant_id, customer_id, domain, data, version, updated_ms) VALUES {}",
        values(rows, 3, 3, "($1, {}, {}, {}, 1, $2)")
    )
}

/// Search terms: ($1 tenant; customer, source, term per row).
pub(crate) fn insert_search_terms(rows: usize) -> String {
    format!(
        "INSERT INTO customer_search_terms (tenant_id, customer_id, source, term) VALUES {}",
        values(rows, 3, 2, "($1, {}, {}, {})")
    )
}

/// The audit chain heads of new customers, each after its one entry: ($1 tenant; chain and head
/// hash per row). Written after the entries, so the chain trigger finds no head to advance.
pub(crate) fn insert_chain_heads(rows: usize) -> String {
    format!(
        "INSERT INTO audit_chain_heads (tenant_id, chain, entries, head_hash) VALUES {}",
        values(rows, 2, 2, "($1, {}, 1, {})")
    )
}

/// Audit entries, chained already: ($1 tenant; the other twelve columns per row).
pub(crate) fn insert_audit_entries(rows: usize) -> String {
    format!(
        "INSERT INTO audit_entries (tenant_id, customer_id, at_ms, actor, action, domain, amendment_id, changes, request_id, \
         values_salt, values_digest, prev_hash, entry_hash) VALUES {}",
        values(rows, 12, 2, "($1, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})")
    )
}

/// SQLite's group writer imports row by row with cached statements instead (see
/// `sqlite_writer::import_batch`): rusqlite binds by position, so the multi-row statements' reason
/// (sqlx's hand-off per statement) does not apply there. Its statements follow.
///
/// The highest customer id given so far, the AUTOINCREMENT sequence or the largest id (no
/// parameters); an import's ids follow it in batch order.
pub(crate) const SQLITE_LAST_CUSTOMER_ID: &str = "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'customers'), 0), \
     COALESCE((SELECT MAX(id) FROM customers), 0))";

/// One imported customer ($1 id, $2 tenant, $3 external id, $4 time); changes no row when the
/// tenant has that external id already.
pub(crate) const INSERT_IMPORTED_CUSTOMER: &str = "INSERT INTO customers (id, tenant_id, external_id, event_seq, created_ms, updated_ms) \
     VALUES ($1, $2, $3, 0, $4, $4) ON CONFLICT DO NOTHING";

/// The audit chain head of an imported customer, after its one entry ($1 tenant, $2 chain, $3
/// head hash).
pub(crate) const INSERT_IMPORTED_CHAIN_HEAD: &str =
    "INSERT INTO audit_chain_heads (tenant_id, chain, entries, head_hash) VALUES ($1, $2, 1, $3)";

/// A page of a tenant's customers for an export: ($1 tenant, $2 after id, $3 page size).
pub(crate) const EXPORT_PAGE: &str = "SELECT c.id, c.external_id, d.domain, d.data FROM customers c \
     LEFT JOIN customer_domains d ON d.customer_id = c.id AND d.tenant_id = c.tenant_id \
     WHERE c.tenant_id = $1 AND c.id IN (SELECT id FROM customers WHERE tenant_id = $1 AND id > $2 AND erased_ms IS NULL ORDER BY id LIMIT $3) \
     ORDER BY c.id, d.domain";

macro_rules! impl_transfer_store {
    ($store:ident, $db:ty, $row:ty, $max_params:expr, $reserve_ids:expr, $bulk_on:expr, $bulk_off:expr) => {
        mod transfer_impl {
            use super::{Tx, commit, domain_data, get, write_events, $store};
            use crate::import_sql::{
                EXPORT_PAGE, insert_audit_entries, insert_chain_heads, insert_customers, insert_domains, insert_search_terms,
                rows_per_statement,
            };
            use async_trait::async_trait;
            use custodian_domain::values::ExternalId;
            use custodian_domain::{CustomerId, DataDomain, TenantId};
            use custodian_store::transfer::{ExportedCustomer, ImportAudit, ImportCustomer, TransferStore};
            use custodian_store::{StoreError, StoreResult};
            use std::collections::HashMap;

            /// One value bound into a multi-row insert.
            enum Param {
                Int(i64),
                OptInt(Option<i64>),
                Text(String),
                OptText(Option<String>),
            }

            /// Runs `sql(rows)` over `params` (`per_row` of them for each row) in chunks, with the
            /// shared `$1` = tenant and, when given, `$2` = `time`; the ids returned when `returning`.
            async fn insert_chunked(
                tx: &mut Tx,
                sql: fn(usize) -> String,
                per_row: usize,
                tenant: TenantId,
                time: Option<i64>,
                params: Vec<Param>,
                returning: bool,
            ) -> StoreResult<Vec<i64>> {
                let mut out = Vec::new();
                let rows = rows_per_statement($max_params, per_row);
                let chunk = rows * per_row;
                let full = sql(rows);
                let mut params = params.into_iter().peekable();
                while params.peek().is_some() {
                    let part: Vec<Param> = params.by_ref().take(chunk).collect();
                    let text = if part.len() == chunk { full.clone() } else { sql(part.len() / per_row) };
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(text)).bind(tenant.0);
                    if let Some(t) = time {
                        q = q.bind(t);
                    }
                    for p in part {
                        q = match p {
                            Param::Int(v) => q.bind(v),
                            Param::OptInt(v) => q.bind(v),
                            Param::Text(v) => q.bind(v),
                            Param::OptText(v) => q.bind(v),
                        };
                    }
                    if returning {
                        for r in q.fetch_all(&mut **tx).await.map_err(crate::foreign_key_is_not_found)? {
                            out.push(get::<i64>(&r, "id")?);
                        }
                    } else {
                        q.execute(&mut **tx).await.map_err(crate::foreign_key_is_not_found)?;
                    }
                }
                Ok(out)
            }

            #[async_trait]
            impl TransferStore for $store {
                async fn import_customers(
                    &self,
                    tenant: TenantId,
                    batch: Vec<ImportCustomer>,
                    now_ms: i64,
                    audit: &ImportAudit<'_>,
                ) -> StoreResult<Vec<Option<CustomerId>>> {
                    if batch.is_empty() {
                        return Ok(Vec::new());
                    }
                    let actor = audit.actor.to_string();
                    // SQLite files: the group writer (events need the ids first, so not with them).
                    if let (Some(group), None) = (self.group_writer(), audit.events) {
                        return group.import_customers(tenant, batch, now_ms, actor, audit.action.to_owned()).await;
                    }
                    let _turn = self.import_turn().lock().await;
                    let mut tx = self.begin_write().await?;
                    sqlx::query($bulk_on).execute(&mut *tx).await.map_err(crate::backend_error)?;
                    let ids: Vec<i64> = sqlx::query_scalar($reserve_ids)
                        .bind(batch.len() as i64)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    if ids.len() != batch.len() {
                        return Err(StoreError::Backend(format!(
                            "reserved {} customer ids for {} customers",
                            ids.len(),
                            batch.len()
                        )));
                    }
                    let mut params = Vec::with_capacity(batch.len() * 2);
                    for (id, c) in ids.iter().zip(&batch) {
                        params.push(Param::Int(*id));
                        params.push(Param::OptText(c.external_id.as_ref().map(|e| e.as_str().to_owned())));
                    }
                    let written: std::collections::HashSet<i64> =
                        insert_chunked(&mut tx, insert_customers, 2, tenant, Some(now_ms), params, true)
                            .await?
                            .into_iter()
                            .collect();

                    let (mut domains, mut terms, mut heads, mut entries) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                    let mut out = Vec::with_capacity(batch.len());
                    let mut new_ids = Vec::new();
                    for (id, c) in ids.iter().zip(batch) {
                        if !written.contains(id) {
                            out.push(None);
                            continue;
                        }
                        out.push(Some(CustomerId(*id)));
                        new_ids.push(CustomerId(*id));
                        for (domain, json) in c.stored {
                            domains.extend([Param::Int(*id), Param::Text(domain.as_str().to_owned()), Param::Text(json)]);
                        }
                        for (source, term) in c.terms {
                            terms.extend([Param::Int(*id), Param::Text(source.to_owned()), Param::Text(term)]);
                        }
                        let hash = c.audit.first_entry_hash(tenant, *id, now_ms, &actor, audit.action);
                        heads.extend([Param::Int(*id), Param::Text(hash.clone())]);
                        entries.extend([
                            Param::Int(*id),
                            Param::Int(now_ms),
                            Param::Text(actor.clone()),
                            Param::Text(audit.action.to_owned()),
                            Param::OptText(None),
                            Param::OptInt(None),
                            Param::Text(c.audit.changes_json),
                            Param::OptText(None),
                            Param::Text(c.audit.salt),
                            Param::Text(c.audit.digest),
                            Param::Text(String::new()),
                            Param::Text(hash),
                        ]);
                    }
                    insert_chunked(&mut tx, insert_domains, 3, tenant, Some(now_ms), domains, false).await?;
                    insert_chunked(&mut tx, insert_search_terms, 3, tenant, None, terms, false).await?;
                    insert_chunked(&mut tx, insert_audit_entries, 12, tenant, None, entries, false).await?;
                    insert_chunked(&mut tx, insert_chain_heads, 2, tenant, None, heads, false).await?;
                    if let Some(events) = audit.events {
                        for customer in new_ids {
                            write_events(&mut tx, tenant, customer, &events(customer)).await?;
                        }
                    }
                    sqlx::query($bulk_off).execute(&mut *tx).await.map_err(crate::backend_error)?;
                    commit(tx).await?;
                    Ok(out)
                }

                async fn export_customers(
                    &self,
                    tenant: TenantId,
                    after: Option<CustomerId>,
                    limit: i64,
                ) -> StoreResult<Vec<ExportedCustomer>> {
                    let rows = sqlx::query(EXPORT_PAGE)
                        .bind(tenant.0)
                        .bind(after.map_or(0, |c| c.0))
                        .bind(limit)
                        .fetch_all(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    let mut out: Vec<ExportedCustomer> = Vec::new();
                    let mut index: HashMap<i64, usize> = HashMap::new();
                    for r in &rows {
                        let id: i64 = get(r, "id")?;
                        let at = match index.get(&id) {
                            Some(at) => *at,
                            None => {
                                let external_id = get::<Option<String>>(r, "external_id")?
                                    .map(|e| ExternalId::parse(&e).map_err(StoreError::Backend))
                                    .transpose()?;
                                out.push(ExportedCustomer { id: CustomerId(id), external_id, data: Vec::new() });
                                index.insert(id, out.len() - 1);
                                out.len() - 1
                            }
                        };
                        if let Some(domain) = get::<Option<String>>(r, "domain")? {
                            let domain: DataDomain = domain.parse().map_err(StoreError::Backend)?;
                            out[at].data.push(domain_data(domain, &get::<String>(r, "data")?)?);
                        }
                    }
                    Ok(out)
                }
            }
        }
    };
}
