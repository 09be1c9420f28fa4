//! A file -> newline-aligned chunks of decompressed bytes.
//!
//! Input: a path. Output: a [`ChunkReader`] that yields chunks of about
//! `chunk_size` bytes, each ending after a newline (or at the end of the data),
//! decompressing gzip (also multi-member), zstd and bzip2 (also multi-stream)
//! detected by magic bytes, never by name. A line longer than the chunk grows
//! the chunk until its newline, up to [`MAX_LINE_BYTES`]; past that the line is
//! cut, so memory stays bounded whatever the input. Damage (a truncated
//! compressed stream, a read error) ends the file early: everything decoded
//! before it is delivered and [`ChunkReader::problem`] says what happened.
//! Nothing here panics on any bytes.
//!
//! [`read_head`] and [`is_binary`] serve format detection and the skipping of
//! files that are binary through and through.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

/// Default chunk size: big enough to amortise the per-chunk work, small enough
/// to keep every core busy and memory bounded.
pub const CHUNK_SIZE: usize = 4 << 20;

/// The longest line a chunk grows to hold. A longer line is cut here and its
/// rest arrives in the next chunk, as if it were a line of its own.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// Buffer between the file and a decompressor.
const COMPRESSED_BUF: usize = 256 << 10;

/// How a file's bytes are compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Bzip2,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "plain",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
        }
    }
}

/// Compression of a file from its first bytes.
pub fn sniff_compression(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
        Compression::Bzip2
    } else {
        Compression::None
    }
}

/// Opens `path`, sniffs its compression and returns a reader of its decompressed bytes.
fn open_decoded(path: &Path) -> io::Result<(Compression, Box<dyn Read + Send>)> {
    decode(Box::new(File::open(path)?))
}

/// Sniffs the compression of `raw` from its first bytes and returns a reader
/// of its decompressed bytes (`raw` is read once, from its start: a file or a pipe).
pub fn decode(mut raw: Box<dyn Read + Send>) -> io::Result<(Compression, Box<dyn Read + Send>)> {
    let mut head = [0u8; 4];
    let mut got = 0;
    // A short read is not the end of the file; ask until 4 bytes or EOF.
    while got < head.len() {
        match raw.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let compression = sniff_compression(&head[..got]);
    let raw = io::Cursor::new(head).take(got as u64).chain(raw);
    let inner: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(raw),
        Compression::Gzip => Box::new(Blocks::new(flate2::read::MultiGzDecoder::new(
            BufReader::with_capacity(COMPRESSED_BUF, raw),
        ))),
        Compression::Zstd => Box::new(Blocks::new(zstd::stream::read::Decoder::with_buffer(
            BufReader::with_capacity(COMPRESSED_BUF, raw),
        )?)),
        Compression::Bzip2 => Box::new(Blocks::new(bzip2::read::MultiBzDecoder::new(
            BufReader::with_capacity(COMPRESSED_BUF, raw),
        ))),
    };
    Ok((compression, inner))
}

/// Bytes a decompressor is asked for at a time: what damage may cost of the
/// good data before it. 16 KiB blocks made gzip decoding 10% slower (the
/// inflater's fast loop needs room to write).
const DECODED_BLOCK: usize = 256 << 10;

/// A decompressor read in blocks of [`DECODED_BLOCK`] bytes, whatever size
/// the caller asks for. A decompressor that meets damage returns the error and
/// drops what it decoded in that same call: asked for a whole chunk at once, it
/// lost up to a chunk of good lines before the damage, and how many depended on
/// the chunk size (and the head read for detection could see none of them). In
/// fixed blocks at most one block is lost, the same one for every reader.
struct Blocks<R> {
    inner: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

impl<R: Read> Blocks<R> {
    fn new(inner: R) -> Self {
        Blocks {
            inner,
            buf: vec![0; DECODED_BLOCK].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }
}

impl<R: Read> Read for Blocks<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.start == self.end {
            if out.len() >= DECODED_BLOCK {
                // Straight into the caller's buffer, still one block at a time.
                return self.inner.read(&mut out[..DECODED_BLOCK]);
            }
            self.start = 0;
            self.end = 0;
            self.end = self.inner.read(&mut self.buf)?;
        }
        let n = out.len().min(self.end - self.start);
        out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        self.start += n;
        Ok(n)
    }
}

