//! `logtrace export` on the generated incident (`fixtures/incident`), each
//! format checked against what its readers require (fields, hex id widths,
//! units, parents inside the trace, unique span ids), Jaeger and Zipkin read
//! back into call trees and compared with the truth file and with the trace
//! stage, and the filters and determinism checked through the binary.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use assert_cmd::Command;
use serde_json::Value;

use logtrace::export::{self, Export, Format, Input};
use logtrace::generate::Truth;
use logtrace::ingest::event::Symbols;
use logtrace::ingest::{ingest, IngestOptions, Ingested};
use logtrace::trace::{build, TraceOptions, Traces};

mod common;

/// Logs read and built into traces.
struct Loaded {
    input: Ingested,
    traces: Traces,
}

fn load(dir: &std::path::Path) -> Loaded {
    let input = ingest(
        &[dir.to_path_buf()],
        &IngestOptions {
            keep_events: true,
            ..Default::default()
        },
    )
    .unwrap();
    let traces = build(&input.events, &input.symbols, &TraceOptions::default());
    Loaded { input, traces }
}

/// The incident, its truth, and what the trace stage made of it.
struct Run {
    truth: Truth,
    data: Loaded,
    /// Services that logged at least one correlation id (the others cannot be in a trace).
    traced: BTreeSet<String>,
}

impl std::ops::Deref for Run {
    type Target = Loaded;
    fn deref(&self) -> &Loaded {
        &self.data
    }
}

fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = common::root().join("fixtures/incident");
        let truth: Truth = serde_json::from_str(
            &std::fs::read_to_string(logtrace::generate::truth_path(&dir)).unwrap(),
        )
        .unwrap();
        let data = load(&dir);
        let traced = data
            .input
            .events
            .iter()
            .filter(|e| e.request_id.is_some() || e.trace_id.is_some())
            .map(|e| data.input.symbols.get(e.service).to_string())
            .collect();
        Run {
            truth,
            data,
            traced,
        }
    })
}

impl Loaded {
    fn symbols(&self) -> &Symbols {
        &self.input.symbols
    }
    fn export(&self) -> Export<'_> {
        let input = Input {
            traces: &self.traces,
            events: &self.input.events,
            symbols: &self.input.symbols,
        };
        let all: Vec<usize> = (0..self.traces.traces.len()).collect();
        Export::new(input, &all)
    }
    fn render(&self, f: Format) -> Vec<u8> {
        export::render(f, &self.export())
    }
    fn json(&self, f: Format) -> Value {
        serde_json::from_slice(&self.render(f)).unwrap()
    }
    /// Caller -> callee service edges and their calls, from the trace stage.
    fn stage_edges(&self) -> BTreeMap<(String, String), u64> {
        let mut got = BTreeMap::new();
        for t in &self.traces.traces {
            for s in &t.spans {
                if let Some(p) = s.parent {
                    let p = &t.spans[p as usize];
                    if p.service != s.service {
                        let k = (
                            self.symbols().get(p.service).to_string(),
                            self.symbols().get(s.service).to_string(),
                        );
                        *got.entry(k).or_default() += 1;
                    }
                }
            }
        }
        got
    }
}

impl Run {
    /// The truth's edges between services that can be in a trace.
    fn truth_edges(&self) -> BTreeMap<(String, String), u64> {
        self.truth
            .dependencies
            .iter()
            .filter(|d| self.traced.contains(&d.caller) && self.traced.contains(&d.callee))
            .map(|d| ((d.caller.clone(), d.callee.clone()), d.calls))
            .collect()
    }
}

fn is_hex(v: &Value, width: usize) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == width
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && s.bytes().any(|b| b != b'0')
    })
}

/// One span read back from an export: ids, service, operation, µs times.
#[derive(Debug)]
struct ReadSpan {
    trace: String,
    id: String,
    parent: Option<String>,
    service: String,
    operation: String,
    start_us: i64,
    duration_us: i64,
    inferred: bool,
    error: bool,
}

