//! One [`Trace`] -> a text waterfall, and the log lines its spans came from.
//!
//! Input: a trace, the run's events and symbols, the display names of the
//! files, and the text of the source lines to show ([`wanted_lines`] says
//! which; [`crate::ingest::reread`] reads them before rendering, so nothing
//! here touches a file). Output: a tree of spans, one row each (offset from the trace's
//! start, duration, status, error mark, service and operation indented by
//! depth, a bar scaled to the trace's duration), each followed by its
//! `file:line` and line text. At most 100 columns wide. A span of one
//! instant without a logged duration shows `-`, not `0.0`. A parent inferred
//! from timing is marked `~`, a span that follows from a parent that had
//! already ended (an async hop) `↷`, and a placeholder for a parent span id
//! no line carries is named `(not in logs)` with that id, its bar dotted.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::ingest::event::{Event, SourceRef, Symbols};
use crate::trace::{Link, Span, SpanIdx, Trace};

use super::{cell, rcell, shorten, Paint};

/// Columns of the waterfall.
const OFFSET_W: usize = 9;
const DURATION_W: usize = 9;
const STATUS_W: usize = 3;
const LABEL_W: usize = 40;
const BAR_W: usize = 28;
/// Width of everything before the label, and of the whole row.
const LEFT_W: usize = OFFSET_W + 2 + DURATION_W + 2 + STATUS_W + 3;
const ROW_W: usize = LEFT_W + LABEL_W + 1 + BAR_W + 2;
/// Indentation stops deepening here so deep trees keep room for names.
const MAX_INDENT_DEPTH: usize = 8;

/// How to draw.
#[derive(Clone, Copy, Debug)]
pub struct WaterfallOptions {
    pub color: bool,
    /// Source lines shown under each span; the rest are counted.
    pub lines_per_span: usize,
}

impl Default for WaterfallOptions {
    fn default() -> Self {
        WaterfallOptions {
            color: false,
            lines_per_span: 20,
        }
    }
}

/// What the waterfall needs besides the trace.
pub struct Context<'a> {
    pub events: &'a [Event],
    pub symbols: &'a Symbols,
    /// Display path of each file, by file index.
    pub files: &'a [String],
    /// Text of the source lines that could be re-read.
    pub lines: &'a BTreeMap<SourceRef, String>,
}

/// The source lines of a trace's spans that will be shown.
pub fn wanted_lines(trace: &Trace, events: &[Event], lines_per_span: usize) -> BTreeSet<SourceRef> {
    trace
        .spans
        .iter()
        .flat_map(|s| s.events.iter().take(lines_per_span))
        .filter_map(|&e| events.get(e as usize).map(|e| e.source))
        .collect()
}

/// The waterfall of `trace`.
pub fn render(trace: &Trace, cx: &Context, opts: &WaterfallOptions) -> String {
    let p = Paint { color: opts.color };
    let sym = |s| cx.symbols.get(s);
    let mut out = String::new();
    header(&mut out, trace, cx, p);
    let critical: BTreeSet<SpanIdx> = trace.critical_path.iter().copied().collect();
    let _ = writeln!(
        out,
        "{}",
        p.dim(&format!(
            "{}  {}  {}   {} {}",
            rcell("offset ms", OFFSET_W),
            rcell("dur ms", DURATION_W),
            rcell("st", STATUS_W),
            cell("service operation", LABEL_W),
            axis(length(trace.start_ns, trace.end_ns)),
        ))
    );
    for (i, depth) in tree_order(trace) {
        let Some(span) = trace.spans.get(i as usize) else {
            continue;
        };
        let indent = "  ".repeat(depth.min(MAX_INDENT_DEPTH));
        let inferred = if span.inferred_parent { "~" } else { "" };
        let hop = if span.link == Link::FollowsFrom && span.parent.is_some() {
            "↷"
        } else {
            ""
        };
        let label = if span.is_placeholder() {
            let id = span.span_id.text(cx.symbols);
            format!("{indent}{inferred}{} {id}", crate::analyze::NOT_IN_LOGS)
        } else {
            format!(
                "{indent}{inferred}{hop}{} {}",
                sym(span.service),
                sym(span.operation)
            )
        };
        let status = if span.status == 0 {
            "-".to_owned()
        } else {
            span.status.to_string()
        };
        let mark = if span.error { "✗" } else { " " };
        let bar = bar(trace, span, critical.contains(&i));
        let row = format!(
            "{}  {}  {} {mark} {} |{bar}|",
            rcell(
                &fmt_ms(span.start_ns.saturating_sub(trace.start_ns)),
                OFFSET_W
            ),
            rcell(
                &crate::analyze::span_duration_ns(span).map_or_else(|| "-".to_owned(), fmt_ms),
                DURATION_W
            ),
            rcell(&status, STATUS_W),
            cell(label.trim_end(), LABEL_W),
        );
        let _ = writeln!(out, "{}", if span.error { p.red(&row) } else { row });
        source(&mut out, span, cx, opts, p);
    }
    let _ = writeln!(
        out,
        "{}",
        p.dim("✗ failed span   ~ parent inferred from timing   █ critical path   ░ other spans")
    );
    let async_hop = trace
        .spans
        .iter()
        .any(|s| s.link == Link::FollowsFrom && s.parent.is_some());
    let placeholder = trace.spans.iter().any(Span::is_placeholder);
    if async_hop || placeholder {
        let mut key = Vec::new();
        if async_hop {
            key.push("↷ follows from a parent that had ended (async)");
        }
        if placeholder {
            key.push("┄ (not in logs): a parent id no line carries");
        }
        let _ = writeln!(out, "{}", p.dim(&key.join("   ")));
    }
    out
}

