//! A trace's events -> spans and their call tree.
//!
//! Input: one correlated group of events (time order). Output: its [`Span`]s in
//! start order, first with the parents the logged span ids give ([`spans_of`]),
//! then, after clock correction, with every other parent inferred from time
//! containment and a single root ([`link`]).
//!
//! Rules (see the module doc of [`super`] for the whole picture):
//! - A span is one service's part: one per span id where the service logs span
//!   ids; else one per event that marks a handled request (a logged duration or
//!   an HTTP status); the service's other events join the span that contains
//!   them in time, else the nearest. A service with no such event gets one span
//!   from its first to its last event.
//! - An explicit duration ends at its event's time (start = time - duration,
//!   `timed`); else a span runs from its first to its last event.
//! - Parents: the logged parent span id where it names a span of the trace;
//!   else the smallest span of another service that contains the child within
//!   the tolerance and overlapping it by at least half its length (a span
//!   logged with whole-second times may have ended up to a second after its
//!   stamp, so it contains a second more; a span whose logged parent span id
//!   matches no span was called by a service that logs no span ids); a span contained
//!   by none is a root. The root is the earliest root (ties: the longest); the
//!   other roots hang under it, marked inferred.
//! - Traces with more than [`MAX_INFER_SPANS`] spans skip containment (it is
//!   quadratic): their parentless spans hang under the root.

use rayon::prelude::*;

use crate::ingest::event::{Event, SpanId, Sym};

use super::{EventIdx, Span, SpanIdx};

/// Above this many spans a trace is not searched for containment.
pub const MAX_INFER_SPANS: usize = 4096;
/// How much later than its whole-second stamp a coarse span may have ended.
pub const COARSE_NS: i64 = 1_000_000_000;

/// Services whose clocks only log whole seconds (sorted, for binary search).
#[derive(Clone, Debug, Default)]
pub struct Coarse(pub Vec<Sym>);

impl Coarse {
    /// Services none of whose timed events has a sub-second part.
    pub fn find(events: &[Event]) -> Coarse {
        type Fine = std::collections::BTreeMap<Sym, bool>;
        let merge = |mut a: Fine, b: Fine| {
            for (s, f) in b {
                *a.entry(s).or_insert(false) |= f;
            }
            a
        };
        // Events come file by file: a run of one service is looked up once.
        let fine = events
            .par_chunks(1 << 16)
            .map(|chunk| {
                let mut fine = Fine::new();
                for run in chunk.chunk_by(|a, b| a.service == b.service) {
                    let mut times = run.iter().filter_map(Event::time).peekable();
                    if times.peek().is_some() {
                        let sub_second = times.any(|t| t.rem_euclid(1_000_000_000) != 0);
                        *fine.entry(run[0].service).or_insert(false) |= sub_second;
                    }
                }
                fine
            })
            .reduce(Fine::new, merge);
        Coarse(
            fine.into_iter()
                .filter(|&(_, f)| !f)
                .map(|(s, _)| s)
                .collect(),
        )
    }
    pub fn contains(&self, s: Sym) -> bool {
        self.0.binary_search(&s).is_ok()
    }
}

/// A span under construction: its events and the one that defines it.
struct Builder {
    service: Sym,
    span_id: SpanId,
    events: Vec<EventIdx>,
    definer: Option<EventIdx>,
}

/// The logged duration of an event, capped so times cannot overflow (~11 days).
fn duration_of(e: &Event) -> Option<i64> {
    e.duration().map(|d| d.min(1_000_000_000_000_000) as i64)
}

/// The interval an event marks: its logged duration ending at its time, else the instant.
fn interval_of(e: &Event) -> Option<(i64, i64)> {
    let t = e.time()?;
    Some((t.saturating_sub(duration_of(e).unwrap_or(0)), t))
}

