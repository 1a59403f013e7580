//! The OpenAPI 3.1 document (served at `/openapi.json`) and the offline Swagger UI at `/docs`.

use crate::dialects::billing::SubscriptionKeyScheme;
use crate::state::AppState;
use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa_swagger_ui::SwaggerUi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Custodian", description = "Customer master data with an auditable amendment workflow. The `/v1/customers/{customerId}/self-service/*` routes speak the vendor self-service dialect; `/api/v1/*` is Custodian's native staff and admin API."),
    paths(
        crate::dialects::self_service::get_contact_data,
        crate::dialects::self_service::post_contact_data,
        crate::dialects::self_service::get_address_data,
        crate::dialects::self_service::post_address_data,
        crate::dialects::self_service::get_master_data,
        crate::dialects::self_service::post_master_data,
        crate::dialects::self_service::get_payment_data,
        crate::dialects::self_service::post_payment_data,
        crate::dialects::self_service::withdraw_amendment,
        crate::dialects::billing::get_customer,
        crate::dialects::billing::create_or_update_customer,
        crate::dialects::billing::update_customer,
        crate::dialects::partner::get_customer,
        crate::dialects::partner::create_customer,
        crate::dialects::partner::modify_customer,
        crate::dialects::partner::list_child_customers,
        crate::dialects::partner::get_request_status,
        crate::api::amendments::list_amendments,
        crate::api::amendments::get_amendment,
        crate::api::amendments::approve_amendment,
        crate::api::amendments::reject_amendment,
        crate::api::amendments::get_signature,
        crate::api::customers::create_customer,
        crate::api::customers::get_customer,
        crate::api::customers::list_customers,
        crate::api::customers::update_customer_domain,
        crate::api::customers::get_audit_trail,
        crate::api::customers::get_tenant_audit_trail,
        crate::api::policies::get_policies,
        crate::api::policies::put_policy,
        crate::api::webhooks::create_subscription,
        crate::api::webhooks::list_subscriptions,
        crate::api::webhooks::get_subscription,
        crate::api::webhooks::update_subscription,
        crate::api::webhooks::delete_subscription,
        crate::api::webhooks::list_deliveries,
        crate::api::webhooks::replay_delivery,
        crate::api::webhooks::replay_failed,
        crate::api::webhooks::test_subscription,
        crate::ops::health,
        crate::ops::ready,
        crate::ops::metrics,
    ),
    modifiers(&SecurityAddon, &SubscriptionKeyScheme),
    tags(
        (name = "Customers Self-service", description = "The vendor self-service collection: amendments per data domain."),
        (name = "Subscription billing", description = "Subscription-billing customers by the merchant's customer number (X-Subscription-Key); operator writes that apply directly."),
        (name = "Partner hierarchy", description = "The hierarchical partner API (`/api/v2/`): customers by UUID, sub-customers, JSON Merge Patch of details, asynchronous requests. Scope PARTNER, key bound to a customer."),
        (name = "Review", description = "Staff review of amendments (scope STAFF_REVIEW)."),
        (name = "Customers", description = "Customers, direct edits and the audit trail."),
        (name = "Policies", description = "Per-domain amendment policies (scope ADMIN to change)."),
        (name = "Webhooks", description = "Signed, retried, ordered event delivery (scope ADMIN)."),
        (name = "Operations", description = "Health, readiness and metrics."),
    )
)]
pub struct ApiDoc;

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "ApiKeyAuth",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-KEY",
                "API key created with `custodian keys create`; its scopes decide what it may do.",
            ))),
        );
    }
}

/// The document as pretty JSON (what `custodian openapi` prints and the snapshot test compares).
pub fn document_json() -> String {
    ApiDoc::openapi().to_pretty_json().expect("the OpenAPI document serialises")
}

pub fn router() -> Router<AppState> {
    Router::new().merge(SwaggerUi::new("/docs").url("/openapi.json", ApiDoc::openapi()))
}
