//! The data that leaves the ingest stage.
//!
//! Input: what a format parser found in one log entry, as a borrowed [`Record`].
//! Output: a compact, owned [`Event`] whose strings are interned [`Sym`]s, so an
//! event costs a few dozen bytes whatever the size of its line, and nothing
//! downstream holds the raw log text.

use std::borrow::Cow;

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

/// What a parser found in one entry. Borrows from the line where it can.
///
/// Parsers fill what they find and leave the rest `None`; [`Record::clear`]
/// resets it for reuse so the hot loop allocates nothing for ordinary lines.
#[derive(Debug, Default, Clone)]
pub struct Record<'a> {
    /// UTC nanoseconds since the Unix epoch.
    pub time_ns: Option<i64>,
    /// True when the time had no date (e.g. `16:49:08.656`): the reader may fill
    /// the date from an envelope or from the entries around it.
    pub time_without_date: bool,
    /// True when the time had no zone and is still wall-clock time: the reader
    /// applies `--tz` to it. Parsers that apply the zone themselves clear it.
    pub time_without_zone: bool,
    pub level: Level,
    pub service: Option<Cow<'a, str>>,
    pub request_id: Option<Cow<'a, str>>,
    pub trace_id: Option<Cow<'a, str>>,
    pub span_id: Option<Cow<'a, str>>,
    pub parent_span_id: Option<Cow<'a, str>>,
    /// Names of the fields the ids came from (e.g. `request_id`, `TraceID`), for `inspect`.
    pub id_fields: IdFields<'a>,
    pub method: Option<Cow<'a, str>>,
    /// Request path or URL as logged (query and ids still in it).
    pub path: Option<Cow<'a, str>>,
    /// A route template the application logged (`/users/:id`).
    pub route: Option<Cow<'a, str>>,
    /// Logger or component name (`c.c.ConfigController`).
    pub logger: Option<Cow<'a, str>>,
    pub status: Option<u16>,
    /// Duration of the work this entry reports, in nanoseconds.
    pub duration_ns: Option<u64>,
    /// Where `duration_ns` came from and how its unit was known (for `inspect`).
    pub duration_source: Option<DurationSource<'a>>,
    /// Upstream (backend) time for proxies, in nanoseconds (sum of retries).
    pub upstream_ns: Option<u64>,
    /// The client's address without its port (see [`Record::set_client`]).
    pub client: Option<Cow<'a, str>>,
    /// Where a proxy sent the request: backend, cluster or target, as logged.
    pub upstream: Option<Cow<'a, str>>,
    pub message: Cow<'a, str>,
    /// The entry names an exception or carries a stack trace.
    pub exception: bool,
}

/// The unit a duration was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum TimeUnit {
    #[serde(rename = "ns")]
    Ns,
    #[serde(rename = "us")]
    Us,
    #[serde(rename = "ms")]
    Ms,
    #[serde(rename = "s")]
    S,
    #[serde(rename = "min")]
    Min,
    #[serde(rename = "h")]
    H,
    /// Several units in one value (`1m2.5s`).
    #[serde(rename = "h/m/s")]
    Mixed,
}

impl TimeUnit {
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Ns => "ns",
            TimeUnit::Us => "us",
            TimeUnit::Ms => "ms",
            TimeUnit::S => "s",
            TimeUnit::Min => "min",
            TimeUnit::H => "h",
            TimeUnit::Mixed => "h/m/s",
        }
    }
}

/// How a duration's unit was known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitBasis {
    /// The key names it: `duration_ms`, `elapsed_us`.
    Key,
    /// The value carries it: `113.7ms`, `1.2s`, `850us`.
    Value,
    /// The format defines it: nginx `$request_time` and OTel
    /// `http.server.request.duration` are seconds, Apache `%D` microseconds.
    Format,
    /// Nothing says it: a bare number under a name like `duration` or
    /// `latency`, taken as seconds when it has 4 or more decimals
    /// (`0.000123`, as zap and Caddy write) and as milliseconds otherwise.
    Assumed,
    /// The config file says it (`[[fields]]` `unit = "ms"`).
    Config,
}

/// Where a record's duration came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurationSource<'a> {
    /// The key it was read from (`dur`, `request_time`); `message` for a
    /// duration in prose (`took 12ms`); empty for a field a layout places by position.
    pub field: &'a str,
    pub unit: TimeUnit,
    pub basis: UnitBasis,
}

impl<'a> DurationSource<'a> {
    /// A duration whose unit the format defines (Envoy's `%DURATION%` is ms,
    /// an ALB's processing times are seconds).
    pub const fn by_format(field: &'a str, unit: TimeUnit) -> Self {
        DurationSource {
            field,
            unit,
            basis: UnitBasis::Format,
        }
    }
}

