//! Traces -> Chrome trace event format (Perfetto, chrome://tracing, Speedscope).
//!
//! Input: an [`Export`]. Output:
//! `{"traceEvents":[...],"displayTimeUnit":"ms","otherData":{...}}`, one event
//! per line. Each trace is a process (pid = its place in the export, from 1)
//! named after its id; each span is a complete event (`ph:"X"`) with `ts` and
//! `dur` in µs since the start of the earliest exported span (the absolute
//! start is in `otherData`), so all traces share one time axis.
//!
//! Viewers draw the complete events of one thread as a stack and mangle
//! events that overlap without nesting. Spans are therefore put on lanes
//! (tid): each span goes to the first lane where it nests inside what is
//! open there, so parallel calls and children that outlive their parent
//! (clock skew, inferred parents) get a lane of their own.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{attributes, json_lines, Export, Value};
use crate::trace::Span;

#[derive(Serialize)]
struct Complete<'a> {
    name: String,
    cat: &'a str,
    ph: &'static str,
    ts: f64,
    dur: f64,
    pid: usize,
    tid: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    cname: Option<&'static str>,
    args: BTreeMap<&'a str, Value<'a>>,
}

/// Writes `x` as a Chrome trace event file.
pub fn write(x: &Export, w: &mut dyn Write) -> io::Result<()> {
    let t0 = x
        .traces
        .iter()
        .flat_map(|t| t.spans.iter().map(|s| s.start_ns))
        .min()
        .unwrap_or(0);
    w.write_all(b"{\"traceEvents\":[\n")?;
    let order: Vec<usize> = (0..x.traces.len()).collect();
    json_lines(w, &order, |&k, out| trace_events(x, k, t0, out))?;
    let other = serde_json::json!({
        "source": "logtrace",
        "start": crate::ingest::time::format_rfc3339_ms(t0),
        "start_unix_ns": t0.to_string(),
        "traces": x.traces.len(),
    });
    write!(
        w,
        "],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":{other}}}\n"
    )
}

/// The events of the `k`-th trace, each line ending with `,` but the export's last.
fn trace_events(x: &Export, k: usize, t0: i64, out: &mut Vec<u8>) {
    let (t, ids) = (x.traces[k], &x.ids[k]);
    let pid = k + 1;
    let lanes = lanes(&t.spans);
    let mut lines: Vec<String> = Vec::new();
    let label = format!(
        "trace {} ({:.1} ms{})",
        x.input.symbols.get(t.id),
        t.duration_ns() as f64 / 1e6,
        if t.failed() { ", failed" } else { "" }
    );
    lines.push(line(&serde_json::json!({
        "name": "process_name", "ph": "M", "pid": pid, "tid": 0, "args": {"name": label}
    })));
    lines.push(line(&serde_json::json!({
        "name": "process_sort_index", "ph": "M", "pid": pid, "tid": 0, "args": {"sort_index": pid}
    })));
    let used = lanes.iter().copied().max().map_or(0, |m| m + 1);
    for lane in 0..used {
        lines.push(line(&serde_json::json!({
            "name": "thread_name", "ph": "M", "pid": pid, "tid": lane + 1,
            "args": {"name": format!("lane {}", lane + 1)}
        })));
    }
    let us = |ns: i64| ns.saturating_sub(t0) as f64 / 1_000.0;
    for (i, s) in t.spans.iter().enumerate() {
        let mut args: BTreeMap<&str, Value> = attributes(x, k, i)
            .into_iter()
            .map(|a| (a.key, a.value))
            .collect();
        args.insert("service", Value::Str(x.service_of(s).into()));
        args.insert("span_id", Value::Str(ids.spans[i].as_str().into()));
        if let Some(p) = s.parent.and_then(|p| ids.spans.get(p as usize)) {
            args.insert("parent_span_id", Value::Str(p.as_str().into()));
        }
        args.insert("trace_id", Value::Str(ids.trace.as_str().into()));
        if s.error {
            args.insert("error", Value::Bool(true));
        }
        let name = if s.is_placeholder() {
            x.service_of(s).to_string()
        } else {
            format!("{} {}", x.service_of(s), x.operation_of(s))
        };
        let e = Complete {
            name,
            cat: x.service_of(s),
            ph: "X",
            ts: us(s.start_ns),
            dur: s.duration_ns() as f64 / 1_000.0,
            pid,
            tid: lanes[i] + 1,
            cname: s.error.then_some("terrible"),
            args,
        };
        lines.push(line(&e));
    }
    let last = k + 1 == x.traces.len();
    for (n, l) in lines.iter().enumerate() {
        out.extend_from_slice(l.as_bytes());
        if !(last && n + 1 == lines.len()) {
            out.push(b',');
        }
        out.push(b'\n');
    }
}

