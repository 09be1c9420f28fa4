//! Traces -> Zipkin v2 JSON.
//!
//! Input: an [`Export`]. Output: the span list Zipkin's `POST /api/v2/spans`
//! takes and its UI opens as a file, one span per line. Times are µs since
//! the epoch (Zipkin reads a zero duration as "unknown", so a span shorter
//! than 1 µs is given 1). Tags are strings; a failed span carries `error`
//! (its HTTP status, or `true`); warnings and errors logged in a span are
//! its annotations. Zipkin has no "follows from": an async hop is the
//! parent's child with the tag `logtrace.link = follows_from`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{attributes, duration_micros, json_lines, logs, micros, Export};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ZSpan<'a> {
    trace_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<&'a str>,
    id: &'a str,
    kind: &'static str,
    name: &'a str,
    timestamp: i64,
    duration: i64,
    local_endpoint: Endpoint<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    annotations: Vec<Annotation>,
    tags: BTreeMap<&'a str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Endpoint<'a> {
    service_name: &'a str,
}

#[derive(Serialize)]
struct Annotation {
    timestamp: i64,
    value: String,
}

/// Writes `x` as a Zipkin v2 span list.
pub fn write(x: &Export, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(b"[\n")?;
    let spans: Vec<(usize, usize)> = x
        .traces
        .iter()
        .enumerate()
        .flat_map(|(k, t)| (0..t.spans.len()).map(move |i| (k, i)))
        .collect();
    json_lines(w, &spans, |&(k, i), out| {
        if k > 0 || i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, &span(x, k, i)).expect("in-memory JSON");
        out.push(b'\n');
    })?;
    w.write_all(b"]\n")
}

fn span<'a>(x: &'a Export, k: usize, i: usize) -> ZSpan<'a> {
    let (t, ids) = (x.traces[k], &x.ids[k]);
    let s = &t.spans[i];
    let mut tags: BTreeMap<&str, String> = attributes(x, k, i)
        .into_iter()
        .map(|a| (a.key, a.value.text()))
        .collect();
    if s.error {
        let what = if s.status >= 500 {
            s.status.to_string()
        } else {
            "true".into()
        };
        tags.insert("error", what);
    }
    ZSpan {
        trace_id: &ids.trace,
        parent_id: s
            .parent
            .and_then(|p| ids.spans.get(p as usize))
            .map(String::as_str),
        id: &ids.spans[i],
        kind: "SERVER",
        name: x.operation_of(s),
        timestamp: micros(s.start_ns),
        duration: duration_micros(s).max(1),
        local_endpoint: Endpoint {
            service_name: x.service_of(s),
        },
        annotations: logs(x, s)
            .into_iter()
            .map(|l| Annotation {
                timestamp: micros(l.time_ns),
                value: format!("{}: {}", l.level, l.message),
            })
            .collect(),
        tags,
    }
}

#[cfg(test)]
mod tests {
    use crate::export::testing::*;
    use crate::export::{render, Format};

    #[test]
    fn a_flat_span_list_with_parents_and_string_tags() {
        let f = fixture();
        let x = f.export();
        let v: serde_json::Value = serde_json::from_slice(&render(Format::Zipkin, &x)).unwrap();
        let spans = v.as_array().unwrap();
        assert_eq!(spans.len(), 4);
        assert!(spans[0].get("parentId").is_none());
        assert_eq!(spans[1]["parentId"], spans[0]["id"]);
        assert_eq!(spans[1]["localEndpoint"]["serviceName"], "auth");
        assert_eq!(spans[1]["timestamp"], T0 / 1_000 + 5_000);
        assert_eq!(spans[1]["duration"], 10_000);
        assert_eq!(spans[1]["tags"]["logtrace.parent_inferred"], "true");
        assert_eq!(spans[0]["tags"]["error"], "502");
        assert_eq!(spans[2]["tags"]["error"], "true");
        assert_eq!(
            spans[2]["annotations"][0]["value"],
            "error: connection refused"
        );
        assert_eq!(spans[3]["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
    }
}