/// One trace's events (sorted by time) -> spans in start order, with the
/// parents their span ids give. Spans whose events have no time at all are
/// left out. Times are as logged (no clock correction yet).
pub fn spans_of(group: &[EventIdx], events: &[Event]) -> Vec<Span> {
    let mut by_service: Vec<EventIdx> = group.to_vec();
    // Stable: keeps time order within a service.
    by_service.sort_by_key(|&i| events[i as usize].service);
    let mut builders: Vec<Builder> = Vec::new();
    for evs in
        by_service.chunk_by(|&a, &b| events[a as usize].service == events[b as usize].service)
    {
        service_spans(evs, events, &mut builders);
    }
    // Sized up front: collecting would double from 4 to 8 slots for a trace
    // of five spans, and the list lives as long as the trace.
    let mut spans: Vec<Span> = Vec::with_capacity(builders.len());
    spans.extend(builders.into_iter().filter_map(|b| finish(b, events)));
    spans.sort_by_key(|s| (s.start_ns, std::cmp::Reverse(s.end_ns), s.events[0]));
    link_ids(&mut spans, events);
    spans
}

/// One service's events in a trace -> its span builders.
fn service_spans(evs: &[EventIdx], events: &[Event], out: &mut Vec<Builder>) {
    let service = events[evs[0] as usize].service;
    let first = out.len();
    let mut loose: Vec<EventIdx> = Vec::new();
    if evs.iter().any(|&i| events[i as usize].span_id().is_some()) {
        let mut ids: Vec<(SpanId, EventIdx)> = Vec::new();
        for &i in evs {
            let s = events[i as usize].span_id();
            if s.is_some() {
                ids.push((s, i));
            } else {
                loose.push(i);
            }
        }
        ids.sort_by_key(|&(s, i)| (s, events[i as usize].time_ns, i));
        for run in ids.chunk_by(|a, b| a.0 == b.0) {
            let evs: Vec<EventIdx> = run.iter().map(|&(_, i)| i).collect();
            // The event that reports the span's work: one with a duration, else a status.
            let definer = evs
                .iter()
                .rev()
                .find(|&&i| {
                    events[i as usize].duration().is_some() && events[i as usize].time().is_some()
                })
                .or_else(|| evs.iter().rev().find(|&&i| events[i as usize].status != 0))
                .copied();
            out.push(Builder {
                service,
                span_id: run[0].0,
                events: evs,
                definer,
            });
        }
    } else {
        for &i in evs {
            let e = &events[i as usize];
            if e.time().is_some() && (e.duration().is_some() || e.status != 0) {
                out.push(Builder {
                    service,
                    span_id: SpanId::None,
                    events: vec![i],
                    definer: Some(i),
                });
            } else {
                loose.push(i);
            }
        }
        if out.len() == first {
            out.push(Builder {
                service,
                span_id: SpanId::None,
                events: std::mem::take(&mut loose),
                definer: None,
            });
        }
    }
    if loose.is_empty() {
        return;
    }
    // Intervals of this service's spans, to place the loose events.
    let bounds: Vec<Option<(i64, i64)>> = out[first..]
        .iter()
        .map(|b| builder_interval(b, events))
        .collect();
    for i in loose {
        let at = match events[i as usize].time() {
            None => 0,
            Some(t) => {
                let mut best = (i64::MAX, 0usize);
                for (k, b) in bounds.iter().enumerate() {
                    if let Some((s, e)) = *b {
                        let dist = if t < s {
                            s.saturating_sub(t)
                        } else {
                            t.saturating_sub(e).max(0)
                        };
                        if dist < best.0 {
                            best = (dist, k);
                        }
                    }
                }
                best.1
            }
        };
        out[first + at].events.push(i);
    }
    for b in &mut out[first..] {
        b.events.sort_by_key(|&i| (events[i as usize].time_ns, i));
    }
}

fn builder_interval(b: &Builder, events: &[Event]) -> Option<(i64, i64)> {
    if let Some(d) = b.definer {
        if events[d as usize].duration().is_some() {
            return interval_of(&events[d as usize]);
        }
    }
    let mut times = b.events.iter().filter_map(|&i| events[i as usize].time());
    let first = times.next()?;
    let (lo, hi) = times.fold((first, first), |(lo, hi), t| (lo.min(t), hi.max(t)));
    Some((lo, hi))
}

