//! nginx / Apache access lines -> records.
//!
//! Input: one line of an access log. Output: a [`Record`] with the time, the
//! request line as message, method, target, status, request time, upstream
//! time, request id, client address and upstream (the ingress controller's
//! `[$proxy_upstream_name]`, Traefik's server URL). An access line is always an entry or unparsed, never
//! a continuation.
//!
//! Without a format string the line is read by shape, which copes with what
//! real servers write: several hosts (X-Forwarded-For chains, a vhost) before
//! the `[time]`, IPv6 clients, `""` or `-` requests, invalid methods, escaped
//! quotes, and the fields people append after the combined format: request time
//! in seconds, upstream time lists (`0.100, 0.004`, summed as Filebeat does), a
//! request id (32 hex or UUID), `key=value` pairs, the nginx ingress-controller
//! format, Apache `%D` (an integer in µs) and Traefik's `2ms`.
//! With a format string from the config ([`AccessFormat::from_nginx`],
//! [`AccessFormat::from_apache`]) the line is walked along the compiled format
//! instead (see `access_spec`).
//!
//! A quoted referer or user agent that never closes means the line was cut
//! short; such a line is unparsed rather than read with a made-up end.

use std::borrow::Cow;

use memchr::memchr;

use super::access_scan::{
    is_request_id, parse_any_time, parse_secs, parse_secs_list, parse_uint, parse_unit_duration,
    quote_end, split_request, sub,
};
use super::access_spec::Spec;
use super::fields::{self, Field, Unit};
use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::config::AccessFormatSpec;
use crate::ingest::event::{DurationSource, IdKind, Record, TimeUnit, UnitBasis};
use crate::ingest::time::digits;

/// How far into a line the `[time]` may start (hosts, ident and user before it).
const MAX_PREFIX: usize = 1024;
/// A seconds value at least this large is an epoch (`$msec`), not a duration.
const MAX_SECS_NS: u64 = 1_000_000 * 1_000_000_000;

/// Is `line` an access line? Yes when it reads as one and does not start like
/// syslog or an ISO-stamped line that merely quotes an access line.
pub fn sniff(line: &str) -> Sniff {
    let b = line.as_bytes();
    let starts_like_other = match b.first() {
        None | Some(b'{' | b'<' | b'[' | b' ' | b'\t') => true,
        // `Mar 24 14:02:50 host nginx: 1.2.3.4 - - [...]`: the text parser owns it.
        Some(_)
            if b.len() > 4 && b[3] == b' ' && crate::ingest::time::month_from_name(b).is_some() =>
        {
            true
        }
        // `2024-03-01T...`
        Some(_) => digits(b, 0, 4).is_some() && b.get(4) == Some(&b'-'),
    };
    if starts_like_other {
        return Sniff::No;
    }
    let mut rec = Record::default();
    match parse_auto(line, &mut rec) {
        Parsed::Entry => Sniff::Yes,
        _ => Sniff::No,
    }
}

/// The access parser: built-in shapes by default, or a compiled format string.
#[derive(Debug, Default)]
pub struct AccessFormat {
    spec: Option<Spec>,
    name: String,
}

impl AccessFormat {
    /// Compiles an nginx `log_format` string (`$remote_addr - $remote_user [$time_local] ...`).
    pub fn from_nginx(format: &str) -> Result<AccessFormat, String> {
        Ok(AccessFormat {
            spec: Some(Spec::nginx(format)?),
            name: "nginx".into(),
        })
    }

    /// Compiles an Apache `LogFormat` string (`%h %l %u %t "%r" %>s %b %D`).
    pub fn from_apache(format: &str) -> Result<AccessFormat, String> {
        Ok(AccessFormat {
            spec: Some(Spec::apache(format)?),
            name: "apache".into(),
        })
    }

    /// Builds the parser an `[[access_format]]` entry of the config describes.
    pub fn from_config(spec: &AccessFormatSpec) -> Result<AccessFormat, String> {
        let compiled = match (&spec.nginx, &spec.apache) {
            (Some(n), None) => Self::from_nginx(n),
            (None, Some(a)) => Self::from_apache(a),
            _ => Err("give exactly one of `nginx` or `apache`".to_string()),
        };
        compiled
            .map(|f| f.named(&spec.name))
            .map_err(|e| format!("access_format `{}`: {e}", spec.name))
    }

