//! Wealth-management customer data in the shape of the OpenWealth customer-management model: a
//! customer's wealth profile and KYC record, the persons related to customers (five person
//! types), their contact details, a customer's addresses, and the service users' consents.
//!
//! Every value is parsed when it is deserialised, so a document that deserialises is valid; the
//! few rules that span fields have their own `parse`/`check`. The mappings onto the shared
//! self-service domains live here too: a customer's primary person ↔ master data, its e-mail and
//! phones ↔ contact data, and its domicile address (always address 1) ↔ address data.

use crate::data::{AddressData, AddressInput, ContactData, CustomerTitle, Gender, MasterData, MasterInput};
use crate::error::FieldError;
use crate::values::{CountryCode, Email, Phone, Text, format_date, parse_date};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::Date;

/// A person of the wealth-management model (the OpenWealth `personIdentification`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonId(pub i64);

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The number of a customer's domicile address: it is the one mirrored to the address domain.
pub const DOMICILE_ADDRESS: i64 = 1;

macro_rules! parsed_serde {
    ($name:ty) => {
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                <$name>::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Free text of 1..=`MAX` characters without control characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedText<const MAX: usize>(Text);

impl<const MAX: usize> BoundedText<MAX> {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let t = Text::parse(raw)?;
        if t.as_str().chars().count() > MAX {
            return Err(format!("must be at most {MAX} characters"));
        }
        Ok(BoundedText(t))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn text(&self) -> &Text {
        &self.0
    }
}

impl<const MAX: usize> fmt::Display for BoundedText<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const MAX: usize> Serialize for BoundedText<MAX> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for BoundedText<MAX> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        BoundedText::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Text of at most 35 characters (most OpenWealth fields).
pub type Text35 = BoundedText<35>;
/// Text of at most 70 characters (names and descriptions).
pub type Text70 = BoundedText<70>;

/// A calendar date, `YYYY-MM-DD` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IsoDate(pub Date);

impl IsoDate {
    pub fn parse(raw: &str) -> Result<IsoDate, String> {
        parse_date(raw).map(IsoDate)
    }
}

impl fmt::Display for IsoDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_date(self.0))
    }
}
parsed_serde!(IsoDate);

/// An ISO 4217 currency code: three upper-case letters (`CHF`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyCode(String);

impl CurrencyCode {
    pub fn parse(raw: &str) -> Result<CurrencyCode, String> {
        let c = raw.trim();
        if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(CurrencyCode(c.to_owned()))
        } else {
            Err(format!("is not an ISO 4217 currency code (three upper-case letters such as CHF): {c:?}"))
        }
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
parsed_serde!(CurrencyCode);

/// A non-negative decimal amount as a string: 1 to 12 digits, optionally a point and 1 to 9
/// decimals (`100000`, `2500.50`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount(String);

impl Amount {
    pub fn parse(raw: &str) -> Result<Amount, String> {
        let a = raw.trim();
        let (int, frac) = match a.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (a, None),
        };
        let digits = |s: &str, max: usize| !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit());
        if digits(int, 12) && frac.is_none_or(|f| digits(f, 9)) {
            Ok(Amount(a.to_owned()))
        } else {
            Err(format!(
                "is not an amount: 1 to 12 digits with up to 9 decimals after a point, such as 100000 or 2500.50, not {a:?}"
            ))
        }
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
parsed_serde!(Amount);

/// A legal entity identifier (ISO 17442): 18 upper-case letters or digits and 2 check digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lei(String);

impl Lei {
    pub fn parse(raw: &str) -> Result<Lei, String> {
        let l = raw.trim();
        let b = l.as_bytes();
        let shape = b.len() == 20
            && b[..18].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && b[18..].iter().all(u8::is_ascii_digit);
        if shape {
            Ok(Lei(l.to_owned()))
        } else {
            Err(format!("is not an LEI: 18 letters or digits and 2 check digits, not {l:?}"))
        }
    }
}

impl fmt::Display for Lei {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
parsed_serde!(Lei);

/// The public prefix of a service user's API key (the part between `cus_` and the second `_`);
/// consents are granted to it. Never the secret key itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceUser(String);

impl ServiceUser {
    pub fn parse(raw: &str) -> Result<ServiceUser, String> {
        let s = raw.trim();
        if (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(ServiceUser(s.to_owned()))
        } else {
            Err("is not a service user: give the public prefix of the service user's API key (the letters and digits \
                 between cus_ and the second _), never the key itself"
                .into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ServiceUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
parsed_serde!(ServiceUser);

/// An enumeration with fixed wire names; parsing names the allowed values on failure.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            pub fn parse(raw: &str) -> Result<$name, String> {
                raw.trim().parse()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let allowed: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    format!("must be one of {}, not {s:?}", allowed.join(", "))
                })
            }
        }

        parsed_serde!($name);
    };
}

