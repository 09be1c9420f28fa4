//! Timestamps as logs write them -> UTC nanoseconds since the Unix epoch.
//!
//! Input: the text of a timestamp (RFC 3339 / ISO 8601 with `T` or space, with or
//! without fraction and zone; numeric epochs in s/ms/µs/ns; the shapes text logs
//! put at the start of a line: syslog `Mar  1 12:00:00`, glog `0301 12:00:00.123`,
//! access-log `01/Mar/2024:12:00:00 +0000`, `Mar 01, 2024 12:00:00 PM`, log4j
//! `17/06/09 20:10:40`, a bare time of day, an epoch number). Output: `i64`
//! nanoseconds, plus whether the text carried a zone, as a [`Stamp`] that also
//! says how many bytes it used. Hand-written byte parsers that never allocate:
//! timestamps are on every line, so this is on the hot path. Formats without a
//! year take it from the caller.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days beyond which [`civil_from_days`] clamps (about 3 * 10^12 years):
/// no clock writes such a date, and the arithmetic would overflow past it.
pub const MAX_CIVIL_DAYS: i64 = 1 << 50;

/// The civil date (year, month, day) of a day count since 1970-01-01;
/// counts beyond +/-[`MAX_CIVIL_DAYS`] are clamped to it.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z.clamp(-MAX_CIVIL_DAYS, MAX_CIVIL_DAYS) + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub const NS_PER_SEC: i64 = 1_000_000_000;

/// Nanoseconds of a civil date-time taken as UTC. `None` when a field is out of range.
pub fn civil_to_ns(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, frac_ns: u32) -> Option<i64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h as i64 * 3600 + mi as i64 * 60 + s as i64;
    secs.checked_mul(NS_PER_SEC)?.checked_add(frac_ns as i64)
}

