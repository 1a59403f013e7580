//! Settings, for admins: the studio's per-domain amendment policy and the payment signature
//! requirement (each change takes effect with the next request and is audited by the policy
//! service), and the webhook subscriptions with their recent deliveries, replay and on/off.

use super::errors::ConsoleError;
use super::login::NoFields;
use super::session::{Staff, StaffForm, parse_form};
use super::view::{self, Choice, Chrome};
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use custodian_app::SubscriptionInput;
use custodian_domain::{ConfigurationStatus, DataDomain, DomainPolicy};
use custodian_store::webhooks::{DeliveryStatus, Subscription, WebhookFormat};
use serde::Deserialize;

const STATUSES: [ConfigurationStatus; 3] =
    [ConfigurationStatus::ChangesWithoutVerification, ConfigurationStatus::ChangesRequireVerification, ConfigurationStatus::Read];
const DELIVERIES_SHOWN: i64 = 25;

#[derive(Template, WebTemplate)]
#[template(path = "console/settings.html")]
pub struct SettingsPage {
    pub chrome: Chrome,
    pub policies: Vec<PolicyRow>,
    pub saved: Option<String>,
    pub subscriptions: Vec<SubscriptionRow>,
}

pub struct PolicyRow {
    pub key: &'static str,
    pub label: &'static str,
    pub choices: Vec<Choice>,
    /// Only the payment domain can require a signature.
    pub signature_applicable: bool,
    pub require_signature: bool,
}

pub struct SubscriptionRow {
    pub id: i64,
    pub url: String,
    pub format: &'static str,
    pub events: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub failures: i64,
}

