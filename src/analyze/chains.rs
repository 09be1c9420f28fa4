//! Traces -> call-chain shapes with their latency and critical-path shares.
//!
//! Input: [`Traces`]. Output: [`Chain`]s, most traces first, then by signature.
//!
//! **Signature.** The shape of a trace's span tree by service:
//! - a span whose parent belongs to the same service is part of its parent's
//!   node (a service's internal spans are not a hop);
//! - a node's children are its callee services, sorted by name, each once:
//!   calling `inventory` three times (retries, fan-out) has the same shape as
//!   calling it once, and two calls' subtrees are merged. Counting calls would
//!   split one chain into as many chains as there are retry counts; how often
//!   a service calls another is in the dependencies.
//! - written `service > child, child`; a child with callees of its own is
//!   written `child > ...` when it is the last child, else in parentheses,
//!   so `edge > auth, orders > inventory, payments` is edge calling auth and
//!   orders, orders calling inventory and payments, and
//!   `edge > (orders > inventory), search` is edge calling orders and search.
//!
//! **Critical-path shares.** For one trace, a critical-path span holds the part
//! of its own interval not covered by its critical-path children (its self
//! time on the path), clipped to the trace; a service's share is the sum over
//! its spans divided by the trace's end-to-end duration. For a chain, the
//! `p50_share` and `p99_share` of a service are its shares *in the trace whose
//! end-to-end latency is the chain's p50 (resp. p99)*, by nearest rank (ties
//! in latency broken by trace order). That answers "where does the time of a
//! typical request / of a slow request go": the shares at one percentile
//! come from one trace, so they add up to at most 1, which the percentiles of
//! each service's share taken separately would not. Every service of the
//! chain's shape is listed (0 when off the path), highest `p99_share` first,
//! then highest `p50_share`, then by name.
//!
//! Latency and shares come from the chain's traces with a duration
//! ([`super::trace_duration_ns`]); a chain none of whose traces has one has
//! no latency (`None`) and no shares (an empty list), not zeros.
//!
//! Traces are grouped by a compact shape key (the service trie in preorder)
//! in parallel, a batch at a time if need be ([`Shapes`]); signatures are
//! written once per chain, and critical-path shares are computed only for
//! the two traces each chain reports.

use rustc_hash::FxHashMap as HashMap;

use rayon::prelude::*;

use std::cmp::Ordering;

use super::latency::{latency, nearest_rank};
use super::order::{by_text, first_source, pack_source, unpack_source, TraceKey};
use super::stats::name;
use super::summary::{Chain, CriticalShare};
use super::TraceFold;
use crate::concat::Blocks;
use crate::ingest::event::{Event, Sym, Symbols};
use crate::trace::{Trace, Traces};

/// Deeper service paths are cut here; the signature ends with `...`.
const MAX_DEPTH: usize = 64;
/// Stands for the services below [`MAX_DEPTH`] in a shape key.
const DEEPER: Sym = Sym(u32::MAX);
/// No node (a root's parent, an unresolved span) in a shape key's trie.
const NO_NODE: u32 = u32::MAX;

/// One trace of a shape, as the chain ranks it: its end-to-end duration and
/// its place in the run's order ([`TraceKey`], packed), in 32 bytes.
#[derive(Clone, Copy, Debug)]
struct Member {
    /// End to end, ns; [`NO_DURATION`] when the logs give none.
    duration: i64,
    start_ns: i64,
    /// [`TraceKey::first`], packed ([`pack_source`]).
    first: u64,
    id: Sym,
    failed: bool,
}

/// A member without a duration; below every duration (they are >= 0).
const NO_DURATION: i64 = i64::MIN;

impl Member {
    fn of(t: &Trace, events: &[Event]) -> Member {
        Member {
            duration: super::trace_duration_ns(t).unwrap_or(NO_DURATION),
            start_ns: t.start_ns,
            first: pack_source(first_source(t, events)),
            id: t.id,
            failed: t.failed(),
        }
    }

    fn key(&self) -> TraceKey {
        TraceKey {
            start_ns: self.start_ns,
            id: self.id,
            first: unpack_source(self.first),
        }
    }

