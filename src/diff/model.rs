//! The diff model: what `logtrace diff --json` prints.
//!
//! A contract like `report.json`: fields may be added, never renamed.
//! Latencies are milliseconds, error rates fractions (0..=1), relative changes
//! percent of the BASE value (`null` where BASE is zero), error-rate changes
//! percentage points. A latency the report does not have (a row without
//! logged durations) is `null`, and so is every change computed from it.
//! Rows are sorted by severity of change (largest first), then by name, so
//! the same two reports always give the same JSON.
//!
//! Version 2 made the latencies of [`Metrics`] and [`Changes`] nullable
//! (version 1 wrote 0 for a row without durations).

use serde::Serialize;

/// The version of this JSON structure.
pub const DIFF_VERSION: u32 = 2;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Diff {
    pub diff_version: u32,
    /// The report `schema_version` both reports were read as (older reports
    /// are upgraded on reading).
    pub schema_version: u32,
    pub base: Side,
    pub new: Side,
    /// Services with requests in either run.
    pub services: Vec<Row>,
    pub operations: Vec<Row>,
    /// Call-chain shapes, keyed by signature.
    pub chains: Vec<Row>,
    pub error_templates: Vec<TemplateChange>,
    /// Where failed traces started: each service's share of failed traces.
    pub error_origins: Vec<OriginChange>,
    /// The `--fail-if` expressions and what each found.
    pub thresholds: Vec<ThresholdResult>,
}

/// One report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Side {
    /// As given on the command line.
    pub path: String,
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    pub traces: u64,
    pub failed_traces: u64,
}

/// Whether a row is in both runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    #[default]
    Both,
    /// Only in NEW.
    New,
    /// Only in BASE.
    Vanished,
}

/// The numbers of one service, operation or chain in one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// Requests (spans; traces for a chain).
    pub count: u64,
    pub errors: u64,
    pub error_rate: f64,
    /// The latencies are `None` (`null`) when no request logged a duration.
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub mean_ms: Option<f64>,
}

/// A service (`service` set, `name` empty), an operation (both set) or a
/// chain (`service` empty, `name` the signature).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Row {
    pub service: String,
    pub name: String,
    pub presence: Presence,
    pub base: Option<Metrics>,
    pub new: Option<Metrics>,
    /// Present when the row is in both runs.
    pub change: Option<Changes>,
    /// How much the row changed: the largest of |Δp99| / 20%, |Δp50| / 20%,
    /// |Δerror rate| / 1pp and |Δcount| / 50%; 2 for a new or vanished row.
    /// Relative latency terms count only with at least `--min-count` requests in both runs.
    pub severity: f64,
}

/// NEW minus BASE.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Changes {
    pub count: i64,
    pub count_pct: Option<f64>,
    pub error_rate_pp: f64,
    /// `None` when either run has no durations for the row.
    pub p50_ms: Option<f64>,
    pub p50_pct: Option<f64>,
    pub p99_ms: Option<f64>,
    pub p99_pct: Option<f64>,
}

/// An error template found in one run only, or in both with a different count.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TemplateChange {
    pub template: String,
    pub presence: Presence,
    pub base_count: u64,
    pub new_count: u64,
    pub services: Vec<String>,
}

/// A service's share of failed traces that started in it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OriginChange {
    pub service: String,
    pub presence: Presence,
    pub base_traces: u64,
    pub new_traces: u64,
    /// Shares (0..=1) of each run's failed traces.
    pub base_share: f64,
    pub new_share: f64,
    pub share_pp: f64,
}

/// One `--fail-if` and what it found.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ThresholdResult {
    pub expr: String,
    pub crossed: bool,
    /// One line per row that crossed it: what, and by how much.
    pub breaches: Vec<String>,
    /// Rows in scope left out, e.g. for too few requests, or that cannot be
    /// checked (a latency threshold on a row without durations).
    pub skipped: Vec<String>,
    /// Rows actually compared against the threshold; 0 with `crossed` false
    /// means the threshold could not be checked at all.
    pub checked: u64,
}
