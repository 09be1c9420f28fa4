//! The log formats logtrace reads, one file per family.
//!
//! Input: one line of text (newline and `\r` already removed). Output: a
//! [`Record`] filled with what the line says, and whether the line starts an
//! entry, continues the previous one, or could not be read ([`Parsed`]).
//! Each family also answers "is this line mine?" ([`Sniff`]) for detection.
//!
//! Parsers are built once per file (with that file's context, see
//! [`FormatContext`]) and shared by the threads that parse its chunks, so
//! `parse_line` takes `&self` and must not allocate for ordinary lines.

pub mod access;
pub mod access_scan;
mod access_spec;
pub mod azure;
pub mod caddy;
pub mod columns;
pub mod container;
pub mod custom;
pub mod elb;
pub mod envoy;
pub mod fields;
pub mod gcp;
pub mod haproxy;
pub mod heroku;
pub mod journald;
pub mod json;
pub mod logfmt;
pub mod message;
pub mod otel;
pub mod text;
pub mod traefik;
pub mod w3c;

use super::chunk::ChunkSink;
use super::event::Record;
pub use super::line::{FormatContext, Parsed};

/// A detector's answer for one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniff {
    Yes,
    No,
    /// Could be this format, but other formats fit as well (e.g. a bare message).
    Maybe,
}

/// Identifies a format family; `Custom(i)` is the i-th format of the config file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FormatKind {
    /// nginx/Apache access logs (common, combined, and their common extensions).
    Access,
    /// An access log with an explicit nginx `log_format` or Apache `LogFormat` from the config.
    AccessCustom(String),
    Json,
    Logfmt,
    Text,
    /// Docker json-file envelopes.
    Docker,
    /// CRI (containerd/CRI-O) lines.
    Cri,
    /// Envoy and Istio access logs (default text formats, Istio's JSON).
    Envoy,
    /// HAProxy HTTP and TCP logs, with or without syslog.
    Haproxy,
    /// AWS Application and Classic Load Balancer access logs.
    Elb,
    /// W3C extended logs with `#Fields:` headers (IIS, CloudFront).
    W3c,
    /// OpenTelemetry log records, OTLP JSON batches (several records per line).
    Otel,
    /// `journalctl -o export`: entries of `KEY=value` lines.
    Journald,
    /// `journalctl -o json`.
    JournaldJson,
    /// Traefik access logs (`common` and `json`).
    Traefik,
    /// Caddy's JSON access log.
    Caddy,
    /// Heroku router lines (`heroku[router]: at=info method=... service=12ms ...`).
    Heroku,
    /// Google Cloud Logging entries: load balancer (and Cloud Run) request logs.
    Gcp,
    /// Azure Application Gateway and Front Door access logs.
    Azure,
    /// A regex format from the config file, by name.
    Custom(String),
    /// No format recognised the file's first lines: every line is reported as unparsed.
    Unknown,
}

impl FormatKind {
    pub fn name(&self) -> String {
        match self {
            FormatKind::Access => "access".into(),
            FormatKind::AccessCustom(n) => format!("access:{n}"),
            FormatKind::Json => "json".into(),
            FormatKind::Logfmt => "logfmt".into(),
            FormatKind::Text => "text".into(),
            FormatKind::Docker => "docker".into(),
            FormatKind::Cri => "cri".into(),
            FormatKind::Envoy => "envoy".into(),
            FormatKind::Haproxy => "haproxy".into(),
            FormatKind::Elb => "elb".into(),
            FormatKind::W3c => "w3c".into(),
            FormatKind::Otel => "otel".into(),
            FormatKind::Journald => "journald".into(),
            FormatKind::JournaldJson => "journald-json".into(),
            FormatKind::Traefik => "traefik".into(),
            FormatKind::Caddy => "caddy".into(),
            FormatKind::Heroku => "heroku".into(),
            FormatKind::Gcp => "gcp".into(),
            FormatKind::Azure => "azure".into(),
            FormatKind::Custom(n) => format!("custom:{n}"),
            FormatKind::Unknown => "unknown".into(),
        }
    }
}

/// One format's line parser.
pub trait LineFormat: Send + Sync {
    fn kind(&self) -> FormatKind;

    /// Parses one line into `out` (which the caller has cleared).
    fn parse_line<'a>(&self, line: &'a str, out: &mut Record<'a>) -> Parsed;

    /// Parses a whole chunk. The default walks lines through [`Self::parse_line`];
    /// container formats override it to join partial lines.
    fn parse_chunk(&self, chunk: &[u8], sink: &mut ChunkSink) {
        sink.run_lines(chunk, |line, rec| self.parse_line(line, rec));
    }

    /// How much of `chunk` (which ends after a newline) may be parsed on its own;
    /// the rest is carried into the next chunk. Formats whose records span
    /// lines (CRI `P` lines, split Docker records) keep such a record whole, so
    /// the result does not depend on where the file was cut. 0 means no safe
    /// cut exists in the chunk.
    fn cut_point(&self, chunk: &[u8]) -> usize {
        chunk.len()
    }

    /// For formats whose lines are read through header lines met earlier in
    /// the file (W3C `#Fields:`): the header lines in force after `chunk`,
    /// given those in force before it; `None` when the chunk changes nothing.
    /// The reader calls this on the chunks in file order before parsing them
    /// in parallel, so each chunk starts under the header in force at its
    /// first line, wherever the file was cut.
    fn header_after(&self, _chunk: &[u8], _before: &[u8]) -> Option<Vec<u8>> {
        None
    }

    /// Parses a chunk that starts under the header lines `header` (see
    /// [`Self::header_after`]); other formats ignore them.
    fn parse_chunk_under(&self, _header: &[u8], chunk: &[u8], sink: &mut ChunkSink) {
        self.parse_chunk(chunk, sink);
    }
}

/// The parser of files no format recognised: every line is unparsed.
#[derive(Debug, Default)]
pub struct UnknownFormat;

impl LineFormat for UnknownFormat {
    fn kind(&self) -> FormatKind {
        FormatKind::Unknown
    }

    fn parse_line<'a>(&self, _line: &'a str, _out: &mut Record<'a>) -> Parsed {
        Parsed::Unparsed
    }
}
