//! Bytes -> each of logtrace's readers, with what each must keep checked.
//!
//! One function per fuzz target, listed in [`TARGETS`]. The targets under
//! `fuzz_targets/` call them; `tests/fuzz_corpus.rs` includes this file and
//! feeds every file of `corpus/<target>/` and `regressions/<target>/` to the
//! same function, so an input that once failed is replayed by `cargo test`.
//!
//! Besides "does not panic" (overflow checks and debug assertions are on in
//! both builds), the targets check invariants: every line is counted once
//! (entries + continuation + unparsed + blank = lines); a file reads the same
//! whatever its chunk size; a config that validates compiles; a `--fail-if`
//! expression reads back from its own text; a report read and written again
//! is the same report.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use logtrace::config::Config;
use logtrace::diff::{self, threshold};
use logtrace::ingest::chunk::{ChunkSink, FileInfo, LineCounts};
use logtrace::ingest::detect::{self, parse_config, FormatSet};
use logtrace::ingest::event::{Event, Record};
use logtrace::ingest::formats::custom::TimeFormat;
use logtrace::ingest::formats::{
    access, access_scan, container, fields, json, logfmt, text, FormatContext, FormatKind,
    LineFormat, Sniff,
};
use logtrace::ingest::time as t;
use logtrace::ingest::{self, IngestOptions};
use logtrace::window::{self, TimeBound};

/// A target's entry point.
pub type Entry = fn(&[u8]);

/// Every target: its name (a file under `fuzz_targets/`, a folder under
/// `corpus/`) and its entry point.
pub const TARGETS: &[(&str, Entry)] = &[
    ("line_access", line_access),
    ("line_access_custom", line_access_custom),
    ("line_json", line_json),
    ("line_logfmt", line_logfmt),
    ("line_text", line_text),
    ("line_container", line_container),
    ("line_custom", line_custom),
    ("detect", detect),
    ("chunks", chunks),
    ("config", config),
    ("fail_if", fail_if),
    ("report", report),
    ("time", time),
    ("window", window),
];

/// The config the custom-format targets use: regex formats with and without
/// a `time_format`, an nginx and an Apache format string, and id patterns.
pub const CONFIG: &str = r#"
[[access_format]]
name = "edge"
nginx = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time $request_id'

[[access_format]]
name = "apache"
apache = '%h %l %u %t "%r" %>s %b %D "%{X-Request-ID}i" %{traceparent}i'

[[format]]
name = "openstack"
regex = '^(?P<time>\S+ \S+) \d+ (?P<level>\w+) (?P<logger>\S+) \[(?P<request_id>req-[0-9a-f-]+)[^\]]*\] (?P<message>.*)'

[[format]]
name = "hdfs"
regex = '^(?P<date>\d{6} \d{6}) (?P<pid>\d+) (?P<level>[A-Z]+) (?P<logger>[^:]+): (?P<message>.*)$'
fields = { date = "time" }
time_format = "%y%m%d %H%M%S"

[[format]]
name = "gateway"
regex = '^(?P<time>[^|]+)\|(?P<service>[^|]*)\|(?P<method>[A-Z]+) (?P<path>\S+)\|(?P<status>\d+)\|(?P<took>[^|]*)\|(?P<trace_id>[^|]*)\|?(?P<msg>.*)'
fields = { took = "duration" }
time_format = "%d/%b/%Y:%H:%M:%S%.f %z"

[[format]]
name = "clock"
regex = '^(?P<time>\S+ \S+(?: [AP]M)?) (?P<level>\S+) (?P<duration_ms>\d*) ?(?P<message>.*)'
time_format = "%e %b %I:%M:%S %p"

[[id_pattern]]
kind = "request"
regex = '\[(req-[0-9a-f]{8}-[0-9a-f-]{27})'

[[id_pattern]]
kind = "trace"
name = "blk"
regex = 'blk_-?\d+'
"#;

/// The custom formats of [`CONFIG`], by name.
const CUSTOM: [&str; 4] = ["openstack", "hdfs", "gateway", "clock"];
const ACCESS_CUSTOM: [&str; 2] = ["edge", "apache"];

fn formats() -> &'static FormatSet {
    static SET: OnceLock<FormatSet> = OnceLock::new();
    SET.get_or_init(|| {
        let config = Config::parse(CONFIG, "fuzz config").expect("the fuzz config is valid");
        FormatSet::from_config(&config).expect("the fuzz config compiles")
    })
}

