//! JSON lines -> records.
//!
//! Input: one line holding one JSON object (`{"ts":"..","level":"info","msg":".."}`).
//! Output: a [`Record`] with what the keys [`fields::classify`] knows say (time,
//! level, message, service, correlation ids, duration, HTTP fields, logger, error),
//! then whatever [`message::scan`] finds in the message. A line that is not a
//! complete JSON object (truncated, junk, an array) is [`Parsed::Unparsed`].
//!
//! No tree is built: a small scanner walks the object once. Strings are borrowed
//! from the line and unescaped into an owned string only when they hold a
//! backslash and their key is used. Objects under a few well-known keys
//! (`service`, `http`, `trace`, `log`, `fields`, `request`, ...) are read, so
//! `{"service":{"name":"x"}}` means `service.name`; everything else is skipped by
//! a validating walk that allocates nothing.

use std::borrow::Cow;
use std::sync::Arc;

use memchr::{memchr2, memmem};

use super::fields::{self, Field, FieldMap};
use super::message;
use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::{DurationSource, IdKind, Level, Record};

/// Deeper nesting is refused (the walk is recursive; this guards the stack).
const MAX_DEPTH: u32 = 128;
/// Known containers are read this many levels down (`http.request.method` is 3).
const MAX_DESCENT: u32 = 4;

/// Is `line` a JSON line? Yes for a complete object, Maybe for what starts like
/// one but does not parse (a truncated first line), No otherwise.
pub fn sniff(line: &str) -> Sniff {
    if !line.trim_start().starts_with('{') {
        return Sniff::No;
    }
    let mut sc = Scanner::new(line);
    sc.ws();
    if sc.skip(0).is_some() && sc.at_end() {
        Sniff::Yes
    } else {
        Sniff::Maybe
    }
}

/// The JSON lines parser.
#[derive(Debug, Default)]
pub struct JsonFormat;

impl LineFormat for JsonFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Json
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        parse(line, None, out)
    }
}

/// The JSON lines parser for files whose field names the config maps
/// (`[[fields]]`): their top-level keys are looked up in the map first.
#[derive(Debug)]
pub struct MappedJson(pub Arc<FieldMap>);

impl LineFormat for MappedJson {
    fn kind(&self) -> FormatKind {
        FormatKind::Json
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        parse(line, Some(&self.0), out)
    }
}

fn parse<'a>(line: &'a str, map: Option<&FieldMap>, out: &mut Record<'a>) -> Parsed {
    let mut sc = Scanner::new(line);
    sc.map = map;
    sc.ws();
    if sc.peek() != Some(b'{') {
        return Parsed::Unparsed;
    }
    if sc.object(&Path::TOP, 0, out).is_none() || !sc.at_end() {
        // Fields read before the error must not leak into the next line.
        out.clear();
        return Parsed::Unparsed;
    }
    scan_message(line, out);
    Parsed::Entry
}

/// Runs [`message::scan`] on the record's message.
///
/// A borrowed message is scanned in place. An owned one (it had escapes) cannot
/// lend `'a` references, so it is scanned into a scratch record whose finds are
/// copied over as owned strings; id field names are looked up in the line so
/// they can still be borrowed. Only lines that already allocated pay for this.
pub(crate) fn scan_message<'a>(line: &'a str, out: &mut Record<'a>) {
    if out.message.is_empty() {
        return;
    }
    if let Cow::Borrowed(m) = out.message {
        message::scan(m, out);
        return;
    }
    let msg = std::mem::take(&mut out.message);
    let mut tmp = Record::default();
    message::scan(&msg, &mut tmp);
    transfer(tmp, line, out);
    out.message = msg;
}

