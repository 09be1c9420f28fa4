//! An incident window -> the report's [`Incident`]: what got worst, where failures started, one sentence.
//!
//! Input: the window (timeline buckets), the requests ([`Grouped`]) and the
//! failed traces' starts and origins. Output: the
//! window as RFC 3339 times, the top operations by how much worse they got
//! inside the window than outside it, the error origins of the traces that
//! started inside, and a summary sentence.
//!
//! Score of an operation: `log2(incident p99 / baseline p99)` (when both have
//! timed requests and p99 rose) plus `10 × (incident - baseline error rate)`
//! (when it rose): one doubling of p99 weighs as much as ten more failing
//! requests in a hundred. Operations with fewer than 3 requests inside the
//! window, or a score under 0.25, are not listed. A side without timed
//! requests has no p99 (`None`), and an operation without requests outside
//! the window no baseline error rate: unknown, not 0.

use super::{Failure, Window};
use crate::analyze::grouped::{Grouped, Req};
use crate::analyze::latency::{ms, percentiles};
use crate::analyze::summary::{Incident, OriginCount, Worst};
use crate::analyze::timeline::Grid;
use crate::ingest::event::{Sym, Symbols};
use crate::ingest::time::format_rfc3339_ms;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// How many operations an incident lists.
pub const TOP_WORST: usize = 5;
const MIN_INSIDE: u64 = 3;
const MIN_SCORE: f64 = 0.25;

/// Requests, errors and logged durations of one side of the window.
#[derive(Default)]
struct Side {
    n: u64,
    errors: u64,
    durs: Vec<i64>,
}

impl Side {
    fn add(&mut self, r: &Req) {
        self.n += 1;
        self.errors += r.error() as u64;
        if let Some(d) = r.duration() {
            self.durs.push(d);
        }
    }
    fn merge(&mut self, mut other: Side) {
        self.n += other.n;
        self.errors += other.errors;
        self.durs.append(&mut other.durs);
    }
    /// `None` without requests.
    fn rate(&self) -> Option<f64> {
        (self.n > 0).then(|| self.errors as f64 / self.n as f64)
    }
    fn p99(&mut self) -> Option<i64> {
        percentiles(&mut self.durs, [99.0])[0]
    }
}

