//! Spans -> the run's requests, grouped by (service, operation) in compact columns.
//!
//! Input: traces and untraced spans, a part at a time, any number of parts.
//! Output: [`Grouped`]: per (service, operation), every request's end time,
//! logged duration and flags (failed, recovered, client error, entry): all
//! that the per-service and per-operation statistics, the timeline and the
//! incident search read of a request. Service and operation are the
//! group's, not stored per request, so a request costs 17 bytes, held until
//! the last part is in (the timeline's grid is known only then).
//!
//! The requests are those of [`super::requests`]: one per span but
//! placeholders, a trace's root and untraced spans being entries. Each part
//! adds one block of exact size per group (never regrown, so nothing is
//! held twice), built on all cores. No statistic read from the groups
//! depends on the order of the requests inside a group (counts, sums,
//! nearest-rank percentiles), so neither the parts' order nor the thread
//! count changes the report.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::Request;
use crate::ingest::event::Sym;
use crate::trace::{critical, Span, Trace};

/// A request's flags.
pub mod flag {
    /// It failed ([`crate::analyze::Request::error`]).
    pub const ERROR: u8 = 1;
    /// It failed but its caller did not ([`crate::analyze::Request::recovered`]).
    pub const RECOVERED: u8 = 2;
    /// HTTP 4xx.
    pub const CLIENT_ERROR: u8 = 4;
    /// A trace's root or an untraced request ([`crate::analyze::Request::entry`]).
    pub const ENTRY: u8 = 8;
}

/// The duration of a request that logged none (durations are >= 0).
pub const NO_DURATION: i64 = -1;

/// Traces (or untraced spans) per parallel work item when a part is grouped.
const CHUNK: usize = 1 << 12;

/// What is kept of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Req {
    /// Its end, UTC ns (`i64::MIN` when it has no time: it is not placed).
    pub end_ns: i64,
    /// Its logged duration, ns; [`NO_DURATION`] without one.
    pub duration_ns: i64,
    pub flags: u8,
}

impl Req {
    /// The logged duration ([`Request::duration_ns`]).
    pub fn duration(&self) -> Option<i64> {
        (self.duration_ns != NO_DURATION).then_some(self.duration_ns)
    }
    pub fn error(&self) -> bool {
        self.flags & flag::ERROR != 0
    }
    pub fn recovered(&self) -> bool {
        self.flags & flag::RECOVERED != 0
    }
    pub fn client_error(&self) -> bool {
        self.flags & flag::CLIENT_ERROR != 0
    }
    pub fn entry(&self) -> bool {
        self.flags & flag::ENTRY != 0
    }
    /// When the timeline places it: its end ([`super::timeline::placed_at`]).
    pub fn placed_at(&self) -> Option<i64> {
        (self.end_ns != i64::MIN).then_some(self.end_ns)
    }

    /// What is kept of `r`.
    pub fn of(r: &Request) -> Req {
        let flags = (u8::from(r.error) * flag::ERROR)
            | (u8::from(r.recovered) * flag::RECOVERED)
            | (u8::from(r.client_error()) * flag::CLIENT_ERROR)
            | (u8::from(r.entry) * flag::ENTRY);
        Req {
            end_ns: r.end_ns,
            duration_ns: r.duration_ns().unwrap_or(NO_DURATION),
            flags,
        }
    }
}

/// Some requests of one group, as columns of one length.
#[derive(Clone, Debug, Default)]
pub struct Block {
    pub ends: Box<[i64]>,
    pub durations: Box<[i64]>,
    pub flags: Box<[u8]>,
}

/// Part of a [`Block`]: a unit of parallel work.
#[derive(Clone, Copy, Debug)]
pub struct Piece<'a> {
    /// The group's index in [`Grouped::keys`].
    pub group: usize,
    pub ends: &'a [i64],
    pub durations: &'a [i64],
    pub flags: &'a [u8],
}

impl<'a> Piece<'a> {
    pub fn iter(&self) -> impl Iterator<Item = Req> + 'a {
        let (e, d, f) = (self.ends, self.durations, self.flags);
        (0..e.len()).map(move |i| Req {
            end_ns: e[i],
            duration_ns: d[i],
            flags: f[i],
        })
    }
}

/// The requests of one (service, operation): a block per part.
#[derive(Clone, Debug, Default)]
pub struct Group {
    blocks: Vec<Block>,
}

