//! A partner customer as the hierarchy sees it: its profile, contacts and addresses, where it sits
//! in the tree, and the JSON form the store keeps.

use super::ids::{AddressId, ContactId, CustomerUuid};
use super::values::{
    ActivityIndication, AddressTitle, AddressType, Amount, CampaignId, ChargeBy, ContactGender, ContactRole, ContactType,
    Currency, CustomerType, DeliveryMethod, IdType, InvoiceText, LifecycleStatus, MfaConfiguration, PaymentDueUnits, Salutation,
    format_birthdate, parse_birthdate,
};
use crate::ids::CustomerId;
use crate::values::{CountryCode, Email, Phone, Text};
use serde::{Deserialize, Serialize};
use time::Date;

/// How the customer is invoiced. Every field is optional; `paymentDueUnits` is required once
/// `paymentDueAfterInvoiceIssued` is set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceConfiguration {
    #[serde(default)]
    pub charge_by_active: Option<ChargeBy>,
    #[serde(default)]
    pub activity_indication: Option<ActivityIndication>,
    #[serde(default)]
    pub device_cost: Option<Amount>,
    #[serde(default)]
    pub delivery_method: Option<DeliveryMethod>,
    #[serde(default)]
    pub payment_due_after_invoice_issued: Option<u32>,
    #[serde(default)]
    pub payment_due_units: Option<PaymentDueUnits>,
    #[serde(default)]
    pub vat: Option<Amount>,
    #[serde(default)]
    pub invoice_text: Option<InvoiceText>,
}

impl InvoiceConfiguration {
    /// The system defaults applied on creation: charge by SIM, activity = network registration.
    pub fn defaults() -> InvoiceConfiguration {
        InvoiceConfiguration {
            charge_by_active: Some(ChargeBy::Sim),
            activity_indication: Some(ActivityIndication::NetworkRegistration),
            ..Default::default()
        }
    }
}

/// One identity document of a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    #[serde(default)]
    pub id_type: Option<IdType>,
    #[serde(default)]
    pub id_number: Option<Text>,
}

/// A custom key/value element (a placeholder of the vendor API; stored as given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomField {
    #[serde(default)]
    pub key_name: Option<Text>,
    #[serde(default)]
    pub key_value: Option<Text>,
}

/// The partner profile of a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerProfile {
    pub status: LifecycleStatus,
    #[serde(rename = "type", default)]
    pub customer_type: Option<CustomerType>,
    #[serde(default)]
    pub name: Option<Text>,
    pub currency: Currency,
    pub allow_offer_delegation: bool,
    pub is_allowed_imei_lock: bool,
    /// Whether the customer switched IMEI locking on (not changeable through the profile).
    pub is_imei_lock_enabled: bool,
    #[serde(default)]
    pub vat_registration_number: Option<Text>,
    pub mfa_configuration: MfaConfiguration,
    #[serde(default)]
    pub invoice_configuration: Option<InvoiceConfiguration>,
    #[serde(default)]
    pub campaign: Option<Vec<CampaignId>>,
    #[serde(default)]
    pub custom_fields: Option<Vec<CustomField>>,
}

mod birthdate_format {
    use super::{Date, format_birthdate, parse_birthdate};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&format_birthdate(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        // Stored dates were checked against the day they were written; only the form is checked here.
        Option::<String>::deserialize(d)?.map(|s| parse_birthdate(&s, Date::MAX).map_err(serde::de::Error::custom)).transpose()
    }
}

/// A contact person of a partner customer. The primary contact's e-mail address and phone
/// numbers are the customer's contact data (see [`super::shared`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerContact {
    pub id: ContactId,
    pub is_primary: bool,
    pub role: ContactRole,
    #[serde(rename = "type", default)]
    pub contact_type: Option<ContactType>,
    #[serde(default)]
    pub email_address: Option<Email>,
    #[serde(default)]
    pub salutation: Option<Salutation>,
    #[serde(default)]
    pub first_name: Option<Text>,
    #[serde(default)]
    pub middle_name: Option<Text>,
    #[serde(default)]
    pub last_name: Option<Text>,
    #[serde(default)]
    pub identity: Option<Vec<Identity>>,
    #[serde(default)]
    pub gender: Option<ContactGender>,
    #[serde(default, with = "birthdate_format")]
    pub birthdate: Option<Date>,
    #[serde(default)]
    pub landline_phone_number: Option<Phone>,
    #[serde(default)]
    pub mobile_phone_number: Option<Phone>,
    #[serde(default)]
    pub additional_phone_number: Option<Phone>,
    #[serde(default)]
    pub picture: Option<Text>,
    #[serde(default)]
    pub remarks: Option<Text>,
}

