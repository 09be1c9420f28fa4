//! Plain-text log lines -> records.
//!
//! Input: one line of a text log. A line that starts with a timestamp (bare,
//! after `[`, or after a syslog `<PRI>`) starts an entry; so does Python's
//! `LEVEL:logger:message`. Every other line continues the entry before it
//! (stack frames, `Caused by:`, tracebacks, wrapped text) and says whether it
//! shows an exception. Output: time (UTC ns), level, logger, service (the
//! syslog app), message, and what [`message::scan`] finds in the message.
//!
//! Layouts read after the timestamp: logback/log4j (`[thread] LEVEL logger -
//! msg`, `LEVEL [thread] logger - msg`), Spring Boot (`INFO 1234 --- [main]
//! c.e.App : msg`, with Sleuth's `[app,traceId,spanId,exportable]` or Boot
//! 3.2's `[traceId-spanId]` ids), Python logging (`- name - LEVEL - msg`, `:LEVEL:name:msg`),
//! syslog RFC 3164 (`host app[pid]: msg`) and RFC 5424 (`host app procid msgid
//! [sd] msg`, with or without `<PRI>1`), glog (`I0301 12:00:00.123 1234
//! file.cc:12] msg`), and the generic `timestamp LEVEL msg`. Times without a
//! zone go through `--tz`; times without a year take the context's year; a time
//! of day alone is kept as nanoseconds since midnight with `time_without_date`
//! set, for a container envelope to complete.

use std::borrow::Cow;

use super::message;
use super::{FormatContext, FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::{IdKind, Level, Record};
use crate::ingest::time::{self, Stamp};

/// Is `line` a text-log line? `Yes` when it starts with a timestamp (or is
/// Python's `LEVEL:logger:msg`), `Maybe` when it looks like a continuation line,
/// `No` otherwise.
pub fn sniff(line: &str) -> Sniff {
    let b = line.as_bytes();
    if b.first() == Some(&b'{') {
        return Sniff::No;
    }
    if let Some(lead) = find_stamp(b, 2000) {
        let rest = &b[lead.body..];
        // CRI lines start with a time too; their own format is the better fit.
        if rest.starts_with(b" stdout ") || rest.starts_with(b" stderr ") {
            return Sniff::Maybe;
        }
        return match lead.head {
            Head::Epoch => Sniff::Maybe,
            _ => Sniff::Yes,
        };
    }
    if python_default(line).is_some() || logcat_brief(line).is_some() {
        return Sniff::Yes;
    }
    if continuation_exception(line).is_some() {
        return Sniff::Maybe;
    }
    Sniff::No
}

/// The text parser for one file.
#[derive(Debug)]
pub struct TextFormat {
    ctx: FormatContext,
    /// The year for times written without one (`FormatContext::year`, else this year).
    year: i32,
}

impl Default for TextFormat {
    fn default() -> Self {
        TextFormat::new(FormatContext::default())
    }
}

impl TextFormat {
    pub fn new(ctx: FormatContext) -> Self {
        let year = if ctx.year != 0 {
            ctx.year
        } else {
            jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .year() as i32
        };
        TextFormat { ctx, year }
    }

    /// Stores a parsed time: zone-less times go through `--tz`; a time of day
    /// alone stays as read, for the reader to date.
    fn set_time(&self, lead: &Lead, out: &mut Record<'_>) {
        if lead.head == Head::TimeOfDay {
            out.time_ns = Some(lead.stamp.ns);
            out.time_without_date = true;
            out.time_without_zone = true;
        } else if lead.stamp.has_zone {
            out.time_ns = Some(lead.stamp.ns);
        } else {
            // Converted here, so the flag (which asks for `--tz`) is cleared.
            out.time_ns = Some(self.ctx.local_to_utc(lead.stamp.ns));
            out.time_without_zone = false;
        }
    }
}

impl LineFormat for TextFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Text
    }

    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        let b = line.as_bytes();
        if b.first().is_some_and(|c| c.is_ascii_whitespace()) {
            out.exception = continuation_exception(line).unwrap_or(false);
            return Parsed::Continuation;
        }
        let Some(lead) = find_stamp(b, self.year) else {
            if let Some((level, logger, msg)) = python_default(line).or_else(|| logcat_brief(line))
            {
                out.level = level;
                out.logger = Some(Cow::Borrowed(logger));
                finish_message(msg, out);
                return Parsed::Entry;
            }
            out.exception = continuation_exception(line).unwrap_or(false);
            return Parsed::Continuation;
        };
        if let Some(tsec) = lead.rfc5424_time {
            // `<PRI>1 -`: RFC 5424 with no time.
            if tsec {
                self.set_time(&lead, out);
            }
        } else {
            self.set_time(&lead, out);
        }
        if let Some(pri) = lead.pri {
            out.level = severity(pri);
        }
        let msg = match lead.head {
            Head::Syslog => syslog_body(line, lead.body, out),
            Head::Rfc5424 => rfc5424_body(line, lead.body, out).unwrap_or(""),
            Head::Glog(level) => {
                out.level = level;
                glog_body(line, lead.body, out)
            }
            Head::Iso => match rfc5424_body(line, lead.body, out) {
                Some(m) => m,
                None => layout(line, lead.body, out),
            },
            Head::Logcat => logcat_body(line, lead.body, out),
            _ => layout(line, lead.body, out),
        };
        finish_message(msg, out);
        Parsed::Entry
    }
}

