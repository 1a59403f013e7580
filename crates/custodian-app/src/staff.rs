//! Staff accounts and console sessions: accounts per tenant with argon2-hashed passwords, sign-in
//! with a lock after repeated failures, server-side sessions found by the SHA-256 of a random
//! token, and the context (actor `staff:<username>` or `admin:<username>`) a session acts with.

use crate::Context;
use crate::auth::hash_key;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::events::{described, tenant_audit};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use custodian_domain::{Actor, ActorKind, TenantId};
use custodian_store::staff::{LoginReservation, NewStaffSession, NewStaffUser, StaffRole, StaffSessionRecord, StaffUser};
use custodian_store::{NewAudit, Records, Store, StoreError};
use serde_json::Value;
use std::sync::{Arc, OnceLock};

/// Failed sign-ins in a row after which an account is locked.
pub const LOCK_AFTER_FAILURES: i64 = 5;
/// How long a locked account refuses sign-in.
pub const LOCK_MS: i64 = 5 * 60 * 1000;
/// Shortest accepted password.
pub const MIN_PASSWORD_CHARS: usize = 12;
const MAX_PASSWORD_BYTES: usize = 1024;

/// A signed-in staff member, as every console request sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSession {
    pub tenant: TenantId,
    pub user_id: i64,
    pub username: String,
    pub role: StaffRole,
    /// The token every form of this session carries.
    pub csrf_token: String,
    pub expires_ms: i64,
}

impl StaffSession {
    pub fn is_admin(&self) -> bool {
        self.role == StaffRole::Admin
    }

    /// Reviewers act as `staff:<username>`, admins as `admin:<username>`.
    pub fn actor(&self) -> Actor {
        let kind = match self.role {
            StaffRole::Reviewer => ActorKind::Staff,
            StaffRole::Admin => ActorKind::Admin,
        };
        Actor::new(kind, self.username.clone())
    }

    /// The context the application services run this staff member's commands with.
    pub fn context(&self, request_id: Option<String>) -> Context {
        Context { tenant: self.tenant, actor: self.actor(), request_id }
    }
}

impl From<StaffSessionRecord> for StaffSession {
    fn from(r: StaffSessionRecord) -> Self {
        StaffSession {
            tenant: r.user.tenant_id,
            user_id: r.user.id,
            username: r.user.username,
            role: r.user.role,
            csrf_token: r.csrf_token,
            expires_ms: r.expires_ms,
        }
    }
}

/// What a sign-in attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// `token` goes into the session cookie; only its hash is stored.
    SignedIn { token: String, session: StaffSession },
    /// Unknown tenant or username, or a wrong password (deliberately not told apart).
    Refused,
    /// Too many failures in a row: no password is checked until then.
    Locked { until_ms: i64 },
}

#[derive(Clone)]
pub struct StaffService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

/// Checks a login name: 1 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit (it appears in
/// the audit trail as `staff:<username>`, so it never holds a colon or spaces).
pub fn parse_username(raw: &str) -> AppResult<String> {
    let name = raw.trim().to_ascii_lowercase();
    let ok_chars = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    let ok_start = name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if name.is_empty() || name.len() > 64 || !ok_chars || !ok_start {
        return Err(AppError::invalid(
            "username",
            "a username has 1 to 64 characters a-z, 0-9, '.', '_' or '-' and starts with a letter or digit",
        ));
    }
    Ok(name)
}

fn check_password(password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid("password", format!("a password needs at least {MIN_PASSWORD_CHARS} characters")));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::invalid("password", format!("a password has at most {MAX_PASSWORD_BYTES} bytes")));
    }
    Ok(())
}

fn random_hex(bytes: usize) -> String {
    let mut out = String::with_capacity(bytes * 2);
    for _ in 0..bytes.div_ceil(16) {
        let b: [u8; 16] = rand::random();
        out.push_str(&hex::encode(b));
    }
    out.truncate(bytes * 2);
    out
}

/// A memorable-enough random password of 20 characters (about 115 bits), e.g. for the demo users.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    (0..20).map(|_| ALPHABET[(rand::random::<u32>() as usize) % ALPHABET.len()] as char).collect()
}

/// Password hashes computed at once in this process: half the cores, 1 to 2. Each argon2 hash
/// takes 19 MiB and a core for tens of milliseconds; a flood of sign-ins waits here instead of
/// taking every core from the API.
pub fn max_concurrent_hashes() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get() / 2).clamp(1, 2)
}

fn hashing() -> &'static tokio::sync::Semaphore {
    static HASHING: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    HASHING.get_or_init(|| tokio::sync::Semaphore::new(max_concurrent_hashes()))
}

