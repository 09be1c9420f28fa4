//! Requests -> per-service and per-operation statistics.
//!
//! Input: the run's requests ([`Grouped`] by operation) and events. Output: [`ServiceStats`] sorted by
//! name and [`OperationStats`] sorted by service, then operation name.
//!
//! - `count` / `spans`: requests (spans), traced or not.
//! - `errors`: failed spans (status >= 500, an error-level event, an exception);
//!   `recovered_errors`: those of them whose failure did not reach the request
//!   the user saw (a caller that waited for them did not fail: retried, or
//!   degraded around), counted in `errors` too;
//!   `client_errors`: HTTP 4xx, counted apart and never as errors.
//! - `error_rate` = errors / count; `None` for a service that handled no
//!   request (it only logged).
//! - `latency_ms`: exact nearest-rank percentiles over the spans with a logged
//!   duration only ([`Request::duration_ns`]); extents guessed from first and
//!   last events would mix two different measures. Its `count` may therefore
//!   be smaller than the span count, and it is `None` when no span logged a
//!   duration (a plain access log without times): unknown, not 0.
//! - A service's `events`: every event the service logged, spans or not.
//! - Spans without an operation are grouped under the operation [`NO_NAME`],
//!   as are spans and events without a service.
//!
//! Each operation's requests are counted on their own, in parallel; their
//! logged durations are copied into one list, operation after operation,
//! operations sorted by service name so that a service's samples are one
//! slice of it. Percentiles are then taken per slice in parallel. Counts,
//! sums and nearest-rank percentiles do not depend on the order of the
//! requests, so the output is the same on any number of threads and
//! whatever parts the requests came in.

use std::collections::HashMap;

use rayon::prelude::*;

use super::grouped::Grouped;
use super::latency::{latency, ByBucket};
use super::summary::{OperationStats, ServiceStats};
use super::Request;
use crate::ingest::event::{Event, Sym, Symbols};

/// The name shown for a missing service or operation.
pub const NO_NAME: &str = "(none)";

/// Events per parallel work item.
const CHUNK: usize = 1 << 16;

/// The name of `sym`, or [`NO_NAME`].
pub fn name(symbols: &Symbols, sym: Sym) -> String {
    if sym.is_none() {
        NO_NAME.to_owned()
    } else {
        symbols.get(sym).to_owned()
    }
}

/// Counts and latency samples of a group of requests; merges across threads.
#[derive(Clone, Debug, Default)]
pub struct Acc {
    pub count: u64,
    pub errors: u64,
    pub recovered_errors: u64,
    pub client_errors: u64,
    /// Logged durations, ns (unsorted until [`Acc::finish`]).
    pub samples: Vec<i64>,
}

impl Acc {
    pub fn add(&mut self, r: &Request) {
        self.count_only(r);
        if let Some(d) = r.duration_ns() {
            self.samples.push(d);
        }
    }

    /// Counts `r` without keeping its duration.
    pub fn count_only(&mut self, r: &Request) {
        self.count(r.error, r.recovered, r.client_error());
    }

    /// Counts a request by its flags.
    pub fn count(&mut self, error: bool, recovered: bool, client_error: bool) {
        self.count += 1;
        self.errors += u64::from(error);
        self.recovered_errors += u64::from(recovered);
        self.client_errors += u64::from(client_error);
    }

    pub fn merge(&mut self, mut other: Acc) {
        self.merge_counts(&other);
        if self.samples.len() < other.samples.len() {
            std::mem::swap(&mut self.samples, &mut other.samples);
        }
        self.samples.extend_from_slice(&other.samples);
    }

    /// The counts without the samples.
    pub fn counts(&self) -> Acc {
        let mut counts = Acc::default();
        counts.merge_counts(self);
        counts
    }

    /// Adds `other`'s counts (not its samples).
    pub fn merge_counts(&mut self, other: &Acc) {
        self.count += other.count;
        self.errors += other.errors;
        self.recovered_errors += other.recovered_errors;
        self.client_errors += other.client_errors;
    }

