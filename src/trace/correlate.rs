//! Events -> groups of events that belong to one request.
//!
//! Input: the run's events. Output: [`Correlated`]: one [`Group`] per request,
//! with its ids and its events in time order, plus the counts the data-quality
//! report needs.
//!
//! Rules:
//! - Request ids and trace ids are correlation ids; span ids are not (they name
//!   a part of a request). A request id and a trace id on the same event are
//!   linked (union-find over their symbols), so one request is one group even
//!   when some services log only one of the two ids.
//! - Events of one linked id set further apart in time than `split_gap_ns`
//!   are different requests that reused an id: the set is cut at every such gap.
//! - Events without time keep their id but cannot be placed: they go with the
//!   first segment of their set and never cause a split.
//!
//! Guarantees: groups are ordered by their linked id set (the symbol number
//! of its root: symbols follow first occurrence in the input), then time, and
//! their events by (time, event index), whatever the thread count. The trace
//! stage orders the finished traces by start and id; sorting the groups so
//! here would be work thrown away (clock correction moves the starts).

use rayon::prelude::*;

use crate::ingest::event::{Event, Sym, Symbols};

use super::EventIdx;

/// The events of one request.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// The id the user would search for: the request id where one exists, else the trace id.
    pub id: Sym,
    /// All linked ids: request ids first, then trace ids, each sorted by string.
    pub ids: Vec<Sym>,
    /// Event indices sorted by (time, index); events without time come first.
    pub events: Vec<EventIdx>,
}

/// What correlation found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Correlated {
    pub groups: Vec<Group>,
    /// Events that carry neither a request id nor a trace id.
    pub events_without_id: u64,
    /// Request or trace ids seen on exactly one event.
    pub single_event_ids: u64,
    /// Linked id sets that were cut into several requests because of a time gap.
    pub reused_ids: u64,
}

/// Union-find over symbol numbers, with path halving and union by size.
struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }
    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }
    fn union(&mut self, a: u32, b: u32) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        // The root is the bigger set, ties the smaller symbol: deterministic.
        if self.size[a as usize] < self.size[b as usize]
            || (self.size[a as usize] == self.size[b as usize] && b < a)
        {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
    }
}

/// An event's place in the sort that cuts requests out: (root of its id set,
/// time, index) packed in one number, ordered as that tuple. 16 bytes, where
/// the tuple takes 24, and one comparison instead of three.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Key(u128);

impl Key {
    fn new(root: u32, time_ns: i64, event: EventIdx) -> Key {
        // Flipping the sign bit orders times as unsigned numbers.
        let time = (time_ns as u64) ^ (1 << 63);
        Key((root as u128) << 96 | (time as u128) << 32 | event as u128)
    }
    fn root(self) -> u32 {
        (self.0 >> 96) as u32
    }
    fn time(self) -> i64 {
        ((self.0 >> 32) as u64 ^ (1 << 63)) as i64
    }
    fn event(self) -> EventIdx {
        self.0 as u32
    }
}

/// The correlation key of an event: the root of its linked id set.
fn first_id(e: &Event) -> Sym {
    if e.request_id.is_some() {
        e.request_id
    } else {
        e.trace_id
    }
}

