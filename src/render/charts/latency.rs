//! The timeline -> `latency.svg`: p50, p95 and p99 per bucket on a log y
//! axis for the whole run, then small multiples (same axes) for up to six of
//! the busiest services, incident windows shaded everywhere.
//!
//! A bucket without a percentile breaks the line rather than bridging the gap;
//! a service without durations gets an empty panel that says so.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axes::{self, Area, DrawResult, LogAxis, Swatch, TimeAxis, Window};
use super::palette::Rgb;
use super::Chart;
use crate::analyze::summary::{Bucket, Summary};
use crate::render::view::{Dated, View};

pub const FILE: &str = "latency.svg";
pub const TITLE: &str = "Latency over time: p50, p95, p99";
pub const P50: Rgb = Rgb(70, 130, 180);
pub const P95: Rgb = Rgb(235, 140, 30);
pub const P99: Rgb = Rgb(120, 40, 140);
/// Services drawn as small multiples, at most.
pub const MULTIPLES: usize = 6;

const MAIN_H: u32 = 360;
const ROW_H: u32 = 220;
const COLS: usize = 3;

/// The latency chart for a report.
pub fn chart(v: &View<'_>) -> Chart {
    let n = multiples(v.summary).len();
    let rows = n.div_ceil(COLS) as u32;
    let h = axes::TOP + 30 + MAIN_H + if rows > 0 { 34 + rows * ROW_H } else { 0 } + 10;
    let svg = axes::render((axes::WIDTH, h), TITLE, |root| draw(root, v));
    Chart {
        file: FILE.into(),
        title: TITLE.into(),
        svg,
    }
}

/// The services drawn as small multiples: the busiest with a timeline,
/// only when there is more than one service.
pub fn multiples(summary: &Summary) -> Vec<String> {
    if summary.services.len() < 2 {
        return Vec::new();
    }
    axes::busiest_services(summary, usize::MAX)
        .into_iter()
        .filter(|s| {
            summary
                .timeline
                .services
                .iter()
                .any(|t| t.service == s.name)
        })
        .take(MULTIPLES)
        .map(|s| s.name.clone())
        .collect()
}

