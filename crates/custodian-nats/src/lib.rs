//! The optional NATS JetStream event sink: relays the outbox to a JetStream stream, at least once
//! and in order per customer, with the same event ids the webhooks carry.
//!
//! - Each event is published to `<subject_prefix>.<tenantId>.<customerId>` with the header
//!   `Nats-Msg-Id` = the event id, so JetStream drops a re-publish of an event it stored within its
//!   duplicate window, and consumers can deduplicate on it beyond that.
//! - Events are published one at a time in outbox order; the next is published only after
//!   JetStream acknowledged the previous one, so a customer's events are stored in their order
//!   even across retries.
//! - Progress is kept in the database (per customer, the last acknowledged sequence number),
//!   written only after the acknowledgements, so a restart resumes and re-publishes at most the
//!   events acknowledged after the last recorded position (deduplicated by their id).
//! - Several processes on one database take turns: a lease row lets one of them relay at a time.
//! - While NATS is unreachable, publishing is retried with backoff (up to 30 s); nothing is
//!   skipped or reordered.

use async_nats::jetstream;
use custodian_store::Store;
pub use custodian_store::relay::RelayStats;
use custodian_store::relay::{RelayEvent, RelayPosition};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The relay's name in the database's relay tables.
pub const RELAY: &str = "nats";

/// Settings of the sink (`[events]` in the configuration).
#[derive(Debug, Clone)]
pub struct NatsSettings {
    /// e.g. `nats://127.0.0.1:4222`.
    pub url: String,
    /// The JetStream stream; created (subjects `<subject_prefix>.>`) when missing.
    pub stream: String,
    /// Events go to `<subject_prefix>.<tenantId>.<customerId>`.
    pub subject_prefix: String,
    /// How long to wait between polls when nothing is waiting.
    pub poll_interval: Duration,
    /// How long a relay's turn lasts unless renewed.
    pub lease: Duration,
    /// How long to wait for JetStream's acknowledgement of one event.
    pub ack_timeout: Duration,
    /// Events read per pass.
    pub batch: i64,
    /// Positions are recorded after this many acknowledgements (and at the end of each pass).
    pub record_every: usize,
    /// Events are skipped by later scans only once they are this old: on PostgreSQL a
    /// transaction that took a lower outbox id may commit after one with a higher id, so the scan
    /// keeps looking this far back (each scan reads the events of this window once).
    pub horizon_grace: Duration,
}

impl NatsSettings {
    pub fn new(url: impl Into<String>) -> NatsSettings {
        NatsSettings {
            url: url.into(),
            stream: "CUSTODIAN".into(),
            subject_prefix: "custodian.events".into(),
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(30),
            ack_timeout: Duration::from_secs(5),
            batch: 256,
            record_every: 64,
            horizon_grace: Duration::from_secs(60),
        }
    }
}

/// The subject of a tenant's customer's events.
pub fn subject(prefix: &str, event: &RelayEvent) -> String {
    format!("{prefix}.{}.{}", event.tenant.0, event.event.customer_id.0)
}

/// The event's id, as webhooks carry it (`webhook-id`).
pub fn event_id(event: &RelayEvent) -> String {
    event
        .event
        .payload
        .get("id")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("evt_{}", event.event.id))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Why a pass stopped early.
#[derive(Debug)]
enum PassError {
    /// NATS did not take an event (connection, timeout, stream): retry with backoff.
    Nats(String),
    /// The database failed.
    Store(custodian_store::StoreError),
}

impl std::fmt::Display for PassError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PassError::Nats(m) => write!(f, "NATS: {m}"),
            PassError::Store(e) => write!(f, "database: {e}"),
        }
    }
}

pub struct NatsRelay {
    store: Arc<dyn Store>,
    settings: NatsSettings,
    /// This process's name in the lease.
    owner: String,
    pub stats: Arc<RelayStats>,
}

impl NatsRelay {
    pub fn new(store: Arc<dyn Store>, settings: NatsSettings) -> NatsRelay {
        let owner = format!("{}-{}", std::process::id(), hex::encode(rand::random::<[u8; 6]>()));
        NatsRelay { store, settings, owner, stats: Arc::default() }
    }

