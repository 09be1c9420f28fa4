//! Every real-world sample is read without a panic, and what logtrace makes of
//! each file is pinned in a golden table (`tests/golden/*.tsv`): format,
//! lines, events, continuation lines, unparsed lines, services, id fields.
//! `LOGTRACE_BLESS=1 cargo test --test realdata_golden` re-blesses after a
//! deliberate change; the diff then shows exactly what changed.

mod common;

use assert_cmd::Command;

fn table(folder: &str) -> Option<String> {
    let root = common::realdata()?.join(folder);
    let out = Command::cargo_bin("logtrace")
        .unwrap()
        .args(["inspect", "--json", "--year", "2024"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(out.status.code().is_some(), "killed by a signal");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("inspect --json is JSON");
    let mut s =
        String::from("path\tformat\tlines\tevents\tcontinuation\tunparsed\tservices\tid_fields\n");
    for f in doc["files"].as_array().unwrap() {
        let names = |k: &str| {
            f[k].as_array()
                .unwrap()
                .iter()
                .map(|p| format!("{}={}", p[0].as_str().unwrap(), p[1]))
                .collect::<Vec<_>>()
                .join(",")
        };
        s.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            f["path"].as_str().unwrap(),
            f["format"].as_str().unwrap(),
            f["lines"],
            f["events"],
            f["continuation"],
            f["unparsed"],
            names("services"),
            names("id_fields"),
        ));
        // Nothing silently vanishes: every line is an entry line (with one
        // event, or several for a batch of records), a continuation, unparsed,
        // a header or blank.
        let sum = [
            "entry_lines",
            "continuation",
            "unparsed",
            "blank",
            "headers",
        ]
        .iter()
        .map(|k| f[*k].as_u64().unwrap())
        .sum::<u64>();
        if f["skipped"].is_null() {
            assert_eq!(
                sum,
                f["lines"].as_u64().unwrap(),
                "lines lost in {}",
                f["path"]
            );
        }
    }
    Some(s)
}

#[test]
fn lnav_samples_are_pinned() {
    if let Some(t) = table("lnav-samples") {
        common::golden("lnav-samples.tsv", &t);
    }
}

#[test]
fn request_log_analyzer_samples_are_pinned() {
    if let Some(t) = table("request-log-analyzer") {
        common::golden("request-log-analyzer.tsv", &t);
    }
}

#[test]
fn filebeat_fixtures_are_pinned() {
    if let Some(t) = table("filebeat-fixtures") {
        common::golden("filebeat-fixtures.tsv", &t);
    }
}
