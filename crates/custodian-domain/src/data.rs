//! The four self-service data domains of a customer (contact, address, master, payment) with the
//! fields, required flags and enums of the vendor schema. Each is built from loose input by `parse`.

use crate::error::FieldError;
use crate::hierarchy::Patch;
use crate::values::{Bic, CountryCode, Email, Iban, Phone, Text, format_date, parse_date};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use time::Date;

/// One of the four self-service data domains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataDomain {
    Contact,
    Address,
    Master,
    Payment,
}

impl DataDomain {
    pub const ALL: [DataDomain; 4] = [DataDomain::Contact, DataDomain::Address, DataDomain::Master, DataDomain::Payment];

    /// The stable lowercase name used in storage and the native API.
    pub fn as_str(self) -> &'static str {
        match self {
            DataDomain::Contact => "contact",
            DataDomain::Address => "address",
            DataDomain::Master => "master",
            DataDomain::Payment => "payment",
        }
    }

    /// The path segment of the self-service API (`contact-data`).
    pub fn path_segment(self) -> &'static str {
        match self {
            DataDomain::Contact => "contact-data",
            DataDomain::Address => "address-data",
            DataDomain::Master => "master-data",
            DataDomain::Payment => "payment-data",
        }
    }
}

impl DataDomain {
    /// The domain's field names as every dialect and the import files spell them (camelCase).
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            DataDomain::Contact => &["email", "phonePrivate", "phonePrivateMobile", "phoneBusiness", "phoneBusinessMobile"],
            DataDomain::Address => &[
                "street",
                "houseNumber",
                "zipCode",
                "city",
                "countryCode",
                "province",
                "provinceCode",
                "secondStreet",
                "cityPart",
                "district",
                "streetType",
                "streetBlock",
                "portal",
                "stairway",
                "door",
                "additionalAddressInformation",
                "floor",
                "buildingName",
            ],
            DataDomain::Master => &["firstName", "lastName", "gender", "dateOfBirth", "customerTitle", "countryOfBirth"],
            DataDomain::Payment => &["accountHolder", "bankName", "iban", "bic"],
        }
    }
}

impl fmt::Display for DataDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DataDomain {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DataDomain::ALL
            .into_iter()
            .find(|d| d.as_str() == s || d.path_segment() == s)
            .ok_or_else(|| format!("unknown data domain {s:?}: expected contact, address, master or payment"))
    }
}

fn required<T>(reference: &str, raw: Option<&str>, parse: impl Fn(&str) -> Result<T, String>) -> Result<T, FieldError> {
    match raw {
        None => Err(FieldError::new(reference, "is required")),
        Some(v) => parse(v).map_err(|m| FieldError::new(reference, m)),
    }
}

/// Optional fields: absent, null or blank all mean "not set".
fn optional<T>(reference: &str, raw: Option<&str>, parse: impl Fn(&str) -> Result<T, String>) -> Result<Option<T>, FieldError> {
    match raw {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => parse(v).map(Some).map_err(|m| FieldError::new(reference, m)),
    }
}

/// Contact data: e-mail and four phone numbers, all optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ContactData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_private: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_private_mobile: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_business: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_business_mobile: Option<Phone>,
}

/// Loose contact input as it arrives from any dialect.
#[derive(Debug, Clone, Default)]
pub struct ContactInput<'a> {
    pub email: Option<&'a str>,
    pub phone_private: Option<&'a str>,
    pub phone_private_mobile: Option<&'a str>,
    pub phone_business: Option<&'a str>,
    pub phone_business_mobile: Option<&'a str>,
}

impl ContactData {
    pub fn parse(i: ContactInput<'_>) -> Result<ContactData, FieldError> {
        Ok(ContactData {
            email: optional("email", i.email, Email::parse)?,
            phone_private: optional("phonePrivate", i.phone_private, Phone::parse)?,
            phone_private_mobile: optional("phonePrivateMobile", i.phone_private_mobile, Phone::parse)?,
            phone_business: optional("phoneBusiness", i.phone_business, Phone::parse)?,
            phone_business_mobile: optional("phoneBusinessMobile", i.phone_business_mobile, Phone::parse)?,
        })
    }
}

