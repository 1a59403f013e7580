//! The partner-hierarchy SQL shared by both backends, expanded per driver by
//! `impl_hierarchy_store!` next to `impl_store!` (whose transaction helpers it reuses, so that a
//! partner write and its shared-domain changes, audit entries and events are one transaction).
//! Only the statement that opens a consistent read snapshot differs per backend.

/// Deletes a partner customer's contacts ($1 tenant, $2 customer).
pub(crate) const DELETE_PARTNER_CONTACTS: &str = "DELETE FROM partner_contacts WHERE tenant_id = $1 AND customer_id = $2";

/// Deletes a partner customer's addresses ($1 tenant, $2 customer).
pub(crate) const DELETE_PARTNER_ADDRESSES: &str = "DELETE FROM partner_addresses WHERE tenant_id = $1 AND customer_id = $2";

/// A partner customer's contact ($1 id, $2 tenant, $3 customer, $4 position, $5 primary, $6 data);
/// a unique violation for a taken id or a second primary contact.
pub(crate) const INSERT_PARTNER_CONTACT: &str =
    "INSERT INTO partner_contacts (id, tenant_id, customer_id, position, is_primary, data) VALUES ($1, $2, $3, $4, $5, $6)";

/// A partner customer's address ($1 id, $2 tenant, $3 customer, $4 position, $5 primary, $6 data);
/// a unique violation for a taken id or a second primary address.
pub(crate) const INSERT_PARTNER_ADDRESS: &str =
    "INSERT INTO partner_addresses (id, tenant_id, customer_id, position, is_primary, data) VALUES ($1, $2, $3, $4, $5, $6)";

/// A partner customer's contacts ($1 tenant, $2 customer), in position order.
pub(crate) const SELECT_PARTNER_CONTACTS: &str =
    "SELECT data FROM partner_contacts WHERE tenant_id = $1 AND customer_id = $2 ORDER BY position";

/// A partner customer's addresses ($1 tenant, $2 customer), in position order.
pub(crate) const SELECT_PARTNER_ADDRESSES: &str =
    "SELECT data FROM partner_addresses WHERE tenant_id = $1 AND customer_id = $2 ORDER BY position";

/// Finishes an operation that is still in $5 status with $1 status at $2 time ($3 tenant,
/// $4 request id); no row when it is no longer in that status.
pub(crate) const COMPLETE_OPERATION: &str =
    "UPDATE partner_operations SET status = $1, finished_ms = $2 WHERE tenant_id = $3 AND request_id = $4 AND status = $5";

/// The partner customer with a UUID ($1 tenant, $2 UUID).
pub(crate) const SELECT_PARTNER_BY_UUID: &str = "SELECT customer_id, uuid, ancestry, profile, version, created_ms, updated_ms FROM partner_customers WHERE tenant_id = $1 AND uuid = $2";

/// A partner customer by customer id ($1 tenant, $2 customer).
pub(crate) const SELECT_PARTNER_BY_ID: &str = "SELECT customer_id, uuid, ancestry, profile, version, created_ms, updated_ms FROM partner_customers WHERE tenant_id = $1 AND customer_id = $2";

/// A new partner customer at version 1 ($1 customer, $2 tenant, $3 UUID, $4 parent or NULL,
/// $5 ancestry, $6 profile, $7 time).
pub(crate) const INSERT_PARTNER_CUSTOMER: &str = "INSERT INTO partner_customers (customer_id, tenant_id, uuid, parent_id, ancestry, profile, version, created_ms, updated_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)";

/// A page of a partner customer's children ($1 tenant, $2 parent): at most $3 after skipping $4,
/// in customer id order.
pub(crate) const SELECT_CHILDREN_PAGE: &str = "SELECT uuid, profile FROM partner_customers WHERE tenant_id = $1 AND parent_id = $2 \
     ORDER BY customer_id LIMIT $3 OFFSET $4";

/// A partner customer's new profile at the version it was decided on ($1 profile, $2 time,
/// $3 tenant, $4 customer, $5 expected version); no row when the version moved on.
pub(crate) const UPDATE_PARTNER_PROFILE: &str = "UPDATE partner_customers SET profile = $1, version = version + 1, updated_ms = $2 \
     WHERE tenant_id = $3 AND customer_id = $4 AND version = $5";