fn header(out: &mut String, trace: &Trace, cx: &Context, p: Paint) {
    let sym = |s| cx.symbols.get(s);
    let services: BTreeSet<&str> = trace.spans.iter().map(|s| sym(s.service)).collect();
    let start = if trace.start_ns == i64::MIN {
        "-".to_owned()
    } else {
        crate::ingest::time::format_rfc3339_ms(trace.start_ns)
    };
    let title = format!("trace {}", sym(trace.id));
    let _ = writeln!(out, "{}", p.bold(&shorten(&title, ROW_W)));
    let duration = crate::analyze::trace_duration_ns(trace)
        .map_or_else(|| "no duration".to_owned(), |d| format!("{} ms", fmt_ms(d)));
    let line = format!(
        "start {start} · {duration} · {} spans · {} services",
        trace.spans.len(),
        services.len()
    );
    let _ = writeln!(out, "{}", shorten(&line, ROW_W));
    let others: Vec<&str> = trace
        .ids
        .iter()
        .map(|&i| sym(i))
        .filter(|&s| s != sym(trace.id))
        .collect();
    if !others.is_empty() {
        let line = format!("also known as {}", others.join(", "));
        let _ = writeln!(out, "{}", shorten(&line, ROW_W));
    }
    if let Some(o) = trace.error_origin.and_then(|o| trace.spans.get(o as usize)) {
        let line = format!(
            "FAILED · error origin: {} {}",
            sym(o.service),
            sym(o.operation)
        );
        let _ = writeln!(out, "{}", p.red(&shorten(&line, ROW_W)));
    }
    out.push('\n');
}

/// The source lines of one span, under its row.
fn source(out: &mut String, span: &Span, cx: &Context, opts: &WaterfallOptions, p: Paint) {
    let indent = " ".repeat(LEFT_W);
    for &e in span.events.iter().take(opts.lines_per_span) {
        let Some(ev) = cx.events.get(e as usize) else {
            continue;
        };
        let file = cx
            .files
            .get(ev.source.file as usize)
            .map_or("?", String::as_str);
        let place = format!("{file}:{}", ev.source.line);
        let text = cx.lines.get(&ev.source).map_or("", String::as_str);
        let line = shorten(&format!("{place}  {text}"), ROW_W - LEFT_W);
        let _ = writeln!(out, "{indent}{}", p.dim(line.trim_end()));
    }
    if span.events.len() > opts.lines_per_span {
        let rest = span.events.len() - opts.lines_per_span;
        let _ = writeln!(out, "{indent}{}", p.dim(&format!("… {rest} more lines")));
    }
}

/// Spans in depth-first order from the root (children by start, then index),
/// then any span the tree does not reach, with their depth.
fn tree_order(trace: &Trace) -> Vec<(SpanIdx, usize)> {
    let n = trace.spans.len();
    let mut children: Vec<Vec<SpanIdx>> = vec![Vec::new(); n];
    let mut roots = Vec::new();
    for (i, s) in trace.spans.iter().enumerate() {
        match s.parent {
            Some(p) if (p as usize) < n && p as usize != i => children[p as usize].push(i as u32),
            _ => roots.push(i as u32),
        }
    }
    let key = |&i: &SpanIdx| (trace.spans[i as usize].start_ns, i);
    for c in &mut children {
        c.sort_by_key(key);
    }
    roots.sort_by_key(|&i| (i != trace.root, trace.spans[i as usize].start_ns, i));
    let mut seen = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let mut stack: Vec<(SpanIdx, usize)> = roots.iter().rev().map(|&r| (r, 0)).collect();
    while let Some((i, d)) = stack.pop() {
        if std::mem::replace(&mut seen[i as usize], true) {
            continue;
        }
        order.push((i, d));
        for &c in children[i as usize].iter().rev() {
            stack.push((c, d + 1));
        }
    }
    // Spans caught in a parent cycle are never reached from a root: show them flat.
    for (i, _) in seen.iter().enumerate().filter(|(_, &s)| !s) {
        order.push((i as u32, 0));
    }
    order
}

