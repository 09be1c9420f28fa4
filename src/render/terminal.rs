//! A [`View`] of the report -> its summary for a terminal, at most 100 columns wide.
//!
//! Sections, each left out when it has nothing to say: input, window, traces,
//! services, slowest operations, incidents, error origins, slowest and failed
//! traces (with their ids, for `logtrace trace`), error templates, data
//! quality. Long names are shortened with `…` so columns stay aligned.
//! A number the logs do not give is never printed as 0: a row without
//! durations says `no durations`, a missing rate or duration `n/a`.
//! Colour is ANSI and only when asked; the text is the same without it.

use std::fmt::Write;

use crate::analyze::quality::not_read_whole;
use crate::analyze::summary::{LatencyMs, OperationStats, Summary, TraceRef};

/// A number the logs do not give.
const NA: &str = "n/a";

use super::confidence::{counted, folded_note};
use super::view::View;
use super::{cell, ms, percent, rate, rcell, shorten, thousands, Paint};

/// The widest line the summary writes.
pub const WIDTH: usize = 100;

/// The summary of a report. `top` caps every list; `color` turns on ANSI colour.
pub fn summary(v: &View<'_>, top: usize, color: bool) -> String {
    let s = v.summary;
    let p = Paint { color };
    let top = top.max(1);
    let mut out = String::new();
    input(&mut out, v, p);
    services(&mut out, s, top, p);
    operations(&mut out, s, top, p);
    incidents(&mut out, v, top, p);
    origins(&mut out, s, top, p);
    traces(&mut out, "Slowest traces", &s.traces.slowest, top, p);
    traces(&mut out, "Failed traces", &s.traces.failed, top, p);
    templates(&mut out, s, top, p);
    quality(&mut out, s, p);
    // Padding of a row's last column is not worth a terminal's trailing blanks.
    out.lines()
        .fold(String::with_capacity(out.len()), |mut acc, l| {
            acc.push_str(l.trim_end());
            acc.push('\n');
            acc
        })
}

/// The closing line: how much was read, how fast.
pub fn throughput(files: usize, bytes: u64, seconds: f64) -> String {
    let mb = bytes as f64 / 1e6;
    let speed = if seconds > 0.0 { mb / seconds } else { 0.0 };
    format!(
        "read {} files, {mb:.1} MB in {seconds:.2} s ({speed:.0} MB/s)\n",
        thousands(files as u64)
    )
}

fn heading(out: &mut String, title: &str, p: Paint) {
    let _ = writeln!(out, "\n{}", p.bold(title));
}

fn input(out: &mut String, v: &View<'_>, p: Paint) {
    let s = v.summary;
    let i = &s.input;
    let unparsed = share(i.unparsed, i.lines, "unparsed", |s| p.yellow(s));
    let _ = writeln!(
        out,
        "{}  {} files · {} lines · {} events · {unparsed}",
        p.bold("Input"),
        thousands(i.files.len() as u64),
        thousands(i.lines),
        thousands(i.events),
    );
    let w = &s.window;
    if let (Some(a), Some(b)) = (&w.start, &w.end) {
        let span = match v.window {
            Some((x, y)) => format!("  ({})", duration(y.seconds_ms() - x.seconds_ms())),
            None => String::new(),
        };
        let _ = writeln!(out, "{}  {a} .. {b}{span}", p.bold("Window"));
    }
    let t = &s.traces;
    let failed = share(t.with_errors, t.count, "failed", |s| p.red(s));
    let _ = writeln!(
        out,
        "{}  {} · {failed} · {} across services",
        p.bold("Traces"),
        thousands(t.count),
        thousands(t.multi_service),
    );
}

/// `12 failed (3.4%)`, painted by `paint` when there are any.
fn share(n: u64, of: u64, what: &str, paint: impl Fn(&str) -> String) -> String {
    let s = format!("{} {what} ({})", thousands(n), percent(n, of));
    if n > 0 {
        paint(&s)
    } else {
        s
    }
}

