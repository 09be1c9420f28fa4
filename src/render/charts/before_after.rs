//! Incidents -> `before_during.svg`: for the operations that got worst in
//! each incident, p99 latency (log scale) and error rate in the baseline
//! (grey) next to the incident (red), one row per operation under a header
//! per incident. Without incidents the chart says so in words. A side the
//! logs give no number for (no durations; no request before the incident)
//! gets no bar but the words `no durations` / `no requests`, never a bar of 0.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axes::{self, Area, DrawResult, LogAxis, Swatch};
use super::palette::Rgb;
use super::Chart;
use crate::analyze::summary::{Incident, Summary, Worst};
use crate::render::view::{Time, View};

pub const FILE: &str = "before_during.svg";
pub const TITLE: &str = "Before / during: what got worse in each incident";
pub const BASELINE: Rgb = Rgb(150, 150, 150);
pub const DURING: Rgb = Rgb(205, 55, 45);
/// Opacity of the paired bars; tests count bars by it.
pub const BAR_OPACITY: f64 = 0.9;
const HEADER_BAND: Rgb = Rgb(253, 238, 236);
/// Operations per incident, at most.
pub const PER_INCIDENT: usize = 8;
/// Rows (headers and operations) in the chart, at most.
pub const MAX_ROWS: usize = 40;

const ROW: u32 = 34;
const LABEL_W: u32 = 330;