/// The names of the fields a record's ids came from: one per id kind at
/// most, kept inline (a list would allocate on every line that has an id).
#[derive(Clone, Copy, Debug, Default)]
pub struct IdFields<'a> {
    names: [&'a str; 4],
    len: u8,
}

impl<'a> IdFields<'a> {
    /// Adds `name` unless it is there or the list is full.
    pub fn push(&mut self, name: &'a str) {
        if (self.len as usize) < self.names.len() && !self.contains(&name) {
            self.names[self.len as usize] = name;
            self.len += 1;
        }
    }
}

impl<'a> std::ops::Deref for IdFields<'a> {
    type Target = [&'a str];
    fn deref(&self) -> &[&'a str] {
        &self.names[..self.len as usize]
    }
}

impl<'b> PartialEq<Vec<&'b str>> for IdFields<'_> {
    fn eq(&self, other: &Vec<&'b str>) -> bool {
        self[..] == other[..]
    }
}

impl PartialEq for IdFields<'_> {
    fn eq(&self, other: &Self) -> bool {
        self[..] == other[..]
    }
}

impl<'a> Record<'a> {
    /// Resets the record for the next line.
    pub fn clear(&mut self) {
        *self = Record::default();
    }

    /// Stores a correlation id of `kind` unless one is already there (the first
    /// field found wins), and remembers the field name for `inspect`.
    /// Empty values and placeholders (`-`, `null`, all zeros) are ignored.
    pub fn put_id(&mut self, kind: IdKind, value: Cow<'a, str>, field: &'a str) {
        let value = trim_id(value);
        if is_placeholder_id(&value) {
            return;
        }
        let slot = match kind {
            IdKind::Request => &mut self.request_id,
            IdKind::Trace => &mut self.trace_id,
            IdKind::Span => &mut self.span_id,
            IdKind::ParentSpan => &mut self.parent_span_id,
        };
        if slot.is_none() {
            *slot = Some(value);
            self.id_fields.push(field);
        }
    }

    /// Stores the client's address unless one is there: the first address of
    /// a list (`X-Forwarded-For: client, proxy`), without its port (client
    /// ports are ephemeral: kept, every request would have its own client).
    /// `-` and empty values are ignored.
    pub fn set_client(&mut self, value: Cow<'a, str>) {
        if self.client.is_some() {
            return;
        }
        let Some(range) = client_address(&value) else {
            return;
        };
        self.client = Some(match value {
            Cow::Borrowed(b) => Cow::Borrowed(&b[range]),
            Cow::Owned(o) => Cow::Owned(o[range].to_owned()),
        });
    }

    /// Stores the upstream as logged unless one is there; `-` and empty values are ignored.
    pub fn set_upstream(&mut self, value: Cow<'a, str>) {
        if self.upstream.is_none() && !is_placeholder_id(value.trim()) {
            self.upstream = Some(value);
        }
    }

    /// Stores a duration and where it came from, unless the record has one.
    pub fn set_duration(&mut self, ns: u64, source: DurationSource<'a>) {
        if self.duration_ns.is_none() {
            self.duration_ns = Some(ns);
            self.duration_source = Some(source);
        }
    }

    /// The id of `kind`, if any.
    pub fn id(&self, kind: IdKind) -> Option<&str> {
        match kind {
            IdKind::Request => self.request_id.as_deref(),
            IdKind::Trace => self.trace_id.as_deref(),
            IdKind::Span => self.span_id.as_deref(),
            IdKind::ParentSpan => self.parent_span_id.as_deref(),
        }
    }
}

