//! Field names -> meanings, shared by every key/value format.
//!
//! Input: a key as JSON, logfmt or a `key=value` pair in free text writes it
//! (`request_id`, `traceId`, `trace.id`, `duration_ms`, `@timestamp`, ...) and
//! its value. Output: the [`Record`] field it fills. One table, so JSON,
//! logfmt and text agree on what a name means.

use std::borrow::Cow;

use crate::ingest::event::{DurationSource, IdKind, Level, Record, TimeUnit, UnitBasis};
use crate::ingest::time;

/// What a key means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Time,
    Level,
    Message,
    Service,
    Id(IdKind),
    /// A duration; the unit comes from the name, else from the value.
    Duration(Unit),
    Status,
    Method,
    Path,
    Route,
    /// A full URL: its path is used.
    Url,
    Logger,
    /// An error or exception object/string: marks the entry as failed.
    Error,
}

/// The unit a duration field name implies, for a value written without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// The name says it (`duration_ns`, `elapsed_us`, `latency_ms`, `duration_s`).
    Ns,
    Us,
    Ms,
    S,
    /// Seconds by the definition of whoever writes the name: nginx's
    /// `$request_time` (`request_time`, `rt`), OTel's `http.server.request.duration`.
    FormatS,
    /// Not in the name (`duration`, `dur`, `latency`): `120ms`, `1.2s` carry a
    /// unit; a bare number is assumed to be seconds with 4+ decimals, else ms.
    FromValue,
    /// The config file gives it (`[[fields]]` `unit`); a unit in the value wins.
    Config(TimeUnit),
}

/// A file's own field names from the config (`[[fields]]`): looked up
/// before [`classify`], and a role the map gives to a key is taken from the
/// names `classify` knows (with `duration = "total_ms"`, a `duration` key is
/// not the duration; with `operation = "op"`, `path` and `url` are not it).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldMap {
    keys: Vec<(String, Field)>,
}

impl FieldMap {
    /// The map of `keys` (key as written in the log -> what it holds).
    pub fn new(keys: Vec<(String, Field)>) -> FieldMap {
        FieldMap { keys }
    }

    /// The meaning of `key` in the files this map is for.
    #[inline]
    pub fn classify(&self, key: &str) -> Option<Field> {
        if let Some((_, f)) = self.keys.iter().find(|(k, _)| k == key) {
            return Some(*f);
        }
        let f = classify(key)?;
        let taken = self.keys.iter().any(|(_, m)| same_role(*m, f));
        (!taken).then_some(f)
    }
}

/// True when a mapped field `mapped` fills what `f` would.
fn same_role(mapped: Field, f: Field) -> bool {
    match (mapped, f) {
        (Field::Duration(_), Field::Duration(_)) => true,
        (Field::Route, Field::Route | Field::Path | Field::Url) => true,
        (a, b) => a == b,
    }
}

/// The meaning of `key`, compared without case and with `_`, `-` and `.` ignored
/// (`request_id`, `requestId`, `request-id` and `Request.ID` are one name).
#[inline]
pub fn classify(key: &str) -> Option<Field> {
    let mut buf = [0u8; 32];
    let n = normalize_into(key.as_bytes(), &mut buf)?;
    classify_normalized(&buf[..n])
}

/// Writes `key` into `buf` the way [`classify`] compares names (lower case,
/// without `_ - . @`) and returns the length, or None when it does not fit.
/// Formats that read nested objects build a dotted path with it
/// (`{"http":{"request":{"method":..}}}` -> `httprequestmethod`).
pub fn normalize_into(key: &[u8], buf: &mut [u8]) -> Option<usize> {
    let mut n = 0;
    for &b in key {
        if b == b'_' || b == b'-' || b == b'.' || b == b'@' {
            continue;
        }
        *buf.get_mut(n)? = b.to_ascii_lowercase();
        n += 1;
    }
    Some(n)
}

