//! An [`Ingested`] input -> the `inspect` report, as text or JSON.
//!
//! Per file: format and how sure, lines, events, continuation and unparsed
//! lines with examples, time range, services, correlation id fields; then
//! totals and the paths that could not be used.

use std::fmt::Write;

use crate::ingest::{FileReport, Ingested};

use super::{bytes, percent, thousands};

/// Totals over all files.
#[derive(Debug, Default, serde::Serialize)]
pub struct Totals {
    pub files: usize,
    pub skipped: usize,
    pub bytes: u64,
    #[serde(flatten)]
    pub counts: crate::ingest::chunk::LineCounts,
    pub first: Option<String>,
    pub last: Option<String>,
}

/// Adds up the files.
pub fn totals(input: &Ingested) -> Totals {
    let mut t = Totals {
        files: input.files.len(),
        ..Default::default()
    };
    let (mut lo, mut hi) = (None::<i64>, None::<i64>);
    for f in &input.files {
        t.skipped += usize::from(f.skipped.is_some());
        t.bytes += f.bytes;
        t.counts.add(&f.counts);
        if let Some(a) = f.first_ns {
            lo = Some(lo.map_or(a, |l| l.min(a)));
        }
        if let Some(b) = f.last_ns {
            hi = Some(hi.map_or(b, |h| h.max(b)));
        }
    }
    t.first = lo.map(crate::ingest::time::format_rfc3339_ms);
    t.last = hi.map(crate::ingest::time::format_rfc3339_ms);
    t
}

/// The report as JSON: `{"files": [...], "problems": [...], "totals": {...}}`,
/// and `config_warnings` when a config entry matches no file.
pub fn json(input: &Ingested) -> String {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        files: &'a [FileReport],
        problems: &'a [crate::ingest::discover::FileProblem],
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        config_warnings: &'a [String],
        totals: Totals,
    }
    let doc = Doc {
        files: &input.files,
        problems: &input.problems,
        config_warnings: &input.config_warnings,
        totals: totals(input),
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("plain data serializes");
    s.push('\n');
    s
}

/// The report as text for a terminal, at most 100 columns wide.
pub fn text(input: &Ingested) -> String {
    let mut out = String::new();
    for f in &input.files {
        file_text(f, &mut out);
    }
    for p in &input.problems {
        let _ = writeln!(out, "{}\n  not read: {}\n", p.path, p.reason);
    }
    for w in &input.config_warnings {
        let _ = writeln!(out, "warning: {w}\n");
    }
    let t = totals(input);
    let _ = writeln!(
        out,
        "total: {} files{}, {}, {} lines, {} events, {} continuation, {} unparsed ({})",
        t.files,
        if t.skipped > 0 {
            format!(" ({} skipped)", t.skipped)
        } else {
            String::new()
        },
        bytes(t.bytes),
        thousands(t.counts.lines),
        thousands(t.counts.events),
        thousands(t.counts.continuation),
        thousands(t.counts.unparsed),
        percent(t.counts.unparsed, t.counts.lines),
    );
    if let (Some(a), Some(b)) = (&t.first, &t.last) {
        let _ = writeln!(out, "time:  {a} .. {b}");
    }
    // Paths, services and id field names come from the input: each line is
    // made safe for the terminal (the text has no colour of its own).
    out.lines()
        .fold(String::with_capacity(out.len()), |mut acc, l| {
            acc.push_str(&crate::safe::terminal(l));
            acc.push('\n');
            acc
        })
}

