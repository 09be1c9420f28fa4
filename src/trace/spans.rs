//! A trace's events -> its spans, before any parent is known.
//!
//! Input: one correlated group of events (time order). Output: its [`Span`]s
//! in start order, times as logged (no clock correction), no parents.
//!
//! A span is one process's part of a request. Rules:
//! - Events are first split into streams by service and file (a file is
//!   written by one host or pod, on one clock), then, where the service logs
//!   span ids, by span id.
//! - In a stream, the events that report a request define spans: an event
//!   with a logged duration is the interval `[time - duration, time]`; one
//!   with an HTTP status only is the instant it was logged. Without span ids
//!   each such event is a span. With span ids a span id is one span, unless
//!   its lines report requests nested in each other (a client call and the
//!   server it reached in the same process, both logging the id B3 shares):
//!   then each reported request is a span.
//! - Other events join the smallest span of their stream that holds them
//!   (within [`HOLD_NS`]). Where the stream logs no span ids, an event that
//!   names a request (a method and a path) and that no span holds starts a
//!   span of its own: a request logged only when it started. Any other event
//!   joins the latest request that started before it and has no logged end,
//!   else the nearest span.
//! - A span with a logged duration is `timed`: its interval is known. Any
//!   other span ran at least from its first to its last event and may have
//!   run longer: its extent is settled once its calls are known.

use rayon::prelude::*;

use crate::ingest::event::{Event, SpanId, Sym, Symbols};

use super::{EventIdx, Link, Span, SpanEvents, SpanKind};

/// How much later than its whole-second stamp a coarse span may have ended.
pub const COARSE_NS: i64 = 1_000_000_000;
/// How far outside a span's interval an event may be and still belong to it:
/// a start line stamped to the millisecond next to a duration rounded to one.
pub const HOLD_NS: i64 = 1_000_000;

/// Services whose clocks only log whole seconds (sorted, for binary search).
#[derive(Clone, Debug, Default)]
pub struct Coarse(pub Vec<Sym>);

impl Coarse {
    /// Services none of whose timed events has a sub-second part.
    pub fn find(events: &[Event]) -> Coarse {
        type Fine = std::collections::BTreeMap<Sym, bool>;
        let merge = |mut a: Fine, b: Fine| {
            for (s, f) in b {
                *a.entry(s).or_insert(false) |= f;
            }
            a
        };
        // Events come file by file: a run of one service is looked up once.
        let fine = events
            .par_chunks(1 << 16)
            .map(|chunk| {
                let mut fine = Fine::new();
                for run in chunk.chunk_by(|a, b| a.service == b.service) {
                    let mut times = run.iter().filter_map(Event::time).peekable();
                    if times.peek().is_some() {
                        let sub_second = times.any(|t| t.rem_euclid(1_000_000_000) != 0);
                        *fine.entry(run[0].service).or_insert(false) |= sub_second;
                    }
                }
                fine
            })
            .reduce(Fine::new, merge);
        Coarse(
            fine.into_iter()
                .filter(|&(_, f)| !f)
                .map(|(s, _)| s)
                .collect(),
        )
    }
    pub fn contains(&self, s: Sym) -> bool {
        self.0.binary_search(&s).is_ok()
    }
}

/// True when `later`, a span of `earlier`'s file, starts at a first line
/// that file wrote after `earlier`'s first line: it started after `earlier`
/// did, whatever two stamps rounded to the millisecond say. (A span starts
/// at its first line when its extent is no longer than its lines', within
/// the rounding of a logged duration; one file has one order of lines.)
pub fn starts_after_line_of(later: &Span, earlier: &Span, events: &[Event]) -> bool {
    let time = |i: EventIdx| events.get(i as usize).and_then(Event::time);
    // Where a span's first line stands: its time as logged, then its event's
    // index (within one file, the order of its lines).
    let place = |s: &Span| Some((time(*s.events.first()?)?, *s.events.first()?));
    let last = |s: &Span| time(*s.events.last()?);
    let (Some(l), Some(e), Some(l1)) = (place(later), place(earlier), last(later)) else {
        return false;
    };
    let starts_there = later.duration_ns() <= l1.saturating_sub(l.0).saturating_add(HOLD_NS);
    starts_there && e < l
}

