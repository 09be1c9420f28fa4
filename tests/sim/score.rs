//! Truth + what the library rebuilt -> counts: dependency edges, tree edges,
//! async links, failed traces, grouping. Counts add up over seeds
//! ([`Counts::merge`]); the ratios are computed at the end.
//!
//! Definitions (the test's assertions rest on them):
//! - A truth span is *logged* when at least one entry line speaks for it. Its
//!   *expected parent* is its nearest logged ancestor ([`expected_parent`]):
//!   the parent a perfect tool can name. A parent that logged nothing may also
//!   be stood for by a placeholder span (a span with no events), which counts
//!   as right for a span whose true parent logged nothing.
//! - A truth span's *home* is the rebuilt span that stands for it (most of
//!   its events speak for it; with several, the one with most). Other rebuilt
//!   spans standing for it are *fragments*; a logged span with no home is *lost*.
//! - *Tree accuracy*: the share of logged truth spans whose home's parent is
//!   right: no parent for a span with no expected parent; else the home of the
//!   expected parent, or a placeholder where the true parent logged nothing.
//!   Lost spans count as wrong.
//! - *Dependency edges*: a rebuilt span whose parent (looking through
//!   placeholders) belongs to another service is one call caller -> callee,
//!   keyed by the truth trace its events belong to. The expected calls are the
//!   same rule applied to the expected parents. Per-trace precision and recall
//!   weigh each (trace, caller, callee) by its calls (the matched count is the
//!   smaller of the two); the service-graph level compares the sets of
//!   (caller, callee) of one seed. Calls inside one service (self-calls) are
//!   not dependencies, as in the report; the tree score covers them.
//! - *Async links*: logged truth spans linked follows-from (fire-and-forget,
//!   queue). Found when the tree edge is right and the library does not call
//!   the link child-of; reversed when the expected parent's home hangs under
//!   the span's home.
//! - *Failed traces*: truth: the root request failed (status >= 500).
//!   Reported: traces the library marks failed.
//! - *Inferred parents*: a parent inferred with confidence >= 0.9 must be right.
//! - *Extent*: a rebuilt trace's extent is right within 5 ms (or 1% of it) of
//!   the true extent of its logged spans (the truth trace most of its spans
//!   stand for); its root latency within 1 ms of the root's duration where
//!   the root logged one. Whole-second stamps alone cannot be that precise.
//!
//! Per style, spans and edges count under the style of the span's (the
//! callee's) service.

use std::collections::{BTreeMap, BTreeSet};

use super::rebuilt::{expected_parent, RSpan, Rebuilt};
use super::render::{Rendered, SpanRef};
use super::truth::{Link, TruthSpan, TruthTrace};
use super::world::{Style, World};

/// Mergeable counts of one seed or many.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counts {
    pub calls_expected: u64,
    pub calls_reported: u64,
    pub calls_matched: u64,
    pub graph_expected: u64,
    pub graph_reported: u64,
    pub graph_matched: u64,
    pub spans_logged: u64,
    pub spans_right: u64,
    pub spans_lost: u64,
    pub fragments: u64,
    pub async_links: u64,
    pub async_found: u64,
    pub async_reversed: u64,
    /// Calls the caller waited for (child-of in the truth), their tree edge
    /// right, but marked follows-from.
    pub async_false: u64,
    pub traces: u64,
    pub traces_grouped: u64,
    pub failed_truth: u64,
    pub failed_reported: u64,
    pub failed_matched: u64,
    /// Inferred parents, those claimed with confidence >= 0.9, and those of them wrong.
    pub inferred: u64,
    pub inferred_confident: u64,
    pub inferred_confident_wrong: u64,
    /// Inferred parents by confidence, in tenths (0.0-0.1, ..., 0.9-1.0):
    /// how many, and how many right. A confidence says how often such a
    /// guess is right: the share right in a tenth should be at least its floor.
    pub by_confidence: [(u64, u64); 10],
    /// The report's service edges (`dependencies`) by their confidence, in
    /// tenths: how many, and how many are true edges.
    pub edges_by_confidence: [(u64, u64); 10],
    /// Spans placed by timing, by which other logged spans of their trace
    /// held them in true time: none; only the parent, whose ends the logs
    /// show to the millisecond (timing picks it among the spans with a
    /// logged end, the clocks known; a span logged by its start only that
    /// began before may still be a candidate); one other span; several; and
    /// spans whose own ends the logs do not show to the millisecond (a
    /// start line only, an access line stamped to the second). How many,
    /// and how many right.
    pub by_holders: [(u64, u64); 5],
    /// Traces whose extent is within 5 ms (or 1%) of the logged spans' true
    /// extent; traces whose root logged a latency, and those reported exactly (1 ms).
    pub extent_right: u64,
    pub root_latencies: u64,
    pub root_latency_right: u64,
}

