//! JSON lines -> records.
//!
//! Input: one line holding one JSON object (`{"ts":"..","level":"info","msg":".."}`).
//! Output: a [`Record`] with what the keys [`fields::classify`] knows say (time,
//! level, message, service, correlation ids, duration, HTTP fields, logger, error),
//! then whatever [`message::scan`] finds in the message. A line that is not a
//! complete JSON object (truncated, junk, an array) is [`Parsed::Unparsed`].
//!
//! No tree is built. [`cursor`] is the one JSON scanner (the container reader
//! reads Docker envelopes with it too); [`walk`] reads the object into the
//! record, [`scan`] looks into its message, [`unescape`] undoes escapes.
//!
//! [`fields::classify`]: super::fields::classify
//! [`message::scan`]: super::message::scan

pub(crate) mod cursor;
mod scan;
pub(crate) mod unescape;
mod walk;

use std::sync::Arc;

use self::cursor::Cursor;
use self::walk::{Path, Walk};
use super::fields::FieldMap;
use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::Record;

pub(crate) use self::scan::scan_message;
pub(crate) use self::unescape::unescape;

/// Is `line` a JSON line? Yes for a complete object, Maybe for what starts like
/// one but does not parse (a truncated first line), No otherwise.
pub fn sniff(line: &str) -> Sniff {
    if !line.trim_start().starts_with('{') {
        return Sniff::No;
    }
    let mut c = Cursor::new(line.as_bytes());
    c.ws();
    if c.skip(0).is_some() && c.at_end() {
        Sniff::Yes
    } else {
        Sniff::Maybe
    }
}

/// The JSON lines parser.
#[derive(Debug, Default)]
pub struct JsonFormat;

impl LineFormat for JsonFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Json
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        parse(line, None, out)
    }
}

/// The JSON lines parser for files whose field names the config maps
/// (`[[fields]]`): their top-level keys are looked up in the map first.
#[derive(Debug)]
pub struct MappedJson(pub Arc<FieldMap>);

impl LineFormat for MappedJson {
    fn kind(&self) -> FormatKind {
        FormatKind::Json
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        parse(line, Some(&self.0), out)
    }
}

