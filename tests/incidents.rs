//! The generated incident's shape, end to end through timeline, incidents and templates.
//!
//! One hour of 1200 shop requests (edge -> auth, orders -> inventory, payments),
//! as the fixture generator makes them: from 12:25 to 12:35 inventory is 10x
//! slower and fails 35% of its calls, failing the orders and edge spans above
//! it. Built as requests and traces directly, so the test does not depend on
//! the trace stage.

use logtrace::analyze::{incidents, templates, timeline, Request};
use logtrace::ingest::event::{Event, Level, SpanId, Sym, Symbols};
use logtrace::trace::{Span, Trace, Traces};

const T0: i64 = 1_709_294_400_000_000_000; // 2024-03-01T12:00:00Z
const MS: i64 = 1_000_000;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Bell-ish around `mean` +- `spread` (sum of three uniforms).
    fn bell(&mut self, mean: f64, spread: f64) -> f64 {
        let u = (self.next() + self.next() + self.next()) / 1.5 - 1.0;
        (mean + u * spread).max(1.0)
    }
}

struct Shop {
    syms: Symbols,
    requests: Vec<Request>,
    traces: Traces,
    events: Vec<Event>,
}

fn span(service: Sym, operation: Sym, start: i64, dur_ms: f64, status: u16) -> Span {
    Span {
        service,
        operation,
        span_id: SpanId::None,
        start_ns: start,
        end_ns: start + (dur_ms * MS as f64) as i64,
        timed: true,
        status,
        error: status >= 500,
        parent: None,
        inferred_parent: false,
        logged_parent: false,
        file: None,
        depth: 0,
        link: Default::default(),
        kind: Default::default(),
        parent_confidence: 1.0,
        events: Default::default(),
    }
}

fn shop() -> Shop {
    let mut sy = Symbols::default();
    let s = |sy: &mut Symbols, x: &str| sy.intern(x);
    let (edge, auth, orders, inventory, payments) = (
        s(&mut sy, "edge"),
        s(&mut sy, "auth"),
        s(&mut sy, "orders"),
        s(&mut sy, "inventory"),
        s(&mut sy, "payments"),
    );
    let (e_op, a_op, o_op, i_op, p_op) = (
        s(&mut sy, "POST /api/orders"),
        s(&mut sy, "POST /verify"),
        s(&mut sy, "POST /orders"),
        s(&mut sy, "GET /stock/{id}"),
        s(&mut sy, "POST /charge"),
    );
    let mut rng = Rng(2024);
    let mut traces = Traces::default();
    let mut events = Vec::new();
    for i in 0..1200i64 {
        let start = T0 + i * 3_000 * MS; // one request every 3 s
        let incident = (25 * 60_000 * MS..35 * 60_000 * MS).contains(&(start - T0));
        let mut spans = Vec::new();
        let a = span(auth, a_op, start + MS, rng.bell(4.0, 2.0), 200);
        let mut t = a.end_ns + MS;
        spans.push(a);
        let mut inv_ms = rng.bell(8.0, 4.0);
        if rng.next() < 0.01 {
            inv_ms *= 3.0 + 5.0 * rng.next();
        }
        if incident {
            inv_ms *= 10.0;
        }
        let inv_fails = rng.next() < if incident { 0.35 } else { 0.001 };
        let inv = span(
            inventory,
            i_op,
            t + MS,
            inv_ms,
            if inv_fails { 500 } else { 200 },
        );
        t = inv.end_ns;
        // Indexes in the final span order: edge, auth, orders, inventory, payments.
        let mut origin = inv_fails.then_some(3u32);
        if !inv_fails {
            let pay_fails = rng.next() < 0.01;
            let p = span(
                payments,
                p_op,
                t + MS,
                rng.bell(120.0, 60.0),
                if pay_fails { 500 } else { 201 },
            );
            t = p.end_ns;
            if pay_fails {
                origin = Some(4);
            }
            spans.push(inv);
            spans.push(p);
        } else {
            spans.push(inv);
            events.push(Event {
                time_ns: t,
                service: inventory,
                message: sy.intern(&format!(
                    "stock lookup for sku {} timed out after {} ms on 10.0.3.{}:8080",
                    4000 + i % 97,
                    (inv_ms as i64).max(1),
                    i % 4
                )),
                level: Level::Error,
                ..Default::default()
            });
        }
        let status = if origin.is_some() { 502 } else { 201 };
        let o = span(orders, o_op, spans[1].start_ns - MS, 0.0, status);
        let o = Span {
            end_ns: t + MS,
            ..o
        };
        let e = span(edge, e_op, start, 0.0, status);
        let e = Span {
            end_ns: t + 2 * MS,
            ..e
        };
        // Order: edge, auth, orders, inventory, payments (root = 0).
        let mut all = vec![e, spans[0].clone(), o];
        all.extend(spans.drain(1..));
        for (k, sp) in all.iter_mut().enumerate() {
            sp.parent = match k {
                0 => None,
                1 | 2 => Some(0),
                _ => Some(2),
            };
        }
        let trace = Trace {
            id: sy.intern(&format!("req-{i}")),
            ids: Vec::new(),
            start_ns: all[0].start_ns,
            end_ns: all[0].end_ns,
            root: 0,
            error_origin: origin,
            critical_path: Vec::new(),
            root_latency_ns: None,
            logged_parts: Vec::new(),
            spans: all,
        };
        traces.traces.push(trace);
    }
    let mut requests = Vec::new();
    for (ti, t) in traces.traces.iter().enumerate() {
        for (k, sp) in t.spans.iter().enumerate() {
            requests.push(Request {
                service: sp.service,
                operation: sp.operation,
                start_ns: sp.start_ns,
                end_ns: sp.end_ns,
                timed: true,
                status: sp.status,
                error: sp.error,
                recovered: false,
                entry: k == 0,
                trace: Some(ti as u32),
            });
        }
    }
    Shop {
        syms: sy,
        requests,
        traces,
        events,
    }
}

