//! Chart text: labels from logs made safe and fitted, and numbers written short.
//!
//! Input: names and numbers from the report. Output: cleaned labels, their
//! estimated width (no font files; on the wide side, so what fits here fits in
//! a browser), ellipsized labels, and `1.2k`, `45 s`, `12.5` style numbers.

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
        crate::units::thousands(v.round() as u64)
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
        crate::units::thousands(v.round() as u64)
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
