//! Rendered lines -> the files of the incident folder, with their noise.
//!
//! Input: requests (rendered per span by [`super::render`]) and the run's
//! options. Output: the files on disk, each in time order as a service writes
//! them, rotated and compressed where real hosts would, plus a [`FileTruth`]
//! per file. Lines wait in a per-file heap until no later request can write an
//! earlier time, so memory stays bounded however many requests are generated.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use flate2::write::GzEncoder;

use super::model::{Request, Svc};
use super::render;
use super::rng::Rng;
use super::truth::{FileTruth, Instant};
use super::GenOptions;

/// CRI runtimes cut messages into `P` lines of this many bytes.
const CRI_SPLIT: usize = 16 * 1024;

enum Sink {
    Plain(BufWriter<File>),
    Gzip(GzEncoder<BufWriter<File>>),
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<File>>),
}

impl Sink {
    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Sink::Plain(w) => w,
            Sink::Gzip(w) => w,
            Sink::Zstd(w) => w,
        }
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Sink::Plain(mut w) => w.flush(),
            Sink::Gzip(w) => w.finish()?.flush(),
            Sink::Zstd(w) => w.finish()?.flush(),
        }
    }
}

/// A line (or a multi-line entry) waiting for its turn.
type Pending = Reverse<(i64, u64, Option<i64>, Vec<u8>)>;

struct OutFile {
    rel: String,
    sink: Sink,
    heap: BinaryHeap<Pending>,
    seq: u64,
    truth: FileTruth,
    /// Times in the file are cut to this many microseconds.
    precision_us: i64,
    crlf: bool,
    /// Written after everything else, without a newline (a truncated line).
    tail: Vec<u8>,
}

impl OutFile {
    fn write(&mut self, bytes: &[u8], time: Option<i64>) -> io::Result<()> {
        let nl = memchr::memchr_iter(b'\n', bytes).count() as u64;
        self.truth.lines += nl;
        if let Some(t) = time {
            let t = t - t.rem_euclid(self.precision_us);
            if self
                .truth
                .time_min
                .as_ref()
                .map_or(true, |m| t < m.unix_ms * 1000)
            {
                self.truth.time_min = Some(Instant::from_us(t));
            }
            if self
                .truth
                .time_max
                .as_ref()
                .map_or(true, |m| t > m.unix_ms * 1000)
            {
                self.truth.time_max = Some(Instant::from_us(t));
            }
        }
        let w = self.sink.writer();
        if !self.crlf {
            return w.write_all(bytes);
        }
        self.truth
            .quirks
            .entry("crlf".into())
            .and_modify(|c| *c += nl)
            .or_insert(nl);
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            match line.strip_suffix(b"\n") {
                Some(l) => {
                    w.write_all(l)?;
                    w.write_all(b"\r\n")?;
                }
                None => w.write_all(line)?,
            }
        }
        Ok(())
    }

    fn flush(&mut self, limit: i64) -> io::Result<()> {
        while self.heap.peek().is_some_and(|Reverse(p)| p.0 <= limit) {
            if let Some(Reverse((_, _, time, bytes))) = self.heap.pop() {
                self.write(&bytes, time)?;
            }
        }
        Ok(())
    }
}

// Indexes of the files in `Files::out`.
const EDGE_2: usize = 0;
const EDGE_1: usize = 1;
const EDGE_0: usize = 2;
const AUTH: usize = 3;
const ORDERS_1: usize = 4;
const ORDERS_0: usize = 5;
const INVENTORY: usize = 6;
const PAYMENTS: usize = 7;
const RECOMMENDATION: usize = 8;
const CART: usize = 9;
const SYSLOG: usize = 10;

/// The incident folder being written.
pub struct Files {
    out: Vec<OutFile>,
    dir: std::path::PathBuf,
    opts: GenOptions,
    start_us: i64,
    end_us: i64,
    noise: Noise,
    rng: Rng,
    buf: Vec<u8>,
}

/// Where the one-off damage goes; each fires once (or a few times) and is then spent.
struct Noise {
    latin1_next: u64,
    long_line_at: Option<u64>,
    partial_at: Option<u64>,
    crash_at: Option<i64>,
}

