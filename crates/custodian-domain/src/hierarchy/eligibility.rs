//! Who may do what in the hierarchy. The requester is itself a customer; these rules decide from
//! where the requester and the target sit in the tree, nothing else.
//!
//! | action                        | itself          | a sub-customer (any depth)   | anyone else |
//! |-------------------------------|-----------------|------------------------------|-------------|
//! | read details                  | yes             | yes                          | not visible |
//! | create a sub-customer under   | yes (direct)    | refused                      | not visible |
//! | modify details                | refused         | yes                          | not visible |
//! | list children                 | yes (one level) | refused                      | not visible |
//!
//! "Not visible" is reported as an unknown customer, so that customers outside the requester's
//! own branch cannot be probed.

use super::profile::Node;
use thiserror::Error;

/// What the requester wants to do to the target customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartnerAction {
    Read,
    /// Create a sub-customer with the target as its parent.
    CreateSubCustomer,
    Modify,
    ListChildren,
}

/// Why the requester may not do it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Ineligible {
    /// The target is neither the requester nor below it.
    #[error("customer does not exist")]
    NotVisible,
    #[error("the requester may not modify its own profile, only its sub-customers' profiles")]
    OwnProfile,
    #[error("the requester may create sub-customers only directly under itself, not under one of its sub-customers")]
    NotOwnSubCustomer,
    #[error("the requester may list only its own sub-customers, not the children of a sub-customer")]
    NotOwnChildren,
}

/// Decides whether `requester` may do `action` to `target`.
pub fn check(action: PartnerAction, requester: Node<'_>, target: Node<'_>) -> Result<(), Ineligible> {
    let itself = requester.id == target.id;
    let below = target.is_below(requester.id);
    match (action, itself, below) {
        (_, false, false) => Err(Ineligible::NotVisible),
        (PartnerAction::Read, _, _) => Ok(()),
        (PartnerAction::Modify, true, _) => Err(Ineligible::OwnProfile),
        (PartnerAction::Modify, false, _) => Ok(()),
        (PartnerAction::CreateSubCustomer, true, _) => Ok(()),
        (PartnerAction::CreateSubCustomer, false, _) => Err(Ineligible::NotOwnSubCustomer),
        (PartnerAction::ListChildren, true, _) => Ok(()),
        (PartnerAction::ListChildren, false, _) => Err(Ineligible::NotOwnChildren),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::CustomerId;

    // The tree: 1 → 2 → 3, and 1 → 4; 9 is a root of its own.
    const ROOT: CustomerId = CustomerId(1);
    const CHILD: CustomerId = CustomerId(2);
    const GRANDCHILD: CustomerId = CustomerId(3);
    const SIBLING: CustomerId = CustomerId(4);
    const STRANGER: CustomerId = CustomerId(9);

    fn node(id: CustomerId) -> Node<'static> {
        let ancestors: &'static [CustomerId] = match id.0 {
            2 | 4 => &[ROOT],
            3 => &[ROOT, CHILD],
            _ => &[],
        };
        Node { id, ancestors }
    }

    fn may(action: PartnerAction, requester: CustomerId, target: CustomerId) -> Result<(), Ineligible> {
        check(action, node(requester), node(target))
    }

    #[test]
    fn a_requester_reads_itself_and_every_sub_customer_below_it() {
        assert_eq!(may(PartnerAction::Read, CHILD, CHILD), Ok(()));
        assert_eq!(may(PartnerAction::Read, ROOT, CHILD), Ok(()));
        assert_eq!(may(PartnerAction::Read, ROOT, GRANDCHILD), Ok(()));
    }

    #[test]
    fn a_requester_sees_nothing_above_beside_or_outside_its_branch() {
        for action in [PartnerAction::Read, PartnerAction::Modify, PartnerAction::CreateSubCustomer, PartnerAction::ListChildren]
        {
            assert_eq!(may(action, CHILD, ROOT), Err(Ineligible::NotVisible), "{action:?} of the parent");
            assert_eq!(may(action, CHILD, SIBLING), Err(Ineligible::NotVisible), "{action:?} of a sibling");
            assert_eq!(may(action, ROOT, STRANGER), Err(Ineligible::NotVisible), "{action:?} of another root");
        }
    }

    #[test]
    fn a_requester_modifies_its_sub_customers_but_never_its_own_profile() {
        assert_eq!(may(PartnerAction::Modify, ROOT, CHILD), Ok(()));
        assert_eq!(may(PartnerAction::Modify, ROOT, GRANDCHILD), Ok(()));
        assert_eq!(may(PartnerAction::Modify, CHILD, CHILD), Err(Ineligible::OwnProfile));
    }

    #[test]
    fn a_requester_creates_sub_customers_only_directly_under_itself() {
        assert_eq!(may(PartnerAction::CreateSubCustomer, ROOT, ROOT), Ok(()));
        assert_eq!(may(PartnerAction::CreateSubCustomer, ROOT, CHILD), Err(Ineligible::NotOwnSubCustomer));
    }

    #[test]
    fn a_requester_lists_only_its_own_children() {
        assert_eq!(may(PartnerAction::ListChildren, ROOT, ROOT), Ok(()));
        assert_eq!(may(PartnerAction::ListChildren, ROOT, CHILD), Err(Ineligible::NotOwnChildren));
    }
}
