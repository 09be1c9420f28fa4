//! Text from logs -> text that is safe to print on a terminal.
//!
//! Service, operation and file names, error templates, ids and log lines come
//! from files an attacker may have written. Printed raw, `\x1b[2J` clears the
//! screen, `\x1b]0;...\x07` retitles the window, and a right-to-left override
//! reorders what the reader sees. [`terminal`] is the one function every
//! renderer passes such text through before it is printed (the table helpers
//! [`crate::render::shorten`], [`crate::render::cell`] and [`crate::render::rcell`] call it, so every
//! cell is covered); `main` passes error messages through it line by line.
//! The Markdown writers escape the same characters the same way.

use std::borrow::Cow;

/// `s` with every control character (C0, DEL, C1) and every bidirectional
/// formatting character shown as its escape, `\u001b` for ESC; a tab becomes a
/// space. The rest, other languages and emoji included, is kept as it is.
pub fn terminal(s: &str) -> Cow<'_, str> {
    // Plain ASCII text, nearly all of it, needs no copy.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) || !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if c == '\t' {
            out.push(' ');
        } else if unsafe_char(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A character a terminal acts on, or that changes the order text is shown in.
pub fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_reach_the_terminal_as_text() {
        let hostile = "svc\u{1b}[2J\u{1b}]0;pwned\u{7}";
        assert_eq!(terminal(hostile), "svc\\u001b[2J\\u001b]0;pwned\\u0007");
        assert_eq!(
            terminal("a\nb\rc\u{7f}d\u{9b}e"),
            "a\\u000ab\\u000dc\\u007fd\\u009be"
        );
        assert_eq!(terminal("evil\u{202e}gnp.exe"), "evil\\u202egnp.exe");
        assert_eq!(terminal("a\tb"), "a b");
    }

    #[test]
    fn plain_text_is_borrowed_and_kept() {
        for s in ["GET /api/orders/{id}", "", "zürich 東京 ✗ █", "\\u001b"] {
            let out = terminal(s);
            assert_eq!(out, s);
            assert!(matches!(out, Cow::Borrowed(_)), "{s}");
        }
    }
}