impl From<&Subscription> for SubscriptionRow {
    fn from(s: &Subscription) -> Self {
        SubscriptionRow {
            id: s.id,
            url: s.url.clone(),
            format: match s.format {
                WebhookFormat::Standard => "Standard Webhooks",
                WebhookFormat::Vendor => "Vendor format",
            },
            events: if s.event_types.is_empty() { "all events".into() } else { s.event_types.join(", ") },
            enabled: s.enabled,
            disabled_reason: s.disabled_reason.clone(),
            failures: s.consecutive_failures,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/webhook.html")]
pub struct WebhookPage {
    pub chrome: Chrome,
    pub sub: SubscriptionRow,
    pub deliveries: Vec<DeliveryRow>,
    pub failed: usize,
    pub flash: Option<String>,
}

pub struct DeliveryRow {
    pub id: i64,
    pub event_type: String,
    pub customer_id: i64,
    pub status: &'static str,
    /// "1 attempt", "3 attempts".
    pub attempts: String,
    /// The endpoint's last answer: its HTTP status and, when it says more, the error.
    pub last_answer: Option<String>,
    pub created_at: String,
    pub created_iso: String,
    pub next_attempt: Option<String>,
    pub replayable: bool,
}

#[derive(Debug, Default, Deserialize)]
struct SettingsQuery {
    saved: Option<String>,
}

/// `GET /console/settings`.
pub async fn page(State(state): State<AppState>, staff: Staff, RawQuery(query): RawQuery) -> Result<SettingsPage, ConsoleError> {
    staff.require_admin()?;
    let q: SettingsQuery = parse_form(query.unwrap_or_default().as_bytes())?;
    let ctx = staff.context();
    let set = state.services.policies.get(&ctx).await?;
    let policies = DataDomain::ALL
        .into_iter()
        .map(|d| {
            let p = set.get(d);
            PolicyRow {
                key: d.as_str(),
                label: view::domain_label(d),
                choices: STATUSES
                    .into_iter()
                    .map(|s| Choice {
                        value: s.as_str().into(),
                        label: view::policy_label(s.as_str()).into(),
                        selected: s == p.status,
                    })
                    .collect(),
                signature_applicable: d == DataDomain::Payment,
                require_signature: d == DataDomain::Payment && p.require_signature,
            }
        })
        .collect();
    let saved = q.saved.map(|s| {
        let names: Vec<&str> = s.split(',').filter_map(|d| d.parse::<DataDomain>().ok()).map(view::domain_label).collect();
        if names.is_empty() { "Nothing changed.".to_owned() } else { format!("Saved: {}.", names.join(", ")) }
    });
    let subscriptions = state.services.webhooks.list(&ctx).await?.iter().map(SubscriptionRow::from).collect();
    Ok(SettingsPage { chrome: Chrome::load(&state, &staff, "settings").await?, policies, saved, subscriptions })
}

#[derive(Debug, Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    contact: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    master: String,
    #[serde(default)]
    payment: String,
    /// A checkbox: present when ticked.
    payment_signature: Option<String>,
}

/// `POST /console/settings/policies`: writes (and audits) every domain whose policy changed.
pub async fn save_policies(State(state): State<AppState>, f: StaffForm<PolicyForm>) -> Result<Response, ConsoleError> {
    f.staff.require_admin()?;
    let ctx = f.staff.context();
    let current = state.services.policies.get(&ctx).await?;
    let form = &f.form;
    let mut saved = Vec::new();
    for (domain, raw) in [
        (DataDomain::Contact, &form.contact),
        (DataDomain::Address, &form.address),
        (DataDomain::Master, &form.master),
        (DataDomain::Payment, &form.payment),
    ] {
        let status: ConfigurationStatus = raw.parse().map_err(ConsoleError::BadRequest)?;
        let require_signature = domain == DataDomain::Payment && form.payment_signature.is_some();
        let policy = DomainPolicy { status, require_signature };
        if policy != current.get(domain) {
            state.services.policies.set(&ctx, domain, policy).await?;
            saved.push(domain.as_str());
        }
    }
    let saved = if saved.is_empty() { "none".to_owned() } else { saved.join(",") };
    Ok(Redirect::to(&format!("/console/settings?saved={saved}")).into_response())
}

fn parse_number(raw: &str, what: &str) -> Result<i64, ConsoleError> {
    raw.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ConsoleError::NotFound(format!("There is no such {what} in your studio.")))
}

fn last_answer(code: Option<i64>, error: Option<&str>) -> Option<String> {
    let status = code.map(|c| format!("HTTP {c}"));
    match (status, error) {
        (Some(s), Some(e)) if e != s => Some(format!("{s}: {e}")),
        (Some(s), _) => Some(s),
        (None, Some(e)) => Some(e.to_owned()),
        (None, None) => None,
    }
}

#[derive(Debug, Default, Deserialize)]
struct WebhookQuery {
    replayed: Option<String>,
    changed: Option<String>,
}

/// `GET /console/settings/webhooks/{id}`: one subscription and its most recent deliveries.
pub async fn webhook(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<WebhookPage, ConsoleError> {
    staff.require_admin()?;
    let id = parse_number(&id, "webhook subscription")?;
    let q: WebhookQuery = parse_form(query.unwrap_or_default().as_bytes())?;
    let ctx = staff.context();
    let sub = state.services.webhooks.get(&ctx, id).await?;
    let deliveries = state.services.webhooks.deliveries(&ctx, id, None, None, DELIVERIES_SHOWN).await?;
    let rows: Vec<DeliveryRow> = deliveries
        .iter()
        .map(|d| DeliveryRow {
            id: d.id,
            event_type: d.event_type.clone(),
            customer_id: d.customer_id,
            status: d.status.as_str(),
            attempts: if d.attempts == 1 { "1 attempt".into() } else { format!("{} attempts", d.attempts) },
            last_answer: last_answer(d.last_status_code, d.last_error.as_deref()),
            created_at: view::datetime(d.created_ms),
            created_iso: view::iso(d.created_ms),
            next_attempt: (d.status == DeliveryStatus::Pending).then(|| view::datetime(d.next_attempt_ms)),
            replayable: d.status != DeliveryStatus::Delivering,
        })
        .collect();
    let flash = match (q.replayed, q.changed.as_deref()) {
        (Some(n), _) => Some(match n.as_str() {
            "1" => "One delivery will be sent again now.".to_owned(),
            "0" => "There were no failed deliveries to send again.".to_owned(),
            n => format!("{n} deliveries will be sent again now."),
        }),
        (None, Some("enabled")) => Some("The subscription is on: new events are delivered again.".to_owned()),
        (None, Some("disabled")) => Some("The subscription is off: no events are delivered.".to_owned()),
        _ => None,
    };
    Ok(WebhookPage {
        chrome: Chrome::load(&state, &staff, "settings").await?,
        sub: SubscriptionRow::from(&sub),
        failed: rows.iter().filter(|r| r.status == "failed").count(),
        deliveries: rows,
        flash,
    })
}

#[derive(Debug, Deserialize)]
pub struct EnabledForm {
    #[serde(default)]
    enabled: String,
}

/// `POST /console/settings/webhooks/{id}/enabled`: turns a subscription on (`true`) or off.
pub async fn set_enabled(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: StaffForm<EnabledForm>,
) -> Result<Response, ConsoleError> {
    f.staff.require_admin()?;
    let id = parse_number(&id, "webhook subscription")?;
    let enabled = match f.form.enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(ConsoleError::BadRequest("enabled must be true or false.".into())),
    };
    let input = SubscriptionInput { enabled: Some(enabled), ..Default::default() };
    state.services.webhooks.update(&f.staff.context(), id, input).await?;
    let changed = if enabled { "enabled" } else { "disabled" };
    Ok(Redirect::to(&format!("/console/settings/webhooks/{id}?changed={changed}")).into_response())
}

/// `POST /console/settings/webhooks/{id}/replay-failed`: every failed delivery is due again now.
pub async fn replay_failed(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: StaffForm<NoFields>,
) -> Result<Response, ConsoleError> {
    f.staff.require_admin()?;
    let id = parse_number(&id, "webhook subscription")?;
    let n = state.services.webhooks.replay_failed(&f.staff.context(), id).await?;
    Ok(Redirect::to(&format!("/console/settings/webhooks/{id}?replayed={n}")).into_response())
}

/// `POST /console/settings/webhooks/{id}/deliveries/{delivery}/replay`: one delivery is due again now.
pub async fn replay_delivery(
    State(state): State<AppState>,
    Path((id, delivery)): Path<(String, String)>,
    f: StaffForm<NoFields>,
) -> Result<Response, ConsoleError> {
    f.staff.require_admin()?;
    let id = parse_number(&id, "webhook subscription")?;
    let delivery = parse_number(&delivery, "delivery")?;
    let ctx = f.staff.context();
    // The delivery must belong to the subscription in the address.
    state.services.webhooks.get(&ctx, id).await?;
    let listed = state.services.webhooks.deliveries(&ctx, id, None, Some(delivery + 1), 1).await?;
    if listed.first().map(|d| d.id) != Some(delivery) {
        return Err(ConsoleError::NotFound("There is no such delivery for this subscription.".into()));
    }
    state.services.webhooks.replay(&ctx, delivery).await?;
    Ok(Redirect::to(&format!("/console/settings/webhooks/{id}?replayed=1")).into_response())
}
