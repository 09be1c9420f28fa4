//! Byte-level pieces of access-log lines, shared by the built-in access parser
//! and the parser compiled from an nginx `log_format` / Apache `LogFormat` string.
//!
//! Input: byte slices of one line. Output: plain numbers (UTC nanoseconds,
//! durations in nanoseconds) and positions. Nothing here allocates; every
//! function answers `None` instead of panicking on odd bytes.

use memchr::memchr_iter;

use crate::ingest::time::{self, digits, NS_PER_SEC};

/// A CLF time `07/Feb/2020:11:48:51 +0000` (what sits inside `[...]`) at the
/// start of `b`; a fraction after the seconds and a missing zone are tolerated.
/// Returns (UTC ns, had a zone, bytes used).
pub fn parse_clf(b: &[u8]) -> Option<(i64, bool, usize)> {
    if b.len() < 20 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' {
        return None;
    }
    if b[14] != b':' || b[17] != b':' {
        return None;
    }
    let d = digits(b, 0, 2)?;
    let mo = time::month_from_name(&b[3..6])?;
    let y = digits(b, 7, 4)?;
    let h = digits(b, 12, 2)?;
    let mi = digits(b, 15, 2)?;
    let s = digits(b, 18, 2)?;
    let mut i = 20;
    let (frac, used) = time::fraction(b, i);
    i += used;
    let mut ns = time::civil_to_ns(y as i64, mo, d, h, mi, s, frac)?;
    let zone_at = if b.get(i) == Some(&b' ') && matches!(b.get(i + 1), Some(b'+' | b'-')) {
        i + 1
    } else {
        i
    };
    match time::zone(b, zone_at) {
        Some((off, used)) => {
            ns -= off as i64 * NS_PER_SEC;
            Some((ns, true, zone_at + used))
        }
        None => Some((ns, false, i)),
    }
}

/// A time inside brackets or a field: CLF first, then ISO 8601 (`$time_iso8601`).
/// Returns (UTC ns, had a zone, bytes used).
pub fn parse_any_time(b: &[u8]) -> Option<(i64, bool, usize)> {
    if let Some(t) = parse_clf(b) {
        return Some(t);
    }
    let s = time::parse_iso(b)?;
    Some((s.ns, s.has_zone, s.len))
}

/// Seconds written as a decimal (`0.123`, `12`, `1581076131.123`) -> (nanoseconds, had a dot).
/// Digits past nanoseconds are ignored; more than 10 integer digits is not a duration.
pub fn parse_secs(b: &[u8]) -> Option<(u64, bool)> {
    let mut i = 0;
    let mut whole = 0u64;
    while i < b.len() && b[i].is_ascii_digit() {
        if i == 10 {
            return None;
        }
        whole = whole * 10 + (b[i] - b'0') as u64;
        i += 1;
    }
    if i == 0 {
        return None;
    }
    if i == b.len() {
        return Some((whole * NS_PER_SEC as u64, false));
    }
    if b[i] != b'.' {
        return None;
    }
    i += 1;
    let mut frac = 0u64;
    let mut scale = NS_PER_SEC as u64 / 10;
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        frac += (b[i] - b'0') as u64 * scale;
        scale /= 10;
        i += 1;
    }
    if i != b.len() || i == start {
        return None;
    }
    Some((whole * NS_PER_SEC as u64 + frac, true))
}

/// A whole number (`116075`), at most 18 digits.
pub fn parse_uint(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 18 {
        return None;
    }
    let mut v = 0u64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u64;
    }
    Some(v)
}

/// What a list of seconds as nginx writes `$upstream_response_time` holds
/// (`0.100, 0.004`, `0.100 : 0.004` after an internal redirect, `-` entries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecsList {
    /// Sum of the numbers (as Filebeat sums retries); `None` when every entry is `-`.
    pub sum_ns: Option<u64>,
    /// Some entry had a decimal point, so this is surely seconds and not a count.
    pub dotted: bool,
}

/// Reads a list of seconds; `None` when some entry is not a number or `-`.
/// One pass over the bytes: this runs on most extra fields of every line.
pub fn parse_secs_list(b: &[u8]) -> Option<SecsList> {
    let mut out = SecsList {
        sum_ns: None,
        dotted: false,
    };
    let mut i = 0;
    loop {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        match b.get(i) {
            Some(b'-') => i += 1,
            Some(c) if c.is_ascii_digit() => {
                // The number is read in place (not sliced and re-read): this is hot.
                let start = i;
                let mut whole = 0u64;
                while i < b.len() && b[i].is_ascii_digit() {
                    if i - start == 10 {
                        return None;
                    }
                    whole = whole * 10 + (b[i] - b'0') as u64;
                    i += 1;
                }
                let mut ns = whole * NS_PER_SEC as u64;
                if b.get(i) == Some(&b'.') {
                    i += 1;
                    let frac_start = i;
                    let mut scale = NS_PER_SEC as u64 / 10;
                    while i < b.len() && b[i].is_ascii_digit() {
                        ns += (b[i] - b'0') as u64 * scale;
                        scale /= 10;
                        i += 1;
                    }
                    if i == frac_start {
                        return None;
                    }
                    out.dotted = true;
                }
                out.sum_ns = Some(out.sum_ns.unwrap_or(0).saturating_add(ns));
            }
            _ => return None,
        }
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        match b.get(i) {
            None => return Some(out),
            Some(b',' | b':') => i += 1,
            Some(_) => return None,
        }
    }
}