/// The bar of `span` on a scale of the whole trace.
fn bar(trace: &Trace, span: &Span, critical: bool) -> String {
    let total = length(trace.start_ns, trace.end_ns) as f64;
    let (a, b) = if total <= 0.0 {
        (0, 1)
    } else {
        let pos = |t: i64| t.saturating_sub(trace.start_ns) as f64 / total * BAR_W as f64;
        let a = (pos(span.start_ns).floor().max(0.0) as usize).min(BAR_W - 1);
        let b = (pos(span.end_ns).ceil().max(0.0) as usize).clamp(a + 1, BAR_W);
        (a, b)
    };
    let fill = if span.is_placeholder() {
        "┄"
    } else if critical {
        "█"
    } else {
        "░"
    };
    format!(
        "{}{}{}",
        " ".repeat(a),
        fill.repeat(b - a),
        " ".repeat(BAR_W - b)
    )
}

/// The axis above the bars: `0` at the left, the trace's duration at the right.
fn axis(total_ns: i64) -> String {
    let end = format!("{} ms", fmt_ms(total_ns));
    format!("|0{}|", rcell(&end, BAR_W - 1))
}

/// `end - start`, never negative, never overflowing (times may be missing or absurd).
fn length(start_ns: i64, end_ns: i64) -> i64 {
    end_ns.saturating_sub(start_ns).max(0)
}

