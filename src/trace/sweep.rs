//! Correlation groups -> finished traces, a part of the groups at a time.
//!
//! Input: the run's events and their correlation groups ([`correlate`]).
//! Output: the traces of each part of the groups, handed to a sink one part
//! after another (each part's traces in the order of its groups), built with
//! what the whole run says: the clock offsets, the call graph, the entry
//! service. A trace depends only on its group and on that model, so the
//! traces are the same whatever the parts.
//!
//! Two sweeps over the parts. The first builds every trace's spans (linked
//! by ids), gathers the id facts of every trace, and keeps the spans of the
//! traces the clock pass and the call-graph learning read: both samples are
//! picked before any span is built, from the groups' events and the hash of
//! each trace's id, so the first sweep need not keep the rest. Between the
//! sweeps the clocks are solved and the callers learned. The second sweep
//! builds the spans again and finishes each trace; when the run is a single
//! part, the spans the first sweep built are kept instead (no second build).
//!
//! [`correlate`]: super::correlate

use rayon::prelude::*;

use crate::ingest::event::{Event, Sym, Symbols};

use super::correlate::Group;
use super::finish::{finish_trace, Finish};
use super::offsets::{clock_key, clock_sample, clocks, ClockKey, Domains, IdFacts};
use super::{finish, ids, infer, spans, ClockOffset, EventIdx, Trace, TraceOptions};

/// What is known of each group before its spans are built.
struct Plan {
    /// Per group: its place among the run's traces; [`NO_TRACE`] for a
    /// group that makes none (no event with a time).
    index: Vec<u32>,
    /// Per trace: read by the clock pass.
    clock: Vec<bool>,
    /// Per trace: read to learn who calls whom ([`infer::LEARN_SAMPLE`]).
    learn: Vec<bool>,
    /// Per trace: its clock key, checked against its spans' in debug builds.
    #[cfg(debug_assertions)]
    keys: Vec<ClockKey>,
}

const NO_TRACE: u32 = u32::MAX;

impl Plan {
    /// True when the first sweep keeps the trace of group `g` for a sample.
    fn sampled(&self, g: usize) -> bool {
        let k = self.index[g] as usize;
        self.clock[k] || self.learn[k]
    }
}

/// The hash of a trace id's text as a number in [0, 1): the same for the
/// same id whatever the thread count, file order or parts.
fn unit(hash: u64) -> f64 {
    (hash & ((1 << 53) - 1)) as f64 / (1u64 << 53) as f64
}

/// Per group: the hash of its id's text and its clock key, if it makes a
/// trace. A group's clock domains are the files of its events that have a
/// time: exactly the files of the spans it will make (a span is a stream of
/// one file with a time).
type Found = Option<(u64, ClockKey)>;

/// [`Found`] read from the groups' events, before any span is built.
fn found_in_events(groups: &[Group], events: &[Event], symbols: &Symbols) -> Vec<Found> {
    groups
        .par_iter()
        .map_init(Vec::new, |files: &mut Vec<u32>, g| {
            files.clear();
            files.extend(
                g.events
                    .iter()
                    .map(|&i| &events[i as usize])
                    .filter(|e| e.time().is_some())
                    .map(|e| e.source.file),
            );
            files.sort_unstable();
            files.dedup();
            let hash = symbols.text_hash(g.id);
            let key = (files.len() > 1).then(|| (hash, Domains::new(files)));
            (!files.is_empty()).then_some((hash, key))
        })
        .collect()
}

/// Which groups make traces, and which of those the clock pass and the
/// learning read.
fn plan(found: Vec<Found>, opts: &TraceOptions) -> Plan {
    let mut n = 0u32;
    let index: Vec<u32> = found
        .iter()
        .map(|f| match f {
            Some(_) => {
                n += 1;
                n - 1
            }
            None => NO_TRACE,
        })
        .collect();
    let (hashes, keys): (Vec<u64>, Vec<ClockKey>) = found.into_iter().flatten().unzip();
    let clock = clock_sample(&keys, opts.clock_sample);
    let rate = infer::LEARN_SAMPLE as f64 / f64::from(n.max(1));
    let learn = hashes
        .iter()
        .map(|&h| rate >= 1.0 || unit(h) < rate)
        .collect();
    Plan {
        index,
        clock,
        learn,
        #[cfg(debug_assertions)]
        keys,
    }
}

