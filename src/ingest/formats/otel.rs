//! OpenTelemetry log records in OTLP JSON -> records, several per line.
//!
//! Input: one line holding one `ExportLogsServiceRequest` in the OTLP JSON
//! encoding, as the collector's `file` exporter writes it and OTLP/HTTP JSON
//! carries it: `{"resourceLogs":[{"resource":{"attributes":[...]},
//! "scopeLogs":[{"scope":{"name":..},"logRecords":[...]}]}]}`. One line is one
//! batch and holds any number of log records. Output: one [`Record`] per log
//! record, handed out one after another ([`ChunkSink::line_of_records`] counts
//! the line once and each record as an event).
//!
//! What a record gives, by the OTLP spec (opentelemetry.io/docs/specs/otlp,
//! "JSON Protobuf Encoding") and the log data model:
//! - service: the resource attribute `service.name` (a record attribute of
//!   that name wins); logger: the scope's name;
//! - time: `timeUnixNano`, else `observedTimeUnixNano` (a string or a number
//!   of nanoseconds; 0 means unset);
//! - level: `severityText`, else `severityNumber` (1-4 trace, 5-8 debug, 9-12
//!   info, 13-16 warn, 17-20 error, 21-24 fatal);
//! - message: `body.stringValue`; a `kvlistValue` body is read like attributes;
//! - ids: `traceId`/`spanId`, hex as the spec requires; exporters that wrote
//!   the protobuf JSON default, base64, are decoded to hex;
//! - attributes by the semantic conventions, through the shared name table
//!   ([`fields::classify`]): `http.request.method`, `url.path`, `url.full`,
//!   `http.route`, `http.response.status_code` and the older `http.method`,
//!   `http.target`, `http.status_code`; `http.server.request.duration` in
//!   seconds as the conventions define it; `exception.*` marks a failure.
//!
//! snake_case member names (`resource_logs`, `time_unix_nano`), which protobuf
//! JSON parsers also accept, and the pre-1.0 `instrumentationLibraryLogs` are
//! read too. A line that is not such a batch is unparsed, with the reason.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::Deserialize;

use super::fields::{self, Field};
use super::json::scan_message;
use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::chunk::ChunkSink;
use crate::ingest::event::{IdKind, Level, Record};

/// Is `line` an OTLP JSON logs batch? Yes when its first member is `resourceLogs`.
pub fn sniff(line: &str) -> Sniff {
    let t = line.trim_start();
    let Some(rest) = t.strip_prefix('{') else {
        return Sniff::No;
    };
    let rest = rest.trim_start();
    if rest.starts_with("\"resourceLogs\"") || rest.starts_with("\"resource_logs\"") {
        Sniff::Yes
    } else {
        Sniff::No
    }
}

/// The OTLP JSON logs parser.
#[derive(Debug, Default)]
pub struct OtelFormat;

impl LineFormat for OtelFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Otel
    }

    /// The first record of the line only; [`Self::parse_chunk`] reads them all.
    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        let mut first = None;
        match records(line, &mut |r| {
            if first.is_none() {
                first = Some(r.clone());
            }
        }) {
            Ok(()) => {
                if let Some(r) = first {
                    *out = r;
                }
                Parsed::Entry
            }
            Err(_) => Parsed::Unparsed,
        }
    }

    fn parse_chunk(&self, chunk: &[u8], sink: &mut ChunkSink) {
        let mut start = 0;
        while start < chunk.len() {
            let end = memchr::memchr(b'\n', &chunk[start..]).map_or(chunk.len(), |i| start + i);
            sink.line_of_records(&chunk[start..end], &mut records);
            start = end + 1;
        }
    }
}

