//! Bounds of one clock window -> its offset, range and confidence.
//!
//! Input: the bounds the calls of one domain's window put on its offset.
//! Output: the densest cluster of them, the [`Estimate`] inside it (at the
//! side calls hug), where a clock stepped, and how sure the estimate is.

use super::*;

/// The region inside the most intervals: (count, from, to). Closed
/// intervals; on a tie the region nearest 0.
pub(super) fn densest(intervals: impl Iterator<Item = (i64, i64)>) -> (usize, i64, i64) {
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
pub(super) struct Estimate {
    pub(super) offset: i64,
    pub(super) low: i64,
    pub(super) high: i64,
    pub(super) agree: usize,
    pub(super) total: usize,
    /// The agreeing calls are (nearly all) linked by logged ids.
    pub(super) by_ids: bool,
    /// The share of the window's calls that no other window's time covers
    /// (a clock stepped back logs some times twice).
    pub(super) clean: f64,
}

/// The offset a set of bounds gives (see the module doc), or `None` when
/// too few calls agree on a two-sided range.
pub(super) fn estimate(b: &[(i64, i64)]) -> Option<Estimate> {
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
pub(super) fn step_at(b: &[(i64, (i64, i64))]) -> Option<usize> {
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
pub(super) fn best_cut(b: &[(i64, (i64, i64))]) -> Option<(usize, usize)> {
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

/// The chance the offset is within the tolerance of the truth.
pub(super) fn confidence(e: &Estimate, radius: i64) -> f64 {
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
