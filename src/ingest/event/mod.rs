//! The data that leaves the ingest stage.
//!
//! Input: what a format parser found in one log entry, as a borrowed [`Record`].
//! Output: a compact, owned [`Event`] whose strings are interned [`Sym`]s, so an
//! event costs a few dozen bytes whatever the size of its line, and nothing
//! downstream holds the raw log text.
//!
//! [`record`] holds the [`Record`] and how parsers fill it (ids trimmed,
//! placeholders dropped, client addresses without ports); this file the
//! [`Event`] and the values both share.

use std::borrow::Cow;

mod record;

pub use self::record::{DurationSource, IdFields, Record, TimeUnit, UnitBasis};

/// Severity, ordered from least to most severe. `Unknown` when the line says nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    Unknown,
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    /// Reads the level names real loggers write (`WARN`, `warning`, `E`, `crit`, `50`, ...).
    pub fn parse(s: &str) -> Level {
        let s = s.trim();
        if let Ok(n) = s.parse::<u32>() {
            // bunyan/pino numeric levels
            return match n {
                0..=10 => Level::Trace,
                11..=20 => Level::Debug,
                21..=30 => Level::Info,
                31..=40 => Level::Warn,
                41..=50 => Level::Error,
                _ => Level::Fatal,
            };
        }
        let b = s.as_bytes();
        let eq = |w: &str| s.eq_ignore_ascii_case(w);
        if b.len() == 1 {
            return match b[0].to_ascii_uppercase() {
                b'T' => Level::Trace,
                b'D' => Level::Debug,
                b'I' => Level::Info,
                b'W' => Level::Warn,
                b'E' => Level::Error,
                b'F' | b'C' => Level::Fatal,
                _ => Level::Unknown,
            };
        }
        if eq("info") || eq("information") || eq("informational") || eq("notice") || eq("inf") {
            Level::Info
        } else if eq("debug") || eq("dbg") || eq("fine") || eq("finer") || eq("config") {
            Level::Debug
        } else if eq("trace") || eq("finest") || eq("verbose") || eq("trc") {
            Level::Trace
        } else if eq("warn") || eq("warning") || eq("wrn") {
            Level::Warn
        } else if eq("error") || eq("err") || eq("severe") || eq("eror") {
            Level::Error
        } else if eq("fatal")
            || eq("critical")
            || eq("crit")
            || eq("alert")
            || eq("emerg")
            || eq("emergency")
            || eq("panic")
            || eq("dpanic")
        {
            Level::Fatal
        } else {
            Level::Unknown
        }
    }

    /// Error, fatal and critical count as failures.
    pub fn is_error(self) -> bool {
        self >= Level::Error
    }
}

/// The kinds of correlation id an entry can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    Request,
    Trace,
    Span,
    ParentSpan,
}

impl IdKind {
    pub const ALL: [IdKind; 4] = [
        IdKind::Request,
        IdKind::Trace,
        IdKind::Span,
        IdKind::ParentSpan,
    ];
}

pub use super::symbols::{Sym, Symbols};

/// A span id as logged. One of 16 hex digits (W3C trace context, B3, Jaeger,
/// OpenTelemetry) is kept as its 64-bit value: span ids are most of a traced
/// run's distinct strings, and these take no string table entry. Any other
/// id is interned text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpanId {
    #[default]
    None,
    Hex(u64),
    Text(Sym),
}

impl SpanId {
    /// The id of `s`: its value when it is 16 hex digits (not all zeros), else its interned text.
    pub fn new(s: &str, symbols: &mut Symbols) -> SpanId {
        match hex16(s) {
            Some(v) if v != 0 => SpanId::Hex(v),
            _ if s.is_empty() => SpanId::None,
            _ => SpanId::Text(symbols.intern(s)),
        }
    }

    pub fn of(s: Option<&str>, symbols: &mut Symbols) -> SpanId {
        s.map_or(SpanId::None, |s| SpanId::new(s, symbols))
    }

    pub fn is_some(self) -> bool {
        self != SpanId::None
    }

    pub fn is_none(self) -> bool {
        self == SpanId::None
    }

    /// The id as text; hex ids in lowercase.
    pub fn text(self, symbols: &Symbols) -> Cow<'_, str> {
        match self {
            SpanId::None => Cow::Borrowed(""),
            SpanId::Hex(v) => Cow::Owned(format!("{v:016x}")),
            SpanId::Text(s) => Cow::Borrowed(symbols.get(s)),
        }
    }

    /// True when `s` names this id (a hex id in either case).
    pub fn is(self, s: &str, symbols: &Symbols) -> bool {
        match self {
            SpanId::None => false,
            SpanId::Hex(v) => hex16(s) == Some(v),
            SpanId::Text(t) => symbols.get(t) == s,
        }
    }

    /// The id in an event's 8 bytes, and whether they hold a symbol.
    fn pack(self) -> (u64, bool) {
        match self {
            SpanId::None => (0, false),
            SpanId::Hex(v) => (v, false),
            SpanId::Text(s) => (u64::from(s.0), true),
        }
    }

    fn unpack(raw: u64, text: bool) -> SpanId {
        match (raw, text) {
            (0, false) => SpanId::None,
            (v, false) => SpanId::Hex(v),
            (s, true) => SpanId::Text(Sym(s as u32)),
        }
    }
}

