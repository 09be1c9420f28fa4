//! The generated incident (`fixtures/incident`), ingested and built into traces,
//! checked against its truth (`fixtures/incident.truth.json`): trace count, failed traces and where each
//! failure started, the slowest traces, the payments host's clock offset, and
//! the caller -> callee service edges. The same checks run on larger folders
//! the generator writes with other seeds: at 17,000 requests, chance fits
//! that 1,200 requests never show are common enough to mislead a whole-run
//! estimate (a sibling taken for a caller gave a clock offset and a false edge).
//!
//! A service whose lines reach the trace stage without any correlation id cannot
//! be part of a trace: its calls are untraced requests, and a failure it started
//! shows at its caller. The test says so (eprintln) and checks that caller
//! instead, so it stays exact about everything the trace stage can know.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use logtrace::generate::{generate, GenOptions, Truth};
use logtrace::ingest::{ingest, IngestOptions};
use logtrace::trace::{build, TraceOptions, Traces};

mod common;

struct Run {
    truth: Truth,
    traces: Traces,
    symbols: logtrace::ingest::event::Symbols,
    /// Services that logged at least one correlation id.
    traced: BTreeSet<String>,
}

/// The checked-in fixture.
fn run() -> Run {
    let dir = common::root().join("fixtures/incident");
    let truth: Truth = serde_json::from_str(
        &std::fs::read_to_string(logtrace::generate::truth_path(&dir)).unwrap(),
    )
    .unwrap();
    run_on(&dir, truth)
}

/// A folder the generator writes for `seed`, of about `mb` megabytes.
fn generated(mb: u64, seed: u64) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let truth = generate(dir.path(), &GenOptions::of_size_mb(mb, seed)).unwrap();
    run_on(dir.path(), truth)
}

fn run_on(dir: &Path, truth: Truth) -> Run {
    let ing = ingest(
        &[dir.to_path_buf()],
        &IngestOptions {
            keep_events: true,
            ..Default::default()
        },
    )
    .unwrap();
    let traces = build(&ing.events, &ing.symbols, &TraceOptions::default());
    let traced: BTreeSet<String> = ing
        .events
        .iter()
        .filter(|e| e.request_id.is_some() || e.trace_id.is_some())
        .map(|e| ing.symbols.get(e.service).to_string())
        .collect();
    for s in truth.services.keys() {
        if !traced.contains(s) {
            eprintln!(
                "notice: {s} logged no correlation id the reader found; checked at its caller"
            );
        }
    }
    Run {
        truth,
        traces,
        symbols: ing.symbols,
        traced,
    }
}

impl Run {
    /// A truth service as the traces can see it: itself, or its caller when it is untraced.
    fn visible(&self, service: &str) -> String {
        let mut s = service.to_string();
        while !self.traced.contains(&s) {
            match self.truth.dependencies.iter().find(|d| d.callee == s) {
                Some(d) => s = d.caller.clone(),
                None => break,
            }
        }
        s
    }
    fn name(&self, sym: logtrace::ingest::event::Sym) -> &str {
        self.symbols.get(sym)
    }
}

#[test]
fn one_trace_per_request_with_the_right_failures_and_origins() {
    failures_and_origins(&run());
}

fn failures_and_origins(r: &Run) {
    assert_eq!(r.traces.traces.len() as u64, r.truth.traces);
    assert_eq!(r.traces.reused_ids, 0);
    let origin: BTreeMap<&str, String> = r
        .traces
        .traces
        .iter()
        .filter_map(|t| {
            let o = t.error_origin?;
            Some((
                r.name(t.id),
                r.name(t.spans[o as usize].service).to_string(),
            ))
        })
        .collect();
    let want: BTreeMap<&str, String> = r
        .truth
        .failed_traces
        .iter()
        .map(|f| (f.request_id.as_str(), r.visible(&f.origin)))
        .collect();
    assert_eq!(origin, want);
}

#[test]
fn the_slowest_traces_are_the_slowest_requests() {
    slowest(&run());
}

fn slowest(r: &Run) {
    let mut by_duration: Vec<(i64, &str)> = r
        .traces
        .traces
        .iter()
        .map(|t| (t.duration_ns(), r.name(t.id)))
        .collect();
    by_duration.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let got: Vec<(&str, i64)> = by_duration
        .iter()
        .take(r.truth.slowest_traces.len())
        .map(|&(d, id)| (id, d / 1_000_000))
        .collect();
    let want: Vec<(&str, i64)> = r
        .truth
        .slowest_traces
        .iter()
        .map(|t| (t.request_id.as_str(), t.duration_ms as i64))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn the_payments_clock_offset_is_found() {
    clock_offsets(&run());
}

fn clock_offsets(r: &Run) {
    for skew in &r.truth.clock_skew {
        let est = r
            .traces
            .clock_offsets
            .iter()
            .find(|o| r.name(o.service) == skew.service)
            .unwrap_or_else(|| panic!("no offset for {}", skew.service));
        eprintln!(
            "{}: estimated {} ms (truth {} ms), confidence {:.2}, {} pairs",
            skew.service, est.offset_ms, skew.offset_ms, est.confidence, est.samples
        );
        // Found from timing alone (no ids link payments to its caller): to
        // within 5 ms, inside its interval, and not claimed certain.
        let truth = skew.offset_ms as f64;
        assert!((est.offset_ms - truth).abs() <= 5.0);
        assert!(est.low_ms <= truth && truth <= est.high_ms, "{est:?}");
        assert!((0.2..0.9).contains(&est.confidence), "{est:?}");
        assert!(est.applied);
    }
    // Every other service with evidence runs on the reference clock.
    for o in &r.traces.clock_offsets {
        if !r
            .truth
            .clock_skew
            .iter()
            .any(|s| s.service == r.name(o.service))
        {
            assert!(
                o.offset_ms.abs() <= 5.0,
                "{}: {}",
                r.name(o.service),
                o.offset_ms
            );
        }
    }
}

#[test]
fn dependency_edges_match_without_missing_or_spurious() {
    dependency_edges(&run());
}

fn dependency_edges(r: &Run) {
    let mut got: BTreeMap<(String, String), u64> = BTreeMap::new();
    for t in &r.traces.traces {
        for s in t.spans.iter().filter(|s| !s.is_placeholder()) {
            // Through a placeholder (edge's span id, which the access log
            // does not show) to the service that made the call.
            let mut parent = s.parent.map(|p| &t.spans[p as usize]);
            while let Some(p) = parent.filter(|p| p.is_placeholder()) {
                parent = p.parent.map(|q| &t.spans[q as usize]);
            }
            if let Some(p) = parent {
                if p.service != s.service {
                    let k = (r.name(p.service).to_string(), r.name(s.service).to_string());
                    *got.entry(k).or_default() += 1;
                }
            }
        }
    }
    let want: BTreeMap<(String, String), u64> = r
        .truth
        .dependencies
        .iter()
        .filter(|d| r.traced.contains(&d.caller) && r.traced.contains(&d.callee))
        .map(|d| ((d.caller.clone(), d.callee.clone()), d.calls))
        .collect();
    // Same edges, and the same number of calls on each.
    assert_eq!(got, want);
}

#[test]
fn larger_generated_folders_pass_the_same_checks() {
    for seed in [1, 2, 3] {
        eprintln!("seed {seed}, 15 MB");
        let r = generated(15, seed);
        failures_and_origins(&r);
        slowest(&r);
        clock_offsets(&r);
        dependency_edges(&r);
    }
}
