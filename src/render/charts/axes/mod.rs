//! Shared chart parts: UTC time axes, log axes, text fitting, incident
//! shading, legends and the SVG canvas.
//!
//! Input: values from a [`View`] of the report (times in epoch seconds,
//! milliseconds, names from logs). Output: plotters coordinate specs with
//! round ticks ([`time`], [`log`]), cleaned and shortened labels ([`text`]),
//! incident shading ([`incidents`]), and here the canvas, legends and notes
//! every chart draws with.
//!
//! [`View`]: crate::render::view::View

use std::error::Error;

use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::palette::{Palette, Rgb};
use crate::analyze::summary::{ServiceStats, Summary};

mod incidents;
mod log;
mod text;
mod time;

pub use self::incidents::{incident_windows, shade_incidents, time_range, Window};
pub use self::log::LogAxis;
pub use self::text::{clean, ellipsize, fmt_ms, fmt_num, fmt_seconds, text_width};
pub use self::time::TimeAxis;

/// What the drawing functions return; any error turns the chart into a notice.
pub type DrawResult = Result<(), Box<dyn Error>>;

/// The area charts draw on.
pub type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

pub const FONT: &str = "sans-serif";
/// Canvas width of every chart, in px.
pub const WIDTH: u32 = 1100;
pub const TITLE_PX: f64 = 22.0;
pub const LABEL_PX: f64 = 14.0;
pub const SMALL_PX: f64 = 12.0;
/// Light red for incident windows; tests find the bands by this colour.
pub const INCIDENT_FILL: Rgb = Rgb(250, 210, 205);
pub const INCIDENT_TEXT: Rgb = Rgb(170, 40, 30);
pub const GRID: Rgb = Rgb(225, 225, 225);
pub const AXIS_TEXT: Rgb = Rgb(60, 60, 60);

/// A palette colour as a plotters colour.
pub fn color(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// One colour per service, the same in every chart.
pub fn palette(summary: &Summary) -> Palette {
    Palette::new(summary.services.iter().map(|s| s.name.clone()))
}

/// Up to `n` services with the most requests (spans), ties by name.
pub fn busiest_services(summary: &Summary, n: usize) -> Vec<&ServiceStats> {
    let mut v: Vec<&ServiceStats> = summary.services.iter().collect();
    v.sort_by(|a, b| {
        requests(b)
            .cmp(&requests(a))
            .then_with(|| a.name.cmp(&b.name))
    });
    v.truncate(n);
    v
}

fn requests(s: &ServiceStats) -> u64 {
    s.spans.max(s.latency_ms.as_ref().map_or(0, |l| l.count))
}

// ---------------------------------------------------------------- legend, canvas

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug)]
pub enum Swatch {
    Line(Rgb, u32),
    Box(Rgb),
}

/// A legend in one or more rows from `(x, y)`, wrapping at `max_x`.
/// Returns the height used.
pub fn legend(area: &Area<'_>, items: &[(String, Swatch)], x: i32, y: i32, max_x: i32) -> i32 {
    let row_h = 20;
    let (mut cx, mut cy) = (x, y);
    for (label, swatch) in items {
        let w = 26 + text_width(label, LABEL_PX).ceil() as i32 + 18;
        if cx > x && cx + w > max_x {
            cx = x;
            cy += row_h;
        }
        let mid = cy + row_h / 2;
        let _ = match *swatch {
            Swatch::Line(c, width) => area.draw(&PathElement::new(
                vec![(cx, mid), (cx + 20, mid)],
                color(c).stroke_width(width),
            )),
            Swatch::Box(c) => area.draw(&Rectangle::new(
                [(cx + 3, mid - 6), (cx + 17, mid + 6)],
                color(c).filled(),
            )),
        };
        let style = text_style(LABEL_PX, AXIS_TEXT, Pos::new(HPos::Left, VPos::Center));
        let _ = area.draw(&Text::new(label.clone(), (cx + 26, mid), style));
        cx += w;
    }
    cy + row_h - y
}

/// Rows a legend will take, for sizing the canvas before drawing.
pub fn legend_rows(items: &[(String, Swatch)], width: i32) -> i32 {
    let mut rows = 1;
    let mut cx = 0;
    for (label, _) in items {
        let w = 26 + text_width(label, LABEL_PX).ceil() as i32 + 18;
        if cx > 0 && cx + w > width {
            rows += 1;
            cx = 0;
        }
        cx += w;
    }
    rows
}

