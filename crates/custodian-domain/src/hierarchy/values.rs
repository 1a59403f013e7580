//! Value types of the partner profile: the vendor's enumerations, ISO 4217 currencies,
//! non-negative decimal amounts, the 60-byte invoice text, `DDMMYYYY` birth dates, E.164
//! mobile numbers and country names. Each is built only by parsing; messages name what is wrong,
//! not the field.

use crate::values::{CountryCode, Phone};
use serde::{Deserialize, Serialize};
use std::fmt;
use time::Date;
use time::macros::format_description;

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical wire and storage form (upper case).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            /// Accepts the documented values in any letter case (`Private` is `PRIVATE`).
            pub fn parse(raw: &str) -> Result<$name, String> {
                let t = raw.trim();
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(t)).ok_or_else(|| {
                    let allowed: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    format!("must be one of {}, not {:?}", allowed.join(", "), t.chars().take(40).collect::<String>())
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $name::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }
    };
}

wire_enum!(
    /// The customer's life-cycle (LCP) status, chosen when it is created.
    LifecycleStatus { Active = "ACTIVE", Suspend = "SUSPEND" }
);
wire_enum!(
    /// Private person or business.
    CustomerType { Private = "PRIVATE", Business = "BUSINESS" }
);
wire_enum!(
    /// Multi-factor authentication for the customer's users.
    MfaConfiguration {
        /// Always on.
        Mandatory = "MANDATORY",
        /// On by default, can be turned off.
        Enabled = "ENABLED",
        /// Always off.
        Disabled = "DISABLED",
    }
);
wire_enum!(
    /// Owner of the customer or a member.
    ContactType { Owner = "OWNER", Member = "MEMBER" }
);
wire_enum!(
    /// Whether the contact may enter the self-care application.
    ContactRole { Selfcare = "SELFCARE", None = "NONE" }
);
wire_enum!(
    /// Salutation of a contact or an address representative.
    Salutation { Mr = "MR", Ms = "MS" }
);
wire_enum!(
    /// A contact's gender as the partner API enumerates it.
    ContactGender { Male = "MALE", Female = "FEMALE" }
);
wire_enum!(
    /// The kind of identity document.
    IdType { Id = "ID", Passport = "PASSPORT", DriverLicense = "DRIVER_LICENSE" }
);
wire_enum!(
    /// What an address is used for.
    AddressType { Private = "PRIVATE", Shipping = "SHIPPING", Mailing = "MAILING" }
);
wire_enum!(
    /// Title of an address representative.
    AddressTitle { Dr = "DR", Prof = "PROF" }
);
wire_enum!(
    /// Charge per SIM (ICCID) or per activated IMSI.
    ChargeBy { Sim = "SIM", Imsi = "IMSI" }
);
wire_enum!(
    /// Which data-warehouse event counts as activity.
    ActivityIndication { NetworkRegistration = "NETWORK_REGISTRATION", DataConsumption = "DATA_CONSUMPTION" }
);
wire_enum!(
    /// How invoices are delivered.
    DeliveryMethod { Email = "EMAIL", Postal = "POSTAL", Edi = "EDI" }
);
wire_enum!(
    /// The unit of the payment term.
    PaymentDueUnits { Days = "DAYS" }
);

/// An active ISO 4217 currency code, upper case (`EUR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency(String);

const ISO_4217: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD \
CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG \
HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT \
MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG \
SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD \
XCG XOF XPF YER ZAR ZMW ZWG";

