//! Strict JSON: exactly one JSON value (nothing but whitespace after it), no key given twice in
//! any object at any depth, and no NUL character (U+0000) in any string or key — PostgreSQL cannot
//! store it, and no field has a use for it. Every reader of untrusted JSON (request bodies, import
//! files) goes through [`strict_value`], so they refuse the same input.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// What a strict read refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StrictRule {
    /// A string or key holds U+0000.
    Nul,
    /// A key is given twice in one object.
    Duplicate,
    /// Not one well-formed JSON value; the parser's message.
    Malformed(String),
}

/// A refusal: the rule and the path of the offending value (`.` for the whole document,
/// `a.b[1].c` otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrictError {
    pub rule: StrictRule,
    pub path: String,
}

impl StrictError {
    /// The rule in words, e.g. "is given more than once".
    pub fn describe(&self) -> String {
        match &self.rule {
            StrictRule::Nul => NUL.to_owned(),
            StrictRule::Duplicate => DUPLICATE.to_owned(),
            StrictRule::Malformed(m) => format!("is not valid JSON: {m}"),
        }
    }
}

const NUL: &str = "must not contain the NUL character (U+0000)";
const DUPLICATE: &str = "is given more than once";

/// Parses one JSON document strictly into a [`Value`] (serde_json's recursion limit of 128 bounds
/// its depth).
pub fn strict_value(bytes: &[u8]) -> Result<Value, StrictError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map(|Strict(v)| v).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let rule = if message.starts_with(NUL) {
            StrictRule::Nul
        } else if message.starts_with(DUPLICATE) {
            StrictRule::Duplicate
        } else {
            return StrictError { rule: StrictRule::Malformed(message), path: ".".into() };
        };
        StrictError { rule, path }
    })?;
    de.end().map_err(|e| StrictError {
        rule: StrictRule::Malformed(format!("{e} (only whitespace may follow the JSON value)")),
        path: ".".into(),
    })?;
    Ok(value)
}

/// A JSON value read strictly.
struct Strict(Value);

impl<'de> de::Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

/// An object key: a string without NUL.
struct StrictKey(String);

impl<'de> de::Deserialize<'de> for StrictKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let key = String::deserialize(d)?;
        if key.contains('\0') {
            return Err(de::Error::custom(NUL));
        }
        Ok(StrictKey(key))
    }
}

/// Fails where a key's second value would be read, so the error's path names the key.
struct Duplicate;

impl<'de> DeserializeSeed<'de> for Duplicate {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<Value, D::Error> {
        Err(de::Error::custom(DUPLICATE))
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("a number must be finite"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.visit_string(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        if v.contains('\0') {
            return Err(E::custom(NUL));
        }
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(StrictKey(key)) = map.next_key()? {
            if object.contains_key(&key) {
                map.next_value_seed(Duplicate)?;
            }
            let Strict(v) = map.next_value()?;
            object.insert(key, v);
        }
        Ok(Value::Object(object))
    }
}
