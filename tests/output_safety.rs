//! Nothing lost, nothing overwritten: what `report -o` and `export -o` may
//! write, and what a crash, a full disk, the file-size limit or a second run
//! at the same time leave behind.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn logtrace() -> Command {
    let mut c = Command::cargo_bin("logtrace").unwrap();
    c.env("NO_COLOR", "1").timeout(Duration::from_secs(120));
    c
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("logtrace")
}

/// `n` requests through two services, as JSON lines; `tag` changes the operations.
fn logs(dir: &Path, n: usize, tag: &str) {
    fs::create_dir_all(dir).unwrap();
    let mut edge = String::new();
    let mut auth = String::new();
    for k in 0..n {
        let t = |ms: usize| {
            let ms = ms + k * 250;
            format!(
                "2024-03-01T12:{:02}:{:02}.{:03}Z",
                ms / 60_000 % 60,
                ms / 1000 % 60,
                ms % 1000
            )
        };
        edge.push_str(&format!(
            "{{\"ts\":\"{}\",\"service\":\"edge\",\"request_id\":\"r{k}\",\"method\":\"GET\",\"path\":\"/{tag}/{}\",\"status\":200,\"duration_ms\":40}}\n",
            t(40),
            k % 7
        ));
        auth.push_str(&format!(
            "{{\"ts\":\"{}\",\"service\":\"auth\",\"request_id\":\"r{k}\",\"method\":\"POST\",\"path\":\"/check\",\"status\":200,\"duration_ms\":10}}\n",
            t(30)
        ));
    }
    fs::write(dir.join("edge.log"), edge).unwrap();
    fs::write(dir.join("auth.log"), auth).unwrap();
}

/// Every file under `dir` with its bytes (dot files included), sorted.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            let meta = fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                stack.push(p);
            } else if rel != ".logtrace-lock" {
                out.push((rel, fs::read(&p).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

/// Entries beside `dir` that an interrupted run would leave.
fn leftovers(dir: &Path) -> Vec<String> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!(".{name}.")))
        .collect()
}

/// `logtrace report INPUT -o OUT`, which must succeed.
fn report(input: &Path, out: &Path) {
    logtrace()
        .arg("report")
        .arg(input)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
}

fn events(report: &Path) -> u64 {
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(report.join("report.json")).unwrap()).unwrap();
    v["input"]["events"].as_u64().unwrap()
}

#[test]
fn export_never_replaces_an_input_and_needs_force_for_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let ex = tmp.path().join("ex");
    logs(&ex, 20, "a");
    let before = fs::read(ex.join("auth.log")).unwrap();
    for (out, force) in [
        ("ex/auth.log", false),
        ("ex/auth.log", true),
        ("ex/new.json", true),
    ] {
        let mut cmd = logtrace();
        cmd.current_dir(tmp.path())
            .args(["export", "ex", "--to", "jaeger", "-o", out]);
        if force {
            cmd.arg("--force");
        }
        let a = cmd.assert().code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
        assert!(err.contains("inside the input folder"), "{err}");
    }
    assert_eq!(fs::read(ex.join("auth.log")).unwrap(), before);
    assert!(!ex.join("new.json").exists());
    // An existing file is replaced only with --force; a symlink there is
    // replaced itself, never written through.
    let victim = tmp.path().join("victim.txt");
    fs::write(&victim, "precious").unwrap();
    let out = tmp.path().join("traces.json");
    std::os::unix::fs::symlink(&victim, &out).unwrap();
    let export = |force: bool| {
        let mut cmd = logtrace();
        cmd.arg("export")
            .arg(&ex)
            .args(["--to", "zipkin", "-o"])
            .arg(&out);
        if force {
            cmd.arg("--force");
        }
        cmd.assert()
    };
    let a = export(false).code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("--force"));
    export(true).success();
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    assert!(fs::symlink_metadata(&out).unwrap().is_file());
    assert!(fs::read(&out).unwrap().starts_with(b"["));
}

#[test]
fn the_report_folder_is_left_out_by_identity_not_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    logs(&input, 30, "a");
    // A log folder that happens to have the report folder's name.
    logs(&input.join("host2/rep"), 10, "b");
    let out = input.join("rep");
    let run = || {
        report(&input, &out);
        events(&out)
    };
    let first = run();
    assert_eq!(first, 80);
    assert_eq!(
        run(),
        first,
        "the second run read its own report or skipped host2/rep"
    );
    // The input itself as the report folder would replace the logs.
    let a = logtrace()
        .arg("report")
        .arg(&input)
        .arg("-o")
        .arg(&input)
        .arg("--force")
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("holds the input"));
}

#[test]
fn a_planted_charts_symlink_is_replaced_and_its_target_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    logs(&input, 20, "a");
    let out = tmp.path().join("rep");
    report(&input, &out);
    let elsewhere = tmp.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::write(elsewhere.join("traffic.svg"), "precious").unwrap();
    fs::remove_dir_all(out.join("charts")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("charts")).unwrap();
    report(&input, &out);
    assert_eq!(
        fs::read(elsewhere.join("traffic.svg")).unwrap(),
        b"precious"
    );
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 1);
    assert!(fs::symlink_metadata(out.join("charts")).unwrap().is_dir());
    assert!(out.join("charts/traffic.svg").is_file());
}

