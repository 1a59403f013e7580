//! The staff console under `/console/`: server-rendered pages (askama templates compiled into the
//! binary, assets embedded) where studio staff sign in, work the review queue, compare an
//! amendment field by field, approve or reject it, look up customers and, as admins, change
//! policies and look after webhook deliveries.
//!
//! Every page goes through the same application services as the APIs; decisions are made with the
//! staff member's own actor (`staff:<username>`, `admin:<username>`). Sessions live server-side
//! (see [`session`]); every form carries the session's CSRF token and every POST must come from
//! the console's own origin.

mod access;
mod amendments;
mod assets;
mod customers;
mod errors;
mod login;
mod privacy;
mod queue;
pub mod session;
mod settings;
mod view;

use crate::state::AppState;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};

pub use errors::ConsoleError;

pub use crate::state::ConsoleSettings;

/// Every console route, with the console's security headers and its same-origin rule for writes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(|| async { Redirect::to("/console/queue") }))
        .route("/console/", get(|| async { Redirect::to("/console/queue") }))
        .route("/console/assets/{file}", get(assets::serve))
        .route("/console/login", get(login::form).post(login::submit))
        .route("/console/logout", post(login::sign_out))
        .route("/console/queue", get(queue::page))
        .route("/console/queue/count", get(queue::count))
        .route("/console/amendments/{id}", get(amendments::page))
        .route("/console/amendments/{id}/signature", get(amendments::signature))
        .route("/console/amendments/{id}/approve", post(amendments::approve))
        .route("/console/amendments/{id}/reject", post(amendments::reject))
        .route("/console/customers", get(customers::list))
        .route("/console/customers/{id}", get(customers::page))
        .route("/console/customers/{id}/export", get(privacy::export))
        .route("/console/settings", get(settings::page))
        .route("/console/settings/policies", post(settings::save_policies))
        .route("/console/settings/access", get(access::page))
        .route("/console/settings/access/keys", post(access::create_key))
        .route("/console/settings/access/keys/{prefix}/revoke", post(access::revoke_key))
        .route("/console/settings/access/staff", post(access::create_account))
        .route("/console/settings/access/staff/{username}/delete", post(access::delete_account))
        .route("/console/settings/webhooks/{id}", get(settings::webhook))
        .route("/console/settings/webhooks/{id}/enabled", post(settings::set_enabled))
        .route("/console/settings/webhooks/{id}/replay-failed", post(settings::replay_failed))
        .route("/console/settings/webhooks/{id}/deliveries/{delivery}/replay", post(settings::replay_delivery))
        .route("/console/{*rest}", get(errors::not_found).post(errors::not_found))
        // One `layer` call for both (see the crate's `router`). Outermost first.
        .layer(
            tower::ServiceBuilder::new()
                .layer(middleware::from_fn(security_headers))
                .layer(middleware::from_fn(session::same_origin_writes)),
        )
}

/// The console's content security policy: only its own scripts, styles and images, no framing,
/// forms only to itself.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the console's security headers unless a handler set its own (the signature image does).
async fn security_headers(req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/console/assets/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let defaults: [(header::HeaderName, &'static str); 5] = [
        (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        // Pages show customer data: never keep them in a cache.
        (header::CACHE_CONTROL, if is_asset { "public, max-age=300" } else { "no-store" }),
    ];
    for (name, value) in defaults {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    res
}

/// True for methods that never change anything.
fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}
