//! Results -> text for people and machines. Renderers return strings or
//! bytes; [`files`] lists a report folder's files and [`crate::output`] writes them.
//!
//! [`inspect`] renders what each file is, [`terminal`] the report's summary
//! for a terminal, [`waterfall`] one trace as a text waterfall, [`charts`]
//! the report's SVG charts, [`markdown`] and [`html`] the postmortem summary
//! (`summary.md`, `index.html`, both from one [`document`]) and [`png`] the
//! charts as PNG. The helpers below keep numbers and columns alike across them.

pub mod charts;
pub mod document;
pub mod files;
pub mod html;
pub mod inspect;
pub mod markdown;
pub mod png;
pub mod safe;
pub mod terminal;
pub mod waterfall;

/// `12345678` -> `12,345,678`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes as `512 B`, `12.3 KB`, `4.5 MB`, `1.2 GB`.
pub fn bytes(n: u64) -> String {
    let n = n as f64;
    if n < 1e3 {
        format!("{n} B")
    } else if n < 1e6 {
        format!("{:.1} KB", n / 1e3)
    } else if n < 1e9 {
        format!("{:.1} MB", n / 1e6)
    } else {
        format!("{:.2} GB", n / 1e9)
    }
}

/// A percentage with one decimal; `n/a` for an empty whole (a share of
/// nothing is unknown, not 0%).
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "n/a".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// Milliseconds for a table: `0.42`, `12.3`, `812`, `12,345`.
pub fn ms(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    if a < 10.0 {
        format!("{v:.2}")
    } else if a < 100.0 {
        format!("{v:.1}")
    } else if a < 1e15 {
        let s = thousands(a.round() as u64);
        if v < 0.0 {
            format!("-{s}")
        } else {
            s
        }
    } else {
        format!("{v:.3e}")
    }
}

/// A share (0..=1) as a percentage with one decimal.
pub fn rate(r: f64) -> String {
    if !r.is_finite() {
        return "-".into();
    }
    format!("{:.1}%", r * 100.0)
}

/// How many terminal columns `s` takes: characters, ANSI colour codes not counted.
pub fn width(s: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for c in s.chars() {
        if in_escape {
            in_escape = !c.is_ascii_alphabetic();
        } else if c == '\x1b' {
            in_escape = true;
        } else {
            n += 1;
        }
    }
    n
}

/// `s` made safe for a terminal ([`safe::terminal`]) and cut to `w` columns,
/// ending in `…` when cut.
pub fn shorten(s: &str, w: usize) -> String {
    let s = &*safe::terminal(s);
    if s.chars().count() <= w {
        return s.to_owned();
    }
    if w == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(w - 1).collect();
    out.push('…');
    out
}

/// `s` shortened to `w` columns and padded with spaces to exactly `w` (left-aligned).
pub fn cell(s: &str, w: usize) -> String {
    let s = shorten(s, w);
    let pad = w.saturating_sub(s.chars().count());
    format!("{s}{}", " ".repeat(pad))
}

/// `s` shortened to `w` columns and right-aligned in exactly `w`.
pub fn rcell(s: &str, w: usize) -> String {
    let s = shorten(s, w);
    let pad = w.saturating_sub(s.chars().count());
    format!("{}{s}", " ".repeat(pad))
}

/// ANSI styling that is a no-op when colour is off.
#[derive(Clone, Copy, Debug)]
pub struct Paint {
    pub color: bool,
}

impl Paint {
    fn wrap(self, code: &str, s: &str) -> String {
        if self.color && !s.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    pub fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }
    pub fn dim(self, s: &str) -> String {
        self.wrap("2", s)
    }
    pub fn red(self, s: &str) -> String {
        self.wrap("31", s)
    }
    pub fn yellow(self, s: &str) -> String {
        self.wrap("33", s)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_keep_their_width() {
        assert_eq!(super::cell("payments", 5), "paym…");
        assert_eq!(super::cell("ab", 4), "ab  ");
        assert_eq!(super::rcell("12", 4), "  12");
        assert_eq!(super::shorten("abc", 0), "");
        let red = super::Paint { color: true }.red("x✗");
        assert_eq!(super::width(&red), 2);
        assert_eq!(super::Paint { color: false }.red("x"), "x");
    }

    #[test]
    fn milliseconds_read_well() {
        assert_eq!(super::ms(0.4249), "0.42");
        assert_eq!(super::ms(12.34), "12.3");
        assert_eq!(super::ms(12345.6), "12,346");
        assert_eq!(super::ms(-250.0), "-250");
        assert_eq!(super::ms(f64::NAN), "-");
        assert_eq!(super::rate(0.0812), "8.1%");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(1234567), "1,234,567");
        assert_eq!(super::bytes(1_500_000), "1.5 MB");
        assert_eq!(super::percent(1, 3), "33.3%");
        assert_eq!(super::percent(0, 0), "n/a");
    }
}