    /// Names the format (shown as `access:<name>`).
    pub fn named(mut self, name: &str) -> AccessFormat {
        self.name = name.to_string();
        self
    }
}

impl LineFormat for AccessFormat {
    fn kind(&self) -> FormatKind {
        match self.spec {
            None => FormatKind::Access,
            Some(_) => FormatKind::AccessCustom(self.name.clone()),
        }
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        match &self.spec {
            None => parse_auto(line, out),
            Some(spec) => spec.parse(line, out),
        }
    }
}

/// Reads a common/combined line with whatever follows it.
fn parse_auto<'a>(line: &'a str, out: &mut Record<'a>) -> Parsed {
    let b = line.as_bytes();
    let Some((open, i)) = read_time(b, out) else {
        return Parsed::Unparsed;
    };
    if let Some((a, z)) = remote_host(b, open) {
        out.set_client(Cow::Borrowed(sub(line, a, z)));
    }
    // ` "request" STATUS`
    if b.get(i) != Some(&b' ') || b.get(i + 1) != Some(&b'"') {
        return Parsed::Unparsed;
    }
    let req_start = i + 2;
    let Some((req_end, status)) = request_end(b, req_start) else {
        return Parsed::Unparsed;
    };
    let request = sub(line, req_start, req_end);
    out.message = Cow::Borrowed(request);
    if let Some((method, target)) = split_request(request) {
        out.method = Some(Cow::Borrowed(method));
        out.path = Some(Cow::Borrowed(target));
    }
    if status >= 100 {
        out.status = Some(status);
    }
    let mut i = req_end + 5;
    // Bytes sent: a number or `-` (absent in some proxies' lines).
    if b.get(i) == Some(&b' ') && matches!(b.get(i + 1), Some(b'0'..=b'9' | b'-')) {
        i += 1;
        while i < b.len() && b[i] != b' ' {
            i += 1;
        }
    }
    // Combined: "referer" "user agent". A quote that never closes is a cut line.
    for _ in 0..2 {
        if b.get(i) == Some(&b' ') && b.get(i + 1) == Some(&b'"') {
            match quote_end(b, i + 2) {
                Some(q) => i = q + 1,
                None => return Parsed::Unparsed,
            }
        } else {
            break;
        }
    }
    read_extras(line, i, out);
    Parsed::Entry
}

/// Finds the `[time]` after the hosts, stores it, and returns the indexes of `[` and after `]`.
fn read_time(b: &[u8], out: &mut Record) -> Option<(usize, usize)> {
    let mut from = 0;
    while from < b.len().min(MAX_PREFIX) {
        let p = memchr(b'[', &b[from..])? + from;
        // Something (a host) must come before the time, separated by a space.
        if p > 0 && b[p - 1] == b' ' {
            if let Some((ns, zone, used)) = b.get(p + 1..).and_then(parse_any_time) {
                let close = p + 1 + used;
                if b.get(close) == Some(&b']') {
                    out.time_ns = Some(ns);
                    out.time_without_zone = !zone;
                    return Some((p, close + 1));
                }
            }
        }
        from = p + 1;
    }
    None
}

/// The remote host of `host ident user [time]`: the third word before the
/// `[` at `open`, whatever stands before it (a vhost, a forwarded-for chain).
fn remote_host(b: &[u8], open: usize) -> Option<(usize, usize)> {
    let mut end = open.checked_sub(1)?;
    for _ in 0..2 {
        end = memchr::memrchr(b' ', &b[..end])?;
    }
    let start = memchr::memrchr(b' ', &b[..end]).map_or(0, |s| s + 1);
    (start < end).then_some((start, end))
}

