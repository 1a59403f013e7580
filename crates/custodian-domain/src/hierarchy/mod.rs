//! The partner hierarchy: customers that are themselves partners of a tenant, each with a parent
//! (or none, for a root), a partner profile (type, name, currency, permissions, invoicing, MFA),
//! contacts and addresses addressed by UUID, and asynchronous operations.
//!
//! Parsing, merging (JSON Merge Patch), the eligibility rules of requesters, and the mapping onto
//! the shared contact and address domains are pure functions here; the application layer loads,
//! calls them and persists.

pub mod eligibility;
pub mod ids;
pub mod operation;
pub mod patch;
pub mod profile;
pub mod shared;
pub mod values;

pub use eligibility::{Ineligible, PartnerAction, check};
pub use ids::{AddressId, ContactId, CustomerUuid, RequestId};
pub use operation::{OPERATION_TIMEOUT_MS, Operation, OperationFailure, OperationKind, OperationStatus};
pub use patch::{
    AddressEntryInput, ContactEntryInput, CreateInput, CustomFieldInput, IdentityInput, InvoiceInput, ModifyInput, NewPartner,
    Patch,
};
pub use profile::{InvoiceConfiguration, Node, PartnerAddress, PartnerContact, PartnerCustomer, PartnerProfile};
pub use shared::SharedData;

use serde_json::{Map, Value};

/// The shared-domain fields of the primary contact and address, left out of the partner audit
/// view because the contact and address domains audit them.
const SHARED_CONTACT_FIELDS: [&str; 4] = ["emailAddress", "landlinePhoneNumber", "mobilePhoneNumber", "additionalPhoneNumber"];
const SHARED_ADDRESS_FIELDS: [&str; 10] = [
    "street",
    "buildingNumber",
    "zipCode",
    "city",
    "country",
    "province",
    "buildingName",
    "buildingFloor",
    "apartmentNumber",
    "entrance",
];

impl PartnerCustomer {
    /// A flat JSON object for the audit trail's field-by-field comparison: the profile's fields,
    /// then `contact[<id>]` and `address[<id>]` per entry (without the fields the shared domains
    /// audit for the primary entries).
    pub fn audit_view(&self) -> Value {
        let mut out = match serde_json::to_value(&self.profile) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let entry = |v: Value, primary: bool, shared: &[&str]| -> Value {
            match v {
                Value::Object(mut m) if primary => {
                    for f in shared {
                        m.remove(*f);
                    }
                    Value::Object(m)
                }
                other => other,
            }
        };
        for c in &self.contacts {
            let v = serde_json::to_value(c).unwrap_or(Value::Null);
            out.insert(format!("contact[{}]", c.id), entry(v, c.is_primary, &SHARED_CONTACT_FIELDS));
        }
        for a in &self.addresses {
            let v = serde_json::to_value(a).unwrap_or(Value::Null);
            out.insert(format!("address[{}]", a.id), entry(v, a.is_primary, &SHARED_ADDRESS_FIELDS));
        }
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests;
