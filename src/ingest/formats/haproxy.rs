//! HAProxy logs -> records.
//!
//! Input: one line as HAProxy writes it with `option httplog` or `option
//! tcplog` (<https://docs.haproxy.org/2.8/configuration.html#8.2.3>,
//! <https://docs.haproxy.org/2.8/configuration.html#8.2.2>), inside a syslog
//! envelope (RFC 3164, RFC 5424, or an RFC 3339 time before `host
//! haproxy[pid]:`) or bare (`log stdout format raw`). Output: a [`Record`] with
//! the client address, time, upstream (`backend/server`), status, method and
//! path, duration and upstream time, and a request id found among the captured
//! headers (`{...}`).
//!
//! Timers are `TR/Tw/Tc/Tr/Ta` (`Tq/Tw/Tc/Tr/Tt` before HAProxy 1.9) for HTTP
//! and `Tw/Tc/Tt` for TCP, in milliseconds, `-1` for a phase that never
//! happened. The duration is the last timer (the request's active time, or
//! the session's total time); the upstream time is `Tr` (the server's
//! response time); `-1` leaves them unknown, and so does a last timer with
//! `+` (`option logasap`: the log was written before the end). The logged date
//! is when the request started, so the record's time is that date plus the
//! duration, as other access logs write their end time.
//!
//! Fields the default formats do not have (a host, as some setups add before
//! the timers) are stepped over: the timers are found by their shape. Other
//! lines of the haproxy process (`Proxy www started.`, `Server bk/s1 is DOWN`)
//! are entries with their syslog time, level and message.

use std::borrow::Cow;
use std::sync::LazyLock;

use super::access_scan::{is_request_id, parse_clf, split_request, split_traceparent, sub};
use super::text::TextFormat;
use super::{FormatContext, FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::{DurationSource, IdKind, Level, Record, TimeUnit};

const NS_PER_MS: i64 = 1_000_000;

/// Is `line` HAProxy's? Yes for a request or session line, and for any line
/// the haproxy process wrote through syslog (`haproxy[1234]: Proxy x started.`).
pub fn sniff(line: &str) -> Sniff {
    static TEXT: LazyLock<TextFormat> = LazyLock::new(TextFormat::default);
    let mut rec = Record::default();
    let body = TEXT.syslog_message(line, &mut rec);
    if parse_body(body.unwrap_or(line)).is_some() {
        return Sniff::Yes;
    }
    match (body, rec.service.as_deref()) {
        (Some(_), Some(app)) if app.eq_ignore_ascii_case("haproxy") => Sniff::Yes,
        _ => Sniff::No,
    }
}

/// The HAProxy parser for one file (the context dates syslog times without a year).
#[derive(Debug, Default)]
pub struct HaproxyFormat {
    text: TextFormat,
}

impl HaproxyFormat {
    pub fn new(ctx: FormatContext) -> Self {
        HaproxyFormat {
            text: TextFormat::new(ctx),
        }
    }
}

impl LineFormat for HaproxyFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Haproxy
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        let body = self.text.syslog_message(line, out);
        match parse_body(body.unwrap_or(line)) {
            Some(l) => l.fill(out),
            None => match body {
                // The process's own notices.
                Some(msg) => out.message = Cow::Borrowed(msg.trim()),
                None => {
                    out.clear();
                    return Parsed::Unparsed;
                }
            },
        }
        Parsed::Entry
    }
}

/// What a request (HTTP) or session (TCP) line holds, as slices of it.
#[derive(Debug)]
struct LogLine<'a> {
    client: &'a str,
    /// Start of the request (HTTP) or connection (TCP), wall-clock ns.
    start_ns: i64,
    frontend: &'a str,
    /// `backend/server`.
    upstream: &'a str,
    /// The timers; the last is the duration, `Tr` is the fourth of five.
    timers: [Option<u64>; 5],
    n_timers: usize,
    status: Option<u16>,
    termination: &'a str,
    /// Captured request and response headers, `|`-separated.
    captures: [&'a str; 2],
    /// The request line, without its quotes (HTTP only).
    request: Option<&'a str>,
}