    /// By latency, ties in the run's order.
    fn cmp_in(&self, other: &Member, symbols: &Symbols) -> Ordering {
        (self.duration, self.start_ns)
            .cmp(&(other.duration, other.start_ns))
            .then_with(|| by_text(self.id, other.id, symbols))
            .then(self.first.cmp(&other.first))
    }
}

/// The chains of all traces.
pub fn chains(traces: &Traces, symbols: &Symbols) -> Vec<Chain> {
    let ts = &traces.traces;
    Shapes::of(ts, &[])
        .rank(symbols)
        .finish(symbols, |k| find(ts, k, &[], symbols).map(critical_shares))
}

/// The trace of `key` among `traces` (whose event indices point into
/// `events`): looked up by start, as the run's list is sorted; a list that
/// is not is searched through.
pub fn find<'t>(
    traces: &'t [Trace],
    key: &TraceKey,
    events: &[Event],
    symbols: &Symbols,
) -> Option<&'t Trace> {
    let is = |t: &&Trace| TraceKey::of(t, events).cmp_in(key, symbols) == Ordering::Equal;
    let from = traces.partition_point(|t| t.start_ns < key.start_ns);
    let sorted = traces[from..]
        .iter()
        .take_while(|t| t.start_ns == key.start_ns);
    sorted.clone().find(is).or_else(|| traces.iter().find(is))
}

/// Some traces grouped by shape: what a batch of traces adds to the chains.
/// Batches merge in any order to the same chains; a batch's members of a
/// shape are one block of exact size.
#[derive(Default)]
pub struct Shapes(HashMap<Vec<u32>, Blocks<Member>>);

impl Shapes {
    /// The shapes of `traces` (whose event indices point into `events`),
    /// grouped in parallel (each thread reuses its scratch space).
    pub fn of(traces: &[Trace], events: &[Event]) -> Shapes {
        type Grouping = HashMap<Vec<u32>, Vec<Member>>;
        let grouped: Grouping = traces
            .par_iter()
            .fold(
                || (Grouping::default(), Scratch::default()),
                |(mut m, mut scratch), t| {
                    if !t.spans.is_empty() {
                        scratch.key(t);
                        let member = Member::of(t, events);
                        match m.get_mut(scratch.out.as_slice()) {
                            Some(v) => v.push(member),
                            None => {
                                m.insert(scratch.out.clone(), vec![member]);
                            }
                        }
                    }
                    (m, scratch)
                },
            )
            .map(|(m, _)| m)
            .reduce(Grouping::default, |mut a, b| {
                for (k, mut v) in b {
                    a.entry(k).or_default().append(&mut v);
                }
                a
            });
        let mut out = Shapes::default();
        for (k, v) in grouped {
            out.0.entry(k).or_default().push(v);
        }
        out
    }

    /// Bytes held: a member per trace, and the shape keys.
    pub fn held_bytes(&self) -> usize {
        (self.0.iter())
            .map(|(k, v)| k.capacity() * 4 + v.held_bytes())
            .sum()
    }

    /// Every chain's counts and latency, and the traces at its p50 and p99
    /// (whose critical-path shares it reports).
    pub fn rank(self, symbols: &Symbols) -> Ranked {
        let mut out: Vec<(Chain, Option<[TraceKey; 2]>, Vec<u32>)> = self
            .0
            .into_par_iter()
            .map(|(key, members)| {
                let (chain, at) = rank(&key, members.to_vec(), symbols);
                (chain, at, key)
            })
            .collect();
        out.sort_by(|a, b| {
            b.0.count
                .cmp(&a.0.count)
                .then_with(|| a.0.signature.cmp(&b.0.signature))
        });
        Ranked(out)
    }
}

/// The chains, most traces first, then by signature, waiting for the
/// critical-path shares of their p50 and p99 traces.
pub struct Ranked(Vec<(Chain, Option<[TraceKey; 2]>, Vec<u32>)>);

impl Ranked {
    /// The traces whose shares [`Ranked::finish`] asks for, each once.
    pub fn wanted(&self) -> Vec<TraceKey> {
        let mut keys: Vec<TraceKey> = self.0.iter().filter_map(|c| c.1).flatten().collect();
        keys.sort_unstable_by_key(|k| (k.start_ns, k.id, k.first));
        keys.dedup();
        keys
    }

