//! Application and system formats, each detected without a config, on samples
//! written exactly as the software writes them by default (the source of
//! every sample is cited at its test). Per file: lines, events, unparsed
//! lines, requests by status class, p50/p99 of the durations and the id
//! fields found.

use std::path::Path;

use logtrace::ingest::{ingest, FileReport, IngestOptions, Ingested};

/// What one file must give.
#[derive(Debug, Default)]
struct Expect<'a> {
    format: &'a str,
    lines: u64,
    events: u64,
    unparsed: u64,
    /// Requests by class 1xx..5xx.
    classes: [u64; 5],
    /// p50 and p99 of the durations in ms (nearest rank), when there are durations.
    p50_p99_ms: Option<(f64, f64)>,
    /// Id fields and how many entries carried each.
    ids: &'a [(&'a str, u64)],
    services: &'a [(&'a str, u64)],
    errors: u64,
}

fn read(dir: &Path) -> Ingested {
    let opts = IngestOptions {
        keep_events: true,
        year: Some(2024),
        ..Default::default()
    };
    ingest(&[dir.to_path_buf()], &opts).unwrap()
}

/// Writes `name` into a fresh folder and reads it.
fn one(name: &str, content: &[u8]) -> (tempfile::TempDir, Ingested) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), content).unwrap();
    let got = read(dir.path());
    (dir, got)
}

fn nearest_rank(sorted: &[u64], p: f64) -> u64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).max(1);
    sorted[rank - 1]
}

fn check(input: &Ingested, e: &Expect<'_>) {
    assert_eq!(input.files.len(), 1);
    let f: &FileReport = &input.files[0];
    let c = &f.counts;
    assert_eq!(f.format, e.format, "{f:#?}");
    assert_eq!(
        (c.lines, c.events, c.unparsed),
        (e.lines, e.events, e.unparsed),
        "{:#?}",
        f
    );
    assert_eq!(
        c.entries + c.continuation + c.unparsed + c.blank,
        c.lines,
        "every line counted once"
    );
    let r = &f.requests;
    assert_eq!([r.c1, r.c2, r.c3, r.c4, r.c5], e.classes, "status classes");
    let mut durations: Vec<u64> = input.events.iter().filter_map(|ev| ev.duration()).collect();
    durations.sort_unstable();
    let got = (!durations.is_empty()).then(|| {
        let ms = |ns: u64| ns as f64 / 1e6;
        (
            ms(nearest_rank(&durations, 0.5)),
            ms(nearest_rank(&durations, 0.99)),
        )
    });
    assert_eq!(got, e.p50_p99_ms, "p50/p99 ms");
    let ids: Vec<(&str, u64)> = f.id_fields.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    assert_eq!(ids, e.ids, "id fields");
    let services: Vec<(&str, u64)> = f.services.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    assert_eq!(services, e.services, "services");
    assert_eq!(c.errors, e.errors, "errors");
}

