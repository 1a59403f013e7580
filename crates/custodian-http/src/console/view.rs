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
        ActorKind::Import => format!("an import of {}", actor.id),
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

/// A readable label for a field of a domain (or of an audit entry); a dotted path
/// (`primaryPerson.language`) reads as its parts' labels joined by ` › `.
pub fn field_label(field: &str) -> String {
    if field.contains('.') {
        return field.split('.').filter(|p| !p.is_empty()).map(part_label).collect::<Vec<_>>().join(" › ");
    }
    let known = match field {
        "kyc" => "KYC",
        "vatRegistrationNumber" => "VAT registration number",
        "mfaConfiguration" => "Two-factor sign-in",
        "isAllowedImeiLock" => "IMEI lock allowed",
        "isImeiLockEnabled" => "IMEI lock on",
        "type" => "Type",
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
        ("status", Value::String(s)) if policy_label(s) != s => policy_label(s).into(),
        // Codes of the partner and wealth models (`ACTIVE`, `BUSINESS`, `SELFCARE`) as words.
        (
            "status" | "type" | "role" | "mfaConfiguration" | "deliveryMethod" | "salutation" | "activityIndication"
            | "paymentDueUnits",
            Value::String(s),
        ) if s.len() > 1 && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') => {
            let words = s.replace('_', " ").to_lowercase();
            let mut chars = words.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
        }
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

/// The label of a field inside a nested value: `status` there is not a domain policy.
fn part_label(field: &str) -> String {
    match field {
        "status" => "Status".into(),
        other => field_label(other),
    }
}

/// One changed value of a history entry, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRow {
    pub label: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The rows that show a recorded change of `field` in words. A plain value is one row; a nested
/// one (a wealth profile's KYC, a partner's invoice settings or contacts) becomes one row per
/// value that changed inside it, labelled with its path (`KYC › Financial situation › Amount`;
/// list entries by position), so staff never read JSON. IBANs are masked at any depth.
pub fn change_rows(field: &str, before: Option<&Value>, after: Option<&Value>, full_iban: bool) -> Vec<ChangeRow> {
    let mut rows = Vec::new();
    let key = field.rsplit('.').next().unwrap_or(field);
    // A customer's history: a top-level `status` is the customer's (partner, wealth), not a policy.
    walk(part_label(field), key, before, after, true, full_iban, &mut rows);
    rows
}

fn walk(
    label: String,
    key: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    top: bool,
    full_iban: bool,
    out: &mut Vec<ChangeRow>,
) {
    let before = before.filter(|v| !v.is_null());
    let after = after.filter(|v| !v.is_null());
    let object = |v: Option<&Value>| v.is_none_or(Value::is_object);
    let array = |v: Option<&Value>| v.is_none_or(Value::is_array);
    let nested = before.or(after).is_some_and(|v| v.is_object() || v.is_array());
    if nested && object(before) && object(after) {
        let empty = serde_json::Map::new();
        let b = before.and_then(Value::as_object).unwrap_or(&empty);
        let a = after.and_then(Value::as_object).unwrap_or(&empty);
        let keys = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k)));
        for k in keys {
            walk(format!("{label} › {}", part_label(k)), k, b.get(k), a.get(k), false, full_iban, out);
        }
    } else if nested && array(before) && array(after) {
        let b = before.and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let a = after.and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        for i in 0..a.len().max(b.len()) {
            walk(format!("{label} {}", i + 1), key, b.get(i), a.get(i), false, full_iban, out);
        }
    } else if top || before != after {
        out.push(ChangeRow { label, before: words(key, before, full_iban), after: words(key, after, full_iban) });
    }
}

