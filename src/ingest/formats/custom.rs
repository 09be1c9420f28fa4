//! User-defined regex formats and id patterns from the config file -> records.
//!
//! Input: a [`CustomFormatSpec`] (a regex with named captures, renames, a time
//! format) and lines of a file in that format; or [`IdPatternSpec`]s and any
//! message. Output: the [`Record`] fields the captures name (the names mean what
//! they mean in JSON, see [`fields::classify`]), and correlation ids found by the
//! id patterns. Regexes are compiled when the config is loaded
//! ([`crate::ingest::detect::load_config`]); a bad one is a [`ConfigError`]
//! that names the format and shows the regex error.
//!
//! A line the regex does not match continues the entry before when it looks like a
//! continuation (leading whitespace, `Caused by:`), else it is unparsed.

use std::borrow::Cow;

use regex::{CaptureLocations, Regex};

use super::container::{looks_like_continuation, looks_like_stack};
use super::fields::{self, Field};
use super::message;
use super::{FormatContext, FormatKind, LineFormat, Parsed};
use crate::config::{ConfigError, CustomFormatSpec};
use crate::ingest::chunk::ChunkSink;
use crate::ingest::event::Record;
use crate::ingest::time::{self, NS_PER_SEC};

/// The field names a capture (or a `fields` rename) may use.
pub const FIELD_NAMES: &str = "time, level, message (or msg), service, request_id, trace_id, \
    span_id, parent_span_id, method, path, url, route, logger, status, error, duration \
    (unit from the value), duration_ms, duration_us, duration_s, duration_ns";

/// A named-capture regex format.
#[derive(Debug)]
pub struct CustomFormat {
    pub name: String,
    regex: Regex,
    /// What each capture group fills, by group index, with the name it reports ids under.
    slots: Vec<Option<(Field, &'static str)>>,
    time_format: Option<TimeFormat>,
    has_message: bool,
    ctx: FormatContext,
}

impl CustomFormat {
    /// Compiles `spec`; errors name the format and say what is wrong.
    pub fn new(spec: &CustomFormatSpec) -> Result<CustomFormat, ConfigError> {
        let name = &spec.name;
        let err = |msg: String| ConfigError(format!("[[format]] \"{name}\": {msg}"));
        let regex = Regex::new(&spec.regex)
            .map_err(|e| err(format!("the regex does not compile:\n{e}")))?;
        let names: Vec<Option<&str>> = regex.capture_names().collect();
        for (capture, target) in &spec.fields {
            if !names.contains(&Some(capture.as_str())) {
                return Err(err(format!(
                    "`fields` renames `{capture}`, but the regex has no capture named `{capture}`"
                )));
            }
            if fields::classify(target).is_none() {
                return Err(err(format!(
                    "`fields` maps `{capture}` to `{target}`, which is not a field; use one of: {FIELD_NAMES}"
                )));
            }
        }
        let mut slots = Vec::with_capacity(names.len());
        let mut has_time = false;
        let mut has_message = false;
        for n in &names {
            let slot = n.and_then(|n| {
                let target = spec.fields.get(n).map_or(n, |t| t.as_str());
                // Reported as the capture's name in `inspect`; one small string per capture per run.
                fields::classify(target).map(|f| (f, &*Box::leak(n.to_string().into_boxed_str())))
            });
            has_time |= matches!(slot, Some((Field::Time, _)));
            has_message |= matches!(slot, Some((Field::Message, _)));
            slots.push(slot);
        }
        let time_format = match &spec.time_format {
            Some(f) => {
                if !has_time {
                    return Err(err(
                        "`time_format` is set but no capture is named `time` (or renamed to it)"
                            .into(),
                    ));
                }
                Some(TimeFormat::new(f).map_err(err)?)
            }
            None => None,
        };
        Ok(CustomFormat {
            name: name.clone(),
            regex,
            slots,
            time_format,
            has_message,
            ctx: FormatContext::default(),
        })
    }

    /// Uses the file's context: `--tz` for times without a zone, the year for
    /// time formats without one.
    pub fn with_context(mut self, ctx: FormatContext) -> Self {
        self.ctx = ctx;
        self
    }

    /// Does `line` match the regex? (For detection.)
    pub fn matches(&self, line: &str) -> bool {
        self.regex.is_match(line)
    }