/// The end of the quoted request: the first quote followed by ` NNN` and a
/// space or the end of the line. Searching for that shape, rather than for an
/// unescaped quote, also reads request lines with raw quotes in them.
fn request_end(b: &[u8], from: usize) -> Option<(usize, u16)> {
    let rest = b.get(from..)?;
    memchr::memchr_iter(b'"', rest).find_map(|q| {
        let q = q + from;
        if b.get(q + 1) != Some(&b' ') || !matches!(b.get(q + 5), None | Some(b' ')) {
            return None;
        }
        digits(b, q + 2, 3).map(|s| (q, s as u16))
    })
}

/// Durations found after the combined fields, resolved once the line is read.
#[derive(Default)]
struct Extras<'a> {
    /// `rt=` / `request_time=` or another duration key.
    kv_time: Option<(u64, DurationSource<'a>)>,
    /// `urt=` / `upstream_response_time=`.
    kv_upstream: Option<u64>,
    /// First bare decimal: `$request_time`.
    first_secs: Option<u64>,
    /// Second decimal (or list): `$upstream_response_time`.
    second_secs: Option<u64>,
    secs_seen: u8,
    /// `2ms` (Traefik).
    with_unit: Option<(u64, TimeUnit)>,
    /// First bare integer: Apache `%D` in µs when nothing else gives a time.
    first_int: Option<u64>,
}

/// Reads the fields after the combined part, by shape.
fn read_extras<'a>(line: &'a str, from: usize, out: &mut Record<'a>) {
    let b = line.as_bytes();
    let mut x = Extras::default();
    let mut i = from;
    while i < b.len() {
        if b[i] == b' ' || b[i] == b'\t' {
            i += 1;
            continue;
        }
        let start = i;
        let end = token_end(b, i);
        i = end;
        let tok = &b[start..end];
        match tok[0] {
            b'"' => {
                // The x-forwarded-for nginx appends is the usual quoted extra; an id may be quoted too.
                let inner = tok.get(1..tok.len().saturating_sub(1)).unwrap_or(b"");
                if is_request_id(inner) {
                    out.put_id(
                        IdKind::Request,
                        Cow::Borrowed(sub(line, start + 1, end - 1)),
                        "request_id",
                    );
                } else if inner.starts_with(b"http://") || inner.starts_with(b"https://") {
                    // Traefik's server URL: where the request went.
                    out.set_upstream(Cow::Borrowed(sub(line, start + 1, end - 1)));
                }
            }
            // The ingress controller's `[$proxy_upstream_name]`: the service it proxied to.
            b'[' => out.set_upstream(Cow::Borrowed(sub(line, start + 1, end - 1))),
            _ => read_token(line, start, end, &mut x, out),
        }
    }
    // By shape, the first bare decimal is nginx's `$request_time` (seconds) and
    // a bare integer Apache's `%D` (microseconds): assumptions, and said so.
    let by_shape = |unit, basis| DurationSource {
        field: "",
        unit,
        basis,
    };
    let duration = x
        .kv_time
        .or(x
            .first_secs
            .map(|ns| (ns, by_shape(TimeUnit::S, UnitBasis::Assumed))))
        .or(x
            .with_unit
            .map(|(ns, unit)| (ns, by_shape(unit, UnitBasis::Value))))
        .or(x.first_int.map(|us| {
            let source = by_shape(TimeUnit::Us, UnitBasis::Assumed);
            (us.saturating_mul(1_000), source)
        }));
    if let Some((ns, source)) = duration {
        out.set_duration(ns, source);
    }
    out.upstream_ns = x.kv_upstream.or(x.second_secs);
}

