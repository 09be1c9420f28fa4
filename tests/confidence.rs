//! How sure the rebuilt call chains are, as the user sees it: `report`,
//! `trace` and `export` run on logs written here with a known truth.
//!
//! Each of `N` requests enters `edge` (a JSON line with its request id, trace
//! id and span id, 100 ms). Half are a checkout, which
//! - calls `orders` [10, 60] ms, which logs `edge`'s span id as its parent:
//!   a call the ids say;
//! - calls `audit` [70, 80] ms, which logs the request id only: a call only
//!   timing can place;
//! - through `orders`, reaches `payments` [20, 40] ms, whose logged parent id
//!   is a sidecar span no line carries: a placeholder `(not in logs)`, itself
//!   under `orders` by timing.
//!
//! The first checkout takes 3 s instead of 100 ms: the slowest trace.
//! The other half are a signup, which queues a job: `worker` runs [2100,
//! 2300] ms with the request id only, after `edge` answered, on the same host
//! (its lines in `edge`'s file: one clock, so no clock offset can explain the
//! gap): an async hop that follows from `edge`, the only span before it.
//!
//! And issue 15's case: one trace id on spans over 2 h 46 m under a root that
//! logged 469 ms is a trace of 2 h 46 m, not of 469 ms.

use std::fmt::Write as _;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

mod common;

const N: usize = 20;
/// 2024-03-01T12:00:00Z in ms.
const T0_MS: i64 = 1_709_294_400_000;

fn logtrace() -> Command {
    Command::cargo_bin("logtrace").unwrap()
}