/// The id without quotes and surrounding space. An AWS `X-Amzn-Trace-Id`
/// value (`Root=1-58337262-36d228ad5d99923122bbe354;Parent=...;Sampled=1`)
/// is its `Root`: the load balancer logs only that, the services behind it
/// log the whole header. A Cloud Logging trace name
/// (`projects/my-project/traces/06796866738c859f2f19b7cfb3214824`) is its
/// trace id: Google's load balancers and the services behind them log the
/// name, the `X-Cloud-Trace-Context` header carries the id.
fn trim_id(value: Cow<'_, str>) -> Cow<'_, str> {
    fn part(s: &str) -> &str {
        let s = s.trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
        if let Some(root) = s.strip_prefix("Root=") {
            return &root[..root.find(';').unwrap_or(root.len())];
        }
        match s
            .strip_prefix("projects/")
            .and_then(|r| r.split_once("/traces/"))
        {
            Some((_, id)) if !id.is_empty() => id,
            _ => s,
        }
    }
    match value {
        Cow::Borrowed(b) => Cow::Borrowed(part(b)),
        Cow::Owned(o) => {
            let t = part(&o);
            if t.len() == o.len() {
                Cow::Owned(o)
            } else {
                Cow::Owned(t.to_owned())
            }
        }
    }
}

/// Where the address is in a client field: the first entry of a list,
/// without quotes, brackets and port (`"[2001:db8::1]:443, 10.0.0.1"` ->
/// `2001:db8::1`, `10.0.0.7:51234` -> `10.0.0.7`). An IPv6 address without
/// brackets keeps all its colons.
fn client_address(v: &str) -> Option<std::ops::Range<usize>> {
    let end = v.find(',').unwrap_or(v.len());
    let strip = |c: char| c == '"' || c == '\'' || c.is_whitespace();
    let first = v[..end].trim_start_matches(strip);
    let start = end - first.len();
    let first = first.trim_end_matches(strip);
    let (a, b) = match first.strip_prefix('[') {
        Some(rest) => (start + 1, start + 1 + rest.find(']')?),
        None => match first.bytes().filter(|&c| c == b':').count() {
            1 => (start, start + first.find(':')?),
            _ => (start, start + first.len()),
        },
    };
    let addr = &v[a..b];
    (!is_placeholder_id(addr) && !addr.eq_ignore_ascii_case("unknown")).then_some(a..b)
}

fn is_placeholder_id(v: &str) -> bool {
    v.is_empty()
        || v == "-"
        || v.eq_ignore_ascii_case("null")
        || v.eq_ignore_ascii_case("none")
        || v.eq_ignore_ascii_case("undefined")
        || v.bytes().all(|b| b == b'0' || b == b'-')
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

/// One log entry, compact and owned. 72 bytes; the strings live in [`Symbols`].
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
            std::mem::size_of::<Event>() <= 72,
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

    #[test]
    fn placeholder_ids_are_ignored() {
        let mut r = Record::default();
        r.put_id(IdKind::Request, "-".into(), "rid");
        r.put_id(
            IdKind::Trace,
            "00000000000000000000000000000000".into(),
            "trace_id",
        );
        assert!(r.request_id.is_none() && r.trace_id.is_none());
        r.put_id(IdKind::Request, "\"abc\"".into(), "rid");
        r.put_id(IdKind::Request, "def".into(), "x");
        assert_eq!(r.request_id.as_deref(), Some("abc"));
        assert_eq!(r.id_fields, vec!["rid"]);
        let mut r = Record::default();
        r.put_id(
            IdKind::Request,
            "Root=1-58337262-36d228ad5d99923122bbe354;Parent=53995c3f42cd8ad8;Sampled=1".into(),
            "x_amzn_trace_id",
        );
        assert_eq!(
            r.request_id.as_deref(),
            Some("1-58337262-36d228ad5d99923122bbe354")
        );
        // A Cloud Logging trace name is its trace id; other paths stay whole.
        let mut r = Record::default();
        r.put_id(
            IdKind::Trace,
            "projects/shop-prod/traces/06796866738c859f2f19b7cfb3214824".into(),
            "trace",
        );
        r.put_id(IdKind::Request, "projects/x/builds/7".into(), "rid");
        assert_eq!(
            r.trace_id.as_deref(),
            Some("06796866738c859f2f19b7cfb3214824")
        );
        assert_eq!(r.request_id.as_deref(), Some("projects/x/builds/7"));
    }

    #[test]
    fn client_addresses_lose_ports_and_proxies() {
        for (logged, client) in [
            ("10.0.0.7:51234", Some("10.0.0.7")),
            ("10.0.0.7", Some("10.0.0.7")),
            ("\"203.0.113.9, 10.0.0.1\"", Some("203.0.113.9")),
            ("[2001:db8::1]:443", Some("2001:db8::1")),
            ("2001:db8::1", Some("2001:db8::1")),
            (" 192.0.2.1 ,10.1.1.1", Some("192.0.2.1")),
            ("-", None),
            ("", None),
            ("unknown", None),
            ("[2001:db8::1", None),
        ] {
            let mut r = Record::default();
            r.set_client(logged.into());
            assert_eq!(r.client.as_deref(), client, "{logged}");
            let mut r = Record::default();
            r.set_client(Cow::Owned(logged.to_owned()));
            assert_eq!(r.client.as_deref(), client, "{logged}");
        }
        let mut r = Record::default();
        r.set_upstream("-".into());
        r.set_upstream("backend/srv1".into());
        r.set_upstream("other".into());
        assert_eq!(r.upstream.as_deref(), Some("backend/srv1"));
    }
}
