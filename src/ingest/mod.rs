//! Paths -> events: everything between a folder of logs and the analysis.
//!
//! Stages, each in its own module: [`discover`] finds files and rotation sets,
//! [`read`] decompresses and cuts newline-aligned chunks ([`pipe`] opens the
//! inputs that can be read only once, standard input among them), [`detect`] picks each
//! file's format from its first lines, [`formats`] parse lines into
//! [`event::Record`]s ([`line`] holds what a parser says about a line), [`chunk`]
//! turns records into compact [`event::Event`]s, with the config's [`ids`]
//! patterns applied, and counts what could not be read. [`ingest`] runs them: files in parallel, and
//! the chunks of a large file in parallel too, merged back in file order so the
//! result never depends on the thread count; [`file`] reads one file.

pub mod chunk;
pub mod detect;
pub mod discover;
pub mod event;
mod file;
pub mod formats;
pub mod ids;
pub mod line;
pub mod operation;
pub mod pipe;
pub mod progress;
pub mod read;
pub mod reread;
pub mod service;
pub mod spill;
pub mod symbols;
pub mod time;

use std::path::PathBuf;

use rayon::prelude::*;

use crate::config::{Config, ConfigError};
use chunk::{BadLine, ChunkSink, LineCounts};
use detect::FormatSet;
use discover::{DiscoverOptions, FileProblem};
use event::{Event, Symbols};
use file::{read_file, sniff, Sniffed};
use read::Compression;

/// How to read the input.
#[derive(Clone, Debug, Default)]
pub struct IngestOptions {
    pub discover: DiscoverOptions,
    pub config: Config,
    /// Zone of times written without one; `None` is UTC.
    pub tz: Option<jiff::tz::TimeZone>,
    /// Year for formats that omit it; `None` takes each file's modification year.
    pub year: Option<i32>,
    /// Keep the events (for the analysis) or only count them (for `inspect`).
    pub keep_events: bool,
    /// Bytes per chunk; 0 means [`read::CHUNK_SIZE`].
    pub chunk_size: usize,
    /// Counters to update while reading, for a progress display.
    pub progress: Option<std::sync::Arc<progress::Progress>>,
    /// Keep a copy of each piped input (standard input, a FIFO) in a
    /// temporary file while reading it, so its lines can be read again
    /// (`trace` shows them); see [`Ingested::pipe_copies`].
    pub copy_pipes: bool,
    /// Write the events to temporary files, by part of the correlation
    /// keys, instead of keeping them in memory ([`spill`]): with
    /// `keep_events`, [`Ingested::spilled`] holds them, and
    /// [`Ingested::events`] stays empty.
    pub spill: Option<SpillTo>,
}

/// Where and into how many parts to spill the events.
#[derive(Clone, Debug)]
pub struct SpillTo {
    /// An empty folder the run owns (removed with the spilled events).
    pub dir: PathBuf,
    pub parts: u32,
}

/// The events of a run, spilled, and the names they share.
pub struct Spill {
    pub events: spill::Spilled,
    pub names: spill::Names,
}

impl std::fmt::Debug for Spill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spill")
            .field("parts", &self.events.parts())
            .finish()
    }
}

/// What reading one file gave.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FileReport {
    /// The path as shown to the user.
    pub path: String,
    /// The rotation stream the file belongs to.
    pub stream: String,
    pub compression: Compression,
    /// Size on disk.
    pub size: u64,
    /// Bytes after decompression.
    pub bytes: u64,
    pub format: String,
    /// Share of sniffed lines that matched the format (0..=1).
    pub confidence: f64,
    /// Why the file was not parsed at all (binary, unreadable).
    pub skipped: Option<String>,
    /// Damage met while reading (truncated compressed stream, read error).
    pub problem: Option<String>,
    /// How the file changed while it was read: grew (still written to),
    /// shrank (truncated), deleted.
    pub changed: Option<String>,
    /// The file could not be read at all (unreadable, vanished), as opposed
    /// to read and found not to be logs (binary).
    #[serde(skip)]
    pub unreadable: bool,
    /// The user named this file on the command line.
    #[serde(skip)]
    pub named: bool,
    /// Lines, events, continuation and unparsed lines, damage (JSON: flat fields).
    #[serde(flatten)]
    pub counts: LineCounts,
    pub unparsed_examples: Vec<BadLine>,
    /// First and last time, RFC 3339 UTC.
    pub first: Option<String>,
    pub last: Option<String>,
    #[serde(skip)]
    pub first_ns: Option<i64>,
    #[serde(skip)]
    pub last_ns: Option<i64>,
    /// Entries per service.
    pub services: Vec<(String, u64)>,
    /// Entries that carried a correlation id, per field name it came from.
    pub id_fields: Vec<(String, u64)>,
    /// Entries with an HTTP status, by class.
    pub requests: chunk::StatusClasses,
    /// Entries with a duration: the field each came from, its unit and how
    /// the unit was known (most entries first).
    pub durations: Vec<chunk::DurationField>,
}

/// Everything read from the input.
#[derive(Debug, Default)]
pub struct Ingested {
    pub files: Vec<FileReport>,
    /// Paths that could not be used at all (reported, not read).
    pub problems: Vec<FileProblem>,
    /// All events in file order, then line order (only with `keep_events`).
    pub events: Vec<Event>,
    pub symbols: Symbols,
    /// With [`IngestOptions::copy_pipes`]: per piped input (by its index in
    /// `files`), the temporary copy of its bytes; removed when dropped.
    pub pipe_copies: Vec<(u32, tempfile::TempPath)>,
    /// Config entries whose `files` match no file of the input.
    pub config_warnings: Vec<String>,
    /// With [`IngestOptions::spill`]: the events, by part.
    pub spilled: Option<Spill>,
}