/// A new partner operation ($1 request id, $2 tenant, $3 requester, $4 kind, $5 target UUID,
/// $6 status, $7 time).
pub(crate) const INSERT_OPERATION: &str = "INSERT INTO partner_operations (request_id, tenant_id, requester_id, kind, target_uuid, status, created_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// A partner operation ($1 tenant, $2 request id).
pub(crate) const SELECT_OPERATION: &str = "SELECT request_id, requester_id, kind, target_uuid, status, failure_code, failure_message, created_ms, finished_ms \
     FROM partner_operations WHERE tenant_id = $1 AND request_id = $2";

/// Fails an operation that is still in $7 status and was created before $8 ($1 status, $2 failure
/// code, $3 failure message, $4 time, $5 tenant, $6 request id); no row when it is not.
pub(crate) const FAIL_OPERATION: &str = "UPDATE partner_operations SET status = $1, failure_code = $2, failure_message = $3, finished_ms = $4 \
     WHERE tenant_id = $5 AND request_id = $6 AND status = $7 AND created_ms < $8";

/// A partner customer's id if the tenant has it ($1 tenant, $2 customer).
pub(crate) const SELECT_PARTNER_ID: &str = "SELECT customer_id FROM partner_customers WHERE tenant_id = $1 AND customer_id = $2";

/// Binds an API key to a customer ($1 key id, $2 tenant, $3 customer); a foreign-key violation for
/// an unknown customer.
pub(crate) const INSERT_KEY_CUSTOMER: &str =
    "INSERT INTO api_key_customers (api_key_id, tenant_id, customer_id) VALUES ($1, $2, $3)";

/// The customer an unrevoked API key of a tenant is bound to ($1 tenant, $2 key prefix).
pub(crate) const SELECT_KEY_CUSTOMER: &str = "SELECT b.customer_id FROM api_key_customers b JOIN api_keys k ON k.id = b.api_key_id \
     WHERE k.tenant_id = $1 AND b.tenant_id = $1 AND k.prefix = $2 AND k.revoked_ms IS NULL";