fn stamp(ms: i64) -> String {
    let (s, ms) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (d, sod) = (s.div_euclid(86_400), s.rem_euclid(86_400));
    // 2024-03-01 is day 19783 since the epoch; the logs stay within it.
    assert_eq!(d, 19_783);
    format!(
        "2024-03-01T{:02}:{:02}:{:02}.{ms:03}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

/// One JSON line ending at `end_ms` (after T0) that took `dur_ms`, with `fields`.
fn line(out: &mut String, service: &str, end_ms: i64, dur_ms: i64, fields: &str) {
    let _ = writeln!(
        out,
        r#"{{"timestamp":"{}","level":"info","service":"{service}","status":200,"duration_ms":{dur_ms}{fields}}}"#,
        stamp(T0_MS + end_ms)
    );
}

/// The logs of the `N` requests described above, one file per service.
fn write_logs(dir: &Path) {
    let mut files: [(&str, String); 4] = [
        ("edge", String::new()),
        ("orders", String::new()),
        ("audit", String::new()),
        ("payments", String::new()),
    ];
    for k in 0..N {
        let at = k as i64 * 5_000;
        let (rid, tid) = (format!("req-{k:03}"), format!("{:032x}", 0xabc000 + k));
        let span = |n: u64| format!("{:016x}", (k as u64 + 1) << 8 | n);
        let [edge, orders, audit, payments] = &mut files;
        if k % 2 == 1 {
            line(
                &mut edge.1,
                "edge",
                at + 100,
                100,
                &format!(
                    r#","method":"POST","path":"/signup","request_id":"{rid}","trace_id":"{tid}","span_id":"{}""#,
                    span(1)
                ),
            );
            line(
                &mut edge.1,
                "worker",
                at + 2_300,
                200,
                &format!(r#","method":"POST","path":"/jobs/welcome","request_id":"{rid}""#),
            );
            continue;
        }
        // The first checkout is the slowest trace: 3 s.
        let edge_ms = if k == 0 { 3_000 } else { 100 };
        line(
            &mut edge.1,
            "edge",
            at + edge_ms,
            edge_ms,
            &format!(
                r#","method":"POST","path":"/checkout","request_id":"{rid}","trace_id":"{tid}","span_id":"{}""#,
                span(1)
            ),
        );
        line(
            &mut orders.1,
            "orders",
            at + 60,
            50,
            &format!(
                r#","method":"POST","path":"/orders","trace_id":"{tid}","span_id":"{}","parent_id":"{}""#,
                span(2),
                span(1)
            ),
        );
        line(
            &mut audit.1,
            "audit",
            at + 80,
            10,
            &format!(r#","method":"POST","path":"/audit","request_id":"{rid}""#),
        );
        line(
            &mut payments.1,
            "payments",
            at + 40,
            20,
            &format!(
                r#","method":"POST","path":"/charge","trace_id":"{tid}","span_id":"{}","parent_id":"{}""#,
                span(4),
                span(3)
            ),
        );
    }
    for (name, text) in files {
        std::fs::write(dir.join(format!("{name}.log")), text).unwrap();
    }
}

/// `report`'s report.json and terminal summary.
fn report(input: &Path, out: &Path) -> (Value, String) {
    let run = logtrace()
        .arg("report")
        .arg(input)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
    let json = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    (
        json,
        String::from_utf8(run.get_output().stdout.clone()).unwrap(),
    )
}

#[test]
fn report_says_which_calls_rest_on_timing() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    write_logs(&logs);
    let out = tmp.path().join("report");
    let (r, terminal) = report(&logs, &out);

    let deps: Vec<(String, String, u64, u64)> = r["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["caller"].as_str().unwrap().to_owned(),
                d["callee"].as_str().unwrap().to_owned(),
                d["calls"].as_u64().unwrap(),
                d["calls_inferred"].as_u64().unwrap(),
            )
        })
        .collect();
    let n = N as u64 / 2;
    let want = |c: &str, d: &str, inferred: u64| (c.to_owned(), d.to_owned(), n, inferred);
    assert_eq!(
        deps,
        vec![
            want("edge", "audit", n),
            want("edge", "orders", 0),
            want("edge", "worker", n),
            want("orders", "payments", n),
        ]
    );
    let q = &r["data_quality"];
    let count = |k: &str| q[k].as_u64().unwrap_or_else(|| panic!("no {k} in {q}"));
    // audit, worker and the placeholder by timing; payments under its
    // placeholder by id. A worker's only possible caller is edge: those 10
    // are never ambiguous (audit's and the placeholder's may be, within
    // what the clocks leave open).
    assert_eq!(count("inferred_parents"), 3 * n);
    assert!(count("ambiguous_parents") <= 2 * n);
    assert_eq!(count("async_links"), n);
    assert_eq!(count("placeholder_parents"), n);
    assert_eq!(count("unplaced_spans"), 0);
    // No service is "(not in logs)" or "(none)": a placeholder is no request.
    let services: Vec<&str> = r["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(services, ["audit", "edge", "orders", "payments", "worker"]);
    // One clock, calls that fit: nothing applied.
    let offsets = q["clock_offsets"].as_array().unwrap();
    assert!(offsets.iter().all(|c| c["applied"] == false), "{offsets:?}");

    // The summaries show the share and the counts.
    assert!(
        terminal.contains(
            "30 of 40 calls between services rest on timing alone (75.0%); 3 of 4 edges entirely"
        ),
        "{terminal}"
    );
    assert!(terminal.contains("10 spans started after their parent ended"));
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("| Caller | Callee | Calls | Inferred |"),
        "{md}"
    );
    assert!(md.contains("| edge | audit | 10 | all |"), "{md}");
    assert!(md.contains("| edge | orders | 10 | - |"), "{md}");
    assert!(
        md.contains("30 parents inferred from timing, not logged ids"),
        "{md}"
    );
    assert!(md.contains("10 spans started after their parent ended: async hops"));
    assert!(md.contains("10 parent span ids appear only as their children's parent"));
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("30 parents inferred from timing, not logged ids"));

    // The service map: timing-only edges dashed, the id edge solid.
    let map = std::fs::read_to_string(out.join("charts/service_map.svg")).unwrap();
    let edge = |c: &str, d: &str| {
        map.lines()
            .find(|l| l.contains(&format!("data-caller=\"{c}\" data-callee=\"{d}\"")))
            .unwrap_or_else(|| panic!("no {c} -> {d} in\n{map}"))
    };
    assert!(!edge("edge", "orders").contains("stroke-dasharray"));
    for (c, d) in [
        ("edge", "audit"),
        ("edge", "worker"),
        ("orders", "payments"),
    ] {
        assert!(edge(c, d).contains("stroke-dasharray"), "{c} -> {d}");
    }
    assert!(map.contains("dashed: calls inferred from timing only"));

    // The slowest trace (the first checkout) draws the placeholder, the
    // next (signups) the hop.
    let w =
        |n: usize| std::fs::read_to_string(out.join(format!("charts/waterfall-{n}.svg"))).unwrap();
    let checkout = w(1);
    assert!(checkout.contains("POST /checkout"), "{checkout}");
    assert!(checkout.contains("data-placeholder=\"1\""), "{checkout}");
    assert!(checkout.contains("(not in logs): a parent id its children logged"));
    assert!(!checkout.contains("follows-from"));
    let signup = w(2);
    assert!(signup.contains("class=\"follows-from\""), "{signup}");
    assert!(signup.contains("follows from (async: started after its parent ended"));
}

