//! Creating a partner customer and changing one with JSON Merge Patch semantics (RFC 7396): an
//! element that is not sent stays as it is, an element sent as `null` or empty (`""`, `[]`)
//! overrides the stored value with NULL, a nested object (`invoiceConfiguration`) is merged field
//! by field, and contact and address entries are addressed by their `id`.
//!
//! Input arrives loose (strings, numbers, booleans as sent); every value is parsed here, and every
//! error names the field by its path in the request (`contact[0].emailAddress`).

use super::ids::{AddressId, ContactId};
use super::profile::{
    CustomField, Identity, InvoiceConfiguration, PartnerAddress, PartnerContact, PartnerCustomer, PartnerProfile,
};
use super::shared::address_data;
use super::values::{
    ActivityIndication, AddressTitle, AddressType, Amount, CampaignId, ChargeBy, ContactGender, ContactRole, ContactType,
    Currency, CustomerType, DeliveryMethod, IdType, InvoiceText, LifecycleStatus, MfaConfiguration, PaymentDueUnits, Salutation,
    parse_birthdate, parse_country, parse_e164, parse_payment_due,
};
use crate::error::FieldError;
use crate::values::{Email, Phone, Text};
use serde::{Deserialize, Deserializer};
use time::Date;
use uuid::Uuid;

/// One element of a merge patch: not sent, sent as `null`, or sent with a value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    /// Not sent: the stored value stays.
    #[default]
    Keep,
    /// Sent as `null`: the stored value is overridden with NULL.
    Clear,
    /// Sent with a value.
    Set(T),
}

impl<T> Patch<T> {
    pub fn is_keep(&self) -> bool {
        matches!(self, Patch::Keep)
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Keep => Patch::Keep,
            Patch::Clear => Patch::Clear,
            Patch::Set(v) => Patch::Set(f(v)),
        }
    }
}

/// `null` is [`Patch::Clear`], a value is [`Patch::Set`]; a missing member needs
/// `#[serde(default)]` to become [`Patch::Keep`].
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            None => Patch::Clear,
            Some(v) => Patch::Set(v),
        })
    }
}

/// A contact entry as sent: to create one (no `id`) or to change one (with its `id`).
#[derive(Debug, Clone, Default)]
pub struct ContactEntryInput {
    pub id: Patch<String>,
    pub email_address: Patch<String>,
    pub contact_type: Patch<String>,
    pub role: Patch<String>,
    pub salutation: Patch<String>,
    pub first_name: Patch<String>,
    pub middle_name: Patch<String>,
    pub last_name: Patch<String>,
    pub identity: Patch<Vec<IdentityInput>>,
    pub gender: Patch<String>,
    pub birthdate: Patch<String>,
    pub landline_phone_number: Patch<String>,
    pub mobile_phone_number: Patch<String>,
    pub additional_phone_number: Patch<String>,
    pub picture: Patch<String>,
    pub remarks: Patch<String>,
    pub is_primary: Patch<bool>,
}

/// An identity document as sent (the list is replaced as a whole).
#[derive(Debug, Clone, Default)]
pub struct IdentityInput {
    pub id_type: Option<String>,
    pub id_number: Option<String>,
}

/// An address entry as sent: to create one (no `id`) or to change one (with its `id`).
#[derive(Debug, Clone, Default)]
pub struct AddressEntryInput {
    pub id: Patch<String>,
    pub address_type: Patch<String>,
    pub street: Patch<String>,
    pub building_number: Patch<String>,
    pub building_name: Patch<String>,
    pub building_floor: Patch<String>,
    pub zip_code: Patch<String>,
    pub apartment_number: Patch<String>,
    pub entrance: Patch<String>,
    pub city: Patch<String>,
    pub province: Patch<String>,
    pub state: Patch<String>,
    pub country: Patch<String>,
    pub pobox: Patch<String>,
    pub salutation: Patch<String>,
    pub full_name: Patch<String>,
    pub title: Patch<String>,
    pub company: Patch<String>,
    pub email_address: Patch<String>,
    pub is_primary: Patch<bool>,
}

