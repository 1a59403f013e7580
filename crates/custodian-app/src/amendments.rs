//! The amendment use cases: submit (apply at once or queue), withdraw, approve, reject, and the
//! staff review queue with a field-by-field view against the customer's current data.

use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::events::{audit, event, previous_values};
use crate::{Context, MAX_ATTEMPTS};
use custodian_domain::{
    Amendment, AmendmentId, AmendmentState, CustomerId, DataDomain, DomainChange, DomainData, DomainError, FieldChange,
    FieldError, SanitizedSvg, SubmissionRoute, decide_submission, diff,
};
use custodian_store::{AmendmentQuery, Apply, NewAmendment, Records, Store, StoreError};
use serde_json::json;
use std::sync::Arc;

/// A customer's proposed change to one domain.
#[derive(Debug, Clone)]
pub struct Submission {
    pub customer: CustomerId,
    pub proposal: Proposal,
    /// `signature.base64SvgSignature` as sent (payment only).
    pub signature_base64: Option<String>,
}

/// What a customer proposes for one domain.
#[derive(Debug, Clone)]
pub enum Proposal {
    /// The domain's complete new data.
    Complete(DomainData),
    /// Some fields: applied to the customer's data as read for this submission (the snapshot whose
    /// version the amendment records), so fields left out keep their value.
    Change(DomainChange),
}

impl Proposal {
    pub fn domain(&self) -> DataDomain {
        match self {
            Proposal::Complete(d) => d.domain(),
            Proposal::Change(c) => c.domain(),
        }
    }

    /// The proposed data of the domain, given its `current` data.
    fn resolve(&self, current: Option<&DomainData>, today: time::Date) -> Result<DomainData, FieldError> {
        match self {
            Proposal::Complete(d) => Ok(d.clone()),
            Proposal::Change(c) => c.apply(current, today),
        }
    }
}

/// The stored amendment and whether it already took effect.
#[derive(Debug, Clone)]
pub struct SubmissionOutcome {
    pub amendment: Amendment,
    pub require_signature: bool,
}

/// An amendment as a reviewer sees it.
#[derive(Debug, Clone)]
pub struct ReviewView {
    pub amendment: Amendment,
    pub current: Option<DomainData>,
    pub current_version: i64,
    /// Current → proposed, field by field.
    pub changes: Vec<FieldChange>,
    /// The customer's data of this domain changed after the amendment was submitted.
    pub data_changed_since_submission: bool,
}

