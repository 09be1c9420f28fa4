//! Events, spans and traces -> three Parquet tables for DuckDB, pandas,
//! Polars and Spark.
//!
//! Input: the ingested events and files, the trace stage's [`Traces`], and a
//! function that creates a file at a path relative to the output folder
//! (the caller writes it: this stage opens no file). Output: `events/`,
//! `spans/` and `traces/`, each one `part-0.parquet`, or with
//! [`Partition::Hour`] one file per hour in hive-style folders
//! (`spans/date=2026-11-24/hour=13/part-0.parquet`).
//!
//! The columns are listed in [`tables`]; README.md documents them, and a
//! test checks that it documents exactly these. Fields are added, never
//! renamed: [`SCHEMA_VERSION`] (in every file's key-value metadata, with
//! the logtrace version) changes only on an incompatible change.
//!
//! A value the logs did not give is null, never 0: an event without a time,
//! a span without a logged duration, a status that was not logged. Times are
//! µs since the epoch, UTC; durations are milliseconds as `report.json`
//! writes them (µs precision), so the tables and the report agree.
//!
//! Rows are built [`BATCH_ROWS`] at a time and written as they are built;
//! nothing holds a second copy of the events. Per event the stage keeps 4
//! bytes (the span it is in), per span 12 (its exported id, its trace),
//! per trace 20.
//! With partitions, each table's rows are ordered by hour first (8 bytes a
//! row while it is written). zstd pages, row groups of [`ROW_GROUP_ROWS`].
//! The files depend only on the input, never on the thread count: columns
//! are built in parallel, but every batch holds the same rows in the same
//! order.

pub mod columns;
pub mod tables;
mod write;

use std::io::{self, Write};

use rayon::prelude::*;

use crate::ingest::event::{Event, Sym, Symbols};
use crate::ingest::FileReport;
use crate::trace::{Span, Trace, Traces};

pub use tables::{Column, Table, TABLES};

/// The version of the tables' schema, in each file's metadata as `schema_version`.
pub const SCHEMA_VERSION: u32 = 1;
/// Rows per row group: large enough for fast scans, small enough that a
/// reader can split a big table across its threads.
pub const ROW_GROUP_ROWS: usize = 1 << 20;
/// Rows built and handed to the writer at a time.
pub const BATCH_ROWS: usize = 1 << 16;

/// How the tables are split into files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Partition {
    /// One file per table.
    #[default]
    None,
    /// One file per table and UTC hour (of the event's time, the span's or
    /// the trace's start), in `date=YYYY-MM-DD/hour=HH/` folders; rows
    /// without a time in `date=__HIVE_DEFAULT_PARTITION__/hour=...`.
    Hour,
}

/// Creates the file at a relative path (`spans/part-0.parquet`) and returns
/// its writer. Called from several threads at once (one per table).
pub type Create<'a> = &'a (dyn Fn(&str) -> io::Result<Box<dyn Write + Send>> + Sync);

/// What was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub events: u64,
    pub spans: u64,
    pub traces: u64,
    /// The files, relative paths, in table then partition order.
    pub files: Vec<String>,
}

/// What the tables are made from.
pub struct Source<'a> {
    pub events: &'a [Event],
    pub symbols: &'a Symbols,
    /// The run's files, for each event's `file` and `format`.
    pub files: &'a [FileReport],
    pub traces: &'a Traces,
}

/// Writes the three tables (see the module doc).
pub fn write(src: &Source, partition: Partition, create: Create) -> io::Result<Written> {
    let cx = Ctx::new(src);
    let (events, (spans, traces)) = rayon::join(
        || write::table(&cx, &TABLES[0], partition, create),
        || {
            rayon::join(
                || write::table(&cx, &TABLES[1], partition, create),
                || write::table(&cx, &TABLES[2], partition, create),
            )
        },
    );
    let (events, spans, traces) = (events?, spans?, traces?);
    let mut files = events.files;
    files.extend(spans.files);
    files.extend(traces.files);
    Ok(Written {
        events: events.rows,
        spans: spans.rows,
        traces: traces.rows,
        files,
    })
}

/// No span: an event no trace holds.
const NO_SPAN: u32 = u32::MAX;

