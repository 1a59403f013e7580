//! API-key authentication (`X-API-KEY`) and scope checks, rendered in the caller's dialect.

use crate::error::{ApiError, Dialect, Failure};
use crate::rate_limit;
use crate::state::AppState;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use custodian_app::{Context, Principal};
use custodian_domain::Scope;
use std::marker::PhantomData;

/// Authenticates the `X-API-KEY` header (any capitalisation).
pub async fn principal(state: &AppState, headers: &axum::http::HeaderMap) -> Result<Principal, ApiError> {
    let unauthenticated = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "auth.unauthenticated",
            "Authentication failed. No api-key, wrong api-key or wrong header name.",
        )
    };
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok()).ok_or_else(unauthenticated)?;
    match state.services.keys.authenticate(key).await {
        Ok(Some(p)) => {
            crate::access_log::note_tenant(p.tenant);
            Ok(p)
        }
        Ok(None) => Err(unauthenticated()),
        Err(e) => Err(e.into()),
    }
}

/// The vendor rule, layered by a dialect on its routes: a `HEAD` request only validates the API
/// key (200, or the dialect's 401 without a body); no business logic runs and resource existence
/// is not checked.
pub async fn head_checks_key_only<D: Dialect>(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::HEAD {
        return next.run(req).await;
    }
    match principal(&state, req.headers()).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(e) => {
            let mut r = e.render::<D>();
            *r.body_mut() = axum::body::Body::empty();
            r
        }
    }
}

/// The caller of this request, authenticated already (by the rate limit, which counts only keys
/// that authenticate), so that the key is looked up once.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

/// An authenticated caller; the rejection renders in dialect `D`.
pub struct Caller<D: Dialect> {
    pub principal: Principal,
    pub request_id: Option<String>,
    _dialect: PhantomData<D>,
}

impl<D: Dialect> Caller<D> {
    /// The caller must hold `scope`; otherwise 403.
    pub fn require(&self, scope: Scope) -> Result<Context, Failure<D>> {
        self.require_any(&[scope])
    }

    /// The caller must hold one of `scopes`; otherwise 403.
    pub fn require_any(&self, scopes: &[Scope]) -> Result<Context, Failure<D>> {
        if scopes.iter().any(|s| self.principal.has(*s)) {
            Ok(Context { tenant: self.principal.tenant, actor: self.principal.actor(), request_id: self.request_id.clone() })
        } else {
            let names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
            Err(ApiError::missing_scope(format!(
                "Authorization failed. The caller has no privilege to the given resource: requires scope {}",
                names.join(" or ")
            ))
            .into())
        }
    }
}

/// The scopes a route requires (any one of them), checked by [`Authorized`].
pub trait Requirement: Send + Sync + 'static {
    const SCOPES: &'static [Scope];
}

/// Scope requirements of the routes that read a body.
pub mod require {
    use super::{Requirement, Scope};

    macro_rules! requirement {
        ($($(#[$doc:meta])* $name:ident = [$($scope:ident),+];)*) => {
            $(
                $(#[$doc])*
                pub struct $name;
                impl Requirement for $name {
                    const SCOPES: &'static [Scope] = &[$(Scope::$scope),+];
                }
            )*
        };
    }

    requirement! {
        /// `ADMIN`.
        Admin = [Admin];
        /// `STAFF_REVIEW`.
        StaffReview = [StaffReview];
        /// `CUSTOMER_SELF_SERVICE_WRITE`.
        SelfServiceWrite = [SelfServiceWrite];
    }
}

/// An authenticated caller holding one of `R`'s scopes, rendered in dialect `D` (401, then 403).
///
/// It is an extractor of the request head, so a handler that takes it before its body extractor
/// authenticates and authorises before the body is read: a caller without the scope gets 403 for
/// any body, valid or not.
pub struct Authorized<D: Dialect, R: Requirement> {
    pub ctx: Context,
    pub principal: Principal,
    _marker: PhantomData<(D, R)>,
}

impl<D: Dialect, R: Requirement> FromRequestParts<AppState> for Authorized<D, R> {
    type Rejection = Failure<D>;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = Caller::<D>::from_request_parts(parts, state).await?;
        let ctx = caller.require_any(R::SCOPES)?;
        Ok(Authorized { ctx, principal: caller.principal, _marker: PhantomData })
    }
}

impl<D: Dialect> FromRequestParts<AppState> for Caller<D> {
    type Rejection = Failure<D>;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let principal = match parts.extensions.get::<Authenticated>() {
            Some(Authenticated(p)) => p.clone(),
            None => principal(state, &parts.headers).await?,
        };
        let request_id = parts.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(Caller { principal, request_id, _dialect: PhantomData })
    }
}

fn too_many<D: Dialect>(wait: u64) -> Response {
    let mut r = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limit.exceeded", "Access denied - rate limit is exceeded.")
        .render::<D>();
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait));
    r
}

/// Middleware for the routes of a dialect that has the vendor's rate limit (the self-service
/// dialect layers it on its router), answering 429 in that dialect's shape `D`;
/// `rate_limit_per_minute = 0` turns it off. Authenticates the key first (the handler then reuses
/// the result) and counts only a key that authenticates.
pub async fn rate_limited<D: Dialect>(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let limit = state.settings.rate_limit_per_minute;
    if limit == 0 {
        return next.run(req).await;
    }
    let now = rate_limit::now_ms();
    match principal(&state, req.headers()).await {
        Ok(caller) => {
            let key = format!("{} {}", caller.tenant.0, caller.key_prefix);
            let endpoint = req.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_owned();
            let endpoint = format!("{} {endpoint}", req.method());
            req.extensions_mut().insert(Authenticated(caller));
            match state.rate_limiter.hit(&key, &endpoint, limit, now / 1000) {
                None => next.run(req).await,
                Some(wait) => too_many::<D>(wait),
            }
        }
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            // Failed authentications: a budget of their own per client address.
            let over = rate_limit::client_ip(req.extensions())
                .and_then(|ip| state.rate_limiter.hit_recent(&format!("unauthenticated {ip}"), limit, 60_000, now));
            match over {
                Some(wait) => too_many::<D>(wait),
                None => next.run(req).await,
            }
        }
        // The database did not answer: the handler reports it.
        Err(_) => next.run(req).await,
    }
}
