//! One corpus in every compression format -> the same chunks' bytes; damaged
//! and random input -> the decoded prefix and a problem, never a panic.

use std::io::Write;
use std::path::{Path, PathBuf};

use logtrace::ingest::read::{is_binary, read_head, ChunkReader, Compression};

/// A few thousand log lines of varied length, with CRLF, a blank line and no final newline.
fn corpus() -> Vec<u8> {
    let mut out = Vec::new();
    let mut noise = Noise(7);
    for i in 0..4000u32 {
        // Letters from noise, so bzip2 needs several blocks for the corpus.
        let pad: String = (0..(i as usize * 7919) % 300)
            .map(|_| (b'a' + (noise.next() % 26) as u8) as char)
            .collect();
        match i % 5 {
            0 => writeln!(
                out,
                "2024-03-01T10:{:02}:00Z INFO request id={i} {pad}",
                i % 60
            ),
            1 => writeln!(out, "{{\"ts\":{i},\"msg\":\"hello {pad}\"}}"),
            2 => write!(
                out,
                "10.0.0.{} - - \"GET /a/{i} HTTP/1.1\" 200 {i}\r\n",
                i % 255
            ),
            3 => writeln!(out),
            _ => writeln!(out, "\tat com.example.Foo.bar(Foo.java:{i}) {pad}"),
        }
        .unwrap();
    }
    out.extend_from_slice(b"last line without newline");
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

/// Fast = 100 kB blocks, so a cut file still holds whole blocks to decode.
fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// `data` cut into `parts` pieces, each compressed alone, concatenated.
fn multi(data: &[u8], parts: usize, f: fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let step = data.len().div_ceil(parts);
    data.chunks(step).flat_map(f).collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// All chunks of a file, and the reader's problem.
fn read_all(path: &Path, chunk: usize) -> (Vec<Vec<u8>>, Option<String>, Compression) {
    let mut r = ChunkReader::open(path, chunk).unwrap();
    let mut buf = Vec::new();
    let mut chunks = Vec::new();
    while r.next_chunk(&mut buf) {
        chunks.push(buf.clone());
    }
    (chunks, r.problem().map(str::to_string), r.compression())
}

fn assert_aligned(chunks: &[Vec<u8>], what: &str) {
    for (i, c) in chunks.iter().enumerate() {
        assert!(!c.is_empty(), "{what}: chunk {i} is empty");
        if i + 1 < chunks.len() {
            assert_eq!(
                c.last(),
                Some(&b'\n'),
                "{what}: chunk {i} does not end a line"
            );
        }
    }
}

fn every_format(dir: &Path, data: &[u8]) -> Vec<(PathBuf, Compression)> {
    vec![
        (write(dir, "plain.log", data), Compression::None),
        // Names lie: compression comes from the bytes.
        (write(dir, "gzip.log", &gzip(data)), Compression::Gzip),
        (
            write(dir, "multi.gz", &multi(data, 7, gzip)),
            Compression::Gzip,
        ),
        (write(dir, "z.log", &zstd(data)), Compression::Zstd),
        (
            write(dir, "multi.zst", &multi(data, 3, zstd)),
            Compression::Zstd,
        ),
        (write(dir, "b.bz2", &bzip2(data)), Compression::Bzip2),
        (
            write(dir, "multi.bz2", &multi(data, 4, bzip2)),
            Compression::Bzip2,
        ),
    ]
}

#[test]
fn every_compression_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let data = corpus();
    for (path, compression) in every_format(dir.path(), &data) {
        for chunk in [64 << 10, 4 << 20] {
            let (chunks, problem, found) = read_all(&path, chunk);
            let what = format!("{} at chunk size {chunk}", path.display());
            assert_eq!(found, compression, "{what}");
            assert_eq!(problem, None, "{what}");
            assert_aligned(&chunks, &what);
            assert_eq!(chunks.concat(), data, "{what}");
            if chunk == 64 << 10 {
                assert!(chunks.len() > 5, "{what}: {} chunks", chunks.len());
            }
        }
        let (c, head) = read_head(&path, 100).unwrap();
        assert_eq!(c, compression);
        assert_eq!(head, &data[..100]);
        assert!(!is_binary(&read_head(&path, 8192).unwrap().1));
    }
}

#[test]
fn tiny_chunks_reproduce_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let data = &corpus()[..20_000];
    for (path, _) in every_format(dir.path(), data) {
        for chunk in [1, 2, 3, 17, 100, 333] {
            let (chunks, problem, _) = read_all(&path, chunk);
            let what = format!("{} at chunk size {chunk}", path.display());
            assert_eq!(problem, None, "{what}");
            assert_aligned(&chunks, &what);
            assert_eq!(chunks.concat(), data, "{what}");
        }
    }
}

