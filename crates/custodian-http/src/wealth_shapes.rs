//! The wealth model as JSON: the shapes of the OpenWealth customer-management API (OW 1.2.1 as
//! bLink serves it), named as in the vendor's schemas, and their mapping to and from the domain's
//! wealth model. Shared code: the wealth dialect serves these shapes and the native wealth-profile
//! API takes and shows them; it uses neither.
//!
//! The domain types serialise to exactly these shapes, so mapping is a change of type through
//! JSON: outwards with [`wire`], inwards with [`parse_wire`], which also turns a failing field
//! into a [`FieldError`] naming its path (`postalAddress.physicalAddress.country`).

use custodian_app::wealth::{AddressView, ContactView, PersonView, WealthCustomer};
use custodian_domain::FieldError;
use custodian_domain::wealth::{
    CivilStatus, ContactMedium, ContactMediumType, CustomerStatus, DateType, DispatchType, PersonAssociationType, PersonGender,
    PersonRelation, PersonType, SourceOfIncome, SourceOfWealthType, TrustType, TypeOfEmployment,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

/// Changes the type of a value through its JSON form (domain → wire).
pub fn wire<T: Serialize, U: DeserializeOwned>(v: &T) -> U {
    let json = serde_json::to_value(v).expect("wealth data serialises");
    serde_json::from_value(json).expect("the wire shapes mirror the domain's JSON form")
}

/// Removes every blank string (and every `null`) from objects: a blank optional field means
/// "not set", and a blank required one is then reported as required.
fn without_blanks(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null() && !v.as_str().is_some_and(|s| s.trim().is_empty()))
                .map(|(k, v)| (k, without_blanks(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_blanks).collect()),
        other => other,
    }
}

/// Parses a wire value (a request DTO or part of one) into a domain type; the error names the
/// failing field by its path below `within`.
pub fn parse_wire<T: DeserializeOwned>(v: &impl Serialize, within: &str) -> Result<T, FieldError> {
    let json = without_blanks(serde_json::to_value(v).expect("wire shapes serialise"));
    serde_path_to_error::deserialize(json).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let join = |a: &str, b: &str| match (a, b) {
            ("" | ".", b) => b.to_owned(),
            (a, "" | ".") => a.to_owned(),
            (a, b) => format!("{a}.{b}"),
        };
        match message.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
            Some(field) => FieldError::new(join(within, &join(&path, field)), "is required"),
            None => FieldError::new(join(within, &path), message),
        }
    })
}

macro_rules! enum_schemas {
    ($($f:ident => $t:ty),* $(,)?) => {$(
        pub(crate) fn $f() -> Object {
            ObjectBuilder::new().schema_type(Type::String).enum_values(Some(<$t>::ALL.iter().map(|v| v.as_str()))).build()
        }
    )*};
}

enum_schemas!(
    customer_status => CustomerStatus,
    person_relation => PersonRelation,
    person_type => PersonType,
    date_type => DateType,
    gender => PersonGender,
    civil_status => CivilStatus,
    association_type => PersonAssociationType,
    trust_type => TrustType,
    type_of_employment => TypeOfEmployment,
    source_of_income => SourceOfIncome,
    source_of_wealth => SourceOfWealthType,
    contact_medium => ContactMedium,
    contact_medium_type => ContactMediumType,
    dispatch_type => DispatchType,
);

// ---- customer ----

/// A person's relation to the customer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthPersonListItem)]
pub struct PersonListItem {
    #[schema(schema_with = person_relation)]
    pub person_relation: PersonRelation,
    #[schema(max_length = 35, example = "876543219")]
    pub person_identification: String,
}

/// One of the customer's addresses.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthAddressListItem)]
pub struct AddressListItem {
    /// Bank ID of the address object (1 is the domicile address).
    #[schema(example = 1)]
    pub address_identification: i64,
}

/// A customer: an object holding a contract with the bank.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthCustomer)]
pub struct Customer {
    /// Customer ID of the bank.
    #[schema(min_length = 1, max_length = 35, example = "987654321")]
    pub customer_identification: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "123-456-787")]
    pub external_reference: Option<String>,
    /// Name of the customer object (the primary person's names when none is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70, example = "Steve Rogers")]
    pub name: Option<String>,
    #[schema(schema_with = customer_status)]
    pub status: CustomerStatus,
    /// ISO 4217 code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "[A-Z]{3}", example = "CHF")]
    pub reference_currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Date, example = "2018-04-13")]
    pub opening_date: Option<String>,
    pub person_list: Vec<PersonListItem>,
    pub address_list: Vec<AddressListItem>,
}

