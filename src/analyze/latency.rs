//! Durations -> exact latency distributions ([`LatencyMs`]).
//!
//! Input: durations in nanoseconds. Output: count, nearest-rank percentiles
//! (p50, p90, p95, p99, p99.9), max and mean in milliseconds. Exact, not
//! sketched: the samples are sorted once.

use super::summary::LatencyMs;

/// The nearest-rank percentile `p` (0..=100) of sorted samples: the smallest
/// value with at least p% of the samples at or below it.
pub fn nearest_rank(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    // Integer arithmetic in thousandths of a percent: `(99.9 / 100.0) * 1000.0`
    // is 999.0000000000001 in floating point, whose ceiling picks rank 1000
    // instead of 999.
    let milli = (p.clamp(0.0, 100.0) * 1000.0).round() as u128;
    let rank = (milli * n as u128).div_ceil(100_000) as usize;
    Some(sorted[rank.clamp(1, n) - 1])
}

/// Milliseconds with microsecond precision, so JSON stays short and stable.
pub fn ms(ns: i64) -> f64 {
    (ns as f64 / 1_000.0).round() / 1_000.0
}

/// The distribution of `samples` (ns); sorts them in place.
pub fn latency(samples: &mut [i64]) -> LatencyMs {
    if samples.is_empty() {
        return LatencyMs::default();
    }
    samples.sort_unstable();
    let p = |q| ms(nearest_rank(samples, q).unwrap_or(0));
    let sum: i128 = samples.iter().map(|&x| x as i128).sum();
    LatencyMs {
        count: samples.len() as u64,
        p50: p(50.0),
        p90: p(90.0),
        p95: p(95.0),
        p99: p(99.0),
        p999: p(99.9),
        max: ms(*samples.last().unwrap_or(&0)),
        mean: ms((sum / samples.len() as i128) as i64),
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
        let l = latency(&mut v);
        assert_eq!(
            (l.count, l.p50, l.p99, l.max, l.mean),
            (4, 2.0, 4.0, 4.0, 2.5)
        );
    }
}
