//! One file -> its events and its report.
//!
//! Input: a [`Source`] found by discovery, the run's [`FormatSet`] and
//! options. Output: first a [`Sniffed`] (read once from the file's head: its
//! compression, its format or why it is not parsed, whether its times omit
//! the year), then the file's [`FileReport`] and [`ChunkSink`]: its chunks
//! parsed in parallel and merged in file order, with what went wrong on the
//! way (unreadable, vanished, damaged, changed while read) said in words.

use rayon::prelude::*;

use super::chunk::{ChunkSink, FileInfo, LineCounts};
use super::detect::{self, Detection, FormatSet};
use super::discover::Source;
use super::event::Event;
use super::formats::{FormatContext, FormatKind};
use super::read::{self, ChunkReader, Compression};
use super::spill::Writer;
use super::{chunk, pipe, service, time, FileReport, IngestOptions};

/// Reads one file: sniff, pick a parser, parse its chunks in parallel, merge in order.
pub(super) fn read_file(
    index: u32,
    src: &Source,
    sniffed: &Sniffed,
    (formats, opts, spill): (&FormatSet, &IngestOptions, Option<&Writer>),
    year: Option<i32>,
) -> (FileReport, ChunkSink) {
    let rel = src.path.strip_prefix(&src.root).unwrap_or(&src.path);
    let configured = formats.service_for(rel, &src.path);
    let info = FileInfo {
        file: index,
        force_service: configured.is_some(),
        default_service: configured.unwrap_or_else(|| service::service_for(src)),
        keep_events: opts.keep_events,
        tz: opts.tz.clone(),
        id_patterns: formats.id_patterns(),
    };
    let mut sink = ChunkSink::new(info.clone());
    let mut report = FileReport::new(src);
    let chunk_size = if opts.chunk_size == 0 {
        read::CHUNK_SIZE
    } else {
        opts.chunk_size
    };
    report.compression = sniffed.compression;
    let detection = match &sniffed.detection {
        Ok(d) => d,
        Err((why, format)) => {
            report.skipped = Some(why.clone());
            report.unreadable = format.is_empty();
            report.format = (*format).into();
            return (report, sink);
        }
    };
    report.format = detection.format.name();
    report.confidence = detection.confidence;
    let ctx = FormatContext {
        tz: opts.tz.clone(),
        year: year.unwrap_or_else(|| file_year(src)),
    };
    let parser = formats.parser_at(&detection.format, &ctx, rel, &src.path);
    let piped = sniffed.pipe.lock().ok().and_then(|mut p| p.take());
    let opened = match piped {
        // Opened when sniffed; the head read then is read again from memory.
        Some(inner) => Ok(ChunkReader::from_reader(
            inner,
            sniffed.compression,
            chunk_size,
        )),
        None => ChunkReader::open(&src.path, chunk_size),
    };
    let mut reader = match opened {
        Ok(r) => r,
        Err(e) => {
            report.skipped = Some(unreadable("cannot open", &e));
            report.unreadable = true;
            return (report, sink);
        }
    };
    let mut batch: Vec<Vec<u8>> = Vec::new();
    // Pieces of the file's events spilled so far.
    let mut pieces = 0u32;
    let mut first = Vec::new();
    if !reader.next_chunk(&mut first) {
        report.format = "empty".into();
        report.problem = reader.problem().map(str::to_owned);
        report.changed = changed_while_read(src, &report);
        return (report, sink);
    }
    let threads = rayon::current_num_threads().max(1);
    // Bytes after the last safe cut of the previous chunk (a record split over lines).
    let mut carry: Vec<u8> = Vec::new();
    // Header lines in force at the start of the next chunk (W3C `#Fields:`).
    let mut header: Vec<u8> = Vec::new();
    let push = |batch: &mut Vec<Vec<u8>>, mut buf: Vec<u8>, carry: &mut Vec<u8>| {
        if !carry.is_empty() {
            carry.append(&mut buf);
            buf = std::mem::take(carry);
        }
        let cut = parser.cut_point(&buf);
        if cut == 0 && buf.len() < read::MAX_LINE_BYTES {
            // Nothing but the start of a split record: wait for its end.
            *carry = buf;
            return;
        }
        if cut > 0 && cut < buf.len() {
            *carry = buf.split_off(cut);
        }
        batch.push(buf);
    };
    push(&mut batch, first, &mut carry);
    loop {
        // Fill a batch of chunks, then parse them on all cores and merge in order.
        let mut more = true;
        while batch.len() < 2 * threads {
            let mut buf = Vec::new();
            if !reader.next_chunk(&mut buf) {
                more = false;
                if !carry.is_empty() {
                    batch.push(std::mem::take(&mut carry));
                }
                break;
            }
            push(&mut batch, buf, &mut carry);
        }
        let batch_bytes = batch.iter().map(|b| b.len() as u64).sum::<u64>();
        report.bytes += batch_bytes;
        if let Some(p) = &opts.progress {
            // Plain files advance by what was read; compressed ones when done.
            let disk = if report.compression == Compression::None {
                batch_bytes
            } else {
                0
            };
            p.read(disk, batch_bytes);
        }
        // In file order: the header each chunk starts under.
        let starts: Vec<Vec<u8>> = batch
            .iter()
            .map(|chunk| {
                let at_start = header.clone();
                if let Some(after) = parser.header_after(chunk, &header) {
                    header = after;
                }
                at_start
            })
            .collect();
        let sinks: Vec<ChunkSink> = batch
            .par_iter()
            .zip(&starts)
            .map(|(chunk, start)| {
                let mut s = ChunkSink::for_chunk(info.clone(), chunk);
                parser.parse_chunk_under(start, chunk, &mut s);
                if info.keep_events {
                    s.symbols.group_for_merge();
                }
                s
            })
            .collect();
        for s in sinks {
            sink.merge(s);
        }
        if let Some(w) = spill {
            spill_done(&mut sink, w, index, &mut pieces);
        }
        batch.clear();
        if !more {
            break;
        }
    }
    report.problem = reader.problem().map(str::to_owned);
    report.changed = changed_while_read(src, &report);
    sink.finish();
    if let Some(w) = spill {
        spill_rest(&mut sink, w, index, &mut pieces);
    }
    report.fill(&sink, detection.format == FormatKind::Unknown);
    (report, sink)
}

