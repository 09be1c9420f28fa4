//! Real text logs through the text parser: every line parses without a panic,
//! entries and continuations come out where they should, and a few real values
//! per file are pinned.

use std::path::PathBuf;

use logtrace::ingest::event::{Level, Record};
use logtrace::ingest::formats::message;
use logtrace::ingest::formats::text::TextFormat;
use logtrace::ingest::formats::{FormatContext, LineFormat, Parsed};
use logtrace::ingest::time::parse_iso;

mod common;

fn realdata() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realdata"));
    if p.is_dir() {
        Some(p)
    } else {
        common::missing(&p.display().to_string());
        None
    }
}

/// What one line gave, owned so a file's results can be compared after parsing.
#[derive(Debug, Clone)]
struct Line {
    parsed: Parsed,
    time: Option<i64>,
    level: Level,
    service: Option<String>,
    logger: Option<String>,
    message: String,
    exception: bool,
    duration_ns: Option<u64>,
}

/// Reads a file as the chunk reader hands it over (lossy UTF-8, `\r` stripped,
/// blank lines skipped) and parses every line.
fn parse_file(rel: &str, year: i32) -> Option<Vec<Line>> {
    let path = realdata()?.join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let f = TextFormat::new(FormatContext { tz: None, year });
    let mut out = Vec::new();
    for raw in bytes.split(|&b| b == b'\n') {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let text = String::from_utf8_lossy(raw);
        let mut r = Record::default();
        let parsed = f.parse_line(&text, &mut r);
        out.push(Line {
            parsed,
            time: r.time_ns,
            level: r.level,
            service: r.service.map(|s| s.into_owned()),
            logger: r.logger.map(|s| s.into_owned()),
            message: r.message.into_owned(),
            exception: r.exception,
            duration_ns: r.duration_ns,
        });
    }
    Some(out)
}

fn at(s: &str) -> i64 {
    parse_iso(s.as_bytes()).unwrap().ns
}

fn count(lines: &[Line], p: Parsed) -> usize {
    lines.iter().filter(|l| l.parsed == p).count()
}

/// Every entry of a syslog file: a time in the context's year and a service.
fn all_syslog(lines: &[Line]) {
    for l in lines {
        assert_eq!(l.parsed, Parsed::Entry, "{l:?}");
        assert!(l.time.is_some(), "{l:?}");
    }
}

#[test]
fn auth_log_is_all_syslog_entries_in_the_given_year() {
    let Some(lines) = parse_file("elastic-examples/auth.log", 2017) else {
        return;
    };
    assert_eq!(lines.len(), 7121);
    all_syslog(&lines);
    assert_eq!(lines[0].time, Some(at("2017-03-27T13:06:56Z")));
    assert_eq!(lines[0].service.as_deref(), Some("sshd"));
    assert_eq!(lines[0].message, "Server listening on 0.0.0.0 port 22.");
    assert_eq!(lines[2].service.as_deref(), Some("systemd-logind"));
    let last = lines.last().unwrap();
    assert_eq!(last.time, Some(at("2017-04-20T14:14:29Z")));
    assert_eq!(last.message, "New session 858 of user ubuntu.");
    let sshd = lines
        .iter()
        .filter(|l| l.service.as_deref() == Some("sshd"))
        .count();
    assert_eq!(sshd, 4095);
    assert!(lines.iter().all(|l| l.service.is_some()));
}

