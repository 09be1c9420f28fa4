//! Spans -> the parents their logged ids give.
//!
//! Input: a trace's spans (from [`super::spans`]) and the events. Output: the
//! same spans with every parent the ids name set (not inferred), and one
//! placeholder span appended per logged parent id that no span carries.
//!
//! Rules:
//! - Spans that carry the same span id are the halves of one call: B3
//!   (Zipkin, Brave, Sleuth) gives the server the id of the client span that
//!   called it. The halves are put in order, client first, and each later
//!   half becomes the child of the latest earlier half that holds it in time,
//!   else of the client ([`SpanKind::SharedServer`]): several servers that
//!   logged one client's id (consumers of one message, retries) are siblings.
//!   The client is the half whose logged parent is a span of its own service
//!   (B3 gives both halves the client's parent), else the half that another
//!   span of its own process holds (the request it was made from; not one
//!   whose first line its file wrote after the half's), else the longer (a
//!   client waits for the whole call), else the earlier.
//! - A span that logged a parent id hangs under the span with that id; where
//!   several halves share it, under the server half of its own process (the
//!   server whose calls they are), else the server half running when it
//!   started, else the last one.
//! - A logged parent id that no span carries becomes a placeholder
//!   ([`SpanKind::Placeholder`]): no events, no service, the id kept, the
//!   parent of every span that named it. Its own parent is inferred later.
//! - Links never close a loop.

use crate::ingest::event::{Event, SpanId, Sym};

use super::{spans, Link, Span, SpanEvents, SpanIdx, SpanKind};

/// The parent span id a span logged, if any.
pub fn parent_id_of(s: &Span, events: &[Event]) -> SpanId {
    s.events
        .iter()
        .filter_map(|&i| events.get(i as usize).map(|e| e.parent_span_id()))
        .find(|p| p.is_some())
        .unwrap_or(SpanId::None)
}

/// Lists [`link_with`] reuses from one trace to the next.
#[derive(Default)]
pub struct Scratch {
    parents: Vec<SpanId>,
    by_id: Vec<(SpanId, SpanIdx)>,
    last: Vec<Option<SpanIdx>>,
    halves: Vec<usize>,
    missing: Vec<(SpanId, SpanIdx)>,
}

/// Sets the parents logged ids give and appends the placeholders.
pub fn link(spans: &mut Vec<Span>, events: &[Event]) {
    link_with(spans, events, &mut Scratch::default());
}

