//! Paths the user gave -> the log files to read, in a stable order.
//!
//! Input: files and folders (folders are walked recursively), include/exclude
//! globs. Output: [`Source`]s, one per file, grouped into rotation streams
//! (`access.log`, `access.log.1`, `access.log.2.gz`, `access.log-20240301`
//! are one stream) and ordered by stream, oldest file first, plus the
//! [`FileProblem`]s met on the way. The order never depends on directory order.
//!
//! Rules:
//! - Globs match the path relative to the scanned folder and the bare file
//!   name (`*.log` takes `a/b/x.log`). Excludes also prune folders.
//! - Hidden entries (name starting with `.`: `.git`, `.cache`, `.swp` files)
//!   are skipped while walking, like `fd` and `rg` do; a hidden path named by
//!   the user is read.
//! - Symlinks found while walking are followed only while they stay inside
//!   the folders the user named: a link out of them (to `/`, to another
//!   disk, to `/proc/kmsg`) is reported and not followed unless
//!   [`DiscoverOptions::follow`] (`--follow`). A link into `/proc`, `/sys` or
//!   `/dev` is never followed: reading kernel files can block or consume
//!   them. A path the user named is followed wherever it points. A folder is
//!   walked once (tracked by device and inode), so a symlink loop ends at
//!   once and is reported; a file reached twice (a link and its target) is
//!   read once, under its real path when the walk found both. Dangling
//!   links, unreadable files and folders are problems, skipped.
//! - Only a path the user named that does not exist is an error. Finding no
//!   file is not: the caller decides what to say.
//!
//! Two rules for what is not a regular file, kept apart on purpose:
//! - **Named by the user, read as a stream.** `-` (and `/dev/stdin`,
//!   `/dev/fd/0`) is standard input, shown as `<stdin>`; a FIFO or a
//!   character device named on the command line (`<(zcat a.gz)` gives
//!   `/dev/fd/63`) is read too. Such a [`Source`] is `piped`: it is opened once
//!   and read from start to end ([`super::pipe`]), compressed or not, as one
//!   stream (no rotation set, no globs applied: it was asked for by name).
//!   Standard input named twice is read once; a terminal as standard input is
//!   an error (nothing was piped in).
//! - **Found inside a folder, never opened.** While walking, only regular
//!   files are read; a FIFO, socket or device met there is reported and
//!   skipped without being opened (opening a FIFO waits for a writer).
//!
//! [`rotation`] reads the stream and age from a file's name; this file walks
//! the folders and applies the rules above.

use std::collections::HashSet;
use std::fs::{self, Metadata};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

mod rotation;

pub use self::rotation::{split_rotation, Age};

/// Which files to take.
#[derive(Clone, Debug, Default)]
pub struct DiscoverOptions {
    /// Globs a file must match (any of them) to be read; empty means all files.
    pub include: Vec<String>,
    /// Globs of files (and folders) to skip.
    pub exclude: Vec<String>,
    /// Folders never read, by (device, inode): the report folder being
    /// written, whatever path reaches it. A folder elsewhere with the same
    /// name is read.
    pub skip_dirs: Vec<(u64, u64)>,
    /// Follow symlinks found while walking even where they lead out of the
    /// folders named (never into `/proc`, `/sys`, `/dev`).
    pub follow: bool,
}

/// One file to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub path: PathBuf,
    /// The path as shown to the user: relative to the folder that was scanned
    /// when the user named one folder; with several paths, or for a file the
    /// user named, the path as given (so `host1/access.log` and
    /// `host2/access.log` stay apart).
    pub display: String,
    /// The folder that was scanned (or the file itself when a file was given).
    pub root: PathBuf,
    /// The rotation stream the file belongs to: its display path without
    /// rotation and compression suffixes (`access.log.2.gz` -> `access.log`).
    pub stream: String,
    /// 0 for the live file, n for `.n` / `.n.gz`; dated files count on from
    /// the oldest numbered one, newest first. Higher is older.
    pub rotation: u32,
    /// Size on disk; 0 for a piped input (unknown until read).
    pub size: u64,
    /// Read once as a stream (standard input, a FIFO, a device named by the
    /// user): it cannot be opened a second time. See the module doc.
    pub piped: bool,
}

/// Standard input on the command line.
pub const STDIN_ARG: &str = "-";
/// Standard input as it is shown in reports.
pub const STDIN_NAME: &str = "<stdin>";

/// True for the names of standard input: `-`, `/dev/stdin`, `/dev/fd/0`.
pub fn is_stdin(p: &Path) -> bool {
    [STDIN_ARG, "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"]
        .iter()
        .any(|s| p == Path::new(s))
}

