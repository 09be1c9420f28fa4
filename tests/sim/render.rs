//! Truth -> log files: what each service writes about each span, in its own
//! style, stamped by its host's (skewed) clock, one file per host.
//!
//! Input: a [`World`] and its [`TruthTrace`]s. Output: [`Rendered`]: the
//! files' text and, per file, which truth span each entry line speaks for, so
//! the events the library reads can be mapped back to the truth.
//!
//! What a service writes (see [`super::world::Style`] and `Mode`):
//! - per server or consumer span: a start line (no duration) and/or an end line
//!   (status and duration); access logs write only the end line; a failure
//!   also writes an error line (text styles: with a stack trace);
//! - per client or producer span, when the service logs its calls: a line when
//!   the call leaves and, for a sync call, one when the answer comes, with the
//!   client's status and duration;
//! - ids as the style carries them: JSON `trace_id`, `span_id`,
//!   `parent_span_id`, `request_id`; Sleuth `[app,traceId,spanId]`; logback
//!   `[requestId=...]`; access logs the request id (the entry also the trace id).
//!
//! Lines are written in true-time order (the order things happened on the
//! host); their stamps come from the host's clock, so a clock step can make
//! stamps go backwards inside a file, as it does on real hosts.

use std::fmt::Write as _;

use super::truth::{Kind, Link, TruthSpan, TruthTrace};
use super::world::{Hop, Mode, Style, World};

/// A truth span: (trace index, span index).
pub type SpanRef = (u32, u32);

/// One host's log file.
#[derive(Clone, Debug, Default)]
pub struct File {
    /// Relative path: `<service>/<host>.log` (the folder names the service).
    pub path: String,
    pub host: usize,
    pub text: String,
    /// For each physical line (index = line number - 1): the span an entry
    /// line speaks for and the true time of what it reports; `None` for
    /// continuation lines.
    pub lines: Vec<Option<SpanRef>>,
    pub true_ns: Vec<Option<i64>>,
}

/// Everything written, and what was logged of each truth span.
#[derive(Clone, Debug, Default)]
pub struct Rendered {
    pub files: Vec<File>,
    /// Per trace, per span: how many entry lines speak for it (0: not logged).
    pub lines_of: Vec<Vec<u32>>,
}

impl Rendered {
    pub fn logged(&self, s: SpanRef) -> bool {
        self.lines_of[s.0 as usize][s.1 as usize] > 0
    }
    /// Writes the files under `dir`.
    pub fn write(&self, dir: &std::path::Path) -> std::io::Result<()> {
        for f in &self.files {
            let p = dir.join(&f.path);
            std::fs::create_dir_all(p.parent().unwrap())?;
            std::fs::write(p, &f.text)?;
        }
        Ok(())
    }
}

/// An entry waiting to be written: true time, then a sequence number so
/// lines of one instant keep the order they were made in.
struct Pending {
    host: usize,
    true_ns: i64,
    seq: u32,
    span: SpanRef,
    text: String,
}

/// What a line reports.
#[derive(Clone, Copy, PartialEq, Eq)]
enum What {
    ServerStart,
    ServerEnd,
    ServerError,
    ClientStart,
    ClientEnd,
}

pub fn render(world: &World, traces: &[TruthTrace]) -> Rendered {
    let mut pending: Vec<Pending> = Vec::new();
    let mut lines_of: Vec<Vec<u32>> = traces.iter().map(|t| vec![0; t.spans.len()]).collect();
    let mut seq = 0u32;
    for (ti, t) in traces.iter().enumerate() {
        for (si, s) in t.spans.iter().enumerate() {
            let host = &world.hosts[s.host];
            if host.missing {
                continue;
            }
            let svc = &world.services[s.service];
            for (what, at) in lines_for(world, t, si) {
                let shown = host.clock.show(at);
                let text = line(svc.style, &svc.name, what, t, si, shown, world);
                pending.push(Pending {
                    host: s.host,
                    true_ns: at,
                    seq,
                    span: (ti as u32, si as u32),
                    text,
                });
                seq += 1;
                lines_of[ti][si] += 1;
            }
        }
    }
    pending.sort_by_key(|p| (p.host, p.true_ns, p.seq));
    let mut files: Vec<File> = world
        .hosts
        .iter()
        .enumerate()
        .map(|(h, host)| File {
            path: format!("{}/{}.log", world.services[host.service].name, host.name),
            host: h,
            ..Default::default()
        })
        .collect();
    for p in pending {
        let f = &mut files[p.host];
        for (k, _) in p.text.lines().enumerate() {
            f.lines.push((k == 0).then_some(p.span));
            f.true_ns.push((k == 0).then_some(p.true_ns));
        }
        f.text.push_str(&p.text);
        if !p.text.ends_with('\n') {
            f.text.push('\n');
        }
    }
    files.retain(|f| !f.lines.is_empty());
    Rendered { files, lines_of }
}