    fn parse_with<'a>(
        &self,
        locs: &mut CaptureLocations,
        line: &'a str,
        out: &mut Record<'a>,
    ) -> Parsed {
        if self.regex.captures_read(locs, line).is_none() {
            if looks_like_continuation(line) {
                out.exception = looks_like_stack(line);
                return Parsed::Continuation;
            }
            return Parsed::Unparsed;
        }
        for (i, slot) in self.slots.iter().enumerate() {
            let (Some((field, key)), Some((s, e))) = (slot, locs.get(i)) else {
                continue;
            };
            let value = &line[s..e];
            match (field, &self.time_format) {
                (Field::Time, Some(tf)) if out.time_ns.is_none() => {
                    if let Some(t) = tf.parse(value, self.ctx.year) {
                        out.time_ns = Some(t.ns);
                        out.time_without_zone = !t.has_zone;
                        out.time_without_date = !t.has_date;
                    }
                }
                _ => {
                    fields::apply(*field, key, Cow::Borrowed(value), out);
                }
            }
        }
        if out.time_without_zone && self.ctx.tz.is_some() {
            if let Some(t) = out.time_ns {
                out.time_ns = Some(self.ctx.local_to_utc(t));
                out.time_without_zone = false;
            }
        }
        if !self.has_message || out.message.is_empty() {
            out.message = Cow::Borrowed(line);
        }
        if let Cow::Borrowed(m) = &out.message {
            let m: &'a str = m;
            message::scan(m, out);
        }
        Parsed::Entry
    }
}

impl LineFormat for CustomFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Custom(self.name.clone())
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        let mut locs = self.regex.capture_locations();
        self.parse_with(&mut locs, line, out)
    }

    /// One set of capture slots for the whole chunk, so lines allocate nothing.
    fn parse_chunk(&self, chunk: &[u8], sink: &mut ChunkSink) {
        let mut locs = self.regex.capture_locations();
        sink.run_lines(chunk, |line, rec| self.parse_with(&mut locs, line, rec));
    }
}

/// A strftime-like time format, compiled once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeFormat {
    items: Vec<Item>,
    /// The format has a date part (else times are of the day, `time_without_date`).
    has_date: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    Lit(u8),
    /// A space: one or more spaces in the input.
    Space,
    Year,
    Year2,
    Month,
    MonthName,
    Day,
    DayOfYear,
    Hour,
    Hour12,
    AmPm,
    Minute,
    Second,
    /// `%f`: digits of a fraction of a second.
    Frac,
    /// `%.f`: an optional `.` or `,` and fraction digits.
    DotFrac,
    Zone,
    ZoneName,
    /// `%a`, `%A`: a weekday name, skipped.
    Weekday,
    Epoch,
}

/// What a [`TimeFormat`] read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedTime {
    pub ns: i64,
    pub has_zone: bool,
    pub has_date: bool,
}

