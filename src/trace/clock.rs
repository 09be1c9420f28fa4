//! Spans of many traces -> each service's clock offset.
//!
//! Input: every trace's spans with their logged times, before inference.
//! Output: per service the offset its clock runs ahead of the reference, to
//! subtract from its span times, and the [`ClockOffset`] report.
//!
//! Method: in each trace, a timed span's caller is its logged parent, else the
//! span of another service, at least as long, that contains it best within a
//! generous [`PAIR_TOLERANCE_NS`] (the least containment violation). A caller
//! and callee bound the callee's offset δ relative to the caller:
//! `callee.end - caller.end <= δ <= callee.start - caller.start`. Per
//! caller -> callee service edge, the bounds of many traces are aggregated
//! robustly: δ is the value inside the most bounds (widened by the tolerance;
//! a wrongly paired minority cannot move it), and among those the one nearest
//! 0 (the smallest shift that makes the calls fit; 0 when 0 fits).
//! Offsets compose from the services nobody calls down each service's most
//! frequent caller edge. Spans logged with whole-second times carry no
//! evidence and are left out.

use std::collections::BTreeMap;

use crate::ingest::event::{Sym, Symbols};

use super::tree::{self, Coarse, MAX_INFER_SPANS};
use super::{ClockOffset, Span};

/// How far a callee may stick out of its caller to still count as a candidate pair.
pub const PAIR_TOLERANCE_NS: i64 = 1_000_000_000;
/// Fewest pairs an edge needs before its offset is estimated.
pub const MIN_PAIRS: usize = 3;

/// One caller/callee observation: the bounds it puts on the callee's offset.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pair {
    pub caller: Sym,
    pub callee: Sym,
    pub lo: i64,
    pub hi: i64,
}

/// The caller/callee pairs of one trace (spans with logged times, start order):
/// logged parent links, and for a span that no span contains (see
/// [`tree::may_contain`]) the span that contains it best within the generous
/// tolerance. Spans that already fit somewhere carry no evidence of an offset.
pub fn pairs(spans: &[Span], coarse: &Coarse, tolerance_ns: i64) -> Vec<Pair> {
    let mut out = Vec::new();
    if spans.len() > MAX_INFER_SPANS {
        return out;
    }
    let usable = |s: &Span| s.timed && !coarse.contains(s.service);
    for (c, child) in spans.iter().enumerate() {
        if !usable(child) {
            continue;
        }
        let caller = match child.parent {
            Some(p) if !child.inferred_parent => {
                let p = &spans[p as usize];
                (usable(p) && p.service != child.service).then_some(p)
            }
            Some(_) => None,
            None => {
                let orphan = tree::orphan_id(spans, c);
                let fits = (0..spans.len())
                    .any(|p| tree::may_contain(spans, p, c, orphan, coarse, tolerance_ns));
                if fits {
                    None
                } else {
                    best_container(spans, c, orphan, &usable)
                }
            }
        };
        if let Some(p) = caller {
            out.push(Pair {
                caller: p.service,
                callee: child.service,
                lo: child.end_ns.saturating_sub(p.end_ns),
                hi: child.start_ns.saturating_sub(p.start_ns),
            });
        }
    }
    out
}

/// The span of another service, at least as long as `c`, that contains it with
/// the least violation (ties: the shorter, then the first), within the tolerance.
fn best_container<'a>(
    spans: &'a [Span],
    c: usize,
    orphan: bool,
    usable: &dyn Fn(&Span) -> bool,
) -> Option<&'a Span> {
    let child = &spans[c];
    let mut best: Option<(i64, i64, usize)> = None;
    for (p, s) in spans.iter().enumerate() {
        if p == c || s.service == child.service || !usable(s) || (orphan && s.span_id.is_some()) {
            continue;
        }
        if s.duration_ns() < child.duration_ns() {
            continue;
        }
        let violation = (s.start_ns.saturating_sub(child.start_ns)).max(0)
            + (child.end_ns.saturating_sub(s.end_ns)).max(0);
        if violation > PAIR_TOLERANCE_NS {
            continue;
        }
        let key = (violation, s.duration_ns(), p);
        if best.map_or(true, |b| key < b) {
            best = Some(key);
        }
    }
    best.map(|(_, _, p)| &spans[p])
}