/// The parser of `kind`, compiled once (a regex format compiles its regex
/// each time [`FormatSet::parser`] is asked).
fn parser(kind: &FormatKind) -> Arc<dyn LineFormat> {
    static CACHE: OnceLock<Vec<(FormatKind, Arc<dyn LineFormat>)>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        let custom = CUSTOM.iter().map(|n| FormatKind::Custom((*n).into()));
        let access = ACCESS_CUSTOM
            .iter()
            .map(|n| FormatKind::AccessCustom((*n).into()));
        custom
            .chain(access)
            .map(|k| {
                let p = formats().parser(&k, &context());
                (k, p)
            })
            .collect()
    });
    match cache.iter().find(|(k, _)| k == kind) {
        Some((_, p)) => p.clone(),
        None => formats().parser(kind, &context()),
    }
}

fn context() -> FormatContext {
    FormatContext {
        tz: None,
        year: 2024,
    }
}

/// Lines as the reader counts them: a last line without `\n` is a line.
pub fn line_count(data: &[u8]) -> u64 {
    let newlines = data.iter().filter(|&&b| b == b'\n').count() as u64;
    newlines + u64::from(data.last().is_some_and(|&b| b != b'\n'))
}

/// Every line is exactly one of: an entry, a continuation, unparsed, blank.
pub fn assert_counted_once(c: &LineCounts, lines: u64) {
    assert_eq!(c.lines, lines, "lines seen: {c:?}");
    assert_eq!(
        c.entries + c.continuation + c.unparsed + c.headers + c.blank,
        c.lines,
        "every line is an entry, a continuation, unparsed, a header or blank: {c:?}"
    );
    // A line may hold several records (OTLP JSON): errors count events.
    assert!(c.errors <= c.events && c.untimed <= c.events, "{c:?}");
}

/// Feeds `data` to `format` as the reader does (a chunk through a sink, which
/// decodes lossily and drops `\r` and NUL padding), and each line to the
/// format's line parser and sniffer on its own.
fn lines_through(format: &dyn LineFormat, sniff: Option<fn(&str) -> Sniff>, data: &[u8]) {
    let info = FileInfo {
        default_service: "fuzz".into(),
        keep_events: true,
        id_patterns: formats().id_patterns(),
        ..Default::default()
    };
    let mut sink = ChunkSink::for_chunk(info, data);
    format.parse_chunk(data, &mut sink);
    sink.finish();
    sink.flatten();
    assert_counted_once(&sink.counts, line_count(data));
    assert_eq!(sink.events.len() as u64, sink.counts.entries);
    for line in data.split(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(line);
        let mut rec = Record::default();
        format.parse_line(&line, &mut rec);
        if let Some(sniff) = sniff {
            sniff(&line);
        }
    }
}

pub fn line_access(data: &[u8]) {
    lines_through(&access::AccessFormat::default(), Some(access::sniff), data);
}

/// The first line is an nginx `log_format` or Apache `LogFormat` string, the
/// rest are lines in it; then the same lines in the config's formats.
pub fn line_access_custom(data: &[u8]) {
    let (head, rest) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[data.len()..]),
    };
    let spec = String::from_utf8_lossy(head);
    for format in [
        access::AccessFormat::from_nginx(&spec),
        access::AccessFormat::from_apache(&spec),
    ]
    .into_iter()
    .flatten()
    {
        lines_through(&format, None, rest);
    }
    for name in ACCESS_CUSTOM {
        lines_through(&*parser(&FormatKind::AccessCustom(name.into())), None, data);
    }
}

pub fn line_json(data: &[u8]) {
    lines_through(&json::JsonFormat, Some(json::sniff), data);
}

pub fn line_logfmt(data: &[u8]) {
    lines_through(&logfmt::LogfmtFormat, Some(logfmt::sniff), data);
}

pub fn line_text(data: &[u8]) {
    lines_through(&text::TextFormat::new(context()), Some(text::sniff), data);
    let berlin = FormatContext {
        tz: jiff::tz::TimeZone::get("Europe/Berlin").ok(),
        year: 2024,
    };
    lines_through(&text::TextFormat::new(berlin), None, data);
}