/// What the column builders read: the input, and the exported ids.
pub struct Ctx<'a> {
    pub events: &'a [Event],
    pub symbols: &'a Symbols,
    pub files: &'a [FileReport],
    pub traces: &'a [Trace],
    pub untraced: &'a [Span],
    /// Per trace, its exported id (32 hex digits as a number).
    pub trace_hex: Vec<u128>,
    /// Per trace, the flat index of its first span; one more entry at the end.
    pub first_span: Vec<u32>,
    /// Per traced span (flat index), its trace.
    pub span_trace: Vec<u32>,
    /// Per traced span (flat index), its exported id.
    pub span_hex: Vec<u64>,
    /// Per event, the flat index of the traced span it is in, or [`NO_SPAN`].
    pub event_span: Vec<u32>,
}

/// A row of the spans table: a span of a trace, or an untraced request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanRow {
    Traced { trace: u32, span: u32 },
    Untraced(u32),
}

impl<'a> Ctx<'a> {
    pub fn new(src: &Source<'a>) -> Ctx<'a> {
        let traces = &src.traces.traces;
        let refs: Vec<&Trace> = traces.iter().collect();
        let heads = super::ids::trace_ids(&refs, src.events, src.symbols);
        let trace_hex: Vec<u128> = heads.iter().map(|(h, _)| parse_hex(h)).collect();
        let span_hex: Vec<u64> = refs
            .par_iter()
            .zip(heads.par_iter())
            .flat_map_iter(|(t, (h, _))| {
                let (ids, _) = super::ids::span_ids(t, h, src.events, src.symbols);
                ids.into_iter().map(|s| parse_hex(&s) as u64)
            })
            .collect();
        let mut first_span = Vec::with_capacity(traces.len() + 1);
        let mut span_trace = Vec::with_capacity(span_hex.len());
        let mut event_span = vec![NO_SPAN; src.events.len()];
        let mut flat = 0u32;
        for (i, t) in traces.iter().enumerate() {
            first_span.push(flat);
            for s in &t.spans {
                span_trace.push(i as u32);
                for &e in s.events.iter() {
                    if let Some(slot) = event_span.get_mut(e as usize) {
                        *slot = flat;
                    }
                }
                flat += 1;
            }
        }
        first_span.push(flat);
        Ctx {
            events: src.events,
            symbols: src.symbols,
            files: src.files,
            traces,
            untraced: &src.traces.untraced,
            trace_hex,
            first_span,
            span_trace,
            span_hex,
            event_span,
        }
    }

    /// Spans of all traces.
    pub fn traced_spans(&self) -> u32 {
        self.first_span.last().copied().unwrap_or(0)
    }

    /// Rows of the spans table: traced spans, then untraced requests.
    pub fn span_rows(&self) -> usize {
        self.traced_spans() as usize + self.untraced.len()
    }

    /// The spans table's row `flat`.
    pub fn span_row(&self, flat: u32) -> SpanRow {
        if flat < self.traced_spans() {
            let trace = self.span_trace[flat as usize];
            SpanRow::Traced {
                trace,
                span: flat - self.first_span[trace as usize],
            }
        } else {
            SpanRow::Untraced(flat - self.traced_spans())
        }
    }

    /// The span at a row of the spans table.
    pub fn span(&self, row: SpanRow) -> &'a Span {
        match row {
            SpanRow::Traced { trace, span } => &self.traces[trace as usize].spans[span as usize],
            SpanRow::Untraced(i) => &self.untraced[i as usize],
        }
    }

    /// The exported id of span `span` of trace `trace`.
    pub fn span_id(&self, trace: u32, span: u32) -> u64 {
        self.span_hex[(self.first_span[trace as usize] + span) as usize]
    }

    /// A symbol's text; `None` for an absent one.
    pub fn text(&self, s: Sym) -> Option<&'a str> {
        (!s.is_none()).then(|| self.symbols.get(s))
    }
}

/// The value of an id [`super::ids`] made (hex digits only, at most 32).
fn parse_hex(s: &str) -> u128 {
    u128::from_str_radix(s, 16).unwrap_or(0)
}
