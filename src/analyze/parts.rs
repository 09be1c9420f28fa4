//! Traces, a part at a time -> the report's statistics ([`Summary`]).
//!
//! Input: the ingested events and files; then any number of parts, each a
//! slice of traces and some untraced spans, in any order; then what the
//! trace stage found of the whole run ([`RunFacts`]) and, on request, the
//! few traces whose critical paths the chains report. Output: the
//! [`Summary`] that all the traces at once give, byte for byte.
//!
//! [`Analysis`] holds between parts only what the sections need: per
//! request its end, logged duration and flags, grouped by operation
//! ([`Grouped`], 17 bytes); per trace its duration and place in the run's
//! order ([`TraceKey`], in its chain: 32 bytes) and, when it failed, its
//! start and origin service (16 bytes); per call between services its
//! duration (8 bytes, the dependencies' latency); the traces that may be
//! listed (a few, copied); everything else is counts. The timeline's grid,
//! the percentiles and the chains' p50 and p99 traces are known only once
//! every part is in: they are computed by [`Analysis::finish`], which asks
//! the caller for those traces by key (the trace stage can rebuild them).

use std::borrow::Borrow;

use rustc_hash::FxHashMap;

use super::chains::{critical_shares, Shapes};
use super::deps::Edges;
use super::grouped::Grouped;
use super::incidents::{self, Failure};
use super::order::TraceKey;
use super::origins::Listed;
use super::quality::{self, Links, RunFacts};
use super::summary::{self, Summary};
use super::{stats, templates, timeline, AnalyzeOptions, TraceFold};
use crate::concat::Blocks;
use crate::ingest::event::Sym;
use crate::ingest::Ingested;
use crate::timing::timed as t;
use crate::trace::{Span, Trace};

/// The analysis of a run whose traces come a part at a time.
pub struct Analysis<'a> {
    input: &'a Ingested,
    opts: AnalyzeOptions,
    requests: Grouped,
    failures: Blocks<Failure>,
    listed: Listed,
    links: Links,
    shapes: Shapes,
    edges: Edges,
}

