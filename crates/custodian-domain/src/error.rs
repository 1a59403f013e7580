//! Domain errors with stable machine codes; adapters map them to their dialect's error shape.

use crate::amendment::AmendmentState;
use crate::data::DataDomain;
use crate::ids::AmendmentId;
use thiserror::Error;

/// One invalid input field: `reference` is its path in the request (`signature.base64SvgSignature`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{reference}: {message}")]
pub struct FieldError {
    pub reference: String,
    pub message: String,
}

impl FieldError {
    pub fn new(reference: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { reference: reference.into(), message: message.into() }
    }

    /// Prefixes the reference with a parent path: `iban` inside `payment` becomes `payment.iban`.
    pub fn within(mut self, parent: &str) -> Self {
        self.reference = format!("{parent}.{}", self.reference);
        self
    }
}

/// Why the domain refused a command.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("the {0} domain is read-only for this customer: no changes are possible")]
    ReadOnly(DataDomain),
    #[error("a customer signature is required for payment data changes")]
    SignatureRequired,
    #[error("amendment {0} is already pending for this domain; withdraw it or wait for its review")]
    PendingExists(AmendmentId),
    #[error("amendment {id} is {state}, not pending; it can no longer be changed")]
    NotPending { id: AmendmentId, state: AmendmentState },
}

impl DomainError {
    /// A stable key clients can switch on; never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Invalid(_) => "validation.invalid_field",
            DomainError::ReadOnly(_) => "amendment.domain_read_only",
            DomainError::SignatureRequired => "amendment.signature_required",
            DomainError::PendingExists(_) => "amendment.pending_exists",
            DomainError::NotPending { .. } => "amendment.not_pending",
        }
    }
}
