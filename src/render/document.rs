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
//! A number the logs do not give is never shown as 0: a latency without
//! durations is `n/a` with a line under the table naming what has no
//! durations, a trace without a duration says `no duration`.

use super::charts::Chart;
use super::view::View;
use super::{confidence, ms, percent, rate, thousands};
use crate::analyze::summary::{Incident, LatencyMs, Summary, TraceRef};

/// A number the logs do not give.
const NA: &str = "n/a";

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

use Align::{Left as L, LeftNoWrap as N, Right as R};

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
    overview(&mut doc, s);
    doc.extend(charts_for(charts, "overview"));
    incidents(&mut doc, s);
    doc.extend(charts_for(charts, "incidents"));
    origins(&mut doc, s);
    doc.extend(charts_for(charts, "origins"));
    services(&mut doc, s);
    doc.extend(charts_for(charts, "services"));
    operations(&mut doc, s, top);
    doc.extend(charts_for(charts, "operations"));
    chains(&mut doc, s, top);
    doc.extend(charts_for(charts, "chains"));
    errors(&mut doc, s, top);
    traces(&mut doc, s);
    doc.extend(charts_for(charts, "traces"));
    quality(&mut doc, s, top);
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

fn overview(doc: &mut Vec<Block>, s: &Summary) {
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

fn incidents(doc: &mut Vec<Block>, s: &Summary) {
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

/// `1 trace`, `2 traces`.
fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{} {what}s", thousands(n))
    }
}

/// `x3.2` for how much larger `after` is than `before`.
fn factor(before: f64, after: f64) -> String {
    if !(before.is_finite() && after.is_finite()) || before <= 0.0 {
        return "-".into();
    }
    format!("x{:.1}", after / before)
}

