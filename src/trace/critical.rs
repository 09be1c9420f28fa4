//! A span tree -> its critical path and its error origin.
//!
//! Input: a trace's linked spans (parents, depths, root). Output: the critical
//! path as time [`Segment`]s and as the list of spans on it, and the deepest
//! failing span.
//!
//! The critical path is the chain of work the trace's end waited for, found as
//! Jaeger does: children are clipped to their parent's interval; from the
//! root's end, the last-finishing child is on the path; its own path is
//! followed down; back in the parent, the next child on the path is the one
//! that finished last before the previous one started; the parent's own time
//! fills the gaps. Segments cover the root's interval without overlap.

use super::{Link, Span, SpanIdx};

/// A stretch of the critical path spent in one span (not in its children).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub span: SpanIdx,
    pub start_ns: i64,
    pub end_ns: i64,
}

/// The critical path of the tree rooted at `root`, as segments in time order.
pub fn segments(spans: &[Span], root: SpanIdx) -> Vec<Segment> {
    let mut scratch = Scratch::default();
    segments_with(spans, root, &mut scratch);
    scratch.out
}

/// Lists [`segments_with`] reuses from one trace to the next.
#[derive(Default)]
pub struct Scratch {
    /// Each span's children, one span after the other: span `p`'s are
    /// `children[first[p]..end[p]]`.
    children: Vec<usize>,
    first: Vec<usize>,
    end: Vec<usize>,
    clip: Vec<Option<(i64, i64)>>,
    order: Vec<usize>,
    cursor: Vec<usize>,
    /// The segments of the last trace.
    pub out: Vec<Segment>,
}

/// [`segments`] into `scratch.out`.
pub fn segments_with(spans: &[Span], root: SpanIdx, scratch: &mut Scratch) {
    let Scratch {
        children,
        first,
        end,
        clip,
        order,
        cursor,
        out,
    } = scratch;
    out.clear();
    let n = spans.len();
    let root = root as usize;
    if root >= n {
        return;
    }
    // Children of each span, and every span's interval clipped into its parent's.
    let parent_of = |k: usize| {
        spans[k]
            .parent
            .map(|p| p as usize)
            .filter(|&p| p < n && k != root)
    };
    first.clear();
    first.resize(n + 1, 0);
    for k in 0..n {
        if let Some(p) = parent_of(k) {
            first[p + 1] += 1;
        }
    }
    for p in 0..n {
        first[p + 1] += first[p];
    }
    end.clear();
    end.extend_from_slice(&first[..n]);
    children.clear();
    children.resize(first[n], 0);
    for k in 0..n {
        if let Some(p) = parent_of(k) {
            children[end[p]] = k;
            end[p] += 1;
        }
    }
    clip.clear();
    clip.resize(n, None);
    let r = &spans[root];
    clip[root] = Some((r.start_ns, r.end_ns.max(r.start_ns)));
    order.clear();
    order.push(root);
    let mut i = 0;
    while i < order.len() {
        let p = order[i];
        i += 1;
        let (ps, pe) = clip[p].unwrap_or((0, 0));
        for &c in &children[first[p]..end[p]] {
            if clip[c].is_some() {
                continue; // guards against a malformed tree
            }
            let (cs, ce) = (spans[c].start_ns.max(ps), spans[c].end_ns.min(pe));
            if cs <= ce && spans[c].start_ns <= pe && spans[c].end_ns >= ps {
                clip[c] = Some((cs, ce));
                order.push(c);
            }
        }
    }
    // Children on the path candidates: clipped, sorted by end, latest first.
    for p in 0..n {
        let kids = &mut children[first[p]..end[p]];
        let mut kept = 0;
        for j in 0..kids.len() {
            let c = kids[j];
            if clip[c].is_some() && c != p {
                kids[kept] = c;
                kept += 1;
            }
        }
        end[p] = first[p] + kept;
        children[first[p]..end[p]].sort_by_key(|&c| {
            let (s, e) = clip[c].unwrap_or((0, 0));
            (std::cmp::Reverse(e), std::cmp::Reverse(s), c)
        });
    }
    cursor.clear();
    cursor.extend_from_slice(&first[..n]);
    let mut push = |span: usize, s: i64, e: i64| {
        if e > s {
            out.push(Segment {
                span: span as SpanIdx,
                start_ns: s,
                end_ns: e,
            });
        }
    };
    let (mut cur, mut bound) = (root, clip[root].map_or(0, |c| c.1));
    // Every step advances a cursor or descends into a new child: at most 2n steps.
    for _ in 0..(2 * n + 2) {
        let (cs, _) = clip[cur].unwrap_or((0, 0));
        let mut next = None;
        while cursor[cur] < end[cur] {
            let c = children[cursor[cur]];
            cursor[cur] += 1;
            if clip[c].is_some_and(|(_, e)| e <= bound) {
                next = Some(c);
                break;
            }
        }
        match next {
            Some(c) => {
                let (_, child_end) = clip[c].unwrap_or((0, 0));
                push(cur, child_end, bound);
                cur = c;
                bound = child_end;
            }
            None => {
                push(cur, cs, bound);
                if cur == root {
                    break;
                }
                bound = cs;
                cur = spans[cur].parent.map_or(root, |p| p as usize);
            }
        }
    }
    out.reverse();
}