/// Invoice configuration as sent (merged field by field).
#[derive(Debug, Clone, Default)]
pub struct InvoiceInput {
    pub charge_by_active: Patch<String>,
    pub activity_indication: Patch<String>,
    pub device_cost: Patch<serde_json::Number>,
    pub delivery_method: Patch<String>,
    pub payment_due_after_invoice_issued: Patch<i64>,
    pub payment_due_units: Patch<String>,
    pub vat: Patch<serde_json::Number>,
    pub invoice_text: Patch<String>,
}

/// A custom field as sent (the list is replaced as a whole).
#[derive(Debug, Clone, Default)]
pub struct CustomFieldInput {
    pub key_name: Option<String>,
    pub key_value: Option<String>,
}

/// A change of a customer's details (`PATCH /customer/{id}`).
#[derive(Debug, Clone, Default)]
pub struct ModifyInput {
    pub customer_type: Patch<String>,
    pub name: Patch<String>,
    pub allow_offer_delegation: Patch<bool>,
    pub is_allowed_imei_lock: Patch<bool>,
    pub vat_registration_number: Patch<String>,
    pub contact: Patch<Vec<ContactEntryInput>>,
    pub address: Patch<Vec<AddressEntryInput>>,
    pub invoice_configuration: Patch<InvoiceInput>,
    pub campaign: Patch<Vec<i64>>,
    pub custom_fields: Patch<Vec<CustomFieldInput>>,
    pub mfa_configuration: Patch<String>,
}

/// A new customer (`POST /customer/{id}`); absent and `null` both mean "not given".
#[derive(Debug, Clone, Default)]
pub struct CreateInput {
    pub status: Option<String>,
    pub customer_type: Option<String>,
    pub name: Option<String>,
    pub currency: Option<String>,
    pub allow_offer_delegation: Option<bool>,
    pub is_allowed_imei_lock: Option<bool>,
    pub vat_registration_number: Option<String>,
    pub mfa_configuration: Option<String>,
    pub contact: Vec<ContactEntryInput>,
    pub address: Vec<AddressEntryInput>,
    pub invoice_configuration: Option<InvoiceInput>,
    pub campaign: Option<Vec<i64>>,
    pub custom_fields: Option<Vec<CustomFieldInput>>,
}

fn field(parent: &str, name: &str) -> String {
    if parent.is_empty() { name.to_owned() } else { format!("{parent}.{name}") }
}