fn finish(b: Builder, events: &[Event]) -> Option<Span> {
    let (start_ns, end_ns) = builder_interval(&b, events)?;
    let timed = b
        .definer
        .is_some_and(|d| events[d as usize].duration().is_some());
    let evs = || b.events.iter().map(|&i| &events[i as usize]);
    let operation = b
        .definer
        .map(|d| events[d as usize].operation)
        .filter(|o| o.is_some())
        .or_else(|| evs().map(|e| e.operation).find(|o| o.is_some()))
        .unwrap_or(Sym::NONE);
    Some(Span {
        service: b.service,
        operation,
        span_id: b.span_id,
        start_ns,
        end_ns,
        timed,
        status: evs().map(|e| e.status).max().unwrap_or(0),
        error: evs().any(|e| e.is_error()),
        parent: None,
        inferred_parent: false,
        logged_parent: evs().any(|e| e.parent_span_id().is_some()),
        depth: 0,
        link: Default::default(),
        kind: Default::default(),
        parent_confidence: 1.0,
        events: b.events.into(),
    })
}

/// The parent span id a span logged, if any.
fn parent_id_of(s: &Span, events: &[Event]) -> SpanId {
    s.events
        .iter()
        .filter_map(|&i| events.get(i as usize).map(|e| e.parent_span_id()))
        .find(|p| p.is_some())
        .unwrap_or(SpanId::None)
}

/// Sets the parents that logged parent span ids name (exact, not inferred).
fn link_ids(spans: &mut [Span], events: &[Event]) {
    if !spans.iter().any(|s| s.span_id.is_some()) {
        return;
    }
    let mut by_id: Vec<(SpanId, SpanIdx)> = spans
        .iter()
        .enumerate()
        .filter(|(_, s)| s.span_id.is_some())
        .map(|(k, s)| (s.span_id, k as SpanIdx))
        .collect();
    by_id.sort_unstable();
    for c in 0..spans.len() {
        if !spans[c].logged_parent {
            continue;
        }
        let p = parent_id_of(&spans[c], events);
        if p.is_none() {
            continue;
        }
        let lo = by_id.partition_point(|&(s, _)| s < p);
        // Same span id in several services (shared client/server spans): prefer another service.
        let cands = by_id[lo..]
            .iter()
            .take_while(|&&(s, _)| s == p)
            .map(|&(_, k)| k);
        let pick = cands
            .clone()
            .filter(|&k| k as usize != c)
            .min_by_key(|&k| (spans[k as usize].service == spans[c].service, k));
        if let Some(k) = pick {
            if !creates_cycle(spans, c, k as usize) {
                spans[c].parent = Some(k);
                spans[c].inferred_parent = false;
            }
        }
    }
}

/// True when making `p` the parent of `c` would close a loop.
fn creates_cycle(spans: &[Span], c: usize, p: usize) -> bool {
    let mut at = Some(p);
    let mut steps = 0;
    while let Some(x) = at {
        if x == c || steps > spans.len() {
            return true;
        }
        at = spans[x].parent.map(|q| q as usize);
        steps += 1;
    }
    false
}

/// The interval a span may contain others in: a coarse span may have ended a second later.
fn container(s: &Span, coarse: &Coarse) -> (i64, i64) {
    let extra = if coarse.contains(s.service) {
        COARSE_NS - 1
    } else {
        0
    };
    (s.start_ns, s.end_ns.saturating_add(extra))
}