/// Postal address: street, zip code, city and country are required; the rest is optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressData {
    pub street: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house_number: Option<Text>,
    pub zip_code: Text,
    pub city: Text,
    pub country_code: CountryCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province_code: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_street: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city_part: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_type: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_block: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stairway: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub door: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_address_information: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub building_name: Option<Text>,
}

/// Loose address input.
#[derive(Debug, Clone, Default)]
pub struct AddressInput<'a> {
    pub street: Option<&'a str>,
    pub house_number: Option<&'a str>,
    pub zip_code: Option<&'a str>,
    pub city: Option<&'a str>,
    pub country_code: Option<&'a str>,
    pub province: Option<&'a str>,
    pub province_code: Option<&'a str>,
    pub second_street: Option<&'a str>,
    pub city_part: Option<&'a str>,
    pub district: Option<&'a str>,
    pub street_type: Option<&'a str>,
    pub street_block: Option<&'a str>,
    pub portal: Option<&'a str>,
    pub stairway: Option<&'a str>,
    pub door: Option<&'a str>,
    pub additional_address_information: Option<&'a str>,
    pub floor: Option<&'a str>,
    pub building_name: Option<&'a str>,
}

impl AddressData {
    pub fn parse(i: AddressInput<'_>) -> Result<AddressData, FieldError> {
        let zip = |s: &str| {
            let t = Text::parse(s)?;
            if t.as_str().chars().count() > 16 || !t.as_str().chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-') {
                return Err("is not a postal code: up to 16 letters, digits, spaces or hyphens".to_string());
            }
            Ok(t)
        };
        Ok(AddressData {
            street: required("street", i.street, Text::parse)?,
            house_number: optional("houseNumber", i.house_number, Text::parse)?,
            zip_code: required("zipCode", i.zip_code, zip)?,
            city: required("city", i.city, Text::parse)?,
            country_code: required("countryCode", i.country_code, CountryCode::parse)?,
            province: optional("province", i.province, Text::parse)?,
            province_code: optional("provinceCode", i.province_code, Text::parse)?,
            second_street: optional("secondStreet", i.second_street, Text::parse)?,
            city_part: optional("cityPart", i.city_part, Text::parse)?,
            district: optional("district", i.district, Text::parse)?,
            street_type: optional("streetType", i.street_type, Text::parse)?,
            street_block: optional("streetBlock", i.street_block, Text::parse)?,
            portal: optional("portal", i.portal, Text::parse)?,
            stairway: optional("stairway", i.stairway, Text::parse)?,
            door: optional("door", i.door, Text::parse)?,
            additional_address_information: optional(
                "additionalAddressInformation",
                i.additional_address_information,
                Text::parse,
            )?,
            floor: optional("floor", i.floor, Text::parse)?,
            building_name: optional("buildingName", i.building_name, Text::parse)?,
        })
    }
}

/// Gender as the vendor schema enumerates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Gender {
    Male,
    Female,
    Unisex,
}

/// Academic title as the vendor schema enumerates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CustomerTitle {
    None,
    Dr,
    Prof,
}

fn parse_enum<T: for<'de> Deserialize<'de>>(raw: &str, allowed: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(raw.trim().to_owned()))
        .map_err(|_| format!("must be one of {allowed}, not {:?}", raw.trim()))
}

mod date_format {
    use super::{Date, format_date, parse_date};
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_date(*d))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        parse_date(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// Master (personal) data: names, gender, date of birth and title are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MasterData {
    pub first_name: Text,
    pub last_name: Text,
    pub gender: Gender,
    #[serde(with = "date_format")]
    pub date_of_birth: Date,
    pub customer_title: CustomerTitle,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_of_birth: Option<CountryCode>,
}

/// Loose master-data input.
#[derive(Debug, Clone, Default)]
pub struct MasterInput<'a> {
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub gender: Option<&'a str>,
    pub date_of_birth: Option<&'a str>,
    pub customer_title: Option<&'a str>,
    pub country_of_birth: Option<&'a str>,
}

/// The earliest accepted date of birth. The gym vendor documents a master-data example born
/// 1815-12-10, so a bound only living people pass would refuse documented input; 1800-01-01 accepts
/// it and still catches a mistyped century (0974, 1074).
pub const EARLIEST_BIRTH_DATE: Date = time::macros::date!(1800 - 01 - 01);