/// Nanoseconds as milliseconds with one decimal.
fn fmt_ms(ns: i64) -> String {
    format!("{:.1}", ns as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::SpanId;

    /// edge -> orders -> payments (failing), and auth under edge with an inferred parent.
    fn example() -> (Trace, Vec<Event>, Symbols) {
        let mut sy = Symbols::default();
        let mut events = Vec::new();
        let mut ev = |file: u32, line: u32| {
            events.push(Event {
                source: SourceRef { file, line },
                ..Default::default()
            });
            vec![events.len() as u32 - 1].into()
        };
        let t0 = 1_709_296_262_114_000_000i64;
        let span = |sy: &mut Symbols, svc: &str, op: &str, a: i64, b: i64, st: u16| Span {
            service: sy.intern(svc),
            operation: sy.intern(op),
            span_id: SpanId::None,
            start_ns: t0 + a * 1_000_000,
            end_ns: t0 + b * 1_000_000,
            timed: true,
            status: st,
            error: st >= 500,
            parent: None,
            inferred_parent: false,
            logged_parent: false,
            file: None,
            depth: 0,
            link: Default::default(),
            kind: Default::default(),
            parent_confidence: 1.0,
            events: Default::default(),
        };
        let mut spans = vec![
            span(&mut sy, "edge", "GET /api/orders/{id}", 0, 800, 502),
            span(&mut sy, "auth", "GET /verify", 2, 14, 200),
            span(&mut sy, "orders", "POST /orders", 20, 790, 500),
            span(&mut sy, "payments", "POST /v1/charges", 30, 780, 503),
        ];
        spans[0].events = ev(0, 17);
        spans[1].events = ev(1, 3);
        spans[2].events = ev(2, 41);
        spans[3].events = ev(3, 9);
        spans[1].parent = Some(0);
        spans[1].inferred_parent = true;
        spans[2].parent = Some(0);
        spans[3].parent = Some(2);
        let id = sy.intern("req-000123");
        let tid = sy.intern("4bf92f3577b34da6a3ce929d0e0e4736");
        let trace = Trace {
            id,
            ids: vec![id, tid],
            spans,
            root: 0,
            start_ns: t0,
            end_ns: t0 + 800_000_000,
            error_origin: Some(3),
            critical_path: vec![0, 2, 3],
            root_latency_ns: None,
            logged_parts: Vec::new(),
        };
        (trace, events, sy)
    }

    const GOLDEN: &str = "\
trace req-000123
start 2024-03-01T12:31:02.114Z · 800.0 ms · 4 spans · 4 services
also known as 4bf92f3577b34da6a3ce929d0e0e4736
FAILED · error origin: payments POST /v1/charges

offset ms     dur ms   st   service operation                        |0                   800.0 ms|
      0.0      800.0  502 ✗ edge GET /api/orders/{id}                |████████████████████████████|
                            edge/access.log:17  GET /api/orders/7 502
      2.0       12.0  200     ~auth GET /verify                      |░                           |
                            auth/auth.log:3
     20.0      770.0  500 ✗   orders POST /orders                    |████████████████████████████|
                            orders/orders.log:41  POST /orders failed: payment declined
     30.0      750.0  503 ✗     payments POST /v1/charges            | ███████████████████████████|
                            payments/payments.log:9  upstream timed out
✗ failed span   ~ parent inferred from timing   █ critical path   ░ other spans
";

    fn draw(lines_per_span: usize, color: bool) -> String {
        let (trace, events, sy) = example();
        let files: Vec<String> = [
            "edge/access.log",
            "auth/auth.log",
            "orders/orders.log",
            "payments/payments.log",
        ]
        .map(String::from)
        .to_vec();
        let mut lines = BTreeMap::new();
        lines.insert(
            SourceRef { file: 0, line: 17 },
            "GET /api/orders/7 502".to_owned(),
        );
        lines.insert(
            SourceRef { file: 2, line: 41 },
            "POST /orders failed: payment declined".to_owned(),
        );
        lines.insert(
            SourceRef { file: 3, line: 9 },
            "upstream timed out".to_owned(),
        );
        let cx = Context {
            events: &events,
            symbols: &sy,
            files: &files,
            lines: &lines,
        };
        render(
            &trace,
            &cx,
            &WaterfallOptions {
                color,
                lines_per_span,
            },
        )
    }

    /// `trace` with the default options and no file names or log lines.
    fn draw_bare(trace: &Trace, events: &[Event], sy: &Symbols) -> String {
        let cx = Context {
            events,
            symbols: sy,
            files: &[],
            lines: &BTreeMap::new(),
        };
        render(trace, &cx, &WaterfallOptions::default())
    }

    #[test]
    fn golden_waterfall() {
        let text = draw(20, false);
        if text != GOLDEN {
            panic!("waterfall differs:\n{text}");
        }
        for line in text.lines() {
            assert!(line.chars().count() <= 100, "{line}");
        }
    }

    #[test]
    fn placeholders_and_async_hops_are_named_and_keyed() {
        assert!(!draw(20, false).contains('↷'), "no key without them");
        let (mut trace, events, sy) = example();
        trace.spans[1].kind = crate::trace::SpanKind::Placeholder;
        trace.spans[1].span_id = SpanId::Hex(0xab_cdef);
        trace.spans[1].events = Default::default();
        trace.spans[3].link = Link::FollowsFrom;
        let text = draw_bare(&trace, &events, &sy);
        let row = |what: &str| {
            text.lines()
                .find(|l| l.contains(what))
                .unwrap_or_else(|| panic!("no {what:?} in\n{text}"))
        };
        assert!(
            row("~(not in logs) 0000000000abcdef").contains("|┄"),
            "{text}"
        );
        assert!(row("↷payments POST /v1/charges").contains('█'), "{text}");
        assert!(text.contains("↷ follows from a parent that had ended (async)"));
        assert!(text.contains("┄ (not in logs): a parent id no line carries"));
        for line in text.lines() {
            assert!(line.chars().count() <= 100, "{line}");
        }
    }

    #[test]
    fn colour_only_when_asked() {
        assert!(!draw(20, false).contains('\x1b'));
        assert!(draw(20, true).contains("\x1b[31m"));
    }

    #[test]
    fn lines_beyond_the_limit_are_counted() {
        let text = draw(0, false);
        assert!(text.contains("… 1 more lines"));
        assert!(!text.contains("edge/access.log:17"));
    }

    #[test]
    fn degenerate_traces_do_not_panic() {
        let (mut trace, events, sy) = example();
        // Zero duration, a parent cycle, a parent out of range, a span before the trace.
        trace.end_ns = trace.start_ns;
        trace.spans[0].parent = Some(2);
        trace.spans[1].parent = Some(99);
        trace.spans[3].start_ns = i64::MIN;
        trace.error_origin = Some(42);
        let text = draw_bare(&trace, &events, &sy);
        // Every span still gets its row, with a bar inside the frame.
        assert_eq!(
            text.lines().filter(|l| l.ends_with('|')).count(),
            5,
            "{text}"
        );
    }
}
