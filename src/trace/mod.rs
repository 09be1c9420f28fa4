//! Events -> traces: each request's call chain, rebuilt across services.
//!
//! Stages: [`correlate`] groups events by correlation id (request ids and
//! trace ids that occur on the same line are linked, so one request is one
//! trace), [`tree`] cuts each trace into [`Span`]s (one service's part), links
//! them into a call tree (exact with span/parent ids, inferred from time
//! containment without them) after correcting each service's clock offset,
//! and [`critical`] finds the critical path. The output, [`Traces`], is plain
//! data: the analysis never looks at log text again.

pub mod correlate;
pub mod critical;
pub mod tree;

use crate::ingest::event::Sym;

/// Index of an event in the run's event list.
pub type EventIdx = u32;
/// Index of a span in its trace's `spans`.
pub type SpanIdx = u32;

/// One service's part in a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub service: Sym,
    /// `METHOD /path/{id}`, route or logger of the entry that describes the span.
    pub operation: Sym,
    /// The span id the service logged, if any.
    pub span_id: Sym,
    /// Start and end, UTC ns, after clock-offset correction.
    pub start_ns: i64,
    pub end_ns: i64,
    /// True when start and end come from a logged duration, not from first/last events.
    pub timed: bool,
    /// Highest HTTP status seen in the span (0 when none).
    pub status: u16,
    /// The span failed: status >= 500, an error/fatal event, or an exception.
    pub error: bool,
    pub parent: Option<SpanIdx>,
    /// True when the parent was inferred from time containment rather than logged ids.
    pub inferred_parent: bool,
    /// Depth in the tree (root = 0).
    pub depth: u16,
    /// The events of the span, in time order.
    pub events: Vec<EventIdx>,
}

impl Span {
    pub fn duration_ns(&self) -> i64 {
        (self.end_ns - self.start_ns).max(0)
    }
}

/// One request's call chain.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// The id the user would search for: the request id where one exists, else the trace id.
    pub id: Sym,
    /// Every id linked into this trace (request and trace ids).
    pub ids: Vec<Sym>,
    /// Spans in start order; the root is `spans[root]`.
    pub spans: Vec<Span>,
    pub root: SpanIdx,
    pub start_ns: i64,
    pub end_ns: i64,
    /// The deepest failing span, if the trace failed.
    pub error_origin: Option<SpanIdx>,
    /// Spans on the critical path, root first.
    pub critical_path: Vec<SpanIdx>,
}

impl Trace {
    pub fn duration_ns(&self) -> i64 {
        (self.end_ns - self.start_ns).max(0)
    }
    pub fn failed(&self) -> bool {
        self.error_origin.is_some()
    }
}

/// A service's clock offset, estimated from containment violations.
#[derive(Clone, Debug, PartialEq)]
pub struct ClockOffset {
    pub service: Sym,
    /// How far the service's clock runs ahead of the reference (ms); subtracted before inference.
    pub offset_ms: f64,
    /// Share (0..=1) of the observed caller/callee pairs consistent with the estimate.
    pub confidence: f64,
    /// How many caller/callee pairs the estimate rests on.
    pub samples: usize,
}

/// Everything the trace stage found.
#[derive(Clone, Debug, Default)]
pub struct Traces {
    /// Traces ordered by start time, then id.
    pub traces: Vec<Trace>,
    /// Requests logged without any correlation id (e.g. a plain access log):
    /// one single-event span per event that has an HTTP status or a duration,
    /// in event order. They count in per-service and per-operation statistics
    /// and in the timeline, not in trace statistics.
    pub untraced: Vec<Span>,
    pub events_without_id: u64,
    /// Ids seen on a single event only.
    pub single_event_ids: u64,
    /// Ids reused for requests far apart in time, split into separate traces.
    pub reused_ids: u64,
    pub clock_offsets: Vec<ClockOffset>,
}

/// How to build traces.
#[derive(Clone, Debug)]
pub struct TraceOptions {
    /// Events of one id further apart than this are different requests (id reuse).
    pub split_gap_ns: i64,
    /// Slack allowed when a child span must lie inside its parent (after clock correction).
    pub containment_tolerance_ns: i64,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions {
            split_gap_ns: 600 * 1_000_000_000,
            containment_tolerance_ns: 2_000_000,
        }
    }
}

/// Events -> traces: correlate, build span trees, correct clocks, find critical paths.
pub fn build(
    events: &[crate::ingest::event::Event],
    symbols: &crate::ingest::event::Symbols,
    opts: &TraceOptions,
) -> Traces {
    let _ = (events, symbols, opts);
    Traces::default()
}
