//! logfmt lines -> records.
//!
//! Input: one line of `key=value` pairs (`time=.. level=info msg="a \"quoted\" text"
//! request_id=abc`), maybe after a leading timestamp; values are bare or quoted with
//! escapes, keys may hold dots and dashes, a key without `=` is a flag. Output: a
//! [`Record`] filled through the same name table as JSON ([`fields::classify`]),
//! then [`super::message::scan`] on `msg`. Heroku's router (`at=info ...
//! service=3ms`) reads `at` as the level and `service=<duration>` as the duration.
//!
//! Values are borrowed from the line; only quoted values with escapes are copied.

use std::borrow::Cow;
use std::sync::Arc;

use memchr::memchr2;

use super::fields::{self, Field, FieldMap};
use super::json::{scan_message, unescape};
use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::{Level, Record};
use crate::ingest::time;

/// Is `line` logfmt? Most of it must be pairs: at least two, few bare words,
/// pairs covering at least half the bytes. Yes when a time, level or message
/// key is among them, Maybe otherwise. One `a=b` inside prose is No.
pub fn sniff(line: &str) -> Sniff {
    let t = line.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        return Sniff::No;
    }
    let (_, rest) = leading_time(line);
    let mut pairs = 0usize;
    let mut bare = 0usize;
    let mut covered = 0usize;
    let mut known = false;
    for tok in Tokens::new(rest) {
        match tok.value {
            Some(_) if !tok.key.is_empty() => {
                pairs += 1;
                covered += tok.len;
                known |= tok.key == "at"
                    || matches!(
                        fields::classify(tok.key),
                        Some(Field::Time | Field::Level | Field::Message)
                    );
            }
            _ => bare += 1,
        }
    }
    let len = rest.trim().len().max(1);
    if pairs >= 2 && bare * 4 <= pairs && covered * 2 >= len {
        if known {
            Sniff::Yes
        } else {
            Sniff::Maybe
        }
    } else {
        Sniff::No
    }
}

/// The logfmt parser.
#[derive(Debug, Default)]
pub struct LogfmtFormat;

impl LineFormat for LogfmtFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Logfmt
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        parse(line, None, out)
    }
}

/// The logfmt parser for files whose keys the config maps (`[[fields]]`):
/// each key is looked up in the map first.
#[derive(Debug)]
pub struct MappedLogfmt(pub Arc<FieldMap>);

impl LineFormat for MappedLogfmt {
    fn kind(&self) -> FormatKind {
        FormatKind::Logfmt
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        parse(line, Some(&self.0), out)
    }
}

fn parse<'a>(line: &'a str, map: Option<&FieldMap>, out: &mut Record<'a>) -> Parsed {
    let (stamp, rest) = leading_time(line);
    if let Some(s) = stamp {
        out.time_ns = Some(s.ns);
        out.time_without_zone = !s.has_zone;
    }
    let mut pairs = 0usize;
    let mut bare = 0usize;
    for tok in Tokens::new(rest) {
        let (Some(value), false) = (tok.value, tok.key.is_empty()) else {
            // A level word right after the timestamp (`2024-.. INFO a=b`).
            if bare == 0 && pairs == 0 && out.level == Level::Unknown {
                out.level = Level::parse(tok.key);
            }
            bare += 1;
            continue;
        };
        pairs += 1;
        let field = match map {
            Some(map) => map.classify(tok.key),
            None => fields::classify(tok.key),
        };
        match field {
            Some(f) => {
                fields::apply(f, tok.key, value.text(), out);
            }
            None if tok.key == "at" && out.level == Level::Unknown => {
                out.level = Level::parse(value.raw);
            }
            None => {}
        }
    }
    if pairs == 0 || bare > 2 * pairs {
        let indented = line.starts_with([' ', '\t']);
        out.clear();
        return if indented {
            Parsed::Continuation
        } else {
            Parsed::Unparsed
        };
    }
    scan_message(line, out);
    Parsed::Entry
}

