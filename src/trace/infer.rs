//! Clock-corrected spans with their id links -> a parent for every other span.
//!
//! Input: a trace's spans (times corrected, parents from ids set), the
//! [`Graph`] learned from the whole run and the clock offsets' uncertainty.
//! Output: each span without a parent gets one (`inferred_parent`, with a
//! `parent_confidence` and a `link` kind), or is the root.
//!
//! The call graph is learned first: which service calls which, from every
//! id link ([`Graph::learn`]), and which operation calls which, from ids and
//! timing on a sample of the run ([`Graph::learn_by_timing`]). Then, per
//! span without a parent, the candidates are the spans that could have
//! called it by time:
//! - child of: it started after the candidate started and, where the
//!   candidate's end is logged, ended before the candidate ended (and lasted
//!   no longer: durations need no clock), within the uncertainty of both
//!   clocks; of two spans of one process stamped in the same millisecond,
//!   the one whose first line was written first started first;
//! - follows from: it started after a candidate with a logged end started,
//!   and outlived it or started after it ended (an async hop: a
//!   fire-and-forget call, a queued job). Not fitting inside is evidence
//!   against nesting, not for a clock offset;
//! - named: where another process logged the very request the span
//!   served, ids and all ([`Event::call`]: a client's `calling ledger: GET
//!   /ledger/62828`, a sidecar's outbound line, a proxy that passed it on),
//!   only such spans are candidates, even where skewed clocks put them
//!   elsewhere, and one that logged how long it waited, at least as long
//!   as the span ran, waited for it (see [`named_callers`]). A placeholder
//!   (its child logged a parent id nobody else did: a caller that logs
//!   request ids only) takes the caller that named its child's request.
//!
//! A candidate's weight is how often its operation, where it could have
//! called the span's operation, did (else the share of the span's service's
//! id-linked callers that the candidate's service holds; Mystery Machine: a
//! caller that many traces show never calls it is not its caller, however
//! well it fits), times
//! a preference for the innermost caller (half the weight for every other
//! candidate inside it: a call comes from the deepest request still
//! running), for a span of the same process (one clock, no skew), against
//! async hops and against a request logged by one line only (its end is
//! unknown). Two requests of one process with no logged end are not nested
//! (they are as likely siblings). The heaviest
//! candidate wins; its share of the weight, scaled to at most
//! [`MAX_INFERRED_CONFIDENCE`], is the confidence. The root is
//! the earliest span nothing could have called and waited for, one of the
//! entry service (the one most traces enter through) first (where either
//! clock stamps whole seconds, a longer span is no such caller for it, nor
//! is one that holds it only within the clocks' error); spans with no
//! candidate hang under it with confidence 0.

use rustc_hash::FxHashMap as HashMap;

use crate::ingest::event::{Event, Sym};

use super::clock::Offsets;
use super::ids::creates_cycle;
use super::spans::{starts_after_line_of, Coarse, COARSE_NS, HOLD_NS};
use super::{Link, Span, SpanIdx, SpanKind, MAX_INFERRED_CONFIDENCE};

/// Longest an async hop may wait before its callee starts (ns).
pub const MAX_ASYNC_NS: i64 = 600 * 1_000_000_000;
/// Most candidates weighed for one span (the latest-starting ones).
pub const MAX_CANDIDATES: usize = 64;
/// Above this many spans a trace is not searched (candidates are quadratic):
/// its parentless spans hang under the root.
pub const MAX_INFER_SPANS: usize = 4096;

/// Traces of the run whose spans' callers are learned ([`Graph::learn_by_timing`]).
pub const LEARN_SAMPLE: usize = 20_000;

/// Above this many nodes (service and operation) in a sample trace, the
/// nodes that could not have called a span are not counted as losing the
/// chance ([`Graph::learn_by_timing`]): it would cost spans x nodes.
const MAX_PRESENT_NODES: usize = 256;
/// Calls of a callee node below which its learned rates are not used:
/// on a few traces they say more about those traces than about the system
/// (on the five real Zipkin traces, with 3, dependency precision without
/// span ids fell from 0.77 to 0.42).
const MIN_EVIDENCE: u32 = 30;

/// A span's place in the call graph: its service and operation.
pub type Node = (Sym, Sym);

/// Who calls whom, counted over the whole run: `calls[(caller, callee)]`.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub calls: HashMap<(Sym, Sym), u64>,
    /// Per callee, all calls counted to it.
    pub into: HashMap<Sym, u64>,
    /// Per (caller node, callee node): how often the caller, where it could
    /// have called the callee, did, learned from ids and timing over a
    /// sample of the run ([`Graph::learn_by_timing`]).
    prior: HashMap<(Node, Node), f32>,
    /// Per callee node: how many of its calls that rests on.
    evidence: HashMap<Node, u32>,
}

/// What one sample trace says about its spans' callers
/// ([`Graph::learn_by_timing`]).
#[derive(Clone, Debug, Default)]
pub struct Observations {
    /// Callers named by ids: (caller node, callee node).
    linked: Vec<(Node, Node)>,
    /// Per span whose caller timing must find: its node and its part of
    /// `options`.
    orphans: Vec<(Node, u32, u32)>,
    /// Every candidate caller's node and weight by timing alone.
    options: Vec<(Node, f64)>,
}

