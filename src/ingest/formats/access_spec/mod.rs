//! Access-log format strings -> a compiled line walker.
//!
//! Input: an nginx `log_format` string (`$remote_addr - $remote_user
//! [$time_local] "$request" $status ...`) or an Apache `LogFormat` string
//! (`%h %l %u %t "%r" %>s %b %D %{X-Request-ID}i`), compiled once into literal
//! separators and typed fields. Output, per line: a [`Record`] as the built-in
//! access parser fills it. A line is walked left to right: each field ends
//! where the literal after it next occurs (found with memchr), so no regex
//! runs per line. Two rules keep real values whole: a `"` escaped by a
//! backslash does not end a quoted field, and a space after a comma does not
//! end a field (nginx writes lists as `a, b`). Fields whose values hold spaces
//! (`$time_local`, `$request`) skip that many spaces.
//!
//! [`nginx`] and [`apache`] compile the two syntaxes; this file holds what
//! they compile to (a [`Spec`], built with a [`Builder`]) and walks lines
//! along it. Its tests are in `tests.rs`.

use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};

use memchr::memchr;

use super::access_scan::{
    is_escaped, parse_any_time, parse_secs, parse_secs_list, parse_uint, split_request,
    split_traceparent, sub,
};
use super::fields::{self, Field};
use super::Parsed;
use crate::ingest::event::{DurationSource, IdKind, Record, TimeUnit, UnitBasis};

mod apache;
mod nginx;

/// What a field of the format means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Var {
    /// A field logtrace does not use (client address, bytes, user agent...).
    Skip,
    /// CLF (`07/Feb/2020:11:48:51 +0000`) or ISO 8601 time.
    Time,
    /// A time when the request started (Envoy's `%START_TIME%`): the record's
    /// time is its end, this plus the duration.
    StartTime,
    /// Epoch time; the number is in units of this many nanoseconds (`$msec`: seconds with a fraction).
    Epoch(u64),
    /// The request line `GET /x HTTP/1.1`.
    Request,
    Method,
    Path,
    Status,
    /// A duration in seconds, with or without a fraction (`$request_time`, `%T`).
    Secs,
    /// A whole-number duration in units of this many nanoseconds (`%D`: 1000).
    Int(u64),
    /// `$upstream_response_time`: seconds, possibly a retry list, summed.
    UpstreamTime,
    /// A whole-number upstream time in units of this many nanoseconds.
    UpstreamInt(u64),
    Id(IdKind),
    /// A W3C `traceparent` header: trace id and the caller's span.
    TraceParent,
    /// The client's address (`$remote_addr`, `%a`, `%h`).
    Client,
    /// Where the request was proxied to (`$upstream_addr`, `$proxy_upstream_name`).
    Upstream,
    /// A proxy's upstream cluster (Envoy): it names the service better than
    /// the host, so it replaces one read before.
    UpstreamCluster,
}

#[derive(Clone, Debug)]
enum Tok {
    Lit(Box<[u8]>),
    Var {
        var: Var,
        /// Spaces inside the value to step over when the next literal starts with a space.
        spaces: u8,
        /// The field's name in the format, for `inspect`'s id fields.
        name: &'static str,
    },
}

/// A compiled format string.
#[derive(Clone, Debug)]
pub struct Spec {
    toks: Vec<Tok>,
    has_request: bool,
    /// The time field is the request's start ([`Var::StartTime`]).
    start_time: bool,
    /// Unquoted fields hold no space and the line ends where the format does
    /// (for formats with no leeway, so one never half-reads another's lines).
    strict: bool,
}

/// Tokens being built, with the check that two fields never touch.
pub(super) struct Builder {
    toks: Vec<Tok>,
    lit: Vec<u8>,
    prev_var: Option<String>,
}

impl Builder {
    pub(super) fn new() -> Builder {
        Builder {
            toks: Vec::new(),
            lit: Vec::new(),
            prev_var: None,
        }
    }

    pub(super) fn var(
        &mut self,
        var: Var,
        spaces: u8,
        name: &str,
        shown: String,
    ) -> Result<(), String> {
        if self.lit.is_empty() {
            if let Some(prev) = &self.prev_var {
                // `%U%q`, `$uri$is_args$args`: the query stays in the path before it.
                if matches!(name, "q" | "is_args" | "args" | "query_string") {
                    return Ok(());
                }
                return Err(format!(
                    "`{shown}` follows `{prev}` with nothing between them, so their values cannot be told apart"
                ));
            }
        } else {
            self.toks
                .push(Tok::Lit(std::mem::take(&mut self.lit).into_boxed_slice()));
        }
        self.toks.push(Tok::Var {
            var,
            spaces,
            name: static_name(name),
        });
        self.prev_var = Some(shown);
        Ok(())
    }

