//! Spans of many traces -> each clock domain's offset, per time window.
//!
//! Input: every trace's spans with their logged times and the parents their
//! ids give. Output: [`Offsets`], what to subtract from each span's times,
//! and the [`ClockOffset`] report.
//!
//! A clock domain is a file: one host or pod writes it on one clock. A call
//! from a caller span to a callee span in another domain bounds the callee
//! domain's offset `d` relative to the caller's from both ends: the callee
//! cannot start before its caller started, `d <= callee.start - caller.start`,
//! nor end after it ended, `d >= callee.end - caller.end` (only where the
//! span's end is logged). The calls come from logged ids (exact), and, for
//! spans no id links, from every span of another domain that could have
//! called them: the true calls of a domain pair agree on one offset, chance
//! pairs scatter, and the offset inside the most bounds wins if enough of
//! the spans agree ([`MIN_SUPPORT`]).
//!
//! Domains are solved from a reference (the entry's: the service most traces
//! are longest in)
//! outwards, strongest link first: a domain's bounds are taken against every
//! domain already solved, corrected by its offset. Per domain, bounds sorted
//! in time are checked for a step (a clock corrected by NTP mid-run): when
//! two windows explain the bounds much better than one, each window gets its
//! own offset. In a window the offset is:
//! - 0 when 0 is inside the bounds most calls allow: the calls fit as
//!   logged, and no offset is applied without evidence of overlap;
//! - else the value a little inside the side whose gaps are tight: the gap
//!   between a caller's start and its call's start, and between the call's
//!   end and the caller's end, both have a small floor (network and setup
//!   time); the side whose smallest gaps cluster near its edge is the one a
//!   call hugs (a first call starts soon after its caller; a last call ends
//!   just before it), so the offset sits [`FLOOR_NS`] inside that edge, not
//!   at the edge of the range that merely fits.
//!
//! The reference's own clock may step too: then every clock measured against
//! it steps at the same time by the same amount, which independent clocks do
//! not do; the reference gets two windows and the rest is solved again.
//!
//! Confidence is the chance the offset is within the tolerance of the truth:
//! high only when the range the calls allow (widened by the uncertainty of
//! the domain it was measured against) is narrow enough that any value in it
//! is, scaled by the share of calls that agree, and when logged ids (not
//! timing) paired the calls that bound it from both sides (a call whose end
//! is not logged agrees with any offset and narrows nothing); below 0.9
//! otherwise. A clock stepped back logs some times twice: a window is as sure
//! as the share of its calls outside the stretch another window covers too.
//! A span stamped in whole seconds ended up to a second after its stamp: its
//! bounds are a second wider, and many calls, each cut at another point of
//! the second, still narrow the offset down. Whatever can not be estimated
//! keeps offset 0 and is not reported.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::ingest::event::{Sym, Symbols};

use super::spans::{Coarse, COARSE_NS};
use super::{ClockOffset, Link, Span, SpanKind, OFFSET_TOLERANCE_MS};

/// Fewest calls a domain pair needs before its offset is estimated.
pub const MIN_PAIRS: usize = 3;
/// Share of a domain's unlinked spans that must agree on an offset for
/// chance pairs to count as calls.
pub const MIN_SUPPORT: f64 = 0.5;
/// The smallest gap a call leaves at its tight side (ns).
pub const FLOOR_NS: i64 = 500_000;
/// Chance pairs count only where they agree on a range this narrow (ns):
/// spans stamped in whole seconds agree on anything until enough of them
/// cut the second at different points.
pub const MAX_CHANCE_WIDTH_NS: i64 = 250_000_000;
/// How many bounds the search for a clock step looks at.
const STEP_SAMPLE: usize = 256;
/// Above this many spans a trace gives no chance pairs (they grow quadratically).
pub const MAX_PAIR_SPANS: usize = 200;
/// Bounds further apart than this are not an offset (ns): 10 minutes.
const MAX_OFFSET_NS: i64 = 600 * 1_000_000_000;
const TOL_NS: i64 = (OFFSET_TOLERANCE_MS * 1e6) as i64;
/// Clocks that step within this of each other step together (ns).
const STEP_TOGETHER_NS: i64 = 5 * 1_000_000_000;
const OPEN_LO: i64 = i64::MIN / 4;
const OPEN_HI: i64 = i64::MAX / 4;

/// One caller/callee observation between two domains: bounds on
/// `offset(callee) - offset(caller)`, `OPEN_LO`/`OPEN_HI` where a side is not logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pair {
    pub caller: u32,
    pub callee: u32,
    pub lo: i64,
    pub hi: i64,
    /// The callee's and the caller's start as logged (to find windows).
    pub callee_at: i64,
    pub caller_at: i64,
    /// Where the pairing comes from.
    pub from: Evidence,
    /// The callee span, as (trace, span) for chance pairs (to count support).
    pub who: (u32, u32),
}

/// What says two spans were caller and callee.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Evidence {
    /// Logged ids.
    Ids,
    /// The first round's inference, on the first round's offsets.
    Inferred,
    /// Nothing: every span that could have called; true calls agree, the rest scatter.
    Chance,
}

/// A domain's offset over one window of its own (logged) time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub from_ns: i64,
    pub to_ns: i64,
    pub offset_ns: i64,
    /// How far the truth may be from `offset_ns` (ns), either way, relative
    /// to the clock of `group`.
    pub radius_ns: i64,
    /// The domain the offset is measured against: the reference, or, for
    /// domains no evidence links to it, another anchor (offsets of different
    /// groups are not comparable).
    pub group: u32,
}