/// [`link`] with lists of the caller's.
pub fn link_with(spans: &mut Vec<Span>, events: &[Event], scratch: &mut Scratch) {
    if !spans.iter().any(|s| s.span_id.is_some()) {
        return;
    }
    let Scratch {
        parents,
        by_id,
        last,
        halves,
        missing,
    } = scratch;
    parents.clear();
    // Most spans logged no parent id: their events need not be read again.
    parents.extend(spans.iter().map(|s| match s.logged_parent {
        true => parent_id_of(s, events),
        false => SpanId::None,
    }));
    by_id.clear();
    by_id.extend(
        spans
            .iter()
            .enumerate()
            .filter(|(_, s)| s.span_id.is_some())
            .map(|(k, s)| (s.span_id, k as SpanIdx)),
    );
    by_id.sort_unstable();
    let by_id = &by_id[..];
    let find = |id: SpanId| -> &[(SpanId, SpanIdx)] {
        let lo = by_id.partition_point(|&(s, _)| s < id);
        let hi = by_id.partition_point(|&(s, _)| s <= id);
        &by_id[lo..hi]
    };

    // Shared ids: order the halves, chain them. `last[k]` is the server-most
    // half of the id span `k` carries.
    last.clear();
    last.resize(spans.len(), None);
    for run in by_id.chunk_by(|a, b| a.0 == b.0) {
        if run.len() < 2 {
            last[run[0].1 as usize] = Some(run[0].1);
            continue;
        }
        halves.clear();
        halves.extend(run.iter().map(|&(_, k)| k as usize));
        let key = |k: usize| {
            let s = &spans[k];
            // A logged parent of its own service: B3's client half.
            let own_parent = find(parents[k]).iter().any(|&(_, p)| {
                spans[p as usize].service == s.service && spans[p as usize].span_id != s.span_id
            });
            // Held by another request of its own process: a call made from it.
            // Not by one that starts at a first line written after this
            // half's: that one started later, whatever the stamps say.
            let held = spans.iter().enumerate().any(|(j, o)| {
                j != k
                    && o.span_id != s.span_id
                    && o.service == s.service
                    && o.file == s.file
                    && o.start_ns <= s.start_ns
                    && (!o.timed || s.start_ns <= o.end_ns)
                    && !spans::starts_after_line_of(o, s, events)
            });
            let dur = if s.timed { s.duration_ns() } else { 0 };
            (
                std::cmp::Reverse(own_parent),
                std::cmp::Reverse(held),
                std::cmp::Reverse(dur),
                s.start_ns,
                k,
            )
        };
        halves.sort_by_key(|&k| key(k));
        // Each server half under the latest earlier half that holds it in
        // time (a hop through a process that logs the id too), else under
        // the client: several servers that logged one client's id (a
        // message every consumer received, a call retried) are its children.
        let client = halves[0];
        for i in 1..halves.len() {
            let server = halves[i];
            let s = &spans[server];
            let holder = halves[1..i]
                .iter()
                .rev()
                .copied()
                .find(|&h| {
                    let o = &spans[h];
                    o.timed && o.start_ns <= s.start_ns && s.end_ns <= o.end_ns
                })
                .unwrap_or(client);
            spans[server].parent = Some(holder as SpanIdx);
            spans[server].kind = SpanKind::SharedServer;
            spans[server].inferred_parent = false;
        }
        let server = *halves.last().expect("two halves or more") as SpanIdx;
        for &k in halves.iter() {
            last[k] = Some(server);
        }
    }

    // Logged parents; placeholders for the ids nobody carries.
    missing.clear();
    for c in 0..spans.len() {
        let p = parents[c];
        if p.is_none() || spans[c].kind == SpanKind::SharedServer {
            continue;
        }
        let named = find(p);
        // Of several server halves with that id, the one in the child's own
        // process (its calls), else the one running when the child started,
        // else the server-most.
        let servers = || {
            named
                .iter()
                .map(|&(_, k)| k as usize)
                .filter(|&k| k != c && spans[k].kind == SpanKind::SharedServer)
        };
        let child = &spans[c];
        let own = servers()
            .find(|&k| spans[k].file == child.file && spans[k].service == child.service)
            .or_else(|| {
                servers().find(|&k| {
                    let o = &spans[k];
                    o.timed && o.start_ns <= child.start_ns && child.start_ns <= o.end_ns
                })
            });
        let target = match (own, named.first()) {
            (Some(k), _) => Some(k as SpanIdx),
            (None, Some(&(_, k))) => last[k as usize].filter(|&t| t as usize != c),
            (None, None) => {
                let at = missing.partition_point(|&(id, _)| id < p);
                match missing.get(at) {
                    Some(&(id, k)) if id == p => Some(k),
                    _ => {
                        let k = (spans.len() + missing.len()) as SpanIdx;
                        missing.insert(at, (p, k));
                        Some(k)
                    }
                }
            }
        };
        let Some(t) = target else { continue };
        if (t as usize) < spans.len() && creates_cycle(spans, c, t as usize) {
            continue;
        }
        spans[c].parent = Some(t);
        spans[c].inferred_parent = false;
    }
    missing.sort_unstable_by_key(|&(_, k)| k);
    for &(id, k) in missing.iter() {
        let kids = spans.iter().filter(|s| s.parent == Some(k));
        let start = kids.clone().map(|s| s.start_ns).min().unwrap_or(0);
        let end = kids.map(|s| s.end_ns).max().unwrap_or(start);
        spans.push(placeholder(id, start, end));
    }
}

/// A placeholder for the span `id`, spanning `[start, end]`.
pub fn placeholder(id: SpanId, start: i64, end: i64) -> Span {
    Span {
        service: Sym::NONE,
        operation: Sym::NONE,
        span_id: id,
        start_ns: start,
        end_ns: end,
        timed: false,
        status: 0,
        error: false,
        parent: None,
        inferred_parent: false,
        logged_parent: false,
        depth: 0,
        link: Link::ChildOf,
        kind: SpanKind::Placeholder,
        parent_confidence: 1.0,
        events: SpanEvents::default(),
        file: None,
    }
}