/// A value in words; a nested one (only where the other side of a change is not nested alike)
/// as its set values, `Label: value`, separated by semicolons.
fn words(key: &str, value: Option<&Value>, full_iban: bool) -> Option<String> {
    match value? {
        Value::Object(o) => {
            let parts: Vec<String> =
                o.iter().filter_map(|(k, v)| words(k, Some(v), full_iban).map(|w| format!("{}: {w}", part_label(k)))).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(|v| words(key, Some(v), full_iban)).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        v => value_text(key, Some(v), full_iban),
    }
}

/// The set values of a JSON object (a partner's profile, contact or address) as labelled
/// fields, nested ones with their path.
pub fn json_fields(value: &Value, full_iban: bool) -> Vec<FieldValue> {
    let mut rows = Vec::new();
    if let Some(o) = value.as_object() {
        for (k, v) in o {
            walk(part_label(k), k, None, Some(v), false, full_iban, &mut rows);
        }
    }
    rows.into_iter().map(|r| FieldValue { label: r.label, value: r.after }).collect()
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

/// A partner customer's stored profile, if `id` is one (the partner API's customers).
pub async fn partner(
    state: &AppState,
    tenant: custodian_domain::TenantId,
    id: custodian_domain::CustomerId,
) -> Result<Option<custodian_domain::hierarchy::PartnerCustomer>, ConsoleError> {
    match state.services.store.get_partner_customer_by_id(tenant, id).await {
        Ok(p) => Ok(Some(p.customer)),
        Err(custodian_store::StoreError::NotFound) => Ok(None),
        Err(e) => Err(custodian_app::AppError::Store(e).into()),
    }
}

/// How staff recognise a customer: [`customer_name`], but a partner customer without personal
/// data by its partner profile's name (a partner root has neither personal nor contact data).
pub async fn display_name(state: &AppState, c: &Customer) -> Result<String, ConsoleError> {
    if c.data(DataDomain::Master).is_none()
        && let Some(p) = partner(state, c.tenant_id, c.id).await?
        && let Some(name) = &p.profile.name
    {
        return Ok(name.as_str().to_owned());
    }
    Ok(customer_name(c))
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
        assert_eq!(value_text("status", Some(&json!("CHANGES_WITHOUT_VERIFICATION")), false).unwrap(), "Changes apply at once");
        assert_eq!(value_text("status", Some(&json!("ACTIVE")), false).unwrap(), "Active");
        assert_eq!(value_text("type", Some(&json!("SOLE_TRADER")), false).unwrap(), "Sole trader");
    }

    #[test]
    fn nested_changes_read_as_one_row_per_changed_value_with_its_path() {
        let before = json!({"financialSituation": {"monetaryWealth": {"currency": "CHF", "amount": "1000"}}});
        let after =
            json!({"financialSituation": {"monetaryWealth": {"currency": "CHF", "amount": "2000"}}, "riskProfile": "low"});
        assert_eq!(
            change_rows("kyc", Some(&before), Some(&after), false),
            vec![
                ChangeRow {
                    label: "KYC › Financial situation › Monetary wealth › Amount".into(),
                    before: Some("1000".into()),
                    after: Some("2000".into()),
                },
                ChangeRow { label: "KYC › Risk profile".into(), before: None, after: Some("low".into()) },
            ]
        );
        let contacts = json!([{"firstName": "Ada", "iban": "DE89370400440532013000"}]);
        let rows = change_rows("contact", None, Some(&contacts), false);
        assert_eq!(rows[0].label, "Contact 1 › First name");
        assert_eq!(rows[1].after.as_deref(), Some("DE****************3000"), "IBANs are masked at any depth");
        assert_eq!(
            change_rows("primaryPerson.language", Some(&json!("German")), Some(&json!("French")), false)[0].label,
            "Primary person › Language"
        );
        let plain = change_rows("email", Some(&json!("a@example.com")), Some(&json!("b@example.com")), false);
        assert_eq!(plain.len(), 1);
        let mixed = change_rows("kyc", Some(&json!("x")), Some(&after), false);
        assert_eq!(
            mixed[0].after.as_deref(),
            Some("Financial situation: Monetary wealth: Currency: CHF; Amount: 2000; Risk profile: low")
        );
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
