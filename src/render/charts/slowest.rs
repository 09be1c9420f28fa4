//! Operations -> `slowest_operations.svg`: horizontal bars of p99 for the 15
//! slowest operations, p50 marked on each bar, the error rate written at the
//! bar's end, bars coloured by service. Operations without durations get no
//! bar: a note at the foot names them.
//!
//! Names are shortened in the middle to the label column's width so labels
//! never overlap the bars or run off the canvas.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axes::{self, Area, DrawResult, Swatch};
use super::palette::Rgb;
use super::Chart;
use crate::analyze::summary::{OperationStats, Summary};
use crate::render::view::View;

pub const FILE: &str = "slowest_operations.svg";
pub const TITLE: &str = "Slowest operations by p99 latency";
/// Operations drawn, at most.
pub const TOP_N: usize = 15;
/// Opacity of the p99 bars; tests count bars by it.
pub const BAR_OPACITY: f64 = 0.85;
pub const P50_MARK: Rgb = Rgb(20, 20, 20);

const ROW: u32 = 28;
const LEGEND_SERVICES: usize = 8;
const LABEL_RIGHT: i32 = 460;
const NOTE_W: u32 = 175;

/// The p99 of an operation with durations.
fn p99(o: &OperationStats) -> Option<f64> {
    o.latency_ms
        .as_ref()
        .map(|l| l.p99)
        .filter(|v| v.is_finite())
}

/// The operations drawn: highest p99 first, then by service and name.
pub fn slowest(summary: &Summary) -> Vec<&OperationStats> {
    let mut v: Vec<&OperationStats> = summary
        .operations
        .iter()
        .filter(|o| p99(o).is_some())
        .collect();
    v.sort_by(|a, b| {
        p99(b)
            .unwrap_or(0.0)
            .total_cmp(&p99(a).unwrap_or(0.0))
            .then_with(|| a.service.cmp(&b.service))
            .then_with(|| a.name.cmp(&b.name))
    });
    v.truncate(TOP_N);
    v
}

/// The foot note naming the operations without durations, if any.
pub fn untimed(summary: &Summary) -> Option<String> {
    let names: Vec<String> = summary
        .operations
        .iter()
        .filter(|o| o.latency_ms.is_none())
        .map(|o| format!("{} {}", o.service, o.name))
        .collect();
    axes::untimed_note(names.iter().map(String::as_str))
}

/// `service · operation`, cleaned and shortened to `max_px`; a long service
/// name gives way first so the operation stays readable.
pub fn label(o: &OperationStats, max_px: f64) -> String {
    let (svc, op) = (axes::clean(&o.service), axes::clean(&o.name));
    let whole = format!("{svc} · {op}");
    if axes::text_width(&whole, axes::LABEL_PX) <= max_px {
        return whole;
    }
    let svc = axes::ellipsize(&svc, max_px * 0.4, axes::LABEL_PX);
    let sep = format!("{svc} · ");
    let rest = max_px - axes::text_width(&sep, axes::LABEL_PX);
    sep + &axes::ellipsize(&op, rest, axes::LABEL_PX)
}

