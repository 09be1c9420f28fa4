//! Android logcat lines: `brief` (`I/Tag( pid): msg`), and the `time` and
//! `threadtime` layouts after their time.
//!
//! Input: a line (and, after a time, where it ended). Output: level, tag (as
//! the logger) and message.

use std::borrow::Cow;

use super::layout::layout;
use super::{skip_spaces, token_end};
use crate::ingest::event::{Level, Record};

/// Android logcat's priority letters: `V D I W E F A` (`A` is assert).
pub(super) fn logcat_level(c: u8) -> Option<Level> {
    Some(match c {
        b'V' => Level::Trace,
        b'D' => Level::Debug,
        b'I' => Level::Info,
        b'W' => Level::Warn,
        b'E' => Level::Error,
        b'F' | b'A' => Level::Fatal,
        _ => return None,
    })
}

/// logcat `brief` (`I/ActivityManager( 1513): msg`): level, tag and message.
/// Also the body of the `time` layout after its timestamp.
pub(super) fn logcat_brief(line: &str) -> Option<(Level, &str, &str)> {
    let b = line.as_bytes();
    let level = logcat_level(*b.first()?)?;
    if b.get(1) != Some(&b'/') {
        return None;
    }
    let open = memchr::memchr(b'(', b)?;
    let close = open + memchr::memchr(b')', &b[open..])?;
    let pid = line[open + 1..close].trim();
    if pid.is_empty() || !pid.bytes().all(|c| c.is_ascii_digit()) || b.get(close + 1) != Some(&b':')
    {
        return None;
    }
    let tag = line[2..open].trim();
    Some((level, tag, line.get(close + 2..).unwrap_or("")))
}

/// logcat after `MM-DD HH:MM:SS.mmm`: `threadtime` writes `  pid  tid L tag: msg`,
/// `time` writes ` L/tag( pid): msg`. The tag is the logger.
pub(super) fn logcat_body<'a>(line: &'a str, i: usize, out: &mut Record<'a>) -> &'a str {
    let b = line.as_bytes();
    let ps = skip_spaces(b, i);
    if let Some((level, tag, msg)) = logcat_brief(&line[ps..]) {
        out.level = level;
        out.logger = Some(Cow::Borrowed(tag));
        return msg;
    }
    let pe = token_end(b, ps);
    let ts = skip_spaces(b, pe);
    let te = token_end(b, ts);
    let ls = skip_spaces(b, te);
    let numeric = |s: usize, e: usize| e > s && b[s..e].iter().all(u8::is_ascii_digit);
    let level = b.get(ls).copied().and_then(logcat_level);
    match level {
        Some(level) if numeric(ps, pe) && numeric(ts, te) && b.get(ls + 1) == Some(&b' ') => {
            out.level = level;
            let rest = &line[ls + 2..];
            match rest.find(": ") {
                Some(colon) => {
                    let tag = rest[..colon].trim();
                    if !tag.is_empty() {
                        out.logger = Some(Cow::Borrowed(tag));
                    }
                    &rest[colon + 2..]
                }
                None => rest,
            }
        }
        _ => layout(line, i, out),
    }
}
