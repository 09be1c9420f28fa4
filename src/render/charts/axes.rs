//! Shared chart parts: UTC time axes, log axes, text fitting, incident
//! shading, legends and the SVG canvas.
//!
//! Input: values from the report (RFC 3339 times, milliseconds, names from
//! logs). Output: plotters coordinate specs with round ticks, cleaned and
//! shortened labels, and drawing helpers. Text widths are estimated (no font
//! files), on the wide side, so labels that fit here fit in a browser.

use std::error::Error;
use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::palette::{Palette, Rgb};
use crate::analyze::summary::{ServiceStats, Summary};
use crate::render::view::View;

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

// ---------------------------------------------------------------- text

/// Text from logs made safe to place in a label: control characters (which
/// XML forbids even escaped) become spaces, runs of white space collapse.
/// Markup characters stay; the SVG backend escapes `<>&"'`.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let c = if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' {
            ' '
        } else {
            c
        };
        if c.is_whitespace() {
            if !space && !out.is_empty() {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Advance of `c` in em, a little above DejaVu Sans and Arial so an
/// estimate that fits on screen fits in either.
fn char_width(c: char) -> f64 {
    match c {
        'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | ' ' => 0.34,
        'f' | 't' | 'r' | '(' | ')' | '[' | ']' | '{' | '}' | '/' | '-' => 0.45,
        'm' | 'w' | 'M' | 'W' | '@' | '%' => 0.95,
        'A'..='Z' => 0.75,
        '0'..='9' => 0.64,
        c if (c as u32) >= 0x1100 => 1.0,
        _ => 0.62,
    }
}

/// Estimated width of `s` drawn with plotters at size `px` (plotters writes
/// `font-size = px / 1.24`).
pub fn text_width(s: &str, px: f64) -> f64 {
    s.chars().map(char_width).sum::<f64>() * px / 1.24
}

/// `s` shortened in the middle with `…` so it is at most `max_px` wide; the
/// start and the end (which tell operations apart) are kept.
pub fn ellipsize(s: &str, max_px: f64, px: f64) -> String {
    if text_width(s, px) <= max_px {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let budget = max_px - text_width("…", px);
    let (mut head, mut tail) = (0usize, 0usize);
    let mut used = 0.0;
    // Take characters alternately from both ends, two from the head per one
    // from the tail: the method and path prefix matter most.
    loop {
        let take_head = head <= 2 * tail + 1;
        let idx = if take_head {
            head
        } else {
            chars.len() - 1 - tail
        };
        if head + tail >= chars.len() {
            break;
        }
        let w = char_width(chars[idx]) * px / 1.24;
        if used + w > budget {
            break;
        }
        used += w;
        if take_head {
            head += 1;
        } else {
            tail += 1;
        }
    }
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(chars[chars.len() - tail..].iter());
    out
}

/// Compact number for axis labels: `0`, `0.25`, `12`, `1,500`, `12k`, `3.4M`.
pub fn fmt_num(v: f64) -> String {
    let a = v.abs();
    if !v.is_finite() {
        return String::new();
    }
    if a >= 1e6 {
        trim(format!("{:.1}", v / 1e6)) + "M"
    } else if a >= 1e4 {
        trim(format!("{:.1}", v / 1e3)) + "k"
    } else if a >= 1000.0 {
        super::super::thousands(v.round() as u64)
    } else if a >= 10.0 || v == v.round() {
        trim(format!("{v:.1}"))
    } else {
        // Enough decimals for two significant digits: 0.25, 0.0004, 0.0015.
        let decimals = (1.0 - a.log10().floor()).clamp(1.0, 12.0) as usize;
        trim(format!("{v:.decimals$}"))
    }
}

/// A bucket width for people: `1 s`, `30 s`, `5 min`, `1 h`, `1 d`.
pub fn fmt_seconds(s: u64) -> String {
    match s {
        0..=59 => format!("{s} s"),
        _ if s % 86400 == 0 => format!("{} d", s / 86400),
        _ if s % 3600 == 0 => format!("{} h", s / 3600),
        _ if s % 60 == 0 => format!("{} min", s / 60),
        _ => format!("{s} s"),
    }
}

/// Milliseconds for labels: `0.05`, `3.2`, `120`, `1,500`, `25,000`.
pub fn fmt_ms(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    if v >= 1000.0 {
        super::super::thousands(v.round() as u64)
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        trim(format!("{v:.1}"))
    } else {
        trim(format!("{v:.3}"))
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        let t = s.trim_end_matches('0').trim_end_matches('.');
        if t == "-0" {
            "0".into()
        } else {
            t.to_string()
        }
    } else {
        s
    }
}

// ---------------------------------------------------------------- time

const STEPS: [u64; 21] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
    172800, 604800, 2419200,
];

/// A UTC time axis (values in epoch seconds) with ticks on round times:
/// whole seconds, minutes, hours or days, at most as many as fit.
#[derive(Clone, Debug)]
pub struct TimeAxis {
    pub start: f64,
    pub end: f64,
    step: u64,
}

impl TimeAxis {
    /// An axis over `start..end` seconds drawn `width_px` wide.
    pub fn new(start: f64, end: f64, width_px: f64) -> TimeAxis {
        let (start, end) = if start.is_finite() && end.is_finite() && end > start {
            (start, end)
        } else if start.is_finite() {
            (start, start + 60.0)
        } else {
            (0.0, 60.0)
        };
        let span = end - start;
        let mut step = *STEPS.last().unwrap_or(&86400);
        for s in STEPS {
            let label = if span > 86400.0 && s < 86400 {
                "Mar 05 12:00"
            } else if s < 60 {
                "12:00:00"
            } else {
                "12:00"
            };
            let max_ticks = (width_px / (text_width(label, LABEL_PX) + 30.0)).max(2.0);
            if span / s as f64 <= max_ticks {
                step = s;
                break;
            }
        }
        TimeAxis { start, end, step }
    }

    /// Seconds between ticks.
    pub fn step_seconds(&self) -> u64 {
        self.step
    }

    /// The tick times: multiples of the step (in UTC) inside the range.
    pub fn ticks(&self) -> Vec<f64> {
        let step = self.step as f64;
        let mut t = (self.start / step).ceil() * step;
        let mut out = Vec::new();
        while t <= self.end + 1e-6 && out.len() < 1000 {
            out.push(t);
            t += step;
        }
        out
    }

    /// A tick label: `12:05:30`, `12:05`, `Mar 05 12:00` or `Mar 05`.
    pub fn label(&self, t: f64) -> String {
        let Ok(ts) = jiff::Timestamp::from_second(t.round() as i64) else {
            return String::new();
        };
        let fmt = if self.step >= 86400 {
            "%b %d"
        } else if self.end - self.start > 86400.0 {
            "%b %d %H:%M"
        } else if self.step < 60 {
            "%H:%M:%S"
        } else {
            "%H:%M"
        };
        ts.strftime(fmt).to_string()
    }

    /// The axis description: `time (UTC)`, with the date when all ticks share it.
    pub fn desc(&self) -> String {
        let day = |t: f64| {
            jiff::Timestamp::from_second(t.floor() as i64)
                .map(|ts| ts.strftime("%Y-%m-%d").to_string())
                .unwrap_or_default()
        };
        let (a, b) = (day(self.start), day(self.end - 1e-3));
        if a == b {
            format!("time (UTC), {a}")
        } else {
            format!("time (UTC), {a} to {b}")
        }
    }
}

fn map_linear(r: f64, limit: (i32, i32)) -> i32 {
    // Clamped so a stray value cannot overflow the pixel type.
    let r = if r.is_finite() {
        r.clamp(-1.0, 2.0)
    } else {
        0.0
    };
    (limit.0 as f64 + r * (limit.1 - limit.0) as f64).round() as i32
}

impl Ranged for TimeAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        map_linear((v - self.start) / (self.end - self.start), limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        let ticks = self.ticks();
        let max = hint.max_num_points().max(1);
        if ticks.len() <= max {
            return ticks;
        }
        let every = ticks.len().div_ceil(max);
        ticks.into_iter().step_by(every).collect()
    }

    fn range(&self) -> Range<f64> {
        self.start..self.end
    }
}

impl ValueFormatter<f64> for TimeAxis {
    fn format_ext(&self, v: &f64) -> String {
        self.label(*v)
    }
}

// ---------------------------------------------------------------- log scale

/// A base-10 log axis in milliseconds spanning whole decades, ticks on
/// powers of ten (and 2, 5 between them when the range is short).
#[derive(Clone, Debug)]
pub struct LogAxis {
    lo: f64,
    hi: f64,
}

impl LogAxis {
    /// Covers `min..max` (values <= 0 are ignored; defaults to 1..10 ms).
    pub fn new(min: f64, max: f64) -> LogAxis {
        let min = if min.is_finite() && min > 0.0 {
            min
        } else {
            1.0
        };
        let max = if max.is_finite() && max > 0.0 {
            max.max(min)
        } else {
            min * 10.0
        };
        let lo = min.log10().floor().max(-6.0);
        let mut hi = max.log10().ceil().min(12.0);
        if hi <= lo {
            hi = lo + 1.0;
        }
        LogAxis { lo, hi }
    }

    pub fn min(&self) -> f64 {
        10f64.powf(self.lo)
    }

    pub fn max(&self) -> f64 {
        10f64.powf(self.hi)
    }

    /// The smallest value drawn; anything lower (including 0) sits on the floor.
    pub fn floor(&self, v: f64) -> f64 {
        v.max(self.min())
    }

    fn ticks(&self, max: usize) -> Vec<f64> {
        let decades = (self.hi - self.lo) as i32;
        let mults: &[f64] = if decades <= 2 && max > 3 * decades as usize {
            &[1.0, 2.0, 5.0]
        } else {
            &[1.0]
        };
        let every = ((decades as usize + 1).div_ceil(max.max(1))).max(1) as i32;
        let mut out = Vec::new();
        for e in self.lo as i32..=self.hi as i32 {
            if (e - self.lo as i32) % every != 0 {
                continue;
            }
            for m in mults {
                let v = m * 10f64.powi(e);
                if v <= self.max() * 1.0001 {
                    out.push(v);
                }
            }
        }
        out
    }
}

impl Ranged for LogAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let l = if *v > 0.0 { v.log10() } else { self.lo };
        map_linear((l - self.lo) / (self.hi - self.lo), limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        self.ticks(hint.max_num_points())
    }

    fn range(&self) -> Range<f64> {
        self.min()..self.max()
    }
}

impl ValueFormatter<f64> for LogAxis {
    fn format_ext(&self, v: &f64) -> String {
        fmt_ms(*v)
    }
}

// ---------------------------------------------------------------- incidents

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
    let (w, h) = area.dim_in_pixel();
    text(
        area,
        msg,
        (w as i32 / 2, h as i32 / 2),
        18.0,
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
