//! Customer signatures: a base64 SVG is decoded, size-capped, pre-scanned, parsed and re-serialised
//! so that only plain vector shapes survive (no scripts, event handlers, external references or
//! foreignObject).
//!
//! A signature is drawn strokes: paths, lines, polylines and a few basic shapes in groups. Before
//! any recursive work (usvg's parser and converter recurse per element and per reference), a cheap
//! iterative pre-scan over the XML tree bounds what a hostile document can make the sanitiser do:
//! nesting depth, element count and references are capped, and every construct that expands or
//! chains content (`<use>`, `<symbol>`, nested `<svg>`, `<clipPath>`, `<mask>`, `<pattern>`,
//! `<filter>`, `<marker>`, `<style>` sheets, text, entity declarations) is refused. The serialised
//! result is capped as well.

use base64::Engine;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Largest accepted decoded SVG, in bytes.
pub const MAX_SVG_BYTES: usize = 256 * 1024;
/// Largest sanitised SVG that is stored, in bytes.
pub const MAX_OUTPUT_BYTES: usize = 256 * 1024;
/// Deepest accepted element nesting (the root `<svg>` is depth 1).
pub const MAX_DEPTH: usize = 32;
/// Most elements a signature may hold.
pub const MAX_ELEMENTS: usize = 2_000;
/// Most references (`href`, `xlink:href`, `url(…)`) a signature may hold in total.
pub const MAX_REFERENCES: usize = 32;
/// Nodes the XML parser builds at most (elements plus the text and comments between them); it stops
/// allocating beyond this, before the element count is checked.
const MAX_XML_NODES: u32 = 4 * MAX_ELEMENTS as u32;

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// Elements that copy, reference or chain other content, or that a drawn signature never needs.
/// (A nested `<svg>` is refused separately: only the root may be one.)
const REFUSED_ELEMENTS: &[(&str, &str)] = &[
    ("use", "<use>"),
    ("symbol", "<symbol>"),
    ("clipPath", "<clipPath>"),
    ("mask", "<mask>"),
    ("pattern", "<pattern>"),
    ("filter", "<filter>"),
    ("marker", "<marker>"),
    ("style", "a <style> sheet"),
    ("text", "<text>"),
    ("tspan", "<tspan>"),
    ("textPath", "<textPath>"),
    ("tref", "<tref>"),
];

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
    /// and sanitises it. CPU-bound (up to a few milliseconds for the largest accepted input): call
    /// it off the async workers.
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

    /// Parses raw SVG bytes, pre-scans them and writes them back out as plain shapes.
    pub fn sanitize(bytes: &[u8]) -> Result<SanitizedSvg, SignatureError> {
        if bytes.len() > MAX_SVG_BYTES {
            return Err(SignatureError::TooLarge);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| SignatureError::NotSvg)?;
        if !text.contains("<svg") {
            return Err(SignatureError::NotSvg);
        }
        // A DOCTYPE naming the SVG DTD is harmless, but entities declared in it expand text and
        // markup beyond what the input size suggests.
        if text.contains("<!ENTITY") {
            return Err(SignatureError::Unsupported("an <!ENTITY> declaration"));
        }
        let xml = roxmltree::ParsingOptions { allow_dtd: true, nodes_limit: MAX_XML_NODES, ..Default::default() };
        let doc = roxmltree::Document::parse_with_options(text, xml).map_err(|e| match e {
            roxmltree::Error::NodesLimitReached => SignatureError::TooManyElements,
            _ => SignatureError::NotSvg,
        })?;
        prescan(&doc)?;
        // The default resolvers read local files named by <image href>; refuse every image.
        let options = usvg::Options {
            image_href_resolver: usvg::ImageHrefResolver {
                resolve_data: Box::new(|_, _, _| None),
                resolve_string: Box::new(|_, _| None),
            },
            resources_dir: None,
            ..Default::default()
        };
        let tree = usvg::Tree::from_xmltree(&doc, &options).map_err(|_| SignatureError::NotSvg)?;
        if !tree.root().has_children() {
            return Err(SignatureError::Empty);
        }
        let out = tree.to_string(&usvg::WriteOptions::default());
        if out.len() > MAX_OUTPUT_BYTES {
            return Err(SignatureError::OutputTooLarge);
        }
        Ok(SanitizedSvg(out))
    }
}