/// An ISO timestamp at the start of the line followed by a space, and the rest.
fn leading_time(line: &str) -> (Option<time::Stamp>, &str) {
    let first = line.as_bytes().first();
    if !first.is_some_and(|b| b.is_ascii_digit()) {
        return (None, line);
    }
    match time::parse_iso(line.as_bytes()) {
        Some(s) if matches!(line.as_bytes().get(s.len), Some(b' ' | b'\t')) => {
            (Some(s), line.get(s.len..).unwrap_or(""))
        }
        _ => (None, line),
    }
}

/// A value as written: `raw` is between the quotes for a quoted value.
#[derive(Clone, Copy, Debug)]
struct Value<'a> {
    raw: &'a str,
    escaped: bool,
}

impl<'a> Value<'a> {
    fn text(self) -> Cow<'a, str> {
        if self.escaped {
            Cow::Owned(unescape(self.raw))
        } else {
            Cow::Borrowed(self.raw)
        }
    }
}

/// One token: `key=value`, `key=` (empty value) or a bare word (`value` None).
#[derive(Clone, Copy, Debug)]
struct Token<'a> {
    key: &'a str,
    value: Option<Value<'a>>,
    /// Bytes of the line the token spans.
    len: usize,
}

struct Tokens<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Tokens<'a> {
    fn new(s: &'a str) -> Self {
        Tokens { s, i: 0 }
    }

    /// At `"`: the quoted text's raw content and the index after the closing
    /// quote; an unclosed quote runs to the end of the line.
    fn quoted(&self, open: usize) -> (Value<'a>, usize) {
        let b = self.s.as_bytes();
        let mut j = open + 1;
        let mut escaped = false;
        while let Some(k) = b.get(j..).and_then(|r| memchr2(b'"', b'\\', r)) {
            let k = j + k;
            if b[k] == b'"' {
                let raw = self.s.get(open + 1..k).unwrap_or("");
                return (Value { raw, escaped }, k + 1);
            }
            escaped = true;
            j = k + 2;
        }
        let raw = self.s.get(open + 1..).unwrap_or("");
        (Value { raw, escaped }, b.len())
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let b = self.s.as_bytes();
        while matches!(b.get(self.i), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        let start = self.i;
        if start >= b.len() {
            return None;
        }
        if b[start] == b'"' {
            // A quoted bare word.
            let (v, end) = self.quoted(start);
            self.i = end;
            return Some(Token {
                key: v.raw,
                value: None,
                len: end - start,
            });
        }
        let mut j = start;
        while let Some(&c) = b.get(j) {
            if c == b' ' || c == b'\t' || c == b'=' || c == b'"' {
                break;
            }
            j += 1;
        }
        let key = self.s.get(start..j).unwrap_or("");
        if b.get(j) != Some(&b'=') {
            // A bare word; a stray quote inside it ends nothing.
            while let Some(&c) = b.get(j) {
                if c == b' ' || c == b'\t' {
                    break;
                }
                j += 1;
            }
            self.i = j;
            let word = self.s.get(start..j).unwrap_or("");
            return Some(Token {
                key: word,
                value: None,
                len: j - start,
            });
        }
        let vstart = j + 1;
        let (value, end) = if b.get(vstart) == Some(&b'"') {
            self.quoted(vstart)
        } else {
            let mut e = vstart;
            while let Some(&c) = b.get(e) {
                if c == b' ' || c == b'\t' {
                    break;
                }
                e += 1;
            }
            let raw = self.s.get(vstart..e).unwrap_or("");
            (
                Value {
                    raw,
                    escaped: false,
                },
                e,
            )
        };
        self.i = end;
        Some(Token {
            key,
            value: Some(value),
            len: end - start,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::IdKind;

    fn entry(line: &str) -> Record<'_> {
        let mut r = Record::default();
        assert_eq!(
            LogfmtFormat.parse_line(line, &mut r),
            Parsed::Entry,
            "{line}"
        );
        r
    }

    #[test]
    fn tokens_with_quotes_escapes_and_flags() {
        let toks: Vec<_> =
            Tokens::new(r#"a=1 b="x \"y\" z" c.d-e=f=g flag "quoted word" empty= u="µ""#)
                .map(|t| (t.key, t.value.map(|v| v.text().into_owned())))
                .collect();
        assert_eq!(
            toks,
            vec![
                ("a", Some("1".into())),
                ("b", Some(r#"x "y" z"#.into())),
                ("c.d-e", Some("f=g".into())),
                ("flag", None),
                ("quoted word", None),
                ("empty", Some("".into())),
                ("u", Some("µ".into())),
            ]
        );
        // An unclosed quote runs to the end of the line.
        let t: Vec<_> = Tokens::new(r#"msg="open a=b"#).collect();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].value.unwrap().raw, "open a=b");
    }

    #[test]
    fn go_logrus_line() {
        let r = entry(
            r#"time="2021-09-15T21:17:11.674149Z" level=warning msg="Failed to \"delete\" pod" error="pod not found" uid=be2def59"#,
        );
        assert_eq!(r.time_ns, Some(1_631_740_631_674_149_000));
        assert_eq!(r.level, Level::Warn);
        assert_eq!(r.message, r#"Failed to "delete" pod"#);
        assert!(r.exception);
    }

    #[test]
    fn heroku_router_line() {
        let r = entry(
            r#"at=info method=GET path="/api/items?x=1" host=shop.example.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=https"#,
        );
        assert_eq!(r.level, Level::Info);
        assert_eq!(r.method.as_deref(), Some("GET"));
        assert_eq!(r.path.as_deref(), Some("/api/items?x=1"));
        assert_eq!(
            r.id(IdKind::Request),
            Some("8601b555-6a83-4c12-8269-97c8e32cdb22")
        );
        assert_eq!(r.id_fields, vec!["request_id"]);
        assert_eq!(r.service, None);
        assert_eq!(r.duration_ns, Some(18_000_000));
        assert_eq!(r.status, Some(200));
    }

    #[test]
    fn leading_timestamp_and_level_word() {
        let r = entry("2023-11-14T22:13:20Z INFO trace_id=abc duration=1.5s svc=cart");
        assert_eq!(r.time_ns, Some(1_700_000_000_000_000_000));
        assert_eq!(r.level, Level::Info);
        assert_eq!(r.trace_id.as_deref(), Some("abc"));
        assert_eq!(r.duration_ns, Some(1_500_000_000));
        assert_eq!(r.service.as_deref(), Some("cart"));
        let r =
            entry("logger=settings t=2025-04-24T19:51:48.520963849Z level=info msg=\"Starting\"");
        assert_eq!(r.logger.as_deref(), Some("settings"));
        assert_eq!(r.time_ns.map(|t| t % 1_000_000_000), Some(520_963_849));
    }

    #[test]
    fn non_logfmt_lines() {
        let mut r = Record::default();
        assert_eq!(
            LogfmtFormat.parse_line("panic: foo bar failed baz", &mut r),
            Parsed::Unparsed
        );
        assert_eq!(
            LogfmtFormat.parse_line("   level1.py:10034", &mut r),
            Parsed::Continuation
        );
        assert_eq!(
            LogfmtFormat.parse_line("the user with id=5 was not found in the db", &mut r),
            Parsed::Unparsed
        );
        assert!(r.path.is_none() && r.level == Level::Unknown);
    }

    #[test]
    fn sniff_needs_most_of_the_line_to_be_pairs() {
        assert_eq!(sniff("level=info msg=\"hi there\" a=b"), Sniff::Yes);
        assert_eq!(sniff("at=info method=GET path=/ status=200"), Sniff::Yes);
        assert_eq!(sniff("2023-11-14T22:13:20Z level=info msg=x"), Sniff::Yes);
        assert_eq!(sniff("foo=1 bar=2"), Sniff::Maybe);
        assert_eq!(
            sniff("the user with id=5 was not found in the db"),
            Sniff::No
        );
        assert_eq!(sniff("Connection closed by 1.2.3.4 port=22"), Sniff::No);
        assert_eq!(sniff(r#"{"level":"info"}"#), Sniff::No);
        assert_eq!(sniff("a=b"), Sniff::No);
        assert_eq!(sniff(""), Sniff::No);
    }
}
