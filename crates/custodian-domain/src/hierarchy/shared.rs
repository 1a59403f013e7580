//! Where the partner profile overlaps the shared data domains, so that every dialect sees one
//! truth: the primary contact's e-mail address and phone numbers are the customer's contact data,
//! and the primary address is the customer's postal address.
//!
//! | partner field                          | shared domain field              |
//! |----------------------------------------|----------------------------------|
//! | contact `emailAddress`                 | contact `email`                  |
//! | contact `landlinePhoneNumber`          | contact `phonePrivate`           |
//! | contact `mobilePhoneNumber`            | contact `phonePrivateMobile`     |
//! | contact `additionalPhoneNumber`        | contact `phoneBusiness`          |
//! | address `street`, `zipCode`, `city`, `province`, `buildingName` | same names |
//! | address `buildingNumber`               | address `houseNumber`            |
//! | address `buildingFloor`                | address `floor`                  |
//! | address `apartmentNumber`              | address `door`                   |
//! | address `entrance`                     | address `portal`                 |
//! | address `country` (a name; stored alpha-2) | address `countryCode`          |
//!
//! Shared fields the partner API has no name for (`phoneBusinessMobile`, `secondStreet`, …) are
//! kept as they are when the partner API writes the domain.

use super::profile::{PartnerAddress, PartnerContact, PartnerCustomer};
use crate::data::{AddressData, AddressInput, ContactData};
use crate::error::FieldError;
use crate::values::Text;

/// Shows the customer's contact data as the primary contact's e-mail address and phones.
pub fn overlay_contact(c: &mut PartnerContact, d: &ContactData) {
    c.email_address = d.email.clone();
    c.landline_phone_number = d.phone_private.clone();
    c.mobile_phone_number = d.phone_private_mobile.clone();
    c.additional_phone_number = d.phone_business.clone();
}

/// The customer's contact data when `c` is its primary contact; unmapped fields kept from `current`.
pub fn contact_data(c: &PartnerContact, current: Option<&ContactData>) -> ContactData {
    ContactData {
        email: c.email_address.clone(),
        phone_private: c.landline_phone_number.clone(),
        phone_private_mobile: c.mobile_phone_number.clone(),
        phone_business: c.additional_phone_number.clone(),
        phone_business_mobile: current.and_then(|d| d.phone_business_mobile.clone()),
    }
}

/// Shows the customer's postal address as the primary address.
pub fn overlay_address(a: &mut PartnerAddress, d: &AddressData) {
    a.street = Some(d.street.clone());
    a.building_number = d.house_number.clone();
    a.zip_code = Some(d.zip_code.clone());
    a.city = Some(d.city.clone());
    a.country = Some(d.country_code.clone());
    a.province = d.province.clone();
    a.building_name = d.building_name.clone();
    a.building_floor = d.floor.clone();
    a.apartment_number = d.door.clone();
    a.entrance = d.portal.clone();
}

/// The partner name of a field of the shared address domain.
fn partner_field(shared: &str) -> &str {
    match shared {
        "houseNumber" => "buildingNumber",
        "countryCode" => "country",
        "floor" => "buildingFloor",
        "door" => "apartmentNumber",
        "portal" => "entrance",
        other => other,
    }
}

/// The customer's postal address when `a` is its primary address, validated exactly as every
/// other dialect's address changes are (street, zip code, city and country are required).
/// Unmapped fields are kept from `current`; errors name the partner field under `reference`.
pub fn address_data(a: &PartnerAddress, current: Option<&AddressData>, reference: &str) -> Result<AddressData, FieldError> {
    let s = |t: &Option<Text>| t.as_ref().map(|t| t.as_str().to_owned());
    let keep = |f: fn(&AddressData) -> &Option<Text>| current.and_then(|d| f(d).as_ref()).map(|t| t.as_str().to_owned());
    let (street, house, zip, city, province, building, floor, door, portal) = (
        s(&a.street),
        s(&a.building_number),
        s(&a.zip_code),
        s(&a.city),
        s(&a.province),
        s(&a.building_name),
        s(&a.building_floor),
        s(&a.apartment_number),
        s(&a.entrance),
    );
    let country = a.country.as_ref().map(|c| c.as_str().to_owned());
    let (province_code, second_street, city_part, district) =
        (keep(|d| &d.province_code), keep(|d| &d.second_street), keep(|d| &d.city_part), keep(|d| &d.district));
    let (street_type, street_block, stairway, additional) =
        (keep(|d| &d.street_type), keep(|d| &d.street_block), keep(|d| &d.stairway), keep(|d| &d.additional_address_information));
    AddressData::parse(AddressInput {
        street: street.as_deref(),
        house_number: house.as_deref(),
        zip_code: zip.as_deref(),
        city: city.as_deref(),
        country_code: country.as_deref(),
        province: province.as_deref(),
        province_code: province_code.as_deref(),
        second_street: second_street.as_deref(),
        city_part: city_part.as_deref(),
        district: district.as_deref(),
        street_type: street_type.as_deref(),
        street_block: street_block.as_deref(),
        portal: portal.as_deref(),
        stairway: stairway.as_deref(),
        door: door.as_deref(),
        additional_address_information: additional.as_deref(),
        floor: floor.as_deref(),
        building_name: building.as_deref(),
    })
    .map_err(|e| {
        let message = if e.message == "is required" { "is required for the primary address".to_owned() } else { e.message };
        FieldError::new(format!("{reference}.{}", partner_field(&e.reference)), message)
    })
}

