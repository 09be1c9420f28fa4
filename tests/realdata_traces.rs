//! The two Kubernetes captures under `../shared/realdata/k8s-pods`, ingested and
//! built into traces, checked against the capture's `spans.csv` (the real
//! distributed-tracing spans of the same minute): the traces group the same
//! trace ids with the same services, and the service dependency edges inferred
//! from the logs alone (no parent span ids are logged) are compared with the
//! caller -> callee edges of the real spans.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use logtrace::ingest::service::pod_service;
use logtrace::ingest::{ingest, IngestOptions};
use logtrace::trace::{build, TraceOptions};

mod common;

fn k8s_root() -> Option<PathBuf> {
    let root = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/realdata/k8s-pods"
    ));
    if root.is_dir() {
        Some(root.to_path_buf())
    } else {
        common::missing(&root.display().to_string());
        None
    }
}

/// What spans.csv says: services per trace id, and caller -> callee service edges.
struct Truth {
    services: BTreeMap<String, BTreeSet<String>>,
    edges: BTreeSet<(String, String)>,
    /// The same edges per trace id: a finer measure than the service graph.
    trace_edges: BTreeSet<(String, String, String)>,
}

fn truth(capture: &Path) -> Truth {
    let csv = std::fs::read_to_string(capture.with_extension("truth").join("spans.csv")).unwrap();
    let mut pod_of: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut rows = Vec::new();
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (trace, span, parent, pod) = (f[0], f[1], f[2], f[3]);
        pod_of.insert((trace.into(), span.into()), pod.into());
        rows.push((trace.to_string(), parent.to_string(), pod.to_string()));
    }
    let mut services: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut edges = BTreeSet::new();
    let mut trace_edges = BTreeSet::new();
    for (trace, parent, pod) in rows {
        services
            .entry(trace.clone())
            .or_default()
            .insert(pod_service(&pod).to_string());
        if let Some(ppod) = pod_of.get(&(trace.clone(), parent)) {
            if *ppod != pod {
                let (a, b) = (pod_service(ppod).to_string(), pod_service(&pod).to_string());
                trace_edges.insert((trace, a.clone(), b.clone()));
                edges.insert((a, b));
            }
        }
    }
    Truth {
        services,
        edges,
        trace_edges,
    }
}

struct Measured {
    traces: usize,
    truth_ids_in_logs: usize,
    precision: f64,
    recall: f64,
    trace_precision: f64,
    trace_recall: f64,
}

