//! Value types built only by parsing: e-mail, phone number, ISO country code, IBAN, BIC, bounded
//! text and dates. Each `parse` returns a message naming what is wrong; the caller adds the field.

use serde::{Deserialize, Serialize};
use std::fmt;
use time::Date;
use time::macros::format_description;

macro_rules! string_value {
    ($name:ident) => {
        string_value!($name, parse);
    };
    ($name:ident, $read:ident) => {
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
                $name::$read(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Refuses characters that make text read differently than it is stored: control characters
/// (Unicode category Cc, e.g. NUL, line breaks, escape), line and paragraph separators
/// (U+2028, U+2029), and bidirectional embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069), which can reorder what a reviewer sees. Zero-width joiners and non-joiners
/// (U+200D, U+200C) and the left-to-right and right-to-left marks are kept: some scripts need them.
pub fn check_plain_text(t: &str) -> Result<(), String> {
    for c in t.chars() {
        let what = match c {
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => "the bidirectional control character",
            '\u{2028}' | '\u{2029}' => "the line or paragraph separator",
            c if c.is_control() => "the control character",
            _ => continue,
        };
        return Err(format!("must not contain {what} U+{:04X}", c as u32));
    }
    Ok(())
}

/// `raw` trimmed: 1 to `max` characters that read as they are stored (see [`check_plain_text`]).
fn plain_text(raw: &str, max: usize) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("must not be empty".into());
    }
    if t.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    check_plain_text(t)?;
    Ok(t.to_owned())
}

/// Free text of 1..=255 characters, trimmed, that reads as it is stored (see [`check_plain_text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(String);
string_value!(Text, read_stored);

impl Text {
    pub const MAX_CHARS: usize = 255;

    pub fn parse(raw: &str) -> Result<Text, String> {
        plain_text(raw, Self::MAX_CHARS).map(Text)
    }

    /// Reads a stored value (the stored JSON forms are read with serde; every input is read with
    /// [`Text::parse`]). It checks only what every version checked at input — not empty, at most
    /// 255 characters, no control characters — so values stored before bidirectional controls and
    /// line separators were refused stay readable; they are refused when they are sent again.
    pub fn read_stored(raw: &str) -> Result<Text, String> {
        let t = raw.trim();
        if t.is_empty() || t.chars().count() > Self::MAX_CHARS || t.chars().any(char::is_control) {
            return Text::parse(raw);
        }
        Ok(Text(t.to_owned()))
    }
}

/// An e-mail address: `local@domain` with a dotted domain of letters, digits and hyphens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);
string_value!(Email);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, String> {
        let e = raw.trim();
        let err = || format!("is not a valid e-mail address: {}", redact(e));
        if e.len() > 254 {
            return Err("e-mail address must be at most 254 characters".into());
        }
        let (local, domain) = e.rsplit_once('@').ok_or_else(err)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if local_ok && domain_ok { Ok(Email(e.to_owned())) } else { Err(err()) }
    }
}

/// Hides most of a value in messages that may be logged or shown to other parties.
fn redact(s: &str) -> String {
    let n = s.chars().count();
    if n <= 2 { "*".repeat(n) } else { format!("{}***", s.chars().take(2).collect::<String>()) }
}

/// A phone number as people write it: an optional leading `+`, then 5 to 20 digits that may be
/// grouped with spaces, `-`, `/`, `.` or parentheses (`+49 00000000`, `(030) 123-456`), and an
/// optional extension (`871.790.7578 x4882`, `… ext. 12`). An upper-case `X` stands for a masked
/// digit, as vendors' documentation samples write numbers (`+37258774XXX`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);
string_value!(Phone);

/// Splits `… x4882` / `… ext. 12` / `… ext12` into the number and its 1 to 6 extension digits.
fn split_extension(p: &str) -> &str {
    let head = p.trim_end_matches(|c: char| c.is_ascii_digit());
    if !(1..=6).contains(&(p.len() - head.len())) {
        return p;
    }
    let head = head.trim_end();
    ["ext.", "ext", "x"].iter().find_map(|m| head.strip_suffix(m)).map_or(p, str::trim_end)
}

impl Phone {
    pub fn parse(raw: &str) -> Result<Phone, String> {
        let p = raw.trim();
        let number = split_extension(p);
        let body = number.strip_prefix('+').unwrap_or(number);
        let is_digit = |c: char| c.is_ascii_digit() || c == 'X';
        let allowed = body.chars().all(|c| is_digit(c) || " -/.()".contains(c));
        let digits = body.chars().filter(|c| is_digit(*c)).count();
        let balanced = {
            let mut depth = 0i32;
            body.chars().all(|c| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                (0..=1).contains(&depth)
            }) && depth == 0
        };
        let starts_ok = body.chars().next().is_some_and(|c| is_digit(c) || c == '(');
        if !allowed || !balanced || !starts_ok {
            return Err("is not a phone number: use digits with an optional leading + (e.g. +49 30 1234567)".into());
        }
        if !(5..=20).contains(&digits) {
            return Err("is not a phone number: it must have between 5 and 20 digits".into());
        }
        Ok(Phone(p.to_owned()))
    }
}