impl Graph {
    pub fn merge(mut self, other: Graph) -> Graph {
        for (k, v) in other.calls {
            *self.calls.entry(k).or_default() += v;
        }
        for (k, v) in other.into {
            *self.into.entry(k).or_default() += v;
        }
        self
    }
    fn add(&mut self, caller: Sym, callee: Sym) {
        *self.calls.entry((caller, callee)).or_default() += 1;
        *self.into.entry(callee).or_default() += 1;
    }
    /// The evidence one trace gives: its id links. (Timing alone is not
    /// evidence of who calls whom: the spans that only one span could have
    /// called are those of the simplest traces, and counting them would
    /// teach that the entry calls everything.)
    pub fn learn(spans: &[Span]) -> Graph {
        let mut g = Graph::default();
        g.learn_from(spans);
        g
    }
    /// Adds the evidence of one more trace ([`Graph::learn`]).
    pub fn learn_from(&mut self, spans: &[Span]) {
        for (caller, callee) in id_links(spans) {
            self.add(caller.0, callee.0);
        }
    }
    /// Learns who calls whom where no ids say it (the Mystery Machine's
    /// idea: many traces rule out what one cannot). Each span whose caller
    /// timing must find has candidates, each weighed by timing alone (the
    /// innermost first). A caller node's rate for a callee node is the
    /// weight's share it wins where it is a candidate: a service's real
    /// caller wins most of the traces it appears in, while a grandparent or
    /// a sibling that holds the span by chance is a candidate in many
    /// traces and wins few. A node in the trace none of whose spans (with a
    /// logged end) could have called the span had the chance too, and lost
    /// it: a sibling that runs in parallel holds the span in some traces and
    /// not in others, while a caller holds its call every time. Calls that
    /// ids name count as chances won in full. The rate then weighs the
    /// candidates in [`assign`].
    ///
    /// One round, not an iterated expectation-maximisation: on the
    /// simulation, reweighing by the rates and learning again sharpened them
    /// until rare callers lost every trace (graph recall 0.86 -> 0.80 after
    /// five rounds) for little gain elsewhere.
    ///
    /// The order of `sample` is the traces' order: the sums, and so the
    /// rates, do not depend on threads.
    pub fn learn_by_timing(&mut self, sample: &[Observations]) {
        // Per pair: the share of the weight it won, and its chances.
        let mut pairs: HashMap<(Node, Node), (f64, f64)> = HashMap::default();
        let mut evidence: HashMap<Node, u32> = HashMap::default();
        let mut add = |caller: Node, callee: Node, share: f64| {
            let (won, chances) = pairs.entry((caller, callee)).or_default();
            *won += share;
            *chances += 1.0;
        };
        for o in sample {
            for &(caller, callee) in &o.linked {
                add(caller, callee, 1.0);
                *evidence.entry(callee).or_default() += 1;
            }
            for &(callee, from, to) in &o.orphans {
                let options = &o.options[from as usize..to as usize];
                let sum: f64 = options.iter().map(|&(_, t)| t).sum();
                if sum <= 0.0 {
                    continue;
                }
                for &(caller, t) in options {
                    add(caller, callee, t / sum);
                }
                *evidence.entry(callee).or_default() += 1;
            }
        }
        self.prior = pairs
            .into_iter()
            .map(|(key, (won, chances))| (key, (won / chances) as f32))
            .collect();
        self.evidence = evidence;
    }
    /// How likely `caller` is to be `callee`'s caller, before timing: the
    /// rate learned for their nodes ([`Graph::learn_by_timing`]), else the
    /// share of their services' id links; `None` when too little is known.
    fn caller_share(&self, caller: Node, callee: Node) -> Option<f64> {
        if self
            .evidence
            .get(&callee)
            .is_some_and(|&n| n >= MIN_EVIDENCE)
        {
            let s = self.prior.get(&(caller, callee)).copied().unwrap_or(0.0);
            return Some(s as f64);
        }
        self.share(caller.0, callee.0)
    }
    /// The share of `callee`'s known calls that come from `caller`; `None`
    /// when too little is known about `callee` to judge.
    fn share(&self, caller: Sym, callee: Sym) -> Option<f64> {
        let total = self.into.get(&callee).copied().unwrap_or(0);
        if total < 3 {
            return None;
        }
        let n = self.calls.get(&(caller, callee)).copied().unwrap_or(0);
        Some(n as f64 / total as f64)
    }
}

/// What the inference needs besides the spans.
pub struct Context<'a> {
    /// The run's events: where in its file each span's lines stand.
    pub events: &'a [Event],
    pub coarse: &'a Coarse,
    pub offsets: &'a Offsets,
    /// The service most traces enter through, if known: its span is the root.
    pub entry: Option<Sym>,
    /// How far apart two clocks nothing measured may be.
    pub tolerance_ns: i64,
    /// The entry's span is the root unless timing on two fine clocks shows
    /// it was called: where either clock stamps whole seconds, a longer span
    /// of another service that holds it (an async job outliving the request
    /// that queued it) does not make the request the user saw a call (where
    /// it ran within its second is unknown). Off in the clock pass, whose
    /// inference only gathers calls that bound offsets: there a coarse
    /// entry that fits inside such a span still overlaps it, and on the
    /// simulation, turning it on there left hosts that only a coarse entry
    /// measures uncorrected (their calls then look like async hops).
    pub entry_root: bool,
    /// A placeholder (a parent id no line carries: its caller's client
    /// span, unlogged) takes as its caller a span that named the request
    /// its child served ([`named_callers`]). Off in the clock pass: such a
    /// link bounds no clock (a placeholder has none), and on the
    /// simulation it made three more offsets of 3,157 wrong at confidence
    /// >= 0.9 through the spans it moved.
    pub name_placeholders: bool,
}

impl Context<'_> {
    /// How far a span's corrected times may be from the truth. A clock
    /// nothing measured is taken to be in sync (most are: with no evidence
    /// of skew, none is assumed); pairs of spans get `tolerance_ns` at least.
    fn slack(&self, s: &Span) -> i64 {
        self.slack_of(s, self.coarse.contains(s.service))
    }
    /// [`Context::slack`] of a span whose service is known to stamp whole
    /// seconds (`coarse`) or not.
    fn slack_of(&self, s: &Span, coarse: bool) -> i64 {
        let radius = if s.kind == SpanKind::Placeholder {
            0
        } else {
            match self.offsets.radius(s.file, s.start_ns) {
                (Some(_), r) => r,
                (None, _) => 0,
            }
        };
        radius.saturating_add(if coarse { COARSE_NS } else { 0 })
    }
}

/// What [`candidates`] reads of every span, looked up once per trace (not
/// once per pair of spans).
#[derive(Default)]
struct Known {
    file: Vec<Option<u32>>,
    slack: Vec<i64>,
    coarse: Vec<bool>,
    /// The span is the client half of a shared span id: the call it waits
    /// for is its server half, which ids already link (B3 gives a client
    /// span no other child).
    client_half: Vec<bool>,
}

impl Known {
    /// Refills the lists for `spans`, keeping their allocations.
    fn fill(&mut self, spans: &[Span], cx: &Context) {
        self.file.clear();
        self.file.extend(spans.iter().map(|s| s.file));
        self.coarse.clear();
        self.coarse
            .extend(spans.iter().map(|s| cx.coarse.contains(s.service)));
        self.slack.clear();
        let coarse = &self.coarse;
        self.slack.extend(
            spans
                .iter()
                .zip(coarse)
                .map(|(s, &coarse)| cx.slack_of(s, coarse)),
        );
        self.client_half.clear();
        self.client_half.resize(spans.len(), false);
        for s in spans {
            if let (SpanKind::SharedServer, Some(p)) = (s.kind, s.parent) {
                if !s.inferred_parent {
                    self.client_half[p as usize] = true;
                }
            }
        }
    }
}

/// The calls a trace's ids name, as (caller node, callee node): a span and
/// the logged parent it links to (not a placeholder; a placeholder callee
/// stands for its first child).
fn id_links(spans: &[Span]) -> impl Iterator<Item = (Node, Node)> + '_ {
    spans.iter().enumerate().filter_map(|(k, s)| {
        let p = &spans[s.parent.filter(|_| !s.inferred_parent)? as usize];
        let callee = callee_node(spans, k);
        (p.kind != SpanKind::Placeholder && !callee.0.is_none())
            .then_some(((p.service, p.operation), callee))
    })
}

