//! The in-process cache of the two lookups every API request makes: live API keys by the hash of
//! their secret, and each tenant's policy set.
//!
//! Invalidation reaches every process through the `cache_epoch` row (migration 0014): triggers on
//! `api_keys` (update, delete) and `domain_policies` (every change) advance it in the transaction
//! that makes the change, so no write path can forget it. Each process reads the epoch every
//! [`POLL_EVERY`] in the background and clears both caches when it moved; the process that made a
//! change clears its own caches as soon as the change commits. Entries are served only while the
//! last successful poll *started* less than [`FRESH_FOR`] ago: when the poller stalls or the
//! database does not answer, lookups go to the database again. So a revoked key or a changed
//! policy is seen by every process within `FRESH_FOR` of its commit (plus the time of a request
//! already running), whatever the poller's scheduling.
//!
//! Only keys that exist are cached (never misses, so unknown keys cannot fill it), and both maps
//! are bounded: a full map is emptied before the next insert.

use custodian_domain::{PolicySet, TenantId};
use custodian_store::ApiKeyRecord;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

/// How often each process reads the epoch.
pub(crate) const POLL_EVERY: Duration = Duration::from_millis(200);
/// How long after the start of the last successful poll cached entries are served.
pub(crate) const FRESH_FOR: Duration = Duration::from_millis(750);
/// At most this many keys and this many tenants' policy sets.
const MAX_ENTRIES: usize = 10_000;

/// The epoch row's one statement, the same on both backends.
pub(crate) const EPOCH_SQL: &str = "SELECT epoch FROM cache_epoch WHERE id = 1";

#[derive(Default)]
struct State {
    /// Advanced by every clear; a lookup that read the database under an older generation does
    /// not store its result (the change that cleared may have committed after that read).
    generation: u64,
    /// The epoch of the last successful poll, and when that poll started.
    epoch: Option<i64>,
    verified_at: Option<Instant>,
    keys: HashMap<String, ApiKeyRecord>,
    policies: HashMap<i64, PolicySet>,
}

impl State {
    fn fresh(&self) -> bool {
        self.verified_at.is_some_and(|at| at.elapsed() < FRESH_FOR)
    }

    fn clear(&mut self) {
        self.generation += 1;
        self.keys.clear();
        self.policies.clear();
    }
}

/// A ticket taken before reading the database; storing the result needs it to be current.
#[derive(Clone, Copy)]
pub(crate) struct Ticket(u64);

#[derive(Default)]
pub(crate) struct ReadCache {
    state: RwLock<State>,
}

impl ReadCache {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached live key with this hash, or the ticket to store what the database says.
    pub(crate) fn key(&self, key_hash: &str) -> Result<ApiKeyRecord, Ticket> {
        let s = self.read();
        match s.keys.get(key_hash) {
            Some(k) if s.fresh() => Ok(k.clone()),
            _ => Err(Ticket(s.generation)),
        }
    }

    pub(crate) fn store_key(&self, ticket: Ticket, key_hash: &str, key: &ApiKeyRecord) {
        let mut s = self.write();
        if s.generation != ticket.0 || !s.fresh() {
            return;
        }
        if s.keys.len() >= MAX_ENTRIES {
            s.keys.clear();
        }
        s.keys.insert(key_hash.to_owned(), key.clone());
    }

    /// The tenant's cached policy set, or the ticket to store what the database says.
    pub(crate) fn policies(&self, tenant: TenantId) -> Result<PolicySet, Ticket> {
        let s = self.read();
        match s.policies.get(&tenant.0) {
            Some(p) if s.fresh() => Ok(p.clone()),
            _ => Err(Ticket(s.generation)),
        }
    }

    pub(crate) fn store_policies(&self, ticket: Ticket, tenant: TenantId, policies: &PolicySet) {
        let mut s = self.write();
        if s.generation != ticket.0 || !s.fresh() {
            return;
        }
        if s.policies.len() >= MAX_ENTRIES {
            s.policies.clear();
        }
        s.policies.insert(tenant.0, policies.clone());
    }

    /// Drops every entry: called by this process after it committed a change of keys or policies.
    pub(crate) fn invalidate(&self) {
        self.write().clear();
    }

    /// Records a poll that started at `started` and read `epoch`.
    fn observed(&self, epoch: i64, started: Instant) {
        let mut s = self.write();
        if s.epoch != Some(epoch) {
            s.clear();
            s.epoch = Some(epoch);
        }
        s.verified_at = Some(started);
    }

    /// Stops serving entries (the store is closing, or a poll failed).
    fn stale(&self) {
        let mut s = self.write();
        s.verified_at = None;
        s.clear();
    }

    /// Starts the background poll of the epoch on the current tokio runtime (without one the cache
    /// stays empty and every lookup reads the database). It ends when the store is dropped or
    /// `poll` reports that the pool is closed (`None`).
    pub(crate) fn start_polling<F, Fut>(cache: &Arc<ReadCache>, poll: F)
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Option<Result<i64, sqlx::Error>>> + Send,
    {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let weak: Weak<ReadCache> = Arc::downgrade(cache);
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(POLL_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if weak.strong_count() == 0 {
                    return;
                }
                let started = Instant::now();
                let result = poll().await;
                let Some(cache) = weak.upgrade() else { return };
                match result {
                    Some(Ok(epoch)) => cache.observed(epoch, started),
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "reading the cache epoch failed; keys and policies are read from the database");
                        cache.stale();
                    }
                    None => {
                        cache.stale();
                        return;
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custodian_domain::Scope;

    fn key() -> ApiKeyRecord {
        ApiKeyRecord {
            id: 1,
            tenant_id: TenantId(1),
            prefix: "abc".into(),
            scopes: vec![Scope::SelfServiceRead],
            label: "app".into(),
            created_ms: 0,
        }
    }

    #[test]
    fn nothing_is_served_before_the_first_poll_nor_after_it_grew_old() {
        let cache = ReadCache::default();
        let Err(t) = cache.key("h") else { panic!() };
        cache.store_key(t, "h", &key());
        assert!(cache.key("h").is_err(), "no poll yet: not stored");
        cache.observed(1, Instant::now());
        let Err(t) = cache.key("h") else { panic!() };
        cache.store_key(t, "h", &key());
        assert_eq!(cache.key("h").ok(), Some(key()));
        cache.observed(1, Instant::now() - FRESH_FOR);
        assert!(cache.key("h").is_err(), "the last poll started too long ago");
    }

    #[test]
    fn a_moved_epoch_or_a_local_change_clears_and_a_read_from_before_is_not_stored() {
        let cache = ReadCache::default();
        cache.observed(1, Instant::now());
        let Err(before) = cache.key("h") else { panic!() };
        cache.store_key(before, "h", &key());
        cache.observed(2, Instant::now());
        assert!(cache.key("h").is_err(), "the epoch moved");
        let Err(t) = cache.policies(TenantId(1)) else { panic!() };
        cache.invalidate();
        cache.store_policies(t, TenantId(1), &PolicySet::default());
        assert!(cache.policies(TenantId(1)).is_err(), "read before the change: not stored");
        let Err(t) = cache.key("h") else { panic!() };
        cache.observed(3, Instant::now());
        cache.store_key(t, "h", &key());
        assert!(cache.key("h").is_err(), "read before the epoch moved: not stored");
    }
}
