//! API keys: generated once, shown once, stored as a SHA-256 hash; authentication finds the key
//! by hash and yields the tenant and scopes of the caller.

use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use custodian_domain::{Actor, ActorKind, Scope, TenantId};
use custodian_store::{ApiKeyRecord, NewApiKey, Store, StoreError};
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

/// Lowercase hex SHA-256 of a presented key.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

impl ApiKeyService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        ApiKeyService { store, clock }
    }

    /// Creates a key `cus_<prefix>_<secret>` (about 190 bits of randomness in the secret).
    pub async fn create(&self, tenant: TenantId, scopes: Vec<Scope>, label: &str) -> AppResult<IssuedKey> {
        if scopes.is_empty() {
            return Err(AppError::invalid("scope", "a key needs at least one scope"));
        }
        self.store.get_tenant(tenant).await.map_err(AppError::store("tenant"))?;
        let (prefix, secret) = new_key();
        let record = self
            .store
            .insert_api_key(NewApiKey {
                tenant_id: tenant,
                prefix,
                key_hash: hash_key(&secret),
                scopes,
                label: label.to_owned(),
                created_ms: self.clock.now_ms(),
            })
            .await
            .map_err(AppError::Store)?;
        Ok(IssuedKey { secret, principal: record.into() })
    }

    /// The tenant's live keys (public prefixes, scopes and labels; never secrets).
    pub async fn list(&self, tenant: TenantId) -> AppResult<Vec<Principal>> {
        self.store.get_tenant(tenant).await.map_err(AppError::store("tenant"))?;
        Ok(self.store.list_api_keys(tenant).await.map_err(AppError::Store)?.into_iter().map(Principal::from).collect())
    }

    /// Revokes a key by its public prefix (the part after `cus_`); it stops working at once.
    pub async fn revoke(&self, tenant: TenantId, prefix: &str) -> AppResult<()> {
        self.store.revoke_api_key(tenant, prefix, self.clock.now_ms()).await.map_err(AppError::store("API key"))
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