/// The offsets to subtract, by domain (file), windows in time order.
#[derive(Clone, Debug, Default)]
pub struct Offsets {
    pub domains: BTreeMap<u32, Vec<Window>>,
}

/// The uncertainty of a domain nothing measured: the largest skew expected.
pub const UNKNOWN_RADIUS_NS: i64 = 2_500_000_000;

impl Offsets {
    /// The window of domain `file` at logged time `t`.
    pub fn window(&self, file: Option<u32>, t: i64) -> Option<&Window> {
        window_at(self.domains.get(&file?)?, t)
    }
    /// The offset to subtract from a span of domain `file` logged at `t`.
    pub fn offset(&self, file: Option<u32>, t: i64) -> i64 {
        self.window(file, t).map_or(0, |w| w.offset_ns)
    }
    /// How uncertain that offset is (ns), and against which group.
    pub fn radius(&self, file: Option<u32>, t: i64) -> (Option<u32>, i64) {
        self.window(file, t)
            .map_or((None, UNKNOWN_RADIUS_NS), |w| (Some(w.group), w.radius_ns))
    }
}

/// The window of a domain's windows `ws` that holds logged time `t` (the
/// first, where they overlap); between windows, the nearer one.
fn window_at(ws: &[Window], t: i64) -> Option<&Window> {
    ws.iter()
        .find(|w| w.from_ns <= t && t <= w.to_ns)
        .or_else(|| {
            // Between windows: the nearer one.
            ws.iter()
                .min_by_key(|w| w.from_ns.saturating_sub(t).max(t.saturating_sub(w.to_ns)))
        })
}

/// What a span offers the estimate: its domain and the range its true
/// start and end may be in, by its own clock.
struct View {
    dom: u32,
    start: (i64, i64),
    end: (i64, i64),
    /// Both ends known to the clock's resolution (a logged duration).
    timed: bool,
    /// Stamped finer than whole seconds.
    fine: bool,
}

fn view(s: &Span, coarse: &Coarse) -> Option<View> {
    if s.kind == SpanKind::Placeholder {
        return None;
    }
    // A whole-second stamp: the span ended up to a second later than it says.
    let late = if coarse.contains(s.service) {
        COARSE_NS - 1
    } else {
        0
    };
    let (start, end) = if s.timed {
        (
            (s.start_ns, s.start_ns.saturating_add(late)),
            (s.end_ns, s.end_ns.saturating_add(late)),
        )
    } else {
        // Lines only: the span ran at least from the first to the last.
        (
            (OPEN_LO, s.start_ns.saturating_add(late)),
            (s.end_ns, OPEN_HI),
        )
    };
    Some(View {
        dom: s.file?,
        start,
        end,
        timed: s.timed,
        fine: late == 0,
    })
}

/// Bounds on `offset(callee) - offset(caller)` if `p` called `c` and waited:
/// the callee started no earlier than the caller, and ended no later.
fn bounds(p: &View, c: &View) -> (i64, i64) {
    let open = |x: i64| x <= OPEN_LO || x >= OPEN_HI;
    let hi = if open(c.start.1) || open(p.start.0) {
        OPEN_HI
    } else {
        c.start.1.saturating_sub(p.start.0)
    };
    let lo = if open(c.end.0) || open(p.end.1) {
        OPEN_LO
    } else {
        c.end.0.saturating_sub(p.end.1)
    };
    (lo, hi)
}

/// The pairs of one trace (spans as logged, parents from ids only): every
/// id link across domains, and for every span no id links to a parent,
/// every span of another domain that could have called it. Chance pairs
/// need two clocks finer than a second: a whole-second stamp fits any
/// relation within a second and would agree with a reversed or a sibling call.
pub fn pairs(trace: u32, spans: &[Span], coarse: &Coarse) -> Vec<Pair> {
    let mut out = Vec::new();
    let views: Vec<Option<View>> = spans.iter().map(|s| view(s, coarse)).collect();
    let chance = spans.len() <= MAX_PAIR_SPANS;
    for (k, s) in spans.iter().enumerate() {
        let Some(c) = &views[k] else { continue };
        // A placeholder parent says who called, not when: like no parent.
        let linked = s
            .parent
            .filter(|&p| !s.inferred_parent && spans[p as usize].kind != SpanKind::Placeholder);
        match linked {
            Some(p) => {
                if let Some(pv) = views.get(p as usize).and_then(|v| v.as_ref()) {
                    push(&mut out, pv, c, Evidence::Ids, (trace, k as u32));
                }
            }
            // Under a placeholder the ids say who called: a span nobody
            // logged. Chance would only find its siblings.
            _ if s.parent.is_some() && !s.inferred_parent => {}
            _ if chance && c.timed && c.fine => {
                // Only the callers that need the least offset count (none
                // for a span that fits a caller as logged): sequential
                // siblings, the same every time, would otherwise agree on a
                // false offset.
                let first = out.len();
                for (j, pv) in views.iter().enumerate() {
                    let Some(pv) = pv else { continue };
                    if j == k || pv.dom == c.dom || !pv.timed || !pv.fine {
                        continue;
                    }
                    // A caller waits for its call: it lasts at least as long.
                    if pv.end.0 - pv.start.0 < c.end.0 - c.start.0 {
                        continue;
                    }
                    let (lo, hi) = bounds(pv, c);
                    if hi.abs() > MAX_OFFSET_NS || lo.abs() > MAX_OFFSET_NS {
                        continue;
                    }
                    push(&mut out, pv, c, Evidence::Chance, (trace, k as u32));
                }
                let shift = |p: &Pair| p.lo.max(0).saturating_sub(p.hi.min(0));
                if let Some(least) = out[first..].iter().map(shift).min() {
                    // Nearly fitting as logged: a call just after a sibling
                    // would fit as well as a skew of a few ms. No evidence.
                    if least > 0 && least <= 2 * TOL_NS {
                        out.truncate(first);
                        continue;
                    }
                    let mut keep = first;
                    for i in first..out.len() {
                        if shift(&out[i]) <= least.saturating_add(TOL_NS) {
                            out.swap(keep, i);
                            keep += 1;
                        }
                    }
                    out.truncate(keep);
                }
            }
            _ => {}
        }
    }
    out
}

