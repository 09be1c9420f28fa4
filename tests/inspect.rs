//! `logtrace inspect` end to end: the real binary on small folders.

use std::fs;

use assert_cmd::Command;
use predicates::prelude::*;

fn logtrace() -> Command {
    Command::cargo_bin("logtrace").unwrap()
}

/// The report of the file at `path` in an `inspect --json` document.
fn file<'a>(doc: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("no file {path} in {doc}"))
}

/// Runs `inspect --json FLAGS... ARGS...`, expects success, and returns the parsed report.
fn inspect_json(args: &[&std::ffi::OsStr], flags: &[&str]) -> serde_json::Value {
    let out = logtrace()
        .args(["inspect", "--json"])
        .args(flags)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn missing_path_is_a_usage_error_that_names_the_path() {
    logtrace()
        .args(["inspect", "/definitely/not/here"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/definitely/not/here"));
}

#[test]
fn a_folder_of_unknown_text_exits_1_and_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("notes.txt"), "hello\nworld\n").unwrap();
    logtrace()
        .arg("inspect")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("notes.txt"))
        .stderr(predicate::str::contains("[[format]]"));
}

#[test]
fn an_empty_folder_says_there_are_no_files() {
    let dir = tempfile::tempdir().unwrap();
    logtrace()
        .arg("inspect")
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no log files"));
}

#[test]
fn binary_files_are_skipped_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let junk: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 13) as u8).collect();
    fs::write(dir.path().join("core.dump"), junk).unwrap();
    logtrace()
        .args(["inspect", "--json"])
        .arg(dir.path())
        .assert()
        .stdout(predicate::str::contains("binary file"));
}

#[test]
fn bad_time_zone_is_explained() {
    logtrace()
        .args(["inspect", "--tz", "Mars/Olympus", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown time zone"));
}

#[test]
fn config_formats_are_detected_and_id_patterns_apply_to_every_line() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).unwrap();
    fs::write(
        logs.join("dn.log"),
        "081109 203518 143 INFO dfs.DataNode$DataXceiver: Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106\n\
         081109 203518 35 INFO dfs.FSNamesystem: BLOCK* NameSystem.allocateBlock: blk_7503483334202473044\n",
    )
    .unwrap();
    let config = dir.path().join("logtrace.toml");
    fs::write(
        &config,
        r#"
[[format]]
name = "hdfs"
regex = '^(?P<time>\d{6} \d{6}) \d+ (?P<level>[A-Z]+) (?P<logger>[^:]+): (?P<message>.*)$'
time_format = "%y%m%d %H%M%S"

[[id_pattern]]
name = "block"
kind = "request"
regex = 'blk_-?\d+'
"#,
    )
    .unwrap();
    let doc = inspect_json(&[config.as_os_str(), logs.as_os_str()], &["--config"]);
    let f = &doc["files"][0];
    assert_eq!(f["format"], "custom:hdfs");
    assert_eq!(f["events"], 2);
    assert_eq!(f["id_fields"][0][0], "block");
    assert_eq!(f["id_fields"][0][1], 2);
    assert_eq!(f["first"], "2008-11-09T20:35:18.000Z");
}

#[test]
fn a_bad_config_names_the_section_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    fs::write(&config, "[[format]]\nname = \"x\"\nregex = '(unclosed'\n").unwrap();
    logtrace()
        .args(["inspect", "--config"])
        .arg(&config)
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("[[format]] \"x\""));
}

#[test]
fn an_nginx_log_format_from_the_config_reads_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    fs::create_dir_all(logs.join("edge")).unwrap();
    // $request_length alone after the status would be misread by shape; the format string says what it is.
    fs::write(
        logs.join("edge/access.log"),
        "10.1.2.3 [2024-03-01T12:00:00+00:00] \"GET /api/items/42?x=1 HTTP/1.1\" 503 1234 0.250 5f0c6a7e-1b2c-4d3e-8f90-123456789abc\n",
    )
    .unwrap();
    let config = dir.path().join("logtrace.toml");
    fs::write(
        &config,
        r#"
[[access_format]]
name = "edge"
files = ["edge/*.log"]
nginx = '$remote_addr [$time_iso8601] "$request" $status $request_length $request_time $request_id'
"#,
    )
    .unwrap();
    let doc = inspect_json(&[config.as_os_str(), logs.as_os_str()], &["--config"]);
    let f = &doc["files"][0];
    assert_eq!(f["format"], "access:edge");
    assert_eq!(
        (f["events"].as_u64(), f["errors"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(f["id_fields"][0][0], "request_id");
}

#[test]
fn syslog_without_a_year_takes_the_year_the_other_logs_end_in() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("app.json"),
        "{\"ts\":\"2019-12-30T10:00:00Z\",\"msg\":\"hi\"}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("messages"),
        "Dec 30 10:00:01 host sshd[1]: Accepted key\n",
    )
    .unwrap();
    let doc = inspect_json(&[dir.path().as_os_str()], &[]);
    assert_eq!(file(&doc, "messages")["first"], "2019-12-30T10:00:01.000Z");
    // --year wins over the inference.
    let doc = inspect_json(&[dir.path().as_os_str()], &["--year", "2021"]);
    assert_eq!(file(&doc, "messages")["first"], "2021-12-30T10:00:01.000Z");
}

#[test]
fn tz_applies_to_zone_less_times_of_every_format_once() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("a.json"),
        "{\"time\":\"2024-03-01 12:00:00\",\"msg\":\"x\"}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("b.log"),
        "2024-03-01 12:00:00,000 INFO main - y\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("c.log"),
        "time=\"2024-03-01T12:00:00\" level=info msg=z a=b\n",
    )
    .unwrap();
    let doc = inspect_json(&[dir.path().as_os_str()], &["--tz", "+02:00"]);
    for f in doc["files"].as_array().unwrap() {
        assert_eq!(f["first"], "2024-03-01T10:00:00.000Z", "{}", f["path"]);
    }
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let out = logtrace()
        .args(["inspect"])
        .arg(common_fixture())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("reading"),
        "{:?}",
        out.stderr
    );
}

fn common_fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/incident")
}

/// An unparsed line is shown whole (the 200 characters kept of it), wrapped
/// to 100 columns under the reason it was not read.
#[test]
fn unparsed_examples_are_shown_whole_with_their_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let good = r#"{"ts":"2024-03-01T12:00:00Z","level":"info","msg":"ok","request_id":"r1"}"#;
    let cut = format!(
        r#"{{"ts":"2024-03-01T12:00:01Z","level":"error","msg":"{}","request_id":"r2""#,
        "x".repeat(100) + "END"
    );
    fs::write(
        tmp.path().join("app.json"),
        format!("{good}\n{good}\n{cut}\n{good}\n"),
    )
    .unwrap();
    let out = logtrace().arg("inspect").arg(tmp.path()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let at = text.find("  unparsed line 3: ").expect(&text);
    let shown: String = text[at..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("    | "))
        .map(|l| &l[6..])
        .collect();
    assert_eq!(shown, cut, "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
}
