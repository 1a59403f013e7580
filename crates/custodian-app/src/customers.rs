//! Customer use cases for operators and staff: create with initial data, read, list, and edit a
//! domain directly (audited, announced, bypassing the amendment policy).

use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::events::{audit, event, previous_values};
use crate::{Context, MAX_ATTEMPTS};
use custodian_domain::{Amendment, CustomerId, DataDomain, DomainData, diff};
use custodian_store::{Apply, Customer, Records, Store, StoreError};
use serde_json::json;
use std::sync::Arc;

#[derive(Clone)]
pub struct CustomerService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl CustomerService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        CustomerService { store, clock }
    }

    /// Creates a customer with data for any of the four domains (each domain at most once).
    pub async fn create(&self, ctx: &Context, data: Vec<DomainData>) -> AppResult<Customer> {
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = data.iter().find(|d| !seen.insert(d.domain())) {
            return Err(AppError::invalid(dup.domain().as_str(), "given more than once"));
        }
        let now = self.clock.now_ms();
        let applies: Vec<Apply> = data.iter().map(|d| Apply { data: d.clone(), expected_version: 0, at_ms: now }).collect();
        let c = ctx.clone();
        let records = Box::new(move |id: CustomerId| {
            let mut r = Records::default();
            for d in &data {
                r.audit.push(audit(&c, id, "customer.created", Some(d.domain()), None, diff(None, d), now));
            }
            r.events.push(event(&c, "customer.created", id, now, json!({})));
            r
        });
        let id = self.store.create_customer(ctx.tenant, applies, now, records).await.map_err(AppError::store("tenant"))?;
        self.get(ctx, id).await
    }

    pub async fn get(&self, ctx: &Context, id: CustomerId) -> AppResult<Customer> {
        self.store.get_customer(ctx.tenant, id).await.map_err(AppError::store("customer"))
    }

    /// The customer with the pending amendment of `domain`, if any, from one snapshot.
    pub async fn with_pending(
        &self,
        ctx: &Context,
        id: CustomerId,
        domain: DataDomain,
    ) -> AppResult<(Customer, Option<Amendment>)> {
        self.store.customer_with_pending(ctx.tenant, id, domain).await.map_err(AppError::store("customer"))
    }

    pub async fn list(&self, ctx: &Context, after: Option<CustomerId>, limit: i64) -> AppResult<Vec<Customer>> {
        self.store.list_customers(ctx.tenant, after, limit).await.map_err(AppError::Store)
    }

    /// Customers whose name, e-mail address, phone digits or external customer number start with
    /// `text` (case-insensitive; see `custodian_domain::search`), by id.
    pub async fn search(&self, ctx: &Context, text: &str, after: Option<CustomerId>, limit: i64) -> AppResult<Vec<Customer>> {
        let prefixes = custodian_domain::search::needles(text)?;
        self.store.search_customers(ctx.tenant, &prefixes, after, limit).await.map_err(AppError::Store)
    }

    /// Replaces one domain's data directly (a staff or operator edit).
    pub async fn update_domain(&self, ctx: &Context, id: CustomerId, data: DomainData) -> AppResult<Customer> {
        let domain = data.domain();
        for _ in 0..MAX_ATTEMPTS {
            let current = self.get(ctx, id).await?;
            let changes = diff(current.data(domain), &data);
            let now = self.clock.now_ms();
            let mut records = Records::default();
            records.audit.push(audit(ctx, id, "customer.updated", Some(domain), None, changes.clone(), now));
            records.events.push(event(
                ctx,
                "customer.updated",
                id,
                now,
                json!({ "domain": domain.as_str(), "changes": previous_values(&changes) }),
            ));
            let apply = Apply { data: data.clone(), expected_version: current.version(domain), at_ms: now };
            match self.store.apply_change(ctx.tenant, id, apply, records).await {
                Ok(()) => return self.get(ctx, id).await,
                Err(StoreError::VersionConflict) => {}
                Err(e) => return Err(AppError::store("customer")(e)),
            }
        }
        Err(AppError::Store(StoreError::Conflict("too many concurrent changes; try again".into())))
    }

    pub async fn audit_trail(
        &self,
        ctx: &Context,
        id: CustomerId,
        after: Option<i64>,
        limit: i64,
    ) -> AppResult<Vec<custodian_store::AuditEntry>> {
        self.get(ctx, id).await?;
        self.store.list_audit(ctx.tenant, id, after, limit).await.map_err(AppError::Store)
    }

    /// The tenant's whole audit trail: customer changes, policy changes, webhook endpoints.
    pub async fn tenant_audit_trail(
        &self,
        ctx: &Context,
        after: Option<i64>,
        limit: i64,
    ) -> AppResult<Vec<custodian_store::AuditEntry>> {
        self.store.list_tenant_audit(ctx.tenant, after, limit).await.map_err(AppError::Store)
    }
}
