//! The vendor's rate limit on the self-service API: per API key and per endpoint, at most
//! `rate_limit_per_minute` requests in a calendar minute; past it, 429 in the vendor's error shape
//! with `Retry-After` until the minute ends. Counted per process (several nodes each count).

use crate::dialects::self_service::Vendor;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Mutex;

/// Entries kept before stale minutes are swept (bounds memory under many distinct keys).
const SWEEP_AT: usize = 10_000;

/// Request counts per (key, endpoint) in the current minute.
#[derive(Default)]
pub struct RateLimiter {
    counts: Mutex<HashMap<(String, String), (u64, u32)>>,
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
}

/// Middleware for `/v1/` routes; `rate_limit_per_minute = 0` turns it off.
pub async fn enforce(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = state.settings.rate_limit_per_minute;
    if limit == 0 || !req.uri().path().starts_with("/v1/") {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get("x-api-key").and_then(|v| v.to_str().ok()) else {
        return next.run(req).await;
    };
    // The public part of the key is enough to tell keys apart; the secret is never held here.
    let key: String = key.chars().take(13).collect();
    let endpoint = req.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_owned();
    let endpoint = format!("{} {endpoint}", req.method());
    let now_s = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    match state.rate_limiter.hit(&key, &endpoint, limit, now_s) {
        None => next.run(req).await,
        Some(wait) => {
            let mut r =
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limit.exceeded", "Access denied - rate limit is exceeded.")
                    .render::<Vendor>();
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait));
            r
        }
    }
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
}
