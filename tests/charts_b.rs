//! The service map, waterfalls, critical path and error origins charts, on
//! hand-built summaries and traces: every SVG parses as XML, holds the
//! expected boxes, arrows, rows and marks, escapes hostile names, and is the
//! same byte for byte when rendered twice.
//!
//! `LOGTRACE_CHARTS_OUT=dir cargo test --test charts_b` also writes the charts
//! of a realistic shop to `dir`, for looking at.

use std::collections::{BTreeMap, BTreeSet};

use logtrace::analyze::summary::{
    Chain, CriticalShare, Dependency, Incident, LatencyMs, ServiceStats, Summary, TraceRef,
};
use logtrace::ingest::event::Symbols;
use logtrace::ingest::time::format_rfc3339_ms;
use logtrace::render::charts::{critical_path, origins, service_map, waterfall, Chart};
use logtrace::render::view::View;
use logtrace::trace::{Span, Trace, Traces};

mod common;

const MS: i64 = 1_000_000;
const T0: i64 = 1_709_294_400_000 * MS; // 2024-03-01T12:00:00Z

/// One span of a hand-built trace.
#[derive(Clone)]
struct S {
    service: String,
    op: String,
    parent: Option<u32>,
    start_ms: f64,
    dur_ms: f64,
    error: bool,
    inferred: bool,
}

fn s(service: &str, op: &str, parent: Option<u32>, start_ms: f64, dur_ms: f64) -> S {
    S {
        service: service.into(),
        op: op.into(),
        parent,
        start_ms,
        dur_ms,
        error: false,
        inferred: false,
    }
}

impl S {
    fn failed(mut self) -> S {
        self.error = true;
        self
    }
    fn inferred(mut self) -> S {
        self.inferred = true;
        self
    }
}

/// Builds traces and a summary consistent with them.
#[derive(Default)]
struct Builder {
    symbols: Symbols,
    traces: Vec<Trace>,
    incidents: Vec<(i64, i64)>,
    /// Services to list even without spans.
    extra_services: Vec<String>,
}

impl Builder {
    /// A trace starting `at_ms` after T0; span times are relative to it, spans[0] is the root.
    fn trace(&mut self, id: &str, at_ms: i64, spans: &[S]) {
        let base = T0 + at_ms * MS;
        let mut out: Vec<Span> = Vec::new();
        for sp in spans {
            let depth = {
                let mut d = 0u16;
                let mut p = sp.parent;
                while let Some(i) = p {
                    d += 1;
                    p = spans[i as usize].parent;
                    if d > 100 {
                        break;
                    }
                }
                d
            };
            out.push(Span {
                service: self.symbols.intern(&sp.service),
                operation: self.symbols.intern(&sp.op),
                span_id: Default::default(),
                start_ns: base + (sp.start_ms * MS as f64) as i64,
                end_ns: base + ((sp.start_ms + sp.dur_ms) * MS as f64) as i64,
                timed: true,
                status: if sp.error { 500 } else { 200 },
                error: sp.error,
                parent: sp.parent,
                inferred_parent: sp.inferred,
                logged_parent: false,
                file: None,
                depth,
                link: Default::default(),
                kind: Default::default(),
                parent_confidence: 1.0,
                events: Default::default(),
            });
        }
        let error_origin = (0..out.len())
            .filter(|&i| out[i].error)
            .max_by_key(|&i| (out[i].depth, i))
            .map(|i| i as u32);
        // Critical path: root, then the child that ends last, down the tree.
        let mut critical = vec![0u32];
        loop {
            let cur = *critical.last().unwrap();
            let next = (0..out.len())
                .filter(|&i| out[i].parent == Some(cur))
                .max_by_key(|&i| (out[i].end_ns, i));
            match next {
                Some(n) => critical.push(n as u32),
                None => break,
            }
        }
        let start_ns = out.iter().map(|s| s.start_ns).min().unwrap_or(base);
        let end_ns = out.iter().map(|s| s.end_ns).max().unwrap_or(base);
        self.traces.push(Trace {
            id: self.symbols.intern(id),
            ids: vec![],
            spans: out,
            root: 0,
            start_ns,
            end_ns,
            error_origin,
            critical_path: critical,
            root_latency_ns: None,
            logged_parts: Vec::new(),
        });
    }

