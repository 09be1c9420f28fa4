//! Ingest and trace counts -> the report's `input`, `window` and `data_quality`.
//!
//! Input: the ingest's per-file reports and events, and [`Traces`] (their
//! links counted a part at a time, [`Links`], and the [`RunFacts`]). Output:
//! [`Input`] (files in input order, totals summed), [`Window`] (first and last
//! event time as logged, before any clock correction) and [`DataQuality`]
//! (what could not be correlated or read; how many parents rest on timing,
//! are ambiguous, follow from their parent or stand for a span nobody logged;
//! and the clock offsets found, by service name, file and window, with the
//! range the evidence allows).

use rayon::prelude::*;

use super::stats::name;
use super::summary::{ClockOffsetOut, DataQuality, Input, InputFile, InputProblem, Window};
use crate::ingest::discover::FileProblem;
use crate::ingest::event::{Event, Symbols};
use crate::ingest::time::format_rfc3339_ms;
use crate::ingest::FileReport;
use crate::trace::{ClockOffset, Link, Trace, Traces};

/// What was read, per file and in total, and what could not be.
pub fn input(files: &[FileReport], problems: &[FileProblem]) -> Input {
    let files: Vec<InputFile> = files
        .iter()
        .map(|f| InputFile {
            path: f.path.clone(),
            format: f.format.clone(),
            lines: f.counts.lines,
            events: f.counts.events,
            unparsed: f.counts.unparsed,
            skipped: f.skipped.clone(),
            problem: f.problem.clone(),
            changed: f.changed.clone(),
        })
        .collect();
    Input {
        lines: files.iter().map(|f| f.lines).sum(),
        events: files.iter().map(|f| f.events).sum(),
        unparsed: files.iter().map(|f| f.unparsed).sum(),
        files,
        problems: problems
            .iter()
            .map(|p| InputProblem {
                path: p.path.clone(),
                reason: p.reason.clone(),
            })
            .collect(),
        config_warnings: Vec::new(),
    }
}

/// Every input not read, or not read whole, with what happened: paths never
/// read, files skipped, damaged or changed while read. In input order,
/// paths never read first.
pub fn not_read_whole(input: &Input) -> Vec<(&str, &str)> {
    let files = input.files.iter().flat_map(|f| {
        [&f.skipped, &f.problem, &f.changed]
            .into_iter()
            .flatten()
            .map(move |why| (f.path.as_str(), why.as_str()))
    });
    input
        .problems
        .iter()
        .map(|p| (p.path.as_str(), p.reason.as_str()))
        .chain(files)
        .collect()
}

/// First and last event time; both `None` when no event has a time.
pub fn window(events: &[Event]) -> Window {
    let (lo, hi) = events
        .par_iter()
        .filter_map(Event::time)
        .fold(
            || (i64::MAX, i64::MIN),
            |(lo, hi), t| (lo.min(t), hi.max(t)),
        )
        .reduce(|| (i64::MAX, i64::MIN), |a, b| (a.0.min(b.0), a.1.max(b.1)));
    if lo > hi {
        return Window::default();
    }
    Window {
        start: Some(format_rfc3339_ms(lo)),
        end: Some(format_rfc3339_ms(hi)),
    }
}

/// What the data quality reads of the trace stage besides the traces:
/// counts over the whole run, and the clock offsets.
#[derive(Clone, Debug, Default)]
pub struct RunFacts {
    /// [`Traces::events_without_id`].
    pub events_without_id: u64,
    /// [`Traces::single_event_ids`].
    pub single_event_ids: u64,
    /// [`Traces::reused_ids`].
    pub reused_ids: u64,
    /// [`Traces::clock_offsets`].
    pub clock_offsets: Vec<ClockOffset>,
}

impl RunFacts {
    /// The facts `traces` holds.
    pub fn of(traces: &Traces) -> RunFacts {
        RunFacts {
            events_without_id: traces.events_without_id,
            single_event_ids: traces.single_event_ids,
            reused_ids: traces.reused_ids,
            clock_offsets: traces.clock_offsets.clone(),
        }
    }
}

/// What could not be correlated or read, and how sure the call trees are.
pub fn data_quality(input: &Input, traces: &Traces, symbols: &Symbols) -> DataQuality {
    let facts = RunFacts::of(traces);
    data_quality_with(input, &facts, Links::of(&traces.traces), symbols)
}