/// One edge's bounds -> the callee's offset relative to the caller and how
/// many pairs agree with it: the point inside the most bounds (each widened by
/// `tol`), nearest 0 among such points.
fn edge_offset(pairs: &[(i64, i64)], tol: i64) -> (i64, usize) {
    // Sweep over interval ends; starts sort before ends at the same point (closed intervals).
    let mut ends: Vec<(i64, u8)> = Vec::with_capacity(2 * pairs.len());
    for &(lo, hi) in pairs {
        if lo <= hi {
            ends.push((lo.saturating_sub(tol), 0));
            ends.push((hi.saturating_add(tol), 1));
        }
    }
    ends.sort_unstable();
    let (mut count, mut best) = (0usize, 0usize);
    let mut region = (0i64, 0i64);
    for (i, &(x, kind)) in ends.iter().enumerate() {
        if kind == 1 {
            count -= 1;
            continue;
        }
        count += 1;
        // The region inside `count` bounds runs from here to the next end point.
        let next = ends.get(i + 1).map_or(x, |e| e.0);
        let gap = |r: (i64, i64)| {
            if r.0 > 0 {
                r.0
            } else {
                r.1.min(0).saturating_neg()
            }
        };
        if count > best || (count == best && gap((x, next)) < gap(region)) {
            best = count;
            region = (x, next);
        }
    }
    // 0 when it fits; else the edge of the region nearest 0, taken back in by
    // the widening (the tightest real bound), but not past the middle.
    let (a, b) = region;
    let mid = a / 2 + b / 2;
    let pick = if a <= 0 && 0 <= b {
        0
    } else if a > 0 {
        a.saturating_add(tol).min(mid)
    } else {
        b.saturating_sub(tol).max(mid)
    };
    (pick, best)
}

/// Estimated offsets (ns, by service) and their report, sorted by service name.
pub fn estimate(
    all: &[Pair],
    symbols: &Symbols,
    tolerance_ns: i64,
) -> (BTreeMap<Sym, i64>, Vec<ClockOffset>) {
    let mut edges: BTreeMap<(Sym, Sym), Vec<(i64, i64)>> = BTreeMap::new();
    for p in all {
        edges
            .entry((p.caller, p.callee))
            .or_default()
            .push((p.lo, p.hi));
    }
    edges.retain(|_, v| v.len() >= MIN_PAIRS);
    // Each callee's most frequent caller edge (ties: the caller's name).
    type Edge<'a> = (Sym, (i64, usize), &'a Vec<(i64, i64)>);
    let mut incoming: BTreeMap<Sym, Edge> = BTreeMap::new();
    for (&(caller, callee), v) in &edges {
        let better = match incoming.get(&callee) {
            None => true,
            Some((c, _, w)) => {
                v.len() > w.len() || (v.len() == w.len() && symbols.get(caller) < symbols.get(*c))
            }
        };
        if better {
            incoming.insert(callee, (caller, edge_offset(v, tolerance_ns), v));
        }
    }
    let mut services: Vec<Sym> = edges.keys().flat_map(|&(a, b)| [a, b]).collect();
    services.sort_unstable();
    services.dedup();
    let mut offsets: BTreeMap<Sym, i64> = BTreeMap::new();
    for &s in &services {
        // Walk up the caller edges; a loop counts as reaching the reference.
        let mut total = 0i64;
        let mut at = s;
        let mut seen = vec![s];
        while let Some(&(caller, (rel, _), _)) = incoming.get(&at) {
            total = total.saturating_add(rel);
            if seen.contains(&caller) {
                break;
            }
            seen.push(caller);
            at = caller;
        }
        offsets.insert(s, total);
    }
    let mut report: Vec<ClockOffset> = services
        .iter()
        .map(|&s| {
            let (confidence, samples) = match incoming.get(&s) {
                Some(&(_, (_, agree), v)) => (agree as f64 / v.len() as f64, v.len()),
                // A reference service: nothing calls it, its offset is 0 by definition.
                None => (
                    1.0,
                    edges
                        .iter()
                        .filter(|((a, _), _)| *a == s)
                        .map(|(_, v)| v.len())
                        .sum(),
                ),
            };
            let offset_ms = offsets[&s] as f64 / 1e6;
            ClockOffset {
                service: s,
                file: None,
                from_ns: i64::MIN,
                to_ns: i64::MAX,
                offset_ms,
                low_ms: offset_ms,
                high_ms: offset_ms,
                confidence,
                samples,
                applied: offset_ms != 0.0,
            }
        })
        .collect();
    report.sort_by(|a, b| symbols.get(a.service).cmp(symbols.get(b.service)));
    offsets.retain(|_, o| *o != 0);
    (offsets, report)
}

