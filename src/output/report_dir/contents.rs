//! What a report folder holds: the report's own files, told apart from the
//! user's; moving the user's files between folders; removing the report's.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use rustix::fs::{AtFlags, FileType, Mode};
use rustix::io::Errno;

use super::{CHARTS, LOCK, MARKER, REPORT_FILES};
use crate::output::file::{is_temp_name, open_dir_at, write_at, Existing};

/// True for a file a report writes, at `rel` inside the report folder
/// (`charts/x.svg`); folders are handled by the callers.
pub(super) fn is_report_file(top: &str, inner: Option<&str>) -> bool {
    match inner {
        None => REPORT_FILES.contains(&top) || top == MARKER || top == LOCK || is_temp_name(top),
        Some(n) => top == CHARTS && (n.ends_with(".svg") || n.ends_with(".png") || is_temp_name(n)),
    }
}

/// Writes `rel` (`name` or `folder/name`) inside `root`, making its folders.
pub(super) fn write_rel(root: BorrowedFd<'_>, rel: &str, bytes: &[u8]) -> io::Result<()> {
    let mut parts: Vec<&str> = rel.split('/').collect();
    let name = parts.pop().unwrap_or_default();
    let mut dir: Option<OwnedFd> = None;
    for part in parts {
        let at = dir.as_ref().map_or(root, |d| d.as_fd());
        match rustix::fs::mkdirat(at, part, Mode::from_raw_mode(0o777)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(e.into()),
        }
        dir = Some(open_dir_at(at, part)?);
    }
    let at = dir.as_ref().map_or(root, |d| d.as_fd());
    write_at(at, name, bytes, Existing::Replace)
}

/// Entries of a folder, without `.` and `..`, with their types (not followed).
pub(in crate::output) fn entries(dir: BorrowedFd<'_>) -> io::Result<Vec<(OsString, FileType)>> {
    let mut out = Vec::new();
    for e in rustix::fs::Dir::read_from(dir)? {
        let e = e?;
        let n = e.file_name().to_bytes();
        if n == b"." || n == b".." {
            continue;
        }
        let name = OsStr::from_bytes(n).to_owned();
        let t = match e.file_type() {
            FileType::Unknown => rustix::fs::statat(dir, &name, AtFlags::SYMLINK_NOFOLLOW)
                .map(|st| FileType::from_raw_mode(st.st_mode))?,
            t => t,
        };
        out.push((name, t));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Moves every entry of `from` that is not a report's file into `to`, unless
/// `to` has that name already (`charts/` entries into `to/charts/`); the
/// moved paths (relative) are added to `moved`.
pub(super) fn carry_user_files(
    from: BorrowedFd<'_>,
    to: BorrowedFd<'_>,
    moved: &mut Vec<String>,
) -> io::Result<()> {
    for (name, t) in entries(from)? {
        let n = name.to_string_lossy();
        if n == CHARTS && t == FileType::Directory {
            let inner = open_dir_at(from, CHARTS)?;
            let theirs: Vec<_> = entries(inner.as_fd())?
                .into_iter()
                .filter(|(c, t)| {
                    *t == FileType::Directory || !is_report_file(CHARTS, Some(&c.to_string_lossy()))
                })
                .collect();
            if theirs.is_empty() {
                continue;
            }
            match rustix::fs::mkdirat(to, CHARTS, Mode::from_raw_mode(0o777)) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(e.into()),
            }
            let to_charts = open_dir_at(to, CHARTS)?;
            for (c, _) in theirs {
                if move_unless_taken(inner.as_fd(), &c, to_charts.as_fd())? {
                    moved.push(format!("{CHARTS}/{}", c.to_string_lossy()));
                }
            }
            continue;
        }
        let ours = n == CHARTS || (t != FileType::Directory && is_report_file(&n, None));
        if !ours && move_unless_taken(from, &name, to)? {
            moved.push(n.into_owned());
        }
    }
    Ok(())
}

/// Renames `name` from `from` to `to` unless `to` has it; true when moved.
fn move_unless_taken(from: BorrowedFd<'_>, name: &OsStr, to: BorrowedFd<'_>) -> io::Result<bool> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    match rustix::fs::renameat_with(from, name, to, name, rustix::fs::RenameFlags::NOREPLACE) {
        Ok(()) => return Ok(true),
        Err(Errno::EXIST) => return Ok(false),
        Err(Errno::INVAL | Errno::NOSYS) => {}
        Err(e) => return Err(e.into()),
    }
    match rustix::fs::statat(to, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(_) => Ok(false),
        Err(Errno::NOENT) => {
            rustix::fs::renameat(from, name, to, name)?;
            Ok(true)
        }
        Err(e) => Err(e.into()),
    }
}

/// Removes a report's files from `dir` (symlinks under their names
/// included, never followed), and `charts/` once empty. True when `dir` is
/// empty afterwards.
pub(super) fn remove_report_files(dir: BorrowedFd<'_>) -> io::Result<bool> {
    let mut left = 0;
    for (name, t) in entries(dir)? {
        let n = name.to_string_lossy();
        if n == CHARTS && t == FileType::Directory {
            let inner = open_dir_at(dir, CHARTS)?;
            let mut inner_left = 0;
            for (c, t) in entries(inner.as_fd())? {
                if t != FileType::Directory && is_report_file(CHARTS, Some(&c.to_string_lossy())) {
                    rustix::fs::unlinkat(&inner, &c, AtFlags::empty())?;
                } else {
                    inner_left += 1;
                }
            }
            if inner_left == 0 {
                rustix::fs::unlinkat(dir, CHARTS, AtFlags::REMOVEDIR)?;
            } else {
                left += 1;
            }
        } else if t != FileType::Directory && (n == CHARTS || is_report_file(&n, None)) {
            rustix::fs::unlinkat(dir, &name, AtFlags::empty())?;
        } else {
            left += 1;
        }
    }
    Ok(left == 0)
}
