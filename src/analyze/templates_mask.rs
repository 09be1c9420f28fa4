//! One message -> its masked tokens: the variable parts replaced by placeholders.
//!
//! Input: a log message. Output: whitespace-separated tokens where UUIDs
//! (`<UUID>`), IPv4 addresses with optional port (`<IP>`), hex ids of 8+ hex
//! digits or `0x...` (`<HEX>`), durations with a unit (`<DUR>`), numbers
//! (`<NUM>`) and closed quoted strings (`"<STR>"`, `'<STR>'`) are masked.
//! Tokens are split further at `= / , ; : ( ) [ ] { } < >` so `id=42`,
//! `/stock/4711` and `host:8080` keep their names and lose their values.

/// Masks a message: its tokens, joined by single spaces.
pub fn mask(message: &str) -> String {
    let unquoted = mask_quotes(message);
    let mut out = String::with_capacity(unquoted.len());
    for tok in unquoted.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        mask_token(&mut out, tok);
    }
    out
}

/// Replaces the content of closed `"..."` and `'...'` strings with `<STR>`.
/// A single quote opens only after a non-alphanumeric character and closes
/// only before one, so apostrophes (`can't`) are left alone.
fn mask_quotes(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        let q = b[i];
        let opens = (q == b'"' || q == b'\'') && (i == 0 || !b[i - 1].is_ascii_alphanumeric());
        if opens {
            if let Some(len) = b[i + 1..].iter().position(|&c| c == q) {
                let close = i + 1 + len;
                let closes =
                    q == b'"' || close + 1 == b.len() || !b[close + 1].is_ascii_alphanumeric();
                if closes && len > 0 {
                    out.push_str(&s[copied..=i]);
                    out.push_str("<STR>");
                    copied = close;
                    i = close + 1;
                    continue;
                }
            }
        }
        i += 1;
    }
    out.push_str(&s[copied..]);
    out
}

fn is_delim(c: char) -> bool {
    matches!(
        c,
        '=' | '/' | ',' | ';' | ':' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | '"' | '\''
    )
}

/// Masks one whitespace token: whole-token classes first (so `10.0.0.7:8080`
/// stays one `<IP>`), then each part between delimiters.
fn mask_token(out: &mut String, tok: &str) {
    if tok == "\"<STR>\"" || tok == "'<STR>'" {
        out.push_str(tok);
        return;
    }
    // Trailing sentence punctuation is not part of the value.
    let core = tok.trim_end_matches(['.', ',', ';', ':', '!', '?']);
    let tail = &tok[core.len()..];
    if let Some(class) = classify(core) {
        out.push_str(class);
        out.push_str(tail);
        return;
    }
    // A placeholder's own brackets are delimiters and come back unchanged.
    let mut start = 0;
    for (i, c) in tok.char_indices() {
        if is_delim(c) {
            push_part(out, &tok[start..i]);
            out.push(c);
            start = i + c.len_utf8();
        }
    }
    push_part(out, &tok[start..]);
}

fn push_part(out: &mut String, part: &str) {
    if part.is_empty() {
        return;
    }
    if part == "STR" || part == "NUM" || part == "HEX" {
        out.push_str(part);
        return;
    }
    match classify(part) {
        Some(class) => out.push_str(class),
        None => mask_digit_runs(out, part),
    }
}

/// Any run of digits left inside a word (`item-123`, `pod7`) becomes `<NUM>`.
fn mask_digit_runs(out: &mut String, part: &str) {
    let mut in_digits = false;
    for c in part.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push_str("<NUM>");
                in_digits = true;
            }
        } else {
            in_digits = false;
            out.push(c);
        }
    }
}

/// The placeholder for a whole value, if it is one.
fn classify(s: &str) -> Option<&'static str> {
    if s.is_empty() {
        return None;
    }
    if is_uuid(s) {
        Some("<UUID>")
    } else if is_ipv4(s) {
        Some("<IP>")
    } else if is_number(s) {
        Some("<NUM>")
    } else if is_duration(s) {
        Some("<DUR>")
    } else if is_hex(s) {
        Some("<HEX>")
    } else {
        None
    }
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// `10.0.0.7`, `10.0.0.7:8080`.
fn is_ipv4(s: &str) -> bool {
    let (ip, port) = s.split_once(':').unwrap_or((s, "0"));
    let digits = |x: &str, max: usize| {
        !x.is_empty() && x.len() <= max && x.bytes().all(|c| c.is_ascii_digit())
    };
    ip.split('.').count() == 4 && ip.split('.').all(|o| digits(o, 3)) && digits(port, 5)
}

/// `42`, `-1`, `3.14`, `+7`, `1e9` (`1,000` is two numbers: the comma splits).
fn is_number(s: &str) -> bool {
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    t.as_bytes().first().is_some_and(u8::is_ascii_digit) && t.parse::<f64>().is_ok()
}

/// `5000ms`, `1.5s`, `250us`, `3m`, `2h`, `120µs`, `1m30s`.
fn is_duration(s: &str) -> bool {
    let mut rest = s;
    let mut any = false;
    while !rest.is_empty() {
        let num = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num == 0 {
            return false;
        }
        let after = &rest[num..];
        let unit = ["ms", "us", "µs", "ns", "s", "m", "h", "d"]
            .into_iter()
            .find(|u| after.starts_with(u));
        match unit {
            Some(u) => rest = &after[u.len()..],
            None => return false,
        }
        any = true;
    }
    any
}

/// `0x1f`, or 8+ hex digits with at least one digit (`4b9cb2df59857d06`).
fn is_hex(s: &str) -> bool {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return !h.is_empty() && h.bytes().all(|c| c.is_ascii_hexdigit());
    }
    s.len() >= 8
        && s.bytes().all(|c| c.is_ascii_hexdigit())
        && s.bytes().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> String {
        mask(s)
    }

    #[test]
    fn masks_values_keeps_words() {
        assert_eq!(
            m("timeout after 5000 ms calling 10.0.0.7:8080"),
            "timeout after <NUM> ms calling <IP>"
        );
        assert_eq!(m("took 1.5s (limit 500ms)."), "took <DUR> (limit <DUR>).");
        assert_eq!(
            m("order 550e8400-e29b-41d4-a716-446655440000 failed"),
            "order <UUID> failed"
        );
        assert_eq!(
            m("trace=4b9cb2df59857d06 span 0x1F ok"),
            "trace=<HEX> span <HEX> ok"
        );
        assert_eq!(m("GET /stock/4711 -> 500"), "GET /stock/<NUM> -> <NUM>");
        assert_eq!(
            m("pod web-7 restarted, code=-1"),
            "pod web-<NUM> restarted, code=<NUM>"
        );
        // Words made of hex letters only are words.
        assert_eq!(m("deadbeef cafe facade"), "deadbeef cafe facade");
    }

    #[test]
    fn masks_closed_quotes_not_apostrophes() {
        assert_eq!(
            m(r#"user "bob smith" can't reach 'db-3'"#),
            r#"user "<STR>" can't reach '<STR>'"#
        );
        assert_eq!(m(r#"unclosed "quote here"#), r#"unclosed "quote here"#);
        assert_eq!(m("it's fine, isn't it"), "it's fine, isn't it");
    }

    #[test]
    fn odd_input_does_not_panic() {
        for s in [
            "",
            " ",
            "\"",
            "''",
            "µs",
            "1..2",
            "::::",
            "0x",
            "日本 123",
            "a\"b\"c",
        ] {
            let _ = mask(s);
        }
        assert_eq!(m("日本 123"), "日本 <NUM>");
    }
}
