//! The wealth-management SQL shared by both backends, expanded per driver by
//! `impl_wealth_store!` after `impl_store!` (whose transaction helpers it reuses: the customer
//! row lock, shared-domain applies, audit entries and outbox events).

/// A customer's id if it has a wealth profile ($1 tenant, $2 customer).
pub(crate) const SELECT_WEALTH_PROFILE_ID: &str =
    "SELECT customer_id FROM wealth_profiles WHERE tenant_id = $1 AND customer_id = $2";

/// A new wealth person ($1 tenant, $2 data, $3 time), returning its id.
pub(crate) const INSERT_WEALTH_PERSON: &str =
    "INSERT INTO wealth_persons (tenant_id, data, created_ms, updated_ms) VALUES ($1, $2, $3, $3) RETURNING id";

/// Relates a person to a customer ($1 tenant, $2 person, $3 customer, $4 relation); a unique
/// violation when they are related so already.
pub(crate) const INSERT_PERSON_LINK: &str =
    "INSERT INTO wealth_person_customers (tenant_id, person_id, customer_id, relation) VALUES ($1, $2, $3, $4)";

/// The primary person of a customer's wealth profile ($1 tenant, $2 customer).
pub(crate) const SELECT_PRIMARY_PERSON: &str =
    "SELECT primary_person_id FROM wealth_profiles WHERE tenant_id = $1 AND customer_id = $2";

/// A customer's new wealth profile ($1 customer, $2 tenant, $3 profile, $4 KYC, $5 primary person,
/// $6 time).
pub(crate) const INSERT_WEALTH_PROFILE: &str = "INSERT INTO wealth_profiles (customer_id, tenant_id, profile, kyc, primary_person_id, created_ms, updated_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $6)";

/// A wealth person's new data ($1 data, $2 time, $3 tenant, $4 person).
pub(crate) const UPDATE_WEALTH_PERSON: &str =
    "UPDATE wealth_persons SET data = $1, updated_ms = $2 WHERE tenant_id = $3 AND id = $4";

/// A customer's new wealth profile and KYC ($1 profile, $2 KYC, $3 time, $4 tenant, $5 customer).
pub(crate) const UPDATE_WEALTH_PROFILE: &str =
    "UPDATE wealth_profiles SET profile = $1, kyc = $2, updated_ms = $3 WHERE tenant_id = $4 AND customer_id = $5";

/// Removes a person's relation to a customer ($1 tenant, $2 person, $3 customer).
pub(crate) const DELETE_PERSON_LINK: &str =
    "DELETE FROM wealth_person_customers WHERE tenant_id = $1 AND person_id = $2 AND customer_id = $3";

/// A wealth person's id if the tenant has it ($1 tenant, $2 person).
pub(crate) const SELECT_WEALTH_PERSON_ID: &str = "SELECT id FROM wealth_persons WHERE tenant_id = $1 AND id = $2";

/// A contact detail of a person related to a customer ($1 tenant, $2 person, $3 data, $4 time,
/// $5 customer), returning its id; no row when the person is not the tenant's or not related to
/// the customer.
pub(crate) const INSERT_CONTACT_DETAIL: &str = "INSERT INTO wealth_contact_details (tenant_id, person_id, data, created_ms) \
     SELECT $1, p.id, $3, $4 FROM wealth_persons p WHERE p.tenant_id = $1 AND p.id = $2 \
     AND EXISTS (SELECT 1 FROM wealth_person_customers l WHERE l.tenant_id = $1 AND l.person_id = p.id \
     AND l.customer_id = $5) RETURNING id";

/// The number of a customer's next address: one more than the highest, at least 2 (1 is the
/// domicile) ($1 tenant, $2 customer).
pub(crate) const NEXT_ADDRESS_NUMBER: &str =
    "SELECT COALESCE(MAX(number), 1) + 1 FROM wealth_addresses WHERE tenant_id = $1 AND customer_id = $2";

/// A customer's address ($1 tenant, $2 customer, $3 number, $4 data, $5 time); a unique violation
/// for a number the customer has.
pub(crate) const INSERT_ADDRESS: &str = "INSERT INTO wealth_addresses (tenant_id, customer_id, number, data, created_ms, updated_ms) \
     VALUES ($1, $2, $3, $4, $5, $5)";