#[test]
fn five_mib_line_in_64_kib_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = b"first\n".to_vec();
    data.extend(std::iter::repeat_n(b'L', 5 << 20));
    data.extend_from_slice(b"\nsecond\nthird\n");
    for (path, _) in [
        (write(dir.path(), "plain", &data), ()),
        (write(dir.path(), "gz", &gzip(&data)), ()),
    ] {
        let (chunks, problem, _) = read_all(&path, 64 << 10);
        assert_eq!(problem, None);
        assert_aligned(&chunks, "long line");
        assert_eq!(chunks.concat(), data);
        // The long line arrives whole, in one chunk.
        let long = chunks.iter().find(|c| c.len() > 64 << 10).unwrap();
        assert!(long.ends_with(b"L\n"));
        assert_eq!(long.iter().filter(|&&b| b == b'L').count(), 5 << 20);
        assert!(chunks.iter().all(|c| c.len() <= (5 << 20) + (1 << 20)));
    }
}

#[test]
fn truncated_streams_give_the_decoded_prefix_and_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let data = corpus();
    for (name, whole) in [
        ("gzip", gzip(&data)),
        ("gzip", multi(&data, 3, gzip)),
        ("zstd", zstd(&data)),
        ("bzip2", bzip2(&data)),
    ] {
        let cut = &whole[..whole.len() * 2 / 3];
        let path = write(dir.path(), "cut", cut);
        let (chunks, problem, _) = read_all(&path, 64 << 10);
        let got = chunks.concat();
        let problem = problem.unwrap_or_else(|| panic!("{name}: no problem reported"));
        assert!(
            problem.starts_with(&format!("{name} stream truncated after {} ", got.len())),
            "{name}: {problem}"
        );
        // Most of what precedes the cut is decoded, and it is the true prefix.
        assert!(
            got.len() > data.len() / 3,
            "{name}: only {} bytes",
            got.len()
        );
        assert!(got.len() < data.len(), "{name}");
        assert_eq!(&data[..got.len()], &got[..], "{name}");
        // read_head gives the prefix too rather than failing.
        let (_, head) = read_head(&path, 1000).unwrap();
        assert_eq!(head, &data[..1000]);
    }
}

#[test]
fn trailing_garbage_after_gzip_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let data = corpus();
    let mut bytes = gzip(&data);
    bytes.extend_from_slice(b"this is not gzip\n");
    let (chunks, problem, _) = read_all(&write(dir.path(), "g", &bytes), 1 << 20);
    assert_eq!(chunks.concat(), data);
    let problem = problem.unwrap();
    assert!(
        problem.starts_with("gzip stream damaged after"),
        "{problem}"
    );
}

#[test]
fn a_missing_file_is_an_open_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = ChunkReader::open(&dir.path().join("nope"), 1024)
        .err()
        .unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(read_head(&dir.path().join("nope"), 10).is_err());
    // A folder opens on Linux but cannot be read.
    assert!(read_head(dir.path(), 10).is_err());
}

/// xorshift64*: reproducible noise without a dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn random_and_mutated_bytes_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    let data = &corpus()[..30_000];
    let formats = [gzip(data), multi(data, 2, gzip), zstd(data), bzip2(data)];
    let path = dir.path().join("f");
    for round in 0..300 {
        let bytes = match round % 3 {
            // Pure noise, sometimes behind a compression magic.
            0 => {
                let n = (noise.next() % 5000) as usize;
                let mut b = noise.bytes(n);
                let magic: &[u8] = match round % 4 {
                    0 => b"\x1f\x8b\x08",
                    1 => b"\x28\xb5\x2f\xfd",
                    2 => b"BZh9",
                    _ => b"",
                };
                b.splice(0..0, magic.iter().copied());
                b
            }
            // A valid stream with a few bytes flipped.
            1 => {
                let mut b = formats[round % formats.len()].clone();
                for _ in 0..1 + noise.next() % 4 {
                    let i = (noise.next() % b.len() as u64) as usize;
                    b[i] ^= 1 << (noise.next() % 8);
                }
                b
            }
            // A valid stream cut anywhere.
            _ => {
                let b = &formats[round % formats.len()];
                b[..(noise.next() % b.len() as u64) as usize].to_vec()
            }
        };
        std::fs::write(&path, &bytes).unwrap();
        let chunk = 1 + (noise.next() % 3000) as usize;
        let (chunks, _, _) = read_all(&path, chunk);
        assert_aligned(&chunks, &format!("round {round}"));
        let _ = read_head(&path, 8192).map(|(_, h)| is_binary(&h));
        let _ = is_binary(&bytes);
    }
}

#[test]
fn random_bytes_are_binary_but_a_log_with_junk_is_not() {
    let mut noise = Noise(42);
    assert!(is_binary(&noise.bytes(8192)));
    let mut log = corpus()[..8192].to_vec();
    log.splice(3000..3000, noise.bytes(400));
    log.splice(5000..5000, std::iter::repeat_n(0u8, 2000));
    assert!(!is_binary(&log));
}