impl<'a> LogLine<'a> {
    fn fill(&self, out: &mut Record<'a>) {
        out.set_client(Cow::Borrowed(self.client));
        out.set_upstream(Cow::Borrowed(self.upstream));
        let duration = self.timers[self.n_timers - 1];
        if let Some(ms) = duration {
            // The last timer: `Ta` of an HTTP log (`Tt` before 1.8), `Tt` of a TCP log.
            let name = if self.n_timers == 5 { "Ta" } else { "Tt" };
            out.set_duration(
                ms * NS_PER_MS as u64,
                DurationSource::by_format(name, TimeUnit::Ms),
            );
        }
        if self.n_timers == 5 {
            out.upstream_ns = self.timers[3].map(|ms| ms * NS_PER_MS as u64);
        }
        // A record's time is the end of the request.
        out.time_ns = Some(self.start_ns + duration.map_or(0, |d| d as i64 * NS_PER_MS));
        out.time_without_zone = true;
        out.time_without_date = false;
        out.status = self.status;
        match self.request {
            Some(req) => {
                out.message = Cow::Borrowed(req);
                if let Some((method, path)) = split_request(req) {
                    out.method = Some(Cow::Borrowed(method));
                    out.path = Some(Cow::Borrowed(path));
                }
            }
            None => {
                // A TCP session: the frontend names what was proxied.
                out.method = Some(Cow::Borrowed("TCP"));
                out.route = Some(Cow::Borrowed(self.frontend));
                out.message = Cow::Borrowed(self.termination);
                // Sessions ended by the server or by haproxy itself failed.
                if self.termination.starts_with(['S', 's', 'P', 'R', 'I', 'D']) {
                    out.level = Level::Error;
                }
            }
        }
        for value in self.captures.iter().flat_map(|c| c.split('|')) {
            captured_id(value, out);
        }
    }
}

/// Stores the id a captured header value holds, if it looks like one.
fn captured_id<'a>(value: &'a str, out: &mut Record<'a>) {
    let v = value.trim();
    let b = v.as_bytes();
    if let Some((t, s)) = split_traceparent(b) {
        out.put_id(
            IdKind::Trace,
            Cow::Borrowed(sub(v, t.start, t.end)),
            "captured header",
        );
        out.put_id(
            IdKind::ParentSpan,
            Cow::Borrowed(sub(v, s.start, s.end)),
            "captured header",
        );
    } else if is_request_id(b) || v.starts_with("Root=1-") || is_token_id(b) {
        out.put_id(IdKind::Request, Cow::Borrowed(v), "captured header");
    }
}

/// A generated id as other request-id headers carry them: 16 to 64 letters,
/// digits, `-` or `_`, with at least one digit and one letter (a host name or
/// a user agent has dots, slashes or spaces).
fn is_token_id(b: &[u8]) -> bool {
    (16..=64).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
        && b.iter().any(u8::is_ascii_digit)
        && b.iter().any(u8::is_ascii_alphabetic)
}

/// Reads a request or session line; `None` when `body` is not one.
fn parse_body(body: &str) -> Option<LogLine<'_>> {
    let mut words = Words::new(body);
    let client = words.next()?;
    if !client.contains(':') {
        return None;
    }
    let date = words.next()?.strip_prefix('[')?.strip_suffix(']')?;
    let (start_ns, _, used) = parse_clf(date.as_bytes())?;
    if used != date.len() {
        return None;
    }
    let frontend = words.next()?;
    let upstream = words.next()?;
    if !upstream.contains('/') {
        return None;
    }
    // The timers, after at most two fields a custom format may add.
    let mut timers = [None; 5];
    let mut n_timers = 0;
    for _ in 0..3 {
        if let Some(n) = read_timers(words.next()?, &mut timers) {
            n_timers = n;
            break;
        }
    }
    let mut line = LogLine {
        client,
        start_ns,
        frontend,
        upstream,
        timers,
        n_timers,
        status: None,
        termination: "",
        captures: ["", ""],
        request: None,
    };
    match n_timers {
        5 => {
            let status = words.next()?;
            line.status = match status.parse::<u16>() {
                Ok(s) if (100..1000).contains(&s) => Some(s),
                _ if status == "-1" => None,
                _ => return None,
            };
            let _bytes = words.next()?;
            let _cookies = (words.next()?, words.next()?);
            line.termination = words.next()?;
            let _conns = words.next()?;
            let _queues = words.next()?;
            let mut k = 0;
            while let Some(c) = words.braces() {
                if k < 2 {
                    line.captures[k] = c;
                    k += 1;
                }
            }
            line.request = Some(words.quoted()?);
        }
        3 => {
            let _bytes = words.next()?;
            line.termination = words.next()?;
            let _conns = words.next()?;
            let _queues = words.next()?;
        }
        _ => return None,
    }
    Some(line)
}

