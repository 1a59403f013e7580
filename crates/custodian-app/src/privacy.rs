//! Data-protection duties: the subject access export (GDPR Art. 15 and 20) and erasure (Art. 17).
//! Both are ADMIN acts and both are audited; erasure also announces `customer.erased` (ids only)
//! so that downstream systems can erase too.

use crate::Context;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use crate::events::{audit, event};
use custodian_domain::{AmendmentId, CustomerId};
use custodian_store::{CustomerDossier, ErasureReport, Records, Store, StoreError};
use serde_json::json;
use std::sync::Arc;

#[derive(Clone)]
pub struct PrivacyService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl PrivacyService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        PrivacyService { store, clock }
    }

    /// Everything kept about a customer, with the audit entry `customer.exported` written in the
    /// same transaction as the read.
    pub async fn export(&self, ctx: &Context, id: CustomerId) -> AppResult<CustomerDossier> {
        let now = self.clock.now_ms();
        let records =
            Records { audit: vec![audit(ctx, id, "customer.exported", None, None, Vec::new(), now)], events: Vec::new() };
        self.store.export_customer(ctx.tenant, id, records).await.map_err(AppError::store("customer"))
    }

    /// Erases a customer: its pending amendments are withdrawn (each audited), its personal data
    /// removed from every table, and `customer.erased` audited and announced.
    pub async fn erase(&self, ctx: &Context, id: CustomerId) -> AppResult<ErasureReport> {
        let now = self.clock.now_ms();
        let c = ctx.clone();
        let records = Box::new(move |withdrawn: &[AmendmentId]| {
            let mut r = Records::default();
            for a in withdrawn {
                r.audit.push(audit(&c, id, "amendment.withdrawn", None, Some(*a), Vec::new(), now));
            }
            r.audit.push(audit(&c, id, custodian_store::audit::ERASED_ACTION, None, None, Vec::new(), now));
            r.events.push(event(&c, "customer.erased", id, now, json!({})));
            r
        });
        match self.store.erase_customer(ctx.tenant, id, now, records).await {
            Ok(report) => Ok(report),
            Err(StoreError::Conflict(message)) => Err(AppError::conflict("customer", message)),
            Err(e) => Err(AppError::store("customer")(e)),
        }
    }
}
