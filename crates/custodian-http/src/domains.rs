//! The four data domains as JSON, and a domain's policy status: the shapes the self-service
//! dialect documents (named as in the vendor's OpenAPI document) and the native API shows too.
//! Shared code: dialects and the native API use it; it uses neither.

use custodian_domain::data::{AddressInput, ContactInput, MasterInput, PaymentInput};
use custodian_domain::values::format_date;
use custodian_domain::{AddressData, ContactData, FieldError, MasterData, PaymentData};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

/// Whether and how customers may change a domain.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AmendmentConfigurationStatus {
    /// No changes to data are possible.
    Read,
    /// Data can be changed, but needs verification to be applied to the customer.
    ChangesRequireVerification,
    /// Data can be changed, will be applied to the customer with immediate effect.
    ChangesWithoutVerification,
}

impl From<custodian_domain::ConfigurationStatus> for AmendmentConfigurationStatus {
    fn from(s: custodian_domain::ConfigurationStatus) -> Self {
        use custodian_domain::ConfigurationStatus as C;
        match s {
            C::Read => AmendmentConfigurationStatus::Read,
            C::ChangesRequireVerification => AmendmentConfigurationStatus::ChangesRequireVerification,
            C::ChangesWithoutVerification => AmendmentConfigurationStatus::ChangesWithoutVerification,
        }
    }
}

impl From<AmendmentConfigurationStatus> for custodian_domain::ConfigurationStatus {
    fn from(s: AmendmentConfigurationStatus) -> Self {
        use custodian_domain::ConfigurationStatus as C;
        match s {
            AmendmentConfigurationStatus::Read => C::Read,
            AmendmentConfigurationStatus::ChangesRequireVerification => C::ChangesRequireVerification,
            AmendmentConfigurationStatus::ChangesWithoutVerification => C::ChangesWithoutVerification,
        }
    }
}

fn s<T: ToString>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(ToString::to_string)
}

/// Contact data; every field is optional. In a self-service POST, a field left out keeps the
/// customer's current value; a field sent as `null` or as an empty string is cleared.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = ContactData)]
#[serde(rename_all = "camelCase")]
pub struct CustomerContactData {
    #[schema(example = "new-email@example.com")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[schema(example = "+49 00000000")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_private: Option<String>,
    #[schema(example = "+49 00000000000")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_private_mobile: Option<String>,
    #[schema(example = "+49 00000000")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_business: Option<String>,
    #[schema(example = "+49 00000000000")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_business_mobile: Option<String>,
}

impl CustomerContactData {
    pub fn parse(&self) -> Result<ContactData, FieldError> {
        ContactData::parse(ContactInput {
            email: self.email.as_deref(),
            phone_private: self.phone_private.as_deref(),
            phone_private_mobile: self.phone_private_mobile.as_deref(),
            phone_business: self.phone_business.as_deref(),
            phone_business_mobile: self.phone_business_mobile.as_deref(),
        })
    }
}

impl From<&ContactData> for CustomerContactData {
    fn from(d: &ContactData) -> Self {
        CustomerContactData {
            email: s(&d.email),
            phone_private: s(&d.phone_private),
            phone_private_mobile: s(&d.phone_private_mobile),
            phone_business: s(&d.phone_business),
            phone_business_mobile: s(&d.phone_business_mobile),
        }
    }
}

/// A postal address; `street`, `zipCode`, `city` and `countryCode` always have a value. In a
/// self-service POST, a field left out keeps the customer's current value (so the required ones may be
/// left out when the customer has an address); an optional field sent as `null` or as an empty string
/// is cleared.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = AddressData)]
#[serde(rename_all = "camelCase")]
pub struct CustomerAddressData {
    #[schema(example = "Am Bahnhof")]
    pub street: String,
    #[schema(example = "90")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house_number: Option<String>,
    #[schema(example = "12133")]
    pub zip_code: String,
    #[schema(example = "Munich")]
    pub city: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "DE")]
    pub country_code: String,
    #[schema(example = "Madrid/California")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    #[schema(example = "MD/CA")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_street: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city_part: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_block: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stairway: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub door: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_address_information: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub building_name: Option<String>,
}