/// The example of the OTLP repository (opentelemetry-proto `examples/logs.json`),
/// on one line as the collector's `file` exporter writes each batch, then two
/// batches of HTTP server logs with the semantic conventions' attributes, one
/// cut off (a crash while writing).
#[test]
fn otel_collector_file_exporter() {
    let example = r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my.service"}}]},"scopeLogs":[{"scope":{"name":"my.library","version":"1.0.0","attributes":[{"key":"my.scope.attribute","value":{"stringValue":"some scope attribute"}}]},"logRecords":[{"timeUnixNano":"1544712660300000000","observedTimeUnixNano":"1544712660300000000","severityNumber":10,"severityText":"Information","traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","body":{"stringValue":"Example log record"},"attributes":[{"key":"string.attribute","value":{"stringValue":"some string"}},{"key":"boolean.attribute","value":{"boolValue":true}},{"key":"int.attribute","value":{"intValue":"10"}},{"key":"double.attribute","value":{"doubleValue":637.704}},{"key":"array.attribute","value":{"arrayValue":{"values":[{"stringValue":"many"},{"stringValue":"values"}]}}},{"key":"map.attribute","value":{"kvlistValue":{"values":[{"key":"some.map.key","value":{"stringValue":"some value"}}]}}}]}]}]}]}"#;
    let http = |i: u32, method: &str, status: u32, secs: f64| {
        format!(
            r#"{{"timeUnixNano":"17000000{i:02}000000000","severityNumber":{sev},"severityText":"{text}","traceId":"5b8aa5a2d2c872e8321cf37308d6{i:04x}","spanId":"051581bf3cb5{i:04x}","body":{{"stringValue":"{method} /api/orders/{i} {status}"}},"attributes":[{{"key":"http.request.method","value":{{"stringValue":"{method}"}}}},{{"key":"url.path","value":{{"stringValue":"/api/orders/{i}"}}}},{{"key":"http.route","value":{{"stringValue":"/api/orders/{{id}}"}}}},{{"key":"http.response.status_code","value":{{"intValue":"{status}"}}}},{{"key":"http.server.request.duration","value":{{"doubleValue":{secs}}}}}]}}"#,
            sev = if status >= 500 { 17 } else { 9 },
            text = if status >= 500 { "ERROR" } else { "INFO" },
        )
    };
    let batch = |records: Vec<String>| {
        format!(
            r#"{{"resourceLogs":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"orders"}}}},{{"key":"host.name","value":{{"stringValue":"prod-01"}}}}]}},"scopeLogs":[{{"scope":{{"name":"orders.http"}},"logRecords":[{}]}}]}}]}}"#,
            records.join(",")
        )
    };
    let first = batch(vec![
        http(1, "GET", 200, 0.0121),
        http(2, "POST", 201, 0.1137),
        http(3, "GET", 404, 0.0015),
    ]);
    let second = batch(vec![http(4, "POST", 503, 1.2), http(5, "GET", 200, 0.0087)]);
    let cut = &second[..second.len() / 2];
    let content = format!("{example}\n{first}\n{second}\n{cut}\n");
    let (_d, got) = one("otel-logs.json", content.as_bytes());
    check(
        &got,
        &Expect {
            format: "otel",
            lines: 4,
            events: 6,
            unparsed: 1,
            classes: [0, 3, 0, 1, 1],
            p50_p99_ms: Some((12.1, 1200.0)),
            ids: &[("spanId", 6), ("traceId", 6)],
            services: &[("orders", 5), ("my.service", 1)],
            errors: 1,
        },
    );
    let f = &got.files[0];
    assert_eq!(f.counts.entries, 2 + 1, "three lines gave the six events");
    assert_eq!(f.unparsed_examples[0].reason, "truncated JSON");
    let d = &f.durations[0];
    assert_eq!(
        (d.field.as_str(), d.unit.name(), d.count),
        ("http.server.request.duration", "s", 5)
    );
    // The example's upper-case hex ids are the same ids as lower-case ones.
    let trace = got.events[0].trace_id;
    assert_eq!(got.symbols.get(trace), "5b8efff798038103d269b633813fc60c");
}

/// `journalctl -o export` as the format's documentation shows it
/// (systemd.io/JOURNAL_EXPORT_FORMATS, "Journal Export Format"), plus an entry
/// whose MESSAGE holds a newline and is therefore written in the binary form
/// the same page defines: `KEY\n`, a 64-bit little-endian length, the bytes, `\n`.
#[test]
fn journald_export() {
    let doc = "__CURSOR=s=739ad463348b4ceca5a9e69c95a3c93f;i=4ece7;b=6c7c6013a8674e9fb2ba9b4dc89cc66f;m=1ec4aaa;t=4c0a2f3f4ae31;x=7d7bc10e4bd1ec0f
__REALTIME_TIMESTAMP=1342540861416409
__MONOTONIC_TIMESTAMP=32287450
_BOOT_ID=6c7c6013a8674e9fb2ba9b4dc89cc66f
_TRANSPORT=syslog
PRIORITY=4
SYSLOG_FACILITY=3
SYSLOG_IDENTIFIER=gdm-password]
SYSLOG_PID=587
MESSAGE=AccountsService-DEBUG(+): ActUserManager: ignoring unspecified session '8' since it's not on the current seat
_PID=587
_UID=0
_GID=500
_COMM=gdm-session-wor
_EXE=/usr/libexec/gdm-session-worker
_CMDLINE=gdm-session-worker [pam/gdm-password]
_AUDIT_SESSION=2
_AUDIT_LOGINUID=500
_SYSTEMD_CGROUP=/user/lennart/2
_SYSTEMD_SESSION=2
_SELINUX_CONTEXT=system_u:system_r:xdm_t:s0-s0:c0.c1023
_SOURCE_REALTIME_TIMESTAMP=1342540861413961
_MACHINE_ID=a91663387a90b89f185d4e860000001a
_HOSTNAME=epsilon

