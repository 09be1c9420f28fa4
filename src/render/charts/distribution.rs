//! The services' latency histograms ([`crate::analyze::histogram`]) ->
//! `latency_distribution.svg`: one cumulative distribution (CDF) line per
//! service (up to eight of the busiest) on a log x axis in ms.
//!
//! A report without histograms falls back to the percentiles it does hold.
//! Busy services without durations have no line; a note at the foot names them.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axes::{self, Area, DrawResult, LogAxis, Swatch};
use super::palette::Rgb;
use super::Chart;
use crate::analyze::histogram::bounds;
use crate::analyze::summary::{HistBucket, ServiceStats, Summary};
use crate::render::view::View;

pub const FILE: &str = "latency_distribution.svg";
pub const TITLE: &str = "Latency distribution per service (CDF)";
/// Services drawn, at most.
pub const SERVICES: usize = 8;

/// The bound below `le` (0 below the first).
fn lower_bound(b: &[f64], le: f64) -> f64 {
    let i = b.partition_point(|&x| x < le);
    if i == 0 {
        0.0
    } else {
        b[i - 1]
    }
}

/// A service's CDF as `(ms, fraction <= ms)` points, and whether it came from
/// percentiles (no histogram in the report).
pub fn cdf(s: &ServiceStats) -> (Vec<(f64, f64)>, bool) {
    let total: u64 = s.histogram.iter().map(|h| h.count).sum();
    if total > 0 {
        let b = bounds();
        let mut hist: Vec<&HistBucket> = s.histogram.iter().collect();
        hist.sort_by(|x, y| x.le_ms.total_cmp(&y.le_ms));
        let mut out = Vec::with_capacity(hist.len() + 1);
        let first = lower_bound(&b, hist[0].le_ms);
        out.push((
            if first > 0.0 {
                first
            } else {
                hist[0].le_ms / 1.25
            },
            0.0,
        ));
        let mut acc = 0u64;
        for h in hist {
            acc += h.count;
            out.push((h.le_ms, acc as f64 / total as f64));
        }
        return (out, false);
    }
    let Some(l) = &s.latency_ms else {
        return (Vec::new(), true);
    };
    let mut out: Vec<(f64, f64)> = [
        (l.p50, 0.5),
        (l.p90, 0.9),
        (l.p95, 0.95),
        (l.p99, 0.99),
        (l.p999, 0.999),
        (l.max, 1.0),
    ]
    .into_iter()
    .filter(|p| p.0.is_finite() && p.0 > 0.0)
    .collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    (out, true)
}

/// The distribution chart for a report.
pub fn chart(v: &View<'_>) -> Chart {
    let summary = v.summary;
    let items = legend_items(summary);
    let rows = axes::legend_rows(&items, 960) as u32;
    let untimed = untimed(summary);
    let foot = if untimed.is_some() { axes::NOTE_H } else { 0 };
    let h = axes::TOP + rows * 20 + 560 + foot;
    let svg = axes::render((axes::WIDTH, h), TITLE, |root| {
        if let Some(n) = &untimed {
            axes::foot_note(root, n)?;
        }
        draw(&root.margin(0, foot, 0, 0), summary, &items, rows)
    });
    Chart {
        file: FILE.into(),
        title: TITLE.into(),
        svg,
    }
}

fn shown(summary: &Summary) -> Vec<&ServiceStats> {
    axes::busiest_services(summary, SERVICES)
        .into_iter()
        .filter(|s| !cdf(s).0.is_empty())
        .collect()
}

/// The note naming the busiest services that have requests but no durations.
pub fn untimed(summary: &Summary) -> Option<String> {
    axes::untimed_note(
        axes::busiest_services(summary, SERVICES)
            .into_iter()
            .filter(|s| s.spans > 0 && s.latency_ms.is_none())
            .map(|s| s.name.as_str()),
    )
}