impl TimeFormat {
    /// Directives: `%Y %y %m %b %B %h %d %e %j %H %I %p %M %S %f %.f %z %Z %a %A %s %T %F %%`.
    pub fn new(fmt: &str) -> Result<TimeFormat, String> {
        let mut items = Vec::new();
        let b = fmt.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            i += 1;
            if c == b' ' {
                items.push(Item::Space);
                continue;
            }
            if c != b'%' {
                items.push(Item::Lit(c));
                continue;
            }
            let Some(&d) = b.get(i) else {
                return Err(format!("time_format `{fmt}` ends with a lone %"));
            };
            i += 1;
            match d {
                b'Y' => items.push(Item::Year),
                b'y' => items.push(Item::Year2),
                b'm' => items.push(Item::Month),
                b'b' | b'B' | b'h' => items.push(Item::MonthName),
                b'd' | b'e' => items.push(Item::Day),
                b'j' => items.push(Item::DayOfYear),
                b'H' | b'k' => items.push(Item::Hour),
                b'I' | b'l' => items.push(Item::Hour12),
                b'p' | b'P' => items.push(Item::AmPm),
                b'M' => items.push(Item::Minute),
                b'S' => items.push(Item::Second),
                b'f' => items.push(Item::Frac),
                b'.' if b.get(i) == Some(&b'f') => {
                    i += 1;
                    items.push(Item::DotFrac);
                }
                b'z' => items.push(Item::Zone),
                b'Z' => items.push(Item::ZoneName),
                b'a' | b'A' => items.push(Item::Weekday),
                b's' => items.push(Item::Epoch),
                b'T' => items.extend([
                    Item::Hour,
                    Item::Lit(b':'),
                    Item::Minute,
                    Item::Lit(b':'),
                    Item::Second,
                ]),
                b'F' => items.extend([
                    Item::Year,
                    Item::Lit(b'-'),
                    Item::Month,
                    Item::Lit(b'-'),
                    Item::Day,
                ]),
                b'%' => items.push(Item::Lit(b'%')),
                other => {
                    return Err(format!(
                        "time_format `{fmt}`: unknown directive %{}; known: %Y %y %m %b %B %d %e %j %H %I %p %M %S %f %.f %z %Z %a %s %T %F %%",
                        char::from(other)
                    ))
                }
            }
        }
        let has_date = items.iter().any(|i| {
            matches!(
                i,
                Item::Year
                    | Item::Year2
                    | Item::Month
                    | Item::MonthName
                    | Item::Day
                    | Item::DayOfYear
                    | Item::Epoch
            )
        });
        Ok(TimeFormat { items, has_date })
    }

    /// Reads `s` (surrounding whitespace allowed). `year` fills in a missing year
    /// (0: the current year).
    pub fn parse(&self, s: &str, year: i32) -> Option<ParsedTime> {
        let b = s.trim().as_bytes();
        let mut i = 0;
        let (mut y, mut mo, mut d, mut doy) = (None, 1u32, 1u32, None);
        let (mut h, mut mi, mut sec, mut frac) = (0u32, 0u32, 0u32, 0u32);
        let (mut pm, mut h12) = (None, false);
        let (mut off, mut has_zone) = (0i64, false);
        let has_date = self.has_date;
        let mut epoch = None;
        for item in &self.items {
            match *item {
                Item::Lit(c) => {
                    if b.get(i) != Some(&c) {
                        return None;
                    }
                    i += 1;
                }
                Item::Space => {
                    let n = b[i..].iter().take_while(|&&c| c == b' ').count();
                    if n == 0 {
                        return None;
                    }
                    i += n;
                }
                Item::Year => y = Some(num(b, &mut i, 4)? as i64),
                Item::Year2 => y = Some(2000 + num(b, &mut i, 2)? as i64),
                Item::Month => mo = num(b, &mut i, 2)?,
                Item::MonthName => {
                    mo = time::month_from_name(b.get(i..)?)?;
                    i += b[i..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphabetic())
                        .count();
                }
                Item::Day => {
                    if b.get(i) == Some(&b' ') {
                        i += 1;
                    }
                    d = num(b, &mut i, 2)?;
                }
                Item::DayOfYear => doy = Some(num(b, &mut i, 3)?),
                Item::Hour => h = num(b, &mut i, 2)?,
                Item::Hour12 => (h, h12) = (num(b, &mut i, 2)?, true),
                Item::AmPm => {
                    let w = b.get(i..i + 2)?;
                    pm = Some(w.eq_ignore_ascii_case(b"pm"));
                    if !w.eq_ignore_ascii_case(b"am") && pm != Some(true) {
                        return None;
                    }
                    i += 2;
                }
                Item::Minute => mi = num(b, &mut i, 2)?,
                Item::Second => sec = num(b, &mut i, 2)?,
                Item::Frac => {
                    let (ns, used) = fraction_digits(b.get(i..)?);
                    if used == 0 {
                        return None;
                    }
                    (frac, i) = (ns, i + used);
                }
                Item::DotFrac => {
                    let (ns, used) = time::fraction(b, i);
                    (frac, i) = (ns, i + used);
                }
                Item::Zone => {
                    let (o, used) = time::zone(b, i)?;
                    (off, has_zone, i) = (o as i64, true, i + used);
                }
                Item::ZoneName => {
                    let n = b[i..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphabetic())
                        .count();
                    if matches!(&b[i..i + n], b"UTC" | b"GMT" | b"Z") {
                        has_zone = true;
                    }
                    i += n;
                }
                Item::Weekday => {
                    i += b[i..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphabetic())
                        .count();
                }
                Item::Epoch => {
                    let n = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                    epoch = Some(
                        std::str::from_utf8(&b[i..i + n])
                            .ok()?
                            .parse::<i64>()
                            .ok()?,
                    );
                    (has_zone, i) = (true, i + n);
                }
            }
        }
        if i != b.len() {
            return None;
        }
        if let Some(e) = epoch {
            let ns = e.checked_mul(NS_PER_SEC)?.checked_add(frac as i64)?;
            return Some(ParsedTime {
                ns,
                has_zone,
                has_date,
            });
        }
        if h12 {
            if h == 0 || h > 12 {
                return None;
            }
            h = h % 12 + if pm == Some(true) { 12 } else { 0 };
        }
        if !self.has_date {
            // A time of day only: nanoseconds since midnight.
            let ns = time::civil_to_ns(1970, 1, 1, h, mi, sec, frac)? - off * NS_PER_SEC;
            return Some(ParsedTime {
                ns,
                has_zone,
                has_date,
            });
        }
        let y = y.unwrap_or(if year != 0 {
            year as i64
        } else {
            current_year()
        });
        if let Some(doy) = doy {
            if !(1..=366).contains(&doy) {
                return None;
            }
            let days = time::days_from_civil(y, 1, 1) + doy as i64 - 1;
            (_, mo, d) = time::civil_from_days(days);
        }
        Some(ParsedTime {
            ns: time::civil_to_ns(y, mo, d, h, mi, sec, frac)? - off * NS_PER_SEC,
            has_zone,
            has_date,
        })
    }
}

