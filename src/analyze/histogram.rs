//! Latency samples -> log-scale histograms ([`HistBucket`]s) for
//! `report.json` and the latency distribution chart.
//!
//! Bounds follow the R10 series (1, 1.25, 1.6, 2, 2.5, 3.2, 4, 5, 6.3,
//! 8 x 10^k ms, from 1 µs to 8e9 ms): ten per decade, about 26 % apart, fine
//! enough for a CDF and small in report.json (only non-empty buckets).

use super::summary::HistBucket;

const MANTISSAS: [&str; 10] = ["1", "1.25", "1.6", "2", "2.5", "3.2", "4", "5", "6.3", "8"];
const FIRST_EXP: i32 = -3;
const LAST_EXP: i32 = 9;

/// Every histogram bound in ms, ascending.
pub fn bounds() -> Vec<f64> {
    let mut out = Vec::with_capacity(((LAST_EXP - FIRST_EXP + 1) * 10) as usize);
    for e in FIRST_EXP..=LAST_EXP {
        for m in MANTISSAS {
            // Parsed from text so bounds are the exact decimal (0.00125, not 0.0012500000000000002).
            out.push(format!("{m}e{e}").parse().unwrap_or(0.0));
        }
    }
    out
}

/// Latencies in nanoseconds -> non-empty log-scale buckets by bound. Negative
/// latencies count as 0; those above the last bound go to the last bucket.
pub fn latency_histogram(samples_ns: &[i64]) -> Vec<HistBucket> {
    let b = bounds();
    let mut counts = vec![0u64; b.len()];
    for &ns in samples_ns {
        let ms = ns.max(0) as f64 / 1e6;
        let i = b.partition_point(|&le| le < ms).min(b.len() - 1);
        counts[i] += 1;
    }
    b.into_iter()
        .zip(counts)
        .filter(|&(_, c)| c > 0)
        .map(|(le_ms, count)| HistBucket { le_ms, count })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_land_in_r10_buckets() {
        // 1 ms, 1.1 ms, 1.25 ms (on the bound), 100 ms, negative, huge.
        let h = latency_histogram(&[1_000_000, 1_100_000, 1_250_000, 100_000_000, -5, i64::MAX]);
        let got: Vec<(f64, u64)> = h.iter().map(|b| (b.le_ms, b.count)).collect();
        assert_eq!(
            got,
            vec![(0.001, 1), (1.0, 1), (1.25, 2), (100.0, 1), (8e9, 1)]
        );
        assert!(latency_histogram(&[]).is_empty());
        assert_eq!(bounds().len(), 130);
        assert_eq!(bounds()[2], 0.0016);
    }
}
