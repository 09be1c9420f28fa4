//! Incident windows on a time axis.
//!
//! Input: a [`View`] of the report (incident times already parsed). Output:
//! the windows in epoch seconds, the time range a timeline chart spans, and
//! the light-red shading drawn behind a chart's series.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::text::text_width;
use super::time::TimeAxis;
use super::{color, text_style, DrawResult, INCIDENT_FILL, INCIDENT_TEXT, SMALL_PX};
use crate::render::view::View;

/// An incident window on the time axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub start: f64,
    pub end: f64,
    pub label: String,
}

/// The report's incidents as windows (unparsable times skipped), by start.
pub fn incident_windows(v: &View<'_>) -> Vec<Window> {
    v.incident_spans()
        .map(|(i, (a, b))| {
            let (a, b) = (a.seconds(), b.seconds());
            Window {
                start: a.min(b),
                end: a.max(b),
                label: format!("incident {}", i + 1),
            }
        })
        .collect()
}

/// The time range of the timeline (bucket starts to the last bucket's end),
/// widened to hold every incident; `None` when there is nothing dated.
pub fn time_range(v: &View<'_>) -> Option<(f64, f64)> {
    let width = v.summary.timeline.bucket_seconds.max(1) as f64;
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for b in &v.buckets {
        let t = b.start.seconds();
        lo = lo.min(t);
        hi = hi.max(t + width);
    }
    for w in incident_windows(v) {
        lo = lo.min(w.start);
        hi = hi.max(w.end);
    }
    (lo.is_finite() && hi.is_finite()).then_some((lo, hi.max(lo + 1.0)))
}

/// Shades each window from `y.0` to `y.1` in light red, behind the series;
/// with `labels`, names it at the top when there is room.
pub fn shade_incidents<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<TimeAxis, Y>>,
    windows: &[Window],
    y: (f64, f64),
    labels: bool,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let fill = color(INCIDENT_FILL).mix(0.7).filled();
    let (x0, x1) = (chart.x_range().start, chart.x_range().end);
    let mut last_label_end = f64::NEG_INFINITY;
    for w in windows {
        let (a, b) = (w.start.max(x0), w.end.min(x1));
        if b < a {
            continue;
        }
        // A short incident stays visible: at least 4 px wide.
        let plot_px = f64::from(chart.plotting_area().dim_in_pixel().0.max(1));
        let min_w = (x1 - x0) * 4.0 / plot_px;
        let (a, b) = if b - a < min_w {
            ((a + b - min_w) / 2.0, (a + b + min_w) / 2.0)
        } else {
            (a, b)
        };
        chart.draw_series(std::iter::once(Rectangle::new([(a, y.0), (b, y.1)], fill)))?;
        if labels {
            let px = chart.backend_coord(&(a, y.1));
            if px.0 as f64 > last_label_end {
                let style = text_style(SMALL_PX, INCIDENT_TEXT, Pos::new(HPos::Left, VPos::Top));
                // Inset a little so the label clears the frame.
                let label = EmptyElement::at((a, y.1)) + Text::new(w.label.clone(), (3, 3), style);
                chart.plotting_area().draw(&label)?;
                last_label_end = px.0 as f64 + text_width(&w.label, SMALL_PX) + 8.0;
            }
        }
    }
    Ok(())
}
