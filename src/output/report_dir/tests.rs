use super::*;
use std::fs;

fn files(tag: &str) -> Vec<(String, Vec<u8>)> {
    vec![
        (
            "report.json".to_owned(),
            format!("{{\"schema_version\": 1, \"tag\": \"{tag}\"}}\n").into_bytes(),
        ),
        ("summary.md".to_owned(), tag.as_bytes().to_vec()),
        ("charts/traffic.svg".to_owned(), b"<svg/>".to_vec()),
    ]
}

fn write(dir: &Path, tag: &str, force: bool) -> Result<Vec<String>, OutputError> {
    ReportDir::prepare(dir, force, &[])?.write(&files(tag))
}

/// Every entry under `dir`, relative, sorted (dot files included).
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
            if fs::symlink_metadata(&p).unwrap().is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_new_folder_gets_the_report_a_marker_and_a_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a/b");
    write(&dir, "one", false).unwrap();
    assert_eq!(
        tree(&dir),
        [
            LOCK,
            MARKER,
            "charts",
            "charts/traffic.svg",
            "report.json",
            "summary.md"
        ]
    );
    // Nothing beside it: no temporary folder or file.
    assert_eq!(fs::read_dir(tmp.path().join("a")).unwrap().count(), 1);
}

#[test]
fn a_second_report_replaces_the_first_and_keeps_the_users_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rep");
    let mut with_png = files("one");
    with_png.push(("charts/traffic.png".to_owned(), b"png".to_vec()));
    ReportDir::prepare(&dir, false, &[])
        .unwrap()
        .write(&with_png)
        .unwrap();
    fs::write(dir.join("notes.txt"), "mine").unwrap();
    fs::write(dir.join("charts/annotated.txt"), "mine too").unwrap();
    write(&dir, "two", false).unwrap();
    assert_eq!(fs::read(dir.join("summary.md")).unwrap(), b"two");
    // The PNG of the first run is gone: the folder holds one run.
    assert!(!dir.join("charts/traffic.png").exists());
    assert_eq!(fs::read(dir.join("notes.txt")).unwrap(), b"mine");
    assert_eq!(
        fs::read(dir.join("charts/annotated.txt")).unwrap(),
        b"mine too"
    );
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "{:?}",
        tree(tmp.path())
    );
}

#[test]
fn a_folder_of_user_files_needs_force_and_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
    let e = write(tmp.path(), "x", false).unwrap_err().to_string();
    assert!(e.contains("not a logtrace report"), "{e}");
    // Refused before anything was written, the lock file included.
    assert_eq!(tree(tmp.path()), ["notes.txt"]);
    write(tmp.path(), "x", true).unwrap();
    assert_eq!(fs::read(tmp.path().join("notes.txt")).unwrap(), b"mine");
    assert!(is_report(&open_dir_path(tmp.path()).unwrap()));
}

#[test]
fn a_report_without_its_marker_is_known_by_its_report_json() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "one", false).unwrap();
    fs::remove_file(tmp.path().join(MARKER)).unwrap();
    write(tmp.path(), "two", false).unwrap();
    assert!(starts_with_schema_version(b" {\n  \"schema_version\": 1,"));
    assert!(!starts_with_schema_version(
        b"{\"a\": {\"schema_version\": 1}}"
    ));
    assert!(!starts_with_schema_version(b""));
}

#[test]
fn a_fifo_or_a_huge_report_json_does_not_stall_the_check() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("report.json");
    rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, Mode::from_raw_mode(0o600)).unwrap();
    let e = write(tmp.path(), "x", false).unwrap_err().to_string();
    assert!(e.contains("not a logtrace report"), "{e}");
    fs::remove_file(&fifo).unwrap();
    // 64 MiB of JSON whose first key is not the version: only 4 KiB are read.
    let f = fs::File::create(&fifo).unwrap();
    f.set_len(64 << 20).unwrap();
    assert!(write(tmp.path(), "x", false).is_err());
}

#[test]
fn symlinks_in_the_output_are_never_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rep");
    let elsewhere = tmp.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::write(elsewhere.join("traffic.svg"), "precious").unwrap();
    fs::write(tmp.path().join("victim"), "precious").unwrap();
    write(&dir, "one", false).unwrap();
    // Planted: charts/ pointing elsewhere, report.json pointing at a file.
    fs::remove_dir_all(dir.join("charts")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.join("charts")).unwrap();
    fs::remove_file(dir.join("report.json")).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("victim"), dir.join("report.json")).unwrap();
    write(&dir, "two", false).unwrap();
    assert_eq!(
        fs::read(elsewhere.join("traffic.svg")).unwrap(),
        b"precious"
    );
    assert_eq!(fs::read(tmp.path().join("victim")).unwrap(), b"precious");
    assert!(fs::symlink_metadata(dir.join("charts")).unwrap().is_dir());
    assert_eq!(fs::read(dir.join("charts/traffic.svg")).unwrap(), b"<svg/>");
    // The folder itself as a symlink is refused.
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&dir, &link).unwrap();
    let e = write(&link, "three", false).unwrap_err().to_string();
    assert!(e.contains("symbolic link"), "{e}");
}

