//! Envoy and Istio access logs -> records.
//!
//! Input: one line of an Envoy access log in Envoy's default format
//! (<https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#default-format-string>)
//! or in Istio's default mesh format (Envoy's plus response code details,
//! upstream cluster, local and remote addresses and route name:
//! <https://istio.io/latest/docs/tasks/observability/logs/access-log/#default-access-log-format>).
//! Output: a [`Record`] with the time, method, path, status, duration
//! (`%DURATION%`, ms), upstream time (`x-envoy-upstream-service-time`, ms),
//! request id (`x-request-id`), client (`x-forwarded-for`, else the downstream
//! remote address) and upstream (the cluster, else the upstream host).
//!
//! Both formats are Envoy format strings, compiled by [`compile`] into the same
//! line walker nginx and Apache formats use (`access_spec`), in strict mode: an
//! unquoted field holds no space and the line must end where the format does,
//! so one format never half-reads the other's lines. `%START_TIME%` is when the
//! request started; the record's time is its end (start + duration), as every
//! other access log writes it.
//!
//! The JSON form is Istio's `meshConfig.accessLogEncoding: JSON`: the same
//! command operators under the keys of Istio's default JSON format
//! (`start_time`, `method`, `path`, `response_code`, `duration`,
//! `upstream_service_time`, `x_forwarded_for`, `request_id`,
//! `upstream_cluster`, `upstream_host`, `downstream_remote_address`, ...),
//! numbers as numbers, `-` as `null`. The keys of Envoy Gateway's default
//! JSON format (`x-envoy-origin-path`, `x-request-id`, `x-forwarded-for`,
//! `x-envoy-upstream-service-time`) are read as well. [`EnvoyFormat`] reads
//! both forms, a line starting with `{` as JSON.

use std::borrow::Cow;
use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::access_scan::parse_any_time;
use super::access_spec::{header_var, Builder, Spec, Var};
use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::{DurationSource, IdKind, Record, TimeUnit, UnitBasis};

/// Envoy's default format string.
pub const ENVOY_DEFAULT: &str = "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" \"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\"\n";

/// Istio's default text format for the mesh's sidecars and gateways.
pub const ISTIO_DEFAULT: &str = "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% \"%UPSTREAM_TRANSPORT_FAILURE_REASON%\" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" \"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\" %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n";

/// The two default formats, Istio's first (it is the longer one).
static DEFAULTS: LazyLock<[Spec; 2]> = LazyLock::new(|| {
    [ISTIO_DEFAULT, ENVOY_DEFAULT].map(|f| compile(f).expect("the default formats compile"))
});

/// Is `line` an Envoy or Istio access line?
pub fn sniff(line: &str) -> Sniff {
    if !line.starts_with('[') {
        return Sniff::No;
    }
    match EnvoyFormat.parse_line(line, &mut Record::default()) {
        Parsed::Entry => Sniff::Yes,
        _ => Sniff::No,
    }
}

/// Is `line` an Istio / Envoy JSON access line?
pub fn sniff_json(line: &str) -> Sniff {
    if line.starts_with('{')
        && line.contains("\"response_code\"")
        && line.contains("\"start_time\"")
        && parse_json(line, &mut Record::default()) == Parsed::Entry
    {
        Sniff::Yes
    } else {
        Sniff::No
    }
}

/// The Envoy / Istio access log parser (default formats, text and JSON).
#[derive(Debug, Default)]
pub struct EnvoyFormat;

impl LineFormat for EnvoyFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Envoy
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        if line.starts_with('{') {
            return parse_json(line, out);
        }
        for spec in DEFAULTS.iter() {
            if spec.parse(line, out) == Parsed::Entry {
                return Parsed::Entry;
            }
            out.clear();
        }
        Parsed::Unparsed
    }
}

/// The members of a JSON access line logtrace reads: Istio's default keys,
/// and Envoy Gateway's where they differ.
#[derive(Deserialize)]
struct JsonLine<'a> {
    #[serde(borrow)]
    start_time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, alias = "x-envoy-origin-path")]
    path: Option<Cow<'a, str>>,
    #[serde(borrow)]
    response_code: Option<&'a RawValue>,
    #[serde(borrow)]
    duration: Option<&'a RawValue>,
    #[serde(borrow, alias = "x-envoy-upstream-service-time")]
    upstream_service_time: Option<&'a RawValue>,
    #[serde(borrow, alias = "x-forwarded-for")]
    x_forwarded_for: Option<Cow<'a, str>>,
    #[serde(borrow)]
    downstream_remote_address: Option<Cow<'a, str>>,
    #[serde(borrow, alias = "x-request-id")]
    request_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    traceparent: Option<Cow<'a, str>>,
    #[serde(borrow)]
    upstream_cluster: Option<Cow<'a, str>>,
    #[serde(borrow)]
    upstream_host: Option<Cow<'a, str>>,
}

