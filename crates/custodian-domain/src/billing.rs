//! Subscription-billing customers: the customer number, the billing-only fields kept in a
//! customer's billing profile (salutation, category, company, language, identification numbers,
//! address extras, payment registration), their value types, and how a billing customer maps onto
//! the shared contact, address and master domains.
//!
//! Limits follow the vendor's documented field limits; where a field has none documented, the limit
//! of the closest documented field is used (named in each parse function).

use crate::data::{AddressData, ContactData, CustomerTitle, Gender, MasterData};
use crate::error::FieldError;
use crate::values::{CountryCode, Email, Phone, Text, format_date, parse_date};
use serde::{Deserialize, Serialize};
use std::fmt;
use time::Date;

macro_rules! billing_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

billing_string!(
    /// The merchant's number for a customer (`c1631704458`), unique per tenant: 1 to 40 letters,
    /// digits, `-`, `_` or `.`, case-sensitive. It is a path segment, so nothing else is allowed.
    CustomerNumber
);

impl CustomerNumber {
    pub const MAX_CHARS: usize = 40;

    pub fn parse(raw: &str) -> Result<CustomerNumber, String> {
        let n = raw.trim();
        if n.is_empty() || n.len() > Self::MAX_CHARS {
            return Err(format!("must have 1 to {} characters", Self::MAX_CHARS));
        }
        if !n.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            return Err("may only contain letters, digits, '-', '_' and '.'".into());
        }
        Ok(CustomerNumber(n.to_owned()))
    }
}

billing_string!(
    /// A customer category code (`PERSON`, or a merchant's own such as `categoryABC`): 1 to 40
    /// letters, digits, `_` or `-`, kept as sent. The vendor documents no fixed list.
    CustomerCategory
);

impl CustomerCategory {
    pub fn parse(raw: &str) -> Result<CustomerCategory, String> {
        let c = raw.trim();
        if c.is_empty() || c.len() > 40 || !c.chars().all(|ch| ch.is_ascii_alphanumeric() || "_-".contains(ch)) {
            return Err("must be a code of 1 to 40 letters, digits, '_' or '-' (such as PERSON)".into());
        }
        Ok(CustomerCategory(c.to_owned()))
    }
}

/// Every ISO 639-1 language code.
const ISO_639_1: &str = "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da \
de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it \
iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne \
ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw \
ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu";

billing_string!(
    /// An ISO 639-1 language code, accepted in any case and kept upper case (`de` → `DE`, as the
    /// vendor's GET shows it).
    Language
);

impl Language {
    pub fn parse(raw: &str) -> Result<Language, String> {
        let l = raw.trim().to_ascii_lowercase();
        if l.len() == 2 && ISO_639_1.split_ascii_whitespace().any(|k| k == l) {
            Ok(Language(l.to_ascii_uppercase()))
        } else {
            Err(format!("is not an ISO 639-1 language code (such as DE): {:?}", raw.trim()))
        }
    }
}

billing_string!(
    /// An ISO 4217 currency code: three letters, kept upper case (`EUR`).
    Currency
);

impl Currency {
    pub fn parse(raw: &str) -> Result<Currency, String> {
        let c = raw.trim();
        if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_alphabetic()) {
            Ok(Currency(c.to_ascii_uppercase()))
        } else {
            Err(format!("is not an ISO 4217 currency code (such as EUR): {c:?}"))
        }
    }
}

billing_string!(
    /// An identifier issued by another system (a payment registration, a PSP's customer or payment
    /// method id): 1 to 100 visible characters without spaces.
    ExternalId
);

impl ExternalId {
    pub fn parse(raw: &str) -> Result<ExternalId, String> {
        let i = raw.trim();
        if i.is_empty() || i.chars().count() > 100 || i.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must be 1 to 100 characters without spaces".into());
        }
        Ok(ExternalId(i.to_owned()))
    }
}

/// How the customer is addressed. The vendor documents `MR`; `MRS` and `MS` complete the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Salutation {
    Mr,
    Mrs,
    Ms,
}

