//! Clock offsets: which ones the logs determine, and how the reported ones
//! compare with the truth.
//!
//! Offsets can only be known relative to one clock: the reference is the
//! entry service's (its hosts share one clock; see [`super::world`]). A host's
//! true offset at time `t` is `clock.offset_at(t) - entry clock`.
//!
//! *Determined*: a clock domain is one host before or after its clock step.
//! A sync call whose caller-side span (the client span if the caller logs its
//! calls with a duration, else the caller's server span) and server span are
//! both timed at sub-second precision, each inside one domain, bounds the
//! callee domain's offset relative to the caller's to an interval of width
//! `start gap + end gap` (true time between the two starts and between the two
//! ends), widened by the stamps' resolution. Over several calls between two
//! domains the bounds intersect: the width is the smallest start gap plus the
//! smallest end gap. Domains are determined relative to each other when a
//! chain of domain pairs with at least [`MIN_CALLS`] such calls each links
//! them with a total width of at most 10 ms: any value inside is then within
//! 5 ms of the truth. Such domains form a group around an anchor (the entry's
//! clock where it is linked; an entry that logs whole seconds is not).
//!
//! *Judging a reported offset*: it covers the logged spans of its service
//! (and host, and window, when it names them). It is *right* when it is within
//! 5 ms of the true offset for at least 90% of them, else *wrong*; a wrong
//! offset must not claim confidence >= 0.9. Offsets are compared after the
//! shift that aligns the answer's reference clock with each group's (see
//! [`judge`]).

use std::collections::{BTreeMap, BTreeSet};

use super::rebuilt::ROffset;
use super::render::Rendered;
use super::truth::{Kind, TruthTrace};
use super::world::{Mode, Style, World};

/// Calls a domain pair needs before its bounds count.
pub const MIN_CALLS: u32 = 3;
/// How far from the truth an offset may be and still be right.
pub const TOLERANCE_NS: i64 = 5_000_000;

/// One host before (0) or after (1) its clock step.
pub type Domain = (usize, u8);

/// Mergeable offset counts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OffsetCounts {
    /// Determined domains (other than the reference's), and those whose
    /// applicable offset is within 5 ms of the truth.
    pub determined: u64,
    pub determined_within: u64,
    /// Largest error over determined domains (ns).
    pub determined_max_err_ns: i64,
    /// Reported offsets judged, wrong ones, confident ones (>= 0.9), wrong and confident.
    pub reported: u64,
    pub wrong: u64,
    pub confident: u64,
    pub wrong_confident: u64,
}

impl OffsetCounts {
    pub fn merge(&mut self, o: &OffsetCounts) {
        self.determined += o.determined;
        self.determined_within += o.determined_within;
        self.determined_max_err_ns = self.determined_max_err_ns.max(o.determined_max_err_ns);
        self.reported += o.reported;
        self.wrong += o.wrong;
        self.confident += o.confident;
        self.wrong_confident += o.wrong_confident;
    }
}

/// The domain of a span on `host` over `[start, end]`, if it does not straddle the step.
fn domain_of(world: &World, host: usize, start: i64, end: i64) -> Option<Domain> {
    match world.hosts[host].clock.step {
        None => Some((host, 0)),
        Some((at, _)) if end < at => Some((host, 0)),
        Some((at, _)) if start >= at => Some((host, 1)),
        Some(_) => None,
    }
}

/// The true offset of `host` at `t`, relative to the reference clock.
pub fn true_offset(world: &World, host: usize, t: i64) -> i64 {
    let entry = world.hosts[world.services[0].hosts[0]].clock;
    world.hosts[host].clock.offset_at(t) - entry.base_ns
}

/// How precisely a style stamps its spans' extents (ns); `None`: too coarse to bound offsets.
fn resolution(style: Style) -> Option<i64> {
    match style {
        Style::JsonOtel | Style::JsonB3 => Some(1_000),
        Style::Sleuth | Style::LogbackRequestId => Some(1_000_000),
        Style::Access | Style::AccessIds => None,
    }
}