/// Reads the batch on `line` and hands each of its log records to `emit`.
/// Nothing is emitted for a line that is not a batch.
pub fn records<'a>(
    line: &'a str,
    emit: &mut dyn FnMut(&mut Record<'a>),
) -> Result<(), &'static str> {
    let batch: Batch<'a> = match serde_json::from_str(line) {
        Ok(b) => b,
        Err(e) if e.is_eof() => return Err("truncated JSON"),
        Err(e) if e.is_syntax() => return Err("not JSON"),
        Err(_) => return Err("not an OTLP JSON logs batch"),
    };
    let Some(resources) = batch.resource_logs else {
        return Err("not an OTLP JSON logs batch (no resourceLogs)");
    };
    for rl in resources {
        let service = rl
            .resource
            .iter()
            .flat_map(|r| &r.attributes)
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| Some(kv.value.as_ref()?.string.as_ref()?.0.clone()));
        for sl in rl.scope_logs {
            let logger = sl
                .scope
                .and_then(|s| s.name)
                .map(|n| n.0)
                .filter(|n| !n.is_empty());
            for lr in sl.log_records {
                let mut rec = Record::default();
                read_record(lr, &mut rec);
                if rec.service.is_none() {
                    rec.service.clone_from(&service);
                }
                if rec.logger.is_none() {
                    rec.logger.clone_from(&logger);
                }
                scan_message(line, &mut rec);
                emit(&mut rec);
            }
        }
    }
    Ok(())
}

/// Fills `out` from one log record.
fn read_record<'a>(lr: LogRecord<'a>, out: &mut Record<'a>) {
    let time = lr
        .time
        .and_then(Num::into_i64)
        .filter(|&t| t > 0)
        .or_else(|| lr.observed_time.and_then(Num::into_i64).filter(|&t| t > 0));
    out.time_ns = time;
    if let Some(text) = &lr.severity_text {
        out.level = Level::parse(&text.0);
    }
    if out.level == Level::Unknown {
        out.level = lr.severity_number.map_or(Level::Unknown, severity_number);
    }
    for (value, kind, name) in [
        (lr.trace_id, IdKind::Trace, "traceId"),
        (lr.span_id, IdKind::Span, "spanId"),
    ] {
        if let Some(id) = value.and_then(|v| id_hex(v.0)) {
            out.put_id(kind, id, name);
        }
    }
    if let Some(body) = lr.body {
        match (body.string, body.kvlist) {
            (Some(s), _) => out.message = s.0,
            (None, Some(kv)) => attributes(kv.values, out),
            (None, None) => {
                if let Some(text) = scalar_text(body.int, body.double, body.boolean) {
                    out.message = text;
                }
            }
        }
    }
    attributes(lr.attributes, out);
}

/// Applies attributes through the shared name table.
fn attributes<'a>(kvs: Vec<KeyValue<'a>>, out: &mut Record<'a>) {
    for kv in kvs {
        let Some(field) = fields::classify(&kv.key) else {
            continue;
        };
        let Some(v) = kv.value else { continue };
        let text = match v.string {
            Some(s) => s.0,
            None => match scalar_text(v.int, v.double, v.boolean) {
                Some(t) => t,
                None => continue,
            },
        };
        // The key borrows from the line unless it had escapes; then the field
        // keeps no name (only `inspect` uses it).
        let key: &'a str = match kv.key {
            Cow::Borrowed(k) => k,
            Cow::Owned(_) => "",
        };
        if let (Field::Id(kind), "") = (field, key) {
            out.put_id(kind, text, "attribute");
        } else {
            fields::apply(field, key, text, out);
        }
    }
}

/// The text of an integer, double or boolean `AnyValue`.
fn scalar_text<'a>(
    int: Option<Num<'a>>,
    double: Option<Num<'a>>,
    b: Option<bool>,
) -> Option<Cow<'a, str>> {
    match (int.or(double), b) {
        (Some(Num::Text(t)), _) => Some(t),
        (Some(Num::Int(i)), _) => Some(Cow::Owned(i.to_string())),
        (Some(Num::Float(f)), _) => Some(Cow::Owned(f.to_string())),
        (None, Some(b)) => Some(Cow::Borrowed(if b { "true" } else { "false" })),
        (None, None) => None,
    }
}

