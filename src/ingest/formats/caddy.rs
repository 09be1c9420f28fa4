//! Caddy access logs -> records.
//!
//! Input: one line of a Caddy access log in its default JSON encoding
//! (<https://caddyserver.com/docs/caddyfile/directives/log#structured-logs>,
//! example in <https://caddyserver.com/docs/logging#structured-logs>): a
//! `"msg":"handled request"` entry of an `http.log.access` logger, `ts` in
//! Unix seconds with a fraction (when the response was written), `duration`
//! in seconds, `status`, and the request as an object: `method`, `uri`,
//! `client_ip` (else `remote_ip`) and the headers as lists of values.
//!
//! Output: a [`Record`] with the time, level (Caddy logs 5xx at `error`),
//! method, path, status, duration, client, and the request id the client or
//! a load balancer in front sent (`X-Request-Id`, `X-Correlation-Id`,
//! `traceparent`). The access log does not say which upstream served the
//! request, so there is none. Caddy's other lines (its own `info` lines,
//! with other loggers) are read by the JSON parser, not here.

use std::borrow::Cow;

use serde::Deserialize;

use super::access_scan::{parse_secs, split_traceparent, sub};
use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::{DurationSource, IdKind, Level, Record, TimeUnit};

/// Is `line` a Caddy access log entry?
pub fn sniff(line: &str) -> Sniff {
    if line.starts_with('{')
        && line.contains("\"logger\":\"http.log.access")
        && CaddyFormat.parse_line(line, &mut Record::default()) == Parsed::Entry
    {
        Sniff::Yes
    } else {
        Sniff::No
    }
}

/// The Caddy access log parser.
#[derive(Debug, Default)]
pub struct CaddyFormat;

impl LineFormat for CaddyFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Caddy
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        let Ok(e) = serde_json::from_str::<Entry<'a>>(line) else {
            return Parsed::Unparsed;
        };
        if !e.logger.starts_with("http.log.access") {
            return Parsed::Unparsed;
        }
        let (Some(req), Some(status)) = (e.request, e.status) else {
            return Parsed::Unparsed;
        };
        // serde_json reads the numbers as f64; their text is exact.
        out.time_ns =
            e.ts.and_then(|t| parse_secs(t.get().as_bytes()))
                .map(|(ns, _)| ns as i64);
        if let Some((ns, _)) = e.duration.and_then(|d| parse_secs(d.get().as_bytes())) {
            out.set_duration(ns, DurationSource::by_format("duration", TimeUnit::S));
        }
        out.status = Some(status);
        out.level = e.level.as_deref().map_or(Level::Info, Level::parse);
        out.method = req.method;
        out.path = req.uri;
        if let Some(c) = req.client_ip.filter(|c| !c.is_empty()).or(req.remote_ip) {
            out.set_client(c);
        }
        let h = req.headers;
        if let Some(id) = first(h.request_id) {
            out.put_id(IdKind::Request, id, "X-Request-Id");
        } else if let Some(id) = first(h.correlation_id) {
            out.put_id(IdKind::Request, id, "X-Correlation-Id");
        }
        if let Some(tp) = first(h.traceparent) {
            if let Some((t, s)) = split_traceparent(tp.as_bytes()) {
                let (trace, span) = match &tp {
                    Cow::Borrowed(b) => (
                        Cow::Borrowed(sub(b, t.start, t.end)),
                        Cow::Borrowed(sub(b, s.start, s.end)),
                    ),
                    Cow::Owned(o) => (Cow::Owned(o[t].to_owned()), Cow::Owned(o[s].to_owned())),
                };
                out.put_id(IdKind::Trace, trace, "traceparent");
                out.put_id(IdKind::ParentSpan, span, "traceparent");
            }
        }
        Parsed::Entry
    }
}

fn first<'a>(values: Option<Vec<Cow<'a, str>>>) -> Option<Cow<'a, str>> {
    values?.into_iter().next().filter(|v| !v.is_empty())
}

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    level: Option<Cow<'a, str>>,
    #[serde(borrow)]
    ts: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    logger: Cow<'a, str>,
    #[serde(borrow)]
    request: Option<Request<'a>>,
    #[serde(borrow)]
    duration: Option<&'a serde_json::value::RawValue>,
    status: Option<u16>,
}

#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow)]
    remote_ip: Option<Cow<'a, str>>,
    #[serde(borrow)]
    client_ip: Option<Cow<'a, str>>,
    #[serde(borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    uri: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    headers: Headers<'a>,
}

/// Request headers as Caddy writes them: canonical names, lists of values.
#[derive(Deserialize, Default)]
struct Headers<'a> {
    #[serde(rename = "X-Request-Id", borrow)]
    request_id: Option<Vec<Cow<'a, str>>>,
    #[serde(rename = "X-Correlation-Id", borrow)]
    correlation_id: Option<Vec<Cow<'a, str>>>,
    #[serde(rename = "Traceparent", borrow)]
    traceparent: Option<Vec<Cow<'a, str>>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    // From https://caddyserver.com/docs/logging#structured-logs, with an X-Request-Id.
    const LINE: &str = r#"{"level":"info","ts":1646861401.5241024,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"41342","client_ip":"127.0.0.1","proto":"HTTP/2.0","method":"GET","host":"localhost","uri":"/","headers":{"User-Agent":["curl/7.82.0"],"Accept":["*/*"],"Accept-Encoding":["gzip, deflate, br"],"X-Request-Id":["r-1"]},"tls":{"resumed":false,"version":772,"cipher_suite":4865,"proto":"h2","server_name":"example.com"}},"bytes_read":0,"user_id":"","duration":0.000929675,"size":10900,"status":200,"resp_headers":{"Server":["Caddy"],"Content-Encoding":["gzip"],"Content-Type":["text/html; charset=utf-8"],"Vary":["Accept-Encoding"]}}"#;

    #[test]
    fn the_documented_entry() {
        let mut r = Record::default();
        assert_eq!(CaddyFormat.parse_line(LINE, &mut r), Parsed::Entry);
        assert_eq!(r.time_ns, Some(1_646_861_401_524_102_400));
        assert_eq!(r.duration_ns, Some(929_675));
        assert_eq!(r.status, Some(200));
        assert_eq!(
            (r.method.as_deref(), r.path.as_deref()),
            (Some("GET"), Some("/"))
        );
        assert_eq!(r.client.as_deref(), Some("127.0.0.1"));
        assert_eq!(r.request_id.as_deref(), Some("r-1"));
        assert_eq!(sniff(LINE), Sniff::Yes);
    }

    #[test]
    fn other_caddy_lines_are_not_access_entries() {
        let line =
            r#"{"level":"info","ts":1646861401.52,"logger":"tls","msg":"cleaning storage unit"}"#;
        assert_eq!(sniff(line), Sniff::No);
        assert_eq!(
            CaddyFormat.parse_line(line, &mut Record::default()),
            Parsed::Unparsed
        );
    }
}
