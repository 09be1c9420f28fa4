//! Trace and span ids of the widths tracing formats require.
//!
//! Input: the chosen traces and the events and symbols they point into.
//! Output: per trace, a 32-hex-digit trace id and a 16-hex-digit id per span.
//!
//! A logged id is used as it is when it already fits (lowercased; a 16-digit
//! trace id is padded with zeros as OpenTelemetry does). Anything else (a
//! request id like `req-42`, a UUID, a span id logged twice in one trace) is
//! replaced by a stable hash (FNV-1a, 128 bits) and the original is kept, so
//! the same input always gives the same ids and nothing is lost. Trace ids
//! are unique within an export and span ids within a trace.

use std::collections::BTreeSet;

use rayon::prelude::*;

use crate::ingest::event::{Event, SpanId, Sym, Symbols};
use crate::trace::Trace;

/// The exported ids of one trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceIds {
    /// 32 lowercase hex digits, never all zeros.
    pub trace: String,
    /// The id the trace id was made from, when it was not used as it is.
    pub original: Option<Sym>,
    /// 16 lowercase hex digits per span, unique within the trace, never all zeros.
    pub spans: Vec<String>,
    /// The span's logged id, when one was logged but could not be used.
    pub span_originals: Vec<Option<SpanId>>,
}

/// Ids for `traces`, in their order.
pub fn assign(traces: &[&Trace], events: &[Event], symbols: &Symbols) -> Vec<TraceIds> {
    let heads = trace_ids(traces, events, symbols);
    traces
        .par_iter()
        .zip(heads)
        .map(|(t, (trace, original))| {
            let (spans, span_originals) = span_ids(t, &trace, events, symbols);
            TraceIds {
                trace,
                original: original.filter(|s| s.is_some()),
                spans,
                span_originals,
            }
        })
        .collect()
}

/// The trace ids of `traces`, in their order, each with the id it was made
/// from when that was not used as it is ([`assign`] without the span ids).
pub fn trace_ids(
    traces: &[&Trace],
    events: &[Event],
    symbols: &Symbols,
) -> Vec<(String, Option<Sym>)> {
    // Trace ids first, in order, so a clash (one logged id split into two
    // traces because it was reused hours apart) resolves the same way every run.
    let mut used: BTreeSet<String> = BTreeSet::new();
    traces
        .iter()
        .map(|t| {
            let logged = logged_trace_id(t, events, symbols);
            let source = if logged.is_some() { logged } else { t.id };
            let text = symbols.get(source);
            let (mut id, mut original) = match fit_trace_id(text) {
                Some(id) => (id, None),
                None => (hex128(hash128(text.as_bytes())), Some(source)),
            };
            let mut salt = 0u32;
            while !used.insert(id.clone()) {
                salt += 1;
                let key = format!("{text}#{}#{salt}", t.start_ns);
                id = hex128(hash128(key.as_bytes()));
                original = Some(source);
            }
            (id, original)
        })
        .collect()
}

/// The trace id the trace's events logged (the smallest, should there be several).
fn logged_trace_id(t: &Trace, events: &[Event], symbols: &Symbols) -> Sym {
    t.spans
        .iter()
        .flat_map(|s| s.events.iter())
        .filter_map(|&e| events.get(e as usize))
        .map(|e| e.trace_id)
        .filter(|s| s.is_some())
        .min_by(|a, b| symbols.get(*a).cmp(symbols.get(*b)))
        .unwrap_or(Sym::NONE)
}

/// Span ids: the logged one when it is 16 hex digits and not taken yet in
/// this trace, else the one its children logged as their parent, else a
/// hash of the trace id and the span's index.
pub fn span_ids(
    t: &Trace,
    trace_id: &str,
    events: &[Event],
    symbols: &Symbols,
) -> (Vec<String>, Vec<Option<SpanId>>) {
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut ids = Vec::with_capacity(t.spans.len());
    let mut originals = Vec::with_capacity(t.spans.len());
    // Logged ids claim their place before any hash does.
    let mut logged: Vec<Option<String>> = t
        .spans
        .iter()
        .map(|s| {
            let id = fit_hex(&s.span_id.text(symbols), 16)?;
            used.insert(id.clone()).then_some(id)
        })
        .collect();
    // A service that logs no span id (an access log) was still given one by
    // its caller's tracer, and its callees logged it as their parent: use it,
    // so the exported ids match the ones in the logs.
    for (p, slot) in logged.iter_mut().enumerate() {
        if slot.is_some() || t.spans[p].span_id.is_some() {
            continue;
        }
        let told: BTreeSet<String> = t
            .spans
            .iter()
            .filter(|c| c.parent == Some(p as u32))
            .flat_map(|c| c.events.iter())
            .filter_map(|&e| events.get(e as usize))
            .filter_map(|e| fit_hex(&e.parent_span_id().text(symbols), 16))
            .collect();
        if let (1, Some(id)) = (told.len(), told.first()) {
            if used.insert(id.clone()) {
                *slot = Some(id.clone());
            }
        }
    }
    for (i, (s, logged)) in t.spans.iter().zip(logged).enumerate() {
        match logged {
            Some(id) => {
                ids.push(id);
                originals.push(None);
            }
            None => {
                let mut salt = 0u32;
                let id = loop {
                    let key = format!("{trace_id}/{i}/{salt}");
                    let id = hex64(fold64(hash128(key.as_bytes())));
                    if used.insert(id.clone()) {
                        break id;
                    }
                    salt += 1;
                };
                ids.push(id);
                originals.push(s.span_id.is_some().then_some(s.span_id));
            }
        }
    }
    (ids, originals)
}