impl CustomerAddressData {
    pub fn parse(&self) -> Result<AddressData, FieldError> {
        AddressData::parse(AddressInput {
            street: Some(&self.street),
            house_number: self.house_number.as_deref(),
            zip_code: Some(&self.zip_code),
            city: Some(&self.city),
            country_code: Some(&self.country_code),
            province: self.province.as_deref(),
            province_code: self.province_code.as_deref(),
            second_street: self.second_street.as_deref(),
            city_part: self.city_part.as_deref(),
            district: self.district.as_deref(),
            street_type: self.street_type.as_deref(),
            street_block: self.street_block.as_deref(),
            portal: self.portal.as_deref(),
            stairway: self.stairway.as_deref(),
            door: self.door.as_deref(),
            additional_address_information: self.additional_address_information.as_deref(),
            floor: self.floor.as_deref(),
            building_name: self.building_name.as_deref(),
        })
    }
}

impl From<&AddressData> for CustomerAddressData {
    fn from(d: &AddressData) -> Self {
        CustomerAddressData {
            street: d.street.to_string(),
            house_number: s(&d.house_number),
            zip_code: d.zip_code.to_string(),
            city: d.city.to_string(),
            country_code: d.country_code.to_string(),
            province: s(&d.province),
            province_code: s(&d.province_code),
            second_street: s(&d.second_street),
            city_part: s(&d.city_part),
            district: s(&d.district),
            street_type: s(&d.street_type),
            street_block: s(&d.street_block),
            portal: s(&d.portal),
            stairway: s(&d.stairway),
            door: s(&d.door),
            additional_address_information: s(&d.additional_address_information),
            floor: s(&d.floor),
            building_name: s(&d.building_name),
        }
    }
}

/// Personal master data; all fields but `countryOfBirth` always have a value. In a self-service POST,
/// a field left out keeps the customer's current value (so the required ones may be left out when the
/// customer has master data); `countryOfBirth` sent as `null` or as an empty string is cleared.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = MasterData)]
#[serde(rename_all = "camelCase")]
pub struct CustomerMasterData {
    #[schema(example = "Sven")]
    pub first_name: String,
    #[schema(example = "Hannawald")]
    pub last_name: String,
    /// `MALE`, `FEMALE` or `UNISEX`.
    #[schema(example = "MALE")]
    pub gender: String,
    /// `YYYY-MM-DD`.
    #[schema(example = "1974-11-09", format = Date)]
    pub date_of_birth: String,
    /// `NONE`, `DR` or `PROF`.
    #[schema(example = "NONE")]
    pub customer_title: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "DE")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_of_birth: Option<String>,
}

impl CustomerMasterData {
    pub fn parse(&self, today: Date) -> Result<MasterData, FieldError> {
        MasterData::parse(
            MasterInput {
                first_name: Some(&self.first_name),
                last_name: Some(&self.last_name),
                gender: Some(&self.gender),
                date_of_birth: Some(&self.date_of_birth),
                customer_title: Some(&self.customer_title),
                country_of_birth: self.country_of_birth.as_deref(),
            },
            today,
        )
    }
}

fn enum_name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

impl From<&MasterData> for CustomerMasterData {
    fn from(d: &MasterData) -> Self {
        CustomerMasterData {
            first_name: d.first_name.to_string(),
            last_name: d.last_name.to_string(),
            gender: enum_name(&d.gender),
            date_of_birth: format_date(d.date_of_birth),
            customer_title: enum_name(&d.customer_title),
            country_of_birth: s(&d.country_of_birth),
        }
    }
}

/// Bank details as shown by GET and in responses (IBAN in print form). All four always have a value;
/// in a self-service POST, a field left out keeps the customer's current value (so only the changed
/// ones need to be sent when the customer has bank details).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = PaymentData)]
#[serde(rename_all = "camelCase")]
pub struct CustomerPaymentData {
    #[schema(example = "Sven Hannawald")]
    pub account_holder: String,
    #[schema(example = "Deutsche Bank")]
    pub bank_name: String,
    #[schema(example = "DE91 1000 0000 0123 4567 89")]
    pub iban: String,
    #[schema(example = "DEUTDEFFXXX")]
    pub bic: String,
}

impl From<&PaymentData> for CustomerPaymentData {
    fn from(d: &PaymentData) -> Self {
        CustomerPaymentData {
            account_holder: d.account_holder.to_string(),
            bank_name: d.bank_name.to_string(),
            iban: d.iban.print_form(),
            bic: d.bic.to_string(),
        }
    }
}

impl CustomerPaymentData {
    pub fn parse(&self) -> Result<PaymentData, FieldError> {
        PaymentData::parse(PaymentInput {
            account_holder: Some(&self.account_holder),
            bank_name: Some(&self.bank_name),
            iban: Some(&self.iban),
            bic: Some(&self.bic),
        })
    }
}
