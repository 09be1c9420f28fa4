//! `logtrace export --to parquet` on the generated incident: the tables read
//! back with the `parquet` crate and with DuckDB (the README's queries, taken
//! from README.md as written) and compared with `report.json` of the same
//! folder; the README's schema against the columns written; the same bytes
//! for any thread count; hour partitions; the output folder's rules.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use assert_cmd::Command;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use logtrace::export::parquet::{SCHEMA_VERSION, TABLES};

mod common;

fn incident() -> PathBuf {
    common::root().join("fixtures/incident")
}

fn logtrace(args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("logtrace").unwrap().args(args).assert()
}

/// The incident exported (unpartitioned and by hour) and reported, once.
struct Run {
    _tmp: tempfile::TempDir,
    /// Holds `tables/`: the README's queries read `tables/...`.
    dir: PathBuf,
    report: Value,
}

fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let inc = incident();
        let inc = inc.to_str().unwrap();
        let out = dir.join("tables");
        logtrace(&[
            "export",
            inc,
            "--to",
            "parquet",
            "-o",
            out.to_str().unwrap(),
        ])
        .success();
        // --top lists every failed trace, so the slowest of them can be compared.
        let rep = dir.join("report");
        logtrace(&[
            "report",
            inc,
            "-o",
            rep.to_str().unwrap(),
            "--top",
            "100000",
            "--json",
        ])
        .success();
        let report = serde_json::from_slice(&std::fs::read(rep.join("report.json")).unwrap())
            .expect("report.json");
        Run {
            _tmp: tmp,
            dir,
            report,
        }
    })
}

/// Every `*.parquet` file under `dir`, sorted.
fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A table read back with the `parquet` crate: its batches, and the
/// key-value metadata of its first file.
fn read_table(dir: &Path, table: &str) -> (Vec<RecordBatch>, BTreeMap<String, String>) {
    let mut batches = Vec::new();
    let mut meta = BTreeMap::new();
    for f in parquet_files(&dir.join(table)) {
        let b = ParquetRecordBatchReaderBuilder::try_new(File::open(&f).unwrap()).unwrap();
        if meta.is_empty() {
            let kv = b.metadata().file_metadata().key_value_metadata();
            for kv in kv.into_iter().flatten() {
                meta.insert(kv.key.clone(), kv.value.clone().unwrap_or_default());
            }
        }
        for batch in b.build().unwrap() {
            batches.push(batch.unwrap());
        }
    }
    (batches, meta)
}

fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(|b| b.num_rows()).sum()
}

