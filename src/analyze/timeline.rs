//! Requests -> the timeline: requests, errors, p50 and p99 per time bucket.
//!
//! Input: the run's requests ([`Grouped`]). Output: a [`Timeline`] of equal, round-width
//! buckets aligned to multiples of the width in UTC (a 1-minute bucket starts
//! on a whole minute), for the whole run and per service.
//!
//! A request is placed by its **end** time: that is when an access log writes
//! its line, so the timeline agrees with what a reader of the raw logs sees
//! (and a slow request shows where it finished, not where it started).
//!
//! The whole-run buckets count entry requests only ([`Request::entry`]: trace
//! roots and untraced requests), i.e. what the system was asked to do; the
//! per-service buckets count every request of that service. Latencies are
//! nearest-rank percentiles of logged durations; a bucket without a timed
//! request has `None`. Empty buckets inside the range are present with zeros.

use rayon::prelude::*;

use super::grouped::{Grouped, Req};
use super::latency::{ms, percentiles, ByBucket};
use super::summary::{Bucket, ServiceTimeline, Timeline};
use super::Request;
use crate::ingest::event::{Sym, Symbols};
use crate::ingest::time::format_rfc3339_ms;

const NS_PER_SEC: i64 = 1_000_000_000;
/// The automatic width aims for at most this many buckets...
pub const MAX_BUCKETS: u64 = 300;
/// ...and at least this many when the run is long enough.
pub const MIN_BUCKETS: u64 = 60;
/// An explicit `--bucket` that would give more buckets than this is widened
/// (a one-second bucket over years of data would not fit in memory).
pub const MAX_EXPLICIT_BUCKETS: u64 = 200_000;

/// Round widths in seconds, smallest first; beyond the list widths double.
const ROUND: &[u64] = &[
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
    172_800, 604_800,
];

/// The `i`-th round width (continues the list by doubling; saturates).
fn round_width(i: usize) -> u64 {
    match ROUND.get(i) {
        Some(&w) => w,
        None => {
            let extra = (i - ROUND.len() + 1).min(40) as u32;
            ROUND[ROUND.len() - 1].saturating_mul(1u64 << extra)
        }
    }
}

/// How the run is cut into buckets: `count` buckets of `width_s` seconds from `origin_ns`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    pub origin_ns: i64,
    pub width_s: u64,
    pub count: usize,
}

impl Grid {
    /// The aligned grid covering `[lo_ns, hi_ns]` (inclusive) with `width_s`-second buckets.
    pub fn covering(lo_ns: i64, hi_ns: i64, width_s: u64) -> Grid {
        let w = width_ns(width_s) as i128;
        // i128: aligning a time near i64::MIN downwards must not overflow.
        let origin = (lo_ns as i128).div_euclid(w) * w;
        let origin_ns = origin.max(i64::MIN as i128) as i64;
        let last = (hi_ns.max(lo_ns) as i128 - origin_ns as i128) / w;
        Grid {
            origin_ns,
            width_s,
            count: (last + 1).min(usize::MAX as i128 / 2) as usize,
        }
    }

    /// The width in nanoseconds.
    pub fn width_ns(&self) -> i64 {
        width_ns(self.width_s)
    }

    /// The bucket holding `t_ns`, if inside the grid.
    pub fn index(&self, t_ns: i64) -> Option<usize> {
        let d = t_ns as i128 - self.origin_ns as i128;
        if d < 0 {
            return None;
        }
        let i = d / self.width_ns() as i128;
        (i < self.count as i128).then_some(i as usize)
    }

    /// Start of bucket `i` (saturating).
    pub fn start_ns(&self, i: usize) -> i64 {
        let t = self.origin_ns as i128 + i as i128 * self.width_ns() as i128;
        t.clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }
}

fn width_ns(width_s: u64) -> i64 {
    (width_s.max(1) as i128 * NS_PER_SEC as i128).min(i64::MAX as i128) as i64
}

/// Number of aligned `width_s` buckets needed to cover `[lo_ns, hi_ns]`.
fn buckets_needed(lo_ns: i64, hi_ns: i64, width_s: u64) -> u64 {
    Grid::covering(lo_ns, hi_ns, width_s).count as u64
}

