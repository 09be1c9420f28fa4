//! Stage timings for profiling: with `LOGTRACE_TIMING` set, each [`Clock::lap`]
//! prints how long the stage since the previous lap took to stderr. Never part
//! of normal output; costs one environment lookup per clock otherwise.

/// A stopwatch that prints laps when `LOGTRACE_TIMING` is set.
pub struct Clock {
    started: Option<std::time::Instant>,
    /// The process's CPU seconds and page faults at the start of the lap.
    cpu: f64,
    faults: u64,
    indent: usize,
}

impl Clock {
    /// A clock for the top-level stages.
    pub fn new() -> Clock {
        Clock::nested(0)
    }

    /// A clock for the steps inside a stage, printed indented by `depth` levels.
    pub fn nested(depth: usize) -> Clock {
        let started = std::env::var_os("LOGTRACE_TIMING").map(|_| std::time::Instant::now());
        let (cpu, faults) = started.and_then(|_| cpu_and_faults()).unwrap_or_default();
        Clock {
            cpu,
            faults,
            started,
            indent: depth * 2,
        }
    }

    /// Prints the time since the last lap (or since the clock started).
    pub fn lap(&mut self, stage: &str) {
        if let Some(t) = self.started {
            let width = 12 + self.indent;
            let rss = resident_mb().map_or(String::new(), |mb| format!("  ({mb} MB resident)"));
            let (cpu, faults) = cpu_and_faults().unwrap_or_default();
            eprintln!(
                "{stage:>width$}: {:.3} s{rss}  cpu {:.2} s, {} K page faults",
                t.elapsed().as_secs_f64(),
                cpu - self.cpu,
                (faults - self.faults) / 1000
            );
            self.started = Some(std::time::Instant::now());
            self.cpu = cpu;
            self.faults = faults;
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

/// True when `LOGTRACE_TIMING` is set: worth measuring what only its output shows.
pub fn enabled() -> bool {
    std::env::var_os("LOGTRACE_TIMING").is_some()
}

/// Prints, when `LOGTRACE_TIMING` is set, the memory the named parts hold
/// (bytes), as `held after STAGE: part N MB, ...`.
pub fn held(stage: &str, parts: &[(&str, usize)]) {
    if enabled() {
        let parts: Vec<String> = parts
            .iter()
            .map(|(name, bytes)| format!("{name} {:.0} MB", *bytes as f64 / 1e6))
            .collect();
        eprintln!("held after {stage}: {}", parts.join(", "));
    }
}

/// Runs `f` and, when `LOGTRACE_TIMING` is set, prints how long it took,
/// indented by `depth` levels: for steps that run side by side, where laps of
/// one clock would not tell them apart.
pub fn timed<R>(depth: usize, step: &str, f: impl FnOnce() -> R) -> R {
    let mut clock = Clock::nested(depth);
    let out = f();
    clock.lap(step);
    out
}

/// The process's resident memory in MB, where the system tells (Linux).
fn resident_mb() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096 / 1_000_000)
}

/// The CPU time the process used so far (user and system, all threads, in
/// seconds, in steps of the clock tick) and its page faults, where the system
/// tells (Linux).
fn cpu_and_faults() -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which ends with the last ')'.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
    let faults: u64 = fields.nth(7)?.parse().ok()?;
    let user: f64 = fields.nth(3)?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some(((user + system) / 100.0, faults))
}
