//! Rebuilt traces -> the files tracing tools read.
//!
//! Input: the trace stage's [`Traces`] with the events and symbols they point
//! into, and a [`Selection`] (which traces). Output: bytes in one of the
//! [`Format`]s, written to any `Write` by [`write`].
//!
//! The stage runs in three steps: [`select`] picks trace indexes, [`ids`]
//! gives each picked trace and span an id of the width the formats require
//! (the logged one when it fits, else a stable hash, with the original kept
//! as an attribute), and one exporter per format writes them. What every
//! format shares, the span attributes and log entries, is decided here once
//! ([`attributes`], [`logs`]) so that a span says the same thing in Jaeger,
//! Zipkin and OTLP.
//!
//! Guarantees: the output depends only on the input (traces in start order,
//! spans in the trace stage's order, services and keys sorted), never on the
//! thread count; every span's parent is in the same trace; span ids are unique
//! within a trace and trace ids unique within an export. Parents the trace
//! stage inferred from timing carry `logtrace.parent_inferred = true` and
//! `logtrace.parent_confidence`; a span that follows from a parent that had
//! already ended (an async hop) `logtrace.link = "follows_from"`, which each
//! format also says its own way where it has one (Jaeger's `FOLLOWS_FROM`,
//! an OTLP span link); a placeholder for a parent span id no line carries is
//! named [`crate::analyze::NOT_IN_LOGS`] (service and operation), keeps that
//! id, and carries `logtrace.placeholder = true`.

pub mod chrome;
pub mod folded;
pub mod ids;
pub mod jaeger;
pub mod otlp;
pub mod parquet;
pub mod select;
pub mod zipkin;

use std::borrow::Cow;
use std::io::{self, Write};

use crate::ingest::event::{flags, Event, Level, Symbols};
use crate::trace::{Link, Span, Trace, Traces};

pub use ids::TraceIds;
pub use select::{select, Selection};

/// The formats `logtrace export --to` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// Jaeger UI's JSON upload format (`data[].spans`, µs times).
    Jaeger,
    /// OTLP/JSON (`resourceSpans`, ns times as strings).
    Otlp,
    /// Zipkin v2 JSON (a list of spans, µs times).
    Zipkin,
    /// Chrome trace event format, for Perfetto and chrome://tracing.
    Chrome,
    /// Folded stacks weighted by self time (µs), for flame graph tools.
    Folded,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Jaeger,
        Format::Otlp,
        Format::Zipkin,
        Format::Chrome,
        Format::Folded,
    ];

    /// The name `--to` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jaeger => "jaeger",
            Format::Otlp => "otlp",
            Format::Zipkin => "zipkin",
            Format::Chrome => "chrome",
            Format::Folded => "folded",
        }
    }
}

/// The trace stage's output and what it points into.
#[derive(Clone, Copy)]
pub struct Input<'a> {
    pub traces: &'a Traces,
    pub events: &'a [Event],
    pub symbols: &'a Symbols,
}

/// The traces to write, with their ids resolved.
pub struct Export<'a> {
    pub input: Input<'a>,
    /// The chosen traces, in the trace stage's (start) order.
    pub traces: Vec<&'a Trace>,
    /// `ids[k]` are the ids of `traces[k]`.
    pub ids: Vec<TraceIds>,
}

impl<'a> Export<'a> {
    /// Resolves the ids of the traces at `chosen` (indexes into `input.traces.traces`).
    pub fn new(input: Input<'a>, chosen: &[usize]) -> Export<'a> {
        let traces: Vec<&Trace> = chosen
            .iter()
            .filter_map(|&i| input.traces.traces.get(i))
            .collect();
        let ids = ids::assign(&traces, input.events, input.symbols);
        Export { input, traces, ids }
    }

    /// A symbol's text; `unknown` for an absent one (a service without a name).
    pub fn name(&self, sym: crate::ingest::event::Sym) -> &'a str {
        if sym.is_none() {
            "unknown"
        } else {
            self.input.symbols.get(sym)
        }
    }

