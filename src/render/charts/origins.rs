//! Error origins: where failed requests started failing.
//!
//! Input: the traces (each failed trace's deepest failing span, its start
//! time) and the summary's incident windows. Output: `error_origins.svg`,
//! one stacked horizontal bar per origin service: failed traces that started
//! inside an incident window and outside, with the total at the end. Services
//! are ordered by total, then name; past [`MAX_BARS`] the rest are summed in
//! a note. Without traces (a summary read back from JSON) the summary's own
//! origin counts are used.

use std::collections::BTreeMap;

use super::svg::{self, count, ellipsize, text_width, LegendItem, Svg};
use super::Chart;
use crate::render::view::View;

/// Services drawn at most.
pub const MAX_BARS: usize = 40;

const WIDTH: f64 = 900.0;
const MARGIN: f64 = 16.0;
const LABEL_W: f64 = 210.0;
const ROW_H: f64 = 24.0;
const BAR_H: f64 = 16.0;
const TOP: f64 = 66.0;
const INSIDE: &str = "#c0392b";
const OUTSIDE: &str = "#8c9bab";

/// Failed traces per origin service: (inside an incident, outside).
pub fn counts(input: &View<'_>) -> BTreeMap<String, (u64, u64)> {
    let windows: Vec<_> = input.incident_spans().map(|(_, w)| w).collect();
    let mut out: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let traces = &input.traces.traces;
    if traces.is_empty() {
        for o in &input.summary.error_origins {
            out.entry(o.service.clone()).or_default().1 += o.traces;
        }
        for inc in &input.summary.incidents {
            for o in &inc.error_origins {
                let e = out.entry(o.service.clone()).or_default();
                let moved = o.traces.min(e.1);
                e.0 += moved;
                e.1 -= moved;
            }
        }
        return out;
    }
    for t in traces {
        let Some(span) = t.error_origin.and_then(|i| t.spans.get(i as usize)) else {
            continue;
        };
        let e = out
            .entry(input.symbols.get(span.service).to_string())
            .or_default();
        if windows
            .iter()
            .any(|&(s, end)| t.start_ns >= s.ns() && t.start_ns <= end.ns())
        {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    out
}

/// Renders `error_origins.svg`.
pub fn chart(input: &View<'_>) -> Chart {
    let title = "Error origins: failed traces by the service where the failure started";
    let palette = svg::palette(input.summary);
    let mut rows: Vec<(String, u64, u64)> = counts(input)
        .into_iter()
        .map(|(s, (i, o))| (s, i, o))
        .filter(|r| r.1 + r.2 > 0)
        .collect();
    rows.sort_by(|a, b| (b.1 + b.2).cmp(&(a.1 + a.2)).then(a.0.cmp(&b.0)));
    let rest: Vec<(String, u64, u64)> = rows.split_off(rows.len().min(MAX_BARS));
    let incidents = input.summary.incidents.len();

    let x0 = MARGIN + LABEL_W + 12.0;
    let x1 = WIDTH - MARGIN - 70.0;
    let aw = x1 - x0;
    let bars_bottom = TOP + rows.len() as f64 * ROW_H;
    let note_h = if rest.is_empty() { 0.0 } else { 18.0 };
    let items: Vec<LegendItem<'_>> = vec![
        (
            if incidents == 0 {
                "inside an incident window (none detected)".to_string()
            } else {
                format!("started inside an incident window ({incidents} detected)")
            },
            INSIDE.into(),
            "",
        ),
        (
            "started outside incident windows".into(),
            OUTSIDE.into(),
            "",
        ),
    ];
    let legend_top = bars_bottom + 58.0 + note_h;
    let height = if rows.is_empty() {
        200.0
    } else {
        legend_top + svg::legend_height(WIDTH - 2.0 * MARGIN, &items) + 8.0
    };
    let mut svg = Svg::new(WIDTH, height, title);
    let total: u64 = rows.iter().chain(&rest).map(|r| r.1 + r.2).sum();
    if rows.is_empty() {
        svg.empty_note(WIDTH, height, "No failed traces.");
        return finish(title, svg);
    }
    let inside_total: u64 = rows.iter().chain(&rest).map(|r| r.1).sum();
    svg.text(
        MARGIN,
        46.0,
        &format!(
            "{} failed traces; {} started inside incident windows",
            count(total),
            count(inside_total)
        ),
        "start",
        11.5,
        "#555555",
        "",
    );
    let max = rows.iter().map(|r| r.1 + r.2).max().unwrap_or(1) as f64;
    let step = svg::axis_step(aw, max, 1.0);
    let axis_max = (max / step).ceil() * step;
    // Grid first, bars over it.
    svg.x_axis(
        x0,
        x0 + aw,
        TOP,
        bars_bottom,
        axis_max,
        step,
        "failed traces (count)",
        &svg::tick_label,
    );
    for (k, (service, inside, outside)) in rows.iter().enumerate() {
        let y = TOP + k as f64 * ROW_H;
        svg.rect(
            x0 - 14.0 - 0.0,
            y + 6.0,
            10.0,
            10.0,
            &palette.color(service).hex(),
            "",
        );
        svg.text(
            x0 - 20.0,
            y + 15.0,
            &ellipsize(service, LABEL_W - 10.0, 12.0),
            "end",
            12.0,
            "#222222",
            "class=\"service\"",
        );
        let mut x = x0;
        for (n, color, class, what) in [
            (*inside, INSIDE, "inside", "inside incident windows"),
            (*outside, OUTSIDE, "outside", "outside incident windows"),
        ] {
            if n == 0 {
                continue;
            }
            let w = n as f64 / axis_max * aw;
            svg.rect_tip(
                x,
                y + (ROW_H - BAR_H) / 2.0,
                w,
                BAR_H,
                color,
                &format!("class=\"{class}\" data-count=\"{n}\""),
                &format!("{service}: {} failed traces {what}", count(n)),
            );
            let label = count(n);
            if text_width(&label, 10.5) + 6.0 <= w {
                svg.text(x + w / 2.0, y + 16.0, &label, "middle", 10.5, "#ffffff", "");
            }
            x += w;
        }
        svg.text(
            x + 5.0,
            y + 16.0,
            &count(inside + outside),
            "start",
            11.0,
            "#333333",
            "class=\"total\"",
        );
    }
    if !rest.is_empty() {
        let n: u64 = rest.iter().map(|r| r.1 + r.2).sum();
        svg.text(
            MARGIN,
            bars_bottom + 52.0,
            &format!(
                "… and {} more services with {} failed traces",
                rest.len(),
                count(n)
            ),
            "start",
            11.0,
            "#666666",
            "",
        );
    }
    svg::legend(&mut svg, MARGIN, legend_top, WIDTH - 2.0 * MARGIN, &items);
    finish(title, svg)
}

fn finish(title: &str, svg: Svg) -> Chart {
    Chart {
        file: "error_origins.svg".into(),
        title: title.into(),
        svg: svg.finish(),
    }
}
