//! `--since` / `--until`: time bounds and the events inside them.
//!
//! Input: the bound as the user wrote it (see [`FORMS`]), the zone of
//! `--tz`, and the events. Output: the events in `[since, until)`, bounds that
//! depend on the data (relative ones, a time of day alone) resolved against
//! its own first and last event, or an error that says when the logs start
//! and end.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::error::Error;
use crate::ingest::{self, event::Event};

/// The forms `--since` and `--until` take, for help texts and errors.
pub const FORMS: &str = "\
  2026-11-24T13:30:00Z, 2026-11-24T15:30:00+02:00   RFC 3339, with its zone
  2026-11-24 13:30, 2026-11-24T13:30:00.250        a date and time in --tz (else UTC)
  2026-11-24                                       a date: its midnight in --tz (else UTC)
  13:30, 13:30:15                                  a time of day on the day the logs end
  -2h, -30m, -1d, -1h30m                           before the end of the logs
  +10m                                             after the start of the logs";

/// A `--since` / `--until` bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeBound {
    /// An absolute time, UTC nanoseconds.
    At(i64),
    /// Nanoseconds before the last event of the data (`-2h`).
    BeforeEnd(i64),
    /// Nanoseconds after the first event of the data (`+10m`).
    AfterStart(i64),
    /// A time of day (`13:30`) on the day the data ends, both in this zone.
    OnLastDay(Time, TimeZone),
}

impl TimeBound {
    /// Reads a bound in any of the [`FORMS`]; `tz` is the zone of a date or
    /// time written without one (`--tz`; `None` is UTC). A local time that a
    /// clock change skips or repeats is taken as jiff's "compatible" rule
    /// does: the later of a gap, the earlier of a fold.
    pub fn parse(s: &str, tz: Option<&TimeZone>) -> Result<TimeBound, String> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix('-') {
            return parse_duration(rest).map(TimeBound::BeforeEnd);
        }
        if let Some(rest) = s.strip_prefix('+') {
            return parse_duration(rest).map(TimeBound::AfterStart);
        }
        let tz = tz.cloned().unwrap_or(TimeZone::UTC);
        let at = |ts: Timestamp| {
            i64::try_from(ts.as_nanosecond())
                .map(TimeBound::At)
                .map_err(|_| format!("the time {s:?} is out of range"))
        };
        if let Ok(ts) = s.parse::<Timestamp>() {
            return at(ts);
        }
        // A date alone, or a date and a time: civil, in the zone.
        let civil = if has_date(s) {
            s.parse::<DateTime>().ok().or_else(|| {
                s.parse::<Date>()
                    .ok()
                    .map(|d| d.to_datetime(Time::midnight()))
            })
        } else {
            None
        };
        if let Some(dt) = civil {
            return tz
                .to_timestamp(dt)
                .map_err(|e| format!("the time {s:?} does not exist in {tz:?}: {e}"))
                .and_then(at);
        }
        if is_clock(s) {
            if let Ok(t) = s.parse::<Time>() {
                return Ok(TimeBound::OnLastDay(t, tz));
            }
        }
        Err(format!("cannot read the time {s:?}; use one of\n{FORMS}"))
    }

    /// The bound in UTC ns, given the first and last event times of the data.
    pub fn resolve(&self, first_ns: i64, last_ns: i64) -> i64 {
        match self {
            TimeBound::At(t) => *t,
            TimeBound::BeforeEnd(d) => last_ns.saturating_sub(*d),
            TimeBound::AfterStart(d) => first_ns.saturating_add(*d),
            TimeBound::OnLastDay(time, tz) => {
                let on_last_day = Timestamp::from_nanosecond(i128::from(last_ns))
                    .map(|ts| ts.to_zoned(tz.clone()).date().to_datetime(*time))
                    .and_then(|dt| tz.to_timestamp(dt));
                on_last_day
                    .ok()
                    .and_then(|ts| i64::try_from(ts.as_nanosecond()).ok())
                    .unwrap_or(last_ns)
            }
        }
    }
}

/// `2026-11-24...`: four digits and a dash, where a date starts.
fn has_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// `13:30`, `13:30:15`, `13:30:15.250`: a time of day as people write it
/// (jiff would also take `1330` or `T13`, which read as something else).
fn is_clock(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 5
        && b[..2].iter().all(u8::is_ascii_digit)
        && b[2] == b':'
        && b[3..5].iter().all(u8::is_ascii_digit)
}

/// Reads a duration such as `30s`, `5m`, `1h`, `1d`, `250ms` or `1h30m` into nanoseconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "cannot read the duration {s:?}: use a number and a unit (ms, s, m, h, d), \
             e.g. 30s, 5m, 1h or 1h30m"
        )
    };
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: i64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit: i64 = match &rest[..unit_len] {
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" | "min" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "d" => 86_400_000_000_000,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total = n
            .checked_mul(unit)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(|| format!("the duration {s:?} is too long"))?;
    }
    Ok(total)
}

