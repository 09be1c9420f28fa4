//! Traces -> service dependencies: who calls whom, how often, how well.
//!
//! Input: [`Traces`]. Output: [`Dependency`] edges sorted by caller, then
//! callee. An edge is a span whose parent span belongs to another service:
//! caller = the parent's service, callee = the span's service. Per edge:
//! `calls` (such spans; a placeholder for a call nobody logged is looked
//! through to the service above it), `errors` (those that failed) and `latency_ms` of the
//! callee spans with a logged duration, `None` when none has one (the same
//! rule as the per-operation latency, so both agree on one span), and
//! `confidence`, the mean of its calls' links' confidences (1 where logged
//! ids name the caller; through a placeholder the lowest link). Calls
//! inside one service are not dependencies. Traces are scanned in parallel,
//! and may come in batches ([`Edges`]); the merged counts and the sorted
//! samples depend neither on the thread count nor on how the traces were cut.

use rustc_hash::FxHashMap as HashMap;

use rayon::prelude::*;

use super::latency::latency;
use super::requests::request;
use super::stats::{name, Acc};
use super::summary::Dependency;
use super::TraceFold;
use crate::concat::Blocks;
use crate::ingest::event::{Sym, Symbols};
use crate::trace::{Trace, Traces};

/// The dependency edges of all traces.
pub fn dependencies(traces: &Traces, symbols: &Symbols) -> Vec<Dependency> {
    Edges::of(&traces.traces).finish(symbols)
}

/// The edges of some traces, counted: what a batch of traces adds to the
/// dependencies. Batches merge in any order to the same edges.
#[derive(Default)]
pub struct Edges(HashMap<(Sym, Sym), Edge>);

impl Edges {
    /// The edges of `traces`, scanned in parallel; each edge's durations
    /// are one block of exact size.
    pub fn of(traces: &[Trace]) -> Edges {
        let mut edges = traces
            .par_iter()
            .fold(Edges::default, |mut m, t| {
                m.add(t);
                m
            })
            .reduce(Edges::default, |mut a, b| {
                a.merge(b);
                a
            });
        for e in edges.0.values_mut() {
            let samples = std::mem::take(&mut e.acc.samples);
            e.kept.push(samples);
        }
        edges
    }

    fn add(&mut self, t: &Trace) {
        for s in t.spans.iter().filter(|s| !s.is_placeholder()) {
            // A placeholder (a call nobody logged) stands between a
            // span and its caller: the caller is the service above it.
            // The call is inferred when any link on the way is.
            let mut inferred = s.inferred_parent;
            let mut sure = link_confidence(s);
            let mut parent = s.parent.and_then(|p| t.spans.get(p as usize));
            for _ in 0..t.spans.len() {
                match parent {
                    Some(p) if p.is_placeholder() => {
                        inferred |= p.inferred_parent;
                        sure = sure.min(link_confidence(p));
                        parent = p.parent.and_then(|q| t.spans.get(q as usize));
                    }
                    _ => break,
                }
            }
            let Some(parent) = parent.filter(|p| !p.is_placeholder()) else {
                continue;
            };
            if parent.service == s.service {
                continue;
            }
            let e = self.0.entry((parent.service, s.service)).or_default();
            e.inferred += u64::from(inferred);
            e.sure += sure;
            e.acc.add(&request(s, false, None));
        }
    }

    /// Bytes held: the calls' logged durations.
    pub fn held_bytes(&self) -> usize {
        (self.0.values())
            .map(|e| e.acc.samples.capacity() * std::mem::size_of::<i64>() + e.kept.held_bytes())
            .sum()
    }

    /// The report's edges, by caller, then callee.
    pub fn finish(self, symbols: &Symbols) -> Vec<Dependency> {
        let mut out: Vec<((String, String), Edge)> = self
            .0
            .into_iter()
            .map(|((c, d), acc)| ((name(symbols, c), name(symbols, d)), acc))
            .collect();
        out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        out.into_par_iter()
            .map(|((caller, callee), mut e)| Dependency {
                caller,
                callee,
                calls: e.acc.count,
                calls_inferred: e.inferred,
                confidence: (e.acc.count > 0).then(|| {
                    // Two digits: all a mean of guesses can claim.
                    let mean = e.sure as f64 / e.acc.count as f64 / 1000.0;
                    (mean * 100.0).round() / 100.0
                }),
                errors: e.acc.errors,
                latency_ms: {
                    let mut samples = std::mem::take(&mut e.acc.samples);
                    samples.extend(e.kept.iter());
                    latency(&mut samples)
                },
            })
            .collect()
    }
}

/// One edge's counts while the traces are scanned.
#[derive(Default)]
struct Edge {
    /// The counts, and the durations of the batch being scanned.
    acc: Acc,
    /// The durations of the batches scanned.
    kept: Blocks<i64>,
    /// Calls whose link to the caller rests on timing alone.
    inferred: u64,
    /// The sum of the calls' [`link_confidence`]s, in thousandths (integers:
    /// the same sum in any order of batches and threads).
    sure: u64,
}

