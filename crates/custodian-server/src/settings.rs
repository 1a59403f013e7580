//! Layered configuration: built-in defaults, then an optional TOML file, then `CUSTODIAN_*`
//! environment variables (`__` separates sections: `CUSTODIAN_DATABASE__URL`). `DATABASE_URL`
//! is honoured as a shorthand for `database.url`.

use anyhow::{Context, Result};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub log: LogSettings,
    pub webhooks: WebhookSettings,
    pub dialects: DialectSettings,
    pub console: ConsoleSettings,
    pub events: EventSettings,
    pub retention: RetentionSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSettings {
    /// The NATS server of the optional JetStream sink (`nats://host:4222`); empty = no sink.
    pub nats_url: String,
    /// The JetStream stream the events are stored in (created when missing).
    pub nats_stream: String,
    /// Events are published to `<prefix>.<tenantId>.<customerId>`.
    pub nats_subject_prefix: String,
    /// How often the relay looks for new events when it has caught up.
    pub nats_poll_interval_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialectSettings {
    /// Where the OpenWealth wealth-management API is mounted (`/openwealth`): a path of one or
    /// more segments that does not start with a segment Custodian uses itself.
    pub openwealth_prefix: String,
}

impl DialectSettings {
    /// Checks the prefixes: `/` followed by segments of letters, digits, `-`, `_`, `.` or `~`.
    fn check(&self) -> Result<()> {
        const TAKEN: [&str; 7] = ["api", "v1", "docs", "openapi.json", "health", "ready", "metrics"];
        let p = &self.openwealth_prefix;
        let segments: Vec<&str> = p.strip_prefix('/').map(|r| r.split('/').collect()).unwrap_or_default();
        let valid = !segments.is_empty()
            && segments.iter().all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b)));
        if !valid {
            anyhow::bail!("dialects.openwealth_prefix must be a path such as /openwealth (no trailing slash), not {p:?}");
        }
        if TAKEN.contains(&segments[0]) {
            anyhow::bail!("dialects.openwealth_prefix {p:?} would overlap Custodian's own /{} routes", segments[0]);
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    /// Send the console's cookies with the `Secure` flag (https only). Set to false only for
    /// plain-http use on a trusted machine.
    pub cookie_secure: bool,
    /// How long a console sign-in lasts, in hours.
    pub session_hours: u64,
    /// Sign-in attempts per client address per minute (429 with `Retry-After` past it); 0 = off.
    pub sign_ins_per_minute: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Run the retention job in this process (first run a minute after start, then every
    /// `interval_seconds`). Several processes may run it; their deletes do not collide.
    pub background: bool,
    /// Seconds between two runs of the background job.
    pub interval_seconds: u64,
    /// Days a decided amendment's signature is kept after the decision; 0 = forever.
    pub decided_signature_days: u32,
    /// Days a webhook event body (outbox event) is kept once all its deliveries succeeded; 0 = forever.
    pub webhook_event_days: u32,
    /// Days an idempotency receipt (billing `X-Request-ID`, `Idempotency-Key`) is kept; 0 = forever.
    pub receipt_days: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Run the delivery dispatcher in this process.
    pub dispatcher: bool,
    /// Hosts that may receive webhooks over plain http.
    pub allow_http_hosts: Vec<String>,
    /// Allow webhook targets on loopback, private or link-local addresses.
    pub allow_private_addresses: bool,
    /// An endpoint is disabled only after failing continuously (no successful attempt) for this
    /// many hours (default 120: five days) — a 410 Gone disables it at once.
    pub disable_after_hours: u64,
    /// … and after at least this many failed attempts in a row.
    pub disable_after_failures: i64,
    /// How often the dispatcher looks for due deliveries.
    pub poll_interval_ms: u64,
    /// How long a claimed delivery is reserved for the process sending it; after a crash another
    /// process (or the restarted one) takes it over once this has passed.
    pub lease_ms: u64,
    /// Multiplies the retry schedule's delays (keep 1.0 in production).
    pub retry_delay_scale: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on.
    pub listen: String,
    /// Largest accepted request body in bytes.
    pub body_limit_bytes: usize,
    /// Self-service requests per API key and endpoint per minute, as the vendor allows (1000);
    /// past it, 429. Counted per process. 0 turns the limit off.
    pub rate_limit_per_minute: u32,
    /// A client must send a request's complete headers within this time (idle kept-alive
    /// connections included), or it is disconnected.
    pub header_read_timeout_ms: u64,
    /// A request body that sends nothing for this long ends the request.
    pub body_read_timeout_ms: u64,
    /// Open connections at most; further clients wait until one closes.
    pub max_connections: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://<path>` (default, embedded) or `postgres://user:pass@host/db`.
    pub url: String,
    /// SQLite `synchronous`: `full` (default; an acknowledged write survives power loss) or `normal`.
    pub sqlite_synchronous: String,
    /// SQLite reader connections.
    pub sqlite_readers: u32,
    /// PostgreSQL pool size.
    pub pg_max_connections: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `human` or `json`.
    pub format: String,
    /// A tracing filter such as `info` or `custodian_http=debug,info` (`RUST_LOG` overrides it).
    pub level: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            server: ServerSettings {
                listen: "127.0.0.1:8080".into(),
                body_limit_bytes: 512 * 1024,
                rate_limit_per_minute: 1000,
                header_read_timeout_ms: 10_000,
                body_read_timeout_ms: 30_000,
                max_connections: 1024,
            },
            database: DatabaseSettings {
                url: "sqlite://custodian.db".into(),
                sqlite_synchronous: "full".into(),
                sqlite_readers: 4,
                pg_max_connections: 16,
            },
            log: LogSettings { format: "human".into(), level: "info".into() },
            webhooks: WebhookSettings {
                dispatcher: true,
                allow_http_hosts: vec![],
                allow_private_addresses: false,
                disable_after_hours: 120,
                disable_after_failures: 50,
                poll_interval_ms: 500,
                lease_ms: 60_000,
                retry_delay_scale: 1.0,
            },
            dialects: DialectSettings { openwealth_prefix: "/openwealth".into() },
            console: ConsoleSettings { cookie_secure: true, session_hours: 12, sign_ins_per_minute: 10 },
            events: EventSettings {
                nats_url: String::new(),
                nats_stream: "CUSTODIAN".into(),
                nats_subject_prefix: "custodian.events".into(),
                nats_poll_interval_ms: 500,
            },
            retention: RetentionSettings {
                background: true,
                interval_seconds: 3600,
                decided_signature_days: 90,
                webhook_event_days: 30,
                receipt_days: 30,
            },
        }
    }
}

