//! Customer signatures: a base64 SVG is decoded, size-capped, parsed and re-serialised so that only
//! plain vector shapes survive (no scripts, event handlers, external references or foreignObject).

use base64::Engine;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Largest accepted decoded SVG, in bytes.
pub const MAX_SVG_BYTES: usize = 256 * 1024;

/// An SVG document produced by our own serialiser from a parsed signature. It holds only
/// `svg`, `g`, `path` and paint definitions; it can be served as `image/svg+xml` safely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SanitizedSvg(String);

impl SanitizedSvg {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Rebuilds the value from storage, where only sanitised output is ever written.
    pub fn from_stored(svg: String) -> Self {
        SanitizedSvg(svg)
    }

    /// Decodes `base64SvgSignature` (a bare base64 string or a `data:image/svg+xml;base64,` URL)
    /// and sanitises it.
    pub fn from_base64(encoded: &str) -> Result<SanitizedSvg, SignatureError> {
        let body = encoded.trim();
        let body = body.strip_prefix("data:image/svg+xml;base64,").unwrap_or(body);
        let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Err(SignatureError::Empty);
        }
        if compact.len() > MAX_SVG_BYTES.div_ceil(3) * 4 {
            return Err(SignatureError::TooLarge);
        }
        let bytes =
            base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()).map_err(|_| SignatureError::NotBase64)?;
        Self::sanitize(&bytes)
    }

    /// Parses raw SVG bytes and writes them back out as plain shapes.
    pub fn sanitize(bytes: &[u8]) -> Result<SanitizedSvg, SignatureError> {
        if bytes.len() > MAX_SVG_BYTES {
            return Err(SignatureError::TooLarge);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| SignatureError::NotSvg)?;
        if !text.contains("<svg") {
            return Err(SignatureError::NotSvg);
        }
        // The default resolvers read local files named by <image href>; refuse every image.
        let options = usvg::Options {
            image_href_resolver: usvg::ImageHrefResolver {
                resolve_data: Box::new(|_, _, _| None),
                resolve_string: Box::new(|_, _| None),
            },
            resources_dir: None,
            ..Default::default()
        };
        let tree = usvg::Tree::from_data(bytes, &options).map_err(|_| SignatureError::NotSvg)?;
        if !tree.root().has_children() {
            return Err(SignatureError::Empty);
        }
        Ok(SanitizedSvg(tree.to_string(&usvg::WriteOptions::default())))
    }
}

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    Empty,
    TooLarge,
    NotBase64,
    NotSvg,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureError::Empty => "the signature is empty: it must contain at least one drawn stroke",
            SignatureError::TooLarge => "the signature is too large: at most 256 KiB of SVG",
            SignatureError::NotBase64 => "the signature is not valid base64",
            SignatureError::NotSvg => "the signature is not an SVG image",
        })
    }
}

impl std::error::Error for SignatureError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    const STROKE: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="80"><path d="M10 40 C 40 10, 60 70, 190 40" stroke="black" fill="none" stroke-width="2"/></svg>"#;

    #[test]
    fn a_drawn_signature_is_kept_as_a_path() {
        let svg = SanitizedSvg::from_base64(&b64(STROKE)).unwrap();
        assert!(svg.as_str().contains("<path"), "{}", svg.as_str());
        let data_url = format!("data:image/svg+xml;base64,{}", b64(STROKE));
        assert_eq!(SanitizedSvg::from_base64(&data_url).unwrap(), svg);
    }

    #[test]
    fn scripts_handlers_links_and_foreign_objects_are_removed() {
        let evil = r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="100" onload="alert(1)">
            <script>alert(2)</script>
            <foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>
            <a xlink:href="javascript:alert(3)"><path d="M0 0 L10 10" stroke="red" onclick="alert(4)"/></a>
            <image href="/etc/passwd" width="10" height="10"/>
            <image href="https://evil.example/x.png" width="10" height="10"/>
            <path d="M1 1 L 50 50" stroke="black"/>
        </svg>"#;
        let out = SanitizedSvg::from_base64(&b64(evil)).unwrap();
        let lower = out.as_str().to_lowercase();
        for bad in ["script", "onload", "onclick", "foreignobject", "javascript", "href", "passwd", "evil", "<image"] {
            assert!(!lower.contains(bad), "{bad} survived: {}", out.as_str());
        }
        assert!(lower.contains("<path"));
    }

    #[test]
    fn non_svg_empty_and_oversized_input_is_refused() {
        assert_eq!(SanitizedSvg::from_base64("not base64!!"), Err(SignatureError::NotBase64));
        assert_eq!(SanitizedSvg::from_base64(&b64("hello")), Err(SignatureError::NotSvg));
        assert_eq!(SanitizedSvg::from_base64(""), Err(SignatureError::Empty));
        let blank = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>"#;
        assert_eq!(SanitizedSvg::from_base64(&b64(blank)), Err(SignatureError::Empty));
        let huge = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><!--{}--></svg>"#,
            "x".repeat(MAX_SVG_BYTES)
        );
        assert_eq!(SanitizedSvg::from_base64(&b64(&huge)), Err(SignatureError::TooLarge));
    }
}
