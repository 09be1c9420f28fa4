//! The two envelopes container runtimes write around a log line, decoded.
//!
//! Input: one line as read, without its newline. Output: an [`Envelope`]
//! (the runtime's time and stream, the message as written, whether it is
//! escaped and whether the next line continues it), or `None` when the line
//! is no envelope of that runtime: [`cri_envelope`] for CRI
//! (`<RFC3339Nano> <stdout|stderr> <F|P>[:flags] <message>`),
//! [`docker_envelope`] for Docker json-file, read with the JSON lines'
//! scanner. Joining partial lines and parsing the message are the caller's.

use memchr::memchr;

use crate::ingest::formats::json::cursor::Cursor;
use crate::ingest::formats::json::unescape::unescape_into;
use crate::ingest::time;

/// One decoded envelope line.
#[derive(Debug)]
pub(super) struct Envelope<'b> {
    pub(super) time_ns: Option<i64>,
    pub(super) stream: &'b [u8],
    /// The message as written in the line (Docker: still JSON-escaped).
    pub(super) raw: &'b [u8],
    /// Docker: `raw` has escapes to undo.
    pub(super) escaped: bool,
    /// More of this message follows on the next line of the stream.
    pub(super) partial: bool,
}

impl<'b> Envelope<'b> {
    /// The message text: borrowed when nothing is escaped, else unescaped into `scratch`.
    pub(super) fn text<'s>(&self, scratch: &'s mut Vec<u8>) -> &'s [u8]
    where
        'b: 's,
    {
        let body = self.body();
        if !self.escaped || memchr(b'\\', body).is_none() {
            return body;
        }
        scratch.clear();
        unescape_into(body, scratch);
        scratch
    }

    /// `raw` without the escaped newline that ends a complete Docker line.
    fn body(&self) -> &'b [u8] {
        if self.escaped && !self.partial {
            &self.raw[..self.raw.len() - 2]
        } else {
            self.raw
        }
    }

    /// Byte range of the message within `line` (which `self` was read from).
    pub(super) fn span(&self, line: &[u8]) -> (usize, usize) {
        let s = self.raw.as_ptr() as usize - line.as_ptr() as usize;
        (s, s + self.body().len())
    }
}

/// `<RFC3339Nano> <stdout|stderr> <F|P>[:flags] <message>`.
pub(super) fn cri_envelope(b: &[u8]) -> Option<Envelope<'_>> {
    let sp = memchr(b' ', b)?;
    let stamp = time::parse_iso(&b[..sp])?;
    if stamp.len != sp {
        return None;
    }
    let rest = &b[sp + 1..];
    let sp2 = memchr(b' ', rest)?;
    let stream = &rest[..sp2];
    if stream != b"stdout" && stream != b"stderr" {
        return None;
    }
    let rest = &rest[sp2 + 1..];
    let (tag, raw) = match memchr(b' ', rest) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &rest[rest.len()..]),
    };
    let first = tag.split(|&c| c == b':').next()?;
    let partial = match first {
        b"F" => false,
        b"P" => true,
        _ => return None,
    };
    Some(Envelope {
        time_ns: Some(stamp.ns),
        stream,
        raw,
        escaped: false,
        partial,
    })
}

/// `{"log":"…","stream":"…","time":"…"}` in any key order, other keys skipped,
/// read with the JSON lines' scanner.
pub(super) fn docker_envelope(b: &[u8]) -> Option<Envelope<'_>> {
    let mut c = Cursor::new(b);
    c.ws();
    if c.peek()? != b'{' {
        return None;
    }
    let (mut log, mut stream, mut time_ns) = (None, &b[..0], None);
    c.members(|c, key| {
        match &b[key.range()] {
            b"log" => log = Some(c.string_value()?),
            b"stream" => stream = &b[c.string_value()?.range()],
            b"time" => time_ns = time::parse_iso(&b[c.string_value()?.range()]).map(|t| t.ns),
            _ => c.skip(1)?,
        }
        Some(())
    })?;
    if !c.at_end() {
        return None;
    }
    let log = log?;
    let raw = &b[log.range()];
    Some(Envelope {
        time_ns,
        stream,
        raw,
        escaped: log.escaped,
        partial: !ends_with_escaped_newline(raw),
    })
}

/// True when the JSON string content ends with the escape `\n` (not `\\n`).
fn ends_with_escaped_newline(raw: &[u8]) -> bool {
    let Some(body) = raw.strip_suffix(b"n") else {
        return false;
    };
    let slashes = body.iter().rev().take_while(|&&c| c == b'\\').count();
    slashes % 2 == 1
}
