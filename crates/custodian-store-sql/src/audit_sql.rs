//! The audit chain's verification, the chaining of entries written before it existed, the
//! erasure of audit values and retention, shared by both backends and expanded by
//! `impl_audit_store!` in the scope of `impl_store!` (it uses its `Tx`, `get` and `write_audit`).
//! `$snapshot` begins the read-only transaction `verify` reads one consistent snapshot in.

/// The columns of an `audit_entries` row with its chain columns, as a `StoredEntry` reads them.
pub(crate) const AUDIT_CHAIN_COLUMNS: &str = "id, tenant_id, customer_id, at_ms, actor, action, domain, amendment_id, changes, request_id, \
     values_salt, values_digest, prev_hash, entry_hash";

/// The next batch of a tenant's customer audit entries, [`AUDIT_CHAIN_COLUMNS`]: $1 tenant,
/// after ($2 customer, $3 id), at most $4, in (customer, id) order; with `legacy_only` only the
/// entries without a hash.
pub(crate) fn customer_entries_after_sql(legacy_only: bool) -> String {
    format!(
        // `customer_id >= $2` bounds the index range (a row-value comparison alone made
        // SQLite scan the tenant's index from its start for every batch).
        "SELECT {AUDIT_CHAIN_COLUMNS} FROM audit_entries WHERE tenant_id = $1 AND customer_id >= $2 \
         AND (customer_id > $2 OR id > $3) {} ORDER BY customer_id, id LIMIT $4",
        if legacy_only { "AND entry_hash IS NULL" } else { "" }
    )
}

/// The next batch of a tenant's own audit entries (no customer), [`AUDIT_CHAIN_COLUMNS`]:
/// $1 tenant, after $2 id, at most $3, in id order; with `legacy_only` only the entries without a
/// hash.
pub(crate) fn tenant_entries_after_sql(legacy_only: bool) -> String {
    format!(
        "SELECT {AUDIT_CHAIN_COLUMNS} FROM audit_entries WHERE tenant_id = $1 AND customer_id IS NULL AND id > $2 {} \
         ORDER BY id LIMIT $3",
        if legacy_only { "AND entry_hash IS NULL" } else { "" }
    )
}

/// A tenant's audit chain heads ($1 tenant) after chain $2, at most $3, in chain order.
pub(crate) const SELECT_CHAIN_HEADS_PAGE: &str =
    "SELECT chain, entries, head_hash FROM audit_chain_heads WHERE tenant_id = $1 AND chain > $2 ORDER BY chain LIMIT $3";

/// Claims the once-per-database chaining of legacy audit entries (no parameters); one row changed
/// for the first process to run it, none for the others.
pub(crate) const CLAIM_AUDIT_CHAIN_BACKFILL: &str =
    "INSERT INTO audit_chain_backfill (id) VALUES (1) ON CONFLICT (id) DO NOTHING";

/// The tenants that have audit entries without a hash (no parameters), in id order.
pub(crate) const SELECT_TENANTS_WITH_UNCHAINED_AUDIT: &str =
    "SELECT DISTINCT tenant_id FROM audit_entries WHERE entry_hash IS NULL ORDER BY tenant_id";

/// Sets a legacy audit entry's chain columns ($1 salt, $2 values digest, $3 previous hash,
/// $4 hash, $5 entry id).
pub(crate) const CHAIN_AUDIT_ENTRY: &str =
    "UPDATE audit_entries SET values_salt = $1, values_digest = $2, prev_hash = $3, entry_hash = $4 WHERE id = $5";

/// Sets the head of an audit chain ($1 tenant, $2 chain, $3 entries, $4 head hash).
pub(crate) const UPSERT_CHAIN_HEAD: &str = "INSERT INTO audit_chain_heads (tenant_id, chain, entries, head_hash) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (tenant_id, chain) DO UPDATE SET entries = excluded.entries, head_hash = excluded.head_hash";

/// The id of a tenant's newest audit entry ($1 tenant), NULL when it has none.
pub(crate) const SELECT_LAST_AUDIT_ID: &str = "SELECT MAX(id) FROM audit_entries WHERE tenant_id = $1";

