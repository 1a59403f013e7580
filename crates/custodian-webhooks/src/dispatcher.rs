//! The dispatcher: claims due deliveries from the store, sends them outside any database
//! transaction with a 5-second timeout, and records the outcome (success, retry with backoff,
//! `Retry-After` on 429/503, give up, or disable the endpoint on 410 or after days of failures).

use crate::format::build;
use crate::schedule::{next_delay_ms, retry_after_ms};
use crate::target::{GuardedResolver, TargetPolicy};
use custodian_store::webhooks::{AttemptOutcome, ClaimedDelivery, DisablePolicy, Subscription};
use custodian_store::{OutboxEvent, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// Dispatcher tuning.
#[derive(Debug, Clone)]
pub struct DispatcherSettings {
    pub targets: TargetPolicy,
    /// How long to wait between polls when nothing is due.
    pub poll_interval: Duration,
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// How long a claim lasts before another dispatcher may take the delivery over.
    pub lease: Duration,
    /// How long an endpoint must fail continuously (no successful attempt) before it is disabled.
    pub disable_after: Duration,
    /// Failed attempts in a row it must also have had by then.
    pub disable_after_failures: i64,
    pub batch: i64,
    /// Multiplies the retry schedule's delays (1.0 in production; tests shrink it).
    pub retry_delay_scale: f64,
}

impl Default for DispatcherSettings {
    fn default() -> Self {
        DispatcherSettings {
            targets: TargetPolicy::default(),
            poll_interval: Duration::from_millis(500),
            timeout: Duration::from_secs(5),
            lease: Duration::from_secs(60),
            disable_after: Duration::from_secs(5 * 24 * 3600),
            disable_after_failures: 50,
            batch: 32,
            retry_delay_scale: 1.0,
        }
    }
}

/// Counters for metrics.
#[derive(Debug, Default)]
pub struct DispatchStats {
    pub delivered: AtomicU64,
    pub failed_attempts: AtomicU64,
    pub endpoints_disabled: AtomicU64,
    /// Sum of (delivery time − event time) over successful deliveries, in milliseconds.
    pub latency_ms_sum: AtomicU64,
}

/// Sends webhook requests: no redirects, a timeout, and a DNS resolver that refuses internal
/// addresses unless the target policy allows them.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    pub targets: TargetPolicy,
}

/// What one request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendResult {
    /// The endpoint answered (any status).
    Answered { status: u16, retry_after: Option<String> },
    /// No answer: refused target, connection error or timeout.
    NoAnswer { error: String, refused_target: bool },
}

impl Sender {
    pub fn new(targets: TargetPolicy, timeout: Duration) -> Sender {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .dns_resolver(Arc::new(GuardedResolver(Arc::new(targets.clone()))))
            .user_agent("Custodian-Webhooks/0.1")
            .build()
            .expect("the HTTP client builds");
        Sender { client, targets }
    }