fn origins(doc: &mut Vec<Block>, s: &Summary) {
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

fn services(doc: &mut Vec<Block>, s: &Summary) {
    doc.push(Block::Heading(2, "Services".into()));
    if s.services.is_empty() {
        doc.push(para("No service was found in the logs."));
        return;
    }
    // Sources that log but serve no request (cron, kernel, sshd) would fill
    // the table with zeros: they are named below it instead.
    let (serving, idle): (Vec<_>, Vec<_>) = s.services.iter().partition(|x| x.spans > 0);
    let rows = serving
        .iter()
        .map(|x| {
            vec![
                cell(x.name.clone()),
                cell(thousands(x.spans)),
                cell(thousands(x.errors)),
                cell(x.error_rate.map_or_else(|| NA.into(), rate)),
                cell(thousands(x.client_errors)),
                cell(lat(&x.latency_ms, |l| l.p50)),
                cell(lat(&x.latency_ms, |l| l.p95)),
                cell(lat(&x.latency_ms, |l| l.p99)),
            ]
        })
        .collect();
    doc.push(table(
        &[
            ("Service", N),
            ("Requests", R),
            ("Errors", R),
            ("Error rate", R),
            ("4xx", R),
            ("p50 (ms)", R),
            ("p95 (ms)", R),
            ("p99 (ms)", R),
        ],
        rows,
    ));
    let untimed: Vec<String> = serving
        .iter()
        .filter(|x| x.latency_ms.is_none())
        .map(|x| x.name.clone())
        .collect();
    doc.extend(untimed_note(&untimed, NA_FOR, 10));
    if !idle.is_empty() {
        let names: Vec<&str> = idle.iter().map(|x| x.name.as_str()).collect();
        doc.push(para(format!(
            "Also in the logs, without requests: {}.",
            names.join(", ")
        )));
    }
    if !s.dependencies.is_empty() {
        doc.push(para("Calls between services:"));
        let rows = s
            .dependencies
            .iter()
            .map(|d| {
                vec![
                    cell(d.caller.clone()),
                    cell(d.callee.clone()),
                    cell(thousands(d.calls)),
                    cell(confidence::inferred_share(d.calls_inferred, d.calls)),
                    cell(percent(d.errors, d.calls)),
                    cell(lat(&d.latency_ms, |l| l.p99)),
                ]
            })
            .collect();
        doc.push(table(
            &[
                ("Caller", N),
                ("Callee", N),
                ("Calls", R),
                ("Inferred", R),
                ("Error rate", R),
                ("p99 (ms)", R),
            ],
            rows,
        ));
        if s.dependencies.iter().any(|d| d.calls_inferred > 0) {
            doc.push(para(
                "Inferred: the share of calls whose caller was found by timing alone, not \
                 named by logged ids. A call that is inferred only may be wrong; the service \
                 map draws it dashed.",
            ));
        }
        let untimed: Vec<String> = s
            .dependencies
            .iter()
            .filter(|d| d.latency_ms.is_none())
            .map(|d| format!("{} → {}", d.caller, d.callee))
            .collect();
        doc.extend(untimed_note(&untimed, &format!("{NA_FOR}calls "), 10));
    }
}

/// A latency, or `n/a` where no request logged a duration.
fn lat(l: &Option<LatencyMs>, pick: fn(&LatencyMs) -> f64) -> String {
    l.as_ref().map_or_else(|| NA.into(), |l| ms(pick(l)))
}

/// `{lead}a, b and 3 more.`: the rows of a table without durations (shown
/// `n/a`, or left out); nothing when every row has durations.
fn untimed_note(names: &[String], lead: &str, top: usize) -> Option<Block> {
    if names.is_empty() {
        return None;
    }
    let mut list = names
        .iter()
        .take(top)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > top {
        list.push_str(&format!(" and {} more", names.len() - top));
    }
    Some(para(format!("{lead}{list}.")))
}

/// Leads for [`untimed_note`].
const NA_FOR: &str = "n/a: no durations in the logs for ";
const NOT_LISTED: &str = "Not listed, no durations in the logs: ";

/// The p99 of a row with durations, for sorting.
fn p99(l: &Option<LatencyMs>) -> f64 {
    l.as_ref().map_or(f64::NEG_INFINITY, |l| l.p99)
}

fn operations(doc: &mut Vec<Block>, s: &Summary, top: usize) {
    doc.push(Block::Heading(2, "Slowest operations".into()));
    let (mut ops, untimed): (Vec<_>, Vec<_>) =
        s.operations.iter().partition(|o| o.latency_ms.is_some());
    let untimed: Vec<String> = untimed
        .iter()
        .map(|o| format!("{} {}", o.service, o.name))
        .collect();
    if ops.is_empty() {
        doc.push(para("No operation has a duration in the logs."));
        return;
    }
    let untimed = untimed_note(&untimed, NOT_LISTED, top);
    ops.sort_by(|a, b| {
        p99(&b.latency_ms)
            .total_cmp(&p99(&a.latency_ms))
            .then_with(|| a.service.cmp(&b.service))
            .then_with(|| a.name.cmp(&b.name))
    });
    let more = ops.len().saturating_sub(top);
    let rows = ops
        .iter()
        .take(top)
        .map(|o| {
            vec![
                cell(o.service.clone()),
                vec![code(o.name.clone())],
                cell(thousands(o.count)),
                cell(rate(o.error_rate)),
                cell(lat(&o.latency_ms, |l| l.p50)),
                cell(lat(&o.latency_ms, |l| l.p99)),
            ]
        })
        .collect();
    doc.push(table(
        &[
            ("Service", N),
            ("Operation", L),
            ("Requests", R),
            ("Error rate", R),
            ("p50 (ms)", R),
            ("p99 (ms)", R),
        ],
        rows,
    ));
    if more > 0 {
        doc.push(para(format!("… and {more} more in report.json.")));
    }
    doc.extend(untimed);
}

fn chains(doc: &mut Vec<Block>, s: &Summary, top: usize) {
    doc.push(Block::Heading(2, "Slowest call chains".into()));
    let (mut chains, untimed): (Vec<_>, Vec<_>) =
        s.chains.iter().partition(|c| c.latency_ms.is_some());
    let untimed: Vec<String> = untimed.iter().map(|c| c.signature.clone()).collect();
    if chains.is_empty() {
        doc.push(para(
            "No call chain with durations (the logs hold no request crossing services with timings).",
        ));
        return;
    }
    chains.sort_by(|a, b| {
        p99(&b.latency_ms)
            .total_cmp(&p99(&a.latency_ms))
            .then_with(|| a.signature.cmp(&b.signature))
    });
    let rows = chains
        .iter()
        .take(top)
        .map(|c| {
            vec![
                vec![code(c.signature.clone())],
                cell(thousands(c.count)),
                cell(thousands(c.errors)),
                cell(lat(&c.latency_ms, |l| l.p50)),
                cell(lat(&c.latency_ms, |l| l.p99)),
                cell(shares(c, |x| x.p99_share)),
            ]
        })
        .collect();
    doc.push(table(
        &[
            ("Chain", L),
            ("Traces", R),
            ("Failed", R),
            ("p50 (ms)", R),
            ("p99 (ms)", R),
            ("Critical path at p99", L),
        ],
        rows,
    ));
    doc.extend(untimed_note(&untimed, NOT_LISTED, top));
}

/// `payments 62%, orders 21%, …`: the services holding most of the critical path.
fn shares(
    c: &crate::analyze::summary::Chain,
    f: impl Fn(&crate::analyze::summary::CriticalShare) -> f64,
) -> String {
    // Shares that round to 0% say nothing.
    let mut v: Vec<_> = c.critical_path.iter().filter(|x| f(x) >= 0.005).collect();
    v.sort_by(|a, b| {
        f(b).total_cmp(&f(a))
            .then_with(|| a.service.cmp(&b.service))
    });
    if v.is_empty() {
        return "-".into();
    }
    v.iter()
        .map(|x| format!("{} {:.0}%", x.service, f(x) * 100.0))
        .collect::<Vec<_>>()
        .join(", ")
}

fn errors(doc: &mut Vec<Block>, s: &Summary, top: usize) {
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

fn traces(doc: &mut Vec<Block>, s: &Summary) {
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

fn quality(doc: &mut Vec<Block>, s: &Summary, top: usize) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::summary::{Chain, CriticalShare, Worst};

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

    #[test]
    fn worst_operations_show_the_change() {
        assert_eq!(factor(40.0, 220.0), "x5.5");
        assert_eq!(factor(0.0, 220.0), "-");
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

    #[test]
    fn critical_path_shares_read_largest_first() {
        let c = Chain {
            critical_path: vec![
                CriticalShare {
                    service: "edge".into(),
                    p50_share: 0.1,
                    p99_share: 0.05,
                },
                CriticalShare {
                    service: "payments".into(),
                    p50_share: 0.5,
                    p99_share: 0.8,
                },
                CriticalShare {
                    service: "auth".into(),
                    p50_share: 0.0,
                    p99_share: 0.0,
                },
            ],
            ..Default::default()
        };
        assert_eq!(shares(&c, |x| x.p99_share), "payments 80%, edge 5%");
        assert_eq!(plural(1, "trace"), "1 trace");
        assert_eq!(plural(1200, "trace"), "1,200 traces");
        assert_eq!(shares(&Chain::default(), |x| x.p99_share), "-");
    }
}