impl Group {
    /// How many requests.
    pub fn len(&self) -> usize {
        self.blocks.iter().map(|b| b.ends.len()).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Every request, block after block.
    pub fn iter(&self) -> impl Iterator<Item = Req> + '_ {
        self.blocks.iter().flat_map(|b| {
            (0..b.ends.len()).map(move |i| Req {
                end_ns: b.ends[i],
                duration_ns: b.durations[i],
                flags: b.flags[i],
            })
        })
    }
    /// The logged durations.
    pub fn durations(&self) -> impl Iterator<Item = i64> + '_ {
        (self.blocks.iter())
            .flat_map(|b| b.durations.iter().copied())
            .filter(|&d| d != NO_DURATION)
    }
}

/// The run's requests by (service, operation) (see the module doc).
#[derive(Clone, Debug, Default)]
pub struct Grouped {
    /// (service, operation) of each group, in the order they came.
    keys: Vec<(Sym, Sym)>,
    groups: Vec<Group>,
    index: FxHashMap<(Sym, Sym), usize>,
}

/// Columns being filled: one group's requests of one work item.
#[derive(Default)]
struct Columns {
    ends: Vec<i64>,
    durations: Vec<i64>,
    flags: Vec<u8>,
}

impl Columns {
    fn push(&mut self, r: Req) {
        self.ends.push(r.end_ns);
        self.durations.push(r.duration_ns);
        self.flags.push(r.flags);
    }
}

/// One work item's requests by group.
type Local = FxHashMap<(Sym, Sym), Columns>;

/// What is kept of span `s`.
fn req(s: &Span, entry: bool, recovered: bool) -> Req {
    let flags = (u8::from(s.error) * flag::ERROR)
        | (u8::from(recovered) * flag::RECOVERED)
        | (u8::from((400..500).contains(&s.status)) * flag::CLIENT_ERROR)
        | (u8::from(entry) * flag::ENTRY);
    Req {
        end_ns: s.end_ns,
        duration_ns: if s.timed {
            s.end_ns.saturating_sub(s.start_ns).max(0)
        } else {
            NO_DURATION
        },
        flags,
    }
}

impl Grouped {
    /// Groups made from a request list (in one part).
    pub fn from_requests(requests: &[Request]) -> Grouped {
        let locals: Vec<Local> = requests
            .par_chunks(CHUNK * 4)
            .map(|rs| {
                let mut m = Local::default();
                for r in rs {
                    m.entry((r.service, r.operation))
                        .or_default()
                        .push(Req::of(r));
                }
                m
            })
            .collect();
        let mut out = Grouped::default();
        out.append(locals);
        out
    }

    /// Adds a part: its traces' spans and its untraced spans.
    pub fn add(&mut self, traces: &[Trace], untraced: &[Span]) {
        let (mut locals, rest): (Vec<Local>, Vec<Local>) = rayon::join(
            || traces.par_chunks(CHUNK).map(of_traces).collect(),
            || {
                untraced
                    .par_chunks(CHUNK * 4)
                    .map(|spans| {
                        let mut m = Local::default();
                        for s in spans {
                            let key = (s.service, s.operation);
                            m.entry(key).or_default().push(req(s, true, false));
                        }
                        m
                    })
                    .collect()
            },
        );
        locals.extend(rest);
        self.append(locals);
    }

    /// Adds the work items' columns, one exact block per group.
    fn append(&mut self, locals: Vec<Local>) {
        let mut keys: Vec<(Sym, Sym)> = locals.iter().flat_map(|m| m.keys().copied()).collect();
        keys.sort_unstable();
        keys.dedup();
        let blocks: Vec<((Sym, Sym), Block)> = keys
            .into_par_iter()
            .map(|key| {
                let parts: Vec<&Columns> = locals.iter().filter_map(|m| m.get(&key)).collect();
                let n = parts.iter().map(|c| c.ends.len()).sum();
                let mut c = Columns {
                    ends: Vec::with_capacity(n),
                    durations: Vec::with_capacity(n),
                    flags: Vec::with_capacity(n),
                };
                for p in parts {
                    c.ends.extend_from_slice(&p.ends);
                    c.durations.extend_from_slice(&p.durations);
                    c.flags.extend_from_slice(&p.flags);
                }
                let block = Block {
                    ends: c.ends.into_boxed_slice(),
                    durations: c.durations.into_boxed_slice(),
                    flags: c.flags.into_boxed_slice(),
                };
                (key, block)
            })
            .collect();
        drop(locals);
        for (key, block) in blocks {
            let g = *self.index.entry(key).or_insert_with(|| {
                self.keys.push(key);
                self.groups.push(Group::default());
                self.keys.len() - 1
            });
            self.groups[g].blocks.push(block);
        }
    }

