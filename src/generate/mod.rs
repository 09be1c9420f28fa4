//! A seeded generator of incident log folders whose ground truth is known.
//!
//! Input: a folder and [`GenOptions`]. Output: the folder filled with the logs an
//! on-call engineer would collect from a small shop after an incident, and
//! `<folder>.truth.json` beside them (a [`Truth`]: the numbers a correct analysis finds).
//! The same options always give byte-identical files.
//!
//! The shop: every request enters at `edge` (nginx) and goes to `auth`, then to
//! one of `orders` (which calls `inventory`, and `payments` when an order is
//! created), `recommendation` (a Kubernetes pod) or `cart` (a Docker container).
//! Every service logs the edge's request id; auth, orders and recommendation also
//! log trace, span and parent span ids. In the incident window inventory is ten
//! times slower and fails often; its 500s surface as 502s at orders and edge,
//! and it crashes once (OOM, visible in syslog). The payments host's clock runs
//! 250 ms ahead. Layout, format and noise per file:
//!
//! | path | format | noise |
//! |---|---|---|
//! | `edge/access.log.2.gz`, `.1`, `access.log` | nginx combined + `$request_time $upstream_response_time $request_id` | rotation, gzip |
//! | `auth/auth.log` | JSON lines | truncated last line |
//! | `orders/orders.log.1.zst`, `orders.log` | logfmt | zstd, one line > 1 MiB |
//! | `inventory/inventory.log` | logback with `[requestId=…]`, stack traces | NUL padding after the crash, Latin-1 bytes |
//! | `payments/payments.log` | Python `logging`, Tracebacks | CRLF, clock skew |
//! | `pods/shop_recommendation-…_<uid>/server/0.log` | CRI around JSON | one message split into `P` + `F` |
//! | `containers/cart-…_shop_cart-<64 hex>.log` | Docker json-file around text with a date-less time | |
//! | `syslog/messages` | RFC 3164 | |
//! | `misc/hosts.csv` | none known | every line unreadable |
//! | `misc/core.2817` | binary | skipped |
//!
//! [`access_lines`], [`json_lines`], [`logfmt_lines`] and [`text_lines`] give
//! megabytes of one format in memory, for benchmarks.

mod files;
mod model;
mod render;
mod rng;
mod truth;

use std::io;
use std::path::Path;

pub use truth::{
    nearest_rank, Dependency, FailedTrace, FileTruth, Incident, Instant, OriginCount, Percentiles,
    ServiceTruth, Skew, SpanStats, TraceRef, Truth,
};

use model::{Sim, Svc};

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenOptions {
    pub seed: u64,
    /// Requests entering at the edge, spread evenly over the run.
    pub requests: u64,
    /// Start of the run, Unix milliseconds (UTC).
    pub start_ms: i64,
    pub duration_s: u64,
    /// Where the incident starts, seconds after the start, and how long it lasts.
    pub incident_start_s: u64,
    pub incident_len_s: u64,
    /// Offset of the payments host's clock.
    pub skew_ms: i64,
    /// Add the damaged lines and files (off for benchmark input).
    pub noise: bool,
}

impl Default for GenOptions {
    /// One hour from 2024-03-01T12:00:00Z, incident from minute 25 to 35.
    fn default() -> Self {
        GenOptions {
            seed: 42,
            requests: 100_000,
            start_ms: 1_709_294_400_000,
            duration_s: 3600,
            incident_start_s: 1500,
            incident_len_s: 600,
            skew_ms: 250,
            noise: true,
        }
    }
}

/// Bytes on disk one request produces on average (measured on the default mix,
/// with the oldest third of the edge log gzipped and half of orders' zstd).
const BYTES_PER_REQUEST: u64 = 860;

impl GenOptions {
    /// The configuration of the checked-in fixture (`fixtures/incident`, < 2 MB).
    pub fn fixture() -> GenOptions {
        GenOptions {
            seed: 2024,
            requests: 1200,
            ..GenOptions::default()
        }
    }

    /// About `mb` megabytes of logs on disk over the default hour.
    pub fn of_size_mb(mb: u64, seed: u64) -> GenOptions {
        GenOptions {
            seed,
            requests: (mb * 1_000_000 / BYTES_PER_REQUEST).max(100),
            ..GenOptions::default()
        }
    }

    /// When inventory crashes: a quarter into the incident.
    fn crash_us(&self) -> i64 {
        (self.start_ms + (self.incident_start_s + self.incident_len_s / 4) as i64 * 1000) * 1000
    }
}

/// Where the truth of the incident in `dir` is written: beside the folder, as
/// `<dir>.truth.json`, so the folder itself holds only logs.
pub fn truth_path(dir: &Path) -> std::path::PathBuf {
    let name = dir
        .file_name()
        .map_or_else(|| "incident".into(), |n| n.to_string_lossy().into_owned());
    dir.with_file_name(format!("{name}.truth.json"))
}