/// The spans on the critical path: the root first, then in order of first
/// appearance. Built in `buf` (a thread's, reused), then copied out at its
/// size: a million traces each grew a list from a single span.
pub fn path(
    spans: &[Span],
    root: SpanIdx,
    segs: &[Segment],
    buf: &mut Vec<SpanIdx>,
) -> Vec<SpanIdx> {
    if (root as usize) >= spans.len() {
        return Vec::new();
    }
    buf.clear();
    buf.push(root);
    for s in segs {
        if !buf.contains(&s.span) {
            buf.push(s.span);
        }
    }
    buf.to_vec()
}

/// True when failed span `k`'s failure stopped on its way up: a caller that
/// waited for it (through child-of links; placeholders are looked through)
/// did not fail, so it was retried, or degraded around. A failure that
/// reached the root, or the start of an async hop, was not recovered.
pub fn recovered(spans: &[Span], k: usize) -> bool {
    let mut at = k;
    for _ in 0..spans.len() {
        if spans[at].link != Link::ChildOf {
            return false;
        }
        let Some(p) = spans[at]
            .parent
            .map(|p| p as usize)
            .filter(|&p| p < spans.len())
        else {
            return false;
        };
        if !spans[p].is_placeholder() && !spans[p].error {
            return true;
        }
        at = p;
    }
    false
}

