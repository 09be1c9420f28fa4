//! The "Top error messages" section.
//!
//! Input: the [`Summary`]'s error templates and how many to list. Output: a
//! table of the most frequent templates with a count, the services that
//! logged them and one example each.

use super::Align::{Left as L, Right as R};
use super::{cell, code, para, table, Block};
use crate::analyze::summary::Summary;
use crate::units::thousands;

pub(super) fn errors(doc: &mut Vec<Block>, s: &Summary, top: usize) {
    doc.push(Block::Heading(2, "Top error messages".into()));
    if s.error_templates.is_empty() {
        doc.push(para("No error or warning message in the logs."));
        return;
    }
    let rows = s
        .error_templates
        .iter()
        .take(top)
        .map(|t| {
            vec![
                cell(thousands(t.count)),
                cell(t.services.join(", ")),
                vec![code(t.template.clone())],
                vec![code(t.example.clone())],
            ]
        })
        .collect();
    doc.push(table(
        &[
            ("Count", R),
            ("Services", L),
            ("Message", L),
            ("Example", L),
        ],
        rows,
    ));
    let more = s.error_templates.len().saturating_sub(top);
    if more > 0 {
        doc.push(para(format!("… and {more} more in report.json.")));
    }
}