/// Walks the parsed document once, without recursion, and refuses what a signature does not need
/// before usvg recurses over it.
fn prescan(doc: &roxmltree::Document) -> Result<(), SignatureError> {
    // The open elements from the root down to the current one: the descendants come in document
    // order, so an element's parent is always on this stack.
    let mut open: Vec<roxmltree::NodeId> = Vec::with_capacity(MAX_DEPTH + 1);
    let (mut elements, mut references) = (0usize, 0usize);
    for node in doc.root().descendants().filter(|n| n.is_element()) {
        elements += 1;
        if elements > MAX_ELEMENTS {
            return Err(SignatureError::TooManyElements);
        }
        let parent = node.parent_element().map(|p| p.id());
        while open.last().is_some() && open.last().copied() != parent {
            open.pop();
        }
        open.push(node.id());
        let depth = open.len();
        if depth > MAX_DEPTH {
            return Err(SignatureError::TooDeep);
        }
        let tag = node.tag_name();
        if matches!(tag.namespace(), None | Some(SVG_NS)) {
            if tag.name() == "svg" && depth > 1 {
                return Err(SignatureError::Unsupported("a nested <svg>"));
            }
            if let Some((_, what)) = REFUSED_ELEMENTS.iter().find(|(name, _)| *name == tag.name()) {
                return Err(SignatureError::Unsupported(what));
            }
        }
        for attribute in node.attributes() {
            if attribute.name() == "href" {
                references += 1;
            }
            references += count_url_references(attribute.value());
        }
        if references > MAX_REFERENCES {
            return Err(SignatureError::TooManyReferences);
        }
    }
    Ok(())
}

