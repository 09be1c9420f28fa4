//! Spans of one trace -> the caller/callee pairs that bound clock offsets.
//!
//! Input: a trace's spans as logged (and, for the second round, the parents
//! the first round inferred). Output: [`Pair`]s, each bounding the callee's
//! clock offset against the caller's from the start side and the end side.

use super::*;

/// What a span offers the estimate: its domain and the range its true
/// start and end may be in, by its own clock.
pub(super) struct View {
    dom: u32,
    start: (i64, i64),
    end: (i64, i64),
    /// Both ends known to the clock's resolution (a logged duration).
    timed: bool,
    /// Stamped finer than whole seconds.
    fine: bool,
}

pub(super) fn view(s: &Span, coarse: &Coarse) -> Option<View> {
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
pub(super) fn bounds(p: &View, c: &View) -> (i64, i64) {
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
///
/// `offered` gets, for every span that chance could pair, each other domain
/// the trace had a span of to pair it with, as (that domain, the span's):
/// how often a domain pair had the chance to agree, whether it did or not.
pub fn pairs(
    trace: u32,
    spans: &[Span],
    coarse: &Coarse,
    offered: &mut Vec<(u32, u32)>,
) -> Vec<Pair> {
    let mut out = Vec::new();
    let views: Vec<Option<View>> = spans.iter().map(|s| view(s, coarse)).collect();
    let chance = spans.len() <= MAX_PAIR_SPANS;
    // The domains a chance caller may be in: timed and finer than a second
    // (none looked for where chance pairs are not made).
    let mut callers: Vec<u32> = Vec::new();
    if chance {
        callers.extend(
            views
                .iter()
                .flatten()
                .filter(|v| v.timed && v.fine)
                .map(|v| v.dom),
        );
        callers.sort_unstable();
        callers.dedup();
    }
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
                offered.extend(callers.iter().filter(|&&d| d != c.dom).map(|&d| (d, c.dom)));
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
            && f64::from(a.parent_confidence) >= 0.5 * crate::trace::MAX_INFERRED_CONFIDENCE
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

pub(super) fn push(out: &mut Vec<Pair>, p: &View, c: &View, from: Evidence, who: (u32, u32)) {
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
