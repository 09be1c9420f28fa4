//! Traces -> the report's statistics ([`summary::Summary`]).
//!
//! Input: the ingested events and files, and the traces built from them.
//! Output: the plain report model that `report.json`, the terminal summary,
//! the charts and `diff` all read. (Work in progress.)

pub mod chains;
pub mod incidents;
pub mod latency;
pub mod requests;
pub mod stats;
pub mod summary;
pub mod templates;
pub mod timeline;

use crate::ingest::event::Sym;
use crate::ingest::Ingested;
use crate::trace::Traces;
use summary::Summary;

/// One request handled by one service (a span, traced or not): the unit of the
/// statistics. Built once from [`Traces`] so every statistic counts the same way.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Request {
    pub service: Sym,
    pub operation: Sym,
    pub start_ns: i64,
    pub end_ns: i64,
    /// The logged duration; `None` when the span's extent came from its first and last events.
    pub duration_ns: Option<i64>,
    pub status: u16,
    pub error: bool,
    /// True for a trace's root span and for untraced requests: what the system was asked to do.
    pub entry: bool,
    /// Index of the trace in [`Traces::traces`], if traced.
    pub trace: Option<u32>,
}

impl Request {
    /// Client errors: HTTP 4xx.
    pub fn client_error(&self) -> bool {
        (400..500).contains(&self.status)
    }
}

/// How to analyse.
#[derive(Clone, Debug)]
pub struct AnalyzeOptions {
    /// How many slowest and failed traces to list.
    pub top: usize,
    /// Timeline bucket width; `None` picks a round width giving 60-300 buckets.
    pub bucket_seconds: Option<u64>,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            top: 10,
            bucket_seconds: None,
        }
    }
}

/// Computes the report model.
pub fn summarize(input: &Ingested, traces: &Traces, opts: &AnalyzeOptions) -> Summary {
    let _ = (input, traces, opts);
    Summary {
        schema_version: summary::SCHEMA_VERSION,
        ..Default::default()
    }
}