impl TextFormat {
    /// The message inside a syslog envelope: RFC 3164 (`Mar  1 12:00:00 host
    /// app[pid]: msg`), RFC 5424, or an RFC 3339 time before `host app[pid]:`.
    /// Fills the time, the level of a `<PRI>` and the service (the app), and
    /// returns the message; `None` (and `out` untouched) for other lines.
    pub fn syslog_message<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Option<&'a str> {
        let lead = find_stamp(line.as_bytes(), self.year)?;
        let mut rec = Record::default();
        let msg = match lead.head {
            Head::Syslog => syslog_body(line, lead.body, &mut rec),
            Head::Rfc5424 => rfc5424_body(line, lead.body, &mut rec)?,
            Head::Iso => match rfc5424_body(line, lead.body, &mut rec) {
                Some(m) => m,
                None => syslog_body(line, lead.body, &mut rec),
            },
            _ => return None,
        };
        rec.service.as_ref()?;
        if lead.rfc5424_time != Some(false) {
            self.set_time(&lead, &mut rec);
        }
        if let Some(pri) = lead.pri {
            rec.level = severity(pri);
        }
        *out = rec;
        Some(msg)
    }
}

/// Stores the message, flags exceptions it names, and scans it for fields.
fn finish_message<'a>(msg: &'a str, out: &mut Record<'a>) {
    let msg = msg.trim();
    if names_exception(msg) {
        out.exception = true;
    }
    out.message = Cow::Borrowed(msg);
    message::scan(msg, out);
}

fn names_exception(msg: &str) -> bool {
    use memchr::memmem::Finder;
    use std::sync::LazyLock;
    // Built once: constructing a searcher per line cost more than the search.
    static EXCEPTION: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("Exception"));
    static TRACEBACK: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("Traceback"));
    let b = msg.as_bytes();
    msg.starts_with("panic:") || EXCEPTION.find(b).is_some() || TRACEBACK.find(b).is_some()
}

/// Which timestamp shape a line starts with; it decides the layout read after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Head {
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
struct Lead {
    stamp: Stamp,
    head: Head,
    /// Where the rest of the line starts (after the stamp and a closing `]`).
    body: usize,
    /// Syslog priority, when the line had a `<PRI>`.
    pri: Option<u8>,
    /// For RFC 5424: whether a time was given (`-` means none).
    rfc5424_time: Option<bool>,
}

/// Finds the timestamp a line starts with: bare, after `[`, or after `<PRI>`.
fn find_stamp(b: &[u8], year: i32) -> Option<Lead> {
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
fn stamp_at(s: &[u8], year: i32) -> Option<(Stamp, Head)> {
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

/// Level from a syslog priority's severity.
fn severity(pri: u8) -> Level {
    match pri % 8 {
        0..=2 => Level::Fatal,
        3 => Level::Error,
        4 => Level::Warn,
        5 | 6 => Level::Info,
        _ => Level::Debug,
    }
}

/// Skips spaces at `i`.
fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    i
}

/// The token at `i` (up to whitespace): its end.
fn token_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i] != b' ' && b[i] != b'\t' {
        i += 1;
    }
    i
}

/// RFC 3164 after the time: `host app[pid]: msg`, `host app: msg`, `host app [pid]: msg`.
/// The app is the service. Returns the message.
fn syslog_body<'a>(line: &'a str, i: usize, out: &mut Record<'a>) -> &'a str {
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
fn rfc5424_body<'a>(line: &'a str, i: usize, out: &mut Record<'a>) -> Option<&'a str> {
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
fn closing_bracket(b: &[u8], mut j: usize) -> Option<usize> {
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

/// glog after the time: `  1234 file.cc:12] msg`. The file is the logger.
fn glog_body<'a>(line: &'a str, i: usize, out: &mut Record<'a>) -> &'a str {
    let b = line.as_bytes();
    let ts = skip_spaces(b, i);
    let te = token_end(b, ts);
    let fs = skip_spaces(b, te);
    let fe = token_end(b, fs);
    let Some(file) = line[fs..fe].strip_suffix(']') else {
        return line.get(i..).unwrap_or("");
    };
    let file = file.split(':').next().unwrap_or(file);
    if !file.is_empty() {
        out.logger = Some(Cow::Borrowed(file));
    }
    line.get(fe..).unwrap_or("")
}

/// Level words as layouts print them (`INFO`, `warn`, `[ERROR]`, `WARNING:`).
fn is_level_word(t: &str) -> bool {
    level_word(t).is_some()
}

fn level_word(t: &str) -> Option<Level> {
    let t = t.trim_end_matches(':');
    if t.len() < 3 || t.len() > 9 {
        return None;
    }
    const WORDS: [&str; 16] = [
        "trace",
        "debug",
        "info",
        "notice",
        "warn",
        "warning",
        "error",
        "err",
        "fatal",
        "critical",
        "crit",
        "severe",
        "alert",
        "emerg",
        "emergency",
        "panic",
    ];
    if WORDS.iter().any(|w| t.eq_ignore_ascii_case(w))
        || matches!(t, "FINE" | "FINER" | "FINEST" | "CONFIG")
    {
        Some(Level::parse(t))
    } else {
        None
    }
}

/// A logger name as layouts print it: `c.e.App`, `c.c.ConfigController#67`,
/// `my_crate::module`, `org.x.Y$Inner`, Tomcat's `o.a.c.c.C.[.[.[/].[dispatcherServlet]`.
fn looks_like_logger(t: &str) -> bool {
    let has_sep = t.contains('.') || t.contains("::") || t.contains('#') || t.contains('$');
    has_sep
        && t.bytes().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    b'.' | b'_' | b'-' | b':' | b'#' | b'$' | b'/' | b'[' | b']'
                )
        })
}

