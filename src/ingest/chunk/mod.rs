//! Newline-aligned chunks of one file -> counts and events.
//!
//! Input: a chunk of bytes that starts at a line start and ends after a newline
//! (or at the end of the file), and a line parser. Output: a [`ChunkSink`] with
//! the chunk's counters, its first unparsed lines, and (when asked) its events.
//! Sinks of consecutive chunks [`merge`](ChunkSink::merge) in file order, so the
//! result is the same whether a file was parsed as one chunk or as many, on one
//! thread or many: line numbers are rebased and continuation lines at the start
//! of a chunk are attached to the last entry of the chunk before it.
//!
//! [`counts`] holds the tallies the sink keeps; this file reads the lines,
//! builds the events and merges sinks. Its tests are in `tests.rs`.

use std::collections::BTreeMap;

use super::event::{flags, Event, Record, SourceRef, SpanId, Sym, Symbols, TimeUnit, UnitBasis};
use super::ids::IdPatterns;
use super::line::Parsed;
use super::operation;

mod counts;

use self::counts::{count_duration, count_field};
pub use self::counts::{BadLine, DurationField, LineCounts, StatusClasses};

/// Lines longer than this are not parsed; they are counted and reported.
pub const MAX_LINE: usize = 1 << 20;
/// How many unparsed lines of each file are kept as examples.
pub const EXAMPLES: usize = 3;
/// Messages kept on events are cut to this many bytes.
const MAX_MESSAGE: usize = 512;

/// What the sink needs to know about the file its chunk comes from.
#[derive(Clone, Debug, Default)]
pub struct FileInfo {
    /// Index of the file in the run's file list.
    pub file: u32,
    /// Service name for entries that do not name one (from the path).
    pub default_service: String,
    /// The config named the file's service: it is every entry's, whatever
    /// the entry says.
    pub force_service: bool,
    /// Keep [`Event`]s (report) or only count (inspect).
    pub keep_events: bool,
    /// Zone of times written without one (`--tz`), for parsers that leave it to the reader.
    pub tz: Option<jiff::tz::TimeZone>,
    /// The config's `[[id_pattern]]`s, applied to every entry's line.
    pub id_patterns: Option<std::sync::Arc<IdPatterns>>,
}

/// A short log line: a chunk's event list has room for a line this long at
/// every position.
const SHORT_LINE: usize = 32;
/// Bytes of input per distinct string a chunk's table is sized for (its hash
/// index is written when made, so it is not sized for the worst case): an id
/// or two per line of 100-300 bytes is typical; the table grows when needed.
const BYTES_PER_STRING: usize = 128;

/// Counters, examples and events of one chunk, or of several merged chunks.
#[derive(Debug, Default, Clone)]
pub struct ChunkSink {
    pub info: FileInfo,
    pub counts: LineCounts,
    pub examples: Vec<BadLine>,
    pub time_min: Option<i64>,
    pub time_max: Option<i64>,
    /// Entries per service symbol (index = symbol number).
    pub services: BTreeMap<Sym, u64>,
    /// Entries that carried an id, per field name the id came from (few
    /// names, looked up on every line: a list, not a map).
    pub id_fields: Vec<(String, u64)>,
    /// Entries with a duration, per source (few, looked up on every line: a list).
    pub durations: Vec<DurationField>,
    pub statuses: StatusClasses,
    pub events: Vec<Event>,
    pub symbols: Symbols,
    /// Events of the chunks merged after the first, each with its own table
    /// (in file order): merging keeps them apart so every id is interned once
    /// more only, into the run's table, not once per file and again per run.
    /// [`ChunkSink::flatten`] folds them into `events`.
    pub parts: Vec<(Symbols, Vec<Event>)>,
    /// Continuation lines before the first entry of this chunk: they belong to
    /// the last entry of the chunk before.
    lead_continuation: bool,
    lead_exception: bool,
    /// Index in `events` of the entry continuation lines attach to.
    open_entry: bool,
    /// Reused to build operation names without allocating per event.
    scratch: String,
}

impl ChunkSink {
    pub fn new(info: FileInfo) -> Self {
        ChunkSink {
            info,
            ..Default::default()
        }
    }

    /// A sink for `chunk` with its event list and string table sized from the
    /// chunk's length, so that parsing rarely grows them by doubling: every
    /// doubling copies and touches fresh memory. The event list is reserved
    /// for short lines; the pages it does not use are never touched.
    pub fn for_chunk(info: FileInfo, chunk: &[u8]) -> Self {
        let mut sink = ChunkSink::new(info);
        if sink.info.keep_events {
            sink.events.reserve_exact(chunk.len() / SHORT_LINE + 1);
            sink.symbols = Symbols::with_capacity(chunk.len() / BYTES_PER_STRING, chunk.len() / 4);
        }
        sink
    }

