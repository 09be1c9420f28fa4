//! The statistics end to end: ingest -> traces -> summary, on the real Apache
//! sample (untraced requests) and on the generated incident against its
//! ground truth (`fixtures/incident.truth.json`).

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use logtrace::analyze::summary::Summary;
use logtrace::analyze::{summarize, AnalyzeOptions};
use logtrace::generate::Truth;
use logtrace::ingest::{ingest, IngestOptions, Ingested};
use logtrace::trace::{self, Span, TraceOptions, Traces};

fn read(paths: &[PathBuf]) -> Ingested {
    let opts = IngestOptions {
        keep_events: true,
        ..Default::default()
    };
    ingest(paths, &opts).unwrap()
}

fn apache() -> Option<Ingested> {
    let path = common::realdata()?.join("elastic-examples/apache_logs");
    Some(read(&[path]))
}

/// The untraced requests the trace stage's contract describes: one
/// single-event span per event with an HTTP status or a duration.
fn untraced(input: &Ingested) -> Traces {
    let untraced = input
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.status > 0 || e.duration().is_some())
        .map(|(i, e)| {
            let end = e.time().unwrap_or(0);
            let d = e.duration().map(|d| d.min(i64::MAX as u64) as i64);
            Span {
                service: e.service,
                operation: e.operation,
                span_id: e.span_id(),
                start_ns: end.saturating_sub(d.unwrap_or(0)),
                end_ns: end,
                timed: d.is_some(),
                status: e.status,
                error: e.is_error(),
                parent: None,
                inferred_parent: false,
                logged_parent: false,
                file: Some(e.source.file),
                depth: 0,
                link: Default::default(),
                kind: Default::default(),
                parent_confidence: 1.0,
                events: vec![i as u32].into(),
            }
        })
        .collect();
    Traces {
        untraced,
        ..Default::default()
    }
}

/// The checks that hold for the Elastic Apache sample however its requests
/// reach the statistics: 9,999 parsed lines (line 8,899 is cut mid-field),
/// 2xx 9,170 / 3xx 609 / 4xx 217 / 5xx 3.
fn check_apache(sum: &Summary) {
    assert_eq!(sum.input.lines, 10_000);
    assert_eq!(sum.input.events, 9_999);
    assert_eq!(sum.input.unparsed, 1);
    assert_eq!(sum.data_quality.unparsed_lines, 1);
    let count: u64 = sum.operations.iter().map(|o| o.count).sum();
    let errors: u64 = sum.operations.iter().map(|o| o.errors).sum();
    let client: u64 = sum.operations.iter().map(|o| o.client_errors).sum();
    assert_eq!((count, errors, client), (9_999, 3, 217));
    assert_eq!(count - errors - client, 9_170 + 609);
    assert_eq!(sum.services.len(), 1);
    let svc = &sum.services[0];
    assert_eq!(
        (svc.events, svc.spans, svc.errors, svc.client_errors),
        (9_999, 9_999, 3, 217)
    );
    assert!((svc.error_rate.unwrap() - 3.0 / 9_999.0).abs() < 1e-12);
    // A combined log has no request time: no latency (unknown, not 0), and no traces.
    assert_eq!(svc.latency_ms, None);
    assert!(sum.operations.iter().all(|o| o.latency_ms.is_none()));
    assert_eq!(sum.traces.count, 0);
    assert!(sum.chains.is_empty() && sum.dependencies.is_empty());
    // Operations are sorted by service, then name, and unique.
    let keys: Vec<(&str, &str)> = sum
        .operations
        .iter()
        .map(|o| (o.service.as_str(), o.name.as_str()))
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "operations not sorted"
    );
    assert_eq!(
        sum.window.start.as_deref(),
        Some("2015-05-17T10:05:00.000Z")
    );
    assert_eq!(sum.window.end.as_deref(), Some("2015-05-20T21:05:59.000Z"));
}

#[test]
fn apache_statistics_from_untraced_requests() {
    let Some(input) = apache() else { return };
    let sum = summarize(&input, &untraced(&input), &AnalyzeOptions::default());
    check_apache(&sum);
    // The same bytes on one thread.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let one = pool.install(|| summarize(&input, &untraced(&input), &AnalyzeOptions::default()));
    assert_eq!(
        serde_json::to_string(&sum).unwrap(),
        serde_json::to_string(&one).unwrap()
    );
}