/// The pairs the inferred parents of one trace give: `assigned` is the
/// trace's spans, same order as `spans` (which are as logged), with parents
/// inferred on corrected times. Only calls inferred with some confidence count.
pub fn inferred_pairs(trace: u32, spans: &[Span], assigned: &[Span], coarse: &Coarse) -> Vec<Pair> {
    let mut out = Vec::new();
    let confident = |a: &Span| {
        a.inferred_parent
            && a.link == Link::ChildOf
            && f64::from(a.parent_confidence) >= 0.5 * super::MAX_INFERRED_CONFIDENCE
    };
    for (k, a) in assigned.iter().enumerate() {
        // Under a placeholder, the placeholder's inferred caller called too.
        let p = match a.parent.map(|p| &assigned[p as usize]) {
            Some(ph) if ph.kind == SpanKind::Placeholder && !a.inferred_parent => {
                ph.parent.filter(|_| confident(ph))
            }
            _ => a.parent.filter(|_| confident(a)),
        };
        let Some(p) = p else { continue };
        let (Some(c), Some(pv)) = (
            spans.get(k).and_then(|s| view(s, coarse)),
            spans.get(p as usize).and_then(|s| view(s, coarse)),
        ) else {
            continue;
        };
        push(&mut out, &pv, &c, Evidence::Inferred, (trace, k as u32));
    }
    out
}

fn push(out: &mut Vec<Pair>, p: &View, c: &View, from: Evidence, who: (u32, u32)) {
    if p.dom == c.dom {
        return;
    }
    let (lo, hi) = bounds(p, c);
    out.push(Pair {
        caller: p.dom,
        callee: c.dom,
        lo,
        hi,
        callee_at: c.start.1,
        caller_at: p.start.1,
        from,
        who,
    });
}

/// The region inside the most intervals: (count, from, to). Closed
/// intervals; on a tie the region nearest 0.
fn densest(intervals: impl Iterator<Item = (i64, i64)>) -> (usize, i64, i64) {
    let mut ends: Vec<(i64, u8)> = Vec::new();
    for (lo, hi) in intervals {
        if lo <= hi {
            ends.push((lo, 0));
            ends.push((hi, 1));
        }
    }
    // Equal ends are equal values: any sort gives the same order.
    ends.par_sort_unstable();
    let (mut count, mut best) = (0usize, (0usize, 0i64, 0i64));
    let gap = |a: i64, b: i64| if a > 0 { a } else { b.min(0).saturating_neg() };
    for (i, &(x, kind)) in ends.iter().enumerate() {
        if kind == 1 {
            count -= 1;
            continue;
        }
        count += 1;
        let next = ends.get(i + 1).map_or(x, |e| e.0);
        if count > best.0 || (count == best.0 && gap(x, next) < gap(best.1, best.2)) {
            best = (count, x, next);
        }
    }
    best
}

/// One window's bounds (absolute, for the domain) -> (offset, radius, confidence, low, high).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Estimate {
    offset: i64,
    low: i64,
    high: i64,
    agree: usize,
    total: usize,
    /// The agreeing calls are (nearly all) linked by logged ids.
    by_ids: bool,
    /// The share of the window's calls that no other window's time covers
    /// (a clock stepped back logs some times twice).
    clean: f64,
}

/// The offset a set of bounds gives (see the module doc), or `None` when
/// too few calls agree on a two-sided range.
fn estimate(b: &[(i64, i64)]) -> Option<Estimate> {
    let (agree, l, h) = densest(b.iter().copied());
    if agree < MIN_PAIRS {
        return None;
    }
    // The range the agreeing calls allow: the tightest of their bounds.
    let inside: Vec<&(i64, i64)> = b.iter().filter(|(lo, hi)| *lo <= l && h <= *hi).collect();
    let low = inside.iter().map(|x| x.0).max().unwrap_or(l);
    let high = inside.iter().map(|x| x.1).min().unwrap_or(h);
    if low <= OPEN_LO || high >= OPEN_HI {
        // One-sided: an async hop or an end that is never logged. No overlap, no offset.
        return None;
    }
    let offset = if low <= 0 && 0 <= high {
        0
    } else {
        // Which side hugs its edge: the spread of the nearest tenth of the bounds.
        let mut his: Vec<i64> = inside.iter().map(|x| x.1 - high).collect();
        let mut los: Vec<i64> = inside.iter().map(|x| low - x.0).collect();
        let k = (inside.len() / 10).max(1).min(inside.len() - 1);
        let spread = |v: &mut Vec<i64>| *v.select_nth_unstable(k).1;
        let (hi_spread, lo_spread) = (spread(&mut his), spread(&mut los));
        let floor = FLOOR_NS.min((high - low) / 2);
        if hi_spread.saturating_mul(2) < lo_spread {
            high - floor
        } else if lo_spread.saturating_mul(2) < hi_spread {
            low + floor
        } else {
            // Neither side hugs its edge: the middle errs least.
            low / 2 + high / 2
        }
    };
    Some(Estimate {
        offset,
        low,
        high,
        agree,
        total: b.len(),
        by_ids: false,
        clean: 1.0,
    })
}