#[derive(Clone)]
pub struct AmendmentService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl AmendmentService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        AmendmentService { store, clock }
    }

    /// Submits an amendment under the tenant's policy for its domain.
    pub async fn submit(&self, ctx: &Context, s: Submission) -> AppResult<SubmissionOutcome> {
        let domain = s.proposal.domain();
        // Sanitised once, on the first attempt that gets that far (after the policy decision).
        let mut sanitized: Option<SanitizedSvg> = None;
        for _ in 0..MAX_ATTEMPTS {
            // The customer's data of this domain and its pending amendment, in one read (one
            // snapshot); the other domains are not needed here.
            let (customer, pending) =
                self.store.customer_with_pending(ctx.tenant, s.customer, domain).await.map_err(AppError::store("customer"))?;
            let data = s.proposal.resolve(customer.data(domain), self.clock.today())?;
            let policies = self.store.policies(ctx.tenant).await.map_err(AppError::Store)?;
            let has_signature = s.signature_base64.as_deref().is_some_and(|b| !b.trim().is_empty());
            let route = decide_submission(&policies, domain, has_signature, pending.map(|a| a.id))?;
            let signature = match s.signature_base64.as_deref() {
                Some(b) if has_signature => match &sanitized {
                    Some(svg) => Some(svg.clone()),
                    None => {
                        let svg = crate::signature::sanitize(b.to_owned())
                            .await
                            .map_err(|e| FieldError::new("signature.base64SvgSignature", e.to_string()))?;
                        sanitized = Some(svg.clone());
                        Some(svg)
                    }
                },
                _ => None,
            };
            let now = self.clock.now_ms();
            let base_version = customer.version(domain);
            let changes = diff(customer.data(domain), &data);
            let (state, apply) = match route {
                SubmissionRoute::ApplyNow => {
                    (AmendmentState::Applied, Some(Apply { data: data.clone(), expected_version: base_version, at_ms: now }))
                }
                SubmissionRoute::QueueForReview => (AmendmentState::Pending, None),
            };
            let new = NewAmendment {
                tenant_id: ctx.tenant,
                customer_id: s.customer,
                state,
                proposed: data.clone(),
                signature: signature.clone(),
                base_version,
                submitted_by: ctx.actor.clone(),
                submitted_at_ms: now,
            };
            let (c, cust) = (ctx.clone(), s.customer);
            let follow_up = Box::new(move |id: AmendmentId| {
                let common = json!({ "amendmentId": id.0, "domain": domain.as_str() });
                let mut records = Records::default();
                match state {
                    AmendmentState::Applied => {
                        records.audit.push(audit(&c, cust, "amendment.applied", Some(domain), Some(id), changes.clone(), now));
                        records.events.push(event(&c, "amendment.applied", cust, now, common.clone()));
                        let mut updated = common;
                        updated["changes"] = previous_values(&changes);
                        records.events.push(event(&c, "customer.updated", cust, now, updated));
                    }
                    _ => {
                        records.audit.push(audit(&c, cust, "amendment.submitted", Some(domain), Some(id), changes, now));
                        records.events.push(event(&c, "amendment.submitted", cust, now, common));
                    }
                }
                records
            });
            match self.store.submit_amendment(new, apply, follow_up).await {
                Ok(id) => {
                    tracing::info!(amendment.id = %id, customer.id = %s.customer, domain = %domain, state = %state, "amendment {id} submitted");
                    let amendment = Amendment {
                        id,
                        tenant_id: ctx.tenant,
                        customer_id: s.customer,
                        domain,
                        state,
                        proposed: data,
                        signature,
                        base_version,
                        submitted_by: ctx.actor.clone(),
                        submitted_at_ms: now,
                        decided_by: (state == AmendmentState::Applied).then(|| ctx.actor.clone()),
                        decided_at_ms: (state == AmendmentState::Applied).then_some(now),
                        rejection_reason: None,
                    };
                    return Ok(SubmissionOutcome { amendment, require_signature: policies.requires_signature(domain) });
                }
                Err(StoreError::PendingExists) => {
                    if let Some(p) =
                        self.store.pending_amendment(ctx.tenant, s.customer, domain).await.map_err(AppError::Store)?
                    {
                        return Err(DomainError::PendingExists(p.id).into());
                    }
                }
                Err(StoreError::VersionConflict) => {}
                Err(e) => return Err(AppError::store("customer")(e)),
            }
        }
        Err(AppError::Store(StoreError::Conflict("too many concurrent changes; try again".into())))
    }

    /// Loads an amendment of the tenant; with `customer`, it must belong to that customer.
    pub async fn get(&self, ctx: &Context, id: AmendmentId, customer: Option<CustomerId>) -> AppResult<Amendment> {
        let a = self.store.get_amendment(ctx.tenant, id).await.map_err(AppError::store("amendment"))?;
        if customer.is_some_and(|c| c != a.customer_id) {
            return Err(AppError::NotFound("amendment"));
        }
        Ok(a)
    }

    /// The pending amendment of a customer's domain, if any.
    pub async fn pending(&self, ctx: &Context, customer: CustomerId, domain: DataDomain) -> AppResult<Option<Amendment>> {
        self.store.pending_amendment(ctx.tenant, customer, domain).await.map_err(AppError::Store)
    }

    /// The customer (through a partner app) withdraws their pending amendment.
    pub async fn withdraw(&self, ctx: &Context, customer: CustomerId, id: AmendmentId) -> AppResult<Amendment> {
        self.decide(ctx, Some(customer), id, Decision::Withdraw).await
    }

    /// Staff approve: the proposed data is applied in the same transaction.
    pub async fn approve(&self, ctx: &Context, id: AmendmentId) -> AppResult<Amendment> {
        self.decide(ctx, None, id, Decision::Approve).await
    }

    /// Staff reject with a reason.
    pub async fn reject(&self, ctx: &Context, id: AmendmentId, reason: &str) -> AppResult<Amendment> {
        self.decide(ctx, None, id, Decision::Reject(reason.to_owned())).await
    }

    async fn decide(&self, ctx: &Context, customer: Option<CustomerId>, id: AmendmentId, d: Decision) -> AppResult<Amendment> {
        for _ in 0..MAX_ATTEMPTS {
            let a = self.get(ctx, id, customer).await?;
            let now = self.clock.now_ms();
            let t = match &d {
                Decision::Withdraw => a.withdraw(&ctx.actor, now)?,
                Decision::Approve => a.approve(&ctx.actor, now)?,
                Decision::Reject(reason) => a.reject(&ctx.actor, now, reason)?,
            };
            let action = format!("amendment.{}", t.to);
            let common = json!({ "amendmentId": id.0, "domain": a.domain.as_str() });
            let mut records = Records::default();
            let mut apply = None;
            match &d {
                Decision::Approve => {
                    let current =
                        self.store.get_customer(ctx.tenant, a.customer_id).await.map_err(AppError::store("customer"))?;
                    let changes = diff(current.data(a.domain), &a.proposed);
                    apply = Some(Apply { data: a.proposed.clone(), expected_version: current.version(a.domain), at_ms: now });
                    records.audit.push(audit(ctx, a.customer_id, &action, Some(a.domain), Some(id), changes.clone(), now));
                    records.events.push(event(ctx, &action, a.customer_id, now, common.clone()));
                    let mut updated = common;
                    updated["changes"] = previous_values(&changes);
                    records.events.push(event(ctx, "customer.updated", a.customer_id, now, updated));
                }
                Decision::Reject(_) | Decision::Withdraw => {
                    let mut payload = common;
                    if let Some(r) = &t.reason {
                        payload["reason"] = r.clone().into();
                    }
                    let reason_change: Vec<FieldChange> = t
                        .reason
                        .iter()
                        .map(|r| FieldChange { field: "reason".into(), before: None, after: Some(r.clone().into()) })
                        .collect();
                    records.audit.push(audit(ctx, a.customer_id, &action, Some(a.domain), Some(id), reason_change, now));
                    records.events.push(event(ctx, &action, a.customer_id, now, payload));
                }
            }
            match self.store.decide_amendment(ctx.tenant, a.customer_id, &t, apply, records).await {
                Ok(()) => {
                    tracing::info!(amendment.id = %id, customer.id = %a.customer_id, state = %t.to, "amendment {id} {}", t.to);
                    return Ok(Amendment {
                        state: t.to,
                        decided_by: Some(t.by),
                        decided_at_ms: Some(t.at_ms),
                        rejection_reason: t.reason,
                        ..a
                    });
                }
                // Decided by someone else meanwhile, or data moved: re-read and decide again; the
                // domain then reports the state that won.
                Err(StoreError::NotPending) | Err(StoreError::VersionConflict) => {}
                Err(e) => return Err(AppError::store("amendment")(e)),
            }
        }
        Err(AppError::Store(StoreError::Conflict("too many concurrent changes; try again".into())))
    }

    /// The review queue (or any filtered list), oldest first, paged by id.
    pub async fn list(&self, ctx: &Context, query: &AmendmentQuery) -> AppResult<Vec<Amendment>> {
        self.store.list_amendments(ctx.tenant, query).await.map_err(AppError::Store)
    }

    /// One amendment with its field-by-field comparison against the current data.
    pub async fn review(&self, ctx: &Context, id: AmendmentId) -> AppResult<ReviewView> {
        let amendment = self.get(ctx, id, None).await?;
        let customer = self.store.get_customer(ctx.tenant, amendment.customer_id).await.map_err(AppError::store("customer"))?;
        let current = customer.data(amendment.domain).cloned();
        let current_version = customer.version(amendment.domain);
        Ok(ReviewView {
            changes: diff(current.as_ref(), &amendment.proposed),
            data_changed_since_submission: amendment.state == AmendmentState::Pending && amendment.is_stale(current_version),
            current,
            current_version,
            amendment,
        })
    }
}

enum Decision {
    Withdraw,
    Approve,
    Reject(String),
}