// ---- KYC ----

/// Occupation, company and trust facts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthNonFinancialSituation)]
pub struct NonFinancialSituation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Philantropist")]
    pub profession: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Stark Industries")]
    pub employing_company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70, example = "University")]
    pub education_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "CEO")]
    pub function: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = type_of_employment)]
    pub type_of_employment: Option<TypeOfEmployment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "[A-Z]{2}", example = "CH")]
    pub risk_domicile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Wealth management")]
    pub reason_for_domiciliary_company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70, example = "Energy supply")]
    pub sector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = 250)]
    pub number_of_employees: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub date_of_incorporation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70, example = "Provide sustainable energy")]
    pub company_purpose: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70)]
    pub structure_controlling_person: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70)]
    pub structure_beneficial_owners: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70, example = "Succession Planning")]
    pub reason_for_trust: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocability: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resettled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70)]
    pub beneficial_owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70)]
    pub beneficiary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70)]
    pub protector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub date_of_trust_contract: Option<String>,
}

/// A sum of money; `amount` is a decimal string.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthMoney)]
pub struct Money {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "[A-Z]{3}", example = "CHF")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "[0-9]{1,12}([.][0-9]{1,9})?", max_length = 22, example = "100000")]
    pub amount: Option<String>,
}

/// Information about the founder, donor or testator.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthOriginator)]
pub struct Originator {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70, example = "Howard Stark")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Relatives")]
    pub relation_to_customer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Technology Provider")]
    pub occupation: Option<String>,
}

/// One source of the customer's wealth.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthSourceOfWealth)]
pub struct SourceOfWealth {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = source_of_wealth)]
    pub source_of_wealth: Option<SourceOfWealthType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "[A-Z]{3}", example = "CHF")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "[0-9]{1,12}([.][0-9]{1,9})?", example = "25000000")]
    pub amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub date_of_receipt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub originator: Option<Originator>,
}

/// The customer's previous bank.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthPriorBank)]
pub struct PriorBank {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70)]
    pub name_prior_bank: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "[A-Z]{2}", example = "CH")]
    pub domicile_prior_bank: Option<String>,
}

/// Income, turnover, wealth and their sources.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthFinancialSituation)]
pub struct FinancialSituation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub income_current_period: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = source_of_income)]
    pub source_of_income: Option<SourceOfIncome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annual_turnover: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monetary_wealth: Option<Money>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_of_wealth: Vec<SourceOfWealth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior_bank: Option<PriorBank>,
}

/// The know-your-client record.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthKyc)]
pub struct Kyc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_financial_situation: Option<NonFinancialSituation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub financial_situation: Option<FinancialSituation>,
}

/// A customer with its KYC record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthCustomerAndKycResponse)]
pub struct CustomerAndKycResponse {
    pub customer: Customer,
    pub kyc: Kyc,
}

// ---- persons ----

/// A customer the person is related to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthCustomerListItem)]
pub struct CustomerListItem {
    #[schema(max_length = 35, example = "123123")]
    pub customer_identification: String,
}

/// A dated event of a natural person.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthPersonDate)]
pub struct PersonDate {
    #[schema(format = Date, example = "1970-05-29")]
    pub date: String,
    #[schema(schema_with = date_type)]
    pub date_type: DateType,
}

/// Further details about the person; which fields apply depends on `personType` (naturalPerson:
/// givenName … TIN; legalPerson: organisationName, legalForm, LEI, domicilaryCompany;
/// personAssociation: personAssociationName, personAssociationType; trust: trustName, trustType;
/// soleProprietorship: soleProprietorshipName).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthPersonDetails)]
pub struct PersonDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = person_type)]
    pub person_type: Option<PersonType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Anthony")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Edward")]
    pub middle_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Stark")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "PhD")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<PersonDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = gender)]
    pub gender: Option<PersonGender>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(example = json!(["US"]))]
    pub nationality: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = civil_status)]
    pub civil_status: Option<CivilStatus>,
    #[serde(default, rename = "TIN", skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "123-12-1234")]
    pub tin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Stark Industries")]
    pub organisation_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "AG")]
    pub legal_form: Option<String>,
    #[serde(default, rename = "LEI", skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "[A-Z0-9]{18,18}[0-9]{2,2}", example = "529900UVM8LC55IFAA52")]
    pub lei: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domicilary_company: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70, example = "Anthony Stark a/o Piper Potts")]
    pub person_association_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = association_type)]
    pub person_association_type: Option<PersonAssociationType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70, example = "Spiderman Trust")]
    pub trust_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = trust_type)]
    pub trust_type: Option<TrustType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70, example = "Anthony Stark")]
    pub sole_proprietorship_name: Option<String>,
}