    /// Walks the lines of `chunk`, handing each to `parse`.
    pub fn run_lines<F>(&mut self, chunk: &[u8], mut parse: F)
    where
        F: for<'a> FnMut(&'a str, &mut Record<'a>) -> Parsed,
    {
        let mut start = 0;
        while start < chunk.len() {
            let end = memchr::memchr(b'\n', &chunk[start..]).map_or(chunk.len(), |i| start + i);
            let line = &chunk[start..end];
            start = end + 1;
            self.line(line, &mut parse);
        }
    }

    /// Handles one raw line (without its `\n`).
    pub fn line<F>(&mut self, line: &[u8], parse: &mut F)
    where
        F: for<'a> FnMut(&'a str, &mut Record<'a>) -> Parsed,
    {
        let Some((n, text)) = self.accept(line) else {
            return;
        };
        let mut rec = Record::default();
        let text: &str = &text;
        match parse(text, &mut rec) {
            Parsed::Entry => {
                if let Some(patterns) = &self.info.id_patterns {
                    patterns.apply(text, &mut rec);
                }
                self.counts.entries += 1;
                self.entry(n, &rec)
            }
            Parsed::Continuation => self.continuation(rec.exception),
            Parsed::Unparsed => self.bad(n, "not in the detected format", line),
            Parsed::Header => self.counts.headers += 1,
        }
    }

    /// Handles one raw line that holds any number of entries (an OTLP JSON
    /// batch): `parse` hands each record to the emitter it is given. The line
    /// counts once, as an entry line, whatever the number of events.
    pub fn line_of_records<F>(&mut self, line: &[u8], parse: &mut F)
    where
        F: for<'a> FnMut(&'a str, &mut dyn FnMut(&mut Record<'a>)) -> Result<(), &'static str>,
    {
        let Some((n, text)) = self.accept(line) else {
            return;
        };
        let text: &str = &text;
        let patterns = self.info.id_patterns.clone();
        let mut emit = |rec: &mut Record<'_>| {
            if let Some(patterns) = &patterns {
                let msg = rec.message.to_string();
                patterns.apply_copied(&msg, rec);
            }
            self.entry(n, rec);
        };
        match parse(text, &mut emit) {
            Ok(()) => self.counts.entries += 1,
            Err(reason) => self.bad(n, reason, line),
        }
    }

    /// One entry a format read over `lines` lines of its own structure (a
    /// journald export record): the first line is its entry line, the rest
    /// continue it.
    pub fn record_lines(&mut self, lines: u64, rec: &Record<'_>) {
        let n = self.counts.lines;
        self.counts.lines += lines;
        self.counts.entries += 1;
        self.counts.continuation += lines.saturating_sub(1);
        self.entry(n, rec);
    }

    /// Counts `k` blank lines a format walked over itself.
    pub fn blank_lines(&mut self, k: u64) {
        self.counts.lines += k;
        self.counts.blank += k;
    }

    /// Counts an unparsed line a format walked over itself, with the reason.
    pub fn unparsed_line(&mut self, line: &[u8], reason: &'static str) {
        let n = self.counts.lines;
        self.counts.lines += 1;
        self.bad(n, reason, line);
    }

