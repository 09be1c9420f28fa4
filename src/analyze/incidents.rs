//! Requests and the timeline -> incident windows and what got worse in them. (Work in progress.)

use super::summary::{Incident, Timeline};
use super::Request;
use crate::ingest::event::Symbols;
use crate::trace::Traces;

/// Windows where the error rate or latency departs strongly from the run's baseline.
pub fn find(
    requests: &[Request],
    traces: &Traces,
    timeline: &Timeline,
    symbols: &Symbols,
) -> Vec<Incident> {
    let _ = (requests, traces, timeline, symbols);
    Vec::new()
}