fn check(name: &str) -> Option<Measured> {
    let capture = k8s_root()?.join(name);
    let truth = truth(&capture);
    let ing = ingest(
        std::slice::from_ref(&capture),
        &IngestOptions {
            keep_events: true,
            ..Default::default()
        },
    )
    .unwrap();
    let s = &ing.symbols;
    let built = build(&ing.events, s, &TraceOptions::default());
    let logged: BTreeSet<String> = ing
        .events
        .iter()
        .map(|e| s.get(e.service).to_string())
        .collect();

    // Every trace id the logs name is in exactly one trace, with the services
    // the real spans say took part (among those that logged).
    let mut home: BTreeMap<String, usize> = BTreeMap::new();
    let mut ours_edges: BTreeSet<(String, String)> = BTreeSet::new();
    let mut ours_trace_edges: BTreeSet<(String, String, String)> = BTreeSet::new();
    for (k, t) in built.traces.iter().enumerate() {
        let truth_ids: Vec<&str> = t
            .ids
            .iter()
            .map(|&i| s.get(i))
            .filter(|i| truth.services.contains_key(*i))
            .collect();
        assert!(
            truth_ids.len() <= 1,
            "{name}: trace {} merges {truth_ids:?}",
            s.get(t.id)
        );
        let services: BTreeSet<String> = t
            .spans
            .iter()
            .map(|sp| s.get(sp.service).to_string())
            .collect();
        if let Some(id) = truth_ids.first() {
            assert!(
                home.insert(id.to_string(), k).is_none(),
                "{name}: trace id {id} is split"
            );
            let want: BTreeSet<String> =
                truth.services[*id].intersection(&logged).cloned().collect();
            assert!(
                services.is_subset(&want),
                "{name}: trace {id}: services {services:?}, spans.csv {want:?}"
            );
        }
        for sp in &t.spans {
            if let Some(p) = sp.parent {
                let ps = &t.spans[p as usize];
                if ps.service != sp.service {
                    let (a, b): (String, String) =
                        (s.get(ps.service).into(), s.get(sp.service).into());
                    if let Some(id) = truth_ids.first() {
                        ours_trace_edges.insert((id.to_string(), a.clone(), b.clone()));
                    }
                    ours_edges.insert((a, b));
                }
            }
        }
    }
    // Every trace id of the logs that spans.csv knows found a home.
    let in_logs: BTreeSet<&str> = ing
        .events
        .iter()
        .map(|e| s.get(e.trace_id))
        .filter(|t| truth.services.contains_key(*t))
        .collect();
    assert_eq!(in_logs.len(), home.len(), "{name}");

    // Edges between services that logged at all: only those can be found.
    let want: BTreeSet<(String, String)> = truth
        .edges
        .iter()
        .filter(|(a, b)| logged.contains(a) && logged.contains(b))
        .cloned()
        .collect();
    let hit = ours_edges.intersection(&want).count();
    let precision = hit as f64 / ours_edges.len().max(1) as f64;
    let recall = hit as f64 / want.len().max(1) as f64;
    eprintln!(
        "{name}: {} traces ({} trace ids of spans.csv in the logs), {} events without id; \
         edges inferred {} true {} found {hit}: precision {precision:.2} recall {recall:.2}",
        built.traces.len(),
        in_logs.len(),
        built.events_without_id,
        ours_edges.len(),
        want.len()
    );
    // Per trace, between services that logged in that trace.
    let want_t: BTreeSet<(String, String, String)> = truth
        .trace_edges
        .iter()
        .filter(|(t, a, b)| {
            home.get(t).is_some_and(|&k| {
                let svc: BTreeSet<&str> = built.traces[k]
                    .spans
                    .iter()
                    .map(|sp| s.get(sp.service))
                    .collect();
                svc.contains(a.as_str()) && svc.contains(b.as_str())
            })
        })
        .cloned()
        .collect();
    let hit_t = ours_trace_edges.intersection(&want_t).count();
    let trace_precision = hit_t as f64 / ours_trace_edges.len().max(1) as f64;
    let trace_recall = hit_t as f64 / want_t.len().max(1) as f64;
    eprintln!(
        "  per trace: inferred {} true {} found {hit_t}: precision {trace_precision:.2} recall {trace_recall:.2}",
        ours_trace_edges.len(),
        want_t.len()
    );
    eprintln!(
        "  missed: {:?}",
        want.difference(&ours_edges).collect::<Vec<_>>()
    );
    eprintln!(
        "  spurious: {:?}",
        ours_edges.difference(&want).collect::<Vec<_>>()
    );
    Some(Measured {
        traces: built.traces.len(),
        truth_ids_in_logs: in_logs.len(),
        precision,
        recall,
        trace_precision,
        trace_recall,
    })
}

/// Measured 1.00 on both captures (service graph and per trace); a little slack
/// for reasonable changes to the inference.
fn floors(m: &Measured) {
    assert!(m.precision >= 0.95 && m.recall >= 0.95, "service graph");
    assert!(
        m.trace_precision >= 0.95 && m.trace_recall >= 0.95,
        "per trace"
    );
}

#[test]
fn onlineboutique_traces_match_spans_csv() {
    let Some(m) = check("onlineboutique-cri") else {
        return;
    };
    assert_eq!((m.traces, m.truth_ids_in_logs), (147, 147));
    floors(&m);
}

#[test]
fn trainticket_traces_match_spans_csv() {
    let Some(m) = check("trainticket-docker") else {
        return;
    };
    assert_eq!((m.traces, m.truth_ids_in_logs), (71, 71));
    floors(&m);
}