/// What to tell the user about a read that failed after `done` bytes.
fn describe(compression: Compression, done: u64, e: &io::Error) -> String {
    match (compression, e.kind()) {
        (Compression::None, _) => format!("read error after {done} bytes: {e}"),
        (c, io::ErrorKind::UnexpectedEof) => {
            format!(
                "{} stream truncated after {done} decompressed bytes",
                c.name()
            )
        }
        // zstd says "incomplete frame" (or similar) when its input ends mid-frame.
        (Compression::Zstd, _) if e.to_string().contains("incomplete") => {
            format!("zstd stream truncated after {done} decompressed bytes")
        }
        (c, _) => format!(
            "{} stream damaged after {done} decompressed bytes: {e}",
            c.name()
        ),
    }
}

/// How far past over-long first lines [`read_head`] reads to find lines to sniff.
pub const HEAD_SKIP_LIMIT: u64 = 256 << 20;

/// The first `n` decompressed bytes of a file, for format detection.
///
/// Fewer bytes come back when the file is shorter, or when its compressed
/// stream is damaged early ([`ChunkReader`] reports that damage when the file
/// is read). Only a file that cannot be opened or read at all is an error.
///
/// A first line longer than `n` (a dumped blob, a huge JSON record) says
/// nothing of the file's format, and cut short it looks like no format: then
/// the `n` bytes after it (and after any more such lines, up to
/// [`HEAD_SKIP_LIMIT`] bytes in all) come back instead, starting at a line.
pub fn read_head(path: &Path, n: usize) -> io::Result<(Compression, Vec<u8>)> {
    let (compression, mut inner) = open_decoded(path)?;
    let mut out = Vec::with_capacity(n.min(1 << 20));
    match inner.by_ref().take(n as u64).read_to_end(&mut out) {
        Ok(_) => {}
        Err(e) if compression == Compression::None && out.is_empty() => return Err(e),
        Err(_) => {}
    }
    if n > 0 && out.len() == n && memchr::memchr(b'\n', &out).is_none() && !is_binary(&out) {
        if let Some(after) = after_long_lines(&mut inner, n) {
            out = after;
        }
    }
    Ok((compression, out))
}

/// Reads on to the end of the line under way, and returns the `n` bytes
/// after it; again while those are one unfinished line. `None` when the
/// input ends (or fails) first, or after [`HEAD_SKIP_LIMIT`] bytes.
fn after_long_lines(inner: &mut dyn Read, n: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 64 << 10];
    let mut read = n as u64;
    while read < HEAD_SKIP_LIMIT {
        let got = match inner.read(&mut buf) {
            Ok(0) => return None,
            Ok(got) => got,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        };
        read += got as u64;
        let Some(end) = memchr::memchr(b'\n', &buf[..got]) else {
            continue;
        };
        let mut head = buf[end + 1..got].to_vec();
        head.truncate(n);
        let want = (n - head.len()) as u64;
        let _ = (&mut *inner).take(want).read_to_end(&mut head);
        if head.len() == n && memchr::memchr(b'\n', &head).is_none() {
            // Another over-long line: skip it too.
            read += want;
            continue;
        }
        return (!head.is_empty()).then_some(head);
    }
    None
}

