//! Field-by-field comparison of two versions of a domain's data, for the audit trail and review.

use crate::data::DomainData;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One field whose value differs; `None` means the field is not set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The changed fields from `before` (absent when the domain had no data yet) to `after`,
/// in the order of the domain's fields.
pub fn diff(before: Option<&DomainData>, after: &DomainData) -> Vec<FieldChange> {
    let after = after.to_json();
    let before = before.map(DomainData::to_json).unwrap_or(Value::Null);
    compare(&before, &after)
}

/// Compares two stored JSON objects field by field, keeping the order of `after` then `before`.
pub fn compare(before: &Value, after: &Value) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut fields: Vec<&String> = a.keys().collect();
    fields.extend(b.keys().filter(|k| !a.contains_key(*k)));
    fields
        .into_iter()
        .filter(|f| a.get(*f) != b.get(*f))
        .map(|f| FieldChange { field: f.clone(), before: b.get(f).cloned(), after: a.get(f).cloned() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ContactData, ContactInput};

    #[test]
    fn only_changed_fields_are_listed_with_both_values() {
        let before = DomainData::Contact(
            ContactData::parse(ContactInput {
                email: Some("old@example.com"),
                phone_private: Some("+49 1234567"),
                ..Default::default()
            })
            .unwrap(),
        );
        let after = DomainData::Contact(
            ContactData::parse(ContactInput {
                email: Some("new@example.com"),
                phone_private: Some("+49 1234567"),
                ..Default::default()
            })
            .unwrap(),
        );
        let changes = diff(Some(&before), &after);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "email");
        assert_eq!(changes[0].before, Some(Value::from("old@example.com")));
        assert_eq!(changes[0].after, Some(Value::from("new@example.com")));
    }

    #[test]
    fn a_removed_field_shows_as_changed_to_unset() {
        let before =
            DomainData::Contact(ContactData::parse(ContactInput { email: Some("a@example.com"), ..Default::default() }).unwrap());
        let after = DomainData::Contact(ContactData::default());
        let changes = diff(Some(&before), &after);
        assert_eq!(changes, vec![FieldChange { field: "email".into(), before: Some("a@example.com".into()), after: None }]);
    }

    #[test]
    fn a_first_value_has_no_before() {
        let after =
            DomainData::Contact(ContactData::parse(ContactInput { email: Some("a@example.com"), ..Default::default() }).unwrap());
        assert_eq!(diff(None, &after)[0].before, None);
    }
}