/// Copies what `tmp` found into the still-empty fields of `out`.
fn transfer<'a>(tmp: Record<'_>, line: &'a str, out: &mut Record<'a>) {
    fn own<'a>(c: &Option<Cow<'_, str>>) -> Option<Cow<'a, str>> {
        c.as_deref().map(|c| Cow::Owned(c.to_owned()))
    }
    if out.time_ns.is_none() && tmp.time_ns.is_some() {
        out.time_ns = tmp.time_ns;
        out.time_without_date = tmp.time_without_date;
        out.time_without_zone = tmp.time_without_zone;
    }
    if out.level == Level::Unknown {
        out.level = tmp.level;
    }
    out.status = out.status.or(tmp.status);
    if let (None, Some(ns), Some(src)) = (out.duration_ns, tmp.duration_ns, tmp.duration_source) {
        // Found in the message: named after it, as every duration in prose is.
        let source = DurationSource {
            field: "message",
            ..src
        };
        out.set_duration(ns, source);
    }
    out.upstream_ns = out.upstream_ns.or(tmp.upstream_ns);
    out.exception |= tmp.exception;
    for (dst, src) in [
        (&mut out.service, &tmp.service),
        (&mut out.method, &tmp.method),
        (&mut out.path, &tmp.path),
        (&mut out.route, &tmp.route),
        (&mut out.logger, &tmp.logger),
    ] {
        if dst.is_none() {
            *dst = own(src);
        }
    }
    // Ids under the names they were found by, borrowed from the line where it holds them.
    let mut done = [false; 4];
    for name in tmp.id_fields.iter() {
        let Some(Field::Id(kind)) = fields::classify(name) else {
            continue;
        };
        let (Some(v), false) = (tmp.id(kind), done[kind as usize]) else {
            continue;
        };
        done[kind as usize] = true;
        let field = memmem::find(line.as_bytes(), name.as_bytes())
            .and_then(|i| line.get(i..i + name.len()))
            .unwrap_or(kind_name(kind));
        out.put_id(kind, Cow::Owned(v.to_owned()), field);
    }
    for kind in IdKind::ALL {
        if let (Some(v), false) = (tmp.id(kind), done[kind as usize]) {
            out.put_id(kind, Cow::Owned(v.to_owned()), kind_name(kind));
        }
    }
}

/// The field name reported for an id whose key is not a plain slice of the line.
fn kind_name(kind: IdKind) -> &'static str {
    match kind {
        IdKind::Request => "request.id",
        IdKind::Trace => "trace.id",
        IdKind::Span => "span.id",
        IdKind::ParentSpan => "parent.id",
    }
}

/// The normalised dotted path of the object being read (`httprequest`), empty at the top.
struct Path {
    buf: [u8; 40],
    len: usize,
}

impl Path {
    const TOP: Path = Path {
        buf: [0; 40],
        len: 0,
    };

    fn is_top(&self) -> bool {
        self.len == 0
    }

    /// This path with `key` appended, or None when it would not fit.
    fn child(&self, key: &[u8]) -> Option<Path> {
        let mut p = Path {
            buf: self.buf,
            len: self.len,
        };
        p.len += fields::normalize_into(key, &mut p.buf[self.len..])?;
        Some(p)
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Objects worth reading into. Their members are classified by their full path
/// (`trace` + `id`) and, failing that, by their own name (`fields` + `message`).
fn is_container(path: &[u8]) -> bool {
    matches!(
        path,
        b"service"
            | b"log"
            | b"http"
            | b"httprequest"
            | b"httpresponse"
            | b"url"
            | b"trace"
            | b"span"
            | b"parent"
            | b"event"
            | b"fields"
            | b"request"
            | b"response"
            | b"req"
            | b"res"
            | b"attr"
            | b"attributes"
            | b"resource"
            | b"resourceattributes"
            | b"logattributes"
            | b"mdc"
            | b"contextmap"
            | b"labels"
    )
}

/// A JSON string as it stands in the line, between its quotes.
#[derive(Clone, Copy, Debug)]
struct JStr<'a> {
    raw: &'a str,
    escaped: bool,
}

impl<'a> JStr<'a> {
    fn value(self) -> Cow<'a, str> {
        if self.escaped {
            Cow::Owned(unescape(self.raw))
        } else {
            Cow::Borrowed(self.raw)
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Scalar<'a> {
    Str(JStr<'a>),
    Num(&'a str),
    Bool(bool),
    Null,
}

/// A cursor over the line's bytes. Every stop is at an ASCII byte, so slices of
/// the line taken between stops fall on character boundaries.
struct Scanner<'a, 'm> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    /// The config's names for this file's top-level keys.
    map: Option<&'m FieldMap>,
}

impl<'a, 'm> Scanner<'a, 'm> {
    fn new(s: &'a str) -> Self {
        Scanner {
            s,
            b: s.as_bytes(),
            i: 0,
            map: None,
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn at_end(&mut self) -> bool {
        self.ws();
        self.i == self.b.len()
    }

    /// At `"`: the string's raw content.
    #[inline]
    fn string(&mut self) -> Option<JStr<'a>> {
        let start = self.i + 1;
        // Keys and most values are short: a plain loop beats setting up memchr.
        let short_end = (start + 24).min(self.b.len());
        let mut j = start;
        while j < short_end {
            match self.b[j] {
                b'"' => {
                    self.i = j + 1;
                    return Some(JStr {
                        raw: self.s.get(start..j)?,
                        escaped: false,
                    });
                }
                b'\\' => return self.long_string(start, j),
                _ => j += 1,
            }
        }
        self.long_string(start, j)
    }

    /// The rest of a string from `j` on, with memchr.
    fn long_string(&mut self, start: usize, mut j: usize) -> Option<JStr<'a>> {
        let mut escaped = false;
        loop {
            let k = j + memchr2(b'"', b'\\', self.b.get(j..)?)?;
            if self.b[k] == b'"' {
                self.i = k + 1;
                return Some(JStr {
                    raw: self.s.get(start..k)?,
                    escaped,
                });
            }
            escaped = true;
            j = k + 2;
        }
    }

    fn number(&mut self) -> Option<&'a str> {
        let start = self.i;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.peek() {
            self.i += 1;
        }
        let n = self.s.get(start..self.i)?;
        n.bytes().any(|b| b.is_ascii_digit()).then_some(n)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.b.get(self.i..self.i + word.len())? == word {
            self.i += word.len();
            Some(())
        } else {
            None
        }
    }

    #[inline]
    fn scalar(&mut self) -> Option<Scalar<'a>> {
        Some(match self.peek()? {
            b'"' => Scalar::Str(self.string()?),
            b't' => self.literal(b"true").map(|_| Scalar::Bool(true))?,
            b'f' => self.literal(b"false").map(|_| Scalar::Bool(false))?,
            b'n' => self.literal(b"null").map(|_| Scalar::Null)?,
            b'-' | b'0'..=b'9' => Scalar::Num(self.number()?),
            _ => return None,
        })
    }

