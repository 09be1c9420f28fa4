//! `export --to parquet -o DIR`: a folder of tables, checked before any
//! input is read and put in place whole, or not at all.
//!
//! Rules ([`TableDir::prepare`]): DIR is never an input, inside an input
//! folder, or a folder that holds an input; never a symlink or a file. A
//! missing or empty DIR is used as it is. A DIR with anything in it needs
//! `--force`, and even then only when all it holds is an earlier export's
//! tables (`events/`, `spans/`, `traces/` with `*.parquet` files and
//! `date=`/`hour=` folders): a folder of other files is refused, so no file
//! of the user's is ever removed.
//!
//! The tables are written into a new hidden folder beside DIR
//! (`.DIR.logtrace-tables-<random>`), each file created with `O_EXCL |
//! O_NOFOLLOW` in folders opened without following symlinks. [`TableDir::commit`]
//! flushes every file and folder to disk, then renames the folder into
//! place (an earlier export is swapped out in one `renameat2` exchange and
//! then removed). A run that fails or is interrupted leaves DIR as it was;
//! its hidden folder is removed then, or by the next run.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use super::file::open_dir_at;
use super::report_dir::contents::entries;
use super::{
    describe, inside_input, open_dir_path, random_name, resolve_parent, short, shown, OutputError,
};

/// The folders a table export writes at its top.
const TABLES: [&str; 3] = ["events", "spans", "traces"];

/// A checked table folder, with the hidden folder the tables go into.
#[derive(Debug)]
pub struct TableDir {
    /// DIR as the user wrote it, for messages.
    shown: String,
    parent_path: PathBuf,
    parent: OwnedFd,
    name: OsString,
    /// DIR existed (empty, or an earlier export with `--force`).
    existed: bool,
    stage_name: String,
    stage: OwnedFd,
    /// Every file and folder made, to be flushed to disk before the rename.
    made: Mutex<Vec<OwnedFd>>,
    committed: bool,
    notes: Vec<String>,
}

impl TableDir {
    /// Checks `out` (see the module doc) and makes the hidden folder.
    pub fn prepare(out: &Path, force: bool, inputs: &[PathBuf]) -> Result<TableDir, OutputError> {
        let what = shown(out);
        let cannot = |e: &io::Error| {
            OutputError::Refused(format!(
                "cannot write the tables to {what}: {}",
                describe(e)
            ))
        };
        let (parent_path, name) = resolve_parent(out).map_err(|e| {
            OutputError::Refused(format!(
                "cannot write the tables to {what}: the folder it goes in cannot be used ({e}); \
                 create it or choose another -o"
            ))
        })?;
        let target = parent_path.join(&name);
        if let Some(input) = inside_input(&target, inputs) {
            return Err(OutputError::Refused(format!(
                "{what} is {}; write the tables elsewhere",
                if input.is_dir() {
                    format!("inside the input folder {}", shown(input))
                } else {
                    "an input file".to_owned()
                }
            )));
        }
        for input in inputs {
            if std::fs::canonicalize(input).is_ok_and(|c| c.starts_with(&target)) {
                return Err(OutputError::Refused(format!(
                    "{what} holds the input {}; write the tables elsewhere",
                    shown(input)
                )));
            }
        }
        let parent = open_dir_path(&parent_path).map_err(|e| cannot(&e))?;
        let existed = match rustix::fs::statat(&parent, &name, AtFlags::SYMLINK_NOFOLLOW) {
            Err(Errno::NOENT) => false,
            Err(e) => return Err(cannot(&e.into())),
            Ok(st) => match FileType::from_raw_mode(st.st_mode) {
                FileType::Directory => {
                    let dir =
                        open_dir_at(&parent, &name.to_string_lossy()).map_err(|e| cannot(&e))?;
                    check_contents(&what, dir.as_fd(), force)?;
                    true
                }
                FileType::Symlink => return Err(super::symlink_refused(&what)),
                _ => {
                    return Err(OutputError::Refused(format!(
                        "{what} is a file; --to parquet writes a folder of tables, \
                         choose a folder name for -o"
                    )))
                }
            },
        };
        let prefix = stage_prefix(&name);
        let notes = clean_stale(&parent, &parent_path, &prefix);
        let (stage_name, stage) = make_stage(&parent, &prefix).map_err(|e| cannot(&e))?;
        Ok(TableDir {
            shown: what,
            parent_path,
            parent,
            name,
            existed,
            stage_name,
            stage,
            made: Mutex::new(Vec::new()),
            committed: false,
            notes,
        })
    }