    /// `None` without requests.
    pub fn error_rate(&self) -> Option<f64> {
        (self.count > 0).then(|| self.errors as f64 / self.count as f64)
    }
}

/// Most operations listed per service: past it, the least used are one row,
/// [`OTHER`], so a path with an unmasked id in it cannot grow report.json
/// (and every table after it) without bound.
pub const MAX_OPERATIONS: usize = 500;
/// The row of a service's operations past [`MAX_OPERATIONS`].
pub const OTHER: &str = "{other}";

/// Per service and per operation, in report order, and how many operations
/// were folded into [`OTHER`] rows.
pub fn services_and_operations(
    requests: &[Request],
    events: &[Event],
    symbols: &Symbols,
) -> (Vec<ServiceStats>, Vec<OperationStats>, u64) {
    of_groups(&Grouped::from_requests(requests), events, symbols)
}

/// [`services_and_operations`] of requests already grouped.
pub fn of_groups(
    grouped: &Grouped,
    events: &[Event],
    symbols: &Symbols,
) -> (Vec<ServiceStats>, Vec<OperationStats>, u64) {
    of_groups_capped(grouped, events, symbols, MAX_OPERATIONS)
}

fn of_groups_capped(
    grouped: &Grouped,
    events: &[Event],
    symbols: &Symbols,
    max_operations: usize,
) -> (Vec<ServiceStats>, Vec<OperationStats>, u64) {
    let keys = grouped.keys();
    let groups = grouped.groups();
    // Counts per operation, with how many logged a duration.
    let (key_counts, key_timed): (Vec<Acc>, Vec<usize>) = groups
        .par_iter()
        .map(|g| {
            let mut acc = Acc::default();
            let mut timed = 0;
            for r in g.iter() {
                acc.count(r.error(), r.recovered(), r.client_error());
                timed += usize::from(r.duration().is_some());
            }
            (acc, timed)
        })
        .unzip();

    // The rows, in report order (by service name, then operation name): an
    // operation each, but past `max_operations` in a service, the least
    // used ones share that service's OTHER row.
    let (rows, row_of_key, folded) = fold_rows(keys, &key_counts, symbols, max_operations);
    let mut counts = vec![Acc::default(); rows.len()];
    let mut timed = vec![0usize; rows.len()];
    for (k, &row) in row_of_key.iter().enumerate() {
        counts[row as usize].merge_counts(&key_counts[k]);
        timed[row as usize] += key_timed[k];
    }
    drop((key_counts, key_timed));

    // Every logged duration grouped by row in one list: a service's rows
    // are adjacent, so its samples are one slice of it.
    let mut keys_of_row: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
    for (k, &row) in row_of_key.iter().enumerate() {
        keys_of_row[row as usize].push(k);
    }
    let mut samples = ByBucket::filled(&timed, |row, out| {
        let durations = keys_of_row[row].iter().flat_map(|&k| groups[k].durations());
        for (slot, d) in out.iter_mut().zip(durations) {
            *slot = d;
        }
    });
    let (row_services, names): (Vec<Sym>, Vec<(String, String)>) =
        rows.into_iter().map(|(svc, s, o)| (svc, (s, o))).unzip();

    // Operations first: selection reorders each operation's own slice only.
    let slices = samples.runs_mut(1..=names.len());
    let operations: Vec<OperationStats> = slices
        .into_par_iter()
        .zip(&names)
        .zip(&counts)
        .map(|((durations, names), acc)| {
            let (service, name) = names.clone();
            OperationStats {
                service,
                name,
                count: acc.count,
                errors: acc.errors,
                recovered_errors: acc.recovered_errors,
                client_errors: acc.client_errors,
                // An operation is listed because a request has it: count >= 1.
                error_rate: acc.error_rate().unwrap_or_default(),
                latency_ms: latency(durations),
            }
        })
        .collect();

    // Services: runs of one service name among the sorted operations.
    let event_counts = events_per_service(events);
    // Each service's operations end at `end` (an operation index).
    let mut runs: Vec<(String, Sym, Acc, usize)> = Vec::new();
    for (k, &svc) in row_services.iter().enumerate() {
        let svc_name = &names[k].0;
        match runs.last_mut() {
            Some((n, _, acc, end)) if n == svc_name => {
                acc.merge_counts(&counts[k]);
                *end = k + 1;
            }
            _ => runs.push((svc_name.clone(), svc, counts[k].counts(), k + 1)),
        }
    }
    // Services that logged events but no request still get a row (no operation).
    for &svc in event_counts.keys() {
        let n = name(symbols, svc);
        if let Err(at) = runs.binary_search_by(|s| s.0.cmp(&n)) {
            let end = at.checked_sub(1).map_or(0, |before| runs[before].3);
            runs.insert(at, (n, svc, Acc::default(), end));
        }
    }
    let slices = samples.runs_mut(runs.iter().map(|r| r.3));
    let services: Vec<ServiceStats> = runs
        .into_par_iter()
        .zip(slices)
        .map(|((name, svc, acc, _), durations)| ServiceStats {
            name,
            events: event_counts.get(&svc).copied().unwrap_or(0),
            spans: acc.count,
            errors: acc.errors,
            recovered_errors: acc.recovered_errors,
            client_errors: acc.client_errors,
            error_rate: acc.error_rate(),
            histogram: super::histogram::latency_histogram(durations),
            latency_ms: latency(durations),
        })
        .collect();
    (services, operations, folded)
}