    /// The checks every line goes through before a parser sees it: counted,
    /// `\r` and NUL padding removed, blank, over-long and binary lines counted
    /// and set aside. Returns the line number and the text to parse.
    fn accept<'l>(&mut self, mut line: &'l [u8]) -> Option<(u64, std::borrow::Cow<'l, str>)> {
        let n = self.counts.lines;
        self.counts.lines += 1;
        if let Some(rest) = line.strip_suffix(b"\r") {
            line = rest;
            self.counts.crlf += 1;
        }
        if line.len() > MAX_LINE {
            self.counts.long_lines += 1;
            self.bad(n, "line longer than 1 MiB", line);
            return None;
        }
        // NUL padding left by a crash: drop it, keep what follows.
        if line.first() == Some(&0) {
            let first = line.iter().position(|&b| b != 0).unwrap_or(line.len());
            line = &line[first..];
        }
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            self.counts.blank += 1;
            return None;
        }
        let text = match std::str::from_utf8(line) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => {
                self.counts.invalid_utf8 += 1;
                if looks_binary(line) {
                    self.counts.binary_lines += 1;
                    self.bad(n, "binary data", line);
                    return None;
                }
                String::from_utf8_lossy(line)
            }
        };
        if looks_binary(text.as_bytes()) {
            self.counts.binary_lines += 1;
            self.bad(n, "binary data", line);
            return None;
        }
        Some((n, text))
    }

    /// A continuation line: it joins the open entry, or the last entry of the chunk before.
    fn continuation(&mut self, exception: bool) {
        self.counts.continuation += 1;
        if self.open_entry {
            // An open entry always has its event (a placeholder when only counting).
            let mut errors = self.counts.errors;
            if let Some(ev) = self.last_event_mut() {
                ev.flags |= flags::MULTILINE;
                if exception {
                    mark_exception(ev, &mut errors);
                }
            }
            self.counts.errors = errors;
        } else {
            self.lead_continuation = true;
            self.lead_exception |= exception;
        }
    }

    fn bad(&mut self, n: u64, reason: &'static str, line: &[u8]) {
        self.counts.unparsed += 1;
        if self.examples.len() < EXAMPLES {
            let cut = &line[..line.len().min(800)];
            let text: String = String::from_utf8_lossy(cut)
                .chars()
                .map(|c| {
                    if c.is_control() && c != '\t' {
                        '\u{fffd}'
                    } else {
                        c
                    }
                })
                .take(200)
                .collect();
            self.examples.push(BadLine {
                line: n,
                reason,
                text,
            });
        }
    }

    fn entry(&mut self, n: u64, rec: &Record<'_>) {
        self.counts.events += 1;
        self.open_entry = true;
        let time = match (rec.time_ns, &self.info.tz) {
            (Some(t), Some(_)) if rec.time_without_zone && !rec.time_without_date => {
                let ctx = super::line::FormatContext {
                    tz: self.info.tz.clone(),
                    year: 0,
                };
                Some(ctx.local_to_utc(t))
            }
            (t, _) => t,
        };
        match time {
            Some(t) => {
                self.time_min = Some(self.time_min.map_or(t, |m| m.min(t)));
                self.time_max = Some(self.time_max.map_or(t, |m| m.max(t)));
            }
            None => self.counts.untimed += 1,
        }
        let service = match rec.service.as_deref() {
            Some(s) if !s.is_empty() && !self.info.force_service => self.symbols.intern(s),
            _ => self.symbols.intern(&self.info.default_service),
        };
        *self.services.entry(service).or_default() += 1;
        for &f in rec.id_fields.iter() {
            count_field(&mut self.id_fields, f, 1);
        }
        if let Some(status) = rec.status {
            self.statuses.count(status);
        }
        if rec.duration_ns.is_some() {
            let (field, unit, basis) = match rec.duration_source {
                Some(s) => (s.field, s.unit, s.basis),
                None => ("", TimeUnit::Ns, UnitBasis::Format),
            };
            count_duration(&mut self.durations, field, unit, basis, 1);
        }
        let mut ev = Event {
            time_ns: time.unwrap_or(Event::NO_TIME),
            duration_ns: rec.duration_ns.unwrap_or(Event::NO_DURATION),
            source: SourceRef {
                file: self.info.file,
                line: n as u32,
            },
            service,
            status: rec.status.unwrap_or(0),
            level: rec.level,
            flags: if rec.exception { flags::EXCEPTION } else { 0 },
            ..Default::default()
        };
        if rec.time_without_date {
            ev.flags |= flags::TIME_INFERRED;
        }
        if ev.is_error() {
            self.counts.errors += 1;
        }
        if !self.info.keep_events {
            // Counting only: one placeholder stands for the open entry so that
            // continuation lines can still mark it as failed.
            self.events.clear();
            self.events.push(ev);
            return;
        }
        ev.operation = operation::operation_with(rec, &mut self.symbols, &mut self.scratch);
        ev.call = operation::call_key(rec, &self.scratch);
        ev.request_id = self.symbols.intern_opt(rec.request_id.as_deref());
        ev.trace_id = self.symbols.intern_opt(rec.trace_id.as_deref());
        ev.client = self.symbols.intern_opt(rec.client.as_deref());
        ev.upstream = self.symbols.intern_opt(rec.upstream.as_deref());
        ev.set_span_id(SpanId::of(rec.span_id.as_deref(), &mut self.symbols));
        ev.set_parent_span_id(SpanId::of(rec.parent_span_id.as_deref(), &mut self.symbols));
        if ev.is_error() || rec.level >= super::event::Level::Warn {
            ev.message = self.symbols.intern(cut_message(&rec.message));
        }
        self.events.push(ev);
    }

    /// Appends the sink of the chunk that follows this one in the file.
    pub fn merge(&mut self, mut later: ChunkSink) {
        let base = self.counts.lines;
        if later.lead_continuation && self.open_entry {
            let mut errors = self.counts.errors;
            if let Some(ev) = self.last_event_mut() {
                ev.flags |= flags::MULTILINE;
                if later.lead_exception {
                    mark_exception(ev, &mut errors);
                }
            }
            self.counts.errors = errors;
        }
        self.counts.add(&later.counts);
        for mut ex in later.examples.drain(..) {
            if self.examples.len() < EXAMPLES {
                ex.line += base;
                self.examples.push(ex);
            }
        }
        self.time_min = min_opt(self.time_min, later.time_min);
        self.time_max = max_opt(self.time_max, later.time_max);
        for (s, c) in later.services {
            let sym = self.symbols.intern(later.symbols.get(s));
            *self.services.entry(sym).or_default() += c;
        }
        for (f, c) in &later.id_fields {
            count_field(&mut self.id_fields, f, *c);
        }
        for d in &later.durations {
            count_duration(&mut self.durations, &d.field, d.unit, d.basis, d.count);
        }
        self.statuses.add(&later.statuses);
        if !self.info.keep_events {
            // Counting only: the later chunk's placeholder is the open entry now.
            self.events.clear();
            self.events.append(&mut later.events);
        } else {
            let mut pieces = vec![(later.symbols, later.events)];
            pieces.append(&mut later.parts);
            for (syms, mut events) in pieces {
                for ev in &mut events {
                    ev.source.line += base as u32;
                }
                if !events.is_empty() {
                    self.parts.push((syms, events));
                }
            }
        }
        if later.counts.events > 0 {
            self.open_entry = true;
        }
        if self.counts.lines == later.counts.lines {
            // This sink was empty: the later one's leading lines had no entry to join.
            self.lead_continuation = later.lead_continuation;
            self.lead_exception = later.lead_exception;
        }
    }

    /// The last event of the merged chunks, wherever it is kept.
    fn last_event_mut(&mut self) -> Option<&mut Event> {
        match self.parts.iter_mut().rev().find(|p| !p.1.is_empty()) {
            Some(part) => part.1.last_mut(),
            None => self.events.last_mut(),
        }
    }

    /// Folds [`Self::parts`] into `events` and `symbols` (for callers that want
    /// one table; the reading pipeline maps the parts into the run's table instead).
    pub fn flatten(&mut self) {
        for (syms, events) in std::mem::take(&mut self.parts) {
            let map = self.symbols.remap_from(&syms);
            self.events.extend(events.into_iter().map(|mut ev| {
                ev.remap(&map);
                ev
            }));
        }
    }

    /// Converts 0-based line numbers to 1-based once the whole file is merged.
    pub fn finish(&mut self) {
        for ex in &mut self.examples {
            ex.line += 1;
        }
        let parts = self.parts.iter_mut().flat_map(|p| p.1.iter_mut());
        for ev in self.events.iter_mut().chain(parts) {
            ev.source.line += 1;
        }
        if !self.info.keep_events {
            self.events.clear();
        }
    }
}

fn mark_exception(ev: &mut Event, errors: &mut u64) {
    let was = ev.is_error();
    ev.flags |= flags::EXCEPTION;
    if !was && ev.is_error() {
        *errors += 1;
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn cut_message(m: &str) -> &str {
    if m.len() <= MAX_MESSAGE {
        return m;
    }
    let mut end = MAX_MESSAGE;
    while !m.is_char_boundary(end) {
        end -= 1;
    }
    &m[..end]
}

/// True when a line is mostly not text: many control bytes or NULs.
pub fn looks_binary(line: &[u8]) -> bool {
    let sample = &line[..line.len().min(512)];
    // Nearly every line has no control byte at all: say so with a minimum and
    // a search, both on whole vectors of bytes, before counting byte by byte.
    if sample.iter().copied().min().unwrap_or(u8::MAX) >= 0x20
        && memchr::memchr(0x7f, sample).is_none()
    {
        return false;
    }
    let bad = sample
        .iter()
        .filter(|&&b| (b < 0x20 && b != b'\t' && b != 0x1b) || b == 0x7f)
        .count();
    bad * 10 > sample.len() || (bad > 0 && sample.contains(&0))
}

#[cfg(test)]
mod tests;