    /// What the user should know (stale folders removed or left).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Creates `rel` (`spans/date=2026-11-24/hour=13/part-0.parquet`) in
    /// the hidden folder, making its folders. Safe to call from several
    /// threads.
    pub fn create(&self, rel: &str) -> io::Result<Box<dyn Write + Send>> {
        let mut parts: Vec<&str> = rel.split('/').collect();
        let name = parts.pop().unwrap_or_default();
        let plain = |p: &str| {
            let mut c = Path::new(p).components();
            matches!((c.next(), c.next()), (Some(Component::Normal(_)), None))
        };
        if !plain(name) || !parts.iter().all(|p| plain(p)) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("refusing to write {rel:?} outside the output folder"),
            ));
        }
        let mut dir: Option<OwnedFd> = None;
        for part in parts {
            let at = dir.as_ref().map_or(self.stage.as_fd(), |d| d.as_fd());
            let made = match rustix::fs::mkdirat(at, part, Mode::from_raw_mode(0o777)) {
                Ok(()) => true,
                Err(Errno::EXIST) => false,
                Err(e) => return Err(e.into()),
            };
            let opened = open_dir_at(at, part)?;
            if made {
                self.remember(opened.try_clone()?);
            }
            dir = Some(opened);
        }
        let at = dir.as_ref().map_or(self.stage.as_fd(), |d| d.as_fd());
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(at, name, flags, Mode::from_raw_mode(0o666))?;
        self.remember(fd.try_clone()?);
        Ok(Box::new(BufWriter::with_capacity(1 << 20, File::from(fd))))
    }

    fn remember(&self, fd: OwnedFd) {
        self.made.lock().unwrap_or_else(|p| p.into_inner()).push(fd);
    }

    /// Flushes everything to disk and puts the tables at DIR (see the
    /// module doc). Returns notes for the user.
    pub fn commit(mut self) -> Result<Vec<String>, OutputError> {
        let made = std::mem::take(&mut *self.made.lock().unwrap_or_else(|p| p.into_inner()));
        let synced = made
            .iter()
            .try_for_each(rustix::fs::fsync)
            .and_then(|()| rustix::fs::fsync(&self.stage));
        drop(made);
        synced.map_err(|e| self.write_error(&e.into()))?;
        self.place().map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => OutputError::Refused(format!(
                "{} appeared while the tables were written; it was left as it is \
                 (pass --force to replace an earlier export)",
                self.shown
            )),
            _ => self.write_error(&e),
        })?;
        self.committed = true;
        let _ = rustix::fs::fsync(&self.parent);
        Ok(std::mem::take(&mut self.notes))
    }

    /// Renames the hidden folder to DIR; an earlier DIR is swapped out and removed.
    fn place(&mut self) -> io::Result<()> {
        let (parent, stage, name) = (&self.parent, self.stage_name.as_str(), &self.name);
        if !self.existed {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            match rustix::fs::renameat_with(
                parent,
                stage,
                parent,
                name,
                rustix::fs::RenameFlags::NOREPLACE,
            ) {
                Ok(()) => return Ok(()),
                Err(Errno::EXIST) => return Err(io::ErrorKind::AlreadyExists.into()),
                Err(Errno::INVAL | Errno::NOSYS) => {}
                Err(e) => return Err(e.into()),
            }
            if rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW).is_ok() {
                return Err(io::ErrorKind::AlreadyExists.into());
            }
            return Ok(rustix::fs::renameat(parent, stage, parent, name)?);
        }
        // DIR was empty or an earlier export: checked again, then swapped.
        let old = open_dir_at(parent, &name.to_string_lossy())?;
        check_contents(&self.shown, old.as_fd(), true)
            .map_err(|e| io::Error::new(io::ErrorKind::AlreadyExists, e.to_string()))?;
        let aside = format!("{}old-{}", stage_prefix(name), random_name());
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let swapped = match rustix::fs::renameat_with(
            parent,
            stage,
            parent,
            name,
            rustix::fs::RenameFlags::EXCHANGE,
        ) {
            Ok(()) => Some(stage.to_owned()),
            Err(Errno::INVAL | Errno::NOSYS) => None,
            Err(e) => return Err(e.into()),
        };
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let swapped = None;
        let old_name = match swapped {
            Some(n) => n,
            None => {
                rustix::fs::renameat(parent, name, parent, &aside)?;
                if let Err(e) = rustix::fs::renameat(parent, stage, parent, name) {
                    let _ = rustix::fs::renameat(parent, &aside, parent, name);
                    return Err(e.into());
                }
                aside
            }
        };
        // The stage name now holds the earlier tables.
        self.stage_name = old_name.clone();
        if !remove_tables(old.as_fd(), 0).unwrap_or(false)
            || rustix::fs::unlinkat(parent, &old_name, AtFlags::REMOVEDIR).is_err()
        {
            self.notes.push(format!(
                "the earlier tables were moved to {} and could not all be removed; \
                 look through it, then remove it",
                shown(&self.parent_path.join(&old_name))
            ));
        }
        Ok(())
    }

    fn write_error(&self, e: &io::Error) -> OutputError {
        OutputError::Write(format!(
            "cannot write the tables to {}: {}; nothing was written there",
            self.shown,
            describe(e)
        ))
    }
}