/// Spans grouped by trace (in file order), after checking parents and ids.
fn check_trees(spans: Vec<ReadSpan>) -> BTreeMap<String, Vec<ReadSpan>> {
    let mut by_trace: BTreeMap<String, Vec<ReadSpan>> = BTreeMap::new();
    for s in spans {
        by_trace.entry(s.trace.clone()).or_default().push(s);
    }
    for (t, spans) in &by_trace {
        let ids: BTreeSet<&str> = spans.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids.len(), spans.len(), "duplicate span ids in trace {t}");
        let roots = spans.iter().filter(|s| s.parent.is_none()).count();
        assert_eq!(roots, 1, "trace {t} has {roots} roots");
        for s in spans {
            if let Some(p) = &s.parent {
                assert!(
                    ids.contains(p.as_str()),
                    "trace {t}: parent {p} not in the trace"
                );
            }
            assert!(s.duration_us >= 0 && s.start_us > 0, "{s:?}");
        }
    }
    by_trace
}

/// Caller -> callee service edges of trees read back from a file.
fn edges(by_trace: &BTreeMap<String, Vec<ReadSpan>>) -> BTreeMap<(String, String), u64> {
    let mut got = BTreeMap::new();
    for spans in by_trace.values() {
        let service: BTreeMap<&str, &str> = spans
            .iter()
            .map(|s| (s.id.as_str(), s.service.as_str()))
            .collect();
        for s in spans {
            if let Some(p) = &s.parent {
                let caller = service[p.as_str()];
                if caller != s.service {
                    *got.entry((caller.to_string(), s.service.clone()))
                        .or_default() += 1;
                }
            }
        }
    }
    got
}

/// The same trees as the trace stage built: per trace, the multiset of
/// (parent service/operation, child service/operation, inferred) links.
fn assert_same_trees_as_the_stage(r: &Loaded, by_trace: &BTreeMap<String, Vec<ReadSpan>>) {
    let x = r.export();
    type Links = Vec<(String, String, bool)>;
    let mut want: BTreeMap<&str, Links> = BTreeMap::new();
    for (t, ids) in x.traces.iter().zip(&x.ids) {
        let name = |i: usize| {
            let s = &t.spans[i];
            format!("{} {}", x.name(s.service), x.name(s.operation))
        };
        let mut links: Links = t
            .spans
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((name(s.parent? as usize), name(i), s.inferred_parent)))
            .collect();
        links.sort();
        want.insert(ids.trace.as_str(), links);
    }
    let mut got: BTreeMap<&str, Links> = BTreeMap::new();
    for (t, spans) in by_trace {
        let by_id: BTreeMap<&str, &ReadSpan> = spans.iter().map(|s| (s.id.as_str(), s)).collect();
        let name = |s: &ReadSpan| format!("{} {}", s.service, s.operation);
        let mut links: Links = spans
            .iter()
            .filter_map(|s| Some((name(by_id[s.parent.as_deref()?]), name(s), s.inferred)))
            .collect();
        links.sort();
        got.insert(t.as_str(), links);
    }
    assert_eq!(got, want);
}

