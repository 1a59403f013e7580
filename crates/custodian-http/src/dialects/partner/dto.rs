//! Wire shapes of the partner API (field names as the vendor documents them) and their mapping
//! to and from the domain. Requests keep the three states of a merge patch: a member that is not
//! sent ([`Patch::Keep`]), sent as `null` ([`Patch::Clear`]) or sent with a value.

use custodian_domain::hierarchy::values::country_name;
use custodian_domain::hierarchy::{
    AddressEntryInput, ContactEntryInput, CreateInput, CustomFieldInput, IdentityInput, InvoiceConfiguration, InvoiceInput,
    ModifyInput, Operation, OperationStatus, PartnerAddress, PartnerContact, PartnerCustomer, Patch,
};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::marker::PhantomData;
use utoipa::ToSchema;

// ---- the envelope ----

/// Paging information of a successful response.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pageable {
    /// Page number, from 0.
    pub page: i64,
    /// Number of requested elements per page.
    pub size: i64,
    pub total_pages: i64,
    pub total_elements: i64,
}

/// The default page size, as in the vendor's examples.
pub const DEFAULT_PAGE_SIZE: i64 = 10;

impl Pageable {
    /// The paging of a response with exactly one element.
    pub fn single() -> Pageable {
        Pageable { page: 0, size: DEFAULT_PAGE_SIZE, total_pages: 1, total_elements: 1 }
    }

    pub fn of(page: i64, size: i64, total: i64) -> Pageable {
        Pageable { page, size, total_pages: (total + size - 1) / size, total_elements: total }
    }
}

/// Body of every successful partner API response (ACK).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T: ToSchema> {
    /// Empty on success.
    #[schema(example = "")]
    pub error_code: String,
    /// Empty on success.
    #[schema(example = "")]
    pub error_message: String,
    pub content: Vec<T>,
    pub pageable: Pageable,
}

impl<T: ToSchema> Envelope<T> {
    pub fn single(item: T) -> Envelope<T> {
        Envelope { error_code: String::new(), error_message: String::new(), content: vec![item], pageable: Pageable::single() }
    }

    pub fn page(items: Vec<T>, pageable: Pageable) -> Envelope<T> {
        Envelope { error_code: String::new(), error_message: String::new(), content: items, pageable }
    }
}

// ---- requests ----

/// `contact` and `address` arrive as one object or as an array of objects.
#[derive(Debug, Clone, Default)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object or an array of objects")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|one| OneOrMany(vec![one]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::<T>::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(OneOrMany)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// One identity document of a contact.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdentityDocument {
    /// ID, PASSPORT or DRIVER_LICENSE.
    #[schema(example = "PASSPORT")]
    pub id_type: Option<String>,
    #[schema(example = "C01X00T47")]
    pub id_number: Option<String>,
}

/// A custom key/value element (a placeholder of the vendor API, stored as given).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomFieldDto {
    pub key_name: Option<String>,
    pub key_value: Option<String>,
}