wire_enum!(
    /// Status of a customer's contract.
    CustomerStatus { Active => "active", Inactive => "inactive", Closed => "closed" }
);
wire_enum!(
    /// What a person is to a customer.
    PersonRelation {
        BeneficialOwner => "beneficialOwner",
        AuthorisedRepresentative => "authorisedRepresentative",
        AssetManager => "assetManager",
        AccountOwner => "accountOwner",
        AuthorisedSignatory => "authorisedSignatory",
        Other => "other",
    }
);
wire_enum!(
    /// The five kinds of person.
    PersonType {
        NaturalPerson => "naturalPerson",
        LegalPerson => "legalPerson",
        PersonAssociation => "personAssociation",
        Trust => "trust",
        SoleProprietorship => "soleProprietorship",
    }
);
wire_enum!(
    /// What a date of a natural person records.
    DateType { BirthDate => "birthDate", DivorceDate => "divorceDate", DeathDate => "deathDate" }
);
wire_enum!(
    /// Gender of a natural person.
    PersonGender { Male => "male", Female => "female", Other => "other" }
);
wire_enum!(
    /// Civil status of a natural person.
    CivilStatus { Unmarried => "unmarried", Married => "married", Divorced => "divorced", Widowed => "widowed" }
);
wire_enum!(
    /// Kind of person association.
    PersonAssociationType {
        CompteJoint => "compteJoint",
        JointHeirs => "jointHeirs",
        UnregisteredPartnership => "unregisteredPartnership",
        LimitedPartnership => "limitedPartnership",
        CollectiveProprietorship => "collectiveProprietorship",
    }
);
wire_enum!(
    /// Kind of trust.
    TrustType { SimpleTrust => "simpleTrust", ComplexTrust => "complexTrust", GrantorTrust => "grantorTrust" }
);
wire_enum!(
    /// Type of employment of a natural person.
    TypeOfEmployment { SelfEmployed => "selfEmployed", Employed => "employed", Unemployed => "unemployed", Retired => "retired" }
);
wire_enum!(
    /// Origin of a customer's income.
    SourceOfIncome {
        Income => "income",
        Savings => "savings",
        Inheritance => "inheritance",
        LifeInsurance => "lifeInsurance",
        PensionFunds => "pensionFunds",
        Gift => "gift",
    }
);
wire_enum!(
    /// Kind of a source of wealth (the vendor's spelling, `redemtion` included).
    SourceOfWealthType {
        RetirementPolicy => "retirementPolicy",
        SelfEmploymentIncome => "selfEmploymentIncome",
        EmployeeIncome => "employeeIncome",
        Savings => "savings",
        Gift => "gift",
        Inheritance => "inheritance",
        Redemtion => "redemtion",
        Winnings => "winnings",
        InsurancePremiumLiquidation => "insurancePremiumLiquidation",
        SaleOfGoods => "saleOfGoods",
        RealEstateSale => "realEstateSale",
        SaleAquisitionCorporation => "saleAquisitionCorporation",
        CashProceeds => "cashProceeds",
        Alimony => "alimony",
        Compensation => "compensation",
        Other => "other",
    }
);
wire_enum!(
    /// How a person can be contacted.
    ContactMedium { Email => "email", Phone => "phone", Fax => "fax", Website => "website", SocialMediaProfile => "socialMediaProfile" }
);
wire_enum!(
    /// Whether contact details are private or business ones.
    ContactMediumType { Private => "private", Business => "business" }
);
wire_enum!(
    /// How correspondence to an address is sent.
    DispatchType { Postal => "postal", Electronical => "electronical", Other => "other" }
);

// ---- customer profile and KYC ----

/// The wealth-management contract data of a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WealthProfile {
    pub status: CustomerStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_reference: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Text70>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_currency: Option<CurrencyCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opening_date: Option<IsoDate>,
}

/// The know-your-client record of a customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Kyc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_financial_situation: Option<NonFinancialSituation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub financial_situation: Option<FinancialSituation>,
}

/// Occupation, company and trust facts of a customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NonFinancialSituation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profession: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employing_company: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub education_level: Option<Text70>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_of_employment: Option<TypeOfEmployment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_domicile: Option<CountryCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_for_domiciliary_company: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<Text70>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_employees: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_incorporation: Option<IsoDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_purpose: Option<Text70>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structure_controlling_person: Option<Text70>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structure_beneficial_owners: Option<Text70>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_for_trust: Option<Text70>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocability: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resettled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beneficial_owner: Option<Text70>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beneficiary: Option<Text70>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protector: Option<Text70>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_trust_contract: Option<IsoDate>,
}

/// A sum of money.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<CurrencyCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
}

/// Who left or gave money to the customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Originator {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Text70>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation_to_customer: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupation: Option<Text35>,
}

/// One source of a customer's wealth.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceOfWealth {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_of_wealth: Option<SourceOfWealthType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<CurrencyCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_receipt: Option<IsoDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub originator: Option<Originator>,
}

/// The customer's previous bank.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriorBank {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prior_bank: Option<Text70>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domicile_prior_bank: Option<CountryCode>,
}

/// Income, turnover, wealth and their sources.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FinancialSituation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub income_current_period: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

// ---- persons ----

/// A dated event in a natural person's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonDate {
    pub date: IsoDate,
    pub date_type: DateType,
}

/// A human being.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NaturalPerson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text35>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<PersonDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<PersonGender>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nationality: Vec<CountryCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub civil_status: Option<CivilStatus>,
    #[serde(default, rename = "TIN", skip_serializing_if = "Option::is_none")]
    pub tin: Option<Text35>,
}

/// A company or other legal entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegalPerson {
    pub organisation_name: Text35,
    pub legal_form: Text35,
    #[serde(default, rename = "LEI", skip_serializing_if = "Option::is_none")]
    pub lei: Option<Lei>,
    pub domicilary_company: bool,
}

/// Several persons acting together (a joint account, joint heirs, a partnership).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonAssociation {
    pub person_association_name: Text70,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_association_type: Option<PersonAssociationType>,
}

/// A trust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trust {
    pub trust_name: Text70,
    pub trust_type: TrustType,
}

/// A sole proprietorship.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SoleProprietorship {
    pub sole_proprietorship_name: Text70,
}

/// The details of a person; which ones depends on the person type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "personType", rename_all = "camelCase")]
pub enum PersonDetails {
    NaturalPerson(NaturalPerson),
    LegalPerson(LegalPerson),
    PersonAssociation(PersonAssociation),
    Trust(Trust),
    SoleProprietorship(SoleProprietorship),
}

/// Person details as they arrive: every field of every type, each already a parsed value, plus
/// the type that says which of them apply. [`PersonDetailsInput::parse`] checks the required
/// fields of that type.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonDetailsInput {
    pub person_type: Option<PersonType>,
    pub given_name: Option<Text35>,
    pub middle_name: Option<Text35>,
    pub last_name: Option<Text35>,
    pub title: Option<Text35>,
    #[serde(default)]
    pub dates: Vec<PersonDate>,
    pub gender: Option<PersonGender>,
    #[serde(default)]
    pub nationality: Vec<CountryCode>,
    pub civil_status: Option<CivilStatus>,
    #[serde(rename = "TIN")]
    pub tin: Option<Text35>,
    pub organisation_name: Option<Text35>,
    pub legal_form: Option<Text35>,
    #[serde(rename = "LEI")]
    pub lei: Option<Lei>,
    pub domicilary_company: Option<bool>,
    pub person_association_name: Option<Text70>,
    pub person_association_type: Option<PersonAssociationType>,
    pub trust_name: Option<Text70>,
    pub trust_type: Option<TrustType>,
    pub sole_proprietorship_name: Option<Text70>,
}

