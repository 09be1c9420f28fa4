//! Spans -> log lines, one writer per service in that service's own format.
//!
//! Input: a [`Request`], the index of one of its spans, and the time the
//! service's clock shows (skew applied). Output: bytes appended to a buffer,
//! ending with a newline, and how many entry and continuation lines they hold.
//! Every line states the span's end time (services log when work completes)
//! and its duration, so start = end - duration.

use std::io::Write;

use super::model::Request;
use crate::ingest::time::civil_from_days;

/// Lines written for one span.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lines {
    pub entries: u64,
    pub continuation: u64,
}

const ONE: Lines = Lines {
    entries: 1,
    continuation: 0,
};

/// A broken-down UTC time.
#[derive(Clone, Copy, Debug)]
pub struct Civil {
    pub y: i64,
    pub mo: u32,
    pub d: u32,
    pub h: i64,
    pub mi: i64,
    pub s: i64,
    pub us: i64,
}

impl Civil {
    pub fn from_us(t: i64) -> Civil {
        let secs = t.div_euclid(1_000_000);
        let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
        let rem = secs.rem_euclid(86_400);
        Civil {
            y,
            mo,
            d,
            h: rem / 3600,
            mi: rem % 3600 / 60,
            s: rem % 60,
            us: t.rem_euclid(1_000_000),
        }
    }

    pub fn ms(&self) -> i64 {
        self.us / 1000
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `2024-03-01T12:00:00.123Z`
pub fn rfc3339_ms(out: &mut Vec<u8>, t: i64) {
    let c = Civil::from_us(t);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.y,
        c.mo,
        c.d,
        c.h,
        c.mi,
        c.s,
        c.ms()
    );
}

/// Go's RFC3339Nano as container runtimes write it: trailing zeros trimmed.
fn rfc3339_nano(out: &mut Vec<u8>, t: i64, extra_ns: i64) {
    let c = Civil::from_us(t);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.y, c.mo, c.d, c.h, c.mi, c.s
    );
    let mut frac = format!("{:09}", c.us * 1000 + extra_ns);
    while frac.ends_with('0') {
        frac.pop();
    }
    if !frac.is_empty() {
        out.push(b'.');
        out.extend_from_slice(frac.as_bytes());
    }
    out.push(b'Z');
}

/// `01/Mar/2024:12:00:00 +0000`
fn nginx_time(out: &mut Vec<u8>, t: i64) {
    let c = Civil::from_us(t);
    let _ = write!(
        out,
        "{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000",
        c.d,
        MONTHS[c.mo as usize - 1],
        c.y,
        c.h,
        c.mi,
        c.s
    );
}

/// `2024-03-01 12:00:00` followed by `sep` and milliseconds (`.` logback, `,` Python).
fn local_time(out: &mut Vec<u8>, t: i64, sep: char) {
    let c = Civil::from_us(t);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}{sep}{:03}",
        c.y,
        c.mo,
        c.d,
        c.h,
        c.mi,
        c.s,
        c.ms()
    );
}

/// `Mar  1 12:00:00` (RFC 3164: no year, day padded with a space).
pub fn syslog_time(out: &mut Vec<u8>, t: i64) {
    let c = Civil::from_us(t);
    let _ = write!(
        out,
        "{} {:>2} {:02}:{:02}:{:02}",
        MONTHS[c.mo as usize - 1],
        c.d,
        c.h,
        c.mi,
        c.s
    );
}

/// `1.234` seconds with millisecond precision, as nginx writes `$request_time`.
fn secs(out: &mut Vec<u8>, ms: u64) {
    let _ = write!(out, "{}.{:03}", ms / 1000, ms % 1000);
}

const AGENTS: [&str; 5] = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
    "shop-ios/4.12.0 (iPhone14,2; iOS 17.3)",
    "okhttp/4.12.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
];