/// The automatic width for data spanning `[lo_ns, hi_ns]`: the smallest round
/// width that gives at most [`MAX_BUCKETS`] aligned buckets. Consecutive round
/// widths differ by at most 2.5x, so that width also gives at least
/// [`MIN_BUCKETS`] whenever the run lasts longer than a minute.
pub fn choose_width(lo_ns: i64, hi_ns: i64) -> u64 {
    let mut i = 0;
    loop {
        let w = round_width(i);
        if buckets_needed(lo_ns, hi_ns, w) <= MAX_BUCKETS || w == u64::MAX {
            return w;
        }
        i += 1;
    }
}

/// The width to use: `requested` (seconds, 0 = automatic) unless it would
/// give more than [`MAX_EXPLICIT_BUCKETS`], then the smallest round width
/// at least as wide that fits.
pub fn effective_width(lo_ns: i64, hi_ns: i64, requested: Option<u64>) -> u64 {
    match requested {
        Some(w) if w > 0 => {
            if buckets_needed(lo_ns, hi_ns, w) <= MAX_EXPLICIT_BUCKETS {
                return w;
            }
            let mut i = 0;
            loop {
                let r = round_width(i);
                if (r >= w && buckets_needed(lo_ns, hi_ns, r) <= MAX_EXPLICIT_BUCKETS)
                    || r == u64::MAX
                {
                    return r;
                }
                i += 1;
            }
        }
        _ => choose_width(lo_ns, hi_ns),
    }
}

/// The time a request is placed at: its end (when its log line was written).
pub fn placed_at(r: &Request) -> Option<i64> {
    (r.end_ns != i64::MIN).then_some(r.end_ns)
}

/// The grid of the timeline `build` makes for these requests, `None` without timed requests.
pub fn grid(requests: &[Request], bucket_seconds: Option<u64>) -> Option<Grid> {
    grid_of(&Grouped::from_requests(requests), bucket_seconds)
}

/// Requests per parallel work item.
const CHUNK: usize = 1 << 16;

/// [`grid`] of requests already grouped.
fn grid_of(grouped: &Grouped, bucket_seconds: Option<u64>) -> Option<Grid> {
    let (lo, hi) = grouped
        .pieces(CHUNK)
        .into_par_iter()
        .flat_map_iter(|p| p.ends.iter().copied().filter(|&t| t != i64::MIN))
        .fold(
            || (i64::MAX, i64::MIN),
            |(lo, hi), t| (lo.min(t), hi.max(t)),
        )
        .reduce(|| (i64::MAX, i64::MIN), |a, b| (a.0.min(b.0), a.1.max(b.1)));
    (lo <= hi).then(|| Grid::covering(lo, hi, effective_width(lo, hi, bucket_seconds)))
}

/// Requests placed on the timeline's grid, with their per-bucket counts and
/// durations for the whole run and per service: computed once, read by the
/// timeline and by the incident search.
pub struct Placement {
    pub grid: Grid,
    /// Every service that handled requests, by symbol.
    pub services: Vec<Sym>,
    /// Per bucket: the entry requests (what the system was asked to do), and
    /// each service's requests (in `services` order).
    pub whole: PerBucket,
    pub by_service: Vec<PerBucket>,
}

/// Per-bucket requests, errors and logged durations of some placed requests.
#[derive(Clone, Debug, Default)]
pub struct PerBucket {
    pub requests: Vec<u64>,
    pub errors: Vec<u64>,
    pub durations: ByBucket,
}

/// Per (series, bucket) counts while placing: series `k` is service `k`, the
/// last one the entry requests.
#[derive(Clone)]
struct Counts {
    requests: Vec<u64>,
    errors: Vec<u64>,
    timed: Vec<usize>,
}

impl Counts {
    fn new(cells: usize) -> Counts {
        Counts {
            requests: vec![0; cells],
            errors: vec![0; cells],
            timed: vec![0; cells],
        }
    }
    fn add(mut self, o: Counts) -> Counts {
        super::add_into(&mut self.requests, &o.requests);
        super::add_into(&mut self.errors, &o.errors);
        super::add_into(&mut self.timed, &o.timed);
        self
    }
}

