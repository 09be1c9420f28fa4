//! Heroku router lines -> records.
//!
//! Input: one line of the Heroku HTTP router's log
//! (<https://devcenter.heroku.com/articles/http-routing#heroku-router-log-format>),
//! as `heroku logs` prints it (`2024-03-01T12:00:00.014000+00:00 heroku[router]: at=info ...`,
//! <https://devcenter.heroku.com/articles/logging#log-format>) or as a log
//! drain receives it (`<158>1 2024-03-01T12:00:00.014000+00:00 host heroku router - at=info ...`).
//! The message is `key=value` pairs: `method`, `path`, `request_id`, `fwd`
//! (the client), `dyno` (where the request went), `connect` and `service`
//! (ms), `status`; error lines add `code=H12 desc="Request timeout"`.
//!
//! Output: a [`Record`] with the time, the service `heroku-router`, method,
//! path, status, duration (`connect` + `service`), upstream time (`service`),
//! request id, client and upstream (the dyno). Router errors (`at=error`) are
//! errors; an error line with empty timers (`H10 App crashed`: no dyno was
//! reached) has no duration, not a zero one. Other Heroku lines (`app[web.1]`,
//! `heroku[web.1]`) are not router lines.

use std::borrow::Cow;

use super::access_scan::{parse_any_time, parse_uint};
use super::{FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::{DurationSource, IdKind, Level, Record, TimeUnit, UnitBasis};

/// The service router lines are reported under.
pub const SERVICE: &str = "heroku-router";

/// Is `line` a Heroku router line?
pub fn sniff(line: &str) -> Sniff {
    match HerokuFormat.parse_line(line, &mut Record::default()) {
        Parsed::Entry => Sniff::Yes,
        _ => Sniff::No,
    }
}

/// The Heroku router log parser.
#[derive(Debug, Default)]
pub struct HerokuFormat;

impl LineFormat for HerokuFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Heroku
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        let Some((stamp, msg)) = split(line) else {
            return Parsed::Unparsed;
        };
        let Some((ns, zone, used)) = parse_any_time(stamp.as_bytes()) else {
            return Parsed::Unparsed;
        };
        if used != stamp.len() {
            return Parsed::Unparsed;
        }
        let mut connect = None;
        let mut service = None;
        let mut error = false;
        for (k, v) in pairs(msg) {
            match k {
                "at" => error = v == "error",
                "method" => out.method = Some(Cow::Borrowed(v)),
                "path" => out.path = Some(Cow::Borrowed(v)),
                "request_id" => out.put_id(IdKind::Request, Cow::Borrowed(v), "request_id"),
                "fwd" => out.set_client(Cow::Borrowed(v)),
                "dyno" => out.set_upstream(Cow::Borrowed(v)),
                "connect" => connect = millis(v),
                "service" => service = millis(v),
                "status" => {
                    out.status = parse_uint(v.as_bytes()).and_then(|s| u16::try_from(s).ok())
                }
                _ => {}
            }
        }
        if out.status.is_none() || out.method.is_none() {
            out.clear();
            return Parsed::Unparsed;
        }
        out.time_ns = Some(ns);
        out.time_without_zone = !zone;
        out.service = Some(Cow::Borrowed(SERVICE));
        out.upstream_ns = service;
        if let Some(ns) = service.map(|s| s + connect.unwrap_or(0)) {
            // The router writes `connect=1ms service=12ms`: the unit is in the value.
            let source = DurationSource {
                field: "connect+service",
                unit: TimeUnit::Ms,
                basis: UnitBasis::Value,
            };
            out.set_duration(ns, source);
        }
        out.level = if error { Level::Error } else { Level::Info };
        out.message = Cow::Borrowed(msg);
        Parsed::Entry
    }
}

