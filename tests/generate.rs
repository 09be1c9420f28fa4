//! The incident generator: the checked-in fixture is what the generator writes,
//! and the ground truth agrees with the logs it describes.
//!
//! `LOGTRACE_BLESS=1 cargo test --test generate` rewrites fixtures/incident.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use logtrace::generate::{generate, nearest_rank, GenOptions, Truth};

/// The checked-in fixture, rewritten first (once, before any test reads it)
/// when `LOGTRACE_BLESS=1`.
fn fixture_dir() -> PathBuf {
    static BLESS: std::sync::Once = std::sync::Once::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/incident");
    BLESS.call_once(|| {
        if std::env::var_os("LOGTRACE_BLESS").is_some_and(|v| v == "1") {
            let _ = std::fs::remove_dir_all(&dir);
            generate(&dir, &GenOptions::fixture()).unwrap();
            eprintln!("rewrote {}", dir.display());
        }
    });
    dir
}

/// Relative path -> bytes of every file under `dir`.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The decompressed content of a generated file.
fn content(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        out = zstd::decode_all(bytes).unwrap();
    } else {
        out = bytes.to_vec();
    }
    out
}

fn lines_of(bytes: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

fn generated(opts: &GenOptions) -> (tempfile::TempDir, Truth, BTreeMap<String, Vec<u8>>) {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("incident");
    let truth = generate(&logs, opts).unwrap();
    let tree = read_tree(&logs);
    (dir, truth, tree)
}

#[test]
fn checked_in_fixture_is_what_the_generator_writes() {
    let checked_in = read_tree(&fixture_dir());
    let (_tmp, _, fresh) = generated(&GenOptions::fixture());
    let names = |t: &BTreeMap<String, Vec<u8>>| t.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&checked_in),
        names(&fresh),
        "fixtures/incident is stale: run `LOGTRACE_BLESS=1 cargo test --test generate`"
    );
    for (name, bytes) in &fresh {
        assert!(
            checked_in[name] == *bytes,
            "fixtures/incident/{name} differs from the generator's output: run `LOGTRACE_BLESS=1 cargo test --test generate`"
        );
    }
    let total: usize = checked_in.values().map(Vec::len).sum();
    assert!(
        total < 2_000_000,
        "the fixture must stay under 2 MB, is {total} bytes"
    );
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let opts = GenOptions {
        requests: 300,
        ..GenOptions::default()
    };
    let (_a, ta, a) = generated(&opts);
    let (_b, tb, b) = generated(&opts);
    assert_eq!(ta, tb);
    assert_eq!(a, b);
    let (_c, _, c) = generated(&GenOptions { seed: 43, ..opts });
    assert_ne!(a["auth/auth.log"], c["auth/auth.log"]);
}

/// The fixture's truth, checked against its own logs.
struct Fixture {
    truth: Truth,
    files: BTreeMap<String, Vec<u8>>,
}

fn fixture() -> Fixture {
    let dir = fixture_dir();
    let truth: Truth =
        serde_json::from_slice(&std::fs::read(logtrace::generate::truth_path(&dir)).unwrap())
            .unwrap();
    let files = read_tree(&dir)
        .into_iter()
        .map(|(k, v)| (k, content(&v)))
        .collect();
    Fixture { truth, files }
}

impl Fixture {
    fn lines_under(&self, prefix: &str) -> Vec<&[u8]> {
        self.files
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .flat_map(|(_, v)| lines_of(v))
            .collect()
    }
}

