//! The two file formats of a bulk transfer, one customer per record:
//!
//! - **JSON Lines** (`.jsonl`): one JSON object per line, the shape of `POST /api/v1/customers`
//!   plus an optional `externalId`:
//!   `{"externalId":"M-1001","contact":{"email":"…"},"master":{"firstName":"…",…}}`.
//!   A domain left out (or `null`) is not imported; a field left out or `null` is not set. Every
//!   value is a string. Blank lines are skipped, and a byte order mark at the start of the file.
//!   Read strictly, like a request body: no key twice, no NUL, one object per line, at most
//!   [`MAX_LINE_BYTES`] per line.
//! - **CSV** (`.csv`, RFC 4180, UTF-8): a header row naming the columns, `externalId` and
//!   `domain.field` (e.g. `contact.email`, `address.zipCode`), in any order and any subset; an
//!   unknown or repeated column stops the import before anything is written. A domain whose
//!   columns are all empty in a row is not imported; an empty cell is a field not set. A record
//!   (or header row) longer than about [`MAX_LINE_BYTES`] is refused, and the rest of the file is
//!   not read: after an unclosed quote there is no telling where the next record starts.
//!
//! Both are validated with the rules of every API (`DomainData::parse_fields`). A record that
//! breaks one is rejected with its line number, the field (`contact.email`) and the reason.

use custodian_domain::values::ExternalId;
use custodian_domain::{DataDomain, DomainData};
use custodian_store::transfer::{ExportedCustomer, ImportCustomer};

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::str::FromStr;
use time::Date;

/// The longest JSON Lines record read; a longer line is rejected without being parsed.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// UTF-8's byte order mark, skipped at the start of a file.
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// The name of the external id, as a JSON key and a CSV column.
pub const EXTERNAL_ID: &str = "externalId";

/// A transfer file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    JsonLines,
    Csv,
}

impl Format {
    /// The format a file name's extension names: `.jsonl`/`.ndjson` or `.csv`.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" | "json-lines" => Ok(Format::JsonLines),
            "csv" => Ok(Format::Csv),
            other => Err(format!("unknown format {other:?}: expected jsonl or csv")),
        }
    }
}

/// Why a record was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The record's line in the file (its first line, for a CSV record spanning several).
    pub line: u64,
    /// The field, e.g. `contact.email`; empty when the record as a whole is wrong.
    pub field: String,
    pub reason: String,
}

/// One record read: a valid customer, or why not.
#[derive(Debug, Clone)]
pub enum Item {
    Customer { line: u64, customer: ImportCustomer },
    Rejected(Rejection),
}

/// A problem with the file as a whole: nothing after it is read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Header(String),
}

fn reject(line: u64, field: impl Into<String>, reason: impl Into<String>) -> Item {
    Item::Rejected(Rejection { line, field: field.into(), reason: reason.into() })
}

/// Validates one record's loose values: `external` its external id, `domains` each domain's
/// fields (absent from the map: not imported).
fn customer_from(line: u64, external: Option<&str>, domains: &BTreeMap<DataDomain, BTreeMap<&str, &str>>, today: Date) -> Item {
    let external_id = match external {
        None => None,
        Some(raw) => match ExternalId::parse(raw) {
            Ok(e) => Some(e),
            Err(reason) => return reject(line, EXTERNAL_ID, reason),
        },
    };
    let mut data = Vec::with_capacity(domains.len());
    for (domain, fields) in domains {
        match DomainData::parse_fields(*domain, |name| fields.get(name).copied(), today) {
            Ok(d) => data.push(d),
            Err(e) => return reject(line, format!("{domain}.{}", e.reference), e.message),
        }
    }
    Item::Customer { line, customer: custodian_app::TransferService::prepare(external_id, data) }
}

fn domain_named(name: &str) -> Option<DataDomain> {
    DataDomain::ALL.into_iter().find(|d| d.as_str() == name)
}

/// Reads records of either format from `input`.
pub struct RecordReader<R: Read> {
    inner: Inner<R>,
    today: Date,
}