/// The lines span `si` gets and their true times.
fn lines_for(world: &World, t: &TruthTrace, si: usize) -> Vec<(What, i64)> {
    let s = &t.spans[si];
    let svc = &world.services[s.service];
    let mut out = Vec::new();
    if s.is_server() || s.kind == Kind::Local {
        let access = svc.style.is_access();
        if access && s.kind == Kind::Local {
            return out;
        }
        if !access && matches!(svc.mode, Mode::StartOnly | Mode::StartEnd) {
            out.push((What::ServerStart, s.start_ns));
        }
        if s.failed() && !access {
            // The exception is logged just before the answer goes out.
            out.push((What::ServerError, (s.end_ns - 100_000).max(s.start_ns)));
        }
        if access || matches!(svc.mode, Mode::EndOnly | Mode::StartEnd) {
            out.push((What::ServerEnd, s.end_ns));
        }
    } else if svc.client_lines {
        out.push((What::ClientStart, s.start_ns));
        if hop_of(t, si) == Hop::Sync {
            out.push((What::ClientEnd, s.end_ns));
        }
    }
    out
}

/// The server (or consumer) span a client (or producer) span called: its only child.
pub fn server_of(t: &TruthTrace, client: usize) -> Option<usize> {
    t.spans.iter().position(|x| x.parent == Some(client))
}

/// The hop client span `si` made: its kind and its server's link tell.
fn hop_of(t: &TruthTrace, si: usize) -> Hop {
    if t.spans[si].kind == Kind::Producer {
        return Hop::Queue;
    }
    match server_of(t, si).map(|k| t.spans[k].link) {
        Some(Link::FollowsFrom) => Hop::FireAndForget,
        _ => Hop::Sync,
    }
}

/// The ids a span's lines carry: (span id, parent span id) as its tracer logs them.
fn ids(t: &TruthTrace, s: &TruthSpan) -> (String, Option<String>) {
    let parent = s.parent.map(|p| &t.spans[p]);
    let logged_parent = match (s.kind, parent) {
        (_, None) => None,
        // A B3 server half shares its client's id, and its client's parent.
        (Kind::Server, Some(p)) if p.span_id == s.span_id => {
            p.parent.map(|g| t.spans[g].span_id.clone())
        }
        (_, Some(p)) => Some(p.span_id.clone()),
    };
    (s.span_id.clone(), logged_parent)
}