/// A contact entry. Changing one needs its `id`; creating one needs `role` and a mobile or
/// landline number, and no `id`. Members sent as `null` or `""` are cleared.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactEntry {
    /// Contact id (mandatory to change a contact).
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub id: Patch<String>,
    #[schema(value_type = Option<String>, example = "ada@example.com")]
    #[serde(default)]
    pub email_address: Patch<String>,
    /// OWNER or MEMBER.
    #[serde(rename = "type")]
    #[schema(value_type = Option<String>, example = "OWNER")]
    #[serde(default)]
    pub contact_type: Patch<String>,
    /// SELFCARE or NONE (mandatory on creation; cannot be cleared).
    #[schema(value_type = Option<String>, example = "SELFCARE")]
    #[serde(default)]
    pub role: Patch<String>,
    /// MR or MS.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub salutation: Patch<String>,
    #[schema(value_type = Option<String>, example = "Ada")]
    #[serde(default)]
    pub first_name: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub middle_name: Patch<String>,
    #[schema(value_type = Option<String>, example = "Lovelace")]
    #[serde(default)]
    pub last_name: Patch<String>,
    /// Replaced as a whole.
    #[schema(value_type = Option<Vec<IdentityDocument>>)]
    #[serde(default)]
    pub identity: Patch<Vec<IdentityDocument>>,
    /// MALE or FEMALE.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub gender: Patch<String>,
    /// DDMMYYYY.
    #[schema(value_type = Option<String>, example = "10121975")]
    #[serde(default)]
    pub birthdate: Patch<String>,
    /// Mandatory if mobilePhoneNumber is empty.
    #[schema(value_type = Option<String>, example = "+44 20 7946 0000")]
    #[serde(default)]
    pub landline_phone_number: Patch<String>,
    /// International E.164; mandatory if landlinePhoneNumber is empty.
    #[schema(value_type = Option<String>, example = "+4917112345678")]
    #[serde(default)]
    pub mobile_phone_number: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub additional_phone_number: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub picture: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub remarks: Patch<String>,
    /// Making a contact primary demotes the previous primary contact.
    #[schema(value_type = Option<bool>)]
    #[serde(default)]
    pub is_primary: Patch<bool>,
}

impl From<ContactEntry> for ContactEntryInput {
    fn from(e: ContactEntry) -> Self {
        ContactEntryInput {
            id: e.id,
            email_address: e.email_address,
            contact_type: e.contact_type,
            role: e.role,
            salutation: e.salutation,
            first_name: e.first_name,
            middle_name: e.middle_name,
            last_name: e.last_name,
            identity: e
                .identity
                .map(|v| v.into_iter().map(|i| IdentityInput { id_type: i.id_type, id_number: i.id_number }).collect()),
            gender: e.gender,
            birthdate: e.birthdate,
            landline_phone_number: e.landline_phone_number,
            mobile_phone_number: e.mobile_phone_number,
            additional_phone_number: e.additional_phone_number,
            picture: e.picture,
            remarks: e.remarks,
            is_primary: e.is_primary,
        }
    }
}

/// An address entry. Changing one needs its `id`; creating one has none. The primary address is
/// the customer's postal address: it needs street, zipCode, city and country.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddressEntry {
    /// Address id (mandatory to change an address).
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub id: Patch<String>,
    /// PRIVATE, SHIPPING or MAILING.
    #[serde(rename = "type")]
    #[schema(value_type = Option<String>, example = "MAILING")]
    #[serde(default)]
    pub address_type: Patch<String>,
    #[schema(value_type = Option<String>, example = "Am Bahnhof")]
    #[serde(default)]
    pub street: Patch<String>,
    #[schema(value_type = Option<String>, example = "90")]
    #[serde(default)]
    pub building_number: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub building_name: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub building_floor: Patch<String>,
    #[schema(value_type = Option<String>, example = "12133")]
    #[serde(default)]
    pub zip_code: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub apartment_number: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub entrance: Patch<String>,
    #[schema(value_type = Option<String>, example = "Munich")]
    #[serde(default)]
    pub city: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub province: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub state: Patch<String>,
    /// Country name: the English short name in any letter case (such as Sweden), or an ISO 3166-1
    /// alpha-2 code (such as SE).
    #[schema(value_type = Option<String>, example = "Sweden")]
    #[serde(default)]
    pub country: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub pobox: Patch<String>,
    /// MR or MS.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub salutation: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub full_name: Patch<String>,
    /// DR or PROF.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub title: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub company: Patch<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub email_address: Patch<String>,
    /// Making an address primary demotes the previous primary address.
    #[schema(value_type = Option<bool>)]
    #[serde(default)]
    pub is_primary: Patch<bool>,
}

impl From<AddressEntry> for AddressEntryInput {
    fn from(e: AddressEntry) -> Self {
        AddressEntryInput {
            id: e.id,
            address_type: e.address_type,
            street: e.street,
            building_number: e.building_number,
            building_name: e.building_name,
            building_floor: e.building_floor,
            zip_code: e.zip_code,
            apartment_number: e.apartment_number,
            entrance: e.entrance,
            city: e.city,
            province: e.province,
            state: e.state,
            country: e.country,
            pobox: e.pobox,
            salutation: e.salutation,
            full_name: e.full_name,
            title: e.title,
            company: e.company,
            email_address: e.email_address,
            is_primary: e.is_primary,
        }
    }
}