#[test]
fn lnav_syslog_files() {
    for (f, n) in [
        ("lnav-samples/logfile_syslog.0", 4),
        ("lnav-samples/logfile_syslog.1", 4),
        ("lnav-samples/logfile_syslog.2", 3),
        ("lnav-samples/logfile_rollover.2", 375),
    ] {
        let Some(lines) = parse_file(f, 2007) else {
            return;
        };
        assert_eq!(lines.len(), n, "{f}");
        all_syslog(&lines);
    }
    let lines = parse_file("lnav-samples/logfile_syslog.0", 2007).unwrap();
    assert_eq!(lines[0].time, Some(at("2007-11-03T09:23:38Z")));
    assert_eq!(lines[0].service.as_deref(), Some("automount"));
    assert_eq!(lines[3].service.as_deref(), Some("sudo"));
    // indented lines continue the entry above
    let lines = parse_file("lnav-samples/logfile_syslog.3", 2022).unwrap();
    assert_eq!(count(&lines, Parsed::Entry), 7);
    assert_eq!(count(&lines, Parsed::Continuation), 10);
    assert_eq!(lines[2].message, "Configuration Notice:");
    // a header before the first entry is continuation, not an entry
    let lines = parse_file("lnav-samples/logfile_syslog_with_header.0", 2007).unwrap();
    assert_eq!(
        lines.iter().map(|l| l.parsed).collect::<Vec<_>>()[..3],
        [Parsed::Continuation, Parsed::Continuation, Parsed::Entry]
    );
    // a line without an app tag keeps its text
    let lines = parse_file("lnav-samples/logfile_bad_syslog.0", 2007).unwrap();
    assert_eq!(lines[2].service, None);
    assert_eq!(lines[2].message, "lookup for opt failed");
}

#[test]
fn lnav_java_and_spark() {
    let Some(lines) = parse_file("lnav-samples/logfile_java.0", 2025) else {
        return;
    };
    assert_eq!(count(&lines, Parsed::Entry), 20);
    assert_eq!(lines[0].time, Some(at("2025-01-24T07:00:30.139Z")));
    assert_eq!(lines[0].level, Level::Info);
    assert_eq!(lines[0].logger.as_deref(), Some("Version"));
    assert_eq!(
        lines[0].message,
        "HV000001: Hibernate Validator 8.0.1.Final"
    );
    assert_eq!(lines[4].logger.as_deref(), Some("ZookeeperConfig"));
    let lines = parse_file("lnav-samples/logfile_spark.0", 2017).unwrap();
    assert_eq!(count(&lines, Parsed::Entry), 399);
    assert_eq!(lines[0].time, Some(at("2017-06-09T20:10:40Z")));
    assert_eq!(
        lines[0].logger.as_deref(),
        Some("executor.CoarseGrainedExecutorBackend")
    );
    assert!(lines.iter().all(|l| l.level != Level::Unknown));
}

#[test]
fn lnav_stack_traces_continue_their_entry() {
    let Some(lines) = parse_file("lnav-samples/logfile_laravel.0", 2023) else {
        return;
    };
    assert_eq!(count(&lines, Parsed::Entry), 82);
    assert_eq!(count(&lines, Parsed::Continuation), 1332);
    assert_eq!(lines[0].level, Level::Error);
    assert!(lines[0].exception);
    assert_eq!(lines[1].parsed, Parsed::Continuation);
}

#[test]
fn lnav_glog() {
    let Some(lines) = parse_file("lnav-samples/logfile_glog.0", 2015) else {
        return;
    };
    assert_eq!(count(&lines, Parsed::Entry), 7);
    assert_eq!(lines[0].time, Some(at("2015-05-17T15:04:22.619632Z")));
    assert_eq!(lines[0].level, Level::Error);
    assert_eq!(lines[1].level, Level::Info);
    assert_eq!(lines[3].level, Level::Warn);
    assert_eq!(lines[0].logger.as_deref(), Some("logging_unittest.cc"));
    assert_eq!(lines[6].message, "foo 1000 0000001000 3e8");
}