/// A text style in the chart font.
pub fn text_style(px: f64, c: Rgb, pos: Pos) -> TextStyle<'static> {
    let mut s = TextStyle::from((FONT, px).into_font()).pos(pos);
    s.color = color(c).to_backend_color();
    s
}

/// Plain text at a point.
pub fn text(area: &Area<'_>, s: &str, at: (i32, i32), px: f64, c: Rgb, pos: Pos) -> DrawResult {
    let style = text_style(px, c, pos);
    area.draw(&Text::new(s.to_string(), at, style))?;
    Ok(())
}

/// Height of the title band; charts draw below it.
pub const TOP: u32 = 44;

/// A white canvas of `size` with `title` on top; `draw` gets the whole
/// canvas (so plot coordinates and canvas coordinates agree) and draws below
/// [`TOP`]. A drawing error yields a chart that says so, never a broken file.
pub fn render(size: (u32, u32), title: &str, draw: impl FnOnce(&Area<'_>) -> DrawResult) -> String {
    let mut buf = String::new();
    let ok = {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        let r: DrawResult = (|| {
            draw_title(&root, title)?;
            draw(&root)?;
            root.present()?;
            Ok(())
        })();
        r.is_ok()
    };
    if ok {
        return buf;
    }
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        let _ = draw_title(&root, title);
        let _ = message(&root, "this chart could not be drawn");
        let _ = root.present();
    }
    buf
}

fn draw_title(root: &Area<'_>, title: &str) -> DrawResult {
    root.fill(&WHITE)?;
    let w = root.dim_in_pixel().0 as f64;
    let title = ellipsize(&clean(title), w - 40.0, TITLE_PX);
    text(
        root,
        &title,
        (20, 12),
        TITLE_PX,
        Rgb(30, 30, 30),
        Pos::new(HPos::Left, VPos::Top),
    )
}

/// The canvas below the title band.
pub fn body<'a>(root: &Area<'a>) -> Area<'a> {
    root.margin(TOP, 0, 0, 0)
}

/// Grid, tick labels and axis descriptions in the house style.
/// `y_fmt` replaces the y axis's own label format when given.
pub fn mesh<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    x_desc: &str,
    y_desc: &str,
    y_fmt: Option<&dyn Fn(&f64) -> String>,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let grid = color(GRID);
    let axis = color(Rgb(150, 150, 150));
    let labels = text_style(SMALL_PX + 1.0, AXIS_TEXT, Pos::default());
    let mut m = chart.configure_mesh();
    m.bold_line_style(grid)
        .light_line_style(TRANSPARENT)
        .axis_style(axis)
        .x_labels(40)
        .y_labels(7)
        .label_style(labels)
        .axis_desc_style((FONT, LABEL_PX))
        .x_desc(x_desc)
        .y_desc(y_desc);
    if let Some(f) = y_fmt {
        m.y_label_formatter(f);
    }
    m.draw()?;
    Ok(())
}

/// The mesh of a chart of horizontal bars, one row each: a vertical grid
/// and tick labels along x only, since each row draws its own label.
pub fn bar_mesh<DB, X>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, plotters::coord::types::RangedCoordf64>>,
    x_desc: &str,
    x_labels: usize,
    x_fmt: &dyn Fn(&f64) -> String,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .bold_line_style(color(GRID))
        .light_line_style(TRANSPARENT)
        .axis_style(color(Rgb(150, 150, 150)))
        .x_labels(x_labels)
        .x_label_formatter(x_fmt)
        .label_style(text_style(SMALL_PX + 1.0, AXIS_TEXT, Pos::default()))
        .axis_desc_style((FONT, LABEL_PX))
        .x_desc(x_desc)
        .draw()?;
    Ok(())
}

/// A round upper bound for a linear axis: 1, 2, 2.5 or 5 x 10^k above `v`.
pub fn nice_max(v: f64) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return 1.0;
    }
    let e = 10f64.powf(v.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * e >= v {
            return m * e;
        }
    }
    10.0 * e
}

/// Height of the [`foot_note`] band at the bottom of a chart.
pub const NOTE_H: u32 = 24;

/// `no durations in the logs, not drawn: a, b and 3 more`: what a chart
/// leaves out because the logs hold no number for it (never drawn as 0);
/// `None` when nothing is left out.
pub fn untimed_note<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let names: Vec<String> = names.into_iter().map(clean).collect();
    if names.is_empty() {
        return None;
    }
    let shown = names.iter().take(4).cloned().collect::<Vec<_>>().join(", ");
    let more = match names.len().saturating_sub(4) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    Some(format!(
        "no durations in the logs, not drawn: {shown}{more}"
    ))
}

