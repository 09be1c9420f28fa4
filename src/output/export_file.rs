//! `export -o FILE`: where an export may go, checked before any input is read.
//!
//! Rules: FILE is never an input file nor inside an input folder (an export
//! over a log would lose the log, and one inside an input folder would be
//! read back as a log next time), with or without `--force`. An existing
//! FILE is replaced only with `--force` (a symlink there is replaced itself,
//! never followed); a folder, a FIFO or a device is never written (`-o -`
//! writes to stdout). The file is written by [`super::file::write_at`].

use std::ffi::OsString;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType};
use rustix::io::Errno;

use super::file::{write_at, Existing};
use super::{describe, inside_input, open_dir_path, resolve_parent, shown, OutputError};

/// A checked export destination.
#[derive(Debug)]
pub struct ExportTarget {
    /// The folder, resolved.
    folder: PathBuf,
    name: OsString,
    /// As the user wrote it, for messages.
    shown: String,
    force: bool,
}

/// Checks that an export may be written to `path` (see the module doc).
pub fn check(path: &Path, force: bool, inputs: &[PathBuf]) -> Result<ExportTarget, OutputError> {
    let what = shown(path);
    let (folder, name) = resolve_parent(path).map_err(|e| {
        OutputError::Refused(format!(
            "cannot write the export to {what}: its folder cannot be used ({e}); create it or choose another -o"
        ))
    })?;
    let target = folder.join(&name);
    if let Some(input) = inside_input(&target, inputs) {
        let how = if Path::new(input).is_dir() {
            format!("inside the input folder {}", shown(input))
        } else {
            "an input file".to_owned()
        };
        return Err(OutputError::Refused(format!(
            "{what} is {how}; write the export elsewhere or to stdout (-o -)"
        )));
    }
    let dir = open_dir_path(&folder).map_err(|e| {
        OutputError::Refused(format!(
            "cannot write the export to {what}: {}",
            describe(&e)
        ))
    })?;
    match rustix::fs::statat(&dir, &name, AtFlags::SYMLINK_NOFOLLOW) {
        Err(Errno::NOENT) => {}
        Err(e) => {
            return Err(OutputError::Refused(format!(
                "cannot write the export to {what}: {}",
                describe(&e.into())
            )))
        }
        Ok(st) => match FileType::from_raw_mode(st.st_mode) {
            FileType::Directory => {
                return Err(OutputError::Refused(format!(
                    "{what} is a folder; give a file name, e.g. -o {what}/traces.json"
                )))
            }
            FileType::RegularFile | FileType::Symlink if force => {}
            FileType::RegularFile | FileType::Symlink => {
                return Err(OutputError::Refused(format!(
                    "{what} exists; pass --force to replace it, or choose another -o"
                )))
            }
            _ => {
                return Err(OutputError::Refused(format!(
                    "{what} is not a regular file (a FIFO, a device or a socket); \
                     use -o - to write to stdout"
                )))
            }
        },
    }
    Ok(ExportTarget {
        folder,
        name,
        shown: what,
        force,
    })
}

impl ExportTarget {
    /// Writes the export: complete under its name, or not at all.
    pub fn write(&self, bytes: &[u8]) -> Result<(), OutputError> {
        let what = &self.shown;
        let fail = |e: std::io::Error| {
            OutputError::Write(format!(
                "cannot write the export to {what}: {}; nothing was written",
                describe(&e)
            ))
        };
        let dir = open_dir_path(&self.folder).map_err(fail)?;
        let existing = if self.force {
            Existing::Replace
        } else {
            Existing::Keep
        };
        let name = self.name.to_string_lossy();
        match write_at(dir.as_fd(), &name, bytes, existing) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(OutputError::Refused(format!(
                    "{what} appeared while the export was made; it was left as it is \
                     (pass --force to replace it)"
                )))
            }
            Err(e) => Err(fail(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn an_input_is_never_the_export() {
        let tmp = tempfile::tempdir().unwrap();
        let logs = tmp.path().join("logs");
        fs::create_dir(&logs).unwrap();
        let log = logs.join("auth.log");
        fs::write(&log, "line\n").unwrap();
        let inputs = vec![logs.clone()];
        for force in [false, true] {
            let e = check(&log, force, &inputs).unwrap_err().to_string();
            assert!(e.contains("inside the input folder"), "{e}");
            let e = check(&logs.join("new.json"), force, &inputs).unwrap_err();
            assert!(e.to_string().contains("inside the input folder"));
            let e = check(&log, force, std::slice::from_ref(&log)).unwrap_err();
            assert!(e.to_string().contains("an input file"), "{e}");
        }
        assert_eq!(fs::read(&log).unwrap(), b"line\n");
    }

    #[test]
    fn an_existing_file_needs_force() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("traces.json");
        check(&out, false, &[]).unwrap().write(b"1").unwrap();
        let e = check(&out, false, &[]).unwrap_err().to_string();
        assert!(e.contains("--force"), "{e}");
        check(&out, true, &[]).unwrap().write(b"2").unwrap();
        assert_eq!(fs::read(&out).unwrap(), b"2");
        // Created by someone else between the check and the write: kept.
        let other = tmp.path().join("other.json");
        let t = check(&other, false, &[]).unwrap();
        fs::write(&other, "theirs").unwrap();
        assert!(t.write(b"3").is_err());
        assert_eq!(fs::read(&other).unwrap(), b"theirs");
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 2);
    }

    #[test]
    fn folders_and_fifos_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let e = check(tmp.path(), true, &[]).unwrap_err().to_string();
        assert!(e.contains("is a folder"), "{e}");
        let fifo = tmp.path().join("pipe");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        let e = check(&fifo, true, &[]).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        let e = check(&tmp.path().join("no/such/x.json"), true, &[]).unwrap_err();
        assert!(e.to_string().contains("its folder cannot be used"));
    }
}
