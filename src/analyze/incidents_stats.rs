//! Per-series bucket counts and the robust baseline incidents are judged against.
//!
//! Input: requests on a timeline [`Grid`]. Output: one [`Series`] for the whole
//! run (entry requests) and one per service, holding per-bucket request and
//! error counts and the logged durations; [`Baseline`]s (median and MAD of
//! per-bucket rates) and the buckets that depart from them.

use super::{K_MAD, MIN_BASELINE_BUCKETS, MIN_SURPRISE};

use crate::analyze::latency::nearest_rank;
use crate::analyze::timeline::{PerBucket, Placement};

use crate::ingest::event::Sym;

/// MAD -> standard deviation for normal data.
const MAD_SCALE: f64 = 1.4826;
/// A bucket's bad rate must exceed the baseline by at least this much (5 points).
const MIN_RISE: f64 = 0.05;
/// At least this many bad requests make a bucket anomalous.
const MIN_BAD: u64 = 3;
/// Buckets with fewer requests do not enter the baseline's median and MAD.
const MIN_N: u64 = 3;

/// What makes a request bad for a watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Error,
    /// Timed and slower than the baseline's latency threshold.
    Slow,
}

/// One series' per-bucket data on the timeline grid.
#[derive(Clone, Copy, Debug)]
pub struct Series<'a> {
    /// `None` for the whole run (entry requests only).
    pub service: Option<Sym>,
    /// Requests, errors and logged durations by bucket.
    per: &'a PerBucket,
}

/// The run's normal level of one watch, from the median and MAD of per-bucket values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Baseline {
    /// The bad rate of the buckets that look normal, pooled.
    pub rate: f64,
    /// Scaled MAD of the per-bucket bad rate.
    pub spread: f64,
    /// The latency threshold (ns) of the slow watch; 0 for errors.
    pub slow_ns: i64,
}

impl<'a> Series<'a> {
    /// The whole-run series first, then one per service (by symbol).
    pub fn all(placed: &'a Placement) -> Vec<Series<'a>> {
        let whole = Series {
            service: None,
            per: &placed.whole,
        };
        let per = (0..placed.services.len())
            .filter(|&k| placed.by_service[k].requests.iter().any(|&n| n > 0))
            .map(|k| Series {
                service: Some(placed.services[k]),
                per: &placed.by_service[k],
            });
        std::iter::once(whole).chain(per).collect()
    }

    /// Requests per bucket.
    pub fn n(&self) -> &'a [u64] {
        &self.per.requests
    }

    fn timed(&self, lo: usize, hi: usize) -> &'a [i64] {
        self.per.durations.get(lo, hi)
    }

    /// Bad and total requests of fine buckets `[lo, hi)`.
    pub fn bad(&self, kind: Kind, base: &Baseline, lo: usize, hi: usize) -> (u64, u64) {
        match kind {
            Kind::Error => (
                self.per.errors[lo..hi].iter().sum(),
                self.per.requests[lo..hi].iter().sum(),
            ),
            Kind::Slow => {
                let t = self.timed(lo, hi);
                (
                    t.iter().filter(|&&d| d > base.slow_ns).count() as u64,
                    t.len() as u64,
                )
            }
        }
    }

    /// Detection buckets: `factor` fine buckets each.
    fn spans(&self, factor: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let count = self.per.requests.len();
        (0..count.div_ceil(factor)).map(move |i| (i * factor, ((i + 1) * factor).min(count)))
    }

    /// The baseline of a watch at `factor`, `None` when too few buckets have data.
    pub fn baseline(&self, kind: Kind, factor: usize) -> Option<Baseline> {
        let mut base = Baseline {
            rate: 0.0,
            spread: 0.0,
            slow_ns: 0,
        };
        if kind == Kind::Slow {
            let mut p99s: Vec<f64> = Vec::new();
            let mut buf: Vec<i64> = Vec::new();
            for (lo, hi) in self.spans(factor) {
                buf.clear();
                buf.extend_from_slice(self.timed(lo, hi));
                if buf.len() as u64 >= MIN_N {
                    buf.sort_unstable();
                    p99s.push(nearest_rank(&buf, 99.0).unwrap_or(0) as f64);
                }
            }
            if p99s.len() < MIN_BASELINE_BUCKETS {
                return None;
            }
            let (med, mad) = median_mad(&mut p99s);
            // At least twice the usual p99 and 1 ms over it: a flat run never crosses it.
            let t = (med + K_MAD * MAD_SCALE * mad)
                .max(2.0 * med)
                .max(med + 1e6);
            base.slow_ns = t.min(i64::MAX as f64) as i64;
        }
        let mut rates: Vec<f64> = self
            .spans(factor)
            .map(|(lo, hi)| self.bad(kind, &base, lo, hi))
            .filter(|&(_, n)| n >= MIN_N)
            .map(|(b, n)| b as f64 / n as f64)
            .collect();
        if rates.len() < MIN_BASELINE_BUCKETS {
            return None;
        }
        let (med, mad) = median_mad(&mut rates);
        base.spread = MAD_SCALE * mad;
        // The median of sparse per-bucket rates sits low (most small buckets
        // have no bad request at all), so the rate buckets are judged against is
        // pooled over the buckets that look normal by the median and MAD.
        let limit = med + (K_MAD * base.spread).max(MIN_RISE);
        let (mut bad, mut n) = (0, 0);
        for (lo, hi) in self.spans(factor) {
            let (b, m) = self.bad(kind, &base, lo, hi);
            if m > 0 && b as f64 / m as f64 <= limit {
                bad += b;
                n += m;
            }
        }
        base.rate = if n > 0 { bad as f64 / n as f64 } else { med };
        Some(base)
    }

    /// The detection buckets (at `factor`) that depart from `base`, with their surprise.
    pub fn anomalies(&self, kind: Kind, base: &Baseline, factor: usize) -> Vec<(usize, f64)> {
        self.spans(factor)
            .enumerate()
            .filter_map(|(i, (lo, hi))| {
                let (bad, n) = self.bad(kind, base, lo, hi);
                let s = surprise(bad, n, base.rate);
                let rate = bad as f64 / n as f64;
                let high = match kind {
                    Kind::Error => rate >= base.rate + (K_MAD * base.spread).max(MIN_RISE),
                    // More than 1% above T: the bucket's p99 is above T.
                    Kind::Slow => rate > 0.01 && rate >= base.rate + K_MAD * base.spread,
                };
                (bad >= MIN_BAD && high && s >= MIN_SURPRISE).then_some((i, s))
            })
            .collect()
    }

    /// Bad requests in fine buckets `[lo, hi)` beyond what the baseline expects.
    pub fn excess(&self, kind: Kind, base: &Baseline, (lo, hi): (usize, usize)) -> f64 {
        let (bad, n) = self.bad(kind, base, lo, hi);
        bad as f64 - n as f64 * base.rate
    }

    /// Sharpens a window found on coarse buckets to the fine grid: the
    /// maximum-sum run of `bad - c·n` within one coarse bucket of the window,
    /// `c` halfway between the baseline rate and the window's rate.
    pub fn refine(
        &self,
        kind: Kind,
        base: &Baseline,
        (lo, hi): (usize, usize),
        factor: usize,
    ) -> (usize, usize) {
        let (bad, n) = self.bad(kind, base, lo, hi);
        if n == 0 {
            return (lo, hi);
        }
        let c = (base.rate + bad as f64 / n as f64) / 2.0;
        let from = lo.saturating_sub(factor);
        let to = (hi + factor).min(self.per.requests.len());
        let (mut best, mut best_at) = (0.0, (lo, hi));
        let (mut cur, mut cur_start) = (0.0, from);
        for b in from..to {
            let (bad, n) = self.bad(kind, base, b, b + 1);
            let w = bad as f64 - c * n as f64;
            if cur <= 0.0 {
                cur = w;
                cur_start = b;
            } else {
                cur += w;
            }
            if cur > best {
                best = cur;
                best_at = (cur_start, b + 1);
            }
        }
        best_at
    }
}

