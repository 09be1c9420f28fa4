//! `logtrace diff` end to end: two generated runs, one with a longer incident
//! (a regression injected through the generator), compared with every
//! threshold form; hand-edited reports for the keywords and the schema check.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use logtrace::generate::{generate, GenOptions};
use predicates::prelude::*;
use serde_json::Value;

fn logtrace() -> Command {
    Command::cargo_bin("logtrace").unwrap()
}

struct Runs {
    _tmp: tempfile::TempDir,
    /// Report folders: the fixture's configuration, and the same with a 30-minute incident.
    base: PathBuf,
    new: PathBuf,
    root: PathBuf,
}

/// Generates both runs and reports them once per test binary.
fn runs() -> &'static Runs {
    static RUNS: OnceLock<Runs> = OnceLock::new();
    RUNS.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let report = |name: &str, opts: &GenOptions| {
            let logs = root.join(format!("{name}-logs"));
            generate(&logs, opts).unwrap();
            let out = root.join(name);
            logtrace()
                .arg("report")
                .arg(&logs)
                .arg("-o")
                .arg(&out)
                .assert()
                .success();
            out
        };
        let base = report("base", &GenOptions::fixture());
        let new = report(
            "new",
            &GenOptions {
                incident_len_s: 1800,
                ..GenOptions::fixture()
            },
        );
        Runs {
            _tmp: tmp,
            base,
            new,
            root,
        }
    })
}

fn diff(base: &Path, new: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    logtrace()
        .arg("diff")
        .arg(base)
        .arg(new)
        .args(args)
        .assert()
}