/// A way of contacting a person.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthContactDetails)]
pub struct ContactDetails {
    /// Read-only: `email`, `phonePrivate`, `phonePrivateMobile`, `phoneBusiness` or
    /// `phoneBusinessMobile` for the primary person's contact data, a number for the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, read_only, example = "123987")]
    pub contact_identification: Option<String>,
    #[schema(schema_with = contact_medium)]
    pub medium: ContactMedium,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = contact_medium_type)]
    pub contact_medium_type: Option<ContactMediumType>,
    /// An e-mail address, a phone or fax number, a web address or a social-media profile.
    #[schema(min_length = 1, max_length = 70, example = "0041998887766")]
    pub contact_content: String,
    /// `mobile` marks a mobile phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70, example = "Prio 1 Phone Number")]
    pub additional_contact_information: Option<String>,
}

/// A person related to one or more customers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthPerson)]
pub struct Person {
    /// Bank identification of the person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 35, example = "876543219")]
    pub person_identification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "987-654-321")]
    pub external_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customer_list: Vec<CustomerListItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70, example = "Tony Stark")]
    pub full_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "[A-Z]{2}", example = "CH")]
    pub country_of_domicile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "German")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact_information: Vec<ContactDetails>,
    /// The person type again (the vendor schema requires it here; it equals `personDetails.personType`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = person_type)]
    pub person_type: Option<PersonType>,
    pub person_details: PersonDetails,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(example = json!(["CH"]))]
    pub tax_domicile: Vec<String>,
}

// ---- addresses ----

/// Salutation lines.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthSalutation)]
pub struct Salutation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "confidential")]
    pub reception_restriction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Mr.")]
    pub salutation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "PhD")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Dear Ironman")]
    pub override_salutation: Option<String>,
}

/// The addressee.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthPostalName)]
pub struct PostalName {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70, example = "Stark Industries")]
    pub organisation_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Anthony")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Edward")]
    pub middle_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Stark")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "jr.")]
    pub name_suffix: Option<String>,
}

/// Where mail goes. For the domicile address (1) street, building number, post code, town,
/// country, subdivision and suffix are the customer's address data: street, post code, town and
/// country are then required.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthPhysicalAddress)]
pub struct PhysicalAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Piper Potts")]
    pub care_of: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Jarvis")]
    pub to_the_attention_of: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Malibu Point")]
    pub street_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "10880")]
    pub building_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "12")]
    pub post_box: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Appartment 1")]
    pub address_suffix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "90265")]
    pub post_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "Malibu")]
    pub town_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "CA")]
    pub country_sub_division: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "[A-Z]{2}", example = "US")]
    pub country: Option<String>,
}

/// A postal address.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthPostalAddress)]
pub struct PostalAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salutation: Option<Salutation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<PostalName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_address: Option<PhysicalAddress>,
}

/// A new address (POST); the customer's first address becomes its domicile address.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthAddressNew)]
pub struct AddressNew {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70, example = "Stark Mansion")]
    pub address_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "MainDispatch")]
    pub mailing_instruction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_address: Option<PostalAddress>,
}

/// An address of a customer. Address 1 is the domicile address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthAddress)]
pub struct Address {
    /// Bank ID of the address object; selects the address a PUT replaces (a numeric string is
    /// accepted too, as POST returns it).
    #[serde(deserialize_with = "number_or_numeric_string")]
    #[schema(value_type = i64, example = 1)]
    pub address_identification: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 70, example = "Stark Mansion")]
    pub address_name: Option<String>,
    /// True for address 1 only; a PUT may repeat it but cannot change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_domicile: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_mailing_address: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "MainDispatch")]
    pub mailing_instruction: Option<String>,
    #[schema(schema_with = dispatch_type)]
    pub dispatch_type: DispatchType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35, example = "German")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_address: Option<PostalAddress>,
}