/// True when an operation names a request: an upper-case method and a path
/// (`GET /users/{id}`), not a logger or a route alone.
pub fn names_request(op: &str) -> bool {
    op.split_once(' ').is_some_and(|(m, p)| {
        p.starts_with('/') && !m.is_empty() && m.bytes().all(|b| b.is_ascii_uppercase())
    })
}

/// A span under construction.
struct Builder {
    service: Sym,
    span_id: SpanId,
    events: Events,
    /// The event that reports the request, if any.
    definer: Option<EventIdx>,
}

/// A span's events while it is built: most spans have one, kept inline
/// (a list per span would be allocated and freed for each of millions).
#[derive(Debug)]
enum Events {
    One(EventIdx),
    Many(Vec<EventIdx>),
}

impl Events {
    fn push(&mut self, i: EventIdx) {
        match self {
            Events::One(a) => *self = Events::Many(vec![*a, i]),
            Events::Many(v) => v.push(i),
        }
    }
}

impl std::ops::Deref for Events {
    type Target = [EventIdx];
    fn deref(&self) -> &[EventIdx] {
        match self {
            Events::One(i) => std::slice::from_ref(i),
            Events::Many(v) => v,
        }
    }
}

impl std::ops::DerefMut for Events {
    fn deref_mut(&mut self) -> &mut [EventIdx] {
        match self {
            Events::One(i) => std::slice::from_mut(i),
            Events::Many(v) => v,
        }
    }
}

impl From<Events> for SpanEvents {
    fn from(e: Events) -> Self {
        match e {
            Events::One(i) => SpanEvents::One(i),
            Events::Many(v) => v.into(),
        }
    }
}

/// The logged duration of an event, capped so times cannot overflow (~11 days).
fn duration_of(e: &Event) -> Option<i64> {
    e.duration().map(|d| d.min(1_000_000_000_000_000) as i64)
}

/// The interval an event marks: its logged duration ending at its time, else the instant.
fn interval_of(e: &Event) -> Option<(i64, i64)> {
    let t = e.time()?;
    Some((t.saturating_sub(duration_of(e).unwrap_or(0)), t))
}

/// An event that reports a request: a time and a duration or a status.
fn defines(e: &Event) -> bool {
    e.time().is_some() && (e.duration().is_some() || e.status != 0)
}

/// One trace's events (sorted by time) -> spans in start order, without
/// parents. Spans whose events have no time at all are left out.
pub fn spans_of(group: &[EventIdx], events: &[Event], symbols: &Symbols) -> Vec<Span> {
    let mut scratch = Scratch::default();
    spans_into(group, events, symbols, &mut scratch);
    scratch.spans
}

/// Buffers [`spans_into`] reuses from one trace to the next: a thread
/// builds a million traces, and their lists would otherwise each be
/// allocated, grown and freed.
#[derive(Default)]
pub struct Scratch {
    streams: Vec<EventIdx>,
    builders: Vec<Builder>,
    /// The spans of the last trace: the caller moves them out
    /// (`spans.drain(..).collect()` allocates exactly once, at their size).
    pub spans: Vec<Span>,
}

/// [`spans_of`] into `scratch.spans`.
pub fn spans_into(group: &[EventIdx], events: &[Event], symbols: &Symbols, scratch: &mut Scratch) {
    let Scratch {
        streams,
        builders,
        spans,
    } = scratch;
    streams.clear();
    streams.extend_from_slice(group);
    // Stable: keeps time order within a stream.
    streams.sort_by_key(|&i| {
        let e = &events[i as usize];
        (e.service, e.source.file)
    });
    builders.clear();
    for evs in streams.chunk_by(|&a, &b| {
        let (a, b) = (&events[a as usize], &events[b as usize]);
        (a.service, a.source.file) == (b.service, b.source.file)
    }) {
        stream_spans(evs, events, symbols, builders);
    }
    spans.clear();
    spans.extend(builders.drain(..).filter_map(|b| finish(b, events)));
    spans.sort_by_key(|s| (s.start_ns, std::cmp::Reverse(s.end_ns), s.events[0]));
}

