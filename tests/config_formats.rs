//! User-defined formats from a config file, end to end: OpenStack nova and HDFS
//! lines (as the loghub collection has them) parsed by regex formats written in
//! TOML, with correlation ids pulled from the messages by `[[id_pattern]]`s.

use logtrace::config::Config;
use logtrace::ingest::chunk::{ChunkSink, FileInfo};
use logtrace::ingest::detect::parse_config;
use logtrace::ingest::event::{IdKind, Level, Record};
use logtrace::ingest::formats::custom::CustomFormat;
use logtrace::ingest::formats::{LineFormat, Parsed};
use logtrace::ingest::ids::IdPatterns;
use logtrace::ingest::time::civil_to_ns;

const CONFIG: &str = r#"
[[format]]
name = "nova"
files = ["nova/*.log*"]
regex = '^(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) (?P<pid>\d+) (?P<level>[A-Z]+) (?P<logger>\S+) (?:\[(?P<ctx>[^\]]*)\] )?(?P<message>.*)$'

[[format]]
name = "hdfs"
files = ["hdfs/*"]
regex = '^(?P<date>\d{6} \d{6}) (?P<pid>\d+) (?P<level>[A-Z]+) (?P<component>[^:]+): (?P<message>.*)$'
fields = { date = "time", component = "logger" }
time_format = "%y%m%d %H%M%S"

[[override]]
files = ["nova/*.log*"]
format = "nova"

[[id_pattern]]
kind = "request"
regex = '\b(req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b'

[[id_pattern]]
kind = "trace"
name = "block"
regex = 'blk_-?\d+'
"#;

const NOVA: &str = r#"2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 54fadb412c4e40cdbaed9335e4c35a9e - - -] 10.11.10.1 "GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829
2017-05-16 00:00:02.143 25743 WARNING nova.compute.manager [req-caa8ffd9-80ac-4b2c-b3a7-3ef1b7c5bc5f - - - - -] [instance: b9000564-fe1a-409b-b8cc-1e88b294cd1d] During sync_power_state the instance has a pending task (spawning). Skip.
2017-05-16 00:00:04.500 2931 ERROR nova.compute.manager [-] Error updating resources for node cp-1.slowvm1.tcloud-pg0.utah.cloudlab.us.
2017-05-16 00:00:04.500 2931 ERROR nova.compute.manager Traceback (most recent call last):
2017-05-16 00:00:04.500 2931 ERROR nova.compute.manager   File "/usr/lib/python2.7/dist-packages/nova/compute/manager.py", line 6590, in update_available_resource
    continued text of a wrapped line
not a nova line at all
"#;

const HDFS: &str = "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating
081109 203807 222 INFO dfs.DataNode$PacketResponder: Received block blk_-6952295868487656571 of size 67108864 from /10.251.39.64
081109 204005 35 INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.251.73.220:50010 is added to blk_7128370237687728475 size 67108864
081109 204106 329 WARN dfs.DataNode$DataXceiver: 10.251.73.220:50010:Got exception while serving blk_-2918118818249673980 to /10.251.203.166:
";

fn ns(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, f: u32) -> i64 {
    civil_to_ns(y, mo, d, h, mi, s, f).unwrap()
}

fn formats() -> (CustomFormat, CustomFormat, Config) {
    let config = parse_config(CONFIG, "logtrace.toml").unwrap();
    let mut f = config.formats.iter().map(|f| CustomFormat::new(f).unwrap());
    (f.next().unwrap(), f.next().unwrap(), config)
}

/// Parses one line the way the pipeline does: the format, then the id patterns on the message.
fn parse<'a>(f: &CustomFormat, config: &Config, line: &'a str, out: &mut Record<'a>) -> Parsed {
    let p = f.parse_line(line, out);
    if p == Parsed::Entry {
        if let std::borrow::Cow::Borrowed(m) = out.message {
            IdPatterns::new(&config.id_patterns).unwrap().apply(m, out);
        }
    }
    p
}