#[test]
fn a_second_run_into_a_locked_folder_is_refused_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new");
    let first = ReportDir::prepare(&dir, false, &[]).unwrap();
    let e = ReportDir::prepare(&dir, false, &[]).unwrap_err();
    assert!(matches!(e, OutputError::InUse(_)), "{e}");
    assert!(e.to_string().contains("in use"), "{e}");
    assert!(
        e.to_string()
            .contains(&format!("process {}", std::process::id())),
        "{e}"
    );
    first.write(&files("one")).unwrap();
    // Free again once written.
    write(&dir, "two", false).unwrap();
}

#[test]
fn a_run_that_writes_nothing_leaves_no_trace() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new");
    drop(ReportDir::prepare(&dir, false, &[]).unwrap());
    assert!(!dir.exists());
    fs::create_dir(&dir).unwrap();
    drop(ReportDir::prepare(&dir, false, &[]).unwrap());
    assert_eq!(tree(&dir), Vec::<String>::new());
}

#[test]
fn a_failed_write_leaves_the_earlier_report_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rep");
    write(&dir, "one", false).unwrap();
    fs::write(dir.join("notes.txt"), "mine").unwrap();
    let before = tree(&dir);
    // The last file cannot be written: its name is too long for the file system.
    let mut bad = files("two");
    bad.push((format!("charts/{}.svg", "x".repeat(300)), b"x".to_vec()));
    let e = ReportDir::prepare(&dir, false, &[])
        .unwrap()
        .write(&bad)
        .unwrap_err();
    assert!(e.to_string().contains("holds what it held before"), "{e}");
    assert_eq!(tree(&dir), before);
    assert_eq!(fs::read(dir.join("summary.md")).unwrap(), b"one");
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "{:?}",
        tree(tmp.path())
    );
}

#[test]
fn folders_left_by_an_interrupted_run_are_cleaned() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rep");
    write(&dir, "one", false).unwrap();
    // A run killed while writing, and one killed after moving a user file over.
    let staged = tmp.path().join(".rep.logtrace-new-0123456789abcdef");
    fs::create_dir_all(staged.join("charts")).unwrap();
    fs::write(staged.join("report.json"), "{").unwrap();
    fs::write(staged.join("charts/x.svg"), "<svg").unwrap();
    fs::write(staged.join(".report.json.tmp-0123456789abcdef"), "{").unwrap();
    let carried = tmp.path().join(".rep.logtrace-old-fedcba9876543210");
    fs::create_dir(&carried).unwrap();
    fs::write(carried.join("notes.txt"), "mine").unwrap();
    // Not ours: a similar name without the random part.
    fs::create_dir(tmp.path().join(".rep.logtrace-new-mine")).unwrap();
    let notes = write(&dir, "two", false).unwrap();
    let _ = notes;
    assert!(!staged.exists() && !carried.exists());
    assert_eq!(fs::read(dir.join("notes.txt")).unwrap(), b"mine");
    assert!(tmp.path().join(".rep.logtrace-new-mine").exists());
    // A stale folder whose user file cannot go back (the name is taken) is left and reported.
    fs::create_dir(&carried).unwrap();
    fs::write(carried.join("notes.txt"), "older").unwrap();
    let rd = ReportDir::prepare(&dir, false, &[]).unwrap();
    assert!(
        rd.notes()
            .iter()
            .any(|n| n.contains("could not be moved back")),
        "{:?}",
        rd.notes()
    );
    assert_eq!(fs::read(carried.join("notes.txt")).unwrap(), b"older");
}

#[test]
fn an_input_is_never_the_report_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    fs::create_dir_all(logs.join("app")).unwrap();
    for out in [logs.clone(), tmp.path().to_path_buf()] {
        let e = ReportDir::prepare(&out, true, &[logs.join("app")]).unwrap_err();
        assert!(e.to_string().contains("holds the input"), "{e}");
    }
    // Inside an input folder is fine: discovery leaves it out by its identity.
    let rd = ReportDir::prepare(&logs.join("rep"), false, std::slice::from_ref(&logs)).unwrap();
    let meta = fs::metadata(logs.join("rep")).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(rd.id(), (meta.dev(), meta.ino()));
}
