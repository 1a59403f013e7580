//! The tamper-evident audit trail: every audit entry commits to the one before it.
//!
//! **Chains.** Each customer's entries form one hash chain, and a tenant's entries without a
//! customer (keys, staff, policies, webhook endpoints, retention runs) form another (chain `0`).
//! An entry stores
//!
//! - `values_salt`: 16 random bytes (hex), drawn when the entry is written;
//! - `values_digest` = SHA-256(salt ‖ canonical JSON of the changes' `[before, after]` values);
//! - `prev_hash`: the `entry_hash` of the chain's previous entry (`""` for the first one);
//! - `entry_hash` = SHA-256 of the canonical JSON array `["custodian-audit-v1", prev_hash,
//!   tenant, customer, at_ms, actor, action, domain, amendment_id, [changed field names],
//!   values_digest, request_id]`.
//!
//! The chain commits to the personal values only through the salted digest. Erasing a customer
//! nulls the values and removes the salt together with them ([`ERASED_ACTION`] entry later in the
//! same chain): the digest then cannot be recomputed, and without the salt it cannot be used to
//! guess the values either, but the entry hash still covers it, so the chain still verifies.
//!
//! **Heads.** `audit_chain_heads` keeps each chain's entry count and last hash, updated in the same
//! transaction as the entries under a row lock, so concurrent writers cannot fork a chain and a
//! deleted tail is noticed.
//!
//! **Checkpoints.** [`TenantVerification::checkpoint`] is a digest over every chain's count and
//! hash *as of* audit entry id `up_to_id`. Entries only ever get appended, so the same digest can
//! be recomputed later; an operator who records it outside the database (`custodian audit verify`
//! prints it) can later prove that nothing up to that entry was rewritten — even by someone who
//! recomputed every hash in the database.

use async_trait::async_trait;
use custodian_domain::{CustomerId, FieldChange, TenantId};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{Records, StoreResult};

/// The action of the audit entry that records a customer's erasure; entries of that customer
/// whose values were removed (no salt) verify only when the chain has such an entry at or after them.
pub const ERASED_ACTION: &str = "customer.erased";

/// The `prev_hash` of a chain's first entry.
pub const GENESIS: &str = "";

/// A chain's key in `audit_chain_heads`: the customer id, or 0 for the tenant's own entries.
pub fn chain_key(customer: Option<i64>) -> i64 {
    customer.unwrap_or(0)
}

/// A JSON value with the keys of every object sorted, so that the same value always serialises
/// to the same text, whatever order a database or parser keeps.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), canonical(&m[k]))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// SHA-256 over the salt and the canonical `[[before, after], …]` of the changes.
pub fn values_digest(salt: &str, changes: &[FieldChange]) -> String {
    let values: Vec<Value> = changes
        .iter()
        .map(|c| {
            json!([canonical(c.before.as_ref().unwrap_or(&Value::Null)), canonical(c.after.as_ref().unwrap_or(&Value::Null))])
        })
        .collect();
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(b"\n");
    h.update(Value::Array(values).to_string().as_bytes());
    hex::encode(h.finalize())
}

/// What an entry hash covers besides the previous hash.
#[derive(Debug, Clone, Copy)]
pub struct HashedFields<'a> {
    pub tenant: i64,
    pub customer: Option<i64>,
    pub at_ms: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub domain: Option<&'a str>,
    pub amendment_id: Option<i64>,
    pub values_digest: &'a str,
    pub request_id: Option<&'a str>,
}

/// The entry hash of an entry with these fields, changed field names and previous hash.
pub fn entry_hash(prev_hash: &str, f: &HashedFields<'_>, field_names: &[&str]) -> String {
    let doc = json!([
        "custodian-audit-v1",
        prev_hash,
        f.tenant,
        f.customer,
        f.at_ms,
        f.actor,
        f.action,
        f.domain,
        f.amendment_id,
        field_names,
        f.values_digest,
        f.request_id,
    ]);
    sha256_hex(doc.to_string().as_bytes())
}