/// How surprising `bad` or more bad requests out of `n` are at rate `p`
/// (floored at 1%): `-log10` of the Poisson upper tail `P(X >= bad)`, so 5
/// means one chance in 100 000. Poisson, not normal, because buckets hold few
/// bad requests and their tails are heavy.
pub fn surprise(bad: u64, n: u64, p: f64) -> f64 {
    let lambda = n as f64 * p.clamp(0.01, 1.0);
    if bad == 0 || n == 0 || (bad as f64) <= lambda {
        return 0.0;
    }
    let k = bad as f64;
    // P(X = k), then the sum of the following terms relative to it.
    let log_pk = -lambda + k * lambda.ln() - ln_factorial(bad);
    let (mut sum, mut r, mut j) = (1.0f64, 1.0f64, bad);
    while r > 1e-15 * sum && j < bad + 100_000 {
        j += 1;
        r *= lambda / j as f64;
        sum += r;
    }
    -(log_pk + sum.ln()) / std::f64::consts::LN_10
}

/// `ln(n!)`: exact below 20, Stirling's series above (error < 1e-10).
fn ln_factorial(n: u64) -> f64 {
    if n < 20 {
        return (2..=n).map(|i| (i as f64).ln()).sum();
    }
    let x = n as f64;
    x * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI * x).ln() + 1.0 / (12.0 * x)
        - 1.0 / (360.0 * x * x * x)
}

/// Median and median absolute deviation; sorts `v`.
pub fn median_mad(v: &mut [f64]) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let med = median(v);
    let mut dev: Vec<f64> = v.iter().map(|x| (x - med).abs()).collect();
    (med, median(&mut dev))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_unstable_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mad() {
        let mut v = vec![1.0, 2.0, 3.0, 4.0, 100.0];
        assert_eq!(median_mad(&mut v), (3.0, 1.0));
        let mut v = vec![0.0, 0.0, 0.0, 1.0];
        assert_eq!(median_mad(&mut v), (0.0, 0.0));
        assert_eq!(median_mad(&mut []), (0.0, 0.0));
    }

    #[test]
    fn surprise_is_the_poisson_tail() {
        // 3 of 20 against a 0% baseline is judged against 1%: lambda = 0.2,
        // P(X >= 3) = 1 - e^-0.2 (1 + 0.2 + 0.02) = 0.0011485.
        assert!(
            (surprise(3, 20, 0.0) - 2.9399).abs() < 1e-3,
            "{}",
            surprise(3, 20, 0.0)
        );
        assert_eq!(surprise(0, 0, 0.5), 0.0);
        assert_eq!(surprise(10, 20, 0.5), 0.0);
        // Large counts: 600 of 10 000 at 5% (lambda 500) is ~4.5 sigma.
        let s = surprise(600, 10_000, 0.05);
        assert!((5.0..6.5).contains(&s), "{s}");
        assert!(surprise(1_000_000, 1_000_000, 0.5).is_finite());
    }

    #[test]
    fn ln_factorial_is_accurate() {
        assert_eq!(ln_factorial(0), 0.0);
        assert!((ln_factorial(5) - 120f64.ln()).abs() < 1e-12);
        let exact: f64 = (2..=25).map(|i| (i as f64).ln()).sum();
        assert!((ln_factorial(25) - exact).abs() < 1e-9);
    }
}