    /// At `{`: calls `member` for each key with the cursor on its value; `member`
    /// must consume the value.
    fn members<F>(&mut self, mut member: F) -> Option<()>
    where
        F: FnMut(&mut Self, JStr<'a>) -> Option<()>,
    {
        self.i += 1;
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            let key = self.string()?;
            self.ws();
            if self.peek()? != b':' {
                return None;
            }
            self.i += 1;
            self.ws();
            member(self, key)?;
            self.ws();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.ws();
                }
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// At `[`: skips the array.
    fn skip_array(&mut self, depth: u32) -> Option<()> {
        self.i += 1;
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.skip(depth + 1)?;
            self.ws();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.ws();
                }
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Skips one value, checking that it is well formed.
    fn skip(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.members(|sc, _| sc.skip(depth + 1)),
            b'[' => self.skip_array(depth),
            _ => self.scalar().map(drop),
        }
    }

    /// At `{`: reads an object whose members live under `path`.
    fn object(&mut self, path: &Path, depth: u32, out: &mut Record<'a>) -> Option<()> {
        self.members(|sc, key| sc.member(path, key, depth, out))
    }

    fn member(
        &mut self,
        path: &Path,
        key: JStr<'a>,
        depth: u32,
        out: &mut Record<'a>,
    ) -> Option<()> {
        let (field, name) = match self.map {
            Some(map) if path.is_top() && !key.escaped => (map.classify(key.raw), key.raw),
            _ => classify_key(path, key),
        };
        match self.peek()? {
            b'{' => {
                let top = path.is_top();
                if field == Some(Field::Time) || (top && key.raw == "instant") {
                    return self.nested_time(out);
                }
                if field == Some(Field::Error) {
                    let start = self.i;
                    self.skip(depth + 1)?;
                    if self.i - start > 2 {
                        out.exception = true;
                    }
                    return Some(());
                }
                if depth < MAX_DESCENT {
                    if let Some(child) = path.child(key.raw.as_bytes()) {
                        if !key.escaped && is_container(child.bytes()) {
                            return self.object(&child, depth + 1, out);
                        }
                    }
                }
                self.skip(depth + 1)
            }
            b'[' => self.skip_array(depth + 1),
            _ => {
                let v = self.scalar()?;
                match field {
                    Some(f) => apply_scalar(f, name, v, out),
                    None if path.is_top() && key.raw == "PRIORITY" => journald_priority(v, out),
                    None => {}
                }
                Some(())
            }
        }
    }

