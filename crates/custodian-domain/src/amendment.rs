//! Amendments and their lifecycle: `pending → approved | rejected | withdrawn`, and `applied` for
//! changes that took effect at once. Transitions are pure functions returning what to persist.

use crate::actor::Actor;
use crate::data::{DataDomain, DomainData};
use crate::error::{DomainError, FieldError};
use crate::ids::{AmendmentId, CustomerId, TenantId};
use crate::signature::SanitizedSvg;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where an amendment is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmendmentState {
    Pending,
    Approved,
    Rejected,
    Withdrawn,
    /// Applied at once under `CHANGES_WITHOUT_VERIFICATION`; never pending.
    Applied,
}

impl AmendmentState {
    pub const ALL: [AmendmentState; 5] = [
        AmendmentState::Pending,
        AmendmentState::Approved,
        AmendmentState::Rejected,
        AmendmentState::Withdrawn,
        AmendmentState::Applied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AmendmentState::Pending => "pending",
            AmendmentState::Approved => "approved",
            AmendmentState::Rejected => "rejected",
            AmendmentState::Withdrawn => "withdrawn",
            AmendmentState::Applied => "applied",
        }
    }
}

impl fmt::Display for AmendmentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AmendmentState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AmendmentState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown amendment state {s:?}: expected pending, approved, rejected, withdrawn or applied"))
    }
}

/// A customer's proposed change to one data domain.
#[derive(Debug, Clone, PartialEq)]
pub struct Amendment {
    pub id: AmendmentId,
    pub tenant_id: TenantId,
    pub customer_id: CustomerId,
    pub domain: DataDomain,
    pub state: AmendmentState,
    pub proposed: DomainData,
    pub signature: Option<SanitizedSvg>,
    /// The version of the customer's domain data the amendment was made against.
    pub base_version: i64,
    pub submitted_by: Actor,
    pub submitted_at_ms: i64,
    pub decided_by: Option<Actor>,
    pub decided_at_ms: Option<i64>,
    pub rejection_reason: Option<String>,
}

/// A decided state change of a pending amendment, ready to be persisted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub id: AmendmentId,
    pub to: AmendmentState,
    pub by: Actor,
    pub at_ms: i64,
    pub reason: Option<String>,
}

impl Amendment {
    fn transition(&self, to: AmendmentState, by: &Actor, at_ms: i64, reason: Option<String>) -> Result<Transition, DomainError> {
        if self.state != AmendmentState::Pending {
            return Err(DomainError::NotPending { id: self.id, state: self.state });
        }
        Ok(Transition { id: self.id, to, by: by.clone(), at_ms, reason })
    }

    /// The customer (or their app) withdraws a pending amendment.
    pub fn withdraw(&self, by: &Actor, at_ms: i64) -> Result<Transition, DomainError> {
        self.transition(AmendmentState::Withdrawn, by, at_ms, None)
    }

    /// Staff approve a pending amendment; the caller applies `proposed` in the same transaction.
    pub fn approve(&self, by: &Actor, at_ms: i64) -> Result<Transition, DomainError> {
        self.transition(AmendmentState::Approved, by, at_ms, None)
    }

    /// Staff reject a pending amendment; a reason of 1..=1000 characters is required.
    pub fn reject(&self, by: &Actor, at_ms: i64, reason: &str) -> Result<Transition, DomainError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(FieldError::new("reason", "a rejection needs a reason the customer can read").into());
        }
        if reason.chars().count() > 1000 {
            return Err(FieldError::new("reason", "must be at most 1000 characters").into());
        }
        if reason.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err(FieldError::new("reason", "must not contain control characters other than line breaks and tabs").into());
        }
        self.transition(AmendmentState::Rejected, by, at_ms, Some(reason.to_owned()))
    }

    /// Whether the customer's domain data changed after this amendment was submitted.
    pub fn is_stale(&self, current_version: i64) -> bool {
        current_version != self.base_version
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::ActorKind;
    use crate::data::ContactData;

    fn pending() -> Amendment {
        Amendment {
            id: AmendmentId(1),
            tenant_id: TenantId(1),
            customer_id: CustomerId(1),
            domain: DataDomain::Contact,
            state: AmendmentState::Pending,
            proposed: DomainData::Contact(ContactData::default()),
            signature: None,
            base_version: 3,
            submitted_by: Actor::new(ActorKind::ApiKey, "k1"),
            submitted_at_ms: 10,
            decided_by: None,
            decided_at_ms: None,
            rejection_reason: None,
        }
    }

    #[test]
    fn a_pending_amendment_can_be_withdrawn_approved_or_rejected() {
        let a = pending();
        let staff = Actor::new(ActorKind::Staff, "s");
        assert_eq!(a.withdraw(&a.submitted_by, 20).unwrap().to, AmendmentState::Withdrawn);
        assert_eq!(a.approve(&staff, 20).unwrap().to, AmendmentState::Approved);
        let r = a.reject(&staff, 20, "  IBAN belongs to someone else ").unwrap();
        assert_eq!(r.to, AmendmentState::Rejected);
        assert_eq!(r.reason.as_deref(), Some("IBAN belongs to someone else"));
    }

    #[test]
    fn a_decided_amendment_cannot_change_again() {
        let staff = Actor::new(ActorKind::Staff, "s");
        for state in [AmendmentState::Approved, AmendmentState::Rejected, AmendmentState::Withdrawn, AmendmentState::Applied] {
            let a = Amendment { state, ..pending() };
            let expected = Err(DomainError::NotPending { id: a.id, state });
            assert_eq!(a.withdraw(&staff, 1), expected);
            assert_eq!(a.approve(&staff, 1), expected);
            assert_eq!(a.reject(&staff, 1, "no"), expected);
        }
    }

    #[test]
    fn a_rejection_without_a_reason_is_refused() {
        let e = pending().reject(&Actor::new(ActorKind::Staff, "s"), 1, "   ").unwrap_err();
        assert_eq!(e.code(), "validation.invalid_field");
    }

    #[test]
    fn a_rejection_reason_with_a_nul_or_other_control_character_is_refused_but_line_breaks_are_kept() {
        let staff = Actor::new(ActorKind::Staff, "s");
        for reason in ["wrong\u{0}street", "wrong\u{1b}[2Jstreet", "wrong\u{7f}"] {
            let e = pending().reject(&staff, 1, reason).unwrap_err();
            assert_eq!(e.code(), "validation.invalid_field", "{reason:?}");
        }
        let t = pending().reject(&staff, 1, "The street does not exist.\r\n\tPlease check it.").unwrap();
        assert_eq!(t.reason.as_deref(), Some("The street does not exist.\r\n\tPlease check it."));
    }

    #[test]
    fn an_amendment_is_stale_once_the_domain_version_moved() {
        assert!(!pending().is_stale(3));
        assert!(pending().is_stale(4));
    }
}
