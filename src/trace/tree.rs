//! A trace's linked spans -> depths and extents.
//!
//! Input: a trace's spans with every parent set (from ids and inference) and
//! its root. Output: each span's depth; placeholders spanning their
//! children; spans with no logged end stretched over the calls they made;
//! spans stamped in whole seconds moved to hold their calls.
//!
//! Rules:
//! - A placeholder spans its children.
//! - A span without a logged duration ran at least from its first to its last
//!   line. When it made calls that ended later (a service that logs one line
//!   when a request starts), it lasted until they ended: its end is moved
//!   there and the part its lines cover is kept as a [`LoggedPart`]. Deepest
//!   first, so a stretched call stretches its caller.
//! - A span logged with a whole-second stamp really ended up to a second
//!   later: it moves (keeping its duration) just far enough to hold its calls.

use super::spans::{Coarse, COARSE_NS};
use super::{Link, LoggedPart, Span, SpanIdx, SpanKind};

/// Lists the passes here reuse from one trace to the next: a run builds a
/// million traces, and their lists would otherwise each be allocated and freed.
#[derive(Default)]
pub struct Scratch {
    depth: Vec<Option<u16>>,
    chain: Vec<usize>,
    order: Vec<usize>,
    gone: Vec<bool>,
    new_index: Vec<SpanIdx>,
}

/// Sets every span's depth (root = 0) from the parent links.
pub fn set_depths(spans: &mut [Span], root: usize, scratch: &mut Scratch) {
    let n = spans.len();
    let Scratch { depth, chain, .. } = scratch;
    depth.clear();
    depth.resize(n, None);
    if root < n {
        depth[root] = Some(0);
    }
    chain.clear();
    for k in 0..n {
        chain.clear();
        let mut at = k;
        while depth[at].is_none() && chain.len() <= n {
            chain.push(at);
            match spans[at].parent {
                Some(p) if (p as usize) < n => at = p as usize,
                _ => break,
            }
        }
        let mut d = depth[at].unwrap_or(0);
        for &x in chain.iter().rev() {
            d = d.saturating_add(1);
            depth[x] = Some(d);
        }
    }
    for (s, d) in spans.iter_mut().zip(depth.iter()) {
        s.depth = d.unwrap_or(0);
    }
}

/// Span indexes into `order`, deepest first (ties: by index).
fn deepest_first(spans: &[Span], order: &mut Vec<usize>) {
    order.clear();
    order.extend(0..spans.len());
    order.sort_by_key(|&i| (std::cmp::Reverse(spans[i].depth), i));
}

/// The hull of span `i`'s children: (earliest start, latest end), of calls only or of all.
fn children_hull(spans: &[Span], i: usize, calls_only: bool) -> Option<(i64, i64)> {
    spans
        .iter()
        .filter(|c| c.parent == Some(i as SpanIdx) && (!calls_only || c.link == Link::ChildOf))
        .map(|c| (c.start_ns, c.end_ns))
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
}

/// A placeholder whose caller (inferred) logs no span id of its own is most
/// likely that caller's span: its service passed the id on without writing
/// it (an access log with a request id only). The caller takes the id and
/// the placeholder's children; their parent is then inferred, with the
/// placeholder's confidence. Returns the root's new index. Placeholders
/// under a span with an id of its own stay: a call nobody logged.
pub fn absorb_placeholders(spans: &mut Vec<Span>, root: SpanIdx, scratch: &mut Scratch) -> SpanIdx {
    if !spans.iter().any(|s| s.kind == SpanKind::Placeholder) {
        return root;
    }
    let n = spans.len();
    let Scratch {
        gone, new_index, ..
    } = scratch;
    gone.clear();
    gone.resize(n, false);
    for k in 0..n {
        let s = &spans[k];
        if s.kind != SpanKind::Placeholder || s.link != Link::ChildOf {
            continue;
        }
        let Some(q) = s.parent.map(|q| q as usize).filter(|&q| q < n) else {
            continue;
        };
        let caller = &spans[q];
        if caller.kind == SpanKind::Placeholder || caller.span_id.is_some() {
            continue;
        }
        spans[q].span_id = s.span_id;
        gone[k] = true;
    }
    if !gone.contains(&true) {
        return root;
    }
    for c in 0..n {
        let Some(p) = spans[c].parent.map(|p| p as usize).filter(|&p| gone[p]) else {
            continue;
        };
        let (q, confidence) = (spans[p].parent, spans[p].parent_confidence);
        let s = &mut spans[c];
        s.parent = q;
        s.inferred_parent = true;
        s.parent_confidence = s.parent_confidence.min(confidence);
    }
    new_index.clear();
    new_index.resize(n, 0);
    let mut next = 0;
    for k in 0..n {
        new_index[k] = next;
        next += SpanIdx::from(!gone[k]);
    }
    let mut k = 0;
    spans.retain(|_| {
        k += 1;
        !gone[k - 1]
    });
    for s in spans.iter_mut() {
        s.parent = s.parent.map(|p| new_index[p as usize]);
    }
    new_index[root as usize]
}