#[test]
fn apache_statistics_through_the_trace_stage() {
    let Some(input) = apache() else { return };
    let traces = trace::build(&input.events, &input.symbols, &TraceOptions::default());
    check_apache(&summarize(&input, &traces, &AnalyzeOptions::default()));
}

/// The generated incident, analysed end to end, with its ground truth.
fn incident() -> (Summary, Truth) {
    let dir = common::root().join("fixtures/incident");
    let truth: Truth = serde_json::from_slice(
        &std::fs::read(common::root().join("fixtures/incident.truth.json")).unwrap(),
    )
    .unwrap();
    let input = read(&[dir]);
    let traces = trace::build(&input.events, &input.symbols, &TraceOptions::default());
    let sum = summarize(&input, &traces, &AnalyzeOptions::default());
    (sum, truth)
}

/// (service, operation) -> (count, errors, percentiles when every span was timed).
type OpRows = BTreeMap<(String, String), (u64, u64, Option<[f64; 6]>)>;

#[test]
fn incident_operations_match_the_truth() {
    let (sum, truth) = incident();
    // inventory's startup line `Started ... in 6412 ms` has a duration but is
    // not a request.
    let startup = (
        "inventory".to_owned(),
        "c.s.inventory.InventoryApplication".to_owned(),
    );
    // Per operation: count, errors (status >= 500) and every percentile,
    // exact wherever every span logged its duration.
    let mut want: OpRows = BTreeMap::new();
    for (svc, st) in &truth.services {
        for (op, o) in &st.operations {
            let l = &o.latency_ms;
            let p = [l.p50, l.p90, l.p95, l.p99, l.p999, l.max].map(|x| x as f64);
            want.insert((svc.clone(), op.clone()), (o.count, o.errors, Some(p)));
        }
    }
    let mut got: OpRows = sum
        .operations
        .iter()
        .filter(|o| truth.services.contains_key(&o.service))
        .map(|o| {
            let p = o
                .latency_ms
                .as_ref()
                .filter(|l| l.count == o.count)
                .map(|l| [l.p50, l.p90, l.p95, l.p99, l.p999, l.max]);
            ((o.service.clone(), o.name.clone()), (o.count, o.errors, p))
        })
        .collect();
    assert_eq!(
        got.remove(&startup),
        None,
        "a startup line is not a request"
    );
    assert_eq!(got, want);
    let pay = sum
        .operations
        .iter()
        .find(|o| o.service == "payments")
        .unwrap();
    assert_eq!(
        (pay.count, pay.latency_ms.as_ref().map_or(0, |l| l.count)),
        (262, 262),
        "failures log their duration too"
    );
    for s in &sum.services {
        if let Some(t) = truth.services.get(&s.name) {
            assert_eq!(
                (s.spans, s.errors),
                (t.all.count, t.all.errors),
                "{}",
                s.name
            );
            if let Some(l) = s.latency_ms.as_ref().filter(|l| l.count == t.all.count) {
                assert_eq!(l.p99, t.all.latency_ms.p99 as f64, "{}", s.name);
            }
        }
    }
}

