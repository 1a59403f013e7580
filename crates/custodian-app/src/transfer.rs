//! Bulk import and export of a tenant's customers (`custodian import` / `custodian export`): the
//! records are validated by the caller with the API's rules; this writes them in batches, each
//! batch one transaction, one `customer.imported` audit entry per customer (actor
//! `import:<file name>`) and, when asked, the `customer.created` event an API creation sends.

use crate::Context;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::events::event;
use custodian_domain::{Actor, ActorKind, CustomerId, DomainData, FieldChange, TenantId, diff};
use custodian_store::Store;
use custodian_store::transfer::{ExportedCustomer, ImportAudit, ImportCustomer};
use serde_json::json;
use std::sync::Arc;

/// The audit action of an imported customer.
pub const IMPORTED: &str = "customer.imported";

#[derive(Clone)]
pub struct TransferService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

/// The audit entry's changes of an imported customer: every field of every domain, named
/// `domain.field` (one entry covers all its domains).
pub fn imported_changes(data: &[DomainData]) -> Vec<FieldChange> {
    data.iter()
        .flat_map(|d| {
            diff(None, d).into_iter().map(move |mut f| {
                f.field = format!("{}.{}", d.domain(), f.field);
                f
            })
        })
        .collect()
}

impl TransferService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        TransferService { store, clock }
    }

    /// The context of an import of the file called `source` (its name only, no directories).
    pub fn import_context(tenant: TenantId, source: &str) -> Context {
        Context { tenant, actor: Actor::new(ActorKind::Import, source), request_id: None }
    }

    /// A customer ready to import: its data validated, its rows and audit values prepared (call
    /// it where the file is read, off the writer).
    pub fn prepare(external_id: Option<custodian_domain::values::ExternalId>, data: Vec<DomainData>) -> ImportCustomer {
        let changes = imported_changes(&data);
        ImportCustomer::new(external_id, data, &changes)
    }

    /// Imports one batch in one transaction; in batch order, each customer's new id or `None` when
    /// the tenant has its external id already. Each customer gets one `customer.imported` audit
    /// entry and, with `events`, the `customer.created` event of an API creation.
    pub async fn import_batch(
        &self,
        ctx: &Context,
        batch: Vec<ImportCustomer>,
        events: bool,
    ) -> AppResult<Vec<Option<CustomerId>>> {
        let now = self.clock.now_ms();
        let created = |id: CustomerId| vec![event(ctx, "customer.created", id, now, json!({}))];
        let audit = ImportAudit { actor: ctx.actor.clone(), action: IMPORTED, events: events.then_some(&created as _) };
        self.store.import_customers(ctx.tenant, batch, now, &audit).await.map_err(AppError::store("tenant"))
    }

    /// A page of the tenant's customers for an export, by id after `after`.
    pub async fn export_page(&self, tenant: TenantId, after: Option<CustomerId>, limit: i64) -> AppResult<Vec<ExportedCustomer>> {
        self.store.get_tenant(tenant).await.map_err(AppError::store("tenant"))?;
        self.store.export_customers(tenant, after, limit).await.map_err(AppError::Store)
    }

    /// Today, for validating dates of birth.
    pub fn today(&self) -> time::Date {
        self.clock.today()
    }
}
