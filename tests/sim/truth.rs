//! A world and a seed -> traces with known truth: every span's service, host,
//! true times, parent, link kind and outcome.
//!
//! A call is two spans, as tracers record it: a client span in the caller
//! (producer for a queue) and a server span in the callee (consumer for a
//! queue worker), the server span a child of the client span. Retries are new
//! client and server spans. What each service writes about these spans is
//! decided later, by [`super::render`]; the truth holds them all.

use super::rng::Rng;
use super::world::{Call, Hop, World};

const MS: f64 = 1_000_000.0;
/// A trace stops making calls past this many spans (keeps tails bounded).
const MAX_SPANS: usize = 80;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Server,
    Client,
    Producer,
    Consumer,
    /// Work inside one service (a transaction, a cache lookup): no remote side.
    Local,
}

/// How a span hangs under its parent (OpenTracing/Jaeger reference types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    ChildOf,
    /// The parent did not wait: fire-and-forget, or a queued job.
    FollowsFrom,
}

#[derive(Clone, Debug)]
pub struct TruthSpan {
    pub kind: Kind,
    pub service: usize,
    pub host: usize,
    /// The span id its tracer gives it (shared with the client for B3 servers).
    pub span_id: String,
    pub parent: Option<usize>,
    pub link: Link,
    /// HTTP method; empty for work that is not an HTTP request.
    pub method: &'static str,
    /// The path with its id filled in (or the operation's name).
    pub path: String,
    /// True start and end, ns since the epoch.
    pub start_ns: i64,
    pub end_ns: i64,
    pub status: u16,
}

impl TruthSpan {
    pub fn failed(&self) -> bool {
        self.status >= 500
    }
    pub fn is_server(&self) -> bool {
        matches!(self.kind, Kind::Server | Kind::Consumer)
    }
    /// The request line or operation name a log line names (`GET /x/1`, `txn: commit`).
    pub fn operation(&self) -> String {
        if self.method.is_empty() {
            self.path.clone()
        } else {
            format!("{} {}", self.method, self.path)
        }
    }
}

#[derive(Clone, Debug)]
pub struct TruthTrace {
    pub trace_id: String,
    pub request_id: String,
    /// Spans in creation order; the root (the user's request) is `spans[0]`.
    pub spans: Vec<TruthSpan>,
}

impl TruthTrace {
    /// The request the user saw failed.
    pub fn failed(&self) -> bool {
        self.spans[0].failed()
    }
}

/// `n` traces of `world`, their roots spread over the run, in start order.
pub fn traces(world: &World, seed: u64, n: usize) -> Vec<TruthTrace> {
    let mut rng = Rng::new(seed ^ 0xA5A5_5A5A);
    let mut starts: Vec<i64> = (0..n)
        .map(|_| world.t0_ns + rng.int(0, world.span_ns * 9 / 10))
        .collect();
    starts.sort_unstable();
    starts
        .into_iter()
        .map(|t| {
            let mut g = Gen {
                world,
                rng: &mut rng,
                spans: Vec::new(),
            };
            let op = g.rng.below(world.services[0].ops.len());
            let host = *g.rng.pick(&world.services[0].hosts);
            g.serve(0, op, host, t, None, Link::ChildOf, Kind::Server);
            let spans = g.spans;
            TruthTrace {
                trace_id: rng.hex32(),
                request_id: request_id(&mut rng),
                spans,
            }
        })
        .collect()
}

/// A UUID-shaped request id, as nginx's `$request_id` or a gateway makes them.
fn request_id(rng: &mut Rng) -> String {
    let h = rng.hex32();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

struct Gen<'a> {
    world: &'a World,
    rng: &'a mut Rng,
    spans: Vec<TruthSpan>,
}

