//! The same input gives the same result whatever the thread count and however
//! files are cut into chunks.

mod common;

use std::path::PathBuf;

use logtrace::ingest::{ingest, IngestOptions, Ingested};

fn run(paths: &[PathBuf], threads: usize, chunk_size: usize) -> (String, Vec<String>) {
    let opts = IngestOptions {
        keep_events: true,
        chunk_size,
        year: Some(2024),
        ..Default::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let got: Ingested = pool.install(|| ingest(paths, &opts)).unwrap();
    let files = logtrace::render::inspect::json(&got);
    let s = &got.symbols;
    let events = got
        .events
        .iter()
        .map(|e| common::event_text(e, s))
        .collect();
    (files, events)
}

fn inputs() -> Vec<PathBuf> {
    let mut v = vec![common::root().join("fixtures")];
    if let Some(r) = common::realdata() {
        v.push(r);
    }
    v.retain(|p| p.exists());
    v
}

#[test]
fn one_thread_and_many_agree() {
    let paths = inputs();
    if paths.is_empty() {
        return;
    }
    let one = run(&paths, 1, 0);
    let many = run(&paths, 4, 0);
    same_lines(&one.0, &many.0);
    assert_eq!(one.1, many.1);
}

#[test]
fn tiny_chunks_give_the_same_events_as_whole_files() {
    let paths = inputs();
    if paths.is_empty() {
        return;
    }
    let whole = run(&paths, 2, 0);
    let tiny = run(&paths, 2, 4096);
    assert_eq!(whole.1.len(), tiny.1.len());
    for (a, b) in whole.1.iter().zip(&tiny.1) {
        assert_eq!(a, b);
    }
    same_lines(&whole.0, &tiny.0);
}

/// Compares line by line so a failure shows the first difference, not two whole documents.
fn same_lines(a: &str, b: &str) {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        assert_eq!(x, y, "first difference at line {}", i + 1);
    }
    assert_eq!(a.lines().count(), b.lines().count());
}
