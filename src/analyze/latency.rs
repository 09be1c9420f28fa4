//! Durations -> exact latency distributions ([`LatencyMs`]).
//!
//! Input: durations in nanoseconds. Output: count, nearest-rank percentiles
//! (p50, p90, p95, p99, p99.9), max and mean in milliseconds, or `None`
//! without samples (no duration is not a duration of 0). Exact, not
//! sketched: each percentile is a selection among the samples.

use super::summary::LatencyMs;

/// The nearest-rank percentile `p` (0..=100) of sorted samples: the smallest
/// value with at least p% of the samples at or below it.
pub fn nearest_rank(sorted: &[i64], p: f64) -> Option<i64> {
    (!sorted.is_empty()).then(|| sorted[rank_index(sorted.len(), p)])
}

/// The 0-based position of the nearest-rank percentile `p` among `n > 0` sorted values.
fn rank_index(n: usize, p: f64) -> usize {
    // Integer arithmetic in thousandths of a percent: `(99.9 / 100.0) * 1000.0`
    // is 999.0000000000001 in floating point, whose ceiling picks rank 1000
    // instead of 999.
    let milli = (p.clamp(0.0, 100.0) * 1000.0).round() as u128;
    let rank = (milli * n as u128).div_ceil(100_000) as usize;
    rank.clamp(1, n) - 1
}

/// The nearest-rank percentiles `ps` of unsorted samples: exact, in linear
/// time. The lowest is selected first, each next one inside the part right of
/// the one before: for p50, p90, p95, p99 and p99.9 that reads 1.7 times the
/// samples, not 5 times. Reorders the samples.
pub fn percentiles<const N: usize>(samples: &mut [i64], ps: [f64; N]) -> [Option<i64>; N] {
    let mut out = [None; N];
    let n = samples.len();
    if n == 0 {
        return out;
    }
    let mut order: [usize; N] = std::array::from_fn(|i| i);
    order.sort_by_key(|&i| rank_index(n, ps[i]));
    let mut start = 0;
    for i in order {
        let k = rank_index(n, ps[i]);
        // Everything before `start` is at most every value still to pick.
        let k = k.max(start);
        out[i] = Some(*samples[start..].select_nth_unstable(k - start).1);
        start = k;
    }
    out
}

/// Milliseconds with microsecond precision, so JSON stays short and stable.
pub fn ms(ns: i64) -> f64 {
    (ns as f64 / 1_000.0).round() / 1_000.0
}

/// The distribution of `samples` (ns), `None` without samples; reorders them.
pub fn latency(samples: &mut [i64]) -> Option<LatencyMs> {
    let [Some(p50), Some(p90), Some(p95), Some(p99), Some(p999)] =
        percentiles(samples, [50.0, 90.0, 95.0, 99.0, 99.9])
    else {
        return None;
    };
    let max = samples.iter().copied().max().unwrap_or(0);
    let sum: i128 = samples.iter().map(|&x| x as i128).sum();
    Some(LatencyMs {
        count: samples.len() as u64,
        p50: ms(p50),
        p90: ms(p90),
        p95: ms(p95),
        p99: ms(p99),
        p999: ms(p999),
        max: ms(max),
        mean: ms((sum / samples.len() as i128) as i64),
    })
}

/// Values grouped by bucket with a counting sort: bucket `b`'s values are
/// [`ByBucket::get`]`(b)`, in input order.
#[derive(Clone, Debug, Default)]
pub struct ByBucket {
    first: Vec<usize>,
    values: Vec<i64>,
}

impl ByBucket {
    /// `items` are (bucket < `buckets`, value).
    pub fn new(buckets: usize, items: &[(usize, i64)]) -> ByBucket {
        let mut counts = vec![0usize; buckets];
        for &(b, _) in items {
            counts[b] += 1;
        }
        ByBucket::with_counts(&counts, items.iter().copied())
    }

    /// `items` are (bucket, value), bucket `b` receiving exactly `counts[b]`
    /// of them (counted beforehand, e.g. in a parallel pass).
    pub fn with_counts(
        counts: &[usize],
        items: impl IntoIterator<Item = (usize, i64)>,
    ) -> ByBucket {
        let mut first = Vec::with_capacity(counts.len() + 1);
        first.push(0usize);
        for &c in counts {
            first.push(first[first.len() - 1] + c);
        }
        let mut fill = first.clone();
        let mut values = vec![0i64; first[counts.len()]];
        for (b, v) in items {
            values[fill[b]] = v;
            fill[b] += 1;
        }
        debug_assert!(
            fill[..counts.len()] == first[1..],
            "counts do not match the items"
        );
        ByBucket { first, values }
    }

    /// Bucket `b` holding `counts[b]` values, written by `fill(b, slice)`,
    /// the buckets on all cores.
    pub fn filled<F>(counts: &[usize], fill: F) -> ByBucket
    where
        F: Fn(usize, &mut [i64]) + Sync,
    {
        use rayon::prelude::*;
        let mut first = Vec::with_capacity(counts.len() + 1);
        first.push(0usize);
        for &c in counts {
            first.push(first[first.len() - 1] + c);
        }
        let mut values = vec![0i64; first[counts.len()]];
        crate::concat::split_mut(&mut values, counts.iter().copied())
            .into_par_iter()
            .enumerate()
            .for_each(|(b, slice)| fill(b, slice));
        ByBucket { first, values }
    }