/// Strips a logger's decorations: trailing `:`/`]`, a `#line` suffix, a `[pid]`.
fn logger_name(t: &str) -> &str {
    let t = t.trim_end_matches([':', ']']);
    let t = t.split('#').next().unwrap_or(t);
    match t.rsplit_once('[') {
        Some((name, pid)) if pid.bytes().all(|c| c.is_ascii_digit()) => name,
        _ => t,
    }
}

/// The layouts that follow a timestamp: reads level, thread, pid and logger
/// tokens and returns the message after them.
fn layout<'a>(line: &'a str, i: usize, out: &mut Record<'a>) -> &'a str {
    let b = line.as_bytes();
    let rest = line.get(i..).unwrap_or("");
    // Python `%(asctime)s:%(levelname)s:%(name)s:%(message)s`.
    if let Some(r) = rest.strip_prefix(':') {
        if let Some((lvl, after)) = r.split_once(':') {
            if let Some(level) = level_word(lvl) {
                out.level = level;
                if let Some((name, msg)) = after.split_once(':') {
                    if !name.is_empty() && !name.contains(' ') {
                        out.logger = Some(Cow::Borrowed(name));
                        return msg;
                    }
                }
                return after;
            }
        }
    }
    // Python `%(asctime)s - %(name)s - %(levelname)s - %(message)s`.
    if let Some(r) = rest.strip_prefix(" - ") {
        if let Some((name, after)) = r.split_once(" - ") {
            let (lvl, msg) = after.split_once(" - ").unwrap_or((after, ""));
            if let Some(level) = level_word(lvl) {
                out.level = level;
                if !name.contains(' ') {
                    out.logger = Some(Cow::Borrowed(name));
                }
                return msg;
            }
        }
    }
    let mut pos = i;
    let mut seen_level = false;
    for _ in 0..8 {
        pos = skip_spaces(b, pos);
        if pos >= b.len() {
            break;
        }
        if b[pos] == b'[' {
            // thread, pid, app or level in brackets
            let Some(close) = closing_square(b, pos) else {
                break;
            };
            let inner = line[pos + 1..close].trim();
            if correlation_ids(inner, out) {
                pos = close + 1;
                continue;
            }
            if !seen_level {
                // `[ERROR]`, Apache 2.4's `[core:error]`.
                let module_level = || {
                    let colon = memchr::memrchr(b':', inner.as_bytes())?;
                    level_word(&inner[colon + 1..])
                };
                if let Some(level) = level_word(inner).or_else(module_level) {
                    out.level = level;
                    seen_level = true;
                }
            } else if out.logger.is_none() {
                // log4j's `[%t:%C{1}@%L]` after the level (Zookeeper).
                if let Some(class) = log4j_location(inner) {
                    out.logger = Some(Cow::Borrowed(class));
                }
            }
            // Bracketed MDC before the message: `[requestId=abc]`, `[traceId=t, spanId=s]`.
            if inner.contains('=') {
                message::scan(inner, out);
            }
            pos = close + 1;
            continue;
        }
        let end = token_end(b, pos);
        let t = &line[pos..end];
        if t == "-" || t == ":" {
            pos = end;
            if t == ":" || seen_level {
                break;
            }
            // log4j's `%d - %-5p [%t:%C{1}@%L] - %m` (Zookeeper): the level follows a dash.
            let ls = skip_spaces(b, pos);
            let le = token_end(b, ls);
            let word = &line[ls..le];
            match level_word(word) {
                Some(level) if !word.bytes().any(|c| c.is_ascii_lowercase()) => {
                    out.level = level;
                    seen_level = true;
                    pos = le;
                    continue;
                }
                _ => break,
            }
        }
        if t == "---" || (t.bytes().all(|c| c.is_ascii_digit()) && out.logger.is_none()) {
            pos = end;
            continue;
        }
        if !seen_level {
            if let Some(level) = level_word(t) {
                out.level = level;
                seen_level = true;
                pos = end;
                continue;
            }
        }
        if out.logger.is_none() {
            let ns = skip_spaces(b, end);
            let next = &line[ns..token_end(b, ns)];
            let before_sep = next == "-" || next == ":";
            let closes = t.ends_with(':') || t.ends_with(']');
            let before_level = !seen_level && level_word(next).is_some();
            let plain = t.len() <= 80 && !t.starts_with(['"', '(', '\'']);
            if plain && (looks_like_logger(t) || before_sep || before_level || closes && seen_level)
            {
                let name = logger_name(t);
                // Laravel/Monolog write `channel.LEVEL:`.
                if let Some((_, lvl)) = name.rsplit_once('.') {
                    if let (false, Some(level)) = (seen_level, level_word(lvl)) {
                        out.level = level;
                        seen_level = true;
                    }
                }
                if !name.is_empty() {
                    out.logger = Some(Cow::Borrowed(name));
                }
                pos = end;
                if closes {
                    break;
                }
                continue;
            }
        }
        break;
    }
    line.get(pos.min(line.len())..).unwrap_or("")
}

