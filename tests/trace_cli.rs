//! `logtrace trace` end to end: the real binary on small folders and on the shipped incident.

mod common;

use std::fs;

use assert_cmd::Command;
use predicates::prelude::*;

fn logtrace() -> Command {
    Command::cargo_bin("logtrace").unwrap()
}

#[test]
fn an_unknown_id_exits_1_and_says_where_ids_are_listed() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("app.log"),
        "time=2024-03-01T12:00:00Z level=info msg=ok request_id=req-aaaa01 status=200 duration=5ms\n",
    )
    .unwrap();
    logtrace()
        .args(["trace", "no-such-request"])
        .arg(tmp.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "no trace with id \"no-such-request\"",
        ))
        .stderr(predicate::str::contains("logtrace report"));
}

#[test]
fn unreadable_input_is_a_usage_error() {
    logtrace()
        .args(["trace", "abc", "/definitely/not/here"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/definitely/not/here"));
}

#[test]
fn nothing_parsed_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("notes.txt"), "hello\nworld\n").unwrap();
    logtrace()
        .args(["trace", "abc"])
        .arg(tmp.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no log entries could be parsed"));
}

/// The first failed trace of the incident, drawn with its source lines. Runs
/// fully once the trace stage builds traces; until then it checks the
/// not-found path on the same input.
#[test]
fn a_trace_of_the_incident_shows_its_spans_and_lines() {
    let fixture = common::root().join("fixtures/incident");
    if !fixture.is_dir() {
        common::missing("fixtures/incident");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    logtrace()
        .arg("report")
        .arg(&fixture)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap();
    let Some(id) = report["traces"]["failed"][0]["id"].as_str() else {
        eprintln!("note: the trace stage found no failed trace yet; checking not-found only");
        logtrace()
            .args(["trace", "no-such-trace-id-000"])
            .arg(&fixture)
            .assert()
            .code(1);
        return;
    };
    let text = logtrace()
        .args(["trace", id])
        .arg(&fixture)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(text).unwrap();
    assert!(text.starts_with(&format!("trace {id}")), "{text}");
    assert!(text.contains("FAILED · error origin:"), "{text}");
    assert!(text.contains('✗'), "{text}");
    // Every span row is followed by where it came from, with the line re-read.
    assert!(text.contains(".log:"), "{text}");
    assert!(text.contains(id), "{text}");
    for line in text.lines() {
        assert!(
            line.chars().count() <= 100,
            "wider than 100 columns: {line}"
        );
    }
    assert!(!text.contains('\x1b'), "no colour when not on a terminal");
}

/// The waterfall re-reads lines by the numbers the ingest gave its events:
/// both must count lines alike, in plain, gzip and zstd files of the incident.
#[test]
fn source_lines_match_the_events_line_numbers() {
    use logtrace::ingest::{self, discover};
    let fixture = common::root().join("fixtures/incident");
    if !fixture.is_dir() {
        common::missing("fixtures/incident");
        return;
    }
    let paths = vec![fixture];
    let opts = ingest::IngestOptions {
        keep_events: true,
        ..Default::default()
    };
    let input = ingest::ingest(&paths, &opts).unwrap();
    let sources = discover::discover(&paths, &opts.discover).unwrap().sources;
    assert_eq!(input.files.len(), sources.len());
    let mut checked = 0;
    for (i, src) in sources.iter().enumerate() {
        assert_eq!(input.files[i].path, src.display);
        // Every 7th event with a request id in this file.
        let picked: Vec<_> = input
            .events
            .iter()
            .filter(|e| e.source.file == i as u32 && e.request_id.is_some())
            .step_by(7)
            .collect();
        let mut numbers: Vec<u32> = picked.iter().map(|e| e.source.line).collect();
        numbers.dedup();
        let lines = logtrace::ingest::reread::source_lines(&src.path, &numbers).unwrap();
        assert_eq!(lines.len(), numbers.len(), "{}", src.display);
        for (e, (n, text)) in picked.iter().zip(&lines) {
            assert_eq!(e.source.line, *n);
            let id = input.symbols.get(e.request_id);
            assert!(
                text.contains(id),
                "{}:{n} is {text:?}, expected {id}",
                src.display
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} lines checked");
}