/// Sets a customer's address, creating it if needed ($1 tenant, $2 customer, $3 number, $4 data,
/// $5 time).
pub(crate) const UPSERT_ADDRESS: &str = "INSERT INTO wealth_addresses (tenant_id, customer_id, number, data, created_ms, updated_ms) \
     VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (customer_id, number) \
     DO UPDATE SET data = excluded.data, updated_ms = excluded.updated_ms";

/// A customer's address's new data ($1 data, $2 time, $3 tenant, $4 customer, $5 number); no row
/// for an unknown address.
pub(crate) const UPDATE_ADDRESS: &str =
    "UPDATE wealth_addresses SET data = $1, updated_ms = $2 WHERE tenant_id = $3 AND customer_id = $4 AND number = $5";

/// A customer's wealth profile ($1 tenant, $2 customer).
pub(crate) const SELECT_WEALTH_PROFILE: &str = "SELECT customer_id, profile, kyc, primary_person_id, created_ms, updated_ms FROM wealth_profiles \
     WHERE tenant_id = $1 AND customer_id = $2";

/// The persons related to a customer and how ($1 tenant, $2 customer), in (person, relation)
/// order.
pub(crate) const SELECT_PERSON_LINKS_OF_CUSTOMER: &str = "SELECT person_id, relation FROM wealth_person_customers WHERE tenant_id = $1 AND customer_id = $2 \
     ORDER BY person_id, relation";

/// The numbers of a customer's addresses ($1 tenant, $2 customer), in order.
pub(crate) const SELECT_ADDRESS_NUMBERS: &str =
    "SELECT number FROM wealth_addresses WHERE tenant_id = $1 AND customer_id = $2 ORDER BY number";

/// The customers with a wealth profile that have consented to $2 service user ($1 tenant), after
/// $3 customer, at most $4, in id order.
pub(crate) const SELECT_CONSENTED_CUSTOMERS_PAGE: &str = "SELECT p.customer_id FROM wealth_profiles p JOIN wealth_consents c ON c.tenant_id = p.tenant_id \
     AND c.customer_id = p.customer_id AND c.revoked_ms IS NULL AND c.service_user = $2 \
     WHERE p.tenant_id = $1 AND p.customer_id > $3 ORDER BY p.customer_id LIMIT $4";

/// A customer's id if it has a wealth profile and has consented to $2 service user ($1 tenant,
/// $3 customer).
pub(crate) const SELECT_CONSENTED_CUSTOMER: &str = "SELECT p.customer_id FROM wealth_profiles p JOIN wealth_consents c ON c.tenant_id = p.tenant_id \
     AND c.customer_id = p.customer_id AND c.revoked_ms IS NULL AND c.service_user = $2 \
     WHERE p.tenant_id = $1 AND p.customer_id = $3";

/// The ids of persons related to customers with a wealth profile ($1 tenant), of customers that
/// consented to $2 service user ('' for any), after $3 person, at most $4, in id order.
pub(crate) const SELECT_PERSON_IDS_PAGE: &str = "SELECT DISTINCT l.person_id FROM wealth_person_customers l JOIN wealth_profiles p \
     ON p.tenant_id = l.tenant_id AND p.customer_id = l.customer_id \
     WHERE l.tenant_id = $1 AND l.person_id > $3 AND ($2 = '' OR EXISTS (SELECT 1 FROM wealth_consents c \
     WHERE c.tenant_id = l.tenant_id AND c.customer_id = l.customer_id AND c.service_user = $2 \
     AND c.revoked_ms IS NULL)) ORDER BY l.person_id LIMIT $4";

/// A wealth person's data ($1 tenant, $2 person).
pub(crate) const SELECT_PERSON_DATA: &str = "SELECT data FROM wealth_persons WHERE tenant_id = $1 AND id = $2";

/// The customers a person is related to and how ($1 tenant, $2 person), in (customer, relation)
/// order.
pub(crate) const SELECT_PERSON_LINKS_OF_PERSON: &str = "SELECT customer_id, relation FROM wealth_person_customers WHERE tenant_id = $1 AND person_id = $2 \
     ORDER BY customer_id, relation";