    /// At `{` under a time key: MongoDB `{"$date":..}` (also `{"$numberLong":..}`)
    /// and log4j2 `{"epochSecond":..,"nanoOfSecond":..}`.
    fn nested_time(&mut self, out: &mut Record<'a>) -> Option<()> {
        let mut secs: Option<i64> = None;
        let mut nanos: i64 = 0;
        self.members(|sc, k| match (k.raw, sc.peek()?) {
            ("$date", b'{') => sc.members(|sc, k| {
                let v = sc.scalar()?;
                if k.raw == "$numberLong" {
                    apply_scalar(Field::Time, "t", v, out);
                }
                Some(())
            }),
            ("$date", _) => {
                let v = sc.scalar()?;
                apply_scalar(Field::Time, "t", v, out);
                Some(())
            }
            ("epochSecond", b'0'..=b'9') => {
                secs = sc.number()?.parse().ok();
                Some(())
            }
            ("nanoOfSecond", b'0'..=b'9') => {
                nanos = sc.number()?.parse().unwrap_or(0);
                Some(())
            }
            _ => sc.skip(MAX_DEPTH / 2),
        })?;
        if let (None, Some(s)) = (out.time_ns, secs) {
            out.time_ns = s
                .checked_mul(1_000_000_000)
                .and_then(|ns| ns.checked_add(nanos.clamp(0, 999_999_999)));
        }
        Some(())
    }
}

/// The meaning of a member and the name its id (if any) is reported under.
fn classify_key<'a>(path: &Path, key: JStr<'a>) -> (Option<Field>, &'a str) {
    if key.escaped {
        // Rare: a key with escapes. Compare its unescaped text; report a fixed name.
        let plain = unescape(key.raw);
        let field = match path.child(plain.as_bytes()) {
            Some(full) => fields::classify_normalized(full.bytes()),
            None => None,
        }
        .or_else(|| fields::classify(&plain).filter(|_| !path.is_top()));
        return (field, field.map_or("", field_name));
    }
    if path.is_top() {
        return (fields::classify(key.raw), key.raw);
    }
    if let Some(f) = path
        .child(key.raw.as_bytes())
        .and_then(|full| fields::classify_normalized(full.bytes()))
    {
        let name = match f {
            // `inspect` names the key a duration came from.
            Field::Duration(_) => key.raw,
            _ => field_name(f),
        };
        return (Some(f), name);
    }
    (fields::classify(key.raw), key.raw)
}

fn field_name(f: Field) -> &'static str {
    match f {
        Field::Id(kind) => kind_name(kind),
        _ => "",
    }
}

fn apply_scalar<'a>(field: Field, name: &'a str, v: Scalar<'a>, out: &mut Record<'a>) {
    let text: Cow<'a, str> = match v {
        Scalar::Str(s) => s.value(),
        Scalar::Num(n) => Cow::Borrowed(n),
        Scalar::Bool(true) => Cow::Borrowed("true"),
        Scalar::Bool(false) => Cow::Borrowed("false"),
        Scalar::Null => return,
    };
    fields::apply(field, name, text, out);
}

/// journald's `PRIORITY` is a syslog severity (0 emerg .. 7 debug).
fn journald_priority(v: Scalar<'_>, out: &mut Record<'_>) {
    let n = match v {
        Scalar::Str(s) => s.raw,
        Scalar::Num(n) => n,
        _ => return,
    };
    if out.level == Level::Unknown {
        out.level = match n {
            "0" | "1" | "2" => Level::Fatal,
            "3" => Level::Error,
            "4" => Level::Warn,
            "5" | "6" => Level::Info,
            "7" => Level::Debug,
            _ => Level::Unknown,
        };
    }
}