fn file_text(f: &FileReport, out: &mut String) {
    let mut head = format!("{}  [{}", f.path, f.format);
    if f.confidence > 0.0 && f.confidence < 1.0 {
        let _ = write!(head, " {:.0}%", f.confidence * 100.0);
    }
    head.push(']');
    if f.compression != crate::ingest::read::Compression::None {
        let _ = write!(head, " {:?}", f.compression);
        head = head
            .replace("Gzip", "gzip")
            .replace("Zstd", "zstd")
            .replace("Bzip2", "bzip2");
    }
    let _ = writeln!(out, "{head}");
    if let Some(why) = &f.skipped {
        let _ = writeln!(out, "  skipped: {why}\n");
        return;
    }
    // Formats that batch records on a line (OTLP JSON) give more events than lines.
    let batched = if f.counts.events != f.counts.entries {
        format!(" from {} entry lines", thousands(f.counts.entries))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  {} lines, {} events{batched}, {} continuation, {} unparsed ({}), {} errors",
        thousands(f.counts.lines),
        thousands(f.counts.events),
        thousands(f.counts.continuation),
        thousands(f.counts.unparsed),
        percent(f.counts.unparsed, f.counts.lines),
        thousands(f.counts.errors),
    );
    let mut damage = Vec::new();
    for (n, what) in [
        (f.counts.invalid_utf8, "invalid UTF-8"),
        (f.counts.binary_lines, "binary"),
        (f.counts.long_lines, "over 1 MiB"),
        (f.counts.crlf, "CRLF"),
        (f.counts.headers, "headers (#Fields:)"),
        (f.counts.untimed, "events without time"),
    ] {
        if n > 0 {
            damage.push(format!("{} {what}", thousands(n)));
        }
    }
    if !damage.is_empty() {
        let _ = writeln!(out, "  lines: {}", damage.join(", "));
    }
    if let Some(p) = &f.problem {
        let _ = writeln!(out, "  problem: {p}");
    }
    if let Some(c) = &f.changed {
        let _ = writeln!(out, "  changed: {c}");
    }
    if let (Some(a), Some(b)) = (&f.first, &f.last) {
        let _ = writeln!(out, "  time: {a} .. {b}");
    }
    if !f.services.is_empty() {
        let _ = writeln!(out, "  services: {}", counted(&f.services, 6));
    }
    if !f.id_fields.is_empty() {
        let _ = writeln!(out, "  id fields: {}", counted(&f.id_fields, 6));
    }
    if f.requests.total() > 0 {
        let r = &f.requests;
        let classes: Vec<String> = [
            (r.c1, "1xx"),
            (r.c2, "2xx"),
            (r.c3, "3xx"),
            (r.c4, "4xx"),
            (r.c5, "5xx"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, c)| format!("{c} {}", thousands(*n)))
        .collect();
        let _ = writeln!(out, "  requests: {}", classes.join(", "));
    }
    if !f.durations.is_empty() {
        let parts: Vec<String> = f.durations.iter().take(4).map(duration_text).collect();
        let more = f.durations.len().saturating_sub(4);
        let more = if more > 0 {
            format!("; and {more} more")
        } else {
            String::new()
        };
        let _ = writeln!(out, "  durations: {}{more}", parts.join("; "));
    }
    for ex in &f.unparsed_examples {
        // The line as kept (its first 200 characters), whole, wrapped to the
        // terminal's 100 columns under the reason it was not read.
        let _ = writeln!(out, "  unparsed line {}: {}:", ex.line, ex.reason);
        let chars: Vec<char> = ex.text.chars().collect();
        for piece in chars.chunks(EXAMPLE_WIDTH) {
            let _ = writeln!(out, "    | {}", piece.iter().collect::<String>());
        }
    }
    out.push('\n');
}

/// Characters of an unparsed example per line of text output (4 + 2 + 94 columns).
const EXAMPLE_WIDTH: usize = 94;

/// `1,234 from dur (ms in the value)`: where a file's durations came from and
/// how their unit was known; an assumed unit says so.
fn duration_text(d: &crate::ingest::chunk::DurationField) -> String {
    use crate::ingest::event::UnitBasis;
    let from = match d.field.as_str() {
        "" => "by position".to_owned(),
        "message" => "in the message".to_owned(),
        f => format!("from {f}"),
    };
    let unit = d.unit.name();
    let how = match d.basis {
        UnitBasis::Key => format!("{unit}, from the name"),
        UnitBasis::Value => format!("{unit}, in the value"),
        UnitBasis::Format => format!("{unit}, the format's unit"),
        UnitBasis::Assumed => format!("{unit} assumed: no unit written"),
        UnitBasis::Config => format!("{unit}, from the config"),
    };
    format!("{} {from} ({how})", thousands(d.count))
}

fn counted(items: &[(String, u64)], max: usize) -> String {
    let mut parts: Vec<String> = items
        .iter()
        .take(max)
        .map(|(k, c)| format!("{k} ({})", thousands(*c)))
        .collect();
    if items.len() > max {
        parts.push(format!("and {} more", items.len() - max));
    }
    parts.join(", ")
}
