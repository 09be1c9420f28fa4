//! JSON lines and logfmt on the real samples in `../shared/realdata/lnav-samples`,
//! plus random and mutated bytes: every JSON object line is an entry, every other
//! line is unparsed, pinned values come out exactly, and nothing panics.

use std::path::PathBuf;

use logtrace::ingest::event::{IdKind, Level, Record};
use logtrace::ingest::formats::json::{self, JsonFormat};
use logtrace::ingest::formats::logfmt::{self, LogfmtFormat};
use logtrace::ingest::formats::{LineFormat, Parsed, Sniff};

mod common;

fn samples() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/realdata/lnav-samples"
    ));
    if dir.is_dir() {
        Some(dir)
    } else {
        common::missing(&dir.display().to_string());
        None
    }
}

fn read(name: &str) -> Option<String> {
    let bytes = std::fs::read(samples()?.join(name)).expect(name);
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Parses `line` with `format`, giving the outcome and an owned summary to compare.
fn parse<'a>(format: &dyn LineFormat, line: &'a str) -> (Parsed, Record<'a>) {
    let mut r = Record::default();
    let p = format.parse_line(line, &mut r);
    (p, r)
}

const JSON_FILES: &[&str] = &[
    "gharchive_log.jsonl",
    "logfile_bunyan.0",
    "logfile_caddy_log.1",
    "logfile_cloudflare.1",
    "logfile_cloudflare.json",
    "logfile_ecs_log.json",
    "logfile_invalid_json.json",
    "logfile_invalid_json2.json",
    "logfile_journald.json",
    "logfile_json.json",
    "logfile_json2.json",
    "logfile_json3.json",
    "logfile_json_invalid.json",
    "logfile_json_subsec.json",
    "logfile_jsonid.json",
    "logfile_mixed_json2.json",
    "logfile_mongodb.0",
    "logfile_muxed_syslog.0",
    "logfile_nested_json.json",
    "logfile_nextcloud.0",
    "logfile_otel_collector.jsonl",
    "logfile_pino.0",
    "logfile_rust_tracing.0",
];

#[test]
fn every_json_object_line_is_an_entry_and_nothing_else_is() {
    let Some(dir) = samples() else { return };
    // Every *.json / *.jsonl file of the folder is in the list.
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".json") || name.ends_with(".jsonl") {
            assert!(JSON_FILES.contains(&name.as_str()), "{name} not covered");
        }
    }
    let mut entries = 0;
    for name in JSON_FILES {
        let text = read(name).unwrap();
        for (n, line) in text.lines().enumerate() {
            let is_object =
                serde_json::from_str::<serde_json::Value>(line).is_ok_and(|v| v.is_object());
            let (p, _) = parse(&JsonFormat, line);
            let want = if is_object {
                Parsed::Entry
            } else {
                Parsed::Unparsed
            };
            assert_eq!(p, want, "{name}:{}: {line:.120}", n + 1);
            assert_eq!(
                json::sniff(line) == Sniff::Yes,
                is_object,
                "{name}:{}",
                n + 1
            );
            entries += is_object as usize;
        }
    }
    assert!(entries > 150, "{entries}");
}

#[test]
fn invalid_json_samples_report_their_bad_lines() {
    let Some(_) = samples() else { return };
    for (name, bad) in [
        ("logfile_invalid_json.json", vec![3]),
        ("logfile_invalid_json2.json", vec![3]),
        ("logfile_json_invalid.json", vec![5]),
        ("logfile_mixed_json2.json", vec![4, 5, 6, 7, 8]),
    ] {
        let text = read(name).unwrap();
        let unparsed: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| parse(&JsonFormat, l).0 == Parsed::Unparsed)
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(unparsed, bad, "{name}");
    }
}

/// Line `n` (1-based) of a sample, parsed as JSON.
fn json_line(text: &str, n: usize) -> Record<'_> {
    let line = text.lines().nth(n - 1).unwrap();
    let (p, r) = parse(&JsonFormat, line);
    assert_eq!(p, Parsed::Entry, "{line}");
    r
}

#[test]
fn pino_line_with_trace_context() {
    let Some(text) = read("logfile_pino.0") else {
        return;
    };
    let r = json_line(&text, 1);
    assert_eq!(r.time_ns, Some(1_745_532_517_537_000_000));
    assert_eq!(r.level, Level::Info);
    assert_eq!(r.service.as_deref(), Some("payment"));
    assert_eq!(
        r.id(IdKind::Trace),
        Some("c759f29f5f1e2162be56f32dd1e77fce")
    );
    assert_eq!(r.id(IdKind::Span), Some("17c4a60ca4297cf1"));
    assert_eq!(r.id_fields, vec!["trace_id", "span_id"]);
    assert_eq!(r.message, "Charge request received.");
}