/// The customers whose primary person a person is ($1 tenant, $2 person).
pub(crate) const SELECT_CUSTOMERS_WITH_PRIMARY_PERSON: &str =
    "SELECT customer_id FROM wealth_profiles WHERE tenant_id = $1 AND primary_person_id = $2";

/// A person's contact details ($1 tenant, $2 person), in id order.
pub(crate) const SELECT_CONTACT_DETAILS: &str =
    "SELECT id, data FROM wealth_contact_details WHERE tenant_id = $1 AND person_id = $2 ORDER BY id";

/// A customer's addresses ($1 tenant, $2 customer), in number order.
pub(crate) const SELECT_ADDRESSES: &str =
    "SELECT number, data FROM wealth_addresses WHERE tenant_id = $1 AND customer_id = $2 ORDER BY number";

/// A customer's consent to a service user ($1 tenant, $2 customer, $3 service user, $4 granted
/// by, $5 time), returning its row.
pub(crate) const INSERT_CONSENT: &str = "INSERT INTO wealth_consents (tenant_id, customer_id, service_user, granted_by, granted_ms) \
     VALUES ($1, $2, $3, $4, $5) RETURNING id, customer_id, service_user, granted_by, granted_ms, revoked_by, revoked_ms";

/// Revokes a consent that is in force ($1 by, $2 time, $3 tenant, $4 consent), returning its row;
/// no row when it is unknown or revoked already.
pub(crate) const REVOKE_CONSENT: &str = "UPDATE wealth_consents SET revoked_by = $1, revoked_ms = $2 WHERE tenant_id = $3 AND id = $4 \
     AND revoked_ms IS NULL RETURNING id, customer_id, service_user, granted_by, granted_ms, revoked_by, revoked_ms";

/// A consent ($1 tenant, $2 consent).
pub(crate) const SELECT_CONSENT: &str = "SELECT id, customer_id, service_user, granted_by, granted_ms, revoked_by, revoked_ms FROM wealth_consents WHERE tenant_id = $1 AND id = $2";

/// A page of a tenant's consents ($1 tenant) of $2 customer (0 for any) after $3 consent, at most
/// $4, in id order.
pub(crate) const SELECT_CONSENTS_PAGE: &str = "SELECT id, customer_id, service_user, granted_by, granted_ms, revoked_by, revoked_ms FROM wealth_consents WHERE tenant_id = $1 AND ($2 = 0 OR customer_id = $2) \
     AND id > $3 ORDER BY id LIMIT $4";

