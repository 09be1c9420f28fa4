//! systemd journal exports -> records.
//!
//! Input: what `journalctl` writes for another program to read
//! (systemd.io/JOURNAL_EXPORT_FORMATS):
//! - `journalctl -o export`: one entry is a run of `KEY=value` lines ended by a
//!   blank line; a field whose value is not plain text (a newline, control
//!   bytes) is written as `KEY\n`, a 64-bit little-endian length, the bytes,
//!   and `\n`. An entry spans many lines, so [`JournalExport::cut_point`] cuts
//!   chunks only between entries, found by walking them (never by searching for
//!   a blank line, which a binary value may hold).
//! - `journalctl -o json`: one object per line with the same keys; a value is
//!   a string, an array of bytes (not valid text), or an array of values (a
//!   field given more than once: the first is used).
//!
//! Output: one [`Record`] per entry. Time: `__REALTIME_TIMESTAMP` (µs); level:
//! `PRIORITY` (syslog severity 0-7); message: `MESSAGE`; service: the
//! container (`CONTAINER_NAME`), else the systemd service unit without
//! `.service` (`_SYSTEMD_UNIT`, `_SYSTEMD_USER_UNIT`), else
//! `SYSLOG_IDENTIFIER`, else the command (`_COMM`). Fields an application
//! added (`REQUEST_ID`, `TRACE_ID`, `DURATION_MS`) mean what the shared name
//! table says; trusted fields (`_PID`, `_HOSTNAME`, ...) are skipped. In the
//! export format an entry's first line counts as its entry line and its other
//! lines as continuation lines.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::fields;
use super::json::scan_message;
use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::chunk::ChunkSink;
use crate::ingest::event::{Level, Record};

/// Is `line` a line of `journalctl -o export`? Yes for the fields every entry
/// starts with, Maybe for other `KEY=value` lines with a journal field name.
pub fn sniff_export(line: &str) -> Sniff {
    let Some((key, _)) = line.split_once('=') else {
        return Sniff::No;
    };
    if !is_field_name(key.as_bytes()) {
        return Sniff::No;
    }
    if matches!(
        key,
        "__CURSOR" | "__REALTIME_TIMESTAMP" | "__MONOTONIC_TIMESTAMP" | "_BOOT_ID"
    ) {
        Sniff::Yes
    } else {
        Sniff::Maybe
    }
}

/// Is `line` a line of `journalctl -o json`? Yes for an object whose first
/// member is `__CURSOR` or `__REALTIME_TIMESTAMP`, as journalctl writes them.
pub fn sniff_json(line: &str) -> Sniff {
    let t = line.trim_start();
    let Some(rest) = t.strip_prefix('{') else {
        return Sniff::No;
    };
    let rest = rest.trim_start();
    if rest.starts_with("\"__CURSOR\"") || rest.starts_with("\"__REALTIME_TIMESTAMP\"") {
        Sniff::Yes
    } else {
        Sniff::No
    }
}

/// A journal field name: upper-case letters, digits and `_`, not starting with a digit.
fn is_field_name(k: &[u8]) -> bool {
    !k.is_empty()
        && k.len() <= 64
        && !k[0].is_ascii_digit()
        && k.iter()
            .all(|&c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
}

/// What an entry's fields say, gathered before the service is chosen.
#[derive(Default)]
struct Entry<'a> {
    rec: Record<'a>,
    container: Option<Cow<'a, str>>,
    unit: Option<Cow<'a, str>>,
    identifier: Option<Cow<'a, str>>,
    comm: Option<Cow<'a, str>>,
}

impl<'a> Entry<'a> {
    /// One field of the entry; the first value of a field wins.
    fn field(&mut self, key: &'a str, value: Cow<'a, str>) {
        let set = |slot: &mut Option<Cow<'a, str>>, v: Cow<'a, str>| {
            if slot.is_none() && !v.is_empty() {
                *slot = Some(v);
            }
        };
        match key {
            "__REALTIME_TIMESTAMP" => {
                if self.rec.time_ns.is_none() {
                    self.rec.time_ns = value
                        .trim()
                        .parse::<i64>()
                        .ok()
                        .and_then(|us| us.checked_mul(1_000));
                }
            }
            "PRIORITY" => {
                if self.rec.level == Level::Unknown {
                    self.rec.level = fields::syslog_severity(&value);
                }
            }
            "MESSAGE" => {
                if self.rec.message.is_empty() {
                    self.rec.message = value;
                }
            }
            "CONTAINER_NAME" => set(&mut self.container, value),
            "_SYSTEMD_UNIT" | "_SYSTEMD_USER_UNIT" => {
                // A service, not a session scope or the user manager.
                if value.ends_with(".service") && !value.starts_with("user@") {
                    set(&mut self.unit, value);
                }
            }
            "SYSLOG_IDENTIFIER" => set(&mut self.identifier, value),
            "_COMM" => set(&mut self.comm, value),
            // Trusted and address fields: where, not what.
            k if k.starts_with('_') => {}
            k => {
                if let Some(f) = fields::classify(k) {
                    fields::apply(f, k, value, &mut self.rec);
                }
            }
        }
    }