/// True for data that is binary through and through: an executable, an image,
/// an archive, or bytes that are mostly neither text nor padding.
///
/// `head` is the start of the *decompressed* data (8 KiB is plenty). NUL bytes
/// are ignored, because logs cut off by a crash or by `copytruncate` often
/// hold long runs of NUL padding; a text log with some junk in it is not
/// binary (its junk lines are counted when it is parsed).
pub fn is_binary(head: &[u8]) -> bool {
    const MAGIC: &[&[u8]] = &[
        b"\x7fELF",
        b"\x89PNG\r\n\x1a\n",
        b"PK\x03\x04",
        b"PK\x05\x06",
        b"\xff\xd8\xff",
        b"GIF87a",
        b"GIF89a",
        b"%PDF-",
        b"SQLite format 3\0",
        b"\xfd7zXZ\0",
        b"7z\xbc\xaf\x27\x1c",
        b"\xca\xfe\xba\xbe",
        b"\xcf\xfa\xed\xfe",
        b"MZ\x90\0",
        b"Rar!\x1a\x07",
    ];
    if MAGIC.iter().any(|m| head.starts_with(m)) {
        return true;
    }
    let head = &head[..head.len().min(8 << 10)];
    let mut text = 0usize;
    let mut junk = 0usize;
    let mut rest = head;
    loop {
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(s) => (s.as_bytes(), 0),
            Err(e) => {
                let (v, _) = rest.split_at(e.valid_up_to());
                // `None`: a character cut off by the end of the head, not junk.
                (v, e.error_len().unwrap_or(0))
            }
        };
        for &b in valid {
            match b {
                0 => {}
                b'\t' | b'\n' | b'\r' | 0x0c | 0x1b => text += 1,
                0x01..=0x1f | 0x7f => junk += 1,
                _ => text += 1,
            }
        }
        junk += bad;
        let used = valid.len() + bad;
        if bad == 0 || used >= rest.len() {
            break;
        }
        rest = &rest[used..];
    }
    let seen = text + junk;
    // Too little besides NULs to judge: let the parser count the lines.
    seen >= 32 && junk * 10 > seen * 3
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
    /// Decompressed bytes taken from `inner` so far.
    produced: u64,
    /// The longest line a chunk grows to hold ([`MAX_LINE_BYTES`] unless set).
    max_line: usize,
}

impl ChunkReader {
    /// Opens `path` and sniffs its compression. Fails only when the file
    /// cannot be opened or its first bytes cannot be read.
    pub fn open(path: &Path, chunk_size: usize) -> io::Result<ChunkReader> {
        let (compression, inner) = open_decoded(path)?;
        Ok(ChunkReader::from_reader(inner, compression, chunk_size))
    }

    /// A chunk reader over any reader of already decompressed bytes.
    pub fn from_reader(
        inner: Box<dyn Read + Send>,
        compression: Compression,
        chunk_size: usize,
    ) -> ChunkReader {
        ChunkReader {
            inner,
            compression,
            chunk_size: chunk_size.max(1),
            carry: Vec::new(),
            eof: false,
            problem: None,
            produced: 0,
            max_line: MAX_LINE_BYTES,
        }
    }

    /// Changes the longest line a chunk grows to hold (at least the chunk size).
    pub fn set_max_line(&mut self, max_line: usize) {
        self.max_line = max_line.max(self.chunk_size);
    }

    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// What went wrong while reading, if anything (the data before it was delivered).
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// Appends up to `want` bytes from the file to `buf`; fewer only at the end
    /// of the data or on damage (which ends the data).
    fn fill(&mut self, buf: &mut Vec<u8>, want: usize) {
        if self.eof || want == 0 {
            return;
        }
        let before = buf.len();
        buf.reserve(want);
        // read_to_end retries interrupted reads, grows its read size, and keeps
        // the bytes read before an error, which is what a truncated stream needs.
        let res = (&mut self.inner).take(want as u64).read_to_end(buf);
        let got = buf.len() - before;
        self.produced += got as u64;
        match res {
            Ok(_) if got < want => self.eof = true,
            Ok(_) => {}
            Err(e) => {
                self.problem = Some(describe(self.compression, self.produced, &e));
                self.eof = true;
            }
        }
    }