/// What the shared domains should hold for this customer: the contact data of its primary contact
/// and the postal address of its primary address (`None` where there is no primary entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedData {
    pub contact: Option<ContactData>,
    pub address: Option<AddressData>,
}

/// The shared domains' data implied by the primary contact and address of `contacts` and
/// `addresses`; unmapped fields are kept from the current data.
pub fn shared_data(
    contacts: &[PartnerContact],
    addresses: &[PartnerAddress],
    contact: Option<&ContactData>,
    address: Option<&AddressData>,
) -> Result<SharedData, FieldError> {
    let primary_address = addresses.iter().enumerate().find(|(_, a)| a.is_primary);
    Ok(SharedData {
        contact: contacts.iter().find(|c| c.is_primary).map(|c| contact_data(c, contact)),
        address: primary_address.map(|(i, a)| address_data(a, address, &format!("address[{i}]"))).transpose()?,
    })
}

impl PartnerCustomer {
    /// Shows the shared domains' current data on the primary contact and address.
    pub fn with_shared(mut self, contact: Option<&ContactData>, address: Option<&AddressData>) -> PartnerCustomer {
        if let (Some(c), Some(d)) = (self.contacts.iter_mut().find(|c| c.is_primary), contact) {
            overlay_contact(c, d);
        }
        if let (Some(a), Some(d)) = (self.addresses.iter_mut().find(|a| a.is_primary), address) {
            overlay_address(a, d);
        }
        self
    }

    /// The shared domains' data implied by this customer's primary contact and address.
    pub fn shared_data(&self, contact: Option<&ContactData>, address: Option<&AddressData>) -> Result<SharedData, FieldError> {
        shared_data(&self.contacts, &self.addresses, contact, address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ContactInput;
    use crate::hierarchy::ids::{AddressId, ContactId};
    use crate::hierarchy::values::ContactRole;
    use crate::values::{CountryCode, Email, Phone};

    fn contact_domain() -> ContactData {
        ContactData::parse(ContactInput {
            email: Some("shared@example.com"),
            phone_private: Some("+49 30 1234567"),
            phone_business_mobile: Some("+49 171 7654321"),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn the_primary_contact_shows_and_writes_the_shared_contact_data() {
        let mut c = PartnerContact::new(ContactId::parse("00000000-0000-4000-8000-000000000001").unwrap(), ContactRole::Selfcare);
        overlay_contact(&mut c, &contact_domain());
        assert_eq!(c.email_address.as_ref().unwrap().as_str(), "shared@example.com");
        assert_eq!(c.landline_phone_number.as_ref().unwrap().as_str(), "+49 30 1234567");
        c.email_address = Some(Email::parse("partner@example.com").unwrap());
        c.mobile_phone_number = Some(Phone::parse("+4917112345678").unwrap());
        let d = contact_data(&c, Some(&contact_domain()));
        assert_eq!(d.email.unwrap().as_str(), "partner@example.com");
        assert_eq!(d.phone_private_mobile.unwrap().as_str(), "+4917112345678");
        assert_eq!(d.phone_business_mobile.unwrap().as_str(), "+49 171 7654321", "an unmapped field is kept");
    }

    #[test]
    fn the_primary_address_passes_the_shared_address_validation() {
        let mut a = PartnerAddress::new(AddressId::parse("00000000-0000-4000-8000-000000000002").unwrap());
        a.street = Some(Text::parse("Am Bahnhof").unwrap());
        a.building_number = Some(Text::parse("90").unwrap());
        a.zip_code = Some(Text::parse("12133").unwrap());
        a.city = Some(Text::parse("Munich").unwrap());
        a.apartment_number = Some(Text::parse("5").unwrap());
        let e = address_data(&a, None, "address[0]").unwrap_err();
        assert_eq!(e.reference, "address[0].country");
        assert_eq!(e.message, "is required for the primary address");
        a.country = Some(CountryCode::parse("DE").unwrap());
        let d = address_data(&a, None, "address[0]").unwrap();
        assert_eq!(d.house_number.as_ref().unwrap().as_str(), "90");
        assert_eq!(d.door.as_ref().unwrap().as_str(), "5");
        let mut back = PartnerAddress::new(a.id);
        back.is_primary = true;
        overlay_address(&mut back, &d);
        assert_eq!(back.building_number, a.building_number);
        assert_eq!(back.country, a.country);
        assert_eq!(address_data(&back, Some(&d), "address[0]").unwrap(), d, "reading and writing back changes nothing");
    }

    #[test]
    fn an_invalid_postal_code_names_the_partner_field() {
        let mut a = PartnerAddress::new(AddressId::parse("00000000-0000-4000-8000-000000000002").unwrap());
        a.street = Some(Text::parse("Am Bahnhof").unwrap());
        a.zip_code = Some(Text::parse("12#33").unwrap());
        a.city = Some(Text::parse("Munich").unwrap());
        a.country = Some(CountryCode::parse("DE").unwrap());
        assert_eq!(address_data(&a, None, "address[1]").unwrap_err().reference, "address[1].zipCode");
    }
}