fn services(out: &mut String, s: &Summary, top: usize, p: Paint) {
    if s.services.is_empty() {
        return;
    }
    // Services that only logged (syslog daemons, cron) handled no request:
    // they stay in report.json but would only pad this table.
    let mut list: Vec<_> = s.services.iter().filter(|sv| sv.spans > 0).collect();
    if list.is_empty() {
        return;
    }
    list.sort_by(|a, b| b.spans.cmp(&a.spans).then_with(|| a.name.cmp(&b.name)));
    heading(out, "Services", p);
    let _ = writeln!(
        out,
        "  {} {} {} {} {} {} {}",
        cell("service", 34),
        rcell("requests", 10),
        rcell("errors", 8),
        rcell("err rate", 8),
        rcell("4xx", 7),
        rcell("p50 ms", 10),
        rcell("p99 ms", 10)
    );
    for sv in list.iter().take(top) {
        let _ = writeln!(
            out,
            "  {} {} {} {} {} {}",
            cell(&sv.name, 34),
            rcell(&thousands(sv.spans), 10),
            errors_cell(sv.errors, 8, p),
            rate_cell(sv.error_rate, 8, p),
            rcell(&thousands(sv.client_errors), 7),
            latency_cells(&sv.latency_ms, 10),
        );
    }
    more(out, list.len(), top, p);
    if let Some(note) = crate::render::confidence::recovered_note(s) {
        let _ = writeln!(out, "  {}", p.dim(&shorten(&note, WIDTH - 2)));
    }
}

fn operations(out: &mut String, s: &Summary, top: usize, p: Paint) {
    let (mut list, untimed): (Vec<&OperationStats>, Vec<&OperationStats>) =
        s.operations.iter().partition(|o| o.latency_ms.is_some());
    if list.is_empty() {
        return;
    }
    let p99 = |o: &OperationStats| o.latency_ms.as_ref().map_or(0.0, |l| l.p99);
    list.sort_by(|a, b| {
        p99(b)
            .total_cmp(&p99(a))
            .then_with(|| a.service.cmp(&b.service))
            .then_with(|| a.name.cmp(&b.name))
    });
    heading(out, "Slowest operations (by p99)", p);
    let _ = writeln!(
        out,
        "  {} {} {} {} {} {} {}",
        cell("service", 14),
        cell("operation", 30),
        rcell("count", 8),
        rcell("errors", 7),
        rcell("err rate", 8),
        rcell("p50 ms", 10),
        rcell("p99 ms", 10)
    );
    for o in list.iter().take(top) {
        let _ = writeln!(
            out,
            "  {} {} {} {} {} {}",
            cell(&o.service, 14),
            cell(&o.name, 30),
            rcell(&thousands(o.count), 8),
            errors_cell(o.errors, 7, p),
            rate_cell(Some(o.error_rate), 8, p),
            latency_cells(&o.latency_ms, 10),
        );
    }
    more(out, list.len(), top, p);
    if !untimed.is_empty() {
        let names: Vec<String> = untimed
            .iter()
            .take(3)
            .map(|o| format!("{} {}", o.service, o.name))
            .collect();
        let rest = untimed.len().saturating_sub(3);
        let line = format!(
            "no durations, not listed: {}{}",
            names.join(", "),
            if rest > 0 {
                format!(" and {} more", thousands(rest as u64))
            } else {
                String::new()
            }
        );
        let _ = writeln!(out, "  {}", p.dim(&shorten(&line, WIDTH - 2)));
    }
}

fn incidents(out: &mut String, v: &View<'_>, top: usize, p: Paint) {
    let s = v.summary;
    if s.incidents.is_empty() {
        return;
    }
    heading(out, "Incidents", p);
    for (inc, times) in s.incidents.iter().zip(&v.incidents).take(top) {
        let span = match *times {
            (Some(x), Some(y)) => format!(" ({})", duration(y.seconds_ms() - x.seconds_ms())),
            _ => String::new(),
        };
        let when = format!("{} .. {}{span}", inc.start, clock(&inc.end, &inc.start));
        let _ = writeln!(out, "  {}", p.red(&shorten(&when, WIDTH - 2)));
        if !inc.summary.is_empty() {
            let _ = writeln!(out, "    {}", shorten(&inc.summary, WIDTH - 4));
        }
        for w in inc.worst.iter().take(3) {
            let name = format!("{} {}", w.service, w.operation);
            let p99 = match (w.baseline_p99_ms, w.incident_p99_ms) {
                (None, None) => cell("p99 no durations", 27),
                (b, i) => {
                    let v = |v: Option<f64>| v.map_or_else(|| NA.to_owned(), ms);
                    format!("p99 {} -> {} ms", rcell(&v(b), 8), rcell(&v(i), 8))
                }
            };
            let _ = writeln!(
                out,
                "    {} {p99} · errors {} -> {}",
                cell(&name, 36),
                rcell(
                    &w.baseline_error_rate.map_or_else(|| NA.to_owned(), rate),
                    6
                ),
                rcell(&rate(w.incident_error_rate), 6),
            );
        }
        if !inc.error_origins.is_empty() {
            let list: Vec<String> = inc
                .error_origins
                .iter()
                .take(5)
                .map(|o| format!("{} ({})", o.service, thousands(o.traces)))
                .collect();
            let line = format!("errors started in: {}", list.join(", "));
            let _ = writeln!(out, "    {}", shorten(&line, WIDTH - 4));
        }
    }
    more(out, s.incidents.len(), top, p);
}