impl Plan {
    /// In debug builds: the trace `k`'s clock key, as its spans give it, is
    /// the one the plan found in its events.
    fn check(&self, _k: u32, _t: &Trace, _symbols: &Symbols) {
        #[cfg(debug_assertions)]
        {
            let hash = _symbols.text_hash(_t.id);
            let key = clock_key(hash, &_t.spans, &mut Vec::new());
            debug_assert_eq!(key, self.keys[_k as usize], "trace {_k}");
        }
    }
}

/// Lists [`built`] reuses from one group to the next.
type Scratch = (spans::Scratch, ids::Scratch);

/// The trace of one group, its spans built and linked by ids (times as
/// logged, no parent inferred yet); `None` when no span has a time.
fn built(
    group: &[EventIdx],
    id: Sym,
    ids: Vec<Sym>,
    (events, symbols): (&[Event], &Symbols),
    (scratch, ids_scratch): &mut Scratch,
) -> Option<Trace> {
    spans::spans_into(group, events, symbols, scratch);
    if scratch.spans.is_empty() {
        return None;
    }
    // Placeholders are added in the scratch list; the trace's own list is
    // allocated once, at its final size.
    ids::link_with(&mut scratch.spans, events, ids_scratch);
    Some(Trace {
        id,
        ids,
        spans: scratch.spans.drain(..).collect(),
        root: 0,
        start_ns: 0,
        end_ns: 0,
        root_latency_ns: None,
        error_origin: None,
        critical_path: Vec::new(),
        logged_parts: Vec::new(),
    })
}

/// What the trace stage learned over the whole run, and what it reports of it.
pub(super) struct Model {
    pub graph: infer::Graph,
    pub offsets: super::clock::Offsets,
    pub clock_offsets: Vec<ClockOffset>,
    pub entry: Option<Sym>,
}