impl Gen<'_> {
    fn ms(&mut self, median: f64) -> i64 {
        (self.rng.skewed(median) * MS) as i64
    }

    /// A one-way network delay inside the data centre.
    fn net(&mut self) -> i64 {
        (self.rng.uniform(0.2, 2.5) * MS) as i64
    }

    /// Serves one request: a server (or consumer) span from `start`, its
    /// calls, and its outcome. Returns the span's index.
    #[allow(clippy::too_many_arguments)]
    fn serve(
        &mut self,
        svc: usize,
        op: usize,
        host: usize,
        start: i64,
        parent: Option<usize>,
        link: Link,
        kind: Kind,
    ) -> usize {
        let world = self.world;
        let o = &world.services[svc].ops[op];
        let shared = parent
            .filter(|_| kind == Kind::Server && world.services[svc].style.shares_span_ids())
            .map(|p| self.spans[p].span_id.clone());
        let me = self.spans.len();
        self.spans.push(TruthSpan {
            kind,
            service: svc,
            host,
            span_id: shared.unwrap_or_else(|| self.rng.hex16()),
            parent,
            link,
            method: o.method,
            path: o.path.replace("{id}", &self.rng.int(1, 99_999).to_string()),
            start_ns: start,
            end_ns: start,
            status: 0,
        });
        let own_failure = self.rng.chance(world.services[svc].fail_rate);
        let mut t = start + self.ms(o.work_ms);
        let mut answered_early = false;
        let mut failed_call = false;
        if !own_failure {
            for step in &o.steps {
                if self.spans.len() >= MAX_SPANS || !self.rng.chance(step.p) {
                    continue;
                }
                let mut end = t;
                for c in &step.calls {
                    // Parallel calls leave within a fraction of a millisecond of each other.
                    let at = t + self.rng.int(0, 400_000);
                    let (done, ok) = self.call(me, c, at);
                    end = end.max(done);
                    failed_call |= !ok;
                    if c.hop == Hop::Queue && svc == 0 {
                        answered_early = true;
                    }
                }
                t = end + self.ms(0.3);
            }
        }
        t += self.ms(o.work_ms * 0.5);
        let status = if own_failure {
            *self.rng.pick(&[500, 503])
        } else if failed_call && world.services[svc].propagates {
            502
        } else if answered_early {
            202
        } else if o.method == "POST" {
            201
        } else {
            200
        };
        let s = &mut self.spans[me];
        s.end_ns = t;
        s.status = status;
        me
    }

    /// Makes one call from span `caller` at `at`: client (or producer) spans,
    /// one per attempt, and the callee's spans. Returns when the caller goes
    /// on and whether the call succeeded (async hops always do, for the caller).
    fn call(&mut self, caller: usize, c: &Call, at: i64) -> (i64, bool) {
        let world = self.world;
        let callee = &world.services[c.callee];
        let caller_host = self.spans[caller].host;
        let mut t = at;
        for attempt in 1..=c.attempts {
            let client = self.spans.len();
            let (kind, link) = match c.hop {
                Hop::Queue => (Kind::Producer, Link::ChildOf),
                _ => (Kind::Client, Link::ChildOf),
            };
            let op = &callee.ops[c.op];
            self.spans.push(TruthSpan {
                kind,
                service: self.spans[caller].service,
                host: caller_host,
                span_id: self.rng.hex16(),
                parent: Some(caller),
                link,
                method: op.method,
                path: String::new(),
                start_ns: t,
                end_ns: t,
                status: 0,
            });
            // A self-call goes to the same instance (loopback) half of the time.
            let host = if c.callee == self.spans[caller].service && self.rng.chance(0.5) {
                caller_host
            } else {
                *self.rng.pick(&callee.hosts)
            };
            let (server_kind, server_link, arrive) = match c.hop {
                Hop::Sync => (Kind::Server, Link::ChildOf, t + self.net()),
                Hop::FireAndForget => (Kind::Server, Link::FollowsFrom, t + self.net()),
                // A worker takes the job 0.5 to 5 s later.
                Hop::Queue => (
                    Kind::Consumer,
                    Link::FollowsFrom,
                    t + (self.rng.uniform(500.0, 5000.0) * MS) as i64,
                ),
            };
            let server = self.serve(
                c.callee,
                c.op,
                host,
                arrive,
                Some(client),
                server_link,
                server_kind,
            );
            let (s_end, s_status) = (self.spans[server].end_ns, self.spans[server].status);
            self.spans[client].path = self.spans[server].path.clone();
            let done = match c.hop {
                Hop::Sync => s_end + self.net(),
                // The caller only waits for the send (or the enqueue).
                _ => t + (self.rng.uniform(0.3, 2.0) * MS) as i64,
            };
            let status = match c.hop {
                Hop::Sync => s_status,
                _ => 202,
            };
            let cl = &mut self.spans[client];
            cl.end_ns = done;
            cl.status = status;
            if status < 500 || attempt == c.attempts {
                return (done, status < 500);
            }
            // Back off before trying again.
            t = done + self.ms(20.0);
        }
        unreachable!("the last attempt returns")
    }
}

/// Checks that a trace is a tree rooted at span 0 whose children start no
/// earlier than their parents (true time) and, for child-of links, end no
/// later. Returns what is wrong, if anything.
pub fn check_tree(t: &TruthTrace) -> Result<(), String> {
    if t.spans.is_empty() || t.spans[0].parent.is_some() {
        return Err("the root is not span 0".into());
    }
    for (k, s) in t.spans.iter().enumerate().skip(1) {
        let p = s.parent.ok_or(format!("span {k} has no parent"))?;
        if p >= k {
            return Err(format!("span {k}'s parent {p} comes after it"));
        }
        let ps = &t.spans[p];
        if s.start_ns < ps.start_ns {
            return Err(format!("span {k} starts before its parent"));
        }
        if s.link == Link::ChildOf && s.end_ns > ps.end_ns {
            return Err(format!("span {k} ends after its parent"));
        }
        if s.end_ns < s.start_ns {
            return Err(format!("span {k} ends before it starts"));
        }
    }
    Ok(())
}
