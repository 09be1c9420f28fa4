//! The report folder (`report -o DIR`): checked and locked before any input
//! is read, then replaced as a whole.
//!
//! [`ReportDir::prepare`] runs first. DIR may be missing (it is created, so
//! it can hold the lock), empty, or an earlier report (it holds [`MARKER`],
//! or a `report.json` that starts with a `schema_version`); anything else
//! needs `--force`. DIR may not be an input folder or hold one, and may not
//! be a symlink. A lock file ([`LOCK`], `flock`ed) makes a second run into
//! the same folder stop at once with "in use". Folders an interrupted run
//! left beside DIR (`.DIR.logtrace-new-*`, `-old-*`) are cleaned: files the
//! user put there go back into DIR, logtrace's own files are removed, and
//! what cannot be sorted out is reported and left alone.
//!
//! [`ReportDir::write`] writes the new report into a fresh sibling folder
//! (each file through [`super::file::write_at`]), moves the user's own files
//! over from DIR (everything that is not a file a report writes), then
//! swaps the two folders in one `renameat2(RENAME_EXCHANGE)`: a reader sees
//! the earlier report or the new one, never a mix of two runs. The earlier
//! report's files are then removed. If anything fails before the swap, the
//! user's files go back, the sibling folder is removed and DIR is as it was.
//!
//! Files of a report, removed when the report is replaced: [`MARKER`],
//! [`LOCK`], `report.json`, `summary.md`, `index.html`, and `*.svg` and
//! `*.png` in `charts/`. A symlink under one of these names is removed
//! itself (what it points to is never touched); a `charts` symlink is
//! replaced by the new `charts/` folder. Any other file is the user's and
//! is kept.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags};
use rustix::io::Errno;

use super::file::{open_dir_at, write_at, Existing};
use super::{describe, open_dir_path, random_name, resolve_parent, short, shown, OutputError};
use contents::{carry_user_files, remove_report_files, write_rel};

/// The file that marks a folder as a logtrace report.
pub const MARKER: &str = ".logtrace-report";
/// The lock file, held (`flock`) by the run writing the folder.
pub const LOCK: &str = ".logtrace-lock";
/// The top-level files a report writes.
const REPORT_FILES: [&str; 3] = ["report.json", "summary.md", "index.html"];
/// The folder of charts.
const CHARTS: &str = "charts";

const MARKER_TEXT: &str = "This folder was written by `logtrace report`; \
running it again with the same -o replaces the report (files you add are kept).\n";

/// A report folder, checked and locked, waiting for the report.
#[derive(Debug)]
pub struct ReportDir {
    /// The folder as the user named it.
    shown: String,
    /// The folder that holds DIR, resolved.
    parent_path: PathBuf,
    parent: OwnedFd,
    name: OsString,
    /// DIR as it was when it was locked.
    dir: OwnedFd,
    /// The lock file, held until the report is written.
    lock: File,
    /// DIR did not exist: this run made it (empty but for the lock).
    created: bool,
    /// The lock file did not exist: this run made it.
    lock_created: bool,
    /// DIR's device and inode: discovery leaves this folder out.
    id: (u64, u64),
    /// What the user should know: stale folders cleaned or left, no lock.
    notes: Vec<String>,
}