/// The head of a tenant's own audit chain, key 0 ($1 tenant).
pub(crate) const SELECT_TENANT_CHAIN_HEAD: &str =
    "SELECT chain, entries, head_hash FROM audit_chain_heads WHERE tenant_id = $1 AND chain = 0";

/// Retention: removes the signatures of a tenant's amendments ($1 tenant) decided before $2 time.
pub(crate) const DROP_OLD_SIGNATURES: &str = "UPDATE amendments SET signature_svg = NULL WHERE tenant_id = $1 AND signature_svg IS NOT NULL \
     AND state <> 'pending' AND decided_ms < $2";

/// Retention: deletes a tenant's ($1) succeeded webhook deliveries of events created before $2
/// time every delivery of which succeeded.
pub(crate) const DELETE_OLD_SUCCEEDED_DELIVERIES: &str = "DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND status = 'succeeded' AND event_id IN \
     (SELECT e.id FROM outbox_events e WHERE e.tenant_id = $1 AND e.created_ms < $2 AND NOT EXISTS \
     (SELECT 1 FROM webhook_deliveries o WHERE o.event_id = e.id AND o.status <> 'succeeded'))";

/// Retention: deletes a tenant's ($1) outbox events created before $2 time that have no deliveries
/// left and that every event relay has passed.
pub(crate) const DELETE_OLD_EVENTS: &str = "DELETE FROM outbox_events WHERE tenant_id = $1 AND created_ms < $2 \
     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = outbox_events.id) \
     AND NOT EXISTS (SELECT 1 FROM event_relay_state r WHERE r.horizon_id < outbox_events.id)";

/// Retention: deletes a tenant's ($1) billing receipts created before $2 time.
pub(crate) const DELETE_OLD_BILLING_RECEIPTS: &str = "DELETE FROM billing_receipts WHERE tenant_id = $1 AND created_ms < $2";

/// Retention: deletes a tenant's ($1) completed idempotency receipts created before $2 time.
pub(crate) const DELETE_OLD_COMPLETED_RECEIPTS: &str =
    "DELETE FROM idempotency_receipts WHERE tenant_id = $1 AND created_ms < $2 AND state = 'completed'";

