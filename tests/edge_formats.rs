//! Load balancer, proxy and mesh logs, read without a config.
//!
//! `fixtures/edge/<format>/` holds twenty requests as each software writes
//! them by default (the README there cites the documentation each follows),
//! beside `orders.log`, the JSON log of the service behind the edge, which
//! carries the id the edge forwarded. Per edge file: format, lines, events,
//! unparsed and header lines, requests by status class, p50 and p99 of the
//! durations, request ids, clients and upstreams. Per folder: one trace per
//! request, and the edge -> orders call in every trace that reached orders.
//! The real HAProxy and W3C samples in ../shared/realdata are read as requests.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use logtrace::analyze::latency::latency;
use logtrace::ingest::event::Sym;
use logtrace::ingest::{ingest, IngestOptions};

/// What one file gave.
#[derive(Debug, PartialEq)]
struct Got {
    format: String,
    lines: u64,
    events: u64,
    unparsed: u64,
    headers: u64,
    /// Requests by status class: 1xx .. 5xx.
    classes: [u64; 5],
    /// Nearest-rank percentiles of the durations, ms; `None` without durations.
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    /// Distinct request ids.
    ids: usize,
    clients: usize,
    upstreams: Vec<String>,
}

fn read(path: &Path) -> Got {
    let opts = IngestOptions {
        keep_events: true,
        ..Default::default()
    };
    let run = ingest(&[path.to_path_buf()], &opts).unwrap();
    let f = &run.files[0];
    let mut classes = [0; 5];
    let mut durations = Vec::new();
    let (mut ids, mut clients, mut upstreams) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for e in &run.events {
        if (100..600).contains(&e.status) {
            classes[(e.status / 100 - 1) as usize] += 1;
        }
        durations.extend(e.duration().map(|d| d as i64));
        let put = |set: &mut BTreeSet<String>, s: Sym| {
            if s.is_some() {
                set.insert(run.symbols.get(s).to_string());
            }
        };
        put(&mut ids, e.request_id);
        put(&mut clients, e.client);
        put(&mut upstreams, e.upstream);
    }
    let lat = latency(&mut durations);
    Got {
        format: f.format.clone(),
        lines: f.counts.lines,
        events: f.counts.entries,
        unparsed: f.counts.unparsed,
        headers: f.counts.headers,
        classes,
        p50_ms: lat.as_ref().map(|l| l.p50),
        p99_ms: lat.as_ref().map(|l| l.p99),
        ids: ids.len(),
        clients: clients.len(),
        upstreams: upstreams.into_iter().collect(),
    }
}

fn fixture(rel: &str) -> PathBuf {
    common::root().join("fixtures/edge").join(rel)
}

/// The twenty requests every fixture holds: 14 2xx, one 304, one 404, and
/// 500, 502 (upstream reset), 503 (no upstream reached) and 504 (upstream
/// timeout after 15 s). Durations: 1, 5, 6, 9, 11, 12, 12, 13, 14, 14, 15,
/// 16, 17, 19, 22, 35, 48, 51, 240 and 15000 ms, so p50 is 14 and p99 15000.
const CLASSES: [u64; 5] = [0, 14, 1, 1, 4];

