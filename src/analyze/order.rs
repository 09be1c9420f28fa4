//! A trace -> its place in the run's order, told by its content ([`TraceKey`]).
//!
//! Input: a [`Trace`] and the run's events. Output: a key that sorts traces
//! exactly as [`crate::trace::Traces::traces`] is sorted, without knowing
//! where a trace sits in that list: a run that builds its traces a part at a
//! time never holds the list, and a part's traces are not the run's next ones.
//!
//! The trace stage sorts by start, then id text, then the event indices of
//! the first span. Events are numbered in (file, line) order, and an event
//! belongs to one trace only, so the first span's first event, as its
//! [`SourceRef`], decides what start and id leave tied. A first span with no
//! event (a placeholder) sorts before any with one, as the empty list of
//! indices does.

use std::cmp::Ordering;

use crate::ingest::event::{Event, SourceRef, Sym, Symbols};
use crate::trace::Trace;

/// Where a trace sits in the run's order (see the module doc). Equal keys
/// are one trace: no two traces of a run have the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TraceKey {
    pub start_ns: i64,
    /// Compared by its text ([`TraceKey::cmp_in`]).
    pub id: Sym,
    /// Where the first event of the trace's first span was logged; `None`
    /// when that span has no event.
    pub first: Option<SourceRef>,
}

impl TraceKey {
    /// The key of `t`, whose event indices point into `events`.
    pub fn of(t: &Trace, events: &[Event]) -> TraceKey {
        TraceKey {
            start_ns: t.start_ns,
            id: t.id,
            first: first_source(t, events),
        }
    }

    /// The run's order: start, id text, first event.
    pub fn cmp_in(&self, other: &TraceKey, symbols: &Symbols) -> Ordering {
        self.start_ns
            .cmp(&other.start_ns)
            .then_with(|| by_text(self.id, other.id, symbols))
            .then(self.first.cmp(&other.first))
    }
}

/// Where the first event of `t`'s first span was logged.
pub fn first_source(t: &Trace, events: &[Event]) -> Option<SourceRef> {
    let i = *t.spans.first()?.events.first()?;
    events.get(i as usize).map(|e| e.source)
}

/// Two symbols in the order of their text (equal symbols are equal text).
pub fn by_text(a: Sym, b: Sym, symbols: &Symbols) -> Ordering {
    if a == b {
        Ordering::Equal
    } else {
        symbols.get(a).cmp(symbols.get(b))
    }
}

/// [`TraceKey::first`] in 8 bytes, in the same order: 0 without an event.
/// (A run has fewer than `u32::MAX` files.)
pub fn pack_source(first: Option<SourceRef>) -> u64 {
    first.map_or(0, |s| ((u64::from(s.file) + 1) << 32) | u64::from(s.line))
}

/// The inverse of [`pack_source`].
pub fn unpack_source(packed: u64) -> Option<SourceRef> {
    (packed != 0).then(|| SourceRef {
        file: ((packed >> 32) - 1) as u32,
        line: packed as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::super::requests::build::*;
    use super::*;

    /// The trace stage's order, on a run whose starts tie and whose ids
    /// are reused: the keys sort the list as it is, and no two are equal.
    #[test]
    fn keys_sort_the_run_as_the_trace_stage_does() {
        let run = logged_shop(3, 400);
        let traces = crate::trace::build(&run.events, &run.symbols, &Default::default());
        let keys: Vec<TraceKey> = (traces.traces.iter())
            .map(|t| TraceKey::of(t, &run.events))
            .collect();
        assert!(keys.len() > 600, "{}", keys.len());
        let ties = keys.windows(2).filter(|w| w[0].start_ns == w[1].start_ns);
        assert!(ties.count() > 100);
        let reused = (traces.traces.iter())
            .filter(|t| run.symbols.get(t.id) == run.symbols.get(traces.traces[0].id));
        assert_eq!(reused.count(), 2);
        for w in keys.windows(2) {
            assert_eq!(w[0].cmp_in(&w[1], &run.symbols), Ordering::Less, "{w:?}");
        }
    }

    #[test]
    fn packed_sources_keep_their_order() {
        let at = |file, line| Some(SourceRef { file, line });
        let mut all = vec![
            at(2, 0),
            None,
            at(0, 7),
            at(0, u32::MAX),
            at(1, 0),
            at(u32::MAX - 1, 3),
        ];
        all.sort();
        let packed: Vec<u64> = all.iter().map(|&s| pack_source(s)).collect();
        assert!(packed.windows(2).all(|w| w[0] < w[1]), "{packed:?}");
        let back: Vec<Option<SourceRef>> = packed.into_iter().map(unpack_source).collect();
        assert_eq!(back, all);
    }

    #[test]
    fn keys_order_by_start_then_id_text_then_first_event() {
        let mut b = Builder::default();
        // "b" is interned before "a": symbol order is not text order.
        let (sb, sa) = (b.sym("b"), b.sym("a"));
        let key = |start_ns, id, first: Option<(u32, u32)>| TraceKey {
            start_ns,
            id,
            first: first.map(|(file, line)| SourceRef { file, line }),
        };
        let mut keys = vec![
            key(5, sa, Some((0, 1))),
            key(1, sb, Some((0, 0))),
            key(1, sa, Some((3, 9))),
            key(1, sa, Some((3, 2))),
            key(1, sa, None),
        ];
        keys.sort_by(|x, y| x.cmp_in(y, &b.symbols));
        assert_eq!(
            keys,
            vec![
                key(1, sa, None),
                key(1, sa, Some((3, 2))),
                key(1, sa, Some((3, 9))),
                key(1, sb, Some((0, 0))),
                key(5, sa, Some((0, 1))),
            ]
        );
    }
}