#[test]
fn every_file_has_the_line_counts_its_truth_states() {
    let f = fixture();
    assert_eq!(f.truth.files.len(), f.files.len(), "truth names every file");
    for (name, ft) in &f.truth.files {
        let bytes = &f.files[name];
        if ft.skipped {
            assert!(
                bytes.iter().filter(|&&b| b == 0 || b > 0x7f).count() > bytes.len() / 4,
                "{name} is binary"
            );
            continue;
        }
        assert_eq!(lines_of(bytes).len() as u64, ft.lines, "{name}");
        let unreadable: u64 = ft.malformed.values().sum();
        assert_eq!(
            ft.entries + ft.continuation + unreadable,
            ft.lines,
            "{name}: every line is an entry, a continuation or malformed"
        );
        let crlf = lines_of(bytes)
            .iter()
            .filter(|l| l.ends_with(b"\r"))
            .count() as u64;
        assert_eq!(crlf, ft.quirks.get("crlf").copied().unwrap_or(0), "{name}");
        let bad_utf8 = lines_of(bytes)
            .iter()
            .filter(|l| std::str::from_utf8(l).is_err())
            .count() as u64;
        assert_eq!(
            bad_utf8,
            ft.quirks.get("invalid_utf8").copied().unwrap_or(0),
            "{name}"
        );
        let nul = lines_of(bytes)
            .iter()
            .filter(|l| l.first() == Some(&0))
            .count() as u64;
        assert_eq!(
            nul,
            ft.quirks.get("nul_padding").copied().unwrap_or(0),
            "{name}"
        );
        let long = lines_of(bytes).iter().filter(|l| l.len() > 1 << 20).count() as u64;
        assert_eq!(
            long,
            ft.malformed.get("long_line").copied().unwrap_or(0),
            "{name}"
        );
        let truncated = u64::from(!bytes.ends_with(b"\n"));
        assert_eq!(
            truncated,
            ft.malformed.get("truncated").copied().unwrap_or(0),
            "{name}"
        );
    }
    // Each kind of damage is somewhere in the fixture.
    let kinds: Vec<&String> = f
        .truth
        .files
        .values()
        .flat_map(|t| t.malformed.keys().chain(t.quirks.keys()))
        .collect();
    for k in [
        "crlf",
        "invalid_utf8",
        "nul_padding",
        "cri_partial",
        "long_line",
        "truncated",
        "unknown_format",
    ] {
        assert!(kinds.iter().any(|x| *x == k), "no {k} in the fixture");
    }
    assert!(f.truth.files.values().any(|t| t.skipped));
    let comp: Vec<&str> = f
        .truth
        .files
        .values()
        .map(|t| t.compression.as_str())
        .collect();
    assert!(comp.contains(&"gzip") && comp.contains(&"zstd"));
}

/// `$request_time` of every access line, in ms.
fn access_times(lines: &[&[u8]]) -> Vec<u64> {
    lines
        .iter()
        .map(|l| {
            let s = std::str::from_utf8(l).unwrap();
            let rt = s.rsplit(' ').nth(2).unwrap();
            let (a, b) = rt.split_once('.').unwrap();
            a.parse::<u64>().unwrap() * 1000 + b.parse::<u64>().unwrap()
        })
        .collect()
}

#[test]
fn edge_counts_and_percentiles_match_the_access_lines() {
    let f = fixture();
    let t = &f.truth;
    let lines = f.lines_under("edge/");
    let edge = &t.services["edge"];
    assert_eq!(lines.len() as u64, t.requests);
    assert_eq!(edge.all.count, t.requests);
    assert_eq!(
        edge.operations.values().map(|o| o.count).sum::<u64>(),
        t.requests
    );
    assert_eq!(t.traces, t.requests);
    let mut times = access_times(&lines);
    times.sort_unstable();
    let p = &edge.all.latency_ms;
    assert_eq!(p.p50, nearest_rank(&times, 500));
    assert_eq!(p.p99, nearest_rank(&times, 990));
    assert_eq!(p.max, *times.last().unwrap());
    assert!(
        p.p50 <= p.p90 && p.p90 <= p.p95 && p.p95 <= p.p99 && p.p99 <= p.p999 && p.p999 <= p.max
    );
    let errors = lines
        .iter()
        .filter(|l| String::from_utf8_lossy(l).contains("HTTP/1.1\" 5"))
        .count() as u64;
    assert_eq!(errors, edge.all.errors);
    assert_eq!(errors, t.failed_traces.len() as u64);
    assert_eq!(t.slowest_traces.len(), 10);
    assert_eq!(t.slowest_traces[0].duration_ms, p.max);
    assert!(t
        .slowest_traces
        .windows(2)
        .all(|w| w[0].duration_ms >= w[1].duration_ms));
}

#[test]
fn auth_durations_match_the_json_lines() {
    let f = fixture();
    let mut ms: Vec<u64> = f
        .lines_under("auth/")
        .iter()
        .filter_map(|l| serde_json::from_slice::<serde_json::Value>(l).ok())
        .map(|v| v["duration_ms"].as_u64().unwrap())
        .collect();
    let auth = &f.truth.services["auth"];
    assert_eq!(ms.len() as u64, auth.all.count);
    ms.sort_unstable();
    assert_eq!(auth.all.latency_ms.p95, nearest_rank(&ms, 950));
    assert_eq!(auth.all.latency_ms.max, *ms.last().unwrap());
}

