//! Requests and the timeline -> incident windows and what got worse in them.
//!
//! Input: the run's [`Request`]s (placed by end time, like the timeline), the
//! [`Traces`] (for error origins) and the [`Timeline`] (for its bucket width).
//! Output: [`Incident`]s by start, each with the operations that got worst
//! and the services where the failures inside it started.
//!
//! Detection compares every bucket with the run's own baseline, per series:
//! the whole run (entry requests) and each service (all its requests). Two
//! rates are watched in each series: the error rate, and the share of timed
//! requests slower than a latency threshold `T` set from the per-bucket p99s
//! (median + k·MAD, at least twice the median p99). A bucket is anomalous when
//! its rate exceeds the baseline rate (pooled over the buckets within k·MAD of
//! the median per-bucket rate) by k·MAD (and, for errors, by 5 points; for
//! latency the bucket's p99 must exceed `T`), at least 3 requests are bad, and
//! the excess is significant for the bucket's size (Poisson tail probability
//! <= 1e-5, baseline rate floored at 1%), so a flat run gives nothing and a
//! bucket with two slow requests out of five is not an incident.
//!
//! Sparse runs are judged on coarser buckets (whole multiples of the timeline
//! width holding ~20 entry requests each); adjacent anomalous buckets are
//! merged across gaps of one bucket, single-bucket blips are dropped unless
//! severe (tail probability <= 1e-10), and each window's edges are then refined at the timeline
//! resolution by the maximum-sum segment of (bad - c·requests), c halfway
//! between the baseline and the incident rate.

#[path = "incidents_describe.rs"]
mod describe;
#[path = "incidents_stats.rs"]
pub mod stats;

use rayon::prelude::*;

use super::grouped::Grouped;
use super::summary::{Incident, Timeline};
use super::timeline::{self, Grid};
use super::Request;
use crate::ingest::event::{Sym, Symbols};
use crate::trace::{Trace, Traces};
use stats::{Baseline, Kind, Series};

/// How far above the median (in MADs, scaled to a standard deviation) a bucket must be.
pub const K_MAD: f64 = 4.0;
/// The smallest significant excess: `-log10` of its Poisson tail probability.
pub const MIN_SURPRISE: f64 = 5.0;
/// A single anomalous bucket is reported only this severe.
pub const SEVERE_SURPRISE: f64 = 10.0;
/// Detection buckets aim to hold this many entry requests.
const TARGET_PER_BUCKET: f64 = 20.0;
/// Detection needs at least this many buckets with data for a baseline.
pub const MIN_BASELINE_BUCKETS: usize = 8;

/// One incident window in grid buckets: `[start, end)` on the timeline grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub start: usize,
    pub end: usize,
    /// The strongest surprise (`-log10` tail probability) inside.
    pub surprise: f64,
}

/// Windows where the error rate or latency departs strongly from the run's baseline.
pub fn find(
    requests: &[Request],
    traces: &Traces,
    timeline: &Timeline,
    symbols: &Symbols,
) -> Vec<Incident> {
    let width = (timeline.bucket_seconds > 0).then_some(timeline.bucket_seconds);
    let grouped = Grouped::from_requests(requests);
    match timeline::Placement::of(&grouped, width) {
        Some(p) => find_in(&grouped, &failures(&traces.traces), &p, symbols),
        None => Vec::new(),
    }
}

/// [`find`] on requests already placed on the timeline's grid.
pub fn find_on(
    requests: &[Request],
    traces: &Traces,
    placed: &timeline::Placement,
    symbols: &Symbols,
) -> Vec<Incident> {
    let grouped = Grouped::from_requests(requests);
    find_in(&grouped, &failures(&traces.traces), placed, symbols)
}

/// [`find_on`] on requests already grouped, given the failed traces
/// ([`failures`]).
pub fn find_in(
    grouped: &Grouped,
    failures: &[Failure],
    placed: &timeline::Placement,
    symbols: &Symbols,
) -> Vec<Incident> {
    windows(placed)
        .par_iter()
        .map(|w| describe::describe(grouped, failures, symbols, &placed.grid, w))
        .collect()
}

/// What an incident needs of a failed trace: its start and the service of
/// its error origin.
pub type Failure = (i64, Sym);

/// The failed traces of `traces` whose error origin is one of their spans.
pub fn failures(traces: &[Trace]) -> Vec<Failure> {
    traces
        .par_iter()
        .filter_map(|t| {
            let span = t.spans.get(t.error_origin? as usize)?;
            Some((t.start_ns, span.service))
        })
        .collect()
}

