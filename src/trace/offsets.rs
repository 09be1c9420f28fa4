//! Traces as logged -> the run's id facts and clock offsets, in two rounds.
//!
//! Input: every trace's spans (times as logged, parents from ids) for the
//! id facts ([`IdFacts`], a batch at a time), and the traces the clock
//! sample picks ([`clock_sample`], from a [`ClockKey`] per trace). Output:
//! the [`clock::Offsets`] to subtract, the [`ClockOffset`] report and the
//! entry service. The first round solves from id links and chance pairs,
//! the second adds the calls the first round's offsets let the parent
//! inference find.

use rayon::prelude::*;

use crate::ingest::event::{Event, Sym, Symbols};

use super::{clock, finish, infer, spans, tree, ClockOffset, Span, Trace, TraceOptions};

/// How many traces per clock domain the clock pass reads by default. An
/// offset rests on the densest cluster of its calls' bounds: past a few
/// thousand calls more of them move it by nanoseconds, and a step in a
/// clock still shows with a few hundred calls in each window.
pub const CLOCK_SAMPLE: usize = 20_000;

/// The traces the clock pass reads: those that span two clock domains or
/// more (no other trace bounds an offset); of a domain in more than `cap`
/// of them, a share `cap / count` picked by the hash of the trace id's
/// text, so the same traces are picked whatever the thread count or file
/// order, and the pick is spread over the whole run. A trace is read when
/// any of its domains picks it: a rare domain keeps every trace it is in.
pub(super) fn clock_sample(doms: &[ClockKey], cap: usize) -> Vec<bool> {
    // Domains are file numbers: count them in a list, not a map.
    let counts: Vec<u32> = doms
        .par_iter()
        .fold(Vec::new, |mut counts: Vec<u32>, d| {
            for &d in d.iter().flat_map(|(_, ds)| ds.as_slice()) {
                let d = d as usize;
                if d >= counts.len() {
                    counts.resize(d + 1, 0);
                }
                counts[d] += 1;
            }
            counts
        })
        .reduce(Vec::new, |mut a, b| {
            if a.len() < b.len() {
                a.resize(b.len(), 0);
            }
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
            a
        });
    let rate = |d: &u32| cap as f64 / counts[*d as usize].max(1) as f64;
    doms.par_iter()
        .map(|d| {
            let Some((h, ds)) = d else { return false };
            let best = ds.as_slice().iter().map(rate).fold(0.0, f64::max);
            best >= 1.0 || ((h >> 11) as f64 / (1u64 << 53) as f64) < best
        })
        .collect()
}

/// What the clock pass needs of a trace: the hash of its id's text and
/// its clock domains, when it spans two or more (`None` otherwise).
pub(super) type ClockKey = Option<(u64, Domains)>;

/// How many domains a [`Domains`] holds without a list of its own.
const INLINE_DOMAINS: usize = 5;

/// A trace's clock domains, distinct and in order: inline for the few that
/// most traces cross (a million traces need no million lists), else a list.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Domains {
    Inline(u8, [u32; INLINE_DOMAINS]),
    Listed(Box<[u32]>),
}

impl Domains {
    pub(super) fn new(ds: &[u32]) -> Domains {
        if ds.len() <= INLINE_DOMAINS {
            let mut inline = [0; INLINE_DOMAINS];
            inline[..ds.len()].copy_from_slice(ds);
            Domains::Inline(ds.len() as u8, inline)
        } else {
            Domains::Listed(ds.into())
        }
    }
    fn as_slice(&self) -> &[u32] {
        match self {
            Domains::Inline(n, ds) => &ds[..*n as usize],
            Domains::Listed(ds) => ds,
        }
    }
}

/// The [`ClockKey`] of a trace made of `spans` whose id's text hashes to
/// `hash`; `scratch` is reused.
pub(super) fn clock_key(hash: u64, spans: &[Span], scratch: &mut Vec<u32>) -> ClockKey {
    scratch.clear();
    scratch.extend(spans.iter().filter_map(|s| s.file));
    scratch.sort_unstable();
    scratch.dedup();
    (scratch.len() > 1).then(|| (hash, Domains::new(scratch)))
}

