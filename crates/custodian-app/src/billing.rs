//! Subscription-billing customers: read one by customer number, and write one as an operator —
//! create or update (upsert), or update only. A write maps the customer onto the contact, address
//! and master domains and the billing profile and persists all of it, with audit entries, events
//! and a receipt, in one store transaction. A repeated request (same `X-Request-ID`, same tenant)
//! is answered with the first request's receipt; the same id with other content is refused.

use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::events::{audit, event, previous_values};
use crate::{Context, MAX_ATTEMPTS};
use custodian_domain::billing::{BillingCustomer, BillingProfile, CustomerNumber};
use custodian_domain::diff::compare;
use custodian_domain::{CustomerId, DataDomain, DomainData, FieldError, diff};
use custodian_store::billing::{BillingProfileRecord, BillingReceipt, BillingTarget, BillingWrite, BillingWriteOutcome};
use custodian_store::{Apply, Customer, Records, Store, StoreError};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// A billing customer as read: the shared domains and the billing profile.
#[derive(Debug, Clone)]
pub struct BillingView {
    pub customer: Customer,
    pub profile: BillingProfile,
}

/// An accepted write: its receipt, and whether this request repeated an earlier one.
#[derive(Debug, Clone)]
pub struct BillingOutcome {
    pub receipt: BillingReceipt,
    pub repeated: bool,
}

/// Why a billing write was refused.
#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error(transparent)]
    App(#[from] AppError),
    /// The request id was used before for a different request.
    #[error("X-Request-ID {0:?} was already used for a different request; send a new request id for a new request")]
    RequestIdReused(String),
}

impl From<FieldError> for BillingError {
    fn from(e: FieldError) -> Self {
        BillingError::App(e.into())
    }
}

/// Longest accepted `X-Request-ID`.
pub const MAX_REQUEST_ID_CHARS: usize = 200;

/// What a write does when the customer number is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Create it (POST).
    Upsert,
    /// Answer "not found" (PUT).
    UpdateOnly,
}