/// A note in grey along the bottom of the canvas, in the [`NOTE_H`] band the
/// chart reserved for it.
pub fn foot_note(root: &Area<'_>, note: &str) -> DrawResult {
    let (w, h) = root.dim_in_pixel();
    let note = ellipsize(note, f64::from(w) - 40.0, SMALL_PX);
    text(
        root,
        &note,
        (20, h as i32 - NOTE_H as i32 / 2),
        SMALL_PX,
        Rgb(110, 110, 110),
        Pos::new(HPos::Left, VPos::Center),
    )
}

/// A centred message in grey, for charts without data.
pub fn message(area: &Area<'_>, msg: &str) -> DrawResult {
    empty_note(area, msg, 18.0, (0, 0))
}

/// A note in grey on a panel with nothing to draw, centred `offset` px off
/// the panel's centre (the centre of its plot, beside its axis labels).
pub fn empty_note(area: &Area<'_>, msg: &str, px: f64, offset: (i32, i32)) -> DrawResult {
    let (w, h) = area.dim_in_pixel();
    text(
        area,
        msg,
        (w as i32 / 2 + offset.0, h as i32 / 2 + offset.1),
        px,
        Rgb(110, 110, 110),
        Pos::new(HPos::Center, VPos::Center),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::view::Time;

    #[test]
    fn time_ticks_are_round_for_a_minute_and_a_week() {
        // 2024-03-05T12:00:07Z .. +60 s: ticks every 10 s on whole seconds.
        let t0 = Time::parse("2024-03-05T12:00:07Z").unwrap().seconds();
        let a = TimeAxis::new(t0, t0 + 60.0, 900.0);
        assert_eq!(a.step_seconds(), 10);
        let ticks = a.ticks();
        assert_eq!(a.label(ticks[0]), "12:00:10");
        assert_eq!(ticks.len(), 6);
        assert_eq!(a.desc(), "time (UTC), 2024-03-05");

        let w = TimeAxis::new(t0, t0 + 7.0 * 86400.0, 900.0);
        assert_eq!(w.step_seconds(), 86400);
        assert_eq!(w.label(w.ticks()[0]), "Mar 06");
        assert_eq!(w.desc(), "time (UTC), 2024-03-05 to 2024-03-12");

        let h = TimeAxis::new(t0, t0 + 3600.0, 900.0);
        assert_eq!(h.step_seconds(), 300);
        assert_eq!(h.label(h.ticks()[0]), "12:05");
    }

    #[test]
    fn degenerate_ranges_do_not_panic() {
        let a = TimeAxis::new(f64::NAN, f64::NAN, 10.0);
        assert!(a.end > a.start);
        assert!(!a.ticks().is_empty());
        let l = LogAxis::new(0.0, 0.0);
        assert_eq!((l.min(), l.max()), (1.0, 10.0));
        assert_eq!(l.map(&0.0, (0, 100)), 0);
    }

    #[test]
    fn log_axis_spans_whole_decades() {
        let l = LogAxis::new(0.7, 2300.0);
        assert_eq!((l.min(), l.max()), (0.1, 10000.0));
        assert_eq!(l.ticks(10), vec![0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0]);
        assert_eq!(l.map(&100.0, (0, 500)), 300);
        let short = LogAxis::new(3.0, 40.0);
        assert_eq!(
            short.ticks(10),
            vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
        );
        assert_eq!(fmt_ms(10000.0), "10,000");
        assert_eq!(fmt_ms(0.05), "0.05");
    }

    #[test]
    fn labels_are_cleaned_and_shortened_in_the_middle() {
        assert_eq!(clean("a\u{1}b\n\tc  "), "a b c");
        let long = "GET /api/v1/customers/{id}/orders/{order}/items/{item}/history";
        let s = ellipsize(long, 200.0, 14.0);
        assert!(text_width(&s, 14.0) <= 200.0, "{s}");
        assert!(
            s.starts_with("GET /api") && s.ends_with("history") && s.contains('…'),
            "{s}"
        );
        assert_eq!(ellipsize("short", 200.0, 14.0), "short");
        assert_eq!(fmt_num(12500.0), "12.5k");
        assert_eq!(fmt_num(0.25), "0.25");
        assert_eq!(fmt_num(0.0002), "0.0002");
        assert_eq!(fmt_num(0.0015), "0.0015");
        assert_eq!(fmt_num(1500.0), "1,500");
        assert_eq!(fmt_seconds(3600), "1 h");
        assert_eq!(fmt_seconds(300), "5 min");
        assert_eq!(fmt_seconds(90), "90 s");
    }
}