/// An optional text-like value: `null` or an empty string clears it.
fn patch_str<T>(
    slot: &mut Option<T>,
    p: &Patch<String>,
    reference: String,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<(), FieldError> {
    match p {
        Patch::Keep => {}
        Patch::Clear => *slot = None,
        Patch::Set(s) if s.trim().is_empty() => *slot = None,
        Patch::Set(s) => *slot = Some(parse(s).map_err(|m| FieldError::new(reference, m))?),
    }
    Ok(())
}

/// An optional non-text value: `null` clears it.
fn patch_val<V, T>(
    slot: &mut Option<T>,
    p: &Patch<V>,
    reference: String,
    parse: impl Fn(&V) -> Result<T, String>,
) -> Result<(), FieldError> {
    match p {
        Patch::Keep => {}
        Patch::Clear => *slot = None,
        Patch::Set(v) => *slot = Some(parse(v).map_err(|m| FieldError::new(reference, m))?),
    }
    Ok(())
}

/// A value that always has one: `null` or empty is refused.
fn patch_required<T>(
    slot: &mut T,
    p: &Patch<String>,
    reference: String,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<(), FieldError> {
    match p {
        Patch::Keep => {}
        Patch::Set(s) if !s.trim().is_empty() => *slot = parse(s).map_err(|m| FieldError::new(reference, m))?,
        _ => return Err(FieldError::new(reference, "cannot be empty: it always has a value")),
    }
    Ok(())
}

fn patch_bool(slot: &mut bool, p: &Patch<bool>, reference: &str) -> Result<(), FieldError> {
    match p {
        Patch::Keep => {}
        Patch::Set(v) => *slot = *v,
        Patch::Clear => return Err(FieldError::new(reference, "cannot be empty: send true or false")),
    }
    Ok(())
}

/// A list replaced as a whole: `null` or `[]` clears it.
fn patch_list<V, T>(
    slot: &mut Option<Vec<T>>,
    p: &Patch<Vec<V>>,
    reference: &str,
    parse: impl Fn(&V, &str) -> Result<T, FieldError>,
) -> Result<(), FieldError> {
    match p {
        Patch::Keep => {}
        Patch::Clear => *slot = None,
        Patch::Set(v) if v.is_empty() => *slot = None,
        Patch::Set(v) => {
            *slot =
                Some(v.iter().enumerate().map(|(i, item)| parse(item, &format!("{reference}[{i}]"))).collect::<Result<_, _>>()?)
        }
    }
    Ok(())
}

fn opt_text(raw: &Option<String>, reference: String) -> Result<Option<Text>, FieldError> {
    let mut slot = None;
    patch_str(&mut slot, &raw.clone().map_or(Patch::Clear, Patch::Set), reference, Text::parse)?;
    Ok(slot)
}

fn identity(i: &IdentityInput, r: &str) -> Result<Identity, FieldError> {
    let mut id_type = None;
    patch_str(&mut id_type, &i.id_type.clone().map_or(Patch::Clear, Patch::Set), field(r, "idType"), IdType::parse)?;
    Ok(Identity { id_type, id_number: opt_text(&i.id_number, field(r, "idNumber"))? })
}

fn custom_field(i: &CustomFieldInput, r: &str) -> Result<CustomField, FieldError> {
    Ok(CustomField {
        key_name: opt_text(&i.key_name, field(r, "keyName"))?,
        key_value: opt_text(&i.key_value, field(r, "keyValue"))?,
    })
}

fn campaign(id: &i64, r: &str) -> Result<CampaignId, FieldError> {
    CampaignId::parse(*id).map_err(|m| FieldError::new(r, m))
}

/// Applies the sent fields of a contact entry (all but `id` and `isPrimary`).
fn apply_contact(c: &mut PartnerContact, e: &ContactEntryInput, r: &str, today: Date) -> Result<(), FieldError> {
    patch_str(&mut c.email_address, &e.email_address, field(r, "emailAddress"), Email::parse)?;
    patch_str(&mut c.contact_type, &e.contact_type, field(r, "type"), ContactType::parse)?;
    patch_required(&mut c.role, &e.role, field(r, "role"), ContactRole::parse)?;
    patch_str(&mut c.salutation, &e.salutation, field(r, "salutation"), Salutation::parse)?;
    patch_str(&mut c.first_name, &e.first_name, field(r, "firstName"), Text::parse)?;
    patch_str(&mut c.middle_name, &e.middle_name, field(r, "middleName"), Text::parse)?;
    patch_str(&mut c.last_name, &e.last_name, field(r, "lastName"), Text::parse)?;
    patch_list(&mut c.identity, &e.identity, &field(r, "identity"), identity)?;
    patch_str(&mut c.gender, &e.gender, field(r, "gender"), ContactGender::parse)?;
    patch_str(&mut c.birthdate, &e.birthdate, field(r, "birthdate"), |s| parse_birthdate(s, today))?;
    patch_str(&mut c.landline_phone_number, &e.landline_phone_number, field(r, "landlinePhoneNumber"), Phone::parse)?;
    patch_str(&mut c.mobile_phone_number, &e.mobile_phone_number, field(r, "mobilePhoneNumber"), parse_e164)?;
    patch_str(&mut c.additional_phone_number, &e.additional_phone_number, field(r, "additionalPhoneNumber"), Phone::parse)?;
    patch_str(&mut c.picture, &e.picture, field(r, "picture"), Text::parse)?;
    patch_str(&mut c.remarks, &e.remarks, field(r, "remarks"), Text::parse)?;
    Ok(())
}

/// A contact can be reached: a mobile or a landline number.
fn check_contact(c: &PartnerContact, r: &str) -> Result<(), FieldError> {
    if c.mobile_phone_number.is_none() && c.landline_phone_number.is_none() {
        return Err(FieldError::new(field(r, "mobilePhoneNumber"), "is required when there is no landlinePhoneNumber"));
    }
    Ok(())
}

/// Applies the sent fields of an address entry (all but `id` and `isPrimary`).
fn apply_address(a: &mut PartnerAddress, e: &AddressEntryInput, r: &str) -> Result<(), FieldError> {
    let text = |slot: &mut Option<Text>, p: &Patch<String>, name: &str| patch_str(slot, p, field(r, name), Text::parse);
    patch_str(&mut a.address_type, &e.address_type, field(r, "type"), AddressType::parse)?;
    text(&mut a.street, &e.street, "street")?;
    text(&mut a.building_number, &e.building_number, "buildingNumber")?;
    text(&mut a.building_name, &e.building_name, "buildingName")?;
    text(&mut a.building_floor, &e.building_floor, "buildingFloor")?;
    text(&mut a.zip_code, &e.zip_code, "zipCode")?;
    text(&mut a.apartment_number, &e.apartment_number, "apartmentNumber")?;
    text(&mut a.entrance, &e.entrance, "entrance")?;
    text(&mut a.city, &e.city, "city")?;
    text(&mut a.province, &e.province, "province")?;
    text(&mut a.state, &e.state, "state")?;
    patch_str(&mut a.country, &e.country, field(r, "country"), parse_country)?;
    text(&mut a.pobox, &e.pobox, "pobox")?;
    patch_str(&mut a.salutation, &e.salutation, field(r, "salutation"), Salutation::parse)?;
    text(&mut a.full_name, &e.full_name, "fullName")?;
    patch_str(&mut a.title, &e.title, field(r, "title"), AddressTitle::parse)?;
    text(&mut a.company, &e.company, "company")?;
    patch_str(&mut a.email_address, &e.email_address, field(r, "emailAddress"), Email::parse)?;
    Ok(())
}

fn apply_invoice(inv: &mut InvoiceConfiguration, i: &InvoiceInput, r: &str) -> Result<(), FieldError> {
    patch_str(&mut inv.charge_by_active, &i.charge_by_active, field(r, "chargeByActive"), ChargeBy::parse)?;
    patch_str(&mut inv.activity_indication, &i.activity_indication, field(r, "activityIndication"), ActivityIndication::parse)?;
    patch_val(&mut inv.device_cost, &i.device_cost, field(r, "deviceCost"), Amount::parse)?;
    patch_str(&mut inv.delivery_method, &i.delivery_method, field(r, "deliveryMethod"), DeliveryMethod::parse)?;
    patch_val(
        &mut inv.payment_due_after_invoice_issued,
        &i.payment_due_after_invoice_issued,
        field(r, "paymentDueAfterInvoiceIssued"),
        |v| parse_payment_due(*v),
    )?;
    patch_str(&mut inv.payment_due_units, &i.payment_due_units, field(r, "paymentDueUnits"), PaymentDueUnits::parse)?;
    patch_val(&mut inv.vat, &i.vat, field(r, "vat"), Amount::parse)?;
    patch_str(&mut inv.invoice_text, &i.invoice_text, field(r, "invoiceText"), InvoiceText::parse)?;
    if inv.payment_due_after_invoice_issued.is_some() && inv.payment_due_units.is_none() {
        return Err(FieldError::new(field(r, "paymentDueUnits"), "is required when paymentDueAfterInvoiceIssued is set"));
    }
    Ok(())
}

/// How one entry's `isPrimary` was sent.
fn primary_flag(p: &Patch<bool>) -> Option<bool> {
    match p {
        Patch::Keep => None,
        Patch::Set(v) => Some(*v),
        Patch::Clear => Some(false),
    }
}

/// A stored contact or address, as far as merging entries by id needs it.
trait Entry {
    fn has_id(&self, raw: &str) -> Result<bool, String>;
    fn is_primary(&self) -> bool;
    fn set_primary(&mut self, primary: bool);
}

impl Entry for PartnerContact {
    fn has_id(&self, raw: &str) -> Result<bool, String> {
        ContactId::parse(raw).map(|id| id == self.id)
    }
    fn is_primary(&self) -> bool {
        self.is_primary
    }
    fn set_primary(&mut self, primary: bool) {
        self.is_primary = primary;
    }
}

impl Entry for PartnerAddress {
    fn has_id(&self, raw: &str) -> Result<bool, String> {
        AddressId::parse(raw).map(|id| id == self.id)
    }
    fn is_primary(&self) -> bool {
        self.is_primary
    }
    fn set_primary(&mut self, primary: bool) {
        self.is_primary = primary;
    }
}

/// A sent contact or address entry, as far as merging entries by id needs it.
trait SentEntry {
    fn id(&self) -> &Patch<String>;
    fn primary(&self) -> &Patch<bool>;
}

impl SentEntry for ContactEntryInput {
    fn id(&self) -> &Patch<String> {
        &self.id
    }
    fn primary(&self) -> &Patch<bool> {
        &self.is_primary
    }
}

impl SentEntry for AddressEntryInput {
    fn id(&self) -> &Patch<String> {
        &self.id
    }
    fn primary(&self) -> &Patch<bool> {
        &self.is_primary
    }
}

/// Merges sent entries of one kind (`contact` or `address`) into the stored ones by id. Returns
/// which stored entry each sent entry changed, with the sent entry's path. Making one entry
/// primary demotes the others; a customer with entries keeps exactly one primary entry.
fn merge_entries<T: Entry, E: SentEntry>(
    entries: &mut [T],
    sent: &[E],
    kind: &str,
    mut apply: impl FnMut(&mut T, &E, &str) -> Result<(), FieldError>,
) -> Result<Vec<(usize, String)>, FieldError> {
    let mut touched: Vec<(usize, String)> = Vec::new();
    let mut promoted: Option<usize> = None;
    let mut demoted_at: Option<String> = None;
    for (i, e) in sent.iter().enumerate() {
        let r = format!("{kind}[{i}]");
        let id_ref = field(&r, "id");
        let Patch::Set(raw_id) = e.id() else {
            return Err(FieldError::new(id_ref, format!("is required: existing {kind} entries are changed by their id")));
        };
        let mut found = None;
        for (pos, entry) in entries.iter().enumerate() {
            if entry.has_id(raw_id).map_err(|m| FieldError::new(id_ref.clone(), m))? {
                found = Some(pos);
            }
        }
        let pos = found
            .ok_or_else(|| FieldError::new(id_ref.clone(), format!("is not a {kind} of this customer: {}", raw_id.trim())))?;
        if touched.iter().any(|(p, _)| *p == pos) {
            return Err(FieldError::new(id_ref, "is sent more than once"));
        }
        apply(&mut entries[pos], e, &r)?;
        match primary_flag(e.primary()) {
            Some(true) => {
                if promoted.is_some() {
                    return Err(FieldError::new(field(&r, "isPrimary"), format!("only one {kind} can be primary")));
                }
                promoted = Some(pos);
            }
            Some(false) if entries[pos].is_primary() => {
                entries[pos].set_primary(false);
                demoted_at = Some(field(&r, "isPrimary"));
            }
            _ => {}
        }
        touched.push((pos, r));
    }
    if let Some(p) = promoted {
        for (k, entry) in entries.iter_mut().enumerate() {
            entry.set_primary(k == p);
        }
    }
    if !entries.is_empty() && !entries.iter().any(Entry::is_primary) {
        let reference = demoted_at.unwrap_or_else(|| format!("{kind}[0].isPrimary"));
        return Err(FieldError::new(
            reference,
            format!("cannot be false: one {kind} must stay primary; make another one primary instead"),
        ));
    }
    Ok(touched)
}

fn modify_contacts(contacts: &mut [PartnerContact], sent: &[ContactEntryInput], today: Date) -> Result<(), FieldError> {
    let touched = merge_entries(contacts, sent, "contact", |c, e, r| apply_contact(c, e, r, today))?;
    for (pos, r) in &touched {
        check_contact(&contacts[*pos], r)?;
    }
    Ok(())
}

fn modify_addresses(addresses: &mut [PartnerAddress], sent: &[AddressEntryInput]) -> Result<(), FieldError> {
    let touched = merge_entries(addresses, sent, "address", apply_address)?;
    // A changed primary address must still be a valid postal address.
    for (pos, r) in &touched {
        if addresses[*pos].is_primary {
            address_data(&addresses[*pos], None, r)?;
        }
    }
    Ok(())
}

impl PartnerCustomer {
    /// This customer with `input` merged in, or the first field that is invalid.
    pub fn modify(&self, input: &ModifyInput, today: Date) -> Result<PartnerCustomer, FieldError> {
        let mut next = self.clone();
        let p = &mut next.profile;
        patch_str(&mut p.customer_type, &input.customer_type, "type".into(), CustomerType::parse)?;
        patch_str(&mut p.name, &input.name, "name".into(), Text::parse)?;
        patch_bool(&mut p.allow_offer_delegation, &input.allow_offer_delegation, "allowOfferDelegation")?;
        patch_bool(&mut p.is_allowed_imei_lock, &input.is_allowed_imei_lock, "isAllowedImeiLock")?;
        patch_str(&mut p.vat_registration_number, &input.vat_registration_number, "vatRegistrationNumber".into(), Text::parse)?;
        patch_required(&mut p.mfa_configuration, &input.mfa_configuration, "mfaConfiguration".into(), MfaConfiguration::parse)?;
        match &input.invoice_configuration {
            Patch::Keep => {}
            Patch::Clear => p.invoice_configuration = None,
            Patch::Set(i) => {
                let mut inv = p.invoice_configuration.clone().unwrap_or_default();
                apply_invoice(&mut inv, i, "invoiceConfiguration")?;
                p.invoice_configuration = Some(inv);
            }
        }
        patch_list(&mut p.campaign, &input.campaign, "campaign", campaign)?;
        patch_list(&mut p.custom_fields, &input.custom_fields, "customFields", custom_field)?;
        // An empty element means NULL (`null` or `[]`), and the entries cannot become NULL as a
        // whole: refused, rather than acknowledged as a change that changes nothing.
        match &input.contact {
            Patch::Keep => {}
            Patch::Set(sent) if !sent.is_empty() => modify_contacts(&mut next.contacts, sent, today)?,
            Patch::Clear | Patch::Set(_) => {
                return Err(FieldError::new("contact", "cannot be removed as a whole: change contacts one by one by their id"));
            }
        }
        match &input.address {
            Patch::Keep => {}
            Patch::Set(sent) if !sent.is_empty() => modify_addresses(&mut next.addresses, sent)?,
            Patch::Clear | Patch::Set(_) => {
                return Err(FieldError::new("address", "cannot be removed as a whole: change addresses one by one by their id"));
            }
        }
        Ok(next)
    }
}

/// A new customer's profile, contacts and addresses, before it has a place in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartner {
    pub profile: PartnerProfile,
    pub contacts: Vec<PartnerContact>,
    pub addresses: Vec<PartnerAddress>,
}

fn required<T>(raw: &Option<String>, reference: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<T, FieldError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Err(FieldError::new(reference, "is required")),
        Some(s) => parse(s).map_err(|m| FieldError::new(reference, m)),
    }
}