    /// The chains; `shares` gives the critical-path shares of the trace of
    /// a key ([`Ranked::wanted`]), `None` for a trace it cannot find (its
    /// chain then lists no shares).
    pub fn finish<F>(self, symbols: &Symbols, shares: F) -> Vec<Chain>
    where
        F: Fn(&TraceKey) -> Option<Vec<(Sym, f64)>> + Sync,
    {
        self.0
            .into_par_iter()
            .map(|(mut chain, at, key)| {
                if let Some([p50, p99]) = at {
                    if let (Some(p50), Some(p99)) = (shares(&p50), shares(&p99)) {
                        chain.critical_path = shares_by_service(&key, &p50, &p99, symbols);
                    }
                }
                chain
            })
            .collect()
    }
}

/// One chain from its shape key and its traces, without its shares; and
/// the traces at its p50 and p99, if it has a latency.
fn rank(
    key: &[u32],
    mut members: Vec<Member>,
    symbols: &Symbols,
) -> (Chain, Option<[TraceKey; 2]>) {
    // Ranked by latency, ties in the run's order: the same whatever the
    // merge order. Traces without a duration sort first and are left out.
    // One chain may hold most traces: sorted on all cores.
    members.par_sort_unstable_by(|a, b| a.cmp_in(b, symbols));
    let timed = &members[members.partition_point(|m| m.duration == NO_DURATION)..];
    let mut durations: Vec<i64> = timed.iter().map(|m| m.duration).collect();
    let ranks: Vec<i64> = (0..timed.len() as i64).collect();
    let at = |p: f64| Some(timed[nearest_rank(&ranks, p)? as usize].key());
    let chain = Chain {
        signature: render(key, symbols),
        count: members.len() as u64,
        errors: members.iter().filter(|m| m.failed).count() as u64,
        latency_ms: latency(&mut durations),
        critical_path: Vec::new(),
    };
    (chain, at(50.0).zip(at(99.0)).map(|(a, b)| [a, b]))
}

