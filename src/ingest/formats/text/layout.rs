//! Application layouts after a line's time: logback/log4j, Spring Boot,
//! Python logging, glog and the generic `timestamp LEVEL msg`.
//!
//! Input: a line and where its time ended. Output: the message, with the
//! level, logger, thread-borne correlation ids (Sleuth's `[app,trace,span]`,
//! Boot 3.2's `[trace-span]`) and service the layout names filled into the
//! record.

use std::borrow::Cow;

use super::{skip_spaces, token_end};
use crate::ingest::event::{IdKind, Level, Record};
use crate::ingest::formats::message;

/// glog after the time: `  1234 file.cc:12] msg`. The file is the logger.
pub(super) fn glog_body<'a>(line: &'a str, i: usize, out: &mut Record<'a>) -> &'a str {
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
pub(super) fn is_level_word(t: &str) -> bool {
    level_word(t).is_some()
}

pub(super) fn level_word(t: &str) -> Option<Level> {
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
pub(super) fn looks_like_logger(t: &str) -> bool {
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
pub(super) fn logger_name(t: &str) -> &str {
    let t = t.trim_end_matches([':', ']']);
    let t = t.split('#').next().unwrap_or(t);
    match t.rsplit_once('[') {
        Some((name, pid)) if pid.bytes().all(|c| c.is_ascii_digit()) => name,
        _ => t,
    }
}

/// The layouts that follow a timestamp: reads level, thread, pid and logger
/// tokens and returns the message after them.
pub(super) fn layout<'a>(line: &'a str, i: usize, out: &mut Record<'a>) -> &'a str {
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
pub(super) fn correlation_ids<'a>(inner: &'a str, out: &mut Record<'a>) -> bool {
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
pub(super) fn closing_square(b: &[u8], open: usize) -> Option<usize> {
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
pub(super) fn log4j_location(inner: &str) -> Option<&str> {
    let (before, line_no) = inner.rsplit_once('@')?;
    if line_no.is_empty() || !line_no.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (_, class) = before.rsplit_once(':')?;
    (!class.is_empty() && !class.contains(' ')).then_some(class)
}