/// An ISO 3166-1 alpha-2 country code, upper case (`DE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryCode(String);
string_value!(CountryCode);

/// Every officially assigned ISO 3166-1 alpha-2 code.
const ISO_3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ \
BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ \
FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM \
JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT \
MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB \
SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ \
VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

impl CountryCode {
    /// The ISO 3166-1 English short name ("Germany"); the code itself for one the standard does
    /// not name.
    pub fn english_name(&self) -> String {
        rust_iso3166::from_alpha2(&self.0).map_or_else(|| self.0.clone(), |c| c.name.to_owned())
    }

    pub fn parse(raw: &str) -> Result<CountryCode, String> {
        let c = raw.trim();
        let known = c.len() == 2 && ISO_3166_ALPHA2.split_ascii_whitespace().any(|k| k == c);
        if known {
            Ok(CountryCode(c.to_owned()))
        } else {
            Err(format!("is not an ISO 3166-1 alpha-2 country code (such as DE): {c:?}"))
        }
    }
}

/// An IBAN with a valid checksum, stored in electronic form (no spaces, upper case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iban(String);
string_value!(Iban);

impl Iban {
    /// Accepts the electronic (`DE91100000000123456789`) and print (`DE91 1000 ...`) forms.
    pub fn parse(raw: &str) -> Result<Iban, String> {
        let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        use iban::IbanLike;
        match compact.parse::<iban::Iban>() {
            Ok(parsed) => Ok(Iban(parsed.electronic_str().to_owned())),
            Err(e) => Err(format!("is not a valid IBAN ({e})")),
        }
    }

    /// The print form in groups of four (`DE91 1000 0000 0123 4567 89`).
    pub fn print_form(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
    }

    /// The country code and the last four characters, for logs, events and non-admin views.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        format!("{}{}{}", &self.0[..2], "*".repeat(n.saturating_sub(6)), &self.0[n.saturating_sub(4)..])
    }
}

/// A BIC (ISO 9362): 4 letters bank, 2 letters country, 2 alphanumerics location, optional 3
/// alphanumerics branch. Stored upper case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bic(String);
string_value!(Bic);

impl Bic {
    pub fn parse(raw: &str) -> Result<Bic, String> {
        let b = raw.trim().to_ascii_uppercase();
        let bytes = b.as_bytes();
        let shape = (b.len() == 8 || b.len() == 11)
            && bytes[..4].iter().all(u8::is_ascii_uppercase)
            && bytes[4..6].iter().all(u8::is_ascii_uppercase)
            && bytes[6..].iter().all(u8::is_ascii_alphanumeric);
        if !shape {
            return Err("is not a valid BIC: 8 or 11 characters such as DEUTDEFFXXX".into());
        }
        CountryCode::parse(&b[4..6]).map_err(|_| format!("is not a valid BIC: unknown country {}", &b[4..6]))?;
        Ok(Bic(b))
    }
}