/// Invoice configuration; merged field by field.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvoiceConfigurationEntry {
    /// SIM or IMSI.
    #[schema(value_type = Option<String>, example = "SIM")]
    #[serde(default)]
    pub charge_by_active: Patch<String>,
    /// NETWORK_REGISTRATION or DATA_CONSUMPTION.
    #[schema(value_type = Option<String>, example = "NETWORK_REGISTRATION")]
    #[serde(default)]
    pub activity_indication: Patch<String>,
    #[schema(value_type = Option<f64>, example = 12.5)]
    #[serde(default)]
    pub device_cost: Patch<serde_json::Number>,
    /// EMAIL, POSTAL or EDI.
    #[schema(value_type = Option<String>, example = "EMAIL")]
    #[serde(default)]
    pub delivery_method: Patch<String>,
    #[schema(value_type = Option<i64>, example = 30)]
    #[serde(default)]
    pub payment_due_after_invoice_issued: Patch<i64>,
    /// DAYS; mandatory when paymentDueAfterInvoiceIssued is set.
    #[schema(value_type = Option<String>, example = "DAYS")]
    #[serde(default)]
    pub payment_due_units: Patch<String>,
    /// Fixed tax percentage, at least 0.
    #[schema(value_type = Option<f64>, example = 19)]
    #[serde(default)]
    pub vat: Patch<serde_json::Number>,
    /// At most 60 bytes.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub invoice_text: Patch<String>,
}

impl From<InvoiceConfigurationEntry> for InvoiceInput {
    fn from(e: InvoiceConfigurationEntry) -> Self {
        InvoiceInput {
            charge_by_active: e.charge_by_active,
            activity_indication: e.activity_indication,
            device_cost: e.device_cost,
            delivery_method: e.delivery_method,
            payment_due_after_invoice_issued: e.payment_due_after_invoice_issued,
            payment_due_units: e.payment_due_units,
            vat: e.vat,
            invoice_text: e.invoice_text,
        }
    }
}

fn custom_fields(v: Vec<CustomFieldDto>) -> Vec<CustomFieldInput> {
    v.into_iter().map(|f| CustomFieldInput { key_name: f.key_name, key_value: f.key_value }).collect()
}

/// Modify Customer Details: only the elements sent change; `null` or an empty element overrides
/// the stored value with NULL. Contacts and addresses are changed by their `id`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModifyCustomerRequest {
    /// PRIVATE or BUSINESS.
    #[serde(rename = "type")]
    #[schema(value_type = Option<String>, example = "BUSINESS")]
    #[serde(default)]
    pub customer_type: Patch<String>,
    /// Business or private name.
    #[schema(value_type = Option<String>, example = "Volvo")]
    #[serde(default)]
    pub name: Patch<String>,
    /// Whether the customer may attach its parent's packages or plans to its own subscribers.
    #[schema(value_type = Option<bool>)]
    #[serde(default)]
    pub allow_offer_delegation: Patch<bool>,
    /// Whether the customer may enable SIM-to-device (IMEI) locking.
    #[schema(value_type = Option<bool>)]
    #[serde(default)]
    pub is_allowed_imei_lock: Patch<bool>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub vat_registration_number: Patch<String>,
    /// One contact object or an array of them, each with its `id`.
    #[schema(value_type = Option<Vec<ContactEntry>>)]
    #[serde(default)]
    pub contact: Patch<OneOrMany<ContactEntry>>,
    /// One address object or an array of them, each with its `id`.
    #[schema(value_type = Option<Vec<AddressEntry>>)]
    #[serde(default)]
    pub address: Patch<OneOrMany<AddressEntry>>,
    #[schema(value_type = Option<InvoiceConfigurationEntry>)]
    #[serde(default)]
    pub invoice_configuration: Patch<InvoiceConfigurationEntry>,
    /// Campaign ids; replaced as a whole.
    #[schema(value_type = Option<Vec<i64>>)]
    #[serde(default)]
    pub campaign: Patch<Vec<i64>>,
    /// Replaced as a whole.
    #[schema(value_type = Option<Vec<CustomFieldDto>>)]
    #[serde(default)]
    pub custom_fields: Patch<Vec<CustomFieldDto>>,
    /// MANDATORY, ENABLED or DISABLED (cannot be cleared).
    #[schema(value_type = Option<String>, example = "ENABLED")]
    #[serde(default)]
    pub mfa_configuration: Patch<String>,
}

