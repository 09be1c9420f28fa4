//! Waterfalls: one trace, one row per span, on a time axis.
//!
//! Input: the summary's slowest and failed trace references and incident
//! windows, and the traces they name. Output: `waterfall-<n>.svg` for the
//! slowest traces, then for the first failed traces of each incident. Rows
//! follow the call tree (a span, then its callees by start time), indented
//! by depth and labelled `service · operation`; bars are coloured by service,
//! failed spans have a red outline and a ✗, spans whose parent was inferred
//! from timing (not logged ids) have a dashed outline and connector, a span
//! that follows from a parent that had already ended (an async hop) has a
//! dotted connector from its parent's end and says so, a placeholder for a
//! parent span id no line carries is an empty bar named `(not in logs)`, and
//! the critical path is underlined. The time axis is milliseconds from the
//! start of the trace.

use std::collections::{BTreeMap, BTreeSet};

use super::svg::{self, count, ellipsize, ms, num, LegendItem, Svg};
use super::Chart;
use crate::ingest::time::format_rfc3339_ms;
use crate::render::view::View;
use crate::trace::{Link, Trace};

/// How many of the slowest traces get a waterfall.
pub const SLOWEST: usize = 5;
/// How many failed traces per incident get a waterfall.
pub const FIRST_FAILED: usize = 2;
/// Rows drawn at most; a note says how many spans were left out.
pub const MAX_ROWS: usize = 250;

const WIDTH: f64 = 1100.0;
const MARGIN: f64 = 16.0;
const LABEL_W: f64 = 330.0;
const ROW_H: f64 = 20.0;
const BAR_H: f64 = 12.0;
const TOP: f64 = 64.0;
/// Darker than the palette's red, so a failed red-coloured service still shows its outline.
const BAD: &str = "#9e0000";

/// The waterfalls, in order: slowest first, then each incident's failures.
pub fn charts(input: &View<'_>) -> Vec<Chart> {
    picks(input)
        .into_iter()
        .enumerate()
        .map(|(n, (ti, why))| {
            let t = &input.traces.traces[ti];
            let id = input.symbols.get(t.id);
            let title = format!("Waterfall: {why}, trace {id} ({})", trace_ms(t));
            Chart {
                file: format!("waterfall-{}.svg", n + 1),
                svg: draw(&title, t, input),
                title,
            }
        })
        .collect()
}

/// A trace's end-to-end duration, or `no duration` where the logs give none.
fn trace_ms(t: &Trace) -> String {
    crate::analyze::trace_duration_ns(t)
        .map_or_else(|| "no duration".to_owned(), |d| ms(d as f64 / 1e6))
}

/// A span's duration, or `no duration` for one instant without a logged one.
fn span_ms(s: &crate::trace::Span) -> String {
    crate::analyze::span_duration_ns(s)
        .map_or_else(|| "no duration".to_owned(), |d| ms(d as f64 / 1e6))
}

/// Which traces to draw (index into `traces.traces`) and why.
fn picks(input: &View<'_>) -> Vec<(usize, String)> {
    let traces = &input.traces.traces;
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut seen = BTreeSet::new();
    for (k, r) in input.slowest.iter().take(SLOWEST).enumerate() {
        if let Some(i) = r.trace {
            if seen.insert(i) {
                out.push((i, format!("slowest trace #{}", k + 1)));
            }
        }
    }
    for (n, (_, (s, e))) in input.incident_spans().enumerate() {
        let inside = |t: i64| t >= s.ns() && t <= e.ns();
        let mut refs: Vec<usize> = (input.failed.iter())
            .filter(|r| r.start.is_some_and(|t| inside(t.ns())))
            .filter_map(|r| r.trace)
            .collect();
        if refs.is_empty() {
            // The report lists only some failed traces; the traces know them all.
            refs = (0..traces.len())
                .filter(|&i| traces[i].failed() && inside(traces[i].start_ns))
                .collect();
        }
        refs.sort_by_cached_key(|&i| (traces[i].start_ns, input.symbols.get(traces[i].id), i));
        refs.retain(|i| !seen.contains(i));
        for i in refs.into_iter().take(FIRST_FAILED) {
            seen.insert(i);
            out.push((i, format!("first failed trace of incident {}", n + 1)));
        }
    }
    out
}

/// Spans in call-tree order with their depth: each span, then its children
/// by start; spans not reachable from the root follow, in start order.
fn rows(t: &Trace) -> Vec<usize> {
    let n = t.spans.len();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, s) in t.spans.iter().enumerate() {
        if let Some(p) = s.parent {
            let p = p as usize;
            if p < n && p != i {
                children[p].push(i);
            }
        }
    }
    for c in &mut children {
        c.sort_by_key(|&i| (t.spans[i].start_ns, i));
    }
    let mut seen = vec![false; n];
    let mut out = Vec::with_capacity(n);
    let roots = std::iter::once(t.root as usize).chain(0..n);
    for r in roots {
        if r >= n || seen[r] {
            continue;
        }
        let mut stack = vec![r];
        while let Some(v) = stack.pop() {
            if seen[v] {
                continue;
            }
            seen[v] = true;
            out.push(v);
            for &c in children[v].iter().rev() {
                if !seen[c] {
                    stack.push(c);
                }
            }
        }
    }
    out
}