    // The summary is filled field by field, like the report's sections.
    #[allow(clippy::field_reassign_with_default)]
    fn build(mut self) -> (Summary, Traces, Symbols) {
        self.traces
            .sort_by_key(|t| (t.start_ns, self.symbols.get(t.id).to_string()));
        let sym = &self.symbols;
        let name = |t: &Trace, i: usize| sym.get(t.spans[i].service).to_string();
        let mut services: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for n in &self.extra_services {
            services.entry(n.clone()).or_default();
        }
        let mut deps: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
        let mut chains: BTreeMap<String, Vec<&Trace>> = BTreeMap::new();
        for t in &self.traces {
            for (i, sp) in t.spans.iter().enumerate() {
                let e = services.entry(name(t, i)).or_default();
                e.0 += 1;
                e.1 += u64::from(sp.error);
                if let Some(p) = sp.parent {
                    let d = deps.entry((name(t, p as usize), name(t, i))).or_default();
                    d.0 += 1;
                    d.1 += u64::from(sp.error);
                }
            }
            let sig: Vec<String> = (0..t.spans.len()).map(|i| name(t, i)).collect();
            chains.entry(sig.join(" > ")).or_default().push(t);
        }
        let tref = |t: &Trace| TraceRef {
            id: sym.get(t.id).to_string(),
            start: format_rfc3339_ms(t.start_ns),
            duration_ms: Some(t.duration_ns() as f64 / 1e6),
            root: name(t, 0),
            services: vec![],
            error_origin: t.error_origin.map(|i| name(t, i as usize)),
        };
        let mut slowest: Vec<&Trace> = self.traces.iter().collect();
        slowest.sort_by_key(|t| std::cmp::Reverse(t.duration_ns()));
        let mut chain_out: Vec<Chain> = chains
            .into_iter()
            .map(|(sig, ts)| {
                let mut ts = ts;
                ts.sort_by_key(|t| t.duration_ns());
                let at =
                    |q: f64| ts[((q * ts.len() as f64).ceil() as usize).clamp(1, ts.len()) - 1];
                let (p50, p99) = (at(0.5), at(0.99));
                let shares = |t: &Trace| -> BTreeMap<String, f64> {
                    // Self time along the critical path.
                    let mut m = BTreeMap::new();
                    let cp = &t.critical_path;
                    for (k, &i) in cp.iter().enumerate() {
                        let sp = &t.spans[i as usize];
                        let child = cp
                            .get(k + 1)
                            .map_or(0, |&c| t.spans[c as usize].duration_ns());
                        *m.entry(name(t, i as usize)).or_insert(0.0) +=
                            (sp.duration_ns() - child) as f64 / t.duration_ns().max(1) as f64;
                    }
                    m
                };
                let (a, b) = (shares(p50), shares(p99));
                let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                Chain {
                    signature: sig,
                    count: ts.len() as u64,
                    errors: ts.iter().filter(|t| t.failed()).count() as u64,
                    latency_ms: Some(LatencyMs {
                        count: ts.len() as u64,
                        p50: p50.duration_ns() as f64 / 1e6,
                        p99: p99.duration_ns() as f64 / 1e6,
                        ..Default::default()
                    }),
                    critical_path: names
                        .into_iter()
                        .map(|n| CriticalShare {
                            service: n.clone(),
                            p50_share: a.get(n).copied().unwrap_or(0.0),
                            p99_share: b.get(n).copied().unwrap_or(0.0),
                        })
                        .collect(),
                }
            })
            .collect();
        chain_out.sort_by(|a, b| b.count.cmp(&a.count).then(a.signature.cmp(&b.signature)));
        let mut summary = Summary::default();
        summary.services = services
            .into_iter()
            .map(|(name, (spans, errors))| ServiceStats {
                name,
                spans,
                errors,
                error_rate: (spans > 0).then(|| errors as f64 / spans as f64),
                ..Default::default()
            })
            .collect();
        summary.dependencies = deps
            .into_iter()
            .map(|((caller, callee), (calls, errors))| Dependency {
                caller,
                callee,
                calls,
                errors,
                latency_ms: None,
                ..Default::default()
            })
            .collect();
        summary.traces.count = self.traces.len() as u64;
        summary.traces.slowest = slowest.iter().take(10).map(|t| tref(t)).collect();
        summary.traces.failed = self
            .traces
            .iter()
            .filter(|t| t.failed())
            .take(20)
            .map(tref)
            .collect();
        summary.chains = chain_out;
        summary.incidents = self
            .incidents
            .iter()
            .map(|&(a, b)| Incident {
                start: format_rfc3339_ms(T0 + a * MS),
                end: format_rfc3339_ms(T0 + b * MS),
                ..Default::default()
            })
            .collect();
        let traces = Traces {
            traces: self.traces,
            ..Default::default()
        };
        (summary, traces, self.symbols)
    }
}

