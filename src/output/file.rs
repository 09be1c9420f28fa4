//! One file written into an open folder: temporary name, fsync, rename.
//!
//! Input: a folder (an open descriptor, so no path above it is looked up
//! again), a file name, bytes. Output: the file under its name, complete, or
//! an error and nothing left behind. The temporary file is created with
//! `O_CREAT | O_EXCL | O_NOFOLLOW` under a random name, so nothing planted in
//! advance is ever opened; the rename replaces a symlink at the final name
//! itself, never what it points to.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;

use super::{random_name, short};

/// Whether the final name may already exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// Replace it (a file or a symlink; the symlink itself, not its target).
    Replace,
    /// Fail with [`io::ErrorKind::AlreadyExists`] and leave it as it is.
    Keep,
}

/// Writes `bytes` as `name` in the folder `dir` (see the module doc).
pub fn write_at(
    dir: BorrowedFd<'_>,
    name: &str,
    bytes: &[u8],
    existing: Existing,
) -> io::Result<()> {
    let (tmp, fd) = create_temp(dir, name)?;
    let written = (|| {
        let mut f = File::from(fd);
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        rename_into(dir, &tmp, name, existing)
    })();
    if written.is_err() {
        // Our own temporary file: the random name is nobody else's.
        let _ = rustix::fs::unlinkat(dir, &tmp, AtFlags::empty());
    }
    written
}

/// A new file under a fresh random name beside `name`.
fn create_temp(dir: BorrowedFd<'_>, name: &str) -> io::Result<(String, OwnedFd)> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    for _ in 0..16 {
        let tmp = temp_name(name);
        match rustix::fs::openat(dir, &tmp, flags, Mode::from_raw_mode(0o666)) {
            Ok(fd) => return Ok((tmp, fd)),
            Err(Errno::EXIST) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free temporary name after 16 tries",
    ))
}

/// `.NAME.tmp-<random>`: hidden, so a folder walk skips it.
pub fn temp_name(name: &str) -> String {
    format!(".{}.tmp-{}", short(name, 200), random_name())
}

/// True for a name [`temp_name`] makes.
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.')
        && name
            .rsplit_once(".tmp-")
            .is_some_and(|(_, r)| r.len() == 16 && r.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn rename_into(dir: BorrowedFd<'_>, tmp: &str, name: &str, existing: Existing) -> io::Result<()> {
    if existing == Existing::Replace {
        return Ok(rustix::fs::renameat(dir, tmp, dir, name)?);
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    match rustix::fs::renameat_with(dir, tmp, dir, name, rustix::fs::RenameFlags::NOREPLACE) {
        Ok(()) => return Ok(()),
        // A file system without renameat2: the link below does the same.
        Err(Errno::INVAL | Errno::NOSYS) => {}
        Err(e) => return Err(e.into()),
    }
    // A hard link fails when the name exists; then the temporary name goes.
    rustix::fs::linkat(dir, tmp, dir, name, AtFlags::empty())?;
    rustix::fs::unlinkat(dir, tmp, AtFlags::empty())?;
    Ok(())
}

/// Opens the folder `name` inside `dir`, refusing a symlink.
pub fn open_dir_at(dir: impl AsFd, name: &str) -> io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(rustix::fs::openat(dir, name, flags, Mode::empty())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn open(path: &std::path::Path) -> OwnedFd {
        rustix::fs::openat(
            rustix::fs::CWD,
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .unwrap()
    }

    #[test]
    fn writes_and_leaves_no_temporary_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = open(tmp.path());
        write_at(dir.as_fd(), "a.json", b"{}", Existing::Keep).unwrap();
        write_at(dir.as_fd(), "a.json", b"[]", Existing::Replace).unwrap();
        assert_eq!(fs::read(tmp.path().join("a.json")).unwrap(), b"[]");
        let e = write_at(dir.as_fd(), "a.json", b"x", Existing::Keep).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(tmp.path().join("a.json")).unwrap(), b"[]");
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_symlink_at_the_name_is_replaced_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink(&victim, out.join("report.json")).unwrap();
        let dir = open(&out);
        write_at(dir.as_fd(), "report.json", b"{}", Existing::Replace).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        let meta = fs::symlink_metadata(out.join("report.json")).unwrap();
        assert!(meta.is_file());
    }

    #[test]
    fn a_symlinked_folder_is_not_opened() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("elsewhere"), tmp.path().join("charts"))
            .unwrap();
        let dir = open(tmp.path());
        assert!(open_dir_at(dir.as_fd(), "charts").is_err());
        assert!(open_dir_at(dir.as_fd(), "elsewhere").is_ok());
    }

    #[test]
    fn temporary_names_are_recognised() {
        let t = temp_name("report.json");
        assert!(is_temp_name(&t), "{t}");
        assert!(!is_temp_name("report.json"));
        assert!(!is_temp_name(".x.tmp-123"));
    }
}
