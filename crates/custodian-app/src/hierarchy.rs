//! The partner hierarchy use cases. The requester is a customer of the hierarchy (the one its API
//! key is bound to); it reads itself and its sub-customers, creates direct sub-customers, changes
//! sub-customers (never itself) and lists its own children.
//!
//! Writes are asynchronous operations: a request that passes validation and the eligibility rules
//! is recorded as an `OPEN` operation first, then carried out; the change, its shared-domain data
//! (primary contact → contact domain, primary address → address domain), audit entries, events
//! and the operation's `SUCCESS` are one store transaction. What fails after that is recorded on
//! the operation (`FAILURE`, `INTERNAL_ERROR`); an operation left open by a stopped process is
//! reported and stored as `INTERNAL_ERROR` once its timeout has passed (nothing was changed).

use crate::auth::{IssuedKey, Principal, hash_key, key_audit, new_key};
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::events::{audit, event, previous_values};
use crate::{Context, MAX_ATTEMPTS};
use custodian_domain::diff::compare;
use custodian_domain::hierarchy::{
    CreateInput, CustomerUuid, Ineligible, ModifyInput, NewPartner, OPERATION_TIMEOUT_MS, Operation, OperationFailure,
    OperationKind, PartnerAction, PartnerCustomer, RequestId, check,
};
use custodian_domain::{AddressData, ContactData, CustomerId, DataDomain, DomainData, FieldError, Scope, TenantId, diff};
use custodian_store::hierarchy::{ChildPage, Completes, NewOperation, NewPartnerCustomer, PartnerRecord, PartnerUpdate};
use custodian_store::{Apply, Customer, NewApiKey, NewCustomerRecords, Records, Store, StoreError};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

/// Why a partner request was refused.
#[derive(Debug, thiserror::Error)]
pub enum HierarchyError {
    /// A field of the request is invalid; nothing was recorded.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The customer does not exist, or lies outside the requester's branch.
    #[error("customer does not exist")]
    CustomerNotFound,
    /// The requester may see the customer but not do this to it.
    #[error(transparent)]
    Ineligible(Ineligible),
    /// No such request id among the requester's own operations.
    #[error("request id does not exist for this requester")]
    OperationNotFound,
    /// The API key is not bound to a customer of the hierarchy.
    #[error(
        "the API key is not bound to a customer of the hierarchy: create one with `custodian keys create --scope PARTNER --customer <uuid>`"
    )]
    Unbound,
    /// The store failed; details are logged, never sent to clients.
    #[error("storage failure")]
    Store(#[source] StoreError),
}

type Result<T> = std::result::Result<T, HierarchyError>;

/// Maps a store error, with `NotFound` meaning `missing`.
fn not_found_is(missing: fn() -> HierarchyError) -> impl Fn(StoreError) -> HierarchyError {
    move |s| match s {
        StoreError::NotFound => missing(),
        other => HierarchyError::Store(other),
    }
}

/// The customer making a request, and the context its changes are recorded under.
#[derive(Debug, Clone)]
pub struct Requester {
    pub ctx: Context,
    pub customer: PartnerCustomer,
}

/// An accepted write: its operation's request id and the customer it creates or changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    pub request_id: RequestId,
    pub customer: CustomerUuid,
}

/// What a write does once its operation is recorded.
struct Plan {
    update: PartnerUpdate,
    data: Vec<Apply>,
    records: Records,
}

#[derive(Clone)]
pub struct HierarchyService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

fn contact_of(c: &Customer) -> Option<&ContactData> {
    match c.data(DataDomain::Contact) {
        Some(DomainData::Contact(d)) => Some(d),
        _ => None,
    }
}

fn address_of(c: &Customer) -> Option<&AddressData> {
    match c.data(DataDomain::Address) {
        Some(DomainData::Address(d)) => Some(d),
        _ => None,
    }
}