fn render(b: Builder) -> (Vec<Chart>, Summary, Traces) {
    let (summary, traces, symbols) = b.build();
    let input = &View::new(&summary, &traces, &symbols);
    let mut charts = vec![service_map::chart(input), origins::chart(input)];
    charts.extend(waterfall::charts(input));
    charts.push(critical_path::chart(input));
    let again = {
        let mut c = vec![service_map::chart(input), origins::chart(input)];
        c.extend(waterfall::charts(input));
        c.push(critical_path::chart(input));
        c
    };
    assert_eq!(charts, again, "same input, same bytes");
    for c in &charts {
        let doc = roxmltree::Document::parse(&c.svg)
            .unwrap_or_else(|e| panic!("{} is not XML: {e}\n{}", c.file, c.svg));
        assert!(
            doc.descendants()
                .all(|n| !n.tag_name().name().eq_ignore_ascii_case("script")),
            "{} has a script element",
            c.file
        );
        assert!(!c.svg.contains("<script"), "{}", c.file);
        let title = doc.descendants().find(|n| n.has_tag_name("title")).unwrap();
        assert!(
            !title.text().unwrap_or("").is_empty(),
            "{} has a title",
            c.file
        );
    }
    if let Some(dir) = std::env::var_os("LOGTRACE_CHARTS_OUT") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        for c in &charts {
            std::fs::write(dir.join(&c.file), &c.svg).unwrap();
        }
    }
    (charts, summary, traces)
}

fn chart<'a>(charts: &'a [Chart], file: &str) -> &'a Chart {
    charts
        .iter()
        .find(|c| c.file == file)
        .unwrap_or_else(|| panic!("no {file}"))
}

fn doc(c: &Chart) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(&c.svg).unwrap()
}

fn with_class<'a, 'i>(d: &'a roxmltree::Document<'i>, class: &str) -> Vec<roxmltree::Node<'a, 'i>> {
    d.descendants()
        .filter(|n| n.attribute("class") == Some(class))
        .collect()
}