/// A file or folder that could not be used, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FileProblem {
    pub path: String,
    pub reason: String,
    /// The user named this path on the command line (not found in a folder).
    #[serde(skip)]
    pub named: bool,
}

/// What discovery found.
#[derive(Clone, Debug, Default)]
pub struct Discovery {
    pub sources: Vec<Source>,
    pub problems: Vec<FileProblem>,
    /// Hidden files and folders skipped while walking.
    pub hidden_skipped: u64,
    /// Files and folders skipped by the include/exclude globs.
    pub excluded: u64,
    /// Symlinks not followed because they lead out of the input folders.
    pub links_not_followed: u64,
    /// FIFOs, sockets and devices found while walking, never opened.
    pub special_skipped: u64,
}

/// A path the user named does not exist, or a glob is invalid.
#[derive(Debug)]
pub struct DiscoverError(pub String);

impl std::fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DiscoverError {}

/// A file found, before ordering and de-duplication.
struct Found {
    source: Source,
    age: Age,
    id: Option<(u64, u64)>,
    /// Reached through a symlink: a real path to the same file is preferred.
    via_link: bool,
    /// Which of the user's paths found it.
    arg: usize,
}

struct Walker {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
    /// Folders walked, by (device, inode).
    visited: HashSet<(u64, u64)>,
    /// Folders never walked ([`DiscoverOptions::skip_dirs`]).
    skip: Vec<(u64, u64)>,
    /// [`DiscoverOptions::follow`].
    follow: bool,
    /// The folders the user named, resolved: where a symlink may lead.
    roots: Vec<PathBuf>,
    /// The paths the user named, as given.
    named: Vec<PathBuf>,
    /// Show paths with their root prefix (several paths given).
    prefix_root: bool,
    /// Symlinked folders, walked after the real ones so that real paths win:
    /// (path, ids of the folders above it).
    deferred: std::collections::VecDeque<(PathBuf, Vec<(u64, u64)>)>,
    found: Vec<Found>,
    out: Discovery,
}

/// errno for "too many levels of symbolic links".
const ELOOP: i32 = if cfg!(any(target_os = "macos", target_os = "freebsd")) {
    62
} else {
    40
};

fn file_id(meta: &Metadata) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

fn glob_set(globs: &[String], flag: &str) -> Result<Option<GlobSet>, DiscoverError> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let glob =
            Glob::new(g).map_err(|e| DiscoverError(format!("invalid {flag} glob '{g}': {e}")))?;
        b.add(glob);
    }
    b.build()
        .map(Some)
        .map_err(|e| DiscoverError(format!("invalid {flag} globs: {e}")))
}

/// Finds the files under `paths`.
pub fn discover(paths: &[PathBuf], opts: &DiscoverOptions) -> Result<Discovery, DiscoverError> {
    let mut w = Walker {
        include: glob_set(&opts.include, "--include")?,
        exclude: glob_set(&opts.exclude, "--exclude")?,
        visited: HashSet::new(),
        skip: opts.skip_dirs.clone(),
        follow: opts.follow,
        roots: paths
            .iter()
            .filter(|p| !is_stdin(p) && p.is_dir())
            .filter_map(|p| fs::canonicalize(p).ok())
            .collect(),
        named: paths.to_vec(),
        prefix_root: paths.len() > 1,
        deferred: Default::default(),
        found: Vec::new(),
        out: Discovery::default(),
    };
    let mut stdin_taken = false;
    for (arg, p) in paths.iter().enumerate() {
        if is_stdin(p) {
            if !std::mem::replace(&mut stdin_taken, true) {
                w.piped(arg, Path::new(STDIN_ARG), STDIN_NAME.into(), None)?;
            }
            continue;
        }
        let is_link = fs::symlink_metadata(p)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => {
                    DiscoverError(format!("no such file or folder: {}", p.display()))
                }
                _ => DiscoverError(format!("cannot read {}: {e}", p.display())),
            })?
            .file_type()
            .is_symlink();
        let meta = match fs::metadata(p) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let target = fs::read_link(p).unwrap_or_default();
                return Err(DiscoverError(format!(
                    "no such file or folder: {} (a symlink to {}, which does not exist)",
                    p.display(),
                    target.display()
                )));
            }
            Err(e) => {
                w.problem(p, format!("{e}"));
                continue;
            }
        };
        if meta.is_dir() {
            if let Some(id) = file_id(&meta) {
                w.visited.insert(id);
            }
            let mut ancestors = file_id(&meta).into_iter().collect();
            w.walk(arg, p, p, is_link, &mut ancestors);
            while let Some((dir, mut ancestors)) = w.deferred.pop_front() {
                w.enter(arg, p, &dir, true, &mut ancestors);
            }
        } else if is_stream(&meta) {
            w.piped(arg, p, p.display().to_string(), file_id(&meta))?;
        } else if w.wanted(Path::new(p), p.file_name().unwrap_or_default().as_ref()) {
            w.file(arg, p, p, &meta, is_link);
        }
    }
    Ok(w.finish())
}

