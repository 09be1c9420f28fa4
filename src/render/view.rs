//! The report as the renderers read it.
//!
//! Input: a [`Summary`] (the `report.json` contract, whose times are RFC 3339
//! text and whose traces are named by id) and the [`Traces`] with their
//! [`Symbols`]. Output: a [`View`] that holds them together with the typed
//! values every renderer needs: times as [`Time`] (UTC nanoseconds) and the
//! listed traces resolved to their index in [`Traces::traces`]. It is built
//! once per report, so no renderer parses a time or looks up a trace id of
//! its own. Text stays as the summary wrote it: renderers show it as is.
//!
//! A time that does not parse (a report edited by hand, or read back from an
//! older writer) is `None`, and every renderer skips it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use crate::analyze::summary::{Bucket, Summary, TraceRef};
use crate::ingest::event::Symbols;
use crate::trace::Traces;

/// An instant in the report: nanoseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub i64);

impl Time {
    /// An RFC 3339 time (surrounding blanks ignored); `None` when it is not one
    /// or falls outside the `i64` nanosecond range.
    pub fn parse(s: &str) -> Option<Time> {
        let t: jiff::Timestamp = s.trim().parse().ok()?;
        i64::try_from(t.as_nanosecond()).ok().map(Time)
    }

    /// Nanoseconds since the epoch.
    pub fn ns(self) -> i64 {
        self.0
    }

    /// Seconds since the epoch, as the charts' time axes count: whole seconds
    /// plus the fraction (both truncated toward zero, as RFC 3339 writes them).
    pub fn seconds(self) -> f64 {
        (self.0 / 1_000_000_000) as f64 + (self.0 % 1_000_000_000) as f64 / 1e9
    }

    /// Seconds since the epoch at millisecond precision, the precision the
    /// report writes times at; lengths of time shown to people use it.
    pub fn seconds_ms(self) -> f64 {
        (self.0 / 1_000_000) as f64 / 1000.0
    }
}

/// A start and an end that both parsed.
pub type Span = (Time, Time);

/// A timeline bucket with its start parsed.
#[derive(Clone, Copy, Debug)]
pub struct Dated<'a> {
    pub start: Time,
    pub bucket: &'a Bucket,
}

/// A trace the summary lists, with its start parsed and the trace it names.
#[derive(Clone, Copy, Debug)]
pub struct Listed<'a> {
    pub reference: &'a TraceRef,
    pub start: Option<Time>,
    /// Index into [`Traces::traces`]; `None` without traces or when no trace
    /// carries the id.
    pub trace: Option<usize>,
}

/// The report, typed for rendering. Build it with [`View::new`].
#[derive(Clone, Debug)]
pub struct View<'a> {
    pub summary: &'a Summary,
    pub traces: &'a Traces,
    pub symbols: &'a Symbols,
    /// The window the logs cover, when both ends parse.
    pub window: Option<Span>,
    /// The timeline's buckets whose start parses, in the summary's order.
    pub buckets: Vec<Dated<'a>>,
    /// Each service's timeline (as `summary.timeline.services`): the service
    /// name and its buckets whose start parses.
    pub service_buckets: Vec<(&'a str, Vec<Dated<'a>>)>,
    /// One entry per `summary.incidents`, in its order: its start and its
    /// end, each where it parses.
    pub incidents: Vec<(Option<Time>, Option<Time>)>,
    /// `summary.traces.slowest`, resolved.
    pub slowest: Vec<Listed<'a>>,
    /// `summary.traces.failed`, resolved.
    pub failed: Vec<Listed<'a>>,
}

impl<'a> View<'a> {
    /// Parses the summary's times and finds the traces it lists.
    pub fn new(summary: &'a Summary, traces: &'a Traces, symbols: &'a Symbols) -> View<'a> {
        let window = both(
            summary.window.start.as_deref(),
            summary.window.end.as_deref(),
        );
        let service_buckets = (summary.timeline.services.iter())
            .map(|t| (t.service.as_str(), dated(&t.buckets)))
            .collect();
        let incidents = (summary.incidents.iter())
            .map(|i| (Time::parse(&i.start), Time::parse(&i.end)))
            .collect();
        let (slowest, failed) = resolve(summary, traces, symbols);
        View {
            summary,
            traces,
            symbols,
            window,
            buckets: dated(&summary.timeline.buckets),
            service_buckets,
            incidents,
            slowest,
            failed,
        }
    }

    /// A view of a summary alone (read back from JSON, or in a test): no
    /// traces, so listed traces resolve to none.
    pub fn of_summary(summary: &'a Summary) -> View<'a> {
        static EMPTY: OnceLock<(Traces, Symbols)> = OnceLock::new();
        let (traces, symbols) = EMPTY.get_or_init(Default::default);
        View::new(summary, traces, symbols)
    }

    /// The incidents whose times parse, with their index in `summary.incidents`.
    pub fn incident_spans(&self) -> impl Iterator<Item = (usize, Span)> + '_ {
        (self.incidents.iter().enumerate()).filter_map(|(i, &(a, b))| Some((i, (a?, b?))))
    }

    /// The dated buckets of `service`'s timeline; empty when it has none.
    pub fn buckets_of(&self, service: &str) -> &[Dated<'a>] {
        (self.service_buckets.iter())
            .find(|(s, _)| *s == service)
            .map_or(&[], |(_, b)| b.as_slice())
    }
}

/// The buckets whose start parses, in their order.
pub fn dated(buckets: &[Bucket]) -> Vec<Dated<'_>> {
    (buckets.iter())
        .filter_map(|bucket| {
            Some(Dated {
                start: Time::parse(&bucket.start)?,
                bucket,
            })
        })
        .collect()
}

