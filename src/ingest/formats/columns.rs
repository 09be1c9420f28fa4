//! Space- or tab-separated columns -> records, read through a table that
//! says what each column holds.
//!
//! Input: one line and a [`Table`] (built once per format: fixed for AWS
//! load balancers, from the `#Fields:` header for W3C extended logs). Output:
//! a [`Record`]. Columns are split without copying: tab-separated lines on
//! tabs only (values may hold spaces), space-separated lines on runs of
//! spaces, where a value in double quotes may hold spaces and quotes written
//! as `""` or `\"`. `-` is an empty value.
//!
//! Typed columns must read as their type (a time, a date, a status, a
//! number of seconds): otherwise the line is not in this format and is
//! unparsed. A line may have more columns than the table (formats add fields
//! at the end over the years) or fewer (the missing ones are empty), but
//! never fewer than the table's `min_columns`.

use std::borrow::Cow;

use super::access_scan::split_request;
use super::fields::{parse_duration, Unit};
use super::Parsed;
use crate::ingest::event::{DurationSource, IdKind, Record, TimeUnit};
use crate::ingest::time::{self, NS_PER_SEC};

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    Skip,
    /// An ISO 8601 time with its zone (`2018-07-02T22:23:00.186641Z`).
    Time,
    /// When the request arrived (ISO 8601): the duration is the time from it
    /// to [`Col::Time`] when the duration's parts do not give it; the name is
    /// how `inspect` reports such a duration.
    StartTime(&'static str),
    /// `2015-01-13`, UTC unless the table says local.
    Date,
    /// `00:32:17` or `17:00:00.363`, on the line's date.
    TimeOfDay,
    /// The client's address (`192.168.131.39:2817`, `157.55.39.146`).
    Client,
    /// Where the request went (`10.0.0.1:80`).
    Upstream,
    /// The load balancer that wrote the line: `app/my-lb/50dc6c495c0c9188`
    /// names `my-lb`, a classic one is named as is.
    LbName,
    Method,
    /// The path or URL (`cs-uri-stem`, `cs-uri`, `cs-uri-query` is not needed).
    Path,
    /// A request line: `GET http://www.example.com:80/ HTTP/1.1`.
    Request,
    Status,
    /// The duration, in this unit, under this field name; a negative value
    /// means "not applicable".
    Duration(Unit, &'static str),
    /// A part of the duration (a load balancer's request, target and response
    /// processing times): the parts add up to it; one missing part leaves it unknown.
    DurationPart(Unit),
    /// The time the upstream took.
    UpstreamTime(Unit),
    /// A part of the duration that is the upstream's time (a load balancer's
    /// target processing time).
    UpstreamPart(Unit),
    /// A correlation id, reported under this field name.
    Id(IdKind, &'static str),
}

/// How columns are separated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sep {
    /// Runs of spaces; quoted values may hold spaces.
    Spaces,
    /// Tabs only.
    Tabs,
    /// Tabs when the line has one, else spaces (W3C: CloudFront writes tabs, IIS spaces).
    Auto,
}

/// What a format's columns hold, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub cols: Vec<Col>,
    pub sep: Sep,
    /// Lines with fewer columns are not in this format.
    pub min_columns: usize,
    /// Dates and times of day are local wall-clock time (`--tz` applies), not UTC.
    pub local: bool,
    /// The day (days since the epoch) of lines that have a time of day but no date.
    pub default_day: Option<i64>,
    /// The name `inspect` gives a duration added up from [`Col::DurationPart`]s.
    pub parts_name: &'static str,
}

impl Table {
    pub fn new(cols: Vec<Col>, sep: Sep) -> Table {
        Table {
            min_columns: cols.len(),
            cols,
            sep,
            local: false,
            default_day: None,
            parts_name: "",
        }
    }