/// The edge's nginx access line: combined + `$request_time $upstream_response_time $request_id`.
pub fn access(out: &mut Vec<u8>, req: &Request, t: i64) -> Lines {
    let s = &req.spans[0];
    let upstream = req.spans.get(2).unwrap_or(&req.spans[1]);
    let [a, b, c, d] = req.client;
    let bytes = if s.status >= 400 {
        157
    } else {
        380 + (req.index * 7919) % 4000
    };
    let referer = if req.agent % 3 == 0 {
        "https://shop.example.com/"
    } else {
        "-"
    };
    let _ = write!(out, "{a}.{b}.{c}.{d} - - [");
    nginx_time(out, t);
    let _ = write!(
        out,
        "] \"{} {} HTTP/1.1\" {} {bytes} \"{referer}\" \"{}\" ",
        s.method,
        s.path,
        s.status,
        AGENTS[req.agent % AGENTS.len()]
    );
    secs(out, s.dur_ms);
    out.push(b' ');
    secs(out, upstream.dur_ms);
    let _ = writeln!(out, " {}", req.request_id);
    ONE
}

/// auth: one JSON object per line.
pub fn json(out: &mut Vec<u8>, req: &Request, i: usize, t: i64) -> Lines {
    let s = &req.spans[i];
    let (level, msg) = match s.status {
        401 => ("warn", "token rejected: signature expired"),
        500.. => ("error", "token check failed"),
        _ => ("info", "token verified"),
    };
    out.extend_from_slice(b"{\"ts\":\"");
    rfc3339_ms(out, t);
    let parent = s.parent.map_or("", |p| req.spans[p].span_id.as_str());
    let _ = writeln!(
        out,
        "\",\"level\":\"{level}\",\"msg\":\"{msg}\",\"service\":\"{}\",\"request_id\":\"{}\",\"trace_id\":\"{}\",\"span_id\":\"{}\",\"parent_span_id\":\"{parent}\",\"duration_ms\":{},\"method\":\"{}\",\"path\":\"{}\",\"status\":{}}}",
        s.svc.name(),
        req.request_id,
        req.trace_id,
        s.span_id,
        s.dur_ms,
        s.method,
        s.path,
        s.status
    );
    ONE
}

/// orders: logfmt.
pub fn logfmt(out: &mut Vec<u8>, req: &Request, i: usize, t: i64) -> Lines {
    let s = &req.spans[i];
    let failed_callee = req
        .spans
        .iter()
        .find(|c| c.parent == Some(i) && c.is_error());
    out.extend_from_slice(b"time=");
    rfc3339_ms(out, t);
    let (level, msg) = match (failed_callee, s.method) {
        (Some(_), _) => ("error", "\"upstream call failed\""),
        (None, "POST") => ("info", "\"order created\""),
        _ => ("info", "\"order fetched\""),
    };
    let parent = s.parent.map_or("", |p| req.spans[p].span_id.as_str());
    let _ = write!(
        out,
        " level={level} msg={msg} request_id={} trace_id={} span_id={} parent_id={parent} method={} path={} duration={}ms status={}",
        req.request_id, req.trace_id, s.span_id, s.method, s.path, s.dur_ms, s.status
    );
    if let Some(c) = failed_callee {
        let _ = write!(out, " error=\"{} returned {}\"", c.svc.name(), c.status);
    }
    out.push(b'\n');
    ONE
}

/// inventory: logback text with the request id in the MDC, stack traces on errors.
/// `latin1` writes a product name in the wrong encoding (invalid UTF-8).
pub fn logback(out: &mut Vec<u8>, req: &Request, i: usize, t: i64, latin1: bool) -> Lines {
    let s = &req.spans[i];
    local_time(out, t, '.');
    let level = if s.is_error() { "ERROR" } else { "INFO " };
    let _ = write!(
        out,
        " [http-nio-8080-exec-{}] {level} c.s.inventory.web.StockController [requestId={}] - {} {} {} ",
        req.index % 16 + 1,
        req.request_id,
        s.method,
        s.path,
        s.status
    );
    if !s.is_error() {
        let _ = write!(out, "completed in {} ms", s.dur_ms);
        if latin1 {
            out.extend_from_slice(b" product=\"Caf\xe9 Cr\xe8me 250g\"");
        }
        out.push(b'\n');
        return ONE;
    }
    let _ = writeln!(out, "failed after {} ms", s.dur_ms);
    let _ = writeln!(
        out,
        "java.lang.IllegalStateException: stock reservation failed for {}\n\
         \tat com.shop.inventory.service.StockService.reserve(StockService.java:88)\n\
         \tat com.shop.inventory.web.StockController.reserve(StockController.java:42)\n\
         \tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)\n\
         Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 1000ms.\n\
         \tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)\n\
         \tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)\n\
         \t... 12 more",
        s.path
    );
    Lines {
        entries: 1,
        continuation: 8,
    }
}