    pub(super) fn lit(&mut self, b: &[u8]) {
        self.lit.extend_from_slice(b);
        if !b.is_empty() {
            self.prev_var = None;
        }
    }

    pub(super) fn finish(mut self, what: &str) -> Result<Spec, String> {
        if !self.lit.is_empty() {
            self.toks
                .push(Tok::Lit(std::mem::take(&mut self.lit).into_boxed_slice()));
        }
        if !self.toks.iter().any(|t| matches!(t, Tok::Var { .. })) {
            return Err(format!("the {what} has no fields"));
        }
        let has_request = self.toks.iter().any(|t| {
            matches!(
                t,
                Tok::Var {
                    var: Var::Request,
                    ..
                }
            )
        });
        // A field's inner spaces only matter when a space ends it.
        let n = self.toks.len();
        for k in 0..n {
            let next_is_space = matches!(self.toks.get(k + 1), Some(Tok::Lit(l)) if l[0] == b' ');
            if let Tok::Var { spaces, .. } = &mut self.toks[k] {
                if !next_is_space {
                    *spaces = 0;
                }
            }
        }
        let start_time = self.toks.iter().any(|t| {
            matches!(
                t,
                Tok::Var {
                    var: Var::StartTime,
                    ..
                }
            )
        });
        Ok(Spec {
            toks: self.toks,
            has_request,
            start_time,
            strict: false,
        })
    }
}

impl Spec {
    /// The same format in strict mode (see [`Spec::strict`]).
    pub(super) fn strict(mut self) -> Spec {
        self.strict = true;
        self
    }

    /// Walks `line` along the format.
    pub fn parse<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed {
        let b = line.as_bytes();
        let mut pos = 0;
        for (k, tok) in self.toks.iter().enumerate() {
            match tok {
                Tok::Lit(l) => {
                    if !b[pos..].starts_with(l) {
                        return Parsed::Unparsed;
                    }
                    pos += l.len();
                }
                Tok::Var { var, spaces, name } => {
                    // Strict: a field not in quotes ends at the first space.
                    let unquoted = self.strict
                        && *spaces == 0
                        && !matches!(k.checked_sub(1).map(|p| &self.toks[p]), Some(Tok::Lit(l)) if l.ends_with(b"\""));
                    let end = match self.toks.get(k + 1) {
                        Some(Tok::Lit(l)) => match field_end(b, pos, l, *spaces, unquoted) {
                            Some(e) => e,
                            None => return Parsed::Unparsed,
                        },
                        _ if unquoted => {
                            let rest = line[pos..].trim_end();
                            if rest.contains(' ') {
                                return Parsed::Unparsed;
                            }
                            pos + rest.len()
                        }
                        _ => b.len(),
                    };
                    if !store(*var, name, sub(line, pos, end), out) {
                        return Parsed::Unparsed;
                    }
                    pos = end;
                }
            }
        }
        if self.strict && !line[pos..].trim_end().is_empty() {
            return Parsed::Unparsed;
        }
        if !self.has_request {
            out.message = Cow::Borrowed(line);
        }
        if self.start_time {
            if let (Some(t), Some(d)) = (out.time_ns, out.duration_ns) {
                out.time_ns = Some(t.saturating_add(d as i64));
            }
        }
        Parsed::Entry
    }
}

/// Where the field starting at `from` ends: the next `lit` that is not an
/// escaped quote, not a list's `, `, and not one of the value's own spaces.
/// With `first_space`, a field ends at its first space or not at all.
fn field_end(
    b: &[u8],
    from: usize,
    lit: &[u8],
    mut spaces: u8,
    first_space: bool,
) -> Option<usize> {
    let first = lit[0];
    let mut at = from;
    if first_space && first == b' ' {
        let p = memchr(b' ', b.get(from..)?)? + from;
        return b[p..].starts_with(lit).then_some(p);
    }
    loop {
        let p = memchr(first, b.get(at..)?)? + at;
        at = p + 1;
        if first == b' ' {
            if p > from && b[p - 1] == b',' {
                continue;
            }
            if spaces > 0 {
                spaces -= 1;
                continue;
            }
        }
        if !b[p..].starts_with(lit) || (first == b'"' && is_escaped(b, p)) {
            continue;
        }
        return Some(p);
    }
}