impl Drop for TableDir {
    /// A run that ends without committing removes what it started.
    fn drop(&mut self) {
        if !self.committed && remove_tables(self.stage.as_fd(), 0).unwrap_or(false) {
            let _ = rustix::fs::unlinkat(&self.parent, &self.stage_name, AtFlags::REMOVEDIR);
        }
    }
}

/// `.DIR.logtrace-tables-`: hidden, so a walk of the folder skips it.
fn stage_prefix(name: &std::ffi::OsStr) -> String {
    format!(".{}.logtrace-tables-", short(&name.to_string_lossy(), 180))
}

fn make_stage(parent: &OwnedFd, prefix: &str) -> io::Result<(String, OwnedFd)> {
    for _ in 0..16 {
        let n = format!("{prefix}new-{}", random_name());
        match rustix::fs::mkdirat(parent, &n, Mode::from_raw_mode(0o777)) {
            Ok(()) => return Ok((n.clone(), open_dir_at(parent, &n)?)),
            Err(Errno::EXIST) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free folder name",
    ))
}

/// Removes hidden folders an interrupted run left beside DIR, when they hold
/// tables only; returns what the user should know.
fn clean_stale(parent: &OwnedFd, parent_path: &Path, prefix: &str) -> Vec<String> {
    let Ok(listing) = entries(parent.as_fd()) else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    for (n, t) in listing {
        let n = n.to_string_lossy();
        let Some(rest) = n.strip_prefix(prefix) else {
            continue;
        };
        let random = rest
            .strip_prefix("new-")
            .or_else(|| rest.strip_prefix("old-"));
        if t != FileType::Directory
            || !random.is_some_and(|r| r.len() == 16 && r.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            continue;
        }
        let path = shown(&parent_path.join(&*n));
        let removed = open_dir_at(parent, &n).is_ok_and(|d| {
            remove_tables(d.as_fd(), 0).unwrap_or(false)
                && rustix::fs::unlinkat(parent, &*n, AtFlags::REMOVEDIR).is_ok()
        });
        notes.push(if removed {
            format!("removed {path}, left by an interrupted run")
        } else {
            format!(
                "{path} was left by an interrupted run and holds files that are not tables; \
                 look through it, then remove it"
            )
        });
    }
    notes
}

/// True for an entry a table export writes at `depth` (0: DIR itself).
fn is_ours(name: &str, t: FileType, depth: usize) -> bool {
    match t {
        FileType::Directory => match depth {
            0 => TABLES.contains(&name),
            1 => name.starts_with("date="),
            2 => name.starts_with("hour="),
            _ => false,
        },
        FileType::RegularFile => depth >= 1 && name.ends_with(".parquet"),
        _ => false,
    }
}

/// The first entry of `dir` (and below) that a table export does not write.
fn foreign(dir: BorrowedFd<'_>, depth: usize) -> io::Result<Option<String>> {
    for (n, t) in entries(dir)? {
        let s = n.to_string_lossy();
        if !is_ours(&s, t, depth) {
            return Ok(Some(s.into_owned()));
        }
        if t == FileType::Directory {
            if let Some(inner) = foreign(open_dir_at(dir, &s)?.as_fd(), depth + 1)? {
                return Ok(Some(format!("{s}/{inner}")));
            }
        }
    }
    Ok(None)
}

/// Removes what a table export writes from `dir`; true when `dir` is empty after.
fn remove_tables(dir: BorrowedFd<'_>, depth: usize) -> io::Result<bool> {
    let mut left = 0;
    for (n, t) in entries(dir)? {
        let s = n.to_string_lossy();
        if !is_ours(&s, t, depth) {
            left += 1;
        } else if t == FileType::Directory {
            let inner = open_dir_at(dir, &s)?;
            if remove_tables(inner.as_fd(), depth + 1)? {
                rustix::fs::unlinkat(dir, &n, AtFlags::REMOVEDIR)?;
            } else {
                left += 1;
            }
        } else {
            rustix::fs::unlinkat(dir, &n, AtFlags::empty())?;
        }
    }
    Ok(left == 0)
}

