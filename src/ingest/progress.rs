//! How far reading has got, for a progress display.
//!
//! Input: counters the reading stage bumps as it goes (atomics, so worker
//! threads update them without locks). Output: a [`Snapshot`] any thread can
//! take at any time. Nothing here prints; the binary decides whether and how
//! to show progress (only on a terminal, never with `--quiet`).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Shared reading counters. Bytes are bytes on disk (compressed files count
/// when they are done), so the total is known before reading starts.
#[derive(Debug, Default)]
pub struct Progress {
    total_files: AtomicU64,
    total_bytes: AtomicU64,
    done_files: AtomicU64,
    done_bytes: AtomicU64,
    /// Bytes after decompression, for throughput.
    read_bytes: AtomicU64,
}

/// The counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub total_files: u64,
    pub total_bytes: u64,
    pub done_files: u64,
    pub done_bytes: u64,
    pub read_bytes: u64,
}

impl Progress {
    pub(crate) fn start(&self, files: u64, bytes: u64) {
        self.total_files.store(files, Relaxed);
        self.total_bytes.store(bytes, Relaxed);
    }

    pub(crate) fn read(&self, disk_bytes: u64, decompressed: u64) {
        self.done_bytes.fetch_add(disk_bytes, Relaxed);
        self.read_bytes.fetch_add(decompressed, Relaxed);
    }

    pub(crate) fn file_done(&self, remaining_disk_bytes: u64) {
        self.done_bytes.fetch_add(remaining_disk_bytes, Relaxed);
        self.done_files.fetch_add(1, Relaxed);
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            total_files: self.total_files.load(Relaxed),
            total_bytes: self.total_bytes.load(Relaxed),
            done_files: self.done_files.load(Relaxed),
            done_bytes: self
                .done_bytes
                .load(Relaxed)
                .min(self.total_bytes.load(Relaxed)),
            read_bytes: self.read_bytes.load(Relaxed),
        }
    }
}

impl Snapshot {
    /// `reading 5/13 files · 512.0 MB of 1.10 GB · 240 MB/s · ETA 3 s` after `secs` seconds.
    pub fn line(&self, secs: f64) -> String {
        let rate = if secs > 0.0 {
            self.read_bytes as f64 / secs
        } else {
            0.0
        };
        let disk_rate = if secs > 0.0 {
            self.done_bytes as f64 / secs
        } else {
            0.0
        };
        let left = self.total_bytes.saturating_sub(self.done_bytes) as f64;
        let eta = if disk_rate > 0.0 && self.done_bytes > 0 {
            format!(" · ETA {:.0} s", left / disk_rate)
        } else {
            String::new()
        };
        format!(
            "reading {}/{} files · {} of {} · {}/s{eta}",
            self.done_files,
            self.total_files,
            crate::units::bytes(self.done_bytes),
            crate::units::bytes(self.total_bytes),
            crate::units::bytes(rate as u64),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_and_the_line_reads_well() {
        let p = Progress::default();
        p.start(2, 2_000_000);
        p.read(500_000, 500_000);
        p.file_done(500_000);
        let s = p.snapshot();
        assert_eq!(
            (s.done_files, s.done_bytes, s.read_bytes),
            (1, 1_000_000, 500_000)
        );
        assert_eq!(
            s.line(1.0),
            "reading 1/2 files · 1.0 MB of 2.0 MB · 500.0 KB/s · ETA 1 s"
        );
        p.file_done(5_000_000);
        assert_eq!(p.snapshot().done_bytes, 2_000_000, "never past the total");
    }
}