/// [`classify`] of a name already put through [`normalize_into`].
pub fn classify_normalized(k: &[u8]) -> Option<Field> {
    Some(match k {
        b"ts"
        | b"time"
        | b"timestamp"
        | b"datetime"
        | b"date"
        | b"t"
        | b"eventtime"
        | b"logtime"
        | b"timelocal"
        | b"timeiso8601"
        | b"timeunixnano"
        | b"realtimetimestamp"
        | b"edgestarttimestamp" => Field::Time,
        b"level" | b"lvl" | b"severity" | b"loglevel" | b"levelname" | b"severitytext" | b"l" => {
            Field::Level
        }
        b"msg" | b"message" | b"logmessage" | b"text" | b"body" => Field::Message,
        b"service" | b"servicename" | b"svc" | b"app" | b"application" | b"appname"
        | b"component" | b"syslogidentifier" => Field::Service,
        b"requestid" | b"reqid" | b"xrequestid" | b"correlationid" | b"xcorrelationid" | b"rid"
        | b"httpreqid" | b"httprequestid" | b"rayid"
        // What AWS load balancers and CloudFront add to the request they forward.
        | b"xamzntraceid" | b"amzntraceid" | b"xamzcfid" | b"amzcfid"
        // ... and what Azure Application Gateway and Front Door add.
        | b"xappgwtraceid" | b"appgwtraceid" | b"xazureref" | b"azureref" => Field::Id(IdKind::Request),
        // Cloud Logging's structured-logging keys (`logging.googleapis.com/trace`).
        b"traceid" | b"trace" | b"xb3traceid" | b"ddtraceid" | b"oteltraceid"
        | b"logginggoogleapiscom/trace" => Field::Id(IdKind::Trace),
        b"spanid" | b"span" | b"xb3spanid" | b"ddspanid" | b"otelspanid"
        | b"logginggoogleapiscom/spanid" => Field::Id(IdKind::Span),
        b"parentspanid" | b"parentid" | b"parent" | b"xb3parentspanid" => {
            Field::Id(IdKind::ParentSpan)
        }
        // The common duration names, here for speed; [`duration_key`] reads the rest.
        b"durationms" | b"elapsedms" | b"latencyms" | b"tookms" | b"responsetimems" | b"timems"
        | b"ms" | b"millis" | b"durationmillis" | b"elapsedmillis" => Field::Duration(Unit::Ms),
        b"durationus" | b"elapsedus" | b"latencyus" | b"us" | b"micros" => {
            Field::Duration(Unit::Us)
        }
        b"durationns" | b"elapsedns" | b"latencyns" | b"ns" | b"nanos" | b"eventduration" => {
            Field::Duration(Unit::Ns)
        }
        b"durations"
        | b"durationsec"
        | b"durationseconds"
        | b"elapseds"
        | b"elapsedseconds"
        | b"latencyseconds"
        | b"responsetimeseconds" => Field::Duration(Unit::S),
        b"duration" | b"dur" | b"elapsed" | b"latency" | b"took" | b"responsetime"
        | b"elapsedtime" | b"timetaken" => Field::Duration(Unit::FromValue),
        b"requesttime" | b"rt" | b"httpserverrequestduration" | b"httpclientrequestduration" => {
            Field::Duration(Unit::FormatS)
        }
        b"httpserverduration" | b"httpclientduration" => Field::Duration(Unit::Ms),
        b"status"
        | b"statuscode"
        | b"httpstatus"
        | b"httpstatuscode"
        | b"code"
        | b"httpresponsestatuscode"
        | b"responsestatus"
        | b"edgeresponsestatus" => Field::Status,
        b"method"
        | b"httpmethod"
        | b"verb"
        | b"httprequestmethod"
        | b"httpreqmethod"
        | b"requestmethod"
        | b"clientrequestmethod" => Field::Method,
        b"path" | b"uri" | b"httppath" | b"urlpath" | b"httpreqpath" | b"requestpath"
        | b"httptarget" | b"clientrequesturi" => Field::Path,
        b"route" | b"httproute" | b"endpoint" | b"operation" | b"handler" => Field::Route,
        b"url" | b"httpurl" | b"urloriginal" | b"urlfull" | b"requesturl" | b"requesturi" => {
            Field::Url
        }
        // `target` is the module path in Rust's tracing (`fmt_json::yak_shave`), not a URL.
        b"logger" | b"loggername" | b"name" | b"category" | b"module" | b"target" => Field::Logger,
        b"error"
        | b"err"
        | b"exception"
        | b"stacktrace"
        | b"stack"
        | b"errorstack"
        | b"exc"
        | b"excinfo"
        | b"exceptiontype"
        | b"exceptionmessage"
        | b"exceptionstacktrace" => Field::Error,
        _ => return duration_key(k),
    })
}