/// One line of JSON.
fn line<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("in-memory JSON")
}

/// The lane (0-based) of each span: the first lane where it nests inside
/// the spans still open there.
fn lanes(spans: &[Span]) -> Vec<usize> {
    // Start order, longest first. The trace's own order is close to it, but
    // spans moved after sorting (whole-second stamps aligned) may break it.
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].start_ns, std::cmp::Reverse(spans[i].end_ns), i));
    // Per lane, the end times of the spans open on it, innermost last.
    let mut open: Vec<Vec<i64>> = Vec::new();
    let mut out = vec![0; spans.len()];
    for i in order {
        let s = &spans[i];
        let (start, end) = (s.start_ns, s.end_ns.max(s.start_ns));
        let lane = (0..=open.len())
            .find(|&l| {
                let Some(stack) = open.get_mut(l) else {
                    return true;
                };
                while stack.last().is_some_and(|&e| e <= start) {
                    stack.pop();
                }
                stack.last().map_or(true, |&e| e >= end)
            })
            .unwrap_or(0);
        if lane == open.len() {
            open.push(Vec::new());
        }
        open[lane].push(end);
        out[i] = lane;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::testing::*;
    use crate::export::{render, Format};
    use crate::ingest::event::Sym;

    #[test]
    fn parallel_and_overhanging_spans_get_their_own_lane() {
        let (a, n) = (Sym::NONE, None);
        let spans = vec![
            span(a, a, 0, 100, n, 0),
            span(a, a, 10, 50, n, 1),  // nests in the root
            span(a, a, 20, 30, n, 2),  // nests in the one before
            span(a, a, 40, 70, n, 1),  // overlaps [10,50] without nesting
            span(a, a, 60, 140, n, 1), // outlives the root
            span(a, a, 150, 160, n, 0),
            span(a, a, 5, 8, n, 1), // out of start order
        ];
        assert_eq!(lanes(&spans), vec![0, 0, 0, 1, 2, 0, 0]);
    }

    #[test]
    fn complete_events_with_metadata_per_trace() {
        let f = fixture();
        let x = f.export();
        let v: serde_json::Value = serde_json::from_slice(&render(Format::Chrome, &x)).unwrap();
        assert_eq!(v["displayTimeUnit"], "ms");
        let ev = v["traceEvents"].as_array().unwrap();
        let complete: Vec<&serde_json::Value> = ev.iter().filter(|e| e["ph"] == "X").collect();
        assert_eq!(complete.len(), 4);
        assert_eq!(complete[0]["ts"], 0.0);
        assert_eq!(complete[0]["dur"], 100_000.0);
        assert_eq!(complete[1]["name"], "auth POST /verify");
        assert_eq!(complete[3]["pid"], 2);
        assert_eq!(complete[3]["ts"], 200_000.0);
        let names: Vec<&str> = ev
            .iter()
            .filter(|e| e["ph"] == "M" && e["name"] == "process_name")
            .map(|e| e["args"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            vec![
                "trace req-1 (100.0 ms, failed)",
                "trace 4bf92f3577b34da6a3ce929d0e0e4736 (30.0 ms)"
            ]
        );
        assert_eq!(v["otherData"]["start"], "2024-03-01T12:00:00.000Z");
    }
}