/// The incident windows on the timeline's buckets, by start.
pub fn windows(placed: &timeline::Placement) -> Vec<Window> {
    let g = &placed.grid;
    let series = Series::all(placed);
    let factor = detection_factor(&series[0], g);
    let n_det = g.count.div_ceil(factor);

    let kinds = [Kind::Error, Kind::Slow];
    // Baselines of every (series, watch); `None` where the series is too thin.
    let bases: Vec<(usize, Kind, Baseline)> = series
        .iter()
        .enumerate()
        .flat_map(|(si, s)| kinds.map(|k| s.baseline(k, factor).map(|b| (si, k, b))))
        .flatten()
        .collect();

    // Per detection bucket: the strongest surprise of any watch.
    let mut flags: Vec<Option<f64>> = vec![None; n_det];
    for (si, kind, base) in &bases {
        for (b, z) in series[*si].anomalies(*kind, base, factor) {
            if flags[b].map_or(true, |best| z > best) {
                flags[b] = Some(z);
            }
        }
    }

    let mut out: Vec<Window> = Vec::new();
    for (start, end) in runs(&flags.iter().map(Option::is_some).collect::<Vec<_>>()) {
        let inside = &flags[start..end];
        let z = inside.iter().flatten().fold(0.0, |a: f64, &b| a.max(b));
        if inside.iter().flatten().count() < 2 && z < SEVERE_SURPRISE {
            continue;
        }
        let (lo, hi) = (start * factor, (end * factor).min(g.count));
        // The watch with the largest excess of bad requests sets the edges.
        let mut best: Option<(f64, usize)> = None;
        for (i, (si, kind, base)) in bases.iter().enumerate() {
            let e = series[*si].excess(*kind, base, (lo, hi));
            if best.map_or(true, |(b, _)| e > b) {
                best = Some((e, i));
            }
        }
        let (lo, hi) = match best {
            Some((_, i)) => {
                let (si, kind, base) = &bases[i];
                series[*si].refine(*kind, base, (lo, hi), factor)
            }
            None => (lo, hi),
        };
        match out.last_mut() {
            Some(prev) if lo <= prev.end => {
                prev.end = prev.end.max(hi);
                prev.surprise = prev.surprise.max(z);
            }
            _ => out.push(Window {
                start: lo,
                end: hi,
                surprise: z,
            }),
        }
    }
    out
}

/// How many timeline buckets make one detection bucket: enough for ~20 entry
/// requests in the median non-empty bucket, keeping at least 12 buckets.
fn detection_factor(overall: &Series, g: &Grid) -> usize {
    let mut n: Vec<u64> = overall.n().iter().copied().filter(|&n| n > 0).collect();
    if n.is_empty() {
        return 1;
    }
    n.sort_unstable();
    let median = n[(n.len() - 1) / 2] as f64;
    let want = (TARGET_PER_BUCKET / median).ceil() as usize;
    want.clamp(1, (g.count / 12).max(1))
}

