//! Unknown is not zero, end to end: a folder where one service's log gives no
//! durations (a combined access log without a response-time field) and one
//! trace is a single error line. `report.json`, the terminal summary,
//! `summary.md`, `index.html`, the charts and `diff` must show the missing
//! numbers as missing (`null`, `no durations`, `n/a`), never as 0, and a
//! `--fail-if` on such a row must say it cannot be checked.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use serde_json::Value;

fn logtrace() -> Command {
    Command::cargo_bin("logtrace").unwrap()
}

struct Run {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    /// The report folder, and what `report` printed.
    out: PathBuf,
    stdout: String,
}

/// 200 timed JSON requests of `orders` (`slow` ms added to each), 200 untimed
/// access-log requests of `web-access`, and one error line of `worker` naming
/// a job id.
fn logs(dir: &Path, slow: u64) {
    fs::create_dir_all(dir).unwrap();
    let (mut orders, mut web) = (String::new(), String::new());
    for i in 0..200u64 {
        let (m, s) = (i / 10, (i % 10) * 6);
        let status = if i % 17 == 0 { 503 } else { 200 };
        let _ = writeln!(
            orders,
            r#"{{"ts":"2026-11-24T13:{m:02}:{s:02}.000Z","level":"info","service":"orders","msg":"handled","request_id":"r{i}","method":"GET","path":"/api/orders","status":{status},"duration_ms":{}}}"#,
            5 + (i * 7) % 45 + slow
        );
        let status = if i % 13 == 0 { 502 } else { 200 };
        let _ = writeln!(
            web,
            r#"10.0.0.{} - - [24/Nov/2026:13:{m:02}:{s:02} +0000] "GET /checkout HTTP/1.1" {status} 512 "-" "curl/8.5""#,
            i % 7 + 1
        );
    }
    fs::write(dir.join("orders.log"), orders).unwrap();
    fs::write(dir.join("web-access.log"), web).unwrap();
    fs::write(
        dir.join("worker.log"),
        "{\"ts\":\"2026-11-24T13:05:00.000Z\",\"level\":\"error\",\"service\":\"worker\",\"msg\":\"job failed\",\"request_id\":\"job-7\"}\n",
    )
    .unwrap();
}

fn report(root: &Path, name: &str, slow: u64) -> (PathBuf, String) {
    let dir = root.join(format!("{name}-logs"));
    logs(&dir, slow);
    let out = root.join(name);
    let a = logtrace()
        .args(["report", "--quiet"])
        .arg(&dir)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    (out, stdout)
}

fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let (out, stdout) = report(&root, "base", 0);
        Run {
            _tmp: tmp,
            root,
            out,
            stdout,
        }
    })
}

fn report_json(dir: &Path) -> Value {
    serde_json::from_slice(&fs::read(dir.join("report.json")).unwrap()).unwrap()
}

fn find<'a>(list: &'a Value, key: &str, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|v| v[key] == name)
        .unwrap_or_else(|| panic!("no {key} {name:?} in {list}"))
}

#[test]
fn report_json_has_null_where_the_logs_give_no_number() {
    let r = report_json(&run().out);
    assert_eq!(r["schema_version"], 2);
    let web = find(&r["services"], "name", "web-access");
    assert_eq!((&web["spans"], &web["errors"]), (&200.into(), &16.into()));
    assert_eq!(web["latency_ms"], Value::Null, "{web}");
    assert_eq!(web["error_rate"], 0.08);
    let op = find(&r["operations"], "service", "web-access");
    assert_eq!(op["latency_ms"], Value::Null, "{op}");
    // Beside it, the timed service keeps its numbers.
    let orders = find(&r["services"], "name", "orders");
    assert_eq!(orders["latency_ms"]["count"], 200);
    assert!(orders["latency_ms"]["p99"].as_f64().unwrap() > 40.0);
    // The one-line failure is a trace without a duration: listed as failed,
    // never among the slowest.
    let job = find(&r["traces"]["failed"], "id", "job-7");
    assert_eq!(job["duration_ms"], Value::Null, "{job}");
    let slowest = r["traces"]["slowest"].as_array().unwrap();
    assert!(slowest.iter().all(|t| t["duration_ms"].is_number()));
    let worker = find(&r["chains"], "signature", "worker");
    assert_eq!(worker["latency_ms"], Value::Null);
    assert_eq!(worker["critical_path"], Value::Array(Vec::new()));
}

#[test]
fn the_summaries_say_no_durations() {
    let run = run();
    let line = |text: &str, start: &str| -> String {
        text.lines()
            .find(|l| l.trim_start().starts_with(start))
            .unwrap_or_else(|| panic!("no line {start:?} in\n{text}"))
            .to_owned()
    };
    let web = line(&run.stdout, "web-access ");
    assert!(web.ends_with("no durations"), "{web}");
    assert!(
        run.stdout
            .contains("no durations, not listed: web-access GET /checkout"),
        "{}",
        run.stdout
    );
    assert!(
        line(&run.stdout, "job-7").contains(" n/a "),
        "{}",
        run.stdout
    );

    let md = fs::read_to_string(run.out.join("summary.md")).unwrap();
    let row = line(&md, "| web-access |");
    assert!(row.ends_with("| n/a | n/a | n/a |"), "{row}");
    assert!(
        md.contains("n/a: no durations in the logs for web-access, worker."),
        "{md}"
    );
    assert!(line(&md, "| `job-7` |").contains("| no duration |"), "{md}");

    let html = fs::read_to_string(run.out.join("index.html")).unwrap();
    assert!(html.contains("n/a: no durations in the logs for web-access, worker."));
    assert!(html.contains("no duration"));
}