fn secs(rfc: &str) -> i64 {
    let h: i64 = rfc[11..13].parse().unwrap();
    let m: i64 = rfc[14..16].parse().unwrap();
    let s: i64 = rfc[17..19].parse().unwrap();
    (h - 12) * 3600 + m * 60 + s
}

#[test]
fn the_generated_incident_is_found_and_explained() {
    let shop = shop();
    let tl = timeline::build(&shop.requests, &shop.syms, None);
    assert_eq!(tl.bucket_seconds, 15);
    assert_eq!(tl.buckets.len(), 240);
    assert_eq!(tl.buckets.iter().map(|b| b.requests).sum::<u64>(), 1200);
    let names: Vec<&str> = tl.services.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(names, ["auth", "edge", "inventory", "orders", "payments"]);

    let found = incidents::find(&shop.requests, &shop.traces, &tl, &shop.syms);
    assert_eq!(found.len(), 1, "{found:#?}");
    let inc = &found[0];
    eprintln!("{} .. {}: {}", inc.start, inc.end, inc.summary);
    let w = tl.bucket_seconds as i64;
    assert!(
        (secs(&inc.start) - 25 * 60).abs() <= w,
        "start {}",
        inc.start
    );
    assert!((secs(&inc.end) - 35 * 60).abs() <= w, "end {}", inc.end);

    let top = &inc.worst[0];
    assert_eq!(
        (top.service.as_str(), top.operation.as_str()),
        ("inventory", "GET /stock/{id}")
    );
    assert!(
        top.incident_p99_ms.unwrap() > 4.0 * top.baseline_p99_ms.unwrap(),
        "{top:?}"
    );
    assert!((0.2..0.5).contains(&top.incident_error_rate), "{top:?}");
    assert_eq!(inc.error_origins[0].service, "inventory");
    assert!(inc.error_origins[0].traces >= 50, "{:?}", inc.error_origins);
    assert!(
        inc.summary.ends_with("failures start in inventory"),
        "{}",
        inc.summary
    );
    assert!(
        inc.summary.contains("worst: inventory GET /stock/{id}"),
        "{}",
        inc.summary
    );

    let t = templates::group(&shop.events, &shop.syms);
    assert_eq!(t.len(), 1, "{t:?}");
    assert_eq!(
        t[0].template,
        "stock lookup for sku <NUM> timed out after <NUM> ms on <IP>"
    );
    assert_eq!(t[0].services, ["inventory"]);
    assert_eq!(t[0].count as usize, shop.events.len());
}

#[test]
fn without_the_incident_nothing_is_reported() {
    let mut shop = shop();
    // Keep only the hour's first 25 minutes: the healthy part.
    let cut = T0 + 25 * 60_000 * MS;
    shop.requests.retain(|r| r.end_ns < cut);
    let tl = timeline::build(&shop.requests, &shop.syms, None);
    let found = incidents::find(&shop.requests, &shop.traces, &tl, &shop.syms);
    assert_eq!(found, vec![]);
}

/// The checked-in fixture itself, read by the ingest stage: every event that
/// logged a duration is one request (edge's are the entries). Needs no trace stage.
#[test]
fn the_fixture_incident_window_from_its_events() {
    use logtrace::ingest::{ingest, IngestOptions};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/incident");
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(logtrace::generate::truth_path(&dir)).unwrap(),
    )
    .unwrap();
    let opts = IngestOptions {
        keep_events: true,
        ..Default::default()
    };
    let run = ingest(&[dir], &opts).unwrap();
    let requests: Vec<Request> = run
        .events
        .iter()
        .filter_map(|e| {
            let d = e.duration()? as i64;
            let t = e.time()?;
            Some(Request {
                service: e.service,
                operation: e.operation,
                start_ns: t - d,
                end_ns: t,
                timed: true,
                status: e.status,
                error: e.is_error(),
                recovered: false,
                entry: run.symbols.get(e.service) == "edge",
                trace: None,
            })
        })
        .collect();
    let tl = timeline::build(&requests, &run.symbols, None);
    let found = incidents::find(&requests, &Traces::default(), &tl, &run.symbols);
    for i in &found {
        eprintln!("{} .. {}: {}", i.start, i.end, i.summary);
    }
    assert_eq!(found.len(), 1, "{found:#?}");
    let w = tl.bucket_seconds as i64;
    let start = secs(truth["incident"]["start"]["rfc3339"].as_str().unwrap());
    let end = secs(truth["incident"]["end"]["rfc3339"].as_str().unwrap());
    assert!(
        (secs(&found[0].start) - start).abs() <= w,
        "{} vs {start}s",
        found[0].start
    );
    assert!(
        (secs(&found[0].end) - end).abs() <= w,
        "{} vs {end}s",
        found[0].end
    );
    assert_eq!(
        found[0].worst[0].service, "inventory",
        "{:?}",
        found[0].worst
    );
}