/// `1,234 ms · 2.1% errors` for the bar's end.
pub fn note(o: &OperationStats) -> String {
    let rate = if o.error_rate.is_finite() {
        o.error_rate.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let pct = if rate > 0.0 && rate < 0.001 {
        "<0.1%".to_string()
    } else {
        format!("{:.1}%", rate * 100.0)
    };
    match p99(o) {
        Some(v) => format!("{} ms · {} errors", axes::fmt_ms(v), pct),
        None => format!("no durations · {} errors", pct),
    }
}

fn legend_items(summary: &Summary, ops: &[&OperationStats]) -> Vec<(String, Swatch)> {
    let palette = axes::palette(summary);
    let mut names: Vec<&str> = ops.iter().map(|o| o.service.as_str()).collect();
    names.sort();
    names.dedup();
    // Past a handful of services the labels name them better than a legend.
    if names.len() > LEGEND_SERVICES {
        names.clear();
    }
    let mut items: Vec<(String, Swatch)> = names
        .into_iter()
        .map(|n| {
            let label = axes::ellipsize(&axes::clean(n), 200.0, axes::LABEL_PX);
            (label, Swatch::Box(palette.color(n)))
        })
        .collect();
    items.push(("p50".into(), Swatch::Line(P50_MARK, 3)));
    items.push((
        "bar: p99, coloured by service".into(),
        Swatch::Box(Rgb(200, 200, 200)),
    ));
    items
}

/// The slowest-operations chart for a report.
pub fn chart(v: &View<'_>) -> Chart {
    let summary = v.summary;
    let ops = slowest(summary);
    let untimed = untimed(summary);
    let items = legend_items(summary, &ops);
    let legend_rows = axes::legend_rows(&items, axes::WIDTH as i32 - 120) as u32;
    let foot = if untimed.is_some() { axes::NOTE_H } else { 0 };
    let h = axes::TOP + legend_rows * 20 + 16 + ROW * ops.len().max(3) as u32 + 70 + foot;
    let svg = axes::render((axes::WIDTH, h), TITLE, |root| {
        if let Some(n) = &untimed {
            axes::foot_note(root, n)?;
        }
        let root = root.margin(0, foot, 0, 0);
        draw(&root, summary, &ops, &items, legend_rows)
    });
    Chart {
        file: FILE.into(),
        title: TITLE.into(),
        svg,
    }
}

fn draw(
    root: &Area<'_>,
    summary: &Summary,
    ops: &[&OperationStats],
    items: &[(String, Swatch)],
    legend_rows: u32,
) -> DrawResult {
    if ops.is_empty() {
        return axes::message(
            &axes::body(root),
            "no operation logged a duration in the input",
        );
    }
    let _ = summary;
    axes::legend(root, items, 90, axes::TOP as i32, axes::WIDTH as i32 - 30);
    let n = ops.len() as f64;
    let xmax = axes::nice_max(ops.iter().filter_map(|o| p99(o)).fold(0.0, f64::max) * 1.02);
    let area = root.margin(axes::TOP + legend_rows * 20 + 8, 0, 0, 0);
    let mut chart = ChartBuilder::on(&area)
        .margin_top(8)
        .margin_right(NOTE_W)
        .x_label_area_size(52)
        .y_label_area_size(LABEL_RIGHT as u32 + 10)
        .build_cartesian_2d(0.0..xmax, 0.0..n)?;
    axes::bar_mesh(&mut chart, "p99 latency (ms)", 10, &|v| axes::fmt_ms(*v))?;
    let palette = axes::palette(summary);
    for (i, o) in ops.iter().enumerate() {
        let top = n - i as f64 - 0.15;
        let bottom = n - i as f64 - 0.85;
        let mid = n - i as f64 - 0.5;
        let c = palette.color(&o.service);
        let Some(l) = &o.latency_ms else { continue };
        let p99 = l.p99.max(0.0);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, bottom), (p99, top)],
            axes::color(c).mix(BAR_OPACITY).filled(),
        )))?;
        let p50 = l.p50.clamp(0.0, p99);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(p50, bottom - 0.08), (p50, top + 0.08)],
            axes::color(P50_MARK).stroke_width(3),
        )))?;
        let end = chart.backend_coord(&(p99, mid));
        axes::text(
            root,
            &note(o),
            (end.0 + 6, end.1),
            axes::SMALL_PX,
            axes::AXIS_TEXT,
            Pos::new(HPos::Left, VPos::Center),
        )?;
        let at = chart.backend_coord(&(0.0, mid));
        axes::text(
            root,
            &label(o, f64::from(LABEL_RIGHT) - 30.0),
            (at.0 - 10, at.1),
            axes::LABEL_PX,
            Rgb(30, 30, 30),
            Pos::new(HPos::Right, VPos::Center),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(service: &str, name: &str, p99: f64) -> OperationStats {
        let mut o = OperationStats {
            service: service.into(),
            name: name.into(),
            count: 10,
            ..Default::default()
        };
        o.latency_ms = Some(crate::analyze::summary::LatencyMs {
            count: 10,
            p99,
            ..Default::default()
        });
        o
    }

    #[test]
    fn slowest_sorts_by_p99_then_name_and_keeps_fifteen() {
        let mut s = Summary::default();
        for i in 0..20 {
            s.operations
                .push(op("a", &format!("op{i:02}"), (i % 7) as f64));
        }
        // Without durations an operation is named in the note, never a bar of 0.
        let mut no_durations = op("web", "GET /checkout", 0.0);
        no_durations.latency_ms = None;
        s.operations.push(no_durations);
        let v = slowest(&s);
        assert_eq!(v.len(), TOP_N);
        assert_eq!((v[0].name.as_str(), v[1].name.as_str()), ("op06", "op13"));
        assert!(v.iter().all(|o| o.latency_ms.is_some()));
        assert_eq!(
            untimed(&s).as_deref(),
            Some("no durations in the logs, not drawn: web GET /checkout")
        );
    }

    #[test]
    fn notes_read_well() {
        let mut o = op("a", "b", 1234.4);
        o.error_rate = 0.021;
        assert_eq!(note(&o), "1,234 ms · 2.1% errors");
        o.error_rate = 0.0004;
        assert_eq!(note(&o), "1,234 ms · <0.1% errors");
        o.latency_ms = None;
        assert_eq!(note(&o), "no durations · <0.1% errors");
        let long = op("checkout", &"/very/long/path".repeat(10), 1.0);
        let l = label(&long, 350.0);
        assert!(axes::text_width(&l, axes::LABEL_PX) <= 350.0 && l.starts_with("checkout · /very"));
    }
}
