//! A [`Diff`] -> text: a terminal table (at most 100 columns), Markdown, JSON.
//!
//! Renderers return strings; the binary prints them. Each section lists at
//! most `top` rows, most changed first; `--json` always holds every row.
//! A latency a report does not have (no durations) is `n/a`, and so is its
//! change; a threshold that could check no row is tagged `n/a`, not `ok`.

use super::check::signed_ms;
use super::model::*;
use crate::render::{cell, ms, rate, rcell, shorten, thousands, Paint};
use crate::safe;

/// Width of the name column in the terminal table.
const NAME_W: usize = 31;

/// `--json`: the whole diff, indented, with a final newline.
pub fn json(d: &Diff) -> String {
    let mut s =
        serde_json::to_string_pretty(d).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// What a missing latency reads as.
const NA: &str = "n/a";

/// A latency, or `n/a` where the run has no durations.
fn ms_or_na(v: Option<f64>) -> String {
    v.map_or_else(|| NA.to_owned(), ms)
}

/// A latency change, or `n/a` where either run has no durations.
fn signed_ms_or_na(v: Option<f64>) -> String {
    v.map_or_else(|| NA.to_owned(), signed_ms)
}

/// A relative change for a narrow cell: `+12%`, `-3%`, `×14` past +999%.
fn pct_cell(p: Option<f64>) -> String {
    match p {
        None => "-".into(),
        Some(p) if p >= 999.5 => format!("×{:.0}", 1.0 + p / 100.0),
        Some(p) if p.abs() < 0.5 => "0%".into(),
        Some(p) => format!("{p:+.0}%"),
    }
}

/// A latency's relative change: `n/a` when a run has no durations, `-`
/// when BASE is 0.
fn change_cell(delta: Option<f64>, pct: Option<f64>) -> String {
    match delta {
        None => NA.to_owned(),
        Some(_) => pct_cell(pct),
    }
}

fn pp_cell(pp: f64) -> String {
    if pp.abs() < 0.05 {
        "0pp".into()
    } else {
        format!("{pp:+.1}pp")
    }
}

fn side_line(label: &str, s: &Side) -> String {
    let window = match (&s.window_start, &s.window_end) {
        (Some(a), Some(b)) => format!("{a} .. {b}"),
        _ => "no timed events".into(),
    };
    let rest = format!(
        "{window}  {} traces, {} failed",
        thousands(s.traces),
        thousands(s.failed_traces)
    );
    let (path, rest) = (safe::terminal(&s.path), safe::terminal(&rest));
    let one = format!("{label}  {path}  {rest}");
    if one.chars().count() <= 100 {
        format!("{one}\n")
    } else {
        format!("{label}  {path}\n      {rest}\n")
    }
}

/// The terminal table.
pub fn terminal(d: &Diff, top: usize, min_count: u64, color: bool) -> String {
    let p = Paint { color };
    let mut out = String::new();
    out.push_str(&side_line("BASE", &d.base));
    out.push_str(&side_line("NEW ", &d.new));
    for (title, rows, first) in [
        ("Services", &d.services, "service"),
        ("Operations", &d.operations, "operation"),
        ("Chains", &d.chains, "chain"),
    ] {
        out.push('\n');
        out.push_str(&p.bold(&section_title(title, rows)));
        out.push('\n');
        if rows.is_empty() {
            out.push_str("  none\n");
            continue;
        }
        out.push_str(&p.dim(&format!(
            "  {} {} {} {} {} {} {} {} {} {}",
            cell(first, NAME_W),
            rcell("requests", 8),
            rcell("Δ", 6),
            rcell("err %", 6),
            rcell("Δ", 7),
            rcell("p50 ms", 6),
            rcell("Δ", 6),
            rcell("p99 ms", 6),
            rcell("→ new", 6),
            rcell("Δ", 6),
        )));
        out.push('\n');
        for r in rows.iter().take(top) {
            out.push_str(&row_line(r, min_count, p));
            out.push('\n');
        }
        if rows.len() > top {
            out.push_str(&p.dim(&format!(
                "  … and {} more with smaller changes (--top, --json)\n",
                rows.len() - top
            )));
        }
    }
    let templates: Vec<&TemplateChange> = d
        .error_templates
        .iter()
        .filter(|t| t.base_count != t.new_count)
        .collect();
    out.push('\n');
    out.push_str(&p.bold("Error messages"));
    out.push('\n');
    if templates.is_empty() {
        out.push_str("  no change\n");
    }
    for t in templates.iter().take(top) {
        let (tag, counts) = match t.presence {
            Presence::New => (p.yellow("new "), thousands(t.new_count)),
            Presence::Vanished => ("gone".to_owned(), thousands(t.base_count)),
            Presence::Both => (
                "    ".to_owned(),
                format!("{} -> {}", thousands(t.base_count), thousands(t.new_count)),
            ),
        };
        let services = safe::terminal(&t.services.join(", ")).into_owned();
        let room = 100usize.saturating_sub(2 + 4 + 1 + 15 + 1 + 3 + services.chars().count());
        out.push_str(&format!(
            "  {tag} {} {} ({services})\n",
            rcell(&counts, 15),
            shorten(&t.template, room.max(20))
        ));
    }
    if templates.len() > top {
        out.push_str(&p.dim(&format!("  … and {} more\n", templates.len() - top)));
    }
    out.push('\n');
    out.push_str(&p.bold("Where failed traces started (share of failed traces)"));
    out.push('\n');
    if d.error_origins.is_empty() {
        out.push_str("  no failed traces in either run\n");
    }
    for o in d.error_origins.iter().take(top) {
        let tag = match o.presence {
            Presence::New => p.yellow("new origin"),
            Presence::Vanished => "gone".into(),
            Presence::Both => String::new(),
        };
        let moved = pp_cell(o.share_pp);
        let moved = if o.share_pp >= 10.0 {
            p.red(&moved)
        } else {
            moved
        };
        out.push_str(&format!(
            "  {} {} -> {} {}  {} -> {} traces  {tag}\n",
            cell(&o.service, 20),
            rcell(&rate(o.base_share), 6),
            rcell(&rate(o.new_share), 6),
            rcell(&moved, 8),
            thousands(o.base_traces),
            thousands(o.new_traces),
        ));
    }
    out.push_str(&thresholds_text(&d.thresholds, p));
    out
}

fn section_title(title: &str, rows: &[Row]) -> String {
    let count = |pr| rows.iter().filter(|r| r.presence == pr).count();
    let (n, v) = (count(Presence::New), count(Presence::Vanished));
    let mut s = format!("{title} ({}", rows.len());
    if n > 0 {
        s.push_str(&format!(", {n} new"));
    }
    if v > 0 {
        s.push_str(&format!(", {v} vanished"));
    }
    s.push(')');
    s
}

fn row_name(r: &Row) -> String {
    match (r.service.is_empty(), r.name.is_empty()) {
        (false, true) => r.service.clone(),
        (true, _) => r.name.clone(),
        (false, false) => format!("{} {}", r.service, r.name),
    }
}

fn row_line(r: &Row, min_count: u64, p: Paint) -> String {
    let name = cell(&row_name(r), NAME_W);
    let Some(c) = &r.change else {
        let (m, tag) = match (&r.new, &r.base) {
            (Some(m), _) if r.presence == Presence::New => (m, p.yellow("new")),
            (_, Some(m)) => (m, "gone".to_owned()),
            _ => return format!("  {name}"),
        };
        return format!(
            "  {name} {} {} {} {} {} {} {} {}",
            rcell(&thousands(m.count), 8),
            rcell(&tag, 6),
            rcell(&rate(m.error_rate), 6),
            rcell("", 7),
            rcell(&ms_or_na(m.p50_ms), 6),
            rcell("", 6),
            rcell("", 6),
            rcell(&ms_or_na(m.p99_ms), 6),
        )
        .trim_end()
        .to_owned();
    };
    let (Some(b), Some(n)) = (&r.base, &r.new) else {
        return format!("  {name}");
    };
    let enough = b.count.min(n.count) >= min_count;
    let worse_pct = |v: Option<f64>| enough && v.is_some_and(|v| v > 20.0);
    let paint = |s: String, bad: bool| if bad { p.red(&s) } else { s };
    format!(
        "  {name} {} {} {} {} {} {} {} {} {}",
        rcell(&thousands(n.count), 8),
        rcell(&pct_cell(c.count_pct), 6),
        rcell(&rate(n.error_rate), 6),
        paint(rcell(&pp_cell(c.error_rate_pp), 7), c.error_rate_pp > 1.0),
        rcell(&ms_or_na(n.p50_ms), 6),
        paint(
            rcell(&change_cell(c.p50_ms, c.p50_pct), 6),
            worse_pct(c.p50_pct)
        ),
        rcell(&ms_or_na(b.p99_ms), 6),
        rcell(&ms_or_na(n.p99_ms), 6),
        paint(
            rcell(&change_cell(c.p99_ms, c.p99_pct), 6),
            worse_pct(c.p99_pct)
        ),
    )
}

fn thresholds_text(results: &[ThresholdResult], p: Paint) -> String {
    if results.is_empty() {
        return String::new();
    }
    let mut out = format!("\n{}\n", p.bold("Thresholds (--fail-if)"));
    for r in results {
        let tag = if r.crossed {
            p.red("FAIL")
        } else if r.checked == 0 {
            p.yellow("n/a ")
        } else {
            "ok  ".into()
        };
        out.push_str(&format!("  {tag} {}\n", safe::terminal(&r.expr)));
        for b in &r.breaches {
            out.push_str(&wrapped(b, 7));
        }
        for s in &r.skipped {
            out.push_str(&p.dim(&wrapped(&format!("not checked: {s}"), 7)));
        }
    }
    let crossed = results.iter().filter(|r| r.crossed).count();
    out.push_str(&format!(
        "{crossed} of {} thresholds crossed\n",
        results.len()
    ));
    out
}

/// `text` indented by `indent`; a line past 100 columns breaks after its
/// first `": "` (between what crossed and by how much), and what still does
/// not fit is cut with `…` (`--json` and `--markdown` hold the whole text).
fn wrapped(text: &str, indent: usize) -> String {
    let text = &*safe::terminal(text);
    let pad = " ".repeat(indent);
    if indent + text.chars().count() <= 100 {
        return format!("{pad}{text}\n");
    }
    match text.split_once(": ") {
        Some((what, how)) => format!(
            "{pad}{}:\n{pad}  {}\n",
            shorten(what, 99 - indent),
            shorten(how, 98 - indent)
        ),
        None => format!("{pad}{}\n", shorten(text, 100 - indent)),
    }
}

/// Text from a report in Markdown: markup and control characters escaped
/// (a report.json may come from anywhere).
fn md(s: &str) -> String {
    crate::render::markdown::escape(s)
}

/// The user's own text (an expression) in a code span: control characters
/// escaped, and no backtick or `|` to end the span or the table cell.
fn md_code(s: &str) -> String {
    safe::terminal(s).replace('`', "'").replace('|', "\\|")
}

/// `--markdown`: the same sections as Markdown tables, every number shown.
pub fn markdown(d: &Diff, top: usize) -> String {
    let mut out = String::from("# logtrace diff\n\n");
    out.push_str("| | report | window | traces | failed |\n|---|---|---|---:|---:|\n");
    for (label, s) in [("BASE", &d.base), ("NEW", &d.new)] {
        out.push_str(&format!(
            "| {label} | {} | {} .. {} | {} | {} |\n",
            md(&s.path),
            md(s.window_start.as_deref().unwrap_or("-")),
            md(s.window_end.as_deref().unwrap_or("-")),
            s.traces,
            s.failed_traces
        ));
    }
    for (title, rows) in [
        ("Services", &d.services),
        ("Operations", &d.operations),
        ("Chains", &d.chains),
    ] {
        out.push_str(&format!("\n## {}\n\n", section_title(title, rows)));
        if rows.is_empty() {
            out.push_str("None.\n");
            continue;
        }
        out.push_str(
            "| name | requests | Δ | error rate | Δ | p50 ms | Δ ms | Δ | p99 ms | Δ ms | Δ |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for r in rows.iter().take(top) {
            out.push_str(&md_row(r));
        }
        if rows.len() > top {
            out.push_str(&format!(
                "\n{} more with smaller changes in `--json`.\n",
                rows.len() - top
            ));
        }
    }
    out.push_str("\n## Error messages\n\n");
    let templates: Vec<&TemplateChange> = d
        .error_templates
        .iter()
        .filter(|t| t.base_count != t.new_count)
        .take(top)
        .collect();
    if templates.is_empty() {
        out.push_str("No change.\n");
    } else {
        out.push_str("| | template | BASE | NEW | services |\n|---|---|---:|---:|---|\n");
        for t in templates {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                presence_word(t.presence),
                md(&t.template),
                t.base_count,
                t.new_count,
                md(&t.services.join(", "))
            ));
        }
    }
    out.push_str("\n## Where failed traces started\n\n");
    if d.error_origins.is_empty() {
        out.push_str("No failed traces in either run.\n");
    } else {
        out.push_str(
            "| service | | BASE share | NEW share | Δ | BASE traces | NEW traces |\n\
             |---|---|---:|---:|---:|---:|---:|\n",
        );
        for o in d.error_origins.iter().take(top) {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                md(&o.service),
                presence_word(o.presence),
                rate(o.base_share),
                rate(o.new_share),
                pp_cell(o.share_pp),
                o.base_traces,
                o.new_traces
            ));
        }
    }
    if !d.thresholds.is_empty() {
        out.push_str("\n## Thresholds\n\n");
        for r in &d.thresholds {
            out.push_str(&format!(
                "- **{}** `{}`\n",
                match (r.crossed, r.checked) {
                    (true, _) => "FAIL",
                    (false, 0) => "n/a",
                    _ => "ok",
                },
                md_code(&r.expr)
            ));
            for b in &r.breaches {
                out.push_str(&format!("  - {}\n", md(b)));
            }
            for s in &r.skipped {
                out.push_str(&format!("  - not checked: {}\n", md(s)));
            }
        }
    }
    out
}