fn draw(title: &str, t: &Trace, input: &View<'_>) -> String {
    let sym = input.symbols;
    let palette = svg::palette(input.summary);
    let order = rows(t);
    let shown = &order[..order.len().min(MAX_ROWS)];
    let t0 = t
        .spans
        .iter()
        .map(|s| s.start_ns)
        .fold(t.start_ns, i64::min);
    let t1 = t.spans.iter().map(|s| s.end_ns).fold(t.end_ns, i64::max);
    let total_ms = ((t1.saturating_sub(t0)) as f64 / 1e6).max(0.001);
    let services: BTreeSet<&str> = t
        .spans
        .iter()
        .filter(|s| !s.is_placeholder())
        .map(|s| sym.get(s.service))
        .collect();
    let async_hops = t
        .spans
        .iter()
        .any(|s| s.link == Link::FollowsFrom && s.parent.is_some());
    let placeholders = t.spans.iter().any(|s| s.is_placeholder());

    let x0 = MARGIN + LABEL_W + 10.0;
    let x1 = WIDTH - 100.0;
    let aw = x1 - x0;
    let xof = |ns: i64| x0 + ((ns.saturating_sub(t0)) as f64 / 1e6) / total_ms * aw;
    let rows_top = TOP + 10.0;
    let rows_bottom = rows_top + shown.len() as f64 * ROW_H;
    let omitted = order.len() - shown.len();
    let legend_top = rows_bottom + 62.0 + if omitted > 0 { 18.0 } else { 0.0 };
    let items = legend_items(&services, &palette, async_hops, placeholders);
    let height = legend_top + svg::legend_height(WIDTH - 2.0 * MARGIN, &items) + 8.0;

    let mut svg = Svg::new(WIDTH, height, title);
    let errors = t.spans.iter().filter(|s| s.error).count();
    let sub = format!(
        "start {} UTC · {} · {} spans · {} failed · {} services",
        format_rfc3339_ms(t.start_ns),
        trace_ms(t),
        count(t.spans.len() as u64),
        count(errors as u64),
        services.len()
    );
    svg.text(MARGIN, 46.0, &sub, "start", 11.5, "#555555", "");
    svg.text(
        MARGIN,
        rows_top - 4.0,
        "service · operation",
        "start",
        11.0,
        "#666666",
        "font-style=\"italic\"",
    );
    for (r, _) in shown.iter().enumerate() {
        if r % 2 == 1 {
            svg.rect(
                MARGIN,
                rows_top + r as f64 * ROW_H,
                WIDTH - 2.0 * MARGIN,
                ROW_H,
                "#f6f6f6",
                "",
            );
        }
    }
    let step = svg::axis_step(aw, total_ms, 0.0);
    svg.x_axis(
        x0,
        x1,
        rows_top,
        rows_bottom,
        total_ms,
        step,
        "time since trace start (ms)",
        &|v, step| svg::tick_label(v, step),
    );

    // Connectors from parent to child, under the bars.
    let row_of: BTreeMap<usize, usize> = shown.iter().enumerate().map(|(r, &i)| (i, r)).collect();
    for (r, &i) in shown.iter().enumerate() {
        let s = &t.spans[i];
        let Some(&pr) = s.parent.and_then(|p| row_of.get(&(p as usize))) else {
            continue;
        };
        let parent = &t.spans[t.spans[i].parent.unwrap_or(0) as usize];
        let hop = s.link == Link::FollowsFrom;
        // An async hop starts from where its parent ended, not where it began.
        let px = xof(if hop {
            parent.end_ns.min(s.start_ns)
        } else {
            parent.start_ns
        });
        let py = rows_top + pr as f64 * ROW_H + (ROW_H + BAR_H) / 2.0;
        let cy = rows_top + r as f64 * ROW_H + ROW_H / 2.0;
        let dash = if hop {
            " stroke-dasharray=\"1 3\" stroke-linecap=\"round\" stroke-width=\"1.5\" class=\"follows-from\""
        } else if s.inferred_parent {
            " stroke-dasharray=\"3 2\""
        } else {
            ""
        };
        svg.raw(&format!(
            "<path d=\"M{} {} L{} {} L{} {}\" fill=\"none\" stroke=\"#999999\"{dash}/>\n",
            num(px),
            num(py),
            num(px),
            num(cy),
            num(xof(s.start_ns)),
            num(cy)
        ));
    }

    let critical: BTreeSet<usize> = t.critical_path.iter().map(|&i| i as usize).collect();
    for (r, &i) in shown.iter().enumerate() {
        let s = &t.spans[i];
        let y = rows_top + r as f64 * ROW_H;
        let (service, op) = crate::analyze::span_names(s, sym);
        let op = if s.is_placeholder() { "" } else { op };
        let indent = f64::from(s.depth.min(12)) * 10.0;
        let room = LABEL_W - 8.0 - indent;
        let label = if op.is_empty() {
            service.to_string()
        } else {
            format!("{service} · {op}")
        };
        // The service keeps at most half the room; the operation is
        // shortened in the middle so its method or last path part shows.
        let shown = if op.is_empty() {
            ellipsize(service, room, 11.0)
        } else {
            let svc = ellipsize(service, room / 2.0, 11.0);
            let rest = room - svg::text_width(&format!("{svc} · "), 11.0);
            format!("{svc} · {}", svg::ellipsize_middle(op, rest, 11.0))
        };
        svg.text(
            MARGIN + 4.0 + indent,
            y + 14.0,
            &shown,
            "start",
            11.0,
            "#222222",
            "",
        );
        let bx = xof(s.start_ns);
        let bw = (s.duration_ns() as f64 / 1e6 / total_ms * aw).max(1.5);
        let mut style = String::from("class=\"span\"");
        if s.is_placeholder() {
            style.push_str(" stroke=\"#888888\" stroke-dasharray=\"2 2\" data-placeholder=\"1\"");
        } else if s.error {
            style.push_str(&format!(
                " stroke=\"{BAD}\" stroke-width=\"2\" data-error=\"1\""
            ));
        } else if s.inferred_parent {
            style.push_str(" stroke=\"#333333\" stroke-width=\"1\"");
        }
        if s.inferred_parent {
            style.push_str(" stroke-dasharray=\"4 2\" data-inferred=\"1\"");
        }
        let status = if s.status > 0 {
            format!(", status {}", s.status)
        } else {
            String::new()
        };
        let tip = format!(
            "{label}: {} at +{}{status}{}{}{}{}",
            span_ms(s),
            ms(s.start_ns.saturating_sub(t0) as f64 / 1e6),
            if s.error { ", failed" } else { "" },
            if s.inferred_parent {
                ", parent inferred from timing"
            } else {
                ""
            },
            if s.link == Link::FollowsFrom && s.parent.is_some() {
                ", follows from its parent (started after it ended: async)"
            } else {
                ""
            },
            if s.is_placeholder() {
                format!(
                    ", span {} named by its children, logged by no line",
                    s.span_id.text(sym)
                )
            } else {
                String::new()
            },
        );
        let fill = if s.is_placeholder() {
            "#ffffff".to_string()
        } else {
            palette.color(service).hex()
        };
        svg.rect_tip(
            bx,
            y + (ROW_H - BAR_H) / 2.0,
            bw,
            BAR_H,
            &fill,
            &style,
            &tip,
        );
        if critical.contains(&i) {
            svg.rect(
                bx,
                y + (ROW_H + BAR_H) / 2.0 + 1.0,
                bw,
                2.0,
                "#222222",
                "class=\"critical\"",
            );
        }
        let mut tx = bx + bw + 4.0;
        if s.error {
            svg.text(
                tx,
                y + 15.0,
                "✗",
                "start",
                13.0,
                BAD,
                "class=\"error-mark\" font-weight=\"bold\"",
            );
            tx += 14.0;
        }
        svg.text(tx, y + 14.0, &span_ms(s), "start", 10.0, "#444444", "");
    }
    if omitted > 0 {
        svg.text(
            MARGIN,
            rows_bottom + 56.0,
            &format!("… {} more spans not drawn", count(omitted as u64)),
            "start",
            11.0,
            "#666666",
            "",
        );
    }
    svg::legend(&mut svg, MARGIN, legend_top, WIDTH - 2.0 * MARGIN, &items);
    svg.finish()
}