impl Currency {
    pub fn parse(raw: &str) -> Result<Currency, String> {
        let c = raw.trim().to_ascii_uppercase();
        if c.len() == 3 && ISO_4217.split_ascii_whitespace().any(|k| k == c) {
            Ok(Currency(c))
        } else {
            Err(format!(
                "is not an ISO 4217 currency code (such as EUR, USD, GBP): {:?}",
                raw.trim().chars().take(10).collect::<String>()
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A non-negative decimal number (a cost or a tax percentage), kept exactly as it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount(serde_json::Number);

impl Amount {
    pub fn parse(n: &serde_json::Number) -> Result<Amount, String> {
        match n.as_f64() {
            Some(v) if v.is_finite() && v >= 0.0 => Ok(Amount(n.clone())),
            _ => Err(format!("must be a number of at least 0, not {n}")),
        }
    }

    pub fn as_number(&self) -> &serde_json::Number {
        &self.0
    }
}

/// Free text printed on invoices: at most 60 bytes (UTF-8), no control characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceText(String);

impl InvoiceText {
    pub const MAX_BYTES: usize = 60;

    pub fn parse(raw: &str) -> Result<InvoiceText, String> {
        let t = raw.trim();
        if t.len() > Self::MAX_BYTES {
            return Err(format!("must be at most {} bytes, not {}", Self::MAX_BYTES, t.len()));
        }
        crate::values::check_plain_text(t)?;
        Ok(InvoiceText(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A campaign id: a positive integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CampaignId(i64);

impl CampaignId {
    pub fn parse(raw: i64) -> Result<CampaignId, String> {
        if raw > 0 { Ok(CampaignId(raw)) } else { Err(format!("must be a positive campaign id, not {raw}")) }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// Days until an invoice is due: 0 to 3650.
pub fn parse_payment_due(raw: i64) -> Result<u32, String> {
    if (0..=3650).contains(&raw) { Ok(raw as u32) } else { Err(format!("must be between 0 and 3650, not {raw}")) }
}

/// A birth date in the vendor's `DDMMYYYY` form, between 1900-01-01 and `today`.
pub fn parse_birthdate(raw: &str, today: Date) -> Result<Date, String> {
    let t = raw.trim();
    let d = Date::parse(t, format_description!("[day][month][year]")).map_err(|_| {
        format!("is not a date in the form DDMMYYYY (such as 09111974): {:?}", t.chars().take(12).collect::<String>())
    })?;
    if d > today || d.year() < 1900 {
        return Err("must lie between 1900 and today".into());
    }
    Ok(d)
}

/// Formats a date as `DDMMYYYY`.
pub fn format_birthdate(d: Date) -> String {
    d.format(format_description!("[day][month][year]")).expect("a date always formats")
}

/// A mobile number in international E.164 form: `+`, a country code, at most 15 digits in all.
pub fn parse_e164(raw: &str) -> Result<Phone, String> {
    let t = raw.trim();
    let digits = t.strip_prefix('+').unwrap_or("");
    let ok = (2..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with('0');
    if !ok {
        return Err("is not an international E.164 number: + and up to 15 digits without spaces (such as +4917112345678)".into());
    }
    Phone::parse(t)
}

/// An address country as the vendor documents it ("Country name"): an ISO 3166-1 English short
/// name in any letter case (`Sweden`, `united kingdom of great britain and northern ireland`),
/// that name without its parenthesised qualifier where that is unambiguous (`Netherlands`,
/// `Bolivia`), `United Kingdom` and `United States`, or an ISO 3166-1 alpha-2 code (`SE`, `se`).
/// Stored as the alpha-2 code, as every other dialect shows it.
pub fn parse_country(raw: &str) -> Result<CountryCode, String> {
    let t = raw.trim();
    if t.len() == 2
        && let Ok(code) = CountryCode::parse(&t.to_ascii_uppercase())
    {
        return Ok(code);
    }
    let wanted = t.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let alpha2 = match wanted.as_str() {
        "united kingdom" => Some("GB"),
        "united states" => Some("US"),
        _ => {
            let exact = rust_iso3166::ALL.iter().find(|c| c.name.to_lowercase() == wanted);
            let short = || {
                let mut matching =
                    rust_iso3166::ALL.iter().filter(|c| c.name.split(" (").next().unwrap_or(c.name).to_lowercase() == wanted);
                match (matching.next(), matching.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            };
            exact.or_else(short).map(|c| c.alpha2)
        }
    };
    alpha2.and_then(|a| CountryCode::parse(a).ok()).ok_or_else(|| {
        format!(
            "is neither an English country name (such as Sweden) nor an ISO 3166-1 alpha-2 country code (such as SE): {:?}",
            t.chars().take(60).collect::<String>()
        )
    })
}

/// The ISO 3166-1 English short name of a country, as the partner dialect shows it; the code
/// itself for a code the standard does not name.
pub fn country_name(code: &CountryCode) -> String {
    code.english_name()
}

macro_rules! string_serde {
    ($name:ident) => {
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $name::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }
    };
}
string_serde!(Currency);
string_serde!(InvoiceText);

impl Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Amount::parse(&serde_json::Number::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn enums_accept_any_letter_case_and_print_upper_case() {
        assert_eq!(CustomerType::parse("Private").unwrap(), CustomerType::Private);
        assert_eq!(ActivityIndication::parse("data_consumption").unwrap().as_str(), "DATA_CONSUMPTION");
        let e = MfaConfiguration::parse("SOMETIMES").unwrap_err();
        assert_eq!(e, "must be one of MANDATORY, ENABLED, DISABLED, not \"SOMETIMES\"");
    }

    #[test]
    fn currencies_are_active_iso_4217_codes() {
        assert_eq!(Currency::parse("eur").unwrap().as_str(), "EUR");
        for c in ["", "EU", "EURO", "XXX", "DEM"] {
            assert!(Currency::parse(c).is_err(), "{c} should be rejected");
        }
    }

    #[test]
    fn amounts_are_non_negative_and_keep_their_written_form() {
        let n: serde_json::Number = serde_json::from_str("19.5").unwrap();
        assert_eq!(serde_json::to_string(&Amount::parse(&n).unwrap()).unwrap(), "19.5");
        let n: serde_json::Number = serde_json::from_str("0").unwrap();
        assert_eq!(serde_json::to_string(&Amount::parse(&n).unwrap()).unwrap(), "0");
        let n: serde_json::Number = serde_json::from_str("-1").unwrap();
        assert!(Amount::parse(&n).is_err());
    }

    #[test]
    fn invoice_text_is_at_most_sixty_bytes() {
        assert!(InvoiceText::parse(&"x".repeat(60)).is_ok());
        assert!(InvoiceText::parse(&"x".repeat(61)).is_err());
        // 30 two-byte characters are 60 bytes; 31 are too many.
        assert!(InvoiceText::parse(&"ä".repeat(30)).is_ok());
        assert!(InvoiceText::parse(&"ä".repeat(31)).is_err());
    }

    #[test]
    fn birthdates_are_ddmmyyyy_in_the_past() {
        let today = date!(2026 - 11 - 26);
        assert_eq!(parse_birthdate("09111974", today).unwrap(), date!(1974 - 11 - 09));
        assert_eq!(format_birthdate(date!(1974 - 11 - 09)), "09111974");
        for d in ["1974-11-09", "31021990", "01012030", "01011899", ""] {
            assert!(parse_birthdate(d, today).is_err(), "{d} should be rejected");
        }
    }

    #[test]
    fn a_country_is_an_english_name_in_any_case_or_an_alpha_2_code_and_is_shown_by_name() {
        for (raw, code) in [
            ("Sweden", "SE"),
            ("sweden", "SE"),
            ("  SWEDEN ", "SE"),
            ("SE", "SE"),
            ("se", "SE"),
            ("Germany", "DE"),
            ("Côte d'Ivoire", "CI"),
            ("United Kingdom of Great Britain and Northern Ireland", "GB"),
            ("United Kingdom", "GB"),
            ("united states", "US"),
            ("Netherlands (Kingdom of the)", "NL"),
            ("Netherlands", "NL"),
            ("Bolivia", "BO"),
            ("Türkiye", "TR"),
        ] {
            assert_eq!(parse_country(raw).map(|c| c.as_str().to_owned()), Ok(code.to_owned()), "{raw}");
        }
        // "Korea" names two countries; "Atlantis" none; "SWE" is alpha-3.
        for raw in ["Korea", "Atlantis", "SWE", "", "S"] {
            let e = parse_country(raw).unwrap_err();
            assert!(e.starts_with("is neither an English country name"), "{raw}: {e}");
        }
        assert_eq!(country_name(&CountryCode::parse("SE").unwrap()), "Sweden");
        assert_eq!(country_name(&parse_country("germany").unwrap()), "Germany");
    }

    #[test]
    fn mobile_numbers_must_be_e164() {
        assert_eq!(parse_e164("+4917112345678").unwrap().as_str(), "+4917112345678");
        for p in ["+49 171 12345678", "017112345678", "+0123456", "+1234567890123456", "+"] {
            assert!(parse_e164(p).is_err(), "{p} should be rejected");
        }
    }

    #[test]
    fn campaign_ids_and_payment_terms_are_bounded() {
        assert!(CampaignId::parse(7).is_ok());
        assert!(CampaignId::parse(0).is_err());
        assert_eq!(parse_payment_due(30).unwrap(), 30);
        assert!(parse_payment_due(-1).is_err());
    }
}
