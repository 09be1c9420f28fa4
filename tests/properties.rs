//! Property tests of the invariants the rest relies on, over generated input:
//!
//! - Every line of every file is counted exactly once: it starts an entry, it
//!   continues one, it is unparsed, a header, or it is blank (entries +
//!   continuation + unparsed + headers + blank = lines, per file), for any bytes, any format the file
//!   is read as, and any chunk size; and the file reads the same in small
//!   chunks as in one.
//! - `report` gives byte-identical files (report.json, charts, summary.md,
//!   index.html) for any thread count and any order the files were written or
//!   named in.
//!
//! Case counts are fixed so the suite takes seconds in a debug build; the
//! fuzz targets (`fuzz/`) search the same ground for much longer.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod fuzz;

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::Config as Cases;

/// An id from a small pool, so requests meet across files and services.
fn id(n: u8) -> String {
    format!(
        "{:032x}",
        u128::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
    )
}

fn stamp(ms: u32) -> String {
    let s = ms / 1000;
    format!(
        "2024-03-01T12:{:02}:{:02}.{:03}Z",
        s / 60 % 60,
        s % 60,
        ms % 1000
    )
}

/// One line as an application, proxy or runtime writes it; `n` varies the
/// fields (service, id, status, duration, time).
fn realistic(kind: u8, n: u32) -> String {
    let svc = ["edge", "api", "db", "auth"][(n % 4) as usize];
    let rid = id((n % 23) as u8);
    let status = [200, 201, 404, 500, 503][(n % 5) as usize];
    let ms = n % 3_600_000;
    let dur = n % 900;
    let t = stamp(ms);
    match kind % 9 {
        0 => format!(
            r#"{{"ts":"{t}","level":"{}","msg":"done","service":"{svc}","request_id":"{rid}","method":"GET","path":"/items/{n}","status":{status},"duration_ms":{dur}}}"#,
            if status >= 500 { "error" } else { "info" }
        ),
        1 => format!(
            "time={t} level=info msg=\"call\" service={svc} trace_id={rid} span_id={:016x} method=POST path=/pay status={status} duration={dur}ms",
            n
        ),
        2 => format!(
            "10.0.0.{} - - [01/Mar/2024:12:{:02}:{:02} +0000] \"GET /api/{n} HTTP/1.1\" {status} 512 \"-\" \"curl/8\" 0.{dur:03} 0.{:03} {rid}",
            n % 250,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            dur / 2
        ),
        3 => format!("{} ERROR [main] c.x.{svc}.Handler - request_id={rid} failed", &t[..19].replace('T', " ")),
        4 => "java.lang.IllegalStateException: boom".into(),
        5 => format!("\tat c.x.Handler.run(Handler.java:{n})"),
        6 => format!(
            r#"{{"log":"{} INFO {svc} request_id={rid} GET /x {status}\n","stream":"stdout","time":"{t}"}}"#,
            &t[11..23]
        ),
        7 => format!("{t} stdout {} part {n} of a line", if n % 3 == 0 { "P" } else { "F" }),
        _ => String::new(),
    }
}

/// A line: realistic, or any bytes (CR, NUL, invalid UTF-8, binary).
fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => (any::<u8>(), any::<u32>()).prop_map(|(k, n)| realistic(k, n).into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..40),
        1 => (any::<u8>(), any::<u32>()).prop_map(|(k, n)| {
            let mut l = realistic(k, n).into_bytes();
            l.push(b'\r');
            l
        }),
    ]
}

/// A file's bytes: lines joined with `\n`, ending in one or not.
fn file() -> impl Strategy<Value = Vec<u8>> {
    (proptest::collection::vec(line(), 0..24), any::<bool>()).prop_map(|(lines, end)| {
        let mut out = lines.join(&b'\n');
        if end && !out.is_empty() {
            out.push(b'\n');
        }
        out
    })
}