/// Stores one field's value. False when a time or status does not read as one,
/// which means the line is not written in this format.
fn store<'a>(var: Var, name: &'static str, v: &'a str, out: &mut Record<'a>) -> bool {
    if v == "-" || v.is_empty() {
        if var == Var::Request {
            out.message = Cow::Borrowed(v);
        }
        return true;
    }
    let vb = v.as_bytes();
    match var {
        Var::Skip => {}
        Var::Time | Var::StartTime => match parse_any_time(vb) {
            Some((ns, zone, _)) if out.time_ns.is_none() => {
                out.time_ns = Some(ns);
                out.time_without_zone = !zone;
            }
            Some(_) => {}
            None => return false,
        },
        Var::Epoch(unit) => {
            let ns = if unit == 1_000_000_000 {
                parse_secs(vb).map(|(ns, _)| ns)
            } else {
                parse_uint(vb).map(|n| n.saturating_mul(unit))
            };
            match ns {
                Some(ns) if ns < i64::MAX as u64 => {
                    out.time_ns.get_or_insert(ns as i64);
                }
                _ => return false,
            }
        }
        Var::Request => {
            out.message = Cow::Borrowed(v);
            if let Some((method, target)) = split_request(v) {
                out.method.get_or_insert(Cow::Borrowed(method));
                out.path.get_or_insert(Cow::Borrowed(target));
            }
        }
        Var::Method => {
            out.method.get_or_insert(Cow::Borrowed(v));
        }
        Var::Path => {
            out.path.get_or_insert(Cow::Borrowed(v));
        }
        Var::Status => match parse_uint(vb) {
            Some(s @ 100..=999) => {
                out.status.get_or_insert(s as u16);
            }
            Some(_) => {}
            None => return false,
        },
        Var::Secs => {
            if let Some((ns, _)) = parse_secs(vb) {
                out.set_duration(ns, format_source(name, TimeUnit::S));
            }
        }
        Var::Int(unit) => {
            if let Some(n) = parse_uint(vb) {
                let time_unit = match unit {
                    1 => TimeUnit::Ns,
                    1_000 => TimeUnit::Us,
                    1_000_000 => TimeUnit::Ms,
                    _ => TimeUnit::S,
                };
                out.set_duration(n.saturating_mul(unit), format_source(name, time_unit));
            }
        }
        Var::UpstreamTime => {
            if out.upstream_ns.is_none() {
                out.upstream_ns = parse_secs_list(vb).and_then(|l| l.sum_ns);
            }
        }
        Var::Id(kind) => out.put_id(kind, Cow::Borrowed(v), name),
        Var::Client => out.set_client(Cow::Borrowed(v)),
        Var::Upstream => out.set_upstream(Cow::Borrowed(v)),
        Var::UpstreamCluster => out.upstream = Some(Cow::Borrowed(v)),
        Var::UpstreamInt(unit) => {
            if out.upstream_ns.is_none() {
                out.upstream_ns = parse_uint(vb).map(|n| n.saturating_mul(unit));
            }
        }
        Var::TraceParent => {
            if let Some((t, s)) = split_traceparent(vb) {
                out.put_id(IdKind::Trace, Cow::Borrowed(sub(v, t.start, t.end)), name);
                out.put_id(
                    IdKind::ParentSpan,
                    Cow::Borrowed(sub(v, s.start, s.end)),
                    name,
                );
            }
        }
    }
    true
}

/// A request or response header's meaning: an id, a traceparent, or nothing.
pub(super) fn header_var(header: &str) -> Var {
    if header.eq_ignore_ascii_case("traceparent") {
        return Var::TraceParent;
    }
    match fields::classify(header) {
        Some(Field::Id(kind)) => Var::Id(kind),
        _ => Var::Skip,
    }
}

/// Field names live as long as the program, so records can borrow them whatever
/// line they come from. Each distinct name is stored once.
pub(super) fn static_name(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<Vec<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(n) = names.iter().find(|n| **n == name) {
        return n;
    }
    let n: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.push(n);
    n
}

/// A duration whose unit the format string defines (`$request_time`, `%D`).
fn format_source(name: &'static str, unit: TimeUnit) -> DurationSource<'static> {
    DurationSource {
        field: name,
        unit,
        basis: UnitBasis::Format,
    }
}

#[cfg(test)]
mod tests;
