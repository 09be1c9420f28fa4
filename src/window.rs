//! `--since` / `--until`: time bounds and the events inside them.
//!
//! Input: the bound as the user wrote it (RFC 3339, `-2h` before the end of
//! the data, `+10m` after its start) and the events. Output: the events in
//! `[since, until)`, relative bounds resolved against the data's own first and
//! last event, or an error that says when the logs start and end.

use crate::ingest::{self, event::Event};
use crate::Error;

/// A `--since` / `--until` bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeBound {
    /// An absolute time, UTC nanoseconds.
    At(i64),
    /// Nanoseconds before the last event of the data (`-2h`).
    BeforeEnd(i64),
    /// Nanoseconds after the first event of the data (`+10m`).
    AfterStart(i64),
}

impl TimeBound {
    /// Reads an RFC 3339 time (`2024-03-01T12:30:00Z`, offsets allowed), a
    /// time before the end of the data (`-2h`, `-30m`, `-1d`, `-1h30m`) or
    /// after its start (`+10m`).
    pub fn parse(s: &str) -> Result<TimeBound, String> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix('-') {
            return parse_duration(rest).map(TimeBound::BeforeEnd);
        }
        if let Some(rest) = s.strip_prefix('+') {
            return parse_duration(rest).map(TimeBound::AfterStart);
        }
        let ts: jiff::Timestamp = s.parse().map_err(|_| {
            format!(
                "cannot read the time {s:?}: use RFC 3339 like 2024-03-01T12:30:00Z, \
                 a time before the end of the logs like -2h or -30m, or after their start like +10m"
            )
        })?;
        i64::try_from(ts.as_nanosecond())
            .map(TimeBound::At)
            .map_err(|_| format!("the time {s:?} is out of range"))
    }

    /// The bound in UTC ns, given the first and last event times of the data.
    pub fn resolve(self, first_ns: i64, last_ns: i64) -> i64 {
        match self {
            TimeBound::At(t) => t,
            TimeBound::BeforeEnd(d) => last_ns.saturating_sub(d),
            TimeBound::AfterStart(d) => first_ns.saturating_add(d),
        }
    }
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
    since: Option<TimeBound>,
    until: Option<TimeBound>,
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
