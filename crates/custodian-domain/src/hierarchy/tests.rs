//! Creating and changing partner customers: defaults, merge-patch semantics, entries by id, the
//! primary-entry rules and the mapping onto the shared domains.

use super::*;
use crate::data::{AddressData, AddressInput, ContactData, ContactInput};
use crate::ids::CustomerId;
use time::macros::date;
use uuid::Uuid;

const TODAY: time::Date = date!(2026 - 11 - 26);

fn s(v: &str) -> Patch<String> {
    Patch::Set(v.to_owned())
}

fn ids() -> impl FnMut() -> Uuid {
    let mut n = 0u128;
    move || {
        n += 1;
        Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000 | n)
    }
}

fn owner() -> ContactEntryInput {
    ContactEntryInput {
        role: s("SELFCARE"),
        contact_type: s("OWNER"),
        first_name: s("Ada"),
        last_name: s("Lovelace"),
        email_address: s("ada@example.com"),
        mobile_phone_number: s("+4917112345678"),
        birthdate: s("10121975"),
        ..Default::default()
    }
}

fn member() -> ContactEntryInput {
    ContactEntryInput {
        role: s("NONE"),
        first_name: s("Charles"),
        landline_phone_number: s("+44 20 7946 0000"),
        ..Default::default()
    }
}

fn office() -> AddressEntryInput {
    AddressEntryInput {
        address_type: s("MAILING"),
        street: s("Am Bahnhof"),
        building_number: s("90"),
        zip_code: s("12133"),
        city: s("Munich"),
        country: s("DE"),
        ..Default::default()
    }
}

fn create_input() -> CreateInput {
    CreateInput {
        status: Some("ACTIVE".into()),
        name: Some("Volvo Fleet".into()),
        currency: Some("EUR".into()),
        contact: vec![owner(), member()],
        address: vec![office()],
        ..Default::default()
    }
}

fn customer() -> PartnerCustomer {
    let n = NewPartner::parse(&create_input(), &mut ids(), TODAY).unwrap();
    PartnerCustomer {
        uuid: CustomerUuid::parse("00000000-0000-4000-8000-00000000aaaa").unwrap(),
        id: CustomerId(7),
        ancestors: vec![CustomerId(1)],
        profile: n.profile,
        contacts: n.contacts,
        addresses: n.addresses,
    }
}

fn modify(input: ModifyInput) -> Result<PartnerCustomer, crate::FieldError> {
    customer().modify(&input, TODAY)
}

fn contact_patch(c: &PartnerContact, f: impl FnOnce(&mut ContactEntryInput)) -> ModifyInput {
    let mut e = ContactEntryInput { id: s(&c.id.to_string()), ..Default::default() };
    f(&mut e);
    ModifyInput { contact: Patch::Set(vec![e]), ..Default::default() }
}

#[test]
fn a_new_customer_gets_the_documented_defaults() {
    let c = customer();
    let p = &c.profile;
    assert_eq!(p.customer_type, Some(values::CustomerType::Private));
    assert_eq!(p.mfa_configuration, values::MfaConfiguration::Mandatory);
    assert!(!p.allow_offer_delegation && !p.is_allowed_imei_lock && !p.is_imei_lock_enabled);
    let inv = p.invoice_configuration.as_ref().unwrap();
    assert_eq!(inv.charge_by_active, Some(values::ChargeBy::Sim));
    assert_eq!(inv.activity_indication, Some(values::ActivityIndication::NetworkRegistration));
    assert!(c.contacts[0].is_primary && !c.contacts[1].is_primary, "the first contact is primary");
    assert!(c.addresses[0].is_primary);
    assert_ne!(c.contacts[0].id, c.contacts[1].id);
}

#[test]
fn a_new_customer_needs_a_status_a_currency_and_reachable_contacts_with_a_role() {
    let err = |f: fn(&mut CreateInput)| {
        let mut i = create_input();
        f(&mut i);
        NewPartner::parse(&i, &mut ids(), TODAY).unwrap_err()
    };
    assert_eq!(err(|i| i.status = None).reference, "status");
    assert_eq!(err(|i| i.currency = Some("EURO".into())).reference, "currency");
    assert_eq!(err(|i| i.contact[1].role = Patch::Keep).reference, "contact[1].role");
    assert_eq!(err(|i| i.contact[1].landline_phone_number = Patch::Keep).reference, "contact[1].mobilePhoneNumber");
    assert_eq!(err(|i| i.contact[0].id = s("00000000-0000-4000-8000-000000000001")).reference, "contact[0].id");
    assert_eq!(err(|i| i.contact[0].mobile_phone_number = s("+49 171 1234567")).reference, "contact[0].mobilePhoneNumber");
    assert_eq!(err(|i| i.address[0].city = Patch::Keep).reference, "address[0].city");
    let e = err(|i| {
        i.contact[0].is_primary = Patch::Set(true);
        i.contact[1].is_primary = Patch::Set(true);
    });
    assert_eq!((e.reference.as_str(), e.message.as_str()), ("contact[1].isPrimary", "only one contact can be primary"));
}