impl ReportDir {
    /// Checks and locks the report folder `out` (see the module doc).
    /// `inputs` are the paths to be read.
    pub fn prepare(out: &Path, force: bool, inputs: &[PathBuf]) -> Result<ReportDir, OutputError> {
        let what = shown(out);
        let cannot = |e: &io::Error| {
            OutputError::Refused(format!("cannot use {what} for the report: {}", describe(e)))
        };
        // The folder DIR goes in is created like `mkdir -p`.
        if let Some(p) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(p).map_err(|e| cannot(&e))?;
        }
        let (parent_path, name) = resolve_parent(out).map_err(|e| cannot(&e))?;
        let target = parent_path.join(&name);
        for input in inputs {
            let Ok(c) = std::fs::canonicalize(input) else {
                continue; // discovery says what is wrong with it
            };
            if c == target || c.starts_with(&target) {
                return Err(OutputError::Refused(format!(
                    "{what} holds the input {}: the report would replace it; choose another -o",
                    shown(input)
                )));
            }
        }
        let parent = open_dir_path(&parent_path).map_err(|e| cannot(&e))?;
        for _ in 0..8 {
            if let Some((dir, lock, created, lock_created)) =
                Self::try_lock(&what, &parent, &name, force)?
            {
                let st = rustix::fs::fstat(&dir).map_err(|e| cannot(&e.into()))?;
                let mut rd = ReportDir {
                    shown: what,
                    parent_path,
                    parent,
                    name,
                    dir,
                    lock,
                    created,
                    lock_created,
                    id: (st.st_dev as u64, st.st_ino as u64),
                    notes: Vec::new(),
                };
                rd.clean_stale();
                return Ok(rd);
            }
        }
        Err(OutputError::InUse(format!(
            "{what} keeps changing while it is checked (another program is writing it); \
             choose another -o"
        )))
    }

    /// One attempt: DIR opened (or made), checked and locked, and still the
    /// folder at DIR's name once locked; `None` when it changed under us.
    #[allow(clippy::type_complexity)]
    fn try_lock(
        what: &str,
        parent: &OwnedFd,
        name: &OsStr,
        force: bool,
    ) -> Result<Option<(OwnedFd, File, bool, bool)>, OutputError> {
        let cannot = |e: Errno| {
            OutputError::Refused(format!(
                "cannot use {what} for the report: {}",
                describe(&e.into())
            ))
        };
        let mut created = false;
        match rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
            Err(Errno::NOENT) => {
                match rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o777)) {
                    Ok(()) => created = true,
                    Err(Errno::EXIST) => return Ok(None),
                    Err(e) => return Err(cannot(e)),
                }
            }
            Err(e) => return Err(cannot(e)),
            Ok(st) => match FileType::from_raw_mode(st.st_mode) {
                FileType::Directory => {}
                FileType::Symlink => return Err(super::symlink_refused(what)),
                _ => {
                    return Err(OutputError::Refused(format!(
                        "{what} is a file, not a folder; choose another -o"
                    )))
                }
            },
        }
        let dir = match open_dir_at(parent, &name.to_string_lossy()) {
            Ok(d) => d,
            Err(_) if !created => return Ok(None), // replaced by a symlink or file meanwhile
            Err(e) => return Err(cannot(Errno::from_io_error(&e).unwrap_or(Errno::IO))),
        };
        if !created {
            check_contents(what, &dir, force)?;
        }
        let (lock, lock_created) = match rustix::fs::openat(
            &dir,
            LOCK,
            OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o666),
        ) {
            Ok(fd) => (fd, true),
            Err(Errno::EXIST) => (
                rustix::fs::openat(
                    &dir,
                    LOCK,
                    OFlags::RDWR | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
                    Mode::empty(),
                )
                .map_err(|e| match e {
                    Errno::LOOP => {
                        OutputError::Refused(format!("{what}/{LOCK} is a symbolic link; remove it"))
                    }
                    e => cannot(e),
                })?,
                false,
            ),
            Err(e) => return Err(cannot(e)),
        };
        let st = rustix::fs::fstat(&lock).map_err(cannot)?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Err(OutputError::Refused(format!(
                "{what}/{LOCK} is not a regular file; remove it"
            )));
        }
        let mut lock = File::from(lock);
        match rustix::fs::flock(&lock, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(Errno::WOULDBLOCK) => {
                let mut pid = String::new();
                let _ = lock.read_to_string(&mut pid);
                let pid = pid.trim();
                let by = if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
                    format!(" (process {pid})")
                } else {
                    String::new()
                };
                return Err(OutputError::InUse(format!(
                    "{what} is in use by another logtrace run{by}; wait for it to finish, \
                     or choose another -o"
                )));
            }
            // A file system without locks: write on, unguarded.
            Err(_) => {}
        }
        // A run that just finished may have swapped DIR, or removed the lock
        // file: ours must still be the folder and the lock at those names.
        let same = |a: &rustix::fs::Stat, b: &rustix::fs::Stat| {
            a.st_dev == b.st_dev && a.st_ino == b.st_ino
        };
        let now_dir = rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW);
        let now_lock = rustix::fs::statat(&dir, LOCK, AtFlags::SYMLINK_NOFOLLOW);
        let (held_dir, held_lock) = (rustix::fs::fstat(&dir), rustix::fs::fstat(&lock));
        match (now_dir, now_lock, held_dir, held_lock) {
            (Ok(a), Ok(b), Ok(c), Ok(d)) if same(&a, &c) && same(&b, &d) => {}
            _ => return Ok(None),
        }
        let _ = lock.set_len(0);
        let _ = writeln!(lock, "{}", std::process::id());
        Ok(Some((dir, lock, created, lock_created)))
    }

    /// The folder's device and inode, for discovery to leave it out.
    pub fn id(&self) -> (u64, u64) {
        self.id
    }

    /// What the user should know about the folder (printed on stderr).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Writes the report (relative path, bytes) in place of the folder's
    /// earlier contents; see the module doc. Returns notes for the user.
    pub fn write(mut self, files: &[(String, Vec<u8>)]) -> Result<Vec<String>, OutputError> {
        for (rel, _) in files {
            let ok = Path::new(rel)
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
            if !ok || rel.is_empty() {
                return Err(OutputError::Refused(format!(
                    "refusing to write {rel:?} outside {}",
                    self.shown
                )));
            }
        }
        let (stage_name, stage) = self.sibling("new").map_err(|e| self.write_error(&e))?;
        let mut carried = Vec::new();
        let staged = (|| -> io::Result<()> {
            for (rel, bytes) in files {
                write_rel(stage.as_fd(), rel, bytes)?;
            }
            write_at(
                stage.as_fd(),
                MARKER,
                MARKER_TEXT.as_bytes(),
                Existing::Replace,
            )?;
            // The lock moves with the folder: the same file under both names.
            let _ = rustix::fs::linkat(&self.dir, LOCK, &stage, LOCK, AtFlags::empty());
            carry_user_files(self.dir.as_fd(), stage.as_fd(), &mut carried)?;
            rustix::fs::fsync(&stage)?;
            Ok(())
        })();
        let old_name = match staged.and_then(|()| self.swap(&stage_name)) {
            Ok(old) => old,
            Err(e) => {
                // Back as it was: the user's files return, our files go.
                for rel in carried.iter().rev() {
                    let _ = rustix::fs::renameat(&stage, rel, &self.dir, rel);
                }
                let _ = remove_report_files(stage.as_fd());
                let _ = rustix::fs::unlinkat(&self.parent, &stage_name, AtFlags::REMOVEDIR);
                return Err(self.write_error(&e));
            }
        };
        let _ = rustix::fs::fsync(&self.parent);
        // The earlier report, now under the sibling's name.
        if let Ok(old) = open_dir_at(&self.parent, &old_name) {
            if remove_report_files(old.as_fd()).unwrap_or(false) {
                let _ = rustix::fs::unlinkat(&self.parent, &old_name, AtFlags::REMOVEDIR);
            } else {
                self.notes.push(format!(
                    "the earlier report was moved to {}: it holds files that are not a \
                     report's and could not be moved into the new one; look through it, \
                     then remove it",
                    shown(&self.parent_path.join(&old_name))
                ));
            }
        }
        self.created = false;
        self.lock_created = false;
        Ok(std::mem::take(&mut self.notes))
    }

    /// Puts the staged folder in DIR's place. Returns the name DIR's earlier
    /// contents now have.
    fn swap(&self, staged: &str) -> io::Result<String> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        match rustix::fs::renameat_with(
            &self.parent,
            staged,
            &self.parent,
            &self.name,
            rustix::fs::RenameFlags::EXCHANGE,
        ) {
            Ok(()) => return Ok(staged.to_owned()),
            // A file system without the exchange: two renames, a moment apart.
            Err(Errno::INVAL | Errno::NOSYS) => {}
            Err(e) => return Err(e.into()),
        }
        let aside = self.sibling_name("old");
        rustix::fs::renameat(&self.parent, &self.name, &self.parent, &aside)?;
        if let Err(e) = rustix::fs::renameat(&self.parent, staged, &self.parent, &self.name) {
            let _ = rustix::fs::renameat(&self.parent, &aside, &self.parent, &self.name);
            return Err(e.into());
        }
        Ok(aside)
    }

    /// `.DIR.logtrace-KIND-<random>` beside DIR: hidden, so a walk of an
    /// input folder that holds DIR skips it.
    fn sibling_name(&self, kind: &str) -> String {
        format!("{}{kind}-{}", self.stale_prefix(), random_name())
    }

    fn stale_prefix(&self) -> String {
        format!(".{}.logtrace-", short(&self.name.to_string_lossy(), 180))
    }

    /// A new empty sibling folder, opened.
    fn sibling(&self, kind: &str) -> io::Result<(String, OwnedFd)> {
        for _ in 0..16 {
            let n = self.sibling_name(kind);
            match rustix::fs::mkdirat(&self.parent, &n, Mode::from_raw_mode(0o777)) {
                Ok(()) => return Ok((n.clone(), open_dir_at(&self.parent, &n)?)),
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no free folder name",
        ))
    }

    fn write_error(&self, e: &io::Error) -> OutputError {
        OutputError::Write(format!(
            "cannot write the report to {}: {}; the folder holds what it held before, \
             and nothing of this run was left behind",
            self.shown,
            describe(e)
        ))
    }

    /// Sorts out folders an interrupted run left beside DIR (see the module doc).
    fn clean_stale(&mut self) {
        let prefix = self.stale_prefix();
        let Ok(listing) = rustix::fs::Dir::read_from(&self.parent) else {
            return;
        };
        let mut stale = Vec::new();
        for entry in listing.flatten() {
            let n = entry.file_name().to_bytes();
            if let Some(rest) = n.strip_prefix(prefix.as_bytes()) {
                let random = rest
                    .strip_prefix(b"new-")
                    .or_else(|| rest.strip_prefix(b"old-"));
                if random.is_some_and(|r| r.len() == 16 && r.iter().all(u8::is_ascii_hexdigit)) {
                    stale.push(String::from_utf8_lossy(n).into_owned());
                }
            }
        }
        stale.sort();
        for n in stale {
            let path = shown(&self.parent_path.join(&n));
            let Ok(d) = open_dir_at(&self.parent, &n) else {
                continue;
            };
            let mut back = Vec::new();
            let _ = carry_user_files(d.as_fd(), self.dir.as_fd(), &mut back);
            if remove_report_files(d.as_fd()).unwrap_or(false)
                && rustix::fs::unlinkat(&self.parent, &n, AtFlags::REMOVEDIR).is_ok()
            {
                let moved = if back.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({} of your files moved back into {})",
                        back.len(),
                        self.shown
                    )
                };
                self.notes
                    .push(format!("removed {path}, left by an interrupted run{moved}"));
            } else {
                self.notes.push(format!(
                    "{path} was left by an interrupted run and holds files that are not a \
                     report's and could not be moved back (their names are taken); \
                     look through it, then remove it"
                ));
            }
        }
    }
}

