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

mod layout;
mod logcat;
mod stamp;
mod syslog;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use self::layout::{glog_body, layout};
use self::logcat::{logcat_body, logcat_brief};
use self::stamp::{find_stamp, Head, Lead};
use self::syslog::{rfc5424_body, severity, syslog_body};
use super::message;
use super::{FormatContext, FormatKind, LineFormat, Parsed, Sniff};
use crate::ingest::event::{Level, Record};

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