/// The key of a file's `piece`-th spilled piece: in input order.
fn piece_key(file: u32, piece: &mut u32) -> u64 {
    *piece += 1;
    u64::from(file) << 32 | u64::from(*piece - 1)
}

/// Spills the pieces of `sink` that no later chunk can change: all but the
/// last one that holds events (the next chunk's leading continuation lines
/// may still join its last entry). Their lines are made 1-based here, as
/// [`ChunkSink::finish`] does for the rest.
fn spill_done(sink: &mut ChunkSink, w: &Writer, file: u32, piece: &mut u32) {
    let Some(last) = sink.parts.iter().rposition(|p| !p.1.is_empty()) else {
        return;
    };
    let one_based = |events: &mut [Event]| events.iter_mut().for_each(|e| e.source.line += 1);
    if !sink.events.is_empty() {
        one_based(&mut sink.events);
        w.chunk(piece_key(file, piece), &sink.symbols, &sink.events);
        sink.events = Vec::new();
    }
    for (symbols, mut events) in sink.parts.drain(..last) {
        one_based(&mut events);
        w.chunk(piece_key(file, piece), &symbols, &events);
    }
}

/// Spills every piece left in `sink`, its lines already 1-based.
fn spill_rest(sink: &mut ChunkSink, w: &Writer, file: u32, piece: &mut u32) {
    if !sink.events.is_empty() {
        w.chunk(piece_key(file, piece), &sink.symbols, &sink.events);
        sink.events = Vec::new();
    }
    for (symbols, events) in sink.parts.drain(..) {
        w.chunk(piece_key(file, piece), &symbols, &events);
    }
}

/// Why a file could not be read, in words: a file deleted after discovery
/// found it is "vanished", not an empty log.
fn unreadable(what: &str, e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::NotFound {
        "vanished: deleted after it was found".to_owned()
    } else {
        format!("{what}: {e}")
    }
}