macro_rules! impl_wealth_store {
    ($store:ident, $db:ty, $row:ty) => {
        mod wealth_impl {
            use super::{Tx, commit, get, lock_customer, write_apply, write_records, $store};
            use async_trait::async_trait;
            use custodian_domain::wealth::{PersonId, PersonRelation, ServiceUser};
            use custodian_domain::{Actor, CustomerId, TenantId};
            use custodian_store::wealth::{
                AddressRecord, Consent, ContactDetailRecord, NewConsent, PersonLink, PersonRecord, ProfileWrite, WealthFollowUp,
                WealthProfileRecord, WealthStore, WealthWrite,
            };
            use custodian_store::{Apply, Records, StoreError, StoreResult};

            fn doc<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> StoreResult<T> {
                serde_json::from_str(s).map_err(|e| StoreError::Backend(format!("stored {what} is invalid: {e}")))
            }

            fn to_doc<T: serde::Serialize>(v: &T) -> String {
                serde_json::to_string(v).expect("wealth documents serialise")
            }

            fn relation(s: &str) -> StoreResult<PersonRelation> {
                PersonRelation::parse(s).map_err(StoreError::Backend)
            }

            fn actor(s: &str) -> StoreResult<Actor> {
                s.parse().map_err(StoreError::Backend)
            }

            fn consent_row(r: &$row) -> StoreResult<Consent> {
                let revoked_by: Option<String> = get(r, "revoked_by")?;
                Ok(Consent {
                    id: get(r, "id")?,
                    customer: CustomerId(get(r, "customer_id")?),
                    service_user: ServiceUser::parse(&get::<String>(r, "service_user")?).map_err(StoreError::Backend)?,
                    granted_by: actor(&get::<String>(r, "granted_by")?)?,
                    granted_ms: get(r, "granted_ms")?,
                    revoked_by: revoked_by.as_deref().map(actor).transpose()?,
                    revoked_ms: get(r, "revoked_ms")?,
                })
            }

            /// `NotFound` unless the customer has a wealth profile.
            async fn require_profile(tx: &mut Tx, tenant: TenantId, customer: CustomerId) -> StoreResult<()> {
                sqlx::query(crate::wealth_sql::SELECT_WEALTH_PROFILE_ID)
                    .bind(tenant.0)
                    .bind(customer.0)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(crate::backend_error)?
                    .map(|_| ())
                    .ok_or(StoreError::NotFound)
            }

            async fn insert_person(tx: &mut Tx, tenant: TenantId, data: &str, at_ms: i64) -> StoreResult<i64> {
                sqlx::query_scalar(crate::wealth_sql::INSERT_WEALTH_PERSON)
                    .bind(tenant.0)
                    .bind(data)
                    .bind(at_ms)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(crate::backend_error)
            }

            async fn insert_link(
                tx: &mut Tx,
                tenant: TenantId,
                person: i64,
                customer: CustomerId,
                relation: PersonRelation,
            ) -> StoreResult<()> {
                sqlx::query(crate::wealth_sql::INSERT_PERSON_LINK)
                    .bind(tenant.0)
                    .bind(person)
                    .bind(customer.0)
                    .bind(relation.as_str())
                    .execute(&mut **tx)
                    .await
                    .map_err(|e| {
                        if crate::is_unique_violation(&e) {
                            StoreError::Conflict(format!(
                                "person {person} is already related to customer {customer} as {relation}"
                            ))
                        } else {
                            crate::backend_error(e)
                        }
                    })?;
                Ok(())
            }

            async fn apply_write(
                tx: &mut Tx,
                tenant: TenantId,
                customer: CustomerId,
                write: WealthWrite,
                at_ms: i64,
            ) -> StoreResult<i64> {
                match write {
                    WealthWrite::SaveProfile(save) => {
                        let ProfileWrite { profile, kyc, primary, relation } = *save;
                        let existing: Option<i64> = sqlx::query_scalar(crate::wealth_sql::SELECT_PRIMARY_PERSON)
                            .bind(tenant.0)
                            .bind(customer.0)
                            .fetch_optional(&mut **tx)
                            .await
                            .map_err(crate::backend_error)?;
                        let person = match existing {
                            None => {
                                let person = insert_person(tx, tenant, &to_doc(&primary), at_ms).await?;
                                sqlx::query(crate::wealth_sql::INSERT_WEALTH_PROFILE)
                                    .bind(customer.0)
                                    .bind(tenant.0)
                                    .bind(to_doc(&profile))
                                    .bind(to_doc(&kyc))
                                    .bind(person)
                                    .bind(at_ms)
                                    .execute(&mut **tx)
                                    .await
                                    .map_err(crate::backend_error)?;
                                person
                            }
                            Some(person) => {
                                sqlx::query(crate::wealth_sql::UPDATE_WEALTH_PERSON)
                                    .bind(to_doc(&primary))
                                    .bind(at_ms)
                                    .bind(tenant.0)
                                    .bind(person)
                                    .execute(&mut **tx)
                                    .await
                                    .map_err(crate::backend_error)?;
                                sqlx::query(crate::wealth_sql::UPDATE_WEALTH_PROFILE)
                                    .bind(to_doc(&profile))
                                    .bind(to_doc(&kyc))
                                    .bind(at_ms)
                                    .bind(tenant.0)
                                    .bind(customer.0)
                                    .execute(&mut **tx)
                                    .await
                                    .map_err(crate::backend_error)?;
                                sqlx::query(crate::wealth_sql::DELETE_PERSON_LINK)
                                    .bind(tenant.0)
                                    .bind(person)
                                    .bind(customer.0)
                                    .execute(&mut **tx)
                                    .await
                                    .map_err(crate::backend_error)?;
                                person
                            }
                        };
                        insert_link(tx, tenant, person, customer, relation).await?;
                        Ok(person)
                    }
                    WealthWrite::AddPerson { person, relation } => {
                        require_profile(tx, tenant, customer).await?;
                        let id = insert_person(tx, tenant, &to_doc(&person), at_ms).await?;
                        insert_link(tx, tenant, id, customer, relation).await?;
                        Ok(id)
                    }
                    WealthWrite::LinkPerson { person, relation } => {
                        require_profile(tx, tenant, customer).await?;
                        sqlx::query(crate::wealth_sql::SELECT_WEALTH_PERSON_ID)
                            .bind(tenant.0)
                            .bind(person.0)
                            .fetch_optional(&mut **tx)
                            .await
                            .map_err(crate::backend_error)?
                            .ok_or(StoreError::NotFound)?;
                        insert_link(tx, tenant, person.0, customer, relation).await?;
                        Ok(person.0)
                    }
                    WealthWrite::AddContactDetail { person, detail } => {
                        // The person must be the tenant's and related to the customer.
                        sqlx::query_scalar(crate::wealth_sql::INSERT_CONTACT_DETAIL)
                            .bind(tenant.0)
                            .bind(person.0)
                            .bind(to_doc(&detail))
                            .bind(at_ms)
                            .bind(customer.0)
                            .fetch_optional(&mut **tx)
                            .await
                            .map_err(crate::backend_error)?
                            .ok_or(StoreError::NotFound)
                    }
                    WealthWrite::AddAddress { address, domicile } => {
                        require_profile(tx, tenant, customer).await?;
                        let number: i64 = if domicile {
                            custodian_domain::wealth::DOMICILE_ADDRESS
                        } else {
                            sqlx::query_scalar(crate::wealth_sql::NEXT_ADDRESS_NUMBER)
                                .bind(tenant.0)
                                .bind(customer.0)
                                .fetch_one(&mut **tx)
                                .await
                                .map_err(crate::backend_error)?
                        };
                        sqlx::query(crate::wealth_sql::INSERT_ADDRESS)
                            .bind(tenant.0)
                            .bind(customer.0)
                            .bind(number)
                            .bind(to_doc(&address))
                            .bind(at_ms)
                            .execute(&mut **tx)
                            .await
                            // Another writer created the domicile address first: decide again.
                            .map_err(|e| {
                                if crate::is_unique_violation(&e) { StoreError::VersionConflict } else { crate::backend_error(e) }
                            })?;
                        Ok(number)
                    }
                    WealthWrite::PutAddress { number, address } => {
                        require_profile(tx, tenant, customer).await?;
                        let done = if number == custodian_domain::wealth::DOMICILE_ADDRESS {
                            sqlx::query(crate::wealth_sql::UPSERT_ADDRESS)
                                .bind(tenant.0)
                                .bind(customer.0)
                                .bind(number)
                                .bind(to_doc(&address))
                                .bind(at_ms)
                                .execute(&mut **tx)
                                .await
                        } else {
                            sqlx::query(crate::wealth_sql::UPDATE_ADDRESS)
                                .bind(to_doc(&address))
                                .bind(at_ms)
                                .bind(tenant.0)
                                .bind(customer.0)
                                .bind(number)
                                .execute(&mut **tx)
                                .await
                        }
                        .map_err(crate::backend_error)?;
                        if done.rows_affected() == 1 { Ok(number) } else { Err(StoreError::NotFound) }
                    }
                }
            }

            #[async_trait]
            impl WealthStore for $store {
                async fn wealth_profile(
                    &self,
                    tenant: TenantId,
                    customer: CustomerId,
                ) -> StoreResult<Option<WealthProfileRecord>> {
                    let Some(row) = sqlx::query(crate::wealth_sql::SELECT_WEALTH_PROFILE)
                        .bind(tenant.0)
                        .bind(customer.0)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(crate::backend_error)?
                    else {
                        return Ok(None);
                    };
                    let links = sqlx::query(crate::wealth_sql::SELECT_PERSON_LINKS_OF_CUSTOMER)
                        .bind(tenant.0)
                        .bind(customer.0)
                        .fetch_all(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    let address_numbers: Vec<i64> = sqlx::query_scalar(crate::wealth_sql::SELECT_ADDRESS_NUMBERS)
                        .bind(tenant.0)
                        .bind(customer.0)
                        .fetch_all(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    Ok(Some(WealthProfileRecord {
                        customer,
                        profile: doc(&get::<String>(&row, "profile")?, "wealth profile")?,
                        kyc: doc(&get::<String>(&row, "kyc")?, "KYC record")?,
                        primary_person: PersonId(get(&row, "primary_person_id")?),
                        persons: links
                            .iter()
                            .map(|r| {
                                Ok(PersonLink {
                                    person: PersonId(get(r, "person_id")?),
                                    customer,
                                    relation: relation(&get::<String>(r, "relation")?)?,
                                })
                            })
                            .collect::<StoreResult<_>>()?,
                        address_numbers,
                        created_ms: get(&row, "created_ms")?,
                        updated_ms: get(&row, "updated_ms")?,
                    }))
                }

                async fn consented_customers(
                    &self,
                    tenant: TenantId,
                    service_user: &ServiceUser,
                    after: Option<CustomerId>,
                    limit: i64,
                ) -> StoreResult<Vec<CustomerId>> {
                    let ids: Vec<i64> = sqlx::query_scalar(crate::wealth_sql::SELECT_CONSENTED_CUSTOMERS_PAGE)
                        .bind(tenant.0)
                        .bind(service_user.as_str())
                        .bind(after.map_or(0, |c| c.0))
                        .bind(limit)
                        .fetch_all(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    Ok(ids.into_iter().map(CustomerId).collect())
                }

                async fn consented_among(
                    &self,
                    tenant: TenantId,
                    service_user: &ServiceUser,
                    customers: &[CustomerId],
                ) -> StoreResult<Vec<CustomerId>> {
                    let mut out = Vec::new();
                    for c in customers {
                        let found: Option<i64> = sqlx::query_scalar(crate::wealth_sql::SELECT_CONSENTED_CUSTOMER)
                            .bind(tenant.0)
                            .bind(service_user.as_str())
                            .bind(c.0)
                            .fetch_optional(self.reader())
                            .await
                            .map_err(crate::backend_error)?;
                        if found.is_some() {
                            out.push(*c);
                        }
                    }
                    Ok(out)
                }

                async fn list_persons(
                    &self,
                    tenant: TenantId,
                    service_user: Option<&ServiceUser>,
                    after: Option<PersonId>,
                    limit: i64,
                ) -> StoreResult<Vec<PersonId>> {
                    let ids: Vec<i64> = sqlx::query_scalar(crate::wealth_sql::SELECT_PERSON_IDS_PAGE)
                        .bind(tenant.0)
                        .bind(service_user.map_or("", |s| s.as_str()))
                        .bind(after.map_or(0, |p| p.0))
                        .bind(limit)
                        .fetch_all(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    Ok(ids.into_iter().map(PersonId).collect())
                }

                async fn get_person(&self, tenant: TenantId, person: PersonId) -> StoreResult<PersonRecord> {
                    let data: String = sqlx::query_scalar(crate::wealth_sql::SELECT_PERSON_DATA)
                        .bind(tenant.0)
                        .bind(person.0)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(crate::backend_error)?
                        .ok_or(StoreError::NotFound)?;
                    let links = sqlx::query(crate::wealth_sql::SELECT_PERSON_LINKS_OF_PERSON)
                        .bind(tenant.0)
                        .bind(person.0)
                        .fetch_all(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    let primary_of: Option<i64> = sqlx::query_scalar(crate::wealth_sql::SELECT_CUSTOMERS_WITH_PRIMARY_PERSON)
                        .bind(tenant.0)
                        .bind(person.0)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    Ok(PersonRecord {
                        id: person,
                        person: doc(&data, "person")?,
                        links: links
                            .iter()
                            .map(|r| {
                                Ok(PersonLink {
                                    person,
                                    customer: CustomerId(get(r, "customer_id")?),
                                    relation: relation(&get::<String>(r, "relation")?)?,
                                })
                            })
                            .collect::<StoreResult<_>>()?,
                        primary_of: primary_of.map(CustomerId),
                    })
                }

                async fn contact_details(&self, tenant: TenantId, person: PersonId) -> StoreResult<Vec<ContactDetailRecord>> {
                    let rows = sqlx::query(crate::wealth_sql::SELECT_CONTACT_DETAILS)
                        .bind(tenant.0)
                        .bind(person.0)
                        .fetch_all(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    rows.iter()
                        .map(|r| {
                            Ok(ContactDetailRecord {
                                id: get(r, "id")?,
                                person,
                                detail: doc(&get::<String>(r, "data")?, "contact detail")?,
                            })
                        })
                        .collect()
                }

                async fn addresses(&self, tenant: TenantId, customer: CustomerId) -> StoreResult<Vec<AddressRecord>> {
                    let rows = sqlx::query(crate::wealth_sql::SELECT_ADDRESSES)
                        .bind(tenant.0)
                        .bind(customer.0)
                        .fetch_all(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    rows.iter()
                        .map(|r| {
                            Ok(AddressRecord { number: get(r, "number")?, address: doc(&get::<String>(r, "data")?, "address")? })
                        })
                        .collect()
                }

                async fn write_wealth(
                    &self,
                    tenant: TenantId,
                    customer: CustomerId,
                    write: WealthWrite,
                    applies: Vec<Apply>,
                    at_ms: i64,
                    follow_up: WealthFollowUp,
                ) -> StoreResult<i64> {
                    let mut tx = self.begin_write().await?;
                    lock_customer(&mut tx, tenant, customer).await?;
                    for apply in &applies {
                        write_apply(&mut tx, tenant, customer, apply).await?;
                    }
                    let id = apply_write(&mut tx, tenant, customer, write, at_ms).await?;
                    write_records(&mut tx, tenant, Some(customer), &follow_up(id)).await?;
                    commit(tx).await?;
                    Ok(id)
                }

                async fn grant_consent(&self, c: NewConsent, records: Records) -> StoreResult<Consent> {
                    let mut tx = self.begin_write().await?;
                    lock_customer(&mut tx, c.tenant, c.customer).await?;
                    let row = sqlx::query(crate::wealth_sql::INSERT_CONSENT)
                        .bind(c.tenant.0)
                        .bind(c.customer.0)
                        .bind(c.service_user.as_str())
                        .bind(c.granted_by.to_string())
                        .bind(c.granted_ms)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(|e| {
                            if crate::is_unique_violation(&e) {
                                StoreError::Conflict(format!(
                                    "service user {} already holds a consent for customer {}",
                                    c.service_user, c.customer
                                ))
                            } else {
                                crate::backend_error(e)
                            }
                        })?;
                    let consent = consent_row(&row)?;
                    write_records(&mut tx, c.tenant, Some(c.customer), &records).await?;
                    commit(tx).await?;
                    Ok(consent)
                }

                async fn revoke_consent(
                    &self,
                    tenant: TenantId,
                    id: i64,
                    by: &Actor,
                    at_ms: i64,
                    records: Records,
                ) -> StoreResult<Consent> {
                    let mut tx = self.begin_write().await?;
                    let row = sqlx::query(crate::wealth_sql::REVOKE_CONSENT)
                        .bind(by.to_string())
                        .bind(at_ms)
                        .bind(tenant.0)
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    let Some(row) = row else {
                        drop(tx);
                        self.get_consent(tenant, id).await?;
                        return Err(StoreError::Conflict(format!("consent {id} was revoked already")));
                    };
                    let consent = consent_row(&row)?;
                    write_records(&mut tx, tenant, Some(consent.customer), &records).await?;
                    commit(tx).await?;
                    Ok(consent)
                }

                async fn get_consent(&self, tenant: TenantId, id: i64) -> StoreResult<Consent> {
                    let row = sqlx::query(crate::wealth_sql::SELECT_CONSENT)
                        .bind(tenant.0)
                        .bind(id)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(crate::backend_error)?
                        .ok_or(StoreError::NotFound)?;
                    consent_row(&row)
                }

                async fn list_consents(
                    &self,
                    tenant: TenantId,
                    customer: Option<CustomerId>,
                    after: Option<i64>,
                    limit: i64,
                ) -> StoreResult<Vec<Consent>> {
                    let rows = sqlx::query(crate::wealth_sql::SELECT_CONSENTS_PAGE)
                        .bind(tenant.0)
                        .bind(customer.map_or(0, |c| c.0))
                        .bind(after.unwrap_or(0))
                        .bind(limit)
                        .fetch_all(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    rows.iter().map(consent_row).collect()
                }
            }
        }
    };
}