/// Jaeger: checks every span against the upload format, returns the spans.
fn read_jaeger(v: &Value) -> Vec<ReadSpan> {
    let mut spans = Vec::new();
    for t in v["data"].as_array().unwrap() {
        assert!(is_hex(&t["traceID"], 32), "{}", t["traceID"]);
        let processes = t["processes"].as_object().unwrap();
        for s in t["spans"].as_array().unwrap() {
            for f in [
                "traceID",
                "spanID",
                "operationName",
                "references",
                "startTime",
                "duration",
                "tags",
                "logs",
                "processID",
            ] {
                assert!(s.get(f).is_some(), "span without {f}: {s}");
            }
            assert_eq!(s["traceID"], t["traceID"]);
            assert!(is_hex(&s["spanID"], 16), "{}", s["spanID"]);
            let refs = s["references"].as_array().unwrap();
            assert!(refs.len() <= 1);
            let parent = refs.first().map(|p| {
                // FOLLOWS_FROM for an async hop: a span that started after its parent ended.
                assert!(
                    p["refType"] == "CHILD_OF" || p["refType"] == "FOLLOWS_FROM",
                    "{p}"
                );
                assert_eq!(p["traceID"], t["traceID"]);
                p["spanID"].as_str().unwrap().to_string()
            });
            let tags = s["tags"].as_array().unwrap();
            for tag in tags {
                let ty = tag["type"].as_str().unwrap();
                let ok = match ty {
                    "string" => tag["value"].is_string(),
                    "bool" => tag["value"].is_boolean(),
                    "int64" => tag["value"].is_i64(),
                    "float64" => tag["value"].is_f64(),
                    _ => false,
                };
                assert!(ok, "tag type {ty} does not match its value: {tag}");
            }
            for l in s["logs"].as_array().unwrap() {
                assert!(
                    l["timestamp"].as_i64().unwrap() > 1_000_000_000_000_000,
                    "µs: {l}"
                );
            }
            let pid = s["processID"].as_str().unwrap();
            spans.push(ReadSpan {
                trace: t["traceID"].as_str().unwrap().into(),
                id: s["spanID"].as_str().unwrap().into(),
                parent,
                service: processes[pid]["serviceName"].as_str().unwrap().into(),
                operation: s["operationName"].as_str().unwrap().into(),
                start_us: s["startTime"].as_i64().unwrap(),
                duration_us: s["duration"].as_i64().unwrap(),
                inferred: tags
                    .iter()
                    .any(|g| g["key"] == "logtrace.parent_inferred" && g["value"] == true),
                error: tags
                    .iter()
                    .any(|g| g["key"] == "error" && g["value"] == true),
            });
        }
    }
    spans
}

/// Zipkin v2: checks every span, returns them.
fn read_zipkin(v: &Value) -> Vec<ReadSpan> {
    let mut spans = Vec::new();
    for s in v.as_array().unwrap() {
        assert!(is_hex(&s["traceId"], 32), "{}", s["traceId"]);
        assert!(is_hex(&s["id"], 16), "{}", s["id"]);
        if let Some(p) = s.get("parentId") {
            assert!(is_hex(p, 16), "{p}");
        }
        assert_eq!(s["kind"], "SERVER");
        let duration = s["duration"].as_i64().unwrap();
        assert!(duration >= 1, "Zipkin reads 0 as no duration");
        assert!(s["localEndpoint"]["serviceName"].is_string());
        let tags = s["tags"].as_object().unwrap();
        assert!(
            tags.values().all(Value::is_string),
            "Zipkin tags are strings"
        );
        spans.push(ReadSpan {
            trace: s["traceId"].as_str().unwrap().into(),
            id: s["id"].as_str().unwrap().into(),
            parent: s.get("parentId").map(|p| p.as_str().unwrap().into()),
            service: s["localEndpoint"]["serviceName"].as_str().unwrap().into(),
            operation: s["name"].as_str().unwrap().into(),
            start_us: s["timestamp"].as_i64().unwrap(),
            duration_us: duration,
            inferred: tags.get("logtrace.parent_inferred") == Some(&Value::from("true")),
            error: tags.contains_key("error"),
        });
    }
    spans
}