/// The time stamp and the router's message, in either form.
fn split(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_end();
    if let Some(rest) = line.strip_prefix('<') {
        // `<158>1 TIME host heroku router - MSG`
        let rest = &rest[rest.find(">1 ")? + 3..];
        let (stamp, rest) = rest.split_once(' ')?;
        let (_host, rest) = rest.split_once(' ')?;
        return Some((stamp, rest.strip_prefix("heroku router - ")?));
    }
    let (stamp, rest) = line.split_once(' ')?;
    Some((stamp, rest.strip_prefix("heroku[router]: ")?))
}

/// `key=value` pairs; a value may be quoted (`desc="Request timeout"`) or empty (`connect=`).
fn pairs(msg: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = msg;
    std::iter::from_fn(move || loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return None;
        }
        let Some(eq) = rest
            .find(['=', ' '])
            .filter(|&p| rest.as_bytes()[p] == b'=')
        else {
            // A word without `=`: skip it.
            rest = rest.find(' ').map_or("", |p| &rest[p..]);
            continue;
        };
        let key = &rest[..eq];
        let after = &rest[eq + 1..];
        let (value, next) = match after.strip_prefix('"') {
            Some(q) => match q.find('"') {
                Some(end) => (&q[..end], &q[end + 1..]),
                None => (q, ""),
            },
            None => match after.find(' ') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            },
        };
        rest = next;
        return Some((key, value));
    })
}

/// `18ms` -> ns; empty or anything else -> unknown.
fn millis(v: &str) -> Option<u64> {
    parse_uint(v.strip_suffix("ms")?.as_bytes()).map(|ms| ms.saturating_mul(1_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> (Parsed, Record<'_>) {
        let mut r = Record::default();
        (HerokuFormat.parse_line(line, &mut r), r)
    }

    #[test]
    fn documented_info_and_error_lines() {
        // https://devcenter.heroku.com/articles/http-routing#heroku-router-log-format
        let (p, r) = parse(
            r#"2012-10-11T03:47:20+00:00 heroku[router]: at=info method=GET path=/ host=myapp.herokuapp.com fwd="204.204.204.204" dyno=web.1 connect=1ms service=18ms status=200 bytes=13"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(1_349_927_240_000_000_000));
        assert_eq!(
            (r.duration_ns, r.upstream_ns),
            (Some(19_000_000), Some(18_000_000))
        );
        assert_eq!((r.status, r.level), (Some(200), Level::Info));
        assert_eq!(r.client.as_deref(), Some("204.204.204.204"));
        assert_eq!(r.upstream.as_deref(), Some("web.1"));
        assert_eq!(r.service.as_deref(), Some(SERVICE));
        let (p, r) = parse(
            r#"2012-10-11T03:47:20+00:00 heroku[router]: at=error code=H12 desc="Request timeout" method=GET path=/ host=myapp.herokuapp.com fwd="204.204.204.204" dyno=web.1 connect= service=30000ms status=503 bytes=0"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(
            (r.duration_ns, r.status, r.level),
            (Some(30_000_000_000), Some(503), Level::Error)
        );
    }

    #[test]
    fn drain_form_and_empty_timers() {
        let (p, r) = parse(
            r#"<158>1 2014-08-04T18:28:43.078581+00:00 host heroku router - at=error code=H10 desc="App crashed" method=GET path="/foo" host=app.herokuapp.com request_id=e5bb3580-44b0-46d2-aad3-185263641044 fwd="50.168.96.221" dyno= connect= service= status=503 bytes= protocol=https"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(1_407_176_923_078_581_000));
        assert_eq!((r.duration_ns, r.upstream.as_deref()), (None, None));
        assert_eq!(
            r.request_id.as_deref(),
            Some("e5bb3580-44b0-46d2-aad3-185263641044")
        );
        assert_eq!(r.path.as_deref(), Some("/foo"));
    }

    #[test]
    fn other_heroku_lines_are_not_router_lines() {
        for line in [
            "2018-09-16T15:13:46.677020+00:00 app[web.1]: Processing PostsController#index",
            "2018-09-16T15:13:46.677020+00:00 heroku[web.1]: State changed from starting to up",
            "heroku[router]: at=info method=GET path=/ status=200",
        ] {
            assert_eq!(sniff(line), Sniff::No, "{line}");
        }
    }
}
