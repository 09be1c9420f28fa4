//! The timeline -> `traffic.svg`: requests/s (top) and errors/s (bottom) over
//! UTC time, one step per timeline bucket, incident windows shaded.
//!
//! Two panels on one time axis, because errors are often a hundredth of the
//! traffic and would lie flat on a shared y axis. Quiet logs (under one
//! request a second at the peak) are drawn per minute or per hour instead, so
//! the axis reads `12 / min` rather than `0.2`.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axes::{self, Area, DrawResult, Swatch, TimeAxis, Window};
use super::palette::Rgb;
use super::Chart;
use crate::analyze::summary::Bucket;
use crate::render::view::{Dated, View};

pub const FILE: &str = "traffic.svg";
pub const TITLE: &str = "Traffic: requests and errors over time";
pub const REQUESTS: Rgb = Rgb(44, 90, 160);
pub const ERRORS: Rgb = Rgb(200, 30, 30);

/// The traffic chart for a report.
pub fn chart(v: &View<'_>) -> Chart {
    let svg = axes::render((axes::WIDTH, 600), TITLE, |root| draw(root, v));
    Chart {
        file: FILE.into(),
        title: TITLE.into(),
        svg,
    }
}

/// `(bucket start, value per second)` by start; buckets without a time are skipped.
pub fn rates(
    buckets: &[Dated<'_>],
    bucket_seconds: u64,
    f: impl Fn(&Bucket) -> u64,
) -> Vec<(f64, f64)> {
    let width = bucket_seconds.max(1) as f64;
    let mut out: Vec<(f64, f64)> = (buckets.iter())
        .map(|b| (b.start.seconds(), f(b.bucket) as f64 / width))
        .collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

/// The rate unit for a peak of `max_per_s`: seconds, minutes or hours, as
/// (multiplier from per-second, unit name).
pub fn unit(max_per_s: f64) -> (f64, &'static str) {
    if max_per_s >= 1.0 {
        (1.0, "s")
    } else if max_per_s * 60.0 >= 1.0 {
        (60.0, "min")
    } else {
        (3600.0, "h")
    }
}

/// A step line through buckets of `width` seconds; gaps between buckets drop to zero.
pub fn steps(points: &[(f64, f64)], width: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2 + 2);
    let mut prev_end: Option<f64> = None;
    for &(t, v) in points {
        match prev_end {
            Some(e) if t > e + 1e-6 => {
                out.push((e, 0.0));
                out.push((t, 0.0));
            }
            None => out.push((t, 0.0)),
            _ => {}
        }
        out.push((t, v));
        out.push((t + width, v));
        prev_end = Some(t + width);
    }
    if let Some(e) = prev_end {
        out.push((e, 0.0));
    }
    out
}

fn draw(root: &Area<'_>, v: &View<'_>) -> DrawResult {
    let body = axes::body(root);
    let Some((t0, t1)) = axes::time_range(v) else {
        return axes::message(&body, "no timed requests in the input");
    };
    let windows = axes::incident_windows(v);
    let bucket = v.summary.timeline.bucket_seconds.max(1);
    let req = rates(&v.buckets, bucket, |b| b.requests);
    let err = rates(&v.buckets, bucket, |b| b.errors);
    let (per, unit) = unit(req.iter().map(|p| p.1).fold(0.0, f64::max));
    let scale = |v: Vec<(f64, f64)>| -> Vec<(f64, f64)> {
        v.into_iter().map(|(t, r)| (t, r * per)).collect()
    };
    let (req, err) = (scale(req), scale(err));
    let (rd, ed) = (format!("requests / {unit}"), format!("errors / {unit}"));
    let mut items = vec![
        (format!("requests/{unit}"), Swatch::Line(REQUESTS, 3)),
        (format!("errors/{unit}"), Swatch::Line(ERRORS, 3)),
    ];
    if !windows.is_empty() {
        items.push(("incident window".into(), Swatch::Box(axes::INCIDENT_FILL)));
    }
    axes::legend(root, &items, 90, axes::TOP as i32, 760);
    let note = format!("{} buckets", axes::fmt_seconds(bucket));
    axes::text(
        root,
        &note,
        (axes::WIDTH as i32 - 30, axes::TOP as i32 + 10),
        axes::LABEL_PX,
        axes::AXIS_TEXT,
        Pos::new(HPos::Right, VPos::Center),
    )?;

    let panels = root.margin(axes::TOP + 28, 0, 0, 0);
    let (h, _) = (panels.dim_in_pixel().1, 0);
    let (top, bottom) = panels.split_vertically(h * 58 / 100);
    let axis = TimeAxis::new(t0, t1, f64::from(axes::WIDTH) - 120.0);
    panel(&top, &axis, &req, bucket, &windows, REQUESTS, &rd, "", true)?;
    panel(
        &bottom,
        &axis,
        &err,
        bucket,
        &windows,
        ERRORS,
        &ed,
        &axis.desc(),
        false,
    )?;
    if err.iter().all(|p| p.1 == 0.0) {
        axes::empty_note(&bottom, "no errors", axes::LABEL_PX, (0, -20))?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn panel(
    area: &Area<'_>,
    axis: &TimeAxis,
    points: &[(f64, f64)],
    bucket: u64,
    windows: &[Window],
    c: Rgb,
    y_desc: &str,
    x_desc: &str,
    labels: bool,
) -> DrawResult {
    let ymax = axes::nice_max(points.iter().map(|p| p.1).fold(0.0, f64::max) * 1.05);
    let mut chart = ChartBuilder::on(area)
        .margin_top(8)
        .margin_right(40)
        .margin_left(10)
        .x_label_area_size(if x_desc.is_empty() { 28 } else { 52 })
        .y_label_area_size(70)
        .build_cartesian_2d(axis.clone(), 0.0..ymax)?;
    axes::mesh(
        &mut chart,
        x_desc,
        y_desc,
        Some(&|v: &f64| axes::fmt_num(*v)),
    )?;
    axes::shade_incidents(&mut chart, windows, (0.0, ymax), labels)?;
    let line = steps(points, bucket as f64);
    chart.draw_series(AreaSeries::new(
        line.iter().copied(),
        0.0,
        axes::color(c).mix(0.15),
    ))?;
    chart.draw_series(LineSeries::new(line, axes::color(c).stroke_width(2)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::summary::Summary;
    use crate::render::view::dated;

    #[test]
    fn steps_drop_to_zero_across_gaps() {
        let s = steps(&[(0.0, 2.0), (60.0, 4.0), (180.0, 1.0)], 60.0);
        assert_eq!(
            s,
            vec![
                (0.0, 0.0),
                (0.0, 2.0),
                (60.0, 2.0),
                (60.0, 4.0),
                (120.0, 4.0),
                (120.0, 0.0),
                (180.0, 0.0),
                (180.0, 1.0),
                (240.0, 1.0),
                (240.0, 0.0)
            ]
        );
        assert!(steps(&[], 60.0).is_empty());
    }

    #[test]
    fn quiet_logs_count_per_minute_or_hour() {
        assert_eq!(unit(2.0), (1.0, "s"));
        assert_eq!(unit(0.07), (60.0, "min"));
        assert_eq!(unit(0.001), (3600.0, "h"));
    }

    #[test]
    fn rates_are_per_second() {
        let b = vec![
            Bucket {
                start: "2024-03-05T12:01:00Z".into(),
                requests: 120,
                errors: 6,
                ..Default::default()
            },
            Bucket {
                start: "2024-03-05T12:00:00Z".into(),
                requests: 60,
                ..Default::default()
            },
            Bucket {
                start: "garbage".into(),
                requests: 1,
                ..Default::default()
            },
        ];
        let b = dated(&b);
        let r = rates(&b, 60, |b| b.requests);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].1, r[1].1), (1.0, 2.0));
        assert_eq!(rates(&b, 60, |b| b.errors)[1].1, 0.1);
    }

    #[test]
    fn empty_report_gives_a_notice_not_an_empty_file() {
        let c = chart(&View::of_summary(&Summary::default()));
        assert!(c.svg.contains("no timed requests"));
        assert!(c.svg.starts_with("<svg"));
    }
}
