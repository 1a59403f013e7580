//! Wire shapes of the subscription-billing customers API, named and shaped as in the vendor's
//! samples, and their mapping to and from the domain's billing customer.

use custodian_app::billing::BillingView;
use custodian_domain::billing::{BillingAddressInput, BillingCustomer, BillingCustomerInput, PaymentRegistrationInput};
use custodian_domain::values::format_date;
use custodian_domain::{DataDomain, DomainData, FieldError};
use custodian_store::billing::BillingReceipt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Body of `POST /subscriptions/{version}/customers` and `PUT …/customers/{customerNumber}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionCustomerRequest {
    /// ISO 4217 currency of the customer's account (optional).
    #[schema(example = "EUR")]
    pub currency: Option<String>,
    pub customer: SubscriptionCustomer,
    /// Required when the customer is created; on an update it changes the payment method, and
    /// leaving it out keeps the current one.
    pub payment_registration: Option<SubscriptionPaymentRegistration>,
}

/// The customer. Absent, `null` and `""` all mean "not set".
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionCustomer {
    /// Required. The merchant's customer number: up to 40 letters, digits, `-`, `_`, `.`.
    #[schema(example = "c1631704458")]
    pub customer_number: Option<String>,
    /// `MR`, `MRS` or `MS`; sets the gender of the customer's master data.
    #[schema(example = "MR")]
    pub salutation: Option<String>,
    /// Required, at most 40 characters.
    #[schema(example = "Ray")]
    pub first_name: Option<String>,
    /// Required, at most 40 characters.
    #[schema(example = "Ankunding")]
    pub last_name: Option<String>,
    /// Required: `YYYY-MM-DD` or an RFC 3339 date-time (its date is used).
    #[schema(example = "1984-11-11")]
    pub birth_date: Option<String>,
    /// At most 241 characters.
    #[schema(example = "Ray_Ankunding43@gmail.com")]
    pub email: Option<String>,
    /// At most 20 characters.
    #[schema(example = "871.790.7578 x4882")]
    pub phone: Option<String>,
    /// At most 20 characters.
    #[schema(example = "+37258774XXX")]
    pub mobile_phone: Option<String>,
    /// At most 140 characters.
    #[schema(example = "")]
    pub company_name: Option<String>,
    /// A category code such as `PERSON`.
    #[schema(example = "PERSON")]
    pub customer_category: Option<String>,
    /// ISO 639-1, any case; read back upper case.
    #[schema(example = "de")]
    pub language: Option<String>,
    /// At most 20 characters.
    #[schema(example = "700XXX651")]
    pub identification_number: Option<String>,
    /// At most 20 characters.
    #[schema(example = "12345678L")]
    pub tax_identification_number: Option<String>,
    /// Required.
    pub address: Option<SubscriptionAddress>,
}

/// The customer's address; `street`, `postalCode`, `postalPlace` and `countryCode` are required.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionAddress {
    /// Intermediary ("c/o"), at most 40 characters.
    #[schema(example = "")]
    pub care_of: Option<String>,
    /// Street or packstation, at most 60 characters.
    #[schema(example = "Bergnaum Mountains")]
    pub street: Option<String>,
    /// At most 10 characters.
    #[schema(example = "1")]
    pub street_number: Option<String>,
    /// At most 10 characters.
    #[schema(example = "a")]
    pub street_number_additional: Option<String>,
    /// At most 10 characters.
    #[schema(example = "97687-7791")]
    pub postal_code: Option<String>,
    /// At most 40 characters.
    #[schema(example = "Schadenville")]
    pub postal_place: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "DE")]
    pub country_code: Option<String>,
    /// Free text such as `main address`, at most 40 characters.
    pub address_type: Option<String>,
}

/// A payment registration made earlier at a payment service provider.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionPaymentRegistration {
    /// Required, at most 100 characters without spaces.
    #[schema(example = "275122")]
    pub id: Option<String>,
    pub psp_customer_id: Option<String>,
    pub psp_payment_method_id: Option<String>,
}

impl SubscriptionCustomerRequest {
    /// Validates the request into the domain's billing customer.
    pub fn parse(&self, today: time::Date) -> Result<BillingCustomer, FieldError> {
        let c = &self.customer;
        BillingCustomer::parse(
            BillingCustomerInput {
                currency: self.currency.as_deref(),
                customer_number: c.customer_number.as_deref(),
                salutation: c.salutation.as_deref(),
                first_name: c.first_name.as_deref(),
                last_name: c.last_name.as_deref(),
                birth_date: c.birth_date.as_deref(),
                email: c.email.as_deref(),
                phone: c.phone.as_deref(),
                mobile_phone: c.mobile_phone.as_deref(),
                company_name: c.company_name.as_deref(),
                customer_category: c.customer_category.as_deref(),
                language: c.language.as_deref(),
                identification_number: c.identification_number.as_deref(),
                tax_identification_number: c.tax_identification_number.as_deref(),
                address: c.address.as_ref().map(|a| BillingAddressInput {
                    care_of: a.care_of.as_deref(),
                    street: a.street.as_deref(),
                    street_number: a.street_number.as_deref(),
                    street_number_additional: a.street_number_additional.as_deref(),
                    postal_code: a.postal_code.as_deref(),
                    postal_place: a.postal_place.as_deref(),
                    country_code: a.country_code.as_deref(),
                    address_type: a.address_type.as_deref(),
                }),
                payment_registration: self.payment_registration.as_ref().map(|p| PaymentRegistrationInput {
                    id: p.id.as_deref(),
                    psp_customer_id: p.psp_customer_id.as_deref(),
                    psp_payment_method_id: p.psp_payment_method_id.as_deref(),
                }),
            },
            today,
        )
    }
}

/// Answer of a create or update.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionSignUpResponse {
    /// The id of this write; a repeated request (same `X-Request-ID`) answers the same id.
    #[schema(example = 702091815)]
    pub sign_up_id: i64,
    /// Custodian's own customer id (as the self-service and native APIs use it), as a string.
    #[schema(example = "700427690")]
    pub customer_number: String,
    /// The merchant's customer number sent in the request.
    #[schema(example = "c1631704458")]
    pub external_customer_reference: String,
    /// Always empty: Custodian keeps no contracts.
    pub contracts: Vec<serde_json::Value>,
}

impl From<&BillingReceipt> for SubscriptionSignUpResponse {
    fn from(r: &BillingReceipt) -> Self {
        SubscriptionSignUpResponse {
            sign_up_id: r.id,
            customer_number: r.customer_id.0.to_string(),
            external_customer_reference: r.customer_number.to_string(),
            contracts: Vec::new(),
        }
    }
}

/// The customer as read. Every field of the vendor's sample is always present (`""` when not
/// set); `careOf`, `streetNumberAdditional`, `addressType` and `currency` only when set.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionCustomerResponse {
    #[schema(example = "c1631704458")]
    pub customer_number: String,
    #[schema(example = "MR")]
    pub salutation: String,
    #[schema(example = "Ray")]
    pub first_name: String,
    #[schema(example = "Ankunding")]
    pub last_name: String,
    pub address: SubscriptionAddressResponse,
    #[schema(example = "12345678L")]
    pub tax_identification_number: String,
    #[schema(example = "700XXX651")]
    pub identification_number: String,
    #[schema(example = "Ray_Ankunding43@gmail.com")]
    pub email: String,
    #[schema(example = "")]
    pub company_name: String,
    #[schema(example = "1984-11-11")]
    pub birth_date: String,
    #[schema(example = "DE")]
    pub language: String,
    #[schema(example = "PERSON")]
    pub customer_category: String,
    #[schema(example = "871.790.7578 x4882")]
    pub phone: String,
    #[schema(example = "+37258774XXX")]
    pub mobile_phone: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// The customer's address as read.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionAddressResponse {
    #[schema(example = "Bergnaum Mountains")]
    pub street: String,
    #[schema(example = "97687-7791")]
    pub postal_code: String,
    #[schema(example = "Schadenville")]
    pub postal_place: String,
    #[schema(example = "DE")]
    pub country_code: String,
    #[schema(example = "1")]
    pub street_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub care_of: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_number_additional: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_type: Option<String>,
}

fn text<T: ToString>(v: Option<&T>) -> String {
    v.map(ToString::to_string).unwrap_or_default()
}

impl From<&BillingView> for SubscriptionCustomerResponse {
    fn from(v: &BillingView) -> Self {
        let p = &v.profile;
        let contact = match v.customer.data(DataDomain::Contact) {
            Some(DomainData::Contact(c)) => Some(c),
            _ => None,
        };
        let address = match v.customer.data(DataDomain::Address) {
            Some(DomainData::Address(a)) => Some(a.as_ref()),
            _ => None,
        };
        let master = match v.customer.data(DataDomain::Master) {
            Some(DomainData::Master(m)) => Some(m),
            _ => None,
        };
        SubscriptionCustomerResponse {
            customer_number: p.customer_number.to_string(),
            salutation: p.salutation.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            first_name: text(master.map(|m| &m.first_name)),
            last_name: text(master.map(|m| &m.last_name)),
            address: SubscriptionAddressResponse {
                street: text(address.map(|a| &a.street)),
                postal_code: text(address.map(|a| &a.zip_code)),
                postal_place: text(address.map(|a| &a.city)),
                country_code: text(address.map(|a| &a.country_code)),
                street_number: text(address.and_then(|a| a.house_number.as_ref())),
                care_of: p.care_of.as_ref().map(ToString::to_string),
                street_number_additional: p.street_number_additional.as_ref().map(ToString::to_string),
                address_type: p.address_type.as_ref().map(ToString::to_string),
            },
            tax_identification_number: text(p.tax_identification_number.as_ref()),
            identification_number: text(p.identification_number.as_ref()),
            email: text(contact.and_then(|c| c.email.as_ref())),
            company_name: text(p.company_name.as_ref()),
            birth_date: master.map(|m| format_date(m.date_of_birth)).unwrap_or_default(),
            language: text(p.language.as_ref()),
            customer_category: text(p.customer_category.as_ref()),
            phone: text(contact.and_then(|c| c.phone_private.as_ref())),
            mobile_phone: text(contact.and_then(|c| c.phone_private_mobile.as_ref())),
            currency: p.currency.as_ref().map(ToString::to_string),
        }
    }
}