impl From<ModifyCustomerRequest> for ModifyInput {
    fn from(r: ModifyCustomerRequest) -> Self {
        ModifyInput {
            customer_type: r.customer_type,
            name: r.name,
            allow_offer_delegation: r.allow_offer_delegation,
            is_allowed_imei_lock: r.is_allowed_imei_lock,
            vat_registration_number: r.vat_registration_number,
            contact: r.contact.map(|c| c.0.into_iter().map(Into::into).collect()),
            address: r.address.map(|a| a.0.into_iter().map(Into::into).collect()),
            invoice_configuration: r.invoice_configuration.map(Into::into),
            campaign: r.campaign,
            custom_fields: r.custom_fields.map(custom_fields),
            mfa_configuration: r.mfa_configuration,
        }
    }
}

/// Create Customer: a sub-customer of the requester. `status` and `currency` are mandatory.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateCustomerRequest {
    /// Initial life-cycle status: ACTIVE or SUSPEND.
    #[schema(example = "ACTIVE")]
    pub status: Option<String>,
    /// PRIVATE (default) or BUSINESS.
    #[serde(rename = "type")]
    #[schema(example = "BUSINESS")]
    pub customer_type: Option<String>,
    #[schema(example = "Volvo Fleet")]
    pub name: Option<String>,
    /// ISO 4217 code.
    #[schema(example = "EUR")]
    pub currency: Option<String>,
    /// Default false.
    pub allow_offer_delegation: Option<bool>,
    /// Default false.
    pub is_allowed_imei_lock: Option<bool>,
    pub vat_registration_number: Option<String>,
    /// Accepted and ignored (a future feature of the vendor API).
    #[schema(value_type = Option<String>)]
    pub logo: Option<serde_json::Value>,
    /// MANDATORY (default), ENABLED or DISABLED.
    pub mfa_configuration: Option<String>,
    /// One contact object or an array of them; the first is primary unless another says so.
    #[schema(value_type = Option<Vec<ContactEntry>>)]
    pub contact: Option<OneOrMany<ContactEntry>>,
    /// One address object or an array of them; the first is primary unless another says so.
    #[schema(value_type = Option<Vec<AddressEntry>>)]
    pub address: Option<OneOrMany<AddressEntry>>,
    /// Defaults: chargeByActive SIM, activityIndication NETWORK_REGISTRATION.
    pub invoice_configuration: Option<InvoiceConfigurationEntry>,
    pub campaign: Option<Vec<i64>>,
    pub custom_fields: Option<Vec<CustomFieldDto>>,
}

impl From<CreateCustomerRequest> for CreateInput {
    fn from(r: CreateCustomerRequest) -> Self {
        CreateInput {
            status: r.status,
            customer_type: r.customer_type,
            name: r.name,
            currency: r.currency,
            allow_offer_delegation: r.allow_offer_delegation,
            is_allowed_imei_lock: r.is_allowed_imei_lock,
            vat_registration_number: r.vat_registration_number,
            mfa_configuration: r.mfa_configuration,
            contact: r.contact.map(|c| c.0.into_iter().map(Into::into).collect()).unwrap_or_default(),
            address: r.address.map(|a| a.0.into_iter().map(Into::into).collect()).unwrap_or_default(),
            invoice_configuration: r.invoice_configuration.map(Into::into),
            campaign: r.campaign,
            custom_fields: r.custom_fields.map(custom_fields),
        }
    }
}