/// How often `url(` occurs in an attribute value (CSS functions are case-insensitive).
fn count_url_references(value: &str) -> usize {
    value.as_bytes().windows(4).filter(|w| w.eq_ignore_ascii_case(b"url(")).count()
}

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    Empty,
    TooLarge,
    NotBase64,
    NotSvg,
    /// Elements nest deeper than [`MAX_DEPTH`].
    TooDeep,
    /// More than [`MAX_ELEMENTS`] elements.
    TooManyElements,
    /// More than [`MAX_REFERENCES`] references.
    TooManyReferences,
    /// A construct a drawn signature does not need (named as in the message).
    Unsupported(&'static str),
    /// The sanitised SVG is larger than [`MAX_OUTPUT_BYTES`].
    OutputTooLarge,
    /// Checking the signature took longer than the time budget (seconds).
    TimedOut(u64),
    /// Too many signatures are being checked at once; waited the given seconds for a turn.
    Busy(u64),
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureError::Empty => f.write_str("the signature is empty: it must contain at least one drawn stroke"),
            SignatureError::TooLarge => write!(f, "the signature is too large: at most {} KiB of SVG", MAX_SVG_BYTES / 1024),
            SignatureError::NotBase64 => f.write_str("the signature is not valid base64"),
            SignatureError::NotSvg => f.write_str("the signature is not an SVG image"),
            SignatureError::TooDeep => {
                write!(f, "the signature nests elements too deeply: at most {MAX_DEPTH} levels")
            }
            SignatureError::TooManyElements => {
                write!(f, "the signature has too many elements: at most {MAX_ELEMENTS}")
            }
            SignatureError::TooManyReferences => {
                write!(f, "the signature has too many references (href, url(…)): at most {MAX_REFERENCES}")
            }
            SignatureError::Unsupported(what) => write!(
                f,
                "the signature contains {what}, which is not allowed: a signature may hold only drawn shapes \
                 (path, line, polyline, polygon, rect, circle, ellipse) in groups"
            ),
            SignatureError::OutputTooLarge => {
                write!(f, "the sanitised signature is too large: at most {} KiB of SVG", MAX_OUTPUT_BYTES / 1024)
            }
            SignatureError::TimedOut(secs) => write!(f, "the signature took too long to check: at most {secs} s"),
            SignatureError::Busy(secs) => {
                write!(f, "too many signatures are being checked at once (waited {secs} s for a turn); try again in a moment")
            }
        }
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

    const OPEN: &str =
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="80">"#;

    /// Sanitises `svg` and returns the outcome and how long it took.
    fn timed(svg: &str) -> (Result<SanitizedSvg, SignatureError>, std::time::Duration) {
        let started = std::time::Instant::now();
        let outcome = SanitizedSvg::from_base64(&b64(svg));
        (outcome, started.elapsed())
    }

    /// Far above what the pre-scan needs (microseconds) and far below what the unbounded
    /// sanitiser took on these inputs (a crash, 13–27 s, a 33 MB result).
    const QUICKLY: std::time::Duration = std::time::Duration::from_secs(2);

    /// `levels` elements opened by `open` and closed by `close`, nested around one stroke.
    fn nested(open: &str, close: &str, levels: usize) -> String {
        format!("{OPEN}{}<path d=\"M1 1 L9 9\" stroke=\"black\"/>{}</svg>", open.repeat(levels), close.repeat(levels))
    }

    #[test]
    fn seven_hundred_nested_svg_elements_are_refused_quickly_instead_of_overflowing_the_stack() {
        let svg = nested(r#"<svg width="190" height="70">"#, "</svg>", 700);
        assert!(svg.len() > 20_000, "{}", svg.len());
        let (outcome, took) = timed(&svg);
        assert_eq!(outcome, Err(SignatureError::Unsupported("a nested <svg>")));
        assert!(took < QUICKLY, "{took:?}");
        // Nested groups that deep are refused by the depth bound.
        let (outcome, took) = timed(&nested("<g>", "</g>", 700));
        assert_eq!(outcome, Err(SignatureError::TooDeep));
        assert!(took < QUICKLY, "{took:?}");
        assert!(outcome.unwrap_err().to_string().contains("at most 32 levels"));
    }

    #[test]
    fn one_thousand_chained_clip_paths_are_refused_quickly() {
        let mut svg = format!(r#"{OPEN}<defs><clipPath id="c0"><rect width="190" height="70"/></clipPath>"#);
        for i in 1..1000 {
            svg += &format!(r#"<clipPath id="c{i}" clip-path="url(#c{})"><rect width="190" height="70"/></clipPath>"#, i - 1);
        }
        svg += r#"</defs><path d="M1 1 L9 9" stroke="black" clip-path="url(#c999)"/></svg>"#;
        assert!(svg.len() > 50_000, "{}", svg.len());
        let (outcome, took) = timed(&svg);
        assert_eq!(outcome, Err(SignatureError::Unsupported("<clipPath>")));
        assert!(took < QUICKLY, "{took:?}");
        assert!(outcome.unwrap_err().to_string().contains("only drawn shapes"));
    }

    #[test]
    fn a_use_fan_out_of_five_levels_by_ten_is_refused_quickly_instead_of_growing_to_megabytes() {
        let mut svg = format!(r#"{OPEN}<defs><path id="l0" d="M1 1 L9 9" stroke="black"/>"#);
        for level in 1..=5 {
            svg += &format!(r#"<g id="l{level}">"#);
            for _ in 0..10 {
                svg += &format!(r##"<use xlink:href="#l{}"/>"##, level - 1);
            }
            svg += "</g>";
        }
        svg += r##"</defs><use xlink:href="#l5"/></svg>"##;
        assert!(svg.len() < 2_000, "{}", svg.len());
        let (outcome, took) = timed(&svg);
        assert_eq!(outcome, Err(SignatureError::Unsupported("<use>")));
        assert!(took < QUICKLY, "{took:?}");
    }

    #[test]
    fn groups_may_nest_thirty_two_levels_deep_but_not_thirty_three() {
        let nest = |levels: usize| nested("<g>", "</g>", levels - 2);
        // The root <svg> is level 1 and the path the innermost level.
        assert!(SanitizedSvg::from_base64(&b64(&nest(MAX_DEPTH))).is_ok());
        assert_eq!(SanitizedSvg::from_base64(&b64(&nest(MAX_DEPTH + 1))), Err(SignatureError::TooDeep));
    }

    #[test]
    fn a_signature_may_hold_two_thousand_elements_but_not_more() {
        let strokes = |n: usize| format!("{OPEN}{}</svg>", r#"<path d="M1 1 L9 9" stroke="black"/>"#.repeat(n));
        // The root <svg> is one of the elements.
        assert!(SanitizedSvg::from_base64(&b64(&strokes(MAX_ELEMENTS - 1))).is_ok());
        assert_eq!(SanitizedSvg::from_base64(&b64(&strokes(MAX_ELEMENTS))), Err(SignatureError::TooManyElements));
        // Comments and text between elements do not let the parser build an unbounded tree either.
        let chatter = format!("{OPEN}{}<path d=\"M1 1 L9 9\" stroke=\"black\"/></svg>", "<!--x-->".repeat(20_000));
        assert_eq!(SanitizedSvg::from_base64(&b64(&chatter)), Err(SignatureError::TooManyElements));
    }

    #[test]
    fn references_are_bounded_so_gradient_chains_stay_short() {
        let chain = |n: usize| {
            let mut svg =
                format!(r#"{OPEN}<defs><linearGradient id="g0"><stop offset="0" stop-color="black"/></linearGradient>"#);
            for i in 1..n {
                svg += &format!(r##"<linearGradient id="g{i}" xlink:href="#g{}"/>"##, i - 1);
            }
            svg + &format!(r##"</defs><path d="M1 1 L9 9" stroke="url(#g{})"/></svg>"##, n - 1)
        };
        // n - 1 hrefs plus one url(…)
        assert!(SanitizedSvg::from_base64(&b64(&chain(MAX_REFERENCES))).is_ok());
        assert_eq!(SanitizedSvg::from_base64(&b64(&chain(MAX_REFERENCES + 1))), Err(SignatureError::TooManyReferences));
    }

    #[test]
    fn a_signature_whose_sanitised_form_exceeds_the_output_cap_is_refused_naming_the_cap() {
        // usvg turns every arc into cubic Béziers: 17 bytes in, ~70 bytes out.
        let arcs = "a1 1 0 0 0 2 0 ".repeat(12_000);
        let svg = format!("{OPEN}<path d=\"M1 1 {arcs}\" stroke=\"black\" fill=\"none\"/></svg>");
        assert!(svg.len() < MAX_SVG_BYTES, "{}", svg.len());
        let outcome = SanitizedSvg::from_base64(&b64(&svg));
        assert_eq!(outcome, Err(SignatureError::OutputTooLarge));
        assert!(outcome.unwrap_err().to_string().contains("at most 256 KiB"));
    }

    #[test]
    fn entity_declarations_are_refused_but_a_plain_svg_doctype_is_accepted() {
        let laughs = format!(
            r#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>{}"#,
            STROKE.replace("<path ", "<path data-x=\"&b;&b;&b;\" ")
        );
        assert_eq!(SanitizedSvg::from_base64(&b64(&laughs)), Err(SignatureError::Unsupported("an <!ENTITY> declaration")));
        let doctype = format!(
            r#"<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">{STROKE}"#
        );
        assert!(SanitizedSvg::from_base64(&b64(&doctype)).unwrap().as_str().contains("<path"));
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