/// The line inventory writes when it starts again after a crash.
pub fn logback_startup(out: &mut Vec<u8>, t: i64) -> Lines {
    local_time(out, t, '.');
    out.extend_from_slice(
        b" [main] INFO  c.s.inventory.InventoryApplication - Started InventoryApplication in 6.412 seconds (process running for 7.03)\n",
    );
    ONE
}

/// payments: Python `logging` default-ish layout, Tracebacks on errors.
pub fn python(out: &mut Vec<u8>, req: &Request, i: usize, t: i64) -> Lines {
    let s = &req.spans[i];
    local_time(out, t, ',');
    let head = |out: &mut Vec<u8>, level: &str| {
        let _ = write!(
            out,
            " - payments - {level} - request_id={} {} {} {} ",
            req.request_id, s.method, s.path, s.status
        );
    };
    if s.is_error() {
        head(out, "ERROR");
        let _ = writeln!(out, "failed after {} ms: gateway read timeout", s.dur_ms);
        out.extend_from_slice(
            b"Traceback (most recent call last):\n  File \"/app/payments/gateway.py\", line 88, in charge\n    resp = self.session.post(url, json=payload, timeout=2.0)\n  File \"/usr/lib/python3.11/site-packages/requests/sessions.py\", line 637, in post\n    return self.request(\"POST\", url, data=data, json=json, **kwargs)\nrequests.exceptions.ReadTimeout: HTTPSConnectionPool(host='gw.example.net', port=443): Read timed out. (read timeout=2.0)\n",
        );
        return Lines {
            entries: 1,
            continuation: 6,
        };
    }
    if s.dur_ms >= 1000 {
        head(out, "WARNING");
        let _ = writeln!(out, "took {}.{:03}s", s.dur_ms / 1000, s.dur_ms % 1000);
    } else {
        head(out, "INFO");
        let _ = writeln!(out, "completed in {} ms", s.dur_ms);
    }
    ONE
}

/// The JSON the recommendation pod writes (inside a CRI line). `items` pads it.
pub fn recommendation_json(out: &mut Vec<u8>, req: &Request, i: usize, t: i64, items: usize) {
    let s = &req.spans[i];
    let (level, msg) = if s.is_error() {
        ("error", "model backend unavailable")
    } else {
        ("info", "served recommendations")
    };
    out.extend_from_slice(b"{\"ts\":\"");
    rfc3339_ms(out, t);
    let parent = s.parent.map_or("", |p| req.spans[p].span_id.as_str());
    let _ = write!(
        out,
        "\",\"level\":\"{level}\",\"msg\":\"{msg}\",\"request_id\":\"{}\",\"trace_id\":\"{}\",\"span_id\":\"{}\",\"parent_span_id\":\"{parent}\",\"method\":\"{}\",\"path\":\"{}\",\"route\":\"{}\",\"status\":{},\"latency_ms\":{}",
        req.request_id, req.trace_id, s.span_id, s.method, s.path, s.route, s.status, s.dur_ms
    );
    if items > 0 {
        out.extend_from_slice(b",\"items\":[");
        for k in 0..items {
            if k > 0 {
                out.push(b',');
            }
            let _ = write!(
                out,
                "\"sku-{:06}\"",
                (req.index * 31 + k as u64 * 977) % 1_000_000
            );
        }
        out.push(b']');
    }
    out.push(b'}');
}