/// A duration word, maybe followed by a unit (`dur`, `duration_ms`,
/// `elapsed_us`, `latency_seconds`, `took_millis`), already normalised.
/// Tried only for names the table above does not know.
#[cold]
fn duration_key(k: &[u8]) -> Option<Field> {
    /// The words that name how long something took.
    const WORDS: [&[u8]; 10] = [
        b"dur",
        b"duration",
        b"elapsed",
        b"elapsedtime",
        b"took",
        b"latency",
        b"timetaken",
        b"responsetime",
        b"processingtime",
        b"requestduration",
    ];
    // Most names are out at their first byte.
    if !matches!(k.first(), Some(b'd' | b'e' | b't' | b'l' | b'r' | b'p')) {
        return None;
    }
    WORDS
        .iter()
        .find_map(|w| k.strip_prefix(*w).and_then(unit_suffix))
        .map(Field::Duration)
}

/// The unit a name's ending states (`ms`, `_seconds`), or [`Unit::FromValue`] for none.
fn unit_suffix(rest: &[u8]) -> Option<Unit> {
    Some(match rest {
        b"" => Unit::FromValue,
        b"ns" | b"nanos" | b"nanoseconds" => Unit::Ns,
        b"us" | b"micros" | b"microseconds" => Unit::Us,
        b"ms" | b"msec" | b"millis" | b"milliseconds" => Unit::Ms,
        b"s" | b"sec" | b"secs" | b"seconds" => Unit::S,
        _ => return None,
    })
}

/// Stores `value` into the record field `field` names, unless that field is set.
/// Returns false when the value did not fit the field (e.g. a status that is not a number).
pub fn apply<'a>(field: Field, key: &'a str, value: Cow<'a, str>, out: &mut Record<'a>) -> bool {
    match field {
        Field::Time => {
            if out.time_ns.is_some() {
                return true;
            }
            match parse_time_value(&value) {
                Some((ns, zone)) => {
                    out.time_ns = Some(ns);
                    out.time_without_zone = !zone;
                    true
                }
                None => false,
            }
        }
        Field::Level => {
            if out.level == Level::Unknown {
                out.level = Level::parse(&value);
            }
            true
        }
        Field::Message => {
            if out.message.is_empty() {
                out.message = value;
            }
            true
        }
        // Heroku's router writes `service=3ms`: the time the app took, not a name.
        Field::Service if is_duration_with_unit(&value) => {
            apply(Field::Duration(Unit::FromValue), key, value, out)
        }
        Field::Service => {
            if out.service.is_none() && !value.is_empty() {
                out.service = Some(value);
            }
            true
        }
        Field::Id(kind) => {
            out.put_id(kind, value, key);
            true
        }
        Field::Duration(unit) => {
            if out.duration_ns.is_some() {
                return true;
            }
            match read_duration(&value, unit) {
                Some((ns, unit, basis)) => {
                    let field = match value {
                        // A key that is not part of the line (rare: it had escapes).
                        Cow::Owned(_) if key.is_empty() => "",
                        _ => key,
                    };
                    out.set_duration(ns, DurationSource { field, unit, basis });
                    true
                }
                None => false,
            }
        }
        Field::Status => match value.trim().parse::<u16>() {
            Ok(s) if (100..1000).contains(&s) => {
                out.status.get_or_insert(s);
                true
            }
            _ => false,
        },
        Field::Method => {
            if out.method.is_none() && is_http_method(&value) {
                out.method = Some(value);
            }
            true
        }
        Field::Path | Field::Url => {
            if out.path.is_none() && !value.is_empty() {
                out.path = Some(value);
            }
            true
        }
        Field::Route => {
            if out.route.is_none() && !value.is_empty() {
                out.route = Some(value);
            }
            true
        }
        Field::Logger => {
            if out.logger.is_none() && !value.is_empty() {
                out.logger = Some(value);
            }
            true
        }
        Field::Error => {
            let v = value.trim();
            if !v.is_empty() && v != "null" && v != "false" && v != "nil" && v != "<nil>" {
                out.exception = true;
            }
            true
        }
    }
}