/// A duration with its unit written after it (`2ms`, `1.5s`, `350us`), as Traefik logs it.
pub fn parse_unit_duration(b: &[u8]) -> Option<u64> {
    let num_end = b.iter().position(|c| !(c.is_ascii_digit() || *c == b'.'))?;
    if num_end == 0 {
        return None;
    }
    let (ns, _) = parse_secs(&b[..num_end])?;
    let divisor = match &b[num_end..] {
        b"s" => 1,
        b"ms" => 1_000,
        b"us" | b"\xc2\xb5s" => 1_000_000,
        b"ns" => 1_000_000_000,
        _ => return None,
    };
    Some(ns / divisor)
}

/// A request id as proxies generate them: 32 hex digits (`$request_id`) or a UUID.
pub fn is_request_id(b: &[u8]) -> bool {
    // Table lookups without early exit: this runs on most extra fields.
    let hex = |s: &[u8]| s.iter().fold(true, |ok, c| ok & HEX[*c as usize]);
    match b.len() {
        32 => hex(b),
        36 => {
            b[8] == b'-'
                && b[13] == b'-'
                && b[18] == b'-'
                && b[23] == b'-'
                && hex(&b[..8])
                && hex(&b[9..13])
                && hex(&b[14..18])
                && hex(&b[19..23])
                && hex(&b[24..])
        }
        _ => false,
    }
}

static HEX: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = (c as u8).is_ascii_hexdigit();
        c += 1;
    }
    t
};

/// A W3C `traceparent` (`00-<32 hex trace>-<16 hex span>-<2 hex flags>`) -> (trace, span) ranges.
pub fn split_traceparent(b: &[u8]) -> Option<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    if b.len() < 55 || b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
        return None;
    }
    let hex = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_hexdigit);
    (hex(3..35) && hex(36..52)).then_some((3..35, 36..52))
}

/// True when the `"` at `q` is escaped by an odd number of backslashes before it.
#[inline]
pub fn is_escaped(b: &[u8], q: usize) -> bool {
    let mut n = 0;
    while n < q && b[q - 1 - n] == b'\\' {
        n += 1;
    }
    n % 2 == 1
}

/// The closing quote of a quoted field whose text starts at `from`: the first
/// unescaped `"` followed by a space or the end of the line. Requiring the
/// space lets fields with a stray unescaped quote inside still be read.
pub fn quote_end(b: &[u8], from: usize) -> Option<usize> {
    let rest = b.get(from..)?;
    memchr_iter(b'"', rest)
        .map(|q| q + from)
        .find(|&q| !is_escaped(b, q) && matches!(b.get(q + 1), None | Some(b' ') | Some(b'\t')))
}

/// Splits a request line `GET /x HTTP/1.1` into method and target. Lines that
/// are not requests (`-`, empty, TLS bytes) give `None`; odd but word-like
/// methods (`PATCHp`, `geti`, `M-SEARCH`) are kept as logged.
pub fn split_request(req: &str) -> Option<(&str, &str)> {
    let b = req.as_bytes();
    let sp = memchr::memchr(b' ', b)?;
    let method = &b[..sp];
    if method.is_empty()
        || method.len() > 24
        || !method[0].is_ascii_alphabetic()
        || !method
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
    {
        return None;
    }
    let rest = &req[sp + 1..];
    let target = match memchr::memchr(b' ', rest.as_bytes()) {
        Some(e) => &rest[..e],
        None => rest,
    };
    if target.is_empty() {
        return None;
    }
    Some((&req[..sp], target))
}

