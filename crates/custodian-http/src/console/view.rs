//! What the console's templates are given: the page chrome (who is signed in, the queue badge)
//! and readable labels and values for domains, fields, times and actors.

use super::errors::ConsoleError;
use super::session::Staff;
use crate::state::AppState;
use custodian_app::clock::rfc3339;
use custodian_domain::values::Iban;
use custodian_domain::{AmendmentState, DataDomain, DomainData};
use custodian_store::Customer;
use serde_json::Value;

/// The parts of every signed-in page: navigation, the signed-in staff member, the sign-out form.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The studio's (tenant's) name.
    pub studio: String,
    pub username: String,
    pub role: &'static str,
    pub admin: bool,
    /// The session's CSRF token, for every form on the page.
    pub csrf: String,
    /// Pending amendments of the studio (the queue badge).
    pub pending: i64,
    /// Which navigation entry is current: `queue`, `customers` or `settings`.
    pub tab: &'static str,
}

impl Chrome {
    pub async fn load(state: &AppState, staff: &Staff, tab: &'static str) -> Result<Chrome, ConsoleError> {
        let pending = state
            .services
            .store
            .count_amendments(staff.session.tenant, AmendmentState::Pending, None)
            .await
            .map_err(|e| ConsoleError::from(custodian_app::AppError::Store(e)))?;
        let studio = state.services.store.get_tenant(staff.session.tenant).await.map(|t| t.name).unwrap_or_default();
        Ok(Chrome {
            studio,
            username: staff.session.username.clone(),
            role: staff.session.role.as_str(),
            admin: staff.session.is_admin(),
            csrf: staff.session.csrf_token.clone(),
            pending,
            tab,
        })
    }
}

/// Who did something, in words: an API key by the label its holder gave it (the customer acting
/// through that app), staff and admins by name. `keys` are the tenant's live keys.
pub fn actor_words(keys: &[custodian_store::ApiKeyRecord], actor: &custodian_domain::Actor) -> String {
    use custodian_domain::ActorKind;
    match actor.kind {
        ActorKind::ApiKey => match keys.iter().find(|k| k.prefix == actor.id).map(|k| k.label.trim()).filter(|l| !l.is_empty()) {
            Some(label) => format!("the customer, through “{label}”"),
            None => format!("the customer, through an app (key {})", actor.id),
        },
        ActorKind::Staff => format!("{} (staff)", actor.id),
        ActorKind::Admin => format!("{} (admin)", actor.id),
        ActorKind::System => "Custodian".to_owned(),
    }
}

/// The tenant's live API keys, to name actors with [`actor_words`].
pub async fn key_labels(state: &AppState, tenant: custodian_domain::TenantId) -> Vec<custodian_store::ApiKeyRecord> {
    state.services.store.list_api_keys(tenant).await.unwrap_or_default()
}

/// One option of a `<select>`.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub fn domain_label(d: DataDomain) -> &'static str {
    match d {
        DataDomain::Contact => "Contact details",
        DataDomain::Address => "Address",
        DataDomain::Master => "Personal data",
        DataDomain::Payment => "Bank details",
    }
}

pub fn domain_choices(selected: Option<DataDomain>) -> Vec<Choice> {
    let mut out = vec![Choice { value: String::new(), label: "All domains".into(), selected: selected.is_none() }];
    out.extend(DataDomain::ALL.into_iter().map(|d| Choice {
        value: d.as_str().into(),
        label: domain_label(d).into(),
        selected: selected == Some(d),
    }));
    out
}

pub fn state_label(s: AmendmentState) -> &'static str {
    match s {
        AmendmentState::Pending => "Pending review",
        AmendmentState::Approved => "Approved",
        AmendmentState::Rejected => "Rejected",
        AmendmentState::Withdrawn => "Withdrawn by the customer",
        AmendmentState::Applied => "Applied directly",
    }
}

