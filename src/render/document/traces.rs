//! The "Slowest and failed traces" section.
//!
//! Input: the [`Summary`]'s listed traces. Output: two tables (slowest,
//! failed) of trace ids with their start, duration, root, where the failure
//! started and the services they cross, and the command that shows one as a
//! waterfall.

use super::Align::{Left as L, LeftNoWrap as N, Right as R};
use super::{cell, code, para, table, text, Block, Line};
use crate::analyze::summary::{Summary, TraceRef};
use crate::units::ms;

pub(super) fn traces(doc: &mut Vec<Block>, s: &Summary) {
    doc.push(Block::Heading(2, "Slowest and failed traces".into()));
    doc.push(Block::Paragraph(vec![
        text("Show any of them as a waterfall with its log lines: "),
        code("logtrace trace ID PATH"),
    ]));
    for (name, list) in [("Slowest", &s.traces.slowest), ("Failed", &s.traces.failed)] {
        doc.push(Block::Heading(3, format!("{name} traces")));
        if list.is_empty() {
            doc.push(para("None."));
            continue;
        }
        doc.push(table(
            &[
                ("Trace id", N),
                ("Start", N),
                ("Duration (ms)", R),
                ("Root", L),
                ("Failure started in", L),
                ("Services", L),
            ],
            list.iter().map(trace_row).collect(),
        ));
    }
}

fn trace_row(t: &TraceRef) -> Vec<Line> {
    vec![
        vec![code(t.id.clone())],
        cell(t.start.clone()),
        cell(t.duration_ms.map_or_else(|| "no duration".into(), ms)),
        cell(t.root.clone()),
        cell(t.error_origin.clone().unwrap_or_else(|| "-".into())),
        cell(t.services.join(", ")),
    ]
}