#[inline]
pub fn trim_spaces(mut b: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = b {
        b = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = b {
        b = rest;
    }
    b
}

/// `line[a..b]`, or `""` when the range is not on character boundaries (it
/// always is when both ends sit next to ASCII delimiters; this keeps it panic-free).
#[inline]
pub fn sub(line: &str, a: usize, b: usize) -> &str {
    line.get(a..b).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clf_times_with_zones() {
        let (ns, zone, used) = parse_clf(b"07/Feb/2020:11:48:51 +0000] \"GET").unwrap();
        assert_eq!(ns, 1_581_076_131 * NS_PER_SEC);
        assert!(zone);
        assert_eq!(used, 26);
        let (east, _, _) = parse_clf(b"07/Dec/2016:11:05:07 +0100").unwrap();
        assert_eq!(east, 1_481_105_107 * NS_PER_SEC);
        let (irst, _, _) = parse_clf(b"22/Jan/2019:03:56:14 +0330").unwrap();
        assert_eq!(irst, 1_548_116_774 * NS_PER_SEC);
        let (frac, zone, used) = parse_clf(b"07/Feb/2020:11:48:51.250").unwrap();
        assert_eq!(frac, 1_581_076_131 * NS_PER_SEC + 250_000_000);
        assert!(!zone);
        assert_eq!(used, 24);
        assert!(parse_clf(b"07/Fob/2020:11:48:51 +0000").is_none());
        assert!(parse_clf(b"7/Feb/2020:11:48:51 +0000").is_none());
        assert!(parse_any_time(b"2020-02-07T11:48:51+00:00").is_some());
    }

    #[test]
    fn seconds_and_lists() {
        assert_eq!(parse_secs(b"0.123"), Some((123_000_000, true)));
        assert_eq!(parse_secs(b"12"), Some((12 * NS_PER_SEC as u64, false)));
        assert_eq!(parse_secs(b"0.0000000019"), Some((1, true)));
        assert_eq!(parse_secs(b"172.17.0.5"), None);
        assert_eq!(parse_secs(b"."), None);
        assert_eq!(parse_secs(b"1."), None);
        let l = parse_secs_list(b"0.100, 0.004").unwrap();
        assert_eq!(l.sum_ns, Some(104_000_000));
        assert!(l.dotted);
        assert_eq!(
            parse_secs_list(b"0.100, -").unwrap().sum_ns,
            Some(100_000_000)
        );
        assert_eq!(parse_secs_list(b"-").unwrap().sum_ns, None);
        assert_eq!(
            parse_secs_list(b"0.5 : 0.25").unwrap().sum_ns,
            Some(750_000_000)
        );
        assert!(parse_secs_list(b"172.17.0.5:8080").is_none());
        for bad in [
            &b""[..],
            b"1,,2",
            b"0.1, ",
            b"12345678901.5",
            b"0.",
            b"1 2",
            b"-x",
        ] {
            assert!(parse_secs_list(bad).is_none(), "{bad:?}");
        }
        assert!(!is_request_id(b"c62ec130-6dee-4f3b-a52b_4f0d1312d89d"));
        assert!(!is_request_id(b"c62ec130-6dee-4f3b-a52b-4f0d1312d89g"));
        assert_eq!(parse_unit_duration(b"2ms"), Some(2_000_000));
        assert_eq!(parse_unit_duration(b"1.5s"), Some(1_500_000_000));
        assert_eq!(parse_unit_duration(b"2xs"), None);
    }

    #[test]
    fn seconds_with_twenty_digits_do_not_overflow() {
        assert_eq!(
            parse_secs(b"9999999999.5"),
            Some((9_999_999_999_500_000_000, true))
        );
        assert_eq!(parse_secs(b"17092942000617282942000617"), None);
        assert_eq!(parse_secs(b"17092942000617282942000617.39"), None);
        assert_eq!(parse_secs_list(b"0.1, 17092942000617282942000617"), None);
        assert_eq!(
            parse_secs_list(b"9999999999.5, 0.5").unwrap().sum_ns,
            Some(10_000_000_000_000_000_000)
        );
    }

    #[test]
    fn ids_and_requests() {
        assert!(is_request_id(b"529a007902362a5f51385a5fa7049884"));
        assert!(is_request_id(b"c62ec130-6dee-4f3b-a52b-4f0d1312d89d"));
        assert!(!is_request_id(b"529a007902362a5f51385a5fa704988z"));
        assert_eq!(
            split_request("GET /x?y=1 HTTP/1.1"),
            Some(("GET", "/x?y=1"))
        );
        assert_eq!(split_request("PATCHp /p HTTP/1.1"), Some(("PATCHp", "/p")));
        assert_eq!(split_request("-"), None);
        assert_eq!(split_request(""), None);
        assert_eq!(split_request("\\x16\\x03\\x01 x"), None);
        let tp = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let (t, s) = split_traceparent(tp).unwrap();
        assert_eq!(&tp[t], b"4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(&tp[s], b"00f067aa0ba902b7");
    }

    #[test]
    fn quotes_skip_escapes_and_stray_quotes() {
        let b = br#""a \"b\" c" x"#;
        assert_eq!(quote_end(b, 1), Some(10));
        let b = br#""http://x/"foo" "UA""#;
        assert_eq!(quote_end(b, 1), Some(14));
        assert_eq!(quote_end(b"\"open", 1), None);
        assert!(is_escaped(br#"a\\\""#, 4));
        assert!(!is_escaped(br#"a\\""#, 3));
    }
}