    /// Fills `buf` with the next chunk. Returns false when the data is exhausted.
    pub fn next_chunk(&mut self, buf: &mut Vec<u8>) -> bool {
        buf.clear();
        buf.append(&mut self.carry);
        if buf.len() < self.chunk_size {
            let want = self.chunk_size - buf.len();
            self.fill(buf, want);
        }
        if self.eof {
            return !buf.is_empty();
        }
        if let Some(i) = memchr::memrchr(b'\n', buf) {
            self.cut(buf, i + 1);
            return true;
        }
        // No newline: one line longer than the chunk. Grow until its end, but
        // never past the cap, so a file without newlines cannot exhaust memory.
        while buf.len() < self.max_line {
            let searched = buf.len();
            let want = self.chunk_size.max(1 << 20).min(self.max_line - buf.len());
            self.fill(buf, want);
            // The first newline ends the long line; what follows is the next chunk's.
            if let Some(i) = memchr::memchr(b'\n', &buf[searched..]) {
                self.cut(buf, searched + i + 1);
                return true;
            }
            if self.eof {
                break;
            }
        }
        !buf.is_empty()
    }

    /// Ends the chunk at `end`, keeping the rest for the next one.
    fn cut(&mut self, buf: &mut Vec<u8>, end: usize) {
        self.carry.extend_from_slice(&buf[end..]);
        buf.truncate(end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks_of(data: &[u8], chunk: usize) -> Vec<Vec<u8>> {
        let mut r = ChunkReader::from_reader(
            Box::new(io::Cursor::new(data.to_vec())),
            Compression::None,
            chunk,
        );
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while r.next_chunk(&mut buf) {
            out.push(buf.clone());
        }
        assert!(r.problem().is_none());
        out
    }

    #[test]
    fn sniffs_magic_bytes() {
        assert_eq!(sniff_compression(b"\x1f\x8b\x08\0"), Compression::Gzip);
        assert_eq!(sniff_compression(b"\x28\xb5\x2f\xfd"), Compression::Zstd);
        assert_eq!(sniff_compression(b"BZh9"), Compression::Bzip2);
        // A log line that happens to start with "BZh" is not bzip2.
        assert_eq!(sniff_compression(b"BZh: hello"), Compression::None);
        assert_eq!(sniff_compression(b""), Compression::None);
        assert_eq!(sniff_compression(b"\x1f"), Compression::None);
    }

    #[test]
    fn chunks_end_after_newlines_and_rejoin() {
        let data = b"one\ntwo two\nthree three three\nfour\nlast without newline";
        for size in 1..data.len() + 2 {
            let chunks = chunks_of(data, size);
            assert_eq!(chunks.concat(), data, "chunk size {size}");
            for c in &chunks[..chunks.len() - 1] {
                assert_eq!(c.last(), Some(&b'\n'), "chunk size {size}");
            }
        }
        assert_eq!(chunks_of(data, 10)[0], b"one\n");
        assert_eq!(chunks_of(data, 12)[0], b"one\ntwo two\n");
    }

    /// Everything a reader of `chunk`-byte chunks delivers from `compressed`, and its problem.
    fn decoded(compressed: &[u8], chunk: usize) -> (Vec<u8>, Option<String>) {
        let (c, inner) = decode(Box::new(io::Cursor::new(compressed.to_vec()))).unwrap();
        let mut r = ChunkReader::from_reader(inner, c, chunk);
        let (mut all, mut buf) = (Vec::new(), Vec::new());
        while r.next_chunk(&mut buf) {
            all.extend_from_slice(&buf);
        }
        (all, r.problem().map(str::to_owned))
    }

    #[test]
    fn damaged_gzip_gives_its_good_start_in_any_chunk_size() {
        let data: Vec<u8> = (0..6_000)
            .flat_map(|i| {
                format!("2024-03-01T12:00:00Z INFO line {i:>5} of the log\n").into_bytes()
            })
            .collect();
        // A gzip member whose deflate stream stores the data in blocks of
        // 50,000 bytes, then has a block of the invalid type 3.
        let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        for block in data.chunks(50_000) {
            let len = block.len() as u16;
            gz.push(0); // not final, stored, then aligned
            gz.extend_from_slice(&len.to_le_bytes());
            gz.extend_from_slice(&(!len).to_le_bytes());
            gz.extend_from_slice(block);
        }
        gz.push(0b111); // final, type 3
        gz.extend_from_slice(&[0; 16]);
        let (good, problem) = decoded(&gz, 4 << 20);
        // All but the last block read before the damage comes through.
        assert!(data.starts_with(&good));
        assert!(
            good.len() + DECODED_BLOCK >= data.len(),
            "{} bytes",
            good.len()
        );
        let problem = problem.unwrap_or_default();
        assert!(
            problem.starts_with("gzip stream damaged after"),
            "{problem}"
        );
        for chunk in [1000, 64 << 10] {
            let (got, why) = decoded(&gz, chunk);
            assert_eq!((got.len(), why.as_deref()), (good.len(), Some(&*problem)));
        }
    }

    #[test]
    fn long_line_grows_the_chunk() {
        let mut data = vec![b'x'; 3 << 20];
        data.push(b'\n');
        data.extend_from_slice(b"short\n");
        let chunks = chunks_of(&data, 1000);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].len(), (3 << 20) + 1);
        assert_eq!(chunks[1], b"short\n");
    }