/// Runs of `true`, merged across single `false` gaps: `[start, end)` pairs.
pub fn runs(flagged: &[bool]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, &f) in flagged.iter().enumerate() {
        if !f {
            continue;
        }
        match out.last_mut() {
            Some(last) if i <= last.1 + 1 => last.1 = i + 1,
            _ => out.push((i, i + 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::timeline::build;

    const T0: i64 = 1_709_294_400_000_000_000; // 2024-03-01T12:00:00Z
    const MIN: i64 = 60_000_000_000;

    /// A small deterministic generator (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// `minutes` of `per_min` edge requests, each calling inventory. `shape(minute)`
    /// gives inventory's (latency factor, error probability).
    fn run(
        sy: &mut Symbols,
        minutes: i64,
        per_min: i64,
        shape: impl Fn(f64) -> (f64, f64),
    ) -> Vec<Request> {
        let (edge, inv) = (sy.intern("edge"), sy.intern("inventory"));
        let (get, stock) = (sy.intern("GET /"), sy.intern("GET /stock/{id}"));
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut out = Vec::new();
        let n = minutes * per_min;
        for i in 0..n {
            let start = T0 + i * MIN / per_min;
            let minute = (start - T0) as f64 / MIN as f64;
            let (factor, p_err) = shape(minute);
            // 8 ms ± 4, with a 1% tail of 3-8x.
            let mut inv_ms = 4.0 + 8.0 * rng.next();
            if rng.next() < 0.01 {
                inv_ms *= 3.0 + 5.0 * rng.next();
            }
            inv_ms *= factor;
            let failed = rng.next() < p_err;
            let edge_ms = inv_ms + 20.0 + 30.0 * rng.next();
            let d = |m: f64| (m * 1e6) as i64;
            out.push(Request {
                service: inv,
                operation: stock,
                start_ns: start + d(1.0),
                end_ns: start + d(1.0 + inv_ms),
                timed: true,
                status: if failed { 500 } else { 200 },
                error: failed,
                recovered: false,
                entry: false,
                trace: None,
            });
            out.push(Request {
                service: edge,
                operation: get,
                start_ns: start,
                end_ns: start + d(edge_ms),
                timed: true,
                status: if failed { 502 } else { 200 },
                error: failed,
                recovered: false,
                entry: true,
                trace: None,
            });
        }
        out
    }

    fn incidents(sy: &Symbols, rs: &[Request]) -> Vec<Incident> {
        let t = build(rs, sy, None);
        find(rs, &Traces::default(), &t, sy)
    }

    fn secs_of(rfc: &str) -> i64 {
        // "2024-03-01T12:MM:SS.mmmZ" within the test hour(s)
        let h: i64 = rfc[11..13].parse().unwrap();
        let m: i64 = rfc[14..16].parse().unwrap();
        let s: i64 = rfc[17..19].parse().unwrap();
        (h - 12) * 3600 + m * 60 + s
    }

    #[test]
    fn runs_merge_single_gaps_only() {
        let f = |s: &str| s.bytes().map(|b| b == b'x').collect::<Vec<_>>();
        assert_eq!(runs(&f("..xx.x..x...xx")), vec![(2, 6), (8, 9), (12, 14)]);
        assert_eq!(runs(&f("")), vec![]);
        assert_eq!(runs(&f("x.x.x")), vec![(0, 5)]);
    }

    #[test]
    fn flat_run_has_no_incident() {
        let mut sy = Symbols::default();
        let rs = run(&mut sy, 60, 100, |_| (1.0, 0.004));
        assert_eq!(incidents(&sy, &rs), vec![]);
    }

    #[test]
    fn noisy_run_has_no_incident() {
        let mut sy = Symbols::default();
        // 5% errors and a heavy latency tail all along; sparse (20 per minute).
        let mut rng = Rng(7);
        let rs = run(&mut sy, 60, 20, |_| (1.0, 0.05));
        let rs: Vec<Request> = rs
            .into_iter()
            .map(|mut r| {
                if rng.next() < 0.05 {
                    let d = r.duration_ns().unwrap() * 6;
                    r.end_ns = r.start_ns + d;
                }
                r
            })
            .collect();
        assert_eq!(incidents(&sy, &rs), vec![]);
    }

    #[test]
    fn one_bad_bucket_with_few_requests_is_not_an_incident() {
        let mut sy = Symbols::default();
        let mut rs = run(&mut sy, 60, 20, |_| (1.0, 0.0));
        // Two failures in a row at minute 30: a blip, not an incident.
        for r in rs.iter_mut().skip(1200).take(4) {
            r.error = true;
        }
        assert_eq!(incidents(&sy, &rs), vec![]);
    }

    #[test]
    fn a_clear_spike_is_found_with_its_window() {
        let mut sy = Symbols::default();
        let spike = |m: f64| {
            if (25.0..35.0).contains(&m) {
                (10.0, 0.35)
            } else {
                (1.0, 0.001)
            }
        };
        for per_min in [20, 200] {
            let rs = run(&mut sy, 60, per_min, spike);
            let t = build(&rs, &sy, None);
            let found = find(&rs, &Traces::default(), &t, &sy);
            assert_eq!(found.len(), 1, "{per_min}/min: {found:?}");
            eprintln!(
                "{per_min}/min: {} .. {}: {}",
                found[0].start, found[0].end, found[0].summary
            );
            let w = t.bucket_seconds as i64;
            let (s, e) = (secs_of(&found[0].start), secs_of(&found[0].end));
            assert!(
                (s - 25 * 60).abs() <= w,
                "{per_min}/min start {s}s, bucket {w}s"
            );
            assert!(
                (e - 35 * 60).abs() <= w,
                "{per_min}/min end {e}s, bucket {w}s"
            );
            let worst = &found[0].worst[0];
            assert_eq!(
                (worst.service.as_str(), worst.operation.as_str()),
                ("inventory", "GET /stock/{id}")
            );
            let (pi, pb) = (
                worst.incident_p99_ms.unwrap(),
                worst.baseline_p99_ms.unwrap(),
            );
            assert!(pi > 3.0 * pb, "{worst:?}");
            assert!(worst.incident_error_rate > 0.2 && worst.baseline_error_rate.unwrap() < 0.01);
            assert!(
                found[0].summary.starts_with("error rate "),
                "{}",
                found[0].summary
            );
            assert!(found[0]
                .summary
                .contains("worst: inventory GET /stock/{id}"));
        }
    }

    #[test]
    fn latency_only_incident() {
        let mut sy = Symbols::default();
        let rs = run(&mut sy, 60, 60, |m| {
            if (40.0..48.0).contains(&m) {
                (10.0, 0.0)
            } else {
                (1.0, 0.0)
            }
        });
        let found = incidents(&sy, &rs);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!((secs_of(&found[0].start) - 40 * 60).abs() <= 15);
        assert!((secs_of(&found[0].end) - 48 * 60).abs() <= 15);
        assert!(
            found[0].summary.starts_with("error rate 0% -> 0%, p99"),
            "{}",
            found[0].summary
        );
        assert_eq!(found[0].worst[0].incident_error_rate, 0.0);
    }

    #[test]
    fn error_only_incident() {
        let mut sy = Symbols::default();
        let rs = run(&mut sy, 60, 60, |m| {
            if (10.0..16.0).contains(&m) {
                (1.0, 0.3)
            } else {
                (1.0, 0.002)
            }
        });
        let found = incidents(&sy, &rs);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!((secs_of(&found[0].start) - 10 * 60).abs() <= 15);
        assert!((secs_of(&found[0].end) - 16 * 60).abs() <= 15);
        let w = &found[0].worst[0];
        assert!(w.incident_error_rate > 0.2, "{w:?}");
        // Latency did not move: the score is all errors.
        assert!(
            w.incident_p99_ms.unwrap() < 2.0 * w.baseline_p99_ms.unwrap(),
            "{w:?}"
        );
    }

    #[test]
    fn an_operation_without_durations_has_no_p99_on_either_side() {
        let mut sy = Symbols::default();
        let mut rs = run(&mut sy, 60, 60, |m| {
            if (10.0..16.0).contains(&m) {
                (1.0, 0.3)
            } else {
                (1.0, 0.002)
            }
        });
        // Inventory's log gives no durations (an access log without times).
        let inv = sy.intern("inventory");
        for r in rs.iter_mut().filter(|r| r.service == inv) {
            r.timed = false;
        }
        let found = incidents(&sy, &rs);
        let w = found[0]
            .worst
            .iter()
            .find(|w| w.service == "inventory")
            .expect("inventory got worse");
        assert_eq!((w.baseline_p99_ms, w.incident_p99_ms), (None, None));
        assert!(w.incident_error_rate > 0.2 && w.baseline_error_rate.unwrap() < 0.01);
    }

    #[test]
    fn adjacent_windows_merge_and_distant_ones_do_not() {
        let mut sy = Symbols::default();
        // 100/min -> 30 s... the automatic width for an hour is 15 s; a 15 s
        // pause between two bad stretches is bridged, a 10-minute one is not.
        let shape = |m: f64| {
            if (10.0..14.0).contains(&m) || (14.25..18.0).contains(&m) || (40.0..44.0).contains(&m)
            {
                (1.0, 0.4)
            } else {
                (1.0, 0.0)
            }
        };
        let rs = run(&mut sy, 60, 100, shape);
        let found = incidents(&sy, &rs);
        let got: Vec<(i64, i64)> = found
            .iter()
            .map(|i| (secs_of(&i.start), secs_of(&i.end)))
            .collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            (got[0].0 - 600).abs() <= 15 && (got[0].1 - 1080).abs() <= 15,
            "{got:?}"
        );
        assert!(
            (got[1].0 - 2400).abs() <= 15 && (got[1].1 - 2640).abs() <= 15,
            "{got:?}"
        );
    }

    #[test]
    fn tiny_and_empty_runs() {
        let sy = Symbols::default();
        assert_eq!(incidents(&sy, &[]), vec![]);
        let mut sy = Symbols::default();
        let rs = run(&mut sy, 1, 3, |_| (1.0, 1.0));
        assert_eq!(incidents(&sy, &rs), vec![]);
    }

    #[test]
    fn noise_across_seeds_and_rates_gives_no_incident() {
        // 3% errors and a 5% tail of 6x slow requests, independent per request.
        for seed in 1..8u64 {
            for per_min in [5, 20, 100] {
                let mut sy = Symbols::default();
                let mut rng = Rng(seed * 7919);
                let rs: Vec<Request> = run(&mut sy, 60, per_min, |_| (1.0, 0.0))
                    .into_iter()
                    .map(|mut r| {
                        r.error = rng.next() < 0.03;
                        if rng.next() < 0.05 {
                            let d = r.duration_ns().unwrap() * 6;
                            r.end_ns = r.start_ns + d;
                        }
                        r
                    })
                    .collect();
                assert_eq!(incidents(&sy, &rs), vec![], "seed {seed}, {per_min}/min");
            }
        }
    }

    #[test]
    fn short_severe_spike_is_kept() {
        // One minute of total failure at 100 requests a minute.
        let mut sy = Symbols::default();
        let rs = run(&mut sy, 60, 100, |m| {
            if (30.0..31.0).contains(&m) {
                (1.0, 1.0)
            } else {
                (1.0, 0.0)
            }
        });
        let found = incidents(&sy, &rs);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (secs_of(&found[0].start), secs_of(&found[0].end)),
            (1800, 1860)
        );
        assert!(
            found[0].summary.starts_with("error rate 0% -> 100%"),
            "{}",
            found[0].summary
        );
    }
}
