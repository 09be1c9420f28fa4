//! The report model and traces -> SVG charts, as strings.
//!
//! Input: a [`Summary`], the [`Traces`] (for waterfalls) and their symbols.
//! Output: [`Chart`]s (file name, title, SVG text). Nothing here writes files;
//! one function in the binary's path does. Every chart has a title, labelled
//! axes with units, UTC time axes, a legend where there are series, and one
//! colour per service shared by all charts ([`palette`]). Text from logs is
//! escaped. The same input gives byte-identical SVG.

pub mod axes;
pub mod before_after;
pub mod critical_path;
pub mod distribution;
pub mod latency;
pub mod layers;
pub mod origins;
pub mod palette;
pub mod service_map;
pub mod slowest;
pub(crate) mod svg;
pub mod traffic;
pub mod waterfall;

use crate::analyze::summary::Summary;
use crate::ingest::event::Symbols;
use crate::trace::Traces;

/// One rendered chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// File name under `charts/`, e.g. `traffic.svg`.
    pub file: String,
    pub title: String,
    pub svg: String,
}

/// What the charts need besides the summary.
#[derive(Clone, Copy)]
pub struct ChartInput<'a> {
    pub summary: &'a Summary,
    pub traces: &'a Traces,
    pub symbols: &'a Symbols,
}

/// Every chart, in a fixed order.
pub fn all(input: ChartInput<'_>) -> Vec<Chart> {
    // The order: traffic, latency, distribution, slowest operations,
    // error origins, service map, waterfalls, critical path, before/during.
    let mut charts = vec![
        traffic::chart(input.summary),
        latency::chart(input.summary),
        distribution::chart(input.summary),
        slowest::chart(input.summary),
        origins::chart(input),
        service_map::chart(input),
    ];
    charts.extend(waterfall::charts(input));
    charts.push(critical_path::chart(input));
    charts.push(before_after::chart(input.summary));
    charts
}
