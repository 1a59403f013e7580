//! The staff-console SQL shared by both backends (staff accounts, console sessions, the queue
//! count), expanded per driver by `impl_staff_store!`. Nothing here differs between SQLite and
//! PostgreSQL.

/// A new staff account ($1 tenant, $2 username, $3 role, $4 password hash, $5 time), returning its
/// id; a unique violation for a username the tenant has.
pub(crate) const INSERT_STAFF_USER: &str = "INSERT INTO staff_users (tenant_id, username, role, password_hash, failed_logins, created_ms, updated_ms) \
     VALUES ($1, $2, $3, $4, 0, $5, $5) RETURNING id";

/// A tenant's staff account by name ($1 tenant, $2 username).
pub(crate) const SELECT_STAFF_USER_BY_NAME: &str = "SELECT u.id, u.tenant_id, u.username, u.role, u.password_hash, u.failed_logins, u.locked_until_ms, u.created_ms FROM staff_users u WHERE u.tenant_id = $1 AND u.username = $2";

/// A tenant's staff accounts ($1 tenant), in username order.
pub(crate) const SELECT_STAFF_USERS: &str = "SELECT u.id, u.tenant_id, u.username, u.role, u.password_hash, u.failed_logins, u.locked_until_ms, u.created_ms FROM staff_users u WHERE u.tenant_id = $1 ORDER BY u.username";

/// Deletes a staff account's sessions ($1 tenant, $2 account id).
pub(crate) const DELETE_SESSIONS_OF_STAFF_USER: &str = "DELETE FROM staff_sessions WHERE tenant_id = $1 AND staff_user_id = $2";

/// Deletes a staff account ($1 tenant, $2 account id).
pub(crate) const DELETE_STAFF_USER: &str = "DELETE FROM staff_users WHERE tenant_id = $1 AND id = $2";

/// Sets a staff account's password hash and unlocks it ($1 hash, $2 time, $3 tenant, $4 username),
/// returning its id; no row for an unknown account.
pub(crate) const SET_STAFF_PASSWORD: &str = "UPDATE staff_users SET password_hash = $1, failed_logins = 0, locked_until_ms = NULL, updated_ms = $2 \
     WHERE tenant_id = $3 AND username = $4 RETURNING id";

/// Counts a sign-in attempt of an account that is not locked ($1 failures that lock it, $2 lock
/// end, $3 tenant, $4 account id, $5 time): the count restarts and the account locks at the
/// $1th; returns the lock end (NULL when it does not lock). No row when the account is locked.
pub(crate) const RESERVE_LOGIN_ATTEMPT: &str = "UPDATE staff_users SET \
     failed_logins = CASE WHEN failed_logins + 1 >= $1 THEN 0 ELSE failed_logins + 1 END, \
     locked_until_ms = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE NULL END \
     WHERE tenant_id = $3 AND id = $4 AND (locked_until_ms IS NULL OR locked_until_ms <= $5) \
     RETURNING locked_until_ms";

/// A staff account's lock end, NULL when unlocked ($1 tenant, $2 account id).
pub(crate) const SELECT_STAFF_LOCK: &str = "SELECT locked_until_ms FROM staff_users WHERE tenant_id = $1 AND id = $2";

/// Clears a staff account's failed sign-ins and lock ($1 tenant, $2 account id); no row when
/// there is nothing to clear.
pub(crate) const CLEAR_FAILED_LOGINS: &str = "UPDATE staff_users SET failed_logins = 0, locked_until_ms = NULL WHERE tenant_id = $1 AND id = $2 \
     AND (failed_logins <> 0 OR locked_until_ms IS NOT NULL)";

/// A new session ($1 token hash, $2 tenant, $3 account id, $4 CSRF token, $5 time, $6 expiry),
/// if the account exists; a unique violation for a token hash that exists.
pub(crate) const INSERT_STAFF_SESSION: &str = "INSERT INTO staff_sessions (token_hash, tenant_id, staff_user_id, csrf_token, created_ms, expires_ms) \
     SELECT $1, $2, $3, $4, $5, $6 FROM staff_users WHERE tenant_id = $2 AND id = $3";

/// The session with token hash $1 that has not expired at $2 time, with its staff account's
/// columns.
pub(crate) const FIND_LIVE_SESSION_BY_HASH: &str = "SELECT s.id AS session_id, s.csrf_token, s.created_ms AS session_created_ms, s.expires_ms, u.id, u.tenant_id, u.username, u.role, u.password_hash, u.failed_logins, u.locked_until_ms, u.created_ms \
     FROM staff_sessions s JOIN staff_users u ON u.id = s.staff_user_id AND u.tenant_id = s.tenant_id \
     WHERE s.token_hash = $1 AND s.expires_ms > $2";

