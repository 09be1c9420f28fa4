//! The stages after parsing: trace building and the analysis, on a generated
//! incident folder read once.
//!
//! A folder of `LOGTRACE_BENCH_MB` megabytes (default 50) is generated into a
//! temporary directory with the fixture generator (every format, rotated and
//! compressed files, known ground truth) and ingested once, outside the
//! measurement. Then:
//!
//! - `stages/read`: discover, decompress, detect and parse the folder into
//!   events (the whole ingest stage; MB/s of the files on disk);
//! - `stages/trace`: events -> traces (`trace::build`: correlation, clock
//!   offsets, trees, critical paths; events/s);
//! - `stages/analyze`: traces -> the report's statistics
//!   (`analyze::summarize`; events/s).
//!
//! `cargo bench --bench stages` (a few minutes on 2 cores);
//! `LOGTRACE_BENCH_MB=10 cargo bench --bench stages` for a quick run. Each
//! optimisation in `trace/` and `analyze/` is defended by these numbers:
//! compare `--save-baseline before` with `--baseline before`.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

use logtrace::analyze::{summarize, AnalyzeOptions};
use logtrace::generate::{generate, GenOptions};
use logtrace::ingest::{ingest, IngestOptions};
use logtrace::trace::{build, TraceOptions};

fn bench_mb() -> u64 {
    std::env::var("LOGTRACE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

/// Bytes of every file under `dir`.
fn size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => size(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}

fn stages(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let dir = tmp.path().join("incident");
    generate(&dir, &GenOptions::of_size_mb(bench_mb(), 42)).expect("the generated folder");
    let bytes = size(&dir);
    let paths: Vec<PathBuf> = vec![dir];
    let opts = IngestOptions {
        keep_events: true,
        ..Default::default()
    };
    let input = ingest(&paths, &opts).expect("the generated folder reads");
    let trace_opts = TraceOptions::default();
    let traces = build(&input.events, &input.symbols, &trace_opts);
    let events = input.events.len() as u64;
    eprintln!(
        "stages: {:.1} MB in {} files, {events} events, {} traces",
        bytes as f64 / 1e6,
        input.files.len(),
        traces.traces.len()
    );

    let mut group = c.benchmark_group("stages");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("read", |b| {
        b.iter(|| black_box(ingest(&paths, &opts).map(|i| i.events.len())))
    });
    group.throughput(Throughput::Elements(events));
    group.bench_function("trace", |b| {
        b.iter(|| {
            black_box(
                build(&input.events, &input.symbols, &trace_opts)
                    .traces
                    .len(),
            )
        })
    });
    let analyze_opts = AnalyzeOptions::default();
    group.bench_function("analyze", |b| {
        b.iter(|| black_box(summarize(&input, &traces, &analyze_opts).services.len()))
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
