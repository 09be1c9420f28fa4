use super::*;
use crate::ingest::time::parse_iso;

fn ctx(year: i32) -> TextFormat {
    TextFormat::new(FormatContext { tz: None, year })
}

fn at(s: &str) -> i64 {
    parse_iso(s.as_bytes()).unwrap().ns
}

fn parse(line: &str) -> (Parsed, Record<'_>) {
    let mut r = Record::default();
    let p = ctx(2024).parse_line(line, &mut r);
    (p, r)
}

#[test]
fn bracketed_mdc_before_the_message_gives_ids() {
    let (p, r) = parse("2024-03-01 12:00:15.484 [http-nio-8080-exec-6] INFO  c.s.inventory.web.StockController [requestId=e4589f320468108f80eb0719cd4fdb42] - GET /stock/9984 200 completed in 8 ms");
    assert_eq!(p, Parsed::Entry);
    assert_eq!(
        r.request_id.as_deref(),
        Some("e4589f320468108f80eb0719cd4fdb42")
    );
    assert_eq!(
        r.logger.as_deref(),
        Some("c.s.inventory.web.StockController")
    );
    assert_eq!(r.status, Some(200));
    assert_eq!(r.duration_ns, Some(8_000_000));
    let (_, r) = parse("2024-03-01 12:00:15.484 [main] [traceId=t1, spanId=s1] WARN x.Y - slow");
    assert_eq!(
        (r.trace_id.as_deref(), r.span_id.as_deref()),
        (Some("t1"), Some("s1"))
    );
}

#[test]
fn logback_default_layouts() {
    let (p, r) = parse("2024-03-01 12:00:00.123 [http-nio-8080-exec-1] WARN  c.e.OrderService - slow order id=42 took 1.2s");
    assert_eq!(p, Parsed::Entry);
    assert_eq!(r.time_ns, Some(at("2024-03-01T12:00:00.123Z")));
    assert!(
        !r.time_without_zone,
        "the zone (UTC by default) was applied here"
    );
    assert_eq!(r.level, Level::Warn);
    assert_eq!(r.logger.as_deref(), Some("c.e.OrderService"));
    assert_eq!(r.message, "slow order id=42 took 1.2s");
    assert_eq!(r.duration_ns, Some(1_200_000_000));
    let (_, r) = parse("2024-03-01 12:00:00,123 ERROR [main] org.x.Boot - failed: java.lang.IllegalStateException: boom");
    assert_eq!(r.level, Level::Error);
    assert_eq!(r.logger.as_deref(), Some("org.x.Boot"));
    assert!(r.exception);
    assert_eq!(r.message, "failed: java.lang.IllegalStateException: boom");
}

#[test]
fn spring_cloud_sleuth_and_boot_correlation_ids() {
    // Spring Cloud Sleuth's reference documentation, "Log correlation".
    let (p, r) = parse("2016-02-26 11:15:47.561  INFO [service1,2485ec27856c56f4,2485ec27856c56f4,true] 68058 --- [nio-8081-exec-1] i.s.c.sleuth.docs.service1.Application   : Hello from service1. Calling service2");
    assert_eq!(p, Parsed::Entry);
    assert_eq!(r.level, Level::Info);
    assert_eq!(r.service.as_deref(), Some("service1"));
    assert_eq!(
        (r.trace_id.as_deref(), r.span_id.as_deref()),
        (Some("2485ec27856c56f4"), Some("2485ec27856c56f4"))
    );
    assert_eq!(r.id_fields, vec!["[app,traceId,spanId]"]);
    assert_eq!(
        r.logger.as_deref(),
        Some("i.s.c.sleuth.docs.service1.Application")
    );
    assert_eq!(r.message, "Hello from service1. Calling service2");
    // Sleuth 3 drops `exportable`; outside a request the ids are empty.
    let (_, r) = parse("2021-03-01 10:00:00.000 DEBUG [orders,5f3c2a1b9d8e7f60a1b2c3d4e5f60718,a1b2c3d4e5f60718] 1 --- [main] o.e.Orders : ready");
    assert_eq!(r.level, Level::Debug);
    assert_eq!(
        r.trace_id.as_deref(),
        Some("5f3c2a1b9d8e7f60a1b2c3d4e5f60718")
    );
    let (_, r) = parse("2018-02-23 23:10:18.365 DEBUG [config-service,,,] 8212 --- [nio-8888-exec-1] o.s.c.sleuth.instrument.web.TraceFilter : Received a request");
    assert_eq!(r.service.as_deref(), Some("config-service"));
    assert!(r.trace_id.is_none() && r.id_fields.is_empty());
    assert_eq!(
        r.logger.as_deref(),
        Some("o.s.c.sleuth.instrument.web.TraceFilter")
    );
    // Spring Boot 3.2+ with Micrometer Tracing (`logging.pattern.correlation`).
    let (_, r) = parse("2024-01-10T12:00:00.123Z  INFO 12345 --- [myapp] [nio-8080-exec-1] [803b448a0489f84084905d3093480352-3425f23bb2432450] o.s.b.d.MyApplication    : home() has been called");
    assert_eq!(
        (r.trace_id.as_deref(), r.span_id.as_deref()),
        (
            Some("803b448a0489f84084905d3093480352"),
            Some("3425f23bb2432450")
        )
    );
    assert_eq!(r.logger.as_deref(), Some("o.s.b.d.MyApplication"));
    assert_eq!(r.message, "home() has been called");
    // Brackets that only look alike are left alone.
    let (_, r) = parse("2024-01-10 12:00:00.123 INFO [a,b,c] x.Y - [1,2,3] listed");
    assert!(r.trace_id.is_none() && r.service.is_none());
}