/// One unquoted extra field: `key=value`, seconds, a list of seconds, an id, `2ms` or a number.
fn read_token<'a>(
    line: &'a str,
    start: usize,
    end: usize,
    x: &mut Extras<'a>,
    out: &mut Record<'a>,
) {
    let b = line.as_bytes();
    let tok = &b[start..end];
    if let Some(eq) = memchr(b'=', tok) {
        if eq > 0
            && tok[..eq]
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || b"_-.@".contains(c))
        {
            let key = sub(line, start, start + eq);
            let mut vs = start + eq + 1;
            let mut ve = end;
            if ve > vs + 1 && b[vs] == b'"' && b[ve - 1] == b'"' {
                vs += 1;
                ve -= 1;
            }
            read_pair(key, sub(line, vs, ve), x, out);
            return;
        }
    }
    if let Some(list) = parse_secs_list(tok) {
        if list.dotted {
            if list.sum_ns.is_some_and(|ns| ns >= MAX_SECS_NS) {
                return; // an epoch such as `$msec`
            }
            match x.secs_seen {
                0 => x.first_secs = list.sum_ns,
                1 => x.second_secs = list.sum_ns,
                _ => {}
            }
            x.secs_seen += 1;
        } else if x.first_int.is_none() && list.sum_ns.is_some() {
            x.first_int = parse_uint(tok);
        }
        return;
    }
    if is_request_id(tok) {
        out.put_id(
            IdKind::Request,
            Cow::Borrowed(sub(line, start, end)),
            "request_id",
        );
    } else if x.with_unit.is_none() {
        x.with_unit = parse_unit_duration(tok).and_then(|ns| {
            let (_, unit, _) = fields::read_duration(sub(line, start, end), Unit::FromValue)?;
            Some((ns, unit))
        });
    }
}

/// `rt=0.123`, `urt="0.120, 0.004"`, `rid=...`, `trace_id=...`, `duration_ms=12`.
fn read_pair<'a>(key: &'a str, value: &'a str, x: &mut Extras<'a>, out: &mut Record<'a>) {
    let mut norm = [0u8; 24];
    let mut n = 0;
    for &c in key.as_bytes() {
        if c == b'_' || c == b'-' || c == b'.' {
            continue;
        }
        if n == norm.len() {
            break;
        }
        norm[n] = c.to_ascii_lowercase();
        n += 1;
    }
    match &norm[..n] {
        b"urt" | b"upstreamresponsetime" | b"upstreamtime" | b"upstreamrt" | b"upsrt" => {
            if x.kv_upstream.is_none() {
                x.kv_upstream = parse_secs_list(value.as_bytes()).and_then(|l| l.sum_ns);
            }
            return;
        }
        b"rt" | b"requesttime" | b"reqtime" => {
            if x.kv_time.is_none() {
                let source = DurationSource {
                    field: key,
                    unit: TimeUnit::S,
                    basis: UnitBasis::Format,
                };
                x.kv_time = parse_secs(value.as_bytes()).map(|(ns, _)| (ns, source));
            }
            return;
        }
        _ => {}
    }
    match fields::classify(key) {
        // The line's own structure gives these; a level stays unknown (status tells errors).
        None | Some(Field::Time | Field::Level | Field::Message) => {}
        Some(Field::Duration(unit)) => {
            if x.kv_time.is_none() {
                x.kv_time = fields::read_duration(value, unit).map(|(ns, unit, basis)| {
                    let field = key;
                    (ns, DurationSource { field, unit, basis })
                });
            }
        }
        Some(field) => {
            fields::apply(field, key, Cow::Borrowed(value), out);
        }
    }
}