impl HierarchyService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        HierarchyService { store, clock }
    }

    /// The requester behind an authenticated key with scope PARTNER.
    pub async fn requester(&self, ctx: Context, principal: &Principal) -> Result<Requester> {
        let id = self
            .store
            .key_customer(ctx.tenant, &principal.key_prefix)
            .await
            .map_err(HierarchyError::Store)?
            .ok_or(HierarchyError::Unbound)?;
        let record =
            self.store.get_partner_customer_by_id(ctx.tenant, id).await.map_err(not_found_is(|| HierarchyError::Unbound))?;
        Ok(Requester { ctx, customer: record.customer })
    }

    /// Loads `uuid` if the requester may do `action` to it; customers it may not see are unknown.
    async fn load(&self, r: &Requester, uuid: CustomerUuid, action: PartnerAction) -> Result<PartnerRecord> {
        let record = self
            .store
            .get_partner_customer(r.ctx.tenant, uuid)
            .await
            .map_err(not_found_is(|| HierarchyError::CustomerNotFound))?;
        match check(action, r.customer.node(), record.customer.node()) {
            Ok(()) => Ok(record),
            Err(Ineligible::NotVisible) => Err(HierarchyError::CustomerNotFound),
            Err(other) => Err(HierarchyError::Ineligible(other)),
        }
    }

    async fn shared(&self, tenant: TenantId, id: CustomerId) -> Result<Customer> {
        self.store.get_customer(tenant, id).await.map_err(not_found_is(|| HierarchyError::CustomerNotFound))
    }

    /// A customer's details, with the shared contact and address data on its primary entries.
    pub async fn get(&self, r: &Requester, uuid: CustomerUuid) -> Result<PartnerCustomer> {
        let record = self.load(r, uuid, PartnerAction::Read).await?;
        let shared = self.shared(r.ctx.tenant, record.customer.id).await?;
        Ok(record.customer.with_shared(contact_of(&shared), address_of(&shared)))
    }

    /// One page of the requester's direct sub-customers.
    pub async fn children(&self, r: &Requester, uuid: CustomerUuid, page: i64, size: i64) -> Result<ChildPage> {
        let record = self.load(r, uuid, PartnerAction::ListChildren).await?;
        self.store.list_child_customers(r.ctx.tenant, record.customer.id, page * size, size).await.map_err(HierarchyError::Store)
    }

    /// One of the requester's own operations, with an interrupted one finished as `INTERNAL_ERROR`.
    pub async fn operation(&self, r: &Requester, request_id: RequestId) -> Result<Operation> {
        let read = || async {
            match self.store.get_operation(r.ctx.tenant, request_id).await {
                Ok(op) if op.belongs_to(r.customer.id) => Ok(op),
                Ok(_) | Err(StoreError::NotFound) => Err(HierarchyError::OperationNotFound),
                Err(e) => Err(HierarchyError::Store(e)),
            }
        };
        let op = read().await?;
        let now = self.clock.now_ms();
        if !op.is_interrupted(now) {
            return Ok(op);
        }
        let cutoff = now - OPERATION_TIMEOUT_MS;
        self.store
            .fail_operation(r.ctx.tenant, request_id, true, OperationFailure::interrupted(), now, Some(cutoff))
            .await
            .map_err(HierarchyError::Store)?;
        tracing::warn!(request.id = %request_id, "operation {request_id} was interrupted and is now INTERNAL_ERROR");
        read().await
    }

    /// Creates a sub-customer of `parent` (which must be the requester itself).
    pub async fn create_sub_customer(&self, r: &Requester, parent: CustomerUuid, input: &CreateInput) -> Result<Accepted> {
        let parent = self.load(r, parent, PartnerAction::CreateSubCustomer).await?;
        let (new, data, records) =
            self.prepare_new(&r.ctx, input, parent.customer.ancestry_of_children(), Some(parent.customer.uuid))?;
        let accepted = Accepted { request_id: RequestId::from_uuid(Uuid::new_v4()), customer: new.uuid };
        self.open(r, OperationKind::CreateCustomer, accepted).await?;
        let completes = Some(Completes { request_id: accepted.request_id, at_ms: new.at_ms });
        match self.store.create_partner_customer(new, data, records, completes).await {
            Ok(id) => {
                tracing::info!(customer.id = %id, request.id = %accepted.request_id, "sub-customer {} created", accepted.customer);
                Ok(accepted)
            }
            Err(e) => self.finish_failed(r, accepted, HierarchyError::Store(e)).await,
        }
    }

    /// Changes a sub-customer of the requester (any depth; never the requester itself).
    pub async fn modify(&self, r: &Requester, target: CustomerUuid, input: &ModifyInput) -> Result<Accepted> {
        let mut record = self.load(r, target, PartnerAction::Modify).await?;
        let mut plan = self.plan_modify(r, &record, input).await?;
        let accepted = Accepted { request_id: RequestId::from_uuid(Uuid::new_v4()), customer: target };
        self.open(r, OperationKind::ModifyCustomer, accepted).await?;
        let completes = Some(Completes { request_id: accepted.request_id, at_ms: plan.update.at_ms });
        for attempt in 1..=MAX_ATTEMPTS {
            let written = self
                .store
                .update_partner_customer(r.ctx.tenant, record.customer.id, plan.update, plan.data, plan.records, completes)
                .await;
            match written {
                Ok(()) => {
                    tracing::info!(customer.id = %record.customer.id, request.id = %accepted.request_id, "customer {target} modified");
                    return Ok(accepted);
                }
                Err(StoreError::VersionConflict) if attempt < MAX_ATTEMPTS => {
                    // Someone changed the customer meanwhile: merge the request into the new data.
                    record = self.store.get_partner_customer(r.ctx.tenant, target).await.map_err(HierarchyError::Store)?;
                    plan = match self.plan_modify(r, &record, input).await {
                        Ok(p) => p,
                        Err(HierarchyError::Invalid(f)) => {
                            let failure = OperationFailure::new(OperationFailure::INVALID, f.to_string());
                            return self.record_failure(r, accepted, false, failure).await;
                        }
                        Err(e) => return self.finish_failed(r, accepted, e).await,
                    };
                }
                Err(e) => return self.finish_failed(r, accepted, HierarchyError::Store(e)).await,
            }
        }
        Ok(accepted)
    }

    /// Records the operation as `OPEN` before carrying it out.
    async fn open(&self, r: &Requester, kind: OperationKind, a: Accepted) -> Result<()> {
        let op = NewOperation {
            tenant_id: r.ctx.tenant,
            request_id: a.request_id,
            requester: r.customer.id,
            kind,
            target: a.customer,
            created_ms: self.clock.now_ms(),
        };
        self.store.insert_operation(op).await.map_err(HierarchyError::Store)
    }

    async fn record_failure(&self, r: &Requester, a: Accepted, internal: bool, failure: OperationFailure) -> Result<Accepted> {
        let now = self.clock.now_ms();
        self.store
            .fail_operation(r.ctx.tenant, a.request_id, internal, failure, now, None)
            .await
            .map_err(HierarchyError::Store)?;
        Ok(a)
    }

    /// Records why a write failed after its operation was opened. Conflicts end as `FAILURE`
    /// (the requester sees it in the status); a store failure ends as `INTERNAL_ERROR` and is
    /// also returned, so that the request itself answers "service unavailable".
    async fn finish_failed(&self, r: &Requester, a: Accepted, e: HierarchyError) -> Result<Accepted> {
        match e {
            // A reader found the operation interrupted and finished it meanwhile: it says so.
            HierarchyError::Store(StoreError::NotPending) => Ok(a),
            HierarchyError::Store(StoreError::VersionConflict | StoreError::Conflict(_)) | HierarchyError::CustomerNotFound => {
                let failure = OperationFailure::new(
                    OperationFailure::CONFLICT,
                    "the customer was changed by another request at the same time; send the request again",
                );
                self.record_failure(r, a, false, failure).await
            }
            HierarchyError::Store(e) => {
                tracing::error!(request.id = %a.request_id, error = %e, "operation {} failed", a.request_id);
                let failure = OperationFailure::new(OperationFailure::INTERNAL, "the request could not be processed");
                if let Err(again) =
                    self.store.fail_operation(r.ctx.tenant, a.request_id, true, failure, self.clock.now_ms(), None).await
                {
                    tracing::error!(request.id = %a.request_id, error = %again, "operation {} stays open until its timeout", a.request_id);
                }
                Err(HierarchyError::Store(e))
            }
            other => Err(other),
        }
    }

    /// Decides a change: merges `input` into the customer as every dialect sees it, validates it,
    /// and works out the shared-domain changes, audit entries and events.
    async fn plan_modify(&self, r: &Requester, record: &PartnerRecord, input: &ModifyInput) -> Result<Plan> {
        let shared = self.shared(r.ctx.tenant, record.customer.id).await?;
        let (contact, address) = (contact_of(&shared), address_of(&shared));
        let before = record.customer.clone().with_shared(contact, address);
        let after = before.modify(input, self.clock.today())?;
        let implied = after.shared_data(contact, address)?;
        let now = self.clock.now_ms();
        let id = record.customer.id;
        let mut plan = Plan {
            update: PartnerUpdate {
                profile: after.profile.clone(),
                contacts: after.contacts.clone(),
                addresses: after.addresses.clone(),
                expected_version: record.version,
                at_ms: now,
            },
            data: Vec::new(),
            records: Records::default(),
        };
        let next = [implied.contact.map(DomainData::Contact), implied.address.map(|a| DomainData::Address(Box::new(a)))];
        for data in next.into_iter().flatten() {
            let domain = data.domain();
            let changes = diff(shared.data(domain), &data);
            if changes.is_empty() {
                continue;
            }
            plan.records.audit.push(audit(&r.ctx, id, "customer.updated", Some(domain), None, changes.clone(), now));
            plan.records.events.push(event(
                &r.ctx,
                "customer.updated",
                id,
                now,
                json!({ "domain": domain.as_str(), "changes": previous_values(&changes) }),
            ));
            plan.data.push(Apply { data, expected_version: shared.version(domain), at_ms: now });
        }
        let changes = compare(&before.audit_view(), &after.audit_view());
        if !changes.is_empty() {
            let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
            plan.records.events.push(event(
                &r.ctx,
                "partner.updated",
                id,
                now,
                json!({ "customerUuid": record.customer.uuid.to_string(), "fields": fields }),
            ));
            plan.records.audit.push(audit(&r.ctx, id, "partner.updated", None, None, changes, now));
        }
        Ok(plan)
    }

    /// Parses a new customer and builds what the store writes for it: the partner rows, the
    /// shared contact and address data of its primary entries, and its audit entries and events.
    fn prepare_new(
        &self,
        ctx: &Context,
        input: &CreateInput,
        ancestors: Vec<CustomerId>,
        parent: Option<CustomerUuid>,
    ) -> Result<(NewPartnerCustomer, Vec<Apply>, NewCustomerRecords)> {
        let parsed = NewPartner::parse(input, &mut Uuid::new_v4, self.clock.today())?;
        let implied = custodian_domain::hierarchy::shared::shared_data(&parsed.contacts, &parsed.addresses, None, None)?;
        let now = self.clock.now_ms();
        let uuid = CustomerUuid::from_uuid(Uuid::new_v4());
        let data: Vec<DomainData> =
            [implied.contact.map(DomainData::Contact), implied.address.map(|a| DomainData::Address(Box::new(a)))]
                .into_iter()
                .flatten()
                .collect();
        let applies = data.iter().map(|d| Apply { data: d.clone(), expected_version: 0, at_ms: now }).collect();
        let new = NewPartnerCustomer {
            tenant_id: ctx.tenant,
            uuid,
            ancestors,
            profile: parsed.profile,
            contacts: parsed.contacts,
            addresses: parsed.addresses,
            at_ms: now,
        };
        let view = PartnerCustomer {
            uuid,
            id: CustomerId(0),
            ancestors: Vec::new(),
            profile: new.profile.clone(),
            contacts: new.contacts.clone(),
            addresses: new.addresses.clone(),
        }
        .audit_view();
        let c = ctx.clone();
        let records: NewCustomerRecords = Box::new(move |id: CustomerId| {
            let mut r = Records::default();
            for d in &data {
                r.audit.push(audit(&c, id, "customer.created", Some(d.domain()), None, diff(None, d), now));
            }
            let set: Vec<_> = compare(&serde_json::Value::Null, &view)
                .into_iter()
                .filter(|c| c.after != Some(serde_json::Value::Null))
                .collect();
            r.audit.push(audit(&c, id, "partner.created", None, None, set, now));
            let extra = json!({ "customerUuid": uuid.to_string(), "parentCustomerUuid": parent.map(|p| p.to_string()) });
            r.events.push(event(&c, "customer.created", id, now, extra));
            r
        });
        Ok((new, applies, records))
    }

    /// Creates a root of a hierarchy (no parent), for operators: the CLI and demo data.
    pub async fn create_root(&self, ctx: &Context, input: &CreateInput) -> AppResult<PartnerCustomer> {
        let (new, data, records) = self.prepare_new(ctx, input, Vec::new(), None).map_err(|e| match e {
            HierarchyError::Invalid(f) => AppError::from(f),
            _ => AppError::Store(StoreError::Backend("unexpected refusal".into())),
        })?;
        let id = self.store.create_partner_customer(new, data, records, None).await.map_err(AppError::store("tenant"))?;
        let record = self.store.get_partner_customer_by_id(ctx.tenant, id).await.map_err(AppError::store("customer"))?;
        Ok(record.customer)
    }

    /// Creates an API key that acts as `customer` in the partner API, for the operator at the
    /// command line; it needs the PARTNER scope.
    pub async fn create_key(
        &self,
        tenant: TenantId,
        customer: CustomerUuid,
        scopes: Vec<Scope>,
        label: &str,
    ) -> AppResult<IssuedKey> {
        self.issue_key(&Context::operator(tenant), customer, scopes, label).await
    }

    /// Creates a partner key on behalf of `ctx`'s actor, with its `key.created` audit entry.
    pub async fn issue_key(
        &self,
        ctx: &Context,
        customer: CustomerUuid,
        scopes: Vec<Scope>,
        label: &str,
    ) -> AppResult<IssuedKey> {
        if !scopes.contains(&Scope::Partner) {
            return Err(AppError::invalid("scope", "a key bound to a customer needs the PARTNER scope"));
        }
        let record = self.store.get_partner_customer(ctx.tenant, customer).await.map_err(AppError::store("customer"))?;
        let (prefix, secret) = new_key();
        let now = self.clock.now_ms();
        let audit = key_audit(ctx, "key.created", &prefix, &scopes, label, Some(customer.to_string()), now);
        let key = NewApiKey {
            tenant_id: ctx.tenant,
            prefix,
            key_hash: hash_key(&secret),
            scopes,
            label: label.to_owned(),
            created_ms: now,
        };
        let stored = self
            .store
            .insert_customer_key(key, record.customer.id, Records { audit: vec![audit], events: vec![] })
            .await
            .map_err(AppError::store("customer"))?;
        Ok(IssuedKey { secret, created_ms: stored.created_ms, principal: stored.into() })
    }

    /// The numeric id of a partner customer, for the other dialects' paths.
    pub async fn customer_id(&self, tenant: TenantId, customer: CustomerUuid) -> AppResult<CustomerId> {
        Ok(self.store.get_partner_customer(tenant, customer).await.map_err(AppError::store("customer"))?.customer.id)
    }
}
