//! `logtrace report` end to end: the real binary on small folders and on the
//! shipped incident; the report folder's rules; `--since/--until` forms.

mod common;

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use logtrace::TimeBound;
use predicates::prelude::*;

fn logtrace() -> Command {
    Command::cargo_bin("logtrace").unwrap()
}

/// Two services, two requests ten minutes apart, one failing: JSON and logfmt.
fn small_logs(dir: &Path) {
    fs::create_dir_all(dir.join("edge")).unwrap();
    fs::create_dir_all(dir.join("orders")).unwrap();
    fs::write(
        dir.join("edge/edge.log"),
        concat!(
            r#"{"ts":"2024-03-01T12:00:00.000Z","level":"info","service":"edge","request_id":"req-aaaa01","method":"GET","path":"/api/orders/1","status":200,"duration_ms":120}"#,
            "\n",
            r#"{"ts":"2024-03-01T12:10:00.000Z","level":"error","service":"edge","request_id":"req-bbbb02","method":"GET","path":"/api/orders/2","status":502,"duration_ms":900,"msg":"upstream failed"}"#,
            "\n",
        ),
    )
    .unwrap();
    fs::write(
        dir.join("orders/orders.log"),
        concat!(
            "time=2024-03-01T12:00:00.010Z level=info msg=\"order fetched\" request_id=req-aaaa01 method=GET path=/orders/1 duration=100ms status=200\n",
            "time=2024-03-01T12:10:00.020Z level=error msg=\"db timeout\" request_id=req-bbbb02 method=GET path=/orders/2 duration=870ms status=500\n",
        ),
    )
    .unwrap();
}

fn report_json(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("report.json")).unwrap()).unwrap()
}

#[test]
fn writes_a_report_json_with_every_contract_key() {
    let tmp = tempfile::tempdir().unwrap();
    small_logs(&tmp.path().join("logs"));
    let out = tmp.path().join("out");
    logtrace()
        .arg("report")
        .arg(tmp.path().join("logs"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("report written to"))
        .stdout(predicate::str::contains("MB/s"));
    let r = report_json(&out);
    assert_eq!(r["schema_version"], 2);
    let keys = |v: &serde_json::Value, keys: &[&str]| {
        for k in keys {
            assert!(v.get(k).is_some(), "report.json lacks {k:?}: {v}");
        }
    };
    keys(
        &r,
        &[
            "input",
            "window",
            "services",
            "operations",
            "traces",
            "error_origins",
            "chains",
            "dependencies",
            "timeline",
            "incidents",
            "error_templates",
            "data_quality",
        ],
    );
    keys(&r["input"], &["lines", "events", "unparsed", "files"]);
    keys(&r["window"], &["start", "end"]);
    keys(
        &r["traces"],
        &["count", "with_errors", "multi_service", "slowest", "failed"],
    );
    keys(&r["timeline"], &["bucket_seconds", "buckets"]);
    keys(
        &r["data_quality"],
        &[
            "events_without_id",
            "single_event_ids",
            "single_service_traces",
            "clock_offsets",
        ],
    );
    assert!(out.join(".logtrace-report").is_file());
}

#[test]
fn refuses_a_folder_of_other_files_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    small_logs(&tmp.path().join("logs"));
    let out = tmp.path().join("mine");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("notes.md"), "my notes").unwrap();
    logtrace()
        .arg("report")
        .arg(tmp.path().join("logs"))
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "is not empty and is not a logtrace report",
        ))
        .stderr(predicate::str::contains("--force"));
    assert!(!out.join("report.json").exists());
    // --force writes beside the user's file and keeps it.
    logtrace()
        .arg("report")
        .arg(tmp.path().join("logs"))
        .arg("-o")
        .arg(&out)
        .arg("--force")
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(out.join("notes.md")).unwrap(),
        "my notes"
    );
    assert_eq!(report_json(&out)["schema_version"], 2);
}

#[test]
fn an_earlier_report_folder_is_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    small_logs(&tmp.path().join("logs"));
    let out = tmp.path().join("out");
    for _ in 0..2 {
        logtrace()
            .arg("report")
            .arg(tmp.path().join("logs"))
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
    }
    let names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.contains(&"report.json".to_owned()), "{names:?}");
    assert!(names.contains(&".logtrace-report".to_owned()), "{names:?}");
    assert!(
        !names.iter().any(|n| n.contains(".tmp-")),
        "a temporary file was left behind: {names:?}"
    );
}

#[test]
fn json_goes_to_stdout_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    small_logs(&tmp.path().join("logs"));
    let out = tmp.path().join("out");
    let got = logtrace()
        .arg("report")
        .arg(tmp.path().join("logs"))
        .arg("-o")
        .arg(&out)
        .arg("--json")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(got, fs::read(out.join("report.json")).unwrap());
}

#[test]
fn nothing_parsed_exits_1_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("notes.txt"), "hello\nworld\n").unwrap();
    let out = tmp.path().join("out");
    logtrace()
        .arg("report")
        .arg(tmp.path().join("notes.txt"))
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no log entries could be parsed"));
    assert!(!out.exists());
}