/// Docker json-file and CRI lines, partial records joined; the cut a chunk
/// may be parsed up to ends a line.
pub fn line_container(data: &[u8]) {
    let docker = container::ContainerFormat::docker(context());
    let cri = container::ContainerFormat::cri(context());
    lines_through(&docker, Some(container::sniff_docker), data);
    lines_through(&cri, Some(container::sniff_cri), data);
    for format in [&docker, &cri] {
        let cut = format.cut_point(data);
        assert!(cut <= data.len());
        assert!(
            cut == 0 || cut == data.len() || data[cut - 1] == b'\n',
            "a cut ends a line"
        );
    }
}

/// The regex formats of [`CONFIG`] with its id patterns; and a time format
/// written in the first line, applied to each line after it.
pub fn line_custom(data: &[u8]) {
    for name in CUSTOM {
        lines_through(&*parser(&FormatKind::Custom(name.into())), None, data);
    }
    let mut lines = data.split(|&b| b == b'\n');
    let Some(Ok(fmt)) = lines.next().map(std::str::from_utf8) else {
        return;
    };
    if let Ok(format) = TimeFormat::new(fmt) {
        for line in lines {
            let line = String::from_utf8_lossy(line);
            let _ = format.parse(&line, 2024);
            let _ = format.parse(&line, i32::MAX);
        }
    }
}

/// Detection over a file's head, with and without config formats; the chosen
/// parser then reads the head.
pub fn detect(data: &[u8]) {
    let plain = detect::sniff_lines(data);
    assert!((0.0..=1.0).contains(&plain.confidence), "{plain:?}");
    assert!(plain.sampled <= detect::SNIFF_LINES);
    let found = formats().detect(Path::new("host/app.log"), data);
    assert!((0.0..=1.0).contains(&found.confidence), "{found:?}");
    lines_through(&*parser(&found.format), None, data);
}

/// The formats the chunk target forces with an `[[override]]`; `None` detects.
pub const FORCED: [Option<&str>; 10] = [
    None,
    Some("access"),
    Some("json"),
    Some("logfmt"),
    Some("text"),
    Some("docker"),
    Some("cri"),
    Some("hdfs"),
    Some("gateway"),
    Some("edge"),
];

pub fn ingest_options(forced: Option<&str>) -> IngestOptions {
    let mut text = CONFIG.to_owned();
    if let Some(f) = forced {
        text.push_str(&format!("\n[[override]]\nfiles = ['*']\nformat = '{f}'\n"));
    }
    IngestOptions {
        config: Config::parse(&text, "fuzz config").expect("the fuzz config is valid"),
        keep_events: true,
        year: Some(2024),
        ..Default::default()
    }
}