/// A logged trace id as 32 hex digits, if it is 32 or 16 hex digits (not all zeros).
fn fit_trace_id(s: &str) -> Option<String> {
    fit_hex(s, 32).or_else(|| fit_hex(s, 16).map(|h| format!("{h:0>32}")))
}

/// `s` lowercased, if it is exactly `width` hex digits and not all zeros.
fn fit_hex(s: &str, width: usize) -> Option<String> {
    (s.len() == width && s.bytes().all(|b| b.is_ascii_hexdigit()) && s.bytes().any(|b| b != b'0'))
        .then(|| s.to_ascii_lowercase())
}

/// FNV-1a, 128 bits: small, fixed by its specification, so ids stay the
/// same across versions and platforms.
pub fn hash128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ u128::from(b)).wrapping_mul(PRIME))
}

fn fold64(h: u128) -> u64 {
    (h as u64) ^ ((h >> 64) as u64)
}

/// 32 hex digits; zero (which means "no id" to tracing tools) becomes one.
fn hex128(h: u128) -> String {
    format!("{:032x}", h.max(1))
}

/// 16 hex digits; zero becomes one.
fn hex64(h: u64) -> String {
    format!("{:016x}", h.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::testing::*;

    #[test]
    fn fnv_matches_its_published_vectors() {
        // FNV-1a 128 of "" is the offset basis; of "a" a published value.
        assert_eq!(hash128(b""), 0x6c62272e07bb014262b821756295c58d);
        assert_eq!(hash128(b"a"), 0xd228cb696f1a8caf78912b704e4a8964);
    }

    #[test]
    fn logged_ids_that_fit_are_kept_others_hashed_with_the_original() {
        let f = fixture();
        let x = f.export();
        let (a, b) = (&x.ids[0], &x.ids[1]);
        // req-1 is hashed; the logged hex trace id is used as it is.
        assert_eq!(a.trace, format!("{:032x}", hash128(b"req-1")));
        assert_eq!(a.original, Some(x.traces[0].id));
        assert_eq!(b.trace, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(b.original, None);
        // auth logged a 16-hex span id; the others get hashes.
        assert_eq!(a.spans[1], "00f067aa0ba902b7");
        for id in a.spans.iter().chain(&b.spans) {
            assert_eq!(id.len(), 16);
            assert!(id.bytes().all(|c| c.is_ascii_hexdigit()));
        }
        let distinct: BTreeSet<&String> = a.spans.iter().collect();
        assert_eq!(distinct.len(), 3);
        assert_eq!(a.span_originals, vec![None, None, None]);
    }

    #[test]
    fn short_ids_are_padded_and_odd_ones_hashed() {
        assert_eq!(
            fit_trace_id("A3CE929D0E0E4736").as_deref(),
            Some("0000000000000000a3ce929d0e0e4736")
        );
        assert_eq!(fit_trace_id("0000000000000000"), None);
        assert_eq!(fit_trace_id("4bf92f35-77b3-4da6-a3ce-929d0e0e4736"), None);
        assert_eq!(fit_hex("xyz0aa0ba902b7ff", 16), None);
    }

    #[test]
    fn a_parent_that_logged_no_span_id_takes_the_one_its_children_name() {
        let mut f = fixture();
        let pid = SpanId::new("a2fb4a1d1a96d312", &mut f.symbols);
        let db = f.events[0].service;
        let mut child = Event {
            time_ns: T0 + 12 * MS,
            service: db,
            ..Default::default()
        };
        child.set_parent_span_id(pid);
        f.events.push(child);
        f.traces.traces[0].spans[2].events = vec![0, 2].into();
        let x = f.export();
        assert_eq!(x.ids[0].spans[0], "a2fb4a1d1a96d312");
        // Two children naming different parents: nobody is believed.
        let other = SpanId::new("b2fb4a1d1a96d312", &mut f.symbols);
        let mut second = f.events[2];
        second.set_parent_span_id(other);
        f.events.push(second);
        f.traces.traces[0].spans[1].events = vec![3].into();
        let x = f.export();
        assert_ne!(x.ids[0].spans[0], "a2fb4a1d1a96d312");
        assert_ne!(x.ids[0].spans[0], "b2fb4a1d1a96d312");
    }

    #[test]
    fn a_span_id_logged_twice_is_used_once_and_kept_on_the_other() {
        let mut f = fixture();
        let sid = SpanId::new("00f067aa0ba902b7", &mut f.symbols);
        f.traces.traces[0].spans[2].span_id = sid;
        let x = f.export();
        let ids = &x.ids[0];
        assert_eq!(ids.spans[1], "00f067aa0ba902b7");
        assert_ne!(ids.spans[2], "00f067aa0ba902b7");
        assert_eq!(ids.span_originals[2], Some(sid));
    }

    #[test]
    fn a_trace_id_reused_by_two_traces_gives_two_ids() {
        let mut f = fixture();
        let mut again = f.traces.traces[1].clone();
        again.start_ns += 3_600 * 1_000 * MS;
        f.traces.traces.push(again);
        let input = crate::export::Input {
            traces: &f.traces,
            events: &f.events,
            symbols: &f.symbols,
        };
        let x = crate::export::Export::new(input, &[1, 2]);
        assert_eq!(x.ids[0].trace, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_ne!(x.ids[1].trace, x.ids[0].trace);
        assert!(x.ids[1].original.is_some());
    }
}