/// Groups events by linked correlation ids; see the module doc for the rules.
pub fn correlate(events: &[Event], symbols: &Symbols, split_gap_ns: i64) -> Correlated {
    let mut clock = crate::timing::Clock::nested(2);
    let n_syms = symbols.len().max(1);
    let mut uf = UnionFind::new(n_syms);
    // How many events name each id (saturating: only 0, 1 and "more" matter).
    let mut seen = vec![0u8; n_syms];
    let mut out = Correlated::default();
    let in_range = |s: Sym| (s.0 as usize) < n_syms;
    for e in events {
        let (r, t) = (e.request_id, e.trace_id);
        let r = if in_range(r) { r } else { Sym::NONE };
        let t = if in_range(t) { t } else { Sym::NONE };
        if r.is_none() && t.is_none() {
            out.events_without_id += 1;
            continue;
        }
        for s in [r, t] {
            if s.is_some() {
                let c = &mut seen[s.0 as usize];
                *c = c.saturating_add(1);
            }
        }
        if r.is_some() && t.is_some() && r != t {
            uf.union(r.0, t.0);
        }
    }
    out.single_event_ids = seen.iter().filter(|&&c| c == 1).count() as u64;
    drop(seen);
    // Compress every path once so roots can be read in parallel.
    let roots: Vec<u32> = (0..n_syms as u32).map(|s| uf.find(s)).collect();
    drop(uf);

    // (root, time, index) for every event with an id, sorted: the runs of one
    // root are the candidate requests. Events without an id get a root past
    // every symbol and are cut off after the sort: a key per event lets the
    // list be written in place on all cores instead of grown.
    const NO_ROOT: u32 = u32::MAX;
    let mut keyed: Vec<Key> = Vec::new();
    events
        .par_iter()
        .enumerate()
        .map(|(i, e)| {
            let s = first_id(e);
            let root = if s.is_some() && in_range(s) {
                roots[s.0 as usize]
            } else {
                NO_ROOT
            };
            Key::new(root, e.time_ns, i as EventIdx)
        })
        .collect_into_vec(&mut keyed);
    clock.lap("union");
    keyed.par_sort_unstable();
    keyed.truncate(keyed.partition_point(|k| k.root() != NO_ROOT));
    clock.lap("sort events");

    // Cut the sorted keys into requests: a new root starts one, and so does a
    // gap longer than `split_gap_ns` between two timed events of one root.
    // Untimed events sort first in their root and go with its first request.
    let mut pieces: Vec<&[Key]> = Vec::new();
    let (mut start, mut root_was_split) = (0, false);
    for i in 1..=keyed.len() {
        let cut = i == keyed.len() || {
            let (prev, next) = (keyed[i - 1], keyed[i]);
            if next.root() != prev.root() {
                root_was_split = false;
                true
            } else if prev.time() != Event::NO_TIME
                && next.time().saturating_sub(prev.time()) > split_gap_ns
            {
                // One reused id set, however many requests it holds.
                out.reused_ids += u64::from(!root_was_split);
                root_was_split = true;
                true
            } else {
                false
            }
        };
        if cut {
            pieces.push(&keyed[start..i]);
            start = i;
        }
    }
    clock.lap("split");
    out.groups = Vec::with_capacity(pieces.len());
    pieces
        .par_iter()
        .map(|piece| {
            let evs: Vec<EventIdx> = piece.iter().map(|k| k.event()).collect();
            let (id, ids) = ids_of(&evs, events, symbols);
            Group {
                id,
                ids,
                events: evs,
            }
        })
        .collect_into_vec(&mut out.groups);
    clock.lap("groups");
    out
}

