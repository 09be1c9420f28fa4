//! Traces -> the report's statistics ([`summary::Summary`]).
//!
//! Input: the ingested events and files, and the traces built from them,
//! all at once ([`summarize`]) or a part at a time ([`Analysis`]). Output:
//! the plain report model that `report.json`, the terminal summary, the
//! charts and `diff` all read.
//!
//! Each part's spans are kept as compact requests grouped by operation
//! ([`grouped`]: the [`Request`]s of [`requests`], 17 bytes each), and its
//! traces are counted by the sections that read whole traces ([`origins`]:
//! error origins and listed traces, [`chains`], [`deps`], link counts):
//! these are [`TraceFold`]s, made from a part and merged with the other
//! parts' in any order. Once every part is in, each section is computed in
//! its own module: [`stats`] (services, operations), [`timeline`],
//! [`incidents`], [`templates`], [`quality`] (input, window, data quality),
//! and the chains' critical-path shares. Traces are told apart by a key of
//! their content ([`order`]), not by their place in the run. Each section
//! is sorted in a total order, so the summary is the same on any number of
//! threads and whatever parts the traces came in.

pub mod chains;
pub mod deps;
pub mod grouped;
pub mod histogram;
pub mod incidents;
pub mod latency;
pub mod order;
pub mod origins;
mod parts;
pub mod quality;
pub mod requests;
pub mod stats;
pub mod summary;
pub mod templates;
pub mod timeline;

use crate::ingest::event::{Sym, Symbols};
use crate::ingest::Ingested;
use crate::trace::{Span, Trace, Traces};
pub use parts::Analysis;
use summary::Summary;

/// A span's duration as the logs give it: logged, or from its first to its
/// last line; `None` for a span of one instant without a logged duration
/// (a single line is a moment, not a duration of 0).
pub fn span_duration_ns(s: &Span) -> Option<i64> {
    let d = s.duration_ns();
    (s.timed || d > 0).then_some(d)
}

/// A trace's end-to-end duration as the logs give it; `None` when no span
/// logged a duration and all its lines carry one instant.
pub fn trace_duration_ns(t: &Trace) -> Option<i64> {
    let d = t.duration_ns();
    (d > 0 || t.spans.iter().any(|s| s.timed)).then_some(d)
}

/// What a placeholder span is called wherever a service or operation name
/// would go: a parent span id its children logged, with no line of its own.
pub const NOT_IN_LOGS: &str = "(not in logs)";

/// A span's service and operation as shown to a reader: [`NOT_IN_LOGS`] for
/// both of a placeholder, else the logged names (empty when none was logged).
pub fn span_names<'a>(s: &Span, symbols: &'a Symbols) -> (&'a str, &'a str) {
    if s.is_placeholder() {
        (NOT_IN_LOGS, NOT_IN_LOGS)
    } else {
        (symbols.get(s.service), symbols.get(s.operation))
    }
}

/// One request handled by one service (a span, traced or not): the unit of the
/// statistics. Built once from [`Traces`] so every statistic counts the same way.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Request {
    pub service: Sym,
    pub operation: Sym,
    pub start_ns: i64,
    pub end_ns: i64,
    pub status: u16,
    pub error: bool,
    /// It failed, but a caller it was waiting for did not: the failure was
    /// retried, or degraded around, before it reached the request the user
    /// saw ([`crate::trace::critical::recovered`]).
    pub recovered: bool,
    /// True for a trace's root span and for untraced requests: what the system was asked to do.
    pub entry: bool,
    /// Index of the trace in [`Traces::traces`], if traced.
    pub trace: Option<u32>,
    /// True when start and end come from a logged duration, not from first
    /// and last events (see [`Request::duration_ns`]).
    pub timed: bool,
}

impl Request {
    /// The logged duration; `None` when the extent came from first and last
    /// events. (Kept as a flag: the list holds millions of requests, and 40
    /// bytes each instead of 56 is less memory for every statistic to read.)
    pub fn duration_ns(&self) -> Option<i64> {
        self.timed
            .then(|| self.end_ns.saturating_sub(self.start_ns).max(0))
    }

    /// Client errors: HTTP 4xx.
    pub fn client_error(&self) -> bool {
        (400..500).contains(&self.status)
    }
}