/// One stream's events -> its span builders.
fn stream_spans(evs: &[EventIdx], events: &[Event], symbols: &Symbols, out: &mut Vec<Builder>) {
    let service = events[evs[0] as usize].service;
    let first = out.len();
    let mut loose: Vec<EventIdx> = Vec::new();
    let with_ids = evs.iter().any(|&i| events[i as usize].span_id().is_some());
    if with_ids {
        let mut ids: Vec<(SpanId, EventIdx)> = Vec::new();
        for &i in evs {
            let s = events[i as usize].span_id();
            if s.is_some() {
                ids.push((s, i));
            } else {
                loose.push(i);
            }
        }
        ids.sort_by_key(|&(s, i)| (s, events[i as usize].time_ns, i));
        for run in ids.chunk_by(|a, b| a.0 == b.0) {
            let evs = match run {
                &[(_, i)] => Events::One(i),
                _ => Events::Many(run.iter().map(|&(_, i)| i).collect()),
            };
            id_spans(run[0].0, service, evs, events, symbols, out);
        }
    } else {
        for &i in evs {
            if defines(&events[i as usize]) {
                out.push(Builder {
                    service,
                    span_id: SpanId::None,
                    events: Events::One(i),
                    definer: Some(i),
                });
            } else {
                loose.push(i);
            }
        }
    }
    if loose.is_empty() {
        if out.len() == first {
            return;
        }
    } else {
        place_loose(loose, !with_ids, service, first, events, symbols, out);
    }
    for b in &mut out[first..] {
        b.events.sort_by_key(|&i| (events[i as usize].time_ns, i));
    }
}

/// The events of one span id in one stream -> one span, or one per request
/// its lines report when those nest (see the module doc).
fn id_spans(
    span_id: SpanId,
    service: Sym,
    evs: Events,
    events: &[Event],
    symbols: &Symbols,
    out: &mut Vec<Builder>,
) {
    let ev = |i: EventIdx| &events[i as usize];
    // Requests reported with a duration, each interval once.
    let mut reported: Vec<EventIdx> = evs
        .iter()
        .copied()
        .filter(|&i| ev(i).duration().is_some() && ev(i).time().is_some())
        .filter(|&i| names_request(symbols.get(ev(i).operation)))
        .collect();
    reported.dedup_by(|a, b| {
        let (x, y) = (interval_of(ev(*a)), interval_of(ev(*b)));
        matches!((x, y), (Some(x), Some(y)) if (x.0 - y.0).abs() <= HOLD_NS && (x.1 - y.1).abs() <= HOLD_NS)
    });
    if reported.len() < 2 {
        // The event that reports the span's work: one with a duration, else a status.
        let definer = evs
            .iter()
            .rev()
            .find(|&&i| ev(i).duration().is_some() && ev(i).time().is_some())
            .or_else(|| evs.iter().rev().find(|&&i| ev(i).status != 0))
            .copied();
        out.push(Builder {
            service,
            span_id,
            events: evs,
            definer,
        });
        return;
    }
    let first = out.len();
    for &d in &reported {
        out.push(Builder {
            service,
            span_id,
            events: Events::One(d),
            definer: Some(d),
        });
    }
    reported.sort_unstable();
    let holders = Holders::new(&out[first..], events);
    for &i in evs.iter() {
        if reported.binary_search(&i).is_ok() {
            continue;
        }
        let k = holders.find(ev(i)).unwrap_or(0);
        out[first + k].events.push(i);
    }
}

/// The spans of a stream whose end was logged, sorted by start, to find the
/// one that holds an event without looking at every span.
struct Holders {
    /// (start, end, index) of each closed span.
    spans: Vec<(i64, i64, usize)>,
    /// The longest of them: no span starting earlier than `t - longest` holds `t`.
    longest: i64,
}

impl Holders {
    fn new(spans: &[Builder], events: &[Event]) -> Holders {
        let mut closed: Vec<(i64, i64, usize)> = spans
            .iter()
            .enumerate()
            .filter_map(|(k, b)| closed_interval(b, events).map(|(s, e)| (s, e, k)))
            .collect();
        closed.sort_unstable();
        let longest = closed.iter().map(|&(s, e, _)| e.saturating_sub(s)).max();
        Holders {
            spans: closed,
            longest: longest.unwrap_or(0),
        }
    }

