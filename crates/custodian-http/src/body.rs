//! JSON request bodies: parse errors name the offending field and render in the dialect's shape.
//!
//! Every body is read strictly, whatever type it becomes: exactly one JSON value (nothing but
//! whitespace after it), no key given twice in any object at any depth, and no NUL character
//! (U+0000) in any string or key — PostgreSQL cannot store it, and no field has a use for it.

use crate::error::{ApiError, Dialect, ErrorKind, Failure};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;
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

/// Parses one JSON document strictly (see `custodian_domain::json`) into a [`Value`].
pub fn strict_value(bytes: &[u8]) -> Result<Value, ApiError> {
    use custodian_domain::json::StrictRule;
    custodian_domain::json::strict_value(bytes).map_err(|e| {
        let code = match &e.rule {
            StrictRule::Duplicate => "request.duplicate_key",
            StrictRule::Nul => "validation.invalid_field",
            StrictRule::Malformed(m) => {
                return ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "request.malformed_json",
                    format!("the request body is not valid JSON: {m}"),
                )
                .kind(ErrorKind::MalformedJson);
            }
        };
        if e.path == "." {
            ApiError::new(StatusCode::BAD_REQUEST, code, format!("the request body {}", e.describe()))
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, code, format!("{} {}", e.path, e.describe())).with_reference(e.path)
        }
    })
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