#[test]
fn trace_and_exports_show_hops_and_placeholders() {
    let tmp = tempfile::tempdir().unwrap();
    write_logs(tmp.path());
    let trace = |id: &str| {
        let out = logtrace()
            .args(["trace", id])
            .arg(tmp.path())
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let checkout = trace("req-002");
    // req-002 is request k = 2: payments' parent is span 3 of it.
    let payments_parent = format!("{:016x}", 3u64 << 8 | 3);
    assert!(
        checkout.contains(&format!("~(not in logs) {payments_parent}")),
        "{checkout}"
    );
    assert!(checkout.contains("~audit POST /audit"), "{checkout}");
    assert!(!checkout.contains('↷'), "{checkout}");
    let signup = trace("req-003");
    assert!(signup.contains("~↷worker POST /jobs/welcome"), "{signup}");
    assert!(signup.contains("↷ follows from a parent that had ended (async)"));

    let export = |to: &str| -> Value {
        let out = logtrace()
            .args(["export", "--to", to, "-o", "-"])
            .args(["--trace", "req-002", "--trace", "req-003"])
            .arg(tmp.path())
            .assert()
            .success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    };
    let j = export("jaeger");
    let spans: Vec<&Value> = j["data"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["spans"].as_array().unwrap())
        .collect();
    let by_op = |op: &str| *spans.iter().find(|s| s["operationName"] == op).unwrap();
    let signup_id = by_op("POST /signup")["spanID"].clone();
    let worker = &by_op("POST /jobs/welcome")["references"][0];
    assert_eq!(worker["refType"], "FOLLOWS_FROM");
    assert_eq!(worker["spanID"], signup_id);
    let ph = by_op("(not in logs)");
    assert_eq!(ph["spanID"], payments_parent.as_str());
    assert_eq!(
        by_op("POST /charge")["references"][0]["spanID"],
        payments_parent.as_str()
    );
    assert_eq!(by_op("POST /audit")["references"][0]["refType"], "CHILD_OF");

    let o = export("otlp");
    let all: Vec<&Value> = o["resourceSpans"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["scopeSpans"][0]["spans"].as_array().unwrap())
        .collect();
    let worker = all
        .iter()
        .find(|s| s["name"] == "POST /jobs/welcome")
        .unwrap();
    assert_eq!(worker["links"][0]["spanId"], signup_id);
    assert_eq!(worker["parentSpanId"], signup_id);
    assert!(all.iter().any(|s| s["name"] == "(not in logs)"));

    let z = export("zipkin");
    let worker = z
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "POST /jobs/welcome")
        .unwrap();
    assert_eq!(worker["tags"]["logtrace.link"], "follows_from");

    let c = export("chrome");
    assert!(c["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "(not in logs)" && e["args"]["logtrace.placeholder"] == true));
}

/// Issue 15: a trace id reused for 2 h 46 m under a root that logged 469 ms.
#[test]
fn one_id_over_hours_is_not_a_469_ms_trace() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let tid = "4bf92f3577b34da6a3ce929d0e0e4736";
    let root = "00f067aa0ba902b7";
    let mut edge = String::new();
    line(
        &mut edge,
        "edge",
        469,
        469,
        &format!(r#","method":"GET","path":"/","trace_id":"{tid}","span_id":"{root}""#),
    );
    let mut api = String::new();
    let hours_ms = (2 * 3600 + 46 * 60) * 1000;
    for k in 0..2000i64 {
        line(
            &mut api,
            "api",
            15 + k * hours_ms / 1999,
            5,
            &format!(
                r#","method":"GET","path":"/x","trace_id":"{tid}","span_id":"{:016x}","parent_id":"{root}""#,
                k + 1
            ),
        );
    }
    std::fs::write(logs.join("edge.log"), edge).unwrap();
    std::fs::write(logs.join("api.log"), api).unwrap();
    let (r, _) = report(&logs, &tmp.path().join("report"));
    let slowest = &r["traces"]["slowest"][0];
    assert_eq!(slowest["id"], tid);
    assert_eq!(slowest["root"], "edge GET /");
    // From the root's start (T0) to the last call's end.
    assert_eq!(slowest["duration_ms"], (hours_ms + 15) as f64);
}

/// A call that failed and was retried, under a request that answered 200,
/// is a recovered error: counted in its operation's `errors` and
/// `recovered_errors`, and the trace did not fail. The same failure under a
/// request that failed with it is not recovered.
#[test]
fn a_retried_failure_is_a_recovered_error_and_fails_no_trace() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let json = |out: &mut String, svc: &str, end_ms: i64, dur: i64, status: u16, ids: &str| {
        let _ = writeln!(
            out,
            r#"{{"timestamp":"{}","level":"info","service":"{svc}","status":{status},"duration_ms":{dur},"method":"GET","path":"/stock",{ids}}}"#,
            stamp(T0_MS + end_ms)
        );
    };
    let (mut edge, mut inventory) = (String::new(), String::new());
    for k in 0..2i64 {
        let at = k * 5_000;
        let tid = format!("{:032x}", 0xfeed00 + k);
        let (root, a, b) = (
            format!("{:016x}", 0x100 + k),
            format!("{:016x}", 0x200 + k),
            format!("{:016x}", 0x300 + k),
        );
        // k = 0: the retry answered and so did the request; k = 1: both failed.
        let (retry, answer) = if k == 0 { (200, 200) } else { (503, 503) };
        json(
            &mut edge,
            "edge",
            at + 100,
            100,
            answer,
            &format!(r#""trace_id":"{tid}","span_id":"{root}""#),
        );
        json(
            &mut inventory,
            "inventory",
            at + 20,
            10,
            503,
            &format!(r#""trace_id":"{tid}","span_id":"{a}","parent_id":"{root}""#),
        );
        json(
            &mut inventory,
            "inventory",
            at + 35,
            10,
            retry,
            &format!(r#""trace_id":"{tid}","span_id":"{b}","parent_id":"{root}""#),
        );
    }
    std::fs::write(logs.join("edge.log"), edge).unwrap();
    std::fs::write(logs.join("inventory.log"), inventory).unwrap();
    let (r, terminal) = report(&logs, &tmp.path().join("out"));
    let note = "1 errors recovered: a caller that waited for them did not fail";
    assert!(terminal.contains(note), "{terminal}");
    let md = std::fs::read_to_string(tmp.path().join("out/summary.md")).unwrap();
    assert!(md.contains(note), "{md}");
    let service = |name: &str| {
        r["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };
    let inv = service("inventory");
    assert_eq!(
        (inv["errors"].as_u64(), inv["recovered_errors"].as_u64()),
        (Some(3), Some(1)),
        "{inv}"
    );
    let edge = service("edge");
    assert_eq!(
        (edge["errors"].as_u64(), edge["recovered_errors"].as_u64()),
        (Some(1), Some(0)),
        "{edge}"
    );
    let op = r["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["service"] == "inventory")
        .unwrap();
    assert_eq!(op["recovered_errors"].as_u64(), Some(1), "{op}");
    assert_eq!(
        r["traces"]["with_errors"].as_u64(),
        Some(1),
        "{}",
        r["traces"]
    );
}
