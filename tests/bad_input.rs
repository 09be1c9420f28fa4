//! Bad input is data: random bytes, mutated real lines, truncated and padded
//! files are counted and reported, never a panic, never lost.

mod common;

use std::fs;

use logtrace::ingest::{ingest, IngestOptions};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Lines of every family, for mutation.
const SEEDS: &[&str] = &[
    r#"10.0.0.1 - - [07/Feb/2020:11:48:51 +0000] "GET /a/1?x=2 HTTP/1.1" 200 59 "-" "curl/7.54.0" 0.012 0.010 529a007902362a5f51385a5fa7049884"#,
    r#"{"ts":"2024-03-01T12:00:00.123Z","level":"error","msg":"boom \"x\"","request_id":"abc","duration_ms":12.5,"http":{"status":503}}"#,
    r#"time=2024-03-01T12:00:00Z level=info msg="done in 12ms" request_id=abc status=200 path=/x"#,
    "2024-03-01 12:00:00,123 ERROR [main] c.e.App - failed TraceID: abcdef SpanID: 0123",
    "\tat com.example.App.main(App.java:12)",
    r#"{"log":"16:49:08.656 INFO  c.c.Ctl#67 TraceID: e107c4d2 msg\n","stream":"stdout","time":"2023-01-29T08:49:08.656972722Z"}"#,
    r#"2022-08-22T05:18:19.394320402Z stdout F {"message":"TraceID: 2bbb SpanID: ec9e x","severity":"info"}"#,
    "Mar  1 12:00:00 host sshd[123]: Accepted password for root",
];

fn mutate(rng: &mut Rng, line: &str) -> Vec<u8> {
    let mut b = line.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(5) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] = rng.next() as u8;
            }
            1 if !b.is_empty() => {
                let i = rng.below(b.len());
                b.truncate(i);
            }
            2 => {
                let i = rng.below(b.len() + 1);
                b.insert(
                    i,
                    [b'"', b'\\', b'{', b'}', 0, 0xff, b'=', b':'][rng.below(8)],
                );
            }
            3 if b.len() > 2 => {
                let i = rng.below(b.len() - 1);
                b.remove(i);
            }
            _ => {
                let i = rng.below(b.len() + 1);
                let dup = b[i..].to_vec();
                b.extend_from_slice(&dup);
            }
        }
    }
    b
}

#[test]
fn random_and_mutated_bytes_never_panic_and_every_line_is_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for f in 0..SEEDS.len() * 3 {
        let mut data = Vec::new();
        let seed = SEEDS[f % SEEDS.len()];
        for _ in 0..400 {
            if rng.below(10) == 0 {
                for _ in 0..rng.below(300) {
                    data.push(rng.next() as u8);
                }
            } else if rng.below(3) == 0 {
                data.extend_from_slice(&mutate(&mut rng, seed));
            } else {
                data.extend_from_slice(seed.as_bytes());
            }
            data.push(b'\n');
        }
        fs::write(dir.path().join(format!("f{f}.log")), &data).unwrap();
    }
    let opts = IngestOptions {
        keep_events: true,
        chunk_size: 1 << 12,
        ..Default::default()
    };
    let got = ingest(&[dir.path().to_path_buf()], &opts).unwrap();
    assert_eq!(got.files.len(), SEEDS.len() * 3);
    for f in &got.files {
        if f.skipped.is_none() {
            assert_eq!(
                f.counts.entries + f.counts.continuation + f.counts.unparsed + f.counts.blank,
                f.counts.lines,
                "lines lost in {}",
                f.path
            );
        }
    }
}

#[test]
fn truncated_last_line_crlf_and_nul_padding_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = Vec::new();
    data.extend_from_slice(b"2024-03-01T12:00:00Z INFO first\r\n");
    data.extend_from_slice(&[0u8; 4096]);
    data.extend_from_slice(b"2024-03-01T12:00:01Z INFO after the crash\n");
    data.extend_from_slice(b"2024-03-01T12:00:02Z ERROR trunc");
    fs::write(dir.path().join("app.log"), &data).unwrap();
    let got = ingest(&[dir.path().to_path_buf()], &IngestOptions::default()).unwrap();
    let f = &got.files[0];
    assert_eq!(f.format, "text");
    assert_eq!(
        (f.counts.lines, f.counts.entries, f.counts.crlf),
        (3, 3, 1),
        "{f:?}"
    );
    assert_eq!(f.counts.errors, 1);
}

/// A first line longer than the head detection reads (a dumped blob) used to
/// make the whole file "unknown": 1,200 good lines lost. It is skipped, the
/// lines after it decide the format, and it is counted as unparsed.
#[test]
fn an_over_long_first_line_does_not_hide_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let good = |k: usize| {
        format!(
            r#"{{"ts":"2024-03-01T12:{:02}:{:02}.000Z","level":"info","msg":"ok","request_id":"r{k}","status":200,"duration_ms":5}}"#,
            k / 60 % 60,
            k % 60
        )
    };
    for (name, blobs) in [("one.log", 1), ("three.log", 3)] {
        let mut data = Vec::new();
        for b in 0..blobs {
            // 100 KiB and more of one line, longer than the 64 KiB head.
            data.extend(std::iter::repeat_n(b'x', (100 << 10) + b * 70_000));
            data.push(b'\n');
        }
        for k in 0..1200 {
            data.extend_from_slice(good(k).as_bytes());
            data.push(b'\n');
        }
        let path = dir.path().join(name);
        fs::write(&path, &data).unwrap();
        let got = ingest(&[path], &IngestOptions::default()).unwrap();
        let f = &got.files[0];
        assert_eq!(f.format, "json", "{name}: {f:?}");
        assert_eq!(f.counts.entries, 1200, "{name}: {f:?}");
        assert_eq!(f.counts.lines, 1200 + blobs as u64, "{name}");
    }
}
