//! Timestamps as logs write them -> UTC nanoseconds since the Unix epoch.
//!
//! Input: the text of a timestamp (RFC 3339 / ISO 8601 with `T` or space, with or
//! without fraction and zone; numeric epochs in s/ms/µs/ns). Output: `i64`
//! nanoseconds, plus whether the text carried a zone. Hand-written byte parsers:
//! timestamps are on every line, so this is on the hot path.

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

/// The civil date (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
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
    fn formats_rfc3339() {
        assert_eq!(
            format_rfc3339_ms(1_581_076_131_250_000_000),
            "2020-02-07T11:48:51.250Z"
        );
    }
}