__CURSOR=s=739ad463348b4ceca5a9e69c95a3c93f;i=4ece8;b=6c7c6013a8674e9fb2ba9b4dc89cc66f;m=1ee8d84;t=4c0a2f3f70fd2;x=2f6206fe6c45ac49
__REALTIME_TIMESTAMP=1342540861566866
__MONOTONIC_TIMESTAMP=32441727
_BOOT_ID=6c7c6013a8674e9fb2ba9b4dc89cc66f
_TRANSPORT=syslog
PRIORITY=6
SYSLOG_FACILITY=9
SYSLOG_IDENTIFIER=/USR/SBIN/CROND
SYSLOG_PID=8278
MESSAGE=(root) CMD (run-parts /etc/cron.hourly)
_PID=8278
_UID=0
_GID=0
_COMM=run-parts
_EXE=/usr/bin/bash
_CMDLINE=/bin/bash /bin/run-parts /etc/cron.hourly
_AUDIT_SESSION=8
_AUDIT_LOGINUID=0
_SYSTEMD_CGROUP=/user/root/8
_SYSTEMD_SESSION=8
_SELINUX_CONTEXT=system_u:system_r:crond_t:s0-s0:c0.c1023
_SOURCE_REALTIME_TIMESTAMP=1342540861564925
_MACHINE_ID=a91663387a90b89f185d4e860000001a
_HOSTNAME=epsilon

";
    let mut content = doc.as_bytes().to_vec();
    let msg = b"payment failed\n\tat Charge.run(Charge.java:42)";
    content.extend_from_slice(
        b"__CURSOR=s=739ad463348b4ceca5a9e69c95a3c93f;i=4ece9\n__REALTIME_TIMESTAMP=1342540862000000\nPRIORITY=3\n_SYSTEMD_UNIT=payments.service\nSYSLOG_IDENTIFIER=java\nREQUEST_ID=req-7\nDURATION_MS=250\nMESSAGE\n",
    );
    content.extend_from_slice(&(msg.len() as u64).to_le_bytes());
    content.extend_from_slice(msg);
    content.extend_from_slice(b"\n_PID=99\n\n");
    let (_d, got) = one("system.journal.export", &content);
    // 24 + 24 field lines, two blank; the third entry: 7 text fields, the
    // binary MESSAGE over 3 lines (`MESSAGE`, its length and first line, its
    // last line), `_PID`, a blank.
    check(
        &got,
        &Expect {
            format: "journald",
            lines: 24 + 1 + 24 + 1 + 7 + 3 + 1 + 1,
            events: 3,
            unparsed: 0,
            classes: [0; 5],
            p50_p99_ms: Some((250.0, 250.0)),
            ids: &[("REQUEST_ID", 1)],
            services: &[
                ("/USR/SBIN/CROND", 1),
                ("gdm-password]", 1),
                ("payments", 1),
            ],
            errors: 1,
        },
    );
    let ev = &got.events;
    assert_eq!(ev[0].time_ns, 1_342_540_861_416_409_000);
    assert_eq!(ev[0].level, logtrace::ingest::event::Level::Warn);
    assert_eq!(
        ev[2].source.line, 51,
        "line numbers count the binary field's lines"
    );
    assert_eq!(
        got.symbols.get(ev[2].message),
        "payment failed\n\tat Charge.run(Charge.java:42)"
    );
}