/// [`data_quality`] with the traces' links counted already (a run that
/// builds its traces a part at a time counts each part's links as it goes).
pub fn data_quality_with(
    input: &Input,
    traces: &RunFacts,
    links: Links,
    symbols: &Symbols,
) -> DataQuality {
    let time = |ns: i64| (ns != i64::MIN && ns != i64::MAX).then(|| format_rfc3339_ms(ns));
    let mut clock_offsets: Vec<ClockOffsetOut> = traces
        .clock_offsets
        .iter()
        .map(|c| ClockOffsetOut {
            service: name(symbols, c.service),
            offset_ms: c.offset_ms,
            confidence: c.confidence,
            file: c
                .file
                .and_then(|f| input.files.get(f as usize))
                .map(|f| f.path.clone()),
            from: time(c.from_ns),
            to: time(c.to_ns),
            low_ms: Some(c.low_ms),
            high_ms: Some(c.high_ms),
            samples: c.samples as u64,
            applied: c.applied,
        })
        .collect();
    // The trace stage lists them by service, file and window already; the
    // sort keeps that order (stable) and puts names in text order.
    clock_offsets.sort_by(|a, b| a.service.cmp(&b.service));
    DataQuality {
        events_without_id: traces.events_without_id,
        single_event_ids: traces.single_event_ids,
        single_service_traces: links.single_service,
        clock_offsets,
        unparsed_lines: input.unparsed,
        reused_ids: traces.reused_ids,
        // Known once the operations are counted (`stats`).
        folded_operations: 0,
        inferred_parents: links.inferred,
        ambiguous_parents: links.ambiguous,
        unplaced_spans: links.unplaced,
        async_links: links.follows,
        placeholder_parents: links.placeholders,
    }
}

/// How the spans of some traces hang together, counted.
#[derive(Clone, Copy, Debug, Default)]
pub struct Links {
    single_service: u64,
    inferred: u64,
    ambiguous: u64,
    unplaced: u64,
    follows: u64,
    placeholders: u64,
}

impl Links {
    /// The links of `traces`, counted in parallel.
    pub fn of(traces: &[Trace]) -> Links {
        traces
            .par_iter()
            .map(|t| {
                let mut c = Links {
                    single_service: u64::from(!t.multi_service()),
                    ..Links::default()
                };
                for s in &t.spans {
                    c.placeholders += u64::from(s.is_placeholder());
                    if s.parent.is_none() {
                        continue;
                    }
                    c.follows += u64::from(s.link == Link::FollowsFrom);
                    if s.inferred_parent {
                        c.inferred += 1;
                        // One candidate gives the most a timing guess may claim.
                        let sole = crate::trace::MAX_INFERRED_CONFIDENCE as f32;
                        c.ambiguous +=
                            u64::from(s.parent_confidence > 0.0 && s.parent_confidence < sole);
                        c.unplaced += u64::from(s.parent_confidence <= 0.0);
                    }
                }
                c
            })
            .reduce(Links::default, Links::sum)
    }

    /// The counts of both.
    pub fn sum(a: Links, b: Links) -> Links {
        Links {
            single_service: a.single_service + b.single_service,
            inferred: a.inferred + b.inferred,
            ambiguous: a.ambiguous + b.ambiguous,
            unplaced: a.unplaced + b.unplaced,
            follows: a.follows + b.follows,
            placeholders: a.placeholders + b.placeholders,
        }
    }
}

impl super::TraceFold for Links {
    fn merge(&mut self, other: Links) {
        *self = Links::sum(*self, other);
    }
}

#[cfg(test)]
mod tests {
    use super::super::requests::build::*;
    use super::*;
    use crate::trace::ClockOffset;

    #[test]
    fn window_ignores_untimed_events() {
        let ev = |t| Event {
            time_ns: t,
            ..Default::default()
        };
        let w = window(&[
            ev(Event::NO_TIME),
            ev(T0 + 5 * MS),
            ev(T0),
            ev(Event::NO_TIME),
        ]);
        assert_eq!(w.start.as_deref(), Some("2024-03-01T12:00:00.000Z"));
        assert_eq!(w.end.as_deref(), Some("2024-03-01T12:00:00.005Z"));
        assert_eq!(window(&[ev(Event::NO_TIME)]), Window::default());
        assert_eq!(window(&[]), Window::default());
    }

