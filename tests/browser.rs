//! `index.html` in a real browser: headless Chromium (Debian's `chromium`
//! package, which `.ci/run` installs) loads the report page from a file:// URL
//! with no console message and no network request, and a screenshot is left in
//! `target/report-screenshot.png` for review. Without `/usr/bin/chromium` the
//! test prints a notice and passes, except under `LOGTRACE_REQUIRE_ALL=1`
//! (as `.ci/run` sets), where it fails.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

const CHROMIUM: &str = "/usr/bin/chromium";

/// What one headless run left behind.
struct Run {
    stdout: String,
    stderr: String,
    /// Chromium's network log (JSON).
    netlog: String,
}

/// Runs headless Chromium on `page` with `extra` flags, a fresh profile and a
/// network log, and no way to reach a real host.
fn chromium(page: &Path, work: &Path, name: &str, extra: &[String]) -> Run {
    let profile = work.join(format!("profile-{name}"));
    let netlog = work.join(format!("netlog-{name}.json"));
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--no-default-browser-check",
            "--enable-logging=stderr",
            "--v=0",
            "--log-level=0",
            // Nothing resolves: a request the page made would fail, never leave the machine.
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--log-net-log={}", netlog.display()))
        .args(extra)
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start chromium");
    // Read both pipes on threads so a chatty browser never blocks on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).ok();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut err, &mut s).ok();
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(120) {
            // Our own child, by its handle.
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stderr = err.join().unwrap();
    assert!(status.success(), "chromium failed ({status}):\n{stderr}");
    Run {
        stdout: out.join().unwrap(),
        stderr,
        netlog: fs::read_to_string(&netlog).unwrap_or_default(),
    }
}

/// Console messages the page produced (Chromium logs them as `CONSOLE` lines).
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect()
}

/// URLs the page itself asked for, other than its own file: requests started
/// for the page's file:// site. The browser's own background requests
/// (updates, accounts) belong to no page and are not counted.
fn page_requests(netlog: &str) -> Vec<String> {
    // A log cut short at exit lacks its closing brackets.
    let v: serde_json::Value = serde_json::from_str(netlog)
        .or_else(|_| {
            serde_json::from_str(&format!("{}]}}", netlog.trim_end().trim_end_matches(',')))
        })
        .unwrap_or_else(|e| panic!("cannot read chromium's network log: {e}"));
    let Some(start_job) = v["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].as_u64() else {
        panic!("no URL_REQUEST_START_JOB in the network log's constants");
    };
    let mut urls = Vec::new();
    for e in v["events"].as_array().into_iter().flatten() {
        if e["type"].as_u64() != Some(start_job) {
            continue;
        }
        let p = &e["params"];
        let url = p["url"].as_str().unwrap_or("");
        let key = p["network_isolation_key"].as_str().unwrap_or("");
        if key.contains("file://") && !url.starts_with("file:") {
            urls.push(url.to_owned());
        }
    }
    urls
}

fn report(input: &Path, out: &Path) {
    assert_cmd::Command::cargo_bin("logtrace")
        .unwrap()
        .arg("report")
        .arg(input)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
}

fn screenshot_path() -> PathBuf {
    common::root().join("target/report-screenshot.png")
}