impl Salutation {
    /// Accepts any case (`Mr`, `MR`).
    pub fn parse(raw: &str) -> Result<Salutation, String> {
        match raw.trim().to_ascii_uppercase().as_str() {
            "MR" => Ok(Salutation::Mr),
            "MRS" => Ok(Salutation::Mrs),
            "MS" => Ok(Salutation::Ms),
            _ => Err(format!("must be one of MR, MRS, MS, not {:?}", raw.trim())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Salutation::Mr => "MR",
            Salutation::Mrs => "MRS",
            Salutation::Ms => "MS",
        }
    }

    /// The gender the master domain records for this salutation.
    pub fn gender(self) -> Gender {
        match self {
            Salutation::Mr => Gender::Male,
            Salutation::Mrs | Salutation::Ms => Gender::Female,
        }
    }
}

/// The payment registration a customer's subscriptions are collected with: a reference to a
/// registration made earlier at a payment service provider, never bank details themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRegistration {
    pub id: ExternalId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psp_customer_id: Option<ExternalId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psp_payment_method_id: Option<ExternalId>,
}

/// The billing-only fields of a customer, stored next to the shared data domains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillingProfile {
    pub customer_number: CustomerNumber,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salutation: Option<Salutation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_category: Option<CustomerCategory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identification_number: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_identification_number: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_of: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_number_additional: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_type: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    pub payment_registration: PaymentRegistration,
}

impl BillingProfile {
    /// The stored JSON form.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a billing profile always serialises")
    }

    /// Reads the stored JSON form back, re-validating every value.
    pub fn from_json(value: serde_json::Value) -> Result<BillingProfile, serde_json::Error> {
        serde_json::from_value(value)
    }
}

/// Loose input of a billing customer as it arrives from the wire; references name the vendor's
/// request paths (`customer.address.postalCode`).
#[derive(Debug, Clone, Default)]
pub struct BillingCustomerInput<'a> {
    pub currency: Option<&'a str>,
    pub customer_number: Option<&'a str>,
    pub salutation: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub birth_date: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub mobile_phone: Option<&'a str>,
    pub company_name: Option<&'a str>,
    pub customer_category: Option<&'a str>,
    pub language: Option<&'a str>,
    pub identification_number: Option<&'a str>,
    pub tax_identification_number: Option<&'a str>,
    /// `None` when the request has no `customer.address` object at all.
    pub address: Option<BillingAddressInput<'a>>,
    /// `None` when the request has no `paymentRegistration` object at all.
    pub payment_registration: Option<PaymentRegistrationInput<'a>>,
}

/// Loose `customer.address` input.
#[derive(Debug, Clone, Default)]
pub struct BillingAddressInput<'a> {
    pub care_of: Option<&'a str>,
    pub street: Option<&'a str>,
    pub street_number: Option<&'a str>,
    pub street_number_additional: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub postal_place: Option<&'a str>,
    pub country_code: Option<&'a str>,
    pub address_type: Option<&'a str>,
}

/// Loose `paymentRegistration` input.
#[derive(Debug, Clone, Default)]
pub struct PaymentRegistrationInput<'a> {
    pub id: Option<&'a str>,
    pub psp_customer_id: Option<&'a str>,
    pub psp_payment_method_id: Option<&'a str>,
}

/// A customer as the billing API states it: every field validated, ready to be mapped onto the
/// data domains and the billing profile. Serialises deterministically (request fingerprints).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BillingCustomer {
    pub customer_number: CustomerNumber,
    pub salutation: Option<Salutation>,
    pub first_name: Text,
    pub last_name: Text,
    #[serde(serialize_with = "serialize_date")]
    pub birth_date: Date,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub mobile_phone: Option<Phone>,
    pub company_name: Option<Text>,
    pub customer_category: Option<CustomerCategory>,
    pub language: Option<Language>,
    pub identification_number: Option<Text>,
    pub tax_identification_number: Option<Text>,
    pub street: Text,
    pub street_number: Option<Text>,
    pub postal_code: Text,
    pub postal_place: Text,
    pub country_code: CountryCode,
    pub care_of: Option<Text>,
    pub street_number_additional: Option<Text>,
    pub address_type: Option<Text>,
    pub currency: Option<Currency>,
    /// Required when the customer is created; on an update `None` keeps the current one.
    pub payment_registration: Option<PaymentRegistration>,
}

fn serialize_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_date(*d))
}

/// Text of at most `max` characters.
fn text_max(max: usize) -> impl Fn(&str) -> Result<Text, String> {
    move |s| {
        let t = Text::parse(s)?;
        if t.as_str().chars().count() > max { Err(format!("must be at most {max} characters")) } else { Ok(t) }
    }
}

