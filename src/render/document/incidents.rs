//! The "Incidents" and "Where failed traces started" sections.
//!
//! Input: the [`Summary`]'s incidents and error origins. Output: per incident
//! its window, what got worse against the rest of the run and where its
//! failures started; then the services where failed traces started, over the
//! whole run.

use super::cells::{factor, plural, NA};
use super::Align::{Left as L, LeftNoWrap as N, Right as R};
use super::{cell, code, para, table, text, Block, Inline};
use crate::analyze::summary::{Incident, Summary};
use crate::units::{ms, percent, rate, thousands};

pub(super) fn incidents(doc: &mut Vec<Block>, s: &Summary) {
    doc.push(Block::Heading(2, "Incidents".into()));
    if s.incidents.is_empty() {
        doc.push(para(
            "No incident was detected: no stretch of time where the error rate or p99 latency \
             rose clearly above the rest of the run.",
        ));
        return;
    }
    for (n, inc) in s.incidents.iter().enumerate() {
        doc.push(Block::Heading(
            3,
            format!("Incident {}: {} to {}", n + 1, inc.start, inc.end),
        ));
        if !inc.summary.is_empty() {
            doc.push(para(inc.summary.clone()));
        }
        incident_worst(doc, inc);
        if !inc.error_origins.is_empty() {
            let total: u64 = inc.error_origins.iter().map(|o| o.traces).sum();
            let mut line = vec![text("Failures started in: ")];
            for (k, o) in inc.error_origins.iter().enumerate() {
                if k > 0 {
                    line.push(text(", "));
                }
                line.push(Inline::Strong(o.service.clone()));
                line.push(text(format!(
                    " ({}, {})",
                    plural(o.traces, "trace"),
                    percent(o.traces, total)
                )));
            }
            doc.push(Block::Paragraph(line));
        }
    }
}

fn incident_worst(doc: &mut Vec<Block>, inc: &Incident) {
    if inc.worst.is_empty() {
        return;
    }
    doc.push(para(
        "What got worse (baseline: the run outside incidents):",
    ));
    let rows = inc
        .worst
        .iter()
        .map(|w| {
            vec![
                cell(w.service.clone()),
                vec![code(w.operation.clone())],
                cell(w.baseline_p99_ms.map_or_else(|| "no durations".into(), ms)),
                cell(w.incident_p99_ms.map_or_else(|| "no durations".into(), ms)),
                cell(match (w.baseline_p99_ms, w.incident_p99_ms) {
                    (Some(b), Some(i)) => factor(b, i),
                    _ => NA.into(),
                }),
                cell(
                    w.baseline_error_rate
                        .map_or_else(|| "no requests".into(), rate),
                ),
                cell(rate(w.incident_error_rate)),
            ]
        })
        .collect();
    doc.push(table(
        &[
            ("Service", N),
            ("Operation", L),
            ("p99 before (ms)", R),
            ("p99 during (ms)", R),
            ("p99 change", R),
            ("Errors before", R),
            ("Errors during", R),
        ],
        rows,
    ));
}

pub(super) fn origins(doc: &mut Vec<Block>, s: &Summary) {
    doc.push(Block::Heading(2, "Where failed traces started".into()));
    if s.error_origins.is_empty() {
        doc.push(para("No failed trace."));
        return;
    }
    let total: u64 = s.error_origins.iter().map(|o| o.traces).sum();
    let rows = s
        .error_origins
        .iter()
        .map(|o| {
            vec![
                cell(o.service.clone()),
                cell(thousands(o.traces)),
                cell(percent(o.traces, total)),
            ]
        })
        .collect();
    doc.push(table(
        &[("Service", N), ("Failed traces", R), ("Share", R)],
        rows,
    ));
}

#[cfg(test)]
mod tests {
    use super::super::{build, cell, Block};
    use crate::analyze::summary::{Incident, Summary, Worst};
    use crate::render::view::View;

    #[test]
    fn worst_operations_show_the_change() {
        let s = Summary {
            incidents: vec![Incident {
                start: "a".into(),
                end: "b".into(),
                worst: vec![
                    Worst {
                        service: "inventory".into(),
                        operation: "POST /stock".into(),
                        baseline_p99_ms: Some(40.0),
                        incident_p99_ms: Some(220.0),
                        baseline_error_rate: Some(0.0),
                        incident_error_rate: 0.412,
                    },
                    Worst {
                        service: "web".into(),
                        operation: "GET /checkout".into(),
                        baseline_p99_ms: None,
                        incident_p99_ms: Some(12.0),
                        baseline_error_rate: None,
                        incident_error_rate: 0.5,
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        };
        let doc = build(&View::of_summary(&s), &[], "", 10);
        let rows = doc
            .iter()
            .find_map(|b| match b {
                Block::Table { head, rows } if head[0].0 == "Service" => Some(rows.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(rows[0][4], cell("x5.5"));
        assert_eq!(rows[0][6], cell("41.2%"));
        let row = &rows[1];
        // Unknown is said, not 0: no baseline p99, no change factor, no baseline rate.
        assert_eq!(
            (&row[2], &row[3], &row[4], &row[5]),
            (
                &cell("no durations"),
                &cell("12.0"),
                &cell("n/a"),
                &cell("no requests")
            )
        );
    }
}