/// OTLP/JSON: checks resources and spans, returns the spans.
fn read_otlp(v: &Value) -> Vec<ReadSpan> {
    let mut spans = Vec::new();
    let mut services = Vec::new();
    for rs in v["resourceSpans"].as_array().unwrap() {
        let attr = &rs["resource"]["attributes"][0];
        assert_eq!(attr["key"], "service.name");
        let service = attr["value"]["stringValue"].as_str().unwrap().to_string();
        services.push(service.clone());
        let scope = &rs["scopeSpans"][0];
        assert_eq!(scope["scope"]["name"], "logtrace");
        for s in scope["spans"].as_array().unwrap() {
            assert!(is_hex(&s["traceId"], 32) && is_hex(&s["spanId"], 16), "{s}");
            if let Some(p) = s.get("parentSpanId") {
                assert!(is_hex(p, 16), "{p}");
            }
            assert_eq!(s["kind"], 2);
            let code = s["status"]["code"].as_u64().unwrap();
            assert!(code == 0 || code == 2);
            let ns = |f: &str| -> i64 {
                let v = s[f]
                    .as_str()
                    .unwrap_or_else(|| panic!("{f} is not a string: {s}"));
                v.parse().unwrap()
            };
            let (start, end) = (ns("startTimeUnixNano"), ns("endTimeUnixNano"));
            assert!(end >= start && start > 1_000_000_000_000_000_000, "ns: {s}");
            let attrs = s["attributes"].as_array().unwrap();
            for a in attrs {
                let val = a["value"].as_object().unwrap();
                assert_eq!(val.len(), 1);
                if let Some(n) = val.get("intValue") {
                    assert!(n.as_str().unwrap().parse::<i64>().is_ok(), "{a}");
                }
            }
            spans.push(ReadSpan {
                trace: s["traceId"].as_str().unwrap().into(),
                id: s["spanId"].as_str().unwrap().into(),
                parent: s.get("parentSpanId").map(|p| p.as_str().unwrap().into()),
                service: service.clone(),
                operation: s["name"].as_str().unwrap().into(),
                start_us: start / 1_000,
                duration_us: (end - start) / 1_000,
                inferred: attrs.iter().any(|a| {
                    a["key"] == "logtrace.parent_inferred" && a["value"]["boolValue"] == true
                }),
                error: code == 2,
            });
        }
    }
    let mut sorted = services.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(services, sorted, "one resource per service, in name order");
    spans
}

/// Chrome trace events: complete events with non-negative times, every
/// process and lane named, and on a lane events nest or follow each other.
/// Returns the number of complete events and of processes.
fn check_chrome(v: &Value) -> (usize, usize) {
    assert_eq!(v["displayTimeUnit"], "ms");
    let events = v["traceEvents"].as_array().unwrap();
    let mut lanes: BTreeMap<(u64, u64), Vec<(f64, f64)>> = BTreeMap::new();
    let mut named_pids = BTreeSet::new();
    let mut named_tids = BTreeSet::new();
    let mut complete = 0;
    for e in events {
        let (pid, tid) = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
        match e["ph"].as_str().unwrap() {
            "X" => {
                complete += 1;
                let (ts, dur) = (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap());
                assert!(ts >= 0.0 && dur >= 0.0, "{e}");
                assert!(e["name"].is_string() && e["cat"].is_string());
                assert!(is_hex(&e["args"]["span_id"], 16));
                lanes.entry((pid, tid)).or_default().push((ts, ts + dur));
            }
            "M" => match e["name"].as_str().unwrap() {
                "process_name" => {
                    named_pids.insert(pid);
                }
                "thread_name" => {
                    named_tids.insert((pid, tid));
                }
                "process_sort_index" => {}
                other => panic!("unexpected metadata {other}"),
            },
            other => panic!("unexpected phase {other}"),
        }
    }
    for ((pid, tid), mut evs) in lanes {
        assert!(named_pids.contains(&pid) && named_tids.contains(&(pid, tid)));
        evs.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
        let mut open: Vec<f64> = Vec::new();
        for (s, e) in evs {
            while open.last().is_some_and(|&end| end <= s) {
                open.pop();
            }
            if let Some(&end) = open.last() {
                // Microseconds as f64: far from the first trace (years, in the
                // real samples) a child that ends with its parent may round a
                // few hundredths of a microsecond past it.
                assert!(
                    e <= end + 1e-6f64.max(end.abs() * 1e-15),
                    "pid {pid} tid {tid}: overlap without nesting"
                );
            }
            open.push(e);
        }
    }
    (complete, named_pids.len())
}