#[test]
fn spring_boot_layout() {
    let (p, r) = parse("2024-03-01T12:00:00.123Z  INFO 1234 --- [           main] c.e.App                                  : Started App in 2.5 seconds");
    assert_eq!(p, Parsed::Entry);
    assert_eq!(r.time_ns, Some(at("2024-03-01T12:00:00.123Z")));
    assert!(!r.time_without_zone);
    assert_eq!(r.level, Level::Info);
    assert_eq!(r.logger.as_deref(), Some("c.e.App"));
    assert_eq!(r.message, "Started App in 2.5 seconds");
    assert_eq!(r.duration_ns, Some(2_500_000_000));
    let (_, r) =
        parse("2024-03-01T12:00:00.123+01:00 ERROR 7 --- [app] [main] o.s.Web : GET /api/x -> 503");
    assert_eq!(r.time_ns, Some(at("2024-03-01T11:00:00.123Z")));
    assert_eq!(r.logger.as_deref(), Some("o.s.Web"));
    assert_eq!((r.method.as_deref(), r.status), (Some("GET"), Some(503)));
}

#[test]
fn time_of_day_layouts_inside_containers() {
    let (p, r) = parse("16:49:08.656 INFO  c.c.ConfigController#67 TraceID: e107c4d252a8f4810ed9ae6b5ebd5267 SpanID: 818a84133ef9cf86 [retrieve][Retrieve config]");
    assert_eq!(p, Parsed::Entry);
    assert_eq!(
        r.time_ns,
        Some((16 * 3600 + 49 * 60 + 8) * 1_000_000_000 + 656_000_000)
    );
    assert!(r.time_without_date);
    assert_eq!(r.level, Level::Info);
    assert_eq!(r.logger.as_deref(), Some("c.c.ConfigController"));
    assert_eq!(
        r.trace_id.as_deref(),
        Some("e107c4d252a8f4810ed9ae6b5ebd5267")
    );
    assert_eq!(r.span_id.as_deref(), Some("818a84133ef9cf86"));
    assert!(r.message.starts_with("TraceID: e107"));
    let (_, r) = parse("05:18:20.847 INFO  - TraceID: 2bbb4d7b7d41b8652c4c5b23a10cd5f7 SpanID: ec9efc5b00b2d37a received ad request (context_words=[])");
    assert_eq!(r.level, Level::Info);
    assert!(r.logger.is_none());
    assert_eq!(
        r.trace_id.as_deref(),
        Some("2bbb4d7b7d41b8652c4c5b23a10cd5f7")
    );
    assert!(r.message.starts_with("TraceID:"));
}

#[test]
fn python_logging_layouts() {
    let (_, r) = parse("2024-03-01 12:00:00,123 - app.db - ERROR - Traceback follows");
    assert_eq!(r.time_ns, Some(at("2024-03-01T12:00:00.123Z")));
    assert_eq!(r.level, Level::Error);
    assert_eq!(r.logger.as_deref(), Some("app.db"));
    assert_eq!(r.message, "Traceback follows");
    assert!(r.exception);
    let (p, r) =
        parse("WARNING:urllib3.connectionpool:Retrying (Retry(total=2)) after connection broken");
    assert_eq!(p, Parsed::Entry);
    assert_eq!(r.time_ns, None);
    assert_eq!(r.level, Level::Warn);
    assert_eq!(r.logger.as_deref(), Some("urllib3.connectionpool"));
    let (_, r) = parse("2015-03-12T23:16:52.071:INFO:com.root:Response :");
    assert_eq!(r.level, Level::Info);
    assert_eq!(r.logger.as_deref(), Some("com.root"));
    assert_eq!(r.message, "Response :");
    let (_, r) = parse("2009-07-20 22:59:27,672:DEBUG:Hello, World!");
    assert_eq!(r.level, Level::Debug);
    assert_eq!(r.message, "Hello, World!");
}

