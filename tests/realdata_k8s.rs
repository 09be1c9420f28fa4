//! The two Kubernetes captures under `../shared/realdata/k8s-pods`, read line by line:
//! trainticket-docker (Docker json-file envelopes, Spring text inside with a local
//! UTC+8 clock and no date) and onlineboutique-cri (CRI lines, JSON or text inside).
//! Every line must become an entry of the right service, at its envelope time, with
//! the TraceID its message names; the truth is the capture's `spans.csv`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use logtrace::ingest::chunk::{ChunkSink, FileInfo};
use logtrace::ingest::discover::Source;
use logtrace::ingest::formats::container::{sniff_cri, sniff_docker, ContainerFormat};
use logtrace::ingest::formats::{FormatContext, LineFormat, Sniff};
use logtrace::ingest::service::{pod_service, service_for};
use logtrace::ingest::time::parse_iso;

mod common;

const CAPTURES: [(&str, bool); 2] = [("trainticket-docker", false), ("onlineboutique-cri", true)];

fn k8s_root() -> Option<PathBuf> {
    let root = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/realdata/k8s-pods"
    ));
    if root.is_dir() {
        Some(root.to_path_buf())
    } else {
        common::missing(&root.display().to_string());
        None
    }
}

/// Every `0.log` of a capture, sorted.
fn log_files(capture: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![capture.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "log") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn source(root: &Path, path: &Path) -> Source {
    let display = path.strip_prefix(root).unwrap().display().to_string();
    Source {
        path: path.to_path_buf(),
        stream: display.clone(),
        display,
        root: root.to_path_buf(),
        rotation: 0,
        size: 0,
        piped: false,
    }
}

/// The envelope time of a raw line, read independently of the parser.
fn envelope_time(line: &str, cri: bool) -> i64 {
    let text = if cri {
        line.split(' ').next().unwrap().to_string()
    } else {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        v["time"].as_str().unwrap().to_string()
    };
    parse_iso(text.as_bytes()).unwrap().ns
}

/// The `TraceID: <hex>` a raw line's message names.
fn trace_id_in(line: &str) -> String {
    let at = line.find("TraceID: ").expect("every line names a TraceID") + 9;
    line[at..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect()
}

struct Parsed {
    lines: Vec<String>,
    sink: ChunkSink,
}

/// Parses one file the way the pipeline does: detection on the first line, then
/// the whole file through `parse_chunk`, cut into `pieces` newline-aligned chunks.
fn parse(path: &Path, cri: bool, service: String, pieces: usize) -> Parsed {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let (yes, no) = if cri {
        (sniff_cri(&lines[0]), sniff_docker(&lines[0]))
    } else {
        (sniff_docker(&lines[0]), sniff_cri(&lines[0]))
    };
    assert_eq!((yes, no), (Sniff::Yes, Sniff::No), "{}", path.display());
    let format = ContainerFormat::new(cri, FormatContext::default());
    let info = FileInfo {
        file: 0,
        default_service: service,
        keep_events: true,
        ..Default::default()
    };
    let mut sink = ChunkSink::new(info.clone());
    let step = bytes.len() / pieces + 1;
    let mut start = 0;
    while start < bytes.len() {
        let mut end = (start + step).min(bytes.len());
        while end < bytes.len() && bytes[end - 1] != b'\n' {
            end += 1;
        }
        let mut part = ChunkSink::new(info.clone());
        format.parse_chunk(&bytes[start..end], &mut part);
        sink.merge(part);
        start = end;
    }
    sink.finish();
    sink.flatten();
    Parsed { lines, sink }
}

/// Pod names of a capture's spans.csv.
fn truth_pods(root: &Path, capture: &str) -> BTreeSet<String> {
    let csv = std::fs::read_to_string(root.join(format!("{capture}.truth/spans.csv"))).unwrap();
    csv.lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(3))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_line_is_an_entry_at_its_envelope_time() {
    let Some(root) = k8s_root() else { return };
    for (capture, cri) in CAPTURES {
        let files = log_files(&root.join(capture));
        assert!(files.len() >= 10, "{capture}: {} files", files.len());
        let mut total = 0;
        for path in files {
            for pieces in [1, 3] {
                let p = parse(&path, cri, "svc".into(), pieces);
                let s = &p.sink;
                let name = path.display();
                assert_eq!(s.counts.lines, p.lines.len() as u64, "{name}");
                assert_eq!(
                    (s.counts.unparsed, s.counts.continuation, s.counts.blank),
                    (0, 0, 0),
                    "{name}"
                );
                assert_eq!(
                    s.counts.entries, s.counts.lines,
                    "{name}: every line is an entry"
                );
                assert_eq!(s.events.len() as u64, s.counts.entries);
                for ev in &s.events {
                    let line = &p.lines[ev.source.line as usize - 1];
                    let env = envelope_time(line, cri);
                    let t = ev.time().expect("every entry has a time");
                    assert!(
                        (t - env).abs() <= 1_000_000_000,
                        "{name}:{}: {t} vs envelope {env}",
                        ev.source.line
                    );
                }
                if pieces == 1 {
                    total += s.counts.entries;
                }
            }
        }
        let want = if cri { 7260 } else { 2489 };
        assert_eq!(total, want, "{capture}");
    }
}

#[test]
fn services_are_the_pods_without_their_suffixes() {
    let Some(root) = k8s_root() else { return };
    for (capture, _) in CAPTURES {
        let dir = root.join(capture);
        let pods = truth_pods(&root, capture);
        let mut seen = BTreeMap::new();
        for path in log_files(&dir) {
            let shown = path.display().to_string();
            let pod = pods
                .iter()
                .find(|p| shown.contains(&format!("_{p}_")))
                .unwrap_or_else(|| panic!("{shown}: no pod of spans.csv"));
            let service = service_for(&source(&dir, &path));
            assert_eq!(service, pod_service(pod), "{shown}");
            assert!(!service.is_empty() && service.len() < pod.len(), "{pod}");
            seen.insert(service, pod.clone());
        }
        // One service per pod: stripping never merges two workloads.
        assert_eq!(seen.len(), log_files(&dir).len(), "{capture}");
    }
    // The names a person would give them.
    assert_eq!(
        pod_service("ts-config-service-5fcd447d84-wxwjd"),
        "ts-config-service"
    );
    assert_eq!(pod_service("frontend-579b9bff58-t2dbm"), "frontend");
    assert_eq!(
        pod_service("ts-basic-service-5dc8d4f9fd-46997"),
        "ts-basic-service"
    );
}

#[test]
fn every_entry_carries_its_trace_id() {
    let Some(root) = k8s_root() else { return };
    for (capture, cri) in CAPTURES {
        let dir = root.join(capture);
        let mut traces = BTreeSet::new();
        for path in log_files(&dir) {
            let p = parse(&path, cri, "svc".into(), 1);
            for ev in &p.sink.events {
                let line = &p.lines[ev.source.line as usize - 1];
                let got = p.sink.symbols.get(ev.trace_id);
                assert_eq!(
                    got,
                    trace_id_in(line),
                    "{}:{}",
                    path.display(),
                    ev.source.line
                );
                traces.insert(got.to_string());
            }
            assert!(
                p.sink
                    .id_fields
                    .iter()
                    .any(|(k, _)| k.to_ascii_lowercase().contains("trace")),
                "{}: {:?}",
                path.display(),
                p.sink.id_fields
            );
        }
        // The logs and the tracer saw the same requests.
        let csv = std::fs::read_to_string(root.join(format!("{capture}.truth/spans.csv"))).unwrap();
        let truth: BTreeSet<&str> = csv
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next())
            .collect();
        let known = traces.iter().filter(|t| truth.contains(t.as_str())).count();
        assert!(
            known * 10 >= traces.len() * 9,
            "{capture}: {known} of {} traces in spans.csv",
            traces.len()
        );
    }
}

#[test]
fn inner_times_levels_and_clocks() {
    let Some(root) = k8s_root() else { return };
    // CRI with JSON inside: the inner timestamp (the application's own) is kept.
    let dir = root.join("onlineboutique-cri");
    let path = log_files(&dir)
        .into_iter()
        .find(|p| p.display().to_string().contains("checkoutservice"))
        .unwrap();
    let p = parse(&path, true, "svc".into(), 1);
    let first = &p.sink.events[0];
    assert_eq!(
        first.time_ns,
        parse_iso(b"2022-08-22T05:18:23.842388995Z").unwrap().ns
    );
    assert_eq!(first.level, logtrace::ingest::event::Level::Info);
    // Docker with Spring text inside: the UTC+8 clock without a date gives way to the envelope.
    let dir = root.join("trainticket-docker");
    let path = log_files(&dir)
        .into_iter()
        .find(|p| p.display().to_string().contains("verification-code"))
        .unwrap();
    let p = parse(&path, false, "svc".into(), 1);
    let warn = &p.sink.events[1];
    assert_eq!(warn.level, logtrace::ingest::event::Level::Warn);
    assert_eq!(
        warn.time_ns,
        parse_iso(b"2023-01-29T08:49:15.672691403Z").unwrap().ns
    );
    let op = p.sink.symbols.get(p.sink.events[0].operation);
    assert!(
        op.contains("VerifyCodeController"),
        "the logger names the operation: {op}"
    );
}

#[test]

fn a_spring_exception_in_docker_envelopes_is_one_failed_entry() {
    let text = concat!(
        r#"{"log":"16:49:08.656 ERROR c.c.ConfigController#67 TraceID: e107c4d252a8f4810ed9ae6b5ebd5267 SpanID: 818a84133ef9cf86 failed\n","stream":"stdout","time":"2023-01-29T08:49:08.656972722Z"}"#,
        "\n",
        r#"{"log":"java.lang.IllegalStateException: no config\n","stream":"stdout","time":"2023-01-29T08:49:08.657Z"}"#,
        "\n",
        r#"{"log":"\tat c.c.ConfigController.retrieve(ConfigController.java:67)\n","stream":"stdout","time":"2023-01-29T08:49:08.657Z"}"#,
        "\n",
        r#"{"log":"16:49:09.000 INFO  c.c.ConfigController#67 TraceID: e107c4d252a8f4810ed9ae6b5ebd5267 SpanID: 818a84133ef9cf86 next\n","stream":"stdout","time":"2023-01-29T08:49:09.001Z"}"#,
        "\n",
    );
    let format = ContainerFormat::new(false, FormatContext::default());
    let mut sink = ChunkSink::new(FileInfo {
        file: 0,
        default_service: "ts-config-service".into(),
        keep_events: true,
        ..Default::default()
    });
    format.parse_chunk(text.as_bytes(), &mut sink);
    sink.finish();
    assert_eq!(
        (
            sink.counts.lines,
            sink.counts.entries,
            sink.counts.continuation
        ),
        (4, 2, 2)
    );
    assert!(sink.events[0].is_error());
    assert_eq!(
        sink.symbols.get(sink.events[0].trace_id),
        "e107c4d252a8f4810ed9ae6b5ebd5267"
    );
}
