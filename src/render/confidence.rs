//! How sure the call chains are, in words and numbers the summaries share:
//! the inferred share and the confidence of an edge's calls, the data-quality notes on how
//! parents were found and on folded operations, and a clock offset's window
//! and range.
//!
//! Input: the report model ([`DataQuality`], [`ClockOffsetOut`]). Output:
//! short strings for the terminal, `summary.md`, `index.html` and charts.

use crate::analyze::summary::{ClockOffsetOut, DataQuality};
use crate::units::thousands;

/// The share of an edge's calls inferred from timing: `-` for none, `all`
/// for every one, else a percentage (never rounded to 0% or 100%).
pub fn inferred_share(inferred: u64, calls: u64) -> String {
    if inferred == 0 || calls == 0 {
        "-".into()
    } else if inferred >= calls {
        "all".into()
    } else {
        let p = inferred as f64 * 100.0 / calls as f64;
        format!("{:.1}%", p.clamp(0.1, 99.9))
    }
}

/// Below this confidence an edge between services is more likely wrong
/// than right (on the simulation, edges at 0.4-0.6 are true about half the
/// time): the summaries say so and the service map draws it faint.
pub const DOUBTFUL_EDGE: f64 = 0.5;

/// An edge's confidence as a percentage, `n/a` when the report has none.
pub fn edge_confidence(c: Option<f64>) -> String {
    c.map_or_else(|| "n/a".into(), |c| format!("{:.0}%", c * 100.0))
}

/// The edges below [`DOUBTFUL_EDGE`], as `caller → callee`.
pub fn doubtful_edges(s: &crate::analyze::summary::Summary) -> Vec<String> {
    s.dependencies
        .iter()
        .filter(|d| d.confidence.is_some_and(|c| c < DOUBTFUL_EDGE))
        .map(|d| format!("{} → {}", d.caller, d.callee))
        .collect()
}

/// What the data-quality section says about how parents were found; empty
/// when every parent came from logged ids.
pub fn parent_notes(q: &DataQuality) -> Vec<String> {
    let mut out = Vec::new();
    if q.inferred_parents > 0 {
        let mut n = format!(
            "{} parents inferred from timing, not logged ids",
            thousands(q.inferred_parents)
        );
        let of: Vec<String> = [
            counted(q.ambiguous_parents, "with several possible callers"),
            counted(q.unplaced_spans, "with none, put under the root"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !of.is_empty() {
            n.push_str(&format!(" ({})", of.join("; ")));
        }
        out.push(n);
    }
    out.extend(counted(
        q.async_links,
        "spans started after their parent ended: async hops (queued jobs, calls not waited for)",
    ));
    if q.placeholder_parents > 0 {
        out.push(format!(
            "{} parent span ids appear only as their children's parent: shown as \"{}\"",
            thousands(q.placeholder_parents),
            crate::analyze::NOT_IN_LOGS
        ));
    }
    out
}

/// How many errors their callers survived (retried, or degraded around),
/// over every service; nothing when none was.
pub fn recovered_note(s: &crate::analyze::summary::Summary) -> Option<String> {
    let n: u64 = s.services.iter().map(|x| x.recovered_errors).sum();
    counted(
        n,
        "errors recovered: a caller that waited for them did not fail (retried, worked around)",
    )
}

/// `n what`, `n` in thousands; nothing when `n` is 0 (a note that only
/// counts when something happened).
pub fn counted(n: u64, what: &str) -> Option<String> {
    (n > 0).then(|| format!("{} {what}", thousands(n)))
}

/// The note on operations folded into their service's `{other}` row; nothing
/// when none was.
pub fn folded_note(q: &DataQuality) -> Option<String> {
    counted(
        q.folded_operations,
        &format!(
            "rarely seen operations are counted in their service's {{other}} row (at most {} \
             operations listed per service)",
            crate::analyze::stats::MAX_OPERATIONS
        ),
    )
}

/// An offset's window: `whole run`, or its bounds as the clock logged them.
pub fn offset_window(c: &ClockOffsetOut) -> String {
    match (&c.from, &c.to) {
        (None, None) => "whole run".into(),
        (from, to) => format!(
            "{} .. {}",
            from.as_deref().unwrap_or("start"),
            to.as_deref().unwrap_or("end")
        ),
    }
}

/// The range of offsets the evidence allows: `+264.0 .. +302.0`.
pub fn offset_range(c: &ClockOffsetOut) -> String {
    match (c.low_ms, c.high_ms) {
        (Some(lo), Some(hi)) => format!("{lo:+.1} .. {hi:+.1}"),
        _ => "n/a".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_never_rounded_to_none_or_all() {
        assert_eq!(inferred_share(0, 10), "-");
        assert_eq!(inferred_share(0, 0), "-");
        assert_eq!(inferred_share(10, 10), "all");
        assert_eq!(inferred_share(1, 10_000), "0.1%");
        assert_eq!(inferred_share(9_999, 10_000), "99.9%");
        assert_eq!(inferred_share(1, 3), "33.3%");
    }

    #[test]
    fn windows_and_ranges() {
        let mut c = ClockOffsetOut::default();
        assert_eq!(offset_window(&c), "whole run");
        assert_eq!(offset_range(&c), "n/a");
        c.from = Some("2024-03-01T12:30:00.000Z".into());
        c.low_ms = Some(-2.0);
        c.high_ms = Some(3.26);
        assert_eq!(offset_window(&c), "2024-03-01T12:30:00.000Z .. end");
        assert_eq!(offset_range(&c), "-2.0 .. +3.3");
    }

    #[test]
    fn no_notes_when_every_parent_came_from_ids() {
        assert!(parent_notes(&DataQuality::default()).is_empty());
        let q = DataQuality {
            inferred_parents: 5,
            unplaced_spans: 2,
            ..Default::default()
        };
        assert_eq!(
            parent_notes(&q),
            ["5 parents inferred from timing, not logged ids (2 with none, put under the root)"]
        );
    }
}
