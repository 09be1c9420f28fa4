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
//! each service's share taken separately would not. Services listed are every
//! service on the critical path of any of the chain's traces, highest
//! `p99_share` first, then highest `p50_share`, then by name.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rayon::prelude::*;

use super::latency::{latency, nearest_rank};
use super::stats::name;
use super::summary::{Chain, CriticalShare};
use crate::ingest::event::{Sym, Symbols};
use crate::trace::{Trace, Traces};

/// Deeper service paths are cut here; the signature ends with `...`.
const MAX_DEPTH: usize = 64;

/// One trace's contribution to its chain.
struct Shape {
    signature: String,
    duration_ns: i64,
    failed: bool,
    /// Critical-path share per service.
    shares: Vec<(Sym, f64)>,
}

/// The chains of all traces.
pub fn chains(traces: &Traces, symbols: &Symbols) -> Vec<Chain> {
    let shapes: Vec<Shape> = traces
        .traces
        .par_iter()
        .filter(|t| !t.spans.is_empty())
        .map(|t| Shape {
            signature: signature(t, symbols),
            duration_ns: t.duration_ns(),
            failed: t.failed(),
            shares: critical_shares(t),
        })
        .collect();
    let mut groups: HashMap<&str, Vec<&Shape>> = HashMap::new();
    for s in &shapes {
        groups.entry(s.signature.as_str()).or_default().push(s);
    }
    let mut out: Vec<Chain> = groups
        .into_par_iter()
        .map(|(sig, members)| chain(sig, &members, symbols))
        .collect();
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.signature.cmp(&b.signature))
    });
    out
}

/// One chain from its traces (in trace order).
fn chain(signature: &str, members: &[&Shape], symbols: &Symbols) -> Chain {
    let mut durations: Vec<i64> = members.iter().map(|s| s.duration_ns).collect();
    let latency_ms = latency(&mut durations);
    // Members ranked by latency; the stable sort keeps trace order on ties.
    let mut ranked: Vec<&Shape> = members.to_vec();
    ranked.sort_by_key(|s| s.duration_ns);
    let ranks: Vec<i64> = (0..ranked.len() as i64).collect();
    let at = |p: f64| ranked[nearest_rank(&ranks, p).unwrap_or(0) as usize];
    let (p50, p99) = (at(50.0), at(99.0));
    let mut services: BTreeSet<Sym> = BTreeSet::new();
    for m in members {
        services.extend(m.shares.iter().map(|(s, _)| *s));
    }
    let share = |s: &Shape, svc: Sym| {
        s.shares
            .iter()
            .find(|(x, _)| *x == svc)
            .map_or(0.0, |(_, v)| round4(*v))
    };
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
    Chain {
        signature: signature.to_owned(),
        count: members.len() as u64,
        errors: members.iter().filter(|s| s.failed).count() as u64,
        latency_ms,
        critical_path,
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The service path of each span from the root, same-service hops collapsed;
/// `None` for a span whose parent chain is broken (cycle, index out of range).
fn service_paths(t: &Trace) -> Vec<Option<Vec<Sym>>> {
    let n = t.spans.len();
    (0..n)
        .map(|i| {
            // Walk up to the root; more than n steps means a cycle.
            let mut chain = vec![i];
            let mut at = i;
            while let Some(p) = t.spans[at].parent {
                let p = p as usize;
                if p >= n || chain.len() > n {
                    return None;
                }
                chain.push(p);
                at = p;
            }
            let mut path: Vec<Sym> = Vec::new();
            for &j in chain.iter().rev() {
                let svc = t.spans[j].service;
                if path.last() != Some(&svc) {
                    path.push(svc);
                }
            }
            path.truncate(MAX_DEPTH + 1);
            Some(path)
        })
        .collect()
}

/// The canonical shape of `t` (see the module doc).
pub fn signature(t: &Trace, symbols: &Symbols) -> String {
    // The tree is the trie of the spans' service paths; children by name.
    #[derive(Default)]
    struct Node(BTreeMap<String, Node>);
    let mut roots = Node::default();
    for path in service_paths(t).into_iter().flatten() {
        let mut node = &mut roots;
        for (d, svc) in path.iter().enumerate() {
            let label = if d == MAX_DEPTH {
                "...".to_owned()
            } else {
                name(symbols, *svc)
            };
            node = node.0.entry(label).or_default();
        }
    }
    fn write(label: &str, node: &Node, last: bool, out: &mut String) {
        if node.0.is_empty() {
            out.push_str(label);
            return;
        }
        if !last {
            out.push('(');
        }
        out.push_str(label);
        out.push_str(" > ");
        let n = node.0.len();
        for (i, (child, sub)) in node.0.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write(child, sub, i + 1 == n, out);
        }
        if !last {
            out.push(')');
        }
    }
    // Normally one root; spans cut off from it (broken parents) are left out,
    // and several roots are listed side by side.
    let mut out = String::new();
    let n = roots.0.len();
    for (i, (label, node)) in roots.0.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write(label, node, i + 1 == n, &mut out);
    }
    out
}

/// Each service's share (0..=1) of `t`'s end-to-end latency on its critical path.
pub fn critical_shares(t: &Trace) -> Vec<(Sym, f64)> {
    let total = t.duration_ns();
    if total <= 0 {
        return Vec::new();
    }
    let on_path: BTreeSet<usize> = t
        .critical_path
        .iter()
        .map(|&i| i as usize)
        .filter(|&i| i < t.spans.len())
        .collect();
    // Critical children of each critical span.
    let mut children: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &c in &on_path {
        if let Some(p) = t.spans[c].parent {
            if on_path.contains(&(p as usize)) && p as usize != c {
                children.entry(p as usize).or_default().push(c);
            }
        }
    }
    let mut held: BTreeMap<Sym, i64> = BTreeMap::new();
    for &i in &on_path {
        let s = &t.spans[i];
        let (lo, hi) = (s.start_ns.max(t.start_ns), s.end_ns.min(t.end_ns));
        if hi <= lo {
            held.entry(s.service).or_default();
            continue;
        }
        let mut kids: Vec<(i64, i64)> = children
            .get(&i)
            .map(|v| v.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|&c| (t.spans[c].start_ns.max(lo), t.spans[c].end_ns.min(hi)))
            .filter(|(a, b)| b > a)
            .collect();
        kids.sort_unstable();
        *held.entry(s.service).or_default() += (hi - lo) - union_len(&kids);
    }
    held.into_iter()
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
        let l = &c[0].latency_ms;
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