/// Where a sorted list of timed bounds steps: the split into two windows
/// that lets most bounds agree, if it beats one window clearly. Long lists
/// are searched on an even sample, then the cut is placed exactly between
/// the two sampled bounds around it.
fn step_at(b: &[(i64, (i64, i64))]) -> Option<usize> {
    let n = b.len();
    if n < 4 * MIN_PAIRS {
        return None;
    }
    let every = n.div_ceil(STEP_SAMPLE);
    let sample: Vec<(i64, (i64, i64))> = b.iter().step_by(every).copied().collect();
    let (cut, stride) = best_cut(&sample)?;
    // Refine among the bounds around the cut the sample found.
    let lo = cut.saturating_sub(stride) * every;
    let hi = ((cut + stride) * every).min(n);
    let left = densest(b[..lo].iter().map(|x| x.1));
    let right = densest(b[hi..].iter().map(|x| x.1));
    // A bound in between belongs to the side whose agreed range holds it.
    let fits = |x: &(i64, i64), r: (usize, i64, i64)| x.0 <= r.1 && r.2 <= x.1;
    let mut best = (0usize, lo);
    for c in lo..=hi {
        let score = b[lo..c].iter().filter(|x| fits(&x.1, left)).count()
            + b[c..hi].iter().filter(|x| fits(&x.1, right)).count();
        if score > best.0 {
            best = (score, c);
        }
    }
    Some(best.1.clamp(1, n - 1))
}

/// The cut of `b` into two windows that lets most bounds agree, if it
/// beats one window clearly (see [`step_at`]), and the stride it was searched at.
fn best_cut(b: &[(i64, (i64, i64))]) -> Option<(usize, usize)> {
    let n = b.len();
    if n < 4 * MIN_PAIRS {
        return None;
    }
    let all = densest(b.iter().map(|x| x.1)).0;
    if all * 10 >= n * 9 {
        return None;
    }
    // Chance pairs that do not agree are noise on both sides of a cut: only
    // a clearly better split is a step.
    let stride = (n / 32).max(1);
    let mut best: Option<(usize, usize)> = None;
    for cut in (MIN_PAIRS..=n - MIN_PAIRS).step_by(stride) {
        let left = densest(b[..cut].iter().map(|x| x.1)).0;
        let right = densest(b[cut..].iter().map(|x| x.1)).0;
        if best.map_or(true, |(s, _)| left + right > s) {
            best = Some((left + right, cut));
        }
    }
    let (score, cut) = best?;
    (score >= all + (n / 10).max(MIN_PAIRS)).then_some((cut, stride))
}

/// The entry service (the one most traces enter through) and its domain
/// with most entries: the reference clock. `entries` counts, per domain, the
/// traces whose entry span it holds.
pub fn entry(entries: &BTreeMap<u32, usize>, services: &BTreeMap<u32, Sym>) -> Option<(Sym, u32)> {
    let mut by_service: BTreeMap<Sym, usize> = BTreeMap::new();
    for (d, n) in entries {
        *by_service
            .entry(services.get(d).copied().unwrap_or(Sym::NONE))
            .or_default() += n;
    }
    let service = by_service
        .iter()
        .max_by_key(|&(s, n)| (*n, std::cmp::Reverse(*s)))
        .map(|(&s, _)| s)?;
    let domain = entries
        .iter()
        .filter(|(d, _)| services.get(d).copied() == Some(service))
        .max_by_key(|&(d, n)| (*n, std::cmp::Reverse(*d)))
        .map(|(&d, _)| d)?;
    Some((service, domain))
}

