//! File names -> rotation streams and ages.
//!
//! Input: a file's name (`access.log.2.gz`, `app-2024-03-01.3.log`). Output:
//! the name of the stream it belongs to (`access.log`, `app.log`) and its
//! [`Age`] within the stream, which sorts oldest first; then, for the files
//! of a stream found together, their rotation numbers (0 for the live file,
//! higher is older). Names only: nothing here touches the file system.

use super::Found;

/// How old a file is within its stream, from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Age {
    /// `app.2024-03-01.log`, `access.log-20240301`: date, time digits, index.
    Dated(u64, u64, u32),
    /// `access.log.3`: more is older, so it sorts through the reversed number.
    Numbered(std::cmp::Reverse<u32>),
    /// `access.log`, `access.log.gz`.
    Live,
}

/// Splits a file name into its stream name and its age: removes one
/// compression suffix (`.gz`, `.zst`, `.bz2`), then a rotation number (`.1`),
/// a date suffix (`-20240301`, `.2024-03-01`, `.20240301-1709251200`) or a
/// date before `.log` (`app.2024-03-01.log`, `app-2024-03-01.3.log`).
///
/// Conservative on purpose: `app.1.log` stays its own stream (it may as well
/// name instance 1 as a rotation), and a number is only a rotation when the
/// name before it has a letter (`10.0.0.1` is not `10.0.0` rotated).
pub fn split_rotation(name: &str) -> (String, Age) {
    let name = [".gz", ".zst", ".zstd", ".bz2"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext).filter(|b| !b.is_empty()))
        .unwrap_or(name);
    if let Some((base, n)) = name.rsplit_once('.') {
        if (1..=4).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()) && has_letter(base) {
            let n = n.parse().unwrap_or(0);
            return (base.to_string(), Age::Numbered(std::cmp::Reverse(n)));
        }
    }
    if let Some((base, date, time)) = date_suffix(name) {
        return (base.to_string(), Age::Dated(date, time, 0));
    }
    if let Some(stem) = name.strip_suffix(".log") {
        // logback's `%d{yyyy-MM-dd}.%i.log`: the index counts up, newer is higher.
        let (stem, index) = match stem.rsplit_once('.') {
            Some((s, i)) if (1..=3).contains(&i.len()) && i.bytes().all(|b| b.is_ascii_digit()) => {
                (s, i.parse().unwrap_or(0))
            }
            _ => (stem, 0),
        };
        if let Some((base, date, time)) = date_suffix(stem) {
            return (format!("{base}.log"), Age::Dated(date, time, index));
        }
    }
    (name.to_string(), Age::Live)
}

fn has_letter(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_alphabetic())
}

/// `base` `[-._]` date `[time]` -> (base, yyyymmdd, time digits as a number).
fn date_suffix(name: &str) -> Option<(&str, u64, u64)> {
    let bytes = name.as_bytes();
    (1..bytes.len())
        .filter(|&i| matches!(bytes[i], b'-' | b'.' | b'_'))
        .find_map(|i| {
            let base = &name[..i];
            let (date, time) = parse_date_time(&bytes[i + 1..])?;
            has_letter(base).then_some((base, date, time))
        })
}