/// A report row: service, its name, the operation's name.
type Row = (Sym, String, String);

/// The report's operation rows, sorted, and each key's row; with more than
/// `max` operations in a service, its `max - 1` most used (ties by name)
/// keep their rows and the rest share one [`OTHER`] row. Also returns how
/// many operations were folded.
fn fold_rows(
    keys: &[(Sym, Sym)],
    counts: &[Acc],
    symbols: &Symbols,
    max: usize,
) -> (Vec<Row>, Vec<u32>, u64) {
    let max = max.max(2);
    // Keys by service, most used first.
    let mut order: Vec<(String, String, u32)> = keys
        .iter()
        .enumerate()
        .map(|(k, &(svc, op))| (name(symbols, svc), name(symbols, op), k as u32))
        .collect();
    let svc = |k: u32| keys[k as usize].0;
    order.sort_unstable_by(|a, b| {
        (&a.0, svc(a.2))
            .cmp(&(&b.0, svc(b.2)))
            .then(counts[b.2 as usize].count.cmp(&counts[a.2 as usize].count))
            .then_with(|| a.1.cmp(&b.1))
            .then(a.2.cmp(&b.2))
    });
    // (row, key) pairs: a key's own row, or its service's OTHER row.
    let mut rows: Vec<(Row, bool)> = Vec::new();
    let mut row_key: Vec<(usize, u32)> = Vec::with_capacity(keys.len());
    let mut folded = 0u64;
    for service in order.chunk_by(|a, b| svc(a.2) == svc(b.2)) {
        let fold = service.len() > max;
        for (rank, (svc_name, op_name, k)) in service.iter().enumerate() {
            if fold && rank >= max - 1 {
                if rank == max - 1 {
                    rows.push(((svc(*k), svc_name.clone(), OTHER.to_owned()), true));
                }
                folded += 1;
            } else {
                rows.push(((svc(*k), svc_name.clone(), op_name.clone()), false));
            }
            row_key.push((rows.len() - 1, *k));
        }
    }
    // Report order: by service name, operation name; a service's OTHER last.
    let mut sorted: Vec<u32> = (0..rows.len() as u32).collect();
    sorted.sort_unstable_by(|&a, &b| {
        let ((sa, na, oa), fa) = &rows[a as usize];
        let ((sb, nb, ob), fb) = &rows[b as usize];
        (na, sa, fa, oa).cmp(&(nb, sb, fb, ob)).then(a.cmp(&b))
    });
    let mut new_row = vec![0u32; rows.len()];
    for (at, &r) in sorted.iter().enumerate() {
        new_row[r as usize] = at as u32;
    }
    let mut row_of_key = vec![0u32; keys.len()];
    for (r, k) in row_key {
        row_of_key[k as usize] = new_row[r];
    }
    let mut rows: Vec<Option<Row>> = rows.into_iter().map(|(r, _)| Some(r)).collect();
    let rows = sorted
        .iter()
        .map(|&r| rows[r as usize].take().unwrap())
        .collect();
    (rows, row_of_key, folded)
}