fn legend_items(summary: &Summary) -> Vec<(String, Swatch)> {
    let palette = axes::palette(summary);
    shown(summary)
        .into_iter()
        .map(|s| {
            let (_, approx) = cdf(s);
            let name = axes::ellipsize(&axes::clean(&s.name), 260.0, axes::LABEL_PX);
            let label = if approx {
                format!("{name} (percentiles only)")
            } else {
                name
            };
            (label, Swatch::Line(palette.color(&s.name), 3))
        })
        .collect()
}

fn draw(root: &Area<'_>, summary: &Summary, items: &[(String, Swatch)], rows: u32) -> DrawResult {
    let services = shown(summary);
    if services.is_empty() {
        return axes::message(&axes::body(root), "no request durations in the input");
    }
    axes::legend(root, items, 90, axes::TOP as i32, axes::WIDTH as i32 - 30);
    let palette = axes::palette(summary);
    type Curve = (Rgb, Vec<(f64, f64)>, bool);
    let curves: Vec<Curve> = services
        .iter()
        .map(|s| {
            let (pts, approx) = cdf(s);
            (palette.color(&s.name), pts, approx)
        })
        .collect();
    let (mut lo, mut hi) = (f64::INFINITY, 0f64);
    for (_, pts, _) in &curves {
        for &(x, _) in pts {
            lo = lo.min(x);
            hi = hi.max(x);
        }
    }
    let x = LogAxis::new(lo, hi);
    let area = root.margin(axes::TOP + rows * 20 + 8, 0, 0, 0);
    let mut chart = ChartBuilder::on(&area)
        .margin_top(6)
        .margin_right(60)
        .margin_left(10)
        .x_label_area_size(52)
        .y_label_area_size(70)
        .build_cartesian_2d(x.clone(), 0.0..100.0)?;
    axes::mesh(
        &mut chart,
        "latency (ms, log scale)",
        "requests at or below (%)",
        Some(&|v: &f64| format!("{v:.0}")),
    )?;
    for (pct, label) in [(50.0, "p50"), (99.0, "p99")] {
        chart.draw_series(LineSeries::new(
            [(x.min(), pct), (x.max(), pct)],
            axes::color(Rgb(150, 150, 150)).stroke_width(1),
        ))?;
        let p = chart.backend_coord(&(x.max(), pct));
        axes::text(
            root,
            label,
            (p.0 + 6, p.1),
            axes::SMALL_PX,
            axes::AXIS_TEXT,
            Pos::new(HPos::Left, VPos::Center),
        )?;
    }
    for (c, pts, approx) in curves {
        let line: Vec<(f64, f64)> = pts.iter().map(|&(x, f)| (x, f * 100.0)).collect();
        chart.draw_series(LineSeries::new(
            line.iter().copied(),
            axes::color(c).stroke_width(2),
        ))?;
        if approx {
            chart.draw_series(
                line.into_iter()
                    .map(|p| Circle::new(p, 3, axes::color(c).filled())),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::histogram::latency_histogram;

    #[test]
    fn cdf_rises_to_one_and_falls_back_to_percentiles() {
        let mut s = ServiceStats {
            histogram: latency_histogram(&[2_000_000, 2_000_000, 3_000_000, 50_000_000]),
            ..Default::default()
        };
        let (pts, approx) = cdf(&s);
        assert!(!approx);
        assert_eq!(pts, vec![(1.6, 0.0), (2.0, 0.5), (3.2, 0.75), (50.0, 1.0)]);
        s.histogram.clear();
        s.latency_ms = Some(crate::analyze::summary::LatencyMs {
            count: 10,
            p50: 4.0,
            max: 90.0,
            ..Default::default()
        });
        let (pts, approx) = cdf(&s);
        assert!(approx);
        assert_eq!(pts, vec![(4.0, 0.5), (90.0, 1.0)]);
        s.latency_ms = None;
        assert_eq!(cdf(&s), (Vec::new(), true));
    }
}