impl Placement {
    /// `None` when no request has a time.
    pub fn new(requests: &[Request], bucket_seconds: Option<u64>) -> Option<Placement> {
        Placement::of(&Grouped::from_requests(requests), bucket_seconds)
    }

    /// [`Placement::new`] of requests already grouped.
    pub fn of(grouped: &Grouped, bucket_seconds: Option<u64>) -> Option<Placement> {
        let grid = grid_of(grouped, bucket_seconds)?;
        let keys = grouped.keys();
        let mut services: Vec<Sym> = keys.iter().map(|k| k.0).collect();
        services.sort_unstable();
        services.dedup();
        // Each group's series: its service's rank.
        let rank: Vec<usize> = (keys.iter())
            .map(|k| services.binary_search(&k.0).unwrap_or(0))
            .collect();
        let (count, entries) = (grid.count, services.len());
        // The cells a request counts in: its service's bucket, and the
        // entries' bucket when it is one.
        let cells_of = |group: usize, r: &Req| {
            let b = r.placed_at().and_then(|t| grid.index(t))?;
            let own = rank[group] * count + b;
            Some((own, r.entry().then_some(entries * count + b)))
        };
        let cells = (entries + 1) * count;
        let pieces = grouped.pieces(CHUNK);
        let counts = pieces
            .par_iter()
            .map(|p| {
                let mut c = Counts::new(cells);
                for r in p.iter() {
                    let Some((own, entry)) = cells_of(p.group, &r) else {
                        continue;
                    };
                    for cell in std::iter::once(own).chain(entry) {
                        c.requests[cell] += 1;
                        c.errors[cell] += u64::from(r.error());
                        c.timed[cell] += usize::from(r.duration().is_some());
                    }
                }
                c
            })
            .reduce(|| Counts::new(cells), Counts::add);
        // Durations grouped by cell.
        let durations = ByBucket::with_counts(
            &counts.timed,
            pieces.iter().flat_map(|p| {
                p.iter().flat_map(move |r| {
                    let placed = r.duration().zip(cells_of(p.group, &r));
                    placed.into_iter().flat_map(|(d, (own, entry))| {
                        std::iter::once(own).chain(entry).map(move |cell| (cell, d))
                    })
                })
            }),
        );
        let series = |k: usize| {
            let cells = k * count..(k + 1) * count;
            PerBucket {
                requests: counts.requests[cells.clone()].to_vec(),
                errors: counts.errors[cells.clone()].to_vec(),
                durations: durations.slice(cells.start, cells.end),
            }
        };
        Some(Placement {
            grid,
            whole: series(entries),
            by_service: (0..entries).map(series).collect(),
            services,
        })
    }
}

/// Buckets for the whole run and per service. `bucket_seconds` overrides the
/// automatic round width (60-300 buckets).
pub fn build(requests: &[Request], symbols: &Symbols, bucket_seconds: Option<u64>) -> Timeline {
    build_on(
        Placement::new(requests, bucket_seconds).as_ref(),
        symbols,
        bucket_seconds,
    )
}

/// [`build`] on requests already placed (`None`: none has a time).
pub fn build_on(
    placed: Option<&Placement>,
    symbols: &Symbols,
    bucket_seconds: Option<u64>,
) -> Timeline {
    let Some(p) = placed else {
        return Timeline {
            bucket_seconds: bucket_seconds.filter(|&w| w > 0).unwrap_or(1),
            ..Default::default()
        };
    };
    let g = &p.grid;
    // Services by name; the symbol number only breaks ties between equal names.
    let mut by_name: Vec<usize> = (0..p.services.len()).collect();
    by_name.sort_by(|&a, &b| {
        let (sa, sb) = (p.services[a], p.services[b]);
        symbols.get(sa).cmp(symbols.get(sb)).then(sa.cmp(&sb))
    });
    let (buckets, services) = rayon::join(
        || fill(p, &p.whole),
        || {
            by_name
                .par_iter()
                .map(|&k| ServiceTimeline {
                    service: symbols.get(p.services[k]).to_string(),
                    buckets: fill(p, &p.by_service[k]),
                })
                .collect()
        },
    );
    Timeline {
        bucket_seconds: g.width_s,
        buckets,
        services,
    }
}