/// One percentile as line segments of `(bucket middle, ms)`; a bucket
/// without the value ends a segment.
pub fn segments(
    buckets: &[Dated<'_>],
    width: f64,
    f: impl Fn(&Bucket) -> Option<f64>,
) -> Vec<Vec<(f64, f64)>> {
    let mut pts: Vec<(f64, Option<f64>)> = (buckets.iter())
        .map(|b| (b.start.seconds() + width / 2.0, f(b.bucket)))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur = Vec::new();
    for (t, v) in pts {
        match v {
            Some(v) if v.is_finite() && v >= 0.0 => cur.push((t, v)),
            _ => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

type Series = [(Rgb, Vec<Vec<(f64, f64)>>); 3];

fn series(buckets: &[Dated<'_>], width: f64) -> Series {
    [
        (P50, segments(buckets, width, |b| b.p50_ms)),
        (P95, segments(buckets, width, |b| b.p95_ms)),
        (P99, segments(buckets, width, |b| b.p99_ms)),
    ]
}

fn log_axis<'a>(all: impl Iterator<Item = &'a Series>) -> LogAxis {
    let (mut lo, mut hi) = (f64::INFINITY, 0f64);
    for s in all {
        for (_, segs) in s {
            for &(_, v) in segs.iter().flatten() {
                if v > 0.0 {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
    }
    LogAxis::new(lo, hi)
}

fn draw(root: &Area<'_>, v: &View<'_>) -> DrawResult {
    let summary = v.summary;
    let Some((t0, t1)) = axes::time_range(v) else {
        return axes::message(&axes::body(root), "no timed requests in the input");
    };
    let windows = axes::incident_windows(v);
    let width = summary.timeline.bucket_seconds.max(1) as f64;
    let mut items = vec![
        ("p50".to_string(), Swatch::Line(P50, 3)),
        ("p95".to_string(), Swatch::Line(P95, 3)),
        ("p99".to_string(), Swatch::Line(P99, 3)),
    ];
    if !windows.is_empty() {
        items.push(("incident window".into(), Swatch::Box(axes::INCIDENT_FILL)));
    }
    axes::legend(root, &items, 90, axes::TOP as i32, 760);
    axes::text(
        root,
        &format!(
            "{} buckets, all services",
            axes::fmt_seconds(summary.timeline.bucket_seconds.max(1))
        ),
        (axes::WIDTH as i32 - 30, axes::TOP as i32 + 10),
        axes::LABEL_PX,
        axes::AXIS_TEXT,
        Pos::new(HPos::Right, VPos::Center),
    )?;

    let whole = series(&v.buckets, width);
    let main = root.margin(axes::TOP + 30, 0, 0, 0);
    let (main, rest) = main.split_vertically(MAIN_H);
    let axis = TimeAxis::new(t0, t1, f64::from(axes::WIDTH) - 130.0);
    let y = log_axis(std::iter::once(&whole));
    panel(
        &main,
        &axis,
        &y,
        &whole,
        &windows,
        &axis.desc(),
        "latency (ms, log scale)",
        70,
        true,
    )?;
    if whole.iter().all(|(_, segs)| segs.is_empty()) {
        axes::empty_note(
            &main,
            "no request durations in these logs (no response-time field)",
            axes::LABEL_PX + 2.0,
            (0, -20),
        )?;
    }

    let names = multiples(summary);
    if names.is_empty() {
        return Ok(());
    }
    let per: Vec<Series> = (names.iter())
        .map(|n| series(v.buckets_of(n), width))
        .collect();
    let y = log_axis(per.iter());
    let (head, grid) = rest.split_vertically(34);
    axes::text(
        &head,
        &format!(
            "Busiest {} services by requests (same axes; ms, log scale; UTC)",
            names.len()
        ),
        (20, 17),
        axes::LABEL_PX,
        axes::AXIS_TEXT,
        Pos::new(HPos::Left, VPos::Center),
    )?;
    let rows = names.len().div_ceil(COLS);
    let cells = grid.margin(0, 10, 0, 0).split_evenly((rows, COLS));
    let palette = axes::palette(summary);
    for ((name, s), cell) in names.iter().zip(&per).zip(&cells) {
        let (cw, _) = cell.dim_in_pixel();
        let (head, plot) = cell.split_vertically(22);
        let c = palette.color(name);
        head.draw(&Rectangle::new(
            [(58, 5), (70, 17)],
            axes::color(c).filled(),
        ))?;
        let label = axes::ellipsize(&axes::clean(name), f64::from(cw) - 90.0, axes::LABEL_PX);
        axes::text(
            &head,
            &label,
            (76, 11),
            axes::LABEL_PX,
            Rgb(30, 30, 30),
            Pos::new(HPos::Left, VPos::Center),
        )?;
        let axis = TimeAxis::new(t0, t1, f64::from(cw) - 80.0);
        panel(&plot, &axis, &y, s, &windows, "", "", 55, false)?;
        if s.iter().all(|(_, segs)| segs.is_empty()) {
            axes::empty_note(&plot, "no durations in the logs", axes::LABEL_PX, (20, -14))?;
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn panel(
    area: &Area<'_>,
    axis: &TimeAxis,
    y: &LogAxis,
    series: &Series,
    windows: &[Window],
    x_desc: &str,
    y_desc: &str,
    y_label_px: u32,
    labels: bool,
) -> DrawResult {
    let mut chart = ChartBuilder::on(area)
        .margin_top(6)
        .margin_right(if labels { 40 } else { 22 })
        .margin_left(10)
        .x_label_area_size(if x_desc.is_empty() { 26 } else { 52 })
        .y_label_area_size(y_label_px)
        .build_cartesian_2d(axis.clone(), y.clone())?;
    axes::mesh(&mut chart, x_desc, y_desc, None)?;
    axes::shade_incidents(&mut chart, windows, (y.min(), y.max()), labels)?;
    for (c, segs) in series {
        let style = axes::color(*c).stroke_width(2);
        for seg in segs {
            if seg.len() == 1 {
                chart.draw_series(std::iter::once(Circle::new(
                    seg[0],
                    3,
                    axes::color(*c).filled(),
                )))?;
            } else {
                chart.draw_series(LineSeries::new(seg.iter().copied(), style))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::view::{dated, Time};

    fn b(start: &str, p50: Option<f64>) -> Bucket {
        Bucket {
            start: start.into(),
            p50_ms: p50,
            ..Default::default()
        }
    }

    #[test]
    fn missing_percentiles_break_the_line() {
        let buckets = vec![
            b("2024-03-05T12:00:00Z", Some(5.0)),
            b("2024-03-05T12:01:00Z", Some(7.0)),
            b("2024-03-05T12:02:00Z", None),
            b("2024-03-05T12:03:00Z", Some(9.0)),
        ];
        let s = segments(&dated(&buckets), 60.0, |b| b.p50_ms);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].len(), 2);
        let t0 = Time::parse("2024-03-05T12:00:00Z").unwrap().seconds();
        assert_eq!(s[0][0], (t0 + 30.0, 5.0));
        assert_eq!(s[1], vec![(t0 + 210.0, 9.0)]);
    }

    #[test]
    fn one_service_has_no_small_multiples() {
        let mut s = Summary::default();
        s.services.push(Default::default());
        assert!(multiples(&s).is_empty());
    }
}
