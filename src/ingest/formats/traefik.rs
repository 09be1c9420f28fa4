//! Traefik access logs -> records.
//!
//! Input: one line of a Traefik access log, in either of the two formats
//! Traefik writes (<https://doc.traefik.io/traefik/observability/access-logs/#format>):
//!
//! - `common`, the default: CLF with the request count, router name, server
//!   URL and duration appended (`... 1 "orders@docker" "http://10.0.2.15:8080" 14ms`).
//!   Its time is when the request started, to the second; the status is the
//!   origin's.
//! - `json`: one object of the documented fields
//!   (<https://doc.traefik.io/traefik/observability/access-logs/#limiting-the-fieldsincluding-headers>):
//!   `StartUTC`, `Duration` and `OriginDuration` in nanoseconds,
//!   `DownstreamStatus` (what the client got), `RequestMethod`,
//!   `RequestPath`, `ClientHost`, `ServiceURL`, `TraceId`/`SpanId`, and the
//!   request headers kept by `accessLog.fields.headers` as `request_<Name>`
//!   (dropped by default, so a request id is there only when kept).
//!
//! Output: a [`Record`] with the time (start + duration, as other access logs
//! write the end), method, path, status, duration, upstream time (JSON), client,
//! upstream (the server URL) and ids.

use std::borrow::Cow;
use std::sync::LazyLock;

use serde::Deserialize;

use super::access_scan::parse_any_time;
use super::access_spec::{Builder, Spec, Var};
use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::{DurationSource, IdKind, Level, Record, TimeUnit};

/// The `common` format, as Traefik's `CommonLogFormatter` prints it.
static COMMON: LazyLock<Spec> = LazyLock::new(|| common().expect("the common format compiles"));

fn common() -> Result<Spec, String> {
    fn var(b: &mut Builder, v: Var, spaces: u8, name: &'static str) -> Result<(), String> {
        b.var(v, spaces, name, name.to_string())
    }
    let mut b = Builder::new();
    var(&mut b, Var::Client, 0, "ClientHost")?;
    b.lit(b" - ");
    var(&mut b, Var::Skip, 0, "ClientUsername")?;
    b.lit(b" [");
    var(&mut b, Var::StartTime, 1, "StartUTC")?;
    b.lit(b"] \"");
    var(&mut b, Var::Method, 0, "RequestMethod")?;
    b.lit(b" ");
    var(&mut b, Var::Path, 0, "RequestPath")?;
    b.lit(b" ");
    var(&mut b, Var::Skip, 0, "RequestProtocol")?;
    b.lit(b"\" ");
    var(&mut b, Var::Status, 0, "OriginStatus")?;
    b.lit(b" ");
    var(&mut b, Var::Skip, 0, "OriginContentSize")?;
    b.lit(b" \"");
    var(&mut b, Var::Skip, 0, "Referer")?;
    b.lit(b"\" \"");
    var(&mut b, Var::Skip, 0, "User-Agent")?;
    b.lit(b"\" ");
    var(&mut b, Var::Skip, 0, "RequestCount")?;
    b.lit(b" \"");
    var(&mut b, Var::Skip, 0, "RouterName")?;
    b.lit(b"\" \"");
    var(&mut b, Var::Upstream, 0, "ServiceURL")?;
    b.lit(b"\" ");
    var(&mut b, Var::Int(1_000_000), 0, "Duration")?;
    b.lit(b"ms");
    Ok(b.finish("Traefik common format")?.strict())
}

/// Is `line` a Traefik access line (either format)?
pub fn sniff(line: &str) -> Sniff {
    let plausible = if line.starts_with('{') {
        line.contains("\"DownstreamStatus\"") && line.contains("\"RequestMethod\"")
    } else {
        line.ends_with("ms") || line.ends_with("ms\r")
    };
    if plausible && TraefikFormat.parse_line(line, &mut Record::default()) == Parsed::Entry {
        Sniff::Yes
    } else {
        Sniff::No
    }
}

/// The Traefik access log parser.
#[derive(Debug, Default)]
pub struct TraefikFormat;

impl LineFormat for TraefikFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Traefik
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        if line.starts_with('{') {
            return parse_json(line, out);
        }
        let parsed = COMMON.parse(line, out);
        if parsed != Parsed::Entry {
            out.clear();
        }
        parsed
    }
}

/// The fields of a JSON line logtrace reads. Header names are Go's canonical
/// form (`X-Request-Id`), as Traefik writes them.
#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(rename = "StartUTC", borrow)]
    start: Option<Cow<'a, str>>,
    #[serde(borrow)]
    time: Option<Cow<'a, str>>,
    #[serde(rename = "Duration")]
    duration: Option<u64>,
    #[serde(rename = "OriginDuration")]
    origin_duration: Option<u64>,
    #[serde(rename = "DownstreamStatus")]
    status: Option<u16>,
    #[serde(rename = "RequestMethod", borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(rename = "RequestPath", borrow)]
    path: Option<Cow<'a, str>>,
    #[serde(rename = "ClientHost", borrow)]
    client: Option<Cow<'a, str>>,
    #[serde(rename = "ServiceURL", borrow)]
    upstream: Option<Cow<'a, str>>,
    #[serde(rename = "request_X-Request-Id", borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(rename = "request_X-Correlation-Id", borrow)]
    correlation_id: Option<Cow<'a, str>>,
    #[serde(rename = "TraceId", borrow)]
    trace_id: Option<Cow<'a, str>>,
    #[serde(rename = "SpanId", borrow)]
    span_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    level: Option<Cow<'a, str>>,
}

