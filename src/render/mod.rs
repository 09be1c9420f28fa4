//! Results -> text for people and machines. Renderers return strings or
//! bytes; [`files`] lists a report folder's files and [`crate::output`] writes them.
//! The report's renderers read a [`view::View`]: the summary with its times
//! parsed and its listed traces found, once.
//!
//! [`inspect`] renders what each file is, [`terminal`] the report's summary
//! for a terminal, [`waterfall`] one trace as a text waterfall, [`charts`]
//! the report's SVG charts, [`markdown`] and [`html`] the postmortem summary
//! (`summary.md`, `index.html`, both from one [`document`]) and [`png`] the
//! charts as PNG; [`confidence`] words how sure the call chains are for all of them. The helpers below keep columns alike across them; numbers
//! are written by [`crate::units`], names from logs made safe by [`crate::safe`].

pub mod charts;
pub mod confidence;
pub mod document;
pub mod files;
pub mod html;
pub mod inspect;
pub mod markdown;
pub mod png;
pub mod terminal;
pub mod view;
pub mod waterfall;

pub use crate::units::{bytes, ms, percent, rate, thousands};

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

/// `s` made safe for a terminal ([`crate::safe::terminal`]) and cut to `w` columns,
/// ending in `…` when cut.
pub fn shorten(s: &str, w: usize) -> String {
    let s = &*crate::safe::terminal(s);
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
}