/// Reads 1 to `max` ASCII digits at `b[*i..]`.
fn num(b: &[u8], i: &mut usize, max: usize) -> Option<u32> {
    let n = b
        .get(*i..)?
        .iter()
        .take(max)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if n == 0 {
        return None;
    }
    let v = time::digits(b, *i, n)?;
    *i += n;
    Some(v)
}

/// Fraction digits (no dot) at the start of `b`: (nanoseconds, digits used).
fn fraction_digits(b: &[u8]) -> (u32, usize) {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut ns = 0u32;
    let mut scale = 100_000_000u32;
    for &c in &b[..n] {
        ns += (c - b'0') as u32 * scale;
        scale /= 10;
    }
    (ns, n)
}

fn current_year() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    time::civil_from_days(secs / 86_400).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::Level;

    fn spec(regex: &str) -> CustomFormatSpec {
        CustomFormatSpec {
            name: "t".into(),
            regex: regex.into(),
            ..Default::default()
        }
    }

    fn ns(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, f: u32) -> i64 {
        time::civil_to_ns(y, mo, d, h, mi, s, f).unwrap()
    }

    #[test]
    fn time_formats_people_use() {
        let t = |f: &str, s: &str| TimeFormat::new(f).unwrap().parse(s, 2008);
        let apache = t("%d/%b/%Y:%H:%M:%S %z", "10/Oct/2000:13:55:36 -0700").unwrap();
        assert_eq!(apache.ns, ns(2000, 10, 10, 20, 55, 36, 0));
        assert!(apache.has_zone && apache.has_date);
        let hdfs = t("%y%m%d %H%M%S", "081109 203615").unwrap();
        assert_eq!(hdfs.ns, ns(2008, 11, 9, 20, 36, 15, 0));
        assert!(!hdfs.has_zone);
        let syslog = t("%b %e %H:%M:%S", "Mar  1 07:05:09").unwrap();
        assert_eq!(syslog.ns, ns(2008, 3, 1, 7, 5, 9, 0));
        let log4j = t("%d %b %Y %H:%M:%S,%f", "07 Feb 2020 11:48:51,25").unwrap();
        assert_eq!(log4j.ns, ns(2020, 2, 7, 11, 48, 51, 250_000_000));
        let opt = TimeFormat::new("%Y-%m-%d %H:%M:%S%.f").unwrap();
        assert_eq!(
            opt.parse("2017-05-16 00:00:00.008", 0).unwrap().ns,
            ns(2017, 5, 16, 0, 0, 0, 8_000_000)
        );
        assert_eq!(
            opt.parse("2017-05-16 00:00:00", 0).unwrap().ns,
            ns(2017, 5, 16, 0, 0, 0, 0)
        );
        let us = t("%m/%d/%Y %I:%M:%S %p", "3/5/2024 12:30:00 AM").unwrap();
        assert_eq!(us.ns, ns(2024, 3, 5, 0, 30, 0, 0));
        let pm = t("%m/%d/%Y %I:%M:%S %p", "3/5/2024 1:30:00 pm").unwrap();
        assert_eq!(pm.ns, ns(2024, 3, 5, 13, 30, 0, 0));
        let doy = t("%Y.%j %T", "2024.061 08:00:00").unwrap();
        assert_eq!(doy.ns, ns(2024, 3, 1, 8, 0, 0, 0));
        let clock = t("%H:%M:%S.%f", "16:49:08.656").unwrap();
        assert_eq!(clock.ns, 60_548_656_000_000);
        assert!(!clock.has_date);
        let epoch = t("%s.%f", "1700000000.5").unwrap();
        assert_eq!(epoch.ns, 1_700_000_000_500_000_000);
        let named = t("%a %b %d %T %Z %Y", "Tue Mar 05 07:05:09 UTC 2024").unwrap();
        assert_eq!(named.ns, ns(2024, 3, 5, 7, 5, 9, 0));
        assert!(named.has_zone);
        assert_eq!(t("%Y-%m-%d", "2024-13-01"), None);
        assert_eq!(t("%Y-%m-%d", "2024-03-01 trailing"), None);
        assert_eq!(t("%I %p", "13 PM"), None);
        assert!(TimeFormat::new("%Y-%Q").unwrap_err().contains("%Q"));
        assert!(TimeFormat::new("%Y%").is_err());
    }

    #[test]
    fn captures_fill_fields() {
        let mut s = spec(
            r"^(?P<ts>\S+ \S+) (?P<lvl>\w+) (?P<logger>\S+) \[(?P<request_id>[^\] ]+)\] (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) (?P<took>\d+)ms (?P<msg>.*)$",
        );
        s.fields.insert("ts".into(), "time".into());
        s.fields.insert("lvl".into(), "level".into());
        s.fields.insert("took".into(), "duration_ms".into());
        let f = CustomFormat::new(&s).unwrap();
        let line = "2024-03-01 12:00:00.250 WARN api.Orders [abc-123] GET /orders/42 503 120ms upstream slow";
        let mut r = Record::default();
        assert_eq!(f.parse_line(line, &mut r), Parsed::Entry);
        assert_eq!(r.time_ns, Some(ns(2024, 3, 1, 12, 0, 0, 250_000_000)));
        assert!(r.time_without_zone);
        assert_eq!(r.level, Level::Warn);
        assert_eq!(r.logger.as_deref(), Some("api.Orders"));
        assert_eq!(r.request_id.as_deref(), Some("abc-123"));
        assert_eq!(r.id_fields, vec!["request_id"]);
        assert_eq!(r.method.as_deref(), Some("GET"));
        assert_eq!(r.path.as_deref(), Some("/orders/42"));
        assert_eq!(r.status, Some(503));
        assert_eq!(r.duration_ns, Some(120_000_000));
        assert_eq!(r.message, "upstream slow");
    }

    #[test]
    fn unmatched_lines_continue_or_fail() {
        let f =
            CustomFormat::new(&spec(r"^(?P<time>\d{4}-\d\d-\d\dT\S+) (?P<message>.*)")).unwrap();
        let mut r = Record::default();
        assert_eq!(
            f.parse_line("2024-03-01T12:00:00Z hello", &mut r),
            Parsed::Entry
        );
        assert_eq!(r.message, "hello");
        let mut r = Record::default();
        assert_eq!(
            f.parse_line("\tat x.Y.z(Y.java:1)", &mut r),
            Parsed::Continuation
        );
        assert!(r.exception);
        assert_eq!(
            f.parse_line("garbage", &mut Record::default()),
            Parsed::Unparsed
        );
        let f = CustomFormat::new(&spec(r"^(?P<level>[A-Z]+) ")).unwrap();
        let mut r = Record::default();
        f.parse_line("ERROR something broke", &mut r);
        assert_eq!(
            r.message, "ERROR something broke",
            "no message capture: the whole line"
        );
    }

    #[test]
    fn tz_and_year_come_from_the_context() {
        let mut s = spec(r"^(?P<time>\w+ +\d+ \S+) (?P<message>.*)");
        s.time_format = Some("%b %e %H:%M:%S".into());
        let f = CustomFormat::new(&s).unwrap().with_context(FormatContext {
            tz: Some(jiff::tz::TimeZone::fixed(jiff::tz::offset(2))),
            year: 2019,
        });
        let mut r = Record::default();
        f.parse_line("Mar  1 07:05:09 sshd started", &mut r);
        assert_eq!(r.time_ns, Some(ns(2019, 3, 1, 5, 5, 9, 0)));
        assert!(!r.time_without_zone, "the zone was applied");
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        let e = CustomFormat::new(&spec(r"^(?P<time>\S+ (?P<x>")).unwrap_err();
        assert!(e.0.contains("\"t\"") && e.0.contains("regex"), "{e}");
        let mut s = spec(r"^(?P<a>\S+)");
        s.fields.insert("b".into(), "time".into());
        assert!(CustomFormat::new(&s)
            .unwrap_err()
            .0
            .contains("no capture named `b`"));
        let mut s = spec(r"^(?P<a>\S+)");
        s.fields.insert("a".into(), "colour".into());
        assert!(CustomFormat::new(&s).unwrap_err().0.contains("`colour`"));
        let mut s = spec(r"^(?P<a>\S+)");
        s.time_format = Some("%Y".into());
        assert!(CustomFormat::new(&s).unwrap_err().0.contains("time_format"));
    }
}
