//! Google Cloud Logging entries -> records: Cloud Load Balancing request
//! logs, and the other entries of the same export.
//!
//! Input: one `LogEntry` per line, as a Cloud Logging sink writes them to
//! Cloud Storage or `gcloud logging read --format=json` lists them
//! (<https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry>).
//! An external Application Load Balancer's request log
//! (<https://cloud.google.com/load-balancing/docs/https/https-logging-monitoring#viewing_logs>)
//! is such an entry with an `httpRequest`
//! (<https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#HttpRequest>):
//! `requestMethod`, `requestUrl`, `status`, `remoteIp`, and `latency` as a
//! protobuf duration in seconds (`"0.123456s"`); its `resource.labels` name
//! the load balancer's URL map and the backend service, and `trace`
//! (`projects/<project>/traces/<id>`) is the trace the load balancer put in
//! the `X-Cloud-Trace-Context` header it forwarded. Cloud Run and App Engine
//! request logs have the same shape.
//!
//! Output: a [`Record`] with the time (`timestamp`, when the request
//! arrived, plus the latency: the end, as other access logs write it), level
//! (`severity`), service (the URL map, else Cloud Run's `service_name` or App
//! Engine's `module_id`), method, path, status, duration, client, upstream
//! (the backend service) and trace and span ids. An entry without
//! `httpRequest` is an ordinary log line: its time, severity, service, ids and
//! message (`textPayload`, or `jsonPayload.message`).

use std::borrow::Cow;

use serde::Deserialize;

use super::access_scan::parse_any_time;
use super::fields::{read_duration, Unit};
use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::{DurationSource, IdKind, Level, Record};

/// Is `line` a Cloud Logging entry?
pub fn sniff(line: &str) -> Sniff {
    if line.starts_with('{')
        && line.contains("\"logName\"")
        && line.contains("\"resource\"")
        && GcpFormat.parse_line(line, &mut Record::default()) == Parsed::Entry
    {
        Sniff::Yes
    } else {
        Sniff::No
    }
}

/// The Cloud Logging entry parser.
#[derive(Debug, Default)]
pub struct GcpFormat;

impl LineFormat for GcpFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Gcp
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        let Ok(e) = serde_json::from_str::<Entry<'a>>(line) else {
            return Parsed::Unparsed;
        };
        let (Some(_), Some(ts)) = (e.log_name, e.timestamp) else {
            return Parsed::Unparsed;
        };
        let Some((start, zone, _)) = parse_any_time(ts.as_bytes()) else {
            return Parsed::Unparsed;
        };
        out.time_ns = Some(start);
        out.time_without_zone = !zone;
        if let Some(s) = e.severity {
            out.level = Level::parse(&s);
        }
        if let Some(labels) = e.resource.map(|r| r.labels) {
            out.service = [labels.url_map_name, labels.service_name, labels.module_id]
                .into_iter()
                .flatten()
                .find(|s| !s.is_empty());
            if let Some(b) = labels.backend_service_name {
                out.set_upstream(b);
            }
        }
        if let Some(t) = e.trace {
            out.put_id(IdKind::Trace, t, "trace");
        }
        if let Some(s) = e.span_id {
            out.put_id(IdKind::Span, s, "spanId");
        }
        if let Some(m) = e.text_payload.or(e.json_payload.and_then(|p| p.message)) {
            out.message = m;
        }
        let Some(req) = e.http_request else {
            return Parsed::Entry;
        };
        out.method = req.request_method;
        out.path = req.request_url;
        // A request the client abandoned before an answer has no status.
        out.status = req.status.filter(|s| (100..1000).contains(s));
        if let Some(c) = req.remote_ip {
            out.set_client(c);
        }
        if let Some((ns, unit, basis)) = req.latency.and_then(|l| read_duration(&l, Unit::S)) {
            let source = DurationSource {
                field: "httpRequest.latency",
                unit,
                basis,
            };
            out.set_duration(ns, source);
            out.time_ns = Some(start.saturating_add(ns as i64));
        }
        Parsed::Entry
    }
}

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(rename = "logName", borrow)]
    log_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    severity: Option<Cow<'a, str>>,
    #[serde(borrow)]
    trace: Option<Cow<'a, str>>,
    #[serde(rename = "spanId", borrow)]
    span_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    resource: Option<Resource<'a>>,
    #[serde(rename = "httpRequest", borrow)]
    http_request: Option<HttpRequest<'a>>,
    #[serde(rename = "textPayload", borrow)]
    text_payload: Option<Cow<'a, str>>,
    #[serde(rename = "jsonPayload", borrow)]
    json_payload: Option<Payload<'a>>,
}