/// argon2id with OWASP's equivalent alternative to the crate's default (19 MiB, 2 passes): 46 MiB,
/// 1 pass, 1 lane. Its memory block is above glibc's largest mmap threshold (32 MiB), so it is
/// always mapped fresh and returned to the system when the hash is done; a 19 MiB block ends up
/// on the heap once glibc has raised its threshold, and the process keeps it resident.
/// Verifying uses the parameters stored in each hash, so older hashes keep working.
fn argon2() -> Argon2<'static> {
    let params = argon2::Params::new(46 * 1024, 1, 1, None).expect("valid argon2 parameters");
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// Hashes a password with [`argon2`] off the async threads.
async fn hash_password(password: String) -> AppResult<String> {
    let _permit = hashing().acquire().await.map_err(|e| AppError::Store(StoreError::Backend(e.to_string())))?;
    tokio::task::spawn_blocking(move || {
        argon2().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| AppError::Store(StoreError::Backend(format!("password hashing stopped: {e}"))))?
    .map_err(|e| AppError::Store(StoreError::Backend(format!("password hashing failed: {e}"))))
}

/// Checks a password against a stored PHC string (`None`: the decoy) off the async threads, at
/// most [`max_concurrent_hashes`] at once; false for a malformed hash.
async fn verify_password(password: String, phc: Option<String>) -> bool {
    let Ok(_permit) = hashing().acquire().await else { return false };
    tokio::task::spawn_blocking(move || {
        let phc = phc.unwrap_or_else(decoy_hash);
        PasswordHash::new(&phc).is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A hash of a random password, checked for unknown usernames so that they take as long as known ones.
fn decoy_hash() -> String {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| argon2().hash_password(random_hex(16).as_bytes()).map(|h| h.to_string()).unwrap_or_default()).clone()
}

/// The audit entry of an account's creation or deletion: username and role only.
fn staff_audit(ctx: &Context, action: &str, username: &str, role: StaffRole, at_ms: i64) -> NewAudit {
    let fields = vec![("username", Value::from(username)), ("role", Value::from(role.as_str()))];
    tenant_audit(ctx, action, described(fields, action == "staff.created"), at_ms)
}

/// A session token has 32 random bytes in hex; anything else is never looked up.
fn plausible_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

impl StaffService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        StaffService { store, clock }
    }

    /// Creates a staff account of a tenant for the operator at the command line (audited as
    /// `system:custodian`).
    pub async fn create(&self, tenant: TenantId, username: &str, role: StaffRole, password: &str) -> AppResult<StaffUser> {
        self.create_by(&Context::operator(tenant), username, role, password).await
    }

    /// Creates a staff account on behalf of `ctx`'s actor with its `staff.created` audit entry
    /// (username and role; never the password). A taken username is a conflict.
    pub async fn create_by(&self, ctx: &Context, username: &str, role: StaffRole, password: &str) -> AppResult<StaffUser> {
        let tenant = ctx.tenant;
        let username = parse_username(username)?;
        check_password(password)?;
        self.store.get_tenant(tenant).await.map_err(AppError::store("tenant"))?;
        let password_hash = hash_password(password.to_owned()).await?;
        let now = self.clock.now_ms();
        let audit = staff_audit(ctx, "staff.created", &username, role, now);
        let user = self
            .store
            .create_staff_user(
                NewStaffUser { tenant_id: tenant, username, role, password_hash, now_ms: now },
                Records { audit: vec![audit], events: vec![] },
            )
            .await
            .map_err(|e| match e {
                StoreError::Conflict(m) => AppError::conflict("username", m),
                other => AppError::store("tenant")(other),
            })?;
        tracing::info!(tenant.id = %tenant, staff.id = user.id, role = %role, "staff account {} created", user.id);
        Ok(user)
    }

    /// Deletes a staff account on behalf of `ctx`'s actor: every session of it ends at once, it
    /// can no longer sign in, and the `staff.deleted` audit entry is written with the deletion.
    pub async fn delete_by(&self, ctx: &Context, username: &str) -> AppResult<StaffUser> {
        let Ok(username) = parse_username(username) else { return Err(AppError::NotFound("staff_account")) };
        let existing = self.store.find_staff_user(ctx.tenant, &username).await.map_err(AppError::Store)?;
        let Some(existing) = existing else { return Err(AppError::NotFound("staff_account")) };
        let audit = staff_audit(ctx, "staff.deleted", &existing.username, existing.role, self.clock.now_ms());
        let user = self
            .store
            .delete_staff_user(ctx.tenant, &username, Records { audit: vec![audit], events: vec![] })
            .await
            .map_err(AppError::store("staff_account"))?;
        tracing::info!(tenant.id = %ctx.tenant, staff.id = user.id, "staff account {} deleted", user.id);
        Ok(user)
    }

    /// Sets a new password; every session of the account ends and any lock is lifted.
    pub async fn set_password(&self, tenant: TenantId, username: &str, password: &str) -> AppResult<()> {
        let username = parse_username(username)?;
        check_password(password)?;
        let hash = hash_password(password.to_owned()).await?;
        self.store
            .set_staff_password(tenant, &username, &hash, self.clock.now_ms())
            .await
            .map_err(AppError::store("staff account"))
    }

    pub async fn list(&self, tenant: TenantId) -> AppResult<Vec<StaffUser>> {
        self.store.list_staff_users(tenant).await.map_err(AppError::Store)
    }

    pub async fn find(&self, tenant: TenantId, username: &str) -> AppResult<Option<StaffUser>> {
        let Ok(username) = parse_username(username) else { return Ok(None) };
        self.store.find_staff_user(tenant, &username).await.map_err(AppError::Store)
    }

    /// Checks the credentials and opens a session that lasts `ttl_ms`.
    pub async fn sign_in(&self, tenant: TenantId, username: &str, password: &str, ttl_ms: i64) -> AppResult<SignIn> {
        let user = match parse_username(username) {
            Ok(name) if password.len() <= MAX_PASSWORD_BYTES => {
                self.store.find_staff_user(tenant, &name).await.map_err(AppError::Store)?
            }
            _ => None,
        };
        let now = self.clock.now_ms();
        let Some(user) = user else {
            verify_password(password.to_owned(), None).await;
            tracing::info!(tenant.id = %tenant, "console sign-in refused: unknown account");
            return Ok(SignIn::Refused);
        };
        // The attempt counts before its password is checked, in one atomic step with the lock
        // decision: parallel guesses cannot all slip past the lock.
        let reservation = self
            .store
            .reserve_staff_login_attempt(tenant, user.id, now, LOCK_AFTER_FAILURES, LOCK_MS)
            .await
            .map_err(AppError::Store)?;
        let locked = match reservation {
            LoginReservation::Locked { until_ms } => {
                tracing::warn!(tenant.id = %tenant, staff.id = user.id, "console sign-in refused: account locked");
                return Ok(SignIn::Locked { until_ms });
            }
            LoginReservation::Granted { locks_until } => locks_until,
        };
        if !verify_password(password.to_owned(), Some(user.password_hash.clone())).await {
            tracing::warn!(tenant.id = %tenant, staff.id = user.id, locked = locked.is_some(), "console sign-in refused: wrong password");
            return Ok(match locked {
                Some(until_ms) => SignIn::Locked { until_ms },
                None => SignIn::Refused,
            });
        }
        self.store.record_staff_login_success(tenant, user.id).await.map_err(AppError::Store)?;
        // Housekeeping: sign-ins are rare enough to sweep expired sessions on the way.
        self.store.delete_expired_staff_sessions(now).await.map_err(AppError::Store)?;
        let token = random_hex(32);
        let session = NewStaffSession {
            token_hash: hash_key(&token),
            tenant_id: tenant,
            staff_user_id: user.id,
            csrf_token: random_hex(32),
            created_ms: now,
            expires_ms: now + ttl_ms.max(1),
        };
        let session_view = StaffSession {
            tenant,
            user_id: user.id,
            username: user.username.clone(),
            role: user.role,
            csrf_token: session.csrf_token.clone(),
            expires_ms: session.expires_ms,
        };
        self.store.create_staff_session(session).await.map_err(AppError::Store)?;
        tracing::info!(tenant.id = %tenant, staff.id = user.id, "console sign-in");
        Ok(SignIn::SignedIn { token, session: session_view })
    }

    /// The live session of a token, `None` when it is unknown, signed out or expired.
    pub async fn session(&self, token: &str) -> AppResult<Option<StaffSession>> {
        if !plausible_token(token) {
            return Ok(None);
        }
        let found = self.store.find_staff_session(&hash_key(token), self.clock.now_ms()).await.map_err(AppError::Store)?;
        Ok(found.map(StaffSession::from))
    }

    /// Ends a session; signing out twice is fine.
    pub async fn sign_out(&self, token: &str) -> AppResult<()> {
        if !plausible_token(token) {
            return Ok(());
        }
        self.store.delete_staff_session(&hash_key(token)).await.map_err(AppError::Store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_limited_to_audit_safe_characters() {
        assert_eq!(parse_username("  Alice.M ").unwrap(), "alice.m");
        assert_eq!(parse_username("front-desk_2").unwrap(), "front-desk_2");
        for bad in ["", "   ", "al ice", "staff:alice", "-alice", "ä", &"a".repeat(65)] {
            assert!(parse_username(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password("elevenchars").is_err());
        assert!(check_password("twelve chars").is_ok());
        assert!(check_password(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
    }

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery".into(), Some(hash.clone())).await);
        assert!(!verify_password("correct horse battery!".into(), Some(hash)).await);
        assert!(!verify_password("anything".into(), Some("not a hash".into())).await);
        assert!(!verify_password("anything".into(), None).await);
    }

    #[tokio::test]
    async fn new_hashes_use_46_mib_and_one_pass_and_older_default_hashes_still_verify() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=47104,t=1,p=1$"), "{hash}");
        let older = Argon2::default().hash_password(b"correct horse battery").unwrap().to_string();
        assert!(older.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{older}");
        assert!(verify_password("correct horse battery".into(), Some(older.clone())).await);
        assert!(!verify_password("wrong horse battery".into(), Some(older)).await);
    }

    #[test]
    fn generated_passwords_and_tokens_have_their_length() {
        assert_eq!(generate_password().chars().count(), 20);
        assert_eq!(random_hex(32).len(), 64);
        assert!(plausible_token(&random_hex(32)));
        assert!(!plausible_token("abc"));
        assert_ne!(random_hex(32), random_hex(32));
    }
}
