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
        crate::api::privacy::export_customer,
        crate::api::privacy::erase_customer,
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
        crate::api::access::create_key,
        crate::api::access::list_keys,
        crate::api::access::revoke_key,
        crate::api::access::create_staff,
        crate::api::access::list_staff,
        crate::api::access::delete_staff,
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
    components(schemas(crate::error::Problem)),
    modifiers(&SecurityAddon, &SubscriptionKeyScheme, &IdempotencyKeys, &ErrorResponses, &ParameterBounds),
    tags(
        (name = "Customers Self-service", description = "The vendor self-service collection: amendments per data domain."),
        (name = "Subscription billing", description = "Subscription-billing customers by the merchant's customer number (X-Subscription-Key); operator writes that apply directly."),
        (name = "Partner hierarchy", description = "The hierarchical partner API (`/api/v2/`): customers by UUID, sub-customers, JSON Merge Patch of details, asynchronous requests. Scope PARTNER, key bound to a customer."),
        (name = "Review", description = "Staff review of amendments (scope STAFF_REVIEW)."),
        (name = "Customers", description = "Customers, direct edits and the audit trail."),
        (name = "Data protection", description = "The subject access export and erasure of a customer (GDPR Art. 15, 17 and 20; scope ADMIN)."),
        (name = "Policies", description = "Per-domain amendment policies (scope ADMIN to change)."),
        (name = "Webhooks", description = "Signed, retried, ordered event delivery (scope ADMIN)."),
        (name = "Access", description = "API keys and staff-console accounts of the tenant (scope ADMIN); tenants themselves are created with the operator's CLI."),
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
                "API key created with `custodian keys create` or `POST /api/v1/keys`; its scopes decide what it may do.",
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

/// The `Idempotency-Key` header on every POST, PATCH and DELETE of the APIs whose vendors define
/// no retry mechanism (native, self-service, partner, wealth; the billing dialect keeps its
/// vendor's `X-Request-ID`), with the 409 of a reused or busy key and the `Idempotent-Replayed`
/// header of a repeated request's answer. The guard is `crate::idempotency`.
struct IdempotencyKeys;

/// Whether the guard covers the operations under `path`.
pub fn idempotency_covers(path: &str) -> bool {
    ["/v1/", "/api/v1/", "/api/v2/", "/openwealth/"].iter().any(|p| path.starts_with(p))
}

impl utoipa::Modify for IdempotencyKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::{RefOr, Required, ResponseBuilder};
        const CONFLICT: &str = "The `Idempotency-Key` was used for a different request (`idempotency.key_reused`), or its first request is still running (`idempotency.in_progress`) or stopped after changing data without recording its answer (`idempotency.outcome_unknown`).";
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !idempotency_covers(path) {
                continue;
            }
            for op in [&mut item.post, &mut item.patch, &mut item.delete].into_iter().flatten() {
                let schema = ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(255))
                    .pattern(Some("^[!-~]+$"));
                let parameter = ParameterBuilder::new()
                    .name("Idempotency-Key")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some("Makes a retry safe (Stripe's semantics): a repeat with the same key and the same method, path and body answers the first response (marked `Idempotent-Replayed: true`) and changes nothing again; the same key with another request is a 409. 1 to 255 visible ASCII characters (a UUID v4 is a good choice), else 400. Scoped to the API key; kept at least 24 hours. Responses are recorded when final (2xx, 4xx but 408, 409, 425 and 429) or when the request changed data."))
                    .schema(Some(schema))
                    .build();
                op.parameters.get_or_insert_with(Vec::new).push(RefOr::T(parameter));
                let responses = &mut op.responses.responses;
                match responses.get_mut("409") {
                    Some(RefOr::T(r)) if !r.description.is_empty() => r.description = format!("{} Or: {CONFLICT}", r.description),
                    Some(RefOr::T(r)) => r.description = format!("{} Or: {CONFLICT}", describe("409")),
                    _ => {
                        responses.insert("409".into(), RefOr::T(ResponseBuilder::new().description(CONFLICT).build()));
                    }
                }
                for (status, response) in responses.iter_mut() {
                    let RefOr::T(response) = response else { continue };
                    if status.starts_with('2') {
                        let header = utoipa::openapi::HeaderBuilder::new()
                            .schema(Some(ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["true"]))))
                            .description(Some(
                                "`true` when this is the recorded answer of an earlier request with the same `Idempotency-Key`.",
                            ))
                            .build();
                        response.headers.insert("Idempotent-Replayed".into(), RefOr::T(header));
                    }
                }
            }
        }
    }
}

/// Every operation lists every status it can answer, each with a description and the error body of
/// its dialect: the statuses the shared machinery produces (key checks, scopes, path and query
/// parsing, body limits, the self-service rate limit) are added here once, so that no handler can
/// forget one and the document stays valid (a response without description is invalid OpenAPI).
struct ErrorResponses;

/// The operations of one path.
fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch, &mut item.head].into_iter().flatten()
}

