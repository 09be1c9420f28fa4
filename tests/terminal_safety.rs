//! Text from logs never reaches a terminal raw: service, operation, error
//! template, id and file names carrying escape sequences are printed escaped
//! by `report`, `trace`, `inspect`, `diff`, `diff --markdown` and in error
//! messages, and `summary.md` escapes them too.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

/// Clears the screen, retitles the window, rings the bell.
const HOSTILE: &str = "\u{1b}[2J\u{1b}]0;pwned\u{7}";
const SHOWN: &str = "\\u001b[2J\\u001b]0;pwned\\u0007";

fn logtrace() -> Command {
    let mut c = Command::cargo_bin("logtrace").unwrap();
    c.env("NO_COLOR", "1");
    c
}

/// A folder whose service, operation, request id, error message and file name hold `HOSTILE`.
fn hostile_logs(dir: &Path) {
    let mut lines = String::new();
    for k in 0..40 {
        let status = if k % 4 == 0 { 503 } else { 200 };
        let line = serde_json::json!({
            "ts": format!("2024-03-01T12:00:{:02}.000Z", k),
            "level": if status == 503 { "error" } else { "info" },
            "service": format!("svc{HOSTILE}"),
            "msg": format!("upstream{HOSTILE} failed"),
            "request_id": format!("req{HOSTILE}{k:02}"),
            "method": "GET",
            "path": format!("/api{HOSTILE}/x"),
            "status": status,
            "duration_ms": 10 + k,
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join(format!("app{HOSTILE}.log")), lines).unwrap();
}

/// No byte a terminal acts on: ESC, BEL, CSI (C1, as UTF-8), and no other
/// control character but the line feed.
fn assert_safe(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for (i, c) in text.chars().enumerate() {
        assert!(
            c == '\n' || !logtrace::safe::unsafe_char(c),
            "{what}: raw {c:?} at char {i} in:\n{}",
            text.escape_debug()
        );
    }
}

#[test]
fn hostile_names_are_escaped_in_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    hostile_logs(&logs);
    let out = tmp.path().join("rep");

    let report = logtrace()
        .args(["report", "-o"])
        .arg(&out)
        .arg(&logs)
        .output()
        .unwrap();
    assert!(report.status.success(), "{report:?}");
    assert_safe("report stdout", &report.stdout);
    assert_safe("report stderr", &report.stderr);
    assert!(String::from_utf8_lossy(&report.stdout).contains(SHOWN));

    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert_safe("summary.md", md.as_bytes());
    assert!(md.contains("svc\\\\u001b"), "{md}");

    let inspect = logtrace().arg("inspect").arg(&logs).output().unwrap();
    assert!(inspect.status.success());
    assert_safe("inspect", &inspect.stdout);
    assert!(String::from_utf8_lossy(&inspect.stdout).contains(&format!("app{SHOWN}.log")));

    let trace = logtrace()
        .args(["trace", &format!("req{HOSTILE}03")])
        .arg(&logs)
        .output()
        .unwrap();
    assert!(trace.status.success(), "{trace:?}");
    assert_safe("trace", &trace.stdout);
    assert!(String::from_utf8_lossy(&trace.stdout).contains(SHOWN));

    // An unknown id is quoted back in the error message, with the ids it resembles.
    let missing = logtrace()
        .args(["trace", &format!("req{HOSTILE}9")])
        .arg(&logs)
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert_safe("trace error", &missing.stderr);

    // A path that does not exist is quoted in the error.
    let gone = logtrace()
        .arg("inspect")
        .arg(tmp.path().join(format!("nope{HOSTILE}")))
        .output()
        .unwrap();
    assert_eq!(gone.status.code(), Some(2));
    assert_safe("missing path error", &gone.stderr);
    assert!(String::from_utf8_lossy(&gone.stderr).contains(SHOWN));

    // diff reads the names back from report.json.
    let json = out.join("report.json");
    for extra in [None, Some("--markdown")] {
        let mut cmd = logtrace();
        cmd.arg("diff").arg(&json).arg(&json);
        cmd.args(extra);
        cmd.args(["--fail-if", &format!("svc{HOSTILE}:p99>+1000%")]);
        let diff = cmd.output().unwrap();
        assert!(diff.status.code().is_some(), "{diff:?}");
        assert_safe("diff stdout", &diff.stdout);
        assert_safe("diff stderr", &diff.stderr);
        assert!(
            String::from_utf8_lossy(&diff.stdout).contains("svc\\"),
            "{}",
            String::from_utf8_lossy(&diff.stdout)
        );
    }
}
