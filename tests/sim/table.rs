//! Scores -> a plain-text table, one row per style and one for all.

use std::fmt::Write as _;

use super::clocks::OffsetCounts;
use super::score::{ratio, Counts};
use super::Outcome;

/// One row: `name` and its counts.
pub fn row(out: &mut String, name: &str, c: &Counts, o: &OffsetCounts) {
    let _ = writeln!(
        out,
        "{name:<12} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6} {:>5} {:>5} {:>9} {:>7} {:>9} {:>9}",
        c.dep_precision(),
        c.dep_recall(),
        c.graph_precision(),
        c.graph_recall(),
        c.tree_accuracy(),
        c.spans_logged,
        c.spans_lost,
        c.fragments,
        format!("{}/{}", c.async_found, c.async_links),
        c.async_reversed,
        format!("{}/{}", o.determined_within, o.determined),
        format!("{}/{}", o.wrong_confident, o.reported),
    );
}

/// The table of an outcome.
pub fn render(o: &Outcome) -> String {
    let mut out = header();
    for (style, c) in &o.score.by_style {
        let off = o.offsets.get(style).cloned().unwrap_or_default();
        row(&mut out, style.name(), c, &off);
    }
    let all = &o.score.all;
    row(&mut out, "all", all, &o.all_offsets());
    out.push_str(&summary(o));
    out.push_str(&mistakes(o));
    out
}

/// With `LOGTRACE_SIM_WHY` set: the wrong tree edges by style and mistake.
pub fn mistakes(o: &Outcome) -> String {
    let mut out = String::new();
    if std::env::var_os("LOGTRACE_SIM_WHY").is_some() {
        out.push_str("wrong tree edges, by style and mistake:\n");
        for ((style, why), n) in &o.score.wrong {
            let _ = writeln!(out, "  {:<12} {n:>6}  {why}", style.name());
        }
    }
    out
}

/// The header line of the table.
pub fn header() -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<12} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>5} {:>5} {:>9} {:>7} {:>9} {:>9}",
        "style",
        "dep.P",
        "dep.R",
        "grph.P",
        "grph.R",
        "tree",
        "spans",
        "lost",
        "frag",
        "async",
        "revrsd",
        "off<=5ms",
        "wrong>=.9"
    );
    out
}

/// The line under the table: grouping, failures, offsets.
pub fn summary(o: &Outcome) -> String {
    let mut out = String::new();
    let all = &o.score.all;
    let off = o.all_offsets();
    let _ = writeln!(
        out,
        "traces {} grouped exactly {} ({:.3}); failed: truth {} reported {} of which right {}; \
         lines in no trace {}; determined offsets max error {:.1} ms; offsets wrong {} of {} \
         (confident {}, wrong and confident {})",
        all.traces,
        all.traces_grouped,
        ratio(all.traces_grouped, all.traces),
        all.failed_truth,
        all.failed_reported,
        all.failed_matched,
        o.untraced_lines,
        off.determined_max_err_ns as f64 / 1e6,
        off.wrong,
        off.reported,
        off.confident,
        off.wrong_confident,
    );
    let _ = writeln!(
        out,
        "inferred parents {} (confidence >= 0.9: {}, of which wrong {}); trace extent right {} of {}; \
         root latency right {} of {}; waited-for calls marked async {}",
        all.inferred,
        all.inferred_confident,
        all.inferred_confident_wrong,
        all.extent_right,
        all.traces,
        all.root_latency_right,
        all.root_latencies,
        all.async_false,
    );
    by_tenth(&mut out, "inferred parents right", &all.by_confidence);
    by_tenth(&mut out, "service edges true", &all.edges_by_confidence);
    let _ = write!(
        out,
        "timing-placed spans right, by what held them in true time:"
    );
    for (k, &(n, right)) in all.by_holders.iter().enumerate().filter(|(_, b)| b.0 > 0) {
        let holders = [
            "none",
            "the parent only",
            "one other",
            "several",
            "own ends not logged to the ms",
        ][k];
        let _ = write!(out, " {holders}: {:.2} ({n})", right as f64 / n as f64);
    }
    let _ = writeln!(out);
    out
}

/// One line: `what, by confidence:` and per tenth of confidence with
/// anything in it, the share right and how many.
fn by_tenth(out: &mut String, what: &str, bins: &[(u64, u64); 10]) {
    let _ = write!(out, "{what}, by confidence:");
    for (k, &(n, right)) in bins.iter().enumerate().filter(|(_, b)| b.0 > 0) {
        let _ = write!(
            out,
            " {:.1}+ {:.2} ({n})",
            k as f64 / 10.0,
            right as f64 / n as f64
        );
    }
    let _ = writeln!(out);
}