fn texts(d: &roxmltree::Document<'_>) -> Vec<String> {
    d.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

#[test]
fn one_service() {
    let mut b = Builder::default();
    for i in 0..5 {
        let mut root = s("web", "GET /", None, 0.0, 10.0 + i as f64);
        if i == 3 {
            root = root.failed();
        }
        b.trace(&format!("r{i}"), i * 1000, &[root]);
    }
    let (charts, _, _) = render(b);
    let map = doc(chart(&charts, "service_map.svg"));
    assert_eq!(with_class(&map, "service").len(), 1);
    assert_eq!(with_class(&map, "edge").len(), 0);
    let w = doc(chart(&charts, "waterfall-1.svg"));
    assert_eq!(with_class(&w, "span").len(), 1);
    let o = doc(chart(&charts, "error_origins.svg"));
    let outside = with_class(&o, "outside");
    assert_eq!(outside.len(), 1);
    assert_eq!(outside[0].attribute("data-count"), Some("1"));
    // One span per trace: one chain, 100% web.
    let cp = doc(chart(&charts, "critical_path.svg"));
    assert_eq!(with_class(&cp, "share").len(), 2);
}

#[test]
fn empty_input_still_gives_valid_charts() {
    let (charts, _, _) = render(Builder::default());
    let files: Vec<&str> = charts.iter().map(|c| c.file.as_str()).collect();
    assert_eq!(
        files,
        ["service_map.svg", "error_origins.svg", "critical_path.svg"]
    );
}

/// 40 services: svc00 calls svc01..svc06, svc(i) calls svc(2i+5) and
/// svc(2i+6) while they exist, and svc00 also calls svc39 directly (a skip).
fn forty() -> Builder {
    let mut b = Builder::default();
    let name = |i: usize| format!("svc{i:02}-with-a-rather-long-deployment-name");
    let mut spans = vec![s(&name(0), "GET /", None, 0.0, 100.0)];
    let mut edges: Vec<(usize, usize)> = (1..7).map(|c| (0, c)).collect();
    for i in 1..40 {
        for c in [2 * i + 5, 2 * i + 6] {
            if c < 39 {
                edges.push((i, c));
            }
        }
    }
    edges.push((0, 39));
    edges.push((20, 39));
    let mut idx: BTreeMap<usize, u32> = BTreeMap::new();
    idx.insert(0, 0);
    for (k, &(p, c)) in edges.iter().enumerate() {
        if idx.contains_key(&c) {
            // A second caller of svc39: its own trace.
            continue;
        }
        let parent = idx[&p];
        idx.insert(c, spans.len() as u32);
        spans.push(s(&name(c), "op", Some(parent), 1.0 + k as f64 * 0.1, 2.0));
    }
    for t in 0..3 {
        b.trace(&format!("t{t}"), t * 100, &spans);
    }
    // Every service fails on its own a few times.
    for i in 0..40usize {
        for k in 0..(i % 7 + 1) {
            b.trace(
                &format!("f{i}-{k}"),
                1000 + (i * 10 + k) as i64,
                &[s(&name(i), "op", None, 0.0, 1.0).failed()],
            );
        }
    }
    // svc20 -> svc39 in another trace shape.
    b.trace(
        "t-other",
        900,
        &[
            s(&name(20), "x", None, 0.0, 5.0),
            s(&name(39), "y", Some(0), 1.0, 2.0),
        ],
    );
    b
}

#[test]
fn forty_services_one_box_each_and_arrows_point_right() {
    let (charts, summary, _) = render(forty());
    assert_eq!(summary.services.len(), 40);
    let map = doc(chart(&charts, "service_map.svg"));
    let boxes = with_class(&map, "service");
    assert_eq!(boxes.len(), 40);
    let mut pos: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for b in &boxes {
        let x: f64 = b.attribute("data-x").unwrap().parse().unwrap();
        let y: f64 = b.attribute("data-y").unwrap().parse().unwrap();
        pos.insert(b.attribute("data-service").unwrap().to_string(), (x, y));
    }
    // No two boxes overlap (180 x 44).
    let all: Vec<&(f64, f64)> = pos.values().collect();
    for i in 0..all.len() {
        for j in i + 1..all.len() {
            let (a, b) = (all[i], all[j]);
            assert!(
                (a.0 - b.0).abs() >= 180.0 || (a.1 - b.1).abs() >= 44.0,
                "boxes overlap at {a:?} {b:?}"
            );
        }
    }
    let edges = with_class(&map, "edge");
    assert_eq!(edges.len(), summary.dependencies.len());
    let labels = with_class(&map, "calls");
    assert_eq!(labels.len(), summary.dependencies.len());
    for d in &summary.dependencies {
        let e = edges
            .iter()
            .find(|e| {
                e.attribute("data-caller") == Some(&d.caller)
                    && e.attribute("data-callee") == Some(&d.callee)
            })
            .unwrap_or_else(|| panic!("no arrow {} -> {}", d.caller, d.callee));
        assert_eq!(
            e.attribute("data-calls"),
            Some(d.calls.to_string().as_str())
        );
        assert!(
            pos[&d.callee].0 > pos[&d.caller].0,
            "{} is not right of its caller {}",
            d.callee,
            d.caller
        );
        assert!(labels
            .iter()
            .any(|l| l.text() == Some(&d.calls.to_string())));
    }
    // Long names are shortened, the full name stays in the tooltip.
    let shown = texts(&map);
    assert!(shown
        .iter()
        .any(|t| t.starts_with("svc00-with") && t.ends_with('…')));
    // Error origins: one bar per service, most failures first.
    let o = doc(chart(&charts, "error_origins.svg"));
    let bars = with_class(&o, "service");
    assert_eq!(bars.len(), 40);
    assert!(
        bars[0].text().unwrap().starts_with("svc06"),
        "{:?}",
        bars[0].text()
    );
    // The waterfall has one row per span.
    let w = doc(chart(&charts, "waterfall-1.svg"));
    assert_eq!(with_class(&w, "span").len(), 40);
}

/// edge -> auth -> orders -> inventory, inventory failing in some traces,
/// recommendation's parent inferred from timing.
fn shop(n: i64) -> Builder {
    let mut b = Builder::default();
    b.incidents.push((240_000, 360_000));
    let mut seed = 7u64;
    let mut rnd = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as f64 / (1u64 << 31) as f64
    };
    for i in 0..n {
        let at = i * 600_000 / n;
        let incident = (240_000..=360_000).contains(&at);
        let slow = if incident { 10.0 } else { 1.0 };
        let fail = incident && rnd() < 0.35 || rnd() < 0.01;
        let kind = i % 3;
        let auth = 2.0 + rnd() * 3.0;
        let mut spans = vec![
            s("edge", "GET /api/orders/{id}", None, 0.0, 0.0),
            s("auth", "POST /auth/check", Some(0), 0.5, auth),
        ];
        let end = match kind {
            0 => {
                let inv = (5.0 + rnd() * 20.0) * slow;
                let pay = 10.0 + rnd() * 30.0;
                let o = 1.0 + auth;
                spans.push(s("orders", "POST /api/orders", Some(0), o, inv + pay + 3.0));
                let mut inv_span = s("inventory", "GET /inventory/{sku}", Some(2), o + 1.0, inv);
                if fail {
                    inv_span = inv_span.failed();
                    spans[2] = spans[2].clone().failed();
                    spans[0] = spans[0].clone().failed();
                }
                spans.push(inv_span);
                spans.push(s(
                    "payments",
                    "POST /payments/charge",
                    Some(2),
                    o + 2.0 + inv,
                    pay,
                ));
                o + inv + pay + 3.5
            }
            1 => {
                let r = 8.0 + rnd() * 40.0;
                spans.push(
                    s(
                        "recommendation",
                        "hipstershop.RecommendationService/ListRecommendations",
                        Some(0),
                        1.0 + auth,
                        r,
                    )
                    .inferred(),
                );
                1.5 + auth + r
            }
            _ => {
                let c = 3.0 + rnd() * 6.0;
                spans.push(s("cart", "GET /cart", Some(0), 1.0 + auth, c));
                1.5 + auth + c
            }
        };
        spans[0].dur_ms = end;
        b.trace(
            &format!("{:032x}", 0xabcdef_u64 * (i as u64 + 1)),
            at,
            &spans,
        );
    }
    b
}

