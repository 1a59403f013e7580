//! The staff-console part of the storage port: staff accounts of a tenant (with their password
//! hashes and sign-in throttling), server-side console sessions (stored by the SHA-256 of their
//! token), and the count behind the review queue's badge.

use crate::{Records, StoreResult};
use async_trait::async_trait;
use custodian_domain::{AmendmentState, DataDomain, TenantId};
use std::fmt;
use std::str::FromStr;

/// What a staff member may do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaffRole {
    /// Works the review queue: approves and rejects amendments, reads customers.
    Reviewer,
    /// A reviewer who also changes settings (policies, webhooks) and sees IBANs in full.
    Admin,
}

impl StaffRole {
    pub const ALL: [StaffRole; 2] = [StaffRole::Reviewer, StaffRole::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Reviewer => "reviewer",
            StaffRole::Admin => "admin",
        }
    }
}

impl fmt::Display for StaffRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StaffRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StaffRole::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown staff role {s:?}: expected reviewer or admin"))
    }
}

/// A staff account of one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffUser {
    pub id: i64,
    pub tenant_id: TenantId,
    /// The login name; unique per tenant; recorded in the audit trail as `staff:<username>`.
    pub username: String,
    pub role: StaffRole,
    /// An argon2 PHC string.
    pub password_hash: String,
    /// Failed sign-ins since the last success or lock.
    pub failed_logins: i64,
    /// Sign-in is refused until then.
    pub locked_until_ms: Option<i64>,
    pub created_ms: i64,
}

/// A staff account to create.
#[derive(Debug, Clone)]
pub struct NewStaffUser {
    pub tenant_id: TenantId,
    pub username: String,
    pub role: StaffRole,
    pub password_hash: String,
    pub now_ms: i64,
}

/// A console session to store; the token itself is never stored, only its hash.
#[derive(Debug, Clone)]
pub struct NewStaffSession {
    /// Lowercase hex SHA-256 of the session token held in the browser's cookie.
    pub token_hash: String,
    pub tenant_id: TenantId,
    pub staff_user_id: i64,
    /// The per-session token every console form must carry.
    pub csrf_token: String,
    pub created_ms: i64,
    pub expires_ms: i64,
}

/// A live console session with its staff account as it is now (a role change applies at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSessionRecord {
    pub id: i64,
    pub user: StaffUser,
    pub csrf_token: String,
    pub created_ms: i64,
    pub expires_ms: i64,
}

/// Whether a sign-in attempt may check its password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginReservation {
    /// The attempt was counted as a failure before its password is checked (a success clears the
    /// count); `locks_until` is set when it was the one that used up the account's attempts.
    Granted { locks_until: Option<i64> },
    /// The account is locked: no password is checked.
    Locked { until_ms: i64 },
}

#[async_trait]
pub trait StaffStore: Send + Sync {
    /// Creates an account with the audit entries of its creation, atomically. `Conflict` when the
    /// username is taken in the tenant, `NotFound` for an unknown tenant.
    async fn create_staff_user(&self, user: NewStaffUser, records: Records) -> StoreResult<StaffUser>;
    /// Deletes an account and every one of its sessions and writes the audit entries of its
    /// deletion, atomically; returns the deleted account. `NotFound` (and nothing written) when the
    /// tenant has no account of that name. The audit trail keeps naming it as `staff:<username>`.
    async fn delete_staff_user(&self, tenant: TenantId, username: &str, records: Records) -> StoreResult<StaffUser>;
    async fn find_staff_user(&self, tenant: TenantId, username: &str) -> StoreResult<Option<StaffUser>>;
    /// The tenant's accounts by username.
    async fn list_staff_users(&self, tenant: TenantId) -> StoreResult<Vec<StaffUser>>;
    /// Replaces the password hash, lifts any lock and ends every session of the account.
    async fn set_staff_password(&self, tenant: TenantId, username: &str, password_hash: &str, now_ms: i64) -> StoreResult<()>;

    /// Reserves a sign-in attempt atomically, before its password is checked, so that parallel
    /// guesses count: unless the account is locked, counts the attempt as a failure; the
    /// `lock_after`-th in a row locks the account until `now_ms + lock_ms` (this attempt is still
    /// checked) and starts the count again. A success then clears the count and the lock.
    async fn reserve_staff_login_attempt(
        &self,
        tenant: TenantId,
        user_id: i64,
        now_ms: i64,
        lock_after: i64,
        lock_ms: i64,
    ) -> StoreResult<LoginReservation>;
    /// Clears the failure count and any lock after a successful sign-in.
    async fn record_staff_login_success(&self, tenant: TenantId, user_id: i64) -> StoreResult<()>;

    async fn create_staff_session(&self, session: NewStaffSession) -> StoreResult<()>;
    /// The session with this token hash, unless it expired by `now_ms`.
    async fn find_staff_session(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<StaffSessionRecord>>;
    /// Ends a session (sign-out); ending an unknown session is not an error.
    async fn delete_staff_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Removes sessions that expired by `now_ms`; returns how many.
    async fn delete_expired_staff_sessions(&self, now_ms: i64) -> StoreResult<i64>;

    /// How many amendments of the tenant are in `state`, optionally of one domain (the queue badge).
    async fn count_amendments(&self, tenant: TenantId, state: AmendmentState, domain: Option<DataDomain>) -> StoreResult<i64>;
}