#[derive(Deserialize)]
struct Resource<'a> {
    #[serde(borrow, default)]
    labels: Labels<'a>,
}

#[derive(Deserialize, Default)]
struct Labels<'a> {
    #[serde(borrow)]
    url_map_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    backend_service_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    service_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    module_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    message: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HttpRequest<'a> {
    #[serde(borrow)]
    request_method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    request_url: Option<Cow<'a, str>>,
    status: Option<u16>,
    #[serde(borrow)]
    remote_ip: Option<Cow<'a, str>>,
    #[serde(borrow)]
    latency: Option<Cow<'a, str>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::{TimeUnit, UnitBasis};

    /// A request log entry as the load balancing documentation shows one
    /// (`httpRequest`, `jsonPayload` of type `LoadBalancerLogEntry`,
    /// `resource.type` `http_load_balancer`), with a trace.
    const LB: &str = r#"{"httpRequest":{"latency":"0.058927s","remoteIp":"198.51.100.1","requestMethod":"GET","requestSize":"257","requestUrl":"https://shop.example.com/api/orders/1042","responseSize":"1467","serverIp":"10.128.0.7","status":302,"userAgent":"curl/8.5.0"},"insertId":"1vzs264g1u90hp5","jsonPayload":{"@type":"type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry","backendTargetProjectNumber":"projects/123456789012","remoteIp":"198.51.100.1","statusDetails":"response_sent_by_backend"},"logName":"projects/shop-prod/logs/requests","receiveTimestamp":"2024-03-01T12:00:01.152431Z","resource":{"labels":{"backend_service_name":"orders-backend","forwarding_rule_name":"shop-https-rule","project_id":"shop-prod","target_proxy_name":"shop-https-proxy","url_map_name":"shop-lb","zone":"global"},"type":"http_load_balancer"},"severity":"INFO","timestamp":"2024-03-01T12:00:00.000000Z","trace":"projects/shop-prod/traces/06796866738c859f2f19b7cfb3214824"}"#;

    #[test]
    fn a_load_balancer_request() {
        let mut r = Record::default();
        assert_eq!(GcpFormat.parse_line(LB, &mut r), Parsed::Entry);
        assert_eq!(r.time_ns, Some(1_709_294_400_058_927_000));
        assert_eq!(r.duration_ns, Some(58_927_000));
        let src = r.duration_source.unwrap();
        assert_eq!(
            (src.field, src.unit, src.basis),
            ("httpRequest.latency", TimeUnit::S, UnitBasis::Value)
        );
        assert_eq!(r.status, Some(302));
        assert_eq!(r.service.as_deref(), Some("shop-lb"));
        assert_eq!(r.upstream.as_deref(), Some("orders-backend"));
        assert_eq!(r.client.as_deref(), Some("198.51.100.1"));
        assert_eq!(
            r.trace_id.as_deref(),
            Some("06796866738c859f2f19b7cfb3214824")
        );
        assert_eq!(sniff(LB), Sniff::Yes);
    }

    #[test]
    fn entries_without_a_request_and_other_json() {
        let line = r#"{"insertId":"x","logName":"projects/p/logs/run.googleapis.com%2Fstdout","resource":{"labels":{"service_name":"orders"},"type":"cloud_run_revision"},"severity":"ERROR","textPayload":"db timeout","timestamp":"2024-03-01T12:00:00Z"}"#;
        let mut r = Record::default();
        assert_eq!(GcpFormat.parse_line(line, &mut r), Parsed::Entry);
        assert_eq!(
            (r.service.as_deref(), r.level, &*r.message),
            (Some("orders"), Level::Error, "db timeout")
        );
        assert_eq!((r.status, r.duration_ns), (None, None));
        for other in [
            r#"{"ts":"2024-03-01T12:00:00Z","msg":"logName resource"}"#,
            r#"{"logName":"x","resource":{}}"#,
        ] {
            assert_eq!(sniff(other), Sniff::No, "{other}");
        }
    }
}