fn origins(out: &mut String, s: &Summary, top: usize, p: Paint) {
    if s.error_origins.is_empty() {
        return;
    }
    heading(out, "Where failed traces started (error origin)", p);
    let total: u64 = s.error_origins.iter().map(|o| o.traces).sum();
    for o in s.error_origins.iter().take(top) {
        let _ = writeln!(
            out,
            "  {} {} traces {}",
            cell(&o.service, 34),
            rcell(&thousands(o.traces), 10),
            rcell(&percent(o.traces, total), 7),
        );
    }
    more(out, s.error_origins.len(), top, p);
}

fn traces(out: &mut String, title: &str, list: &[TraceRef], top: usize, p: Paint) {
    if list.is_empty() {
        return;
    }
    heading(out, title, p);
    let _ = writeln!(
        out,
        "  {} {} {} {} {}",
        cell("id", 34),
        cell("start", 12),
        rcell("ms", 9),
        cell("origin", 12),
        cell("root", 26),
    );
    for t in list.iter().take(top) {
        let origin = t.error_origin.as_deref().unwrap_or("-");
        let origin = if t.error_origin.is_some() {
            p.red(&cell(origin, 12))
        } else {
            cell(origin, 12)
        };
        let _ = writeln!(
            out,
            "  {} {} {} {origin} {}",
            cell(&t.id, 34),
            cell(clock(&t.start, ""), 12),
            rcell(&t.duration_ms.map_or_else(|| NA.to_owned(), ms), 9),
            cell(&t.root, 26),
        );
    }
    more(out, list.len(), top, p);
}

fn templates(out: &mut String, s: &Summary, top: usize, p: Paint) {
    if s.error_templates.is_empty() {
        return;
    }
    heading(out, "Top error messages", p);
    for t in s.error_templates.iter().take(top) {
        let _ = writeln!(
            out,
            "  {} {} {}",
            rcell(&thousands(t.count), 8),
            cell(&t.services.join(","), 16),
            shorten(&t.template, WIDTH - 28),
        );
    }
    more(out, s.error_templates.len(), top, p);
}