/// Everything the trace stage needs from the clocks: offsets, and the report.
pub fn solve(
    all: &[Pair],
    services: &BTreeMap<u32, Sym>,
    reference: Option<u32>,
    symbols: &Symbols,
) -> (Offsets, Vec<ClockOffset>) {
    // Domain pairs: exact pairs always count; chance pairs when enough of
    // the callee's unlinked spans agree on one offset.
    // Per domain pair: how many exact pairs, and the chance pairs' bounds
    // and callee spans. Pairs of a trace come together: most pairs repeat
    // the domain pair before them.
    #[derive(Default)]
    struct Tally {
        exact: usize,
        chance: Vec<(i64, i64)>,
        who: Vec<(u32, u32)>,
    }
    let mut slot: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    let mut tallies: Vec<Tally> = Vec::new();
    let mut last: Option<((u32, u32), usize)> = None;
    for p in all {
        let key = (p.caller, p.callee);
        let k = match last {
            Some((l, k)) if l == key => k,
            _ => {
                let k = *slot.entry(key).or_insert_with(|| {
                    tallies.push(Tally::default());
                    tallies.len() - 1
                });
                last = Some((key, k));
                k
            }
        };
        let t = &mut tallies[k];
        if p.from == Evidence::Chance {
            t.chance.push((p.lo, p.hi));
            t.who.push(p.who);
        } else {
            t.exact += 1;
        }
    }
    let mut links: Vec<(u32, u32, usize)> = Vec::new();
    let mut accepted: BTreeMap<(u32, u32), (i64, i64)> = BTreeMap::new();
    for (&(a, b), &k) in &slot {
        let t = &mut tallies[k];
        let chance = &t.chance;
        let mut weight = t.exact;
        if chance.len() >= MIN_PAIRS {
            let (k, l, h) = densest(chance.iter().copied());
            // Support: of the callee spans that had a span of this domain
            // to pair with, how many agree.
            let who = &mut t.who;
            who.par_sort_unstable();
            who.dedup();
            let n = who.len().max(1);
            if k >= MIN_PAIRS && k as f64 >= MIN_SUPPORT * n as f64 && h - l <= MAX_CHANCE_WIDTH_NS
            {
                accepted.insert((a, b), (l, h));
                weight += k;
            }
        }
        if weight >= MIN_PAIRS {
            links.push((a, b, weight));
        }
    }
    let Some(reference) = reference else {
        return (Offsets::default(), Vec::new());
    };
    let whole = vec![Window {
        from_ns: i64::MIN,
        to_ns: i64::MAX,
        offset_ns: 0,
        radius_ns: 0,
        group: reference,
    }];
    let all = ByDomain::new(all);
    let (mut offsets, mut report) = outwards(&all, &links, &accepted, services, reference, whole);
    // The reference's own clock may have stepped: every clock measured
    // against it then shows the same step at the same time. Solve again
    // with the reference in two windows.
    let mut ref_windows = vec![(i64::MIN, i64::MAX, 0i64)];
    if let Some(step) = reference_step(&offsets, reference) {
        let windows = vec![
            Window {
                from_ns: i64::MIN,
                to_ns: step.before_ns,
                offset_ns: 0,
                radius_ns: 0,
                group: reference,
            },
            Window {
                from_ns: step.after_ns,
                to_ns: i64::MAX,
                offset_ns: step.offset_ns,
                radius_ns: step.radius_ns,
                group: reference,
            },
        ];
        (offsets, report) = outwards(&all, &links, &accepted, services, reference, windows);
        ref_windows = vec![
            (i64::MIN, step.before_ns, 0),
            (step.after_ns, i64::MAX, step.offset_ns),
        ];
    }
    // The reference's own entry: offset 0 by definition.
    let ref_samples = all.of(reference).count();
    for (from_ns, to_ns, offset_ns) in ref_windows {
        // After a step of its own the reference is measured against its
        // clock before the step, through the clocks that saw the step: an
        // estimate like any other, below 0.9.
        let first = from_ns == i64::MIN;
        report.push(ClockOffset {
            service: services.get(&reference).copied().unwrap_or(Sym::NONE),
            file: Some(reference),
            from_ns,
            to_ns,
            offset_ms: offset_ns as f64 / 1e6,
            low_ms: offset_ns as f64 / 1e6,
            high_ms: offset_ns as f64 / 1e6,
            confidence: if first { 1.0 } else { 0.5 },
            samples: ref_samples,
            applied: offset_ns != 0,
        });
    }
    report.sort_by(|a, b| {
        symbols
            .get(a.service)
            .cmp(symbols.get(b.service))
            .then(a.file.cmp(&b.file))
            .then(a.from_ns.cmp(&b.from_ns))
    });
    (offsets, report)
}

/// Solves every domain outwards from the reference (whose windows are
/// given), the strongest link to a solved domain first; domains nothing
/// links to the solved ones get an anchor of their own.
fn outwards(
    all: &ByDomain,
    links: &[(u32, u32, usize)],
    accepted: &BTreeMap<(u32, u32), (i64, i64)>,
    services: &BTreeMap<u32, Sym>,
    reference: u32,
    reference_windows: Vec<Window>,
) -> (Offsets, Vec<ClockOffset>) {
    // Solve outwards from the reference, the strongest link to a solved domain first.
    let mut offsets = Offsets::default();
    let mut report: Vec<ClockOffset> = Vec::new();
    let anchor = |d: u32| {
        vec![Window {
            from_ns: i64::MIN,
            to_ns: i64::MAX,
            offset_ns: 0,
            radius_ns: 0,
            group: d,
        }]
    };
    offsets.domains.insert(reference, reference_windows);
    let mut failed: std::collections::BTreeSet<u32> = Default::default();
    loop {
        let next = links
            .iter()
            .filter_map(|&(a, b, w)| {
                let (sa, sb) = (
                    offsets.domains.contains_key(&a),
                    offsets.domains.contains_key(&b),
                );
                match (sa, sb) {
                    (true, false) if !failed.contains(&b) => Some((w, b)),
                    (false, true) if !failed.contains(&a) => Some((w, a)),
                    _ => None,
                }
            })
            .max_by_key(|&(w, d)| (w, std::cmp::Reverse(d)));
        let Some((_, dom)) = next else {
            // Nothing links the rest to the solved domains: a new anchor, the
            // unsolved domain with the most evidence, for a group of its own.
            let mut weight: BTreeMap<u32, usize> = BTreeMap::new();
            for &(a, b, w) in links {
                for d in [a, b] {
                    if !offsets.domains.contains_key(&d) && !failed.contains(&d) {
                        *weight.entry(d).or_default() += w;
                    }
                }
            }
            match weight
                .iter()
                .max_by_key(|&(d, w)| (*w, std::cmp::Reverse(*d)))
            {
                Some((&d, _)) => {
                    offsets.domains.insert(d, anchor(d));
                    continue;
                }
                None => break,
            }
        };
        match solve_domain(dom, all, accepted, &offsets) {
            Some(ws) => {
                for (w, est) in &ws {
                    report.push(ClockOffset {
                        service: services.get(&dom).copied().unwrap_or(Sym::NONE),
                        file: Some(dom),
                        from_ns: w.from_ns,
                        to_ns: w.to_ns,
                        offset_ms: w.offset_ns as f64 / 1e6,
                        low_ms: est.low as f64 / 1e6,
                        high_ms: est.high as f64 / 1e6,
                        confidence: confidence(
                            est,
                            if w.group == reference {
                                w.radius_ns
                            } else {
                                UNKNOWN_RADIUS_NS
                            },
                        ),
                        samples: est.total,
                        applied: w.offset_ns != 0,
                    });
                }
                offsets
                    .domains
                    .insert(dom, ws.into_iter().map(|(w, _)| w).collect());
            }
            None => {
                failed.insert(dom);
            }
        }
    }
    (offsets, report)
}

