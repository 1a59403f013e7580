//! API keys: generated once, shown once, stored as a SHA-256 hash; authentication finds the key
//! by hash and yields the tenant and scopes of the caller.

use crate::Context;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::events::{described, tenant_audit};
use custodian_domain::{Actor, ActorKind, Scope, TenantId};
use custodian_store::{ApiKeyRecord, NewApiKey, NewAudit, Records, Store, StoreError};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant: TenantId,
    pub key_prefix: String,
    pub label: String,
    pub scopes: Vec<Scope>,
}

impl Principal {
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// The actor recorded for this caller's changes: admins and staff by their key's label,
    /// partner applications by the key's public prefix.
    pub fn actor(&self) -> Actor {
        let named = if self.label.is_empty() { self.key_prefix.clone() } else { self.label.clone() };
        if self.has(Scope::Admin) {
            Actor::new(ActorKind::Admin, named)
        } else if self.has(Scope::StaffReview) {
            Actor::new(ActorKind::Staff, named)
        } else {
            Actor::new(ActorKind::ApiKey, self.key_prefix.clone())
        }
    }
}

impl From<ApiKeyRecord> for Principal {
    fn from(r: ApiKeyRecord) -> Self {
        Principal { tenant: r.tenant_id, key_prefix: r.prefix, label: r.label, scopes: r.scopes }
    }
}

/// A newly created key: `secret` is shown once and never stored.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub secret: String,
    pub created_ms: i64,
    pub principal: Principal,
}

#[derive(Clone)]
pub struct ApiKeyService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/// A new key's public prefix and the whole key `cus_<prefix>_<secret>`.
pub(crate) fn new_key() -> (String, String) {
    let prefix = random_chars(8);
    let secret = format!("cus_{prefix}_{}", random_chars(32));
    (prefix, secret)
}

fn random_chars(n: usize) -> String {
    (0..n).map(|_| ALPHABET[(rand::random::<u32>() as usize) % ALPHABET.len()] as char).collect()
}

/// The audit entry of a key's creation or revocation: its public prefix, scopes, label and (for a
/// partner key) customer — never the secret or its hash.
pub(crate) fn key_audit(
    ctx: &Context,
    action: &str,
    prefix: &str,
    scopes: &[Scope],
    label: &str,
    customer: Option<String>,
    at_ms: i64,
) -> NewAudit {
    let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    let mut fields = vec![("prefix", Value::from(prefix)), ("scopes", Value::from(scopes)), ("label", Value::from(label))];
    if let Some(c) = customer {
        fields.push(("customer", Value::from(c)));
    }
    tenant_audit(ctx, action, described(fields, action == "key.created"), at_ms)
}

/// Checks a key's label as an admin gives it over HTTP: it names the key's holder in the audit
/// trail (`admin:<label>`, `staff:<label>`), so it is 1 to 100 printable characters.
pub fn parse_label(raw: &str) -> AppResult<String> {
    let label = raw.trim();
    if label.is_empty() || label.chars().count() > 100 || label.chars().any(char::is_control) {
        return Err(AppError::invalid("label", "a label has 1 to 100 printable characters"));
    }
    Ok(label.to_owned())
}

/// Lowercase hex SHA-256 of a presented key.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

