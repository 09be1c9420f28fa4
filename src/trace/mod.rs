//! Events -> traces: each request's call chain, rebuilt across services.
//!
//! Stages: [`correlate`] groups events by correlation id (request ids and
//! trace ids that occur on the same line are linked, so one request is one
//! trace), [`tree`] cuts each trace into [`Span`]s (one service's part), links
//! them into a call tree (exact with span/parent ids, inferred from time
//! containment without them) after correcting each service's clock offset,
//! and [`critical`] finds the critical path. The output, [`Traces`], is plain
//! data: the analysis never looks at log text again.
//!
//! What the output says about its own certainty:
//! - A span's parent is logged (a parent span id names it) or inferred
//!   ([`Span::inferred_parent`]), and an inferred parent carries
//!   [`Span::parent_confidence`]. [`Span::link`] says whether the parent
//!   waited for the span (a call) or the span started after its parent ended
//!   (an async hop: Jaeger's and OpenTelemetry's "follows from").
//! - A parent span id that no log line of the trace carries becomes a
//!   [`SpanKind::Placeholder`] span: no events, no service, the logged id kept
//!   as its `span_id`, spanning its children. A span id logged by a client
//!   and by the server it called (B3's shared spans) gives two spans: the
//!   server half is [`SpanKind::SharedServer`], the child of the client half,
//!   with the same `span_id`.
//! - A span's extent covers the calls it made when the evidence says it made
//!   them, even past its own log lines; [`Trace::logged_parts`] keeps what the
//!   lines themselves cover.
//! - Clock offsets are estimated per clock domain (a file: one host or pod;
//!   a service when its files are too sparse) and time window, each with the
//!   interval the evidence allows and a confidence ([`ClockOffset`]).
//! - A trace's start and end are the extent of all its spans;
//!   [`Trace::root_latency_ns`] is what the root logged.

pub mod clock;
pub mod correlate;
pub mod critical;
pub mod find;
mod finish;
pub mod ids;
pub mod infer;
mod offsets;
pub mod spans;
mod sweep;
pub mod tree;

use finish::permute;
pub use offsets::CLOCK_SAMPLE;

use rayon::prelude::*;

use crate::ingest::event::{Event, SpanId, Sym, Symbols};

/// Index of an event in the run's event list.
pub type EventIdx = u32;
/// Index of a span in its trace's `spans`.
pub type SpanIdx = u32;

/// One service's part in a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub service: Sym,
    /// `METHOD /path/{id}`, route or logger of the entry that describes the span.
    pub operation: Sym,
    /// The span id the service logged, if any.
    pub span_id: SpanId,
    /// Start and end, UTC ns, after clock-offset correction.
    pub start_ns: i64,
    pub end_ns: i64,
    /// True when start and end come from a logged duration, not from first/last events.
    pub timed: bool,
    /// Highest HTTP status seen in the span (0 when none).
    pub status: u16,
    /// The span failed: status >= 500, an error/fatal event, or an exception.
    pub error: bool,
    pub parent: Option<SpanIdx>,
    /// True when the parent was inferred from time containment rather than logged ids.
    pub inferred_parent: bool,
    /// True when the span logged a parent span id (whether or not the trace has that span).
    pub logged_parent: bool,
    /// Depth in the tree (root = 0).
    pub depth: u16,
    /// How the span hangs under its parent (`ChildOf` for the root).
    pub link: Link,
    /// What the span stands for: logged lines, a missing parent, a server half.
    pub kind: SpanKind,
    /// How sure the parent link is, 0..=1: 1 for the root and for a parent a
    /// logged id names; for an inferred parent, the share of the evidence
    /// (the call graph learned from the whole run, and timing) that points
    /// to the chosen parent rather than to another span of the trace.
    pub parent_confidence: f32,
    /// The events of the span, in time order (none for a placeholder).
    pub events: SpanEvents,
    /// The file its events come from: its clock domain (one host or pod
    /// writes a file). `None` for a placeholder. Kept here so the passes
    /// over every span need not look up an event for it.
    pub file: Option<u32>,
}

/// How a span hangs under its parent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Link {
    /// The parent called the span and waited for it (or the span is the root).
    #[default]
    ChildOf,
    /// The span started after its parent had ended: an async hop (a
    /// fire-and-forget call, a queued job). No clock correction made it so.
    FollowsFrom,
}