    /// The record, with the service chosen from what the entry named.
    fn finish(self, line: &'a str) -> Record<'a> {
        let Entry {
            mut rec,
            container,
            unit,
            identifier,
            comm,
        } = self;
        let unit = unit.map(|u| match u {
            Cow::Borrowed(b) => Cow::Borrowed(b.trim_end_matches(".service")),
            Cow::Owned(o) => Cow::Owned(o.trim_end_matches(".service").to_owned()),
        });
        if rec.service.is_none() {
            rec.service = container.or(unit).or(identifier).or(comm);
        }
        scan_message(line, &mut rec);
        rec
    }
}

/// `journalctl -o export`.
#[derive(Debug, Default)]
pub struct JournalExport;

/// One field of an export entry at the start of `b`.
enum ExportField<'b> {
    /// `KEY=value\n`.
    Text {
        key: &'b [u8],
        value: &'b [u8],
        len: usize,
    },
    /// `KEY\n` + length + bytes + `\n`: its bytes, and the newlines it holds.
    Binary {
        key: &'b [u8],
        value: &'b [u8],
        len: usize,
        newlines: u64,
    },
    /// A binary field whose bytes run past the end of the input.
    Cut,
    /// Not a journal field.
    Bad { len: usize },
}

/// Reads the field at the start of `b` (which is not a blank line).
fn export_field(b: &[u8]) -> ExportField<'_> {
    let end = memchr::memchr(b'\n', b).unwrap_or(b.len());
    let line = &b[..end];
    let len = (end + 1).min(b.len());
    if let Some(eq) = memchr::memchr(b'=', line) {
        return if is_field_name(&line[..eq]) {
            ExportField::Text {
                key: &line[..eq],
                value: &line[eq + 1..],
                len,
            }
        } else {
            ExportField::Bad { len }
        };
    }
    if !is_field_name(line) || end == b.len() {
        return ExportField::Bad { len };
    }
    let Some(size) = b.get(end + 1..end + 9) else {
        return ExportField::Cut;
    };
    let size = u64::from_le_bytes(size.try_into().expect("8 bytes"));
    let start = end + 9;
    let Some(stop) = usize::try_from(size)
        .ok()
        .and_then(|s| start.checked_add(s))
    else {
        return ExportField::Bad { len };
    };
    match b.get(stop) {
        Some(b'\n') => ExportField::Binary {
            key: line,
            value: &b[start..stop],
            len: stop + 1,
            newlines: 2 + memchr::memchr_iter(b'\n', &b[end + 1..stop]).count() as u64,
        },
        Some(_) => ExportField::Bad { len },
        None => ExportField::Cut,
    }
}

/// An entry's fields as (name, value) bytes.
type Fields<'b> = [(&'b [u8], &'b [u8])];

impl JournalExport {
    /// Walks the entries of `chunk`: `on_entry(first line, lines, fields)` for
    /// each, `on_other(blank or bad line)` for the lines between them. Returns
    /// where the last complete entry ended (with its blank line).
    fn walk<'b>(
        chunk: &'b [u8],
        mut on_entry: impl FnMut(u64, &Fields<'b>),
        mut on_other: impl FnMut(&'b [u8], bool),
    ) -> usize {
        let mut pos = 0;
        let mut last_cut = 0;
        let mut fields: Vec<(&[u8], &[u8])> = Vec::new();
        let mut lines = 0u64;
        let flush = |fields: &mut Vec<(&'b [u8], &'b [u8])>,
                     lines: &mut u64,
                     on_entry: &mut dyn FnMut(u64, &Fields<'b>)| {
            if *lines > 0 {
                on_entry(*lines, fields);
            }
            fields.clear();
            *lines = 0;
        };
        while pos < chunk.len() {
            let rest = &chunk[pos..];
            if rest[0] == b'\n' {
                flush(&mut fields, &mut lines, &mut on_entry);
                on_other(&rest[..0], true);
                pos += 1;
                last_cut = pos;
                continue;
            }
            match export_field(rest) {
                ExportField::Text { key, value, len } => {
                    fields.push((key, value));
                    lines += 1;
                    pos += len;
                }
                ExportField::Binary {
                    key,
                    value,
                    len,
                    newlines,
                } => {
                    fields.push((key, value));
                    lines += newlines;
                    pos += len;
                }
                ExportField::Bad { len } => {
                    flush(&mut fields, &mut lines, &mut on_entry);
                    let line = &rest[..len];
                    on_other(line.strip_suffix(b"\n").unwrap_or(line), false);
                    pos += len;
                    last_cut = pos;
                }
                ExportField::Cut => {
                    // The end of the input cut a binary value: what is left is unreadable here.
                    flush(&mut fields, &mut lines, &mut on_entry);
                    for line in rest.split_inclusive(|&b| b == b'\n') {
                        on_other(line.strip_suffix(b"\n").unwrap_or(line), false);
                    }
                    return last_cut;
                }
            }
        }
        flush(&mut fields, &mut lines, &mut on_entry);
        last_cut
    }
}

impl LineFormat for JournalExport {
    fn kind(&self) -> FormatKind {
        FormatKind::Journald
    }