#[test]
fn syslog_3164_and_5424() {
    let (p, r) =
        parse("Mar 27 13:06:56 ip-10-77-20-248 sshd[1291]: Server listening on 0.0.0.0 port 22.");
    assert_eq!(p, Parsed::Entry);
    assert_eq!(r.time_ns, Some(at("2024-03-27T13:06:56Z")));
    assert_eq!(r.service.as_deref(), Some("sshd"));
    assert_eq!(r.message, "Server listening on 0.0.0.0 port 22.");
    let (_, r) = parse("Jul 13 06:25:58 10.1.1.32 app_p [1957]: Completed in 0.21665 (4 reqs/sec)");
    assert_eq!(r.service.as_deref(), Some("app_p"));
    assert_eq!(r.message, "Completed in 0.21665 (4 reqs/sec)");
    let (_, r) =
        parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8");
    assert_eq!(r.level, Level::Fatal);
    assert_eq!(r.service.as_deref(), Some("su"));
    let (_, r) = parse("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\"] An application event");
    assert_eq!(r.time_ns, Some(at("2003-10-11T22:14:15.003Z")));
    assert_eq!(r.level, Level::Info);
    assert_eq!(r.service.as_deref(), Some("evntslog"));
    assert_eq!(r.message, "An application event");
    let (_, r) = parse("<34>1 - host app - - - no time here");
    assert_eq!((r.time_ns, r.message.as_ref()), (None, "no time here"));
    // RFC 5424 body without the PRI header (rsyslog file output)
    let (_, r) = parse("2022-08-27T14:22:01.613Z space01 NSX 3106 - [abc@6876 comp=\"x\" level=\"WARN\"] keep-alive");
    assert_eq!(r.service.as_deref(), Some("NSX"));
    assert_eq!(r.level, Level::Warn);
    assert_eq!(r.message, "keep-alive");
}

#[test]
fn glog_and_other_stamps() {
    let (_, r) = parse(
        "E0517 15:04:22.619632 1952452992 logging_unittest.cc:253] Log every 3, iteration 19",
    );
    assert_eq!(r.level, Level::Error);
    assert_eq!(r.time_ns, Some(at("2024-05-17T15:04:22.619632Z")));
    assert_eq!(r.logger.as_deref(), Some("logging_unittest.cc"));
    assert_eq!(r.message, "Log every 3, iteration 19");
    let (_, r) = parse(
        "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers",
    );
    assert_eq!(r.time_ns, Some(at("2017-06-09T20:10:40Z")));
    assert_eq!(
        r.logger.as_deref(),
        Some("executor.CoarseGrainedExecutorBackend")
    );
    assert_eq!(r.message, "Registered signal handlers");
    let (_, r) = parse("[2019-01-01 12:00:00 +0000] [1] [INFO] Starting gunicorn 19.9.0");
    assert_eq!(r.time_ns, Some(at("2019-01-01T12:00:00Z")));
    assert_eq!(r.level, Level::Info);
    assert_eq!(r.message, "Starting gunicorn 19.9.0");
    let (_, r) = parse("[2024-03-01T12:00:00Z WARN  my_crate::db] pool exhausted");
    assert_eq!(r.level, Level::Warn);
    assert_eq!(r.logger.as_deref(), Some("my_crate::db"));
    assert_eq!(r.message, "pool exhausted");
    let (_, r) = parse("[2023-05-15 18:19:32] local.ERROR: Target class [X] does not exist.");
    assert_eq!(r.level, Level::Error);
    assert_eq!(r.message, "Target class [X] does not exist.");
    let (_, r) =
        parse("2022-06-02T11:58:12.193Z info vpxd[45715] [Originator@6876 sub=vpxLro] -- BEGIN");
    assert_eq!(r.logger.as_deref(), Some("vpxd"));
    let (_, r) = parse("Mar 01, 2024 12:00:00 PM org.x.Main run");
    assert_eq!(r.time_ns, Some(at("2024-03-01T12:00:00Z")));
    let (_, r) = parse("[01/Mar/2024:12:00:00 +0000] GET /x 200");
    assert_eq!(r.time_ns, Some(at("2024-03-01T12:00:00Z")));
    assert_eq!(r.status, Some(200));
    let (_, r) = parse("1428634687123 Hello, World!");
    assert_eq!(r.time_ns, Some(1_428_634_687_123_000_000));
    assert_eq!(r.message, "Hello, World!");
    let (_, r) = parse("2016-06-30 12:00:07 fatal fatalmessage");
    assert_eq!(
        (r.level, r.message.as_ref()),
        (Level::Fatal, "fatalmessage")
    );
}

