//! `[[fields]]` and `[[service]]` from a config a user would write: JSON and
//! logfmt files whose keys logtrace does not know (`when`, `sev`, `took`,
//! `x_req`, `op`), and services named by the config, by name or from the path.

mod common;

use std::path::Path;

use assert_cmd::Command;
use logtrace::ingest::detect::parse_config;
use logtrace::ingest::event::{TimeUnit, UnitBasis};
use logtrace::ingest::{ingest, IngestOptions, Ingested};

const CONFIG: &str = r#"
# nova's API writes its own keys; `duration` there is something else.
[[fields]]
files = ["nova/*.log"]
time = "when"
level = "sev"
operation = "op"
duration = "took"
unit = "ms"
request_id = "x_req"

# The billing worker writes logfmt with seconds as bare numbers.
[[fields]]
files = ["billing/*.log"]
duration = "run"
unit = "s"
trace_id = "tid"

[[service]]
files = ["nova/*.log"]
name = "nova-api"

# hosts/<host>/<service>.log
[[service]]
path = '^hosts/[^/]+/(?P<service>[^/.]+)\.log$'

[[fields]]
files = ["legacy/*.json"]
duration = "t"

# A Kubernetes pod's log: the container's JSON lines inside CRI lines.
[[fields]]
files = ["pods/**/*.log"]
duration = "lat"
unit = "us"
request_id = "rq"
"#;

const CRI: &str = r#"2024-03-01T12:00:00.013000000Z stdout F {"msg":"handled","lat":1250,"rq":"r-9","latency":"3s"}
2024-03-01T12:00:01.013000000Z stdout F lat=800 rq=r-10 msg=handled
"#;

const NOVA: &str = r#"{"when":"2024-03-01T12:00:00.013Z","sev":"info","op":"ListServers","path":"/v2/servers?limit=5","took":12,"duration":99,"x_req":"req-1","service":"api"}
{"when":"2024-03-01T12:00:01.013Z","sev":"error","op":"CreateServer","path":"/v2/servers","took":"1.5s","x_req":"req-2"}
{"when":"2024-03-01T12:00:02.013Z","sev":"warn","op":"ListServers","path":"/v2/servers?limit=9","took":7.5,"x_req":"req-3"}
"#;

const BILLING: &str = "ts=2024-03-01T12:00:00Z level=info msg=\"invoice sent\" run=0.25 tid=4bf92f3577b34da6a3ce929d0e0e4736 dur=9ms
ts=2024-03-01T12:00:01Z level=info msg=\"invoice sent\" run=2 tid=5bf92f3577b34da6a3ce929d0e0e4737
";

const HOST_LOG: &str = r#"{"ts":"2024-03-01T12:00:00Z","level":"info","service":"written-in-the-line","msg":"ok"}
"#;

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn run(dir: &Path) -> Ingested {
    let opts = IngestOptions {
        config: parse_config(CONFIG, "logtrace.toml").unwrap(),
        keep_events: true,
        ..Default::default()
    };
    ingest(&[dir.to_path_buf()], &opts).unwrap()
}

fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "nova/api.log", NOVA);
    write(dir.path(), "billing/worker.log", BILLING);
    write(dir.path(), "hosts/web-1/payments.log", HOST_LOG);
    write(
        dir.path(),
        "pods/shop_orders-7d9f8b6c5d-x2x9q_1b2c/orders/0.log",
        CRI,
    );
    dir
}

#[test]
fn mapped_keys_give_time_level_operation_duration_and_ids() {
    let dir = folder();
    let run = run(dir.path());
    let s = &run.symbols;
    let nova: Vec<_> = run
        .events
        .iter()
        .filter(|e| s.get(e.service) == "nova-api")
        .collect();
    assert_eq!(nova.len(), 3);
    let got: Vec<_> = nova
        .iter()
        .map(|e| {
            (
                e.time_ns,
                e.duration(),
                s.get(e.operation).to_string(),
                s.get(e.request_id).to_string(),
                e.level,
            )
        })
        .collect();
    use logtrace::ingest::event::Level::*;
    let t0 = 1_709_294_400_013_000_000;
    assert_eq!(
        got,
        [
            // `took`, not `duration`; the operation is `op`, not the path.
            (
                t0,
                Some(12_000_000),
                "ListServers".into(),
                "req-1".into(),
                Info
            ),
            // A unit in the value wins over the config's.
            (
                t0 + 1_000_000_000,
                Some(1_500_000_000),
                "CreateServer".into(),
                "req-2".into(),
                Error
            ),
            (
                t0 + 2_000_000_000,
                Some(7_500_000),
                "ListServers".into(),
                "req-3".into(),
                Warn
            ),
        ]
    );
    // inspect's account of the durations: the field, its unit, and that the config said so.
    let file = run
        .files
        .iter()
        .find(|f| f.path.ends_with("api.log"))
        .unwrap();
    let durations: Vec<_> = file
        .durations
        .iter()
        .map(|d| (d.field.as_str(), d.unit, d.basis, d.count))
        .collect();
    assert_eq!(
        durations,
        [
            ("took", TimeUnit::Ms, UnitBasis::Config, 2),
            ("took", TimeUnit::S, UnitBasis::Value, 1)
        ]
    );
}