/// A stored entry as `verify` reads it (the raw columns).
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub id: i64,
    pub tenant: i64,
    pub customer: Option<i64>,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub domain: Option<String>,
    pub amendment_id: Option<i64>,
    pub changes: String,
    pub request_id: Option<String>,
    pub values_salt: Option<String>,
    pub values_digest: Option<String>,
    pub prev_hash: Option<String>,
    pub entry_hash: Option<String>,
}

impl StoredEntry {
    /// The entry hash this entry has after `prev_hash`, with `values_digest` and the field names of
    /// `changes` (its parsed `changes` column).
    pub fn hash_after(&self, prev_hash: &str, values_digest: &str, changes: &[FieldChange]) -> String {
        let names: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        let fields = HashedFields {
            tenant: self.tenant,
            customer: self.customer,
            at_ms: self.at_ms,
            actor: &self.actor,
            action: &self.action,
            domain: self.domain.as_deref(),
            amendment_id: self.amendment_id,
            values_digest,
            request_id: self.request_id.as_deref(),
        };
        entry_hash(prev_hash, &fields, &names)
    }
}

/// A chain head as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub chain: i64,
    pub entries: i64,
    pub head_hash: String,
}

/// The first entry (or chain) that does not match, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The entry that does not match; `None` when a chain's head does not match its entries.
    pub entry_id: Option<i64>,
    /// The chain: a customer id, or 0 for the tenant's own entries.
    pub chain: i64,
    pub reason: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let chain = if self.chain == 0 { "the tenant's chain".to_owned() } else { format!("customer {}'s chain", self.chain) };
        match self.entry_id {
            Some(id) => write!(f, "audit entry {id} ({chain}): {}", self.reason),
            None => write!(f, "{chain}: {}", self.reason),
        }
    }
}

/// Checks one chain entry by entry, in id order.
#[derive(Debug)]
pub struct ChainCheck {
    chain: i64,
    prev: String,
    count: i64,
    /// The first entry with removed values not yet followed by an erasure entry.
    unconfirmed_erasure: Option<i64>,
    up_to_id: i64,
    at_checkpoint: (i64, String),
}

impl ChainCheck {
    pub fn new(chain: i64, up_to_id: i64) -> ChainCheck {
        ChainCheck {
            chain,
            prev: GENESIS.to_owned(),
            count: 0,
            unconfirmed_erasure: None,
            up_to_id,
            at_checkpoint: (0, String::new()),
        }
    }

    fn mismatch(&self, id: i64, reason: impl Into<String>) -> Mismatch {
        Mismatch { entry_id: Some(id), chain: self.chain, reason: reason.into() }
    }

    /// Checks the next entry of the chain.
    pub fn entry(&mut self, e: &StoredEntry) -> Result<(), Mismatch> {
        let (Some(digest), Some(prev), Some(hash)) = (&e.values_digest, &e.prev_hash, &e.entry_hash) else {
            return Err(self.mismatch(e.id, "the entry is not chained (no hashes)"));
        };
        if *prev != self.prev {
            return Err(self.mismatch(
                e.id,
                "its previous hash is not the hash of the chain's previous entry (an entry before it was deleted, inserted or reordered)",
            ));
        }
        let changes: Vec<FieldChange> = serde_json::from_str(&e.changes)
            .map_err(|err| self.mismatch(e.id, format!("its changes are not valid JSON: {err}")))?;
        match &e.values_salt {
            Some(salt) => {
                if values_digest(salt, &changes) != *digest {
                    return Err(self.mismatch(e.id, "its changed values do not match their digest (edited)"));
                }
            }
            None => {
                if changes.iter().any(|c| c.before.is_some() || c.after.is_some()) {
                    return Err(self.mismatch(e.id, "its salt is missing but its values are not erased"));
                }
                self.unconfirmed_erasure.get_or_insert(e.id);
            }
        }
        if e.hash_after(&self.prev, digest, &changes) != *hash {
            return Err(self.mismatch(e.id, "its content does not match its hash (edited)"));
        }
        if e.action == ERASED_ACTION {
            self.unconfirmed_erasure = None;
        }
        self.prev = hash.clone();
        self.count += 1;
        if e.id <= self.up_to_id {
            self.at_checkpoint = (self.count, hash.clone());
        }
        Ok(())
    }