#[derive(Clone)]
pub struct BillingService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl BillingService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        BillingService { store, clock }
    }

    /// The customer with this number; a number that cannot exist is simply not found.
    pub async fn get(&self, ctx: &Context, number: &str) -> AppResult<BillingView> {
        let number = CustomerNumber::parse(number).map_err(|_| AppError::NotFound("customer"))?;
        let record = self
            .store
            .billing_profile(ctx.tenant, &number)
            .await
            .map_err(AppError::Store)?
            .ok_or(AppError::NotFound("customer"))?;
        let customer = self.store.get_customer(ctx.tenant, record.customer_id).await.map_err(AppError::store("customer"))?;
        Ok(BillingView { customer, profile: record.profile })
    }

    /// The billing profile of a customer known by its id, if it has one.
    pub async fn profile_of(&self, ctx: &Context, customer: CustomerId) -> AppResult<Option<BillingProfile>> {
        Ok(self.store.billing_profile_of(ctx.tenant, customer).await.map_err(AppError::Store)?.map(|r| r.profile))
    }

    /// Creates the customer, or updates it when its number exists (POST).
    pub async fn upsert(&self, ctx: &Context, c: BillingCustomer) -> Result<BillingOutcome, BillingError> {
        self.write(ctx, Mode::Upsert, "POST", c).await
    }

    /// Updates the customer with number `number` (PUT); the body's number, when given, must be
    /// the same.
    pub async fn update(&self, ctx: &Context, number: &str, mut c: BillingCustomer) -> Result<BillingOutcome, BillingError> {
        let number = CustomerNumber::parse(number).map_err(|_| AppError::NotFound("customer"))?;
        if c.customer_number != number {
            return Err(FieldError::new(
                "customer.customerNumber",
                format!("must be the customer number of the path ({number}), not {}", c.customer_number),
            )
            .into());
        }
        c.customer_number = number;
        self.write(ctx, Mode::UpdateOnly, "PUT", c).await
    }

    async fn write(
        &self,
        ctx: &Context,
        mode: Mode,
        operation: &str,
        c: BillingCustomer,
    ) -> Result<BillingOutcome, BillingError> {
        let request_id = ctx.request_id.as_deref();
        if request_id.is_some_and(|r| r.chars().count() > MAX_REQUEST_ID_CHARS) {
            return Err(FieldError::new("X-Request-ID", format!("must be at most {MAX_REQUEST_ID_CHARS} characters")).into());
        }
        let fingerprint = fingerprint(operation, &c);
        for _ in 0..MAX_ATTEMPTS {
            if let Some(rid) = request_id
                && let Some(first) = self.store.billing_receipt(ctx.tenant, rid).await.map_err(AppError::Store)?
            {
                return repeat(first, &fingerprint);
            }
            let now = self.clock.now_ms();
            let existing = self.store.billing_profile(ctx.tenant, &c.customer_number).await.map_err(AppError::Store)?;
            let write = match existing {
                None if mode == Mode::UpdateOnly => return Err(AppError::NotFound("customer").into()),
                None => self.creation(ctx, &c, now, fingerprint.clone())?,
                Some(record) => {
                    let current =
                        self.store.get_customer(ctx.tenant, record.customer_id).await.map_err(AppError::store("customer"))?;
                    self.change(ctx, &c, &current, &record, now, fingerprint.clone())?
                }
            };
            match self.store.write_billing_customer(write).await {
                Ok(BillingWriteOutcome::Written(receipt)) => {
                    tracing::info!(customer.id = %receipt.customer_id, sign_up.id = receipt.id, "billing customer written");
                    return Ok(BillingOutcome { receipt, repeated: false });
                }
                Ok(BillingWriteOutcome::RequestIdUsed(first)) => return repeat(first, &fingerprint),
                // Created meanwhile by another request, or changed since read: decide again.
                Ok(BillingWriteOutcome::CustomerNumberTaken) | Err(StoreError::VersionConflict) => {}
                Err(e) => return Err(AppError::store("customer")(e).into()),
            }
        }
        Err(AppError::Store(StoreError::Conflict("too many concurrent changes; try again".into())).into())
    }

    /// A new customer: the three domains, the profile, `customer.created` audit and event.
    fn creation(&self, ctx: &Context, c: &BillingCustomer, now: i64, fingerprint: String) -> Result<BillingWrite, BillingError> {
        let profile = c.profile(None)?;
        let data = [
            DomainData::Contact(c.contact(None)),
            DomainData::Address(Box::new(c.address(None))),
            DomainData::Master(c.master(None)),
        ];
        let applies = data.iter().map(|d| Apply { data: d.clone(), expected_version: 0, at_ms: now }).collect();
        let profile_changes = compare(&Value::Null, &profile.to_json());
        let c2 = ctx.clone();
        let records = Box::new(move |id: CustomerId| {
            let mut r = Records::default();
            for d in &data {
                r.audit.push(audit(&c2, id, "customer.created", Some(d.domain()), None, diff(None, d), now));
            }
            r.audit.push(audit(&c2, id, "billing_profile.created", None, None, profile_changes, now));
            r.events.push(event(&c2, "customer.created", id, now, json!({})));
            r
        });
        Ok(BillingWrite {
            tenant: ctx.tenant,
            target: BillingTarget::New,
            customer_number: c.customer_number.clone(),
            profile: Some(profile),
            applies,
            request_id: ctx.request_id.clone(),
            fingerprint,
            at_ms: now,
            records,
        })
    }

    /// An existing customer: only domains whose data changes are written (a pending amendment of an
    /// untouched domain stays current); each change is audited and announced as `customer.updated`
    /// like every other direct edit; billing-profile changes as `customer.updated` of domain `billing`.
    fn change(
        &self,
        ctx: &Context,
        c: &BillingCustomer,
        current: &Customer,
        record: &BillingProfileRecord,
        now: i64,
        fingerprint: String,
    ) -> Result<BillingWrite, BillingError> {
        let current_profile = &record.profile;
        let contact = match current.data(DataDomain::Contact) {
            Some(DomainData::Contact(d)) => Some(d),
            _ => None,
        };
        let address = match current.data(DataDomain::Address) {
            Some(DomainData::Address(d)) => Some(d.as_ref()),
            _ => None,
        };
        let master = match current.data(DataDomain::Master) {
            Some(DomainData::Master(d)) => Some(d),
            _ => None,
        };
        let proposed = [
            DomainData::Contact(c.contact(contact)),
            DomainData::Address(Box::new(c.address(address))),
            DomainData::Master(c.master(master)),
        ];
        let mut applies = Vec::new();
        let mut changed = Vec::new();
        for d in proposed {
            let domain = d.domain();
            let changes = diff(current.data(domain), &d);
            if !changes.is_empty() {
                applies.push(Apply { data: d, expected_version: current.version(domain), at_ms: now });
                changed.push((domain, changes));
            }
        }
        let profile = c.profile(Some(current_profile))?;
        let profile_changes = compare(&current_profile.to_json(), &profile.to_json());
        let c2 = ctx.clone();
        let records = Box::new(move |id: CustomerId| {
            let mut r = Records::default();
            for (domain, changes) in changed {
                r.audit.push(audit(&c2, id, "customer.updated", Some(domain), None, changes.clone(), now));
                r.events.push(event(
                    &c2,
                    "customer.updated",
                    id,
                    now,
                    json!({ "domain": domain.as_str(), "changes": previous_values(&changes) }),
                ));
            }
            if !profile_changes.is_empty() {
                r.events.push(event(
                    &c2,
                    "customer.updated",
                    id,
                    now,
                    json!({ "domain": "billing", "changes": previous_values(&profile_changes) }),
                ));
                r.audit.push(audit(&c2, id, "billing_profile.updated", None, None, profile_changes, now));
            }
            r
        });
        Ok(BillingWrite {
            tenant: ctx.tenant,
            target: BillingTarget::Existing { customer: current.id, profile_version: record.version },
            customer_number: c.customer_number.clone(),
            profile: (profile != *current_profile).then_some(profile),
            applies,
            request_id: ctx.request_id.clone(),
            fingerprint,
            at_ms: now,
            records,
        })
    }
}

/// The first receipt when the content is the same; a refusal when the id was reused for other content.
fn repeat(first: BillingReceipt, fingerprint: &str) -> Result<BillingOutcome, BillingError> {
    if first.fingerprint == fingerprint {
        Ok(BillingOutcome { receipt: first, repeated: true })
    } else {
        Err(BillingError::RequestIdReused(first.request_id.unwrap_or_default()))
    }
}

/// SHA-256 over the operation and the validated content: the same request sent again (even with
/// other whitespace or field order) has the same fingerprint.
fn fingerprint(operation: &str, c: &BillingCustomer) -> String {
    let content = serde_json::to_string(c).expect("a billing customer always serialises");
    hex::encode(Sha256::digest(format!("{operation}\n{content}").as_bytes()))
}