/// Correlation ids Spring writes in brackets before the logger: Spring Cloud
/// Sleuth's `[app,traceId,spanId]` and `[app,traceId,spanId,exportable]` (the
/// application name is the service; ids may be empty outside a request), and
/// Spring Boot 3.2's `[traceId-spanId]` (Micrometer Tracing). True when
/// `inner` is one of them.
fn correlation_ids<'a>(inner: &'a str, out: &mut Record<'a>) -> bool {
    let hex = |s: &str, lens: std::ops::RangeInclusive<usize>| {
        lens.contains(&s.len()) && s.bytes().all(|c| c.is_ascii_hexdigit())
    };
    let b = inner.as_bytes();
    if b.len() == 49 && b[32] == b'-' {
        let (trace, span) = (&inner[..32], &inner[33..]);
        if hex(trace, 32..=32) && hex(span, 16..=16) {
            out.put_id(IdKind::Trace, Cow::Borrowed(trace), "[traceId-spanId]");
            out.put_id(IdKind::Span, Cow::Borrowed(span), "[traceId-spanId]");
            return true;
        }
        return false;
    }
    if memchr::memchr(b',', b).is_none() {
        return false;
    }
    let mut parts = inner.split(',');
    let (Some(app), Some(trace), Some(span)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let exportable = parts.next().map(str::trim);
    if parts.next().is_some() || !matches!(exportable, None | Some("" | "true" | "false")) {
        return false;
    }
    let (app, trace, span) = (app.trim(), trace.trim(), span.trim());
    // Sleuth 1 wrote ids without their leading zeros (`1210be13194bfe5`).
    let ids = hex(trace, 12..=32) && hex(span, 12..=16);
    let no_ids = trace.is_empty() && span.is_empty();
    if !(ids || no_ids) || app.bytes().any(|c| c.is_ascii_whitespace() || c == b'=') {
        return false;
    }
    if !app.is_empty() && out.service.is_none() {
        out.service = Some(Cow::Borrowed(app));
    }
    if ids {
        out.put_id(IdKind::Trace, Cow::Borrowed(trace), "[app,traceId,spanId]");
        out.put_id(IdKind::Span, Cow::Borrowed(span), "[app,traceId,spanId]");
    }
    true
}

/// The `]` that closes the `[` at `open`, counting nested brackets
/// (`[QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774]`).
fn closing_square(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut at = open + 1;
    while let Some(k) = memchr::memchr2(b'[', b']', b.get(at..)?) {
        at += k;
        if b[at] == b'[' {
            depth += 1;
        } else {
            depth -= 1;
            if depth == 0 {
                return Some(at);
            }
        }
        at += 1;
    }
    None
}

/// The class of a log4j location `thread:Class@line`: `FastLeaderElection`.
fn log4j_location(inner: &str) -> Option<&str> {
    let (before, line_no) = inner.rsplit_once('@')?;
    if line_no.is_empty() || !line_no.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (_, class) = before.rsplit_once(':')?;
    (!class.is_empty() && !class.contains(' ')).then_some(class)
}

