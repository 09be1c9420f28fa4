//! Inputs that can be read only once -> the same decompressed bytes a file gives.
//!
//! Input: the path of a piped [`Source`](super::discover::Source): `-` for
//! standard input, or a FIFO, `/dev/fd/N` from a shell's `<(...)`, a character
//! device. Output: a [`Pipe`]: its compression (sniffed by magic bytes, as for
//! files), its first decompressed bytes for format detection, and one reader
//! of all its decompressed bytes, the head included, so detection and parsing
//! see the same data while the input is read only once.
//!
//! With `copy`, the raw bytes are also written to a temporary file (in
//! `$TMPDIR`, readable by the user alone) as they are read, so that `trace`
//! can show the log lines of a span again; the file is removed when its
//! [`tempfile::TempPath`] is dropped, at the end of the run.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use super::discover::STDIN_ARG;
use super::read::{decode, Compression};

/// A piped input, opened and sniffed.
pub struct Pipe {
    pub compression: Compression,
    /// The first decompressed bytes, at most what was asked for.
    pub head: Vec<u8>,
    /// Every decompressed byte, from the first (the head included).
    pub reader: Box<dyn Read + Send>,
    /// The copy of the raw bytes, filled while `reader` is read; removed on drop.
    pub copy: Option<tempfile::TempPath>,
}

/// Opens `path` (`-` is standard input), sniffs its compression and reads its
/// first `head_bytes` decompressed bytes. Fails only when it cannot be opened
/// or nothing at all can be read from it.
pub fn open(path: &Path, head_bytes: usize, copy: bool) -> io::Result<Pipe> {
    let raw: Box<dyn Read + Send> = if path == Path::new(STDIN_ARG) {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path)?)
    };
    let (raw, copy) = if copy {
        let (file, path) = tempfile::Builder::new()
            .prefix("logtrace-input-")
            .tempfile()?
            .into_parts();
        let tee: Box<dyn Read + Send> = Box::new(Tee {
            inner: raw,
            copy: Some(file),
        });
        (tee, Some(path))
    } else {
        (raw, None)
    };
    let (compression, mut decoded) = decode(raw)?;
    let mut head = Vec::with_capacity(head_bytes.min(1 << 20));
    let rest: Box<dyn Read + Send> = match (&mut decoded)
        .take(head_bytes as u64)
        .read_to_end(&mut head)
    {
        Ok(_) => decoded,
        Err(e) if compression == Compression::None && head.is_empty() => return Err(e),
        // Damage inside the head: the data before it is parsed, and the
        // error reaches the chunk reader, which reports it as for a file.
        Err(e) => Box::new(Failed(Some(e))),
    };
    Ok(Pipe {
        compression,
        reader: Box::new(io::Cursor::new(head.clone()).chain(rest)),
        head,
        copy,
    })
}

/// Copies what it reads into `copy`; stops copying (and goes on reading) when
/// the copy cannot be written, e.g. a full disk: `trace` then shows fewer lines.
struct Tee {
    inner: Box<dyn Read + Send>,
    copy: Option<File>,
}

impl Read for Tee {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(f) = &mut self.copy {
            if f.write_all(&buf[..n]).is_err() {
                self.copy = None;
            }
        }
        Ok(n)
    }
}

/// A reader that fails once with the error it holds, then ends.
struct Failed(Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(data).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn head_and_reader_see_the_same_bytes_once_and_the_copy_is_raw() {
        let tmp = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..5000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        for (raw, compression) in [
            (data.clone(), Compression::None),
            (gzip(&data), Compression::Gzip),
        ] {
            let path = tmp.path().join("in");
            std::fs::write(&path, &raw).unwrap();
            let mut p = open(&path, 100, true).unwrap();
            assert_eq!(p.compression, compression);
            assert_eq!(p.head, data[..100]);
            let mut all = Vec::new();
            p.reader.read_to_end(&mut all).unwrap();
            assert_eq!(all, data);
            let copy = p.copy.take().unwrap();
            assert_eq!(std::fs::read(&copy).unwrap(), raw);
            let kept = copy.to_path_buf();
            drop(copy);
            assert!(!kept.exists(), "the copy is removed when dropped");
        }
    }

    #[test]
    fn a_truncated_stream_gives_what_it_holds_then_its_error() {
        let tmp = tempfile::tempdir().unwrap();
        let data = b"a\nb\nc\n".repeat(10_000);
        let gz = gzip(&data);
        let path = tmp.path().join("cut.gz");
        std::fs::write(&path, &gz[..gz.len() / 2]).unwrap();
        let mut p = open(&path, 1 << 20, false).unwrap();
        assert!(!p.head.is_empty() && p.head.len() < data.len());
        let mut all = Vec::new();
        assert!(p.reader.read_to_end(&mut all).is_err());
        assert_eq!(all, data[..all.len()]);
    }
}
