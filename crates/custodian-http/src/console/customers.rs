//! Customers in the console: a paged list, and one customer's four domains with their current
//! values (IBAN masked unless the viewer is an admin), the pending amendment of each domain, and
//! the customer's audit history.

use super::errors::ConsoleError;
use super::session::{Staff, parse_form};
use super::view::{self, ChangeRow, Chrome, FieldValue};
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use custodian_domain::{CustomerId, DataDomain, DomainData};
use serde::Deserialize;

const LIST_PAGE: i64 = 25;
const AUDIT_PAGE: i64 = 50;

#[derive(Template, WebTemplate)]
#[template(path = "console/customers.html")]
pub struct CustomersPage {
    pub chrome: Chrome,
    pub rows: Vec<CustomerRow>,
    pub next_href: Option<String>,
    pub first_href: Option<String>,
    /// The search the list shows the results of.
    pub search: Option<String>,
}

pub struct CustomerRow {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub city: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/customer.html")]
pub struct CustomerPage {
    pub chrome: Chrome,
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub created_iso: String,
    pub full_iban: bool,
    /// Admins may download the customer's data export.
    pub admin: bool,
    pub partner: Option<PartnerSection>,
    pub domains: Vec<DomainSection>,
    pub audit: Vec<AuditRow>,
    pub audit_next_href: Option<String>,
    pub audit_first_href: Option<String>,
}

pub struct DomainSection {
    pub key: &'static str,
    pub label: &'static str,
    pub policy: String,
    pub fields: Vec<FieldValue>,
    pub pending: Option<PendingLink>,
}

/// A partner customer's profile (the partner API's customers): its place in the hierarchy and
/// the profile's set values. Its primary contact and address are the shared domains below.
pub struct PartnerSection {
    pub uuid: String,
    pub parent: Option<i64>,
    pub fields: Vec<FieldValue>,
}

pub struct PendingLink {
    pub id: i64,
    pub age: String,
}

pub struct AuditRow {
    pub at: String,
    pub iso: String,
    pub actor: String,
    pub action: String,
    pub domain: Option<&'static str>,
    pub amendment_id: Option<i64>,
    pub changes: Vec<ChangeRow>,
}

fn action_label(action: &str) -> String {
    match action {
        "customer.created" => "Customer created",
        "customer.updated" => "Changed directly",
        "amendment.submitted" => "Amendment submitted",
        "amendment.applied" => "Amendment applied at once",
        "amendment.approved" => "Amendment approved",
        "amendment.rejected" => "Amendment rejected",
        "amendment.withdrawn" => "Amendment withdrawn",
        "billing_profile.created" => "Billing profile created",
        "billing_profile.updated" => "Billing profile changed",
        "consent.granted" => "Consent to a wealth service granted",
        "consent.revoked" => "Consent to a wealth service revoked",
        "partner.created" => "Partner customer created",
        "partner.updated" => "Partner profile changed",
        "wealth.profile.saved" => "Wealth profile saved",
        "wealth.address.added" => "Wealth address added",
        "wealth.address.updated" => "Wealth address changed",
        "wealth.contact_detail.added" => "Wealth contact detail added",
        "wealth.person.related" => "Related person added",
        other => other,
    }
    .to_owned()
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    id: Option<String>,
    after: Option<String>,
    q: Option<String>,
}

fn cursor(raw: Option<&str>) -> Result<Option<i64>, ConsoleError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0)
            .map(Some)
            .ok_or_else(|| ConsoleError::BadRequest("The page cursor is not one this console made.".into())),
    }
}

pub(super) fn parse_customer_id(raw: &str) -> Result<CustomerId, ConsoleError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .map(CustomerId)
        .ok_or_else(|| ConsoleError::NotFound("There is no such customer in your studio.".into()))
}