    #[test]
    fn quality_counts_and_offsets_by_service() {
        let mut b = Builder::default();
        b.trace("a", &[s("x", "o", None, 0, 5, 200)]);
        b.trace(
            "b",
            &[
                s("x", "o", None, 0, 5, 200),
                s("x", "p", Some(0), 1, 2, 200),
            ],
        );
        b.trace(
            "c",
            &[
                s("x", "o", None, 0, 5, 200),
                s("y", "p", Some(0), 1, 2, 200),
            ],
        );
        let (pay, db) = (b.sym("payments"), b.sym("db"));
        b.traces.events_without_id = 7;
        b.traces.single_event_ids = 3;
        b.traces.reused_ids = 1;
        for (service, offset_ms) in [(pay, 250.0), (db, -3.5)] {
            b.traces.clock_offsets.push(ClockOffset {
                service,
                file: None,
                from_ns: i64::MIN,
                to_ns: i64::MAX,
                offset_ms,
                low_ms: offset_ms - 1.0,
                high_ms: offset_ms + 1.0,
                confidence: 0.9,
                samples: 40,
                applied: true,
            });
        }
        let inp = Input {
            unparsed: 4,
            ..Default::default()
        };
        let q = data_quality(&inp, &b.traces, &b.symbols);
        assert_eq!(
            (
                q.events_without_id,
                q.single_event_ids,
                q.single_service_traces,
                q.unparsed_lines,
                q.reused_ids
            ),
            (7, 3, 2, 4, 1)
        );
        let offs: Vec<(&str, f64)> = q
            .clock_offsets
            .iter()
            .map(|c| (c.service.as_str(), c.offset_ms))
            .collect();
        assert_eq!(offs, vec![("db", -3.5), ("payments", 250.0)]);
        let pay = &q.clock_offsets[1];
        assert_eq!((pay.low_ms, pay.high_ms), (Some(249.0), Some(251.0)));
        assert_eq!((pay.from.as_deref(), pay.to.as_deref()), (None, None));
        assert_eq!(
            (pay.file.as_deref(), pay.samples, pay.applied),
            (None, 40, true)
        );
    }

    #[test]
    fn offsets_name_their_file_and_window() {
        let mut b = Builder::default();
        let pay = b.sym("payments");
        b.traces.clock_offsets.push(ClockOffset {
            service: pay,
            file: Some(1),
            from_ns: T0,
            to_ns: i64::MAX,
            offset_ms: 12.5,
            low_ms: 10.0,
            high_ms: 20.0,
            confidence: 0.4,
            samples: 3,
            applied: true,
        });
        let file = |path: &str| InputFile {
            path: path.into(),
            ..Default::default()
        };
        let inp = Input {
            files: vec![file("edge/access.log"), file("payments/app.log")],
            ..Default::default()
        };
        let c = &data_quality(&inp, &b.traces, &b.symbols).clock_offsets[0];
        assert_eq!(c.file.as_deref(), Some("payments/app.log"));
        assert_eq!(c.from.as_deref(), Some("2024-03-01T12:00:00.000Z"));
        assert_eq!(c.to, None);
    }

    /// One trace: a root; a call linked by ids; one inferred with one
    /// candidate, one among several, one with none; an async hop; a
    /// placeholder for a parent nobody logged.
    #[test]
    fn quality_counts_how_parents_were_found() {
        let mut b = Builder::default();
        let t = b.trace(
            "t",
            &[
                s("edge", "GET /", None, 0, 100, 200),
                s("api", "a", Some(0), 1, 50, 200),
                s("db", "q", Some(1), 2, 5, 200),
                s("db", "q", Some(1), 10, 5, 200),
                s("cache", "get", Some(0), 20, 5, 200),
                s("worker", "job", Some(1), 200, 5, 200),
                s("edge", "(placeholder)", Some(0), 60, 30, 200),
                s("mail", "send", Some(6), 61, 5, 200),
            ],
        );
        for (i, conf) in [(2, 1.0), (3, 0.6), (4, 0.0), (5, 1.0), (6, 1.0)] {
            t.spans[i].inferred_parent = true;
            t.spans[i].parent_confidence = conf;
        }
        t.spans[5].link = Link::FollowsFrom;
        t.spans[6].kind = crate::trace::SpanKind::Placeholder;
        let q = data_quality(&Input::default(), &b.traces, &b.symbols);
        assert_eq!(
            (
                q.inferred_parents,
                q.ambiguous_parents,
                q.unplaced_spans,
                q.async_links,
                q.placeholder_parents
            ),
            (5, 1, 1, 1, 1)
        );
    }
}
