//! Container runtime envelopes -> records.
//!
//! Input: lines as container runtimes write them:
//! - Docker json-file: `{"log":"…\n","stream":"stdout","time":"2023-01-29T08:49:08.656972722Z"}`.
//!   `log` is a JSON string; lines over 16 KiB are split into several records whose
//!   `log` does not end in `\n`.
//! - CRI (containerd, CRI-O): `2022-08-22T05:18:19.394320402Z stdout F msg`, where the
//!   tag `P` marks a partial line that the next lines of the stream continue up to an `F`.
//!
//! Output: one [`Record`] per entry. The inner message is detected line by line (a JSON
//! object, an access-log line, logfmt, else text) and parsed by that format's parser into
//! the same record. The envelope time wins when the inner time has no date or disagrees
//! with it by more than an hour (a local clock without zone); otherwise the inner time is
//! kept, as it is the application's own and often as precise. A message with no entry
//! shape of its own is still an entry (the envelope stamped it), unless it is a
//! stack-trace continuation (`\tat …`, `Caused by: …`).
//!
//! [`ContainerFormat::parse_chunk`] is the real path: it joins partial lines (counted as
//! one entry plus continuation lines) and unescapes Docker strings into a per-chunk
//! buffer. [`LineFormat::parse_line`] sees one line alone, so it cannot join, and reads an
//! escaped Docker message as written. Partial lines cut by a chunk boundary become two
//! entries.
//!
//! [`envelope`] decodes one line's envelope (CRI or Docker); this file sniffs, joins
//! partial lines, picks the inner parser and settles the time. Its tests are in
//! `tests.rs`.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::sync::Arc;

use memchr::memchr;

use super::access::{self, AccessFormat};
use super::fields::FieldMap;
use super::json::{self, JsonFormat, MappedJson};
use super::logfmt::{self, LogfmtFormat, MappedLogfmt};
use super::message;
use super::text::{self, TextFormat};
use super::{FormatContext, FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::chunk::{ChunkSink, MAX_LINE};
use crate::ingest::event::Record;
use crate::ingest::time::NS_PER_SEC;

mod envelope;

use self::envelope::{cri_envelope, docker_envelope, Envelope};

/// Inner and envelope times further apart than this: the envelope is right.
const MAX_SKEW_NS: i64 = 3600 * NS_PER_SEC;

/// Is `line` a Docker json-file line?
pub fn sniff_docker(line: &str) -> Sniff {
    match docker_envelope(line.as_bytes()) {
        Some(env) if env.time_ns.is_some() && !env.stream.is_empty() => Sniff::Yes,
        Some(_) => Sniff::Maybe,
        None => Sniff::No,
    }
}

/// Is `line` a CRI line?
pub fn sniff_cri(line: &str) -> Sniff {
    if cri_envelope(line.as_bytes()).is_some() {
        Sniff::Yes
    } else {
        Sniff::No
    }
}

/// The container envelope parser, with the inner parsers it dispatches to.
pub struct ContainerFormat {
    pub cri: bool,
    json: Box<dyn LineFormat>,
    access: AccessFormat,
    logfmt: Box<dyn LineFormat>,
    text: TextFormat,
}

impl fmt::Debug for ContainerFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContainerFormat")
            .field("cri", &self.cri)
            .finish_non_exhaustive()
    }
}

impl ContainerFormat {
    /// A parser for CRI lines (`cri`) or Docker json-file lines; `ctx` reaches the
    /// inner text parser (zone and year for times the message writes without them).
    // `default()` keeps this unchanged when a parser gains configuration.
    #[allow(clippy::default_constructed_unit_structs)]
    pub fn new(cri: bool, ctx: FormatContext) -> Self {
        ContainerFormat {
            cri,
            json: Box::new(JsonFormat::default()),
            access: AccessFormat::default(),
            logfmt: Box::new(LogfmtFormat::default()),
            text: text_format(ctx),
        }
    }

    /// This parser, with inner JSON and logfmt messages read through the
    /// config's names for their keys (`[[fields]]`).
    pub fn with_fields(mut self, map: Arc<FieldMap>) -> Self {
        self.json = Box::new(MappedJson(map.clone()));
        self.logfmt = Box::new(MappedLogfmt(map));
        self
    }

    pub fn docker(ctx: FormatContext) -> Self {
        Self::new(false, ctx)
    }

    pub fn cri(ctx: FormatContext) -> Self {
        Self::new(true, ctx)
    }

