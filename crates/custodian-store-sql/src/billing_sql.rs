//! The billing SQL shared by both backends, expanded per driver by `impl_billing_store!` after
//! `impl_store!` (it reuses that expansion's customer lock, domain write and record writers, so a
//! billing write changes domains exactly as every other write does). Races are settled by the
//! unique indexes on (tenant, customer number) and (tenant, request id).

/// The billing profile with a customer number ($1 tenant, $2 customer number).
pub(crate) const SELECT_PROFILE_BY_NUMBER: &str = "SELECT customer_id, data, version, created_ms, updated_ms FROM billing_profiles WHERE tenant_id = $1 AND customer_number = $2";

/// A customer's billing profile ($1 tenant, $2 customer).
pub(crate) const SELECT_PROFILE_OF_CUSTOMER: &str =
    "SELECT customer_id, data, version, created_ms, updated_ms FROM billing_profiles WHERE tenant_id = $1 AND customer_id = $2";

/// The billing receipt of a request ($1 tenant, $2 request id).
pub(crate) const SELECT_BILLING_RECEIPT: &str = "SELECT id, customer_id, customer_number, request_id, fingerprint, created_ms FROM billing_receipts WHERE tenant_id = $1 AND request_id = $2";

/// A new customer's billing profile at version 1 ($1 customer, $2 tenant, $3 customer number,
/// $4 data, $5 time); a unique violation for a customer number the tenant has.
pub(crate) const INSERT_BILLING_PROFILE: &str = "INSERT INTO billing_profiles (customer_id, tenant_id, customer_number, data, version, created_ms, updated_ms) \
     VALUES ($1, $2, $3, $4, 1, $5, $5)";

/// New billing profile data and customer number at the version it was decided on ($1 data,
/// $2 customer number, $3 time, $4 tenant, $5 customer, $6 expected version); no row when the
/// version moved on.
pub(crate) const UPDATE_BILLING_PROFILE: &str = "UPDATE billing_profiles SET data = $1, customer_number = $2, version = version + 1, updated_ms = $3 \
     WHERE tenant_id = $4 AND customer_id = $5 AND version = $6";

/// The version of a customer's billing profile ($1 tenant, $2 customer).
pub(crate) const SELECT_PROFILE_VERSION: &str = "SELECT version FROM billing_profiles WHERE tenant_id = $1 AND customer_id = $2";

/// The receipt of a billing write ($1 tenant, $2 request id, $3 fingerprint, $4 customer,
/// $5 customer number, $6 time), returning its id; a unique violation for a request id the tenant
/// used.
pub(crate) const INSERT_BILLING_RECEIPT: &str = "INSERT INTO billing_receipts (tenant_id, request_id, fingerprint, customer_id, customer_number, created_ms) \
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";

