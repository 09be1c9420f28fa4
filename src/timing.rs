//! Stage timings for profiling: with `LOGTRACE_TIMING` set, each [`Clock::lap`]
//! prints how long the stage since the previous lap took to stderr. Never part
//! of normal output; costs one environment lookup per clock otherwise.

/// A stopwatch that prints laps when `LOGTRACE_TIMING` is set.
pub struct Clock {
    started: Option<std::time::Instant>,
    indent: usize,
}

impl Clock {
    /// A clock for the top-level stages.
    pub fn new() -> Clock {
        Clock::nested(0)
    }

    /// A clock for the steps inside a stage, printed indented by `depth` levels.
    pub fn nested(depth: usize) -> Clock {
        Clock {
            started: std::env::var_os("LOGTRACE_TIMING").map(|_| std::time::Instant::now()),
            indent: depth * 2,
        }
    }

    /// Prints the time since the last lap (or since the clock started).
    pub fn lap(&mut self, stage: &str) {
        if let Some(t) = self.started {
            let width = 12 + self.indent;
            let rss = resident_mb().map_or(String::new(), |mb| format!("  ({mb} MB resident)"));
            eprintln!("{stage:>width$}: {:.3} s{rss}", t.elapsed().as_secs_f64());
            self.started = Some(std::time::Instant::now());
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
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