/// What a span stands for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpanKind {
    /// One service's part of the trace, from its log lines.
    #[default]
    Logged,
    /// A span that children named by its id as their parent but that no log
    /// line of the trace shows (its service did not log it). No events, no
    /// service (`Sym::NONE`); `span_id` is the id the children logged; it
    /// spans its children; its parent, if any, is inferred.
    Placeholder,
    /// The server half of a span id that the client and the server it called
    /// both logged (B3's shared spans): its parent is the client half, it
    /// keeps the shared `span_id`, and the server's own calls hang under it.
    SharedServer,
}

/// The events of a span. Most spans have a single event (an access log line,
/// a "completed in" line), which is kept inline: no allocation for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpanEvents {
    One(EventIdx),
    Many(Box<[EventIdx]>),
}

impl Default for SpanEvents {
    fn default() -> Self {
        SpanEvents::Many(Box::default())
    }
}

impl std::ops::Deref for SpanEvents {
    type Target = [EventIdx];
    fn deref(&self) -> &[EventIdx] {
        match self {
            SpanEvents::One(i) => std::slice::from_ref(i),
            SpanEvents::Many(v) => v,
        }
    }
}

impl From<Vec<EventIdx>> for SpanEvents {
    fn from(v: Vec<EventIdx>) -> Self {
        match v[..] {
            [i] => SpanEvents::One(i),
            _ => SpanEvents::Many(v.into_boxed_slice()),
        }
    }
}

impl Span {
    pub fn duration_ns(&self) -> i64 {
        self.end_ns.saturating_sub(self.start_ns).max(0)
    }
    /// True for a placeholder: a logged parent id with no log line of its own.
    pub fn is_placeholder(&self) -> bool {
        self.kind == SpanKind::Placeholder
    }
}

/// One request's call chain.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// The id the user would search for: the request id where one exists, else the trace id.
    pub id: Sym,
    /// Every id linked into this trace (request and trace ids).
    pub ids: Vec<Sym>,
    /// Spans in start order; the root is `spans[root]`.
    pub spans: Vec<Span>,
    pub root: SpanIdx,
    pub start_ns: i64,
    pub end_ns: i64,
    /// The root span's logged duration (what its caller waited), when it has one.
    pub root_latency_ns: Option<i64>,
    /// Where the failure started, if the trace failed (its root failed): the
    /// deepest failure on the failing chain from the root ([`critical::error_origin`]).
    pub error_origin: Option<SpanIdx>,
    /// Spans on the critical path, root first.
    pub critical_path: Vec<SpanIdx>,
    /// Spans whose extent reaches past their own log lines (they made calls
    /// before their first or after their last line), by span index: the part
    /// the lines cover. Every other span's lines cover all of it.
    pub logged_parts: Vec<LoggedPart>,
}

/// The part of a span that its own log lines cover (clock-corrected).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoggedPart {
    pub span: SpanIdx,
    pub start_ns: i64,
    pub end_ns: i64,
}

impl Trace {
    pub fn duration_ns(&self) -> i64 {
        self.end_ns.saturating_sub(self.start_ns).max(0)
    }
    pub fn failed(&self) -> bool {
        self.error_origin.is_some()
    }
    /// The part of span `i` its log lines cover: its extent, unless
    /// [`Trace::logged_parts`] says otherwise.
    pub fn logged_part(&self, i: SpanIdx) -> (i64, i64) {
        match self.logged_parts.binary_search_by_key(&i, |p| p.span) {
            Ok(k) => (self.logged_parts[k].start_ns, self.logged_parts[k].end_ns),
            Err(_) => self
                .spans
                .get(i as usize)
                .map_or((0, 0), |s| (s.start_ns, s.end_ns)),
        }
    }
    /// True when more than one service logged the trace.
    pub fn multi_service(&self) -> bool {
        let mut services = self.spans.iter().map(|s| s.service);
        let first = services.next();
        services.any(|s| Some(s) != first)
    }
}