fn want(format: &str, lines: u64, headers: u64, upstreams: &[&str]) -> Got {
    Got {
        format: format.into(),
        lines,
        events: 20,
        unparsed: 0,
        headers,
        classes: CLASSES,
        p50_ms: Some(14.0),
        p99_ms: Some(15_000.0),
        ids: 20,
        clients: 4,
        upstreams: upstreams.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn envoy_default_format() {
    // https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage#default-format-string
    assert_eq!(
        read(&fixture("envoy/envoy.log")),
        want("envoy", 20, 0, &["10.0.2.15:8080"])
    );
}

#[test]
fn istio_default_format() {
    // https://istio.io/latest/docs/tasks/observability/logs/access-log/#default-access-log-format
    assert_eq!(
        read(&fixture("istio/istio-ingressgateway.log")),
        want(
            "envoy",
            20,
            0,
            &["outbound|8080||orders.shop.svc.cluster.local"]
        )
    );
}

#[test]
fn istio_json_format() {
    // https://istio.io/latest/docs/tasks/observability/logs/access-log/ with
    // `meshConfig.accessLogEncoding: JSON`: Istio's default JSON keys, as
    // Envoy writes them (sorted, numbers as numbers, `-` as null).
    assert_eq!(
        read(&fixture("istio-json/istio-ingressgateway.log")),
        want(
            "envoy",
            20,
            0,
            &["outbound|8080||orders.shop.svc.cluster.local"]
        )
    );
}

#[test]
fn haproxy_http_log_through_syslog() {
    // https://docs.haproxy.org/2.8/configuration.html#8.2.3 with
    // `capture request header X-Request-ID len 36`.
    assert_eq!(
        read(&fixture("haproxy/haproxy.log")),
        want(
            "haproxy",
            20,
            0,
            &["orders/<NOSRV>", "orders/web1", "orders/web2"]
        )
    );
}

#[test]
fn haproxy_tcp_log() {
    // https://docs.haproxy.org/2.8/configuration.html#8.2.2, `log stdout format raw`:
    // sessions without status or id, durations from Tt.
    let got = read(&fixture("haproxy-tcp/haproxy.log"));
    assert_eq!(
        got,
        Got {
            classes: [0; 5],
            p50_ms: Some(95.0),
            p99_ms: Some(5_007.0),
            ids: 0,
            clients: 3,
            ..want("haproxy", 20, 0, &["postgres/pg1", "postgres/pg2"])
        }
    );
}

#[test]
fn aws_application_load_balancer() {
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html
    // The 502, 503 and 504 have `-1` processing times: their duration is
    // `time - request_creation_time`.
    assert_eq!(
        read(&fixture("alb/alb.log")),
        want("elb", 20, 0, &["10.0.2.15:8080"])
    );
}

#[test]
fn aws_classic_load_balancer() {
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html
    // No request id in this layout, and no duration where a time is -1.
    assert_eq!(
        read(&fixture("clb/clb.log")),
        Got {
            p99_ms: Some(51.0),
            ids: 0,
            ..want("elb", 20, 0, &["10.0.2.15:8080"])
        }
    );
}

#[test]
fn cloudfront_standard_log() {
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html
    assert_eq!(
        read(&fixture("cloudfront/E2EXAMPLE.2024-03-01-12.a1b2c3d4.log")),
        want("w3c", 22, 2, &[])
    );
}

#[test]
fn iis_w3c_log_with_a_new_header_block() {
    // https://learn.microsoft.com/en-us/iis/manage/provisioning-and-managing-iis/configure-logging-in-iis
    // Default fields plus a custom `X-Request-ID`; the server restarts after
    // ten requests with other fields, in another order.
    assert_eq!(
        read(&fixture("iis/u_ex24030112.log")),
        want("w3c", 28, 8, &[])
    );
}

#[test]
fn traefik_common_format() {
    // https://doc.traefik.io/traefik/observability/access-logs/#format (the
    // default `common`), as pkg/middlewares/accesslog/logger_formatters.go
    // prints it: start time to the second, duration in whole ms, no request id.
    assert_eq!(
        read(&fixture("traefik/traefik.log")),
        Got {
            ids: 0,
            ..want("traefik", 20, 0, &["http://10.0.2.15:8080"])
        }
    );
}

#[test]
fn traefik_json_format() {
    // https://doc.traefik.io/traefik/observability/access-logs/#limiting-the-fieldsincluding-headers:
    // `format: json` with `fields.headers.names.X-Request-Id: keep`; Duration
    // in ns (each request 0.137211 ms longer than the common sample).
    assert_eq!(
        read(&fixture("traefik-json/traefik.log")),
        Got {
            p50_ms: Some(14.137),
            p99_ms: Some(15_000.137),
            ..want("traefik", 20, 0, &["http://10.0.2.15:8080"])
        }
    );
}

#[test]
fn caddy_json_access_log() {
    // https://caddyserver.com/docs/logging#structured-logs: `ts` and
    // `duration` in seconds (each request 0.211383 ms longer than the
    // others); the id is the X-Request-Id the client sent. Caddy's access
    // log names no upstream.
    assert_eq!(
        read(&fixture("caddy/access.log")),
        Got {
            p50_ms: Some(14.211),
            p99_ms: Some(15_000.211),
            ..want("caddy", 20, 0, &[])
        }
    );
}

#[test]
fn heroku_router() {
    // https://devcenter.heroku.com/articles/http-routing#heroku-router-log-format,
    // as `heroku logs` prints it. The router answers 503 with an error code
    // where the others answer 502/503/504: H13 (connection closed after
    // 240 ms), H10 (app crashed: no dyno, empty timers, no duration) and H12
    // (timeout at 30 s). So 19 durations, connect + service: p50 15, p99 30 s.
    assert_eq!(
        read(&fixture("heroku/heroku.log")),
        Got {
            p50_ms: Some(15.0),
            p99_ms: Some(30_000.0),
            ..want("heroku", 20, 0, &["web.1", "web.2"])
        }
    );
}

#[test]
fn gcp_load_balancer_request_logs() {
    // https://cloud.google.com/load-balancing/docs/https/https-logging-monitoring:
    // LogEntry lines as a Cloud Logging sink writes them to Cloud Storage;
    // `httpRequest.latency` is a protobuf duration (`"0.014s"`), the id is
    // the trace the load balancer forwarded in `X-Cloud-Trace-Context`.
    let path = fixture("gcp/requests.json");
    assert_eq!(
        read(&path),
        Got {
            ids: 0,
            ..want("gcp", 20, 0, &["orders-backend"])
        }
    );
    assert_eq!(trace_ids(&path), 20);
}

#[test]
fn azure_application_gateway_v2() {
    // https://learn.microsoft.com/en-us/azure/application-gateway/monitor-application-gateway-reference#access-log-category:
    // records as diagnostic settings write them to a storage account
    // (PT1H.json); v2 `timeTaken` in seconds, `transactionId` is the
    // `X-AppGW-Trace-Id` the backend receives.
    assert_eq!(
        read(&fixture("azure-appgw/PT1H.json")),
        want("azure", 20, 0, &["orders-pool"])
    );
}

#[test]
fn azure_front_door() {
    // https://learn.microsoft.com/en-us/azure/frontdoor/monitor-front-door-reference:
    // `FrontDoorAccessLog` records, numbers as strings, `timeTaken` in
    // seconds; `trackingReference` is the `X-Azure-Ref` the origin receives.
    assert_eq!(
        read(&fixture("azure-frontdoor/PT1H.json")),
        want("azure", 20, 0, &["orders.shop.example.com:443"])
    );
}

/// Distinct trace ids in a file.
fn trace_ids(path: &Path) -> usize {
    let opts = IngestOptions {
        keep_events: true,
        ..Default::default()
    };
    let run = ingest(&[path.to_path_buf()], &opts).unwrap();
    let ids: BTreeSet<Sym> = run.events.iter().map(|e| e.trace_id).collect();
    ids.into_iter().filter(|s| s.is_some()).count()
}

/// Every edge reader says which field gave its durations, in which unit, and
/// how the unit was known (what `inspect` shows per file).
#[test]
fn every_edge_duration_names_its_field_and_unit() {
    use logtrace::ingest::event::{TimeUnit::*, UnitBasis::*};
    for (file, field, unit, basis, count) in [
        ("envoy/envoy.log", "DURATION", Ms, Format, 20),
        ("istio/istio-ingressgateway.log", "DURATION", Ms, Format, 20),
        (
            "istio-json/istio-ingressgateway.log",
            "duration",
            Ms,
            Format,
            20,
        ),
        ("haproxy/haproxy.log", "Ta", Ms, Format, 20),
        ("haproxy-tcp/haproxy.log", "Tt", Ms, Format, 20),
        (
            "alb/alb.log",
            "request+target+response_processing_time",
            S,
            Format,
            17,
        ),
        (
            "clb/clb.log",
            "request+backend+response_processing_time",
            S,
            Format,
            17,
        ),
        (
            "cloudfront/E2EXAMPLE.2024-03-01-12.a1b2c3d4.log",
            "time-taken",
            S,
            Format,
            20,
        ),
        ("iis/u_ex24030112.log", "time-taken", Ms, Format, 20),
        ("traefik/traefik.log", "Duration", Ms, Format, 20),
        ("traefik-json/traefik.log", "Duration", Ns, Format, 20),
        ("caddy/access.log", "duration", S, Format, 20),
        ("heroku/heroku.log", "connect+service", Ms, Value, 19),
        ("gcp/requests.json", "httpRequest.latency", S, Value, 20),
        ("azure-appgw/PT1H.json", "timeTaken", S, Format, 20),
        ("azure-frontdoor/PT1H.json", "timeTaken", S, Format, 20),
    ] {
        let run = ingest(&[fixture(file)], &IngestOptions::default()).unwrap();
        let got: Vec<_> = run.files[0]
            .durations
            .iter()
            .map(|d| (d.field.as_str(), d.unit, d.basis, d.count))
            .collect();
        assert_eq!(got[0], (field, unit, basis, count), "{file}: {got:?}");
    }
    // An ALB line whose target did not answer: its duration is the time
    // from request_creation_time to time.
    let run = ingest(&[fixture("alb/alb.log")], &IngestOptions::default()).unwrap();
    let got: Vec<_> = run.files[0]
        .durations
        .iter()
        .map(|d| (d.field.as_str(), d.count))
        .collect();
    assert_eq!(got[1], ("time-request_creation_time", 3), "{got:?}");
}

/// A W3C file cut into chunks at every line: each chunk is read under the
/// `#Fields:` header in force where it starts.
#[test]
fn w3c_chunks_cut_anywhere_give_one_answer() {
    let path = fixture("iis/u_ex24030112.log");
    let size = std::fs::metadata(&path).unwrap().len() as usize;
    let events = |chunk_size| {
        let opts = IngestOptions {
            keep_events: true,
            chunk_size,
            ..Default::default()
        };
        let run = ingest(std::slice::from_ref(&path), &opts).unwrap();
        let s = &run.symbols;
        let events: Vec<_> = run
            .events
            .iter()
            .map(|e| {
                (
                    e.time_ns,
                    e.duration_ns,
                    e.status,
                    s.get(e.operation).to_string(),
                    s.get(e.request_id).to_string(),
                    s.get(e.client).to_string(),
                )
            })
            .collect();
        (events, run.files[0].counts)
    };
    let whole = events(0);
    assert_eq!(whole.0.len(), 20);
    for chunk_size in 1..=size {
        assert_eq!(events(chunk_size), whole, "chunks of {chunk_size} bytes");
    }
}

/// `report` on a folder: traces, traces with more than one service, and the
/// calls from `edge` to `orders`.
fn traces(dir: &Path, edge: &str) -> (u64, u64, u64) {
    let out = tempfile::tempdir().unwrap();
    Command::cargo_bin("logtrace")
        .unwrap()
        .args(["report", "--quiet"])
        .arg(dir)
        .arg("-o")
        .arg(out.path())
        .assert()
        .success();
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap();
    let calls = doc["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["caller"] == edge && d["callee"] == "orders")
        .map(|d| d["calls"].as_u64().unwrap())
        .sum();
    let t = &doc["traces"];
    (
        t["count"].as_u64().unwrap(),
        t["multi_service"].as_u64().unwrap(),
        calls,
    )
}

/// Eighteen of the twenty requests reached orders and were logged there (the
/// 503 never left the edge; orders logged nothing for the one the edge gave
/// up on after 15 s): twenty traces, eighteen edge -> orders calls.
#[test]
fn edge_and_backend_logs_make_one_trace_per_request() {
    for (dir, edge) in [
        ("envoy", "envoy"),
        ("istio", "istio-ingressgateway"),
        ("istio-json", "istio-ingressgateway"),
        ("haproxy", "haproxy"),
        ("alb", "shop-alb"),
        ("cloudfront", "E2EXAMPLE"),
        ("iis", "iis"),
        ("traefik-json", "traefik"),
        ("caddy", "access"),
        ("heroku", "heroku-router"),
        ("gcp", "shop-lb"),
        ("azure-appgw", "shop-appgw"),
        ("azure-frontdoor", "shop-fd"),
    ] {
        assert_eq!(traces(&fixture(dir), edge), (20, 18, 18), "{dir}");
    }
}

fn realdata(rel: &str) -> Option<PathBuf> {
    Some(common::realdata()?.join(rel))
}

#[test]
fn real_haproxy_samples_are_requests() {
    let Some(lnav) = realdata("lnav-samples/logfile_haproxy.0") else {
        return;
    };
    // Thirteen requests, three `Proxy ... started.` lines and a failed TLS handshake.
    let got = read(&lnav);
    assert_eq!(
        (got.format.as_str(), got.events, got.unparsed, got.classes),
        ("haproxy", 17, 0, [0, 13, 0, 0, 0])
    );
    assert_eq!((got.p50_ms, got.p99_ms), (Some(62.0), Some(2_707.0)));
    assert_eq!(
        got.upstreams,
        [
            "bk_admin/nginx_sonst",
            "bk_ktest_kt/nginx_sonst",
            "bk_ktest_sonst/nginx_sonst"
        ]
    );
    assert_eq!(got.clients, 5);
    let filebeat = realdata("filebeat-fixtures/haproxy_log/haproxy.log").unwrap();
    let got = read(&filebeat);
    assert_eq!(
        (got.format.as_str(), got.events, got.unparsed, got.classes),
        ("haproxy", 10, 0, [0, 5, 2, 3, 0])
    );
    assert_eq!((got.p50_ms, got.p99_ms), (Some(31.0), Some(2_606.0)));
}

#[test]
fn real_caddy_sample_is_requests() {
    let Some(path) = realdata("lnav-samples/logfile_caddy_log.1") else {
        return;
    };
    // Four requests of a public mirror, behind a proxy (client_ip, not remote_ip).
    let got = read(&path);
    assert_eq!(
        (got.format.as_str(), got.events, got.unparsed, got.classes),
        ("caddy", 4, 0, [0, 4, 0, 0, 0])
    );
    // 0.275783, 0.724332, 17.557019 and 24.626918 ms, rounded to the µs.
    assert_eq!((got.p50_ms, got.p99_ms), (Some(0.724), Some(24.627)));
    assert_eq!((got.ids, got.clients), (0, 4));
}

#[test]
fn real_w3c_samples_are_requests() {
    let Some(big) = realdata("lnav-samples/logfile_w3c_big.0") else {
        return;
    };
    // IIS 8.5: eleven header blocks, `time-taken` in ms.
    let got = read(&big);
    assert_eq!(
        (got.format.as_str(), got.lines, got.events, got.headers),
        ("w3c", 254, 210, 44)
    );
    assert_eq!(got.classes, [0, 8, 0, 202, 0]);
    assert_eq!((got.p50_ms, got.p99_ms), (Some(361.0), Some(504.0)));
    // Every other sample: every data line an entry, every directive a header.
    for (n, events, headers) in [
        (0, 1, 4),
        (1, 1, 6),
        (2, 14, 8),
        (3, 3, 4),
        (4, 2, 4),
        (5, 1, 1),
        (6, 1, 4),
    ] {
        let got = read(&realdata(&format!("lnav-samples/logfile_w3c.{n}")).unwrap());
        assert_eq!(
            (got.format.as_str(), got.events, got.headers, got.unparsed),
            ("w3c", events, headers, 0),
            "logfile_w3c.{n}"
        );
    }
}