    /// One `KEY=value` line alone: `MESSAGE=` lines are entries with that message.
    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        match line.split_once('=') {
            Some((k, v)) if is_field_name(k.as_bytes()) => {
                let mut e = Entry::default();
                e.field(k, Cow::Borrowed(v));
                *out = e.finish(line);
                Parsed::Entry
            }
            _ => Parsed::Unparsed,
        }
    }

    fn cut_point(&self, chunk: &[u8]) -> usize {
        Self::walk(chunk, |_, _| {}, |_, _| {})
    }

    fn parse_chunk(&self, chunk: &[u8], sink: &mut ChunkSink) {
        // Fields borrow the chunk; a line that is not text is read lossily.
        let cell = std::cell::RefCell::new(sink);
        Self::walk(
            chunk,
            |lines, fields| {
                let mut e = Entry::default();
                for &(k, v) in fields {
                    // Keys are ASCII (checked); values are text or read lossily.
                    let key = std::str::from_utf8(k).unwrap_or("");
                    e.field(key, String::from_utf8_lossy(v));
                }
                let rec = e.finish("");
                cell.borrow_mut().record_lines(lines, &rec);
            },
            |line, blank| {
                let mut sink = cell.borrow_mut();
                if blank {
                    sink.blank_lines(1);
                } else {
                    sink.unparsed_line(line, "not a journal field (KEY=value)");
                }
            },
        );
    }
}

/// `journalctl -o json`.
#[derive(Debug, Default)]
pub struct JournalJson;

impl LineFormat for JournalJson {
    fn kind(&self) -> FormatKind {
        FormatKind::JournaldJson
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        let mut de = serde_json::Deserializer::from_str(line);
        match de.deserialize_map(EntryVisitor) {
            Ok(e) if de.end().is_ok() => {
                *out = e.finish(line);
                Parsed::Entry
            }
            _ => Parsed::Unparsed,
        }
    }
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = Entry<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a journal entry object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry<'de>, A::Error> {
        let mut e = Entry::default();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            // Keys are plain ASCII in journalctl's output, so they borrow.
            let Some(key) = key else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if key.starts_with('_')
                && !matches!(
                    key,
                    "__REALTIME_TIMESTAMP" | "_SYSTEMD_UNIT" | "_SYSTEMD_USER_UNIT" | "_COMM"
                )
            {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if let Value(Some(v)) = map.next_value::<Value<'de>>()? {
                e.field(key, v);
            }
        }
        Ok(e)
    }
}

/// A member name as it stands in the line; `None` when it had escapes.
struct Key<'a>(Option<&'a str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Some(v)))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Key<'de>, E> {
                Ok(Key(None))
            }
        }
        d.deserialize_str(V)
    }
}

/// A journal JSON value as text: a string, an array of bytes (lossily
/// decoded), or the first of an array of values; `null` (a value too large to
/// show) is none.
struct Value<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for Value<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, an array of bytes, or an array of values")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Value<'de>, E> {
                Ok(Value(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value<'de>, E> {
                Ok(Value(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value<'de>, E> {
                Ok(Value(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value<'de>, E> {
                Ok(Value(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Value<'de>, E> {
                Ok(Value(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
                let mut bytes = Vec::new();
                let mut first: Option<Cow<'de, str>> = None;
                while let Some(item) = seq.next_element::<Item<'de>>()? {
                    match item {
                        Item::Byte(b) => bytes.push(b),
                        Item::Value(v) => {
                            if first.is_none() {
                                first = v;
                            }
                        }
                    }
                }
                Ok(Value(match first {
                    Some(v) => Some(v),
                    None if !bytes.is_empty() => {
                        Some(Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()))
                    }
                    None => None,
                }))
            }
        }
        d.deserialize_any(V)
    }
}

/// An element of a journal JSON array: a byte, or a value of a repeated field.
enum Item<'a> {
    Byte(u8),
    Value(Option<Cow<'a, str>>),
}

impl<'de> Deserialize<'de> for Item<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Item<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a byte or a value")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Item<'de>, E> {
                Ok(Item::Byte(v.min(255) as u8))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Item<'de>, E> {
                Ok(Item::Byte(v.clamp(0, 255) as u8))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Item<'de>, E> {
                Ok(Item::Value(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Item<'de>, E> {
                Ok(Item::Value(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Item<'de>, E> {
                Ok(Item::Value(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Item<'de>, A::Error> {
                // A repeated field's value that is itself bytes.
                let v = V2.visit_seq(seq)?;
                Ok(Item::Value(v.0))
            }
        }
        struct V2;
        impl V2 {
            fn visit_seq<'de, A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
                let mut bytes = Vec::new();
                while let Some(b) = seq.next_element::<u8>()? {
                    bytes.push(b);
                }
                Ok(Value(Some(Cow::Owned(
                    String::from_utf8_lossy(&bytes).into_owned(),
                ))))
            }
        }
        d.deserialize_any(V)
    }
}