/// A required field: absent or blank is "is required".
fn required<T>(reference: &str, raw: Option<&str>, parse: impl Fn(&str) -> Result<T, String>) -> Result<T, FieldError> {
    match raw {
        Some(v) if !v.trim().is_empty() => parse(v).map_err(|m| FieldError::new(reference, m)),
        _ => Err(FieldError::new(reference, "is required")),
    }
}

/// An optional field: absent, null or blank (`"companyName": ""`) all mean "not set".
fn optional<T>(reference: &str, raw: Option<&str>, parse: impl Fn(&str) -> Result<T, String>) -> Result<Option<T>, FieldError> {
    match raw {
        Some(v) if !v.trim().is_empty() => parse(v).map(Some).map_err(|m| FieldError::new(reference, m)),
        _ => Ok(None),
    }
}

/// `YYYY-MM-DD`, or an RFC 3339 date-time (`1980-09-01T00:00:00Z`) whose date is taken as written.
fn parse_birth_date(raw: &str, today: Date) -> Result<Date, String> {
    let raw = raw.trim();
    let d = match raw.get(10..11) {
        Some("T") | Some("t") => time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
            .map(|t| t.date())
            .map_err(|_| format!("is not a date (YYYY-MM-DD) or an RFC 3339 date-time: {raw:?}"))?,
        _ => parse_date(raw)?,
    };
    // The same bound as the self-service master data: both describe the same customer.
    crate::data::check_birth_date(d, today)
}