/// The clock offset of one clock domain in one time window.
///
/// A clock domain is a file (every file comes from one host or pod), or a
/// whole service when its files give too little evidence one by one. Each
/// call between two domains bounds their offset from the start side (the
/// callee cannot start before its caller) and from the end side (nor end
/// after it); the estimate is the most likely value inside the interval the
/// calls allow, not its edge.
#[derive(Clone, Debug, PartialEq)]
pub struct ClockOffset {
    pub service: Sym,
    /// The file (index into the run's file list) whose clock this is; `None`
    /// when the estimate covers every file of the service.
    pub file: Option<u32>,
    /// The window the offset holds in, UTC ns as logged by the domain,
    /// inclusive. A clock that stepped (an NTP correction) has one entry per
    /// window; `i64::MIN..=i64::MAX` when it held for the whole run.
    pub from_ns: i64,
    pub to_ns: i64,
    /// How far the domain's clock runs ahead of the reference (ms).
    pub offset_ms: f64,
    /// The range the evidence allows for the offset (ms), `low_ms <= offset_ms <= high_ms`.
    pub low_ms: f64,
    pub high_ms: f64,
    /// Probability (0..=1) that the true offset is within
    /// [`OFFSET_TOLERANCE_MS`] of `offset_ms`. Calibrated to stay below 0.9
    /// whenever the evidence leaves the offset undetermined.
    pub confidence: f64,
    /// How many caller/callee pairs the estimate rests on.
    pub samples: usize,
    /// True when the offset was subtracted from the domain's span times
    /// (only with evidence of overlap: calls that do not fit without it).
    pub applied: bool,
}

/// How close an offset must be to the truth to count as right (ms).
pub const OFFSET_TOLERANCE_MS: f64 = 5.0;

/// The confidence of a parent found by timing when every other candidate
/// is ruled out: timing is evidence, not proof (a parent nobody logged, a
/// clock nobody measured, a sibling that ran just before all fit as well),
/// so an inferred parent never claims the 0.9 that logged ids give. Of the
/// inferred parents whose candidate held nearly all the weight, the
/// simulation (`tests/chains_sim.rs`) finds about a third wrong.
pub const MAX_INFERRED_CONFIDENCE: f64 = 0.85;

/// Everything the trace stage found.
#[derive(Clone, Debug, Default)]
pub struct Traces {
    /// Traces ordered by start time, then id.
    pub traces: Vec<Trace>,
    /// Requests logged without any correlation id (e.g. a plain access log):
    /// one single-event span per event that has an HTTP status or a duration,
    /// in event order. They count in per-service and per-operation statistics
    /// and in the timeline, not in trace statistics.
    pub untraced: Vec<Span>,
    pub events_without_id: u64,
    /// Ids seen on a single event only.
    pub single_event_ids: u64,
    /// Ids reused for requests far apart in time, split into separate traces.
    pub reused_ids: u64,
    pub clock_offsets: Vec<ClockOffset>,
}

impl Traces {
    /// Bytes the traces hold, by part: the trace list, the span lists (as
    /// allocated: a placeholder a trace absorbed leaves its slot), the spans'
    /// event lists, and the traces' id, path and logged-part lists.
    pub fn held_bytes(&self) -> [(&'static str, usize); 4] {
        use std::mem::size_of;
        let ts = &self.traces;
        let spans = ts.iter().map(|t| t.spans.capacity()).sum::<usize>() + self.untraced.capacity();
        let events: usize = ts
            .iter()
            .flat_map(|t| &t.spans)
            .map(|s| match &s.events {
                SpanEvents::One(_) => 0,
                SpanEvents::Many(e) => e.len() * size_of::<EventIdx>(),
            })
            .sum();
        let lists: usize = ts
            .iter()
            .map(|t| {
                (t.ids.capacity() + t.critical_path.capacity()) * 4
                    + t.logged_parts.capacity() * size_of::<LoggedPart>()
            })
            .sum();
        [
            ("traces", ts.capacity() * size_of::<Trace>()),
            ("spans", spans * size_of::<Span>()),
            ("span events", events),
            ("trace lists", lists),
        ]
    }
}

/// How to build traces.
#[derive(Clone, Debug)]
pub struct TraceOptions {
    /// Events of one id further apart than this are different requests (id reuse).
    pub split_gap_ns: i64,
    /// Slack allowed when a child span must lie inside its parent (after
    /// clock correction), beyond what the clocks' uncertainty allows.
    pub containment_tolerance_ns: i64,
    /// The clock pass reads at most about this many traces per clock domain
    /// (see [`clock_sample`]).
    pub clock_sample: usize,
    /// Build the traces this many correlation groups at a time (0: all at
    /// once). The traces are the same either way; in parts, only the
    /// samples the run's model is learned from are held between the two
    /// sweeps, and each trace's spans are built twice.
    pub groups_per_part: usize,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions {
            split_gap_ns: 600 * 1_000_000_000,
            containment_tolerance_ns: 2_000_000,
            clock_sample: CLOCK_SAMPLE,
            groups_per_part: 0,
        }
    }
}