fn presence_word(p: Presence) -> &'static str {
    match p {
        Presence::Both => "",
        Presence::New => "new",
        Presence::Vanished => "gone",
    }
}

fn md_row(r: &Row) -> String {
    let name = md(&row_name(r));
    match (&r.base, &r.new, &r.change) {
        (Some(b), Some(n), Some(c)) => format!(
            "| {name} | {} → {} | {} | {} → {} | {} | {} → {} | {} | {} | {} → {} | {} | {} |\n",
            b.count,
            n.count,
            pct_cell(c.count_pct),
            rate(b.error_rate),
            rate(n.error_rate),
            pp_cell(c.error_rate_pp),
            ms_or_na(b.p50_ms),
            ms_or_na(n.p50_ms),
            signed_ms_or_na(c.p50_ms),
            change_cell(c.p50_ms, c.p50_pct),
            ms_or_na(b.p99_ms),
            ms_or_na(n.p99_ms),
            signed_ms_or_na(c.p99_ms),
            change_cell(c.p99_ms, c.p99_pct),
        ),
        (_, Some(m), _) | (Some(m), None, _) => format!(
            "| {name} ({}) | {} | | {} | | {} | | | {} | | |\n",
            presence_word(r.presence),
            m.count,
            rate(m.error_rate),
            ms_or_na(m.p50_ms),
            ms_or_na(m.p99_ms)
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::width;

    fn example() -> Diff {
        let m = |count, errors: u64, p50, p99| Metrics {
            count,
            errors,
            error_rate: errors as f64 / count as f64,
            p50_ms: Some(p50),
            p99_ms: Some(p99),
            ..Default::default()
        };
        let both = |svc: &str, name: &str, b: Metrics, n: Metrics| Row {
            service: svc.into(),
            name: name.into(),
            change: Some(super::super::compare::changes(&b, &n)),
            base: Some(b),
            new: Some(n),
            ..Default::default()
        };
        Diff {
            operations: vec![
                both(
                    "inventory",
                    "POST /stock/{id}/reserve/with/a/very/long/name",
                    m(283, 21, 16.0, 200.0),
                    m(12_345_678, 9_000_000, 12_345.0, 123_456.0),
                ),
                Row {
                    service: "orders".into(),
                    name: "POST | pipe".into(),
                    presence: Presence::New,
                    new: Some(m(40, 2, 1.0, 2.0)),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn terminal_fits_100_columns() {
        let t = terminal(&example(), 10, 20, true);
        for line in t.lines() {
            assert!(width(line) <= 100, "{} columns: {line}", width(line));
        }
        assert!(t.contains("\x1b[31m"));
        assert!(!terminal(&example(), 10, 20, false).contains('\x1b'));
        assert!(t.contains("Operations (2, 1 new)"));
    }

    #[test]
    fn markdown_rows_have_every_column() {
        let m = markdown(&example(), 10);
        let header = m.lines().find(|l| l.starts_with("| name |")).unwrap();
        let cols = header.matches('|').count();
        for l in m
            .lines()
            .filter(|l| l.starts_with("| inventory") || l.starts_with("| orders"))
        {
            assert_eq!(
                l.matches('|').count() - l.matches("\\|").count(),
                cols,
                "{l}"
            );
        }
        assert!(m.contains("POST \\| pipe (new)"));
    }

    #[test]
    fn narrow_cells() {
        assert_eq!(pct_cell(Some(12.4)), "+12%");
        assert_eq!(pct_cell(Some(-0.2)), "0%");
        assert_eq!(pct_cell(Some(1300.0)), "×14");
        assert_eq!(pct_cell(None), "-");
        assert_eq!(pp_cell(2.345), "+2.3pp");
    }
}