impl BillingCustomer {
    /// Validates a whole request; `today` bounds the birth date. The first invalid field is named
    /// by its request path.
    pub fn parse(i: BillingCustomerInput<'_>, today: Date) -> Result<BillingCustomer, FieldError> {
        let email = |s: &str| {
            let e = Email::parse(s)?;
            if e.as_str().len() > 241 { Err("must be at most 241 characters".to_string()) } else { Ok(e) }
        };
        // Phone: documented at most 20 characters; mobilePhone has no documented limit and gets the same.
        let phone = |s: &str| {
            let p = Phone::parse(s)?;
            if p.as_str().chars().count() > 20 { Err("must be at most 20 characters".to_string()) } else { Ok(p) }
        };
        let postal_code = |s: &str| {
            let t = text_max(10)(s)?;
            if !t.as_str().chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-') {
                return Err("is not a postal code: letters, digits, spaces or hyphens".to_string());
            }
            Ok(t)
        };
        let a = i.address.ok_or_else(|| FieldError::new("customer.address", "is required"))?;
        let payment_registration = match i.payment_registration {
            None => None,
            Some(p) => Some(PaymentRegistration {
                id: required("paymentRegistration.id", p.id, ExternalId::parse)?,
                psp_customer_id: optional("paymentRegistration.pspCustomerId", p.psp_customer_id, ExternalId::parse)?,
                psp_payment_method_id: optional(
                    "paymentRegistration.pspPaymentMethodId",
                    p.psp_payment_method_id,
                    ExternalId::parse,
                )?,
            }),
        };
        Ok(BillingCustomer {
            customer_number: required("customer.customerNumber", i.customer_number, CustomerNumber::parse)?,
            salutation: optional("customer.salutation", i.salutation, Salutation::parse)?,
            first_name: required("customer.firstName", i.first_name, text_max(40))?,
            // lastName: no documented limit; firstName's 40.
            last_name: required("customer.lastName", i.last_name, text_max(40))?,
            birth_date: required("customer.birthDate", i.birth_date, |s| parse_birth_date(s, today))?,
            email: optional("customer.email", i.email, email)?,
            phone: optional("customer.phone", i.phone, phone)?,
            mobile_phone: optional("customer.mobilePhone", i.mobile_phone, phone)?,
            company_name: optional("customer.companyName", i.company_name, text_max(140))?,
            customer_category: optional("customer.customerCategory", i.customer_category, CustomerCategory::parse)?,
            language: optional("customer.language", i.language, Language::parse)?,
            identification_number: optional("customer.identificationNumber", i.identification_number, text_max(20))?,
            // taxIdentificationNumber: no documented limit; identificationNumber's 20.
            tax_identification_number: optional("customer.taxIdentificationNumber", i.tax_identification_number, text_max(20))?,
            street: required("customer.address.street", a.street, text_max(60))?,
            street_number: optional("customer.address.streetNumber", a.street_number, text_max(10))?,
            postal_code: required("customer.address.postalCode", a.postal_code, postal_code)?,
            postal_place: required("customer.address.postalPlace", a.postal_place, text_max(40))?,
            country_code: required("customer.address.countryCode", a.country_code, CountryCode::parse)?,
            care_of: optional("customer.address.careOf", a.care_of, text_max(40))?,
            // streetNumberAdditional: no documented limit; streetNumber's 10.
            street_number_additional: optional(
                "customer.address.streetNumberAdditional",
                a.street_number_additional,
                text_max(10),
            )?,
            address_type: optional("customer.address.addressType", a.address_type, text_max(40))?,
            currency: optional("currency", i.currency, Currency::parse)?,
            payment_registration,
        })
    }

    /// The billing profile this request leaves: the payment registration given, else the current
    /// one; a customer without one (a creation) must give one.
    pub fn profile(&self, current: Option<&BillingProfile>) -> Result<BillingProfile, FieldError> {
        let payment_registration = match (&self.payment_registration, current) {
            (Some(p), _) => p.clone(),
            (None, Some(c)) => c.payment_registration.clone(),
            (None, None) => {
                return Err(FieldError::new("paymentRegistration.id", "is required when the customer is created"));
            }
        };
        Ok(BillingProfile {
            customer_number: self.customer_number.clone(),
            salutation: self.salutation,
            customer_category: self.customer_category.clone(),
            company_name: self.company_name.clone(),
            language: self.language.clone(),
            identification_number: self.identification_number.clone(),
            tax_identification_number: self.tax_identification_number.clone(),
            care_of: self.care_of.clone(),
            street_number_additional: self.street_number_additional.clone(),
            address_type: self.address_type.clone(),
            currency: self.currency.clone(),
            payment_registration,
        })
    }

    /// Contact data: `email`, `phone` (private) and `mobilePhone` (private mobile) as given, the
    /// business numbers this API has no name for kept as they are.
    pub fn contact(&self, current: Option<&ContactData>) -> ContactData {
        let mut c = current.cloned().unwrap_or_default();
        c.email = self.email.clone();
        c.phone_private = self.phone.clone();
        c.phone_private_mobile = self.mobile_phone.clone();
        c
    }

    /// Address: street, street number, postal code and place and country as given; the address
    /// details this API has no name for (province, floor, …) kept as they are.
    pub fn address(&self, current: Option<&AddressData>) -> AddressData {
        match current {
            Some(c) => AddressData {
                street: self.street.clone(),
                house_number: self.street_number.clone(),
                zip_code: self.postal_code.clone(),
                city: self.postal_place.clone(),
                country_code: self.country_code.clone(),
                ..c.clone()
            },
            None => AddressData {
                street: self.street.clone(),
                house_number: self.street_number.clone(),
                zip_code: self.postal_code.clone(),
                city: self.postal_place.clone(),
                country_code: self.country_code.clone(),
                province: None,
                province_code: None,
                second_street: None,
                city_part: None,
                district: None,
                street_type: None,
                street_block: None,
                portal: None,
                stairway: None,
                door: None,
                additional_address_information: None,
                floor: None,
                building_name: None,
            },
        }
    }

    /// Master data: names and birth date as given; the gender follows the salutation (`MR` →
    /// `MALE`, `MRS`/`MS` → `FEMALE`), else stays as it is (`UNISEX` for a new customer); title
    /// and country of birth are kept.
    pub fn master(&self, current: Option<&MasterData>) -> MasterData {
        MasterData {
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            gender: self.salutation.map(Salutation::gender).or(current.map(|m| m.gender)).unwrap_or(Gender::Unisex),
            date_of_birth: self.birth_date,
            customer_title: current.map_or(CustomerTitle::None, |m| m.customer_title),
            country_of_birth: current.and_then(|m| m.country_of_birth.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{AddressInput, ContactInput, MasterInput};
    use time::macros::date;

    const TODAY: Date = date!(2026 - 03 - 01);

    /// The seed's create request.
    fn seed_input() -> BillingCustomerInput<'static> {
        BillingCustomerInput {
            customer_number: Some("c1631704458"),
            salutation: Some("MR"),
            first_name: Some("Ray"),
            last_name: Some("Ankunding"),
            birth_date: Some("1984-11-11"),
            email: Some("Ray_Ankunding43@gmail.com"),
            phone: Some("871.790.7578 x4882"),
            mobile_phone: Some("+37258774XXX"),
            company_name: Some(""),
            customer_category: Some("PERSON"),
            language: Some("de"),
            identification_number: Some("700XXX651"),
            tax_identification_number: Some("12345678L"),
            address: Some(BillingAddressInput {
                care_of: Some(""),
                street: Some("Bergnaum Mountains"),
                street_number: Some("1"),
                street_number_additional: Some("a"),
                postal_code: Some("97687-7791"),
                postal_place: Some("Schadenville"),
                country_code: Some("DE"),
                address_type: None,
            }),
            payment_registration: Some(PaymentRegistrationInput { id: Some("275122"), ..Default::default() }),
            currency: None,
        }
    }

    #[test]
    fn the_seed_request_parses_with_blank_fields_unset_and_the_language_upper_cased() {
        let c = BillingCustomer::parse(seed_input(), TODAY).unwrap();
        assert_eq!(c.customer_number.as_str(), "c1631704458");
        assert_eq!(c.company_name, None);
        assert_eq!(c.care_of, None);
        assert_eq!(c.language.as_ref().unwrap().as_str(), "DE");
        assert_eq!(c.street_number_additional.as_ref().unwrap().as_str(), "a");
        assert_eq!(c.payment_registration.as_ref().unwrap().id.as_str(), "275122");
        let profile = c.profile(None).unwrap();
        assert_eq!(BillingProfile::from_json(profile.to_json()).unwrap(), profile);
    }

    #[test]
    fn a_date_time_birth_date_is_taken_as_its_date() {
        let mut i = seed_input();
        i.birth_date = Some("1980-09-01T00:00:00Z");
        assert_eq!(BillingCustomer::parse(i, TODAY).unwrap().birth_date, date!(1980 - 09 - 01));
    }

    #[test]
    fn a_birth_date_the_self_service_api_accepts_is_accepted_here_too() {
        let mut i = seed_input();
        i.birth_date = Some("1815-12-10");
        assert_eq!(BillingCustomer::parse(i, TODAY).unwrap().birth_date, date!(1815 - 12 - 10));
        let mut i = seed_input();
        i.birth_date = Some("1799-12-31");
        assert_eq!(BillingCustomer::parse(i, TODAY).unwrap_err().reference, "customer.birthDate");
    }

    #[test]
    fn documented_limits_are_enforced_and_name_the_request_path() {
        type Change = fn(&mut BillingCustomerInput<'static>);
        let cases: [(Change, &str); 8] = [
            (
                |i| i.address.as_mut().unwrap().care_of = Some("c/o 123456789012345678901234567890123456789"),
                "customer.address.careOf",
            ),
            (|i| i.address.as_mut().unwrap().postal_code = Some("12345678901"), "customer.address.postalCode"),
            (|i| i.first_name = Some("Raymond Raymond Raymond Raymond Raymond R"), "customer.firstName"),
            (|i| i.identification_number = Some("123456789012345678901"), "customer.identificationNumber"),
            (|i| i.phone = Some("+49 30 1234 5678 9012 3"), "customer.phone"),
            (|i| i.language = Some("german"), "customer.language"),
            (|i| i.salutation = Some("SIR"), "customer.salutation"),
            (|i| i.payment_registration = Some(PaymentRegistrationInput::default()), "paymentRegistration.id"),
        ];
        for (change, reference) in cases {
            let mut i = seed_input();
            change(&mut i);
            assert_eq!(BillingCustomer::parse(i, TODAY).unwrap_err().reference, reference);
        }
    }

    #[test]
    fn required_fields_are_named_when_missing_or_blank() {
        let mut i = seed_input();
        i.last_name = Some("  ");
        assert_eq!(BillingCustomer::parse(i, TODAY).unwrap_err().reference, "customer.lastName");
        let mut i = seed_input();
        i.address = None;
        assert_eq!(BillingCustomer::parse(i, TODAY).unwrap_err().reference, "customer.address");
        let mut i = seed_input();
        i.birth_date = Some("2030-01-01");
        assert_eq!(BillingCustomer::parse(i, TODAY).unwrap_err().reference, "customer.birthDate");
    }

    #[test]
    fn a_creation_needs_a_payment_registration_and_an_update_keeps_the_current_one() {
        let mut i = seed_input();
        i.payment_registration = None;
        let c = BillingCustomer::parse(i, TODAY).unwrap();
        assert_eq!(c.profile(None).unwrap_err().reference, "paymentRegistration.id");
        let first = BillingCustomer::parse(seed_input(), TODAY).unwrap().profile(None).unwrap();
        assert_eq!(c.profile(Some(&first)).unwrap().payment_registration.id.as_str(), "275122");
    }

    #[test]
    fn the_shared_domains_get_the_mapped_fields_and_keep_the_rest() {
        let c = BillingCustomer::parse(seed_input(), TODAY).unwrap();
        let current_contact = ContactData::parse(ContactInput {
            email: Some("old@example.com"),
            phone_business: Some("+49 30 1234567"),
            ..Default::default()
        })
        .unwrap();
        let contact = c.contact(Some(&current_contact));
        assert_eq!(contact.email.unwrap().as_str(), "Ray_Ankunding43@gmail.com");
        assert_eq!(contact.phone_private.unwrap().as_str(), "871.790.7578 x4882");
        assert_eq!(contact.phone_private_mobile.unwrap().as_str(), "+37258774XXX");
        assert_eq!(contact.phone_business.unwrap().as_str(), "+49 30 1234567");

        let current_address = AddressData::parse(AddressInput {
            street: Some("Hauptstraße"),
            zip_code: Some("10115"),
            city: Some("Berlin"),
            country_code: Some("DE"),
            floor: Some("3"),
            ..Default::default()
        })
        .unwrap();
        let address = c.address(Some(&current_address));
        assert_eq!((address.street.as_str(), address.zip_code.as_str()), ("Bergnaum Mountains", "97687-7791"));
        assert_eq!(address.city.as_str(), "Schadenville");
        assert_eq!(address.house_number.unwrap().as_str(), "1");
        assert_eq!(address.floor.unwrap().as_str(), "3");
        assert_eq!(c.address(None).floor, None);

        let current_master = MasterData::parse(
            MasterInput {
                first_name: Some("R"),
                last_name: Some("A"),
                gender: Some("FEMALE"),
                date_of_birth: Some("1990-01-01"),
                customer_title: Some("DR"),
                country_of_birth: Some("EE"),
            },
            TODAY,
        )
        .unwrap();
        let master = c.master(Some(&current_master));
        assert_eq!((master.first_name.as_str(), master.last_name.as_str()), ("Ray", "Ankunding"));
        assert_eq!(master.gender, Gender::Male, "MR means male");
        assert_eq!(master.date_of_birth, date!(1984 - 11 - 11));
        assert_eq!(master.customer_title, CustomerTitle::Dr);
        assert_eq!(master.country_of_birth.unwrap().as_str(), "EE");
    }

    #[test]
    fn without_a_salutation_the_gender_is_kept_or_unisex() {
        let mut i = seed_input();
        i.salutation = None;
        let c = BillingCustomer::parse(i, TODAY).unwrap();
        assert_eq!(c.master(None).gender, Gender::Unisex);
        let mut female = c.master(None);
        female.gender = Gender::Female;
        assert_eq!(c.master(Some(&female)).gender, Gender::Female);
    }

    #[test]
    fn customer_numbers_are_path_safe() {
        assert!(CustomerNumber::parse("c1631704458").is_ok());
        assert!(CustomerNumber::parse("cust-12_3.4").is_ok());
        for n in ["", "a b", "a/b", "ä1", &"x".repeat(41)] {
            assert!(CustomerNumber::parse(n).is_err(), "{n:?} should be rejected");
        }
    }

    #[test]
    fn languages_and_currencies_are_iso_codes() {
        assert_eq!(Language::parse("de").unwrap().as_str(), "DE");
        assert_eq!(Language::parse("EN").unwrap().as_str(), "EN");
        assert!(Language::parse("xx").is_err());
        assert_eq!(Currency::parse("eur").unwrap().as_str(), "EUR");
        assert!(Currency::parse("EURO").is_err());
        assert_eq!(Salutation::parse("Mrs").unwrap(), Salutation::Mrs);
    }
}