/// Builds the traces of `groups`, `per_part` groups at a time (0: all at
/// once), handing each part's finished traces to `sink` in the groups'
/// order. Returns the run's clock offsets.
pub(super) fn traces_in_parts(
    mut groups: Vec<Group>,
    (events, symbols): (&[Event], &Symbols),
    coarse: &spans::Coarse,
    opts: &TraceOptions,
    per_part: usize,
    mut sink: impl FnMut(Vec<Trace>),
) -> Vec<ClockOffset> {
    let mut clock = crate::timing::Clock::nested(1);
    let one_part = per_part == 0 || per_part >= groups.len();
    let mut facts = IdFacts::default();
    // The first sweep: every trace's spans, for the id facts; the samples'
    // (every trace's, when the run is one part) kept.
    let (mut all, mut kept): (Vec<Trace>, Vec<(u32, Trace)>) = (Vec::new(), Vec::new());
    let plan =
        if one_part {
            // Each group's event list is dropped as soon as its spans are
            // built. Collected one slot per group (rayon writes an indexed
            // collect in place), then compacted in the same allocation: a
            // filtered parallel collect would gather pieces and copy them all
            // once more.
            // What the clock pass needs of each trace is taken here, while its
            // spans are in the cache.
            #[cfg(debug_assertions)]
            let expected = found_in_events(&groups, events, symbols);
            let (mut traces, mut found): (Vec<Option<Trace>>, Vec<Found>) = Default::default();
            std::mem::take(&mut groups)
                .into_par_iter()
                .map_init(
                    || (Scratch::default(), Vec::new()),
                    |(scratch, doms), g| {
                        let t = built(&g.events, g.id, g.ids, (events, symbols), scratch);
                        let found = t.as_ref().map(|t| {
                            let hash = symbols.text_hash(t.id);
                            (hash, clock_key(hash, &t.spans, doms))
                        });
                        (t, found)
                    },
                )
                .unzip_into_vecs(&mut traces, &mut found);
            #[cfg(debug_assertions)]
            debug_assert!(found == expected);
            // `filter_map` collects in place (`flatten` would not: it copies
            // into a new list that grows by doubling).
            #[allow(clippy::filter_map_identity)]
            let traces: Vec<Trace> = traces.into_iter().filter_map(|t| t).collect();
            facts.add(&traces, |t| t);
            all = traces;
            plan(found, opts)
        } else {
            let plan = plan(found_in_events(&groups, events, symbols), opts);
            clock.lap("plan");
            for (p, part) in groups.chunks(per_part).enumerate() {
                let first = p * per_part;
                let traces: Vec<(usize, Trace)> = part
                    .par_iter()
                    .enumerate()
                    .filter(|&(g, _)| plan.index[first + g] != NO_TRACE)
                    .map_init(Scratch::default, |scratch, (g, group)| {
                        let t = built(
                            &group.events,
                            group.id,
                            Vec::new(),
                            (events, symbols),
                            scratch,
                        );
                        t.map(|t| (first + g, t))
                    })
                    .flatten_iter()
                    .collect();
                for (g, t) in &traces {
                    plan.check(plan.index[*g], t, symbols);
                }
                facts.add(&traces, |(_, t)| t);
                kept.extend(traces.into_iter().filter(|&(g, _)| plan.sampled(g)).map(
                    |(g, mut t)| {
                        t.ids = groups[g].ids.clone();
                        (plan.index[g], t)
                    },
                ));
            }
            plan
        };
    clock.lap("spans");
    let sample: Vec<(u32, &Trace)> = if one_part {
        all.iter().enumerate().map(|(k, t)| (k as u32, t)).collect()
    } else {
        kept.iter().map(|(k, t)| (*k, t)).collect()
    };
    let model = model(&sample, &plan, facts, (events, symbols), coarse, opts);
    drop(sample);
    clock.lap("model");
    let cx = infer::Context {
        events,
        coarse,
        offsets: &model.offsets,
        entry: model.entry,
        tolerance_ns: opts.containment_tolerance_ns,
        entry_root: true,
        name_placeholders: true,
    };
    // The second sweep: every trace finished.
    if one_part {
        let mut traces = all;
        traces
            .par_iter_mut()
            .for_each_init(Finish::default, |scratch, t| {
                finish_trace(t, &model.graph, &cx, scratch)
            });
        sink(traces);
    } else {
        drop(kept);
        for (p, part) in groups.chunks_mut(per_part).enumerate() {
            let first = p * per_part;
            let traces: Vec<Trace> = part
                .par_iter_mut()
                .enumerate()
                .filter(|&(g, _)| plan.index[first + g] != NO_TRACE)
                .map_init(
                    || (Scratch::default(), Finish::default()),
                    |(scratch, finish), (_, g)| {
                        let events_of = std::mem::take(&mut g.events);
                        let ids = std::mem::take(&mut g.ids);
                        let mut t = built(&events_of, g.id, ids, (events, symbols), scratch)?;
                        finish_trace(&mut t, &model.graph, &cx, finish);
                        Some(t)
                    },
                )
                .flatten_iter()
                .collect();
            sink(traces);
        }
    }
    clock.lap("trees");
    model.clock_offsets
}

/// The run's model from the traces the first sweep kept (each with its
/// place in the run's traces, in that order) and the id facts of all:
/// clocks solved on the clock sample, then callers learned on the learning
/// sample.
fn model(
    kept: &[(u32, &Trace)],
    plan: &Plan,
    facts: IdFacts,
    (events, symbols): (&[Event], &Symbols),
    coarse: &spans::Coarse,
    opts: &TraceOptions,
) -> Model {
    let (facts, mut graph) = facts.finish();
    let sample: Vec<(u32, &Trace)> = kept
        .iter()
        .filter(|(k, _)| plan.clock[*k as usize])
        .copied()
        .collect();
    let (offsets, clock_offsets, entry) =
        clocks(&sample, (&facts, &graph), (events, symbols), coarse, opts);
    drop(sample);
    let cx = infer::Context {
        events,
        coarse,
        offsets: &offsets,
        entry,
        tolerance_ns: opts.containment_tolerance_ns,
        entry_root: true,
        name_placeholders: true,
    };
    // Who calls whom where no ids say it, in the run's order.
    let observed: Vec<infer::Observations> = kept
        .par_iter()
        .filter(|(k, _)| plan.learn[*k as usize])
        .map_init(Default::default, |scratch, (_, t)| {
            finish::observe(&t.spans, &graph, &cx, scratch)
        })
        .collect();
    graph.learn_by_timing(&observed);
    Model {
        graph,
        offsets,
        clock_offsets,
        entry,
    }
}