/// Folded stacks: `frames count` lines, sorted, distinct, positive counts,
/// frames in service/operation pairs. Returns the total (µs) and the lines.
fn check_folded(text: &str) -> (i64, usize) {
    let mut total = 0i64;
    let mut stacks = Vec::new();
    for line in text.lines() {
        let (stack, n) = line.rsplit_once(' ').unwrap();
        let n: i64 = n
            .parse()
            .unwrap_or_else(|_| panic!("bad count in {line:?}"));
        assert!(n > 0, "{line}");
        let frames: Vec<&str> = stack.split(';').collect();
        assert!(
            frames.len() % 2 == 0 && frames.iter().all(|f| !f.is_empty()),
            "{line}"
        );
        total += n;
        stacks.push(stack.to_string());
    }
    let mut sorted = stacks.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(stacks, sorted, "one line per stack, sorted");
    (total, stacks.len())
}

/// The sum of all spans' durations, µs.
fn span_micros(l: &Loaded) -> i64 {
    l.traces
        .traces
        .iter()
        .flat_map(|t| t.spans.iter().map(|s| s.duration_ns()))
        .sum::<i64>()
        / 1_000
}

/// The sum of the root spans' durations, µs.
fn root_micros(l: &Loaded) -> i64 {
    l.traces
        .traces
        .iter()
        .map(|t| t.spans[t.root as usize].duration_ns())
        .sum::<i64>()
        / 1_000
}

#[test]
fn jaeger_has_every_field_the_ui_reads_and_round_trips_to_the_truth() {
    let r = run();
    let v = r.json(Format::Jaeger);
    assert_eq!(v["data"].as_array().unwrap().len() as u64, r.truth.traces);
    let trees = check_trees(read_jaeger(&v));
    assert_eq!(trees.len() as u64, r.truth.traces);
    // µs since the epoch: inside the generated hour (give or take the skew).
    let (lo, hi) = (
        (r.truth.start.unix_ms - 5_000) * 1_000,
        (r.truth.end.unix_ms + 5_000) * 1_000,
    );
    for s in trees.values().flatten() {
        assert!((lo..hi).contains(&s.start_us), "{s:?}");
        assert!(s.duration_us < 60_000_000, "{s:?}");
    }
    assert_eq!(edges(&trees), r.truth_edges());
    assert_eq!(edges(&trees), r.stage_edges());
    assert_same_trees_as_the_stage(r, &trees);
}

#[test]
fn zipkin_has_every_field_and_round_trips_to_the_truth() {
    let r = run();
    let spans = read_zipkin(&r.json(Format::Zipkin));
    let failed: BTreeSet<&str> = spans
        .iter()
        .filter(|s| s.error)
        .map(|s| s.trace.as_str())
        .collect();
    assert_eq!(failed.len(), r.truth.failed_traces.len());
    let trees = check_trees(spans);
    assert_eq!(trees.len() as u64, r.truth.traces);
    assert_eq!(edges(&trees), r.truth_edges());
    assert_same_trees_as_the_stage(r, &trees);
}

#[test]
fn zipkin_times_are_the_stage_times_in_micros() {
    let r = run();
    let v = r.json(Format::Zipkin);
    let t = &r.traces.traces[0];
    let s0 = &v[0];
    assert_eq!(s0["timestamp"], t.spans[0].start_ns.div_euclid(1_000));
    assert_eq!(s0["duration"], (t.spans[0].duration_ns() + 500) / 1_000);
}

#[test]
fn otlp_ids_are_hex_times_are_nanosecond_strings_and_parents_resolve() {
    let r = run();
    let trees = check_trees(read_otlp(&r.json(Format::Otlp)));
    assert_eq!(trees.len() as u64, r.truth.traces);
    assert_eq!(edges(&trees), r.truth_edges());
    assert_same_trees_as_the_stage(r, &trees);
}