#[test]
fn a_sent_primary_flag_chooses_the_primary_entry_on_creation() {
    let mut i = create_input();
    i.contact[1].is_primary = Patch::Set(true);
    let n = NewPartner::parse(&i, &mut ids(), TODAY).unwrap();
    assert!(!n.contacts[0].is_primary && n.contacts[1].is_primary);
}

#[test]
fn elements_not_sent_stay_and_the_seed_example_changes_only_the_name() {
    let before = customer();
    let after = modify(ModifyInput { name: s("Volvo"), ..Default::default() }).unwrap();
    assert_eq!(after.profile.name.as_ref().unwrap().as_str(), "Volvo");
    let mut expected = before.clone();
    expected.profile.name = after.profile.name.clone();
    assert_eq!(after, expected);
}

#[test]
fn null_and_empty_elements_override_the_stored_value_with_null() {
    let cleared = modify(ModifyInput { name: Patch::Clear, vat_registration_number: s(""), ..Default::default() }).unwrap();
    assert_eq!(cleared.profile.name, None);
    assert_eq!(cleared.profile.vat_registration_number, None);
    let cleared =
        modify(ModifyInput { invoice_configuration: Patch::Clear, campaign: Patch::Set(vec![]), ..Default::default() }).unwrap();
    assert_eq!(cleared.profile.invoice_configuration, None);
    assert_eq!(cleared.profile.campaign, None);
}

#[test]
fn elements_that_always_have_a_value_cannot_be_emptied() {
    let e = modify(ModifyInput { allow_offer_delegation: Patch::Clear, ..Default::default() }).unwrap_err();
    assert_eq!((e.reference.as_str(), e.message.as_str()), ("allowOfferDelegation", "cannot be empty: send true or false"));
    assert_eq!(modify(ModifyInput { mfa_configuration: s(""), ..Default::default() }).unwrap_err().reference, "mfaConfiguration");
    let c = customer();
    let e = modify(contact_patch(&c.contacts[0], |e| e.role = Patch::Clear)).unwrap_err();
    assert_eq!(e.reference, "contact[0].role");
}

#[test]
fn the_invoice_configuration_is_merged_field_by_field() {
    let inv = InvoiceInput { vat: Patch::Set(serde_json::Number::from(19)), charge_by_active: s("IMSI"), ..Default::default() };
    let after = modify(ModifyInput { invoice_configuration: Patch::Set(inv), ..Default::default() }).unwrap();
    let inv = after.profile.invoice_configuration.unwrap();
    assert_eq!(inv.charge_by_active, Some(values::ChargeBy::Imsi));
    assert_eq!(inv.vat.unwrap().as_number().to_string(), "19");
    assert_eq!(inv.activity_indication, Some(values::ActivityIndication::NetworkRegistration), "not sent, kept");

    let due = InvoiceInput { payment_due_after_invoice_issued: Patch::Set(30), ..Default::default() };
    let e = modify(ModifyInput { invoice_configuration: Patch::Set(due), ..Default::default() }).unwrap_err();
    assert_eq!(e.reference, "invoiceConfiguration.paymentDueUnits");
}

#[test]
fn a_contact_is_changed_by_its_id_and_only_in_the_fields_sent() {
    let c = customer();
    let after = modify(contact_patch(&c.contacts[1], |e| {
        e.email_address = s("charles@example.com");
        e.middle_name = s("");
    }))
    .unwrap();
    assert_eq!(after.contacts[1].email_address.as_ref().unwrap().as_str(), "charles@example.com");
    assert_eq!(after.contacts[1].first_name, c.contacts[1].first_name);
    assert_eq!(after.contacts[0], c.contacts[0]);
}

#[test]
fn contact_entries_need_a_known_id_sent_once() {
    let c = customer();
    let e = modify(ModifyInput { contact: Patch::Set(vec![ContactEntryInput::default()]), ..Default::default() }).unwrap_err();
    assert_eq!(e.reference, "contact[0].id");
    let e = modify(contact_patch(&c.contacts[0], |e| e.id = s("00000000-0000-4000-8000-0000000000ff"))).unwrap_err();
    assert_eq!(e.message, "is not a contact of this customer: 00000000-0000-4000-8000-0000000000ff");
    let e = modify(contact_patch(&c.contacts[0], |e| e.id = s("nope"))).unwrap_err();
    assert!(e.message.starts_with("is not a UUID"), "{e}");
    let id = s(&c.contacts[0].id.to_string());
    let twice = vec![ContactEntryInput { id: id.clone(), ..Default::default() }, ContactEntryInput { id, ..Default::default() }];
    let e = modify(ModifyInput { contact: Patch::Set(twice), ..Default::default() }).unwrap_err();
    assert_eq!(e.reference, "contact[1].id");
    let e = modify(ModifyInput { contact: Patch::Clear, ..Default::default() }).unwrap_err();
    assert_eq!(e.reference, "contact");
}