/// Subtracts each service's offset from its spans' times.
pub fn apply(spans: &mut [Span], offsets: &BTreeMap<Sym, i64>) {
    if offsets.is_empty() {
        return;
    }
    for s in spans {
        if let Some(&o) = offsets.get(&s.service) {
            s.start_ns = s.start_ns.saturating_sub(o);
            s.end_ns = s.end_ns.saturating_sub(o);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::SpanId;

    const MS: i64 = 1_000_000;

    fn span(service: Sym, start_ms: i64, end_ms: i64) -> Span {
        Span {
            service,
            operation: Sym::NONE,
            span_id: SpanId::None,
            start_ns: start_ms * MS,
            end_ns: end_ms * MS,
            timed: true,
            status: 200,
            error: false,
            parent: None,
            inferred_parent: false,
            logged_parent: false,
            depth: 0,
            link: Default::default(),
            kind: Default::default(),
            parent_confidence: 1.0,
            events: vec![0].into(),
        }
    }

    /// Synthetic traces: api [0, 100] calls db [a, a + 20] whose clock runs `skew_ms` ahead.
    fn traces(skew_ms: i64, n: i64) -> Vec<Vec<Span>> {
        let (api, db) = (Sym(1), Sym(2));
        (0..n)
            .map(|k| {
                let base = k * 10_000;
                let a = 10 + (k * 37) % 60; // the call starts 10..70 ms in
                let mut v = vec![
                    span(api, base, base + 100),
                    span(db, base + a, base + a + 20),
                ];
                v[1].start_ns += skew_ms * MS;
                v[1].end_ns += skew_ms * MS;
                v.sort_by_key(|s| s.start_ns);
                v
            })
            .collect()
    }

    fn symbols() -> Symbols {
        let mut s = Symbols::default();
        s.intern("api");
        s.intern("db");
        s
    }

    #[test]
    fn recovers_a_known_skew() {
        // (skew, calls that no longer fit in their caller: the evidence)
        for (skew, misfits) in [(250, 200), (-180, 200), (40, 90)] {
            let all: Vec<Pair> = traces(skew, 200)
                .iter()
                .flat_map(|t| pairs(t, &Coarse::default(), 2 * MS))
                .collect();
            assert_eq!(all.len(), misfits, "skew {skew}");
            let (offsets, report) = estimate(&all, &symbols(), 2 * MS);
            let got = offsets.get(&Sym(2)).copied().unwrap_or(0) / MS;
            // The smallest shift that fits every call: off by the tightest gap
            // (11 ms at the end, 10 at the start).
            let want = match skew {
                s if s > 0 => s - 11,
                s if s < 0 => s + 10,
                _ => 0,
            };
            assert_eq!(got, want, "skew {skew}");
            assert_eq!(report.len(), 2);
            assert_eq!(report[0].offset_ms, 0.0);
            assert_eq!(report[1].samples, misfits);
            assert!(report[1].confidence > 0.99, "{report:?}");
        }
    }

    #[test]
    fn calls_that_fit_are_no_evidence() {
        let all: Vec<Pair> = traces(0, 200)
            .iter()
            .flat_map(|t| pairs(t, &Coarse::default(), 2 * MS))
            .collect();
        assert!(all.is_empty());
    }

    #[test]
    fn correcting_puts_the_callee_back_inside() {
        let mut ts = traces(250, 50);
        let all: Vec<Pair> = ts
            .iter()
            .flat_map(|t| pairs(t, &Coarse::default(), 2 * MS))
            .collect();
        let (offsets, _) = estimate(&all, &symbols(), 2 * MS);
        for t in &mut ts {
            apply(t, &offsets);
            let (api, db) = if t[0].service == Sym(1) {
                (&t[0], &t[1])
            } else {
                (&t[1], &t[0])
            };
            assert!(db.start_ns >= api.start_ns && db.end_ns <= api.end_ns + 2 * MS);
        }
    }

    #[test]
    fn too_few_pairs_or_none_give_no_offset() {
        let all: Vec<Pair> = traces(250, 2)
            .iter()
            .flat_map(|t| pairs(t, &Coarse::default(), 2 * MS))
            .collect();
        let (offsets, report) = estimate(&all, &symbols(), 2 * MS);
        assert!(offsets.is_empty() && report.is_empty());
        let (offsets, report) = estimate(&[], &Symbols::default(), 0);
        assert!(offsets.is_empty() && report.is_empty());
    }

    #[test]
    fn offsets_compose_down_the_call_chain() {
        // a -> b (b +100 ms) -> c (c +100 ms relative to b's clock, +200 in all).
        let (a, b, c) = (Sym(1), Sym(2), Sym(3));
        let mut all = Vec::new();
        for _ in 0..10 {
            all.push(Pair {
                caller: a,
                callee: b,
                lo: 90 * MS,
                hi: 110 * MS,
            });
            all.push(Pair {
                caller: b,
                callee: c,
                lo: 95 * MS,
                hi: 120 * MS,
            });
        }
        let mut s = Symbols::default();
        for n in ["a", "b", "c"] {
            s.intern(n);
        }
        let (offsets, report) = estimate(&all, &s, 0);
        assert_eq!(offsets[&b], 90 * MS);
        assert_eq!(offsets[&c], 185 * MS);
        assert_eq!(
            report.iter().map(|r| r.offset_ms).collect::<Vec<_>>(),
            vec![0.0, 90.0, 185.0]
        );
    }
}