fn quality(out: &mut String, s: &Summary, p: Paint) {
    let q = &s.data_quality;
    let mut notes = Vec::new();
    // Inputs not read, or not read whole, come first: the numbers below
    // leave them out.
    let gaps = not_read_whole(&s.input);
    for (path, why) in gaps.iter().take(3) {
        notes.push(format!("not read whole: {path}: {why}"));
    }
    if gaps.len() > 3 {
        notes.push(format!(
            "… and {} more inputs not read whole (all in report.json, input)",
            thousands((gaps.len() - 3) as u64)
        ));
    }
    if s.input.unparsed > 0 {
        let worst = s
            .input
            .files
            .iter()
            .filter(|f| f.unparsed > 0)
            .max_by(|a, b| {
                a.unparsed
                    .cmp(&b.unparsed)
                    .then_with(|| b.path.cmp(&a.path))
            });
        let mut n = format!("{} lines could not be parsed", thousands(s.input.unparsed));
        if let Some(f) = worst {
            let _ = write!(n, " (most in {}: {})", f.path, thousands(f.unparsed));
        }
        notes.push(n);
    }
    let counts = [
        (q.events_without_id, "events carry no correlation id"),
        (q.single_event_ids, "ids occur on one event only"),
        (q.single_service_traces, "traces touch one service only"),
        (
            q.reused_ids,
            "ids were reused far apart in time (split into separate traces)",
        ),
    ];
    notes.extend(counts.iter().filter_map(|&(n, what)| counted(n, what)));
    notes.extend(folded_note(q));
    // The summary lists no calls between services: their inferred share in one line.
    let calls: u64 = s.dependencies.iter().map(|d| d.calls).sum();
    let inferred: u64 = s.dependencies.iter().map(|d| d.calls_inferred).sum();
    if inferred > 0 {
        let all = s
            .dependencies
            .iter()
            .filter(|d| d.calls > 0 && d.calls_inferred >= d.calls)
            .count();
        notes.push(format!(
            "{} of {} calls between services rest on timing alone ({}); {} of {} edges entirely",
            thousands(inferred),
            thousands(calls),
            super::confidence::inferred_share(inferred, calls),
            thousands(all as u64),
            thousands(s.dependencies.len() as u64)
        ));
    }
    let doubtful = super::confidence::doubtful_edges(s);
    if !doubtful.is_empty() {
        let more = doubtful.len().saturating_sub(3);
        notes.push(format!(
            "{} of {} edges under 50% confidence (likely wrong): {}{}",
            thousands(doubtful.len() as u64),
            thousands(s.dependencies.len() as u64),
            doubtful[..doubtful.len().min(3)].join(", "),
            if more > 0 {
                format!(", … ({more} more in report.json)")
            } else {
                String::new()
            }
        ));
    }
    notes.extend(super::confidence::parent_notes(q));
    let applied: Vec<_> = q.clock_offsets.iter().filter(|c| c.applied).collect();
    for c in applied.iter().take(5) {
        let window = match (&c.from, &c.to) {
            (None, None) => String::new(),
            _ => format!(", {}", super::confidence::offset_window(c)),
        };
        notes.push(format!(
            "{}: clock {:+.0} ms off (confidence {:.0}%, range {} ms{window}); corrected",
            c.file.as_deref().unwrap_or(&c.service),
            c.offset_ms,
            c.confidence * 100.0,
            super::confidence::offset_range(c),
        ));
    }
    if applied.len() > 5 {
        notes.push(format!(
            "… and {} more clock offsets corrected (report.json, data_quality.clock_offsets)",
            applied.len() - 5
        ));
    }
    if notes.is_empty() {
        return;
    }
    heading(out, "Data quality", p);
    for n in notes {
        let _ = writeln!(out, "  {}", shorten(&format!("- {n}"), WIDTH - 2));
    }
}

fn more(out: &mut String, len: usize, top: usize, p: Paint) {
    if len > top {
        let _ = writeln!(
            out,
            "  {}",
            p.dim(&format!(
                "… and {} more in report.json",
                thousands((len - top) as u64)
            ))
        );
    }
}

fn errors_cell(n: u64, w: usize, p: Paint) -> String {
    let c = rcell(&thousands(n), w);
    if n > 0 {
        p.red(&c)
    } else {
        c
    }
}

fn rate_cell(r: Option<f64>, w: usize, p: Paint) -> String {
    let Some(r) = r else {
        return rcell(NA, w);
    };
    let c = rcell(&rate(r), w);
    if r >= 0.05 {
        p.red(&c)
    } else {
        c
    }
}

/// The p50 and p99 cells, each `w` wide, or `no durations` across both.
fn latency_cells(l: &Option<LatencyMs>, w: usize) -> String {
    match l {
        None => rcell("no durations", 2 * w + 1),
        Some(l) => format!("{} {}", rcell(&ms(l.p50), w), rcell(&ms(l.p99), w)),
    }
}

/// `2024-03-01T12:31:02.114Z` -> `12:31:02.114`, unless its date differs from `same_day_as`'s
/// (an empty `same_day_as` always drops the date).
fn clock<'a>(t: &'a str, same_day_as: &str) -> &'a str {
    let date = t.get(..10);
    let keep_date = !same_day_as.is_empty() && date != same_day_as.get(..10);
    match t.find('T') {
        Some(i) if !keep_date => t[i + 1..].trim_end_matches('Z'),
        _ => t,
    }
}