/// How a file changed while it was read, if it did: deleted (what was there
/// was read), grew (still written to: read up to where it was), shrank
/// (truncated or rotated). A plain file's size is checked against the bytes
/// read, a compressed one's against its size now.
fn changed_while_read(src: &Source, report: &FileReport) -> Option<String> {
    if src.piped {
        return None;
    }
    let now = match std::fs::metadata(&src.path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Some("deleted while it was read (what was there was read)".to_owned())
        }
        Err(_) => return None,
    };
    let seen = if report.compression == Compression::None && report.problem.is_none() {
        report.bytes
    } else {
        now
    };
    let was = src.size;
    match seen.cmp(&was) {
        std::cmp::Ordering::Equal => None,
        std::cmp::Ordering::Greater => Some(format!(
            "grew from {was} to {seen} bytes while it was read (still written to)"
        )),
        std::cmp::Ordering::Less => Some(format!(
            "shrank from {was} to {seen} bytes while it was read (truncated or rotated)"
        )),
    }
}

/// What a file's first decompressed bytes say: read once per file, and used
/// both to order the files (year-less ones last) and to read them. The head
/// itself is not kept, so memory does not grow with the number of files.
pub(super) struct Sniffed {
    compression: Compression,
    /// The format, or why the file is not parsed at all (unreadable, binary).
    detection: Result<Detection, (String, &'static str)>,
    /// The file's times omit the year (syslog, glog): read it after the others.
    pub(super) needs_year: bool,
    /// A piped input, opened to sniff it: all its decompressed bytes, the
    /// head included, taken by [`read_file`].
    pipe: std::sync::Mutex<Option<Box<dyn std::io::Read + Send>>>,
    /// The copy of a piped input, with [`IngestOptions::copy_pipes`].
    pub(super) copy: Option<tempfile::TempPath>,
}

/// Reads the head of `src` and detects its format. Detection and the binary
/// check look at the same decompressed head whatever the chunk size, so they
/// do not depend on how the file is cut.
pub(super) fn sniff(src: &Source, formats: &FormatSet, opts: &IngestOptions) -> Sniffed {
    let (mut pipe, mut copy) = (None, None);
    let head = if src.piped {
        pipe::open(&src.path, detect::HEAD_BYTES, opts.copy_pipes).map(|p| {
            (pipe, copy) = (Some(p.reader), p.copy);
            (p.compression, p.head)
        })
    } else {
        read::read_head(&src.path, detect::HEAD_BYTES)
    };
    let (compression, head) = match head {
        Ok(h) => h,
        Err(e) => {
            return Sniffed {
                compression: Compression::None,
                detection: Err((unreadable("cannot read", &e), "")),
                needs_year: false,
                pipe: Default::default(),
                copy: None,
            }
        }
    };
    let detection = if read::is_binary(&head) {
        Err(("binary file (not text, not compressed)".into(), "binary"))
    } else {
        let rel = src.path.strip_prefix(&src.root).unwrap_or(&src.path);
        Ok(formats.detect_at(rel, &src.path, &head))
    };
    let needs_year = match &detection {
        Ok(d) => opts.year.is_none() && needs_year(&d.format, &head, formats, opts),
        Err(_) => false,
    };
    Sniffed {
        compression,
        detection,
        needs_year,
        pipe: std::sync::Mutex::new(pipe),
        copy,
    }
}

/// True when the file's times omit the year: its first entries read differently
/// in two different years.
fn needs_year(kind: &FormatKind, head: &[u8], formats: &FormatSet, opts: &IngestOptions) -> bool {
    let in_year = |year| {
        let ctx = FormatContext {
            tz: opts.tz.clone(),
            year,
        };
        let parser = formats.parser(kind, &ctx);
        let mut sink = ChunkSink::new(FileInfo {
            keep_events: true,
            ..Default::default()
        });
        let lines = head
            .split_inclusive(|&b| b == b'\n')
            .take(32)
            .flatten()
            .copied()
            .collect::<Vec<u8>>();
        parser.parse_chunk(&lines, &mut sink);
        sink.events.iter().map(|e| e.time_ns).collect::<Vec<_>>()
    };
    in_year(2001) != in_year(2002)
}

/// The year a file was last written; for a piped input, this year (it is
/// being written now).
fn file_year(src: &Source) -> i32 {
    let modified = if src.piped {
        Some(std::time::SystemTime::now())
    } else {
        std::fs::metadata(&src.path).and_then(|m| m.modified()).ok()
    };
    let secs = modified
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs() as i64);
    time::civil_from_days(secs.div_euclid(86_400)).0 as i32
}