#[test]
fn lnav_generic_multiline_crlf_and_bad_utf8() {
    let Some(lines) = parse_file("lnav-samples/logfile_multiline.0", 2024) else {
        return;
    };
    assert_eq!(
        lines.iter().map(|l| l.parsed).collect::<Vec<_>>(),
        [Parsed::Entry, Parsed::Continuation, Parsed::Entry]
    );
    assert_eq!(lines[2].level, Level::Error);
    assert_eq!(lines[2].message, "Goodbye, World!");
    let lines = parse_file("lnav-samples/logfile_crlf.0", 2024).unwrap();
    assert_eq!(count(&lines, Parsed::Entry), 2);
    assert_eq!(lines[1].level, Level::Warn);
    assert_eq!(lines[1].message, "foo bar baz");
    assert_eq!(lines[1].time, Some(at("2014-10-08T16:56:38.344Z")));
    let lines = parse_file("lnav-samples/logfile_invalid_utf8.0", 2024).unwrap();
    assert_eq!(count(&lines, Parsed::Entry), 1);
    assert_eq!(count(&lines, Parsed::Continuation), 5);
    assert_eq!(lines[0].logger.as_deref(), Some("com.root"));
    let lines = parse_file("lnav-samples/logfile_generic_nanos.0", 2024).unwrap();
    assert_eq!(lines[0].time, Some(at("2025-01-01T00:00:00.123456789Z")));
    assert_eq!(lines[1].level, Level::Warn);
    let lines = parse_file("lnav-samples/logfile_leveltest.0", 2024).unwrap();
    let levels: Vec<Level> = lines.iter().map(|l| l.level).collect();
    use Level::*;
    assert_eq!(
        levels,
        [Trace, Debug, Unknown, Unknown, Info, Warn, Fatal, Unknown]
    );
    let lines = parse_file("lnav-samples/logfile_generic.2", 2024).unwrap();
    assert_eq!(lines[0].time, Some(at("2015-04-24T21:08:10.313913Z")));
    assert_eq!(lines[0].level, Level::Error);
    let lines = parse_file("lnav-samples/logfile_epoch.0", 2024).unwrap();
    assert_eq!(lines[1].time, Some(1_428_634_687_456_000_000));
    assert_eq!(lines[1].message, "Goodbye, World!");
}

#[test]
fn lnav_zones_and_rfc5424_bodies() {
    let Some(lines) = parse_file("lnav-samples/logfile_with_zones.0", 2024) else {
        return;
    };
    assert_eq!(count(&lines, Parsed::Entry), 3);
    assert_eq!(lines[0].time, Some(at("2022-08-27T14:22:01.613Z")));
    // +03:00 on the second line is the same minute in UTC
    assert_eq!(lines[1].time, Some(at("2022-08-27T14:22:01.694554Z")));
    assert_eq!(lines[0].service.as_deref(), Some("NSX"));
    assert_eq!(lines[1].service.as_deref(), Some("CRON"));
    assert_eq!(lines[0].level, Level::Info);
}

#[test]
fn request_log_analyzer_syslog_wrapped_rails() {
    let Some(lines) = parse_file("request-log-analyzer/oink_22.log", 2010) else {
        return;
    };
    all_syslog(&lines);
    assert_eq!(lines[0].service.as_deref(), Some("rails"));
    assert_eq!(lines[0].time, Some(at("2010-06-18T11:27:37Z")));
    let done = &lines[4];
    assert!(done.message.starts_with("Completed in 207ms"), "{done:?}");
    assert_eq!(done.duration_ns, Some(207_000_000));
    let lines = parse_file("request-log-analyzer/syslog_1x.log", 2008).unwrap();
    all_syslog(&lines);
    assert_eq!(lines[0].service.as_deref(), Some("app_p"));
    let lines = parse_file("request-log-analyzer/merb_prefixed.log", 2009).unwrap();
    all_syslog(&lines);
    assert_eq!(lines[1].message, "cache: [GET /] miss");
    let lines = parse_file("request-log-analyzer/postgresql.log", 2010).unwrap();
    assert_eq!(lines[0].time, Some(at("2010-10-10T13:50:24Z")));
}