/// Events per service symbol.
fn events_per_service(events: &[Event]) -> HashMap<Sym, u64> {
    events
        .par_chunks(CHUNK)
        .map(|chunk| {
            // Events come file by file, so runs of one service are long:
            // count a run, then add it to the map once.
            let mut m: HashMap<Sym, u64> = HashMap::new();
            for run in chunk.chunk_by(|a, b| a.service == b.service) {
                *m.entry(run[0].service).or_default() += run.len() as u64;
            }
            m
        })
        .reduce(HashMap::new, |mut a, b| {
            for (k, v) in b {
                *a.entry(k).or_default() += v;
            }
            a
        })
}

#[cfg(test)]
mod tests {
    use super::super::requests::{build::*, requests};
    use super::*;

    fn event(b: &mut Builder, service: &str) -> Event {
        Event {
            service: b.sym(service),
            ..Default::default()
        }
    }

    #[test]
    fn counts_errors_client_errors_and_exact_percentiles() {
        let mut b = Builder::default();
        // 100 untraced GETs of 1..=100 ms; 3 of them 5xx, 5 of them 4xx.
        for i in 1..=100 {
            let status = match i {
                10 | 20 | 30 => 503,
                41..=45 => 404,
                _ => 200,
            };
            b.untraced(s("web", "GET /items/{id}", None, i * 1000, i, status));
        }
        // Two untimed POSTs: counted, but not in the latency.
        for i in 0..2 {
            let mut x = s("web", "POST /items", None, i, 0, 201);
            x.timed = false;
            b.untraced(x);
        }
        let events: Vec<Event> = (0..5).map(|_| event(&mut b, "web")).collect();
        let (svcs, ops, _) = services_and_operations(&requests(&b.traces), &events, &b.symbols);
        assert_eq!(ops.len(), 2);
        let get = &ops[0];
        assert_eq!(
            (get.name.as_str(), get.count, get.errors, get.client_errors),
            ("GET /items/{id}", 100, 3, 5)
        );
        assert_eq!(get.error_rate, 0.03);
        let l = get.latency_ms.as_ref().unwrap();
        assert_eq!(
            (l.count, l.p50, l.p90, l.p95, l.p99, l.p999, l.max, l.mean),
            (100, 50.0, 90.0, 95.0, 99.0, 100.0, 100.0, 50.5)
        );
        let post = &ops[1];
        // Requests without a logged duration: no latency, not a latency of 0.
        assert_eq!((post.count, &post.latency_ms), (2, &None));
        assert_eq!(svcs.len(), 1);
        let web = &svcs[0];
        assert_eq!(
            (web.events, web.spans, web.errors, web.client_errors),
            (5, 102, 3, 5)
        );
        assert_eq!(web.latency_ms.as_ref().unwrap().count, 100);
        assert!((web.error_rate.unwrap() - 3.0 / 102.0).abs() < 1e-12);
    }