/// Each byte's value as a hex digit; 0xFF for a byte that is not one.
static HEX_DIGIT: [u8; 256] = {
    let mut t = [0xFF; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// The value of exactly 16 hex digits. Every span id passes here, and random
/// hex digits defeat branch prediction: a table and no branch per digit.
fn hex16(s: &str) -> Option<u64> {
    let digits: &[u8; 16] = s.as_bytes().try_into().ok()?;
    let (mut v, mut bad) = (0u64, 0u8);
    for &c in digits {
        let d = HEX_DIGIT[c as usize];
        bad |= d;
        v = v << 4 | u64::from(d & 0xF);
    }
    (bad & 0x80 == 0).then_some(v)
}

/// Where an event came from: an index into the run's file list and a 1-based line number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceRef {
    pub file: u32,
    pub line: u32,
}

/// Event flags.
pub mod flags {
    /// The entry named an exception or was followed by a stack trace.
    pub const EXCEPTION: u8 = 1;
    /// The time had no date and was completed from context.
    pub const TIME_INFERRED: u8 = 2;
    /// Continuation lines were attached to this entry.
    pub const MULTILINE: u8 = 4;
    /// The span id is a symbol ([`SpanId::Text`](super::SpanId)).
    pub(super) const SPAN_TEXT: u8 = 8;
    /// The parent span id is a symbol.
    pub(super) const PARENT_TEXT: u8 = 16;
}

/// One log entry, compact and owned. 80 bytes; the strings live in [`Symbols`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Event {
    /// UTC nanoseconds since the Unix epoch; `i64::MIN` when the entry had no usable time.
    pub time_ns: i64,
    /// Duration of the reported work in nanoseconds; `u64::MAX` when not logged.
    pub duration_ns: u64,
    pub source: SourceRef,
    pub service: Sym,
    /// `METHOD /path/{id}`, else the route, else the logger.
    pub operation: Sym,
    pub request_id: Sym,
    pub trace_id: Sym,
    /// The span and parent span ids, packed with a flag each: read and
    /// write them with [`Event::span_id`] and [`Event::set_span_id`].
    pub span_bits: u64,
    pub parent_bits: u64,
    /// The message, kept only for warnings and errors (error templates need it);
    /// other events keep `Sym::NONE` so memory does not grow with the text.
    pub message: Sym,
    /// The client's address (no port), for proxies and access logs.
    pub client: Sym,
    /// Where a proxy sent the request (backend, cluster, target), as logged.
    pub upstream: Sym,
    /// The request the entry names, ids and all, as a number
    /// ([`call_key`](crate::ingest::operation::call_key)); 0 when none.
    pub call: u32,
    /// HTTP status; 0 when none.
    pub status: u16,
    pub level: Level,
    pub flags: u8,
}

impl Event {
    pub const NO_TIME: i64 = i64::MIN;
    pub const NO_DURATION: u64 = u64::MAX;