impl Settings {
    pub fn load(file: Option<&Path>) -> Result<Settings> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            if !file.exists() {
                anyhow::bail!("configuration file {} does not exist", file.display());
            }
            fig = fig.merge(Toml::file(file));
        }
        // Only `CUSTODIAN_<SECTION>__<KEY>` variables configure; others with the prefix (such as
        // CUSTODIAN_CONFIG or test switches) are not settings.
        fig = fig.merge(Env::prefixed("CUSTODIAN_").split("__").filter(|k| k.as_str().contains('.')));
        if let Ok(url) = std::env::var("DATABASE_URL") {
            fig = fig.merge(Serialized::default("database.url", url));
        }
        let settings: Settings = fig.extract().context("invalid configuration")?;
        settings.database.sqlite_synchronous.parse::<custodian_store_sql::Synchronous>().map_err(anyhow::Error::msg)?;
        settings.dialects.check()?;
        if settings.retention.interval_seconds == 0 {
            anyhow::bail!("retention.interval_seconds must be at least 1");
        }
        if !matches!(settings.log.format.as_str(), "human" | "json") {
            anyhow::bail!("log.format must be human or json, not {:?}", settings.log.format);
        }
        Ok(settings)
    }

    pub fn sqlite(&self) -> custodian_store_sql::SqliteSettings {
        custodian_store_sql::SqliteSettings {
            synchronous: self.database.sqlite_synchronous.parse().unwrap_or_default(),
            readers: self.database.sqlite_readers,
        }
    }

    pub fn postgres(&self) -> custodian_store_sql::PgSettings {
        custodian_store_sql::PgSettings { max_connections: self.database.pg_max_connections }
    }

    pub fn http(&self) -> custodian_http::HttpSettings {
        custodian_http::HttpSettings {
            body_limit_bytes: self.server.body_limit_bytes,
            rate_limit_per_minute: self.server.rate_limit_per_minute,
            openwealth_prefix: self.dialects.openwealth_prefix.clone(),
            console: custodian_http::console::ConsoleSettings {
                sign_ins_per_minute: self.console.sign_ins_per_minute,
                cookie_secure: self.console.cookie_secure,
                session_ttl_ms: (self.console.session_hours.clamp(1, 24 * 30) * 3600 * 1000) as i64,
            },
        }
    }

    pub fn connection_limits(&self) -> crate::listener::ConnectionLimits {
        crate::listener::ConnectionLimits {
            header_read_timeout: std::time::Duration::from_millis(self.server.header_read_timeout_ms.max(1)),
            body_read_timeout: std::time::Duration::from_millis(self.server.body_read_timeout_ms.max(1)),
            max_connections: self.server.max_connections.max(1),
        }
    }

    pub fn webhook_targets(&self) -> custodian_webhooks::TargetPolicy {
        custodian_webhooks::TargetPolicy {
            allow_http_hosts: self.webhooks.allow_http_hosts.clone(),
            allow_private_addresses: self.webhooks.allow_private_addresses,
        }
    }

    pub fn dispatcher(&self) -> custodian_webhooks::DispatcherSettings {
        custodian_webhooks::DispatcherSettings {
            targets: self.webhook_targets(),
            poll_interval: std::time::Duration::from_millis(self.webhooks.poll_interval_ms.max(10)),
            disable_after: std::time::Duration::from_secs(self.webhooks.disable_after_hours.max(1).saturating_mul(3600)),
            disable_after_failures: self.webhooks.disable_after_failures.max(1),
            lease: std::time::Duration::from_millis(self.webhooks.lease_ms.max(100)),
            retry_delay_scale: self.webhooks.retry_delay_scale.clamp(0.0, 1000.0),
            ..Default::default()
        }
    }

    pub fn retention_policy(&self) -> custodian_app::RetentionPolicy {
        custodian_app::RetentionPolicy {
            decided_signature_days: self.retention.decided_signature_days,
            webhook_event_days: self.retention.webhook_event_days,
            receipt_days: self.retention.receipt_days,
        }
    }

    /// The settings as TOML with the database password hidden.
    pub fn redacted_toml(&self) -> String {
        let mut copy = self.clone();
        copy.database.url = self.database.redacted_url();
        copy.events.nats_url = redact_url(&self.events.nats_url);
        toml_string(&copy)
    }

    /// The NATS sink's settings, when `events.nats_url` names a server.
    pub fn nats(&self) -> Option<custodian_nats::NatsSettings> {
        let url = self.events.nats_url.trim();
        if url.is_empty() {
            return None;
        }
        let mut n = custodian_nats::NatsSettings::new(url);
        n.stream = self.events.nats_stream.clone();
        n.subject_prefix = self.events.nats_subject_prefix.clone();
        n.poll_interval = std::time::Duration::from_millis(self.events.nats_poll_interval_ms.max(10));
        Some(n)
    }
}

