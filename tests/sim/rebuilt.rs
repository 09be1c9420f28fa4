//! What the library rebuilt, reduced to plain data the scores can compare
//! with the truth: spans mapped back to the truth spans their log lines
//! speak for, parents, failures and clock offsets.
//!
//! [`from_library`] is the one place that reads the library's trace types
//! (parents, link kinds, placeholders, parent confidence, extent and root
//! latency, offsets per file and window): when they change, only this file
//! does. A placeholder (no events) stands for a parent that logged nothing;
//! the server half of a B3 shared id is an ordinary span here, mapped by the
//! server's own lines. [`oracle`] builds the perfect answer from the truth, so
//! the scores can be tested on it.
//!
//! Mapping: an event's `source` (file, line) names the entry line it came
//! from, and [`Rendered`] knows which truth span each entry line speaks for.
//! A rebuilt span stands for the truth span most of its events speak for
//! (ties: the first such event).

use std::collections::BTreeMap;

use logtrace::ingest::Ingested;
use logtrace::trace::Traces;

use super::render::{Rendered, SpanRef};
use super::truth::{Link, TruthTrace};
use super::world::World;

#[derive(Clone, Debug, Default)]
pub struct RSpan {
    pub service: String,
    pub parent: Option<usize>,
    /// A span with no events: it stands for a parent that logged nothing.
    pub placeholder: bool,
    /// The link to the parent, when the answer says which it is.
    pub link: Option<Link>,
    /// The parent was inferred from timing, not from logged ids, this sure (0..=1).
    pub inferred: bool,
    pub confidence: f32,
    /// The truth span most of its events speak for.
    pub truth: Option<SpanRef>,
    /// Its events, and how many speak for `truth`.
    pub events: u32,
    pub truth_events: u32,
    /// Start and end (ns, after the library's clock correction), HTTP status (0: none), failed.
    pub start_ns: i64,
    pub end_ns: i64,
    pub status: u16,
    pub error: bool,
}

#[derive(Clone, Debug, Default)]
pub struct RTrace {
    pub spans: Vec<RSpan>,
    /// The library says the trace failed.
    pub failed: bool,
    /// The trace's extent (ns) and the root's logged latency, when it logged one.
    pub extent_ns: i64,
    pub root_latency_ns: Option<i64>,
}

/// A clock offset as reported: for a service, or one of its hosts (files),
/// over the whole run or a window of (true-ish) time.
#[derive(Clone, Debug, Default)]
pub struct ROffset {
    pub service: String,
    /// The host (file name without `.log`) it applies to; `None`: every host.
    pub host: Option<String>,
    /// The time window (as the host's clock shows it) it applies to; `None`: the whole run.
    pub window: Option<(i64, i64)>,
    pub offset_ns: i64,
    pub confidence: f64,
    /// The clock the answer measures every other against (offset 0 by definition).
    pub reference: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Rebuilt {
    pub traces: Vec<RTrace>,
    /// The report's dependency edges, as the library counts them.
    pub edges: Vec<logtrace::analyze::summary::Dependency>,
    pub offsets: Vec<ROffset>,
    /// Entry lines of truth spans that are in no trace (read without ids, or not read).
    pub untraced_lines: u64,
}

/// The entry line -> truth span map of every file the library read, indexed
/// like `Ingested::files`.
fn line_maps<'a>(ing: &Ingested, rendered: &'a Rendered) -> Vec<Option<&'a [Option<SpanRef>]>> {
    let by_path: BTreeMap<&str, &[Option<SpanRef>]> = rendered
        .files
        .iter()
        .map(|f| (f.path.as_str(), &f.lines[..]))
        .collect();
    ing.files
        .iter()
        .map(|f| {
            let p = f.path.replace('\\', "/");
            by_path
                .iter()
                .find(|(k, _)| p.ends_with(&format!("/{k}")) || p == **k)
                .map(|(_, v)| *v)
        })
        .collect()
}

/// The library's traces -> plain data.
pub fn from_library(ing: &Ingested, built: &Traces, rendered: &Rendered) -> Rebuilt {
    let maps = line_maps(ing, rendered);
    let sy = &ing.symbols;
    let truth_of = |e: u32| -> Option<SpanRef> {
        let ev = ing.events.get(e as usize)?;
        let lines = maps.get(ev.source.file as usize)?.as_ref()?;
        *lines.get((ev.source.line as usize).checked_sub(1)?)?
    };
    let mut in_traces = 0u64;
    let traces = built
        .traces
        .iter()
        .map(|t| RTrace {
            spans: t
                .spans
                .iter()
                .map(|s| {
                    let refs: Vec<SpanRef> = s.events.iter().filter_map(|&e| truth_of(e)).collect();
                    in_traces += refs.len() as u64;
                    let (truth, truth_events) = majority(&refs);
                    RSpan {
                        service: sy.get(s.service).to_string(),
                        parent: s.parent.map(|p| p as usize),
                        placeholder: s.is_placeholder(),
                        link: Some(match s.link {
                            logtrace::trace::Link::ChildOf => Link::ChildOf,
                            logtrace::trace::Link::FollowsFrom => Link::FollowsFrom,
                        }),
                        inferred: s.inferred_parent,
                        confidence: s.parent_confidence,
                        truth,
                        events: s.events.len() as u32,
                        truth_events,
                        start_ns: s.start_ns,
                        end_ns: s.end_ns,
                        status: s.status,
                        error: s.error,
                    }
                })
                .collect(),
            failed: t.failed(),
            extent_ns: t.duration_ns(),
            root_latency_ns: t.root_latency_ns,
        })
        .collect();
    let offsets = built
        .clock_offsets
        .iter()
        .map(|o| ROffset {
            service: sy.get(o.service).to_string(),
            // A file is one host: `<service>/<host>.log`.
            host: o.file.and_then(|f| {
                let path = &ing.files.get(f as usize)?.path;
                let name = path.rsplit(['/', '\\']).next()?;
                Some(name.trim_end_matches(".log").to_string())
            }),
            window: (o.from_ns != i64::MIN || o.to_ns != i64::MAX).then_some((o.from_ns, o.to_ns)),
            offset_ns: (o.offset_ms * 1e6).round() as i64,
            confidence: o.confidence,
            // The library reports its reference clock as exactly 0, with no range.
            reference: o.offset_ms == 0.0
                && o.low_ms == 0.0
                && o.high_ms == 0.0
                && o.confidence >= 1.0,
        })
        .collect();
    let logged: u64 = rendered
        .lines_of
        .iter()
        .flatten()
        .map(|&n| u64::from(n))
        .sum();
    Rebuilt {
        traces,
        edges: logtrace::analyze::deps::dependencies(built, sy),
        offsets,
        untraced_lines: logged.saturating_sub(in_traces),
    }
}