/// `20240301`, `2024-03-01`, optionally followed by time digits (`-13`,
/// `13`, `_130501`, `T13:05:01`, `-1709251200`).
fn parse_date_time(s: &[u8]) -> Option<(u64, u64)> {
    let digits = |b: &[u8]| -> Option<u64> {
        (!b.is_empty() && b.iter().all(u8::is_ascii_digit))
            .then(|| b.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')))
    };
    let (y, m, d, rest) = if s.len() >= 10 && s[4] == b'-' && s[7] == b'-' {
        (
            digits(&s[..4])?,
            digits(&s[5..7])?,
            digits(&s[8..10])?,
            &s[10..],
        )
    } else if s.len() >= 8 {
        (
            digits(&s[..4])?,
            digits(&s[4..6])?,
            digits(&s[6..8])?,
            &s[8..],
        )
    } else {
        return None;
    };
    if !(1970..=2200).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let rest = match rest.first() {
        Some(b'-' | b'_' | b'T') => &rest[1..],
        _ => rest,
    };
    let mut time = 0u64;
    let mut n = 0;
    for &b in rest {
        match b {
            b'0'..=b'9' if n < 14 => {
                time = time * 10 + u64::from(b - b'0');
                n += 1;
            }
            b'-' | b':' if n > 0 => {}
            _ => return None,
        }
    }
    Some((y * 10_000 + m * 100 + d, time))
}

/// Sets `rotation` in each stream of `found` (sorted by stream, oldest first).
pub(super) fn number_rotations(found: &mut [Found]) {
    for stream in found.chunk_by_mut(|a, b| a.source.stream == b.source.stream) {
        // savelog's `.0` is the newest rotated file: shift the numbers so the
        // live file alone is 0.
        let zero = stream
            .iter()
            .any(|f| f.age == Age::Numbered(std::cmp::Reverse(0)));
        let shift = u32::from(zero);
        let mut oldest_numbered = 0;
        for f in stream.iter_mut() {
            if let Age::Numbered(std::cmp::Reverse(n)) = f.age {
                f.source.rotation = n.saturating_add(shift);
                oldest_numbered = oldest_numbered.max(f.source.rotation);
            }
        }
        // Dated files come first (oldest first): the newest dated file is the
        // next one older than the oldest numbered one.
        let dated = stream
            .iter()
            .take_while(|f| matches!(f.age, Age::Dated(..)))
            .count();
        for (i, f) in stream[..dated].iter_mut().enumerate() {
            f.source.rotation = oldest_numbered.saturating_add((dated - i) as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Reverse;

    fn split(name: &str) -> (String, Age) {
        split_rotation(name)
    }

    #[test]
    fn rotation_suffixes() {
        let live = |s: &str| (s.to_string(), Age::Live);
        let num = |s: &str, n| (s.to_string(), Age::Numbered(Reverse(n)));
        let dated = |s: &str, d, t, i| (s.to_string(), Age::Dated(d, t, i));
        assert_eq!(split("access.log"), live("access.log"));
        assert_eq!(split("access.log.gz"), live("access.log"));
        assert_eq!(split("access.log.1"), num("access.log", 1));
        assert_eq!(split("access.log.12.gz"), num("access.log", 12));
        assert_eq!(split("syslog.0"), num("syslog", 0));
        assert_eq!(
            split("access.log-20240301"),
            dated("access.log", 20240301, 0, 0)
        );
        assert_eq!(
            split("access.log.2024-03-01.gz"),
            dated("access.log", 20240301, 0, 0)
        );
        assert_eq!(
            split("error.log-2024030113.bz2"),
            dated("error.log", 20240301, 13, 0)
        );
        // kubelet: 0.log.<date>-<time>
        assert_eq!(
            split("0.log.20240301-130501.gz"),
            dated("0.log", 20240301, 130501, 0)
        );
        assert_eq!(
            split("app.2024-03-01.log"),
            dated("app.log", 20240301, 0, 0)
        );
        assert_eq!(
            split("app-2024-03-01.2.log.gz"),
            dated("app.log", 20240301, 0, 2)
        );
        // Not rotations.
        assert_eq!(split("app.1.log"), live("app.1.log"));
        assert_eq!(split("10.0.0.1"), live("10.0.0.1"));
        assert_eq!(split("access.log.20241301"), live("access.log.20241301"));
        assert_eq!(split("build-12345678.log"), live("build-12345678.log"));
        assert_eq!(split(".gz"), live(".gz"));
        assert_eq!(split(""), live(""));
        assert_eq!(split("a.log.2024-03-01x"), live("a.log.2024-03-01x"));
    }

    #[test]
    fn ages_sort_oldest_first() {
        let mut names = [
            "a.log",
            "a.log.1",
            "a.log-20240302",
            "a.log.10.gz",
            "a.log-20240301",
            "a.log.2",
        ];
        names.sort_by_key(|n| split(n).1);
        assert_eq!(
            names,
            [
                "a.log-20240301",
                "a.log-20240302",
                "a.log.10.gz",
                "a.log.2",
                "a.log.1",
                "a.log"
            ]
        );
    }

    #[test]
    fn no_panic_on_odd_names() {
        for n in [
            "-",
            ".",
            "..",
            "a.",
            ".1",
            "é.1",
            "x-é2024",
            "a-2024-03-0",
            "b_20240301T",
            "ü.log.é",
        ] {
            let _ = split(n);
        }
    }
}
