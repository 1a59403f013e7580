//! One amendment: every field of its domain, current against proposed, with the changed ones
//! marked; a warning when the customer's data changed after submission; the customer's signature
//! as an image; approve, or reject with a reason; and, once decided, who decided and when.

use super::errors::ConsoleError;
use super::login::NoFields;
use super::session::{Staff, StaffForm, parse_form};
use super::view::{self, Chrome};
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use custodian_app::AppError;
use custodian_domain::{AmendmentId, AmendmentState, DataDomain, DomainError};
use custodian_store::AmendmentQuery;
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Template, WebTemplate)]
#[template(path = "console/amendment.html")]
pub struct AmendmentPage {
    pub chrome: Chrome,
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub domain: &'static str,
    pub state_label: &'static str,
    pub state_class: &'static str,
    pub pending: bool,
    pub submitted_by: String,
    pub submitted_age: String,
    pub submitted_at: String,
    pub submitted_iso: String,
    /// The customer's data of this domain changed after the amendment was submitted.
    pub stale: bool,
    pub rows: Vec<DiffRow>,
    pub changed_count: usize,
    pub has_signature: bool,
    pub is_payment: bool,
    pub decision: Option<DecisionView>,
    pub flash: Option<String>,
    pub error: Option<String>,
    /// What was typed as the rejection reason (kept when the form comes back with an error).
    pub reason: String,
    pub reason_error: Option<String>,
    pub next_href: Option<String>,
}

/// One field: its current and proposed value (`None`: not set) and whether they differ.
pub struct DiffRow {
    pub field: String,
    pub label: String,
    pub current: Option<Vec<Piece>>,
    pub proposed: Option<Vec<Piece>>,
    pub changed: bool,
}

/// A run of a shown value: text as it is, or one invisible character spelled out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// `U+200D` and the character's name, shown as a visible marker.
    Invisible {
        code: String,
        name: &'static str,
    },
}

/// The name of a character that renders as nothing (or as a plain space), if `c` is one: zero-width
/// characters, joiners, direction marks and controls, invisible separators and operators, the soft
/// hyphen, the byte-order mark, Hangul fillers, tag characters. Reviewers see these spelled out, so
/// two values that look alike but differ show the difference.
fn invisible_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{00AD}' => "soft hyphen",
        '\u{034F}' => "combining grapheme joiner",
        '\u{061C}' => "Arabic letter mark",
        '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' => "Hangul filler",
        '\u{17B4}' | '\u{17B5}' => "Khmer inherent vowel",
        '\u{180E}' => "Mongolian vowel separator",
        '\u{200B}' => "zero width space",
        '\u{200C}' => "zero width non-joiner",
        '\u{200D}' => "zero width joiner",
        '\u{200E}' => "left-to-right mark",
        '\u{200F}' => "right-to-left mark",
        '\u{202A}'..='\u{202E}' => "bidirectional embedding or override",
        '\u{2060}' => "word joiner",
        '\u{2061}'..='\u{2064}' => "invisible operator",
        '\u{2066}'..='\u{2069}' => "bidirectional isolate",
        '\u{206A}'..='\u{206F}' => "deprecated format character",
        '\u{FEFF}' => "zero width no-break space",
        '\u{FFF9}'..='\u{FFFB}' => "interlinear annotation",
        '\u{E0000}'..='\u{E007F}' => "tag character",
        c if c.is_control() => "control character",
        _ => return None,
    })
}

/// `value` cut into pieces, every invisible character its own piece.
pub fn pieces(value: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut run = String::new();
    for c in value.chars() {
        match invisible_name(c) {
            Some(name) => {
                if !run.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut run)));
                }
                out.push(Piece::Invisible { code: format!("U+{:04X}", c as u32), name });
            }
            None => run.push(c),
        }
    }
    if !run.is_empty() || out.is_empty() {
        out.push(Piece::Text(run));
    }
    out
}

pub struct DecisionView {
    pub summary: String,
    pub by: String,
    pub age: String,
    pub at: String,
    pub iso: String,
    pub reason: Option<String>,
}

#[derive(Default)]
struct Extras {
    flash: Option<String>,
    error: Option<String>,
    reason: String,
    reason_error: Option<String>,
}