    #[test]
    fn line_past_the_cap_is_cut_and_reading_goes_on() {
        let mut data = vec![b'y'; 2500];
        data.extend_from_slice(b"\nafter\n");
        let mut r = ChunkReader::from_reader(
            Box::new(io::Cursor::new(data.clone())),
            Compression::None,
            100,
        );
        r.set_max_line(1000);
        let mut buf = Vec::new();
        let mut sizes = Vec::new();
        let mut all = Vec::new();
        while r.next_chunk(&mut buf) {
            assert!(buf.len() <= 1000);
            sizes.push(buf.len());
            all.extend_from_slice(&buf);
        }
        assert_eq!(all, data);
        assert_eq!(sizes, [1000, 1000, 501, 6]);
    }

    #[test]
    fn empty_input_gives_no_chunk() {
        assert!(chunks_of(b"", 16).is_empty());
    }

    #[test]
    fn binary_or_text() {
        assert!(is_binary(b"\x7fELF\x02\x01\x01\0\0\0"));
        assert!(is_binary(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
        let text = b"2024-03-01T10:00:00Z INFO started pid=42\n".repeat(100);
        assert!(!is_binary(&text));
        // NUL padding before and inside the text, as after a crash or copytruncate.
        let mut padded = vec![0u8; 6000];
        padded.extend_from_slice(&text);
        assert!(!is_binary(&padded));
        assert!(!is_binary(&[0u8; 8192]));
        // A little junk in a text log is not enough.
        let mut junky = text.clone();
        junky.splice(100..100, (1u8..60).collect::<Vec<_>>());
        assert!(!is_binary(&junky));
        // Latin-1 accents are not junk enough either.
        let latin1 = b"caf\xe9 cr\xe8me br\xfbl\xe9e served\n".repeat(50);
        assert!(!is_binary(&latin1));
        // Pseudo-random bytes (an LCG) are binary.
        let mut x: u32 = 12345;
        let noise: Vec<u8> = (0..8192)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (x >> 16) as u8
            })
            .collect();
        assert!(is_binary(&noise));
    }

    #[test]
    fn utf8_text_is_not_binary() {
        let s = "Größe überschritten — 警告 ✓\n".repeat(400);
        assert!(!is_binary(s.as_bytes()));
        // Cut in the middle of a character at the end of the head.
        assert!(!is_binary(&s.as_bytes()[..8191]));
    }
}