/// The determined domains: for each, its group and its true offset.
pub fn determined(
    world: &World,
    truth: &[TruthTrace],
    r: &Rendered,
) -> BTreeMap<Domain, (Domain, i64)> {
    // Per domain pair: (smallest start gap, smallest end gap, calls).
    let mut pairs: BTreeMap<(Domain, Domain), (i64, i64, u32)> = BTreeMap::new();
    let timed = |ti: usize, k: usize, t: &TruthTrace| -> Option<i64> {
        let s = &t.spans[k];
        let svc = &world.services[s.service];
        if !r.logged((ti as u32, k as u32)) || world.hosts[s.host].missing {
            return None;
        }
        let has_end = if s.kind == Kind::Client {
            svc.client_lines
        } else {
            matches!(svc.mode, Mode::EndOnly | Mode::StartEnd)
        };
        has_end.then_some(())?;
        resolution(svc.style)
    };
    for (ti, t) in truth.iter().enumerate() {
        for (k, s) in t.spans.iter().enumerate() {
            if s.kind != Kind::Server || s.link != super::truth::Link::ChildOf {
                continue;
            }
            let Some(client) = s.parent else { continue };
            let Some(res_in) = timed(ti, k, t) else {
                continue;
            };
            // The tightest logged caller-side span: the client span, else the caller's server span.
            let outer = timed(ti, client, t).map(|res| (client, res)).or_else(|| {
                let p = t.spans[client].parent?;
                timed(ti, p, t).map(|res| (p, res))
            });
            let Some((o, res_out)) = outer else { continue };
            let os = &t.spans[o];
            let (Some(dout), Some(din)) = (
                domain_of(world, os.host, os.start_ns, os.end_ns),
                domain_of(world, s.host, s.start_ns, s.end_ns),
            ) else {
                continue;
            };
            // Gaps are never negative in true time; recorded data (whose
            // "truth" is what skewed clocks wrote) may say otherwise.
            let slack = 2 * (res_in + res_out);
            let start_gap = (s.start_ns - os.start_ns).max(0) + slack;
            let end_gap = (os.end_ns - s.end_ns).max(0) + slack;
            let key = if dout <= din {
                (dout, din)
            } else {
                (din, dout)
            };
            let e = pairs.entry(key).or_insert((i64::MAX, i64::MAX, 0));
            e.0 = e.0.min(start_gap);
            e.1 = e.1.min(end_gap);
            e.2 += 1;
        }
    }
    pairs.retain(|_, &mut (_, _, n)| n >= MIN_CALLS);
    // Groups: from each anchor (the reference first, then the smallest domain
    // not yet reached), the shortest total width to every domain it reaches
    // (Dijkstra on a small graph); a domain belongs to the first anchor that
    // reaches it within the limit.
    let mut anchors: Vec<Domain> = vec![(world.services[0].hosts[0], 0)];
    anchors.extend(pairs.keys().flat_map(|&(a, b)| [a, b]));
    let mut out: BTreeMap<Domain, (Domain, i64)> = BTreeMap::new();
    for anchor in anchors {
        if out.contains_key(&anchor) {
            continue;
        }
        let mut dist: BTreeMap<Domain, i64> = BTreeMap::new();
        let mut todo: BTreeSet<(i64, Domain)> = BTreeSet::new();
        // The entry's hosts share one clock: all of them are the reference.
        let starts: Vec<Domain> = if world.hosts[anchor.0].service == 0 {
            world.services[0].hosts.iter().map(|&h| (h, 0)).collect()
        } else {
            vec![anchor]
        };
        for &d in &starts {
            dist.insert(d, 0);
            todo.insert((0, d));
        }
        while let Some((d, at)) = todo.pop_first() {
            if dist.get(&at).is_some_and(|&x| x < d) {
                continue;
            }
            for (&(a, b), &(sg, eg, _)) in &pairs {
                if a != at && b != at {
                    continue;
                }
                let other = if a == at { b } else { a };
                let nd = d + sg + eg;
                if nd <= 2 * TOLERANCE_NS && dist.get(&other).map_or(true, |&x| nd < x) {
                    dist.insert(other, nd);
                    todo.insert((nd, other));
                }
            }
        }
        // A group needs a domain linked to its anchor's clock, not only the anchor.
        if dist.keys().all(|d| starts.contains(d)) {
            continue;
        }
        for (dom, _) in dist {
            out.entry(dom)
                .or_insert_with(|| (anchor, domain_offset(world, dom)));
        }
    }
    out
}

/// The true offset of a domain, relative to the reference clock.
fn domain_offset(world: &World, (h, seg): Domain) -> i64 {
    let c = world.hosts[h].clock;
    let off = match (seg, c.step) {
        (1, Some((_, stepped))) => stepped,
        _ => c.base_ns,
    };
    off - world.hosts[world.services[0].hosts[0]].clock.base_ns
}

/// Whether `o` applies to a span of `host` shown at `shown_ns`.
fn covers(world: &World, o: &ROffset, host: usize, shown_ns: i64) -> bool {
    let h = &world.hosts[host];
    world.services[h.service].name == o.service
        && o.host.as_ref().map_or(true, |n| *n == h.name)
        && o.window
            .map_or(true, |(a, b)| a <= shown_ns && shown_ns <= b)
}