/// Every service of the shape `key` with its shares at p50 and p99 (0 when
/// off the path), in the order the module doc gives.
fn shares_by_service(
    key: &[u32],
    p50: &[(Sym, f64)],
    p99: &[(Sym, f64)],
    symbols: &Symbols,
) -> Vec<CriticalShare> {
    let share = |shares: &[(Sym, f64)], svc: Sym| {
        shares
            .iter()
            .find(|(x, _)| *x == svc)
            .map_or(0.0, |(_, v)| round4(*v))
    };
    let mut services: Vec<Sym> = key
        .chunks_exact(2)
        .map(|c| Sym(c[0]))
        .filter(|&s| s != DEEPER)
        .collect();
    services.sort_unstable();
    services.dedup();
    let mut critical_path: Vec<CriticalShare> = services
        .into_iter()
        .map(|svc| CriticalShare {
            service: name(symbols, svc),
            p50_share: share(p50, svc),
            p99_share: share(p99, svc),
        })
        .collect();
    critical_path.sort_by(|a, b| {
        b.p99_share
            .total_cmp(&a.p99_share)
            .then(b.p50_share.total_cmp(&a.p50_share))
            .then_with(|| a.service.cmp(&b.service))
    });
    critical_path
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Working space for [`Scratch::key`], reused across a thread's traces.
#[derive(Default)]
struct Scratch {
    /// Per span: its node in the service trie, or [`NO_NODE`].
    node_of: Vec<u32>,
    /// Trie nodes: (parent node, service, depth).
    nodes: Vec<(u32, Sym, u16)>,
    /// (parent node, service) -> node, for traces too big for a linear search.
    index: HashMap<(u32, Sym), u32>,
    walk: Vec<usize>,
    /// (parent node, node), to list each node's children.
    edges: Vec<(u32, Sym, u32)>,
    stack: Vec<(u32, usize)>,
    /// The key: the trie in preorder as (service, number of children) pairs,
    /// children ordered by symbol. Equal shapes give equal keys.
    out: Vec<u32>,
}

impl Scratch {
    /// Fills `self.out` with the shape key of `t`.
    fn key(&mut self, t: &Trace) {
        let n = t.spans.len();
        self.node_of.clear();
        self.node_of.resize(n, NO_NODE);
        self.nodes.clear();
        self.index.clear();
        let big = n > 32;
        for i in 0..n {
            if self.node_of[i] != NO_NODE {
                continue;
            }
            // Walk up to a resolved span or the root; a parent out of range or
            // a cycle (more than n steps) leaves the span out of the shape.
            self.walk.clear();
            let mut at = i;
            let mut parent_node = NO_NODE;
            let broken = loop {
                self.walk.push(at);
                match t.spans[at].parent.map(|p| p as usize) {
                    None => break false,
                    Some(p) if p >= n || self.walk.len() > n => break true,
                    Some(p) if self.node_of[p] != NO_NODE => {
                        parent_node = self.node_of[p];
                        break false;
                    }
                    Some(p) => at = p,
                }
            };
            if broken {
                continue;
            }
            while let Some(j) = self.walk.pop() {
                let mut svc = t.spans[j].service;
                let parent = (parent_node != NO_NODE).then(|| self.nodes[parent_node as usize]);
                let node = match parent {
                    Some((_, psvc, _)) if psvc == svc || psvc == DEEPER => parent_node,
                    _ => {
                        let depth = parent.map_or(0, |p| p.2 + 1);
                        if depth as usize >= MAX_DEPTH {
                            svc = DEEPER;
                        }
                        self.child(parent_node, svc, depth, big)
                    }
                };
                self.node_of[j] = node;
                parent_node = node;
            }
        }
        // Preorder with children by symbol; several roots sit under a virtual one.
        self.edges.clear();
        self.edges.extend(
            self.nodes
                .iter()
                .enumerate()
                .map(|(i, &(p, svc, _))| (p, svc, i as u32)),
        );
        self.edges.sort_unstable();
        self.out.clear();
        let children = |edges: &[(u32, Sym, u32)], p: u32| {
            let lo = edges.partition_point(|e| e.0 < p);
            let hi = edges.partition_point(|e| e.0 <= p);
            (lo, hi)
        };
        let (lo, hi) = children(&self.edges, NO_NODE);
        self.stack.clear();
        self.stack
            .extend((lo..hi).rev().map(|e| (self.edges[e].2, 0)));
        while let Some((node, _)) = self.stack.pop() {
            let (lo, hi) = children(&self.edges, node);
            self.out.push(self.nodes[node as usize].1 .0);
            self.out.push((hi - lo) as u32);
            self.stack
                .extend((lo..hi).rev().map(|e| (self.edges[e].2, 0)));
        }
    }

    fn child(&mut self, parent: u32, svc: Sym, depth: u16, big: bool) -> u32 {
        let found = if big {
            self.index.get(&(parent, svc)).copied()
        } else {
            self.nodes
                .iter()
                .position(|&(p, s, _)| p == parent && s == svc)
                .map(|i| i as u32)
        };
        found.unwrap_or_else(|| {
            let id = self.nodes.len() as u32;
            self.nodes.push((parent, svc, depth));
            if big {
                self.index.insert((parent, svc), id);
            }
            id
        })
    }
}

/// The signature of a shape key (see the module doc): children by name.
fn render(key: &[u32], symbols: &Symbols) -> String {
    struct Node {
        label: String,
        children: Vec<Node>,
    }
    // Rebuild the trie from the preorder pairs (depth is bounded by MAX_DEPTH).
    fn parse(key: &[u32], at: &mut usize, symbols: &Symbols) -> Option<Node> {
        let pair = key.get(*at..*at + 2)?;
        *at += 2;
        let sym = Sym(pair[0]);
        let label = if sym == DEEPER {
            "...".to_owned()
        } else {
            name(symbols, sym)
        };
        let mut children: Vec<Node> = (0..pair[1])
            .map_while(|_| parse(key, at, symbols))
            .collect();
        children.sort_by(|a, b| a.label.cmp(&b.label));
        Some(Node { label, children })
    }
    fn write(node: &Node, last: bool, out: &mut String) {
        if node.children.is_empty() {
            out.push_str(&node.label);
            return;
        }
        if !last {
            out.push('(');
        }
        out.push_str(&node.label);
        out.push_str(" > ");
        for (i, child) in node.children.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write(child, i + 1 == node.children.len(), out);
        }
        if !last {
            out.push(')');
        }
    }
    let mut at = 0;
    let mut roots = Vec::new();
    while let Some(n) = parse(key, &mut at, symbols) {
        roots.push(n);
    }
    // Normally one root; spans cut off from it (broken parents) are left out,
    // and several roots are listed side by side.
    roots.sort_by(|a, b| a.label.cmp(&b.label));
    let mut out = String::new();
    for (i, r) in roots.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write(r, i + 1 == roots.len(), &mut out);
    }
    out
}

