//! logtrace: turn a folder of logs into traces, statistics and charts, offline.
//!
//! The pipeline, stage by stage:
//!
//! 1. [`ingest`]: paths -> files (discovered, decompressed, format detected) ->
//!    compact [`ingest::event::Event`]s, with every unreadable line counted per file.
//! 2. [`render`]: results -> text and JSON for people and machines.
//!
//! The binary (`src/main.rs`, `src/cli.rs`) only turns arguments into the plain
//! option structs below and prints what these functions return.

pub mod analyze;
pub mod config;
pub mod generate;
pub mod ingest;
pub mod render;
pub mod trace;

use std::path::PathBuf;

pub use ingest::{IngestError, IngestOptions, Ingested};

/// A run-ending failure, with what the user can do about it.
#[derive(Debug)]
pub enum Error {
    /// The input or the options cannot be used (exit code 2).
    Usage(String),
    /// The input was read but nothing in it could be parsed (exit code 1).
    NothingParsed(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Usage(m) | Error::NothingParsed(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl From<IngestError> for Error {
    fn from(e: IngestError) -> Self {
        Error::Usage(e.to_string())
    }
}

impl Error {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            Error::NothingParsed(_) => 1,
        }
    }
}

/// Options of `logtrace inspect`.
#[derive(Clone, Debug, Default)]
pub struct InspectOptions {
    pub ingest: IngestOptions,
    /// JSON instead of text.
    pub json: bool,
}

/// What `inspect` found.
#[derive(Debug)]
pub struct Inspection {
    /// The rendered report (text or JSON).
    pub output: String,
    /// Set when no file gave a single event: why, and what to do.
    pub nothing_parsed: Option<Error>,
}

/// `logtrace inspect`: what each file is and how much of it could be read.
pub fn inspect(paths: &[PathBuf], opts: &InspectOptions) -> Result<Inspection, Error> {
    let mut ingest_opts = opts.ingest.clone();
    ingest_opts.keep_events = false;
    let input = ingest::ingest(paths, &ingest_opts)?;
    let output = if opts.json {
        render::inspect::json(&input)
    } else {
        render::inspect::text(&input)
    };
    Ok(Inspection {
        output,
        nothing_parsed: nothing_parsed(&input, paths).map(Error::NothingParsed),
    })
}

/// The explanation to give when the input held no event at all.
fn nothing_parsed(input: &Ingested, paths: &[PathBuf]) -> Option<String> {
    let events: u64 = input.files.iter().map(|f| f.events).sum();
    if events > 0 {
        return None;
    }
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    Some(if input.files.is_empty() {
        format!(
            "no log files under {} (after --include/--exclude); point logtrace at a folder or file of logs",
            shown.join(", ")
        )
    } else {
        let lines: u64 = input.files.iter().map(|f| f.lines).sum();
        format!(
            "no log entries could be parsed in {} files ({lines} lines); if they are in a format \
             logtrace does not know, describe it with a [[format]] regex in a config file \
             (see README, \"Config file\") and pass --config",
            input.files.len()
        )
    })
}