    #[test]
    fn sorted_by_service_then_operation_name_with_none_grouped() {
        let mut b = Builder::default();
        b.trace(
            "t",
            &[
                s("zeta", "", None, 0, 10, 200),
                s("alpha", "b", Some(0), 1, 2, 200),
                s("alpha", "a", Some(0), 3, 4, 500),
                s("alpha", "", Some(0), 3, 4, 200),
            ],
        );
        let events = vec![event(&mut b, "quiet"), event(&mut b, "zeta")];
        let (svcs, ops, _) = services_and_operations(&requests(&b.traces), &events, &b.symbols);
        let names: Vec<(&str, &str, u64)> = ops
            .iter()
            .map(|o| (o.service.as_str(), o.name.as_str(), o.errors))
            .collect();
        assert_eq!(
            names,
            vec![
                ("alpha", "(none)", 0),
                ("alpha", "a", 1),
                ("alpha", "b", 0),
                ("zeta", "(none)", 0)
            ]
        );
        let svc: Vec<(&str, u64, u64)> = svcs
            .iter()
            .map(|s| (s.name.as_str(), s.events, s.spans))
            .collect();
        assert_eq!(svc, vec![("alpha", 0, 3), ("quiet", 1, 0), ("zeta", 1, 1)]);
        assert_eq!(svcs[0].latency_ms.as_ref().unwrap().max, 4.0);
        // A service that only logged has no error rate and no latency.
        assert_eq!((svcs[1].error_rate, &svcs[1].latency_ms), (None, &None));
    }

    #[test]
    fn same_result_for_any_chunking() {
        let mut b = Builder::default();
        for i in 0..(CHUNK as i64 * 2 + 7) {
            let op = if i % 3 == 0 { "a" } else { "b" };
            let status = if i % 11 == 0 { 500 } else { 200 };
            b.untraced(s("svc", op, None, i, (i * 7919) % 1000, status));
        }
        let reqs = requests(&b.traces);
        let (_, whole, _) = services_and_operations(&reqs, &[], &b.symbols);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let (_, one, _) = pool.install(|| services_and_operations(&reqs, &[], &b.symbols));
        assert_eq!(whole, one);
        assert_eq!(whole[0].count + whole[1].count, reqs.len() as u64);
    }

    #[test]
    fn operations_past_the_cap_share_the_service_other_row() {
        let mut b = Builder::default();
        // web: five operations used 5, 4, 3, 2 and 1 times; db: two.
        const OPS: [&str; 5] = ["GET /e", "GET /d", "GET /c", "GET /b", "GET /a"];
        let mut t = 0;
        for (k, op) in OPS.iter().enumerate() {
            for _ in 0..5 - k {
                t += 1;
                b.untraced(s("web", op, None, t, 10 * (k as i64 + 1), 200));
            }
        }
        b.untraced(s("db", "SELECT", None, 1, 1, 200));
        b.untraced(s("db", "INSERT", None, 2, 2, 503));
        let reqs = requests(&b.traces);
        let grouped = Grouped::from_requests(&reqs);
        let (svcs, ops, folded) = of_groups_capped(&grouped, &[], &b.symbols, 3);
        let rows: Vec<(&str, &str, u64)> = ops
            .iter()
            .map(|o| (o.service.as_str(), o.name.as_str(), o.count))
            .collect();
        assert_eq!(
            rows,
            [
                ("db", "INSERT", 1),
                ("db", "SELECT", 1),
                ("web", "GET /d", 4),
                ("web", "GET /e", 5),
                ("web", OTHER, 6),
            ]
        );
        assert_eq!(folded, 3);
        // The other row's latency is over all its requests: 3x30, 2x40, 1x50 ms.
        let other = ops[4].latency_ms.as_ref().unwrap();
        assert_eq!((other.count, other.p50, other.max), (6, 30.0, 50.0));
        // The service's totals are unchanged.
        assert_eq!(svcs[1].spans, 15);
        assert_eq!(svcs[1].latency_ms.as_ref().unwrap().count, 15);
        let (_, all, none) = services_and_operations(&reqs, &[], &b.symbols);
        assert_eq!((all.len(), none), (7, 0));
    }

    #[test]
    fn empty_input() {
        let (s, o, _) = services_and_operations(&[], &[], &Symbols::default());
        assert!(s.is_empty() && o.is_empty());
    }
}