/// The offset the answer applies to a span of `host` shown at `shown_ns` (0 when none).
fn applied(world: &World, offsets: &[ROffset], host: usize, shown_ns: i64) -> i64 {
    offsets
        .iter()
        .find(|o| covers(world, o, host, shown_ns))
        .map_or(0, |o| o.offset_ns)
}

/// Judges the reported offsets and the determined domains, per style.
///
/// Only differences between clocks can be known, and the answer may measure
/// against another clock than the entry's: within each group of determined
/// domains, the answer's offsets are first shifted by the median of
/// (applied - true) over the group (a right answer then errs by 0); in the
/// group of the clock the answer names as its reference, and outside every
/// group, by that clock's (the entry's clock may stamp whole seconds and then
/// cannot be the reference); else outside the groups the entry's clock is
/// the reference.
pub fn judge(
    world: &World,
    truth: &[TruthTrace],
    r: &Rendered,
    offsets: &[ROffset],
) -> BTreeMap<Style, OffsetCounts> {
    let mut out: BTreeMap<Style, OffsetCounts> = BTreeMap::new();
    let style_of = |host: usize| world.services[world.hosts[host].service].style;
    let det = determined(world, truth, r);
    // A time well inside each domain, as its host shows it (steps happen mid-run).
    let shown_in = |(h, seg): Domain| {
        let t = if seg == 1 {
            world.t0_ns + world.span_ns
        } else {
            world.t0_ns
        };
        world.hosts[h].clock.show(t)
    };
    let mut diffs: BTreeMap<Domain, Vec<i64>> = BTreeMap::new();
    for (&dom, &(group, truth_ns)) in &det {
        diffs
            .entry(group)
            .or_default()
            .push(applied(world, offsets, dom.0, shown_in(dom)) - truth_ns);
    }
    // The answer's own reference clock, where it names one (its first
    // window): it anchors its group, and the domains outside every group.
    let reference = offsets
        .iter()
        .filter(|o| o.reference)
        .find_map(|o| {
            world
                .hosts
                .iter()
                .position(|h| o.host.as_ref() == Some(&h.name))
        })
        .map(|h| (h, 0u8));
    let outside = reference.map_or(0, |r| -domain_offset(world, r));
    let mut shift: BTreeMap<Domain, i64> = diffs
        .into_iter()
        .map(|(g, mut v)| {
            v.sort_unstable();
            (g, v[(v.len() - 1) / 2])
        })
        .collect();
    if let Some((g, _)) = reference.and_then(|r| det.get(&r)) {
        shift.insert(*g, outside);
    }
    for (&dom, &(group, truth_ns)) in &det {
        let err = (applied(world, offsets, dom.0, shown_in(dom)) - shift[&group] - truth_ns).abs();
        let e = out.entry(style_of(dom.0)).or_default();
        e.determined += 1;
        e.determined_within += u64::from(err <= TOLERANCE_NS);
        e.determined_max_err_ns = e.determined_max_err_ns.max(err);
    }
    for o in offsets {
        let (mut n, mut near) = (0u64, 0u64);
        let mut style = None;
        for (ti, t) in truth.iter().enumerate() {
            for (k, s) in t.spans.iter().enumerate() {
                if !r.logged((ti as u32, k as u32)) {
                    continue;
                }
                let shown = world.hosts[s.host].clock.show(s.start_ns);
                if !covers(world, o, s.host, shown) {
                    continue;
                }
                style = Some(style_of(s.host));
                n += 1;
                let dom = domain_of(world, s.host, s.start_ns, s.start_ns).unwrap_or((s.host, 0));
                let shifted = det.get(&dom).map_or(outside, |(g, _)| shift[g]);
                let err = (o.offset_ns - shifted - true_offset(world, s.host, s.start_ns)).abs();
                near += u64::from(err <= TOLERANCE_NS);
            }
        }
        let Some(style) = style else { continue };
        let wrong = near * 10 < n * 9;
        let confident = o.confidence >= 0.9;
        if wrong && confident && std::env::var_os("LOGTRACE_SIM_OFFSETS").is_some() {
            let h = world
                .hosts
                .iter()
                .find(|h| o.host.as_ref() == Some(&h.name));
            let shifts: Vec<i64> = shift.values().copied().collect();
            eprintln!(
                "wrong offset {} {:?} window {:?} {:.3} ms conf {:.2}: {near}/{n} near; clock {:?} entry {}; shifts {:?}",
                o.service, o.host, o.window, o.offset_ns as f64 / 1e6, o.confidence,
                h.map(|h| h.clock), world.hosts[world.services[0].hosts[0]].clock.base_ns, shifts
            );
        }
        let e = out.entry(style).or_default();
        e.reported += 1;
        e.wrong += u64::from(wrong);
        e.confident += u64::from(confident);
        e.wrong_confident += u64::from(wrong && confident);
    }
    out
}
