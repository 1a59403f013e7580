//! The review queue: the studio's pending amendments, oldest first, optionally of one domain,
//! a page at a time (cursor: the last id shown), with the customer, domain and age of each.

use super::errors::ConsoleError;
use super::session::{Staff, parse_form};
use super::view::{self, Choice, Chrome};
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use custodian_domain::{AmendmentId, AmendmentState, CustomerId, DataDomain};
use custodian_store::AmendmentQuery;
use serde::Deserialize;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// Amendments per queue page.
pub const PAGE_SIZE: i64 = 25;

#[derive(Template, WebTemplate)]
#[template(path = "console/queue.html")]
pub struct QueuePage {
    pub chrome: Chrome,
    pub domains: Vec<Choice>,
    /// Pending amendments matching the filter (all pages).
    pub count: i64,
    pub filtered: bool,
    pub rows: Vec<QueueRow>,
    pub next_href: Option<String>,
    pub first_href: Option<String>,
}

pub struct QueueRow {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub domain: &'static str,
    pub age: String,
    pub submitted_at: String,
    pub submitted_iso: String,
    pub has_signature: bool,
    pub stale: bool,
}

#[derive(Debug, Default, Deserialize)]
struct QueueQuery {
    domain: Option<String>,
    after: Option<String>,
}

fn queue_href(domain: Option<DataDomain>, after: Option<i64>) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(d) = domain {
        pairs.push(("domain", d.as_str().into()));
    }
    if let Some(a) = after {
        pairs.push(("after", a.to_string()));
    }
    if pairs.is_empty() {
        "/console/queue".into()
    } else {
        format!("/console/queue?{}", serde_urlencoded::to_string(pairs).unwrap_or_default())
    }
}

/// `GET /console/queue?domain=&after=`.
pub async fn page(State(state): State<AppState>, staff: Staff, RawQuery(query): RawQuery) -> Result<QueuePage, ConsoleError> {
    let q: QueueQuery = parse_form(query.unwrap_or_default().as_bytes())?;
    let domain = match q.domain.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => Some(d.parse::<DataDomain>().map_err(ConsoleError::BadRequest)?),
    };
    let after = match q.after.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => Some(
            a.parse::<i64>()
                .ok()
                .filter(|v| *v >= 0)
                .ok_or_else(|| ConsoleError::BadRequest("The page cursor is not one this console made.".into()))?,
        ),
    };
    let ctx = staff.context();
    let query = AmendmentQuery {
        domain,
        state: Some(AmendmentState::Pending),
        customer: None,
        after: after.map(AmendmentId),
        limit: PAGE_SIZE + 1,
    };
    let mut items = state.services.amendments.list(&ctx, &query).await?;
    let more = items.len() as i64 > PAGE_SIZE;
    items.truncate(PAGE_SIZE as usize);
    let count = state
        .services
        .store
        .count_amendments(ctx.tenant, AmendmentState::Pending, domain)
        .await
        .map_err(|e| ConsoleError::from(custodian_app::AppError::Store(e)))?;

    let now = state.services.clock.now_ms();
    let mut customers: HashMap<CustomerId, custodian_store::Customer> = HashMap::new();
    let mut rows = Vec::with_capacity(items.len());
    for a in &items {
        let c = match customers.entry(a.customer_id) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(state.services.customers.get(&ctx, a.customer_id).await?),
        };
        rows.push(QueueRow {
            id: a.id.0,
            customer_id: a.customer_id.0,
            customer_name: view::display_name(&state, c).await?,
            domain: view::domain_label(a.domain),
            age: view::age(now, a.submitted_at_ms),
            submitted_at: view::datetime(a.submitted_at_ms),
            submitted_iso: view::iso(a.submitted_at_ms),
            has_signature: a.signature.is_some(),
            stale: a.is_stale(c.version(a.domain)),
        });
    }
    Ok(QueuePage {
        chrome: Chrome::load(&state, &staff, "queue").await?,
        domains: view::domain_choices(domain),
        count,
        filtered: domain.is_some(),
        next_href: if more { items.last().map(|a| queue_href(domain, Some(a.id.0))) } else { None },
        first_href: after.map(|_| queue_href(domain, None)),
        rows,
    })
}

/// `GET /console/queue/count`: the number of pending amendments, for the badge (htmx polls it).
pub async fn count(State(state): State<AppState>, staff: Staff) -> Result<String, ConsoleError> {
    let n = state
        .services
        .store
        .count_amendments(staff.session.tenant, AmendmentState::Pending, None)
        .await
        .map_err(|e| ConsoleError::from(custodian_app::AppError::Store(e)))?;
    Ok(n.to_string())
}
