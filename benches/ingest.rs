//! Parse throughput per format, on generated input.
//!
//! For each of access, JSON, logfmt, text (logback with stack traces) and
//! Docker json-file (the JSON lines again, each escaped into an envelope):
//! `LOGTRACE_BENCH_MB` megabytes (default 100) of generated lines, parsed
//! (a) one line after another through `LineFormat::parse_line`, on one thread,
//! and (b) through the chunk pipeline: ~4 MiB newline-aligned chunks, each
//! run through `ChunkSink` by the format's `parse_chunk` on rayon's pool, the
//! sinks merged in file order. Criterion prints MB/s; the line count of each
//! input is printed once so lines/s follows.
//!
//! `cargo bench --bench ingest` (about a minute per format on 2 cores);
//! `LOGTRACE_BENCH_MB=5 cargo bench --bench ingest` for a quick run.

use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rayon::prelude::*;

use logtrace::generate;
use logtrace::ingest::chunk::{ChunkSink, FileInfo};
use logtrace::ingest::event::Record;
use logtrace::ingest::formats::access::AccessFormat;
use logtrace::ingest::formats::container::ContainerFormat;
use logtrace::ingest::formats::json::JsonFormat;
use logtrace::ingest::formats::logfmt::LogfmtFormat;
use logtrace::ingest::formats::text::TextFormat;
use logtrace::ingest::formats::{LineFormat, Parsed};
use logtrace::ingest::read::CHUNK_SIZE;

fn bench_mb() -> usize {
    std::env::var("LOGTRACE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

/// Byte ranges of newline-aligned chunks of about `size` bytes.
fn chunks(data: &[u8], size: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < data.len() {
        let mut end = (start + size).min(data.len());
        if end < data.len() {
            end = memchr::memchr(b'\n', &data[end..]).map_or(data.len(), |i| end + i + 1);
        }
        out.push(start..end);
        start = end;
    }
    out
}

/// Parses every line of `text` on this thread; returns the entries found.
fn line_loop(format: &dyn LineFormat, text: &str) -> u64 {
    let bytes = text.as_bytes();
    let mut rec = Record::default();
    let mut entries = 0;
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', bytes) {
        // `\n` is ASCII, so both ends are char boundaries.
        let line = &text[start..nl];
        start = nl + 1;
        rec.clear();
        entries += u64::from(format.parse_line(line, &mut rec) == Parsed::Entry);
    }
    entries
}

/// Parses `data` chunk by chunk in parallel, merging the sinks in order.
fn chunk_pipeline(
    format: &dyn LineFormat,
    data: &[u8],
    ranges: &[std::ops::Range<usize>],
) -> ChunkSink {
    let info = FileInfo {
        file: 0,
        default_service: "bench".into(),
        keep_events: false,
        ..Default::default()
    };
    let sinks: Vec<ChunkSink> = ranges
        .par_iter()
        .map(|r| {
            let mut sink = ChunkSink::new(info.clone());
            format.parse_chunk(&data[r.clone()], &mut sink);
            sink
        })
        .collect();
    let mut total = ChunkSink::new(info);
    for s in sinks {
        total.merge(s);
    }
    total.finish();
    total
}

type Make = fn(usize, u64) -> Vec<u8>;

/// About `bytes` of Docker json-file lines whose messages are generated JSON
/// lines: the envelope scan and the unescaping come on top of the JSON parser.
fn docker_lines(bytes: usize, seed: u64) -> Vec<u8> {
    // Escaping and the envelope add about a third to each message.
    let inner = generate::json_lines(bytes * 3 / 4, seed);
    let mut out = Vec::with_capacity(bytes + bytes / 8);
    for (n, line) in inner
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let msg = format!("{}\n", String::from_utf8_lossy(line));
        let (s, ms) = (n / 1000, n % 1000);
        let envelope = serde_json::json!({
            "log": msg,
            "stream": "stdout",
            "time": format!("2024-03-01T12:{:02}:{:02}.{ms:03}123456Z", s / 60 % 60, s % 60),
        });
        out.extend_from_slice(envelope.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

/// A parser with its default settings (generic so it keeps compiling when a
/// format grows settings).
fn boxed<F: LineFormat + Default + 'static>() -> Box<dyn LineFormat> {
    Box::new(F::default())
}

fn ingest(c: &mut Criterion) {
    let bytes = bench_mb() * 1_000_000;
    let docker = Box::new(ContainerFormat::docker(Default::default()));
    let formats: [(&str, Box<dyn LineFormat>, Make); 5] = [
        ("access", boxed::<AccessFormat>(), generate::access_lines),
        ("json", boxed::<JsonFormat>(), generate::json_lines),
        ("logfmt", boxed::<LogfmtFormat>(), generate::logfmt_lines),
        ("text", boxed::<TextFormat>(), generate::text_lines),
        ("docker", docker, docker_lines),
    ];
    for (name, format, make) in formats {
        let data = make(bytes, 7);
        let text = std::str::from_utf8(&data).expect("generated input is UTF-8");
        let lines = memchr::memchr_iter(b'\n', &data).count();
        let ranges = chunks(&data, CHUNK_SIZE);
        let entries = chunk_pipeline(format.as_ref(), &data, &ranges)
            .counts
            .entries;
        eprintln!(
            "{name}: {:.1} MB, {lines} lines ({:.0} bytes/line), {} chunks, {entries} entries parsed",
            data.len() as f64 / 1e6,
            data.len() as f64 / lines as f64,
            ranges.len()
        );
        let mut group = c.benchmark_group(name);
        group
            .throughput(Throughput::Bytes(data.len() as u64))
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
        group.bench_function("parse_line", |b| {
            b.iter(|| black_box(line_loop(format.as_ref(), text)))
        });
        group.bench_function("chunks_parallel", |b| {
            b.iter(|| {
                black_box(
                    chunk_pipeline(format.as_ref(), &data, &ranges)
                        .counts
                        .entries,
                )
            })
        });
        group.finish();
    }
}

criterion_group!(benches, ingest);
criterion_main!(benches);