#[test]
fn bunyan_ecs_tracing_journald_values() {
    let Some(bunyan) = read("logfile_bunyan.0") else {
        return;
    };
    let r = json_line(&bunyan, 4);
    assert_eq!(r.level, Level::Info);
    assert_eq!(r.time_ns, Some(1_679_667_976_243_000_000)); // 2023-03-24T14:26:16.243Z
    assert_eq!(r.message, "Dependency extraction complete");
    assert_eq!(json_line(&bunyan, 1).level, Level::Debug);

    let ecs = read("logfile_ecs_log.json").unwrap();
    let r = json_line(&ecs, 4);
    assert_eq!(r.level, Level::Error);
    assert_eq!(r.time_ns, Some(1_736_762_293_634_000_000)); // 2025-01-13T09:58:13.634Z
    assert_eq!(r.logger.as_deref(), Some("app"));
    assert_eq!(r.message, "this is a error message num=15");

    let tracing = read("logfile_rust_tracing.0").unwrap();
    let r = json_line(&tracing, 5);
    assert_eq!(r.level, Level::Error);
    assert_eq!(r.time_ns, Some(1_761_678_910_821_723_000));
    assert_eq!(r.message, "hello! I'm gonna shave a yak");
    assert_eq!(r.logger.as_deref(), Some("fmt_json::yak_shave"));
    assert_eq!(r.path, None);

    let journald = read("logfile_journald.json").unwrap();
    let r = json_line(&journald, 1);
    assert_eq!(r.level, Level::Fatal); // PRIORITY 1 = alert
    assert_eq!(r.time_ns, Some(1_534_860_261_221_373_000));
    assert_eq!(r.service.as_deref(), Some("python"));
    assert_eq!(r.message, "GPS Reference longitude: 7.358143333");
    assert_eq!(json_line(&journald, 2).level, Level::Info);
}

#[test]
fn caddy_mongodb_log4j_nextcloud_cloudflare_values() {
    let Some(caddy) = read("logfile_caddy_log.1") else {
        return;
    };
    let r = json_line(&caddy, 1);
    assert_eq!(r.status, Some(200));
    assert_eq!(r.method.as_deref(), Some("GET"));
    assert_eq!(
        r.path.as_deref(),
        Some("/gentoo/gentoo-distfiles/distfiles/9b/tl-hrlatex.source-2021.tar.xz")
    );
    assert_eq!(r.duration_ns, Some(17_557_019)); // "duration":0.017557019 s
    assert_eq!(r.time_ns.map(|t| t / 1_000_000), Some(1_716_723_772_601));
    assert_eq!(r.logger.as_deref(), Some("http.log.access.log17"));

    let mongo = read("logfile_mongodb.0").unwrap();
    let r = json_line(&mongo, 2);
    assert_eq!(r.time_ns, Some(1_773_176_289_525_000_000)); // 2026-03-10T20:58:09.525+00:00
    assert_eq!(r.duration_ns, Some(120_000_000)); // attr.durationMillis
    assert_eq!(r.message, "Slow query");

    let subsec = read("logfile_json_subsec.json").unwrap();
    assert_eq!(
        json_line(&subsec, 2).time_ns,
        Some(1_663_977_619_222_000_123)
    );

    let nextcloud = read("logfile_nextcloud.0").unwrap();
    let r = json_line(&nextcloud, 1);
    assert_eq!(r.id(IdKind::Request), Some("twvbRFk1OwgHo2bqggnx"));
    assert_eq!(r.id_fields, vec!["reqId"]);
    assert_eq!(r.service.as_deref(), Some("files_antivirus"));

    let json3 = read("logfile_json3.json").unwrap();
    let r = json_line(&json3, 2);
    assert_eq!((r.status, r.method.as_deref()), (Some(500), Some("GET")));
    assert_eq!(r.path.as_deref(), Some("/example/uri/5"));

    let cf = read("logfile_cloudflare.1").unwrap();
    let r = json_line(&cf, 3);
    assert_eq!(r.method.as_deref(), Some("POST"));
    assert_eq!(r.path.as_deref(), Some("/api/login"));
    assert_eq!(r.status, Some(200));
    assert_eq!(r.time_ns, Some(1_712_790_002_350_000_000));
    assert_eq!(r.id(IdKind::Request), Some("87a1b2c3d4e5f003"));

    let json = read("logfile_json.json").unwrap();
    let r = json_line(&json, 2);
    assert_eq!(r.message, "Starting up \u{1b}[0;32mservice\u{1b}[0m");
    assert_eq!(r.logger.as_deref(), Some("com.example.demoµs"));
    assert_eq!(json_line(&json, 6).time_ns, None); // "ts": "xxx"
}