#[test]
fn zookeeper_log4j_dash_layouts() {
    // The layout of the loghub Zookeeper sample, `%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n`.
    let (p, r) = parse("2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200");
    assert_eq!(p, Parsed::Entry);
    assert_eq!(r.time_ns, Some(at("2015-07-29T17:41:44.747Z")));
    assert_eq!(r.level, Level::Info);
    assert_eq!(r.logger.as_deref(), Some("FastLeaderElection"));
    assert_eq!(r.message, "Notification time out: 3200");
    assert!(r.service.is_none());
    let (_, r) = parse("2015-07-29 19:04:29,071 - ERROR [LearnerHandler-/10.10.34.11:52225:LearnerHandler@562] - Unexpected exception causing shutdown while sock still open");
    assert_eq!(r.level, Level::Error);
    assert_eq!(r.logger.as_deref(), Some("LearnerHandler"));
    // ZooKeeper 3.4's conf/log4j.properties: `%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n`.
    let (_, r) = parse("2015-07-29 19:04:12,394 [myid:2] - WARN  [RecvWorker:188978561024:QuorumCnxManager$RecvWorker@765] - Interrupting SendWorker");
    assert_eq!(r.level, Level::Warn);
    assert_eq!(r.logger.as_deref(), Some("QuorumCnxManager$RecvWorker"));
    assert_eq!(r.message, "Interrupting SendWorker");
    // The same line quoted after another timestamp is not read as RFC 5424 (app = the date).
    let (_, r) = parse("2024-04-04T20:30:55.424+02:00 source=k8s-node-1 2024-04-04 18:30:54,422 [myid:] - INFO [nioEventLoopGroup-4-1:o.a.z.s.NettyServerCnxn@294] - Processing srvr command");
    assert!(r.service.is_none());
    // A lower-case word after a dash is the message, not a level.
    let (_, r) = parse("2024-03-01 12:00:00 - error handling finished");
    assert_eq!(r.level, Level::Unknown);
}

#[test]
fn apache_error_log() {
    // https://httpd.apache.org/docs/2.4/logs.html#errorlog
    let (p, r) = parse("[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico");
    assert_eq!(p, Parsed::Entry);
    assert_eq!(r.time_ns, Some(at("2011-09-09T10:42:29.902022Z")));
    assert_eq!(r.level, Level::Error);
    assert_eq!(
        r.message,
        "File does not exist: /usr/local/apache2/htdocs/favicon.ico"
    );
    // https://httpd.apache.org/docs/2.2/logs.html#errorlog
    let (_, r) = parse("[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /export/home/live/ap/htdocs/test");
    assert_eq!(r.time_ns, Some(at("2000-10-11T14:32:52Z")));
    assert_eq!(r.level, Level::Error);
    assert_eq!(
        r.message,
        "client denied by server configuration: /export/home/live/ap/htdocs/test"
    );
    let (_, r) = parse("[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties");
    assert_eq!(r.level, Level::Info);
    assert_eq!(
        r.message,
        "workerEnv.init() ok /etc/httpd/conf/workers2.properties"
    );
    assert_eq!(sniff("[Sun Dec 04 04:47:44 2005] [notice] x"), Sniff::Yes);
}

#[test]
fn android_logcat() {
    // https://developer.android.com/tools/logcat, `threadtime` (the default) and `brief`.
    let (p, r) = parse("12-10 13:02:50.071  1901  4229 D AndroidRuntime: Calling main entry com.android.commands.am.Am");
    assert_eq!(p, Parsed::Entry);
    assert_eq!(r.time_ns, Some(at("2024-12-10T13:02:50.071Z")));
    assert_eq!(r.level, Level::Debug);
    assert_eq!(r.logger.as_deref(), Some("AndroidRuntime"));
    assert_eq!(r.message, "Calling main entry com.android.commands.am.Am");
    let (_, r) = parse("12-28 20:54:06.932  1513  1540 E ActivityManager: ANR in com.example.app");
    assert_eq!(r.level, Level::Error);
    let (p, r) = parse("D/HeadsetStateMachine( 1785): Disconnected process message: 10, size: 0");
    assert_eq!(p, Parsed::Entry);
    assert_eq!((r.time_ns, r.level), (None, Level::Debug));
    assert_eq!(r.logger.as_deref(), Some("HeadsetStateMachine"));
    assert_eq!(r.message, "Disconnected process message: 10, size: 0");
    assert_eq!(
        sniff("W/ActivityManager(  585): Unable to start service"),
        Sniff::Yes
    );
    // `time`: the brief line after the timestamp.
    let (_, r) = parse("12-10 13:02:50.071 W/ActivityManager(  585): Unable to start service");
    assert_eq!(
        (r.level, r.logger.as_deref()),
        (Level::Warn, Some("ActivityManager"))
    );
    assert_eq!(sniff("I/O error on /dev/sda"), Sniff::No);
}

