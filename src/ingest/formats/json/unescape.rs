//! JSON string escapes undone.
//!
//! Input: the raw content of a JSON string (between its quotes, as
//! [`super::cursor`] found it). Output: its text. Lenient, so any input gives
//! a text: an unknown or short escape is kept as written and a lone surrogate
//! becomes U+FFFD.

use memchr::memchr;

/// The text of a string's raw content, appended to `out`. Bytes that are not
/// UTF-8 pass through as they are.
pub fn unescape_into(s: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < s.len() {
        let Some(k) = memchr(b'\\', &s[i..]) else {
            out.extend_from_slice(&s[i..]);
            return;
        };
        out.extend_from_slice(&s[i..i + k]);
        i += k;
        let Some(&c) = s.get(i + 1) else {
            out.push(b'\\');
            return;
        };
        let simple = match c {
            b'n' => Some(b'\n'),
            b't' => Some(b'\t'),
            b'r' => Some(b'\r'),
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            b'/' => Some(b'/'),
            b'b' => Some(8),
            b'f' => Some(12),
            _ => None,
        };
        if let Some(v) = simple {
            out.push(v);
            i += 2;
            continue;
        }
        if c == b'u' {
            if let Some(hi) = hex4(s, i + 2) {
                let mut used = 6;
                let ch = if (0xD800..0xDC00).contains(&hi) {
                    match (s.get(i + 6..i + 8), hex4(s, i + 8)) {
                        (Some(b"\\u"), Some(lo)) if (0xDC00..0xE000).contains(&lo) => {
                            used = 12;
                            char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                        }
                        _ => None,
                    }
                } else {
                    char::from_u32(hi)
                };
                let mut tmp = [0u8; 4];
                out.extend_from_slice(ch.unwrap_or('\u{fffd}').encode_utf8(&mut tmp).as_bytes());
                i += used;
                continue;
            }
        }
        out.extend_from_slice(&s[i..i + 2]);
        i += 2;
    }
}

/// The text of a string's raw content from a `&str` line.
pub fn unescape(raw: &str) -> String {
    let mut out = Vec::with_capacity(raw.len());
    unescape_into(raw.as_bytes(), &mut out);
    // Escapes decode to whole characters and everything else is copied from
    // `raw`, so this holds UTF-8; the lossy path is never taken.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Four hex digits at `s[i..]`.
fn hex4(s: &[u8], i: usize) -> Option<u32> {
    let h = s.get(i..i + 4)?;
    let mut v = 0;
    for &c in h {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_is_lenient() {
        assert_eq!(unescape(r"\ud800x"), "\u{FFFD}x");
        assert_eq!(unescape(r"\udc00"), "\u{FFFD}");
        assert_eq!(unescape(r"\uZZZZ"), "\\uZZZZ");
        assert_eq!(unescape(r"\q"), "\\q");
        assert_eq!(unescape("end\\"), "end\\");
        assert_eq!(unescape(r"\u12"), "\\u12");
        assert_eq!(unescape(r"\u12é"), "\\u12é");
        assert_eq!(unescape(r"\é"), "\\é");
    }

    #[test]
    fn unescapes_docker_strings() {
        let mut out = Vec::new();
        unescape_into(br#"a\"b\\c\u003cd\u00e9\ud83d\ude00\ud800x\q\t"#, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a\"b\\c<dé😀\u{fffd}x\\q\t"
        );
        let mut out = Vec::new();
        unescape_into(br"end\", &mut out);
        assert_eq!(out, b"end\\");
    }
}