fn toml_string(s: &Settings) -> String {
    // figment has no TOML writer; the structure is small and flat enough to write by hand.
    format!(
        "[server]\nlisten = {:?}\nbody_limit_bytes = {}\nrate_limit_per_minute = {}\nheader_read_timeout_ms = {}\nbody_read_timeout_ms = {}\nmax_connections = {}\n\n[database]\nurl = {:?}\nsqlite_synchronous = {:?}\nsqlite_readers = {}\npg_max_connections = {}\n\n[log]\nformat = {:?}\nlevel = {:?}\n\n[webhooks]\ndispatcher = {}\nallow_http_hosts = {:?}\nallow_private_addresses = {}\ndisable_after_hours = {}\ndisable_after_failures = {}\npoll_interval_ms = {}\nlease_ms = {}\nretry_delay_scale = {}\n\n[dialects]\nopenwealth_prefix = {:?}\n\n[console]\ncookie_secure = {}\nsession_hours = {}\nsign_ins_per_minute = {}\n\n[events]\nnats_url = {:?}\nnats_stream = {:?}\nnats_subject_prefix = {:?}\nnats_poll_interval_ms = {}\n\n[retention]\nbackground = {}\ninterval_seconds = {}\ndecided_signature_days = {}\nwebhook_event_days = {}\nreceipt_days = {}\n",
        s.server.listen,
        s.server.body_limit_bytes,
        s.server.rate_limit_per_minute,
        s.server.header_read_timeout_ms,
        s.server.body_read_timeout_ms,
        s.server.max_connections,
        s.database.url,
        s.database.sqlite_synchronous,
        s.database.sqlite_readers,
        s.database.pg_max_connections,
        s.log.format,
        s.log.level,
        s.webhooks.dispatcher,
        s.webhooks.allow_http_hosts,
        s.webhooks.allow_private_addresses,
        s.webhooks.disable_after_hours,
        s.webhooks.disable_after_failures,
        s.webhooks.poll_interval_ms,
        s.webhooks.lease_ms,
        s.webhooks.retry_delay_scale,
        s.dialects.openwealth_prefix,
        s.console.cookie_secure,
        s.console.session_hours,
        s.console.sign_ins_per_minute,
        s.events.nats_url,
        s.events.nats_stream,
        s.events.nats_subject_prefix,
        s.events.nats_poll_interval_ms,
        s.retention.background,
        s.retention.interval_seconds,
        s.retention.decided_signature_days,
        s.retention.webhook_event_days,
        s.retention.receipt_days
    )
}