/// `GET /console/customers?after=` (or `?id=N` to open customer N).
pub async fn list(State(state): State<AppState>, staff: Staff, RawQuery(query): RawQuery) -> Result<Response, ConsoleError> {
    let q: ListQuery = parse_form(query.unwrap_or_default().as_bytes())?;
    if let Some(id) = q.id.as_deref().filter(|s| !s.trim().is_empty()) {
        let id = parse_customer_id(id)?;
        return Ok(Redirect::to(&format!("/console/customers/{id}")).into_response());
    }
    let after = cursor(q.after.as_deref())?;
    let ctx = staff.context();
    let search = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let customers = &state.services.customers;
    let mut items = match &search {
        Some(text) => match customers.search(&ctx, text, after.map(CustomerId), LIST_PAGE + 1).await {
            Err(custodian_app::AppError::Domain(custodian_domain::DomainError::Invalid(f))) => {
                return Err(ConsoleError::BadRequest(format!("The search {}.", f.message)));
            }
            other => other?,
        },
        None => customers.list(&ctx, after.map(CustomerId), LIST_PAGE + 1).await?,
    };
    let more = items.len() as i64 > LIST_PAGE;
    items.truncate(LIST_PAGE as usize);
    let mut rows: Vec<CustomerRow> = items
        .iter()
        .map(|c| CustomerRow {
            id: c.id.0,
            name: String::new(),
            email: match c.data(DataDomain::Contact) {
                Some(DomainData::Contact(d)) => d.email.as_ref().map(|e| e.as_str().to_owned()),
                _ => None,
            },
            city: match c.data(DataDomain::Address) {
                Some(DomainData::Address(a)) => Some(a.city.as_str().to_owned()),
                _ => None,
            },
        })
        .collect();
    for (row, c) in rows.iter_mut().zip(&items) {
        row.name = view::display_name(&state, c).await?;
    }
    Ok(CustomersPage {
        chrome: Chrome::load(&state, &staff, "customers").await?,
        rows,
        next_href: if more {
            items.last().map(|c| match &search {
                Some(text) => format!(
                    "/console/customers?{}",
                    serde_urlencoded::to_string([("q", text.as_str()), ("after", &c.id.to_string())]).unwrap_or_default()
                ),
                None => format!("/console/customers?after={}", c.id),
            })
        } else {
            None
        },
        first_href: after.map(|_| match &search {
            Some(text) => format!("/console/customers?{}", serde_urlencoded::to_string([("q", text)]).unwrap_or_default()),
            None => "/console/customers".to_owned(),
        }),
        search,
    }
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
struct CustomerQuery {
    audit_after: Option<String>,
}

/// `GET /console/customers/{id}?audit_after=`.
pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<CustomerPage, ConsoleError> {
    let id = parse_customer_id(&id)?;
    let q: CustomerQuery = parse_form(query.unwrap_or_default().as_bytes())?;
    let audit_after = cursor(q.audit_after.as_deref())?;
    let ctx = staff.context();
    let customer = state.services.customers.get(&ctx, id).await?;
    let policies = state.services.policies.get(&ctx).await?;
    let full_iban = staff.session.is_admin();
    let now = state.services.clock.now_ms();

    let mut domains = Vec::with_capacity(4);
    for d in DataDomain::ALL {
        let pending = state.services.amendments.pending(&ctx, id, d).await?;
        let policy = policies.get(d);
        let signature = if policies.requires_signature(d) { ", with the customer's signature" } else { "" };
        domains.push(DomainSection {
            key: d.as_str(),
            label: view::domain_label(d),
            policy: format!("{}{signature}", view::policy_label(policy.status.as_str())),
            fields: customer.data(d).map(|data| view::field_values(data, full_iban)).unwrap_or_default(),
            pending: pending.map(|a| PendingLink { id: a.id.0, age: view::age(now, a.submitted_at_ms) }),
        });
    }

    let partner = view::partner(&state, ctx.tenant, id).await?.map(|p| PartnerSection {
        uuid: p.uuid.to_string(),
        parent: p.parent().map(|c| c.0),
        fields: serde_json::to_value(&p.profile).map(|v| view::json_fields(&v, full_iban)).unwrap_or_default(),
    });

    let mut entries = state.services.customers.audit_trail(&ctx, id, audit_after, AUDIT_PAGE + 1).await?;
    let more = entries.len() as i64 > AUDIT_PAGE;
    entries.truncate(AUDIT_PAGE as usize);
    let keys = view::key_labels(&state, ctx.tenant).await;
    let audit = entries
        .iter()
        .map(|e| AuditRow {
            at: view::datetime(e.at_ms),
            iso: view::iso(e.at_ms),
            actor: view::actor_words(&keys, &e.actor),
            action: action_label(&e.action),
            domain: e.domain.map(view::domain_label),
            amendment_id: e.amendment_id.map(|a| a.0),
            changes: e
                .changes
                .iter()
                .flat_map(|c| view::change_rows(&c.field, c.before.as_ref(), c.after.as_ref(), full_iban))
                .collect(),
        })
        .collect();
    Ok(CustomerPage {
        chrome: Chrome::load(&state, &staff, "customers").await?,
        id: id.0,
        name: view::display_name(&state, &customer).await?,
        created_at: view::datetime(customer.created_ms),
        created_iso: view::iso(customer.created_ms),
        full_iban,
        admin: staff.session.is_admin(),
        partner,
        domains,
        audit,
        audit_next_href: if more {
            entries.last().map(|e| format!("/console/customers/{id}?audit_after={}#history", e.id))
        } else {
            None
        },
        audit_first_href: audit_after.map(|_| format!("/console/customers/{id}#history")),
    })
}

#[cfg(test)]
mod tests {
    use super::action_label;

    #[test]
    fn the_history_names_every_recorded_action_in_words() {
        for action in [
            "customer.created",
            "customer.updated",
            "amendment.submitted",
            "amendment.applied",
            "amendment.approved",
            "amendment.rejected",
            "amendment.withdrawn",
            "billing_profile.created",
            "billing_profile.updated",
            "consent.granted",
            "consent.revoked",
            "partner.created",
            "partner.updated",
            "wealth.profile.saved",
            "wealth.address.added",
            "wealth.address.updated",
            "wealth.contact_detail.added",
            "wealth.person.related",
        ] {
            let label = action_label(action);
            assert!(!label.contains('.') && !label.contains('_'), "{action} shows as {label}");
        }
    }
}