impl AddressNew {
    /// The new address: dispatched by post, named and with the postal address as given.
    pub fn to_domain(&self) -> Result<custodian_domain::wealth::WealthAddress, FieldError> {
        use custodian_domain::wealth::{PostalAddress, Text35, Text70, WealthAddress};
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Parsed {
            address_name: Option<Text70>,
            mailing_instruction: Option<Text35>,
            postal_address: Option<PostalAddress>,
        }
        let p: Parsed = parse_wire(self, "")?;
        Ok(WealthAddress::new(p.address_name, p.mailing_instruction, p.postal_address))
    }
}

fn number_or_numeric_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().ok_or_else(|| serde::de::Error::custom(format!("must be a whole number, not {n}"))),
        Value::String(s) => s.trim().parse().map_err(|_| serde::de::Error::custom(format!("must be a number, not {s:?}"))),
        other => Err(serde::de::Error::custom(format!("must be a number, not {other}"))),
    }
}

/// The id of a newly created address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthAddressIdentificationResponse)]
pub struct AddressIdentificationResponse {
    /// ID of the newly created address object.
    #[schema(example = "2")]
    pub address_identification: String,
}

/// Health of the customer-management module.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OpenWealthHealthcheck)]
pub struct Healthcheck {
    /// `UP` when the module and its database answer.
    #[schema(example = "UP")]
    pub status: String,
    /// When the request was received (RFC 3339, UTC).
    #[schema(example = "2026-04-13T09:30:00Z")]
    pub timestamp: String,
    /// The request headers as received (credentials left out), to verify they pass unchanged.
    pub received_headers: std::collections::BTreeMap<String, String>,
}

// ---- mapping from the application's views ----

pub(crate) fn customer_dto(wc: &WealthCustomer) -> Customer {
    let p = &wc.profile.profile;
    Customer {
        customer_identification: wc.customer.id.to_string(),
        external_reference: p.external_reference.as_ref().map(ToString::to_string),
        name: wc.name(),
        status: p.status,
        reference_currency: p.reference_currency.as_ref().map(ToString::to_string),
        opening_date: p.opening_date.map(|d| d.to_string()),
        person_list: wc
            .profile
            .persons
            .iter()
            .map(|l| PersonListItem { person_relation: l.relation, person_identification: l.person.to_string() })
            .collect(),
        address_list: wc.address_numbers().into_iter().map(|n| AddressListItem { address_identification: n }).collect(),
    }
}

pub(crate) fn contact_dto(c: &ContactView) -> ContactDetails {
    ContactDetails { contact_identification: Some(c.id.clone()), ..wire(&c.detail) }
}

pub(crate) fn person_dto(p: &PersonView) -> Person {
    Person {
        person_identification: Some(p.id.to_string()),
        customer_list: p.customers.iter().map(|c| CustomerListItem { customer_identification: c.to_string() }).collect(),
        full_name: p.person.display_name(),
        contact_information: p.contacts.iter().map(contact_dto).collect(),
        person_type: Some(p.person.person_details.person_type()),
        ..wire(&p.person)
    }
}

pub(crate) fn address_dto(a: &AddressView) -> Address {
    let mut json = serde_json::to_value(&a.address).expect("an address serialises");
    json["addressIdentification"] = a.number.into();
    json["isDomicile"] = a.is_domicile.into();
    serde_json::from_value(json).expect("the wire address mirrors the domain's")
}

#[cfg(test)]
mod tests {
    use super::*;
    use custodian_domain::wealth::{Kyc as DomainKyc, PersonInput, WealthAddress};
    use serde_json::json;

    fn kyc_example() -> Value {
        json!({
            "nonFinancialSituation": { "profession": "Philantropist", "employingCompany": "Stark Industries", "educationLevel": "University",
                "function": "CEO", "typeOfEmployment": "employed", "riskDomicile": "CH", "reasonForDomiciliaryCompany": "Wealth management",
                "sector": "Energy supply", "numberOfEmployees": 250, "dateOfIncorporation": "2018-04-13", "companyPurpose": "Provide sustainable energy",
                "structureControllingPerson": "Anthony Stark (75%), Piper Potts (25%)", "structureBeneficialOwners": "Anthony Stark (100%)",
                "reasonForTrust": "Succession Planning", "revocability": true, "resettled": false, "merged": false, "beneficialOwner": "Max Muster",
                "beneficiary": "Peter Parker", "protector": "Stark Industries", "dateOfTrustContract": "2018-04-13" },
            "financialSituation": { "incomeCurrentPeriod": { "currency": "CHF", "amount": "100000" }, "sourceOfIncome": "income",
                "annualTurnover": { "currency": "CHF", "amount": "200000" }, "monetaryWealth": { "currency": "CHF", "amount": "1000000" },
                "sourceOfWealth": [{ "sourceOfWealth": "inheritance", "currency": "CHF", "amount": "25000000", "dateOfReceipt": "2018-04-13",
                    "originator": { "name": "Howard Stark", "relationToCustomer": "Relatives", "occupation": "Technology Provider" } }],
                "priorBank": { "namePriorBank": "Old Bank", "domicilePriorBank": "CH" } }
        })
    }