#[test]
fn openstack_lines_give_time_level_logger_and_request_id() {
    let (nova, _, config) = formats();
    let lines: Vec<&str> = NOVA.lines().collect();

    let mut r = Record::default();
    assert_eq!(parse(&nova, &config, lines[0], &mut r), Parsed::Entry);
    assert_eq!(r.time_ns, Some(ns(2017, 5, 16, 0, 0, 0, 8_000_000)));
    assert!(r.time_without_zone);
    assert_eq!(r.level, Level::Info);
    assert_eq!(r.logger.as_deref(), Some("nova.osapi_compute.wsgi.server"));
    assert!(
        r.message.starts_with("10.11.10.1 \"GET /v2/"),
        "{}",
        r.message
    );
    // The request id sits in the bracketed context, not the message: the regex's
    // `ctx` capture is no field, so only a pattern over the whole line finds it.
    assert_eq!(r.request_id, None);
    let ids = IdPatterns::new(&config.id_patterns).unwrap();
    ids.apply(lines[0], &mut r);
    assert_eq!(
        r.request_id.as_deref(),
        Some("req-38101a0b-2096-447d-96ea-a692162415ae")
    );
    assert_eq!(r.id_fields, vec!["request_id"]);

    let mut r = Record::default();
    assert_eq!(parse(&nova, &config, lines[1], &mut r), Parsed::Entry);
    assert_eq!(r.level, Level::Warn);
    ids.apply(lines[1], &mut r);
    assert_eq!(
        r.request_id.as_deref(),
        Some("req-caa8ffd9-80ac-4b2c-b3a7-3ef1b7c5bc5f")
    );

    let mut r = Record::default();
    assert_eq!(parse(&nova, &config, lines[2], &mut r), Parsed::Entry);
    assert_eq!(r.level, Level::Error);
    assert_eq!(r.request_id, None, "`[-]` carries no id");

    // Python tracebacks in nova repeat the prefix, so they are entries of their own;
    // an indented line continues, anything else is reported.
    assert_eq!(
        parse(&nova, &config, lines[4], &mut Record::default()),
        Parsed::Entry
    );
    assert_eq!(
        parse(&nova, &config, lines[5], &mut Record::default()),
        Parsed::Continuation
    );
    assert_eq!(
        parse(&nova, &config, lines[6], &mut Record::default()),
        Parsed::Unparsed
    );
}

#[test]
fn a_request_id_capture_names_the_id_directly() {
    let config = parse_config(
        r#"
[[format]]
name = "nova"
regex = '^(?P<time>\S+ \S+) \d+ (?P<level>[A-Z]+) (?P<logger>\S+) \[(?P<request_id>req-[0-9a-f-]{36})[^\]]*\] (?P<message>.*)$'
"#,
        "t.toml",
    )
    .unwrap();
    let f = &CustomFormat::new(&config.formats[0]).unwrap();
    let mut r = Record::default();
    assert_eq!(
        f.parse_line(NOVA.lines().next().unwrap(), &mut r),
        Parsed::Entry
    );
    assert_eq!(
        r.id(IdKind::Request),
        Some("req-38101a0b-2096-447d-96ea-a692162415ae")
    );
    assert_eq!(r.id_fields, vec!["request_id"]);
}

#[test]
fn hdfs_lines_give_time_level_component_and_block_id() {
    let (_, hdfs, config) = formats();
    let want = [
        (
            "blk_38865049064139660",
            ns(2008, 11, 9, 20, 36, 15, 0),
            Level::Info,
        ),
        (
            "blk_-6952295868487656571",
            ns(2008, 11, 9, 20, 38, 7, 0),
            Level::Info,
        ),
        (
            "blk_7128370237687728475",
            ns(2008, 11, 9, 20, 40, 5, 0),
            Level::Info,
        ),
        (
            "blk_-2918118818249673980",
            ns(2008, 11, 9, 20, 41, 6, 0),
            Level::Warn,
        ),
    ];
    for (line, (blk, t, level)) in HDFS.lines().zip(want) {
        let mut r = Record::default();
        assert_eq!(parse(&hdfs, &config, line, &mut r), Parsed::Entry, "{line}");
        assert_eq!(r.trace_id.as_deref(), Some(blk), "{line}");
        assert_eq!(r.time_ns, Some(t), "{line}");
        assert_eq!(r.level, level);
        assert!(r.logger.as_deref().unwrap().starts_with("dfs."), "{line}");
        assert_eq!(r.id_fields, vec!["block"]);
    }
}