/// The node a span's calls are to: its own, or for a placeholder its first child's.
fn callee_node(spans: &[Span], k: usize) -> Node {
    stands_for(spans, k).map_or((Sym::NONE, Sym::NONE), |k| {
        (spans[k].service, spans[k].operation)
    })
}

/// The logged span whose call span `k` stands for: itself, or for a
/// placeholder (a parent id only its children logged) its first logged
/// child; `None` for a placeholder over placeholders only.
fn stands_for(spans: &[Span], k: usize) -> Option<usize> {
    if spans[k].kind != SpanKind::Placeholder {
        return Some(k);
    }
    spans
        .iter()
        .position(|c| c.parent == Some(k as SpanIdx) && c.kind != SpanKind::Placeholder)
}

/// A span that could have called another.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    parent: usize,
    link: Link,
    /// Same service and file: one process, one clock.
    same_process: bool,
    /// It holds the span as logged, without the clocks' uncertainty.
    strict: bool,
}

/// The spans that could have called span `c` by time (see the module doc).
fn candidates<'a>(
    spans: &'a [Span],
    c: usize,
    cx: &'a Context,
    known: &'a Known,
) -> impl Iterator<Item = Candidate> + 'a {
    let child = &spans[c];
    let child_file = known.file[c];
    let child_slack = known.slack[c];
    spans.iter().enumerate().filter_map(move |(p, parent)| {
        if p == c || parent.kind == SpanKind::Placeholder || known.client_half[p] {
            return None;
        }
        // One process, one clock: a call it made, or a request it served
        // for itself. Two requests with no logged end could be siblings.
        let same_file = parent.service == child.service && known.file[p] == child_file;
        if same_file && !parent.timed && !child.timed {
            return None;
        }
        // One file, one order of lines: two spans of one process stamped in
        // the same millisecond started in the order of their first lines (a
        // caller that starts at its first line wrote it before the lines of
        // its call). Calls made one after the other within a millisecond
        // would otherwise hold each other.
        // (Looked up only then: most pairs never tie.)
        if same_file
            && parent.start_ns.abs_diff(child.start_ns) <= HOLD_NS as u64
            && starts_after_line_of(parent, child, cx.events)
        {
            return None;
        }
        let same_process = same_file;
        let tol = if same_process {
            HOLD_NS
        } else {
            child_slack
                .saturating_add(known.slack[p])
                .max(cx.tolerance_ns)
        };
        if parent.start_ns.saturating_sub(tol) > child.start_ns {
            return None;
        }
        // Lines that bracket a request (two or more) bound when it ran; a
        // single line only says when it started.
        // A child of such a request starts before its last line, and mostly
        // runs within its lines (tolerance or not: a line right after the
        // last one is the next request's).
        let open_parent = open(parent);
        if !parent.timed && !open_parent {
            let overlap = child.end_ns.min(parent.end_ns) - child.start_ns.max(parent.start_ns);
            if child.start_ns > parent.end_ns || overlap.saturating_mul(2) < child.duration_ns() {
                return None;
            }
        }
        // Durations need no clock: a caller waits at least as long as its
        // call (as far as the lines show, where an end is not logged).
        // (Logged durations are rounded: they may tie within a millisecond.)
        let rounding = if parent.timed && child.timed {
            HOLD_NS
        } else {
            0
        };
        let longer = child.duration_ns() <= parent.duration_ns().saturating_add(rounding);
        let inside = child.end_ns <= parent.end_ns.saturating_add(tol) && longer;
        let link = if open_parent || inside {
            Link::ChildOf
        } else if parent.timed && child.start_ns <= parent.end_ns.saturating_add(MAX_ASYNC_NS) {
            // It outlived its caller, or started after it ended: an async hop.
            Link::FollowsFrom
        } else {
            return None;
        };
        // Inside as logged (a whole-second stamp holds its second), not only
        // within the clocks' uncertainty.
        let fuzz = if known.coarse[p] || known.coarse[c] {
            COARSE_NS
        } else {
            // Both ends rounded to the millisecond.
            2 * HOLD_NS
        };
        let strict = parent.start_ns.saturating_sub(fuzz) <= child.start_ns
            && (open_parent || !parent.timed || child.end_ns <= parent.end_ns.saturating_add(fuzz));
        Some(Candidate {
            parent: p,
            link,
            same_process,
            strict,
        })
    })
}

/// The request span `s` served, ids and all: the [`Event::call`] of a line
/// that names its operation; 0 when none does (the calls it made name
/// other requests).
fn served_request(s: &Span, events: &[Event]) -> u32 {
    s.events
        .iter()
        .filter_map(|&i| events.get(i as usize))
        .find(|e| e.call != 0 && e.operation == s.operation)
        .map_or(0, |e| e.call)
}

/// Narrows `options` (span `c`'s candidates) to the spans that named the
/// request `c` served, ids and all, where any other process did: a client
/// that logged the call it made (`calling ledger: GET /ledger/62828`, a
/// sidecar's outbound line), or a proxy that served the same request
/// before passing it on. A process that names the very request is its
/// caller, wherever skewed clocks put it, so such a span is added when
/// timing left it out; a span that did not name it is dropped. Durations
/// need no clock: a caller lasts at least as long as its call, and a proxy
/// (it served the same request) longer than the server it passed it to,
/// which tells the two apart. Where nobody else named the request, the
/// candidates stay as timing found them. For a placeholder, the request is
/// the one its child served (see [`Context::name_placeholders`]).
fn named_callers(
    spans: &[Span],
    c: usize,
    cx: &Context,
    known: &Known,
    options: &mut Vec<Candidate>,
    from: usize,
) {
    // A placeholder stands for the call its child served (a parent id
    // nobody logged: the caller's client span): the request is the child's.
    if spans[c].kind == SpanKind::Placeholder && !cx.name_placeholders {
        return;
    }
    let Some(k) = stands_for(spans, c) else {
        return;
    };
    let server = &spans[k];
    // A line that names the request names its operation too: a span of
    // one line with another operation cannot have named it. Where no other
    // span could (most traces), no line is read: the run's events are far
    // apart in memory.
    let may_name = |(p, parent): &(usize, &Span)| {
        let same_process = parent.service == server.service && known.file[*p] == known.file[k];
        *p != c
            && *p != k
            && !same_process
            && !known.client_half[*p]
            && parent.kind != SpanKind::Placeholder
            && (parent.operation == server.operation || parent.events.len() > 1)
    };
    if !spans.iter().enumerate().any(|x| may_name(&x)) {
        return;
    }
    let request = served_request(server, cx.events);
    if request == 0 {
        return;
    }
    // Few spans and lines per trace: a scan, not an index.
    let named = spans
        .iter()
        .enumerate()
        .filter(may_name)
        .filter(|&(_, parent)| {
            let names = |&i: &u32| cx.events.get(i as usize).is_some_and(|e| e.call == request);
            if !parent.events.iter().any(names) {
                return false;
            }
            let (a, b) = (parent.duration_ns(), server.duration_ns());
            if served_request(parent, cx.events) == request {
                // Both served it: the one that waited longer passed it on.
                parent.timed && server.timed && a > b.saturating_add(HOLD_NS)
            } else {
                !(parent.timed && server.timed) || a.saturating_add(HOLD_NS) >= b
            }
        });
    let start = options.len();
    for (p, parent) in named {
        let found = options[from..start].iter().find(|x| x.parent == p).copied();
        let mut cand = found.unwrap_or(Candidate {
            parent: p,
            link: Link::ChildOf,
            same_process: false,
            strict: false,
        });
        if parent.timed {
            // It logged how long it waited for the request it names, no
            // shorter than the call where both are logged (the filter
            // above): it waited, whatever the clocks say.
            cand.link = Link::ChildOf;
        }
        options.push(cand);
    }
    if options.len() > start {
        options.drain(from..start);
    }
}