/// A whole number written as a JSON number or string (`12`, `"12"`); `-`,
/// `null` and other text are none.
fn json_int(raw: Option<&RawValue>) -> Option<u64> {
    raw?.get().trim_matches('"').parse().ok()
}

/// Reads one Istio / Envoy JSON access line.
fn parse_json<'a>(line: &'a str, out: &mut Record<'a>) -> Parsed {
    let Ok(e) = serde_json::from_str::<JsonLine<'a>>(line) else {
        return Parsed::Unparsed;
    };
    let Some(start) = e
        .start_time
        .as_deref()
        .and_then(|s| parse_any_time(s.as_bytes()))
    else {
        return Parsed::Unparsed;
    };
    let status = json_int(e.response_code);
    if status.is_none() && e.duration.is_none() {
        return Parsed::Unparsed;
    }
    let duration = json_int(e.duration).map(|ms| ms * 1_000_000);
    if let Some(ns) = duration {
        let source = DurationSource {
            field: "duration",
            unit: TimeUnit::Ms,
            basis: UnitBasis::Format,
        };
        out.set_duration(ns, source);
    }
    // `%START_TIME%` is when the request started; the record's time is its end.
    out.time_ns = Some(start.0.saturating_add(duration.unwrap_or(0) as i64));
    out.time_without_zone = !start.1;
    // A TCP proxy logs status 0.
    out.status = status
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (100..1000).contains(s));
    out.upstream_ns = json_int(e.upstream_service_time).map(|ms| ms * 1_000_000);
    out.method = e.method;
    out.path = e.path;
    if let Some(c) = e.x_forwarded_for {
        out.set_client(c);
    }
    if let Some(c) = e.downstream_remote_address {
        out.set_client(c);
    }
    if let Some(id) = e.request_id {
        out.put_id(IdKind::Request, id, "x-request-id");
    }
    if let Some(tp) = e.traceparent {
        if let Some((t, s)) = super::access_scan::split_traceparent(tp.as_bytes()) {
            let (trace, span) = (tp[t].to_owned(), tp[s].to_owned());
            out.put_id(IdKind::Trace, Cow::Owned(trace), "traceparent");
            out.put_id(IdKind::ParentSpan, Cow::Owned(span), "traceparent");
        }
    }
    // The cluster names the service behind; the host only one of its pods.
    for u in [e.upstream_cluster, e.upstream_host].into_iter().flatten() {
        out.set_upstream(u);
    }
    Parsed::Entry
}

/// Compiles an Envoy format string (`[%START_TIME%] "%REQ(:METHOD)% ..."`).
/// Command operators logtrace does not use are read and skipped; a `%` that
/// opens no operator is an error that says where.
pub fn compile(format: &str) -> Result<Spec, String> {
    let format = format.strip_suffix('\n').unwrap_or(format);
    let b = format.as_bytes();
    let mut out = Builder::new();
    let mut i = 0;
    while i < b.len() {
        let Some(open) = memchr::memchr(b'%', &b[i..]).map(|p| i + p) else {
            out.lit(&b[i..]);
            break;
        };
        out.lit(&b[i..open]);
        let close = operator_end(b, open + 1)
            .ok_or_else(|| format!("`%` at byte {open} opens no command operator"))?;
        let op = &format[open + 1..close];
        if op.is_empty() {
            // `%%` is a literal percent sign.
            out.lit(b"%");
        } else {
            out.var(operator(op), 0, op_name(op), format!("%{op}%"))?;
        }
        i = close + 1;
    }
    Ok(out.finish("format string")?.strict())
}

/// The `%` that closes the operator starting at `from`. An argument may hold
/// `%` itself (`%START_TIME(%s.%3f)%`): the parentheses are stepped over.
fn operator_end(b: &[u8], mut from: usize) -> Option<usize> {
    while from < b.len() {
        match b[from] {
            b'%' => return Some(from),
            b'(' => from += memchr::memchr(b')', &b[from..])?,
            _ => {}
        }
        from += 1;
    }
    None
}

