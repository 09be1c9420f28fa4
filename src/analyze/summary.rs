//! The report model: what `report.json` holds.
//!
//! A contract for nightly jobs: fields may be added, never renamed. Times are
//! RFC 3339 UTC strings; latencies are milliseconds. Every list is sorted in a
//! documented, total order so the same input gives byte-identical JSON.
//!
//! **Unknown is `null`, never 0.** A number the logs do not give is `null`:
//! - `latency_ms` (services, operations, chains, dependencies) is `null` when
//!   no request of the row logged a duration (a plain access log without a
//!   response-time field); otherwise `count >= 1` and every field is a number;
//! - a service's `error_rate` is `null` when it handled no request (it only
//!   logged);
//! - a listed trace's `duration_ms` is `null` when none of its spans logged a
//!   duration and all its lines carry one instant;
//! - an incident's `baseline_p99_ms` / `incident_p99_ms` are `null` when that
//!   side has no timed request, `baseline_error_rate` when the operation had
//!   no request outside the window;
//! - a timeline bucket's `p50_ms` / `p95_ms` / `p99_ms` are `null` when no
//!   request in it logged a duration;
//! - a chain without durations lists no `critical_path` shares.
//!
//! Schema 2 made these `null` where schema 1 wrote 0 (a number field that can
//! be `null` breaks a reader typed on schema 1, so the version changed).
//! `logtrace diff` still reads schema 1 reports: a `latency_ms` with `count` 0
//! and the `error_rate` of a service without requests are read as `null`
//! (see [`upgrade`]).

use serde::{Deserialize, Deserializer, Serialize};

/// The schema version written to `report.json`; bumped only on incompatible changes.
pub const SCHEMA_VERSION: u32 = 2;

/// The oldest schema version [`upgrade`] reads.
pub const OLDEST_READABLE: u32 = 1;

/// Latency distribution in milliseconds. Percentiles are exact (nearest rank).
/// Where no request logged a duration the whole distribution is `None`
/// (`null`), never a distribution of zeros.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyMs {
    pub count: u64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

/// Reads a `latency_ms`: `null`, or an object whose `count` of 0 (as schema 1
/// wrote for rows without durations) also means no latency.
fn latency_or_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<LatencyMs>, D::Error> {
    Ok(Option::<LatencyMs>::deserialize(d)?.filter(|l| l.count > 0))
}

/// Brings a report of an older schema (at least [`OLDEST_READABLE`]) to the
/// current one: from schema 1, a service without requests gets
/// `error_rate: null` (`latency_ms` with `count` 0 is already read as `null`).
/// The numbers schema 1 wrote as 0 for a trace or an incident side without
/// durations cannot be told from a real 0 and are kept.
pub fn upgrade(s: &mut Summary) {
    if s.schema_version < 2 {
        for v in s.services.iter_mut().filter(|v| v.spans == 0) {
            v.error_rate = None;
        }
    }
    s.schema_version = SCHEMA_VERSION;
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub schema_version: u32,
    pub input: Input,
    pub window: Window,
    /// By name.
    pub services: Vec<ServiceStats>,
    /// By service, then name.
    pub operations: Vec<OperationStats>,
    pub traces: TraceStats,
    /// Most traces first, then by service name.
    pub error_origins: Vec<OriginCount>,
    /// Most traces first, then by signature.
    pub chains: Vec<Chain>,
    /// By caller, then callee.
    pub dependencies: Vec<Dependency>,
    pub timeline: Timeline,
    /// By start.
    pub incidents: Vec<Incident>,
    /// Most frequent first, then by template.
    pub error_templates: Vec<ErrorTemplate>,
    pub data_quality: DataQuality,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub lines: u64,
    pub events: u64,
    pub unparsed: u64,
    pub files: Vec<InputFile>,
    /// Paths found but never read, with why: unreadable or vanished files
    /// and folders, FIFOs, sockets and devices met in a folder, symlinks
    /// not followed, symlink loops.
    #[serde(default)]
    pub problems: Vec<InputProblem>,
    /// Config entries whose `files` match no file (absent when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_warnings: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InputFile {
    pub path: String,
    pub format: String,
    pub lines: u64,
    pub events: u64,
    pub unparsed: u64,
    /// Why the file was not read at all (unreadable, vanished, binary).
    #[serde(default)]
    pub skipped: Option<String>,
    /// Damage met while it was read (a truncated compressed stream, a read error).
    #[serde(default)]
    pub problem: Option<String>,
    /// How it changed while it was read (grew, shrank, deleted).
    #[serde(default)]
    pub changed: Option<String>,
}

