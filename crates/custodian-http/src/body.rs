//! JSON request bodies: parse errors name the offending field and render in the dialect's shape.
//!
//! Every body is read strictly, whatever type it becomes: exactly one JSON value (nothing but
//! whitespace after it), no key given twice in any object at any depth, and no NUL character
//! (U+0000) in any string or key — PostgreSQL cannot store it, and no field has a use for it.

use crate::error::{ApiError, Dialect, ErrorKind, Failure};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::marker::PhantomData;

/// A JSON body of type `T`; malformed JSON or a wrong field type is a 400 naming the field.
pub struct JsonBody<T, D: Dialect>(pub T, pub PhantomData<D>);

impl<S: Send + Sync, T: DeserializeOwned, D: Dialect> FromRequest<S> for JsonBody<T, D> {
    type Rejection = Failure<D>;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "request.too_large", "the request body is too large")
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "request.unreadable", format!("the request body could not be read: {e}"))
                    .kind(ErrorKind::Unreadable)
            }
        })?;
        Ok(JsonBody(parse(&bytes)?, PhantomData))
    }
}

/// Reads `bytes` strictly (see the module) into `T`; every problem is a 400 naming the field.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "request.body_required", "a JSON request body is required"));
    }
    let value = strict_value(bytes)?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let missing = inner.to_string().strip_prefix("missing field `").and_then(|r| r.split('`').next()).map(str::to_owned);
        if let Some(field) = missing {
            let reference = if path == "." { field } else { format!("{path}.{field}") };
            ApiError::bad_request(&reference, format!("{reference} is required"))
        } else if path != "." {
            ApiError::bad_request(&path, format!("{path}: {inner}"))
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "request.malformed_json",
                format!("the request body is not valid JSON: {inner}"),
            )
            .kind(ErrorKind::MalformedJson)
        }
    })
}

/// What a strict read refuses, besides malformed JSON.
const NUL: &str = "must not contain the NUL character (U+0000)";
const DUPLICATE: &str = "is given more than once";

/// Parses one JSON document strictly into a [`Value`].
pub fn strict_value(bytes: &[u8]) -> Result<Value, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map(|Strict(v)| v).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        let rule = [NUL, DUPLICATE].into_iter().find(|rule| message.starts_with(rule));
        match rule {
            Some(rule) => {
                let code = if rule == DUPLICATE { "request.duplicate_key" } else { "validation.invalid_field" };
                if path == "." {
                    ApiError::new(StatusCode::BAD_REQUEST, code, format!("the request body {rule}"))
                } else {
                    ApiError::new(StatusCode::BAD_REQUEST, code, format!("{path} {rule}")).with_reference(path)
                }
            }
            None => ApiError::new(
                StatusCode::BAD_REQUEST,
                "request.malformed_json",
                format!("the request body is not valid JSON: {inner}"),
            )
            .kind(ErrorKind::MalformedJson),
        }
    })?;
    de.end().map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "request.malformed_json",
            format!("the request body is not valid JSON: {e} (only whitespace may follow the JSON value)"),
        )
        .kind(ErrorKind::MalformedJson)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(body: &str) -> ApiError {
        strict_value(body.as_bytes()).expect_err(body)
    }

    #[test]
    fn one_value_with_surrounding_whitespace_is_read() {
        assert_eq!(strict_value(b" {\"a\": [1, \"x\", null]}\n").unwrap(), serde_json::json!({"a": [1, "x", null]}));
    }

    #[test]
    fn bytes_after_the_value_are_refused() {
        let e = refusal(r#"{"email":"a@example.com"} xyz"#);
        assert_eq!((e.status, e.code.as_str()), (StatusCode::BAD_REQUEST, "request.malformed_json"));
        assert_eq!(refusal(r#"{"a":1}{"a":2}"#).code, "request.malformed_json");
    }

    #[test]
    fn a_key_given_twice_is_refused_at_any_depth_and_named() {
        let e = refusal(r#"{"a":1,"a":2}"#);
        assert_eq!((e.code.as_str(), e.reference.as_deref()), ("request.duplicate_key", Some("a")));
        let e = refusal(r#"{"customer":{"address":{"street":"x","street":"y"}}}"#);
        assert_eq!(e.reference.as_deref(), Some("customer.address.street"));
        let e = refusal(r#"{"contact":[{"id":1},{"id":2,"id":3}]}"#);
        assert_eq!(e.reference.as_deref(), Some("contact[1].id"));
    }

    #[test]
    fn a_nul_character_is_refused_in_values_and_keys() {
        let e = refusal(r#"{"reason":"a\u0000b"}"#);
        assert_eq!((e.code.as_str(), e.reference.as_deref()), ("validation.invalid_field", Some("reason")));
        assert!(e.message.contains("U+0000"), "{}", e.message);
        assert_eq!(refusal(r#"{"list":["ok","\u0000"]}"#).reference.as_deref(), Some("list[1]"));
        assert_eq!(refusal(r#"{"a\u0000":1}"#).status, StatusCode::BAD_REQUEST);
        assert_eq!(refusal(r#""\u0000""#).status, StatusCode::BAD_REQUEST);
    }
}
