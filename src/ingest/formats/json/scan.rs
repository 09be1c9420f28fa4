//! A JSON record's message -> what it names.
//!
//! Input: a [`Record`] the object walk filled, and its line. Output: the same
//! record with the ids, times, levels and HTTP fields [`message::scan`] finds
//! in its message, where the object's keys did not already give them.

use std::borrow::Cow;

use memchr::memmem;

use crate::ingest::event::{DurationSource, IdKind, Level, Record};
use crate::ingest::formats::fields::{self, Field};
use crate::ingest::formats::message;

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
pub(super) fn kind_name(kind: IdKind) -> &'static str {
    match kind {
        IdKind::Request => "request.id",
        IdKind::Trace => "trace.id",
        IdKind::Span => "span.id",
        IdKind::ParentSpan => "parent.id",
    }
}
