//! Traces -> OTLP/JSON (OpenTelemetry's trace export request).
//!
//! Input: an [`Export`]. Output:
//! `{"resourceSpans":[{"resource":{service.name},"scopeSpans":[{"scope","spans"}]}]}`
//! with one resource per service (in name order) holding that service's spans
//! of every chosen trace (in trace, then span order), one span per line. Per
//! the OTLP/JSON mapping, ids are lowercase hex, 64-bit integers (times,
//! `intValue`) are strings and enums are numbers: every span is
//! `SPAN_KIND_SERVER` (2), as each is one service handling a request; the
//! status is `ERROR` (2) for a failed span and `UNSET` (0) otherwise, as the
//! specification asks of instrumentation that saw no explicit success.
//! A span that started after its parent ended (an async hop) keeps the
//! parent as `parentSpanId`, so the tree stays whole, and also links to it
//! with a span link whose `opentracing.ref_type` is `follows_from` (the
//! attribute OpenTelemetry's OpenTracing shim gives such a reference).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{attributes, json_lines, logs, Export, Value};
use crate::trace::Link;

const KIND_SERVER: u8 = 2;
const STATUS_UNSET: u8 = 0;
const STATUS_ERROR: u8 = 2;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OSpan<'a> {
    trace_id: &'a str,
    span_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_span_id: Option<&'a str>,
    name: &'a str,
    kind: u8,
    start_time_unix_nano: String,
    end_time_unix_nano: String,
    attributes: Vec<KeyValue<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    events: Vec<OEvent<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<OLink<'a>>,
    status: Status,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OLink<'a> {
    trace_id: &'a str,
    span_id: &'a str,
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Serialize)]
struct KeyValue<'a> {
    key: &'a str,
    value: AnyValue<'a>,
}

/// OTLP's `AnyValue`: one of `stringValue`, `boolValue`, `intValue` (a string in JSON).
#[derive(Serialize)]
enum AnyValue<'a> {
    #[serde(rename = "stringValue")]
    Str(std::borrow::Cow<'a, str>),
    #[serde(rename = "boolValue")]
    Bool(bool),
    #[serde(rename = "intValue")]
    Int(String),
    #[serde(rename = "doubleValue")]
    Float(f64),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OEvent<'a> {
    time_unix_nano: String,
    name: &'static str,
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Serialize)]
struct Status {
    code: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

fn kv<'a>(key: &'a str, value: Value<'a>) -> KeyValue<'a> {
    let value = match value {
        Value::Str(s) => AnyValue::Str(s),
        Value::Bool(b) => AnyValue::Bool(b),
        Value::Int(n) => AnyValue::Int(n.to_string()),
        Value::Float(x) => AnyValue::Float(x),
    };
    KeyValue { key, value }
}

/// Start and end are UTC ns; a span ending before it starts ends when it starts.
fn nanos(ns: i64) -> String {
    ns.to_string()
}

/// Writes `x` as an OTLP/JSON trace export request.
pub fn write(x: &Export, w: &mut dyn Write) -> io::Result<()> {
    // Every (trace, span), grouped by service name.
    let mut by_service: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
    for (k, t) in x.traces.iter().enumerate() {
        for (i, s) in t.spans.iter().enumerate() {
            by_service.entry(x.service_of(s)).or_default().push((k, i));
        }
    }
    w.write_all(b"{\"resourceSpans\":[")?;
    for (n, (service, spans)) in by_service.iter().enumerate() {
        if n > 0 {
            w.write_all(b",")?;
        }
        let resource = serde_json::json!({
            "attributes": [{"key": "service.name", "value": {"stringValue": service}}]
        });
        let scope = serde_json::json!({"name": "logtrace", "version": env!("CARGO_PKG_VERSION")});
        write!(
            w,
            "\n{{\"resource\":{resource},\"scopeSpans\":[{{\"scope\":{scope},\"spans\":[\n"
        )?;
        json_lines(w, spans, |&(k, i), out| {
            if (k, i) != spans[0] {
                out.push(b',');
            }
            serde_json::to_writer(&mut *out, &span(x, k, i)).expect("in-memory JSON");
            out.push(b'\n');
        })?;
        w.write_all(b"]}]}")?;
    }
    w.write_all(b"\n]}\n")
}

fn span<'a>(x: &'a Export, k: usize, i: usize) -> OSpan<'a> {
    let (t, ids) = (x.traces[k], &x.ids[k]);
    let s = &t.spans[i];
    let events = logs(x, s)
        .into_iter()
        .map(|l| OEvent {
            time_unix_nano: nanos(l.time_ns),
            name: "log",
            attributes: vec![
                kv("log.severity", Value::Str(l.level.into())),
                kv("log.message", Value::Str(l.message.into())),
            ],
        })
        .collect();
    OSpan {
        trace_id: &ids.trace,
        span_id: &ids.spans[i],
        parent_span_id: s
            .parent
            .and_then(|p| ids.spans.get(p as usize))
            .map(String::as_str),
        name: x.operation_of(s),
        kind: KIND_SERVER,
        start_time_unix_nano: nanos(s.start_ns),
        end_time_unix_nano: nanos(s.end_ns.max(s.start_ns)),
        attributes: attributes(x, k, i)
            .into_iter()
            .map(|a| kv(a.key, a.value))
            .collect(),
        events,
        links: s
            .parent
            .filter(|_| s.link == Link::FollowsFrom)
            .and_then(|p| ids.spans.get(p as usize))
            .map(|p| OLink {
                trace_id: &ids.trace,
                span_id: p,
                attributes: vec![kv(
                    "opentracing.ref_type",
                    Value::Str("follows_from".into()),
                )],
            })
            .into_iter()
            .collect(),
        status: if s.error {
            Status {
                code: STATUS_ERROR,
                message: Some(if s.status >= 500 {
                    format!("HTTP {}", s.status)
                } else {
                    "error logged".into()
                }),
            }
        } else {
            Status {
                code: STATUS_UNSET,
                message: None,
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use crate::export::testing::*;
    use crate::export::{render, Format};

    #[test]
    fn one_resource_per_service_with_string_nanos_and_enums() {
        let f = fixture();
        let x = f.export();
        let v: serde_json::Value = serde_json::from_slice(&render(Format::Otlp, &x)).unwrap();
        let rs = v["resourceSpans"].as_array().unwrap();
        let names: Vec<&str> = rs
            .iter()
            .map(|r| {
                r["resource"]["attributes"][0]["value"]["stringValue"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(names, vec!["auth", "db", "edge"]);
        let edge = rs[2]["scopeSpans"][0]["spans"].as_array().unwrap();
        assert_eq!(edge.len(), 2);
        assert_eq!(edge[0]["kind"], 2);
        assert_eq!(edge[0]["status"]["code"], 2);
        assert_eq!(edge[1]["status"]["code"], 0);
        assert_eq!(edge[0]["startTimeUnixNano"], T0.to_string());
        assert_eq!(edge[0]["endTimeUnixNano"], (T0 + 100 * MS).to_string());
        assert!(edge[0].get("parentSpanId").is_none());
        let status = &edge[0]["attributes"][0];
        assert_eq!(status["key"], "http.response.status_code");
        assert_eq!(status["value"]["intValue"], "502");
        let db = &rs[1]["scopeSpans"][0]["spans"][0];
        assert_eq!(db["parentSpanId"], edge[0]["spanId"]);
        assert_eq!(db["events"][0]["timeUnixNano"], (T0 + 50 * MS).to_string());
        assert_eq!(rs[0]["scopeSpans"][0]["scope"]["name"], "logtrace");
    }
}