fn line(
    style: Style,
    service: &str,
    what: What,
    t: &TruthTrace,
    si: usize,
    shown_ns: i64,
    world: &World,
) -> String {
    let s = &t.spans[si];
    let dur_ms = (s.end_ns - s.start_ns) as f64 / 1e6;
    let callee = if s.is_server() {
        String::new()
    } else {
        server_of(t, si).map_or(String::new(), |k| {
            world.services[t.spans[k].service].name.clone()
        })
    };
    let req = s.operation();
    let (level, msg) = match what {
        What::ServerStart => ("INFO", format!("{req} started")),
        What::ServerEnd => (
            if s.failed() { "WARN" } else { "INFO" },
            format!("{req}{} completed in {} ms", status_word(s), dur_ms.round()),
        ),
        What::ServerError => (
            "ERROR",
            "request failed: java.lang.IllegalStateException: upstream unavailable".to_string(),
        ),
        What::ClientStart => ("INFO", format!("calling {callee}: {req}")),
        What::ClientEnd => (
            if s.failed() { "WARN" } else { "INFO" },
            format!(
                "{callee} answered: {req}{} in {} ms",
                status_word(s),
                dur_ms.round()
            ),
        ),
    };
    let mut out = String::with_capacity(256);
    match style {
        Style::JsonOtel | Style::JsonB3 => {
            let (span, parent) = ids(t, s);
            let _ = write!(
                out,
                r#"{{"ts":"{}","level":"{}","service":"{service}","msg":"{}","trace_id":"{}","span_id":"{span}""#,
                rfc3339_us(shown_ns),
                level.to_ascii_lowercase(),
                msg_only(what, s, &callee),
                t.trace_id
            );
            if let Some(p) = parent {
                let _ = write!(out, r#","parent_span_id":"{p}""#);
            }
            let _ = write!(
                out,
                r#","request_id":"{}","method":"{}","path":"{}""#,
                t.request_id, s.method, s.path
            );
            if matches!(what, What::ServerEnd | What::ClientEnd) {
                if s.status != 0 {
                    let _ = write!(out, r#","status":{}"#, s.status);
                }
                let _ = write!(out, r#","duration_ms":{dur_ms:.3}"#);
            }
            out.push('}');
        }
        Style::Sleuth => {
            // Spring Boot's default console pattern with Sleuth's `[app,trace,span]`.
            let logger = logger_of(service, what);
            let _ = write!(
                out,
                "{} {level:>5} [{service},{},{}] 1 --- [nio-8080-exec-{}] {logger:<40} : {msg}",
                local_ms(shown_ns),
                t.trace_id,
                s.span_id,
                thread_of(t, si)
            );
            stack_trace(&mut out, what);
        }
        Style::LogbackRequestId => {
            let logger = logger_of(service, what);
            let _ = write!(
                out,
                "{} [http-nio-8080-exec-{}] {level:<5} {logger} [requestId={}] - {msg}",
                local_ms(shown_ns),
                thread_of(t, si),
                t.request_id
            );
            stack_trace(&mut out, what);
        }
        Style::Access | Style::AccessIds => {
            let ip = 10 + (s.start_ns / 7 % 200);
            let _ = write!(
                out,
                "10.0.{}.{} - - [{}] \"{req} HTTP/1.1\" {} {} \"-\" \"okhttp/4.12.0\" {:.3} {}",
                ip % 7,
                ip,
                nginx_time(shown_ns),
                s.status,
                if s.failed() { 157 } else { 512 },
                dur_ms / 1000.0,
                t.request_id
            );
            if style == Style::AccessIds {
                let _ = write!(out, " trace_id={} span_id={}", t.trace_id, s.span_id);
            } else if s.service == 0 {
                let _ = write!(out, " trace_id={}", t.trace_id);
            }
        }
    }
    out.push('\n');
    out
}

/// The request thread (1..=16) a span's lines are written from: a client
/// call is made from the thread serving its parent.
fn thread_of(t: &TruthTrace, si: usize) -> u64 {
    let s = &t.spans[si];
    let server = if s.is_server() {
        s
    } else {
        &t.spans[s.parent.unwrap_or(si)]
    };
    1 + (server.start_ns as u64 / 1000) % 16
}

/// ` 200`: the status as a text line writes it; nothing for work without one.
fn status_word(s: &TruthSpan) -> String {
    if s.status == 0 {
        String::new()
    } else {
        format!(" {}", s.status)
    }
}

/// The message of a JSON line (its fields carry status and duration).
fn msg_only(what: What, s: &TruthSpan, callee: &str) -> String {
    match what {
        What::ServerStart => "request started".into(),
        What::ServerEnd => "request completed".into(),
        What::ServerError => format!("request failed with {}", s.status),
        What::ClientStart => format!("calling {callee}"),
        What::ClientEnd => format!("{callee} answered"),
    }
}

fn logger_of(service: &str, what: What) -> String {
    let pkg = service.replace('-', "");
    match what {
        What::ClientStart | What::ClientEnd => format!("c.e.{pkg}.client.HttpClient"),
        _ => format!("c.e.{pkg}.web.RequestLog"),
    }
}

fn stack_trace(out: &mut String, what: What) {
    if what == What::ServerError {
        out.push_str("\njava.lang.IllegalStateException: upstream unavailable");
        out.push_str("\n\tat com.example.web.Controller.handle(Controller.java:42)");
        out.push_str("\n\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:897)");
    }
}

/// (year, month, day) of a day number since 1970-01-01 (proleptic Gregorian).
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// (date, seconds of the day, ns of the second) of a time.
fn parts(ns: i64) -> ((i64, u32, u32), i64, i64) {
    let secs = ns.div_euclid(1_000_000_000);
    (
        civil(secs.div_euclid(86_400)),
        secs.rem_euclid(86_400),
        ns.rem_euclid(1_000_000_000),
    )
}

/// `2024-03-01T12:00:00.123456Z`
pub fn rfc3339_us(ns: i64) -> String {
    let ((y, mo, d), s, sub) = parts(ns);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        s / 3600,
        s / 60 % 60,
        s % 60,
        sub / 1000
    )
}

/// `2024-03-01 12:00:00.123` (logback's default, no zone: read as UTC).
pub fn local_ms(ns: i64) -> String {
    let ((y, mo, d), s, sub) = parts(ns);
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}.{:03}",
        s / 3600,
        s / 60 % 60,
        s % 60,
        sub / 1_000_000
    )
}

/// `01/Mar/2024:12:00:00 +0000`
pub fn nginx_time(ns: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let ((y, mo, d), s, _) = parts(ns);
    format!(
        "{d:02}/{}/{y:04}:{:02}:{:02}:{:02} +0000",
        MONTHS[mo as usize - 1],
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}