#[test]
fn a_failing_leaf_is_marked_and_counted_as_the_origin() {
    let (charts, summary, traces) = render(shop(300));
    // Waterfalls: slowest 5, then the first failed traces of the incident.
    let files: Vec<&str> = charts.iter().map(|c| c.file.as_str()).collect();
    assert!(files.contains(&"waterfall-7.svg"), "{files:?}");
    for c in charts.iter().filter(|c| c.file.starts_with("waterfall-")) {
        let id = c
            .title
            .rsplit("trace ")
            .next()
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        let d = doc(c);
        let spans = with_class(&d, "span");
        let marks = with_class(&d, "error-mark");
        let failed = spans
            .iter()
            .filter(|s| s.attribute("data-error") == Some("1"))
            .count();
        assert_eq!(marks.len(), failed, "{}", c.file);
        assert!(c.title.contains(id));
    }
    let failed_incident = chart(&charts, "waterfall-6.svg");
    assert!(
        failed_incident.title.contains("incident 1"),
        "{}",
        failed_incident.title
    );
    let d = doc(failed_incident);
    assert_eq!(with_class(&d, "span").len(), 5);
    assert_eq!(
        with_class(&d, "error-mark").len(),
        3,
        "inventory, orders, edge failed"
    );

    // Error origins: every failure started at inventory; most inside the incident.
    let o = doc(chart(&charts, "error_origins.svg"));
    let names: Vec<String> = with_class(&o, "service")
        .iter()
        .map(|n| n.text().unwrap().to_string())
        .collect();
    assert_eq!(names, ["inventory"]);
    let inside: u64 = with_class(&o, "inside")[0]
        .attribute("data-count")
        .unwrap()
        .parse()
        .unwrap();
    let expected_inside = traces
        .traces
        .iter()
        .filter(|t| t.failed())
        .filter(|t| (T0 + 240_000 * MS..=T0 + 360_000 * MS).contains(&t.start_ns))
        .count() as u64;
    assert_eq!(inside, expected_inside);
    assert!(inside > 5);

    // Critical path: one pair of bars per chain shape (3 shapes).
    let cp = doc(chart(&charts, "critical_path.svg"));
    assert_eq!(with_class(&cp, "chain").len(), summary.chains.len().min(5));
    assert_eq!(summary.chains.len(), 3);
}

