//! Ingest and trace counts -> the report's `input`, `window` and `data_quality`.
//!
//! Input: the ingest's per-file reports and events, and [`Traces`]. Output:
//! [`Input`] (files in input order, totals summed), [`Window`] (first and last
//! event time as logged, before any clock correction) and [`DataQuality`]
//! (what could not be correlated or read, and the clock offsets found,
//! by service name).

use rayon::prelude::*;

use super::stats::name;
use super::summary::{ClockOffsetOut, DataQuality, Input, InputFile, InputProblem, Window};
use crate::ingest::discover::FileProblem;
use crate::ingest::event::{Event, Symbols};
use crate::ingest::time::format_rfc3339_ms;
use crate::ingest::FileReport;
use crate::trace::Traces;

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

/// What could not be correlated or read.
pub fn data_quality(input: &Input, traces: &Traces, symbols: &Symbols) -> DataQuality {
    let single_service_traces = traces
        .traces
        .par_iter()
        .filter(|t| !t.multi_service())
        .count() as u64;
    let mut clock_offsets: Vec<ClockOffsetOut> = traces
        .clock_offsets
        .iter()
        .map(|c| ClockOffsetOut {
            service: name(symbols, c.service),
            offset_ms: c.offset_ms,
            confidence: c.confidence,
        })
        .collect();
    clock_offsets.sort_by(|a, b| a.service.cmp(&b.service));
    DataQuality {
        events_without_id: traces.events_without_id,
        single_event_ids: traces.single_event_ids,
        single_service_traces,
        clock_offsets,
        unparsed_lines: input.unparsed,
        reused_ids: traces.reused_ids,
        // Known once the operations are counted (`stats`).
        folded_operations: 0,
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
    }
}