impl PartnerContact {
    /// A contact with only its id and role set.
    pub fn new(id: ContactId, role: ContactRole) -> PartnerContact {
        PartnerContact {
            id,
            is_primary: false,
            role,
            contact_type: None,
            email_address: None,
            salutation: None,
            first_name: None,
            middle_name: None,
            last_name: None,
            identity: None,
            gender: None,
            birthdate: None,
            landline_phone_number: None,
            mobile_phone_number: None,
            additional_phone_number: None,
            picture: None,
            remarks: None,
        }
    }
}

/// An address of a partner customer. The primary address is the customer's postal address
/// (see [`super::shared`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerAddress {
    pub id: AddressId,
    pub is_primary: bool,
    #[serde(rename = "type", default)]
    pub address_type: Option<AddressType>,
    #[serde(default)]
    pub street: Option<Text>,
    #[serde(default)]
    pub building_number: Option<Text>,
    #[serde(default)]
    pub building_name: Option<Text>,
    #[serde(default)]
    pub building_floor: Option<Text>,
    #[serde(default)]
    pub zip_code: Option<Text>,
    #[serde(default)]
    pub apartment_number: Option<Text>,
    #[serde(default)]
    pub entrance: Option<Text>,
    #[serde(default)]
    pub city: Option<Text>,
    #[serde(default)]
    pub province: Option<Text>,
    #[serde(default)]
    pub state: Option<Text>,
    /// ISO 3166-1 alpha-2, as the customer's address data keeps it.
    #[serde(default)]
    pub country: Option<CountryCode>,
    #[serde(default)]
    pub pobox: Option<Text>,
    #[serde(default)]
    pub salutation: Option<Salutation>,
    #[serde(default)]
    pub full_name: Option<Text>,
    #[serde(default)]
    pub title: Option<AddressTitle>,
    #[serde(default)]
    pub company: Option<Text>,
    #[serde(default)]
    pub email_address: Option<Email>,
}

impl PartnerAddress {
    /// An address with only its id set.
    pub fn new(id: AddressId) -> PartnerAddress {
        PartnerAddress {
            id,
            is_primary: false,
            address_type: None,
            street: None,
            building_number: None,
            building_name: None,
            building_floor: None,
            zip_code: None,
            apartment_number: None,
            entrance: None,
            city: None,
            province: None,
            state: None,
            country: None,
            pobox: None,
            salutation: None,
            full_name: None,
            title: None,
            company: None,
            email_address: None,
        }
    }
}

/// Where a customer sits in the hierarchy: itself and its ancestors from the root down to its
/// parent (empty for a root).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node<'a> {
    pub id: CustomerId,
    pub ancestors: &'a [CustomerId],
}

impl Node<'_> {
    pub fn parent(&self) -> Option<CustomerId> {
        self.ancestors.last().copied()
    }

    /// Whether `other` lies strictly above this node.
    pub fn is_below(&self, other: CustomerId) -> bool {
        self.ancestors.contains(&other)
    }
}

/// A customer of the partner hierarchy with everything the partner API shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerCustomer {
    pub uuid: CustomerUuid,
    pub id: CustomerId,
    /// From the root down to the parent; empty for a root.
    pub ancestors: Vec<CustomerId>,
    pub profile: PartnerProfile,
    pub contacts: Vec<PartnerContact>,
    pub addresses: Vec<PartnerAddress>,
}

impl PartnerCustomer {
    pub fn node(&self) -> Node<'_> {
        Node { id: self.id, ancestors: &self.ancestors }
    }

    pub fn parent(&self) -> Option<CustomerId> {
        self.node().parent()
    }

    pub fn primary_contact(&self) -> Option<&PartnerContact> {
        self.contacts.iter().find(|c| c.is_primary)
    }

    pub fn primary_address(&self) -> Option<&PartnerAddress> {
        self.addresses.iter().find(|a| a.is_primary)
    }

    /// The ancestry of this customer's children: its own ancestors and itself.
    pub fn ancestry_of_children(&self) -> Vec<CustomerId> {
        let mut a = self.ancestors.clone();
        a.push(self.id);
        a
    }
}
