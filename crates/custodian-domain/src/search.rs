//! Finding customers: the terms a customer is found by (names, e-mail address, phone digits,
//! external customer numbers) and how a staff member's search text turns into term prefixes.
//!
//! Matching is by prefix of a term, case-insensitively: "hann" finds Hannawald, "sven h" finds
//! "Sven Hannawald"; phone numbers are found by their digits, international ones also by their
//! national digits ("030 1234" and "30 1234" find "+49 30 1234…").

use crate::data::DomainData;
use crate::error::FieldError;

/// Shortest search text, so that a search never reads a large part of a tenant's index.
pub const MIN_SEARCH_CHARS: usize = 2;
/// Longest search text.
pub const MAX_SEARCH_CHARS: usize = 100;

/// Lower-case, single-spaced form of a name or text term.
pub fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// The country calling codes in use (ITU-T E.164), as libphonenumber's metadata lists them; a test
/// checks them against the `phonenumber` crate's copy. No code is the prefix of another, so an
/// international number's code is the one listed code among its first one to three digits.
const COUNTRY_CODES: [u16; 215] = [
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63,
    64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 211, 212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228,
    229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253,
    254, 255, 256, 257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298, 299, 350, 351, 352, 353, 354,
    355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377, 378, 380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423,
    500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675,
    676, 677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 800, 808, 850, 852, 853, 855, 856, 870, 878,
    880, 881, 882, 883, 886, 888, 960, 961, 962, 963, 964, 965, 966, 967, 968, 970, 971, 972, 973, 974, 975, 976, 977, 979, 992,
    993, 994, 995, 996, 998,
];

/// How many digits of an international number (without its `+` or `00`) are its country code;
/// `None` when its first digits are no code in use.
fn country_code_len(digits: &str) -> Option<usize> {
    (1..=3)
        .find(|&n| digits.get(..n).and_then(|p| p.parse::<u16>().ok()).is_some_and(|c| COUNTRY_CODES.binary_search(&c).is_ok()))
}

/// The terms one domain's data is found by; other domains have none.
pub fn terms(data: &DomainData) -> Vec<String> {
    let mut out = Vec::new();
    match data {
        DomainData::Master(m) => {
            // Both orders, and nothing more: matching is by prefix, so "first last" already finds
            // the first name alone and "last first" the last name alone (terms of their own for
            // them would be two more index rows per customer that no search needs).
            let (first, last) = (normalize(m.first_name.as_str()), normalize(m.last_name.as_str()));
            out.push(format!("{first} {last}"));
            out.push(format!("{last} {first}"));
        }
        DomainData::Contact(c) => {
            if let Some(e) = &c.email {
                out.push(normalize(e.as_str()));
            }
            for phone in
                [&c.phone_private, &c.phone_private_mobile, &c.phone_business, &c.phone_business_mobile].into_iter().flatten()
            {
                let d = digits(phone.as_str());
                if d.len() < 3 {
                    continue;
                }
                // An international number is also found by its national digits, the digits after
                // its country code. Where its first digits are no code in use, each of the one to
                // three digits a code can have is cut off for a term.
                let international = phone.as_str().trim_start().starts_with('+') || d.starts_with("00");
                if international {
                    let without_zeros = d.trim_start_matches('0');
                    let cuts = match country_code_len(without_zeros) {
                        Some(n) => n..=n,
                        None => 1..=3,
                    };
                    for cut in cuts {
                        if let Some(national) = without_zeros.get(cut..).filter(|n| n.len() >= 3) {
                            out.push(national.to_owned());
                        }
                    }
                }
                out.push(d);
            }
        }
        _ => {}
    }
    out.retain(|t| !t.trim().is_empty());
    out.sort();
    out.dedup();
    out
}

/// The term of an external customer number (e.g. the billing dialect's).
pub fn external_number_term(number: &str) -> String {
    normalize(number)
}