/// The clock offsets of the run, from the spans as logged (see [`clock`]),
/// in two rounds: first from the calls ids give and the chance pairs that
/// agree; then again with the calls the first round's offsets let the
/// inference find (the only evidence for a clock that stamps whole seconds),
/// weighing callers by `graph`, the run's calls by ids. Both rounds read
/// `sample`, the traces [`clock_sample`] picks, each with its place in the
/// run's traces.
pub(super) fn clocks(
    sample: &[(u32, &Trace)],
    (facts, graph): (&Facts, &infer::Graph),
    (events, symbols): (&[Event], &Symbols),
    coarse: &spans::Coarse,
    opts: &TraceOptions,
) -> (clock::Offsets, Vec<ClockOffset>, Option<Sym>) {
    let mut lap = crate::timing::Clock::nested(2);
    let picked = || sample.par_iter().map(|&(k, t)| (k as usize, t));
    type Found = (Vec<clock::Pair>, rustc_hash::FxHashMap<(u32, u32), usize>);
    let (mut pairs, offered): Found = picked()
        .fold(
            || (Vec::new(), Default::default(), Vec::new()),
            |(mut pairs, mut offered, mut scratch): (Vec<_>, rustc_hash::FxHashMap<_, _>, _),
             (k, t)| {
                pairs.extend(clock::pairs(k as u32, &t.spans, coarse, &mut scratch));
                for d in scratch.drain(..) {
                    *offered.entry(d).or_insert(0usize) += 1;
                }
                (pairs, offered, scratch)
            },
        )
        .map(|(pairs, offered, _)| (pairs, offered))
        .reduce(Found::default, |mut a, b| {
            a.0.extend(b.0);
            for (d, n) in b.1 {
                *a.1.entry(d).or_insert(0) += n;
            }
            a
        });
    let offered: clock::Offered = offered.into_iter().collect();
    lap.lap("pairs");
    let entry = clock::entry(&facts.1, &facts.0);
    let reference = reference_domain(entry, &pairs, &facts.0, coarse);
    let (first, first_report) = clock::solve(&pairs, &offered, &facts.0, reference, symbols);
    lap.lap("solve1");
    // Only traces with spans no id links need the first round's inference.
    let needs = |t: &Trace| {
        t.spans
            .iter()
            .filter(|s| s.parent.is_none())
            .nth(1)
            .is_some()
    };
    let cx = infer::Context {
        events,
        coarse,
        offsets: &first,
        entry: entry.map(|e| e.0),
        tolerance_ns: opts.containment_tolerance_ns,
        // Its inference looks for calls that bound offsets; see the field.
        entry_root: false,
        name_placeholders: false,
    };
    // Each thread corrects a copy of one trace at a time, in lists it keeps.
    type Work = (Vec<Span>, tree::Scratch, infer::Scratch);
    let inferred: Vec<clock::Pair> = picked()
        .filter(|(_, t)| needs(t))
        .map_init(
            Work::default,
            |(spans, tree_scratch, infer_scratch), (k, t)| {
                spans.clear();
                spans.extend_from_slice(&t.spans);
                finish::correct(spans, &cx, tree_scratch);
                infer::assign_with(spans, graph, &cx, infer_scratch);
                clock::inferred_pairs(k as u32, &t.spans, spans, coarse)
            },
        )
        .flatten_iter()
        .collect();
    lap.lap("infer1");
    let (offsets, report) = if inferred.is_empty() {
        (first, first_report)
    } else {
        pairs.extend(inferred);
        clock::solve(&pairs, &offered, &facts.0, reference, symbols)
    };
    lap.lap("solve2");
    (offsets, report, entry.map(|e| e.0))
}

/// The clock the others are measured against: the entry's, unless it stamps
/// whole seconds (it cannot place a call to the millisecond); then the
/// finer clock that the most calls fit as logged (most clocks are right).
pub(super) fn reference_domain(
    entry: Option<(Sym, u32)>,
    pairs: &[clock::Pair],
    services: &std::collections::BTreeMap<u32, Sym>,
    coarse: &spans::Coarse,
) -> Option<u32> {
    let (service, domain) = entry?;
    if !coarse.contains(service) {
        return Some(domain);
    }
    let fine = |d: &u32| services.get(d).is_some_and(|s| !coarse.contains(*s));
    let mut fits: std::collections::BTreeMap<u32, usize> = Default::default();
    for p in pairs.iter().filter(|p| p.lo <= 0 && 0 <= p.hi) {
        for d in [p.caller, p.callee].into_iter().filter(fine) {
            *fits.entry(d).or_default() += 1;
        }
    }
    fits.into_iter()
        .max_by_key(|&(d, n)| (n, std::cmp::Reverse(d)))
        .map_or(Some(domain), |(d, _)| Some(d))
}

/// Per domain: its service, and the traces whose entry span it holds.
pub(super) type Facts = (
    std::collections::BTreeMap<u32, Sym>,
    std::collections::BTreeMap<u32, usize>,
);

/// What the ids of the whole run say, before any clock is corrected (links
/// by ids do not depend on times): per domain its service and the entries
/// it holds ([`Facts`]), and who calls whom ([`infer::Graph::learn`]);
/// gathered a batch of traces at a time, in the run's order, to the same
/// facts whatever the batches.
///
/// A trace's entry is the longest span no id links to a caller, of a
/// service nobody calls by id where there is one; which services ids show
/// called and calling is only known once every trace is in. So each trace
/// keeps, per service, its longest span without a parent (its domain and
/// place), and the entries are counted at the end.
#[derive(Default)]
pub(super) struct IdFacts {
    /// Services whose spans ids link to another service's (or to one nobody
    /// logged) are called: not entries. Those that ids show calling others
    /// are. Hash sets, not ordered ones: they are only asked what they hold.
    called: FxHashSet<Sym>,
    calls: FxHashSet<Sym>,
    graph: infer::Graph,
    /// Per domain (file): the first service seen in it, in trace order.
    services: FxHashMap<u32, Sym>,
    /// Per trace, per service: its entry candidate.
    candidates: Vec<Candidate>,
    /// Where each trace's candidates end in `candidates`.
    ends: Vec<u32>,
}