/// The end of the extra field starting at `i`: a quoted string, a `[...]`
/// group, or text up to a space, where `, ` continues a list (`0.100, 0.004`)
/// and a quote right after `=` opens a quoted value.
fn token_end(b: &[u8], i: usize) -> usize {
    match b[i] {
        b'"' => quote_end(b, i + 1).map_or(b.len(), |q| q + 1),
        b'[' => memchr(b']', &b[i..]).map_or(b.len(), |e| i + e + 1),
        _ => {
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' if j > i && b[j - 1] == b'=' => {
                        j = quote_end(b, j + 1).map_or(b.len(), |q| q + 1);
                        continue;
                    }
                    // `0.100, 0.004` and `0.100 : 0.004` (internal redirect) are one list.
                    b' ' | b'\t'
                        if b[j - 1] == b','
                            || b[j - 1] == b':'
                            || (b.get(j + 1) == Some(&b':') && b.get(j + 2) == Some(&b' ')) =>
                    {
                        while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                            j += 1;
                        }
                        continue;
                    }
                    b' ' | b'\t' => break,
                    _ => j += 1,
                }
            }
            j
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;
    const MS: u64 = 1_000_000;

    fn parse(line: &str) -> (Parsed, Record<'_>) {
        let mut r = Record::default();
        let p = AccessFormat::default().parse_line(line, &mut r);
        (p, r)
    }

    #[test]
    fn combined_line() {
        let (p, r) = parse(
            r#"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1)""#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(1_431_857_103_000_000_000));
        assert!(!r.time_without_zone);
        assert_eq!(r.method.as_deref(), Some("GET"));
        assert_eq!(
            r.path.as_deref(),
            Some("/presentations/logstash-monitorama-2013/images/kibana-search.png")
        );
        assert_eq!(r.status, Some(200));
        assert!(r.message.starts_with("GET /presentations/") && r.message.ends_with(" HTTP/1.1"));
        assert_eq!(r.duration_ns, None);
        assert_eq!(r.level, crate::ingest::event::Level::Unknown);
    }

    #[test]
    fn common_line_and_zone() {
        let (p, r) = parse(
            r#"127.0.0.1 user-identifier frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(971_211_336 * SEC as i64));
        assert_eq!(r.status, Some(200));
        assert_eq!(r.path.as_deref(), Some("/apache_pb.gif"));
        // `[$time_iso8601]` instead of `[$time_local]`; a time without zone is marked so.
        let (p, r) = parse(r#"::1 - - [2000-10-10T13:55:36-07:00] "GET / HTTP/1.1" 204 0"#);
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(971_211_336 * SEC as i64));
        let (_, r) = parse(r#"::1 - - [10/Oct/2000:13:55:36] "GET / HTTP/1.1" 204 0"#);
        assert_eq!(r.time_ns, Some((971_211_336 - 7 * 3600) * SEC as i64));
        assert!(r.time_without_zone);
    }

    #[test]
    fn ingress_controller_with_retries() {
        let (p, r) = parse(
            r#"192.168.64.14 - - [07/Feb/2020:12:02:42 +0000] "GET /v2/some HTTP/1.1" 200 61 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.14; rv:72.0) Gecko/20100101 Firefox/72.0" 348 0.001 [default-web2-8080] [] 172.17.0.6:8080, 172.17.0.7:8080 61, 100 0.100, 0.004 200, 203 835136ae24486dbb4156dcbe21f5d402"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.duration_ns, Some(MS));
        assert_eq!(r.upstream_ns, Some(104 * MS));
        assert_eq!(
            r.request_id.as_deref(),
            Some("835136ae24486dbb4156dcbe21f5d402")
        );
        assert_eq!(r.id_fields, vec!["request_id"]);
        assert_eq!(r.client.as_deref(), Some("192.168.64.14"));
        assert_eq!(r.upstream.as_deref(), Some("default-web2-8080"));
    }

    #[test]
    fn invalid_method_and_no_upstream() {
        let (p, r) = parse(
            r#"192.168.64.1 - - [07/Feb/2020:11:49:50 +0000] "PATCHp /products/42 HTTP/1.1" 400 163 "-" "-" 0 0.000 [] [] - - - - 4c7d2079340e68353c7d0dfff00b904b"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.method.as_deref(), Some("PATCHp"));
        assert_eq!(r.status, Some(400));
        assert_eq!(r.duration_ns, Some(0));
        assert_eq!(r.upstream_ns, None);
        assert_eq!(
            r.request_id.as_deref(),
            Some("4c7d2079340e68353c7d0dfff00b904b")
        );
    }

    #[test]
    fn forwarded_chains_ipv6_and_empty_requests() {
        let (p, r) = parse(
            r#""10.5.102.222, 199.96.1.1, 204.246.1.1" 10.2.1.185 - - [22/Jan/2016:13:18:29 +0000] "GET /assets/xxxx?q=100 HTTP/1.1" 200 25507 "-" "Amazon CloudFront""#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.path.as_deref(), Some("/assets/xxxx?q=100"));
        assert_eq!(r.client.as_deref(), Some("10.2.1.185"));
        let (p, r) = parse(
            r#"2a02:cf40::4e36 - - [24/Aug/2022:18:05:41 +0000] "GET /favicon.ico HTTP/2.0" 502 552 "https://localhost:8080/" "Mozilla/5.0""#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.status, Some(502));
        assert_eq!(r.client.as_deref(), Some("2a02:cf40::4e36"));
        let (p, r) = parse(r#"127.0.0.1 - - [12/Apr/2018:09:48:40 +0200] "" 400 0 "-" "-""#);
        assert_eq!(p, Parsed::Entry);
        assert_eq!((r.method, r.path, r.status), (None, None, Some(400)));
        assert_eq!(r.message, "");
        let (p, r) = parse(r#"10.112.81.15 - - [15/Feb/2013:06:00:31 +0000] "-" 400 0 "-" "-""#);
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.message, "-");
    }

    #[test]
    fn quotes_inside_fields() {
        let (p, r) = parse(
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET /a"b HTTP/1.1" 200 5 "-" "agent \"quoted\" here" 0.250"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.path.as_deref(), Some("/a\"b"));
        assert_eq!(r.duration_ns, Some(250 * MS));
    }

    #[test]
    fn key_value_suffixes() {
        let (p, r) = parse(
            r#"10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "POST /api/orders HTTP/1.1" 201 17 "-" "curl/8" rt=0.123 urt="0.120, 0.004" rid=5f0c9b1e-2a7b-4c53-9d8e-0c6f1b2a3d4e trace_id=4bf92f3577b34da6a3ce929d0e0e4736"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.duration_ns, Some(123 * MS));
        assert_eq!(r.upstream_ns, Some(124 * MS));
        assert_eq!(
            r.request_id.as_deref(),
            Some("5f0c9b1e-2a7b-4c53-9d8e-0c6f1b2a3d4e")
        );
        assert_eq!(
            r.trace_id.as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert_eq!(r.id_fields, vec!["rid", "trace_id"]);
        let (_, r) = parse(
            r#"10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "GET / HTTP/1.1" 200 1 request_time=1.5 upstream_response_time=1.25 duration_ms=99"#,
        );
        assert_eq!(r.duration_ns, Some(1_500 * MS));
        assert_eq!(r.upstream_ns, Some(1_250 * MS));
    }

    #[test]
    fn apache_microseconds_and_traefik_units() {
        let (p, r) = parse(
            r#"localhost:443 178.20.184.42 1j0vhgd jsmith [26/Jul/2023:00:01:26 -0700] "GET /secure/RapidBoard.jspa?rapidView=1295 HTTP/2.0" 200 17163 "-" "Mozilla/5.0" 116075"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.duration_ns, Some(116_075_000));
        assert_eq!(r.client.as_deref(), Some("178.20.184.42"));
        let (p, r) = parse(
            r#"192.168.33.1 - - [02/Oct/2017:20:22:07 +0000] "GET /ui/favicons/favicon-16x16.png HTTP/1.1" 304 0 "http://example.com/login" "Mozilla/5.0" 262 "Host-host-1" "http://172.19.0.3:5601" 2ms"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.duration_ns, Some(2 * MS));
        assert_eq!(r.upstream.as_deref(), Some("http://172.19.0.3:5601"));
    }

    #[test]
    fn epoch_extras_are_not_durations() {
        let (_, r) = parse(
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "-" 1581076131.123 0.042"#,
        );
        assert_eq!(r.duration_ns, Some(42 * MS));
    }

    #[test]
    fn cut_lines_and_other_formats_are_unparsed() {
        for line in [
            r#"46.118.127.106 - - [20/May/2015:12:05:17 +0000] "GET /scripts/grok-py-test/configlib.py HTTP/1.1" 200 235 "-" "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html"#,
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1"#,
            r#"{"time":"2020-01-01T00:00:00Z","msg":"[10/Oct/2000:13:55:36 +0000]"}"#,
            "level=info msg=hello",
            "",
            "[",
            "x [10/Oct/2000:13:55:36 +0000] \"",
            "x [10/Oct/2000:13:55:36 +0000] \"\u{e9}\" 20",
        ] {
            assert_eq!(parse(line).0, Parsed::Unparsed, "{line}");
        }
    }

    #[test]
    fn sniff_access_and_not_others() {
        assert_eq!(
            sniff(
                r#"192.168.202.254 - - [20/Jul/2009:22:59:26 +0000] "GET /vmw/cgi/tramp HTTP/1.0" 200 134 "-" "gPXE/0.9.7""#
            ),
            Sniff::Yes
        );
        assert_eq!(
            sniff(
                r#"10.0.0.2, 10.0.0.1, 127.0.0.1 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571 "-" "Mozilla/5.0""#
            ),
            Sniff::Yes
        );
        for other in [
            r#"{"ts":"2024-01-01T00:00:00Z","level":"info","msg":"GET / 200"}"#,
            r#"ts=2024-01-01T00:00:00Z level=info msg="done" status=200"#,
            "Jan  3 09:47:02 veridian sudo: timstack : TTY=pts/6 ; PWD=/auto ; USER=root",
            r#"Mar 24 14:02:50 web1 nginx: 127.0.0.1 - - [24/Mar/2024:14:02:50 +0000] "GET / HTTP/1.1" 200 5"#,
            "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed",
            "2024-03-01 12:00:00,123 INFO [main] c.e.App - started in 1.2s",
            r#"2024-03-01T12:00:00Z 1.2.3.4 - - [01/Mar/2024:12:00:00 +0000] "GET / HTTP/1.1" 200 5"#,
            "java.lang.NullPointerException: boom",
            "",
        ] {
            assert_eq!(sniff(other), Sniff::No, "{other}");
        }
    }

    #[test]
    fn config_spec_builds_named_formats() {
        let spec = AccessFormatSpec {
            name: "edge".into(),
            nginx: Some("$remote_addr [$time_local] \"$request\" $status".into()),
            ..Default::default()
        };
        let f = AccessFormat::from_config(&spec).unwrap();
        assert_eq!(f.kind(), FormatKind::AccessCustom("edge".into()));
        let both = AccessFormatSpec {
            name: "bad".into(),
            nginx: Some("$status".into()),
            apache: Some("%s".into()),
            ..Default::default()
        };
        let err = AccessFormat::from_config(&both).unwrap_err();
        assert!(
            err.contains("`bad`") && err.contains("exactly one"),
            "{err}"
        );
        assert_eq!(AccessFormat::default().kind(), FormatKind::Access);
    }

    #[test]
    fn mutated_lines_never_panic() {
        let seeds = [
            r#"192.168.64.14 - - [07/Feb/2020:12:02:42 +0000] "GET /v2/some HTTP/1.1" 200 61 "-" "Mozilla/5.0" 348 0.001 [default-web2-8080] [] 172.17.0.6:8080, 172.17.0.7:8080 61, 100 0.100, 0.004 200, 203 835136ae24486dbb4156dcbe21f5d402"#,
            r#"10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "POST /ä/ö HTTP/1.1" 201 17 "-" "c\"url" rt=0.123 urt="0.120, 0.004" rid=5f0c9b1e-2a7b-4c53-9d8e-0c6f1b2a3d4e"#,
        ];
        let formats = [
            AccessFormat::default(),
            AccessFormat::from_nginx(r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"#).unwrap(),
            AccessFormat::from_apache(r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i" %D %{X-Request-ID}i"#).unwrap(),
        ];
        let alphabet: Vec<char> = " \"[]-,.:=0123456789aé\\\t€".chars().collect();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for seed in seeds {
            let chars: Vec<char> = seed.chars().collect();
            for _ in 0..3000 {
                let mut c = chars.clone();
                for _ in 0..1 + next() % 4 {
                    let at = (next() as usize) % c.len();
                    match next() % 3 {
                        0 => c[at] = alphabet[(next() as usize) % alphabet.len()],
                        1 => {
                            c.remove(at);
                        }
                        _ => c.truncate(at),
                    }
                    if c.is_empty() {
                        break;
                    }
                }
                let line: String = c.into_iter().collect();
                for f in &formats {
                    let mut r = Record::default();
                    let p = f.parse_line(&line, &mut r);
                    assert_ne!(p, Parsed::Continuation);
                }
                let _ = sniff(&line);
            }
        }
    }
}