/// The error body of the dialect that serves `path`.
fn error_body(path: &str) -> Option<(&'static str, &'static str)> {
    if path.starts_with("/v1/") {
        Some(("application/json", "ErrorResponse"))
    } else if path.starts_with("/api/v1/") {
        Some(("application/problem+json", "Problem"))
    } else if path.starts_with("/api/v2/") {
        Some(("application/json", "PartnerErrorEnvelope"))
    } else if path.starts_with("/subscriptions/") {
        Some(("application/problem+json", "SubscriptionProblem"))
    } else if path.starts_with("/openwealth/") {
        Some(("application/problem+json", "OpenWealthProblem"))
    } else {
        None
    }
}

/// What a status means when the handler's annotation does not say more.
fn describe(status: &str) -> &'static str {
    match status {
        "200" => "OK.",
        "201" => "Created.",
        "202" => "Accepted.",
        "204" => "Done; no content.",
        "400" => "The request is invalid: a malformed body, parameter or field (`reference` names it).",
        "401" => "The credentials are missing or not valid.",
        "403" => "The credentials do not grant this operation.",
        "404" => "The resource does not exist (or belongs to another tenant).",
        "405" => "The method is not allowed on this path.",
        "409" => "The request conflicts with the resource's current state.",
        "413" => "The request body is larger than `server.body_limit_bytes`.",
        "429" => "Too many requests; wait the seconds given in `Retry-After`.",
        "500" => "Unexpected system error.",
        "503" => "The service or its database is not available.",
        _ => "See the operation's description.",
    }
}

impl utoipa::Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        for (path, item) in openapi.paths.paths.iter_mut() {
            let body = error_body(path);
            for op in operations(item) {
                let params = op.parameters.as_deref().unwrap_or_default();
                let has_path_param = params.iter().any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path));
                let has_input = !params.is_empty() || op.request_body.is_some();
                let mut wanted: Vec<&str> = Vec::new();
                if body.is_some() {
                    wanted.extend(["401", "403"]);
                    if has_input {
                        wanted.push("400");
                    }
                    if has_path_param {
                        wanted.push("404");
                    }
                    if op.request_body.is_some() {
                        wanted.push("413");
                    }
                    if path.starts_with("/v1/") {
                        wanted.push("429");
                    }
                }
                let responses = &mut op.responses.responses;
                for status in wanted {
                    responses.entry(status.to_owned()).or_insert_with(|| RefOr::T(ResponseBuilder::new().build()));
                }
                for (status, response) in responses.iter_mut() {
                    let RefOr::T(response) = response else { continue };
                    if response.description.is_empty() {
                        response.description = describe(status).to_owned();
                    }
                    let is_error = status.starts_with('4') || status.starts_with('5');
                    // Every error of a dialect has that dialect's body and content type.
                    if let (true, Some((content_type, schema))) = (is_error, body) {
                        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name(schema))).build();
                        response.content.clear();
                        response.content.insert(content_type.to_owned(), RefOr::T(content));
                    }
                }
            }
        }
    }
}

/// The bounds the handlers enforce on parameters, stated in the document so that a request the
/// schema allows is one the server accepts: ids in paths are positive, native pages hold 1 to 200
/// items, and the native filters take their documented words only.
struct ParameterBounds;

impl utoipa::Modify for ParameterBounds {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::schema::{Schema, SchemaType, Type};
        let words = |name: &str| -> Option<&'static [&'static str]> {
            match name {
                "domain" => Some(&["contact", "address", "master", "payment"]),
                "state" => Some(&["pending", "approved", "rejected", "withdrawn", "applied", "any"]),
                "status" => Some(&["pending", "delivering", "succeeded", "failed"]),
                _ => None,
            }
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let native = path.starts_with("/api/v1/");
            for op in operations(item) {
                for p in op.parameters.iter_mut().flatten() {
                    let RefOr::T(p) = p else { continue };
                    let Some(RefOr::T(Schema::Object(schema))) = p.schema.as_mut() else { continue };
                    let integer = match &schema.schema_type {
                        SchemaType::Type(t) => *t == Type::Integer,
                        SchemaType::Array(ts) => ts.contains(&Type::Integer),
                        SchemaType::AnyValue => false,
                    };
                    if integer && p.parameter_in == ParameterIn::Path {
                        schema.minimum = Some(1.into());
                    } else if integer && native && p.name == "limit" && p.parameter_in == ParameterIn::Query {
                        schema.minimum = Some(1.into());
                        schema.maximum = Some(200.into());
                    } else if let (false, true, Some(words)) = (integer, native, words(&p.name)) {
                        schema.enum_values = Some(words.iter().map(|w| serde_json::Value::from(*w)).collect());
                    }
                }
            }
        }
    }
}

/// The document served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as pretty JSON (what `custodian openapi` prints and the snapshot test compares).
pub fn document_json() -> String {
    document().to_pretty_json().expect("the OpenAPI document serialises")
}

pub fn router() -> Router<AppState> {
    Router::new().merge(SwaggerUi::new("/docs").url("/openapi.json", document()))
}
