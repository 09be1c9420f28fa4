//! Syslog bodies: RFC 3164 and RFC 5424 after their time.
//!
//! Input: a line and where its time ended. Output: the message, with the app
//! as the service (and RFC 5424's structured data read for ids) filled into
//! the record; [`severity`] turns a `<PRI>` into a level.

use std::borrow::Cow;

use super::layout::is_level_word;
use super::{skip_spaces, token_end};
use crate::ingest::event::{Level, Record};
use crate::ingest::formats::message;
use crate::ingest::time;

/// Level from a syslog priority's severity.
pub(super) fn severity(pri: u8) -> Level {
    match pri % 8 {
        0..=2 => Level::Fatal,
        3 => Level::Error,
        4 => Level::Warn,
        5 | 6 => Level::Info,
        _ => Level::Debug,
    }
}

/// RFC 3164 after the time: `host app[pid]: msg`, `host app: msg`, `host app [pid]: msg`.
/// The app is the service. Returns the message.
pub(super) fn syslog_body<'a>(line: &'a str, i: usize, out: &mut Record<'a>) -> &'a str {
    let b = line.as_bytes();
    let hs = skip_spaces(b, i);
    let he = token_end(b, hs);
    let ts = skip_spaces(b, he);
    let te = token_end(b, ts);
    let tag = &line[ts..te];
    let (app, msg_start) = if let Some(t) = tag.strip_suffix(':') {
        (t.split('[').next().unwrap_or(t), te + 1)
    } else {
        // `app [1957]: msg`
        let ps = skip_spaces(b, te);
        let pe = token_end(b, ps);
        let pid = &line[ps..pe];
        if pid.starts_with('[') && pid.ends_with("]:") {
            (tag, pe)
        } else {
            ("", he)
        }
    };
    let app = app.trim();
    if !app.is_empty() && app.len() <= 64 {
        out.service = Some(Cow::Borrowed(app));
    }
    line.get(msg_start.min(line.len())..).unwrap_or("")
}

/// RFC 5424 after the time: `host app procid msgid SD msg`. Without a `<PRI>1`
/// prefix the shape must be unmistakable (four single-spaced tokens, then `-` or
/// `[`), else `None` and the line is read as another layout. The app is the
/// service; the structured data is scanned like the message (it may carry a
/// level or ids).
pub(super) fn rfc5424_body<'a>(line: &'a str, i: usize, out: &mut Record<'a>) -> Option<&'a str> {
    let b = line.as_bytes();
    if b.get(i) != Some(&b' ') {
        return None;
    }
    let mut at = i + 1;
    let mut tok = [(0usize, 0usize); 4];
    for t in tok.iter_mut() {
        let e = token_end(b, at);
        if e == at || b.get(e) != Some(&b' ') {
            return None;
        }
        *t = (at, e);
        at = e + 1;
    }
    let host = &line[tok[0].0..tok[0].1];
    let app = &line[tok[1].0..tok[1].1];
    // A second timestamp where the app should be is a line quoted inside
    // another (`<time> source=x 2024-04-04 18:30:54,422 [myid:] - INFO ...`).
    if host.starts_with('[')
        || host == "-"
        || tok.iter().any(|&(s, e)| is_level_word(&line[s..e]))
        || time::parse_iso_loose(&b[tok[1].0..]).is_some()
    {
        return None;
    }
    let sd_end = match b.get(at) {
        Some(b'-') if matches!(b.get(at + 1), None | Some(b' ')) => at + 1,
        Some(b'[') => {
            let mut j = at;
            while b.get(j) == Some(&b'[') {
                j = closing_bracket(b, j + 1)? + 1;
            }
            j
        }
        _ => return None,
    };
    if app != "-" {
        out.service = Some(Cow::Borrowed(app));
    }
    if sd_end > at + 1 {
        message::scan(&line[at..sd_end], out);
    }
    let msg = line.get((sd_end + 1).min(line.len())..).unwrap_or("");
    Some(msg.strip_prefix('\u{feff}').unwrap_or(msg))
}

/// The `]` closing an RFC 5424 SD element, skipping `\]` and quoted values.
pub(super) fn closing_bracket(b: &[u8], mut j: usize) -> Option<usize> {
    let mut quoted = false;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 1,
            b'"' => quoted = !quoted,
            b']' if !quoted => return Some(j),
            _ => {}
        }
        j += 1;
    }
    None
}
