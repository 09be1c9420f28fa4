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

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::sync::Arc;

use memchr::memchr;

use super::access::{self, AccessFormat};
use super::fields::FieldMap;
use super::json::cursor::Cursor;
use super::json::unescape::unescape_into;
use super::json::{self, JsonFormat, MappedJson};
use super::logfmt::{self, LogfmtFormat, MappedLogfmt};
use super::message;
use super::text::{self, TextFormat};
use super::{FormatContext, FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::chunk::{ChunkSink, MAX_LINE};
use crate::ingest::event::Record;
use crate::ingest::time::{self, NS_PER_SEC};

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

/// One decoded envelope line.
#[derive(Debug)]
struct Envelope<'b> {
    time_ns: Option<i64>,
    stream: &'b [u8],
    /// The message as written in the line (Docker: still JSON-escaped).
    raw: &'b [u8],
    /// Docker: `raw` has escapes to undo.
    escaped: bool,
    /// More of this message follows on the next line of the stream.
    partial: bool,
}

impl<'b> Envelope<'b> {
    /// The message text: borrowed when nothing is escaped, else unescaped into `scratch`.
    fn text<'s>(&self, scratch: &'s mut Vec<u8>) -> &'s [u8]
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
    fn span(&self, line: &[u8]) -> (usize, usize) {
        let s = self.raw.as_ptr() as usize - line.as_ptr() as usize;
        (s, s + self.body().len())
    }
}

/// `<RFC3339Nano> <stdout|stderr> <F|P>[:flags] <message>`.
fn cri_envelope(b: &[u8]) -> Option<Envelope<'_>> {
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
fn docker_envelope(b: &[u8]) -> Option<Envelope<'_>> {
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
mod tests {
    use super::*;
    use crate::ingest::chunk::FileInfo;

    const DOCKER: &str = r#"{"log":"16:49:08.656 INFO  c.c.ConfigController#67 TraceID: e107c4d252a8f4810ed9ae6b5ebd5267 SpanID: 818a84133ef9cf86 [retrieve]\n","stream":"stdout","time":"2023-01-29T08:49:08.656972722Z"}"#;
    const CRI: &str = "2022-08-22T05:18:19.394320402Z stdout F {\"message\":\"TraceID: 2bbb4d7b7d41b8652c4c5b23a10cd5f7 SpanID: ec9efc5b00b2d37a [GetQuote] received request\",\"severity\":\"info\"}";
    const T_DOCKER: i64 = 1_674_982_148_656_972_722;
    const T_CRI: i64 = 1_661_145_499_394_320_402;

    fn pieces(f: &ContainerFormat, chunk: &str) -> Vec<(String, Option<i64>, u64)> {
        let mut v = Vec::new();
        f.walk(chunk.as_bytes(), |p| match p {
            Piece::Line(raw) => v.push((String::from_utf8_lossy(raw).into_owned(), None, 0)),
            Piece::Entry {
                text,
                time_ns,
                lines,
                ..
            } => v.push((String::from_utf8_lossy(text).into_owned(), time_ns, lines)),
        });
        v
    }

    fn sink(f: &ContainerFormat, chunk: &str) -> ChunkSink {
        let mut s = ChunkSink::new(FileInfo {
            file: 0,
            default_service: "svc".into(),
            keep_events: true,
            ..Default::default()
        });
        f.parse_chunk(chunk.as_bytes(), &mut s);
        s.finish();
        s
    }

