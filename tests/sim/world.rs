//! A seed -> a world: services, their hosts and clocks, how each logs, and
//! which operations call which (the service graph).
//!
//! The graph is fixed per seed and acyclic except for self-calls: service `i`
//! calls only services after it in the list, or another instance of itself
//! (operation 0 may call operation 1 of its own service, which never calls
//! itself). Service 0 is the entry (what the user's request hits); queue
//! workers come last and are reached only through a job queue.

use super::rng::Rng;

const NS_PER_MS: i64 = 1_000_000;
const NS_PER_S: i64 = 1_000_000_000;

/// How a service writes its logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Style {
    /// JSON lines with trace, span and parent ids as OpenTelemetry writes them:
    /// a server span has its own id, and its logged parent is the caller's
    /// client span (which the caller may never log).
    JsonOtel,
    /// JSON lines with B3 shared span ids (Zipkin/Brave): the server half logs
    /// the client's span id, and the client's parent as its parent.
    JsonB3,
    /// Spring Cloud Sleuth's default logback pattern `[app,traceId,spanId]`:
    /// B3 shared span ids and no parent id.
    Sleuth,
    /// Logback text with only a request id in the MDC: `[requestId=...]`.
    LogbackRequestId,
    /// An nginx access log (combined + `$request_time $request_id`): one line
    /// per server span at its end, with its duration; no span ids.
    Access,
    /// The same access log, also writing the B3 trace and span ids it received
    /// (`trace_id=$http_x_b3_traceid span_id=$http_x_b3_spanid`). Not drawn
    /// in the random worlds; the real-data test uses it.
    AccessIds,
}

impl Style {
    /// The styles the random worlds draw from.
    pub const ALL: [Style; 5] = [
        Style::JsonOtel,
        Style::JsonB3,
        Style::Sleuth,
        Style::LogbackRequestId,
        Style::Access,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Style::JsonOtel => "json-otel",
            Style::JsonB3 => "json-b3",
            Style::Sleuth => "sleuth",
            Style::LogbackRequestId => "logback-rid",
            Style::Access => "access",
            Style::AccessIds => "access-ids",
        }
    }

    /// The server half of a call logs the client's span id (B3 joined spans).
    pub fn shares_span_ids(self) -> bool {
        matches!(self, Style::JsonB3 | Style::Sleuth | Style::AccessIds)
    }

    /// One line per server span, written by a proxy in front of the service.
    pub fn is_access(self) -> bool {
        matches!(self, Style::Access | Style::AccessIds)
    }
}

/// Which lines a service writes for the requests it serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One line when the request arrives (no duration).
    StartOnly,
    /// One line when it completes, with status and duration.
    EndOnly,
    /// Both.
    StartEnd,
}

/// How a call travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hop {
    /// The caller waits for the answer (and may retry).
    Sync,
    /// The caller sends and goes on without waiting (fire-and-forget RPC).
    FireAndForget,
    /// The caller puts a job on a queue; a worker takes it seconds later.
    Queue,
}

/// One call an operation makes.
#[derive(Clone, Debug)]
pub struct Call {
    pub callee: usize,
    pub op: usize,
    pub hop: Hop,
    /// How many times a failed sync call is tried in all (1 = no retry).
    pub attempts: u32,
}

/// A step of an operation: one call, or calls made in parallel. A step is
/// taken with probability `p` per request.
#[derive(Clone, Debug)]
pub struct Step {
    pub calls: Vec<Call>,
    pub p: f64,
}

#[derive(Clone, Debug)]
pub struct Op {
    pub method: &'static str,
    /// Path with an `{id}` placeholder, filled per request.
    pub path: String,
    pub steps: Vec<Step>,
    /// Median own work before and after the calls (ms).
    pub work_ms: f64,
}

/// A host's clock: `offset(t) = base`, or `stepped` from `step_at` on (true
/// time), as when NTP corrects a drifted clock mid-run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Clock {
    pub base_ns: i64,
    pub step: Option<(i64, i64)>,
}

impl Clock {
    /// How far this clock runs ahead of true time at true time `t`.
    pub fn offset_at(&self, t: i64) -> i64 {
        match self.step {
            Some((at, stepped)) if t >= at => stepped,
            _ => self.base_ns,
        }
    }
    /// The time this clock shows at true time `t`.
    pub fn show(&self, t: i64) -> i64 {
        t + self.offset_at(t)
    }
}

#[derive(Clone, Debug)]
pub struct Host {
    pub service: usize,
    /// The file's name (one file per host), e.g. `orders-2`.
    pub name: String,
    pub clock: Clock,
    /// The host's log was not collected: nothing it wrote is in the folder.
    pub missing: bool,
}

