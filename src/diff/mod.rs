//! `logtrace diff`: two reports -> what changed, and whether it crosses a threshold.
//!
//! Input: two `report.json` files (or report folders holding one), BASE and
//! NEW, each of a `schema_version` this logtrace reads: an older one is
//! upgraded on reading ([`summary::upgrade`]), so yesterday's report still
//! compares with today's after an upgrade of logtrace. Output: a [`model::Diff`] (services,
//! operations and chains matched by name with their change in count, error
//! rate, p50 and p99; new and vanished rows; error templates; error origins
//! whose share moved) and the verdict of each `--fail-if` threshold.
//!
//! Stages: [`load`] reads and checks a report, [`compare::compare`] matches the
//! rows, [`check::check`] applies the thresholds parsed by
//! [`threshold::parse`], [`render`] turns the result into a terminal table,
//! Markdown or JSON.

pub mod check;
pub mod compare;
pub mod model;
pub mod render;
pub mod threshold;

use std::path::{Path, PathBuf};

use crate::analyze::summary::{self, Summary, OLDEST_READABLE, SCHEMA_VERSION};

/// The largest report.json [`load`] reads. A report logtrace writes is far
/// smaller (its rows are capped); reading a bigger file whole could exhaust
/// the memory, so it is refused instead.
pub const MAX_REPORT_BYTES: u64 = 256 << 20;

/// Reads a report: `path` is a `report.json` or a folder that holds one,
/// brought to the current schema. `role` (`BASE` / `NEW`) names it in errors.
/// At most [`MAX_REPORT_BYTES`] are read; in a folder only a regular file
/// is, so a FIFO planted there cannot stall the run.
pub fn load(path: &Path, role: &str) -> Result<Summary, String> {
    let in_folder = path.is_dir();
    let file: PathBuf = if in_folder {
        path.join("report.json")
    } else {
        path.to_path_buf()
    };
    let shown = file.display();
    let bytes = read_limited(&file, in_folder).map_err(|e| match e {
        Limited::TooBig(n) => format!(
            "{role}: {shown} is {} or more, larger than any report logtrace writes \
             (at most {} MiB are read); is it a report.json?",
            size(n),
            MAX_REPORT_BYTES >> 20
        ),
        Limited::NotAFile => format!(
            "{role}: {shown} is not a regular file; give a folder written by `logtrace report -o DIR` or a report.json"
        ),
        Limited::Io(e) if in_folder => format!(
            "{role}: {} holds no report.json ({e}); give a folder written by `logtrace report -o DIR` or a report.json",
            path.display()
        ),
        Limited::Io(e) => format!("{role}: cannot read {shown}: {e}"),
    })?;
    // The version first, from the bytes (no JSON tree of the whole file).
    #[derive(serde::Deserialize)]
    struct Head {
        schema_version: Option<serde_json::Value>,
    }
    let no_version = || {
        format!(
            "{role}: {shown} is not a logtrace report (no schema_version); write one with `logtrace report`"
        )
    };
    let not_json =
        |e: serde_json::Error| format!("{role}: {shown} is not JSON ({e}); expected a report.json");
    if !bytes.trim_ascii_start().starts_with(b"{") {
        // Serde would read a list as the struct's fields in order.
        serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).map_err(not_json)?;
        return Err(no_version());
    }
    let head: Head = serde_json::from_slice(&bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => no_version(),
        _ => not_json(e),
    })?;
    let version = head
        .schema_version
        .and_then(|v| v.as_u64())
        .ok_or_else(no_version)?;
    if version > u64::from(SCHEMA_VERSION) {
        return Err(format!(
            "{role}: {shown} has schema_version {version}, newer than this logtrace reads ({SCHEMA_VERSION}); \
             use the logtrace that wrote it"
        ));
    }
    if version < u64::from(OLDEST_READABLE) {
        return Err(format!(
            "{role}: {shown} has schema_version {version}, which no logtrace release wrote \
             (this one reads {OLDEST_READABLE} to {SCHEMA_VERSION}); write it again with `logtrace report`"
        ));
    }
    let mut s: Summary = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{role}: {shown} does not match report schema {version}: {e}"))?;
    summary::upgrade(&mut s);
    Ok(s)
}

enum Limited {
    TooBig(u64),
    NotAFile,
    Io(std::io::Error),
}

