//! What a format parser found in one log entry: the borrowed [`Record`].
//!
//! Input: the values a parser reads from a line (times, ids, fields, the
//! message), borrowed from it where they can be. Output: a [`Record`] with
//! them cleaned as every format needs: ids without quotes or wrappers
//! (AWS `Root=`, Cloud Logging trace names), placeholder ids (`-`, `null`,
//! all zeros) dropped, the client's address without its port, and of each
//! id, the duration and the upstream the first one kept. The chunk reader turns it into an
//! [`Event`](super::Event).

use std::borrow::Cow;

use super::{IdKind, Level};

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

#[cfg(test)]
mod tests {
    use super::*;

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