enum Inner<R: Read> {
    Json {
        input: std::io::BufReader<R>,
        line: u64,
        buf: Vec<u8>,
    },
    /// `ended`: a record longer than [`MAX_LINE_BYTES`] was met; the rest of the file is not read.
    Csv {
        input: csv::Reader<Bounded<R>>,
        columns: Vec<Column>,
        record: csv::ByteRecord,
        ended: bool,
    },
}

/// The CSV reader's input, failing once more than [`MAX_LINE_BYTES`] (and the reader's buffer) have
/// been read since the record being read began: an unclosed quote would otherwise make the rest
/// of the file one record, held in memory whole. Only approximate, by up to the CSV reader's
/// buffer (bytes of the next records may already be buffered), so the bound is a little higher.
struct Bounded<R> {
    inner: R,
    read_since_record: usize,
}

/// How many bytes one CSV record (or the header row) may take before it is refused.
const MAX_CSV_RECORD_READ: usize = MAX_LINE_BYTES + CSV_BUFFER_BYTES;
/// The CSV reader's buffer: what [`Bounded`] may have counted of the records after the current one.
const CSV_BUFFER_BYTES: usize = 1 << 16;

/// The error [`Bounded`] fails with (an `InvalidData` I/O error carrying it).
#[derive(Debug)]
struct RecordTooLong;

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the record is longer than {MAX_LINE_BYTES} bytes (a quote left open?); the rest of the file was not read")
    }
}

impl std::error::Error for RecordTooLong {}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read_since_record > MAX_CSV_RECORD_READ {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, RecordTooLong));
        }
        let n = self.inner.read(buf)?;
        self.read_since_record += n;
        Ok(n)
    }
}

/// Whether a CSV error is [`Bounded`]'s.
fn is_too_long(e: &csv::Error) -> bool {
    matches!(e.kind(), csv::ErrorKind::Io(io) if io.get_ref().is_some_and(|inner| inner.is::<RecordTooLong>()))
}

/// What a CSV column holds.
#[derive(Debug, Clone, Copy)]
enum Column {
    External,
    Field(DataDomain, &'static str),
}

impl<R: Read> RecordReader<R> {
    /// A reader of `format` records; for CSV it reads and checks the header row. `today` bounds
    /// dates of birth.
    pub fn new(input: R, format: Format, today: Date) -> Result<Self, FileError> {
        let inner = match format {
            Format::JsonLines => {
                Inner::Json { input: std::io::BufReader::with_capacity(1 << 16, input), line: 0, buf: Vec::new() }
            }
            Format::Csv => {
                let mut input = csv::ReaderBuilder::new()
                    .has_headers(true)
                    .flexible(false)
                    .buffer_capacity(CSV_BUFFER_BYTES)
                    .from_reader(Bounded { inner: input, read_since_record: 0 });
                let header =
                    input.byte_headers().map_err(|e| FileError::Header(format!("the CSV header row cannot be read: {e}")))?;
                let columns = csv_columns(header)?;
                Inner::Csv { input, columns, record: csv::ByteRecord::new(), ended: false }
            }
        };
        Ok(RecordReader { inner, today })
    }

