//! Asynchronous operations: every write of the partner API is recorded as an operation with a
//! request id, whose status the requester can query. An operation that stays `OPEN` past
//! [`OPERATION_TIMEOUT_MS`] was interrupted (the process stopped while working on it); it is
//! then reported, and stored, as `INTERNAL_ERROR`. Its change was never applied, because a
//! change and its operation's `SUCCESS` are committed together.

use super::ids::{CustomerUuid, RequestId};
use crate::ids::CustomerId;

/// How long an operation may stay open before it counts as interrupted.
pub const OPERATION_TIMEOUT_MS: i64 = 120_000;

/// The status reported by `GET /global/call/{requestId}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationStatus {
    /// Accepted, not finished yet.
    Open,
    Success,
    /// Refused while it was processed (e.g. the data changed and the change no longer applies).
    Failure,
    /// The server failed or stopped while processing it; nothing was changed.
    InternalError,
}

impl OperationStatus {
    pub const ALL: [OperationStatus; 4] =
        [OperationStatus::Open, OperationStatus::Success, OperationStatus::Failure, OperationStatus::InternalError];

    pub fn as_str(self) -> &'static str {
        match self {
            OperationStatus::Open => "OPEN",
            OperationStatus::Success => "SUCCESS",
            OperationStatus::Failure => "FAILURE",
            OperationStatus::InternalError => "INTERNAL_ERROR",
        }
    }
}

impl std::str::FromStr for OperationStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| format!("unknown operation status {s:?}"))
    }
}

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    CreateCustomer,
    ModifyCustomer,
}

impl OperationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationKind::CreateCustomer => "create_customer",
            OperationKind::ModifyCustomer => "modify_customer",
        }
    }
}

impl std::str::FromStr for OperationKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [OperationKind::CreateCustomer, OperationKind::ModifyCustomer]
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown operation kind {s:?}"))
    }
}

/// Why an operation did not succeed: a stable code (`validation.invalid_field`,
/// `concurrent_modification`, `internal`) and a message for the requester.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationFailure {
    pub code: String,
    pub message: String,
}

impl OperationFailure {
    pub const INVALID: &'static str = "validation.invalid_field";
    pub const CONFLICT: &'static str = "concurrent_modification";
    pub const INTERNAL: &'static str = "internal";
    pub const INTERRUPTED: &'static str = "interrupted";

    pub fn new(code: &str, message: impl Into<String>) -> OperationFailure {
        OperationFailure { code: code.to_owned(), message: message.into() }
    }

    /// The failure recorded for an operation found open past its timeout.
    pub fn interrupted() -> OperationFailure {
        OperationFailure::new(
            Self::INTERRUPTED,
            "the server stopped while processing this request; nothing was changed, please send it again",
        )
    }
}

/// A recorded operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub request_id: RequestId,
    /// The customer whose API key made the request; only it may read the operation.
    pub requester: CustomerId,
    pub kind: OperationKind,
    /// The customer created or modified.
    pub target: CustomerUuid,
    pub status: OperationStatus,
    pub failure: Option<OperationFailure>,
    pub created_ms: i64,
    pub finished_ms: Option<i64>,
}

impl Operation {
    /// Whether the operation is still open although it should have finished long ago.
    pub fn is_interrupted(&self, now_ms: i64) -> bool {
        self.status == OperationStatus::Open && now_ms - self.created_ms > OPERATION_TIMEOUT_MS
    }

    /// Whether `requester` may see this operation.
    pub fn belongs_to(&self, requester: CustomerId) -> bool {
        self.requester == requester
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(status: OperationStatus) -> Operation {
        Operation {
            request_id: RequestId::parse("ff74dca6-8e7f-4b85-a42b-13860913b370").unwrap(),
            requester: CustomerId(1),
            kind: OperationKind::ModifyCustomer,
            target: CustomerUuid::parse("00000000-0000-4000-8000-000000000002").unwrap(),
            status,
            failure: None,
            created_ms: 1_000,
            finished_ms: None,
        }
    }

    #[test]
    fn an_open_operation_counts_as_interrupted_only_after_its_timeout() {
        assert!(!op(OperationStatus::Open).is_interrupted(1_000 + OPERATION_TIMEOUT_MS));
        assert!(op(OperationStatus::Open).is_interrupted(1_001 + OPERATION_TIMEOUT_MS));
        assert!(!op(OperationStatus::Success).is_interrupted(i64::MAX));
    }

    #[test]
    fn only_the_requester_that_made_it_may_see_an_operation() {
        assert!(op(OperationStatus::Open).belongs_to(CustomerId(1)));
        assert!(!op(OperationStatus::Open).belongs_to(CustomerId(2)));
    }

    #[test]
    fn statuses_and_kinds_round_trip_through_their_stored_names() {
        for s in OperationStatus::ALL {
            assert_eq!(s.as_str().parse::<OperationStatus>().unwrap(), s);
        }
        assert_eq!("modify_customer".parse::<OperationKind>().unwrap(), OperationKind::ModifyCustomer);
        assert!("delete".parse::<OperationKind>().is_err());
    }
}