/// How sure a span's link to its parent is, in thousandths: 1000 where
/// logged ids name the parent, else the inferred parent's confidence.
fn link_confidence(s: &crate::trace::Span) -> u64 {
    if s.inferred_parent {
        (f64::from(s.parent_confidence).clamp(0.0, 1.0) * 1000.0).round() as u64
    } else {
        1000
    }
}

impl TraceFold for Edges {
    fn merge(&mut self, other: Edges) {
        for (k, v) in other.0 {
            let e = self.0.entry(k).or_default();
            e.acc.merge(v.acc);
            e.kept.append(v.kept);
            e.inferred += v.inferred;
            e.sure += v.sure;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::requests::build::*;
    use super::*;

    #[test]
    fn edges_between_services_with_calls_errors_and_callee_latency() {
        let mut b = Builder::default();
        for i in 0..4 {
            let inv_status = if i == 3 { 503 } else { 200 };
            b.trace(
                &format!("t{i}"),
                &[
                    s("edge", "GET /", None, i * 1000, 100, 200),
                    s("orders", "GET /o", Some(0), i * 1000 + 10, 80, 200),
                    // Same-service child: not an edge, but its callee is orders'.
                    s("orders", "db", Some(1), i * 1000 + 11, 50, 200),
                    s(
                        "inventory",
                        "GET /s",
                        Some(2),
                        i * 1000 + 12,
                        10 + i,
                        inv_status,
                    ),
                    s("inventory", "GET /s", Some(1), i * 1000 + 70, 5, 200),
                ],
            );
        }
        let mut untimed = s("auth", "POST /verify", Some(0), 0, 3, 200);
        untimed.timed = false;
        b.trace("u", &[s("edge", "GET /", None, 9000, 10, 200), untimed]);
        let d = dependencies(&b.traces, &b.symbols);
        let got: Vec<(&str, &str, u64, u64, u64)> = d
            .iter()
            .map(|d| {
                (
                    d.caller.as_str(),
                    d.callee.as_str(),
                    d.calls,
                    d.errors,
                    d.latency_ms.as_ref().map_or(0, |l| l.count),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("edge", "auth", 1, 0, 0),
                ("edge", "orders", 4, 0, 4),
                ("orders", "inventory", 8, 1, 8),
            ]
        );
        // No callee span timed: no latency, not 0.
        assert_eq!(d[0].latency_ms, None);
        let l = d[2].latency_ms.as_ref().unwrap();
        // Samples 5,5,5,5,10,11,12,13 ms.
        assert_eq!((l.p50, l.p90, l.max, l.mean), (5.0, 13.0, 13.0, 8.25));
    }

    /// api's call to db rests on ids in one trace and on timing in the
    /// other; mail hangs under a placeholder (logged id) whose own parent
    /// was inferred: that call rests on timing too.
    #[test]
    fn calls_inferred_count_links_that_rest_on_timing() {
        let mut b = Builder::default();
        for inferred in [false, true] {
            let t = b.trace(
                if inferred { "b" } else { "a" },
                &[
                    s("api", "GET /", None, 0, 100, 200),
                    s("db", "q", Some(0), 1, 5, 200),
                    s("x", "", Some(0), 10, 50, 200),
                    s("mail", "send", Some(2), 11, 5, 200),
                ],
            );
            t.spans[1].inferred_parent = inferred;
            t.spans[1].parent_confidence = if inferred { 0.4 } else { 1.0 };
            t.spans[2].kind = crate::trace::SpanKind::Placeholder;
            t.spans[2].inferred_parent = true;
            t.spans[2].parent_confidence = 0.6;
        }
        let d = dependencies(&b.traces, &b.symbols);
        let got: Vec<(&str, &str, u64, u64, Option<f64>)> = d
            .iter()
            .map(|d| {
                (
                    d.caller.as_str(),
                    d.callee.as_str(),
                    d.calls,
                    d.calls_inferred,
                    d.confidence,
                )
            })
            .collect();
        // db: ids (1) and a guess at 0.4; mail: ids to a placeholder guessed at 0.6.
        assert_eq!(
            got,
            vec![
                ("api", "db", 2, 1, Some(0.7)),
                ("api", "mail", 2, 2, Some(0.6))
            ]
        );
    }

    #[test]
    fn parent_index_out_of_range_is_skipped() {
        let mut b = Builder::default();
        let t = b.trace(
            "t",
            &[
                s("edge", "GET /", None, 0, 100, 200),
                s("x", "a", Some(0), 1, 10, 200),
            ],
        );
        t.spans[1].parent = Some(7);
        assert!(dependencies(&b.traces, &b.symbols).is_empty());
    }
}