    /// Reads `line` through the table.
    pub fn parse<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        match self.read(line, out) {
            Some(()) => Parsed::Entry,
            None => {
                out.clear();
                Parsed::Unparsed
            }
        }
    }

    fn read<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Option<()> {
        let sep = match self.sep {
            Sep::Auto if memchr::memchr(b'\t', line.as_bytes()).is_some() => Sep::Tabs,
            Sep::Auto => Sep::Spaces,
            sep => sep,
        };
        let mut values = Values::new(line, sep);
        let (mut day, mut tod, mut parts, mut start) = (None, None, Some(0u64), None);
        let mut n = 0;
        for &col in &self.cols {
            let Some(v) = values.next() else { break };
            n += 1;
            if col == Col::Skip {
                continue;
            }
            if v == "-" || v.is_empty() {
                if matches!(col, Col::DurationPart(_) | Col::UpstreamPart(_)) {
                    parts = None;
                }
                continue;
            }
            match col {
                Col::Skip => {}
                Col::Time => {
                    let s = time::parse_iso(v.as_bytes()).filter(|s| s.len == v.len())?;
                    out.time_ns = Some(s.ns);
                    out.time_without_zone = !s.has_zone;
                }
                Col::StartTime(_) => {
                    start = Some(
                        time::parse_iso(v.as_bytes())
                            .filter(|s| s.len == v.len())?
                            .ns,
                    )
                }
                Col::Date => day = Some(date(v)?),
                Col::TimeOfDay => tod = Some(time_of_day(v)?),
                Col::Client => out.set_client(Cow::Borrowed(v)),
                Col::Upstream => out.set_upstream(Cow::Borrowed(v)),
                Col::LbName => {
                    let mut p = v.split('/');
                    let name = match (p.next(), p.next(), p.next()) {
                        (Some(_), Some(name), Some(_)) => name,
                        _ => v,
                    };
                    out.service = Some(Cow::Borrowed(name));
                }
                Col::Method => {
                    // IIS FTP logs write `[3]USER`: the session number is not part of it.
                    let m = match v.strip_prefix('[') {
                        Some(r) => r.split_once(']').map_or(v, |(_, m)| m),
                        None => v,
                    };
                    out.method = Some(Cow::Borrowed(m));
                }
                Col::Path => out.path = Some(Cow::Borrowed(v)),
                Col::Request => {
                    out.message = Cow::Borrowed(v);
                    if let Some((m, p)) = split_request(v) {
                        out.method = Some(Cow::Borrowed(m));
                        out.path = Some(Cow::Borrowed(p));
                    }
                }
                Col::Status => match v.parse::<u16>() {
                    Ok(s @ 100..=999) => out.status = Some(s),
                    _ => return None,
                },
                Col::Duration(unit, name) => {
                    if let Some(ns) = number(v, unit)? {
                        out.set_duration(ns, DurationSource::by_format(name, time_unit(unit)));
                    }
                }
                Col::DurationPart(unit) => {
                    parts = parts.zip(number(v, unit)?).map(|(sum, d)| sum + d);
                }
                Col::UpstreamTime(unit) => out.upstream_ns = number(v, unit)?,
                Col::UpstreamPart(unit) => {
                    let n = number(v, unit)?;
                    out.upstream_ns = n;
                    parts = parts.zip(n).map(|(sum, d)| sum + d);
                }
                Col::Id(kind, name) => out.put_id(kind, Cow::Borrowed(v), name),
            }
        }
        if n < self.min_columns {
            return None;
        }
        let part_unit = self.cols.iter().find_map(|c| match c {
            Col::DurationPart(u) | Col::UpstreamPart(u) => Some(*u),
            _ => None,
        });
        if let (Some(ns), Some(unit)) = (parts, part_unit) {
            out.set_duration(
                ns,
                DurationSource::by_format(self.parts_name, time_unit(unit)),
            );
        }
        if let (None, Some(s), Some(t)) = (out.duration_ns, start, out.time_ns) {
            if let Ok(ns) = u64::try_from(t - s) {
                let name = self.cols.iter().find_map(|c| match c {
                    Col::StartTime(name) => Some(*name),
                    _ => None,
                });
                let source = DurationSource::by_format(name.unwrap_or(""), TimeUnit::S);
                out.set_duration(ns, source);
            }
        }
        if let Some(t) = tod {
            let day = day.or(self.default_day)?;
            out.time_ns = Some(day * 86_400 * NS_PER_SEC + t);
            out.time_without_zone = self.local;
        }
        let what = out.time_ns.is_some() || out.status.is_some() || out.path.is_some();
        what.then_some(())
    }
}

/// The unit a column's [`Unit`] names (columns hold plain numbers).
fn time_unit(unit: Unit) -> TimeUnit {
    match unit {
        Unit::Ns => TimeUnit::Ns,
        Unit::Us => TimeUnit::Us,
        Unit::Ms | Unit::FromValue => TimeUnit::Ms,
        Unit::Config(u) => u,
        Unit::S | Unit::FormatS => TimeUnit::S,
    }
}

/// A number of `unit`s; `Some(None)` for a negative value ("not applicable").
fn number(v: &str, unit: Unit) -> Option<Option<u64>> {
    if let Some(magnitude) = v.strip_prefix('-') {
        return magnitude
            .bytes()
            .all(|c| c.is_ascii_digit() || c == b'.')
            .then_some(None);
    }
    if !v.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return None;
    }
    parse_duration(v, unit).map(Some)
}

