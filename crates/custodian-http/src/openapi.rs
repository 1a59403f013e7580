//! The OpenAPI 3.1 document (served at `/openapi.json`) and the offline Swagger UI at `/docs`.

use crate::dialects::billing::SubscriptionKeyScheme;
use crate::state::AppState;
use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
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
        crate::api::consents::grant_consent,
        crate::api::consents::list_consents,
        crate::api::consents::get_consent,
        crate::api::consents::revoke_consent,
        crate::api::wealth::save_wealth_profile,
        crate::api::wealth::get_wealth_profile,
        crate::api::wealth::relate_person,
        crate::dialects::openwealth::get_customers,
        crate::dialects::openwealth::get_customer,
        crate::dialects::openwealth::get_kyc,
        crate::dialects::openwealth::get_persons,
        crate::dialects::openwealth::get_person,
        crate::dialects::openwealth::get_contact_details,
        crate::dialects::openwealth::post_contact_details,
        crate::dialects::openwealth::get_address,
        crate::dialects::openwealth::post_address,
        crate::dialects::openwealth::put_address,
        crate::dialects::openwealth::get_address_singular,
        crate::dialects::openwealth::post_address_singular,
        crate::dialects::openwealth::put_address_singular,
        crate::dialects::openwealth::healthcheck,
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
        (name = "Consents", description = "Customers' consents to wealth-management service users (scope ADMIN)."),
        (name = "Wealth management (native)", description = "Wealth profiles, KYC records and related persons (scope ADMIN to change)."),
        (name = "Wealth management", description = "The OpenWealth customer-management API for service users (`Authorization: Bearer`, `X-Correlation-ID`), mounted at the configurable prefix `/openwealth`."),
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
        components.add_security_scheme(
            "BearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key with scope WEALTH_SERVICE_USER, sent as `Authorization: Bearer <key>`."))
                    .build(),
            ),
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