/// A row of the chart.
#[derive(Clone, Debug, PartialEq)]
pub enum Row<'a> {
    Header(usize, &'a Incident),
    Op(&'a Worst),
}

/// Headers and operations in order; incidents that do not fit are dropped
/// whole and counted.
pub fn rows(summary: &Summary) -> (Vec<Row<'_>>, usize) {
    let mut out = Vec::new();
    let mut dropped = 0;
    for (i, inc) in summary.incidents.iter().enumerate() {
        let ops = inc.worst.len().min(PER_INCIDENT);
        if out.len() + 1 + ops > MAX_ROWS {
            dropped += 1;
            continue;
        }
        out.push(Row::Header(i, inc));
        out.extend(inc.worst.iter().take(PER_INCIDENT).map(Row::Op));
    }
    (out, dropped)
}

/// An incident's start and end to the second, from its parsed `times`; a
/// time that did not parse is shown as written.
fn when(inc: &Incident, times: (Option<Time>, Option<Time>)) -> String {
    let fmt = |t: Option<Time>, s: &str, f: &str| {
        t.and_then(|t| jiff::Timestamp::from_second(t.seconds().floor() as i64).ok())
            .map(|ts| ts.strftime(f).to_string())
            .unwrap_or_else(|| axes::clean(s))
    };
    format!(
        "{} – {} UTC",
        fmt(times.0, &inc.start, "%Y-%m-%d %H:%M:%S"),
        fmt(times.1, &inc.end, "%H:%M:%S")
    )
}

/// The before/during chart for a report.
pub fn chart(v: &View<'_>) -> Chart {
    let (rows, dropped) = rows(v.summary);
    let h = if rows.is_empty() {
        260
    } else {
        axes::TOP + 30 + ROW * rows.len() as u32 + 60 + if dropped > 0 { 20 } else { 0 }
    };
    let svg = axes::render((axes::WIDTH, h), TITLE, |root| {
        draw(root, v, &rows, dropped)
    });
    Chart {
        file: FILE.into(),
        title: TITLE.into(),
        svg,
    }
}

fn draw(root: &Area<'_>, v: &View<'_>, rows: &[Row<'_>], dropped: usize) -> DrawResult {
    let summary = v.summary;
    if rows.is_empty() {
        let body = axes::body(root);
        let msg = if summary.incidents.is_empty() {
            "No incident detected: error rates and latency stayed near the baseline."
        } else {
            "Incidents were detected, but none names an operation that got worse."
        };
        return axes::message(&body, msg);
    }
    let items = vec![
        ("baseline".to_string(), Swatch::Box(BASELINE)),
        ("during the incident".to_string(), Swatch::Box(DURING)),
    ];
    axes::legend(root, &items, 90, axes::TOP as i32, 700);
    let (w, h) = root.dim_in_pixel();
    if dropped > 0 {
        axes::text(
            root,
            &format!("{dropped} more incident(s) not shown; see report.json"),
            (20, h as i32 - 12),
            axes::SMALL_PX,
            axes::AXIS_TEXT,
            Pos::new(HPos::Left, VPos::Center),
        )?;
    }
    let plots = root.margin(axes::TOP + 30, if dropped > 0 { 20 } else { 0 }, 0, 0);
    let split = LABEL_W + (w - LABEL_W) / 2 + 20;
    let (left, right) = plots.split_horizontally(split);
    let n = rows.len() as f64;
    let ops: Vec<&Worst> = rows
        .iter()
        .filter_map(|r| match r {
            Row::Op(w) => Some(*w),
            Row::Header(..) => None,
        })
        .collect();
    let (mut lo, mut hi) = (f64::INFINITY, 0f64);
    for w in &ops {
        for v in [w.baseline_p99_ms, w.incident_p99_ms].into_iter().flatten() {
            if v.is_finite() && v > 0.0 {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    let x = LogAxis::new(lo, hi);
    let rate = |r: Option<f64>| {
        r.filter(|r| r.is_finite())
            .map(|r| r.clamp(0.0, 1.0) * 100.0)
    };
    let emax = axes::nice_max(
        ops.iter()
            .flat_map(|w| {
                [
                    rate(w.baseline_error_rate),
                    rate(Some(w.incident_error_rate)),
                ]
            })
            .flatten()
            .fold(0.0, f64::max)
            * 1.05,
    );

    let mut lc = ChartBuilder::on(&left)
        .margin_top(6)
        .margin_right(80)
        .x_label_area_size(52)
        .y_label_area_size(LABEL_W)
        .build_cartesian_2d(x.clone(), 0.0..n)?;
    axes::bar_mesh(&mut lc, "p99 latency (ms, log scale)", 8, &|v| {
        axes::fmt_ms(*v)
    })?;
    let mut rc = ChartBuilder::on(&right)
        .margin_top(6)
        .margin_right(70)
        .margin_left(10)
        .x_label_area_size(52)
        .y_label_area_size(0)
        .build_cartesian_2d(0.0..emax, 0.0..n)?;
    axes::bar_mesh(&mut rc, "error rate (%)", 8, &|v| axes::fmt_num(*v))?;

    let palette = axes::palette(summary);
    for (i, row) in rows.iter().enumerate() {
        let top = n - i as f64;
        let mid = top - 0.5;
        match row {
            Row::Header(k, inc) => {
                let p = lc.backend_coord(&(x.min(), mid));
                let (y0, y1) = (
                    lc.backend_coord(&(x.min(), top)).1 + 2,
                    lc.backend_coord(&(x.min(), top - 1.0)).1 - 2,
                );
                // A band under the header keeps the grid lines from running through its text.
                root.draw(&Rectangle::new(
                    [(12, y0), (w as i32 - 12, y1)],
                    axes::color(HEADER_BAND).filled(),
                ))?;
                let s = format!(
                    "incident {} · {} · {}",
                    k + 1,
                    when(inc, v.incidents[*k]),
                    axes::clean(&inc.summary)
                );
                let s = axes::ellipsize(&s, f64::from(w) - 40.0, axes::LABEL_PX);
                axes::text(
                    root,
                    &s,
                    (20, p.1),
                    axes::LABEL_PX,
                    axes::INCIDENT_TEXT,
                    Pos::new(HPos::Left, VPos::Center),
                )?;
            }
            Row::Op(wst) => {
                let pairs = [
                    (
                        wst.baseline_p99_ms,
                        rate(wst.baseline_error_rate),
                        BASELINE,
                        top - 0.1,
                        mid,
                    ),
                    (
                        wst.incident_p99_ms,
                        rate(Some(wst.incident_error_rate)),
                        DURING,
                        mid,
                        top - 0.9,
                    ),
                ];
                for (p99, err, c, y0, y1) in pairs {
                    let fill = axes::color(c).mix(BAR_OPACITY).filled();
                    let p99 = p99.filter(|v| v.is_finite()).map(|v| x.floor(v));
                    if let Some(p99) = p99 {
                        lc.draw_series(std::iter::once(Rectangle::new(
                            [(x.min(), y1), (p99, y0)],
                            fill,
                        )))?;
                    }
                    let a = lc.backend_coord(&(p99.unwrap_or(x.min()), (y0 + y1) / 2.0));
                    let t = p99.map_or_else(
                        || "no durations".to_owned(),
                        |v| format!("{} ms", axes::fmt_ms(v)),
                    );
                    axes::text(
                        root,
                        &t,
                        (a.0 + 4, a.1),
                        axes::SMALL_PX - 1.0,
                        axes::AXIS_TEXT,
                        Pos::new(HPos::Left, VPos::Center),
                    )?;
                    if let Some(err) = err {
                        rc.draw_series(std::iter::once(Rectangle::new(
                            [(0.0, y1), (err, y0)],
                            fill,
                        )))?;
                    }
                    let b = rc.backend_coord(&(err.unwrap_or(0.0), (y0 + y1) / 2.0));
                    let t = err.map_or_else(|| "no requests".to_owned(), |e| format!("{e:.1}%"));
                    axes::text(
                        root,
                        &t,
                        (b.0 + 4, b.1),
                        axes::SMALL_PX - 1.0,
                        axes::AXIS_TEXT,
                        Pos::new(HPos::Left, VPos::Center),
                    )?;
                }
                let p = lc.backend_coord(&(x.min(), mid));
                let label = format!(
                    "{} · {}",
                    axes::clean(&wst.service),
                    axes::clean(&wst.operation)
                );
                let label = axes::ellipsize(&label, f64::from(LABEL_W) - 50.0, axes::LABEL_PX);
                root.draw(&Rectangle::new(
                    [(36, p.1 - 6), (48, p.1 + 6)],
                    axes::color(palette.color(&wst.service)).filled(),
                ))?;
                axes::text(
                    root,
                    &label,
                    (54, p.1),
                    axes::LABEL_PX,
                    Rgb(30, 30, 30),
                    Pos::new(HPos::Left, VPos::Center),
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_group_operations_under_their_incident() {
        let mut s = Summary::default();
        for k in 0..3 {
            s.incidents.push(Incident {
                worst: (0..(k * 5 + 1)).map(|_| Worst::default()).collect(),
                ..Default::default()
            });
        }
        let (rows, dropped) = rows(&s);
        // 1 + 1, 1 + 6, 1 + 8 (11 capped to 8).
        assert_eq!((rows.len(), dropped), (18, 0));
        assert!(matches!(rows[2], Row::Header(1, _)));
        let t = Incident {
            start: "2024-03-05T12:03:00Z".into(),
            end: "2024-03-05T12:10:30Z".into(),
            ..Default::default()
        };
        let times = (Time::parse(&t.start), Time::parse(&t.end));
        assert_eq!(when(&t, times), "2024-03-05 12:03:00 – 12:10:30 UTC");
    }

    #[test]
    fn a_side_without_numbers_gets_words_not_a_bar() {
        let w = |svc: &str, p99: Option<f64>, base_rate: Option<f64>| Worst {
            service: svc.into(),
            operation: "GET /".into(),
            baseline_p99_ms: p99,
            incident_p99_ms: p99.map(|v| v * 10.0),
            baseline_error_rate: base_rate,
            incident_error_rate: 0.3,
        };
        let s = Summary {
            incidents: vec![Incident {
                start: "2024-03-05T12:03:00Z".into(),
                end: "2024-03-05T12:10:30Z".into(),
                worst: vec![w("timed", Some(20.0), Some(0.01)), w("web", None, None)],
                ..Default::default()
            }],
            ..Default::default()
        };
        let svg = chart(&View::of_summary(&s)).svg;
        // Bars: two p99 and two error-rate bars for the timed operation, one
        // error-rate bar (during) for the other: no bar of 0 for what is unknown.
        assert_eq!(svg.matches("opacity=\"0.9\"").count(), 5, "{svg}");
        assert_eq!(svg.matches("\nno durations\n").count(), 2, "{svg}");
        assert_eq!(svg.matches("\nno requests\n").count(), 1, "{svg}");
    }

    #[test]
    fn no_incident_says_so() {
        let c = chart(&View::of_summary(&Summary::default()));
        assert!(c.svg.contains("No incident detected"));
    }
}