/// Where a failed trace's failure started, or `None` when the trace did not fail.
///
/// A trace fails when its root (the request the user saw) failed; a root
/// that is a placeholder stands for a request nobody logged, and then its
/// failing children speak for it. The origin is the deepest failure on the
/// failing chain down from the root: from a failed span, the walk goes on
/// into a failed child it waited for (a child-of link; an async hop did not
/// make its parent fail), the one whose failing chain goes deepest (ties:
/// the first in start order), until no child failed. Failures off that
/// chain were absorbed (retried, or degraded around) and are not the cause.
pub fn error_origin(spans: &[Span], root: SpanIdx) -> Option<SpanIdx> {
    let n = spans.len();
    let root = root as usize;
    // Only a failed span can make the root fail.
    if root >= n || !spans.iter().any(|s| s.error) {
        return None;
    }
    // Children before parents (a span's depth is larger than its parent's).
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&k| std::cmp::Reverse(spans[k].depth));
    // A placeholder stands for a call nobody logged: it failed when a call
    // it waited for failed.
    let mut error: Vec<bool> = spans.iter().map(|s| s.error).collect();
    for &k in &order {
        if let Some(p) = spans[k].parent.map(|p| p as usize).filter(|&p| p < n) {
            if error[k] && spans[k].link == Link::ChildOf && spans[p].is_placeholder() {
                error[p] = true;
            }
        }
    }
    let failed_link = |k: usize| error[k] && spans[k].link == Link::ChildOf;
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (k, s) in spans.iter().enumerate() {
        if let Some(p) = s.parent.map(|p| p as usize) {
            if p < n && k != root && failed_link(k) {
                children[p].push(k);
            }
        }
    }
    // Length of the longest failing chain below each span.
    let mut below = vec![0u32; n];
    for &k in &order {
        below[k] = children[k]
            .iter()
            .map(|&c| below[c].saturating_add(1))
            .max()
            .unwrap_or(0);
    }
    let deepest = |k: usize| {
        children[k]
            .iter()
            .copied()
            .max_by_key(|&c| (below[c], std::cmp::Reverse(c)))
    };
    let mut at = if spans[root].is_placeholder() {
        deepest(root)?
    } else if spans[root].error {
        root
    } else {
        return None;
    };
    // Bounded: a malformed tree must not loop.
    for _ in 0..n {
        match deepest(at) {
            Some(c) => at = c,
            None => break,
        }
    }
    Some(at as SpanIdx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::{SpanId, Sym};

    fn span(start: i64, end: i64, parent: Option<SpanIdx>, depth: u16) -> Span {
        Span {
            service: Sym(1),
            operation: Sym::NONE,
            span_id: SpanId::None,
            start_ns: start,
            end_ns: end,
            timed: true,
            status: 200,
            error: false,
            parent,
            inferred_parent: false,
            logged_parent: false,
            file: None,
            depth,
            link: Default::default(),
            kind: Default::default(),
            parent_confidence: 1.0,
            events: Default::default(),
        }
    }

    /// root [0, 100]: A [10, 40] (with A1 [15, 35]), B [20, 60], C [70, 90], D [75, 80].
    fn tree() -> Vec<Span> {
        vec![
            span(0, 100, None, 0),    // 0 root
            span(10, 40, Some(0), 1), // 1 A
            span(15, 35, Some(1), 2), // 2 A1
            span(20, 60, Some(0), 1), // 3 B
            span(70, 90, Some(0), 1), // 4 C
            span(75, 80, Some(0), 1), // 5 D: overlaps C, finishes earlier
        ]
    }

    #[test]
    fn a_failure_a_caller_survived_is_recovered() {
        let mut t = tree();
        // A1 failed under A, which answered: retried or degraded around.
        t[2].error = true;
        assert!(recovered(&t, 2));
        // A failed too, and so did the root: the failure reached the user.
        t[1].error = true;
        assert!(recovered(&t, 2));
        t[0].error = true;
        assert!(!recovered(&t, 2) && !recovered(&t, 1) && !recovered(&t, 0));
        // A placeholder between says nothing: its caller decides.
        t[1].kind = crate::trace::SpanKind::Placeholder;
        t[1].error = false;
        assert!(!recovered(&t, 2));
        t[0].error = false;
        assert!(recovered(&t, 2));
        // A failed async job failed on its own: nobody waited to recover.
        t[3].error = true;
        t[3].link = Link::FollowsFrom;
        assert!(!recovered(&t, 3));
    }

    #[test]
    fn last_finishing_child_then_the_one_before_it_started() {
        let t = tree();
        let segs = segments(&t, 0);
        let got: Vec<(u32, i64, i64)> = segs
            .iter()
            .map(|s| (s.span, s.start_ns, s.end_ns))
            .collect();
        // C ends last; before C started (70) B finished last (60); before B
        // started (20) nothing finished (A ends at 40), so the root fills 0-20.
        assert_eq!(
            got,
            vec![
                (0, 0, 20),
                (3, 20, 60),
                (0, 60, 70),
                (4, 70, 90),
                (0, 90, 100)
            ]
        );
        assert_eq!(path(&t, 0, &segs, &mut Vec::new()), vec![0, 3, 4]);
        let covered: i64 = segs.iter().map(|s| s.end_ns - s.start_ns).sum();
        assert_eq!(covered, 100);
    }

    #[test]
    fn descends_into_grandchildren_and_clips_overhanging_children() {
        let mut t = tree();
        t.truncate(3); // root, A, A1
        t[2].end_ns = 45; // A1 overhangs A's end: clipped to 40
        let segs = segments(&t, 0);
        let got: Vec<(u32, i64, i64)> = segs
            .iter()
            .map(|s| (s.span, s.start_ns, s.end_ns))
            .collect();
        assert_eq!(
            got,
            vec![(0, 0, 10), (1, 10, 15), (2, 15, 40), (0, 40, 100)]
        );
    }

    #[test]
    fn equal_and_zero_length_children_terminate() {
        let t = vec![
            span(0, 10, None, 0),
            span(5, 5, Some(0), 1),
            span(5, 5, Some(0), 1),
            span(10, 10, Some(0), 1),
        ];
        let segs = segments(&t, 0);
        assert_eq!(segs.iter().map(|s| s.end_ns - s.start_ns).sum::<i64>(), 10);
        assert!(segments(&[], 0).is_empty());
    }

    #[test]
    fn error_origin_is_the_deepest_failure_on_the_failing_chain() {
        let mut t = tree();
        assert_eq!(error_origin(&t, 0), None);
        // A failure under a root that answered: recovered, the trace did not fail.
        t[2].error = true;
        assert_eq!(error_origin(&t, 0), None);
        t[0].error = true;
        // A1 failed but A, between it and the root, did not: the root is the origin.
        assert_eq!(error_origin(&t, 0), Some(0));
        t[3].error = true;
        t[4].error = true;
        assert_eq!(error_origin(&t, 0), Some(3)); // depth 1, earliest
        t[1].error = true;
        assert_eq!(error_origin(&t, 0), Some(2)); // root > A > A1 goes deepest
                                                  // An async hop did not make its parent fail.
        t[1].link = Link::FollowsFrom;
        assert_eq!(error_origin(&t, 0), Some(3));
    }

    #[test]
    fn a_placeholder_root_fails_through_its_children() {
        let mut t = tree();
        t[0].kind = crate::trace::SpanKind::Placeholder;
        assert_eq!(error_origin(&t, 0), None);
        t[4].error = true;
        assert_eq!(error_origin(&t, 0), Some(4));
        assert_eq!(error_origin(&t, 9), None);
    }

    #[test]
    fn the_chain_goes_through_a_call_nobody_logged() {
        // root > A (a placeholder: the call the root made, not logged) > A1 failed.
        let mut t = tree();
        t[1].kind = crate::trace::SpanKind::Placeholder;
        t[0].error = true;
        t[2].error = true;
        assert_eq!(error_origin(&t, 0), Some(2));
        // An async hop under it did not fail the root's call.
        t[2].link = Link::FollowsFrom;
        assert_eq!(error_origin(&t, 0), Some(0));
    }
}