    fn envelope<'b>(&self, line: &'b [u8]) -> Option<Envelope<'b>> {
        if self.cri {
            cri_envelope(line)
        } else {
            docker_envelope(line)
        }
    }

    /// The parser for one inner message, chosen by sniffing it; true when it is
    /// the text parser (whose entries start with their own time).
    fn inner_for(&self, msg: &str) -> (&dyn LineFormat, bool) {
        if msg.as_bytes().first() == Some(&b'{') && json::sniff(msg) != Sniff::No {
            (&*self.json, false)
        } else if access::sniff(msg) == Sniff::Yes {
            (&self.access, false)
        } else if text::sniff(msg) == Sniff::Yes {
            // A line that starts with a time is text even when its message is full
            // of `k=v` pairs (`Response(status=1, msg=Success, ...)`); the text
            // parser still reads those pairs from the message.
            (&self.text, true)
        } else if logfmt::sniff(msg) == Sniff::Yes {
            (&*self.logfmt, false)
        } else {
            (&self.text, true)
        }
    }

    /// Parses an inner message stamped `env_ns` by the runtime. `timed` says whether
    /// the entry before carried a time of its own (and is updated).
    fn parse_message<'a>(
        &self,
        msg: &'a str,
        env_ns: Option<i64>,
        timed: &Cell<bool>,
        out: &mut Record<'a>,
    ) -> Parsed {
        if looks_like_continuation(msg) {
            out.exception = looks_like_stack(msg);
            return Parsed::Continuation;
        }
        let (inner, is_text) = self.inner_for(msg);
        let parsed = inner.parse_line(msg, out);
        if timed.get() && is_text && (parsed != Parsed::Entry || out.time_ns.is_none()) {
            // A text line without a time among entries that start with one (an
            // exception header after its log line): it continues the entry before.
            out.clear();
            out.exception = looks_like_stack(msg);
            return Parsed::Continuation;
        }
        if parsed == Parsed::Entry {
            timed.set(out.time_ns.is_some());
            // Inner parsers scan their own messages; this covers one that did not.
            if out.trace_id.is_none() && out.request_id.is_none() {
                if let Cow::Borrowed(m) = &out.message {
                    let m: &'a str = m;
                    message::scan(m, out);
                }
            }
        } else {
            // The runtime stamped it, so it is an entry even without a shape of its own.
            out.clear();
            let m = msg.trim_end();
            out.message = Cow::Borrowed(m);
            message::scan(m, out);
        }
        envelope_time(out, env_ns);
        Parsed::Entry
    }

    /// Cuts before a trailing run of partial records, which the next chunk completes.
    fn safe_cut(&self, chunk: &[u8]) -> usize {
        let mut end = chunk.len();
        while end > 0 {
            let body = &chunk[..end - 1];
            let start = memchr::memrchr(b'\n', body).map_or(0, |i| i + 1);
            let line = &chunk[start..end - 1];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            match self.envelope(line) {
                Some(env) if env.partial => end = start,
                _ => return end,
            }
        }
        0
    }

    /// Walks the lines of `chunk`, decoding envelopes and joining partial lines, and
    /// hands each entry's message (or each line that is not an envelope) to `on`.
    fn walk(&self, chunk: &[u8], mut on: impl FnMut(Piece<'_>)) {
        let mut pend = Pending::default();
        let mut scratch = Vec::new();
        let mut start = 0;
        while start < chunk.len() {
            let end = memchr(b'\n', &chunk[start..]).map_or(chunk.len(), |i| start + i);
            let raw = &chunk[start..end];
            start = end + 1;
            let (body, crlf) = match raw.strip_suffix(b"\r") {
                Some(b) => (b, 1),
                None => (raw, 0),
            };
            // NUL padding left by a crash: the envelope follows it.
            let body = &body[body.iter().position(|&b| b != 0).unwrap_or(body.len())..];
            let env = if body.len() <= MAX_LINE {
                self.envelope(body)
            } else {
                None
            };
            let Some(env) = env else {
                pend.flush(&mut on);
                on(Piece::Line(raw));
                continue;
            };
            if pend.parts > 0 && pend.stream != env.stream {
                pend.flush(&mut on);
            }
            let text = env.text(&mut scratch);
            if env.partial || pend.parts > 0 {
                if pend.parts == 0 {
                    pend.time_ns = env.time_ns;
                    pend.stream.clear();
                    pend.stream.extend_from_slice(env.stream);
                }
                pend.buf.extend_from_slice(text);
                pend.parts += 1;
                pend.crlf += crlf;
                // A writer that never ends its line must not grow the buffer forever.
                if !env.partial || pend.buf.len() > MAX_LINE {
                    pend.flush(&mut on);
                }
                continue;
            }
            on(Piece::Entry {
                text,
                time_ns: env.time_ns,
                lines: 1,
                crlf,
            });
        }
        pend.flush(&mut on);
    }
}

