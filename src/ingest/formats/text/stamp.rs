//! The timestamp a text line starts with.
//!
//! Input: the bytes of a line and the year for stamps without one. Output: a
//! [`Lead`]: the time, the shape it had ([`Head`], which decides how the rest
//! of the line is read), a syslog `<PRI>`, and where the rest begins. A stamp
//! is found bare, after `[`, or after `<PRI>`.

use crate::ingest::event::Level;
use crate::ingest::time::{self, Stamp};

/// Which timestamp shape a line starts with; it decides the layout read after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Head {
    Iso,
    /// RFC 3164: `Mar  1 12:00:00 host app[pid]: msg`.
    Syslog,
    /// `<PRI>1 ` then an RFC 5424 header.
    Rfc5424,
    Glog(Level),
    Clf,
    Jul,
    ShortYmd,
    TimeOfDay,
    Epoch,
    /// Apache's error log: `[Sun Dec 04 04:47:44 2005] [notice] msg`.
    Ctime,
    /// Android logcat `threadtime`/`time`: `12-28 20:54:06.932  1513  1540 I Tag: msg`.
    Logcat,
    /// Hadoop's older layout: `081109 203615 148 INFO dfs.DataNode: msg`.
    Compact,
}

/// The timestamp at the start of a line.
#[derive(Clone, Copy, Debug)]
pub(super) struct Lead {
    pub(super) stamp: Stamp,
    pub(super) head: Head,
    /// Where the rest of the line starts (after the stamp and a closing `]`).
    pub(super) body: usize,
    /// Syslog priority, when the line had a `<PRI>`.
    pub(super) pri: Option<u8>,
    /// For RFC 5424: whether a time was given (`-` means none).
    pub(super) rfc5424_time: Option<bool>,
}

/// Finds the timestamp a line starts with: bare, after `[`, or after `<PRI>`.
pub(super) fn find_stamp(b: &[u8], year: i32) -> Option<Lead> {
    match b.first()? {
        b'<' => {
            let close = b.iter().take(5).position(|&c| c == b'>')?;
            let pri = time::digits(b, 1, close - 1).filter(|&p| p <= 191 && close > 1)? as u8;
            let at = close + 1;
            if b.get(at..at + 2) == Some(b"1 ") {
                let ts = at + 2;
                if b.get(ts) == Some(&b'-') {
                    return Some(Lead {
                        stamp: Stamp {
                            ns: 0,
                            len: 1,
                            has_zone: true,
                        },
                        head: Head::Rfc5424,
                        body: ts + 1,
                        pri: Some(pri),
                        rfc5424_time: Some(false),
                    });
                }
                let stamp = time::parse_iso(&b[ts..])?;
                return Some(Lead {
                    stamp,
                    head: Head::Rfc5424,
                    body: ts + stamp.len,
                    pri: Some(pri),
                    rfc5424_time: Some(true),
                });
            }
            let (stamp, head) = stamp_at(&b[at..], year)?;
            Some(Lead {
                stamp,
                head,
                body: at + stamp.len,
                pri: Some(pri),
                rfc5424_time: None,
            })
        }
        b'[' => {
            let (stamp, head) = stamp_at(&b[1..], year)?;
            let mut body = 1 + stamp.len;
            if b.get(body) == Some(&b']') {
                body += 1;
            }
            Some(Lead {
                stamp,
                head,
                body,
                pri: None,
                rfc5424_time: None,
            })
        }
        _ => {
            let (stamp, head) = stamp_at(b, year)?;
            Some(Lead {
                stamp,
                head,
                body: stamp.len,
                pri: None,
                rfc5424_time: None,
            })
        }
    }
}

/// The timestamp shapes a text line can start with, tried by first byte.
pub(super) fn stamp_at(s: &[u8], year: i32) -> Option<(Stamp, Head)> {
    let c = *s.first()?;
    if c.is_ascii_digit() {
        if let Some(st) = time::parse_iso_loose(s) {
            return Some((st, Head::Iso));
        }
        if let Some(st) = time::parse_clf(s) {
            return Some((st, Head::Clf));
        }
        if let Some(st) = time::parse_short_ymd(s) {
            return Some((st, Head::ShortYmd));
        }
        if let Some(st) = time::parse_compact_ymd_hms(s) {
            return Some((st, Head::Compact));
        }
        if let Some(st) = time::parse_month_day_time(s, year) {
            return Some((st, Head::Logcat));
        }
        if let Some(st) = time::parse_time_of_day(s) {
            return Some((st, Head::TimeOfDay));
        }
        return time::parse_epoch_prefix(s).map(|st| (st, Head::Epoch));
    }
    if !c.is_ascii_uppercase() {
        return None;
    }
    if matches!(c, b'I' | b'W' | b'E' | b'F' | b'D') && s.get(1).is_some_and(u8::is_ascii_digit) {
        let st = time::parse_glog(&s[1..], year)?;
        let level = Level::parse(std::str::from_utf8(&s[..1]).ok()?);
        let st = Stamp {
            len: st.len + 1,
            ..st
        };
        return Some((st, Head::Glog(level)));
    }
    if let Some(st) = time::parse_syslog(s, year) {
        return Some((st, Head::Syslog));
    }
    if let Some(st) = time::parse_ctime(s) {
        return Some((st, Head::Ctime));
    }
    time::parse_month_day_year(s).map(|st| (st, Head::Jul))
}