#[test]
fn logfmt_samples_parse_every_line() {
    let Some(text) = read("logfile_logfmt.0") else {
        return;
    };
    let recs: Vec<_> = text.lines().map(|l| parse(&LogfmtFormat, l)).collect();
    assert_eq!(recs.len(), 5);
    assert!(recs.iter().all(|(p, _)| *p == Parsed::Entry));
    assert!(text.lines().all(|l| logfmt::sniff(l) == Sniff::Yes));
    let levels: Vec<Level> = recs.iter().map(|(_, r)| r.level).collect();
    assert_eq!(
        levels,
        [
            Level::Error,
            Level::Warn,
            Level::Info,
            Level::Info,
            Level::Error
        ]
    );
    let r = &recs[0].1;
    assert_eq!(r.time_ns, Some(1_631_740_630_220_731_000)); // 2021-09-15T21:17:10.220731Z
    assert!(r
        .message
        .starts_with("error retrieving pod status: pod inc-1-enh-domain"));
    assert!(recs[1].1.exception); // error="pod ... is not found"
    assert_eq!(recs[3].1.message, "Pod deleted");

    let grafana = read("logfile_grafana.0").unwrap();
    let mut n = 0;
    for line in grafana.lines() {
        let (p, r) = parse(&LogfmtFormat, line);
        assert_eq!(p, Parsed::Entry, "{line}");
        assert!(r.time_ns.is_some() && r.logger.is_some(), "{line}");
        n += 1;
    }
    assert!(n > 0);
    let first = grafana.lines().next().unwrap();
    let (_, r) = parse(&LogfmtFormat, first);
    assert_eq!(r.time_ns, Some(1_745_524_308_520_963_849)); // 2025-04-24T19:51:48.520963849Z
    assert_eq!(r.logger.as_deref(), Some("settings"));
    assert_eq!(r.message, "Starting Grafana");

    // The logfmt line inside a JSON file.
    let mixed = read("logfile_mixed_json2.json").unwrap();
    let line = mixed.lines().nth(3).unwrap();
    let (p, r) = parse(&LogfmtFormat, line);
    assert_eq!(p, Parsed::Entry);
    assert_eq!(r.time_ns, Some(1_378_504_850_123_000_000));
    assert_eq!(r.message, "Hello, World");
}

/// A small deterministic generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const JSONISH: &[u8] =
    b"{}[]\":,\\ntrue false null 0123456789.-+eE uU \\u00e9 \\ud83d ab\xc3\xa9 \t=";

#[test]
fn random_and_mutated_bytes_never_panic() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut seeds: Vec<String> = vec![
        r#"{"ts":"2023-11-14T22:13:20Z","level":"info","msg":"a \"b\" \u00e9","trace":{"id":"abc"},"http":{"request":{"method":"GET"}},"duration":0.25,"arr":[1,{"x":null}]}"#.into(),
        r#"time="2021-09-15T21:17:10Z" level=error msg="x \"y\"" at=info service=3ms status=500"#.into(),
    ];
    if let Some(dir) = samples() {
        for name in ["logfile_pino.0", "logfile_ecs_log.json", "logfile_logfmt.0"] {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            seeds.extend(text.lines().map(str::to_owned));
        }
    }
    let formats: [&dyn LineFormat; 2] = [&JsonFormat, &LogfmtFormat];
    let (mut valid, mut unparsed) = (0, 0);
    for round in 0..4000 {
        let mut bytes: Vec<u8> = if round % 4 == 0 {
            // Random bytes drawn from JSON's alphabet, and raw random bytes.
            let len = rng.below(200);
            (0..len)
                .map(|_| {
                    if rng.below(3) == 0 {
                        rng.next() as u8
                    } else {
                        JSONISH[rng.below(JSONISH.len())]
                    }
                })
                .collect()
        } else {
            seeds[rng.below(seeds.len())].clone().into_bytes()
        };
        for _ in 0..=rng.below(4) {
            if bytes.is_empty() {
                break;
            }
            let at = rng.below(bytes.len());
            match rng.below(4) {
                0 => bytes[at] = JSONISH[rng.below(JSONISH.len())],
                1 => bytes.insert(at, rng.next() as u8),
                2 => {
                    bytes.remove(at);
                }
                _ => bytes.truncate(at),
            }
        }
        let line = String::from_utf8_lossy(&bytes);
        for f in formats {
            let mut r = Record::default();
            let p = f.parse_line(&line, &mut r);
            if p == Parsed::Unparsed {
                assert!(r.time_ns.is_none() && r.message.is_empty(), "{line}");
            }
        }
        // Whatever serde_json accepts as an object, the scanner reads too.
        if serde_json::from_str::<serde_json::Value>(&line).is_ok_and(|v| v.is_object()) {
            assert_eq!(parse(&JsonFormat, &line).0, Parsed::Entry, "{line}");
            valid += 1;
        } else if parse(&JsonFormat, &line).0 == Parsed::Unparsed {
            unparsed += 1;
        }
        let _ = json::sniff(&line);
        let _ = logfmt::sniff(&line);
    }
    // Both outcomes were exercised, not just one.
    assert!(
        valid > 200 && unparsed > 1000,
        "{valid} valid, {unparsed} unparsed"
    );
}