impl DatabaseSettings {
    /// The URL with any password replaced by `***`.
    pub fn redacted_url(&self) -> String {
        redact_url(&self.url)
    }
}

/// A URL with any password replaced by `***`.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openwealth_prefix_must_be_a_path_of_its_own() {
        let check = |p: &str| DialectSettings { openwealth_prefix: p.into() }.check();
        for ok in ["/openwealth", "/wealth/v1", "/ow-1.2.1"] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in ["", "/", "openwealth", "/openwealth/", "/a//b", "/api", "/v1/wealth", "/docs", "/sp ace"] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_database_password_is_redacted() {
        let d = DatabaseSettings { url: "postgres://app:s3cret@db:5432/custodian".into(), ..Settings::default().database };
        assert_eq!(d.redacted_url(), "postgres://app:***@db:5432/custodian");
        let s = DatabaseSettings { url: "sqlite://custodian.db".into(), ..Settings::default().database };
        assert_eq!(s.redacted_url(), "sqlite://custodian.db");
    }

    #[test]
    fn retention_defaults_are_the_documented_ones_and_the_printed_configuration_reads_back() {
        let s = Settings::default();
        assert_eq!(s.retention_policy(), custodian_app::RetentionPolicy::default());
        let p = s.retention_policy();
        assert_eq!((p.decided_signature_days, p.webhook_event_days, p.receipt_days), (90, 30, 30));
        assert!(s.retention.background);
        assert_eq!(s.retention.interval_seconds, 3600);
        let printed = toml_string(&s);
        assert!(printed.contains("[retention]\nbackground = true\ninterval_seconds = 3600\n"), "{printed}");
        let back: Settings = Figment::from(Toml::string(&printed)).extract().unwrap();
        assert_eq!(back.retention.receipt_days, 30);
    }
}
