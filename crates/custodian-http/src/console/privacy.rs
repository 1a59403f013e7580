//! The customer's data export as a download for admins (the same document as the native API's
//! `GET /api/v1/customers/{id}/export`, audited the same way).

use super::customers::parse_customer_id;
use super::errors::ConsoleError;
use super::session::Staff;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;

pub async fn export(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> Result<Response, ConsoleError> {
    if !staff.session.is_admin() {
        return Err(ConsoleError::Forbidden("Only admins can export a customer's data.".into()));
    }
    let id = parse_customer_id(&id)?;
    Ok(crate::api::privacy::export_attachment(&state, &staff.context(), id).await?)
}