/// A service's longest span without a parent in one trace.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    service: Sym,
    file: u32,
    /// Its place among the trace's spans: of equal keys, the first wins.
    at: u32,
    /// Timed first, then longer: `timed << 63 | duration`.
    length: u64,
}

use rustc_hash::{FxHashMap, FxHashSet};

impl IdFacts {
    /// Adds the facts of the traces of `items`, the run's next traces in order.
    pub(super) fn add<T: Sync>(&mut self, items: &[T], trace: impl Fn(&T) -> &Trace + Sync) {
        let traces = || items.par_iter().map(&trace);
        type Sets = (FxHashSet<Sym>, FxHashSet<Sym>, infer::Graph);
        let (called, calls, graph): Sets = traces()
            .fold(Sets::default, |(mut called, mut calls, mut graph), t| {
                graph.learn_from(&t.spans);
                for s in &t.spans {
                    let Some(p) = s.parent.filter(|_| !s.inferred_parent) else {
                        continue;
                    };
                    let p = &t.spans[p as usize];
                    if p.service != s.service {
                        called.insert(s.service);
                        calls.insert(p.service);
                    } else if p.is_placeholder() {
                        called.insert(s.service);
                    }
                }
                (called, calls, graph)
            })
            .reduce(Sets::default, |mut a, b| {
                a.0.extend(b.0);
                a.1.extend(b.1);
                (a.0, a.1, a.2.merge(b.2))
            });
        self.called.extend(called);
        self.calls.extend(calls);
        self.graph = std::mem::take(&mut self.graph).merge(graph);
        // Folds and their reduction keep the traces' order: the first
        // service of a domain is the first in the run's order.
        type PerTrace = (FxHashMap<u32, Sym>, Vec<Candidate>, Vec<u32>);
        let (services, candidates, counts): PerTrace = traces()
            .fold(PerTrace::default, |mut f, t| {
                let from = f.1.len();
                for (at, s) in t.spans.iter().enumerate() {
                    let Some(file) = s.file else {
                        continue;
                    };
                    f.0.entry(file).or_insert(s.service);
                    if s.parent.is_some() {
                        continue;
                    }
                    let length = u64::from(s.timed) << 63 | s.duration_ns() as u64;
                    let c = Candidate {
                        service: s.service,
                        file,
                        at: at as u32,
                        length,
                    };
                    match f.1[from..].iter_mut().find(|o| o.service == s.service) {
                        Some(o) if length > o.length => *o = c,
                        Some(_) => {}
                        None => f.1.push(c),
                    }
                }
                f.2.push((f.1.len() - from) as u32);
                f
            })
            .reduce(PerTrace::default, |mut a, b| {
                for (k, v) in b.0 {
                    a.0.entry(k).or_insert(v);
                }
                a.1.extend(b.1);
                a.2.extend(b.2);
                a
            });
        for (k, v) in services {
            self.services.entry(k).or_insert(v);
        }
        let mut end = self.ends.last().copied().unwrap_or(0);
        self.ends.extend(counts.into_iter().map(|n| {
            end += n;
            end
        }));
        self.candidates.extend(candidates);
    }

    /// The facts of every trace added.
    pub(super) fn finish(self) -> (Facts, infer::Graph) {
        let IdFacts {
            called,
            calls,
            graph,
            services,
            candidates,
            ends,
        } = self;
        let key = |c: &Candidate| {
            (
                !called.contains(&c.service),
                calls.contains(&c.service),
                c.length,
                std::cmp::Reverse(c.at),
            )
        };
        let entries: FxHashMap<u32, usize> = (0..ends.len())
            .into_par_iter()
            .fold(FxHashMap::default, |mut entries, k| {
                let from = if k == 0 { 0 } else { ends[k - 1] as usize };
                let trace = &candidates[from..ends[k] as usize];
                if let Some(c) = trace.iter().max_by_key(|c| key(c)) {
                    *entries.entry(c.file).or_default() += 1;
                }
                entries
            })
            .reduce(FxHashMap::default, |mut a, b| {
                for (k, v) in b {
                    *a.entry(k).or_default() += v;
                }
                a
            });
        (
            (
                services.into_iter().collect(),
                entries.into_iter().collect(),
            ),
            graph,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_read_back_the_same_inline_or_listed() {
        for n in [2, INLINE_DOMAINS, INLINE_DOMAINS + 1, 40] {
            let ds: Vec<u32> = (0..n as u32).map(|d| d * 7 + 3).collect();
            let key = Domains::new(&ds);
            assert_eq!(key.as_slice(), &ds[..]);
            assert_eq!(
                matches!(key, Domains::Inline(..)),
                n <= INLINE_DOMAINS,
                "{n} domains"
            );
        }
    }
}