/// A FIFO or a character device: readable as a stream when named by the user.
#[cfg(unix)]
fn is_stream(meta: &Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    t.is_fifo() || t.is_char_device()
}

#[cfg(not(unix))]
fn is_stream(_: &Metadata) -> bool {
    false
}

impl Walker {
    /// A stream the user named (see the module doc); `id` de-duplicates a
    /// FIFO named twice, which could not be opened a second time.
    fn piped(
        &mut self,
        arg: usize,
        path: &Path,
        display: String,
        id: Option<(u64, u64)>,
    ) -> Result<(), DiscoverError> {
        use std::io::IsTerminal;
        if path == Path::new(STDIN_ARG) && std::io::stdin().is_terminal() {
            return Err(DiscoverError(
                "standard input is a terminal, not logs: pipe logs into logtrace, e.g. \
                 `kubectl logs POD | logtrace report -`, or name files and folders"
                    .into(),
            ));
        }
        self.found.push(Found {
            source: Source {
                path: path.to_path_buf(),
                stream: display.clone(),
                display,
                root: path.to_path_buf(),
                rotation: 0,
                size: 0,
                piped: true,
            },
            age: Age::Live,
            id,
            via_link: false,
            arg,
        });
        Ok(())
    }

    fn problem(&mut self, path: &Path, reason: String) {
        self.out.problems.push(FileProblem {
            path: path.display().to_string(),
            reason,
            named: self.named.iter().any(|n| n == path),
        });
    }

    fn excluded(&self, rel: &Path, name: &Path) -> bool {
        self.exclude
            .as_ref()
            .is_some_and(|x| x.is_match(rel) || x.is_match(name))
    }

    /// Whether a file passes the globs (counts it when it does not).
    fn wanted(&mut self, rel: &Path, name: &Path) -> bool {
        let included = self
            .include
            .as_ref()
            .map_or(true, |x| x.is_match(rel) || x.is_match(name));
        let ok = included && !self.excluded(rel, name);
        if !ok {
            self.out.excluded += 1;
        }
        ok
    }