impl<'a> Analysis<'a> {
    /// An analysis of no trace yet, over `input`'s events and files.
    pub fn new(input: &'a Ingested, opts: &AnalyzeOptions) -> Analysis<'a> {
        Analysis {
            input,
            opts: opts.clone(),
            requests: Grouped::default(),
            failures: Blocks::default(),
            listed: Listed::of(&[], &[], &input.symbols, opts.top),
            links: Links::default(),
            shapes: Shapes::default(),
            edges: Edges::default(),
        }
    }

    /// Adds a part: some traces and some untraced spans (either may be
    /// empty), their event indices pointing into the input's events.
    /// Counted on all cores.
    pub fn add(&mut self, traces: &[Trace], untraced: &[Span]) {
        let Analysis {
            input,
            opts,
            requests,
            failures,
            ..
        } = self;
        let (symbols, events, top) = (&input.symbols, &input.events[..], opts.top);
        let (failed, ((listed, links), (shapes, edges))) = rayon::join(
            || {
                t(1, "requests", || {
                    requests.add(traces, untraced);
                    incidents::failures(traces)
                })
            },
            || {
                rayon::join(
                    || {
                        t(1, "trace lists", || {
                            rayon::join(
                                || Listed::of(traces, events, symbols, top),
                                || Links::of(traces),
                            )
                        })
                    },
                    || {
                        rayon::join(
                            || t(1, "shapes", || Shapes::of(traces, events)),
                            || t(1, "edges", || Edges::of(traces)),
                        )
                    },
                )
            },
        );
        failures.push(failed);
        self.listed.merge(listed);
        self.links.merge(links);
        self.shapes.merge(shapes);
        self.edges.merge(edges);
    }

    /// The traces the summary lists (slowest and failed), copied, in the
    /// run's order: all a view of the report needs to resolve them.
    pub fn listed_traces(&self) -> Vec<Trace> {
        self.listed.traces()
    }

    /// What the analysis holds now, by part, in bytes: the requests, what
    /// is kept per trace (chain members, failed traces), the dependencies'
    /// durations, and the listed traces' copies.
    pub fn held_bytes(&self) -> [(&'static str, usize); 4] {
        let per_trace = self.shapes.held_bytes() + self.failures.held_bytes();
        [
            ("requests", self.requests.held_bytes()),
            ("per trace", per_trace),
            ("calls", self.edges.held_bytes()),
            ("listed", self.listed.held_bytes()),
        ]
    }

    /// The summary. `find` is given the keys of the traces whose critical
    /// paths the chains report (two per chain at most, each once) and
    /// returns them, in the same order (`None` for one it cannot find: its
    /// chain lists no shares).
    pub fn finish<T, F>(self, facts: &RunFacts, find: F) -> Summary
    where
        T: Borrow<Trace>,
        F: FnOnce(&[TraceKey]) -> Vec<Option<T>>,
    {
        let Analysis {
            input,
            opts,
            requests,
            failures,
            listed,
            links,
            shapes,
            edges,
        } = self;
        let symbols = &input.symbols;
        let failures = failures.to_vec();
        // Independent sections run side by side; each is parallel inside too.
        let (((services, operations, folded), (ranked, dependencies)), (templates, (tl, found))) =
            rayon::join(
                || {
                    rayon::join(
                        || {
                            t(1, "stats", || {
                                stats::of_groups(&requests, &input.events, symbols)
                            })
                        },
                        || {
                            rayon::join(
                                || t(1, "chains", || shapes.rank(symbols)),
                                || t(1, "deps", || edges.finish(symbols)),
                            )
                        },
                    )
                },
                || {
                    rayon::join(
                        || t(1, "templates", || templates::group(&input.events, symbols)),
                        || {
                            let placed = t(1, "placement", || {
                                timeline::Placement::of(&requests, opts.bucket_seconds)
                            });
                            // Both read the placement only.
                            rayon::join(
                                || {
                                    t(1, "timeline", || {
                                        let p = placed.as_ref();
                                        timeline::build_on(p, symbols, opts.bucket_seconds)
                                    })
                                },
                                || {
                                    t(1, "incidents", || {
                                        placed.as_ref().map_or_else(Vec::new, |p| {
                                            incidents::find_in(&requests, &failures, p, symbols)
                                        })
                                    })
                                },
                            )
                        },
                    )
                },
            );
        let mut clock = crate::timing::Clock::nested(1);
        drop(requests);
        let wanted = ranked.wanted();
        let shares: FxHashMap<TraceKey, Vec<(Sym, f64)>> = wanted
            .iter()
            .zip(find(&wanted))
            .filter_map(|(k, t)| Some((*k, critical_shares(t?.borrow()))))
            .collect();
        let chains = ranked.finish(symbols, |k| shares.get(k).cloned());
        clock.lap("chain shares");
        let mut input_section = quality::input(&input.files, &input.problems);
        input_section.config_warnings = input.config_warnings.clone();
        let error_origins = listed.error_origins(symbols);
        let trace_stats = listed.finish();
        let mut data_quality = quality::data_quality_with(&input_section, facts, links, symbols);
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
            timeline: tl,
            incidents: found,
            error_templates: templates,
            data_quality,
        };
        clock.lap("sections");
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::super::requests::build::*;
    use super::super::{chains, summarize};
    use super::*;
    use crate::trace::Traces;

    /// A deterministic shuffle (xorshift, Fisher-Yates).
    fn shuffle<T>(v: &mut [T], seed: u64) {
        let mut x = seed | 1;
        for i in (1..v.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v.swap(i, (x % (i as u64 + 1)) as usize);
        }
    }

    /// The traces of `keys` looked up in `traces` (sorted or not).
    fn finder<'t>(
        traces: &'t [Trace],
        input: &'t Ingested,
    ) -> impl FnOnce(&[TraceKey]) -> Vec<Option<&'t Trace>> {
        move |keys| {
            (keys.iter())
                .map(|k| chains::find(traces, k, &input.events, &input.symbols))
                .collect()
        }
    }

    /// The summary of `traces` added `per_part` traces at a time, untraced
    /// spans cut into parts of their own size, every part added in a
    /// shuffled order; and the listed traces the analysis hands back.
    fn in_parts(
        input: &Ingested,
        traces: &Traces,
        opts: &AnalyzeOptions,
        per_part: usize,
        seed: u64,
    ) -> (String, Vec<Trace>) {
        let traced: Vec<&[Trace]> = traces.traces.chunks(per_part).collect();
        let per_untraced = (per_part * 3 / 2).max(1);
        let untraced: Vec<&[Span]> = traces.untraced.chunks(per_untraced).collect();
        let n = traced.len().max(untraced.len());
        let mut parts: Vec<(&[Trace], &[Span])> = (0..n)
            .map(|k| {
                let t = traced.get(k).copied().unwrap_or_default();
                (t, untraced.get(k).copied().unwrap_or_default())
            })
            .collect();
        shuffle(&mut parts, seed);
        let mut a = Analysis::new(input, opts);
        for (t, u) in parts {
            a.add(t, u);
        }
        let listed = a.listed_traces();
        // The chains' traces found in a list in no order: as a run in parts
        // that rebuilds them would give them.
        let mut pool: Vec<Trace> = traces.traces.clone();
        shuffle(&mut pool, seed + 1);
        let summary = a.finish(&RunFacts::of(traces), finder(&pool, input));
        (serde_json::to_string(&summary).unwrap(), listed)
    }

