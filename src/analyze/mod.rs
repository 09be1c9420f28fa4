//! Traces -> the report's statistics ([`summary::Summary`]).
//!
//! Input: the ingested events and files, and the traces built from them.
//! Output: the plain report model that `report.json`, the terminal summary,
//! the charts and `diff` all read.
//!
//! [`summarize`] keeps each span as a compact request ([`grouped`]: the
//! [`Request`]s of [`requests`], grouped by operation, 17 bytes each), then
//! computes each section in its own module: [`stats`]
//! (services, operations), [`chains`], [`deps`], [`origins`] (error origins,
//! listed traces), [`timeline`], [`incidents`], [`templates`] and [`quality`]
//! (input, window, data quality). Each section is sorted in a total order, so
//! the summary is the same on any number of threads.
//!
//! The sections counted over whole traces (listed traces and error origins,
//! chains, dependencies, link counts) are [`TraceFold`]s: made from a batch
//! of traces and merged with the other batches' in any order to the same
//! section, so they need not see every trace at once.

pub mod chains;
pub mod deps;
pub mod grouped;
pub mod histogram;
pub mod incidents;
pub mod latency;
pub mod order;
pub mod origins;
pub mod quality;
pub mod requests;
pub mod stats;
pub mod summary;
pub mod templates;
pub mod timeline;

use crate::ingest::event::{Sym, Symbols};
use crate::ingest::Ingested;
use crate::trace::{Span, Trace, Traces};
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
    /// Count whole traces this many at a time and merge the counts, as a
    /// run that builds its traces a part at a time does; 0 reads them all at
    /// once. The summary is the same either way.
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

/// Computes the report model.
pub fn summarize(input: &Ingested, traces: &Traces, opts: &AnalyzeOptions) -> Summary {
    let symbols = &input.symbols;
    use crate::timing::timed as t;
    let ts = &traces.traces;
    let per_batch = opts.traces_per_batch;
    // The sections that need no request list start at once, beside it.
    let ((grouped, failures), (listed, links)) = rayon::join(
        || {
            t(1, "requests", || {
                let mut grouped = grouped::Grouped::default();
                grouped.add(ts, &traces.untraced);
                (grouped, incidents::failures(ts))
            })
        },
        || {
            t(1, "trace lists", || {
                rayon::join(
                    || {
                        batched(ts, per_batch, |b| {
                            origins::Listed::of(b, &input.events, symbols, opts.top)
                        })
                    },
                    || batched(ts, per_batch, quality::Links::of),
                )
            })
        },
    );
    // Independent sections run side by side; each is parallel inside too.
    let (
        ((services, operations, folded), (chains, dependencies)),
        (templates, (timeline, incidents)),
    ) = rayon::join(
        || {
            rayon::join(
                || {
                    t(1, "stats", || {
                        stats::of_groups(&grouped, &input.events, symbols)
                    })
                },
                || {
                    rayon::join(
                        || {
                            t(1, "chains", || {
                                let events = &input.events;
                                batched(ts, per_batch, |b| chains::Shapes::of(b, events))
                                    .rank(symbols)
                                    .finish(symbols, |k| {
                                        let t = chains::find(ts, k, events, symbols)?;
                                        Some(chains::critical_shares(t))
                                    })
                            })
                        },
                        || {
                            t(1, "deps", || {
                                batched(ts, per_batch, deps::Edges::of).finish(symbols)
                            })
                        },
                    )
                },
            )
        },
        || {
            rayon::join(
                || t(1, "templates", || templates::group(&input.events, symbols)),
                || {
                    let placed = t(1, "placement", || {
                        timeline::Placement::of(&grouped, opts.bucket_seconds)
                    });
                    // Both read the placement only.
                    rayon::join(
                        || {
                            t(1, "timeline", || {
                                timeline::build_on(placed.as_ref(), symbols, opts.bucket_seconds)
                            })
                        },
                        || {
                            t(1, "incidents", || {
                                placed.as_ref().map_or_else(Vec::new, |p| {
                                    incidents::find_in(&grouped, &failures, p, symbols)
                                })
                            })
                        },
                    )
                },
            )
        },
    );
    let mut clock = crate::timing::Clock::nested(1);
    let mut input_section = quality::input(&input.files, &input.problems);
    input_section.config_warnings = input.config_warnings.clone();
    let error_origins = listed.error_origins(symbols);
    let trace_stats = listed.finish();
    let mut data_quality = quality::data_quality_with(&input_section, traces, links, symbols);
    data_quality.folded_operations = folded;
    let summary = Summary {
        schema_version: summary::SCHEMA_VERSION,
        window: quality::window(&input.events),
        input: input_section,
        services,
        operations,
        traces: trace_stats,
        error_origins,
        chains,
        dependencies,
        timeline,
        incidents,
        error_templates: templates,
        data_quality,
    };
    clock.lap("sections");
    summary
}

/// What a section keeps of some traces (counts, edges, shapes, the traces
/// it may list): made from one batch of traces, and merged with the other
/// batches' in any order to the same section.
pub trait TraceFold {
    /// Adds `other`'s traces.
    fn merge(&mut self, other: Self);
}

/// The fold of `traces` made `per_batch` traces at a time by `of` and
/// merged; all at once for 0.
pub fn batched<F: TraceFold>(traces: &[Trace], per_batch: usize, of: impl Fn(&[Trace]) -> F) -> F {
    let per_batch = if per_batch == 0 {
        traces.len().max(1)
    } else {
        per_batch
    };
    let mut batches = traces.chunks(per_batch);
    let mut all = of(batches.next().unwrap_or(&[]));
    for batch in batches {
        all.merge(of(batch));
    }
    all
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