macro_rules! impl_audit_store {
    ($store:ident, $db:ty, $row:ty, $snapshot:literal) => {
        use custodian_store::audit::{
            AuditStore, ChainCheck, ChainHead, CheckpointDigest, GENESIS, StoredEntry, TenantVerification,
        };
        use custodian_store::retention::{RetentionCounts, RetentionCutoffs, RetentionRecords, RetentionStore};
        use std::collections::VecDeque;

        /// Rows read per query while streaming a trail.
        const AUDIT_BATCH: i64 = 2000;

        fn stored_entry(r: &$row) -> StoreResult<StoredEntry> {
            Ok(StoredEntry {
                id: get(r, "id")?,
                tenant: get(r, "tenant_id")?,
                customer: get(r, "customer_id")?,
                at_ms: get(r, "at_ms")?,
                actor: get(r, "actor")?,
                action: get(r, "action")?,
                domain: get(r, "domain")?,
                amendment_id: get(r, "amendment_id")?,
                changes: get(r, "changes")?,
                request_id: get(r, "request_id")?,
                values_salt: get(r, "values_salt")?,
                values_digest: get(r, "values_digest")?,
                prev_hash: get(r, "prev_hash")?,
                entry_hash: get(r, "entry_hash")?,
            })
        }

        /// The next batch of a tenant's customer entries after (customer, id), in chain order.
        async fn customer_entries_after(
            tx: &mut Tx,
            tenant: i64,
            after: (i64, i64),
            legacy_only: bool,
        ) -> StoreResult<Vec<StoredEntry>> {
            let rows = sqlx::query(sqlx::AssertSqlSafe(crate::audit_sql::customer_entries_after_sql(legacy_only)))
                .bind(tenant)
                .bind(after.0)
                .bind(after.1)
                .bind(AUDIT_BATCH)
                .fetch_all(&mut **tx)
                .await
                .map_err(crate::backend_error)?;
            rows.iter().map(stored_entry).collect()
        }

        /// The next batch of a tenant's own entries (no customer) after `after`, in id order.
        async fn tenant_entries_after(tx: &mut Tx, tenant: i64, after: i64, legacy_only: bool) -> StoreResult<Vec<StoredEntry>> {
            let rows = sqlx::query(sqlx::AssertSqlSafe(crate::audit_sql::tenant_entries_after_sql(legacy_only)))
                .bind(tenant)
                .bind(after)
                .bind(AUDIT_BATCH)
                .fetch_all(&mut **tx)
                .await
                .map_err(crate::backend_error)?;
            rows.iter().map(stored_entry).collect()
        }

        async fn chain_heads_after(tx: &mut Tx, tenant: i64, after: i64) -> StoreResult<Vec<ChainHead>> {
            let rows = sqlx::query(crate::audit_sql::SELECT_CHAIN_HEADS_PAGE)
                .bind(tenant)
                .bind(after)
                .bind(AUDIT_BATCH)
                .fetch_all(&mut **tx)
                .await
                .map_err(crate::backend_error)?;
            rows.iter()
                .map(|r| Ok(ChainHead { chain: get(r, "chain")?, entries: get(r, "entries")?, head_hash: get(r, "head_hash")? }))
                .collect()
        }

        /// Chains the audit entries written before the chain existed, once per database: the
        /// first process to insert the marker row does it, in that transaction (concurrent
        /// starters wait for it and then skip). Each legacy entry gets a salt, digest and hashes
        /// in chain order, and each chain its head.
        async fn backfill_audit_chain(mut tx: Tx) -> StoreResult<()> {
            use custodian_store::audit::{chain_key, values_digest};
            let first = sqlx::query(crate::audit_sql::CLAIM_AUDIT_CHAIN_BACKFILL)
                .execute(&mut *tx)
                .await
                .map_err(crate::backend_error)?
                .rows_affected()
                == 1;
            if !first {
                return Ok(());
            }
            let tenants: Vec<i64> = sqlx::query_scalar(crate::audit_sql::SELECT_TENANTS_WITH_UNCHAINED_AUDIT)
                .fetch_all(&mut *tx)
                .await
                .map_err(crate::backend_error)?;
            async fn chain_one(tx: &mut Tx, e: &StoredEntry, head: &mut (i64, i64, String)) -> StoreResult<()> {
                let changes: Vec<custodian_domain::FieldChange> = serde_json::from_str(&e.changes)
                    .map_err(|err| StoreError::Backend(format!("audit entry {}: {err}", e.id)))?;
                let salt = hex::encode(rand::random::<[u8; 16]>());
                let digest = values_digest(&salt, &changes);
                let hash = e.hash_after(&head.2, &digest, &changes);
                sqlx::query(crate::audit_sql::CHAIN_AUDIT_ENTRY)
                    .bind(&salt)
                    .bind(&digest)
                    .bind(&head.2)
                    .bind(&hash)
                    .bind(e.id)
                    .execute(&mut **tx)
                    .await
                    .map_err(crate::backend_error)?;
                head.1 += 1;
                head.2 = hash;
                Ok(())
            }
            async fn save_head(tx: &mut Tx, tenant: i64, head: &(i64, i64, String)) -> StoreResult<()> {
                if head.1 == 0 {
                    return Ok(());
                }
                sqlx::query(crate::audit_sql::UPSERT_CHAIN_HEAD)
                    .bind(tenant)
                    .bind(head.0)
                    .bind(head.1)
                    .bind(&head.2)
                    .execute(&mut **tx)
                    .await
                    .map_err(crate::backend_error)?;
                Ok(())
            }
            let mut chained = 0u64;
            for tenant in tenants {
                let mut head = (0i64, 0i64, GENESIS.to_owned());
                let mut after = 0;
                loop {
                    let batch = tenant_entries_after(&mut tx, tenant, after, true).await?;
                    let Some(last) = batch.last() else { break };
                    after = last.id;
                    for e in &batch {
                        chain_one(&mut tx, e, &mut head).await?;
                        chained += 1;
                    }
                }
                save_head(&mut tx, tenant, &head).await?;
                let mut head = (0i64, 0i64, GENESIS.to_owned());
                let mut after = (0, 0);
                loop {
                    let batch = customer_entries_after(&mut tx, tenant, after, true).await?;
                    let Some(last) = batch.last() else { break };
                    after = (last.customer.unwrap_or(0), last.id);
                    for e in &batch {
                        let chain = chain_key(e.customer);
                        if chain != head.0 {
                            save_head(&mut tx, tenant, &head).await?;
                            head = (chain, 0, GENESIS.to_owned());
                        }
                        chain_one(&mut tx, e, &mut head).await?;
                        chained += 1;
                    }
                }
                save_head(&mut tx, tenant, &head).await?;
            }
            if chained > 0 {
                tracing::info!(entries = chained, "chained the audit entries written before the audit chain existed");
            }
            tx.commit().await.map_err(crate::backend_error)
        }

        /// Feeds entries of one chain to its check, counting those that match.
        fn check_entries<'a>(
            check: &mut ChainCheck,
            batch: impl Iterator<Item = &'a StoredEntry>,
            checked: &mut i64,
        ) -> Result<(), custodian_store::audit::Mismatch> {
            for e in batch {
                check.entry(e)?;
                *checked += 1;
            }
            Ok(())
        }

        #[async_trait]
        impl AuditStore for $store {
            async fn verify_audit(&self, tenant: TenantId, up_to_id: Option<i64>) -> StoreResult<TenantVerification> {
                let mut tx: Tx = self.reader().begin_with($snapshot).await.map_err(crate::backend_error)?;
                let up_to_id = match up_to_id {
                    Some(id) => id,
                    None => sqlx::query_scalar::<_, Option<i64>>(crate::audit_sql::SELECT_LAST_AUDIT_ID)
                        .bind(tenant.0)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?
                        .unwrap_or(0),
                };
                let mut out =
                    TenantVerification { tenant, entries: 0, chains: 0, up_to_id, checkpoint: String::new(), mismatch: None };
                let mut digest = CheckpointDigest::new(tenant.0, up_to_id);

                // The tenant's own chain (key 0).
                let mut check = ChainCheck::new(0, up_to_id);
                let mut after = 0;
                loop {
                    let batch = tenant_entries_after(&mut tx, tenant.0, after, false).await?;
                    let Some(last) = batch.last() else { break };
                    after = last.id;
                    if let Err(m) = check_entries(&mut check, batch.iter(), &mut out.entries) {
                        out.mismatch = Some(m);
                        return Ok(out);
                    }
                }
                let head0 = sqlx::query(crate::audit_sql::SELECT_TENANT_CHAIN_HEAD)
                    .bind(tenant.0)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(crate::backend_error)?
                    .map(|r| {
                        Ok::<_, StoreError>(ChainHead {
                            chain: 0,
                            entries: get(&r, "entries")?,
                            head_hash: get(&r, "head_hash")?,
                        })
                    })
                    .transpose()?;
                match check.finish(head0.as_ref()) {
                    Ok((n, at)) => {
                        out.chains += i64::from(n > 0);
                        digest.chain(0, &at);
                    }
                    Err(m) => {
                        out.mismatch = Some(m);
                        return Ok(out);
                    }
                }

                // The customers' chains: entries and heads merged by chain key, both streamed.
                let mut entries: VecDeque<StoredEntry> = VecDeque::new();
                let mut entries_after = (0i64, 0i64);
                let mut entries_done = false;
                let mut heads: VecDeque<ChainHead> = VecDeque::new();
                let mut heads_after = 0i64;
                let mut heads_done = false;
                loop {
                    if entries.is_empty() && !entries_done {
                        let batch = customer_entries_after(&mut tx, tenant.0, entries_after, false).await?;
                        match batch.last() {
                            Some(last) => entries_after = (last.customer.unwrap_or(0), last.id),
                            None => entries_done = true,
                        }
                        entries.extend(batch);
                    }
                    if heads.is_empty() && !heads_done {
                        let batch = chain_heads_after(&mut tx, tenant.0, heads_after).await?;
                        match batch.last() {
                            Some(last) => heads_after = last.chain,
                            None => heads_done = true,
                        }
                        heads.extend(batch);
                    }
                    let chain = match (entries.front(), heads.front()) {
                        (None, None) => break,
                        (Some(e), None) => e.customer.unwrap_or(0),
                        (None, Some(h)) => h.chain,
                        (Some(e), Some(h)) => e.customer.unwrap_or(0).min(h.chain),
                    };
                    let mut check = ChainCheck::new(chain, up_to_id);
                    loop {
                        let n = entries.iter().take_while(|e| e.customer == Some(chain)).count();
                        if let Err(m) = check_entries(&mut check, entries.iter().take(n), &mut out.entries) {
                            out.mismatch = Some(m);
                            return Ok(out);
                        }
                        entries.drain(..n);
                        if !entries.is_empty() || entries_done {
                            break;
                        }
                        // The chain may go on in the next batch.
                        let batch = customer_entries_after(&mut tx, tenant.0, entries_after, false).await?;
                        match batch.last() {
                            Some(last) => entries_after = (last.customer.unwrap_or(0), last.id),
                            None => entries_done = true,
                        }
                        entries.extend(batch);
                    }
                    let head = if heads.front().is_some_and(|h| h.chain == chain) { heads.pop_front() } else { None };
                    match check.finish(head.as_ref()) {
                        Ok((n, at)) => {
                            out.chains += i64::from(n > 0);
                            digest.chain(chain, &at);
                        }
                        Err(m) => {
                            out.mismatch = Some(m);
                            return Ok(out);
                        }
                    }
                }
                out.checkpoint = digest.finish();
                Ok(out)
            }

            async fn erase_audit_values(&self, tenant: TenantId, customer: CustomerId, records: Records) -> StoreResult<u64> {
                let mut tx = self.begin_write().await?;
                lock_customer(&mut tx, tenant, customer).await?;
                let erased = erase_audit_values(&mut tx, tenant, customer).await?;
                write_records(&mut tx, tenant, Some(customer), &records).await?;
                commit(tx).await?;
                Ok(erased)
            }
        }

        #[async_trait]
        impl RetentionStore for $store {
            async fn apply_retention(
                &self,
                tenant: TenantId,
                cutoffs: RetentionCutoffs,
                records: RetentionRecords,
            ) -> StoreResult<RetentionCounts> {
                let mut tx = self.begin_write().await?;
                let mut counts = RetentionCounts::default();
                let t = tenant.0;
                if let Some(before) = cutoffs.signatures_before_ms {
                    counts.signatures = execute_counted(&mut tx, crate::audit_sql::DROP_OLD_SIGNATURES, &[t, before]).await?;
                }
                if let Some(before) = cutoffs.webhook_events_before_ms {
                    // Only events every delivery of which succeeded: pending, in-flight and failed
                    // (replayable) deliveries keep their event, and so does an event an event relay
                    // (the NATS sink) has not passed yet.
                    counts.webhook_deliveries =
                        execute_counted(&mut tx, crate::audit_sql::DELETE_OLD_SUCCEEDED_DELIVERIES, &[t, before]).await?;
                    counts.webhook_events = execute_counted(&mut tx, crate::audit_sql::DELETE_OLD_EVENTS, &[t, before]).await?;
                }
                if let Some(before) = cutoffs.billing_receipts_before_ms {
                    counts.billing_receipts =
                        execute_counted(&mut tx, crate::audit_sql::DELETE_OLD_BILLING_RECEIPTS, &[t, before]).await?;
                    // Receipts still in flight hold a lease and no answer yet; they go once completed.
                    counts.idempotency_receipts =
                        execute_counted(&mut tx, crate::audit_sql::DELETE_OLD_COMPLETED_RECEIPTS, &[t, before]).await?;
                }
                write_records(&mut tx, tenant, None, &records(&counts)).await?;
                commit(tx).await?;
                Ok(counts)
            }
        }
    };
}