    /// The index of the smallest span whose interval holds `e` (within
    /// [`HOLD_NS`]); on a tie the first.
    fn find(&self, e: &Event) -> Option<usize> {
        let t = e.time()?;
        let end = self
            .spans
            .partition_point(|&(s, ..)| s.saturating_sub(HOLD_NS) <= t);
        let earliest = t.saturating_sub(HOLD_NS).saturating_sub(self.longest);
        self.spans[..end]
            .iter()
            .rev()
            .take_while(|&&(s, ..)| s >= earliest)
            .filter(|&&(s, e, _)| s.saturating_sub(HOLD_NS) <= t && t <= e.saturating_add(HOLD_NS))
            .map(|&(s, e, k)| (e - s, k))
            .min()
            .map(|(_, k)| k)
    }
}

/// The interval of a span whose end was logged (a duration or a status line).
fn closed_interval(b: &Builder, events: &[Event]) -> Option<(i64, i64)> {
    b.definer.and_then(|d| interval_of(&events[d as usize]))
}

/// Places the events that define no span (see the module doc). Events in
/// time order (untimed ones anywhere).
fn place_loose(
    loose: Vec<EventIdx>,
    may_start: bool,
    service: Sym,
    first: usize,
    events: &[Event],
    symbols: &Symbols,
    out: &mut Vec<Builder>,
) {
    let holders = Holders::new(&out[first..], events);
    // Each span's first and last event time, kept as events join: reading
    // them again for every event is quadratic in the lines of one id.
    let mut hull: Vec<Option<(i64, i64)>> = out[first..].iter().map(|b| times(b, events)).collect();
    // Requests with no logged end, by their first time.
    let mut open: std::collections::BTreeSet<(i64, usize)> = out[first..]
        .iter()
        .zip(&hull)
        .enumerate()
        .filter(|(_, (b, _))| b.definer.is_none())
        .filter_map(|(k, (_, h))| h.map(|(s, _)| (s, k)))
        .collect();
    for i in loose {
        let e = &events[i as usize];
        let Some(t) = e.time() else {
            // Untimed: with the first span, or a span of its own to be dropped.
            match out.len() > first {
                true => out[first].events.push(i),
                false => {
                    out.push(Builder {
                        service,
                        span_id: e.span_id(),
                        events: Events::One(i),
                        definer: None,
                    });
                    hull.push(None);
                }
            }
            continue;
        };
        if let Some(k) = holders.find(e) {
            out[first + k].events.push(i);
            widen(
                &mut hull[k],
                t,
                out[first + k].definer.is_none(),
                k,
                &mut open,
            );
            continue;
        }
        let k = if may_start && names_request(symbols.get(e.operation)) {
            None
        } else {
            // The latest request with no logged end that started before it.
            match open.range(..=(t, usize::MAX)).next_back() {
                Some(&(_, k)) => Some(k),
                None => nearest(&out[first..], &hull, t, events),
            }
        };
        match k {
            Some(k) => {
                out[first + k].events.push(i);
                widen(
                    &mut hull[k],
                    t,
                    out[first + k].definer.is_none(),
                    k,
                    &mut open,
                );
            }
            None => {
                open.insert((t, out.len() - first));
                hull.push(Some((t, t)));
                out.push(Builder {
                    service,
                    span_id: SpanId::None,
                    events: Events::One(i),
                    definer: None,
                });
            }
        }
    }
}

/// The first and last time of a span's events.
fn times(b: &Builder, events: &[Event]) -> Option<(i64, i64)> {
    let mut times = b.events.iter().filter_map(|&i| events[i as usize].time());
    let first = times.next()?;
    Some(times.fold((first, first), |(lo, hi), t| (lo.min(t), hi.max(t))))
}

