//! Shared state of every handler: the application services, metrics and HTTP settings. It imports
//! no module that handles requests (those import it).

use crate::metrics::Metrics;
use custodian_app::Services;
use std::sync::Arc;

/// HTTP-level settings.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// Where the OpenWealth (wealth-management) dialect is mounted, e.g. `/openwealth`.
    pub openwealth_prefix: String,
    /// Staff console sessions and cookies.
    pub console: ConsoleSettings,
    /// Self-service requests per API key and endpoint per minute (the vendor's 1000); 0 = no limit.
    pub rate_limit_per_minute: u32,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            body_limit_bytes: 512 * 1024,
            openwealth_prefix: "/openwealth".into(),
            console: Default::default(),
            rate_limit_per_minute: 1000,
        }
    }
}

/// Console sessions and cookies.
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    /// Send cookies with the `Secure` flag (browsers then return them over https only). Turn off
    /// only for plain-http use on a trusted machine.
    pub cookie_secure: bool,
    /// How long a sign-in lasts.
    pub session_ttl_ms: i64,
    /// Sign-in attempts per client address per sliding minute; past it, 429 with `Retry-After`.
    /// 0 turns the limit off.
    pub sign_ins_per_minute: u32,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings { cookie_secure: true, session_ttl_ms: 12 * 3600 * 1000, sign_ins_per_minute: 10 }
    }
}

/// Cheap to clone: one reference count, however many parts it has. axum clones the state of
/// every layer and handler for every request, so its parts live behind one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] holds; its fields are reached through `Deref`.
#[derive(Clone)]
pub struct Shared {
    pub services: Arc<Services>,
    pub metrics: Arc<Metrics>,
    pub settings: Arc<HttpSettings>,
    /// Counters of the webhook dispatcher running in this process (zero when none runs).
    pub webhook_stats: Arc<custodian_webhooks::DispatchStats>,
    pub rate_limiter: Arc<crate::rate_limit::RateLimiter>,
    /// Counters of the NATS relay running in this process (zero when none runs).
    pub relay_stats: Arc<custodian_store::relay::RelayStats>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(services: Services, settings: HttpSettings) -> AppState {
        AppState(Arc::new(Shared {
            services: Arc::new(services),
            metrics: Arc::new(Metrics::default()),
            settings: Arc::new(settings),
            webhook_stats: Arc::default(),
            rate_limiter: Arc::default(),
            relay_stats: Arc::default(),
        }))
    }

    /// The same state, reporting the counters of this process's webhook dispatcher.
    pub fn with_webhook_stats(&self, stats: Arc<custodian_webhooks::DispatchStats>) -> AppState {
        AppState(Arc::new(Shared { webhook_stats: stats, ..(*self.0).clone() }))
    }

    /// The same state, reporting the counters of this process's NATS relay.
    pub fn with_relay_stats(&self, stats: Arc<custodian_store::relay::RelayStats>) -> AppState {
        AppState(Arc::new(Shared { relay_stats: stats, ..(*self.0).clone() }))
    }
}
