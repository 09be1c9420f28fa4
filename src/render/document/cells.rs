//! How numbers read in a document's cells, the same in every section.
//!
//! Input: counts, latencies and lists of names from the summary. Output:
//! cell text: `n/a` where the logs give no number (never 0), plurals,
//! change factors, and the note under a table that names its rows without
//! durations.

use super::{para, Block};
use crate::analyze::summary::LatencyMs;
use crate::units::{ms, thousands};

/// A number the logs do not give.
pub(super) const NA: &str = "n/a";

/// `1 trace`, `2 traces`.
pub(super) fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{} {what}s", thousands(n))
    }
}

/// `x3.2` for how much larger `after` is than `before`.
pub(super) fn factor(before: f64, after: f64) -> String {
    if !(before.is_finite() && after.is_finite()) || before <= 0.0 {
        return "-".into();
    }
    format!("x{:.1}", after / before)
}

/// A latency, or `n/a` where no request logged a duration.
pub(super) fn lat(l: &Option<LatencyMs>, pick: fn(&LatencyMs) -> f64) -> String {
    l.as_ref().map_or_else(|| NA.into(), |l| ms(pick(l)))
}

/// `{lead}a, b and 3 more.`: the rows of a table without durations (shown
/// `n/a`, or left out); nothing when every row has durations.
pub(super) fn untimed_note(names: &[String], lead: &str, top: usize) -> Option<Block> {
    if names.is_empty() {
        return None;
    }
    let mut list = names
        .iter()
        .take(top)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > top {
        list.push_str(&format!(" and {} more", names.len() - top));
    }
    Some(para(format!("{lead}{list}.")))
}

/// Leads for [`untimed_note`].
pub(super) const NA_FOR: &str = "n/a: no durations in the logs for ";
pub(super) const NOT_LISTED: &str = "Not listed, no durations in the logs: ";

/// The p99 of a row with durations, for sorting.
pub(super) fn p99(l: &Option<LatencyMs>) -> f64 {
    l.as_ref().map_or(f64::NEG_INFINITY, |l| l.p99)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_factors_and_plurals() {
        assert_eq!(factor(40.0, 220.0), "x5.5");
        assert_eq!(factor(0.0, 220.0), "-");
        assert_eq!(plural(1, "trace"), "1 trace");
        assert_eq!(plural(1200, "trace"), "1,200 traces");
    }
}