fn both(start: Option<&str>, end: Option<&str>) -> Option<Span> {
    Some((Time::parse(start?)?, Time::parse(end?)?))
}

/// The summary's slowest and failed traces with the trace each names.
fn resolve<'a>(
    summary: &'a Summary,
    traces: &Traces,
    symbols: &Symbols,
) -> (Vec<Listed<'a>>, Vec<Listed<'a>>) {
    let listed = &summary.traces;
    let traces = &traces.traces;
    // Only the ids the report names are looked up: a million traces need not be indexed.
    let wanted: BTreeSet<&str> = (listed.slowest.iter().chain(&listed.failed))
        .map(|r| r.id.as_str())
        .collect();
    let wanted: BTreeMap<_, &str> = (wanted.into_iter())
        .filter_map(|id| Some((symbols.lookup(id)?, id)))
        .collect();
    let mut by_id: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    if !wanted.is_empty() {
        for (i, t) in traces.iter().enumerate() {
            if let Some(&id) = wanted.get(&t.id) {
                by_id.entry(id).or_default().push(i);
            }
        }
    }
    // An id can name several traces (reused ids): prefer the one that
    // starts when the reference says, then the closest duration.
    let find = |r: &'a TraceRef| -> Listed<'a> {
        let start = Time::parse(&r.start);
        let trace = by_id.get(r.id.as_str()).and_then(|cands| {
            cands.iter().copied().min_by_key(|&i| {
                let t = &traces[i];
                let off = start.map_or(0, |s| (t.start_ns / 1_000_000 - s.ns() / 1_000_000).abs());
                let ms = crate::analyze::trace_duration_ns(t).map(|d| d as f64 / 1e6);
                let apart = match (ms, r.duration_ms) {
                    (Some(a), Some(b)) => ((a - b).abs() * 1000.0) as i64,
                    (None, None) => 0,
                    _ => i64::MAX,
                };
                (off, apart, i)
            })
        });
        Listed {
            reference: r,
            start,
            trace,
        }
    };
    (
        listed.slowest.iter().map(find).collect(),
        listed.failed.iter().map(find).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_once_to_nanoseconds() {
        let t = Time::parse("1970-01-01T00:00:01.500Z").unwrap();
        assert_eq!(t.ns(), 1_500_000_000);
        assert_eq!(t.seconds(), 1.5);
        assert_eq!(t.seconds_ms(), 1.5);
        assert_eq!(
            Time::parse(" 2024-03-05T12:00:00Z "),
            Time::parse("2024-03-05T12:00:00Z")
        );
        assert_eq!(Time::parse("nope"), None);
    }

    #[test]
    fn unparsable_times_are_left_out_not_zero() {
        let mut s = Summary::default();
        s.window.start = Some("2024-03-05T12:00:00Z".into());
        s.window.end = Some("later".into());
        s.timeline.buckets = vec![
            Bucket {
                start: "2024-03-05T12:00:00Z".into(),
                ..Bucket::default()
            },
            Bucket {
                start: "".into(),
                ..Bucket::default()
            },
        ];
        s.incidents = vec![Default::default()];
        s.traces.slowest = vec![TraceRef {
            id: "abc".into(),
            ..TraceRef::default()
        }];
        let v = View::of_summary(&s);
        assert_eq!(v.window, None);
        assert_eq!(v.buckets.len(), 1);
        assert_eq!(v.incidents, vec![(None, None)]);
        assert_eq!(v.incident_spans().count(), 0);
        assert_eq!((v.slowest[0].start, v.slowest[0].trace), (None, None));
        assert!(v.buckets_of("nobody").is_empty());
    }
}