#[test]
fn chrome_has_complete_events_on_nesting_lanes_and_names_every_track() {
    let r = run();
    let (complete, processes) = check_chrome(&r.json(Format::Chrome));
    let spans: usize = r.traces.traces.iter().map(|t| t.spans.len()).sum();
    assert_eq!(complete, spans);
    assert_eq!(processes as u64, r.truth.traces);
}

#[test]
fn folded_stacks_add_up_to_the_root_spans() {
    let r = run();
    let text = String::from_utf8(r.render(Format::Folded)).unwrap();
    let (total, lines) = check_folded(&text);
    // The generated services call one another one after the other: the self
    // times add up to the root spans' time, each line rounded on its own,
    // but for payments' clock offset, estimated 0.5 ms inside the range its
    // calls allow: each of its 262 calls then overlaps inventory's by that much.
    let roots = root_micros(r);
    assert!(
        (total - roots).abs() <= lines as i64 + 262 * 500,
        "folded total {total} µs, root spans {roots} µs"
    );
    assert!(text.starts_with("edge;"), "{}", &text[..80.min(text.len())]);
}

#[test]
fn real_logs_export_to_valid_files_in_every_format() {
    let Some(dir) = common::realdata() else {
        return;
    };
    let l = load(&dir);
    if l.traces.traces.is_empty() {
        eprintln!("notice: no traces in the real-world samples; nothing to export");
        return;
    }
    for (name, spans) in [
        ("jaeger", read_jaeger(&l.json(Format::Jaeger))),
        ("zipkin", read_zipkin(&l.json(Format::Zipkin))),
        ("otlp", read_otlp(&l.json(Format::Otlp))),
    ] {
        let trees = check_trees(spans);
        assert_eq!(trees.len(), l.traces.traces.len(), "{name}");
        assert_same_trees_as_the_stage(&l, &trees);
    }
    let (complete, processes) = check_chrome(&l.json(Format::Chrome));
    assert_eq!(processes, l.traces.traces.len());
    assert_eq!(complete, l.export().span_count());
    let text = String::from_utf8(l.render(Format::Folded)).unwrap();
    let (total, lines) = check_folded(&text);
    // Parallel calls each count their own time, so the total lies between
    // the root spans' time and the time of all spans.
    let (roots, all) = (root_micros(&l), span_micros(&l));
    let slack = lines as i64;
    assert!(
        total + slack >= roots && total <= all + slack,
        "folded total {total} µs, root spans {roots} µs, all spans {all} µs"
    );
    eprintln!(
        "real logs: {} traces, {} spans, {lines} stacks",
        l.traces.traces.len(),
        l.export().span_count()
    );
}

// The binary: filters, stdout, errors, determinism.

fn cli(args: &[&str]) -> assert_cmd::assert::Assert {
    let dir = common::root().join("fixtures/incident");
    Command::cargo_bin("logtrace")
        .unwrap()
        .arg("export")
        .arg(&dir)
        .args(args)
        .assert()
}

fn cli_json(args: &[&str]) -> Value {
    let out = cli(args).success().get_output().stdout.clone();
    serde_json::from_slice(&out).unwrap()
}

