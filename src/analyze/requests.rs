//! Traces -> [`Request`]s: one per span, the unit every statistic counts.
//!
//! Input: [`Traces`]. Output: one [`Request`] per span of every trace (the
//! root span is the trace's entry) followed by one per untraced span (each an
//! entry of its own). A placeholder span (a parent id no line of the trace
//! carries) is no request any service logged: it has none. The order is fixed: traces in their order (start, then
//! id), spans in their order inside a trace, then untraced spans in event
//! order, so every consumer sees the same list whatever the thread count.

use super::Request;
use crate::trace::{critical, Span, Traces};

/// Every span of `traces` as a request, in the order described above.
pub fn requests(traces: &Traces) -> Vec<Request> {
    let n: usize = traces.traces.iter().map(|t| t.spans.len()).sum();
    let mut out = Vec::with_capacity(n + traces.untraced.len());
    for (t, trace) in traces.traces.iter().enumerate() {
        let root = trace.root as usize;
        out.extend(
            trace
                .spans
                .iter()
                .enumerate()
                .filter(|(_, s)| !s.is_placeholder())
                .map(|(i, s)| Request {
                    recovered: s.error && critical::recovered(&trace.spans, i),
                    ..request(s, i == root, Some(t as u32))
                }),
        );
    }
    out.extend(traces.untraced.iter().map(|s| request(s, true, None)));
    out
}

pub(super) fn request(s: &Span, entry: bool, trace: Option<u32>) -> Request {
    Request {
        service: s.service,
        operation: s.operation,
        start_ns: s.start_ns,
        end_ns: s.end_ns,
        timed: s.timed,
        status: s.status,
        error: s.error,
        recovered: false,
        entry,
        trace,
    }
}

/// Hand-built traces for the analysis tests.
#[cfg(test)]
pub(crate) mod build {
    use crate::ingest::event::{SpanId, Sym, Symbols};
    use crate::trace::{Span, SpanIdx, Trace, Traces};

    pub const MS: i64 = 1_000_000;
    /// 2024-03-01T12:00:00Z in ns.
    pub const T0: i64 = 1_709_294_400 * 1_000_000_000;

    /// A span as the tests write it: times in ms after [`T0`].
    #[derive(Clone, Debug)]
    pub struct S {
        pub service: &'static str,
        pub operation: &'static str,
        pub parent: Option<usize>,
        pub start_ms: i64,
        pub dur_ms: i64,
        pub status: u16,
        pub error: bool,
        pub timed: bool,
    }

    /// A timed span; `error` follows the status (>= 500).
    pub fn s(
        service: &'static str,
        operation: &'static str,
        parent: Option<usize>,
        start_ms: i64,
        dur_ms: i64,
        status: u16,
    ) -> S {
        S {
            service,
            operation,
            parent,
            start_ms,
            dur_ms,
            status,
            error: status >= 500,
            timed: true,
        }
    }

    /// Builds [`Traces`] and the symbol table they refer to.
    #[derive(Default)]
    pub struct Builder {
        pub symbols: Symbols,
        pub traces: Traces,
    }

    impl Builder {
        pub fn sym(&mut self, s: &str) -> Sym {
            self.symbols.intern(s)
        }

        fn span(&mut self, s: &S) -> Span {
            Span {
                service: self.symbols.intern(s.service),
                operation: self.symbols.intern(s.operation),
                span_id: SpanId::None,
                start_ns: T0 + s.start_ms * MS,
                end_ns: T0 + (s.start_ms + s.dur_ms) * MS,
                timed: s.timed,
                status: s.status,
                error: s.error,
                parent: s.parent.map(|p| p as SpanIdx),
                inferred_parent: false,
                logged_parent: false,
                file: None,
                depth: 0,
                link: Default::default(),
                kind: Default::default(),
                parent_confidence: 1.0,
                events: Default::default(),
            }
        }

        /// Adds a trace. The root is the span without a parent; the error
        /// origin is the deepest failing span (earliest on a tie); the
        /// critical path follows, from the root, the child that ends last.
        pub fn trace(&mut self, id: &str, spans: &[S]) -> &mut Trace {
            let mut out: Vec<Span> = spans.iter().map(|s| self.span(s)).collect();
            for i in 0..out.len() {
                let mut d = 0;
                let mut p = out[i].parent;
                while let Some(j) = p {
                    d += 1;
                    p = out[j as usize].parent;
                }
                out[i].depth = d;
            }
            let root = out.iter().position(|s| s.parent.is_none()).unwrap_or(0);
            let error_origin = crate::trace::critical::error_origin(&out, root as SpanIdx);
            let mut critical_path = vec![root as SpanIdx];
            let mut at = root;
            while let Some(next) = (0..out.len())
                .filter(|&c| out[c].parent == Some(at as SpanIdx))
                .max_by_key(|&c| (out[c].end_ns, std::cmp::Reverse(c)))
            {
                critical_path.push(next as SpanIdx);
                at = next;
            }
            let id = self.symbols.intern(id);
            self.traces.traces.push(Trace {
                id,
                ids: vec![id],
                start_ns: out[root].start_ns,
                end_ns: out[root].end_ns,
                root: root as SpanIdx,
                spans: out,
                error_origin,
                critical_path,
                root_latency_ns: None,
                logged_parts: Vec::new(),
            });
            self.traces.traces.last_mut().unwrap()
        }