/// `2015-01-13` -> days since the epoch.
pub(super) fn date(v: &str) -> Option<i64> {
    let b = v.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (
        time::digits(b, 0, 4)?,
        time::digits(b, 5, 2)?,
        time::digits(b, 8, 2)?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(time::days_from_civil(y as i64, m, d))
}

/// `17:00:00.363` -> ns since midnight.
fn time_of_day(v: &str) -> Option<i64> {
    let s = time::parse_time_of_day(v.as_bytes()).filter(|s| s.len == v.len())?;
    Some(s.ns)
}

/// The values of a line, one column after another.
struct Values<'a> {
    s: &'a str,
    i: usize,
    sep: Sep,
}

impl<'a> Values<'a> {
    fn new(s: &'a str, sep: Sep) -> Self {
        Values { s, i: 0, sep }
    }
}

impl<'a> Iterator for Values<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let b = self.s.as_bytes();
        if self.sep == Sep::Tabs {
            if self.i > b.len() {
                return None;
            }
            let end = memchr::memchr(b'\t', &b[self.i..]).map_or(b.len(), |p| self.i + p);
            let v = &self.s[self.i..end];
            self.i = end + 1;
            return Some(v);
        }
        while self.i < b.len() && b[self.i] == b' ' {
            self.i += 1;
        }
        if self.i >= b.len() {
            return None;
        }
        let start = self.i;
        if b[start] == b'"' {
            if let Some(close) = closing_quote(b, start + 1) {
                self.i = close + 1;
                return Some(&self.s[start + 1..close]);
            }
        }
        let end = memchr::memchr(b' ', &b[start..]).map_or(b.len(), |p| start + p);
        self.i = end;
        Some(&self.s[start..end])
    }
}

/// The quote that closes a value opened before `from`: one followed by a
/// space or the end of the line, not doubled (`""`) and not escaped (`\"`).
fn closing_quote(b: &[u8], mut from: usize) -> Option<usize> {
    while let Some(p) = memchr::memchr(b'"', &b[from..]).map(|p| from + p) {
        match b.get(p + 1) {
            Some(b'"') => from = p + 2,
            _ if b[p - 1] == b'\\' => from = p + 1,
            None | Some(b' ') => return Some(p),
            Some(_) => from = p + 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(line: &str, sep: Sep) -> Vec<&str> {
        Values::new(line, sep).collect()
    }

    #[test]
    fn splitting_keeps_quoted_values_whole() {
        assert_eq!(
            values(r#"a  "b c" "d ""e"" f" "g\"h" - "i"#, Sep::Spaces),
            vec!["a", "b c", r#"d ""e"" f"#, r#"g\"h"#, "-", "\"i"]
        );
        assert_eq!(values("  a   b  ", Sep::Spaces), vec!["a", "b"]);
        assert_eq!(values("a b\t\tc", Sep::Tabs), vec!["a b", "", "c"]);
        assert_eq!(values("", Sep::Tabs), vec![""]);
    }

    #[test]
    fn typed_columns_must_read() {
        let t = Table::new(
            vec![
                Col::Date,
                Col::TimeOfDay,
                Col::Method,
                Col::Path,
                Col::Status,
                Col::Duration(Unit::Ms, "time-taken"),
            ],
            Sep::Spaces,
        );
        let mut r = Record::default();
        assert_eq!(
            t.parse("2015-01-13 00:32:17 GET /robots.txt 404 283", &mut r),
            Parsed::Entry
        );
        assert_eq!(r.time_ns, Some(1_421_109_137_000_000_000));
        assert_eq!(r.duration_ns, Some(283_000_000));
        for bad in [
            "2015-13-13 00:32:17 GET /x 404 1",
            "2015-01-13 0:32 GET /x 404 1",
            "2015-01-13 00:32:17 GET /x OK 1",
            "2015-01-13 00:32:17 GET /x 404 fast",
            "2015-01-13 00:32:17 GET",
        ] {
            let mut r = Record::default();
            assert_eq!(t.parse(bad, &mut r), Parsed::Unparsed, "{bad}");
        }
        let mut r = Record::default();
        assert_eq!(
            t.parse("2015-01-13 00:32:17 GET /x 200 -1", &mut r),
            Parsed::Entry
        );
        assert_eq!(r.duration_ns, None);
    }

    #[test]
    fn duration_parts_add_up_or_stay_unknown() {
        let t = Table::new(
            vec![
                Col::DurationPart(Unit::S),
                Col::DurationPart(Unit::S),
                Col::Status,
            ],
            Sep::Spaces,
        );
        let mut r = Record::default();
        t.parse("0.000 0.001 200", &mut r);
        assert_eq!(r.duration_ns, Some(1_000_000));
        let mut r = Record::default();
        t.parse("0.000 -1 502", &mut r);
        assert_eq!((r.duration_ns, r.status), (None, Some(502)));
    }
}