#[derive(Clone, Debug)]
pub struct Service {
    pub name: String,
    pub style: Style,
    pub mode: Mode,
    /// Logs a line when it calls another service and one when the answer comes
    /// (with the client's status and duration). Never for access logs.
    pub client_lines: bool,
    pub hosts: Vec<usize>,
    pub ops: Vec<Op>,
    /// Chance that a request fails here by itself.
    pub fail_rate: f64,
    /// A call that failed for good makes this service fail (else it degrades
    /// gracefully and answers anyway).
    pub propagates: bool,
    /// A queue worker: reached only through a job queue.
    pub worker: bool,
}

#[derive(Clone, Debug)]
pub struct World {
    pub services: Vec<Service>,
    pub hosts: Vec<Host>,
    /// True start of the run (ns since the epoch) and its length.
    pub t0_ns: i64,
    pub span_ns: i64,
}

const NAMES: [&str; 14] = [
    "orders",
    "inventory",
    "payments",
    "users",
    "catalog",
    "pricing",
    "shipping",
    "cart",
    "reviews",
    "search",
    "ledger",
    "fraud",
    "auth",
    "recommend",
];
const WORKERS: [&str; 3] = ["email-worker", "report-worker", "thumbnailer"];
const RESOURCES: [&str; 8] = [
    "items", "orders", "stock", "users", "prices", "jobs", "carts", "quotes",
];

impl World {
    /// The world of a seed: an entry, 5 to 8 services behind it, 0 to 2 queue workers.
    pub fn new(seed: u64) -> World {
        let mut rng = Rng::new(seed);
        let t0_ns = 1_709_294_400 * NS_PER_S; // 2024-03-01T12:00:00Z
        let span_ns = 120 * NS_PER_S;
        let n_apps = rng.int(5, 8) as usize;
        let n_workers = rng.int(0, 2) as usize;
        let mut names = vec!["gateway".to_string()];
        let mut pool: Vec<&str> = NAMES.to_vec();
        for _ in 0..n_apps {
            let k = rng.below(pool.len());
            names.push(pool.swap_remove(k).to_string());
        }
        for w in WORKERS.iter().take(n_workers) {
            names.push(w.to_string());
        }
        let n = names.len();
        let first_worker = n - n_workers;
        let mut services = Vec::with_capacity(n);
        let mut hosts = Vec::new();
        for (i, name) in names.into_iter().enumerate() {
            let style = if i == 0 {
                // The entry links request ids to trace ids: an access log that
                // also writes the trace id, or JSON that writes both.
                *rng.pick(&[Style::Access, Style::JsonOtel, Style::JsonB3])
            } else if i >= first_worker {
                // A queue worker serves no HTTP: no access log.
                *rng.pick(&Style::ALL[..4])
            } else {
                *rng.pick(&Style::ALL)
            };
            let mode = if style == Style::Access {
                Mode::EndOnly
            } else {
                *rng.pick(&[
                    Mode::StartOnly,
                    Mode::EndOnly,
                    Mode::StartEnd,
                    Mode::StartEnd,
                ])
            };
            let n_hosts = rng.int(1, 3) as usize;
            let mut ids = Vec::new();
            for h in 0..n_hosts {
                ids.push(hosts.len());
                hosts.push(Host {
                    service: i,
                    name: format!("{name}-{}", h + 1),
                    clock: Clock::default(),
                    missing: false,
                });
            }
            services.push(Service {
                name,
                style,
                mode,
                client_lines: style != Style::Access && rng.chance(0.5),
                hosts: ids,
                ops: Vec::new(),
                fail_rate: if rng.chance(0.5) {
                    rng.uniform(0.005, 0.06)
                } else {
                    0.0
                },
                propagates: rng.chance(0.8),
                worker: i >= first_worker,
            });
        }
        // Clocks: the entry's hosts share one clock, the reference every
        // offset is measured against (only relative offsets can be known).
        let entry_clock = Clock {
            base_ns: skew(&mut rng),
            step: None,
        };
        for h in &mut hosts {
            h.clock = if h.service == 0 {
                entry_clock
            } else {
                // NTP-synced clocks agree well under a millisecond.
                let synced = |rng: &mut Rng| rng.int(-300_000, 300_000);
                let skewed = rng.chance(0.4);
                let base_ns = if skewed {
                    skew(&mut rng)
                } else {
                    synced(&mut rng)
                };
                // A step: NTP corrects a skewed clock, or a synced one jumps
                // away (a VM resumed from a pause).
                let step = rng.chance(0.25).then(|| {
                    let at = t0_ns + rng.int(span_ns / 5, span_ns * 4 / 5);
                    (
                        at,
                        if skewed {
                            synced(&mut rng)
                        } else {
                            skew(&mut rng)
                        },
                    )
                });
                Clock { base_ns, step }
            };
        }
        // Every clock right (`LOGTRACE_SIM_SYNCED=1`): what is left wrong
        // then is not the clocks' doing. Drawn after the skews, so the rest
        // of the world is the same.
        if std::env::var_os("LOGTRACE_SIM_SYNCED").is_some_and(|v| !v.is_empty() && v != "0") {
            for h in &mut hosts {
                h.clock = Clock {
                    base_ns: 0,
                    step: None,
                };
            }
        }
        // A missing access log: one host of an access-logging service (not the entry).
        for s in services.iter().skip(1) {
            if s.style == Style::Access && s.hosts.len() > 1 && rng.chance(0.5) {
                hosts[*rng.pick(&s.hosts)].missing = true;
            }
        }
        #[allow(clippy::needless_range_loop)] // `i` is also the service's rank
        for i in 0..n {
            let n_ops = if i == 0 { 3 } else { rng.int(2, 3) as usize };
            // The entry serves the API; a service serves its own resource.
            let res = if i == 0 {
                format!("/api/{}", rng.pick(&RESOURCES))
            } else {
                format!("/{}", services[i].name.trim_end_matches("-worker"))
            };
            let mut ops: Vec<Op> = (0..n_ops)
                .map(|k| {
                    let (method, path) = match k {
                        0 => ("GET", format!("{res}/{{id}}")),
                        1 => ("POST", res.clone()),
                        _ => ("GET", format!("{res}/{{id}}/details")),
                    };
                    Op {
                        method,
                        path,
                        steps: Vec::new(),
                        work_ms: rng.uniform(0.5, 8.0),
                    }
                })
                .collect();
            if i < first_worker {
                let callees: Vec<usize> = (i + 1..first_worker).collect();
                for (k, op) in ops.iter_mut().enumerate() {
                    op.steps = steps(&mut rng, i, k, &callees);
                }
                if first_worker < n && (i == 0 || rng.chance(0.3)) {
                    // An operation that hands work to a queue worker (at the
                    // entry: the API answers 202 and a worker does the job).
                    let w = rng.int(first_worker as i64, n as i64 - 1) as usize;
                    let k = if i == 0 { 2 } else { rng.below(ops.len()) };
                    ops[k].steps.push(Step {
                        calls: vec![Call {
                            callee: w,
                            op: 0,
                            hop: Hop::Queue,
                            attempts: 1,
                        }],
                        p: 1.0,
                    });
                    if i == 0 {
                        ops[k] = Op {
                            method: "POST",
                            path: format!("{res}/{{id}}/export"),
                            ..ops[k].clone()
                        };
                    }
                }
            }
            services[i].ops = ops;
        }
        // Workers may call ordinary services too (lookups while doing the job).
        let callees: Vec<usize> = (1..first_worker).collect();
        for worker in &mut services[first_worker..] {
            let op = &mut worker.ops[0];
            if !callees.is_empty() && rng.chance(0.7) {
                let c = *rng.pick(&callees);
                op.steps.push(Step {
                    calls: vec![call(&mut rng, c)],
                    p: 1.0,
                });
            }
        }
        World {
            services,
            hosts,
            t0_ns,
            span_ns,
        }
    }
}

