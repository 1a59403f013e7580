//! JSON request bodies: parse errors name the offending field and render in the dialect's shape.

use crate::error::{ApiError, Dialect, Failure};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
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
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "request.body_required", "a JSON request body is required").into());
        }
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map(|v| JsonBody(v, PhantomData)).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let missing = inner.to_string().strip_prefix("missing field `").and_then(|r| r.split('`').next()).map(str::to_owned);
            let err = if let Some(field) = missing {
                let reference = if path == "." { field } else { format!("{path}.{field}") };
                ApiError::bad_request(&reference, format!("{reference} is required"))
            } else if inner.is_data() && path != "." {
                ApiError::bad_request(&path, format!("{path}: {inner}"))
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "request.malformed_json",
                    format!("the request body is not valid JSON: {inner}"),
                )
            };
            err.into()
        })
    }
}
