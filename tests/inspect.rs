//! `logtrace inspect` end to end: the real binary on small folders.

use std::fs;

use assert_cmd::Command;
use predicates::prelude::*;

fn logtrace() -> Command {
    Command::cargo_bin("logtrace").unwrap()
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