fn parse_amendment_id(raw: &str) -> Result<AmendmentId, ConsoleError> {
    raw.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .map(AmendmentId)
        .ok_or_else(|| ConsoleError::NotFound("There is no such amendment in your studio.".into()))
}

async fn next_pending(state: &AppState, staff: &Staff, after: AmendmentId) -> Result<Option<String>, ConsoleError> {
    let ctx = staff.context();
    let q = |after| AmendmentQuery { state: Some(AmendmentState::Pending), after, limit: 2, ..Default::default() };
    let later = state.services.amendments.list(&ctx, &q(Some(after))).await?;
    let candidate = match later.first() {
        Some(a) => Some(a.id),
        None => state.services.amendments.list(&ctx, &q(None)).await?.into_iter().map(|a| a.id).find(|id| *id != after),
    };
    Ok(candidate.map(|id| format!("/console/amendments/{id}")))
}

async fn load(state: &AppState, staff: &Staff, id: AmendmentId, extras: Extras) -> Result<AmendmentPage, ConsoleError> {
    let ctx = staff.context();
    let review = state.services.amendments.review(&ctx, id).await?;
    let a = &review.amendment;
    let customer = state.services.customers.get(&ctx, a.customer_id).await?;
    let admin = staff.session.is_admin();
    let current = review.current.as_ref().map(|d| d.to_json()).unwrap_or(serde_json::Value::Null);
    let proposed = a.proposed.to_json();
    let changed: BTreeSet<&str> = review.changes.iter().map(|c| c.field.as_str()).collect();
    let empty = serde_json::Map::new();
    let (cur, prop) = (current.as_object().unwrap_or(&empty), proposed.as_object().unwrap_or(&empty));
    let fields = prop.keys().chain(cur.keys().filter(|k| !prop.contains_key(*k)));
    let rows: Vec<DiffRow> = fields
        .map(|f| DiffRow {
            field: f.clone(),
            label: view::field_label(f),
            // The current IBAN is masked for reviewers; the proposed one is what they must check,
            // so it shows in full until the amendment is decided.
            current: view::value_text(f, cur.get(f), admin).map(|v| pieces(&v)),
            proposed: view::value_text(f, prop.get(f), admin || a.state == AmendmentState::Pending).map(|v| pieces(&v)),
            changed: changed.contains(f.as_str()),
        })
        .collect();
    let now = state.services.clock.now_ms();
    let keys = view::key_labels(state, a.tenant_id).await;
    let decision = match (&a.decided_by, a.decided_at_ms) {
        (Some(by), Some(at)) => Some(DecisionView {
            summary: view::state_label(a.state).into(),
            by: view::actor_words(&keys, by),
            age: view::age(now, at),
            at: view::datetime(at),
            iso: view::iso(at),
            reason: a.rejection_reason.clone(),
        }),
        _ => None,
    };
    let pending = a.state == AmendmentState::Pending;
    Ok(AmendmentPage {
        chrome: Chrome::load(state, staff, "queue").await?,
        id: a.id.0,
        customer_id: a.customer_id.0,
        customer_name: view::display_name(state, &customer).await?,
        domain: view::domain_label(a.domain),
        state_label: view::state_label(a.state),
        state_class: a.state.as_str(),
        pending,
        submitted_by: view::actor_words(&keys, &a.submitted_by),
        submitted_age: view::age(now, a.submitted_at_ms),
        submitted_at: view::datetime(a.submitted_at_ms),
        submitted_iso: view::iso(a.submitted_at_ms),
        stale: review.data_changed_since_submission,
        changed_count: rows.iter().filter(|r| r.changed).count(),
        rows,
        has_signature: a.signature.is_some(),
        is_payment: a.domain == DataDomain::Payment,
        decision,
        flash: extras.flash,
        error: extras.error,
        reason: extras.reason,
        reason_error: extras.reason_error,
        next_href: next_pending(state, staff, a.id).await?,
    })
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    done: Option<String>,
}