impl ApiKeyService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        ApiKeyService { store, clock }
    }

    /// Creates a key `cus_<prefix>_<secret>` (about 190 bits of randomness in the secret) for the
    /// operator at the command line (audited as `system:custodian`).
    pub async fn create(&self, tenant: TenantId, scopes: Vec<Scope>, label: &str) -> AppResult<IssuedKey> {
        self.issue(&Context::operator(tenant), scopes, label).await
    }

    /// Creates a key on behalf of `ctx`'s actor; the `key.created` audit entry (prefix, scopes,
    /// label — never the secret) is written with it.
    pub async fn issue(&self, ctx: &Context, scopes: Vec<Scope>, label: &str) -> AppResult<IssuedKey> {
        if scopes.is_empty() {
            return Err(AppError::invalid("scope", "a key needs at least one scope"));
        }
        self.store.get_tenant(ctx.tenant).await.map_err(AppError::store("tenant"))?;
        let (prefix, secret) = new_key();
        let now = self.clock.now_ms();
        let audit = key_audit(ctx, "key.created", &prefix, &scopes, label, None, now);
        let record = self
            .store
            .insert_api_key(
                NewApiKey {
                    tenant_id: ctx.tenant,
                    prefix,
                    key_hash: hash_key(&secret),
                    scopes,
                    label: label.to_owned(),
                    created_ms: now,
                },
                Records { audit: vec![audit], events: vec![] },
            )
            .await
            .map_err(AppError::Store)?;
        Ok(IssuedKey { secret, created_ms: record.created_ms, principal: record.into() })
    }

    /// The tenant's live keys (public prefixes, scopes and labels; never secrets), oldest first.
    pub async fn list(&self, tenant: TenantId) -> AppResult<Vec<Principal>> {
        Ok(self.records(tenant).await?.into_iter().map(Principal::from).collect())
    }

    /// The tenant's live key records (with their creation time), oldest first.
    pub async fn records(&self, tenant: TenantId) -> AppResult<Vec<ApiKeyRecord>> {
        self.store.get_tenant(tenant).await.map_err(AppError::store("tenant"))?;
        self.store.list_api_keys(tenant).await.map_err(AppError::Store)
    }

    /// Revokes a key by its public prefix (the part after `cus_`) for the operator at the command
    /// line; running servers refuse it within a second (they poll the cache epoch the revocation
    /// advances). The operator may revoke any key, the last ADMIN key too.
    pub async fn revoke(&self, tenant: TenantId, prefix: &str) -> AppResult<()> {
        let ctx = Context::operator(tenant);
        let key = self.live_key(tenant, prefix).await.map_err(|_| AppError::NotFound("API key"))?;
        self.revoke_key(&ctx, &key, false).await.map_err(|e| match e {
            AppError::NotFound(_) => AppError::NotFound("API key"),
            other => other,
        })
    }

    /// Revokes a key on behalf of a tenant admin (API or console); this process refuses it at once,
    /// every other process within a second. The
    /// tenant's last live ADMIN key is refused (409): a tenant is never left without one over
    /// HTTP — create the new admin key first; the operator's CLI can still revoke it.
    pub async fn revoke_by(&self, ctx: &Context, prefix: &str) -> AppResult<()> {
        let key = self.live_key(ctx.tenant, prefix).await?;
        self.revoke_key(ctx, &key, true).await
    }

    async fn live_key(&self, tenant: TenantId, prefix: &str) -> AppResult<ApiKeyRecord> {
        let keys = self.store.list_api_keys(tenant).await.map_err(AppError::Store)?;
        keys.into_iter().find(|k| k.prefix == prefix).ok_or(AppError::NotFound("api_key"))
    }

    async fn revoke_key(&self, ctx: &Context, key: &ApiKeyRecord, keep_an_admin: bool) -> AppResult<()> {
        let now = self.clock.now_ms();
        let audit = key_audit(ctx, "key.revoked", &key.prefix, &key.scopes, &key.label, None, now);
        let records = Records { audit: vec![audit], events: vec![] };
        self.store.revoke_api_key(ctx.tenant, &key.prefix, now, keep_an_admin, records).await.map_err(|e| match e {
            StoreError::Conflict(_) => {
                AppError::conflict("prefix", "this is the tenant's last ADMIN key: create another ADMIN key before revoking it")
            }
            other => AppError::store("api_key")(other),
        })
    }

    /// Finds the caller of a presented key; `None` for an unknown or revoked key.
    pub async fn authenticate(&self, presented: &str) -> AppResult<Option<Principal>> {
        let presented = presented.trim();
        if presented.is_empty() || presented.len() > 200 {
            return Ok(None);
        }
        match self.store.find_api_key(&hash_key(presented)).await {
            Ok(found) => Ok(found.map(Principal::from)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(AppError::Store(e)),
        }
    }
}
