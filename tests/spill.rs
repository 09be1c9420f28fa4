//! Events spilled into parts by correlation key and loaded back: every event
//! once, in input order, each set of linked ids in one part, names with the
//! run's numbers and ids numbered in the run's order.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use logtrace::ingest::event::{Event, Sym, Symbols};
use logtrace::ingest::spill::Writer;
use logtrace::ingest::{ingest, IngestOptions, Ingested};
use logtrace::trace::correlate::correlate;

fn incident() -> Ingested {
    let opts = IngestOptions {
        keep_events: true,
        ..Default::default()
    };
    ingest(&[common::root().join("fixtures/incident")], &opts).unwrap()
}

/// An event as text, whatever its table.
fn text(e: &Event, s: &Symbols) -> String {
    format!(
        "{}:{} {} {} {} {} {} {:?} {:?} {} {} {} {} {} {:?} {}",
        e.source.file,
        e.source.line,
        e.time_ns,
        s.get(e.service),
        s.get(e.operation),
        s.get(e.request_id),
        s.get(e.trace_id),
        e.span_id().text(s),
        e.parent_span_id().text(s),
        s.get(e.message),
        s.get(e.client),
        s.get(e.upstream),
        e.duration_ns,
        e.status,
        e.level,
        e.call,
    )
}

/// The run's events cut into chunks of `per_chunk`, each with its own table
/// numbered in the order the run's table numbers them, as parsing makes them.
fn chunks(run: &Ingested, per_chunk: usize) -> Vec<(Symbols, Vec<Event>)> {
    run.events
        .chunks(per_chunk)
        .map(|evs| {
            let mut used = BTreeSet::new();
            for e in evs {
                let mut e = *e;
                e.map_ids(|s| {
                    used.insert(s.0);
                    s
                });
                e.map_names(|s| {
                    used.insert(s.0);
                    s
                });
            }
            let mut table = Symbols::default();
            let mut map = vec![Sym::NONE; run.symbols.len()];
            for &s in &used {
                map[s as usize] = table.intern(run.symbols.get(Sym(s)));
            }
            let evs = evs
                .iter()
                .map(|e| {
                    let mut e = *e;
                    e.remap(&map);
                    e
                })
                .collect();
            (table, evs)
        })
        .collect()
}

#[test]
fn spilled_parts_hold_every_event_once_with_linked_ids_together() {
    let run = incident();
    assert!(run.events.len() > 4_000, "{}", run.events.len());
    for (parts, per_chunk) in [(1, 100_000), (3, 97), (16, 500)] {
        let dir = tempfile::tempdir().unwrap();
        let spill_dir = dir.path().join("spill");
        std::fs::create_dir(&spill_dir).unwrap();
        let writer = Writer::create(&spill_dir, parts).unwrap();
        let chunks = chunks(&run, per_chunk);
        // Written last chunk first: the order of the writes must not matter.
        let mut names: Vec<(usize, Symbols)> = chunks
            .iter()
            .enumerate()
            .rev()
            .map(|(seq, (t, evs))| (seq, writer.chunk(seq as u32, t, evs).unwrap()))
            .collect();
        names.sort_by_key(|(seq, _)| *seq);
        let spilled = writer.finish().unwrap();
        // Request ids and trace ids fall in different parts: linked ones move.
        assert_eq!(spilled.moved() > 0, parts > 1, "{} moved", spilled.moved());
        let (shared, maps) = Symbols::merge(names.into_iter().map(|(_, t)| t).collect());
        let shared = Arc::new(shared);

        // Every event exactly once, each part in input order.
        let mut seen: Vec<String> = Vec::new();
        let mut part_of: BTreeMap<(u32, u32), u32> = BTreeMap::new();
        for p in 0..spilled.parts() {
            let (events, symbols) = spilled.load(p, &shared, &maps).unwrap();
            assert_eq!(events.len() as u64, spilled.count(p));
            let at: Vec<(u32, u32)> = events
                .iter()
                .map(|e| (e.source.file, e.source.line))
                .collect();
            assert!(at.windows(2).all(|w| w[0] <= w[1]), "part {p} out of order");
            for e in &events {
                assert!(e.request_id.is_some() || e.trace_id.is_some());
                // Names have the run's numbers (in the run's order).
                assert_eq!(symbols.get(e.service), shared.get(e.service));
                part_of.insert((e.source.file, e.source.line), p);
                seen.push(text(e, &symbols));
            }
            // Ids are numbered in the order the run's table numbers them.
            let mut ids: Vec<(Sym, Sym)> = events
                .iter()
                .flat_map(|e| [e.request_id, e.trace_id])
                .filter(|s| s.is_some())
                .map(|s| (s, run.symbols.lookup(symbols.get(s)).unwrap()))
                .collect();
            ids.sort();
            ids.dedup();
            assert!(
                ids.windows(2).all(|w| w[0].1 < w[1].1),
                "part {p}: ids out of the run's order"
            );
        }
        let (loose, symbols) = spilled.loose(&shared, &maps).unwrap();
        seen.extend(loose.iter().map(|e| text(e, &symbols)));
        assert!(loose
            .iter()
            .all(|e| e.request_id.is_none() && e.trace_id.is_none()));
        let mut want: Vec<String> = run.events.iter().map(|e| text(e, &run.symbols)).collect();
        want.sort();
        seen.sort();
        assert!(seen == want, "{parts} parts: events differ");

        // Every correlation group of the run lies in one part.
        let groups = correlate(&run.events, &run.symbols, 600_000_000_000).groups;
        assert!(groups.len() > 100);
        for g in &groups {
            let parts: BTreeSet<u32> = g
                .events
                .iter()
                .map(|&i| {
                    let e = &run.events[i as usize];
                    part_of[&(e.source.file, e.source.line)]
                })
                .collect();
            assert_eq!(parts.len(), 1, "a group split over {parts:?}");
        }
        drop(spilled);
        assert!(!spill_dir.exists(), "the spill folder is removed");
    }
}