fn optional<T>(
    raw: &Option<String>,
    reference: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, FieldError> {
    let mut slot = None;
    patch_str(&mut slot, &raw.clone().map_or(Patch::Clear, Patch::Set), reference.into(), parse)?;
    Ok(slot)
}

/// The index of the entry sent as primary, the first entry when none is, and an error when
/// several are.
fn choose_primary(flags: &[bool], kind: &str) -> Result<Option<usize>, FieldError> {
    let marked: Vec<usize> = flags.iter().enumerate().filter(|(_, f)| **f).map(|(i, _)| i).collect();
    match marked.as_slice() {
        [] => Ok((!flags.is_empty()).then_some(0)),
        [one] => Ok(Some(*one)),
        [_, second, ..] => Err(FieldError::new(format!("{kind}[{second}].isPrimary"), format!("only one {kind} can be primary"))),
    }
}

impl NewPartner {
    /// Parses a new customer. `new_id` gives the ids of its contacts and addresses. Defaults:
    /// type PRIVATE, mfaConfiguration MANDATORY, both permissions false, invoice configuration
    /// charged by SIM with network registration as activity; the first contact and address are
    /// primary unless another one is sent as primary.
    pub fn parse(input: &CreateInput, new_id: &mut dyn FnMut() -> Uuid, today: Date) -> Result<NewPartner, FieldError> {
        let mut invoice = InvoiceConfiguration::defaults();
        if let Some(i) = &input.invoice_configuration {
            apply_invoice(&mut invoice, i, "invoiceConfiguration")?;
        }
        let mut campaigns = None;
        patch_list(&mut campaigns, &input.campaign.clone().map_or(Patch::Clear, Patch::Set), "campaign", campaign)?;
        let mut custom_fields = None;
        patch_list(
            &mut custom_fields,
            &input.custom_fields.clone().map_or(Patch::Clear, Patch::Set),
            "customFields",
            custom_field,
        )?;
        let profile = PartnerProfile {
            status: required(&input.status, "status", LifecycleStatus::parse)?,
            customer_type: Some(optional(&input.customer_type, "type", CustomerType::parse)?.unwrap_or(CustomerType::Private)),
            name: optional(&input.name, "name", Text::parse)?,
            currency: required(&input.currency, "currency", Currency::parse)?,
            allow_offer_delegation: input.allow_offer_delegation.unwrap_or(false),
            is_allowed_imei_lock: input.is_allowed_imei_lock.unwrap_or(false),
            is_imei_lock_enabled: false,
            vat_registration_number: optional(&input.vat_registration_number, "vatRegistrationNumber", Text::parse)?,
            mfa_configuration: optional(&input.mfa_configuration, "mfaConfiguration", MfaConfiguration::parse)?
                .unwrap_or(MfaConfiguration::Mandatory),
            invoice_configuration: Some(invoice),
            campaign: campaigns,
            custom_fields,
        };

        let mut contacts = Vec::with_capacity(input.contact.len());
        for (i, e) in input.contact.iter().enumerate() {
            let r = format!("contact[{i}]");
            if !e.id.is_keep() {
                return Err(FieldError::new(field(&r, "id"), "is assigned by the server: leave it out when creating a customer"));
            }
            if !matches!(&e.role, Patch::Set(s) if !s.trim().is_empty()) {
                return Err(FieldError::new(field(&r, "role"), "is required"));
            }
            let mut c = PartnerContact::new(ContactId::from_uuid(new_id()), ContactRole::None);
            apply_contact(&mut c, e, &r, today)?;
            check_contact(&c, &r)?;
            contacts.push(c);
        }
        let flags: Vec<bool> = input.contact.iter().map(|e| primary_flag(&e.is_primary) == Some(true)).collect();
        if let Some(p) = choose_primary(&flags, "contact")? {
            contacts[p].is_primary = true;
        }

        let mut addresses = Vec::with_capacity(input.address.len());
        for (i, e) in input.address.iter().enumerate() {
            let r = format!("address[{i}]");
            if !e.id.is_keep() {
                return Err(FieldError::new(field(&r, "id"), "is assigned by the server: leave it out when creating a customer"));
            }
            let mut a = PartnerAddress::new(AddressId::from_uuid(new_id()));
            apply_address(&mut a, e, &r)?;
            addresses.push(a);
        }
        let flags: Vec<bool> = input.address.iter().map(|e| primary_flag(&e.is_primary) == Some(true)).collect();
        if let Some(p) = choose_primary(&flags, "address")? {
            addresses[p].is_primary = true;
            address_data(&addresses[p], None, &format!("address[{p}]"))?;
        }
        Ok(NewPartner { profile, contacts, addresses })
    }
}
