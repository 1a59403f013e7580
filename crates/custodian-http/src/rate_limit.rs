//! Request budgets.
//!
//! - The vendor's rate limit on the self-service API: per authenticated API key and per endpoint,
//!   at most `rate_limit_per_minute` requests in a calendar minute; past it, 429 in the vendor's
//!   error shape with `Retry-After` until the minute ends. Only a key that authenticates is
//!   counted: its public prefix alone proves nothing, so a forged one cannot use up a real key's
//!   budget. Requests that fail to authenticate have their own budget per client address (the
//!   same number per sliding minute).
//! - Console sign-ins per client address (see [`crate::console`]).
//!
//! The counters only; the self-service router layers [`crate::auth::rate_limited`] on its routes.
//!
//! Counted per process (several nodes each count). Without a known client address (a router
//! served without connect info, as in tests) the per-address budgets do not apply.

use axum::extract::ConnectInfo;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::Extensions;
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

/// Entries kept before stale ones are swept (bounds memory under many distinct keys).
const SWEEP_AT: usize = 10_000;

/// Request counts per (key, endpoint) in the current minute, and recent attempts per key in a
/// sliding window.
#[derive(Default)]
pub struct RateLimiter {
    counts: Mutex<HashMap<(String, String), (u64, u32)>>,
    recent: Mutex<HashMap<String, VecDeque<u64>>>,
}

impl RateLimiter {
    /// Counts one request at `now_s`; returns the seconds to wait when it is over `limit`.
    pub fn hit(&self, key: &str, endpoint: &str, limit: u32, now_s: u64) -> Option<u64> {
        let minute = now_s / 60;
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if counts.len() >= SWEEP_AT {
            counts.retain(|_, (m, _)| *m == minute);
        }
        let entry = counts.entry((key.to_owned(), endpoint.to_owned())).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        (entry.1 > limit).then(|| 60 - now_s % 60)
    }

    /// Counts one attempt of `key` at `now_ms` unless `limit` attempts were counted in the
    /// `window_ms` before; then returns the seconds until the oldest of them leaves the window (the
    /// refused attempt is not counted).
    pub fn hit_recent(&self, key: &str, limit: u32, window_ms: u64, now_ms: u64) -> Option<u64> {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() >= SWEEP_AT {
            recent.retain(|_, q| q.back().is_some_and(|t| t + window_ms > now_ms));
        }
        let q = recent.entry(key.to_owned()).or_default();
        while q.front().is_some_and(|t| t + window_ms <= now_ms) {
            q.pop_front();
        }
        if q.len() >= limit as usize {
            let oldest = q.front().copied().unwrap_or(now_ms);
            return Some((oldest + window_ms).saturating_sub(now_ms).div_ceil(1000).max(1));
        }
        q.push_back(now_ms);
        None
    }
}

/// The client's address, when the server was started with connect info (or a test mocks it).
pub fn client_ip(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .or_else(|| extensions.get::<MockConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_counts_per_key_and_endpoint_and_resets_each_minute() {
        let l = RateLimiter::default();
        let t = 6_000; // the start of a minute
        assert_eq!(l.hit("cus_a", "GET /x", 2, t), None);
        assert_eq!(l.hit("cus_a", "GET /x", 2, t + 1), None);
        assert_eq!(l.hit("cus_a", "GET /x", 2, t + 10), Some(50));
        assert_eq!(l.hit("cus_b", "GET /x", 2, t + 10), None, "another key has its own budget");
        assert_eq!(l.hit("cus_a", "POST /x", 2, t + 10), None, "another endpoint has its own budget");
        assert_eq!(l.hit("cus_a", "GET /x", 2, t + 60), None, "a new minute starts over");
    }

    #[test]
    fn recent_attempts_are_counted_in_a_sliding_window() {
        let l = RateLimiter::default();
        let t = 1_000_000;
        assert_eq!(l.hit_recent("a", 2, 60_000, t), None);
        assert_eq!(l.hit_recent("a", 2, 60_000, t + 59_000), None);
        assert_eq!(l.hit_recent("a", 2, 60_000, t + 59_500), Some(1), "until the first leaves the window");
        assert_eq!(l.hit_recent("b", 2, 60_000, t + 59_500), None, "another key has its own budget");
        assert_eq!(l.hit_recent("a", 2, 60_000, t + 60_000), None);
        assert_eq!(l.hit_recent("a", 2, 60_000, t + 60_001), Some(59), "the refused attempt was not counted");
    }
}