        /// Adds an untraced request (parent ignored).
        pub fn untraced(&mut self, s: S) {
            let span = self.span(&s);
            self.traces.untraced.push(span);
        }
    }

    /// A small shop as its logs tell it, for the tests that run the trace
    /// stage: edge -> orders -> inventory under request ids, each service
    /// in a file of its own, and a plain access log without ids. Two bursts
    /// an hour apart use the same request ids (the trace stage splits them
    /// into separate traces); four requests start at once every 2 s, so
    /// starts tie and the id's text decides, whose order is not the order
    /// the ids were interned in. Some requests fail, some are not timed,
    /// some are logged by the edge alone; from minute 4 to 6 of the first
    /// burst (with `per_burst` above 480) inventory is 10x slower and half
    /// the requests fail.
    pub fn logged_shop(seed: u64, per_burst: usize) -> crate::ingest::Ingested {
        use crate::ingest::event::{Event, SourceRef};
        let mut rng = seed.max(1);
        let mut next = move |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        let mut symbols = Symbols::default();
        let [edge, orders, inventory, web] =
            ["edge", "orders", "inventory", "web"].map(|s| symbols.intern(s));
        let [place, order, stock, page] = [
            "POST /api/orders",
            "POST /orders",
            "GET /stock/{id}",
            "GET /static/{file}",
        ]
        .map(|s| symbols.intern(s));
        let mut files: [Vec<Event>; 4] = Default::default();
        let ev = |at_ms: f64, dur_ms: Option<f64>, service, operation, id, status| Event {
            time_ns: T0 + (at_ms * MS as f64) as i64,
            duration_ns: dur_ms.map_or(Event::NO_DURATION, |d| (d * MS as f64) as u64),
            service,
            operation,
            request_id: id,
            status,
            ..Default::default()
        };
        for burst in 0..2 {
            for j in 0..per_burst {
                let id = symbols.intern(&format!("{:06x}", (j as u64 * 2_654_435_761) % 999_983));
                let at = (j / 4) as f64 * 2_000.0;
                let start = (burst * 3_600_000) as f64 + at;
                let incident = burst == 0 && (240_000.0..360_000.0).contains(&at);
                let fails = next(if incident { 2 } else { 8 }) == 0;
                let slower = if incident { 10.0 } else { 1.0 };
                let (inv, ord) = (slower * (1.0 + next(20) as f64), 3.0 + next(30) as f64);
                let total = inv + ord + 2.0 + next(3) as f64;
                let bad = |s: u16| if fails { s } else { 200 };
                files[0].push(ev(start + total, Some(total), edge, place, id, bad(502)));
                if next(10) == 0 {
                    continue;
                }
                let timed = (next(6) != 0).then_some(ord + inv);
                files[1].push(ev(
                    start + 1.0 + ord + inv,
                    timed,
                    orders,
                    order,
                    id,
                    bad(503),
                ));
                files[2].push(ev(
                    start + 2.0 + inv,
                    Some(inv),
                    inventory,
                    stock,
                    id,
                    bad(500),
                ));
            }
            for j in 0..per_burst / 3 {
                let at = (burst * 3_600_000) as f64 + j as f64 * 3.0;
                let status = if next(9) == 0 { 404 } else { 200 };
                let timed = (next(2) == 0).then_some(next(9) as f64);
                files[3].push(ev(at, timed, web, page, Sym::NONE, status));
            }
        }
        let mut events = Vec::new();
        for (file, evs) in files.into_iter().enumerate() {
            for (line, mut e) in evs.into_iter().enumerate() {
                e.source = SourceRef {
                    file: file as u32,
                    line: line as u32 + 1,
                };
                events.push(e);
            }
        }
        crate::ingest::Ingested {
            events,
            symbols,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;

    #[test]
    fn one_request_per_span_roots_and_untraced_are_entries() {
        let mut b = Builder::default();
        b.trace(
            "r1",
            &[
                s("edge", "GET /", None, 0, 100, 200),
                s("auth", "POST /verify", Some(0), 10, 20, 200),
            ],
        );
        b.trace(
            "r2",
            &[
                s("orders", "POST /orders", Some(1), 510, 50, 503),
                s("edge", "POST /api", None, 500, 80, 502),
            ],
        );
        let mut u = s("web", "GET /x", None, 900, 0, 404);
        u.timed = false;
        b.untraced(u);
        let r = requests(&b.traces);
        let got: Vec<(&str, bool, Option<u32>, Option<i64>)> = r
            .iter()
            .map(|r| {
                (
                    b.symbols.get(r.service),
                    r.entry,
                    r.trace,
                    r.duration_ns().map(|d| d / MS),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("edge", true, Some(0), Some(100)),
                ("auth", false, Some(0), Some(20)),
                ("orders", false, Some(1), Some(50)),
                ("edge", true, Some(1), Some(80)),
                ("web", true, None, None),
            ]
        );
        assert!(r[2].error && !r[2].client_error());
        assert!(r[4].client_error() && !r[4].error);
    }

    #[test]
    fn no_traces_no_requests() {
        assert!(requests(&Traces::default()).is_empty());
    }
}