/// Adds time `t` to span `k`'s hull, and moves it in `open` (an open span,
/// keyed by its first time) when its first time moves.
fn widen(
    hull: &mut Option<(i64, i64)>,
    t: i64,
    is_open: bool,
    k: usize,
    open: &mut std::collections::BTreeSet<(i64, usize)>,
) {
    let old = *hull;
    let new = old.map_or((t, t), |(lo, hi)| (lo.min(t), hi.max(t)));
    *hull = Some(new);
    if is_open && old.map(|h| h.0) != Some(new.0) {
        if let Some((lo, _)) = old {
            open.remove(&(lo, k));
        }
        open.insert((new.0, k));
    }
}

/// The span nearest to `t` in time (`hull`: each span's event times).
fn nearest(
    spans: &[Builder],
    hull: &[Option<(i64, i64)>],
    t: i64,
    events: &[Event],
) -> Option<usize> {
    spans
        .iter()
        .zip(hull)
        .enumerate()
        .filter_map(|(k, (b, h))| {
            let (s, e) = logged_interval(b, events).or(*h)?;
            let dist = if t < s {
                s.saturating_sub(t)
            } else {
                t.saturating_sub(e).max(0)
            };
            Some((dist, k))
        })
        .min()
        .map(|(_, k)| k)
}

/// The interval a span's logged duration gives, if it has one.
fn logged_interval(b: &Builder, events: &[Event]) -> Option<(i64, i64)> {
    let d = &events[b.definer? as usize];
    d.duration().and_then(|_| interval_of(d))
}

/// A span's interval: its logged duration's, else its events' first to last.
fn builder_interval(b: &Builder, events: &[Event]) -> Option<(i64, i64)> {
    logged_interval(b, events).or_else(|| times(b, events))
}