// ---- responses ----

fn text<T: ToString>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(ToString::to_string)
}

/// A contact as the partner API shows it (cleared elements are `null`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactView {
    pub id: String,
    pub email_address: Option<String>,
    #[serde(rename = "type")]
    pub contact_type: Option<String>,
    pub role: String,
    pub salutation: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub identity: Option<Vec<IdentityDocument>>,
    pub gender: Option<String>,
    /// DDMMYYYY.
    pub birthdate: Option<String>,
    pub landline_phone_number: Option<String>,
    pub mobile_phone_number: Option<String>,
    pub additional_phone_number: Option<String>,
    pub picture: Option<String>,
    pub remarks: Option<String>,
    pub is_primary: bool,
}

impl From<&PartnerContact> for ContactView {
    fn from(c: &PartnerContact) -> Self {
        ContactView {
            id: c.id.to_string(),
            email_address: text(&c.email_address),
            contact_type: text(&c.contact_type),
            role: c.role.to_string(),
            salutation: text(&c.salutation),
            first_name: text(&c.first_name),
            middle_name: text(&c.middle_name),
            last_name: text(&c.last_name),
            identity: c.identity.as_ref().map(|ids| {
                ids.iter().map(|i| IdentityDocument { id_type: text(&i.id_type), id_number: text(&i.id_number) }).collect()
            }),
            gender: text(&c.gender),
            birthdate: c.birthdate.map(custodian_domain::hierarchy::values::format_birthdate),
            landline_phone_number: text(&c.landline_phone_number),
            mobile_phone_number: text(&c.mobile_phone_number),
            additional_phone_number: text(&c.additional_phone_number),
            picture: text(&c.picture),
            remarks: text(&c.remarks),
            is_primary: c.is_primary,
        }
    }
}

/// An address as the partner API shows it (cleared elements are `null`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddressView {
    pub id: String,
    #[serde(rename = "type")]
    pub address_type: Option<String>,
    pub street: Option<String>,
    pub building_number: Option<String>,
    pub building_name: Option<String>,
    pub building_floor: Option<String>,
    pub zip_code: Option<String>,
    pub apartment_number: Option<String>,
    pub entrance: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub state: Option<String>,
    /// Country name: the ISO 3166-1 English short name (such as Sweden).
    #[schema(example = "Sweden")]
    pub country: Option<String>,
    pub pobox: Option<String>,
    pub salutation: Option<String>,
    pub full_name: Option<String>,
    pub title: Option<String>,
    pub company: Option<String>,
    pub email_address: Option<String>,
    pub is_primary: bool,
}

impl From<&PartnerAddress> for AddressView {
    fn from(a: &PartnerAddress) -> Self {
        AddressView {
            id: a.id.to_string(),
            address_type: text(&a.address_type),
            street: text(&a.street),
            building_number: text(&a.building_number),
            building_name: text(&a.building_name),
            building_floor: text(&a.building_floor),
            zip_code: text(&a.zip_code),
            apartment_number: text(&a.apartment_number),
            entrance: text(&a.entrance),
            city: text(&a.city),
            province: text(&a.province),
            state: text(&a.state),
            country: a.country.as_ref().map(country_name),
            pobox: text(&a.pobox),
            salutation: text(&a.salutation),
            full_name: text(&a.full_name),
            title: text(&a.title),
            company: text(&a.company),
            email_address: text(&a.email_address),
            is_primary: a.is_primary,
        }
    }
}

/// Invoice configuration as the partner API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceConfigurationView {
    pub charge_by_active: Option<String>,
    pub activity_indication: Option<String>,
    #[schema(value_type = Option<f64>)]
    pub device_cost: Option<serde_json::Number>,
    pub delivery_method: Option<String>,
    pub payment_due_after_invoice_issued: Option<u32>,
    pub payment_due_units: Option<String>,
    #[schema(value_type = Option<f64>)]
    pub vat: Option<serde_json::Number>,
    pub invoice_text: Option<String>,
}

