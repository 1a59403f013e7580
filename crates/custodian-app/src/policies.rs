//! Reading and changing a tenant's per-domain policies; every change is audited.

use crate::Context;
use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use custodian_domain::{DataDomain, DomainPolicy, FieldChange, PolicySet};
use custodian_store::{NewAudit, Records, Store};
use serde_json::Value;
use std::sync::Arc;

#[derive(Clone)]
pub struct PolicyService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl PolicyService {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        PolicyService { store, clock }
    }

    pub async fn get(&self, ctx: &Context) -> AppResult<PolicySet> {
        self.store.policies(ctx.tenant).await.map_err(AppError::store("tenant"))
    }

    /// Sets one domain's policy. A signature requirement is only accepted for payment.
    pub async fn set(&self, ctx: &Context, domain: DataDomain, policy: DomainPolicy) -> AppResult<PolicySet> {
        if policy.require_signature && domain != DataDomain::Payment {
            return Err(AppError::invalid("requireSignature", "only the payment domain can require a signature"));
        }
        let before = self.get(ctx).await?.get(domain);
        let mut changes = Vec::new();
        if before.status != policy.status {
            changes.push(FieldChange {
                field: "status".into(),
                before: Some(Value::from(before.status.as_str())),
                after: Some(Value::from(policy.status.as_str())),
            });
        }
        if before.require_signature != policy.require_signature {
            changes.push(FieldChange {
                field: "requireSignature".into(),
                before: Some(Value::from(before.require_signature)),
                after: Some(Value::from(policy.require_signature)),
            });
        }
        let audit = NewAudit {
            customer_id: None,
            actor: ctx.actor.clone(),
            action: "policy.changed".into(),
            domain: Some(domain),
            amendment_id: None,
            changes,
            at_ms: self.clock.now_ms(),
            request_id: ctx.request_id.clone(),
        };
        self.store
            .set_policy(ctx.tenant, domain, policy, Records { audit: vec![audit], events: vec![] })
            .await
            .map_err(AppError::store("tenant"))?;
        self.get(ctx).await
    }
}
