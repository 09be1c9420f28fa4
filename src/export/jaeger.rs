//! Traces -> Jaeger UI's JSON upload format.
//!
//! Input: an [`Export`]. Output: the document Jaeger's query API returns and
//! its UI opens with "Upload JSON":
//! `{"data":[{"traceID","spans":[...],"processes":{"p1":{"serviceName"}}}]}`,
//! one trace per line. Times are µs since the epoch; a span's parent is a
//! `CHILD_OF` reference, or `FOLLOWS_FROM` for a span that started after its
//! parent ended (an async hop); the failure is the `error` tag Jaeger paints red;
//! warnings and errors logged in a span are its logs.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{attributes, duration_micros, json_lines, logs, micros, Export, Value};
use crate::trace::Link;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JTrace<'a> {
    #[serde(rename = "traceID")]
    trace_id: &'a str,
    spans: Vec<JSpan<'a>>,
    processes: BTreeMap<String, JProcess<'a>>,
    warnings: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JSpan<'a> {
    #[serde(rename = "traceID")]
    trace_id: &'a str,
    #[serde(rename = "spanID")]
    span_id: &'a str,
    flags: u32,
    operation_name: &'a str,
    references: Vec<JRef<'a>>,
    start_time: i64,
    duration: i64,
    tags: Vec<JTag<'a>>,
    logs: Vec<JLog<'a>>,
    #[serde(rename = "processID")]
    process_id: String,
    warnings: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JRef<'a> {
    ref_type: &'static str,
    #[serde(rename = "traceID")]
    trace_id: &'a str,
    #[serde(rename = "spanID")]
    span_id: &'a str,
}

#[derive(Serialize)]
struct JTag<'a> {
    key: &'a str,
    #[serde(rename = "type")]
    ty: &'static str,
    value: Value<'a>,
}

#[derive(Serialize)]
struct JLog<'a> {
    timestamp: i64,
    fields: Vec<JTag<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JProcess<'a> {
    service_name: &'a str,
    tags: Vec<JTag<'a>>,
}

fn tag<'a>(key: &'a str, value: Value<'a>) -> JTag<'a> {
    let ty = match value {
        Value::Str(_) => "string",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int64",
        Value::Float(_) => "float64",
    };
    JTag { key, ty, value }
}

/// Writes `x` as a Jaeger upload file.
pub fn write(x: &Export, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(b"{\"data\":[\n")?;
    let order: Vec<usize> = (0..x.traces.len()).collect();
    json_lines(w, &order, |&k, out| {
        if k > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, &trace(x, k)).expect("in-memory JSON");
        out.push(b'\n');
    })?;
    w.write_all(b"]}\n")
}

fn trace<'a>(x: &'a Export, k: usize) -> JTrace<'a> {
    let (t, ids) = (x.traces[k], &x.ids[k]);
    // One process per service, numbered in name order.
    let services: std::collections::BTreeSet<&str> =
        t.spans.iter().map(|s| x.service_of(s)).collect();
    let pid: BTreeMap<&str, String> = services
        .iter()
        .enumerate()
        .map(|(n, &s)| (s, format!("p{}", n + 1)))
        .collect();
    let spans = t
        .spans
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let references = s
                .parent
                .filter(|&p| (p as usize) < t.spans.len())
                .map(|p| JRef {
                    ref_type: match s.link {
                        Link::ChildOf => "CHILD_OF",
                        Link::FollowsFrom => "FOLLOWS_FROM",
                    },
                    trace_id: &ids.trace,
                    span_id: &ids.spans[p as usize],
                })
                .into_iter()
                .collect();
            let mut tags = vec![tag("span.kind", Value::Str("server".into()))];
            if s.error {
                tags.push(tag("error", Value::Bool(true)));
            }
            tags.extend(attributes(x, k, i).into_iter().map(|a| tag(a.key, a.value)));
            let logs = logs(x, s)
                .into_iter()
                .map(|l| JLog {
                    timestamp: micros(l.time_ns),
                    fields: vec![
                        tag("event", Value::Str(l.level.into())),
                        tag("level", Value::Str(l.level.into())),
                        tag("message", Value::Str(l.message.into())),
                    ],
                })
                .collect();
            JSpan {
                trace_id: &ids.trace,
                span_id: &ids.spans[i],
                flags: 1,
                operation_name: x.operation_of(s),
                references,
                start_time: micros(s.start_ns),
                duration: duration_micros(s),
                tags,
                logs,
                process_id: pid[x.service_of(s)].clone(),
                warnings: None,
            }
        })
        .collect();
    JTrace {
        trace_id: &ids.trace,
        spans,
        processes: pid
            .into_iter()
            .map(|(name, p)| {
                (
                    p,
                    JProcess {
                        service_name: name,
                        tags: vec![],
                    },
                )
            })
            .collect(),
        warnings: None,
    }
}

#[cfg(test)]
mod tests {
    use crate::export::testing::*;
    use crate::export::{render, Format};

    #[test]
    fn spans_reference_their_parent_with_micro_times() {
        let f = fixture();
        let x = f.export();
        let v: serde_json::Value = serde_json::from_slice(&render(Format::Jaeger, &x)).unwrap();
        let data = v["data"].as_array().unwrap();
        assert_eq!(data.len(), 2);
        let t = &data[0];
        assert_eq!(t["traceID"], x.ids[0].trace.as_str());
        let spans = t["spans"].as_array().unwrap();
        assert_eq!(spans[0]["references"].as_array().unwrap().len(), 0);
        assert_eq!(spans[0]["startTime"], T0 / 1_000);
        assert_eq!(spans[0]["duration"], 100_000);
        let r = &spans[2]["references"][0];
        assert_eq!(r["refType"], "CHILD_OF");
        assert_eq!(r["spanID"], spans[0]["spanID"]);
        // auth is p1, db p2, edge p3 (services in name order).
        assert_eq!(spans[2]["processID"], "p2");
        assert_eq!(t["processes"]["p3"]["serviceName"], "edge");
        let tags = spans[2]["tags"].as_array().unwrap();
        assert!(tags
            .iter()
            .any(|g| g["key"] == "error" && g["type"] == "bool" && g["value"] == true));
        assert_eq!(
            spans[2]["logs"][0]["fields"][2]["value"],
            "connection refused"
        );
        let inferred = spans[1]["tags"].as_array().unwrap();
        assert!(inferred
            .iter()
            .any(|g| g["key"] == "logtrace.parent_inferred" && g["value"] == true));
    }
}