impl Drop for ReportDir {
    /// A run that ends without writing leaves the folder as it found it.
    fn drop(&mut self) {
        if self.lock_created || self.created {
            let _ = rustix::fs::unlinkat(&self.dir, LOCK, AtFlags::empty());
        }
        if self.created {
            let _ = rustix::fs::unlinkat(&self.parent, &self.name, AtFlags::REMOVEDIR);
        }
        // Unlocked only once the names are gone (closing would do it too).
        let _ = rustix::fs::flock(&self.lock, FlockOperation::Unlock);
    }
}

/// Refuses a folder that is neither empty nor an earlier report (unless
/// forced), and names of the report taken by something it cannot replace.
fn check_contents(what: &str, dir: &OwnedFd, force: bool) -> Result<(), OutputError> {
    let kind = |name: &str| {
        rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
            .ok()
            .map(|st| FileType::from_raw_mode(st.st_mode))
    };
    for name in REPORT_FILES.iter().chain(&[MARKER]) {
        if kind(name) == Some(FileType::Directory) {
            return Err(OutputError::Refused(format!(
                "{what}/{name} is a folder, where the report writes a file; move it away"
            )));
        }
    }
    match kind(CHARTS) {
        None | Some(FileType::Directory) | Some(FileType::Symlink) => {}
        Some(_) => {
            return Err(OutputError::Refused(format!(
                "{what}/{CHARTS} is not a folder, where the report writes its charts; move it away"
            )))
        }
    }
    if force || is_report(dir) {
        return Ok(());
    }
    let empty = rustix::fs::Dir::read_from(dir).is_ok_and(|listing| {
        listing.flatten().all(|e| {
            let n = e.file_name().to_bytes();
            n == b"." || n == b".." || n == LOCK.as_bytes()
        })
    });
    if empty {
        return Ok(());
    }
    Err(OutputError::Refused(format!(
        "{what} is not empty and is not a logtrace report; choose another -o or pass --force \
         (files of yours are kept; files named like a report's are replaced)"
    )))
}