impl Ingested {
    /// Paths the user named that could not be read at all, each with why
    /// (`report` and `inspect` exit 2 when there are any).
    pub fn unread_named(&self) -> Vec<String> {
        let problems = self.problems.iter().filter(|p| p.named);
        let files = self.files.iter().filter(|f| f.named && f.unreadable);
        problems
            .map(|p| format!("{} ({})", p.path, p.reason))
            .chain(
                files.map(|f| format!("{} ({})", f.path, f.skipped.as_deref().unwrap_or_default())),
            )
            .collect()
    }
}

/// A failure that stops the run: the user has to change something.
#[derive(Debug)]
pub enum IngestError {
    Config(ConfigError),
    Path(String),
    /// Writing the events to the temporary folder failed.
    Spill(String),
}

impl std::fmt::Display for IngestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IngestError::Config(e) => write!(f, "{e}"),
            IngestError::Path(e) => f.write_str(e),
            IngestError::Spill(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for IngestError {}

/// Reads every log file under `paths`.
pub fn ingest(paths: &[PathBuf], opts: &IngestOptions) -> Result<Ingested, IngestError> {
    let mut clock = crate::timing::Clock::nested(1);
    let formats = FormatSet::from_config(&opts.config).map_err(IngestError::Config)?;
    let found =
        discover::discover(paths, &opts.discover).map_err(|e| IngestError::Path(e.to_string()))?;
    if let Some(p) = &opts.progress {
        p.start(
            found.sources.len() as u64,
            found.sources.iter().map(|s| s.size).sum(),
        );
    }
    // Files whose times omit the year (syslog, glog) are read last, in the
    // year the other files end in: logs copied after an incident rarely keep
    // their modification times.
    let writer = match &opts.spill {
        Some(to) if opts.keep_events => {
            Some(spill::Writer::create(&to.dir, to.parts).map_err(|e| spill_failed(&to.dir, &e))?)
        }
        _ => None,
    };
    let sniffed: Vec<Sniffed> = found
        .sources
        .par_iter()
        .map(|src| sniff(src, &formats, opts))
        .collect();
    let read = |pick: bool, year: Option<i32>| -> Vec<(usize, (FileReport, ChunkSink))> {
        found
            .sources
            .par_iter()
            .enumerate()
            .filter(|(i, _)| sniffed[*i].needs_year == pick)
            .map(|(i, src)| {
                let read = read_file(
                    i as u32,
                    src,
                    &sniffed[i],
                    (&formats, opts, writer.as_ref()),
                    year,
                );
                if let Some(p) = &opts.progress {
                    // What was not counted while reading: compressed or skipped bytes.
                    let counted = if read.0.compression == Compression::None {
                        read.0.bytes
                    } else {
                        0
                    };
                    p.file_done(src.size.saturating_sub(counted));
                }
                (i, read)
            })
            .collect()
    };
    let mut per_file = read(false, opts.year);
    let latest = per_file.iter().filter_map(|(_, (r, _))| r.last_ns).max();
    let year =
        opts.year.or(latest
            .map(|ns| time::civil_from_days(ns.div_euclid(86_400 * time::NS_PER_SEC)).0 as i32));
    per_file.extend(read(true, year));
    per_file.sort_by_key(|(i, _)| *i);
    let pipe_copies = sniffed
        .into_iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i as u32, s.copy?)))
        .collect();
    let per_file: Vec<(FileReport, ChunkSink)> = per_file.into_iter().map(|(_, f)| f).collect();
    clock.lap("parse");
    let config_warnings = formats.unmatched(found.sources.iter().map(|s| {
        let rel = s.path.strip_prefix(&s.root).unwrap_or(&s.path);
        (rel, s.path.as_path())
    }));
    let mut out = Ingested {
        problems: found.problems,
        pipe_copies,
        config_warnings,
        ..Default::default()
    };
    let mut pieces: Vec<(Symbols, Vec<Event>)> = Vec::new();
    for (report, sink) in per_file {
        if opts.keep_events {
            pieces.push((sink.symbols, sink.events));
            pieces.extend(sink.parts);
        }
        out.files.push(report);
    }
    if let (Some(w), Some(to)) = (writer, &opts.spill) {
        let (events, names) = w.finish().map_err(|e| spill_failed(&to.dir, &e))?;
        out.spilled = Some(Spill { events, names });
    } else if opts.keep_events {
        (out.symbols, out.events) = merge_pieces(pieces);
    }
    clock.lap("merge");
    Ok(out)
}

/// The error of a write to the spill folder, and what to do about it.
fn spill_failed(dir: &std::path::Path, e: &std::io::Error) -> IngestError {
    IngestError::Spill(format!(
        "could not write the events to the temporary folder {}: {e}; \
         free some space there or point --temp-dir at a disk with room",
        dir.display()
    ))
}

/// Chunks' tables and events, in input order -> the run's table and its events
/// in the same order, every symbol mapped into the one table (on all cores).
fn merge_pieces(pieces: Vec<(Symbols, Vec<Event>)>) -> (Symbols, Vec<Event>) {
    let mut clock = crate::timing::Clock::nested(2);
    let (tables, pieces): (Vec<Symbols>, Vec<Vec<Event>>) = pieces.into_iter().unzip();
    let (symbols, maps) = Symbols::merge(tables);
    clock.lap("symbols");
    // Copied end to end and remapped on the way, on all cores: the list is
    // written once, and the fresh memory it needs is faulted in by every
    // thread rather than one.
    let events = crate::concat::concat(pieces.iter().map(Vec::len), |p, k| {
        let mut e = pieces[p][k];
        e.remap(&maps[p]);
        e
    });
    clock.lap("events");
    (symbols, events)
}