fn need<T>(v: Option<T>, field: &str, t: PersonType) -> Result<T, FieldError> {
    v.ok_or_else(|| FieldError::new(field, format!("is required for a {t}")))
}

impl PersonDetailsInput {
    /// The details of the given type (`personType` inside the details wins over `outer`, the
    /// person's top-level `personType`; they must agree when both are given).
    pub fn parse(self, outer: Option<PersonType>) -> Result<PersonDetails, FieldError> {
        let t = match (self.person_type, outer) {
            (Some(inner), Some(outer)) if inner != outer => {
                return Err(FieldError::new(
                    "personType",
                    format!("is {outer} but personDetails.personType is {inner}; they must agree"),
                ));
            }
            (Some(t), _) | (None, Some(t)) => t,
            (None, None) => return Err(FieldError::new("personDetails.personType", "is required")),
        };
        let field = |name: &str| format!("personDetails.{name}");
        Ok(match t {
            PersonType::NaturalPerson => {
                let mut seen = std::collections::BTreeSet::new();
                if let Some(d) = self.dates.iter().find(|d| !seen.insert(d.date_type)) {
                    return Err(FieldError::new(field("dates"), format!("lists {} more than once", d.date_type)));
                }
                PersonDetails::NaturalPerson(NaturalPerson {
                    given_name: self.given_name,
                    middle_name: self.middle_name,
                    last_name: self.last_name,
                    title: self.title,
                    dates: self.dates,
                    gender: self.gender,
                    nationality: self.nationality,
                    civil_status: self.civil_status,
                    tin: self.tin,
                })
            }
            PersonType::LegalPerson => PersonDetails::LegalPerson(LegalPerson {
                organisation_name: need(self.organisation_name, &field("organisationName"), t)?,
                legal_form: need(self.legal_form, &field("legalForm"), t)?,
                lei: self.lei,
                domicilary_company: need(self.domicilary_company, &field("domicilaryCompany"), t)?,
            }),
            PersonType::PersonAssociation => PersonDetails::PersonAssociation(PersonAssociation {
                person_association_name: need(self.person_association_name, &field("personAssociationName"), t)?,
                person_association_type: self.person_association_type,
            }),
            PersonType::Trust => PersonDetails::Trust(Trust {
                trust_name: need(self.trust_name, &field("trustName"), t)?,
                trust_type: need(self.trust_type, &field("trustType"), t)?,
            }),
            PersonType::SoleProprietorship => PersonDetails::SoleProprietorship(SoleProprietorship {
                sole_proprietorship_name: need(self.sole_proprietorship_name, &field("soleProprietorshipName"), t)?,
            }),
        })
    }
}

impl PersonDetails {
    pub fn person_type(&self) -> PersonType {
        match self {
            PersonDetails::NaturalPerson(_) => PersonType::NaturalPerson,
            PersonDetails::LegalPerson(_) => PersonType::LegalPerson,
            PersonDetails::PersonAssociation(_) => PersonType::PersonAssociation,
            PersonDetails::Trust(_) => PersonType::Trust,
            PersonDetails::SoleProprietorship(_) => PersonType::SoleProprietorship,
        }
    }

    /// The name the person goes by: given, middle and last name, or the organisation's name.
    pub fn display_name(&self) -> Option<String> {
        match self {
            PersonDetails::NaturalPerson(n) => {
                let parts: Vec<&str> =
                    [&n.given_name, &n.middle_name, &n.last_name].into_iter().flatten().map(|t| t.as_str()).collect();
                (!parts.is_empty()).then(|| parts.join(" "))
            }
            PersonDetails::LegalPerson(l) => Some(l.organisation_name.to_string()),
            PersonDetails::PersonAssociation(a) => Some(a.person_association_name.to_string()),
            PersonDetails::Trust(t) => Some(t.trust_name.to_string()),
            PersonDetails::SoleProprietorship(s) => Some(s.sole_proprietorship_name.to_string()),
        }
    }
}

/// A person related to one or more customers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_reference: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<Text70>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_of_domicile: Option<CountryCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Text35>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_domicile: Vec<CountryCode>,
    pub person_details: PersonDetails,
}

/// A person as it arrives; see [`PersonInput::parse`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonInput {
    pub external_reference: Option<Text35>,
    pub full_name: Option<Text70>,
    pub country_of_domicile: Option<CountryCode>,
    pub language: Option<Text35>,
    #[serde(default)]
    pub tax_domicile: Vec<CountryCode>,
    /// The vendor schema requires `personType` on the person although it defines it inside
    /// `personDetails`; either place is accepted.
    pub person_type: Option<PersonType>,
    pub person_details: Option<PersonDetailsInput>,
}

impl PersonInput {
    pub fn parse(self) -> Result<Person, FieldError> {
        let details = self.person_details.ok_or_else(|| FieldError::new("personDetails", "is required"))?;
        Ok(Person {
            external_reference: self.external_reference,
            full_name: self.full_name,
            country_of_domicile: self.country_of_domicile,
            language: self.language,
            tax_domicile: self.tax_domicile,
            person_details: details.parse(self.person_type)?,
        })
    }
}

impl Person {
    /// The full name as stored, or one made of the details' names.
    pub fn display_name(&self) -> Option<String> {
        self.full_name.as_ref().map(ToString::to_string).or_else(|| self.person_details.display_name())
    }

    /// The primary person of a customer as the customer's master data says: names, birth date
    /// and gender come from `master` (the self-service master-data domain owns them).
    pub fn with_master(mut self, master: Option<&MasterData>) -> Person {
        if let (PersonDetails::NaturalPerson(n), Some(m)) = (&mut self.person_details, master) {
            n.given_name = BoundedText::parse(m.first_name.as_str()).ok();
            n.last_name = BoundedText::parse(m.last_name.as_str()).ok();
            n.gender = Some(match m.gender {
                Gender::Male => PersonGender::Male,
                Gender::Female => PersonGender::Female,
                Gender::Unisex => PersonGender::Other,
            });
            n.dates.retain(|d| d.date_type != DateType::BirthDate);
            n.dates.insert(0, PersonDate { date: IsoDate(m.date_of_birth), date_type: DateType::BirthDate });
        }
        self
    }