proptest! {
    #![proptest_config(Cases { cases: 48, failure_persistence: None, ..Cases::default() })]

    /// Per file, for any bytes, format and chunk size: every line counted once,
    /// and the same counts, examples and events as when read in one chunk.
    #[test]
    fn every_line_is_counted_once_in_any_chunking(
        files in proptest::collection::vec(file(), 1..4),
        pick in 0..fuzz::FORCED.len(),
        chunk in 1usize..96,
    ) {
        let dir = fuzz::scratch_dir();
        for (i, bytes) in files.iter().enumerate() {
            std::fs::write(dir.join(format!("f{i}.log")), bytes).unwrap();
        }
        let opts = fuzz::ingest_options(fuzz::FORCED[pick]);
        let whole = fuzz::read_file(&dir, &opts, 1 << 16);
        let cut = fuzz::read_file(&dir, &opts, chunk);
        let got = logtrace::ingest::ingest(std::slice::from_ref(&dir), &opts).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        prop_assert_eq!(&whole, &cut);
        prop_assert_eq!(got.files.len(), files.len());
        for report in &got.files {
            let i: usize = report.path.trim_start_matches('f').trim_end_matches(".log").parse().unwrap();
            let plain = report.skipped.is_none()
                && report.compression == logtrace::ingest::read::Compression::None;
            let lines = if plain { fuzz::line_count(&files[i]) } else { report.counts.lines };
            fuzz::assert_counted_once(&report.counts, lines);
        }
        let events: u64 = got.files.iter().map(|f| f.counts.events).sum();
        prop_assert_eq!(events, got.events.len() as u64);
    }
}

/// A generated incident folder: a few files of realistic lines sharing ids.
fn folder() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let one = (any::<u8>(), proptest::collection::vec(any::<u32>(), 1..40));
    proptest::collection::vec(one, 1..5).prop_map(|files| {
        files
            .into_iter()
            .enumerate()
            .map(|(i, (kind, ns))| {
                // Mostly one format per file, as real files are; text with
                // its stack traces is kinds 3-5.
                let lines: Vec<String> = ns
                    .iter()
                    .map(|&n| {
                        let k = if kind % 9 == 3 {
                            3 + (n % 3) as u8
                        } else {
                            kind
                        };
                        realistic(k, n)
                    })
                    .collect();
                let dir = ["edge", "api", "db"][i % 3];
                (
                    format!("{dir}/{i}.log"),
                    (lines.join("\n") + "\n").into_bytes(),
                )
            })
            .collect()
    })
}

fn write_folder(root: &Path, files: &[(String, Vec<u8>)], order: &[usize]) {
    for &i in order {
        let (name, bytes) = &files[i];
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

/// Every file `report` would write, in a pool of `threads` threads.
fn report_files(paths: &[PathBuf], threads: usize) -> Vec<(String, Vec<u8>)> {
    let opts = logtrace::ReportOptions {
        ingest: logtrace::IngestOptions {
            year: Some(2024),
            ..Default::default()
        },
        command: "logtrace report in".into(),
        ..Default::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    match pool.install(|| logtrace::report(paths, &opts)) {
        Ok(out) => out.files,
        Err(e) => vec![("error".into(), e.to_string().into_bytes())],
    }
}

fn assert_same(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)], what: &str) {
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(a), names(b), "{what}: the same files");
    for ((name, x), (_, y)) in a.iter().zip(b) {
        assert!(
            x == y,
            "{what}: {name} differs:\n{}\n---\n{}",
            String::from_utf8_lossy(x),
            String::from_utf8_lossy(y)
        );
    }
}

proptest! {
    #![proptest_config(Cases { cases: 12, failure_persistence: None, ..Cases::default() })]

    /// One thread or three, files written in any order, a folder or its files
    /// named one by one in any order: the same bytes in every file.
    #[test]
    fn report_is_identical_for_any_threads_and_file_order(
        files in folder(),
        seed in any::<u64>(),
    ) {
        let n = files.len();
        let mut shuffled: Vec<usize> = (0..n).collect();
        // A permutation from the seed (Fisher-Yates with a small LCG).
        let mut s = seed;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let (a, b) = (fuzz::scratch_dir(), fuzz::scratch_dir());
        write_folder(&a, &files, &(0..n).collect::<Vec<_>>());
        write_folder(&b, &files, &shuffled.iter().rev().copied().collect::<Vec<_>>());
        let one = report_files(std::slice::from_ref(&a), 1);
        let three = report_files(std::slice::from_ref(&b), 3);
        // A folder of stack-trace lines or blanks alone has no entry: then
        // the error must be the same too.
        if !one.iter().any(|(f, _)| f == "report.json") {
            std::fs::remove_dir_all(&a).unwrap();
            std::fs::remove_dir_all(&b).unwrap();
            prop_assert_eq!(&one, &three);
            return Ok(());
        }
        assert_same(&one, &three, "folder, 1 vs 3 threads, files written in another order");
        let named: Vec<PathBuf> = files.iter().map(|(f, _)| a.join(f)).collect();
        let reordered: Vec<PathBuf> = shuffled.iter().map(|&i| named[i].clone()).collect();
        assert_same(
            &report_files(&named, 2),
            &report_files(&reordered, 1),
            "files named in another order",
        );
        std::fs::remove_dir_all(&a).unwrap();
        std::fs::remove_dir_all(&b).unwrap();
    }
}