    /// The service a span is shown under: [`crate::analyze::NOT_IN_LOGS`]
    /// for a placeholder.
    pub fn service_of(&self, s: &Span) -> &'a str {
        if s.is_placeholder() {
            crate::analyze::NOT_IN_LOGS
        } else {
            self.name(s.service)
        }
    }

    /// A span's operation name: [`crate::analyze::NOT_IN_LOGS`] for a placeholder.
    pub fn operation_of(&self, s: &Span) -> &'a str {
        if s.is_placeholder() {
            crate::analyze::NOT_IN_LOGS
        } else {
            self.name(s.operation)
        }
    }

    /// Spans across all chosen traces.
    pub fn span_count(&self) -> usize {
        self.traces.iter().map(|t| t.spans.len()).sum()
    }
}

/// Writes `x` as `format` to `w`.
pub fn write(format: Format, x: &Export, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Jaeger => jaeger::write(x, w),
        Format::Otlp => otlp::write(x, w),
        Format::Zipkin => zipkin::write(x, w),
        Format::Chrome => chrome::write(x, w),
        Format::Folded => folded::write(x, w),
    }
}

/// `x` as `format`, in memory.
pub fn render(format: Format, x: &Export) -> Vec<u8> {
    let mut out = Vec::new();
    write(format, x, &mut out).expect("writing to memory does not fail");
    out
}

/// An attribute value, as the formats type them.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Value<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl Value<'_> {
    /// The value as text (Zipkin tags are strings).
    pub fn text(&self) -> String {
        match self {
            Value::Str(s) => s.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Int(n) => n.to_string(),
            Value::Float(x) => x.to_string(),
        }
    }
}

/// One span attribute (tag).
#[derive(Clone, Debug, PartialEq)]
pub struct Attr<'a> {
    pub key: &'static str,
    pub value: Value<'a>,
}

/// The attributes every format gives span `i` of the `k`-th chosen trace,
/// in a fixed order. The failure itself is not among them: each format has
/// its own way to say it (Jaeger's `error` tag, OTLP's status, Zipkin's tag).
pub fn attributes<'a>(x: &Export<'a>, k: usize, i: usize) -> Vec<Attr<'a>> {
    let (t, ids) = (x.traces[k], &x.ids[k]);
    let s = &t.spans[i];
    let mut out = Vec::new();
    let mut put = |key, value| out.push(Attr { key, value });
    if s.status != 0 {
        put("http.response.status_code", Value::Int(i64::from(s.status)));
    }
    if s.inferred_parent {
        put("logtrace.parent_inferred", Value::Bool(true));
        // Three decimals: the share of the evidence, not a measurement.
        let c = (f64::from(s.parent_confidence) * 1000.0).round() / 1000.0;
        put("logtrace.parent_confidence", Value::Float(c));
    }
    if s.link == Link::FollowsFrom && s.parent.is_some() {
        put("logtrace.link", Value::Str("follows_from".into()));
    }
    if s.is_placeholder() {
        put("logtrace.placeholder", Value::Bool(true));
    }
    if !s.timed {
        put("logtrace.duration_logged", Value::Bool(false));
    }
    if t.error_origin == Some(i as u32) {
        put("logtrace.error_origin", Value::Bool(true));
    }
    if t.critical_path.contains(&(i as u32)) {
        put("logtrace.critical_path", Value::Bool(true));
    }
    if i == t.root as usize && t.id.is_some() {
        put(
            "logtrace.trace",
            Value::Str(x.input.symbols.get(t.id).into()),
        );
    }
    if let Some(o) = ids.original {
        put(
            "logtrace.original_id",
            Value::Str(x.input.symbols.get(o).into()),
        );
    }
    if let Some(o) = ids.span_originals[i] {
        put(
            "logtrace.original_span_id",
            Value::Str(o.text(x.input.symbols)),
        );
    }
    out
}

/// A log entry worth showing on a span: a warning, an error or an exception.
#[derive(Clone, Debug, PartialEq)]
pub struct Log<'a> {
    pub time_ns: i64,
    pub level: &'static str,
    pub message: &'a str,
}

