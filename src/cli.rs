//! Command-line arguments -> plain option structs. The only module that knows clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use logtrace::ingest::discover::DiscoverOptions;
use logtrace::{IngestOptions, InspectOptions};

const EXIT_CODES: &str = "Exit codes: 0 success; 1 nothing in the input could be parsed; \
2 usage error, unreadable path or bad config.";

/// Turn a folder of logs into traces, statistics and charts, offline.
#[derive(Debug, Parser)]
#[command(name = "logtrace", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what each file is: format, lines, events, unparsed lines, time range, services, id fields.
    #[command(after_help = EXIT_CODES)]
    Inspect(InspectArgs),
}

/// Options shared by every command that reads logs.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Log files or folders (read recursively; gzip, zstd and bzip2 are decompressed).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Only read files matching this glob (repeatable), e.g. '*.log'.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Skip files matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Config file with custom formats, format overrides and id patterns (TOML).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Time zone for timestamps written without one, e.g. 'Europe/Berlin' or '+08:00' (default UTC).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Year for timestamps without one (syslog); default: each file's modification year.
    #[arg(long)]
    pub year: Option<i32>,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

impl InputArgs {
    /// Validates the arguments into the library's ingest options.
    pub fn to_options(&self) -> Result<IngestOptions, String> {
        let config = match &self.config {
            Some(p) => logtrace::config::Config::load(p).map_err(|e| e.to_string())?,
            None => Default::default(),
        };
        let tz = match &self.tz {
            None => None,
            Some(z) => Some(parse_tz(z)?),
        };
        if let Some(0) = self.threads {
            return Err("--threads must be at least 1".into());
        }
        Ok(IngestOptions {
            discover: DiscoverOptions {
                include: self.include.clone(),
                exclude: self.exclude.clone(),
            },
            config,
            tz,
            year: self.year,
            keep_events: false,
            chunk_size: 0,
        })
    }
}

impl InspectArgs {
    pub fn to_options(&self) -> Result<InspectOptions, String> {
        Ok(InspectOptions {
            ingest: self.input.to_options()?,
            json: self.json,
        })
    }
}

/// A zone name from the tz database, `UTC`, or a fixed offset like `+08:00` / `-0500`.
fn parse_tz(z: &str) -> Result<jiff::tz::TimeZone, String> {
    if let Some((off, 0)) =
        logtrace::ingest::time::zone(z.as_bytes(), 0).map(|(o, n)| (o, z.len() - n))
    {
        let offset = jiff::tz::Offset::from_seconds(off).map_err(|e| e.to_string())?;
        return Ok(jiff::tz::TimeZone::fixed(offset));
    }
    jiff::tz::TimeZone::get(z).map_err(|_| {
        format!("unknown time zone {z:?}: use a name like 'Europe/Berlin' or 'UTC', or an offset like '+08:00'")
    })
}