impl Counts {
    pub fn merge(&mut self, o: &Counts) {
        self.calls_expected += o.calls_expected;
        self.calls_reported += o.calls_reported;
        self.calls_matched += o.calls_matched;
        self.graph_expected += o.graph_expected;
        self.graph_reported += o.graph_reported;
        self.graph_matched += o.graph_matched;
        self.spans_logged += o.spans_logged;
        self.spans_right += o.spans_right;
        self.spans_lost += o.spans_lost;
        self.fragments += o.fragments;
        self.async_links += o.async_links;
        self.async_found += o.async_found;
        self.async_reversed += o.async_reversed;
        self.async_false += o.async_false;
        self.traces += o.traces;
        self.traces_grouped += o.traces_grouped;
        self.failed_truth += o.failed_truth;
        self.failed_reported += o.failed_reported;
        self.failed_matched += o.failed_matched;
        self.inferred += o.inferred;
        self.inferred_confident += o.inferred_confident;
        self.inferred_confident_wrong += o.inferred_confident_wrong;
        for (a, b) in self.by_confidence.iter_mut().zip(&o.by_confidence) {
            a.0 += b.0;
            a.1 += b.1;
        }
        for (a, b) in self.by_holders.iter_mut().zip(&o.by_holders) {
            a.0 += b.0;
            a.1 += b.1;
        }
        for (a, b) in self
            .edges_by_confidence
            .iter_mut()
            .zip(&o.edges_by_confidence)
        {
            a.0 += b.0;
            a.1 += b.1;
        }
        self.extent_right += o.extent_right;
        self.root_latencies += o.root_latencies;
        self.root_latency_right += o.root_latency_right;
    }
    pub fn dep_precision(&self) -> f64 {
        ratio(self.calls_matched, self.calls_reported)
    }
    pub fn dep_recall(&self) -> f64 {
        ratio(self.calls_matched, self.calls_expected)
    }
    pub fn graph_precision(&self) -> f64 {
        ratio(self.graph_matched, self.graph_reported)
    }
    pub fn graph_recall(&self) -> f64 {
        ratio(self.graph_matched, self.graph_expected)
    }
    pub fn tree_accuracy(&self) -> f64 {
        ratio(self.spans_right, self.spans_logged)
    }
}

/// `a / b`, 1 when there is nothing to count (no claim is a wrong claim).
pub fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Counts per style and over all styles.
#[derive(Clone, Debug, Default)]
pub struct Score {
    pub by_style: BTreeMap<Style, Counts>,
    pub all: Counts,
    /// Wrong tree edges by what went wrong: `(callee style, kind of mistake)`.
    pub wrong: BTreeMap<(Style, &'static str), u64>,
}

impl Score {
    pub fn merge(&mut self, o: &Score) {
        for (s, c) in &o.by_style {
            self.by_style.entry(*s).or_default().merge(c);
        }
        self.all.merge(&o.all);
        for (k, n) in &o.wrong {
            *self.wrong.entry(*k).or_default() += n;
        }
    }
}

/// What a wrong tree edge got wrong: where the parent the library chose
/// stands in the truth, relative to the expected parent.
fn mistake(
    t: &TruthTrace,
    ti: usize,
    si: usize,
    exp: Option<usize>,
    got: Option<&RSpan>,
    inferred: bool,
) -> &'static str {
    let ancestor = |a: usize, mut of: usize| {
        while let Some(p) = t.spans[of].parent {
            if p == a {
                return true;
            }
            of = p;
        }
        false
    };
    let how = match (exp, got) {
        (Some(_), None) => "root, has a caller",
        (None, Some(_)) => "should be the root",
        (None, None) => "right",
        (Some(_), Some(g)) if g.placeholder => "placeholder, caller logged",
        (Some(e), Some(g)) => match g.truth {
            None => "parent maps to no truth",
            Some((gt, _)) if gt as usize != ti => "parent from another trace",
            Some((_, g)) => {
                let g = g as usize;
                if g == si || ancestor(si, g) {
                    "own descendant (reversed)"
                } else if ancestor(g, e) {
                    "an ancestor of the caller"
                } else if t.spans[g].parent == t.spans[e].parent {
                    "a sibling of the caller"
                } else if t.spans[g].parent == t.spans[si].parent || ancestor(e, g) {
                    "a sibling (called by the caller)"
                } else {
                    "elsewhere in the trace"
                }
            }
        },
    };
    match (how, inferred) {
        ("root, has a caller", _) => how,
        (h, true) => h,
        ("placeholder, caller logged", false) => "placeholder, caller logged (ids)",
        ("an ancestor of the caller", false) => "an ancestor of the caller (ids)",
        (_, false) => "wrong by ids",
    }
}