/// A folder of its own for each call, under one temporary folder per process.
pub fn scratch_dir() -> PathBuf {
    static ROOT: OnceLock<tempfile::TempDir> = OnceLock::new();
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let root = ROOT.get_or_init(|| tempfile::tempdir().expect("a temporary folder"));
    let dir = root
        .path()
        .join(NEXT.fetch_add(1, Ordering::Relaxed).to_string());
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// What reading a file gave, as text to compare: the file's report (counts,
/// examples, times, services) and each event with its strings.
pub fn read_file(path: &Path, opts: &IngestOptions, chunk_size: usize) -> (String, Vec<String>) {
    let opts = IngestOptions {
        chunk_size,
        ..opts.clone()
    };
    let got = ingest::ingest(&[path.to_path_buf()], &opts).expect("a readable file");
    let files = serde_json::to_string(&got.files).expect("file reports serialise");
    let s = &got.symbols;
    let events = got
        .events
        .iter()
        .map(|e: &Event| {
            format!(
                "{}:{} t={} d={} {} op={} rid={} tid={} span={} parent={} {} {:?} {:#x} {}",
                e.source.file,
                e.source.line,
                e.time_ns,
                e.duration_ns,
                s.get(e.service),
                s.get(e.operation),
                s.get(e.request_id),
                s.get(e.trace_id),
                e.span_id().text(s),
                e.parent_span_id().text(s),
                e.status,
                e.level,
                e.flags,
                s.get(e.message),
            )
        })
        .collect();
    (files, events)
}

/// Bytes -> chunks -> events: byte 0 picks the format (detected, or forced
/// by an override), byte 1 the chunk size (1..=256 bytes); the rest is the
/// file. It must read the same in such chunks as in one, and count every
/// line once.
pub fn chunks(data: &[u8]) {
    static OPTIONS: OnceLock<Vec<IngestOptions>> = OnceLock::new();
    let [pick, size, file @ ..] = data else {
        return;
    };
    let all = OPTIONS.get_or_init(|| FORCED.iter().map(|f| ingest_options(*f)).collect());
    let opts = &all[usize::from(*pick) % all.len()];
    let dir = scratch_dir();
    let path = dir.join("api").join("app.log");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, file).unwrap();
    let whole = read_file(&path, opts, file.len() + 1);
    let cut = read_file(&path, opts, usize::from(*size) + 1);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(whole.0, cut.0, "the file report depends on the chunk size");
    assert_eq!(whole.1, cut.1, "the events depend on the chunk size");
    let report: Vec<serde_json::Value> = serde_json::from_str(&whole.0).unwrap();
    let [report] = &report[..] else {
        panic!("one file, one report: {report:?}")
    };
    let counts: LineCounts = LineCounts {
        lines: report["lines"].as_u64().unwrap(),
        blank: report["blank"].as_u64().unwrap(),
        entries: report["entry_lines"].as_u64().unwrap(),
        events: report["events"].as_u64().unwrap(),
        continuation: report["continuation"].as_u64().unwrap(),
        unparsed: report["unparsed"].as_u64().unwrap(),
        headers: report["headers"].as_u64().unwrap(),
        errors: report["errors"].as_u64().unwrap(),
        untimed: report["untimed"].as_u64().unwrap(),
        ..Default::default()
    };
    let plain = report["compression"] == "none" && report["skipped"].is_null();
    let expected = if plain {
        line_count(file)
    } else {
        counts.lines
    };
    assert_counted_once(&counts, expected);
    assert_eq!(whole.1.len() as u64, counts.events);
}

/// A config file: reading it never panics, and one that validates compiles
/// (every regex, glob and format string) and gives a parser for each format.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let config = match parse_config(text, "fuzz.toml") {
        Ok(c) => c,
        Err(e) => {
            assert!(e.to_string().starts_with("fuzz.toml: "), "{e}");
            return;
        }
    };
    let set = FormatSet::from_config(&config).expect("a config that validates compiles");
    let kinds = config
        .formats
        .iter()
        .map(|f| FormatKind::Custom(f.name.clone()))
        .chain(
            config
                .access_formats
                .iter()
                .map(|f| FormatKind::AccessCustom(f.name.clone())),
        );
    let sample =
        b"2024-03-01T12:00:00Z INFO api GET /x 200 12ms request_id=abc\n\tat x.Y(Y.java:1)\n";
    for kind in kinds {
        lines_through(&*set.parser(&kind, &context()), None, sample);
    }
    set.detect(Path::new("x/y.log"), sample);
}

/// A `--fail-if` expression: an error says where (its caret display never
/// panics); an accepted one reads back the same from its own text, and
/// checks against a comparison of two reports.
pub fn fail_if(data: &[u8]) {
    let Ok(expr) = std::str::from_utf8(data) else {
        return;
    };
    match threshold::parse(expr) {
        Ok(t) => {
            assert_eq!(threshold::parse(t.text()).as_ref(), Ok(&t));
            let d = diff::compare::compare(&Default::default(), &Default::default(), 0);
            let _ = diff::check::check(&d, &[t], 0);
        }
        Err(e) => {
            assert!(e.at <= expr.len(), "{e:?}");
            let _ = e.to_string();
        }
    }
}