/// The values of a string column, `None` for null.
fn strings(batches: &[RecordBatch], col: &str) -> Vec<Option<String>> {
    batches
        .iter()
        .flat_map(|b| {
            let a = b.column_by_name(col).unwrap().as_string::<i32>().clone();
            (0..a.len())
                .map(move |i| (!a.is_null(i)).then(|| a.value(i).to_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn floats(batches: &[RecordBatch], col: &str) -> Vec<Option<f64>> {
    batches
        .iter()
        .flat_map(|b| {
            let a = b.column_by_name(col).unwrap().as_primitive::<Float64Type>();
            (0..a.len())
                .map(|i| (!a.is_null(i)).then(|| a.value(i)))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn bools(batches: &[RecordBatch], col: &str) -> Vec<bool> {
    batches
        .iter()
        .flat_map(|b| {
            let a = b.column_by_name(col).unwrap().as_boolean().clone();
            (0..a.len()).map(move |i| a.value(i)).collect::<Vec<_>>()
        })
        .collect()
}

fn u64_at(v: &Value, path: &str) -> u64 {
    v.pointer(path)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{path}"))
}

#[test]
fn tables_read_back_with_the_parquet_crate_agree_with_report_json() {
    if !incident().is_dir() {
        return common::missing("fixtures/incident");
    }
    let r = run();
    let rep = &r.report;
    let tables = r.dir.join("tables");
    let (events, meta) = read_table(&tables, "events");
    let (spans, _) = read_table(&tables, "spans");
    let (traces, _) = read_table(&tables, "traces");
    assert_eq!(meta["schema_version"], SCHEMA_VERSION.to_string());
    assert_eq!(meta["logtrace_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(meta["logtrace_table"], "events");

    // Counts: every event, every request (span), every trace.
    assert_eq!(rows(&events) as u64, u64_at(rep, "/input/events"));
    let requests: u64 = rep["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["spans"].as_u64().unwrap())
        .sum();
    assert_eq!(rows(&spans) as u64, requests);
    assert_eq!(rows(&traces) as u64, u64_at(rep, "/traces/count"));
    let failed = bools(&traces, "failed").iter().filter(|&&f| f).count();
    assert_eq!(failed as u64, u64_at(rep, "/traces/with_errors"));

    // Durations: a span's is null exactly where report.json counts no latency.
    let untimed = floats(&spans, "duration_ms")
        .iter()
        .filter(|d| d.is_none())
        .count() as u64;
    let ops = rep["operations"].as_array().unwrap();
    let report_untimed: u64 = ops
        .iter()
        .map(|o| o["count"].as_u64().unwrap() - o["latency_ms"]["count"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(untimed, report_untimed);

    // The listed traces: same ids, durations, roots and error origins.
    let ids = strings(&traces, "trace_id");
    let durations = floats(&traces, "duration_ms");
    let origins = strings(&traces, "error_origin_service");
    let root_service = strings(&traces, "root_service");
    let by_id: BTreeMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_deref().unwrap(), i))
        .collect();
    assert_eq!(by_id.len(), ids.len(), "trace ids are unique");
    let listed = rep["traces"]["slowest"].as_array().unwrap().iter();
    let listed = listed.chain(rep["traces"]["failed"].as_array().unwrap());
    let mut seen = 0;
    for t in listed {
        let i = by_id[t["id"].as_str().unwrap()];
        assert_eq!(durations[i], t["duration_ms"].as_f64(), "{t}");
        assert_eq!(origins[i].as_deref(), t["error_origin"].as_str(), "{t}");
        let root = t["root"].as_str().unwrap();
        assert!(root.starts_with(root_service[i].as_deref().unwrap()), "{t}");
        seen += 1;
    }
    assert!(seen > 20, "{seen} listed traces");

    // Times are UTC microseconds; the earliest event starts report.json's window.
    let time = events[0].column_by_name("time").unwrap();
    assert_eq!(
        time.data_type(),
        &arrow_schema::DataType::Timestamp(arrow_schema::TimeUnit::Microsecond, Some("UTC".into()))
    );
    let first = events
        .iter()
        .flat_map(|b| {
            let t = b.column_by_name("time").unwrap();
            let t = t.as_primitive::<TimestampMicrosecondType>();
            t.iter().flatten().collect::<Vec<_>>()
        })
        .min()
        .unwrap();
    let window_start = rep["window"]["start"].as_str().unwrap();
    let ts: jiff::Timestamp = window_start.parse().unwrap();
    assert!(
        (first - ts.as_microsecond()).abs() < 1_000,
        "{first} vs {window_start}"
    );

    // Events: every event's span is a span of the table, with the same trace.
    let span_keys: BTreeSet<(String, String)> = strings(&spans, "trace_hex")
        .into_iter()
        .zip(strings(&spans, "span_hex"))
        .filter_map(|(t, s)| Some((t?, s?)))
        .collect();
    let ev_keys: Vec<(Option<String>, Option<String>)> = strings(&events, "trace_hex")
        .into_iter()
        .zip(strings(&events, "span_hex"))
        .collect();
    let in_spans = ev_keys
        .iter()
        .filter(|(t, s)| {
            span_keys.contains(&(t.clone().unwrap_or_default(), s.clone().unwrap_or_default()))
        })
        .count();
    let traced = ev_keys.iter().filter(|(t, _)| t.is_some()).count();
    assert_eq!(in_spans, traced);
    assert!(traced > rows(&events) / 2, "{traced} traced events");
    // No status is 0: a status not logged is null.
    for b in &events {
        let s = b
            .column_by_name("status")
            .unwrap()
            .as_primitive::<Int32Type>();
        assert!(s.iter().all(|v| v != Some(0)));
    }
}

/// The README's schema tables, as (table, column, type) rows.
fn readme_schema() -> Vec<(String, String, String)> {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let start = readme
        .find("### Parquet tables")
        .expect("README has a Parquet section");
    let section = &readme[start..];
    let section = &section[..section.find("#### Querying").unwrap()];
    let mut out = Vec::new();
    let mut table = None;
    for line in section.lines() {
        if let Some(t) = line.strip_prefix("#### `") {
            table = Some(t.trim_end_matches('`').to_owned());
        } else if let (Some(t), Some(row)) = (&table, line.strip_prefix("| `")) {
            let cells: Vec<&str> = row.split(" | ").collect();
            out.push((
                t.clone(),
                cells[0].trim_end_matches('`').to_owned(),
                cells[1].to_owned(),
            ));
        }
    }
    out
}

#[test]
fn the_readme_documents_every_column_with_its_type() {
    let written: Vec<(String, String, String)> = TABLES
        .iter()
        .flat_map(|t| {
            t.columns.iter().map(|c| {
                (
                    t.name.to_owned(),
                    c.name.to_owned(),
                    c.kind.doc_name().to_owned(),
                )
            })
        })
        .collect();
    assert_eq!(readme_schema(), written);
}

#[test]
fn the_same_bytes_whatever_the_thread_count() {
    if !incident().is_dir() {
        return common::missing("fixtures/incident");
    }
    let tmp = tempfile::tempdir().unwrap();
    let inc = incident();
    let mut seen: Vec<Vec<(PathBuf, Vec<u8>)>> = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = tmp.path().join(format!("t{threads}"));
        logtrace(&[
            "export",
            inc.to_str().unwrap(),
            "--to",
            "parquet",
            "--partition",
            "hour",
            "--threads",
            threads,
            "-o",
            out.to_str().unwrap(),
        ])
        .success();
        seen.push(
            parquet_files(&out)
                .into_iter()
                .map(|f| {
                    (
                        f.strip_prefix(&out).unwrap().to_path_buf(),
                        std::fs::read(&f).unwrap(),
                    )
                })
                .collect(),
        );
    }
    assert!(!seen[0].is_empty());
    assert_eq!(seen[0], seen[1], "1 and 2 threads differ");
    assert_eq!(seen[0], seen[2], "1 and 3 threads differ");
}

/// Logs across two hour boundaries (a request at 12:59:59.9 that ends at
/// 13:00:00.1 is filed under 12), with an entry that has no time.
fn across_hours(dir: &Path) -> PathBuf {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut lines = String::new();
    for (i, t) in [
        "12:59:58.5",
        "12:59:59.9",
        "13:00:00.1",
        "13:00:02",
        "14:10:00",
    ]
    .iter()
    .enumerate()
    {
        lines.push_str(&format!(
            "{{\"time\":\"2026-11-24T{t}Z\",\"level\":\"info\",\"service\":\"web\",\
             \"request_id\":\"r{}\",\"msg\":\"GET /x\",\"status\":200,\"duration_ms\":12}}\n",
            i.div_ceil(2)
        ));
    }
    lines.push_str("{\"level\":\"error\",\"service\":\"web\",\"msg\":\"no time here\"}\n");
    std::fs::write(logs.join("web.log"), lines).unwrap();
    logs
}

#[test]
fn hour_partitions_hold_their_hour_and_every_row() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = across_hours(tmp.path());
    let (whole, hours) = (tmp.path().join("whole"), tmp.path().join("hours"));
    for (out, extra) in [(&whole, None), (&hours, Some("hour"))] {
        let mut args = vec!["export", logs.to_str().unwrap(), "--to", "parquet"];
        args.extend(["-o", out.to_str().unwrap()]);
        if let Some(p) = extra {
            args.extend(["--partition", p]);
        }
        logtrace(&args).success();
    }
    let mut folders = BTreeSet::new();
    for (table, time) in [("events", "time"), ("spans", "start"), ("traces", "start")] {
        let all = rows(&read_table(&whole, table).0);
        let mut total = 0;
        for f in parquet_files(&hours.join(table)) {
            let rel = f.strip_prefix(&hours).unwrap().to_str().unwrap().to_owned();
            folders.insert(rel.clone());
            let b = ParquetRecordBatchReaderBuilder::try_new(File::open(&f).unwrap()).unwrap();
            for batch in b.build().unwrap() {
                let batch = batch.unwrap();
                total += batch.num_rows();
                let t = batch.column_by_name(time).unwrap();
                let t = t.as_primitive::<TimestampMicrosecondType>();
                for i in 0..t.len() {
                    let want = if t.is_null(i) {
                        "date=__HIVE_DEFAULT_PARTITION__/hour=__HIVE_DEFAULT_PARTITION__/".into()
                    } else {
                        let ts = jiff::Timestamp::from_microsecond(t.value(i)).unwrap();
                        ts.strftime("date=%Y-%m-%d/hour=%H/").to_string()
                    };
                    assert!(rel.contains(&want), "{rel} holds a row of {want}");
                }
            }
        }
        assert_eq!(total, all, "{table}");
    }
    let folders: Vec<&str> = folders.iter().map(String::as_str).collect();
    assert_eq!(
        folders,
        [
            "events/date=2026-11-24/hour=12/part-0.parquet",
            "events/date=2026-11-24/hour=13/part-0.parquet",
            "events/date=2026-11-24/hour=14/part-0.parquet",
            "events/date=__HIVE_DEFAULT_PARTITION__/hour=__HIVE_DEFAULT_PARTITION__/part-0.parquet",
            "spans/date=2026-11-24/hour=12/part-0.parquet",
            "spans/date=2026-11-24/hour=13/part-0.parquet",
            "spans/date=2026-11-24/hour=14/part-0.parquet",
            "traces/date=2026-11-24/hour=12/part-0.parquet",
            "traces/date=2026-11-24/hour=13/part-0.parquet",
            "traces/date=2026-11-24/hour=14/part-0.parquet",
        ]
    );
}

#[test]
fn the_output_folder_is_checked_before_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::write(
        logs.join("a.log"),
        "2024-03-01T12:00:00Z INFO hello request_id=r1\n",
    )
    .unwrap();
    let l = logs.to_str().unwrap();
    // Inside the input, to stdout, or with a trace filter: refused, nothing written.
    let inside = logs.join("tables");
    logtrace(&[
        "export",
        l,
        "--to",
        "parquet",
        "-o",
        inside.to_str().unwrap(),
    ])
    .code(2)
    .stderr(predicates::str::contains("inside the input folder"));
    logtrace(&["export", l, "--to", "parquet", "-o", "-"])
        .code(2)
        .stderr(predicates::str::contains("folder of tables"));
    let out = tmp.path().join("t");
    let o = out.to_str().unwrap();
    logtrace(&["export", l, "--to", "parquet", "-o", o, "--failed"])
        .code(2)
        .stderr(predicates::str::contains("filter the tables in the query"));
    logtrace(&[
        "export",
        l,
        "--to",
        "jaeger",
        "-o",
        o,
        "--partition",
        "hour",
    ])
    .code(2)
    .stderr(predicates::str::contains("--partition is for --to parquet"));
    assert!(!out.exists());
    // Written; then an earlier export needs --force; a folder of other files never.
    logtrace(&["export", l, "--to", "parquet", "-o", o]).success();
    logtrace(&["export", l, "--to", "parquet", "-o", o])
        .code(2)
        .stderr(predicates::str::contains("--force"));
    logtrace(&["export", l, "--to", "parquet", "-o", o, "--force"]).success();
    std::fs::write(out.join("notes.md"), "mine").unwrap();
    logtrace(&["export", l, "--to", "parquet", "-o", o, "--force"])
        .code(2)
        .stderr(predicates::str::contains("not logtrace tables (notes.md)"));
    assert_eq!(std::fs::read(out.join("notes.md")).unwrap(), b"mine");
    // Nothing is left beside the folder.
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

/// The SQL blocks of the README's "Querying them", as written.
fn readme_queries() -> Vec<String> {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let start = readme
        .find("#### Querying them")
        .expect("README has the queries");
    let section = &readme[start..];
    let section = &section[..section.find("\n### ").unwrap_or(section.len())];
    section
        .split("```sql\n")
        .skip(1)
        .map(|b| b[..b.find("```").unwrap()].to_owned())
        .collect()
}

/// Runs `queries` in DuckDB (Python) in `dir`; each result as rows of JSON
/// values (times as text). `None` when python3 or its duckdb module is missing.
fn duckdb(dir: &Path, queries: &[String]) -> Option<Vec<Vec<Vec<Value>>>> {
    const SCRIPT: &str = r#"
import json, sys, duckdb
con = duckdb.connect()
out = []
for q in json.load(sys.stdin):
    out.append([[v if v is None or isinstance(v, (bool, int, float, str)) else str(v)
                 for v in row] for row in con.execute(q).fetchall()])
json.dump(out, sys.stdout)
"#;
    let probe = std::process::Command::new("python3")
        .args(["-c", "import duckdb"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        common::missing("python3 with duckdb (pip install duckdb==2.0.1, as .ci/run does)");
        return None;
    }
    let out = Command::new("python3")
        .args(["-c", SCRIPT])
        .current_dir(dir)
        .write_stdin(serde_json::to_vec(queries).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "duckdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// An operation's key as report.json names it.
fn named(v: &Value) -> String {
    v.as_str().unwrap_or("(none)").to_owned()
}

#[test]
fn the_readme_queries_run_in_duckdb_and_agree_with_report_json() {
    if !incident().is_dir() {
        return common::missing("fixtures/incident");
    }
    let queries = readme_queries();
    assert_eq!(queries.len(), 3, "the README gives three queries");
    let r = run();
    let Some(results) = duckdb(&r.dir, &queries) else {
        return;
    };
    let rep = &r.report;

    // 1. p99 per operation: the whole-window rows are report.json's operations.
    let mut whole = BTreeMap::new();
    let mut bucketed: BTreeMap<(String, String), u64> = BTreeMap::new();
    for row in &results[0] {
        let key = (named(&row[0]), named(&row[1]));
        let (requests, errors, timed) = (&row[3], &row[4], &row[5]);
        if row[2].is_null() {
            whole.insert(
                key,
                (
                    requests.clone(),
                    errors.clone(),
                    timed.clone(),
                    row[6].clone(),
                ),
            );
        } else {
            assert!(
                row[2].as_str().unwrap().contains(":00")
                    || row[2].as_str().unwrap().contains(":05")
            );
            *bucketed.entry(key).or_default() += requests.as_u64().unwrap();
        }
    }
    let ops = rep["operations"].as_array().unwrap();
    assert_eq!(whole.len(), ops.len());
    for o in ops {
        let key = (named(&o["service"]), named(&o["name"]));
        let (requests, errors, timed, p99) = &whole[&key];
        assert_eq!(requests, &o["count"], "{key:?}");
        assert_eq!(errors, &o["errors"], "{key:?}");
        let lat = &o["latency_ms"];
        assert_eq!(
            timed.as_u64().unwrap(),
            lat["count"].as_u64().unwrap_or(0),
            "{key:?}"
        );
        assert_eq!(p99.as_f64(), lat["p99"].as_f64(), "{key:?}");
        assert_eq!(
            bucketed[&key],
            o["count"].as_u64().unwrap(),
            "{key:?}: buckets add up"
        );
    }

    // 2. The five slowest failed traces, from report.json's list of all failed ones.
    let mut failed: Vec<&Value> = rep["traces"]["failed"].as_array().unwrap().iter().collect();
    assert_eq!(failed.len() as u64, u64_at(rep, "/traces/with_errors"));
    failed.sort_by(|a, b| {
        let d = |t: &Value| t["duration_ms"].as_f64().unwrap_or(f64::NEG_INFINITY);
        d(b).total_cmp(&d(a))
            .then_with(|| a["id"].as_str().cmp(&b["id"].as_str()))
    });
    let mut got: Vec<(String, Option<f64>, Option<String>)> = Vec::new();
    let mut services: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut origins: BTreeMap<String, usize> = BTreeMap::new();
    for row in &results[1] {
        let id = row[0].as_str().unwrap().to_owned();
        let t = (
            id.clone(),
            row[1].as_f64(),
            row[2].as_str().map(str::to_owned),
        );
        if got.last() != Some(&t) {
            got.push(t);
        }
        services
            .entry(id.clone())
            .or_default()
            .extend(row[4].as_str().map(str::to_owned));
        if row[9] == Value::Bool(true) {
            *origins.entry(id).or_default() += 1;
        }
    }
    let want: Vec<(String, Option<f64>, Option<String>)> = failed[..5]
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_owned(),
                t["duration_ms"].as_f64(),
                t["error_origin"].as_str().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(got, want);
    for t in &failed[..5] {
        let id = t["id"].as_str().unwrap();
        let listed: BTreeSet<String> = t["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(named)
            .filter(|s| s != "(none)")
            .collect();
        assert_eq!(services[id], listed, "{id}");
        assert_eq!(origins[id], 1, "{id}: one span is the error origin");
    }

    // 3. Callers of payments: the calls and errors of report.json's dependencies.
    let mut by_caller: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for row in &results[2] {
        let e = by_caller.entry(named(&row[0])).or_default();
        e.0 += row[3].as_u64().unwrap();
        e.1 += row[4].as_u64().unwrap();
    }
    let want: BTreeMap<String, (u64, u64)> = rep["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["callee"] == "payments")
        .map(|d| {
            (
                named(&d["caller"]),
                (d["calls"].as_u64().unwrap(), d["errors"].as_u64().unwrap()),
            )
        })
        .collect();
    assert!(
        want.values().any(|&(_, e)| e > 0),
        "the incident has payment errors"
    );
    assert_eq!(by_caller, want);
}

#[test]
fn a_write_that_fails_leaves_nothing_behind() {
    if !incident().is_dir() {
        return common::missing("fixtures/incident");
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("tables");
    // 16 blocks of 512 bytes: the events table does not fit.
    let run = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 16 && exec \"$0\" \"$@\"")
        .arg(assert_cmd::cargo::cargo_bin("logtrace"))
        .args(["export".as_ref(), incident().as_os_str()])
        .args(["--to", "parquet", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(err.contains("file-size limit"), "{err}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}