#[test]
fn hadoop_hdfs_compact_layout() {
    // The loghub HDFS sample (Hadoop 0.x log4j `%d{yyMMdd HHmmss} %t %p %c: %m`).
    let (p, r) = parse("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating");
    assert_eq!(p, Parsed::Entry);
    assert_eq!(r.time_ns, Some(at("2008-11-09T20:36:15Z")));
    assert_eq!(r.level, Level::Info);
    assert_eq!(r.logger.as_deref(), Some("dfs.DataNode$PacketResponder"));
    assert_eq!(
        r.message,
        "PacketResponder 1 for block blk_38865049064139660 terminating"
    );
    let (_, r) = parse("081109 204106 329 WARN dfs.DataNode$DataXceiver: 10.251.43.115:50010:Got exception while serving blk_-5296924137093616226 to /10.251.43.115:");
    assert_eq!(r.level, Level::Warn);
}

#[test]
fn zone_less_times_follow_tz() {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let f = TextFormat::new(FormatContext {
        tz: Some(tz),
        year: 2024,
    });
    let mut r = Record::default();
    f.parse_line("2024-03-01 12:00:00 INFO x", &mut r);
    assert_eq!(r.time_ns, Some(at("2024-03-01T04:00:00Z")));
    let mut r = Record::default();
    f.parse_line("2024-03-01T12:00:00Z INFO x", &mut r);
    assert_eq!(r.time_ns, Some(at("2024-03-01T12:00:00Z")));
    // a time of day alone is left for the container envelope to date
    let mut r = Record::default();
    f.parse_line("16:49:08.656 INFO  x", &mut r);
    assert_eq!(
        r.time_ns,
        Some((16 * 3600 + 49 * 60 + 8) * 1_000_000_000 + 656_000_000)
    );
}

#[test]
fn continuation_lines() {
    let cont = |l: &str| {
        let (p, r) = parse(l);
        assert_eq!(p, Parsed::Continuation, "{l}");
        r.exception
    };
    assert!(cont("\tat com.example.App.main(App.java:12)"));
    assert!(cont("Caused by: java.io.IOException: closed"));
    assert!(cont("\t... 12 more"));
    assert!(cont("Traceback (most recent call last):"));
    assert!(cont("  File \"/app/x.py\", line 3, in <module>"));
    assert!(cont("java.lang.IllegalStateException: boom"));
    assert!(cont("ValueError: bad"));
    assert!(cont("goroutine 1 [running]:"));
    assert!(!cont("  How are you today?"));
    assert!(!cont("<tiptop>"));
    assert!(!cont("Error happened somewhere"));
}

#[test]
fn sniffing() {
    assert_eq!(sniff("2024-03-01 12:00:00,123 INFO x - y"), Sniff::Yes);
    assert_eq!(sniff("Mar  1 12:00:00 host app: x"), Sniff::Yes);
    assert_eq!(
        sniff("<34>1 2003-10-11T22:14:15.003Z h a - - - m"),
        Sniff::Yes
    );
    assert_eq!(
        sniff("I0301 12:00:00.123456  1234 file.cc:12] msg"),
        Sniff::Yes
    );
    assert_eq!(sniff("INFO:root:hello"), Sniff::Yes);
    assert_eq!(sniff("\tat x.Y(Y.java:1)"), Sniff::Maybe);
    assert_eq!(sniff("2022-08-22T05:18:16.5Z stdout F hi"), Sniff::Maybe);
    assert_eq!(sniff("{\"level\":\"info\"}"), Sniff::No);
    assert_eq!(
        sniff("127.0.0.1 - - [01/Mar/2024:12:00:00 +0000] \"GET / HTTP/1.1\" 200 1"),
        Sniff::No
    );
    assert_eq!(sniff("level=info msg=hi"), Sniff::No);
}