/// What a command operator gives logtrace.
fn operator(op: &str) -> Var {
    // `%REQ(X-REQUEST-ID):36%` limits the length; the limit does not matter here.
    let op = match op.rfind("):") {
        Some(p) if op[p + 2..].bytes().all(|c| c.is_ascii_digit()) => &op[..=p],
        _ => op,
    };
    let (name, arg) = match op.split_once('(') {
        Some((n, a)) => (n, a.strip_suffix(')').unwrap_or(a)),
        None => (op, ""),
    };
    match name {
        "START_TIME" if arg.contains("%s") => Var::Epoch(1_000_000_000),
        "START_TIME" => Var::StartTime,
        "RESPONSE_CODE" => Var::Status,
        "DURATION" => Var::Int(1_000_000),
        "DOWNSTREAM_REMOTE_ADDRESS" | "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT" => Var::Client,
        "UPSTREAM_HOST" => Var::Upstream,
        "UPSTREAM_CLUSTER" => Var::UpstreamCluster,
        "REQ" | "RESP" | "TRAILER" => header(arg),
        _ => Var::Skip,
    }
}

/// A request or response header operator's meaning.
fn header(arg: &str) -> Var {
    // `X-ENVOY-ORIGINAL-PATH?:PATH`: the first header, else the second.
    let first = arg.split('?').next().unwrap_or(arg);
    match first.to_ascii_lowercase().as_str() {
        ":method" => Var::Method,
        ":path" | "x-envoy-original-path" => Var::Path,
        "x-forwarded-for" => Var::Client,
        "x-envoy-upstream-service-time" => Var::UpstreamInt(1_000_000),
        h => header_var(h),
    }
}