/// Events -> traces: correlate, build spans, link them by ids, correct
/// clocks, learn the call graph, infer the remaining parents, find critical
/// paths; in two sweeps over the correlation groups, a part of them at a
/// time with [`TraceOptions::groups_per_part`] ([`sweep`]).
///
/// Guarantees:
/// - Every event with a request or trace id is in exactly one trace, unless
///   neither it nor any other event of its stream in that trace has a time
///   (it cannot be placed); traces with no timed event at all are left out.
/// - Traces are ordered by (start, id string); spans by (start, longest first,
///   first event); `untraced` follows event order. Nothing depends on the
///   thread count or on hash order.
/// - Every trace has at least one span and exactly one root (`parent == None`);
///   the parent links form a tree; `depth` is the distance from the root.
/// - Span times are clock-corrected by the offsets in `clock_offsets` that
///   say `applied`.
/// - A trace's start and end are the extent of all its spans (an async hop
///   may run long after the root answered); the root's logged duration is
///   [`Trace::root_latency_ns`].
/// - A trace failed when its root failed; its error origin is the deepest
///   failure on the failing chain from the root ([`critical::error_origin`]).
pub fn build(events: &[Event], symbols: &Symbols, opts: &TraceOptions) -> Traces {
    let mut clock = crate::timing::Clock::nested(1);
    let coarse = spans::Coarse::find(events);
    let corr = correlate::correlate(events, symbols, opts.split_gap_ns);
    clock.lap("correlate");
    let mut traces: Vec<Trace> = Vec::new();
    let clock_offsets = sweep::traces_in_parts(
        corr.groups,
        (events, symbols),
        &coarse,
        opts,
        opts.groups_per_part,
        |part| {
            if traces.is_empty() {
                traces = part;
            } else {
                traces.extend(part);
            }
        },
    );
    clock.lap("sweeps");
    // Clock correction moves spans: restore the (start, id) order.
    // Keys made once per trace, not per comparison: starts tie often
    // (whole-second access logs), and then the id's text decides.
    let mut keyed: Vec<(i64, &str, &[EventIdx], u32)> = traces
        .par_iter()
        .enumerate()
        .map(|(k, t)| {
            (
                t.start_ns,
                symbols.get(t.id),
                &t.spans[0].events[..],
                k as u32,
            )
        })
        .collect();
    keyed.par_sort_unstable();
    let mut order: Vec<u32> = keyed.into_iter().map(|(.., k)| k).collect();
    permute(&mut traces, &mut order);
    clock.lap("sort");
    let untraced = untraced(events, symbols);
    clock.lap("untraced");
    Traces {
        traces,
        untraced,
        events_without_id: corr.events_without_id,
        single_event_ids: corr.single_event_ids,
        reused_ids: corr.reused_ids,
        clock_offsets,
    }
}

