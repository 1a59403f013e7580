//! Query and path parameters every API shares: page sizes, opaque cursors and numeric ids.
//! Shared code: no dialect and not the native API own it, so each may use it.

use crate::error::ApiError;

/// Page size: 1..=200, default 50.
pub(crate) fn page_limit(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit {
        None => Ok(50),
        Some(l) if (1..=200).contains(&l) => Ok(l),
        Some(l) => Err(ApiError::bad_request("limit", format!("limit must be between 1 and 200, not {l}"))),
    }
}

/// Cuts a list read with `limit + 1` items to one page: the first `limit` items, and the cursor of
/// the next page (the last item's id) when there was more.
pub(crate) fn cut_page<T>(mut items: Vec<T>, limit: i64, id_of: impl Fn(&T) -> i64) -> (Vec<T>, Option<String>) {
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = if more { items.last().map(|i| id_of(i).to_string()) } else { None };
    (items, next_cursor)
}

/// Parses an opaque cursor (the last id of the previous page).
pub(crate) fn parse_cursor(cursor: Option<&str>) -> Result<Option<i64>, ApiError> {
    cursor
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<i64>()
                .ok()
                .filter(|v| *v >= 0)
                .ok_or_else(|| ApiError::bad_request("cursor", "cursor is not one this API returned"))
        })
        .transpose()
}

/// Parses a path id: a positive int64 value.
pub(crate) fn parse_id(raw: &str, reference: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::bad_request(reference, format!("{reference} must be a positive integer, not {raw:?}")))
}