    /// The next record, `None` at the end of the file.
    pub fn next_item(&mut self) -> Result<Option<Item>, FileError> {
        match &mut self.inner {
            Inner::Json { input, line, buf } => loop {
                buf.clear();
                *line += 1;
                let n = input.by_ref().take(MAX_LINE_BYTES as u64 + 1).read_until(b'\n', buf)?;
                if n == 0 {
                    return Ok(None);
                }
                if buf.len() > MAX_LINE_BYTES && buf.last() != Some(&b'\n') {
                    // Skip the rest of the line without keeping it.
                    loop {
                        let chunk = input.fill_buf()?;
                        if chunk.is_empty() {
                            break;
                        }
                        match chunk.iter().position(|b| *b == b'\n') {
                            Some(i) => {
                                input.consume(i + 1);
                                break;
                            }
                            None => {
                                let len = chunk.len();
                                input.consume(len);
                            }
                        }
                    }
                    return Ok(Some(reject(*line, "", format!("the line is longer than {MAX_LINE_BYTES} bytes"))));
                }
                if *line == 1 && buf.starts_with(BYTE_ORDER_MARK) {
                    // Written by some Windows tools at the start of a UTF-8 file, as in CSV files.
                    buf.drain(..BYTE_ORDER_MARK.len());
                }
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Ok(Some(json_record(*line, buf, self.today)));
            },
            Inner::Csv { input, columns, record, ended } => {
                if *ended {
                    return Ok(None);
                }
                let line = input.position().line();
                input.get_mut().read_since_record = 0;
                match input.read_byte_record(record) {
                    Ok(false) => Ok(None),
                    Ok(true) => {
                        let line = record.position().map_or(line, |p| p.line());
                        Ok(Some(csv_record(line, columns, record, self.today)))
                    }
                    Err(e) if is_too_long(&e) => {
                        *ended = true;
                        Ok(Some(reject(line, "", RecordTooLong.to_string())))
                    }
                    Err(e) => {
                        let line = e.position().map_or(line, |p| p.line());
                        match e.kind() {
                            csv::ErrorKind::Io(_) => Err(FileError::Io(std::io::Error::other(e.to_string()))),
                            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                                Ok(Some(reject(line, "", format!("the row has {len} cells; the header row has {expected_len}"))))
                            }
                            _ => Ok(Some(reject(line, "", format!("the row cannot be read: {e}")))),
                        }
                    }
                }
            }
        }
    }
}

/// The columns a CSV header names; an unknown or repeated one is an error.
fn csv_columns(header: &csv::ByteRecord) -> Result<Vec<Column>, FileError> {
    let mut seen = std::collections::BTreeSet::new();
    let mut columns = Vec::with_capacity(header.len());
    for raw in header.iter() {
        let name = std::str::from_utf8(raw).map_err(|_| FileError::Header("the CSV header row is not UTF-8".into()))?.trim();
        let name = name.strip_prefix('\u{feff}').unwrap_or(name);
        let column = if name == EXTERNAL_ID {
            Column::External
        } else {
            let (domain, field) = name.split_once('.').and_then(|(d, f)| Some((domain_named(d)?, f))).ok_or_else(|| {
                FileError::Header(format!("unknown column {name:?}: columns are externalId and domain.field, e.g. contact.email"))
            })?;
            let field = domain.fields().iter().find(|f| **f == field).ok_or_else(|| {
                FileError::Header(format!("unknown column {name:?}: the fields of {domain} are {}", domain.fields().join(", ")))
            })?;
            Column::Field(domain, field)
        };
        if !seen.insert(name.to_owned()) {
            return Err(FileError::Header(format!("the column {name:?} is given twice")));
        }
        columns.push(column);
    }
    Ok(columns)
}

fn csv_record(line: u64, columns: &[Column], record: &csv::ByteRecord, today: Date) -> Item {
    let mut external = None;
    let mut domains: BTreeMap<DataDomain, BTreeMap<&str, &str>> = BTreeMap::new();
    for (column, raw) in columns.iter().zip(record.iter()) {
        let Ok(value) = std::str::from_utf8(raw) else {
            let name = match column {
                Column::External => EXTERNAL_ID.to_owned(),
                Column::Field(d, f) => format!("{d}.{f}"),
            };
            return reject(line, name, "is not valid UTF-8");
        };
        match column {
            Column::External => external = Some(value).filter(|v| !v.is_empty()),
            Column::Field(domain, field) => {
                let fields = domains.entry(*domain).or_default();
                if !value.is_empty() {
                    fields.insert(field, value);
                }
            }
        }
    }
    domains.retain(|_, fields| !fields.is_empty());
    customer_from(line, external, &domains, today)
}

