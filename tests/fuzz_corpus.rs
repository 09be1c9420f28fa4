//! Replays the fuzz targets' inputs: every file of `fuzz/corpus/<target>/`
//! and of `fuzz/regressions/<target>/` (inputs that once failed) goes to the
//! same entry point the fuzzer calls, with the same checks, so a failure found
//! once stays fixed without a fuzzer installed.

#[path = "../fuzz/src/lib.rs"]
mod fuzz;

use std::path::{Path, PathBuf};

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(kind: &str, min_per_target: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind);
    for (name, entry) in fuzz::TARGETS {
        let files = inputs(&root.join(name));
        assert!(
            files.len() >= min_per_target,
            "{kind}/{name} has {} inputs",
            files.len()
        );
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let run = std::panic::catch_unwind(|| entry(&data));
            assert!(run.is_ok(), "{} fails its checks", file.display());
        }
    }
}

#[test]
fn every_corpus_input_passes() {
    replay("corpus", 1);
}

#[test]
fn every_kept_failure_stays_fixed() {
    replay("regressions", 0);
}

#[test]
fn every_target_has_a_binary_and_a_corpus() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let manifest = std::fs::read_to_string(fuzz.join("Cargo.toml")).unwrap();
    for (name, _) in fuzz::TARGETS {
        assert!(
            fuzz.join("fuzz_targets")
                .join(format!("{name}.rs"))
                .is_file(),
            "fuzz_targets/{name}.rs"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name} in fuzz/Cargo.toml"
        );
    }
}