fn finish(b: Builder, events: &[Event]) -> Option<Span> {
    let (start_ns, end_ns) = builder_interval(&b, events)?;
    let timed = b
        .definer
        .is_some_and(|d| events[d as usize].duration().is_some());
    let evs = || b.events.iter().map(|&i| &events[i as usize]);
    let operation = b
        .definer
        .map(|d| events[d as usize].operation)
        .filter(|o| o.is_some())
        .or_else(|| evs().map(|e| e.operation).find(|o| o.is_some()))
        .unwrap_or(Sym::NONE);
    Some(Span {
        service: b.service,
        operation,
        span_id: b.span_id,
        start_ns,
        end_ns,
        timed,
        status: evs().map(|e| e.status).max().unwrap_or(0),
        error: evs().any(|e| e.is_error()),
        parent: None,
        inferred_parent: false,
        logged_parent: evs().any(|e| e.parent_span_id().is_some()),
        depth: 0,
        link: Link::ChildOf,
        kind: SpanKind::Logged,
        parent_confidence: 1.0,
        file: b.events.first().map(|&i| events[i as usize].source.file),
        events: b.events.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::{Level, SourceRef};

    const MS: i64 = 1_000_000;

    pub(crate) fn ev(t_ms: i64, svc: Sym, dur_ms: Option<i64>, status: u16) -> Event {
        Event {
            time_ns: t_ms * MS,
            duration_ns: dur_ms.map_or(Event::NO_DURATION, |d| (d * MS) as u64),
            service: svc,
            status,
            ..Default::default()
        }
    }

    fn all(events: &[Event]) -> Vec<EventIdx> {
        let mut v: Vec<EventIdx> = (0..events.len() as u32).collect();
        v.sort_by_key(|&i| (events[i as usize].time_ns, i));
        v
    }

    #[test]
    fn access_lines_are_spans_and_other_lines_join_them() {
        let mut s = Symbols::default();
        let api = s.intern("api");
        let events = vec![
            ev(1_000, api, Some(100), 200), // [900, 1000]
            ev(950, api, None, 0),          // inside the first
            ev(2_000, api, Some(50), 500),  // [1950, 2000]
            ev(2_600, api, None, 0),        // nearest: the second
        ];
        let spans = spans_of(&all(&events), &events, &s);
        assert_eq!(spans.len(), 2);
        assert_eq!((spans[0].start_ns, spans[0].end_ns), (900 * MS, 1000 * MS));
        assert!(spans[0].timed && !spans[0].error);
        assert_eq!(spans[0].events[..], [1, 0]);
        assert_eq!(spans[1].events[..], [2, 3]);
        assert!(spans[1].error && spans[1].status == 500);
    }

    #[test]
    fn a_service_without_request_lines_is_one_span_first_to_last() {
        let mut s = Symbols::default();
        let w = s.intern("worker");
        let mut events = vec![ev(10, w, None, 0), ev(30, w, None, 0), ev(20, w, None, 0)];
        events[1].level = Level::Error;
        let spans = spans_of(&all(&events), &events, &s);
        assert_eq!(spans.len(), 1);
        assert_eq!((spans[0].start_ns, spans[0].end_ns), (10 * MS, 30 * MS));
        assert!(!spans[0].timed && spans[0].error);
    }

    #[test]
    fn each_file_is_its_own_stream() {
        let mut s = Symbols::default();
        let w = s.intern("worker");
        let mut events = vec![ev(10, w, None, 0), ev(30, w, None, 0)];
        events[1].source = SourceRef { file: 1, line: 1 };
        let spans = spans_of(&all(&events), &events, &s);
        assert_eq!(spans.len(), 2);
    }

    #[test]
    fn requests_logged_only_when_they_start_are_spans_of_their_own() {
        let mut s = Symbols::default();
        let (users, get, logger) = (
            s.intern("users"),
            s.intern("GET /users/{id}"),
            s.intern("c.e.users.Dao"),
        );
        let mut events = vec![
            ev(10, users, None, 0),       // GET started
            ev(12, users, None, 0),       // a DAO line: goes with the open request
            ev(40, users, Some(20), 200), // a client call [20, 40]: a span
            ev(45, users, None, 0),       // the second attempt started
            ev(50, users, None, 0),       // inside nothing: the latest open request
        ];
        for k in [0, 3] {
            events[k].operation = get;
        }
        events[1].operation = logger;
        events[4].operation = logger;
        events[2].operation = get;
        let spans = spans_of(&all(&events), &events, &s);
        let evs: Vec<Vec<EventIdx>> = spans.iter().map(|s| s.events.to_vec()).collect();
        assert_eq!(evs, vec![vec![0, 1], vec![2], vec![3, 4]]);
        assert!(!spans[0].timed && spans[1].timed);
    }

    #[test]
    fn a_shared_span_id_in_one_process_is_two_spans_when_requests_nest() {
        let mut s = Symbols::default();
        let (svc, op) = (s.intern("pricing"), s.intern("POST /pricing"));
        let x = SpanId::new("00f067aa0ba902b7", &mut s);
        // The client half [10, 40] and the server half [15, 35] of a loopback call.
        let mut events = vec![
            ev(10, svc, None, 0),
            ev(15, svc, None, 0),
            ev(35, svc, Some(20), 201),
            ev(40, svc, Some(30), 201),
        ];
        for e in &mut events {
            e.set_span_id(x);
            e.operation = op;
        }
        let spans = spans_of(&all(&events), &events, &s);
        assert_eq!(spans.len(), 2);
        assert_eq!((spans[0].start_ns, spans[0].end_ns), (10 * MS, 40 * MS));
        assert_eq!(spans[0].events[..], [0, 3]);
        assert_eq!(spans[1].events[..], [1, 2]);
        assert!(spans.iter().all(|sp| sp.span_id == x));
        // One request per span id stays one span, whatever its other lines say.
        let one: Vec<Event> = vec![events[0], events[3]];
        assert_eq!(spans_of(&[0, 1], &one, &s).len(), 1);
    }

    #[test]
    fn untimed_events_join_a_span_and_alone_make_none() {
        let mut s = Symbols::default();
        let a = s.intern("a");
        let mut events = vec![ev(10, a, Some(5), 200), ev(0, a, None, 0)];
        events[1].time_ns = Event::NO_TIME;
        let spans = spans_of(&all(&events), &events, &s);
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].events[..], [1, 0]);
        let only = vec![events[1]];
        assert!(spans_of(&[0], &only, &s).is_empty());
    }

    #[test]
    fn request_names() {
        assert!(names_request("GET /users/{id}"));
        assert!(!names_request("c.e.users.web.RequestLog"));
        assert!(!names_request("/users"));
        assert!(!names_request("get /users"));
    }

    /// The placement rules read literally: every span looked at for every
    /// event. `place_loose` and `Holders` must give the same spans.
    fn naive_place(loose: &[EventIdx], request: Sym, events: &[Event], out: &mut Vec<Builder>) {
        let first_time = |b: &Builder| {
            b.events
                .iter()
                .filter_map(|&i| events[i as usize].time())
                .min()
        };
        for &i in loose {
            let e = &events[i as usize];
            let Some(t) = e.time() else {
                if out.is_empty() {
                    out.push(Builder {
                        service: e.service,
                        span_id: SpanId::None,
                        events: Events::One(i),
                        definer: None,
                    });
                } else {
                    out[0].events.push(i);
                }
                continue;
            };
            let held = out
                .iter()
                .enumerate()
                .filter_map(|(k, b)| {
                    let (s, end) = closed_interval(b, events)?;
                    (s - HOLD_NS <= t && t <= end + HOLD_NS).then_some((end - s, k))
                })
                .min();
            let starts = e.operation == request;
            let k = match held {
                Some((_, k)) => Some(k),
                None if starts => None,
                None => out
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.definer.is_none())
                    .filter_map(|(k, b)| Some((first_time(b)?, k)))
                    .filter(|&(s, _)| s <= t)
                    .max()
                    .map(|(_, k)| k)
                    .or_else(|| {
                        out.iter()
                            .enumerate()
                            .filter_map(|(k, b)| {
                                let (s, e) = builder_interval(b, events)?;
                                Some((if t < s { s - t } else { (t - e).max(0) }, k))
                            })
                            .min()
                            .map(|(_, k)| k)
                    }),
            };
            match k {
                Some(k) => out[k].events.push(i),
                None => out.push(Builder {
                    service: e.service,
                    span_id: SpanId::None,
                    events: Events::One(i),
                    definer: None,
                }),
            }
        }
    }

    #[test]
    fn loose_events_are_placed_as_the_rules_say_on_random_streams() {
        let mut s = Symbols::default();
        let svc = s.intern("svc");
        let get = s.intern("GET /x");
        let logger = s.intern("c.e.Dao");
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..300 {
            let n = 1 + next(40) as usize;
            let mut events: Vec<Event> = (0..n)
                .map(|_| {
                    let kind = next(10);
                    let mut e = ev(next(200) as i64, svc, None, 0);
                    match kind {
                        0..=1 => e.duration_ns = next(60) * MS as u64,
                        2 => e.status = 200,
                        3 => e.time_ns = Event::NO_TIME,
                        _ => {}
                    }
                    e.operation = if next(3) == 0 { get } else { logger };
                    e
                })
                .collect();
            // Whole milliseconds tie often; a few sub-millisecond times too.
            if let Some(e) = events.iter_mut().find(|e| e.time().is_some()) {
                e.time_ns += 500_000;
            }
            let order = all(&events);
            let mut fast = Vec::new();
            stream_spans(&order, &events, &s, &mut fast);
            // The reference: the same definers, then the naive placement.
            let mut slow: Vec<Builder> = Vec::new();
            let mut loose = Vec::new();
            for &i in &order {
                if defines(&events[i as usize]) {
                    slow.push(Builder {
                        service: svc,
                        span_id: SpanId::None,
                        events: Events::One(i),
                        definer: Some(i),
                    });
                } else {
                    loose.push(i);
                }
            }
            naive_place(&loose, get, &events, &mut slow);
            for b in &mut slow {
                b.events.sort_by_key(|&i| (events[i as usize].time_ns, i));
            }
            let as_lists = |v: &[Builder]| v.iter().map(|b| b.events.to_vec()).collect::<Vec<_>>();
            assert_eq!(as_lists(&fast), as_lists(&slow), "events {events:?}");
        }
    }

    #[test]
    fn one_id_on_many_lines_without_durations_is_one_span() {
        // Each line used to re-read every line of the open span: quadratic.
        let mut s = Symbols::default();
        let w = s.intern("worker");
        let events: Vec<Event> = (0..50_000).map(|k| ev(k, w, None, 0)).collect();
        let spans = spans_of(&all(&events), &events, &s);
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].events.len(), 50_000);
        assert_eq!((spans[0].start_ns, spans[0].end_ns), (0, 49_999 * MS));
    }
}