#[test]
fn incident_errors_origins_and_dependencies_agree() {
    let t = fixture().truth;
    let inc = &t.incident;
    assert!(t.start.unix_ms < inc.start.unix_ms && inc.end.unix_ms < t.end.unix_ms);
    assert_eq!(inc.end.unix_ms - inc.start.unix_ms, 600_000);
    let crash = inc.crash.as_ref().unwrap().unix_ms;
    assert!(inc.start.unix_ms <= crash && crash < inc.end.unix_ms);
    assert_eq!(t.error_origins[0].service, "inventory");
    assert_eq!(
        t.error_origins.iter().map(|o| o.traces).sum::<u64>(),
        t.failed_traces.len() as u64
    );
    assert!(t
        .error_origins
        .windows(2)
        .all(|w| w[0].traces >= w[1].traces));
    let deps: HashMap<(String, String), u64> = t
        .dependencies
        .iter()
        .map(|d| ((d.caller.clone(), d.callee.clone()), d.calls))
        .collect();
    let calls = |a: &str, b: &str| {
        deps.get(&(a.to_string(), b.to_string()))
            .copied()
            .unwrap_or(0)
    };
    assert_eq!(calls("edge", "auth"), t.requests);
    assert_eq!(
        calls("orders", "inventory"),
        t.services["inventory"].all.count
    );
    assert_eq!(
        calls("orders", "payments"),
        t.services["payments"].all.count
    );
    assert_eq!(calls("edge", "orders"), t.services["orders"].all.count);
    assert_eq!(t.dependencies.len(), 6);
    // Inventory is slower inside the window: its p99 is far above its p50.
    let inv = &t.services["inventory"].all.latency_ms;
    assert!(inv.p99 >= 5 * inv.p50, "{inv:?}");
    assert_eq!(t.clock_skew[0].service, "payments");
}

/// Milliseconds of a `2024-03-01 12:00:03,529` or `...T12:00:03.529Z` time of day.
fn ms_of_day(s: &str) -> i64 {
    let hms = &s[11..23];
    let n = |a: usize, b: usize| hms[a..b].parse::<i64>().unwrap();
    ((n(0, 2) * 60 + n(3, 5)) * 60 + n(6, 8)) * 1000 + n(9, 12)
}

#[test]
fn payments_clock_runs_ahead_by_the_stated_skew() {
    let f = fixture();
    let skew = f.truth.clock_skew[0].offset_ms;
    // orders logs after payments answered it, so a true payments time is never later.
    let mut orders_end = HashMap::new();
    for l in f.lines_under("orders/") {
        let s = String::from_utf8_lossy(l);
        if let Some(rid) = s.split(' ').find_map(|kv| kv.strip_prefix("request_id=")) {
            orders_end.insert(rid.to_string(), ms_of_day(&s[5..]));
        }
    }
    let (mut ahead, mut checked) = (0, 0);
    for l in f.lines_under("payments/") {
        let s = String::from_utf8_lossy(l);
        let Some(rid) = s.split(' ').find_map(|kv| kv.strip_prefix("request_id=")) else {
            continue;
        };
        let pay = ms_of_day(&s);
        let orders = orders_end[rid];
        assert!(pay - skew <= orders, "{s}");
        checked += 1;
        ahead += usize::from(pay > orders);
    }
    assert!(checked > 50);
    assert!(
        ahead * 2 > checked,
        "the skew shows: {ahead} of {checked} payments lines are later than their caller's"
    );
}

#[test]
fn logs_are_in_time_order_across_rotation() {
    let f = fixture();
    // Rotated files, oldest first, read as one stream.
    let mut edge = Vec::new();
    for name in [
        "edge/access.log.2.gz",
        "edge/access.log.1",
        "edge/access.log",
    ] {
        edge.extend(lines_of(&f.files[name]).into_iter().map(|l| {
            let s = String::from_utf8_lossy(l);
            let t = &s[s.find('[').unwrap() + 1..s.find(']').unwrap()];
            // 01/Mar/2024:12:00:00 -> 12:00:00 (one day of data)
            t[12..20].to_string()
        }));
    }
    assert!(
        edge.windows(2).all(|w| w[0] <= w[1]),
        "edge lines out of order"
    );
    let auth: Vec<String> = f
        .lines_under("auth/")
        .iter()
        .filter_map(|l| serde_json::from_slice::<serde_json::Value>(l).ok())
        .map(|v| v["ts"].as_str().unwrap().to_string())
        .collect();
    assert!(
        auth.windows(2).all(|w| w[0] <= w[1]),
        "auth lines out of order"
    );
    let syslog = &f.truth.files["syslog/messages"];
    assert!(syslog.time_min.as_ref().unwrap().unix_ms >= f.truth.start.unix_ms);
    assert!(syslog.time_max.as_ref().unwrap().unix_ms <= f.truth.end.unix_ms);
}
