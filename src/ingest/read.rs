//! A file -> newline-aligned chunks of decompressed bytes.
//!
//! Input: a path. Output: a [`ChunkReader`] that yields chunks of about
//! `chunk_size` bytes, each ending after a newline (or at the end of the data),
//! decompressing gzip (also multi-member), zstd and bzip2 detected by magic
//! bytes. Damage (a truncated compressed stream, a read error) ends the file
//! early and is reported through [`ChunkReader::problem`], never as a panic.
//! (Work in progress: plain files only so far.)

use std::io::Read;
use std::path::Path;

/// Default chunk size: big enough to amortise the per-chunk work, small enough
/// to keep every core busy and memory bounded.
pub const CHUNK_SIZE: usize = 4 << 20;

/// How a file's bytes are compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Bzip2,
}

/// Compression of a file from its first bytes.
pub fn sniff_compression(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else if head.starts_with(b"BZh") {
        Compression::Bzip2
    } else {
        Compression::None
    }
}

/// Reads a file chunk by chunk.
pub struct ChunkReader {
    inner: Box<dyn Read + Send>,
    compression: Compression,
    chunk_size: usize,
    /// Bytes read past the last newline of the previous chunk.
    carry: Vec<u8>,
    eof: bool,
    problem: Option<String>,
}

impl ChunkReader {
    pub fn open(path: &Path, chunk_size: usize) -> std::io::Result<ChunkReader> {
        let file = std::fs::File::open(path)?;
        Ok(ChunkReader {
            inner: Box::new(file),
            compression: Compression::None,
            chunk_size,
            carry: Vec::new(),
            eof: false,
            problem: None,
        })
    }

    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// What went wrong while reading, if anything (the data before it was delivered).
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// Fills `buf` with the next chunk. Returns false when the data is exhausted.
    pub fn next_chunk(&mut self, buf: &mut Vec<u8>) -> bool {
        buf.clear();
        buf.append(&mut self.carry);
        while !self.eof && buf.len() < self.chunk_size {
            let old = buf.len();
            buf.resize(old + (self.chunk_size - old).max(64 << 10), 0);
            match self.inner.read(&mut buf[old..]) {
                Ok(0) => {
                    buf.truncate(old);
                    self.eof = true;
                }
                Ok(n) => buf.truncate(old + n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(old),
                Err(e) => {
                    buf.truncate(old);
                    self.problem = Some(format!("read error: {e}"));
                    self.eof = true;
                }
            }
        }
        if !self.eof {
            if let Some(i) = memchr::memrchr(b'\n', buf) {
                self.carry.extend_from_slice(&buf[i + 1..]);
                buf.truncate(i + 1);
            }
        }
        !buf.is_empty()
    }
}