/// Android logcat's priority letters: `V D I W E F A` (`A` is assert).
fn logcat_level(c: u8) -> Option<Level> {
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
fn logcat_brief(line: &str) -> Option<(Level, &str, &str)> {
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
fn logcat_body<'a>(line: &'a str, i: usize, out: &mut Record<'a>) -> &'a str {
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

/// Python's `logging` default without a time: `WARNING:urllib3.pool:Retrying`.
fn python_default(line: &str) -> Option<(Level, &str, &str)> {
    let (lvl, rest) = line.split_once(':')?;
    if !matches!(lvl, "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL") {
        return None;
    }
    let (logger, msg) = rest.split_once(':')?;
    if logger.is_empty() || logger.contains(' ') {
        return None;
    }
    Some((Level::parse(lvl), logger, msg))
}

/// Is this line continuation-shaped? `Some(true)` when it shows an exception or a
/// stack frame, `Some(false)` for other wrapped text, `None` when it has no
/// continuation shape (it still continues the entry in a text file).
fn continuation_exception(line: &str) -> Option<bool> {
    let t = line.trim_start();
    let indented = t.len() < line.len();
    if t.starts_with("at ")
        || t.starts_with("Caused by:")
        || t.starts_with("Suppressed:")
        || t.starts_with("Traceback (most recent call last)")
        || t.starts_with("File \"")
        || (t.starts_with("... ") && t.ends_with(" more"))
        || t.starts_with("goroutine ")
        || t.starts_with("panic:")
    {
        return Some(true);
    }
    if exception_line(t) {
        return Some(true);
    }
    indented.then_some(false)
}

/// `java.lang.IllegalStateException: boom`, `ValueError: bad`, `com.x.MyError`.
fn exception_line(t: &str) -> bool {
    let name = t.split([':', ' ']).next().unwrap_or("");
    !name.is_empty()
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || c == b'$')
        && (name.ends_with("Exception")
            || name.ends_with("Error")
            || name.ends_with("Throwable")
            || name.ends_with("Exit")
            || name.ends_with("Interrupt"))
        && (name.len() == t.len() || t.as_bytes().get(name.len()) == Some(&b':'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::time::parse_iso;

    fn ctx(year: i32) -> TextFormat {
        TextFormat::new(FormatContext { tz: None, year })
    }

    fn at(s: &str) -> i64 {
        parse_iso(s.as_bytes()).unwrap().ns
    }

    fn parse(line: &str) -> (Parsed, Record<'_>) {
        let mut r = Record::default();
        let p = ctx(2024).parse_line(line, &mut r);
        (p, r)
    }

    #[test]
    fn bracketed_mdc_before_the_message_gives_ids() {
        let (p, r) = parse("2024-03-01 12:00:15.484 [http-nio-8080-exec-6] INFO  c.s.inventory.web.StockController [requestId=e4589f320468108f80eb0719cd4fdb42] - GET /stock/9984 200 completed in 8 ms");
        assert_eq!(p, Parsed::Entry);
        assert_eq!(
            r.request_id.as_deref(),
            Some("e4589f320468108f80eb0719cd4fdb42")
        );
        assert_eq!(
            r.logger.as_deref(),
            Some("c.s.inventory.web.StockController")
        );
        assert_eq!(r.status, Some(200));
        assert_eq!(r.duration_ns, Some(8_000_000));
        let (_, r) =
            parse("2024-03-01 12:00:15.484 [main] [traceId=t1, spanId=s1] WARN x.Y - slow");
        assert_eq!(
            (r.trace_id.as_deref(), r.span_id.as_deref()),
            (Some("t1"), Some("s1"))
        );
    }

    #[test]
    fn logback_default_layouts() {
        let (p, r) = parse("2024-03-01 12:00:00.123 [http-nio-8080-exec-1] WARN  c.e.OrderService - slow order id=42 took 1.2s");
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(at("2024-03-01T12:00:00.123Z")));
        assert!(
            !r.time_without_zone,
            "the zone (UTC by default) was applied here"
        );
        assert_eq!(r.level, Level::Warn);
        assert_eq!(r.logger.as_deref(), Some("c.e.OrderService"));
        assert_eq!(r.message, "slow order id=42 took 1.2s");
        assert_eq!(r.duration_ns, Some(1_200_000_000));
        let (_, r) = parse("2024-03-01 12:00:00,123 ERROR [main] org.x.Boot - failed: java.lang.IllegalStateException: boom");
        assert_eq!(r.level, Level::Error);
        assert_eq!(r.logger.as_deref(), Some("org.x.Boot"));
        assert!(r.exception);
        assert_eq!(r.message, "failed: java.lang.IllegalStateException: boom");
    }

    #[test]
    fn spring_cloud_sleuth_and_boot_correlation_ids() {
        // Spring Cloud Sleuth's reference documentation, "Log correlation".
        let (p, r) = parse("2016-02-26 11:15:47.561  INFO [service1,2485ec27856c56f4,2485ec27856c56f4,true] 68058 --- [nio-8081-exec-1] i.s.c.sleuth.docs.service1.Application   : Hello from service1. Calling service2");
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.level, Level::Info);
        assert_eq!(r.service.as_deref(), Some("service1"));
        assert_eq!(
            (r.trace_id.as_deref(), r.span_id.as_deref()),
            (Some("2485ec27856c56f4"), Some("2485ec27856c56f4"))
        );
        assert_eq!(r.id_fields, vec!["[app,traceId,spanId]"]);
        assert_eq!(
            r.logger.as_deref(),
            Some("i.s.c.sleuth.docs.service1.Application")
        );
        assert_eq!(r.message, "Hello from service1. Calling service2");
        // Sleuth 3 drops `exportable`; outside a request the ids are empty.
        let (_, r) = parse("2021-03-01 10:00:00.000 DEBUG [orders,5f3c2a1b9d8e7f60a1b2c3d4e5f60718,a1b2c3d4e5f60718] 1 --- [main] o.e.Orders : ready");
        assert_eq!(r.level, Level::Debug);
        assert_eq!(
            r.trace_id.as_deref(),
            Some("5f3c2a1b9d8e7f60a1b2c3d4e5f60718")
        );
        let (_, r) = parse("2018-02-23 23:10:18.365 DEBUG [config-service,,,] 8212 --- [nio-8888-exec-1] o.s.c.sleuth.instrument.web.TraceFilter : Received a request");
        assert_eq!(r.service.as_deref(), Some("config-service"));
        assert!(r.trace_id.is_none() && r.id_fields.is_empty());
        assert_eq!(
            r.logger.as_deref(),
            Some("o.s.c.sleuth.instrument.web.TraceFilter")
        );
        // Spring Boot 3.2+ with Micrometer Tracing (`logging.pattern.correlation`).
        let (_, r) = parse("2024-01-10T12:00:00.123Z  INFO 12345 --- [myapp] [nio-8080-exec-1] [803b448a0489f84084905d3093480352-3425f23bb2432450] o.s.b.d.MyApplication    : home() has been called");
        assert_eq!(
            (r.trace_id.as_deref(), r.span_id.as_deref()),
            (
                Some("803b448a0489f84084905d3093480352"),
                Some("3425f23bb2432450")
            )
        );
        assert_eq!(r.logger.as_deref(), Some("o.s.b.d.MyApplication"));
        assert_eq!(r.message, "home() has been called");
        // Brackets that only look alike are left alone.
        let (_, r) = parse("2024-01-10 12:00:00.123 INFO [a,b,c] x.Y - [1,2,3] listed");
        assert!(r.trace_id.is_none() && r.service.is_none());
    }

    #[test]
    fn spring_boot_layout() {
        let (p, r) = parse("2024-03-01T12:00:00.123Z  INFO 1234 --- [           main] c.e.App                                  : Started App in 2.5 seconds");
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(at("2024-03-01T12:00:00.123Z")));
        assert!(!r.time_without_zone);
        assert_eq!(r.level, Level::Info);
        assert_eq!(r.logger.as_deref(), Some("c.e.App"));
        assert_eq!(r.message, "Started App in 2.5 seconds");
        assert_eq!(r.duration_ns, Some(2_500_000_000));
        let (_, r) = parse(
            "2024-03-01T12:00:00.123+01:00 ERROR 7 --- [app] [main] o.s.Web : GET /api/x -> 503",
        );
        assert_eq!(r.time_ns, Some(at("2024-03-01T11:00:00.123Z")));
        assert_eq!(r.logger.as_deref(), Some("o.s.Web"));
        assert_eq!((r.method.as_deref(), r.status), (Some("GET"), Some(503)));
    }

    #[test]
    fn time_of_day_layouts_inside_containers() {
        let (p, r) = parse("16:49:08.656 INFO  c.c.ConfigController#67 TraceID: e107c4d252a8f4810ed9ae6b5ebd5267 SpanID: 818a84133ef9cf86 [retrieve][Retrieve config]");
        assert_eq!(p, Parsed::Entry);
        assert_eq!(
            r.time_ns,
            Some((16 * 3600 + 49 * 60 + 8) * 1_000_000_000 + 656_000_000)
        );
        assert!(r.time_without_date);
        assert_eq!(r.level, Level::Info);
        assert_eq!(r.logger.as_deref(), Some("c.c.ConfigController"));
        assert_eq!(
            r.trace_id.as_deref(),
            Some("e107c4d252a8f4810ed9ae6b5ebd5267")
        );
        assert_eq!(r.span_id.as_deref(), Some("818a84133ef9cf86"));
        assert!(r.message.starts_with("TraceID: e107"));
        let (_, r) = parse("05:18:20.847 INFO  - TraceID: 2bbb4d7b7d41b8652c4c5b23a10cd5f7 SpanID: ec9efc5b00b2d37a received ad request (context_words=[])");
        assert_eq!(r.level, Level::Info);
        assert!(r.logger.is_none());
        assert_eq!(
            r.trace_id.as_deref(),
            Some("2bbb4d7b7d41b8652c4c5b23a10cd5f7")
        );
        assert!(r.message.starts_with("TraceID:"));
    }

    #[test]
    fn python_logging_layouts() {
        let (_, r) = parse("2024-03-01 12:00:00,123 - app.db - ERROR - Traceback follows");
        assert_eq!(r.time_ns, Some(at("2024-03-01T12:00:00.123Z")));
        assert_eq!(r.level, Level::Error);
        assert_eq!(r.logger.as_deref(), Some("app.db"));
        assert_eq!(r.message, "Traceback follows");
        assert!(r.exception);
        let (p, r) = parse(
            "WARNING:urllib3.connectionpool:Retrying (Retry(total=2)) after connection broken",
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, None);
        assert_eq!(r.level, Level::Warn);
        assert_eq!(r.logger.as_deref(), Some("urllib3.connectionpool"));
        let (_, r) = parse("2015-03-12T23:16:52.071:INFO:com.root:Response :");
        assert_eq!(r.level, Level::Info);
        assert_eq!(r.logger.as_deref(), Some("com.root"));
        assert_eq!(r.message, "Response :");
        let (_, r) = parse("2009-07-20 22:59:27,672:DEBUG:Hello, World!");
        assert_eq!(r.level, Level::Debug);
        assert_eq!(r.message, "Hello, World!");
    }

    #[test]
    fn syslog_3164_and_5424() {
        let (p, r) = parse(
            "Mar 27 13:06:56 ip-10-77-20-248 sshd[1291]: Server listening on 0.0.0.0 port 22.",
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(at("2024-03-27T13:06:56Z")));
        assert_eq!(r.service.as_deref(), Some("sshd"));
        assert_eq!(r.message, "Server listening on 0.0.0.0 port 22.");
        let (_, r) =
            parse("Jul 13 06:25:58 10.1.1.32 app_p [1957]: Completed in 0.21665 (4 reqs/sec)");
        assert_eq!(r.service.as_deref(), Some("app_p"));
        assert_eq!(r.message, "Completed in 0.21665 (4 reqs/sec)");
        let (_, r) =
            parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8");
        assert_eq!(r.level, Level::Fatal);
        assert_eq!(r.service.as_deref(), Some("su"));
        let (_, r) = parse("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\"] An application event");
        assert_eq!(r.time_ns, Some(at("2003-10-11T22:14:15.003Z")));
        assert_eq!(r.level, Level::Info);
        assert_eq!(r.service.as_deref(), Some("evntslog"));
        assert_eq!(r.message, "An application event");
        let (_, r) = parse("<34>1 - host app - - - no time here");
        assert_eq!((r.time_ns, r.message.as_ref()), (None, "no time here"));
        // RFC 5424 body without the PRI header (rsyslog file output)
        let (_, r) = parse("2022-08-27T14:22:01.613Z space01 NSX 3106 - [abc@6876 comp=\"x\" level=\"WARN\"] keep-alive");
        assert_eq!(r.service.as_deref(), Some("NSX"));
        assert_eq!(r.level, Level::Warn);
        assert_eq!(r.message, "keep-alive");
    }

    #[test]
    fn glog_and_other_stamps() {
        let (_, r) = parse(
            "E0517 15:04:22.619632 1952452992 logging_unittest.cc:253] Log every 3, iteration 19",
        );
        assert_eq!(r.level, Level::Error);
        assert_eq!(r.time_ns, Some(at("2024-05-17T15:04:22.619632Z")));
        assert_eq!(r.logger.as_deref(), Some("logging_unittest.cc"));
        assert_eq!(r.message, "Log every 3, iteration 19");
        let (_, r) = parse("17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers");
        assert_eq!(r.time_ns, Some(at("2017-06-09T20:10:40Z")));
        assert_eq!(
            r.logger.as_deref(),
            Some("executor.CoarseGrainedExecutorBackend")
        );
        assert_eq!(r.message, "Registered signal handlers");
        let (_, r) = parse("[2019-01-01 12:00:00 +0000] [1] [INFO] Starting gunicorn 19.9.0");
        assert_eq!(r.time_ns, Some(at("2019-01-01T12:00:00Z")));
        assert_eq!(r.level, Level::Info);
        assert_eq!(r.message, "Starting gunicorn 19.9.0");
        let (_, r) = parse("[2024-03-01T12:00:00Z WARN  my_crate::db] pool exhausted");
        assert_eq!(r.level, Level::Warn);
        assert_eq!(r.logger.as_deref(), Some("my_crate::db"));
        assert_eq!(r.message, "pool exhausted");
        let (_, r) = parse("[2023-05-15 18:19:32] local.ERROR: Target class [X] does not exist.");
        assert_eq!(r.level, Level::Error);
        assert_eq!(r.message, "Target class [X] does not exist.");
        let (_, r) = parse(
            "2022-06-02T11:58:12.193Z info vpxd[45715] [Originator@6876 sub=vpxLro] -- BEGIN",
        );
        assert_eq!(r.logger.as_deref(), Some("vpxd"));
        let (_, r) = parse("Mar 01, 2024 12:00:00 PM org.x.Main run");
        assert_eq!(r.time_ns, Some(at("2024-03-01T12:00:00Z")));
        let (_, r) = parse("[01/Mar/2024:12:00:00 +0000] GET /x 200");
        assert_eq!(r.time_ns, Some(at("2024-03-01T12:00:00Z")));
        assert_eq!(r.status, Some(200));
        let (_, r) = parse("1428634687123 Hello, World!");
        assert_eq!(r.time_ns, Some(1_428_634_687_123_000_000));
        assert_eq!(r.message, "Hello, World!");
        let (_, r) = parse("2016-06-30 12:00:07 fatal fatalmessage");
        assert_eq!(
            (r.level, r.message.as_ref()),
            (Level::Fatal, "fatalmessage")
        );
    }

    #[test]
    fn zookeeper_log4j_dash_layouts() {
        // The layout of the loghub Zookeeper sample, `%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n`.
        let (p, r) = parse("2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200");
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(at("2015-07-29T17:41:44.747Z")));
        assert_eq!(r.level, Level::Info);
        assert_eq!(r.logger.as_deref(), Some("FastLeaderElection"));
        assert_eq!(r.message, "Notification time out: 3200");
        assert!(r.service.is_none());
        let (_, r) = parse("2015-07-29 19:04:29,071 - ERROR [LearnerHandler-/10.10.34.11:52225:LearnerHandler@562] - Unexpected exception causing shutdown while sock still open");
        assert_eq!(r.level, Level::Error);
        assert_eq!(r.logger.as_deref(), Some("LearnerHandler"));
        // ZooKeeper 3.4's conf/log4j.properties: `%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n`.
        let (_, r) = parse("2015-07-29 19:04:12,394 [myid:2] - WARN  [RecvWorker:188978561024:QuorumCnxManager$RecvWorker@765] - Interrupting SendWorker");
        assert_eq!(r.level, Level::Warn);
        assert_eq!(r.logger.as_deref(), Some("QuorumCnxManager$RecvWorker"));
        assert_eq!(r.message, "Interrupting SendWorker");
        // The same line quoted after another timestamp is not read as RFC 5424 (app = the date).
        let (_, r) = parse("2024-04-04T20:30:55.424+02:00 source=k8s-node-1 2024-04-04 18:30:54,422 [myid:] - INFO [nioEventLoopGroup-4-1:o.a.z.s.NettyServerCnxn@294] - Processing srvr command");
        assert!(r.service.is_none());
        // A lower-case word after a dash is the message, not a level.
        let (_, r) = parse("2024-03-01 12:00:00 - error handling finished");
        assert_eq!(r.level, Level::Unknown);
    }

    #[test]
    fn apache_error_log() {
        // https://httpd.apache.org/docs/2.4/logs.html#errorlog
        let (p, r) = parse("[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico");
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(at("2011-09-09T10:42:29.902022Z")));
        assert_eq!(r.level, Level::Error);
        assert_eq!(
            r.message,
            "File does not exist: /usr/local/apache2/htdocs/favicon.ico"
        );
        // https://httpd.apache.org/docs/2.2/logs.html#errorlog
        let (_, r) = parse("[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /export/home/live/ap/htdocs/test");
        assert_eq!(r.time_ns, Some(at("2000-10-11T14:32:52Z")));
        assert_eq!(r.level, Level::Error);
        assert_eq!(
            r.message,
            "client denied by server configuration: /export/home/live/ap/htdocs/test"
        );
        let (_, r) = parse("[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties");
        assert_eq!(r.level, Level::Info);
        assert_eq!(
            r.message,
            "workerEnv.init() ok /etc/httpd/conf/workers2.properties"
        );
        assert_eq!(sniff("[Sun Dec 04 04:47:44 2005] [notice] x"), Sniff::Yes);
    }

    #[test]
    fn android_logcat() {
        // https://developer.android.com/tools/logcat, `threadtime` (the default) and `brief`.
        let (p, r) = parse("12-10 13:02:50.071  1901  4229 D AndroidRuntime: Calling main entry com.android.commands.am.Am");
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(at("2024-12-10T13:02:50.071Z")));
        assert_eq!(r.level, Level::Debug);
        assert_eq!(r.logger.as_deref(), Some("AndroidRuntime"));
        assert_eq!(r.message, "Calling main entry com.android.commands.am.Am");
        let (_, r) =
            parse("12-28 20:54:06.932  1513  1540 E ActivityManager: ANR in com.example.app");
        assert_eq!(r.level, Level::Error);
        let (p, r) =
            parse("D/HeadsetStateMachine( 1785): Disconnected process message: 10, size: 0");
        assert_eq!(p, Parsed::Entry);
        assert_eq!((r.time_ns, r.level), (None, Level::Debug));
        assert_eq!(r.logger.as_deref(), Some("HeadsetStateMachine"));
        assert_eq!(r.message, "Disconnected process message: 10, size: 0");
        assert_eq!(
            sniff("W/ActivityManager(  585): Unable to start service"),
            Sniff::Yes
        );
        // `time`: the brief line after the timestamp.
        let (_, r) = parse("12-10 13:02:50.071 W/ActivityManager(  585): Unable to start service");
        assert_eq!(
            (r.level, r.logger.as_deref()),
            (Level::Warn, Some("ActivityManager"))
        );
        assert_eq!(sniff("I/O error on /dev/sda"), Sniff::No);
    }

    #[test]
    fn hadoop_hdfs_compact_layout() {
        // The loghub HDFS sample (Hadoop 0.x log4j `%d{yyMMdd HHmmss} %t %p %c: %m`).
        let (p, r) = parse("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating");
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(at("2008-11-09T20:36:15Z")));
        assert_eq!(r.level, Level::Info);
        assert_eq!(r.logger.as_deref(), Some("dfs.DataNode$PacketResponder"));
        assert_eq!(
            r.message,
            "PacketResponder 1 for block blk_38865049064139660 terminating"
        );
        let (_, r) = parse("081109 204106 329 WARN dfs.DataNode$DataXceiver: 10.251.43.115:50010:Got exception while serving blk_-5296924137093616226 to /10.251.43.115:");
        assert_eq!(r.level, Level::Warn);
    }

    #[test]
    fn zone_less_times_follow_tz() {
        let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        let f = TextFormat::new(FormatContext {
            tz: Some(tz),
            year: 2024,
        });
        let mut r = Record::default();
        f.parse_line("2024-03-01 12:00:00 INFO x", &mut r);
        assert_eq!(r.time_ns, Some(at("2024-03-01T04:00:00Z")));
        let mut r = Record::default();
        f.parse_line("2024-03-01T12:00:00Z INFO x", &mut r);
        assert_eq!(r.time_ns, Some(at("2024-03-01T12:00:00Z")));
        // a time of day alone is left for the container envelope to date
        let mut r = Record::default();
        f.parse_line("16:49:08.656 INFO  x", &mut r);
        assert_eq!(
            r.time_ns,
            Some((16 * 3600 + 49 * 60 + 8) * 1_000_000_000 + 656_000_000)
        );
    }

    #[test]
    fn continuation_lines() {
        let cont = |l: &str| {
            let (p, r) = parse(l);
            assert_eq!(p, Parsed::Continuation, "{l}");
            r.exception
        };
        assert!(cont("\tat com.example.App.main(App.java:12)"));
        assert!(cont("Caused by: java.io.IOException: closed"));
        assert!(cont("\t... 12 more"));
        assert!(cont("Traceback (most recent call last):"));
        assert!(cont("  File \"/app/x.py\", line 3, in <module>"));
        assert!(cont("java.lang.IllegalStateException: boom"));
        assert!(cont("ValueError: bad"));
        assert!(cont("goroutine 1 [running]:"));
        assert!(!cont("  How are you today?"));
        assert!(!cont("<tiptop>"));
        assert!(!cont("Error happened somewhere"));
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff("2024-03-01 12:00:00,123 INFO x - y"), Sniff::Yes);
        assert_eq!(sniff("Mar  1 12:00:00 host app: x"), Sniff::Yes);
        assert_eq!(
            sniff("<34>1 2003-10-11T22:14:15.003Z h a - - - m"),
            Sniff::Yes
        );
        assert_eq!(
            sniff("I0301 12:00:00.123456  1234 file.cc:12] msg"),
            Sniff::Yes
        );
        assert_eq!(sniff("INFO:root:hello"), Sniff::Yes);
        assert_eq!(sniff("\tat x.Y(Y.java:1)"), Sniff::Maybe);
        assert_eq!(sniff("2022-08-22T05:18:16.5Z stdout F hi"), Sniff::Maybe);
        assert_eq!(sniff("{\"level\":\"info\"}"), Sniff::No);
        assert_eq!(
            sniff("127.0.0.1 - - [01/Mar/2024:12:00:00 +0000] \"GET / HTTP/1.1\" 200 1"),
            Sniff::No
        );
        assert_eq!(sniff("level=info msg=hi"), Sniff::No);
    }
}