/// A length of time for people: `45.0 s`, `12m 30s`, `3h 05m`, `2d 4h`.
fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "-".into();
    }
    let s = secs.round() as u64;
    if secs < 60.0 {
        format!("{secs:.1} s")
    } else if s < 3600 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else if s < 86_400 {
        format!("{}h {:02}m", s / 3600, s % 3600 / 60)
    } else {
        format!("{}d {}h", s / 86_400, s % 86_400 / 3600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::summary::*;

    fn lat(p50: f64, p99: f64) -> Option<LatencyMs> {
        Some(LatencyMs {
            count: 100,
            p50,
            p99,
            ..Default::default()
        })
    }

    /// A summary with every section filled, names long enough to need shortening.
    fn example() -> Summary {
        let tref = |id: &str, d: Option<f64>, origin: Option<&str>| TraceRef {
            id: id.into(),
            start: "2024-03-01T12:31:02.114Z".into(),
            duration_ms: d,
            root: "edge GET /api/orders/{id}/items/{id}/very/long/route".into(),
            services: vec!["edge".into(), "orders".into(), "payments".into()],
            error_origin: origin.map(str::to_owned),
        };
        Summary {
            schema_version: SCHEMA_VERSION,
            input: Input {
                lines: 10_000,
                events: 9_990,
                unparsed: 10,
                files: vec![InputFile {
                    path: "payments/payments.log".into(),
                    format: "json".into(),
                    lines: 10_000,
                    events: 9_990,
                    unparsed: 10,
                    ..Default::default()
                }],
                ..Default::default()
            },
            window: Window {
                start: Some("2024-03-01T12:00:00.000Z".into()),
                end: Some("2024-03-01T13:00:00.000Z".into()),
            },
            services: vec![
                ServiceStats {
                    name: "edge".into(),
                    events: 5000,
                    spans: 1200,
                    errors: 96,
                    recovered_errors: 0,
                    client_errors: 12,
                    error_rate: Some(0.08),
                    latency_ms: lat(12.34, 812.0),
                    histogram: Vec::new(),
                },
                ServiceStats {
                    name: "a-service-with-a-name-far-longer-than-any-column-allows".into(),
                    events: 10,
                    spans: 10,
                    error_rate: Some(0.0),
                    latency_ms: lat(1.0, 2.0),
                    ..Default::default()
                },
                // An access log without a response-time field.
                ServiceStats {
                    name: "web".into(),
                    events: 40,
                    spans: 40,
                    errors: 4,
                    error_rate: Some(0.1),
                    latency_ms: None,
                    ..Default::default()
                },
            ],
            operations: vec![
                OperationStats {
                    service: "payments".into(),
                    name: "POST /v1/charges/{id}/capture?with=a&very=long&query=string".into(),
                    count: 300,
                    errors: 80,
                    recovered_errors: 0,
                    client_errors: 0,
                    error_rate: 0.2667,
                    latency_ms: lat(110.0, 2400.0),
                },
                OperationStats {
                    service: "web".into(),
                    name: "GET /checkout".into(),
                    count: 40,
                    errors: 4,
                    error_rate: 0.1,
                    latency_ms: None,
                    ..Default::default()
                },
            ],
            traces: TraceStats {
                count: 1200,
                with_errors: 96,
                multi_service: 1150,
                slowest: vec![tref("req-000123", Some(2412.5), None)],
                failed: vec![
                    tref(
                        "4bf92f3577b34da6a3ce929d0e0e4736-and-some-more",
                        Some(812.0),
                        Some("payments"),
                    ),
                    tref("req-one-line", None, Some("web")),
                ],
            },
            error_origins: vec![OriginCount {
                service: "payments".into(),
                traces: 80,
            }],
            incidents: vec![Incident {
                start: "2024-03-01T12:31:00.000Z".into(),
                end: "2024-03-01T12:39:00.000Z".into(),
                summary: "error rate 1.0% -> 31.0%, p99 120 ms -> 2,400 ms".into(),
                worst: vec![
                    Worst {
                        service: "payments".into(),
                        operation: "POST /v1/charges".into(),
                        baseline_p99_ms: Some(110.0),
                        incident_p99_ms: Some(2400.0),
                        baseline_error_rate: Some(0.01),
                        incident_error_rate: 0.45,
                    },
                    Worst {
                        service: "web".into(),
                        operation: "GET /checkout".into(),
                        baseline_p99_ms: None,
                        incident_p99_ms: None,
                        baseline_error_rate: None,
                        incident_error_rate: 0.4,
                    },
                ],
                error_origins: vec![OriginCount {
                    service: "payments".into(),
                    traces: 70,
                }],
            }],
            error_templates: vec![ErrorTemplate {
                template: "upstream timed out after <num> ms ".repeat(8),
                count: 70,
                services: vec!["payments".into(), "orders".into()],
                example: "upstream timed out after 2000 ms".into(),
            }],
            dependencies: vec![
                Dependency {
                    caller: "web".into(),
                    callee: "payments".into(),
                    calls: 1_000,
                    calls_inferred: 1_000,
                    ..Default::default()
                },
                Dependency {
                    caller: "web".into(),
                    callee: "auth".into(),
                    calls: 3_000,
                    calls_inferred: 500,
                    ..Default::default()
                },
            ],
            data_quality: DataQuality {
                events_without_id: 40,
                clock_offsets: vec![ClockOffsetOut {
                    service: "payments".into(),
                    offset_ms: 250.0,
                    confidence: 0.93,
                    file: Some("payments/payments.log".into()),
                    low_ms: Some(248.0),
                    high_ms: Some(251.5),
                    samples: 40,
                    applied: true,
                    ..Default::default()
                }],
                inferred_parents: 120,
                ambiguous_parents: 7,
                async_links: 3,
                placeholder_parents: 2,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn every_line_fits_100_columns_with_and_without_colour() {
        for color in [false, true] {
            let text = summary(&View::of_summary(&example()), 10, color);
            for line in text.lines() {
                assert!(
                    super::super::width(line) <= WIDTH,
                    "{} > 100: {line}",
                    line.len()
                );
            }
        }
    }

    #[test]
    fn no_escape_codes_without_colour() {
        let plain = summary(&View::of_summary(&example()), 10, false);
        assert!(!plain.contains('\x1b'));
        assert!(summary(&View::of_summary(&example()), 10, true).contains("\x1b[31m"));
    }

    #[test]
    fn sections_show_the_numbers_and_the_ids() {
        let text = summary(&View::of_summary(&example()), 10, false);
        for want in [
            "Input  1 files · 10,000 lines · 9,990 events · 10 unparsed (0.1%)",
            "(1h 00m)",
            "Traces  1,200 · 96 failed (8.0%) · 1,150 across services",
            "12.3",
            "2,400",
            "26.7%",
            "req-000123",
            "12:31:02.114",
            "4bf92f3577b34da6a3ce929d0e0e4736-…",
            "a-service-with-a-name-far-longer-…",
            "2024-03-01T12:31:00.000Z .. 12:39:00.000 (8m 00s)",
            "errors started in: payments (70)",
            "payments/payments.log: clock +250 ms off (confidence 93%, \
             range +248.0 .. +251.5 ms); corrected",
            "120 parents inferred from timing, not logged ids (7 with several possible callers)",
            "1,500 of 4,000 calls between services rest on timing alone (37.5%); 1 of 2 edges \
             entirely",
            "3 spans started after their parent ended: async hops (queued jobs, calls not \
             waited for)",
            "2 parent span ids appear only as their children's parent: shown as \"(not in logs)\"",
            "10 lines could not be parsed (most in payments/payments.log: 10)",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
    }

    #[test]
    fn numbers_not_in_the_logs_are_said_missing_not_zero() {
        let text = summary(&View::of_summary(&example()), 10, false);
        let line = |start: &str| {
            text.lines()
                .find(|l| l.trim_start().starts_with(start))
                .unwrap_or_else(|| panic!("no line {start:?} in\n{text}"))
                .to_owned()
        };
        // The service row: its latency columns say so, its error rate stays.
        let web = line("web ");
        assert!(
            web.ends_with("no durations") && web.contains("10.0%"),
            "{web}"
        );
        // The operation is not among the slowest, and is named as not listed.
        assert!(!line("payments ").contains("no durations"));
        assert!(
            text.contains("no durations, not listed: web GET /checkout"),
            "{text}"
        );
        // The incident row: no p99 on either side, no baseline error rate.
        let worst = line("web GET /checkout ");
        assert!(worst.contains("p99 no durations"), "{worst}");
        assert!(worst.contains("errors    n/a ->  40.0%"), "{worst}");
        // A trace of one line has no duration.
        assert!(line("req-one-line").contains(" n/a "), "{text}");
    }

    #[test]
    fn top_caps_the_lists() {
        let text = summary(&View::of_summary(&example()), 1, false);
        assert!(text.contains("… and 1 more in report.json"), "{text}");
        assert!(!text.contains("a-service-with"));
    }

    #[test]
    fn an_empty_summary_still_renders() {
        let text = summary(&View::of_summary(&Summary::default()), 10, false);
        assert!(text.starts_with("Input  0 files"));
        assert!(!text.contains("Services"));
    }

    #[test]
    fn throughput_line() {
        assert_eq!(
            throughput(12, 250_000_000, 1.0),
            "read 12 files, 250.0 MB in 1.00 s (250 MB/s)\n"
        );
        assert!(throughput(0, 0, 0.0).contains("(0 MB/s)"));
    }
}