/// An export cut into many chunks (binary values with blank lines inside
/// them included) reads the same as in one piece.
#[test]
fn journald_export_entries_survive_chunking() {
    let mut content = Vec::new();
    for i in 0..400u32 {
        content.extend_from_slice(
            format!(
                "__CURSOR=s=x;i={i}\n__REALTIME_TIMESTAMP={}\nPRIORITY=6\nSYSLOG_IDENTIFIER=app\n",
                1_700_000_000_000_000u64 + u64::from(i) * 1000
            )
            .as_bytes(),
        );
        if i % 3 == 0 {
            let msg = format!("line one\n\nline three of {i}");
            content.extend_from_slice(b"MESSAGE\n");
            content.extend_from_slice(&(msg.len() as u64).to_le_bytes());
            content.extend_from_slice(msg.as_bytes());
            content.push(b'\n');
        } else {
            content.extend_from_slice(format!("MESSAGE=entry {i}\n").as_bytes());
        }
        content.push(b'\n');
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.export"), &content).unwrap();
    let whole = read(dir.path());
    let opts = IngestOptions {
        keep_events: true,
        chunk_size: 97,
        ..Default::default()
    };
    let cut = ingest(&[dir.path().to_path_buf()], &opts).unwrap();
    assert_eq!(whole.files[0].format, "journald");
    assert_eq!(whole.files[0].counts.events, 400);
    assert_eq!(whole.files[0].counts.unparsed, 0);
    assert_eq!(whole.files[0].counts, cut.files[0].counts);
    assert_eq!(whole.events, cut.events);
}

/// `journalctl -o json`: one object per line; a value with a control byte is
/// an array of bytes (systemd.io/JOURNAL_EXPORT_FORMATS, "Journal JSON Format").
#[test]
fn journald_json() {
    let lines = [
        r#"{ "__CURSOR" : "s=bcce4fb8ffcb40e9a6e05eee8b7831bf;i=5ef603;b=ec25d6795f0645619ddac9afdef453ee;m=545242e7049;t=50f1202", "__REALTIME_TIMESTAMP" : "1423944916375353", "__MONOTONIC_TIMESTAMP" : "5794517905481", "_BOOT_ID" : "ec25d6795f0645619ddac9afdef453ee", "_TRANSPORT" : "journal", "_UID" : "1001", "_GID" : "1001", "_CAP_EFFECTIVE" : "0", "_SYSTEMD_OWNER_UID" : "1001", "_SYSTEMD_SLICE" : "user-1001.slice", "_MACHINE_ID" : "5833158886a8445e801d437313d25eff", "_HOSTNAME" : "bupkis", "_AUDIT_LOGINUID" : "1001", "_SELINUX_CONTEXT" : "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023", "CODE_LINE" : "1", "CODE_FUNC" : "<module>", "SYSLOG_IDENTIFIER" : "python3", "_COMM" : "python3", "_EXE" : "/usr/bin/python3.4", "_AUDIT_SESSION" : "35898", "_SYSTEMD_CGROUP" : "/user.slice/user-1001.slice/session-35898.scope", "_SYSTEMD_SESSION" : "35898", "_SYSTEMD_UNIT" : "session-35898.scope", "MESSAGE" : [ 102, 111, 111, 10, 98, 97, 114 ], "CODE_FILE" : "<string>", "_PID" : "16853", "_CMDLINE" : "python3 -c from systemd import journal; journal.send(\"foo\\nbar\")", "_SOURCE_REALTIME_TIMESTAMP" : "1423944916372858" }"#,
        r#"{ "__CURSOR" : "s=1;i=2", "__REALTIME_TIMESTAMP" : "1423944917000000", "PRIORITY" : "3", "_SYSTEMD_UNIT" : "nginx.service", "SYSLOG_IDENTIFIER" : "nginx", "MESSAGE" : "upstream timed out while reading response header, request_id=abc-1 took 1.5s" }"#,
        r#"{ "__CURSOR" : "s=1;i=3", "__REALTIME_TIMESTAMP" : "1423944918000000", "PRIORITY" : "6", "_SYSTEMD_UNIT" : "nginx.service", "MESSAGE" : "ok took 20ms" }"#,
        r#"{ "__CURSOR" : "s=1;i=4", "__REALTIME_"#,
    ];
    let (_d, got) = one("journal.json", (lines.join("\n") + "\n").as_bytes());
    check(
        &got,
        &Expect {
            format: "journald-json",
            lines: 4,
            events: 3,
            unparsed: 1,
            classes: [0; 5],
            p50_p99_ms: Some((20.0, 1500.0)),
            ids: &[("request_id", 1)],
            services: &[("nginx", 2), ("python3", 1)],
            errors: 1,
        },
    );
    assert_eq!(got.events[0].time_ns, 1_423_944_916_375_353_000);
}

/// The loghub Zookeeper sample's layout (`%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n`).
#[test]
fn zookeeper_log4j() {
    let log = "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200
2015-07-29 19:04:12,394 - WARN  [RecvWorker:188978561024:QuorumCnxManager$RecvWorker@765] - Interrupting SendWorker
2015-07-29 19:04:29,071 - ERROR [LearnerHandler-/10.10.34.11:52225:LearnerHandler@562] - Unexpected exception causing shutdown while sock still open
java.net.SocketTimeoutException: Read timed out
\tat java.net.SocketInputStream.socketRead0(Native Method)
2015-07-29 19:13:17,524 - INFO  [NIOServerCxn.Factory:0.0.0.0/0.0.0.0:2181:NIOServerCnxn@1001] - Closed socket connection for client /10.10.34.13:37177 which had sessionid 0x14ed93111f20019
2015-07-29 19:13:17,524 - INFO  [SyncThread:1:NIOServerCnxn@1001] - Exception causing close of session 0x0 due to java.io.IOException: ZooKeeperServer not running
";
    let (_d, got) = one("zookeeper.log", log.as_bytes());
    check(
        &got,
        &Expect {
            format: "text",
            lines: 7,
            events: 5,
            unparsed: 0,
            classes: [0; 5],
            p50_p99_ms: None,
            ids: &[],
            services: &[("zookeeper", 5)],
            errors: 1,
        },
    );
}

/// Apache's error log as its documentation shows it, 2.2 and 2.4
/// (httpd.apache.org/docs/2.2/logs.html, /docs/2.4/logs.html#errorlog).
#[test]
fn apache_error_log() {
    let log = "[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /export/home/live/ap/htdocs/test
[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties
[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico
[Fri Sep 09 10:42:30.101010 2011] [mpm_event:notice] [pid 35700:tid 4328636416] AH00489: Apache/2.4.1 configured -- resuming normal operations
";
    let (_d, got) = one("error_log", log.as_bytes());
    check(
        &got,
        &Expect {
            format: "text",
            lines: 4,
            events: 4,
            unparsed: 0,
            classes: [0; 5],
            p50_p99_ms: None,
            ids: &[],
            services: &[("error_log", 4)],
            errors: 2,
        },
    );
}

/// logcat's default `threadtime` and its `brief` layout (developer.android.com/tools/logcat).
#[test]
fn android_logcat() {
    let threadtime = "12-10 13:02:50.071  1901  4229 D AndroidRuntime: Calling main entry com.android.commands.am.Am
12-10 13:02:50.310  1901  4229 I ActivityManager: Start proc 4300:com.example.app/u0a123 for activity
12-10 13:02:51.002  4300  4300 E AndroidRuntime: FATAL EXCEPTION: main
12-10 13:02:51.002  4300  4300 E AndroidRuntime: Process: com.example.app, PID: 4300
12-10 13:02:51.120  1901  1915 W ActivityManager:   Force finishing activity com.example.app/.MainActivity
";
    let (_d, got) = one("logcat.txt", threadtime.as_bytes());
    check(
        &got,
        &Expect {
            format: "text",
            lines: 5,
            events: 5,
            unparsed: 0,
            classes: [0; 5],
            p50_p99_ms: None,
            ids: &[],
            services: &[("logcat", 5)],
            errors: 2,
        },
    );
    let brief = "D/HeadsetStateMachine( 1785): Disconnected process message: 10, size: 0
I/ActivityManager(  585): Starting activity: Intent { act=android.intent.action.MAIN }
E/AndroidRuntime( 4300): FATAL EXCEPTION: main
";
    let (_d, got) = one("brief.log", brief.as_bytes());
    check(
        &got,
        &Expect {
            format: "text",
            lines: 3,
            events: 3,
            unparsed: 0,
            classes: [0; 5],
            p50_p99_ms: None,
            ids: &[],
            services: &[("brief", 3)],
            errors: 1,
        },
    );
}

/// The loghub HDFS sample (Hadoop's older log4j layout `yyMMdd HHmmss thread LEVEL class: msg`).
#[test]
fn hadoop_hdfs() {
    let log = "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating
081109 203807 222 INFO dfs.DataNode$PacketResponder: PacketResponder 0 for block blk_-6952295868487656571 terminating
081109 204005 35 INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.251.73.220:50010 is added to blk_7128370237687728475 size 67108864
081109 204106 329 WARN dfs.DataNode$DataXceiver: 10.251.43.115:50010:Got exception while serving blk_-5296924137093616226 to /10.251.43.115:
";
    let (_d, got) = one("hdfs.log", log.as_bytes());
    check(
        &got,
        &Expect {
            format: "text",
            lines: 4,
            events: 4,
            unparsed: 0,
            classes: [0; 5],
            p50_p99_ms: None,
            ids: &[],
            services: &[("hdfs", 4)],
            errors: 0,
        },
    );
    assert_eq!(
        got.files[0].first.as_deref(),
        Some("2008-11-09T20:36:15.000Z")
    );
}

/// logfmt as Go's `log/slog` TextHandler and logrus write it, durations with units (`dur=113.7ms`).
#[test]
fn logfmt_durations_with_units() {
    let log = r#"time=2024-03-01T12:00:00.000Z level=INFO msg=request method=GET path=/api/items status=200 dur=113.7ms request_id=r1
time=2024-03-01T12:00:01.000Z level=INFO msg=request method=GET path=/api/items status=200 dur=1.2s request_id=r2
time=2024-03-01T12:00:02.000Z level=INFO msg=request method=POST path=/api/items status=201 dur=850us request_id=r3
time=2024-03-01T12:00:03.000Z level=WARN msg=request method=GET path=/api/items/9 status=404 dur=850µs request_id=r4
time=2024-03-01T12:00:04.000Z level=ERROR msg=request method=GET path=/api/items status=500 dur=1m2.5s request_id=r5
"#;
    let (_d, got) = one("api.log", log.as_bytes());
    check(
        &got,
        &Expect {
            format: "logfmt",
            lines: 5,
            events: 5,
            unparsed: 0,
            classes: [0, 3, 0, 1, 1],
            p50_p99_ms: Some((113.7, 62_500.0)),
            ids: &[("request_id", 5)],
            services: &[("api", 5)],
            errors: 1,
        },
    );
    let d = &got.files[0].durations;
    assert!(d.iter().all(|d| d.field == "dur"), "{d:?}");
    assert_eq!(d.iter().map(|d| d.count).sum::<u64>(), 5);
}

/// The example of Spring Cloud Sleuth's reference documentation ("Log
/// correlation"): one request through service1 -> service2 -> service3 and
/// service4, each writing Spring Boot's default layout with Sleuth's
/// `[app,traceId,spanId,exportable]`. Sleuth 1 wrote ids without leading
/// zeros (service3's span `1210be13194bfe5`).
#[test]
fn spring_cloud_sleuth_ids_join_services() {
    let line = |time: &str, app: &str, span: &str, pid: u32, port: u32, msg: &str| {
        format!("2016-02-26 11:15:{time}  INFO [{app},2485ec27856c56f4,{span},true] {pid} --- [nio-{port}-exec-1] i.s.c.sleuth.docs.{app}.Application   : {msg}\n")
    };
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "service1.log",
            line("47.561", "service1", "2485ec27856c56f4", 68058, 8081, "Hello from service1. Calling service2")
                + &line("48.182", "service1", "2485ec27856c56f4", 68058, 8081, "Got response from service2 [Hello from service2, response from service3 [Hello from service3] and from service4 [Hello from service4]]"),
        ),
        (
            "service2.log",
            line("47.710", "service2", "9aa10ee6fbde75fa", 68059, 8082, "Hello from service2. Calling service3 and then service4")
                + &line("47.924", "service2", "9aa10ee6fbde75fa", 68059, 8082, "Got response from service3 [Hello from service3]")
                + &line("48.156", "service2", "9aa10ee6fbde75fa", 68059, 8082, "Got response from service4 [Hello from service4]"),
        ),
        (
            "service3.log",
            line("47.895", "service3", "1210be13194bfe5", 68060, 8083, "Hello from service3"),
        ),
        (
            "service4.log",
            line("48.134", "service4", "1b1845262ffba49d", 68061, 8084, "Hello from service4"),
        ),
    ];
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let got = read(dir.path());
    for f in &got.files {
        let app = f.path.trim_end_matches(".log");
        assert_eq!(f.format, "text");
        assert_eq!(f.counts.unparsed, 0);
        let services: Vec<(&str, u64)> = f.services.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        assert_eq!(
            services,
            [(app, f.counts.events)],
            "the app name is the service"
        );
        let ids: Vec<(&str, u64)> = f.id_fields.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        assert_eq!(ids, [("[app,traceId,spanId]", f.counts.events)]);
    }
    assert_eq!(got.events.len(), 7);
    let trace = got.events[0].trace_id;
    assert!(got.events.iter().all(|e| e.trace_id == trace));
    assert_eq!(got.symbols.get(trace), "2485ec27856c56f4");

    // The report puts the seven entries of four services in one trace.
    let out = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_logtrace"))
        .args(["report", "--quiet"])
        .arg(dir.path())
        .arg("-o")
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap();
    let t = &doc["traces"];
    assert_eq!(
        (t["count"].as_u64(), t["multi_service"].as_u64()),
        (Some(1), Some(1))
    );
}