/// A clock's step as [`reference_step`] sees it: when (by the reference's
/// clock), how far, the windows' ends, their uncertainty.
type Cut = (i64, i64, i64, i64, i64);

/// A step of the reference clock, as the clocks measured against it show it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct ReferenceStep {
    /// The reference's last logged time before the step and first after it.
    before_ns: i64,
    after_ns: i64,
    /// The reference's offset after the step, relative to before it.
    offset_ns: i64,
    radius_ns: i64,
}

/// The step of the reference clock, if two clocks or more measured against
/// it step at the same time (within [`STEP_TOGETHER_NS`]) by the same amount
/// (within [`TOL_NS`]): independent clocks do not step together, so it is
/// the reference that did, the other way.
fn reference_step(offsets: &Offsets, reference: u32) -> Option<ReferenceStep> {
    // (when, by the reference's clock before the step; how far; the windows'
    // ends by the reference's clock; their uncertainty)
    let mut cuts: Vec<Cut> = Vec::new();
    for (&d, ws) in &offsets.domains {
        if d == reference {
            continue;
        }
        for w in ws.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            if a.group != reference || b.group != reference {
                continue;
            }
            let delta = b.offset_ns - a.offset_ns;
            if delta.abs() <= 2 * TOL_NS {
                continue;
            }
            let before = a.to_ns.saturating_sub(a.offset_ns);
            let after = b.from_ns.saturating_sub(b.offset_ns);
            cuts.push((before, delta, before, after, a.radius_ns.max(b.radius_ns)));
        }
    }
    cuts.sort_unstable();
    let mut best: Option<&[Cut]> = None;
    for i in 0..cuts.len() {
        let (at, delta, ..) = cuts[i];
        let n = cuts[i..]
            .iter()
            .take_while(|c| c.0 - at <= STEP_TOGETHER_NS)
            .count();
        let group = &cuts[i..i + n];
        let agree = group
            .iter()
            .filter(|c| (c.1 - delta).abs() <= TOL_NS)
            .count();
        if agree >= 2 && best.map_or(true, |b| agree > b.len()) {
            best = Some(group);
        }
    }
    let group = best?;
    let delta = group[0].1;
    let same: Vec<&Cut> = group
        .iter()
        .filter(|c| (c.1 - delta).abs() <= TOL_NS)
        .collect();
    let mut deltas: Vec<i64> = same.iter().map(|c| c.1).collect();
    deltas.sort_unstable();
    let median = deltas[deltas.len() / 2];
    Some(ReferenceStep {
        before_ns: same.iter().map(|c| c.2).min()?,
        after_ns: same.iter().map(|c| c.3).max()?,
        offset_ns: -median,
        radius_ns: same.iter().map(|c| c.4).max()?,
    })
}

/// The chance the offset is within the tolerance of the truth.
fn confidence(e: &Estimate, radius: i64) -> f64 {
    let agree = e.agree as f64 / e.total.max(1) as f64;
    // Calls paired by timing may be paired wrong, however well they agree.
    let pairing = if e.by_ids { 1.0 } else { 0.85 };
    let base = if radius <= TOL_NS {
        0.97
    } else {
        // Every value in the range is as likely as the next; the tight side
        // makes ours likelier, but never certain.
        (0.8 * TOL_NS as f64 / radius as f64).clamp(0.05, 0.8)
    };
    base * agree * pairing * e.clean
}

/// The pairs, and for each domain the pairs it is in (in the pairs' order):
/// solving a domain reads its own pairs, not all of them.
struct ByDomain<'a> {
    pairs: &'a [Pair],
    index: BTreeMap<u32, Vec<u32>>,
}