/// The most frequent span of `refs` and its count (ties: the first seen).
fn majority(refs: &[SpanRef]) -> (Option<SpanRef>, u32) {
    let mut counts: Vec<(SpanRef, u32)> = Vec::new();
    for &r in refs {
        match counts.iter_mut().find(|(x, _)| *x == r) {
            Some((_, n)) => *n += 1,
            None => counts.push((r, 1)),
        }
    }
    let mut best: Option<(SpanRef, u32)> = None;
    for (r, n) in counts {
        if best.map_or(true, |(_, m)| n > m) {
            best = Some((r, n));
        }
    }
    (best.map(|b| b.0), best.map_or(0, |b| b.1))
}

/// The nearest ancestor of span `si` that logged something: what a perfect
/// tool can name as its parent. `None` for a root, or when no ancestor logged.
pub fn expected_parent(t: &TruthTrace, ti: usize, si: usize, r: &Rendered) -> Option<usize> {
    let mut at = t.spans[si].parent;
    while let Some(p) = at {
        if r.logged((ti as u32, p as u32)) {
            return Some(p);
        }
        at = t.spans[p].parent;
    }
    None
}

/// The root logged its duration: an end line (or an access line).
pub fn root_timed(world: &World, t: &TruthTrace, ti: usize, r: &Rendered) -> bool {
    let svc = &world.services[t.spans[0].service];
    r.logged((ti as u32, 0))
        && !world.hosts[t.spans[0].host].missing
        && (svc.style.is_access() || !matches!(svc.mode, super::world::Mode::StartOnly))
}

/// The perfect answer: one trace per truth trace, one span per logged truth
/// span, each under its expected parent, and the exact clock offsets.
pub fn oracle(world: &World, truth: &[TruthTrace], r: &Rendered) -> Rebuilt {
    let mut traces = Vec::new();
    for (ti, t) in truth.iter().enumerate() {
        let logged: Vec<usize> = (0..t.spans.len())
            .filter(|&k| r.logged((ti as u32, k as u32)))
            .collect();
        if logged.is_empty() {
            continue;
        }
        let index: BTreeMap<usize, usize> =
            logged.iter().enumerate().map(|(i, &k)| (k, i)).collect();
        let spans = logged
            .iter()
            .map(|&k| {
                let n = r.lines_of[ti][k];
                let ts = &t.spans[k];
                RSpan {
                    service: world.services[t.spans[k].service].name.clone(),
                    parent: expected_parent(t, ti, k, r).map(|p| index[&p]),
                    placeholder: false,
                    link: Some(t.spans[k].link),
                    inferred: false,
                    confidence: 1.0,
                    truth: Some((ti as u32, k as u32)),
                    events: n,
                    truth_events: n,
                    start_ns: ts.start_ns,
                    end_ns: ts.end_ns,
                    status: ts.status,
                    error: ts.failed(),
                }
            })
            .collect();
        let extent = logged.iter().map(|&k| t.spans[k].end_ns).max().unwrap_or(0)
            - logged
                .iter()
                .map(|&k| t.spans[k].start_ns)
                .min()
                .unwrap_or(0);
        traces.push(RTrace {
            spans,
            failed: t.failed(),
            extent_ns: extent,
            root_latency_ns: Some(t.spans[0].end_ns - t.spans[0].start_ns)
                .filter(|_| root_timed(world, t, ti, r)),
        });
    }
    // Per host, and per window of its shown time around a clock step.
    let entry = world.hosts[world.services[0].hosts[0]].clock.base_ns;
    let mut offsets = Vec::new();
    for h in &world.hosts {
        let one = |window, off: i64| ROffset {
            service: world.services[h.service].name.clone(),
            host: Some(h.name.clone()),
            window,
            offset_ns: off - entry,
            confidence: 0.95,
            reference: false,
        };
        match h.clock.step {
            None => offsets.push(one(None, h.clock.base_ns)),
            Some((at, stepped)) => {
                offsets.push(one(Some((i64::MIN, at + h.clock.base_ns)), h.clock.base_ns));
                offsets.push(one(Some((at + stepped, i64::MAX)), stepped));
            }
        }
    }
    Rebuilt {
        traces,
        edges: Vec::new(),
        offsets,
        untraced_lines: 0,
    }
}