/// An RFC 3339 / ISO string or a numeric epoch (s, ms, µs or ns). Returns (ns, had zone).
pub fn parse_time_value(v: &str) -> Option<(i64, bool)> {
    let v = v.trim();
    if let Some(s) = time::parse_iso(v.as_bytes()) {
        return Some((s.ns, s.has_zone));
    }
    time::parse_epoch_str(v).map(|ns| (ns, true))
}

/// A number followed by a time unit (`3ms`, `1.5s`, `250us`): never a service name.
pub fn is_duration_with_unit(v: &str) -> bool {
    let v = v.trim();
    let digits = v
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    digits > 0
        && matches!(
            v.get(digits..),
            Some("ns" | "us" | "µs" | "ms" | "s" | "m" | "h")
        )
        && parse_duration(v, Unit::FromValue).is_some()
}

/// HTTP methods as they appear in logs (upper case, a known verb).
pub fn is_http_method(m: &str) -> bool {
    matches!(
        m,
        "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD" | "OPTIONS" | "CONNECT" | "TRACE"
    )
}

/// A duration value: `120`, `0.25`, `120ms`, `1.2s`, `350µs`, `2m`, `1h2m3.5s`.
pub fn parse_duration(v: &str, unit: Unit) -> Option<u64> {
    read_duration(v, unit).map(|(ns, _, _)| ns)
}

