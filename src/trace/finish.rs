//! A trace whose spans are built and id-linked -> its tree.
//!
//! Input: one [`Trace`] with span times as logged, the clock offsets, the call graph learned
//! from the run and the inference context. Output: the same trace with its
//! spans in start order, every parent set, extents stretched, its start and
//! end, critical path and error origin.

use super::{clock, critical, infer, tree, Link, Span, SpanIdx, Trace};

/// Puts `items` in the order `order` gives (`items[i]` becomes the item that
/// was at `order[i]`; each index once), in place: following each cycle of the
/// permutation with swaps needs no second list of items. `order` is used up:
/// each entry is overwritten once its item is placed.
pub(super) fn permute<T>(items: &mut [T], order: &mut [u32]) {
    const PLACED: u32 = u32::MAX;
    assert_eq!(items.len(), order.len());
    assert!(items.len() < PLACED as usize);
    for start in 0..items.len() {
        let mut at = start;
        while order[at] != PLACED {
            let from = std::mem::replace(&mut order[at], PLACED) as usize;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// A trace whose spans are built and id-linked -> corrected times, start
/// order, inferred parents, extents, critical path and error origin.
/// Lists [`finish_trace`] reuses from one trace to the next.
#[derive(Default)]
pub(super) struct Finish {
    infer: infer::Scratch,
    critical: critical::Scratch,
    tree: tree::Scratch,
    extent: Extent,
    order: Vec<u32>,
    new_index: Vec<SpanIdx>,
    path: Vec<SpanIdx>,
}

pub(super) fn finish_trace(
    t: &mut Trace,
    graph: &infer::Graph,
    cx: &infer::Context,
    scratch: &mut Finish,
) {
    let spans = &mut t.spans;
    correct(spans, cx, &mut scratch.tree);
    start_order(spans, scratch);
    let root = infer::assign_with(spans, graph, cx, &mut scratch.infer);
    infer::mark_async(spans, cx);
    let root = tree::absorb_placeholders(spans, root, &mut scratch.tree);
    tree::set_depths(spans, root as usize, &mut scratch.tree);
    tree::align_coarse(spans, cx.coarse, &mut scratch.tree);
    t.logged_parts = tree::stretch(spans, &mut scratch.tree);
    tree::fit_placeholders(spans, &mut scratch.tree);
    let r = &spans[root as usize];
    t.root_latency_ns = r.timed.then(|| r.duration_ns());
    let (start_ns, end_ns) = extent(spans, root, &mut scratch.extent);
    critical::segments_with(spans, root, &mut scratch.critical);
    t.critical_path = critical::path(spans, root, &scratch.critical.out, &mut scratch.path);
    t.error_origin = critical::error_origin(spans, root);
    (t.root, t.start_ns, t.end_ns) = (root, start_ns, end_ns);
}

/// What a trace (spans built and id-linked) says about its
/// spans' callers, for [`infer::Graph::learn_by_timing`]: its spans are
/// copied into `copy` and put in start order, as [`finish_trace`] would.
pub(super) fn observe(
    spans: &[Span],
    graph: &infer::Graph,
    cx: &infer::Context,
    (copy, scratch): &mut (Vec<Span>, Finish),
) -> infer::Observations {
    copy.clear();
    copy.extend_from_slice(spans);
    correct(copy, cx, &mut scratch.tree);
    start_order(copy, scratch);
    infer::observe(copy, graph, cx, &mut scratch.infer)
}

/// Spans in logged time -> in corrected time: each domain's offset
/// subtracted, placeholders fitted over their children.
pub(super) fn correct(spans: &mut [Span], cx: &infer::Context, scratch: &mut tree::Scratch) {
    clock::apply(spans, cx.offsets);
    tree::fit_placeholders(spans, scratch);
}

/// Puts spans in start order and remaps their parents: clock correction
/// may have changed the order.
fn start_order(spans: &mut [Span], scratch: &mut Finish) {
    let order = &mut scratch.order;
    order.clear();
    order.extend(0..spans.len() as u32);
    order.sort_by_key(|&k| {
        let s = &spans[k as usize];
        (
            s.start_ns,
            std::cmp::Reverse(s.end_ns),
            s.events.first().copied(),
            s.kind,
        )
    });
    if order.iter().enumerate().any(|(i, &k)| i != k as usize) {
        let new_index = &mut scratch.new_index;
        new_index.clear();
        new_index.resize(spans.len(), 0);
        for (i, &k) in order.iter().enumerate() {
            new_index[k as usize] = i as SpanIdx;
        }
        permute(spans, order);
        for s in spans.iter_mut() {
            s.parent = s.parent.map(|p| new_index[p as usize]);
        }
    }
}

/// Lists [`extent`] reuses from one trace to the next.
#[derive(Default)]
pub(super) struct Extent {
    by_depth: Vec<usize>,
    anchor: Vec<usize>,
}

/// How far a span may stick out of the timed span that waited for it and be
/// taken for clock error: whole-second stamps, and what is left of a clock
/// offset after correction (seconds, in the simulations). A span further out
/// is no clock error: one id logged again minutes or hours later.
const CLIP_SLACK_NS: i64 = 60 * 1_000_000_000;

/// A trace's start and end: the hull of its spans, each clipped to the span
/// that waited for it. A span the root (or an async hop) waited for, through
/// child-of links, cannot really have run outside the one with a logged
/// duration that waited: what sticks out is clock error, not time the trace took.
/// An async hop is not clipped: the work it stands for ran after its parent answered.
/// Nor is a span that sticks out by more than [`CLIP_SLACK_NS`]: one id on
/// events hours apart is not one request of 469 ms.
pub(super) fn extent(spans: &[Span], root: SpanIdx, scratch: &mut Extent) -> (i64, i64) {
    let n = spans.len();
    let Extent { by_depth, anchor } = scratch;
    // Anchor: the nearest ancestor-or-self that is the root or an async hop.
    by_depth.clear();
    by_depth.extend(0..n);
    by_depth.sort_by_key(|&k| spans[k].depth);
    anchor.clear();
    anchor.extend(0..n);
    for &k in by_depth.iter() {
        if k != root as usize && spans[k].link == Link::ChildOf {
            if let Some(p) = spans[k].parent.filter(|&p| (p as usize) < n) {
                anchor[k] = anchor[p as usize];
            }
        }
    }
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for (k, s) in spans.iter().enumerate() {
        let a = &spans[anchor[k]];
        let (mut s0, mut s1) = (s.start_ns, s.end_ns);
        let near = s0 >= a.start_ns.saturating_sub(CLIP_SLACK_NS)
            && s1 <= a.end_ns.saturating_add(CLIP_SLACK_NS);
        if anchor[k] != k && a.timed && near {
            s0 = s0.clamp(a.start_ns, a.end_ns);
            s1 = s1.clamp(a.start_ns, a.end_ns);
        }
        lo = lo.min(s0);
        hi = hi.max(s1);
    }
    if lo > hi {
        (0, 0)
    } else {
        (lo, hi)
    }
}
