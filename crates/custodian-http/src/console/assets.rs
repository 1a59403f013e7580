//! The console's static files, embedded in the binary at build time: its stylesheet, its icon and the
//! vendored htmx (2.0.10, from npm, with its licence next to it). Nothing loads from elsewhere.

use super::errors::ConsoleError;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

const CONSOLE_CSS: &str = include_str!("../../assets/console.css");
const FAVICON: &str = include_str!("../../assets/favicon.svg");
const HTMX_JS: &str = include_str!("../../assets/vendor/htmx-2.0.10/htmx.min.js");
const HTMX_LICENSE: &str = include_str!("../../assets/vendor/htmx-2.0.10/LICENSE");

/// `GET /console/assets/{file}`.
pub async fn serve(Path(file): Path<String>) -> Result<Response, ConsoleError> {
    let (content_type, body) = match file.as_str() {
        "console.css" => ("text/css; charset=utf-8", CONSOLE_CSS),
        "favicon.svg" => ("image/svg+xml", FAVICON),
        "htmx-2.0.10.min.js" => ("text/javascript; charset=utf-8", HTMX_JS),
        "htmx-LICENSE.txt" => ("text/plain; charset=utf-8", HTMX_LICENSE),
        _ => return Err(ConsoleError::NotFound("There is no such console asset.".into())),
    };
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}