macro_rules! impl_hierarchy_store {
    ($store:ident, $db:ty, $row:ty, $snapshot:literal) => {
        mod hierarchy_impl {
            use super::{Tx, commit, insert_api_key_row, lock_customer, write_apply, write_records, $store};
            use async_trait::async_trait;
            use custodian_domain::hierarchy::{
                CustomerUuid, Operation, OperationFailure, OperationStatus, PartnerAddress, PartnerContact, PartnerCustomer,
                RequestId,
            };
            use custodian_domain::{CustomerId, TenantId};
            use custodian_store::hierarchy::{
                ChildCustomer, ChildPage, Completes, HierarchyStore, NewOperation, NewPartnerCustomer, PartnerRecord,
                PartnerUpdate,
            };
            use custodian_store::{ApiKeyRecord, Apply, NewApiKey, NewCustomerRecords, Records, StoreError, StoreResult};
            use sqlx::Row;

            fn get<'r, T>(r: &'r $row, col: &str) -> StoreResult<T>
            where
                T: sqlx::Decode<'r, $db> + sqlx::Type<$db>,
            {
                r.try_get(col).map_err(crate::backend_error)
            }

            fn from_json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> StoreResult<T> {
                serde_json::from_str(s).map_err(|e| StoreError::Backend(format!("stored {what} is invalid: {e}")))
            }

            fn to_json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
                serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
            }

            fn ancestry_text(ancestors: &[CustomerId]) -> String {
                ancestors.iter().map(|a| a.0.to_string()).collect::<Vec<_>>().join(" ")
            }

            fn ancestry_col(s: &str) -> StoreResult<Vec<CustomerId>> {
                s.split_whitespace()
                    .map(|id| {
                        id.parse().map(CustomerId).map_err(|_| StoreError::Backend(format!("stored ancestry is invalid: {s:?}")))
                    })
                    .collect()
            }

            /// Loads the entries of a customer and completes its record, inside the read snapshot.
            async fn finish_record(
                tx: &mut sqlx::Transaction<'static, $db>,
                tenant: TenantId,
                row: $row,
            ) -> StoreResult<PartnerRecord> {
                let id = CustomerId(get(&row, "customer_id")?);
                let contacts = sqlx::query(crate::hierarchy_sql::SELECT_PARTNER_CONTACTS)
                    .bind(tenant.0)
                    .bind(id.0)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(crate::backend_error)?
                    .iter()
                    .map(|r| from_json::<PartnerContact>(&get::<String>(r, "data")?, "contact"))
                    .collect::<StoreResult<Vec<_>>>()?;
                let addresses = sqlx::query(crate::hierarchy_sql::SELECT_PARTNER_ADDRESSES)
                    .bind(tenant.0)
                    .bind(id.0)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(crate::backend_error)?
                    .iter()
                    .map(|r| from_json::<PartnerAddress>(&get::<String>(r, "data")?, "address"))
                    .collect::<StoreResult<Vec<_>>>()?;
                let uuid = CustomerUuid::parse(&get::<String>(&row, "uuid")?).map_err(StoreError::Backend)?;
                Ok(PartnerRecord {
                    customer: PartnerCustomer {
                        uuid,
                        id,
                        ancestors: ancestry_col(&get::<String>(&row, "ancestry")?)?,
                        profile: from_json(&get::<String>(&row, "profile")?, "partner profile")?,
                        contacts,
                        addresses,
                    },
                    version: get(&row, "version")?,
                    created_ms: get(&row, "created_ms")?,
                    updated_ms: get(&row, "updated_ms")?,
                })
            }

            async fn write_entries(
                tx: &mut Tx,
                tenant: TenantId,
                customer: CustomerId,
                contacts: &[PartnerContact],
                addresses: &[PartnerAddress],
            ) -> StoreResult<()> {
                for delete in [crate::hierarchy_sql::DELETE_PARTNER_CONTACTS, crate::hierarchy_sql::DELETE_PARTNER_ADDRESSES] {
                    sqlx::query(delete).bind(tenant.0).bind(customer.0).execute(&mut **tx).await.map_err(crate::backend_error)?;
                }
                let rows =
                    contacts
                        .iter()
                        .map(|c| Ok((crate::hierarchy_sql::INSERT_PARTNER_CONTACT, c.id.to_string(), c.is_primary, to_json(c)?)))
                        .chain(addresses.iter().map(|a| {
                            Ok((crate::hierarchy_sql::INSERT_PARTNER_ADDRESS, a.id.to_string(), a.is_primary, to_json(a)?))
                        }))
                        .collect::<StoreResult<Vec<_>>>()?;
                let mut positions = std::collections::BTreeMap::<&str, i64>::new();
                for (insert, id, primary, data) in rows {
                    let position = positions.entry(insert).or_insert(0);
                    sqlx::query(insert)
                        .bind(id)
                        .bind(tenant.0)
                        .bind(customer.0)
                        .bind(*position)
                        .bind(primary)
                        .bind(data)
                        .execute(&mut **tx)
                        .await
                        .map_err(|e| {
                            if crate::is_unique_violation(&e) {
                                StoreError::Conflict("a contact or address id is taken, or two entries are primary".into())
                            } else {
                                crate::backend_error(e)
                            }
                        })?;
                    *position += 1;
                }
                Ok(())
            }

            /// Marks the operation a write carries out as `SUCCESS`; `NotPending` when it is no
            /// longer open (the write is then rolled back).
            async fn complete(tx: &mut Tx, tenant: TenantId, c: Option<Completes>) -> StoreResult<()> {
                let Some(c) = c else { return Ok(()) };
                let done = sqlx::query(crate::hierarchy_sql::COMPLETE_OPERATION)
                    .bind(OperationStatus::Success.as_str())
                    .bind(c.at_ms)
                    .bind(tenant.0)
                    .bind(c.request_id.to_string())
                    .bind(OperationStatus::Open.as_str())
                    .execute(&mut **tx)
                    .await
                    .map_err(crate::backend_error)?;
                if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::NotPending) }
            }

            fn operation_row(r: &$row) -> StoreResult<Operation> {
                let code: Option<String> = get(r, "failure_code")?;
                let message: Option<String> = get(r, "failure_message")?;
                Ok(Operation {
                    request_id: RequestId::parse(&get::<String>(r, "request_id")?).map_err(StoreError::Backend)?,
                    requester: CustomerId(get(r, "requester_id")?),
                    kind: get::<String>(r, "kind")?.parse().map_err(StoreError::Backend)?,
                    target: CustomerUuid::parse(&get::<String>(r, "target_uuid")?).map_err(StoreError::Backend)?,
                    status: get::<String>(r, "status")?.parse().map_err(StoreError::Backend)?,
                    failure: code.map(|code| OperationFailure { code, message: message.unwrap_or_default() }),
                    created_ms: get(r, "created_ms")?,
                    finished_ms: get(r, "finished_ms")?,
                })
            }

            impl $store {
                async fn load_partner(
                    &self,
                    tenant: TenantId,
                    by_uuid: Option<CustomerUuid>,
                    by_id: Option<CustomerId>,
                ) -> StoreResult<PartnerRecord> {
                    let mut tx = self.reader().begin_with($snapshot).await.map_err(crate::backend_error)?;
                    let row = match (by_uuid, by_id) {
                        (Some(uuid), _) => {
                            sqlx::query(crate::hierarchy_sql::SELECT_PARTNER_BY_UUID)
                                .bind(tenant.0)
                                .bind(uuid.to_string())
                                .fetch_optional(&mut *tx)
                                .await
                        }
                        (None, Some(id)) => {
                            sqlx::query(crate::hierarchy_sql::SELECT_PARTNER_BY_ID)
                                .bind(tenant.0)
                                .bind(id.0)
                                .fetch_optional(&mut *tx)
                                .await
                        }
                        (None, None) => return Err(StoreError::NotFound),
                    }
                    .map_err(crate::backend_error)?
                    .ok_or(StoreError::NotFound)?;
                    let record = finish_record(&mut tx, tenant, row).await?;
                    tx.commit().await.map_err(crate::backend_error)?;
                    Ok(record)
                }
            }

            #[async_trait]
            impl HierarchyStore for $store {
                async fn create_partner_customer(
                    &self,
                    new: NewPartnerCustomer,
                    data: Vec<Apply>,
                    records: NewCustomerRecords,
                    completes: Option<Completes>,
                ) -> StoreResult<CustomerId> {
                    let tenant = new.tenant_id;
                    let mut tx = self.begin_write().await?;
                    let parent = new.ancestors.last().copied();
                    if let Some(parent) = parent {
                        lock_customer(&mut tx, tenant, parent).await?;
                    }
                    let id: i64 = sqlx::query_scalar(crate::sql::INSERT_CUSTOMER)
                        .bind(tenant.0)
                        .bind(new.at_ms)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(crate::foreign_key_is_not_found)?;
                    let customer = CustomerId(id);
                    sqlx::query(crate::hierarchy_sql::INSERT_PARTNER_CUSTOMER)
                        .bind(customer.0)
                        .bind(tenant.0)
                        .bind(new.uuid.to_string())
                        .bind(parent.map(|p| p.0))
                        .bind(ancestry_text(&new.ancestors))
                        .bind(to_json(&new.profile)?)
                        .bind(new.at_ms)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| {
                            if crate::is_unique_violation(&e) {
                                StoreError::Conflict("the customer UUID is taken".into())
                            } else {
                                crate::foreign_key_is_not_found(e)
                            }
                        })?;
                    write_entries(&mut tx, tenant, customer, &new.contacts, &new.addresses).await?;
                    for apply in &data {
                        write_apply(&mut tx, tenant, customer, apply).await?;
                    }
                    write_records(&mut tx, tenant, Some(customer), &records(customer)).await?;
                    complete(&mut tx, tenant, completes).await?;
                    commit(tx).await?;
                    Ok(customer)
                }

                async fn get_partner_customer(&self, tenant: TenantId, uuid: CustomerUuid) -> StoreResult<PartnerRecord> {
                    self.load_partner(tenant, Some(uuid), None).await
                }

                async fn get_partner_customer_by_id(&self, tenant: TenantId, id: CustomerId) -> StoreResult<PartnerRecord> {
                    self.load_partner(tenant, None, Some(id)).await
                }

                async fn list_child_customers(
                    &self,
                    tenant: TenantId,
                    parent: CustomerId,
                    offset: i64,
                    limit: i64,
                ) -> StoreResult<ChildPage> {
                    let mut tx = self.reader().begin_with($snapshot).await.map_err(crate::backend_error)?;
                    let total: i64 = sqlx::query_scalar(crate::privacy_sql::COUNT_PARTNER_CHILDREN)
                        .bind(tenant.0)
                        .bind(parent.0)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    let rows = sqlx::query(crate::hierarchy_sql::SELECT_CHILDREN_PAGE)
                        .bind(tenant.0)
                        .bind(parent.0)
                        .bind(limit)
                        .bind(offset)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    tx.commit().await.map_err(crate::backend_error)?;
                    let children = rows
                        .iter()
                        .map(|r| {
                            let profile: serde_json::Value = from_json(&get::<String>(r, "profile")?, "partner profile")?;
                            Ok(ChildCustomer {
                                uuid: CustomerUuid::parse(&get::<String>(r, "uuid")?).map_err(StoreError::Backend)?,
                                name: profile.get("name").and_then(|n| n.as_str()).map(str::to_owned),
                            })
                        })
                        .collect::<StoreResult<Vec<_>>>()?;
                    Ok(ChildPage { children, total })
                }

                async fn update_partner_customer(
                    &self,
                    tenant: TenantId,
                    customer: CustomerId,
                    update: PartnerUpdate,
                    data: Vec<Apply>,
                    records: Records,
                    completes: Option<Completes>,
                ) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    lock_customer(&mut tx, tenant, customer).await?;
                    let done = sqlx::query(crate::hierarchy_sql::UPDATE_PARTNER_PROFILE)
                        .bind(to_json(&update.profile)?)
                        .bind(update.at_ms)
                        .bind(tenant.0)
                        .bind(customer.0)
                        .bind(update.expected_version)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    if done.rows_affected() != 1 {
                        return Err(StoreError::VersionConflict);
                    }
                    write_entries(&mut tx, tenant, customer, &update.contacts, &update.addresses).await?;
                    for apply in &data {
                        write_apply(&mut tx, tenant, customer, apply).await?;
                    }
                    write_records(&mut tx, tenant, Some(customer), &records).await?;
                    complete(&mut tx, tenant, completes).await?;
                    commit(tx).await
                }

                async fn insert_operation(&self, op: NewOperation) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query(crate::hierarchy_sql::INSERT_OPERATION)
                        .bind(op.request_id.to_string())
                        .bind(op.tenant_id.0)
                        .bind(op.requester.0)
                        .bind(op.kind.as_str())
                        .bind(op.target.to_string())
                        .bind(OperationStatus::Open.as_str())
                        .bind(op.created_ms)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| {
                            if crate::is_unique_violation(&e) {
                                StoreError::Conflict("the request id is taken".into())
                            } else {
                                crate::foreign_key_is_not_found(e)
                            }
                        })?;
                    commit(tx).await
                }

                async fn get_operation(&self, tenant: TenantId, request_id: RequestId) -> StoreResult<Operation> {
                    let row = sqlx::query(crate::hierarchy_sql::SELECT_OPERATION)
                        .bind(tenant.0)
                        .bind(request_id.to_string())
                        .fetch_optional(self.reader())
                        .await
                        .map_err(crate::backend_error)?
                        .ok_or(StoreError::NotFound)?;
                    operation_row(&row)
                }

                async fn fail_operation(
                    &self,
                    tenant: TenantId,
                    request_id: RequestId,
                    internal: bool,
                    failure: OperationFailure,
                    at_ms: i64,
                    created_before_ms: Option<i64>,
                ) -> StoreResult<bool> {
                    let status = if internal { OperationStatus::InternalError } else { OperationStatus::Failure };
                    let mut tx = self.begin_write().await?;
                    let done = sqlx::query(crate::hierarchy_sql::FAIL_OPERATION)
                        .bind(status.as_str())
                        .bind(&failure.code)
                        .bind(&failure.message)
                        .bind(at_ms)
                        .bind(tenant.0)
                        .bind(request_id.to_string())
                        .bind(OperationStatus::Open.as_str())
                        .bind(created_before_ms.unwrap_or(i64::MAX))
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    commit(tx).await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn insert_customer_key(
                    &self,
                    key: NewApiKey,
                    customer: CustomerId,
                    records: Records,
                ) -> StoreResult<ApiKeyRecord> {
                    let mut tx = self.begin_write().await?;
                    let partner: Option<i64> = sqlx::query_scalar(crate::hierarchy_sql::SELECT_PARTNER_ID)
                        .bind(key.tenant_id.0)
                        .bind(customer.0)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    if partner.is_none() {
                        return Err(StoreError::NotFound);
                    }
                    let id = insert_api_key_row(&mut tx, &key).await?;
                    sqlx::query(crate::hierarchy_sql::INSERT_KEY_CUSTOMER)
                        .bind(id)
                        .bind(key.tenant_id.0)
                        .bind(customer.0)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::foreign_key_is_not_found)?;
                    write_records(&mut tx, key.tenant_id, None, &records).await?;
                    commit(tx).await?;
                    Ok(ApiKeyRecord::stored(id, key))
                }

                async fn key_customer(&self, tenant: TenantId, key_prefix: &str) -> StoreResult<Option<CustomerId>> {
                    let id: Option<i64> = sqlx::query_scalar(crate::hierarchy_sql::SELECT_KEY_CUSTOMER)
                        .bind(tenant.0)
                        .bind(key_prefix)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    Ok(id.map(CustomerId))
                }
            }
        }
    };
}