/// How to analyse.
#[derive(Clone, Debug)]
pub struct AnalyzeOptions {
    /// How many slowest and failed traces to list.
    pub top: usize,
    /// Timeline bucket width; `None` picks a round width giving 60-300 buckets.
    pub bucket_seconds: Option<u64>,
    /// [`summarize`] adds the traces to its [`Analysis`] this many at a
    /// time, as a run that builds its traces a part at a time does; 0 adds
    /// them all at once. The summary is the same either way.
    pub traces_per_batch: usize,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            top: 10,
            bucket_seconds: None,
            traces_per_batch: 0,
        }
    }
}

/// Computes the report model: the traces added to an [`Analysis`] as one
/// part, or `traces_per_batch` traces at a time (the untraced spans spread
/// over the same number of parts).
pub fn summarize(input: &Ingested, traces: &Traces, opts: &AnalyzeOptions) -> Summary {
    let mut analysis = Analysis::new(input, opts);
    let per_part = match opts.traces_per_batch {
        0 => traces.traces.len().max(1),
        n => n,
    };
    let parts = traces.traces.len().div_ceil(per_part).max(1);
    let mut untraced = traces
        .untraced
        .chunks(traces.untraced.len().div_ceil(parts).max(1));
    let mut traced = traces.traces.chunks(per_part);
    for _ in 0..parts {
        let part = traced.next().unwrap_or_default();
        analysis.add(part, untraced.next().unwrap_or_default());
    }
    crate::timing::held("analysis parts", &analysis.held_bytes());
    let (ts, events, symbols) = (&traces.traces, &input.events, &input.symbols);
    analysis.finish(&quality::RunFacts::of(traces), |keys| {
        keys.iter()
            .map(|k| chains::find(ts, k, events, symbols))
            .collect()
    })
}

/// What a section keeps of some traces (counts, edges, shapes, the traces
/// it may list): made from one batch of traces, and merged with the other
/// batches' in any order to the same section.
pub trait TraceFold {
    /// Adds `other`'s traces.
    fn merge(&mut self, other: Self);
}

/// Adds `b` to `a` element by element (per-chunk counts merging).
fn add_into<T: Copy + std::ops::AddAssign>(a: &mut [T], b: &[T]) {
    a.iter_mut().zip(b).for_each(|(x, &y)| *x += y);
}

#[cfg(test)]
mod tests {
    use super::requests::build::*;
    use super::*;

    #[test]
    fn request_stays_small() {
        assert!(
            std::mem::size_of::<Request>() <= 40,
            "{}",
            std::mem::size_of::<Request>()
        );
    }

    #[test]
    fn summarize_fills_every_section_from_one_request_list() {
        let mut b = Builder::default();
        b.trace(
            "r1",
            &[
                s("edge", "GET /", None, 0, 100, 502),
                s("orders", "GET /o", Some(0), 10, 80, 503),
            ],
        );
        b.untraced(s("web", "GET /x", None, 500, 3, 404));
        let input = Ingested {
            symbols: b.symbols.clone(),
            ..Default::default()
        };
        let sum = summarize(&input, &b.traces, &AnalyzeOptions::default());
        assert_eq!(sum.schema_version, summary::SCHEMA_VERSION);
        let ops: Vec<(&str, u64, u64, u64)> = sum
            .operations
            .iter()
            .map(|o| (o.service.as_str(), o.count, o.errors, o.client_errors))
            .collect();
        assert_eq!(
            ops,
            vec![("edge", 1, 1, 0), ("orders", 1, 1, 0), ("web", 1, 0, 1)]
        );
        assert_eq!((sum.traces.count, sum.traces.with_errors), (1, 1));
        assert_eq!(sum.error_origins[0].service, "orders");
        assert_eq!(sum.chains[0].signature, "edge > orders");
        assert_eq!(sum.dependencies[0].calls, 1);
        assert_eq!(sum.window, summary::Window::default());
    }

    #[test]
    fn summarize_empty_input() {
        let sum = summarize(
            &Ingested::default(),
            &Traces::default(),
            &AnalyzeOptions::default(),
        );
        assert!(sum.services.is_empty() && sum.chains.is_empty());
        assert_eq!(sum.traces.count, 0);
    }
}