/// A date of birth lies between [`EARLIEST_BIRTH_DATE`] and `today`.
pub fn check_birth_date(d: Date, today: Date) -> Result<Date, String> {
    if d > today || d < EARLIEST_BIRTH_DATE {
        return Err(format!("must lie between {} and today, not {}", format_date(EARLIEST_BIRTH_DATE), format_date(d)));
    }
    Ok(d)
}

impl MasterData {
    /// `today` bounds the date of birth: see [`check_birth_date`].
    pub fn parse(i: MasterInput<'_>, today: Date) -> Result<MasterData, FieldError> {
        let birth = |s: &str| check_birth_date(parse_date(s)?, today);
        Ok(MasterData {
            first_name: required("firstName", i.first_name, Text::parse)?,
            last_name: required("lastName", i.last_name, Text::parse)?,
            gender: required("gender", i.gender, |s| parse_enum(s, "MALE, FEMALE, UNISEX"))?,
            date_of_birth: required("dateOfBirth", i.date_of_birth, birth)?,
            customer_title: required("customerTitle", i.customer_title, |s| parse_enum(s, "NONE, DR, PROF"))?,
            country_of_birth: optional("countryOfBirth", i.country_of_birth, CountryCode::parse)?,
        })
    }
}

/// Bank details for direct debit: all four fields are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentData {
    pub account_holder: Text,
    pub bank_name: Text,
    pub iban: Iban,
    pub bic: Bic,
}

/// Loose payment input.
#[derive(Debug, Clone, Default)]
pub struct PaymentInput<'a> {
    pub account_holder: Option<&'a str>,
    pub bank_name: Option<&'a str>,
    pub iban: Option<&'a str>,
    pub bic: Option<&'a str>,
}

impl PaymentData {
    pub fn parse(i: PaymentInput<'_>) -> Result<PaymentData, FieldError> {
        Ok(PaymentData {
            account_holder: required("accountHolder", i.account_holder, Text::parse)?,
            bank_name: required("bankName", i.bank_name, Text::parse)?,
            iban: required("iban", i.iban, Iban::parse)?,
            bic: required("bic", i.bic, Bic::parse)?,
        })
    }
}

/// The data of one domain, tagged with which domain it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainData {
    Contact(ContactData),
    Address(Box<AddressData>),
    Master(MasterData),
    Payment(PaymentData),
}

impl DomainData {
    pub fn domain(&self) -> DataDomain {
        match self {
            DomainData::Contact(_) => DataDomain::Contact,
            DomainData::Address(_) => DataDomain::Address,
            DomainData::Master(_) => DataDomain::Master,
            DomainData::Payment(_) => DataDomain::Payment,
        }
    }

