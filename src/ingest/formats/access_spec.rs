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
    /// Compiles nginx `log_format` syntax. Unknown variables are read and skipped.
    /// A string pasted from nginx.conf with its `'...' '...'` pieces is joined first.
    pub fn nginx(format: &str) -> Result<Spec, String> {
        let joined = join_nginx_pieces(format);
        let fmt = joined.as_deref().unwrap_or(format);
        let b = fmt.as_bytes();
        let mut out = Builder::new();
        let mut i = 0;
        while i < b.len() {
            let Some(d) = memchr(b'$', &b[i..]) else {
                out.lit(&b[i..]);
                break;
            };
            out.lit(&b[i..i + d]);
            i += d;
            let (name, next) = if b.get(i + 1) == Some(&b'{') {
                let close = memchr(b'}', &b[i + 2..])
                    .ok_or_else(|| format!("`${{` at byte {i} is never closed with `}}`"))?;
                (&fmt[i + 2..i + 2 + close], i + 3 + close)
            } else {
                let n = b[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                (&fmt[i + 1..i + 1 + n], i + 1 + n)
            };
            if name.is_empty() {
                return Err(format!(
                    "`$` at byte {i} is not followed by a variable name (write `$name` or `${{name}}`)"
                ));
            }
            let (var, spaces) = nginx_var(name);
            out.var(var, spaces, name, format!("${name}"))?;
            i = next;
        }
        out.finish("log_format")
    }

    /// Compiles Apache `LogFormat` syntax. Unknown directives are errors that name them.
    pub fn apache(format: &str) -> Result<Spec, String> {
        let b = format.as_bytes();
        let mut out = Builder::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\\' => {
                    let c = match b.get(i + 1) {
                        Some(b't') => b'\t',
                        Some(&c) => c,
                        None => b'\\',
                    };
                    out.lit(&[c]);
                    i += 2;
                }
                b'%' => i = apache_directive(format, i, &mut out)?,
                _ => {
                    // Copy a run of plain text (keeps multi-byte characters whole).
                    let end = b[i..]
                        .iter()
                        .position(|c| *c == b'%' || *c == b'\\')
                        .map_or(b.len(), |p| i + p);
                    out.lit(&b[i..end]);
                    i = end;
                }
            }
        }
        out.finish("LogFormat")
    }

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