/// The prefixes a search text matches: the text itself and, when it looks like a phone number, its
/// digits (also without a leading 0 or 00 of a national or international prefix).
pub fn needles(search: &str) -> Result<Vec<String>, FieldError> {
    let text = normalize(search);
    let count = text.chars().count();
    if count < MIN_SEARCH_CHARS {
        return Err(FieldError::new("search", format!("must have at least {MIN_SEARCH_CHARS} characters")));
    }
    if count > MAX_SEARCH_CHARS {
        return Err(FieldError::new("search", format!("must have at most {MAX_SEARCH_CHARS} characters")));
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError::new("search", "must not contain control characters"));
    }
    let mut out = vec![text.clone()];
    let phone_like = text.chars().all(|c| c.is_ascii_digit() || " +-/().".contains(c));
    let d = digits(&text);
    if phone_like && d.len() >= 3 {
        let national = d.trim_start_matches('0');
        for candidate in [d.as_str(), national] {
            if candidate.len() >= 3 && !out.iter().any(|o| o == candidate) {
                out.push(candidate.to_owned());
            }
        }
    }
    Ok(out)
}

/// The exclusive upper bound of the terms starting with `prefix` (in code point order).
pub fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ContactInput, MasterInput};
    use crate::{ContactData, MasterData};

    #[test]
    fn names_email_and_phone_digits_are_terms() {
        let m = MasterData::parse(
            MasterInput {
                first_name: Some("Sven"),
                last_name: Some("Hannawald"),
                gender: Some("MALE"),
                date_of_birth: Some("1974-11-09"),
                customer_title: Some("NONE"),
                country_of_birth: None,
            },
            time::macros::date!(2026 - 01 - 01),
        )
        .unwrap();
        assert_eq!(terms(&DomainData::Master(m)), ["hannawald sven", "sven hannawald"]);
        let c = ContactData::parse(ContactInput {
            email: Some("Sven.H@Example.com"),
            phone_private: Some("+49 30 1234567"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(terms(&DomainData::Contact(c)), ["301234567", "49301234567", "sven.h@example.com"]);
    }

    fn phone_terms(phone: &str) -> Vec<String> {
        terms(&DomainData::Contact(
            ContactData::parse(ContactInput { phone_private: Some(phone), ..Default::default() }).unwrap(),
        ))
    }

    #[test]
    fn an_international_number_is_found_by_its_national_digits_after_its_country_code() {
        // One, two and three digits of country code, written with + or 00.
        assert_eq!(phone_terms("+1 212 555 0100"), ["12125550100", "2125550100"]);
        assert_eq!(phone_terms("0044 20 7946 0958"), ["00442079460958", "2079460958"]);
        assert_eq!(phone_terms("+353 1 234 5678"), ["12345678", "35312345678"]);
        // "+28…" is no code in use: each possible cut is a term, as before codes were known.
        assert_eq!(phone_terms("+28 123 4567"), ["1234567", "234567", "281234567", "81234567"]);
        // A national number has no country code to cut.
        assert_eq!(phone_terms("030 1234567"), ["0301234567"]);
    }

    #[test]
    fn the_country_codes_are_those_of_libphonenumbers_metadata() {
        // The crate's regions, and the codes of no country (international freephone 800, shared
        // cost 808, Inmarsat 870, UPT 878, satellite and international networks 881–883, OCHA
        // 888), which its metadata file lists under region "001" and its database leaves out.
        let mut theirs: Vec<u16> = phonenumber::metadata::DATABASE.iter().map(|m| m.country_code()).collect();
        theirs.extend([800, 808, 870, 878, 881, 882, 883, 888]);
        theirs.sort_unstable();
        theirs.dedup();
        assert_eq!(COUNTRY_CODES.to_vec(), theirs);
        // No code is the prefix of another (what `country_code_len` relies on).
        for a in COUNTRY_CODES {
            for b in COUNTRY_CODES {
                let (a, b) = (a.to_string(), b.to_string());
                assert!(a == b || !b.starts_with(&a), "{a} is a prefix of {b}");
            }
        }
    }

    #[test]
    fn a_search_is_normalised_and_phone_searches_also_match_digits() {
        assert_eq!(needles("  Sven   HANN ").unwrap(), ["sven hann"]);
        assert_eq!(needles("030 123").unwrap(), ["030 123", "030123", "30123"]);
        assert_eq!(needles("+49 30").unwrap(), ["+49 30", "4930"]);
        assert!(needles("a").is_err());
        assert!(needles(&"x".repeat(101)).is_err());
        assert!(prefix_end("sven").as_str() > "sven hannawald");
        assert!(prefix_end("sven").as_str() < "svf");
    }
}