    /// The master data this primary person implies: its names, birth date and gender over
    /// `current` (whose title and country of birth stay). `None` when the person is not a natural
    /// person or names none of those fields; an error naming the field when the result would be
    /// incomplete or invalid.
    pub fn master_data(&self, current: Option<&MasterData>, today: Date) -> Result<Option<MasterData>, FieldError> {
        let PersonDetails::NaturalPerson(n) = &self.person_details else { return Ok(None) };
        let birth = n.dates.iter().find(|d| d.date_type == DateType::BirthDate).map(|d| d.date.to_string());
        if n.given_name.is_none() && n.last_name.is_none() && n.gender.is_none() && birth.is_none() {
            return Ok(None);
        }
        let gender = n.gender.map(|g| match g {
            PersonGender::Male => "MALE",
            PersonGender::Female => "FEMALE",
            PersonGender::Other => "UNISEX",
        });
        let current_gender = current.map(|m| match m.gender {
            Gender::Male => "MALE",
            Gender::Female => "FEMALE",
            Gender::Unisex => "UNISEX",
        });
        let current_birth = current.map(|m| format_date(m.date_of_birth));
        let current_title = current.map_or("NONE", |m| match m.customer_title {
            CustomerTitle::None => "NONE",
            CustomerTitle::Dr => "DR",
            CustomerTitle::Prof => "PROF",
        });
        let input = MasterInput {
            first_name: n.given_name.as_ref().map(|t| t.as_str()).or(current.map(|m| m.first_name.as_str())),
            last_name: n.last_name.as_ref().map(|t| t.as_str()).or(current.map(|m| m.last_name.as_str())),
            gender: gender.or(current_gender),
            date_of_birth: birth.as_deref().or(current_birth.as_deref()),
            customer_title: Some(current_title),
            country_of_birth: current.and_then(|m| m.country_of_birth.as_ref()).map(|c| c.as_str()),
        };
        MasterData::parse(input, today).map(Some).map_err(|e| {
            let field = match e.reference.as_str() {
                "firstName" => "personDetails.givenName",
                "lastName" => "personDetails.lastName",
                "gender" => "personDetails.gender",
                _ => "personDetails.dates",
            };
            let message = if e.message == "is required" {
                "is required: the primary person's names, gender and birth date are the customer's master data".to_owned()
            } else {
                e.message
            };
            FieldError::new(field, message)
        })
    }
}

// ---- contact details ----

/// One way of contacting a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactDetail {
    pub medium: ContactMedium,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_medium_type: Option<ContactMediumType>,
    pub contact_content: Text70,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_contact_information: Option<Text70>,
}

impl ContactDetail {
    /// Checks that the content fits the medium: an e-mail address, a phone or fax number, or a
    /// web address.
    pub fn check(self) -> Result<ContactDetail, FieldError> {
        let content = self.contact_content.as_str();
        let result = match self.medium {
            ContactMedium::Email => Email::parse(content).map(|_| ()),
            ContactMedium::Phone | ContactMedium::Fax => Phone::parse(content).map(|_| ()),
            ContactMedium::Website => {
                let host = content.strip_prefix("https://").or_else(|| content.strip_prefix("http://")).unwrap_or(content);
                if host.contains('.') && !content.chars().any(char::is_whitespace) {
                    Ok(())
                } else {
                    Err(format!("is not a web address such as https://www.example.com: {content:?}"))
                }
            }
            ContactMedium::SocialMediaProfile => Ok(()),
        };
        result.map_err(|m| FieldError::new("contactContent", m))?;
        Ok(self)
    }

    fn new(medium: ContactMedium, kind: ContactMediumType, content: &str, mobile: bool) -> Option<ContactDetail> {
        Some(ContactDetail {
            medium,
            contact_medium_type: Some(kind),
            contact_content: BoundedText::parse(content).ok()?,
            additional_contact_information: mobile.then(|| BoundedText::parse(MOBILE).expect("a valid constant")),
        })
    }
}

/// The `additionalContactInformation` that marks a mobile phone number.
pub const MOBILE: &str = "mobile";

/// A field of the contact domain, seen as one of the primary person's contact details; its
/// `id` is that contact detail's stable `contactIdentification`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactSlot {
    Email,
    PhonePrivate,
    PhonePrivateMobile,
    PhoneBusiness,
    PhoneBusinessMobile,
}

impl ContactSlot {
    pub const ALL: [ContactSlot; 5] = [
        ContactSlot::Email,
        ContactSlot::PhonePrivate,
        ContactSlot::PhonePrivateMobile,
        ContactSlot::PhoneBusiness,
        ContactSlot::PhoneBusinessMobile,
    ];