#[test]
fn incident_traces_origins_and_dependencies_match_the_truth() {
    let (sum, truth) = incident();
    assert_eq!(sum.traces.count, truth.traces);
    assert_eq!(sum.traces.with_errors, truth.failed_traces.len() as u64);
    let origins: Vec<(&str, u64)> = sum
        .error_origins
        .iter()
        .map(|o| (o.service.as_str(), o.traces))
        .collect();
    let want: Vec<(&str, u64)> = truth
        .error_origins
        .iter()
        .map(|o| (o.service.as_str(), o.traces))
        .collect();
    assert_eq!(origins, want);
    // Dependency edges: none missing, none spurious, same call counts.
    let deps: Vec<(&str, &str, u64)> = sum
        .dependencies
        .iter()
        .map(|d| (d.caller.as_str(), d.callee.as_str(), d.calls))
        .collect();
    let mut want: Vec<(&str, &str, u64)> = truth
        .dependencies
        .iter()
        .map(|d| (d.caller.as_str(), d.callee.as_str(), d.calls))
        .collect();
    want.sort();
    assert_eq!(deps, want);
    // The slowest traces, by the id a user searches for (the request id).
    let top = sum.traces.slowest.len().min(truth.slowest_traces.len());
    let got: Vec<(&str, Option<f64>)> = sum.traces.slowest[..top]
        .iter()
        .map(|t| (t.id.as_str(), t.duration_ms))
        .collect();
    let want: Vec<(&str, Option<f64>)> = truth.slowest_traces[..top]
        .iter()
        .map(|t| (t.request_id.as_str(), Some(t.duration_ms as f64)))
        .collect();
    assert_eq!(got, want);
    // Every listed failed trace is a failed trace of the truth, origin included.
    let failed: BTreeMap<&str, &str> = truth
        .failed_traces
        .iter()
        .map(|f| (f.request_id.as_str(), f.origin.as_str()))
        .collect();
    for f in &sum.traces.failed {
        assert_eq!(
            failed.get(f.id.as_str()).copied(),
            f.error_origin.as_deref(),
            "{}",
            f.id
        );
    }
    // Every chain starts at the edge; their counts add up to the traces.
    assert!(sum
        .chains
        .iter()
        .all(|c| c.signature.starts_with("edge > ")));
    assert_eq!(
        sum.chains.iter().map(|c| c.count).sum::<u64>(),
        truth.traces
    );
}

/// Each request of the generated incident is logged as one line per service,
/// so its per-operation numbers can be checked before any trace is built:
/// counts and errors exactly, percentiles wherever every span logged its
/// duration (the truth's percentiles cover all spans, ours the logged ones).
#[test]
fn incident_logged_requests_match_the_truth_per_operation() {
    let dir = common::root().join("fixtures/incident");
    let truth: Truth = serde_json::from_slice(
        &std::fs::read(common::root().join("fixtures/incident.truth.json")).unwrap(),
    )
    .unwrap();
    let input = read(&[dir]);
    let sum = summarize(&input, &untraced(&input), &AnalyzeOptions::default());
    let mut compared = 0;
    for (svc, st) in &truth.services {
        for (op, want) in &st.operations {
            let got = sum
                .operations
                .iter()
                .find(|o| &o.service == svc && &o.name == op)
                .unwrap_or_else(|| panic!("{svc} {op} missing"));
            assert_eq!(
                (got.count, got.errors),
                (want.count, want.errors),
                "{svc} {op}"
            );
            if let Some(l) = got.latency_ms.as_ref().filter(|l| l.count == want.count) {
                let w = &want.latency_ms;
                assert_eq!(
                    [l.p50, l.p90, l.p95, l.p99, l.p999, l.max],
                    [w.p50, w.p90, w.p95, w.p99, w.p999, w.max].map(|x| x as f64),
                    "{svc} {op}"
                );
                compared += 1;
            }
        }
    }
    assert!(
        compared >= 10,
        "only {compared} operations had every duration"
    );
}

/// A run that builds its traces a part at a time counts them a batch at a
/// time: the summary must not change with where the batches are cut.
#[test]
fn the_summary_is_the_same_whichever_batches_the_traces_are_counted_in() {
    let input = read(&[common::root().join("fixtures/incident")]);
    let traces = trace::build(&input.events, &input.symbols, &TraceOptions::default());
    let json = |per_batch: usize, top: usize| {
        let opts = AnalyzeOptions {
            top,
            traces_per_batch: per_batch,
            ..Default::default()
        };
        serde_json::to_string(&summarize(&input, &traces, &opts)).unwrap()
    };
    for top in [1, 4, 10] {
        let whole = json(0, top);
        let sum: Summary = serde_json::from_str(&whole).unwrap();
        // Enough failed and timed traces that batches hold different
        // candidates, and more failed traces than are listed.
        assert!(
            sum.traces.with_errors > 2 * top as u64,
            "{}",
            sum.traces.with_errors
        );
        assert_eq!(sum.traces.failed.len(), top);
        assert!(!sum.dependencies.is_empty());
        for per_batch in [1, 3, 64, 1000] {
            assert!(
                json(per_batch, top) == whole,
                "top {top}, {per_batch} traces per batch"
            );
        }
    }
}
