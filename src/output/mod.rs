//! Bytes -> files on disk: the one place logtrace writes.
//!
//! Input: what to write (a report folder's files, an export's bytes) and where.
//! Output: the files in place, or an error that says what happened to the
//! user's files. Every file goes through [`file::write_at`]: created under a
//! random name with `O_CREAT | O_EXCL | O_NOFOLLOW` in a folder opened without
//! following a symlink, written, flushed to disk (fsync), then renamed into
//! place. So a crash, a full disk or the file-size limit never leaves half a
//! file under a real name, a name planted in advance (a symlink at a
//! predictable temporary name) is never written through, and a symlink inside
//! the output is replaced, never followed.
//!
//! - [`report_dir`]: the report folder. Checked and locked before any input
//!   is read ([`report_dir::ReportDir::prepare`]); written as a new sibling
//!   folder that then takes the old one's place in one rename, so a reader
//!   sees the earlier report or the new one, never a mix.
//! - [`export_file`]: `export -o FILE`, checked before any input is read:
//!   never an input, never an existing file without `--force`.
//! - [`table_dir`]: `export --to parquet -o DIR`, a folder of tables
//!   written beside DIR and renamed into place whole.
//!
//! Linux and the other Unix systems; the calls relative to an open folder
//! come from `rustix` (safe wrappers over `openat`, `renameat2`, `flock`).

pub mod export_file;
pub mod file;
pub mod report_dir;
pub mod table_dir;

use std::io;
use std::path::{Path, PathBuf};

/// Why an output cannot be written. Every variant exits with code 2.
#[derive(Debug)]
pub enum OutputError {
    /// The place cannot take the output (a folder of other files, an input,
    /// an existing file without `--force`, a symlink).
    Refused(String),
    /// Another logtrace run writes into the same report folder.
    InUse(String),
    /// Writing failed (full disk, file-size limit, permissions).
    Write(String),
}

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputError::Refused(m) | OutputError::InUse(m) | OutputError::Write(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for OutputError {}

/// What an I/O error means for the user, in words: a full disk and the
/// file-size limit are named as such.
pub fn describe(e: &io::Error) -> String {
    use rustix::io::Errno;
    let code = e.raw_os_error();
    let is = |errno: Errno| code == Some(errno.raw_os_error());
    if is(Errno::NOSPC) {
        format!("the disk is full ({e})")
    } else if is(Errno::DQUOT) {
        format!("the disk quota is used up ({e})")
    } else if is(Errno::FBIG) {
        format!("a file would pass the file-size limit, see `ulimit -f` ({e})")
    } else {
        e.to_string()
    }
}

/// A name no one can guess before this run makes it: a counter, the process
/// id and the time, hashed with a key the standard library seeds from the
/// operating system's random source (`RandomState`). No crate needed.
pub fn random_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(now);
    format!("{:016x}", h.finish())
}

/// At most `max` bytes of `name`, cut at a character boundary: room for a
/// prefix and a suffix within the 255 bytes a file name may have.
fn short(name: &str, max: usize) -> &str {
    if name.len() <= max {
        return name;
    }
    let mut end = max;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// `path` absolute, with its folder resolved through symlinks and `.`/`..`
/// (the last component is kept as it is): the folder must exist.
fn resolve_parent(path: &Path) -> io::Result<(PathBuf, std::ffi::OsString)> {
    use std::path::Component;
    let resolved;
    // `-o .`, `-o ..`, `-o /`: the name comes from the resolved path.
    let path = match path.components().next_back() {
        Some(Component::Normal(_)) => path,
        _ => {
            resolved = std::fs::canonicalize(path)?;
            &resolved
        }
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?
        .to_owned();
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok((std::fs::canonicalize(parent)?, name))
}

/// The input path that `target` (absolute, resolved) is, or lies inside of.
fn inside_input<'a>(target: &Path, inputs: &'a [PathBuf]) -> Option<&'a PathBuf> {
    inputs
        .iter()
        .find(|p| std::fs::canonicalize(p).is_ok_and(|c| target == c || target.starts_with(&c)))
}

/// Opens a folder by a path the user gave (symlinks above it are the user's own).
fn open_dir_path(path: &Path) -> io::Result<std::os::fd::OwnedFd> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    Ok(rustix::fs::openat(
        rustix::fs::CWD,
        path,
        flags,
        Mode::empty(),
    )?)
}

/// Quoted for a message: a path made safe for a terminal.
/// The refusal for an output folder that is a symbolic link.
fn symlink_refused(what: &str) -> OutputError {
    OutputError::Refused(format!(
        "{what} is a symbolic link; give the folder it points to as -o \
         (a link is never followed into the output)"
    ))
}

fn shown(p: &Path) -> String {
    crate::safe::terminal(&p.display().to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_fresh_and_short() {
        let (a, b) = (random_name(), random_name());
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
        assert_eq!(short("abc", 2), "ab");
        assert_eq!(short("aé", 2), "a");
        assert_eq!(short("abc", 9), "abc");
    }

    #[test]
    fn a_full_disk_and_the_size_limit_are_named() {
        let full = io::Error::from_raw_os_error(rustix::io::Errno::NOSPC.raw_os_error());
        assert!(describe(&full).starts_with("the disk is full"));
        let big = io::Error::from_raw_os_error(rustix::io::Errno::FBIG.raw_os_error());
        assert!(describe(&big).contains("ulimit -f"));
    }

    #[test]
    fn parents_resolve() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().canonicalize().unwrap();
        std::fs::create_dir(tmp.path().join("x")).unwrap();
        let (p, n) = resolve_parent(&tmp.path().join("x/../out")).unwrap();
        assert_eq!((p, n.to_str().unwrap()), (real.clone(), "out"));
        let (p, n) = resolve_parent(&tmp.path().join(".")).unwrap();
        assert_eq!(p.join(n), real);
        assert!(resolve_parent(&tmp.path().join("missing/out")).is_err());
    }
}
