//! Requests -> the ground truth a correct reader of the logs must find.
//!
//! Input: every generated [`Request`] (through [`TruthBuilder::observe`]) and
//! the per-file counts of the writer. Output: a [`Truth`], serialised as
//! `<folder>.truth.json` beside the logs. The schema is described on each field; all
//! durations are whole milliseconds as the logs state them, all times are
//! RFC 3339 UTC with milliseconds plus the same instant as Unix milliseconds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::{Request, Svc};

/// Everything known about a generated incident folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// Bumped when the meaning of a field changes.
    pub schema: u32,
    pub seed: u64,
    /// First and last possible request arrival (the run's span of time).
    pub start: Instant,
    pub end: Instant,
    /// Requests that entered at the edge; every request is one trace.
    pub requests: u64,
    pub traces: u64,
    /// Per service: its spans, and per operation (`METHOD /route`) within it.
    pub services: BTreeMap<String, ServiceTruth>,
    /// The ten slowest traces (edge duration), slowest first; ties by trace id.
    pub slowest_traces: Vec<TraceRef>,
    /// Every failed trace (edge status >= 500) with the service where the failure started.
    pub failed_traces: Vec<FailedTrace>,
    /// Services ranked by the number of failed traces that started there.
    pub error_origins: Vec<OriginCount>,
    pub incident: Incident,
    /// Hosts whose clocks are off: every timestamp they write is true time + offset.
    pub clock_skew: Vec<Skew>,
    /// Calls between services, by caller then callee.
    pub dependencies: Vec<Dependency>,
    /// Per file (path relative to the folder, `/`-separated): what is in it.
    pub files: BTreeMap<String, FileTruth>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Instant {
    pub rfc3339: String,
    pub unix_ms: i64,
}

impl Instant {
    pub fn from_us(t: i64) -> Instant {
        let mut v = Vec::new();
        super::render::rfc3339_ms(&mut v, t);
        Instant {
            rfc3339: String::from_utf8(v).unwrap_or_default(),
            unix_ms: t.div_euclid(1000),
        }
    }
}

/// Counts and latency of a set of spans.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SpanStats {
    pub count: u64,
    /// Spans with status >= 500.
    pub errors: u64,
    pub latency_ms: Percentiles,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceTruth {
    #[serde(flatten)]
    pub all: SpanStats,
    pub operations: BTreeMap<String, SpanStats>,
}

/// Nearest-rank percentiles: the value at rank ceil(p/100 * n) of the sorted list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: u64,
    pub p90: u64,
    pub p95: u64,
    pub p99: u64,
    #[serde(rename = "p99.9")]
    pub p999: u64,
    pub max: u64,
}

impl Percentiles {
    /// From a list of values (sorted here).
    pub fn of(values: &mut [u64]) -> Percentiles {
        values.sort_unstable();
        Percentiles {
            p50: nearest_rank(values, 500),
            p90: nearest_rank(values, 900),
            p95: nearest_rank(values, 950),
            p99: nearest_rank(values, 990),
            p999: nearest_rank(values, 999),
            max: values.last().copied().unwrap_or(0),
        }
    }
}

