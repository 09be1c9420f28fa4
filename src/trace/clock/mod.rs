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
//! the spans agree ([`MIN_SUPPORT`]) and the pairs at it are more than a few
//! of the spans the two domains met on ([`MIN_SHARE`]): a sibling that
//! happens to fit, the same way each time, does so in a few traces of many.
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

mod estimate;
mod pairs;
mod solve;

use estimate::*;
pub use pairs::{inferred_pairs, pairs};
pub use solve::{entry, solve};

/// Fewest calls a domain pair needs before its offset is estimated.
pub const MIN_PAIRS: usize = 3;
/// Share of a domain's unlinked spans that must agree on an offset for
/// chance pairs to count as calls.
pub const MIN_SUPPORT: f64 = 0.5;
/// Share of the spans a domain pair had the chance to pair (a span of each
/// in one trace) that must agree for chance pairs to count as calls.
pub const MIN_SHARE: f64 = 0.03;
/// Per domain pair (caller, callee): how many callee spans chance could
/// pair with a span of the caller's domain (see [`pairs`]).
pub type Offered = BTreeMap<(u32, u32), usize>;
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
    use super::solve::reference_step;
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

    /// Domain 1 is called by the reference (0) through logged ids; domain
    /// 2's spans fit ten of domain 1's as their caller, 5 ms apart every time
    /// (a sibling called just before, as long). Of a thousand domain-1 spans
    /// that met a domain-2 span in a trace, ten are no call: no offset. The
    /// same ten pairs out of twelve chances are a caller that calls.
    #[test]
    fn chance_pairs_count_only_where_they_are_more_than_a_few_of_the_chances() {
        let mut pairs: Vec<Pair> = (0..50)
            .map(|k| Pair {
                caller: 0,
                callee: 1,
                lo: -20 * MS,
                hi: 2 * MS,
                callee_at: k * 1000 * MS,
                caller_at: k * 1000 * MS,
                from: Evidence::Ids,
                who: (k as u32, 1),
            })
            .collect();
        pairs.extend((0..10).map(|k| Pair {
            caller: 2,
            callee: 1,
            lo: 5 * MS,
            hi: 5 * MS,
            callee_at: k * 1000 * MS,
            caller_at: k * 1000 * MS,
            from: Evidence::Chance,
            who: (k as u32, 1),
        }));
        let symbols = Symbols::default();
        let solved = |chances: usize| {
            let offered: Offered = [((2, 1), chances)].into_iter().collect();
            let (offsets, report) = solve(&pairs, &offered, &BTreeMap::new(), Some(0), &symbols);
            let dom2 = report
                .iter()
                .find(|r| r.file == Some(2))
                .map(|r| r.offset_ms);
            (offsets.offset(Some(2), 0), dom2)
        };
        assert_eq!(solved(1000), (0, None));
        assert_eq!(solved(12), (-5 * MS, Some(-5.0)));
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