/// The name an id from `op` is reported under (`x-request-id`).
fn op_name(op: &str) -> &str {
    match (op.find('('), op.rfind(')')) {
        (Some(a), Some(z)) if a < z => &op[a + 1..z],
        _ => op,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::IdKind;

    /// The id kind a header operator gives.
    fn id_of(op: &str) -> Option<IdKind> {
        match operator(op) {
            Var::Id(k) => Some(k),
            _ => None,
        }
    }

    const MS: u64 = 1_000_000;

    fn parse(line: &str) -> (Parsed, Record<'_>) {
        let mut r = Record::default();
        let p = EnvoyFormat.parse_line(line, &mut r);
        (p, r)
    }

    #[test]
    fn envoy_documentation_example() {
        // The example line of Envoy's access log documentation.
        let (p, r) = parse(
            r#"[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80""#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.method.as_deref(), Some("POST"));
        assert_eq!(r.path.as_deref(), Some("/api/v1/locations"));
        assert_eq!(r.status, Some(204));
        assert_eq!(r.duration_ns, Some(226 * MS));
        assert_eq!(r.upstream_ns, Some(100 * MS));
        // Started at .310, ended 226 ms later.
        assert_eq!(r.time_ns, Some(1_460_751_420_536_000_000));
        assert_eq!(
            r.request_id.as_deref(),
            Some("cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2")
        );
        assert_eq!(r.id_fields, vec!["X-REQUEST-ID"]);
        assert_eq!(r.client.as_deref(), Some("10.0.35.28"));
        assert_eq!(r.upstream.as_deref(), Some("tcp://10.0.2.1:80"));
    }

    #[test]
    fn istio_default_lines() {
        let (p, r) = parse(
            r#"[2026-02-24T14:23:15.456Z] "POST /api/orders HTTP/1.1" 503 UC upstream_reset_before_response_started{connection_termination} - "-" 156 91 30004 - "-" "python-requests/2.31.0" "f47ac10b-58cc-4372-a567-0e02b2c3d479" "order-service.production.svc.cluster.local" "10.244.3.12:8080" outbound|8080||order-service.production.svc.cluster.local 10.244.1.5:54321 10.96.45.67:8080 10.244.1.5:33210 - default"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.status, Some(503));
        assert_eq!(r.duration_ns, Some(30_004 * MS));
        assert_eq!(r.upstream_ns, None);
        assert_eq!(r.client.as_deref(), Some("10.244.1.5"));
        assert_eq!(
            r.upstream.as_deref(),
            Some("outbound|8080||order-service.production.svc.cluster.local")
        );
        // A sidecar's inbound line: no forwarded-for, the caller is the remote address.
        let (p, r) = parse(
            r#"[2022-04-18T12:09:44.091Z] "GET /sentiment HTTP/1.1" 200 - via_upstream - "-" 27 39 4 3 "-" "axios/0.21.1" "2b1a4f8e-1a0c-9b3d-b256-f0917aa6b0bb" "localhost:8080" "10.244.0.16:8080" inbound|8080|| 127.0.0.6:51819 10.244.0.16:8080 10.244.0.6:0 outbound_.80_._.sa-webapp.demo.svc.cluster.local default"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.client.as_deref(), Some("10.244.0.6"));
        assert_eq!(r.upstream.as_deref(), Some("inbound|8080||"));
        assert_eq!(r.upstream_ns, Some(3 * MS));
    }

    #[test]
    fn tcp_lines_and_other_formats() {
        // A TCP proxy writes `- - -` as its request line and 0 as its status.
        let (p, r) = parse(
            r#"[2024-03-01T12:00:00.000Z] "- - -" 0 - 1208 3417 1503 - "-" "-" "-" "-" "10.0.7.12:5432""#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!((r.method, r.status), (None, None));
        assert_eq!(r.duration_ns, Some(1_503 * MS));
        for other in [
            r#"[2024-03-01T12:00:00.000Z] "GET / HTTP/1.1" 200 - 0 5 1 1 "-" "-" "-" "-" "x" trailing"#,
            r#"[2024-03-01 12:00:00,000] INFO [main] started"#,
            r#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326"#,
            "",
        ] {
            assert_eq!(parse(other).0, Parsed::Unparsed, "{other}");
            assert_eq!(sniff(other), Sniff::No, "{other}");
        }
    }

    #[test]
    fn json_lines_istio_and_envoy_gateway_keys() {
        // Istio's default JSON keys; `-` written as null, numbers as numbers.
        let (p, r) = parse(
            r#"{"authority":"httpbin:8000","bytes_received":0,"bytes_sent":135,"connection_termination_details":null,"downstream_local_address":"10.96.98.166:8000","downstream_remote_address":"10.244.0.6:42372","duration":3,"method":"GET","path":"/status/418","protocol":"HTTP/1.1","request_id":"2b1a4f8e-1a0c-9b3d-b256-f0917aa6b0bb","requested_server_name":null,"response_code":418,"response_code_details":"via_upstream","response_flags":"-","route_name":"default","start_time":"2022-04-18T12:09:44.091Z","upstream_cluster":"outbound|8000||httpbin.foo.svc.cluster.local","upstream_host":"10.244.0.8:80","upstream_local_address":"10.244.0.6:54320","upstream_service_time":"2","upstream_transport_failure_reason":null,"user_agent":"curl/7.85.0","x_forwarded_for":null}"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(
            (r.status, r.duration_ns, r.upstream_ns),
            (Some(418), Some(3 * MS), Some(2 * MS))
        );
        assert_eq!(r.time_ns, Some(1_650_283_784_094_000_000));
        assert_eq!(r.client.as_deref(), Some("10.244.0.6"));
        assert_eq!(
            r.upstream.as_deref(),
            Some("outbound|8000||httpbin.foo.svc.cluster.local")
        );
        let src = r.duration_source.unwrap();
        assert_eq!(
            (src.field, src.unit, src.basis),
            ("duration", TimeUnit::Ms, UnitBasis::Format)
        );
        // Envoy Gateway's default JSON: every value a string, header names as keys.
        let line = r#"{"start_time":"2024-03-01T12:00:00.000Z","method":"POST","x-envoy-origin-path":"/api/orders","protocol":"HTTP/1.1","response_code":"503","response_flags":"UF","bytes_received":"120","bytes_sent":"91","duration":"1","x-envoy-upstream-service-time":null,"x-forwarded-for":"203.0.113.9","user-agent":"curl/8.5.0","x-request-id":"r-1",":authority":"shop.example.com","upstream_host":null,"upstream_cluster":"httproute/shop/orders/rule/0"}"#;
        let (p, r) = parse(line);
        assert_eq!(p, Parsed::Entry);
        assert_eq!(
            (r.status, r.duration_ns, r.upstream_ns),
            (Some(503), Some(MS), None)
        );
        assert_eq!(r.path.as_deref(), Some("/api/orders"));
        assert_eq!(
            (r.request_id.as_deref(), r.client.as_deref()),
            (Some("r-1"), Some("203.0.113.9"))
        );
        assert_eq!(sniff_json(line), Sniff::Yes);
        assert_eq!(
            sniff_json(r#"{"start_time":"x","response_code":200}"#),
            Sniff::No
        );
    }

    #[test]
    fn custom_format_strings_compile() {
        let spec =
            compile("%START_TIME(%s.%3f)% %REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE% %DURATION% %REQ(TRACEPARENT)% 100%%")
                .unwrap();
        let mut r = Record::default();
        let p = spec.parse(
            "1527590590.528 GET /x 200 12 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 100%",
            &mut r,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(1_527_590_590_528_000_000));
        assert_eq!(r.duration_ns, Some(12 * MS));
        assert_eq!(
            r.trace_id.as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert_eq!(id_of("REQ(X-REQUEST-ID):36"), Some(IdKind::Request));
        assert_eq!(id_of("REQ(X-B3-TRACEID)"), Some(IdKind::Trace));
        assert!(compile("[%START_TIME] x").unwrap_err().contains("byte 1"));
        assert!(compile("%START_TIME%%DURATION%")
            .unwrap_err()
            .contains("follows"));
    }
}