/// True for a span whose end nothing bounds: one line, no logged duration
/// (a request logged only when it started).
fn open(s: &Span) -> bool {
    !s.timed && s.events.len() < 2 && s.kind != SpanKind::Placeholder
}

/// The weight the call graph gives a candidate: how likely its node is to
/// be the callee's caller ([`Graph::caller_share`]).
fn graph_weight(spans: &[Span], callee: Node, cand: &Candidate, graph: &Graph) -> f64 {
    let p = &spans[cand.parent];
    match graph.caller_share((p.service, p.operation), callee) {
        // Smoothed: a caller never seen is unlikely, not impossible.
        Some(share) => share + 0.01,
        None => 1.0,
    }
}

/// The weight of a candidate by timing alone (see the module doc). `inner`
/// counts the other candidates that lie inside this one: the innermost
/// caller weighs most.
fn timing_weight(spans: &[Span], cand: &Candidate, inner: usize) -> f64 {
    let p = &spans[cand.parent];
    let mut w = 1.0;
    if cand.same_process {
        w *= 4.0;
    }
    if cand.link == Link::FollowsFrom {
        w *= 0.25;
    } else if !cand.strict {
        // Inside only within the uncertainty: a sibling that ran just
        // before fits that way too.
        w *= 0.1;
    }
    if open(p) {
        // It may have ended long before: a weaker container.
        w *= 0.5;
    }
    w * 0.5f64.powi(inner.min(30) as i32)
}

/// How many of the other child-of candidates lie inside candidate `p`.
/// A span stamped in whole seconds holds what ran within its second.
fn inner_count(spans: &[Span], p: usize, cands: &[Candidate], known: &Known) -> usize {
    let outer = &spans[p];
    if open(outer) {
        return 0;
    }
    let fuzz = if known.coarse[p] { COARSE_NS } else { 0 };
    cands
        .iter()
        .filter(|x| x.parent != p && x.link == Link::ChildOf)
        .filter(|x| {
            let s = &spans[x.parent];
            outer.start_ns.saturating_sub(fuzz) <= s.start_ns
                && s.end_ns <= outer.end_ns.saturating_add(fuzz)
        })
        .count()
}

/// Marks the async hops among the links ids give: the ids say who called
/// whom, not how. A callee that started after its caller had ended (in
/// corrected time, beyond what the two clocks may still be off by) was not
/// waited for: a fire-and-forget call or a queued job follows from its
/// caller. A caller with no logged end (one line as the call left, or a
/// span nobody logged) is judged by its nearest ancestor that logged one:
/// a callee that started after that ancestor ended was not waited for on
/// the way down either, and the hop that left is the callee's own link.
/// Nor was a callee that lasted longer than that caller (both durations
/// logged, beyond their rounding): that needs no clock at all.
/// Spans that ran inside their caller stay child-of.
pub fn mark_async(spans: &mut [Span], cx: &Context) {
    let n = spans.len();
    for c in 0..n {
        let child = &spans[c];
        let Some(p) = child.parent.map(|p| p as usize).filter(|&p| p < n) else {
            continue;
        };
        if child.inferred_parent
            || child.link != Link::ChildOf
            || child.kind == SpanKind::Placeholder
        {
            continue;
        }
        // The nearest timed ancestor it was waited for through, if any.
        let mut at = p;
        let mut steps = 0;
        while !spans[at].timed || spans[at].kind == SpanKind::Placeholder {
            match spans[at].parent.map(|q| q as usize) {
                Some(q)
                    if q < n
                        && spans[at].link == Link::ChildOf
                        && !spans[at].inferred_parent
                        && steps < n =>
                {
                    at = q
                }
                _ => break,
            }
            steps += 1;
        }
        let caller = &spans[at];
        if !caller.timed || caller.kind == SpanKind::Placeholder {
            continue;
        }
        // Durations need no clock: a callee that lasted longer than its
        // caller waited (both logged, beyond their rounding) was not waited for.
        if child.timed && child.duration_ns() > caller.duration_ns().saturating_add(2 * HOLD_NS) {
            spans[c].link = Link::FollowsFrom;
            continue;
        }
        // One file, one clock. Across clocks, only where both were measured
        // against one reference: a clock nothing measured may be off by
        // anything, and a call that seems to start late may be a skewed call
        // that was waited for.
        let tol = if caller.file == child.file {
            HOLD_NS
        } else {
            let group = |s: &Span| cx.offsets.radius(s.file, s.start_ns).0;
            if group(child).is_none() || group(child) != group(caller) {
                continue;
            }
            cx.slack(child)
                .saturating_add(cx.slack(caller))
                .max(cx.tolerance_ns)
        };
        if child.start_ns > caller.end_ns.saturating_add(tol) {
            spans[c].link = Link::FollowsFrom;
        }
    }
}

/// Lists [`assign_with`] reuses from one trace to the next (a thread infers
/// parents in a million traces; most have a handful of spans).
#[derive(Default)]
pub struct Scratch {
    orphans: Vec<usize>,
    /// Every orphan's candidates, one after the other; `ranges[k]` is span
    /// `k`'s part (empty for a span with a parent).
    options: Vec<Candidate>,
    ranges: Vec<(u32, u32)>,
    known: Known,
    cands: Vec<Candidate>,
    weighed: Vec<Weighed>,
    present: Vec<Node>,
}