    #[test]
    fn parts_in_any_order_give_the_summary_of_all_traces_at_once() {
        for (seed, per_burst) in [(1, 1400), (2, 300), (5, 40)] {
            let input = logged_shop(seed, per_burst);
            let traces = crate::trace::build(&input.events, &input.symbols, &Default::default());
            assert!(!traces.untraced.is_empty() && traces.reused_ids > 0);
            for top in [1, 3, 10] {
                let opts = AnalyzeOptions {
                    top,
                    ..Default::default()
                };
                let whole = summarize(&input, &traces, &opts);
                if per_burst > 1000 && top == 10 {
                    // The run has what every section needs.
                    assert!(!whole.incidents.is_empty());
                    assert!(!whole.incidents[0].error_origins.is_empty());
                    assert!(whole.chains.iter().any(|c| !c.critical_path.is_empty()));
                    assert!(whole.traces.with_errors > 2 * top as u64);
                }
                let want = serde_json::to_string(&whole).unwrap();
                for per_part in [1, 2, 7, 1000] {
                    let (got, listed) = in_parts(&input, &traces, &opts, per_part, seed);
                    assert!(got == want, "seed {seed}, top {top}, {per_part} per part");
                    // Every listed trace is handed back, once, in the run's order.
                    let refs = whole.traces.slowest.iter().chain(&whole.traces.failed);
                    for r in refs {
                        let found = listed.iter().filter(|t| {
                            input.symbols.get(t.id) == r.id
                                && crate::ingest::time::format_rfc3339_ms(t.start_ns) == r.start
                        });
                        assert_eq!(found.count(), 1, "{r:?}");
                    }
                    assert!(listed.len() <= 2 * top);
                    let keys: Vec<TraceKey> = (listed.iter())
                        .map(|t| TraceKey::of(t, &input.events))
                        .collect();
                    assert!(keys
                        .windows(2)
                        .all(|w| w[0].cmp_in(&w[1], &input.symbols).is_lt()));
                }
            }
        }
    }

    #[test]
    fn a_chain_trace_the_caller_cannot_find_gives_no_shares() {
        let input = logged_shop(4, 60);
        let traces = crate::trace::build(&input.events, &input.symbols, &Default::default());
        let mut a = Analysis::new(&input, &AnalyzeOptions::default());
        a.add(&traces.traces, &traces.untraced);
        let mut asked = Vec::new();
        let summary = a.finish(&RunFacts::of(&traces), |keys: &[TraceKey]| {
            asked.extend_from_slice(keys);
            vec![None::<&Trace>; keys.len()]
        });
        assert!(!summary.chains.is_empty() && !asked.is_empty());
        assert!(asked.len() <= 2 * summary.chains.len());
        assert!(summary.chains.iter().all(|c| c.critical_path.is_empty()));
    }

    #[test]
    fn no_part_gives_the_empty_summary() {
        let input = Ingested::default();
        let a = Analysis::new(&input, &AnalyzeOptions::default());
        assert!(a.listed_traces().is_empty());
        let got = a.finish(&RunFacts::default(), finder(&[], &input));
        let want = summarize(&input, &Traces::default(), &AnalyzeOptions::default());
        assert_eq!(got, want);
    }

    #[test]
    fn what_is_held_per_request_stays_small() {
        let input = logged_shop(6, 300);
        let traces = crate::trace::build(&input.events, &input.symbols, &Default::default());
        let mut a = Analysis::new(&input, &AnalyzeOptions::default());
        for part in traces.traces.chunks(50) {
            a.add(part, &[]);
        }
        a.add(&[], &traces.untraced);
        let held = a.held_bytes();
        let requests = super::super::requests::requests(&traces).len();
        // 17 bytes a request, and a block of columns per operation and part.
        let blocks = 4 * (traces.traces.len().div_ceil(50) + 1);
        assert!(held[0].1 <= requests * 17 + blocks * 48 + 1024, "{held:?}");
        // A chain member per trace, and a start and origin per failed trace.
        let n = traces.traces.len();
        assert!(held[1].1 <= n * (32 + 16) + 4096, "{held:?}");
    }
}