    /// Ends the chain: its head must name the last entry. Returns the entries checked and the
    /// chain's (count, hash) as of the checkpoint id.
    pub fn finish(self, head: Option<&ChainHead>) -> Result<(i64, (i64, String)), Mismatch> {
        if let Some(id) = self.unconfirmed_erasure {
            return Err(self.mismatch(id, format!("its values were removed, but the chain has no later {ERASED_ACTION} entry")));
        }
        let (entries, hash) = head.map_or((0, GENESIS), |h| (h.entries, h.head_hash.as_str()));
        if entries != self.count || hash != self.prev {
            return Err(Mismatch {
                entry_id: None,
                chain: self.chain,
                reason: format!(
                    "the chain head records {entries} entries, the trail has {} (entries at its end were deleted or added)",
                    self.count
                ),
            });
        }
        Ok((self.count, self.at_checkpoint))
    }
}

/// Accumulates a tenant's checkpoint digest, chain by chain in key order.
#[derive(Debug, Clone)]
pub struct CheckpointDigest {
    hasher: Sha256,
}

impl CheckpointDigest {
    pub fn new(tenant: i64, up_to_id: i64) -> CheckpointDigest {
        let mut hasher = Sha256::new();
        hasher.update(format!("custodian-audit-checkpoint-v1 {tenant} {up_to_id}\n").as_bytes());
        CheckpointDigest { hasher }
    }

    /// Adds a chain's count and hash as of the checkpoint (chains empty then add nothing).
    pub fn chain(&mut self, chain: i64, (count, hash): &(i64, String)) {
        if *count > 0 {
            self.hasher.update(format!("{chain} {count} {hash}\n").as_bytes());
        }
    }

    pub fn finish(self) -> String {
        hex::encode(self.hasher.finalize())
    }
}

/// The outcome of verifying one tenant's audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantVerification {
    pub tenant: TenantId,
    /// Entries checked (up to the first mismatch).
    pub entries: i64,
    pub chains: i64,
    /// The checkpoint covers the entries with ids up to this one.
    pub up_to_id: i64,
    /// The checkpoint digest (see the module docs); empty when a mismatch stopped the check.
    pub checkpoint: String,
    pub mismatch: Option<Mismatch>,
}

/// A recorded checkpoint: the tenant, the last entry id it covers and its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub tenant: TenantId,
    pub up_to_id: i64,
    pub digest: String,
}

impl std::str::FromStr for Checkpoint {
    type Err = String;
    /// `TENANT:UP_TO_ID:DIGEST`, as `custodian audit verify` prints it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.trim().split(':').collect();
        let bad = || format!("a checkpoint is TENANT:UP_TO_ID:DIGEST (as `custodian audit verify` prints it), not {s:?}");
        let [tenant, up_to, digest] = parts[..] else { return Err(bad()) };
        let tenant = tenant.parse().map_err(|_| bad())?;
        let up_to_id = up_to.parse().map_err(|_| bad())?;
        if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(Checkpoint { tenant: TenantId(tenant), up_to_id, digest: digest.to_ascii_lowercase() })
    }
}

impl std::fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.tenant.0, self.up_to_id, self.digest)
    }
}