impl Files {
    pub fn create(dir: &Path, opts: &GenOptions) -> io::Result<Files> {
        let mut rng = Rng::new(opts.seed ^ 0xF11E);
        let uid = {
            let h = rng.hex_string(32);
            format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            )
        };
        let container = rng.hex_string(64);
        let plan: [(String, &str, Svc, i64, &str); 11] = [
            (
                "edge/access.log.2.gz".into(),
                "access",
                Svc::Edge,
                1_000_000,
                "gzip",
            ),
            (
                "edge/access.log.1".into(),
                "access",
                Svc::Edge,
                1_000_000,
                "none",
            ),
            (
                "edge/access.log".into(),
                "access",
                Svc::Edge,
                1_000_000,
                "none",
            ),
            ("auth/auth.log".into(), "json", Svc::Auth, 1000, "none"),
            (
                "orders/orders.log.1.zst".into(),
                "logfmt",
                Svc::Orders,
                1000,
                "zstd",
            ),
            (
                "orders/orders.log".into(),
                "logfmt",
                Svc::Orders,
                1000,
                "none",
            ),
            (
                "inventory/inventory.log".into(),
                "text",
                Svc::Inventory,
                1000,
                "none",
            ),
            (
                "payments/payments.log".into(),
                "text",
                Svc::Payments,
                1000,
                "none",
            ),
            (
                format!("pods/shop_recommendation-5c9f7d8b6-x2x7q_{uid}/server/0.log"),
                "cri",
                Svc::Recommendation,
                1,
                "none",
            ),
            (
                format!("containers/cart-6b8f9c7d4-k9z2m_shop_cart-{container}.log"),
                "docker",
                Svc::Cart,
                1,
                "none",
            ),
            (
                "syslog/messages".into(),
                "syslog",
                Svc::Inventory,
                1_000_000,
                "none",
            ),
        ];
        let mut out = Vec::new();
        for (rel, format, svc, precision_us, comp) in plan {
            let path = dir.join(&rel);
            if let Some(p) = path.parent() {
                std::fs::create_dir_all(p)?;
            }
            let w = BufWriter::with_capacity(1 << 20, File::create(&path)?);
            let sink = match comp {
                "gzip" => Sink::Gzip(GzEncoder::new(w, flate2::Compression::new(6))),
                "zstd" => Sink::Zstd(zstd::stream::write::Encoder::new(w, 3)?),
                _ => Sink::Plain(w),
            };
            out.push(OutFile {
                rel,
                sink,
                heap: BinaryHeap::new(),
                seq: 0,
                truth: FileTruth {
                    format: format.into(),
                    compression: comp.into(),
                    service: if format == "syslog" {
                        "syslog".into()
                    } else {
                        svc.name().into()
                    },
                    ..Default::default()
                },
                precision_us,
                crlf: svc == Svc::Payments && opts.noise,
                tail: Vec::new(),
            });
        }
        let start_us = opts.start_ms * 1000;
        let end_us = start_us + opts.duration_s as i64 * 1_000_000;
        let n = opts.requests;
        let noise = Noise {
            latin1_next: n / 5,
            long_line_at: Some(n / 5),
            partial_at: Some(n / 3),
            crash_at: Some(opts.crash_us()),
        };
        Ok(Files {
            out,
            dir: dir.to_path_buf(),
            opts: opts.clone(),
            start_us,
            end_us,
            noise,
            rng,
            buf: Vec::new(),
        })
    }

    fn push(
        &mut self,
        file: usize,
        key: i64,
        time: Option<i64>,
        bytes: Vec<u8>,
        lines: render::Lines,
    ) {
        let f = &mut self.out[file];
        f.truth.entries += lines.entries;
        f.truth.continuation += lines.continuation;
        f.seq += 1;
        f.heap.push(Reverse((key, f.seq, time, bytes)));
    }

    fn take_buf(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// Renders every span of `req` into its service's file.
    pub fn emit(&mut self, req: &Request) {
        let third = (self.end_us - self.start_us) / 3;
        for (i, s) in req.spans.iter().enumerate() {
            let mut t = s.end_us();
            if s.svc == Svc::Payments {
                t += self.opts.skew_ms * 1000;
            }
            let mut b = self.take_buf();
            b.clear();
            let noise = self.opts.noise;
            let (file, lines) = match s.svc {
                Svc::Edge => {
                    let f = match t - self.start_us {
                        d if d < third => EDGE_2,
                        d if d < 2 * third => EDGE_1,
                        _ => EDGE_0,
                    };
                    (f, render::access(&mut b, req, t))
                }
                Svc::Auth => (AUTH, render::json(&mut b, req, i, t)),
                Svc::Orders => {
                    let f = if t - self.start_us < (self.end_us - self.start_us) / 2 {
                        ORDERS_1
                    } else {
                        ORDERS_0
                    };
                    if noise
                        && self.noise.long_line_at.is_some_and(|n| req.index >= n)
                        && f == ORDERS_1
                    {
                        self.noise.long_line_at = None;
                        self.long_line(req, t);
                    }
                    (f, render::logfmt(&mut b, req, i, t))
                }
                Svc::Inventory => {
                    if noise && self.noise.crash_at.is_some_and(|c| t >= c) {
                        self.noise.crash_at = None;
                        self.crash(t);
                    }
                    let latin1 = noise && !s.is_error() && req.index >= self.noise.latin1_next;
                    if latin1 {
                        self.noise.latin1_next += (self.opts.requests / 4).max(1);
                        bump(&mut self.out[INVENTORY].truth.quirks, "invalid_utf8", 1);
                    }
                    (INVENTORY, render::logback(&mut b, req, i, t, latin1))
                }
                Svc::Payments => (PAYMENTS, render::python(&mut b, req, i, t)),
                Svc::Recommendation => {
                    let items = if noise && self.noise.partial_at.is_some_and(|n| req.index >= n) {
                        self.noise.partial_at = None;
                        2000
                    } else {
                        0
                    };
                    let mut msg = Vec::new();
                    render::recommendation_json(&mut msg, req, i, t, items);
                    let stream = if s.is_error() { "stderr" } else { "stdout" };
                    let (n, partial) = render::cri(&mut b, &msg, stream, t, CRI_SPLIT);
                    if partial > 0 {
                        bump(
                            &mut self.out[RECOMMENDATION].truth.quirks,
                            "cri_partial",
                            partial,
                        );
                    }
                    let lines = render::Lines {
                        entries: n - partial,
                        continuation: partial,
                    };
                    (RECOMMENDATION, lines)
                }
                Svc::Cart => (CART, render::docker(&mut b, req, i, t)),
            };
            self.push(file, t, Some(t), b, lines);
        }
    }

    /// One logfmt line over 1 MiB (a request body dumped at debug level).
    fn long_line(&mut self, req: &Request, t: i64) {
        let mut b = b"time=".to_vec();
        render::rfc3339_ms(&mut b, t);
        b.extend_from_slice(b" level=debug msg=\"request body\" request_id=");
        b.extend_from_slice(req.request_id.as_bytes());
        b.extend_from_slice(b" body=\"");
        b.resize(b.len() + (1 << 20) + 4096, b'x');
        b.extend_from_slice(b"\"\n");
        bump(&mut self.out[ORDERS_1].truth.malformed, "long_line", 1);
        self.push(ORDERS_1, t, None, b, render::Lines::default());
    }

    /// inventory dies: the file is left with NULs where the page cache had not
    /// been written, then the restarted process logs on after them.
    fn crash(&mut self, t: i64) {
        let mut b = vec![0u8; 3072];
        let lines = render::logback_startup(&mut b, t - 1);
        bump(&mut self.out[INVENTORY].truth.quirks, "nul_padding", 1);
        self.push(INVENTORY, t - 1, Some(t - 1), b, lines);
    }

    /// Writes out every line whose time no later request can precede.
    pub fn flush(&mut self, limit_us: i64) -> io::Result<()> {
        for f in &mut self.out {
            f.flush(limit_us)?;
        }
        Ok(())
    }

    /// The host's syslog: housekeeping every half minute or so, and the
    /// kernel killing inventory's JVM when it crashed.
    fn syslog(&mut self) {
        let mut t = self.start_us + self.rng.range(1, 30) as i64 * 1_000_000;
        let crash = if self.opts.noise {
            Some(self.opts.crash_us())
        } else {
            None
        };
        let mut crash_done = false;
        let mut pid = 31_000;
        while t < self.end_us {
            if !crash_done && crash.is_some_and(|c| t >= c) {
                crash_done = true;
                let c = crash.unwrap_or(t) - 2_000_000;
                for (k, msg) in [
                    "kernel: [86412.337104] Out of memory: Killed process 2817 (java) total-vm:8123456kB, anon-rss:4012345kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:9012kB oom_score_adj:0",
                    "kernel: [86412.401552] oom_reaper: reaped process 2817 (java), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB",
                    "systemd[1]: inventory.service: Main process exited, code=killed, status=9/KILL",
                    "systemd[1]: inventory.service: Failed with result 'signal'.",
                    "systemd[1]: inventory.service: Scheduled restart job, restart counter is at 1.",
                ]
                .iter()
                .enumerate()
                {
                    self.syslog_line(c + k as i64 * 200_000, msg);
                }
            }
            pid += self.rng.range(1, 40);
            let msg = match self.rng.below(5) {
                0 => format!("CRON[{pid}]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)"),
                1 => format!("systemd[1]: Started session-{}.scope - Session {} of User ops.", pid % 900, pid % 900),
                2 => format!("sshd[{pid}]: Accepted publickey for ops from 10.0.0.5 port {} ssh2: ED25519 SHA256:q4Lz0bWx", 40_000 + pid % 20_000),
                3 => "systemd-timesyncd[612]: Initial synchronization to time server 10.0.0.1:123 (ntp.internal).".to_string(),
                _ => format!("kernel: [{}.{:06}] eth0: renamed from veth{:x}", pid, pid * 37 % 1_000_000, pid * 2654435761u64 % 0xffffff),
            };
            self.syslog_line(t, &msg);
            t += self.rng.range(15, 60) as i64 * 1_000_000;
        }
    }

    fn syslog_line(&mut self, t: i64, msg: &str) {
        let mut b = Vec::new();
        render::syslog_time(&mut b, t);
        b.extend_from_slice(b" node-2 ");
        b.extend_from_slice(msg.as_bytes());
        b.push(b'\n');
        self.push(
            SYSLOG,
            t,
            Some(t),
            b,
            render::Lines {
                entries: 1,
                continuation: 0,
            },
        );
    }

    /// Writes what is left and the files that are not logs; returns the per-file truth.
    pub fn finish(mut self) -> io::Result<Vec<(String, FileTruth)>> {
        self.syslog();
        if self.opts.noise {
            // The disk filled up while auth was writing.
            let mut tail = b"{\"ts\":\"".to_vec();
            render::rfc3339_ms(&mut tail, self.end_us + 5_000_000);
            tail.extend_from_slice(b"\",\"level\":\"info\",\"msg\":\"token ver");
            let auth = &mut self.out[AUTH];
            auth.tail = tail;
            auth.truth.lines += 1;
            bump(&mut auth.truth.malformed, "truncated", 1);
        }
        let mut truths = Vec::new();
        for mut f in std::mem::take(&mut self.out) {
            f.flush(i64::MAX)?;
            let tail = std::mem::take(&mut f.tail);
            f.sink.writer().write_all(&tail)?;
            f.sink.finish()?;
            truths.push((f.rel, f.truth));
        }
        if self.opts.noise {
            truths.push(self.unknown_format()?);
            truths.push(self.binary()?);
        }
        truths.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(truths)
    }

    /// A file in no log format: the host list someone exported during the incident.
    fn unknown_format(&mut self) -> io::Result<(String, FileTruth)> {
        let rel = "misc/hosts.csv".to_string();
        let mut text = String::from("hostname;role;ip;rack\n");
        let roles = ["edge", "auth", "orders", "inventory", "payments", "worker"];
        for k in 0..40 {
            text.push_str(&format!(
                "node-{k};{};10.0.{}.{};r{}\n",
                roles[k % roles.len()],
                k / 8,
                10 + k,
                k % 4
            ));
        }
        let lines = text.lines().count() as u64;
        write_file(&self.dir.join(&rel), text.as_bytes())?;
        let mut truth = FileTruth {
            format: "unknown".into(),
            compression: "none".into(),
            service: "misc".into(),
            lines,
            ..Default::default()
        };
        truth.malformed.insert("unknown_format".into(), lines);
        Ok((rel, truth))
    }

    /// A core dump someone copied along: binary through and through, to be skipped.
    fn binary(&mut self) -> io::Result<(String, FileTruth)> {
        let rel = "misc/core.2817".to_string();
        let mut b =
            b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x3e\x00".to_vec();
        while b.len() < 16 * 1024 {
            b.extend_from_slice(&self.rng.next_u64().to_le_bytes());
        }
        write_file(&self.dir.join(&rel), &b)?;
        let truth = FileTruth {
            format: "binary".into(),
            compression: "none".into(),
            service: "misc".into(),
            skipped: true,
            ..Default::default()
        };
        Ok((rel, truth))
    }
}

fn bump(map: &mut std::collections::BTreeMap<String, u64>, kind: &str, n: u64) {
    *map.entry(kind.into()).or_default() += n;
}

fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p)?;
    }
    std::fs::write(path, bytes)
}