    /// Buckets `lo..hi` as a grouping of their own (bucket `lo` becomes 0).
    pub fn slice(&self, lo: usize, hi: usize) -> ByBucket {
        let base = self.first[lo];
        ByBucket {
            first: self.first[lo..=hi].iter().map(|f| f - base).collect(),
            values: self.get(lo, hi).to_vec(),
        }
    }

    /// The values of consecutive runs of buckets, to reorder: run `i` is the
    /// buckets from `ends[i - 1]` (0 for the first) up to `ends[i]`.
    pub fn runs_mut(&mut self, ends: impl IntoIterator<Item = usize>) -> Vec<&mut [i64]> {
        let first = &self.first;
        let mut at = 0;
        let lengths = ends.into_iter().map(|end| {
            let n = first[end] - at;
            at = first[end];
            n
        });
        crate::concat::split_mut(&mut self.values, lengths)
    }

    pub fn buckets(&self) -> usize {
        self.first.len() - 1
    }

    /// The values of buckets `lo..hi`.
    pub fn get(&self, lo: usize, hi: usize) -> &[i64] {
        &self.values[self.first[lo]..self.first[hi]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_matches_the_definition() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(nearest_rank(&v, 50.0), Some(50));
        assert_eq!(nearest_rank(&v, 99.0), Some(99));
        assert_eq!(nearest_rank(&v, 99.9), Some(100));
        assert_eq!(nearest_rank(&v, 0.0), Some(1));
        assert_eq!(nearest_rank(&[7], 99.0), Some(7));
        assert_eq!(nearest_rank(&[], 50.0), None);
    }

    #[test]
    fn p999_of_a_thousand_is_rank_999_not_1000() {
        let v: Vec<i64> = (1..=1000).collect();
        assert_eq!(nearest_rank(&v, 99.9), Some(999));
        let v: Vec<i64> = (1..=10_000).collect();
        assert_eq!(nearest_rank(&v, 99.9), Some(9990));
        assert_eq!(nearest_rank(&v, 95.0), Some(9500));
        assert_eq!(nearest_rank(&v, 200.0), Some(10_000));
        assert_eq!(nearest_rank(&v, f64::NAN), Some(1));
    }

    #[test]
    fn latency_in_ms() {
        let mut v = vec![3_000_000, 1_000_000, 2_000_000, 4_000_000];
        let l = latency(&mut v).unwrap();
        assert_eq!(
            (l.count, l.p50, l.p99, l.max, l.mean),
            (4, 2.0, 4.0, 4.0, 2.5)
        );
        // No samples: no latency, not a latency of 0.
        assert_eq!(latency(&mut []), None);
        // A logged duration of 0 is a duration.
        assert_eq!(latency(&mut [0]).map(|l| (l.count, l.p99)), Some((1, 0.0)));
    }

    #[test]
    fn selected_percentiles_equal_sorted_ones() {
        let ps = [50.0, 90.0, 95.0, 99.0, 99.9, 0.0, 100.0, 99.0];
        for n in [1usize, 2, 3, 10, 999, 1000, 1001, 4567] {
            let mut v: Vec<i64> = (0..n as i64).map(|i| (i * 7_919) % 1_009 - 300).collect();
            let mut sorted = v.clone();
            sorted.sort_unstable();
            let want = ps.map(|p| nearest_rank(&sorted, p));
            assert_eq!(percentiles(&mut v, ps), want, "n = {n}");
        }
        assert_eq!(percentiles(&mut [], [50.0]), [None]);
    }

    #[test]
    fn values_grouped_by_bucket_keep_input_order() {
        let g = ByBucket::new(3, &[(2, 5), (0, 1), (2, 4), (0, 9)]);
        assert_eq!(
            (g.get(0, 1), g.get(1, 2), g.get(2, 3)),
            (&[1, 9][..], &[][..], &[5, 4][..])
        );
        assert_eq!((g.get(0, 3).len(), g.buckets()), (4, 3));
        let tail = g.slice(1, 3);
        assert_eq!((tail.buckets(), tail.get(1, 2)), (2, &[5, 4][..]));
    }

    #[test]
    fn runs_of_buckets_are_handed_out_to_reorder() {
        let mut g = ByBucket::with_counts(&[2, 0, 1], [(0, 3), (2, 7), (0, 1)]);
        let runs = g.runs_mut([1, 1, 3]);
        assert_eq!(runs.len(), 3);
        assert_eq!(
            (&*runs[0], &*runs[1], &*runs[2]),
            (&[3, 1][..], &[][..], &[7][..])
        );
        runs.into_iter().for_each(|r| r.sort_unstable());
        assert_eq!(g.get(0, 1), &[1, 3]);
    }
}