/// The text of a JSON string's raw content. Lenient: an unknown escape is kept
/// as written and a lone surrogate becomes U+FFFD, so any input gives a string.
pub(crate) fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let mut chars = after.chars();
        let Some(c) = chars.next() else {
            out.push('\\');
            return out;
        };
        let mut used = c.len_utf8();
        match c {
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            '/' => out.push('/'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => match hex4(after.get(1..5)) {
                Some(hi @ 0xD800..=0xDBFF) => {
                    let lo = after
                        .get(5..7)
                        .filter(|s| *s == "\\u")
                        .and_then(|_| hex4(after.get(7..11)))
                        .filter(|lo| (0xDC00..=0xDFFF).contains(lo));
                    match lo {
                        Some(lo) => {
                            let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                            used = 11;
                        }
                        None => {
                            out.push('\u{FFFD}');
                            used = 5;
                        }
                    }
                }
                Some(cp) => {
                    out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                    used = 5;
                }
                None => out.push_str("\\u"),
            },
            other => {
                out.push('\\');
                out.push(other);
            }
        }
        rest = &after[used..];
    }
    out.push_str(rest);
    out
}

fn hex4(s: Option<&str>) -> Option<u32> {
    let s = s?;
    if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> (Parsed, Record<'_>) {
        let mut r = Record::default();
        let p = JsonFormat.parse_line(line, &mut r);
        (p, r)
    }

    fn entry(line: &str) -> Record<'_> {
        let (p, r) = parse(line);
        assert_eq!(p, Parsed::Entry, "{line}");
        r
    }

    const T0: i64 = 1_700_000_000_000_000_000;

    #[test]
    fn scanner_reads_every_kind_of_value() {
        let r = entry(
            r#" { "n": -1.5e3, "t": true, "f": false, "z": null, "a": [1, [2, {"x": "]"}], "}"],
                "o": {"k": {"deep": "{"}}, "msg": "ok", "level": "warn" } "#,
        );
        assert_eq!(r.message, "ok");
        assert_eq!(r.level, Level::Warn);
        assert_eq!(entry("{}").message, "");
    }

    #[test]
    fn strings_are_borrowed_unless_escaped() {
        let r = entry(r#"{"msg":"plain","logger":"a\"b\u00e9\n\ud83d\ude00\/"}"#);
        assert!(matches!(r.message, Cow::Borrowed("plain")));
        assert!(matches!(r.logger, Some(Cow::Owned(_))));
        assert_eq!(r.logger.as_deref(), Some("a\"b\u{e9}\n\u{1F600}/"));
        // Non-ASCII text passes through untouched.
        assert_eq!(entry(r#"{"msg":"größe µs 日本"}"#).message, "größe µs 日本");
    }

    #[test]
    fn unescape_is_lenient() {
        assert_eq!(unescape(r"\ud800x"), "\u{FFFD}x");
        assert_eq!(unescape(r"\udc00"), "\u{FFFD}");
        assert_eq!(unescape(r"\uZZZZ"), "\\uZZZZ");
        assert_eq!(unescape(r"\q"), "\\q");
        assert_eq!(unescape("end\\"), "end\\");
        assert_eq!(unescape(r"\u12"), "\\u12");
    }

    #[test]
    fn bad_json_is_unparsed_and_leaves_nothing_behind() {
        for line in [
            r#"{"ts":"2023-11-14T22:13:20Z","msg":"cut"#,
            r#"{"ts":"2023-11-14T22:13:20Z","msg":"x""#,
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{"a":tru}"#,
            r#"{"a":1} trailing"#,
            r#"{"a":{"b":[1,2}}"#,
            r#"{"a":"\"}"#,
            "[1,2,3]",
            "42",
            "\"str\"",
            "not json",
            "{",
            "",
        ] {
            let (p, r) = parse(line);
            assert_eq!(p, Parsed::Unparsed, "{line}");
            assert!(r.time_ns.is_none() && r.message.is_empty(), "{line}");
        }
        let deep = "[".repeat(10_000);
        assert_eq!(parse(&format!("{{\"a\":{deep}")).0, Parsed::Unparsed);
        let deep_ok = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        assert_eq!(parse(&deep_ok).0, Parsed::Entry);
    }

    #[test]
    fn times_as_strings_and_epochs() {
        for line in [
            r#"{"ts":"2023-11-14T22:13:20Z"}"#,
            r#"{"time":"2023-11-15T00:13:20+02:00"}"#,
            r#"{"@timestamp":"2023-11-14T22:13:20.000Z"}"#,
            r#"{"timestamp":1700000000}"#,
            r#"{"time":1700000000000}"#,
            r#"{"ts":1700000000000000}"#,
            r#"{"ts":"1700000000000000000"}"#,
            r#"{"t":{"$date":"2023-11-14T22:13:20.000+00:00"}}"#,
            r#"{"t":{"$date":{"$numberLong":"1700000000000"}}}"#,
            r#"{"instant":{"epochSecond":1700000000,"nanoOfSecond":0}}"#,
            r#"{"__REALTIME_TIMESTAMP":"1700000000000000"}"#,
        ] {
            assert_eq!(entry(line).time_ns, Some(T0), "{line}");
        }
        let r = entry(r#"{"ts":1716723772.6014807}"#);
        assert_eq!(r.time_ns.unwrap() / 1_000_000, 1_716_723_772_601);
        let r = entry(r#"{"instant":{"epochSecond":1663977609,"nanoOfSecond":484000000}}"#);
        assert_eq!(r.time_ns, Some(1_663_977_609_484_000_000));
        let r = entry(r#"{"ts":"2023-11-14 22:13:20"}"#);
        assert!(r.time_without_zone);
        assert_eq!(entry(r#"{"ts":"xxx"}"#).time_ns, None);
    }

    #[test]
    fn levels_by_name_number_and_path() {
        assert_eq!(entry(r#"{"level":"ERROR"}"#).level, Level::Error);
        assert_eq!(entry(r#"{"severity":"warning"}"#).level, Level::Warn);
        assert_eq!(entry(r#"{"log.level":"info"}"#).level, Level::Info);
        assert_eq!(entry(r#"{"log":{"level":"debug"}}"#).level, Level::Debug);
        assert_eq!(entry(r#"{"level":50}"#).level, Level::Error);
        assert_eq!(entry(r#"{"level":30}"#).level, Level::Info);
        assert_eq!(entry(r#"{"level":60}"#).level, Level::Fatal);
        assert_eq!(entry(r#"{"PRIORITY":"3"}"#).level, Level::Error);
        assert_eq!(entry(r#"{"PRIORITY":6}"#).level, Level::Info);
    }

    #[test]
    fn message_and_service() {
        assert_eq!(entry(r#"{"message":"hi"}"#).message, "hi");
        assert_eq!(entry(r#"{"fields":{"message":"yak"}}"#).message, "yak");
        for line in [
            r#"{"service":"pay"}"#,
            r#"{"service.name":"pay"}"#,
            r#"{"service":{"name":"pay","version":"1"}}"#,
            r#"{"svc":"pay"}"#,
            r#"{"app":"pay"}"#,
            r#"{"resource":{"service.name":"pay"}}"#,
        ] {
            assert_eq!(entry(line).service.as_deref(), Some("pay"), "{line}");
        }
    }

    #[test]
    fn correlation_ids_with_their_field_names() {
        for (line, kind, field) in [
            (r#"{"request_id":"r1"}"#, IdKind::Request, "request_id"),
            (r#"{"requestId":"r1"}"#, IdKind::Request, "requestId"),
            (r#"{"req_id":"r1"}"#, IdKind::Request, "req_id"),
            (r#"{"x_request_id":"r1"}"#, IdKind::Request, "x_request_id"),
            (
                r#"{"correlation_id":"r1"}"#,
                IdKind::Request,
                "correlation_id",
            ),
            (r#"{"trace_id":"r1"}"#, IdKind::Trace, "trace_id"),
            (r#"{"traceId":"r1"}"#, IdKind::Trace, "traceId"),
            (r#"{"TraceId":"r1"}"#, IdKind::Trace, "TraceId"),
            (r#"{"trace.id":"r1"}"#, IdKind::Trace, "trace.id"),
            (r#"{"trace":{"id":"r1"}}"#, IdKind::Trace, "trace.id"),
            (r#"{"span_id":"r1"}"#, IdKind::Span, "span_id"),
            (r#"{"SpanId":"r1"}"#, IdKind::Span, "SpanId"),
            (r#"{"span":{"id":"r1"}}"#, IdKind::Span, "span.id"),
            (
                r#"{"parent_span_id":"r1"}"#,
                IdKind::ParentSpan,
                "parent_span_id",
            ),
            (r#"{"parentId":"r1"}"#, IdKind::ParentSpan, "parentId"),
            (r#"{"mdc":{"traceId":"r1"}}"#, IdKind::Trace, "traceId"),
            (r#"{"req\u005fid":"r1"}"#, IdKind::Request, "request.id"),
        ] {
            let r = entry(line);
            assert_eq!(r.id(kind), Some("r1"), "{line}");
            assert_eq!(r.id_fields, vec![field], "{line}");
        }
        // Placeholders are no ids; the first real one wins.
        let r = entry(r#"{"trace_id":"00000000","traceId":"abc","trace.id":"def"}"#);
        assert_eq!(r.trace_id.as_deref(), Some("abc"));
    }

    #[test]
    fn durations_take_units_from_name_or_value() {
        let d = |line| entry(line).duration_ns;
        assert_eq!(d(r#"{"duration_ms":12.5}"#), Some(12_500_000));
        assert_eq!(d(r#"{"duration":120}"#), Some(120_000_000));
        assert_eq!(d(r#"{"duration":"1.5s"}"#), Some(1_500_000_000));
        assert_eq!(d(r#"{"elapsed":"250us"}"#), Some(250_000));
        assert_eq!(d(r#"{"latency":"2m"}"#), Some(120_000_000_000));
        assert_eq!(d(r#"{"took":7}"#), Some(7_000_000));
        assert_eq!(d(r#"{"response_time":"3ms"}"#), Some(3_000_000));
        assert_eq!(d(r#"{"duration":0.017557019}"#), Some(17_557_019));
        assert_eq!(d(r#"{"attr":{"durationMillis":120}}"#), Some(120_000_000));
        assert_eq!(d(r#"{"event":{"duration":1500}}"#), Some(1_500));
        assert_eq!(d(r#"{"duration":"soon"}"#), None);
    }

    #[test]
    fn http_fields_flat_and_nested() {
        let r = entry(r#"{"status":503,"method":"POST","path":"/api/x?y=1","route":"/api/:id"}"#);
        assert_eq!(r.status, Some(503));
        assert_eq!(r.method.as_deref(), Some("POST"));
        assert_eq!(r.path.as_deref(), Some("/api/x?y=1"));
        assert_eq!(r.route.as_deref(), Some("/api/:id"));
        let r = entry(
            r#"{"http":{"request":{"method":"GET"},"response":{"status_code":404}},"url":{"path":"/a"}}"#,
        );
        assert_eq!((r.method.as_deref(), r.status), (Some("GET"), Some(404)));
        assert_eq!(r.path.as_deref(), Some("/a"));
        let r = entry(r#"{"req":{"method":"PUT","url":"/b"},"res":{"statusCode":201}}"#);
        assert_eq!(r.method.as_deref(), Some("PUT"));
        assert_eq!(r.path.as_deref(), Some("/b"));
        assert_eq!(r.status, Some(201));
        assert_eq!(
            entry(r#"{"url":"http://h/c"}"#).path.as_deref(),
            Some("http://h/c")
        );
    }

    #[test]
    fn logger_and_errors() {
        let r = entry(r#"{"logger":"c.e.Foo","error":null}"#);
        assert_eq!(r.logger.as_deref(), Some("c.e.Foo"));
        assert!(!r.exception);
        assert!(entry(r#"{"error":"boom"}"#).exception);
        assert!(entry(r#"{"err":{"type":"Error","stack":"x"}}"#).exception);
        assert!(!entry(r#"{"err":{}}"#).exception);
        assert!(entry(r#"{"stack_trace":"java.lang.X\n\tat y"}"#).exception);
        assert!(!entry(r#"{"error":false}"#).exception);
    }

    #[test]
    fn unknown_objects_are_skipped_not_read() {
        // `payload.status` would be a status if `payload` were read.
        let r = entry(r#"{"payload":{"status":500,"msg":"inner"},"msg":"outer"}"#);
        assert_eq!(r.status, None);
        assert_eq!(r.message, "outer");
    }

    #[test]
    fn heroku_style_service_duration_is_not_a_service() {
        let r = entry(r#"{"service":"3ms"}"#);
        assert_eq!(r.service, None);
        assert_eq!(r.duration_ns, Some(3_000_000));
    }

    #[test]
    fn sniff_answers() {
        assert_eq!(sniff(r#"{"a":1}"#), Sniff::Yes);
        assert_eq!(sniff(r#"  {"a":[1,{"b":2}]}  "#), Sniff::Yes);
        assert_eq!(sniff(r#"{"a":1"#), Sniff::Maybe);
        assert_eq!(sniff("[1]"), Sniff::No);
        assert_eq!(sniff("level=info msg=x"), Sniff::No);
        assert_eq!(sniff(""), Sniff::No);
    }
}
