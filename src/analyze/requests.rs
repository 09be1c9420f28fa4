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
