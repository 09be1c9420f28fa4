//! Paths the user gave -> the log files to read, in a stable order.
//!
//! Input: files and folders, include/exclude globs. Output: [`Source`]s, one per
//! file, grouped into rotation streams (`access.log`, `access.log.1`,
//! `access.log.2.gz` are one stream, oldest first), plus the [`FileProblem`]s met
//! on the way (unreadable entries, symlink loops). (Work in progress: only
//! plain recursion so far.)

use std::path::{Path, PathBuf};

/// Which files to take.
#[derive(Clone, Debug, Default)]
pub struct DiscoverOptions {
    /// Globs a file must match (any of them) to be read; empty means all files.
    pub include: Vec<String>,
    /// Globs of files to skip.
    pub exclude: Vec<String>,
}

/// One file to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub path: PathBuf,
    /// The path as shown to the user: relative to the folder that was scanned, or as given.
    pub display: String,
    /// The folder that was scanned (or the file itself when a file was given).
    pub root: PathBuf,
    /// The rotation stream the file belongs to (its display path without rotation suffixes).
    pub stream: String,
    /// 0 for the live file, n for `.n` / `.n.gz`, ... (higher is older).
    pub rotation: u32,
    pub size: u64,
}

/// A file or folder that could not be used, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FileProblem {
    pub path: String,
    pub reason: String,
}

/// What discovery found.
#[derive(Clone, Debug, Default)]
pub struct Discovery {
    pub sources: Vec<Source>,
    pub problems: Vec<FileProblem>,
}

/// A path the user named does not exist or cannot be read at all.
#[derive(Debug)]
pub struct DiscoverError(pub String);

impl std::fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DiscoverError {}

/// Finds the files under `paths`.
pub fn discover(paths: &[PathBuf], _opts: &DiscoverOptions) -> Result<Discovery, DiscoverError> {
    let mut out = Discovery::default();
    for p in paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| DiscoverError(format!("cannot read {}: {e}", p.display())))?;
        if meta.is_dir() {
            walk(p, p, &mut out);
        } else {
            push(p, p, meta.len(), &mut out);
        }
    }
    out.sources.sort_by(|a, b| {
        (&a.stream, std::cmp::Reverse(a.rotation), &a.display).cmp(&(
            &b.stream,
            std::cmp::Reverse(b.rotation),
            &b.display,
        ))
    });
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Discovery) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        out.problems.push(FileProblem {
            path: dir.display().to_string(),
            reason: "cannot read folder".into(),
        });
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => walk(root, &p, out),
            Ok(m) => push(root, &p, m.len(), out),
            Err(e) => out.problems.push(FileProblem {
                path: p.display().to_string(),
                reason: e.to_string(),
            }),
        }
    }
}

fn push(root: &Path, p: &Path, size: u64, out: &mut Discovery) {
    let display = if root == p {
        p.display().to_string()
    } else {
        p.strip_prefix(root).unwrap_or(p).display().to_string()
    };
    out.sources.push(Source {
        path: p.to_path_buf(),
        stream: display.clone(),
        display,
        root: root.to_path_buf(),
        rotation: 0,
        size,
    });
}
