//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// True when every test must run: `.ci/run` sets `LOGTRACE_REQUIRE_ALL=1`, so
/// a test whose data or tool is missing fails there instead of passing.
pub fn require_all() -> bool {
    std::env::var_os("LOGTRACE_REQUIRE_ALL").is_some_and(|v| v == "1")
}

/// Says that a test cannot run because `what` is missing: a notice locally,
/// a failure under `LOGTRACE_REQUIRE_ALL=1`.
pub fn missing(what: &str) {
    assert!(
        !require_all(),
        "{what} is missing and LOGTRACE_REQUIRE_ALL=1: this test must run"
    );
    eprintln!("notice: {what} is missing; test skipped");
}

/// The real-world samples beside the checkout, if they are there.
pub fn realdata() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata");
    if p.is_dir() {
        Some(p)
    } else {
        missing("../shared/realdata");
        None
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// True when golden files should be rewritten instead of compared.
pub fn blessing() -> bool {
    std::env::var_os("LOGTRACE_BLESS").is_some_and(|v| v == "1")
}

/// Compares `actual` with the golden file `tests/golden/<name>`, or rewrites it
/// when `LOGTRACE_BLESS=1`. On a mismatch, shows the differing lines.
pub fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if blessing() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}; run with LOGTRACE_BLESS=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let mut diff = String::new();
        let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
        for i in 0..e.len().max(a.len()) {
            let (x, y) = (
                e.get(i).copied().unwrap_or(""),
                a.get(i).copied().unwrap_or(""),
            );
            if x != y {
                diff.push_str(&format!(
                    "line {}:\n  expected: {x}\n  actual:   {y}\n",
                    i + 1
                ));
            }
        }
        panic!(
            "{} differs from the output (LOGTRACE_BLESS=1 re-blesses it):\n{diff}",
            path.display()
        );
    }
}

/// An event as text, every field, whatever its string table: two events
/// read from different tables compare equal when their texts do.
#[allow(dead_code)]
pub fn event_text(
    e: &logtrace::ingest::event::Event,
    s: &logtrace::ingest::event::Symbols,
) -> String {
    format!(
        "{}:{} {} {} {} {} {} {:?} {:?} {} {} {} {} {} {:?} {} {}",
        e.source.file,
        e.source.line,
        e.time_ns,
        s.get(e.service),
        s.get(e.operation),
        s.get(e.request_id),
        s.get(e.trace_id),
        e.span_id().text(s),
        e.parent_span_id().text(s),
        s.get(e.message),
        s.get(e.client),
        s.get(e.upstream),
        e.duration_ns,
        e.status,
        e.level,
        e.call,
        e.flags,
    )
}