/// The canonical shape of `t` (see the module doc).
pub fn signature(t: &Trace, symbols: &Symbols) -> String {
    let mut scratch = Scratch::default();
    scratch.key(t);
    render(&scratch.out, symbols)
}

/// Each service's share (0..=1) of `t`'s end-to-end latency on its critical
/// path, by service symbol.
pub fn critical_shares(t: &Trace) -> Vec<(Sym, f64)> {
    let total = t.duration_ns();
    if total <= 0 {
        return Vec::new();
    }
    let mut on_path: Vec<usize> = t
        .critical_path
        .iter()
        .map(|&i| i as usize)
        .filter(|&i| i < t.spans.len())
        .collect();
    on_path.sort_unstable();
    on_path.dedup();
    // (parent, child) among critical spans, by parent.
    let mut links: Vec<(usize, usize)> = on_path
        .iter()
        .filter_map(|&c| {
            let p = t.spans[c].parent? as usize;
            (p != c && on_path.binary_search(&p).is_ok()).then_some((p, c))
        })
        .collect();
    links.sort_unstable();
    let mut held: Vec<(Sym, i64)> = Vec::with_capacity(on_path.len());
    let mut kids: Vec<(i64, i64)> = Vec::new();
    for &i in &on_path {
        let s = &t.spans[i];
        let (lo, hi) = (s.start_ns.max(t.start_ns), s.end_ns.min(t.end_ns));
        if hi <= lo {
            held.push((s.service, 0));
            continue;
        }
        let from = links.partition_point(|l| l.0 < i);
        kids.clear();
        kids.extend(
            links[from..]
                .iter()
                .take_while(|l| l.0 == i)
                .map(|&(_, c)| (t.spans[c].start_ns.max(lo), t.spans[c].end_ns.min(hi)))
                .filter(|(a, b)| b > a),
        );
        kids.sort_unstable();
        held.push((s.service, (hi - lo) - union_len(&kids)));
    }
    held.sort_unstable_by_key(|h| h.0);
    let mut out: Vec<(Sym, i64)> = Vec::new();
    for (svc, ns) in held {
        match out.last_mut() {
            Some((s, v)) if *s == svc => *v += ns,
            _ => out.push((svc, ns)),
        }
    }
    out.into_iter()
        .map(|(svc, ns)| (svc, ns as f64 / total as f64))
        .collect()
}