    /// Sends `event` to the subscription's endpoint in its format.
    pub async fn send(&self, sub: &Subscription, event: &OutboxEvent) -> SendResult {
        let url = match self.targets.check_url(&sub.url) {
            Ok(u) => u,
            Err(e) => return SendResult::NoAnswer { error: e.to_string(), refused_target: true },
        };
        let now = now_ms();
        let req = build(sub, event, now / 1000, now);
        let mut rb = self.client.post(url).body(req.body);
        for (k, v) in &req.headers {
            rb = rb.header(k, v);
        }
        match rb.send().await {
            Ok(resp) => SendResult::Answered {
                status: resp.status().as_u16(),
                retry_after: resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned),
            },
            Err(e) => {
                let error = if e.is_timeout() {
                    "timed out".to_string()
                } else {
                    // The resolver's refusal surfaces as a connect error; name it plainly.
                    let chain = error_chain(&e);
                    if chain.contains("not allowed") {
                        return SendResult::NoAnswer { error: chain, refused_target: true };
                    }
                    format!("request failed: {chain}")
                };
                SendResult::NoAnswer { error, refused_target: false }
            }
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

pub struct Dispatcher {
    store: Arc<dyn Store>,
    sender: Sender,
    settings: DispatcherSettings,
    pub stats: Arc<DispatchStats>,
    wake: Arc<Notify>,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

impl Dispatcher {
    pub fn new(store: Arc<dyn Store>, settings: DispatcherSettings) -> Dispatcher {
        let sender = Sender::new(settings.targets.clone(), settings.timeout);
        Dispatcher { store, sender, settings, stats: Arc::default(), wake: Arc::new(Notify::new()) }
    }

    /// A handle that wakes the dispatcher early (e.g. right after a change).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Runs until `stop` resolves.
    pub async fn run(self: Arc<Self>, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            let sent = match self.run_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook dispatch failed");
                    0
                }
            };
            if sent > 0 {
                // More may be due: go on at once, unless asked to stop.
                tokio::select! {
                    biased;
                    _ = &mut stop => return,
                    _ = std::future::ready(()) => continue,
                }
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
    }

    /// Claims and sends one batch; returns how many deliveries were attempted.
    pub async fn run_once(&self) -> Result<usize, custodian_store::StoreError> {
        let batch = self.store.claim_deliveries(now_ms(), self.settings.lease.as_millis() as i64, self.settings.batch).await?;
        let n = batch.len();
        let mut set = tokio::task::JoinSet::new();
        for claimed in batch {
            let (sender, store, settings, stats) =
                (self.sender.clone(), self.store.clone(), self.settings.clone(), self.stats.clone());
            set.spawn(async move { deliver(&sender, &*store, &settings, &stats, claimed).await });
        }
        while let Some(r) = set.join_next().await {
            if let Err(e) = r {
                tracing::error!(error = %e, "a delivery task failed");
            }
        }
        Ok(n)
    }
}

async fn deliver(sender: &Sender, store: &dyn Store, settings: &DispatcherSettings, stats: &DispatchStats, c: ClaimedDelivery) {
    let sub = &c.subscription;
    let attempts = c.delivery.attempts;
    let outcome_and_disable = match sender.send(sub, &c.event).await {
        SendResult::NoAnswer { error, refused_target: true } => {
            (AttemptOutcome::Failed { status_code: None, error: error.clone(), at_ms: now_ms() }, Some(error))
        }
        SendResult::NoAnswer { error, refused_target: false } => {
            (retry_or_fail(attempts, None, error, None, settings.retry_delay_scale), None)
        }
        SendResult::Answered { status, .. } if (200..300).contains(&status) => {
            (AttemptOutcome::Succeeded { status_code: i64::from(status), at_ms: now_ms() }, None)
        }
        SendResult::Answered { status: 410, .. } => {
            let reason = "the endpoint answered 410 Gone".to_string();
            (AttemptOutcome::Failed { status_code: Some(410), error: reason.clone(), at_ms: now_ms() }, Some(reason))
        }
        SendResult::Answered { status, retry_after } => {
            let honoured = if status == 429 || status == 503 { retry_after_ms(retry_after.as_deref()) } else { None };
            (
                retry_or_fail(attempts, Some(i64::from(status)), format!("HTTP {status}"), honoured, settings.retry_delay_scale),
                None,
            )
        }
    };
    let (outcome, disable) = outcome_and_disable;
    match &outcome {
        AttemptOutcome::Succeeded { at_ms, .. } => {
            stats.delivered.fetch_add(1, Ordering::Relaxed);
            stats.latency_ms_sum.fetch_add(u64::try_from(at_ms - c.event.at_ms).unwrap_or(0), Ordering::Relaxed);
        }
        _ => {
            stats.failed_attempts.fetch_add(1, Ordering::Relaxed);
        }
    }
    tracing::debug!(delivery.id = c.delivery.id, subscription.id = sub.id, attempts, "webhook attempt: {outcome:?}");
    let policy = DisablePolicy {
        after_ms: i64::try_from(settings.disable_after.as_millis()).unwrap_or(i64::MAX),
        after_failures: settings.disable_after_failures,
    };
    match store.record_attempt(c.delivery.id, outcome, now_ms(), policy, disable).await {
        Ok(true) => {
            stats.endpoints_disabled.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(subscription.id = sub.id, tenant.id = %sub.tenant_id, "webhook endpoint disabled");
        }
        Ok(false) => {}
        Err(e) => tracing::error!(delivery.id = c.delivery.id, error = %e, "recording a webhook attempt failed"),
    }
}

fn retry_or_fail(attempts: i64, status_code: Option<i64>, error: String, honoured: Option<i64>, scale: f64) -> AttemptOutcome {
    let jitter = rand::random::<f64>() * 2.0 - 1.0;
    match (honoured, next_delay_ms(attempts, jitter)) {
        (_, None) => {
            AttemptOutcome::Failed { status_code, error: format!("{error}; gave up after {attempts} attempts"), at_ms: now_ms() }
        }
        (Some(after), Some(_)) => AttemptOutcome::Retry { status_code, error, next_attempt_ms: now_ms() + after },
        (None, Some(delay)) => {
            AttemptOutcome::Retry { status_code, error, next_attempt_ms: now_ms() + (delay as f64 * scale) as i64 }
        }
    }
}