/// `GET /console/amendments/{id}` (`?done=approved|rejected` after a decision).
pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<AmendmentPage, ConsoleError> {
    let id = parse_amendment_id(&id)?;
    let q: PageQuery = parse_form(query.unwrap_or_default().as_bytes())?;
    let flash = match q.done.as_deref() {
        Some("approved") => Some("Approved. The customer's data now shows the new values.".to_owned()),
        Some("rejected") => Some("Rejected. The customer's app shows your reason.".to_owned()),
        _ => None,
    };
    load(&state, &staff, id, Extras { flash, ..Default::default() }).await
}

/// The amendment page again, with `status` and an error (the decision that lost a race, a missing reason).
async fn again(
    state: &AppState,
    staff: &Staff,
    id: AmendmentId,
    status: StatusCode,
    extras: Extras,
) -> Result<Response, ConsoleError> {
    Ok((status, load(state, staff, id, extras).await?).into_response())
}

fn decided_meanwhile(e: &AppError) -> bool {
    matches!(e, AppError::Domain(DomainError::NotPending { .. }))
}

/// `POST /console/amendments/{id}/approve`: applies the proposed data, recorded as this staff member's decision.
pub async fn approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: StaffForm<NoFields>,
) -> Result<Response, ConsoleError> {
    let id = parse_amendment_id(&id)?;
    match state.services.amendments.approve(&f.staff.context(), id).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/amendments/{id}?done=approved")).into_response()),
        Err(e) if decided_meanwhile(&e) => {
            let error = Some("This amendment was already decided; nothing was changed.".to_owned());
            again(&state, &f.staff, id, StatusCode::CONFLICT, Extras { error, ..Default::default() }).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
}

/// `POST /console/amendments/{id}/reject`: needs a reason, which the customer's app shows.
pub async fn reject(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: StaffForm<RejectForm>,
) -> Result<Response, ConsoleError> {
    let id = parse_amendment_id(&id)?;
    let reason = f.form.reason;
    if reason.trim().is_empty() {
        let extras = Extras { reason_error: Some("Write a reason the customer can read.".into()), reason, ..Default::default() };
        return again(&state, &f.staff, id, StatusCode::UNPROCESSABLE_ENTITY, extras).await;
    }
    match state.services.amendments.reject(&f.staff.context(), id, &reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/amendments/{id}?done=rejected")).into_response()),
        Err(e) if decided_meanwhile(&e) => {
            let error = Some("This amendment was already decided; nothing was changed.".to_owned());
            again(&state, &f.staff, id, StatusCode::CONFLICT, Extras { error, reason, ..Default::default() }).await
        }
        Err(AppError::Domain(DomainError::Invalid(field))) => {
            let extras = Extras { reason_error: Some(format!("The reason {}.", field.message)), reason, ..Default::default() };
            again(&state, &f.staff, id, StatusCode::UNPROCESSABLE_ENTITY, extras).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The sanitised signature is shown with `<img>` only, and served so that it could not run
/// anything even when opened on its own.
pub const SIGNATURE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// `GET /console/amendments/{id}/signature`: the sanitised SVG as `image/svg+xml`.
pub async fn signature(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> Result<Response, ConsoleError> {
    let id = parse_amendment_id(&id)?;
    let a = state.services.amendments.get(&staff.context(), id, None).await?;
    let svg = a.signature.ok_or_else(|| ConsoleError::NotFound("This amendment has no signature.".into()))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CONTENT_SECURITY_POLICY, SIGNATURE_CSP)], svg.as_str().to_owned())
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_become_pieces_of_their_own_and_the_rest_stays_text() {
        let t = |s: &str| Piece::Text(s.into());
        let inv = |code: &str, name| Piece::Invisible { code: code.into(), name };
        assert_eq!(pieces("Hauptstraße"), vec![t("Hauptstraße")]);
        assert_eq!(pieces(""), vec![t("")]);
        assert_eq!(
            pieces("a\u{200D}b\u{00AD}\u{FEFF}"),
            vec![
                t("a"),
                inv("U+200D", "zero width joiner"),
                t("b"),
                inv("U+00AD", "soft hyphen"),
                inv("U+FEFF", "zero width no-break space")
            ]
        );
        assert_eq!(pieces("\u{200B}x"), vec![inv("U+200B", "zero width space"), t("x")]);
    }
}