/// A candidate caller with its weight.
#[derive(Clone, Copy, Debug)]
struct Weighed {
    /// By the call graph and timing together.
    weight: f64,
    /// The candidate's index.
    parent: usize,
    link: Link,
    /// By timing alone (what [`Graph::learn_by_timing`] learns from).
    timing: f64,
}

/// Sets a parent for every span of `spans` that has none, except the root;
/// returns the root. `spans` in start order (corrected times).
pub fn assign(spans: &mut [Span], graph: &Graph, cx: &Context) -> SpanIdx {
    assign_with(spans, graph, cx, &mut Scratch::default())
}

/// [`assign`] with lists of the caller's.
pub fn assign_with(
    spans: &mut [Span],
    graph: &Graph,
    cx: &Context,
    scratch: &mut Scratch,
) -> SpanIdx {
    assign_observing(spans, graph, cx, scratch, None)
}

/// [`assign_with`] on a sample trace: also returns what its ids and timing
/// say about its spans' callers, for [`Graph::learn_by_timing`].
pub fn observe(
    spans: &mut [Span],
    graph: &Graph,
    cx: &Context,
    scratch: &mut Scratch,
) -> Observations {
    let mut out = Observations {
        linked: id_links(spans).collect(),
        ..Default::default()
    };
    assign_observing(spans, graph, cx, scratch, Some(&mut out));
    out
}