/// What [`ContainerFormat::walk`] hands on.
#[derive(Debug, PartialEq)]
enum Piece<'b> {
    /// A line that is no envelope of this format, as read.
    Line(&'b [u8]),
    /// The message of one entry that spans `lines` envelope lines.
    Entry {
        text: &'b [u8],
        time_ns: Option<i64>,
        lines: u64,
        crlf: u64,
    },
}

/// Partial lines waiting for the line that ends them.
#[derive(Default)]
struct Pending {
    buf: Vec<u8>,
    parts: u64,
    crlf: u64,
    time_ns: Option<i64>,
    stream: Vec<u8>,
}

impl Pending {
    fn flush(&mut self, on: &mut impl FnMut(Piece<'_>)) {
        if self.parts == 0 {
            return;
        }
        on(Piece::Entry {
            text: &self.buf,
            time_ns: self.time_ns,
            lines: self.parts,
            crlf: self.crlf,
        });
        self.buf.clear();
        self.parts = 0;
        self.crlf = 0;
    }
}

impl LineFormat for ContainerFormat {
    fn kind(&self) -> FormatKind {
        if self.cri {
            FormatKind::Cri
        } else {
            FormatKind::Docker
        }
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        let Some(env) = self.envelope(line.as_bytes()) else {
            return Parsed::Unparsed;
        };
        // The envelope's delimiters are ASCII, so its slices are on char boundaries.
        let (s, e) = env.span(line.as_bytes());
        match line.get(s..e) {
            // A stack frame still escaped: `\tat com.x(X.java:1)`.
            Some(msg) if env.escaped && msg.starts_with("\\t") => {
                out.exception = looks_like_stack(&msg[2..]);
                Parsed::Continuation
            }
            Some(msg) => self.parse_message(msg, env.time_ns, &Cell::new(false), out),
            None => Parsed::Unparsed,
        }
    }

    fn cut_point(&self, chunk: &[u8]) -> usize {
        self.safe_cut(chunk)
    }

    fn parse_chunk(&self, chunk: &[u8], sink: &mut ChunkSink) {
        let unparsed = &mut |_: &str, _: &mut Record<'_>| Parsed::Unparsed;
        let timed = Cell::new(false);
        self.walk(chunk, |piece| match piece {
            Piece::Line(raw) => sink.line(raw, unparsed),
            Piece::Entry {
                text,
                time_ns,
                lines,
                crlf,
            } => {
                sink.line(text, &mut |m, rec| {
                    self.parse_message(m, time_ns, &timed, rec)
                });
                // The lines after the first of a joined entry.
                sink.counts.lines += lines - 1;
                sink.counts.continuation += lines - 1;
                sink.counts.crlf += crlf;
            }
        });
    }
}

/// The inner text parser, with the file's context.
fn text_format(ctx: FormatContext) -> TextFormat {
    TextFormat::new(ctx)
}

/// The envelope time wins over an inner time without a date or hours away from it.
fn envelope_time(out: &mut Record<'_>, env_ns: Option<i64>) {
    let Some(env) = env_ns else { return };
    let keep_inner = match out.time_ns {
        Some(t) => !out.time_without_date && t.abs_diff(env) <= MAX_SKEW_NS as u64,
        None => false,
    };
    if !keep_inner {
        out.time_ns = Some(env);
        out.time_without_date = false;
        out.time_without_zone = false;
    }
}

/// Stack-trace and wrapped lines that continue the entry before them.
pub(crate) fn looks_like_continuation(m: &str) -> bool {
    match m.as_bytes().first() {
        None => false,
        Some(b' ' | b'\t') => !m.trim().is_empty(),
        Some(_) => {
            (m.starts_with("at ") && m.contains('('))
                || m.starts_with("Caused by:")
                || m.starts_with("Traceback (most recent call last)")
                || (m.starts_with("... ") && m.ends_with(" more"))
        }
    }
}

/// A continuation line that shows an exception.
pub(crate) fn looks_like_stack(m: &str) -> bool {
    let t = m.trim_start();
    t.starts_with("at ")
        || t.starts_with("Caused by:")
        || t.starts_with("Traceback")
        || t.starts_with("File \"")
        || (t.starts_with("... ") && t.ends_with(" more"))
        || t.contains("Exception")
        || t.contains("Error:")
}

#[cfg(test)]
mod tests;