/// The `logtrace.trace` ids (request ids here) of a Zipkin export's root spans.
fn zipkin_roots(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .filter(|s| s.get("parentId").is_none())
        .map(|s| s["tags"]["logtrace.trace"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn slowest_gives_the_slowest_traces() {
    let r = run();
    let v = cli_json(&["--to", "zipkin", "-o", "-", "--slowest", "3"]);
    let want: BTreeSet<String> = r
        .truth
        .slowest_traces
        .iter()
        .take(3)
        .map(|t| t.request_id.clone())
        .collect();
    assert_eq!(zipkin_roots(&v), want);
}

#[test]
fn failed_gives_only_the_failed_traces() {
    let r = run();
    let v = cli_json(&["--to", "zipkin", "-o", "-", "--failed"]);
    let want: BTreeSet<String> = r
        .truth
        .failed_traces
        .iter()
        .map(|t| t.request_id.clone())
        .collect();
    assert_eq!(zipkin_roots(&v), want);
}

#[test]
fn trace_gives_the_one_trace_under_any_of_its_ids() {
    let r = run();
    let t = &r.truth.slowest_traces[1];
    for id in [&t.trace_id, &t.request_id, &t.request_id[..10].to_string()] {
        let v = cli_json(&["--to", "jaeger", "-o", "-", "--trace", id]);
        let data = v["data"].as_array().unwrap();
        assert_eq!(data.len(), 1, "--trace {id}");
        // The logged trace id fits: it is the exported one.
        assert_eq!(data[0]["traceID"], t.trace_id.as_str());
    }
    cli(&["--to", "jaeger", "-o", "-", "--trace", "not-an-id-anywhere"])
        .code(1)
        .stderr(predicates::str::contains("no trace with id"));
}

#[test]
fn the_window_and_failed_combine() {
    let r = run();
    // The incident window: 12:25 to 12:35; inventory fails in it.
    let v = cli_json(&[
        "--to",
        "zipkin",
        "-o",
        "-",
        "--failed",
        "--since",
        "2024-03-01T12:25:00Z",
        "--until",
        "2024-03-01T12:35:00Z",
    ]);
    let got = zipkin_roots(&v);
    assert!(!got.is_empty());
    let all_failed: BTreeSet<String> = r
        .truth
        .failed_traces
        .iter()
        .map(|t| t.request_id.clone())
        .collect();
    assert!(got.is_subset(&all_failed));
    assert!(
        got.len() >= 40,
        "{} failed traces in the incident window",
        got.len()
    );
}

#[test]
fn writes_a_file_and_says_how_much() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("traces.json");
    cli(&["--to", "otlp", "-o", out.to_str().unwrap()])
        .success()
        .stderr(predicates::str::contains("exported 1200 of 1200 traces"));
    let v: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert!(v["resourceSpans"].as_array().is_some_and(|a| !a.is_empty()));
    cli(&[
        "--to",
        "otlp",
        "-o",
        tmp.path().join("no/such/dir/x.json").to_str().unwrap(),
    ])
    .code(2)
    .stderr(predicates::str::contains("cannot write"));
}

#[test]
fn filters_that_keep_nothing_write_a_valid_empty_file() {
    let v = cli_json(&["--to", "jaeger", "-o", "-", "--failed", "--until", "+1s"]);
    assert_eq!(v["data"].as_array().unwrap().len(), 0);
}

#[test]
fn output_is_byte_identical_whatever_the_thread_count() {
    for f in ["jaeger", "otlp", "zipkin", "chrome", "folded"] {
        let one = cli(&["--to", f, "-o", "-", "-j", "1"])
            .success()
            .get_output()
            .stdout
            .clone();
        let many = cli(&["--to", f, "-o", "-", "-j", "4"])
            .success()
            .get_output()
            .stdout
            .clone();
        assert!(one == many, "{f} differs between 1 and 4 threads");
        assert!(one.len() > 500, "{f}");
    }
}

#[test]
fn logs_without_ids_say_there_is_nothing_to_export() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("access.log"),
        "10.0.0.1 - - [01/Mar/2024:12:00:00 +0000] \"GET /a HTTP/1.1\" 200 12 \"-\" \"curl\"\n",
    )
    .unwrap();
    Command::cargo_bin("logtrace")
        .unwrap()
        .args([
            "export",
            tmp.path().to_str().unwrap(),
            "--to",
            "zipkin",
            "-o",
            "-",
        ])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicates::str::contains("no traces to export"));
}