impl FileReport {
    pub(super) fn new(src: &Source) -> FileReport {
        FileReport {
            path: src.display.clone(),
            stream: src.stream.clone(),
            compression: Compression::None,
            size: src.size,
            bytes: 0,
            format: String::new(),
            confidence: 0.0,
            skipped: None,
            problem: None,
            changed: None,
            unreadable: false,
            named: src.root == src.path && !src.piped,
            counts: LineCounts::default(),
            unparsed_examples: Vec::new(),
            first: None,
            last: None,
            first_ns: None,
            last_ns: None,
            services: Vec::new(),
            id_fields: Vec::new(),
            requests: chunk::StatusClasses::default(),
            durations: Vec::new(),
        }
    }

    pub(super) fn fill(&mut self, s: &ChunkSink, unknown: bool) {
        self.counts = s.counts;
        self.unparsed_examples = s.examples.clone();
        if unknown {
            for ex in &mut self.unparsed_examples {
                ex.reason = "no known format";
            }
        }
        self.first_ns = s.time_min;
        self.last_ns = s.time_max;
        self.first = s.time_min.map(time::format_rfc3339_ms);
        self.last = s.time_max.map(time::format_rfc3339_ms);
        let mut services: Vec<(String, u64)> = s
            .services
            .iter()
            .map(|(sym, c)| (s.symbols.get(*sym).to_owned(), *c))
            .collect();
        services.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        self.services = services;
        let mut ids: Vec<(String, u64)> =
            s.id_fields.iter().map(|(k, c)| (k.clone(), *c)).collect();
        ids.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        self.id_fields = ids;
        self.requests = s.statuses;
        let mut durations = s.durations.clone();
        durations.sort_by(|a, b| {
            (b.count, &a.field, a.unit, a.basis).cmp(&(a.count, &b.field, b.unit, b.basis))
        });
        self.durations = durations;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(path: &std::path::Path, size: u64) -> Source {
        Source {
            path: path.to_path_buf(),
            display: "x.log".into(),
            root: path.parent().unwrap().to_path_buf(),
            stream: "x.log".into(),
            rotation: 0,
            size,
            piped: false,
        }
    }

    #[test]
    fn a_file_that_changed_while_read_says_how() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.log");
        std::fs::write(&path, "0123456789").unwrap();
        let src = source(&path, 10);
        let mut report = FileReport::new(&src);
        report.bytes = 10;
        assert_eq!(changed_while_read(&src, &report), None);
        report.bytes = 25;
        let grew = changed_while_read(&src, &report).unwrap();
        assert!(grew.starts_with("grew from 10 to 25 bytes"), "{grew}");
        report.bytes = 4;
        let shrank = changed_while_read(&src, &report).unwrap();
        assert!(shrank.starts_with("shrank from 10 to 4 bytes"), "{shrank}");
        // A compressed file is measured on disk.
        report.compression = Compression::Gzip;
        assert_eq!(changed_while_read(&src, &report), None);
        std::fs::remove_file(&path).unwrap();
        let gone = changed_while_read(&src, &report).unwrap();
        assert!(gone.starts_with("deleted while it was read"), "{gone}");
    }

    #[test]
    fn a_file_deleted_before_it_was_read_is_vanished_not_empty() {
        let e = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(
            unreadable("cannot read", &e),
            "vanished: deleted after it was found"
        );
        let e = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(unreadable("cannot open", &e).starts_with("cannot open: "));
    }
}