    pub fn time(&self) -> Option<i64> {
        (self.time_ns != Self::NO_TIME).then_some(self.time_ns)
    }
    pub fn duration(&self) -> Option<u64> {
        (self.duration_ns != Self::NO_DURATION).then_some(self.duration_ns)
    }
    /// The span id the entry logged.
    pub fn span_id(&self) -> SpanId {
        SpanId::unpack(self.span_bits, self.flags & flags::SPAN_TEXT != 0)
    }
    /// The parent span id the entry logged.
    pub fn parent_span_id(&self) -> SpanId {
        SpanId::unpack(self.parent_bits, self.flags & flags::PARENT_TEXT != 0)
    }
    pub fn set_span_id(&mut self, id: SpanId) {
        let (raw, text) = id.pack();
        self.span_bits = raw;
        self.set_flag(flags::SPAN_TEXT, text);
    }
    pub fn set_parent_span_id(&mut self, id: SpanId) {
        let (raw, text) = id.pack();
        self.parent_bits = raw;
        self.set_flag(flags::PARENT_TEXT, text);
    }
    fn set_flag(&mut self, flag: u8, on: bool) {
        if on {
            self.flags |= flag;
        } else {
            self.flags &= !flag;
        }
    }
    /// True when the entry reports a failure: HTTP 5xx, level error or worse, or
    /// an exception in an entry without a level. A level the entry was logged
    /// at wins over what its text shows: an `INFO` line that mentions an
    /// exception, or a `WARN` with a stack trace, is not a failure.
    pub fn is_error(&self) -> bool {
        self.status >= 500
            || self.level.is_error()
            || (self.level == Level::Unknown && self.flags & flags::EXCEPTION != 0)
    }
    /// Rewrites the symbols of the id fields (request, trace, and span and
    /// parent span ids kept as text) through `to`.
    pub fn map_ids(&mut self, mut to: impl FnMut(Sym) -> Sym) {
        self.request_id = to(self.request_id);
        self.trace_id = to(self.trace_id);
        if self.flags & flags::SPAN_TEXT != 0 {
            self.span_bits = u64::from(to(Sym(self.span_bits as u32)).0);
        }
        if self.flags & flags::PARENT_TEXT != 0 {
            self.parent_bits = u64::from(to(Sym(self.parent_bits as u32)).0);
        }
    }
    /// Rewrites the symbols of the other fields (service, operation,
    /// message, client, upstream) through `to`.
    pub fn map_names(&mut self, mut to: impl FnMut(Sym) -> Sym) {
        for s in [
            &mut self.service,
            &mut self.operation,
            &mut self.message,
            &mut self.client,
            &mut self.upstream,
        ] {
            *s = to(*s);
        }
    }
    /// Rewrites every symbol through `map` (see [`Symbols::remap_from`]).
    pub fn remap(&mut self, map: &[Sym]) {
        for s in [
            &mut self.service,
            &mut self.operation,
            &mut self.request_id,
            &mut self.trace_id,
            &mut self.message,
            &mut self.client,
            &mut self.upstream,
        ] {
            *s = map[s.0 as usize];
        }
        if self.flags & flags::SPAN_TEXT != 0 {
            self.span_bits = u64::from(map[self.span_bits as usize].0);
        }
        if self.flags & flags::PARENT_TEXT != 0 {
            self.parent_bits = u64::from(map[self.parent_bits as usize].0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_stays_small() {
        assert!(
            std::mem::size_of::<Event>() <= 80,
            "{}",
            std::mem::size_of::<Event>()
        );
    }

    #[test]
    fn span_ids_of_16_hex_digits_are_numbers_others_text() {
        let mut sy = Symbols::default();
        let hex = SpanId::new("00F067aa0ba902b7", &mut sy);
        assert_eq!(hex, SpanId::Hex(0x00f0_67aa_0ba9_02b7));
        assert_eq!(hex.text(&sy), "00f067aa0ba902b7");
        assert!(hex.is("00f067AA0ba902b7", &sy) && !hex.is("f067aa0ba902b7", &sy));
        for text in [
            "span-1",
            "f067aa0ba902b7",
            "00f067aa0ba902b7a",
            "0000000000000000",
        ] {
            let id = SpanId::new(text, &mut sy);
            assert!(matches!(id, SpanId::Text(_)), "{text}");
            assert_eq!(id.text(&sy), text);
            assert!(id.is(text, &sy));
        }
        assert_eq!(SpanId::of(None, &mut sy), SpanId::None);
        assert_eq!(SpanId::new("", &mut sy), SpanId::None);
        assert_eq!(sy.len(), 5);
    }

    #[test]
    fn events_keep_both_kinds_of_span_id_through_a_remap() {
        let mut sy = Symbols::default();
        let text = SpanId::new("span-1", &mut sy);
        let mut e = Event::default();
        for (span, parent) in [
            (text, SpanId::Hex(7)),
            (SpanId::Hex(u64::MAX), text),
            (SpanId::None, SpanId::None),
        ] {
            e.set_span_id(span);
            e.set_parent_span_id(parent);
            assert_eq!((e.span_id(), e.parent_span_id()), (span, parent));
        }
        e.set_span_id(text);
        e.set_parent_span_id(SpanId::Hex(1));
        e.remap(&[Sym(0), Sym(9)]);
        assert_eq!(e.span_id(), SpanId::Text(Sym(9)));
        assert_eq!(e.parent_span_id(), SpanId::Hex(1));
        assert_eq!(e.flags & flags::EXCEPTION, 0);
    }

    #[test]
    fn levels_from_many_loggers() {
        assert_eq!(Level::parse("WARN"), Level::Warn);
        assert_eq!(Level::parse("warning"), Level::Warn);
        assert_eq!(Level::parse("E"), Level::Error);
        assert_eq!(Level::parse("50"), Level::Error);
        assert_eq!(Level::parse("crit"), Level::Fatal);
        assert_eq!(Level::parse("banana"), Level::Unknown);
    }
}