/// True when making `p` the parent of `c` would close a loop.
pub fn creates_cycle(spans: &[Span], c: usize, p: usize) -> bool {
    let mut at = Some(p);
    let mut steps = 0;
    while let Some(x) = at {
        if x == c || steps > spans.len() {
            return true;
        }
        at = spans.get(x).and_then(|s| s.parent).map(|q| q as usize);
        steps += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::{SourceRef, Symbols};
    use crate::trace::spans::spans_of;
    use crate::trace::EventIdx;

    const MS: i64 = 1_000_000;

    fn ev(t_ms: i64, svc: Sym, dur_ms: i64, file: u32) -> Event {
        Event {
            time_ns: t_ms * MS,
            duration_ns: (dur_ms * MS) as u64,
            service: svc,
            status: 200,
            source: SourceRef { file, line: 1 },
            ..Default::default()
        }
    }

    fn build(events: &[Event], s: &Symbols) -> Vec<Span> {
        let mut v: Vec<EventIdx> = (0..events.len() as u32).collect();
        v.sort_by_key(|&i| (events[i as usize].time_ns, i));
        let mut spans = spans_of(&v, events, s);
        link(&mut spans, events);
        spans
    }

    fn svc_of<'a>(spans: &[Span], k: Option<SpanIdx>, s: &'a Symbols) -> Option<&'a str> {
        k.map(|k| s.get(spans[k as usize].service))
    }

    #[test]
    fn explicit_tree_from_span_ids() {
        let mut s = Symbols::default();
        let (a, b) = (s.intern("a"), s.intern("b"));
        let s1 = SpanId::new("s1", &mut s);
        let s2 = SpanId::new("00f067aa0ba902b7", &mut s);
        let s3 = SpanId::new("s3", &mut s);
        let mut events = vec![ev(100, a, 100, 0), ev(50, b, 20, 1), ev(90, b, 20, 1)];
        events[0].set_span_id(s1);
        events[1].set_span_id(s2);
        events[1].set_parent_span_id(s1);
        events[2].set_span_id(s3);
        events[2].set_parent_span_id(s2); // same service, still exact
        let spans = build(&events, &s);
        assert_eq!(spans[1].parent, Some(0));
        assert_eq!(spans[2].parent, Some(1));
        assert!(spans.iter().all(|s| !s.inferred_parent));
    }

    /// B3: orders' server span S calls payments through client span X;
    /// payments logs X as its own id and S as its parent; payments' call to
    /// the ledger shares Y.
    #[test]
    fn shared_span_ids_chain_client_server_and_the_servers_calls() {
        let mut s = Symbols::default();
        let (orders, pay, ledger) = (s.intern("orders"), s.intern("payments"), s.intern("ledger"));
        let ids: Vec<SpanId> = ["s", "x", "y"]
            .iter()
            .map(|i| SpanId::new(i, &mut s))
            .collect();
        let (sid, x, y) = (ids[0], ids[1], ids[2]);
        let mut events = vec![
            ev(100, orders, 100, 0), // S [0, 100]
            ev(90, orders, 80, 0),   // X client [10, 90]
            ev(85, pay, 70, 1),      // X server [15, 85]
            ev(80, pay, 40, 1),      // Y client [40, 80]
            ev(78, ledger, 30, 2),   // Y server [48, 78]
        ];
        let set = |e: &mut Event, id: SpanId, parent: Option<SpanId>| {
            e.set_span_id(id);
            if let Some(p) = parent {
                e.set_parent_span_id(p);
            }
        };
        set(&mut events[0], sid, None);
        set(&mut events[1], x, Some(sid));
        set(&mut events[2], x, Some(sid));
        set(&mut events[3], y, Some(x));
        set(&mut events[4], y, Some(x));
        let spans = build(&events, &s);
        let at = |svc: Sym, id: SpanId| {
            spans
                .iter()
                .position(|sp| sp.service == svc && sp.span_id == id)
                .unwrap()
        };
        let (cx, sx, cy, sy) = (at(orders, x), at(pay, x), at(pay, y), at(ledger, y));
        assert_eq!(spans[cx].parent, Some(at(orders, sid) as SpanIdx));
        assert_eq!(spans[sx].parent, Some(cx as SpanIdx));
        assert_eq!(spans[sx].kind, SpanKind::SharedServer);
        assert_eq!(spans[cy].parent, Some(sx as SpanIdx));
        assert_eq!(spans[sy].parent, Some(cy as SpanIdx));
        assert_eq!(svc_of(&spans, spans[sy].parent, &s), Some("payments"));
        // Without parent ids (Sleuth) the halves still chain: the client is
        // held by the request it was made from.
        for e in &mut events {
            e.set_parent_span_id(SpanId::None);
        }
        let spans = build(&events, &s);
        assert_eq!(spans[at(pay, x)].parent, Some(at(orders, x) as SpanIdx));
        assert_eq!(spans[at(ledger, y)].parent, Some(at(pay, y) as SpanIdx));
        assert_eq!(spans[at(orders, x)].parent, None);
    }

    /// A redirect as Zipkin records it: the client half (0 ms) on one host,
    /// the server half (0 ms) on another 400 ms later, in the same
    /// millisecond as the request it began there (no parent ids, Sleuth).
    /// That request's stamps hold the server half; its lines come after.
    #[test]
    fn a_request_whose_lines_come_after_a_half_does_not_hold_it() {
        let mut s = Symbols::default();
        let (datamgmt, stlogin) = (s.intern("datamgmt"), s.intern("stlogin"));
        let (x, r) = (SpanId::new("x", &mut s), SpanId::new("r", &mut s));
        let mut events = vec![
            ev(100, datamgmt, 0, 0), // X client, "in 0 ms"
            ev(500, stlogin, 0, 1),  // X server: started
            ev(500, stlogin, 0, 1),  // X server: completed in 0 ms
            ev(500, stlogin, 0, 1),  // R: started
            ev(501, stlogin, 1, 1),  // R: completed in 1 ms
        ];
        events[0].set_span_id(x);
        events[1].set_span_id(x);
        events[1].duration_ns = u64::MAX;
        events[2].set_span_id(x);
        events[3].set_span_id(r);
        events[3].duration_ns = u64::MAX;
        events[4].set_span_id(r);
        let spans = build(&events, &s);
        let at = |svc: Sym, id: SpanId| {
            spans
                .iter()
                .position(|sp| sp.service == svc && sp.span_id == id)
                .unwrap() as SpanIdx
        };
        let (client, server) = (at(datamgmt, x), at(stlogin, x));
        assert_eq!(spans[server as usize].parent, Some(client), "{spans:?}");
        assert_eq!(spans[client as usize].parent, None);
    }

    /// One client id logged by the servers of two consumers (Zipkin's
    /// `shared` SERVER spans, one per instance that received the message),
    /// each of which makes calls of its own under that id.
    #[test]
    fn servers_that_share_one_client_id_are_its_children_and_keep_their_calls() {
        let mut s = Symbols::default();
        let (bouncer, pusher, dove) = (s.intern("bouncer"), s.intern("pusher"), s.intern("dove"));
        let ids: Vec<SpanId> = ["x", "d0", "d1", "d2"]
            .iter()
            .map(|i| SpanId::new(i, &mut s))
            .collect();
        let (x, d0, d1, d2) = (ids[0], ids[1], ids[2], ids[3]);
        let mut events = vec![
            ev(10, bouncer, 10, 0), // X client [0, 10]
            ev(30, pusher, 10, 1),  // X server on instance 1 [20, 30]
            ev(50, pusher, 10, 2),  // X server on instance 2 [40, 50]
            ev(28, dove, 5, 3),     // D0 [23, 28]: instance 1's call, its client half not logged
            ev(48, dove, 5, 3),     // D2 [43, 48]: instance 2's call, likewise
            ev(29, pusher, 2, 1),   // D1's client half, logged by instance 1 [27, 29]
        ];
        for e in &mut events[..3] {
            e.set_span_id(x);
        }
        for (k, id) in [(3, d0), (4, d2), (5, d1)] {
            events[k].set_span_id(id);
            events[k].set_parent_span_id(x);
        }
        let spans = build(&events, &s);
        let at = |svc: Sym, id: SpanId, file: u32| {
            spans
                .iter()
                .position(|sp| sp.service == svc && sp.span_id == id && sp.file == Some(file))
                .unwrap() as SpanIdx
        };
        let parent = |k: SpanIdx| spans[k as usize].parent;
        let (client, one, two) = (at(bouncer, x, 0), at(pusher, x, 1), at(pusher, x, 2));
        // Neither server holds the other: both hang under the client.
        assert_eq!(parent(one), Some(client));
        assert_eq!(parent(two), Some(client));
        // A call under X goes to the server half of its own process, else
        // to the one that was running when it started.
        assert_eq!(parent(at(pusher, d1, 1)), Some(one));
        assert_eq!(parent(at(dove, d0, 3)), Some(one));
        assert_eq!(parent(at(dove, d2, 3)), Some(two));
        assert!(spans.iter().all(|sp| !sp.inferred_parent));
    }

    #[test]
    fn a_missing_parent_becomes_one_placeholder_with_the_logged_id() {
        let mut s = Symbols::default();
        let b = s.intern("b");
        let (p, c1, c2) = (
            SpanId::new("1111111111111111", &mut s),
            SpanId::new("c1", &mut s),
            SpanId::new("c2", &mut s),
        );
        let mut events = vec![ev(50, b, 20, 0), ev(90, b, 20, 0)];
        events[0].set_span_id(c1);
        events[1].set_span_id(c2);
        for e in &mut events {
            e.set_parent_span_id(p);
        }
        let spans = build(&events, &s);
        assert_eq!(spans.len(), 3);
        let ph = &spans[2];
        assert!(ph.is_placeholder() && ph.events.is_empty() && ph.service.is_none());
        assert_eq!(ph.span_id, p);
        assert_eq!((ph.start_ns, ph.end_ns), (30 * MS, 90 * MS));
        assert!(spans[..2]
            .iter()
            .all(|x| x.parent == Some(2) && !x.inferred_parent));
    }
}