    #[test]
    fn every_field_of_the_vendor_kyc_example_survives_the_wire_and_the_domain() {
        let dto: Kyc = serde_json::from_value(kyc_example()).unwrap();
        let domain: DomainKyc = parse_wire(&dto, "kyc").unwrap();
        let back: Kyc = wire(&domain);
        assert_eq!(serde_json::to_value(back).unwrap(), kyc_example());
    }

    #[test]
    fn every_field_of_a_person_and_an_address_survives_the_wire_and_the_domain() {
        let person = json!({ "externalReference": "987-654-321", "fullName": "Tony Stark", "countryOfDomicile": "US", "language": "German",
            "personType": "naturalPerson", "personDetails": { "personType": "naturalPerson", "givenName": "Anthony", "middleName": "Edward",
            "lastName": "Stark", "title": "PhD", "dates": [{ "date": "1970-05-29", "dateType": "birthDate" }], "gender": "male",
            "nationality": ["US"], "civilStatus": "married", "TIN": "123-12-1234" }, "taxDomicile": ["US", "CH"] });
        let dto: Person = serde_json::from_value(person.clone()).unwrap();
        let input: PersonInput = parse_wire(&dto, "").unwrap();
        let domain = input.parse().unwrap();
        let mut back = serde_json::to_value(wire::<_, Person>(&domain)).unwrap();
        back["personType"] = json!("naturalPerson");
        assert_eq!(back, person);

        let address = json!({ "addressIdentification": 1, "addressName": "Stark Mansion", "isMailingAddress": true,
            "mailingInstruction": "MainDispatch", "dispatchType": "postal", "language": "German", "postalAddress": {
            "salutation": { "receptionRestriction": "confidential", "salutation": "Mr.", "title": "PhD", "overrideSalutation": "Dear Ironman" },
            "name": { "organisationName": "Strak Industries", "givenName": "Anthony", "middleName": "Edward", "lastName": "Stark", "nameSuffix": "jr." },
            "physicalAddress": { "careOf": "Piper Potts", "toTheAttentionOf": "Jarvis", "streetName": "Malibu Point", "buildingNumber": "10880",
                "postBox": "12", "addressSuffix": "Appartment 1", "postCode": "90265", "townName": "Malibu", "countrySubDivision": "CA", "country": "US" } } });
        let dto: Address = serde_json::from_value(address.clone()).unwrap();
        let domain: WealthAddress = parse_wire(&dto, "").unwrap();
        let mut back = serde_json::to_value(&domain).unwrap();
        back["addressIdentification"] = json!(1);
        let back: Address = serde_json::from_value(back).unwrap();
        assert_eq!(serde_json::to_value(back).unwrap(), address);
    }

    #[test]
    fn a_bad_field_is_named_by_its_path_and_blank_optional_fields_mean_not_set() {
        let dto: Kyc =
            serde_json::from_value(json!({ "financialSituation": { "sourceOfWealth": [{}, { "amount": "1,5" }] } })).unwrap();
        let e = parse_wire::<DomainKyc>(&dto, "kyc").unwrap_err();
        assert_eq!(e.reference, "kyc.financialSituation.sourceOfWealth[1].amount");
        assert!(e.message.contains("is not an amount"), "{}", e.message);

        let dto: Address = serde_json::from_value(json!({ "addressIdentification": "2", "dispatchType": "postal",
            "addressName": " ", "postalAddress": { "physicalAddress": { "country": "Switzerland" } } }))
        .unwrap();
        assert_eq!(dto.address_identification, 2);
        let e = parse_wire::<WealthAddress>(&dto, "").unwrap_err();
        assert_eq!(e.reference, "postalAddress.physicalAddress.country");

        let dto: Person =
            serde_json::from_value(json!({ "personDetails": { "personType": "legalPerson", "organisationName": "" } })).unwrap();
        let person = parse_wire::<PersonInput>(&dto, "").unwrap().parse().unwrap_err();
        assert_eq!(person.reference, "personDetails.organisationName");
    }
}