macro_rules! impl_billing_store {
    ($store:ident, $db:ty, $row:ty) => {
        mod billing_impl {
            use super::{commit, lock_customer, write_apply, write_records, write_search_terms, $store};
            use async_trait::async_trait;
            use custodian_domain::billing::{BillingProfile, CustomerNumber};
            use custodian_domain::{CustomerId, TenantId};
            use custodian_store::billing::{
                BillingProfileRecord, BillingReceipt, BillingStore, BillingTarget, BillingWrite, BillingWriteOutcome,
            };
            use custodian_store::{StoreError, StoreResult};
            use sqlx::Row;

            fn get<'r, T>(r: &'r $row, col: &str) -> StoreResult<T>
            where
                T: sqlx::Decode<'r, $db> + sqlx::Type<$db>,
            {
                r.try_get(col).map_err(crate::backend_error)
            }

            fn profile_row(r: &$row) -> StoreResult<BillingProfileRecord> {
                let data: String = get(r, "data")?;
                let json =
                    serde_json::from_str(&data).map_err(|e| StoreError::Backend(format!("stored JSON is invalid: {e}")))?;
                Ok(BillingProfileRecord {
                    customer_id: CustomerId(get(r, "customer_id")?),
                    profile: BillingProfile::from_json(json)
                        .map_err(|e| StoreError::Backend(format!("stored billing profile is invalid: {e}")))?,
                    version: get(r, "version")?,
                    created_ms: get(r, "created_ms")?,
                    updated_ms: get(r, "updated_ms")?,
                })
            }

            fn receipt_row(r: &$row) -> StoreResult<BillingReceipt> {
                Ok(BillingReceipt {
                    id: get(r, "id")?,
                    customer_id: CustomerId(get(r, "customer_id")?),
                    customer_number: CustomerNumber::parse(&get::<String>(r, "customer_number")?).map_err(StoreError::Backend)?,
                    request_id: get(r, "request_id")?,
                    fingerprint: get(r, "fingerprint")?,
                    at_ms: get(r, "created_ms")?,
                })
            }

            #[async_trait]
            impl BillingStore for $store {
                async fn billing_profile(
                    &self,
                    tenant: TenantId,
                    number: &CustomerNumber,
                ) -> StoreResult<Option<BillingProfileRecord>> {
                    let row = sqlx::query(crate::billing_sql::SELECT_PROFILE_BY_NUMBER)
                        .bind(tenant.0)
                        .bind(number.as_str())
                        .fetch_optional(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    row.as_ref().map(profile_row).transpose()
                }

                async fn billing_profile_of(
                    &self,
                    tenant: TenantId,
                    customer: CustomerId,
                ) -> StoreResult<Option<BillingProfileRecord>> {
                    let row = sqlx::query(crate::billing_sql::SELECT_PROFILE_OF_CUSTOMER)
                        .bind(tenant.0)
                        .bind(customer.0)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    row.as_ref().map(profile_row).transpose()
                }

                async fn billing_receipt(&self, tenant: TenantId, request_id: &str) -> StoreResult<Option<BillingReceipt>> {
                    let row = sqlx::query(crate::billing_sql::SELECT_BILLING_RECEIPT)
                        .bind(tenant.0)
                        .bind(request_id)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    row.as_ref().map(receipt_row).transpose()
                }

                async fn write_billing_customer(&self, w: BillingWrite) -> StoreResult<BillingWriteOutcome> {
                    let tenant = w.tenant;
                    let mut tx = self.begin_write().await?;
                    let customer = match w.target {
                        BillingTarget::New => {
                            let profile = w
                                .profile
                                .as_ref()
                                .ok_or_else(|| StoreError::Backend("a new billing customer needs a profile".into()))?;
                            let id: i64 = sqlx::query_scalar(crate::sql::INSERT_CUSTOMER)
                                .bind(tenant.0)
                                .bind(w.at_ms)
                                .fetch_one(&mut *tx)
                                .await
                                .map_err(crate::foreign_key_is_not_found)?;
                            let inserted = sqlx::query(crate::billing_sql::INSERT_BILLING_PROFILE)
                                .bind(id)
                                .bind(tenant.0)
                                .bind(w.customer_number.as_str())
                                .bind(profile.to_json().to_string())
                                .bind(w.at_ms)
                                .execute(&mut *tx)
                                .await;
                            match inserted {
                                Ok(_) => {}
                                Err(e) if crate::is_unique_violation(&e) => {
                                    tx.rollback().await.map_err(crate::backend_error)?;
                                    return Ok(BillingWriteOutcome::CustomerNumberTaken);
                                }
                                Err(e) => return Err(crate::backend_error(e)),
                            }
                            CustomerId(id)
                        }
                        BillingTarget::Existing { customer, profile_version } => {
                            lock_customer(&mut tx, tenant, customer).await?;
                            let still_current = match &w.profile {
                                Some(profile) => {
                                    sqlx::query(crate::billing_sql::UPDATE_BILLING_PROFILE)
                                        .bind(profile.to_json().to_string())
                                        .bind(w.customer_number.as_str())
                                        .bind(w.at_ms)
                                        .bind(tenant.0)
                                        .bind(customer.0)
                                        .bind(profile_version)
                                        .execute(&mut *tx)
                                        .await
                                        .map_err(crate::backend_error)?
                                        .rows_affected()
                                        == 1
                                }
                                None => {
                                    let version: Option<i64> = sqlx::query_scalar(crate::billing_sql::SELECT_PROFILE_VERSION)
                                        .bind(tenant.0)
                                        .bind(customer.0)
                                        .fetch_optional(&mut *tx)
                                        .await
                                        .map_err(crate::backend_error)?;
                                    version == Some(profile_version)
                                }
                            };
                            if !still_current {
                                return Err(StoreError::VersionConflict);
                            }
                            customer
                        }
                    };
                    let number = custodian_domain::search::external_number_term(w.customer_number.as_str());
                    write_search_terms(&mut tx, tenant, customer, "billing", &[number]).await?;
                    for apply in &w.applies {
                        write_apply(&mut tx, tenant, customer, apply).await?;
                    }
                    let receipt_id = sqlx::query_scalar(crate::billing_sql::INSERT_BILLING_RECEIPT)
                        .bind(tenant.0)
                        .bind(w.request_id.as_deref())
                        .bind(&w.fingerprint)
                        .bind(customer.0)
                        .bind(w.customer_number.as_str())
                        .bind(w.at_ms)
                        .fetch_one(&mut *tx)
                        .await;
                    let receipt_id: i64 = match receipt_id {
                        Ok(id) => id,
                        Err(e) if crate::is_unique_violation(&e) => {
                            tx.rollback().await.map_err(crate::backend_error)?;
                            let request_id = w.request_id.as_deref().unwrap_or_default();
                            return match self.billing_receipt(tenant, request_id).await? {
                                Some(first) => Ok(BillingWriteOutcome::RequestIdUsed(first)),
                                None => Err(StoreError::VersionConflict),
                            };
                        }
                        Err(e) => return Err(crate::backend_error(e)),
                    };
                    write_records(&mut tx, tenant, Some(customer), &(w.records)(customer)).await?;
                    commit(tx).await?;
                    Ok(BillingWriteOutcome::Written(BillingReceipt {
                        id: receipt_id,
                        customer_id: customer,
                        customer_number: w.customer_number,
                        request_id: w.request_id,
                        fingerprint: w.fingerprint,
                        at_ms: w.at_ms,
                    }))
                }
            }
        }
    };
}
