//! A JSON object -> a record.
//!
//! Input: a log line that holds one JSON object, walked by [`Cursor`]. Output:
//! the [`Record`] fields its keys name ([`fields::classify`]: time, level,
//! message, service, ids, duration, HTTP fields, logger, error). Objects under
//! a few well-known keys (`service`, `http`, `trace`, `log`, `fields`, ...)
//! are read, so `{"service":{"name":"x"}}` means `service.name`; every other
//! value is skipped by the cursor's validating walk. Strings are borrowed from
//! the line and unescaped only when they hold a backslash and their key is used.

use std::borrow::Cow;

use super::cursor::{Cursor, Str, MAX_DEPTH};
use super::scan::kind_name;
use super::unescape::unescape;
use crate::ingest::event::{Level, Record};
use crate::ingest::formats::fields::{self, Field, FieldMap};

/// Known containers are read this many levels down (`http.request.method` is 3).
const MAX_DESCENT: u32 = 4;

/// The normalised dotted path of the object being read (`httprequest`), empty at the top.
pub(super) struct Path {
    buf: [u8; 40],
    len: usize,
}

impl Path {
    pub(super) const TOP: Path = Path {
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

/// Reads one line's object into a record.
pub(super) struct Walk<'a, 'm> {
    line: &'a str,
    /// The config's names for this file's top-level keys.
    map: Option<&'m FieldMap>,
}

impl<'a, 'm> Walk<'a, 'm> {
    pub(super) fn new(line: &'a str, map: Option<&'m FieldMap>) -> Self {
        Walk { line, map }
    }

    /// The string at `s` in the line (the cursor stops at ASCII bytes only, so
    /// this is always a `&str`).
    #[inline]
    fn str(&self, s: Str) -> Option<JStr<'a>> {
        Some(JStr {
            raw: self.line.get(s.range())?,
            escaped: s.escaped,
        })
    }

    #[inline]
    fn scalar(&self, c: &mut Cursor<'a>) -> Option<Scalar<'a>> {
        Some(match c.peek()? {
            b'"' => Scalar::Str(self.str(c.string()?)?),
            b't' => c.literal(b"true").map(|_| Scalar::Bool(true))?,
            b'f' => c.literal(b"false").map(|_| Scalar::Bool(false))?,
            b'n' => c.literal(b"null").map(|_| Scalar::Null)?,
            b'-' | b'0'..=b'9' => Scalar::Num(self.line.get(c.number()?)?),
            _ => return None,
        })
    }

    /// At `{`: reads an object whose members live under `path`.
    pub(super) fn object(
        &self,
        c: &mut Cursor<'a>,
        path: &Path,
        depth: u32,
        out: &mut Record<'a>,
    ) -> Option<()> {
        c.members(|c, key| self.member(c, path, self.str(key)?, depth, out))
    }

    fn member(
        &self,
        c: &mut Cursor<'a>,
        path: &Path,
        key: JStr<'a>,
        depth: u32,
        out: &mut Record<'a>,
    ) -> Option<()> {
        let (field, name) = match self.map {
            Some(map) if path.is_top() && !key.escaped => (map.classify(key.raw), key.raw),
            _ => classify_key(path, key),
        };
        match c.peek()? {
            b'{' => {
                let top = path.is_top();
                if field == Some(Field::Time) || (top && key.raw == "instant") {
                    return self.nested_time(c, out);
                }
                if field == Some(Field::Error) {
                    let start = c.i;
                    c.skip(depth + 1)?;
                    if c.i - start > 2 {
                        out.exception = true;
                    }
                    return Some(());
                }
                if depth < MAX_DESCENT {
                    if let Some(child) = path.child(key.raw.as_bytes()) {
                        if !key.escaped && is_container(child.bytes()) {
                            return self.object(c, &child, depth + 1, out);
                        }
                    }
                }
                c.skip(depth + 1)
            }
            b'[' => c.skip_array(depth + 1),
            _ => {
                let v = self.scalar(c)?;
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
    fn nested_time(&self, c: &mut Cursor<'a>, out: &mut Record<'a>) -> Option<()> {
        let mut secs: Option<i64> = None;
        let mut nanos: i64 = 0;
        c.members(|c, k| match (self.line.get(k.range())?, c.peek()?) {
            ("$date", b'{') => c.members(|c, k| {
                let v = self.scalar(c)?;
                if self.line.get(k.range())? == "$numberLong" {
                    apply_scalar(Field::Time, "t", v, out);
                }
                Some(())
            }),
            ("$date", _) => {
                let v = self.scalar(c)?;
                apply_scalar(Field::Time, "t", v, out);
                Some(())
            }
            ("epochSecond", b'0'..=b'9') => {
                secs = self.line.get(c.number()?)?.parse().ok();
                Some(())
            }
            ("nanoOfSecond", b'0'..=b'9') => {
                nanos = self.line.get(c.number()?)?.parse().unwrap_or(0);
                Some(())
            }
            _ => c.skip(MAX_DEPTH / 2),
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
        out.level = fields::syslog_severity(n);
    }
}