/// The ids of a group's events and the one to show: the request id named by
/// most events (ties: smallest string), else the most named trace id.
fn ids_of(evs: &[EventIdx], events: &[Event], symbols: &Symbols) -> (Sym, Vec<Sym>) {
    let mut req: Vec<Sym> = Vec::new();
    let mut tr: Vec<Sym> = Vec::new();
    for &i in evs {
        let e = &events[i as usize];
        if e.request_id.is_some() {
            req.push(e.request_id);
        }
        if e.trace_id.is_some() {
            tr.push(e.trace_id);
        }
    }
    let most = |v: &mut Vec<Sym>| -> Option<Sym> {
        v.sort_unstable();
        let mut best: Option<(usize, Sym)> = None;
        for chunk in v.chunk_by(|a, b| a == b) {
            let cand = (chunk.len(), chunk[0]);
            best = match best {
                None => Some(cand),
                Some(b)
                    if cand.0 > b.0
                        || (cand.0 == b.0 && symbols.get(cand.1) < symbols.get(b.1)) =>
                {
                    Some(cand)
                }
                keep => keep,
            };
        }
        v.dedup();
        v.sort_by(|a, b| symbols.get(*a).cmp(symbols.get(*b)));
        best.map(|b| b.1)
    };
    let r = most(&mut req);
    let t = most(&mut tr);
    let id = r.or(t).unwrap_or(Sym::NONE);
    let n_req = req.len();
    for s in tr {
        if !req[..n_req].contains(&s) {
            req.push(s);
        }
    }
    (id, req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_as_their_tuples() {
        let raw = [
            (3u32, 5i64, 1u32),
            (3, Event::NO_TIME, 9),
            (1, i64::MAX, 0),
            (1, -7, 4),
            (1, -7, 2),
            (u32::MAX, 0, 0),
            (3, 5, 0),
        ];
        let mut want = raw.to_vec();
        want.sort();
        let mut keys: Vec<Key> = raw.iter().map(|&(r, t, e)| Key::new(r, t, e)).collect();
        keys.sort();
        let got: Vec<(u32, i64, u32)> = keys
            .iter()
            .map(|k| (k.root(), k.time(), k.event()))
            .collect();
        assert_eq!(got, want);
    }

    pub(crate) fn ev(t: i64, rid: Sym, tid: Sym) -> Event {
        Event {
            time_ns: t,
            duration_ns: Event::NO_DURATION,
            request_id: rid,
            trace_id: tid,
            ..Default::default()
        }
    }

    fn syms(names: &[&str]) -> (Symbols, Vec<Sym>) {
        let mut s = Symbols::default();
        let v = names.iter().map(|n| s.intern(n)).collect();
        (s, v)
    }

    #[test]
    fn request_and_trace_ids_on_one_line_link_two_services() {
        let (s, v) = syms(&["req-1", "trace-a", "req-2"]);
        let (r1, ta, r2) = (v[0], v[1], v[2]);
        let events = vec![
            ev(1_000, r1, Sym::NONE), // edge logs only the request id
            ev(2_000, r1, ta),        // auth logs both
            ev(3_000, Sym::NONE, ta), // a backend logs only the trace id
            ev(4_000, r2, Sym::NONE), // another request, seen once
            ev(5_000, Sym::NONE, Sym::NONE),
        ];
        let c = correlate(&events, &s, 1_000_000);
        assert_eq!(c.groups.len(), 2);
        assert_eq!(c.groups[0].id, r1);
        assert_eq!(c.groups[0].ids, vec![r1, ta]);
        assert_eq!(c.groups[0].events, vec![0, 1, 2]);
        assert_eq!(c.groups[1].events, vec![3]);
        assert_eq!(c.events_without_id, 1);
        assert_eq!(c.single_event_ids, 1);
        assert_eq!(c.reused_ids, 0);
    }

    #[test]
    fn a_reused_id_far_apart_in_time_is_two_requests() {
        let (s, v) = syms(&["r"]);
        let sec = 1_000_000_000;
        let events = vec![
            ev(10 * sec, v[0], Sym::NONE),
            ev(11 * sec, v[0], Sym::NONE),
            ev(5000 * sec, v[0], Sym::NONE),
            ev(Event::NO_TIME, v[0], Sym::NONE),
        ];
        let c = correlate(&events, &s, 600 * sec);
        assert_eq!(c.groups.len(), 2);
        // The untimed event goes with the first request.
        assert_eq!(c.groups[0].events, vec![3, 0, 1]);
        assert_eq!(c.groups[1].events, vec![2]);
        assert_eq!(c.reused_ids, 1);
    }

    #[test]
    fn groups_follow_their_ids_first_occurrence_then_time() {
        let (s, v) = syms(&["b", "a", "c"]);
        let sec = 1_000_000_000;
        let events = vec![
            ev(5 * sec, v[0], Sym::NONE),
            ev(900 * sec, v[1], Sym::NONE),
            ev(sec, v[2], Sym::NONE),
            ev(3 * sec, v[1], Sym::NONE),
        ];
        let c = correlate(&events, &s, 100 * sec);
        let groups: Vec<(&str, &[EventIdx])> = c
            .groups
            .iter()
            .map(|g| (s.get(g.id), &g.events[..]))
            .collect();
        assert_eq!(
            groups,
            vec![
                ("b", &[0][..]),
                ("a", &[3][..]),
                ("a", &[1][..]),
                ("c", &[2][..])
            ]
        );
    }

    #[test]
    fn empty_input_and_bad_symbols_do_not_panic() {
        let s = Symbols::default();
        assert_eq!(correlate(&[], &s, 1), Correlated::default());
        let c = correlate(&[ev(1, Sym(99), Sym(98))], &s, 1);
        assert_eq!(c.events_without_id, 1);
        assert!(c.groups.is_empty());
    }
}