/// True when span `p` may be the caller of span `c` by time: another service,
/// the bigger of the two (a strict order, so inferred links never loop), `c`
/// inside `p` within the tolerance, and overlapping it by at least half its
/// length (so the tolerance cannot turn back-to-back siblings into a call).
/// A span that logged a parent span id nobody in the trace has was not called
/// by a service that logs span ids.
pub fn may_contain(
    spans: &[Span],
    p: usize,
    c: usize,
    orphan_id: bool,
    coarse: &Coarse,
    tolerance_ns: i64,
) -> bool {
    let (child, parent) = (&spans[c], &spans[p]);
    if p == c || parent.service == child.service || (orphan_id && parent.span_id.is_some()) {
        return false;
    }
    let (cs, ce) = (child.start_ns, child.end_ns);
    let cdur = child.duration_ns();
    let (ps, pe) = container(parent, coarse);
    let pdur = pe.saturating_sub(ps);
    if pdur < cdur || (pdur == cdur && p > c) {
        return false;
    }
    if ps.saturating_sub(tolerance_ns) > cs || ce > pe.saturating_add(tolerance_ns) {
        return false;
    }
    let overlap = ce.min(pe).saturating_sub(cs.max(ps));
    overlap.saturating_mul(2) >= cdur
}

/// True when a span logged a parent span id but the trace has no span with that id.
pub fn orphan_id(spans: &[Span], k: usize) -> bool {
    spans[k].parent.is_none() && spans[k].logged_parent
}

/// Infers the missing parents from containment, picks the root, sets depths.
/// Returns the root's index. `spans` must be in start order and non-empty.
pub fn link(spans: &mut [Span], coarse: &Coarse, tolerance_ns: i64) -> SpanIdx {
    let n = spans.len();
    if n == 0 {
        return 0;
    }
    if n <= MAX_INFER_SPANS {
        for c in 0..n {
            if spans[c].parent.is_some() {
                continue;
            }
            let orphan = orphan_id(spans, c);
            let mut best: Option<(i64, usize)> = None;
            for p in 0..n {
                if !may_contain(spans, p, c, orphan, coarse, tolerance_ns) {
                    continue;
                }
                let (ps, pe) = container(&spans[p], coarse);
                let pdur = pe.saturating_sub(ps);
                if best.map_or(true, |(d, _)| pdur < d) && !creates_cycle(spans, c, p) {
                    best = Some((pdur, p));
                }
            }
            if let Some((_, p)) = best {
                spans[c].parent = Some(p as SpanIdx);
                spans[c].inferred_parent = true;
            }
        }
    }
    // The earliest root (ties: longest, then first) is the root; other roots hang under it.
    let root = (0..n)
        .filter(|&k| spans[k].parent.is_none())
        .min_by_key(|&k| {
            (
                spans[k].start_ns,
                std::cmp::Reverse(spans[k].duration_ns()),
                k,
            )
        })
        .unwrap_or(0);
    if spans[root].parent.is_some() {
        // Only reachable if every span had a parent, which `creates_cycle` prevents.
        spans[root].parent = None;
    }
    for (k, s) in spans.iter_mut().enumerate() {
        if k != root && s.parent.is_none() {
            s.parent = Some(root as SpanIdx);
            s.inferred_parent = true;
        }
    }
    set_depths(spans, root);
    root as SpanIdx
}

fn set_depths(spans: &mut [Span], root: usize) {
    let n = spans.len();
    let mut depth: Vec<Option<u16>> = vec![None; n];
    depth[root] = Some(0);
    let mut chain = Vec::new();
    for k in 0..n {
        chain.clear();
        let mut at = k;
        while depth[at].is_none() && chain.len() <= n {
            chain.push(at);
            match spans[at].parent {
                Some(p) => at = p as usize,
                None => break,
            }
        }
        let mut d = depth[at].unwrap_or(0);
        for &x in chain.iter().rev() {
            d = d.saturating_add(1);
            depth[x] = Some(d);
        }
    }
    for (s, d) in spans.iter_mut().zip(depth) {
        s.depth = d.unwrap_or(0);
    }
}