/// A path that was found but not read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InputProblem {
    pub path: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub start: Option<String>,
    pub end: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceStats {
    pub name: String,
    pub events: u64,
    pub spans: u64,
    pub errors: u64,
    /// Errors a caller recovered from (retried, or degraded around): the
    /// request the user saw did not fail with them. Counted in `errors` too.
    #[serde(default)]
    pub recovered_errors: u64,
    pub client_errors: u64,
    /// `errors / spans`; `null` for a service that handled no request.
    pub error_rate: Option<f64>,
    /// `null` when no request of the service logged a duration.
    #[serde(default, deserialize_with = "latency_or_none")]
    pub latency_ms: Option<LatencyMs>,
    /// Latency histogram on a log scale (non-empty buckets only, by `le_ms`),
    /// filled by [`super::histogram::latency_histogram`].
    #[serde(default)]
    pub histogram: Vec<HistBucket>,
}

/// Requests whose latency is at most `le_ms` and above the previous bucket's bound.
/// Bounds follow the R10 series (1, 1.25, 1.6, 2, 2.5, 3.2, 4, 5, 6.3, 8 x 10^k ms).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HistBucket {
    pub le_ms: f64,
    pub count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OperationStats {
    pub service: String,
    pub name: String,
    pub count: u64,
    pub errors: u64,
    /// Errors a caller recovered from; see [`ServiceStats::recovered_errors`].
    #[serde(default)]
    pub recovered_errors: u64,
    pub client_errors: u64,
    pub error_rate: f64,
    /// `null` when no request of the operation logged a duration.
    #[serde(default, deserialize_with = "latency_or_none")]
    pub latency_ms: Option<LatencyMs>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceStats {
    /// Traces with at least one correlation id.
    pub count: u64,
    pub with_errors: u64,
    pub multi_service: u64,
    pub slowest: Vec<TraceRef>,
    pub failed: Vec<TraceRef>,
}

/// A trace named in the report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceRef {
    pub id: String,
    pub start: String,
    /// End to end; `null` when no span logged a duration and all the trace's
    /// lines carry one instant.
    pub duration_ms: Option<f64>,
    /// `service operation` of the root span.
    pub root: String,
    pub services: Vec<String>,
    pub error_origin: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OriginCount {
    pub service: String,
    pub traces: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Chain {
    /// The tree's shape by service, e.g. `edge > auth, orders > inventory, payments`.
    pub signature: String,
    pub count: u64,
    pub errors: u64,
    /// End-to-end latency of the chain's traces with a duration; `null` when
    /// none has one.
    #[serde(default, deserialize_with = "latency_or_none")]
    pub latency_ms: Option<LatencyMs>,
    /// Empty when `latency_ms` is `null`.
    pub critical_path: Vec<CriticalShare>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CriticalShare {
    pub service: String,
    /// Share (0..=1) of end-to-end latency the service holds on the critical path, at p50 and p99.
    pub p50_share: f64,
    pub p99_share: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Dependency {
    pub caller: String,
    pub callee: String,
    pub calls: u64,
    /// Of `calls`, those whose link to the caller rests on timing alone (an
    /// inferred parent), not on logged ids. Added in schema 2; absent (read
    /// as 0) in older reports.
    #[serde(default)]
    pub calls_inferred: u64,
    /// How sure the edge is: the mean confidence of its calls' links to the
    /// caller (1 where logged ids name it; for a timing guess its parent
    /// confidence, the lowest on the way through a placeholder), in
    /// hundredths. On the simulation the share of true edges follows it.
    /// Absent (`null`) in reports before it was added.
    #[serde(default)]
    pub confidence: Option<f64>,
    pub errors: u64,
    /// Of the callee spans; `null` when none logged a duration.
    #[serde(default, deserialize_with = "latency_or_none")]
    pub latency_ms: Option<LatencyMs>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub bucket_seconds: u64,
    pub buckets: Vec<Bucket>,
    /// The same buckets per service, by service name.
    #[serde(default)]
    pub services: Vec<ServiceTimeline>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub start: String,
    pub requests: u64,
    pub errors: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Added after schema 1 was published; absent in older reports.
    #[serde(default)]
    pub p95_ms: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceTimeline {
    pub service: String,
    pub buckets: Vec<Bucket>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub start: String,
    pub end: String,
    pub summary: String,
    pub worst: Vec<Worst>,
    pub error_origins: Vec<OriginCount>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Worst {
    pub service: String,
    pub operation: String,
    /// `null` when that side of the window has no timed request.
    pub baseline_p99_ms: Option<f64>,
    pub incident_p99_ms: Option<f64>,
    /// `null` when the operation had no request outside the window.
    pub baseline_error_rate: Option<f64>,
    pub incident_error_rate: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorTemplate {
    pub template: String,
    pub count: u64,
    pub services: Vec<String>,
    pub example: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DataQuality {
    pub events_without_id: u64,
    pub single_event_ids: u64,
    pub single_service_traces: u64,
    pub clock_offsets: Vec<ClockOffsetOut>,
    /// Unparsed lines, total (per file in `input.files`).
    #[serde(default)]
    pub unparsed_lines: u64,
    /// Ids reused for requests far apart in time.
    #[serde(default)]
    pub reused_ids: u64,
    /// Operations listed in their service's `{other}` row, past the most
    /// operations a service lists (`operations` stays bounded).
    #[serde(default)]
    pub folded_operations: u64,
    /// Spans whose parent was inferred from timing, not named by a logged id.
    #[serde(default)]
    pub inferred_parents: u64,
    /// Of `inferred_parents`, those where more than one span could have
    /// been the caller (parent confidence below the 0.85 a sole candidate gets).
    #[serde(default)]
    pub ambiguous_parents: u64,
    /// Of `inferred_parents`, those no span could have called: hung under
    /// the trace's root at confidence 0.
    #[serde(default)]
    pub unplaced_spans: u64,
    /// Spans that follow from their parent (started after it ended: a
    /// fire-and-forget call, a queued job) rather than being waited for.
    #[serde(default)]
    pub async_links: u64,
    /// Placeholder spans: parent span ids that children logged but no line
    /// of the trace carries (their service did not log).
    #[serde(default)]
    pub placeholder_parents: u64,
}

/// The clock offset of one clock (a file, or a whole service) in one time window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClockOffsetOut {
    pub service: String,
    /// How far the clock runs ahead of the reference (ms).
    pub offset_ms: f64,
    /// Probability that the true offset is within 5 ms of `offset_ms`.
    pub confidence: f64,
    /// The file whose clock this is; `null` when it covers every file of the service.
    #[serde(default)]
    pub file: Option<String>,
    /// The window the offset holds in, as the clock logged it; `null` for
    /// an open end (the offset held from the start, or to the end, of the run).
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// The range the evidence allows (ms): `low_ms <= offset_ms <= high_ms`.
    /// `null` in reports written before these fields existed.
    #[serde(default)]
    pub low_ms: Option<f64>,
    #[serde(default)]
    pub high_ms: Option<f64>,
    /// Caller/callee pairs the estimate rests on.
    #[serde(default)]
    pub samples: u64,
    /// True when the offset was subtracted from the clock's times (only
    /// when calls overlap wrongly without it).
    #[serde(default)]
    pub applied: bool,
}