/// An existing DIR: empty is fine; an earlier export needs `--force`;
/// anything else is refused.
fn check_contents(what: &str, dir: BorrowedFd<'_>, force: bool) -> Result<(), OutputError> {
    let cannot = |e: io::Error| {
        OutputError::Refused(format!(
            "cannot write the tables to {what}: {}",
            describe(&e)
        ))
    };
    if entries(dir).map_err(cannot)?.is_empty() {
        return Ok(());
    }
    if let Some(f) = foreign(dir, 0).map_err(cannot)? {
        return Err(OutputError::Refused(format!(
            "{what} holds files that are not logtrace tables ({}); choose another -o \
             (an empty or missing folder, or an earlier export with --force)",
            crate::safe::terminal(&f)
        )));
    }
    if !force {
        return Err(OutputError::Refused(format!(
            "{what} holds an earlier export; pass --force to replace it, or choose another -o"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(dir: &TableDir, rel: &str, bytes: &[u8]) {
        let mut w = dir.create(rel).unwrap();
        w.write_all(bytes).unwrap();
        w.flush().unwrap();
    }

    fn listing(p: &Path) -> Vec<String> {
        let mut out: Vec<String> = fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        out.sort();
        out
    }

    #[test]
    fn writes_whole_and_replaces_only_with_force() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("tables");
        let d = TableDir::prepare(&out, false, &[]).unwrap();
        write(&d, "events/part-0.parquet", b"1");
        write(&d, "spans/date=2026-11-24/hour=13/part-0.parquet", b"2");
        // Nothing at DIR until the commit.
        assert!(!out.exists());
        d.commit().unwrap();
        assert_eq!(listing(&out), ["events", "spans"]);
        assert_eq!(listing(tmp.path()), ["tables"]);
        let e = TableDir::prepare(&out, false, &[]).unwrap_err().to_string();
        assert!(e.contains("--force"), "{e}");
        let d = TableDir::prepare(&out, true, &[]).unwrap();
        write(&d, "traces/part-0.parquet", b"3");
        d.commit().unwrap();
        assert_eq!(listing(&out), ["traces"]);
        assert_eq!(listing(tmp.path()), ["tables"]);
    }

    #[test]
    fn a_folder_of_other_files_is_never_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("mine");
        fs::create_dir_all(out.join("events")).unwrap();
        fs::write(out.join("events/notes.txt"), "keep").unwrap();
        for force in [false, true] {
            let e = TableDir::prepare(&out, force, &[]).unwrap_err().to_string();
            assert!(e.contains("not logtrace tables (events/notes.txt)"), "{e}");
        }
        // An empty folder is used as it is; a file or a symlink is refused.
        let empty = tmp.path().join("empty");
        fs::create_dir(&empty).unwrap();
        TableDir::prepare(&empty, false, &[]).unwrap();
        let e = TableDir::prepare(&out.join("events/notes.txt"), true, &[]).unwrap_err();
        assert!(e.to_string().contains("is a file"), "{e}");
        std::os::unix::fs::symlink(&empty, tmp.path().join("link")).unwrap();
        let e = TableDir::prepare(&tmp.path().join("link"), true, &[]).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert_eq!(fs::read(out.join("events/notes.txt")).unwrap(), b"keep");
    }

    #[test]
    fn inputs_are_never_the_output_nor_inside_it() {
        let tmp = tempfile::tempdir().unwrap();
        let logs = tmp.path().join("logs");
        fs::create_dir(&logs).unwrap();
        let inputs = vec![logs.clone()];
        let e = TableDir::prepare(&logs.join("t"), true, &inputs).unwrap_err();
        assert!(e.to_string().contains("inside the input folder"), "{e}");
        let e = TableDir::prepare(tmp.path(), true, &inputs).unwrap_err();
        assert!(e.to_string().contains("holds the input"), "{e}");
    }

    #[test]
    fn an_unfinished_run_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("tables");
        let d = TableDir::prepare(&out, false, &[]).unwrap();
        write(&d, "events/part-0.parquet", b"1");
        assert!(d.create("../escape.parquet").is_err());
        drop(d);
        assert!(listing(tmp.path()).is_empty());
        // One killed before it could clean up is removed by the next run.
        let stale = tmp
            .path()
            .join(".tables.logtrace-tables-new-0123456789abcdef");
        fs::create_dir_all(stale.join("spans")).unwrap();
        fs::write(stale.join("spans/part-0.parquet"), "x").unwrap();
        let d = TableDir::prepare(&out, false, &[]).unwrap();
        assert!(d.notes()[0].contains("left by an interrupted run"));
        drop(d);
        assert!(listing(tmp.path()).is_empty());
    }
}
