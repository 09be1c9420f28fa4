//! Traces -> trace counts, error origins, and the traces worth opening.
//!
//! Input: [`Traces`]. Output: [`TraceStats`] and the [`OriginCount`] ranking.
//!
//! - `error_origins`: services ranked by the failed traces whose error origin
//!   (the deepest failure on the failing chain, [`Trace::error_origin`]) they hold; most
//!   traces first, then by service name.
//! - `slowest`: the `top` longest traces end to end, among the traces with a
//!   duration ([`super::trace_duration_ns`]); ties by id, then start.
//! - A trace failed when its root (the request the user saw) failed; see
//!   [`crate::trace::critical::error_origin`]. Failures that were retried or
//!   degraded around are not failed traces.
//! - `failed`: up to `top` failed traces, in two parts. First the earliest
//!   `ceil(top / 2)` failures in time (how it started), in time order; then
//!   the most severe of the other failures, most severe first. Severity, in
//!   order: the root span failed (rather than the top spans under a
//!   placeholder root); more failing spans (the failure spread further);
//!   longer end-to-end duration (a trace without one last); then earlier
//!   start and id for a total order.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;

use rayon::prelude::*;

use super::latency::ms;
use super::order::first_source;
use super::stats::name;
use super::summary::{OriginCount, TraceRef, TraceStats};
use super::trace_duration_ns;
use super::TraceFold;
use crate::ingest::event::{Event, SourceRef, Sym, Symbols};
use crate::ingest::time::format_rfc3339_ms;
use crate::trace::{Span, Trace, Traces};

/// Failed traces per origin service, ranked.
pub fn error_origins<'a>(
    traces: impl IntoIterator<Item = &'a Trace>,
    symbols: &Symbols,
) -> Vec<OriginCount> {
    ranked(&count_origins(traces), symbols)
}

/// Failed traces per origin service.
fn count_origins<'a>(traces: impl IntoIterator<Item = &'a Trace>) -> HashMap<Sym, u64> {
    let mut by: HashMap<Sym, u64> = HashMap::default();
    for s in traces.into_iter().filter_map(origin_service) {
        *by.entry(s).or_default() += 1;
    }
    by
}

/// Counts per origin service -> the ranking the module doc gives.
fn ranked(by: &HashMap<Sym, u64>, symbols: &Symbols) -> Vec<OriginCount> {
    let mut named: BTreeMap<String, u64> = BTreeMap::new();
    for (&s, &n) in by {
        *named.entry(name(symbols, s)).or_default() += n;
    }
    let mut out: Vec<OriginCount> = named
        .into_iter()
        .map(|(service, traces)| OriginCount { service, traces })
        .collect();
    out.sort_by(|a, b| {
        b.traces
            .cmp(&a.traces)
            .then_with(|| a.service.cmp(&b.service))
    });
    out
}

fn origin_service(t: &Trace) -> Option<Sym> {
    t.error_origin
        .and_then(|i| t.spans.get(i as usize))
        .map(|s| s.service)
}