    /// The contact identification, named after the contact-domain field.
    pub fn id(self) -> &'static str {
        match self {
            ContactSlot::Email => "email",
            ContactSlot::PhonePrivate => "phonePrivate",
            ContactSlot::PhonePrivateMobile => "phonePrivateMobile",
            ContactSlot::PhoneBusiness => "phoneBusiness",
            ContactSlot::PhoneBusinessMobile => "phoneBusinessMobile",
        }
    }

    fn value(self, c: &ContactData) -> Option<&str> {
        match self {
            ContactSlot::Email => c.email.as_ref().map(|e| e.as_str()),
            ContactSlot::PhonePrivate => c.phone_private.as_ref().map(|p| p.as_str()),
            ContactSlot::PhonePrivateMobile => c.phone_private_mobile.as_ref().map(|p| p.as_str()),
            ContactSlot::PhoneBusiness => c.phone_business.as_ref().map(|p| p.as_str()),
            ContactSlot::PhoneBusinessMobile => c.phone_business_mobile.as_ref().map(|p| p.as_str()),
        }
    }

    /// The contact detail this field holds, if it is set.
    pub fn detail(self, c: &ContactData) -> Option<ContactDetail> {
        let v = self.value(c)?;
        let (medium, kind, mobile) = match self {
            ContactSlot::Email => (ContactMedium::Email, ContactMediumType::Private, false),
            ContactSlot::PhonePrivate => (ContactMedium::Phone, ContactMediumType::Private, false),
            ContactSlot::PhonePrivateMobile => (ContactMedium::Phone, ContactMediumType::Private, true),
            ContactSlot::PhoneBusiness => (ContactMedium::Phone, ContactMediumType::Business, false),
            ContactSlot::PhoneBusinessMobile => (ContactMedium::Phone, ContactMediumType::Business, true),
        };
        ContactDetail::new(medium, kind, v, mobile)
    }

    /// The field a new contact detail of the primary person fills: an e-mail address (private
    /// or untyped) or a phone number (`mobile` in `additionalContactInformation` for the mobile
    /// fields, business or private by type) whose field is still empty. `None` means it is kept
    /// as an additional contact detail, which is also the case when it carries other
    /// additional information the contact domain has no place for.
    pub fn for_new(detail: &ContactDetail, current: &ContactData) -> Option<ContactSlot> {
        let extra = detail.additional_contact_information.as_ref().map(|t| t.as_str());
        let mobile = extra.is_some_and(|e| e.eq_ignore_ascii_case(MOBILE));
        if extra.is_some() && !mobile {
            return None;
        }
        let business = detail.contact_medium_type == Some(ContactMediumType::Business);
        let slot = match (detail.medium, business, mobile) {
            (ContactMedium::Email, false, false) => ContactSlot::Email,
            (ContactMedium::Phone, false, false) => ContactSlot::PhonePrivate,
            (ContactMedium::Phone, false, true) => ContactSlot::PhonePrivateMobile,
            (ContactMedium::Phone, true, false) => ContactSlot::PhoneBusiness,
            (ContactMedium::Phone, true, true) => ContactSlot::PhoneBusinessMobile,
            _ => return None,
        };
        slot.value(current).is_none().then_some(slot)
    }

    /// The contact data with this field set to the detail's content.
    pub fn fill(self, current: &ContactData, detail: &ContactDetail) -> Result<ContactData, FieldError> {
        let content = detail.contact_content.as_str();
        let phone = || Phone::parse(content).map(Some).map_err(|m| FieldError::new("contactContent", m));
        let mut next = current.clone();
        match self {
            ContactSlot::Email => next.email = Some(Email::parse(content).map_err(|m| FieldError::new("contactContent", m))?),
            ContactSlot::PhonePrivate => next.phone_private = phone()?,
            ContactSlot::PhonePrivateMobile => next.phone_private_mobile = phone()?,
            ContactSlot::PhoneBusiness => next.phone_business = phone()?,
            ContactSlot::PhoneBusinessMobile => next.phone_business_mobile = phone()?,
        }
        Ok(next)
    }
}

/// The primary person's contact details held by the contact domain, with their identifications.
pub fn contact_domain_details(c: &ContactData) -> Vec<(&'static str, ContactDetail)> {
    ContactSlot::ALL.into_iter().filter_map(|s| s.detail(c).map(|d| (s.id(), d))).collect()
}

// ---- addresses ----

/// Salutation lines of a postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Salutation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reception_restriction: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salutation: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_salutation: Option<Text35>,
}

/// The addressee of a postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostalName {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_name: Option<Text70>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_suffix: Option<Text35>,
}

/// Where mail goes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_of: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_the_attention_of: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_name: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub building_number: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_box: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_suffix: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_code: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub town_name: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_sub_division: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
}

/// A postal address: salutation, addressee and location.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostalAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salutation: Option<Salutation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<PostalName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_address: Option<PhysicalAddress>,
}

/// One of a customer's addresses (without its number, which the store assigns, and without
/// `isDomicile`, which follows from the number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WealthAddress {
    pub dispatch_type: DispatchType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_name: Option<Text70>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_mailing_address: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailing_instruction: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Text35>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_address: Option<PostalAddress>,
}

/// The physical-address fields the address domain owns, with their names there.
const MAPPED_FIELDS: [(&str, &str); 7] = [
    ("streetName", "street"),
    ("buildingNumber", "houseNumber"),
    ("postCode", "zipCode"),
    ("townName", "city"),
    ("country", "countryCode"),
    ("countrySubDivision", "province"),
    ("addressSuffix", "additionalAddressInformation"),
];

impl WealthAddress {
    /// A new address as `POST …/addresses` creates it: dispatched by post, not the mailing address.
    pub fn new(address_name: Option<Text70>, mailing_instruction: Option<Text35>, postal: Option<PostalAddress>) -> Self {
        WealthAddress {
            dispatch_type: DispatchType::Postal,
            address_name,
            is_mailing_address: None,
            mailing_instruction,
            language: None,
            postal_address: postal,
        }
    }

    /// The domicile address as the customer's address data alone describes it.
    pub fn domicile_default() -> Self {
        WealthAddress { is_mailing_address: Some(true), ..WealthAddress::new(None, None, None) }
    }

    fn physical(&self) -> Option<&PhysicalAddress> {
        self.postal_address.as_ref().and_then(|p| p.physical_address.as_ref())
    }

    /// The address data of this address as the domicile: its street, building number, post
    /// code, town, country, subdivision and suffix. Fields the address domain has and this model
    /// has not (floor, door, …) are kept from `current` when the location (street, number, post
    /// code, town, country) did not change. Errors name the field in this model
    /// (`postalAddress.physicalAddress.postCode`).
    pub fn domicile_data(&self, current: Option<&AddressData>) -> Result<AddressData, FieldError> {
        let p = self.physical().ok_or_else(|| {
            FieldError::new("postalAddress.physicalAddress", "is required for the domicile address (address 1)")
        })?;
        let s = |t: &Option<Text35>| t.as_ref().map(|t| t.as_str().to_owned());
        let street = s(&p.street_name);
        let number = s(&p.building_number);
        let zip = s(&p.post_code);
        let city = s(&p.town_name);
        let country = p.country.as_ref().map(|c| c.as_str().to_owned());
        let province = s(&p.country_sub_division);
        let suffix = s(&p.address_suffix);
        let parsed = AddressData::parse(AddressInput {
            street: street.as_deref(),
            house_number: number.as_deref(),
            zip_code: zip.as_deref(),
            city: city.as_deref(),
            country_code: country.as_deref(),
            province: province.as_deref(),
            additional_address_information: suffix.as_deref(),
            ..Default::default()
        })
        .map_err(|e| {
            let field = MAPPED_FIELDS.iter().find(|(_, domain)| *domain == e.reference).map_or("physicalAddress", |(f, _)| f);
            let message = if e.message == "is required" {
                "is required for the domicile address (address 1), which is the customer's address data".to_owned()
            } else {
                e.message
            };
            FieldError::new(format!("postalAddress.physicalAddress.{field}"), message)
        })?;
        Ok(match current {
            Some(c)
                if c.street == parsed.street
                    && c.house_number == parsed.house_number
                    && c.zip_code == parsed.zip_code
                    && c.city == parsed.city
                    && c.country_code == parsed.country_code =>
            {
                AddressData {
                    province: parsed.province,
                    additional_address_information: parsed.additional_address_information,
                    ..c.clone()
                }
            }
            _ => parsed,
        })
    }