    /// Connects (retrying in the background while NATS is down) and relays until `stop` resolves.
    pub async fn run(self: Arc<Self>, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let client = loop {
            let connecting = async_nats::ConnectOptions::new()
                .name("custodian")
                .retry_on_initial_connect()
                .connection_timeout(Duration::from_secs(5))
                .connect(self.settings.url.as_str());
            tokio::select! {
                _ = &mut stop => return,
                c = connecting => match c {
                    Ok(c) => break c,
                    Err(e) => {
                        tracing::warn!(error = %e, "NATS connection settings are not usable");
                        tokio::select! {
                            _ = &mut stop => return,
                            _ = tokio::time::sleep(Duration::from_secs(5)) => continue,
                        }
                    }
                },
            }
        };
        let js = jetstream::new(client);
        let mut stream_ready = false;
        let mut backoff = Duration::ZERO;
        loop {
            let pass = async {
                if !stream_ready {
                    self.ensure_stream(&js).await?;
                    stream_ready = true;
                }
                self.pass(&js).await
            };
            let outcome = tokio::select! {
                _ = &mut stop => break,
                o = pass => o,
            };
            let wait = match outcome {
                Ok(n) if n as i64 >= self.settings.batch => {
                    backoff = Duration::ZERO;
                    Duration::ZERO
                }
                Ok(_) => {
                    backoff = Duration::ZERO;
                    self.settings.poll_interval
                }
                Err(e) => {
                    self.stats.failed_attempts.fetch_add(1, Ordering::Relaxed);
                    if matches!(e, PassError::Nats(_)) {
                        stream_ready = false;
                    }
                    backoff = (backoff * 2).clamp(Duration::from_millis(100), Duration::from_secs(30));
                    tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "relaying events to NATS failed");
                    backoff
                }
            };
            tokio::select! {
                _ = &mut stop => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        if let Err(e) = self.store.release_relay_lease(RELAY, &self.owner).await {
            tracing::warn!(error = %e, "releasing the NATS relay lease failed");
        }
    }

    async fn ensure_stream(&self, js: &jetstream::Context) -> Result<(), PassError> {
        let config = jetstream::stream::Config {
            name: self.settings.stream.clone(),
            subjects: vec![format!("{}.>", self.settings.subject_prefix)],
            storage: jetstream::stream::StorageType::File,
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        };
        tokio::time::timeout(self.settings.ack_timeout, js.get_or_create_stream(config))
            .await
            .map_err(|_| PassError::Nats("timed out reaching JetStream".into()))?
            .map_err(|e| PassError::Nats(format!("stream {}: {e}", self.settings.stream)))?;
        Ok(())
    }

    /// One turn: publishes up to a batch of waiting events in order; how many were published.
    async fn pass(&self, js: &jetstream::Context) -> Result<usize, PassError> {
        let lease_ms = self.settings.lease.as_millis() as i64;
        if !self.store.acquire_relay_lease(RELAY, &self.owner, now_ms(), lease_ms).await.map_err(PassError::Store)? {
            return Ok(0);
        }
        let events = self.store.unrelayed_events(RELAY, self.settings.batch).await.map_err(PassError::Store)?;
        let grace = self.settings.horizon_grace.as_millis() as i64;
        self.store
            .advance_relay_horizon(RELAY, &self.owner, events.first().map(|e| e.event.id), now_ms() - grace)
            .await
            .map_err(PassError::Store)?;
        let mut acked: Vec<RelayPosition> = Vec::new();
        let mut published = 0;
        let mut failure = None;
        for event in &events {
            match self.publish(js, event).await {
                Ok(()) => {
                    published += 1;
                    self.stats.published.fetch_add(1, Ordering::Relaxed);
                    acked.push(RelayPosition { tenant: event.tenant, customer: event.event.customer_id, seq: event.event.seq });
                    if acked.len() >= self.settings.record_every && !self.record(&mut acked).await? {
                        return Ok(published);
                    }
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        self.record(&mut acked).await?;
        match failure {
            Some(e) => Err(e),
            None => Ok(published),
        }
    }

    /// Records acknowledged positions; `false` when this process lost its turn meanwhile.
    async fn record(&self, acked: &mut Vec<RelayPosition>) -> Result<bool, PassError> {
        if acked.is_empty() {
            return Ok(true);
        }
        let lease_ms = self.settings.lease.as_millis() as i64;
        let mine = self.store.record_relayed(RELAY, &self.owner, acked, now_ms(), lease_ms).await.map_err(PassError::Store)?;
        acked.clear();
        Ok(mine)
    }

    async fn publish(&self, js: &jetstream::Context, event: &RelayEvent) -> Result<(), PassError> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", event_id(event).as_str());
        headers.insert("Custodian-Event-Type", event.event.event_type.as_str());
        headers.insert("Content-Type", "application/json");
        let body = serde_json::to_vec(&event.event.payload).expect("JSON serialises");
        let subject = subject(&self.settings.subject_prefix, event);
        let attempt = async {
            let ack = js
                .publish_with_headers(subject, headers, body.into())
                .await
                .map_err(|e| PassError::Nats(format!("publishing event {}: {e}", event.event.id)))?;
            ack.await.map_err(|e| PassError::Nats(format!("acknowledgement of event {}: {e}", event.event.id)))
        };
        tokio::time::timeout(self.settings.ack_timeout, attempt)
            .await
            .map_err(|_| PassError::Nats(format!("no acknowledgement of event {} in time", event.event.id)))??;
        Ok(())
    }
}
