//! The "Data quality" section: what the numbers leave out and how sure the
//! call chains are.
//!
//! Input: the [`Summary`]'s input accounting and data quality, and how many
//! rows to list. Output: the inputs not read whole, a list of counts (lines
//! not parsed, events without ids, ids reused, parents inferred), the clock
//! offsets applied with their range and confidence, and the unparsed lines
//! per file.

use super::Align::{Left as L, LeftNoWrap as N, Right as R};
use super::{cell, code, para, table, Block, Line};
use crate::analyze::summary::Summary;
use crate::render::confidence;
use crate::units::{percent, rate, thousands};

pub(super) fn quality(doc: &mut Vec<Block>, s: &Summary, top: usize) {
    doc.push(Block::Heading(2, "Data quality".into()));
    let q = &s.data_quality;
    let gaps = crate::analyze::quality::not_read_whole(&s.input);
    if !gaps.is_empty() {
        doc.push(para(format!(
            "{} inputs were not read, or not read whole; the numbers below leave out what was not read:",
            thousands(gaps.len() as u64)
        )));
        doc.push(table(
            &[("Input", N), ("What happened", L)],
            gaps.iter()
                .take(top)
                .map(|(path, why)| vec![vec![code(path.to_string())], cell(why.to_string())])
                .collect(),
        ));
        if gaps.len() > top {
            doc.push(para(format!(
                "… and {} more in report.json (input).",
                gaps.len() - top
            )));
        }
    }
    let mut items: Vec<Line> = Vec::new();
    let unparsed = s.input.unparsed.max(q.unparsed_lines);
    items.push(cell(format!(
        "{} of {} lines could not be parsed ({})",
        thousands(unparsed),
        thousands(s.input.lines),
        percent(unparsed, s.input.lines)
    )));
    items.push(cell(format!(
        "{} events carry no correlation id",
        thousands(q.events_without_id)
    )));
    items.push(cell(format!(
        "{} ids occur on one event only",
        thousands(q.single_event_ids)
    )));
    items.push(cell(format!(
        "{} traces stay inside one service",
        thousands(q.single_service_traces)
    )));
    items.extend(
        [
            confidence::counted(
                q.reused_ids,
                "ids are reused for requests far apart in time",
            ),
            confidence::folded_note(q),
        ]
        .into_iter()
        .flatten()
        .map(cell),
    );
    items.extend(confidence::parent_notes(q).into_iter().map(cell));
    doc.push(Block::List(items));
    let offsets: Vec<_> = q.clock_offsets.iter().filter(|c| c.applied).collect();
    if q.clock_offsets.is_empty() {
        // No caller/callee pair to measure by: unknown, not "no offset".
        doc.push(para(
            "Clock offsets could not be estimated: no call between services with logged \
             durations to measure them by.",
        ));
    } else if offsets.is_empty() {
        doc.push(para(
            "No clock offset was applied: the calls between services fit as logged.",
        ));
    } else {
        doc.push(para(
            "Clock offsets applied (a clock's log times against its callers', corrected \
             before timing; the range is what the calls allow, the confidence the chance \
             the offset is within 5 ms of the truth):",
        ));
        doc.push(table(
            &[
                ("Service", N),
                ("Clock", N),
                ("Window", L),
                ("Offset (ms)", R),
                ("Range (ms)", R),
                ("Confidence", R),
                ("Calls", R),
            ],
            offsets
                .iter()
                .take(top.max(1) * 3)
                .map(|c| {
                    vec![
                        cell(c.service.clone()),
                        cell(c.file.clone().unwrap_or_else(|| "all files".into())),
                        cell(confidence::offset_window(c)),
                        cell(format!("{:+.1}", c.offset_ms)),
                        cell(confidence::offset_range(c)),
                        cell(rate(c.confidence)),
                        cell(thousands(c.samples)),
                    ]
                })
                .collect(),
        ));
        if offsets.len() > top.max(1) * 3 {
            doc.push(para(format!(
                "… and {} more in report.json (data_quality.clock_offsets).",
                offsets.len() - top.max(1) * 3
            )));
        }
    }
    let mut bad: Vec<_> = s.input.files.iter().filter(|f| f.unparsed > 0).collect();
    if bad.is_empty() {
        return;
    }
    bad.sort_by(|a, b| {
        b.unparsed
            .cmp(&a.unparsed)
            .then_with(|| a.path.cmp(&b.path))
    });
    doc.push(para("Unparsed lines per file:"));
    let more = bad.len().saturating_sub(top);
    doc.push(table(
        &[
            ("File", N),
            ("Format", L),
            ("Lines", R),
            ("Unparsed", R),
            ("Share", R),
        ],
        bad.iter()
            .take(top)
            .map(|f| {
                vec![
                    vec![code(f.path.clone())],
                    cell(f.format.clone()),
                    cell(thousands(f.lines)),
                    cell(thousands(f.unparsed)),
                    cell(percent(f.unparsed, f.lines)),
                ]
            })
            .collect(),
    ));
    if more > 0 {
        doc.push(para(format!(
            "… and {more} more files with unparsed lines in report.json."
        )));
    }
}