/// Where each truth span lives in the rebuilt traces: its home and how many
/// fragments it has.
struct Homes {
    home: BTreeMap<SpanRef, (usize, usize, u32)>,
    fragments: BTreeMap<SpanRef, u32>,
}

fn homes(rebuilt: &Rebuilt) -> Homes {
    let mut home: BTreeMap<SpanRef, (usize, usize, u32)> = BTreeMap::new();
    let mut fragments: BTreeMap<SpanRef, u32> = BTreeMap::new();
    for (rt, t) in rebuilt.traces.iter().enumerate() {
        for (rk, s) in t.spans.iter().enumerate() {
            let Some(r) = s.truth else { continue };
            match home.get(&r) {
                Some(&(_, _, n)) => {
                    *fragments.entry(r).or_default() += 1;
                    if s.truth_events > n {
                        home.insert(r, (rt, rk, s.truth_events));
                    }
                }
                None => {
                    home.insert(r, (rt, rk, s.truth_events));
                }
            }
        }
    }
    Homes { home, fragments }
}

/// The nearest ancestor of a rebuilt span that is not a placeholder.
fn real_parent(spans: &[RSpan], k: usize) -> Option<usize> {
    let mut at = spans[k].parent;
    let mut steps = 0;
    while let Some(p) = at {
        if !spans[p].placeholder || steps > spans.len() {
            return Some(p);
        }
        at = spans[p].parent;
        steps += 1;
    }
    None
}