/// At most this many log entries per span: a retry loop must not bloat the file.
pub const LOGS_PER_SPAN: usize = 20;

/// The warnings and errors logged in a span, in time order (the first
/// [`LOGS_PER_SPAN`]). Other entries carry no message after ingest.
pub fn logs<'a>(x: &Export<'a>, s: &Span) -> Vec<Log<'a>> {
    s.events
        .iter()
        .filter_map(|&e| x.input.events.get(e as usize))
        .filter(|e| {
            e.time().is_some() && (e.level >= Level::Warn || e.flags & flags::EXCEPTION != 0)
        })
        .take(LOGS_PER_SPAN)
        .map(|e| Log {
            time_ns: e.time_ns,
            level: level_name(e),
            message: x.input.symbols.get(e.message),
        })
        .collect()
}

fn level_name(e: &Event) -> &'static str {
    match e.level {
        Level::Fatal => "fatal",
        Level::Error => "error",
        Level::Warn => "warn",
        _ if e.flags & flags::EXCEPTION != 0 => "error",
        _ => "info",
    }
}

/// UTC ns -> µs, rounded down (also before 1970).
pub fn micros(ns: i64) -> i64 {
    ns.div_euclid(1_000)
}

/// A span's duration in µs, rounded to nearest.
pub fn duration_micros(s: &Span) -> i64 {
    s.duration_ns().saturating_add(500) / 1_000
}