#[test]
fn inferred_parents_are_dashed() {
    let mut b = Builder::default();
    b.trace(
        "t1",
        0,
        &[
            s("edge", "GET /", None, 0.0, 50.0),
            s("recommendation", "list", Some(0), 5.0, 30.0).inferred(),
            s("cache", "get", Some(1), 6.0, 3.0),
        ],
    );
    let (charts, _, _) = render(b);
    let d = doc(chart(&charts, "waterfall-1.svg"));
    let spans = with_class(&d, "span");
    assert_eq!(spans.len(), 3);
    let dashed: Vec<_> = spans
        .iter()
        .filter(|s| s.attribute("data-inferred") == Some("1"))
        .collect();
    assert_eq!(dashed.len(), 1);
    assert!(dashed[0].attribute("stroke-dasharray").is_some());
    // Rows follow the tree, indented by depth.
    let labels: Vec<(f64, String)> = d
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| {
            let t = n.text()?;
            (t.starts_with("edge ·")
                || t.starts_with("recommendation ·")
                || t.starts_with("cache ·"))
            .then(|| (n.attribute("x").unwrap().parse().unwrap(), t.to_string()))
        })
        .collect();
    assert_eq!(labels.len(), 3);
    assert!(
        labels[0].0 < labels[1].0 && labels[1].0 < labels[2].0,
        "{labels:?}"
    );
}

#[test]
fn hostile_names_are_text() {
    let evil = "/<script>alert(1)</script>";
    let mut b = Builder::default();
    b.incidents.push((0, 10_000));
    b.trace(
        "<b>id&\"'",
        10,
        &[
            s(evil, evil, None, 0.0, 20.0).failed(),
            s("api\u{1}\u{7}", "GET /x?a=<i>&b=\"", Some(0), 1.0, 10.0).failed(),
        ],
    );
    let (charts, _, _) = render(b);
    for c in &charts {
        let d = doc(c);
        let all = texts(&d).join("\n");
        if c.file != "critical_path.svg" || !all.is_empty() {
            assert!(
                all.contains("<script>")
                    || all.contains("/<script")
                    || c.file == "error_origins.svg",
                "{}: {all}",
                c.file
            );
        }
    }
    let map = doc(chart(&charts, "service_map.svg"));
    assert!(with_class(&map, "service")
        .iter()
        .any(|n| n.attribute("data-service") == Some(evil)));
    let w = chart(&charts, "waterfall-1.svg");
    assert!(w.title.contains("<b>id&\"'"));
    assert!(doc(w)
        .descendants()
        .any(|n| n.text().is_some_and(|t| t.contains("GET /x?a=<i>&b=\""))));
}

