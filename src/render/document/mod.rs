//! The postmortem summary as a plain document: the content that `summary.md`
//! and `index.html` share.
//!
//! Input: a [`View`] of the report, its rendered [`Chart`]s, the command line
//! that produced it and how many rows a section lists. Output: a list of
//! [`Block`]s (headings, paragraphs, tables, lists, charts) whose text is still
//! raw: [`super::markdown`] and [`super::html`] escape it for their format, so
//! no text from a log can become markup in either. Building the content once
//! keeps the two files saying the same thing.
//!
//! Here: the block model, [`build`] (the sections in reading order, each
//! chart placed once) and the title. Each section is a file of its own:
//! [`overview`], [`incidents`] (with where failed traces started),
//! [`services`] (and the calls between them), [`slowest`] (operations and
//! call chains), [`errors`], [`traces`] and [`quality`]; [`cells`] says how
//! numbers read in a cell, the same in every section.
//!
//! A number the logs do not give is never shown as 0: a latency without
//! durations is `n/a` with a line under the table naming what has no
//! durations, a trace without a duration says `no duration`.

use super::charts::Chart;
use super::view::View;
use crate::analyze::summary::Summary;

mod cells;
mod errors;
mod incidents;
mod overview;
mod quality;
mod services;
mod slowest;
mod traces;

/// A run of text inside a paragraph, list item or table cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Inline {
    Text(String),
    /// An identifier or a template shown verbatim (monospace).
    Code(String),
    Strong(String),
}

/// One cell, paragraph or list item: runs of text.
pub type Line = Vec<Inline>;

/// A table column's alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    /// Left, kept on one line: names and ids that read badly when broken.
    LeftNoWrap,
    Right,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// Level 1..=3 and text.
    Heading(u8, String),
    Paragraph(Line),
    List(Vec<Line>),
    Table {
        head: Vec<(String, Align)>,
        rows: Vec<Vec<Line>>,
    },
    /// A command to copy, shown preformatted.
    Command(String),
    /// The chart at this index of the report's charts.
    Chart(usize),
}

fn text(s: impl Into<String>) -> Inline {
    Inline::Text(s.into())
}

fn code(s: impl Into<String>) -> Inline {
    Inline::Code(s.into())
}

fn cell(s: impl Into<String>) -> Line {
    vec![text(s)]
}

fn para(s: impl Into<String>) -> Block {
    Block::Paragraph(cell(s))
}

fn table(head: &[(&str, Align)], rows: Vec<Vec<Line>>) -> Block {
    Block::Table {
        head: head.iter().map(|(h, a)| ((*h).to_owned(), *a)).collect(),
        rows,
    }
}

/// Which section shows a chart, by its file name; charts no section claims
/// go to a last "More charts" section, so every chart is shown exactly once.
fn section_of(file: &str) -> &'static str {
    match file {
        "traffic.svg" | "latency.svg" => "overview",
        "before_during.svg" => "incidents",
        "error_origins.svg" => "origins",
        "latency_distribution.svg" | "service_map.svg" => "services",
        "slowest_operations.svg" => "operations",
        "critical_path.svg" => "chains",
        f if f.starts_with("waterfall") => "traces",
        _ => "more",
    }
}

fn charts_for(charts: &[Chart], section: &str) -> Vec<Block> {
    charts
        .iter()
        .enumerate()
        .filter(|(_, c)| section_of(&c.file) == section)
        .map(|(i, _)| Block::Chart(i))
        .collect()
}

/// The whole summary, in reading order.
pub fn build(v: &View<'_>, charts: &[Chart], command: &str, top: usize) -> Vec<Block> {
    let s = v.summary;
    let top = top.max(1);
    let mut doc = vec![Block::Heading(1, title(s))];
    doc.push(para("Produced by:"));
    doc.push(Block::Command(command.to_owned()));
    overview::overview(&mut doc, s);
    doc.extend(charts_for(charts, "overview"));
    incidents::incidents(&mut doc, s);
    doc.extend(charts_for(charts, "incidents"));
    incidents::origins(&mut doc, s);
    doc.extend(charts_for(charts, "origins"));
    services::services(&mut doc, s);
    doc.extend(charts_for(charts, "services"));
    slowest::operations(&mut doc, s, top);
    doc.extend(charts_for(charts, "operations"));
    slowest::chains(&mut doc, s, top);
    doc.extend(charts_for(charts, "chains"));
    errors::errors(&mut doc, s, top);
    traces::traces(&mut doc, s);
    doc.extend(charts_for(charts, "traces"));
    quality::quality(&mut doc, s, top);
    let more = charts_for(charts, "more");
    if !more.is_empty() {
        doc.push(Block::Heading(2, "More charts".into()));
        doc.extend(more);
    }
    doc
}

/// The page title: the window the logs cover.
pub fn title(s: &Summary) -> String {
    match (&s.window.start, &s.window.end) {
        (Some(a), Some(b)) => format!("Log report {} to {}", a, b),
        _ => "Log report".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(file: &str) -> Chart {
        Chart {
            file: file.into(),
            title: file.into(),
            svg: "<svg/>".into(),
        }
    }

    #[test]
    fn every_chart_is_placed_once() {
        let charts: Vec<Chart> = [
            "traffic.svg",
            "latency.svg",
            "waterfall-1.svg",
            "new_kind.svg",
            "before_during.svg",
        ]
        .iter()
        .map(|f| chart(f))
        .collect();
        let doc = build(
            &View::of_summary(&Summary::default()),
            &charts,
            "logtrace report x",
            10,
        );
        let mut shown: Vec<usize> = doc
            .iter()
            .filter_map(|b| match b {
                Block::Chart(i) => Some(*i),
                _ => None,
            })
            .collect();
        shown.sort();
        assert_eq!(shown, vec![0, 1, 2, 3, 4]);
        assert!(doc.contains(&Block::Heading(2, "More charts".into())));
    }
}