/// A span logged with a whole-second stamp really ended up to a second later.
/// Once its children are known, move it (keeping its duration) just far enough
/// to contain them, so the critical path and offsets within the trace are right.
/// Deepest spans first, so a moved child is seen by its parent.
pub fn align_coarse(spans: &mut [Span], coarse: &Coarse) {
    let mut order: Vec<usize> = (0..spans.len())
        .filter(|&i| spans[i].timed && coarse.contains(spans[i].service))
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse(spans[i].depth));
    for i in order {
        let last_child_end = spans
            .iter()
            .filter(|c| c.parent == Some(i as SpanIdx))
            .map(|c| c.end_ns)
            .max();
        let Some(hi) = last_child_end else { continue };
        // The smallest shift that makes the span end after its last child, at most a second.
        let shift = hi.saturating_sub(spans[i].end_ns).clamp(0, COARSE_NS);
        let s = &mut spans[i];
        s.start_ns = s.start_ns.saturating_add(shift);
        s.end_ns = s.end_ns.saturating_add(shift);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::{Level, Symbols};

    const MS: i64 = 1_000_000;

    pub(crate) fn ev(t_ms: i64, svc: Sym, dur_ms: Option<i64>, status: u16) -> Event {
        Event {
            time_ns: t_ms * MS,
            duration_ns: dur_ms.map_or(Event::NO_DURATION, |d| (d * MS) as u64),
            service: svc,
            status,
            ..Default::default()
        }
    }

    fn all(events: &[Event]) -> Vec<EventIdx> {
        let mut v: Vec<EventIdx> = (0..events.len() as u32).collect();
        v.sort_by_key(|&i| (events[i as usize].time_ns, i));
        v
    }

    #[test]
    fn access_lines_are_spans_and_other_lines_join_them() {
        let mut s = Symbols::default();
        let api = s.intern("api");
        let events = vec![
            ev(1_000, api, Some(100), 200), // [900, 1000]
            ev(950, api, None, 0),          // inside the first
            ev(2_000, api, Some(50), 500),  // [1950, 2000]
            ev(2_600, api, None, 0),        // nearest: the second
        ];
        let spans = spans_of(&all(&events), &events);
        assert_eq!(spans.len(), 2);
        assert_eq!((spans[0].start_ns, spans[0].end_ns), (900 * MS, 1000 * MS));
        assert!(spans[0].timed && !spans[0].error);
        assert_eq!(spans[0].events[..], [1, 0]);
        assert_eq!(spans[1].events[..], [2, 3]);
        assert!(spans[1].error && spans[1].status == 500);
    }

    #[test]
    fn a_service_without_request_lines_is_one_span_first_to_last() {
        let mut s = Symbols::default();
        let w = s.intern("worker");
        let mut events = vec![ev(10, w, None, 0), ev(30, w, None, 0), ev(20, w, None, 0)];
        events[1].level = Level::Error;
        let spans = spans_of(&all(&events), &events);
        assert_eq!(spans.len(), 1);
        assert_eq!((spans[0].start_ns, spans[0].end_ns), (10 * MS, 30 * MS));
        assert!(!spans[0].timed && spans[0].error);
    }

    #[test]
    fn explicit_tree_from_span_ids() {
        let mut s = Symbols::default();
        let (a, b) = (s.intern("a"), s.intern("b"));
        // Span ids of both kinds: text and 16 hex digits.
        let s1 = SpanId::new("s1", &mut s);
        let s2 = SpanId::new("00f067aa0ba902b7", &mut s);
        let s3 = SpanId::new("s3", &mut s);
        let mut events = vec![
            ev(100, a, Some(100), 200),
            ev(50, b, Some(20), 200),
            ev(90, b, Some(20), 200),
        ];
        events[0].set_span_id(s1);
        events[1].set_span_id(s2);
        events[1].set_parent_span_id(s1);
        events[2].set_span_id(s3);
        events[2].set_parent_span_id(s2); // same service, still exact
        let mut spans = spans_of(&all(&events), &events);
        let root = link(&mut spans, &Coarse::default(), 2 * MS);
        assert_eq!(root, 0);
        assert_eq!(spans[1].parent, Some(0));
        assert_eq!(spans[2].parent, Some(1));
        assert!(spans.iter().all(|s| !s.inferred_parent));
        assert_eq!(
            spans.iter().map(|s| s.depth).collect::<Vec<_>>(),
            vec![0, 1, 2]
        );
    }

    #[test]
    fn inferred_tree_takes_the_smallest_container_within_tolerance() {
        let mut s = Symbols::default();
        let (edge, orders, inv) = (s.intern("edge"), s.intern("orders"), s.intern("inv"));
        let events = vec![
            ev(1_000, edge, Some(200), 200), // [800, 1000]
            ev(990, orders, Some(150), 200), // [840, 990]
            ev(992, inv, Some(30), 200),     // [962, 992]: 2 ms past orders' end
            ev(1_004, inv, Some(10), 200),   // [994, 1004]: beyond every span + 2 ms
        ];
        let mut spans = spans_of(&all(&events), &events);
        let root = link(&mut spans, &Coarse::default(), 2 * MS);
        let svc = |k: Option<SpanIdx>| k.map(|k| s.get(spans[k as usize].service).to_owned());
        assert_eq!(s.get(spans[root as usize].service), "edge");
        let inv1 = spans.iter().position(|x| x.start_ns == 962 * MS).unwrap();
        let inv2 = spans.iter().position(|x| x.start_ns == 994 * MS).unwrap();
        assert_eq!(svc(spans[inv1].parent).as_deref(), Some("orders"));
        assert_eq!(spans[inv1].depth, 2);
        // Contained by none: a second root, hung under the first.
        assert_eq!(svc(spans[inv2].parent).as_deref(), Some("edge"));
        assert!(spans[inv2].inferred_parent);
        // With no tolerance the first inventory span is not inside orders either.
        let mut spans = spans_of(&all(&events), &events);
        link(&mut spans, &Coarse::default(), 0);
        assert_eq!(svc(spans[inv1].parent).as_deref(), Some("edge"));
    }

    #[test]
    fn several_roots_keep_the_earliest_then_longest() {
        let mut s = Symbols::default();
        let (a, b, c) = (s.intern("a"), s.intern("b"), s.intern("c"));
        let events = vec![
            ev(110, a, Some(10), 200), // [100, 110]
            ev(130, b, Some(30), 200), // [100, 130]: same start, longer
            ev(500, c, Some(10), 200), // [490, 500]
        ];
        let mut spans = spans_of(&all(&events), &events);
        let root = link(&mut spans, &Coarse::default(), 0);
        assert_eq!(spans[root as usize].service, b);
        assert!(spans
            .iter()
            .filter(|x| x.service != b)
            .all(|x| x.parent == Some(root) && x.inferred_parent));
    }

    #[test]
    fn a_whole_second_stamp_may_contain_the_next_second() {
        let mut s = Symbols::default();
        let (edge, auth) = (s.intern("edge"), s.intern("auth"));
        // nginx stamps 12:00:01 for a request that really ended at 01.790.
        let events = vec![
            ev(1_000, edge, Some(30), 200),
            ev(1_780, auth, Some(5), 200),
        ];
        let coarse = Coarse::find(&events);
        assert_eq!(coarse.0, vec![edge]);
        let mut spans = spans_of(&all(&events), &events);
        link(&mut spans, &coarse, 2 * MS);
        assert_eq!(spans[1].parent, Some(0));
    }

    #[test]
    fn untimed_events_join_a_span_and_alone_make_none() {
        let mut s = Symbols::default();
        let a = s.intern("a");
        let mut events = vec![ev(10, a, Some(5), 200), ev(0, a, None, 0)];
        events[1].time_ns = Event::NO_TIME;
        let spans = spans_of(&all(&events), &events);
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].events[..], [1, 0]);
        let only = vec![events[1]];
        assert!(spans_of(&[0], &only).is_empty());
    }
}