    fn walk(
        &mut self,
        arg: usize,
        root: &Path,
        dir: &Path,
        via_link: bool,
        ancestors: &mut Vec<(u64, u64)>,
    ) {
        let entries = match fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return self.problem(dir, "vanished: deleted after it was found".into())
            }
            Err(e) => return self.problem(dir, format!("cannot read folder: {e}")),
        };
        let mut names = Vec::new();
        for e in entries {
            match e {
                // The entry's type usually comes with the listing: no extra call.
                Ok(e) => names.push((e.file_name(), e.file_type().is_ok_and(|t| t.is_symlink()))),
                Err(e) => self.problem(dir, format!("cannot list folder: {e}")),
            }
        }
        // Directory order differs between file systems; the walk must not.
        names.sort();
        for (name, is_link) in names {
            if name.as_encoded_bytes().first() == Some(&b'.') {
                self.out.hidden_skipped += 1;
                continue;
            }
            let path = dir.join(&name);
            let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            let name = Path::new(&name);
            if is_link {
                if let Some(why) = self.link_not_followed(&path) {
                    if self.wanted(&rel, name) {
                        self.out.links_not_followed += 1;
                        self.problem(&path, why);
                    }
                    continue;
                }
            }
            let meta = match fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    if self.wanted(&rel, name) {
                        let reason = match (is_link, e.kind()) {
                            (true, std::io::ErrorKind::NotFound) => format!(
                                "dangling symlink (points to {}, which does not exist)",
                                fs::read_link(&path).unwrap_or_default().display()
                            ),
                            (true, _) if e.raw_os_error() == Some(ELOOP) => {
                                format!("symlink loop: {e}")
                            }
                            (true, _) => format!("broken symlink: {e}"),
                            _ => format!("{e}"),
                        };
                        self.problem(&path, reason);
                    }
                    continue;
                }
            };
            if meta.is_dir() {
                if self.excluded(&rel, name) {
                    self.out.excluded += 1;
                    continue;
                }
                if is_link && !via_link {
                    self.deferred.push_back((path, ancestors.clone()));
                } else {
                    self.enter(arg, root, &path, via_link || is_link, ancestors);
                }
            } else if self.wanted(&rel, name) {
                self.file(arg, root, &path, &meta, via_link || is_link);
            }
        }
    }

    /// Why the symlink `path` is not followed, if it is not: it leads out of
    /// the input folders (without `--follow`), or into the kernel's files.
    /// A link that leads nowhere is followed, and the walk reports it.
    fn link_not_followed(&self, path: &Path) -> Option<String> {
        let target = fs::canonicalize(path).ok()?;
        if ["/proc", "/sys", "/dev"]
            .iter()
            .any(|k| target.starts_with(k))
        {
            return Some(format!(
                "symlink to a system file, not a log; not followed: to {}",
                target.display()
            ));
        }
        if self.follow || self.roots.iter().any(|r| target.starts_with(r)) {
            return None;
        }
        Some(format!(
            "symlink out of the input folders, not followed (--follow reads it): to {}",
            target.display()
        ))
    }

    /// Walks `dir` unless it was walked already or lies above itself.
    fn enter(
        &mut self,
        arg: usize,
        root: &Path,
        dir: &Path,
        via_link: bool,
        ancestors: &mut Vec<(u64, u64)>,
    ) {
        let id = fs::metadata(dir).ok().as_ref().and_then(file_id);
        if let Some(id) = id {
            if self.skip.contains(&id) {
                return;
            }
            if ancestors.contains(&id) {
                let reason = "symlink loop: leads back to a folder above it".to_string();
                return self.problem(dir, reason);
            }
            if !self.visited.insert(id) {
                return; // walked already under another name
            }
            ancestors.push(id);
        }
        self.walk(arg, root, dir, via_link, ancestors);
        if id.is_some() {
            ancestors.pop();
        }
    }

    fn file(&mut self, arg: usize, root: &Path, path: &Path, meta: &Metadata, via_link: bool) {
        if !meta.is_file() {
            let kind = special_kind(meta);
            self.out.special_skipped += 1;
            return self.problem(path, format!("not a regular file ({kind}), skipped"));
        }
        // Opening tells permissions (and ACLs, and mandatory locks) apart for sure.
        if let Err(e) = fs::File::open(path) {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "vanished: deleted after it was found".into(),
                _ => format!("cannot open: {e}"),
            };
            return self.problem(path, why);
        }
        let display = if root == path || self.prefix_root {
            path.display().to_string()
        } else {
            path.strip_prefix(root)
                .unwrap_or(path)
                .display()
                .to_string()
        };
        let file_name = path.file_name().unwrap_or_default().to_string_lossy();
        let (base, age) = split_rotation(&file_name);
        let stream = match display.rfind('/') {
            Some(i) => format!("{}{base}", &display[..=i]),
            None => base,
        };
        self.found.push(Found {
            source: Source {
                path: path.to_path_buf(),
                display,
                root: root.to_path_buf(),
                stream,
                rotation: 0,
                size: meta.len(),
                piped: false,
            },
            age,
            id: file_id(meta),
            via_link,
            arg,
        });
    }

    fn finish(mut self) -> Discovery {
        // One file reached twice is read once: under a real path rather than a
        // link, else under the first path the user gave, else the smaller name.
        self.found.sort_by(|a, b| {
            (a.via_link, a.arg, &a.source.display).cmp(&(b.via_link, b.arg, &b.source.display))
        });
        let mut seen = HashSet::new();
        self.found
            .retain(|f| f.id.map_or(true, |id| seen.insert(id)));
        self.found.sort_by(|a, b| {
            (&a.source.stream, a.age, &a.source.display).cmp(&(
                &b.source.stream,
                b.age,
                &b.source.display,
            ))
        });
        rotation::number_rotations(&mut self.found);
        // Shown like the files: relative to the one folder named.
        if let [root] = &self.named[..] {
            if root.is_dir() {
                let prefix = format!("{}/", root.display().to_string().trim_end_matches('/'));
                for p in &mut self.out.problems {
                    if let Some(rel) = p.path.strip_prefix(&prefix) {
                        p.path = rel.to_owned();
                    }
                }
            }
        }
        self.out.problems.sort_by(|a, b| a.path.cmp(&b.path));
        self.out.sources = self.found.into_iter().map(|f| f.source).collect();
        self.out
    }
}

/// What a file that is not a regular file is, in words.
#[cfg(unix)]
fn special_kind(meta: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &Metadata) -> &'static str {
    "a special file"
}