fn legend_items<'a>(
    services: &BTreeSet<&str>,
    palette: &super::palette::Palette,
    async_hops: bool,
    placeholders: bool,
) -> Vec<LegendItem<'a>> {
    // Every row names its service; past a dozen a colour key is only noise.
    let mut items: Vec<LegendItem<'a>> = if services.len() <= 12 {
        services
            .iter()
            .map(|s| (s.to_string(), palette.color(s).hex(), ""))
            .collect()
    } else {
        Vec::new()
    };
    items.push((
        "failed span (✗)".into(),
        "#ffffff".into(),
        "stroke=\"#9e0000\" stroke-width=\"2\"",
    ));
    items.push((
        "parent inferred from timing".into(),
        "#ffffff".into(),
        "stroke=\"#333333\" stroke-dasharray=\"3 2\"",
    ));
    if async_hops {
        items.push((
            "follows from (async: started after its parent ended; dotted connector)".into(),
            "#ffffff".into(),
            "stroke=\"#999999\" stroke-dasharray=\"1 3\"",
        ));
    }
    if placeholders {
        items.push((
            "(not in logs): a parent id its children logged".into(),
            "#ffffff".into(),
            "stroke=\"#888888\" stroke-dasharray=\"2 2\"",
        ));
    }
    items.push(("critical path (underline)".into(), "#222222".into(), ""));
    items
}