fn assign_observing(
    spans: &mut [Span],
    graph: &Graph,
    cx: &Context,
    scratch: &mut Scratch,
    mut observed: Option<&mut Observations>,
) -> SpanIdx {
    let n = spans.len();
    if n == 0 {
        return 0;
    }
    let Scratch {
        orphans,
        options,
        ranges,
        known,
        cands,
        weighed,
        present,
    } = scratch;
    orphans.clear();
    orphans.extend((0..n).filter(|&k| spans[k].parent.is_none()));
    // Ids link every span but one (most traces that log span ids): that one
    // is the root, and there is nothing to weigh.
    if let [root] = orphans[..] {
        return root as SpanIdx;
    }
    // By span: the candidates of each orphan (none beyond MAX_INFER_SPANS).
    options.clear();
    ranges.clear();
    ranges.resize(n, (0, 0));
    known.fill(spans, cx);
    if n <= MAX_INFER_SPANS {
        for &c in orphans.iter() {
            let from = options.len();
            options.extend(candidates(spans, c, cx, known));
            named_callers(spans, c, cx, known, options, from);
            ranges[c] = (from as u32, options.len() as u32);
        }
    }
    let (options, ranges, known, orphans) = (&*options, &*ranges, &*known, &*orphans);
    // Learning only: the nodes of the trace whose spans have a logged end
    // (each could have been a caller), unless too many to ask for every span.
    present.clear();
    if observed.is_some() {
        present.extend(
            spans
                .iter()
                .filter(|p| p.kind != SpanKind::Placeholder && !open(p))
                .map(|p| (p.service, p.operation)),
        );
        present.sort_unstable();
        present.dedup();
        if present.len() > MAX_PRESENT_NODES {
            present.clear();
        }
    }
    let options_of = |k: usize| &options[ranges[k].0 as usize..ranges[k].1 as usize];
    // The root: a span no other span could have called and waited for (one
    // of the entry service first), the earliest (ties: the longest); else a
    // span of the entry service; else the earliest orphan.
    let first = |k: &usize| {
        (
            spans[*k].start_ns,
            std::cmp::Reverse(spans[*k].duration_ns()),
            *k,
        )
    };
    let of_entry = |k: &usize| cx.entry.is_some_and(|e| spans[*k].service == e);
    // A whole-second stamp holds anything within a second: weak evidence
    // (see `Context::entry_root` for the entry's span).
    let fuzzy = |p: usize, c: usize| {
        let either = known.coarse[p] || known.coarse[c];
        (known.coarse[p] && !known.coarse[c]) || (cx.entry_root && of_entry(&c) && either)
    };
    let uncalled = |c: &usize| {
        options_of(*c).iter().all(|x| {
            x.link == Link::FollowsFrom
                || open(&spans[x.parent])
                || fuzzy(x.parent, *c)
                || (cx.entry_root && !x.strict && of_entry(c))
        })
    };
    let root = orphans
        .iter()
        .copied()
        .filter(|k| uncalled(k) && of_entry(k))
        .min_by_key(first)
        .or_else(|| orphans.iter().copied().filter(uncalled).min_by_key(first))
        .or_else(|| orphans.iter().copied().filter(of_entry).min_by_key(first))
        .or_else(|| orphans.first().copied())
        .unwrap_or(0);
    for &c in orphans {
        if c == root {
            continue;
        }
        cands.clear();
        cands.extend_from_slice(options_of(c));
        // The innermost callers started last: beyond MAX_CANDIDATES the
        // earlier ones are dropped (weighing is quadratic in candidates).
        if cands.len() > MAX_CANDIDATES {
            cands.sort_by_key(|x| (std::cmp::Reverse(spans[x.parent].start_ns), x.parent));
            cands.truncate(MAX_CANDIDATES);
            cands.sort_by_key(|x| x.parent);
        }
        let callee = callee_node(spans, c);
        weighed.clear();
        weighed.extend(
            cands
                .iter()
                .filter(|x| !creates_cycle(spans, c, x.parent))
                // A request logged by one line contains nothing by time alone:
                // only a call of its own process or a caller the graph knows.
                .filter(|x| {
                    let p = &spans[x.parent];
                    !open(p)
                        || x.same_process
                        || graph.share(p.service, callee.0).is_some_and(|s| s >= 0.05)
                })
                .map(|x| {
                    let inner = inner_count(spans, x.parent, cands, known);
                    let timing = timing_weight(spans, x, inner);
                    Weighed {
                        weight: graph_weight(spans, callee, x, graph) * timing,
                        parent: x.parent,
                        link: x.link,
                        timing,
                    }
                }),
        );
        if let Some(out) = observed.as_deref_mut() {
            let from = out.options.len() as u32;
            out.options.extend(weighed.iter().map(|x| {
                let p = &spans[x.parent];
                ((p.service, p.operation), x.timing)
            }));
            // Every other node of the trace with a logged end none of whose
            // spans could have called the span had the chance and lost it.
            for &node in present.iter().filter(|&&n| n != callee) {
                let candidate = |x: &Candidate| {
                    let p = &spans[x.parent];
                    (p.service, p.operation) == node
                };
                if !options_of(c).iter().any(candidate) {
                    out.options.push((node, 0.0));
                }
            }
            out.orphans.push((callee, from, out.options.len() as u32));
        }
        // Heaviest first; ties: the later-starting, then the first index.
        weighed.sort_by(|a, b| {
            b.weight
                .total_cmp(&a.weight)
                .then(spans[b.parent].start_ns.cmp(&spans[a.parent].start_ns))
                .then(a.parent.cmp(&b.parent))
        });
        let total: f64 = weighed.iter().map(|x| x.weight).sum();
        let s = match weighed.first() {
            Some(&Weighed {
                weight: w,
                parent: p,
                link,
                ..
            }) if !creates_cycle(spans, c, p) => {
                let s = &mut spans[c];
                s.parent = Some(p as SpanIdx);
                s.link = link;
                let share = w / total.max(f64::MIN_POSITIVE);
                s.parent_confidence = (share * MAX_INFERRED_CONFIDENCE) as f32;
                s
            }
            _ => {
                let link = if spans[c].start_ns > spans[root].end_ns && spans[root].timed {
                    Link::FollowsFrom
                } else {
                    Link::ChildOf
                };
                let s = &mut spans[c];
                s.parent = Some(root as SpanIdx);
                s.link = link;
                s.parent_confidence = 0.0;
                s
            }
        };
        s.inferred_parent = true;
    }
    if spans[root].parent.is_some() {
        spans[root].parent = None;
    }
    root as SpanIdx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::{Event, SpanId};
    use crate::trace::SpanEvents;

    const MS: i64 = 1_000_000;

    /// A span of `svc` over [start, end] ms whose only event is `event` (its file: `file`).
    fn span(svc: u32, start: i64, end: i64, event: u32) -> Span {
        Span {
            service: Sym(svc),
            operation: Sym::NONE,
            span_id: SpanId::None,
            start_ns: start * MS,
            end_ns: end * MS,
            timed: true,
            status: 200,
            error: false,
            parent: None,
            inferred_parent: false,
            logged_parent: false,
            file: Some(event),
            depth: 0,
            link: Link::ChildOf,
            kind: SpanKind::Logged,
            parent_confidence: 1.0,
            events: SpanEvents::One(event),
        }
    }

    fn known_offsets(files: u32) -> Offsets {
        let mut o = Offsets::default();
        for f in 0..files {
            o.domains.insert(
                f,
                vec![super::super::clock::Window {
                    from_ns: i64::MIN,
                    to_ns: i64::MAX,
                    offset_ns: 0,
                    radius_ns: 0,
                    group: 0,
                }],
            );
        }
        o
    }

    /// What the inference needs, with 2 ms of tolerance and no entry service.
    fn context<'a>(coarse: &'a Coarse, offsets: &'a Offsets) -> Context<'a> {
        Context {
            events: &[],
            coarse,
            offsets,
            entry: None,
            tolerance_ns: 2 * MS,
            entry_root: false,
            name_placeholders: false,
        }
    }

    #[test]
    fn an_id_linked_callee_that_starts_after_its_caller_ended_follows_from_it() {
        let coarse = Coarse::default();
        let offsets = known_offsets(3);
        let cx = context(&coarse, &offsets);
        // The API [0, 20] logs one line as it enqueues a job (an untimed
        // producer span); the worker [900, 950] names that span its parent.
        let mut spans = vec![span(1, 0, 20, 0), span(1, 5, 5, 0), span(2, 900, 950, 1)];
        spans[1].timed = false;
        spans[1].parent = Some(0);
        spans[2].parent = Some(1);
        // A sync call of the API, inside it, also named by ids.
        spans.push(span(3, 8, 15, 2));
        spans[3].parent = Some(0);
        mark_async(&mut spans, &cx);
        assert_eq!(spans[2].link, Link::FollowsFrom);
        assert_eq!(spans[3].link, Link::ChildOf);
        assert_eq!(spans[1].link, Link::ChildOf);
        // On a clock nothing measured, starting late may be skew: no claim
        // for a job no longer than the request that queued it...
        let unmeasured = known_offsets(1);
        let cx = Context {
            offsets: &unmeasured,
            ..cx
        };
        spans[2] = Span {
            parent: Some(1),
            ..span(2, 900, 915, 1)
        };
        mark_async(&mut spans, &cx);
        assert_eq!(spans[2].link, Link::ChildOf);
        // ...but one that ran longer than the request waited was not
        // waited for, whatever the clocks (durations need none).
        spans[2] = Span {
            parent: Some(1),
            ..span(2, 900, 950, 1)
        };
        mark_async(&mut spans, &cx);
        assert_eq!(spans[2].link, Link::FollowsFrom);
        assert_eq!(spans[3].link, Link::ChildOf);
    }

    #[test]
    fn a_parallel_call_inside_a_sibling_goes_to_their_common_caller() {
        // a [0, 100] calls b [10, 60] and c [12, 40] in parallel; b never calls c.
        let coarse = Coarse::default();
        let offsets = known_offsets(3);
        let cx = context(&coarse, &offsets);
        let mut g = Graph::default();
        for _ in 0..50 {
            g.add(Sym(1), Sym(2));
            g.add(Sym(1), Sym(3));
        }
        let mut spans = vec![span(1, 0, 100, 0), span(2, 10, 60, 1), span(3, 12, 40, 2)];
        let root = assign(&mut spans, &g, &cx);
        assert_eq!(root, 0);
        assert_eq!(spans[2].parent, Some(0));
        assert!(spans[2].parent_confidence > 0.75);
        // Without any knowledge of the graph the innermost caller wins.
        let mut spans = vec![span(1, 0, 100, 0), span(2, 10, 60, 1), span(3, 12, 40, 2)];
        assign(&mut spans, &Graph::default(), &cx);
        assert_eq!(spans[2].parent, Some(1));
        assert!(spans[2].parent_confidence < 0.75);
    }

    /// An entry of operation `op` naming request `call` (0: none).
    fn request(op: u32, call: u32) -> Event {
        Event {
            operation: Sym(op),
            call,
            ..Default::default()
        }
    }

    /// The lines of auth (service 1) and inventory (2), which each call
    /// ledger (3), and ledger's: events 0-4 in order.
    fn ledger_requests() -> [Event; 5] {
        [
            request(10, 0),   // auth's own request
            request(11, 0),   // inventory's own request
            request(20, 777), // auth: "calling ledger: GET /ledger/777"
            request(20, 555), // inventory: "calling ledger: GET /ledger/555"
            request(20, 777), // ledger: "GET /ledger/777 200 in 5 ms"
        ]
    }

    /// A graph in which auth and inventory each call ledger, often.
    fn both_call_ledger() -> Graph {
        let mut g = Graph::default();
        for _ in 0..50 {
            g.add(Sym(1), Sym(3));
            g.add(Sym(2), Sym(3));
        }
        g
    }

    fn with_op(s: Span, op: u32) -> Span {
        Span {
            operation: Sym(op),
            ..s
        }
    }

    #[test]
    fn the_client_that_named_the_request_is_its_caller_whatever_the_clocks() {
        // auth [0, 30] and inventory [0, 40] each call ledger; ledger's
        // span [22, 27] fits inside both, and inside inventory's client
        // span for another ledger request [20, 28] best of all. Only auth's
        // client span [3, 12] logged the request ledger served, ids and
        // all: on ledger's clock, 19 ms ahead, the call left at 3 ms.
        let events = ledger_requests();
        let coarse = Coarse::default();
        let offsets = known_offsets(5);
        let cx = Context {
            events: &events,
            ..context(&coarse, &offsets)
        };
        let spans = || {
            vec![
                with_op(span(1, 0, 30, 0), 10),
                with_op(span(2, 0, 40, 1), 11),
                with_op(span(1, 3, 12, 2), 20),
                with_op(span(2, 20, 28, 3), 20),
                with_op(span(3, 22, 27, 4), 20),
            ]
        };
        let g = both_call_ledger();
        let mut named = spans();
        assign(&mut named, &g, &cx);
        assert_eq!(named[4].parent, Some(2));
        // It waited for the call (its logged duration covers the callee's):
        // not an async hop, though it ended before the callee started.
        assert_eq!(named[4].link, Link::ChildOf);
        assert!(named[4].inferred_parent);
        assert!(named[4].parent_confidence < 0.9);
        // Without the ids in the lines, timing picks the span that holds it.
        let events: Vec<Event> = events.iter().map(|e| Event { call: 0, ..*e }).collect();
        let cx = Context {
            events: &events,
            ..cx
        };
        let mut timed = spans();
        assign(&mut timed, &g, &cx);
        assert_eq!(timed[4].parent, Some(3));
        // A span that served the same request is its caller only when it
        // waited clearly longer (a proxy passing it on), not the reverse.
        let served = [request(20, 777), request(20, 777)];
        let cx = Context {
            events: &served,
            ..cx
        };
        let mut proxy = vec![
            with_op(span(1, 0, 30, 0), 20),
            with_op(span(2, 2, 20, 1), 20),
        ];
        assign(&mut proxy, &g, &cx);
        assert_eq!((proxy[0].parent, proxy[1].parent), (None, Some(0)));
    }

    #[test]
    fn a_missing_parent_goes_under_the_client_that_named_its_childs_request() {
        // Ledger logs its span [22, 27] with a parent id nobody else logged
        // (a placeholder over it): its caller logs request ids only. Auth's
        // client span [3, 12] logged the very request ledger served, on a
        // clock 19 ms behind; inventory's client span [20, 28] holds it best
        // by time, for another ledger request.
        let events = ledger_requests();
        let coarse = Coarse::default();
        let offsets = known_offsets(5);
        let spans = || {
            let mut placeholder = super::super::ids::placeholder(SpanId::Hex(9), 22 * MS, 27 * MS);
            placeholder.parent = None;
            let mut ledger = with_op(span(3, 22, 27, 4), 20);
            ledger.parent = Some(5);
            vec![
                with_op(span(1, 0, 30, 0), 10),
                with_op(span(2, 0, 40, 1), 11),
                with_op(span(1, 3, 12, 2), 20),
                with_op(span(2, 20, 28, 3), 20),
                ledger,
                placeholder,
            ]
        };
        let g = both_call_ledger();
        let cx = Context {
            events: &events,
            name_placeholders: true,
            ..context(&coarse, &offsets)
        };
        let mut named = spans();
        assign(&mut named, &g, &cx);
        assert_eq!(named[5].parent, Some(2), "{named:?}");
        assert_eq!(named[4].parent, Some(5));
        // Off (the clock pass): timing alone places the placeholder.
        let cx = Context {
            name_placeholders: false,
            ..cx
        };
        let mut timed = spans();
        assign(&mut timed, &g, &cx);
        assert_eq!(timed[5].parent, Some(3));
    }

    #[test]
    fn calls_one_after_the_other_in_one_millisecond_are_ordered_by_their_lines() {
        // One process, one file, stamps to the millisecond: request r logs
        // lines at 0 and 10 ms; it calls a (lines 2 and 3, both at 4 ms,
        // "in 0 ms"), then b (lines 4 and 5, at 4 and 5 ms, "in 1 ms").
        // By stamps b [4, 5] holds a [4, 4]; by the lines b started after a.
        let at = |ms: i64| Event {
            time_ns: ms * MS,
            ..Default::default()
        };
        let events = [at(0), at(0), at(4), at(4), at(4), at(5), at(10)];
        let lines = |s: Span, lines: &[u32]| Span {
            file: Some(0),
            events: lines.to_vec().into(),
            ..s
        };
        let spans = || {
            vec![
                lines(
                    Span {
                        timed: false,
                        ..span(1, 0, 10, 0)
                    },
                    &[1, 6],
                ),
                lines(span(1, 4, 4, 0), &[2, 3]),
                lines(span(1, 4, 5, 0), &[4, 5]),
            ]
        };
        let coarse = Coarse::default();
        let offsets = known_offsets(1);
        let cx = Context {
            events: &events,
            ..context(&coarse, &offsets)
        };
        let mut s = spans();
        assert_eq!(assign(&mut s, &Graph::default(), &cx), 0);
        assert_eq!(s[1].parent, Some(0), "{s:?}");
        // Without the lines, the stamps alone put a under b.
        let cx = Context { events: &[], ..cx };
        let mut s = spans();
        assign(&mut s, &Graph::default(), &cx);
        assert_eq!(s[1].parent, Some(2), "{s:?}");
    }

    #[test]
    fn a_client_half_of_a_shared_id_calls_nothing_but_its_server_half() {
        // a's request [0, 100] calls b through client span X [10, 50] (b's
        // server half [15, 30] logged X too) and, while X waits, calls c
        // [35, 45]. Files: a 0, b 1, c 2.
        let coarse = Coarse::default();
        let offsets = known_offsets(3);
        let cx = context(&coarse, &offsets);
        let mut spans = vec![
            span(1, 0, 100, 0),
            span(1, 10, 50, 0),
            span(2, 15, 30, 1),
            span(3, 35, 45, 2),
        ];
        spans[1].file = Some(0);
        spans[2].parent = Some(1);
        spans[2].kind = SpanKind::SharedServer;
        let root = assign(&mut spans, &Graph::default(), &cx);
        assert_eq!(root, 0);
        assert_eq!(spans[1].parent, Some(0));
        // By time alone X holds c and is the innermost; but a client span's
        // only call is its server half.
        assert_eq!(spans[3].parent, Some(0));
        // Without the shared id, X is an ordinary span of a and holds c.
        spans[2].kind = SpanKind::Logged;
        spans[2].parent = None;
        for s in spans.iter_mut() {
            s.parent = None;
            s.inferred_parent = false;
        }
        assign(&mut spans, &Graph::default(), &cx);
        assert_eq!(spans[3].parent, Some(1));
    }

    #[test]
    fn a_callee_after_its_caller_ended_follows_from_it_in_the_right_direction() {
        // The API [0, 20] answers 202; the worker [1500, 4500] runs later and
        // is the longer: it is still the callee.
        let coarse = Coarse::default();
        let offsets = known_offsets(2);
        let cx = context(&coarse, &offsets);
        let mut spans = vec![span(1, 0, 20, 0), span(2, 1500, 4500, 1)];
        let root = assign(&mut spans, &Graph::default(), &cx);
        assert_eq!(root, 0);
        assert_eq!(spans[1].parent, Some(0));
        assert_eq!(spans[1].link, Link::FollowsFrom);
        assert!(spans[1].inferred_parent);
    }

    #[test]
    fn the_entry_span_is_the_root_though_a_longer_span_could_hold_it_in_its_second() {
        // Two access logs stamped in whole seconds: the gateway (the entry)
        // answered 202 in 11 ms; the job it queued ran 32 ms. By time and
        // duration alone, the job could have called the gateway.
        let coarse = Coarse(vec![Sym(1), Sym(2)]);
        let offsets = known_offsets(2);
        let base = Context {
            entry: Some(Sym(1)),
            ..context(&coarse, &offsets)
        };
        let spans = || vec![span(2, 968, 1000, 1), span(1, 989, 1000, 0)];
        let cx = Context {
            entry_root: true,
            ..base
        };
        let mut s = spans();
        let root = assign(&mut s, &Graph::default(), &cx);
        assert_eq!(root, 1, "{s:?}");
        assert_eq!(s[0].parent, Some(1));
        assert!(s[0].inferred_parent);
        // The same when only the entry stamps whole seconds.
        let entry_coarse = Coarse(vec![Sym(1)]);
        let mut s = spans();
        let cx1 = Context {
            coarse: &entry_coarse,
            ..cx
        };
        assert_eq!(assign(&mut s, &Graph::default(), &cx1), 1);
        // Without the rule (the clock pass), timing alone decides.
        let mut s = spans();
        assert_eq!(assign(&mut s, &Graph::default(), &base), 0);
        // On two fine clocks, a span that holds the entry's still calls it.
        let mut s = spans();
        let none = Coarse::default();
        let cx2 = Context {
            coarse: &none,
            ..cx
        };
        assert_eq!(assign(&mut s, &Graph::default(), &cx2), 0);
    }

    #[test]
    fn the_entry_span_is_the_root_where_a_caller_fits_it_only_within_the_clocks_error() {
        // The gateway (the entry) logged one line as a request started, at
        // 0 ms; inventory's span [14, 41] sits on a clock known to 20 ms
        // only, so it could have called the gateway within that error; a
        // queued job ran 2 s later, after everything had ended.
        let coarse = Coarse::default();
        let mut offsets = known_offsets(3);
        offsets.domains.get_mut(&1).unwrap()[0].radius_ns = 20 * MS;
        let cx = Context {
            entry: Some(Sym(1)),
            entry_root: true,
            ..context(&coarse, &offsets)
        };
        let spans = || {
            let mut s = vec![span(1, 0, 0, 0), span(2, 14, 41, 1), span(3, 2218, 2225, 2)];
            s[0].timed = false;
            s
        };
        let mut s = spans();
        assert_eq!(assign(&mut s, &Graph::default(), &cx), 0, "{s:?}");
        // In the clock pass (no entry rule) timing alone decides.
        let mut s = spans();
        let clock_pass = Context {
            entry_root: false,
            ..cx
        };
        assert_ne!(assign(&mut s, &Graph::default(), &clock_pass), 0);
    }

    #[test]
    fn a_learned_rate_is_what_a_caller_wins_where_it_could_have_called() {
        let node = |k: u32| (Sym(k), Sym(100 + k));
        let (gateway, a, b, c) = (node(1), node(2), node(3), node(4));
        let mut o = Observations::default();
        // 30 calls of b that timing must place: a is the innermost candidate
        // (weight 1), the gateway holds a (half that).
        for _ in 0..30 {
            let from = o.options.len() as u32;
            o.options.extend([(a, 1.0), (gateway, 0.5)]);
            o.orphans.push((b, from, from + 2));
        }
        // 10 calls of b from c that ids name.
        o.linked.extend(std::iter::repeat_n((c, b), 10));
        let mut g = Graph::default();
        g.learn_by_timing(&[o]);
        let rate = |caller, callee| g.caller_share(caller, callee);
        assert!((rate(a, b).unwrap() - 2.0 / 3.0).abs() < 1e-6);
        assert!((rate(gateway, b).unwrap() - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(rate(c, b), Some(1.0));
        // Never a candidate: not its caller (the weight adds a little).
        assert_eq!(rate(node(5), b), Some(0.0));
        // Nothing learned about a callee, nor its service: no judgement.
        assert_eq!(rate(a, node(6)), None);
    }

    #[test]
    fn a_span_that_holds_the_callee_by_chance_loses_to_the_caller_the_run_shows() {
        let coarse = Coarse::default();
        let offsets = known_offsets(4);
        let cx = context(&coarse, &offsets);
        // 40 traces: the gateway (1) calls c (2), which calls b (3).
        let (gateway, c, b) = (
            span(1, 0, 1000, 0),
            span(2, 100, 500, 1),
            span(3, 200, 300, 2),
        );
        let mut sample = Vec::new();
        let mut scratch = Scratch::default();
        for _ in 0..40 {
            let mut spans = vec![gateway.clone(), c.clone(), b.clone()];
            sample.push(observe(&mut spans, &Graph::default(), &cx, &mut scratch));
        }
        let mut g = Graph::default();
        g.learn_by_timing(&sample);
        // Then x (4), which no trace showed calling b, runs inside c and
        // holds b: the innermost candidate by time.
        let trace = || vec![gateway.clone(), c.clone(), span(4, 150, 400, 3), b.clone()];
        let mut spans = trace();
        assign(&mut spans, &Graph::default(), &cx);
        assert_eq!(spans[3].parent, Some(2), "by time alone");
        let mut spans = trace();
        assign(&mut spans, &g, &cx);
        assert_eq!(spans[3].parent, Some(1), "{spans:?}");
        assert!(spans[3].parent_confidence > 0.5);
    }

    #[test]
    fn the_graph_learns_from_ids_only() {
        let mut spans = vec![span(1, 0, 100, 0), span(2, 10, 60, 1), span(3, 70, 80, 2)];
        spans[1].parent = Some(0); // logged
        spans[2].parent = Some(0);
        spans[2].inferred_parent = true;
        let g = Graph::learn(&spans);
        assert_eq!(g.calls.get(&(Sym(1), Sym(2))), Some(&1));
        assert_eq!(g.calls.len(), 1);
    }
}
