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

/// Reads a report: `path` is a `report.json` or a folder that holds one,
/// brought to the current schema. `role` (`BASE` / `NEW`) names it in errors.
pub fn load(path: &Path, role: &str) -> Result<Summary, String> {
    let file: PathBuf = if path.is_dir() {
        path.join("report.json")
    } else {
        path.to_path_buf()
    };
    let shown = file.display();
    let bytes = std::fs::read(&file).map_err(|e| {
        if path.is_dir() {
            format!(
                "{role}: {} holds no report.json ({e}); give a folder written by `logtrace report -o DIR` or a report.json",
                path.display()
            )
        } else {
            format!("{role}: cannot read {shown}: {e}")
        }
    })?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{role}: {shown} is not JSON ({e}); expected a report.json"))?;
    let version = value
        .get("schema_version")
        .and_then(|v| v.as_u64())
        .ok_or_else(|| {
            format!(
                "{role}: {shown} is not a logtrace report (no schema_version); write one with `logtrace report`"
            )
        })?;
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
    let mut s: Summary = serde_json::from_value(value)
        .map_err(|e| format!("{role}: {shown} does not match report schema {version}: {e}"))?;
    summary::upgrade(&mut s);
    Ok(s)
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