#[test]
fn the_report_page_loads_offline_without_errors() {
    if !Path::new(CHROMIUM).exists() {
        common::missing("/usr/bin/chromium (apt-get install chromium)");
        return;
    }
    let fixture = common::root().join("fixtures/incident");
    if !fixture.is_dir() {
        common::missing("fixtures/incident");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("report");
    report(&fixture, &dir);
    let page = dir.join("index.html");
    let charts = fs::read_dir(dir.join("charts"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "svg")
        })
        .count();

    // The DOM after load: the page and every chart are there.
    let run = chromium(&page, tmp.path(), "dom", &["--dump-dom".into()]);
    assert!(
        run.stdout.contains("<main>"),
        "the page did not load:\n{}",
        run.stderr
    );
    assert!(run.stdout.contains("Slowest call chains"));
    assert_eq!(
        run.stdout.matches("<svg").count(),
        charts,
        "not every chart is in the DOM"
    );
    assert!(!run.stdout.contains("<script"));
    assert_eq!(
        console_lines(&run.stderr),
        Vec::<&str>::new(),
        "console messages"
    );
    assert_eq!(
        page_requests(&run.netlog),
        Vec::<String>::new(),
        "network requests"
    );

    // A screenshot at a laptop's size, for people to look at.
    let shot = screenshot_path();
    fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let _ = fs::remove_file(&shot);
    let run = chromium(
        &page,
        tmp.path(),
        "shot",
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1366,900".into(),
            "--hide-scrollbars".into(),
        ],
    );
    assert_eq!(
        console_lines(&run.stderr),
        Vec::<&str>::new(),
        "console messages"
    );
    assert_eq!(
        page_requests(&run.netlog),
        Vec::<String>::new(),
        "network requests"
    );
    let png = fs::read(&shot).expect("no screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    assert_eq!((be(&png[16..20]), be(&png[20..24])), (1366, 900));
    eprintln!("screenshot: {}", shot.display());
}

#[test]
fn hostile_log_text_is_not_run_by_the_browser() {
    if !Path::new(CHROMIUM).exists() {
        common::missing("/usr/bin/chromium (apt-get install chromium)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs/web");
    fs::create_dir_all(&logs).unwrap();
    let line = |s: u32, status: u32| {
        format!(
            "10.0.0.1 - - [01/Mar/2024:12:00:0{s} +0000] \"GET /<script>alert(1)</script> HTTP/1.1\" \
             {status} 12 \"-\" \"curl/8\" 0.05{s}\n"
        )
    };
    fs::write(
        logs.join("access.log"),
        line(0, 500) + &line(1, 200) + &line(2, 200),
    )
    .unwrap();
    fs::write(
        logs.join("app.log"),
        "{\"time\":\"2024-03-01T12:00:00Z\",\"level\":\"error\",\"service\":\"app\",\
         \"message\":\"<img src=http://192.0.2.1/x.png onerror=alert(1)> `x` | y\"}\n",
    )
    .unwrap();
    let dir = tmp.path().join("report");
    report(&tmp.path().join("logs"), &dir);
    let run = chromium(
        &dir.join("index.html"),
        tmp.path(),
        "hostile",
        &["--dump-dom".into()],
    );
    assert!(
        run.stdout.contains("<main>"),
        "the page did not load:\n{}",
        run.stderr
    );
    assert!(
        !run.stdout.contains("<script"),
        "a script element was parsed"
    );
    assert!(!run.stdout.contains("<img"), "an image element was parsed");
    assert!(run
        .stdout
        .contains("/&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(
        console_lines(&run.stderr),
        Vec::<&str>::new(),
        "console messages"
    );
    assert_eq!(
        page_requests(&run.netlog),
        Vec::<String>::new(),
        "network requests"
    );
}

#[test]
fn the_request_check_sees_a_page_that_fetches() {
    // The checks above must be able to fail: a page with a remote image and a
    // script that logs is caught by both.
    if !Path::new(CHROMIUM).exists() {
        common::missing("/usr/bin/chromium (apt-get install chromium)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("bad.html");
    fs::write(
        &page,
        "<!DOCTYPE html><html><body><p>x</p><img src=\"http://192.0.2.1/x.png\"/>\
         <script>console.error(\"boom\")</script></body></html>",
    )
    .unwrap();
    let run = chromium(&page, tmp.path(), "bad", &["--dump-dom".into()]);
    assert_eq!(
        page_requests(&run.netlog),
        vec!["http://192.0.2.1/x.png".to_owned()]
    );
    assert!(
        console_lines(&run.stderr)
            .iter()
            .any(|l| l.contains("boom")),
        "{}",
        run.stderr
    );
}
