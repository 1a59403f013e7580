//! Wire shapes of the self-service API, named and shaped as in the vendor's OpenAPI document,
//! and their mapping to and from domain types.

use custodian_domain::hierarchy::Patch;
use custodian_domain::{DataDomain, DomainChange};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::domains::{
    AmendmentConfigurationStatus, CustomerAddressData, CustomerContactData, CustomerMasterData, CustomerPaymentData,
};

/// Representing customer signature.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Signature {
    /// Customer confirmation signature SVG value as base 64 string.
    pub base64_svg_signature: String,
}

/// A payment-data amendment: bank details (fields left out keep their current value) and, when
/// required, the customer's signature.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = PaymentAmendmentRequest)]
#[serde(rename_all = "camelCase")]
pub struct OpenApiV1CustomerPaymentAmendment {
    #[serde(flatten)]
    pub payment: CustomerPaymentData,
    #[serde(default)]
    pub signature: Option<Signature>,
}

/// The request body of a self-service POST as it was sent: each field left out (kept), `null`
/// (cleared) or a value. It becomes a [`DomainChange`], which the amendment service applies to the
/// customer's current data. (The documented shapes above describe the same fields.)
macro_rules! change {
    ($(#[$doc:meta])* $name:ident => $domain:ident { $($field:ident = $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, Deserialize)]
        pub struct $name {
            $(
                #[serde(default, rename = $wire)]
                pub $field: Patch<String>,
            )+
        }

        impl $name {
            pub fn change(self) -> DomainChange {
                DomainChange::new(DataDomain::$domain, vec![$(($wire, self.$field)),+])
            }
        }
    };
}

change!(
    /// A contact-data POST.
    ContactChange => Contact {
        email = "email",
        phone_private = "phonePrivate",
        phone_private_mobile = "phonePrivateMobile",
        phone_business = "phoneBusiness",
        phone_business_mobile = "phoneBusinessMobile",
    }
);

change!(
    /// An address-data POST.
    AddressChange => Address {
        street = "street",
        house_number = "houseNumber",
        zip_code = "zipCode",
        city = "city",
        country_code = "countryCode",
        province = "province",
        province_code = "provinceCode",
        second_street = "secondStreet",
        city_part = "cityPart",
        district = "district",
        street_type = "streetType",
        street_block = "streetBlock",
        portal = "portal",
        stairway = "stairway",
        door = "door",
        additional_address_information = "additionalAddressInformation",
        floor = "floor",
        building_name = "buildingName",
    }
);

change!(
    /// A master-data POST.
    MasterChange => Master {
        first_name = "firstName",
        last_name = "lastName",
        gender = "gender",
        date_of_birth = "dateOfBirth",
        customer_title = "customerTitle",
        country_of_birth = "countryOfBirth",
    }
);

change!(
    /// The bank details of a payment-data POST.
    PaymentChange => Payment {
        account_holder = "accountHolder",
        bank_name = "bankName",
        iban = "iban",
        bic = "bic",
    }
);

/// A payment-data POST: the changed bank details and the signature.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentAmendmentRequest {
    #[serde(flatten)]
    pub payment: PaymentChange,
    #[serde(default)]
    pub signature: Option<Signature>,
}