/// The Online Boutique demo's call graph: many edges skip layers
/// (frontend calls cartservice directly and through checkoutservice).
fn boutique() -> Builder {
    let mut b = Builder::default();
    b.incidents.push((30_000, 60_000));
    for i in 0..40i64 {
        let fail = i % 7 == 3;
        let mut pay = s(
            "paymentservice",
            "hipstershop.PaymentService/Charge",
            Some(2),
            20.0,
            15.0,
        );
        if fail {
            pay = pay.failed();
        }
        let mut checkout = s(
            "checkoutservice",
            "hipstershop.CheckoutService/PlaceOrder",
            Some(1),
            5.0,
            60.0,
        );
        let mut front = s("frontend", "POST /cart/checkout", Some(0), 1.0, 70.0);
        if fail {
            checkout = checkout.failed();
            front = front.failed();
        }
        b.trace(
            &format!("checkout-{i:03}"),
            i * 2000,
            &[
                s("loadgenerator", "POST /cart/checkout", None, 0.0, 72.0),
                front,
                checkout,
                s(
                    "cartservice",
                    "hipstershop.CartService/GetCart",
                    Some(2),
                    6.0,
                    4.0,
                ),
                s("redis-cart", "HGET", Some(3), 6.5, 1.0).inferred(),
                s(
                    "productcatalogservice",
                    "hipstershop.ProductCatalogService/GetProduct",
                    Some(2),
                    11.0,
                    2.0,
                ),
                s(
                    "currencyservice",
                    "hipstershop.CurrencyService/Convert",
                    Some(2),
                    14.0,
                    1.5,
                ),
                s(
                    "shippingservice",
                    "hipstershop.ShippingService/GetQuote",
                    Some(2),
                    16.0,
                    2.0,
                ),
                pay,
                s(
                    "emailservice",
                    "hipstershop.EmailService/SendOrderConfirmation",
                    Some(2),
                    40.0,
                    20.0,
                ),
                s(
                    "cartservice",
                    "hipstershop.CartService/EmptyCart",
                    Some(2),
                    61.0,
                    3.0,
                ),
            ],
        );
        b.trace(
            &format!("home-{i:03}"),
            i * 2000 + 1000,
            &[
                s("loadgenerator", "GET /", None, 0.0, 40.0),
                s("frontend", "GET /", Some(0), 1.0, 38.0),
                s(
                    "adservice",
                    "hipstershop.AdService/GetAds",
                    Some(1),
                    2.0,
                    5.0,
                ),
                s(
                    "cartservice",
                    "hipstershop.CartService/GetCart",
                    Some(1),
                    3.0,
                    4.0,
                ),
                s("redis-cart", "HGET", Some(3), 3.5, 1.0).inferred(),
                s(
                    "recommendationservice",
                    "hipstershop.RecommendationService/ListRecommendations",
                    Some(1),
                    8.0,
                    25.0,
                ),
                s(
                    "productcatalogservice",
                    "hipstershop.ProductCatalogService/ListProducts",
                    Some(5),
                    9.0,
                    3.0,
                ),
                s(
                    "currencyservice",
                    "hipstershop.CurrencyService/GetSupportedCurrencies",
                    Some(1),
                    34.0,
                    2.0,
                ),
            ],
        );
    }
    b
}