/// Digits after the decimal point of a plain number (`0.000123` has 6).
pub fn fraction_digits(n: &str) -> usize {
    n.find('.').map_or(0, |dot| {
        n.as_bytes()[dot + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    })
}

/// [`parse_duration`], also saying in which unit the value was and how that was known.
pub fn read_duration(v: &str, unit: Unit) -> Option<(u64, TimeUnit, UnitBasis)> {
    let v = v.trim().trim_matches('"');
    let num_end = v
        .bytes()
        .position(|b| {
            !(b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'e' || b == b'E' || b == b'+')
        })
        .unwrap_or(v.len());
    // `e` in `1e3` is part of a number, but not when a unit follows (as in `2.5e` - none exists).
    let (num, suffix) = v.split_at(num_end);
    let n: f64 = num.parse().ok()?;
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let suffix = suffix.trim();
    let (unit, basis) = match suffix {
        "" => match unit {
            Unit::Ns => (TimeUnit::Ns, UnitBasis::Key),
            Unit::Us => (TimeUnit::Us, UnitBasis::Key),
            Unit::Ms => (TimeUnit::Ms, UnitBasis::Key),
            Unit::S => (TimeUnit::S, UnitBasis::Key),
            Unit::FormatS => (TimeUnit::S, UnitBasis::Format),
            Unit::Config(u) => (u, UnitBasis::Config),
            Unit::FromValue if fraction_digits(num) >= 4 => (TimeUnit::S, UnitBasis::Assumed),
            Unit::FromValue => (TimeUnit::Ms, UnitBasis::Assumed),
        },
        "ns" => (TimeUnit::Ns, UnitBasis::Value),
        "us" | "µs" | "μs" => (TimeUnit::Us, UnitBasis::Value),
        "ms" => (TimeUnit::Ms, UnitBasis::Value),
        "s" | "sec" | "secs" => (TimeUnit::S, UnitBasis::Value),
        "m" | "min" => (TimeUnit::Min, UnitBasis::Value),
        "h" => (TimeUnit::H, UnitBasis::Value),
        _ => return parse_go_duration(v).map(|ns| (ns, TimeUnit::Mixed, UnitBasis::Value)),
    };
    let ns = n * ns_per(unit);
    (ns < 1.8e19).then_some((ns.round() as u64, unit, basis))
}

/// Nanoseconds per `unit` (a mixed value is converted part by part, never scaled).
pub fn ns_per(unit: TimeUnit) -> f64 {
    match unit {
        TimeUnit::Ns | TimeUnit::Mixed => 1.0,
        TimeUnit::Us => 1e3,
        TimeUnit::Ms => 1e6,
        TimeUnit::S => 1e9,
        TimeUnit::Min => 60e9,
        TimeUnit::H => 3600e9,
    }
}

/// Go-style compound durations: `1h2m3.5s`, `2m30s`, `1.5ms` already handled above.
fn parse_go_duration(v: &str) -> Option<u64> {
    let mut total = 0f64;
    let mut rest = v;
    while !rest.is_empty() {
        let end = rest
            .bytes()
            .position(|b| !(b.is_ascii_digit() || b == b'.'))?;
        if end == 0 {
            return None;
        }
        let n: f64 = rest[..end].parse().ok()?;
        rest = &rest[end..];
        let (scale, used) = if rest.starts_with("ms") {
            (1e6, 2)
        } else if rest.starts_with("us") {
            (1e3, 2)
        } else if rest.starts_with("µs") {
            (1e3, "µs".len())
        } else if rest.starts_with("ns") {
            (1.0, 2)
        } else if rest.starts_with('h') {
            (3600e9, 1)
        } else if rest.starts_with('m') {
            (60e9, 1)
        } else if rest.starts_with('s') {
            (1e9, 1)
        } else {
            return None;
        };
        total += n * scale;
        rest = &rest[used..];
    }
    (total < 1.8e19).then_some(total.round() as u64)
}

/// Level of a syslog severity (0 emerg .. 7 debug): journald's `PRIORITY`,
/// in its export format and its JSON alike.
pub fn syslog_severity(v: &str) -> Level {
    match v.trim() {
        "0" | "1" | "2" => Level::Fatal,
        "3" => Level::Error,
        "4" => Level::Warn,
        "5" | "6" => Level::Info,
        "7" => Level::Debug,
        _ => Level::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_compared_loosely() {
        for k in [
            "request_id",
            "requestId",
            "req_id",
            "x_request_id",
            "X-Request-ID",
            "correlation_id",
        ] {
            assert_eq!(classify(k), Some(Field::Id(IdKind::Request)), "{k}");
        }
        for k in ["trace_id", "traceId", "trace.id"] {
            assert_eq!(classify(k), Some(Field::Id(IdKind::Trace)), "{k}");
        }
        assert_eq!(classify("parentId"), Some(Field::Id(IdKind::ParentSpan)));
        assert_eq!(classify("@timestamp"), Some(Field::Time));
        assert_eq!(classify("log.level"), Some(Field::Level));
        assert_eq!(classify("service.name"), Some(Field::Service));
        assert_eq!(classify("duration_ms"), Some(Field::Duration(Unit::Ms)));
        assert_eq!(classify("user_id"), None);
        assert_eq!(
            classify("a_very_long_key_name_that_is_longer_than_the_buffer"),
            None
        );
    }

    #[test]
    fn durations_take_units_from_name_or_value() {
        assert_eq!(parse_duration("120", Unit::Ms), Some(120_000_000));
        assert_eq!(parse_duration("0.25", Unit::S), Some(250_000_000));
        assert_eq!(parse_duration("120ms", Unit::FromValue), Some(120_000_000));
        assert_eq!(parse_duration("1.2s", Unit::FromValue), Some(1_200_000_000));
        assert_eq!(parse_duration("350µs", Unit::FromValue), Some(350_000));
        assert_eq!(
            parse_duration("1m30s", Unit::FromValue),
            Some(90_000_000_000)
        );
        assert_eq!(parse_duration("1500", Unit::Us), Some(1_500_000));
        assert_eq!(parse_duration("fast", Unit::Ms), None);
        assert_eq!(parse_duration("-3", Unit::Ms), None);
    }

    #[test]
    fn every_duration_says_how_its_unit_was_known() {
        use TimeUnit::*;
        use UnitBasis::*;
        for (v, unit, want) in [
            ("113.7ms", Unit::FromValue, (113_700_000, Ms, Value)),
            ("1.2s", Unit::FromValue, (1_200_000_000, S, Value)),
            ("850us", Unit::FromValue, (850_000, Us, Value)),
            ("850µs", Unit::FromValue, (850_000, Us, Value)),
            ("1m2.5s", Unit::FromValue, (62_500_000_000, Mixed, Value)),
            ("0.000123", Unit::FromValue, (123_000, S, Assumed)),
            ("12", Unit::FromValue, (12_000_000, Ms, Assumed)),
            ("12.5", Unit::FromValue, (12_500_000, Ms, Assumed)),
            ("12", Unit::Us, (12_000, Us, Key)),
            ("0.25", Unit::FormatS, (250_000_000, S, Format)),
            ("3ms", Unit::FormatS, (3_000_000, Ms, Value)),
        ] {
            assert_eq!(read_duration(v, unit), Some(want), "{v}");
        }
    }

    #[test]
    fn duration_names_with_and_without_a_unit() {
        for (k, unit) in [
            ("dur", Unit::FromValue),
            ("duration", Unit::FromValue),
            ("elapsed", Unit::FromValue),
            ("took", Unit::FromValue),
            ("latency", Unit::FromValue),
            ("time_taken", Unit::FromValue),
            ("response_time", Unit::FromValue),
            ("duration_ms", Unit::Ms),
            ("durationMs", Unit::Ms),
            ("dur_ms", Unit::Ms),
            ("elapsed_us", Unit::Us),
            ("latency_ns", Unit::Ns),
            ("took_millis", Unit::Ms),
            ("duration_seconds", Unit::S),
            ("elapsed_sec", Unit::S),
            ("response_time_ms", Unit::Ms),
            ("rt", Unit::FormatS),
            ("request_time", Unit::FormatS),
            ("http.server.request.duration", Unit::FormatS),
        ] {
            assert_eq!(classify(k), Some(Field::Duration(unit)), "{k}");
        }
        for k in ["status", "users", "process", "address", "https", "class"] {
            assert!(!matches!(classify(k), Some(Field::Duration(_))), "{k}");
        }
    }

    #[test]
    fn apply_records_the_duration_source() {
        let mut r = Record::default();
        apply(
            Field::Duration(Unit::FromValue),
            "dur",
            "113.7ms".into(),
            &mut r,
        );
        assert_eq!(r.duration_ns, Some(113_700_000));
        let src = r.duration_source.unwrap();
        assert_eq!(
            (src.field, src.unit, src.basis),
            ("dur", TimeUnit::Ms, UnitBasis::Value)
        );
    }

    #[test]
    fn apply_keeps_the_first_value() {
        let mut r = Record::default();
        assert!(apply(Field::Status, "status", "503".into(), &mut r));
        assert!(apply(Field::Status, "code", "200".into(), &mut r));
        assert_eq!(r.status, Some(503));
        assert!(!apply(Field::Status, "status", "ok".into(), &mut r));
        assert!(apply(Field::Time, "ts", "1700000000123".into(), &mut r));
        assert_eq!(r.time_ns, Some(1_700_000_000_123_000_000));
        apply(Field::Error, "error", "null".into(), &mut r);
        assert!(!r.exception);
        apply(Field::Error, "error", "connection refused".into(), &mut r);
        assert!(r.exception);
    }
}