/// A readable label for a field of a domain (or of an audit entry).
pub fn field_label(field: &str) -> String {
    let known = match field {
        "email" => "E-mail",
        "phonePrivate" => "Phone (private)",
        "phonePrivateMobile" => "Mobile (private)",
        "phoneBusiness" => "Phone (business)",
        "phoneBusinessMobile" => "Mobile (business)",
        "street" => "Street",
        "houseNumber" => "House number",
        "zipCode" => "Postal code",
        "city" => "City",
        "countryCode" => "Country",
        "secondStreet" => "Second street line",
        "cityPart" => "City part",
        "additionalAddressInformation" => "Additional information",
        "buildingName" => "Building",
        "firstName" => "First name",
        "lastName" => "Last name",
        "dateOfBirth" => "Date of birth",
        "customerTitle" => "Title",
        "countryOfBirth" => "Country of birth",
        "accountHolder" => "Account holder",
        "bankName" => "Bank",
        "iban" => "IBAN",
        "bic" => "BIC",
        "requireSignature" => "Signature required",
        "status" => "Policy",
        _ => "",
    };
    if !known.is_empty() {
        return known.into();
    }
    // camelCase → "Camel case"
    let mut out = String::new();
    for (i, c) in field.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(' ');
            out.push(c.to_ascii_lowercase());
        } else if i == 0 {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A field's value as text; `None` when the field is not set. IBANs show in groups of four, or
/// masked (country and last four characters) unless `full_iban`.
pub fn value_text(field: &str, value: Option<&Value>, full_iban: bool) -> Option<String> {
    let v = value?;
    let text = match (field, v) {
        (_, Value::Null) => return None,
        ("iban", Value::String(s)) => match Iban::parse(s) {
            Ok(iban) if full_iban => iban.print_form(),
            Ok(iban) => iban.masked(),
            Err(_) if full_iban => s.clone(),
            Err(_) => "****".into(),
        },
        ("gender", Value::String(s)) => match s.as_str() {
            "MALE" => "Male".into(),
            "FEMALE" => "Female".into(),
            "UNISEX" => "Unisex".into(),
            other => other.into(),
        },
        ("customerTitle", Value::String(s)) => match s.as_str() {
            "NONE" => "None".into(),
            "DR" => "Dr.".into(),
            "PROF" => "Prof.".into(),
            other => other.into(),
        },
        ("status", Value::String(s)) => policy_label(s).into(),
        // Staff read country names; the code stays for one the standard does not name.
        ("countryCode" | "countryOfBirth", Value::String(s)) => {
            custodian_domain::values::CountryCode::parse(s).map_or_else(|_| s.clone(), |c| c.english_name())
        }
        (_, Value::String(s)) => s.clone(),
        (_, Value::Bool(b)) => if *b { "yes" } else { "no" }.into(),
        (_, other) => other.to_string(),
    };
    Some(text)
}

pub fn policy_label(status: &str) -> &str {
    match status {
        "CHANGES_WITHOUT_VERIFICATION" => "Changes apply at once",
        "CHANGES_REQUIRE_VERIFICATION" => "Changes need staff approval",
        "READ" => "Read only",
        other => other,
    }
}

/// One field of a domain with its value (`None`: not set).
#[derive(Debug, Clone)]
pub struct FieldValue {
    pub label: String,
    pub value: Option<String>,
}

/// The set fields of a domain's data, in the domain's field order.
pub fn field_values(data: &DomainData, full_iban: bool) -> Vec<FieldValue> {
    let json = data.to_json();
    json.as_object()
        .map(|o| o.iter().map(|(k, v)| FieldValue { label: field_label(k), value: value_text(k, Some(v), full_iban) }).collect())
        .unwrap_or_default()
}

/// How long ago `then_ms` was, in words.
pub fn age(now_ms: i64, then_ms: i64) -> String {
    let s = (now_ms - then_ms).max(0) / 1000;
    match s {
        0..60 => "just now".into(),
        60..3600 => format!("{} min ago", s / 60),
        3600..172_800 => format!("{} h ago", s / 3600),
        _ => format!("{} days ago", s / 86_400),
    }
}

/// `2026-11-26 09:45 UTC`.
pub fn datetime(ms: i64) -> String {
    let t = rfc3339(ms);
    match (t.get(0..10), t.get(11..16)) {
        (Some(d), Some(hm)) => format!("{d} {hm} UTC"),
        _ => t,
    }
}

/// The machine-readable form for `<time datetime>`.
pub fn iso(ms: i64) -> String {
    rfc3339(ms)
}

/// How staff recognise a customer: their name, else their e-mail, else their number.
pub fn customer_name(c: &Customer) -> String {
    if let Some(DomainData::Master(m)) = c.data(DataDomain::Master) {
        return format!("{} {}", m.first_name.as_str(), m.last_name.as_str());
    }
    if let Some(DomainData::Contact(contact)) = c.data(DataDomain::Contact)
        && let Some(e) = &contact.email
    {
        return e.as_str().to_owned();
    }
    format!("Customer {}", c.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn countries_show_by_name() {
        assert_eq!(value_text("countryCode", Some(&Value::from("DE")), false).as_deref(), Some("Germany"));
        assert_eq!(value_text("countryOfBirth", Some(&Value::from("SE")), false).as_deref(), Some("Sweden"));
        assert_eq!(value_text("countryCode", Some(&Value::from("XX")), false).as_deref(), Some("XX"));
    }

    #[test]
    fn ibans_are_masked_unless_shown_in_full() {
        let iban = json!("DE89370400440532013000");
        assert_eq!(value_text("iban", Some(&iban), true).unwrap(), "DE89 3704 0044 0532 0130 00");
        assert_eq!(value_text("iban", Some(&iban), false).unwrap(), "DE****************3000");
        assert_eq!(value_text("iban", None, true), None);
        assert_eq!(value_text("email", Some(&Value::Null), true), None);
    }

    #[test]
    fn fields_and_values_read_as_words() {
        assert_eq!(field_label("phonePrivateMobile"), "Mobile (private)");
        assert_eq!(field_label("streetBlock"), "Street block");
        assert_eq!(value_text("gender", Some(&json!("FEMALE")), false).unwrap(), "Female");
        assert_eq!(value_text("requireSignature", Some(&json!(true)), false).unwrap(), "yes");
    }

    #[test]
    fn ages_are_rounded_down_to_a_readable_unit() {
        let now = 1_700_000_000_000;
        assert_eq!(age(now, now - 5_000), "just now");
        assert_eq!(age(now, now - 5 * 60_000), "5 min ago");
        assert_eq!(age(now, now - 3 * 3_600_000), "3 h ago");
        assert_eq!(age(now, now - 3 * 86_400_000), "3 days ago");
        assert_eq!(datetime(now), "2023-11-14 22:13 UTC");
    }
}
