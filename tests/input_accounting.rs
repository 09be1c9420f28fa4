//! Every input is accounted for: what could not be read, or not read whole
//! (unreadable, vanished, grown or shrunk while read, a FIFO, socket or
//! symlink not followed), is in report.json's input section and the
//! summary's data-quality warnings, and a path named on the command line
//! that cannot be read at all makes `report` and `inspect` exit 2.

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

fn logtrace() -> Command {
    let mut c = Command::cargo_bin("logtrace").unwrap();
    c.env("NO_COLOR", "1").timeout(Duration::from_secs(120));
    c
}

fn line(k: usize) -> String {
    format!(
        "{{\"ts\":\"2024-03-01T12:00:{:02}.000Z\",\"service\":\"app\",\"request_id\":\"r{k}\",\"path\":\"/x\",\"status\":200,\"duration_ms\":5}}\n",
        k % 60
    )
}

fn logs(dir: &Path, name: &str, n: usize) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join(name), (0..n).map(line).collect::<String>()).unwrap();
}

fn report_json(out: &Path) -> Value {
    serde_json::from_slice(&fs::read(out.join("report.json")).unwrap()).unwrap()
}

#[cfg(unix)]
#[test]
fn what_was_not_read_is_in_the_report_and_its_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    logs(&input, "app.log", 50);
    logs(tmp.path(), "elsewhere.log", 5);
    std::os::unix::fs::symlink(tmp.path().join("elsewhere.log"), input.join("link.log")).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(input.join("app.sock")).unwrap();
    let out = tmp.path().join("rep");
    let a = logtrace()
        .arg("report")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    let v = report_json(&out);
    let problems = v["input"]["problems"].as_array().unwrap();
    let reasons: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p["path"], p["reason"]))
        .collect();
    assert_eq!(problems.len(), 2, "{reasons:?}");
    assert!(
        reasons[0].contains("app.sock") && reasons[0].contains("a socket"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("link.log") && reasons[1].contains("out of the input folders"));
    assert!(stdout.contains("not read whole:"), "{stdout}");
    assert!(
        stdout.contains("symlink out of the input folders"),
        "{stdout}"
    );
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("2 inputs were not read, or not read whole"),
        "{md}"
    );
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("not read, or not read whole"));
    // Every file read is listed with why it was not read, if it was not.
    assert_eq!(v["input"]["files"][0]["skipped"], Value::Null);
}

#[cfg(target_os = "linux")]
#[test]
fn a_named_path_that_cannot_be_read_exits_2_after_reporting_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    logs(&input, "app.log", 20);
    // Opens, but every read fails (an I/O error), even for root.
    let unreadable = Path::new("/proc/self/mem");
    let out = tmp.path().join("rep");
    let a = logtrace()
        .arg("report")
        .arg(&input)
        .arg(unreadable)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("could not read /proc/self/mem"), "{err}");
    let v = report_json(&out);
    assert_eq!(v["input"]["events"], 20);
    let files = v["input"]["files"].as_array().unwrap();
    let mem = files
        .iter()
        .find(|f| f["path"] == "/proc/self/mem")
        .unwrap();
    assert!(
        mem["skipped"].as_str().unwrap().starts_with("cannot read"),
        "{mem}"
    );
    let a = logtrace()
        .arg("inspect")
        .arg(&input)
        .arg(unreadable)
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stdout).contains("app.log"));
    // The only path, unreadable: still 2 (not "nothing parsed", 1).
    logtrace()
        .arg("report")
        .arg(unreadable)
        .arg("-o")
        .arg(tmp.path().join("rep2"))
        .assert()
        .code(2);
}

/// Runs `report` while `churn` keeps changing the input folder, a thousand
/// times a second at most: a tight loop appending to a file wrote gigabytes
/// while a slow machine ran one report.
fn report_while(input: &Path, out: &Path, churn: impl Fn() + Send + Sync) -> Value {
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                churn();
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
        let run = logtrace()
            .arg("report")
            .arg(input)
            .arg("-o")
            .arg(out)
            .output();
        // Stopped before any check, so a failed report fails the test
        // instead of leaving the churn thread, and the test, running forever.
        stop.store(true, Ordering::Relaxed);
        let run = run.unwrap();
        assert!(
            run.status.success(),
            "report failed: {}",
            String::from_utf8_lossy(&run.stderr)
        );
    });
    report_json(out)
}

#[test]
fn a_file_written_to_during_the_run_is_reported_as_grown() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    // Many files, so that a while passes between finding the live one and reading it.
    for i in 0..300 {
        logs(&input, &format!("app-{i:03}.log"), 20);
    }
    logs(&input, "live.log", 10);
    let live = input.join("live.log");
    let mut seen = Vec::new();
    for round in 0..5 {
        let v = report_while(&input, &tmp.path().join(format!("rep{round}")), || {
            use std::io::Write;
            let mut f = fs::OpenOptions::new().append(true).open(&live).unwrap();
            f.write_all(line(7).as_bytes()).unwrap();
        });
        let files = v["input"]["files"].as_array().unwrap();
        let f = files
            .iter()
            .find(|f| f["path"] == "live.log")
            .unwrap()
            .clone();
        if f["changed"].as_str().unwrap_or("").starts_with("grew from") {
            return;
        }
        seen.push(f);
    }
    panic!("never reported as grown: {seen:?}");
}

#[test]
fn files_deleted_during_the_run_are_accounted_for_not_empty_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    logs(&input, "app.log", 200);
    let names: Vec<String> = (0..20).map(|i| format!("gone-{i:02}.log")).collect();
    for n in &names {
        logs(&input, n, 3);
    }
    for round in 0..3 {
        let v = report_while(&input, &tmp.path().join(format!("rep{round}")), || {
            // Written beside the folder and renamed in, so a file in it is
            // never empty: an empty log here would be one read wrongly.
            let staged = tmp.path().join("staged.log");
            for n in &names {
                let p = input.join(n);
                let _ = fs::remove_file(&p);
                fs::write(&staged, line(1).repeat(3)).unwrap();
                fs::rename(&staged, &p).unwrap();
            }
        });
        // Each file is either read, or listed with what happened to it.
        for f in v["input"]["files"].as_array().unwrap() {
            let read = f["lines"].as_u64().unwrap() > 0;
            let said = ["skipped", "problem", "changed"]
                .iter()
                .any(|k| f[k].is_string());
            assert!(read || said, "an empty log without a word: {f}");
            if let Some(why) = f["skipped"].as_str() {
                assert!(why.starts_with("vanished"), "{why}");
            }
        }
    }
}