#[test]
fn since_and_until_are_checked_and_explained() {
    let tmp = tempfile::tempdir().unwrap();
    small_logs(&tmp.path().join("logs"));
    let run = |args: &[&str]| {
        let mut c = logtrace();
        c.arg("report")
            .arg(tmp.path().join("logs"))
            .arg("-o")
            .arg(tmp.path().join("out"))
            .args(args);
        c.assert()
    };
    run(&["--since", "yesterday"])
        .code(2)
        .stderr(predicate::str::contains("--since: cannot read the time"));
    run(&["--bucket", "5 parsecs"])
        .code(2)
        .stderr(predicate::str::contains("--bucket"));
    // The last five minutes hold the second request only: fine.
    run(&["--since", "-5m"]).success();
    run(&["--since=+1m", "--until", "2024-03-01T12:10:00.015Z"]).success();
    // A window outside the data says where the data is.
    run(&["--since", "2025-01-01T00:00:00Z"])
        .code(1)
        .stderr(predicate::str::contains(
            "the logs run from 2024-03-01T12:00:00.000Z to 2024-03-01T12:10:00.020Z",
        ));
    run(&["--since", "-1m", "--until", "+1m"])
        .code(2)
        .stderr(predicate::str::contains("is not before --until"));
    // Times as people write them: a date and time, a time of day on the day
    // the logs end, a date; without a zone in --tz, else UTC.
    let requests = |args: &[&str]| {
        let a = run(args).success();
        let out = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
        out.lines()
            .find(|l| l.trim_start().starts_with("edge "))
            .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
            .unwrap_or_else(|| panic!("no edge row in\n{out}"))
    };
    assert_eq!(requests(&["--since", "2024-03-01 12:05"]), "1");
    assert_eq!(
        requests(&["--since", "2024-03-01T12:00", "--until", "12:05"]),
        "1"
    );
    assert_eq!(
        requests(&["--since", "2024-03-01", "--until", "12:10:01"]),
        "2"
    );
    assert_eq!(requests(&["--tz", "+02:00", "--until", "14:05"]), "1");
    run(&["--since", "12:11"])
        .code(1)
        .stderr(predicate::str::contains(
            "no events between 2024-03-01T12:11:00.000Z",
        ));
    run(&["--until", "1205"]).code(2).stderr(
        predicate::str::contains("--until: cannot read the time \"1205\"").and(
            predicate::str::contains("13:30, 13:30:15")
                .and(predicate::str::contains("2026-11-24 13:30")),
        ),
    );
}

#[test]
fn relative_and_absolute_times() {
    let (s, m, h, d) = (
        1_000_000_000i64,
        60_000_000_000i64,
        3_600_000_000_000i64,
        86_400_000_000_000i64,
    );
    assert_eq!(
        TimeBound::parse("-2h", None),
        Ok(TimeBound::BeforeEnd(2 * h))
    );
    assert_eq!(
        TimeBound::parse("-30m", None),
        Ok(TimeBound::BeforeEnd(30 * m))
    );
    assert_eq!(TimeBound::parse("-1d", None), Ok(TimeBound::BeforeEnd(d)));
    assert_eq!(
        TimeBound::parse("+10m", None),
        Ok(TimeBound::AfterStart(10 * m))
    );
    assert_eq!(
        TimeBound::parse("-1h30m", None),
        Ok(TimeBound::BeforeEnd(h + 30 * m))
    );
    assert_eq!(
        TimeBound::parse("+45s", None),
        Ok(TimeBound::AfterStart(45 * s))
    );
    assert_eq!(
        TimeBound::parse("2024-03-01T12:30:00Z", None),
        Ok(TimeBound::At(1_709_296_200 * s))
    );
    assert_eq!(
        TimeBound::parse("2024-03-01T14:30:00+02:00", None),
        Ok(TimeBound::At(1_709_296_200 * s))
    );
    // Resolved against the data: -2h from its end, +10m from its start.
    assert_eq!(TimeBound::BeforeEnd(2 * h).resolve(0, 10 * h), 8 * h);
    assert_eq!(TimeBound::AfterStart(10 * m).resolve(h, 10 * h), h + 10 * m);
    assert_eq!(TimeBound::BeforeEnd(h).resolve(0, i64::MIN), i64::MIN);
    for bad in [
        "",
        "-",
        "+",
        "2h",
        "-2x",
        "-h",
        "--2h",
        "2024-13-01T00:00:00Z",
        "-99999999999d",
    ] {
        assert!(
            TimeBound::parse(bad, None).is_err(),
            "{bad:?} should be refused"
        );
    }
    assert_eq!(logtrace::parse_duration("1h30m"), Ok(90 * m));
    assert_eq!(logtrace::parse_duration("250ms"), Ok(250_000_000));
    assert!(logtrace::parse_duration("1.5h").is_err());
}

#[test]
fn report_json_does_not_depend_on_the_thread_count() {
    let fixture = common::root().join("fixtures/incident");
    if !fixture.is_dir() {
        common::missing("fixtures/incident");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let run = |out: &str, threads: &[&str]| {
        logtrace()
            .arg("report")
            .arg(&fixture)
            .arg("-o")
            .arg(tmp.path().join(out))
            .args(threads)
            .assert()
            .success();
        fs::read(tmp.path().join(out).join("report.json")).unwrap()
    };
    let one = run("one", &["--threads", "1"]);
    let all = run("all", &[]);
    assert!(
        one == all,
        "report.json differs between --threads 1 and the default"
    );
}
