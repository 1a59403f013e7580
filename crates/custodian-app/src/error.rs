//! The error of every use case: a domain refusal, a missing entity, or a storage failure.

use custodian_domain::{DomainError, FieldError};
use custodian_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The domain refused the command (validation, read-only, one-pending rule, state).
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The named entity does not exist for this tenant.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The command clashes with what exists (a name taken, the last of something); the field
    /// error names what clashes.
    #[error("{}: {}", .0.reference, .0.message)]
    Conflict(FieldError),
    /// The store failed; details are logged, never sent to clients.
    #[error("storage failure")]
    Store(#[source] StoreError),
}

impl AppError {
    pub fn invalid(reference: &str, message: impl Into<String>) -> AppError {
        AppError::Domain(DomainError::Invalid(FieldError::new(reference, message)))
    }

    pub(crate) fn store(what: &'static str) -> impl Fn(StoreError) -> AppError {
        move |e| match e {
            StoreError::NotFound => AppError::NotFound(what),
            other => AppError::Store(other),
        }
    }
}

impl AppError {
    pub fn conflict(reference: &str, message: impl Into<String>) -> AppError {
        AppError::Conflict(FieldError::new(reference, message))
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Domain(DomainError::Invalid(e))
    }
}

pub type AppResult<T> = Result<T, AppError>;