/// An nginx variable's meaning and the spaces its value holds.
fn nginx_var(name: &str) -> (Var, u8) {
    let var = match name {
        "time_local" => return (Var::Time, 1),
        "request" => return (Var::Request, 2),
        "time_iso8601" => Var::Time,
        "msec" => Var::Epoch(1_000_000_000),
        "request_method" => Var::Method,
        "request_uri" | "uri" | "document_uri" => Var::Path,
        "status" => Var::Status,
        "request_time" => Var::Secs,
        "upstream_response_time" => Var::UpstreamTime,
        "remote_addr" | "realip_remote_addr" | "http_x_forwarded_for" => Var::Client,
        "upstream_addr" | "proxy_upstream_name" => Var::Upstream,
        "request_id" | "req_id" => Var::Id(IdKind::Request),
        _ => {
            let header = ["http_", "sent_http_", "upstream_http_"]
                .iter()
                .find_map(|p| name.strip_prefix(p));
            match header {
                Some(h) => header_var(h),
                None => Var::Skip,
            }
        }
    };
    (var, 0)
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

/// Reads the Apache directive at `b[i] == '%'`; returns the index after it.
fn apache_directive(fmt: &str, i: usize, out: &mut Builder) -> Result<usize, String> {
    let b = fmt.as_bytes();
    let mut j = i + 1;
    if b.get(j) == Some(&b'%') {
        out.lit(b"%");
        return Ok(j + 1);
    }
    // Conditions and modifiers: `%!200,304{Referer}i`, `%>s`, `%<s`.
    while j < b.len() && (b[j].is_ascii_digit() || b"!,<>".contains(&b[j])) {
        j += 1;
    }
    let mut arg = None;
    if b.get(j) == Some(&b'{') {
        let close = memchr(b'}', &b[j + 1..])
            .ok_or_else(|| format!("`%{{` at byte {i} is never closed with `}}`"))?;
        arg = Some(&fmt[j + 1..j + 1 + close]);
        j += close + 2;
    }
    let Some(&letter) = b.get(j) else {
        return Err(format!(
            "`{}` at the end of the LogFormat has no directive letter",
            &fmt[i..]
        ));
    };
    let shown = fmt.get(i..j + 1).unwrap_or("%").to_string();
    let a = arg.unwrap_or("");
    let (var, spaces, name) = match (letter, arg) {
        (b'h' | b'a', _) => (Var::Client, 0, ""),
        (b'A' | b'l' | b'u' | b'b' | b'B' | b'v' | b'V' | b'p' | b'P', _) => (Var::Skip, 0, ""),
        (b'q', _) => (Var::Skip, 0, "q"),
        (b'H' | b'f' | b'k' | b'L' | b'X' | b'I' | b'O' | b'S' | b'R', _) => (Var::Skip, 0, ""),
        (b'r', _) => (Var::Request, 2, "request"),
        (b'm', _) => (Var::Method, 0, "method"),
        (b'U', _) => (Var::Path, 0, "path"),
        (b's', _) => (Var::Status, 0, "status"),
        (b'D', _) => (Var::Int(1_000), 0, "D"),
        (b'T', None) => (Var::Secs, 0, "T"),
        (b'T', Some("s")) => (Var::Secs, 0, "T"),
        (b'T', Some("ms")) => (Var::Int(1_000_000), 0, "T"),
        (b'T', Some("us")) => (Var::Int(1_000), 0, "T"),
        (b't', None) => {
            out.lit(b"[");
            out.var(Var::Time, 1, "t", shown)?;
            out.lit(b"]");
            return Ok(j + 1);
        }
        (b't', Some(f)) => {
            let f = f
                .strip_prefix("begin:")
                .or_else(|| f.strip_prefix("end:"))
                .unwrap_or(f);
            match f {
                "sec" => (Var::Epoch(1_000_000_000), 0, "t"),
                "msec" => (Var::Epoch(1_000_000), 0, "t"),
                "usec" => (Var::Epoch(1_000), 0, "t"),
                "msec_frac" | "usec_frac" => (Var::Skip, 0, ""),
                // strftime: read as CLF or ISO, whichever the pattern writes.
                _ => (
                    Var::Time,
                    f.bytes().filter(|c| *c == b' ').count() as u8,
                    "t",
                ),
            }
        }
        (b'i' | b'o', Some(h)) => (header_var(h), 0, h),
        (b'e' | b'n' | b'C', Some(v)) => {
            if v == "UNIQUE_ID" {
                (Var::Id(IdKind::Request), 0, v)
            } else {
                (header_var(v), 0, v)
            }
        }
        (b'T' | b'i' | b'o' | b'e' | b'n' | b'C', _) => {
            return Err(format!(
                "`{shown}`: `%{}` needs a {{name}} logtrace understands (got `{a}`)",
                letter as char
            ))
        }
        _ => return Err(format!("unknown LogFormat directive `{shown}` at byte {i}")),
    };
    out.var(var, spaces, name, shown)?;
    Ok(j + 1)
}

/// Joins `'$remote_addr - ' '"$request" $status';` (as pasted from nginx.conf) into one string.
fn join_nginx_pieces(format: &str) -> Option<String> {
    let t = format.trim().trim_end_matches(';').trim_end();
    if !(t.starts_with('\'') && t.ends_with('\'') && t.len() >= 2) {
        return None;
    }
    let mut joined = String::new();
    let mut inside = false;
    for c in t.chars() {
        match c {
            '\'' => inside = !inside,
            c if inside => joined.push(c),
            _ => {}
        }
    }
    Some(joined)
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
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;
    const INGRESS: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"#;

    fn run<'a>(spec: &Spec, line: &'a str) -> (Parsed, Record<'a>) {
        let mut r = Record::default();
        let p = spec.parse(line, &mut r);
        (p, r)
    }

    #[test]
    fn nginx_ingress_format() {
        let spec = Spec::nginx(INGRESS).unwrap();
        let (p, r) = run(
            &spec,
            r#"192.168.64.14 - - [07/Feb/2020:12:02:42 +0000] "GET /v2/some HTTP/1.1" 200 61 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.14; rv:72.0) Gecko/20100101 Firefox/72.0" 348 0.001 [default-web2-8080] [] 172.17.0.6:8080, 172.17.0.7:8080 61, 100 0.100, 0.004 200, 203 835136ae24486dbb4156dcbe21f5d402"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(1_581_076_962_000_000_000));
        assert_eq!(r.method.as_deref(), Some("GET"));
        assert_eq!(r.path.as_deref(), Some("/v2/some"));
        assert_eq!(r.message, "GET /v2/some HTTP/1.1");
        assert_eq!(r.status, Some(200));
        assert_eq!(r.duration_ns, Some(MS));
        assert_eq!(r.upstream_ns, Some(104 * MS));
        assert_eq!(
            r.request_id.as_deref(),
            Some("835136ae24486dbb4156dcbe21f5d402")
        );
        assert_eq!(r.id_fields, vec!["req_id"]);
        assert_eq!(r.client.as_deref(), Some("192.168.64.14"));
        assert_eq!(r.upstream.as_deref(), Some("default-web2-8080"));
    }

    #[test]
    fn nginx_variables_with_spaces_and_iso_times() {
        let spec = Spec::nginx(
            "$time_iso8601 $request_method ${uri} $status $request_time $upstream_response_time $http_x_request_id $http_traceparent",
        )
        .unwrap();
        let (p, r) = run(&spec, "2024-03-01T12:00:00+01:00 POST /api/pay 502 1.5 - abc-123 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(1_709_290_800_000_000_000));
        assert_eq!(r.method.as_deref(), Some("POST"));
        assert_eq!(r.path.as_deref(), Some("/api/pay"));
        assert_eq!(r.status, Some(502));
        assert_eq!(r.duration_ns, Some(1_500 * MS));
        assert_eq!(r.upstream_ns, None);
        assert_eq!(r.request_id.as_deref(), Some("abc-123"));
        assert_eq!(
            r.trace_id.as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert_eq!(r.parent_span_id.as_deref(), Some("00f067aa0ba902b7"));
        // No $request: the whole line is the message.
        assert!(r.message.starts_with("2024-03-01T12:00:00+01:00 POST"));

        // $time_local and $request without brackets or quotes step over their own spaces.
        let spec = Spec::nginx("$time_local $request $status $msec").unwrap();
        let (p, r) = run(
            &spec,
            "07/Feb/2020:11:48:51 +0000 GET /x HTTP/1.1 404 1581076131.123",
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(1_581_076_131_000_000_000));
        assert_eq!(r.path.as_deref(), Some("/x"));
        assert_eq!(r.status, Some(404));
    }

    #[test]
    fn nginx_conf_pieces_are_joined() {
        let spec = Spec::nginx(
            r#"'$remote_addr - $remote_user [$time_local] '
               '"$request" $status $body_bytes_sent $request_time';"#,
        )
        .unwrap();
        let (p, r) = run(
            &spec,
            r#"1.2.3.4 - - [07/Feb/2020:11:48:51 +0000] "GET / HTTP/1.1" 200 5 0.010"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.duration_ns, Some(10 * MS));
    }

    #[test]
    fn apache_format_with_micros_and_request_id() {
        let spec = Spec::apache(r#"%h %l %u %t \"%r\" %>s %b %D %{X-Request-ID}i"#).unwrap();
        let (p, r) = run(
            &spec,
            r#"10.0.0.7 - alice [10/Oct/2000:13:55:36 -0700] "GET /a\"b HTTP/1.0" 200 2326 1534 c62ec130-6dee-4f3b-a52b-4f0d1312d89d"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.time_ns, Some(971_211_336_000_000_000));
        assert_eq!(r.path.as_deref(), Some(r#"/a\"b"#));
        assert_eq!(r.status, Some(200));
        assert_eq!(r.duration_ns, Some(1_534_000));
        assert_eq!(
            r.request_id.as_deref(),
            Some("c62ec130-6dee-4f3b-a52b-4f0d1312d89d")
        );
        assert_eq!(r.id_fields, vec!["X-Request-ID"]);
        assert_eq!(r.client.as_deref(), Some("10.0.0.7"));

        let spec = Spec::apache(r#"%a %{ms}T %{UNIQUE_ID}e %{%Y-%m-%d %H:%M:%S}t "%m %U%q %H" %s"#)
            .unwrap();
        let (p, r) = run(
            &spec,
            r#"::1 250 YZx1-abc 2024-03-01 12:00:00 "PUT /v1/x?y=2 HTTP/1.1" 204"#,
        );
        assert_eq!(p, Parsed::Entry);
        assert_eq!(r.duration_ns, Some(250 * MS));
        assert_eq!(r.request_id.as_deref(), Some("YZx1-abc"));
        assert_eq!(r.time_ns, Some(1_709_294_400_000_000_000));
        assert!(r.time_without_zone);
        assert_eq!(r.method.as_deref(), Some("PUT"));
        assert_eq!(r.status, Some(204));
    }

    #[test]
    fn lines_of_another_shape_are_unparsed() {
        let spec = Spec::apache(r#"%h %l %u %t "%r" %>s %b"#).unwrap();
        for line in [
            "",
            "hello world",
            r#"1.2.3.4 - - [not a time] "GET / HTTP/1.1" 200 5"#,
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" OK 5"#,
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1"#,
        ] {
            assert_eq!(run(&spec, line).0, Parsed::Unparsed, "{line}");
        }
    }

    #[test]
    fn bad_format_strings_say_what_is_wrong() {
        let err = |r: Result<Spec, String>| r.unwrap_err();
        assert!(err(Spec::apache("%h %Z %s")).contains("`%Z`"));
        assert!(err(Spec::apache("%h %{Referer")).contains("never closed"));
        assert!(err(Spec::apache("%h %")).contains("no directive letter"));
        assert!(err(Spec::apache("%{fortnights}T")).contains("`%{fortnights}T`"));
        assert!(err(Spec::apache("%h%s")).contains("`%s` follows `%h`"));
        assert!(err(Spec::apache("just text")).contains("no fields"));
        assert!(err(Spec::nginx("$remote_addr $ $status")).contains("`$` at byte 13"));
        assert!(err(Spec::nginx("${status")).contains("never closed"));
        assert!(
            err(Spec::nginx("$status$request_time")).contains("`$request_time` follows `$status`")
        );
        assert!(err(Spec::nginx("")).contains("no fields"));
        let spec = Spec::nginx("$uri$is_args$args $status").unwrap();
        assert_eq!(run(&spec, "/a?b=1 200").1.path.as_deref(), Some("/a?b=1"));
        // Unknown nginx variables are read and skipped.
        let spec = Spec::nginx("$geoip_country $status").unwrap();
        assert_eq!(run(&spec, "NL 200").1.status, Some(200));
    }
}