/// The rectangles of an SVG with this opacity.
fn bars(svg: &str, opacity: &str) -> usize {
    svg.matches(&format!("opacity=\"{opacity}\"")).count()
}

#[test]
fn charts_draw_no_bar_for_what_has_no_durations_and_say_so() {
    let charts = run().out.join("charts");
    let read = |f: &str| fs::read_to_string(charts.join(f)).unwrap();
    let slowest = read("slowest_operations.svg");
    // One bar (orders); web-access is named in the note instead of a bar of 0.
    assert_eq!(bars(&slowest, "0.85"), 1, "{slowest}");
    assert!(
        slowest.contains("no durations in the logs, not drawn: web-access GET /checkout"),
        "{slowest}"
    );
    assert!(!slowest.contains("web-access · GET /checkout"));
    let dist = read("latency_distribution.svg");
    assert!(
        dist.contains("no durations in the logs, not drawn: web-access"),
        "{dist}"
    );
    let latency = read("latency.svg");
    assert!(latency.contains("no durations in the logs"), "{latency}");
    let critical = read("critical_path.svg");
    assert!(
        critical.contains("no durations in the logs, not drawn: worker"),
        "{critical}"
    );
}

#[test]
fn diff_shows_n_a_and_a_threshold_on_it_cannot_be_checked() {
    let run = run();
    let (new, _) = report(&run.root, "slower", 30);
    let diff = |args: &[&str]| {
        logtrace()
            .arg("diff")
            .arg(&run.out)
            .arg(&new)
            .args(args)
            .assert()
    };
    // The issue's case: a latency threshold on the untimed service no
    // longer passes silently; it is listed as not checked, tagged n/a.
    let a = diff(&["--fail-if", "web-access:p99>+20%"]).code(0);
    let out = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    assert!(out.contains("  n/a  web-access:p99>+20%"), "{out}");
    assert!(
        out.contains(
            "not checked: service web-access: p99 cannot be checked, no durations in either run"
        ),
        "{out}"
    );
    let web = out
        .lines()
        .find(|l| l.starts_with("  web-access "))
        .unwrap();
    assert!(web.contains("n/a"), "{web}");
    // Unscoped, the timed service is checked and the untimed rows are counted.
    let a = diff(&["--fail-if", "p99>+20%"]).code(1);
    let out = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    assert!(out.contains("FAIL p99>+20%"), "{out}");
    assert!(out.contains("service orders: p99"), "{out}");
    assert!(
        out.contains(
            "4 rows without durations in BASE or NEW, p99 cannot be checked: service web-a"
        ),
        "{out}"
    );
    assert!(out.lines().all(|l| l.chars().count() <= 100), "{out}");

    let a = diff(&["--json", "--fail-if", "web-access:p99>+20%"]).code(0);
    let v: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    let web = find(&v["services"], "service", "web-access");
    assert_eq!(web["base"]["p99_ms"], Value::Null);
    assert_eq!(web["new"]["p50_ms"], Value::Null);
    assert_eq!(web["change"]["p99_ms"], Value::Null);
    assert_eq!(web["change"]["p99_pct"], Value::Null);
    assert!(web["base"]["error_rate"].is_number());
    let t = &v["thresholds"][0];
    assert_eq!((&t["crossed"], &t["checked"]), (&false.into(), &0.into()));
    assert_eq!(
        t["skipped"][0],
        "service web-access: p99 cannot be checked, no durations in either run"
    );

    let a = diff(&["--markdown", "--fail-if", "web-access:p99>+20%"]).code(0);
    let md = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    let row = md
        .lines()
        .find(|l| l.starts_with("| web-access |"))
        .unwrap();
    assert!(row.contains("| n/a → n/a | n/a | n/a |"), "{row}");
    assert!(md.contains("- **n/a** `web-access:p99>+20%`"), "{md}");
}

/// A report as logtrace wrote schema 1: every `null` latency an object of zeros.
fn as_schema_1(v: &mut Value) {
    fn zero_latency(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if k == "latency_ms" && x.is_null() {
                        *x = serde_json::json!({"count": 0, "p50": 0.0, "p90": 0.0,
                            "p95": 0.0, "p99": 0.0, "p999": 0.0, "max": 0.0, "mean": 0.0});
                    } else if (k == "error_rate" || k == "duration_ms") && x.is_null() {
                        *x = 0.0.into();
                    } else {
                        zero_latency(x);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(zero_latency),
            _ => {}
        }
    }
    zero_latency(v);
    v["schema_version"] = 1.into();
}

#[test]
fn diff_reads_a_schema_1_report_and_its_zeros_as_missing() {
    let run = run();
    let mut v = report_json(&run.out);
    as_schema_1(&mut v);
    let old = run.root.join("schema1");
    fs::create_dir_all(&old).unwrap();
    fs::write(old.join("report.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    let a = logtrace()
        .arg("diff")
        .arg(&old)
        .arg(&run.out)
        .args(["--json", "--fail-if", "web-access:p99>+20%"])
        .assert()
        .code(0);
    let d: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(d["schema_version"], 2);
    let web = find(&d["services"], "service", "web-access");
    assert_eq!(web["base"]["p99_ms"], Value::Null, "{web}");
    assert_eq!(d["thresholds"][0]["checked"], 0);
    let orders = find(&d["services"], "service", "orders");
    assert_eq!(orders["change"]["p99_ms"], 0.0);
}
