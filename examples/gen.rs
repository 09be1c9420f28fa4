//! Writes a generated incident folder of about SIZE_MB megabytes.
//!
//! Usage: `cargo run --release --example gen -- OUT_DIR SIZE_MB [SEED]`.
//! Prints the folder's total size and where its ground truth is.

use std::path::PathBuf;
use std::process::ExitCode;

use logtrace::generate::{generate, GenOptions};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(mb)) = (
        args.first(),
        args.get(1).and_then(|s| s.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: gen OUT_DIR SIZE_MB [SEED]");
        return ExitCode::from(2);
    };
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(42);
    let dir = PathBuf::from(dir);
    let opts = GenOptions::of_size_mb(mb, seed);
    match generate(&dir, &opts) {
        Ok(truth) => {
            let bytes: u64 = walk(&dir);
            println!(
                "wrote {} requests, {} files, {:.1} MB on disk to {} (truth: {})",
                truth.requests,
                truth.files.len(),
                bytes as f64 / 1e6,
                dir.display(),
                logtrace::generate::truth_path(&dir).display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen: cannot write {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}

fn walk(dir: &std::path::Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => walk(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}
