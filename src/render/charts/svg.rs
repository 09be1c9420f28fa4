//! A small SVG writer for the hand-laid charts (service map, waterfalls,
//! critical path, error origins).
//!
//! Input: shapes and text in pixel coordinates. Output: SVG text. Every
//! string that may come from logs goes through [`esc`], which also drops the
//! control characters XML 1.0 forbids, so a hostile name is shown as text and
//! the file stays well-formed. Numbers are written with one decimal, so the
//! same input gives byte-identical output. Text width is estimated, not
//! measured (no fonts are loaded): [`text_width`] errs on the wide side so a
//! label shortened with [`ellipsize`] is not cut.

use std::fmt::Write;

/// Default font size of chart text, px.
pub const FONT: f64 = 12.0;

/// Escapes text for SVG/XML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            // Not allowed in XML 1.0 at all, even as references.
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A pixel number: one decimal, no `-0.0`, no NaN.
pub fn num(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 {
        return "0".into();
    }
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// Estimated width of one character at font size 1.
fn char_width(c: char) -> f64 {
    match c {
        'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | ' ' => 0.32,
        'm' | 'w' | 'M' | 'W' | '@' => 0.9,
        'A'..='Z' => 0.7,
        // Shown as U+FFFD (see `esc`).
        c if (c as u32) < 0x20 => 1.0,
        c if c.is_ascii() => 0.58,
        // CJK, emoji and other wide scripts.
        c if (c as u32) >= 0x1100 => 1.0,
        _ => 0.62,
    }
}

/// Estimated width of `s` at `size` px.
pub fn text_width(s: &str, size: f64) -> f64 {
    s.chars().map(char_width).sum::<f64>() * size
}

/// `s` shortened with `…` so it fits in `max_px` at `size` px.
pub fn ellipsize(s: &str, max_px: f64, size: f64) -> String {
    if text_width(s, size) <= max_px {
        return s.to_string();
    }
    let budget = max_px - char_width('…') * size;
    let mut used = 0.0;
    let mut out = String::new();
    for c in s.chars() {
        used += char_width(c) * size;
        if used > budget {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// `s` shortened in the middle with `…` so it fits in `max_px`: keeps the
/// start and the end, which for operations (`pkg.Service/Method`,
/// `GET /api/.../{id}`) are the parts that tell them apart.
pub fn ellipsize_middle(s: &str, max_px: f64, size: f64) -> String {
    if text_width(s, size) <= max_px {
        return s.to_string();
    }
    let budget = (max_px - char_width('…') * size).max(0.0);
    let chars: Vec<char> = s.chars().collect();
    let (mut head, mut tail) = (0usize, 0usize);
    let mut used = 0.0;
    // Take from the end twice as fast as from the start.
    loop {
        let take_tail = tail < 2 * head + 2;
        let idx = if take_tail {
            chars.len() - 1 - tail
        } else {
            head
        };
        if head + tail >= chars.len() {
            break;
        }
        let w = char_width(chars[idx]) * size;
        if used + w > budget {
            break;
        }
        used += w;
        if take_tail {
            tail += 1;
        } else {
            head += 1;
        }
    }
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// Thousands separators for counts.
pub fn count(n: u64) -> String {
    crate::render::thousands(n)
}

/// Milliseconds for labels: `0.42 ms`, `12.3 ms`, `1,234 ms`, `12.3 s`.
pub fn ms(v: f64) -> String {
    let v = if v.is_finite() { v.max(0.0) } else { 0.0 };
    if v >= 10_000.0 {
        format!("{:.1} s", v / 1000.0)
    } else if v >= 1000.0 {
        format!("{} ms", count(v.round() as u64))
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

/// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `target` ticks over `range`.
pub fn nice_step(range: f64, target: f64) -> f64 {
    if !(range.is_finite() && range > 0.0) {
        return 1.0;
    }
    let raw = range / target.max(1.0);
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let k = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    k * mag
}

/// A tick step for an axis `px` wide showing `0..=max`, at least `min_step`.
pub fn axis_step(px: f64, max: f64, min_step: f64) -> f64 {
    nice_step(max, (px / 90.0).clamp(2.0, 10.0)).max(min_step)
}

/// A tick label for a value on an axis of step `step`.
pub fn tick_label(v: f64, step: f64) -> String {
    if step >= 1.0 {
        count(v.round().max(0.0) as u64)
    } else {
        let decimals = (-step.log10().floor()) as usize;
        format!("{v:.decimals$}")
    }
}

/// An SVG document under construction.
pub struct Svg {
    out: String,
}

impl Svg {
    /// Starts a `width` x `height` document with a white background and a
    /// title line at the top (also the document's `<title>`).
    pub fn new(width: f64, height: f64, title: &str) -> Svg {
        let mut out = String::with_capacity(8192);
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" font-family=\"DejaVu Sans, Arial, Helvetica, sans-serif\" \
             font-size=\"{f}\">\n<title>{t}</title>\n\
             <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n",
            w = num(width),
            h = num(height),
            f = num(FONT),
            t = esc(title),
        );
        let mut svg = Svg { out };
        let shown = ellipsize(title, width - 32.0, 16.0 * 1.1);
        svg.text(
            16.0,
            26.0,
            &shown,
            "start",
            16.0,
            "#222222",
            "font-weight=\"bold\"",
        );
        svg
    }

    /// Raw markup written by this crate (never log text).
    pub fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, extra: &str) {
        let _ = writeln!(
            self.out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"{}{extra}/>",
            num(x),
            num(y),
            num(w.max(0.0)),
            num(h.max(0.0)),
            if extra.is_empty() { "" } else { " " },
        );
    }

    /// A rect with a tooltip (`<title>`), escaped.
    #[allow(clippy::too_many_arguments)]
    pub fn rect_tip(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, extra: &str, tip: &str) {
        let _ = writeln!(
            self.out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"{}{extra}><title>{}</title></rect>",
            num(x),
            num(y),
            num(w.max(0.0)),
            num(h.max(0.0)),
            if extra.is_empty() { "" } else { " " },
            esc(tip),
        );
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, extra: &str) {
        let _ = writeln!(
            self.out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\"{}{extra}/>",
            num(x1),
            num(y1),
            num(x2),
            num(y2),
            if extra.is_empty() { "" } else { " " },
        );
    }

    /// Text at (x, y baseline); `anchor` is `start`, `middle` or `end`.
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &mut self,
        x: f64,
        y: f64,
        s: &str,
        anchor: &str,
        size: f64,
        fill: &str,
        extra: &str,
    ) {
        let _ = writeln!(
            self.out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" font-size=\"{}\" fill=\"{fill}\"{}{extra}>{}</text>",
            num(x),
            num(y),
            num(size),
            if extra.is_empty() { "" } else { " " },
            esc(s),
        );
    }

    /// A horizontal value axis from `x0` to `x1` for values `0..=max`, with
    /// ticks every `step`, grid lines from `y` down to `grid_bottom` and a
    /// label under it.
    #[allow(clippy::too_many_arguments)]
    pub fn x_axis(
        &mut self,
        x0: f64,
        x1: f64,
        y: f64,
        grid_bottom: f64,
        max: f64,
        step: f64,
        label: &str,
        fmt: &dyn Fn(f64, f64) -> String,
    ) {
        let span = (x1 - x0).max(1.0);
        let max = if max > 0.0 { max } else { 1.0 };
        let step = if step > 0.0 { step } else { max };
        let mut i = 0u32;
        loop {
            let v = step * f64::from(i);
            if v > max * (1.0 + 1e-9) || i > 50 {
                break;
            }
            let x = x0 + v / max * span;
            self.line(x, y, x, grid_bottom, "#e3e3e3", "");
            self.line(x, grid_bottom, x, grid_bottom + 4.0, "#555555", "");
            self.text(
                x,
                grid_bottom + 16.0,
                &fmt(v, step),
                "middle",
                11.0,
                "#444444",
                "",
            );
            i += 1;
        }
        self.line(x0, grid_bottom, x1, grid_bottom, "#555555", "");
        self.text(
            (x0 + x1) / 2.0,
            grid_bottom + 34.0,
            label,
            "middle",
            FONT,
            "#333333",
            "",
        );
    }

    /// A note in the middle of an empty chart.
    pub fn empty_note(&mut self, width: f64, height: f64, note: &str) {
        self.text(
            width / 2.0,
            height / 2.0,
            note,
            "middle",
            14.0,
            "#666666",
            "",
        );
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

/// The palette all charts share: one colour per service in the summary.
pub fn palette(summary: &crate::analyze::summary::Summary) -> super::palette::Palette {
    super::axes::palette(summary)
}

/// A legend entry: label, swatch fill, extra swatch attributes.
pub type LegendItem<'a> = (String, String, &'a str);

/// Where each legend entry goes: (x offset, row), wrapping within `width`.
fn legend_places(width: f64, items: &[LegendItem<'_>]) -> Vec<(f64, usize, String)> {
    let mut cx = 0.0;
    let mut row = 0;
    let mut out = Vec::new();
    for (label, _, _) in items {
        let shown = ellipsize(label, 420.0, 11.0);
        let w = 18.0 + text_width(&shown, 11.0) + 16.0;
        if cx > 0.0 && cx + w > width {
            cx = 0.0;
            row += 1;
        }
        out.push((cx, row, shown));
        cx += w;
    }
    out
}

/// Height a legend of `items` takes within `width`.
pub fn legend_height(width: f64, items: &[LegendItem<'_>]) -> f64 {
    legend_places(width, items)
        .last()
        .map_or(0.0, |p| (p.1 + 1) as f64 * 18.0)
}

/// Swatches with labels, wrapped into rows within `width`, from (x, y baseline).
pub fn legend(svg: &mut Svg, x: f64, y: f64, width: f64, items: &[LegendItem<'_>]) {
    for ((_, color, style), (dx, row, shown)) in items.iter().zip(legend_places(width, items)) {
        let cy = y + row as f64 * 18.0;
        svg.rect(x + dx, cy - 10.0, 12.0, 12.0, color, style);
        svg.text(
            x + dx + 17.0,
            cy,
            &shown,
            "start",
            11.0,
            "#333333",
            "class=\"legend\"",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            esc("/<script>alert(\"x\")</script>&'"),
            "/&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"
        );
        assert_eq!(esc("a\u{1}b\nc"), "a\u{fffd}b c");
    }

    #[test]
    fn numbers_are_stable() {
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(ms(0.5), "0.50 ms");
        assert_eq!(ms(1234.4), "1,234 ms");
        assert_eq!(ms(25_000.0), "25.0 s");
    }

    #[test]
    fn ellipsis_fits_the_budget() {
        let long = "GET /api/v1/orders/{id}/items/{item}/history";
        let short = ellipsize(long, 120.0, 12.0);
        assert!(short.ends_with('…'), "{short}");
        assert!(text_width(&short, 12.0) <= 120.0);
        assert_eq!(ellipsize("auth", 120.0, 12.0), "auth");
        assert_eq!(ellipsize("abc", 0.0, 12.0), "…");
    }

    #[test]
    fn middle_ellipsis_keeps_both_ends() {
        let op = "hipstershop.CheckoutService/PlaceOrder";
        let short = ellipsize_middle(op, 150.0, 11.0);
        assert!(
            short.starts_with("hip") && short.ends_with("PlaceOrder"),
            "{short}"
        );
        assert!(short.contains('…'));
        assert!(text_width(&short, 11.0) <= 150.0);
        assert_eq!(ellipsize_middle(op, 1000.0, 11.0), op);
        assert_eq!(ellipsize_middle(op, 0.0, 11.0), "…");
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(1000.0, 5.0), 200.0);
        assert_eq!(nice_step(7.0, 5.0), 2.0);
        assert_eq!(nice_step(0.0, 5.0), 1.0);
        assert_eq!(tick_label(0.25, 0.05), "0.25");
    }
}