/// Month number (1-12) of an English month abbreviation or name, any case.
pub fn month_from_name(s: &[u8]) -> Option<u32> {
    if s.len() < 3 {
        return None;
    }
    let m = [
        s[0].to_ascii_lowercase(),
        s[1].to_ascii_lowercase(),
        s[2].to_ascii_lowercase(),
    ];
    Some(match &m {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

/// Reads exactly `n` ASCII digits at `b[i..]`.
#[inline]
pub fn digits(b: &[u8], i: usize, n: usize) -> Option<u32> {
    let s = b.get(i..i + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

/// Reads a fraction of a second after a `.` or `,` at `b[i]`: returns (nanoseconds, bytes consumed incl. the dot).
#[inline]
pub fn fraction(b: &[u8], i: usize) -> (u32, usize) {
    if i >= b.len() || (b[i] != b'.' && b[i] != b',') {
        return (0, 0);
    }
    let mut j = i + 1;
    let mut ns = 0u32;
    let mut scale = 100_000_000u32;
    while j < b.len() && b[j].is_ascii_digit() {
        ns += (b[j] - b'0') as u32 * scale;
        scale /= 10;
        j += 1;
    }
    if j == i + 1 {
        return (0, 0);
    }
    (ns, j - i)
}

/// Reads a zone at `b[i..]`: `Z`, `+hh:mm`, `+hhmm`, `+hh`, ` UTC`, ` GMT`.
/// Returns (offset seconds east of UTC, bytes consumed), or None when there is no zone.
#[inline]
pub fn zone(b: &[u8], i: usize) -> Option<(i32, usize)> {
    let c = *b.get(i)?;
    match c {
        b'Z' | b'z' => Some((0, 1)),
        b'+' | b'-' => {
            let h = digits(b, i + 1, 2)? as i32;
            let (m, used) = if b.get(i + 3) == Some(&b':') {
                (digits(b, i + 4, 2)? as i32, 6)
            } else if let Some(m) = digits(b, i + 3, 2) {
                (m as i32, 5)
            } else {
                (0, 3)
            };
            if h > 14 || m > 59 {
                return None;
            }
            let off = h * 3600 + m * 60;
            Some((if c == b'-' { -off } else { off }, used))
        }
        b' ' if b
            .get(i + 1..i + 4)
            .is_some_and(|z| z == b"UTC" || z == b"GMT") =>
        {
            Some((0, 4))
        }
        _ => None,
    }
}

/// A timestamp found at the start of some text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// UTC nanoseconds; when `has_zone` is false this is the wall time read as UTC.
    pub ns: i64,
    /// Bytes of the input the timestamp used.
    pub len: usize,
    pub has_zone: bool,
}

/// Parses an ISO 8601 / RFC 3339 timestamp at the start of `s`:
/// `2024-03-01T12:00:00Z`, `2024-03-01 12:00:00,123`, `2024-03-01T12:00:00.123456789+02:00`,
/// `2024/03/01 12:00:00`.
pub fn parse_iso(s: &[u8]) -> Option<Stamp> {
    if s.len() < 19 {
        return None;
    }
    let y = digits(s, 0, 4)?;
    let sep = s[4];
    if (sep != b'-' && sep != b'/') || s[7] != sep {
        return None;
    }
    let mo = digits(s, 5, 2)?;
    let d = digits(s, 8, 2)?;
    if s[10] != b'T' && s[10] != b' ' && s[10] != b't' {
        return None;
    }
    let h = digits(s, 11, 2)?;
    if s[13] != b':' || s[16] != b':' {
        return None;
    }
    let mi = digits(s, 14, 2)?;
    let sec = digits(s, 17, 2)?;
    let mut i = 19;
    let (frac, used) = fraction(s, i);
    i += used;
    let mut ns = civil_to_ns(y as i64, mo, d, h, mi, sec, frac)?;
    let has_zone = match zone(s, i) {
        Some((off, used)) => {
            ns -= off as i64 * NS_PER_SEC;
            i += used;
            true
        }
        None => false,
    };
    Some(Stamp {
        ns,
        len: i,
        has_zone,
    })
}

/// Reads 1 or 2 digits at `b[i..]` (`7` or `07`): returns (value, bytes used).
#[inline]
fn digits_1_2(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let d0 = *b.get(i)?;
    if !d0.is_ascii_digit() {
        return None;
    }
    match b.get(i + 1) {
        Some(&d1) if d1.is_ascii_digit() => Some(((d0 - b'0') as u32 * 10 + (d1 - b'0') as u32, 2)),
        _ => Some(((d0 - b'0') as u32, 1)),
    }
}

/// Reads `HH:MM:SS` with an optional fraction at `b[i..]`: returns
/// (nanoseconds since midnight, bytes used).
#[inline]
fn clock(b: &[u8], i: usize) -> Option<(i64, usize)> {
    let h = digits(b, i, 2)?;
    if b.get(i + 2) != Some(&b':') || b.get(i + 5) != Some(&b':') {
        return None;
    }
    let m = digits(b, i + 3, 2)?;
    let s = digits(b, i + 6, 2)?;
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let (frac, used) = fraction(b, i + 8);
    let ns = (h as i64 * 3600 + m as i64 * 60 + s as i64) * NS_PER_SEC + frac as i64;
    Some((ns, 8 + used))
}

/// True when the byte after a timestamp ends it (a timestamp is not glued to a word).
#[inline]
fn ends_token(b: &[u8], i: usize) -> bool {
    !matches!(b.get(i), Some(c) if c.is_ascii_alphanumeric())
}

/// Applies a zone written after a space (`2024-03-01 12:00:00 +0000`, as gunicorn
/// and Apache write it) to a stamp that has none.
fn zone_after_space(s: &[u8], mut st: Stamp) -> Stamp {
    if st.has_zone || s.get(st.len) != Some(&b' ') {
        return st;
    }
    if let Some(&c) = s.get(st.len + 1) {
        if c == b'+' || c == b'-' {
            if let Some((off, used)) = zone(s, st.len + 1) {
                if used >= 5 && ends_token(s, st.len + 1 + used) {
                    st.ns -= off as i64 * NS_PER_SEC;
                    st.len += 1 + used;
                    st.has_zone = true;
                }
            }
        }
    }
    st
}

/// ISO 8601 as [`parse_iso`], also accepting a zone after a space (`... 12:00:00 +0000`).
pub fn parse_iso_loose(s: &[u8]) -> Option<Stamp> {
    parse_iso(s).map(|st| zone_after_space(s, st))
}

/// Syslog RFC 3164 time without a year, `Mar  1 12:00:00` or `Mar 01 12:00:00.123`,
/// taken to be in `year`.
pub fn parse_syslog(s: &[u8], year: i32) -> Option<Stamp> {
    let (mo, d, tod, i) = month_day_clock(s, 0)?;
    let day = civil_to_ns(year as i64, mo, d, 0, 0, 0, 0)?;
    Some(zone_after_space(
        s,
        Stamp {
            ns: day + tod,
            len: i,
            has_zone: false,
        },
    ))
}

/// The time of a glog header after its level letter: `0301 12:00:00.123456` (no year).
pub fn parse_glog(s: &[u8], year: i32) -> Option<Stamp> {
    let mo = digits(s, 0, 2)?;
    let d = digits(s, 2, 2)?;
    if s.get(4) != Some(&b' ') {
        return None;
    }
    let (tod, used) = clock(s, 5)?;
    let day = civil_to_ns(year as i64, mo, d, 0, 0, 0, 0)?;
    Some(Stamp {
        ns: day + tod,
        len: 5 + used,
        has_zone: false,
    })
}

/// The Apache/nginx access-log time, `01/Mar/2024:12:00:00 +0000`, also with a
/// space instead of the colon and without a zone (`23/Nov/2009 22:46:22`, Sinatra).
pub fn parse_clf(s: &[u8]) -> Option<Stamp> {
    let (d, used) = digits_1_2(s, 0)?;
    let mut i = used;
    if s.get(i) != Some(&b'/') {
        return None;
    }
    let mo = month_from_name(s.get(i + 1..i + 4)?)?;
    i += 4;
    if s.get(i) != Some(&b'/') {
        return None;
    }
    let y = digits(s, i + 1, 4)?;
    i += 5;
    if !matches!(s.get(i), Some(b':') | Some(b' ')) {
        return None;
    }
    let (tod, used) = clock(s, i + 1)?;
    i += 1 + used;
    let day = civil_to_ns(y as i64, mo, d, 0, 0, 0, 0)?;
    Some(zone_after_space(
        s,
        Stamp {
            ns: day + tod,
            len: i,
            has_zone: false,
        },
    ))
}

/// java.util.logging's default, `Mar 01, 2024 12:00:00 PM` (also `Mar 1, 2024 1:02:03 AM`).
pub fn parse_month_day_year(s: &[u8]) -> Option<Stamp> {
    let mo = month_from_name(s.get(..3)?)?;
    if s.get(3) != Some(&b' ') {
        return None;
    }
    let (d, used) = digits_1_2(s, 4)?;
    let mut i = 4 + used;
    if s.get(i..i + 2) != Some(b", ") {
        return None;
    }
    let y = digits(s, i + 2, 4)?;
    i += 6;
    if s.get(i) != Some(&b' ') {
        return None;
    }
    let (mut h, used) = digits_1_2(s, i + 1)?;
    i += 1 + used;
    if s.get(i) != Some(&b':') || s.get(i + 3) != Some(&b':') {
        return None;
    }
    let mi = digits(s, i + 1, 2)?;
    let sec = digits(s, i + 4, 2)?;
    i += 6;
    let (frac, used) = fraction(s, i);
    i += used;
    match s.get(i..i + 3) {
        Some(b" AM") | Some(b" am") if (1..=12).contains(&h) => {
            h %= 12;
            i += 3;
        }
        Some(b" PM") | Some(b" pm") if (1..=12).contains(&h) => {
            h = h % 12 + 12;
            i += 3;
        }
        _ => {}
    }
    Some(Stamp {
        ns: civil_to_ns(y as i64, mo, d, h, mi, sec, frac)?,
        len: i,
        has_zone: false,
    })
}

/// log4j's `yy/MM/dd HH:mm:ss` as Hadoop and Spark write it (`17/06/09 20:10:40`).
/// The day-first reading is never tried: `yy/MM/dd` is the only common layout
/// with a two-digit year first.
pub fn parse_short_ymd(s: &[u8]) -> Option<Stamp> {
    let y = digits(s, 0, 2)?;
    if s.get(2) != Some(&b'/') || s.get(5) != Some(&b'/') || s.get(8) != Some(&b' ') {
        return None;
    }
    let mo = digits(s, 3, 2)?;
    let d = digits(s, 6, 2)?;
    let (tod, used) = clock(s, 9)?;
    let day = civil_to_ns(2000 + y as i64, mo, d, 0, 0, 0, 0)?;
    Some(Stamp {
        ns: day + tod,
        len: 9 + used,
        has_zone: false,
    })
}

/// `Mar  1 12:00:00[.fff]` from `at` (the month by name, the day padded with a
/// space or a zero): the month, the day, the time of day in ns and the index
/// just past the time. Shared by syslog and `ctime` times.
fn month_day_clock(s: &[u8], at: usize) -> Option<(u32, u32, i64, usize)> {
    let mo = month_from_name(s.get(at..at + 3)?)?;
    if s.get(at + 3) != Some(&b' ') {
        return None;
    }
    let mut i = at + 4;
    if s.get(i) == Some(&b' ') {
        i += 1;
    }
    let (d, used) = digits_1_2(s, i)?;
    i += used;
    if s.get(i) != Some(&b' ') {
        return None;
    }
    let (tod, used) = clock(s, i + 1)?;
    Some((mo, d, tod, i + 1 + used))
}

/// The C library's `ctime` layout as Apache's error log writes it, with the
/// weekday: `Sun Dec 04 04:47:44 2005`, `Fri Sep 09 10:42:29.902022 2011`
/// (Apache 2.4 adds microseconds), `Sun Dec  4 04:47:44 2005`.
pub fn parse_ctime(s: &[u8]) -> Option<Stamp> {
    let weekday = s.get(..4)?;
    if !weekday[..3].iter().all(u8::is_ascii_alphabetic) || weekday[3] != b' ' {
        return None;
    }
    let (mo, d, tod, mut i) = month_day_clock(s, 4)?;
    if s.get(i) != Some(&b' ') {
        return None;
    }
    let y = digits(s, i + 1, 4)?;
    i += 5;
    if !ends_token(s, i) {
        return None;
    }
    let day = civil_to_ns(y as i64, mo, d, 0, 0, 0, 0)?;
    Some(Stamp {
        ns: day + tod,
        len: i,
        has_zone: false,
    })
}

/// Android logcat's `MM-DD HH:MM:SS.mmm` (`12-28 20:54:06.932`), which has no
/// year: taken to be in `year`.
pub fn parse_month_day_time(s: &[u8], year: i32) -> Option<Stamp> {
    let mo = digits(s, 0, 2)?;
    if s.get(2) != Some(&b'-') || s.get(5) != Some(&b' ') {
        return None;
    }
    let d = digits(s, 3, 2)?;
    let (tod, used) = clock(s, 6)?;
    if !ends_token(s, 6 + used) {
        return None;
    }
    let day = civil_to_ns(year as i64, mo, d, 0, 0, 0, 0)?;
    Some(Stamp {
        ns: day + tod,
        len: 6 + used,
        has_zone: false,
    })
}

/// The compact `yyMMdd HHmmss` of Hadoop's older log4j layout (`081109 203615`,
/// the HDFS logs): 20xx years.
pub fn parse_compact_ymd_hms(s: &[u8]) -> Option<Stamp> {
    if s.get(6) != Some(&b' ') || !ends_token(s, 13) {
        return None;
    }
    let (y, mo, d) = (digits(s, 0, 2)?, digits(s, 2, 2)?, digits(s, 4, 2)?);
    let (h, mi, sec) = (digits(s, 7, 2)?, digits(s, 9, 2)?, digits(s, 11, 2)?);
    Some(Stamp {
        ns: civil_to_ns(2000 + y as i64, mo, d, h, mi, sec, 0)?,
        len: 13,
        has_zone: false,
    })
}

/// A time of day without a date, `16:49:08.656`: `ns` is nanoseconds since midnight.
pub fn parse_time_of_day(s: &[u8]) -> Option<Stamp> {
    let (ns, len) = clock(s, 0)?;
    ends_token(s, len).then_some(Stamp {
        ns,
        len,
        has_zone: false,
    })
}

/// An epoch number at the start of a line, followed by a space or the end:
/// seconds with an optional fraction (`1428634687.123`) or milliseconds
/// (`1428634687123`). Only times between 2001 and 2100 count, so counters and
/// ids are not taken for times.
pub fn parse_epoch_prefix(s: &[u8]) -> Option<Stamp> {
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let whole = digits_u64(s.get(..n)?)?;
    let (ns, len) = match n {
        10 => {
            let (frac, used) = fraction(s, 10);
            if s.get(10) == Some(&b',') {
                return None;
            }
            let ns = i64::try_from(whole).ok()?.checked_mul(NS_PER_SEC)?;
            (ns.checked_add(frac as i64)?, 10 + used)
        }
        // Checked: 13 digits of nines times 10^6 is past i64.
        13 => (i64::try_from(whole).ok()?.checked_mul(1_000_000)?, 13),
        16 => (i64::try_from(whole).ok()?.checked_mul(1_000)?, 16),
        19 => (i64::try_from(whole).ok()?, 19),
        _ => return None,
    };
    const MIN: i64 = 978_307_200 * NS_PER_SEC; // 2001-01-01
    const MAX: i64 = 4_102_444_800 * NS_PER_SEC; // 2100-01-01
    if !(MIN..MAX).contains(&ns) || !matches!(s.get(len), None | Some(b' ') | Some(b'\t')) {
        return None;
    }
    Some(Stamp {
        ns,
        len,
        has_zone: true,
    })
}

fn digits_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    let mut v = 0u64;
    for &c in s {
        v = v * 10 + (c - b'0') as u64;
    }
    Some(v)
}

/// Interprets a number as an epoch time, guessing the unit from its size
/// (seconds, milliseconds, microseconds or nanoseconds) for dates after 1973.
pub fn epoch_to_ns(v: f64) -> Option<i64> {
    if !v.is_finite() || v <= 0.0 {
        return None;
    }
    let ns = if v < 1e11 {
        v * 1e9
    } else if v < 1e14 {
        v * 1e6
    } else if v < 1e17 {
        v * 1e3
    } else {
        v
    };
    (ns < 9.2e18).then_some(ns as i64)
}

/// Parses a numeric epoch written as text (`1700000000`, `1700000000.123`, `1700000000123`).
pub fn parse_epoch_str(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    // Integers are exact; only fractional seconds go through f64.
    if let Ok(n) = s.parse::<i64>() {
        return match n {
            n if n <= 0 => None,
            n if n < 100_000_000_000 => n.checked_mul(NS_PER_SEC),
            n if n < 100_000_000_000_000 => n.checked_mul(1_000_000),
            n if n < 100_000_000_000_000_000 => n.checked_mul(1_000),
            n => Some(n),
        };
    }
    epoch_to_ns(s.parse::<f64>().ok()?)
}

/// Formats nanoseconds as RFC 3339 UTC with millisecond precision (`2024-03-01T12:00:00.123Z`).
pub fn format_rfc3339_ms(ns: i64) -> String {
    let secs = ns.div_euclid(NS_PER_SEC);
    let ms = ns.rem_euclid(NS_PER_SEC) / 1_000_000;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_of_any_day_count_do_not_overflow() {
        for z in [
            i64::MIN,
            i64::MIN + 1,
            -MAX_CIVIL_DAYS - 1,
            i64::MAX - 719_467,
            i64::MAX,
        ] {
            let (y, m, d) = civil_from_days(z);
            assert!(
                (1..=12).contains(&m) && (1..=31).contains(&d),
                "{z}: {y}-{m}-{d}"
            );
        }
        // Within the range the dates are exact, at its ends too.
        for z in [-MAX_CIVIL_DAYS, -1, 0, 19_783, MAX_CIVIL_DAYS] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 19_000, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2020, 2, 7), 18_299);
    }

    #[test]
    fn iso_variants() {
        let base = parse_iso(b"2020-02-07T11:48:51Z").unwrap();
        assert_eq!(base.ns, 1_581_076_131 * NS_PER_SEC);
        assert!(base.has_zone);
        assert_eq!(base.len, 20);
        let off = parse_iso(b"2020-02-07T13:48:51.5+02:00 rest").unwrap();
        assert_eq!(off.ns, base.ns + 500_000_000);
        assert_eq!(off.len, 27);
        let comma = parse_iso(b"2020-02-07 11:48:51,250 INFO").unwrap();
        assert_eq!(comma.ns, base.ns + 250_000_000);
        assert!(!comma.has_zone);
        let nano = parse_iso(b"2022-08-22T05:18:19.394320402Z").unwrap();
        assert_eq!(nano.ns % NS_PER_SEC, 394_320_402);
        assert!(parse_iso(b"2020-13-07T11:48:51Z").is_none());
        assert!(parse_iso(b"not a time at all, no").is_none());
    }

    #[test]
    fn epochs_in_every_unit() {
        let s = 1_700_000_000i64 * NS_PER_SEC;
        assert_eq!(parse_epoch_str("1700000000"), Some(s));
        assert_eq!(parse_epoch_str("1700000000000"), Some(s));
        assert_eq!(parse_epoch_str("1700000000000000"), Some(s));
        assert_eq!(parse_epoch_str("1700000000000000000"), Some(s));
        assert_eq!(parse_epoch_str("1700000000.5"), Some(s + 500_000_000));
        assert_eq!(parse_epoch_str("abc"), None);
    }

    #[test]
    fn syslog_without_year() {
        let a = parse_syslog(b"Mar  1 12:00:00 host app: x", 2024).unwrap();
        assert_eq!(a.ns, parse_iso(b"2024-03-01T12:00:00Z").unwrap().ns);
        assert_eq!(a.len, 15);
        assert!(!a.has_zone);
        let b = parse_syslog(b"Mar 24 15:17:38.999  000", 2023).unwrap();
        assert_eq!(b.ns, parse_iso(b"2023-03-24T15:17:38.999Z").unwrap().ns);
        assert_eq!(b.len, 19);
        assert!(parse_syslog(b"Mar 32 12:00:00", 2024).is_none());
        assert!(parse_syslog(b"Marx 1 12:00:00", 2024).is_none());
        assert!(parse_syslog(b"Mar", 2024).is_none());
    }

    #[test]
    fn glog_header_time() {
        let s = parse_glog(b"0517 15:04:22.619632 1952452992 x.cc:1]", 2015).unwrap();
        assert_eq!(s.ns, parse_iso(b"2015-05-17T15:04:22.619632Z").unwrap().ns);
        assert_eq!(s.len, 20);
        assert!(parse_glog(b"1317 15:04:22", 2015).is_none());
    }

    #[test]
    fn access_log_time() {
        let s = parse_clf(b"01/Mar/2024:12:00:00 +0100] \"GET").unwrap();
        assert_eq!(s.ns, parse_iso(b"2024-03-01T11:00:00Z").unwrap().ns);
        assert!(s.has_zone);
        assert_eq!(s.len, 26);
        let sinatra = parse_clf(b"23/Nov/2009 22:46:22] x").unwrap();
        assert_eq!(sinatra.ns, parse_iso(b"2009-11-23T22:46:22Z").unwrap().ns);
        assert!(!sinatra.has_zone);
        assert!(parse_clf(b"01/Foo/2024:12:00:00").is_none());
    }

    #[test]
    fn java_util_logging_time() {
        let pm = parse_month_day_year(b"Mar 01, 2024 12:00:00 PM org.x Main").unwrap();
        assert_eq!(pm.ns, parse_iso(b"2024-03-01T12:00:00Z").unwrap().ns);
        assert_eq!(pm.len, 24);
        let am = parse_month_day_year(b"Mar 1, 2024 12:30:00 AM").unwrap();
        assert_eq!(am.ns, parse_iso(b"2024-03-01T00:30:00Z").unwrap().ns);
        let one = parse_month_day_year(b"Jan 5, 2024 1:02:03 PM").unwrap();
        assert_eq!(one.ns, parse_iso(b"2024-01-05T13:02:03Z").unwrap().ns);
    }

    #[test]
    fn log4j_short_year() {
        let s = parse_short_ymd(b"17/06/09 20:10:40 INFO x").unwrap();
        assert_eq!(s.ns, parse_iso(b"2017-06-09T20:10:40Z").unwrap().ns);
        assert_eq!(s.len, 17);
        assert!(parse_short_ymd(b"17/13/09 20:10:40").is_none());
    }

    #[test]
    fn time_of_day_only() {
        let s = parse_time_of_day(b"16:49:08.656 INFO").unwrap();
        assert_eq!(s.ns, (16 * 3600 + 49 * 60 + 8) * NS_PER_SEC + 656_000_000);
        assert_eq!(s.len, 12);
        assert!(parse_time_of_day(b"16:49:08x").is_none());
        assert!(parse_time_of_day(b"25:00:00").is_none());
    }

    #[test]
    fn epoch_at_line_start() {
        let ms = parse_epoch_prefix(b"1428634687123 Hello").unwrap();
        assert_eq!(ms.ns, 1_428_634_687_123_000_000);
        assert_eq!(ms.len, 13);
        let s = parse_epoch_prefix(b"1428634687.5 x").unwrap();
        assert_eq!(s.ns, 1_428_634_687_500_000_000);
        assert!(parse_epoch_prefix(b"1428634687abc").is_none());
        assert!(parse_epoch_prefix(b"12345 apples").is_none());
        assert!(parse_epoch_prefix(b"0000000001 x").is_none());
        // Too many nines for nanoseconds in an i64: not a time, no overflow.
        for big in ["9999999999999 x", "9999999999.999 x", "9999999999999999 x"] {
            assert!(parse_epoch_prefix(big.as_bytes()).is_none(), "{big}");
        }
        assert!(parse_epoch_prefix(b"9999999999999999999 x").is_none());
    }

    #[test]
    fn zone_after_a_space() {
        let s = parse_iso_loose(b"2019-01-01 12:00:00 +0200] [1]").unwrap();
        assert_eq!(s.ns, parse_iso(b"2019-01-01T10:00:00Z").unwrap().ns);
        assert_eq!(s.len, 25);
        let plain = parse_iso_loose(b"2019-01-01 12:00:00 -- x").unwrap();
        assert_eq!(plain.len, 19);
        assert!(!plain.has_zone);
    }

    #[test]
    fn formats_rfc3339() {
        assert_eq!(
            format_rfc3339_ms(1_581_076_131_250_000_000),
            "2020-02-07T11:48:51.250Z"
        );
    }

    #[test]
    fn ctime_logcat_and_compact_stamps() {
        let at = |t: &str| parse_iso(t.as_bytes()).unwrap().ns;
        let s = parse_ctime(b"Sun Dec 04 04:47:44 2005] [notice] x").unwrap();
        assert_eq!((s.ns, s.len), (at("2005-12-04T04:47:44Z"), 24));
        let s = parse_ctime(b"Fri Sep 09 10:42:29.902022 2011] [core:error]").unwrap();
        assert_eq!(s.ns, at("2011-09-09T10:42:29.902022Z"));
        assert_eq!(s.len, 31);
        let s = parse_ctime(b"Sun Dec  4 04:47:44 2005").unwrap();
        assert_eq!(s.ns, at("2005-12-04T04:47:44Z"));
        assert!(parse_ctime(b"Sun Dec 04 04:47:44 20051").is_none());
        assert!(parse_ctime(b"Mar  1 12:00:00 host app:").is_none());
        let s = parse_month_day_time(b"12-28 20:54:06.932  1513  1540 I Am: x", 2024).unwrap();
        assert_eq!((s.ns, s.len), (at("2024-12-28T20:54:06.932Z"), 18));
        assert!(parse_month_day_time(b"13-28 20:54:06.932 x", 2024).is_none());
        assert!(parse_month_day_time(b"2024-12-28 20:54:06", 2024).is_none());
        let s = parse_compact_ymd_hms(b"081109 203615 148 INFO dfs.DataNode: x").unwrap();
        assert_eq!((s.ns, s.len), (at("2008-11-09T20:36:15Z"), 13));
        assert!(parse_compact_ymd_hms(b"081109 253615 148").is_none());
        assert!(parse_compact_ymd_hms(b"0811090 203615").is_none());
        assert!(parse_compact_ymd_hms(b"081109 2036150").is_none());
    }
}
