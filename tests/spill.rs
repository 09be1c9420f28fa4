//! Events spilled into parts by correlation key and loaded back: every event
//! once, in input order, each set of linked ids in one part, names with the
//! run's numbers and ids numbered in the run's order.

mod common;

use std::collections::{BTreeMap, BTreeSet};

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

/// Every event of the run as text, sorted.
fn sorted_texts(run: &Ingested) -> Vec<String> {
    let mut texts: Vec<String> = (run.events.iter())
        .map(|e| common::event_text(e, &run.symbols))
        .collect();
    texts.sort();
    texts
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
        for (seq, (t, evs)) in chunks.iter().enumerate().rev() {
            writer.chunk(seq as u64, t, evs);
        }
        let (spilled, names) = writer.finish().unwrap();
        // Request ids and trace ids fall in different parts: linked ones move.
        assert_eq!(spilled.moved() > 0, parts > 1, "{} moved", spilled.moved());
        let shared = names.symbols.clone();

        // Every event exactly once, each part in input order.
        let mut seen: Vec<String> = Vec::new();
        let mut part_of: BTreeMap<(u32, u32), u32> = BTreeMap::new();
        for p in 0..spilled.parts() {
            let (events, symbols) = spilled.load(p, &names).unwrap();
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
                seen.push(common::event_text(e, &symbols));
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
        let (loose, symbols) = spilled.loose(&names).unwrap();
        seen.extend(loose.iter().map(|e| common::event_text(e, &symbols)));
        assert!(loose
            .iter()
            .all(|e| e.request_id.is_none() && e.trace_id.is_none()));
        let want = sorted_texts(&run);
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

/// Reading with `spill` gives, part by part, the events a run in memory
/// reads: as many, the same, in input order, at any chunk size (a file's
/// pieces are spilled as soon as no later chunk can join their last entry,
/// so continuation lines cut off by a chunk must still reach it).
#[test]
fn ingest_spills_the_events_it_would_keep() {
    let run = incident();
    let want = sorted_texts(&run);
    for (parts, chunk_size) in [(1, 0), (5, 4096), (8, 65_536)] {
        let dir = tempfile::tempdir().unwrap();
        let spill_dir = dir.path().join("spill");
        std::fs::create_dir(&spill_dir).unwrap();
        let opts = IngestOptions {
            keep_events: true,
            chunk_size,
            spill: Some(logtrace::ingest::SpillTo {
                dir: spill_dir.clone(),
                parts,
            }),
            ..Default::default()
        };
        let got = ingest(&[common::root().join("fixtures/incident")], &opts).unwrap();
        assert!(got.events.is_empty());
        let files: Vec<u64> = got.files.iter().map(|f| f.counts.events).collect();
        let want_files: Vec<u64> = run.files.iter().map(|f| f.counts.events).collect();
        assert_eq!(files, want_files);
        let spill = got.spilled.as_ref().unwrap();
        let mut seen = Vec::new();
        for p in 0..parts {
            let (events, symbols) = spill.events.load(p, &spill.names).unwrap();
            let at: Vec<(u32, u32)> = events
                .iter()
                .map(|e| (e.source.file, e.source.line))
                .collect();
            assert!(at.windows(2).all(|w| w[0] <= w[1]), "part {p} out of order");
            seen.extend(events.iter().map(|e| common::event_text(e, &symbols)));
        }
        let (loose, symbols) = spill.events.loose(&spill.names).unwrap();
        seen.extend(loose.iter().map(|e| common::event_text(e, &symbols)));
        seen.sort();
        assert!(
            seen == want,
            "{parts} parts, chunks of {chunk_size}: events differ"
        );
        // Stack traces cut off by a chunk reached their entry.
        assert!(want.iter().any(|t| t.ends_with(" 5") || t.ends_with(" 4")));
        drop(got);
        assert!(!spill_dir.exists());
    }
}
