//! A report's files -> a report folder on disk. The one place logtrace writes files.
//!
//! Input: a folder and a list of (relative path, bytes). Output: the files
//! written, each through a temporary file and a rename, so a crash never
//! leaves half a `report.json` behind. A folder is only written into when it
//! is missing, empty, or an earlier logtrace report (it holds the
//! [`MARKER`] file, or a `report.json` with a `schema_version`), unless the
//! user forces it. Nothing is ever deleted: files of an earlier report that
//! the new one does not produce stay where they are.

use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path};

use super::charts::Chart;
use crate::analyze::summary::Summary;

/// The file that marks a folder as a logtrace report.
pub const MARKER: &str = ".logtrace-report";

const MARKER_TEXT: &str = "This folder was written by `logtrace report`; \
running it again with the same -o overwrites the files it wrote.\n";

/// What a report folder holds besides the marker: `report.json`, then `charts/*.svg`.
pub fn contents(summary: &Summary, charts: &[Chart]) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![("report.json".to_owned(), report_json(summary).into_bytes())];
    for c in charts {
        files.push((format!("charts/{}", c.file), c.svg.clone().into_bytes()));
    }
    files
}

/// `report.json`: the summary as indented JSON with a final newline.
pub fn report_json(summary: &Summary) -> String {
    // The summary holds only strings, numbers, options and lists, which
    // serde_json always serialises; a non-finite float becomes `null`.
    let mut s = serde_json::to_string_pretty(summary).unwrap_or_else(|e| {
        format!(
            "{{\"schema_version\": {}, \"error\": \"{e}\"}}",
            summary.schema_version
        )
    });
    s.push('\n');
    s
}

/// Why a folder cannot take the report.
#[derive(Debug)]
pub struct WriteError(pub String);

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WriteError {}

/// Checks that the report may be written to `dir`, before any work is done.
pub fn check_target(dir: &Path, force: bool) -> Result<(), WriteError> {
    let shown = dir.display();
    let meta = match fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(WriteError(format!(
                "cannot use {shown} for the report: {e}"
            )))
        }
    };
    if !meta.is_dir() {
        return Err(WriteError(format!(
            "{shown} is a file, not a folder; choose another -o"
        )));
    }
    if force || is_report_folder(dir) {
        return Ok(());
    }
    let mut entries = fs::read_dir(dir)
        .map_err(|e| WriteError(format!("cannot read the folder {shown}: {e}")))?;
    if entries.next().is_none() {
        return Ok(());
    }
    Err(WriteError(format!(
        "{shown} is not empty and is not a logtrace report; choose another -o or pass --force \
         (no file is ever deleted)"
    )))
}

/// True when `dir` holds an earlier logtrace report.
pub fn is_report_folder(dir: &Path) -> bool {
    if dir.join(MARKER).is_file() {
        return true;
    }
    // A report whose marker was lost (copied without dot files): its report.json says so.
    let Ok(text) = fs::read(dir.join("report.json")) else {
        return false;
    };
    serde_json::from_slice::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("schema_version").and_then(|n| n.as_u64()))
        .is_some()
}

/// Writes `files` (relative paths) into `dir`, creating it, after [`check_target`].
pub fn write_report(
    dir: &Path,
    files: &[(String, Vec<u8>)],
    force: bool,
) -> Result<(), WriteError> {
    check_target(dir, force)?;
    let shown = dir.display();
    fs::create_dir_all(dir)
        .map_err(|e| WriteError(format!("cannot create the folder {shown}: {e}")))?;
    write_atomic(&dir.join(MARKER), MARKER_TEXT.as_bytes())
        .map_err(|e| WriteError(format!("cannot write {}: {e}", dir.join(MARKER).display())))?;
    for (rel, bytes) in files {
        let rel_path = Path::new(rel);
        // Only plain relative paths: a report never writes outside its folder.
        if rel_path
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err(WriteError(format!(
                "refusing to write {rel:?} outside {shown}"
            )));
        }
        let path = dir.join(rel_path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| WriteError(format!("cannot create {}: {e}", parent.display())))?;
        }
        write_atomic(&path, bytes)
            .map_err(|e| WriteError(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // Our own temporary file, never a user's.
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Vec<(String, Vec<u8>)> {
        let chart = Chart {
            file: "traffic.svg".into(),
            title: "Traffic".into(),
            svg: "<svg/>".into(),
        };
        contents(
            &Summary {
                schema_version: 1,
                ..Default::default()
            },
            &[chart],
        )
    }

    #[test]
    fn writes_into_a_new_folder_with_a_marker() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        write_report(&dir, &files(), false).unwrap();
        assert!(dir.join(MARKER).is_file());
        let json: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.join("report.json")).unwrap()).unwrap();
        assert_eq!(json["schema_version"], 1);
        assert_eq!(fs::read(dir.join("charts/traffic.svg")).unwrap(), b"<svg/>");
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 3);
        assert_eq!(fs::read_dir(dir.join("charts")).unwrap().count(), 1);
    }

    #[test]
    fn refuses_a_folder_of_user_files_unless_forced() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
        let err = write_report(tmp.path(), &files(), false).unwrap_err();
        assert!(err.0.contains("not a logtrace report"), "{err}");
        assert!(!tmp.path().join("report.json").exists());
        write_report(tmp.path(), &files(), true).unwrap();
        assert_eq!(fs::read(tmp.path().join("notes.txt")).unwrap(), b"mine");
        assert!(is_report_folder(tmp.path()));
    }

    #[test]
    fn an_earlier_report_is_overwritten_and_other_files_kept() {
        let tmp = tempfile::tempdir().unwrap();
        write_report(tmp.path(), &files(), false).unwrap();
        fs::write(tmp.path().join("old-chart.svg"), "<svg/>").unwrap();
        write_report(tmp.path(), &files(), false).unwrap();
        assert!(tmp.path().join("old-chart.svg").exists());
        // A report copied without its dot file is still recognised by report.json.
        fs::remove_file(tmp.path().join(MARKER)).unwrap();
        assert!(is_report_folder(tmp.path()));
    }

    #[test]
    fn a_file_in_place_of_the_folder_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("out");
        fs::write(&f, "x").unwrap();
        assert!(check_target(&f, true).unwrap_err().0.contains("is a file"));
    }

    #[test]
    fn paths_outside_the_folder_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let bad = vec![("../escape.json".to_owned(), b"{}".to_vec())];
        assert!(write_report(tmp.path(), &bad, false).is_err());
        assert!(!tmp.path().parent().unwrap().join("escape.json").exists());
    }
}
