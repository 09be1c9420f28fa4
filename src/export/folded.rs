//! Traces -> folded stacks for flame graphs (inferno, flamegraph.pl, speedscope).
//!
//! Input: an [`Export`]. Output: one line per distinct call stack,
//! `svc;op;svc;op N`, sorted by stack, where N is the self time in µs summed
//! over every chosen trace: the time a span spent outside its children.
//!
//! Each span counts only inside its parent (as Jaeger clips for the critical
//! path): a child that clock skew or an inferred parent pushed past its
//! parent's end is cut there. So when calls are made one after the other,
//! the stacks of a trace add up to its root span's duration and a flame
//! graph's width is the time requests took; calls made in parallel each
//! count their own time, as a profiler counts each thread.
//! Names lose `;` and line breaks, which the format reserves.

use std::collections::BTreeMap;
use std::io::{self, Write};

use rayon::prelude::*;

use super::Export;
use crate::trace::Trace;

/// Writes `x` as folded stacks.
pub fn write(x: &Export, w: &mut dyn Write) -> io::Result<()> {
    let per_trace: Vec<Vec<(String, i64)>> =
        x.traces.par_iter().map(|t| self_times(x, t)).collect();
    let mut total: BTreeMap<String, i64> = BTreeMap::new();
    for (stack, ns) in per_trace.into_iter().flatten() {
        let e = total.entry(stack).or_default();
        *e = e.saturating_add(ns);
    }
    for (stack, ns) in total {
        let us = ns.saturating_add(500) / 1_000;
        if us > 0 {
            writeln!(w, "{stack} {us}")?;
        }
    }
    Ok(())
}

/// Each span's stack and self time (ns), root first, clipped as the module says.
pub fn self_times(x: &Export, t: &Trace) -> Vec<(String, i64)> {
    let n = t.spans.len();
    let root = t.root as usize;
    if root >= n {
        return Vec::new();
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (k, s) in t.spans.iter().enumerate() {
        if let Some(p) = s.parent.map(|p| p as usize) {
            if p < n && k != root {
                children[p].push(k);
            }
        }
    }
    let r = &t.spans[root];
    let mut clip: Vec<Option<(i64, i64)>> = vec![None; n];
    clip[root] = Some((r.start_ns, r.end_ns.max(r.start_ns)));
    let mut stacks: Vec<String> = vec![String::new(); n];
    stacks[root] = frame(x, root, t);
    let mut order = vec![root];
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    while i < order.len() {
        let p = order[i];
        i += 1;
        let Some((ps, pe)) = clip[p] else { continue };
        let mut inner: Vec<(i64, i64)> = Vec::new();
        for &c in &children[p] {
            if clip[c].is_some() || c == root {
                continue; // guards against a malformed tree
            }
            let s = &t.spans[c];
            let (cs, ce) = (s.start_ns.max(ps), s.end_ns.min(pe));
            // A child wholly outside its parent still gets a (zero-length) place.
            let (cs, ce) = if cs <= ce { (cs, ce) } else { (ps, ps) };
            clip[c] = Some((cs, ce));
            stacks[c] = format!("{};{}", stacks[p], frame(x, c, t));
            inner.push((cs, ce));
            order.push(c);
        }
        out.push((
            std::mem::take(&mut stacks[p]),
            (pe - ps) - covered(&mut inner),
        ));
    }
    out
}

/// `svc;op` of span `i`, with the format's separators replaced.
fn frame(x: &Export, i: usize, t: &Trace) -> String {
    let s = &t.spans[i];
    let clean = |v: &str| v.replace(';', ":").replace(['\n', '\r'], " ");
    format!("{};{}", clean(x.service_of(s)), clean(x.operation_of(s)))
}

/// The length of the union of `intervals`.
fn covered(intervals: &mut [(i64, i64)]) -> i64 {
    intervals.sort_unstable();
    let mut total = 0i64;
    let mut cur: Option<(i64, i64)> = None;
    for &(s, e) in intervals.iter() {
        match cur {
            Some((cs, ce)) if s <= ce => cur = Some((cs, ce.max(e))),
            _ => {
                if let Some((cs, ce)) = cur {
                    total += ce - cs;
                }
                cur = Some((s, e));
            }
        }
    }
    if let Some((cs, ce)) = cur {
        total += ce - cs;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::testing::*;
    use crate::export::{render, Format};

    #[test]
    fn overlapping_children_are_counted_once() {
        assert_eq!(covered(&mut [(10, 50), (0, 20), (60, 70)]), 60);
        assert_eq!(covered(&mut []), 0);
    }

    #[test]
    fn self_times_add_up_to_the_root_and_children_are_clipped() {
        let mut f = fixture();
        // db [20, 80] -> [20, 130]: its last 30 ms lie outside edge [0, 100].
        f.traces.traces[0].spans[2].end_ns = T0 + 130 * MS;
        let x = f.export();
        let text = String::from_utf8(render(Format::Folded, &x)).unwrap();
        assert_eq!(
            text,
            "edge;GET /x 40000\n\
             edge;GET /x;auth;POST /verify 10000\n\
             edge;GET /x;db;SELECT 80000\n"
        );
        // edge: 100 - 10 (auth) - 80 (db, clipped) = 10 ms; plus trace 2's 30 ms.
        let sum: i64 = text
            .lines()
            .map(|l| l.rsplit_once(' ').unwrap().1.parse::<i64>().unwrap())
            .sum();
        assert_eq!(sum, 130_000);
    }

    #[test]
    fn parallel_calls_each_count_their_time() {
        let mut f = fixture();
        // auth [5, 15] and db [10, 80] overlap: edge's own time is 100 - 75.
        f.traces.traces[0].spans[2].start_ns = T0 + 10 * MS;
        let x = f.export();
        let t = x.traces[0];
        let got: Vec<(String, i64)> = self_times(&x, t)
            .into_iter()
            .map(|(s, ns)| (s, ns / MS))
            .collect();
        assert_eq!(
            got,
            vec![
                ("edge;GET /x".into(), 25),
                ("edge;GET /x;auth;POST /verify".into(), 10),
                ("edge;GET /x;db;SELECT".into(), 70)
            ]
        );
    }

    #[test]
    fn separators_in_names_do_not_break_lines() {
        let mut f = fixture();
        let odd = f.symbols.intern("a;b\nc");
        f.traces.traces[1].spans[0].operation = odd;
        let x = f.export();
        let text = String::from_utf8(render(Format::Folded, &x)).unwrap();
        assert!(text.contains("edge;a:b c 30000\n"), "{text}");
    }
}
