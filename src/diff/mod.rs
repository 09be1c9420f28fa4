//! `logtrace diff`: two reports -> what changed, and whether it crosses a threshold.
//!
//! Input: two `report.json` files (or report folders holding one), BASE and
//! NEW, of the same `schema_version`. Output: a [`model::Diff`] (services,
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

use crate::analyze::summary::{Summary, SCHEMA_VERSION};

/// Reads a report: `path` is a `report.json` or a folder that holds one.
/// `role` (`BASE` / `NEW`) names it in errors.
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
    serde_json::from_value(value)
        .map_err(|e| format!("{role}: {shown} does not match report schema {version}: {e}"))
}

/// Refuses to compare reports of different schema versions.
pub fn same_schema(base: &Summary, new: &Summary) -> Result<(), String> {
    if base.schema_version == new.schema_version {
        return Ok(());
    }
    Err(format!(
        "cannot compare reports of different schema versions: BASE has schema_version {}, NEW has {}; \
         run `logtrace report` again on the older logs with the same logtrace version",
        base.schema_version, new.schema_version
    ))
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
        std::fs::write(dir.join("report.json"), "{\"schema_version\": 1}").unwrap();
        assert!(load(dir, "NEW")
            .unwrap_err()
            .contains("does not match report schema 1"));
        let s = Summary {
            schema_version: 1,
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
    fn schemas_must_match() {
        let a = Summary {
            schema_version: 1,
            ..Default::default()
        };
        let b = Summary {
            schema_version: 0,
            ..Default::default()
        };
        assert!(same_schema(&a, &a).is_ok());
        assert!(same_schema(&a, &b)
            .unwrap_err()
            .contains("BASE has schema_version 1, NEW has 0"));
    }
}