/// Reads `10/0/30/69/109` or `0/0/5007` into `out`; the count, or `None`
/// when the word is not a timer list.
fn read_timers(word: &str, out: &mut [Option<u64>; 5]) -> Option<usize> {
    let mut n = 0;
    for (k, part) in word.split('/').enumerate() {
        if k == 5 {
            return None;
        }
        let last_allowed_plus = part.strip_prefix('+');
        out[k] = match (part, last_allowed_plus) {
            ("-1", _) => None,
            // `option logasap`: the time when the log was written, not the end.
            (_, Some(p)) if p.bytes().all(|c| c.is_ascii_digit()) && !p.is_empty() => None,
            _ if !part.is_empty()
                && part.len() <= 12
                && part.bytes().all(|c| c.is_ascii_digit()) =>
            {
                part.parse().ok()
            }
            _ => return None,
        };
        n = k + 1;
    }
    matches!(n, 3 | 5).then_some(n)
}

/// A cursor over the space-separated fields of a line.
struct Words<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Words<'a> {
    fn new(s: &'a str) -> Self {
        Words { s, i: 0 }
    }

    fn skip_spaces(&mut self) {
        let b = self.s.as_bytes();
        while self.i < b.len() && b[self.i] == b' ' {
            self.i += 1;
        }
    }

    /// The next word, up to a space.
    fn next(&mut self) -> Option<&'a str> {
        self.skip_spaces();
        let rest = self.s.get(self.i..)?;
        if rest.is_empty() {
            return None;
        }
        let end = rest.find(' ').unwrap_or(rest.len());
        self.i += end;
        Some(&rest[..end])
    }

    /// A `{...}` group of captured headers (values may hold spaces), if one is next.
    fn braces(&mut self) -> Option<&'a str> {
        self.skip_spaces();
        let rest = self.s.get(self.i..)?.strip_prefix('{')?;
        let end = rest.find('}')?;
        self.i += end + 2;
        Some(&rest[..end])
    }

    /// The rest of the line as a quoted request: `"GET / HTTP/1.1"`. HAProxy
    /// cuts long request lines, so a missing closing quote is tolerated.
    fn quoted(&mut self) -> Option<&'a str> {
        self.skip_spaces();
        let rest = self.s.get(self.i..)?.trim_end().strip_prefix('"')?;
        self.i = self.s.len();
        Some(rest.strip_suffix('"').unwrap_or(rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn parse(line: &str) -> (Parsed, Record<'_>) {
        let mut r = Record::default();
        let f = HaproxyFormat::new(FormatContext {
            year: 2009,
            ..Default::default()
        });
        let p = f.parse_line(line, &mut r);
        (p, r)
    }

    fn at(s: &str) -> i64 {
        crate::ingest::time::parse_iso(s.as_bytes()).unwrap().ns
    }

    #[test]
    fn http_log_example_of_the_documentation() {
        // Section 8.2.3's example, one line, request id captured with
        // `capture request header X-Request-ID len 36` after the host.
        let (p, r) = parse(
            r#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu|0f8fad5b-d9cb-469f-a165-70867728950e} {} "GET /index.html HTTP/1.1""#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.client.as_deref(), Some("10.0.1.2"));
        assert_eq!(r.upstream.as_deref(), Some("static/srv1"));
        assert_eq!(r.time_ns, Some(at("2009-02-06T12:14:14.764Z")));
        assert!(r.time_without_zone);
        assert_eq!(r.status, Some(200));
        assert_eq!(r.duration_ns, Some(109 * MS));
        assert_eq!(r.upstream_ns, Some(69 * MS));
        assert_eq!(r.method.as_deref(), Some("GET"));
        assert_eq!(r.path.as_deref(), Some("/index.html"));
        assert_eq!(r.service.as_deref(), Some("haproxy"));
        assert_eq!(
            r.request_id.as_deref(),
            Some("0f8fad5b-d9cb-469f-a165-70867728950e")
        );
        assert_eq!(r.id_fields, vec!["captured header"]);
    }

    #[test]
    fn aborted_phases_and_logasap() {
        // Section 8.4's examples: the client gave up waiting (-1 for Tr), and logasap.
        let (p, r) = parse(
            r#"10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 0/0/1/-1/30001 504 194 - - sH-- 1/1/1/1/0 0/0 "GET / HTTP/1.1""#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.status, Some(504));
        assert_eq!(r.upstream_ns, None);
        assert_eq!(r.duration_ns, Some(30_001 * MS));
        let (p, r) = parse(
            r#"10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 9/0/7/14/+30 200 +243 - - ---- 3/3/3/1/0 0/0 "GET /image.iso HTTP/1.0""#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.duration_ns, None);
        assert_eq!(r.time_ns, Some(at("2009-02-06T12:14:14.655Z")));
        // A request that never came: no status line, `<BADREQ>`.
        let (p, r) = parse(
            r#"10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in http-in/<NOSRV> -1/-1/-1/-1/8490 -1 0 - - CR-- 2/2/2/0/0 0/0 "<BADREQ>""#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!((r.status, r.method.as_deref()), (None, None));
        assert_eq!(r.duration_ns, Some(8_490 * MS));
    }

    #[test]
    fn tcp_log_example_of_the_documentation() {
        let (p, r) = parse(
            "Feb  6 12:12:56 localhost haproxy[14387]: 10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0",
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.duration_ns, Some(5_007 * MS));
        assert_eq!(r.upstream.as_deref(), Some("bck/srv1"));
        assert_eq!(r.method.as_deref(), Some("TCP"));
        assert_eq!(r.route.as_deref(), Some("fnt"));
        assert_eq!(r.level, Level::Unknown);
        let (_, r) = parse(
            "10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 sD 0/0/0/0/3 0/0",
        );
        assert_eq!(r.level, Level::Error);
    }

    #[test]
    fn real_variants() {
        // Filebeat's fixture: a host between the server and the timers, `-` for the client.
        let (p, r) = parse(
            r#"May 22 02:22:22 server1 haproxy[5089]: -:22222 [22/May/2021:02:22:22.222] www-https~ myapp/node2 site.domain.com 0/0/0/18/18 200 200 - - ---- 222/222/2/0/0 0/0 "OPTIONS /api/v2/app/ HTTP/1.1""#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.client, None);
        assert_eq!(r.duration_ns, Some(18 * MS));
        assert_eq!(r.method.as_deref(), Some("OPTIONS"));
        // lnav's sample: a captured user agent with spaces; an RFC 3339 envelope.
        let (p, r) = parse(
            r#"2012-06-12T17:56:11+00:00 localhost haproxy[21732]: 127.0.0.1:40074 [12/Jun/2012:17:56:10.548] fe be/i-8bcc18ed:9105 14/0/0/283/575 200 107 - - ---- 232/162/162/5/0 0/0 {Mozilla/5.0 (Windows NT 6.1; Win64; x64)} {} "POST /intake HTTP/1.1""#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.request_id, None);
        assert_eq!(r.path.as_deref(), Some("/intake"));
        // The process's own lines are entries, not requests.
        let (p, r) = parse("Feb 25 16:19:38 192.168.4.2 haproxy[1]: Proxy prod_http_in started.");
        assert_eq!(p, Parsed::Entry);
        assert_eq!(
            (r.message.as_ref(), r.status),
            ("Proxy prod_http_in started.", None)
        );
        assert_eq!(
            sniff("Feb 25 16:19:38 192.168.4.2 haproxy[1]: Proxy prod_http_in started."),
            Sniff::Yes
        );
        assert_eq!(
            sniff("Feb 25 16:19:38 192.168.4.2 sshd[1]: Accepted publickey for root"),
            Sniff::No
        );
        assert_eq!(parse("just text").0, Parsed::Unparsed);
    }

    #[test]
    fn captured_ids_by_shape() {
        let mut r = Record::default();
        for v in [
            "www.example.com",
            "Mozilla/5.0 (X11)",
            "",
            "-",
            "01J8ZK3Q9V5Y7W2X4T6R8P0M1N",
        ] {
            captured_id(v, &mut r);
        }
        assert_eq!(r.request_id.as_deref(), Some("01J8ZK3Q9V5Y7W2X4T6R8P0M1N"));
        let mut r = Record::default();
        captured_id(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            &mut r,
        );
        assert_eq!(
            r.trace_id.as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
    }
}