#[test]
fn logfmt_keys_and_units_from_the_config() {
    let dir = folder();
    let run = run(dir.path());
    let s = &run.symbols;
    let billing: Vec<_> = run
        .events
        .iter()
        .filter(|e| s.get(e.service) == "billing")
        .map(|e| (e.duration(), s.get(e.trace_id).to_string()))
        .collect();
    // `run` in seconds; `dur=9ms` is not the duration once `duration` is mapped.
    assert_eq!(
        billing,
        [
            (
                Some(250_000_000),
                "4bf92f3577b34da6a3ce929d0e0e4736".to_string()
            ),
            (
                Some(2_000_000_000),
                "5bf92f3577b34da6a3ce929d0e0e4737".to_string()
            ),
        ]
    );
}

#[test]
fn container_messages_are_read_through_the_map() {
    let dir = folder();
    let run = run(dir.path());
    let s = &run.symbols;
    let orders: Vec<_> = run
        .events
        .iter()
        .filter(|e| s.get(e.service) == "orders")
        .map(|e| (e.duration(), s.get(e.request_id).to_string()))
        .collect();
    assert_eq!(
        orders,
        [
            (Some(1_250_000), "r-9".to_string()),
            (Some(800_000), "r-10".to_string())
        ]
    );
}

#[test]
fn services_by_name_and_from_the_path_win_over_the_line() {
    let dir = folder();
    let run = run(dir.path());
    let s = &run.symbols;
    let services: std::collections::BTreeSet<_> =
        run.events.iter().map(|e| s.get(e.service)).collect();
    // nova's lines say `service: api`; the host log says `written-in-the-line`.
    assert_eq!(
        services.into_iter().collect::<Vec<_>>(),
        ["billing", "nova-api", "orders", "payments"]
    );
    // A `[[fields]]` entry whose files match nothing is a warning.
    assert_eq!(
        run.config_warnings,
        [r#"config [[fields]] #3 (files ["legacy/*.json"]) matches no file"#]
    );
}

#[test]
fn mistakes_in_fields_and_service_are_reported() {
    let err = |text: &str| parse_config(text, "c.toml").unwrap_err().0;
    let e = err("[[fields]]\nunit = 'minutes'\nduration = 'd'\n");
    assert!(
        e.contains("[[fields]] #1: unit \"minutes\"; use ns, us, ms or s"),
        "{e}"
    );
    let e = err("[[fields]]\nunit = 'ms'\nstatus = 'code'\n");
    assert!(e.contains("`unit` is the unit of `duration`"), "{e}");
    let e = err("[[fields]]\nfiles = ['a/*']\n");
    assert!(e.contains("names no field"), "{e}");
    let e = err("[[fields]]\nduraton = 'd'\n");
    assert!(e.contains("duraton"), "{e}");
    let e = err("[[service]]\nname = 'x'\n");
    assert!(e.contains("`name` needs `files`"), "{e}");
    let e = err("[[service]]\nname = 'x'\npath = '(.*)'\nfiles = ['*']\n");
    assert!(e.contains("exactly one of `name` and `path`"), "{e}");
    let e = err("[[service]]\npath = '(?P<service>['\n");
    assert!(
        e.contains("[[service]] #1: the path regex does not compile"),
        "{e}"
    );
}

#[test]
fn inspect_says_the_unit_came_from_the_config() {
    let dir = folder();
    let config = dir.path().join("logtrace.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let out = Command::cargo_bin("logtrace")
        .unwrap()
        .arg("inspect")
        .arg("--config")
        .arg(&config)
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("from took (ms, from the config)"), "{text}");
}