/// Placeholders span their children (called before and after inference:
/// children move with their clocks).
pub fn fit_placeholders(spans: &mut [Span], scratch: &mut Scratch) {
    // Most traces have none: skip the ordering.
    if !spans.iter().any(|s| s.kind == SpanKind::Placeholder) {
        return;
    }
    deepest_first(spans, &mut scratch.order);
    for &i in &scratch.order {
        if spans[i].kind == SpanKind::Placeholder {
            if let Some((s, e)) = children_hull(spans, i, false) {
                spans[i].start_ns = s;
                spans[i].end_ns = e;
            }
        }
    }
}

/// Stretches spans with no logged end over the calls they made (see the
/// module doc); returns the logged parts of the stretched spans, by index.
pub fn stretch(spans: &mut [Span], scratch: &mut Scratch) -> Vec<LoggedPart> {
    let mut parts = Vec::new();
    if spans.iter().all(|s| s.timed) {
        return parts;
    }
    deepest_first(spans, &mut scratch.order);
    for &i in &scratch.order {
        let s = &spans[i];
        if s.timed {
            continue;
        }
        let Some((_, end)) = children_hull(spans, i, true) else {
            continue;
        };
        let s = &mut spans[i];
        if s.kind == SpanKind::Placeholder {
            s.end_ns = s.end_ns.max(end);
        } else if end > s.end_ns {
            parts.push(LoggedPart {
                span: i as SpanIdx,
                start_ns: s.start_ns,
                end_ns: s.end_ns,
            });
            s.end_ns = end;
        }
    }
    parts.sort_by_key(|p| p.span);
    parts
}

