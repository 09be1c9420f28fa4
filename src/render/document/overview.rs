//! The "Overview" section: the run at a glance.
//!
//! Input: the [`Summary`]. Output: a table of the window the logs cover, what
//! was read, how many requests and traces failed, and the incidents found.

use super::cells::plural;
use super::Align::Left as L;
use super::{cell, table, Block, Inline};
use crate::analyze::summary::Summary;
use crate::units::{percent, thousands};

pub(super) fn overview(doc: &mut Vec<Block>, s: &Summary) {
    doc.push(Block::Heading(2, "Overview".into()));
    let window = match (&s.window.start, &s.window.end) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "unknown (no event carries a time)".into(),
    };
    let requests: u64 = s.services.iter().map(|x| x.spans).sum();
    let errors: u64 = s.services.iter().map(|x| x.errors).sum();
    let serving = s.services.iter().filter(|x| x.spans > 0).count();
    let i = &s.input;
    let rows = vec![
        ("Window", window),
        (
            "Input",
            format!(
                "{}, {}, {}, {} unparsed ({})",
                plural(i.files.len() as u64, "file"),
                plural(i.lines, "line"),
                plural(i.events, "event"),
                thousands(i.unparsed),
                percent(i.unparsed, i.lines)
            ),
        ),
        (
            "Requests",
            format!(
                "{} across {}, {} failed ({})",
                thousands(requests),
                plural(serving as u64, "service"),
                thousands(errors),
                percent(errors, requests)
            ),
        ),
        (
            "Traces",
            if s.traces.count == 0 {
                "none: no request carries a correlation id".into()
            } else {
                format!(
                    "{}, {} failed ({}), {} across services",
                    thousands(s.traces.count),
                    thousands(s.traces.with_errors),
                    percent(s.traces.with_errors, s.traces.count),
                    thousands(s.traces.multi_service)
                )
            },
        ),
        (
            "Incidents",
            match s.incidents.len() {
                0 => "none detected".into(),
                n => format!(
                    "{n}: {}",
                    s.incidents
                        .iter()
                        .map(|x| format!("{} to {}", x.start, x.end))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            },
        ),
    ];
    doc.push(table(
        &[("", L), ("", L)],
        rows.into_iter()
            .map(|(k, v)| vec![vec![Inline::Strong(k.into())], cell(v)])
            .collect(),
    ));
}