/// Events without any correlation id that report a handled request -> one span each:
/// an HTTP status, or a duration of something with a path (`GET /x ... in 12 ms`)
/// or proxied to an upstream (a TCP session through HAProxy).
/// A duration alone (`Started Application in 6.4 seconds`) is not a request.
fn untraced(events: &[Event], symbols: &Symbols) -> Vec<Span> {
    events
        .par_iter()
        .enumerate()
        .filter(|(_, e)| {
            e.request_id.is_none()
                && e.trace_id.is_none()
                && e.time().is_some()
                && (e.status != 0
                    || (e.duration().is_some()
                        && (symbols.get(e.operation).contains('/') || e.upstream.is_some())))
        })
        .map(|(i, e)| {
            let t = e.time_ns;
            let d = e
                .duration()
                .map_or(0, |d| d.min(1_000_000_000_000_000) as i64);
            Span {
                service: e.service,
                operation: e.operation,
                span_id: e.span_id(),
                start_ns: t.saturating_sub(d),
                end_ns: t,
                timed: e.duration().is_some(),
                status: e.status,
                error: e.is_error(),
                parent: None,
                inferred_parent: false,
                logged_parent: false,
                depth: 0,
                link: Link::ChildOf,
                kind: SpanKind::Logged,
                parent_confidence: 1.0,
                events: SpanEvents::One(i as EventIdx),
                file: Some(e.source.file),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::finish::extent;
    use super::offsets::{clock_key, clock_sample, ClockKey};
    use super::*;

    const MS: i64 = 1_000_000;

    #[test]
    fn permute_moves_every_item_to_its_place() {
        // Cycles of several lengths and fixed points.
        let order = [3u32, 0, 1, 2, 4, 6, 5, 9, 7, 8];
        let mut items: Vec<String> = (0..order.len()).map(|i| format!("item{i}")).collect();
        permute(&mut items, &mut order.clone());
        let want: Vec<String> = order.iter().map(|k| format!("item{k}")).collect();
        assert_eq!(items, want);
        let mut none: Vec<u8> = Vec::new();
        permute(&mut none, &mut []);
    }

    fn ev(t_ms: i64, svc: Sym, rid: Sym, dur_ms: Option<i64>, status: u16) -> Event {
        Event {
            time_ns: t_ms * MS,
            duration_ns: dur_ms.map_or(Event::NO_DURATION, |d| (d * MS) as u64),
            service: svc,
            request_id: rid,
            status,
            ..Default::default()
        }
    }

    #[test]
    fn a_span_is_logged_in_full_unless_its_trace_says_otherwise() {
        let mut s = Symbols::default();
        let (a, r) = (s.intern("a"), s.intern("r"));
        let events = vec![ev(100, a, r, Some(100), 200), ev(150, a, r, Some(10), 200)];
        let mut t = build(&events, &s, &TraceOptions::default())
            .traces
            .remove(0);
        assert_eq!(t.root_latency_ns, Some(100 * MS));
        assert_eq!(t.logged_part(1), (t.spans[1].start_ns, t.spans[1].end_ns));
        t.logged_parts.push(LoggedPart {
            span: 1,
            start_ns: 140 * MS,
            end_ns: 145 * MS,
        });
        assert_eq!(t.logged_part(1), (140 * MS, 145 * MS));
        assert_eq!(t.logged_part(9), (0, 0));
        assert!(t.spans.iter().all(|s| !s.is_placeholder()));
    }

    #[test]
    fn what_the_traces_hold_counts_every_span_slot() {
        let mut s = Symbols::default();
        let before = s.held_bytes();
        let (a, r) = (s.intern("a"), s.intern(&"r".repeat(10_000)));
        assert!(s.held_bytes() >= before + 10_000);
        let events = vec![ev(100, a, r, Some(100), 200), ev(150, a, r, Some(10), 200)];
        let mut built = build(&events, &s, &TraceOptions::default());
        let spans = |b: &Traces| b.held_bytes().iter().find(|p| p.0 == "spans").unwrap().1;
        let one = std::mem::size_of::<Span>();
        assert_eq!(spans(&built), 2 * one);
        built.traces[0].spans.reserve_exact(3);
        assert!(spans(&built) >= 5 * one);
    }

    #[test]
    fn the_extent_clips_overhanging_calls_and_keeps_async_hops() {
        let span = |start: i64, end: i64, parent: Option<SpanIdx>, depth: u16| Span {
            service: Sym::NONE,
            operation: Sym::NONE,
            span_id: SpanId::None,
            start_ns: start,
            end_ns: end,
            timed: true,
            status: 200,
            error: false,
            parent,
            inferred_parent: false,
            logged_parent: false,
            file: None,
            depth,
            link: Link::ChildOf,
            kind: SpanKind::Logged,
            parent_confidence: 1.0,
            events: SpanEvents::default(),
        };
        // root [0, 100]; a call sticking out by 1; under it an async job [90, 300]
        // whose own call sticks out of the job by 5.
        let mut spans = vec![
            span(0, 100, None, 0),
            span(10, 101, Some(0), 1),
            span(90, 300, Some(1), 2),
            span(95, 305, Some(2), 3),
        ];
        assert_eq!(extent(&spans, 0, &mut Default::default()), (0, 100));
        spans[2].link = Link::FollowsFrom;
        assert_eq!(extent(&spans, 0, &mut Default::default()), (0, 300));
        // An untimed root does not clip.
        spans[0].timed = false;
        assert_eq!(extent(&spans, 0, &mut Default::default()), (0, 300));
        spans[2].link = Link::ChildOf;
        assert_eq!(extent(&spans, 0, &mut Default::default()), (0, 305));
    }

    /// Issue 15: one id on events over 2 h 46 m, every span linked by ids
    /// under a root that logged 469 ms, was "a 469 ms trace".
    #[test]
    fn the_extent_keeps_spans_far_outside_the_root() {
        let mut s = Symbols::default();
        let (edge, api, tid) = (s.intern("edge"), s.intern("api"), s.intern("t-reused"));
        let root_id = SpanId::new("00f067aa0ba902b7", &mut s);
        let hours = (2 * 3600 + 46 * 60) * 1000;
        let mut root = ev(469, edge, Sym::NONE, Some(469), 200);
        root.trace_id = tid;
        root.set_span_id(root_id);
        let mut events = vec![root];
        for k in 0..1000 {
            let mut e = ev(15 + k * hours / 999 + 5, api, Sym::NONE, Some(5), 200);
            e.trace_id = tid;
            e.set_span_id(SpanId::new(&format!("{:016x}", k + 1), &mut s));
            e.set_parent_span_id(root_id);
            e.source.file = 1;
            events.push(e);
        }
        let t = build(&events, &s, &TraceOptions::default());
        assert_eq!(t.traces.len(), 1);
        let tr = &t.traces[0];
        assert_eq!(tr.spans[tr.root as usize].service, edge);
        assert!(tr.spans.iter().all(|x| !x.inferred_parent));
        assert_eq!(tr.root_latency_ns, Some(469 * MS));
        assert_eq!((tr.start_ns, tr.end_ns), (0, (hours + 20) * MS));
        // A call that overhangs its root by less than the slack (30 s) is
        // taken for clock error and clipped: the trace is the root's 469 ms.
        let mut near = events[..2].to_vec();
        near[1].time_ns = (469 + 30_000) * MS;
        let t = build(&near, &s, &TraceOptions::default());
        assert_eq!(t.traces[0].duration_ns(), 469 * MS);
    }

    #[test]
    fn empty_input_gives_nothing() {
        let t = build(&[], &Symbols::default(), &TraceOptions::default());
        assert!(t.traces.is_empty() && t.untraced.is_empty() && t.clock_offsets.is_empty());
    }

    #[test]
    fn events_without_time_do_not_make_traces() {
        let mut s = Symbols::default();
        let (a, r) = (s.intern("a"), s.intern("r"));
        let mut e = ev(0, a, r, Some(5), 200);
        e.time_ns = Event::NO_TIME;
        let mut plain = e;
        plain.request_id = Sym::NONE;
        let t = build(&[e, e, plain], &s, &TraceOptions::default());
        assert!(t.traces.is_empty() && t.untraced.is_empty());
        assert_eq!(t.events_without_id, 1);
    }

    #[test]
    fn a_plain_access_log_becomes_untraced_requests() {
        let mut s = Symbols::default();
        let web = s.intern("web");
        let events = vec![
            ev(1_000, web, Sym::NONE, Some(30), 200),
            ev(2_000, web, Sym::NONE, None, 0), // a startup line: no request
            ev(3_000, web, Sym::NONE, None, 503),
        ];
        let t = build(&events, &s, &TraceOptions::default());
        assert!(t.traces.is_empty());
        assert_eq!(t.untraced.len(), 2);
        assert_eq!(
            (t.untraced[0].start_ns, t.untraced[0].end_ns),
            (970 * MS, 1_000 * MS)
        );
        assert!(t.untraced[0].timed && !t.untraced[1].timed && t.untraced[1].error);
        assert_eq!(t.untraced[1].events[..], [2]);
        assert_eq!(t.events_without_id, 3);
    }

    /// 60 requests: edge [0, 100] calls db soon after it starts (2 to 4 ms
    /// in, for 30 to 60 ms; db's host clock +300 ms) and, every third
    /// request, fails there (the edge answers 502).
    #[test]
    fn the_clock_pass_reads_a_sample_that_keeps_rare_clocks_whole() {
        // 400 requests: edge (file 0) calls db (file 1, its clock 300 ms
        // ahead); 6 of them also call cache (file 2, on time).
        let mut s = Symbols::default();
        let (edge, db, cache) = (s.intern("edge"), s.intern("db"), s.intern("cache"));
        let mut events = Vec::new();
        for k in 0..400 {
            let r = s.intern(&format!("req-{k:03}"));
            let base = 10_000 + k * 1_000;
            let (at, dur) = (2 + k % 3, 30 + (k * 7) % 31);
            events.push(ev(base + 100, edge, r, Some(100), 200));
            let mut e = ev(base + at + dur + 300, db, r, Some(dur), 200);
            e.source.file = 1;
            events.push(e);
            if k % 67 == 5 {
                let mut e = ev(base + 80, cache, r, Some(5), 200);
                e.source.file = 2;
                events.push(e);
            }
        }
        let full = build(&events, &s, &TraceOptions::default());
        let opts = TraceOptions {
            clock_sample: 50,
            ..Default::default()
        };
        let sampled = build(&events, &s, &opts);
        let mut scratch = Vec::new();
        let keys: Vec<ClockKey> = full
            .traces
            .iter()
            .map(|t| clock_key(s.text_hash(t.id), &t.spans, &mut scratch))
            .collect();
        let pick = clock_sample(&keys, 50);
        assert_eq!(pick, clock_sample(&keys, 50));
        let picked = pick.iter().filter(|&&p| p).count();
        assert!((25..=100).contains(&picked), "{picked} of 400 picked");
        // Every trace the rare clock is in is read.
        for (t, &p) in full.traces.iter().zip(&pick) {
            if t.spans.iter().any(|x| x.file == Some(2)) {
                assert!(p);
            }
        }
        let db_of = |t: &Traces| {
            let o = t.clock_offsets.iter().find(|o| o.service == db).unwrap();
            (o.offset_ms, o.samples)
        };
        let ((full_ms, full_n), (sampled_ms, sampled_n)) = (db_of(&full), db_of(&sampled));
        assert!((full_ms - 300.0).abs() <= 5.0, "{full_ms}");
        assert!((sampled_ms - 300.0).abs() <= 5.0, "{sampled_ms}");
        assert!(sampled_n < full_n / 3, "{sampled_n} of {full_n}");
        // The same calls come out whatever was sampled.
        assert_eq!(
            full.traces.iter().map(|t| t.spans.len()).sum::<usize>(),
            sampled.traces.iter().map(|t| t.spans.len()).sum::<usize>()
        );
    }

    #[test]
    fn skewed_traces_are_corrected_linked_and_blamed() {
        let mut s = Symbols::default();
        let (edge, db) = (s.intern("edge"), s.intern("db"));
        let mut events = Vec::new();
        for k in 0..60 {
            let r = s.intern(&format!("req-{k:02}"));
            let base = 10_000 + k * 1_000;
            let fail = k % 3 == 0;
            let (at, dur) = (2 + k % 3, 30 + (k * 7) % 31);
            events.push(ev(
                base + 100,
                edge,
                r,
                Some(100),
                if fail { 502 } else { 200 },
            ));
            let mut e = ev(
                base + at + dur + 300,
                db,
                r,
                Some(dur),
                if fail { 500 } else { 200 },
            );
            e.source.file = 1;
            events.push(e);
        }
        let t = build(&events, &s, &TraceOptions::default());
        assert_eq!(t.traces.len(), 60);
        let off: Vec<(&str, f64)> = t
            .clock_offsets
            .iter()
            .map(|o| (s.get(o.service), o.offset_ms))
            .collect();
        // The db call hugs the start of the edge's request (2 ms at least),
        // not its end (36 ms at least): the offset is 0.5 ms inside the start
        // side, not at the end side that merely fits (264 ms).
        assert_eq!(off, vec![("db", 301.5), ("edge", 0.0)]);
        let db_off = &t.clock_offsets[0];
        assert_eq!((db_off.low_ms, db_off.high_ms), (264.0, 302.0));
        assert!(db_off.applied && db_off.confidence < 0.9);
        for (k, tr) in t.traces.iter().enumerate() {
            assert_eq!(s.get(tr.id), format!("req-{k:02}"));
            assert_eq!(tr.spans.len(), 2);
            assert_eq!(tr.spans[tr.root as usize].service, edge);
            let child = &tr.spans[1 - tr.root as usize];
            assert_eq!(child.parent, Some(tr.root));
            assert_eq!(child.depth, 1);
            assert_eq!(tr.duration_ns(), 100 * MS);
            assert_eq!(tr.critical_path.len(), 2);
            let origin = tr.error_origin.map(|o| tr.spans[o as usize].service);
            assert_eq!(origin, (k % 3 == 0).then_some(db));
        }
    }
}