/// The bytes of `file`, at most [`MAX_REPORT_BYTES`]. A pipe named on the
/// command line (`<(...)`) is read; with `regular_only`, nothing but a
/// regular file is opened.
fn read_limited(file: &Path, regular_only: bool) -> Result<Vec<u8>, Limited> {
    use std::io::Read;
    let meta = std::fs::metadata(file).map_err(Limited::Io)?;
    if meta.is_dir() || (regular_only && !meta.is_file()) {
        return Err(Limited::NotAFile);
    }
    if meta.len() > MAX_REPORT_BYTES {
        return Err(Limited::TooBig(meta.len()));
    }
    let f = std::fs::File::open(file).map_err(Limited::Io)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.take(MAX_REPORT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(Limited::Io)?;
    if bytes.len() as u64 > MAX_REPORT_BYTES {
        return Err(Limited::TooBig(bytes.len() as u64));
    }
    Ok(bytes)
}

fn size(n: u64) -> String {
    if n >= 1 << 30 {
        format!("{:.1} GiB", n as f64 / f64::from(1u32 << 30))
    } else {
        format!("{} MiB", n >> 20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_says_what_is_wrong() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let e = load(dir, "BASE").unwrap_err();
        assert!(
            e.starts_with("BASE: ") && e.contains("holds no report.json"),
            "{e}"
        );
        std::fs::write(dir.join("report.json"), "{").unwrap();
        assert!(load(dir, "NEW").unwrap_err().contains("is not JSON"));
        std::fs::write(dir.join("report.json"), "{\"a\": 1}").unwrap();
        assert!(load(dir, "NEW").unwrap_err().contains("no schema_version"));
        std::fs::write(dir.join("report.json"), "{\"schema_version\": 99}").unwrap();
        assert!(load(dir, "NEW")
            .unwrap_err()
            .contains("newer than this logtrace"));
        std::fs::write(dir.join("report.json"), "{\"schema_version\": 0}").unwrap();
        assert!(load(dir, "NEW")
            .unwrap_err()
            .contains("which no logtrace release wrote"));
        std::fs::write(dir.join("report.json"), "{\"schema_version\": 1}").unwrap();
        assert!(load(dir, "NEW")
            .unwrap_err()
            .contains("does not match report schema 1"));
        let s = Summary {
            schema_version: SCHEMA_VERSION,
            ..Default::default()
        };
        std::fs::write(
            dir.join("report.json"),
            crate::render::files::report_json(&s),
        )
        .unwrap();
        assert_eq!(load(&dir.join("report.json"), "NEW").unwrap(), s);
    }

    #[test]
    fn a_report_too_big_or_not_a_file_is_refused_without_reading_it() {
        let tmp = tempfile::tempdir().unwrap();
        // A sparse file: its size is known without reading a byte.
        let huge = tmp.path().join("huge.json");
        std::fs::File::create(&huge)
            .unwrap()
            .set_len(MAX_REPORT_BYTES + 1)
            .unwrap();
        let e = load(&huge, "BASE").unwrap_err();
        assert!(
            e.contains("larger than any report") && e.contains("256 MiB"),
            "{e}"
        );

        // A FIFO where a folder's report.json should be: refused, not waited on.
        let dir = tmp.path().join("rep");
        std::fs::create_dir(&dir).unwrap();
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            dir.join("report.json"),
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        let e = load(&dir, "NEW").unwrap_err();
        assert!(e.contains("not a regular file"), "{e}");

        // JSON that is not an object has no schema_version.
        std::fs::write(tmp.path().join("list.json"), "[1, 2]").unwrap();
        let e = load(&tmp.path().join("list.json"), "NEW").unwrap_err();
        assert!(e.contains("no schema_version"), "{e}");
    }

    #[test]
    fn a_schema_1_report_is_read_with_its_zeros_for_missing_as_missing() {
        // As logtrace wrote schema 1: an untimed access log's service and
        // operation with latencies of 0, and a service that only logged.
        let zeros = r#"{"count": 0, "p50": 0.0, "p90": 0.0, "p95": 0.0, "p99": 0.0,
            "p999": 0.0, "max": 0.0, "mean": 0.0}"#;
        let timed = r#"{"count": 3, "p50": 0.0, "p90": 0.0, "p95": 0.0, "p99": 0.0,
            "p999": 0.0, "max": 0.0, "mean": 0.0}"#;
        let json = format!(
            r#"{{"schema_version": 1,
            "input": {{"lines": 0, "events": 0, "unparsed": 0, "files": []}},
            "window": {{"start": null, "end": null}},
            "services": [
              {{"name": "cron", "events": 4, "spans": 0, "errors": 0, "client_errors": 0,
                "error_rate": 0.0, "latency_ms": {zeros}}},
              {{"name": "web", "events": 9, "spans": 9, "errors": 1, "client_errors": 0,
                "error_rate": 0.1111, "latency_ms": {zeros}}},
              {{"name": "cache", "events": 3, "spans": 3, "errors": 0, "client_errors": 0,
                "error_rate": 0.0, "latency_ms": {timed}}}],
            "operations": [{{"service": "web", "name": "GET /", "count": 9, "errors": 1,
                "client_errors": 0, "error_rate": 0.1111, "latency_ms": {zeros}}}],
            "traces": {{"count": 0, "with_errors": 0, "multi_service": 0, "slowest": [], "failed": []}},
            "error_origins": [], "chains": [], "dependencies": [],
            "timeline": {{"bucket_seconds": 60, "buckets": []}},
            "incidents": [], "error_templates": [],
            "data_quality": {{"events_without_id": 0, "single_event_ids": 0,
                "single_service_traces": 0, "clock_offsets": []}}}}"#
        );
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("report.json");
        std::fs::write(&file, json).unwrap();
        let s = load(&file, "BASE").unwrap();
        assert_eq!(s.schema_version, SCHEMA_VERSION);
        let svc: Vec<(&str, Option<f64>, Option<u64>)> = s
            .services
            .iter()
            .map(|v| {
                (
                    v.name.as_str(),
                    v.error_rate,
                    v.latency_ms.as_ref().map(|l| l.count),
                )
            })
            .collect();
        assert_eq!(
            svc,
            vec![
                ("cron", None, None),
                ("web", Some(0.1111), None),
                // Logged durations of 0 ms are durations.
                ("cache", Some(0.0), Some(3)),
            ]
        );
        assert_eq!(s.operations[0].latency_ms, None);
    }
}