pub fn describe(
    grouped: &Grouped,
    failures: &[Failure],
    symbols: &Symbols,
    g: &Grid,
    w: &Window,
) -> Incident {
    let (lo, hi) = (g.start_ns(w.start), g.start_ns(w.end));
    let inside = |t: i64| lo <= t && t < hi;

    // (inside, outside) per operation, and for the entry requests of the whole run.
    let (sides, entries): (Vec<[Side; 2]>, Vec<[Side; 2]>) = grouped
        .groups()
        .par_iter()
        .map(|group| {
            let (mut op, mut entry): ([Side; 2], [Side; 2]) = Default::default();
            for r in group.iter() {
                let Some(t) = r.placed_at() else { continue };
                let side = if inside(t) { 0 } else { 1 };
                op[side].add(&r);
                if r.entry() {
                    entry[side].add(&r);
                }
            }
            (op, entry)
        })
        .unzip();
    let mut entry: [Side; 2] = Default::default();
    for [inc, base] in entries {
        entry[0].merge(inc);
        entry[1].merge(base);
    }
    // An operation none of whose requests has a time is not on either side.
    let by_op = (grouped.keys().iter().copied())
        .zip(sides)
        .filter(|(_, [inc, base])| inc.n + base.n > 0);
    // By name (symbols break ties between equal names), so ties in score keep that order.
    type Named<'a> = (&'a str, &'a str, Sym, Sym);
    let mut ops: Vec<(Named, [Side; 2])> = by_op
        .into_iter()
        .map(|((s, o), sides)| ((symbols.get(s), symbols.get(o), s, o), sides))
        .collect();
    ops.sort_unstable_by(|a, b| a.0.cmp(&b.0));

    let mut scored: Vec<(f64, Worst)> = Vec::new();
    for ((service, operation, _, _), [mut inc, mut base]) in ops {
        if inc.n < MIN_INSIDE {
            continue;
        }
        let (pi, pb) = (inc.p99(), base.p99());
        let mut score = 0.0;
        if let (Some(pi), Some(pb)) = (pi, pb) {
            if pi > pb && pb > 0 {
                score += (pi as f64 / pb as f64).log2();
            }
        }
        // An operation seen only inside the window is judged against no errors.
        let (ri, rb) = (inc.rate().unwrap_or(0.0), base.rate().unwrap_or(0.0));
        score += 10.0 * (ri - rb).max(0.0);
        if score < MIN_SCORE {
            continue;
        }
        scored.push((
            score,
            Worst {
                service: service.to_string(),
                operation: operation.to_string(),
                baseline_p99_ms: pb.map(ms),
                incident_p99_ms: pi.map(ms),
                baseline_error_rate: base.rate().map(round4),
                incident_error_rate: round4(ri),
            },
        ));
    }
    // Highest score first; names break ties (the map already iterated by name).
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let worst: Vec<Worst> = scored.into_iter().take(TOP_WORST).map(|s| s.1).collect();

    let mut origins: BTreeMap<&str, u64> = BTreeMap::new();
    for &(start, service) in failures {
        if inside(start) {
            *origins.entry(symbols.get(service)).or_default() += 1;
        }
    }
    let mut error_origins: Vec<OriginCount> = origins
        .into_iter()
        .map(|(s, n)| OriginCount {
            service: s.to_string(),
            traces: n,
        })
        .collect();
    error_origins.sort_by(|a, b| b.traces.cmp(&a.traces).then(a.service.cmp(&b.service)));

    let [mut inc, mut base] = entry;
    let summary = sentence(&mut inc, &mut base, &worst, &error_origins);
    Incident {
        start: format_rfc3339_ms(lo),
        end: format_rfc3339_ms(hi),
        summary,
        worst,
        error_origins,
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// "error rate 0.4% -> 23%, p99 120 ms -> 1.9 s; worst: inventory GET /stock/{id}; failures start in inventory"
fn sentence(inc: &mut Side, base: &mut Side, worst: &[Worst], origins: &[OriginCount]) -> String {
    let rate = |side: &Side| side.rate().map_or_else(|| "n/a".to_owned(), pct);
    let mut s = format!("error rate {} -> {}", rate(base), rate(inc));
    if let (Some(b), Some(i)) = (base.p99(), inc.p99()) {
        s += &format!(", p99 {} -> {}", dur(b), dur(i));
    }
    if let Some(w) = worst.first() {
        s += &format!("; worst: {} {}", w.service, w.operation);
    }
    if let Some(o) = origins.first() {
        s += &format!("; failures start in {}", o.service);
    }
    s
}

/// A rate as a short percentage: `0.4%`, `2.5%`, `23%`.
pub fn pct(rate: f64) -> String {
    let p = rate * 100.0;
    if p >= 9.95 {
        format!("{}%", p.round())
    } else {
        let t = format!("{p:.1}");
        format!("{}%", t.strip_suffix(".0").unwrap_or(&t))
    }
}

/// A duration as people say it: `4.5 ms`, `120 ms`, `1.9 s`, `2.5 min`.
pub fn dur(ns: i64) -> String {
    let m = ns as f64 / 1e6;
    if m < 10.0 {
        let t = format!("{m:.1}");
        format!("{} ms", t.strip_suffix(".0").unwrap_or(&t))
    } else if m < 999.5 {
        format!("{} ms", m.round())
    } else if m < 59_950.0 {
        format!("{:.1} s", m / 1e3)
    } else {
        format!("{:.1} min", m / 6e4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_numbers() {
        assert_eq!(pct(0.004), "0.4%");
        assert_eq!(pct(0.0), "0%");
        assert_eq!(pct(0.2345), "23%");
        assert_eq!(pct(1.0), "100%");
        assert_eq!(dur(4_500_000), "4.5 ms");
        assert_eq!(dur(120_000_000), "120 ms");
        assert_eq!(dur(1_900_000_000), "1.9 s");
        assert_eq!(dur(150_000_000_000), "2.5 min");
    }
}