/// Keeps the events inside `[since, until)`, with relative bounds resolved
/// against the data's own first and last event. Events without a time cannot
/// be placed and are dropped when a window is given.
pub fn keep_window(
    events: &mut Vec<Event>,
    since: Option<&TimeBound>,
    until: Option<&TimeBound>,
) -> Result<(), Error> {
    if since.is_none() && until.is_none() {
        return Ok(());
    }
    let times = events.iter().filter_map(|e| e.time());
    let (Some(first), Some(last)) = (times.clone().min(), times.max()) else {
        return Err(Error::NotFound(
            "no event has a time, so --since/--until select nothing; run without them".into(),
        ));
    };
    let lo = since.map_or(i64::MIN, |b| b.resolve(first, last));
    let hi = until.map_or(i64::MAX, |b| b.resolve(first, last));
    let show = ingest::time::format_rfc3339_ms;
    if lo >= hi {
        return Err(Error::Usage(format!(
            "--since ({}) is not before --until ({})",
            show(lo),
            show(hi)
        )));
    }
    events.retain(|e| e.time().is_some_and(|t| t >= lo && t < hi));
    if events.is_empty() {
        return Err(Error::NotFound(format!(
            "no events between {} and {}; the logs run from {} to {}",
            if lo == i64::MIN {
                "the start".into()
            } else {
                show(lo)
            },
            if hi == i64::MAX {
                "the end".into()
            } else {
                show(hi)
            },
            show(first),
            show(last)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;
    /// 2026-11-24T00:00:00Z in ns.
    const DAY: i64 = 1_795_478_400 * S;

    fn at(s: &str, tz: Option<&TimeZone>) -> i64 {
        match TimeBound::parse(s, tz) {
            Ok(TimeBound::At(t)) => t,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn dates_and_times_as_people_write_them() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let hm = DAY + (13 * 3600 + 30 * 60) * S;
        // RFC 3339 carries its zone; --tz does not change it.
        assert_eq!(at("2026-11-24T13:30:00Z", Some(&berlin)), hm);
        assert_eq!(at("2026-11-24T15:30:00+02:00", None), hm);
        // Without a zone: UTC, or --tz (Berlin is UTC+1 in November).
        for s in [
            "2026-11-24 13:30",
            "2026-11-24T13:30",
            "2026-11-24T13:30:00",
            "2026-11-24 13:30:00",
        ] {
            assert_eq!(at(s, None), hm, "{s}");
            assert_eq!(at(s, Some(&berlin)), hm - 3600 * S, "{s}");
        }
        assert_eq!(at("2026-11-24 13:30:00.250", None), hm + 250_000_000);
        // A date alone: its midnight.
        assert_eq!(at("2026-11-24", None), DAY);
        assert_eq!(at("2026-11-24", Some(&berlin)), DAY - 3600 * S);
        // A local time a clock change skips (Berlin, 2026-03-29 02:30): the later side.
        let gap = at("2026-03-29 02:30", Some(&berlin));
        assert_eq!(gap, at("2026-03-29T01:30:00Z", None));
    }

    #[test]
    fn a_time_of_day_is_on_the_day_the_logs_end() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let (first, last) = (DAY - 3 * 86_400 * S, DAY + 22 * 3600 * S); // ends 22:00 UTC
        let b = TimeBound::parse("13:30", None).unwrap();
        assert_eq!(b.resolve(first, last), DAY + (13 * 3600 + 30 * 60) * S);
        let b = TimeBound::parse("13:30:15", None).unwrap();
        assert_eq!(b.resolve(first, last), DAY + (13 * 3600 + 30 * 60 + 15) * S);
        // 22:00 UTC is 23:00 in Berlin, still the 24th there: 13:30 Berlin = 12:30 UTC.
        let b = TimeBound::parse("13:30", Some(&berlin)).unwrap();
        assert_eq!(b.resolve(first, last), DAY + (12 * 3600 + 30 * 60) * S);
        // Logs ending 23:30 UTC end on the 25th in Berlin.
        let late = DAY + (23 * 3600 + 30 * 60) * S;
        assert_eq!(
            b.resolve(first, late),
            DAY + 86_400 * S + (12 * 3600 + 30 * 60) * S
        );
    }

    #[test]
    fn relative_times_still_work() {
        assert_eq!(
            TimeBound::parse("-1h30m", None),
            Ok(TimeBound::BeforeEnd(5400 * S))
        );
        assert_eq!(
            TimeBound::parse("+10m", None),
            Ok(TimeBound::AfterStart(600 * S))
        );
    }

    #[test]
    fn bad_forms_list_the_good_ones() {
        for bad in [
            "yesterday",
            "1330",
            "T13:30",
            "13",
            "25:00",
            "2026-11-24 25:00",
            "2026-13-01",
            "24/11/2026",
            "13:30 tomorrow",
            "",
        ] {
            let e = TimeBound::parse(bad, None).unwrap_err();
            assert!(
                e.contains("13:30, 13:30:15") && e.contains("2026-11-24 13:30"),
                "{bad}: {e}"
            );
        }
    }
}
