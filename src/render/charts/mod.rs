//! The report model and traces -> SVG charts, as strings.
//!
//! Input: a [`View`] of the report (the summary, its times parsed, and the
//! traces it lists, for waterfalls). Output: [`Chart`]s (file name, title, SVG text). Nothing here writes files;
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

use super::view::View;

/// One rendered chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// File name under `charts/`, e.g. `traffic.svg`.
    pub file: String,
    pub title: String,
    pub svg: String,
}

/// Every chart, in a fixed order.
pub fn all(v: &View<'_>) -> Vec<Chart> {
    // The order: traffic, latency, distribution, slowest operations,
    // error origins, service map, waterfalls, critical path, before/during.
    let mut charts = vec![
        traffic::chart(v),
        latency::chart(v),
        distribution::chart(v),
        slowest::chart(v),
        origins::chart(v),
        service_map::chart(v),
    ];
    charts.extend(waterfall::charts(v));
    charts.push(critical_path::chart(v));
    charts.push(before_after::chart(v));
    charts
}
