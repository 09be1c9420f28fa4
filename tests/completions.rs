//! Shell integration end to end: completion scripts and man pages come from
//! the same CLI definition as the parser, so every command is in them.

use assert_cmd::Command;
use predicates::prelude::*;

fn logtrace() -> Command {
    Command::cargo_bin("logtrace").unwrap()
}

fn stdout(args: &[&str]) -> String {
    let a = logtrace().args(args).assert().success();
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

#[test]
fn bash_completions_know_every_command_and_diff_flag() {
    let s = stdout(&["completions", "bash"]);
    assert!(s.contains("_logtrace()"), "{}", &s[..200.min(s.len())]);
    for word in [
        "inspect",
        "report",
        "trace",
        "diff",
        "completions",
        "--fail-if",
        "--min-count",
        "--markdown",
    ] {
        assert!(s.contains(word), "bash completion lacks {word}");
    }
}

#[test]
fn every_shell_has_a_script() {
    for (shell, marker) in [
        ("zsh", "#compdef logtrace"),
        ("fish", "complete -c logtrace"),
        ("elvish", "edit:completion:arg-completer[logtrace]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let s = stdout(&["completions", shell]);
        assert!(s.contains(marker), "{shell}: no {marker:?}");
        assert!(s.contains("diff"), "{shell}: no diff");
    }
    logtrace()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'tcsh'"));
}

#[test]
fn man_pages_render() {
    let page = stdout(&["man"]);
    assert!(
        page.starts_with(".ie") || page.starts_with(".TH"),
        "{}",
        &page[..80]
    );
    assert!(page.contains(".TH logtrace 1"), "{page}");
    assert!(page.contains("Exit codes"));
    assert!(page.contains("logtrace\\-diff(1)") || page.contains("diff"));
    let diff = stdout(&["man", "diff"]);
    assert!(diff.contains(".TH logtrace-diff 1"), "{diff}");
    assert!(diff.contains("fail\\-if"));
    assert!(diff.contains("Exit codes: 0 no threshold crossed"));
    logtrace()
        .args(["man", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no command \"nope\"; commands: inspect, report, trace, export, diff, completions",
        ));
}

#[test]
fn every_command_documents_its_exit_codes() {
    for cmd in [
        "inspect",
        "report",
        "trace",
        "export",
        "diff",
        "completions",
    ] {
        logtrace()
            .args([cmd, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Exit codes: 0 "));
    }
    logtrace()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("threshold crossed"))
        .stdout(predicate::str::is_match("(?m)^ +man ").unwrap().not());
}
