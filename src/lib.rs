//! logtrace: turn a folder of logs into traces, statistics and charts, offline.
//!
//! The pipeline: [`ingest`] reads files into compact events.

pub mod config;
pub mod generate;
pub mod ingest;