/// Writes an incident folder into `dir` (created if missing) and returns its truth,
/// also written to [`truth_path`]`(dir)`.
pub fn generate(dir: &Path, opts: &GenOptions) -> io::Result<Truth> {
    std::fs::create_dir_all(dir)?;
    let mut sim = Sim::new(opts);
    let mut out = files::Files::create(dir, opts)?;
    let mut tb = truth::TruthBuilder::default();
    for i in 0..opts.requests {
        let req = sim.request(i);
        tb.observe(&req);
        out.emit(&req);
        // Later requests start after this one, so nothing they log is earlier
        // (allowing for a clock that runs behind).
        out.flush(req.spans[0].start_us + opts.skew_ms.min(0) * 1000)?;
    }
    let files = out.finish()?;
    let start_us = opts.start_ms * 1000;
    let inc = start_us + opts.incident_start_s as i64 * 1_000_000;
    let mut truth = Truth {
        schema: 1,
        seed: opts.seed,
        start: Instant::from_us(start_us),
        end: Instant::from_us(start_us + opts.duration_s as i64 * 1_000_000),
        requests: opts.requests,
        traces: 0,
        services: Default::default(),
        slowest_traces: Vec::new(),
        failed_traces: Vec::new(),
        error_origins: Vec::new(),
        incident: Incident {
            service: Svc::Inventory.name().into(),
            start: Instant::from_us(inc),
            end: Instant::from_us(inc + opts.incident_len_s as i64 * 1_000_000),
            latency_factor: model::INCIDENT_FACTOR,
            error_rate_ppm: model::INCIDENT_ERROR_PPM,
            crash: opts.noise.then(|| Instant::from_us(opts.crash_us())),
        },
        clock_skew: vec![Skew {
            service: Svc::Payments.name().into(),
            offset_ms: opts.skew_ms,
        }],
        dependencies: Vec::new(),
        files: files.into_iter().collect(),
    };
    tb.finish(&mut truth);
    let mut json = serde_json::to_vec_pretty(&truth).map_err(io::Error::other)?;
    json.push(b'\n');
    std::fs::write(truth_path(dir), json)?;
    Ok(truth)
}

/// About `bytes` of nginx access lines (the edge's log), no noise.
pub fn access_lines(bytes: usize, seed: u64) -> Vec<u8> {
    one_format(bytes, seed, Svc::Edge)
}

/// About `bytes` of JSON lines (auth's log).
pub fn json_lines(bytes: usize, seed: u64) -> Vec<u8> {
    one_format(bytes, seed, Svc::Auth)
}

/// About `bytes` of logfmt lines (orders' log).
pub fn logfmt_lines(bytes: usize, seed: u64) -> Vec<u8> {
    one_format(bytes, seed, Svc::Orders)
}

/// About `bytes` of logback text lines with stack traces (inventory's log).
pub fn text_lines(bytes: usize, seed: u64) -> Vec<u8> {
    one_format(bytes, seed, Svc::Inventory)
}

/// Lines of one service until at least `bytes` are written (whole lines only).
fn one_format(bytes: usize, seed: u64, svc: Svc) -> Vec<u8> {
    // ~150 requests a second; about every other request reaches any one service.
    let requests = (bytes as u64 / 100).max(1000);
    let duration_s = (requests / 150).max(60);
    let opts = GenOptions {
        seed,
        requests,
        duration_s,
        incident_start_s: duration_s * 5 / 12,
        incident_len_s: duration_s / 6,
        noise: false,
        ..GenOptions::default()
    };
    let mut sim = Sim::new(&opts);
    let mut out = Vec::with_capacity(bytes + 4096);
    let mut i = 0;
    while out.len() < bytes {
        let req = sim.request(i);
        i += 1;
        for (k, s) in req.spans.iter().enumerate() {
            if s.svc != svc {
                continue;
            }
            let t = s.end_us();
            match svc {
                Svc::Edge => render::access(&mut out, &req, t),
                Svc::Auth => render::json(&mut out, &req, k, t),
                Svc::Orders => render::logfmt(&mut out, &req, k, t),
                _ => render::logback(&mut out, &req, k, t, false),
            };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_helpers_give_whole_lines_of_their_format() {
        let a = access_lines(20_000, 1);
        assert!(a.len() >= 20_000 && a.len() < 21_000, "{}", a.len());
        assert!(a.ends_with(b"\n"));
        let text = std::str::from_utf8(&a).unwrap();
        assert!(text.lines().all(|l| l.contains("HTTP/1.1\" ")));
        let j = json_lines(10_000, 1);
        assert!(std::str::from_utf8(&j)
            .unwrap()
            .lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
        let l = logfmt_lines(10_000, 1);
        assert!(l.starts_with(b"time=20"));
        assert_eq!(access_lines(5000, 9), access_lines(5000, 9));
        assert_ne!(access_lines(5000, 9), access_lines(5000, 10));
    }

    #[test]
    fn text_lines_include_stack_traces() {
        let t = text_lines(2_000_000, 3);
        let s = String::from_utf8_lossy(&t);
        assert!(
            s.contains("\tat com.shop.inventory"),
            "the incident window is in the data"
        );
        assert!(s.contains("Caused by: "));
    }
}