impl<'a> ByDomain<'a> {
    fn new(pairs: &'a [Pair]) -> ByDomain<'a> {
        let mut index: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for (k, p) in pairs.iter().enumerate() {
            index.entry(p.caller).or_default().push(k as u32);
            if p.callee != p.caller {
                index.entry(p.callee).or_default().push(k as u32);
            }
        }
        ByDomain { pairs, index }
    }

    /// How many pairs `dom` is in.
    fn count(&self, dom: u32) -> usize {
        self.index.get(&dom).map_or(0, Vec::len)
    }

    /// The pairs `dom` is caller or callee in, in order.
    fn of(&self, dom: u32) -> impl Iterator<Item = &'a Pair> + '_ {
        self.index
            .get(&dom)
            .into_iter()
            .flatten()
            .map(|&k| &self.pairs[k as usize])
    }
}

/// One call's bounds on a domain's offset, against a solved domain.
struct Bound {
    /// The call's time by the domain's clock, and by the reference's.
    at: i64,
    true_at: i64,
    /// Absolute bounds on the domain's offset.
    bounds: (i64, i64),
    /// The solved domain's uncertainty and group.
    radius: i64,
    group: u32,
    /// Paired by logged ids.
    ids: bool,
}

/// The windows and offsets of one domain from its bounds against solved domains.
fn solve_domain(
    dom: u32,
    all: &ByDomain,
    accepted: &BTreeMap<(u32, u32), (i64, i64)>,
    solved: &Offsets,
) -> Option<Vec<(Window, Estimate)>> {
    let mut b: Vec<Bound> = Vec::with_capacity(all.count(dom));
    // The partner's window of the pair before: pairs of one partner and
    // nearby times come together.
    let mut last: Option<(u32, &[Window])> = None;
    for p in all.of(dom) {
        let (partner, mine_at, partner_at, callee_side) = if p.callee == dom {
            (p.caller, p.callee_at, p.caller_at, true)
        } else if p.caller == dom {
            (p.callee, p.caller_at, p.callee_at, false)
        } else {
            continue;
        };
        // Chance pairs only where their domain pair agreed on an offset; all
        // of them, as a step moves the offset the pairs agree on.
        if p.from == Evidence::Chance && !accepted.contains_key(&(p.caller, p.callee)) {
            continue;
        }
        let windows = match last {
            Some((d, ws)) if d == partner => ws,
            _ => {
                let Some(ws) = solved.domains.get(&partner) else {
                    continue;
                };
                last = Some((partner, ws));
                ws
            }
        };
        let window = window_at(windows, partner_at);
        let off = window.map_or(0, |w| w.offset_ns);
        let (group, rad) =
            window.map_or((None, UNKNOWN_RADIUS_NS), |w| (Some(w.group), w.radius_ns));
        let shift = |x: i64, open: i64| {
            if x <= OPEN_LO || x >= OPEN_HI {
                open
            } else {
                x
            }
        };
        let abs = if callee_side {
            (
                shift(p.lo, OPEN_LO).saturating_add(off),
                shift(p.hi, OPEN_HI).saturating_add(off),
            )
        } else {
            (
                off.saturating_sub(shift(p.hi, OPEN_HI)),
                off.saturating_sub(shift(p.lo, OPEN_LO)),
            )
        };
        let abs = (
            if p.lo <= OPEN_LO && callee_side || p.hi >= OPEN_HI && !callee_side {
                OPEN_LO
            } else {
                abs.0
            },
            if p.hi >= OPEN_HI && callee_side || p.lo <= OPEN_LO && !callee_side {
                OPEN_HI
            } else {
                abs.1
            },
        );
        b.push(Bound {
            at: mine_at,
            true_at: partner_at - off,
            bounds: abs,
            radius: rad,
            group: group.unwrap_or(partner),
            ids: p.from == Evidence::Ids,
        });
    }
    // Windows in true time (the partner's corrected clock), cut where the clock stepped.
    // By every field: bounds of one time are then in one order whatever
    // the sort, and the sort may run on every core.
    b.par_sort_unstable_by_key(|x| (x.true_at, x.at, x.bounds, x.radius, x.group, x.ids));
    let two_sided: Vec<(i64, (i64, i64))> = b
        .iter()
        .filter(|x| x.bounds.0 > OPEN_LO && x.bounds.1 < OPEN_HI)
        .map(|x| (x.true_at, x.bounds))
        .collect();
    let mut cuts: Vec<i64> = Vec::new();
    let mut pieces: Vec<&[(i64, (i64, i64))]> = vec![&two_sided];
    for _ in 0..2 {
        let mut next = Vec::new();
        for piece in pieces {
            match step_at(piece) {
                Some(c) => {
                    cuts.push(piece[c].0);
                    next.push(&piece[..c]);
                    next.push(&piece[c..]);
                }
                None => next.push(piece),
            }
        }
        pieces = next;
    }
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut ats: Vec<Vec<i64>> = Vec::new();
    let mut start = 0;
    for k in 0..=cuts.len() {
        let end = cuts
            .get(k)
            .map_or(b.len(), |&c| b.partition_point(|x| x.true_at < c));
        let w = &b[start..end];
        start = end;
        if w.is_empty() {
            continue;
        }
        let bounds: Vec<(i64, i64)> = w.iter().map(|x| x.bounds).collect();
        let Some(mut est) = estimate(&bounds) else {
            continue;
        };
        // How much of the agreement rests on logged ids: of the calls that
        // bound the offset from both sides (a one-sided bound agrees with
        // any offset on its open side, and says nothing of the range).
        let agreeing = w.iter().filter(|x| {
            x.bounds.0 > OPEN_LO
                && x.bounds.1 < OPEN_HI
                && x.bounds.0 <= est.low
                && est.high <= x.bounds.1
        });
        let (n, ids) = agreeing.fold((0usize, 0usize), |(n, i), x| {
            (n + 1, i + usize::from(x.ids))
        });
        est.by_ids = n >= MIN_PAIRS && ids * 20 >= n * 19;
        let mut rad: Vec<i64> = w.iter().map(|x| x.radius).collect();
        let partner_rad = *rad.select_nth_unstable(w.len() / 2).1;
        // The group most of the window's partners are in.
        let mut groups: Vec<u32> = w.iter().map(|x| x.group).collect();
        groups.sort_unstable();
        let group = groups
            .chunk_by(|a, b| a == b)
            .max_by_key(|g| (g.len(), std::cmp::Reverse(g[0])))
            .map_or(dom, |g| g[0]);
        let radius = (est.offset - est.low)
            .max(est.high - est.offset)
            .saturating_add(partner_rad);
        let (from_ns, to_ns) = if cuts.is_empty() {
            (i64::MIN, i64::MAX)
        } else {
            (
                w.iter().map(|x| x.at).min().unwrap_or(i64::MIN),
                w.iter().map(|x| x.at).max().unwrap_or(i64::MAX),
            )
        };
        out.push((
            Window {
                from_ns,
                to_ns,
                offset_ns: est.offset,
                radius_ns: radius,
                group,
            },
            est,
        ));
        ats.push(w.iter().map(|x| x.at).collect::<Vec<i64>>());
    }
    // A clock stepped back shows the same times twice: calls logged in the
    // stretch both windows cover may belong to either, and a window is as
    // sure as the share of its calls outside that stretch.
    for k in 1..out.len() {
        let (a_end, b_start) = (out[k - 1].0.to_ns, out[k].0.from_ns);
        if b_start > a_end {
            continue;
        }
        let a_n = ats[k - 1].len();
        let b_n = ats[k].len();
        let into_a = ats[k].iter().filter(|&&t| t <= a_end).count();
        let into_b = ats[k - 1].iter().filter(|&&t| t >= b_start).count();
        out[k - 1].1.clean *= a_n as f64 / (a_n + into_a).max(1) as f64;
        out[k].1.clean *= b_n as f64 / (b_n + into_b).max(1) as f64;
    }
    if out.is_empty() {
        return None;
    }
    // Windows cover the whole run: the first from the start, the last to the end.
    if let Some(f) = out.first_mut() {
        f.0.from_ns = i64::MIN;
    }
    if let Some(l) = out.last_mut() {
        l.0.to_ns = i64::MAX;
    }
    Some(out)
}

/// Subtracts each span's domain offset from its times (placeholders follow later).
pub fn apply(spans: &mut [Span], offsets: &Offsets) {
    if offsets.domains.is_empty() {
        return;
    }
    for s in spans {
        let o = offsets.offset(s.file, s.start_ns);
        if o != 0 {
            s.start_ns = s.start_ns.saturating_sub(o);
            s.end_ns = s.end_ns.saturating_sub(o);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    fn pair(lo_ms: f64, hi_ms: f64) -> (i64, i64) {
        ((lo_ms * 1e6) as i64, (hi_ms * 1e6) as i64)
    }

    #[test]
    fn calls_that_fit_keep_offset_zero() {
        let b: Vec<(i64, i64)> = (0..20)
            .map(|k| pair(-30.0 - k as f64, 5.0 + k as f64))
            .collect();
        let e = estimate(&b).unwrap();
        assert_eq!(e.offset, 0);
        assert_eq!((e.low, e.high), (-30 * MS, 5 * MS));
    }

    #[test]
    fn a_narrow_range_gives_its_middle_unless_one_side_is_tight() {
        let b: Vec<(i64, i64)> = (0..20)
            .map(|k| pair(244.0 - k as f64, 252.0 + k as f64))
            .collect();
        assert_eq!(estimate(&b).unwrap().offset, 248 * MS);
        // The incident fixture's payments, called last: its ends hug (250),
        // its starts do not (259 and later, after the first call).
        let b: Vec<(i64, i64)> = (0..20)
            .map(|k| pair(250.0 - (k / 10) as f64, 259.0 + k as f64))
            .collect();
        assert_eq!(estimate(&b).unwrap().offset, 250 * MS + FLOOR_NS);
    }

    /// The first case: a callee +250 ms, called first of two: its
    /// start gaps are small (1-3 ms), its end gaps large (40 ms and more).
    #[test]
    fn a_wide_range_takes_the_tight_side_not_the_edge_that_fits() {
        let b: Vec<(i64, i64)> = (0..200)
            .map(|k| {
                let start_gap = 1.0 + (k % 7) as f64 * 0.3;
                let end_gap = 40.0 + (k * 13 % 50) as f64;
                pair(250.0 - end_gap, 250.0 + start_gap)
            })
            .collect();
        let e = estimate(&b).unwrap();
        assert!((e.offset - 250 * MS).abs() <= MS, "{e:?}");
        // The mirror case: the last call, whose end gaps are the small ones.
        let b: Vec<(i64, i64)> = b.iter().map(|&(lo, hi)| (-hi, -lo)).collect();
        let e = estimate(&b).unwrap();
        assert!((e.offset + 250 * MS).abs() <= MS, "{e:?}");
        let c = confidence(&e, (e.high - e.low) / 2);
        assert!(c < 0.9, "{c}");
    }

    #[test]
    fn one_sided_bounds_give_no_offset() {
        let b: Vec<(i64, i64)> = (0..20).map(|k| (OPEN_LO, (k * MS) + 900 * MS)).collect();
        assert_eq!(estimate(&b), None);
    }

    #[test]
    fn clocks_stepping_together_mean_the_reference_stepped() {
        let w = |from_ns: i64, to_ns: i64, offset_ns: i64| Window {
            from_ns,
            to_ns,
            offset_ns,
            radius_ns: MS,
            group: 0,
        };
        let mut o = Offsets::default();
        o.domains.insert(0, vec![w(i64::MIN, i64::MAX, 0)]);
        // Domain 1 at +300 ms, domain 2 at -40 ms; the reference jumps 500 ms
        // ahead at 60 s: both seem to move 500 ms back.
        let s = 1_000 * MS;
        o.domains.insert(
            1,
            vec![
                w(i64::MIN, 60 * s + 300 * MS, 300 * MS),
                w(61 * s, i64::MAX, -200 * MS),
            ],
        );
        assert_eq!(
            reference_step(&o, 0),
            None,
            "one clock that stepped is that clock"
        );
        o.domains.insert(
            2,
            vec![
                w(i64::MIN, 59 * s, -40 * MS),
                w(62 * s, i64::MAX, -541 * MS),
            ],
        );
        let step = reference_step(&o, 0).unwrap();
        assert_eq!(step.offset_ns, 500 * MS);
        assert_eq!(
            (step.before_ns, step.after_ns),
            (59 * s + 40 * MS, 62 * s + 541 * MS)
        );
    }

    #[test]
    fn a_step_splits_the_bounds_into_two_windows() {
        let mut b: Vec<(i64, (i64, i64))> =
            (0..40).map(|k| (k * 1000 * MS, pair(-10.0, 3.0))).collect();
        b.extend((40..80).map(|k| (k * 1000 * MS, pair(390.0, 402.0))));
        assert_eq!(step_at(&b), Some(40));
        assert_eq!(step_at(&b[..40]), None);
    }
}
