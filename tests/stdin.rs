//! Input from a pipe, end to end: `-` (and `/dev/stdin`) is standard input,
//! read once as one stream, compressed or not, shown as `<stdin>`; `trace`
//! shows its lines again; a FIFO named on the command line is read, one found
//! inside a folder is not; `report -o -` is refused.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn logtrace() -> Command {
    let mut c = Command::cargo_bin("logtrace").unwrap();
    // A pipe that never ends must fail the test, not hang it.
    c.timeout(Duration::from_secs(60));
    c
}

/// 200 JSON requests of `orders` with ids `r0`..`r199` and durations.
fn json_log() -> String {
    let mut s = String::new();
    for i in 0..200 {
        let _ = writeln!(
            s,
            r#"{{"msg":"handled order {i}","ts":"2026-11-24T13:{:02}:{:02}.000Z","level":"info","service":"orders","request_id":"r{i}","method":"GET","path":"/api/orders","status":200,"duration_ms":{}}}"#,
            i / 10,
            (i % 10) * 6,
            5 + i % 40
        );
    }
    s
}

/// A combined access log: no service in its lines.
fn access_log() -> String {
    (0..50)
        .map(|i| {
            format!(
                "10.0.0.1 - - [24/Nov/2026:13:00:{:02} +0000] \"GET /x HTTP/1.1\" 200 5 \"-\" \"curl\"\n",
                i % 60
            )
        })
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap()
}

#[test]
fn report_reads_standard_input_as_one_stream() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    logtrace()
        .args(["report", "-", "-o"])
        .arg(&out)
        .write_stdin(json_log())
        .assert()
        .success()
        .stdout(predicate::str::contains("orders"));
    let r = json_of(&fs::read(out.join("report.json")).unwrap());
    let files = r["input"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["path"], "<stdin>");
    assert_eq!(
        (&files[0]["events"], &files[0]["format"]),
        (&200.into(), &"json".into())
    );
    assert_eq!(r["traces"]["count"], 200);
    assert_eq!(r["services"][0]["name"], "orders");
}

#[test]
fn compressed_standard_input_is_sniffed_like_a_file() {
    let a = logtrace()
        .args(["inspect", "--json", "-"])
        .write_stdin(gzip(json_log().as_bytes()))
        .assert()
        .success();
    let v = json_of(&a.get_output().stdout);
    let f = &v["files"][0];
    assert_eq!(f["path"], "<stdin>", "{v}");
    assert_eq!(
        (&f["compression"], &f["format"]),
        (&"gzip".into(), &"json".into())
    );
    assert_eq!(f["events"], 200);
    // An access log piped in has no file name to name its service after.
    let a = logtrace()
        .args(["inspect", "--json", "-"])
        .write_stdin(access_log())
        .assert()
        .success();
    let v = json_of(&a.get_output().stdout);
    assert_eq!(v["files"][0]["services"][0][0], "stdin", "{v}");
}

#[test]
fn standard_input_named_twice_is_read_once() {
    let a = logtrace()
        .args(["inspect", "--json", "-", "/dev/stdin"])
        .write_stdin(json_log())
        .assert()
        .success();
    let v = json_of(&a.get_output().stdout);
    assert_eq!(v["files"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["files"][0]["events"], 200);
}

#[test]
fn trace_shows_the_lines_of_standard_input() {
    logtrace()
        .args(["trace", "r42", "-"])
        .write_stdin(gzip(json_log().as_bytes()))
        .assert()
        .success()
        .stdout(predicate::str::contains("<stdin>:43"))
        .stdout(predicate::str::contains("handled order 42"));
}

#[test]
fn report_to_standard_output_is_refused_with_the_way_to_get_json() {
    let tmp = tempfile::tempdir().unwrap();
    logtrace()
        .current_dir(tmp.path())
        .args(["report", "-", "-o", "-"])
        .write_stdin(json_log())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot be written to standard output",
        ))
        .stderr(predicate::str::contains("--json"));
    assert!(!tmp.path().join("-").exists());
    assert!(!tmp.path().join("logtrace-report").exists());
}

/// Makes a FIFO; `None` where `mkfifo` is missing.
fn mkfifo(path: &Path) -> Option<()> {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .ok()?
        .success();
    ok.then_some(())
}

#[test]
fn a_fifo_named_on_the_command_line_is_read_one_inside_a_folder_is_not() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    fs::create_dir(&dir).unwrap();
    let fifo = dir.join("live.log");
    if mkfifo(&fifo).is_none() {
        eprintln!("note: mkfifo not available; FIFO test skipped");
        return;
    }
    // Named: read as a stream, shown as given.
    let writer = {
        let (fifo, data) = (fifo.clone(), gzip(json_log().as_bytes()));
        std::thread::spawn(move || fs::write(fifo, data))
    };
    let a = logtrace()
        .args(["inspect", "--json"])
        .arg(&fifo)
        .assert()
        .success();
    writer.join().unwrap().unwrap();
    let v = json_of(&a.get_output().stdout);
    assert_eq!(v["files"][0]["path"], fifo.display().to_string());
    assert_eq!(v["files"][0]["events"], 200);
    // Inside a folder: never opened (nobody writes to it; opening would wait).
    fs::write(dir.join("app.log"), json_log()).unwrap();
    let a = logtrace()
        .args(["inspect", "--json"])
        .arg(&dir)
        .assert()
        .success();
    let v = json_of(&a.get_output().stdout);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{v}");
    assert_eq!(files[0]["path"], "app.log");
}

#[test]
fn process_substitution_is_read_as_a_pipe() {
    let Ok(bash) = which_bash() else {
        eprintln!("note: bash not available; process substitution test skipped");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("a.log");
    fs::write(&log, access_log()).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("logtrace");
    let out = std::process::Command::new(bash)
        .arg("-c")
        .arg(format!(
            "'{}' inspect --json <(cat '{}')",
            bin.display(),
            log.display()
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v = json_of(&out.stdout);
    let f = &v["files"][0];
    assert!(f["path"].as_str().unwrap().starts_with("/dev/fd/"), "{v}");
    assert_eq!(f["events"], 50);
    assert_eq!(f["services"][0][0], "pipe");
}

fn which_bash() -> Result<&'static str, ()> {
    ["/bin/bash", "/usr/bin/bash"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .ok_or(())
}