fn json_record(line: u64, bytes: &[u8], today: Date) -> Item {
    let value = match custodian_domain::json::strict_value(bytes) {
        Ok(v) => v,
        Err(e) => {
            let field = if e.path == "." { String::new() } else { e.path.clone() };
            return reject(line, field, e.describe());
        }
    };
    let Value::Object(record) = value else {
        return reject(line, "", "a record is a JSON object");
    };
    let mut external = None;
    let mut domains: BTreeMap<DataDomain, BTreeMap<&str, &str>> = BTreeMap::new();
    for (key, v) in &record {
        if key == EXTERNAL_ID {
            match v {
                Value::String(s) => external = Some(s.as_str()),
                Value::Null => {}
                _ => return reject(line, EXTERNAL_ID, "must be a string"),
            }
            continue;
        }
        let Some(domain) = domain_named(key) else {
            return reject(
                line,
                key.as_str(),
                "is not a field of a customer record: expected externalId, contact, address, master or payment",
            );
        };
        let fields = match v {
            Value::Null => continue,
            Value::Object(fields) => fields,
            _ => return reject(line, key.as_str(), "must be an object"),
        };
        let entry = domains.entry(domain).or_default();
        for (name, v) in fields {
            let Some(field) = domain.fields().iter().find(|f| **f == name) else {
                return reject(
                    line,
                    format!("{domain}.{name}"),
                    format!("is not a field of {domain}: expected {}", domain.fields().join(", ")),
                );
            };
            match v {
                Value::String(s) => {
                    entry.insert(field, s.as_str());
                }
                Value::Null => {}
                _ => return reject(line, format!("{domain}.{name}"), "must be a string"),
            }
        }
    }
    customer_from(line, external, &domains, today)
}

/// Writes customers in either format (the inverse of [`RecordReader`]: reading what this writes
/// gives the same customers).
pub struct RecordWriter<W: Write> {
    inner: Out<W>,
}

enum Out<W: Write> {
    Json(W),
    Csv(Box<csv::Writer<W>>),
}

/// Every CSV column, in the order an export writes them.
pub fn csv_header() -> Vec<String> {
    let mut header = vec![EXTERNAL_ID.to_owned()];
    for d in DataDomain::ALL {
        header.extend(d.fields().iter().map(|f| format!("{d}.{f}")));
    }
    header
}

impl<W: Write> RecordWriter<W> {
    pub fn new(output: W, format: Format) -> std::io::Result<Self> {
        let inner = match format {
            Format::JsonLines => Out::Json(output),
            Format::Csv => {
                let mut w = csv::Writer::from_writer(output);
                w.write_record(csv_header()).map_err(std::io::Error::other)?;
                Out::Csv(Box::new(w))
            }
        };
        Ok(RecordWriter { inner })
    }

    pub fn write(&mut self, c: &ExportedCustomer) -> std::io::Result<()> {
        match &mut self.inner {
            Out::Json(w) => {
                let mut record = Map::new();
                if let Some(e) = &c.external_id {
                    record.insert(EXTERNAL_ID.into(), e.as_str().into());
                }
                for d in &c.data {
                    record.insert(d.domain().as_str().into(), d.to_json());
                }
                serde_json::to_writer(&mut *w, &Value::Object(record))?;
                w.write_all(b"\n")
            }
            Out::Csv(w) => {
                let mut row: Vec<String> = vec![c.external_id.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default()];
                for domain in DataDomain::ALL {
                    let json = c.data.iter().find(|d| d.domain() == domain).map(DomainData::to_json);
                    for f in domain.fields() {
                        let cell = json.as_ref().and_then(|j| j.get(*f)).and_then(Value::as_str).unwrap_or_default();
                        row.push(cell.to_owned());
                    }
                }
                w.write_record(&row).map_err(std::io::Error::other)
            }
        }
    }