/// Writes the items of a JSON array, one per line, in order. Items are
/// serialized in parallel; the result does not depend on the thread count.
pub(crate) fn json_lines<T, F>(w: &mut dyn Write, items: &[T], f: F) -> io::Result<()>
where
    T: Sync,
    F: Fn(&T, &mut Vec<u8>) + Sync,
{
    use rayon::prelude::*;
    // Bounded batches keep memory flat on big exports.
    for batch in items.chunks(256) {
        let parts: Vec<Vec<u8>> = batch
            .par_iter()
            .map(|item| {
                let mut b = Vec::new();
                f(item, &mut b);
                b
            })
            .collect();
        for p in parts {
            w.write_all(&p)?;
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod testing {
    //! A small hand-built trace set the exporters' unit tests share.
    use super::*;
    use crate::ingest::event::{SpanId, Sym};
    use crate::trace::SpanIdx;

    pub const MS: i64 = 1_000_000;
    /// 2024-03-01T12:00:00Z
    pub const T0: i64 = 1_709_294_400_000_000_000;

    pub struct Fixture {
        pub traces: Traces,
        pub events: Vec<Event>,
        pub symbols: Symbols,
    }

    pub fn span(
        svc: Sym,
        op: Sym,
        start_ms: i64,
        end_ms: i64,
        parent: Option<SpanIdx>,
        depth: u16,
    ) -> Span {
        Span {
            service: svc,
            operation: op,
            span_id: SpanId::None,
            start_ns: T0 + start_ms * MS,
            end_ns: T0 + end_ms * MS,
            timed: true,
            status: 200,
            error: false,
            parent,
            inferred_parent: false,
            logged_parent: false,
            file: None,
            depth,
            link: Default::default(),
            kind: Default::default(),
            parent_confidence: 1.0,
            events: Default::default(),
        }
    }

    /// Trace "req-1": edge [0,100] -> auth [5,15] (logged id, inferred parent),
    /// edge -> db [20,80] failing with an error event.
    /// Trace with the logged 32-hex trace id: a single span, [200, 230].
    pub fn fixture() -> Fixture {
        let mut sy = Symbols::default();
        let (edge, auth, db) = (sy.intern("edge"), sy.intern("auth"), sy.intern("db"));
        let (get, verify, query) = (
            sy.intern("GET /x"),
            sy.intern("POST /verify"),
            sy.intern("SELECT"),
        );
        let req = sy.intern("req-1");
        let hex_tid = sy.intern("4bf92f3577b34da6a3ce929d0e0e4736");
        let auth_sid = SpanId::new("00f067aa0ba902b7", &mut sy);
        let msg = sy.intern("connection refused");
        let events = vec![
            Event {
                time_ns: T0 + 50 * MS,
                level: Level::Error,
                message: msg,
                service: db,
                request_id: req,
                ..Default::default()
            },
            Event {
                time_ns: T0 + 230 * MS,
                trace_id: hex_tid,
                service: edge,
                ..Default::default()
            },
        ];
        let mut a = span(edge, get, 0, 100, None, 0);
        a.status = 502;
        a.error = true;
        let mut b = span(auth, verify, 5, 15, Some(0), 1);
        b.span_id = auth_sid;
        b.inferred_parent = true;
        let mut c = span(db, query, 20, 80, Some(0), 1);
        c.error = true;
        c.status = 0;
        c.timed = false;
        c.events = vec![0].into();
        let t1 = Trace {
            id: req,
            ids: vec![req],
            spans: vec![a, b, c],
            root: 0,
            start_ns: T0,
            end_ns: T0 + 100 * MS,
            error_origin: Some(2),
            critical_path: vec![0, 2],
            root_latency_ns: None,
            logged_parts: Vec::new(),
        };
        let mut only = span(edge, get, 200, 230, None, 0);
        only.events = vec![1].into();
        let t2 = Trace {
            id: hex_tid,
            ids: vec![hex_tid],
            spans: vec![only],
            root: 0,
            start_ns: T0 + 200 * MS,
            end_ns: T0 + 230 * MS,
            error_origin: None,
            critical_path: vec![0],
            root_latency_ns: None,
            logged_parts: Vec::new(),
        };
        Fixture {
            traces: Traces {
                traces: vec![t1, t2],
                ..Default::default()
            },
            events,
            symbols: sy,
        }
    }

    impl Fixture {
        pub fn export(&self) -> Export<'_> {
            let input = Input {
                traces: &self.traces,
                events: &self.events,
                symbols: &self.symbols,
            };
            Export::new(input, &[0, 1])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn attributes_mark_inferred_parents_origins_and_mapped_ids() {
        let f = fixture();
        let x = f.export();
        let keys = |k, i| -> Vec<(&str, String)> {
            attributes(&x, k, i)
                .iter()
                .map(|a| (a.key, a.value.text()))
                .collect()
        };
        let root = keys(0, 0);
        assert!(root.contains(&("http.response.status_code", "502".into())));
        assert!(root.contains(&("logtrace.trace", "req-1".into())));
        // req-1 is no hex trace id: it was mapped, and the original kept.
        assert!(root.contains(&("logtrace.original_id", "req-1".into())));
        assert!(keys(0, 1).contains(&("logtrace.parent_inferred", "true".into())));
        let db = keys(0, 2);
        assert!(db.contains(&("logtrace.error_origin", "true".into())));
        assert!(db.contains(&("logtrace.duration_logged", "false".into())));
        assert!(!db.iter().any(|(k, _)| *k == "http.response.status_code"));
        // A logged hex trace id is used as it is: nothing to keep.
        assert!(!keys(1, 0).iter().any(|(k, _)| *k == "logtrace.original_id"));
    }

    /// auth becomes an async hop; db's parent a placeholder (a logged
    /// parent id, 16 hex digits, that no line carries) under the root.
    fn async_and_placeholder() -> Fixture {
        let mut f = fixture();
        let t = &mut f.traces.traces[0];
        t.spans[1].link = crate::trace::Link::FollowsFrom;
        t.spans[1].parent_confidence = 2.0 / 3.0;
        let mut ph = testing::span(
            crate::ingest::event::Sym::NONE,
            crate::ingest::event::Sym::NONE,
            18,
            90,
            Some(0),
            1,
        );
        ph.kind = crate::trace::SpanKind::Placeholder;
        ph.span_id = crate::ingest::event::SpanId::Hex(0x0123_4567_89ab_cdef);
        ph.inferred_parent = true;
        t.spans.push(ph);
        t.spans[2].parent = Some(3);
        t.spans[2].depth = 2;
        f
    }

    #[test]
    fn every_format_marks_async_hops_and_names_placeholders() {
        let f = async_and_placeholder();
        let x = f.export();
        let ph_id = "0123456789abcdef";
        assert_eq!(
            x.ids[0].spans[3], ph_id,
            "the placeholder keeps the logged id"
        );
        let json =
            |format| -> serde_json::Value { serde_json::from_slice(&render(format, &x)).unwrap() };

        let j = json(Format::Jaeger);
        let spans = &j["data"][0]["spans"];
        assert_eq!(spans[1]["references"][0]["refType"], "FOLLOWS_FROM");
        assert_eq!(spans[2]["references"][0]["refType"], "CHILD_OF");
        assert_eq!(spans[2]["references"][0]["spanID"], ph_id);
        assert_eq!(spans[3]["operationName"], "(not in logs)");
        let pid = spans[3]["processID"].as_str().unwrap();
        assert_eq!(
            j["data"][0]["processes"][pid]["serviceName"],
            "(not in logs)"
        );
        let tags = spans[1]["tags"].as_array().unwrap();
        assert!(tags.iter().any(|g| g["key"] == "logtrace.parent_confidence"
            && g["type"] == "float64"
            && g["value"] == 0.667));

        let o = json(Format::Otlp);
        let all: Vec<&serde_json::Value> = o["resourceSpans"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["scopeSpans"][0]["spans"].as_array().unwrap())
            .collect();
        let auth = all.iter().find(|s| s["name"] == "POST /verify").unwrap();
        assert_eq!(auth["parentSpanId"], x.ids[0].spans[0].as_str());
        assert_eq!(auth["links"][0]["spanId"], x.ids[0].spans[0].as_str());
        assert_eq!(
            auth["links"][0]["attributes"][0]["value"]["stringValue"],
            "follows_from"
        );
        let db = all.iter().find(|s| s["name"] == "SELECT").unwrap();
        assert_eq!(db["parentSpanId"], ph_id);
        assert!(db.get("links").is_none());
        let ph = all.iter().find(|s| s["spanId"] == ph_id).unwrap();
        assert_eq!(ph["name"], "(not in logs)");
        let services: Vec<&str> = o["resourceSpans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["resource"]["attributes"][0]["value"]["stringValue"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert!(services.contains(&"(not in logs)"), "{services:?}");

        let z = json(Format::Zipkin);
        assert_eq!(z[1]["tags"]["logtrace.link"], "follows_from");
        assert_eq!(z[2]["parentId"], ph_id);
        assert_eq!(z[3]["localEndpoint"]["serviceName"], "(not in logs)");
        assert_eq!(z[3]["tags"]["logtrace.placeholder"], "true");

        let c = json(Format::Chrome);
        let complete: Vec<&serde_json::Value> = c["traceEvents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["ph"] == "X")
            .collect();
        assert_eq!(complete[1]["args"]["logtrace.link"], "follows_from");
        assert_eq!(complete[3]["name"], "(not in logs)");
        assert_eq!(complete[2]["args"]["parent_span_id"], ph_id);

        let folded = String::from_utf8(render(Format::Folded, &x)).unwrap();
        assert!(
            folded.contains("(not in logs);(not in logs);db;SELECT"),
            "{folded}"
        );
    }

    #[test]
    fn logs_keep_errors_with_their_message() {
        let f = fixture();
        let x = f.export();
        let l = logs(&x, &x.traces[0].spans[2]);
        assert_eq!(
            l,
            vec![Log {
                time_ns: T0 + 50 * MS,
                level: "error",
                message: "connection refused"
            }]
        );
        assert!(logs(&x, &x.traces[1].spans[0]).is_empty());
    }

    #[test]
    fn times_in_micros_round_down_also_before_1970() {
        assert_eq!(micros(1_999), 1);
        assert_eq!(micros(-1), -1);
        let mut s = testing::span(Default::default(), Default::default(), 0, 0, None, 0);
        s.end_ns = s.start_ns + 1_500;
        assert_eq!(duration_micros(&s), 2);
        s.end_ns = s.start_ns - 10; // a negative duration counts as none
        assert_eq!(duration_micros(&s), 0);
    }
}