/// Nanoseconds below the microsecond, so container times use all nine digits.
fn extra_ns(t: i64) -> i64 {
    (t.wrapping_mul(7919)).rem_euclid(1000)
}

/// recommendation: CRI lines. A message longer than `split` bytes is cut
/// into `P` (partial) lines and a final `F` line, as the runtime does.
pub fn cri(out: &mut Vec<u8>, msg: &[u8], stream: &str, t: i64, split: usize) -> (u64, u64) {
    let mut rest = msg;
    let mut lines = 0;
    while !rest.is_empty() {
        let (part, tag) = if rest.len() > split {
            (&rest[..split], "P")
        } else {
            (rest, "F")
        };
        rfc3339_nano(out, t, extra_ns(t));
        let _ = write!(out, " {stream} {tag} ");
        out.extend_from_slice(part);
        out.push(b'\n');
        rest = &rest[part.len()..];
        lines += 1;
    }
    (lines, lines - 1)
}

/// cart: a Docker json-file envelope around a text line whose time has no date.
pub fn docker(out: &mut Vec<u8>, req: &Request, i: usize, t: i64) -> Lines {
    let s = &req.spans[i];
    let c = Civil::from_us(t);
    let (level, stream) = if s.is_error() {
        ("ERROR", "stderr")
    } else {
        ("INFO ", "stdout")
    };
    let _ = write!(
        out,
        "{{\"log\":\"{:02}:{:02}:{:02}.{:03} {level} [cart] request_id={} {} {} {} {}ms",
        c.h,
        c.mi,
        c.s,
        c.ms(),
        req.request_id,
        s.method,
        s.path,
        s.status,
        s.dur_ms
    );
    if s.is_error() {
        out.extend_from_slice(b" redis: connection refused");
    }
    let _ = write!(out, "\\n\",\"stream\":\"{stream}\",\"time\":\"");
    rfc3339_nano(out, t, extra_ns(t));
    out.extend_from_slice(b"\"}\n");
    ONE
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::model::Sim;
    use crate::generate::GenOptions;

    #[test]
    fn times_are_written_the_way_each_format_writes_them() {
        // 2024-03-01T12:00:05.123456Z
        let t = 1_709_294_405_123_456;
        let mut v = Vec::new();
        rfc3339_ms(&mut v, t);
        v.push(b'|');
        nginx_time(&mut v, t);
        v.push(b'|');
        local_time(&mut v, t, ',');
        v.push(b'|');
        syslog_time(&mut v, t);
        v.push(b'|');
        rfc3339_nano(&mut v, t, 0);
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "2024-03-01T12:00:05.123Z|01/Mar/2024:12:00:05 +0000|2024-03-01 12:00:05,123|Mar  1 12:00:05|2024-03-01T12:00:05.123456Z"
        );
    }

    #[test]
    fn long_messages_become_partial_cri_lines() {
        let mut v = Vec::new();
        let (lines, partial) = cri(&mut v, b"abcdefghij", "stdout", 0, 4);
        assert_eq!((lines, partial), (3, 2));
        let text = String::from_utf8(v).unwrap();
        let tags: Vec<&str> = text.lines().map(|l| l.split(' ').nth(2).unwrap()).collect();
        assert_eq!(tags, ["P", "P", "F"]);
        assert!(text
            .lines()
            .all(|l| l.starts_with("1970-01-01T00:00:00Z stdout")));
    }

    #[test]
    fn access_line_carries_the_timings_and_the_request_id() {
        let opts = GenOptions::default();
        let req = Sim::new(&opts).request(0);
        let mut v = Vec::new();
        access(&mut v, &req, req.spans[0].end_us());
        let line = String::from_utf8(v).unwrap();
        let fields: Vec<&str> = line.trim_end().rsplitn(4, ' ').collect();
        assert_eq!(fields[0], req.request_id);
        let ms = req.spans[0].dur_ms;
        assert_eq!(fields[2], format!("{}.{:03}", ms / 1000, ms % 1000));
    }
}