/// The distinct services of a trace, by symbol.
fn services(t: &Trace) -> Vec<Sym> {
    let mut v: Vec<Sym> = t.spans.iter().map(|s| s.service).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// How a trace is named in the report.
pub fn trace_ref(t: &Trace, symbols: &Symbols) -> TraceRef {
    let root = t.spans.get(t.root as usize).map(|s| {
        let svc = name(symbols, s.service);
        if s.operation.is_none() {
            svc
        } else {
            format!("{svc} {}", symbols.get(s.operation))
        }
    });
    let mut services: Vec<String> = services(t).into_iter().map(|s| name(symbols, s)).collect();
    services.sort();
    TraceRef {
        id: symbols.get(t.id).to_owned(),
        start: format_rfc3339_ms(t.start_ns),
        duration_ms: trace_duration_ns(t).map(ms),
        root: root.unwrap_or_default(),
        services,
        error_origin: origin_service(t).map(|s| name(symbols, s)),
    }
}

/// Counts and the listed traces.
pub fn trace_stats(traces: &Traces, symbols: &Symbols, top: usize) -> TraceStats {
    Listed::of(&traces.traces, &[], symbols, top).finish()
}

/// What some traces add to [`TraceStats`] and to the error origins: their
/// counts, and the traces of theirs that could be listed. Batches of traces
/// merge in any order to the same statistics as all the traces at once.
#[derive(Clone, Debug, Default)]
pub struct Listed {
    top: usize,
    count: u64,
    with_errors: u64,
    multi_service: u64,
    origins: HashMap<Sym, u64>,
    /// The `top` slowest, slowest first.
    slowest: Vec<Candidate<SlowKey>>,
    /// The earliest `ceil(top / 2)` failures, earliest first.
    earliest: Vec<Candidate<TimeKey>>,
    /// The `top` most severe failures, most severe first: enough to list
    /// the most severe of those that are not among the earliest overall.
    severe: Vec<Candidate<SevereKey>>,
}

/// Where the trace's first span was first logged: what orders traces that
/// start at once under one id ([`super::order`]).
type First = Option<SourceRef>;
/// Longest first, then by id, start and first event.
type SlowKey = (Reverse<i64>, String, i64, First);
/// Earliest first, then by id and first event.
type TimeKey = (i64, String, First);
/// Most severe first (see [`severity`]), then earliest, by id and first event.
type SevereKey = (Reverse<(bool, usize, Option<i64>)>, i64, String, First);

/// A trace that may be listed: its place in a list's order, how the report
/// names it, and the trace itself (a run in parts keeps no other copy of
/// it to draw). The key ends with the trace's start, id and first event
/// in some order, so no two keys are equal.
#[derive(Clone, Debug)]
struct Candidate<K> {
    key: K,
    trace: TraceRef,
    kept: Trace,
}

impl Listed {
    /// The counts and candidates of `traces`, whose event indices point
    /// into `events`.
    pub fn of(traces: &[Trace], events: &[Event], symbols: &Symbols, top: usize) -> Listed {
        let (with_errors, multi_service) = traces
            .par_iter()
            .map(|t| (u64::from(t.failed()), u64::from(t.multi_service())))
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        let id = |t: &Trace| symbols.get(t.id);
        let first = |t: &Trace| first_source(t, events);

        // The top-th longest duration, found among plain numbers; only traces at
        // least that long are then ordered with their ids (ties are common).
        // A trace without a duration is not slow, it is unmeasured.
        let mut durations: Vec<i64> = traces.par_iter().filter_map(trace_duration_ns).collect();
        let cut = match top {
            0 => i64::MAX,
            _ if durations.len() <= top => i64::MIN,
            _ => *durations.select_nth_unstable_by(top - 1, |a, b| b.cmp(a)).1,
        };
        drop(durations);
        let mut slowest: Vec<_> = traces
            .par_iter()
            .filter(|t| trace_duration_ns(t).is_some_and(|d| d >= cut))
            .map(|t| ((Reverse(t.duration_ns()), id(t), t.start_ns, first(t)), t))
            .collect();
        first_n(&mut slowest, top);
        let slowest = slowest
            .into_iter()
            .map(|((d, id, s, f), t)| ((d, id.to_owned(), s, f), t));

        let failed: Vec<&Trace> = traces.iter().filter(|t| t.failed()).collect();
        let mut earliest: Vec<_> = failed
            .iter()
            .map(|&t| ((t.start_ns, id(t), first(t)), t))
            .collect();
        first_n(&mut earliest, top.div_ceil(2));
        let earliest = earliest
            .into_iter()
            .map(|((s, id, f), t)| ((s, id.to_owned(), f), t));
        let mut severe: Vec<_> = failed
            .iter()
            .map(|&t| ((Reverse(severity(t)), t.start_ns, id(t), first(t)), t))
            .collect();
        first_n(&mut severe, top);
        let severe = severe
            .into_iter()
            .map(|((v, s, id, f), t)| ((v, s, id.to_owned(), f), t));

        Listed {
            top,
            count: traces.len() as u64,
            with_errors,
            multi_service,
            origins: count_origins(failed.iter().copied()),
            slowest: candidates(slowest, symbols),
            earliest: candidates(earliest, symbols),
            severe: candidates(severe, symbols),
        }
    }

    /// The failed traces per origin service, ranked.
    pub fn error_origins(&self, symbols: &Symbols) -> Vec<OriginCount> {
        ranked(&self.origins, symbols)
    }

    /// Which severe candidates the failed list shows after the earliest:
    /// those not among the earliest, up to `top` in all.
    fn severe_listed(&self) -> impl Iterator<Item = &Candidate<SevereKey>> {
        let more = self.top - self.earliest.len();
        self.severe
            .iter()
            .filter(|c| {
                let (_, start, id, first) = &c.key;
                !self
                    .earliest
                    .iter()
                    .any(|e| e.key == (*start, id.clone(), *first))
            })
            .take(more)
    }

    /// The traces [`Listed::finish`] lists (slowest and failed, each once),
    /// in the run's order: what a view of the report needs of the traces.
    pub fn traces(&self) -> Vec<Trace> {
        let mut out: Vec<(i64, &str, First, &Trace)> = Vec::new();
        let slowest = self
            .slowest
            .iter()
            .map(|c| (c.key.2, &c.key.1, c.key.3, &c.kept));
        let earliest = self
            .earliest
            .iter()
            .map(|c| (c.key.0, &c.key.1, c.key.2, &c.kept));
        let severe = self
            .severe_listed()
            .map(|c| (c.key.1, &c.key.2, c.key.3, &c.kept));
        for (start, id, first, t) in slowest.chain(earliest).chain(severe) {
            out.push((start, id.as_str(), first, t));
        }
        out.sort_unstable_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
        out.dedup_by(|a, b| (a.0, a.1, a.2) == (b.0, b.1, b.2));
        out.into_iter().map(|(.., t)| t.clone()).collect()
    }

    /// Bytes held by the copies of the candidates' traces (and their spans).
    pub fn held_bytes(&self) -> usize {
        use std::mem::size_of;
        let size = |t: &Trace| size_of::<Trace>() + t.spans.capacity() * size_of::<Span>();
        let slowest = self.slowest.iter().map(|c| size(&c.kept));
        let earliest = self.earliest.iter().map(|c| size(&c.kept));
        slowest
            .chain(earliest)
            .chain(self.severe.iter().map(|c| size(&c.kept)))
            .sum()
    }

    /// The counts and the listed traces (see the module doc).
    pub fn finish(self) -> TraceStats {
        let severe: Vec<TraceRef> = self.severe_listed().map(|c| c.trace.clone()).collect();
        TraceStats {
            count: self.count,
            with_errors: self.with_errors,
            multi_service: self.multi_service,
            slowest: self.slowest.into_iter().map(|c| c.trace).collect(),
            failed: self
                .earliest
                .into_iter()
                .map(|c| c.trace)
                .chain(severe)
                .collect(),
        }
    }
}

/// Keeps the `n` first of `v` by key, in key order.
fn first_n<K: Ord, T>(v: &mut Vec<(K, T)>, n: usize) {
    if n == 0 {
        v.clear();
        return;
    }
    if v.len() > n {
        v.select_nth_unstable_by(n - 1, |a, b| a.0.cmp(&b.0));
        v.truncate(n);
    }
    v.sort_unstable_by(|a, b| a.0.cmp(&b.0));
}

/// Traces with their keys -> candidates named as the report names them.
fn candidates<'a, K>(
    keyed: impl Iterator<Item = (K, &'a Trace)>,
    symbols: &Symbols,
) -> Vec<Candidate<K>> {
    keyed
        .map(|(key, t)| Candidate {
            key,
            trace: trace_ref(t, symbols),
            kept: t.clone(),
        })
        .collect()
}

/// The `n` first of two lists sorted by key, in key order.
fn merge_top<K: Ord>(a: &mut Vec<Candidate<K>>, b: Vec<Candidate<K>>, n: usize) {
    a.extend(b);
    a.sort_unstable_by(|x, y| x.key.cmp(&y.key));
    a.truncate(n);
}

/// Larger is more severe (see the module doc).
fn severity(t: &Trace) -> (bool, usize, Option<i64>) {
    let root_failed = t.spans.get(t.root as usize).is_some_and(|s| s.error);
    let failing = t.spans.iter().filter(|s| s.error).count();
    (root_failed, failing, trace_duration_ns(t))
}

/// Both made with the same `top`.
impl TraceFold for Listed {
    fn merge(&mut self, other: Listed) {
        self.count += other.count;
        self.with_errors += other.with_errors;
        self.multi_service += other.multi_service;
        for (s, n) in other.origins {
            *self.origins.entry(s).or_default() += n;
        }
        merge_top(&mut self.slowest, other.slowest, self.top);
        merge_top(&mut self.earliest, other.earliest, self.top.div_ceil(2));
        merge_top(&mut self.severe, other.severe, self.top);
    }
}

#[cfg(test)]
mod tests {
    use super::super::requests::build::*;
    use super::*;

    /// edge > orders > inventory, failing where `fail` says, lasting `dur` ms.
    fn add(b: &mut Builder, id: &str, start: i64, dur: i64, fail: [bool; 3]) {
        let st = |f: bool| if f { 503 } else { 200 };
        b.trace(
            id,
            &[
                s("edge", "GET /api/orders", None, start, dur, st(fail[0])),
                s(
                    "orders",
                    "GET /orders",
                    Some(0),
                    start + 1,
                    dur - 2,
                    st(fail[1]),
                ),
                s(
                    "inventory",
                    "GET /stock",
                    Some(1),
                    start + 2,
                    dur - 4,
                    st(fail[2]),
                ),
            ],
        );
    }

    #[test]
    fn origins_ranked_by_traces_then_name() {
        let mut b = Builder::default();
        add(&mut b, "a", 0, 10, [true, true, true]); // inventory
        add(&mut b, "b", 100, 10, [true, true, false]); // orders
                                                        // Orders answered in spite of inventory's failure: the chain stops at the edge.
        add(&mut b, "c", 200, 10, [true, false, true]); // edge
        add(&mut b, "d", 300, 10, [true, false, false]); // edge
        add(&mut b, "e", 400, 10, [false, false, false]);
        add(&mut b, "f", 500, 10, [false, true, true]); // recovered: not failed
        let o = error_origins(&b.traces.traces, &b.symbols);
        let got: Vec<(&str, u64)> = o.iter().map(|o| (o.service.as_str(), o.traces)).collect();
        assert_eq!(got, vec![("edge", 2), ("inventory", 1), ("orders", 1)]);
    }

    #[test]
    fn counts_and_trace_refs() {
        let mut b = Builder::default();
        add(&mut b, "req-1", 0, 40, [true, true, true]);
        b.trace("req-2", &[s("web", "", None, 50, 5, 200)]);
        let st = trace_stats(&b.traces, &b.symbols, 10);
        assert_eq!((st.count, st.with_errors, st.multi_service), (2, 1, 1));
        assert_eq!(
            st.slowest[0],
            TraceRef {
                id: "req-1".into(),
                start: "2024-03-01T12:00:00.000Z".into(),
                duration_ms: Some(40.0),
                root: "edge GET /api/orders".into(),
                services: vec!["edge".into(), "inventory".into(), "orders".into()],
                error_origin: Some("inventory".into()),
            }
        );
        assert_eq!(st.slowest[1].root, "web");
        assert_eq!(st.slowest[1].error_origin, None);
        assert_eq!(st.failed.len(), 1);
    }

    #[test]
    fn a_trace_of_one_untimed_line_has_no_duration_and_is_not_slowest() {
        let mut b = Builder::default();
        add(&mut b, "timed", 0, 40, [false; 3]);
        // One error line naming a request id: a failed trace of one instant.
        let mut line = s("worker", "", None, 100, 0, 500);
        line.timed = false;
        b.trace("one-line", &[line]);
        // Two untimed lines 30 ms apart: a duration from first to last line.
        let mut two = s("worker", "", None, 100, 30, 500);
        two.timed = false;
        b.trace("two-lines", &[two]);
        let st = trace_stats(&b.traces, &b.symbols, 10);
        let slowest: Vec<(&str, Option<f64>)> = st
            .slowest
            .iter()
            .map(|t| (t.id.as_str(), t.duration_ms))
            .collect();
        assert_eq!(
            slowest,
            vec![("timed", Some(40.0)), ("two-lines", Some(30.0))]
        );
        let failed: Vec<(&str, Option<f64>)> = st
            .failed
            .iter()
            .map(|t| (t.id.as_str(), t.duration_ms))
            .collect();
        assert_eq!(failed, vec![("one-line", None), ("two-lines", Some(30.0))]);
    }

    #[test]
    fn slowest_top_n_with_ties_by_id() {
        let mut b = Builder::default();
        for (id, dur) in [
            ("e", 30),
            ("b", 50),
            ("d", 50),
            ("a", 10),
            ("c", 50),
            ("f", 40),
        ] {
            add(&mut b, id, 0, dur, [false; 3]);
        }
        let st = trace_stats(&b.traces, &b.symbols, 4);
        let ids: Vec<&str> = st.slowest.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, vec!["b", "c", "d", "f"]);
        let st = trace_stats(&b.traces, &b.symbols, 0);
        assert!(st.slowest.is_empty() && st.failed.is_empty());
        let st = trace_stats(&b.traces, &b.symbols, 100);
        assert_eq!(st.slowest.len(), 6);
    }

    #[test]
    fn failed_lists_the_first_then_the_most_severe() {
        let mut b = Builder::default();
        add(&mut b, "t1", 100, 10, [false, false, true]); // recovered: not failed
        add(&mut b, "t2", 200, 10, [true, false, false]);
        add(&mut b, "t3", 300, 10, [true, false, true]); // 2 failing
        add(&mut b, "t4", 400, 90, [true, false, true]); // 2 failing, slow
        add(&mut b, "t5", 500, 10, [true, true, true]); // 3 failing
        add(&mut b, "t6", 600, 10, [true, false, false]);
        add(&mut b, "ok", 50, 10, [false; 3]);
        let ids = |top| -> Vec<String> {
            trace_stats(&b.traces, &b.symbols, top)
                .failed
                .into_iter()
                .map(|t| t.id)
                .collect()
        };
        // top 4: the first two in time, then t5 (3 failing) and t4 (2, slow).
        assert_eq!(ids(4), vec!["t2", "t3", "t5", "t4"]);
        // top 5: t2..t4 first, then t5, t6.
        assert_eq!(ids(5), vec!["t2", "t3", "t4", "t5", "t6"]);
        assert_eq!(ids(1), vec!["t2"]);
        assert_eq!(ids(20).len(), 5);
    }

    #[test]
    fn batches_of_traces_merge_to_the_same_lists_and_counts() {
        let mut b = Builder::default();
        // The most severe failures come first in time: a batch's most
        // severe are then the run's earliest, and the list needs the next.
        add(&mut b, "a", 100, 90, [true, true, true]);
        add(&mut b, "b", 200, 80, [true, true, true]);
        add(&mut b, "c", 300, 70, [true, true, false]);
        add(&mut b, "d", 400, 60, [true, false, false]);
        add(&mut b, "e", 500, 50, [true, false, false]);
        add(&mut b, "f", 600, 99, [false; 3]);
        add(&mut b, "g", 700, 10, [true, false, true]);
        let ts = &b.traces.traces;
        for top in 0..8 {
            let whole = trace_stats(&b.traces, &b.symbols, top);
            let origins = error_origins(ts, &b.symbols);
            for size in 1..ts.len() {
                let mut parts = ts.chunks(size).map(|c| Listed::of(c, &[], &b.symbols, top));
                let mut all = parts.next().unwrap();
                // Merged last to first: the order of merging does not matter.
                for p in parts.collect::<Vec<_>>().into_iter().rev() {
                    all.merge(p);
                }
                assert_eq!(
                    all.error_origins(&b.symbols),
                    origins,
                    "top {top}, size {size}"
                );
                assert_eq!(all.finish(), whole, "top {top}, size {size}");
            }
        }
    }
}
