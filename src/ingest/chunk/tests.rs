use super::*;
use crate::ingest::event::Level;

/// A toy format: lines starting with a digit are entries, `!` marks an error
/// and `i` the level info (no level otherwise), indented lines continue, `?`
/// lines are unparsed.
fn toy<'a>(line: &'a str, rec: &mut Record<'a>) -> Parsed {
    if line.starts_with(' ') {
        rec.exception = line.contains("Exception");
        return Parsed::Continuation;
    }
    if line.starts_with('?') {
        return Parsed::Unparsed;
    }
    rec.time_ns = line.get(..1).and_then(|d| d.parse::<i64>().ok());
    rec.level = if line.contains('!') {
        Level::Error
    } else if line.contains('i') {
        Level::Info
    } else {
        Level::Unknown
    };
    rec.message = line.into();
    Parsed::Entry
}

fn run(chunks: &[&[u8]]) -> ChunkSink {
    let info = FileInfo {
        file: 0,
        default_service: "svc".into(),
        keep_events: true,
        ..Default::default()
    };
    let mut total = ChunkSink::new(info.clone());
    for c in chunks {
        let mut s = ChunkSink::new(info.clone());
        s.run_lines(c, toy);
        total.merge(s);
    }
    total.finish();
    total.flatten();
    total
}

#[test]
fn merging_chunks_equals_one_pass() {
    let text: &[u8] = b"1 a\n2 b\n   at Exception\n?? junk\n\n3 c!\r\n4 d\n   more\n";
    let whole = run(&[text]);
    let split = run(&[&text[..8], &text[8..24], &text[24..]]);
    assert_eq!(whole.events, split.events);
    assert_eq!(whole.examples, split.examples);
    assert_eq!(
        (
            whole.counts.lines,
            whole.counts.entries,
            whole.counts.continuation,
            whole.counts.unparsed,
            whole.counts.blank
        ),
        (8, 4, 2, 1, 1)
    );
    assert_eq!(whole.counts.errors, split.counts.errors);
    assert_eq!(whole.counts.errors, 2, "the stack trace and the `!` line");
    assert_eq!(whole.examples[0].line, 4);
    assert_eq!(whole.events[2].source.line, 6);
    assert_eq!(whole.counts.crlf, 1);
}

#[test]
fn a_stack_trace_does_not_overrule_a_logged_level() {
    let s = run(&[b"1 info\n   at Exception\n2 x\n   at Exception\n"]);
    assert_eq!(s.counts.errors, 1, "only the entry without a level");
    assert!(!s.events[0].is_error() && s.events[1].is_error());
    assert!(s.events[0].flags & flags::EXCEPTION != 0, "still marked");
}

#[test]
fn junk_and_padding_are_counted_not_parsed() {
    let s = run(&[b"1 ok\n\0\0\0\0\x012 after crash\n\x00\x01\x02\x03\x04\x05\n\xff\xfe ok?\n"]);
    assert_eq!(
        s.counts.entries, 3,
        "the line after the NUL padding and the lossy one are read"
    );
    assert_eq!(s.counts.binary_lines, 1);
    assert_eq!(s.counts.invalid_utf8, 1);
}

#[test]
fn overlong_lines_are_reported() {
    let mut long = vec![b'1'; MAX_LINE + 10];
    long.push(b'\n');
    let s = run(&[&long]);
    assert_eq!(
        (s.counts.long_lines, s.counts.unparsed, s.counts.entries),
        (1, 1, 0)
    );
}