/// Level of an OTel `SeverityNumber` (1-24, or its enum name).
fn severity_number(n: Num<'_>) -> Level {
    let n = match n {
        Num::Int(i) => i,
        Num::Float(f) => f as i64,
        Num::Text(t) => {
            // `SEVERITY_NUMBER_WARN2`
            let name = t.trim_start_matches("SEVERITY_NUMBER_");
            let word = name.trim_end_matches(|c: char| c.is_ascii_digit());
            return Level::parse(word);
        }
    };
    match n {
        1..=4 => Level::Trace,
        5..=8 => Level::Debug,
        9..=12 => Level::Info,
        13..=16 => Level::Warn,
        17..=20 => Level::Error,
        21..=24 => Level::Fatal,
        _ => Level::Unknown,
    }
}

/// A trace or span id as hex: as written when it is hex (the spec), decoded
/// when it is the base64 of 16 or 8 bytes (the protobuf JSON default some
/// exporters wrote). Empty ids are none.
fn id_hex(id: Cow<'_, str>) -> Option<Cow<'_, str>> {
    if id.is_empty() {
        return None;
    }
    let hex = id.bytes().all(|b| b.is_ascii_hexdigit());
    if hex && matches!(id.len(), 16 | 32) {
        // Hex is case-insensitive: lower case, as other logs write the same ids.
        return Some(if id.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(id.to_ascii_lowercase())
        } else {
            id
        });
    }
    match base64_bytes(&id) {
        Some(bytes) if matches!(bytes.len(), 8 | 16) => Some(Cow::Owned(
            bytes.iter().map(|b| format!("{b:02x}")).collect(),
        )),
        _ => Some(id),
    }
}

/// Standard or URL-safe base64, padded or not.
fn base64_bytes(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = acc << 6 | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

// The OTLP JSON model: only the members logtrace reads; the rest is skipped.

#[derive(Deserialize)]
struct Batch<'a> {
    #[serde(borrow, rename = "resourceLogs", alias = "resource_logs")]
    resource_logs: Option<Vec<ResourceLogs<'a>>>,
}

#[derive(Deserialize)]
struct ResourceLogs<'a> {
    #[serde(borrow, default)]
    resource: Option<Resource<'a>>,
    #[serde(
        borrow,
        default,
        rename = "scopeLogs",
        alias = "scope_logs",
        alias = "instrumentationLibraryLogs",
        alias = "instrumentation_library_logs"
    )]
    scope_logs: Vec<ScopeLogs<'a>>,
}

#[derive(Deserialize)]
struct Resource<'a> {
    #[serde(borrow, default)]
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize)]
struct ScopeLogs<'a> {
    #[serde(
        borrow,
        default,
        alias = "instrumentationLibrary",
        alias = "instrumentation_library"
    )]
    scope: Option<Scope<'a>>,
    #[serde(borrow, default, rename = "logRecords", alias = "log_records")]
    log_records: Vec<LogRecord<'a>>,
}

#[derive(Deserialize)]
struct Scope<'a> {
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct LogRecord<'a> {
    #[serde(borrow, default, rename = "timeUnixNano", alias = "time_unix_nano")]
    time: Option<Num<'a>>,
    #[serde(
        borrow,
        default,
        rename = "observedTimeUnixNano",
        alias = "observed_time_unix_nano"
    )]
    observed_time: Option<Num<'a>>,
    #[serde(borrow, default, rename = "severityNumber", alias = "severity_number")]
    severity_number: Option<Num<'a>>,
    #[serde(borrow, default, rename = "severityText", alias = "severity_text")]
    severity_text: Option<Text<'a>>,
    #[serde(borrow, default)]
    body: Option<AnyValue<'a>>,
    #[serde(borrow, default)]
    attributes: Vec<KeyValue<'a>>,
    #[serde(borrow, default, rename = "traceId", alias = "trace_id")]
    trace_id: Option<Text<'a>>,
    #[serde(borrow, default, rename = "spanId", alias = "span_id")]
    span_id: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct KeyValue<'a> {
    #[serde(borrow)]
    key: Cow<'a, str>,
    #[serde(borrow, default)]
    value: Option<AnyValue<'a>>,
}