    /// Flushes and hands back the output.
    pub fn finish(self) -> std::io::Result<W> {
        match self.inner {
            Out::Json(mut w) => {
                w.flush()?;
                Ok(w)
            }
            Out::Csv(w) => w.into_inner().map_err(|e| std::io::Error::other(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        time::macros::date!(2026 - 11 - 29)
    }

    fn read_all(input: &str, format: Format) -> Vec<Item> {
        let mut r = RecordReader::new(input.as_bytes(), format, today()).unwrap();
        std::iter::from_fn(|| r.next_item().unwrap()).collect()
    }

    fn rejection(item: &Item) -> (u64, &str, &str) {
        match item {
            Item::Rejected(r) => (r.line, r.field.as_str(), r.reason.as_str()),
            Item::Customer { line, .. } => panic!("line {line} was accepted"),
        }
    }

    #[test]
    fn a_line_longer_than_the_limit_is_rejected_unread_and_the_next_line_is_read() {
        let long = format!("{{\"externalId\":\"{}\"}}", "x".repeat(MAX_LINE_BYTES));
        let input = format!("{long}\n{{\"externalId\":\"M-2\"}}\n");
        let items = read_all(&input, Format::JsonLines);
        assert_eq!(items.len(), 2);
        let (line, _, reason) = rejection(&items[0]);
        assert_eq!(line, 1);
        assert!(reason.contains("longer than"), "{reason}");
        assert!(
            matches!(&items[1], Item::Customer { line: 2, customer } if customer.external_id.as_ref().unwrap().as_str() == "M-2")
        );
    }

    #[test]
    fn nul_characters_wrong_types_and_bad_external_ids_are_rejected_with_the_field() {
        let input = "{\"contact\":{\"email\":\"a\\u0000@example.com\"}}\n{\"contact\":{\"email\":42}}\n{\"externalId\":\"\"}\n{\"externalId\":\"a\\u202eb\"}\n";
        let items = read_all(input, Format::JsonLines);
        assert_eq!(rejection(&items[0]).1, "contact.email");
        assert_eq!(rejection(&items[1]), (2, "contact.email", "must be a string"));
        assert_eq!(rejection(&items[2]), (3, "externalId", "must not be empty"));
        assert_eq!(rejection(&items[3]).1, "externalId");
    }

    #[test]
    fn a_byte_order_mark_at_the_start_of_a_json_lines_file_is_skipped_and_elsewhere_rejected() {
        let input = "\u{feff}{\"externalId\":\"M-1\"}\n\u{feff}{\"externalId\":\"M-2\"}\n";
        let items = read_all(input, Format::JsonLines);
        assert!(
            matches!(&items[0], Item::Customer { line: 1, customer } if customer.external_id.as_ref().unwrap().as_str() == "M-1"),
            "{:?}",
            items[0]
        );
        let (line, field, reason) = rejection(&items[1]);
        assert_eq!((line, field), (2, ""));
        assert!(reason.contains("not valid JSON"), "{reason}");
        // A file that is only a byte order mark (and blank lines) has no records.
        assert!(read_all("\u{feff}\n\n", Format::JsonLines).is_empty());
    }

    #[test]
    fn a_csv_record_longer_than_the_limit_is_rejected_and_ends_the_reading() {
        // An unclosed quote on line 3: the rest of the file (4 MiB here) would be one record.
        let mut input = String::from("externalId,contact.email\nM-1,ada@example.com\n\"M-2,");
        input.push_str(&format!("{}\n", "x".repeat(1023)).repeat(4096));
        let items = read_all(&input, Format::Csv);
        assert_eq!(items.len(), 2, "the first record, then the long one; nothing after it");
        assert!(matches!(&items[0], Item::Customer { line: 2, .. }), "{:?}", items[0]);
        let (line, field, reason) = rejection(&items[1]);
        assert_eq!((line, field), (3, ""));
        assert!(reason.contains("longer than 1048576 bytes") && reason.contains("not read"), "{reason}");
        // A header row that long is refused before anything is read.
        let header = format!("\"{}\n", "x".repeat(2 * MAX_LINE_BYTES));
        assert!(RecordReader::new(header.as_bytes(), Format::Csv, today()).is_err());
        // A record just under the limit is read (and rejected only for its content).
        let long_cell = format!("externalId,contact.email\nM-3,\"{}\"\n", "y".repeat(MAX_LINE_BYTES - 100));
        let items = read_all(&long_cell, Format::Csv);
        assert_eq!(rejection(&items[0]).1, "contact.email");
    }

    #[test]
    fn a_csv_header_may_start_with_a_byte_order_mark_and_name_any_subset_of_columns() {
        let input = "\u{feff}contact.email,externalId\nada@example.com,M-1\n,M-2\n";
        let items = read_all(input, Format::Csv);
        match &items[..] {
            [Item::Customer { line: 2, customer: a }, Item::Customer { line: 3, customer: b }] => {
                assert_eq!(a.data.len(), 1);
                assert!(b.data.is_empty(), "a domain whose cells are all empty is not imported");
            }
            other => panic!("{other:?}"),
        }
        assert!(RecordReader::new("externalId,externalId\n".as_bytes(), Format::Csv, today()).is_err());
    }
}