    /// (service, operation) of each group.
    pub fn keys(&self) -> &[(Sym, Sym)] {
        &self.keys
    }

    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// How many requests in all.
    pub fn len(&self) -> usize {
        self.groups.iter().map(Group::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every block cut into pieces of at most `n` requests: work for all cores.
    pub fn pieces(&self, n: usize) -> Vec<Piece<'_>> {
        let n = n.max(1);
        let mut out = Vec::new();
        for (group, g) in self.groups.iter().enumerate() {
            for b in &g.blocks {
                for lo in (0..b.ends.len()).step_by(n) {
                    let hi = (lo + n).min(b.ends.len());
                    out.push(Piece {
                        group,
                        ends: &b.ends[lo..hi],
                        durations: &b.durations[lo..hi],
                        flags: &b.flags[lo..hi],
                    });
                }
            }
        }
        out
    }

    /// Bytes the groups hold.
    pub fn held_bytes(&self) -> usize {
        const PER_REQUEST: usize = 2 * std::mem::size_of::<i64>() + 1;
        let blocks: usize = self.groups.iter().map(|g| g.blocks.capacity()).sum();
        self.len() * PER_REQUEST
            + blocks * std::mem::size_of::<Block>()
            + self.keys.capacity() * std::mem::size_of::<((Sym, Sym), Group)>()
    }
}

/// One work item of traces: every span but placeholders.
fn of_traces(traces: &[Trace]) -> Local {
    let mut m = Local::default();
    for t in traces {
        let root = t.root as usize;
        for (i, s) in t.spans.iter().enumerate() {
            if s.is_placeholder() {
                continue;
            }
            let recovered = s.error && critical::recovered(&t.spans, i);
            let key = (s.service, s.operation);
            m.entry(key).or_default().push(req(s, i == root, recovered));
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::super::requests::{build::*, requests};
    use super::*;

    /// The requests of `g` as (service, operation, request), sorted.
    fn listed(g: &Grouped) -> Vec<(Sym, Sym, i64, i64, u8)> {
        let mut out: Vec<_> = (g.keys().iter().zip(g.groups()))
            .flat_map(|(&(s, o), grp)| grp.iter().map(move |r| (s, o, r)))
            .map(|(s, o, r)| (s, o, r.end_ns, r.duration_ns, r.flags))
            .collect();
        out.sort_unstable();
        out
    }

    fn shop() -> Builder {
        let mut b = Builder::default();
        b.trace(
            "r1",
            &[
                s("edge", "GET /", None, 0, 100, 502),
                s("orders", "GET /o", Some(0), 10, 80, 503),
                s("inventory", "GET /i", Some(1), 20, 10, 200),
            ],
        );
        let t = b.trace(
            "r2",
            &[
                s("edge", "GET /", None, 200, 100, 200),
                s("orders", "GET /o", Some(0), 210, 80, 500),
            ],
        );
        t.spans[1].timed = false;
        b.trace("r3", &[s("edge", "GET /", None, 400, 5, 404)]);
        b.untraced(s("web", "GET /x", None, 500, 3, 404));
        b.untraced(s("web", "GET /x", None, 600, 3, 200));
        b
    }

    #[test]
    fn groups_hold_what_the_request_list_says() {
        let b = shop();
        let g = {
            let mut g = Grouped::default();
            g.add(&b.traces.traces, &b.traces.untraced);
            g
        };
        let from_list = Grouped::from_requests(&requests(&b.traces));
        assert_eq!(listed(&g), listed(&from_list));
        assert_eq!((g.len(), g.keys().len()), (8, 4));
        let edge = b.symbols.lookup("edge").unwrap();
        let k = g.keys().iter().position(|k| k.0 == edge).unwrap();
        let edge: Vec<Req> = g.groups()[k].iter().collect();
        assert!(edge.iter().all(Req::entry));
        assert_eq!(edge.iter().filter(|r| r.client_error()).count(), 1);
        // orders in r2 failed but the edge answered: recovered, and untimed.
        let orders = b.symbols.lookup("orders").unwrap();
        let k = g.keys().iter().position(|k| k.0 == orders).unwrap();
        let r2 = g.groups()[k].iter().find(|r| r.recovered()).unwrap();
        assert_eq!((r2.error(), r2.duration()), (true, None));
        assert_eq!(g.groups()[k].durations().count(), 1);
    }

    #[test]
    fn parts_in_any_order_hold_the_same_requests() {
        let b = shop();
        let (ts, un) = (&b.traces.traces, &b.traces.untraced);
        let mut whole = Grouped::default();
        whole.add(ts, un);
        let mut parts = Grouped::default();
        parts.add(&ts[2..], &un[1..]);
        parts.add(&[], &[]);
        parts.add(&ts[..2], &un[..1]);
        assert_eq!(listed(&parts), listed(&whole));
        let pieces = parts.pieces(1);
        assert_eq!(pieces.len(), 8);
        let n: usize = pieces.iter().map(|p| p.iter().count()).sum();
        assert_eq!(n, 8);
    }
}