#[test]
fn empty_contact_or_address_lists_mean_null_and_are_refused_naming_the_element() {
    for (input, element) in [
        (ModifyInput { contact: Patch::Set(vec![]), ..Default::default() }, "contact"),
        (ModifyInput { contact: Patch::Clear, ..Default::default() }, "contact"),
        (ModifyInput { address: Patch::Set(vec![]), ..Default::default() }, "address"),
        (ModifyInput { address: Patch::Clear, ..Default::default() }, "address"),
    ] {
        let e = modify(input).unwrap_err();
        assert_eq!(e.reference, element);
        assert!(e.message.starts_with("cannot be removed as a whole"), "{e}");
    }
}

#[test]
fn making_a_contact_primary_demotes_the_previous_one_but_one_must_stay_primary() {
    let c = customer();
    let after = modify(contact_patch(&c.contacts[1], |e| e.is_primary = Patch::Set(true))).unwrap();
    assert!(!after.contacts[0].is_primary && after.contacts[1].is_primary);
    let e = modify(contact_patch(&c.contacts[0], |e| e.is_primary = Patch::Set(false))).unwrap_err();
    assert_eq!(e.reference, "contact[0].isPrimary");
}

#[test]
fn a_changed_contact_must_stay_reachable_and_its_mobile_number_international() {
    let c = customer();
    let e = modify(contact_patch(&c.contacts[1], |e| e.landline_phone_number = Patch::Clear)).unwrap_err();
    assert_eq!(e.reference, "contact[0].mobilePhoneNumber");
    let e = modify(contact_patch(&c.contacts[0], |e| e.mobile_phone_number = s("0171 1234567"))).unwrap_err();
    assert_eq!(e.reference, "contact[0].mobilePhoneNumber");
}

#[test]
fn a_changed_primary_address_must_stay_a_valid_postal_address() {
    let c = customer();
    let mut e = AddressEntryInput { id: s(&c.addresses[0].id.to_string()), city: Patch::Clear, ..Default::default() };
    let err = modify(ModifyInput { address: Patch::Set(vec![e.clone()]), ..Default::default() }).unwrap_err();
    assert_eq!((err.reference.as_str(), err.message.as_str()), ("address[0].city", "is required for the primary address"));
    e.city = s("Berlin");
    e.country = s("Atlantis");
    let err = modify(ModifyInput { address: Patch::Set(vec![e]), ..Default::default() }).unwrap_err();
    assert_eq!(err.reference, "address[0].country");
}

#[test]
fn the_primary_entries_show_and_imply_the_shared_domains() {
    let c = customer();
    let shared = c.shared_data(None, None).unwrap();
    assert_eq!(shared.contact.as_ref().unwrap().email.as_ref().unwrap().as_str(), "ada@example.com");
    assert_eq!(shared.address.as_ref().unwrap().house_number.as_ref().unwrap().as_str(), "90");

    let domain = ContactData::parse(ContactInput { email: Some("self@example.com"), ..Default::default() }).unwrap();
    let address = AddressData::parse(AddressInput {
        street: Some("Hauptstraße"),
        zip_code: Some("10115"),
        city: Some("Berlin"),
        country_code: Some("DE"),
        ..Default::default()
    })
    .unwrap();
    let seen = c.with_shared(Some(&domain), Some(&address));
    assert_eq!(seen.contacts[0].email_address.as_ref().unwrap().as_str(), "self@example.com");
    assert_eq!(seen.contacts[0].mobile_phone_number, None);
    assert_eq!(seen.contacts[1], customer().contacts[1], "a non-primary contact is its own");
    assert_eq!(seen.addresses[0].city.as_ref().unwrap().as_str(), "Berlin");
    assert_eq!(seen.addresses[0].building_number, None);
    let again = seen.shared_data(Some(&domain), Some(&address)).unwrap();
    assert_eq!(
        (again.contact.as_ref(), again.address.as_ref()),
        (Some(&domain), Some(&address)),
        "unchanged data implies no change"
    );
}

#[test]
fn the_audit_view_leaves_the_shared_fields_of_primary_entries_to_their_domains() {
    let c = customer();
    let v = c.audit_view();
    assert_eq!(v["name"], "Volvo Fleet");
    let primary = &v[format!("contact[{}]", c.contacts[0].id)];
    assert!(primary.get("emailAddress").is_none() && primary["firstName"] == "Ada", "{primary}");
    let other = &v[format!("contact[{}]", c.contacts[1].id)];
    assert_eq!(other["landlinePhoneNumber"], "+44 20 7946 0000");
    assert!(v[format!("address[{}]", c.addresses[0].id)].get("city").is_none());
}

#[test]
fn stored_json_round_trips() {
    let c = customer();
    let profile: PartnerProfile = serde_json::from_value(serde_json::to_value(&c.profile).unwrap()).unwrap();
    assert_eq!(profile, c.profile);
    let contact: PartnerContact = serde_json::from_value(serde_json::to_value(&c.contacts[0]).unwrap()).unwrap();
    assert_eq!(contact, c.contacts[0]);
    assert_eq!(serde_json::to_value(&c.contacts[0]).unwrap()["birthdate"], "10121975");
}