/// Every file of the corpora, line by line: nothing panics, and every file with
/// a timestamp shape the parser knows yields entries.
#[test]
fn every_sample_line_parses_without_panic() {
    let Some(root) = realdata() else {
        return;
    };
    let mut files = 0;
    for dir in ["lnav-samples", "request-log-analyzer", "elastic-examples"] {
        let Ok(rd) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in rd.flatten() {
            if e.path().is_file() {
                let rel = format!("{dir}/{}", e.file_name().to_string_lossy());
                let lines = parse_file(&rel, 2024).unwrap();
                assert_eq!(count(&lines, Parsed::Unparsed), 0, "{rel}");
                files += 1;
            }
        }
    }
    assert!(files > 100, "{files}");
}

/// The Spring layout inside the trainticket Docker envelopes: every inner line is
/// an entry with a date-less time, a level, a logger and its TraceID.
#[test]
fn k8s_trainticket_inner_lines() {
    let Some(root) = realdata() else {
        return;
    };
    let f = TextFormat::new(FormatContext::default());
    let mut n = 0;
    let mut stack = vec![root.join("k8s-pods/trainticket-docker")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for line in text.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let inner = v["log"].as_str().unwrap().trim_end();
                let mut r = Record::default();
                assert_eq!(f.parse_line(inner, &mut r), Parsed::Entry, "{inner}");
                assert!(r.time_without_date, "{inner}");
                assert_ne!(r.level, Level::Unknown, "{inner}");
                assert!(r.logger.is_some(), "{inner}");
                assert_eq!(r.trace_id.as_deref().map(str::len), Some(32), "{inner}");
                assert!(r.span_id.is_some(), "{inner}");
                n += 1;
            }
        }
    }
    assert!(n > 1000, "{n}");
}

/// A small deterministic generator (xorshift) so the test needs no crate and
/// always feeds the same strings.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_and_mutated_lines_never_panic() {
    let seeds = [
        "2024-03-01 12:00:00,123 [main] ERROR c.e.App - GET /api/x HTTP/1.1\" 500 took 12ms request_id=\"abc\"",
        "<34>1 2003-10-11T22:14:15.003Z host app - ID47 [x@1 a=\"b\\\"]\"] msg TraceID: abc",
        "Mar  1 12:00:00 host app[12]: status=200 in 120 ms",
        "E0517 15:04:22.619632 1952452992 file.cc:253] é ü 日本 time: 0.247",
        "16:49:08.656 INFO  c.c.ConfigController#67 TraceID: 1 SpanID: 2 [retrieve]",
        "[01/Mar/2024:12:00:00 +0000] Mar 01, 2024 12:00:00 PM 17/06/09 20:10:40",
        "\tat com.x.Y(Y.java:1) Caused by: java.lang.IllegalStateException: boom",
    ];
    let alphabet: Vec<char> = " \t[]<>:=\"'-./,0123456789AEIMPTZaelrstu#$é日\u{feff}"
        .chars()
        .collect();
    let f = TextFormat::new(FormatContext {
        tz: Some(jiff::tz::TimeZone::fixed(jiff::tz::offset(8))),
        year: 2024,
    });
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let run = |s: &str| {
        let mut r = Record::default();
        f.parse_line(s, &mut r);
        let mut r = Record::default();
        message::scan(s, &mut r);
        let _ = logtrace::ingest::formats::text::sniff(s);
    };
    for seed in seeds {
        let chars: Vec<char> = seed.chars().collect();
        // every prefix: timestamps and pairs cut at any point
        for i in 0..=chars.len() {
            run(&chars[..i].iter().collect::<String>());
        }
        for _ in 0..3000 {
            let mut c = chars.clone();
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() as usize) % (c.len() + 1);
                let ch = alphabet[(rng.next() as usize) % alphabet.len()];
                match rng.next() % 3 {
                    0 if at < c.len() => c[at] = ch,
                    1 if at < c.len() => {
                        c.remove(at);
                    }
                    _ => c.insert(at, ch),
                }
            }
            run(&c.iter().collect::<String>());
        }
    }
    for _ in 0..5000 {
        let len = (rng.next() % 80) as usize;
        let s: String = (0..len)
            .map(|_| alphabet[(rng.next() as usize) % alphabet.len()])
            .collect();
        run(&s);
    }
}