/// `diff`'s report reader: any bytes as a `report.json`. A report it
/// accepts compares with itself and with an empty one, renders in every
/// form, and written out and read again gives the same text.
pub fn report(data: &[u8]) {
    let dir = scratch_dir();
    let path = dir.join("report.json");
    std::fs::write(&path, data).unwrap();
    let loaded = diff::load(&path, "BASE");
    let Ok(summary) = loaded else {
        std::fs::remove_dir_all(&dir).unwrap();
        return;
    };
    let once = logtrace::render::files::report_json(&summary);
    std::fs::write(&path, &once).unwrap();
    let again = diff::load(&path, "NEW").expect("a report written by logtrace reads back");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(logtrace::render::files::report_json(&again), once);
    let empty = Default::default();
    let thresholds: Vec<threshold::Threshold> = ["p99>+10%", "error_rate>+0.5pp", "count<-50%"]
        .iter()
        .filter_map(|e| threshold::parse(e).ok())
        .chain([
            threshold::Threshold::NewErrors,
            threshold::Threshold::VanishedOperations,
        ])
        .collect();
    for (base, new) in [(&summary, &again), (&empty, &summary), (&summary, &empty)] {
        let d = diff::compare::compare(base, new, 0);
        let _ = diff::render::json(&d);
        let _ = diff::render::terminal(&d, 5, 0, true);
        let _ = diff::render::markdown(&d, 5);
        let _ = diff::check::check(&d, &thresholds, 0);
    }
}

/// The time readers of the line formats: none reads past its input, and a
/// time written back as RFC 3339 reads as the same millisecond.
pub fn time(data: &[u8]) {
    type Reader = fn(&[u8]) -> Option<t::Stamp>;
    let readers: [Reader; 8] = [
        t::parse_iso,
        t::parse_iso_loose,
        t::parse_clf,
        t::parse_month_day_year,
        t::parse_short_ymd,
        t::parse_time_of_day,
        t::parse_epoch_prefix,
        |b| t::parse_syslog(b, 2024),
    ];
    for read in readers {
        if let Some(s) = read(data) {
            assert!(s.len <= data.len(), "{s:?}");
        }
    }
    for year in [2024, i32::MIN, i32::MAX] {
        let _ = t::parse_syslog(data, year);
        let _ = t::parse_glog(data, year);
    }
    if let Some(s) = t::parse_iso(data) {
        let text = t::format_rfc3339_ms(s.ns);
        if let Some(back) = t::parse_iso(text.as_bytes()) {
            assert_eq!(back.ns, s.ns.div_euclid(1_000_000) * 1_000_000, "{text}");
        }
    }
    for read in [access_scan::parse_clf, access_scan::parse_any_time] {
        if let Some((_, _, len)) = read(data) {
            assert!(len <= data.len());
        }
    }
    let _ = access_scan::parse_secs(data);
    let _ = access_scan::parse_secs_list(data);
    let _ = access_scan::parse_unit_duration(data);
    let _ = access_scan::parse_uint(data);
    if let Some(bytes) = data.get(..8) {
        let ns = i64::from_le_bytes(bytes.try_into().unwrap());
        let _ = t::format_rfc3339_ms(ns);
        let _ = t::civil_from_days(ns);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = t::parse_epoch_str(s);
        let _ = fields::parse_time_value(s);
        let _ = fields::is_duration_with_unit(s);
        for unit in [fields::Unit::Ns, fields::Unit::S, fields::Unit::FromValue] {
            let _ = fields::parse_duration(s, unit);
        }
    }
}

/// `--since` / `--until` and durations: a bound that reads keeps, of
/// events at any times, exactly those inside it.
pub fn window(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = text.split_once('\n').unwrap_or((text, ""));
    let _ = window::parse_duration(a);
    // A date or time of day without a zone is read in --tz: try one with
    // daylight saving too (its gaps and folds).
    let berlin = jiff::tz::TimeZone::get("Europe/Berlin").ok();
    let _ = TimeBound::parse(a, berlin.as_ref());
    let (Ok(since), until) = (TimeBound::parse(a, None), TimeBound::parse(b, None).ok()) else {
        return;
    };
    let times = [i64::MIN + 1, -1, 0, 1_709_294_400_000_000_000, i64::MAX];
    let mut events: Vec<Event> = times
        .iter()
        .map(|&time_ns| Event {
            time_ns,
            ..Default::default()
        })
        .collect();
    let (first, last) = (times[0], times[times.len() - 1]);
    let lo = since.resolve(first, last);
    let hi = until.as_ref().map_or(i64::MAX, |u| u.resolve(first, last));
    if window::keep_window(&mut events, Some(&since), until.as_ref()).is_ok() {
        assert!(events.iter().all(|e| e.time_ns >= lo && e.time_ns < hi));
        let inside = times.iter().filter(|&&t| t >= lo && t < hi).count();
        assert_eq!(events.len(), inside);
    }
}