    /// Builds a domain's data from loose text values looked up by field name (see
    /// [`DataDomain::fields`]), with the same rules as every API: `field` answers a field's raw
    /// value, `None` when it is absent. `today` bounds a date of birth.
    pub fn parse_fields<'a>(
        domain: DataDomain,
        field: impl Fn(&str) -> Option<&'a str>,
        today: Date,
    ) -> Result<DomainData, FieldError> {
        Ok(match domain {
            DataDomain::Contact => DomainData::Contact(ContactData::parse(ContactInput {
                email: field("email"),
                phone_private: field("phonePrivate"),
                phone_private_mobile: field("phonePrivateMobile"),
                phone_business: field("phoneBusiness"),
                phone_business_mobile: field("phoneBusinessMobile"),
            })?),
            DataDomain::Address => DomainData::Address(Box::new(AddressData::parse(AddressInput {
                street: field("street"),
                house_number: field("houseNumber"),
                zip_code: field("zipCode"),
                city: field("city"),
                country_code: field("countryCode"),
                province: field("province"),
                province_code: field("provinceCode"),
                second_street: field("secondStreet"),
                city_part: field("cityPart"),
                district: field("district"),
                street_type: field("streetType"),
                street_block: field("streetBlock"),
                portal: field("portal"),
                stairway: field("stairway"),
                door: field("door"),
                additional_address_information: field("additionalAddressInformation"),
                floor: field("floor"),
                building_name: field("buildingName"),
            })?)),
            DataDomain::Master => DomainData::Master(MasterData::parse(
                MasterInput {
                    first_name: field("firstName"),
                    last_name: field("lastName"),
                    gender: field("gender"),
                    date_of_birth: field("dateOfBirth"),
                    customer_title: field("customerTitle"),
                    country_of_birth: field("countryOfBirth"),
                },
                today,
            )?),
            DataDomain::Payment => DomainData::Payment(PaymentData::parse(PaymentInput {
                account_holder: field("accountHolder"),
                bank_name: field("bankName"),
                iban: field("iban"),
                bic: field("bic"),
            })?),
        })
    }

    /// The stored JSON form: the domain's fields as a camelCase object.
    pub fn to_json(&self) -> serde_json::Value {
        let v = match self {
            DomainData::Contact(d) => serde_json::to_value(d),
            DomainData::Address(d) => serde_json::to_value(d),
            DomainData::Master(d) => serde_json::to_value(d),
            DomainData::Payment(d) => serde_json::to_value(d),
        };
        v.expect("domain data always serialises")
    }

    /// Reads the stored JSON text back, re-validating every value (parsed straight into the
    /// domain's type: the hot path of every read).
    pub fn from_json_str(domain: DataDomain, text: &str) -> Result<DomainData, serde_json::Error> {
        Ok(match domain {
            DataDomain::Contact => DomainData::Contact(serde_json::from_str(text)?),
            DataDomain::Address => DomainData::Address(Box::new(serde_json::from_str(text)?)),
            DataDomain::Master => DomainData::Master(serde_json::from_str(text)?),
            DataDomain::Payment => DomainData::Payment(serde_json::from_str(text)?),
        })
    }
}

/// A customer's change of some fields of one domain, as sent: each named field is set to a value,
/// cleared (sent as `null`), or kept (not sent: not in the list). Applied to the customer's current
/// data it gives the proposed data, so leaving a field out never erases it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainChange {
    domain: DataDomain,
    /// Field name (as in the stored form, e.g. `phonePrivate`) → what to do with it.
    fields: Vec<(&'static str, Patch<String>)>,
}