/// Scores one seed.
pub fn score(world: &World, truth: &[TruthTrace], r: &Rendered, rebuilt: &Rebuilt) -> Score {
    let style_of: BTreeMap<&str, Style> = world
        .services
        .iter()
        .map(|s| (s.name.as_str(), s.style))
        .collect();
    let style_by_name = |n: &str| style_of.get(n).copied().unwrap_or(Style::Access);
    let svc_name = |ti: usize, k: usize| world.services[truth[ti].spans[k].service].name.as_str();
    let h = homes(rebuilt);
    let mut out = Score::default();
    let mut count = |style: Style, f: &mut dyn FnMut(&mut Counts)| {
        f(out.by_style.entry(style).or_default());
        f(&mut out.all);
    };

    // Tree edges and async links; the expected calls.
    let mut expected: BTreeMap<(usize, &str, &str), u64> = BTreeMap::new();
    for (ti, t) in truth.iter().enumerate() {
        for (si, s) in t.spans.iter().enumerate() {
            let me = (ti as u32, si as u32);
            if !r.logged(me) {
                continue;
            }
            let style = world.services[s.service].style;
            let exp = expected_parent(t, ti, si, r);
            if let Some(e) = exp {
                if t.spans[e].service != s.service {
                    *expected
                        .entry((ti, svc_name(ti, e), svc_name(ti, si)))
                        .or_default() += 1;
                }
            }
            let frag = h.fragments.get(&me).copied().unwrap_or(0);
            let Some(&(rt, rk, _)) = h.home.get(&me) else {
                count(style, &mut |c| {
                    c.spans_logged += 1;
                    c.spans_lost += 1;
                    c.async_links += u64::from(s.link == Link::FollowsFrom);
                });
                continue;
            };
            let spans = &rebuilt.traces[rt].spans;
            let right = match spans[rk].parent {
                None => exp.is_none(),
                Some(p) if spans[p].placeholder => {
                    s.parent.is_some_and(|tp| !r.logged((ti as u32, tp as u32)))
                }
                Some(p) => exp.is_some() && spans[p].truth == exp.map(|e| (ti as u32, e as u32)),
            };
            let reversed = exp.is_some_and(|e| {
                h.home
                    .get(&(ti as u32, e as u32))
                    .is_some_and(|&(et, ek, _)| {
                        et == rt && rebuilt.traces[et].spans[ek].parent == Some(rk)
                    })
            });
            if !right {
                let got = spans[rk].parent.map(|p| &spans[p]);
                let why = mistake(t, ti, si, exp, got, spans[rk].inferred);
                *out.wrong.entry((style, why)).or_default() += 1;
                if std::env::var_os("LOGTRACE_SIM_EDGES").is_some() {
                    let name = |k: usize| {
                        let x = &t.spans[k];
                        let svc = &world.services[x.service].name;
                        let ms = (x.start_ns - t.spans[0].start_ns) as f64 / 1e6;
                        let dur = (x.end_ns - x.start_ns) as f64 / 1e6;
                        format!("{svc} {} +{ms:.1} ({dur:.1} ms, {:?})", x.path, x.kind)
                    };
                    let got = got.and_then(|g| g.truth).map(|(_, g)| name(g as usize));
                    eprintln!(
                        "[{style:?}] {why}: {} under {:?}, not {:?}",
                        name(si),
                        got.unwrap_or_default(),
                        exp.map(name).unwrap_or_default()
                    );
                }
            }
            // Logged spans of the trace, with an end the logs show, that
            // held this one in true time (4: its own end is not shown).
            // Both ends logged to the millisecond (access lines are stamped
            // to the second: they hold anything within it).
            let ends_shown = |x: &super::truth::TruthSpan| {
                let svc = &world.services[x.service];
                !svc.style.is_access() && !matches!(svc.mode, super::world::Mode::StartOnly)
            };
            let held_by: Vec<usize> = (0..t.spans.len())
                .filter(|&k| {
                    let x = &t.spans[k];
                    k != si
                        && r.logged((ti as u32, k as u32))
                        && x.start_ns <= s.start_ns
                        && s.end_ns <= x.end_ns
                })
                .collect();
            let holders = match held_by[..] {
                _ if !ends_shown(s) => 4,
                [] => 0,
                // One span held it, its parent, which logged its end: the
                // logs determine the caller, the clocks known.
                [h] if exp == Some(h) && ends_shown(&t.spans[h]) => 1,
                [_] => 2,
                _ => 3,
            };
            let is_async = s.link == Link::FollowsFrom;
            let marked_sync = spans[rk].link == Some(Link::ChildOf);
            let inferred = spans[rk].inferred;
            let confident = inferred && spans[rk].confidence >= 0.9;
            count(style, &mut |c| {
                c.spans_logged += 1;
                c.spans_right += u64::from(right);
                c.inferred += u64::from(inferred);
                c.inferred_confident += u64::from(confident);
                c.inferred_confident_wrong += u64::from(confident && !right);
                if inferred {
                    let b = &mut c.by_holders[holders];
                    b.0 += 1;
                    b.1 += u64::from(right);
                    let tenth = ((spans[rk].confidence * 10.0) as usize).min(9);
                    c.by_confidence[tenth].0 += 1;
                    c.by_confidence[tenth].1 += u64::from(right);
                }
                c.fragments += u64::from(frag);
                if !is_async && right && spans[rk].link == Some(Link::FollowsFrom) {
                    c.async_false += 1;
                }
                if is_async {
                    c.async_links += 1;
                    c.async_found += u64::from(right && !marked_sync);
                    c.async_reversed += u64::from(reversed);
                }
            });
        }
    }

    // Reported calls, keyed by the truth trace of the callee's events.
    let mut reported: BTreeMap<(usize, &str, &str), u64> = BTreeMap::new();
    for t in &rebuilt.traces {
        for (k, s) in t.spans.iter().enumerate() {
            let (Some((ti, _)), Some(p)) = (s.truth, real_parent(&t.spans, k)) else {
                continue;
            };
            if t.spans[p].service != s.service {
                let key = (ti as usize, t.spans[p].service.as_str(), s.service.as_str());
                *reported.entry(key).or_default() += 1;
            }
        }
    }
    let mut graph_e: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut graph_r: BTreeSet<(&str, &str)> = BTreeSet::new();
    for (key @ &(_, a, b), &n) in &expected {
        graph_e.insert((a, b));
        let m = reported.get(key).copied().unwrap_or(0).min(n);
        count(style_by_name(b), &mut |c| {
            c.calls_expected += n;
            c.calls_matched += m;
        });
    }
    for (&(_, a, b), &n) in &reported {
        graph_r.insert((a, b));
        count(style_by_name(b), &mut |c| c.calls_reported += n);
    }
    if std::env::var_os("LOGTRACE_SIM_EDGES").is_some() {
        for &(a, b) in graph_e.symmetric_difference(&graph_r) {
            let what = if graph_e.contains(&(a, b)) {
                "missed"
            } else {
                "false"
            };
            eprintln!("{what} service edge: {a} -> {b}");
        }
    }
    for &(a, b) in graph_e.union(&graph_r) {
        let (e, g) = (graph_e.contains(&(a, b)), graph_r.contains(&(a, b)));
        count(style_by_name(b), &mut |c| {
            c.graph_expected += u64::from(e);
            c.graph_reported += u64::from(g);
            c.graph_matched += u64::from(e && g);
        });
    }
    // The report's edges by the confidence it gives them (overall only).
    for d in &rebuilt.edges {
        if let Some(conf) = d.confidence {
            let tenth = ((conf * 10.0) as usize).min(9);
            let e = &mut out.all.edges_by_confidence[tenth];
            e.0 += 1;
            e.1 += u64::from(graph_e.contains(&(d.caller.as_str(), d.callee.as_str())));
        }
    }

    // Grouping and failures, per trace (overall only).
    let mut truth_in: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    let mut rebuilt_holds: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); rebuilt.traces.len()];
    for (rt, t) in rebuilt.traces.iter().enumerate() {
        for s in &t.spans {
            if let Some((ti, _)) = s.truth {
                truth_in.entry(ti as usize).or_default().insert(rt);
                rebuilt_holds[rt].insert(ti as usize);
            }
        }
    }
    for (ti, t) in truth.iter().enumerate() {
        if !(0..t.spans.len()).any(|k| r.logged((ti as u32, k as u32))) {
            continue;
        }
        out.all.traces += 1;
        out.all.failed_truth += u64::from(t.failed());
        if let Some(rts) = truth_in.get(&ti) {
            if rts.len() == 1 && rebuilt_holds[*rts.first().unwrap()].len() == 1 {
                out.all.traces_grouped += 1;
            }
        }
    }
    for t in &rebuilt.traces {
        // The truth trace most of its spans belong to.
        let mut n: BTreeMap<usize, usize> = BTreeMap::new();
        for s in &t.spans {
            if let Some((ti, _)) = s.truth {
                *n.entry(ti as usize).or_default() += 1;
            }
        }
        let Some((&ti, _)) = n
            .iter()
            .max_by_key(|(ti, c)| (**c, std::cmp::Reverse(**ti)))
        else {
            continue;
        };
        let tt = &truth[ti];
        if t.failed {
            out.all.failed_reported += 1;
            out.all.failed_matched += u64::from(tt.failed());
            if !tt.failed() && std::env::var_os("LOGTRACE_SIM_EDGES").is_some() {
                let root = t.spans.iter().position(|s| s.parent.is_none());
                let desc = |k: usize| {
                    let s = &t.spans[k];
                    let truth = s.truth.map(|(_, j)| {
                        let x = &tt.spans[j as usize];
                        format!("{:?} {} status {}", x.kind, x.path, x.status)
                    });
                    format!(
                        "{} {:?} inferred {} status {} error {}",
                        s.service, truth, s.inferred, s.status, s.error
                    )
                };
                for (k, x) in t.spans.iter().enumerate() {
                    eprintln!(
                        "   {k} <- {:?} {} conf {} {:?} start {:.1} end {:.1}",
                        x.parent,
                        desc(k),
                        x.confidence,
                        x.link,
                        (x.start_ns - t.spans[0].start_ns) as f64 / 1e6,
                        (x.end_ns - t.spans[0].start_ns) as f64 / 1e6
                    );
                }
                eprintln!(
                    "reported failed, truth not: root {:?}; truth root {} {} status {}",
                    root.map(desc),
                    world.services[tt.spans[0].service].name,
                    tt.spans[0].path,
                    tt.spans[0].status
                );
            }
        }
        // The extent of what was logged of the trace, in true time.
        let logged: Vec<&TruthSpan> = (0..tt.spans.len())
            .filter(|&k| r.logged((ti as u32, k as u32)))
            .map(|k| &tt.spans[k])
            .collect();
        let extent = logged.iter().map(|s| s.end_ns).max().unwrap_or(0)
            - logged.iter().map(|s| s.start_ns).min().unwrap_or(0);
        let slack = (extent / 100).max(5_000_000);
        out.all.extent_right += u64::from((t.extent_ns - extent).abs() <= slack);
        if super::rebuilt::root_timed(world, tt, ti, r) {
            out.all.root_latencies += 1;
            let want = tt.spans[0].end_ns - tt.spans[0].start_ns;
            out.all.root_latency_right += u64::from(
                t.root_latency_ns
                    .is_some_and(|got| (got - want).abs() <= 1_000_000),
            );
        }
    }
    out
}