/// Counts and percentiles per bucket of some placed requests.
fn fill(p: &Placement, per: &PerBucket) -> Vec<Bucket> {
    // Percentiles by selection reorder their samples: a bucket's are copied.
    let mut scratch: Vec<i64> = Vec::new();
    (0..p.grid.count)
        .map(|b| {
            scratch.clear();
            scratch.extend_from_slice(per.durations.get(b, b + 1));
            let [p50, p95, p99] = percentiles(&mut scratch, [50.0, 95.0, 99.0]);
            Bucket {
                start: format_rfc3339_ms(p.grid.start_ns(b)),
                requests: per.requests[b],
                errors: per.errors[b],
                p50_ms: p50.map(ms),
                p95_ms: p95.map(ms),
                p99_ms: p99.map(ms),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_709_294_400 * NS_PER_SEC; // 2024-03-01T12:00:00Z
    const S: i64 = NS_PER_SEC;

    fn req(
        syms: &mut Symbols,
        svc: &str,
        end_ns: i64,
        dur_ms: Option<i64>,
        entry: bool,
    ) -> Request {
        let d = dur_ms.map(|m| m * 1_000_000);
        Request {
            service: syms.intern(svc),
            operation: syms.intern("GET /"),
            start_ns: end_ns.saturating_sub(d.unwrap_or(0)),
            end_ns,
            timed: d.is_some(),
            status: 200,
            error: false,
            recovered: false,
            entry,
            trace: None,
        }
    }

    #[test]
    fn one_minute_of_data_gets_one_second_buckets() {
        assert_eq!(choose_width(T0, T0 + 59 * S + S / 2), 1);
        let g = Grid::covering(T0, T0 + 59 * S, 1);
        assert_eq!(g.count, 60);
    }

    #[test]
    fn seven_days_get_one_hour_buckets() {
        assert_eq!(choose_width(T0, T0 + 7 * 86_400 * S - 1), 3600);
        assert_eq!(
            buckets_needed(T0, T0 + 7 * 86_400 * S - 1, 3600),
            168,
            "7 days of hours"
        );
    }

    #[test]
    fn widths_keep_60_to_300_buckets() {
        for span_s in [
            61, 100, 599, 3600, 5000, 86_400, 400_000, 3_000_000, 40_000_000,
        ] {
            let hi = T0 + span_s * S;
            let w = choose_width(T0 + 1, hi);
            let n = buckets_needed(T0 + 1, hi, w);
            assert!(
                (MIN_BUCKETS..=MAX_BUCKETS).contains(&n),
                "{span_s}s -> {w}s x {n}"
            );
        }
        // One hour: 15 s buckets (240).
        assert_eq!(choose_width(T0, T0 + 3600 * S - 1), 15);
        // Tiny and degenerate runs still get a width.
        assert_eq!(choose_width(T0, T0), 1);
        assert!(choose_width(i64::MIN + 1, i64::MAX) > 0);
    }

    #[test]
    fn explicit_width_wins_unless_absurd() {
        assert_eq!(effective_width(T0, T0 + 3600 * S, Some(7)), 7);
        assert_eq!(effective_width(T0, T0 + 3600 * S, Some(0)), 15);
        // 1 s over ten years would be 315 M buckets: widened to a round width that fits.
        let w = effective_width(T0, T0 + 10 * 365 * 86_400 * S, Some(1));
        assert!(w == 1800 && buckets_needed(T0, T0 + 10 * 365 * 86_400 * S, w) <= 200_000);
    }

    #[test]
    fn buckets_align_to_utc_multiples_and_use_end_time() {
        let mut sy = Symbols::default();
        // Ends at 12:00:07.5, 12:00:22 and 12:01:59; 15 s buckets from 12:00:00.
        let rs = vec![
            req(&mut sy, "a", T0 + 7 * S + S / 2, Some(10), true),
            req(&mut sy, "a", T0 + 22 * S, Some(20), true),
            // starts in the first bucket but ends in the second: placed by its end
            req(&mut sy, "a", T0 + 16 * S, Some(10_000), true),
            req(&mut sy, "a", T0 + 119 * S, Some(30), true),
        ];
        let t = build(&rs, &sy, Some(15));
        assert_eq!(t.bucket_seconds, 15);
        assert_eq!(t.buckets.len(), 8);
        assert_eq!(t.buckets[0].start, "2024-03-01T12:00:00.000Z");
        assert_eq!(t.buckets[1].start, "2024-03-01T12:00:15.000Z");
        assert_eq!(t.buckets[7].start, "2024-03-01T12:01:45.000Z");
        let n: Vec<u64> = t.buckets.iter().map(|b| b.requests).collect();
        assert_eq!(n, vec![1, 2, 0, 0, 0, 0, 0, 1]);
        assert_eq!(t.buckets[1].p50_ms, Some(20.0));
        assert_eq!(t.buckets[1].p99_ms, Some(10_000.0));
    }

    #[test]
    fn empty_buckets_are_zero_and_untimed_have_no_percentiles() {
        let mut sy = Symbols::default();
        let mut rs = vec![
            req(&mut sy, "a", T0, None, true),
            req(&mut sy, "a", T0 + 3 * S, Some(5), true),
        ];
        rs[0].error = true;
        let t = build(&rs, &sy, Some(1));
        assert_eq!(t.buckets.len(), 4);
        assert_eq!(
            (
                t.buckets[0].requests,
                t.buckets[0].errors,
                t.buckets[0].p99_ms
            ),
            (1, 1, None)
        );
        assert_eq!(
            t.buckets[1],
            Bucket {
                start: "2024-03-01T12:00:01.000Z".into(),
                requests: 0,
                errors: 0,
                p50_ms: None,
                p99_ms: None,
                p95_ms: None
            }
        );
        assert_eq!(t.buckets[3].p50_ms, Some(5.0));
    }

    #[test]
    fn per_service_counts_every_request_and_sorts_by_name() {
        let mut sy = Symbols::default();
        // "zeta" is interned first so symbol order differs from name order.
        let mut rs = vec![req(&mut sy, "zeta", T0 + S, Some(100), false)];
        for i in 0..100 {
            rs.push(req(
                &mut sy,
                "alpha",
                T0 + (i % 2) * S,
                Some(i + 1),
                i % 10 == 0,
            ));
        }
        rs[1].error = true;
        let t = build(&rs, &sy, Some(1));
        let names: Vec<&str> = t.services.iter().map(|s| s.service.as_str()).collect();
        assert_eq!(names, vec!["alpha", "zeta"]);
        let a = &t.services[0].buckets;
        assert_eq!((a[0].requests, a[0].errors, a[1].requests), (50, 1, 50));
        // alpha bucket 0 holds durations 1,3,...,99 ms: p50 = 49 (25th of 50), p99 = 99.
        assert_eq!((a[0].p50_ms, a[0].p99_ms), (Some(49.0), Some(99.0)));
        // The whole run counts only entry requests: i = 0, 10, ..., 90 -> all even -> bucket 0.
        assert_eq!((t.buckets[0].requests, t.buckets[1].requests), (10, 0));
        assert_eq!(t.services[1].buckets[1].requests, 1);
        assert_eq!(t.services[1].buckets.len(), t.buckets.len());
    }

    #[test]
    fn no_requests_no_panic() {
        let sy = Symbols::default();
        let t = build(&[], &sy, None);
        assert!(t.buckets.is_empty() && t.services.is_empty());
        let mut sy = Symbols::default();
        let r = req(&mut sy, "a", i64::MAX, Some(1), true);
        let far = req(&mut sy, "a", i64::MIN + 1, Some(1), true);
        let t = build(&[r, far], &sy, None);
        assert!(t.buckets.len() <= MAX_BUCKETS as usize);
        let t = build(&[r, far], &sy, Some(1));
        assert!(t.buckets.len() <= MAX_EXPLICIT_BUCKETS as usize);
    }
}