fn parse<'a>(line: &'a str, map: Option<&FieldMap>, out: &mut Record<'a>) -> Parsed {
    let mut c = Cursor::new(line.as_bytes());
    c.ws();
    if c.peek() != Some(b'{') {
        return Parsed::Unparsed;
    }
    if Walk::new(line, map)
        .object(&mut c, &Path::TOP, 0, out)
        .is_none()
        || !c.at_end()
    {
        // Fields read before the error must not leak into the next line.
        out.clear();
        return Parsed::Unparsed;
    }
    scan_message(line, out);
    Parsed::Entry
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::{IdKind, Level};
    use std::borrow::Cow;

    fn parse(line: &str) -> (Parsed, Record<'_>) {
        let mut r = Record::default();
        let p = JsonFormat.parse_line(line, &mut r);
        (p, r)
    }

    fn entry(line: &str) -> Record<'_> {
        let (p, r) = parse(line);
        assert_eq!(p, Parsed::Entry, "{line}");
        r
    }

    const T0: i64 = 1_700_000_000_000_000_000;

    #[test]
    fn scanner_reads_every_kind_of_value() {
        let r = entry(
            r#" { "n": -1.5e3, "t": true, "f": false, "z": null, "a": [1, [2, {"x": "]"}], "}"],
                "o": {"k": {"deep": "{"}}, "msg": "ok", "level": "warn" } "#,
        );
        assert_eq!(r.message, "ok");
        assert_eq!(r.level, Level::Warn);
        assert_eq!(entry("{}").message, "");
    }

    #[test]
    fn strings_are_borrowed_unless_escaped() {
        let r = entry(r#"{"msg":"plain","logger":"a\"b\u00e9\n\ud83d\ude00\/"}"#);
        assert!(matches!(r.message, Cow::Borrowed("plain")));
        assert!(matches!(r.logger, Some(Cow::Owned(_))));
        assert_eq!(r.logger.as_deref(), Some("a\"b\u{e9}\n\u{1F600}/"));
        // Non-ASCII text passes through untouched.
        assert_eq!(entry(r#"{"msg":"größe µs 日本"}"#).message, "größe µs 日本");
    }

    #[test]
    fn bad_json_is_unparsed_and_leaves_nothing_behind() {
        for line in [
            r#"{"ts":"2023-11-14T22:13:20Z","msg":"cut"#,
            r#"{"ts":"2023-11-14T22:13:20Z","msg":"x""#,
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{"a":tru}"#,
            r#"{"a":1} trailing"#,
            r#"{"a":{"b":[1,2}}"#,
            r#"{"a":"\"}"#,
            "[1,2,3]",
            "42",
            "\"str\"",
            "not json",
            "{",
            "",
        ] {
            let (p, r) = parse(line);
            assert_eq!(p, Parsed::Unparsed, "{line}");
            assert!(r.time_ns.is_none() && r.message.is_empty(), "{line}");
        }
        let deep = "[".repeat(10_000);
        assert_eq!(parse(&format!("{{\"a\":{deep}")).0, Parsed::Unparsed);
        let deep_ok = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        assert_eq!(parse(&deep_ok).0, Parsed::Entry);
    }

    #[test]
    fn times_as_strings_and_epochs() {
        for line in [
            r#"{"ts":"2023-11-14T22:13:20Z"}"#,
            r#"{"time":"2023-11-15T00:13:20+02:00"}"#,
            r#"{"@timestamp":"2023-11-14T22:13:20.000Z"}"#,
            r#"{"timestamp":1700000000}"#,
            r#"{"time":1700000000000}"#,
            r#"{"ts":1700000000000000}"#,
            r#"{"ts":"1700000000000000000"}"#,
            r#"{"t":{"$date":"2023-11-14T22:13:20.000+00:00"}}"#,
            r#"{"t":{"$date":{"$numberLong":"1700000000000"}}}"#,
            r#"{"instant":{"epochSecond":1700000000,"nanoOfSecond":0}}"#,
            r#"{"__REALTIME_TIMESTAMP":"1700000000000000"}"#,
        ] {
            assert_eq!(entry(line).time_ns, Some(T0), "{line}");
        }
        let r = entry(r#"{"ts":1716723772.6014807}"#);
        assert_eq!(r.time_ns.unwrap() / 1_000_000, 1_716_723_772_601);
        let r = entry(r#"{"instant":{"epochSecond":1663977609,"nanoOfSecond":484000000}}"#);
        assert_eq!(r.time_ns, Some(1_663_977_609_484_000_000));
        let r = entry(r#"{"ts":"2023-11-14 22:13:20"}"#);
        assert!(r.time_without_zone);
        assert_eq!(entry(r#"{"ts":"xxx"}"#).time_ns, None);
    }

    #[test]
    fn levels_by_name_number_and_path() {
        assert_eq!(entry(r#"{"level":"ERROR"}"#).level, Level::Error);
        assert_eq!(entry(r#"{"severity":"warning"}"#).level, Level::Warn);
        assert_eq!(entry(r#"{"log.level":"info"}"#).level, Level::Info);
        assert_eq!(entry(r#"{"log":{"level":"debug"}}"#).level, Level::Debug);
        assert_eq!(entry(r#"{"level":50}"#).level, Level::Error);
        assert_eq!(entry(r#"{"level":30}"#).level, Level::Info);
        assert_eq!(entry(r#"{"level":60}"#).level, Level::Fatal);
        assert_eq!(entry(r#"{"PRIORITY":"3"}"#).level, Level::Error);
        assert_eq!(entry(r#"{"PRIORITY":6}"#).level, Level::Info);
    }

    #[test]
    fn message_and_service() {
        assert_eq!(entry(r#"{"message":"hi"}"#).message, "hi");
        assert_eq!(entry(r#"{"fields":{"message":"yak"}}"#).message, "yak");
        for line in [
            r#"{"service":"pay"}"#,
            r#"{"service.name":"pay"}"#,
            r#"{"service":{"name":"pay","version":"1"}}"#,
            r#"{"svc":"pay"}"#,
            r#"{"app":"pay"}"#,
            r#"{"resource":{"service.name":"pay"}}"#,
        ] {
            assert_eq!(entry(line).service.as_deref(), Some("pay"), "{line}");
        }
    }

    #[test]
    fn correlation_ids_with_their_field_names() {
        for (line, kind, field) in [
            (r#"{"request_id":"r1"}"#, IdKind::Request, "request_id"),
            (r#"{"requestId":"r1"}"#, IdKind::Request, "requestId"),
            (r#"{"req_id":"r1"}"#, IdKind::Request, "req_id"),
            (r#"{"x_request_id":"r1"}"#, IdKind::Request, "x_request_id"),
            (
                r#"{"correlation_id":"r1"}"#,
                IdKind::Request,
                "correlation_id",
            ),
            (r#"{"trace_id":"r1"}"#, IdKind::Trace, "trace_id"),
            (r#"{"traceId":"r1"}"#, IdKind::Trace, "traceId"),
            (r#"{"TraceId":"r1"}"#, IdKind::Trace, "TraceId"),
            (r#"{"trace.id":"r1"}"#, IdKind::Trace, "trace.id"),
            (r#"{"trace":{"id":"r1"}}"#, IdKind::Trace, "trace.id"),
            (r#"{"span_id":"r1"}"#, IdKind::Span, "span_id"),
            (r#"{"SpanId":"r1"}"#, IdKind::Span, "SpanId"),
            (r#"{"span":{"id":"r1"}}"#, IdKind::Span, "span.id"),
            (
                r#"{"parent_span_id":"r1"}"#,
                IdKind::ParentSpan,
                "parent_span_id",
            ),
            (r#"{"parentId":"r1"}"#, IdKind::ParentSpan, "parentId"),
            (r#"{"mdc":{"traceId":"r1"}}"#, IdKind::Trace, "traceId"),
            (r#"{"req\u005fid":"r1"}"#, IdKind::Request, "request.id"),
        ] {
            let r = entry(line);
            assert_eq!(r.id(kind), Some("r1"), "{line}");
            assert_eq!(r.id_fields, vec![field], "{line}");
        }
        // Placeholders are no ids; the first real one wins.
        let r = entry(r#"{"trace_id":"00000000","traceId":"abc","trace.id":"def"}"#);
        assert_eq!(r.trace_id.as_deref(), Some("abc"));
    }

    #[test]
    fn durations_take_units_from_name_or_value() {
        let d = |line| entry(line).duration_ns;
        assert_eq!(d(r#"{"duration_ms":12.5}"#), Some(12_500_000));
        assert_eq!(d(r#"{"duration":120}"#), Some(120_000_000));
        assert_eq!(d(r#"{"duration":"1.5s"}"#), Some(1_500_000_000));
        assert_eq!(d(r#"{"elapsed":"250us"}"#), Some(250_000));
        assert_eq!(d(r#"{"latency":"2m"}"#), Some(120_000_000_000));
        assert_eq!(d(r#"{"took":7}"#), Some(7_000_000));
        assert_eq!(d(r#"{"response_time":"3ms"}"#), Some(3_000_000));
        assert_eq!(d(r#"{"duration":0.017557019}"#), Some(17_557_019));
        assert_eq!(d(r#"{"attr":{"durationMillis":120}}"#), Some(120_000_000));
        assert_eq!(d(r#"{"event":{"duration":1500}}"#), Some(1_500));
        assert_eq!(d(r#"{"duration":"soon"}"#), None);
    }

    #[test]
    fn http_fields_flat_and_nested() {
        let r = entry(r#"{"status":503,"method":"POST","path":"/api/x?y=1","route":"/api/:id"}"#);
        assert_eq!(r.status, Some(503));
        assert_eq!(r.method.as_deref(), Some("POST"));
        assert_eq!(r.path.as_deref(), Some("/api/x?y=1"));
        assert_eq!(r.route.as_deref(), Some("/api/:id"));
        let r = entry(
            r#"{"http":{"request":{"method":"GET"},"response":{"status_code":404}},"url":{"path":"/a"}}"#,
        );
        assert_eq!((r.method.as_deref(), r.status), (Some("GET"), Some(404)));
        assert_eq!(r.path.as_deref(), Some("/a"));
        let r = entry(r#"{"req":{"method":"PUT","url":"/b"},"res":{"statusCode":201}}"#);
        assert_eq!(r.method.as_deref(), Some("PUT"));
        assert_eq!(r.path.as_deref(), Some("/b"));
        assert_eq!(r.status, Some(201));
        assert_eq!(
            entry(r#"{"url":"http://h/c"}"#).path.as_deref(),
            Some("http://h/c")
        );
    }

    #[test]
    fn logger_and_errors() {
        let r = entry(r#"{"logger":"c.e.Foo","error":null}"#);
        assert_eq!(r.logger.as_deref(), Some("c.e.Foo"));
        assert!(!r.exception);
        assert!(entry(r#"{"error":"boom"}"#).exception);
        assert!(entry(r#"{"err":{"type":"Error","stack":"x"}}"#).exception);
        assert!(!entry(r#"{"err":{}}"#).exception);
        assert!(entry(r#"{"stack_trace":"java.lang.X\n\tat y"}"#).exception);
        assert!(!entry(r#"{"error":false}"#).exception);
    }

    #[test]
    fn unknown_objects_are_skipped_not_read() {
        // `payload.status` would be a status if `payload` were read.
        let r = entry(r#"{"payload":{"status":500,"msg":"inner"},"msg":"outer"}"#);
        assert_eq!(r.status, None);
        assert_eq!(r.message, "outer");
    }

    #[test]
    fn heroku_style_service_duration_is_not_a_service() {
        let r = entry(r#"{"service":"3ms"}"#);
        assert_eq!(r.service, None);
        assert_eq!(r.duration_ns, Some(3_000_000));
    }

    #[test]
    fn sniff_answers() {
        assert_eq!(sniff(r#"{"a":1}"#), Sniff::Yes);
        assert_eq!(sniff(r#"  {"a":[1,{"b":2}]}  "#), Sniff::Yes);
        assert_eq!(sniff(r#"{"a":1"#), Sniff::Maybe);
        assert_eq!(sniff("[1]"), Sniff::No);
        assert_eq!(sniff("level=info msg=x"), Sniff::No);
        assert_eq!(sniff(""), Sniff::No);
    }
}