    #[test]
    fn sniffs_each_runtime() {
        assert_eq!(sniff_docker(DOCKER), Sniff::Yes);
        assert_eq!(sniff_cri(CRI), Sniff::Yes);
        assert_eq!(sniff_docker(CRI), Sniff::No);
        assert_eq!(sniff_cri(DOCKER), Sniff::No);
        assert_eq!(sniff_docker(r#"{"level":"info","msg":"hi"}"#), Sniff::No);
        assert_eq!(sniff_docker(r#"{"log":"hi"}"#), Sniff::Maybe);
        assert_eq!(
            sniff_cri("2022-08-22T05:18:19Z stdout X msg"),
            Sniff::No,
            "unknown tag"
        );
        assert_eq!(sniff_cri("2022-08-22T05:18:19Z stdout F"), Sniff::Yes);
        assert_eq!(
            sniff_cri("2022-08-22 05:18:19 stdout F msg"),
            Sniff::No,
            "a space inside the time is no CRI stamp"
        );
    }

    #[test]
    fn cri_envelope_fields() {
        let e = cri_envelope(b"2022-08-22T05:18:19.394320402+02:00 stderr P:x part").unwrap();
        assert_eq!(e.time_ns, Some(T_CRI - 2 * 3600 * NS_PER_SEC));
        assert_eq!(
            (e.stream, e.raw, e.partial),
            (&b"stderr"[..], &b"part"[..], true)
        );
    }

    #[test]
    fn docker_envelope_in_any_key_order_with_attrs() {
        let line = br#"{"time":"2023-01-29T08:49:08.656972722Z", "attrs":{"tag":"a\"}b","n":[1,{"x":2}]}, "stream":"stderr","log":"x\\n"}"#;
        let e = docker_envelope(line).unwrap();
        assert_eq!(e.time_ns, Some(T_DOCKER));
        assert_eq!(e.stream, b"stderr");
        assert_eq!(e.raw, br"x\\n");
        assert!(e.partial, "an escaped backslash then `n` is no newline");
        assert!(docker_envelope(br#"{"log":"x\n","stream":"stdout"} junk"#).is_none());
        assert!(docker_envelope(br#"{"log":"unterminated"#).is_none());
        assert!(docker_envelope(br#"{}"#).is_none());
    }

    #[test]
    fn parse_line_uses_the_envelope_time_for_a_dateless_inner_time() {
        let f = ContainerFormat::docker(FormatContext::default());
        let mut r = Record::default();
        assert_eq!(f.parse_line(DOCKER, &mut r), Parsed::Entry);
        assert_eq!(r.time_ns, Some(T_DOCKER));
        assert!(r.message.contains("TraceID"), "{}", r.message);
        assert!(r.message.ends_with("[retrieve]"), "{}", r.message);
        let f = ContainerFormat::cri(FormatContext::default());
        let mut r = Record::default();
        assert_eq!(f.parse_line(CRI, &mut r), Parsed::Entry);
        assert_eq!(r.time_ns, Some(T_CRI));
        assert_eq!(
            f.parse_line("2022-08-22T05:18:19Z stdout F", &mut Record::default()),
            Parsed::Entry
        );
        assert_eq!(f.parse_line("junk", &mut r), Parsed::Unparsed);
    }

    #[test]
    fn inner_time_is_kept_when_close_and_replaced_when_hours_off() {
        let env = Some(T_CRI);
        let rec = |t: Option<i64>, dateless: bool| Record {
            time_ns: t,
            time_without_date: dateless,
            time_without_zone: true,
            ..Default::default()
        };
        let cases = [
            (rec(Some(T_CRI - 300_000), false), T_CRI - 300_000),
            (
                rec(Some(T_CRI - 3599 * NS_PER_SEC), false),
                T_CRI - 3599 * NS_PER_SEC,
            ),
            (rec(Some(T_CRI + 8 * 3600 * NS_PER_SEC), false), T_CRI),
            (rec(Some(T_CRI - 300_000), true), T_CRI),
            (rec(None, false), T_CRI),
        ];
        for (mut r, want) in cases {
            envelope_time(&mut r, env);
            assert_eq!(r.time_ns, Some(want));
            assert!(!r.time_without_date);
        }
        let mut r = rec(Some(5), true);
        envelope_time(&mut r, None);
        assert_eq!((r.time_ns, r.time_without_date), (Some(5), true));
    }

    #[test]
    fn cri_partial_lines_join_into_one_entry() {
        let f = ContainerFormat::cri(FormatContext::default());
        let text = "2022-08-22T05:18:19.000000001Z stdout P {\"message\":\"part one \n\
                    2022-08-22T05:18:19.000000002Z stdout P and two \n\
                    2022-08-22T05:18:19.000000003Z stdout F end\"}\n\
                    2022-08-22T05:18:20Z stderr F next\n\
                    2022-08-22T05:18:21Z stdout P cut at the end";
        let p = pieces(&f, text);
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].0, "{\"message\":\"part one and two end\"}");
        assert_eq!((p[0].1, p[0].2), (Some(T_CRI - 394_320_401), 3));
        assert_eq!(p[1].0, "next");
        assert_eq!(p[2].0, "cut at the end");
        let s = sink(&f, text);
        assert_eq!(
            (s.counts.lines, s.counts.entries, s.counts.continuation),
            (5, 3, 2)
        );
        let lines: Vec<u32> = s.events.iter().map(|e| e.source.line).collect();
        assert_eq!(lines, vec![1, 4, 5]);
    }

    #[test]
    fn docker_split_records_join_and_escapes_are_undone() {
        let f = ContainerFormat::docker(FormatContext::default());
        let text = concat!(
            r#"{"log":"first \u003chalf","stream":"stdout","time":"2023-01-29T08:49:08.656972722Z"}"#,
            "\n",
            r#"{"log":"warn: \"quoted\"\n","stream":"stderr","time":"2023-01-29T08:49:08.7Z"}"#,
            "\r\n",
            r#"{"log":" second half\n","stream":"stdout","time":"2023-01-29T08:49:08.8Z"}"#,
            "\n",
            r#"{"log":"plain\n","stream":"stdout","time":"2023-01-29T08:49:09Z"}"#,
            "\n",
        );
        let p = pieces(&f, text);
        let texts: Vec<&str> = p.iter().map(|x| x.0.as_str()).collect();
        // A record of the other stream ends the split message early.
        assert_eq!(
            texts,
            vec!["first <half", "warn: \"quoted\"", " second half", "plain"]
        );
        let s = sink(&f, text);
        assert_eq!(
            (
                s.counts.lines,
                s.counts.entries,
                s.counts.continuation,
                s.counts.crlf
            ),
            (4, 3, 1, 1),
            "the stray second half is a continuation (leading space)"
        );
        let t = concat!(
            r#"{"log":"a","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#,
            "\n",
            r#"{"log":"b","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#,
            "\n",
            r#"{"log":"c\n","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#,
            "\n",
        );
        assert_eq!(pieces(&f, t)[0].0, "abc");
        assert_eq!(pieces(&f, t)[0].2, 3);
    }

    #[test]
    fn stack_traces_inside_envelopes_are_continuations() {
        let f = ContainerFormat::docker(FormatContext::default());
        let text = concat!(
            r#"{"log":"16:49:08.656 ERROR c.c.Ctl#67 boom\n","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#,
            "\n",
            r#"{"log":"java.lang.IllegalStateException: x\n","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#,
            "\n",
            r#"{"log":"\tat com.x.Ctl.run(Ctl.java:67)\n","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#,
            "\n",
            r#"{"log":"Caused by: java.io.IOException: y\n","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#,
            "\n",
            r#"{"log":"\t... 12 more\n","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#,
            "\n",
            "not an envelope\n",
            "\n",
        );
        let s = sink(&f, text);
        assert_eq!(
            (
                s.counts.lines,
                s.counts.entries,
                s.counts.continuation,
                s.counts.unparsed,
                s.counts.blank
            ),
            (7, 1, 4, 1, 1),
            "the exception line has no time of its own, so it continues the entry"
        );
        assert_eq!(s.examples[0].line, 6);
        assert!(
            s.counts.errors >= 1,
            "the stack trace marks its entry as failed"
        );
        let mut r = Record::default();
        let line = r#"{"log":"\tat com.x.Ctl.run(Ctl.java:67)\n","stream":"stdout","time":"2023-01-29T08:49:08Z"}"#;
        assert_eq!(f.parse_line(line, &mut r), Parsed::Continuation);
        assert!(r.exception);
    }

    #[test]
    fn no_input_panics() {
        let f = ContainerFormat::docker(FormatContext::default());
        let c = ContainerFormat::cri(FormatContext::default());
        let samples = [
            DOCKER,
            CRI,
            r#"{"log":"\u12"}"#,
            r#"{"log":"é\ud83d","stream":"x"}"#,
        ];
        for s in samples {
            for cut in 0..=s.len() {
                let b = &s.as_bytes()[..cut];
                let mut sk = ChunkSink::default();
                f.parse_chunk(b, &mut sk);
                c.parse_chunk(b, &mut sk);
                let mut m = s.as_bytes().to_vec();
                for v in [b'"', b'\\', b'{', b'}', b' ', b'\n', 0xff, 0] {
                    m[cut.min(s.len() - 1)] = v;
                    let mut sk = ChunkSink::default();
                    f.parse_chunk(&m, &mut sk);
                    c.parse_chunk(&m, &mut sk);
                }
                if let Some(t) = s.get(..cut) {
                    f.parse_line(t, &mut Record::default());
                    c.parse_line(t, &mut Record::default());
                }
            }
        }
    }
}