/// The nearest-rank percentile `per_mille / 10` of sorted `v` (0 when empty).
pub fn nearest_rank(v: &[u64], per_mille: u64) -> u64 {
    if v.is_empty() {
        return 0;
    }
    let rank = (per_mille * v.len() as u64).div_ceil(1000).max(1);
    v[rank as usize - 1]
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceRef {
    pub trace_id: String,
    pub request_id: String,
    pub duration_ms: u64,
    pub status: u16,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailedTrace {
    pub trace_id: String,
    pub request_id: String,
    /// Status the edge returned.
    pub status: u16,
    pub origin: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OriginCount {
    pub service: String,
    pub traces: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// The service that degrades.
    pub service: String,
    /// Spans of `service` that start in [start, end) are slower and fail more.
    pub start: Instant,
    pub end: Instant,
    pub latency_factor: u64,
    /// Chance (per million) that a span of `service` fails inside the window.
    pub error_rate_ppm: u64,
    /// When the service crashed and restarted (NUL padding in its log), if it did.
    pub crash: Option<Instant>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Skew {
    pub service: String,
    pub offset_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dependency {
    pub caller: String,
    pub callee: String,
    pub calls: u64,
}

/// What one file holds. Line counts follow the reader's rules: lines are split
/// at `\n` (a last line without one counts), after decompression.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileTruth {
    /// access, json, logfmt, text, cri, docker, syslog, unknown, binary.
    pub format: String,
    /// none, gzip, zstd (found by magic bytes, not the name).
    pub compression: String,
    /// The service the lines belong to (for syslog and misc: the folder).
    pub service: String,
    /// A reader should skip the file as a whole (binary).
    pub skipped: bool,
    pub lines: u64,
    /// Lines that start a log entry (for CRI: the first line of a joined message).
    pub entries: u64,
    /// Lines that continue an entry: stack trace lines, CRI partial lines joined to the next.
    pub continuation: u64,
    /// Lines a reader must report as unreadable, by kind:
    /// `truncated` (cut off at the end of the file), `long_line` (> 1 MiB),
    /// `unknown_format` (every line of a file in no known format).
    pub malformed: BTreeMap<String, u64>,
    /// Readable lines with something odd about them, by kind: `crlf`,
    /// `invalid_utf8` (a stray Latin-1 byte), `nul_padding` (NULs before the
    /// line, left by a crash), `cri_partial` (a `P` line).
    pub quirks: BTreeMap<String, u64>,
    /// Earliest and latest time written in the file, at the format's precision.
    pub time_min: Option<Instant>,
    pub time_max: Option<Instant>,
}

/// Collects the truth while requests are generated.
#[derive(Default)]
pub struct TruthBuilder {
    latencies: BTreeMap<(Svc, String), (Vec<u64>, u64)>,
    deps: BTreeMap<(Svc, Svc), u64>,
    slowest: Vec<TraceRef>,
    failed: Vec<FailedTrace>,
    origins: BTreeMap<Svc, u64>,
    traces: u64,
}

impl TruthBuilder {
    pub fn observe(&mut self, req: &Request) {
        self.traces += 1;
        for s in &req.spans {
            let e = self.latencies.entry((s.svc, s.operation())).or_default();
            e.0.push(s.dur_ms);
            e.1 += u64::from(s.is_error());
            if let Some(p) = s.parent {
                *self.deps.entry((req.spans[p].svc, s.svc)).or_default() += 1;
            }
        }
        let root = &req.spans[0];
        let r = TraceRef {
            trace_id: req.trace_id.clone(),
            request_id: req.request_id.clone(),
            duration_ms: root.dur_ms,
            status: root.status,
        };
        let key = |t: &TraceRef| (std::cmp::Reverse(t.duration_ms), t.trace_id.clone());
        if self.slowest.len() < 10 || key(&r) < key(&self.slowest[9]) {
            self.slowest.push(r);
            self.slowest.sort_by_key(key);
            self.slowest.truncate(10);
        }
        if let Some(origin) = req.error_origin() {
            *self.origins.entry(origin).or_default() += 1;
            self.failed.push(FailedTrace {
                trace_id: req.trace_id.clone(),
                request_id: req.request_id.clone(),
                status: root.status,
                origin: origin.name().into(),
            });
        }
    }

    /// Fills the request-derived fields of `truth` (the caller sets the run-level ones).
    pub fn finish(self, truth: &mut Truth) {
        let mut services: BTreeMap<String, ServiceTruth> = BTreeMap::new();
        let mut all: BTreeMap<Svc, Vec<u64>> = BTreeMap::new();
        for ((svc, op), (mut lat, errors)) in self.latencies {
            all.entry(svc).or_default().extend_from_slice(&lat);
            let st = services.entry(svc.name().into()).or_default();
            st.all.count += lat.len() as u64;
            st.all.errors += errors;
            st.operations.insert(
                op,
                SpanStats {
                    count: lat.len() as u64,
                    errors,
                    latency_ms: Percentiles::of(&mut lat),
                },
            );
        }
        for (svc, mut lat) in all {
            if let Some(st) = services.get_mut(svc.name()) {
                st.all.latency_ms = Percentiles::of(&mut lat);
            }
        }
        let mut origins: Vec<OriginCount> = self
            .origins
            .into_iter()
            .map(|(s, n)| OriginCount {
                service: s.name().into(),
                traces: n,
            })
            .collect();
        origins.sort_by(|a, b| b.traces.cmp(&a.traces).then(a.service.cmp(&b.service)));
        let deps = self
            .deps
            .into_iter()
            .map(|((a, b), n)| Dependency {
                caller: a.name().into(),
                callee: b.name().into(),
                calls: n,
            })
            .collect();
        truth.traces = self.traces;
        truth.services = services;
        truth.slowest_traces = self.slowest;
        truth.failed_traces = self.failed;
        truth.error_origins = origins;
        truth.dependencies = deps;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<u64> = (1..=1000).rev().collect();
        let p = Percentiles::of(&mut v);
        assert_eq!(
            (p.p50, p.p90, p.p95, p.p99, p.p999, p.max),
            (500, 900, 950, 990, 999, 1000)
        );
        // Few values: p99.9 of 3 values is the largest, p50 the second.
        let p = Percentiles::of(&mut [30, 10, 20]);
        assert_eq!((p.p50, p.p90, p.p999), (20, 30, 30));
        assert_eq!(nearest_rank(&[], 500), 0);
        assert_eq!(nearest_rank(&[7], 10), 7);
    }
}