/// A span logged with a whole-second stamp really ended up to a second later.
/// Once its children are known, move it (keeping its duration) just far enough
/// to contain them, so the critical path and offsets within the trace are right.
/// Deepest spans first, so a moved child is seen by its parent.
pub fn align_coarse(spans: &mut [Span], coarse: &Coarse, scratch: &mut Scratch) {
    if !spans.iter().any(|s| s.timed && coarse.contains(s.service)) {
        return;
    }
    deepest_first(spans, &mut scratch.order);
    for &i in &scratch.order {
        if !(spans[i].timed && coarse.contains(spans[i].service)) {
            continue;
        }
        let Some((_, hi)) = children_hull(spans, i, true) else {
            continue;
        };
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
    use crate::ingest::event::{SpanId, Sym};
    use crate::trace::SpanEvents;

    fn span(start: i64, end: i64, parent: Option<SpanIdx>, timed: bool) -> Span {
        Span {
            service: Sym(1),
            operation: Sym::NONE,
            span_id: SpanId::None,
            start_ns: start,
            end_ns: end,
            timed,
            status: 200,
            error: false,
            parent,
            inferred_parent: false,
            logged_parent: false,
            file: Some(0),
            depth: 0,
            link: Link::ChildOf,
            kind: SpanKind::Logged,
            parent_confidence: 1.0,
            events: SpanEvents::One(0),
        }
    }

    #[test]
    fn a_placeholder_under_a_caller_without_an_id_is_that_caller() {
        // edge [0, 100] (an access log: no span id) > placeholder 7 > auth;
        // orders (id 9) > placeholder 8 > payments: a client nobody logged.
        let mut spans = vec![
            span(0, 100, None, true),
            span(10, 20, Some(0), false),
            span(10, 20, Some(1), true),
            span(30, 90, Some(0), true),
            span(40, 80, Some(3), false),
            span(40, 80, Some(4), true),
        ];
        for (k, id) in [(1, 7), (3, 9), (4, 8)] {
            spans[k].span_id = SpanId::Hex(id);
        }
        for k in [1, 4] {
            spans[k].kind = SpanKind::Placeholder;
            spans[k].inferred_parent = true;
            spans[k].parent_confidence = 0.7;
        }
        let root = absorb_placeholders(&mut spans, 0, &mut Scratch::default());
        assert_eq!((root, spans.len()), (0, 5));
        assert_eq!(spans[0].span_id, SpanId::Hex(7));
        assert_eq!(spans[1].parent, Some(0)); // auth
        assert!(spans[1].inferred_parent && spans[1].parent_confidence <= 0.7);
        assert_eq!(spans[3].kind, SpanKind::Placeholder);
        assert_eq!((spans[3].parent, spans[4].parent), (Some(2), Some(3)));
    }

    #[test]
    fn a_request_logged_when_it_started_lasts_until_its_calls_end() {
        // root [0, 100] timed; a [10, 10] logged its start only, called b [20, 60]
        // whose own call c [30, 80] was logged by a start line too and called d [40, 90].
        let mut spans = vec![
            span(0, 100, None, true),
            span(10, 10, Some(0), false),
            span(20, 60, Some(1), true),
            span(30, 30, Some(2), false),
            span(40, 90, Some(3), true),
        ];
        set_depths(&mut spans, 0, &mut Scratch::default());
        assert_eq!(
            spans.iter().map(|s| s.depth).collect::<Vec<_>>(),
            vec![0, 1, 2, 3, 4]
        );
        let parts = stretch(&mut spans, &mut Scratch::default());
        assert_eq!((spans[3].start_ns, spans[3].end_ns), (30, 90));
        assert_eq!((spans[1].start_ns, spans[1].end_ns), (10, 60));
        // Timed spans keep their logged extent.
        assert_eq!(spans[2].end_ns, 60);
        assert_eq!(
            parts,
            vec![
                LoggedPart {
                    span: 1,
                    start_ns: 10,
                    end_ns: 10
                },
                LoggedPart {
                    span: 3,
                    start_ns: 30,
                    end_ns: 30
                }
            ]
        );
    }

    #[test]
    fn placeholders_span_their_children() {
        let mut spans = vec![
            span(0, 100, None, true),
            span(0, 0, Some(0), false),
            span(20, 60, Some(1), true),
            span(50, 70, Some(1), true),
        ];
        spans[1].kind = SpanKind::Placeholder;
        set_depths(&mut spans, 0, &mut Scratch::default());
        fit_placeholders(&mut spans, &mut Scratch::default());
        assert_eq!((spans[1].start_ns, spans[1].end_ns), (20, 70));
        assert!(stretch(&mut spans, &mut Scratch::default()).is_empty());
    }

    #[test]
    fn a_whole_second_stamp_moves_to_hold_its_calls() {
        let sec = 1_000_000_000;
        let mut spans = vec![span(0, 30, None, true), span(700, 780, Some(0), true)];
        spans[1].service = Sym(2);
        set_depths(&mut spans, 0, &mut Scratch::default());
        align_coarse(&mut spans, &Coarse(vec![Sym(1)]), &mut Scratch::default());
        assert_eq!((spans[0].start_ns, spans[0].end_ns), (750, 780));
        // At most a second.
        spans[1].end_ns = 5 * sec;
        align_coarse(&mut spans, &Coarse(vec![Sym(1)]), &mut Scratch::default());
        assert_eq!(spans[0].end_ns, 780 + sec);
    }
}