/// Deletes the session with token hash $1.
pub(crate) const DELETE_SESSION: &str = "DELETE FROM staff_sessions WHERE token_hash = $1";

/// Deletes the sessions expired at $1 time.
pub(crate) const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM staff_sessions WHERE expires_ms <= $1";

/// How many of a tenant's amendments ($1 tenant) are in $2 state, of $3 domain ('' for any).
pub(crate) const COUNT_AMENDMENTS_IN_STATE: &str =
    "SELECT COUNT(*) FROM amendments WHERE tenant_id = $1 AND state = $2 AND ($3 = '' OR domain = $3)";

macro_rules! impl_staff_store {
    ($store:ident, $db:ty, $row:ty) => {
        mod staff_impl {
            use super::{commit, write_records, $store};
            use async_trait::async_trait;
            use custodian_domain::{AmendmentState, DataDomain, TenantId};
            use custodian_store::staff::{
                LoginReservation, NewStaffSession, NewStaffUser, StaffRole, StaffSessionRecord, StaffStore, StaffUser,
            };
            use custodian_store::{Records, StoreError, StoreResult};
            use sqlx::Row;

            fn get<'r, T>(r: &'r $row, col: &str) -> StoreResult<T>
            where
                T: sqlx::Decode<'r, $db> + sqlx::Type<$db>,
            {
                r.try_get(col).map_err(crate::backend_error)
            }

            fn user_row(r: &$row) -> StoreResult<StaffUser> {
                Ok(StaffUser {
                    id: get(r, "id")?,
                    tenant_id: TenantId(get(r, "tenant_id")?),
                    username: get(r, "username")?,
                    role: get::<String>(r, "role")?.parse::<StaffRole>().map_err(StoreError::Backend)?,
                    password_hash: get(r, "password_hash")?,
                    failed_logins: get(r, "failed_logins")?,
                    locked_until_ms: get(r, "locked_until_ms")?,
                    created_ms: get(r, "created_ms")?,
                })
            }

            #[async_trait]
            impl StaffStore for $store {
                async fn create_staff_user(&self, u: NewStaffUser, records: Records) -> StoreResult<StaffUser> {
                    let mut tx = self.begin_write().await?;
                    let id: i64 = sqlx::query_scalar(crate::staff_sql::INSERT_STAFF_USER)
                        .bind(u.tenant_id.0)
                        .bind(&u.username)
                        .bind(u.role.as_str())
                        .bind(&u.password_hash)
                        .bind(u.now_ms)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(|e| {
                            if crate::is_unique_violation(&e) {
                                StoreError::Conflict(format!("a staff account named {:?} exists in this tenant", u.username))
                            } else {
                                crate::foreign_key_is_not_found(e)
                            }
                        })?;
                    write_records(&mut tx, u.tenant_id, None, &records).await?;
                    commit(tx).await?;
                    Ok(StaffUser {
                        id,
                        tenant_id: u.tenant_id,
                        username: u.username,
                        role: u.role,
                        password_hash: u.password_hash,
                        failed_logins: 0,
                        locked_until_ms: None,
                        created_ms: u.now_ms,
                    })
                }

                async fn find_staff_user(&self, tenant: TenantId, username: &str) -> StoreResult<Option<StaffUser>> {
                    let row = sqlx::query(crate::staff_sql::SELECT_STAFF_USER_BY_NAME)
                        .bind(tenant.0)
                        .bind(username)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    row.as_ref().map(user_row).transpose()
                }

                async fn list_staff_users(&self, tenant: TenantId) -> StoreResult<Vec<StaffUser>> {
                    let rows = sqlx::query(crate::staff_sql::SELECT_STAFF_USERS)
                        .bind(tenant.0)
                        .fetch_all(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    rows.iter().map(user_row).collect()
                }

                async fn delete_staff_user(&self, tenant: TenantId, username: &str, records: Records) -> StoreResult<StaffUser> {
                    let mut tx = self.begin_write().await?;
                    let row = sqlx::query(crate::staff_sql::SELECT_STAFF_USER_BY_NAME)
                        .bind(tenant.0)
                        .bind(username)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?
                        .ok_or(StoreError::NotFound)?;
                    let user = user_row(&row)?;
                    // Sessions first: the account's end signs it out everywhere at once.
                    sqlx::query(crate::staff_sql::DELETE_SESSIONS_OF_STAFF_USER)
                        .bind(tenant.0)
                        .bind(user.id)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    let done = sqlx::query(crate::staff_sql::DELETE_STAFF_USER)
                        .bind(tenant.0)
                        .bind(user.id)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    if done.rows_affected() != 1 {
                        return Err(StoreError::NotFound);
                    }
                    write_records(&mut tx, tenant, None, &records).await?;
                    commit(tx).await?;
                    Ok(user)
                }

                async fn set_staff_password(&self, tenant: TenantId, username: &str, hash: &str, now_ms: i64) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    let id: i64 = sqlx::query_scalar(crate::staff_sql::SET_STAFF_PASSWORD)
                        .bind(hash)
                        .bind(now_ms)
                        .bind(tenant.0)
                        .bind(username)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?
                        .ok_or(StoreError::NotFound)?;
                    // A new password signs the account out everywhere.
                    sqlx::query(crate::staff_sql::DELETE_SESSIONS_OF_STAFF_USER)
                        .bind(tenant.0)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    tx.commit().await.map_err(crate::backend_error)
                }

                async fn reserve_staff_login_attempt(
                    &self,
                    tenant: TenantId,
                    user_id: i64,
                    now_ms: i64,
                    lock_after: i64,
                    lock_ms: i64,
                ) -> StoreResult<LoginReservation> {
                    let until = now_ms + lock_ms;
                    let mut tx = self.begin_write().await?;
                    // One conditional update decides: concurrent attempts queue on the row, and each
                    // sees the count the ones before it left.
                    let row = sqlx::query(crate::staff_sql::RESERVE_LOGIN_ATTEMPT)
                        .bind(lock_after)
                        .bind(until)
                        .bind(tenant.0)
                        .bind(user_id)
                        .bind(now_ms)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    let reservation = match row {
                        Some(row) => LoginReservation::Granted { locks_until: get::<Option<i64>>(&row, "locked_until_ms")? },
                        None => {
                            let locked: Option<i64> = sqlx::query_scalar(crate::staff_sql::SELECT_STAFF_LOCK)
                                .bind(tenant.0)
                                .bind(user_id)
                                .fetch_optional(&mut *tx)
                                .await
                                .map_err(crate::backend_error)?
                                .ok_or(StoreError::NotFound)?;
                            LoginReservation::Locked { until_ms: locked.unwrap_or(until) }
                        }
                    };
                    tx.commit().await.map_err(crate::backend_error)?;
                    Ok(reservation)
                }

                async fn record_staff_login_success(&self, tenant: TenantId, user_id: i64) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query(crate::staff_sql::CLEAR_FAILED_LOGINS)
                        .bind(tenant.0)
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    tx.commit().await.map_err(crate::backend_error)
                }

                async fn create_staff_session(&self, s: NewStaffSession) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query(crate::staff_sql::INSERT_STAFF_SESSION)
                        .bind(&s.token_hash)
                        .bind(s.tenant_id.0)
                        .bind(s.staff_user_id)
                        .bind(&s.csrf_token)
                        .bind(s.created_ms)
                        .bind(s.expires_ms)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| {
                            if crate::is_unique_violation(&e) {
                                StoreError::Conflict("a session with this token exists".into())
                            } else {
                                crate::backend_error(e)
                            }
                        })
                        .and_then(|done| if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::NotFound) })?;
                    tx.commit().await.map_err(crate::backend_error)
                }

                async fn find_staff_session(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<StaffSessionRecord>> {
                    let row = sqlx::query(crate::staff_sql::FIND_LIVE_SESSION_BY_HASH)
                        .bind(token_hash)
                        .bind(now_ms)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(crate::backend_error)?;
                    row.map(|r| {
                        Ok(StaffSessionRecord {
                            id: get(&r, "session_id")?,
                            user: user_row(&r)?,
                            csrf_token: get(&r, "csrf_token")?,
                            created_ms: get(&r, "session_created_ms")?,
                            expires_ms: get(&r, "expires_ms")?,
                        })
                    })
                    .transpose()
                }

                async fn delete_staff_session(&self, token_hash: &str) -> StoreResult<()> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query(crate::staff_sql::DELETE_SESSION)
                        .bind(token_hash)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    tx.commit().await.map_err(crate::backend_error)
                }

                async fn delete_expired_staff_sessions(&self, now_ms: i64) -> StoreResult<i64> {
                    let mut tx = self.begin_write().await?;
                    let done = sqlx::query(crate::staff_sql::DELETE_EXPIRED_SESSIONS)
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await
                        .map_err(crate::backend_error)?;
                    tx.commit().await.map_err(crate::backend_error)?;
                    Ok(done.rows_affected() as i64)
                }

                async fn count_amendments(
                    &self,
                    tenant: TenantId,
                    state: AmendmentState,
                    domain: Option<DataDomain>,
                ) -> StoreResult<i64> {
                    sqlx::query_scalar(crate::staff_sql::COUNT_AMENDMENTS_IN_STATE)
                        .bind(tenant.0)
                        .bind(state.as_str())
                        .bind(domain.map_or("", |d| d.as_str()))
                        .fetch_one(self.reader())
                        .await
                        .map_err(crate::backend_error)
                }
            }
        }
    };
}
