//! Which traces to export.
//!
//! Input: the trace stage's traces, a [`Selection`] and the traces the user
//! named by id (found by the caller, which also explains ids it cannot find).
//! Output: trace indexes in the trace stage's (start) order.
//!
//! The filters narrow in a fixed order: the named traces, the time window
//! (a trace is in it when it starts in it, so no trace is cut in half),
//! `--failed`, then the `--slowest N` of what is left.

use std::collections::BTreeSet;

use super::Input;
use crate::error::Error;
use crate::window::TimeBound;

/// Which traces to export. The default exports every trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Only the traces carrying one of these ids (request, trace or span id;
    /// a unique prefix of 6+ characters will do). Empty: no filter.
    pub ids: Vec<String>,
    /// Only the traces starting at or after this time.
    pub since: Option<TimeBound>,
    /// Only the traces starting before this time.
    pub until: Option<TimeBound>,
    /// Only the failed traces.
    pub failed: bool,
    /// Only the N slowest traces (of those the other filters keep).
    pub slowest: Option<usize>,
}

/// The indexes of the traces `sel` keeps. `named` holds the traces the ids
/// of `sel.ids` name (ignored when `sel.ids` is empty).
pub fn select(input: Input, sel: &Selection, named: &BTreeSet<usize>) -> Result<Vec<usize>, Error> {
    let all = &input.traces.traces;
    let mut keep: Vec<usize> = if sel.ids.is_empty() {
        (0..all.len()).collect()
    } else {
        named.iter().copied().filter(|&i| i < all.len()).collect()
    };
    if sel.since.is_some() || sel.until.is_some() {
        let (lo, hi) = window(input, sel.since.as_ref(), sel.until.as_ref())?;
        keep.retain(|&i| (lo..hi).contains(&all[i].start_ns));
    }
    if sel.failed {
        keep.retain(|&i| all[i].failed());
    }
    if let Some(n) = sel.slowest {
        let sym = |i: usize| input.symbols.get(all[i].id);
        keep.sort_by(|&a, &b| {
            all[b]
                .duration_ns()
                .cmp(&all[a].duration_ns())
                .then_with(|| sym(a).cmp(sym(b)))
                .then(a.cmp(&b))
        });
        keep.truncate(n);
        keep.sort_unstable();
    }
    Ok(keep)
}

/// `[lo, hi)` in UTC ns, relative bounds resolved against the first and last
/// timed event (as `report` does).
fn window(
    input: Input,
    since: Option<&TimeBound>,
    until: Option<&TimeBound>,
) -> Result<(i64, i64), Error> {
    let times = input.events.iter().filter_map(|e| e.time());
    let (Some(first), Some(last)) = (times.clone().min(), times.max()) else {
        return Err(Error::NotFound(
            "no event has a time, so --since/--until select nothing; run without them".into(),
        ));
    };
    let lo = since.map_or(i64::MIN, |b| b.resolve(first, last));
    let hi = until.map_or(i64::MAX, |b| b.resolve(first, last));
    if lo >= hi {
        let show = crate::ingest::time::format_rfc3339_ms;
        return Err(Error::Usage(format!(
            "--since ({}) is not before --until ({})",
            show(lo),
            show(hi)
        )));
    }
    Ok((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::testing::*;

    fn run(f: &Fixture, sel: &Selection, named: &[usize]) -> Result<Vec<usize>, Error> {
        let input = Input {
            traces: &f.traces,
            events: &f.events,
            symbols: &f.symbols,
        };
        select(input, sel, &named.iter().copied().collect())
    }

    #[test]
    fn every_trace_by_default_in_start_order() {
        let f = fixture();
        assert_eq!(run(&f, &Selection::default(), &[]).unwrap(), vec![0, 1]);
    }

    #[test]
    fn filters_narrow_in_turn() {
        let f = fixture();
        let failed = Selection {
            failed: true,
            ..Default::default()
        };
        assert_eq!(run(&f, &failed, &[]).unwrap(), vec![0]);
        // Trace 0 lasts 100 ms, trace 1 30 ms.
        let slowest = Selection {
            slowest: Some(1),
            ..Default::default()
        };
        assert_eq!(run(&f, &slowest, &[]).unwrap(), vec![0]);
        let named = Selection {
            ids: vec!["4bf92f35".into()],
            ..Default::default()
        };
        assert_eq!(run(&f, &named, &[1]).unwrap(), vec![1]);
        let named_failed = Selection {
            failed: true,
            ..named
        };
        assert!(run(&f, &named_failed, &[1]).unwrap().is_empty());
    }

    #[test]
    fn the_window_keeps_traces_that_start_in_it() {
        let f = fixture();
        // Events at +50 ms and +230 ms: the first 100 ms hold trace 0's start only.
        let sel = Selection {
            until: Some(TimeBound::AfterStart(100 * MS)),
            ..Default::default()
        };
        assert_eq!(run(&f, &sel, &[]).unwrap(), vec![0]);
        let sel = Selection {
            since: Some(TimeBound::At(T0 + 150 * MS)),
            ..Default::default()
        };
        assert_eq!(run(&f, &sel, &[]).unwrap(), vec![1]);
        let sel = Selection {
            since: Some(TimeBound::BeforeEnd(0)),
            until: Some(TimeBound::AfterStart(0)),
            ..Default::default()
        };
        assert!(matches!(run(&f, &sel, &[]), Err(Error::Usage(_))));
    }
}