fn parse_json<'a>(line: &'a str, out: &mut Record<'a>) -> Parsed {
    let Ok(e) = serde_json::from_str::<Entry<'a>>(line) else {
        return Parsed::Unparsed;
    };
    let (Some(method), Some(status)) = (e.method, e.status) else {
        return Parsed::Unparsed;
    };
    if let Some(ns) = e.duration {
        out.set_duration(ns, DurationSource::by_format("Duration", TimeUnit::Ns));
    }
    out.upstream_ns = e.origin_duration;
    // The start plus the duration; `time` (when the line was written) is
    // to the second only.
    let start = e
        .start
        .as_deref()
        .and_then(|s| parse_any_time(s.as_bytes()));
    if let Some((ns, zone, _)) = start {
        out.time_ns = Some(ns.saturating_add(e.duration.unwrap_or(0) as i64));
        out.time_without_zone = !zone;
    } else if let Some((ns, zone, _)) = e.time.as_deref().and_then(|s| parse_any_time(s.as_bytes()))
    {
        out.time_ns = Some(ns);
        out.time_without_zone = !zone;
    }
    out.method = Some(method);
    out.path = e.path;
    out.status = Some(status);
    if let Some(c) = e.client {
        out.set_client(c);
    }
    if let Some(u) = e.upstream {
        out.set_upstream(u);
    }
    if let Some(id) = e.request_id {
        out.put_id(IdKind::Request, id, "X-Request-Id");
    } else if let Some(id) = e.correlation_id {
        out.put_id(IdKind::Request, id, "X-Correlation-Id");
    }
    if let Some(id) = e.trace_id {
        out.put_id(IdKind::Trace, id, "TraceId");
    }
    if let Some(id) = e.span_id {
        out.put_id(IdKind::Span, id, "SpanId");
    }
    if let Some(l) = e.level {
        out.level = Level::parse(&l);
    }
    Parsed::Entry
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMON_LINE: &str = r#"192.0.2.44 - - [01/Mar/2024:12:00:21 +0000] "PUT /api/cart/77 HTTP/1.1" 200 357 "-" "curl/8.5.0" 8 "orders@docker" "http://10.0.2.15:8080" 22ms"#;

    #[test]
    fn common_format_time_is_start_plus_duration() {
        let mut r = Record::default();
        assert_eq!(TraefikFormat.parse_line(COMMON_LINE, &mut r), Parsed::Entry);
        assert_eq!(r.time_ns, Some(1_709_294_421_022_000_000));
        assert_eq!(r.duration_ns, Some(22_000_000));
        assert_eq!(
            (r.method.as_deref(), r.path.as_deref()),
            (Some("PUT"), Some("/api/cart/77"))
        );
        assert_eq!(r.status, Some(200));
        assert_eq!(r.client.as_deref(), Some("192.0.2.44"));
        assert_eq!(r.upstream.as_deref(), Some("http://10.0.2.15:8080"));
        assert_eq!(sniff(COMMON_LINE), Sniff::Yes);
    }

    #[test]
    fn other_access_lines_are_not_traefik() {
        let combined = r#"192.0.2.44 - - [01/Mar/2024:12:00:21 +0000] "GET / HTTP/1.1" 200 357 "-" "curl/8.5.0""#;
        assert_eq!(sniff(combined), Sniff::No);
        let mut r = Record::default();
        assert_eq!(TraefikFormat.parse_line(combined, &mut r), Parsed::Unparsed);
        assert!(r.time_ns.is_none() && r.status.is_none());
        assert_eq!(
            sniff(r#"{"level":"info","msg":"RequestMethod"}"#),
            Sniff::No
        );
    }

    #[test]
    fn json_reads_start_durations_and_kept_headers() {
        let line = r#"{"ClientHost":"203.0.113.7","DownstreamStatus":503,"Duration":1137211,"RequestMethod":"GET","RequestPath":"/x","StartUTC":"2024-03-01T12:00:39.781Z","level":"info","msg":"","request_X-Request-Id":"ab\u0063","time":"2024-03-01T12:00:39Z"}"#;
        let mut r = Record::default();
        assert_eq!(TraefikFormat.parse_line(line, &mut r), Parsed::Entry);
        assert_eq!(r.time_ns, Some(1_709_294_439_782_137_211));
        assert_eq!((r.duration_ns, r.upstream_ns), (Some(1_137_211), None));
        assert_eq!(r.status, Some(503));
        assert_eq!(r.request_id.as_deref(), Some("abc"));
        assert!(r.upstream.is_none());
        assert_eq!(sniff(line), Sniff::Yes);
    }
}