#[test]
fn a_graph_with_skip_edges_keeps_callees_right_of_callers() {
    let (charts, summary, _) = render(boutique());
    let map = doc(chart(&charts, "service_map.svg"));
    let x = |name: &str| -> f64 {
        with_class(&map, "service")
            .iter()
            .find(|n| n.attribute("data-service") == Some(name))
            .unwrap()
            .attribute("data-x")
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(with_class(&map, "service").len(), 12);
    for d in &summary.dependencies {
        assert!(x(&d.callee) > x(&d.caller), "{} -> {}", d.caller, d.callee);
    }
    // loadgenerator, frontend, checkout, cart, redis: five columns.
    assert!(x("redis-cart") > x("cartservice"));
    assert!(x("cartservice") > x("checkoutservice"));
    let o = doc(chart(&charts, "error_origins.svg"));
    let names: Vec<&str> = with_class(&o, "service")
        .iter()
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(names, ["paymentservice"]);
}

#[test]
fn calls_back_up_the_graph_and_huge_traces_still_render() {
    let mut b = Builder::default();
    // a -> b -> a: a cycle between services; c calls itself.
    b.trace(
        "cycle",
        0,
        &[
            s("a", "x", None, 0.0, 10.0),
            s("b", "y", Some(0), 1.0, 8.0),
            s("a", "z", Some(1), 2.0, 5.0),
            s("c", "w", Some(2), 3.0, 1.0),
            s("c", "w", Some(3), 3.5, 0.2),
        ],
    );
    let mut big = vec![s("batch", "run", None, 0.0, 1000.0)];
    for i in 0..600 {
        big.push(s("worker", "item", Some(0), i as f64, 1.0));
    }
    b.trace("big", 5000, &big);
    let (charts, summary, _) = render(b);
    let map = doc(chart(&charts, "service_map.svg"));
    // a <-> b are two arrows; c -> c is a self-call noted in its box.
    let edges = with_class(&map, "edge");
    assert_eq!(edges.len(), summary.dependencies.len() - 1);
    assert!(texts(&map).iter().any(|t| t.contains("↻1")));
    let w = doc(chart(&charts, "waterfall-1.svg"));
    assert_eq!(with_class(&w, "span").len(), waterfall::MAX_ROWS);
    assert!(texts(&w).iter().any(|t| t.contains("351 more spans")));
}

/// The charts of real runs (the incident fixture, an Apache access log, a
/// Kubernetes capture), traced by the real trace stage, summarised by the
/// builder above, are valid SVG; written to `dir/<name>/` for review with
/// `LOGTRACE_CHARTS_OUT=dir`, else to a temporary folder.
#[test]
fn real_runs_render() {
    let tmp = tempfile::tempdir().unwrap();
    let out = std::env::var_os("LOGTRACE_CHARTS_OUT").unwrap_or_else(|| tmp.path().into());
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let real = root.join("../shared/realdata");
    let runs = [
        (
            "fixture",
            root.join("fixtures/incident"),
            Some((1_500_000, 2_100_000)),
        ),
        ("apache", real.join("elastic-examples/apache_logs"), None),
        ("k8s", real.join("k8s-pods/onlineboutique-cri"), None),
    ];
    for (name, path, incident) in runs {
        if !path.exists() {
            common::missing(&path.display().to_string());
            continue;
        }
        let input = logtrace::ingest::ingest(
            &[path],
            &logtrace::IngestOptions {
                keep_events: true,
                ..Default::default()
            },
        )
        .unwrap();
        let traces = logtrace::trace::build(&input.events, &input.symbols, &Default::default());
        let mut b = Builder {
            symbols: input.symbols,
            traces: traces.traces,
            incidents: incident.into_iter().collect(),
            extra_services: Vec::new(),
        };
        // The builder's summary counts traced spans only; untraced services still get a box.
        for s in &traces.untraced {
            b.extra_services.push(b.symbols.get(s.service).to_string());
        }
        let (summary, traces, symbols) = b.build();
        let input = View::new(&summary, &traces, &symbols);
        let dir = std::path::PathBuf::from(&out).join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for c in logtrace::render::charts::all(&input) {
            roxmltree::Document::parse(&c.svg).unwrap();
            std::fs::write(dir.join(&c.file), &c.svg).unwrap();
        }
    }
}