impl From<&InvoiceConfiguration> for InvoiceConfigurationView {
    fn from(i: &InvoiceConfiguration) -> Self {
        InvoiceConfigurationView {
            charge_by_active: text(&i.charge_by_active),
            activity_indication: text(&i.activity_indication),
            device_cost: i.device_cost.as_ref().map(|a| a.as_number().clone()),
            delivery_method: text(&i.delivery_method),
            payment_due_after_invoice_issued: i.payment_due_after_invoice_issued,
            payment_due_units: text(&i.payment_due_units),
            vat: i.vat.as_ref().map(|a| a.as_number().clone()),
            invoice_text: i.invoice_text.as_ref().map(|t| t.as_str().to_owned()),
        }
    }
}

/// Customer details.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerDetails {
    pub customer_id: String,
    /// Life-cycle status: ACTIVE or SUSPEND.
    pub status: String,
    #[serde(rename = "type")]
    pub customer_type: Option<String>,
    pub name: Option<String>,
    pub currency: String,
    pub allow_offer_delegation: bool,
    pub is_allowed_imei_lock: bool,
    pub is_imei_lock_enabled: bool,
    pub vat_registration_number: Option<String>,
    pub mfa_configuration: String,
    pub contact: Vec<ContactView>,
    pub address: Vec<AddressView>,
    pub invoice_configuration: Option<InvoiceConfigurationView>,
    pub campaign: Option<Vec<i64>>,
    pub custom_fields: Option<Vec<CustomFieldDto>>,
}

impl From<&PartnerCustomer> for CustomerDetails {
    fn from(c: &PartnerCustomer) -> Self {
        let p = &c.profile;
        CustomerDetails {
            customer_id: c.uuid.to_string(),
            status: p.status.to_string(),
            customer_type: text(&p.customer_type),
            name: p.name.as_ref().map(|n| n.as_str().to_owned()),
            currency: p.currency.as_str().to_owned(),
            allow_offer_delegation: p.allow_offer_delegation,
            is_allowed_imei_lock: p.is_allowed_imei_lock,
            is_imei_lock_enabled: p.is_imei_lock_enabled,
            vat_registration_number: text(&p.vat_registration_number),
            mfa_configuration: p.mfa_configuration.to_string(),
            contact: c.contacts.iter().map(Into::into).collect(),
            address: c.addresses.iter().map(Into::into).collect(),
            invoice_configuration: p.invoice_configuration.as_ref().map(Into::into),
            campaign: p.campaign.as_ref().map(|v| v.iter().map(|c| c.get()).collect()),
            custom_fields: p.custom_fields.as_ref().map(|v| {
                v.iter().map(|f| CustomFieldDto { key_name: text(&f.key_name), key_value: text(&f.key_value) }).collect()
            }),
        }
    }
}

/// An accepted write: query its status with `GET /api/v2/global/call/{requestId}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestAccepted {
    #[schema(example = "ff74dca6-8e7f-4b85-a42b-13860913b370")]
    pub request_id: String,
    /// The new customer's id (creation only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
}

/// One direct sub-customer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChildCustomerView {
    pub customer_id: String,
    pub customer_name: Option<String>,
}

/// The status of an asynchronous request.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestStatus {
    /// OPEN, SUCCESS, FAILURE or INTERNAL_ERROR.
    #[schema(example = "SUCCESS")]
    pub status: String,
    /// Why the request failed (FAILURE and INTERNAL_ERROR only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

impl RequestStatus {
    /// `failure_code` maps the operation's stored failure code to this dialect's code.
    pub fn of(op: &Operation, failure_code: impl Fn(&str) -> &'static str) -> RequestStatus {
        let failed = matches!(op.status, OperationStatus::Failure | OperationStatus::InternalError);
        let failure = op.failure.as_ref().filter(|_| failed);
        RequestStatus {
            status: op.status.as_str().to_owned(),
            error_code: failure.map(|f| failure_code(&f.code).to_owned()),
            error_message: failure.map(|f| f.message.clone()),
        }
    }
}