#[test]
fn a_whole_file_counts_entries_continuations_and_unparsed_lines() {
    let (nova, _, _) = formats();
    let mut sink = ChunkSink::new(FileInfo {
        file: 0,
        default_service: "nova".into(),
        keep_events: true,
        ..Default::default()
    });
    nova.parse_chunk(NOVA.as_bytes(), &mut sink);
    sink.finish();
    assert_eq!(
        (
            sink.counts.lines,
            sink.counts.entries,
            sink.counts.continuation,
            sink.counts.unparsed
        ),
        (7, 5, 1, 1)
    );
    assert_eq!(sink.examples[0].line, 7);
    assert_eq!(sink.counts.errors, 3);
    assert_eq!(sink.time_min, Some(ns(2017, 5, 16, 0, 0, 0, 8_000_000)));
}

#[test]
fn config_mistakes_are_reported_before_reading_logs() {
    let bad_regex = CONFIG.replace(r"(?P<pid>\d+)", r"(?P<pid>\d+");
    let e = parse_config(&bad_regex, "logtrace.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("logtrace.toml: [[format]] \"nova\": the regex does not compile"),
        "{e}"
    );
    let bad_override = CONFIG.replace("format = \"nova\"", "format = \"novva\"");
    let e = parse_config(&bad_override, "logtrace.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown format") && e.contains("nova, hdfs"),
        "{e}"
    );
    let bad_kind = CONFIG.replace("kind = \"trace\"", "kind = \"block\"");
    let e = parse_config(&bad_kind, "logtrace.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("[[id_pattern]] \"block\": unknown kind \"block\""),
        "{e}"
    );
    let bad_time = CONFIG.replace("%y%m%d", "%y%m%D");
    let e = parse_config(&bad_time, "logtrace.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"hdfs\"") && e.contains("%D"), "{e}");
}

/// `files` globs match the path below each input folder, the file name, or
/// the path as the user gave it; an entry that matches no file is a warning in
/// `inspect` (text and JSON), in `report`'s stderr and in report.json.
#[test]
fn globs_match_the_path_as_given_and_unmatched_entries_are_warned() {
    let tmp = tempfile::tempdir().unwrap();
    let nova = tmp.path().join("incident/nova");
    std::fs::create_dir_all(&nova).unwrap();
    std::fs::write(
        nova.join("api.log"),
        "2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 54fadb412c4e40cdbaed9335e4c35a9e - - -] 10.11.10.1 \"GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1\" status: 200 len: 1893 time: 0.2477829\n",
    )
    .unwrap();
    let config = tmp.path().join("logtrace.toml");
    let mut text = CONFIG.replace(
        "[[override]]\nfiles = [\"nova/*.log*\"]",
        "[[override]]\nfiles = [\"incident/nova/*.log\"]",
    );
    text.push_str("\n[[override]]\nfiles = [\"legacy/*.log\"]\nformat = \"text\"\n");
    std::fs::write(&config, text).unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_logtrace"))
            .current_dir(tmp.path())
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["inspect", "--json", "--config", "logtrace.toml", "incident"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Forced by the override whose glob names the input folder.
    assert_eq!(doc["files"][0]["format"], "custom:nova");
    assert_eq!(doc["files"][0]["unparsed"], 0);
    let warned = |w: &serde_json::Value| -> Vec<String> {
        w.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    // `hdfs/*` and `legacy/*.log` match nothing here.
    assert_eq!(
        warned(&doc["config_warnings"]),
        [
            r#"config [[format]] "hdfs" (files ["hdfs/*"]) matches no file"#,
            r#"config [[override]] #2 (format "text", files ["legacy/*.log"]) matches no file"#,
        ]
    );
    let out = run(&["inspect", "--config", "logtrace.toml", "incident"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(r#"warning: config [[override]] #2 (format "text", files ["legacy/*.log"]) matches no file"#),
        "{text}"
    );
    let out = run(&[
        "report",
        "--quiet",
        "--config",
        "logtrace.toml",
        "incident",
        "-o",
        "rep",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(
            r#"logtrace: warning: config [[format]] "hdfs" (files ["hdfs/*"]) matches no file"#
        ),
        "{stderr}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("rep/report.json")).unwrap())
            .unwrap();
    assert_eq!(warned(&report["input"]["config_warnings"]).len(), 2);
    // From the parent folder `nova/*.log*` no longer matches (the path below
    // the input folder is now `incident/nova/api.log`): warned too.
    let all = run(&["inspect", "--json", "--config", "logtrace.toml", "."]);
    let doc: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    let w = warned(&doc["config_warnings"]);
    assert_eq!(w.len(), 3, "{w:?}");
    assert!(w[0].starts_with(r#"config [[format]] "nova" (files ["nova/*.log*"])"#));
}
