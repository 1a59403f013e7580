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
                // An international number is also found by its national digits: the country code
                // (one to three digits) is not known here, so each candidate is a term.
                let international = phone.as_str().trim_start().starts_with('+') || d.starts_with("00");
                if international {
                    let without_zeros = d.trim_start_matches('0');
                    for cut in 1..=3 {
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
        assert_eq!(terms(&DomainData::Contact(c)), ["01234567", "301234567", "49301234567", "9301234567", "sven.h@example.com"]);
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