/// Writes `report` (edited by `edit`) as `<root>/<name>/report.json` and returns the folder.
fn edited(name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let r = runs();
    let mut v: Value =
        serde_json::from_slice(&fs::read(r.base.join("report.json")).unwrap()).unwrap();
    edit(&mut v);
    let dir = r.root.join(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("report.json"),
        serde_json::to_vec_pretty(&v).unwrap(),
    )
    .unwrap();
    dir
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

#[test]
fn the_injected_regression_is_reported_and_exits_1() {
    let r = runs();
    let a = diff(
        &r.base,
        &r.new,
        &["--fail-if", "p99>+20%", "--fail-if", "error_rate>+1pp"],
    )
    .code(1)
    .stderr(predicate::str::contains("2 of 2 thresholds crossed"));
    let out = stdout(&a);
    // The longer incident shows where the generator puts it: inventory's errors.
    assert!(out.contains("  FAIL error_rate>+1pp\n"), "{out}");
    assert!(
        out.contains("       service inventory: error_rate 7."),
        "{out}"
    );
    assert!(
        out.contains(
            "       operation inventory POST /stock/{id}/reserve:\n         error_rate 7."
        ),
        "{out}"
    );
    assert!(out.contains("  FAIL p99>+20%\n"), "{out}");
    let services = out.split("Services").nth(1).unwrap();
    let first = services.lines().nth(2).unwrap();
    assert!(
        first.starts_with("  inventory") || first.starts_with("  orders"),
        "{first}"
    );
    for line in out.lines() {
        assert!(
            logtrace::render::width(line) <= 100
                || line.starts_with("BASE")
                || line.starts_with("NEW"),
            "{line}"
        );
    }
}

#[test]
fn identical_runs_exit_0_under_every_threshold_form() {
    let r = runs();
    let exprs = [
        "p99>+20%",
        "p50>+1ms",
        "max>+1s",
        "mean<-5%",
        "error_rate>+0.1pp",
        "count<-1%",
        "requests>+10",
        "edge:p95>+1%",
        "service:inventory:p90>+1%",
        "operation:edge:POST /api/orders:p99>+1ms",
        "chain:edge > auth, orders > inventory:error_rate>+1pp",
        "new_errors",
        "new_operations",
        "vanished_operations",
    ];
    let mut args = Vec::new();
    for e in exprs {
        args.extend(["--fail-if", e]);
    }
    let a = diff(&r.base, &r.base.join("report.json"), &args).code(0);
    assert!(stdout(&a).contains("0 of 14 thresholds crossed"));
}

/// One threshold against the generated runs: its exit code.
fn code(expr: &str, extra: &[&str]) -> i32 {
    let r = runs();
    let mut args = vec!["--fail-if", expr];
    args.extend(extra);
    diff(&r.base, &r.new, &args)
        .get_output()
        .status
        .code()
        .unwrap()
}

#[test]
fn relative_thresholds() {
    // auth's p99 went from 12 to 20 ms (+67%).
    assert_eq!(code("auth:p99>+50%", &[]), 1);
    assert_eq!(code("auth:p99>+100%", &[]), 0);
    // payments lost 13% of its requests.
    assert_eq!(code("payments:count<-10%", &[]), 1);
    assert_eq!(code("payments:count<-20%", &[]), 0);
}

#[test]
fn absolute_thresholds() {
    // Reserving stock: p50 16 -> 110 ms.
    let op = "operation:inventory:POST /stock/{id}/reserve";
    assert_eq!(code(&format!("{op}:p50>+50ms"), &[]), 1);
    assert_eq!(code(&format!("{op}:p50>+0.2s"), &[]), 0);
    assert_eq!(code("payments:requests<-20", &[]), 1);
}

#[test]
fn percentage_point_thresholds() {
    assert_eq!(code("inventory:error_rate>+5pp", &[]), 1);
    assert_eq!(code("payments:error_rate>+1pp", &[]), 0);
    assert_eq!(
        code(
            "chain:edge > auth, orders > inventory:error_rate>+10pp",
            &[]
        ),
        1
    );
    assert_eq!(code("error_rate<-1pp", &[]), 0);
}

#[test]
fn few_requests_are_not_checked_unless_asked() {
    let r = runs();
    // The edge-only chain has 19 requests in BASE; its p99 rose 14%.
    let expr = "chain:edge > auth:p99>+10%";
    let a = diff(&r.base, &r.new, &["--fail-if", expr]).code(0);
    assert!(
        stdout(&a).contains("fewer than --min-count 20"),
        "{}",
        stdout(&a)
    );
    assert_eq!(code(expr, &["--min-count", "10"]), 1);
}

#[test]
fn keywords() {
    let added = edited("added", |v| {
        let ops = v["operations"].as_array_mut().unwrap();
        let mut op = ops[0].clone();
        op["name"] = "POST /refund".into();
        op["errors"] = 3.into();
        ops.push(op);
        let templates = v["error_templates"].as_array_mut().unwrap();
        let mut t = templates[0].clone();
        t["template"] = "refund failed <NUM>".into();
        templates.push(t);
    });
    let removed = edited("removed", |v| {
        v["operations"].as_array_mut().unwrap().remove(0);
    });
    let base = &runs().base;
    let a = diff(
        base,
        &added,
        &[
            "--fail-if",
            "new_operations",
            "--fail-if",
            "vanished_operations",
        ],
    )
    .code(1);
    let out = stdout(&a);
    assert!(
        out.contains("  FAIL new_operations\n       new operation auth POST /refund"),
        "{out}"
    );
    assert!(out.contains("  ok   vanished_operations\n"), "{out}");
    let a = diff(base, &added, &["--fail-if", "new_errors"]).code(1);
    let out = stdout(&a);
    assert!(
        out.contains("new error template \"refund failed <NUM>\""),
        "{out}"
    );
    assert!(
        out.contains("operation auth POST /refund now fails: 3 of"),
        "{out}"
    );
    diff(
        base,
        &removed,
        &["--fail-if", "new_errors", "--fail-if", "new_operations"],
    )
    .code(0);
    let a = diff(base, &removed, &["--fail-if", "vanished_operations"]).code(1);
    assert!(stdout(&a).contains("vanished operation auth POST /verify"));
}

#[test]
fn bad_expressions_say_where_and_show_the_grammar() {
    let r = runs();
    for (expr, why) in [
        ("p99>+20x", "unknown unit \"x\""),
        ("error_rate>+1%", "write pp"),
        ("p98>+20%", "unknown metric \"p98\""),
        ("p99", "no comparison"),
        ("p99>+1pp", "error_rate only"),
        ("operation:edge:p99>+1%", "operation:SERVICE:NAME"),
    ] {
        let a = diff(&r.base, &r.new, &["--fail-if", expr])
            .code(2)
            .stdout("");
        let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
        assert!(
            err.contains("bad --fail-if expression") && err.contains(why),
            "{expr}: {err}"
        );
        assert!(err.contains(&format!("\n  {expr}\n")), "{err}");
        assert!(err.contains("METRIC  p50 p90 p95 p99"), "{err}");
    }
    // Checked before any file is read.
    logtrace()
        .args(["diff", "no/such", "no/such", "--fail-if", "p99>"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no change after the comparison"));
    diff(&r.base, &r.new, &["--fail-if", "edg:p99>+20%"])
        .code(2)
        .stderr(predicate::str::contains(
            "no service named \"edg\" in either report; known: auth, cart, edge",
        ));
}

#[test]
fn unusable_inputs_exit_2() {
    let r = runs();
    let old = edited("schema0", |v| v["schema_version"] = 0.into());
    diff(&old, &r.new, &[])
        .code(2)
        .stderr(
            predicate::str::contains("BASE: ").and(predicate::str::contains(
                "has schema_version 0, which no logtrace release wrote (this one reads 1 to 2)",
            )),
        );
    let newer = edited("schema9", |v| v["schema_version"] = 9.into());
    diff(&r.base, &newer, &[])
        .code(2)
        .stderr(predicate::str::contains(
            "has schema_version 9, newer than this logtrace reads (2)",
        ));
    diff(&r.root.join("base-logs"), &r.new, &[]).code(2).stderr(
        predicate::str::contains("BASE: ").and(predicate::str::contains("holds no report.json")),
    );
    diff(&r.base, &r.root.join("missing.json"), &[])
        .code(2)
        .stderr(predicate::str::contains("NEW: cannot read"));
}

#[test]
fn json_is_documented_structure() {
    let r = runs();
    let a = diff(
        &r.base,
        &r.new,
        &["--json", "--fail-if", "inventory:error_rate>+5pp"],
    )
    .code(1);
    let v: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["diff_version"], 2);
    assert_eq!(v["schema_version"], 2);
    for key in [
        "services",
        "operations",
        "chains",
        "error_templates",
        "error_origins",
        "thresholds",
    ] {
        assert!(v[key].is_array(), "{key}");
    }
    let inv = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "inventory")
        .unwrap();
    assert_eq!(inv["presence"], "both");
    let pp = inv["change"]["error_rate_pp"].as_f64().unwrap();
    assert!(pp > 5.0, "{pp}");
    assert!(inv["new"]["p99_ms"].is_number());
    assert_eq!(v["thresholds"][0]["crossed"], true);
    assert!(v["thresholds"][0]["breaches"][0]
        .as_str()
        .unwrap()
        .starts_with("service inventory: error_rate"));
    assert_eq!(v["base"]["traces"], 1200);
}

#[test]
fn markdown_is_a_table() {
    let r = runs();
    let a = diff(&r.base, &r.new, &["--markdown"]).code(0);
    let out = stdout(&a);
    assert!(out.starts_with("# logtrace diff\n"));
    assert!(
        out.contains("\n## Operations (12)\n\n| name | requests | Δ | error rate |"),
        "{out}"
    );
    assert!(out.contains("|---|---:|"));
    assert!(out.contains("| inventory | 661 → "), "{out}");
    assert!(!out.contains('\x1b'));
}