#[derive(Deserialize)]
struct AnyValue<'a> {
    #[serde(borrow, default, rename = "stringValue", alias = "string_value")]
    string: Option<Text<'a>>,
    #[serde(borrow, default, rename = "intValue", alias = "int_value")]
    int: Option<Num<'a>>,
    #[serde(borrow, default, rename = "doubleValue", alias = "double_value")]
    double: Option<Num<'a>>,
    #[serde(default, rename = "boolValue", alias = "bool_value")]
    boolean: Option<bool>,
    #[serde(borrow, default, rename = "kvlistValue", alias = "kvlist_value")]
    kvlist: Option<KvList<'a>>,
    #[serde(default, rename = "arrayValue", alias = "array_value")]
    _array: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct KvList<'a> {
    #[serde(borrow, default)]
    values: Vec<KeyValue<'a>>,
}

/// A JSON string, borrowed from the line unless it has escapes (serde does
/// not borrow a `Cow` inside an `Option`).
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// A protobuf JSON number: 64-bit integers are strings (`"1700000000000000000"`),
/// but writers also use plain numbers; enums may be names.
#[derive(Clone, Debug)]
enum Num<'a> {
    Int(i64),
    Float(f64),
    Text(Cow<'a, str>),
}

impl<'a> Num<'a> {
    fn into_i64(self) -> Option<i64> {
        match self {
            Num::Int(i) => Some(i),
            Num::Float(f) => (f.is_finite() && f.abs() < 9.2e18).then_some(f as i64),
            Num::Text(t) => t.trim().parse().ok(),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Num<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Num<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num<'a>, E> {
                Ok(Num::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num<'a>, E> {
                Ok(i64::try_from(v).map_or(Num::Float(v as f64), Num::Int))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num<'a>, E> {
                Ok(Num::Float(v))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Num<'a>, E> {
                Ok(Num::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Num<'a>, E> {
                Ok(Num::Text(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first record of lnav's OTel collector sample (a collector `file` exporter line).
    const LNAV: &str = r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"payment-service"}},{"key":"host.name","value":{"stringValue":"prod-01"}}]},"scopeLogs":[{"scope":{"name":"com.example.payment"},"logRecords":[{"timeUnixNano":"1700000000000000000","severityNumber":9,"severityText":"INFO","body":{"stringValue":"Processing payment request"},"traceId":"5b8aa5a2d2c872e8321cf37308d69df2","spanId":"051581bf3cb55c13"},{"timeUnixNano":"1700000001000000000","severityNumber":13,"severityText":"WARN","body":{"stringValue":"Payment gateway slow response"},"traceId":"5b8aa5a2d2c872e8321cf37308d69df2","spanId":"051581bf3cb55c14"}]}]}]}"#;

    fn all(line: &str) -> Result<Vec<Record<'_>>, &'static str> {
        let mut v = Vec::new();
        records(line, &mut |r| v.push(r.clone()))?;
        Ok(v)
    }

    #[test]
    fn a_batch_gives_every_record_with_its_resource() {
        let recs = all(LNAV).unwrap();
        assert_eq!(recs.len(), 2);
        let r = &recs[0];
        assert_eq!(r.service.as_deref(), Some("payment-service"));
        assert_eq!(r.logger.as_deref(), Some("com.example.payment"));
        assert_eq!(r.time_ns, Some(1_700_000_000_000_000_000));
        assert_eq!(r.level, Level::Info);
        assert_eq!(r.message, "Processing payment request");
        assert_eq!(
            r.trace_id.as_deref(),
            Some("5b8aa5a2d2c872e8321cf37308d69df2")
        );
        assert_eq!(r.span_id.as_deref(), Some("051581bf3cb55c13"));
        assert_eq!(r.id_fields, vec!["traceId", "spanId"]);
        assert_eq!(recs[1].level, Level::Warn);
        assert!(
            matches!(r.message, Cow::Borrowed(_)),
            "borrowed from the line"
        );
    }

    #[test]
    fn http_semantic_conventions_new_and_old() {
        let line = r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},"scopeLogs":[{"logRecords":[
            {"timeUnixNano":1700000000000000000,"severityNumber":17,"body":{"stringValue":"request failed"},"attributes":[
              {"key":"http.request.method","value":{"stringValue":"POST"}},
              {"key":"url.path","value":{"stringValue":"/api/orders/42"}},
              {"key":"http.route","value":{"stringValue":"/api/orders/{id}"}},
              {"key":"http.response.status_code","value":{"intValue":"503"}},
              {"key":"http.server.request.duration","value":{"doubleValue":0.1137}}]},
            {"observedTimeUnixNano":"1700000000500000000","severityText":"Information","attributes":[
              {"key":"http.method","value":{"stringValue":"GET"}},
              {"key":"http.target","value":{"stringValue":"/health"}},
              {"key":"http.status_code","value":{"intValue":200}}]}]}]}]}"#
            .replace('\n', "");
        let recs = all(&line).unwrap();
        let r = &recs[0];
        assert_eq!(r.level, Level::Error);
        assert_eq!(r.method.as_deref(), Some("POST"));
        assert_eq!(r.path.as_deref(), Some("/api/orders/42"));
        assert_eq!(r.route.as_deref(), Some("/api/orders/{id}"));
        assert_eq!(r.status, Some(503));
        assert_eq!(r.duration_ns, Some(113_700_000));
        let src = r.duration_source.unwrap();
        assert_eq!(src.field, "http.server.request.duration");
        assert_eq!(src.basis, crate::ingest::event::UnitBasis::Format);
        let r = &recs[1];
        assert_eq!(r.time_ns, Some(1_700_000_000_500_000_000), "observed time");
        assert_eq!(r.level, Level::Info);
        assert_eq!((r.method.as_deref(), r.status), (Some("GET"), Some(200)));
        assert_eq!(r.service.as_deref(), Some("checkout"));
    }

    #[test]
    fn base64_ids_snake_case_and_kvlist_bodies() {
        // traceId 5b8aa5a2d2c872e8321cf37308d69df2 and spanId 051581bf3cb55c13 in base64.
        let line = r#"{"resource_logs":[{"scope_logs":[{"log_records":[{"time_unix_nano":"1700000000000000000","severity_number":"SEVERITY_NUMBER_WARN","trace_id":"W4qlotLIcugyHPNzCNad8g==","span_id":"BRWBvzy1XBM=","body":{"kvlistValue":{"values":[{"key":"msg","value":{"stringValue":"slow"}},{"key":"request_id","value":{"stringValue":"r-1"}}]}}}]}]}]}"#;
        let r = &all(line).unwrap()[0];
        assert_eq!(r.level, Level::Warn);
        assert_eq!(
            r.trace_id.as_deref(),
            Some("5b8aa5a2d2c872e8321cf37308d69df2")
        );
        assert_eq!(r.span_id.as_deref(), Some("051581bf3cb55c13"));
        assert_eq!(r.message, "slow");
        assert_eq!(r.request_id.as_deref(), Some("r-1"));
    }

    #[test]
    fn lines_that_are_not_batches_say_why() {
        assert_eq!(all(&LNAV[..200]).unwrap_err(), "truncated JSON");
        assert_eq!(all("not json").unwrap_err(), "not JSON");
        assert!(all(r#"{"level":"info"}"#)
            .unwrap_err()
            .contains("no resourceLogs"));
        assert!(all(r#"{"resourceLogs":{}}"#).unwrap_err().contains("OTLP"));
        assert_eq!(all(r#"{"resourceLogs":[]}"#).unwrap().len(), 0);
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(LNAV), Sniff::Yes);
        assert_eq!(sniff(r#" { "resource_logs": []}"#), Sniff::Yes);
        assert_eq!(sniff(r#"{"resourceSpans":[]}"#), Sniff::No);
        assert_eq!(sniff(r#"{"msg":"resourceLogs"}"#), Sniff::No);
    }

    #[test]
    fn severity_numbers() {
        for (n, l) in [
            (1, Level::Trace),
            (8, Level::Debug),
            (9, Level::Info),
            (16, Level::Warn),
            (17, Level::Error),
            (24, Level::Fatal),
            (0, Level::Unknown),
        ] {
            assert_eq!(severity_number(Num::Int(n)), l, "{n}");
        }
    }
}