#[test]
fn a_fifo_in_the_report_folder_does_not_stall_the_check() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    logs(&input, 5, "a");
    let out = tmp.path().join("rep");
    fs::create_dir(&out).unwrap();
    let status = Process::new("mkfifo")
        .arg(out.join("report.json"))
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let a = logtrace()
        .arg("report")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("not a logtrace report"));
    assert!(started.elapsed() < Duration::from_secs(60));
}

/// Waits until `lock` names `pid`: the run holds the folder.
fn wait_for_lock(lock: &Path, child: &mut Child) -> bool {
    let pid = child.id().to_string();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if fs::read_to_string(lock).is_ok_and(|s| s.trim() == pid) {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

fn signal(child: &Child, sig: &str) {
    let ok = Process::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn a_second_run_into_the_same_folder_stops_at_once_with_in_use() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    logs(&input, 400, "a");
    let out = tmp.path().join("rep");
    let mut first = None;
    for _ in 0..5 {
        let mut a = Process::new(bin())
            .arg("report")
            .arg(&input)
            .arg("-o")
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if wait_for_lock(&out.join(".logtrace-lock"), &mut a) {
            signal(&a, "-STOP");
            first = Some(a);
            break;
        }
        a.wait().unwrap();
    }
    let mut a = first.expect("the first run never held the folder");
    // The second run names an input that does not exist: the folder is
    // checked first, so "in use" is what it says, before reading anything.
    let b = logtrace()
        .arg("report")
        .arg(tmp.path().join("no-such-logs"))
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&b.get_output().stderr).into_owned();
    assert!(err.contains("in use by another logtrace run"), "{err}");
    assert!(err.contains(&format!("process {}", a.id())), "{err}");
    signal(&a, "-CONT");
    assert!(a.wait().unwrap().success());
    assert_eq!(events(&out), 800);
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
}

#[test]
fn a_run_killed_while_writing_leaves_one_whole_report() {
    let tmp = tempfile::tempdir().unwrap();
    let (old_in, new_in) = (tmp.path().join("old"), tmp.path().join("new"));
    logs(&old_in, 50, "old");
    logs(&new_in, 300, "new");
    let out = tmp.path().join("rep");
    let report = |input: &Path, out: &Path| {
        logtrace()
            .arg("report")
            .arg(input)
            .arg("-o")
            .arg(out)
            .arg("--png")
            .assert()
            .success();
    };
    report(&old_in, &out);
    let old = snapshot(&out);
    let reference = tmp.path().join("reference");
    report(&new_in, &reference);
    let new = snapshot(&reference);
    let name = out.file_name().unwrap().to_string_lossy().into_owned();
    let mut killed_mid_write = 0;
    for _ in 0..20 {
        let mut child = Process::new(bin())
            .arg("report")
            .arg(&new_in)
            .arg("-o")
            .arg(&out)
            .arg("--png")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Killed as soon as it starts to write the new report beside the old one.
        let staged = loop {
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            let seen = fs::read_dir(tmp.path()).unwrap().any(|e| {
                let n = e.unwrap().file_name().to_string_lossy().into_owned();
                n.starts_with(&format!(".{name}.logtrace-new-"))
            });
            if seen {
                break true;
            }
        };
        let _ = child.kill();
        child.wait().unwrap();
        let now = snapshot(&out);
        assert!(
            now == old || now == new,
            "the folder mixes two runs: {:?}",
            now.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        if staged && now == old {
            killed_mid_write += 1;
            // The next run cleans up after the killed one.
            let a = logtrace()
                .arg("report")
                .arg(&old_in)
                .arg("-o")
                .arg(&out)
                .arg("--png")
                .assert()
                .success();
            let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
            assert!(err.contains("left by an interrupted run"), "{err}");
            assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
            assert_eq!(snapshot(&out), old);
            if killed_mid_write >= 2 {
                break;
            }
        } else if now == new {
            report(&old_in, &out);
        }
    }
    assert!(killed_mid_write > 0, "no run was caught while writing");
}

#[test]
fn the_file_size_limit_is_a_clear_error_and_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    logs(&input, 200, "a");
    let limited = |args: &[&std::ffi::OsStr]| {
        // 16 blocks of 512 bytes: the lock and marker fit, report.json does not.
        let out = Process::new("sh")
            .arg("-c")
            .arg("ulimit -f 16 && exec \"$0\" \"$@\"")
            .arg(bin())
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let out = tmp.path().join("rep");
    let report_args = [
        "report".as_ref(),
        input.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ];
    let (code, err) = limited(&report_args);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("file-size limit"), "{err}");
    assert!(!out.exists());
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    // Over an earlier report: the earlier report stays whole.
    report(&input, &out);
    let before = snapshot(&out);
    let (code, err) = limited(&report_args);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(snapshot(&out), before);
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    // An export: no file, no temporary file.
    let file = tmp.path().join("traces.json");
    let (code, err) = limited(&[
        "export".as_ref(),
        input.as_os_str(),
        "--to".as_ref(),
        "jaeger".as_ref(),
        "-o".as_ref(),
        file.as_os_str(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("file-size limit") && err.contains("nothing was written"),
        "{err}"
    );
    let names: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.contains("traces.json")),
        "{names:?}"
    );
}
