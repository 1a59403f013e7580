//! Per-tenant, per-domain amendment policy and the pure decision of what a submission does.

use crate::data::DataDomain;
use crate::error::DomainError;
use crate::ids::AmendmentId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// What customers may do with a domain (the vendor's `amendmentConfigurationStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConfigurationStatus {
    /// Changes are applied to the customer at once.
    ChangesWithoutVerification,
    /// Changes are queued for staff approval.
    ChangesRequireVerification,
    /// The domain is view-only.
    Read,
}

impl ConfigurationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigurationStatus::ChangesWithoutVerification => "CHANGES_WITHOUT_VERIFICATION",
            ConfigurationStatus::ChangesRequireVerification => "CHANGES_REQUIRE_VERIFICATION",
            ConfigurationStatus::Read => "READ",
        }
    }
}

impl fmt::Display for ConfigurationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ConfigurationStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "CHANGES_WITHOUT_VERIFICATION" => Ok(ConfigurationStatus::ChangesWithoutVerification),
            "CHANGES_REQUIRE_VERIFICATION" => Ok(ConfigurationStatus::ChangesRequireVerification),
            "READ" => Ok(ConfigurationStatus::Read),
            other => Err(format!(
                "unknown configuration status {other:?}: expected CHANGES_WITHOUT_VERIFICATION, CHANGES_REQUIRE_VERIFICATION or READ"
            )),
        }
    }
}

/// The policy of one domain for one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainPolicy {
    pub status: ConfigurationStatus,
    /// Only meaningful for the payment domain: a submission must carry a customer signature.
    pub require_signature: bool,
}

impl Default for DomainPolicy {
    /// Without configuration a domain is reviewed by staff and needs no signature.
    fn default() -> Self {
        DomainPolicy { status: ConfigurationStatus::ChangesRequireVerification, require_signature: false }
    }
}

/// The policies of all four domains of a tenant; unset domains use [`DomainPolicy::default`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicySet(pub BTreeMap<DataDomain, DomainPolicy>);

impl PolicySet {
    pub fn get(&self, domain: DataDomain) -> DomainPolicy {
        self.0.get(&domain).copied().unwrap_or_default()
    }

    /// Whether a submission to this domain must carry a signature (payment only).
    pub fn requires_signature(&self, domain: DataDomain) -> bool {
        domain == DataDomain::Payment && self.get(domain).require_signature
    }
}

/// Where an accepted submission goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionRoute {
    /// Apply to the customer now; the amendment is recorded as `applied`.
    ApplyNow,
    /// Record as `pending` for staff review.
    QueueForReview,
}

/// Decides what a submission does under the tenant's policy.
///
/// Refuses a read-only domain, a payment change without a required signature, and any submission
/// while another amendment of the domain is pending (the one-pending rule; the store enforces the
/// same rule with a unique index so that it also holds under races).
pub fn decide_submission(
    policies: &PolicySet,
    domain: DataDomain,
    has_signature: bool,
    pending: Option<AmendmentId>,
) -> Result<SubmissionRoute, DomainError> {
    let policy = policies.get(domain);
    if policy.status == ConfigurationStatus::Read {
        return Err(DomainError::ReadOnly(domain));
    }
    if policies.requires_signature(domain) && !has_signature {
        return Err(DomainError::SignatureRequired);
    }
    if let Some(id) = pending {
        return Err(DomainError::PendingExists(id));
    }
    Ok(match policy.status {
        ConfigurationStatus::ChangesWithoutVerification => SubmissionRoute::ApplyNow,
        _ => SubmissionRoute::QueueForReview,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(domain: DataDomain, status: ConfigurationStatus, require_signature: bool) -> PolicySet {
        let mut p = PolicySet::default();
        p.0.insert(domain, DomainPolicy { status, require_signature });
        p
    }

    #[test]
    fn a_direct_domain_applies_at_once_and_a_verified_domain_queues() {
        let direct = set(DataDomain::Contact, ConfigurationStatus::ChangesWithoutVerification, false);
        assert_eq!(decide_submission(&direct, DataDomain::Contact, false, None), Ok(SubmissionRoute::ApplyNow));
        let review = set(DataDomain::Contact, ConfigurationStatus::ChangesRequireVerification, false);
        assert_eq!(decide_submission(&review, DataDomain::Contact, false, None), Ok(SubmissionRoute::QueueForReview));
    }

    #[test]
    fn unconfigured_domains_require_verification() {
        assert_eq!(
            decide_submission(&PolicySet::default(), DataDomain::Master, false, None),
            Ok(SubmissionRoute::QueueForReview)
        );
    }

    #[test]
    fn a_read_only_domain_refuses_every_submission() {
        let p = set(DataDomain::Address, ConfigurationStatus::Read, false);
        assert_eq!(decide_submission(&p, DataDomain::Address, false, None), Err(DomainError::ReadOnly(DataDomain::Address)));
    }

    #[test]
    fn a_payment_change_without_a_required_signature_is_refused() {
        let p = set(DataDomain::Payment, ConfigurationStatus::ChangesRequireVerification, true);
        assert_eq!(decide_submission(&p, DataDomain::Payment, false, None), Err(DomainError::SignatureRequired));
        assert_eq!(decide_submission(&p, DataDomain::Payment, true, None), Ok(SubmissionRoute::QueueForReview));
    }

    #[test]
    fn a_signature_requirement_only_applies_to_payment() {
        let p = set(DataDomain::Contact, ConfigurationStatus::ChangesRequireVerification, true);
        assert_eq!(decide_submission(&p, DataDomain::Contact, false, None), Ok(SubmissionRoute::QueueForReview));
    }

    #[test]
    fn a_second_submission_while_one_is_pending_is_refused_with_its_id() {
        let p = set(DataDomain::Contact, ConfigurationStatus::ChangesWithoutVerification, false);
        assert_eq!(
            decide_submission(&p, DataDomain::Contact, false, Some(AmendmentId(7))),
            Err(DomainError::PendingExists(AmendmentId(7)))
        );
    }
}