/// Total length of sorted intervals' union.
fn union_len(sorted: &[(i64, i64)]) -> i64 {
    let mut total = 0;
    let mut cur: Option<(i64, i64)> = None;
    for &(a, b) in sorted {
        cur = match cur {
            Some((x, y)) if a <= y => Some((x, y.max(b))),
            Some((x, y)) => {
                total += y - x;
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    total + cur.map_or(0, |(x, y)| y - x)
}

impl TraceFold for Shapes {
    fn merge(&mut self, other: Shapes) {
        for (k, v) in other.0 {
            self.0.entry(k).or_default().append(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::requests::build::*;
    use super::*;

    fn sig(b: &Builder, i: usize) -> String {
        signature(&b.traces.traces[i], &b.symbols)
    }

    #[test]
    fn signature_sorts_children_collapses_repeats_and_same_service_hops() {
        let mut b = Builder::default();
        // edge calls orders then auth; orders calls payments, inventory twice,
        // and has an internal span that calls inventory again.
        b.trace(
            "a",
            &[
                s("edge", "GET /", None, 0, 100, 200),
                s("orders", "POST /orders", Some(0), 20, 70, 200),
                s("auth", "POST /verify", Some(0), 1, 10, 200),
                s("payments", "POST /charge", Some(1), 30, 10, 200),
                s("inventory", "GET /stock", Some(1), 41, 5, 200),
                s("inventory", "GET /stock", Some(1), 47, 5, 200),
                s("orders", "db", Some(1), 53, 20, 200),
                s("inventory", "GET /stock", Some(6), 54, 5, 200),
            ],
        );
        assert_eq!(sig(&b, 0), "edge > auth, orders > inventory, payments");
        // A callee with callees that is not the last child goes in parentheses.
        b.trace(
            "b",
            &[
                s("edge", "GET /", None, 0, 100, 200),
                s("search", "GET /q", Some(0), 1, 10, 200),
                s("orders", "GET /o", Some(0), 20, 10, 200),
                s("inventory", "GET /stock", Some(2), 21, 5, 200),
            ],
        );
        assert_eq!(sig(&b, 1), "edge > (orders > inventory), search");
        // Deep single chain, a service called back, and a lone span.
        b.trace(
            "c",
            &[
                s("a", "x", None, 0, 100, 200),
                s("b", "x", Some(0), 1, 90, 200),
                s("a", "cb", Some(1), 2, 80, 200),
            ],
        );
        assert_eq!(sig(&b, 2), "a > b > a");
        b.trace("d", &[s("solo", "x", None, 0, 1, 200)]);
        assert_eq!(sig(&b, 3), "solo");
    }

    #[test]
    fn deep_chains_are_cut_and_span_order_does_not_matter() {
        let mut b = Builder::default();
        let names = ["a", "b"];
        let deep: Vec<S> = (0..70)
            .map(|i| s(names[i % 2], "x", i.checked_sub(1), i as i64, 100, 200))
            .collect();
        b.trace("deep", &deep);
        let sig = sig(&b, 0);
        assert_eq!(sig.matches(" > ").count(), MAX_DEPTH);
        assert!(
            sig.starts_with("a > b > a > b") && sig.ends_with("b > ..."),
            "{sig}"
        );
        // The same shape with spans listed in another order and children
        // interned in another order is the same chain.
        b.trace(
            "x",
            &[
                s("edge", "GET /", None, 0, 100, 200),
                s("zeta", "z", Some(0), 1, 10, 200),
                s("alpha", "a", Some(0), 20, 10, 200),
            ],
        );
        b.trace(
            "y",
            &[
                s("alpha", "a", Some(2), 20, 10, 200),
                s("zeta", "z", Some(2), 1, 10, 200),
                s("edge", "GET /", None, 0, 100, 200),
            ],
        );
        let c = chains(&b.traces, &b.symbols);
        assert_eq!(c[0].signature, "edge > alpha, zeta");
        assert_eq!(c[0].count, 2);
    }

    #[test]
    fn broken_parent_links_do_not_hang_or_panic() {
        let mut b = Builder::default();
        let t = b.trace(
            "loop",
            &[
                s("edge", "GET /", None, 0, 100, 200),
                s("x", "a", Some(0), 1, 10, 200),
            ],
        );
        // A cycle between two spans and a parent index out of range.
        t.spans.push(t.spans[1].clone());
        t.spans[1].parent = Some(2);
        t.spans[2].parent = Some(1);
        t.spans.push(t.spans[0].clone());
        t.spans[3].parent = Some(99);
        t.spans[3].service = t.spans[1].service;
        t.critical_path = vec![0, 1, 2, 99];
        assert_eq!(sig(&b, 0), "edge");
        let shares = critical_shares(&b.traces.traces[0]);
        assert!(shares.iter().all(|(_, v)| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn critical_shares_are_self_time_on_the_path() {
        let mut b = Builder::default();
        // edge 0..100, orders 20..90 on the path, inventory 30..80 on the path;
        // auth 1..11 is off the path (it ends before orders).
        b.trace(
            "a",
            &[
                s("edge", "GET /", None, 0, 100, 200),
                s("auth", "POST /verify", Some(0), 1, 10, 200),
                s("orders", "POST /orders", Some(0), 20, 70, 200),
                s("inventory", "GET /stock", Some(2), 30, 50, 200),
            ],
        );
        assert_eq!(b.traces.traces[0].critical_path, vec![0, 2, 3]);
        let got: Vec<(String, f64)> = critical_shares(&b.traces.traces[0])
            .into_iter()
            .map(|(s, v)| (b.symbols.get(s).to_owned(), v))
            .collect();
        let want = [("edge", 0.3), ("orders", 0.2), ("inventory", 0.5)];
        for (svc, share) in want {
            let v = got.iter().find(|(s, _)| s == svc).unwrap().1;
            assert!((v - share).abs() < 1e-12, "{svc}: {v}");
        }
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn chains_aggregate_and_take_shares_at_the_p50_and_p99_trace() {
        let mut b = Builder::default();
        // 100 traces edge > orders of end-to-end 1..=100 ms; orders takes
        // the trace's duration minus 1 ms, the edge 1 ms. Every 10th fails.
        for i in 1..=100 {
            let status = if i % 10 == 0 { 500 } else { 200 };
            b.trace(
                &format!("t{i:03}"),
                &[
                    s("edge", "GET /", None, i * 1000, i, status),
                    s("orders", "GET /o", Some(0), i * 1000 + 1, i - 1, status),
                ],
            );
        }
        // Two traces of another shape.
        for i in 0..2 {
            b.trace(
                &format!("u{i}"),
                &[s("edge", "GET /health", None, i, 5, 200)],
            );
        }
        let c = chains(&b.traces, &b.symbols);
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].signature.as_str(), c[0].count, c[0].errors),
            ("edge > orders", 100, 10)
        );
        let l = c[0].latency_ms.as_ref().unwrap();
        assert_eq!((l.p50, l.p99, l.max), (50.0, 99.0, 100.0));
        // At p50 (the 50 ms trace): orders 49/50, edge 1/50; at p99: 98/99, 1/99.
        let cp: Vec<(&str, f64, f64)> = c[0]
            .critical_path
            .iter()
            .map(|x| (x.service.as_str(), x.p50_share, x.p99_share))
            .collect();
        assert_eq!(cp, vec![("orders", 0.98, 0.9899), ("edge", 0.02, 0.0101)]);
        assert_eq!(
            (c[1].signature.as_str(), c[1].count, c[1].errors),
            ("edge", 2, 0)
        );
        assert_eq!(c[1].critical_path[0].p50_share, 1.0);
    }

    #[test]
    fn traces_without_a_duration_are_left_out_of_latency_and_shares() {
        let mut b = Builder::default();
        let untimed = |start| {
            let mut x = s("worker", "job", None, start, 0, 200);
            x.timed = false;
            x
        };
        b.trace("a", &[untimed(0)]);
        b.trace("b", &[untimed(10)]);
        let c = chains(&b.traces, &b.symbols);
        assert_eq!((c[0].count, &c[0].latency_ms), (2, &None));
        assert!(c[0].critical_path.is_empty());
        // One timed trace of the same shape gives the chain its latency.
        b.trace("c", &[s("worker", "job", None, 20, 7, 200)]);
        let c = chains(&b.traces, &b.symbols);
        let l = c[0].latency_ms.as_ref().unwrap();
        assert_eq!((c[0].count, l.count, l.p50), (3, 1, 7.0));
        assert_eq!(c[0].critical_path[0].p99_share, 1.0);
    }

    #[test]
    fn equal_counts_sorted_by_signature_and_empty_traces_skipped() {
        let mut b = Builder::default();
        b.trace("1", &[s("b", "x", None, 0, 1, 200)]);
        b.trace("2", &[s("a", "x", None, 0, 1, 200)]);
        b.traces.traces.push(crate::trace::Trace {
            spans: vec![],
            ..b.traces.traces[0].clone()
        });
        let c = chains(&b.traces, &b.symbols);
        let sigs: Vec<&str> = c.iter().map(|c| c.signature.as_str()).collect();
        assert_eq!(sigs, vec!["a", "b"]);
        assert!(chains(&Traces::default(), &b.symbols).is_empty());
    }
}