/// A calendar date in `YYYY-MM-DD` form.
pub fn parse_date(raw: &str) -> Result<Date, String> {
    Date::parse(raw.trim(), format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("is not a date in the form YYYY-MM-DD: {:?}", raw.trim()))
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    d.format(format_description!("[year]-[month]-[day]")).expect("a date always formats")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_phone_examples_are_accepted() {
        for p in ["+49 00000000", "+49 00000000000", "(030) 123-456", "0171/1234567", "+1 555.123.4567"] {
            assert!(Phone::parse(p).is_ok(), "{p} should be accepted");
        }
    }

    #[test]
    fn extensions_and_masked_digits_as_in_vendor_samples_are_accepted() {
        for p in ["871.790.7578 x4882", "030 1234567 ext. 12", "030 1234567ext12", "+37258774XXX", "+37258XXX585"] {
            assert_eq!(Phone::parse(p).unwrap().as_str(), p);
        }
        for p in ["871.790.7578 x", "871.790.7578 x1234567", "x4882", "+49 xxx 1234", "12 x 34"] {
            assert!(Phone::parse(p).is_err(), "{p} should be rejected");
        }
    }

    #[test]
    fn things_that_are_not_phone_numbers_are_rejected() {
        for p in ["", "call me", "+49 abc", "123", "++49 1234567", "+49 (30 1234567", "1234567890123456789012", ")12345("] {
            assert!(Phone::parse(p).is_err(), "{p} should be rejected");
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(Email::parse("new-email@example.com").is_ok());
        assert!(Email::parse("a.b+tag@sub.example.de").is_ok());
        for e in ["", "plain", "@example.com", "a@b", "a@@b.com", "a@exa mple.com", "a..b@example.com", "a@-x.com"] {
            assert!(Email::parse(e).is_err(), "{e} should be rejected");
        }
    }

    #[test]
    fn an_iban_with_spaces_is_accepted_and_stored_without_them() {
        let iban = Iban::parse("DE91 1000 0000 0123 4567 89").unwrap();
        assert_eq!(iban.as_str(), "DE91100000000123456789");
        assert_eq!(iban.print_form(), "DE91 1000 0000 0123 4567 89");
        assert_eq!(iban.masked(), "DE****************6789");
        assert_eq!(Iban::parse("de91100000000123456789").unwrap(), iban);
    }

    #[test]
    fn an_iban_with_a_wrong_checksum_is_rejected() {
        assert!(Iban::parse("DE92 1000 0000 0123 4567 89").is_err());
        assert!(Iban::parse("XX91 1000").is_err());
        assert!(Iban::parse("").is_err());
    }

    #[test]
    fn bics_have_eight_or_eleven_characters_and_a_real_country() {
        assert_eq!(Bic::parse("deutdeffxxx").unwrap().as_str(), "DEUTDEFFXXX");
        assert!(Bic::parse("DEUTDEFF").is_ok());
        for b in ["DEUTDEF", "DEUTXXFFXXX", "1EUTDEFFXXX", "DEUTDEFFXX"] {
            assert!(Bic::parse(b).is_err(), "{b} should be rejected");
        }
    }

    #[test]
    fn country_codes_must_be_assigned_iso_codes() {
        assert!(CountryCode::parse("DE").is_ok());
        for c in ["de", "XX", "DEU", ""] {
            assert!(CountryCode::parse(c).is_err(), "{c} should be rejected");
        }
    }

    #[test]
    fn dates_are_strict_iso_dates() {
        assert_eq!(format_date(parse_date("1990-02-28").unwrap()), "1990-02-28");
        for d in ["1990-02-30", "28.02.1990", "1990-2-3", ""] {
            assert!(parse_date(d).is_err(), "{d} should be rejected");
        }
    }

    #[test]
    fn text_refuses_bidirectional_controls_and_separators_and_names_the_character() {
        for (raw, named) in [
            ("Am \u{202E}fohnhaB", "bidirectional control character U+202E"),
            ("Max \u{202D}Muster", "bidirectional control character U+202D"),
            ("Ber\u{2066}lin\u{2069}", "bidirectional control character U+2066"),
            ("Berlin\u{2068}", "bidirectional control character U+2068"),
            ("Haupt\u{2028}straße", "line or paragraph separator U+2028"),
            ("Haupt\u{2029}straße", "line or paragraph separator U+2029"),
            ("Haupt\nstraße", "control character U+000A"),
            ("Haupt\u{1b}straße", "control character U+001B"),
            ("Haupt\u{85}straße", "control character U+0085"),
        ] {
            let e = Text::parse(raw).unwrap_err();
            assert!(e.contains(named), "{raw:?}: {e}");
        }
        // A value stored before the rule still reads back (it is refused when sent again).
        let stored: Text = serde_json::from_value(serde_json::json!("Am \u{202E}fohnhaB")).unwrap();
        assert_eq!(stored.as_str(), "Am \u{202E}fohnhaB");
        assert!(serde_json::from_value::<Text>(serde_json::json!("a\u{0}b")).is_err());
    }

    #[test]
    fn text_keeps_zero_width_joiners_and_direction_marks_that_scripts_need() {
        for raw in [
            "\u{0915}\u{094D}\u{200D}\u{0937}",
            "\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}\u{0645}",
            "\u{05E9}\u{05DC}\u{05D5}\u{05DD}\u{200F} 5",
        ] {
            assert_eq!(Text::parse(raw).unwrap().as_str(), raw);
        }
    }

    #[test]
    fn text_is_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(Text::parse("  Munich ").unwrap().as_str(), "Munich");
        assert!(Text::parse("   ").is_err());
        assert!(Text::parse("a\u{0}b").is_err());
        assert!(Text::parse(&"x".repeat(256)).is_err());
    }
}

/// A customer's number in the system it came from (a gym's member number, a billing system's
/// customer number): 1 to 64 characters, no spaces at either end, no control or invisible
/// formatting characters. Unique per tenant; imports are keyed by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExternalId(String);
string_value!(ExternalId);

impl ExternalId {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<ExternalId, String> {
        plain_text(raw, Self::MAX_CHARS).map(ExternalId)
    }
}