    /// This address with the fields the address domain owns taken from `data`.
    pub fn with_domicile_data(mut self, data: Option<&AddressData>) -> Self {
        let Some(d) = data else { return self };
        let postal = self.postal_address.get_or_insert_with(PostalAddress::default);
        let p = postal.physical_address.get_or_insert_with(PhysicalAddress::default);
        let t = |v: &Text| BoundedText::parse(v.as_str()).ok();
        p.street_name = t(&d.street);
        p.building_number = d.house_number.as_ref().and_then(t);
        p.post_code = t(&d.zip_code);
        p.town_name = t(&d.city);
        p.country = Some(d.country_code.clone());
        p.country_sub_division = d.province.as_ref().and_then(t);
        p.address_suffix = d.additional_address_information.as_ref().and_then(t);
        self
    }

    /// This address without the fields the address domain owns (what is stored for address 1).
    pub fn without_domicile_data(mut self) -> Self {
        if let Some(p) = self.postal_address.as_mut().and_then(|p| p.physical_address.as_mut()) {
            p.street_name = None;
            p.building_number = None;
            p.post_code = None;
            p.town_name = None;
            p.country = None;
            p.country_sub_division = None;
            p.address_suffix = None;
        }
        self
    }
}

/// Checks the `isDomicile` flag a client sent for address `number`: address 1 is the domicile
/// address, every other one is not.
pub fn check_domicile_flag(number: i64, is_domicile: Option<bool>) -> Result<(), FieldError> {
    match (number == DOMICILE_ADDRESS, is_domicile) {
        (true, Some(false)) => Err(FieldError::new(
            "isDomicile",
            "address 1 is the customer's domicile address (its address data); it cannot stop being the domicile",
        )),
        (false, Some(true)) => Err(FieldError::new(
            "isDomicile",
            format!("address {number} cannot become the domicile address: the domicile is address 1; update that one instead"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ContactInput;
    use serde_json::json;
    use time::macros::date;

    fn from<T: for<'de> Deserialize<'de>>(v: serde_json::Value) -> Result<T, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    #[test]
    fn bounded_text_amounts_currencies_and_leis_are_parsed() {
        assert_eq!(Text35::parse(" German ").unwrap().as_str(), "German");
        assert!(Text35::parse(&"x".repeat(36)).unwrap_err().contains("at most 35"));
        assert!(Text70::parse(&"x".repeat(70)).is_ok());
        for ok in ["100000", "2500.50", "0.123456789", "999999999999"] {
            assert!(Amount::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1,000", "-5", "1.", ".5", "1234567890123", "1.1234567890", "1e5"] {
            assert!(Amount::parse(bad).is_err(), "{bad}");
        }
        assert!(CurrencyCode::parse("CHF").is_ok());
        for bad in ["chf", "CH", "CHFX", "C1F"] {
            assert!(CurrencyCode::parse(bad).is_err(), "{bad}");
        }
        assert!(Lei::parse("529900UVM8LC55IFAA52").is_ok());
        assert!(Lei::parse("529900UVM8LC55IFAA5X").is_err());
    }

    #[test]
    fn enums_use_the_vendor_names_and_list_them_on_failure() {
        assert_eq!(CustomerStatus::parse("active").unwrap(), CustomerStatus::Active);
        assert_eq!(SourceOfWealthType::parse("redemtion").unwrap().as_str(), "redemtion");
        let e = CustomerStatus::parse("open").unwrap_err();
        assert_eq!(e, "must be one of active, inactive, closed, not \"open\"");
        assert_eq!(serde_json::to_value(ContactMedium::SocialMediaProfile).unwrap(), json!("socialMediaProfile"));
    }

    #[test]
    fn every_person_type_is_built_from_its_details_and_its_required_fields_are_named() {
        let parse = |v: serde_json::Value| from::<PersonInput>(v).unwrap().parse();
        let natural = parse(json!({ "personType": "naturalPerson", "personDetails": { "personType": "naturalPerson",
            "givenName": "Anthony", "lastName": "Stark", "dates": [{ "date": "1970-05-29", "dateType": "birthDate" }] } }))
        .unwrap();
        assert_eq!(natural.person_details.person_type(), PersonType::NaturalPerson);
        assert_eq!(natural.display_name().as_deref(), Some("Anthony Stark"));
        let legal = parse(json!({ "personDetails": { "personType": "legalPerson", "organisationName": "Stark Industries",
            "legalForm": "AG", "LEI": "529900UVM8LC55IFAA52", "domicilaryCompany": false } }))
        .unwrap();
        assert_eq!(legal.person_details.person_type(), PersonType::LegalPerson);
        let assoc = parse(json!({ "personDetails": { "personType": "personAssociation",
            "personAssociationName": "Anthony Stark a/o Piper Potts", "personAssociationType": "compteJoint" } }))
        .unwrap();
        assert_eq!(assoc.display_name().as_deref(), Some("Anthony Stark a/o Piper Potts"));
        let trust = parse(
            json!({ "personDetails": { "personType": "trust", "trustName": "Spiderman Trust", "trustType": "simpleTrust" } }),
        )
        .unwrap();
        assert_eq!(trust.person_details.person_type(), PersonType::Trust);
        let sole =
            parse(json!({ "personDetails": { "personType": "soleProprietorship", "soleProprietorshipName": "Anthony Stark" } }))
                .unwrap();
        assert_eq!(sole.person_details.person_type(), PersonType::SoleProprietorship);

        let e = parse(json!({ "personDetails": { "personType": "legalPerson", "organisationName": "X", "legalForm": "AG" } }))
            .unwrap_err();
        assert_eq!(e.reference, "personDetails.domicilaryCompany");
        assert_eq!(e.message, "is required for a legalPerson");
        let e = parse(json!({ "personType": "trust", "personDetails": { "personType": "naturalPerson" } })).unwrap_err();
        assert_eq!(e.reference, "personType");
        assert_eq!(parse(json!({ "personDetails": {} })).unwrap_err().reference, "personDetails.personType");
        assert_eq!(parse(json!({})).unwrap_err().reference, "personDetails");
        // The type may be given on the person only (the vendor schema's quirk).
        assert!(
            parse(json!({ "personType": "trust", "personDetails": { "trustName": "T", "trustType": "grantorTrust" } })).is_ok()
        );
    }

    #[test]
    fn a_stored_person_round_trips_with_the_type_inside_its_details() {
        let p = from::<PersonInput>(json!({ "fullName": "Tony Stark", "personDetails": { "personType": "naturalPerson",
            "givenName": "Anthony", "TIN": "123-12-1234", "nationality": ["US", "CH"] } }))
        .unwrap()
        .parse()
        .unwrap();
        let stored = serde_json::to_value(&p).unwrap();
        assert_eq!(stored["personDetails"]["personType"], "naturalPerson");
        assert_eq!(stored["personDetails"]["TIN"], "123-12-1234");
        assert_eq!(from::<Person>(stored).unwrap(), p);
    }

    fn master() -> MasterData {
        MasterData::parse(
            MasterInput {
                first_name: Some("Sven"),
                last_name: Some("Hannawald"),
                gender: Some("MALE"),
                date_of_birth: Some("1974-11-09"),
                customer_title: Some("DR"),
                country_of_birth: Some("DE"),
            },
            date!(2026 - 01 - 01),
        )
        .unwrap()
    }

    #[test]
    fn the_primary_person_takes_names_gender_and_birth_date_from_master_data() {
        let p = from::<PersonInput>(json!({ "personDetails": { "personType": "naturalPerson", "givenName": "Old",
            "civilStatus": "married", "dates": [{ "date": "2001-01-01", "dateType": "birthDate" },
            { "date": "2010-01-01", "dateType": "divorceDate" }] } }))
        .unwrap()
        .parse()
        .unwrap()
        .with_master(Some(&master()));
        let PersonDetails::NaturalPerson(n) = &p.person_details else { panic!() };
        assert_eq!(n.given_name.as_ref().unwrap().as_str(), "Sven");
        assert_eq!(n.last_name.as_ref().unwrap().as_str(), "Hannawald");
        assert_eq!(n.gender, Some(PersonGender::Male));
        assert_eq!(n.civil_status, Some(CivilStatus::Married));
        assert_eq!(n.dates.len(), 2);
        assert_eq!(n.dates[0], PersonDate { date: IsoDate(date!(1974 - 11 - 09)), date_type: DateType::BirthDate });
    }

    #[test]
    fn a_primary_person_implies_master_data_over_the_current_one() {
        let p = from::<PersonInput>(
            json!({ "personDetails": { "personType": "naturalPerson", "givenName": "Svenja", "gender": "female" } }),
        )
        .unwrap()
        .parse()
        .unwrap();
        let m = p.master_data(Some(&master()), date!(2026 - 01 - 01)).unwrap().unwrap();
        assert_eq!(m.first_name.as_str(), "Svenja");
        assert_eq!(m.last_name.as_str(), "Hannawald");
        assert_eq!(m.gender, Gender::Female);
        assert_eq!(m.customer_title, CustomerTitle::Dr);
        assert_eq!(m.country_of_birth.unwrap().as_str(), "DE");
        let e = p.master_data(None, date!(2026 - 01 - 01)).unwrap_err();
        assert_eq!(e.reference, "personDetails.lastName");
        let trust = from::<PersonInput>(
            json!({ "personDetails": { "personType": "trust", "trustName": "T", "trustType": "simpleTrust" } }),
        )
        .unwrap()
        .parse()
        .unwrap();
        assert_eq!(trust.master_data(Some(&master()), date!(2026 - 01 - 01)).unwrap(), None);
    }

    fn detail(v: serde_json::Value) -> ContactDetail {
        from::<ContactDetail>(v).unwrap().check().unwrap()
    }

    #[test]
    fn contact_content_must_fit_its_medium() {
        let bad = |v| from::<ContactDetail>(v).unwrap().check().unwrap_err().reference;
        assert_eq!(bad(json!({ "medium": "email", "contactContent": "not-an-email" })), "contactContent");
        assert_eq!(bad(json!({ "medium": "phone", "contactContent": "call me" })), "contactContent");
        assert_eq!(bad(json!({ "medium": "website", "contactContent": "nowhere" })), "contactContent");
        detail(json!({ "medium": "phone", "contactMediumType": "business", "contactContent": "0041998887766" }));
        detail(json!({ "medium": "website", "contactContent": "https://www.example.com" }));
        detail(json!({ "medium": "socialMediaProfile", "contactContent": "@tony" }));
    }

    #[test]
    fn a_new_contact_detail_fills_an_empty_contact_field_of_the_primary_person() {
        let empty = ContactData::default();
        let email = detail(json!({ "medium": "email", "contactContent": "tony@example.com" }));
        assert_eq!(ContactSlot::for_new(&email, &empty), Some(ContactSlot::Email));
        let filled = ContactSlot::Email.fill(&empty, &email).unwrap();
        assert_eq!(filled.email.as_ref().unwrap().as_str(), "tony@example.com");
        assert_eq!(ContactSlot::for_new(&email, &filled), None, "a second e-mail address is an additional one");

        let mobile = detail(
            json!({ "medium": "phone", "contactMediumType": "business", "contactContent": "+41 79 888 77 66", "additionalContactInformation": "Mobile" }),
        );
        assert_eq!(ContactSlot::for_new(&mobile, &empty), Some(ContactSlot::PhoneBusinessMobile));
        let prio = detail(
            json!({ "medium": "phone", "contactContent": "0041998887766", "additionalContactInformation": "Prio 1 Phone Number" }),
        );
        assert_eq!(ContactSlot::for_new(&prio, &empty), None, "information the contact domain cannot hold stays additional");
        let fax = detail(json!({ "medium": "fax", "contactContent": "0041998887766" }));
        assert_eq!(ContactSlot::for_new(&fax, &empty), None);
        let business_email =
            detail(json!({ "medium": "email", "contactMediumType": "business", "contactContent": "t@example.com" }));
        assert_eq!(ContactSlot::for_new(&business_email, &empty), None);
    }

    #[test]
    fn the_contact_domain_shows_as_contact_details_with_stable_ids() {
        let c = ContactData::parse(ContactInput {
            email: Some("a@example.com"),
            phone_business_mobile: Some("+49 171 1234567"),
            ..Default::default()
        })
        .unwrap();
        let details = contact_domain_details(&c);
        assert_eq!(details.len(), 2);
        assert_eq!(details[0].0, "email");
        assert_eq!(details[0].1.medium, ContactMedium::Email);
        assert_eq!(details[1].0, "phoneBusinessMobile");
        assert_eq!(details[1].1.contact_medium_type, Some(ContactMediumType::Business));
        assert_eq!(details[1].1.additional_contact_information.as_ref().unwrap().as_str(), "mobile");
    }

    fn address(v: serde_json::Value) -> WealthAddress {
        from::<WealthAddress>(v).unwrap()
    }

    #[test]
    fn the_domicile_address_maps_onto_address_data_and_back() {
        let a = address(json!({ "dispatchType": "postal", "postalAddress": { "physicalAddress": { "careOf": "Piper Potts",
            "streetName": "Malibu Point", "buildingNumber": "10880", "postCode": "90265", "townName": "Malibu",
            "countrySubDivision": "CA", "country": "US", "addressSuffix": "Appartment 1" } } }));
        let data = a.domicile_data(None).unwrap();
        assert_eq!(data.street.as_str(), "Malibu Point");
        assert_eq!(data.house_number.as_ref().unwrap().as_str(), "10880");
        assert_eq!(data.zip_code.as_str(), "90265");
        assert_eq!(data.city.as_str(), "Malibu");
        assert_eq!(data.country_code.as_str(), "US");
        assert_eq!(data.province.as_ref().unwrap().as_str(), "CA");
        assert_eq!(data.additional_address_information.as_ref().unwrap().as_str(), "Appartment 1");
        let stored = a.clone().without_domicile_data();
        let phys = stored.postal_address.as_ref().unwrap().physical_address.as_ref().unwrap();
        assert_eq!(phys.street_name, None);
        assert_eq!(phys.care_of.as_ref().unwrap().as_str(), "Piper Potts");
        assert_eq!(stored.with_domicile_data(Some(&data)), a);
    }

    #[test]
    fn a_domicile_change_names_missing_fields_in_the_vendor_model() {
        let a = address(
            json!({ "dispatchType": "postal", "postalAddress": { "physicalAddress": { "streetName": "X", "townName": "Y", "country": "CH" } } }),
        );
        let e = a.domicile_data(None).unwrap_err();
        assert_eq!(e.reference, "postalAddress.physicalAddress.postCode");
        let none = address(json!({ "dispatchType": "electronical" }));
        assert_eq!(none.domicile_data(None).unwrap_err().reference, "postalAddress.physicalAddress");
    }

    #[test]
    fn fields_only_the_address_domain_has_survive_when_the_location_is_unchanged() {
        let current = AddressData::parse(AddressInput {
            street: Some("Malibu Point"),
            house_number: Some("10880"),
            zip_code: Some("90265"),
            city: Some("Malibu"),
            country_code: Some("US"),
            floor: Some("2"),
            ..Default::default()
        })
        .unwrap();
        let same = address(json!({ "dispatchType": "postal", "postalAddress": { "physicalAddress": {
            "streetName": "Malibu Point", "buildingNumber": "10880", "postCode": "90265", "townName": "Malibu", "country": "US" } } }));
        assert_eq!(same.domicile_data(Some(&current)).unwrap().floor.unwrap().as_str(), "2");
        let moved = address(json!({ "dispatchType": "postal", "postalAddress": { "physicalAddress": {
            "streetName": "Bahnhofstrasse", "buildingNumber": "1", "postCode": "8001", "townName": "Zürich", "country": "CH" } } }));
        assert_eq!(moved.domicile_data(Some(&current)).unwrap().floor, None);
    }

    #[test]
    fn only_address_one_is_the_domicile() {
        assert!(check_domicile_flag(1, Some(true)).is_ok());
        assert!(check_domicile_flag(1, None).is_ok());
        assert!(check_domicile_flag(2, Some(false)).is_ok());
        assert_eq!(check_domicile_flag(1, Some(false)).unwrap_err().reference, "isDomicile");
        assert_eq!(check_domicile_flag(3, Some(true)).unwrap_err().reference, "isDomicile");
    }

    #[test]
    fn a_kyc_record_round_trips() {
        let v = json!({
            "nonFinancialSituation": { "profession": "Philantropist", "employingCompany": "Stark Industries",
                "typeOfEmployment": "employed", "riskDomicile": "CH", "numberOfEmployees": 250, "revocability": true,
                "dateOfTrustContract": "2018-04-13" },
            "financialSituation": { "incomeCurrentPeriod": { "currency": "CHF", "amount": "100000" }, "sourceOfIncome": "income",
                "sourceOfWealth": [{ "sourceOfWealth": "inheritance", "currency": "CHF", "amount": "25000000",
                    "dateOfReceipt": "2018-04-13", "originator": { "name": "Howard Stark", "relationToCustomer": "Relatives" } }],
                "priorBank": { "namePriorBank": "Old Bank", "domicilePriorBank": "CH" } }
        });
        let kyc: Kyc = from(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(&kyc).unwrap(), v);
        let bad = json!({ "financialSituation": { "monetaryWealth": { "amount": "1,000" } } });
        assert!(from::<Kyc>(bad).unwrap_err().contains("is not an amount"));
    }

    #[test]
    fn a_service_user_is_a_key_prefix_never_a_key() {
        assert!(ServiceUser::parse("AbCd2345").is_ok());
        assert!(ServiceUser::parse("cus_AbCd2345_secret").is_err());
        assert!(ServiceUser::parse("").is_err());
    }
}