/// True when `dir` holds an earlier logtrace report.
fn is_report(dir: &OwnedFd) -> bool {
    if rustix::fs::statat(dir, MARKER, AtFlags::SYMLINK_NOFOLLOW)
        .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile)
    {
        return true;
    }
    // A report whose marker was lost (copied without dot files): its
    // report.json starts with the schema version. Only a regular file is
    // read, and only its first bytes: a FIFO there cannot stall the run, nor
    // a huge file fill the memory.
    let Ok(fd) = rustix::fs::openat(
        dir,
        "report.json",
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    ) else {
        return false;
    };
    if !rustix::fs::fstat(&fd)
        .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile)
    {
        return false;
    }
    let mut head = Vec::new();
    let _ = File::from(fd).take(4096).read_to_end(&mut head);
    starts_with_schema_version(&head)
}

/// `{ "schema_version": N`, as every report.json logtrace writes begins.
pub fn starts_with_schema_version(head: &[u8]) -> bool {
    let rest = trim(head);
    let Some(rest) = rest.strip_prefix(b"{") else {
        return false;
    };
    let Some(rest) = trim(rest).strip_prefix(b"\"schema_version\"") else {
        return false;
    };
    let Some(rest) = trim(rest).strip_prefix(b":") else {
        return false;
    };
    trim(rest).first().is_some_and(u8::is_ascii_digit)
}

fn trim(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

pub(super) mod contents;
#[cfg(test)]
mod tests;