/// Verification and erasure of the chained audit trail.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Verifies a tenant's whole audit trail in one snapshot, streaming it chain by chain, and
    /// stops at the first mismatch. The checkpoint is computed as of `up_to_id` (by default the
    /// tenant's newest entry).
    async fn verify_audit(&self, tenant: TenantId, up_to_id: Option<i64>) -> StoreResult<TenantVerification>;

    /// Removes the personal values of a customer's audit entries (field names stay; before and
    /// after become null; the salt goes, the digest stays) and writes `records` (which should
    /// contain the [`ERASED_ACTION`] entry), in one transaction. Returns the entries erased.
    async fn erase_audit_values(&self, tenant: TenantId, customer: CustomerId, records: Records) -> StoreResult<u64>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, prev: &str, salt: Option<&str>, changes: &[FieldChange], action: &str) -> StoredEntry {
        let digest = values_digest(salt.unwrap_or("s"), changes);
        let names: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        let f = HashedFields {
            tenant: 1,
            customer: Some(7),
            at_ms: 5,
            actor: "system:custodian",
            action,
            domain: None,
            amendment_id: None,
            values_digest: &digest,
            request_id: None,
        };
        StoredEntry {
            id,
            tenant: 1,
            customer: Some(7),
            at_ms: 5,
            actor: "system:custodian".into(),
            action: action.into(),
            domain: None,
            amendment_id: None,
            changes: serde_json::to_string(changes).unwrap(),
            request_id: None,
            values_salt: salt.map(str::to_owned),
            entry_hash: Some(entry_hash(prev, &f, &names)),
            values_digest: Some(digest),
            prev_hash: Some(prev.into()),
        }
    }

    fn change(after: Option<Value>) -> Vec<FieldChange> {
        vec![FieldChange { field: "email".into(), before: None, after }]
    }

    #[test]
    fn the_values_digest_ignores_the_order_of_object_keys() {
        let a = vec![FieldChange { field: "x".into(), before: None, after: Some(json!({"a": 1, "b": 2})) }];
        let b = vec![FieldChange { field: "x".into(), before: None, after: Some(json!({"b": 2, "a": 1})) }];
        assert_eq!(values_digest("s", &a), values_digest("s", &b));
        assert_ne!(values_digest("s", &a), values_digest("t", &a));
    }

    #[test]
    fn a_chain_verifies_and_an_edited_value_does_not() {
        let e1 = entry(1, GENESIS, Some("s"), &change(Some(json!("a@example.com"))), "customer.updated");
        let e2 =
            entry(2, e1.entry_hash.as_deref().unwrap(), Some("s"), &change(Some(json!("b@example.com"))), "customer.updated");
        let mut check = ChainCheck::new(7, 1);
        check.entry(&e1).unwrap();
        check.entry(&e2).unwrap();
        let head = ChainHead { chain: 7, entries: 2, head_hash: e2.entry_hash.clone().unwrap() };
        let (n, at) = check.finish(Some(&head)).unwrap();
        assert_eq!((n, at), (2, (1, e1.entry_hash.clone().unwrap())));

        let mut edited = e2.clone();
        edited.changes = edited.changes.replace("b@example", "c@example");
        let mut check = ChainCheck::new(7, 2);
        check.entry(&e1).unwrap();
        assert_eq!(check.entry(&edited).unwrap_err().entry_id, Some(2));
    }

    #[test]
    fn erased_values_verify_only_with_a_later_erasure_entry() {
        let e1 = entry(1, GENESIS, Some("s"), &change(Some(json!("a@example.com"))), "customer.updated");
        let mut erased = e1.clone();
        erased.values_salt = None;
        erased.changes = serde_json::to_string(&change(None)).unwrap();
        let e2 = entry(2, e1.entry_hash.as_deref().unwrap(), Some("s"), &[], ERASED_ACTION);
        let head = ChainHead { chain: 7, entries: 2, head_hash: e2.entry_hash.clone().unwrap() };

        let mut check = ChainCheck::new(7, 2);
        check.entry(&erased).unwrap();
        check.entry(&e2).unwrap();
        check.finish(Some(&head)).unwrap();

        let mut check = ChainCheck::new(7, 1);
        check.entry(&erased).unwrap();
        let head1 = ChainHead { chain: 7, entries: 1, head_hash: e1.entry_hash.clone().unwrap() };
        assert_eq!(check.finish(Some(&head1)).unwrap_err().entry_id, Some(1));
    }

    #[test]
    fn a_checkpoint_reads_back_from_its_printed_form() {
        let c: Checkpoint = format!("3:120:{}", "ab".repeat(32)).parse().unwrap();
        assert_eq!(c.to_string(), format!("3:120:{}", "ab".repeat(32)));
        assert!("3:120:xyz".parse::<Checkpoint>().is_err());
    }
}