impl DomainChange {
    pub fn new(domain: DataDomain, fields: Vec<(&'static str, Patch<String>)>) -> DomainChange {
        DomainChange { domain, fields }
    }

    pub fn domain(&self) -> DataDomain {
        self.domain
    }

    /// The proposed data: `current` (the customer's data of this domain, if any) with this change
    /// applied. Kept fields keep their current value; a cleared or blank optional field is unset; a
    /// required field must end up with a valid value, so it may be left out only when the customer
    /// has one. Every resulting value is validated as in a complete submission.
    pub fn apply(&self, current: Option<&DomainData>, today: Date) -> Result<DomainData, FieldError> {
        let mut values: BTreeMap<String, String> = match current.filter(|c| c.domain() == self.domain).map(DomainData::to_json) {
            Some(serde_json::Value::Object(map)) => {
                map.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned()))).collect()
            }
            _ => BTreeMap::new(),
        };
        for (field, patch) in &self.fields {
            match patch {
                Patch::Keep => {}
                Patch::Clear => {
                    values.remove(*field);
                }
                Patch::Set(v) => {
                    values.insert((*field).to_owned(), v.clone());
                }
            }
        }
        let v = |name: &str| values.get(name).map(String::as_str);
        Ok(match self.domain {
            DataDomain::Contact => DomainData::Contact(ContactData::parse(ContactInput {
                email: v("email"),
                phone_private: v("phonePrivate"),
                phone_private_mobile: v("phonePrivateMobile"),
                phone_business: v("phoneBusiness"),
                phone_business_mobile: v("phoneBusinessMobile"),
            })?),
            DataDomain::Address => DomainData::Address(Box::new(AddressData::parse(AddressInput {
                street: v("street"),
                house_number: v("houseNumber"),
                zip_code: v("zipCode"),
                city: v("city"),
                country_code: v("countryCode"),
                province: v("province"),
                province_code: v("provinceCode"),
                second_street: v("secondStreet"),
                city_part: v("cityPart"),
                district: v("district"),
                street_type: v("streetType"),
                street_block: v("streetBlock"),
                portal: v("portal"),
                stairway: v("stairway"),
                door: v("door"),
                additional_address_information: v("additionalAddressInformation"),
                floor: v("floor"),
                building_name: v("buildingName"),
            })?)),
            DataDomain::Master => DomainData::Master(MasterData::parse(
                MasterInput {
                    first_name: v("firstName"),
                    last_name: v("lastName"),
                    gender: v("gender"),
                    date_of_birth: v("dateOfBirth"),
                    customer_title: v("customerTitle"),
                    country_of_birth: v("countryOfBirth"),
                },
                today,
            )?),
            DataDomain::Payment => DomainData::Payment(PaymentData::parse(PaymentInput {
                account_holder: v("accountHolder"),
                bank_name: v("bankName"),
                iban: v("iban"),
                bic: v("bic"),
            })?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_documented_address_example_parses() {
        let a = AddressData::parse(AddressInput {
            street: Some("Am Bahnhof"),
            house_number: Some("90"),
            zip_code: Some("12133"),
            city: Some("Munich"),
            country_code: Some("DE"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(a.city.as_str(), "Munich");
        let json = DomainData::Address(Box::new(a.clone())).to_json();
        assert_eq!(json["zipCode"], "12133");
        assert_eq!(DomainData::from_json_str(DataDomain::Address, &json.to_string()).unwrap(), DomainData::Address(Box::new(a)));
    }

    #[test]
    fn a_missing_required_address_field_is_named_in_the_error() {
        let e = AddressData::parse(AddressInput {
            street: Some("x"),
            city: Some("y"),
            country_code: Some("DE"),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.reference, "zipCode");
    }

    #[test]
    fn master_data_checks_enums_and_the_birth_date() {
        let input = |gender, dob| MasterInput {
            first_name: Some("Sven"),
            last_name: Some("Hannawald"),
            gender: Some(gender),
            date_of_birth: Some(dob),
            customer_title: Some("NONE"),
            country_of_birth: Some("DE"),
        };
        let today = date!(2026 - 11 - 26);
        assert!(MasterData::parse(input("MALE", "1974-11-09"), today).is_ok());
        assert_eq!(MasterData::parse(input("male", "1974-11-09"), today).unwrap_err().reference, "gender");
        assert_eq!(MasterData::parse(input("MALE", "2030-01-01"), today).unwrap_err().reference, "dateOfBirth");
    }

    #[test]
    fn the_vendors_documented_birth_date_1815_12_10_is_accepted_and_dates_in_the_future_are_not() {
        let input = |dob| MasterInput {
            first_name: Some("Ada"),
            last_name: Some("Lovelace"),
            gender: Some("FEMALE"),
            date_of_birth: Some(dob),
            customer_title: Some("NONE"),
            country_of_birth: None,
        };
        let today = date!(2026 - 11 - 26);
        assert_eq!(MasterData::parse(input("1815-12-10"), today).unwrap().date_of_birth, date!(1815 - 12 - 10));
        assert!(MasterData::parse(input("1899-12-31"), today).is_ok());
        assert!(MasterData::parse(input("2026-11-26"), today).is_ok(), "born today");
        for (dob, why) in [("2026-11-27", "tomorrow"), ("1799-12-31", "before 1800"), ("0974-11-09", "a mistyped century")] {
            let e = MasterData::parse(input(dob), today).unwrap_err();
            assert_eq!(e.reference, "dateOfBirth", "{why}");
            assert!(e.message.contains("between 1800-01-01 and today"), "{why}: {}", e.message);
        }
    }

    #[test]
    fn blank_optional_contact_fields_mean_not_set() {
        let c = ContactData::parse(ContactInput { email: Some(""), phone_private: Some("+49 00000000"), ..Default::default() })
            .unwrap();
        assert_eq!(c.email, None);
        assert_eq!(c.phone_private.unwrap().as_str(), "+49 00000000");
        assert_eq!(
            ContactData::parse(ContactInput { email: Some("nope"), ..Default::default() }).unwrap_err().reference,
            "email"
        );
    }

    #[test]
    fn domains_parse_from_their_names_and_path_segments() {
        assert_eq!("payment-data".parse::<DataDomain>().unwrap(), DataDomain::Payment);
        assert_eq!("contact".parse::<DataDomain>().unwrap(), DataDomain::Contact);
        assert!("kyc".parse::<DataDomain>().is_err());
    }

    fn fixture_contact() -> DomainData {
        DomainData::Contact(
            ContactData::parse(ContactInput {
                email: Some("old@example.com"),
                phone_private: Some("+49 30 1234567"),
                phone_private_mobile: Some("+49 171 1234567"),
                ..Default::default()
            })
            .unwrap(),
        )
    }

    #[test]
    fn a_change_keeps_the_fields_it_leaves_out() {
        let change = DomainChange::new(DataDomain::Contact, vec![("email", Patch::Set("new@example.com".into()))]);
        let DomainData::Contact(c) = change.apply(Some(&fixture_contact()), date!(2026 - 11 - 26)).unwrap() else { panic!() };
        assert_eq!(c.email.unwrap().as_str(), "new@example.com");
        assert_eq!(c.phone_private.unwrap().as_str(), "+49 30 1234567");
        assert_eq!(c.phone_private_mobile.unwrap().as_str(), "+49 171 1234567");
    }

    #[test]
    fn a_change_clears_an_optional_field_sent_as_null_or_empty() {
        let change = DomainChange::new(
            DataDomain::Contact,
            vec![("phonePrivate", Patch::Clear), ("phonePrivateMobile", Patch::Set(" ".into())), ("email", Patch::Keep)],
        );
        let DomainData::Contact(c) = change.apply(Some(&fixture_contact()), date!(2026 - 11 - 26)).unwrap() else { panic!() };
        assert_eq!((c.phone_private, c.phone_private_mobile), (None, None));
        assert_eq!(c.email.unwrap().as_str(), "old@example.com");
    }

    #[test]
    fn a_required_field_may_be_left_out_only_when_the_customer_has_a_value() {
        let today = date!(2026 - 11 - 26);
        let change = DomainChange::new(DataDomain::Address, vec![("city", Patch::Set("Munich".into()))]);
        assert_eq!(change.apply(None, today).unwrap_err().reference, "street");
        let current = DomainData::Address(Box::new(
            AddressData::parse(AddressInput {
                street: Some("Hauptstraße"),
                house_number: Some("1"),
                zip_code: Some("10115"),
                city: Some("Berlin"),
                country_code: Some("DE"),
                ..Default::default()
            })
            .unwrap(),
        ));
        let DomainData::Address(a) = change.apply(Some(&current), today).unwrap() else { panic!() };
        assert_eq!((a.street.as_str(), a.city.as_str(), a.house_number.unwrap().as_str()), ("Hauptstraße", "Munich", "1"));
        let cleared = DomainChange::new(DataDomain::Address, vec![("street", Patch::Clear)]);
        assert_eq!(cleared.apply(Some(&current), today).unwrap_err().reference, "street");
        let blank = DomainChange::new(DataDomain::Address, vec![("zipCode", Patch::Set("".into()))]);
        assert_eq!(blank.apply(Some(&current), today).unwrap_err().reference, "zipCode");
    }

    #[test]
    fn a_change_of_nothing_reproduces_the_current_data_exactly() {
        let today = date!(2026 - 11 - 26);
        let payment = DomainData::Payment(
            PaymentData::parse(PaymentInput {
                account_holder: Some("Sven Hannawald"),
                bank_name: Some("Sparkasse"),
                iban: Some("DE89 3704 0044 0532 0130 00"),
                bic: Some("cobadeffxxx"),
            })
            .unwrap(),
        );
        assert_eq!(DomainChange::new(DataDomain::Payment, vec![]).apply(Some(&payment), today).unwrap(), payment);
        let master = DomainData::Master(
            MasterData::parse(
                MasterInput {
                    first_name: Some("Sven"),
                    last_name: Some("Hannawald"),
                    gender: Some("MALE"),
                    date_of_birth: Some("1974-11-09"),
                    customer_title: Some("DR"),
                    country_of_birth: Some("DE"),
                },
                today,
            )
            .unwrap(),
        );
        assert_eq!(DomainChange::new(DataDomain::Master, vec![]).apply(Some(&master), today).unwrap(), master);
    }
}