/// A badly skewed clock: up to 2 s either way, at least 20 ms.
fn skew(rng: &mut Rng) -> i64 {
    let ms = rng.uniform(20.0, 2000.0);
    let sign = if rng.chance(0.5) { 1.0 } else { -1.0 };
    (sign * ms * NS_PER_MS as f64) as i64
}

/// One sync call (sometimes fire-and-forget) to `callee`, on one of its operations.
fn call(rng: &mut Rng, callee: usize) -> Call {
    let hop = if rng.chance(0.08) {
        Hop::FireAndForget
    } else {
        Hop::Sync
    };
    Call {
        callee,
        op: rng.below(2),
        hop,
        attempts: if hop == Hop::Sync && rng.chance(0.4) {
            rng.int(2, 3) as u32
        } else {
            1
        },
    }
}

/// The steps of operation `k` of service `i`: calls to later services, some
/// in parallel; operation 0 may call operation 1 of the same service.
fn steps(rng: &mut Rng, i: usize, k: usize, callees: &[usize]) -> Vec<Step> {
    let mut out = Vec::new();
    if callees.is_empty() {
        return out;
    }
    // Later services call less: the graph thins out towards the leaves.
    let max_steps = if i == 0 { 3 } else { 2 };
    let n = rng.int(if i == 0 { 1 } else { 0 }, max_steps) as usize;
    for _ in 0..n {
        let parallel = rng.chance(0.3);
        let calls = if parallel {
            let m = rng.int(2, 3) as usize;
            (0..m)
                .map(|_| {
                    let c = *rng.pick(callees);
                    call(rng, c)
                })
                .collect()
        } else {
            let c = *rng.pick(callees);
            vec![call(rng, c)]
        };
        out.push(Step {
            calls,
            p: rng.uniform(0.6, 1.0),
        });
    }
    if k == 0 && i > 0 && rng.chance(0.25) {
        // A self-call: another instance of this service, operation 1.
        out.push(Step {
            calls: vec![Call {
                callee: i,
                op: 1,
                hop: Hop::Sync,
                attempts: 1,
            }],
            p: 0.7,
        });
    }
    out
}
